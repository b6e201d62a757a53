/*
 * live_device: each device as the engine thread sees it over HTTP — the
 * order of its work, its health, its telemetry and its energy.
 *
 * Order. A clock change (PUT /gpu/frequency) holds back the device's later
 * work until the agent has answered, so a batch meant for the new clock
 * never overtakes it (a shared-memory registration, live_shm.c, likewise);
 * batches themselves go out at once, several per device if the policy
 * dispatches so (Triton queues them, one model instance).
 *
 * Health. A failed batch (HTTP error, timeout, bad answer) makes the
 * device SUSPECT — draining for the engine, so the failed frames' retry,
 * queued at the same instant, cannot pick it — and probes it at once:
 * GET /healthz on the agent, then GET /v2/health/ready on Triton when that
 * is elsewhere. An answer makes it UP again; no answer, fail_threshold
 * failed batches in a row, or fail_threshold failed telemetry polls make it
 * DOWN, probed every PROBE_PERIOD_S until it answers.
 *
 * Clock. Until the controller first sets a device's clock the device runs
 * its own governor, and telemetry's clock is reported to the engine; after
 * that the clock is the policy's and telemetry's is shown only (it lags by
 * the clock-change delay). A device that comes back up (perhaps a restarted
 * agent) starts over with its governor.
 *
 * Energy. Each device's energy since the controller started is the sum of
 * the increases of the agent's cumulative counter (a counter that went back
 * — a restarted agent — counts from zero), plus, at the first sample, the
 * power then times the time since the start.
 */
#include "live_internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "model/cost.h"
#include "model/profile.h"
#include "sched/snapshot.h"
#include "base/util.h"

#define CLOCK_TIMEOUT_S   5.0
#define SHM_REG_TIMEOUT_S 2.0

/* ---- work order ---------------------------------------------------------------- */

static void enqueue(struct live_dev *d, struct xfer *x)
{
	x->next = NULL;
	if (d->wait_tail)
		d->wait_tail->next = x;
	else
		d->wait_head = x;
	d->wait_tail = x;
}

static void defer_failure(struct lv_live *lv, struct xfer *x)
{
	x->next = lv->deferred;
	lv->deferred = x;
}

/* Timeout of a batch: max(2 s, 3 × expected + 1 s), expected including the work ahead of it. */
static double infer_timeout(const struct live_dev *d, const struct xfer *x)
{
	double t = 3.0 * (x->expected_s + d->work_s) + 1.0;
	return t > 2.0 ? t : 2.0;
}

void live_device_pump(struct lv_live *lv, int device, double now)
{
	struct live_dev *d = &lv->devs[device];
	(void)now;
	while (d->wait_head && !d->clock_busy && !d->shm_busy) {
		struct xfer *x = d->wait_head;
		d->wait_head = x->next;
		if (!d->wait_head)
			d->wait_tail = NULL;
		x->next = NULL;
		double timeout = x->kind == XF_INFER     ? infer_timeout(d, x)
		                 : x->kind == XF_SHM_REG ? SHM_REG_TIMEOUT_S
		                                         : CLOCK_TIMEOUT_S;
		if (live_xfer_start(lv, x, timeout) != LV_OK) {
			defer_failure(lv, x);
			continue;
		}
		if (x->kind == XF_CLOCK) {
			d->clock_busy = 1;
		} else if (x->kind == XF_SHM_REG) {
			d->shm_busy = 1;
		} else {
			d->n_infer++;
			d->work_s += x->expected_s;
		}
	}
}

/* Queues x behind the device's work and starts what may start. */
void live_device_queue(struct lv_live *lv, int device, struct xfer *x, double now)
{
	enqueue(&lv->devs[device], x);
	live_device_pump(lv, device, now);
}

void live_set_clock(struct lv_live *lv, int device, uint64_t hz, double now)
{
	struct live_dev *d = &lv->devs[device];
	if (d->pin_hz && hz != d->pin_hz) {
		/* The operator pinned it: the engine learns the clock stays. */
		lv_engine_device_clock(lv->engine, now, device, d->pin_hz);
		return;
	}
	if (hz == d->sent_hz || !lv->cluster->devices[device].agent_url)
		return;
	struct xfer *x = live_xfer_new(XF_CLOCK, device);
	x->put_hz = hz;
	d->sent_hz = hz;
	d->owned_clock = 1;
	d->epoch++;
	enqueue(d, x);
	live_device_pump(lv, device, now);
}

/* The latency to expect of a dispatch: the policy's estimate, else the cost table's. */
static double expected_latency(const struct lv_live *lv, const struct lv_action *a)
{
	if (a->expected_latency_s > 0)
		return a->expected_latency_s;
	const struct lv_device *dev = &lv->cluster->devices[a->device];
	const struct lv_cost_table *t = lv_device_cost(lv->cluster, dev);
	uint64_t hz = a->freq_hz ? a->freq_hz : dev->freq_hz;
	int fi = lv_profile_freq_index(t->profile, hz);
	int b = a->batch <= t->max_batch ? a->batch : t->max_batch;
	double l = fi >= 0 && b >= 1 ? lv_cost_latency(t, (size_t)fi, b) : NAN;
	if (isfinite(l) && a->batch > b)
		l *= (double)a->batch / b;
	return isfinite(l) && l > 0 ? l : 1.0;
}

void live_dispatch(struct lv_live *lv, const struct lv_action *a, double now)
{
	struct live_dev *d = &lv->devs[a->device];
	struct xfer *x = live_xfer_new(XF_INFER, a->device);
	x->freq_hz = a->freq_hz;
	x->queued_s = now;
	x->expected_s = expected_latency(lv, a);
	if (live_infer_build(lv, x, a) != LV_OK) {
		defer_failure(lv, x);
		return;
	}
	if (a->freq_hz)
		live_set_clock(lv, a->device, a->freq_hz, now);
	struct xfer *reg = live_shm_attach(lv, x, now);
	if (reg)
		enqueue(d, reg);
	live_infer_header(lv, x); /* for the region, or for the body */
	d->last_batch = a->batch;
	enqueue(d, x);
	live_device_pump(lv, a->device, now);
}
