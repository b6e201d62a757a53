/*
 * live_timeline: the cluster's power timeline of a live run (live.h,
 * lv_live_timeline), from the same device energies the result charges.
 *
 * While the controller runs with sample_s > 0, the engine thread appends
 * each telemetry sample's (time, device energy since start) to the device's
 * series — the energy as live_health.c accounts it from the agent's
 * cumulative counter, so a restarted agent's reset counter is already
 * smoothed out. At shutdown each device's energy is taken as piecewise
 * linear in time through the samples inside the window, with the two ends
 * pinned to what the result charges there (lv_live_result: the energy at
 * the window's opening and at shutdown), and each timeline sample gets the
 * increase over its interval. The sum over samples telescopes to the
 * result's energy, whatever the sampling.
 *
 * Memory: two doubles per telemetry sample (at the default 4 Hz, 64 bytes a
 * second per device), kept only when a timeline was asked for.
 */
#include "live_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

void live_timeline_sample(struct lv_live *lv, int device, double now)
{
	if (!(lv->cfg.sample_s > 0))
		return;
	struct live_series *s = &lv->series[device];
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->t = lv_xrealloc(s->t, s->cap * sizeof(double));
		s->e = lv_xrealloc(s->e, s->cap * sizeof(double));
	}
	s->t[s->n] = now;
	s->e[s->n++] = lv->devs[device].energy_j;
}

/* A walk along one device's energy curve at increasing times. */
struct walk {
	const struct live_series *s;
	double t0, e0, t1, e1; /* the window's ends, pinned */
	size_t i;              /* the first sample after the last point asked for */
	double pt, pe;         /* the curve's point before sample i */
};

static void walk_init(struct walk *w, const struct live_series *s, double t0, double e0, double t1,
                      double e1)
{
	*w = (struct walk){ s, t0, e0, t1, e1, 0, t0, e0 };
	while (w->i < s->n && s->t[w->i] <= t0)
		w->i++;
}

/* The device's energy at t (t0 <= t <= t1, never less than the last t asked). */
static double walk_at(struct walk *w, double t)
{
	const struct live_series *s = w->s;
	while (w->i < s->n && s->t[w->i] < w->t1 && s->t[w->i] <= t) {
		w->pt = s->t[w->i];
		w->pe = s->e[w->i];
		w->i++;
	}
	int inside = w->i < s->n && s->t[w->i] < w->t1;
	double nt = inside ? s->t[w->i] : w->t1, ne = inside ? s->e[w->i] : w->e1;
	if (!(nt > w->pt))
		return ne;
	return w->pe + (ne - w->pe) * (t - w->pt) / (nt - w->pt);
}

void live_timeline_build(struct lv_live *lv, double start_s, double end_s, const double *e_start,
                         const double *e_end)
{
	struct lv_timeline *tl = &lv->timeline;
	double dt = lv->cfg.sample_s;
	memset(tl, 0, sizeof(*tl));
	tl->sample_s = dt;
	if (!(dt > 0) || !(end_s > start_s))
		return;
	tl->n = (size_t)ceil((end_s - start_s) / dt);
	if (tl->n == 0)
		return;
	tl->cluster_w = lv_xcalloc(tl->n, sizeof(double));
	for (size_t d = 0; d < lv->cluster->n_devices; d++) {
		struct walk w;
		walk_init(&w, &lv->series[d], start_s, e_start[d], end_s, e_end[d]);
		double a = start_s, ea = e_start[d];
		for (size_t k = 0; k < tl->n; k++) {
			double b = start_s + (double)(k + 1) * dt;
			if (b > end_s || k + 1 == tl->n)
				b = end_s;
			double eb = b >= end_s ? e_end[d] : walk_at(&w, b);
			if (b > a)
				tl->cluster_w[k] += (eb - ea) / (b - a);
			a = b;
			ea = eb;
		}
	}
	lv->have_timeline = 1;
}

void live_timeline_free(struct lv_live *lv)
{
	for (size_t d = 0; lv->series && d < lv->cluster->n_devices; d++) {
		free(lv->series[d].t);
		free(lv->series[d].e);
	}
	free(lv->series);
	lv->series = NULL;
	free(lv->timeline.cluster_w);
	memset(&lv->timeline, 0, sizeof(lv->timeline));
	lv->have_timeline = 0;
}
