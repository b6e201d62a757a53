/*
 * backend_emulated: a Jetson of one kind emulated by the device model
 * (devmodel.h) on the wall clock — the same latency, power, clock-change and
 * governor code the simulator runs, so an emulated agent and a simulated
 * device can never disagree.
 *
 * One lv_devmodel behind one mutex. Nothing ticks in the background: every
 * call reads the clock under the mutex (so `now` never goes back), runs the
 * model's transitions due by then (lv_devmodel_advance, which replays missed
 * governor ticks exactly) and settles its energy. A thread in infer() submits
 * its batch and sleeps on a condition variable until the model's next
 * transition; whichever thread runs a batch's completion marks that batch's
 * waiter done and wakes them all. Callers: the agent's HTTP threads.
 */
#include "backend.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/cluster.h"
#include "model/devmodel.h"
#include "base/clock.h"
#include "base/util.h"

#define LOAD_WINDOW_S 0.2 /* telemetry's GPU load: busy fraction over at least this */
#define MAX_SLEEP_S   1.0 /* a waiter re-checks at least this often */

struct waiter {
	uint64_t id;
	int done;
	struct lv_devmodel_event ev;
	struct waiter *next;
};

struct emu {
	struct lv_profile *profile;
	/*
	 * Per wire format: the cost table a batch of its model runs on and its
	 * grid (fp32: the kind's; uint8, jpeg: plus b times the preprocessing
	 * term, as lv_cluster_build_costs gives a device of that format). The
	 * device model runs on the fp32 grid; a batch brings its format's.
	 */
	struct lv_cost_table *cost[LV_WIRE_COUNT];
	struct lv_devmodel_kind *kind[LV_WIRE_COUNT];
	struct lv_devmodel dev;
	double t0_s;
	double last_now_s;

	pthread_mutex_t mu;
	pthread_cond_t done_cv; /* on CLOCK_MONOTONIC */
	int stopping;
	uint64_t next_id;
	struct waiter *waiters;
	int inflight;
	int pinned;
	uint64_t target_hz;
	double win_t_s[2], win_busy_s[2]; /* load window marks: older, newer */
};

/* Seconds since t0, never less than the last reading. Under mu. */
static double emu_now(struct emu *e)
{
	double t = lv_mono_s() - e->t0_s;
	if (t < e->last_now_s)
		t = e->last_now_s;
	e->last_now_s = t;
	return t;
}

/* Runs the model up to now, completing waiters. Under mu. */
static void drain(struct emu *e, double now)
{
	struct lv_devmodel_event ev;
	int woke = 0;
	while (lv_devmodel_advance(&e->dev, now, &ev)) {
		if (ev.kind != LV_DM_BATCH_DONE)
			continue;
		e->inflight--;
		for (struct waiter *w = e->waiters; w; w = w->next) {
			if (w->id == ev.batch_id) {
				w->done = 1;
				w->ev = ev;
				woke = 1;
			}
		}
	}
	lv_devmodel_settle(&e->dev, now);
	if (woke)
		pthread_cond_broadcast(&e->done_cv);
}

static struct lv_cost_table *build_cost(const struct lv_profile *p,
                                        const struct lv_backend_config *cfg, char **why)
{
	if (cfg->mode == LV_COST_PROF)
		return lv_cost_table_build(p, NULL, LV_COST_PROF, why);
	const char *cpath = cfg->cluster_path ? cfg->cluster_path : "profiles/clusters/thesis.json";
	struct lv_cluster *c = lv_cluster_load(cpath, why);
	if (!c)
		return NULL;
	struct lv_cost_table *t = NULL;
	if (lv_cluster_build_costs(c, cfg->mode, cfg->predictor_path, why) == 0)
		t = lv_cost_table_build(p, c->predictor, cfg->mode, why);
	lv_cluster_free(c);
	return t;
}

static void emu_free(struct emu *e)
{
	if (!e)
		return;
	for (int w = 0; w < LV_WIRE_COUNT; w++) {
		lv_devmodel_kind_free(e->kind[w]);
		lv_cost_table_free(e->cost[w]);
	}
	lv_profile_free(e->profile);
	free(e);
}

static int emu_open(struct lv_backend *b, const struct lv_backend_config *cfg, char **why)
{
	if (!cfg->profile_path || !cfg->kind)
		return lv_fail(why, LV_EINVAL, "emulation needs a kind and a profile");
	struct emu *e = lv_xcalloc(1, sizeof(*e));
	int rc = LV_EINVAL;
	e->profile = lv_profile_load(cfg->profile_path, why);
	if (!e->profile)
		goto out;
	if (strcmp(e->profile->kind, cfg->kind) != 0) {
		lv_fail(why, LV_EINVAL, "%s: kind: '%s', but the agent emulates '%s'",
		        cfg->profile_path, e->profile->kind, cfg->kind);
		goto out;
	}
	e->cost[LV_WIRE_FP32] = build_cost(e->profile, cfg, why);
	if (!e->cost[LV_WIRE_FP32])
		goto out;
	for (int w = 0; w < LV_WIRE_COUNT; w++) {
		double pre_s = 0, pre_j = 0;
		lv_profile_preprocess(e->profile, (enum lv_wire)w, &pre_s, &pre_j, NULL);
		if (w != LV_WIRE_FP32) /* the ensemble's preprocessing, on every frame */
			e->cost[w] = lv_cost_table_plus_frames(e->cost[LV_WIRE_FP32], pre_s, pre_j);
		e->kind[w] = lv_devmodel_kind_new(e->profile, e->cost[w], why);
		if (!e->kind[w])
			goto out;
	}
	e->t0_s = cfg->t0_s;
	lv_devmodel_init(&e->dev, e->kind[LV_WIRE_FP32], 0, NULL, 0, emu_now(e), NULL, NULL);

	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e->done_cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&e->mu, NULL);

	const struct lv_profile *p = e->profile;
	snprintf(b->kind, sizeof(b->kind), "%s", p->kind);
	snprintf(b->model, sizeof(b->model), "%s (emulated)", p->display_name);
	b->n_freqs = p->n_freqs;
	b->freqs_hz = lv_xmalloc(p->n_freqs * sizeof(uint64_t));
	memcpy(b->freqs_hz, p->freqs_hz, p->n_freqs * sizeof(uint64_t));
	b->max_batch = p->max_batch;
	b->clock_change_delay_s = p->clock_change_delay_s;
	b->impl = e;
	e = NULL;
	rc = 0;
out:
	emu_free(e);
	return rc;
}

static void emu_close(struct lv_backend *b)
{
	struct emu *e = b->impl;
	if (!e)
		return;
	lv_devmodel_fini(&e->dev);
	pthread_cond_destroy(&e->done_cv);
	pthread_mutex_destroy(&e->mu);
	emu_free(e);
	b->impl = NULL;
}

static int emu_get_clock(struct lv_backend *b, struct lv_clock_state *out, char **why)
{
	struct emu *e = b->impl;
	(void)why;
	pthread_mutex_lock(&e->mu);
	drain(e, emu_now(e));
	out->freq_hz = lv_devmodel_freq_hz(&e->dev);
	out->pinned = e->pinned;
	out->target_hz = e->pinned ? e->target_hz : 0;
	pthread_mutex_unlock(&e->mu);
	return 0;
}

static int emu_clock(struct lv_backend *b, uint64_t hz, int boost, char **why)
{
	struct emu *e = b->impl;
	pthread_mutex_lock(&e->mu);
	double now = emu_now(e);
	drain(e, now);
	int rc =
	    boost ? lv_devmodel_boost(&e->dev, now, hz) : lv_devmodel_set_clock(&e->dev, now, hz);
	if (rc == 0) {
		e->pinned = 1;
		e->target_hz = hz;
		/* a boost moves the running batch's end: waiters sleep until it */
		if (boost)
			pthread_cond_broadcast(&e->done_cv);
	}
	pthread_mutex_unlock(&e->mu);
	if (rc != 0)
		return lv_fail(why, rc, "%llu Hz: not a clock of %s", (unsigned long long)hz,
		               b->kind);
	return 0;
}

static int emu_set_clock(struct lv_backend *b, uint64_t hz, char **why)
{
	return emu_clock(b, hz, 0, why);
}

static int emu_boost_clock(struct lv_backend *b, uint64_t hz, char **why)
{
	return emu_clock(b, hz, 1, why);
}

static int emu_release_clock(struct lv_backend *b, char **why)
{
	struct emu *e = b->impl;
	(void)why;
	pthread_mutex_lock(&e->mu);
	double now = emu_now(e);
	drain(e, now);
	lv_devmodel_release(&e->dev, now);
	e->pinned = 0;
	e->target_hz = 0;
	pthread_mutex_unlock(&e->mu);
	return 0;
}

/* GPU load: busy share since the older window mark (>= LOAD_WINDOW_S ago once running). */
static double load_pct(struct emu *e, double now)
{
	double busy = e->dev.busy_s;
	if (now - e->win_t_s[1] >= LOAD_WINDOW_S) {
		e->win_t_s[0] = e->win_t_s[1];
		e->win_busy_s[0] = e->win_busy_s[1];
		e->win_t_s[1] = now;
		e->win_busy_s[1] = busy;
	}
	double span = now - e->win_t_s[0];
	if (!(span > 0))
		return e->dev.phase == LV_DM_RUNNING ? 100.0 : 0.0;
	double pct = 100.0 * (busy - e->win_busy_s[0]) / span;
	return pct < 0 ? 0 : pct > 100 ? 100 : pct;
}

static int emu_telemetry(struct lv_backend *b, struct lv_telemetry *out, char **why)
{
	struct emu *e = b->impl;
	(void)why;
	pthread_mutex_lock(&e->mu);
	double now = emu_now(e);
	drain(e, now);
	out->valid = LV_TEL_GPU_FREQ | LV_TEL_GPU_LOAD | LV_TEL_POWER | LV_TEL_INFLIGHT;
	out->time_s = now;
	out->gpu_freq_hz = lv_devmodel_freq_hz(&e->dev);
	out->gpu_load_pct = load_pct(e, now);
	out->power_w = e->dev.power_w;
	out->n_rails = 1; /* the model knows the board's input power only */
	snprintf(out->rails[0].name, sizeof(out->rails[0].name), "VDD_IN");
	out->rails[0].power_w = e->dev.power_w;
	out->rails[0].avg_w = now > 0 ? e->dev.energy_j / now : e->dev.power_w;
	out->energy_j = e->dev.energy_j;
	out->inflight = e->inflight;
	pthread_mutex_unlock(&e->mu);
	return 0;
}

static struct timespec abs_time(double mono_s)
{
	struct timespec ts;
	double sec = floor(mono_s);
	ts.tv_sec = (time_t)sec;
	ts.tv_nsec = (long)((mono_s - sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	return ts;
}

static void unlink_waiter(struct emu *e, struct waiter *w)
{
	for (struct waiter **pp = &e->waiters; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			return;
		}
	}
}

static int emu_infer(struct lv_backend *b, int batch, enum lv_wire wire,
                     struct lv_infer_result *out, char **why)
{
	struct emu *e = b->impl;
	struct waiter w = { 0 };
	int rc = 0;
	pthread_mutex_lock(&e->mu);
	double now = emu_now(e);
	drain(e, now);
	if (e->stopping) {
		rc = lv_fail(why, LV_ESTATE, "the agent is stopping");
		goto out;
	}
	w.id = ++e->next_id;
	lv_devmodel_submit_costs(&e->dev, now, w.id, batch, 0, e->kind[wire]);
	e->inflight++;
	w.next = e->waiters;
	e->waiters = &w;
	while (!w.done && !e->stopping) {
		double wake = lv_devmodel_next_s(&e->dev);
		if (!(wake < now + MAX_SLEEP_S))
			wake = now + MAX_SLEEP_S;
		struct timespec ts = abs_time(e->t0_s + wake);
		pthread_cond_timedwait(&e->done_cv, &e->mu, &ts);
		now = emu_now(e);
		drain(e, now);
	}
	unlink_waiter(e, &w);
	if (!w.done) {
		rc = lv_fail(why, LV_ESTATE, "the agent is stopping");
		goto out;
	}
	out->queue_s = w.ev.start_s - w.ev.submit_s;
	out->latency_s = w.ev.time_s - w.ev.start_s;
	out->energy_j = w.ev.energy_j;
	out->freq_hz = w.ev.freq_hz;
out:
	pthread_mutex_unlock(&e->mu);
	return rc;
}

static void emu_stop(struct lv_backend *b)
{
	struct emu *e = b->impl;
	pthread_mutex_lock(&e->mu);
	e->stopping = 1;
	pthread_cond_broadcast(&e->done_cv);
	pthread_mutex_unlock(&e->mu);
}

const struct lv_backend_ops lv_backend_emulated_ops = {
	.name = "emulated",
	.caps = LV_BACKEND_CAP_INFER,
	.open = emu_open,
	.close = emu_close,
	.get_clock = emu_get_clock,
	.set_clock = emu_set_clock,
	.boost_clock = emu_boost_clock,
	.release_clock = emu_release_clock,
	.telemetry = emu_telemetry,
	.infer = emu_infer,
	.stop = emu_stop,
};
