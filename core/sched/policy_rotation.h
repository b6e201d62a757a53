/*
 * policy_rotation: what the baseline policies share — a rotation
 * cursor over the cluster's devices, the period gate, which devices are
 * eligible (up, or available), filling a dispatch with the cost table's
 * estimate, the explanation sentences and the report labels.
 *
 * It also holds the whole decide of the four paced rotations (transparent,
 * round_robin, kind_round_robin, interval): every period, the next eligible
 * device in cluster order gets min(queued, its kind's max batch) frames at
 * whatever clock it runs. They differ only in the period and in whether busy
 * devices are eligible (and transparent may pin the clocks at the top).
 *
 * Callers: policy_transparent.c, policy_round_robin.c,
 * policy_kind_round_robin.c, policy_interval.c, policy_fixed_batch.c,
 * policy_random.c, policy_stress.c, policy_dynamic_batch.c, policy_aimd.c
 * — only through the lv_policy_decide wrapper. Nothing here allocates per
 * decision or reads a clock.
 */
#ifndef LV_POLICY_ROTATION_H
#define LV_POLICY_ROTATION_H

#include <stddef.h>
#include <stdint.h>

struct lv_view;
struct lv_decision;
struct lv_explain;

enum lv_rotation_need {
	LV_ROTATION_UP = 0,        /* any device that is up, busy or not */
	LV_ROTATION_AVAILABLE = 1, /* up, and inflight < instances + buffer */
};

struct lv_rotation {
	size_t next;                /* device index the next scan starts at */
	double last_dispatch_s;     /* -INF before the first dispatch */
	double period_s;            /* least time between dispatches; 0 = unpaced */
	enum lv_rotation_need need; /* which devices the rotation may pick */
	int buffer;                 /* batches allowed beyond instances (AVAILABLE) */
	int pin_top;                /* lv_rotation_decide: hold every up device at its kind's
	                             * top clock, as `jetson_clocks` does (transparent:pin=1) [0] */
};

/* Starts the cursor at device 0 with no dispatch yet. */
void lv_rotation_init(struct lv_rotation *r, double period_s, enum lv_rotation_need need,
                      int buffer);

/* A heap rotation (the whole state of the paced rotations). Free with lv_rotation_destroy. */
struct lv_rotation *lv_rotation_new(double period_s, enum lv_rotation_need need, int buffer);

/* Frees a state made by lv_rotation_new or any struct allocated whole; NULL is fine. */
void lv_rotation_destroy(void *state);

/* Device d may be picked under r's need (up; and not busy when AVAILABLE). */
int lv_rotation_eligible(const struct lv_rotation *r, const struct lv_view *v, int device);

/* Adds "skipped: down" / "skipped: busy (...)" for an ineligible device to ex (may be NULL). */
void lv_rotation_explain_skip(const struct lv_rotation *r, const struct lv_view *v, int device,
                              struct lv_explain *ex);

/*
 * The first eligible device at or after the cursor, in cluster order,
 * wrapping; -1 when none is. Devices passed over are added to ex. Does not
 * move the cursor (lv_rotation_dispatch does).
 */
int lv_rotation_pick(const struct lv_rotation *r, const struct lv_view *v, struct lv_explain *ex);

/*
 * 1 when the queue is empty: out->next_s = +INF and ex says so. 0 otherwise.
 */
int lv_rotation_idle(const struct lv_view *v, struct lv_decision *out, struct lv_explain *ex);

/*
 * 1 when the period since the last dispatch is not over at `now`:
 * out->next_s = last + period and ex says when. 0 otherwise.
 */
int lv_rotation_paced(const struct lv_rotation *r, double now, struct lv_decision *out,
                      struct lv_explain *ex);

/* No eligible device: out->next_s = +INF (a completion or state change wakes us). */
void lv_rotation_none(const struct lv_rotation *r, const struct lv_view *v, struct lv_decision *out,
                      struct lv_explain *ex);

/*
 * Fills out's dispatch (freq_hz 0 = the device's own clock), with the cost
 * table's latency and energy per frame at the clock it will run at (0 where
 * there is no table or the cell is not finite), moves the cursor past
 * `device` and records `now` as the last dispatch. next_s becomes
 * now + period (+INF when unpaced: the engine asks again at once anyway).
 */
void lv_rotation_dispatch(struct lv_rotation *r, const struct lv_view *v, double now, int device,
                          uint64_t freq_hz, int batch, struct lv_decision *out);

/*
 * The decide of the paced rotations; `state` is a struct lv_rotation. With
 * pin_top, every up device not at its top clock gets a clock setting to it
 * (whether or not frames are queued) and dispatches carry the top clock, so
 * the device's governor never takes the clock back.
 */
void lv_rotation_decide(void *state, const struct lv_view *v, double now, struct lv_decision *out,
                        struct lv_explain *ex);

/* Writes ex->why (when ex is non-NULL). */
void lv_rotation_why(struct lv_explain *ex, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* One parameter in a label: "key=value", or the bare value when key is NULL. */
struct lv_label_item {
	const char *key;
	double value;
	int show;
};

/*
 * Writes "name" or "name(v,k=v,...)" with the items whose show is set, in
 * order; values print as %.15g (0.2, 32, 123456789). Truncates to len.
 */
void lv_rotation_label(char *buf, size_t len, const char *name, const struct lv_label_item *items,
                       size_t n);

#endif
