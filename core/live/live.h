/*
 * live: the controller that runs the engine against the wall clock — the
 * engine thread with its event loop (libcurl multi for the dispatcher and
 * the telemetry poller, timers, a wake-up), the hand-off of camera requests
 * from front-end threads, the store, and snapshot publication.
 *
 * Threads. One engine thread owns the engine, the cluster state and every
 * curl handle. Front-end threads (libmicrohttpd) never touch them: they
 * decode and preprocess images themselves, then hand a struct lv_live_request
 * to lv_live_submit, which queues it under a lock and wakes the engine
 * thread; they then wait on the request until every frame is terminal.
 * Readers (console, /status, /metrics) take the latest snapshot with
 * lv_live_snapshot_get, which never blocks the engine thread for longer than
 * a pointer swap.
 *
 * Nothing is lost: every accepted frame ends in exactly one terminal state,
 * and lv_live_stop answers every queued or in-flight frame (expired or
 * failed, with the reason) before it returns.
 */
#ifndef LV_LIVE_H
#define LV_LIVE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "model/cost.h"
#include "model/model_config.h"
#include "sched/engine.h"
#include "base/eventlog.h"
#include "sched/snapshot.h"

struct lv_live;
struct lv_cluster;
struct lv_run_metrics;
struct lv_store_run;
struct lv_timeline;

/* What one frame of a request ended as; filled by the engine thread. */
struct lv_live_frame_result {
	enum lv_frame_state state;
	char device[LV_DEV_NAME_MAX]; /* "" if never dispatched */
	uint64_t freq_hz;
	int batch;
	double arrival_s;    /* controller clock, s since start */
	double queue_exit_s; /* dispatch time; NAN if never dispatched */
	double done_s;
	double latency_s; /* done - arrival */
	int top_class;    /* argmax of the model output, -1 if none */
	float top_score;
	char reason[128]; /* for failed/expired/rejected */
};

/*
 * A camera request. The front end allocates it with lv_live_request_new,
 * fills the tensors, submits it, waits with lv_live_request_wait, reads the
 * results and frees it. The engine thread owns it between submit and the
 * moment it marks it done.
 */
struct lv_live_request {
	uint32_t n_frames;
	double budget_s; /* NAN: the engine's default */
	float **tensors; /* n_frames × (h·w·c) FP32, NHWC, scaled to [-1, 1]; owned */
	/*
	 * The other wire formats (core/model/wire.h), filled by the front end
	 * only when a device takes them; NULL otherwise, and a frame's entry
	 * may be NULL (a frame without pixels: zeros, or a plain grey JPEG).
	 * Owned: lv_live_request_free frees each entry and the arrays.
	 */
	uint8_t **pixels;      /* n_frames × (h·w·c) bytes, NHWC: uint8 devices */
	unsigned char **jpegs; /* n_frames JPEGs as the camera sent them: jpeg devices */
	size_t *jpeg_lens;     /* their sizes, bytes */
	struct lv_live_frame_result *results; /* n_frames */
	int64_t trace_index;   /* what the store records as its frames' request: a replayed
	                        * trace's request index; -1 [lv_live_request_new]: the id of
	                        * the request's first frame */
	double arrival_mono_s; /* when the request arrived, on lv_mono_s()'s clock (the front
	                        * end: when its headers were complete); its frames' budget
	                        * and latency count from here. NAN [lv_live_request_new]:
	                        * when the engine thread takes it */
	/* internal */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t floats_per_frame; /* as given to lv_live_request_new */
	int done;
	uint32_t n_final;
	uint64_t first_frame_id;
	struct lv_live_request *next;
};

struct lv_live_request *lv_live_request_new(uint32_t n_frames, double budget_s,
                                            size_t floats_per_frame);
/* Blocks until every frame is terminal. */
void lv_live_request_wait(struct lv_live_request *r);
void lv_live_request_free(struct lv_live_request *r);

struct lv_live_config {
	struct lv_cluster *cluster; /* cost tables built; owned from a successful lv_live_new
	                             * on (which sets this to NULL); its devices' names and
	                             * URLs stay readable (lv_live_cluster), the rest is the
	                             * engine thread's */
	const char *policy;         /* "loud" ... */
	const char *token;          /* bearer token for the agents, may be NULL */
	const char *db_path;        /* SQLite store, NULL = none */
	/*
	 * The run's row in the store, read by lv_live_new (its id must be free
	 * there); NULL: the policy's label, mode "live", trace "live", the next
	 * free id.
	 */
	const struct lv_store_run *db_run;
	struct lv_model_info model;
	struct lv_engine_config engine;
	double telemetry_period_s; /* [0.25] */
	double snapshot_period_s;  /* [0.1] */
	int fail_threshold;        /* consecutive failures that mark a device down [3] */
	double window_lead_s;      /* lv_live_result's window opens this long before the
	                            * first frame (a replayed trace's first request time,
	                            * so the window matches the simulator's [0, end]) [0] */
	double sample_s;           /* keep the cluster's power timeline at this step, s
	                            * (lv_live_timeline); 0 = none [0] */
	size_t trace_requests;     /* a replayed trace's requests: the result's request
	                            * figures count requests by their trace_index in
	                            * [0, trace_requests); 0 = no request figures [0] */
	int shm_off;               /* 1: every batch in its HTTP body, even to devices
	                            * marked shm (lv_device.shm) [0] */
};

void lv_live_config_default(struct lv_live_config *cfg);

/*
 * Starts the engine thread. NULL with *why (a policy spec or a store that
 * would not open, a device without URLs); the cluster is then still the
 * caller's.
 */
struct lv_live *lv_live_new(struct lv_live_config *cfg, char **why);

/*
 * The controller's clock: seconds since lv_live_new started it — the clock of
 * frame arrivals, the store's rows and the result's window. Thread-safe.
 */
double lv_live_clock(const struct lv_live *lv);

/* The cluster (borrowed): only names, kinds, URLs and wire formats may be read from
 * other threads. */
const struct lv_cluster *lv_live_cluster(const struct lv_live *lv);

/* The wire formats its devices take, as bits 1 << enum lv_wire (never 0). Thread-safe. */
unsigned lv_live_wires(const struct lv_live *lv);

/* Hands a request to the engine thread (thread-safe). Takes ownership until done. */
void lv_live_submit(struct lv_live *lv, struct lv_live_request *r);

/* The latest snapshot (reference-counted; release with lv_live_snapshot_put). */
const struct lv_snapshot *lv_live_snapshot_get(struct lv_live *lv);
void lv_live_snapshot_put(struct lv_live *lv, const struct lv_snapshot *s);

/*
 * The controller's event log (borrowed until lv_live_stop; thread-safe):
 * policy switches, operator commands, devices going down and up, failed
 * batches, and every dispatch at debug level (the decisions). Readers use
 * lv_eventlog_read; others (the console) may add their own events.
 */
struct lv_eventlog *lv_live_log(struct lv_live *lv);

/* Switches the policy at the next decision (thread-safe). 0 or LV_EINVAL with *why. */
int lv_live_set_policy(struct lv_live *lv, const char *spec, char **why);

/* Pins / releases a device's clock, drains or marks up (thread-safe, asynchronous). */
int lv_live_pin_clock(struct lv_live *lv, const char *device, uint64_t freq_hz, char **why);
int lv_live_set_state(struct lv_live *lv, const char *device, enum lv_dev_state s, char **why);

/*
 * Says that the device's agent was started again after it died (the
 * embedded cluster's launcher restarts it on the same port): the new agent
 * knows neither the clock the controller set nor its shared-memory regions.
 * The device is marked down at once (the engine sends it nothing) and
 * probed back; the answer that brings it up makes it start over — its
 * governor's clock, no regions — whether or not the controller had seen it
 * go. Counted in the snapshot's restarts. Thread-safe; 0, LV_ENOENT (no such
 * device) or LV_ESTATE (stopping) with *why.
 */
int lv_live_device_restarted(struct lv_live *lv, const char *device, char **why);

/*
 * Stops taking frames and answers every frame held (queued ones EXPIRED,
 * in-flight ones FAILED, reason "controller shutting down"); requests
 * submitted from then on are answered REJECTED at once. Returns when all is
 * answered; snapshots stay readable and lv stays valid until lv_live_stop,
 * so a front end can be stopped in between (its threads waiting on requests
 * are released first). Thread-safe; idempotent.
 */
void lv_live_shutdown(struct lv_live *lv);

/*
 * The run as the simulator reports one (metrics.h), made at shutdown: every
 * frame answered, and the energy over the window from window_lead_s before
 * the first frame's arrival (the devices' power then stands in for that
 * lead, during which they idled) to the shutdown — so with window_lead_s =
 * the trace's first request time, `loudva sim --until <window_s>` on the
 * same trace is held to the same window. Per-device busy time is not measured
 * live (0) and the mean clock is the last one. NULL before lv_live_shutdown;
 * borrowed until lv_live_stop.
 */
const struct lv_run_metrics *lv_live_result(const struct lv_live *lv);

/*
 * With cfg.sample_s > 0, the cluster's mean power per sample_s over the
 * result's window (sched/timeline.h's struct lv_timeline, cluster series only): sample
 * i covers [start + i·sample_s, start + (i+1)·sample_s) clipped to the
 * window, start being the window's opening. Made at shutdown from the
 * agents' cumulative energy counters — each device's energy between two
 * telemetry samples spread evenly over the time between them, pinned to the
 * device energies lv_live_result charges at both ends of the window — so
 * the samples' integral is the result's energy_j. NULL before
 * lv_live_shutdown or without sample_s; borrowed until lv_live_stop.
 */
const struct lv_timeline *lv_live_timeline(const struct lv_live *lv);

/*
 * After lv_live_shutdown: finishes the run's record in the store — every
 * row written, or given up after failing for 10 s (a full disk, a database
 * another process keeps locked), then the result's runs and devices rows
 * with the count of missing rows — and closes the database. *out is then
 * the record's final state (enabled 0 without a store; any lost row means
 * the record is incomplete). Also completes the result's request figures
 * of a run without a replayed trace (the requests answered; lv_live_result
 * has none before). May block while writes are retried; idempotent;
 * lv_live_stop does it when it was not done.
 */
void lv_live_finish_record(struct lv_live *lv, struct lv_snap_store *out);

/* Stops (lv_live_shutdown if not done yet), flushes the store, joins the thread, frees. */
void lv_live_stop(struct lv_live *lv);

#endif
