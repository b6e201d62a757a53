/*
 * live_device: each device's order of work and its clock, as the engine
 * thread drives them over HTTP.
 *
 * Order. A clock change (PUT /gpu/frequency) holds back the device's later
 * work until the agent has answered, so a batch meant for the new clock
 * never overtakes it (a shared-memory registration, live_shm.c, likewise);
 * batches themselves go out at once, several per device if the policy
 * dispatches so (Triton queues them, one model instance). Whoever makes a
 * transfer for a device queues it here (live_device_queue) and it starts
 * when nothing holds the device; the registration's and the clock's
 * answers let the rest go (live_device_pump).
 *
 * Clock. Until the controller first sets a device's clock the device runs
 * its own governor (live_telemetry.c reports its clock to the engine);
 * after that the clock is the policy's, or the operator's while pinned. A
 * clock change that fails leaves the clock unknown, so the next dispatch
 * asks again.
 *
 * Power mode. A real board's nvpmodel mode may cap the GPU clock, and its
 * agent refuses a pin above the cap (409). So once the cap is known (from
 * telemetry, or from the refusal itself) a clock above it is never asked
 * for: the highest of the kind's clocks within it is, the engine is told
 * that is the clock the device gets, and the clamp is logged and counted
 * once per cap, not at every dispatch. A refusal whose cap cannot be read
 * is a device error as before, and asks for telemetry at once.
 */
#include "live_internal.h"

#include <stdio.h>

#include "live_pmode.h"
#include "model/cluster.h"
#include "model/profile.h"
#include "base/util.h"

#define CLOCK_TIMEOUT_S   5.0
#define SHM_REG_TIMEOUT_S 2.0

void live_device_error(struct live_dev *d, const char *what, long code, const char *err)
{
	char msg[96];
	snprintf(msg, sizeof(msg), "%s", err && *err ? err : "failed");
	/* Code 0 is no HTTP answer at all (refused, timed out): say what happened, not "0". */
	int n; /* a longer message is cut to the field, on purpose */
	if (code > 0)
		n = snprintf(d->last_error, sizeof(d->last_error), "%s: HTTP %ld %s", what, code,
		             msg);
	else
		n = snprintf(d->last_error, sizeof(d->last_error), "%s: %s", what, msg);
	if (n >= (int)sizeof(d->last_error))
		d->last_error[sizeof(d->last_error) - 1] = '\0';
}

/* ---- work order ---------------------------------------------------------------- */

/* x goes first: ahead of the work that was waiting behind a refused clock change. */
static void enqueue_front(struct live_dev *d, struct xfer *x)
{
	x->next = d->wait_head;
	d->wait_head = x;
	if (!d->wait_tail)
		d->wait_tail = x;
}

static void enqueue(struct live_dev *d, struct xfer *x)
{
	x->next = NULL;
	if (d->wait_tail)
		d->wait_tail->next = x;
	else
		d->wait_head = x;
	d->wait_tail = x;
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
			live_xfer_defer(lv, x);
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

void live_device_queue(struct lv_live *lv, int device, struct xfer *x, double now)
{
	enqueue(&lv->devs[device], x);
	live_device_pump(lv, device, now);
}

void live_device_infer_ended(struct lv_live *lv, const struct xfer *x)
{
	struct live_dev *d = &lv->devs[x->device];
	if (!x->h)
		return; /* never started: never counted */
	d->n_infer--;
	d->work_s -= x->expected_s;
	if (d->n_infer == 0)
		d->work_s = 0;
}

void live_devices_abort(struct lv_live *lv)
{
	live_xfers_abort(lv);
	for (size_t i = 0; i < lv->cluster->n_devices; i++) {
		struct live_dev *d = &lv->devs[i];
		while (d->wait_head) {
			struct xfer *x = d->wait_head;
			d->wait_head = x->next;
			live_xfer_free(lv, x);
		}
		d->wait_tail = NULL;
		d->clock_busy = 0;
		d->shm_busy = 0;
		d->n_infer = 0;
		d->work_s = 0;
		d->tele_inflight = d->probe_inflight = 0;
	}
}

/* ---- clock ------------------------------------------------------------------------- */

static double mhz(uint64_t hz)
{
	return (double)hz / 1e6;
}

/*
 * hz held to the device's power mode: hz, or the highest clock of its kind
 * within the cap (0: none is). A clamp is logged and counted the first
 * time this cap holds a clock down.
 */
static uint64_t clamp(struct lv_live *lv, int device, uint64_t hz)
{
	struct live_dev *d = &lv->devs[device];
	const struct lv_device *dev = &lv->cluster->devices[device];
	const struct lv_profile *p = lv_device_profile(lv->cluster, dev);
	uint64_t got = lv_pmode_clamp(&d->pmode, p->freqs_hz, p->n_freqs, hz);
	if (got == hz)
		return hz;
	d->clamp_asked_hz = hz;
	d->clamp_hz = got;
	if (d->clamp_noted_hz != d->pmode.gpu_max_hz) {
		char mode[64];
		d->clamp_noted_hz = d->pmode.gpu_max_hz;
		d->clock_clamps++;
		lv_pmode_label(&d->pmode, mode, sizeof(mode));
		if (got)
			live_note(lv, LV_LOG_WARN, dev->name,
			          "clock %.2f MHz is above the GPU cap of power mode %s, %.2f MHz: "
			          "held at %.2f MHz while the mode lasts",
			          mhz(hz), mode, mhz(d->pmode.gpu_max_hz), mhz(got));
		else
			live_note(lv, LV_LOG_WARN, dev->name,
			          "the GPU cap of power mode %s, %.2f MHz, is below every clock of "
			          "%s: the clock is left to the board",
			          mode, mhz(d->pmode.gpu_max_hz), p->kind);
	}
	return got;
}

static struct xfer *clock_xfer(struct lv_live *lv, int device, uint64_t hz, int boost);

/*
 * A 409 to a clock change: the board's power mode caps the clock below
 * it. With the cap read from the answer, the mode is learnt and the clamped
 * clock asked for at once, ahead of the waiting work: 1. Else 0.
 */
static int refused_above_cap(struct lv_live *lv, struct xfer *x, double now)
{
	struct live_dev *d = &lv->devs[x->device];
	struct lv_snap_pmode m;
	if (!x->resp.p || lv_pmode_from_refusal(x->resp.p, x->resp.len, &m) != LV_OK)
		return 0;
	if (x->put_hz <= m.gpu_max_hz)
		return 0; /* a refusal that contradicts itself: an error, as any other */
	d->pmode = m;
	d->pmode_epoch++;
	lv_engine_device_cap(lv->engine, now, x->device, m.gpu_max_hz);
	live_note(lv, LV_LOG_INFO, lv->cluster->devices[x->device].name,
	          "the agent refused %.2f MHz: power mode %s caps the GPU at %.2f MHz",
	          mhz(x->put_hz), m.name[0] ? m.name : "?", mhz(m.gpu_max_hz));
	uint64_t hz = clamp(lv, x->device, x->put_hz);
	for (const struct xfer *w = d->wait_head; w; w = w->next)
		if (w->kind == XF_CLOCK)
			return 1; /* a later change decides (telemetry told the cap first) */
	d->sent_hz = 0;
	if (!hz)
		return 1; /* nothing within the cap (noted): the clock is left to the board */
	struct xfer *again = clock_xfer(lv, x->device, hz, x->put_now);
	lv_engine_device_clock(lv->engine, now, x->device, hz);
	enqueue_front(d, again);
	return 1;
}

static void clock_done(struct lv_live *lv, struct xfer *x, int ok, long code, const char *err,
                       double now)
{
	struct live_dev *d = &lv->devs[x->device];
	d->clock_busy = 0;
	d->epoch++;
	if (ok && code == 409 && refused_above_cap(lv, x, now)) {
		lv->events = 1;
	} else if (!(ok && code == 200)) {
		live_device_error(d, "set clock", code,
		                  err && *err ? err : (x->resp.p ? x->resp.p : ""));
		d->sent_hz = 0; /* unknown: the next dispatch asks again */
		if (code == 409)
			d->next_tele_s = now; /* perhaps a power mode: telemetry says which */
	}
	live_device_pump(lv, x->device, now);
}

static const struct xfer_ops clock_ops = { .done = clock_done };

/* A clock change to hz, counted as sent (the caller queues it). */
static struct xfer *clock_xfer(struct lv_live *lv, int device, uint64_t hz, int boost)
{
	struct live_dev *d = &lv->devs[device];
	struct xfer *x = live_xfer_new(XF_CLOCK, device, &clock_ops);
	x->put_hz = hz;
	x->put_now = boost;
	d->sent_hz = hz;
	d->owned_clock = 1;
	d->epoch++;
	return x;
}

uint64_t live_set_clock(struct lv_live *lv, int device, uint64_t hz, int boost, double now)
{
	struct live_dev *d = &lv->devs[device];
	if (d->pin_hz && hz != d->pin_hz) {
		/* The operator pinned it: the engine learns the clock stays. */
		uint64_t pin = clamp(lv, device, d->pin_hz);
		if (pin)
			lv_engine_device_clock(lv->engine, now, device, pin);
		return pin;
	}
	uint64_t want = clamp(lv, device, hz);
	if (!want)
		return 0;
	if (want != hz)
		lv_engine_device_clock(lv->engine, now, device, want);
	if ((want == d->sent_hz && !boost) || !lv->cluster->devices[device].agent_url)
		return want;
	live_device_queue(lv, device, clock_xfer(lv, device, want, boost), now);
	return want;
}
