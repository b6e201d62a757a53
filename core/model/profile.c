/*
 * profile: the in-memory device profile, its invariants (lv_profile_validate)
 * and lookups. Pure data: no I/O and no JSON, so the scheduler links it alone.
 * Reading JSON is profile_parse.c (the one file that touches cJSON), writing
 * it profile_write.c; building profiles from the thesis measurements is
 * profile_import.c.
 *
 * Every message names the origin and the field path
 * ("profiles/nano.json: points[12].latency_s: must be a positive number").
 */
#include "profile.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* Requirement texts, shared by the type checks and the value checks. */
static const char POS_NUM[] = "must be a positive number";
static const char NONNEG_NUM[] = "must be a non-negative number";
static const char POS_INT[] = "must be a positive integer";
static const char NONNEG_INT[] = "must be a non-negative integer";

void lv_profile_preprocess(const struct lv_profile *p, enum lv_wire w, double *latency_s,
                           double *energy_j, int *measured)
{
	/* The estimate (LV_PREPROCESS_ESTIMATE): per frame, s; the board's power meanwhile. */
	static const double est_s[LV_WIRE_COUNT] = { 0, 0.0005, 0.008 };
	const double cpu_w = 3.0;
	int m = (unsigned)w < LV_WIRE_COUNT && p && p->preprocess[w].measured;
	unsigned i = (unsigned)w < LV_WIRE_COUNT ? (unsigned)w : 0;
	double idle_w = 0;
	for (size_t k = 0; p && k < p->n_freqs; k++)
		if (p->idle_power_w[k] > idle_w)
			idle_w = p->idle_power_w[k];
	*latency_s = m ? p->preprocess[i].latency_s : est_s[i];
	*energy_j = m ? p->preprocess[i].energy_j : est_s[i] * (idle_w + cpu_w);
	if (measured)
		*measured = m || i == LV_WIRE_FP32;
}

void lv_profile_free(struct lv_profile *p)
{
	if (!p)
		return;
	free(p->display_name);
	free(p->freqs_hz);
	free(p->idle_power_w);
	free(p->cc_shape);
	free(p->points);
	free(p->source);
	free(p);
}

int lv_profile_freq_index(const struct lv_profile *p, uint64_t freq_hz)
{
	size_t lo = 0, hi = p->n_freqs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->freqs_hz[mid] < freq_hz)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < p->n_freqs && p->freqs_hz[lo] == freq_hz ? (int)lo : -1;
}

static int point_cmp_key(const struct lv_profile_point *a, uint64_t freq_hz, int batch)
{
	if (a->freq_hz != freq_hz)
		return a->freq_hz < freq_hz ? -1 : 1;
	return (a->batch > batch) - (a->batch < batch);
}

const struct lv_profile_point *lv_profile_find(const struct lv_profile *p, uint64_t freq_hz,
                                               int batch)
{
	size_t lo = 0, hi = p->n_points;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (point_cmp_key(&p->points[mid], freq_hz, batch) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < p->n_points && point_cmp_key(&p->points[lo], freq_hz, batch) == 0)
		return &p->points[lo];
	return NULL;
}

/* ---- invariants ------------------------------------------------------- */

static int pos(double v)
{
	return v > 0 && v < 1e300;
}

static int kind_ok(const char *k)
{
	size_t n = strlen(k);
	if (n == 0 || n >= LV_KIND_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9') || k[i] == '-'))
			return 0;
	return 1;
}

static int check_gpu(const struct lv_gpu_specs *g, const char *o, char **why)
{
	if (!pos(g->max_mhz))
		return lv_fail(why, LV_EINVAL, "%s: gpu.max_mhz: %s", o, POS_NUM);
	if (!pos(g->min_mhz))
		return lv_fail(why, LV_EINVAL, "%s: gpu.min_mhz: %s", o, POS_NUM);
	if (g->min_mhz > g->max_mhz)
		return lv_fail(why, LV_EINVAL, "%s: gpu.min_mhz: %g is above gpu.max_mhz %g", o,
		               g->min_mhz, g->max_mhz);
	if (g->cuda_cores <= 0)
		return lv_fail(why, LV_EINVAL, "%s: gpu.cuda_cores: %s", o, POS_INT);
	if (!pos(g->mem_bw_gbs))
		return lv_fail(why, LV_EINVAL, "%s: gpu.mem_bw_gbs: %s", o, POS_NUM);
	if (!pos(g->mem_gb))
		return lv_fail(why, LV_EINVAL, "%s: gpu.mem_gb: %s", o, POS_NUM);
	if (g->tensor_cores < 0)
		return lv_fail(why, LV_EINVAL, "%s: gpu.tensor_cores: %s", o, NONNEG_INT);
	if (!g->arch[0] || !memchr(g->arch, '\0', sizeof(g->arch)))
		return lv_fail(why, LV_EINVAL,
		               "%s: gpu.arch: must be a non-empty string (at most %zu)", o,
		               sizeof(g->arch) - 1);
	return LV_OK;
}

static int check_point(const struct lv_profile *p, size_t i, const char *o, char **why)
{
	const struct lv_profile_point *pt = &p->points[i];
	if (lv_profile_freq_index(p, pt->freq_hz) < 0)
		return lv_fail(why, LV_EINVAL,
		               "%s: points[%zu].freq_hz: %llu is not one of freqs_hz", o, i,
		               (unsigned long long)pt->freq_hz);
	if (pt->batch <= 0)
		return lv_fail(why, LV_EINVAL, "%s: points[%zu].batch: %s", o, i, POS_INT);
	if (!pos(pt->latency_s))
		return lv_fail(why, LV_EINVAL, "%s: points[%zu].latency_s: %s", o, i, POS_NUM);
	if (!pos(pt->energy_j))
		return lv_fail(why, LV_EINVAL, "%s: points[%zu].energy_j: %s", o, i, POS_NUM);
	if (!pos(pt->throughput_fps))
		return lv_fail(why, LV_EINVAL, "%s: points[%zu].throughput_fps: %s", o, i, POS_NUM);
	return LV_OK;
}

double lv_profile_cc_shape_mean(const double *shape, size_t n)
{
	double m = 0;
	for (size_t i = 0; i + 1 < n; i++)
		m += (shape[i] + shape[i + 1]) / 2.0 / (double)(n - 1);
	return m;
}

double lv_profile_cc_quantile(const double *shape, size_t n, double u)
{
	double pos = (u < 0 ? 0 : u > 1 ? 1 : u) * (double)(n - 1);
	size_t i = (size_t)pos;
	if (i + 1 >= n)
		return shape[n - 1];
	return shape[i] + (pos - (double)i) * (shape[i + 1] - shape[i]);
}

/* clock_change_shape and governor. */
static int check_twin(const struct lv_profile *p, const char *o, char **why)
{
	if (p->n_cc_shape == 1)
		return lv_fail(why, LV_EINVAL, "%s: clock_change_shape: needs 2 or more quantiles",
		               o);
	for (size_t i = 0; i < p->n_cc_shape; i++) {
		double v = p->cc_shape[i];
		if (!(v >= 0 && v < 1e300))
			return lv_fail(why, LV_EINVAL, "%s: clock_change_shape[%zu]: %s", o, i,
			               NONNEG_NUM);
		if (i > 0 && v < p->cc_shape[i - 1])
			return lv_fail(why, LV_EINVAL,
			               "%s: clock_change_shape[%zu]: below the one before (must be "
			               "ascending)",
			               o, i);
	}
	double m = lv_profile_cc_shape_mean(p->cc_shape, p->n_cc_shape);
	if (p->n_cc_shape && !(m > 1 - 1e-9 && m < 1 + 1e-9))
		return lv_fail(why, LV_EINVAL,
		               "%s: clock_change_shape: its mean is %.12g, must be 1 (quantiles "
		               "over their mean)",
		               o, m);
	const struct lv_governor *g = &p->governor;
	const double *t[] = { &g->ramp_busy_s, &g->hold_s, &g->descent_s };
	const char *name[] = { "ramp_busy_s", "hold_s", "descent_s" };
	for (int i = 0; i < 3; i++)
		if (!(*t[i] >= 0 && *t[i] < 1e300))
			return lv_fail(why, LV_EINVAL, "%s: governor.%s: %s", o, name[i],
			               NONNEG_NUM);
	if (g->floor_hz && lv_profile_freq_index(p, g->floor_hz) < 0)
		return lv_fail(why, LV_EINVAL, "%s: governor.floor_hz: %llu is not one of freqs_hz",
		               o, (unsigned long long)g->floor_hz);
	return LV_OK;
}

/* Everything but the order of points; indices are positions in p's arrays. */
static int check_fields(const struct lv_profile *p, const char *o, char **why)
{
	if (!kind_ok(p->kind))
		return lv_fail(why, LV_EINVAL,
		               "%s: kind: must be lowercase letters, digits and '-' (1 to %d)", o,
		               LV_KIND_MAX - 1);
	if (!p->display_name || !p->display_name[0])
		return lv_fail(why, LV_EINVAL, "%s: display_name: must be a non-empty string", o);
	int rc = check_gpu(&p->gpu, o, why);
	if (rc < 0)
		return rc;
	if (p->max_batch <= 0)
		return lv_fail(why, LV_EINVAL, "%s: max_batch: %s", o, POS_INT);
	if (p->instances <= 0)
		return lv_fail(why, LV_EINVAL, "%s: instances: %s", o, POS_INT);
	if (!(p->clock_change_delay_s >= 0 && p->clock_change_delay_s < 1e300))
		return lv_fail(why, LV_EINVAL, "%s: clock_change_delay_s: %s", o, NONNEG_NUM);
	if (p->n_freqs == 0)
		return lv_fail(why, LV_EINVAL, "%s: freqs_hz: must not be empty", o);
	for (size_t i = 0; i < p->n_freqs; i++) {
		if (p->freqs_hz[i] == 0)
			return lv_fail(why, LV_EINVAL, "%s: freqs_hz[%zu]: %s", o, i, POS_INT);
		if (i > 0 && p->freqs_hz[i] <= p->freqs_hz[i - 1])
			return lv_fail(why, LV_EINVAL,
			               "%s: freqs_hz[%zu]: %llu is not above freqs_hz[%zu] "
			               "(must be ascending and unique)",
			               o, i, (unsigned long long)p->freqs_hz[i], i - 1);
		if (!pos(p->idle_power_w[i]))
			return lv_fail(why, LV_EINVAL, "%s: idle_power_w[%zu]: %s", o, i, POS_NUM);
	}
	rc = check_twin(p, o, why);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < p->n_points; i++) {
		rc = check_point(p, i, o, why);
		if (rc < 0)
			return rc;
	}
	return LV_OK;
}

int lv_profile_validate(const struct lv_profile *p, const char *origin, char **why)
{
	int rc = check_fields(p, origin, why);
	if (rc < 0)
		return rc;
	for (size_t i = 1; i < p->n_points; i++) {
		const struct lv_profile_point *a = &p->points[i - 1];
		if (point_cmp_key(a, p->points[i].freq_hz, p->points[i].batch) >= 0)
			return lv_fail(
			    why, LV_EINVAL,
			    "%s: points[%zu]: (freq_hz %llu, batch %d) does not follow "
			    "points[%zu] (must be sorted by freq_hz, batch, no duplicates)",
			    origin, i, (unsigned long long)p->points[i].freq_hz, p->points[i].batch,
			    i - 1);
	}
	return LV_OK;
}
