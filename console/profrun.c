/*
 * profrun: a profiling sweep from the console (see profrun.h).
 *
 * The progress events of `loudva profile run` (JSON lines, progress.h)
 * move the grid's cursor: "pin" (a clock is pinned) and "window" (a window
 * of a point is measured). Its stderr lines become the message shown. The
 * measured points come from the progress file, rewritten atomically after
 * every point, read again whenever its modification time changes.
 */
#include "profrun.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "commands.h"
#include "base/datapath.h"
#include "model/profile.h"
#include "profile_run.h"
#include "base/clock.h"
#include "base/file.h"
#include "base/util.h"

#define STOP_GRACE_S 10.0 /* the sweep finishes its request, then releases the clock */

struct lv_profrun {
	char *loudva, *results_dir;
	struct lv_child child;
	struct lv_ui_profiling st;
	long requests;
	char *partial;        /* st.out + ".partial.json" */
	struct timespec seen; /* the progress file's mtime last read */
	double started;
	int stopping;
};

struct lv_profrun *lv_profrun_new(const struct lv_profrun_config *cfg)
{
	struct lv_profrun *x = lv_xcalloc(1, sizeof(*x));
	x->loudva = lv_xstrdup(cfg->loudva);
	x->results_dir = cfg->results_dir ? lv_xstrdup(cfg->results_dir) : lv_cmd_results_dir();
	lv_child_init(&x->child);
	x->st.cur_f = x->st.cur_b = -1;
	return x;
}

enum lv_ui_prof_state lv_profrun_state(const struct lv_profrun *x)
{
	return x->st.state;
}

static void clear_grid(struct lv_ui_profiling *st)
{
	for (size_t f = 0; f < LV_CMD_SWEEP_CLOCKS; f++)
		for (size_t b = 0; b < LV_CMD_SWEEP_BATCHES; b++)
			st->epf[f][b] = st->latency_s[f][b] = NAN;
	st->done = 0;
	st->cur_f = st->cur_b = -1;
	st->window = 0;
}

int lv_profrun_prepare(struct lv_profrun *x, const char *device, const char *kind,
                       const uint64_t *freqs, size_t nf, const int *batches, size_t nb,
                       long requests, char **why)
{
	if (x->st.state == LV_UI_PROF_WAITING || x->st.state == LV_UI_PROF_RUNNING)
		return lv_fail(why, LV_ESTATE, "%s is being profiled (:profile stop ends it)",
		               x->st.device);
	if (nf == 0 || nb == 0 || nf > LV_CMD_SWEEP_CLOCKS || nb > LV_CMD_SWEEP_BATCHES)
		return lv_fail(why, LV_EINVAL, "a sweep needs 1..%d clocks and 1..%d batch sizes",
		               LV_CMD_SWEEP_CLOCKS, LV_CMD_SWEEP_BATCHES);
	struct lv_ui_profiling *st = &x->st;
	memset(st, 0, sizeof(*st));
	clear_grid(st);
	st->state = LV_UI_PROF_WAITING;
	snprintf(st->device, sizeof(st->device), "%s", device);
	snprintf(st->kind, sizeof(st->kind), "%s", kind);
	memcpy(st->freqs_hz, freqs, nf * sizeof(*freqs));
	memcpy(st->batches, batches, nb * sizeof(*batches));
	st->n_freqs = nf;
	st->n_batches = nb;
	st->total = nf * nb;
	x->requests = requests;
	x->stopping = 0;
	char stamp[32];
	time_t now = time(NULL);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&now));
	snprintf(st->out, sizeof(st->out), "%s/profiles/%s-%s.json", x->results_dir, device, stamp);
	snprintf(st->message, sizeof(st->message),
	         "draining %s: the scheduler sends it nothing new; waiting for its batches in "
	         "flight",
	         device);
	free(x->partial);
	x->partial = lv_xasprintf("%s.partial.json", st->out);
	x->seen = (struct timespec){ 0 };
	x->started = lv_mono_s();
	return LV_OK;
}

/* "768000000,921600000" or "1,2,4" into a fresh string. */
static char *join_u64(const uint64_t *v, size_t n)
{
	char *s = lv_xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *t = lv_xasprintf("%s%s%llu", s, i ? "," : "", (unsigned long long)v[i]);
		free(s);
		s = t;
	}
	return s;
}

static char *join_int(const int *v, size_t n)
{
	char *s = lv_xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *t = lv_xasprintf("%s%s%d", s, i ? "," : "", v[i]);
		free(s);
		s = t;
	}
	return s;
}

int lv_profrun_launch(struct lv_profrun *x, const char *cluster, const char *token_file, char **why)
{
	struct lv_ui_profiling *st = &x->st;
	if (st->state != LV_UI_PROF_WAITING)
		return lv_fail(why, LV_ESTATE, "no sweep is waiting to start");
	char *dir = lv_path_dirname(st->out);
	int made = lv_mkdir_p(dir, why);
	free(dir);
	if (made != LV_OK)
		return made;
	char *freqs = join_u64(st->freqs_hz, st->n_freqs);
	char *batches = join_int(st->batches, st->n_batches);
	char *req = lv_xasprintf("%ld", x->requests);
	char *argv[20];
	int n = 0;
	argv[n++] = x->loudva;
	argv[n++] = "profile";
	argv[n++] = "run";
	argv[n++] = "--cluster";
	argv[n++] = (char *)cluster;
	if (token_file) {
		argv[n++] = "--token-file";
		argv[n++] = (char *)token_file;
	}
	argv[n++] = "--device";
	argv[n++] = st->device;
	argv[n++] = "--freqs";
	argv[n++] = freqs;
	argv[n++] = "--batches";
	argv[n++] = batches;
	argv[n++] = "--requests";
	argv[n++] = req;
	argv[n++] = "--out";
	argv[n++] = st->out;
	argv[n] = NULL;
	int rc = lv_child_spawn(&x->child, argv, why);
	free(freqs);
	free(batches);
	free(req);
	if (rc != LV_OK) {
		st->state = LV_UI_PROF_FAILED;
		snprintf(st->message, sizeof(st->message), "%s", *why ? *why : "cannot start");
		return rc;
	}
	st->state = LV_UI_PROF_RUNNING;
	snprintf(st->message, sizeof(st->message), "starting loudva profile run (pid %d)",
	         (int)x->child.pid);
	x->started = lv_mono_s();
	return LV_OK;
}

void lv_profrun_stop(struct lv_profrun *x)
{
	if (x->st.state == LV_UI_PROF_WAITING) {
		x->st.state = LV_UI_PROF_FAILED;
		snprintf(x->st.message, sizeof(x->st.message), "stopped before it started");
	} else if (x->st.state == LV_UI_PROF_RUNNING && !x->stopping) {
		lv_child_signal(&x->child, SIGINT);
		x->stopping = 1;
		snprintf(x->st.message, sizeof(x->st.message),
		         "stopping: the sweep finishes its request and releases the clock");
	}
}

static int index_of_freq(const struct lv_ui_profiling *st, uint64_t hz)
{
	for (size_t i = 0; i < st->n_freqs; i++)
		if (st->freqs_hz[i] == hz)
			return (int)i;
	return -1;
}

static int index_of_batch(const struct lv_ui_profiling *st, int b)
{
	for (size_t i = 0; i < st->n_batches; i++)
		if (st->batches[i] == b)
			return (int)i;
	return -1;
}

/* A line from the sweep's stderr: the message to show. */
static void line(void *arg, const char *s)
{
	struct lv_profrun *x = arg;
	const char *p = !strncmp(s, "loudva profile run: ", 20) ? s + 20 : s;
	while (*p == ' ')
		p++;
	if (!x->stopping || strstr(p, "interrupted"))
		snprintf(x->st.message, sizeof(x->st.message), "%.199s", p);
}

/* A progress event: the point being measured. */
static void progress(void *arg, const struct lv_progress *p)
{
	struct lv_ui_profiling *st = &((struct lv_profrun *)arg)->st;
	if (p->event == LV_PROGRESS_PIN) {
		st->cur_f = index_of_freq(st, p->freq_hz);
		st->cur_b = -1;
		st->window = 0;
	} else if (p->event == LV_PROGRESS_WINDOW) {
		st->cur_f = index_of_freq(st, p->freq_hz);
		st->cur_b = index_of_batch(st, p->batch);
		st->window = p->window;
	}
}

static const struct lv_child_ops child_ops = { line, progress };

static void set_point(struct lv_ui_profiling *st, uint64_t hz, int batch, double lat_s,
                      double energy_j)
{
	int f = index_of_freq(st, hz), b = index_of_batch(st, batch);
	if (f < 0 || b < 0)
		return;
	if (isnan(st->epf[f][b]))
		st->done++;
	st->epf[f][b] = energy_j / batch;
	st->latency_s[f][b] = lat_s;
}

/* Reads the progress file again if it changed. 1 when it did. */
static int read_partial(struct lv_profrun *x)
{
	struct stat sb;
	if (stat(x->partial, &sb) != 0)
		return 0;
	if (sb.st_mtim.tv_sec == x->seen.tv_sec && sb.st_mtim.tv_nsec == x->seen.tv_nsec)
		return 0;
	x->seen = sb.st_mtim;
	struct lv_prof_result *r = NULL;
	size_t n = 0;
	char *why = NULL;
	if (lv_prof_read_partial(x->partial, x->st.device, &r, &n, &why) == LV_OK)
		for (size_t i = 0; i < n; i++)
			set_point(&x->st, r[i].freq_hz, r[i].batch, r[i].latency_s, r[i].energy_j);
	free(r);
	free(why);
	return 1;
}

/* The finished profile into the grid. */
static void read_profile(struct lv_profrun *x)
{
	char *why = NULL;
	struct lv_profile *p = lv_profile_load(x->st.out, &why);
	for (size_t i = 0; p && i < p->n_points; i++) {
		const struct lv_profile_point *pt = &p->points[i];
		set_point(&x->st, pt->freq_hz, pt->batch, pt->latency_s, pt->energy_j);
	}
	lv_profile_free(p);
	free(why);
}

static void reaped(struct lv_profrun *x, int status)
{
	struct lv_ui_profiling *st = &x->st;
	st->cur_f = st->cur_b = -1;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (code == 0) {
		read_profile(x);
		st->state = LV_UI_PROF_DONE;
		snprintf(st->message, sizeof(st->message),
		         "%zu points in %.0f s; wrote %.120s (loudva profile show it)", st->done,
		         st->elapsed_s, st->out);
		return;
	}
	read_partial(x);
	st->state = LV_UI_PROF_FAILED;
	if (code == 130)
		snprintf(st->message, sizeof(st->message),
		         "stopped; clock released; %zu of %zu points kept in %.100s.partial.json "
		         "(loudva profile run ... --resume)",
		         st->done, st->total, st->out);
	else if (code < 0)
		snprintf(st->message, sizeof(st->message), "the sweep died (signal %d)",
		         WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	/* else: its last line, already in message, says why */
}

int lv_profrun_poll(struct lv_profrun *x, struct lv_ui_profiling *out)
{
	int changed = 0;
	if (x->st.state == LV_UI_PROF_WAITING || x->st.state == LV_UI_PROF_RUNNING)
		x->st.elapsed_s = lv_mono_s() - x->started;
	if (x->child.pid > 0) {
		changed |= lv_child_read(&x->child, &child_ops, x) > 0;
		changed |= read_partial(x);
		int status;
		if (lv_child_reap(&x->child, &child_ops, x, &status)) {
			reaped(x, status);
			changed = 1;
		}
	}
	*out = x->st;
	return changed;
}

void lv_profrun_free(struct lv_profrun *x)
{
	if (!x)
		return;
	if (x->child.pid > 0) {
		lv_child_signal(&x->child, SIGINT);
		lv_child_stop(&x->child, STOP_GRACE_S);
	}
	free(x->partial);
	free(x->loudva);
	free(x->results_dir);
	free(x);
}
