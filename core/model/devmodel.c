/*
 * devmodel: the emulated device — the effective cost grid of a kind, the
 * per-device FIFO of batches and clock changes, exact energy integration and
 * the default governor. The model is documented in devmodel.h; this file
 * follows it.
 *
 * Invariants: at most one job is in progress (phase != IDLE), and then
 * phase_end_s > the time it started; the FIFO only holds jobs submitted
 * while something was in progress; energy and the integrals are
 * accumulated up to acc_s, and every state change first accumulates up to
 * its own time, so power is constant between changes. Callers: the
 * simulator (sim.c) and the emulated agent; both drive it with `now`.
 */
#include "devmodel.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cost.h"
#include "profile.h"
#include "base/util.h"

#define TWO_PI 6.283185307179586

/* ---- the device ------------------------------------------------------------ */

void lv_devmodel_config_default(struct lv_devmodel_config *cfg)
{
	cfg->governor = 1;
	cfg->noise = 0;
	cfg->noise_kind = LV_NOISE_UNIFORM;
	cfg->seed = 1;
}

static uint64_t freq_of(const struct lv_devmodel *d, size_t fi)
{
	return d->kind->profile->freqs_hz[fi];
}

/* The cost grid of the batch in progress. */
static const struct lv_devmodel_kind *cur_costs(const struct lv_devmodel *d)
{
	return d->cur.costs ? d->cur.costs : d->kind;
}

static void set_power(struct lv_devmodel *d)
{
	const struct lv_profile *p = d->kind->profile;
	if (d->phase == LV_DM_RUNNING)
		d->power_w = lv_devmodel_kind_power(cur_costs(d), d->fi, d->cur.batch);
	else if (d->cold && d->fi == 0 && p->cold_idle_w > 0)
		d->power_w = p->cold_idle_w; /* GPU still power gated: no inference yet */
	else
		d->power_w = p->idle_power_w[d->fi];
}

/* Integrates the constant power since acc_s up to t. */
static void accumulate(struct lv_devmodel *d, double t)
{
	assert(t >= d->acc_s);
	if (t <= d->acc_s)
		return;
	double dt = t - d->acc_s;
	d->energy_j += d->power_w * dt;
	d->freq_hz_s += (double)freq_of(d, d->fi) * dt;
	if (d->fi == 0)
		d->lowest_s += dt;
	if (d->fi + 1 == d->kind->profile->n_freqs)
		d->top_s += dt;
	if (d->phase == LV_DM_RUNNING) {
		d->busy_s += dt;
		d->busy_energy_j += d->power_w * dt;
		d->cur_energy_j += d->power_w * dt;
	} else if (d->phase == LV_DM_CHANGING) {
		d->change_energy_j += d->power_w * dt;
	}
	if (d->sink)
		d->sink(d->sink_arg, d->index, d->acc_s, t, d->power_w);
	d->acc_s = t;
}

static double noise_factor(struct lv_devmodel *d)
{
	double x = d->cfg.noise;
	if (!(x > 0))
		return 1.0;
	if (d->cfg.noise_kind == LV_NOISE_LOGNORMAL) {
		double u1 = 1.0 - lv_rng_uniform(&d->rng); /* (0, 1] */
		double u2 = lv_rng_uniform(&d->rng);
		double z = sqrt(-2.0 * log(u1)) * cos(TWO_PI * u2);
		return exp(x * z - 0.5 * x * x);
	}
	return 1.0 + x * (2.0 * lv_rng_uniform(&d->rng) - 1.0);
}

/* ---- clock changes ---------------------------------------------------------- */

/* t + dur_s, strictly later than t even when dur_s is lost to rounding. */
static double later(double t, double dur_s)
{
	double e = t + dur_s;
	return e > t ? e : nextafter(t, INFINITY);
}

/* A clock change's delay: the kind's mean, shaped by a draw from its distribution. */
static double change_delay(struct lv_devmodel *d)
{
	const struct lv_profile *p = d->kind->profile;
	if (p->n_cc_shape < 2)
		return p->clock_change_delay_s;
	double u = lv_rng_uniform(&d->cc_rng);
	return p->clock_change_delay_s * lv_profile_cc_quantile(p->cc_shape, p->n_cc_shape, u);
}

/* ---- governor -------------------------------------------------------------- */

static int running(const struct lv_devmodel *d)
{
	return d->phase == LV_DM_RUNNING;
}

static int at_rest(const struct lv_devmodel *d)
{
	return d->phase == LV_DM_IDLE && d->len == 0;
}

static void gov_off(struct lv_devmodel *d)
{
	d->gov_on = 0;
	d->gov_next_s = INFINITY;
}

/*
 * The governor's next move from the state at t (accumulated up to t): a step
 * up while running below the top, a step down once at rest long enough
 * above the floor, else none. Also starts and ends the idle stretch.
 */
static void gov_plan(struct lv_devmodel *d, double t)
{
	const struct lv_devmodel_kind *k = d->kind;
	d->gov_next_s = INFINITY;
	if (!d->gov_on)
		return;
	if (running(d)) {
		d->gov_idle_since_s = INFINITY;
		d->gov_down_at_s = -INFINITY;
		if (d->fi + 1 < k->n_freqs)
			d->gov_next_s = later(d->gov_mark_s, k->gov_up_s - d->gov_busy_s);
	} else if (at_rest(d)) {
		if (isinf(d->gov_idle_since_s))
			d->gov_idle_since_s = t;
		if (d->fi > k->gov_floor) {
			double a = later(d->gov_idle_since_s, k->gov_hold_s);
			double b = later(d->gov_down_at_s, k->gov_down_s);
			d->gov_next_s = a > b ? a : b;
		}
	}
}

/* Brings the running time toward the next step up to t. */
static void gov_count(struct lv_devmodel *d, double t)
{
	if (d->gov_on && running(d)) {
		d->gov_busy_s += t - d->gov_mark_s;
		d->gov_mark_s = t;
	}
}

/* Moves the clock now, rescaling a running batch's remaining work (a governor move, a boost). */
static void move_clock(struct lv_devmodel *d, double t, size_t fi)
{
	if (running(d)) {
		double old_l = lv_devmodel_kind_latency(cur_costs(d), d->fi, d->cur.batch);
		double new_l = lv_devmodel_kind_latency(cur_costs(d), fi, d->cur.batch);
		d->phase_end_s = t + (d->phase_end_s - t) * (new_l / old_l);
	}
	d->fi = fi;
	set_power(d);
}

/* A governor move: the clock now, and for the work that follows. */
static void gov_move(struct lv_devmodel *d, double t, size_t fi)
{
	move_clock(d, t, fi);
	d->tail_fi = fi;
}

/* The move due at t (accumulated up to t). Returns 1 and fills *ev when the clock moved. */
static int gov_step(struct lv_devmodel *d, double t, struct lv_devmodel_event *ev)
{
	const struct lv_devmodel_kind *k = d->kind;
	size_t top = k->n_freqs - 1, fi = d->fi;
	if (running(d)) {
		gov_count(d, t);
		size_t steps = top - fi; /* all at once when gov_up_s is 0 */
		if (k->gov_up_s > 0) {
			double due = floor(d->gov_busy_s / k->gov_up_s);
			due = due < 1 ? 1 : due; /* due by the plan, short only by rounding */
			if (due < (double)steps)
				steps = (size_t)due;
		}
		fi += steps;
		double left = d->gov_busy_s - (double)steps * k->gov_up_s;
		d->gov_busy_s = fi < top && left > 0 ? left : 0;
	} else {
		fi = k->gov_down_s > 0 ? fi - 1 : k->gov_floor;
		d->gov_down_at_s = t;
		d->gov_busy_s = 0;
	}
	gov_move(d, t, fi);
	gov_plan(d, t);
	memset(ev, 0, sizeof(*ev));
	ev->kind = LV_DM_GOV_CLOCK;
	ev->time_s = t;
	ev->freq_hz = freq_of(d, d->fi);
	return 1;
}

/* The governor takes over at now: afresh, with no busy time and no descent begun. */
static void gov_start(struct lv_devmodel *d, double now)
{
	d->gov_on = 1;
	d->gov_busy_s = 0;
	d->gov_mark_s = now;
	d->gov_idle_since_s = INFINITY;
	d->gov_down_at_s = -INFINITY;
	gov_plan(d, now);
}

/* ---- work ------------------------------------------------------------------ */

void lv_devmodel_init(struct lv_devmodel *d, const struct lv_devmodel_kind *k, int index,
                      const struct lv_devmodel_config *cfg, uint64_t freq_hz, double now,
                      lv_devmodel_sink_fn sink, void *sink_arg)
{
	memset(d, 0, sizeof(*d));
	d->kind = k;
	d->index = index;
	if (cfg)
		d->cfg = *cfg;
	else
		lv_devmodel_config_default(&d->cfg);
	uint64_t x = d->cfg.seed;
	uint64_t s = lv_rng_splitmix(&x) ^ ((uint64_t)index * 0xd1342543de82ef95ULL + 1);
	lv_rng_seed(&d->rng, s);
	s = lv_rng_splitmix(&x) ^ ((uint64_t)index * 0xd1342543de82ef95ULL + 2);
	lv_rng_seed(&d->cc_rng, s);
	int fi = freq_hz ? lv_profile_freq_index(k->profile, freq_hz) : -1;
	d->fi = fi >= 0 ? (size_t)fi : k->n_freqs - 1;
	d->tail_fi = d->fi;
	d->phase = LV_DM_IDLE;
	d->phase_end_s = INFINITY;
	d->acc_s = now;
	d->sink = sink;
	d->sink_arg = sink_arg;
	d->cold = d->cfg.cold_start;
	d->warm_at_s = INFINITY;
	d->boost_at_s = INFINITY;
	set_power(d);
	d->gov_next_s = INFINITY;
	if (d->cfg.governor)
		gov_start(d, now);
}

void lv_devmodel_fini(struct lv_devmodel *d)
{
	free(d->fifo);
	d->fifo = NULL;
	d->len = d->cap = d->head = 0;
}

static void fifo_push(struct lv_devmodel *d, const struct lv_devmodel_job *j)
{
	if (d->len == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct lv_devmodel_job *n = lv_xmalloc(cap * sizeof(*n));
		for (size_t i = 0; i < d->len; i++)
			n[i] = d->fifo[(d->head + i) % d->cap];
		free(d->fifo);
		d->fifo = n;
		d->cap = cap;
		d->head = 0;
	}
	d->fifo[(d->head + d->len) % d->cap] = *j;
	d->len++;
}

static struct lv_devmodel_job fifo_pop(struct lv_devmodel *d)
{
	assert(d->len > 0);
	struct lv_devmodel_job j = d->fifo[d->head];
	d->head = (d->head + 1) % d->cap;
	d->len--;
	return j;
}

/* Starts queued work on an idle device at t (accumulated up to t). */
static void start_next(struct lv_devmodel *d, double t)
{
	while (d->phase == LV_DM_IDLE && d->len > 0) {
		struct lv_devmodel_job j = fifo_pop(d);
		if (j.batch_id == 0) {
			if ((size_t)j.fi == d->fi)
				continue;
			double delay = change_delay(d);
			if (!(delay > 0)) {
				d->fi = (size_t)j.fi;
				continue;
			}
			d->phase = LV_DM_CHANGING;
			d->phase_end_s = later(t, delay);
		} else {
			d->cur_noise = noise_factor(d);
			d->cur_energy_j = 0;
			d->phase = LV_DM_RUNNING;
			if (d->cold)
				d->warm_at_s = t;
			d->cold = 0;
			d->phase_end_s = later(t, lv_devmodel_kind_latency(
			                              j.costs ? j.costs : d->kind, d->fi, j.batch) *
			                              d->cur_noise);
			d->gov_mark_s = t;
		}
		d->cur = j;
		d->cur_start_s = t;
	}
	set_power(d);
	gov_plan(d, t);
}

double lv_devmodel_next_s(const struct lv_devmodel *d)
{
	double tp = d->phase != LV_DM_IDLE ? d->phase_end_s : INFINITY;
	double t = tp < d->gov_next_s ? tp : d->gov_next_s;
	return t < d->boost_at_s ? t : d->boost_at_s;
}

/* A boost's write lands at t (accumulated up to t). */
static void boost_land(struct lv_devmodel *d, double t)
{
	size_t fi = d->boost_fi;
	d->boost_at_s = INFINITY;
	if (d->phase == LV_DM_CHANGING) {
		d->cur.fi = (int)fi; /* the change under way ends at the boost's clock */
		return;
	}
	move_clock(d, t, fi);
}

static void finish_batch(struct lv_devmodel *d, double t, struct lv_devmodel_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = LV_DM_BATCH_DONE;
	ev->time_s = t;
	ev->freq_hz = freq_of(d, d->fi);
	ev->batch_id = d->cur.batch_id;
	ev->batch = d->cur.batch;
	ev->submit_s = d->cur.submit_s;
	ev->start_s = d->cur_start_s;
	ev->energy_j = d->cur_energy_j;
	d->batches++;
	d->frames += (uint64_t)d->cur.batch;
}

int lv_devmodel_advance(struct lv_devmodel *d, double until, struct lv_devmodel_event *ev)
{
	for (;;) {
		double tp = d->phase != LV_DM_IDLE ? d->phase_end_s : INFINITY;
		double tg = d->gov_next_s;
		double tb = d->boost_at_s;
		double t = tp <= tg ? tp : tg;
		t = t <= tb ? t : tb;
		if (!(t <= until))
			return 0;
		accumulate(d, t);
		if (tb < tp && tb <= tg) {
			boost_land(d, t);
		} else if (tp <= tg) {
			enum lv_devmodel_phase was = d->phase;
			gov_count(d, t);
			if (was == LV_DM_RUNNING)
				finish_batch(d, t, ev);
			else
				d->fi = (size_t)d->cur.fi;
			d->phase = LV_DM_IDLE;
			d->phase_end_s = INFINITY;
			start_next(d, t);
			if (was == LV_DM_RUNNING)
				return 1;
		} else {
			return gov_step(d, t, ev);
		}
	}
}

static int freq_index(const struct lv_devmodel *d, uint64_t freq_hz)
{
	return lv_profile_freq_index(d->kind->profile, freq_hz);
}

/* Queues a clock change to fi unless the device will be at fi by then anyway. */
static void queue_clock(struct lv_devmodel *d, int fi)
{
	gov_off(d);
	if ((size_t)fi == d->tail_fi)
		return;
	struct lv_devmodel_job j = { .batch_id = 0, .batch = 0, .fi = fi, .submit_s = d->acc_s };
	fifo_push(d, &j);
	d->tail_fi = (size_t)fi;
}

int lv_devmodel_submit(struct lv_devmodel *d, double now, uint64_t batch_id, int batch,
                       uint64_t freq_hz)
{
	return lv_devmodel_submit_costs(d, now, batch_id, batch, freq_hz, NULL);
}

int lv_devmodel_submit_costs(struct lv_devmodel *d, double now, uint64_t batch_id, int batch,
                             uint64_t freq_hz, const struct lv_devmodel_kind *costs)
{
	assert(!costs ||
	       (costs->profile == d->kind->profile && costs->n_freqs == d->kind->n_freqs));
	assert(batch_id > 0 && batch >= 1);
	assert(lv_devmodel_next_s(d) > now);
	int fi = freq_hz ? freq_index(d, freq_hz) : 0;
	if (fi < 0)
		return LV_EINVAL;
	accumulate(d, now);
	if (freq_hz)
		queue_clock(d, fi);
	struct lv_devmodel_job j = {
		.batch_id = batch_id, .batch = batch, .fi = -1, .submit_s = now, .costs = costs
	};
	fifo_push(d, &j);
	if (d->phase == LV_DM_IDLE)
		start_next(d, now);
	return LV_OK;
}

int lv_devmodel_set_clock(struct lv_devmodel *d, double now, uint64_t freq_hz)
{
	assert(lv_devmodel_next_s(d) > now);
	int fi = freq_index(d, freq_hz);
	if (fi < 0)
		return LV_EINVAL;
	accumulate(d, now);
	queue_clock(d, fi);
	if (d->phase == LV_DM_IDLE)
		start_next(d, now);
	return LV_OK;
}

int lv_devmodel_boost(struct lv_devmodel *d, double now, uint64_t freq_hz)
{
	assert(lv_devmodel_next_s(d) > now);
	int fi = freq_index(d, freq_hz);
	if (fi < 0)
		return LV_EINVAL;
	accumulate(d, now);
	gov_off(d);
	/* Everything queued runs at fi: its clock changes go. */
	size_t kept = 0;
	for (size_t i = 0; i < d->len; i++) {
		struct lv_devmodel_job j = d->fifo[(d->head + i) % d->cap];
		if (j.batch_id != 0)
			d->fifo[(d->head + kept++) % d->cap] = j;
	}
	d->len = kept;
	d->tail_fi = (size_t)fi;
	if (d->phase == LV_DM_CHANGING) {
		d->cur.fi = fi;
	} else if (d->phase == LV_DM_IDLE && isinf(d->boost_at_s)) {
		if ((size_t)fi != d->fi) {
			struct lv_devmodel_job j = { .batch_id = 0, .fi = fi, .submit_s = now };
			fifo_push(d, &j);
			start_next(d, now);
		}
	} else if (!isinf(d->boost_at_s)) {
		d->boost_fi = (size_t)fi; /* the write in flight lands on the new target */
	} else if ((size_t)fi != d->fi) {
		d->boost_fi = (size_t)fi;
		double delay = change_delay(d);
		if (delay > 0)
			d->boost_at_s = later(now, delay);
		else
			boost_land(d, now);
	}
	return LV_OK;
}

void lv_devmodel_release(struct lv_devmodel *d, double now)
{
	assert(lv_devmodel_next_s(d) > now);
	accumulate(d, now);
	if (d->gov_on || !d->cfg.governor)
		return;
	gov_start(d, now);
}

void lv_devmodel_settle(struct lv_devmodel *d, double now)
{
	assert(lv_devmodel_next_s(d) >= now);
	accumulate(d, now);
}

uint64_t lv_devmodel_freq_hz(const struct lv_devmodel *d)
{
	return freq_of(d, d->fi);
}
