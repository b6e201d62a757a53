/*
 * loadgen: the camera workload client (the thesis's workload simulator) —
 * replays a trace against a controller's POST /inference as concurrent
 * camera clients, and tallies what came back. `loudva load` is its command
 * line; the front-end tests and benchmarks drive servers with it too.
 *
 * Each trace request is posted at its time (scaled by `speed`) as one
 * multipart/form-data body: one `images` part per frame, cycling through the
 * given images, and a `latency` field when the request has a budget. At most
 * `concurrency` requests are in flight; a request that would exceed it waits
 * and the delay is reported as lag. One thread, libcurl's multi interface,
 * connections kept alive and reused.
 *
 * Answers. A response whose JSON has one result per frame counts each frame
 * under its state; a 4xx answer with {"error": ...} counts every frame of
 * the request as rejected (the server refused them at once, with a reason).
 * Anything else — transport errors, timeouts, other statuses, unreadable
 * JSON — leaves the request's frames unanswered.
 */
#ifndef LV_LOADGEN_H
#define LV_LOADGEN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "sched/engine.h" /* LV_FRAME_NSTATES */

struct lv_trace;

struct lv_loadgen_image {
	unsigned char *data; /* owned by the set */
	size_t len;
	const char *type; /* "image/jpeg" or "image/png" */
	char name[64];    /* file name sent in the part */
};

struct lv_loadgen_config {
	const struct lv_trace *trace;          /* borrowed */
	const char *url;                       /* "http://HOST:PORT[/inference]"; a bare
	                                          host:port gets /inference appended */
	const struct lv_loadgen_image *images; /* borrowed, cycled frame by frame */
	size_t n_images;                       /* >= 1 */
	int concurrency;                       /* requests in flight at most [256]: past it a
	                                          request waits, reported as lag */
	double speed;                          /* trace seconds per wall second [1] */
	double timeout_s;                      /* per request [120] */
	volatile sig_atomic_t *stop;           /* optional: non-zero stops early */
};

void lv_loadgen_config_default(struct lv_loadgen_config *cfg);

struct lv_loadgen_result {
	size_t requests; /* in the trace */
	size_t requests_sent;
	size_t requests_answered; /* frames counted from the answer */
	size_t requests_failed;   /* no usable answer */
	uint64_t frames;          /* in the trace */
	uint64_t frames_sent;
	uint64_t frames_answered;
	uint64_t by_state[LV_FRAME_NSTATES]; /* answered frames by state */
	uint64_t frames_unanswered;          /* frames - frames_answered (never sent included) */
	/* Frames of requests the controller refused outright (an HTTP 4xx with an error:
	 * too many images, a bad budget, ...), counted as rejected in by_state too. */
	uint64_t frames_refused;
	size_t requests_refused;
	uint64_t bytes_sent; /* image bytes posted */
	/* Round trip of each answered frame's request (nearest-rank); NAN when none. */
	double latency_p50_s, latency_p95_s, latency_p99_s, latency_max_s;
	/*
	 * The controller's own time for each answered frame's request, from the
	 * answer's "latency" (request headers received to answer ready: the body's
	 * upload, decode, queue, device; not the client's side); NAN when none.
	 */
	double controller_p50_s, controller_p95_s, controller_p99_s, controller_max_s;
	double duration_s;     /* wall time of the whole replay */
	double max_lag_s;      /* latest a request started behind its time */
	char first_error[256]; /* the first failure, "" when none */
};

/*
 * Replays cfg->trace. Returns 0 when the replay ran (whatever the answers
 * were — see *out), or LV_EINVAL / LV_ELIB with *why when it could not start
 * (bad configuration, libcurl failure).
 */
int lv_loadgen_run(const struct lv_loadgen_config *cfg, struct lv_loadgen_result *out, char **why);

/*
 * Image sets. lv_loadgen_images_load reads every *.jpg, *.jpeg and *.png in
 * dir (sorted by name; other files ignored; none found is LV_ENOENT).
 * lv_loadgen_images_synth makes n camera-like JPEGs of w × h (quality 90,
 * 4:2:0; about 100 KB at 640 × 480), seeded 1..n. Both return an array of
 * *n_out images (free with lv_loadgen_images_free) or NULL with *why.
 */
struct lv_loadgen_image *lv_loadgen_images_load(const char *dir, size_t *n_out, char **why);
struct lv_loadgen_image *lv_loadgen_images_synth(size_t n, int w, int h, size_t *n_out, char **why);
void lv_loadgen_images_free(struct lv_loadgen_image *imgs, size_t n);

#endif
