/*
 * runner: runs a parsed playbook against an inventory, as ansible-playbook's
 * linear strategy does — plays in order; in each play every task runs on all
 * of the play's hosts (in parallel, up to `forks` threads, one SSH session per
 * host) before the next task starts; handlers run at the end of the play on
 * the hosts that notified them. A host that fails or is unreachable stops for
 * the rest of the run; the others go on.
 *
 * Results are reported through a callback (never printed here), one call at a
 * time even though hosts run in parallel; `loudva setup` prints them the way
 * Ansible's default output does and ends with the recap this module counts
 * (ok counts changed tasks too, as Ansible's does).
 */
#ifndef LV_RUNNER_H
#define LV_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include "ssh.h"

struct lv_playbook;
struct lv_inventory;
struct lv_val;

enum lv_run_status {
	LV_RUN_OK,
	LV_RUN_CHANGED,
	LV_RUN_SKIPPED,
	LV_RUN_FAILED,
	LV_RUN_UNREACHABLE,
};

enum lv_run_event_type {
	LV_EV_PLAY,     /* name: the play's name */
	LV_EV_NO_HOSTS, /* the play's pattern matched no host (after --limit) */
	LV_EV_TASK,     /* name: the task's name; check: running in check mode */
	LV_EV_HANDLER,  /* name: the handler's name */
	LV_EV_RESULT,   /* one host's result of the current task */
	LV_EV_OUTPUT,   /* one line of a command's output, as it arrives */
	LV_EV_TRANSFER, /* how a host's files move, once per host: name "sftp", "scp" or "piped" */
};

struct lv_run_event {
	enum lv_run_event_type type;
	const char *name;            /* PLAY, TASK, HANDLER */
	const char *host;            /* RESULT, OUTPUT */
	enum lv_run_status status;   /* RESULT */
	bool ignored;                /* RESULT: failed, but ignore_errors */
	bool hidden;                 /* RESULT: no_log — do not show the result */
	bool check;                  /* TASK, RESULT: check mode */
	const char *item;            /* RESULT: loop item label, or NULL */
	const char *delegated;       /* RESULT: "localhost" when delegated */
	const char *module;          /* RESULT: the task's module ("debug" results are shown) */
	const struct lv_val *result; /* RESULT: the module's result MAP (borrowed) */
	int stream;                  /* OUTPUT: 1 stdout, 2 stderr */
	const char *line;            /* OUTPUT: without the newline; TRANSFER: why the methods
	                                before `name` could not start, NULL when none failed */
};

/* Called for every event, never concurrently. Data is borrowed for the call. */
typedef void (*lv_run_event_fn)(void *ud, const struct lv_run_event *ev);

struct lv_runner_opts {
	const char *limit;               /* host pattern to intersect with every play's, or NULL */
	const char *tags, *skip_tags;    /* comma-separated, or NULL */
	bool check;                      /* --check */
	int forks;                       /* parallel hosts; <= 0: 5 */
	const struct lv_val *extra_vars; /* -e: MAP of the highest precedence, or NULL */
	const char *known_hosts;         /* --known-hosts, or NULL */
	bool accept_new;                 /* --accept-new */
	const char *ssh_config;          /* NULL: ~/.ssh/config */
	long timeout_s;                  /* SSH connect timeout; 0: 10 */
	/* ansible.cfg's, below every host variable and play keyword: */
	const char *remote_user;      /* when neither ansible_user nor the play's remote_user */
	const char *private_key_file; /* when the host has no ansible_ssh_private_key_file */
	const char *ssh_args;         /* [ssh_connection] ssh_args, after the host's own */
	bool no_host_key_checking;    /* host_key_checking = False (the host's args win) */
	lv_run_event_fn on_event;
	void *ud;
};

struct lv_recap_row {
	char *host;
	int ok, changed, unreachable, failed, skipped, rescued, ignored;
};

/* Per-host counts in inventory order, for the hosts that any play touched. */
struct lv_recap {
	struct lv_recap_row *rows;
	size_t n;
};

/*
 * Checks what can be checked before any host is touched: every module is
 * known and its arguments are acceptable, delegate_to names localhost, and
 * --limit/--tags make sense. LV_EINVAL with *why "file:line: ..." naming the
 * task and module.
 */
int lv_runner_validate(const struct lv_playbook *pb, char **why);

/*
 * Runs the playbook (call lv_runner_validate first). Fills *recap (free with
 * lv_recap_fini) and returns Ansible's exit status: 0 all well, 2 some host
 * failed, 4 some host unreachable (4 wins over 2). A negative LV_E... code
 * with *why when the run could not start.
 */
int lv_runner_run(const struct lv_playbook *pb, const struct lv_inventory *inv,
                  const struct lv_runner_opts *o, struct lv_recap *recap, char **why);

void lv_recap_fini(struct lv_recap *recap);

/* Parses "k=v k2='v 2'" or a JSON/YAML mapping into `vars` (a MAP). 0 or LV_EINVAL. */
int lv_runner_parse_extra_vars(const char *text, struct lv_val *vars, char **why);

#endif
