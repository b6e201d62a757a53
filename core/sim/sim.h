/*
 * sim: the discrete-event simulator. It replays a trace through the very
 * engine and policy the live controller runs, on emulated devices
 * (devmodel.h), on a virtual clock, and reports the run's metrics
 * (metrics.h), per-device energy and a power timeline.
 *
 * Time starts at the trace's time 0. Each instant, in this order: the
 * devices' own transitions due by then (batch completions, reported with
 * lv_engine_batch_done; governor clock moves, reported with
 * lv_engine_device_clock; clock-change completions, which the engine
 * already assumed), then the trace's requests of that instant
 * (lv_engine_submit, tag = request index), then lv_engine_step(now) — only
 * when something the engine can see happened or its wakeup is due — and
 * finally the engine's actions: DISPATCH and SET_CLOCK go to the devices,
 * FRAME_FINAL to the metrics and the frame callback. Devices at equal times
 * go in index order, so the same inputs and seed give the same run, bit for
 * bit.
 *
 * The run ends when the trace is exhausted and no frame is queued or in
 * flight (the engine's expiry guarantees it). The energy window is
 * [0, max(last request, last terminal frame or batch completion, end_s)],
 * idle included: until end_s the devices and the engine keep running (idle
 * governors, a policy's idle down-clocking), so two policies can be held to
 * one window. A clock change still in progress at the end is cut there.
 *
 * Cost. The next instant is the least of the trace cursor, the engine's
 * wakeup and the top of an indexed heap of devices keyed by their next own
 * transition, so an instant costs O(log devices) per device that changes;
 * governors sleep while they would change nothing; nothing is allocated per
 * event (arrays grow by doubling).
 */
#ifndef LV_SIM_H
#define LV_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "model/cluster.h"
#include "model/ctlmodel.h"
#include "model/devmodel.h"
#include "sched/engine.h"
#include "sched/metrics.h"
#include "sched/policy.h"
#include "sched/timeline.h"

struct lv_trace;

/* One finished batch, for the batch callback. */
struct lv_sim_batch {
	int device;
	uint64_t batch_id;
	int batch;        /* frames */
	uint64_t freq_hz; /* clock at its end */
	double submit_s, start_s, end_s;
	double energy_j; /* what the batch drew while it ran */
};

/* Callbacks; the pointed-to data is borrowed for the call. */
typedef void (*lv_sim_frame_fn)(void *arg, const struct lv_frame *f);
typedef void (*lv_sim_batch_fn)(void *arg, const struct lv_sim_batch *b);

struct lv_sim_config {
	struct lv_cluster *cluster;     /* borrowed; cost tables built — their mode is the
	                                 * scheduler's; the devices run on the truth tables.
	                                 * The run resets its devices and the engine writes them. */
	const char *policy;             /* "loud", "loud:strictness=4", ... [loud] */
	uint64_t seed;                  /* seeds the devices' noise streams [1] */
	double noise;                   /* latency noise x, devmodel.h; 0 = off [0] */
	enum lv_noise_kind noise_kind;  /* [uniform] */
	int governor;                   /* default governor on devices no policy clocks [1] */
	struct lv_engine_config engine; /* [lv_engine_config_default] */
	double end_s;                   /* the window lasts at least until here, s: runs compared
	                                 * over one window (the longest of theirs) get the same
	                                 * idle tail [0] */
	double sample_s;                /* power timeline resolution, s; 0 = none [1] */
	int device_timeline;            /* keep each device's series too [1] */
	const struct lv_ctl_model *ctl; /* the controller and the wire (ctlmodel.h), borrowed;
	                                 * NULL: the ideal controller. Its busy_timer sets
	                                 * engine.busy_timer; with a batch time-out failed
	                                 * batches are not retried (the thesis did not) */
	int thesis_acct;                /* charge energy as the thesis did (ctlmodel.h,
	                                 * struct lv_acct; needs ctl->has_acct) [0] */
	lv_sim_frame_fn on_frame;       /* each terminal frame, may be NULL */
	lv_sim_batch_fn on_batch;       /* each finished batch, may be NULL */
	void *cb_arg;
};

/* Fills the defaults in brackets above (cluster NULL). */
void lv_sim_config_default(struct lv_sim_config *cfg);

struct lv_run_result {
	char policy[LV_POLICY_LABEL_MAX]; /* the policy's label */
	enum lv_cost_mode mode;
	uint64_t seed;
	struct lv_run_metrics m;
	struct lv_engine_counts counts;
	struct lv_timeline timeline;
	uint64_t instants;      /* instants simulated */
	uint64_t device_events; /* batch completions and governor moves reported */
};

/*
 * Runs trace t (borrowed; requests sorted by time, as loaded or generated)
 * under cfg. On success fills *out (caller frees with lv_run_result_fini)
 * and returns 0. LV_EINVAL with *why for a bad policy spec, a cluster
 * without cost tables, bad noise or sampling values; LV_ESTATE if the run
 * could not end (frames left with nothing scheduled — an engine bug).
 */
int lv_sim_run(const struct lv_sim_config *cfg, const struct lv_trace *t, struct lv_run_result *out,
               char **why);

void lv_run_result_fini(struct lv_run_result *r);

#endif
