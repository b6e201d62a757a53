/*
 * predictor_eval: how good is the cost model. Error figures (MAPE, MAE) of a
 * trained predictor on a set of samples, the seeded train/test split, and the
 * thesis's generalisation experiment (how well does the model predict a kind
 * it has seen little or nothing of). Everything here is a pure function of
 * the samples and the seed; `loudva predictor eval` and the unit tests call it.
 */
#include "predictor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "base/util.h"

int lv_predictor_evaluate(const struct lv_predictor *p, const struct lv_pred_sample *samples,
                          size_t n, int kind, struct lv_pred_errors *out)
{
	float *feats = NULL;
	double *lat = NULL, *en = NULL;
	size_t m = 0;
	int rc = LV_OK;

	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < n; i++)
		m += kind < 0 || samples[i].kind_index == kind;
	if (m == 0)
		return LV_OK;
	feats = lv_xmalloc(m * LV_PRED_NFEATURES * sizeof *feats);
	lat = lv_xmalloc(m * sizeof *lat);
	en = lv_xmalloc(m * sizeof *en);
	size_t j = 0;
	for (size_t i = 0; i < n; i++)
		if (kind < 0 || samples[i].kind_index == kind)
			memcpy(&feats[LV_PRED_NFEATURES * j++], samples[i].feats,
			       sizeof samples[i].feats);
	rc = lv_predictor_predict_many(p, feats, m, lat, en);
	if (rc != LV_OK)
		goto out;
	j = 0;
	for (size_t i = 0; i < n; i++) {
		const struct lv_pred_sample *s = &samples[i];
		if (kind >= 0 && s->kind_index != kind)
			continue;
		out->latency_mae_s += fabs(lat[j] - s->latency_s);
		out->latency_mape += fabs(lat[j] - s->latency_s) / s->latency_s;
		out->energy_mae_j += fabs(en[j] - s->energy_j);
		out->energy_mape += fabs(en[j] - s->energy_j) / s->energy_j;
		j++;
	}
	out->n = m;
	out->latency_mae_s /= (double)m;
	out->energy_mae_j /= (double)m;
	out->latency_mape *= 100.0 / (double)m;
	out->energy_mape *= 100.0 / (double)m;
out:
	free(feats);
	free(lat);
	free(en);
	return rc;
}

/* A seeded Fisher-Yates permutation of 0..n-1. Caller frees. */
static size_t *shuffled_indices(size_t n, uint64_t seed)
{
	struct lv_rng r;
	size_t *idx = lv_xmalloc(n * sizeof *idx);
	lv_rng_seed(&r, seed);
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)lv_rng_below(&r, i);
		size_t t = idx[i - 1];
		idx[i - 1] = idx[j];
		idx[j] = t;
	}
	return idx;
}

/* Copies samples[idx[0..m-1]] into a new array (NULL when m is 0). */
static struct lv_pred_sample *gather(const struct lv_pred_sample *samples, const size_t *idx,
                                     size_t m)
{
	if (m == 0)
		return NULL;
	struct lv_pred_sample *out = lv_xmalloc(m * sizeof *out);
	for (size_t i = 0; i < m; i++)
		out[i] = samples[idx[i]];
	return out;
}

void lv_predictor_split(const struct lv_pred_sample *samples, size_t n, double train_frac,
                        uint64_t seed, struct lv_pred_sample **train, size_t *n_train,
                        struct lv_pred_sample **test, size_t *n_test)
{
	*train = *test = NULL;
	*n_train = *n_test = 0;
	if (n == 0)
		return;
	if (train_frac < 0)
		train_frac = 0;
	if (train_frac > 1)
		train_frac = 1;
	size_t *idx = shuffled_indices(n, seed);
	size_t nt = (size_t)llround(train_frac * (double)n);
	*train = gather(samples, idx, nt);
	*test = gather(samples, idx + nt, n - nt);
	*n_train = nt;
	*n_test = n - nt;
	free(idx);
}

/* Trains on others + the first `add` of kpts, evaluates on the rest (or all at 100 %). */
static int gen_step(const struct lv_pred_sample *others, size_t n_others,
                    const struct lv_pred_sample *kpts, size_t n_k, size_t add,
                    const struct lv_predictor_params *pp, struct lv_pred_gen_step *st, char **why)
{
	size_t ntr = n_others + add;
	struct lv_pred_sample *tr = lv_xmalloc(ntr * sizeof *tr);
	struct lv_predictor *p = NULL;
	int rc = LV_OK;

	if (n_others)
		memcpy(tr, others, n_others * sizeof *tr);
	if (add)
		memcpy(tr + n_others, kpts, add * sizeof *tr);
	p = lv_predictor_train(tr, ntr, pp, why);
	if (!p) {
		rc = LV_ELIB;
		goto out;
	}
	st->n_train = ntr;
	st->training_error = add == n_k;
	if (add == n_k)
		rc = lv_predictor_evaluate(p, kpts, n_k, -1, &st->err);
	else
		rc = lv_predictor_evaluate(p, kpts + add, n_k - add, -1, &st->err);
	st->n_eval = st->err.n;
	if (rc != LV_OK)
		lv_fail(why, rc, "predictor: prediction failed during evaluation");
out:
	lv_predictor_free(p);
	free(tr);
	return rc;
}

int lv_predictor_generalisation(const struct lv_pred_sample *samples, size_t n, int kind,
                                const int *percents, size_t n_steps, uint64_t seed,
                                const struct lv_predictor_params *pp, struct lv_pred_gen_step *out,
                                char **why)
{
	size_t n_k = 0;
	for (size_t i = 0; i < n; i++)
		n_k += samples[i].kind_index == kind;
	if (n_k == 0)
		return lv_fail(why, LV_EINVAL, "predictor: no samples of kind %d", kind);
	for (size_t s = 0; s < n_steps; s++)
		if (percents[s] < 0 || percents[s] > 100)
			return lv_fail(why, LV_EINVAL, "predictor: percent %d outside 0..100",
			               percents[s]);

	struct lv_pred_sample *others = lv_xmalloc((n - n_k + 1) * sizeof *others);
	struct lv_pred_sample *k_in_order = lv_xmalloc(n_k * sizeof *k_in_order);
	size_t no = 0, nk = 0;
	for (size_t i = 0; i < n; i++) {
		if (samples[i].kind_index == kind)
			k_in_order[nk++] = samples[i];
		else
			others[no++] = samples[i];
	}
	size_t *idx = shuffled_indices(n_k, seed);
	struct lv_pred_sample *kpts = gather(k_in_order, idx, n_k);
	int rc = LV_OK;
	for (size_t s = 0; s < n_steps && rc == LV_OK; s++) {
		size_t add = (size_t)((percents[s] * n_k + 50) / 100);
		memset(&out[s], 0, sizeof out[s]);
		out[s].percent = percents[s];
		if (no + add == 0) {
			rc = lv_fail(why, LV_EINVAL, "predictor: nothing to train on at %d %%",
			             percents[s]);
			break;
		}
		rc = gen_step(others, no, kpts, n_k, add, pp, &out[s], why);
	}
	free(idx);
	free(kpts);
	free(k_in_order);
	free(others);
	return rc;
}
