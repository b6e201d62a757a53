/*
 * live_health: whether each device may take work — its health, the state
 * the engine sees (the operator's wish, then health), and the probes that
 * bring a device back.
 *
 * A failed batch (live_dispatch.c) makes the device SUSPECT — draining for
 * the engine, so the failed frames' retry, queued at the same instant,
 * cannot pick it — and probes it at once: GET /healthz on the agent, then
 * GET /v2/health/ready on Triton when that is elsewhere, then the model's
 * ready. An answer makes it UP again; Triton answering that it or the model
 * is not ready makes it DOWN with the reason from Triton's repository index
 * ("model not loaded: ..."), so a Triton that could not load the weights
 * fails one batch, not every batch sent to it; no answer, fail_threshold failed batches in a row,
 * or fail_threshold failed telemetry polls (live_telemetry.c) make it DOWN, probed every
 * PROBE_PERIOD_S until it answers. A device that comes back up from DOWN (perhaps a restarted
 * agent: lv_live_device_restarted puts it DOWN so that this happens) starts over with its governor,
 * with no shared-memory regions (a restarted Triton knows none), and is sent the clock the operator
 * pinned again (a restarted agent has forgotten it).
 */
#include "live_internal.h"

#include <cjson/cJSON.h>
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
		live_set_clock(lv, device, d->pin_hz, 0, now);
}

/* ---- probes ----------------------------------------------------------------------- */

static const struct xfer_ops probe_ops;

/*
 * Sends a probe's stage: PROBE_AGENT (the agent's /healthz), PROBE_TRITON
 * (Triton's /v2/health/ready, when Triton is elsewhere), PROBE_MODEL (the
 * model's ready) or PROBE_INDEX (the repository index, for the reason a
 * model is not loaded).
 */
static void probe_send(struct lv_live *lv, int device, int stage)
{
	struct xfer *x = live_xfer_new(XF_PROBE, device, &probe_ops);
	x->probe_stage = stage;
	if (live_xfer_start(lv, x, PROBE_TIMEOUT_S) == LV_OK)
		lv->devs[device].probe_inflight = 1;
	else
		live_xfer_free(lv, x);
}

/*
 * The model is not loaded: "model not loaded: <reason>" from the repository
 * index's entry for it (the body of a PROBE_INDEX answer), or the status the
 * model's ready gave when the index says nothing.
 */
static void not_loaded(struct lv_live *lv, struct live_dev *d, const struct xfer *x, long code)
{
	char reason[200] = "";
	const char *model = lv->cfg.model.name;
	cJSON *idx = x->probe_stage == PROBE_INDEX && code == 200
	                 ? cJSON_ParseWithLength(x->resp.p ? x->resp.p : "", x->resp.len)
	                 : NULL;
	const cJSON *e;
	if (!cJSON_IsArray(idx)) {
		cJSON_Delete(idx);
		idx = NULL;
	}
	cJSON_ArrayForEach (e, idx) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
		const cJSON *why = cJSON_GetObjectItemCaseSensitive(e, "reason");
		const cJSON *state = cJSON_GetObjectItemCaseSensitive(e, "state");
		if (!cJSON_IsString(name) || strcmp(name->valuestring, model) != 0)
			continue;
		if (cJSON_IsString(why) && why->valuestring[0])
			snprintf(reason, sizeof(reason), "%s", why->valuestring);
		else if (cJSON_IsString(state))
			snprintf(reason, sizeof(reason), "state %s", state->valuestring);
		break;
	}
	cJSON_Delete(idx);
	int n = snprintf(d->last_error, sizeof(d->last_error), "model not loaded: %s",
	                 reason[0] ? reason : "Triton does not say why");
	if (n >= (int)sizeof(d->last_error))
		d->last_error[sizeof(d->last_error) - 1] = '\0';
}

static void probe_done(struct lv_live *lv, struct xfer *x, int ok, long code, const char *err,
                       double now)
{
	struct live_dev *d = &lv->devs[x->device];
	const struct lv_device *dev = &lv->cluster->devices[x->device];
	int stage = x->probe_stage;
	d->probe_inflight = 0;
	if (stage == PROBE_INDEX) {
		not_loaded(lv, d, x, ok ? code : 0);
	} else if (ok && code == 200) {
		int triton_apart = dev->agent_url && dev->triton_url &&
		                   strcmp(dev->agent_url, dev->triton_url) != 0;
		if (stage == PROBE_AGENT) {
			probe_send(lv, x->device, triton_apart ? PROBE_TRITON : PROBE_MODEL);
			return;
		}
		if (stage == PROBE_TRITON) {
			probe_send(lv, x->device, PROBE_MODEL);
			return;
		}
		live_health_set(lv, x->device, HEALTH_UP, now);
		return;
	} else if (ok && code >= 400 && code < 600 && stage != PROBE_AGENT) {
		/* Triton answered that it or the model is not ready: ask it why. */
		probe_send(lv, x->device, PROBE_INDEX);
		if (d->probe_inflight)
			return;
		not_loaded(lv, d, x, code);
	} else {
		live_device_error(d,
		                  stage == PROBE_AGENT    ? "healthz"
		                  : stage == PROBE_TRITON ? "triton ready"
		                                          : "model ready",
		                  code, err && *err ? err : "not ready");
	}
	live_health_set(lv, x->device, HEALTH_DOWN, now);
	d->next_probe_s = now + PROBE_PERIOD_S;
}

static const struct xfer_ops probe_ops = { .done = probe_done };

void live_health_tick(struct lv_live *lv, int device, double now)
{
	struct live_dev *d = &lv->devs[device];
	if (d->health != HEALTH_UP && !d->probe_inflight && now >= d->next_probe_s) {
		probe_send(lv, device, PROBE_AGENT);
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
