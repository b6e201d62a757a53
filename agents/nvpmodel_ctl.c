/*
 * nvpmodel_ctl: reading a board's power modes and switching them with the
 * nvpmodel program (nvpmodel_ctl.h). The parsing is nvpmodel.c's; this
 * file owns the files' and the child's I/O. Callers: backend_jetson.c.
 */
#include "nvpmodel_ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/file.h"
#include "base/util.h"
#include "agent_spawn.h"

#define STATUS_MAX 4096       /* "pmode:0002 fmode:quiet\n": anything longer is not it */
#define OUTPUT_MAX 2048       /* nvpmodel's output kept for messages and -q */
#define CONF_MAX   (1u << 20) /* board files are about 10-20 KB */

struct lv_nvp_ctl {
	char *conf_path, *status_path, *binary;
	double timeout_s;
	int has_conf;
	char conf_error[512];
	struct lv_nvp_conf conf; /* read once; read-only after */

	pthread_mutex_t mu; /* the last `nvpmodel -q` */
	int q_known, q_id;
	char q_name[LV_NVP_NAME_MAX];
	char q_error[300];
};

/*
 * A regular file of at most max bytes, read whole (lv_read_file's
 * contract), so a configuration or status path that leads somewhere odd
 * (a device, a huge file) is refused instead of read forever.
 */
static char *read_bounded(const char *path, size_t max, size_t *len, char **why)
{
	struct stat st;
	if (stat(path, &st) == 0 && (!S_ISREG(st.st_mode) || (uintmax_t)st.st_size > max)) {
		lv_fail(why, LV_EINVAL, "%s: not a regular file of at most %zu bytes", path, max);
		return NULL;
	}
	return lv_read_file(path, len, why);
}

static void read_conf(struct lv_nvp_ctl *c)
{
	char *why = NULL;
	size_t len = 0;
	char *text = read_bounded(c->conf_path, CONF_MAX, &len, &why);
	if (!text) {
		snprintf(c->conf_error, sizeof(c->conf_error),
		         "%s (no nvpmodel configuration: this board's power modes are unknown)",
		         why ? why : c->conf_path);
	} else if (lv_nvp_conf_parse(text, len, &c->conf, &why) != 0) {
		snprintf(c->conf_error, sizeof(c->conf_error), "%s: %s", c->conf_path, why);
	} else {
		c->has_conf = 1;
	}
	free(why);
	free(text);
}

/* The status file's mode. 0, or -1 with err saying why not. */
static int read_status(const struct lv_nvp_ctl *c, int *id, char *err, size_t size)
{
	char *why = NULL;
	size_t len = 0;
	char *text = read_bounded(c->status_path, STATUS_MAX, &len, &why);
	int rc = -1;
	if (!text)
		snprintf(err, size, "%s", why ? why : c->status_path);
	else if (lv_nvp_status_parse(text, len, id) != 0)
		snprintf(err, size, "%s: no 'pmode:NNNN' in it", c->status_path);
	else
		rc = 0;
	free(why);
	free(text);
	return rc;
}

/*
 * Runs `binary arg1 [arg2]` with stdin /dev/null, stdout and stderr into
 * out[size] (the rest drained), in its own process group, killed with it
 * after timeout_s. 0 with *status (waitpid's), or LV_EIO with *why (cannot
 * run, timed out).
 */
static int run(const struct lv_nvp_ctl *c, const char *arg1, const char *arg2, char *out,
               size_t size, int *status, char **why)
{
	char *argv[] = { c->binary, (char *)arg1, (char *)arg2, NULL };
	int rd;
	pid_t pid;
	size_t got = 0;
	out[0] = '\0';
	int err = lv_spawn_reader(c->binary, argv, 1, &pid, &rd);
	if (err != 0)
		return lv_fail(why, LV_EIO, "cannot run %s: %s", c->binary, strerror(err));
	double deadline = lv_mono_s() + c->timeout_s;
	int open_fd = 1, done = 0, timed_out = 0;
	while (!done) {
		double left = deadline - lv_mono_s();
		if (left <= 0) {
			timed_out = 1;
			break;
		}
		if (open_fd) {
			struct pollfd pf = { .fd = rd, .events = POLLIN };
			int ms = (int)ceil(left * 1000);
			if (poll(&pf, 1, ms) > 0) {
				char buf[512];
				ssize_t n = read(rd, buf, sizeof(buf));
				if (n < 0 && errno == EINTR)
					continue;
				if (n <= 0) {
					open_fd = 0;
				} else if (got + 1 < size) {
					size_t k =
					    (size_t)n < size - 1 - got ? (size_t)n : size - 1 - got;
					memcpy(out + got, buf, k);
					got += k;
					out[got] = '\0';
				}
			}
			continue;
		}
		pid_t w = waitpid(pid, status, WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			done = 1;
		else
			nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
	close(rd);
	if (timed_out) {
		kill(-pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return lv_fail(why, LV_EIO, "`%s %s%s%s` did not finish within %g s and was killed",
		               c->binary, arg1, arg2 ? " " : "", arg2 ? arg2 : "", c->timeout_s);
	}
	return 0;
}

/* Runs `nvpmodel -q` and keeps what it said (under mu). */
static void query(struct lv_nvp_ctl *c)
{
	char out[OUTPUT_MAX], *why = NULL;
	int status = 0, id = -1;
	char name[LV_NVP_NAME_MAX];
	int rc = run(c, "-q", NULL, out, sizeof(out), &status, &why);
	pthread_mutex_lock(&c->mu);
	c->q_known = 0;
	if (rc != 0)
		snprintf(c->q_error, sizeof(c->q_error), "%s", why);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		snprintf(c->q_error, sizeof(c->q_error), "`%s -q` failed: %.200s", c->binary, out);
	else if (lv_nvp_query_parse(out, strlen(out), &id, name, sizeof(name)) != 0)
		snprintf(c->q_error, sizeof(c->q_error),
		         "`%s -q` printed no 'NV Power Mode: NAME' and id: '%.120s'", c->binary,
		         out);
	else {
		c->q_known = 1;
		c->q_id = id;
		snprintf(c->q_name, sizeof(c->q_name), "%s", name);
	}
	pthread_mutex_unlock(&c->mu);
	free(why);
}

struct lv_nvp_ctl *lv_nvp_ctl_new(const struct lv_nvp_paths *p)
{
	struct lv_nvp_ctl *c = lv_xcalloc(1, sizeof(*c));
	c->conf_path = lv_xstrdup(p->conf);
	c->status_path = lv_xstrdup(p->status);
	c->binary = lv_xstrdup(p->binary);
	c->timeout_s = p->timeout_s > 0 ? p->timeout_s : 20;
	pthread_mutex_init(&c->mu, NULL);
	snprintf(c->q_error, sizeof(c->q_error), "`%s -q` was not run", c->binary);
	read_conf(c);
	int id;
	char err[300];
	/* a board without a configuration has no nvpmodel to ask */
	if (c->has_conf && read_status(c, &id, err, sizeof(err)) != 0)
		query(c);
	return c;
}

void lv_nvp_ctl_free(struct lv_nvp_ctl *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->mu);
	free(c->conf_path);
	free(c->status_path);
	free(c->binary);
	free(c);
}

/* The current mode: the status file's, else the last -q's. 0, or -1 with src saying why not. */
static int current(struct lv_nvp_ctl *c, int *id, char *name, char *src, size_t size)
{
	char err[300];
	name[0] = '\0';
	if (read_status(c, id, err, sizeof(err)) == 0) {
		snprintf(src, size, "%s", c->status_path);
		return 0;
	}
	pthread_mutex_lock(&c->mu);
	int known = c->q_known;
	if (known) {
		*id = c->q_id;
		snprintf(name, LV_NVP_NAME_MAX, "%s", c->q_name);
		snprintf(src, size, "%s -q", c->binary);
	} else {
		snprintf(src, size, "%.260s; %.260s", err, c->q_error);
	}
	pthread_mutex_unlock(&c->mu);
	return known ? 0 : -1;
}

void lv_nvp_ctl_info(struct lv_nvp_ctl *c, struct lv_power_info *out)
{
	out->has_conf = c->has_conf;
	snprintf(out->conf_path, sizeof(out->conf_path), "%s", c->conf_path);
	snprintf(out->conf_error, sizeof(out->conf_error), "%s", c->conf_error);
	out->conf = c->conf;
	out->current = -1;
	if (!c->has_conf) {
		snprintf(out->source, sizeof(out->source), "not read: %s", c->conf_error);
		return;
	}
	if (current(c, &out->current_id, out->current_name, out->source, sizeof(out->source)) != 0)
		return;
	out->current_known = 1;
	const struct lv_nvp_mode *m = lv_nvp_find_id(&c->conf, out->current_id);
	if (m) {
		out->current = (int)(m - c->conf.modes);
		snprintf(out->current_name, sizeof(out->current_name), "%s", m->name);
	}
}

int lv_nvp_ctl_current(struct lv_nvp_ctl *c, int *id, char *name, int *capped, uint64_t *cap_hz)
{
	char src[600];
	*capped = 0;
	*cap_hz = 0;
	if (!c->has_conf || current(c, id, name, src, sizeof(src)) != 0)
		return 0;
	const struct lv_nvp_mode *m = lv_nvp_find_id(&c->conf, *id);
	if (m) {
		snprintf(name, LV_NVP_NAME_MAX, "%s", m->name);
		*capped = m->gpu_capped;
		*cap_hz = m->gpu_max_hz;
	}
	return 1;
}

/* "0 MAXN, 1 MODE_15W, ..." into buf. */
static void list_modes(const struct lv_nvp_conf *conf, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < conf->n_modes && n + 1 < size; i++) {
		int k = snprintf(buf + n, size - n, "%s%d %s", i ? ", " : "", conf->modes[i].id,
		                 conf->modes[i].name);
		if (k < 0)
			break;
		n += (size_t)k;
	}
}

/* The first lines of a child's output, on one line, for a message. */
static void one_line(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		s[--n] = '\0';
}

int lv_nvp_ctl_set(struct lv_nvp_ctl *c, int id, int *from_id, char **why)
{
	char modes[1024], src[600], name[LV_NVP_NAME_MAX], out[OUTPUT_MAX];
	int cur, status = 0;
	*from_id = -1;
	if (!c->has_conf)
		return lv_fail(why, LV_ESTATE, "this board's power modes are unknown: %s",
		               c->conf_error);
	list_modes(&c->conf, modes, sizeof(modes));
	const struct lv_nvp_mode *to = lv_nvp_find_id(&c->conf, id);
	if (!to)
		return lv_fail(why, LV_EINVAL, "power mode %d is not one of this board's (%s): %s",
		               id, c->conf_path, modes);
	if (current(c, &cur, name, src, sizeof(src)) == 0) {
		*from_id = cur;
		const struct lv_nvp_mode *from = lv_nvp_find_id(&c->conf, cur);
		if (from && lv_nvp_needs_reboot(from, to))
			return lv_fail(
			    why, LV_ESTATE,
			    "switching from power mode %d (%s) to %d (%s) needs a reboot "
			    "(their TPC_POWER_GATING masks differ: '%s', '%s'), which the "
			    "agent does not do: run `nvpmodel -m %d` on the board as root "
			    "and reboot it",
			    from->id, from->name, to->id, to->name, from->tpc_pg, to->tpc_pg,
			    to->id);
	}
	char arg[16];
	snprintf(arg, sizeof(arg), "%d", id);
	char *inner = NULL;
	int rc = run(c, "-m", arg, out, sizeof(out), &status, &inner);
	one_line(out);
	if (rc != 0) {
		lv_fail(why, LV_EIO, "%s (GET /power/mode shows the mode the board is in now)",
		        inner);
		free(inner);
		return LV_EIO;
	}
	if (!WIFEXITED(status))
		return lv_fail(why, LV_EIO, "`%s -m %d` was killed by signal %d: %.200s", c->binary,
		               id, WIFSIGNALED(status) ? WTERMSIG(status) : 0, out);
	if (WEXITSTATUS(status) != 0) {
		/* the shipped systemd unit's sandbox: /sys and /var/lib read-only, no capabilities
		 */
		int denied = strstr(out, "Read-only file system") ||
		             strstr(out, "Permission denied") ||
		             strstr(out, "Operation not permitted");
		return lv_fail(why, LV_EIO, "`%s -m %d` exited with status %d: %.300s%s", c->binary,
		               id, WEXITSTATUS(status), *out ? out : "(no output)",
		               denied ? " (the agent's systemd sandbox keeps nvpmodel from writing "
		                        "its files: set the mode with playbooks/clocks.yml, "
		                        "agents/README.md says more)"
		                      : "");
	}
	char err[300];
	int now;
	if (read_status(c, &now, err, sizeof(err)) != 0) {
		query(c); /* no status file: ask the tool what it is in now */
		return 0;
	}
	if (now != id)
		return lv_fail(why, LV_EIO, "`%s -m %d` exited 0 but %s still says mode %d: %.200s",
		               c->binary, id, c->status_path, now, *out ? out : "(no output)");
	return 0;
}
