/*
 * frontend: the controller's HTTP face, on libmicrohttpd.
 *
 *   POST /inference   multipart/form-data: `images` parts (repeated, JPEG or
 *                     PNG), optional `latency` (budget, seconds). Answers
 *                     JSON with one result per image, in order, once every
 *                     frame is terminal. The thesis's camera API.
 *   GET  /status      JSON: policy, queue, frames, rates, devices.
 *   GET  /metrics     Prometheus text format.
 *   GET  /healthz     "ok".
 *
 * Bad input is answered with 400 or 413 and {"status": "error", "error":
 * reason}, and nothing reaches the consumer: no `images` part, a part with
 * no name, a part that is not a decodable JPEG or PNG, more images than
 * max_images, an image over max_image_bytes, a body over max_body_bytes
 * (refused from its Content-Length before it is read), a `latency` that is
 * not a plain decimal number of seconds in (0, max_budget_s] (budget.h), a
 * request with two Content-Length headers or with both Content-Length and
 * Transfer-Encoding. A refusal goes out once the body has been read, so the
 * connection stays open for the client's next request (pipelined ones
 * included), except where the body is not read at all: over max_body_bytes,
 * or framed ambiguously; then the answer says Connection: close.
 *
 * Limits. A connection must send its request's headers within
 * header_timeout_s of its start (or of its last answer, on keep-alive) and
 * the body within body_timeout_s of the headers, whatever it sends in
 * between: past that it is cut off. At most max_connections_per_client come
 * from one address. When max_connections are open, each new one evicts the
 * connection that has waited longest on its client (headers first, then
 * bodies; never one whose request is being served), so slow clients cannot
 * lock others out and /healthz stays answerable. Request bodies are counted
 * against max_buffered_bytes before they are read: a request that does not
 * fit is answered 503 with Retry-After. A request whose images add up to
 * more than max_request_pixels (read from their headers) is answered 413
 * before any is decoded. Its frames' latency budget counts from the moment
 * its headers were complete (the request's arrival_mono_s), so time spent
 * waiting to be decoded is part of it.
 *
 * Threads. One thread per connection (libmicrohttpd's thread-per-connection
 * mode), bounded by the limits above and an idle timeout, so a slow or
 * stalled client holds only its own thread, and not for long; a reaper
 * thread cuts off connections past their deadlines. That thread parses the upload, decodes
 * and preprocesses the images into the request's tensors (off the engine
 * thread), submits the request and blocks until the consumer has answered
 * every frame. Decoding is CPU-bound, so at most max_decoders requests decode
 * at once and the others wait their turn in arrival order, holding only
 * their encoded bytes: with dozens of connections decoding side by side,
 * each would take dozens of times longer, hold its ~1 MB tensors that long
 * and share the caches with all the others. max_decoders - 1 helper threads
 * decode a request's other frames alongside its connection thread when they
 * are free, so an idle controller decodes a multi-frame request in about
 * the time of one frame.
 *
 * The consumer is whatever runs the frames: lv_live (lv_frontend_start), or
 * a stand-in in tests and benchmarks (lv_frontend_new with its own ops).
 */
#ifndef LV_FRONTEND_H
#define LV_FRONTEND_H

#include <stddef.h>
#include <stdint.h>

#include "model/wire.h"

struct lv_live;
struct lv_live_request;
struct lv_model_info;
struct lv_snapshot;
struct lv_frontend;
struct lv_eventlog;

#define LV_FRONTEND_DEFAULT_LISTEN "127.0.0.1:5000"

struct lv_frontend_limits {
	/* Admission (see "Limits" above). */
	unsigned max_connections_per_client; /* from one address at once; more are closed
	                                      * at accept [256] */
	double header_timeout_s;             /* a request's headers complete within this of its
	                                      * connection's start or last answer, s [10] */
	double body_timeout_s;       /* its body complete within this of its headers, s [60] */
	size_t max_buffered_bytes;   /* request bodies held in all, bytes [256 MiB] */
	uint64_t max_request_pixels; /* width × height summed over a request's images,
	                              * from their headers, before decoding [64 M] */

	size_t max_images;        /* images in one request [64] */
	size_t max_image_bytes;   /* one encoded image, bytes [10 MB] */
	size_t max_body_bytes;    /* one request body, bytes [100 MB] */
	unsigned max_connections; /* connections served at once; one more evicts the connection
	                           * that has waited longest on its client [512] */
	unsigned timeout_s;       /* a connection idle this long is closed [15] */
	unsigned max_decoders;    /* requests decoding at once; 0: one per online CPU [0] */
	double max_budget_s;      /* largest `latency` accepted, seconds; 0: the default [60] */
	/*
	 * What each frame is prepared as: bits 1 << enum lv_wire (core/model/wire.h)
	 * for the formats the consumer's devices take [fp32 only]. lv_frontend_start
	 * sets it from the cluster. Only the formats asked for are computed: no
	 * FP32 tensor without fp32 devices, no decoding at all for jpeg alone.
	 */
	unsigned wires;
};

/* Fills the defaults shown in brackets. */
void lv_frontend_limits_default(struct lv_frontend_limits *lim);

/*
 * Why the front end refused a POST /inference request (answered 400, 413 or
 * 503: nothing of it reached the consumer). Counted per reason, with the
 * frames (`images` parts) the refused request carried where its body was
 * read; a body refused unread (over max_body_bytes, or over the byte
 * budget before it was read) counts as a request of unknown frames.
 */
enum lv_fe_refusal {
	LV_FE_REFUSE_TOO_MANY_IMAGES = 0, /* 413: more than max_images */
	LV_FE_REFUSE_IMAGE_TOO_LARGE,     /* 413: an image over max_image_bytes */
	LV_FE_REFUSE_BODY_TOO_LARGE,      /* 413: the body over max_body_bytes */
	LV_FE_REFUSE_TOO_MANY_PIXELS,     /* 413: over max_request_pixels */
	LV_FE_REFUSE_BAD_IMAGE,           /* 400: an image that does not decode */
	LV_FE_REFUSE_BAD_BUDGET,          /* 400: a `latency` that is not a budget */
	LV_FE_REFUSE_MALFORMED,           /* 400: no images, not multipart, bad framing, ... */
	LV_FE_REFUSE_BUSY,                /* 503: max_buffered_bytes held */
	LV_FE_REFUSE_CLOSING,             /* 503: the controller is shutting down */
	LV_FE_REFUSE_COUNT
};

/* The reason's name as /status and /metrics show it ("too_many_images"). */
const char *lv_frontend_refusal_name(enum lv_fe_refusal r);

/*
 * The hand-off to the consumer. Every slot is required but `refused`, which
 * is told of every refused request (on the connection's thread, after the
 * counters moved) with its reason, its frames (0: unknown) and the message
 * the client got — the live consumer logs it. request_new,
 * request_wait and request_free have lv_live_request_new/_wait/_free's
 * contracts (live.h); submit hands the request over until the consumer has
 * made every frame terminal; snapshot_get may return NULL (no snapshot yet),
 * and every non-NULL snapshot is given back through snapshot_put. All are
 * called from connection threads, concurrently.
 */
struct lv_frontend_ops {
	const char *name;
	struct lv_live_request *(*request_new)(uint32_t n_frames, double budget_s,
	                                       size_t floats_per_frame);
	void (*submit)(void *arg, struct lv_live_request *r);
	void (*request_wait)(struct lv_live_request *r);
	void (*request_free)(struct lv_live_request *r);
	const struct lv_snapshot *(*snapshot_get)(void *arg);
	void (*snapshot_put)(void *arg, const struct lv_snapshot *s);
	/*
	 * The control API (frontend_control.c); NULL slots answer 501. Each
	 * returns 0 or a negative LV_E code with *why: LV_ENOENT no such
	 * device, LV_EINVAL a bad policy or clock, LV_ESTATE stopping.
	 */
	int (*set_policy)(void *arg, const char *spec, char **why);
	int (*pin_clock)(void *arg, const char *device, uint64_t freq_hz, char **why);
	int (*set_state)(void *arg, const char *device, int state /* enum lv_dev_state */,
	                 char **why);
	struct lv_eventlog *(*event_log)(void *arg); /* borrowed; for GET /control/events */
	void (*refused)(void *arg, enum lv_fe_refusal reason, uint64_t frames, const char *why);
};

/*
 * The control API's bearer token (copied; NULL: none, and every change is
 * refused with 403). Call before the address is handed out. Implemented in
 * frontend_control.c.
 */
void lv_frontend_set_control_token(struct lv_frontend *fe, const char *token);

/*
 * Experiments through the control API (POST, GET and DELETE
 * /control/experiment, and /status's "experiment"), carried out by whoever
 * runs the front end — serve starts `loudva --batch` as a child. Called from
 * connection threads, concurrently: the implementation locks.
 */
struct lv_frontend_exp_ops {
	/*
	 * Starts `spec` (a spec name or a path). 0, or LV_ESTATE one is
	 * running, LV_ENOENT no such spec, LV_EINVAL a spec that does not
	 * load, LV_EIO it cannot start; *why says which.
	 */
	int (*start)(void *arg, const char *spec, char **why);
	/* Stops the running one: 0, or LV_ENOENT none has run, LV_ESTATE none runs now. */
	int (*stop)(void *arg, char **why);
	/* The state as the text of a JSON object (caller frees). */
	char *(*state_json)(void *arg);
};

/*
 * Who carries out experiments (both borrowed until lv_frontend_stop; NULL
 * ops: none, and /control/experiment answers 501). Implemented in
 * frontend_control.c.
 */
void lv_frontend_set_experiments(struct lv_frontend *fe, const struct lv_frontend_exp_ops *ops,
                                 void *arg);

/*
 * Starts serving on listen_addr ("HOST:PORT", "[IPv6]:PORT" or ":PORT"
 * meaning 127.0.0.1; NULL: LV_FRONTEND_DEFAULT_LISTEN; port 0 picks a free
 * one, see lv_frontend_port). `ops` and `arg` are borrowed until
 * lv_frontend_stop; `model` and `lim` (NULL: defaults) are copied. Images
 * are preprocessed to model->height × width × channels floats. Returns the
 * running front end, or NULL with *why (bad address, address in use, a
 * limit of 0 or a time-out that is not a positive number, ...). The
 * consumer's request_new need not set arrival_mono_s: the front end sets it
 * (when the request's headers were complete) before submit.
 */
struct lv_frontend *lv_frontend_new(const struct lv_frontend_ops *ops, void *arg,
                                    const struct lv_model_info *model, const char *listen_addr,
                                    const struct lv_frontend_limits *lim, char **why);

/* lv_frontend_new with lv (borrowed) as the consumer. Implemented in frontend_live.c. */
struct lv_frontend *lv_frontend_start(struct lv_live *lv, const struct lv_model_info *model,
                                      const char *listen_addr, const struct lv_frontend_limits *lim,
                                      char **why);

/* The port actually bound (useful after asking for port 0). */
uint16_t lv_frontend_port(const struct lv_frontend *fe);

/*
 * Counters since start, for /metrics and tests. Requests are counted once
 * answered; frames_submitted counts frames handed to the consumer.
 */
/*
 * The HTTP status codes the front end answers with, in the order of
 * lv_frontend_stats.by_code; the last slot counts any other code.
 */
#define LV_FE_CODE_COUNT 14
/* The code counted in slot i (0 for the last slot: any other code). */
unsigned lv_frontend_code(int i);

struct lv_frontend_stats {
	uint64_t requests;                  /* every HTTP request answered */
	uint64_t by_code[LV_FE_CODE_COUNT]; /* the same, by status code (lv_frontend_code) */
	uint64_t inference_ok;              /* /inference answered with results */
	uint64_t bad_request;               /* answered 400 */
	uint64_t too_large;                 /* answered 413 */
	uint64_t frames_submitted;
	/* Admission. */
	uint64_t connections;    /* open now */
	uint64_t cut_header;     /* cut off: headers not complete in header_timeout_s */
	uint64_t cut_body;       /* cut off: body not complete in body_timeout_s */
	uint64_t evicted;        /* cut off to make room for a new connection */
	uint64_t busy;           /* answered 503: max_buffered_bytes was held */
	uint64_t buffered_bytes; /* request bytes held now */
	uint64_t body_bytes; /* request body bytes read (POST /inference, and refused requests) */
	/* POST /inference requests refused, and the frames they carried, by reason. */
	uint64_t refused_requests[LV_FE_REFUSE_COUNT];
	uint64_t refused_frames[LV_FE_REFUSE_COUNT];
};

/* The refusals summed over the reasons: requests in *requests, frames returned. */
uint64_t lv_frontend_refused(const struct lv_frontend_stats *st, uint64_t *requests);

void lv_frontend_stats(const struct lv_frontend *fe, struct lv_frontend_stats *out);

/*
 * The first half of a clean stop: new /inference requests are refused with
 * 503 from here on, and this waits until every request already read has
 * been answered and its answer sent (libmicrohttpd reports it completed),
 * or timeout_s has passed. Call it after the consumer has answered every
 * frame it holds (lv_live_shutdown). Returns the requests still pending
 * (0: none was cut off). NULL is fine (0).
 */
unsigned lv_frontend_drain(struct lv_frontend *fe, double timeout_s);

/*
 * Stops. New /inference requests are refused with 503 from here on; requests
 * already handed to the consumer are still answered (the consumer must keep
 * running until this returns: stop the front end before lv_live_stop). Joins
 * every connection thread and frees. NULL is fine.
 */
void lv_frontend_stop(struct lv_frontend *fe);

#endif
