/*
 * batch_pool: runs an experiment's matrix in forked worker processes, at
 * most --jobs at a time, and shows progress on stderr (a bar on a terminal,
 * one plain line per run otherwise).
 *
 * A worker runs one cell and writes its result to cells/run-NNNNN.json (and
 * its frames and batches to cells/run-NNNNN.db in the store pass); on failure
 * it writes the message to cells/run-NNNNN.err and exits 1. Workers start in
 * matrix order but may finish in any order: the parent only reaps them; it
 * reads the files back in matrix order later, so the report does not depend
 * on scheduling. Workers restore the default SIGINT/SIGTERM action, so an
 * interrupt from the terminal ends them too; the parent also ends the ones
 * still running (by pid) when it is told to stop.
 */
#include "batch.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "exp/experiment.h"
#include "store/store.h"
#include "base/clock.h"
#include "base/file.h"
#include "base/util.h"
#include "progress.h"

char *lv_batch_work_path(const struct lv_batch *b, size_t cell, const char *ext)
{
	char name[64];
	snprintf(name, sizeof(name), "run-%05zu.%s", cell + 1, ext);
	return lv_path_join(b->work_dir, name);
}

/* A run finished: a progress event for a parent (progress.h), and a line or a bar on stderr. */
static void progress(const struct lv_batch *b, size_t done, size_t total, int pass, size_t cell)
{
	const struct lv_exp_cell *c = &b->e->cells[cell];
	const char *label = b->e->spec.policies[c->policy].label;
	const char *trace = b->e->instances[c->instance].label;
	lv_progress_send_run(pass, b->passes, done, total, label, trace);
	if (b->quiet)
		return;
	if (b->tty) {
		int width = 30, fill = (int)((size_t)width * done / (total ? total : 1));
		fprintf(stderr, "\r[%.*s%*s] pass %d/%d  %zu/%zu  %s on %s\033[K", fill,
		        "##############################", width - fill, "", pass, b->passes, done,
		        total, label, trace);
		if (done == total)
			fputc('\n', stderr);
	} else {
		fprintf(stderr, "loudva --batch: pass %d/%d run %zu/%zu done: %s on %s\n", pass,
		        b->passes, done, total, label, trace);
	}
}

/* The worker's body; never returns. */
static void worker(struct lv_batch *b, size_t cell, int with_store)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	char *why = NULL;
	struct lv_store *st = NULL;
	struct lv_exp_result r;
	memset(&r, 0, sizeof(r));
	int rc = LV_OK;
	char *db = lv_batch_work_path(b, cell, "db");
	char *json = lv_batch_work_path(b, cell, "json");
	if (with_store) {
		unlink(db);
		st = lv_store_open(db, LV_STORE_SCRATCH, &why);
		rc = st ? LV_OK : LV_EIO;
	}
	if (rc == LV_OK)
		rc = lv_experiment_run(b->e, cell, st, &r, &why);
	if (rc == LV_OK)
		rc = lv_store_close(st, &why);
	else
		lv_store_close(st, NULL);
	if (rc == LV_OK)
		rc = lv_exp_result_save(&r, json, &why);
	if (rc != LV_OK) {
		char *err = lv_batch_work_path(b, cell, "err");
		const char *msg = why ? why : "failed";
		lv_write_file_atomic(err, msg, strlen(msg), NULL);
		free(err);
	}
	/* Leave at once: no atexit handlers, no stdio buffers of the parent's. */
	_exit(rc == LV_OK ? 0 : 1);
}

/* The failed worker's message (its .err file), for *why. */
static void worker_failed(const struct lv_batch *b, size_t cell, int status, char **why)
{
	char *err = lv_batch_work_path(b, cell, "err");
	char *msg = lv_read_file(err, NULL, NULL);
	const struct lv_exp_cell *c = &b->e->cells[cell];
	if (msg)
		lv_fail(why, LV_EIO, "run %zu (%s on %s): %s", cell + 1,
		        b->e->spec.policies[c->policy].label, b->e->instances[c->instance].label,
		        msg);
	else
		lv_fail(why, LV_EIO, "run %zu (%s on %s): worker %s %d", cell + 1,
		        b->e->spec.policies[c->policy].label, b->e->instances[c->instance].label,
		        WIFSIGNALED(status) ? "killed by signal" : "exited with",
		        WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	free(msg);
	free(err);
}

struct slot {
	pid_t pid; /* 0: free */
	size_t cell;
	double t0;
};

static void end_workers(struct slot *slots, int n)
{
	for (int i = 0; i < n; i++)
		if (slots[i].pid > 0)
			kill(slots[i].pid, SIGTERM);
	for (int i = 0; i < n; i++)
		if (slots[i].pid > 0) {
			while (waitpid(slots[i].pid, NULL, 0) < 0 && errno == EINTR)
				;
			slots[i].pid = 0;
		}
}

int lv_batch_run_pass(struct lv_batch *b, int pass, int store, char **why)
{
	const size_t total = b->e->n_cells;
	struct slot *slots = lv_xcalloc((size_t)b->jobs, sizeof(*slots));
	size_t next = 0, done = 0;
	int active = 0, rc = 0;
	fflush(NULL); /* children must not inherit unwritten output */
	while (done < total && rc == 0) {
		while (!*b->stop && active < b->jobs && next < total) {
			int k = 0;
			while (slots[k].pid)
				k++;
			pid_t pid = fork();
			if (pid < 0) {
				rc = -1;
				lv_fail(why, LV_EIO, "fork failed: %s", strerror(errno));
				break;
			}
			if (pid == 0)
				worker(b, next, store);
			slots[k] = (struct slot){ pid, next, lv_mono_s() };
			next++;
			active++;
		}
		if (*b->stop) {
			rc = 1;
			break;
		}
		if (active == 0)
			break;
		int status = 0;
		pid_t pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			rc = -1;
			lv_fail(why, LV_EIO, "waiting for workers: %s", strerror(errno));
			break;
		}
		int k = 0;
		while (k < b->jobs && slots[k].pid != pid)
			k++;
		if (k == b->jobs)
			continue; /* not one of ours */
		slots[k].pid = 0;
		active--;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			if (*b->stop && WIFSIGNALED(status)) {
				rc = 1;
				break;
			}
			worker_failed(b, slots[k].cell, status, why);
			rc = -1;
			break;
		}
		b->wall_s[slots[k].cell] = lv_mono_s() - slots[k].t0;
		done++;
		if (pass == b->passes)
			b->finished = done;
		progress(b, done, total, pass, slots[k].cell);
	}
	if (rc != 0 && b->tty && !b->quiet)
		fputc('\n', stderr);
	end_workers(slots, b->jobs);
	free(slots);
	return rc;
}
