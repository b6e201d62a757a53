/*
 * ssh_impl: the state of one connection, shared by ssh.c (connecting,
 * authenticating, running commands) and ssh_xfer.c (moving files). Private to
 * those two files; ssh_xfer.c calls into ssh.c, never the other way.
 */
#ifndef LV_SSH_IMPL_H
#define LV_SSH_IMPL_H

#include <libssh/libssh.h>
#include <libssh/sftp.h>
#include <stddef.h>

#include "ssh.h"

#define LV_SSH_CHUNK 32768 /* bytes per read or write */

struct lv_ssh {
	ssh_session s;
	sftp_session sftp;     /* opened by the first transfer when SFTP is used */
	enum lv_ssh_xfer xfer; /* how files move; UNKNOWN until the first transfer */
	char *xfer_note;       /* why the methods before `xfer` were passed over, or NULL */
	char *user;
	char *peer; /* user@host:port */
};

/* LV_EIO with *why "peer: what: libssh's error". */
int lv_ssh_fail(struct lv_ssh *c, char **why, const char *what);

/*
 * lv_ssh_exec, with `in_len` bytes of `in` written to the command's stdin
 * before it is closed (in may be NULL when in_len is 0).
 */
int lv_ssh_exec_stdin(struct lv_ssh *c, const char *cmd, const void *in, size_t in_len,
                      lv_ssh_output_fn fn, void *ud, struct lv_ssh_result *res, char **why);

#endif
