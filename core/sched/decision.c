/*
 * decision: the helpers policies share to read the view and fill their
 * answer. See decision.h. Nothing here knows the registry or any policy.
 */
#include "decision.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>

#include "model/cluster.h"
#include "model/profile.h"

int lv_policy_batch_cap(const struct lv_view *v, int device)
{
	const struct lv_cluster *c = v->cluster;
	int max = lv_device_profile(c, &c->devices[device])->max_batch;
	return v->queue_len < (size_t)max ? (int)v->queue_len : max;
}

int lv_policy_device_up(const struct lv_view *v, int device)
{
	return v->cluster->devices[device].state == LV_DEV_UP;
}

void lv_decision_set_clock(struct lv_decision *out, int device, uint64_t freq_hz)
{
	assert(out->n_clocks < out->cap_clocks);
	out->clocks[out->n_clocks++] =
	    (struct lv_clock_set){ .device = device, .freq_hz = freq_hz };
}

void lv_decision_boost_clock(struct lv_decision *out, int device, uint64_t freq_hz)
{
	assert(out->n_clocks < out->cap_clocks);
	out->clocks[out->n_clocks++] =
	    (struct lv_clock_set){ .device = device, .freq_hz = freq_hz, .boost = 1 };
}

void lv_explain_add(struct lv_explain *ex, int device, uint64_t freq_hz, int batch,
                    double expected_latency_s, double energy_per_frame_j, const char *fmt, ...)
{
	if (!ex || ex->n_alts >= ex->max_alts || ex->n_alts >= LV_EXPLAIN_MAX_ALTS)
		return;
	struct lv_explain_alt *a = &ex->alts[ex->n_alts++];
	a->device = device;
	a->freq_hz = freq_hz;
	a->batch = batch;
	a->expected_latency_s = expected_latency_s;
	a->energy_per_frame_j = energy_per_frame_j;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->reason, sizeof(a->reason), fmt, ap);
	va_end(ap);
}
