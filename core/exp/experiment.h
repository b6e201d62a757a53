/*
 * experiment: a spec (JSON, experiments/README.md) turned into a matrix of
 * runs — trace instances × policies × repetitions — each run replayed by
 * the simulator, and the results turned into a report (report.json,
 * report.csv, summary.csv and a comparison table).
 *
 * Three stages, so that a driver can run the matrix in any number of
 * processes and still write the same report:
 *   1. lv_experiment_load parses and validates everything a run needs — the
 *      spec, the cluster (once per cost mode, costs built), every policy
 *      against it, every trace (loaded or generated) — so bad input stops
 *      here, before any run;
 *   2. lv_experiment_run runs one cell of the matrix and returns a
 *      struct lv_exp_result, which the driver may carry across processes
 *      with lv_exp_result_save / _load (exact: doubles are written in a form
 *      that reads back to the same bits);
 *   3. lv_exp_report_* turn the results, in matrix order, into the report.
 * Nothing here reads the wall clock or the host, so the same spec gives the
 * same report byte for byte.
 *
 * Windows. A run's energy window is [0, max(trace end, last frame done)].
 * With "window": "common" (the default) every run of one trace instance is
 * held to the longest of their windows (the simulator's end_s), so the
 * policies pay for the same idle time: the driver runs pass 0 (windows only)
 * and then pass 1 with lv_experiment_set_window.
 */
#ifndef LV_EXPERIMENT_H
#define LV_EXPERIMENT_H

#include <stddef.h>
#include <stdint.h>

#include "model/cost.h"
#include "model/devmodel.h"
#include "model/ctlmodel.h"
#include "sched/metrics.h"
#include "sched/policy.h"
#include "model/trace.h"

struct lv_cluster;
struct lv_store;

#define LV_EXP_NAME_MAX 128

/* Where a live experiment's devices are ("agents" in the spec). */
enum lv_exp_agents {
	LV_EXP_AGENTS_EMBEDDED = 0, /* loudva-agent --emulate processes started per cell */
	LV_EXP_AGENTS_CLUSTER = 1,  /* the agents and Triton servers already running at the
	                             * cluster file's URLs, with its token */
};

/* One "traces" entry of the spec. */
struct lv_exp_trace {
	char *name;                     /* label in reports */
	char *path;                     /* a file (as resolved), or NULL: generated */
	struct lv_trace_gen_params gen; /* generated: the parameters (seed per instance) */
	size_t n_seeds;                 /* generated: >= 1 */
	uint64_t *seeds;
};

/* One "policies" entry. */
struct lv_exp_policy {
	char *name; /* registry name */
	size_t n_params;
	char **keys, **values;           /* as the spec gave them, values formatted */
	char *spec;                      /* "name:k=v,..." for the simulator */
	enum lv_cost_mode costs;         /* cost tables of its runs (devices and policy) */
	char label[LV_POLICY_LABEL_MAX]; /* "loud(pred)", "fixed_batch(32)" */
};

struct lv_exp_spec {
	char *path;                /* the spec file */
	char *name;                /* [the file's base name without .json] */
	char *description;         /* may be NULL */
	int live;                  /* "mode": "live": runs on a live cluster, not the simulator */
	enum lv_exp_agents agents; /* live: where the devices are [embedded] */
	char *cluster_path;        /* resolved against the spec's directory */
	char *predictor_path;      /* [LV_EXP_DEFAULT_PREDICTOR, cwd-relative] */
	enum lv_cost_mode costs;   /* default for policies [prof] */
	size_t n_traces;
	struct lv_exp_trace *traces;
	size_t n_policies;
	struct lv_exp_policy *policies;
	char *baseline_label;          /* "baseline" as given, NULL: the first policy */
	size_t baseline;               /* its policy index (lv_experiment_load) */
	int repetitions;               /* device seeds seed .. seed+R-1 [1] */
	uint64_t seed;                 /* [1] */
	double noise;                  /* devices' latency noise [0] */
	enum lv_noise_kind noise_kind; /* [uniform] */
	int governor;                  /* default governor on unclocked devices [1] */
	int common_window;             /* [1] */
	double sample_s;               /* power timeline step, s [1] */
	char *power_label;             /* "power_plot" as given, NULL: the first policy */
	char *controller;              /* "controller" as given: a profile name or a path
	                                * (resolved against the spec's directory); NULL: the
	                                * ideal controller */
	int has_ctl;                   /* ctl was loaded (lv_experiment_load) */
	struct lv_ctl_model ctl;
	int thesis_acct;     /* "accounting": "thesis" [exact] */
	size_t power_policy; /* whose first run the power plot shows */
};

#define LV_EXP_DEFAULT_PREDICTOR "profiles/.cache/predictor.json"

/* One trace instance: a file, or a generator entry with one seed. */
struct lv_exp_instance {
	size_t trace;                /* index into spec->traces */
	int64_t trace_seed;          /* -1 for a file */
	char label[LV_EXP_NAME_MAX]; /* "thesis-2cam" or "gen-2cam#3" */
	struct lv_trace *t;          /* owned */
	uint64_t frames;             /* frames in the trace */
};

/* One cell of the matrix. Runs are ordered instance-major, then policy, then repetition. */
struct lv_exp_cell {
	size_t instance, policy;
	int rep;
	uint64_t seed; /* the devices' seed */
};

struct lv_experiment {
	struct lv_exp_spec spec;
	struct lv_cluster *clusters[3]; /* per cost mode used, costs built; else NULL */
	size_t n_instances;
	struct lv_exp_instance *instances;
	size_t n_cells;
	struct lv_exp_cell *cells;
	double *window_s; /* per instance: common end_s (0 until set) */
};

/*
 * Parses a spec file into *spec (caller finis it). LV_EINVAL / LV_ENOENT /
 * LV_EIO with one line in *why naming the file and the field
 * ("thesis.json: policies[2].params.speed: ..."). Checks the spec's own
 * shape only; lv_experiment_load checks what it names.
 */
int lv_exp_spec_load(const char *path, struct lv_exp_spec *spec, char **why);
/* Same from text; `name` stands for the file in messages and paths resolve against dir. */
int lv_exp_spec_parse(const char *text, const char *name, const char *dir, struct lv_exp_spec *spec,
                      char **why);
void lv_exp_spec_fini(struct lv_exp_spec *spec);

/*
 * Loads a spec and everything it names (see the top). A new experiment
 * (caller frees) or NULL with *why; *code_out (may be NULL) gets the error:
 * LV_EINVAL/LV_ENOENT/LV_EIO for bad input, LV_ELIB when a cost model could
 * not be built (predictor training failed) — not the spec's fault.
 */
struct lv_experiment *lv_experiment_load(const char *path, int *code_out, char **why);

/* What a driver may change in a spec before anything the spec names is loaded. */
struct lv_exp_override {
	const char *cluster_path; /* another cluster file (as given), NULL: the spec's */
	int agents;               /* an enum lv_exp_agents, or -1: as the spec says */
	/* the predictor cache for a spec that names none, NULL: LV_EXP_DEFAULT_PREDICTOR */
	const char *default_predictor;
};

/* lv_experiment_load with the spec's cluster or agents replaced (ov may be NULL). */
struct lv_experiment *lv_experiment_load_with(const char *path, const struct lv_exp_override *ov,
                                              int *code_out, char **why);
void lv_experiment_free(struct lv_experiment *e);

/* Sets instance i's common window (s); the runs of pass 1 use it as end_s. */
void lv_experiment_set_window(struct lv_experiment *e, size_t instance, double window_s);

/* What one run produced, plain data. */
struct lv_exp_result {
	size_t cell;
	struct lv_run_metrics m;     /* owned (devices) */
	uint64_t accepted;           /* frames the engine received (its own count) */
	uint64_t batches, decisions; /* batches dispatched, policy calls */
	size_t n_power;              /* cluster power samples, spec->sample_s apart */
	double *power_w;             /* owned; NULL when n_power is 0 */
};

void lv_exp_result_fini(struct lv_exp_result *r);

/*
 * Runs cell `cell`. With `store` non-NULL its run (id cell + 1), frames,
 * batches and devices go there. 0 with *out filled (caller finis), or an
 * LV_E* code with *why.
 */
int lv_experiment_run(struct lv_experiment *e, size_t cell, struct lv_store *store,
                      struct lv_exp_result *out, char **why);

/* "live" or "sim": the spec's mode, as reports and the store name it. */
const char *lv_experiment_mode(const struct lv_experiment *e);

/* Cell `cell`'s row in a run store (store.h), the same for sim and live. */
struct lv_store_run;
void lv_experiment_run_row(const struct lv_experiment *e, size_t cell, struct lv_store_run *out);

/* Writes a result to path (JSON, exact) / reads one back. 0 or LV_EIO/LV_EINVAL. */
int lv_exp_result_save(const struct lv_exp_result *r, const char *path, char **why);
int lv_exp_result_load(const char *path, struct lv_exp_result *r, char **why);

/* ---- report (experiment_report.c) ------------------------------------------- */

/* A summary statistic over a policy's runs: mean and sample stddev of the finite values. */
struct lv_exp_stat {
	double mean, sd; /* NAN when n is 0; sd 0 when n is 1 */
	size_t n;
};

/* The metrics summarised per policy, in report order. */
enum {
	LV_EXP_M_FRAMES_PER_J,
	LV_EXP_M_PCT_FRAMES_OK,
	LV_EXP_M_PCT_REQUESTS_OK,
	LV_EXP_M_ENERGY_J,
	LV_EXP_M_MEAN_POWER_W,
	LV_EXP_M_LAT_P50,
	LV_EXP_M_LAT_P95,
	LV_EXP_M_LAT_P99,
	LV_EXP_M_BOUND_FRACTION,
	LV_EXP_M_FRAMES_SERVED,
	LV_EXP_M_LATE,
	LV_EXP_M_EXPIRED,
	LV_EXP_M_BOUND_FPJ,
	LV_EXP_M_IDLE_J,
	LV_EXP_M_BUSY_J,
	LV_EXP_M_CHANGE_J,
	LV_EXP_M_CLOCK,
	LV_EXP_M_LOWEST,
	LV_EXP_M_TOP,
	LV_EXP_M_COUNT
};

/* The metric's name in report.json's summary and summary.csv. */
const char *lv_exp_metric_name(int metric);

struct lv_exp_summary {
	size_t policy;
	size_t runs;
	struct lv_exp_stat stat[LV_EXP_M_COUNT];
	double fpj_ratio;     /* mean frames/J ÷ the baseline's */
	double qos_delta_pts; /* % frames within budget − the baseline's, points */
};

/*
 * Per-policy summaries (spec order) of results[0..n_cells) in matrix
 * order: a new array of n_policies (caller frees).
 */
struct lv_exp_summary *lv_exp_summarise(const struct lv_experiment *e,
                                        const struct lv_exp_result *results);

/* The documents; each a new NUL-terminated string (caller frees). */
char *lv_exp_report_json(const struct lv_experiment *e, const struct lv_exp_result *results,
                         const struct lv_exp_summary *sum);
char *lv_exp_report_csv(const struct lv_experiment *e, const struct lv_exp_result *results);
char *lv_exp_summary_csv(const struct lv_experiment *e, const struct lv_exp_summary *sum);
char *lv_exp_report_table(const struct lv_experiment *e, const struct lv_exp_summary *sum);

/*
 * A run's figures in JSON, as report.json's runs hold them and `loudva sim
 * --json` / `loudva serve --json` print them. Numbers are exact (the
 * shortest form that reads back to the same double); NAN and the
 * infinities are null.
 */
struct cJSON;
struct lv_engine_counts;

/* Adds number v to object o under key. */
void lv_exp_json_num(struct cJSON *o, const char *key, double v);

/* Adds every column of sched/runmetrics.h to o, by name and in order; n may be NULL (its
 * columns null). */
void lv_exp_metrics_json(struct cJSON *o, const struct lv_run_metrics *m,
                         const struct lv_engine_counts *n);

/* Adds "devices" to o: per device its name, kind (c's name for it) and runmetrics.h's device
 * columns. */
void lv_exp_devices_json(struct cJSON *o, const struct lv_cluster *c,
                         const struct lv_run_metrics *m);

#endif
