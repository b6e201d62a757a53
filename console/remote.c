/*
 * remote: a controller watched over HTTP with libcurl. See remote.h.
 *
 * Threads. The poller owns its curl handle, the streamer its own; both
 * share only what is under mu (the fresh snapshot, up/why, the queues).
 * The event log has its own lock. Stopping sets `stop`, wakes the poller's
 * wait, and the streamer's transfer ends through its progress callback
 * (libcurl calls it at least once a second, even on an idle stream).
 *
 * A controller that goes away: the poll fails (connection refused, a
 * time-out), the site is marked gone with curl's reason and a warning is
 * logged once; the next poll that is answered marks it back and says so.
 * The streamer reconnects every second with Last-Event-ID, so no event
 * logged while it was away is lost unless it fell off the controller's
 * ring.
 */
#include "remote.h"

#include <curl/curl.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "front/status_parse.h"
#include "ui.h"
#include "sched/snapshot.h"
#include "base/clock.h"
#include "base/eventlog.h"
#include "base/util.h"

#define LOG_CAP      1024
#define ANSWERS_MAX  16
#define HTTP_TIMEOUT 3L /* seconds, for a poll or a change */

struct post {
	char *method, *path, *body, *what;
	struct post *next;
};

struct answer {
	char msg[300];
	int error;
};

struct lv_remote {
	char *url, *token;
	int period_ms;
	pthread_t poller, streamer;
	int started;
	atomic_int stop;
	atomic_int restarted; /* the poller saw the controller start again: events from 1 */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* under mu */
	struct lv_snapshot *fresh;
	struct lv_remote_exp exp; /* the last /status's "experiment" */
	int has_exp;
	int up, polled;
	char why[200];
	double ctl_now_s, ctl_mono_s; /* the controller's clock at its last answer, and ours then */
	double ctl_uptime_s;          /* its uptime then: less later means it was restarted */
	struct post *posts, **posts_tail;
	struct answer answers[ANSWERS_MAX];
	size_t n_answers;
	/* its own lock */
	struct lv_eventlog log;
	/* the poller's: one sample a second of what /status does not carry (history) */
	double hist_mono_s;
	size_t n_hist;
	double hist_power_w[LV_SNAP_HISTORY], hist_fps[LV_SNAP_HISTORY],
	    hist_queue[LV_SNAP_HISTORY];
	/* the streamer's */
	uint64_t last_id;
	long last_stream_status;
};

/* ---- HTTP ------------------------------------------------------------------ */

static size_t to_buf(char *p, size_t size, size_t n, void *arg)
{
	lv_buf_append(arg, p, size * n);
	return size * n;
}

/*
 * An easy handle for path on the controller: its URL, the bearer token in
 * *h, a 2 s connect time-out, no signals (libcurl copies the URL and the
 * header lines). The caller adds its headers, sets the list and frees it.
 * NULL when libcurl cannot make one.
 */
static CURL *handle(const struct lv_remote *r, const char *path, struct curl_slist **h)
{
	CURL *e = curl_easy_init();
	if (!e)
		return NULL;
	char *url = lv_xasprintf("%s%s", r->url, path);
	curl_easy_setopt(e, CURLOPT_URL, url);
	free(url);
	if (r->token) {
		char *auth = lv_xasprintf("Authorization: Bearer %s", r->token);
		*h = curl_slist_append(*h, auth);
		free(auth);
	}
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 2L);
	return e;
}

/*
 * One request: method "GET", "POST" or "DELETE" (body NULL: empty). Returns the HTTP
 * status, or -1 with curl's reason in err when nothing was answered.
 */
static long http(struct lv_remote *r, const char *method, const char *path, const char *body,
                 struct lv_buf *out, char *err, size_t errlen)
{
	struct curl_slist *h = NULL;
	CURL *e = handle(r, path, &h);
	if (!e) {
		snprintf(err, errlen, "libcurl: cannot make a handle");
		return -1;
	}
	char cerr[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(e, CURLOPT_TIMEOUT, HTTP_TIMEOUT);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, to_buf);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, out);
	if (!strcmp(method, "POST")) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body ? body : "");
	} else if (!strcmp(method, "DELETE")) {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	CURLcode rc = curl_easy_perform(e);
	long status = -1;
	if (rc == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	else
		snprintf(err, errlen, "%s", cerr[0] ? cerr : curl_easy_strerror(rc));
	curl_easy_cleanup(e);
	curl_slist_free_all(h);
	return status;
}

/* The "error" of a JSON refusal, else the body's start. */
static void error_of(const struct lv_buf *b, char *out, size_t len)
{
	cJSON *o = b->p ? cJSON_ParseWithLength(b->p, b->len) : NULL;
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
	if (cJSON_IsString(e))
		snprintf(out, len, "%s", e->valuestring);
	else
		snprintf(out, len, "%.120s", b->p ? b->p : "no answer");
	cJSON_Delete(o);
}

/* ---- the poller -------------------------------------------------------------- */

static void note(struct lv_remote *r, enum lv_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note(struct lv_remote *r, enum lv_log_level level, const char *fmt, ...)
{
	char text[LV_LOG_TEXT_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	/* stamped on the controller's clock, as its own events are */
	pthread_mutex_lock(&r->mu);
	double t =
	    r->polled && r->ctl_mono_s > 0 ? r->ctl_now_s + (lv_mono_s() - r->ctl_mono_s) : 0;
	pthread_mutex_unlock(&r->mu);
	lv_eventlog_add(&r->log, t, level, "attach", "%s", text);
}

static void answer(struct lv_remote *r, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void answer(struct lv_remote *r, int error, const char *fmt, ...)
{
	pthread_mutex_lock(&r->mu);
	if (r->n_answers == ANSWERS_MAX) { /* the console is not reading: keep the newest */
		memmove(r->answers, r->answers + 1, (ANSWERS_MAX - 1) * sizeof(r->answers[0]));
		r->n_answers--;
	}
	struct answer *a = &r->answers[r->n_answers++];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->msg, sizeof a->msg, fmt, ap);
	va_end(ap);
	a->error = error;
	pthread_mutex_unlock(&r->mu);
}

static void send_post(struct lv_remote *r, const struct post *p)
{
	struct lv_buf b = { 0 };
	char err[256];
	long st = http(r, p->method, p->path, p->body, &b, err, sizeof err);
	if (st < 0) {
		answer(r, 1, "%s: not sent: %s", p->what, err);
	} else if (st / 100 != 2) {
		error_of(&b, err, sizeof err);
		answer(r, 1, "%s: refused by the controller (HTTP %ld): %s", p->what, st, err);
		note(r, LV_LOG_WARN, "%s: refused (HTTP %ld): %s", p->what, st, err);
	} else {
		answer(r, 0, "%s", p->what);
	}
	lv_buf_fini(&b);
}

/* Appends a sample a second (oldest first, as the engine keeps them) and copies them into s. */
static void history(struct lv_remote *r, struct lv_snapshot *s)
{
	double now = lv_mono_s();
	if (!r->n_hist || now - r->hist_mono_s >= 1.0) {
		if (r->n_hist == LV_SNAP_HISTORY) {
			size_t keep = LV_SNAP_HISTORY - 1;
			memmove(r->hist_power_w, r->hist_power_w + 1, keep * sizeof(double));
			memmove(r->hist_fps, r->hist_fps + 1, keep * sizeof(double));
			memmove(r->hist_queue, r->hist_queue + 1, keep * sizeof(double));
			r->n_hist = keep;
		}
		r->hist_power_w[r->n_hist] = s->power_w;
		r->hist_fps[r->n_hist] = s->fps;
		r->hist_queue[r->n_hist] = (double)s->queue_len;
		r->n_hist++;
		r->hist_mono_s = now;
	}
	s->n_history = r->n_hist;
	memcpy(s->hist_power_w, r->hist_power_w, r->n_hist * sizeof(double));
	memcpy(s->hist_fps, r->hist_fps, r->n_hist * sizeof(double));
	memcpy(s->hist_queue, r->hist_queue, r->n_hist * sizeof(double));
}

static void copy_str(char *dst, size_t len, const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	snprintf(dst, len, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) && v->valuedouble >= 0 ? v->valuedouble : 0;
}

/* /status's "experiment" (serve_exp.c's state_json): 1 with *e, 0 when it has none. */
static int parse_exp(const char *text, size_t len, struct lv_remote_exp *e)
{
	cJSON *doc = cJSON_ParseWithLength(text, len);
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(doc, "experiment");
	int got = cJSON_IsObject(o);
	if (got) {
		char state[16];
		copy_str(state, sizeof state, o, "state");
		memset(e, 0, sizeof(*e));
		e->state = !strcmp(state, "running") ? LV_UI_EXP_RUNNING
		           : !strcmp(state, "done")  ? LV_UI_EXP_DONE
		           : !strcmp(state, "failed") || !strcmp(state, "stopped")
		               ? LV_UI_EXP_FAILED
		               : LV_UI_EXP_IDLE;
		copy_str(e->spec, sizeof e->spec, o, "spec");
		e->done = (size_t)num(o, "runs_done");
		e->total = (size_t)num(o, "runs_total");
		e->pass = (int)num(o, "pass");
		e->passes = (int)num(o, "passes");
		e->elapsed_s = num(o, "elapsed_s");
		copy_str(e->message, sizeof e->message, o, "message");
		if (!strcmp(state, "stopped"))
			snprintf(e->message, sizeof e->message, "stopped through the control API");
		copy_str(e->out_dir, sizeof e->out_dir, o, "out_dir");
		copy_str(e->summary, sizeof e->summary, o, "summary");
	}
	cJSON_Delete(doc);
	return got;
}

static void poll_status(struct lv_remote *r)
{
	struct lv_remote_exp exp;
	int has_exp = 0;
	struct lv_buf b = { 0 };
	char err[256] = "";
	long st = http(r, "GET", "/status", NULL, &b, err, sizeof err);
	struct lv_snapshot *s = NULL;
	char *why = NULL;
	if (st == 200) {
		s = lv_status_parse(b.p, b.len, &why);
		if (s)
			history(r, s);
		if (s)
			has_exp = parse_exp(b.p, b.len, &exp);
		else
			snprintf(err, sizeof err, "%s", why);
	} else if (st > 0) {
		error_of(&b, err, sizeof err);
		char tmp[256];
		snprintf(tmp, sizeof tmp, "GET /status: HTTP %ld: %.200s", st, err);
		snprintf(err, sizeof err, "%s", tmp);
	}
	free(why);
	lv_buf_fini(&b);
	pthread_mutex_lock(&r->mu);
	int was = r->up, first = !r->polled;
	r->polled = 1;
	r->up = s != NULL;
	if (s && r->polled && isfinite(s->uptime_s) && s->uptime_s + 1 < r->ctl_uptime_s)
		atomic_store(&r->restarted, 1);
	if (s) {
		r->ctl_uptime_s = s->uptime_s;
		r->ctl_now_s = s->now_s;
		r->ctl_mono_s = lv_mono_s();
		lv_snapshot_free(r->fresh);
		r->fresh = s;
		r->has_exp = has_exp;
		if (has_exp)
			r->exp = exp;
		r->why[0] = '\0';
	} else {
		snprintf(r->why, sizeof r->why, "%.190s", err);
	}
	pthread_mutex_unlock(&r->mu);
	if (s && !was && !first)
		note(r, LV_LOG_INFO, "controller %s is back", r->url);
	else if (s && first)
		note(r, LV_LOG_INFO, "attached to the controller at %s", r->url);
	else if (!s && (was || first))
		note(r, LV_LOG_ERROR, "controller %s is gone: %s (trying again every second)",
		     r->url, err);
}

static void *poller(void *arg)
{
	struct lv_remote *r = arg;
	while (!atomic_load(&r->stop)) {
		for (;;) {
			pthread_mutex_lock(&r->mu);
			struct post *p = r->posts;
			if (p) {
				r->posts = p->next;
				if (!r->posts)
					r->posts_tail = &r->posts;
			}
			pthread_mutex_unlock(&r->mu);
			if (!p)
				break;
			send_post(r, p);
			free(p->method);
			free(p->path);
			free(p->body);
			free(p->what);
			free(p);
		}
		poll_status(r);
		/* the next poll: a period on, or at once for a change queued meanwhile */
		int up;
		pthread_mutex_lock(&r->mu);
		up = r->up;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		long ms = up ? r->period_ms : 1000;
		ts.tv_sec += ms / 1000;
		ts.tv_nsec += (ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!atomic_load(&r->stop) && !r->posts &&
		       pthread_cond_timedwait(&r->cv, &r->mu, &ts) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&r->mu);
	}
	return NULL;
}

/* ---- the streamer ------------------------------------------------------------- */

struct sse {
	struct lv_remote *r;
	struct lv_buf line;
	char event[32];
	uint64_t id;
	struct lv_buf data;
};

static void sse_dispatch(struct sse *s)
{
	if (!strcmp(s->event, "log") && s->data.p) {
		cJSON *o = cJSON_ParseWithLength(s->data.p, s->data.len);
		const cJSON *lvl = cJSON_GetObjectItemCaseSensitive(o, "level");
		const cJSON *src = cJSON_GetObjectItemCaseSensitive(o, "source");
		const cJSON *txt = cJSON_GetObjectItemCaseSensitive(o, "text");
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "time_s");
		enum lv_log_level level = LV_LOG_INFO;
		if (cJSON_IsString(lvl))
			lv_log_level_parse(lvl->valuestring, &level);
		if (cJSON_IsString(txt))
			lv_eventlog_add(&s->r->log, cJSON_IsNumber(t) ? t->valuedouble : 0, level,
			                cJSON_IsString(src) ? src->valuestring : "controller", "%s",
			                txt->valuestring);
		cJSON_Delete(o);
		if (s->id)
			s->r->last_id = s->id;
	}
	s->event[0] = '\0';
	s->id = 0;
	lv_buf_fini(&s->data);
}

/* One line of the stream, without its newline. */
static void sse_line(struct sse *s, const char *l)
{
	if (!*l) {
		sse_dispatch(s);
	} else if (!strncmp(l, "event:", 6)) {
		snprintf(s->event, sizeof s->event, "%s", l + 6 + (l[6] == ' '));
	} else if (!strncmp(l, "id:", 3)) {
		s->id = strtoull(l + 3, NULL, 10);
	} else if (!strncmp(l, "data:", 5)) {
		const char *d = l + 5 + (l[5] == ' ');
		if (s->data.len)
			lv_buf_append(&s->data, "\n", 1);
		lv_buf_append(&s->data, d, strlen(d));
	} /* comments (": keep-alive") and retry: are ignored */
}

static size_t sse_write(char *p, size_t size, size_t n, void *arg)
{
	struct sse *s = arg;
	for (size_t i = 0; i < size * n; i++) {
		if (p[i] == '\n') {
			lv_buf_append(&s->line, "", 1);
			s->line.len--;
			if (s->line.len && s->line.p[s->line.len - 1] == '\r')
				s->line.p[--s->line.len] = '\0';
			sse_line(s, s->line.p ? s->line.p : "");
			s->line.len = 0;
		} else {
			lv_buf_append(&s->line, &p[i], 1);
		}
	}
	return size * n;
}

static int sse_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	struct lv_remote *r = arg;
	(void)a, (void)b, (void)c, (void)d;
	return atomic_load(&r->stop) || atomic_load(&r->restarted) ? 1 : 0;
}

/* One connection to the stream, until it ends; 1 when it should be made again at once. */
static int stream_once(struct lv_remote *r)
{
	struct curl_slist *h = NULL;
	CURL *e = handle(r, "/control/events", &h);
	if (!e)
		return 0;
	struct sse s = { .r = r };
	if (atomic_exchange(&r->restarted, 0))
		r->last_id = 0; /* a new controller numbers its events from 1 */
	if (r->last_id) {
		char *resume = lv_xasprintf("Last-Event-ID: %llu", (unsigned long long)r->last_id);
		h = curl_slist_append(h, resume);
		free(resume);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sse_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, sse_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, r);
	/* the controller says something every 5 s at least (a keep-alive) */
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 15L);
	CURLcode rc = curl_easy_perform(e);
	long status = 0;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	/* cut short by a restart seen by the poller: again at once, from the first event */
	int again = rc == CURLE_ABORTED_BY_CALLBACK && !atomic_load(&r->stop);
	if (rc != CURLE_ABORTED_BY_CALLBACK && status && status != 200 &&
	    status != r->last_stream_status)
		note(r, LV_LOG_WARN, "the event stream of %s was refused (HTTP %ld): %.100s",
		     r->url, status, s.line.p ? s.line.p : "");
	r->last_stream_status = status;
	curl_easy_cleanup(e);
	curl_slist_free_all(h);
	lv_buf_fini(&s.line);
	lv_buf_fini(&s.data);
	return again;
}

static void *streamer(void *arg)
{
	struct lv_remote *r = arg;
	while (!atomic_load(&r->stop)) {
		if (stream_once(r))
			continue;
		for (int i = 0; i < 10 && !atomic_load(&r->stop); i++) {
			struct timespec ts = { 0, 100 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

/* ---- the console's side ---------------------------------------------------- */

static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct lv_remote *lv_remote_new(const char *url, const char *token, int period_ms, char **why)
{
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
		lv_fail(why, LV_EINVAL, "--attach %s: not an http:// or https:// URL", url);
		return NULL;
	}
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, curl_init);
	struct lv_remote *r = lv_xcalloc(1, sizeof(*r));
	r->url = lv_xstrdup(url);
	size_t n = strlen(r->url);
	while (n > 0 && r->url[n - 1] == '/')
		r->url[--n] = '\0';
	r->token = token ? lv_xstrdup(token) : NULL;
	r->period_ms = period_ms > 0 ? period_ms : 500;
	r->posts_tail = &r->posts;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	lv_eventlog_init(&r->log, LOG_CAP);
	if (pthread_create(&r->poller, NULL, poller, r) != 0) {
		lv_fail(why, LV_EIO, "cannot start a thread for %s", url);
		lv_remote_free(r);
		return NULL;
	}
	if (pthread_create(&r->streamer, NULL, streamer, r) != 0) {
		atomic_store(&r->stop, 1);
		pthread_join(r->poller, NULL);
		lv_fail(why, LV_EIO, "cannot start a thread for %s", url);
		lv_remote_free(r);
		return NULL;
	}
	r->started = 1;
	return r;
}

void lv_remote_free(struct lv_remote *r)
{
	if (!r)
		return;
	if (r->started) {
		pthread_mutex_lock(&r->mu);
		atomic_store(&r->stop, 1);
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
		pthread_join(r->poller, NULL);
		pthread_join(r->streamer, NULL);
	}
	while (r->posts) {
		struct post *p = r->posts;
		r->posts = p->next;
		free(p->method);
		free(p->path);
		free(p->body);
		free(p->what);
		free(p);
	}
	lv_snapshot_free(r->fresh);
	lv_eventlog_fini(&r->log);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r->url);
	free(r->token);
	free(r);
}

const char *lv_remote_url(const struct lv_remote *r)
{
	return r->url;
}

struct lv_snapshot *lv_remote_take(struct lv_remote *r)
{
	pthread_mutex_lock(&r->mu);
	struct lv_snapshot *s = r->fresh;
	r->fresh = NULL;
	pthread_mutex_unlock(&r->mu);
	return s;
}

struct lv_eventlog *lv_remote_log(struct lv_remote *r)
{
	return &r->log;
}

int lv_remote_up(struct lv_remote *r, char *buf, size_t len)
{
	pthread_mutex_lock(&r->mu);
	int up = r->up;
	if (buf && len)
		snprintf(buf, len, "%s", r->why);
	pthread_mutex_unlock(&r->mu);
	return up;
}

void lv_remote_post(struct lv_remote *r, const char *path, const char *body, const char *what)
{
	lv_remote_request(r, "POST", path, body, what);
}

int lv_remote_experiment(struct lv_remote *r, struct lv_remote_exp *out)
{
	pthread_mutex_lock(&r->mu);
	int got = r->has_exp;
	if (got)
		*out = r->exp;
	pthread_mutex_unlock(&r->mu);
	return got;
}

void lv_remote_request(struct lv_remote *r, const char *method, const char *path, const char *body,
                       const char *what)
{
	struct post *p = lv_xcalloc(1, sizeof(*p));
	p->method = lv_xstrdup(method);
	p->path = lv_xstrdup(path);
	p->body = body ? lv_xstrdup(body) : NULL;
	p->what = lv_xstrdup(what);
	pthread_mutex_lock(&r->mu);
	*r->posts_tail = p;
	r->posts_tail = &p->next;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

int lv_remote_answer(struct lv_remote *r, char *buf, size_t len, int *error)
{
	pthread_mutex_lock(&r->mu);
	int got = r->n_answers > 0;
	if (got) {
		snprintf(buf, len, "%s", r->answers[0].msg);
		*error = r->answers[0].error;
		memmove(r->answers, r->answers + 1, (r->n_answers - 1) * sizeof(r->answers[0]));
		r->n_answers--;
	}
	pthread_mutex_unlock(&r->mu);
	return got;
}
