/*
 * sim: the simulator's run loop, its power timeline and the result. The
 * order of events within an instant, the end of a run and the energy window
 * are documented in sim.h.
 *
 * Invariants: every device sits in the heap keyed by lv_devmodel_next_s, and
 * its key is refreshed after every call that can change it (advance, submit,
 * set_clock); instants never go back; the engine is stepped at most once per
 * instant. The power timeline is filled by the devices' energy sink, so it
 * sums to the same joules as the devices' own counters.
 */
#include "sim.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/profile.h"
#include "sim_ctl.h"
#include "sim_heap.h"
#include "model/trace.h"
#include "base/util.h"

/* Energy per sample (J), grown by doubling. */
struct series {
	double *v;
	size_t cap;
};

struct sim {
	const struct lv_sim_config *cfg;
	const struct lv_trace *trace;
	struct lv_cluster *c;
	struct lv_engine *e;
	struct lv_devmodel_kind **kinds;
	struct lv_devmodel_kind **own; /* per device: its wire's costs (truth_own), or NULL */
	struct lv_devmodel *dev;
	struct lv_sim_heap heap;
	struct lv_metrics metrics;
	struct series total;
	struct series *per_dev; /* NULL without per-device series */
	size_t next_req;
	/* The controller and the wire (cfg->ctl != NULL). */
	int has_ctl;
	struct sim_ctl ctl;
	/* Requests' answers (a controller with a request time-out): frames not
	 * yet terminal, whether one failed, and when each was answered. */
	int track;
	uint32_t *req_left;
	unsigned char *req_state; /* 0 open, 1 failed frame seen, 2 answered */
	size_t req_answered, req_cursor;
	double answered_s; /* the last answer so far */
	double now_s;      /* the current instant */
	double last_step_s;
	double last_activity_s;
	uint64_t instants, device_events;
};

void lv_sim_config_default(struct lv_sim_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->policy = "loud";
	cfg->seed = 1;
	cfg->noise_kind = LV_NOISE_UNIFORM;
	cfg->governor = 1;
	lv_engine_config_default(&cfg->engine);
	cfg->sample_s = 1.0;
	cfg->device_timeline = 1;
}

/* ---- power timeline ----------------------------------------------------------- */

static void series_add(struct series *s, size_t bin, double joules)
{
	if (bin >= s->cap) {
		size_t cap = s->cap ? s->cap : 64;
		while (cap <= bin)
			cap *= 2;
		s->v = lv_xrealloc(s->v, cap * sizeof(double));
		memset(s->v + s->cap, 0, (cap - s->cap) * sizeof(double));
		s->cap = cap;
	}
	s->v[bin] += joules;
}

/* The devices' energy sink: spreads a constant-power piece over the samples it covers. */
static void on_power(void *arg, int device, double t0, double t1, double power_w)
{
	struct sim *s = arg;
	double dt = s->cfg->sample_s;
	while (t0 < t1) {
		size_t bin = (size_t)floor(t0 / dt);
		double bend = (double)(bin + 1) * dt;
		if (bend <= t0) /* t0 / dt rounded down past a boundary */
			bend = (double)(++bin + 1) * dt;
		double end = t1 < bend ? t1 : bend;
		double j = power_w * (end - t0);
		series_add(&s->total, bin, j);
		if (s->per_dev)
			series_add(&s->per_dev[device], bin, j);
		t0 = end;
	}
}

static void series_power(const struct series *s, double dt, double end_s, size_t n, double *out)
{
	for (size_t i = 0; i < n; i++) {
		double a = (double)i * dt, b = (double)(i + 1) * dt;
		double len = (b < end_s ? b : end_s) - a;
		double j = i < s->cap ? s->v[i] : 0.0;
		out[i] = len > 0 ? j / len : 0.0;
	}
}

static void build_timeline(struct sim *s, double end_s, struct lv_timeline *tl)
{
	memset(tl, 0, sizeof(*tl));
	double dt = s->cfg->sample_s;
	tl->sample_s = dt;
	if (!(dt > 0) || !(end_s > 0))
		return;
	tl->n = (size_t)ceil(end_s / dt);
	if (tl->n == 0)
		return;
	tl->cluster_w = lv_xmalloc(tl->n * sizeof(double));
	series_power(&s->total, dt, end_s, tl->n, tl->cluster_w);
	if (!s->per_dev)
		return;
	tl->n_devices = s->c->n_devices;
	tl->device_w = lv_xmalloc(tl->n_devices * tl->n * sizeof(double));
	for (size_t d = 0; d < tl->n_devices; d++)
		series_power(&s->per_dev[d], dt, end_s, tl->n, tl->device_w + d * tl->n);
}

/* ---- setup -------------------------------------------------------------------- */

static int check_config(const struct lv_sim_config *cfg, const struct lv_trace *t, char **why)
{
	const struct lv_cluster *c = cfg->cluster;
	if (!c || c->n_devices == 0)
		return lv_fail(why, LV_EINVAL, "sim: no cluster, or a cluster without devices");
	for (size_t k = 0; k < c->n_kinds; k++)
		if (!c->kinds[k].cost || !c->kinds[k].truth)
			return lv_fail(
			    why, LV_EINVAL,
			    "sim: kind %s has no cost table (build the cluster's costs first)",
			    c->kinds[k].profile->kind);
	if (!t || t->n == 0)
		return lv_fail(why, LV_EINVAL, "sim: the trace has no requests");
	double prev = 0;
	for (size_t i = 0; i < t->n; i++) {
		double at = t->reqs[i].time_s;
		if (!isfinite(at) || at < prev)
			return lv_fail(why, LV_EINVAL,
			               "sim: request %zu is at %g s, before %g s (requests must be "
			               "sorted by time, from 0)",
			               i, at, prev);
		prev = at;
	}
	double x = cfg->noise;
	if (!isfinite(x) || x < 0 || (cfg->noise_kind == LV_NOISE_UNIFORM && x >= 1) || x > 3)
		return lv_fail(why, LV_EINVAL,
		               "sim: noise %g is outside [0, 1) (uniform) or [0, 3] (lognormal)",
		               x);
	if (!isfinite(cfg->end_s) || cfg->end_s < 0)
		return lv_fail(why, LV_EINVAL, "sim: end_s %g is not a number >= 0", cfg->end_s);
	if (cfg->ctl) {
		char *w = NULL;
		if (lv_ctl_model_check(cfg->ctl, &w) != LV_OK) {
			lv_fail(why, LV_EINVAL, "sim: controller %s: %s", cfg->ctl->name, w);
			free(w);
			return LV_EINVAL;
		}
	}
	if (cfg->thesis_acct && !(cfg->ctl && cfg->ctl->has_acct))
		return lv_fail(why, LV_EINVAL,
		               "sim: the thesis's accounting needs a controller profile with "
		               "\"accounting\" (e.g. thesis-python)");
	if (!isfinite(cfg->sample_s) || cfg->sample_s < 0)
		return lv_fail(why, LV_EINVAL, "sim: sample_s %g is not a number >= 0",
		               cfg->sample_s);
	return LV_OK;
}

static int setup(struct sim *s, const struct lv_sim_config *cfg, const struct lv_trace *t,
                 char **why)
{
	struct lv_cluster *c = cfg->cluster;
	s->cfg = cfg;
	s->trace = t;
	s->c = c;
	s->last_step_s = -INFINITY;
	s->last_activity_s = -INFINITY;
	lv_cluster_reset(c, 0.0);
	struct lv_policy *p = lv_policy_new(cfg->policy ? cfg->policy : "loud", c, why);
	if (!p)
		return LV_EINVAL;
	struct lv_engine_config ec = cfg->engine;
	const struct lv_ctl_model *m = cfg->ctl;
	if (m) {
		s->has_ctl = 1;
		sim_ctl_init(&s->ctl, m, c->n_devices, lv_policy_poll_s(p, m->poll_s));
		for (size_t i = 0; i < c->n_devices; i++)
			s->ctl.wire[i] = (unsigned char)c->devices[i].wire;
		ec.busy_timer = m->busy_timer;
		if (m->batch_timeout_s > 0)
			ec.retry_failed = 0;
		if (m->request_timeout_s > 0) {
			/* the thesis's controller kept every frame until it was served */
			ec.expire_grace_s = INFINITY;
			ec.serve_spent = 1;
		}
		if (m->start_lowest)
			for (size_t i = 0; i < c->n_devices; i++)
				c->devices[i].freq_hz =
				    lv_device_profile(c, &c->devices[i])->freqs_hz[0];
		if (m->request_timeout_s > 0) {
			s->track = 1;
			s->req_left = lv_xcalloc(t->n, sizeof(*s->req_left));
			s->req_state = lv_xcalloc(t->n, 1);
			for (size_t i = 0; i < t->n; i++)
				s->req_left[i] = t->reqs[i].frames;
			s->answered_s = 0;
		}
	}
	s->e = lv_engine_new(c, p, &ec, 0.0);

	s->kinds = lv_xcalloc(c->n_kinds, sizeof(*s->kinds));
	for (size_t k = 0; k < c->n_kinds; k++) {
		/* Devices behave as measured, whatever the scheduler's cost mode. */
		s->kinds[k] = lv_devmodel_kind_new(c->kinds[k].profile, c->kinds[k].truth, why);
		if (!s->kinds[k])
			return LV_EINVAL;
	}
	struct lv_devmodel_config dc = {
		.governor = cfg->governor,
		.noise = cfg->noise,
		.noise_kind = cfg->noise_kind,
		.seed = cfg->seed,
		.cold_start = cfg->ctl ? cfg->ctl->start_cold : 0,
	};
	int sampling = cfg->sample_s > 0;
	if (sampling && cfg->device_timeline)
		s->per_dev = lv_xcalloc(c->n_devices, sizeof(*s->per_dev));
	s->dev = lv_xcalloc(c->n_devices, sizeof(*s->dev));
	s->own = lv_xcalloc(c->n_devices ? c->n_devices : 1, sizeof(*s->own));
	for (size_t i = 0; i < c->n_devices; i++) {
		const struct lv_device *d = &c->devices[i];
		if (!d->truth_own)
			continue;
		/* A device that preprocesses on the board: its kind's physics plus the term. */
		s->own[i] = lv_devmodel_kind_new(c->kinds[d->kind].profile, d->truth_own, why);
		if (!s->own[i])
			return LV_EINVAL;
	}
	lv_sim_heap_init(&s->heap, c->n_devices);
	for (size_t i = 0; i < c->n_devices; i++) {
		struct lv_device *d = &c->devices[i];
		lv_devmodel_init(&s->dev[i], s->own[i] ? s->own[i] : s->kinds[d->kind], (int)i, &dc,
		                 d->freq_hz, 0.0, sampling ? on_power : NULL, s);
		lv_sim_heap_update(&s->heap, (uint32_t)i, lv_devmodel_next_s(&s->dev[i]));
	}
	lv_metrics_init(&s->metrics, t->n);
	return LV_OK;
}

static void teardown(struct sim *s)
{
	if (s->dev)
		for (size_t i = 0; i < s->c->n_devices; i++)
			lv_devmodel_fini(&s->dev[i]);
	free(s->dev);
	if (s->kinds)
		for (size_t k = 0; k < s->c->n_kinds; k++)
			lv_devmodel_kind_free(s->kinds[k]);
	free(s->kinds);
	if (s->own)
		for (size_t i = 0; i < s->c->n_devices; i++)
			lv_devmodel_kind_free(s->own[i]);
	free(s->own);
	if (s->per_dev)
		for (size_t i = 0; i < s->c->n_devices; i++)
			free(s->per_dev[i].v);
	free(s->per_dev);
	free(s->total.v);
	if (s->heap.heap)
		lv_sim_heap_fini(&s->heap);
	if (s->has_ctl)
		sim_ctl_fini(&s->ctl);
	free(s->req_left);
	free(s->req_state);
	lv_metrics_fini(&s->metrics);
	lv_engine_free(s->e);
}

/* ---- the loop ----------------------------------------------------------------- */

static void refresh(struct sim *s, int i)
{
	lv_sim_heap_update(&s->heap, (uint32_t)i, lv_devmodel_next_s(&s->dev[i]));
}

/* Runs device i's own transitions due by t; 1 when the engine heard of one. */
static int handle_device(struct sim *s, int i, double t)
{
	struct lv_devmodel_event ev;
	int seen = 0;
	while (lv_devmodel_advance(&s->dev[i], t, &ev)) {
		s->device_events++;
		seen = 1;
		if (ev.kind == LV_DM_GOV_CLOCK) {
			lv_engine_device_clock(s->e, t, i, ev.freq_hz);
			continue;
		}
		if (!s->has_ctl || sim_ctl_batch_done(&s->ctl, ev.batch_id)) {
			int rc = lv_engine_batch_done(s->e, t, ev.batch_id, 1, NULL);
			assert(rc == LV_OK);
			(void)rc;
		}
		s->last_activity_s = t;
		if (s->cfg->on_batch) {
			struct lv_sim_batch b = {
				.device = i,
				.batch_id = ev.batch_id,
				.batch = ev.batch,
				.freq_hz = ev.freq_hz,
				.submit_s = ev.submit_s,
				.start_s = ev.start_s,
				.end_s = t,
				.energy_j = ev.energy_j,
			};
			s->cfg->on_batch(s->cfg->cb_arg, &b);
		}
	}
	refresh(s, i);
	return seen;
}

/* ---- requests' answers (a controller with a request time-out) ------------------- */

static void answer(struct sim *s, size_t r, double at)
{
	if (s->req_state[r] == 2)
		return;
	s->req_state[r] = 2;
	s->req_answered++;
	if (at > s->answered_s)
		s->answered_s = at;
}

/* A frame of request f->tag ended: the request is answered when its last one has. */
static void frame_answered(struct sim *s, const struct lv_frame *f, double t)
{
	size_t r = (size_t)f->tag;
	assert(r < s->trace->n && s->req_left[r] > 0);
	if (f->state == LV_FRAME_FAILED || f->state == LV_FRAME_EXPIRED)
		s->req_state[r] = s->req_state[r] == 2 ? 2 : 1;
	if (--s->req_left[r] > 0 || s->req_state[r] == 2)
		return;
	double limit = s->trace->reqs[r].time_s + s->cfg->ctl->request_timeout_s;
	/* a request with a lost frame is answered only by its time-out */
	if (s->req_state[r] == 1 || t > limit)
		return;
	answer(s, r, t);
}

/* Requests whose time-out has come by t are answered as timed out. */
static void request_timeouts(struct sim *s, double t)
{
	double to = s->cfg->ctl->request_timeout_s;
	while (s->req_cursor < s->next_req && s->trace->reqs[s->req_cursor].time_s + to <= t) {
		answer(s, s->req_cursor, s->trace->reqs[s->req_cursor].time_s + to);
		s->req_cursor++;
	}
	/* an answered request needs no time-out: step past it once, not at every instant */
	while (s->req_cursor < s->next_req && s->req_state[s->req_cursor] == 2)
		s->req_cursor++;
}

/* The next request time-out; request_timeouts keeps the cursor on an unanswered request. */
static double request_timeout_next_s(const struct sim *s)
{
	size_t r = s->req_cursor;
	return r < s->next_req ? s->trace->reqs[r].time_s + s->cfg->ctl->request_timeout_s
	                       : INFINITY;
}

/* ---- the controller's events ------------------------------------------------------ */

static int handle_ctl(struct sim *s, double t)
{
	struct sim_ctl_event ev;
	int seen = 0;
	while (sim_ctl_advance(&s->ctl, t, &ev)) {
		seen = 1;
		switch (ev.kind) {
		case SIM_CTL_ADMIT:
			lv_engine_submit_at(s->e, t, ev.arrival_s, ev.frames, ev.budget_s,
			                    (uint64_t)ev.req, NULL);
			break;
		case SIM_CTL_DELIVER: {
			int rc = lv_devmodel_submit(&s->dev[ev.device], t, ev.batch_id, ev.batch,
			                            ev.freq_hz);
			assert(rc == LV_OK);
			(void)rc;
			refresh(s, ev.device);
			break;
		}
		case SIM_CTL_TIMEOUT: {
			int rc = lv_engine_batch_done(s->e, t, ev.batch_id, 0,
			                              "no answer within the controller's batch "
			                              "time-out");
			assert(rc == LV_OK);
			(void)rc;
			break;
		}
		}
	}
	return seen;
}

static void apply_actions(struct sim *s, double t)
{
	const struct lv_action *acts;
	size_t n = lv_engine_actions(s->e, &acts);
	for (size_t k = 0; k < n; k++) {
		const struct lv_action *a = &acts[k];
		int rc = LV_OK;
		switch (a->kind) {
		case LV_ACT_DISPATCH:
			if (s->has_ctl) {
				sim_ctl_dispatch(&s->ctl, t, a->batch_id, a->device, a->batch,
				                 a->freq_hz);
				break;
			}
			rc = lv_devmodel_submit(&s->dev[a->device], t, a->batch_id, a->batch,
			                        a->freq_hz);
			refresh(s, a->device);
			break;
		case LV_ACT_SET_CLOCK:
			rc = a->boost ? lv_devmodel_boost(&s->dev[a->device], t, a->freq_hz)
			              : lv_devmodel_set_clock(&s->dev[a->device], t, a->freq_hz);
			refresh(s, a->device);
			break;
		case LV_ACT_FRAME_FINAL:
			if (s->track)
				frame_answered(s, &a->frame, t);
			lv_metrics_add_frame(&s->metrics, &a->frame);
			if (a->frame.done_s > s->last_activity_s)
				s->last_activity_s = a->frame.done_s;
			if (s->cfg->on_frame)
				s->cfg->on_frame(s->cfg->cb_arg, &a->frame);
			break;
		}
		assert(rc == LV_OK); /* the policy wrapper vets clocks */
		(void)rc;
	}
	lv_engine_clear_actions(s->e);
}

static double next_instant(struct sim *s)
{
	double tn = INFINITY;
	if (s->next_req < s->trace->n)
		tn = s->trace->reqs[s->next_req].time_s;
	double k = lv_sim_heap_top_key(&s->heap);
	if (k < tn)
		tn = k;
	double w = lv_engine_next_wakeup(s->e);
	if (w > s->last_step_s && w < tn)
		tn = w;
	if (s->has_ctl) {
		w = sim_ctl_next_s(&s->ctl);
		if (w < tn)
			tn = w;
	}
	if (s->track) {
		w = request_timeout_next_s(s);
		if (w < tn)
			tn = w;
	}
	return tn;
}

static int work_left(const struct sim *s)
{
	struct lv_engine_counts n;
	lv_engine_counts(s->e, &n);
	if (s->has_ctl && sim_ctl_intake_frames(&s->ctl) > 0)
		return 1;
	return n.by_state[LV_FRAME_QUEUED] + n.by_state[LV_FRAME_INFLIGHT] > 0;
}

/* One instant at t: devices, arrivals, the engine, its actions. */
static void instant(struct sim *s, double t)
{
	int seen = 0;
	s->instants++;
	s->now_s = t;
	while (lv_sim_heap_top_key(&s->heap) <= t)
		seen |= handle_device(s, (int)lv_sim_heap_top(&s->heap), t);
	if (s->has_ctl)
		seen |= handle_ctl(s, t);
	const struct lv_trace *tr = s->trace;
	while (s->next_req < tr->n && tr->reqs[s->next_req].time_s <= t) {
		const struct lv_request *r = &tr->reqs[s->next_req];
		if (s->has_ctl)
			sim_ctl_arrive(&s->ctl, t, s->next_req, r->frames, r->budget_s);
		else
			lv_engine_submit(s->e, t, r->frames, r->budget_s, (uint64_t)s->next_req,
			                 NULL);
		s->next_req++;
		seen = 1;
	}
	if (s->has_ctl && handle_ctl(s, t)) /* an intake poll due now admits at once */
		seen = 1;
	double w = lv_engine_next_wakeup(s->e);
	if (seen || (w > s->last_step_s && w <= t)) {
		lv_engine_step(s->e, t);
		s->last_step_s = t;
	}
	apply_actions(s, t);
	if (s->track)
		request_timeouts(s, t);
}

/*
 * With requests' answers tracked, the run ends when the last request has
 * been answered or has timed out, as the thesis's runs did: what is still
 * queued or in flight then ends EXPIRED or FAILED at that moment.
 */
static int all_answered(struct sim *s)
{
	if (!s->track || s->next_req < s->trace->n || s->req_answered < s->trace->n)
		return 0;
	double t = s->answered_s > s->now_s ? s->answered_s : s->now_s;
	s->answered_s = t;
	struct sim_ctl_event ev;
	while (sim_ctl_drain_intake(&s->ctl, t, &ev))
		lv_engine_submit_at(s->e, t, ev.arrival_s, ev.frames, ev.budget_s, (uint64_t)ev.req,
		                    NULL);
	lv_engine_abort_all(s->e, t, "the run ended: every request was answered or timed out");
	apply_actions(s, t);
	return 1;
}

static int run_loop(struct sim *s, char **why)
{
	for (;;) {
		if (all_answered(s))
			return LV_OK;
		int busy = s->next_req < s->trace->n || work_left(s) ||
		           (s->track && s->req_answered < s->trace->n);
		double t = next_instant(s);
		if (!busy && !(t <= s->cfg->end_s))
			return LV_OK;
		if (!(t < INFINITY)) {
			struct lv_engine_counts n;
			lv_engine_counts(s->e, &n);
			return lv_fail(why, LV_ESTATE,
			               "sim: stuck after t=%.6f s: %llu frames queued, %llu in "
			               "flight, nothing scheduled",
			               s->last_step_s,
			               (unsigned long long)n.by_state[LV_FRAME_QUEUED],
			               (unsigned long long)n.by_state[LV_FRAME_INFLIGHT]);
		}
		instant(s, t);
	}
}

/* ---- the result --------------------------------------------------------------- */

static int finish(struct sim *s, struct lv_run_result *out, char **why)
{
	const struct lv_trace *t = s->trace;
	double end = t->reqs[t->n - 1].time_s;
	if (s->last_activity_s > end)
		end = s->last_activity_s;
	if (s->track)
		end = s->answered_s; /* the run ends with the last answer (all_answered) */
	if (s->cfg->end_s > end)
		end = s->cfg->end_s;
	/* The thesis's accounting: lines of line_s each where they were spacing_s
	 * apart, over a window that began lead_in_s before time 0. */
	const struct lv_acct *acct = s->cfg->thesis_acct ? &s->cfg->ctl->acct : NULL;
	double scale = acct ? acct->line_s / acct->spacing_s : 1.0;
	double lead_j = acct ? acct->lead_in_s * acct->lead_in_w : 0.0;
	struct lv_cluster *c = s->c;
	struct lv_device_metrics *dm = lv_xcalloc(c->n_devices, sizeof(*dm));
	for (size_t i = 0; i < c->n_devices; i++) {
		struct lv_devmodel *d = &s->dev[i];
		lv_devmodel_settle(d, end);
		snprintf(dm[i].name, sizeof(dm[i].name), "%s", c->devices[i].name);
		dm[i].kind = c->devices[i].kind;
		dm[i].energy_j = (d->energy_j + lead_j) * scale;
		dm[i].frames = d->frames;
		dm[i].batches = d->batches;
		dm[i].busy_s = d->busy_s;
		dm[i].busy_energy_j = d->busy_energy_j * scale;
		dm[i].change_energy_j = d->change_energy_j * scale;
		dm[i].lowest_s = d->lowest_s;
		dm[i].top_s = d->top_s;
		dm[i].avg_freq_hz = end > 0 ? d->freq_hz_s / end : (double)lv_devmodel_freq_hz(d);
	}
	int rc =
	    lv_metrics_finish(&s->metrics, c, end + (acct ? acct->lead_in_s : 0), dm, &out->m, why);
	free(dm);
	if (rc != LV_OK)
		return rc;
	/* metrics.h: without noise no run can beat the bound (rounding aside) but
	 * for what a cold start saved before each device's first batch; the
	 * thesis's accounting undercounts energy, so it can */
	double cold_j = 0;
	for (size_t i = 0; i < c->n_devices; i++) {
		const struct lv_devmodel *d = &s->dev[i];
		const struct lv_profile *pr = d->kind->profile;
		double warm = d->warm_at_s < end ? d->warm_at_s : end;
		if (d->cfg.cold_start && pr->cold_idle_w > 0 &&
		    pr->cold_idle_w < d->kind->min_idle_w)
			cold_j += (d->kind->min_idle_w - pr->cold_idle_w) * warm;
	}
	assert(s->cfg->noise > 0 || acct ||
	       out->m.energy_j >= (out->m.bound.energy_j - cold_j) * (1 - 1e-9) - 1e-9);
	(void)cold_j;
	snprintf(out->policy, sizeof(out->policy), "%s", lv_engine_policy(s->e)->label);
	out->mode = c->mode;
	out->seed = s->cfg->seed;
	lv_engine_counts(s->e, &out->counts);
	build_timeline(s, end, &out->timeline);
	out->instants = s->instants;
	out->device_events = s->device_events;
	return LV_OK;
}

int lv_sim_run(const struct lv_sim_config *cfg, const struct lv_trace *t, struct lv_run_result *out,
               char **why)
{
	struct sim s;
	memset(&s, 0, sizeof(s));
	memset(out, 0, sizeof(*out));
	int rc = check_config(cfg, t, why);
	if (rc != LV_OK)
		return rc;
	rc = setup(&s, cfg, t, why);
	if (rc == LV_OK)
		rc = run_loop(&s, why);
	if (rc == LV_OK)
		rc = finish(&s, out, why);
	teardown(&s);
	if (rc != LV_OK)
		lv_run_result_fini(out);
	return rc;
}

void lv_run_result_fini(struct lv_run_result *r)
{
	lv_run_metrics_fini(&r->m);
	free(r->timeline.cluster_w);
	free(r->timeline.device_w);
	memset(&r->timeline, 0, sizeof(r->timeline));
}
