/*
 * exprun: experiments launched from the console. A run is a child process,
 * `loudva --batch SPEC --out DIR` — the very command an operator types —
 * whose progress (JSON lines on a descriptor of its own, progress.h: one
 * per finished run) and messages (stderr) are read without blocking, and
 * whose report directory is read back when it exits (summary.csv). A separate process keeps the
 * dashboard live and responsive however heavy the matrix, and a crash there cannot take the console
 * down.
 *
 * Also: the list of specs (experiments/NAME.json), the reports of past runs
 * (the results directory's subdirectories holding a summary.csv), and a
 * spec built from the running cluster and policy.
 */
#ifndef LV_EXPRUN_H
#define LV_EXPRUN_H

#include <sys/types.h>

#include "ui.h"

struct lv_exprun;

struct lv_exprun_config {
	const char *loudva;      /* the program to run with --batch (this one) */
	const char *specs_dir;   /* [experiments] */
	const char *results_dir; /* [results] */
	int plots;               /* let --batch draw its figures [0: --no-plots] */
};

struct lv_exprun *lv_exprun_new(const struct lv_exprun_config *cfg);

/* Rescans the specs and past runs (cheap: two directory listings). */
void lv_exprun_scan(struct lv_exprun *x);

/*
 * Starts `loudva --batch specs_dir/NAME.json --out results_dir/NAME-<time>`
 * (NAME with a '/' or ending in .json: that file, named by its base name).
 * LV_ESTATE while one is running; LV_ENOENT for an unknown spec; LV_EINVAL
 * for a spec that does not load (lv_exp_spec_load's message); LV_EIO when
 * the process cannot start. *why says which.
 */
int lv_exprun_start(struct lv_exprun *x, const char *name, char **why);

/*
 * Writes specs_dir-independent spec NAME.json under results_dir/specs/
 * from a cluster file, a policy spec ("name:k=v,..."), and the cost mode,
 * comparing it with loud and transparent on a generated trace; then starts
 * it as lv_exprun_start does.
 */
int lv_exprun_start_built(struct lv_exprun *x, const char *cluster_path, const char *policy,
                          const char *mode, char **why);

/* Stops the running experiment (SIGTERM; --batch leaves DIR.incomplete). */
void lv_exprun_cancel(struct lv_exprun *x);

/* Shows the report in dir (reads its summary.csv). 0 or an error with *why. */
int lv_exprun_open(struct lv_exprun *x, const char *dir, char **why);

/*
 * Reads what the child printed, reaps it when it exits and loads its
 * report; never blocks. Returns 1 when the state changed (a run finished,
 * a line arrived). Fills `out` (its list pointers borrow from x until the
 * next poll or scan).
 */
int lv_exprun_poll(struct lv_exprun *x, struct lv_ui_experiments *out);

/* The last child's exit code (128 + the signal that ended it), or -1 before any ended. */
int lv_exprun_exit_status(const struct lv_exprun *x);

/* The child's process id, or -1. */
pid_t lv_exprun_pid(const struct lv_exprun *x);

/* Stops a running child (SIGTERM, then SIGKILL after 2 s) and frees. Accepts NULL. */
void lv_exprun_free(struct lv_exprun *x);

#endif
