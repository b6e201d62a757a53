/*
 * ssh: one SSH connection to a worker through libssh — connect with a host-key
 * policy, authenticate (key file, SSH agent, default keys, password), run
 * commands with their exit status and streamed output, and copy files with
 * SFTP. ~/.ssh/config (or another file) is read through libssh, so hosts
 * defined there work as with OpenSSH; explicit options win over it.
 *
 * libssh's SSH_* codes stop here: failures return LV_EIO ("could not reach or
 * talk to the host") or LV_ENOENT (no such remote file) with a message naming
 * user@host:port. Passwords are never copied into messages.
 *
 * One struct lv_ssh belongs to one thread at a time; different connections may
 * be used from different threads at once.
 */
#ifndef LV_SSH_H
#define LV_SSH_H

#include <stddef.h>

/* What to do with a host key that is not in known_hosts. A changed key is always refused. */
enum lv_ssh_hostkey_policy {
	LV_SSH_HOSTKEY_STRICT,     /* refuse unknown hosts (StrictHostKeyChecking=yes) */
	LV_SSH_HOSTKEY_ACCEPT_NEW, /* record and accept unknown hosts (accept-new) */
	LV_SSH_HOSTKEY_NO,         /* like accept-new: OpenSSH's "no" also records new keys */
};

struct lv_ssh_opts {
	const char *host;        /* address or name; also the ssh_config Host it matches */
	int port;                /* 0: from ssh_config, else 22 */
	const char *user;        /* NULL: from ssh_config, else the local user */
	const char *key_file;    /* NULL: SSH agent, then ssh_config/default identities */
	const char *password;    /* NULL: no password authentication */
	const char *known_hosts; /* NULL: ~/.ssh/known_hosts */
	const char *config_file; /* NULL: ~/.ssh/config; "": read none */
	enum lv_ssh_hostkey_policy hostkey;
	long timeout_s; /* connect timeout, seconds; 0: 10 */
};

struct lv_ssh;

/*
 * Connects, verifies the host key and authenticates. *out is the connection
 * (free with lv_ssh_free). LV_EIO with *why on any failure (refused, timed out,
 * host key unknown or changed, authentication denied).
 */
int lv_ssh_connect(const struct lv_ssh_opts *o, struct lv_ssh **out, char **why);
void lv_ssh_free(struct lv_ssh *ssh);

/* The user the connection logged in as (borrowed). */
const char *lv_ssh_user(const struct lv_ssh *ssh);
/* "user@host:port" for messages (borrowed). */
const char *lv_ssh_peer(const struct lv_ssh *ssh);

/* Receives output as it arrives: stream 1 is stdout, 2 stderr. */
typedef void (*lv_ssh_output_fn)(void *ud, int stream, const char *data, size_t len);

struct lv_ssh_result {
	int status;      /* exit status; -1 when the command died without one */
	char *out, *err; /* all of stdout / stderr, NUL-terminated (caller frees) */
	size_t out_len, err_len;
};

/*
 * Runs `cmd` through the remote user's shell with stdin closed. Output is
 * passed to `fn` (may be NULL) as it arrives and collected in *res (free with
 * lv_ssh_result_fini). 0 when the command ran, whatever its status; LV_EIO
 * when the connection failed.
 */
int lv_ssh_exec(struct lv_ssh *ssh, const char *cmd, lv_ssh_output_fn fn, void *ud,
                struct lv_ssh_result *res, char **why);
void lv_ssh_result_fini(struct lv_ssh_result *res);

/*
 * Writes `len` bytes to the remote file `path`, which must not exist yet
 * (O_EXCL: callers write to a fresh temporary name and move it into place),
 * created with permissions `mode`. 0 or LV_EIO.
 */
int lv_ssh_put(struct lv_ssh *ssh, const char *path, const void *data, size_t len, int mode,
               char **why);

/* Reads a whole remote file; *data is NUL-terminated, caller frees. LV_ENOENT or LV_EIO. */
int lv_ssh_get(struct lv_ssh *ssh, const char *path, char **data, size_t *len, char **why);

/* Releases libssh's global state at program exit (after every connection is freed). */
void lv_ssh_global_fini(void);

#endif
