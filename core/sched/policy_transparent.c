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
 * jetson_clocks. Many operators run `sudo jetson_clocks` on their boards,
 * which holds the GPU at its top clock instead of leaving it to the
 * governor, and then serve without a scheduler. pin=1 is that: every up
 * device not at its kind's top clock is set there (at the first decision,
 * and again should anything move it, a device coming back up included), and
 * every batch goes out at the top clock, which also takes the clock from the
 * governor for good (the agent pins devfreq's min and max, as jetson_clocks
 * does). It is a parameter of transparent rather than a policy of its own
 * because nothing else differs: the same rotation, the same batches, so a
 * comparison of transparent with transparent(pin=1) measures the clock
 * setting alone. (The engine only issues a clock change that changes
 * something, so a device that starts at its top clock is handed to the
 * policy by its first batch: until then its governor may lower the clock,
 * and the policy sets it back. An experiment spec's "governor": false pins
 * every unclocked device from the very start instead.)
 *
 * Parameters: period [0.01 s], pin [0]. Sets clocks only with pin=1.
 */
#include "policy.h"

#include "policy_rotation.h"
#include "base/util.h"

static const struct lv_param_spec transparent_params[] = {
	{ "period", 0.01, 0.0, 3600.0, 0, "s", "time between dispatches" },
	{ "pin", 0.0, 0.0, 1.0, 1, "",
	  "1: hold every device at its top clock, as after `sudo jetson_clocks`" },
};

static int transparent_create(const double *params, const struct lv_cluster *c, void **state,
                              char **why)
{
	(void)c;
	(void)why;
	struct lv_rotation *r = lv_rotation_new(params[0], LV_ROTATION_UP, 0);
	r->pin_top = params[1] > 0;
	*state = r;
	return LV_OK;
}

/* "transparent", "transparent(period=0.05)", "transparent(pin=1)": what is not the default. */
static void transparent_describe(const double *params, char *buf, size_t len)
{
	const struct lv_label_item items[] = {
		{ "period", params[0], params[0] != transparent_params[0].def },
		{ "pin", params[1], params[1] != transparent_params[1].def },
	};
	lv_rotation_label(buf, len, "transparent", items, 2);
}

/* The thesis's loop turned once per period. */
static double transparent_poll_s(const double *params)
{
	return params[0];
}

const struct lv_policy_ops lv_policy_transparent = {
	.name = "transparent",
	.summary = "no scheduler: every period, the next up device takes up to its max batch "
	           "(pin=1: at its top clock, as after jetson_clocks)",
	.params = transparent_params,
	.n_params = sizeof(transparent_params) / sizeof(transparent_params[0]),
	.caps = 0,
	.create = transparent_create,
	.decide = lv_rotation_decide,
	.destroy = lv_rotation_destroy,
	.describe = transparent_describe,
	.poll_s = transparent_poll_s,
};
