/*
 * cost: the modes and the tables' lifetime (see cost.h). Lookups are the
 * inline functions in cost.h; building a table is cost_build.c, the one
 * file of the module that calls the predictor. What is here does no I/O
 * and links without XGBoost, as the scheduler needs.
 */
#include "cost.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

int lv_cost_mode_parse(const char *s, enum lv_cost_mode *out)
{
	if (!s)
		return LV_EINVAL;
	if (strcmp(s, "prof") == 0)
		*out = LV_COST_PROF;
	else if (strcmp(s, "fill") == 0)
		*out = LV_COST_FILL;
	else if (strcmp(s, "pred") == 0)
		*out = LV_COST_PRED;
	else
		return LV_EINVAL;
	return LV_OK;
}

const char *lv_cost_mode_name(enum lv_cost_mode m)
{
	switch (m) {
	case LV_COST_PROF: return "prof";
	case LV_COST_FILL: return "fill";
	case LV_COST_PRED: return "pred";
	}
	return "?";
}

void lv_cost_table_free(struct lv_cost_table *t)
{
	if (!t)
		return;
	free(t->latency_s);
	free(t->energy_j);
	free(t->energy_per_frame_j);
	free(t->source);
	free(t);
}

struct lv_cost_table *lv_cost_table_plus_frames(const struct lv_cost_table *t, double latency_s,
                                                double energy_j)
{
	size_t cells = t->n_freqs * (size_t)t->max_batch;
	struct lv_cost_table *o = lv_xmalloc(sizeof(*o));
	*o = *t;
	o->latency_s = lv_xmalloc(cells * sizeof(double));
	o->energy_j = lv_xmalloc(cells * sizeof(double));
	o->energy_per_frame_j = lv_xmalloc(cells * sizeof(double));
	o->source = lv_xmalloc(cells);
	memcpy(o->source, t->source, cells);
	for (size_t fi = 0; fi < t->n_freqs; fi++)
		for (int b = 1; b <= t->max_batch; b++) {
			size_t k = lv_cost_index(t, fi, b);
			/* An unusable cell (+INFINITY) stays unusable. */
			o->latency_s[k] = t->latency_s[k] + latency_s * b;
			o->energy_j[k] = t->energy_j[k] + energy_j * b;
			o->energy_per_frame_j[k] = o->energy_j[k] / b;
		}
	return o;
}

size_t lv_cost_table_bytes(const struct lv_cost_table *t)
{
	size_t cells = t->n_freqs * (size_t)t->max_batch;
	return cells * (3 * sizeof(double) + 1);
}
