/*
 * experiment_result: one run's result to a file and back, so a worker
 * process can hand it to the parent that writes the report.
 *
 * The file is JSON with every number written as a C99 hexadecimal float
 * string ("0x1.8p+1"): exact, so a result read back has the same bits as
 * the one written, and a report made from read-back results is the report
 * made in one process. (cJSON's own number printing is not exact: it keeps
 * 15 digits when they read back to within an epsilon.) NAN and the
 * infinities are written as null and read as NAN. Counts travel as
 * doubles, exact below 2^53.
 *
 * One field table drives both directions, so the two cannot drift apart.
 */
#include "experiment.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/util.h"

enum ftype { F_U64, F_DBL, F_INT };

struct field {
	const char *name;
	size_t off;
	enum ftype type;
};

#define M(f, t)                                                                                    \
	{                                                                                          \
#f, offsetof(struct lv_run_metrics, f), t                                          \
	}
#define B(f, t)                                                                                    \
	{                                                                                          \
		"bound." #f,                                                                       \
		    offsetof(struct lv_run_metrics, bound) + offsetof(struct lv_energy_bound, f),  \
		    t                                                                              \
	}
static const struct field metric_fields[] = {
	M(frames, F_U64),
	M(requests, F_U64),
	M(ok, F_U64),
	M(late, F_U64),
	M(failed, F_U64),
	M(expired, F_U64),
	M(rejected, F_U64),
	M(served, F_U64),
	M(requests_ok, F_U64),
	M(requests_served, F_U64),
	M(window_s, F_DBL),
	M(energy_j, F_DBL),
	M(frames_per_j, F_DBL),
	M(requests_per_j, F_DBL),
	M(pct_frames_ok, F_DBL),
	M(pct_requests_ok, F_DBL),
	M(latency_p50_s, F_DBL),
	M(latency_p95_s, F_DBL),
	M(latency_p99_s, F_DBL),
	M(latency_mean_s, F_DBL),
	M(mean_excess_s, F_DBL),
	M(trace_bound_j, F_DBL),
	M(bound_fraction, F_DBL),
	M(busy_energy_j, F_DBL),
	M(change_energy_j, F_DBL),
	M(idle_energy_j, F_DBL),
	M(mean_clock_mhz, F_DBL),
	M(lowest_clock_pct, F_DBL),
	M(top_clock_pct, F_DBL),
	B(window_s, F_DBL),
	B(idle_w, F_DBL),
	B(marginal_j, F_DBL),
	B(marginal_kind, F_INT),
	B(marginal_freq_hz, F_U64),
	B(marginal_batch, F_INT),
	B(frames, F_U64),
	B(energy_j, F_DBL),
	B(frames_per_j, F_DBL),
};
#undef M
#undef B

#define D(f, t)                                                                                    \
	{                                                                                          \
#f, offsetof(struct lv_device_metrics, f), t                                       \
	}
static const struct field device_fields[] = {
	D(kind, F_INT),          D(energy_j, F_DBL),        D(frames, F_U64),
	D(batches, F_U64),       D(busy_s, F_DBL),          D(avg_freq_hz, F_DBL),
	D(busy_energy_j, F_DBL), D(change_energy_j, F_DBL), D(lowest_s, F_DBL),
	D(top_s, F_DBL),
};
#undef D

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static cJSON *exact(double v)
{
	char hex[40];
	if (!isfinite(v))
		return cJSON_CreateNull();
	snprintf(hex, sizeof(hex), "%a", v);
	return cJSON_CreateString(hex);
}

static void put_num(cJSON *o, const char *k, double v)
{
	cJSON_AddItemToObject(o, k, exact(v));
}

/* An exact number back: 0 with *out, or -1 when v is neither a number string nor null. */
static int read_exact(const cJSON *v, double *out)
{
	if (cJSON_IsNull(v)) {
		*out = NAN;
		return 0;
	}
	if (!cJSON_IsString(v))
		return -1;
	char *end = NULL;
	*out = strtod(v->valuestring, &end);
	return end != v->valuestring && *end == '\0' ? 0 : -1;
}

static void put_fields(cJSON *o, const void *base, const struct field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *p = (const char *)base + f[i].off;
		double v;
		if (f[i].type == F_U64)
			v = (double)*(const uint64_t *)(const void *)p;
		else if (f[i].type == F_INT)
			v = *(const int *)(const void *)p;
		else
			v = *(const double *)(const void *)p;
		put_num(o, f[i].name, v);
	}
}

/* Reads fields back; a missing or mistyped one is an error naming it. */
static int get_fields(const cJSON *o, void *base, const struct field *f, size_t n, const char *path,
                      char **why)
{
	for (size_t i = 0; i < n; i++) {
		double d;
		if (read_exact(cJSON_GetObjectItemCaseSensitive(o, f[i].name), &d) != 0)
			return lv_fail(why, LV_EINVAL, "%s: %s: missing or not a number", path,
			               f[i].name);
		char *p = (char *)base + f[i].off;
		if (f[i].type == F_U64)
			*(uint64_t *)(void *)p = isfinite(d) ? (uint64_t)d : 0;
		else if (f[i].type == F_INT)
			*(int *)(void *)p = isfinite(d) ? (int)d : 0;
		else
			*(double *)(void *)p = d;
	}
	return LV_OK;
}

int lv_exp_result_save(const struct lv_exp_result *r, const char *path, char **why)
{
	cJSON *o = cJSON_CreateObject();
	put_num(o, "cell", (double)r->cell);
	put_num(o, "accepted", (double)r->accepted);
	put_num(o, "batches", (double)r->batches);
	put_num(o, "decisions", (double)r->decisions);
	put_fields(cJSON_AddObjectToObject(o, "metrics"), &r->m, metric_fields,
	           N_OF(metric_fields));
	cJSON *devs = cJSON_AddArrayToObject(o, "devices");
	for (size_t i = 0; i < r->m.n_devices; i++) {
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "name", r->m.devices[i].name);
		put_fields(d, &r->m.devices[i], device_fields, N_OF(device_fields));
		cJSON_AddItemToArray(devs, d);
	}
	cJSON *pw = cJSON_AddArrayToObject(o, "power_w");
	for (size_t i = 0; i < r->n_power; i++)
		cJSON_AddItemToArray(pw, exact(r->power_w[i]));
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	int rc = lv_write_file_atomic(path, text, strlen(text), why);
	free(text);
	return rc;
}

static int get_count(const cJSON *o, const char *k, uint64_t *out, const char *path, char **why)
{
	double d;
	if (read_exact(cJSON_GetObjectItemCaseSensitive(o, k), &d) != 0 || !(d >= 0))
		return lv_fail(why, LV_EINVAL, "%s: %s: missing or not a count", path, k);
	*out = (uint64_t)d;
	return LV_OK;
}

static int load_devices(const cJSON *devs, struct lv_exp_result *r, const char *path, char **why)
{
	if (!cJSON_IsArray(devs))
		return lv_fail(why, LV_EINVAL, "%s: devices: missing", path);
	r->m.n_devices = (size_t)cJSON_GetArraySize(devs);
	if (r->m.n_devices)
		r->m.devices = lv_xcalloc(r->m.n_devices, sizeof(*r->m.devices));
	size_t i = 0;
	const cJSON *d;
	cJSON_ArrayForEach (d, devs) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(d, "name");
		if (!cJSON_IsString(name))
			return lv_fail(why, LV_EINVAL, "%s: devices[%zu].name: missing", path, i);
		snprintf(r->m.devices[i].name, sizeof(r->m.devices[i].name), "%s",
		         name->valuestring);
		if (get_fields(d, &r->m.devices[i], device_fields, N_OF(device_fields), path,
		               why) != LV_OK)
			return LV_EINVAL;
		i++;
	}
	return LV_OK;
}

static int load_power(const cJSON *pw, struct lv_exp_result *r, const char *path, char **why)
{
	if (!cJSON_IsArray(pw))
		return lv_fail(why, LV_EINVAL, "%s: power_w: missing", path);
	r->n_power = (size_t)cJSON_GetArraySize(pw);
	if (r->n_power)
		r->power_w = lv_xmalloc(r->n_power * sizeof(double));
	size_t i = 0;
	const cJSON *v;
	cJSON_ArrayForEach (v, pw) {
		if (read_exact(v, &r->power_w[i++]) != 0)
			return lv_fail(why, LV_EINVAL, "%s: power_w[%zu]: not a number", path,
			               i - 1);
	}
	return LV_OK;
}

int lv_exp_result_load(const char *path, struct lv_exp_result *r, char **why)
{
	memset(r, 0, sizeof(*r));
	char *text = lv_read_file(path, NULL, why);
	if (!text)
		return LV_EIO;
	cJSON *o = cJSON_Parse(text);
	free(text);
	if (!o)
		return lv_fail(why, LV_EINVAL, "%s: not valid JSON", path);
	uint64_t cell = 0;
	int rc = get_count(o, "cell", &cell, path, why);
	if (rc == LV_OK)
		rc = get_count(o, "accepted", &r->accepted, path, why);
	if (rc == LV_OK)
		rc = get_count(o, "batches", &r->batches, path, why);
	if (rc == LV_OK)
		rc = get_count(o, "decisions", &r->decisions, path, why);
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "metrics");
	if (rc == LV_OK && !cJSON_IsObject(m))
		rc = lv_fail(why, LV_EINVAL, "%s: metrics: missing", path);
	if (rc == LV_OK)
		rc = get_fields(m, &r->m, metric_fields, N_OF(metric_fields), path, why);
	if (rc == LV_OK)
		rc = load_devices(cJSON_GetObjectItemCaseSensitive(o, "devices"), r, path, why);
	if (rc == LV_OK)
		rc = load_power(cJSON_GetObjectItemCaseSensitive(o, "power_w"), r, path, why);
	cJSON_Delete(o);
	r->cell = (size_t)cell;
	if (rc != LV_OK)
		lv_exp_result_fini(r);
	return rc;
}
