/*
 * policy_aimd: Clipper's adaptive batching (Crankshaw et al., NSDI 2017):
 * each device has a batch-size cap that grows additively while its batches
 * meet the latency objective and shrinks multiplicatively when one misses,
 * the way TCP finds a link's capacity. No waiting: a free device takes
 * min(queued, floor(cap)) frames at once. Clocks are left to the devices'
 * governors.
 *
 * The rule, per device d with cap c_d (starts at `start`, kept within
 * [1, its kind's max batch]):
 *  - d is free when it is up and has nothing in flight: one batch at a time
 *    per device, as Clipper sends a replica its next batch when the last one
 *    returns. Free devices are served in cluster order after the last one
 *    that got a batch;
 *  - the batch is b = min(n queued, floor(c_d));
 *  - when that batch is over, it met the objective or missed it:
 *      objective=0 (Clipper's): its processing time (dispatch to end) was
 *        at most the latency budget of the frame at the head of the queue
 *        when it left (the tightest deadline's frame, which it carried);
 *      objective=1 (end to end): it ended by that frame's deadline, queueing
 *        included;
 *    met, and b was floor(c_d) (the cap, not a short queue, set its size):
 *    c_d += step; missed: c_d = max(1, c_d × factor). A met batch smaller
 *    than the cap says nothing about the cap and leaves it.
 *
 * Feedback comes from what the view already shows, so the policy stays a
 * pure function of it and its own state: a device's batches_done grows when
 * a batch is served, and with one batch at a time its idle_since_s is then
 * that batch's end. A batch that failed (batches_done unchanged once nothing
 * is in flight) teaches nothing. Under a controller model that releases a
 * device on a busy timer before its batch ends (thesis-python's busy_timer)
 * the end is not visible this way and those batches teach nothing either.
 *
 * Clipper backs off by 10% (factor 0.9); its additive step is not given in
 * the paper, we default it to 1 frame. Clipper measures the batch's latency
 * against its service-level objective (objective=0); with the objective end
 * to end, a queue that has already grown makes every batch miss and the cap
 * collapses to 1, which is why it is not the default.
 *
 * Parameters: step [1 frame], factor [0.9], start [1 frame], objective [0].
 */
#include "policy.h"

#include <math.h>
#include <stdlib.h>

#include "model/cluster.h"
#include "model/profile.h"
#include "policy_rotation.h"
#include "base/util.h"

enum { P_STEP, P_FACTOR, P_START, P_OBJECTIVE, P_COUNT };

static const struct lv_param_spec aimd_params[P_COUNT] = {
	[P_STEP] = { "step", 1.0, 0.01, 1024.0, 0, "frames",
	             "additive increase of the cap after a full batch met the objective" },
	[P_FACTOR] = { "factor", 0.9, 0.01, 0.99, 0, "",
	               "multiplicative decrease of the cap after a batch missed it" },
	[P_START] = { "start", 1.0, 1.0, 1024.0, 1, "frames",
	              "initial cap (capped by the kind's max batch)" },
	[P_OBJECTIVE] = { "objective", 0.0, 0.0, 1.0, 1, "",
	                  "0: the batch's processing time within the head frame's budget "
	                  "(Clipper); 1: the batch ends by the head frame's deadline" },
};

/* The batch a device is running, to be judged when it is over. */
struct pending {
	int active;
	double dispatch_s;
	double budget_s;   /* the head frame's budget; NAN when the view did not say */
	double deadline_s; /* the head frame's deadline */
	int batch;
	int full; /* batch == floor(cap) */
	uint64_t batches_done;
};

struct aimd {
	struct lv_rotation rot;
	double p[P_COUNT];
	size_t n_devices;
	double *cap;          /* per device, frames */
	struct pending *pend; /* per device */
	int *last_met;        /* per device: -1 none yet, 0 missed, 1 met (for explanations) */
};

static void aimd_destroy(void *state)
{
	struct aimd *s = state;
	if (!s)
		return;
	free(s->cap);
	free(s->pend);
	free(s->last_met);
	free(s);
}

static int aimd_create(const double *params, const struct lv_cluster *c, void **state, char **why)
{
	(void)why;
	struct aimd *s = lv_xcalloc(1, sizeof(*s));
	lv_rotation_init(&s->rot, 0.0, LV_ROTATION_AVAILABLE, 0);
	for (size_t i = 0; i < P_COUNT; i++)
		s->p[i] = params[i];
	s->n_devices = c->n_devices;
	size_t n = c->n_devices ? c->n_devices : 1;
	s->cap = lv_xcalloc(n, sizeof(*s->cap));
	s->pend = lv_xcalloc(n, sizeof(*s->pend));
	s->last_met = lv_xcalloc(n, sizeof(*s->last_met));
	for (size_t i = 0; i < c->n_devices; i++) {
		int m = lv_device_profile(c, &c->devices[i])->max_batch;
		s->cap[i] = params[P_START] < m ? params[P_START] : m;
		s->last_met[i] = -1;
	}
	*state = s;
	return LV_OK;
}

/* Judges device i's last batch if it is over. */
static void learn(struct aimd *s, const struct lv_view *v, size_t i)
{
	const struct lv_device *d = &v->cluster->devices[i];
	struct pending *pd = &s->pend[i];
	if (!pd->active || d->inflight > 0)
		return;
	pd->active = 0;
	if (d->batches_done == pd->batches_done)
		return; /* failed, or released before its end: nothing learnt */
	double end_s = d->idle_since_s;
	int met = s->p[P_OBJECTIVE] > 0 ? end_s <= pd->deadline_s
	                                : !(end_s - pd->dispatch_s > pd->budget_s);
	int m = lv_device_profile(v->cluster, d)->max_batch;
	s->last_met[i] = met;
	if (!met) {
		s->cap[i] *= s->p[P_FACTOR];
		if (s->cap[i] < 1.0)
			s->cap[i] = 1.0;
	} else if (pd->full) {
		s->cap[i] += s->p[P_STEP];
		if (s->cap[i] > m)
			s->cap[i] = m;
	}
}

static int is_free(const struct aimd *s, const struct lv_view *v, size_t i)
{
	const struct lv_device *d = &v->cluster->devices[i];
	return d->state == LV_DEV_UP && d->inflight == 0 && !s->pend[i].active;
}

static const char *const met_word[] = { "missed", "met" };

static void aimd_decide(void *state, const struct lv_view *v, double now, struct lv_decision *out,
                        struct lv_explain *ex)
{
	struct aimd *s = state;
	size_t n = v->cluster->n_devices;
	for (size_t i = 0; i < n; i++)
		learn(s, v, i);
	if (lv_rotation_idle(v, out, ex))
		return;
	int d = -1;
	for (size_t k = 0; k < n; k++) {
		size_t i = (s->rot.next + k) % n;
		if (is_free(s, v, i)) {
			d = (int)i;
			break;
		}
		const struct lv_device *dv = &v->cluster->devices[i];
		lv_explain_add(ex, (int)i, 0, 0, 0.0, 0.0, "skipped %s: %s (cap %.2f)", dv->name,
		               dv->state != LV_DEV_UP ? lv_dev_state_name(dv->state)
		                                      : "a batch in flight",
		               s->cap[i]);
	}
	if (d < 0) {
		out->next_s = INFINITY;
		if (ex)
			ex->wait = 1;
		lv_rotation_why(ex,
		                "no device is free (each runs one batch at a time); %zu queued "
		                "frames wait for a batch to end",
		                v->queue_len);
		return;
	}
	int cap = (int)floor(s->cap[d]);
	int b = lv_policy_batch_cap(v, d);
	if (b > cap)
		b = cap;
	const struct lv_device *dev = &v->cluster->devices[d];
	if (ex) {
		if (s->last_met[d] < 0)
			lv_rotation_why(ex,
			                "%s is free; its batch cap is %.2f (no batch judged yet): "
			                "dispatching %d of %zu queued frames",
			                dev->name, s->cap[d], b, v->queue_len);
		else
			lv_rotation_why(ex,
			                "%s is free; its batch cap is %.2f (its last batch %s the "
			                "objective): dispatching %d of %zu queued frames",
			                dev->name, s->cap[d], met_word[s->last_met[d]], b,
			                v->queue_len);
	}
	struct pending *pd = &s->pend[d];
	pd->active = 1;
	pd->dispatch_s = now;
	pd->deadline_s = v->min_deadline_s;
	pd->budget_s = isfinite(v->head_arrival_s) ? v->min_deadline_s - v->head_arrival_s : NAN;
	pd->batch = b;
	pd->full = b == cap;
	pd->batches_done = dev->batches_done;
	lv_rotation_dispatch(&s->rot, v, now, d, 0, b, out);
}

/* "aimd", "aimd(step=2,factor=0.5,start=8,objective=1)". */
static void aimd_describe(const double *params, char *buf, size_t len)
{
	const struct lv_param_spec *d = aimd_params;
	const struct lv_label_item items[] = {
		{ "step", params[P_STEP], params[P_STEP] != d[P_STEP].def },
		{ "factor", params[P_FACTOR], params[P_FACTOR] != d[P_FACTOR].def },
		{ "start", params[P_START], params[P_START] != d[P_START].def },
		{ "objective", params[P_OBJECTIVE], params[P_OBJECTIVE] != d[P_OBJECTIVE].def },
	};
	lv_rotation_label(buf, len, "aimd", items, P_COUNT);
}

const struct lv_policy_ops lv_policy_aimd = {
	.name = "aimd",
	.summary = "Clipper's AIMD batching: per device a batch cap that grows by step while "
	           "batches meet the objective and shrinks by factor when one misses",
	.params = aimd_params,
	.n_params = P_COUNT,
	.caps = 0,
	.create = aimd_create,
	.decide = aimd_decide,
	.destroy = aimd_destroy,
	.describe = aimd_describe,
};
