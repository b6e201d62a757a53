/*
 * frontend_conn: what a connection may hold and for how long — the table
 * of open connections, their deadlines and the reaper that enforces them,
 * eviction when the front end is full, and the budget of request bytes
 * held in all. Contracts are in frontend_impl.h; frontend.c calls it from
 * libmicrohttpd's callbacks and its request handler.
 *
 * Deadlines. libmicrohttpd's own timeout is idle time only, so a client
 * that trickles a byte a second holds its connection for ever. Here every
 * connection is in one phase at a time, each with a deadline from its start:
 *   WAIT_HEADERS  accepted, or its last answer sent: the next request's
 *                 headers must be complete by header_timeout_s;
 *   WAIT_BODY     headers read: the body must be complete by body_timeout_s;
 *   BUSY          the request is the front end's (decoding, waiting for its
 *                 frames, answering): no deadline, the engine bounds it.
 * The reaper thread shuts a connection past its deadline down
 * (shutdown(2) on its socket), which wakes its thread, and libmicrohttpd
 * closes it as if the client had gone. Shutting down never races with the
 * socket's close: libmicrohttpd reports a connection closed (NOTIFY_CLOSED,
 * which takes it out of the table under mu) before it closes the socket.
 *
 * Eviction. libmicrohttpd accepts up to max_connections plus a small
 * reserve. A connection that finds max_connections or more already open
 * shuts down the one that has waited longest on its client — the oldest
 * WAIT_HEADERS one (a slow or idle client), else the oldest WAIT_BODY one —
 * so slow clients can hold the front end for no longer than it takes new
 * ones to arrive, and /healthz from anyone still gets in. BUSY connections
 * are never evicted: their requests are answered.
 *
 * The byte budget. A request's body is counted against max_buffered_bytes
 * before it is read: all of it at once when Content-Length gives it (a
 * request that does not fit is answered 503 with Retry-After and its body
 * never read), else chunk by chunk. What a connection holds is given back
 * once its images are decoded (the body is dropped then), or when its
 * request ends however it ends.
 *
 * Invariants (under mu): every open connection is in the list exactly once;
 * buffered == the sum of the entries' reserved bytes.
 */
#include "frontend_impl.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>

#include "base/clock.h"
#include "base/util.h"

#define REAPER_TICK_S 0.25 /* the longest the reaper sleeps: deadlines are kept to this */

/* In eviction's order of preference: the earlier, the sooner evicted. */
enum fe_phase { WAIT_HEADERS, WAIT_BODY, BUSY };

struct fe_conn {
	int fd;
	enum fe_phase phase;
	double since_s;    /* when the phase began, lv_mono_s() */
	double deadline_s; /* INFINITY when BUSY */
	int cut;           /* shut down already (deadline or eviction) */
	size_t reserved;   /* bytes of the byte budget this connection holds */
	int metered;       /* its request's body is counted chunk by chunk (no Content-Length) */
	int refused;       /* its request's body did not fit: answered 503 */
	double headers_s;  /* when its current request's headers were complete */
	struct fe_conn *prev, *next;
};

struct fe_guard {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* the reaper's sleep; CLOCK_MONOTONIC */
	struct fe_conn *head;
	unsigned n;
	int stopping;
	pthread_t reaper;
	int reaper_started;
	double header_timeout_s, body_timeout_s;
	unsigned max_connections;
	size_t buffered, max_buffered;
	uint64_t cut_header, cut_body, evicted, busy;
};

static void cut(struct fe_conn *c)
{
	c->cut = 1;
	if (c->fd >= 0)
		shutdown(c->fd, SHUT_RDWR);
}

static void set_phase(struct fe_guard *g, struct fe_conn *c, enum fe_phase p, double now)
{
	c->phase = p;
	c->since_s = now;
	c->deadline_s = p == WAIT_HEADERS ? now + g->header_timeout_s
	                : p == WAIT_BODY  ? now + g->body_timeout_s
	                                  : INFINITY;
}

static void *reaper_main(void *arg)
{
	struct fe_guard *g = arg;
	prctl(PR_SET_NAME, "lv-fe-reaper");
	pthread_mutex_lock(&g->mu);
	while (!g->stopping) {
		double now = lv_mono_s(), next = now + REAPER_TICK_S;
		for (struct fe_conn *c = g->head; c; c = c->next) {
			if (c->cut)
				continue;
			if (c->deadline_s <= now) {
				cut(c);
				if (c->phase == WAIT_HEADERS)
					g->cut_header++;
				else
					g->cut_body++;
			} else if (c->deadline_s < next) {
				next = c->deadline_s;
			}
		}
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		double wait = next - now;
		ts.tv_sec += (time_t)wait;
		ts.tv_nsec += (long)((wait - floor(wait)) * 1e9);
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g->cv, &g->mu, &ts);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

struct fe_guard *fe_guard_new(const struct lv_frontend_limits *lim, char **why)
{
	struct fe_guard *g = lv_xcalloc(1, sizeof *g);
	pthread_condattr_t ca;

	g->header_timeout_s = lim->header_timeout_s;
	g->body_timeout_s = lim->body_timeout_s;
	g->max_connections = lim->max_connections;
	g->max_buffered = lim->max_buffered_bytes;
	pthread_mutex_init(&g->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cv, &ca);
	pthread_condattr_destroy(&ca);
	int rc = pthread_create(&g->reaper, NULL, reaper_main, g);
	if (rc != 0) {
		lv_fail(why, LV_EIO, "front end: cannot start the connection reaper: %s",
		        strerror(rc));
		fe_guard_free(g);
		return NULL;
	}
	g->reaper_started = 1;
	return g;
}

void fe_guard_free(struct fe_guard *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->mu);
	g->stopping = 1;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
	if (g->reaper_started)
		pthread_join(g->reaper, NULL);
	/* libmicrohttpd reported every connection closed before its stop returned. */
	while (g->head) {
		struct fe_conn *c = g->head;
		g->head = c->next;
		free(c);
	}
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g);
}

/* The connection that has waited longest on its client, other than `self`; NULL if none. */
static struct fe_conn *victim(struct fe_guard *g, const struct fe_conn *self)
{
	struct fe_conn *best = NULL;
	for (struct fe_conn *c = g->head; c; c = c->next) {
		if (c == self || c->cut || c->phase == BUSY)
			continue;
		if (!best || c->phase < best->phase ||
		    (c->phase == best->phase && c->since_s < best->since_s))
			best = c;
	}
	return best;
}

void fe_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                     enum MHD_ConnectionNotificationCode code)
{
	struct lv_frontend *fe = cls;
	struct fe_guard *g = fe->guard;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		struct fe_conn *c = lv_xcalloc(1, sizeof *c);
		c->fd = ci ? ci->connect_fd : -1;
		c->headers_s = NAN;
		pthread_mutex_lock(&g->mu);
		set_phase(g, c, WAIT_HEADERS, lv_mono_s());
		c->next = g->head;
		if (g->head)
			g->head->prev = c;
		g->head = c;
		/* Connections already cut are on their way out: they do not count. */
		unsigned open = 0;
		for (struct fe_conn *k = g->head; k; k = k->next)
			open += !k->cut;
		if (open > g->max_connections) {
			struct fe_conn *v = victim(g, c);
			if (v) {
				cut(v);
				g->evicted++;
			}
		}
		g->n++;
		pthread_mutex_unlock(&g->mu);
		*socket_context = c;
		return;
	}
	struct fe_conn *c = *socket_context;
	if (!c)
		return;
	pthread_mutex_lock(&g->mu);
	if (c->prev)
		c->prev->next = c->next;
	else
		g->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	g->n--;
	g->buffered -= c->reserved;
	pthread_mutex_unlock(&g->mu);
	free(c);
	*socket_context = NULL;
}

static struct fe_conn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

double fe_guard_headers(struct lv_frontend *fe, struct MHD_Connection *conn)
{
	struct fe_conn *c = conn_of(conn);
	double now = lv_mono_s();
	if (!c)
		return now;
	pthread_mutex_lock(&fe->guard->mu);
	set_phase(fe->guard, c, WAIT_BODY, now);
	c->headers_s = now;
	pthread_mutex_unlock(&fe->guard->mu);
	return now;
}

double fe_guard_arrival(struct MHD_Connection *conn)
{
	struct fe_conn *c = conn_of(conn);
	/* Read by the connection's own thread, the only writer of headers_s. */
	return c && !isnan(c->headers_s) ? c->headers_s : lv_mono_s();
}

void fe_guard_busy(struct lv_frontend *fe, struct MHD_Connection *conn)
{
	struct fe_conn *c = conn_of(conn);
	if (!c)
		return;
	pthread_mutex_lock(&fe->guard->mu);
	set_phase(fe->guard, c, BUSY, lv_mono_s());
	pthread_mutex_unlock(&fe->guard->mu);
}

void fe_guard_request_done(struct lv_frontend *fe, struct MHD_Connection *conn)
{
	struct fe_conn *c = conn_of(conn);
	if (!c)
		return;
	pthread_mutex_lock(&fe->guard->mu);
	set_phase(fe->guard, c, WAIT_HEADERS, lv_mono_s());
	c->headers_s = NAN;
	fe->guard->buffered -= c->reserved;
	c->reserved = 0;
	c->metered = c->refused = 0;
	pthread_mutex_unlock(&fe->guard->mu);
}

/* Counts bytes against the budget for c's request (under mu): 0, or LV_EFULL. */
static int take(struct fe_guard *g, struct fe_conn *c, size_t bytes)
{
	if (bytes > g->max_buffered - g->buffered) {
		g->busy++;
		c->refused = 1;
		return LV_EFULL;
	}
	g->buffered += bytes;
	c->reserved += bytes;
	return LV_OK;
}

int fe_guard_reserve(struct lv_frontend *fe, struct MHD_Connection *conn, size_t bytes)
{
	struct fe_guard *g = fe->guard;
	struct fe_conn *c = conn_of(conn);
	if (!c)
		return LV_OK; /* untracked (libmicrohttpd gave no context): nothing to hold */
	pthread_mutex_lock(&g->mu);
	int rc = take(g, c, bytes);
	pthread_mutex_unlock(&g->mu);
	return rc;
}

void fe_guard_meter(struct lv_frontend *fe, struct MHD_Connection *conn)
{
	struct fe_conn *c = conn_of(conn);
	if (!c)
		return;
	pthread_mutex_lock(&fe->guard->mu);
	c->metered = 1;
	pthread_mutex_unlock(&fe->guard->mu);
}

int fe_guard_chunk(struct lv_frontend *fe, struct MHD_Connection *conn, size_t bytes)
{
	struct fe_guard *g = fe->guard;
	struct fe_conn *c = conn_of(conn);
	int rc = LV_OK;
	if (!c)
		return LV_OK;
	pthread_mutex_lock(&g->mu);
	if (c->refused)
		rc = LV_EFULL;
	else if (c->metered)
		rc = take(g, c, bytes);
	pthread_mutex_unlock(&g->mu);
	return rc;
}

int fe_guard_refused(struct MHD_Connection *conn)
{
	struct fe_conn *c = conn_of(conn);
	/* Set and read by the connection's own thread. */
	return c && c->refused;
}

void fe_guard_release(struct lv_frontend *fe, struct MHD_Connection *conn)
{
	struct fe_conn *c = conn_of(conn);
	if (!c)
		return;
	pthread_mutex_lock(&fe->guard->mu);
	fe->guard->buffered -= c->reserved;
	c->reserved = 0;
	pthread_mutex_unlock(&fe->guard->mu);
}

void fe_guard_stats(struct fe_guard *g, struct lv_frontend_stats *st)
{
	pthread_mutex_lock(&g->mu);
	st->connections = g->n;
	st->cut_header = g->cut_header;
	st->cut_body = g->cut_body;
	st->evicted = g->evicted;
	st->busy = g->busy;
	st->buffered_bytes = g->buffered;
	pthread_mutex_unlock(&g->mu);
}

/* The front end's counters with the guard's (frontend.h). */
void lv_frontend_stats(const struct lv_frontend *fe, struct lv_frontend_stats *out)
{
	struct lv_frontend *m = (struct lv_frontend *)fe; /* the lock is not part of the value */
	pthread_mutex_lock(&m->mu);
	*out = fe->stats;
	pthread_mutex_unlock(&m->mu);
	fe_guard_stats(fe->guard, out);
}
