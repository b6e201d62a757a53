/*
 * policy_kind_round_robin: round robin that is kind to busy devices. Every
 * period [0.01 s] the next *available* device in cluster order — up, with
 * fewer than instances + buffer [1] batches in flight — gets min(queued, its
 * kind's max batch) frames at its own clock. Devices that are down, draining
 * or full are passed over (and named in the explanation).
 *
 * When no device is available nothing is dispatched and the policy asks for
 * no timer (next_s = +INF): the batch completion that frees a device is an
 * event, and the engine asks again then. The thesis's loop spun on its 10 ms
 * tick instead; the outcome is the same, without the wake-ups. While devices
 * are available the period rhythm holds, as in the other paced rotations.
 *
 * The buffer lets a device hold one batch beyond its model instances, so the
 * next batch is already on the worker when one finishes (the thesis's
 * "available" had no buffer; buffer=0 gives its rule).
 *
 * Parameters: period [0.01 s], buffer [1]. Never sets clocks.
 */
#include "policy.h"

#include "policy_rotation.h"
#include "base/util.h"

static const struct lv_param_spec kind_round_robin_params[] = {
	{ "period", 0.01, 0.0, 3600.0, 0, "s", "time between dispatches" },
	{ "buffer", 1.0, 0.0, 64.0, 1, "batches",
	  "batches a device may hold beyond its model instances and still count as available" },
};

static int kind_round_robin_create(const double *params, const struct lv_cluster *c, void **state,
                                   char **why)
{
	(void)c;
	(void)why;
	*state = lv_rotation_new(params[0], LV_ROTATION_AVAILABLE, (int)params[1]);
	return LV_OK;
}

/* "kind_round_robin", with period= and buffer= shown when not the defaults. */
static void kind_round_robin_describe(const double *params, char *buf, size_t len)
{
	const struct lv_label_item items[] = {
		{ "period", params[0], params[0] != kind_round_robin_params[0].def },
		{ "buffer", params[1], params[1] != kind_round_robin_params[1].def },
	};
	lv_rotation_label(buf, len, "kind_round_robin", items, 2);
}

const struct lv_policy_ops lv_policy_kind_round_robin = {
	.name = "kind_round_robin",
	.summary = "every period, the next available (not busy) device takes up to its max batch",
	.params = kind_round_robin_params,
	.n_params = sizeof(kind_round_robin_params) / sizeof(kind_round_robin_params[0]),
	.caps = 0,
	.create = kind_round_robin_create,
	.decide = lv_rotation_decide,
	.destroy = lv_rotation_destroy,
	.describe = kind_round_robin_describe,
};
