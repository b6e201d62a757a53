/*
 * predictor_impl: what predictor.c (training, prediction) defines for
 * predictor_io.c (the model file) and predictor_cache.c (the retraining
 * cache). Private to the predictor module: nobody else includes it, and
 * XGBoost types go no further than these files.
 */
#ifndef LV_PREDICTOR_IMPL_H
#define LV_PREDICTOR_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <xgboost/c_api.h>

/* Version of the model file envelope (and part of the fingerprint recipe). */
#define LV_PRED_FORMAT_VERSION 1

enum lv_pred_target {
	LV_PRED_LATENCY = 0, /* learns log(latency_s) */
	LV_PRED_ENERGY = 1,  /* learns log(energy_j) */
	LV_PRED_NTARGETS = 2,
};

/* "latency", "energy": also the envelope's key stems ("latency_model"). */
extern const char *const lv_pred_target_names[LV_PRED_NTARGETS];

struct lv_predictor {
	BoosterHandle booster[LV_PRED_NTARGETS]; /* owned; both non-NULL once built */
	uint64_t fingerprint;                    /* of the training profiles; 0 if unknown */
};

/* Sets *why from XGBGetLastError(); returns LV_ELIB. */
int lv_pred_xgb_fail(char **why, const char *what);

/*
 * A new booster over n_dms matrices (dms may be NULL when n_dms is 0, for a
 * model about to be loaded), with what every booster gets, trained or
 * loaded: nthread=1, verbosity=0. NULL with *why (LV_ELIB).
 */
BoosterHandle lv_pred_booster_new(const DMatrixHandle *dms, size_t n_dms, char **why);

/*
 * The end of making a booster or a predictor: the object when rc is LV_OK,
 * else the object freed (NULL is fine) and NULL.
 */
BoosterHandle lv_pred_booster_keep(BoosterHandle b, int rc);
struct lv_predictor *lv_pred_keep(struct lv_predictor *p, int rc);

/* FNV-1a 64: continue hash h over data; the _bytes form starts from the offset basis. */
uint64_t lv_pred_fnv1a(uint64_t h, const void *data, size_t len);
uint64_t lv_pred_fnv1a_bytes(const void *data, size_t len);

#endif
