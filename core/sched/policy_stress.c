/*
 * policy_stress: full batches only. The next up device in cluster order
 * (busy or not) waits until its kind's whole max batch is queued, then takes
 * it at its own clock; the device after it waits for its own max batch, and
 * so on. Nothing is ever sent short: if the queue never fills, frames wait
 * until the engine expires them. That is the point — it drives every
 * worker at its largest batch to measure the cluster under load, which is
 * how the thesis used its StressScheduler (a single-device loop that sent
 * max-batch requests once 64 frames were queued).
 *
 * There is no timer: only an arrival can fill the queue, and arrivals are
 * events, so a waiting stress policy answers next_s = +INF. At one instant
 * the engine keeps asking, so a deep queue goes out as consecutive full
 * batches to consecutive devices.
 *
 * No parameters. Never sets clocks.
 */
#include "policy.h"

#include <math.h>

#include "model/cluster.h"
#include "policy_rotation.h"
#include "model/profile.h"
#include "base/util.h"

static int stress_create(const double *params, const struct lv_cluster *c, void **state, char **why)
{
	(void)params;
	(void)c;
	(void)why;
	*state = lv_rotation_new(0.0, LV_ROTATION_UP, 0);
	return LV_OK;
}

static void stress_decide(void *state, const struct lv_view *v, double now, struct lv_decision *out,
                          struct lv_explain *ex)
{
	struct lv_rotation *r = state;
	if (lv_rotation_idle(v, out, ex))
		return;
	int d = lv_rotation_pick(r, v, ex);
	if (d < 0) {
		lv_rotation_none(r, v, out, ex);
		return;
	}
	const struct lv_device *dev = &v->cluster->devices[d];
	int full = lv_device_profile(v->cluster, dev)->max_batch;
	if (v->queue_len < (size_t)full) {
		out->next_s = INFINITY;
		if (ex)
			ex->wait = 1;
		lv_rotation_why(
		    ex, "next device in rotation: %s; waiting for a full batch of %d (%zu queued)",
		    dev->name, full, v->queue_len);
		return;
	}
	lv_rotation_why(
	    ex, "next device in rotation: %s; dispatching a full batch of %d of %zu queued frames",
	    dev->name, full, v->queue_len);
	lv_rotation_dispatch(r, v, now, d, 0, full, out);
}

static void stress_describe(const double *params, char *buf, size_t len)
{
	(void)params;
	lv_rotation_label(buf, len, "stress", NULL, 0);
}

const struct lv_policy_ops lv_policy_stress = {
	.name = "stress",
	.summary = "each device in turn takes its full max batch once that many frames are queued",
	.params = NULL,
	.n_params = 0,
	.caps = 0,
	.create = stress_create,
	.decide = stress_decide,
	.destroy = lv_rotation_destroy,
	.describe = stress_describe,
};
