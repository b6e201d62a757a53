/*
 * profile_fit_idle: idle power by GPU clock from tegrastats logs, the method
 * of profiles/README.md ("Idle power"). Called by the importer with the logs
 * of one kind; pure arithmetic on lines already read (teglog.c).
 *
 * Why "settled": the rails' readings are averaged by the sensors, so a line
 * right after a batch still carries part of the batch's energy (in the
 * Experiment 1 logs the GPU rail decays from 5.7 W to its idle 0.5 W over
 * about eight lines). Medians over all GR3D 0% lines would put that tail
 * into idle power, and a twin that also charges the batch its full energy
 * would count it twice.
 *
 * Why cold lines go: in the thesis runs the AGX's GPU rail reads 0 mW only
 * before a run's first inference (the GPU rail-gated while Triton has not
 * touched it); once it has run a batch it never gates again within a run.
 * Those lines are a state the twin's device is never in after its first
 * batch.
 */
#include "profile_fit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "teglog.h"
#include "base/util.h"

struct sample {
	long mhz;
	double w;
};

static int sample_cmp(const void *a, const void *b)
{
	const struct sample *x = a, *y = b;
	if (x->mhz != y->mhz)
		return x->mhz < y->mhz ? -1 : 1;
	return (x->w > y->w) - (x->w < y->w);
}

/* Quantile q of sorted v[0..n) by linear interpolation between order statistics. */
static double quantile(const struct sample *v, size_t n, double q)
{
	double h = q * (double)(n - 1);
	size_t i = (size_t)h;
	if (i + 1 >= n)
		return v[n - 1].w;
	return v[i].w + (h - (double)i) * (v[i + 1].w - v[i].w);
}

static int powered_somewhere(const struct lv_teg_log *log)
{
	for (size_t i = 0; i < log->n; i++)
		if (log->lines[i].gpu_rail_mw > 0)
			return 1;
	return 0;
}

/* Is line i of log settled idle (see profile_fit.h)? `gate`: cold lines count as not idle. */
static int settled(const struct lv_teg_log *log, size_t i, int gate)
{
	if (i < LV_IDLE_SETTLE_LINES)
		return 0;
	const struct lv_teg_line *l = &log->lines[i];
	for (size_t j = i - LV_IDLE_SETTLE_LINES; j <= i; j++) {
		const struct lv_teg_line *p = &log->lines[j];
		if (p->load_pct != 0 || p->gpu_mhz != l->gpu_mhz || (gate && p->gpu_rail_mw == 0))
			return 0;
	}
	return 1;
}

static int collect(const struct lv_teg_log *log, struct lv_idle_stats *st, struct sample **s,
                   size_t *n, size_t *cap, char **why)
{
	int gate = powered_somewhere(log);
	for (size_t i = 0; i < log->n; i++) {
		const struct lv_teg_line *l = &log->lines[i];
		if (l->load_pct != 0)
			continue;
		if (l->power_mw < 0)
			return lv_fail(why, LV_EINVAL, "%s:%zu: power: no rails (name <mW>/<mW>)",
			               log->path, l->line);
		st->n_idle++;
		if (gate && l->gpu_rail_mw == 0) {
			st->n_cold++;
			continue;
		}
		if (!settled(log, i, gate))
			continue;
		if (*n == *cap) {
			*cap = *cap ? 2 * *cap : 1024;
			*s = lv_xrealloc(*s, *cap * sizeof(**s));
		}
		(*s)[(*n)++] = (struct sample){ l->gpu_mhz, (double)l->power_mw / 1000.0 };
	}
	return LV_OK;
}

int lv_idle_stats_build(const struct lv_teg_log *logs, size_t n_logs, struct lv_idle_stats *st,
                        char **why)
{
	struct sample *s = NULL;
	size_t n = 0, cap = 0;
	int rc = LV_OK;
	*st = (struct lv_idle_stats){ 0 };
	for (size_t k = 0; k < n_logs && rc == 0; k++)
		rc = collect(&logs[k], st, &s, &n, &cap, why);
	if (rc == 0 && n > 0)
		qsort(s, n, sizeof(*s), sample_cmp);
	for (size_t i = 0; rc == 0 && i < n;) {
		size_t j = i;
		while (j < n && s[j].mhz == s[i].mhz)
			j++;
		st->clocks = lv_xrealloc(st->clocks, (st->n_clocks + 1) * sizeof(*st->clocks));
		struct lv_idle_clock *c = &st->clocks[st->n_clocks++];
		c->mhz = s[i].mhz;
		c->n = j - i;
		c->median_w = quantile(s + i, j - i, 0.5);
		c->p25_w = quantile(s + i, j - i, 0.25);
		c->p75_w = quantile(s + i, j - i, 0.75);
		i = j;
	}
	st->n_settled = n;
	free(s);
	return rc;
}

void lv_idle_stats_fini(struct lv_idle_stats *st)
{
	free(st->clocks);
	*st = (struct lv_idle_stats){ 0 };
}

/* ---- the curve over the grid's clocks ----------------------------------- */

struct point {
	double f_hz, w, weight;
	size_t grid; /* index in freqs_hz */
};

/* The measured grid clocks of st, ascending, pooled so w never falls. Returns the count. */
static size_t measured(const struct lv_idle_stats *st, const uint64_t *freqs_hz, size_t n_freqs,
                       struct point *pt)
{
	size_t m = 0;
	for (size_t g = 0; g < n_freqs; g++) {
		for (size_t c = 0; c < st->n_clocks; c++) {
			const struct lv_idle_clock *k = &st->clocks[c];
			if (k->mhz == (long)(freqs_hz[g] / 1000000) && k->n >= LV_IDLE_MIN_SAMPLES)
				pt[m++] = (struct point){ (double)freqs_hz[g], k->median_w,
					                  (double)k->n, g };
		}
	}
	/* Pool adjacent violators: blocks [start, end) share their weighted mean. */
	size_t *start = lv_xcalloc(m + 1, sizeof(*start));
	double *bw = lv_xcalloc(m + 1, sizeof(*bw)), *bv = lv_xcalloc(m + 1, sizeof(*bv));
	size_t nb = 0;
	for (size_t i = 0; i < m; i++) {
		start[nb] = i;
		bw[nb] = pt[i].weight;
		bv[nb] = pt[i].w;
		nb++;
		while (nb > 1 && bv[nb - 2] > bv[nb - 1]) {
			double w = bw[nb - 2] + bw[nb - 1];
			bv[nb - 2] = (bw[nb - 2] * bv[nb - 2] + bw[nb - 1] * bv[nb - 1]) / w;
			bw[nb - 2] = w;
			nb--;
		}
	}
	start[nb] = m;
	for (size_t b = 0; b < nb; b++)
		for (size_t i = start[b]; i < start[b + 1]; i++)
			pt[i].w = bv[b];
	free(start);
	free(bw);
	free(bv);
	return m;
}

/* The value at f of the line through points a and b. */
static double through(const struct point *a, const struct point *b, double f)
{
	return a->w + (b->w - a->w) * (f - a->f_hz) / (b->f_hz - a->f_hz);
}

/* Best-sampled clock of st (any clock, on the grid or not): its median and Hz. */
static void best_clock(const struct lv_idle_stats *st, const uint64_t *freqs_hz, size_t n_freqs,
                       double *w0, double *f0)
{
	const struct lv_idle_clock *best = &st->clocks[0];
	for (size_t c = 1; c < st->n_clocks; c++)
		if (st->clocks[c].n > best->n)
			best = &st->clocks[c];
	*w0 = best->median_w;
	*f0 = (double)best->mhz * 1e6;
	for (size_t g = 0; g < n_freqs; g++)
		if ((long)(freqs_hz[g] / 1000000) == best->mhz)
			*f0 = (double)freqs_hz[g];
}

int lv_idle_curve(const struct lv_idle_stats *st, const uint64_t *freqs_hz, size_t n_freqs,
                  double rel_slope, double *idle_w, char *how, double *a_w, double *s_w_hz,
                  const char *origin, char **why)
{
	*a_w = *s_w_hz = 0;
	if (st->n_clocks == 0)
		return lv_fail(why, LV_EINVAL, "%s: no settled idle samples (GR3D_FREQ 0%%)",
		               origin);
	struct point *pt = lv_xcalloc(n_freqs, sizeof(*pt));
	size_t m = measured(st, freqs_hz, n_freqs, pt);
	int rc = LV_OK;
	if (m < 2) {
		double w0, f0;
		if (!(rel_slope > 0)) {
			rc = lv_fail(why, LV_EINVAL,
			             "%s: idle at fewer than two grid clocks, and no other kind "
			             "to borrow a slope from",
			             origin);
			goto out;
		}
		best_clock(st, freqs_hz, n_freqs, &w0, &f0);
		*a_w = w0 / (1 + rel_slope * f0);
		*s_w_hz = rel_slope * *a_w;
		for (size_t g = 0; g < n_freqs; g++) {
			idle_w[g] = *a_w + *s_w_hz * (double)freqs_hz[g];
			how[g] = LV_IDLE_BORROWED;
		}
		goto out;
	}
	for (size_t g = 0, k = 0; g < n_freqs; g++) {
		double f = (double)freqs_hz[g];
		while (k < m && pt[k].grid < g)
			k++;
		if (k < m && pt[k].grid == g) {
			idle_w[g] = pt[k].w;
			how[g] = LV_IDLE_MEASURED;
		} else if (k > 0 && k < m) {
			idle_w[g] = through(&pt[k - 1], &pt[k], f);
			how[g] = LV_IDLE_INTERPOLATED;
		} else {
			const struct point *a = k == 0 ? &pt[0] : &pt[m - 2];
			idle_w[g] = through(a, a + 1, f);
			how[g] = LV_IDLE_EXTRAPOLATED;
		}
		if (!(idle_w[g] > 0)) {
			rc = lv_fail(why, LV_EINVAL, "%s: idle power comes out %g W at %.6g MHz",
			             origin, idle_w[g], f / 1e6);
			goto out;
		}
	}
out:
	free(pt);
	return rc;
}

double lv_idle_rel_slope(const struct lv_idle_stats *st, const uint64_t *freqs_hz, size_t n_freqs)
{
	struct point *pt = lv_xcalloc(n_freqs ? n_freqs : 1, sizeof(*pt));
	size_t m = measured(st, freqs_hz, n_freqs, pt);
	double rel = 0;
	if (m >= 2) {
		double mx = 0, my = 0, sxx = 0, sxy = 0;
		for (size_t i = 0; i < m; i++) {
			mx += pt[i].f_hz / (double)m;
			my += pt[i].w / (double)m;
		}
		for (size_t i = 0; i < m; i++) {
			sxx += (pt[i].f_hz - mx) * (pt[i].f_hz - mx);
			sxy += (pt[i].f_hz - mx) * (pt[i].w - my);
		}
		double s = sxy / sxx, a = my - s * mx;
		rel = s > 0 && a > 0 ? s / a : 0;
	}
	free(pt);
	return rel;
}
