/*
 * status_parse: /status's JSON back into a snapshot. See status_parse.h.
 * The field names are prom.c's (lv_prom_status_json); a field missing or of
 * the wrong type reads as 0 (counts) or NAN (figures), so an older or newer
 * controller's document still shows what both know.
 */
#include "status_parse.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom.h"
#include "sched/snapshot.h"
#include "base/util.h"

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* A number, else NAN (null, missing, not a number). */
static double num(const cJSON *o, const char *k)
{
	const cJSON *v = get(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static uint64_t count(const cJSON *o, const char *k)
{
	double v = num(o, k);
	return isfinite(v) && v > 0 ? (uint64_t)v : 0;
}

static void str(const cJSON *o, const char *k, char *out, size_t cap)
{
	const cJSON *v = get(o, k);
	snprintf(out, cap, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

/* An optional figure: sets *out and the bit when it is a number. */
static void opt(const cJSON *o, const char *k, double *out, unsigned *valid, unsigned bit)
{
	double v = num(o, k);
	if (isfinite(v)) {
		*out = v;
		*valid |= bit;
	}
}

/* "rails_w" {name: watts}: as many as the snapshot holds, numbers only. */
static void rails(const cJSON *o, struct lv_snap_device *d)
{
	const cJSON *r;
	cJSON_ArrayForEach (r, o) {
		if (d->n_rails == LV_SNAP_RAILS)
			break;
		if (!cJSON_IsNumber(r) || !r->string || !isfinite(r->valuedouble))
			continue;
		snprintf(d->rails[d->n_rails].name, sizeof d->rails[0].name, "%s", r->string);
		d->rails[d->n_rails++].power_w = r->valuedouble;
	}
}

/* "power_mode" (prom.c's status_pmode): null none, an id of null unknown. */
static void pmode(const cJSON *o, struct lv_snap_pmode *m)
{
	double id = num(o, "id"), cap = num(o, "gpu_max_hz");
	if (!cJSON_IsObject(o))
		return; /* NONE */
	m->state = LV_SNAP_PMODE_UNKNOWN;
	if (!isfinite(id) || id < 0 || id > 9999)
		return;
	m->state = LV_SNAP_PMODE_KNOWN;
	m->id = (int)id;
	str(o, "name", m->name, sizeof m->name);
	m->gpu_max_hz = isfinite(cap) && cap > 0 && cap < 1e12 ? (uint64_t)cap : 0;
}

static int device(const cJSON *o, struct lv_snap_device *d, size_t i, char **why)
{
	if (!cJSON_IsObject(o) || !cJSON_IsString(get(o, "name")))
		return lv_fail(why, LV_EINVAL, "/status: devices[%zu] has no name", i);
	str(o, "name", d->name, sizeof d->name);
	str(o, "kind", d->kind, sizeof d->kind);
	char state[16];
	str(o, "state", state, sizeof state);
	d->state = !strcmp(state, "down")       ? LV_DEV_DOWN
	           : !strcmp(state, "draining") ? LV_DEV_DRAINING
	                                        : LV_DEV_UP;
	d->inflight = (int)count(o, "inflight");
	d->freq_hz = count(o, "freq_hz");
	d->min_freq_hz = count(o, "min_freq_hz");
	d->max_freq_hz = count(o, "max_freq_hz");
	opt(o, "power_w", &d->power_w, &d->valid, LV_SNAP_HAS_POWER);
	opt(o, "energy_j", &d->energy_j, &d->valid, LV_SNAP_HAS_ENERGY);
	opt(o, "load_pct", &d->load_pct, &d->valid, LV_SNAP_HAS_LOAD);
	opt(o, "temp_c", &d->temp_c, &d->valid, LV_SNAP_HAS_TEMP);
	double emc = num(o, "emc_freq_hz");
	if (isfinite(emc) && emc >= 0) {
		d->emc_freq_hz = (uint64_t)emc;
		d->valid |= LV_SNAP_HAS_EMC;
	}
	double used = num(o, "ram_used_bytes"), total = num(o, "ram_total_bytes");
	if (isfinite(used) && isfinite(total) && used >= 0 && total > 0 && used <= total) {
		d->ram_used_bytes = (uint64_t)used;
		d->ram_total_bytes = (uint64_t)total;
		d->valid |= LV_SNAP_HAS_RAM;
	}
	opt(o, "cpu_load_pct", &d->cpu_load_pct, &d->valid, LV_SNAP_HAS_CPU);
	rails(get(o, "rails_w"), d);
	d->batches = count(o, "batches");
	d->frames = count(o, "frames");
	d->late = count(o, "late");
	d->failed = count(o, "failed");
	d->last_batch = (int)count(o, "last_batch");
	d->fps = num(o, "fps");
	str(o, "last_error", d->last_error, sizeof d->last_error);
	str(o, "transport", d->transport, sizeof d->transport);
	d->shm_bytes = count(o, "shm_bytes");
	d->restarts = count(o, "restarts");
	pmode(get(o, "power_mode"), &d->pmode);
	d->clock_clamps = count(o, "clock_clamps");
	d->clamp_asked_hz = count(get(o, "clamp"), "asked_hz");
	d->clamp_hz = count(get(o, "clamp"), "hz");
	return LV_OK;
}

static void latency(const cJSON *o, struct lv_snapshot *s)
{
	const cJSON *b = get(o, "buckets"), *e;
	size_t i = 0;
	double served = 0;
	cJSON_ArrayForEach (e, b) {
		if (i == LV_SNAP_LAT_BUCKETS)
			break;
		const cJSON *le = get(e, "le");
		s->lat_bounds_s[i] = cJSON_IsNumber(le) ? le->valuedouble : INFINITY;
		s->lat_counts[i] = count(e, "count");
		served += (double)s->lat_counts[i];
		i++;
	}
	for (; i < LV_SNAP_LAT_BUCKETS; i++)
		s->lat_bounds_s[i] = NAN;
	double mean = num(o, "mean_s");
	s->lat_sum_s = isfinite(mean) ? mean * served : 0;
}

static void store(const cJSON *o, struct lv_snap_store *st)
{
	if (!cJSON_IsObject(o))
		return; /* null: no database */
	st->enabled = 1;
	st->failing = cJSON_IsTrue(get(o, "failing"));
	for (int k = 0; k < LV_SNAP_ROW_KINDS; k++) {
		const char *n = lv_snap_row_kind_name(k);
		st->written[k] = count(get(o, "written"), n);
		st->lost[k] = count(get(o, "lost"), n);
		st->pending[k] = count(get(o, "pending"), n);
	}
	st->failures = count(o, "write_failures");
	st->gaps = count(o, "gaps");
	str(o, "last_error", st->last_error, sizeof st->last_error);
}

struct lv_snapshot *lv_status_parse(const char *json, size_t len, char **why)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	struct lv_snapshot *s = NULL;
	if (!root || !cJSON_IsObject(root)) {
		lv_fail(why, LV_EINVAL, "/status: not a JSON object");
		goto out;
	}
	const cJSON *devs = get(root, "devices");
	if (!cJSON_IsArray(devs)) {
		lv_fail(why, LV_EINVAL, "/status: no \"devices\" array");
		goto out;
	}
	s = lv_xcalloc(1, sizeof(*s));
	str(root, "policy", s->policy, sizeof s->policy);
	str(root, "mode", s->mode, sizeof s->mode);
	str(root, "cluster", s->cluster, sizeof s->cluster);
	s->seq = count(root, "seq");
	s->now_s = num(root, "now_s");
	s->uptime_s = num(root, "uptime_s");
	s->queue_len = (size_t)count(get(root, "queue"), "frames");
	s->min_deadline_s = num(get(root, "queue"), "min_deadline_s");
	if (isnan(s->min_deadline_s))
		s->min_deadline_s = INFINITY; /* null: the queue is empty */
	const cJSON *fr = get(root, "frames");
	s->counts.received = count(fr, "received");
	for (int st = 0; st < LV_FRAME_NSTATES; st++)
		s->counts.by_state[st] = count(fr, lv_frame_state_name((enum lv_frame_state)st));
	s->counts.batches_dispatched = count(get(root, "batches"), "dispatched");
	s->counts.batches_failed = count(get(root, "batches"), "failed");
	s->counts.decisions = count(root, "decisions");
	const cJSON *r = get(root, "rates");
	s->fps = num(r, "fps");
	s->power_w = num(r, "power_w");
	s->energy_j = num(r, "energy_j");
	s->fpj_60s = num(r, "fpj_60s");
	s->fpj_total = num(r, "fpj_total");
	s->pct_ok_60s = num(r, "pct_ok_60s");
	s->pct_ok_total = num(r, "pct_ok_total");
	latency(get(root, "latency"), s);
	store(get(root, "store"), &s->store);
	s->n_devices = (size_t)cJSON_GetArraySize(devs);
	s->devices = lv_xcalloc(s->n_devices + 1, sizeof(*s->devices));
	for (size_t i = 0; i < s->n_devices; i++)
		if (device(cJSON_GetArrayItem(devs, (int)i), &s->devices[i], i, why) != LV_OK) {
			lv_snapshot_free(s);
			s = NULL;
			goto out;
		}
out:
	cJSON_Delete(root);
	return s;
}
