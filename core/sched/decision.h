/*
 * decision: what a policy sees (struct lv_view), what it answers (struct
 * lv_decision: at most one dispatch, clock settings, when to ask again) and
 * the optional explanation of why (struct lv_explain, for `loudva decide`),
 * with the small helpers every implementation shares. Below the registry
 * (policy.c) and the implementations (policy_<name>.c): both call in here.
 */
#ifndef LV_DECISION_H
#define LV_DECISION_H

#include <stddef.h>
#include <stdint.h>

struct lv_cluster;

#define LV_EXPLAIN_MAX_ALTS 16

/* What the policy sees. Borrowed for the duration of one decide call. */
struct lv_view {
	const struct lv_cluster *cluster;
	size_t queue_len;
	double min_deadline_s;   /* tightest deadline among queued frames; +INF when empty */
	double oldest_arrival_s; /* earliest arrival among queued frames; +INF when empty */
	double head_arrival_s;   /* arrival of the frame at the head of the queue (the tightest
	                          * deadline: the next a dispatch or a reject takes); +INF when
	                          * empty. Views built by hand may leave it 0 */
	double arrived_budget_s; /* least budget among frames that arrived since the
	                          * previous decision; +INF when none, 0 or +INF when
	                          * the caller does not know */
};

struct lv_dispatch {
	int device;                /* index into cluster->devices */
	uint64_t freq_hz;          /* clock to run at; 0 = leave the clock to the device */
	int batch;                 /* frames, 1..min(queue_len, kind max_batch) */
	double expected_latency_s; /* the policy's estimate, 0 when it has none */
	double energy_per_frame_j; /* likewise */
};

struct lv_clock_set {
	int device;
	uint64_t freq_hz;
	int boost; /* 1: now, even in the middle of a batch (devmodel.h: Boost);
	            * 0: after the work already sent to the device */
};

struct lv_decision {
	int has_dispatch;
	struct lv_dispatch dispatch;
	struct lv_clock_set *clocks; /* caller-provided buffer of cap_clocks (>= n_devices) */
	size_t n_clocks, cap_clocks;
	double next_s; /* ask again at this time; +INF = only after an event */
	/*
	 * Ends the `reject` frames at the head of the queue (the tightest
	 * deadlines, the ones a dispatch would take next) REJECTED with
	 * reject_reason (a static string, required when reject > 0): a policy's
	 * refusal of frames it will not serve, such as dynamic_batch's queue
	 * time-out. A decision rejects or dispatches, never both; after a reject
	 * the engine asks again at once, as after a dispatch. 0: none.
	 */
	int reject;
	const char *reject_reason;
};

/* One alternative the policy weighed and why it lost (for `loudva decide`). */
struct lv_explain_alt {
	int device;
	uint64_t freq_hz;
	int batch;
	double expected_latency_s;
	double energy_per_frame_j;
	char reason[128];
};

/*
 * Optional sink for an explanation of one decision. When decide receives a
 * non-NULL explain it fills it in addition to (never instead of) deciding,
 * through the same code path.
 */
struct lv_explain {
	size_t max_alts; /* how many alternatives to keep, <= LV_EXPLAIN_MAX_ALTS */
	size_t n_alts;
	struct lv_explain_alt alts[LV_EXPLAIN_MAX_ALTS];
	size_t n_considered;       /* configurations evaluated */
	size_t n_feasible;         /* of those, meeting the remaining time */
	int fallback;              /* nothing met the remaining time */
	int wait;                  /* the policy chose to wait */
	int has_choice;            /* choice holds the configuration it picked */
	struct lv_dispatch choice; /* picked (dispatched, or waited on) */
	char why[256];             /* one sentence: why this choice (or why waiting) */
};

/* Number of frames a dispatch may take on device d: min(queue_len, kind max_batch). */
int lv_policy_batch_cap(const struct lv_view *v, int device);

/* Device d is up (not down or draining). */
int lv_policy_device_up(const struct lv_view *v, int device);

/* Appends a clock setting to out (bounded by cap_clocks). */
void lv_decision_set_clock(struct lv_decision *out, int device, uint64_t freq_hz);

/* Likewise, to take effect now, in the middle of the batch running (a boost). */
void lv_decision_boost_clock(struct lv_decision *out, int device, uint64_t freq_hz);

/* Appends an alternative to explain (when non-NULL and not full). */
void lv_explain_add(struct lv_explain *ex, int device, uint64_t freq_hz, int batch,
                    double expected_latency_s, double energy_per_frame_j, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

#endif
