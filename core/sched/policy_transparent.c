/*
 * policy_transparent: "no scheduler", the thesis's reference point. Every
 * period (10 ms, the thesis's polling tick) the next up device in cluster
 * order gets as much of the queue as its kind's max batch allows, at
 * whatever clock its own governor chose. Busy devices are not skipped:
 * Triton queues the batch on the worker, which is what running without a
 * scheduler means.
 *
 * Transparent and round_robin coincide on a cluster. The thesis shipped no
 * cluster variant of transparent (its cluster scheduler selection offers
 * round_robin but not transparent); its single-device TransparentScheduler
 * sends every tick's batch to the one device whether or not it is busy. The
 * rule that differs is its single-device round robin, which waits for the
 * device to be available and caps the batch at a fixed size as well. On a
 * cluster both reduce to this rotation over up devices, so the two policies
 * share lv_rotation_decide and differ only in name; both stay registered
 * because the thesis's reports compare them side by side.
 *
 * Parameters: period [0.01 s]. Never sets clocks.
 */
#include "policy.h"

#include "policy_rotation.h"
#include "base/util.h"

static const struct lv_param_spec transparent_params[] = {
	{ "period", 0.01, 0.0, 3600.0, 0, "s", "time between dispatches" },
};

static int transparent_create(const double *params, const struct lv_cluster *c, void **state,
                              char **why)
{
	(void)c;
	(void)why;
	*state = lv_rotation_new(params[0], LV_ROTATION_UP, 0);
	return LV_OK;
}

/* "transparent", or "transparent(period=0.05)" with a period other than the default. */
static void transparent_describe(const double *params, char *buf, size_t len)
{
	const struct lv_label_item items[] = {
		{ "period", params[0], params[0] != transparent_params[0].def },
	};
	lv_rotation_label(buf, len, "transparent", items, 1);
}

/* The thesis's loop turned once per period. */
static double transparent_poll_s(const double *params)
{
	return params[0];
}

const struct lv_policy_ops lv_policy_transparent = {
	.name = "transparent",
	.summary = "no scheduler: every period, the next up device takes up to its max batch",
	.params = transparent_params,
	.n_params = sizeof(transparent_params) / sizeof(transparent_params[0]),
	.caps = 0,
	.create = transparent_create,
	.decide = lv_rotation_decide,
	.destroy = lv_rotation_destroy,
	.describe = transparent_describe,
	.poll_s = transparent_poll_s,
};
