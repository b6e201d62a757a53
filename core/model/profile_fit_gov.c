/*
 * profile_fit_gov: the default GPU governor's timings from tegrastats logs of
 * runs that left the clock to it (in the thesis data: no scheduler, fixed
 * batches, interval batching). Called by the importer; arithmetic on lines
 * already read (teglog.c). Definitions in profile_fit.h, method and the
 * numbers it gives in profiles/README.md ("The default governor").
 *
 * What the logs show, and so what is measured: the clock climbs from the
 * floor to the top within a fraction of a second of GPU work, stays at the
 * top through gaps of many seconds between batches, and only after a long
 * complete quiet falls, in a couple of seconds, to the floor. The device
 * model (devmodel.h) turns the three medians into its mechanism.
 */
#include "profile_fit.h"

#include <stdlib.h>

#include "teglog.h"
#include "base/util.h"

struct pair {
	double v;
	int ev;
};

static int pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return y->ev - x->ev; /* events before censorings at the same value */
}

double lv_km_median(double *v, int *ev, size_t n)
{
	struct pair *p = lv_xcalloc(n ? n : 1, sizeof(*p));
	for (size_t i = 0; i < n; i++)
		p[i] = (struct pair){ v[i], ev[i] };
	qsort(p, n, sizeof(*p), pair_cmp);
	for (size_t i = 0; i < n; i++) {
		v[i] = p[i].v;
		ev[i] = p[i].ev;
	}
	free(p);
	double surv = 1.0, med = -1;
	size_t at_risk = n;
	for (size_t i = 0; i < n && med < 0;) {
		size_t j = i, d = 0;
		while (j < n && v[j] == v[i])
			d += ev[j++] != 0;
		if (d) {
			surv *= 1.0 - (double)d / (double)at_risk;
			if (surv <= 0.5)
				med = v[i];
		}
		at_risk -= j - i;
		i = j;
	}
	return med;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double quantile(const double *v, size_t n, double q)
{
	double h = q * (double)(n - 1);
	size_t i = (size_t)h;
	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (h - (double)i) * (v[i + 1] - v[i]);
}

/* Growable (value, event) lists. */
struct series {
	double *v;
	int *ev;
	size_t n, cap;
};

static void series_add(struct series *s, double v, int ev)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		s->v = lv_xrealloc(s->v, s->cap * sizeof(*s->v));
		s->ev = lv_xrealloc(s->ev, s->cap * sizeof(*s->ev));
	}
	s->v[s->n] = v;
	s->ev[s->n++] = ev;
}

static void series_fini(struct series *s)
{
	free(s->v);
	free(s->ev);
}

static int active(const struct lv_teg_log *log, size_t i)
{
	const struct lv_teg_line *l = &log->lines[i];
	if (l->load_pct > 0)
		return 1;
	if (i == 0 || l->gpu_rail_mw < 0 || log->lines[i - 1].gpu_rail_mw < 0)
		return 0;
	return l->gpu_rail_mw - log->lines[i - 1].gpu_rail_mw > LV_GOV_RISE_MW;
}

struct acc {
	struct series hold, ramp, descent;
	size_t n_drops;
};

/* Quiet run [i, j) of log: a hold sample (and maybe a descent) when it starts at the top. */
static void quiet_at_top(const struct lv_teg_log *log, size_t i, size_t j, long top, long floor,
                         struct acc *a)
{
	const struct lv_teg_line *L = log->lines;
	size_t k = i;
	while (k < j && L[k].gpu_mhz >= top)
		k++;
	if (k == j) {
		series_add(&a->hold, (double)(j - i) * log->dt_s, 0);
		return;
	}
	series_add(&a->hold, (double)(k - i) * log->dt_s, 1);
	a->n_drops++;
	for (size_t x = k; x < j; x++) {
		if (L[x].gpu_mhz <= floor) {
			series_add(&a->descent, (double)(x - k) * log->dt_s, 1);
			break;
		}
	}
}

/* Activity from line j after a quiet run at the floor: a ramp sample. */
static void ramp_from(const struct lv_teg_log *log, size_t j, long top, struct acc *a)
{
	const struct lv_teg_line *L = log->lines;
	size_t end = j + LV_GOV_RAMP_LINES < log->n ? j + LV_GOV_RAMP_LINES : log->n;
	double busy = 0;
	for (size_t m = j; m < end; m++) {
		if (L[m].gpu_mhz >= top) {
			series_add(&a->ramp, busy, 1);
			return;
		}
		busy += L[m].load_pct / 100.0 * log->dt_s;
	}
	series_add(&a->ramp, busy, 0);
}

/* Second pass, hold and descent known: where do long quiet runs from the top end? */
static void rest(const struct lv_teg_log *log, long top, long floor, struct lv_gov_fit *g)
{
	double span = g->hold_s + g->descent_s;
	for (size_t i = 0; i < log->n;) {
		size_t j = i;
		while (j < log->n && !active(log, j))
			j++;
		if (j > i && log->lines[i].gpu_mhz >= top && (double)(j - i) * log->dt_s > span) {
			long end = log->lines[j - 1].gpu_mhz;
			g->n_long++;
			if (end <= floor) {
				g->n_long_floor++;
			} else {
				if (g->long_low_mhz < 0 || end < g->long_low_mhz)
					g->long_low_mhz = end;
				if (end > g->long_high_mhz)
					g->long_high_mhz = end;
			}
		}
		i = j > i ? j : i + 1;
	}
}

static void scan(const struct lv_teg_log *log, long top, long floor, struct acc *a)
{
	for (size_t i = 0; i < log->n;) {
		if (active(log, i)) {
			i++;
			continue;
		}
		size_t j = i;
		while (j < log->n && !active(log, j))
			j++;
		if (log->lines[i].gpu_mhz >= top)
			quiet_at_top(log, i, j, top, floor, a);
		if (j - i >= LV_GOV_QUIET_LINES && j < log->n && log->lines[j - 1].gpu_mhz <= floor)
			ramp_from(log, j, top, a);
		i = j;
	}
}

int lv_gov_fit(const struct lv_teg_log *logs, size_t n_logs, long top_mhz, long floor_mhz,
               struct lv_gov_fit *out, const char *origin, char **why)
{
	struct acc a = { 0 };
	int rc = LV_OK;
	*out = (struct lv_gov_fit){ 0 };
	for (size_t k = 0; k < n_logs && rc == 0; k++) {
		if (!(logs[k].dt_s > 0))
			rc = lv_fail(why, LV_EINVAL,
			             "%s: no time stamps: the governor's timings need them",
			             logs[k].path);
		else
			scan(&logs[k], top_mhz, floor_mhz, &a);
	}
	if (rc < 0)
		goto out;
	out->n_quiet = a.hold.n;
	out->n_drops = a.n_drops;
	out->hold_s = lv_km_median(a.hold.v, a.hold.ev, a.hold.n);
	out->n_descents = a.descent.n;
	out->n_ramps = a.ramp.n;
	for (size_t i = 0; i < a.ramp.n; i++)
		out->n_ramps_censored += a.ramp.ev[i] == 0;
	out->ramp_busy_s = lv_km_median(a.ramp.v, a.ramp.ev, a.ramp.n);
	if (out->hold_s < 0 || out->ramp_busy_s < 0 || a.descent.n == 0) {
		rc = lv_fail(why, LV_EINVAL,
		             "%s: the governor cannot be fitted: the clock left the top in %zu of "
		             "%zu quiet runs, reached the floor in %zu, and climbed from it in "
		             "%zu of %zu ramps",
		             origin, a.n_drops, a.hold.n, a.descent.n,
		             out->n_ramps - out->n_ramps_censored, out->n_ramps);
		goto out;
	}
	qsort(a.descent.v, a.descent.n, sizeof(double), cmp_double);
	out->descent_s = quantile(a.descent.v, a.descent.n, 0.5);
	out->descent_p25_s = quantile(a.descent.v, a.descent.n, 0.25);
	out->descent_p75_s = quantile(a.descent.v, a.descent.n, 0.75);
	out->long_low_mhz = out->long_high_mhz = -1;
	for (size_t k = 0; k < n_logs; k++)
		rest(&logs[k], top_mhz, floor_mhz, out);
out:
	series_fini(&a.hold);
	series_fini(&a.ramp);
	series_fini(&a.descent);
	return rc;
}
