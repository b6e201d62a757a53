/*
 * live_dispatch: a batch the engine dispatched, from its transfer to its
 * end — the frames' tensors gathered (live_infer.c), the clock it wants
 * asked for, its transport chosen (a shared-memory region on a Triton on
 * this host, live_shm.c, else the HTTP body), and its place in the
 * device's order (live_device.c); then, when the transfer ends, what the
 * batch came to: served (Triton's answer decoded into the frames'
 * results) or failed (the device's health told), and either way the
 * engine, the store and the event log.
 *
 * A failed batch (HTTP error, timeout, bad answer) makes the device
 * SUSPECT, or DOWN after fail_threshold failures in a row (live_health.c);
 * one that failed through a region drops the device's regions, so the next
 * batch registers afresh. A batch the device refused (4xx) for one frame's
 * input, named in its answer as "element N: ..." (a JPEG that does not
 * decode, which the front end passes on unread), is no fault of the device:
 * that frame alone fails, the others go back to the queue, and the
 * device's health is left as it was — unless it refuses fail_threshold
 * batches in a row with none served between, which says more of the device
 * (a wrong model, say) than of the frames: that one fails as any other.
 */
#include "live_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/cluster.h"
#include "model/cost.h"
#include "model/profile.h"
#include "base/util.h"

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

/*
 * The frame of the batch whose input the device refused: "element N:" in a
 * 4xx answer's text, N within the batch; -1 when the answer names none.
 */
static int refused_element(const struct xfer *x, int ok, long code)
{
	if (!ok || code < 400 || code >= 500 || !x->resp.p)
		return -1;
	for (const char *m = strstr(x->resp.p, "element "); m; m = strstr(m + 1, "element ")) {
		const char *p = m + 8;
		long k = 0;
		int digits = 0;
		while (*p >= '0' && *p <= '9' && digits < 7) {
			k = k * 10 + (*p++ - '0');
			digits++;
		}
		if (digits > 0 && *p == ':' && k < x->batch)
			return (int)k;
	}
	return -1;
}

/* The device refused frame k's input: k fails, the rest are queued again; the device is fine. */
static void batch_refused(struct lv_live *lv, struct xfer *x, int k, long code, double now)
{
	char msg[320];
	snprintf(msg, sizeof(msg),
	         "frame %llu refused (HTTP %ld: %.200s); the other %d go back to the queue",
	         (unsigned long long)x->frame_ids[k], code, x->resp.p, x->batch - 1);
	live_record_batch(lv, x, 0, now);
	live_events_batch(lv, x, 0, msg, now);
	lv_engine_batch_refused(lv->engine, now, x->batch_id, k,
	                        "the device refused its image (the event log says why)");
	lv->events = 1;
}

static void batch_done(struct lv_live *lv, struct xfer *x, int ok, long code, const char *err,
                       double now)
{
	struct live_dev *d = &lv->devs[x->device];
	live_device_infer_ended(lv, x);
	char why[160] = "";
	int refused = refused_element(x, ok, code);
	if (refused >= 0 && ++d->refused_row < lv->cfg.fail_threshold) {
		batch_refused(lv, x, refused, code, now);
		return;
	}
	int served = ok && code == 200 && live_infer_parse(lv, x, why, sizeof(why)) == LV_OK;
	if (served) {
		d->fails = 0;
		d->refused_row = 0;
		d->batches++;
		d->frames += (uint64_t)x->batch;
		live_record_batch(lv, x, 1, now);
		live_events_batch(lv, x, 1, NULL, now);
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
	live_device_error(d, "infer", code, why);
	if (x->region)
		live_shm_drop(lv, x->device); /* the next batch registers afresh */
	d->fails++;
	if (d->fails >= lv->cfg.fail_threshold)
		live_health_set(lv, x->device, HEALTH_DOWN, now);
	else if (d->health == HEALTH_UP)
		live_health_set(lv, x->device, HEALTH_SUSPECT, now);
	live_record_batch(lv, x, 0, now);
	live_events_batch(lv, x, 0, NULL, now);
	lv_engine_batch_done(lv->engine, now, x->batch_id, 0, failure_reason(x, ok, code));
	lv->events = 1;
}

/* The batch's region, if it has one, is free again (or freed, if it was dropped meanwhile). */
static void batch_release(struct lv_live *lv, struct xfer *x)
{
	live_shm_detach(lv, x);
}

static const struct xfer_ops batch_ops = { .done = batch_done, .release = batch_release };

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
	struct xfer *x = live_xfer_new(XF_INFER, a->device, &batch_ops);
	x->freq_hz = a->freq_hz;
	x->queued_s = now;
	x->expected_s = expected_latency(lv, a);
	if (live_infer_build(lv, x, a) != LV_OK) {
		live_xfer_defer(lv, x);
		return;
	}
	if (a->freq_hz) { /* the clock it really runs at: held to a pin or a power mode's cap */
		x->freq_hz = live_set_clock(lv, a->device, a->freq_hz, 0, now);
		if (x->freq_hz && x->freq_hz != a->freq_hz) /* its frames say so too */
			lv_engine_batch_clock(lv->engine, a->batch_id, x->freq_hz);
	}
	struct xfer *reg = live_shm_attach(lv, x, now);
	if (reg)
		live_device_queue(lv, a->device, reg, now);
	live_infer_header(lv, x); /* for the region, or for the body */
	lv->devs[a->device].wire_bytes += x->data_bytes;
	lv->devs[a->device].last_batch = a->batch;
	live_device_queue(lv, a->device, x, now);
}
