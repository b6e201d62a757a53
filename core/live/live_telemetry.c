/*
 * live_telemetry: each device's telemetry, polled every telemetry_period_s
 * from the agent's GET /telemetry (agents/agent_worker.c): power_w,
 * energy_j (cumulative since the agent started), gpu_freq_hz, gpu_load_pct
 * (each null when unknown), rails_w {rail: watts} and temperatures_c
 * {sensor: celsius}, of which the hottest is shown, and where the agent
 * knows them (a real board's tegrastats) emc_freq_hz, ram_used_bytes,
 * ram_total_bytes and cpu_load_pct — and the energy the controller
 * accounts from it.
 *
 * Energy. Each device's energy since the controller started is the sum of
 * the increases of the agent's cumulative counter (a counter that went back
 * — a restarted agent — counts from zero), plus, at the first sample, the
 * power then times the time since the start; between samples the last
 * power stands in (live_device_energy).
 *
 * Clock. Until the controller first sets a device's clock (live_device.c)
 * the clock telemetry reports is the engine's; after that it is shown only
 * (it lags by the clock-change delay). A sample sent before the latest
 * clock change (an older epoch) is not believed.
 *
 * Power mode. A real board's agent adds power_mode {id, name, gpu_max_hz}
 * (null when it cannot tell; absent or null in emulation). A change is
 * logged; with a new cap the clock is asked for afresh, held to it
 * (live_device.c), and an operator's pin is applied again at once. A
 * sample sent before an agent's refusal told the mode (a newer
 * pmode_epoch) is not believed about it: it could only say an older one.
 *
 * fail_threshold failed polls in a row make the device DOWN (live_health.c).
 */
#include "live_internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "live_pmode.h"
#include "model/cluster.h"
#include "sched/snapshot.h"
#include "base/util.h"

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

static int same_mode(const struct lv_snap_pmode *a, const struct lv_snap_pmode *b)
{
	return a->state == b->state && a->id == b->id && a->gpu_max_hz == b->gpu_max_hz &&
	       !strcmp(a->name, b->name);
}

/* The power mode the sample tells: a change is logged, and a new cap applies from now. */
static void read_pmode(struct lv_live *lv, int device, const cJSON *root, double now)
{
	struct live_dev *d = &lv->devs[device];
	struct lv_snap_pmode m;
	lv_pmode_from_telemetry(root, &m);
	if (same_mode(&m, &d->pmode))
		return;
	const char *name = lv->cluster->devices[device].name;
	char was[64], is[64];
	lv_pmode_label(&d->pmode, was, sizeof(was));
	lv_pmode_label(&m, is, sizeof(is));
	if (m.state == LV_SNAP_PMODE_KNOWN && m.gpu_max_hz)
		live_note(lv, LV_LOG_INFO, name, "power mode %s: GPU cap %.2f MHz%s%s", is,
		          (double)m.gpu_max_hz / 1e6, d->pmode.state ? ", was " : "",
		          d->pmode.state ? was : "");
	else if (m.state != LV_SNAP_PMODE_NONE)
		live_note(lv, LV_LOG_INFO, name, "power mode %s%s%s%s", is,
		          m.state == LV_SNAP_PMODE_KNOWN ? ": no GPU cap" : "",
		          d->pmode.state ? ", was " : "", d->pmode.state ? was : "");
	int new_cap = m.gpu_max_hz != d->pmode.gpu_max_hz;
	d->pmode = m;
	if (!new_cap)
		return;
	/* the policies choose among the clocks within it from now on */
	lv_engine_device_cap(lv->engine, now, device,
	                     m.state == LV_SNAP_PMODE_KNOWN ? m.gpu_max_hz : 0);
	d->clamp_noted_hz = 0; /* a clamp under this cap is news again */
	d->clamp_asked_hz = d->clamp_hz = 0;
	if (d->owned_clock)
		d->sent_hz = 0; /* nvpmodel rewrote the range: the next clock is asked afresh */
	if (d->pin_hz) {
		uint64_t hz = live_set_clock(lv, device, d->pin_hz, 0, now);
		if (hz)
			lv_engine_device_clock(lv->engine, now, device, hz);
	}
}

static void telemetry_sample(struct lv_live *lv, struct xfer *x, const cJSON *root, double now)
{
	struct live_dev *d = &lv->devs[x->device];
	double p = num(root, "power_w"), e = num(root, "energy_j");
	double load = num(root, "gpu_load_pct"), hz = num(root, "gpu_freq_hz");
	double temp = hottest(root);
	read_rails(d, root);
	if (x->pmode_epoch == d->pmode_epoch) /* else it predates what a refusal told */
		read_pmode(lv, x->device, root, now);
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
	double emc = num(root, "emc_freq_hz"), used = num(root, "ram_used_bytes");
	double total = num(root, "ram_total_bytes"), cpu = num(root, "cpu_load_pct");
	if (isfinite(emc) && emc > 0 && emc < 1e12) {
		d->emc_freq_hz = (uint64_t)emc;
		d->valid |= LV_SNAP_HAS_EMC;
	}
	if (isfinite(used) && isfinite(total) && used >= 0 && total > 0 && used <= total &&
	    total < 1e15) {
		d->ram_used_bytes = (uint64_t)used;
		d->ram_total_bytes = (uint64_t)total;
		d->valid |= LV_SNAP_HAS_RAM;
	}
	if (isfinite(cpu) && cpu >= 0 && cpu <= 100) {
		d->cpu_load_pct = cpu;
		d->valid |= LV_SNAP_HAS_CPU;
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

static void telemetry_done(struct lv_live *lv, struct xfer *x, int ok, long code, const char *err,
                           double now)
{
	struct live_dev *d = &lv->devs[x->device];
	d->tele_inflight = 0;
	cJSON *root =
	    ok && code == 200 && x->resp.p ? cJSON_ParseWithLength(x->resp.p, x->resp.len) : NULL;
	if (cJSON_IsObject(root)) {
		d->tele_fails = 0;
		telemetry_sample(lv, x, root, now);
	} else {
		live_device_error(d, "telemetry", code, err && *err ? err : "not a JSON object");
		if (++d->tele_fails >= lv->cfg.fail_threshold)
			live_health_set(lv, x->device, HEALTH_DOWN, now);
	}
	cJSON_Delete(root);
}

static const struct xfer_ops telemetry_ops = { .done = telemetry_done };

/* Polled: a device not down, with an agent, and no poll of it in flight. */
static int polled(const struct lv_live *lv, size_t i)
{
	const struct live_dev *d = &lv->devs[i];
	return d->health != HEALTH_DOWN && lv->cluster->devices[i].agent_url && !d->tele_inflight;
}

void live_telemetry_tick(struct lv_live *lv, int device, double now)
{
	struct live_dev *d = &lv->devs[device];
	double period = lv->cfg.telemetry_period_s;
	if (!polled(lv, (size_t)device) || now < d->next_tele_s)
		return;
	struct xfer *x = live_xfer_new(XF_TELEMETRY, device, &telemetry_ops);
	x->epoch = d->epoch;
	x->pmode_epoch = d->pmode_epoch;
	double timeout = 4 * period > 1.0 ? 4 * period : 1.0;
	if (live_xfer_start(lv, x, timeout) == LV_OK)
		d->tele_inflight = 1;
	else
		live_xfer_free(lv, x);
	d->next_tele_s = now + period;
}

double live_telemetry_next(const struct lv_live *lv)
{
	double t = INFINITY;
	for (size_t i = 0; i < lv->cluster->n_devices; i++)
		if (polled(lv, i) && lv->devs[i].next_tele_s < t)
			t = lv->devs[i].next_tele_s;
	return t;
}

double live_device_energy(const struct lv_live *lv, size_t i, double now)
{
	const struct live_dev *d = &lv->devs[i];
	double e = d->energy_j;
	if ((d->valid & LV_SNAP_HAS_POWER) && d->health != HEALTH_DOWN && now > d->tele_s)
		e += d->power_w * (now - d->tele_s);
	return e;
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
