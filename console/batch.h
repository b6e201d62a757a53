/*
 * batch: the state `loudva --batch` shares between its files — cmd_batch.c
 * (options, the report directory, the order of work), batch_pool.c (the
 * forked workers and the progress display), batch_live.c (the cells of a
 * live experiment, run in the parent on a live cluster) and
 * batch_cluster.c (a running cluster's devices: checks, clocks).
 */
#ifndef LV_BATCH_H
#define LV_BATCH_H

#include <signal.h>
#include <stddef.h>

struct lv_experiment;
struct lv_exp_result;
struct lv_batch_cluster;
struct cJSON;

struct lv_batch {
	/* options */
	const char *spec;
	const char *out;        /* as given; NULL: results/<spec name> */
	int jobs;               /* worker processes [1] */
	const char *agent;      /* live: the loudva-agent to start [beside loudva] */
	const char *cluster;    /* live: --cluster, a running cluster in place of the spec's */
	const char *token_file; /* live: --token-file [the cluster file's "token_file"] */
	int emulate;            /* live: --emulate, embedded agents whatever the spec says */
	int quiet, no_plots;
	/* state */
	int tty;    /* stderr is a terminal: a progress bar */
	int passes; /* 1, or 2 with the common window */
	struct lv_experiment *e;
	char *out_dir;               /* OUT */
	char *tmp_dir;               /* OUT.tmp-<pid>, where OUT is built */
	char *work_dir;              /* tmp_dir/cells: the workers' files */
	double *wall_s;              /* per cell: wall time of its last run */
	size_t finished;             /* runs of the last pass that finished */
	volatile sig_atomic_t *stop; /* set by the signal handler */
	struct lv_batch_cluster *bc; /* live on a running cluster; NULL: embedded agents */
	char *model;                 /* live: the model Triton serves */
};

/*
 * Runs every cell of the matrix in up to b->jobs forked workers. Each writes
 * cells/run-NNNNN.json (its result) and, when `store` is set,
 * cells/run-NNNNN.db (a scratch store of its frames and batches).
 * Returns 0; 1 when stopped by a signal (running workers are ended);
 * LV_EXIT_FAIL-style -1 with *why when a worker failed.
 */
int lv_batch_run_pass(struct lv_batch *b, int pass, int store, char **why);

/*
 * Runs every cell of a live experiment in turn, in this process, each on a
 * fresh embedded emulated cluster or, with b->bc, on the running cluster
 * (checked before each cell, its clocks released after it); writes the
 * same cells/run-NNNNN.json and .db as a worker's final pass. 0; 1 when
 * stopped by a signal; -1 with *why when a run failed.
 */
int lv_batch_run_live(struct lv_batch *b, char **why);

/* ---- batch_cluster.c: a running cluster's devices ------------------------------ */

/*
 * Reads the cluster file at path and the agents' token (token_file, else
 * the file's "token_file"; none is allowed, the agents then refuse); every
 * device must have an agent URL. No request is sent. A new cluster (free
 * with lv_batch_cluster_free), or NULL with *why naming the file (and the
 * device) and *code LV_EINVAL (bad input) or LV_ELIB.
 */
struct lv_batch_cluster *lv_batch_cluster_open(const char *path, const char *token_file,
                                               const char *model, int *code, char **why);
void lv_batch_cluster_free(struct lv_batch_cluster *bc);
const char *lv_batch_cluster_path(const struct lv_batch_cluster *bc);
/* The agents' bearer token (borrowed), NULL when none was given. */
const char *lv_batch_cluster_token(const struct lv_batch_cluster *bc);
size_t lv_batch_cluster_size(const struct lv_batch_cluster *bc);

/*
 * Every device's agent answers and is of the cluster file's kind, its Triton
 * is ready with `model`, and the agent takes the token: the clocks are
 * released. The first check also records each clock as found. 0, or LV_EIO
 * with *why naming the device, the URL and what was wrong.
 */
int lv_batch_cluster_check(struct lv_batch_cluster *bc, const char *model, char **why);
/* Releases every device's clock to its governor. 0, or LV_EIO naming the first refusal. */
int lv_batch_cluster_release(struct lv_batch_cluster *bc, char **why);
/* Puts each clock back as the first check found it. 0, or LV_EIO naming the first failure. */
int lv_batch_cluster_restore(struct lv_batch_cluster *bc, char **why);
/* The cluster for run-info.json: file, token file, devices, URLs, clocks found. */
struct cJSON *lv_batch_cluster_json(const struct lv_batch_cluster *bc);

/* cells/run-NNNNN.<ext> for cell; caller frees. */
char *lv_batch_work_path(const struct lv_batch *b, size_t cell, const char *ext);

#endif
