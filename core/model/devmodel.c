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

/* ---- the effective cost grid of a kind ------------------------------------ */

int lv_devmodel_cell_usable(const struct lv_cost_table *t, size_t fi, int batch)
{
	size_t i = lv_cost_index(t, fi, batch);
	double L = t->latency_s[i], E = t->energy_j[i];
	return t->source[i] != LV_SRC_NONE && isfinite(L) && L > 0 && isfinite(E) && E >= 0;
}

static int row_usable(const struct lv_cost_table *t, size_t fi)
{
	for (int b = 1; b <= t->max_batch; b++)
		if (lv_devmodel_cell_usable(t, fi, b))
			return 1;
	return 0;
}

/* The row a clock borrows: itself, else the nearest usable one (ties: higher). */
static size_t source_row(const struct lv_cost_table *t, size_t fi)
{
	if (row_usable(t, fi))
		return fi;
	for (size_t d = 1; d < t->n_freqs; d++) {
		if (fi + d < t->n_freqs && row_usable(t, fi + d))
			return fi + d;
		if (fi >= d && row_usable(t, fi - d))
			return fi - d;
	}
	assert(0 && "caller checked that some row is usable");
	return fi;
}

/* Fills cell (fi, b) from row `src`: measured, else the nearest batch scaled (ties: smaller). */
static void fill_cell(struct lv_devmodel_kind *k, const struct lv_cost_table *t, size_t fi,
                      size_t src, int b)
{
	int from = 0;
	for (int d = 0; d < t->max_batch && !from; d++) {
		if (b - d >= 1 && lv_devmodel_cell_usable(t, src, b - d))
			from = b - d;
		else if (b + d <= t->max_batch && lv_devmodel_cell_usable(t, src, b + d))
			from = b + d;
	}
	assert(from > 0);
	double scale = (double)b / from;
	double L = lv_cost_latency(t, src, from) * scale;
	double E = lv_cost_energy(t, src, from) * scale;
	size_t i = fi * (size_t)k->max_batch + (size_t)(b - 1);
	k->latency_s[i] = L;
	k->power_w[i] = E / L;
}

struct lv_devmodel_kind *lv_devmodel_kind_new(const struct lv_profile *p,
                                              const struct lv_cost_table *t, char **why)
{
	int any = 0;
	for (size_t fi = 0; fi < t->n_freqs && !any; fi++)
		any = row_usable(t, fi);
	if (!any || p->n_freqs == 0 || t->n_freqs != p->n_freqs) {
		lv_fail(why, LV_EINVAL, "%s: the %s cost table has no usable cell to emulate from",
		        p->kind, lv_cost_mode_name(t->mode));
		return NULL;
	}
	struct lv_devmodel_kind *k = lv_xcalloc(1, sizeof(*k));
	k->profile = p;
	k->n_freqs = t->n_freqs;
	k->max_batch = t->max_batch;
	size_t cells = k->n_freqs * (size_t)k->max_batch;
	k->latency_s = lv_xmalloc(cells * sizeof(double));
	k->power_w = lv_xmalloc(cells * sizeof(double));
	for (size_t fi = 0; fi < k->n_freqs; fi++) {
		size_t src = source_row(t, fi);
		for (int b = 1; b <= k->max_batch; b++)
			fill_cell(k, t, fi, src, b);
	}
	k->min_idle_w = INFINITY;
	for (size_t fi = 0; fi < p->n_freqs; fi++)
		if (p->idle_power_w[fi] < k->min_idle_w)
			k->min_idle_w = p->idle_power_w[fi];
	return k;
}

void lv_devmodel_kind_free(struct lv_devmodel_kind *k)
{
	if (!k)
		return;
	free(k->latency_s);
	free(k->power_w);
	free(k);
}

double lv_devmodel_kind_latency(const struct lv_devmodel_kind *k, size_t fi, int batch)
{
	assert(fi < k->n_freqs && batch >= 1);
	if (batch <= k->max_batch)
		return k->latency_s[fi * (size_t)k->max_batch + (size_t)(batch - 1)];
	double top = k->latency_s[fi * (size_t)k->max_batch + (size_t)(k->max_batch - 1)];
	return top * batch / k->max_batch;
}

double lv_devmodel_kind_power(const struct lv_devmodel_kind *k, size_t fi, int batch)
{
	assert(fi < k->n_freqs && batch >= 1);
	int b = batch <= k->max_batch ? batch : k->max_batch;
	return k->power_w[fi * (size_t)k->max_batch + (size_t)(b - 1)];
}

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

static void set_power(struct lv_devmodel *d)
{
	if (d->phase == LV_DM_RUNNING)
		d->power_w = lv_devmodel_kind_power(d->kind, d->fi, d->cur.batch);
	else
		d->power_w = d->kind->profile->idle_power_w[d->fi];
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
	if (d->phase == LV_DM_RUNNING) {
		d->busy_s += dt;
		d->cur_energy_j += d->power_w * dt;
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

/* ---- governor -------------------------------------------------------------- */

static int running(const struct lv_devmodel *d)
{
	return d->phase == LV_DM_RUNNING;
}

static void gov_off(struct lv_devmodel *d)
{
	d->gov_on = 0;
	d->gov_sleep = 0;
	d->gov_next_s = INFINITY;
}

/*
 * Wakes a sleeping governor at t (accumulated up to t) because the device's
 * busy state just changed: the state was constant since it fell asleep, so
 * the busy time at the last grid point follows from the busy time now.
 */
static void gov_wake(struct lv_devmodel *d, double t)
{
	double k0 = floor(t / LV_GOV_PERIOD_S);
	uint64_t k = k0 > (double)d->gov_k ? (uint64_t)k0 : d->gov_k;
	while ((double)(k + 1) * LV_GOV_PERIOD_S <= t)
		k++; /* t/period rounded down past a grid point */
	double t0 = (double)k * LV_GOV_PERIOD_S;
	if (t0 > t)
		t0 = t;
	d->gov_mark_busy_s = d->busy_s - (d->gov_sleep == 2 ? t - t0 : 0.0);
	d->gov_k = k;
	d->gov_sleep = 0;
	d->gov_next_s = (double)(k + 1) * LV_GOV_PERIOD_S;
}

static void gov_check_wake(struct lv_devmodel *d, double t)
{
	if (d->gov_on && d->gov_sleep && (d->gov_sleep == 2) != running(d))
		gov_wake(d, t);
}

/* Moves the clock now (a governor move), rescaling a running batch's remaining work. */
static void gov_move(struct lv_devmodel *d, double t, size_t fi)
{
	if (running(d)) {
		double old_l = lv_devmodel_kind_latency(d->kind, d->fi, d->cur.batch);
		double new_l = lv_devmodel_kind_latency(d->kind, fi, d->cur.batch);
		d->phase_end_s = t + (d->phase_end_s - t) * (new_l / old_l);
	}
	d->fi = fi;
	d->tail_fi = fi;
	set_power(d);
}

/* One tick at t (accumulated). Returns 1 and fills *ev when the clock moved. */
static int gov_tick(struct lv_devmodel *d, double t, struct lv_devmodel_event *ev)
{
	const struct lv_profile *p = d->kind->profile;
	size_t top = p->n_freqs - 1;
	double load = (d->busy_s - d->gov_mark_busy_s) / LV_GOV_PERIOD_S;
	load = load < 0 ? 0 : load > 1 ? 1 : load;
	d->gov_mark_busy_s = d->busy_s;
	d->gov_k++;
	d->gov_next_s = (double)(d->gov_k + 1) * LV_GOV_PERIOD_S;

	size_t fi = d->fi;
	if (load > LV_GOV_UP_LOAD && fi < top) {
		double want = (double)p->freqs_hz[fi] * load / LV_GOV_TARGET_LOAD;
		size_t up = fi + 1;
		while (up < top && (double)p->freqs_hz[up] < want)
			up++;
		fi = up;
	} else if (load < LV_GOV_DOWN_LOAD && fi > 0) {
		fi--;
	}
	int moved = fi != d->fi;
	if (moved)
		gov_move(d, t, fi);

	if (!running(d) && d->phase == LV_DM_IDLE && d->len == 0 && d->fi == 0)
		d->gov_sleep = 1;
	else if (running(d) && d->fi == top)
		d->gov_sleep = 2;
	if (d->gov_sleep)
		d->gov_next_s = INFINITY;
	if (moved) {
		memset(ev, 0, sizeof(*ev));
		ev->kind = LV_DM_GOV_CLOCK;
		ev->time_s = t;
		ev->freq_hz = freq_of(d, d->fi);
	}
	return moved;
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
	int fi = freq_hz ? lv_profile_freq_index(k->profile, freq_hz) : -1;
	d->fi = fi >= 0 ? (size_t)fi : k->n_freqs - 1;
	d->tail_fi = d->fi;
	d->phase = LV_DM_IDLE;
	d->phase_end_s = INFINITY;
	d->acc_s = now;
	d->sink = sink;
	d->sink_arg = sink_arg;
	d->gov_on = d->cfg.governor;
	d->gov_next_s = INFINITY;
	if (d->gov_on) {
		double k0 = floor(now / LV_GOV_PERIOD_S);
		d->gov_k = k0 > 0 ? (uint64_t)k0 : 0;
		d->gov_next_s = (double)(d->gov_k + 1) * LV_GOV_PERIOD_S;
	}
	set_power(d);
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

/* t + dur_s, strictly later than t even when dur_s is lost to rounding. */
static double later(double t, double dur_s)
{
	double e = t + dur_s;
	return e > t ? e : nextafter(t, INFINITY);
}

/* Starts queued work on an idle device at t (accumulated up to t). */
static void start_next(struct lv_devmodel *d, double t)
{
	while (d->phase == LV_DM_IDLE && d->len > 0) {
		struct lv_devmodel_job j = fifo_pop(d);
		if (j.batch_id == 0) {
			double delay = d->kind->profile->clock_change_delay_s;
			if ((size_t)j.fi == d->fi)
				continue;
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
			d->phase_end_s = later(
			    t, lv_devmodel_kind_latency(d->kind, d->fi, j.batch) * d->cur_noise);
		}
		d->cur = j;
		d->cur_start_s = t;
	}
	set_power(d);
	gov_check_wake(d, t);
}

double lv_devmodel_next_s(const struct lv_devmodel *d)
{
	double tp = d->phase != LV_DM_IDLE ? d->phase_end_s : INFINITY;
	return tp < d->gov_next_s ? tp : d->gov_next_s;
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
		double t = tp <= tg ? tp : tg;
		if (!(t <= until))
			return 0;
		accumulate(d, t);
		if (tp <= tg) {
			enum lv_devmodel_phase was = d->phase;
			if (was == LV_DM_RUNNING)
				finish_batch(d, t, ev);
			else
				d->fi = (size_t)d->cur.fi;
			d->phase = LV_DM_IDLE;
			d->phase_end_s = INFINITY;
			start_next(d, t);
			if (was == LV_DM_RUNNING)
				return 1;
		} else if (gov_tick(d, t, ev)) {
			return 1;
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
	assert(batch_id > 0 && batch >= 1);
	assert(lv_devmodel_next_s(d) > now);
	int fi = freq_hz ? freq_index(d, freq_hz) : 0;
	if (fi < 0)
		return LV_EINVAL;
	accumulate(d, now);
	if (freq_hz)
		queue_clock(d, fi);
	struct lv_devmodel_job j = {
		.batch_id = batch_id, .batch = batch, .fi = -1, .submit_s = now
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

void lv_devmodel_release(struct lv_devmodel *d, double now)
{
	assert(lv_devmodel_next_s(d) > now);
	accumulate(d, now);
	if (d->gov_on || !d->cfg.governor)
		return;
	d->gov_on = 1;
	d->gov_sleep = 0;
	double k0 = floor(now / LV_GOV_PERIOD_S);
	d->gov_k = k0 > 0 ? (uint64_t)k0 : 0;
	d->gov_next_s = (double)(d->gov_k + 1) * LV_GOV_PERIOD_S;
	d->gov_mark_busy_s = d->busy_s;
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
