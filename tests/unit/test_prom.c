/*
 * test_prom: /metrics and /status rendered from a hand-made snapshot. Exact
 * lines are checked against values written down here; the whole text goes
 * through a strict checker of the exposition format (below) and, when it is
 * installed, through `promtool check metrics`.
 */
#include "testutil.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "front/frontend.h"
#include "front/prom.h"
#include "front/status_parse.h"
#include "sched/snapshot.h"
#include "base/file.h"
#include "base/procstat.h"
#include "base/util.h"

/* 100 frames: 3 queued, 2 in flight, 80 ok, 10 late, 1 failed, 2 expired, 2 rejected. */
static void make_snapshot(struct lv_snapshot *s, struct lv_snap_device *d)
{
	static const double bounds[LV_SNAP_LAT_BUCKETS] = { 0.05, 0.1, 0.25, 0.5, 1,  2,
		                                            5,    10,  20,   30,  60, INFINITY };
	static const uint64_t counts[LV_SNAP_LAT_BUCKETS] = {
		0, 5, 10, 20, 30, 15, 5, 3, 1, 1, 0, 0
	};

	memset(s, 0, sizeof *s);
	memset(d, 0, 3 * sizeof *d);
	s->seq = 42;
	s->now_s = 120.5;
	s->uptime_s = 120.5;
	strcpy(s->policy, "loud(prof)");
	strcpy(s->mode, "prof");
	strcpy(s->cluster, "lab \"A\"\\B\nx");
	s->queue_len = 3;
	s->min_deadline_s = INFINITY;
	s->counts.received = 100;
	const uint64_t by_state[LV_FRAME_NSTATES] = { 3, 2, 80, 10, 1, 2, 2 };
	memcpy(s->counts.by_state, by_state, sizeof by_state);
	s->counts.batches_dispatched = 30;
	s->counts.batches_failed = 1;
	s->counts.decisions = 55;
	s->power_w = 25.5;
	s->energy_j = 1234.5;
	s->fps = 12.25;
	s->fpj_60s = 0.5;
	s->fpj_total = 0.25;
	s->pct_ok_60s = 90;
	s->pct_ok_total = 80;
	memcpy(s->lat_bounds_s, bounds, sizeof bounds);
	memcpy(s->lat_counts, counts, sizeof counts);
	s->lat_sum_s = 45.5;

	strcpy(d[0].name, "agx0");
	strcpy(d[0].kind, "agx-xavier");
	d[0].state = LV_DEV_UP;
	d[0].valid = LV_SNAP_HAS_POWER | LV_SNAP_HAS_ENERGY | LV_SNAP_HAS_LOAD | LV_SNAP_HAS_EMC |
	             LV_SNAP_HAS_RAM | LV_SNAP_HAS_CPU;
	d[0].ram_total_bytes = 8ull << 30;
	d[0].ram_used_bytes = 3ull << 30;
	d[0].cpu_load_pct = 37.5;
	d[0].emc_freq_hz = 1600000000;
	d[0].pmode = (struct lv_snap_pmode){ .state = LV_SNAP_PMODE_KNOWN,
		                             .id = 3,
		                             .name = "MODE_30W_ALL",
		                             .gpu_max_hz = 900000000 };
	d[0].clock_clamps = 1;
	d[0].clamp_asked_hz = 1377000000;
	d[0].clamp_hz = 828750000;
	d[0].inflight = 2;
	d[0].freq_hz = 1377000000;
	d[0].min_freq_hz = 114750000;
	d[0].max_freq_hz = 1377000000;
	d[0].power_w = 15.25;
	d[0].energy_j = 600;
	d[0].load_pct = 55;
	d[0].batches = 20;
	d[0].frames = 60;
	d[0].late = 4;
	d[0].failed = 1;
	d[0].n_rails = 2;
	strcpy(d[0].rails[0].name, "GPU");
	d[0].rails[0].power_w = 9.5;
	strcpy(d[0].rails[1].name, "CPU");
	d[0].rails[1].power_w = 2.25;
	d[0].last_batch = 8;
	d[0].fps = 9.5;
	strcpy(d[0].transport, "shm");
	d[0].shm_bytes = 4291248;
	strcpy(d[1].name, "nx\"1\\a");
	strcpy(d[1].kind, "xavier-nx");
	d[1].state = LV_DEV_DRAINING;
	d[1].frames = 30;
	d[1].batches = 10;
	strcpy(d[1].last_error, "PUT /gpu/frequency: 401");
	strcpy(d[1].transport, "body");
	d[1].pmode.state = LV_SNAP_PMODE_UNKNOWN; /* a real board that cannot tell */
	strcpy(d[2].name, "nano0");
	strcpy(d[2].kind, "nano");
	d[2].state = LV_DEV_DOWN;
	s->n_devices = 3;
	s->devices = d;
}

static void assert_has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p++) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
	}
	fail_msg("missing line: %s", line);
}

/* ---- a strict exposition-format checker -------------------------------- */

struct family {
	char name[128], type[16];
	int has_help, has_type, n_samples;
	char (*keys)[1024]; /* series seen: name|labels|le */
	double last_le, last_bucket;
	int saw_inf;
	double inf_value, count_value;
	int has_count;
};

static int valid_name(const char *s, size_t n)
{
	if (!n || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == ':'))
			return 0;
	return 1;
}

static int parse_value(const char *s, double *v)
{
	if (!strcmp(s, "NaN"))
		*v = NAN;
	else if (!strcmp(s, "+Inf"))
		*v = INFINITY;
	else if (!strcmp(s, "-Inf"))
		*v = -INFINITY;
	else {
		char *end;
		*v = strtod(s, &end);
		return end != s && *end == '\0' && isfinite(*v);
	}
	return 1;
}

/* Parses {k="v",...} at *p; checks names and escapes; returns le's value when present. */
static void parse_labels(const char **p, char *canon, size_t cap, char *le, int lineno)
{
	const char *s = *p + 1;
	size_t cl = 0;
	le[0] = '\0';
	while (*s != '}') {
		const char *k = s;
		while (*s && *s != '=')
			s++;
		if (!valid_name(k, (size_t)(s - k)) || s[1] != '"')
			fail_msg("line %d: bad label name", lineno);
		int is_le = s - k == 2 && !strncmp(k, "le", 2);
		char val[256];
		size_t vl = 0;
		for (s += 2; *s != '"'; s++) {
			if (!*s || *s == '\n')
				fail_msg("line %d: unterminated label value", lineno);
			if (*s == '\\') {
				s++;
				if (*s != '\\' && *s != '"' && *s != 'n')
					fail_msg("line %d: bad escape \\%c", lineno, *s);
			}
			val[vl++] = *s;
		}
		val[vl] = '\0';
		if (is_le)
			strcpy(le, val);
		else
			cl += (size_t)snprintf(canon + cl, cap - cl, "%.*s=%s;",
			                       (int)(strchr(k, '=') - k), k, val);
		s++;
		if (*s == ',')
			s++;
		else if (*s != '}')
			fail_msg("line %d: want , or } after a label", lineno);
	}
	*p = s + 1;
}

static void check_sample(struct family *f, const char *line, int lineno)
{
	const char *p = line;
	while (*p && *p != '{' && *p != ' ')
		p++;
	size_t nl = (size_t)(p - line);
	if (!valid_name(line, nl))
		fail_msg("line %d: bad metric name", lineno);
	if (!f->has_help || !f->has_type)
		fail_msg("line %d: sample before its family's HELP and TYPE", lineno);
	const char *suffix = line + strlen(f->name);
	if (strncmp(line, f->name, strlen(f->name)) ||
	    !(nl == strlen(f->name) ||
	      (!strcmp(f->type, "histogram") &&
	       (!strncmp(suffix, "_bucket", 7) || !strncmp(suffix, "_sum", 4) ||
	        !strncmp(suffix, "_count", 6)))))
		fail_msg("line %d: sample %.*s outside its family %s", lineno, (int)nl, line,
		         f->name);
	char canon[512] = "", le[64];
	if (*p == '{')
		parse_labels(&p, canon, sizeof canon, le, lineno);
	else
		le[0] = '\0';
	if (*p != ' ')
		fail_msg("line %d: want one space before the value", lineno);
	double v;
	if (!parse_value(p + 1, &v))
		fail_msg("line %d: bad value '%s'", lineno, p + 1);
	/* Label sets are unique within a series name. */
	char key[1024];
	if ((size_t)snprintf(key, sizeof key, "%.*s|%s|%s", (int)nl, line, canon, le) >= sizeof key)
		fail_msg("line %d: series too long", lineno);
	for (int i = 0; i < f->n_samples; i++)
		if (!strcmp(f->keys[i], key))
			fail_msg("line %d: duplicate series %s", lineno, key);
	f->keys = realloc(f->keys, (size_t)(f->n_samples + 1) * sizeof *f->keys);
	strcpy(f->keys[f->n_samples++], key);
	if (!strcmp(f->type, "histogram") && !strncmp(suffix, "_bucket", 7)) {
		double lev;
		if (!le[0] || !parse_value(le, &lev))
			fail_msg("line %d: bucket without a numeric le", lineno);
		if (f->n_samples > 1 && (lev <= f->last_le || v < f->last_bucket))
			fail_msg("line %d: buckets not increasing and cumulative", lineno);
		f->last_le = lev;
		f->last_bucket = v;
		if (isinf(lev)) {
			f->saw_inf = 1;
			f->inf_value = v;
		}
	} else if (!strcmp(f->type, "histogram") && !strncmp(suffix, "_count", 6)) {
		f->has_count = 1;
		f->count_value = v;
	}
}

static void end_family(struct family *f)
{
	if (!strcmp(f->type, "histogram") &&
	    (!f->saw_inf || !f->has_count || f->inf_value != f->count_value))
		fail_msg("histogram %s: le=\"+Inf\" bucket must equal _count", f->name);
	free(f->keys);
	f->keys = NULL;
}

/* Checks the whole text; returns the number of families. */
static int check_exposition(const char *text)
{
	char seen[64][128];
	int n_seen = 0, lineno = 0;
	struct family f = { 0 };
	const char *line = text;

	assert_true(text[0] && text[strlen(text) - 1] == '\n');
	while (*line) {
		const char *nl = strchr(line, '\n');
		char buf[1024];
		lineno++;
		assert_true(nl && (size_t)(nl - line) < sizeof buf);
		snprintf(buf, sizeof buf, "%.*s", (int)(nl - line), line);
		if (!buf[0])
			fail_msg("line %d: empty", lineno);
		char name[128], rest[512];
		if (sscanf(buf, "# HELP %127s %511[^\n]", name, rest) == 2) {
			if (strcmp(name, f.name)) {
				if (f.name[0])
					end_family(&f);
				for (int i = 0; i < n_seen; i++)
					if (!strcmp(seen[i], name))
						fail_msg("line %d: family %s declared twice",
						         lineno, name);
				assert_true(n_seen < 64);
				strcpy(seen[n_seen++], name);
				memset(&f, 0, sizeof f);
				strcpy(f.name, name);
			}
			if (f.has_help++ || f.n_samples)
				fail_msg("line %d: HELP twice or after samples", lineno);
		} else if (sscanf(buf, "# TYPE %127s %511s", name, rest) == 2) {
			if (strcmp(name, f.name) || !f.has_help || f.has_type++)
				fail_msg("line %d: TYPE must follow its HELP, once", lineno);
			if (strcmp(rest, "counter") && strcmp(rest, "gauge") &&
			    strcmp(rest, "histogram"))
				fail_msg("line %d: unexpected type %s", lineno, rest);
			if (!strcmp(rest, "counter") &&
			    (strlen(name) < 6 || strcmp(name + strlen(name) - 6, "_total")))
				fail_msg("line %d: counter %s must end in _total", lineno, name);
			strcpy(f.type, rest);
		} else if (buf[0] == '#') {
			fail_msg("line %d: unexpected comment", lineno);
		} else {
			check_sample(&f, buf, lineno);
		}
		line = nl + 1;
	}
	if (f.name[0])
		end_family(&f);
	return n_seen;
}

/* Runs promtool on text when it is installed; 1 if it accepted, -1 if absent. */
static int promtool(const char *text)
{
	if (access("/usr/bin/promtool", X_OK) != 0)
		return -1;
	char *dir = lv_test_mkdtemp();
	char *in = lv_test_write(dir, "m.txt", text);
	char *cmd = lv_xasprintf("/usr/bin/promtool check metrics < '%s' > '%s/out' 2>&1", in, dir);
	int st = system(cmd);
	char *out_path = lv_xasprintf("%s/out", dir);
	char *out = lv_read_file(out_path, NULL, NULL);
	if (st != 0)
		print_message("promtool: %s\n", out ? out : "?");
	free(out);
	free(out_path);
	free(cmd);
	free(in);
	lv_test_rmtree(dir);
	free(dir);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* ---- tests ------------------------------------------------------------- */

static void test_metrics_exact_lines(void **state)
{
	(void)state;
	struct lv_snapshot s;
	struct lv_snap_device d[3];
	make_snapshot(&s, d);
	size_t len;
	char *t = lv_prom_render(&s, NULL, &len);
	assert_int_equal(len, strlen(t));

	assert_has_line(
	    t, "# HELP loudva_frames_total Frames that reached a terminal state, by state.");
	assert_has_line(t, "# TYPE loudva_frames_total counter");
	assert_has_line(t, "loudva_info{policy=\"loud(prof)\",mode=\"prof\","
	                   "cluster=\"lab \\\"A\\\"\\\\B\\nx\"} 1");
	assert_has_line(t, "loudva_uptime_seconds 120.5");
	assert_has_line(t, "loudva_frames_received_total 100");
	assert_has_line(t, "loudva_frames_total{state=\"ok\"} 80");
	assert_has_line(t, "loudva_frames_total{state=\"late\"} 10");
	assert_has_line(t, "loudva_frames_total{state=\"failed\"} 1");
	assert_has_line(t, "loudva_frames_total{state=\"expired\"} 2");
	assert_has_line(t, "loudva_frames_total{state=\"rejected\"} 2");
	assert_has_line(t, "loudva_frames_pending{state=\"queued\"} 3");
	assert_has_line(t, "loudva_frames_pending{state=\"inflight\"} 2");
	assert_has_line(t, "loudva_queue_depth 3");
	assert_has_line(t, "loudva_batches_dispatched_total 30");
	assert_has_line(t, "loudva_power_watts 25.5");
	assert_has_line(t, "loudva_energy_joules_total 1234.5");
	assert_has_line(t, "loudva_frames_per_joule{window=\"60s\"} 0.5");
	assert_has_line(t, "loudva_qos_ok_ratio{window=\"total\"} 0.8");
	/* Cumulative buckets: 0, 5, 15, 35, 65, 80, 85, 88, 89, 90, 90, 90. */
	assert_has_line(t, "# TYPE loudva_frame_latency_seconds histogram");
	assert_has_line(t, "loudva_frame_latency_seconds_bucket{le=\"0.05\"} 0");
	assert_has_line(t, "loudva_frame_latency_seconds_bucket{le=\"0.25\"} 15");
	assert_has_line(t, "loudva_frame_latency_seconds_bucket{le=\"1\"} 65");
	assert_has_line(t, "loudva_frame_latency_seconds_bucket{le=\"20\"} 89");
	assert_has_line(t, "loudva_frame_latency_seconds_bucket{le=\"+Inf\"} 90");
	assert_has_line(t, "loudva_frame_latency_seconds_sum 45.5");
	assert_has_line(t, "loudva_frame_latency_seconds_count 90");
	/* Devices, with the awkward name escaped. */
	assert_has_line(t, "loudva_device_info{device=\"agx0\",kind=\"agx-xavier\"} 1");
	assert_has_line(t, "loudva_device_state{device=\"nx\\\"1\\\\a\",state=\"draining\"} 1");
	assert_has_line(t, "loudva_device_state{device=\"nx\\\"1\\\\a\",state=\"up\"} 0");
	assert_has_line(t, "loudva_device_state{device=\"nano0\",state=\"down\"} 1");
	assert_has_line(t, "loudva_device_gpu_clock_hertz{device=\"agx0\"} 1377000000");
	assert_has_line(t, "loudva_device_power_watts{device=\"agx0\"} 15.25");
	assert_has_line(t, "loudva_device_energy_joules_total{device=\"agx0\"} 600");
	assert_has_line(t, "loudva_device_gpu_load_ratio{device=\"agx0\"} 0.55");
	assert_has_line(t, "loudva_device_memory_clock_hertz{device=\"agx0\"} 1600000000");
	assert_null(strstr(t, "loudva_device_memory_clock_hertz{device=\"nano0\"}"));
	assert_has_line(t, "loudva_device_frames_total{device=\"nx\\\"1\\\\a\"} 30");
	assert_has_line(t, "loudva_device_last_batch_size{device=\"agx0\"} 8");
	assert_has_line(t, "loudva_device_shm_bytes{device=\"agx0\"} 4291248");
	assert_has_line(t, "loudva_device_shm_bytes{device=\"nano0\"} 0");
	assert_has_line(t, "loudva_device_late_frames_total{device=\"agx0\"} 4");
	assert_has_line(t, "loudva_device_failed_frames_total{device=\"agx0\"} 1");
	assert_has_line(t, "loudva_device_failed_frames_total{device=\"nano0\"} 0");
	assert_has_line(t, "loudva_device_rail_power_watts{device=\"agx0\",rail=\"GPU\"} 9.5");
	assert_has_line(t, "loudva_device_rail_power_watts{device=\"agx0\",rail=\"CPU\"} 2.25");
	assert_null(strstr(t, "loudva_device_rail_power_watts{device=\"nano0\""));
	/* The power mode: only where it is known; its cap only where it has one. */
	assert_has_line(t, "loudva_device_power_mode{device=\"agx0\",name=\"MODE_30W_ALL\"} 3");
	assert_has_line(t, "loudva_device_power_mode_gpu_max_hertz{device=\"agx0\"} 900000000");
	assert_null(strstr(t, "loudva_device_power_mode{device=\"nx"));
	assert_null(strstr(t, "loudva_device_power_mode_gpu_max_hertz{device=\"nano0\""));
	assert_has_line(t, "loudva_device_clock_clamps_total{device=\"agx0\"} 1");
	assert_has_line(t, "loudva_device_clock_clamps_total{device=\"nano0\"} 0");
	/* No telemetry, no sample: power only for agx0, no temperature at all. */
	assert_null(strstr(t, "loudva_device_power_watts{device=\"nano0\"}"));
	assert_null(strstr(t, "loudva_device_temperature_celsius"));
	assert_null(strstr(t, "loudva_http_"));

	int families = check_exposition(t);
	assert_true(families >= 25);
	int pt = promtool(t);
	if (pt < 0)
		print_message("promtool not installed: strict checker only\n");
	else
		assert_int_equal(pt, 1);
	free(t);
}

static void test_metrics_http_only(void **state)
{
	(void)state;
	struct lv_frontend_stats fe = { .requests = 7,
		                        .by_code = { [0] = 4, [1] = 2, [LV_FE_CODE_COUNT - 1] = 1 },
		                        .inference_ok = 4,
		                        .bad_request = 2,
		                        .too_large = 1,
		                        .frames_submitted = 12,
		                        .body_bytes = 1234567 };
	fe.refused_requests[LV_FE_REFUSE_TOO_MANY_IMAGES] = 1;
	fe.refused_frames[LV_FE_REFUSE_TOO_MANY_IMAGES] = 89;
	char *t = lv_prom_render(NULL, &fe, NULL);
	assert_has_line(t, "loudva_http_refused_requests_total{reason=\"too_many_images\"} 1");
	assert_has_line(t, "loudva_http_refused_frames_total{reason=\"too_many_images\"} 89");
	assert_has_line(t, "loudva_http_refused_frames_total{reason=\"busy\"} 0");
	assert_has_line(t, "loudva_http_requests_total{code=\"200\"} 4");
	assert_has_line(t, "loudva_http_requests_total{code=\"400\"} 2");
	assert_has_line(t, "loudva_http_requests_total{code=\"other\"} 1");
	assert_null(strstr(t, "loudva_http_requests_total{code=\"404\"}"));
	assert_has_line(t, "loudva_http_inference_requests_total{outcome=\"ok\"} 4");
	assert_has_line(t, "loudva_http_inference_requests_total{outcome=\"bad_request\"} 2");
	assert_has_line(t, "loudva_http_inference_requests_total{outcome=\"too_large\"} 1");
	assert_has_line(t, "loudva_http_frames_submitted_total 12");
	assert_has_line(t, "loudva_http_received_bytes_total 1234567");
	assert_null(strstr(t, "loudva_frames_total"));
	assert_int_equal(check_exposition(t), 6);
	assert_int_not_equal(promtool(t), 0);
	free(t);

	/* Both together still form one valid exposition. */
	struct lv_snapshot s;
	struct lv_snap_device d[3];
	make_snapshot(&s, d);
	s.n_devices = 0; /* a cluster with no devices yet: no device families */
	t = lv_prom_render(&s, &fe, NULL);
	assert_null(strstr(t, "loudva_device_"));
	check_exposition(t);
	assert_int_not_equal(promtool(t), 0);
	free(t);
}

/* Build info and the process_* families, from hand-made figures and from this process. */
static void test_process(void **state)
{
	(void)state;
	struct lv_proc_stats p = { .valid = LV_PROC_HAS_CPU | LV_PROC_HAS_MEM | LV_PROC_HAS_FDS |
		                            LV_PROC_HAS_LIMIT | LV_PROC_HAS_START,
		                   .cpu_s = 1.5,
		                   .rss_bytes = 4096,
		                   .vsize_bytes = 8192,
		                   .open_fds = 7,
		                   .max_fds = UINT64_MAX,
		                   .start_time_s = 1.7e9 };
	char *t = lv_prom_render_process(&p, "1.2.3", NULL);
	assert_has_line(t, "loudva_build_info{version=\"1.2.3\"} 1");
	assert_has_line(t, "process_cpu_seconds_total 1.5");
	assert_has_line(t, "process_resident_memory_bytes 4096");
	assert_has_line(t, "process_virtual_memory_bytes 8192");
	assert_has_line(t, "process_open_fds 7");
	assert_has_line(t, "process_max_fds +Inf");
	assert_has_line(t, "process_start_time_seconds 1700000000");
	assert_int_equal(check_exposition(t), 7);
	assert_int_not_equal(promtool(t), 0);
	free(t);

	/* A figure not read is left out. */
	p.valid = LV_PROC_HAS_FDS;
	t = lv_prom_render_process(&p, NULL, NULL);
	assert_null(strstr(t, "loudva_build_info"));
	assert_null(strstr(t, "process_cpu_seconds_total"));
	assert_has_line(t, "process_open_fds 7");
	free(t);

	/* This process, read from /proc: plausible figures. */
	struct lv_proc_stats me;
	unsigned v = lv_proc_stats_read(&me);
	assert_int_equal(v & (LV_PROC_HAS_CPU | LV_PROC_HAS_MEM | LV_PROC_HAS_FDS),
	                 LV_PROC_HAS_CPU | LV_PROC_HAS_MEM | LV_PROC_HAS_FDS);
	assert_true(me.rss_bytes > 1024 * 1024);
	assert_true(me.open_fds >= 3);
	assert_true(me.cpu_s >= 0);
	if (v & LV_PROC_HAS_START) {
		time_t now = time(NULL);
		assert_true(me.start_time_s > (double)now - 3600 &&
		            me.start_time_s <= (double)now + 2);
	}
}

/* /status read back (an attached console's snapshot): what it carries survives the trip. */
static void test_status_round_trip(void **state)
{
	(void)state;
	struct lv_snapshot s;
	struct lv_snap_device d[3];
	make_snapshot(&s, d);
	size_t len;
	char *t = lv_prom_status_json(&s, NULL, &len), *why = NULL;
	struct lv_snapshot *r = lv_status_parse(t, len, &why);
	free(t);
	assert_non_null(r);
	assert_string_equal(r->policy, s.policy);
	assert_string_equal(r->cluster, s.cluster);
	assert_int_equal(r->seq, 42);
	assert_int_equal(r->queue_len, 3);
	assert_true(isinf(r->min_deadline_s));
	assert_int_equal(r->counts.received, 100);
	assert_memory_equal(r->counts.by_state, s.counts.by_state, sizeof s.counts.by_state);
	assert_int_equal(r->counts.batches_failed, 1);
	assert_true(r->power_w == 25.5 && r->fps == 12.25 && r->pct_ok_60s == 90);
	assert_int_equal(r->lat_counts[4], 30);
	assert_true(isinf(r->lat_bounds_s[LV_SNAP_LAT_BUCKETS - 1]));
	assert_true(fabs(r->lat_sum_s - 45.5) < 1e-9);
	assert_int_equal(r->n_devices, 3);
	assert_string_equal(r->devices[1].name, "nx\"1\\a");
	assert_int_equal(r->devices[1].state, LV_DEV_DRAINING);
	assert_int_equal(r->devices[2].state, LV_DEV_DOWN);
	assert_int_equal(r->devices[0].valid, LV_SNAP_HAS_POWER | LV_SNAP_HAS_ENERGY |
	                                          LV_SNAP_HAS_LOAD | LV_SNAP_HAS_EMC |
	                                          LV_SNAP_HAS_RAM | LV_SNAP_HAS_CPU);
	assert_int_equal(r->devices[0].emc_freq_hz, 1600000000);
	assert_int_equal(r->devices[2].valid, 0); /* nulls: no made-up zeros */
	assert_true(r->devices[0].power_w == 15.25);
	assert_int_equal(r->devices[0].freq_hz, 1377000000);
	assert_int_equal(r->devices[0].late, 4);
	assert_int_equal(r->devices[0].failed, 1);
	assert_string_equal(r->devices[1].last_error, "PUT /gpu/frequency: 401");
	assert_string_equal(r->devices[0].transport, "shm");
	assert_memory_equal(&r->devices[0].pmode, &s.devices[0].pmode,
	                    sizeof(struct lv_snap_pmode));
	assert_int_equal(r->devices[1].pmode.state, LV_SNAP_PMODE_UNKNOWN);
	assert_int_equal(r->devices[2].pmode.state, LV_SNAP_PMODE_NONE);
	assert_int_equal(r->devices[0].clock_clamps, 1);
	assert_int_equal(r->devices[0].clamp_asked_hz, 1377000000);
	assert_int_equal(r->devices[0].clamp_hz, 828750000);
	assert_int_equal(r->devices[1].clamp_asked_hz, 0);
	/* the rails, RAM and CPU load an attached console's Device view shows */
	assert_int_equal(r->devices[0].n_rails, 2);
	assert_string_equal(r->devices[0].rails[1].name, "CPU");
	assert_true(r->devices[0].rails[1].power_w == 2.25);
	assert_int_equal(r->devices[0].ram_total_bytes, 8ull << 30);
	assert_int_equal(r->devices[0].ram_used_bytes, 3ull << 30);
	assert_true(r->devices[0].cpu_load_pct == 37.5);
	assert_true(r->devices[0].valid & LV_SNAP_HAS_RAM);
	assert_int_equal(r->devices[2].n_rails, 0);
	lv_snapshot_free(r);

	static const struct {
		const char *json, *why;
	} bad[] = {
		{ "not json", "/status: not a JSON object" },
		{ "[1]", "/status: not a JSON object" },
		{ "{\"policy\": \"loud\"}", "/status: no \"devices\" array" },
		{ "{\"devices\": [{\"kind\": \"nano\"}]}", "/status: devices[0] has no name" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why = NULL;
		assert_null(lv_status_parse(bad[i].json, strlen(bad[i].json), &why));
		assert_string_equal(why, bad[i].why);
		free(why);
	}
}

static void test_numbers(void **state)
{
	(void)state;
	char b[32];
	assert_string_equal(lv_prom_number(0.1, b), "0.1");
	assert_string_equal(lv_prom_number(100, b), "100");
	assert_string_equal(lv_prom_number(-2.5, b), "-2.5");
	assert_string_equal(lv_prom_number(1e-7, b), "1e-07");
	assert_string_equal(lv_prom_number(1.0 / 3.0, b), "0.3333333333333333");
	assert_true(strtod(lv_prom_number(1.0 / 3.0, b), NULL) == 1.0 / 3.0);
	assert_string_equal(lv_prom_number(NAN, b), "NaN");
	assert_string_equal(lv_prom_number(INFINITY, b), "+Inf");
	assert_string_equal(lv_prom_number(-INFINITY, b), "-Inf");
}

/* The item at a dotted path ("devices.0.power_w": digits index arrays); NULL if none. */
static const cJSON *at(const cJSON *o, const char *path)
{
	char buf[128];
	snprintf(buf, sizeof buf, "%s", path);
	const cJSON *cur = o;
	for (char *k = strtok(buf, "."); k; k = strtok(NULL, "."))
		cur = isdigit((unsigned char)k[0]) ? cJSON_GetArrayItem(cur, atoi(k))
		                                   : cJSON_GetObjectItemCaseSensitive(cur, k);
	return cur;
}

static double num(const cJSON *o, const char *path)
{
	const cJSON *v = at(o, path);
	if (!cJSON_IsNumber(v))
		fail_msg("%s is not a number", path);
	return v->valuedouble;
}

static const char *str(const cJSON *o, const char *path)
{
	const char *v = cJSON_GetStringValue(at(o, path));
	if (!v)
		fail_msg("%s is not a string", path);
	return v;
}

static void test_status_json(void **state)
{
	(void)state;
	struct lv_snapshot s;
	struct lv_snap_device d[3];
	make_snapshot(&s, d);
	size_t len;
	char *t = lv_prom_status_json(&s, NULL, &len);
	assert_int_equal(len, strlen(t));
	cJSON *o = cJSON_Parse(t);
	assert_non_null(o);

	assert_string_equal(cJSON_GetObjectItem(o, "policy")->valuestring, "loud(prof)");
	assert_string_equal(cJSON_GetObjectItem(o, "cluster")->valuestring, "lab \"A\"\\B\nx");
	assert_true(num(o, "queue.frames") == 3);
	assert_true(
	    cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "queue"), "min_deadline_s")));
	assert_true(num(o, "frames.received") == 100);
	assert_true(num(o, "frames.ok") == 80);
	assert_true(num(o, "frames.rejected") == 2);
	assert_true(num(o, "batches.dispatched") == 30);
	assert_true(num(o, "rates.fps") == 12.25);
	assert_true(num(o, "rates.pct_ok_total") == 80);
	assert_true(num(o, "latency.served") == 90);
	assert_float_equal(num(o, "latency.mean_s"), 45.5 / 90, 1e-12);
	assert_true(num(o, "latency.buckets.1.le") == 0.1);
	assert_true(num(o, "latency.buckets.1.count") == 5);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "devices")), 3);
	assert_true(num(o, "devices.0.power_w") == 15.25);
	assert_true(num(o, "devices.0.freq_hz") == 1377000000);
	assert_string_equal(str(o, "devices.1.name"), "nx\"1\\a");
	assert_string_equal(str(o, "devices.1.state"), "draining");
	assert_true(cJSON_IsNull(at(o, "devices.1.power_w")));
	assert_string_equal(str(o, "devices.1.last_error"), "PUT /gpu/frequency: 401");
	assert_true(num(o, "devices.1.frames") == 30);
	/* How batches reach each Triton; unknown (a snapshot from elsewhere) is null. */
	assert_string_equal(str(o, "devices.0.transport"), "shm");
	assert_string_equal(str(o, "devices.1.transport"), "body");
	assert_true(cJSON_IsNull(at(o, "devices.2.transport")));
	assert_true(num(o, "devices.0.shm_bytes") == 4291248);
	/* The power mode: null in emulation, ids and all null when a board cannot tell. */
	assert_true(num(o, "devices.0.power_mode.id") == 3);
	assert_string_equal(str(o, "devices.0.power_mode.name"), "MODE_30W_ALL");
	assert_true(num(o, "devices.0.power_mode.gpu_max_hz") == 900000000);
	assert_true(num(o, "devices.0.clamp.asked_hz") == 1377000000);
	assert_true(num(o, "devices.0.clamp.hz") == 828750000);
	assert_true(num(o, "devices.0.clock_clamps") == 1);
	assert_true(cJSON_IsNull(at(o, "devices.1.power_mode.id")));
	assert_true(cJSON_IsNull(at(o, "devices.1.power_mode.gpu_max_hz")));
	assert_true(cJSON_IsNull(at(o, "devices.1.clamp")));
	assert_true(cJSON_IsNull(at(o, "devices.2.power_mode")));
	cJSON_Delete(o);
	free(t);
}

/* The store's record: families only with a database; incomplete once a row is lost. */
static void test_store_record(void **state)
{
	(void)state;
	struct lv_snapshot s;
	struct lv_snap_device d[3];
	make_snapshot(&s, d);
	char *t = lv_prom_render(&s, NULL, NULL);
	assert_null(strstr(t, "loudva_store_"));
	free(t);
	t = lv_prom_status_json(&s, NULL, NULL);
	cJSON *o = cJSON_Parse(t);
	assert_true(cJSON_IsNull(at(o, "store")));
	cJSON_Delete(o);
	free(t);

	s.store.enabled = 1;
	s.store.failing = 1;
	s.store.written[LV_SNAP_ROWS_FRAMES] = 70;
	s.store.lost[LV_SNAP_ROWS_FRAMES] = 25;
	s.store.pending[LV_SNAP_ROWS_FRAMES] = 5;
	s.store.lost[LV_SNAP_ROWS_TELEMETRY] = 9;
	s.store.failures = 4;
	s.store.gaps = 1;
	strcpy(s.store.last_error, "x.db: adding a frame: database or disk is full (rolled back)");
	t = lv_prom_render(&s, NULL, NULL);
	assert_has_line(t, "# TYPE loudva_store_rows_lost_total counter");
	assert_has_line(t, "loudva_store_rows_lost_total{kind=\"frames\"} 25");
	assert_has_line(t, "loudva_store_rows_lost_total{kind=\"telemetry\"} 9");
	assert_has_line(t, "loudva_store_rows_lost_total{kind=\"runs\"} 0");
	assert_has_line(t, "loudva_store_rows_written_total{kind=\"frames\"} 70");
	assert_has_line(t, "loudva_store_rows_pending{kind=\"frames\"} 5");
	assert_has_line(t, "loudva_store_write_failures_total 4");
	assert_has_line(t, "loudva_store_gaps_total 1");
	assert_has_line(t, "loudva_store_failing 1");
	assert_has_line(t, "loudva_store_incomplete 1");
	check_exposition(t);
	assert_int_not_equal(promtool(t), 0);
	free(t);
	t = lv_prom_status_json(&s, NULL, NULL);
	o = cJSON_Parse(t);
	assert_true(cJSON_IsFalse(at(o, "store.complete")));
	assert_true(cJSON_IsTrue(at(o, "store.failing")));
	assert_true(num(o, "store.written.frames") == 70);
	assert_true(num(o, "store.lost.frames") == 25);
	assert_true(num(o, "store.lost.devices") == 0);
	assert_true(num(o, "store.pending.frames") == 5);
	assert_true(num(o, "store.write_failures") == 4);
	assert_true(num(o, "store.gaps") == 1);
	assert_non_null(strstr(str(o, "store.last_error"), "disk is full"));
	cJSON_Delete(o);
	free(t);

	/* Nothing lost: complete, whatever failed on the way. */
	memset(s.store.lost, 0, sizeof(s.store.lost));
	s.store.failing = 0;
	t = lv_prom_render(&s, NULL, NULL);
	assert_has_line(t, "loudva_store_incomplete 0");
	assert_has_line(t, "loudva_store_failing 0");
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_exact_lines),
		cmocka_unit_test(test_metrics_http_only),
		cmocka_unit_test(test_process),
		cmocka_unit_test(test_status_round_trip),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_status_json),
		cmocka_unit_test(test_store_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
