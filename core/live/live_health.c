/*
 * live_health: whether each device may take work — its health, the state
 * the engine sees (the operator's wish, then health), and the probes that
 * bring a device back.
 *
 * A failed batch (live_dispatch.c) makes the device SUSPECT — draining for
 * the engine, so the failed frames' retry, queued at the same instant,
 * cannot pick it — and probes it at once: GET /healthz on the agent, then
 * GET /v2/health/ready on Triton when that is elsewhere. An answer makes it
 * UP again; no answer, fail_threshold failed batches in a row, or
 * fail_threshold failed telemetry polls (live_telemetry.c) make it DOWN,
 * probed every PROBE_PERIOD_S until it answers. A device that comes back up
 * from DOWN (perhaps a restarted agent: lv_live_device_restarted puts it
 * DOWN so that this happens) starts over with its governor, with no
 * shared-memory regions (a restarted Triton knows none), and is sent the
 * clock the operator pinned again (a restarted agent has forgotten it).
 */
#include "live_internal.h"

#include <math.h>
#include <string.h>

#include "model/cluster.h"
#include "base/util.h"

#define PROBE_PERIOD_S  0.5
#define PROBE_TIMEOUT_S 1.0

void live_sync_state(struct lv_live *lv, int device, double now)
{
	const struct live_dev *d = &lv->devs[device];
	enum lv_dev_state s = LV_DEV_UP;
	if (d->admin == LV_DEV_DOWN || d->health == HEALTH_DOWN)
		s = LV_DEV_DOWN;
	else if (d->admin == LV_DEV_DRAINING || d->health == HEALTH_SUSPECT)
		s = LV_DEV_DRAINING;
	if (lv->cluster->devices[device].state != s) {
		lv_engine_device_state(lv->engine, now, device, s);
		lv->events = 1;
	}
}

void live_health_set(struct lv_live *lv, int device, enum live_health h, double now)
{
	struct live_dev *d = &lv->devs[device];
	if (d->health == h)
		return;
	if (h == HEALTH_UP && d->health == HEALTH_DOWN) {
		/* Perhaps a new agent: its clock is its governor's again. */
		d->owned_clock = 0;
		d->sent_hz = 0;
		d->tele_fails = 0;
		d->fails = 0;
		live_shm_drop(lv, device); /* a restarted Triton knows no regions */
	}
	if (h == HEALTH_DOWN)
		d->next_probe_s = now + PROBE_PERIOD_S;
	if (h == HEALTH_SUSPECT)
		d->next_probe_s = now;
	int back = h == HEALTH_UP && d->health == HEALTH_DOWN;
	live_events_health(lv, device, d->health, h);
	d->health = h;
	live_sync_state(lv, device, now);
	if (back && d->pin_hz)
		live_set_clock(lv, device, d->pin_hz, now);
}

/* ---- probes ----------------------------------------------------------------------- */

static const struct xfer_ops probe_ops;

/* Sends stage 0 (the agent's /healthz) or 1 (Triton's ready) of a probe. */
static void probe_send(struct lv_live *lv, int device, int stage)
{
	struct xfer *x = live_xfer_new(XF_PROBE, device, &probe_ops);
	x->probe_stage = stage;
	if (live_xfer_start(lv, x, PROBE_TIMEOUT_S) == LV_OK)
		lv->devs[device].probe_inflight = 1;
	else
		live_xfer_free(lv, x);
}

static void probe_done(struct lv_live *lv, struct xfer *x, int ok, long code, const char *err,
                       double now)
{
	struct live_dev *d = &lv->devs[x->device];
	const struct lv_device *dev = &lv->cluster->devices[x->device];
	d->probe_inflight = 0;
	if (ok && code == 200) {
		int triton_apart = dev->agent_url && dev->triton_url &&
		                   strcmp(dev->agent_url, dev->triton_url) != 0;
		if (x->probe_stage == 0 && triton_apart) {
			probe_send(lv, x->device, 1);
			return;
		}
		live_health_set(lv, x->device, HEALTH_UP, now);
		return;
	}
	live_device_error(d, x->probe_stage ? "triton ready" : "healthz", code,
	                  err && *err ? err : "not ready");
	live_health_set(lv, x->device, HEALTH_DOWN, now);
	d->next_probe_s = now + PROBE_PERIOD_S;
}

static const struct xfer_ops probe_ops = { .done = probe_done };

void live_health_tick(struct lv_live *lv, int device, double now)
{
	struct live_dev *d = &lv->devs[device];
	if (d->health != HEALTH_UP && !d->probe_inflight && now >= d->next_probe_s) {
		probe_send(lv, device, 0);
		d->next_probe_s = now + PROBE_PERIOD_S;
	}
}

double live_health_next(const struct lv_live *lv)
{
	double t = INFINITY;
	for (size_t i = 0; i < lv->cluster->n_devices; i++) {
		const struct live_dev *d = &lv->devs[i];
		if (d->health != HEALTH_UP && !d->probe_inflight && d->next_probe_s < t)
			t = d->next_probe_s;
	}
	return t;
}
