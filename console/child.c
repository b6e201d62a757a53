/*
 * child: see child.h.
 *
 * The child's environment is built before the fork (the parent has other
 * threads, so the child only calls async-signal-safe functions between fork
 * and exec): the parent's own, less any LOUDVA_PROGRESS_FD it was given
 * itself, plus LOUDVA_PROGRESS_FD naming the progress pipe's write end.
 * Every pipe end is close-on-exec except the two the child keeps (its
 * stderr, made by dup2, and the progress end, cleared after the fork), so
 * other programs the console starts hold none of them.
 */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/util.h"

extern char **environ;

static void pipe_init(struct lv_child_pipe *p)
{
	p->fd = -1;
	p->len = 0;
}

void lv_child_init(struct lv_child *ch)
{
	memset(ch, 0, sizeof(*ch));
	ch->pid = -1;
	pipe_init(&ch->err);
	pipe_init(&ch->progress);
}

/* A pipe with both ends close-on-exec. */
static int cloexec_pipe(int p[2], char **why)
{
	if (pipe(p) != 0)
		return lv_fail(why, LV_EIO, "pipe: %s", strerror(errno));
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	return LV_OK;
}

/* environ without LOUDVA_PROGRESS_FD, plus *var naming fd. Caller frees the array and *var. */
static char **child_env(int fd, char **var)
{
	size_t n = 0, k = 0, len = strlen(LV_PROGRESS_ENV);
	while (environ[n])
		n++;
	char **env = lv_xcalloc(n + 2, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], LV_PROGRESS_ENV, len) || environ[i][len] != '=')
			env[k++] = environ[i];
	*var = lv_xasprintf("%s=%d", LV_PROGRESS_ENV, fd);
	env[k] = *var;
	return env;
}

static void close_pair(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
}

int lv_child_spawn(struct lv_child *ch, char *const argv[], char **why)
{
	int err[2] = { -1, -1 }, prog[2] = { -1, -1 };
	if (cloexec_pipe(err, why) != LV_OK)
		return LV_EIO;
	if (cloexec_pipe(prog, why) != LV_OK) {
		close_pair(err);
		return LV_EIO;
	}
	char *var = NULL;
	char **env = child_env(prog[1], &var);
	pid_t pid = fork();
	if (pid < 0) {
		free(env);
		free(var);
		close_pair(err);
		close_pair(prog);
		return lv_fail(why, LV_EIO, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		int nul = open("/dev/null", O_RDWR);
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(err[1], 2);
		fcntl(prog[1], F_SETFD, 0); /* the one descriptor beyond 0-2 it keeps */
		execve(argv[0], argv, env);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	free(env);
	free(var);
	setpgid(pid, pid); /* both sides, so there is no race with the first kill */
	close(err[1]);
	close(prog[1]);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	fcntl(prog[0], F_SETFL, O_NONBLOCK);
	ch->pid = pid;
	ch->err.fd = err[0];
	ch->err.len = 0;
	ch->progress.fd = prog[0];
	ch->progress.len = 0;
	return LV_OK;
}

/* Reads what p holds now and hands each complete line to fn(line, ops, arg). */
static int read_pipe(struct lv_child_pipe *p, void (*fn)(const char *s, const void *ops, void *arg),
                     const void *ops, void *arg)
{
	int lines = 0;
	while (p->fd >= 0) {
		ssize_t n = read(p->fd, p->buf + p->len, sizeof(p->buf) - 1 - p->len);
		if (n <= 0)
			break;
		p->len += (size_t)n;
		p->buf[p->len] = '\0';
		char *nl;
		while ((nl = memchr(p->buf, '\n', p->len))) {
			*nl = '\0';
			fn(p->buf, ops, arg);
			size_t used = (size_t)(nl - p->buf) + 1;
			memmove(p->buf, nl + 1, p->len - used);
			p->len -= used;
			lines++;
		}
		if (p->len == sizeof(p->buf) - 1)
			p->len = 0; /* a line too long to keep: drop it */
	}
	return lines;
}

static void err_line(const char *s, const void *ops, void *arg)
{
	const struct lv_child_ops *o = ops;
	if (o->line)
		o->line(arg, s);
}

static void progress_line(const char *s, const void *ops, void *arg)
{
	const struct lv_child_ops *o = ops;
	struct lv_progress p;
	if (o->progress && lv_progress_parse(s, &p) == LV_OK)
		o->progress(arg, &p);
}

int lv_child_read(struct lv_child *ch, const struct lv_child_ops *ops, void *arg)
{
	return read_pipe(&ch->progress, progress_line, ops, arg) +
	       read_pipe(&ch->err, err_line, ops, arg);
}

static void clear(struct lv_child *ch)
{
	if (ch->err.fd >= 0)
		close(ch->err.fd);
	if (ch->progress.fd >= 0)
		close(ch->progress.fd);
	pipe_init(&ch->err);
	pipe_init(&ch->progress);
	ch->pid = -1;
}

int lv_child_reap(struct lv_child *ch, const struct lv_child_ops *ops, void *arg, int *status)
{
	if (ch->pid <= 0 || waitpid(ch->pid, status, WNOHANG) != ch->pid)
		return 0;
	lv_child_read(ch, ops, arg);
	clear(ch);
	return 1;
}

void lv_child_signal(const struct lv_child *ch, int sig)
{
	if (ch->pid > 0)
		kill(-ch->pid, sig);
}

void lv_child_stop(struct lv_child *ch, double grace_s)
{
	if (ch->pid > 0) {
		kill(-ch->pid, SIGTERM);
		double until = lv_mono_s() + grace_s;
		while (waitpid(ch->pid, NULL, WNOHANG) == 0) {
			if (lv_mono_s() > until) {
				kill(-ch->pid, SIGKILL);
				waitpid(ch->pid, NULL, 0);
				break;
			}
			struct timespec ts = { 0, 20 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	clear(ch);
}
