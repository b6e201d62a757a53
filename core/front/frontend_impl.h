/*
 * frontend_impl: what frontend.c (daemon, routing, GET endpoints),
 * frontend_upload.c (POST /inference), frontend_decode.c (decoding) and
 * frontend_respond.c (answers) share. Not for use outside the front end.
 */
#ifndef LV_FRONTEND_IMPL_H
#define LV_FRONTEND_IMPL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "frontend.h"
#include "live/live.h"

struct lv_frontend {
	struct MHD_Daemon *mhd;
	const struct lv_frontend_ops *ops;
	void *arg;
	struct lv_model_info model;
	struct lv_frontend_limits lim;
	uint16_t port;
	atomic_int closing;    /* set by lv_frontend_stop: refuse new work */
	pthread_mutex_t mu;    /* guards stats, log and pending */
	pthread_cond_t idle;   /* signalled when pending drops to 0 */
	unsigned pending;      /* requests with state in con_cls: read, not yet answered and sent */
	struct fe_decode *dec; /* the decode gate and its helpers (frontend_decode.c) */
	struct fe_guard *guard; /* connections' deadlines and the byte budget (frontend_conn.c) */
	struct lv_frontend_stats stats;
	char log[256];       /* libmicrohttpd's last message */
	char *control_token; /* the control API's bearer token (under mu); NULL: none */
	const struct lv_frontend_exp_ops *exp_ops; /* experiments (under mu); NULL: none */
	void *exp_arg;
};

/*
 * The control API (frontend_control.c): /control and below. fe_control_begin
 * takes a request's first call; its state goes to con_cls tagged by its low
 * bit (fe_is_control), which no upload or route pointer has, and
 * fe_control_continue takes the later calls; fe_control_free releases it
 * however the request ended.
 */
static inline int fe_is_control(const void *con_cls)
{
	return ((uintptr_t)con_cls & 1u) != 0;
}
int fe_is_control_url(const char *url);
enum MHD_Result fe_control_begin(struct lv_frontend *fe, struct MHD_Connection *conn,
                                 const char *url, const char *method, void **con_cls);
enum MHD_Result fe_control_continue(struct lv_frontend *fe, struct MHD_Connection *conn,
                                    void *con_cls, const char *data, size_t *size);
void fe_control_free(void *con_cls);

/*
 * The /status document for snapshot s, with the experiment's state as its
 * "experiment" member (null when nobody runs experiments). Caller frees;
 * *len its length.
 */
char *fe_status_doc(struct lv_frontend *fe, const struct lv_snapshot *s, size_t *len);

/* Per-request state for POST /inference, kept in MHD's con_cls. */
struct fe_upload;

/*
 * Entry points of frontend_upload.c. fe_upload_begin runs on the first call
 * (headers read): it may answer at once (413 from Content-Length, 503 when
 * closing) and then returns MHD's result with *up NULL; a body that is not
 * multipart gets fe_upload_refuse's state. fe_upload_data consumes a body
 * chunk. fe_upload_finish runs once the body is complete and answers.
 * fe_upload_free releases the state (NULL is fine).
 */
enum MHD_Result fe_upload_begin(struct lv_frontend *fe, struct MHD_Connection *conn,
                                struct fe_upload **up);
enum MHD_Result fe_upload_data(struct fe_upload *up, const char *data, size_t *size);
enum MHD_Result fe_upload_finish(struct fe_upload *up, struct MHD_Connection *conn);
void fe_upload_free(struct fe_upload *up);

/*
 * A refusal (`status`, `why` copied; `allow` a static string or NULL) for
 * any request, answered through fe_upload_data and fe_upload_finish once the
 * request's body has been read and dropped, so the connection stays open for
 * the next request. A body announced over max_body_bytes is not read: the
 * refusal goes out at once (the connection then closes) and *up is NULL.
 */
enum MHD_Result fe_upload_refuse(struct lv_frontend *fe, struct MHD_Connection *conn,
                                 unsigned status, int reason, const char *why, const char *allow,
                                 struct fe_upload **up);

/*
 * Why the request's body cannot be delimited safely — two Content-Length
 * headers, two Transfer-Encoding headers, or both kinds (where two readers
 * of the same bytes may disagree on where the request ends), one of them
 * mangled by a folded line, a Transfer-Encoding other than chunked — or NULL
 * when it can. Caller frees. Such a request is refused at once.
 */
char *fe_framing_error(struct MHD_Connection *conn);

/*
 * Decoding (frontend_decode.c). fe_decode_new starts max_decoding - 1 helper
 * threads for the model's geometry (copied); fe_decode_free joins them (no
 * fe_decode_run may be in progress; NULL is fine). A connection thread calls
 * fe_decode_enter before it takes its tensors (it may wait there for its
 * turn: at most max_decoding requests are past it), fe_decode_run to decode
 * its images, and fe_decode_leave once done.
 */
struct fe_batch;
struct fe_job {
	const void *bytes; /* the encoded image, borrowed */
	size_t len;
	float *out;              /* its tensor, or NULL: no fp32 device */
	uint8_t *pix;            /* its uint8 pixels, or NULL: no uint8 device */
	int jpeg;                /* a jpeg device takes it: a JPEG's header is checked, and
	                          * anything else re-encoded into jpeg_out */
	unsigned char *jpeg_out; /* malloc'ed; NULL: the part itself is the JPEG */
	size_t jpeg_out_len;
	int rc;    /* lv_image_prepare's result */
	char *why; /* its message; the caller frees */
	struct fe_batch *batch;
	struct fe_job *next;
};

struct fe_decode *fe_decode_new(const struct lv_model_info *model, unsigned max_decoding);
void fe_decode_free(struct fe_decode *d);
void fe_decode_enter(struct fe_decode *d);
void fe_decode_leave(struct fe_decode *d);
/*
 * Decoding work allowed: the pixels jobs[0..n)'s headers declare (width ×
 * height, lv_image_dims), summed. 0 when at most max_pixels, else LV_EFULL
 * with *why naming max_request_pixels. A part whose header cannot be read
 * counts as 0 (decoding refuses it with the reason).
 */
int fe_decode_admit(const struct fe_job *jobs, size_t n, uint64_t max_pixels, char **why);
/* Decodes jobs[0..n) (each one's rc and why set), in parallel where helpers are free. */
void fe_decode_run(struct fe_decode *d, struct fe_job *jobs, size_t n);

/*
 * Admission (frontend_conn.c): the open connections, their deadlines, eviction
 * and the budget of request bytes held. fe_guard_new starts the reaper for lim's
 * timeouts and budget (NULL with *why if it cannot); fe_guard_free stops it,
 * after libmicrohttpd has stopped (NULL is fine). fe_guard_notify is
 * MHD_OPTION_NOTIFY_CONNECTION's callback (cls: the front end).
 *
 * The handler tells it where each request is: fe_guard_headers when its headers
 * are complete (the first call; returns that time, lv_mono_s()), fe_guard_busy
 * once its body is complete, fe_guard_request_done when it ended (answered or
 * not: MHD_OPTION_NOTIFY_COMPLETED), which also gives back its bytes.
 * fe_guard_arrival is the time fe_guard_headers returned for the connection's
 * current request (lv_mono_s() if none).
 *
 * The byte budget: fe_guard_reserve counts a request's whole body (its
 * Content-Length) against it before any is read; a body without one is
 * metered instead (fe_guard_meter) and fe_guard_chunk counts each chunk of it
 * (and nothing for a request not metered: a reserved body, or one that is
 * read only to be dropped). Both return 0, or LV_EFULL when the bytes do not
 * fit: nothing is taken, and from then on fe_guard_chunk refuses the
 * request's every chunk and fe_guard_refused says 1 (the request is to be
 * answered 503).
 * fe_guard_release gives back what the connection's request holds (its body
 * is no longer kept). All thread-safe.
 */
struct fe_guard;
struct fe_guard *fe_guard_new(const struct lv_frontend_limits *lim, char **why);
void fe_guard_free(struct fe_guard *g);
void fe_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                     enum MHD_ConnectionNotificationCode code);
double fe_guard_headers(struct lv_frontend *fe, struct MHD_Connection *conn);
double fe_guard_arrival(struct MHD_Connection *conn);
void fe_guard_busy(struct lv_frontend *fe, struct MHD_Connection *conn);
void fe_guard_request_done(struct lv_frontend *fe, struct MHD_Connection *conn);
int fe_guard_reserve(struct lv_frontend *fe, struct MHD_Connection *conn, size_t bytes);
void fe_guard_meter(struct lv_frontend *fe, struct MHD_Connection *conn);
int fe_guard_chunk(struct lv_frontend *fe, struct MHD_Connection *conn, size_t bytes);
int fe_guard_refused(struct MHD_Connection *conn);
void fe_guard_release(struct lv_frontend *fe, struct MHD_Connection *conn);
/* Fills st's connection and budget fields (connections ... buffered_bytes). */
void fe_guard_stats(struct fe_guard *g, struct lv_frontend_stats *st);

/*
 * Answers (frontend_respond.c), each counted in the stats (under fe->mu).
 * fe_respond queues a response (takes ownership of the malloc'ed body).
 */
enum MHD_Result fe_respond(struct lv_frontend *fe, struct MHD_Connection *conn, unsigned status,
                           const char *content_type, char *body, size_t len);

/*
 * Counts a refused POST /inference request (reason an enum lv_fe_refusal;
 * LV_FE_REFUSE_COUNT: a refusal of something else, not counted) carrying
 * `frames` images (0: unknown), and tells the consumer's `refused` slot.
 */
void fe_refused(struct lv_frontend *fe, int reason, uint64_t frames, const char *why);

/* {"status": "error", "error": why}, with the status code; counts 400 and 413. */
enum MHD_Result fe_respond_error(struct lv_frontend *fe, struct MHD_Connection *conn,
                                 unsigned status, const char *why);

/* fe_respond_error with an Allow header (a 405); allow NULL: none. */
enum MHD_Result fe_respond_error_allow(struct lv_frontend *fe, struct MHD_Connection *conn,
                                       unsigned status, const char *why, const char *allow);

/* Counts an answer queued elsewhere (the event stream's 200): requests and by code. */
void fe_count_status(struct lv_frontend *fe, unsigned status);

/* fe_respond_error with one more header (Retry-After on a 503). */
enum MHD_Result fe_respond_error_header(struct lv_frontend *fe, struct MHD_Connection *conn,
                                        unsigned status, const char *why, const char *header,
                                        const char *value);

#endif
