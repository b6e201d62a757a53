/*
 * policy_interval: batch by time. Every T [0.2 s] the next up device in
 * cluster order gets min(queued, its kind's max batch) frames at its own
 * clock, busy or not. It is round_robin with a long period: frames gather
 * for T, so batches grow with the arrival rate, and a frame waits at most
 * about T plus whatever is queued ahead of it.
 *
 * T is measured from the last dispatch, so the first frame after a quiet
 * spell goes out at once and the next batch T later (the thesis's loop slept
 * T after each tick, dispatching at once when it woke to a non-empty queue).
 *
 * Parameters: T [0.2 s]. The label always shows T: "interval(0.2)". Never
 * sets clocks.
 */
#include "policy.h"

#include "policy_rotation.h"
#include "base/util.h"

static const struct lv_param_spec interval_params[] = {
	{ "T", 0.2, 0.0, 3600.0, 0, "s", "batching interval: time between dispatches" },
};

static int interval_create(const double *params, const struct lv_cluster *c, void **state,
                           char **why)
{
	(void)c;
	(void)why;
	*state = lv_rotation_new(params[0], LV_ROTATION_UP, 0);
	return LV_OK;
}

/* "interval(0.2)". */
static void interval_describe(const double *params, char *buf, size_t len)
{
	const struct lv_label_item items[] = { { NULL, params[0], 1 } };
	lv_rotation_label(buf, len, "interval", items, 1);
}

/* The thesis's loop turned once per period. */
static double interval_poll_s(const double *params)
{
	return params[0];
}

const struct lv_policy_ops lv_policy_interval = {
	.name = "interval",
	.summary = "every T seconds, the next up device takes up to its max batch",
	.params = interval_params,
	.n_params = sizeof(interval_params) / sizeof(interval_params[0]),
	.caps = 0,
	.create = interval_create,
	.decide = lv_rotation_decide,
	.destroy = lv_rotation_destroy,
	.describe = interval_describe,
	.poll_s = interval_poll_s,
};
