/*
 * cost_build: filling a kind's cost table from its measured points and, in
 * fill and pred mode, from the predictor (see cost.h for the modes).
 *
 * Building a pred/fill table calls the predictor once for the whole grid
 * (lv_predictor_predict_many), so building every table of a cluster costs a
 * few milliseconds; lookups afterwards are array reads.
 */
#include "cost.h"

#include <math.h>
#include <stdlib.h>

#include "predictor.h"
#include "profile.h"
#include "base/util.h"

static void set_cell(struct lv_cost_table *t, size_t i, int batch, double lat, double en,
                     enum lv_cost_source src)
{
	t->latency_s[i] = lat;
	t->energy_j[i] = en;
	t->energy_per_frame_j[i] = en / batch;
	t->source[i] = (unsigned char)src;
}

/* Fills every cell from the predictor (pred) or only the unmeasured ones (fill). */
static int predict_cells(struct lv_cost_table *t, const struct lv_predictor *pred, int only_missing,
                         char **why)
{
	size_t cells = t->n_freqs * (size_t)t->max_batch;
	float *feats = lv_xmalloc(cells * LV_PRED_NFEATURES * sizeof(float));
	size_t *where = lv_xmalloc(cells * sizeof(size_t));
	double *lat = lv_xmalloc(cells * sizeof(double));
	double *en = lv_xmalloc(cells * sizeof(double));
	size_t n = 0;
	int rc = LV_OK;

	for (size_t fi = 0; fi < t->n_freqs; fi++) {
		for (int b = 1; b <= t->max_batch; b++) {
			size_t i = lv_cost_index(t, fi, b);
			if (only_missing && t->source[i] == LV_SRC_MEASURED)
				continue;
			lv_predictor_features(&t->profile->gpu, t->freqs_hz[fi], b,
			                      feats + n * LV_PRED_NFEATURES);
			where[n++] = i;
		}
	}
	if (n > 0) {
		rc = lv_predictor_predict_many(pred, feats, n, lat, en);
		if (rc != LV_OK) {
			lv_fail(why, rc, "%s: predicting the cost table failed", t->profile->kind);
			goto out;
		}
	}
	for (size_t k = 0; k < n; k++) {
		size_t i = where[k];
		int b = (int)(i % (size_t)t->max_batch) + 1;
		set_cell(t, i, b, lat[k], en[k], LV_SRC_PREDICTED);
	}
out:
	free(feats);
	free(where);
	free(lat);
	free(en);
	return rc;
}

int lv_cost_check_measured(const struct lv_profile *profile, char **why)
{
	if (profile->n_points > 0)
		return LV_OK;
	/*
	 * A kind known by its specs only (profiles/README.md: the Orins): no
	 * table of any mode, since neither the scheduler nor the twin may believe
	 * a guess for a board nobody has measured.
	 */
	return lv_fail(why, LV_EINVAL,
	               "%s (%s): no measured points yet — this kind is known by its specs only; "
	               "measure it on the board with `loudva profile run --cluster FILE --device "
	               "NAME --out profiles/%s.json` (profiles/README.md)",
	               profile->kind, profile->display_name, profile->kind);
}

struct lv_cost_table *lv_cost_table_build(const struct lv_profile *profile,
                                          const struct lv_predictor *pred, enum lv_cost_mode mode,
                                          char **why)
{
	if (lv_cost_check_measured(profile, why) != LV_OK)
		return NULL;
	if (mode != LV_COST_PROF && !pred) {
		lv_fail(why, LV_EINVAL, "%s: %s mode needs a predictor", profile->kind,
		        lv_cost_mode_name(mode));
		return NULL;
	}
	struct lv_cost_table *t = lv_xcalloc(1, sizeof(*t));
	t->profile = profile;
	t->mode = mode;
	t->n_freqs = profile->n_freqs;
	t->max_batch = profile->max_batch;
	t->freqs_hz = profile->freqs_hz;
	size_t cells = t->n_freqs * (size_t)t->max_batch;
	t->latency_s = lv_xmalloc(cells * sizeof(double));
	t->energy_j = lv_xmalloc(cells * sizeof(double));
	t->energy_per_frame_j = lv_xmalloc(cells * sizeof(double));
	t->source = lv_xcalloc(cells, 1);

	for (size_t fi = 0; fi < t->n_freqs; fi++)
		for (int b = 1; b <= t->max_batch; b++)
			set_cell(t, lv_cost_index(t, fi, b), b, INFINITY, INFINITY, LV_SRC_NONE);

	if (mode != LV_COST_PRED) {
		for (size_t k = 0; k < profile->n_points; k++) {
			const struct lv_profile_point *pt = &profile->points[k];
			if (pt->batch > t->max_batch)
				continue;
			int fi = lv_profile_freq_index(profile, pt->freq_hz);
			if (fi < 0)
				continue; /* validated profiles never get here */
			set_cell(t, lv_cost_index(t, (size_t)fi, pt->batch), pt->batch,
			         pt->latency_s, pt->energy_j, LV_SRC_MEASURED);
		}
	}
	if (mode != LV_COST_PROF && predict_cells(t, pred, mode == LV_COST_FILL, why) != LV_OK) {
		lv_cost_table_free(t);
		return NULL;
	}
	return t;
}
