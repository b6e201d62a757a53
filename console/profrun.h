/*
 * profrun: a profiling sweep started from the console. The sweep is a child
 * process (child.h) running `loudva profile run` — the very command an
 * operator types — against the device's agent and Triton; the console reads
 * its progress events (progress.h) and, after every finished point, its progress file
 * (FILE.partial.json), so the Profile view's heatmap fills in live. When it
 * ends the profile it wrote is read back into the grid.
 *
 * Two steps, because the scheduler must first stop using the device: the
 * console drains it (prepare: WAITING), and launches the sweep once no batch
 * of the device is in flight (launch: RUNNING). A stop before the launch
 * ends the sweep at once; a stop during it sends SIGINT, on which the sweep
 * releases the clock and keeps what it measured for --resume.
 */
#ifndef LV_PROFRUN_H
#define LV_PROFRUN_H

#include <stddef.h>
#include <stdint.h>

#include "ui.h"

struct lv_profrun;

struct lv_profrun_config {
	const char *loudva;      /* the program to run `profile run` with (this one) */
	const char *results_dir; /* profiles go to results_dir/profiles/ [results] */
};

struct lv_profrun *lv_profrun_new(const struct lv_profrun_config *cfg);

/*
 * Sets up a sweep of `device` (of `kind`) over freqs × batches (ascending,
 * at most LV_CMD_SWEEP_* of each) with `requests` per window: WAITING.
 * LV_ESTATE with *why while another sweep is waiting or running.
 */
int lv_profrun_prepare(struct lv_profrun *x, const char *device, const char *kind,
                       const uint64_t *freqs, size_t nf, const int *batches, size_t nb,
                       long requests, char **why);

/*
 * Starts the prepared sweep against the device of `cluster` (a cluster file
 * naming its agent and Triton) with the agents' token in `token_file`
 * (NULL: the cluster file's own). LV_OK (RUNNING) or LV_EIO with *why
 * (FAILED).
 */
int lv_profrun_launch(struct lv_profrun *x, const char *cluster, const char *token_file,
                      char **why);

/* Stops a waiting or running sweep (see above). */
void lv_profrun_stop(struct lv_profrun *x);

/* Reads progress and reaps the child; never blocks. 1 when something changed. */
int lv_profrun_poll(struct lv_profrun *x, struct lv_ui_profiling *out);

/* The state without polling. */
enum lv_ui_prof_state lv_profrun_state(const struct lv_profrun *x);

/* Stops a running child (SIGINT, then SIGKILL after a grace period) and frees. Accepts NULL. */
void lv_profrun_free(struct lv_profrun *x);

#endif
