/*
 * policy_fixed_batch: batch by size. The next available device in cluster
 * order (up, fewer than instances + buffer [1] batches in flight) gets a
 * batch of target = min(N [32], its kind's max batch) frames as soon as that
 * many are queued. Smaller batches go out only when the oldest queued frame
 * has waited max_wait [15 s]: then whatever is queued (fewer than target)
 * goes to that device. Clocks are left to the devices.
 *
 * The target belongs to the device whose turn it is: with N = 32, a Nano
 * (max batch 4) takes 4 frames and the AGX after it waits for 32. While
 * waiting the policy asks to be called at oldest arrival + max_wait; new
 * frames are events and wake it earlier. When no device is available it
 * waits for a completion (next_s = +INF).
 *
 * Two departures from the thesis's FixedBatchScheduler, both deliberate:
 * it timed the wait from when its loop first saw a frame (and restarted the
 * clock after each batch), where we use the oldest queued frame's arrival
 * (the view's oldest_arrival_s), which is what "waited max_wait" means; and
 * on release it sent the whole queue even past the device's max batch,
 * where we never exceed the target. It also advanced its device cycle on
 * every polling tick, dispatching or not; our cursor moves only on dispatch.
 *
 * Parameters: N [32], max_wait [15 s], buffer [1]. Label "fixed_batch(32)",
 * with ",wait=5" / ",buffer=2" when those are not the defaults.
 */
#include "policy.h"

#include "model/cluster.h"
#include "policy_rotation.h"
#include "model/profile.h"
#include "base/util.h"

static const struct lv_param_spec fixed_batch_params[] = {
	{ "N", 32.0, 1.0, 1024.0, 1, "frames",
	  "batch size to wait for (capped by the device's max batch)" },
	{ "max_wait", 15.0, 0.0, 86400.0, 0, "s",
	  "longest the oldest frame waits before a smaller batch goes out" },
	{ "buffer", 1.0, 0.0, 64.0, 1, "batches",
	  "batches a device may hold beyond its model instances and still count as available" },
};

struct fixed_batch_state {
	struct lv_rotation rot;
	int n; /* frames per batch before the device's cap */
	double max_wait_s;
};

static int fixed_batch_create(const double *params, const struct lv_cluster *c, void **state,
                              char **why)
{
	(void)c;
	(void)why;
	struct fixed_batch_state *s = lv_xmalloc(sizeof(*s));
	lv_rotation_init(&s->rot, 0.0, LV_ROTATION_AVAILABLE, (int)params[2]);
	s->n = (int)params[0];
	s->max_wait_s = params[1];
	*state = s;
	return LV_OK;
}

static void fixed_batch_decide(void *state, const struct lv_view *v, double now,
                               struct lv_decision *out, struct lv_explain *ex)
{
	struct fixed_batch_state *s = state;
	if (lv_rotation_idle(v, out, ex))
		return;
	int d = lv_rotation_pick(&s->rot, v, ex);
	if (d < 0) {
		lv_rotation_none(&s->rot, v, out, ex);
		return;
	}
	const struct lv_device *dev = &v->cluster->devices[d];
	int max_batch = lv_device_profile(v->cluster, dev)->max_batch;
	int target = s->n < max_batch ? s->n : max_batch;
	if (v->queue_len >= (size_t)target) {
		lv_rotation_why(ex,
		                "next device in rotation: %s; dispatching %d of %zu queued frames "
		                "(its fixed batch)",
		                dev->name, target, v->queue_len);
		lv_rotation_dispatch(&s->rot, v, now, d, 0, target, out);
		return;
	}
	double release_s = v->oldest_arrival_s + s->max_wait_s;
	if (now < release_s) {
		out->next_s = release_s;
		if (ex)
			ex->wait = 1;
		lv_rotation_why(ex,
		                "next device in rotation: %s; waiting for %d frames (%zu queued) "
		                "or until the oldest has waited %g s (at %.3f s)",
		                dev->name, target, v->queue_len, s->max_wait_s, release_s);
		return;
	}
	lv_rotation_why(ex,
	                "next device in rotation: %s; the oldest frame has waited %.3f s (max %g "
	                "s): dispatching all %zu queued frames",
	                dev->name, now - v->oldest_arrival_s, s->max_wait_s, v->queue_len);
	lv_rotation_dispatch(&s->rot, v, now, d, 0, (int)v->queue_len, out);
}

/* "fixed_batch(32)", "fixed_batch(16,wait=5)", "fixed_batch(32,buffer=2)". */
static void fixed_batch_describe(const double *params, char *buf, size_t len)
{
	const struct lv_label_item items[] = {
		{ NULL, params[0], 1 },
		{ "wait", params[1], params[1] != fixed_batch_params[1].def },
		{ "buffer", params[2], params[2] != fixed_batch_params[2].def },
	};
	lv_rotation_label(buf, len, "fixed_batch", items, 3);
}

const struct lv_policy_ops lv_policy_fixed_batch = {
	.name = "fixed_batch",
	.summary = "the next available device takes N frames once N are queued, "
	           "or fewer after max_wait",
	.params = fixed_batch_params,
	.n_params = sizeof(fixed_batch_params) / sizeof(fixed_batch_params[0]),
	.caps = 0,
	.create = fixed_batch_create,
	.decide = fixed_batch_decide,
	.destroy = lv_rotation_destroy,
	.describe = fixed_batch_describe,
};
