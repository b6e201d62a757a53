/*
 * launcher: starts, restarts and stops the embedded cluster's emulated
 * agents (see launcher.h for the process and file contract).
 *
 * Invariants: pids[i] is -1 or a child of this process not yet reaped; every
 * agent is in process group `pgid` when that group still existed when it
 * started (else in one of its own, and it is still signalled by pid); the
 * ports never change after start, so a restarted agent is found at the
 * same URL. Between fork and exec the child calls only async-signal-safe
 * functions: everything it needs (argv, the log descriptor) is prepared
 * before the fork. life[i].due_s is finite only while device i's agent is
 * dead and cfg.restart is set: the time lv_launcher_poll starts it again.
 */
#define _GNU_SOURCE
#include "launcher.h"

#include <assert.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "model/cluster.h"
#include "model/profile.h"
#include "base/clock.h"
#include "base/file.h"
#include "base/util.h"

/* One device's agent over its restarts; times on the lv_mono_s clock. */
struct agent_life {
	double started_s; /* the current (or last) agent's start */
	double due_s;     /* dead, to be started again then; INFINITY otherwise */
	double backoff_s; /* the delay after the next death */
	unsigned restarts;
};

struct lv_launcher {
	struct lv_cluster *cluster;
	struct lv_launcher_config cfg; /* its strings point at the copies below */
	char *agent_path, *predictor_path;
	char *dir;
	char *token;
	char *token_file;
	char **profile_files; /* per kind */
	char *cluster_file;   /* names them, for the agents' predictor */
	char **port_files;    /* per device: where its agent writes its port */
	char **models;        /* per device: the model its agent emulates */
	size_t n;
	pid_t *pids;
	int *ports; /* 0 until the agent has told */
	pid_t pgid; /* 0 until the first agent starts */
	struct agent_life *life;
};

void lv_launcher_config_default(struct lv_launcher_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->agent_path = "loudva-agent";
	cfg->start_timeout_s = 15.0;
	cfg->restart_min_s = 0.5;
	cfg->restart_max_s = 30.0;
	cfg->restart_reset_s = 60.0;
	cfg->model = "inception_graphdef";
}

const char *lv_launcher_token(const struct lv_launcher *l)
{
	return l->token;
}

const char *lv_launcher_token_file(const struct lv_launcher *l)
{
	return l->token_file;
}

const char *lv_launcher_dir(const struct lv_launcher *l)
{
	return l->dir;
}

pid_t lv_launcher_pid(const struct lv_launcher *l, size_t i)
{
	return i < l->n ? l->pids[i] : -1;
}

int lv_launcher_port(const struct lv_launcher *l, size_t i)
{
	return i < l->n ? l->ports[i] : -1;
}

unsigned lv_launcher_restarts(const struct lv_launcher *l, size_t i)
{
	return i < l->n ? l->life[i].restarts : 0;
}

/* ---- files -------------------------------------------------------------------- */

static int make_token(struct lv_launcher *l, char **why)
{
	unsigned char raw[24];
	size_t got = 0;
	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return lv_fail(why, LV_EIO, "launcher: getrandom: %s", strerror(errno));
		got += (size_t)n;
	}
	l->token = lv_xmalloc(2 * sizeof(raw) + 1);
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(l->token + 2 * i, 3, "%02x", raw[i]);
	l->token_file = lv_path_join(l->dir, "token");
	int fd = open(l->token_file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return lv_fail(why, LV_EIO, "launcher: %s: %s", l->token_file, strerror(errno));
	size_t len = strlen(l->token);
	ssize_t w = write(fd, l->token, len);
	int rc = close(fd);
	if (w != (ssize_t)len || rc != 0)
		return lv_fail(why, LV_EIO, "launcher: %s: short write", l->token_file);
	return LV_OK;
}

static int write_profiles(struct lv_launcher *l, char **why)
{
	struct lv_cluster *c = l->cluster;
	l->profile_files = lv_xcalloc(c->n_kinds, sizeof(char *));
	for (size_t k = 0; k < c->n_kinds; k++) {
		const struct lv_profile *p = c->kinds[k].profile;
		char *name = lv_xasprintf("%s.json", p->kind);
		l->profile_files[k] = lv_path_join(l->dir, name);
		free(name);
		int rc = lv_profile_save(p, l->profile_files[k], why);
		if (rc != LV_OK)
			return rc;
	}
	char *json = lv_xasprintf("{\"name\": \"%s\", \"profiles\": \".\", \"devices\": [",
	                          c->name ? c->name : "embedded");
	for (size_t k = 0; k < c->n_kinds; k++) {
		char *more =
		    lv_xasprintf("%s%s{\"name\": \"%s\", \"kind\": \"%s\"}", json, k ? ", " : "",
		                 c->kinds[k].profile->kind, c->kinds[k].profile->kind);
		free(json);
		json = more;
	}
	char *all = lv_xasprintf("%s]}\n", json);
	free(json);
	l->cluster_file = lv_path_join(l->dir, "cluster.json");
	int rc = lv_write_file_atomic(l->cluster_file, all, strlen(all), why);
	free(all);
	return rc;
}

/* ---- processes ----------------------------------------------------------------- */

/* Device i's agent command line into argv (strings in buf); returns argc. */
static int agent_argv(const struct lv_launcher *l, size_t i, char *port, size_t port_len,
                      char *argv[], size_t cap)
{
	const struct lv_device *d = &l->cluster->devices[i];
	const struct lv_profile *p = l->cluster->kinds[d->kind].profile;
	snprintf(port, port_len, "127.0.0.1:%d", l->ports[i]);
	int n = 0;
	argv[n++] = (char *)l->cfg.agent_path;
	argv[n++] = "--emulate";
	argv[n++] = (char *)p->kind;
	argv[n++] = "--profile";
	argv[n++] = l->profile_files[d->kind];
	argv[n++] = "--mode";
	argv[n++] = (char *)lv_cost_mode_name(l->cluster->mode);
	if (l->cluster->mode != LV_COST_PROF) {
		argv[n++] = "--cluster";
		argv[n++] = l->cluster_file;
		if (l->cfg.predictor_path) {
			argv[n++] = "--predictor";
			argv[n++] = (char *)l->cfg.predictor_path;
		}
	}
	argv[n++] = "--model";
	argv[n++] = l->models[i];
	argv[n++] = "--listen";
	argv[n++] = port;
	argv[n++] = "--port-file";
	argv[n++] = l->port_files[i];
	argv[n++] = "--token-file";
	argv[n++] = l->token_file;
	argv[n] = NULL;
	assert((size_t)n < cap);
	(void)cap;
	return n;
}

char *lv_launcher_command(const struct lv_launcher *l, size_t i)
{
	char port[32];
	char *argv[24];
	int n = agent_argv(l, i, port, sizeof(port), argv, 24);
	char *cmd = lv_xstrdup(argv[0]);
	for (int k = 1; k < n; k++) {
		char *more = lv_xasprintf("%s %s", cmd, argv[k]);
		free(cmd);
		cmd = more;
	}
	return cmd;
}

/* The child's side of the fork: async-signal-safe calls only, then exec. */
static void child_exec(char *const argv[], int log_fd, pid_t pgid, pid_t parent)
{
	if (setpgid(0, pgid) != 0)
		setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent) /* the parent died before prctl took effect */
		_exit(127);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	int in = open("/dev/null", O_RDONLY);
	if (in >= 0)
		dup2(in, 0);
	dup2(log_fd, 1);
	dup2(log_fd, 2);
	close_range(3, ~0u, 0);
	execv(argv[0], argv);
	_exit(127);
}

static int spawn(struct lv_launcher *l, size_t i, char **why)
{
	const struct lv_device *d = &l->cluster->devices[i];
	char port[32];
	char *argv[24];
	agent_argv(l, i, port, sizeof(port), argv, 24);
	unlink(l->port_files[i]);
	char *logname = lv_xasprintf("%s.log", d->name);
	char *logpath = lv_path_join(l->dir, logname);
	free(logname);
	int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		int rc = lv_fail(why, LV_EIO, "launcher: %s: %s", logpath, strerror(errno));
		free(logpath);
		return rc;
	}
	free(logpath);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0)
		child_exec(argv, fd, l->pgid, parent);
	int err = errno;
	close(fd);
	if (pid < 0)
		return lv_fail(why, LV_EIO, "launcher: fork: %s", strerror(err));
	/* Also from this side, so the group exists before the next fork. */
	if (setpgid(pid, l->pgid) != 0 && l->pgid == 0)
		setpgid(pid, pid);
	if (l->pgid == 0)
		l->pgid = pid;
	l->pids[i] = pid;
	return LV_OK;
}

static size_t sink(char *ptr, size_t size, size_t n, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * n;
}

/* One GET /healthz; 1 when it answered 200. */
static int healthy(int port)
{
	CURL *h = curl_easy_init();
	if (!h)
		return 0;
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/healthz", port);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 500L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	long code = 0;
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(h);
	return code == 200;
}

/* The last lines of device i's log, for error messages. Caller frees. */
static char *log_tail(const struct lv_launcher *l, size_t i)
{
	char *name = lv_xasprintf("%s.log", l->cluster->devices[i].name);
	char *path = lv_path_join(l->dir, name);
	free(name);
	size_t len = 0;
	char *text = lv_read_file(path, &len, NULL);
	free(path);
	if (!text)
		return lv_xstrdup("");
	size_t from = len > 300 ? len - 300 : 0;
	char *tail = lv_xstrdup(text + from);
	free(text);
	for (char *s = tail; *s; s++)
		if (*s == '\n')
			*s = ' ';
	return tail;
}

/* The port an agent wrote to its port file, 0 while there is none yet. */
static int read_port(const char *path)
{
	char *text = lv_read_file(path, NULL, NULL);
	long port = 0;
	if (text) {
		char *end = NULL;
		port = strtol(text, &end, 10);
		if (end == text || port <= 0 || port > 65535 || (*end && *end != '\n'))
			port = 0;
	}
	free(text);
	return (int)port;
}

static void set_urls(struct lv_launcher *l, size_t i)
{
	struct lv_device *d = &l->cluster->devices[i];
	free(d->agent_url);
	free(d->triton_url);
	d->agent_url = lv_xasprintf("http://127.0.0.1:%d", l->ports[i]);
	d->triton_url = lv_xstrdup(d->agent_url);
	d->shm = 1; /* an agent on this host, started by this user */
}

static int wait_healthy(struct lv_launcher *l, size_t i, char **why)
{
	double deadline = lv_mono_s() + l->cfg.start_timeout_s;
	for (;;) {
		int status;
		if (waitpid(l->pids[i], &status, WNOHANG) == l->pids[i]) {
			l->pids[i] = -1;
			char *tail = log_tail(l, i);
			int rc = lv_fail(
			    why, LV_EIO, "launcher: agent for %s exited at start (%s %d): %s",
			    l->cluster->devices[i].name, WIFEXITED(status) ? "status" : "signal",
			    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), tail);
			free(tail);
			return rc;
		}
		if (l->ports[i] == 0)
			l->ports[i] = read_port(l->port_files[i]);
		if (l->ports[i] > 0 && healthy(l->ports[i])) {
			set_urls(l, i);
			return LV_OK;
		}
		if (lv_mono_s() > deadline)
			return lv_fail(why, LV_EIO,
			               "launcher: agent for %s did not answer /healthz on port %d "
			               "within %.0f s",
			               l->cluster->devices[i].name, l->ports[i],
			               l->cfg.start_timeout_s);
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

static void stop_one(struct lv_launcher *l, size_t i, double grace_s)
{
	if (l->pids[i] <= 0)
		return;
	kill(l->pids[i], SIGTERM);
	double deadline = lv_mono_s() + grace_s;
	for (;;) {
		pid_t r = waitpid(l->pids[i], NULL, WNOHANG);
		if (r == l->pids[i] || (r < 0 && errno == ECHILD))
			break;
		if (lv_mono_s() > deadline) {
			kill(l->pids[i], SIGKILL);
			waitpid(l->pids[i], NULL, 0);
			break;
		}
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	l->pids[i] = -1;
}

struct lv_launcher *lv_launcher_start(struct lv_cluster *c, const struct lv_launcher_config *cfg,
                                      char **why)
{
	struct lv_launcher *l = lv_xcalloc(1, sizeof(*l));
	l->cluster = c;
	if (cfg)
		l->cfg = *cfg;
	else
		lv_launcher_config_default(&l->cfg);
	l->agent_path = lv_xstrdup(l->cfg.agent_path);
	l->cfg.agent_path = l->agent_path;
	if (l->cfg.predictor_path)
		l->cfg.predictor_path = l->predictor_path = lv_xstrdup(l->cfg.predictor_path);
	l->cfg.tmp_parent = NULL;
	l->n = c->n_devices;
	l->pids = lv_xmalloc((l->n ? l->n : 1) * sizeof(pid_t));
	l->ports = lv_xcalloc(l->n ? l->n : 1, sizeof(int));
	l->port_files = lv_xcalloc(l->n ? l->n : 1, sizeof(char *));
	l->models = lv_xcalloc(l->n ? l->n : 1, sizeof(char *));
	for (size_t i = 0; i < l->n; i++) {
		enum lv_wire w = c->devices[i].wire;
		const char *m = l->cfg.model ? l->cfg.model : "inception_graphdef";
		l->models[i] =
		    w == LV_WIRE_FP32 ? lv_xstrdup(m) : lv_xasprintf("%s_%s", m, lv_wire_name(w));
	}
	l->life = lv_xcalloc(l->n ? l->n : 1, sizeof(*l->life));
	if (l->cfg.restart_max_s < l->cfg.restart_min_s)
		l->cfg.restart_max_s = l->cfg.restart_min_s;
	for (size_t i = 0; i < l->n; i++) {
		l->pids[i] = -1;
		l->life[i].due_s = INFINITY;
		l->life[i].backoff_s = l->cfg.restart_min_s;
	}
	const char *parent = cfg && cfg->tmp_parent ? cfg->tmp_parent : getenv("TMPDIR");
	char *tmpl = lv_path_join(parent && *parent ? parent : "/tmp", "loudva-cluster-XXXXXX");
	if (!mkdtemp(tmpl)) {
		lv_fail(why, LV_EIO, "launcher: mkdtemp %s: %s", tmpl, strerror(errno));
		free(tmpl);
		goto out;
	}
	l->dir = tmpl;
	if (make_token(l, why) != LV_OK || write_profiles(l, why) != LV_OK)
		goto out;
	/* Spawn all first (agents start in parallel), then wait for each. */
	for (size_t i = 0; i < l->n; i++) {
		char *name = lv_xasprintf("%s.port", c->devices[i].name);
		l->port_files[i] = lv_path_join(l->dir, name);
		free(name);
		if (spawn(l, i, why) != LV_OK)
			goto out;
		l->life[i].started_s = lv_mono_s();
	}
	for (size_t i = 0; i < l->n; i++)
		if (wait_healthy(l, i, why) != LV_OK)
			goto out;
	return l;
out:
	lv_launcher_stop(l);
	return NULL;
}

int lv_launcher_restart(struct lv_launcher *l, size_t i, char **why)
{
	if (i >= l->n)
		return lv_fail(why, LV_ENOENT, "launcher: no device %zu", i);
	stop_one(l, i, 3.0);
	l->life[i].due_s = INFINITY;
	int rc = spawn(l, i, why);
	if (rc == LV_OK) {
		l->life[i].started_s = lv_mono_s();
		l->life[i].restarts++;
		rc = wait_healthy(l, i, why);
	}
	if (rc != LV_OK)
		stop_one(l, i, 1.0);
	return rc;
}

/* When device i's agent starts next after a death at now_s; doubles the back-off after. */
static double next_start(struct lv_launcher *l, size_t i, double now_s)
{
	struct agent_life *a = &l->life[i];
	if (!l->cfg.restart) {
		a->due_s = INFINITY;
		return INFINITY;
	}
	double delay = a->backoff_s;
	a->due_s = now_s + delay;
	a->backoff_s = fmin(2 * a->backoff_s, l->cfg.restart_max_s);
	return delay;
}

/* Device i's agent ended with `status` (waitpid's; -1 unknown, reaped elsewhere). */
static void exited(struct lv_launcher *l, size_t i, int status, double now_s,
                   struct lv_launcher_event *ev)
{
	struct agent_life *a = &l->life[i];
	char how[64];
	ev->kind = LV_LAUNCHER_EXITED;
	ev->device = i;
	ev->pid = l->pids[i];
	l->pids[i] = -1;
	if (now_s - a->started_s >= l->cfg.restart_reset_s)
		a->backoff_s = l->cfg.restart_min_s; /* it had been healthy: start over */
	ev->delay_s = next_start(l, i, now_s);
	ev->restarts = a->restarts;
	if (status == -1)
		snprintf(how, sizeof(how), "ended");
	else if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "killed by signal %d (%s)", WTERMSIG(status),
		         strsignal(WTERMSIG(status)));
	else
		snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(status));
	char *tail = WIFEXITED(status) && WEXITSTATUS(status) ? log_tail(l, i) : lv_xstrdup("");
	size_t len = strlen(tail), from = len > 80 ? len - 80 : 0;
	snprintf(ev->text, sizeof(ev->text), "agent (pid %d, port %d) %s%s%s", (int)ev->pid,
	         l->ports[i], how, *tail ? ": ..." : "", tail + from);
	free(tail);
}

/* Starts device i's agent again (its back-off has passed). */
static void start_again(struct lv_launcher *l, size_t i, double now_s, struct lv_launcher_event *ev)
{
	struct agent_life *a = &l->life[i];
	char *why = NULL;
	ev->device = i;
	a->due_s = INFINITY;
	if (spawn(l, i, &why) != LV_OK) {
		ev->kind = LV_LAUNCHER_FAILED;
		ev->pid = -1;
		ev->delay_s = next_start(l, i, now_s);
		ev->restarts = a->restarts;
		snprintf(ev->text, sizeof(ev->text), "agent could not be restarted: %s", why);
		free(why);
		return;
	}
	a->started_s = now_s;
	ev->kind = LV_LAUNCHER_RESTARTED;
	ev->pid = l->pids[i];
	ev->delay_s = 0;
	ev->restarts = ++a->restarts;
	snprintf(ev->text, sizeof(ev->text), "agent restarted on port %d (pid %d, restart %u)",
	         l->ports[i], (int)ev->pid, a->restarts);
}

size_t lv_launcher_poll(struct lv_launcher *l, double now_s, struct lv_launcher_event *ev,
                        size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n && n < max; i++) {
		if (l->pids[i] > 0) {
			int status = -1;
			pid_t r = waitpid(l->pids[i], &status, WNOHANG);
			if (r == l->pids[i] || (r < 0 && errno == ECHILD))
				exited(l, i, r < 0 ? -1 : status, now_s, &ev[n++]);
			continue;
		}
		if (l->cfg.restart && l->life[i].due_s <= now_s)
			start_again(l, i, now_s, &ev[n++]);
	}
	return n;
}

void lv_launcher_stop(struct lv_launcher *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		if (l->pids[i] > 0)
			kill(l->pids[i], SIGTERM);
	for (size_t i = 0; i < l->n; i++)
		stop_one(l, i, 3.0);
	if (l->dir) {
		if (l->token_file)
			unlink(l->token_file);
		for (size_t k = 0; l->profile_files && k < l->cluster->n_kinds; k++)
			if (l->profile_files[k])
				unlink(l->profile_files[k]);
		for (size_t i = 0; i < l->n; i++)
			if (l->port_files[i])
				unlink(l->port_files[i]);
		if (l->cluster_file)
			unlink(l->cluster_file);
		for (size_t i = 0; !l->cfg.keep_dir && i < l->n; i++) {
			char *name = lv_xasprintf("%s.log", l->cluster->devices[i].name);
			char *p = lv_path_join(l->dir, name);
			unlink(p);
			free(p);
			free(name);
		}
		if (!l->cfg.keep_dir)
			rmdir(l->dir);
	}
	if (l->profile_files)
		for (size_t k = 0; k < l->cluster->n_kinds; k++)
			free(l->profile_files[k]);
	free(l->profile_files);
	for (size_t i = 0; i < l->n; i++)
		free(l->port_files[i]);
	free(l->port_files);
	for (size_t i = 0; l->models && i < l->n; i++)
		free(l->models[i]);
	free(l->models);
	free(l->cluster_file);
	free(l->dir);
	free(l->agent_path);
	free(l->predictor_path);
	free(l->token);
	free(l->token_file);
	free(l->pids);
	free(l->ports);
	free(l->life);
	free(l);
}

char *lv_launcher_default_agent(void)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return lv_xstrdup("loudva-agent");
	self[n] = '\0';
	char *dir = lv_path_dirname(self);
	char *p = lv_path_join(dir, "loudva-agent");
	free(dir);
	return p;
}

char *lv_token_file_read(const char *path, char **why)
{
	char *t = lv_read_file(path, NULL, why);
	if (!t)
		return NULL;
	size_t n = strcspn(t, "\r\n");
	t[n] = '\0';
	while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'))
		t[--n] = '\0';
	size_t lead = strspn(t, " \t");
	memmove(t, t + lead, n - lead + 1);
	if (!*t) {
		lv_fail(why, LV_EINVAL, "%s: empty token file", path);
		free(t);
		return NULL;
	}
	return t;
}
