/*
 * live_health: what the engine thread makes of each finished transfer —
 * a served or failed batch (reported to the engine), an answered clock
 * change, a telemetry sample, a probe — and the timers that poll telemetry
 * and probe devices that are not up. The health rules are described in
 * live_device.c; the telemetry is the agent's GET /telemetry
 * (agents/agent_worker.c): power_w, energy_j (cumulative since the agent
 * started), gpu_freq_hz, gpu_load_pct (each null when unknown) and
 * temperatures_c {sensor: celsius}, of which the hottest is shown.
 */
#include "live_internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "model/profile.h"
#include "sched/snapshot.h"
#include "base/util.h"

#define PROBE_PERIOD_S  0.5
#define PROBE_TIMEOUT_S 1.0

/* The state the engine should see: the operator's wish, then health. */
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

static void set_health(struct lv_live *lv, int device, enum live_health h, double now)
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
	live_events_health(lv, device, d->health, h);
	d->health = h;
	live_sync_state(lv, device, now);
}

static void note_error(struct live_dev *d, const char *fmt, const char *what, long code,
                       const char *err)
{
	char msg[96];
	snprintf(msg, sizeof(msg), "%s", err ? err : "");
	snprintf(d->last_error, sizeof(d->last_error), fmt, what, code, msg);
}

/* ---- batches -------------------------------------------------------------------- */

static const char *failure_reason(const struct xfer *x, int ok, long code)
{
	if (x->timed_out)
		return "device timed out";
	if (!ok && code == 0)
		return "device unreachable";
	if (code != 200)
		return "inference server error";
	return "bad inference response";
}

static void batch_finished(struct lv_live *lv, struct xfer *x, int ok, long code, const char *err,
                           double now)
{
	struct live_dev *d = &lv->devs[x->device];
	if (x->h) {
		d->n_infer--;
		d->work_s -= x->expected_s;
		if (d->n_infer == 0)
			d->work_s = 0;
	}
	char why[160] = "";
	int served = ok && code == 200 && live_infer_parse(lv, x, why, sizeof(why)) == LV_OK;
	if (served) {
		d->fails = 0;
		d->batches++;
		d->frames += (uint64_t)x->batch;
		live_record_batch(lv, x, 1, now);
		live_events_batch(lv, x, 1, now);
		lv_engine_batch_done(lv->engine, now, x->batch_id, 1, NULL);
		lv->events = 1;
		return;
	}
	if (!why[0]) {
		if (ok && code != 200)
			snprintf(why, sizeof(why), "HTTP %ld: %.100s", code,
			         x->resp.p ? x->resp.p : "");
		else
			snprintf(why, sizeof(why), "%s", err && *err ? err : "failed");
	}
	note_error(d, "%s: %ld %s", "infer", code, why);
	if (x->region)
		live_shm_drop(lv, x->device); /* the next batch registers afresh */
	d->fails++;
	if (d->fails >= lv->cfg.fail_threshold)
		set_health(lv, x->device, HEALTH_DOWN, now);
	else if (d->health == HEALTH_UP)
		set_health(lv, x->device, HEALTH_SUSPECT, now);
	live_record_batch(lv, x, 0, now);
	live_events_batch(lv, x, 0, now);
	lv_engine_batch_done(lv->engine, now, x->batch_id, 0, failure_reason(x, ok, code));
	lv->events = 1;
}

/* ---- telemetry ------------------------------------------------------------------- */

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* The hottest temperature listed, NAN when none. */
static double hottest(const cJSON *root)
{
	const cJSON *temps = cJSON_GetObjectItemCaseSensitive(root, "temperatures_c");
	double best = NAN;
	const cJSON *t;
	cJSON_ArrayForEach (t, temps) {
		double c = cJSON_IsNumber(t) ? t->valuedouble : NAN;
		if (isfinite(c) && !(c <= best))
			best = c;
	}
	return best;
}

/* The per-rail power object {"GPU": 0.3, ...}; rails beyond LV_SNAP_RAILS are dropped. */
static void read_rails(struct live_dev *d, const cJSON *root)
{
	const cJSON *rails = cJSON_GetObjectItemCaseSensitive(root, "rails_w");
	const cJSON *r;
	d->n_rails = 0;
	cJSON_ArrayForEach (r, rails) {
		if (d->n_rails == LV_SNAP_RAILS)
			break;
		if (!cJSON_IsNumber(r) || !r->string || !isfinite(r->valuedouble))
			continue;
		struct lv_snap_rail *o = &d->rails[d->n_rails++];
		snprintf(o->name, sizeof(o->name), "%s", r->string);
		o->power_w = r->valuedouble;
	}
}

static void telemetry_sample(struct lv_live *lv, struct xfer *x, const cJSON *root, double now)
{
	struct live_dev *d = &lv->devs[x->device];
	double p = num(root, "power_w"), e = num(root, "energy_j");
	double load = num(root, "gpu_load_pct"), hz = num(root, "gpu_freq_hz");
	double temp = hottest(root);
	read_rails(d, root);
	d->valid = 0;
	if (isfinite(p)) {
		d->power_w = p;
		d->valid |= LV_SNAP_HAS_POWER;
	}
	if (isfinite(load)) {
		d->load_pct = load;
		d->valid |= LV_SNAP_HAS_LOAD;
	}
	if (isfinite(temp)) {
		d->temp_c = temp;
		d->valid |= LV_SNAP_HAS_TEMP;
	}
	if (isfinite(e)) {
		if (!d->have_cum && d->tele_s == 0 && isfinite(p))
			d->energy_j += p * now; /* the time before the first sample */
		else if (d->have_cum)
			d->energy_j += e >= d->cum_j ? e - d->cum_j : e;
		d->cum_j = e;
		d->have_cum = 1;
		d->valid |= LV_SNAP_HAS_ENERGY;
	}
	d->tele_s = now;
	if (isfinite(hz) && hz > 0) {
		d->tele_hz = (uint64_t)hz;
		if (!d->owned_clock && !d->clock_busy && x->epoch == d->epoch &&
		    d->tele_hz != lv->cluster->devices[x->device].freq_hz &&
		    lv_engine_device_clock(lv->engine, now, x->device, d->tele_hz) == LV_OK) {
			d->sent_hz = d->tele_hz;
			lv->events = 1;
		}
	}
	live_record_telemetry(lv, x->device, now);
	live_timeline_sample(lv, x->device, now);
}

static void telemetry_finished(struct lv_live *lv, struct xfer *x, int ok, long code,
                               const char *err, double now)
{
	struct live_dev *d = &lv->devs[x->device];
	d->tele_inflight = 0;
	cJSON *root =
	    ok && code == 200 && x->resp.p ? cJSON_ParseWithLength(x->resp.p, x->resp.len) : NULL;
	if (cJSON_IsObject(root)) {
		d->tele_fails = 0;
		telemetry_sample(lv, x, root, now);
	} else {
		note_error(d, "%s: %ld %s", "telemetry", code,
		           err && *err ? err : "not a JSON object");
		if (++d->tele_fails >= lv->cfg.fail_threshold)
			set_health(lv, x->device, HEALTH_DOWN, now);
	}
	cJSON_Delete(root);
}

/* ---- probes and clock answers ------------------------------------------------------ */

static void probe_finished(struct lv_live *lv, struct xfer *x, int ok, long code, const char *err,
                           double now)
{
	struct live_dev *d = &lv->devs[x->device];
	const struct lv_device *dev = &lv->cluster->devices[x->device];
	d->probe_inflight = 0;
	if (ok && code == 200) {
		int triton_apart = dev->agent_url && dev->triton_url &&
		                   strcmp(dev->agent_url, dev->triton_url) != 0;
		if (x->probe_stage == 0 && triton_apart) {
			struct xfer *y = live_xfer_new(XF_PROBE, x->device);
			y->probe_stage = 1;
			if (live_xfer_start(lv, y, PROBE_TIMEOUT_S) == LV_OK)
				d->probe_inflight = 1;
			else
				live_xfer_free(lv, y);
			return;
		}
		set_health(lv, x->device, HEALTH_UP, now);
		return;
	}
	note_error(d, "%s: %ld %s", x->probe_stage ? "triton ready" : "healthz", code,
	           err && *err ? err : "not ready");
	set_health(lv, x->device, HEALTH_DOWN, now);
	d->next_probe_s = now + PROBE_PERIOD_S;
}

static void clock_finished(struct lv_live *lv, struct xfer *x, int ok, long code, const char *err,
                           double now)
{
	struct live_dev *d = &lv->devs[x->device];
	d->clock_busy = 0;
	d->epoch++;
	if (!(ok && code == 200)) {
		note_error(d, "%s: %ld %s", "set clock", code,
		           err && *err ? err : (x->resp.p ? x->resp.p : ""));
		d->sent_hz = 0; /* unknown: the next dispatch asks again */
	}
	live_device_pump(lv, x->device, now);
}

void live_xfer_finished(struct lv_live *lv, struct xfer *x, int ok, long code, const char *err,
                        double now)
{
	switch (x->kind) {
	case XF_INFER: batch_finished(lv, x, ok, code, err, now); break;
	case XF_CLOCK: clock_finished(lv, x, ok, code, err, now); break;
	case XF_TELEMETRY: telemetry_finished(lv, x, ok, code, err, now); break;
	case XF_PROBE: probe_finished(lv, x, ok, code, err, now); break;
	case XF_SHM_REG: live_shm_registered(lv, x, ok, code, err, now); break;
	case XF_SHM_UNREG: break; /* best effort: a server that forgot it is as good */
	}
	live_xfer_free(lv, x);
}

/* ---- timers ------------------------------------------------------------------------ */

void live_devices_tick(struct lv_live *lv, double now)
{
	double period = lv->cfg.telemetry_period_s;
	for (size_t i = 0; i < lv->cluster->n_devices; i++) {
		struct live_dev *d = &lv->devs[i];
		const struct lv_device *dev = &lv->cluster->devices[i];
		live_shm_tick(lv, (int)i, now);
		if (d->health != HEALTH_DOWN && dev->agent_url && !d->tele_inflight &&
		    now >= d->next_tele_s) {
			struct xfer *x = live_xfer_new(XF_TELEMETRY, (int)i);
			x->epoch = d->epoch;
			double timeout = 4 * period > 1.0 ? 4 * period : 1.0;
			if (live_xfer_start(lv, x, timeout) == LV_OK)
				d->tele_inflight = 1;
			else
				live_xfer_free(lv, x);
			d->next_tele_s = now + period;
		}
		if (d->health != HEALTH_UP && !d->probe_inflight && now >= d->next_probe_s) {
			struct xfer *x = live_xfer_new(XF_PROBE, (int)i);
			if (live_xfer_start(lv, x, PROBE_TIMEOUT_S) == LV_OK)
				d->probe_inflight = 1;
			else
				live_xfer_free(lv, x);
			d->next_probe_s = now + PROBE_PERIOD_S;
		}
	}
}

double live_devices_next(const struct lv_live *lv)
{
	double t = INFINITY;
	for (size_t i = 0; i < lv->cluster->n_devices; i++) {
		const struct live_dev *d = &lv->devs[i];
		if (d->health != HEALTH_DOWN && lv->cluster->devices[i].agent_url &&
		    !d->tele_inflight && d->next_tele_s < t)
			t = d->next_tele_s;
		if (d->health != HEALTH_UP && !d->probe_inflight && d->next_probe_s < t)
			t = d->next_probe_s;
	}
	return t;
}

double live_cluster_energy(const struct lv_live *lv, double now)
{
	double e = 0;
	for (size_t i = 0; i < lv->cluster->n_devices; i++) {
		const struct live_dev *d = &lv->devs[i];
		e += d->energy_j;
		if ((d->valid & LV_SNAP_HAS_POWER) && d->health != HEALTH_DOWN && now > d->tele_s)
			e += d->power_w * (now - d->tele_s);
	}
	return e;
}
