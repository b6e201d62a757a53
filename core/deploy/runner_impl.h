/*
 * runner_impl: state shared by the runner's scheduler (runner.c), its
 * per-host task execution (runner_task.c) and its variable scopes
 * (runner_vars.c). Private to those files.
 *
 * Threads: the scheduler (caller's thread) owns the play loop; worker threads
 * each run one task on one host at a time. A host's fields are only touched by
 * the one thread running a task on it, or by the scheduler between tasks.
 * Events and recap counters are updated under `lock`.
 */
#ifndef LV_RUNNER_IMPL_H
#define LV_RUNNER_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "module.h"
#include "playbook.h"
#include "runner.h"

struct lv_inventory;

/* What an enclosing block (or the play) passes down to its tasks. */
struct lv_frame {
	const struct lv_val *vars; /* block vars, or NULL */
	char *const *tags;
	size_t n_tags;
	const struct lv_expr *when; /* block condition, or NULL */
	int become;                 /* -1: not set here */
	const char *become_user;    /* NULL: not set here */
	bool ignore_errors;
	const struct lv_frame *up;
};

struct lv_run;

struct lv_rhost {
	struct lv_run *run;
	size_t inv; /* inventory index */
	const char *name;
	struct lv_val *inv_vars;  /* merged inventory variables (MAP) */
	struct lv_val *facts;     /* registered results and set_fact (MAP) */
	struct lv_conn *conn;     /* the SSH connection, opened on first need */
	bool unreachable, failed; /* out of the run */
	bool in_play;             /* selected by the current play */
	bool touched;             /* shows in the recap */
	bool xfer_told;           /* its LV_EV_TRANSFER was emitted */
	bool *notified;           /* per handler of the current play */
	struct lv_recap_row row;
	char *partial; /* output not yet ended by a newline */
	size_t partial_len;
	bool quiet; /* no_log: output not shown */
};

struct lv_run {
	const struct lv_playbook *pb;
	const struct lv_inventory *inv;
	const struct lv_runner_opts *o;
	struct lv_rhost *hosts;
	size_t n_hosts;
	const struct lv_play *play;
	struct lv_val *magic; /* playbook_dir, groups, ... (MAP) */
	char **want_tags, **skip_tags;
	size_t n_want, n_skip;
	pthread_mutex_t lock;
};

/* Emits an event under the lock. */
void lv_run_emit(struct lv_run *r, const struct lv_run_event *ev);

/* Runs task `t` on host `h` and reports the result; marks notified handlers. */
void lv_run_task_host(struct lv_run *r, struct lv_rhost *h, const struct lv_task *t,
                      const struct lv_frame *f);

/* Passes a command's live output on, line by line (conn output callback). */
void lv_run_host_output(void *ud, int stream, const char *data, size_t len);
/* Emits what is left of a partial output line. */
void lv_run_host_flush(struct lv_rhost *h);

/* ---- variables (runner_vars.c) ----------------------------------------- */

/* The scope a task's expressions see on one host. */
struct lv_scope {
	struct lv_run *r;
	struct lv_rhost *h;
	const struct lv_task *t; /* NULL outside a task */
	const struct lv_frame *f;
	const char *item_name; /* loop variable name, or NULL */
	const struct lv_val *item;
	int depth; /* nested variable templates, bounded */
};

/* lv_lookup_fn over a struct lv_scope. */
int lv_scope_lookup(void *ud, const char *name, struct lv_val **out, char **why);
/* A variable's rendered text, or NULL when undefined (or on error, *why set). Caller frees. */
char *lv_scope_text(struct lv_scope *s, const char *name, char **why);

/* Builds r->magic (groups, playbook_dir, ansible_check_mode, ...). */
void lv_run_magic_init(struct lv_run *r);
/*
 * Sets ansible_play_hosts (and ansible_play_batch, play_hosts: the play's
 * hosts still running) and ansible_play_hosts_all in r->magic. The scheduler
 * calls it before each task, while no worker runs.
 */
void lv_run_magic_hosts(struct lv_run *r);

/* Opens the host's connection when needed; LV_EIO with *why when unreachable. */
int lv_run_connect(struct lv_scope *s, char **why);

#endif
