/*
 * profile_out: what a profiling sweep leaves behind.
 *   FILE                 a profile in the project's format (profile.h): the
 *                        device kind's base profile with the measured points
 *                        replacing its own, idle power at the swept
 *                        clocks, and the wire formats' preprocessing terms
 *                        measured (model/profile_prep.c); what was not measured
 *                        keeps the base's values
 *   FILE.partial.json    progress, rewritten atomically after every point,
 *                        so --resume can skip what was measured
 *   FILE.samples.csv     every request as measured (appended per point)
 *   FILE.perf/energy_calculated_freq_<Hz>.csv
 *                        perf_analyzer's columns, one file per clock, as in
 *                        the thesis data (Concurrency holds the batch size)
 * Profile points take the client-side mean latency of the last window.
 */
#include "profile_run.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/profile.h"
#include "base/file.h"
#include "base/util.h"

static void add_num(cJSON *o, const char *k, double v)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static double get_num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static int write_json(const char *path, cJSON *root, char **why)
{
	char *text = cJSON_Print(root);
	int rc = lv_write_file_atomic(path, text, strlen(text), why);
	free(text);
	return rc;
}

int lv_prof_write_partial(const char *path, const char *device, const struct lv_prof_result *r,
                          size_t n, char **why)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "format", "loudva-profile-progress");
	cJSON_AddStringToObject(root, "device", device);
	cJSON *pts = cJSON_AddArrayToObject(root, "points");
	for (size_t i = 0; i < n; i++) {
		cJSON *p = cJSON_CreateObject();
		cJSON_AddNumberToObject(p, "freq_hz", (double)r[i].freq_hz);
		cJSON_AddNumberToObject(p, "batch", r[i].batch);
		add_num(p, "latency_s", r[i].latency_s);
		add_num(p, "compute_s", r[i].compute_s);
		add_num(p, "energy_j", r[i].energy_j);
		add_num(p, "power_w", r[i].power_w);
		add_num(p, "idle_w", r[i].idle_w);
		add_num(p, "throughput_fps", r[i].throughput);
		cJSON_AddNumberToObject(p, "windows", r[i].windows);
		cJSON_AddBoolToObject(p, "stable", r[i].stable);
		cJSON_AddItemToArray(pts, p);
	}
	int rc = write_json(path, root, why);
	cJSON_Delete(root);
	return rc;
}

int lv_prof_read_partial(const char *path, const char *device, struct lv_prof_result **out,
                         size_t *n, char **why)
{
	*out = NULL;
	*n = 0;
	char *text = lv_read_file(path, NULL, why);
	if (!text)
		return LV_EIO;
	cJSON *root = cJSON_Parse(text);
	free(text);
	const cJSON *dev = cJSON_GetObjectItemCaseSensitive(root, "device");
	const cJSON *pts = cJSON_GetObjectItemCaseSensitive(root, "points");
	int rc = LV_OK;
	if (!cJSON_IsString(dev) || !cJSON_IsArray(pts)) {
		rc = lv_fail(why, LV_EINVAL, "%s: not a progress file", path);
		goto out;
	}
	if (strcmp(dev->valuestring, device) != 0) {
		rc = lv_fail(why, LV_EINVAL, "%s: progress of device %s, not %s", path,
		             dev->valuestring, device);
		goto out;
	}
	size_t cap = (size_t)cJSON_GetArraySize(pts);
	struct lv_prof_result *r = lv_xcalloc(cap ? cap : 1, sizeof(*r));
	const cJSON *p;
	cJSON_ArrayForEach (p, pts) {
		struct lv_prof_result *x = &r[(*n)++];
		x->freq_hz = (uint64_t)get_num(p, "freq_hz");
		x->batch = (int)get_num(p, "batch");
		x->latency_s = get_num(p, "latency_s");
		x->compute_s = get_num(p, "compute_s");
		x->energy_j = get_num(p, "energy_j");
		x->power_w = get_num(p, "power_w");
		x->idle_w = get_num(p, "idle_w");
		x->throughput = get_num(p, "throughput_fps");
		x->windows = (int)get_num(p, "windows");
		x->stable = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "stable"));
	}
	*out = r;
out:
	cJSON_Delete(root);
	return rc;
}

/* The base's point array entry at (f, b), or NULL. */
static cJSON *find_point(cJSON *pts, uint64_t f, int b)
{
	cJSON *p;
	cJSON_ArrayForEach (p, pts)
		if ((uint64_t)get_num(p, "freq_hz") == f && (int)get_num(p, "batch") == b)
			return p;
	return NULL;
}

static void set_num(cJSON *o, const char *k, double v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, k);
	cJSON_AddNumberToObject(o, k, v);
}

int lv_prof_write_profile(const char *path, const struct lv_profile *base, const char *device,
                          const struct lv_prof_result *r, size_t n, int complete,
                          const struct lv_preprocess *pre, char **why)
{
	char *text = lv_profile_to_json(base);
	cJSON *root = cJSON_Parse(text);
	free(text);
	cJSON *pts = cJSON_GetObjectItemCaseSensitive(root, "points");
	cJSON *idle = cJSON_GetObjectItemCaseSensitive(root, "idle_power_w");
	for (size_t i = 0; i < n; i++) {
		cJSON *p = find_point(pts, r[i].freq_hz, r[i].batch);
		if (!p) {
			p = cJSON_CreateObject();
			cJSON_AddNumberToObject(p, "freq_hz", (double)r[i].freq_hz);
			cJSON_AddNumberToObject(p, "batch", r[i].batch);
			cJSON_AddItemToArray(pts, p);
		}
		set_num(p, "latency_s", r[i].latency_s);
		set_num(p, "energy_j", r[i].energy_j);
		set_num(p, "throughput_fps", r[i].throughput);
		int fi = lv_profile_freq_index(base, r[i].freq_hz);
		if (fi >= 0 && isfinite(r[i].idle_w) && r[i].idle_w > 0)
			cJSON_ReplaceItemInArray(idle, fi, cJSON_CreateNumber(r[i].idle_w));
	}
	char *src = lv_xasprintf("%s: loudva profile run on device %s, %zu point%s measured over "
	                         "the base profile%s",
	                         complete ? "complete" : "incomplete", device, n, n == 1 ? "" : "s",
	                         complete ? "" : " (the sweep stopped early; see .partial.json)");
	cJSON_DeleteItemFromObjectCaseSensitive(root, "source");
	cJSON_AddStringToObject(root, "source", src);
	free(src);
	text = cJSON_Print(root);
	cJSON_Delete(root);
	struct lv_profile *p = lv_profile_parse(text, path, why);
	free(text);
	if (!p)
		return LV_EINVAL;
	for (int w = 0; pre && w < LV_WIRE_COUNT; w++)
		if (pre[w].measured)
			p->preprocess[w] = pre[w];
	int rc = lv_profile_save(p, path, why);
	lv_profile_free(p);
	return rc;
}

int lv_prof_write_csv(const char *path, const struct lv_prof_result *r, size_t n, char **why)
{
	char *dir = lv_xasprintf("%s.perf", path);
	int rc = LV_OK;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		rc = lv_fail(why, LV_EIO, "%s: %s", dir, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < n && rc == LV_OK; i++) {
		if (i > 0 && r[i].freq_hz == r[i - 1].freq_hz)
			continue;
		char *name = lv_xasprintf("%s/energy_calculated_freq_%llu.csv", dir,
		                          (unsigned long long)r[i].freq_hz);
		FILE *f = fopen(name, "w");
		if (!f) {
			rc = lv_fail(why, LV_EIO, "%s: %s", name, strerror(errno));
			free(name);
			break;
		}
		fprintf(f, "Concurrency, Mean Power (W), Avg Latency (s), Throughput "
		           "(Inference/sec), Energy (J)\n");
		for (size_t j = i; j < n && r[j].freq_hz == r[i].freq_hz; j++)
			fprintf(f, "%d,%.9g,%.9g,%.9g,%.9g\n", r[j].batch, r[j].power_w,
			        r[j].latency_s, r[j].throughput, r[j].energy_j);
		if (fclose(f) != 0)
			rc = lv_fail(why, LV_EIO, "%s: write failed", name);
		free(name);
	}
out:
	free(dir);
	return rc;
}

int lv_prof_append_samples(const char *path, const struct lv_prof_sample *s, size_t n, char **why)
{
	struct stat st;
	int fresh = stat(path, &st) != 0 || st.st_size == 0;
	FILE *f = fopen(path, "a");
	if (!f)
		return lv_fail(why, LV_EIO, "%s: %s", path, strerror(errno));
	if (fresh)
		fprintf(f, "freq_hz,batch,window,seq,latency_s,compute_s\n");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%llu,%d,%d,%d,%.9g,%.9g\n", (unsigned long long)s[i].freq_hz,
		        s[i].batch, s[i].window, s[i].seq, s[i].latency_s, s[i].compute_s);
	if (fclose(f) != 0)
		return lv_fail(why, LV_EIO, "%s: write failed", path);
	return LV_OK;
}
