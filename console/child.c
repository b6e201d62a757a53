/*
 * child: see child.h.
 */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/util.h"

void lv_child_init(struct lv_child *ch)
{
	memset(ch, 0, sizeof(*ch));
	ch->pid = -1;
	ch->fd = -1;
}

int lv_child_spawn(struct lv_child *ch, char *const argv[], char **why)
{
	int p[2];
	if (pipe(p) != 0)
		return lv_fail(why, LV_EIO, "pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return lv_fail(why, LV_EIO, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		int nul = open("/dev/null", O_RDWR);
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(p[1], 2);
		close(p[0]);
		execv(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid); /* both sides, so there is no race with the first kill */
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	ch->pid = pid;
	ch->fd = p[0];
	ch->len = 0;
	return LV_OK;
}

int lv_child_read(struct lv_child *ch, void (*line)(void *arg, const char *s), void *arg)
{
	int lines = 0;
	while (ch->fd >= 0) {
		ssize_t n = read(ch->fd, ch->buf + ch->len, sizeof(ch->buf) - 1 - ch->len);
		if (n <= 0)
			break;
		ch->len += (size_t)n;
		ch->buf[ch->len] = '\0';
		char *nl;
		while ((nl = memchr(ch->buf, '\n', ch->len))) {
			*nl = '\0';
			line(arg, ch->buf);
			size_t used = (size_t)(nl - ch->buf) + 1;
			memmove(ch->buf, nl + 1, ch->len - used);
			ch->len -= used;
			lines++;
		}
		if (ch->len == sizeof(ch->buf) - 1)
			ch->len = 0; /* a line too long to keep: drop it */
	}
	return lines;
}

static void clear(struct lv_child *ch)
{
	if (ch->fd >= 0)
		close(ch->fd);
	ch->fd = -1;
	ch->pid = -1;
	ch->len = 0;
}

int lv_child_reap(struct lv_child *ch, void (*line)(void *arg, const char *s), void *arg,
                  int *status)
{
	if (ch->pid <= 0 || waitpid(ch->pid, status, WNOHANG) != ch->pid)
		return 0;
	lv_child_read(ch, line, arg);
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
