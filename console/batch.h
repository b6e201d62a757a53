/*
 * batch: the state `loudva --batch` shares between its files — cmd_batch.c
 * (options, the report directory, the order of work), batch_pool.c (the
 * forked workers and the progress display) and batch_live.c (the cells of a
 * live experiment, run in the parent on a live cluster).
 */
#ifndef LV_BATCH_H
#define LV_BATCH_H

#include <signal.h>
#include <stddef.h>

struct lv_experiment;
struct lv_exp_result;

struct lv_batch {
	/* options */
	const char *spec;
	const char *out;   /* as given; NULL: results/<spec name> */
	int jobs;          /* worker processes [1] */
	const char *agent; /* live: the loudva-agent to start [beside loudva] */
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
 * fresh embedded emulated cluster; writes the same cells/run-NNNNN.json
 * and .db as a worker's final pass. 0; 1 when stopped by a signal; -1 with
 * *why when a run failed.
 */
int lv_batch_run_live(struct lv_batch *b, char **why);

/* cells/run-NNNNN.<ext> for cell; caller frees. */
char *lv_batch_work_path(const struct lv_batch *b, size_t cell, const char *ext);

#endif
