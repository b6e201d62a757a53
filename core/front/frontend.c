/*
 * frontend: the libmicrohttpd daemon — listen address, limits, routing, the
 * GET endpoints and the response helpers. POST /inference lives in
 * frontend_upload.c. Contracts are in frontend.h.
 *
 * Every MHD_* result and message stays in this file pair: start-up failures
 * become a `why` naming the address, and libmicrohttpd's own log lines go to
 * fe->log (core/ never prints), from where they reach the caller's message.
 *
 * Routing is a table (routes[]): path, method, handler. A GET handler answers
 * once its request is complete; /inference and refusals (404, 405) keep
 * per-request state in con_cls until the body is complete, and
 * request_completed frees it however the request ended (answered, client
 * gone, daemon stopping). Answering only at the end of a request keeps the
 * connection for the requests behind it.
 *
 * Admission (frontend_conn.c) is told where every request is: its headers
 * complete (the first call), its body complete (the last), its end
 * (request_completed). The /inference body is counted against the byte
 * budget here, before frontend_upload.c sees any of it: from Content-Length
 * on the first call, else chunk by chunk; a body that does not fit is
 * answered 503 with Retry-After (a chunked one once it has ended, its bytes
 * dropped unread, its body deadline bounding how long that takes).
 */
#include "frontend.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frontend_impl.h"
#include "prom.h"
#include "base/procstat.h"
#include "base/util.h"
#include "base/version.h"
#include "model/budget.h"

#define JSON_TYPE "application/json"
#define TEXT_TYPE "text/plain; charset=utf-8"

void lv_frontend_limits_default(struct lv_frontend_limits *lim)
{
	lim->max_images = 64;
	lim->max_image_bytes = 10u * 1024 * 1024;
	lim->max_body_bytes = 100u * 1024 * 1024;
	lim->max_connections = 512;
	lim->timeout_s = 15;
	lim->max_connections_per_client = 256;
	lim->header_timeout_s = 10;
	lim->body_timeout_s = 60;
	lim->max_buffered_bytes = (size_t)256 << 20;
	lim->max_request_pixels = 64u * 1000u * 1000u;
	lim->max_decoders = 0;
	lim->max_budget_s = LV_BUDGET_DEFAULT_MAX_S;
	lim->wires = 1u << LV_WIRE_FP32;
}

static enum MHD_Result get_healthz(struct lv_frontend *fe, struct MHD_Connection *conn)
{
	return fe_respond(fe, conn, MHD_HTTP_OK, TEXT_TYPE, lv_xstrdup("ok\n"), 3);
}

static enum MHD_Result get_root(struct lv_frontend *fe, struct MHD_Connection *conn)
{
	char *txt = lv_xstrdup("LoudVA controller: POST /inference (multipart: images, latency), "
	                       "GET /status, GET /metrics, GET /healthz, /control (GET: its "
	                       "endpoints)\n");
	return fe_respond(fe, conn, MHD_HTTP_OK, TEXT_TYPE, txt, strlen(txt));
}

static enum MHD_Result get_status(struct lv_frontend *fe, struct MHD_Connection *conn)
{
	const struct lv_snapshot *s = fe->ops->snapshot_get(fe->arg);
	if (!s)
		return fe_respond_error(fe, conn, MHD_HTTP_SERVICE_UNAVAILABLE,
		                        "no snapshot yet: the controller is starting");
	size_t len;
	char *txt = fe_status_doc(fe, s, &len);
	fe->ops->snapshot_put(fe->arg, s);
	return fe_respond(fe, conn, MHD_HTTP_OK, JSON_TYPE, txt, len);
}

static enum MHD_Result get_metrics(struct lv_frontend *fe, struct MHD_Connection *conn)
{
	struct lv_frontend_stats st;
	const struct lv_snapshot *s = fe->ops->snapshot_get(fe->arg);
	size_t len;

	lv_frontend_stats(fe, &st);
	char *txt = lv_prom_render(s, &st, &len);
	if (s)
		fe->ops->snapshot_put(fe->arg, s);
	struct lv_proc_stats ps;
	size_t plen;
	lv_proc_stats_read(&ps);
	char *proc = lv_prom_render_process(&ps, LV_VERSION, &plen);
	struct lv_buf b = { .p = txt, .len = len, .cap = len + 1 };
	lv_buf_append(&b, proc, plen);
	free(proc);
	txt = lv_buf_take(&b, &len);
	return fe_respond(fe, conn, MHD_HTTP_OK, LV_PROM_CONTENT_TYPE, txt, len);
}

struct route {
	const char *path;
	const char *method; /* "GET" (HEAD too) or "POST" */
	enum MHD_Result (*get)(struct lv_frontend *fe, struct MHD_Connection *conn);
};

/* clang-format off */
static const struct route routes[] = {
	{ "/inference", "POST", NULL },
	{ "/status", "GET", get_status },
	{ "/metrics", "GET", get_metrics },
	{ "/healthz", "GET", get_healthz },
	{ "/", "GET", get_root },
};
/* clang-format on */

/* con_cls holds either a route (a GET waiting for the end of its request) or an upload (or
 * refusal). */
static const struct route *as_route(void *con_cls)
{
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (con_cls == (const void *)&routes[i])
			return &routes[i];
	return NULL;
}

static enum MHD_Result refuse_route(struct lv_frontend *fe, struct MHD_Connection *conn,
                                    unsigned status, char *why)
{
	enum MHD_Result r = fe_respond_error(fe, conn, status, why);
	free(why);
	return r;
}

#define RETRY_AFTER_S "1" /* held bytes are given back as requests are decoded */

static enum MHD_Result refuse_busy(struct lv_frontend *fe, struct MHD_Connection *conn)
{
	char *why = lv_xasprintf("the controller holds max_buffered_bytes (%zu bytes) of requests "
	                         "already: retry later",
	                         fe->lim.max_buffered_bytes);
	fe_refused(fe, LV_FE_REFUSE_BUSY, 0, why);
	enum MHD_Result r = fe_respond_error_header(fe, conn, MHD_HTTP_SERVICE_UNAVAILABLE, why,
	                                            MHD_HTTP_HEADER_RETRY_AFTER, RETRY_AFTER_S);
	free(why);
	return r;
}

/* fe_upload_refuse with why taken; its state goes to con_cls. */
static enum MHD_Result refuse_later(struct lv_frontend *fe, struct MHD_Connection *conn,
                                    unsigned status, char *why, const char *allow, void **con_cls)
{
	enum MHD_Result r = fe_upload_refuse(fe, conn, status, LV_FE_REFUSE_COUNT, why, allow,
	                                     (struct fe_upload **)con_cls);
	free(why);
	return r;
}

/* The first call of POST /inference: its body counted against the budget, then the upload. */
static enum MHD_Result begin_upload(struct lv_frontend *fe, struct MHD_Connection *conn,
                                    void **con_cls)
{
	const char *cl =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long len;

	/* A body over max_body_bytes is frontend_upload.c's to refuse (413). */
	if (!cl)
		fe_guard_meter(fe, conn);
	else if (lv_parse_u64(cl, &len) == 0 && len <= fe->lim.max_body_bytes &&
	         fe_guard_reserve(fe, conn, (size_t)len) < 0)
		return refuse_busy(fe, conn);
	return fe_upload_begin(fe, conn, (struct fe_upload **)con_cls);
}

/* A chunk of a body: handed on, or dropped once the budget refused the request. */
static enum MHD_Result upload_chunk(struct lv_frontend *fe, struct MHD_Connection *conn,
                                    struct fe_upload *up, const char *data, size_t *size)
{
	if (fe_guard_chunk(fe, conn, *size) < 0) {
		*size = 0;
		return MHD_YES;
	}
	return fe_upload_data(up, data, size);
}

static enum MHD_Result route(void *cls, struct MHD_Connection *conn, const char *url,
                             const char *method, const char *version, const char *upload_data,
                             size_t *upload_data_size, void **con_cls)
{
	struct lv_frontend *fe = cls;
	const struct route *rt = NULL;
	(void)version;

	if (*con_cls) {
		if (fe_is_control(*con_cls))
			return fe_control_continue(fe, conn, *con_cls, upload_data,
			                           upload_data_size);
		if ((rt = as_route(*con_cls))) {
			if (*upload_data_size) { /* a body on a GET: ignored */
				*upload_data_size = 0;
				return MHD_YES;
			}
			fe_guard_busy(fe, conn);
			return rt->get(fe, conn);
		}
		struct fe_upload *up = *con_cls;
		if (*upload_data_size)
			return upload_chunk(fe, conn, up, upload_data, upload_data_size);
		fe_guard_busy(fe, conn);
		if (fe_guard_refused(conn))
			return refuse_busy(fe, conn);
		return fe_upload_finish(up, conn);
	}
	fe_guard_headers(fe, conn);
	/* A request whose end is ambiguous is refused at once, and libmicrohttpd
	 * closes the connection after it, since the rest is not read. */
	char *bad = fe_framing_error(conn);
	if (bad) {
		if (!strcmp(url, "/inference"))
			fe_refused(fe, LV_FE_REFUSE_MALFORMED, 0, bad);
		return refuse_route(fe, conn, MHD_HTTP_BAD_REQUEST, bad);
	}
	if (fe_is_control_url(url))
		return fe_control_begin(fe, conn, url, method, con_cls);
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
		if (!strcmp(url, routes[i].path))
			rt = &routes[i];
	/* Other refusals go out once the request is read: the connection stays. */
	if (!rt)
		return refuse_later(fe, conn, MHD_HTTP_NOT_FOUND,
		                    lv_xasprintf("no such endpoint: %s (try /inference, /status, "
		                                 "/metrics, /healthz, /control)",
		                                 url),
		                    NULL, con_cls);
	int is_get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	if (strcmp(rt->method, "GET") ? strcmp(method, rt->method) != 0 : !is_get)
		return refuse_later(
		    fe, conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    lv_xasprintf("%s wants %s, not %s", rt->path, rt->method, method),
		    rt->get ? "GET, HEAD" : "POST", con_cls);
	if (rt->get) {
		/* Answer once the request is complete: an answer queued earlier
		 * makes libmicrohttpd close the connection instead of keeping it. */
		*con_cls = (void *)rt;
		return MHD_YES;
	}
	return begin_upload(fe, conn, con_cls);
}

/*
 * Every request that keeps state in con_cls is pending from its first call
 * until libmicrohttpd reports it completed, which is after its answer was
 * sent (or its client went away): lv_frontend_drain waits for none.
 */
static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
	struct lv_frontend *fe = cls;
	int first = *con_cls == NULL;
	enum MHD_Result r =
	    route(cls, conn, url, method, version, upload_data, upload_data_size, con_cls);
	if (first && *con_cls) {
		pthread_mutex_lock(&fe->mu);
		fe->pending++;
		pthread_mutex_unlock(&fe->mu);
	}
	return r;
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
	struct lv_frontend *fe = cls;
	(void)toe;
	if (*con_cls) {
		pthread_mutex_lock(&fe->mu);
		assert(fe->pending > 0);
		if (--fe->pending == 0)
			pthread_cond_broadcast(&fe->idle);
		pthread_mutex_unlock(&fe->mu);
	}
	if (fe_is_control(*con_cls))
		fe_control_free(*con_cls);
	else if (!as_route(*con_cls))
		fe_upload_free(*con_cls);
	*con_cls = NULL;
	fe_guard_request_done(fe, conn);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct lv_frontend *fe = cls;
	pthread_mutex_lock(&fe->mu);
	vsnprintf(fe->log, sizeof fe->log, fmt, ap);
	size_t n = strlen(fe->log);
	while (n && (fe->log[n - 1] == '\n' || fe->log[n - 1] == ' '))
		fe->log[--n] = '\0';
	pthread_mutex_unlock(&fe->mu);
}

/* "HOST:PORT", "[V6]:PORT", ":PORT" or "PORT" into a socket address. */
static int parse_listen(const char *addr, struct sockaddr_storage *ss, char **why)
{
	char host[256];
	const char *port_s;
	long port;
	struct addrinfo hints, *res = NULL;

	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');
		if (!close || close[1] != ':' || (size_t)(close - addr - 1) >= sizeof host)
			return lv_fail(why, LV_EINVAL, "listen address '%s': want [IPV6]:PORT",
			               addr);
		snprintf(host, sizeof host, "%.*s", (int)(close - addr - 1), addr + 1);
		port_s = close + 2;
	} else {
		const char *colon = strrchr(addr, ':');
		size_t hl = colon ? (size_t)(colon - addr) : 0;
		if (hl >= sizeof host)
			return lv_fail(why, LV_EINVAL, "listen address '%s': host too long", addr);
		snprintf(host, sizeof host, "%.*s", (int)hl, addr);
		port_s = colon ? colon + 1 : addr;
	}
	if (lv_parse_long(port_s, &port) < 0 || port < 0 || port > 65535)
		return lv_fail(why, LV_EINVAL, "listen address '%s': port '%s' is not 0..65535",
		               addr, port_s);
	if (!host[0])
		strcpy(host, "127.0.0.1"); /* loopback unless told otherwise */
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	int rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0)
		return lv_fail(why, LV_EINVAL, "listen address '%s': %s", addr, gai_strerror(rc));
	memset(ss, 0, sizeof *ss);
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	freeaddrinfo(res);
	return 0;
}

/* Limits that would make the front end refuse everything, or nothing, are errors. */
static int check_limits(const struct lv_frontend_limits *l, char **why)
{
	if (l->max_connections < 1 || l->max_connections_per_client < 1)
		return lv_fail(why, LV_EINVAL,
		               "front end: max_connections (%u) and max_connections_per_client "
		               "(%u) must be at least 1",
		               l->max_connections, l->max_connections_per_client);
	if (!(l->header_timeout_s > 0) || !isfinite(l->header_timeout_s) ||
	    !(l->body_timeout_s > 0) || !isfinite(l->body_timeout_s))
		return lv_fail(why, LV_EINVAL,
		               "front end: header_timeout_s (%g) and body_timeout_s (%g) must be "
		               "positive numbers of seconds",
		               l->header_timeout_s, l->body_timeout_s);
	if (l->max_buffered_bytes < 1 || l->max_request_pixels < 1)
		return lv_fail(why, LV_EINVAL,
		               "front end: max_buffered_bytes and max_request_pixels must be "
		               "at least 1");
	return 0;
}

/* Connections accepted past max_connections, so that eviction has room to work. */
static unsigned reserve_of(unsigned max_connections)
{
	return max_connections / 8 + 4;
}

struct lv_frontend *lv_frontend_new(const struct lv_frontend_ops *ops, void *arg,
                                    const struct lv_model_info *model, const char *listen_addr,
                                    const struct lv_frontend_limits *lim, char **why)
{
	struct sockaddr_storage ss;
	struct lv_frontend *fe = NULL;

	assert(ops && ops->request_new && ops->submit && ops->request_wait && ops->request_free &&
	       ops->snapshot_get && ops->snapshot_put);
	if (!listen_addr)
		listen_addr = LV_FRONTEND_DEFAULT_LISTEN;
	if (parse_listen(listen_addr, &ss, why) < 0)
		return NULL;
	if (model->channels != 3 || model->width <= 0 || model->height <= 0) {
		lv_fail(why, LV_EINVAL, "model %s: input %d×%d×%d is not supported (need H×W×3)",
		        model->name, model->height, model->width, model->channels);
		return NULL;
	}
	fe = lv_xcalloc(1, sizeof *fe);
	fe->ops = ops;
	fe->arg = arg;
	fe->model = *model;
	if (lim)
		fe->lim = *lim;
	else
		lv_frontend_limits_default(&fe->lim);
	if (check_limits(&fe->lim, why) < 0 || !(fe->guard = fe_guard_new(&fe->lim, why))) {
		free(fe);
		return NULL;
	}
	if (fe->lim.max_decoders == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		fe->lim.max_decoders = n > 0 ? (unsigned)n : 1;
	}
	pthread_mutex_init(&fe->mu, NULL);
	pthread_cond_init(&fe->idle, NULL);
	fe->dec = fe_decode_new(&fe->model, fe->lim.max_decoders);
	atomic_init(&fe->closing, 0);

	unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD |
	                 MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	fe->mhd = MHD_start_daemon(
	    flags, 0, NULL, NULL, handle, fe, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)(fe->lim.max_connections + reserve_of(fe->lim.max_connections)),
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)fe->lim.max_connections_per_client,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)fe->lim.timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024), MHD_OPTION_NOTIFY_COMPLETED,
	    request_completed, fe, MHD_OPTION_NOTIFY_CONNECTION, fe_guard_notify, fe,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, fe, MHD_OPTION_END);
	if (!fe->mhd) {
		int err = errno;
		lv_fail(why, LV_EIO, "cannot listen on %s: %s", listen_addr,
		        fe->log[0] ? fe->log : strerror(err));
		pthread_mutex_destroy(&fe->mu);
		fe_decode_free(fe->dec);
		fe_guard_free(fe->guard);
		free(fe);
		return NULL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(fe->mhd, MHD_DAEMON_INFO_BIND_PORT);
	fe->port = info ? info->port : 0;
	return fe;
}

uint16_t lv_frontend_port(const struct lv_frontend *fe)
{
	return fe->port;
}

unsigned lv_frontend_drain(struct lv_frontend *fe, double timeout_s)
{
	if (!fe)
		return 0;
	atomic_store(&fe->closing, 1);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until); /* pthread_cond_timedwait's clock */
	double whole = floor(timeout_s);
	until.tv_sec += (time_t)whole;
	until.tv_nsec += (long)((timeout_s - whole) * 1e9);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&fe->mu);
	while (fe->pending > 0 && pthread_cond_timedwait(&fe->idle, &fe->mu, &until) == 0)
		;
	unsigned left = fe->pending;
	pthread_mutex_unlock(&fe->mu);
	return left;
}

void lv_frontend_stop(struct lv_frontend *fe)
{
	if (!fe)
		return;
	atomic_store(&fe->closing, 1);
	MHD_stop_daemon(fe->mhd);
	pthread_cond_destroy(&fe->idle);
	pthread_mutex_destroy(&fe->mu);
	fe_decode_free(fe->dec);
	fe_guard_free(fe->guard);
	free(fe->control_token);
	free(fe);
}
