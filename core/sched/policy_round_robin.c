/*
 * policy_round_robin: every period [0.01 s] the next up device in cluster
 * order gets min(queued, its kind's max batch) frames at its own clock,
 * busy or not — the thesis's cluster RoundRobinScheduler, which cycles over
 * every device without looking at its status.
 *
 * On a cluster this is the same rule as transparent (policy_transparent.c
 * says where the thesis's two differ: only in its single-device code, where
 * round robin waited for the device to be free). Both are kept because the
 * thesis compared them. kind_round_robin is the variant that skips busy
 * devices.
 *
 * Parameters: period [0.01 s]. Never sets clocks.
 */
#include "policy.h"

#include "policy_rotation.h"
#include "base/util.h"

static const struct lv_param_spec round_robin_params[] = {
	{ "period", 0.01, 0.0, 3600.0, 0, "s", "time between dispatches" },
};

static int round_robin_create(const double *params, const struct lv_cluster *c, void **state,
                              char **why)
{
	(void)c;
	(void)why;
	*state = lv_rotation_new(params[0], LV_ROTATION_UP, 0);
	return LV_OK;
}

/* "round_robin", or "round_robin(period=0.05)" with a period other than the default. */
static void round_robin_describe(const double *params, char *buf, size_t len)
{
	const struct lv_label_item items[] = {
		{ "period", params[0], params[0] != round_robin_params[0].def },
	};
	lv_rotation_label(buf, len, "round_robin", items, 1);
}

const struct lv_policy_ops lv_policy_round_robin = {
	.name = "round_robin",
	.summary = "every period, the next up device (busy or not) takes up to its max batch",
	.params = round_robin_params,
	.n_params = sizeof(round_robin_params) / sizeof(round_robin_params[0]),
	.caps = 0,
	.create = round_robin_create,
	.decide = lv_rotation_decide,
	.destroy = lv_rotation_destroy,
	.describe = round_robin_describe,
};
