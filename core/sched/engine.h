/*
 * engine: the deterministic scheduling core. Events in, actions out.
 *
 * The engine never reads a clock, sleeps, does I/O or allocates per decision:
 * every entry point takes `now` (seconds on the driver's clock, never
 * decreasing) and the driver — live (wall clock, HTTP) or sim (virtual clock,
 * emulated devices) — carries out the actions it returns.
 *
 * Frame lifecycle. Every frame the engine receives ends in exactly one
 * terminal state: OK (served within budget), LATE (served after its
 * deadline), FAILED (its batch failed twice, or once with retries off),
 * EXPIRED (still queued at deadline + expire_grace_s, or its budget spent
 * before it was submitted: lv_engine_submit_at), REJECTED (bad budget
 * or admission refused, decided at submission; or refused while queued by
 * the policy — a decision's `reject`, decision.h — with the policy's
 * reason). The engine asserts
 *   received == queued + in_flight + ok + late + failed + expired + rejected
 * after every event, and reports each terminal frame as a FRAME_FINAL action.
 *
 * Use:
 *   lv_engine_submit / _batch_done / _device_state / _device_clock  record events;
 *   lv_engine_step(now) runs expiry and the policy, producing actions;
 *   lv_engine_actions() returns the actions produced since the last
 *   lv_engine_clear_actions(); lv_engine_next_wakeup() is when step wants to
 *   run again if no event comes first.
 */
#ifndef LV_ENGINE_H
#define LV_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "model/cluster.h"
#include "policy.h"
#include "queue.h"

struct lv_engine;

enum lv_frame_state {
	LV_FRAME_QUEUED = 0,
	LV_FRAME_INFLIGHT = 1,
	LV_FRAME_OK = 2,
	LV_FRAME_LATE = 3,
	LV_FRAME_FAILED = 4,
	LV_FRAME_EXPIRED = 5,
	LV_FRAME_REJECTED = 6,
};
#define LV_FRAME_NSTATES 7

const char *lv_frame_state_name(enum lv_frame_state s);

struct lv_frame {
	uint64_t id;    /* unique, increasing with arrival, > 0 */
	uint64_t tag;   /* the driver's (request id, camera, ...), opaque here */
	uint32_t index; /* position within its request */
	enum lv_frame_state state;
	double arrival_s;
	double budget_s;
	double deadline_s;  /* arrival + budget */
	double dispatch_s;  /* last dispatch; NAN if never */
	double done_s;      /* terminal time */
	int device;         /* last device, -1 if never dispatched */
	uint64_t freq_hz;   /* clock of the last dispatch (0: device's own) */
	int batch;          /* size of the last batch */
	uint64_t batch_id;  /* last batch, 0 if never */
	int attempts;       /* dispatches so far */
	const char *reason; /* static string for REJECTED/FAILED, else NULL */
};

enum lv_action_kind {
	LV_ACT_DISPATCH = 1,    /* run batch_id on device at freq (0: as is) */
	LV_ACT_SET_CLOCK = 2,   /* set device's GPU clock to freq */
	LV_ACT_FRAME_FINAL = 3, /* frame reached a terminal state */
};

struct lv_action {
	enum lv_action_kind kind;
	int device;
	uint64_t freq_hz;
	int boost; /* SET_CLOCK: now, even mid-batch (struct lv_clock_set) */
	/* DISPATCH */
	uint64_t batch_id;
	int batch;                 /* frames in the batch */
	const uint64_t *frame_ids; /* borrowed until the batch finishes */
	double expected_latency_s;
	double energy_per_frame_j;
	/* FRAME_FINAL: a copy of the frame */
	struct lv_frame frame;
};

struct lv_engine_config {
	double default_budget_s; /* budget when a client gives none [20] */
	double expire_grace_s;   /* a frame still queued this long past its deadline expires [30] */
	size_t max_queue;        /* admission limit on queued frames [1000000] */
	int retry_failed;        /* retry a failed batch's frames once elsewhere [1] */
	int busy_timer;          /* a batch holds its device (lv_device.inflight) only for
	                          * the dispatch's expected latency, not until it ends, as
	                          * the thesis's controller did (ctlmodel.h); batches then
	                          * pile up on the device. Frames still end at
	                          * lv_engine_batch_done [0] */
	int serve_spent;         /* lv_engine_submit_at queues a frame whose budget ran
	                          * out before it was submitted, to be served late, as
	                          * the thesis's controller did, instead of ending it
	                          * EXPIRED [0] */
};

void lv_engine_config_default(struct lv_engine_config *cfg);

/*
 * Creates an engine over cluster c (borrowed, must outlive the engine; the
 * engine writes its devices' state) running policy p (owned from here).
 * `now` is the run's start: devices' idle_since_s starts there.
 */
struct lv_engine *lv_engine_new(struct lv_cluster *c, struct lv_policy *p,
                                const struct lv_engine_config *cfg, double now);
void lv_engine_free(struct lv_engine *e);

/* Switches the policy (takes ownership, frees the old one); effective at the next step. */
void lv_engine_set_policy(struct lv_engine *e, struct lv_policy *p);
const struct lv_policy *lv_engine_policy(const struct lv_engine *e);

/*
 * A request of n_frames frames arrives at now with budget_s (NAN: the
 * default budget). The frames get consecutive ids starting at *first_id.
 * A budget that is not a positive finite number, or a full queue, rejects
 * all of them: they are reported as REJECTED at once (FRAME_FINAL actions)
 * and the return value is LV_EINVAL or LV_EFULL; otherwise 0.
 */
int lv_engine_submit(struct lv_engine *e, double now, uint32_t n_frames, double budget_s,
                     uint64_t tag, uint64_t *first_id);

/*
 * lv_engine_submit for a request that arrived at arrival_s but reaches the
 * engine only at now (the live front end decodes its images in between):
 * its frames' arrival is arrival_s, their deadline arrival_s + budget_s and
 * their latency counts from arrival_s, so time spent before the engine
 * counts against the budget. A frame whose deadline has passed by now ends
 * EXPIRED at once (FRAME_FINAL, reason "...budget ran out before it reached
 * the scheduler"): it was accepted, so the return value is 0, not an error.
 * arrival_s that is NAN or later than now means now: lv_engine_submit(e,
 * now, ...) is lv_engine_submit_at(e, now, now, ...), and its frames never
 * expire at submission (a budget runs from now, and is positive).
 */
int lv_engine_submit_at(struct lv_engine *e, double now, double arrival_s, uint32_t n_frames,
                        double budget_s, uint64_t tag, uint64_t *first_id);

/*
 * Batch batch_id finished at now. ok=1: its frames are served (OK or LATE by
 * their deadlines). ok=0: it failed; frames on their first attempt go back to
 * the queue (when retries are on), the rest end FAILED with `reason`
 * (a static string). Unknown batch ids are LV_ENOENT (not fatal).
 */
int lv_engine_batch_done(struct lv_engine *e, double now, uint64_t batch_id, int ok,
                         const char *reason);

/*
 * Batch batch_id was refused by its device for the input of one of its
 * frames, the one at `index` in the batch's order (lv_action.frame_ids):
 * that frame ends FAILED with `reason` (a static string) and the others go
 * back to the queue as if never dispatched (the device ran nothing, so the
 * dispatch does not count against their retry). LV_ENOENT for an unknown
 * id, LV_EINVAL for an index outside the batch.
 */
int lv_engine_batch_refused(struct lv_engine *e, double now, uint64_t batch_id, int index,
                            const char *reason);

/* The device went up, down or draining (reported by the driver). */
int lv_engine_device_state(struct lv_engine *e, double now, int device, enum lv_dev_state s);

/*
 * The device's board caps its GPU clock at max_freq_hz (its power mode;
 * 0: no cap): from now on the policies choose among the clocks at or below
 * it (lv_device_n_freqs). LV_ENOENT for an unknown device.
 */
int lv_engine_device_cap(struct lv_engine *e, double now, int device, uint64_t max_freq_hz);

/* The device's clock was observed to be freq_hz (its governor moved it, or telemetry). */
int lv_engine_device_clock(struct lv_engine *e, double now, int device, uint64_t freq_hz);

/*
 * Batch batch_id runs at freq_hz, not the clock it was dispatched at (the
 * driver held it to a board's power-mode cap): it and its frames record
 * freq_hz. Unknown ids are LV_ENOENT (not fatal).
 */
int lv_engine_batch_clock(struct lv_engine *e, uint64_t batch_id, uint64_t freq_hz);

/*
 * Ends everything at once, for a driver shutting down: every queued frame
 * ends EXPIRED and every in-flight frame FAILED, both with `reason` (a
 * static string), reported as FRAME_FINAL actions; the batches in flight are
 * forgotten (a later lv_engine_batch_done for one of them is LV_ENOENT) and
 * their devices left idle. Afterwards nothing is queued or in flight.
 */
void lv_engine_abort_all(struct lv_engine *e, double now, const char *reason);

/*
 * Expires overdue frames and asks the policy until it dispatches nothing.
 * A decision that rejects frames (its `reject`) ends them REJECTED at once,
 * from the head of the queue, and the policy is asked again.
 */
void lv_engine_step(struct lv_engine *e, double now);

/* Actions since the last clear, in order. Borrowed until the next clear. */
size_t lv_engine_actions(const struct lv_engine *e, const struct lv_action **out);
void lv_engine_clear_actions(struct lv_engine *e);

/*
 * Explanations, for the console's "last decision" (the text `loudva decide`
 * prints): the next decide call made with frames queued gets ex (borrowed
 * until then) as its explanation sink — the policy's own code path, the
 * decision unchanged. lv_engine_explained returns 1 once that happened
 * (with the queue length the policy saw) and forgets it.
 */
void lv_engine_explain_next(struct lv_engine *e, struct lv_explain *ex);
int lv_engine_explained(struct lv_engine *e, size_t *queue_len);

/* The k tightest queued deadlines, ascending (lv_queue_tightest). */
size_t lv_engine_tightest(const struct lv_engine *e, double *deadline_s, size_t k);

/* When step wants to run next if no event arrives first (+INF: never). */
double lv_engine_next_wakeup(const struct lv_engine *e);

struct lv_engine_counts {
	uint64_t received; /* frames submitted, rejected included */
	uint64_t by_state[LV_FRAME_NSTATES];
	uint64_t batches_dispatched;
	uint64_t batches_failed;
	uint64_t decisions; /* policy calls */
};

void lv_engine_counts(const struct lv_engine *e, struct lv_engine_counts *out);

/* Frames waiting now. */
size_t lv_engine_queue_len(const struct lv_engine *e);

/* The view the policy would get at now (for `decide` and the console). */
void lv_engine_view(const struct lv_engine *e, struct lv_view *out);

const struct lv_cluster *lv_engine_cluster(const struct lv_engine *e);

#endif
