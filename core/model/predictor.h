/*
 * predictor: the cost model (the thesis's LoudCostPredictor) — two
 * gradient-boosted tree regressors (XGBoost C API), one for the latency of a
 * batch and one for its energy, from the features
 *   batch size, GPU frequency (Hz), GPU max MHz, GPU min MHz, CUDA cores,
 *   memory bandwidth GB/s, memory GB, tensor cores.
 * Trained on the measured points of a set of profiles. Training is seeded and
 * single-threaded, so the same profiles give the same model.
 *
 * Library error codes stay in here: callers see LV_E* codes and messages.
 */
#ifndef LV_PREDICTOR_H
#define LV_PREDICTOR_H

#include <stddef.h>
#include <stdint.h>

struct lv_profile;
struct lv_gpu_specs;
struct lv_predictor;

#define LV_PRED_NFEATURES 8

/*
 * 1 when this program has the predictor; 0 when it was built without
 * XGBoost (`make agent`: predictor_none.c stands in for the predictor's files,
 * lv_predictor_obtain fails and only prof-mode cost tables can be built). A
 * program checks it where it reads the option that would need the predictor,
 * to name that option in its error.
 */
int lv_predictor_available(void);

struct lv_predictor_params {
	int rounds;    /* boosting rounds [500] */
	int max_depth; /* [4] */
	double eta;    /* learning rate [0.1] */
	unsigned seed; /* [42] XGBoost's; with no subsampling it does not change the
	                  trees today, but a sampled recipe would stay reproducible */
};

/*
 * The defaults above: chosen on the thesis data (seeded 80/20 splits, mean of
 * 8 seeds) over 200..1000 rounds, depth 3..8, eta 0.05..0.2; deeper trees
 * overfit the per-kind grids, more rounds cost time for < 0.1 point of MAPE.
 */
void lv_predictor_params_default(struct lv_predictor_params *pp);

/* Fills feats[LV_PRED_NFEATURES] for one configuration, in the order above. */
void lv_predictor_features(const struct lv_gpu_specs *gpu, uint64_t freq_hz, int batch,
                           float *feats);

/*
 * One training sample. Training sets are arrays of these, so evaluation can
 * split and filter points without touching profiles.
 */
struct lv_pred_sample {
	float feats[LV_PRED_NFEATURES];
	double latency_s;
	double energy_j;
	int kind_index; /* which profile it came from (for per-kind splits) */
};

/*
 * All measured points of the profiles as samples, kind_index = position in
 * `profiles`; *n_out set. NULL when there are none. Caller frees.
 */
struct lv_pred_sample *lv_predictor_samples(const struct lv_profile *const *profiles,
                                            size_t n_profiles, size_t *n_out);

/*
 * Trains both regressors on n samples (pp NULL: the defaults). Every sample's
 * latency and energy must be finite and > 0 (they are learnt as logs). About
 * 0.6 s for the ~2,200 thesis points on one core. NULL on error with *why
 * (LV_EINVAL-style for bad input, XGBoost's message otherwise). Caller frees.
 */
struct lv_predictor *lv_predictor_train(const struct lv_pred_sample *samples, size_t n,
                                        const struct lv_predictor_params *pp, char **why);

/*
 * Predicts latency (s) and energy (J) of one batch; either out pointer may be
 * NULL. Values are always > 0 (the model is learnt in log space). 0 or LV_ELIB.
 */
int lv_predictor_predict(const struct lv_predictor *p, const struct lv_gpu_specs *gpu,
                         uint64_t freq_hz, int batch, double *latency_s, double *energy_j);

/*
 * Predicts many rows at once (feats is n × LV_PRED_NFEATURES, row-major, as
 * lv_predictor_features fills them); latency_s[n] and energy_j[n] (either may
 * be NULL). Much faster than one by one. 0 or LV_ELIB.
 */
int lv_predictor_predict_many(const struct lv_predictor *p, const float *feats, size_t n,
                              double *latency_s, double *energy_j);

/*
 * Saves to / loads from one file (a small JSON envelope holding both boosters
 * and the fingerprint of the training profiles; see predictor_io.c). Saving
 * is atomic and creates missing parent directories: 0, LV_EIO or LV_ELIB.
 * Loading checks the envelope and a checksum of each model before XGBoost
 * sees it, so a corrupt or truncated file gives NULL and a message naming the
 * file and field (LV_ENOENT-style "cannot open" when it is missing). Caller
 * frees the predictor.
 */
int lv_predictor_save(const struct lv_predictor *p, const char *path, char **why);
struct lv_predictor *lv_predictor_load(const char *path, char **why);

/*
 * Fingerprint of the training data: FNV-1a 64 over a recipe line (default
 * parameters, target transform, XGBoost version) and then each profile's
 * canonical JSON (lv_profile_to_json) in the given order. Stored with the
 * model; lv_predictor_train leaves it 0 and callers set it.
 */
uint64_t lv_predictor_fingerprint_profiles(const struct lv_profile *const *profiles, size_t n);
uint64_t lv_predictor_fingerprint(const struct lv_predictor *p);
void lv_predictor_set_fingerprint(struct lv_predictor *p, uint64_t fp);

/*
 * Loads the model at `path` if it exists and was trained on exactly these
 * profiles (same fingerprint); otherwise trains a new one with the default
 * parameters and saves it there (path may be NULL: train, never save). This
 * is "retrain only when profiles change". An unreadable, corrupt or stale
 * file is rebuilt, not reported; a failed save is (NULL, *why). Caller frees.
 */
struct lv_predictor *lv_predictor_obtain(const struct lv_profile *const *profiles, size_t n,
                                         const char *path, char **why);

void lv_predictor_free(struct lv_predictor *p);

/* Error summary of predictions against truth. */
struct lv_pred_errors {
	size_t n;
	double latency_mape; /* percent */
	double latency_mae_s;
	double energy_mape; /* percent */
	double energy_mae_j;
};

/*
 * Evaluates p on the samples whose kind_index is `kind` (all samples when
 * kind < 0): mean absolute percentage error and mean absolute error of each
 * target. With no matching sample, out is all zeros. 0 or LV_ELIB.
 */
int lv_predictor_evaluate(const struct lv_predictor *p, const struct lv_pred_sample *samples,
                          size_t n, int kind, struct lv_pred_errors *out);

/*
 * Seeded random split: a Fisher-Yates shuffle (lv_rng, `seed`) of the
 * samples, the first round(train_frac × n) of it to *train, the rest to
 * *test, in shuffled order. Either array is NULL when it is empty. Caller
 * frees both.
 */
void lv_predictor_split(const struct lv_pred_sample *samples, size_t n, double train_frac,
                        uint64_t seed, struct lv_pred_sample **train, size_t *n_train,
                        struct lv_pred_sample **test, size_t *n_test);

/* One step of the generalisation experiment. */
struct lv_pred_gen_step {
	int percent;        /* share of kind K's points added back to training */
	size_t n_train;     /* training samples: all other kinds + the added K points */
	size_t n_eval;      /* K points the error was measured on */
	int training_error; /* 1 at 100 %: measured on points it was trained on */
	struct lv_pred_errors err;
};

/*
 * The thesis's generalisation question for kind K (kind_index `kind`): train
 * without K, then with percents[i] % of K's points added back, and measure the
 * error on the K points left out. K's points are shuffled once (seeded), and
 * step i adds the first round(percents[i] % × |K|) of that order, so each
 * step's training set contains the previous one's. At 100 % nothing is left
 * out, so the error is measured on all of K and flagged as training error.
 * percents are in 0..100; out has n_steps entries. 0, LV_EINVAL (no K points,
 * bad percent) or the training error, with *why.
 */
int lv_predictor_generalisation(const struct lv_pred_sample *samples, size_t n, int kind,
                                const int *percents, size_t n_steps, uint64_t seed,
                                const struct lv_predictor_params *pp, struct lv_pred_gen_step *out,
                                char **why);

#endif
