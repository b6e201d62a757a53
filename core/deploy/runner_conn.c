/*
 * runner_conn: the two connection backends of the runner (struct lv_conn_ops in
 * module.h) — SSH through ssh.c (files move by SFTP, scp or a pipe, as
 * ssh_xfer.c finds the host allows), and local execution on the controller
 * for `delegate_to: localhost` and ansible_connection=local.
 *
 * Local commands run through posix_spawn (safe in the runner's worker
 * threads) with both output pipes read through poll(), so a chatty stderr
 * cannot block stdout.
 */
#define _GNU_SOURCE /* pipe2: close-on-exec pipes without a race against other threads */
#include "module.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ssh.h"
#include "base/file.h"
#include "base/util.h"

extern char **environ;

/* ---- SSH --------------------------------------------------------------- */

static void ssh_output(void *ud, int stream, const char *data, size_t len)
{
	struct lv_conn *c = ud;
	if (c->on_output)
		c->on_output(c->output_ud, stream, data, len);
}

static int ssh_exec(struct lv_conn *c, const char *cmd, struct lv_exec_result *res, char **why)
{
	struct lv_ssh_result r;
	int rc = lv_ssh_exec(c->ssh, cmd, ssh_output, c, &r, why);
	res->rc = r.status;
	res->out = r.out;
	res->err = r.err;
	res->out_len = r.out_len;
	res->err_len = r.err_len;
	if (rc)
		c->broken = true;
	return rc;
}

static int ssh_put(struct lv_conn *c, const char *path, const void *data, size_t len, char **why)
{
	return lv_ssh_put(c->ssh, path, data, len, 0600, why);
}

static int ssh_get(struct lv_conn *c, const char *path, char **data, size_t *len, char **why)
{
	return lv_ssh_get(c->ssh, path, data, len, why);
}

enum lv_ssh_xfer lv_conn_xfer(const struct lv_conn *c, const char **note)
{
	if (note)
		*note = NULL;
	return c && c->ssh ? lv_ssh_xfer_get(c->ssh, note) : LV_SSH_XFER_UNKNOWN;
}

void lv_conn_xfer_set(struct lv_conn *c, enum lv_ssh_xfer x)
{
	if (c && c->ssh)
		lv_ssh_xfer_set(c->ssh, x);
}

static void ssh_close(struct lv_conn *c)
{
	lv_ssh_free(c->ssh);
	c->ssh = NULL;
}

static const struct lv_conn_ops ssh_ops = {
	.name = "ssh",
	.exec = ssh_exec,
	.put = ssh_put,
	.get = ssh_get,
	.close = ssh_close,
};

struct lv_conn *lv_conn_ssh_new(struct lv_ssh *ssh)
{
	struct lv_conn *c = lv_xcalloc(1, sizeof *c);
	c->ops = &ssh_ops;
	c->ssh = ssh;
	c->is_root = !strcmp(lv_ssh_user(ssh), "root");
	return c;
}

/* ---- local ------------------------------------------------------------- */

static void append(char **buf, size_t *len, const char *data, size_t n)
{
	*buf = lv_xrealloc(*buf, *len + n + 1);
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* Reads both pipes until both close. */
static void drain(struct lv_conn *c, int out_fd, int err_fd, struct lv_exec_result *res)
{
	struct pollfd pf[2] = { { .fd = out_fd, .events = POLLIN },
		                { .fd = err_fd, .events = POLLIN } };
	char buf[8192];
	int open_fds = 2;
	while (open_fds > 0) {
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(pf[i].fd, buf, sizeof buf);
			if (n <= 0) {
				pf[i].fd = -1;
				open_fds--;
				continue;
			}
			if (i == 0)
				append(&res->out, &res->out_len, buf, (size_t)n);
			else
				append(&res->err, &res->err_len, buf, (size_t)n);
			if (c->on_output)
				c->on_output(c->output_ud, i + 1, buf, (size_t)n);
		}
	}
}

static int local_exec(struct lv_conn *c, const char *cmd, struct lv_exec_result *res, char **why)
{
	int out_p[2] = { -1, -1 }, err_p[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	memset(res, 0, sizeof *res);
	res->out = lv_xcalloc(1, 1);
	res->err = lv_xcalloc(1, 1);
	res->rc = -1;
	if (pipe2(out_p, O_CLOEXEC) || pipe2(err_p, O_CLOEXEC)) {
		int e = errno;
		close(out_p[0]);
		close(out_p[1]);
		return lv_fail(why, LV_EIO, "localhost: pipe: %s", strerror(e));
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err_p[1], 2);
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	pid_t pid;
	int rc = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(out_p[1]);
	close(err_p[1]);
	if (rc == 0)
		drain(c, out_p[0], err_p[0], res);
	close(out_p[0]);
	close(err_p[0]);
	if (rc != 0)
		return lv_fail(why, LV_EIO, "localhost: cannot run /bin/sh: %s", strerror(rc));
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	res->rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return 0;
}

static int local_put(struct lv_conn *c, const char *path, const void *data, size_t len, char **why)
{
	(void)c;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return lv_fail(why, LV_EIO, "localhost: cannot create %s: %s", path,
		               strerror(errno));
	const char *p = data;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = errno;
			close(fd);
			unlink(path);
			return lv_fail(why, LV_EIO, "localhost: cannot write %s: %s", path,
			               strerror(e));
		}
		p += w;
		len -= (size_t)w;
	}
	close(fd);
	return 0;
}

static int local_get(struct lv_conn *c, const char *path, char **data, size_t *len, char **why)
{
	(void)c;
	*data = lv_read_file(path, len, why);
	if (*data)
		return 0;
	return access(path, F_OK) != 0 ? LV_ENOENT : LV_EIO;
}

static const struct lv_conn_ops local_ops = {
	.name = "local",
	.exec = local_exec,
	.put = local_put,
	.get = local_get,
	.close = NULL,
};

struct lv_conn *lv_conn_local_new(void)
{
	struct lv_conn *c = lv_xcalloc(1, sizeof *c);
	c->ops = &local_ops;
	c->is_root = geteuid() == 0;
	return c;
}

void lv_conn_free(struct lv_conn *c)
{
	if (!c)
		return;
	if (c->ops->close)
		c->ops->close(c);
	free(c);
}
