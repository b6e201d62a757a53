/*
 * module: the two interfaces behind the playbook runner, private to core/.
 *
 * - struct lv_conn_ops: how commands run and files move on a host — over SSH
 *   or on the controller itself (both in runner_conn.c, for
 *   `delegate_to: localhost` and ansible_connection=local).
 * - struct lv_module_ops: one Ansible module (command, copy, systemd, ...),
 *   in module_<group>.c, found by name in the registry in module.c.
 *
 * A module turns rendered arguments into a result MAP shaped like Ansible's
 * (changed, failed, msg, rc, stdout, ...). It does its remote work through
 * the helpers in module_util.h, which apply become (sudo) and check mode in
 * one place; this header and the registry know nothing of them.
 */
#ifndef LV_MODULE_H
#define LV_MODULE_H

#include <stdbool.h>
#include <stddef.h>

#include "playbook.h"

struct lv_ssh;

struct lv_exec_result {
	int rc;          /* exit status; -1 when killed */
	char *out, *err; /* NUL-terminated; lv_exec_result_fini frees them */
	size_t out_len, err_len;
};

typedef void (*lv_conn_output_fn)(void *ud, int stream, const char *data, size_t len);

struct lv_conn;

struct lv_conn_ops {
	const char *name;
	/* Runs `cmd` with sh; 0 when it ran (any status), LV_EIO on transport failure. */
	int (*exec)(struct lv_conn *c, const char *cmd, struct lv_exec_result *res, char **why);
	/* Creates the new file `path` (must not exist) with mode 0600. */
	int (*put)(struct lv_conn *c, const char *path, const void *data, size_t len, char **why);
	/* Reads a whole file; LV_ENOENT when it does not exist. */
	int (*get)(struct lv_conn *c, const char *path, char **data, size_t *len, char **why);
	void (*close)(struct lv_conn *c);
};

struct lv_conn {
	const struct lv_conn_ops *ops;
	struct lv_ssh *ssh;          /* conn_ssh only */
	bool is_root;                /* logged in as root: become needs no sudo */
	bool broken;                 /* a transport error happened: the host is unreachable */
	lv_conn_output_fn on_output; /* live output of exec, may be NULL */
	void *output_ud;
};

/* Takes ownership of `ssh`. */
struct lv_conn *lv_conn_ssh_new(struct lv_ssh *ssh);
struct lv_conn *lv_conn_local_new(void);
void lv_conn_free(struct lv_conn *c);

struct lv_module_ctx {
	struct lv_conn *conn;
	const struct lv_val *args; /* rendered arguments (MAP) */
	const char *host;          /* inventory name */
	const char *play_dir;      /* base directory for src lookups */
	bool check;                /* report what would change, change nothing */
	bool become;
	const char *become_user; /* "root" by default */
	lv_lookup_fn lookup;     /* the host's variables (template, assert) */
	void *lookup_ud;
	struct lv_val *facts; /* set_fact writes here (MAP) */
	/* Drops and re-opens the connection (reboot); NULL for local connections. */
	int (*reconnect)(struct lv_module_ctx *ctx, char **why);
	void *runner_ud; /* the runner's, for reconnect */
};

enum {
	LV_MOD_NO_CONN = 1 << 0, /* runs on the controller alone (debug, set_fact) */
	LV_MOD_CHECK = 1 << 1,   /* supports check mode (else skipped in check mode) */
};

struct lv_module_ops {
	const char *name;
	unsigned flags;
	/* Checks arguments as written (before templating); NULL: anything goes. */
	int (*validate)(const struct lv_val *args, char **why);
	/* Fills `result`; 0, or a negative code with *why when it could not run. */
	int (*run)(struct lv_module_ctx *ctx, struct lv_val *result, char **why);
};

/* The implementations, in module_<group>.c; the registry in module.c lists them. */
extern const struct lv_module_ops lv_module_command, lv_module_shell, lv_module_copy,
    lv_module_template, lv_module_file, lv_module_fetch, lv_module_stat, lv_module_wait_for,
    lv_module_systemd, lv_module_service, lv_module_lineinfile, lv_module_unarchive,
    lv_module_debug, lv_module_set_fact, lv_module_fail, lv_module_assert, lv_module_apt,
    lv_module_package, lv_module_reboot, lv_module_user;

/* The module called `name`, short or fully qualified (ansible.builtin.copy), or NULL. */
const struct lv_module_ops *lv_module_find(const char *name);

#endif
