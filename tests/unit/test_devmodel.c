/*
 * The emulated device: energy integrated exactly over busy and idle pieces,
 * the FIFO (a batch waits for the one before it and for a clock change),
 * cost-cell borrowing, noise, the default governor on hand-made loads, and
 * clock-change delays drawn from a distribution.
 * Every expected number below is worked out by hand from the tiny profiles.
 *
 * "tiny": clocks 100 and 200 MHz, idle 1 W and 2 W, max batch 2, change 0.5 s
 *   100 MHz: b=1 L=1.0 s E=3.0 J (3 W)   b=2 L=1.5 s E=6.0 J (4 W)
 *   200 MHz: b=1 L=0.5 s E=2.5 J (5 W)   b=2 L=0.8 s E=4.8 J (6 W)
 * "quad": clocks 100..400 MHz, idle 1..4 W, max batch 1,
 *   L = 0.8, 0.4, 0.3, 0.2 s, E = 4 W × L.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/cost.h"
#include "model/devmodel.h"
#include "model/profile.h"
#include "base/util.h"

#define MHZ 1e6
#define EPS 1e-9

static const struct lv_test_point tiny_pts[] = {
	{ 100 * MHZ, 1, 1.0, 3.0 },
	{ 100 * MHZ, 2, 1.5, 6.0 },
	{ 200 * MHZ, 1, 0.5, 2.5 },
	{ 200 * MHZ, 2, 0.8, 4.8 },
};

struct rig {
	struct lv_profile *p;
	struct lv_cost_table *t;
	struct lv_devmodel_kind *k;
	struct lv_devmodel d;
	double sink_j;     /* Σ power × length over the sink's pieces */
	double sink_end_s; /* pieces must tile time: each starts where the last ended */
	int sink_gap;
};

static void sink(void *arg, int device, double t0, double t1, double power_w)
{
	struct rig *r = arg;
	(void)device;
	if (fabs(t0 - r->sink_end_s) > EPS)
		r->sink_gap = 1;
	r->sink_end_s = t1;
	r->sink_j += power_w * (t1 - t0);
}

static void rig_up(struct rig *r, struct lv_profile *p, int governor, double noise, uint64_t seed)
{
	memset(r, 0, sizeof(*r));
	r->p = p;
	r->t = lv_cost_table_build(p, NULL, LV_COST_PROF, NULL);
	assert_non_null(r->t);
	char *why = NULL;
	r->k = lv_devmodel_kind_new(p, r->t, &why);
	assert_non_null(r->k);
	struct lv_devmodel_config cfg = { governor, noise, LV_NOISE_UNIFORM, seed, 0 };
	lv_devmodel_init(&r->d, r->k, 0, &cfg, 0, 0.0, sink, r);
}

static void rig_down(struct rig *r)
{
	lv_devmodel_fini(&r->d);
	lv_devmodel_kind_free(r->k);
	lv_cost_table_free(r->t);
	lv_profile_free(r->p);
}

static struct lv_profile *tiny(void)
{
	static const double f[] = { 100 * MHZ, 200 * MHZ }, idle[] = { 1.0, 2.0 };
	return lv_test_profile_new("tiny", 2, f, idle, 2, 0.5, 4, tiny_pts);
}

static struct lv_profile *quad(void)
{
	static const double f[] = { 100 * MHZ, 200 * MHZ, 300 * MHZ, 400 * MHZ };
	static const double idle[] = { 1, 2, 3, 4 };
	static const struct lv_test_point pts[] = {
		{ 100 * MHZ, 1, 0.8, 3.2 },
		{ 200 * MHZ, 1, 0.4, 1.6 },
		{ 300 * MHZ, 1, 0.3, 1.2 },
		{ 400 * MHZ, 1, 0.2, 0.8 },
	};
	return lv_test_profile_new("quad", 4, f, idle, 1, 0.5, 4, pts);
}

/* Runs the device up to `until`; expects exactly one event there and returns it. */
static struct lv_devmodel_event one_event(struct rig *r, double until)
{
	struct lv_devmodel_event ev;
	assert_int_equal(lv_devmodel_advance(&r->d, until, &ev), 1);
	return ev;
}

static void no_event(struct rig *r, double until)
{
	struct lv_devmodel_event ev;
	assert_int_equal(lv_devmodel_advance(&r->d, until, &ev), 0);
}

/*
 * Two batches with idle gaps, the second after a clock change:
 *   0.0-1.0 idle @200 (2 W)          2.0 J
 *   1.0-1.8 b=2 @200 (6 W)           4.8 J
 *   1.8-3.0 idle @200 (2 W)          2.4 J
 *   3.0-3.5 change to 100, idle 2 W  1.0 J
 *   3.5-4.5 b=1 @100 (3 W)           3.0 J
 *   4.5-6.0 idle @100 (1 W)          1.5 J   total 14.7 J
 */
static void test_energy_two_batches(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, tiny(), 0, 0, 1);
	assert_int_equal(lv_devmodel_freq_hz(&r.d), 200 * MHZ);
	no_event(&r, 1.0);
	assert_int_equal(lv_devmodel_submit(&r.d, 1.0, 7, 2, 0), 0);
	assert_near(lv_devmodel_next_s(&r.d), 1.8, EPS);
	struct lv_devmodel_event ev = one_event(&r, 3.0);
	assert_int_equal(ev.kind, LV_DM_BATCH_DONE);
	assert_int_equal(ev.batch_id, 7);
	assert_near(ev.time_s, 1.8, EPS);
	assert_near(ev.start_s, 1.0, EPS);
	assert_near(ev.energy_j, 4.8, EPS);
	no_event(&r, 3.0);

	assert_int_equal(lv_devmodel_submit(&r.d, 3.0, 8, 1, 100 * MHZ), 0);
	ev = one_event(&r, 6.0);
	assert_int_equal(ev.batch_id, 8);
	assert_near(ev.start_s, 3.5, EPS);
	assert_near(ev.time_s, 4.5, EPS);
	assert_near(ev.energy_j, 3.0, EPS);
	assert_int_equal(ev.freq_hz, 100 * MHZ);
	no_event(&r, 6.0);
	lv_devmodel_settle(&r.d, 6.0);

	assert_near(r.d.energy_j, 14.7, EPS);
	assert_near(r.sink_j, 14.7, EPS);
	assert_false(r.sink_gap);
	assert_near(r.sink_end_s, 6.0, EPS);
	assert_near(r.d.busy_s, 1.8, EPS);
	/* 200 MHz for 3.5 s, 100 MHz for 2.5 s */
	assert_near(r.d.freq_hz_s / 6.0, (3.5 * 200 + 2.5 * 100) * MHZ / 6.0, 1e-3);
	assert_int_equal(r.d.batches, 2);
	assert_int_equal(r.d.frames, 3);
	rig_down(&r);
}

/*
 * Cold start: "tiny" with cold_idle_w 0.4 W, started at 100 MHz, GPU gated:
 *   0.0-2.0 cold idle @100 (0.4 W)   0.8 J
 *   2.0-3.0 b=1 @100 (3 W)           3.0 J
 *   3.0-5.0 idle @100 (1 W: the GPU has run) 2.0 J   total 5.8 J
 * The busy and clock-change split: busy 3.0 J, changes 0 J.
 * Without cold_start the first 2 s draw 1 W: 2.0 + 3.0 + 2.0 = 7.0 J. Started at 200 MHz, cold
 * power does not apply (only at the lowest clock): 2 s at 2 W.
 */
static void test_cold_start(void **state)
{
	(void)state;
	struct rig r;
	struct lv_profile *p = tiny();
	p->cold_idle_w = 0.4;
	memset(&r, 0, sizeof(r));
	r.p = p;
	r.t = lv_cost_table_build(p, NULL, LV_COST_PROF, NULL);
	char *why = NULL;
	r.k = lv_devmodel_kind_new(p, r.t, &why);
	struct lv_devmodel_config cfg;
	lv_devmodel_config_default(&cfg);
	cfg.governor = 0;
	cfg.cold_start = 1;
	lv_devmodel_init(&r.d, r.k, 0, &cfg, 100 * MHZ, 0.0, sink, &r);
	assert_near(r.d.power_w, 0.4, EPS);
	assert_int_equal(lv_devmodel_submit(&r.d, 2.0, 1, 1, 0), 0);
	struct lv_devmodel_event ev = one_event(&r, 5.0);
	assert_near(ev.time_s, 3.0, EPS);
	lv_devmodel_settle(&r.d, 5.0);
	assert_near(r.d.energy_j, 5.8, EPS);
	assert_near(r.d.busy_energy_j, 3.0, EPS);
	assert_near(r.d.change_energy_j, 0.0, EPS);
	assert_near(r.sink_j, 5.8, EPS);
	lv_devmodel_fini(&r.d);

	cfg.cold_start = 0;
	lv_devmodel_init(&r.d, r.k, 0, &cfg, 100 * MHZ, 0.0, NULL, NULL);
	assert_int_equal(lv_devmodel_submit(&r.d, 2.0, 1, 1, 0), 0);
	one_event(&r, 5.0);
	lv_devmodel_settle(&r.d, 5.0);
	assert_near(r.d.energy_j, 7.0, EPS);
	lv_devmodel_fini(&r.d);

	cfg.cold_start = 1;
	lv_devmodel_init(&r.d, r.k, 0, &cfg, 200 * MHZ, 0.0, NULL, NULL);
	lv_devmodel_settle(&r.d, 2.0);
	assert_near(r.d.energy_j, 4.0, EPS);
	rig_down(&r);
}

/* Two batches submitted together: the second starts when the first ends. */
static void test_fifo_queue_wait(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, tiny(), 0, 0, 1);
	assert_int_equal(lv_devmodel_submit(&r.d, 0.0, 1, 1, 0), 0);
	assert_int_equal(lv_devmodel_submit(&r.d, 0.0, 2, 2, 0), 0);
	assert_int_equal(lv_devmodel_pending(&r.d), 2);
	struct lv_devmodel_event a = one_event(&r, 10);
	struct lv_devmodel_event b = one_event(&r, 10);
	no_event(&r, 10);
	assert_int_equal(a.batch_id, 1);
	assert_near(a.time_s, 0.5, EPS);
	assert_int_equal(b.batch_id, 2);
	assert_near(b.submit_s, 0.0, EPS);
	assert_near(b.start_s, 0.5, EPS);
	assert_near(b.time_s, 1.3, EPS);
	assert_int_equal(lv_devmodel_pending(&r.d), 0);
	lv_devmodel_settle(&r.d, 2.0);
	/* 0.5 s at 5 W + 0.8 s at 6 W + 0.7 s idle at 2 W */
	assert_near(r.d.energy_j, 2.5 + 4.8 + 1.4, EPS);
	rig_down(&r);
}

/* A batch arriving during a clock change waits for it; asking for the target costs nothing more. */
static void test_batch_waits_for_clock_change(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, tiny(), 0, 0, 1);
	assert_int_equal(lv_devmodel_set_clock(&r.d, 0.0, 100 * MHZ), 0);
	assert_int_equal(r.d.phase, LV_DM_CHANGING);
	no_event(&r, 0.2);
	assert_int_equal(lv_devmodel_submit(&r.d, 0.2, 5, 1, 100 * MHZ), 0);
	struct lv_devmodel_event ev = one_event(&r, 5);
	assert_near(ev.start_s, 0.5, EPS);
	assert_near(ev.time_s, 1.5, EPS);
	/* back to 200: a change then the batch; and an unknown clock is refused */
	assert_int_equal(lv_devmodel_submit(&r.d, 2.0, 6, 1, 150 * MHZ), LV_EINVAL);
	assert_int_equal(lv_devmodel_pending(&r.d), 0);
	assert_int_equal(lv_devmodel_submit(&r.d, 2.0, 6, 1, 200 * MHZ), 0);
	ev = one_event(&r, 5);
	assert_near(ev.start_s, 2.5, EPS);
	assert_near(ev.time_s, 3.0, EPS);
	lv_devmodel_settle(&r.d, 3.0);
	/* 0.5 change @200 idle 2 W = 1.0; 1.0 batch 3 W = 3.0; 0.5 idle @100 = 0.5;
	 * 0.5 change @100 idle 1 W = 0.5; 0.5 batch 5 W = 2.5 */
	assert_near(r.d.energy_j, 1.0 + 3.0 + 0.5 + 0.5 + 2.5, EPS);
	rig_down(&r);
}

/* Unmeasured cells borrow the nearest batch (scaled) and empty clocks the nearest row. */
static void test_borrowed_cells(void **state)
{
	(void)state;
	static const double f[] = { 100 * MHZ, 200 * MHZ, 300 * MHZ }, idle[] = { 1, 1, 1 };
	static const struct lv_test_point pts[] = {
		{ 100 * MHZ, 1, 1.0, 3.0 },
		{ 100 * MHZ, 3, 2.0, 9.0 },
		{ 300 * MHZ, 2, 0.6, 3.0 },
	};
	struct lv_profile *p = lv_test_profile_new("holes", 3, f, idle, 4, 0.1, 3, pts);
	struct lv_cost_table *t = lv_cost_table_build(p, NULL, LV_COST_PROF, NULL);
	struct lv_devmodel_kind *k = lv_devmodel_kind_new(p, t, NULL);
	assert_non_null(k);
	/* 100 MHz: b=2 is 1 away from b=1 and b=3: the smaller wins, ×2 */
	assert_near(lv_devmodel_kind_latency(k, 0, 2), 2.0, EPS);
	assert_near(lv_devmodel_kind_power(k, 0, 2), 3.0, EPS);
	/* b=4 borrows b=3, ×4/3; power unchanged */
	assert_near(lv_devmodel_kind_latency(k, 0, 4), 2.0 * 4 / 3, EPS);
	assert_near(lv_devmodel_kind_power(k, 0, 4), 4.5, EPS);
	/* 200 MHz has nothing: 100 and 300 are equally near, the higher lends its row */
	assert_near(lv_devmodel_kind_latency(k, 1, 2), 0.6, EPS);
	assert_near(lv_devmodel_kind_latency(k, 1, 1), 0.3, EPS);
	assert_near(lv_devmodel_kind_power(k, 1, 1), 5.0, EPS);
	/* above max batch (the agent's case): the max batch cell scaled */
	assert_near(lv_devmodel_kind_latency(k, 2, 8), 0.6 * 4, EPS);
	lv_devmodel_kind_free(k);
	lv_cost_table_free(t);

	/* a kind with no measured point has no table to emulate from: the
	 * builder refuses it, naming the kind and how to measure it */
	struct lv_profile *empty = lv_test_profile_new("empty", 3, f, idle, 4, 0.1, 0, NULL);
	char *why = NULL;
	assert_null(lv_cost_table_build(empty, NULL, LV_COST_PROF, &why));
	assert_non_null(strstr(why, "empty"));
	assert_non_null(strstr(why, "loudva profile run"));
	free(why);
	lv_profile_free(empty);
	lv_profile_free(p);
}

/* Uniform noise ±20%: durations within bounds, same seed same draws, another seed others. */
static void test_noise(void **state)
{
	(void)state;
	double first[2][20];
	uint64_t seeds[2] = { 5, 6 };
	for (int s = 0; s < 2; s++) {
		for (int rep = 0; rep < (s == 0 ? 2 : 1); rep++) {
			struct rig r;
			rig_up(&r, tiny(), 0, 0.2, seeds[s]);
			double now = 0;
			for (int i = 0; i < 20; i++) {
				assert_int_equal(
				    lv_devmodel_submit(&r.d, now, (uint64_t)i + 1, 1, 0), 0);
				struct lv_devmodel_event ev = one_event(&r, 100);
				double dur = ev.time_s - ev.start_s;
				assert_true(dur >= 0.5 * 0.8 - EPS && dur <= 0.5 * 1.2 + EPS);
				/* power stays 5 W: energy follows the duration */
				assert_near(ev.energy_j, 5.0 * dur, EPS);
				if (rep == 0)
					first[s][i] = dur;
				else
					assert_near(first[s][i], dur, 0);
				now = ev.time_s;
			}
			rig_down(&r);
		}
	}
	int differ = 0;
	for (int i = 0; i < 20; i++)
		differ += first[0][i] != first[1][i];
	assert_true(differ > 15);
}

/*
 * The governor (testutil's: 0.2 s of running from the lowest clock to the
 * highest, 1 s of complete idle before going down, 0.5 s from leaving the
 * highest to the lowest). On quad's four clocks: a step up per 0.2/3 s of
 * running; down, the first step at once, then one per 0.5/2 = 0.25 s.
 * Idle from boot at the top: 400 MHz until 1.0, 300 until 1.25, 200 until
 * 1.5, then 100; by 2.0 that is 4 + 0.75 + 0.5 + 0.5 = 5.75 J.
 */
static void test_governor_holds_then_descends(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, quad(), 1, 0, 1);
	assert_int_equal(lv_devmodel_freq_hz(&r.d), 400 * MHZ);
	assert_near(lv_devmodel_next_s(&r.d), 1.0, EPS);
	const double want_t[] = { 1.0, 1.25, 1.5 }, want_f[] = { 300, 200, 100 };
	for (int i = 0; i < 3; i++) {
		struct lv_devmodel_event ev = one_event(&r, 10);
		assert_int_equal(ev.kind, LV_DM_GOV_CLOCK);
		assert_near(ev.time_s, want_t[i], EPS);
		assert_int_equal(ev.freq_hz, want_f[i] * MHZ);
	}
	no_event(&r, 10);
	assert_true(isinf(lv_devmodel_next_s(&r.d))); /* at rest on the floor: nothing due */
	lv_devmodel_settle(&r.d, 10.0);
	assert_near(r.d.energy_j, 5.75 + 8.0, EPS);
	rig_down(&r);
}

/*
 * Load from the floor: 40 batches at 2.0 (quad's b=1 takes 0.8, 0.4, 0.3,
 * 0.2 s at 100..400 MHz). With u = 0.2/3 s of running per step the clock
 * goes up at 2 + u, 2 + 2u and 2 + 3u = 2.2, and the first batch, its work
 * done at 1/0.8, 1/0.4 and 1/0.3 of it per second meanwhile, has
 * 1 - u/0.8 - u/0.4 - u/0.3 of it left for 400 MHz: it ends at 2.2 + that
 * x 0.2. The 39 others take 0.2 s each. At rest from the last, the governor
 * holds 1 s and goes down at +1.0, +1.25 and +1.5.
 */
static void test_governor_ramps_under_load(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, quad(), 1, 0, 1);
	for (int i = 0; i < 3; i++)
		one_event(&r, 2.0);
	for (int i = 0; i < 40; i++)
		assert_int_equal(lv_devmodel_submit(&r.d, 2.0, (uint64_t)i + 1, 1, 0), 0);
	const double u = 0.2 / 3;
	for (int i = 0; i < 3; i++) {
		struct lv_devmodel_event ev = one_event(&r, 100);
		assert_int_equal(ev.kind, LV_DM_GOV_CLOCK);
		assert_near(ev.time_s, 2.0 + (i + 1) * u, 1e-12);
		assert_int_equal(ev.freq_hz, (200 + 100 * i) * MHZ);
	}
	double end1 = 2.2 + (1 - u / 0.8 - u / 0.4 - u / 0.3) * 0.2;
	struct lv_devmodel_event ev = one_event(&r, 100);
	assert_int_equal(ev.kind, LV_DM_BATCH_DONE);
	assert_near(ev.time_s, end1, 1e-12);
	for (int i = 1; i < 40; i++) {
		ev = one_event(&r, 100);
		assert_int_equal(ev.kind, LV_DM_BATCH_DONE);
		assert_int_equal(ev.freq_hz, 400 * MHZ);
	}
	double last = end1 + 39 * 0.2;
	assert_near(ev.time_s, last, 1e-9);
	const double down_t[] = { 1.0, 1.25, 1.5 };
	for (int i = 0; i < 3; i++) {
		ev = one_event(&r, 100);
		assert_int_equal(ev.kind, LV_DM_GOV_CLOCK);
		assert_near(ev.time_s, last + down_t[i], 1e-9);
		assert_int_equal(ev.freq_hz, (300 - 100 * i) * MHZ);
	}
	no_event(&r, 100);
	rig_down(&r);
}

/*
 * Load that comes and goes keeps the clock: a batch at 0.9 (0.2 s at 400
 * MHz, the top) ends at 1.1, and the 1 s hold starts over from there, so
 * the first step down is at 2.1, not 1.0. A batch during the descent (at
 * 2.2, after the step to 300 MHz at 2.1: 0.3 s) stops it there, and the
 * 0.2/3 s of running it takes moves the clock back up at 2.2 + 0.2/3.
 */
static void test_governor_holds_through_gaps(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, quad(), 1, 0, 1);
	assert_int_equal(lv_devmodel_submit(&r.d, 0.9, 1, 1, 0), 0);
	struct lv_devmodel_event ev = one_event(&r, 100);
	assert_int_equal(ev.kind, LV_DM_BATCH_DONE);
	assert_near(ev.time_s, 1.1, EPS);
	assert_near(lv_devmodel_next_s(&r.d), 2.1, EPS);
	ev = one_event(&r, 2.2);
	assert_int_equal(ev.kind, LV_DM_GOV_CLOCK);
	assert_int_equal(ev.freq_hz, 300 * MHZ);
	no_event(&r, 2.2);
	assert_int_equal(lv_devmodel_submit(&r.d, 2.2, 2, 1, 0), 0);
	ev = one_event(&r, 100);
	assert_int_equal(ev.kind, LV_DM_GOV_CLOCK);
	assert_near(ev.time_s, 2.2 + 0.2 / 3, 1e-12);
	assert_int_equal(ev.freq_hz, 400 * MHZ);
	rig_down(&r);
}

/*
 * A governor of zero times moves at once (in the next instant): from the
 * top straight to the floor when idle, from the floor straight to the top
 * when a batch starts. Released after a policy's clock, it starts afresh:
 * idle at 100 MHz it has nothing to do; busy, it climbs.
 */
static void test_governor_zero_times_and_release(void **state)
{
	(void)state;
	struct lv_profile *p = quad();
	p->governor = (struct lv_governor){ 0 };
	struct rig r;
	rig_up(&r, p, 1, 0, 1);
	struct lv_devmodel_event ev = one_event(&r, 1.0);
	assert_true(ev.time_s > 0 && ev.time_s < 1e-300);
	assert_int_equal(ev.freq_hz, 100 * MHZ);
	assert_int_equal(lv_devmodel_submit(&r.d, 1.0, 1, 1, 0), 0);
	ev = one_event(&r, 2.0);
	assert_int_equal(ev.kind, LV_DM_GOV_CLOCK);
	assert_true(ev.time_s > 1.0 && ev.time_s < 1.0 + 1e-12);
	assert_int_equal(ev.freq_hz, 400 * MHZ);
	rig_down(&r);

	rig_up(&r, quad(), 1, 0, 1);
	assert_int_equal(lv_devmodel_set_clock(&r.d, 0.5, 100 * MHZ), 0);
	no_event(&r, 5.0);
	assert_int_equal(lv_devmodel_freq_hz(&r.d), 100 * MHZ); /* pinned: no descent, no ramp */
	lv_devmodel_release(&r.d, 5.0);
	assert_true(isinf(lv_devmodel_next_s(&r.d)));
	assert_int_equal(lv_devmodel_submit(&r.d, 6.0, 1, 1, 0), 0);
	ev = one_event(&r, 100);
	assert_int_equal(ev.kind, LV_DM_GOV_CLOCK);
	assert_near(ev.time_s, 6.0 + 0.2 / 3, 1e-12);
	rig_down(&r);
}

/*
 * Clock changes drawn from a distribution: quantiles 0.5, 1, 1.5 of a mean
 * 0.4 s, so delays lie in [0.2, 0.6] and average 0.4 s (the shape's
 * piecewise-linear mean is 1). The draws come from the device's own stream:
 * the same seed gives the same delays, another seed others. Without a shape
 * every change takes exactly the mean.
 */
static double change_at(struct rig *r, double t, uint64_t hz)
{
	assert_int_equal(lv_devmodel_set_clock(&r->d, t, hz), 0);
	double d = lv_devmodel_next_s(&r->d) - t;
	no_event(r, t + 10);
	return d;
}

static void test_clock_change_draws(void **state)
{
	(void)state;
	enum { N = 4000 };
	static double first[N];
	double sum = 0;
	int differ = 0;
	for (int pass = 0; pass < 3; pass++) {
		struct lv_profile *p = tiny();
		p->clock_change_delay_s = 0.4;
		p->n_cc_shape = 3;
		p->cc_shape = lv_xmalloc(3 * sizeof(double));
		memcpy(p->cc_shape, (double[]){ 0.5, 1.0, 1.5 }, 3 * sizeof(double));
		struct rig r;
		rig_up(&r, p, 0, 0, pass < 2 ? 7 : 8);
		for (int i = 0; i < N; i++) {
			double d = change_at(&r, 20.0 * (i + 1), i % 2 ? 200 * MHZ : 100 * MHZ);
			assert_true(d >= 0.2 - EPS && d <= 0.6 + EPS);
			if (pass == 0) {
				first[i] = d;
				sum += d;
			} else if (pass == 1) {
				assert_near(d, first[i], 0);
			} else {
				differ += d != first[i];
			}
		}
		rig_down(&r);
	}
	/* uniform draws: sd of one delay below 0.12 s, of the mean of 4000 below 0.002 */
	assert_near(sum / N, 0.4, 0.01);
	assert_true(differ > N - 10);

	struct rig r;
	rig_up(&r, tiny(), 0, 0, 7);
	assert_near(change_at(&r, 1.0, 100 * MHZ), 0.5, EPS);
	assert_near(change_at(&r, 20.0, 200 * MHZ), 0.5, EPS);
	rig_down(&r);
}

/* Once a policy sets a clock the governor is off for good, even idle at the top. */
/*
 * A boost moves the clock in the middle of a batch, a change delay (0.5 s)
 * after it is asked for; queued clock changes go, so queued work runs at the
 * boost's clock with no change of its own:
 *   0.0-0.5       change to 100, idle @200 (2 W)            1.0 J
 *   0.5-1.2       batch 1 (b=2) @100 (4 W)                  2.8 J
 *   0.7           batch 2 (b=1, asked at 200: a change, then it) and a boost to 200
 *   1.2           the boost lands: 0.8 s of the 1.5 s left at 100 takes
 *                 0.8 × 0.8/1.5 = 0.42667 s at 200
 *   1.2-1.62667   batch 1 @200 (6 W)                        2.56 J
 *   1.62667-2.12667 batch 2 @200 (5 W), no change before it 2.5 J
 *   2.12667-3.0   idle @200 (2 W)                           1.74667 J
 * Then on an idle device a boost is a plain change, and a second boost
 * during it retargets it.
 */
static void test_boost_mid_batch(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, tiny(), 0, 0, 1);
	assert_int_equal(lv_devmodel_set_clock(&r.d, 0.0, 100 * MHZ), 0);
	no_event(&r, 0.5);
	assert_int_equal(lv_devmodel_submit(&r.d, 0.5, 1, 2, 100 * MHZ), 0);
	no_event(&r, 0.7);
	assert_int_equal(lv_devmodel_submit(&r.d, 0.7, 2, 1, 200 * MHZ), 0);
	assert_int_equal(lv_devmodel_pending(&r.d), 3); /* batch 1, the change, batch 2 */
	assert_int_equal(lv_devmodel_boost(&r.d, 0.7, 150 * MHZ), LV_EINVAL);
	assert_int_equal(lv_devmodel_boost(&r.d, 0.7, 200 * MHZ), 0);
	assert_int_equal(lv_devmodel_pending(&r.d), 2); /* the change is gone */
	assert_near(lv_devmodel_next_s(&r.d), 1.2, EPS);
	assert_int_equal(lv_devmodel_freq_hz(&r.d), 100 * MHZ); /* not landed yet */
	no_event(&r, 1.2);
	assert_int_equal(lv_devmodel_freq_hz(&r.d), 200 * MHZ);
	struct lv_devmodel_event a = one_event(&r, 10);
	assert_int_equal(a.batch_id, 1);
	assert_near(a.time_s, 1.2 + 0.8 * 0.8 / 1.5, 1e-12);
	assert_near(a.energy_j, 2.8 + 6.0 * 0.8 * 0.8 / 1.5, 1e-12);
	struct lv_devmodel_event b = one_event(&r, 10);
	assert_int_equal(b.batch_id, 2);
	assert_near(b.start_s, a.time_s, 1e-12);
	assert_near(b.time_s, a.time_s + 0.5, 1e-12);
	assert_int_equal(b.freq_hz, 200 * MHZ);
	lv_devmodel_settle(&r.d, 3.0);
	assert_near(r.d.energy_j, 1.0 + 2.8 + 2.56 + 2.5 + 2.0 * (3.0 - b.time_s), 1e-9);
	assert_near(r.d.busy_energy_j, 2.8 + 2.56 + 2.5, 1e-9);
	assert_int_equal(r.sink_gap, 0);

	/* idle: a plain clock change (0.5 s at the old clock's idle power) */
	assert_int_equal(lv_devmodel_boost(&r.d, 3.0, 100 * MHZ), 0);
	assert_int_equal(r.d.phase, LV_DM_CHANGING);
	no_event(&r, 3.2);
	/* during the change: it ends at 3.5 on the new target */
	assert_int_equal(lv_devmodel_boost(&r.d, 3.2, 200 * MHZ), 0);
	no_event(&r, 4.0);
	assert_int_equal(lv_devmodel_freq_hz(&r.d), 200 * MHZ);
	assert_int_equal(r.d.phase, LV_DM_IDLE);
	/* a boost to the clock it has while running: nothing to do */
	assert_int_equal(lv_devmodel_submit(&r.d, 4.0, 3, 1, 0), 0);
	assert_int_equal(lv_devmodel_boost(&r.d, 4.0, 200 * MHZ), 0);
	assert_true(isinf(r.d.boost_at_s));
	struct lv_devmodel_event c = one_event(&r, 10);
	assert_near(c.time_s, 4.5, EPS);
	rig_down(&r);
}

static void test_governor_off_after_policy_clock(void **state)
{
	(void)state;
	struct rig r;
	rig_up(&r, quad(), 1, 0, 1);
	assert_int_equal(lv_devmodel_set_clock(&r.d, 0.05, 400 * MHZ), 0); /* already there */
	assert_int_equal(lv_devmodel_pending(&r.d), 0);
	no_event(&r, 100);
	assert_int_equal(lv_devmodel_freq_hz(&r.d), 400 * MHZ);
	lv_devmodel_settle(&r.d, 100);
	assert_near(r.d.energy_j, 400.0, EPS);
	rig_down(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_energy_two_batches),
		cmocka_unit_test(test_cold_start),
		cmocka_unit_test(test_fifo_queue_wait),
		cmocka_unit_test(test_batch_waits_for_clock_change),
		cmocka_unit_test(test_borrowed_cells),
		cmocka_unit_test(test_noise),
		cmocka_unit_test(test_governor_holds_then_descends),
		cmocka_unit_test(test_governor_ramps_under_load),
		cmocka_unit_test(test_governor_holds_through_gaps),
		cmocka_unit_test(test_governor_zero_times_and_release),
		cmocka_unit_test(test_clock_change_draws),
		cmocka_unit_test(test_governor_off_after_policy_clock),
		cmocka_unit_test(test_boost_mid_batch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
