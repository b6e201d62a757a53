/*
 * frontend_control: the control API beside /status and /metrics — what the
 * console can do to a running controller, over HTTP:
 *
 *   GET  /control                        the endpoints (JSON)
 *   POST /control/policy                 {"policy": "fixed_batch:N=16,max_wait=5"}
 *   POST /control/devices/NAME/pin       {"freq_hz": 1109250000}
 *   POST /control/devices/NAME/release   the clock back to the governor
 *   POST /control/devices/NAME/drain     no new batches; in-flight ones finish
 *   POST /control/devices/NAME/up        back in service
 *   POST /control/experiment             {"spec": "tiny"}: `loudva --batch` as a child
 *   GET  /control/experiment             its state (open, as /status, which carries it too)
 *   DELETE /control/experiment           stops it
 *   GET  /control/events                 server-sent events: the controller's event
 *                                        log (event: log), and with ?status=1 the
 *                                        /status document every second (event: status)
 *
 * Every change needs "Authorization: Bearer TOKEN", the token the operator
 * gave serve (--control-token-file, read as the agents read theirs); with
 * none configured, changes are refused (403). The event stream is open on
 * loopback and needs the token from anywhere else. Errors are JSON
 * ({"status": "error", "error": ...}) naming what was wrong: 400 a bad body or
 * value, 401 no or a wrong token, 403 no token configured, 404 no such device
 * or endpoint (or spec), 405 the wrong method, 409 the controller is stopping
 * (or an experiment runs / none runs), 413 a
 * body over 4 KiB, 501 a consumer without control (tests' stand-ins).
 *
 * A request's state lives in con_cls, tagged by its low bit (see
 * frontend_impl.h); answers go out once the request is complete, as
 * frontend.c's do, so the connection stays open for the next one. The event
 * stream is a libmicrohttpd callback response: the connection has its own
 * thread (MHD_USE_THREAD_PER_CONNECTION), so the callback waits for events
 * in 100 ms steps and ends when the front end closes.
 */
#include "frontend_impl.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "prom.h"
#include "base/clock.h"
#include "base/eventlog.h"
#include "base/util.h"
#include "model/cluster.h"

#define JSON_TYPE "application/json"
#define MAX_BODY  4096
#define PREFIX    "/control"
#define REALM     "Bearer realm=\"loudva\""

enum action { A_INDEX, A_POLICY, A_PIN, A_RELEASE, A_DRAIN, A_UP, A_EVENTS, A_EXPERIMENT, A_NONE };

struct ctl {
	enum action action;
	int read_only; /* a GET: needs no token from loopback */
	int stop;      /* A_EXPERIMENT: DELETE */
	char device[64];
	char *error;     /* a refusal decided on the first call, answered at the end */
	unsigned status; /* its HTTP status */
	const char *allow;
	char body[MAX_BODY + 1];
	size_t len;
	int too_large;
	int want_status; /* events: ?status=1 */
	uint64_t since;  /* events: Last-Event-ID or ?since= */
};

static void *tag(struct ctl *c)
{
	return (void *)((uintptr_t)c | 1u);
}

static struct ctl *untag(void *con_cls)
{
	return (struct ctl *)((uintptr_t)con_cls & ~(uintptr_t)1u);
}

int fe_is_control_url(const char *url)
{
	return !strncmp(url, PREFIX, strlen(PREFIX)) &&
	       (url[strlen(PREFIX)] == '\0' || url[strlen(PREFIX)] == '/');
}

void lv_frontend_set_control_token(struct lv_frontend *fe, const char *token)
{
	pthread_mutex_lock(&fe->mu);
	free(fe->control_token);
	fe->control_token = token && *token ? lv_xstrdup(token) : NULL;
	pthread_mutex_unlock(&fe->mu);
}

void lv_frontend_set_experiments(struct lv_frontend *fe, const struct lv_frontend_exp_ops *ops,
                                 void *arg)
{
	pthread_mutex_lock(&fe->mu);
	fe->exp_ops = ops;
	fe->exp_arg = arg;
	pthread_mutex_unlock(&fe->mu);
}

/* The experiment's state (caller frees), or NULL when nobody runs experiments. */
static char *exp_state(struct lv_frontend *fe)
{
	pthread_mutex_lock(&fe->mu);
	const struct lv_frontend_exp_ops *ops = fe->exp_ops;
	void *arg = fe->exp_arg;
	pthread_mutex_unlock(&fe->mu);
	return ops ? ops->state_json(arg) : NULL;
}

char *fe_status_doc(struct lv_frontend *fe, const struct lv_snapshot *s, size_t *len)
{
	struct lv_frontend_stats st;
	lv_frontend_stats(fe, &st);
	char *txt = lv_prom_status_json(s, &st, len);
	char *exp = exp_state(fe);
	/* Spliced in before the document's closing brace: the rest stays as it is. */
	char *end = strrchr(txt, '}');
	if (end) {
		char *doc = lv_xasprintf("%.*s,\"experiment\":%s%s", (int)(end - txt), txt,
		                         exp ? exp : "null", end);
		free(txt);
		txt = doc;
		*len = strlen(txt);
	}
	free(exp);
	return txt;
}

void fe_control_free(void *con_cls)
{
	struct ctl *c = untag(con_cls);
	if (!c)
		return;
	free(c->error);
	free(c);
}

/* The action URL names; A_NONE with c->error set when it names none. */
static void parse_url(struct ctl *c, const char *url, const char *method)
{
	const char *rest = url + strlen(PREFIX);
	int post = !strcmp(method, "POST");
	int get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	c->action = A_NONE;
	if (!*rest || !strcmp(rest, "/")) {
		c->action = A_INDEX;
		c->allow = "GET, HEAD";
	} else if (!strcmp(rest, "/policy")) {
		c->action = A_POLICY;
		c->allow = "POST";
	} else if (!strcmp(rest, "/experiment")) {
		c->action = A_EXPERIMENT;
		c->allow = "GET, HEAD, POST, DELETE";
	} else if (!strcmp(rest, "/events")) {
		c->action = A_EVENTS;
		c->allow = "GET";
	} else if (!strncmp(rest, "/devices/", 9)) {
		const char *name = rest + 9, *slash = strchr(name, '/');
		static const struct {
			const char *verb;
			enum action a;
		} verbs[] = { { "pin", A_PIN },
			      { "release", A_RELEASE },
			      { "drain", A_DRAIN },
			      { "up", A_UP } };
		if (slash && slash > name && (size_t)(slash - name) < sizeof(c->device))
			for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
				if (!strcmp(slash + 1, verbs[i].verb)) {
					c->action = verbs[i].a;
					snprintf(c->device, sizeof(c->device), "%.*s",
					         (int)(slash - name), name);
				}
		c->allow = "POST";
	}
	if (c->action == A_NONE) {
		c->status = MHD_HTTP_NOT_FOUND;
		c->error = lv_xasprintf("no such control endpoint: %s (GET /control lists them; "
		                        "devices: /control/devices/NAME/pin|release|drain|up)",
		                        url);
		c->allow = NULL;
		return;
	}
	if (c->action == A_EXPERIMENT) {
		c->read_only = get;
		c->stop = !strcmp(method, "DELETE");
		if (!get && !post && !c->stop) {
			c->status = MHD_HTTP_METHOD_NOT_ALLOWED;
			c->error =
			    lv_xasprintf("%s wants GET, POST or DELETE, not %s", url, method);
		}
		return;
	}
	int is_get = c->action == A_INDEX || c->action == A_EVENTS;
	c->read_only = is_get;
	if ((is_get && !get) || (!is_get && !post)) {
		c->status = MHD_HTTP_METHOD_NOT_ALLOWED;
		c->error =
		    lv_xasprintf("%s wants %s, not %s", url, is_get ? "GET" : "POST", method);
	}
}

/* Constant-time comparison, so the time taken does not tell how much matched. */
static int same_token(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = (unsigned char)(la != lb);
	for (size_t i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
	return d == 0;
}

static int client_is_loopback(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr)
		return 0;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
	}
	return 0;
}

/* 0 when the request may go on; else the refusal (status and message) in c. */
static int check_token(struct lv_frontend *fe, struct MHD_Connection *conn, struct ctl *c)
{
	int change = !c->read_only;
	if (!change && (client_is_loopback(conn) || c->action == A_EXPERIMENT))
		return 0; /* GET /control/experiment: open, as /status (which carries it too) */
	pthread_mutex_lock(&fe->mu);
	char *want = fe->control_token ? lv_xstrdup(fe->control_token) : NULL;
	pthread_mutex_unlock(&fe->mu);
	const char *h =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	int rc = 0;
	if (!want) {
		c->status = MHD_HTTP_FORBIDDEN;
		c->error =
		    lv_xstrdup(change ? "the control API takes no changes: the controller was "
		                        "started without --control-token-file"
		                      : "the event stream is for loopback clients unless the "
		                        "controller has a --control-token-file");
		rc = -1;
	} else if (!h || strncmp(h, "Bearer ", 7) != 0) {
		c->status = MHD_HTTP_UNAUTHORIZED;
		c->error = lv_xstrdup("missing bearer token (Authorization: Bearer TOKEN)");
		rc = -1;
	} else if (!same_token(h + 7, want)) {
		c->status = MHD_HTTP_UNAUTHORIZED;
		c->error = lv_xstrdup("wrong bearer token");
		rc = -1;
	}
	free(want);
	return rc;
}

/* ?status=1 and Last-Event-ID or ?since=N for the event stream. */
static void events_args(struct MHD_Connection *conn, struct ctl *c)
{
	const char *s = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "status");
	c->want_status = s && (!strcmp(s, "1") || !strcmp(s, "true") || !strcmp(s, "yes"));
	const char *id = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Last-Event-ID");
	if (!id)
		id = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "since");
	unsigned long long v = 0;
	if (id && lv_parse_u64(id, &v) != 0) {
		c->status = MHD_HTTP_BAD_REQUEST;
		c->error = lv_xasprintf("since / Last-Event-ID: '%s' is not an event number", id);
	}
	c->since = v;
}

enum MHD_Result fe_control_begin(struct lv_frontend *fe, struct MHD_Connection *conn,
                                 const char *url, const char *method, void **con_cls)
{
	struct ctl *c = lv_xcalloc(1, sizeof(*c));
	parse_url(c, url, method);
	if (!c->error)
		check_token(fe, conn, c);
	if (!c->error && c->action == A_EVENTS)
		events_args(conn, c);
	*con_cls = tag(c);
	return MHD_YES;
}

/* The body's JSON object, or NULL with the refusal in c. */
static cJSON *body_json(struct ctl *c)
{
	cJSON *o = c->len ? cJSON_ParseWithLength(c->body, c->len) : cJSON_CreateObject();
	if (!o || !cJSON_IsObject(o)) {
		c->status = MHD_HTTP_BAD_REQUEST;
		c->error = lv_xstrdup("the body is not a JSON object");
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static unsigned status_of(int rc)
{
	switch (rc) {
	case LV_ENOENT: return MHD_HTTP_NOT_FOUND;
	case LV_ESTATE: return MHD_HTTP_CONFLICT;
	default: return MHD_HTTP_BAD_REQUEST;
	}
}

static enum MHD_Result answer_ok(struct lv_frontend *fe, struct MHD_Connection *conn,
                                 const char *action, const char *device, const char *what,
                                 const char *value)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "status", "ok");
	cJSON_AddStringToObject(o, "action", action);
	if (device)
		cJSON_AddStringToObject(o, "device", device);
	if (what && value)
		cJSON_AddStringToObject(o, what, value);
	char *txt = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return fe_respond(fe, conn, MHD_HTTP_OK, JSON_TYPE, txt, strlen(txt));
}

/* The body's "freq_hz": a whole number of Hz > 0; 0 with the refusal in c. */
static uint64_t body_freq(struct ctl *c, const cJSON *o)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "freq_hz");
	double v = cJSON_IsNumber(f) ? f->valuedouble : NAN;
	if (!(v >= 1 && v <= 1e12 && floor(v) == v)) {
		c->status = MHD_HTTP_BAD_REQUEST;
		c->error = lv_xstrdup("freq_hz: want a whole number of Hz > 0 (one of the device's "
		                      "clocks, as /status lists them)");
		return 0;
	}
	return (uint64_t)v;
}

/* GET, POST and DELETE /control/experiment. */
static enum MHD_Result experiment(struct lv_frontend *fe, struct MHD_Connection *conn,
                                  struct ctl *c)
{
	pthread_mutex_lock(&fe->mu);
	const struct lv_frontend_exp_ops *ops = fe->exp_ops;
	void *arg = fe->exp_arg;
	pthread_mutex_unlock(&fe->mu);
	if (!ops)
		return fe_respond_error(fe, conn, MHD_HTTP_NOT_IMPLEMENTED,
		                        "this controller runs no experiments");
	char *why = NULL;
	int rc = 0;
	if (c->stop) {
		rc = ops->stop(arg, &why);
	} else if (!c->read_only) {
		cJSON *o = body_json(c);
		if (!o)
			return fe_respond_error(fe, conn, c->status, c->error);
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "spec");
		if (!cJSON_IsString(p) || !p->valuestring[0]) {
			cJSON_Delete(o);
			return fe_respond_error(fe, conn, MHD_HTTP_BAD_REQUEST,
			                        "spec: want an experiment spec's name (one of the "
			                        "data path's experiments/) or a path, e.g. "
			                        "{\"spec\": \"tiny\"}");
		}
		rc = ops->start(arg, p->valuestring, &why);
		cJSON_Delete(o);
	}
	if (rc != 0) { /* LV_EIO: the child could not start (the results directory, fork) */
		unsigned code = rc == LV_EIO ? MHD_HTTP_INTERNAL_SERVER_ERROR : status_of(rc);
		enum MHD_Result r = fe_respond_error(fe, conn, code, why ? why : "refused");
		free(why);
		return r;
	}
	char *txt = ops->state_json(arg);
	return fe_respond(fe, conn, MHD_HTTP_OK, JSON_TYPE, txt, strlen(txt));
}

/* Carries out a change; answers it. */
static enum MHD_Result act(struct lv_frontend *fe, struct MHD_Connection *conn, struct ctl *c)
{
	const struct lv_frontend_ops *ops = fe->ops;
	char *why = NULL;
	int rc = 0;
	cJSON *o = body_json(c);
	if (!o)
		return fe_respond_error(fe, conn, c->status, c->error);
	if (c->action == A_POLICY) {
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "policy");
		if (!cJSON_IsString(p) || !p->valuestring[0]) {
			cJSON_Delete(o);
			return fe_respond_error(fe, conn, MHD_HTTP_BAD_REQUEST,
			                        "policy: want a policy name with its parameters, "
			                        "e.g. {\"policy\": \"fixed_batch:N=16\"}");
		}
		char *spec = lv_xstrdup(p->valuestring);
		cJSON_Delete(o);
		rc = ops->set_policy(fe->arg, spec, &why);
		enum MHD_Result r =
		    rc == 0 ? answer_ok(fe, conn, "policy", NULL, "policy", spec)
		            : fe_respond_error(fe, conn, status_of(rc), why ? why : "refused");
		free(spec);
		free(why);
		return r;
	}
	uint64_t hz = 0;
	if (c->action == A_PIN && !(hz = body_freq(c, o))) {
		cJSON_Delete(o);
		return fe_respond_error(fe, conn, c->status, c->error);
	}
	cJSON_Delete(o);
	const char *name = c->action == A_PIN       ? "pin"
	                   : c->action == A_RELEASE ? "release"
	                   : c->action == A_DRAIN   ? "drain"
	                                            : "up";
	if (c->action == A_PIN || c->action == A_RELEASE)
		rc = ops->pin_clock(fe->arg, c->device, hz, &why);
	else
		rc = ops->set_state(fe->arg, c->device,
		                    c->action == A_DRAIN ? LV_DEV_DRAINING : LV_DEV_UP, &why);
	char hzs[32];
	snprintf(hzs, sizeof hzs, "%llu", (unsigned long long)hz);
	enum MHD_Result r = rc == 0
	                        ? answer_ok(fe, conn, name, c->device, hz ? "freq_hz" : NULL, hzs)
	                        : fe_respond_error(fe, conn, status_of(rc), why ? why : "refused");
	free(why);
	return r;
}

static enum MHD_Result index_doc(struct lv_frontend *fe, struct MHD_Connection *conn)
{
	static const char doc[] =
	    "{\"endpoints\": ["
	    "{\"method\": \"POST\", \"path\": \"/control/policy\", \"body\": {\"policy\": "
	    "\"NAME[:k=v,...]\"}},"
	    "{\"method\": \"POST\", \"path\": \"/control/devices/NAME/pin\", \"body\": "
	    "{\"freq_hz\": 0}},"
	    "{\"method\": \"POST\", \"path\": \"/control/devices/NAME/release\"},"
	    "{\"method\": \"POST\", \"path\": \"/control/devices/NAME/drain\"},"
	    "{\"method\": \"POST\", \"path\": \"/control/devices/NAME/up\"},"
	    "{\"method\": \"POST\", \"path\": \"/control/experiment\", \"body\": {\"spec\": "
	    "\"NAME or PATH\"}},"
	    "{\"method\": \"GET\", \"path\": \"/control/experiment\"},"
	    "{\"method\": \"DELETE\", \"path\": \"/control/experiment\"},"
	    "{\"method\": \"GET\", \"path\": \"/control/events\", \"query\": "
	    "{\"status\": \"1: the /status document every second\", \"since\": "
	    "\"events after this id (or Last-Event-ID)\"}}],"
	    " \"auth\": \"changes need Authorization: Bearer TOKEN (--control-token-file)\"}\n";
	return fe_respond(fe, conn, MHD_HTTP_OK, JSON_TYPE, lv_xstrdup(doc), strlen(doc));
}

/* ---- the event stream ------------------------------------------------ */

struct sse {
	struct lv_frontend *fe;
	uint64_t seq; /* the last event sent */
	int want_status;
	double next_status_s, next_ping_s;
	struct lv_buf out; /* bytes not yet handed to libmicrohttpd */
	size_t out_at;
};

static void sse_free(void *cls)
{
	struct sse *s = cls;
	lv_buf_fini(&s->out);
	free(s);
}

/* One "event: log" per entry: id, then the entry as JSON on one data line. */
static void sse_log(struct sse *s, const struct lv_log_entry *e)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "seq", (double)e->seq);
	cJSON_AddNumberToObject(o, "time_s", e->time_s);
	cJSON_AddStringToObject(o, "level", lv_log_level_name(e->level));
	cJSON_AddStringToObject(o, "source", e->source);
	cJSON_AddStringToObject(o, "text", e->text);
	char *txt = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	lv_buf_printf(&s->out, "id: %llu\nevent: log\ndata: %s\n\n", (unsigned long long)e->seq,
	              txt);
	free(txt);
}

static void sse_status(struct sse *s)
{
	const struct lv_snapshot *snap = s->fe->ops->snapshot_get(s->fe->arg);
	if (!snap)
		return;
	size_t len;
	char *txt = fe_status_doc(s->fe, snap, &len);
	s->fe->ops->snapshot_put(s->fe->arg, snap);
	/* data lines may not hold a newline: the document goes on one line */
	cJSON *o = cJSON_ParseWithLength(txt, len);
	free(txt);
	txt = o ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	if (txt)
		lv_buf_printf(&s->out, "event: status\ndata: %s\n\n", txt);
	free(txt);
}

/* Fills s->out with what is due; waits up to 100 ms when nothing is. */
static void sse_fill(struct sse *s)
{
	struct lv_eventlog *log = s->fe->ops->event_log(s->fe->arg);
	struct lv_log_entry ev[16];
	size_t n = lv_eventlog_read(log, s->seq, ev, 16);
	for (size_t i = 0; i < n; i++)
		sse_log(s, &ev[i]);
	if (n)
		s->seq = ev[n - 1].seq;
	double now = lv_mono_s();
	if (s->want_status && now >= s->next_status_s) {
		sse_status(s);
		s->next_status_s = now + 1.0;
	}
	if (s->out.len == 0 && now >= s->next_ping_s) {
		lv_buf_printf(&s->out, ": keep-alive\n\n");
		s->next_ping_s = now + 5.0;
	}
	if (s->out.len == 0) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sse *s = cls;
	(void)pos;
	while (s->out_at >= s->out.len) {
		lv_buf_fini(&s->out);
		s->out_at = 0;
		if (atomic_load(&s->fe->closing))
			return MHD_CONTENT_READER_END_OF_STREAM;
		sse_fill(s);
	}
	size_t n = s->out.len - s->out_at;
	if (n > max)
		n = max;
	memcpy(buf, s->out.p + s->out_at, n);
	s->out_at += n;
	return (ssize_t)n;
}

static enum MHD_Result events(struct lv_frontend *fe, struct MHD_Connection *conn,
                              const struct ctl *c)
{
	struct sse *s = lv_xcalloc(1, sizeof(*s));
	s->fe = fe;
	s->seq = c->since;
	s->want_status = c->want_status;
	lv_buf_printf(&s->out, "retry: 1000\n\n");
	struct MHD_Response *res =
	    MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_read, s, sse_free);
	if (!res) {
		sse_free(s);
		return MHD_NO;
	}
	MHD_add_response_header(res, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(res, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	enum MHD_Result r = MHD_queue_response(conn, MHD_HTTP_OK, res);
	MHD_destroy_response(res);
	fe_count_status(fe, MHD_HTTP_OK);
	return r;
}

enum MHD_Result fe_control_continue(struct lv_frontend *fe, struct MHD_Connection *conn,
                                    void *con_cls, const char *data, size_t *size)
{
	struct ctl *c = untag(con_cls);
	if (*size) { /* the body, kept up to MAX_BODY; more is refused at the end */
		size_t room = MAX_BODY - c->len;
		if (*size > room || c->too_large)
			c->too_large = 1;
		else
			memcpy(c->body + c->len, data, *size);
		if (!c->too_large)
			c->len += *size;
		*size = 0;
		return MHD_YES;
	}
	fe_guard_busy(fe, conn);
	if (c->error)
		return fe_respond_error_header(fe, conn, c->status, c->error,
		                               c->status == MHD_HTTP_UNAUTHORIZED
		                                   ? MHD_HTTP_HEADER_WWW_AUTHENTICATE
		                                   : MHD_HTTP_HEADER_ALLOW,
		                               c->status == MHD_HTTP_UNAUTHORIZED         ? REALM
		                               : c->status == MHD_HTTP_METHOD_NOT_ALLOWED ? c->allow
		                                                                          : NULL);
	if (c->too_large)
		return fe_respond_error(fe, conn, MHD_HTTP_CONTENT_TOO_LARGE,
		                        "control request bodies are at most 4096 bytes");
	if (c->action == A_INDEX)
		return index_doc(fe, conn);
	if (c->action == A_EXPERIMENT)
		return experiment(fe, conn, c);
	const struct lv_frontend_ops *ops = fe->ops;
	if (!ops->set_policy || !ops->pin_clock || !ops->set_state || !ops->event_log)
		return fe_respond_error(fe, conn, MHD_HTTP_NOT_IMPLEMENTED,
		                        "this front end's consumer takes no control");
	if (c->action == A_EVENTS)
		return events(fe, conn, c);
	return act(fe, conn, c);
}
