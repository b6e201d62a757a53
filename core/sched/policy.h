/*
 * policy: the scheduling-policy interface and its registry.
 *
 * A policy is a pure function of a read-only view of the cluster and the
 * queue, and of `now`: it reads no clock, does no I/O, logs nothing and never
 * blocks. Each call to decide answers with at most one dispatch (device,
 * clock, batch size), any number of clock settings, and the time it wants to
 * be asked again. The engine calls decide repeatedly at one instant until it
 * dispatches nothing, so a policy sees the queue and the devices as they are
 * after each of its own dispatches.
 *
 * Parameters are numbers declared in the ops' parameter table; instances are
 * made from "name" or "name:k=v,k=v" (lv_policy_new) or from key/value
 * strings (lv_policy_new_kv, used by the experiment spec parser).
 *
 * The registry is the NULL-terminated array in policy.c; implementations live
 * in policy_<name>.c.
 */
#ifndef LV_POLICY_H
#define LV_POLICY_H

#include <stddef.h>
#include <stdint.h>

struct lv_cluster;

#define LV_POLICY_MAX_PARAMS 12
#define LV_POLICY_LABEL_MAX  96
#define LV_EXPLAIN_MAX_ALTS  16

/* Capability bits. */
enum {
	LV_POLICY_SETS_CLOCKS = 1u
	                        << 0, /* dispatches carry a clock; idle devices are down-clocked */
};

struct lv_param_spec {
	const char *name;
	double def;
	double min, max;  /* inclusive bounds */
	int integer;      /* value must be a whole number */
	const char *unit; /* "s", "frames", "" */
	const char *help;
};

/* What the policy sees. Borrowed for the duration of one decide call. */
struct lv_view {
	const struct lv_cluster *cluster;
	size_t queue_len;
	double min_deadline_s;   /* tightest deadline among queued frames; +INF when empty */
	double oldest_arrival_s; /* earliest arrival among queued frames; +INF when empty */
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
};

struct lv_decision {
	int has_dispatch;
	struct lv_dispatch dispatch;
	struct lv_clock_set *clocks; /* caller-provided buffer of cap_clocks (>= n_devices) */
	size_t n_clocks, cap_clocks;
	double next_s; /* ask again at this time; +INF = only after an event */
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

struct lv_policy_ops {
	const char *name;
	const char *summary;
	const struct lv_param_spec *params;
	size_t n_params;
	unsigned caps;
	/* Makes the policy's state from validated params (n_params values). */
	int (*create)(const double *params, const struct lv_cluster *c, void **state, char **why);
	void (*decide)(void *state, const struct lv_view *v, double now, struct lv_decision *out,
	               struct lv_explain *explain);
	void (*destroy)(void *state);
	/* Writes the label ("fixed_batch(32)"); NULL: the label is the name. */
	void (*describe)(const double *params, char *buf, size_t len);
};

struct lv_policy {
	const struct lv_policy_ops *ops;
	void *state;
	double params[LV_POLICY_MAX_PARAMS];
	char label[LV_POLICY_LABEL_MAX];
};

/* The registry, NULL-terminated. */
const struct lv_policy_ops *const *lv_policy_registry(void);
const struct lv_policy_ops *lv_policy_find(const char *name);

/*
 * Makes a policy from "name" or "name:k=v,k=v" for cluster c (borrowed; must
 * outlive the policy). NULL with *why on an unknown policy, unknown
 * parameter, non-numeric or out-of-range value.
 */
struct lv_policy *lv_policy_new(const char *spec, const struct lv_cluster *c, char **why);

/* Same from a name and n key/value strings. */
struct lv_policy *lv_policy_new_kv(const char *name, size_t n, const char *const *keys,
                                   const char *const *values, const struct lv_cluster *c,
                                   char **why);

void lv_policy_free(struct lv_policy *p);

/* Parameter value by name (asserts the name exists). */
double lv_policy_param(const struct lv_policy *p, const char *name);

/*
 * Asks the policy. `out->clocks` must point at a buffer of at least
 * cluster->n_devices entries; the wrapper resets the rest of *out, calls the
 * policy, and asserts that what came back is well-formed (device up and
 * available per the policy, batch within limits, clocks among the kind's).
 */
void lv_policy_decide(struct lv_policy *p, const struct lv_view *v, double now,
                      struct lv_decision *out, struct lv_explain *explain);

/* Shared helpers for implementations. */

/* Number of frames a dispatch may take on device d: min(queue_len, kind max_batch). */
int lv_policy_batch_cap(const struct lv_view *v, int device);

/* Device d is up (not down or draining). */
int lv_policy_device_up(const struct lv_view *v, int device);

/* Appends a clock setting to out (bounded by cap_clocks). */
void lv_decision_set_clock(struct lv_decision *out, int device, uint64_t freq_hz);

/* Appends an alternative to explain (when non-NULL and not full). */
void lv_explain_add(struct lv_explain *ex, int device, uint64_t freq_hz, int batch,
                    double expected_latency_s, double energy_per_frame_j, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/* The registered implementations (one file each). */
extern const struct lv_policy_ops lv_policy_loud;
extern const struct lv_policy_ops lv_policy_transparent;
extern const struct lv_policy_ops lv_policy_round_robin;
extern const struct lv_policy_ops lv_policy_kind_round_robin;
extern const struct lv_policy_ops lv_policy_fixed_batch;
extern const struct lv_policy_ops lv_policy_interval;
extern const struct lv_policy_ops lv_policy_random;
extern const struct lv_policy_ops lv_policy_stress;

#endif
