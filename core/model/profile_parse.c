/*
 * profile_parse: reading profile JSON (the format written by
 * lv_profile_to_json, documented in profiles/README.md) into a struct
 * lv_profile. This is the only file that touches cJSON for profiles: the tree
 * is walked here, copied into the struct, and freed before returning.
 *
 * Checking happens in three steps, so every message names a field path whose
 * indices are positions in the file:
 *   1. while walking: types, unknown or duplicate keys, and every point's
 *      fields (the points get sorted later, so they are checked now);
 *   2. lv_profile_validate with the points held back: values, ascending and
 *      unique clocks, idle-power length;
 *   3. each point's clock must be one of freqs_hz; points are then sorted by
 *      (freq_hz, batch) and a repeated pair is reported with both positions.
 */
#include "profile.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/util.h"

#define MAX_EXACT_INT 9007199254740992.0 /* 2^53: above this, doubles skip integers */

static const char POS_NUM[] = "must be a positive number";
static const char NONNEG_NUM[] = "must be a non-negative number";
static const char POS_INT[] = "must be a positive integer";
static const char NONNEG_INT[] = "must be a non-negative integer";

static const char *const TOP_KEYS[] = {
	"format",     "version",   "kind",         "display_name",         "source",
	"gpu",        "max_batch", "instances",    "clock_change_delay_s", "clock_change_shape",
	"governor",   "freqs_hz",  "idle_power_w", "cold_idle_w",          "points",
	"preprocess", NULL
};
static const char *const PRE_KEYS[] = { "latency_s", "energy_j", NULL };
static const char *const GOV_KEYS[] = { "ramp_busy_s", "hold_s", "descent_s", "floor_hz", NULL };
static const char *const GPU_KEYS[] = { "max_mhz", "min_mhz",      "cuda_cores", "mem_bw_gbs",
	                                "mem_gb",  "tensor_cores", "arch",       NULL };
static const char *const POINT_KEYS[] = { "freq_hz",  "batch",          "latency_s",
	                                  "energy_j", "throughput_fps", NULL };

/* Rejects keys not in `allowed` and keys given twice. `path` prefixes messages. */
static int check_keys(const cJSON *obj, const char *const *allowed, const char *path, const char *o,
                      char **why)
{
	const char *dot = path[0] ? "." : "";
	for (const cJSON *c = obj->child; c; c = c->next) {
		size_t i = 0;
		while (allowed[i] && strcmp(allowed[i], c->string) != 0)
			i++;
		if (!allowed[i])
			return lv_fail(why, LV_EINVAL, "%s: %s%s%s: unknown field", o, path, dot,
			               c->string);
		for (const cJSON *d = obj->child; d != c; d = d->next)
			if (strcmp(d->string, c->string) == 0)
				return lv_fail(why, LV_EINVAL, "%s: %s%s%s: given twice", o, path,
				               dot, c->string);
	}
	return LV_OK;
}

static const cJSON *need(const cJSON *obj, const char *key, const char *path, const char *o,
                         char **why)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!it)
		lv_fail(why, LV_EINVAL, "%s: %s: missing", o, path);
	return it;
}

/* A number; `positive` also requires > 0 (else >= 0 is not checked here). */
static int get_num(const cJSON *obj, const char *key, const char *path, const char *req,
                   int positive, double *out, const char *o, char **why)
{
	const cJSON *it = need(obj, key, path, o, why);
	if (!it)
		return LV_EINVAL;
	if (!cJSON_IsNumber(it) || (positive && !(it->valuedouble > 0)))
		return lv_fail(why, LV_EINVAL, "%s: %s: %s", o, path, req);
	*out = it->valuedouble;
	return LV_OK;
}

/* An integer in [min, max]; anything else is reported with `req`. */
static int get_int(const cJSON *obj, const char *key, const char *path, const char *req, double min,
                   double max, double *out, const char *o, char **why)
{
	const cJSON *it = need(obj, key, path, o, why);
	if (!it)
		return LV_EINVAL;
	double v = cJSON_IsNumber(it) ? it->valuedouble : -1;
	if (!cJSON_IsNumber(it) || !(v >= min && v <= max) || v != (double)(long long)v)
		return lv_fail(why, LV_EINVAL, "%s: %s: %s", o, path, req);
	*out = v;
	return LV_OK;
}

static int get_str(const cJSON *obj, const char *key, const char *path, char **out, const char *o,
                   char **why)
{
	const cJSON *it = need(obj, key, path, o, why);
	if (!it)
		return LV_EINVAL;
	if (!cJSON_IsString(it) || !it->valuestring[0])
		return lv_fail(why, LV_EINVAL, "%s: %s: must be a non-empty string", o, path);
	*out = lv_xstrdup(it->valuestring);
	return LV_OK;
}

static int parse_gpu(const cJSON *root, struct lv_gpu_specs *g, const char *o, char **why)
{
	const cJSON *gj = need(root, "gpu", "gpu", o, why);
	if (!gj)
		return LV_EINVAL;
	if (!cJSON_IsObject(gj))
		return lv_fail(why, LV_EINVAL, "%s: gpu: must be an object", o);
	int rc = check_keys(gj, GPU_KEYS, "gpu", o, why);
	double cores = 0, tensor = 0;
	char *arch = NULL;
	if (rc == 0)
		rc = get_num(gj, "max_mhz", "gpu.max_mhz", POS_NUM, 0, &g->max_mhz, o, why);
	if (rc == 0)
		rc = get_num(gj, "min_mhz", "gpu.min_mhz", POS_NUM, 0, &g->min_mhz, o, why);
	if (rc == 0)
		rc = get_int(gj, "cuda_cores", "gpu.cuda_cores", POS_INT, 1, INT_MAX, &cores, o,
		             why);
	if (rc == 0)
		rc =
		    get_num(gj, "mem_bw_gbs", "gpu.mem_bw_gbs", POS_NUM, 0, &g->mem_bw_gbs, o, why);
	if (rc == 0)
		rc = get_num(gj, "mem_gb", "gpu.mem_gb", POS_NUM, 0, &g->mem_gb, o, why);
	if (rc == 0)
		rc = get_int(gj, "tensor_cores", "gpu.tensor_cores", NONNEG_INT, 0, INT_MAX,
		             &tensor, o, why);
	if (rc == 0)
		rc = get_str(gj, "arch", "gpu.arch", &arch, o, why);
	if (rc == 0 && strlen(arch) >= sizeof(g->arch))
		rc = lv_fail(why, LV_EINVAL, "%s: gpu.arch: longer than %zu characters", o,
		             sizeof(g->arch) - 1);
	if (rc == 0) {
		g->cuda_cores = (int)cores;
		g->tensor_cores = (int)tensor;
		memcpy(g->arch, arch, strlen(arch) + 1);
	}
	free(arch);
	return rc;
}

static const cJSON *need_array(const cJSON *root, const char *key, const char *o, char **why)
{
	const cJSON *a = need(root, key, key, o, why);
	if (a && !cJSON_IsArray(a)) {
		lv_fail(why, LV_EINVAL, "%s: %s: must be an array", o, key);
		return NULL;
	}
	return a;
}

static int parse_freqs(const cJSON *root, struct lv_profile *p, const char *o, char **why)
{
	const cJSON *fa = need_array(root, "freqs_hz", o, why);
	const cJSON *ia = fa ? need_array(root, "idle_power_w", o, why) : NULL;
	if (!ia)
		return LV_EINVAL;
	int n = cJSON_GetArraySize(fa);
	if (n == 0)
		return lv_fail(why, LV_EINVAL, "%s: freqs_hz: must not be empty", o);
	if (cJSON_GetArraySize(ia) != n)
		return lv_fail(why, LV_EINVAL, "%s: idle_power_w: has %d entries, freqs_hz has %d",
		               o, cJSON_GetArraySize(ia), n);
	p->n_freqs = (size_t)n;
	p->freqs_hz = lv_xcalloc(p->n_freqs, sizeof(*p->freqs_hz));
	p->idle_power_w = lv_xcalloc(p->n_freqs, sizeof(*p->idle_power_w));
	size_t i = 0;
	for (const cJSON *f = fa->child, *w = ia->child; f && w; f = f->next, w = w->next, i++) {
		double v = cJSON_IsNumber(f) ? f->valuedouble : 0;
		if (!(v >= 1 && v <= MAX_EXACT_INT && v == (double)(long long)v))
			return lv_fail(why, LV_EINVAL, "%s: freqs_hz[%zu]: %s (Hz)", o, i, POS_INT);
		if (!cJSON_IsNumber(w))
			return lv_fail(why, LV_EINVAL, "%s: idle_power_w[%zu]: %s", o, i, POS_NUM);
		p->freqs_hz[i] = (uint64_t)v;
		p->idle_power_w[i] = w->valuedouble;
	}
	return LV_OK;
}

static int parse_point(const cJSON *pj, size_t i, struct lv_profile_point *pt, const char *o,
                       char **why)
{
	char path[64], base[32];
	snprintf(base, sizeof(base), "points[%zu]", i);
	if (!cJSON_IsObject(pj))
		return lv_fail(why, LV_EINVAL, "%s: %s: must be an object", o, base);
	int rc = check_keys(pj, POINT_KEYS, base, o, why);
	double f = 0, b = 0;
	snprintf(path, sizeof(path), "%s.freq_hz", base);
	if (rc == 0)
		rc = get_int(pj, "freq_hz", path, POS_INT, 1, MAX_EXACT_INT, &f, o, why);
	snprintf(path, sizeof(path), "%s.batch", base);
	if (rc == 0)
		rc = get_int(pj, "batch", path, POS_INT, 1, INT_MAX, &b, o, why);
	snprintf(path, sizeof(path), "%s.latency_s", base);
	if (rc == 0)
		rc = get_num(pj, "latency_s", path, POS_NUM, 1, &pt->latency_s, o, why);
	snprintf(path, sizeof(path), "%s.energy_j", base);
	if (rc == 0)
		rc = get_num(pj, "energy_j", path, POS_NUM, 1, &pt->energy_j, o, why);
	snprintf(path, sizeof(path), "%s.throughput_fps", base);
	if (rc == 0)
		rc = get_num(pj, "throughput_fps", path, POS_NUM, 1, &pt->throughput_fps, o, why);
	pt->freq_hz = (uint64_t)f;
	pt->batch = (int)b;
	return rc;
}

struct sorted_point {
	struct lv_profile_point pt;
	size_t file_index;
};

static int sorted_cmp(const void *a, const void *b)
{
	const struct sorted_point *x = a, *y = b;
	if (x->pt.freq_hz != y->pt.freq_hz)
		return x->pt.freq_hz < y->pt.freq_hz ? -1 : 1;
	if (x->pt.batch != y->pt.batch)
		return x->pt.batch < y->pt.batch ? -1 : 1;
	return (x->file_index > y->file_index) - (x->file_index < y->file_index);
}

/* Step 3 of the file comment: known clocks, then sort, then duplicates. */
static int sort_points(struct lv_profile *p, const char *o, char **why)
{
	int rc = LV_OK;
	if (p->n_points == 0)
		return LV_OK;
	struct sorted_point *s = lv_xcalloc(p->n_points, sizeof(*s));
	for (size_t i = 0; i < p->n_points; i++) {
		if (lv_profile_freq_index(p, p->points[i].freq_hz) < 0) {
			rc = lv_fail(why, LV_EINVAL,
			             "%s: points[%zu].freq_hz: %llu is not one of freqs_hz", o, i,
			             (unsigned long long)p->points[i].freq_hz);
			goto out;
		}
		s[i].pt = p->points[i];
		s[i].file_index = i;
	}
	qsort(s, p->n_points, sizeof(*s), sorted_cmp);
	for (size_t i = 0; i < p->n_points; i++) {
		if (i > 0 && s[i].pt.freq_hz == s[i - 1].pt.freq_hz &&
		    s[i].pt.batch == s[i - 1].pt.batch) {
			rc = lv_fail(why, LV_EINVAL,
			             "%s: points[%zu]: (freq_hz %llu, batch %d) already given at "
			             "points[%zu]",
			             o, s[i].file_index, (unsigned long long)s[i].pt.freq_hz,
			             s[i].pt.batch, s[i - 1].file_index);
			goto out;
		}
		p->points[i] = s[i].pt;
	}
out:
	free(s);
	return rc;
}

static int parse_points(const cJSON *root, struct lv_profile *p, const char *o, char **why)
{
	const cJSON *pa = need_array(root, "points", o, why);
	if (!pa)
		return LV_EINVAL;
	int n = cJSON_GetArraySize(pa);
	p->n_points = (size_t)n;
	p->points = n ? lv_xcalloc(p->n_points, sizeof(*p->points)) : NULL;
	size_t i = 0;
	for (const cJSON *pj = pa->child; pj; pj = pj->next, i++) {
		int rc = parse_point(pj, i, &p->points[i], o, why);
		if (rc < 0)
			return rc;
	}
	return LV_OK;
}

/* "format", "version", "kind", "display_name", "source". */
static int parse_head(const cJSON *root, struct lv_profile *p, const char *o, char **why)
{
	const cJSON *fm = need(root, "format", "format", o, why);
	if (!fm)
		return LV_EINVAL;
	if (!cJSON_IsString(fm) || strcmp(fm->valuestring, "loudva-profile") != 0)
		return lv_fail(why, LV_EINVAL, "%s: format: must be \"loudva-profile\"", o);
	double version = 0;
	if (get_int(root, "version", "version", POS_INT, 1, INT_MAX, &version, o, why) < 0)
		return LV_EINVAL;
	if (version != LV_PROFILE_VERSION)
		return lv_fail(why, LV_EINVAL,
		               "%s: version: %.0f is not supported (this build reads %d)", o,
		               version, LV_PROFILE_VERSION);
	char *kind = NULL;
	if (get_str(root, "kind", "kind", &kind, o, why) < 0)
		return LV_EINVAL;
	int rc = LV_OK;
	if (strlen(kind) >= sizeof(p->kind))
		rc = lv_fail(why, LV_EINVAL, "%s: kind: longer than %d characters", o,
		             LV_KIND_MAX - 1);
	else
		memcpy(p->kind, kind, strlen(kind) + 1);
	free(kind);
	if (rc == 0)
		rc = get_str(root, "display_name", "display_name", &p->display_name, o, why);
	const cJSON *src = cJSON_GetObjectItemCaseSensitive(root, "source");
	if (rc == 0 && src && !cJSON_IsNull(src)) {
		if (!cJSON_IsString(src))
			return lv_fail(why, LV_EINVAL, "%s: source: must be a string or null", o);
		p->source = lv_xstrdup(src->valuestring);
	}
	return rc;
}

/* "cold_idle_w": a number > 0, or null / absent (not measured). */
static int parse_cold(const cJSON *root, struct lv_profile *p, const char *o, char **why)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(root, "cold_idle_w");
	p->cold_idle_w = 0;
	if (!c || cJSON_IsNull(c))
		return LV_OK;
	if (!cJSON_IsNumber(c) || !(c->valuedouble > 0) || !isfinite(c->valuedouble))
		return lv_fail(why, LV_EINVAL, "%s: cold_idle_w: must be a number > 0 or null", o);
	p->cold_idle_w = c->valuedouble;
	return LV_OK;
}

static int parse_limits(const cJSON *root, struct lv_profile *p, const char *o, char **why)
{
	double max_batch = 0, instances = 0;
	int rc = get_int(root, "max_batch", "max_batch", POS_INT, 1, INT_MAX, &max_batch, o, why);
	if (rc == 0)
		rc = get_int(root, "instances", "instances", POS_INT, 1, INT_MAX, &instances, o,
		             why);
	if (rc == 0)
		rc = get_num(root, "clock_change_delay_s", "clock_change_delay_s", NONNEG_NUM, 0,
		             &p->clock_change_delay_s, o, why);
	p->max_batch = (int)max_batch;
	p->instances = (int)instances;
	return rc;
}

/* "clock_change_shape": an array of numbers (values are checked by lv_profile_validate). */
static int parse_cc_shape(const cJSON *root, struct lv_profile *p, const char *o, char **why)
{
	const cJSON *a = need(root, "clock_change_shape", "clock_change_shape", o, why);
	if (!a)
		return LV_EINVAL;
	if (!cJSON_IsArray(a))
		return lv_fail(why, LV_EINVAL, "%s: clock_change_shape: must be an array", o);
	p->n_cc_shape = (size_t)cJSON_GetArraySize(a);
	p->cc_shape = p->n_cc_shape ? lv_xcalloc(p->n_cc_shape, sizeof(*p->cc_shape)) : NULL;
	size_t i = 0;
	for (const cJSON *v = a->child; v; v = v->next, i++) {
		if (!cJSON_IsNumber(v))
			return lv_fail(why, LV_EINVAL, "%s: clock_change_shape[%zu]: %s", o, i,
			               NONNEG_NUM);
		p->cc_shape[i] = v->valuedouble;
	}
	return LV_OK;
}

static int parse_governor(const cJSON *root, struct lv_governor *g, const char *o, char **why)
{
	const cJSON *gj = need(root, "governor", "governor", o, why);
	if (!gj)
		return LV_EINVAL;
	if (!cJSON_IsObject(gj))
		return lv_fail(why, LV_EINVAL, "%s: governor: must be an object", o);
	double floor_hz = 0;
	int rc = check_keys(gj, GOV_KEYS, "governor", o, why);
	if (rc == 0)
		rc = get_num(gj, "ramp_busy_s", "governor.ramp_busy_s", NONNEG_NUM, 0,
		             &g->ramp_busy_s, o, why);
	if (rc == 0)
		rc = get_num(gj, "hold_s", "governor.hold_s", NONNEG_NUM, 0, &g->hold_s, o, why);
	if (rc == 0)
		rc = get_num(gj, "descent_s", "governor.descent_s", NONNEG_NUM, 0, &g->descent_s, o,
		             why);
	if (rc == 0)
		rc = get_int(gj, "floor_hz", "governor.floor_hz", POS_INT, 1, MAX_EXACT_INT,
		             &floor_hz, o, why);
	g->floor_hz = (uint64_t)floor_hz;
	return rc;
}

static void syntax_error(const char *json, const char *end, const char *o, char **why)
{
	size_t line = 1, col = 1;
	for (const char *c = json; end && c < end && *c; c++) {
		if (*c == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	lv_fail(why, LV_EINVAL, "%s:%zu:%zu: not valid JSON", o, line, col);
}

/*
 * "preprocess" (optional): {"uint8": {"latency_s": s, "energy_j": J}, "jpeg":
 * {...}}, per frame, as `loudva profile run` measured them. A format not
 * given keeps the estimate.
 */
static int parse_preprocess(const cJSON *root, struct lv_profile *p, const char *o, char **why)
{
	const cJSON *pj = cJSON_GetObjectItemCaseSensitive(root, "preprocess");
	const cJSON *f;
	if (!pj)
		return 0;
	if (!cJSON_IsObject(pj))
		return lv_fail(why, LV_EINVAL, "%s: preprocess: must be an object", o);
	cJSON_ArrayForEach (f, pj) {
		int w = lv_wire_parse(f->string);
		char path[64];
		if (w <= LV_WIRE_FP32)
			return lv_fail(why, LV_EINVAL,
			               "%s: preprocess.%.20s: not a wire format with preprocessing "
			               "(uint8, jpeg)",
			               o, f->string);
		if (!cJSON_IsObject(f))
			return lv_fail(why, LV_EINVAL, "%s: preprocess.%s: must be an object", o,
			               f->string);
		snprintf(path, sizeof(path), "preprocess.%s", f->string);
		struct lv_preprocess *t = &p->preprocess[w];
		char lp[96], ep[96];
		snprintf(lp, sizeof(lp), "%s.latency_s", path);
		snprintf(ep, sizeof(ep), "%s.energy_j", path);
		if (check_keys(f, PRE_KEYS, path, o, why) < 0 ||
		    get_num(f, "latency_s", lp, NONNEG_NUM, 0, &t->latency_s, o, why) < 0 ||
		    get_num(f, "energy_j", ep, NONNEG_NUM, 0, &t->energy_j, o, why) < 0)
			return LV_EINVAL;
		if (!(t->latency_s >= 0 && t->latency_s < 60) ||
		    !(t->energy_j >= 0 && t->energy_j < 1e4))
			return lv_fail(why, LV_EINVAL,
			               "%s: %s: latency_s and energy_j must be "
			               "non-negative seconds and joules per frame",
			               o, path);
		t->measured = 1;
	}
	return 0;
}

struct lv_profile *lv_profile_parse(const char *json, const char *origin, char **why)
{
	const char *end = NULL;
	struct lv_profile *p = NULL;
	cJSON *root = cJSON_ParseWithOpts(json, &end, 1);
	if (!root) {
		syntax_error(json, end, origin, why);
		return NULL;
	}
	int rc = LV_EINVAL;
	if (!cJSON_IsObject(root)) {
		lv_fail(why, LV_EINVAL, "%s: must be a JSON object", origin);
		goto out;
	}
	p = lv_xcalloc(1, sizeof(*p));
	if (check_keys(root, TOP_KEYS, "", origin, why) < 0 ||
	    parse_head(root, p, origin, why) < 0 || parse_gpu(root, &p->gpu, origin, why) < 0 ||
	    parse_limits(root, p, origin, why) < 0 || parse_cc_shape(root, p, origin, why) < 0 ||
	    parse_governor(root, &p->governor, origin, why) < 0 ||
	    parse_freqs(root, p, origin, why) < 0 || parse_cold(root, p, origin, why) < 0 ||
	    parse_points(root, p, origin, why) < 0 || parse_preprocess(root, p, origin, why) < 0)
		goto out;
	size_t n_points = p->n_points;
	p->n_points = 0; /* step 2 checks everything but the points */
	rc = lv_profile_validate(p, origin, why);
	p->n_points = n_points;
	if (rc == 0)
		rc = sort_points(p, origin, why);
	if (rc == 0)
		rc = lv_profile_validate(p, origin, why);
out:
	cJSON_Delete(root);
	if (rc < 0) {
		lv_profile_free(p);
		return NULL;
	}
	return p;
}

struct lv_profile *lv_profile_load(const char *path, char **why)
{
	char *text = lv_read_file(path, NULL, why);
	if (!text)
		return NULL;
	struct lv_profile *p = lv_profile_parse(text, path, why);
	free(text);
	return p;
}

struct lv_profile *lv_profile_load_kind(const char *dir, const char *kind, char **why)
{
	char *name = lv_xasprintf("%s.json", kind);
	char *path = lv_path_join(dir, name);
	struct lv_profile *p = lv_profile_load(path, why);
	free(path);
	free(name);
	return p;
}

const char *const lv_profile_kinds[LV_PROFILE_N_KINDS] = { "agx-xavier", "xavier-nx", "nano" };

int lv_profile_load_kinds(const char *dir, struct lv_profile **ps, char **why)
{
	for (size_t k = 0; k < LV_PROFILE_N_KINDS; k++) {
		ps[k] = lv_profile_load_kind(dir, lv_profile_kinds[k], why);
		if (!ps[k]) {
			while (k-- > 0) {
				lv_profile_free(ps[k]);
				ps[k] = NULL;
			}
			return LV_EINVAL;
		}
	}
	return LV_OK;
}
