/*
 * serve_exp: `loudva serve`'s experiments (see serve_exp.h).
 *
 * Everything below is guarded by mu. A start from a connection thread is
 * handed to the main thread (want), which spawns the child at its next
 * poll and answers (done, rc, why); the connection waits on cv for it.
 * The state shown is exprun's (lv_ui_experiments) plus what exprun does
 * not keep: the wall-clock start, the report directory once it has failed,
 * whether it was stopped on request, the exit status.
 */
#include "serve_exp.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/eventlog.h"
#include "base/file.h"
#include "base/util.h"
#include "exprun.h"
#include "front/frontend.h"
#include "live/live.h"
#include "runtime.h"

#define START_WAIT_S 10 /* a start the main thread has not taken by then is refused */

struct lv_serve_exp {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct lv_exprun *run;
	struct lv_live *lv;
	struct lv_ui_experiments st;
	int ever;           /* an experiment was started */
	int closing;        /* lv_serve_exp_free began: no new start */
	int stop_asked;     /* DELETE: the end is "stopped" */
	int stop_early;     /* a DELETE came while a start waited: stop it once spawned */
	char started[32];   /* UTC, ISO 8601 */
	char *out_dir;      /* its report directory, absolute where the cwd is known */
	size_t logged_done; /* the runs of logged_pass whose progress was logged */
	int logged_pass;
	/* a start handed to the main thread */
	char *want;
	unsigned long want_id, done_id;
	int want_rc;
	char *want_why;
};

struct lv_serve_exp *lv_serve_exp_new(const char *results_dir, struct lv_live *lv)
{
	struct lv_serve_exp *x = lv_xcalloc(1, sizeof(*x));
	pthread_mutex_init(&x->mu, NULL);
	pthread_cond_init(&x->cv, NULL);
	char *self = lv_runtime_self_dir_file("loudva");
	struct lv_exprun_config ec = { .loudva = self, .results_dir = results_dir };
	x->run = lv_exprun_new(&ec);
	free(self);
	x->lv = lv;
	return x;
}

/* Logs to the controller's event log, stamped with its clock. */
static void note(struct lv_serve_exp *x, enum lv_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note(struct lv_serve_exp *x, enum lv_log_level level, const char *fmt, ...)
{
	char text[LV_LOG_TEXT_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	const struct lv_snapshot *s = lv_live_snapshot_get(x->lv);
	double t = s ? s->now_s : 0;
	lv_live_snapshot_put(x->lv, s);
	lv_eventlog_add(lv_live_log(x->lv), t, level, "experiment", "%s", text);
}

static const char *state_name(const struct lv_serve_exp *x)
{
	if (!x->ever)
		return "idle";
	switch (x->st.state) {
	case LV_UI_EXP_RUNNING: return "running";
	case LV_UI_EXP_DONE: return "done";
	case LV_UI_EXP_FAILED: return x->stop_asked ? "stopped" : "failed";
	default: return "idle";
	}
}

/* The main thread's half of a start. Under mu. */
static void take_start(struct lv_serve_exp *x)
{
	char *why = NULL;
	int rc = lv_exprun_start(x->run, x->want, &why);
	if (rc == LV_OK) {
		lv_exprun_poll(x->run, &x->st);
		x->ever = 1;
		x->stop_asked = 0;
		x->logged_done = 0;
		x->logged_pass = 1;
		char *cwd = x->st.shown[0] != '/' ? getcwd(NULL, 0) : NULL;
		free(x->out_dir); /* a client reads it from elsewhere: absolute where we can */
		x->out_dir = cwd ? lv_path_join(cwd, x->st.shown) : lv_xstrdup(x->st.shown);
		free(cwd);
		time_t now = time(NULL);
		struct tm tm;
		strftime(x->started, sizeof(x->started), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
		note(x, LV_LOG_INFO, "experiment %s started (loudva --batch, pid %d), report in %s",
		     x->st.spec, (int)lv_exprun_pid(x->run), x->out_dir);
		if (x->stop_early) {
			x->stop_asked = 1;
			lv_exprun_cancel(x->run);
			note(x, LV_LOG_INFO,
			     "experiment %s: stopping (asked through the control API)", x->st.spec);
		}
	}
	free(x->want);
	x->want = NULL;
	x->stop_early = 0;
	x->want_rc = rc;
	free(x->want_why);
	x->want_why = why;
	x->done_id = x->want_id;
	pthread_cond_broadcast(&x->cv);
}

/* An event per run finished since the last poll (a poll may see several). */
static void progress(struct lv_serve_exp *x)
{
	if (x->st.pass != x->logged_pass) {
		x->logged_pass = x->st.pass;
		x->logged_done = 0;
	}
	while (x->logged_done < x->st.done)
		note(x, LV_LOG_INFO, "experiment %s: run %zu of %zu done (pass %d of %d)",
		     x->st.spec, ++x->logged_done, x->st.total, x->st.pass, x->st.passes);
}

void lv_serve_exp_poll(struct lv_serve_exp *x)
{
	pthread_mutex_lock(&x->mu);
	if (x->want)
		take_start(x);
	enum lv_ui_exp_state was = x->st.state;
	if (x->ever && lv_exprun_poll(x->run, &x->st)) {
		progress(x);
		if (was == LV_UI_EXP_RUNNING && x->st.state != LV_UI_EXP_RUNNING) {
			int code = lv_exprun_exit_status(x->run);
			if (x->st.state == LV_UI_EXP_DONE)
				note(x, LV_LOG_INFO,
				     "experiment %s finished: exit 0, %zu runs, summary "
				     "%s/summary.csv",
				     x->st.spec, x->st.total, x->out_dir);
			else if (x->stop_asked)
				note(x, LV_LOG_INFO,
				     "experiment %s stopped (exit %d) after %zu of %zu runs",
				     x->st.spec, code, x->st.done, x->st.total);
			else
				note(x, LV_LOG_WARN, "experiment %s failed (exit %d): %s",
				     x->st.spec, code, x->st.message);
		}
	}
	pthread_mutex_unlock(&x->mu);
}

static int start(void *arg, const char *spec, char **why)
{
	struct lv_serve_exp *x = arg;
	pthread_mutex_lock(&x->mu);
	int rc;
	if (x->closing) {
		rc = lv_fail(why, LV_ESTATE, "the controller is stopping");
		goto out;
	}
	if (x->want || (x->ever && x->st.state == LV_UI_EXP_RUNNING)) {
		rc = lv_fail(why, LV_ESTATE,
		             "experiment %s is still running (DELETE /control/experiment stops it)",
		             x->want ? x->want : x->st.spec);
		goto out;
	}
	x->want = lv_xstrdup(spec);
	unsigned long id = ++x->want_id;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += START_WAIT_S;
	while (x->done_id != id && !x->closing)
		if (pthread_cond_timedwait(&x->cv, &x->mu, &until) == ETIMEDOUT)
			break;
	if (x->done_id != id) {
		free(x->want);
		x->want = NULL;
		rc = lv_fail(why, LV_ESTATE, "the controller did not take the start (stopping?)");
		goto out;
	}
	rc = x->want_rc;
	if (rc != LV_OK && why) {
		*why = x->want_why;
		x->want_why = NULL;
	}
out:
	pthread_mutex_unlock(&x->mu);
	return rc;
}

static int stop(void *arg, char **why)
{
	struct lv_serve_exp *x = arg;
	pthread_mutex_lock(&x->mu);
	int rc = LV_OK;
	if (x->want) /* a start being taken: stopped as soon as it is */
		x->stop_early = 1;
	else if (!x->ever)
		rc = lv_fail(why, LV_ENOENT, "no experiment has run on this controller");
	else if (x->st.state != LV_UI_EXP_RUNNING)
		rc = lv_fail(why, LV_ESTATE, "experiment %s is not running (it %s)", x->st.spec,
		             state_name(x));
	else {
		x->stop_asked = 1;
		lv_exprun_cancel(x->run);
		note(x, LV_LOG_INFO, "experiment %s: stopping (asked through the control API)",
		     x->st.spec);
	}
	pthread_mutex_unlock(&x->mu);
	return rc;
}

static char *state_json(void *arg)
{
	struct lv_serve_exp *x = arg;
	cJSON *o = cJSON_CreateObject();
	pthread_mutex_lock(&x->mu);
	cJSON_AddStringToObject(o, "state", state_name(x));
	if (x->ever) {
		int running = x->st.state == LV_UI_EXP_RUNNING;
		cJSON_AddStringToObject(o, "spec", x->st.spec);
		cJSON_AddStringToObject(o, "started", x->started);
		cJSON_AddNumberToObject(o, "elapsed_s", x->st.elapsed_s);
		cJSON_AddNumberToObject(o, "runs_done", (double)x->st.done);
		cJSON_AddNumberToObject(o, "runs_total", (double)x->st.total);
		cJSON_AddNumberToObject(o, "pass", x->st.pass);
		cJSON_AddNumberToObject(o, "passes", x->st.passes);
		cJSON_AddStringToObject(o, "out_dir", x->out_dir);
		if (running)
			cJSON_AddNumberToObject(o, "pid", (double)lv_exprun_pid(x->run));
		else
			cJSON_AddNullToObject(o, "pid");
		if (running)
			cJSON_AddNullToObject(o, "exit_status");
		else
			cJSON_AddNumberToObject(o, "exit_status", lv_exprun_exit_status(x->run));
		char *sum = lv_path_join(x->out_dir, "summary.csv");
		if (x->st.state == LV_UI_EXP_DONE)
			cJSON_AddStringToObject(o, "summary", sum);
		else
			cJSON_AddNullToObject(o, "summary");
		free(sum);
		cJSON_AddStringToObject(o, "message", x->st.message);
	}
	pthread_mutex_unlock(&x->mu);
	char *txt = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return txt;
}

static const struct lv_frontend_exp_ops exp_ops = {
	.start = start,
	.stop = stop,
	.state_json = state_json,
};

const struct lv_frontend_exp_ops *lv_serve_exp_ops(void)
{
	return &exp_ops;
}

void lv_serve_exp_close(struct lv_serve_exp *x)
{
	if (!x)
		return;
	pthread_mutex_lock(&x->mu);
	int was = x->closing;
	x->closing = 1;
	pthread_cond_broadcast(&x->cv);
	if (!was && x->ever && x->st.state == LV_UI_EXP_RUNNING) {
		note(x, LV_LOG_WARN, "experiment %s stopped: the controller is stopping",
		     x->st.spec);
		lv_exprun_cancel(x->run);
	}
	pthread_mutex_unlock(&x->mu);
}

void lv_serve_exp_free(struct lv_serve_exp *x)
{
	if (!x)
		return;
	lv_serve_exp_close(x);
	lv_exprun_free(x->run); /* SIGTERM, then SIGKILL; reaped */
	free(x->want);
	free(x->want_why);
	free(x->out_dir);
	pthread_cond_destroy(&x->cv);
	pthread_mutex_destroy(&x->mu);
	free(x);
}
