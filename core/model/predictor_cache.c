/*
 * predictor_cache: "retrain only when the profiles change". A model file
 * records the fingerprint of the profiles it was trained on (a hash of the
 * training recipe and of each profile's canonical JSON); lv_predictor_obtain
 * reuses the file while the fingerprint matches and otherwise trains afresh
 * and saves over it. Callers: cluster_load (cost tables), the console.
 */
#include "predictor.h"
#include "predictor_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profile.h"
#include "base/util.h"

/*
 * FNV-1a 64 over a recipe line (the default parameters, the target transform
 * and the XGBoost version) followed by each profile's canonical JSON and a NUL
 * separator, in the given order. The recipe is part of it so that a cache
 * trained by an older recipe or another XGBoost is retrained, not trusted.
 */
uint64_t lv_predictor_fingerprint_profiles(const struct lv_profile *const *profiles, size_t n)
{
	struct lv_predictor_params pp;
	int major = 0, minor = 0, patch = 0;
	char recipe[160];

	lv_predictor_params_default(&pp);
	XGBoostVersion(&major, &minor, &patch);
	snprintf(recipe, sizeof recipe,
	         "loudva-predictor/%d log-target exact rounds=%d depth=%d eta=%.17g seed=%u "
	         "xgboost=%d.%d.%d",
	         LV_PRED_FORMAT_VERSION, pp.rounds, pp.max_depth, pp.eta, pp.seed, major, minor,
	         patch);
	uint64_t h = lv_pred_fnv1a_bytes(recipe, strlen(recipe) + 1);
	for (size_t k = 0; k < n; k++) {
		char *js = lv_profile_to_json(profiles[k]);
		h = lv_pred_fnv1a(h, js, strlen(js) + 1);
		free(js);
	}
	return h;
}

struct lv_predictor *lv_predictor_obtain(const struct lv_profile *const *profiles, size_t n,
                                         const char *path, char **why)
{
	uint64_t fp = lv_predictor_fingerprint_profiles(profiles, n);
	struct lv_predictor *p = NULL;

	if (path && access(path, F_OK) == 0) {
		/* An unreadable or stale cache is not an error: it is rebuilt below. */
		p = lv_predictor_load(path, NULL);
		if (p && p->fingerprint == fp)
			return p;
		lv_predictor_free(p);
		p = NULL;
	}
	size_t ns = 0;
	struct lv_pred_sample *s = lv_predictor_samples(profiles, n, &ns);
	p = lv_predictor_train(s, ns, NULL, why);
	free(s);
	if (!p)
		return NULL;
	p->fingerprint = fp;
	if (path && lv_predictor_save(p, path, why) != LV_OK) {
		lv_predictor_free(p);
		return NULL;
	}
	return p;
}
