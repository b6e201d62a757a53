/*
 * timeline: the power timeline's arithmetic (contracts in timeline.h). A
 * walk moves along one device's energy curve at increasing times, so
 * building a timeline is one pass over each device's samples: O(samples +
 * devices × steps). Called by the live controller at shutdown
 * (live_timeline.c); nothing here is on a hot path.
 */
#include "timeline.h"

#include <math.h>
#include <stdlib.h>

#include "base/util.h"

void lv_energy_series_add(struct lv_energy_series *s, double t_s, double e_j)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->t_s = lv_xrealloc(s->t_s, s->cap * sizeof(double));
		s->e_j = lv_xrealloc(s->e_j, s->cap * sizeof(double));
	}
	s->t_s[s->n] = t_s;
	s->e_j[s->n++] = e_j;
}

void lv_energy_series_fini(struct lv_energy_series *s)
{
	free(s->t_s);
	free(s->e_j);
	s->t_s = s->e_j = NULL;
	s->n = s->cap = 0;
}

/* A walk along one device's energy curve at increasing times. */
struct walk {
	const struct lv_energy_series *s;
	double t0, e0, t1, e1; /* the window's ends, pinned */
	size_t i;              /* the first sample after the last point asked for */
	double pt, pe;         /* the curve's point before sample i */
};

static void walk_init(struct walk *w, const struct lv_energy_series *s, double t0, double e0,
                      double t1, double e1)
{
	*w = (struct walk){ s, t0, e0, t1, e1, 0, t0, e0 };
	while (w->i < s->n && s->t_s[w->i] <= t0)
		w->i++;
}

/* The device's energy at t (t0 <= t <= t1, never less than the last t asked). */
static double walk_at(struct walk *w, double t)
{
	const struct lv_energy_series *s = w->s;
	while (w->i < s->n && s->t_s[w->i] < w->t1 && s->t_s[w->i] <= t) {
		w->pt = s->t_s[w->i];
		w->pe = s->e_j[w->i];
		w->i++;
	}
	int inside = w->i < s->n && s->t_s[w->i] < w->t1;
	double nt = inside ? s->t_s[w->i] : w->t1, ne = inside ? s->e_j[w->i] : w->e1;
	if (!(nt > w->pt))
		return ne;
	return w->pe + (ne - w->pe) * (t - w->pt) / (nt - w->pt);
}

size_t lv_timeline_power(const struct lv_energy_series *series, size_t n_devices, double start_s,
                         double end_s, const double *e_start_j, const double *e_end_j,
                         double step_s, double **power_w)
{
	double dt = step_s;
	*power_w = NULL;
	if (!(dt > 0) || !(end_s > start_s))
		return 0;
	size_t n = (size_t)ceil((end_s - start_s) / dt);
	if (n == 0)
		return 0;
	double *p = lv_xcalloc(n, sizeof(double));
	for (size_t d = 0; d < n_devices; d++) {
		struct walk w;
		walk_init(&w, &series[d], start_s, e_start_j[d], end_s, e_end_j[d]);
		double a = start_s, ea = e_start_j[d];
		for (size_t k = 0; k < n; k++) {
			double b = start_s + (double)(k + 1) * dt;
			if (b > end_s || k + 1 == n)
				b = end_s;
			double eb = b >= end_s ? e_end_j[d] : walk_at(&w, b);
			if (b > a)
				p[k] += (eb - ea) / (b - a);
			a = b;
			ea = eb;
		}
	}
	*power_w = p;
	return n;
}
