/*
 * profile_import: private to the profile importer (profile_import.c and
 * profile_data.c); nothing outside the profile module includes it.
 *
 * The readers of the thesis measurement files (the profiling grid, the GPU
 * specs table: profile_data.c), each reporting errors as
 * "<file>:<line>: column '<name>': ...", and the parts of a profile fitted to
 * logs (idle power, the governor, clock changes: profile_import_twin.c).
 */
#ifndef LV_PROFILE_IMPORT_H
#define LV_PROFILE_IMPORT_H

#include <stddef.h>

struct lv_gpu_specs;
struct lv_profile;

/*
 * Where the thesis's data is, and what it says of one kind: the importer's
 * table of kinds (profile_import.c) and the data directories.
 */
struct lv_import_kind {
	const char *kind; /* profile kind, log file stem */
	const char *key;  /* Directory in profiling.csv, Device in gpu-specs.csv */
	const char *display;
	int max_batch;
	double thesis_delay_s; /* the thesis's figure for a clock change */
	int has_runs;          /* Experiment 1 ran this kind */
};

struct lv_import_src {
	const char *data_dir; /* jetson-measurements */
	const char *runs_dir; /* thesis-experiment-1 */
	const struct lv_import_kind *kinds;
	size_t n_kinds;
};

/* The gpu-specs.csv row whose Device is `key`. 0 or an error naming file:line:column. */
int lv_import_specs(const char *data_dir, const char *key, struct lv_gpu_specs *g, char **why);

/*
 * The profiling.csv rows whose Directory is `key`, into p->points (sorted by
 * clock and batch) and p->freqs_hz (the distinct clocks, ascending). 0 or an
 * error naming file:line:column; a repeated (clock, batch) names both lines.
 */
int lv_import_grid(const char *data_dir, const char *key, struct lv_profile *p, char **why);

/*
 * Fills p->idle_power_w (p's grid already read) for kind ki, by the method
 * in profiles/README.md, appending its account to *rep. 0 or an error
 * naming the file.
 */
int lv_import_idle(const struct lv_import_src *src, size_t ki, struct lv_profile *p, char **rep,
                   char **why);

/*
 * p->cold_idle_w: the median board power of the runs' lines before their first
 * inference with the GPU rail at 0 (kinds with runs only; else 0).
 */
int lv_import_cold(const struct lv_import_src *src, size_t ki, struct lv_profile *p, char **rep,
                   char **why);

/* p->governor: fitted from kind ki's runs under its governor, else borrowed from a kind with runs.
 */
int lv_import_governor(const struct lv_import_src *src, size_t ki, struct lv_profile *p, char **rep,
                       char **why);

/*
 * p->clock_change_delay_s and p->cc_shape: from kind ki's controller logs,
 * else the shape of a kind with logs, scaled by the thesis's figures.
 */
int lv_import_clock_change(const struct lv_import_src *src, size_t ki, struct lv_profile *p,
                           char **rep, char **why);

/* Appends formatted text to *rep (NULL rep: nothing). */
void lv_import_report_add(char **rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
