/*
 * predictor_features: a configuration as the predictor's feature row. No
 * XGBoost here: the cost table build (cost_build.c) makes these rows in every
 * build, also in the agent built alone (predictor_none.c), so they live apart
 * from the boosters in predictor.c.
 */
#include "predictor.h"

#include "profile.h"

void lv_predictor_features(const struct lv_gpu_specs *gpu, uint64_t freq_hz, int batch,
                           float *feats)
{
	feats[0] = (float)batch;
	feats[1] = (float)freq_hz;
	feats[2] = (float)gpu->max_mhz;
	feats[3] = (float)gpu->min_mhz;
	feats[4] = (float)gpu->cuda_cores;
	feats[5] = (float)gpu->mem_bw_gbs;
	feats[6] = (float)gpu->mem_gb;
	feats[7] = (float)gpu->tensor_cores;
}
