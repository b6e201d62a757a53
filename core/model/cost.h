/*
 * cost: the one question the scheduler asks thousands of times a second —
 * what do a batch's latency and energy cost on device kind K at GPU clock f
 * with batch size b — answered by an array read.
 *
 * A table is built once per device kind, for every clock of the kind and every
 * batch 1..max_batch, in one of three modes (as the thesis compared them):
 *   prof  measured points only; a cell nobody measured is unusable
 *         (latency and energy are +INFINITY);
 *   fill  measured where measured, predicted elsewhere;
 *   pred  the predictor everywhere (the thesis's default, and the only way to
 *         schedule a kind nobody profiled).
 * Cells are stored frequency-major so the policy's inner loop over batches
 * walks contiguous memory.
 *
 * cost.c holds the modes and the table's lifetime, cost_build.c the build
 * (the only part that calls the predictor): the scheduler reads tables and
 * frees them without linking XGBoost.
 */
#ifndef LV_COST_H
#define LV_COST_H

#include <stddef.h>
#include <stdint.h>

struct lv_profile;
struct lv_predictor;

enum lv_cost_mode {
	LV_COST_PROF = 0,
	LV_COST_FILL = 1,
	LV_COST_PRED = 2,
};

enum lv_cost_source {
	LV_SRC_NONE = 0, /* unusable (prof mode, not measured) */
	LV_SRC_MEASURED = 1,
	LV_SRC_PREDICTED = 2,
};

struct lv_cost_table {
	const struct lv_profile *profile; /* borrowed; outlives the table */
	enum lv_cost_mode mode;
	size_t n_freqs;           /* = profile->n_freqs */
	int max_batch;            /* = profile->max_batch */
	const uint64_t *freqs_hz; /* borrowed from profile, ascending */
	/* n_freqs × max_batch cells, index fi * max_batch + (b - 1). */
	double *latency_s;
	double *energy_j;
	double *energy_per_frame_j; /* energy_j / b */
	unsigned char *source;      /* enum lv_cost_source */
};

/* "prof", "fill", "pred" → mode. 0 or LV_EINVAL. */
int lv_cost_mode_parse(const char *s, enum lv_cost_mode *out);
const char *lv_cost_mode_name(enum lv_cost_mode m);

/*
 * LV_OK when the profile has measured points, else LV_EINVAL with *why
 * naming the kind and the command that measures it (`loudva profile run`).
 */
int lv_cost_check_measured(const struct lv_profile *profile, char **why);

/*
 * Builds the table for one kind. `pred` may be NULL only in prof mode.
 * NULL on error (*why set), among them a profile with no measured points
 * (a kind known by its specs only), whose message names the command that
 * measures it. Caller frees with lv_cost_table_free.
 */
struct lv_cost_table *lv_cost_table_build(const struct lv_profile *profile,
                                          const struct lv_predictor *pred, enum lv_cost_mode mode,
                                          char **why);
void lv_cost_table_free(struct lv_cost_table *t);

/*
 * A copy of t with a per-frame term added to every usable cell: a batch of
 * b frames costs b · latency_s and b · energy_j more (the on-device
 * preprocessing of a wire format, profile.h). Caller frees.
 */
struct lv_cost_table *lv_cost_table_plus_frames(const struct lv_cost_table *t, double latency_s,
                                                double energy_j);

static inline size_t lv_cost_index(const struct lv_cost_table *t, size_t fi, int batch)
{
	return fi * (size_t)t->max_batch + (size_t)(batch - 1);
}

static inline double lv_cost_latency(const struct lv_cost_table *t, size_t fi, int batch)
{
	return t->latency_s[lv_cost_index(t, fi, batch)];
}

static inline double lv_cost_energy(const struct lv_cost_table *t, size_t fi, int batch)
{
	return t->energy_j[lv_cost_index(t, fi, batch)];
}

/* Bytes held by the table's cell arrays (for the benchmark's memory figure). */
size_t lv_cost_table_bytes(const struct lv_cost_table *t);

#endif
