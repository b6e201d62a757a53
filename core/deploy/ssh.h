/*
 * ssh: one SSH connection to a worker through libssh — connect with a host-key
 * policy, authenticate (key file, SSH agent, default keys, password), run
 * commands with their exit status and streamed output, and copy files the way
 * Ansible's "smart" transfer does: SFTP, else scp, else a pipe through the
 * shell (ssh_xfer.c). ~/.ssh/config (or another file) is read through libssh,
 * so hosts defined there work as with OpenSSH; explicit options win over it.
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
 * How files move, tried in this order by the first transfer of a connection
 * (put or get) and kept for the connection's life: the SFTP subsystem; the
 * scp program on the host (`scp -t` / `scp -f`, libssh's scp protocol); a
 * pipe through the shell (`cat` into or out of the file). A method is passed
 * over only when it cannot start at all (no SFTP subsystem, no scp on the
 * host's PATH); a transfer that starts and then fails is an error, not a
 * reason to try the next one. The written and read bytes are the same
 * whichever is used.
 */
enum lv_ssh_xfer {
	LV_SSH_XFER_UNKNOWN, /* no transfer yet: the next one tries them in order */
	LV_SSH_XFER_SFTP,
	LV_SSH_XFER_SCP,
	LV_SSH_XFER_PIPE,
};

/* "sftp", "scp", "piped" (Ansible's names), or "unknown". */
const char *lv_ssh_xfer_name(enum lv_ssh_xfer x);

/*
 * The method this connection uses, and in *note (borrowed, may be NULL) why
 * the ones before it were passed over, NULL when the first one worked.
 */
enum lv_ssh_xfer lv_ssh_xfer_get(const struct lv_ssh *ssh, const char **note);

/*
 * Starts this connection with method `x` (found by an earlier connection to
 * the same host: a reconnect after a reboot does not probe again).
 */
void lv_ssh_xfer_set(struct lv_ssh *ssh, enum lv_ssh_xfer x);

/*
 * Writes `len` bytes to the remote file `path`, which must not exist yet
 * (callers write to a fresh, unguessable temporary name and move it into
 * place; SFTP and the pipe create it with O_EXCL, scp cannot say so), created
 * with permissions `mode`. 0 or LV_EIO; a failed write leaves no file.
 */
int lv_ssh_put(struct lv_ssh *ssh, const char *path, const void *data, size_t len, int mode,
               char **why);

/* Reads a whole remote file; *data is NUL-terminated, caller frees. LV_ENOENT or LV_EIO. */
int lv_ssh_get(struct lv_ssh *ssh, const char *path, char **data, size_t *len, char **why);

/* Releases libssh's global state at program exit (after every connection is freed). */
void lv_ssh_global_fini(void);

#endif
