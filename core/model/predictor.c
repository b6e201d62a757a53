/*
 * predictor: owns the two XGBoost boosters of the cost model (latency of a
 * batch, energy of a batch), their training and prediction, and the helpers
 * the module's other files share (predictor_impl.h). Saving and loading the
 * model file live in predictor_io.c, the "retrain only when the profiles
 * change" cache in predictor_cache.c, evaluation (error figures, splits,
 * the generalisation experiment) in predictor_eval.c; they call in here,
 * never the other way round. The features (no XGBoost) are in
 * predictor_features.c, shared with the build that has no predictor
 * (predictor_none.c).
 *
 * Target transform. Both regressors learn log(y) with reg:squarederror and
 * predictions are exp()'ed back. Latency spans about 0.03 s to 13 s and energy
 * 0.4 J to 78 J across the three kinds; on raw targets the squared error is
 * dominated by the large AGX batches, so the small Nano/NX points get the
 * worst relative error. On log targets the loss is, to first order, the
 * squared relative error, which is what the scheduler cares about: it
 * compares configurations by ratio (energy per frame, latency vs budget).
 * Measured on the thesis data with the default parameters (seeded 80/20
 * splits, mean of 5 seeds): log targets gave latency MAPE 2.3 % and energy
 * MAPE 2.5 % (Xavier NX latency 2.7 %), raw targets 3.1 % and 2.7 % (Xavier NX
 * latency 4.8 %); with 20 % of the NX points in training, NX latency MAPE was
 * 5.2 % (log) against 10.1 % (raw). A side effect: exp() keeps every
 * prediction positive.
 *
 * Determinism: tree_method=exact, nthread=1, no row or column subsampling and
 * a fixed seed, so the same samples give the same trees, bit for bit.
 * XGBoost's error strings are translated into LV_ELIB messages here and go no
 * further. Callers: cost_build (tables), console (cmd_predictor), tests.
 */
#include "predictor.h"
#include "predictor_impl.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xgboost/c_api.h>

#include "profile.h"
#include "base/util.h"

const char *const lv_pred_target_names[LV_PRED_NTARGETS] = { "latency", "energy" };

void lv_predictor_params_default(struct lv_predictor_params *pp)
{
	pp->rounds = 500;
	pp->max_depth = 4;
	pp->eta = 0.1;
	pp->seed = 42;
}

int lv_predictor_available(void)
{
	return 1;
}

struct lv_pred_sample *lv_predictor_samples(const struct lv_profile *const *profiles,
                                            size_t n_profiles, size_t *n_out)
{
	size_t n = 0;
	for (size_t k = 0; k < n_profiles; k++)
		n += profiles[k]->n_points;
	*n_out = n;
	if (n == 0)
		return NULL;
	struct lv_pred_sample *s = lv_xcalloc(n, sizeof *s);
	size_t i = 0;
	for (size_t k = 0; k < n_profiles; k++) {
		const struct lv_profile *pr = profiles[k];
		for (size_t j = 0; j < pr->n_points; j++, i++) {
			const struct lv_profile_point *pt = &pr->points[j];
			lv_predictor_features(&pr->gpu, pt->freq_hz, pt->batch, s[i].feats);
			s[i].latency_s = pt->latency_s;
			s[i].energy_j = pt->energy_j;
			s[i].kind_index = (int)k;
		}
	}
	return s;
}

int lv_pred_xgb_fail(char **why, const char *what)
{
	return lv_fail(why, LV_ELIB, "predictor: %s: %s", what, XGBGetLastError());
}

static int check_params(const struct lv_predictor_params *pp, char **why)
{
	if (pp->rounds < 1 || pp->rounds > 100000)
		return lv_fail(why, LV_EINVAL, "predictor: rounds %d outside 1..100000",
		               pp->rounds);
	if (pp->max_depth < 1 || pp->max_depth > 20)
		return lv_fail(why, LV_EINVAL, "predictor: max_depth %d outside 1..20",
		               pp->max_depth);
	if (!(pp->eta > 0 && pp->eta <= 1))
		return lv_fail(why, LV_EINVAL, "predictor: eta %g outside (0, 1]", pp->eta);
	return LV_OK;
}

/* Both targets must be finite and positive: they are learnt as logarithms. */
static int check_samples(const struct lv_pred_sample *s, size_t n, char **why)
{
	if (n == 0)
		return lv_fail(why, LV_EINVAL, "predictor: no training samples");
	for (size_t i = 0; i < n; i++) {
		if (!(isfinite(s[i].latency_s) && s[i].latency_s > 0))
			return lv_fail(why, LV_EINVAL,
			               "predictor: sample %zu: latency_s %g not > 0", i,
			               s[i].latency_s);
		if (!(isfinite(s[i].energy_j) && s[i].energy_j > 0))
			return lv_fail(why, LV_EINVAL, "predictor: sample %zu: energy_j %g not > 0",
			               i, s[i].energy_j);
		for (int f = 0; f < LV_PRED_NFEATURES; f++)
			if (!isfinite(s[i].feats[f]))
				return lv_fail(why, LV_EINVAL,
				               "predictor: sample %zu: feature %d not finite", i,
				               f);
	}
	return LV_OK;
}

/*
 * Parameters every booster gets, trained or loaded. nthread=1 keeps the
 * floating-point summation order fixed; verbosity=0 keeps the library quiet
 * (core/ never prints).
 */
BoosterHandle lv_pred_booster_new(const DMatrixHandle *dms, size_t n_dms, char **why)
{
	BoosterHandle b = NULL;
	if (XGBoosterCreate(dms, (bst_ulong)n_dms, &b) != 0) {
		lv_pred_xgb_fail(why, "creating a booster");
		return NULL;
	}
	if (XGBoosterSetParam(b, "nthread", "1") != 0 ||
	    XGBoosterSetParam(b, "verbosity", "0") != 0) {
		lv_pred_xgb_fail(why, "setting nthread/verbosity");
		XGBoosterFree(b);
		return NULL;
	}
	return b;
}

struct lv_predictor *lv_pred_keep(struct lv_predictor *p, int rc)
{
	if (rc == LV_OK)
		return p;
	lv_predictor_free(p);
	return NULL;
}

BoosterHandle lv_pred_booster_keep(BoosterHandle b, int rc)
{
	if (rc == LV_OK)
		return b;
	if (b)
		XGBoosterFree(b);
	return NULL;
}

/* A booster boosted pp->rounds times on dm, or NULL with *why. */
static BoosterHandle train_booster(DMatrixHandle dm, const struct lv_predictor_params *pp,
                                   char **why)
{
	char depth[16], eta[32], seed[16];

	snprintf(depth, sizeof depth, "%d", pp->max_depth);
	snprintf(eta, sizeof eta, "%.17g", pp->eta);
	snprintf(seed, sizeof seed, "%u", pp->seed);
	const char *kv[][2] = {
		{ "objective", "reg:squarederror" },
		{ "tree_method", "exact" },
		{ "max_depth", depth },
		{ "eta", eta },
		{ "seed", seed },
		{ "subsample", "1" },
		{ "colsample_bytree", "1" },
	};
	BoosterHandle b = lv_pred_booster_new(&dm, 1, why);
	int rc = b ? LV_OK : LV_ELIB;
	for (size_t i = 0; rc == LV_OK && i < sizeof kv / sizeof kv[0]; i++)
		if (XGBoosterSetParam(b, kv[i][0], kv[i][1]) != 0)
			rc = lv_pred_xgb_fail(why, kv[i][0]);
	for (int it = 0; rc == LV_OK && it < pp->rounds; it++)
		if (XGBoosterUpdateOneIter(b, it, dm) != 0)
			rc = lv_pred_xgb_fail(why, "boosting");
	return lv_pred_booster_keep(b, rc);
}

struct lv_predictor *lv_predictor_train(const struct lv_pred_sample *samples, size_t n,
                                        const struct lv_predictor_params *pp, char **why)
{
	struct lv_predictor_params def;
	struct lv_predictor *p = NULL;
	DMatrixHandle dm = NULL;
	float *x = NULL, *y = NULL;
	int rc = LV_ELIB;

	if (!pp) {
		lv_predictor_params_default(&def);
		pp = &def;
	}
	if (check_params(pp, why) != LV_OK || check_samples(samples, n, why) != LV_OK)
		return NULL;
	x = lv_xmalloc(n * LV_PRED_NFEATURES * sizeof *x);
	y = lv_xmalloc(n * sizeof *y);
	for (size_t i = 0; i < n; i++)
		memcpy(&x[i * LV_PRED_NFEATURES], samples[i].feats, sizeof samples[i].feats);
	if (XGDMatrixCreateFromMat(x, n, LV_PRED_NFEATURES, NAN, &dm) != 0) {
		lv_pred_xgb_fail(why, "building the training matrix");
		goto out;
	}
	p = lv_xcalloc(1, sizeof *p);
	for (int t = 0; t < LV_PRED_NTARGETS; t++) {
		for (size_t i = 0; i < n; i++)
			y[i] = (float)log(t == LV_PRED_LATENCY ? samples[i].latency_s
			                                       : samples[i].energy_j);
		if (XGDMatrixSetFloatInfo(dm, "label", y, n) != 0) {
			lv_pred_xgb_fail(why, "setting labels");
			goto out;
		}
		p->booster[t] = train_booster(dm, pp, why);
		if (!p->booster[t])
			goto out;
	}
	rc = LV_OK;
out:
	if (dm)
		XGDMatrixFree(dm);
	free(x);
	free(y);
	return lv_pred_keep(p, rc);
}

static const char predict_config[] = "{\"type\":0,\"training\":false,\"iteration_begin\":0,"
                                     "\"iteration_end\":0,\"strict_shape\":false}";

/* Runs one booster over dm and writes exp(margin) to out[n]. */
static int predict_target(BoosterHandle b, DMatrixHandle dm, size_t n, double *out)
{
	const bst_ulong *shape = NULL;
	bst_ulong dim = 0;
	const float *res = NULL;

	if (XGBoosterPredictFromDMatrix(b, dm, predict_config, &shape, &dim, &res) != 0)
		return LV_ELIB;
	bst_ulong total = dim > 0 ? 1 : 0;
	for (bst_ulong d = 0; d < dim; d++)
		total *= shape[d];
	if (total != n)
		return LV_ELIB;
	for (size_t i = 0; i < n; i++) {
		double v = exp((double)res[i]);
		/* exp() of a float margin cannot reach 0 in practice; guard anyway. */
		out[i] = v > 1e-12 ? v : 1e-12;
	}
	return LV_OK;
}

int lv_predictor_predict_many(const struct lv_predictor *p, const float *feats, size_t n,
                              double *latency_s, double *energy_j)
{
	DMatrixHandle dm = NULL;
	int rc = LV_OK;

	assert(p && p->booster[0] && p->booster[1]);
	if (n == 0)
		return LV_OK;
	if (XGDMatrixCreateFromMat(feats, n, LV_PRED_NFEATURES, NAN, &dm) != 0)
		return LV_ELIB;
	if (latency_s)
		rc = predict_target(p->booster[LV_PRED_LATENCY], dm, n, latency_s);
	if (rc == LV_OK && energy_j)
		rc = predict_target(p->booster[LV_PRED_ENERGY], dm, n, energy_j);
	XGDMatrixFree(dm);
	return rc;
}

int lv_predictor_predict(const struct lv_predictor *p, const struct lv_gpu_specs *gpu,
                         uint64_t freq_hz, int batch, double *latency_s, double *energy_j)
{
	float feats[LV_PRED_NFEATURES];
	lv_predictor_features(gpu, freq_hz, batch, feats);
	return lv_predictor_predict_many(p, feats, 1, latency_s, energy_j);
}

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME  0x100000001b3ULL

uint64_t lv_pred_fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *b = data;
	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= FNV_PRIME;
	}
	return h;
}

uint64_t lv_pred_fnv1a_bytes(const void *data, size_t len)
{
	return lv_pred_fnv1a(FNV_OFFSET, data, len);
}

uint64_t lv_predictor_fingerprint(const struct lv_predictor *p)
{
	return p->fingerprint;
}

void lv_predictor_set_fingerprint(struct lv_predictor *p, uint64_t fp)
{
	p->fingerprint = fp;
}

void lv_predictor_free(struct lv_predictor *p)
{
	if (!p)
		return;
	for (int t = 0; t < LV_PRED_NTARGETS; t++)
		if (p->booster[t])
			XGBoosterFree(p->booster[t]);
	free(p);
}
