/*
 * live_events: what the live controller tells its readers beyond the
 * rolling figures — the event log (lv_live_log: policy switches, operator
 * commands, devices going down and up, failed batches, every dispatch at
 * debug level), each device's last batches, the last frames to end, the
 * tightest queued deadlines, and the last decision explained by the
 * policy's own code path (engine.h: lv_engine_explain_next). The snapshot
 * carries all of it (live_events_fill, from live_stats.c's build).
 *
 * Everything here runs on the engine thread, except the event log's
 * readers (it has its own lock). Costs are bounded: a dispatch logs one
 * line, a finished batch writes one ring slot, a frame one slot plus a
 * search of its device's LV_SNAP_BATCHES records; an explanation is asked
 * for at most every EXPLAIN_PERIOD_S.
 */
#include "live_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "model/profile.h"
#include "sched/snapshot.h"
#include "base/util.h"

#define LOG_EVENTS       2000
#define EXPLAIN_PERIOD_S 0.25

struct batch_rec {
	uint64_t batch_id;
	struct lv_snap_batch b;
};

struct live_events {
	struct lv_eventlog log;
	size_t n_dev;
	struct batch_rec *recs; /* n_dev × LV_SNAP_BATCHES rings */
	size_t *rec_next, *rec_n;
	struct lv_snap_frame frames[LV_SNAP_FRAMES]; /* ring */
	size_t frame_next, frame_n;
	struct lv_explain ex; /* the engine's sink while armed */
	int armed;
	struct lv_snap_decision last;
};

struct live_events *live_events_new(size_t n_devices)
{
	struct live_events *ev = lv_xcalloc(1, sizeof(*ev));
	size_t n = n_devices ? n_devices : 1;
	lv_eventlog_init(&ev->log, LOG_EVENTS);
	ev->n_dev = n_devices;
	ev->recs = lv_xcalloc(n * LV_SNAP_BATCHES, sizeof(*ev->recs));
	ev->rec_next = lv_xcalloc(n, sizeof(size_t));
	ev->rec_n = lv_xcalloc(n, sizeof(size_t));
	ev->last.at_s = -INFINITY;
	return ev;
}

void live_events_free(struct live_events *ev)
{
	if (!ev)
		return;
	lv_eventlog_fini(&ev->log);
	free(ev->recs);
	free(ev->rec_next);
	free(ev->rec_n);
	free(ev);
}

struct lv_eventlog *lv_live_log(struct lv_live *lv)
{
	return &lv->ev->log;
}

void live_note(struct lv_live *lv, enum lv_log_level level, const char *source, const char *fmt,
               ...)
{
	char text[LV_LOG_TEXT_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	lv_eventlog_add(&lv->ev->log, live_now(lv), level, source, "%s", text);
}

static double mhz(uint64_t hz)
{
	return (double)hz / 1e6;
}

void live_events_dispatch(struct lv_live *lv, const struct lv_action *a)
{
	const struct lv_device *d = &lv->cluster->devices[a->device];
	uint64_t hz = a->freq_hz ? a->freq_hz : d->freq_hz;
	live_note(lv, LV_LOG_DEBUG, "policy", "%s: batch of %d to %s at %.0f MHz, expect %.3f s",
	          lv_engine_policy(lv->engine)->label, a->batch, d->name, mhz(hz),
	          a->expected_latency_s);
}

void live_events_command(struct lv_live *lv, const struct cmd *c)
{
	const char *dev = c->device >= 0 ? lv->cluster->devices[c->device].name : "";
	switch (c->kind) {
	case CMD_POLICY:
		live_note(lv, LV_LOG_INFO, "policy", "switched to %s (asked: %s)",
		          lv_engine_policy(lv->engine)->label, c->spec);
		break;
	case CMD_PIN:
		if (c->hz && c->hz > lv->devs[c->device].pmode.gpu_max_hz &&
		    lv->devs[c->device].pmode.gpu_max_hz && lv->devs[c->device].clamp_hz)
			live_note(
			    lv, LV_LOG_INFO, dev,
			    "clock pinned at %.2f MHz, held at %.2f MHz by the power mode's cap",
			    mhz(c->hz), mhz(lv->devs[c->device].clamp_hz));
		else if (c->hz)
			live_note(lv, LV_LOG_INFO, dev, "clock pinned at %.2f MHz", mhz(c->hz));
		else
			live_note(lv, LV_LOG_INFO, dev, "clock released to the policy");
		break;
	case CMD_STATE:
		live_note(lv, LV_LOG_INFO, dev, "marked %s by the operator",
		          lv_dev_state_name(c->state));
		break;
	case CMD_RESTARTED: break; /* the launcher's events say it, and the device going down */
	}
}

void live_events_health(struct lv_live *lv, int device, int from, int to)
{
	const struct live_dev *d = &lv->devs[device];
	const char *name = lv->cluster->devices[device].name;
	if (to == HEALTH_DOWN)
		live_note(lv, LV_LOG_WARN, name, "down%s%s", d->last_error[0] ? ": " : "",
		          d->last_error);
	else if (to == HEALTH_UP && from == HEALTH_DOWN)
		live_note(lv, LV_LOG_INFO, name, "up again");
	else if (to == HEALTH_SUSPECT)
		live_note(lv, LV_LOG_DEBUG, name, "suspect after a failed batch: probing");
}

/* The cost table's energy of (freq, batch) on device i; NAN when it has none. */
static double table_energy(const struct lv_live *lv, int i, uint64_t hz, int batch)
{
	const struct lv_device *d = &lv->cluster->devices[i];
	const struct lv_cost_table *t = lv_device_cost(lv->cluster, d);
	int fi = lv_profile_freq_index(lv_device_profile(lv->cluster, d), hz);
	if (!t || fi < 0 || batch < 1 || batch > t->max_batch)
		return NAN;
	double e = lv_cost_energy(t, (size_t)fi, batch);
	return e > 0 ? e : NAN;
}

void live_events_batch(struct lv_live *lv, const struct xfer *x, int ok, const char *why,
                       double now)
{
	struct live_events *ev = lv->ev;
	size_t i = (size_t)x->device;
	struct batch_rec *r = &ev->recs[i * LV_SNAP_BATCHES + ev->rec_next[i]];
	ev->rec_next[i] = (ev->rec_next[i] + 1) % LV_SNAP_BATCHES;
	if (ev->rec_n[i] < LV_SNAP_BATCHES)
		ev->rec_n[i]++;
	uint64_t hz = x->freq_hz ? x->freq_hz : lv->cluster->devices[i].freq_hz;
	memset(r, 0, sizeof(*r));
	r->batch_id = x->batch_id;
	r->b.done_s = now;
	r->b.freq_hz = hz;
	r->b.batch = x->batch;
	r->b.expected_s = x->expected_s > 0 ? x->expected_s : NAN;
	r->b.latency_s = now - x->queued_s;
	r->b.energy_j = table_energy(lv, x->device, hz, x->batch);
	r->b.budget_s = NAN;
	r->b.e2e_s = NAN;
	r->b.failed = !ok;
	if (!ok)
		live_note(lv, LV_LOG_WARN, lv->cluster->devices[i].name, "batch of %d failed: %s",
		          x->batch, why ? why : lv->devs[i].last_error);
}

void live_events_frame(struct lv_live *lv, const struct lv_frame *f)
{
	struct live_events *ev = lv->ev;
	struct lv_snap_frame *o = &ev->frames[ev->frame_next];
	ev->frame_next = (ev->frame_next + 1) % LV_SNAP_FRAMES;
	if (ev->frame_n < LV_SNAP_FRAMES)
		ev->frame_n++;
	o->id = f->id;
	o->state = f->state;
	o->device = f->device;
	o->batch = f->device >= 0 ? f->batch : 0;
	o->arrival_s = f->arrival_s;
	o->done_s = f->done_s;
	o->budget_s = f->budget_s;
	if (f->device < 0 || (size_t)f->device >= ev->n_dev || !f->batch_id)
		return;
	struct batch_rec *recs = &ev->recs[(size_t)f->device * LV_SNAP_BATCHES];
	for (size_t k = 0; k < ev->rec_n[f->device]; k++) {
		struct lv_snap_batch *b = &recs[k].b;
		if (recs[k].batch_id != f->batch_id)
			continue;
		/* Keep the frame with the least slack: its latency against its own budget. */
		double e2e = f->done_s - f->arrival_s;
		if (isnan(b->e2e_s) || f->budget_s - e2e < b->budget_s - b->e2e_s) {
			b->e2e_s = e2e;
			b->budget_s = f->budget_s;
		}
		b->late += f->state == LV_FRAME_LATE;
		break;
	}
}

void live_events_arm(struct lv_live *lv, double now)
{
	struct live_events *ev = lv->ev;
	if (ev->armed || now - ev->last.at_s < EXPLAIN_PERIOD_S)
		return;
	memset(&ev->ex, 0, sizeof(ev->ex));
	ev->ex.max_alts = 6;
	lv_engine_explain_next(lv->engine, &ev->ex);
	ev->armed = 1;
}

void live_events_explained(struct lv_live *lv, double now)
{
	struct live_events *ev = lv->ev;
	size_t q;
	if (!ev->armed || !lv_engine_explained(lv->engine, &q))
		return;
	ev->armed = 0;
	ev->last.valid = 1;
	ev->last.at_s = now;
	ev->last.queue_len = q;
	ev->last.ex = ev->ex;
	snprintf(ev->last.policy, sizeof(ev->last.policy), "%s",
	         lv_engine_policy(lv->engine)->label);
}

void live_events_fill(const struct lv_live *lv, struct lv_snapshot *o)
{
	const struct live_events *ev = lv->ev;
	for (size_t i = 0; i < ev->n_dev && i < o->n_devices; i++) {
		struct lv_snap_device *d = &o->devices[i];
		const struct batch_rec *recs = &ev->recs[i * LV_SNAP_BATCHES];
		d->n_recent = ev->rec_n[i];
		for (size_t k = 0; k < d->n_recent; k++) /* newest first */
			d->recent[k] =
			    recs[(ev->rec_next[i] + LV_SNAP_BATCHES - 1 - k) % LV_SNAP_BATCHES].b;
	}
	o->n_frames_recent = ev->frame_n;
	for (size_t k = 0; k < ev->frame_n; k++)
		o->frames_recent[k] =
		    ev->frames[(ev->frame_next + LV_SNAP_FRAMES - 1 - k) % LV_SNAP_FRAMES];
	o->n_tightest = lv_engine_tightest(lv->engine, o->tightest_s, LV_SNAP_TIGHTEST);
	o->decision = ev->last;
	if (!ev->last.valid)
		o->decision.at_s = NAN;
}
