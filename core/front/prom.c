/*
 * prom: Prometheus text and /status JSON from a snapshot. See prom.h for the
 * contracts. The Prometheus side is a small string builder and a few
 * emitters; the per-device families are declared as data (dev_metrics), so
 * adding one is one table row. The JSON side builds a cJSON tree and frees
 * it here; nothing else sees cJSON.
 *
 * Exposition rules kept here (text format 0.0.4): a family's samples are
 * contiguous and follow its # HELP and # TYPE lines; HELP text escapes \ and
 * newline; label values escape \, " and newline; values are Go-style floats
 * (NaN, +Inf, -Inf); histogram buckets are cumulative with le="+Inf" equal
 * to _count.
 */
#include "prom.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend.h"
#include "sched/snapshot.h"
#include "base/procstat.h"
#include "base/util.h"

static void sb_puts(struct lv_buf *b, const char *s)
{
	lv_buf_append(b, s, strlen(s));
}

char *lv_prom_number(double v, char *buf)
{
	if (isnan(v))
		return strcpy(buf, "NaN");
	if (isinf(v))
		return strcpy(buf, v > 0 ? "+Inf" : "-Inf");
	return lv_num_exact(buf, v);
}

/* Appends a label value with \, " and newline escaped. */
static void sb_label_value(struct lv_buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			sb_puts(b, "\\\\");
		else if (*v == '"')
			sb_puts(b, "\\\"");
		else if (*v == '\n')
			sb_puts(b, "\\n");
		else
			lv_buf_append(b, v, 1);
	}
}

static void family(struct lv_buf *b, const char *name, const char *type, const char *help)
{
	/* Our HELP strings are literals without \ or newline; nothing to escape. */
	lv_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample; `labels` is NULL or already rendered ("k=\"v\",k2=\"v2\""). */
static void sample(struct lv_buf *b, const char *name, const char *labels, double v)
{
	char num[32];
	lv_buf_printf(b, labels ? "%s{%s} %s\n" : "%s%s %s\n", name, labels ? labels : "",
	              lv_prom_number(v, num));
}

static void sample_u64(struct lv_buf *b, const char *name, const char *labels, uint64_t v)
{
	lv_buf_printf(b, labels ? "%s{%s} %" PRIu64 "\n" : "%s%s %" PRIu64 "\n", name,
	              labels ? labels : "", v);
}

/* Renders one label pair into a fresh string (caller frees). */
static char *label1(const char *key, const char *value)
{
	struct lv_buf b = { 0 };
	lv_buf_printf(&b, "%s=\"", key);
	sb_label_value(&b, value);
	sb_puts(&b, "\"");
	return b.p;
}

static void render_frames(struct lv_buf *b, const struct lv_snapshot *s)
{
	static const enum lv_frame_state terminal[] = { LV_FRAME_OK, LV_FRAME_LATE, LV_FRAME_FAILED,
		                                        LV_FRAME_EXPIRED, LV_FRAME_REJECTED };
	char lab[64];

	family(b, "loudva_frames_received_total", "counter",
	       "Frames submitted by cameras, rejected ones included.");
	sample_u64(b, "loudva_frames_received_total", NULL, s->counts.received);
	family(b, "loudva_frames_total", "counter",
	       "Frames that reached a terminal state, by state.");
	for (size_t i = 0; i < sizeof terminal / sizeof terminal[0]; i++) {
		snprintf(lab, sizeof lab, "state=\"%s\"", lv_frame_state_name(terminal[i]));
		sample_u64(b, "loudva_frames_total", lab, s->counts.by_state[terminal[i]]);
	}
	family(b, "loudva_frames_pending", "gauge",
	       "Frames not yet terminal: waiting in the queue or running on a device.");
	sample_u64(b, "loudva_frames_pending", "state=\"queued\"",
	           s->counts.by_state[LV_FRAME_QUEUED]);
	sample_u64(b, "loudva_frames_pending", "state=\"inflight\"",
	           s->counts.by_state[LV_FRAME_INFLIGHT]);
	family(b, "loudva_queue_depth", "gauge", "Frames waiting in the deadline queue.");
	sample_u64(b, "loudva_queue_depth", NULL, s->queue_len);
	family(b, "loudva_batches_dispatched_total", "counter", "Batches sent to devices.");
	sample_u64(b, "loudva_batches_dispatched_total", NULL, s->counts.batches_dispatched);
	family(b, "loudva_batches_failed_total", "counter", "Batches that failed on a device.");
	sample_u64(b, "loudva_batches_failed_total", NULL, s->counts.batches_failed);
	family(b, "loudva_policy_decisions_total", "counter", "Times the policy was asked.");
	sample_u64(b, "loudva_policy_decisions_total", NULL, s->counts.decisions);
}

static void render_rates(struct lv_buf *b, const struct lv_snapshot *s)
{
	family(b, "loudva_power_watts", "gauge", "Cluster power draw, latest telemetry.");
	sample(b, "loudva_power_watts", NULL, s->power_w);
	family(b, "loudva_energy_joules_total", "counter",
	       "Cluster energy since the controller started, idle time included.");
	sample(b, "loudva_energy_joules_total", NULL, s->energy_j);
	family(b, "loudva_served_frames_per_second", "gauge",
	       "Frames served per second over the last 10 s.");
	sample(b, "loudva_served_frames_per_second", NULL, s->fps);
	family(b, "loudva_frames_per_joule", "gauge", "Frames served per joule, by window.");
	sample(b, "loudva_frames_per_joule", "window=\"60s\"", s->fpj_60s);
	sample(b, "loudva_frames_per_joule", "window=\"total\"", s->fpj_total);
	family(b, "loudva_qos_ok_ratio", "gauge",
	       "Fraction of terminal frames served within budget, by window.");
	sample(b, "loudva_qos_ok_ratio", "window=\"60s\"", s->pct_ok_60s / 100.0);
	sample(b, "loudva_qos_ok_ratio", "window=\"total\"", s->pct_ok_total / 100.0);
}

static void render_latency(struct lv_buf *b, const struct lv_snapshot *s)
{
	const char *n = "loudva_frame_latency_seconds";
	char lab[48], num[32];
	uint64_t cum = 0;
	int have_inf = 0;

	family(b, n, "histogram", "Latency of served frames (arrival to completion).");
	for (size_t i = 0; i < LV_SNAP_LAT_BUCKETS; i++) {
		double le = s->lat_bounds_s[i];
		cum += s->lat_counts[i];
		if (isnan(le) || (i > 0 && le <= s->lat_bounds_s[i - 1]))
			continue; /* unused or malformed bound: counted in the next */
		snprintf(lab, sizeof lab, "le=\"%s\"", lv_prom_number(le, num));
		sample_u64(b, "loudva_frame_latency_seconds_bucket", lab, cum);
		have_inf = isinf(le) && le > 0;
		if (have_inf)
			break;
	}
	if (!have_inf)
		sample_u64(b, "loudva_frame_latency_seconds_bucket", "le=\"+Inf\"", cum);
	sample(b, "loudva_frame_latency_seconds_sum", NULL, s->lat_sum_s);
	sample_u64(b, "loudva_frame_latency_seconds_count", NULL, cum);
}

enum field_kind { F_DOUBLE, F_U64, F_INT };

struct dev_metric {
	const char *name, *type, *help;
	size_t off;
	enum field_kind kind;
	unsigned valid; /* LV_SNAP_HAS_* needed, 0: always */
	double div;     /* value = field / div (100 turns a percentage into a ratio) */
};

#define D(f) offsetof(struct lv_snap_device, f)
static const struct dev_metric dev_metrics[] = {
	{ "loudva_device_inflight_batches", "gauge",
	  "Batches dispatched to the device and not yet finished.", D(inflight), F_INT, 0, 1 },
	{ "loudva_device_gpu_clock_hertz", "gauge", "Current GPU clock.", D(freq_hz), F_U64, 0, 1 },
	{ "loudva_device_gpu_clock_min_hertz", "gauge", "Lowest GPU clock the device offers.",
	  D(min_freq_hz), F_U64, 0, 1 },
	{ "loudva_device_gpu_clock_max_hertz", "gauge", "Highest GPU clock the device offers.",
	  D(max_freq_hz), F_U64, 0, 1 },
	{ "loudva_device_power_watts", "gauge", "Device power draw, latest telemetry.", D(power_w),
	  F_DOUBLE, LV_SNAP_HAS_POWER, 1 },
	{ "loudva_device_energy_joules_total", "counter",
	  "Device energy since the controller started.", D(energy_j), F_DOUBLE, LV_SNAP_HAS_ENERGY,
	  1 },
	{ "loudva_device_gpu_load_ratio", "gauge", "GPU load, 0 to 1.", D(load_pct), F_DOUBLE,
	  LV_SNAP_HAS_LOAD, 100 },
	{ "loudva_device_temperature_celsius", "gauge", "Device temperature.", D(temp_c), F_DOUBLE,
	  LV_SNAP_HAS_TEMP, 1 },
	{ "loudva_device_memory_clock_hertz", "gauge",
	  "Memory (EMC) clock, latest telemetry (it moves idle power on the Jetsons).",
	  D(emc_freq_hz), F_U64, LV_SNAP_HAS_EMC, 1 },
	{ "loudva_device_batches_total", "counter", "Batches served by the device.", D(batches),
	  F_U64, 0, 1 },
	{ "loudva_device_frames_total", "counter", "Frames served by the device.", D(frames), F_U64,
	  0, 1 },
	{ "loudva_device_late_frames_total", "counter",
	  "Frames the device served after their deadline.", D(late), F_U64, 0, 1 },
	{ "loudva_device_failed_frames_total", "counter",
	  "Frames that failed with the device as the last one they were sent to.", D(failed), F_U64,
	  0, 1 },
	{ "loudva_device_last_batch_size", "gauge", "Frames in the last batch dispatched.",
	  D(last_batch), F_INT, 0, 1 },
	{ "loudva_device_served_frames_per_second", "gauge",
	  "Frames the device served per second over the last 10 s.", D(fps), F_DOUBLE, 0, 1 },
	{ "loudva_device_shm_bytes", "gauge",
	  "Shared-memory regions the controller holds for the device's Triton.", D(shm_bytes),
	  F_U64, 0, 1 },
	{ "loudva_device_wire_bytes_total", "counter",
	  "Frames' input bytes sent to the device, in its wire format.", D(wire_bytes), F_U64, 0,
	  1 },
	{ "loudva_device_agent_restarts_total", "counter",
	  "Times the device's agent was restarted after it died.", D(restarts), F_U64, 0, 1 },
	{ "loudva_device_clock_clamps_total", "counter",
	  "Times a clock asked above the power mode's GPU cap was first held to it (once per cap).",
	  D(clock_clamps), F_U64, 0, 1 },
};
#undef D

static void render_device_metric(struct lv_buf *b, const struct lv_snapshot *s,
                                 const struct dev_metric *m, char **labels)
{
	int any = 0;
	for (size_t i = 0; i < s->n_devices; i++)
		any |= !m->valid || (s->devices[i].valid & m->valid);
	if (!any)
		return;
	family(b, m->name, m->type, m->help);
	for (size_t i = 0; i < s->n_devices; i++) {
		const struct lv_snap_device *d = &s->devices[i];
		const char *field = (const char *)d + m->off;
		if (m->valid && !(d->valid & m->valid))
			continue;
		if (m->kind == F_U64)
			sample_u64(b, m->name, labels[i], *(const uint64_t *)(const void *)field);
		else if (m->kind == F_INT)
			sample(b, m->name, labels[i], *(const int *)(const void *)field);
		else
			sample(b, m->name, labels[i],
			       *(const double *)(const void *)field / m->div);
	}
}

/* Per-rail power from the latest telemetry; devices without rails (down, or not reported) have
 * none. */
static void render_rails(struct lv_buf *b, const struct lv_snapshot *s, char **labels)
{
	size_t any = 0;
	for (size_t i = 0; i < s->n_devices; i++)
		any += s->devices[i].n_rails;
	if (!any)
		return;
	family(b, "loudva_device_rail_power_watts", "gauge",
	       "Power of each of the board's rails, latest telemetry.");
	for (size_t i = 0; i < s->n_devices; i++) {
		const struct lv_snap_device *d = &s->devices[i];
		for (size_t r = 0; r < d->n_rails && r < LV_SNAP_RAILS; r++) {
			struct lv_buf l = { 0 };
			lv_buf_printf(&l, "%s,rail=\"", labels[i]);
			sb_label_value(&l, d->rails[r].name);
			sb_puts(&l, "\"");
			sample(b, "loudva_device_rail_power_watts", l.p, d->rails[r].power_w);
			free(l.p);
		}
	}
}

/* The power modes of the devices whose mode is known: its id, named as a label (as the
 * agent's loudva_agent_power_mode), and its GPU cap where it has one. */
static void render_pmodes(struct lv_buf *b, const struct lv_snapshot *s, char **labels)
{
	int any = 0, capped = 0;
	for (size_t i = 0; i < s->n_devices; i++) {
		any |= s->devices[i].pmode.state == LV_SNAP_PMODE_KNOWN;
		capped |= s->devices[i].pmode.state == LV_SNAP_PMODE_KNOWN &&
		          s->devices[i].pmode.gpu_max_hz;
	}
	if (any)
		family(b, "loudva_device_power_mode", "gauge",
		       "The nvpmodel power mode's id, its name as a label (real boards).");
	for (size_t i = 0; any && i < s->n_devices; i++) {
		const struct lv_snap_pmode *m = &s->devices[i].pmode;
		if (m->state != LV_SNAP_PMODE_KNOWN)
			continue;
		struct lv_buf l = { 0 };
		lv_buf_printf(&l, "%s,name=\"", labels[i]);
		sb_label_value(&l, m->name);
		sb_puts(&l, "\"");
		sample(b, "loudva_device_power_mode", l.p, m->id);
		free(l.p);
	}
	if (capped)
		family(b, "loudva_device_power_mode_gpu_max_hertz", "gauge",
		       "The GPU clock cap of the device's power mode (absent when none).");
	for (size_t i = 0; capped && i < s->n_devices; i++) {
		const struct lv_snap_pmode *m = &s->devices[i].pmode;
		if (m->state == LV_SNAP_PMODE_KNOWN && m->gpu_max_hz)
			sample_u64(b, "loudva_device_power_mode_gpu_max_hertz", labels[i],
			           m->gpu_max_hz);
	}
}

static void render_devices(struct lv_buf *b, const struct lv_snapshot *s)
{
	static const enum lv_dev_state states[] = { LV_DEV_UP, LV_DEV_DOWN, LV_DEV_DRAINING };
	if (s->n_devices == 0)
		return; /* no families without samples */
	char **labels = lv_xcalloc(s->n_devices, sizeof(char *));

	for (size_t i = 0; i < s->n_devices; i++)
		labels[i] = label1("device", s->devices[i].name);
	family(b, "loudva_device_info", "gauge",
	       "The cluster's devices and their kinds (always 1).");
	for (size_t i = 0; i < s->n_devices; i++) {
		struct lv_buf l = { 0 };
		lv_buf_printf(&l, "%s,kind=\"", labels[i]);
		sb_label_value(&l, s->devices[i].kind);
		sb_puts(&l, "\"");
		sample(b, "loudva_device_info", l.p, 1);
		free(l.p);
	}
	family(b, "loudva_device_state", "gauge",
	       "Device state: 1 for the state the device is in, 0 for the others.");
	for (size_t i = 0; i < s->n_devices; i++) {
		for (size_t k = 0; k < sizeof states / sizeof states[0]; k++) {
			char *l = lv_xasprintf("%s,state=\"%s\"", labels[i],
			                       lv_dev_state_name(states[k]));
			sample(b, "loudva_device_state", l, s->devices[i].state == states[k]);
			free(l);
		}
	}
	for (size_t k = 0; k < sizeof dev_metrics / sizeof dev_metrics[0]; k++)
		render_device_metric(b, s, &dev_metrics[k], labels);
	render_rails(b, s, labels);
	render_pmodes(b, s, labels);
	for (size_t i = 0; i < s->n_devices; i++)
		free(labels[i]);
	free(labels);
}

/* The store's record (only with a database): rows by kind, and whether it is whole. */
static void render_store(struct lv_buf *b, const struct lv_snap_store *st)
{
	static const struct {
		const char *name, *type, *help;
		size_t off;
	} kinds[] = {
		{ "loudva_store_rows_written_total", "counter",
		  "Rows written to the database, by kind.",
		  offsetof(struct lv_snap_store, written) },
		{ "loudva_store_rows_lost_total", "counter",
		  "Rows the database will never have, by kind: writes kept failing or the buffer "
		  "was "
		  "full.",
		  offsetof(struct lv_snap_store, lost) },
		{ "loudva_store_rows_pending", "gauge",
		  "Rows held in memory for the next write, by kind.",
		  offsetof(struct lv_snap_store, pending) },
	};
	char lab[48];
	if (!st->enabled)
		return;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		const uint64_t *v =
		    (const uint64_t *)(const void *)((const char *)st + kinds[i].off);
		family(b, kinds[i].name, kinds[i].type, kinds[i].help);
		for (int k = 0; k < LV_SNAP_ROW_KINDS; k++) {
			snprintf(lab, sizeof lab, "kind=\"%s\"", lv_snap_row_kind_name(k));
			sample_u64(b, kinds[i].name, lab, v[k]);
		}
	}
	family(b, "loudva_store_write_failures_total", "counter",
	       "Write attempts that failed (each is rolled back and retried).");
	sample_u64(b, "loudva_store_write_failures_total", NULL, st->failures);
	family(b, "loudva_store_gaps_total", "counter",
	       "Times writing resumed after rows had been lost.");
	sample_u64(b, "loudva_store_gaps_total", NULL, st->gaps);
	family(b, "loudva_store_failing", "gauge",
	       "1 while writes fail (rows wait for a retry), else 0.");
	sample_u64(b, "loudva_store_failing", NULL, st->failing != 0);
	family(b, "loudva_store_incomplete", "gauge",
	       "1 once any row was lost: the run's record is incomplete.");
	sample_u64(b, "loudva_store_incomplete", NULL, lv_snap_store_lost(st) > 0);
}

static void render_snapshot(struct lv_buf *b, const struct lv_snapshot *s)
{
	family(b, "loudva_info", "gauge",
	       "The controller's policy, cost mode and cluster (always 1).");
	sb_puts(b, "loudva_info{policy=\"");
	sb_label_value(b, s->policy);
	sb_puts(b, "\",mode=\"");
	sb_label_value(b, s->mode);
	sb_puts(b, "\",cluster=\"");
	sb_label_value(b, s->cluster);
	sb_puts(b, "\"} 1\n");
	family(b, "loudva_uptime_seconds", "gauge", "Seconds since the controller started.");
	sample(b, "loudva_uptime_seconds", NULL, s->uptime_s);
	render_frames(b, s);
	render_rates(b, s);
	render_latency(b, s);
	render_devices(b, s);
	render_store(b, &s->store);
}

static void render_http(struct lv_buf *b, const struct lv_frontend_stats *fe)
{
	family(b, "loudva_http_requests_total", "counter",
	       "HTTP requests answered, by status code.");
	for (int i = 0; i < LV_FE_CODE_COUNT; i++) {
		char lab[32];
		unsigned code = lv_frontend_code(i);
		if (code)
			snprintf(lab, sizeof lab, "code=\"%u\"", code);
		else
			snprintf(lab, sizeof lab, "code=\"other\"");
		if (fe->by_code[i] || code == 200)
			sample_u64(b, "loudva_http_requests_total", lab, fe->by_code[i]);
	}
	family(b, "loudva_http_inference_requests_total", "counter",
	       "POST /inference requests answered, by outcome.");
	sample_u64(b, "loudva_http_inference_requests_total", "outcome=\"ok\"", fe->inference_ok);
	sample_u64(b, "loudva_http_inference_requests_total", "outcome=\"bad_request\"",
	           fe->bad_request);
	sample_u64(b, "loudva_http_inference_requests_total", "outcome=\"too_large\"",
	           fe->too_large);
	family(b, "loudva_http_refused_requests_total", "counter",
	       "POST /inference requests refused by the front end (nothing reached the "
	       "scheduler), by reason.");
	for (int i = 0; i < LV_FE_REFUSE_COUNT; i++) {
		char lab[64];
		snprintf(lab, sizeof lab, "reason=\"%s\"",
		         lv_frontend_refusal_name((enum lv_fe_refusal)i));
		sample_u64(b, "loudva_http_refused_requests_total", lab, fe->refused_requests[i]);
	}
	family(b, "loudva_http_refused_frames_total", "counter",
	       "Frames (images parts) in the requests the front end refused, by reason; a body "
	       "refused unread counts none.");
	for (int i = 0; i < LV_FE_REFUSE_COUNT; i++) {
		char lab[64];
		snprintf(lab, sizeof lab, "reason=\"%s\"",
		         lv_frontend_refusal_name((enum lv_fe_refusal)i));
		sample_u64(b, "loudva_http_refused_frames_total", lab, fe->refused_frames[i]);
	}
	family(b, "loudva_http_frames_submitted_total", "counter",
	       "Frames the front end decoded and handed to the engine.");
	sample_u64(b, "loudva_http_frames_submitted_total", NULL, fe->frames_submitted);
	family(b, "loudva_http_received_bytes_total", "counter",
	       "Bytes of /inference request bodies read.");
	sample_u64(b, "loudva_http_received_bytes_total", NULL, fe->body_bytes);
}

char *lv_prom_render(const struct lv_snapshot *s, const struct lv_frontend_stats *fe,
                     size_t *len_out)
{
	struct lv_buf b = { 0 };
	if (s)
		render_snapshot(&b, s);
	if (fe)
		render_http(&b, fe);
	return lv_buf_take(&b, len_out);
}

char *lv_prom_render_process(const struct lv_proc_stats *p, const char *version, size_t *len_out)
{
	struct lv_buf b = { 0 };
	if (version) {
		family(&b, "loudva_build_info", "gauge", "The controller's version (always 1).");
		sb_puts(&b, "loudva_build_info{version=\"");
		sb_label_value(&b, version);
		sb_puts(&b, "\"} 1\n");
	}
	if (p && (p->valid & LV_PROC_HAS_CPU)) {
		family(&b, "process_cpu_seconds_total", "counter",
		       "Total user and system CPU time spent in seconds.");
		sample(&b, "process_cpu_seconds_total", NULL, p->cpu_s);
	}
	if (p && (p->valid & LV_PROC_HAS_MEM)) {
		family(&b, "process_resident_memory_bytes", "gauge",
		       "Resident memory size in bytes.");
		sample_u64(&b, "process_resident_memory_bytes", NULL, p->rss_bytes);
		family(&b, "process_virtual_memory_bytes", "gauge",
		       "Virtual memory size in bytes.");
		sample_u64(&b, "process_virtual_memory_bytes", NULL, p->vsize_bytes);
	}
	if (p && (p->valid & LV_PROC_HAS_FDS)) {
		family(&b, "process_open_fds", "gauge", "Number of open file descriptors.");
		sample_u64(&b, "process_open_fds", NULL, p->open_fds);
	}
	if (p && (p->valid & LV_PROC_HAS_LIMIT)) {
		family(&b, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
		sample(&b, "process_max_fds", NULL,
		       p->max_fds == UINT64_MAX ? INFINITY : (double)p->max_fds);
	}
	if (p && (p->valid & LV_PROC_HAS_START)) {
		family(&b, "process_start_time_seconds", "gauge",
		       "Start time of the process since unix epoch in seconds.");
		sample(&b, "process_start_time_seconds", NULL, p->start_time_s);
	}
	return lv_buf_take(&b, len_out);
}

/* ---- /status JSON ------------------------------------------------------ */

/* A number, or null when it is not finite (JSON has no NaN or infinity). */
static void j_num(cJSON *o, const char *k, double v)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

/* A number when the validity bit is set, else null. */
static void j_opt(cJSON *o, const char *k, double v, unsigned valid, unsigned bit)
{
	j_num(o, k, (valid & bit) ? v : NAN);
}

/*
 * "power_mode": null without power modes (emulation), {"id": null, ...}
 * on a real board whose mode is unknown, else {"id", "name", "gpu_max_hz"}
 * (name and cap null when unknown or none); "clock_clamps" and "clamp"
 * {"asked_hz", "hz"}, the latest clock held to the current cap (null when
 * none has been since the cap last changed).
 */
static void status_pmode(cJSON *o, const struct lv_snap_device *d)
{
	const struct lv_snap_pmode *m = &d->pmode;
	if (m->state == LV_SNAP_PMODE_NONE) {
		cJSON_AddNullToObject(o, "power_mode");
	} else {
		cJSON *pm = cJSON_AddObjectToObject(o, "power_mode");
		int known = m->state == LV_SNAP_PMODE_KNOWN;
		j_num(pm, "id", known ? m->id : NAN);
		if (known && m->name[0])
			cJSON_AddStringToObject(pm, "name", m->name);
		else
			cJSON_AddNullToObject(pm, "name");
		j_num(pm, "gpu_max_hz", known && m->gpu_max_hz ? (double)m->gpu_max_hz : NAN);
	}
	j_num(o, "clock_clamps", (double)d->clock_clamps);
	if (d->clamp_asked_hz) {
		cJSON *c = cJSON_AddObjectToObject(o, "clamp");
		j_num(c, "asked_hz", (double)d->clamp_asked_hz);
		j_num(c, "hz", d->clamp_hz ? (double)d->clamp_hz : NAN);
	} else {
		cJSON_AddNullToObject(o, "clamp");
	}
}

static cJSON *status_device(const struct lv_snap_device *d)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", d->name);
	cJSON_AddStringToObject(o, "kind", d->kind);
	cJSON_AddStringToObject(o, "state", lv_dev_state_name(d->state));
	j_num(o, "inflight", d->inflight);
	j_num(o, "freq_hz", (double)d->freq_hz);
	j_num(o, "min_freq_hz", (double)d->min_freq_hz);
	j_num(o, "max_freq_hz", (double)d->max_freq_hz);
	j_opt(o, "power_w", d->power_w, d->valid, LV_SNAP_HAS_POWER);
	j_opt(o, "energy_j", d->energy_j, d->valid, LV_SNAP_HAS_ENERGY);
	j_opt(o, "load_pct", d->load_pct, d->valid, LV_SNAP_HAS_LOAD);
	j_opt(o, "temp_c", d->temp_c, d->valid, LV_SNAP_HAS_TEMP);
	j_opt(o, "emc_freq_hz", (double)d->emc_freq_hz, d->valid, LV_SNAP_HAS_EMC);
	j_opt(o, "ram_used_bytes", (double)d->ram_used_bytes, d->valid, LV_SNAP_HAS_RAM);
	j_opt(o, "ram_total_bytes", (double)d->ram_total_bytes, d->valid, LV_SNAP_HAS_RAM);
	j_opt(o, "cpu_load_pct", d->cpu_load_pct, d->valid, LV_SNAP_HAS_CPU);
	cJSON *rails = cJSON_AddObjectToObject(o, "rails_w");
	for (size_t k = 0; k < d->n_rails; k++)
		j_num(rails, d->rails[k].name, d->rails[k].power_w);
	j_num(o, "batches", (double)d->batches);
	j_num(o, "frames", (double)d->frames);
	j_num(o, "late", (double)d->late);
	j_num(o, "failed", (double)d->failed);
	j_num(o, "last_batch", d->last_batch);
	j_num(o, "fps", d->fps);
	if (d->last_error[0])
		cJSON_AddStringToObject(o, "last_error", d->last_error);
	else
		cJSON_AddNullToObject(o, "last_error");
	if (d->transport[0])
		cJSON_AddStringToObject(o, "transport", d->transport);
	else
		cJSON_AddNullToObject(o, "transport");
	j_num(o, "shm_bytes", (double)d->shm_bytes);
	cJSON_AddStringToObject(o, "wire", d->wire[0] ? d->wire : "fp32");
	j_num(o, "wire_bytes", (double)d->wire_bytes);
	j_num(o, "restarts", (double)d->restarts);
	status_pmode(o, d);
	return o;
}

static cJSON *status_frames(const struct lv_snapshot *s)
{
	cJSON *o = cJSON_CreateObject();
	j_num(o, "received", (double)s->counts.received);
	for (int st = 0; st < LV_FRAME_NSTATES; st++)
		j_num(o, lv_frame_state_name((enum lv_frame_state)st),
		      (double)s->counts.by_state[st]);
	return o;
}

static cJSON *status_latency(const struct lv_snapshot *s)
{
	cJSON *o = cJSON_CreateObject(), *buckets = cJSON_CreateArray();
	uint64_t n = 0;
	for (size_t i = 0; i < LV_SNAP_LAT_BUCKETS; i++) {
		cJSON *bk = cJSON_CreateObject();
		double le = s->lat_bounds_s[i];
		if (isinf(le))
			cJSON_AddStringToObject(bk, "le", "+Inf");
		else
			j_num(bk, "le", le);
		j_num(bk, "count", (double)s->lat_counts[i]);
		cJSON_AddItemToArray(buckets, bk);
		n += s->lat_counts[i];
	}
	j_num(o, "served", (double)n);
	j_num(o, "mean_s", n ? s->lat_sum_s / (double)n : NAN);
	cJSON_AddItemToObject(o, "buckets", buckets);
	return o;
}

/* Counts by row kind: {"frames": n, ...}. */
static cJSON *status_rows(const uint64_t *v)
{
	cJSON *o = cJSON_CreateObject();
	for (int k = 0; k < LV_SNAP_ROW_KINDS; k++)
		j_num(o, lv_snap_row_kind_name(k), (double)v[k]);
	return o;
}

/* The store's record; null without a database. */
static cJSON *status_store(const struct lv_snap_store *st)
{
	if (!st->enabled)
		return cJSON_CreateNull();
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "complete", lv_snap_store_lost(st) == 0);
	cJSON_AddBoolToObject(o, "failing", st->failing);
	cJSON_AddItemToObject(o, "written", status_rows(st->written));
	cJSON_AddItemToObject(o, "lost", status_rows(st->lost));
	cJSON_AddItemToObject(o, "pending", status_rows(st->pending));
	j_num(o, "write_failures", (double)st->failures);
	j_num(o, "gaps", (double)st->gaps);
	if (st->last_error[0])
		cJSON_AddStringToObject(o, "last_error", st->last_error);
	else
		cJSON_AddNullToObject(o, "last_error");
	return o;
}

/* What the front end refused: {"requests": N, "frames": N, "by_reason": {reason: {..}}}. */
static cJSON *status_refused(const struct lv_frontend_stats *fe)
{
	cJSON *o = cJSON_CreateObject(), *by = cJSON_CreateObject();
	uint64_t reqs, frames = lv_frontend_refused(fe, &reqs);
	j_num(o, "requests", (double)reqs);
	j_num(o, "frames", (double)frames);
	for (int i = 0; i < LV_FE_REFUSE_COUNT; i++) {
		if (!fe->refused_requests[i])
			continue;
		cJSON *r =
		    cJSON_AddObjectToObject(by, lv_frontend_refusal_name((enum lv_fe_refusal)i));
		j_num(r, "requests", (double)fe->refused_requests[i]);
		j_num(r, "frames", (double)fe->refused_frames[i]);
	}
	cJSON_AddItemToObject(o, "by_reason", by);
	return o;
}

char *lv_prom_status_json(const struct lv_snapshot *s, const struct lv_frontend_stats *fe,
                          size_t *len_out)
{
	cJSON *root = cJSON_CreateObject(), *o;

	cJSON_AddStringToObject(root, "policy", s->policy);
	cJSON_AddStringToObject(root, "mode", s->mode);
	cJSON_AddStringToObject(root, "cluster", s->cluster);
	j_num(root, "seq", (double)s->seq);
	j_num(root, "now_s", s->now_s);
	j_num(root, "uptime_s", s->uptime_s);
	o = cJSON_AddObjectToObject(root, "queue");
	j_num(o, "frames", (double)s->queue_len);
	j_num(o, "min_deadline_s", s->min_deadline_s);
	cJSON_AddItemToObject(root, "frames", status_frames(s));
	if (fe)
		cJSON_AddItemToObject(root, "refused", status_refused(fe));
	else
		cJSON_AddNullToObject(root, "refused");
	o = cJSON_AddObjectToObject(root, "batches");
	j_num(o, "dispatched", (double)s->counts.batches_dispatched);
	j_num(o, "failed", (double)s->counts.batches_failed);
	j_num(root, "decisions", (double)s->counts.decisions);
	o = cJSON_AddObjectToObject(root, "rates");
	j_num(o, "fps", s->fps);
	j_num(o, "power_w", s->power_w);
	j_num(o, "energy_j", s->energy_j);
	j_num(o, "fpj_60s", s->fpj_60s);
	j_num(o, "fpj_total", s->fpj_total);
	j_num(o, "pct_ok_60s", s->pct_ok_60s);
	j_num(o, "pct_ok_total", s->pct_ok_total);
	cJSON_AddItemToObject(root, "latency", status_latency(s));
	cJSON_AddItemToObject(root, "store", status_store(&s->store));
	o = cJSON_AddArrayToObject(root, "devices");
	for (size_t i = 0; i < s->n_devices; i++)
		cJSON_AddItemToArray(o, status_device(&s->devices[i]));
	char *txt = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (!txt)
		txt = lv_xstrdup("{}"); /* cJSON only fails when out of memory */
	if (len_out)
		*len_out = strlen(txt);
	return txt;
}
