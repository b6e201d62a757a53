/*
 * predictor_none: the predictor's entry points in a program built without
 * XGBoost. `make agent` (the agent alone, as a Jetson builds it: JetPack 4
 * and 5's Ubuntu has no XGBoost package) links this file in place of the
 * files that use XGBoost (the Makefile's PREDICTOR_XGB_SRC); no other build
 * compiles it.
 *
 * No predictor can exist here, so what would make one fails, saying so, and
 * cost tables come only from measured points
 * (prof mode). The file defines only what the agent's objects reach (the cost
 * table build and the cluster's costs): a new caller of another predictor
 * function fails to link in `make agent` (tests/install/test_agent_build.sh)
 * rather than running without the model.
 */
#include "predictor.h"

#include <assert.h>

#include "base/util.h"

int lv_predictor_available(void)
{
	return 0;
}

struct lv_predictor *lv_predictor_obtain(const struct lv_profile *const *profiles, size_t n,
                                         const char *path, char **why)
{
	(void)profiles;
	(void)n;
	(void)path;
	lv_fail(why, LV_ELIB,
	        "no cost predictor: this program was built without XGBoost (make agent), so "
	        "only prof mode (measured points) works; build with make for fill and pred");
	return NULL;
}

/* Unreachable without a predictor; an error rather than a made-up cost. */
int lv_predictor_predict_many(const struct lv_predictor *p, const float *feats, size_t n,
                              double *latency_s, double *energy_j)
{
	(void)feats;
	(void)n;
	(void)latency_s;
	(void)energy_j;
	(void)p;
	return LV_ELIB;
}

void lv_predictor_free(struct lv_predictor *p)
{
	assert(p == NULL); /* none was ever made */
	(void)p;
}
