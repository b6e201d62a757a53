/*
 * engine: events in, actions out; the frame lifecycle and its accounting.
 * See engine.h for the contract.
 *
 * Storage. Frames live in a slab of slots (free list, grows by doubling on
 * arrival — never during a decision); batches likewise, each with room for
 * the cluster's largest max batch. Actions accumulate in a growable array
 * that the driver clears. A frame's slot is freed when it reaches a terminal
 * state (after its FRAME_FINAL action has copied it).
 *
 * Conservation. received = queued + in flight + the five terminal counts is
 * checked by assert after every entry point (check_conservation), so a lost
 * or double-counted frame stops a test at the event that caused it.
 */
#include "engine.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/profile.h"
#include "base/util.h"

#define NO_SLOT UINT32_MAX

struct batch {
	uint64_t id; /* 0 when the slot is free */
	int device;
	uint64_t freq_hz;
	int n;
	uint32_t *slots;     /* frame slots, n entries (room for max_batch) */
	uint64_t *frame_ids; /* the same frames' ids, handed out in DISPATCH */
	uint32_t next_free;
	int held;         /* counts in its device's inflight (busy_timer: until release_s) */
	double release_s; /* busy_timer: when the device stops counting it; +INF otherwise */
};

struct lv_engine {
	struct lv_cluster *cluster;
	struct lv_policy *policy;
	struct lv_engine_config cfg;

	struct lv_frame *frames;   /* slab */
	uint32_t *frame_next_free; /* free-list links */
	uint32_t frame_free, frame_cap;

	struct batch *batches;
	uint32_t batch_free, batch_cap;
	int batch_room; /* slots per batch */
	uint64_t next_batch_id;

	struct lv_queue queue;
	uint64_t next_frame_id;

	struct lv_action *actions;
	size_t n_actions, cap_actions;

	struct lv_clock_set *clock_buf; /* decision scratch, n_devices entries */
	double policy_next_s;
	double last_now;

	uint64_t inflight_frames;
	struct lv_engine_counts counts;
	double arrived_budget_s; /* least budget submitted since the last step; +INF none */
	size_t n_timed;          /* batches held by a busy timer */
	double next_release_s;   /* the earliest of their release_s; +INF when none */

	struct lv_explain *explain; /* sink for the next decision with frames queued; NULL none */
	size_t explain_queue;       /* the queue it saw */
	int explained;              /* the sink was filled since lv_engine_explain_next */
};

const char *lv_frame_state_name(enum lv_frame_state s)
{
	static const char *const names[LV_FRAME_NSTATES] = {
		"queued", "inflight", "ok", "late", "failed", "expired", "rejected",
	};
	return (unsigned)s < LV_FRAME_NSTATES ? names[s] : "?";
}

void lv_engine_config_default(struct lv_engine_config *cfg)
{
	cfg->default_budget_s = 20.0;
	cfg->expire_grace_s = 30.0;
	cfg->max_queue = 1000000;
	cfg->retry_failed = 1;
}

static void check_conservation(const struct lv_engine *e)
{
	const struct lv_engine_counts *c = &e->counts;
	uint64_t terminal = 0;
	for (int s = LV_FRAME_OK; s < LV_FRAME_NSTATES; s++)
		terminal += c->by_state[s];
	assert(c->received == lv_queue_len(&e->queue) + e->inflight_frames + terminal);
	assert(c->by_state[LV_FRAME_QUEUED] == lv_queue_len(&e->queue));
	assert(c->by_state[LV_FRAME_INFLIGHT] == e->inflight_frames);
	(void)c;
	(void)terminal;
}

struct lv_engine *lv_engine_new(struct lv_cluster *c, struct lv_policy *p,
                                const struct lv_engine_config *cfg, double now)
{
	struct lv_engine *e = lv_xcalloc(1, sizeof(*e));
	e->cluster = c;
	e->policy = p;
	if (cfg)
		e->cfg = *cfg;
	else
		lv_engine_config_default(&e->cfg);
	e->frame_free = NO_SLOT;
	e->batch_free = NO_SLOT;
	e->batch_room = c->largest_max_batch > 0 ? c->largest_max_batch : 1;
	e->next_batch_id = 1;
	e->next_frame_id = 1;
	lv_queue_init(&e->queue);
	e->clock_buf = lv_xmalloc((c->n_devices ? c->n_devices : 1) * sizeof(*e->clock_buf));
	e->policy_next_s = now;
	e->last_now = now;
	e->next_release_s = INFINITY;
	e->arrived_budget_s = INFINITY;
	for (size_t i = 0; i < c->n_devices; i++) {
		c->devices[i].inflight = 0;
		c->devices[i].idle_since_s = now;
	}
	return e;
}

void lv_engine_free(struct lv_engine *e)
{
	if (!e)
		return;
	for (uint32_t i = 0; i < e->batch_cap; i++) {
		free(e->batches[i].slots);
		free(e->batches[i].frame_ids);
	}
	free(e->batches);
	free(e->frames);
	free(e->frame_next_free);
	free(e->actions);
	free(e->clock_buf);
	lv_queue_fini(&e->queue);
	lv_policy_free(e->policy);
	free(e);
}

void lv_engine_set_policy(struct lv_engine *e, struct lv_policy *p)
{
	lv_policy_free(e->policy);
	e->policy = p;
	e->policy_next_s = e->last_now;
}

const struct lv_policy *lv_engine_policy(const struct lv_engine *e)
{
	return e->policy;
}

const struct lv_cluster *lv_engine_cluster(const struct lv_engine *e)
{
	return e->cluster;
}

static struct lv_action *push_action(struct lv_engine *e, enum lv_action_kind kind)
{
	if (e->n_actions == e->cap_actions) {
		e->cap_actions = e->cap_actions ? e->cap_actions * 2 : 64;
		e->actions = lv_xrealloc(e->actions, e->cap_actions * sizeof(*e->actions));
	}
	struct lv_action *a = &e->actions[e->n_actions++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->device = -1;
	return a;
}

size_t lv_engine_actions(const struct lv_engine *e, const struct lv_action **out)
{
	*out = e->actions;
	return e->n_actions;
}

void lv_engine_clear_actions(struct lv_engine *e)
{
	e->n_actions = 0;
}

/* ---- frame slab --------------------------------------------------------- */

static uint32_t frame_alloc(struct lv_engine *e)
{
	if (e->frame_free == NO_SLOT) {
		uint32_t old = e->frame_cap;
		uint32_t cap = old ? old * 2 : 256;
		e->frames = lv_xrealloc(e->frames, cap * sizeof(*e->frames));
		e->frame_next_free = lv_xrealloc(e->frame_next_free, cap * sizeof(uint32_t));
		for (uint32_t i = old; i < cap; i++)
			e->frame_next_free[i] = i + 1 < cap ? i + 1 : NO_SLOT;
		e->frame_free = old;
		e->frame_cap = cap;
		lv_queue_reserve_slots(&e->queue, cap);
	}
	uint32_t s = e->frame_free;
	e->frame_free = e->frame_next_free[s];
	return s;
}

static void frame_release(struct lv_engine *e, uint32_t s)
{
	e->frame_next_free[s] = e->frame_free;
	e->frame_free = s;
}

/* Moves a non-terminal frame to a terminal state and reports it. */
static void frame_finish(struct lv_engine *e, uint32_t s, enum lv_frame_state st, double now,
                         const char *reason)
{
	struct lv_frame *f = &e->frames[s];
	assert(st >= LV_FRAME_OK);
	e->counts.by_state[f->state]--;
	f->state = st;
	f->done_s = now;
	f->reason = reason;
	e->counts.by_state[st]++;
	struct lv_action *a = push_action(e, LV_ACT_FRAME_FINAL);
	a->device = f->device;
	a->freq_hz = f->freq_hz;
	a->batch_id = f->batch_id;
	a->frame = *f;
	frame_release(e, s);
}

/* ---- events --------------------------------------------------------------- */

/* A frame whose whole budget went before it reached the engine (lv_engine_submit_at). */
#define REASON_SPENT "its latency budget ran out before it reached the scheduler"

static void note_time(struct lv_engine *e, double now)
{
	assert(now >= e->last_now - 1e-9);
	if (now > e->last_now)
		e->last_now = now;
}

int lv_engine_submit(struct lv_engine *e, double now, uint32_t n_frames, double budget_s,
                     uint64_t tag, uint64_t *first_id)
{
	return lv_engine_submit_at(e, now, now, n_frames, budget_s, tag, first_id);
}

int lv_engine_submit_at(struct lv_engine *e, double now, double arrival_s, uint32_t n_frames,
                        double budget_s, uint64_t tag, uint64_t *first_id)
{
	note_time(e, now);
	if (!(arrival_s <= now))
		arrival_s = now; /* NAN, or a clock that ran ahead: it arrives now */
	if (isnan(budget_s))
		budget_s = e->cfg.default_budget_s;
	int rc = LV_OK;
	const char *reason = NULL;
	if (!(budget_s > 0) || !isfinite(budget_s)) {
		rc = LV_EINVAL;
		reason = "latency budget must be a positive number of seconds";
	} else if (lv_queue_len(&e->queue) + n_frames > e->cfg.max_queue) {
		rc = LV_EFULL;
		reason = "queue full: admission refused";
	}
	if (first_id)
		*first_id = e->next_frame_id;
	if (rc == LV_OK && n_frames > 0 && budget_s < e->arrived_budget_s)
		e->arrived_budget_s = budget_s;
	for (uint32_t i = 0; i < n_frames; i++) {
		uint32_t s = frame_alloc(e);
		struct lv_frame *f = &e->frames[s];
		memset(f, 0, sizeof(*f));
		f->id = e->next_frame_id++;
		f->tag = tag;
		f->index = i;
		f->state = LV_FRAME_QUEUED;
		f->arrival_s = arrival_s;
		f->budget_s = budget_s;
		f->deadline_s = arrival_s + (rc == LV_OK ? budget_s : 0.0);
		f->dispatch_s = NAN;
		f->done_s = NAN;
		f->device = -1;
		e->counts.received++;
		e->counts.by_state[LV_FRAME_QUEUED]++;
		if (rc != LV_OK)
			frame_finish(e, s, LV_FRAME_REJECTED, now, reason);
		else if (f->deadline_s <= now && arrival_s < now && !e->cfg.serve_spent)
			frame_finish(e, s, LV_FRAME_EXPIRED, now, REASON_SPENT);
		else
			lv_queue_push(&e->queue, s, f->id, f->deadline_s, arrival_s);
	}
	check_conservation(e);
	return rc;
}

/*
 * Batch ids carry their slot in the low 24 bits and a sequence number above,
 * so finding a batch is an array index and ids still increase.
 */
#define BATCH_SLOT_BITS 24
#define BATCH_SLOT_MASK ((1u << BATCH_SLOT_BITS) - 1)

static struct batch *batch_find(struct lv_engine *e, uint64_t id)
{
	uint32_t s = (uint32_t)(id & BATCH_SLOT_MASK);
	if (id == 0 || s >= e->batch_cap || e->batches[s].id != id)
		return NULL;
	return &e->batches[s];
}

static struct batch *batch_alloc(struct lv_engine *e)
{
	if (e->batch_free == NO_SLOT) {
		uint32_t old = e->batch_cap;
		uint32_t cap = old ? old * 2 : 16;
		assert(cap <= BATCH_SLOT_MASK);
		e->batches = lv_xrealloc(e->batches, cap * sizeof(*e->batches));
		for (uint32_t i = old; i < cap; i++) {
			struct batch *b = &e->batches[i];
			memset(b, 0, sizeof(*b));
			b->slots = lv_xmalloc((size_t)e->batch_room * sizeof(*b->slots));
			b->frame_ids = lv_xmalloc((size_t)e->batch_room * sizeof(*b->frame_ids));
			b->next_free = i + 1 < cap ? i + 1 : NO_SLOT;
		}
		e->batch_free = old;
		e->batch_cap = cap;
	}
	uint32_t s = e->batch_free;
	struct batch *b = &e->batches[s];
	e->batch_free = b->next_free;
	b->id = (e->next_batch_id++ << BATCH_SLOT_BITS) | s;
	b->n = 0;
	return b;
}

static void batch_release(struct lv_engine *e, struct batch *b)
{
	uint32_t s = (uint32_t)(b - e->batches);
	b->id = 0;
	b->next_free = e->batch_free;
	e->batch_free = s;
}

/* The device stops counting batch b as in flight (its end, or its busy timer). */
static void batch_unhold(struct lv_engine *e, struct batch *b, double now)
{
	struct lv_device *d = &e->cluster->devices[b->device];
	if (!b->held)
		return;
	b->held = 0;
	if (isfinite(b->release_s))
		e->n_timed--;
	assert(d->inflight > 0);
	d->inflight--;
	if (d->inflight == 0)
		d->idle_since_s = now;
}

/* Busy timers: releases every held batch whose expected latency has passed. */
static void release_timers(struct lv_engine *e, double now)
{
	if (e->n_timed == 0 || e->next_release_s > now)
		return;
	double next = INFINITY;
	for (uint32_t i = 0; i < e->batch_cap; i++) {
		struct batch *b = &e->batches[i];
		if (!b->id || !b->held || !isfinite(b->release_s))
			continue;
		if (b->release_s <= now)
			batch_unhold(e, b, b->release_s);
		else if (b->release_s < next)
			next = b->release_s;
	}
	e->next_release_s = next;
}

static void device_batch_ended(struct lv_engine *e, struct batch *b, double now, int frames_ok)
{
	struct lv_device *d = &e->cluster->devices[b->device];
	batch_unhold(e, b, now);
	if (frames_ok > 0) {
		d->batches_done++;
		d->frames_done += (uint64_t)frames_ok;
	}
}

/* An in-flight frame back in the queue, its deadline and arrival as they were. */
static void frame_requeue(struct lv_engine *e, uint32_t s)
{
	struct lv_frame *f = &e->frames[s];
	e->counts.by_state[LV_FRAME_INFLIGHT]--;
	e->counts.by_state[LV_FRAME_QUEUED]++;
	f->state = LV_FRAME_QUEUED;
	lv_queue_push(&e->queue, s, f->id, f->deadline_s, f->arrival_s);
}

/* How a batch ended: served, failed, or refused by its device for one frame's input. */
enum batch_end { END_SERVED, END_FAILED, END_REFUSED };

/*
 * Every frame of the batch to its next state: served ones OK or LATE; a failed
 * batch's frames back to the queue on their first attempt (retries on), else
 * FAILED; a refused batch's frame `index` FAILED and the others back to the
 * queue with the dispatch not counted (the device ran nothing).
 */
static int batch_end(struct lv_engine *e, double now, uint64_t batch_id, enum batch_end how,
                     int index, const char *reason)
{
	note_time(e, now);
	struct batch *b = batch_find(e, batch_id);
	if (!b)
		return LV_ENOENT;
	if (how == END_REFUSED && (index < 0 || index >= b->n))
		return LV_EINVAL;
	if (how != END_SERVED)
		e->counts.batches_failed++;
	for (int i = 0; i < b->n; i++) {
		uint32_t s = b->slots[i];
		struct lv_frame *f = &e->frames[s];
		assert(f->state == LV_FRAME_INFLIGHT && f->batch_id == batch_id);
		e->inflight_frames--;
		if (how == END_SERVED) {
			frame_finish(e, s, now <= f->deadline_s ? LV_FRAME_OK : LV_FRAME_LATE, now,
			             NULL);
		} else if (how == END_REFUSED && i != index) {
			f->attempts--;
			frame_requeue(e, s);
		} else if (how == END_FAILED && e->cfg.retry_failed && f->attempts < 2) {
			frame_requeue(e, s);
		} else {
			frame_finish(e, s, LV_FRAME_FAILED, now,
			             reason               ? reason
			             : how == END_REFUSED ? "the device refused its input"
			                                  : "inference failed");
		}
	}
	device_batch_ended(e, b, now, how == END_SERVED ? b->n : 0);
	batch_release(e, b);
	check_conservation(e);
	return LV_OK;
}

int lv_engine_batch_refused(struct lv_engine *e, double now, uint64_t batch_id, int index,
                            const char *reason)
{
	return batch_end(e, now, batch_id, END_REFUSED, index, reason);
}

int lv_engine_batch_done(struct lv_engine *e, double now, uint64_t batch_id, int ok,
                         const char *reason)
{
	return batch_end(e, now, batch_id, ok ? END_SERVED : END_FAILED, -1, reason);
}

int lv_engine_device_state(struct lv_engine *e, double now, int device, enum lv_dev_state s)
{
	note_time(e, now);
	if (device < 0 || (size_t)device >= e->cluster->n_devices)
		return LV_ENOENT;
	e->cluster->devices[device].state = s;
	return LV_OK;
}

int lv_engine_device_cap(struct lv_engine *e, double now, int device, uint64_t max_freq_hz)
{
	note_time(e, now);
	if (device < 0 || (size_t)device >= e->cluster->n_devices)
		return LV_ENOENT;
	e->cluster->devices[device].max_freq_hz = max_freq_hz;
	return LV_OK;
}

int lv_engine_device_clock(struct lv_engine *e, double now, int device, uint64_t freq_hz)
{
	note_time(e, now);
	if (device < 0 || (size_t)device >= e->cluster->n_devices)
		return LV_ENOENT;
	struct lv_device *d = &e->cluster->devices[device];
	if (lv_profile_freq_index(lv_device_profile(e->cluster, d), freq_hz) < 0)
		return LV_EINVAL;
	d->freq_hz = freq_hz;
	return LV_OK;
}

int lv_engine_batch_clock(struct lv_engine *e, uint64_t batch_id, uint64_t freq_hz)
{
	struct batch *b = batch_find(e, batch_id);
	if (!b)
		return LV_ENOENT;
	b->freq_hz = freq_hz;
	for (int i = 0; i < b->n; i++)
		e->frames[b->slots[i]].freq_hz = freq_hz;
	return LV_OK;
}

/* ---- decisions ------------------------------------------------------------ */

static void expire_overdue(struct lv_engine *e, double now)
{
	while (lv_queue_len(&e->queue) > 0 &&
	       lv_queue_min_deadline(&e->queue) + e->cfg.expire_grace_s <= now) {
		struct lv_queue_entry q;
		lv_queue_pop(&e->queue, &q);
		frame_finish(e, q.slot, LV_FRAME_EXPIRED, now,
		             "not dispatched before the hard timeout");
	}
}

void lv_engine_abort_all(struct lv_engine *e, double now, const char *reason)
{
	note_time(e, now);
	while (lv_queue_len(&e->queue) > 0) {
		struct lv_queue_entry q;
		lv_queue_pop(&e->queue, &q);
		frame_finish(e, q.slot, LV_FRAME_EXPIRED, now, reason);
	}
	for (uint32_t i = 0; i < e->batch_cap; i++) {
		struct batch *b = &e->batches[i];
		if (b->id == 0)
			continue;
		for (int k = 0; k < b->n; k++) {
			e->inflight_frames--;
			frame_finish(e, b->slots[k], LV_FRAME_FAILED, now, reason);
		}
		device_batch_ended(e, b, now, 0);
		batch_release(e, b);
	}
	check_conservation(e);
}

void lv_engine_view(const struct lv_engine *e, struct lv_view *out)
{
	out->cluster = e->cluster;
	out->queue_len = lv_queue_len(&e->queue);
	out->min_deadline_s = lv_queue_min_deadline(&e->queue);
	out->oldest_arrival_s = lv_queue_oldest_arrival(&e->queue);
	out->arrived_budget_s = e->arrived_budget_s;
	out->head_arrival_s =
	    lv_queue_len(&e->queue) ? e->frames[e->queue.heap[0].slot].arrival_s : INFINITY;
}

/* A policy's reject: the n frames at the head of the queue end REJECTED with its reason. */
static void reject_head(struct lv_engine *e, int n, double now, const char *reason)
{
	for (int i = 0; i < n; i++) {
		struct lv_queue_entry q;
		int rc = lv_queue_pop(&e->queue, &q);
		assert(rc == LV_OK);
		(void)rc;
		frame_finish(e, q.slot, LV_FRAME_REJECTED, now, reason);
	}
}

/*
 * A clock change a policy asked for. A device that is not up takes none: a
 * drained one belongs to the operator for now (maintenance, a profiling
 * sweep that pins its own clocks), a down one cannot answer.
 */
static void apply_clock(struct lv_engine *e, const struct lv_clock_set *cs)
{
	struct lv_device *d = &e->cluster->devices[cs->device];
	/* A boost is sent even to the clock the device is meant to have: that is
	 * the clock its queued work was sent for, not the one running now. */
	if ((d->freq_hz == cs->freq_hz && !cs->boost) || d->state != LV_DEV_UP)
		return;
	d->freq_hz = cs->freq_hz;
	struct lv_action *a = push_action(e, LV_ACT_SET_CLOCK);
	a->device = cs->device;
	a->freq_hz = cs->freq_hz;
	a->boost = cs->boost;
}

static void apply_dispatch(struct lv_engine *e, const struct lv_dispatch *x, double now)
{
	struct lv_device *d = &e->cluster->devices[x->device];
	struct batch *b = batch_alloc(e);
	b->device = x->device;
	b->freq_hz = x->freq_hz;
	for (int i = 0; i < x->batch; i++) {
		struct lv_queue_entry q;
		int rc = lv_queue_pop(&e->queue, &q);
		assert(rc == LV_OK);
		(void)rc;
		struct lv_frame *f = &e->frames[q.slot];
		f->state = LV_FRAME_INFLIGHT;
		f->dispatch_s = now;
		f->device = x->device;
		f->freq_hz = x->freq_hz ? x->freq_hz : d->freq_hz;
		f->batch = x->batch;
		f->batch_id = b->id;
		f->attempts++;
		b->slots[b->n] = q.slot;
		b->frame_ids[b->n] = f->id;
		b->n++;
	}
	e->counts.by_state[LV_FRAME_QUEUED] -= (uint64_t)x->batch;
	e->counts.by_state[LV_FRAME_INFLIGHT] += (uint64_t)x->batch;
	e->inflight_frames += (uint64_t)x->batch;
	e->counts.batches_dispatched++;
	if (x->freq_hz)
		d->freq_hz = x->freq_hz; /* the driver sets it before running the batch */
	d->inflight++;
	b->held = 1;
	b->release_s = INFINITY;
	if (e->cfg.busy_timer && isfinite(x->expected_latency_s) && x->expected_latency_s >= 0) {
		b->release_s = now + x->expected_latency_s;
		e->n_timed++;
		if (b->release_s < e->next_release_s)
			e->next_release_s = b->release_s;
	}

	struct lv_action *a = push_action(e, LV_ACT_DISPATCH);
	a->device = x->device;
	a->freq_hz = x->freq_hz;
	a->batch_id = b->id;
	a->batch = b->n;
	a->frame_ids = b->frame_ids;
	a->expected_latency_s = x->expected_latency_s;
	a->energy_per_frame_j = x->energy_per_frame_j;
}

void lv_engine_step(struct lv_engine *e, double now)
{
	note_time(e, now);
	expire_overdue(e, now);
	release_timers(e, now);
	struct lv_decision dec = { .clocks = e->clock_buf, .cap_clocks = e->cluster->n_devices };
	struct lv_view v;
	/* Each dispatch or reject takes at least one frame, so this ends. */
	for (;;) {
		lv_engine_view(e, &v);
		struct lv_explain *ex = v.queue_len > 0 ? e->explain : NULL;
		lv_policy_decide(e->policy, &v, now, &dec, ex);
		if (ex) {
			e->explain = NULL;
			e->explain_queue = v.queue_len;
			e->explained = 1;
		}
		e->counts.decisions++;
		for (size_t i = 0; i < dec.n_clocks; i++)
			apply_clock(e, &dec.clocks[i]);
		if (dec.reject > 0) {
			reject_head(e, dec.reject, now, dec.reject_reason);
			continue;
		}
		if (!dec.has_dispatch)
			break;
		apply_dispatch(e, &dec.dispatch, now);
	}
	e->policy_next_s = dec.next_s;
	e->arrived_budget_s = INFINITY;
	check_conservation(e);
}

void lv_engine_explain_next(struct lv_engine *e, struct lv_explain *ex)
{
	e->explain = ex;
	e->explained = 0;
}

int lv_engine_explained(struct lv_engine *e, size_t *queue_len)
{
	if (!e->explained)
		return 0;
	e->explained = 0;
	*queue_len = e->explain_queue;
	return 1;
}

size_t lv_engine_tightest(const struct lv_engine *e, double *deadline_s, size_t k)
{
	return lv_queue_tightest(&e->queue, deadline_s, k);
}

double lv_engine_next_wakeup(const struct lv_engine *e)
{
	double t = e->policy_next_s;
	if (e->n_timed > 0 && e->next_release_s < t)
		t = e->next_release_s;
	if (lv_queue_len(&e->queue) > 0) {
		double x = lv_queue_min_deadline(&e->queue) + e->cfg.expire_grace_s;
		if (x < t)
			t = x;
	}
	return t;
}

void lv_engine_counts(const struct lv_engine *e, struct lv_engine_counts *out)
{
	*out = e->counts;
}

size_t lv_engine_queue_len(const struct lv_engine *e)
{
	return lv_queue_len(&e->queue);
}
