/*
 * devmodel_kind: the effective cost grid of one device kind for the emulated
 * device (devmodel.h: every (clock, batch) cell answerable, borrowed cells
 * filled as described there) and the kind's governor in the model's terms.
 * Built once per kind and shared, read-only, by its devices (devmodel.c).
 */
#include "devmodel.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "cost.h"
#include "profile.h"
#include "base/util.h"

/* ---- the effective cost grid of a kind ------------------------------------ */

int lv_devmodel_cell_usable(const struct lv_cost_table *t, size_t fi, int batch)
{
	size_t i = lv_cost_index(t, fi, batch);
	double L = t->latency_s[i], E = t->energy_j[i];
	return t->source[i] != LV_SRC_NONE && isfinite(L) && L > 0 && isfinite(E) && E >= 0;
}

static int row_usable(const struct lv_cost_table *t, size_t fi)
{
	for (int b = 1; b <= t->max_batch; b++)
		if (lv_devmodel_cell_usable(t, fi, b))
			return 1;
	return 0;
}

/* The row a clock borrows: itself, else the nearest usable one (ties: higher). */
static size_t source_row(const struct lv_cost_table *t, size_t fi)
{
	if (row_usable(t, fi))
		return fi;
	for (size_t d = 1; d < t->n_freqs; d++) {
		if (fi + d < t->n_freqs && row_usable(t, fi + d))
			return fi + d;
		if (fi >= d && row_usable(t, fi - d))
			return fi - d;
	}
	assert(0 && "caller checked that some row is usable");
	return fi;
}

/* Fills cell (fi, b) from row `src`: measured, else the nearest batch scaled (ties: smaller). */
static void fill_cell(struct lv_devmodel_kind *k, const struct lv_cost_table *t, size_t fi,
                      size_t src, int b)
{
	int from = 0;
	for (int d = 0; d < t->max_batch && !from; d++) {
		if (b - d >= 1 && lv_devmodel_cell_usable(t, src, b - d))
			from = b - d;
		else if (b + d <= t->max_batch && lv_devmodel_cell_usable(t, src, b + d))
			from = b + d;
	}
	assert(from > 0);
	double scale = (double)b / from;
	double L = lv_cost_latency(t, src, from) * scale;
	double E = lv_cost_energy(t, src, from) * scale;
	size_t i = fi * (size_t)k->max_batch + (size_t)(b - 1);
	k->latency_s[i] = L;
	k->power_w[i] = E / L;
}

struct lv_devmodel_kind *lv_devmodel_kind_new(const struct lv_profile *p,
                                              const struct lv_cost_table *t, char **why)
{
	int any = 0;
	for (size_t fi = 0; fi < t->n_freqs && !any; fi++)
		any = row_usable(t, fi);
	if (!any || p->n_freqs == 0 || t->n_freqs != p->n_freqs) {
		lv_fail(why, LV_EINVAL, "%s: the %s cost table has no usable cell to emulate from",
		        p->kind, lv_cost_mode_name(t->mode));
		return NULL;
	}
	struct lv_devmodel_kind *k = lv_xcalloc(1, sizeof(*k));
	k->profile = p;
	k->n_freqs = t->n_freqs;
	k->max_batch = t->max_batch;
	size_t cells = k->n_freqs * (size_t)k->max_batch;
	k->latency_s = lv_xmalloc(cells * sizeof(double));
	k->power_w = lv_xmalloc(cells * sizeof(double));
	for (size_t fi = 0; fi < k->n_freqs; fi++) {
		size_t src = source_row(t, fi);
		for (int b = 1; b <= k->max_batch; b++)
			fill_cell(k, t, fi, src, b);
	}
	k->min_idle_w = INFINITY;
	for (size_t fi = 0; fi < p->n_freqs; fi++)
		if (p->idle_power_w[fi] < k->min_idle_w)
			k->min_idle_w = p->idle_power_w[fi];
	const struct lv_governor *g = &p->governor;
	int floor = g->floor_hz ? lv_profile_freq_index(p, g->floor_hz) : 0;
	k->gov_floor = floor > 0 ? (size_t)floor : 0;
	size_t steps = k->n_freqs - 1 - k->gov_floor;
	k->gov_up_s = steps ? g->ramp_busy_s / (double)steps : 0;
	k->gov_down_s = steps > 1 ? g->descent_s / (double)(steps - 1) : 0;
	k->gov_hold_s = g->hold_s;
	return k;
}

void lv_devmodel_kind_free(struct lv_devmodel_kind *k)
{
	if (!k)
		return;
	free(k->latency_s);
	free(k->power_w);
	free(k);
}

double lv_devmodel_kind_latency(const struct lv_devmodel_kind *k, size_t fi, int batch)
{
	assert(fi < k->n_freqs && batch >= 1);
	if (batch <= k->max_batch)
		return k->latency_s[fi * (size_t)k->max_batch + (size_t)(batch - 1)];
	double top = k->latency_s[fi * (size_t)k->max_batch + (size_t)(k->max_batch - 1)];
	return top * batch / k->max_batch;
}

double lv_devmodel_kind_power(const struct lv_devmodel_kind *k, size_t fi, int batch)
{
	assert(fi < k->n_freqs && batch >= 1);
	int b = batch <= k->max_batch ? batch : k->max_batch;
	return k->power_w[fi * (size_t)k->max_batch + (size_t)(b - 1)];
}
