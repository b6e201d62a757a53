/*
 * ssh_xfer: moving whole files over a connection (contracts in ssh.h), as
 * Ansible's "smart" transfer does: SFTP, else scp, else a pipe through the
 * shell. The first transfer of a connection tries them in that order and the
 * first that starts is kept (struct lv_ssh.xfer), so a host without an SFTP
 * subsystem costs one refused subsystem request, not one per file.
 *
 * "Cannot start" is what sends a transfer on to the next method: the SFTP
 * subsystem refused, or no `scp` on the PATH of the host's shell (asked once
 * with `command -v scp`: libssh's scp start does not notice a missing scp, it
 * fails later with a closed channel). Once a method has started, its errors
 * are the transfer's: a file
 * that cannot be created is not retried another way, so a host is never
 * written twice by two methods.
 *
 * Every method writes the same bytes with the same mode and reads the same
 * bytes: SFTP opens with O_EXCL; scp's protocol carries the mode but cannot
 * ask for O_EXCL, which is why callers name files that cannot be guessed
 * (module_util.c's temporary names); the pipe creates the file under
 * `set -C` (noclobber: O_EXCL) and umask 077, then sets the mode.
 */
#include "ssh.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "quote.h"
#include "ssh_impl.h"
#include "base/file.h"
#include "base/util.h"

#define UNAVAILABLE 1 /* the method cannot start on this host: try the next one */

/* One transfer: a put (data, len, mode) or a get (*out, *out_len). */
struct xfer_op {
	const char *path;
	bool get;
	const void *data;
	size_t len;
	int mode;
	char **out;
	size_t *out_len;
};

const char *lv_ssh_xfer_name(enum lv_ssh_xfer x)
{
	switch (x) {
	case LV_SSH_XFER_SFTP: return "sftp";
	case LV_SSH_XFER_SCP: return "scp";
	case LV_SSH_XFER_PIPE: return "piped";
	case LV_SSH_XFER_UNKNOWN: break;
	}
	return "unknown";
}

enum lv_ssh_xfer lv_ssh_xfer_get(const struct lv_ssh *c, const char **note)
{
	if (note)
		*note = c->xfer_note;
	return c->xfer;
}

void lv_ssh_xfer_set(struct lv_ssh *c, enum lv_ssh_xfer x)
{
	c->xfer = x;
}

static void append(char **buf, size_t *len, const char *data, size_t n)
{
	*buf = lv_xrealloc(*buf, *len + n + 1);
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* ---- SFTP -------------------------------------------------------------- */

static int sftp_start(struct lv_ssh *c, char **why)
{
	if (c->sftp)
		return 0;
	c->sftp = sftp_new(c->s);
	if (c->sftp && sftp_init(c->sftp) == SSH_OK)
		return 0;
	if (c->sftp)
		sftp_free(c->sftp);
	c->sftp = NULL;
	lv_fail(why, LV_EIO, "cannot start SFTP (%s)", ssh_get_error(c->s));
	return UNAVAILABLE;
}

static int sftp_put(struct lv_ssh *c, const struct xfer_op *op, char **why)
{
	if (sftp_start(c, why))
		return UNAVAILABLE;
	sftp_file f = sftp_open(c->sftp, op->path, O_WRONLY | O_CREAT | O_EXCL, (mode_t)op->mode);
	if (!f)
		return lv_fail(why, LV_EIO, "%s: cannot create %s (SFTP error %d)", c->peer,
		               op->path, sftp_get_error(c->sftp));
	const char *p = op->data;
	size_t left = op->len;
	int rc = 0;
	while (left > 0) {
		ssize_t w = sftp_write(f, p, left < LV_SSH_CHUNK ? left : LV_SSH_CHUNK);
		if (w <= 0) {
			rc = lv_ssh_fail(c, why, "SFTP write failed");
			break;
		}
		p += w;
		left -= (size_t)w;
	}
	if (sftp_close(f) != SSH_OK && rc == 0)
		rc = lv_ssh_fail(c, why, "SFTP close failed");
	if (rc)
		sftp_unlink(c->sftp, op->path);
	return rc;
}

static int sftp_get_file(struct lv_ssh *c, const struct xfer_op *op, char **why)
{
	if (sftp_start(c, why))
		return UNAVAILABLE;
	sftp_file f = sftp_open(c->sftp, op->path, O_RDONLY, 0);
	if (!f) {
		int e = sftp_get_error(c->sftp);
		if (e == SSH_FX_NO_SUCH_FILE)
			return lv_fail(why, LV_ENOENT, "%s: %s: no such file", c->peer, op->path);
		return lv_fail(why, LV_EIO, "%s: cannot open %s (SFTP error %d)", c->peer, op->path,
		               e);
	}
	char *buf = lv_xmalloc(LV_SSH_CHUNK);
	int rc = 0;
	for (;;) {
		ssize_t r = sftp_read(f, buf, LV_SSH_CHUNK);
		if (r < 0) {
			rc = lv_ssh_fail(c, why, "SFTP read failed");
			break;
		}
		if (r == 0)
			break;
		append(op->out, op->out_len, buf, (size_t)r);
	}
	sftp_close(f);
	free(buf);
	return rc;
}

/* ---- scp --------------------------------------------------------------- */

/*
 * libssh 0.10 marks its scp API deprecated in favour of SFTP. Here it is the
 * fallback for hosts that have no SFTP subsystem, so the warning is silenced
 * for these functions alone.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

/* 0 when the host's shell finds scp, UNAVAILABLE when not, LV_EIO when the connection failed. */
static int scp_start(struct lv_ssh *c, char **why)
{
	if (c->xfer == LV_SSH_XFER_SCP)
		return 0;
	struct lv_ssh_result res;
	int rc = lv_ssh_exec(c, "command -v scp", NULL, NULL, &res, why);
	if (rc == 0 && res.status != 0) {
		lv_fail(why, LV_EIO, "cannot start scp (not found by the login shell)");
		rc = UNAVAILABLE;
	}
	lv_ssh_result_fini(&res);
	return rc;
}

/* Runs `fmt` with `path` quoted in place of its %s; its exit status, or -1. */
static int path_cmd(struct lv_ssh *c, const char *fmt, const char *path)
{
	char *q = lv_quote_sh(path), *cmd = lv_xasprintf(fmt, q);
	struct lv_ssh_result res;
	char *ignored = NULL;
	int st = lv_ssh_exec(c, cmd, NULL, NULL, &res, &ignored) == 0 ? res.status : -1;
	lv_ssh_result_fini(&res);
	free(ignored);
	free(cmd);
	free(q);
	return st;
}

static int scp_put(struct lv_ssh *c, const struct xfer_op *op, char **why)
{
	char *dir = lv_path_dirname(op->path);
	const char *base = strrchr(op->path, '/') ? strrchr(op->path, '/') + 1 : op->path;
	ssh_scp scp = NULL;
	int rc = scp_start(c, why);
	if (rc)
		goto out;
	scp = ssh_scp_new(c->s, SSH_SCP_WRITE, dir);
	if (!scp || ssh_scp_init(scp) != SSH_OK) {
		rc = lv_ssh_fail(c, why, "cannot start scp");
		goto out;
	}
	if (ssh_scp_push_file64(scp, base, op->len, op->mode & 07777) != SSH_OK) {
		rc = lv_fail(why, LV_EIO, "%s: cannot create %s (%s)", c->peer, op->path,
		             ssh_get_error(c->s));
		goto out;
	}
	const char *p = op->data;
	for (size_t left = op->len; left > 0 && rc == 0;) {
		size_t n = left < LV_SSH_CHUNK ? left : LV_SSH_CHUNK;
		if (ssh_scp_write(scp, p, n) != SSH_OK)
			rc = lv_ssh_fail(c, why, "scp write failed");
		p += n;
		left -= n;
	}
	if (rc)
		path_cmd(c, "rm -f %s", op->path); /* scp cannot delete what it left */
out:
	if (scp) {
		ssh_scp_close(scp);
		ssh_scp_free(scp);
	}
	free(dir);
	return rc;
}

static int scp_get(struct lv_ssh *c, const struct xfer_op *op, char **why)
{
	ssh_scp scp = NULL;
	char *buf = NULL;
	int rc = scp_start(c, why);
	if (rc)
		goto out;
	scp = ssh_scp_new(c->s, SSH_SCP_READ, op->path);
	if (!scp || ssh_scp_init(scp) != SSH_OK) {
		rc = lv_ssh_fail(c, why, "cannot start scp");
		goto out;
	}
	int req = ssh_scp_pull_request(scp);
	if (req == SSH_SCP_REQUEST_WARNING) {
		/* scp -f says why in words only (and in the host's language): ask */
		const char *w = ssh_scp_request_get_warning(scp);
		bool missing = path_cmd(c, "test -e %s", op->path) == 1;
		rc = lv_fail(why, missing ? LV_ENOENT : LV_EIO, "%s: %s: %s", c->peer, op->path,
		             missing ? "no such file"
		             : w     ? w
		                     : "scp refused");
		goto out;
	}
	if (req != SSH_SCP_REQUEST_NEWFILE) {
		rc = lv_ssh_fail(c, why, "scp sent no file");
		goto out;
	}
	uint64_t size = ssh_scp_request_get_size64(scp);
	ssh_scp_accept_request(scp);
	buf = lv_xmalloc(LV_SSH_CHUNK);
	for (uint64_t got = 0; got < size;) {
		int r = ssh_scp_read(scp, buf, LV_SSH_CHUNK);
		if (r == SSH_ERROR || r == 0) {
			rc = lv_ssh_fail(c, why, "scp read failed");
			goto out;
		}
		append(op->out, op->out_len, buf, (size_t)r);
		got += (uint64_t)r;
	}
out:
	if (scp) {
		ssh_scp_close(scp);
		ssh_scp_free(scp);
	}
	free(buf);
	return rc;
}

#pragma GCC diagnostic pop

/* ---- a pipe through the shell ------------------------------------------ */

/* Runs `script` with /bin/sh, `in` on its stdin. 0 (status in *status) or LV_EIO. */
static int pipe_run(struct lv_ssh *c, const char *script, const void *in, size_t in_len,
                    struct lv_ssh_result *res, char **why)
{
	char *q = lv_quote_sh(script), *cmd = lv_xasprintf("/bin/sh -c %s", q);
	int rc = lv_ssh_exec_stdin(c, cmd, in, in_len, NULL, NULL, res, why);
	free(cmd);
	free(q);
	return rc;
}

static char *first_line(const char *s)
{
	size_t n = strcspn(s, "\n");
	return lv_xasprintf("%.*s", (int)n, n ? s : "the shell said nothing");
}

static int pipe_put(struct lv_ssh *c, const struct xfer_op *op, char **why)
{
	char *p = lv_quote_sh(op->path);
	/* create it new (noclobber is O_EXCL) and private, fill it, then give it its mode */
	char *script = lv_xasprintf("umask 077 && set -C && : >%s || exit 3\n"
	                            "cat >>%s && chmod %o %s || { rm -f %s; exit 1; }",
	                            p, p, (unsigned)op->mode & 07777, p, p);
	struct lv_ssh_result res;
	int rc = pipe_run(c, script, op->data, op->len, &res, why);
	if (rc == 0 && res.status != 0) {
		char *msg = first_line(res.err);
		rc = lv_fail(why, LV_EIO, "%s: cannot create %s (%s)", c->peer, op->path, msg);
		free(msg);
	}
	lv_ssh_result_fini(&res);
	free(script);
	free(p);
	return rc;
}

static int pipe_get(struct lv_ssh *c, const struct xfer_op *op, char **why)
{
	char *p = lv_quote_sh(op->path);
	char *script = lv_xasprintf("if [ -e %s ]; then exec cat %s; else exit 99; fi", p, p);
	struct lv_ssh_result res;
	int rc = pipe_run(c, script, NULL, 0, &res, why);
	if (rc == 0 && res.status == 99) {
		rc = lv_fail(why, LV_ENOENT, "%s: %s: no such file", c->peer, op->path);
	} else if (rc == 0 && res.status != 0) {
		char *msg = first_line(res.err);
		rc = lv_fail(why, LV_EIO, "%s: cannot read %s (%s)", c->peer, op->path, msg);
		free(msg);
	} else if (rc == 0) {
		free(*op->out);
		*op->out = res.out;
		*op->out_len = res.out_len;
		res.out = NULL;
	}
	lv_ssh_result_fini(&res);
	free(script);
	free(p);
	return rc;
}

/* ---- choosing ---------------------------------------------------------- */

static int run_method(struct lv_ssh *c, enum lv_ssh_xfer x, const struct xfer_op *op, char **why)
{
	switch (x) {
	case LV_SSH_XFER_SFTP: return op->get ? sftp_get_file(c, op, why) : sftp_put(c, op, why);
	case LV_SSH_XFER_SCP: return op->get ? scp_get(c, op, why) : scp_put(c, op, why);
	case LV_SSH_XFER_PIPE: return op->get ? pipe_get(c, op, why) : pipe_put(c, op, why);
	case LV_SSH_XFER_UNKNOWN: break;
	}
	return lv_fail(why, LV_EIO, "%s: no file transfer method", c->peer);
}

/* Runs `op` with the connection's method, or finds the first that starts. */
static int transfer(struct lv_ssh *c, const struct xfer_op *op, char **why)
{
	char *w = NULL, *note = NULL;
	int rc = UNAVAILABLE;
	if (c->xfer != LV_SSH_XFER_UNKNOWN) {
		rc = run_method(c, c->xfer, op, &w);
		if (rc == UNAVAILABLE) /* it started here before: the host changed, or went */
			rc = LV_EIO;
		goto out;
	}
	for (int x = LV_SSH_XFER_SFTP; x <= LV_SSH_XFER_PIPE; x++) {
		rc = run_method(c, (enum lv_ssh_xfer)x, op, &w);
		if (rc != UNAVAILABLE) {
			/* a lost connection says nothing about the host's methods */
			if (ssh_is_connected(c->s)) {
				c->xfer = (enum lv_ssh_xfer)x;
				free(c->xfer_note);
				c->xfer_note = note;
				note = NULL;
			}
			goto out;
		}
		char *next = lv_xasprintf("%s%s%s", note ? note : "", note ? "; " : "", w);
		free(note);
		free(w);
		w = NULL;
		note = next;
	}
	/* unreachable in practice: the pipe never reports UNAVAILABLE */
	rc = LV_EIO;
	w = lv_xasprintf("cannot transfer files: %s", note);
out:
	if (rc) {
		/* messages of methods that could not start do not name the host yet */
		const char *m = w ? w : "file transfer failed";
		bool named = !strncmp(m, c->peer, strlen(c->peer));
		lv_fail(why, rc, "%s%s%s", named ? "" : c->peer, named ? "" : ": ", m);
	}
	free(w);
	free(note);
	return rc;
}

int lv_ssh_put(struct lv_ssh *c, const char *path, const void *data, size_t len, int mode,
               char **why)
{
	struct xfer_op op = { .path = path, .data = data, .len = len, .mode = mode };
	return transfer(c, &op, why);
}

int lv_ssh_get(struct lv_ssh *c, const char *path, char **data, size_t *len, char **why)
{
	*data = lv_xcalloc(1, 1);
	*len = 0;
	struct xfer_op op = { .path = path, .get = true, .out = data, .out_len = len };
	int rc = transfer(c, &op, why);
	if (rc) {
		free(*data);
		*data = NULL;
		*len = 0;
	}
	return rc;
}
