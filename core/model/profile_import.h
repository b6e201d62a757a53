/*
 * profile_import: private to the profile importer (profile_import.c and
 * profile_data.c); nothing outside the profile module includes it.
 *
 * The readers of the thesis measurement files: the profiling grid, the GPU
 * specs table and the tegrastats logs, each reporting errors as
 * "<file>:<line>: column '<name>': ..." (CSV) or "<file>:<line>:<col>: <field>: ..."
 * (logs).
 */
#ifndef LV_PROFILE_IMPORT_H
#define LV_PROFILE_IMPORT_H

#include <stddef.h>

struct lv_gpu_specs;
struct lv_profile;

/* Idle samples at one GPU clock. */
struct lv_idle_clock {
	long mhz; /* as tegrastats prints it (whole MHz) */
	size_t n; /* samples */
	double median_w;
};

/* One kind's tegrastats log, reduced to idle medians, and the fitted line. */
struct lv_idle_log {
	char *path;       /* as opened, for messages */
	size_t n_samples; /* idle samples, all clocks */
	size_t n_clocks;
	struct lv_idle_clock *clocks; /* ascending mhz */
	/* Filled by the importer: idle(f) = a + s * f, f in Hz. */
	double a;               /* W */
	double s;               /* W/Hz */
	int clamped;            /* a negative slope was set to 0 */
	double rel_slope;       /* s/a borrowed from other kinds, 1/Hz; 0 if own fit */
	char borrowed_from[96]; /* kinds the slope came from, "" if own fit */
};

/*
 * Reads a tegrastats log: the idle samples (GR3D_FREQ 0%), their power (W)
 * and clock, then the median per clock. 0, or LV_EIO / LV_EINVAL with
 * *why naming path:line:column and the field. Fills `log` (the caller
 * releases it with lv_idle_log_fini, also after an error).
 */
int lv_idle_log_read(const char *path, struct lv_idle_log *log, char **why);
void lv_idle_log_fini(struct lv_idle_log *log);

/* The gpu-specs.csv row whose Device is `key`. 0 or an error naming file:line:column. */
int lv_import_specs(const char *data_dir, const char *key, struct lv_gpu_specs *g, char **why);

/*
 * The profiling.csv rows whose Directory is `key`, into p->points (sorted by
 * clock and batch) and p->freqs_hz (the distinct clocks, ascending). 0 or an
 * error naming file:line:column; a repeated (clock, batch) names both lines.
 */
int lv_import_grid(const char *data_dir, const char *key, struct lv_profile *p, char **why);

/* Appends formatted text to *rep (NULL rep: nothing). */
void lv_import_report_add(char **rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
