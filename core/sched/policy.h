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
 * in policy_<name>.c. What a policy sees and answers, and the helpers the
 * implementations share, are decision.h: the registry points down to the
 * implementations, and they point down to decision.c, never back.
 */
#ifndef LV_POLICY_H
#define LV_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "decision.h"

struct lv_cluster;

#define LV_POLICY_MAX_PARAMS 16
#define LV_POLICY_LABEL_MAX  96

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
	/*
	 * The period of the policy's own loop, s, where it has one (interval's
	 * T): a controller that reads its intake once per turn (ctlmodel.h)
	 * reads it this often. NULL: the controller's poll period.
	 */
	double (*poll_s)(const double *params);
};

struct lv_policy {
	const struct lv_policy_ops *ops;
	void *state;
	double params[LV_POLICY_MAX_PARAMS];
	char label[LV_POLICY_LABEL_MAX];
};

/* The period at which p reads the controller's intake: ops->poll_s, else dflt. */
double lv_policy_poll_s(const struct lv_policy *p, double dflt);

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

/* The registered implementations (one file each). */
extern const struct lv_policy_ops lv_policy_loud;
extern const struct lv_policy_ops lv_policy_eco;
extern const struct lv_policy_ops lv_policy_transparent;
extern const struct lv_policy_ops lv_policy_round_robin;
extern const struct lv_policy_ops lv_policy_kind_round_robin;
extern const struct lv_policy_ops lv_policy_fixed_batch;
extern const struct lv_policy_ops lv_policy_interval;
extern const struct lv_policy_ops lv_policy_random;
extern const struct lv_policy_ops lv_policy_stress;
extern const struct lv_policy_ops lv_policy_dynamic_batch;
extern const struct lv_policy_ops lv_policy_aimd;

#endif
