/*
 * agent_http: loudva-agent's HTTP server on libmicrohttpd — the one place
 * that knows MHD. It owns the limits (body size → 413, connections beyond
 * --max-connections → 503 and closed, connections from one address beyond
 * --max-connections-per-client refused at accept, an idle-connection
 * timeout), TLS, the routing table, the bearer token, and turning a
 * handler's struct lv_response into an MHD response.
 *
 * Threads: one per connection (MHD_USE_THREAD_PER_CONNECTION), so a slow
 * client holds only its own thread and an infer request may block its
 * thread for the emulated batch latency without holding up anyone else.
 * Idle connections cost a thread each until the timeout, so one address
 * may hold only so many: 80 idle connections from one host once took every
 * slot and the controller's /healthz probe timed out on a healthy agent.
 * Bodies (agent_body.c): the worker API's are small JSON, kept whole; an
 * infer body keeps its JSON part and only counts the tensor bytes after it,
 * so memory per request does not grow with the batch. A body with a
 * Content-Encoding (gzip, deflate) goes through agent_inflate.c first.
 *
 * The token: requests that change state always need it; with token_all
 * (listening beyond loopback, or --require-token) everything but /healthz
 * does. A request answered before its body was read closes the connection
 * only when a body follows; one without (a GET) keeps it, so pipelined
 * requests behind a 401 or 404 are still answered in order.
 */
#include "agent.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"

enum {
	R_AUTH = 1u << 0,  /* changes state: bearer token required */
	R_OPEN = 1u << 4,  /* never needs the token (/healthz: liveness for anyone) */
	R_BODY = 1u << 1,  /* reads a (small) JSON body */
	R_INFER = 1u << 2, /* an infer body: up to --max-body, binary extension */
	R_EMU = 1u << 3,   /* exists when the backend emulates inference */
};

typedef void (*handler_fn)(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);

/*
 * A path pattern's wildcards take one non-empty segment into the request's
 * arg: '*' a model name (and an optional /versions/<v> after it), '%' a
 * name as it is (a shared memory region). Names of any length match; the
 * handler judges them.
 */
struct route {
	const char *method;
	const char *path;
	handler_fn fn;
	unsigned flags;
};

static const struct route routes[] = {
	{ "GET", "/healthz", lv_agent_healthz, R_OPEN },
	{ "GET", "/gpu/frequencies", lv_agent_frequencies, 0 },
	{ "GET", "/gpu/frequency", lv_agent_frequency_get, 0 },
	{ "PUT", "/gpu/frequency", lv_agent_frequency_put, R_AUTH | R_BODY },
	{ "DELETE", "/gpu/frequency", lv_agent_frequency_delete, R_AUTH },
	{ "GET", "/power/mode", lv_agent_power_get, 0 },
	{ "PUT", "/power/mode", lv_agent_power_put, R_AUTH | R_BODY },
	{ "GET", "/telemetry", lv_agent_telemetry, 0 },
	{ "GET", "/metrics", lv_agent_metrics, 0 },
	{ "GET", "/v2", lv_triton_server_meta, R_EMU },
	{ "GET", "/v2/health/live", lv_triton_live, R_EMU },
	{ "GET", "/v2/health/ready", lv_triton_ready, R_EMU },
	{ "GET", "/v2/models/stats", lv_triton_model_stats, R_EMU },
	{ "GET", "/v2/models/*", lv_triton_model_meta, R_EMU },
	{ "GET", "/v2/models/*/ready", lv_triton_model_ready, R_EMU },
	{ "GET", "/v2/models/*/config", lv_triton_model_config, R_EMU },
	{ "GET", "/v2/models/*/stats", lv_triton_model_stats, R_EMU },
	{ "POST", "/v2/models/*/infer", lv_triton_infer, R_EMU | R_INFER },
	{ "POST", "/v2/repository/index", lv_triton_repo_index, R_EMU | R_BODY },
	{ "GET", "/v2/systemsharedmemory/status", lv_shm_status, R_EMU },
	{ "GET", "/v2/systemsharedmemory/region/%/status", lv_shm_status, R_EMU },
	{ "POST", "/v2/systemsharedmemory/region/%/register", lv_shm_register, R_EMU | R_BODY },
	{ "POST", "/v2/systemsharedmemory/region/%/unregister", lv_shm_unregister, R_EMU },
	{ "POST", "/v2/systemsharedmemory/unregister", lv_shm_unregister, R_EMU },
	{ NULL, NULL, NULL, 0 },
};

/* Per-request state, from the first call of the access handler to completion. */
struct req_ctx {
	const struct route *route;
	int responded;   /* answered before the body was read */
	int has_pending; /* ... and the answer waits for the request's end (no body) */
	struct lv_response pending;
	struct lv_body body;        /* agent_body.c */
	struct lv_inflate *inflate; /* a compressed body (agent_inflate.c), or NULL */
	char *arg;                  /* the wildcard's segment ("" if none); NULL until routed */
	char *version; /* the model's version segment ("" if none); NULL until routed */
};

static char over_limit_marker; /* socket context of a connection beyond the limit */
/* The agent this thread is starting the server of: its messages go into mhd_error. */
static _Thread_local struct lv_agent *starting;

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	struct lv_agent *a = cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	if (starting == a) { /* MHD_start_daemon's own: kept for the error message */
		size_t n = strlen(a->mhd_error);
		snprintf(a->mhd_error + n, sizeof(a->mhd_error) - n, "%s%s", n ? "; " : "", msg);
	}
	lv_agent_log(a, "http: %s", msg);
}

/* ---- routing -------------------------------------------------------------------- */

/*
 * Matches path against pattern; a wildcard's segment is returned as
 * (*arg_at, *arg_len) into path (0, 0 when the pattern has none), and a
 * model's /versions/<v> as (*ver_at, *ver_len) (0, 0 when not given).
 */
struct match {
	size_t arg_at, arg_len, ver_at, ver_len;
};

static int path_match(const char *pat, const char *path, struct match *m)
{
	const char *p = path;
	*m = (struct match){ 0 };
	while (*pat) {
		if (*pat == '*' || *pat == '%') {
			size_t n = strcspn(p, "/");
			if (n == 0)
				return 0;
			m->arg_at = (size_t)(p - path);
			m->arg_len = n;
			p += n;
			if (*pat == '*' && !strncmp(p, "/versions/", 10) && p[10] && p[10] != '/') {
				m->ver_at = (size_t)(p + 10 - path);
				m->ver_len = strcspn(p + 10, "/");
				p += 10 + m->ver_len;
			}
			pat++;
			continue;
		}
		if (*pat++ != *p++)
			return 0;
	}
	return *p == '\0';
}

/* The route for (method, path); *path_known says whether any method matches. */
static const struct route *find_route(const char *method, const char *path, struct match *m,
                                      int *path_known)
{
	*path_known = 0;
	for (const struct route *r = routes; r->method; r++) {
		if (!path_match(r->path, path, m))
			continue;
		*path_known = 1;
		if (!strcmp(r->method, method))
			return r;
	}
	return NULL;
}

static void allowed_methods(const char *path, char *out, size_t size)
{
	struct match m;
	out[0] = '\0';
	for (const struct route *r = routes; r->method; r++)
		if (path_match(r->path, path, &m))
			snprintf(out + strlen(out), size - strlen(out), "%s%s", out[0] ? ", " : "",
			         r->method);
}

/* ---- responses ------------------------------------------------------------------- */

static enum MHD_Result send_response(struct lv_agent *a, struct MHD_Connection *c,
                                     const char *method, const char *path, struct lv_response *r,
                                     int close_after)
{
	if (!r->body)
		r->content_type = NULL;
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
	r->body = NULL;
	if (!resp)
		return MHD_NO;
	if (r->content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	if (r->header_len > 0) {
		char n[32];
		snprintf(n, sizeof(n), "%zu", r->header_len);
		MHD_add_response_header(resp, "Inference-Header-Content-Length", n);
	}
	if (r->status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		                        "Bearer realm=\"loudva-agent\"");
	if (r->status == MHD_HTTP_METHOD_NOT_ALLOWED) {
		char allow[64];
		allowed_methods(path, allow, sizeof(allow));
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	}
	if (close_after)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	if (r->status >= 500 || r->status == MHD_HTTP_UNAUTHORIZED)
		lv_agent_log(a, "%s %s -> %d", method, path, r->status);
	enum MHD_Result ok = MHD_queue_response(c, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ok;
}

/* Whether the request announces a body (Content-Length > 0, or a transfer encoding). */
static int has_body(struct MHD_Connection *c)
{
	const char *cl =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	unsigned long long n;
	return te || (cl && (lv_parse_u64(cl, &n) != 0 || n > 0));
}

/*
 * Answers before the body. A body that follows is not read, so the
 * connection cannot carry another request: the answer goes now, with
 * "Connection: close" (also with close_now, for a connection over the
 * limit). Without a body the answer waits for the request's end, as any
 * other does, and the connection lives on: pipelined GETs behind a 401 or a
 * 404 are answered in turn (libmicrohttpd closes a connection whose answer
 * was queued while it still expected the request's end).
 */
static enum MHD_Result send_early(struct lv_agent *a, struct MHD_Connection *c, struct req_ctx *x,
                                  const char *method, const char *path, struct lv_response *r,
                                  int close_now)
{
	x->responded = 1;
	if (close_now || has_body(c))
		return send_response(a, c, method, path, r, 1);
	x->pending = *r;
	x->has_pending = 1;
	return MHD_YES;
}

/* ---- the request lifecycle --------------------------------------------------------- */

static int parse_size(const char *s, size_t *out)
{
	unsigned long long v;
	if (!s || lv_parse_u64(s, &v) != 0)
		return LV_EINVAL;
	*out = (size_t)v;
	return 0;
}

/* The bearer token check. 0 or a 401 in *r. */
static int check_token(struct lv_agent *a, struct MHD_Connection *c, struct lv_response *r)
{
	if (!a->token) { /* token_all implies a token (agent_main.c) */
		lv_respond_error(r, MHD_HTTP_UNAUTHORIZED,
		                 "this agent has no token configured, so it refuses requests that "
		                 "change state (start it with --token-file FILE)");
		return -1;
	}
	const char *h =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h || strncmp(h, "Bearer ", 7) != 0) {
		lv_respond_error(r, MHD_HTTP_UNAUTHORIZED,
		                 "missing bearer token (Authorization: Bearer TOKEN)");
		return -1;
	}
	const char *t = h + 7;
	size_t n = strlen(a->token), m = strlen(t);
	unsigned char diff = (unsigned char)(n != m);
	for (size_t i = 0; i < n; i++) /* constant time in the token's length */
		diff |= (unsigned char)(a->token[i] ^ (i < m ? t[i] : 0));
	if (diff) {
		lv_respond_error(r, MHD_HTTP_UNAUTHORIZED, "wrong bearer token");
		return -1;
	}
	return 0;
}

/* First call: route, token, declared sizes. May answer at once. */
static enum MHD_Result begin(struct lv_agent *a, struct MHD_Connection *c, struct req_ctx *x,
                             const char *method, const char *path)
{
	struct lv_response r = { 0 };
	int known;
	struct match m;
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci && ci->socket_context == &over_limit_marker) {
		lv_respond_error(&r, MHD_HTTP_SERVICE_UNAVAILABLE,
		                 "too many connections (this agent serves at most %d at once)",
		                 a->opt.max_connections);
		return send_early(a, c, x, method, path, &r, 1);
	}
	x->route = find_route(method, path, &m, &known);
	if (x->route) {
		x->arg = lv_xmalloc(m.arg_len + 1);
		memcpy(x->arg, path + m.arg_at, m.arg_len);
		x->arg[m.arg_len] = '\0';
		x->version = lv_xmalloc(m.ver_len + 1);
		memcpy(x->version, path + m.ver_at, m.ver_len);
		x->version[m.ver_len] = '\0';
	} else {
		if (known)
			lv_respond_error(&r, MHD_HTTP_METHOD_NOT_ALLOWED,
			                 "%s %s: method not allowed", method, path);
		else
			lv_respond_error(&r, MHD_HTTP_NOT_FOUND, "%s: no such endpoint", path);
		return send_early(a, c, x, method, path, &r, 0);
	}
	unsigned fl = x->route->flags;
	if ((fl & R_EMU) && !lv_backend_has(a->backend, LV_BACKEND_CAP_INFER)) {
		lv_respond_error(&r, MHD_HTTP_NOT_FOUND,
		                 "%s: the KServe v2 endpoints exist only in emulation (on a real "
		                 "board, Triton serves them on its own port)",
		                 path);
		return send_early(a, c, x, method, path, &r, 0);
	}
	int needs_token = (fl & R_AUTH) || (a->token_all && !(fl & R_OPEN));
	if (needs_token && check_token(a, c, &r) != 0)
		return send_early(a, c, x, method, path, &r, 0);

	struct lv_body *b = &x->body;
	b->limit = a->opt.max_body;
	b->keep = (fl & (R_BODY | R_INFER)) != 0;
	if (fl & R_INFER) { /* the model's own; an unknown model gets its 404 once the body is in */
		const struct lv_agent_model *am = lv_agent_model_find(a, x->arg);
		b->stride = am ? am->sample_stride : 0;
	}
	if (!(fl & R_INFER) && b->limit > LV_AGENT_SMALL_BODY)
		b->limit = LV_AGENT_SMALL_BODY;
	size_t declared = 0;
	const char *cl =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	int has_cl = cl && parse_size(cl, &declared) == 0;
	if (has_cl && declared > b->limit) {
		lv_respond_error(&r, MHD_HTTP_CONTENT_TOO_LARGE,
		                 "request body of %zu bytes is over this endpoint's limit of %zu",
		                 declared, b->limit);
		return send_early(a, c, x, method, path, &r, 0);
	}
	const char *enc =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_ENCODING);
	int encoded = b->keep && enc && strcasecmp(enc, "identity") != 0;
	if (encoded && !(x->inflate = lv_inflate_new(enc, &r)))
		return send_early(a, c, x, method, path, &r, 0);
	/* The header length counts inflated bytes; Content-Length compressed ones. */
	const char *hl =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Inference-Header-Content-Length");
	if ((fl & R_INFER) && hl &&
	    lv_body_header_len(b, hl, has_cl && !encoded, declared, &r) != 0)
		return send_early(a, c, x, method, path, &r, 0);
	return MHD_YES;
}

/* Body complete: run the handler. */
static enum MHD_Result finish(struct lv_agent *a, struct MHD_Connection *c, struct req_ctx *x,
                              const char *method, const char *path)
{
	struct lv_response r = { 0 };
	struct lv_request q = {
		.method = method, .path = path, .arg = x->arg, .version = x->version
	};
	if (x->inflate && lv_inflate_finish(x->inflate, &x->body, &r) != 0)
		return send_response(a, c, method, path, &r, 0);
	if (lv_body_finish(&x->body, &q, &r) != 0)
		return send_response(a, c, method, path, &r, x->body.too_large);
	x->route->fn(a, &q, &r);
	if (r.status == 0)
		lv_respond_error(&r, MHD_HTTP_INTERNAL_SERVER_ERROR, "no response");
	return send_response(a, c, method, path, &r, 0);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
	struct lv_agent *a = cls;
	struct req_ctx *x = *con_cls;
	(void)version;
	if (!x) {
		x = lv_xcalloc(1, sizeof(*x));
		*con_cls = x;
		atomic_fetch_add(&a->requests, 1);
		atomic_fetch_add(&a->active, 1);
		return begin(a, c, x, method, url);
	}
	if (*upload_size) {
		if (!x->responded && x->inflate)
			lv_inflate_take(x->inflate, &x->body, upload_data, *upload_size);
		else if (!x->responded)
			lv_body_take(&x->body, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (x->has_pending) {
		x->has_pending = 0;
		return send_response(a, c, method, url, &x->pending, 0);
	}
	if (x->responded)
		return MHD_YES;
	return finish(a, c, x, method, url);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
	struct lv_agent *a = cls;
	struct req_ctx *x = *con_cls;
	(void)c, (void)code;
	if (!x)
		return;
	atomic_fetch_sub(&a->active, 1);
	lv_body_fini(&x->body);
	lv_inflate_free(x->inflate);
	free(x->pending.body); /* never sent: the connection went first */
	free(x->arg);
	free(x->version);
	free(x);
	*con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	struct lv_agent *a = cls;
	(void)c;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		int n = atomic_fetch_add(&a->connections, 1) + 1;
		*socket_context = n > a->opt.max_connections ? &over_limit_marker : NULL;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		atomic_fetch_sub(&a->connections, 1);
	}
}

/* ---- start and stop -------------------------------------------------------------- */

int lv_agent_http_start(struct lv_agent *a, char **why)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
	                 MHD_USE_ERROR_LOG | MHD_USE_ITC;
	if (a->listen.addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (a->tls_cert)
		flags |= MHD_USE_TLS;
	/*
	 * The TLS options last: without TLS, MHD_OPTION_END in the certificate's
	 * place ends the list there. The PEM texts stay until the agent exits.
	 */
	a->mhd_error[0] = '\0';
	starting = a;
	a->mhd = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, a, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, a,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a->listen.addr,
	    MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)(a->opt.max_connections + 16), MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned)a->opt.max_per_client, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)a->opt.conn_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)(256 * 1024), MHD_OPTION_THREAD_STACK_SIZE, (size_t)(1024 * 1024),
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, a, MHD_OPTION_NOTIFY_CONNECTION,
	    on_connection, a, a->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, a->tls_cert,
	    MHD_OPTION_HTTPS_MEM_KEY, a->tls_key, MHD_OPTION_END);
	starting = NULL;
	if (!a->mhd && a->tls_cert && (strstr(a->mhd_error, "TLS") || strstr(a->mhd_error, "cert")))
		return lv_fail(why, LV_EINVAL, "--tls-cert %s / --tls-key %s: refused: %s",
		               a->opt.tls_cert, a->opt.tls_key, a->mhd_error);
	if (!a->mhd)
		return lv_fail(why, LV_EIO, "--listen %s: cannot listen%s%s", a->opt.listen,
		               a->mhd_error[0] ? ": " : " (address in use?)", a->mhd_error);
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(a->mhd, MHD_DAEMON_INFO_BIND_PORT);
	a->port = di ? di->port : 0;
	return 0;
}

/*
 * Stops accepting, gives the requests in progress up to DRAIN_S to finish
 * sending their responses (a held infer has just been failed with 503 by
 * lv_backend_stop and should reach its client), then closes everything.
 */
#define DRAIN_S 0.5

void lv_agent_http_stop(struct lv_agent *a)
{
	if (!a->mhd)
		return;
	MHD_socket ls = MHD_quiesce_daemon(a->mhd);
	for (int i = 0; i < (int)(DRAIN_S / 0.01) && atomic_load(&a->active) > 0; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(a->mhd);
	if (ls != MHD_INVALID_SOCKET)
		close(ls);
	a->mhd = NULL;
}
