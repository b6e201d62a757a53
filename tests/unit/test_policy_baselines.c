/*
 * test_policy_baselines: the seven baseline policies against hand-worked
 * scenarios.
 *
 * Clusters are built in memory from tiny hand-made profiles; the tests set
 * device state and in-flight counts by hand and ask the policy through
 * lv_policy_decide with hand-made views, as the engine would (several calls
 * at one instant, then at the next_s it asked for). Every expected device,
 * batch and time below was worked out by hand from the policy's rule.
 *
 * The standard cluster ("thesis5") is, in device order:
 *   0 agx-xavier-00 (max batch 16)   1 xavier-nx-00 (8)   2 xavier-nx-01 (8)
 *   3 nano-00 (4)                    4 nano-01 (4)
 * all with one model instance.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "model/cost.h"
#include "sched/policy.h"
#include "model/profile.h"
#include "base/util.h"

static const uint64_t agx_freqs[] = { 114750000, 675750000, 1377000000 };
static const uint64_t nx_freqs[] = { 114750000, 510000000, 1109250000 };
static const uint64_t nano_freqs[] = { 76800000, 921600000 };

static struct lv_profile *make_profile(const char *kind, int max_batch, const uint64_t *freqs,
                                       size_t n_freqs)
{
	struct lv_profile *p = lv_xcalloc(1, sizeof(*p));
	snprintf(p->kind, sizeof(p->kind), "%s", kind);
	p->max_batch = max_batch;
	p->instances = 1;
	p->clock_change_delay_s = 0.5;
	p->n_freqs = n_freqs;
	p->freqs_hz = lv_xmalloc(n_freqs * sizeof(*p->freqs_hz));
	p->idle_power_w = lv_xmalloc(n_freqs * sizeof(*p->idle_power_w));
	for (size_t i = 0; i < n_freqs; i++) {
		p->freqs_hz[i] = freqs[i];
		p->idle_power_w[i] = 1.0 + (double)i;
	}
	/* Two measured points at the top clock (the cost test adds its own). */
	p->n_points = 2;
	p->points = lv_xcalloc(2, sizeof(*p->points));
	for (int b = 1; b <= 2; b++)
		p->points[b - 1] = (struct lv_profile_point){
			freqs[n_freqs - 1], b, 0.1 * b, 1.0 * b, 10.0 * b,
		};
	return p;
}

static struct lv_cluster *thesis5(void)
{
	struct lv_profile *ps[3] = {
		make_profile("agx-xavier", 16, agx_freqs, 3),
		make_profile("xavier-nx", 8, nx_freqs, 3),
		make_profile("nano", 4, nano_freqs, 2),
	};
	const size_t counts[3] = { 1, 2, 2 };
	return lv_cluster_new_from_profiles(ps, counts, 3);
}

/* One AGX (max batch 64) then one Xavier NX (max batch 8). */
static struct lv_cluster *pair(int agx_max_batch)
{
	struct lv_profile *ps[2] = {
		make_profile("agx-xavier", agx_max_batch, agx_freqs, 3),
		make_profile("xavier-nx", 8, nx_freqs, 3),
	};
	const size_t counts[2] = { 1, 1 };
	return lv_cluster_new_from_profiles(ps, counts, 2);
}

static struct lv_policy *make(const char *spec, const struct lv_cluster *c)
{
	char *why = NULL;
	struct lv_policy *p = lv_policy_new(spec, c, &why);
	if (!p)
		fail_msg("%s: %s", spec, why ? why : "(no message)");
	return p;
}

static struct lv_clock_set clock_buf[32];

/* Asks p as the engine would: q frames queued, the oldest arrived at `oldest`. */
static struct lv_decision ask(struct lv_policy *p, const struct lv_cluster *c, size_t q,
                              double oldest, double now, struct lv_explain *ex)
{
	struct lv_decision d = { .clocks = clock_buf, .cap_clocks = 32 };
	struct lv_view v = {
		.cluster = c,
		.queue_len = q,
		.min_deadline_s = q ? now + 10.0 : INFINITY,
		.oldest_arrival_s = q ? oldest : INFINITY,
	};
	lv_policy_decide(p, &v, now, &d, ex);
	return d;
}

static void expect_time(double got, double want)
{
	if (isinf(want) ? !(isinf(got) && got > 0) : !(fabs(got - want) <= 1e-9))
		fail_msg("next_s: got %.12g, want %.12g", got, want);
}

static void expect_dispatch(const struct lv_decision *d, int device, int batch)
{
	if (!d->has_dispatch)
		fail_msg("no dispatch; wanted device %d batch %d", device, batch);
	if (d->dispatch.device != device || d->dispatch.batch != batch)
		fail_msg("dispatched device %d batch %d; wanted device %d batch %d",
		         d->dispatch.device, d->dispatch.batch, device, batch);
	assert_int_equal(d->dispatch.freq_hz, 0);
	assert_int_equal(d->n_clocks, 0);
}

static void expect_none(const struct lv_decision *d, double next_s)
{
	if (d->has_dispatch)
		fail_msg("unexpected dispatch: device %d batch %d", d->dispatch.device,
		         d->dispatch.batch);
	assert_int_equal(d->n_clocks, 0);
	expect_time(d->next_s, next_s);
}

static void expect_contains(const char *s, const char *part)
{
	if (!s || !strstr(s, part))
		fail_msg("'%s' does not contain '%s'", s ? s : "(null)", part);
}

/* round_robin and transparent share the rule: one batch per period, in
 * cluster order, busy devices included. Returns after a full wrap. */
static void check_paced_rotation(const char *spec, const char *label)
{
	struct lv_cluster *c = thesis5();
	struct lv_policy *p = make(spec, c);
	assert_string_equal(p->label, label);
	assert_true(fabs(lv_policy_param(p, "period") - 0.01) < 1e-15);

	struct lv_decision d = ask(p, c, 40, 0.0, 0.0, NULL);
	expect_dispatch(&d, 0, 16);
	d = ask(p, c, 24, 0.0, 0.0, NULL); /* same instant: the period is not over */
	expect_none(&d, 0.01);
	c->devices[1].inflight = 3; /* busy; this rule dispatches to it anyway */
	d = ask(p, c, 24, 0.0, 0.01, NULL);
	expect_dispatch(&d, 1, 8);
	d = ask(p, c, 16, 0.0, 0.02, NULL);
	expect_dispatch(&d, 2, 8);
	d = ask(p, c, 8, 0.0, 0.03, NULL);
	expect_dispatch(&d, 3, 4);
	d = ask(p, c, 3, 0.0, 0.04, NULL);
	expect_dispatch(&d, 4, 3); /* fewer queued than the nano's max batch */
	d = ask(p, c, 0, 0.0, 0.05, NULL);
	expect_none(&d, INFINITY);
	d = ask(p, c, 30, 0.0, 0.05, NULL);
	expect_dispatch(&d, 0, 16);                        /* wrapped round */
	assert_true(d.dispatch.expected_latency_s == 0.0); /* no cost table */
	assert_true(d.dispatch.energy_per_frame_j == 0.0);
	lv_policy_free(p);
	lv_cluster_free(c);
}

static void test_round_robin_rotation(void **state)
{
	(void)state;
	check_paced_rotation("round_robin", "round_robin");
}

static void test_transparent_rotation(void **state)
{
	(void)state;
	check_paced_rotation("transparent", "transparent");
}

static void test_transparent_period(void **state)
{
	(void)state;
	struct lv_cluster *c = thesis5();
	struct lv_policy *p = make("transparent:period=0.05", c);
	assert_string_equal(p->label, "transparent(period=0.05)");
	struct lv_decision d = ask(p, c, 10, 0.0, 1.0, NULL);
	expect_dispatch(&d, 0, 10);
	d = ask(p, c, 5, 0.0, 1.04, NULL);
	expect_none(&d, 1.05);
	d = ask(p, c, 5, 0.0, 1.05, NULL);
	expect_dispatch(&d, 1, 5);
	lv_policy_free(p);
	lv_cluster_free(c);
}

static void test_rotation_skips_down_and_draining(void **state)
{
	(void)state;
	struct lv_cluster *c = thesis5();
	struct lv_policy *p = make("round_robin", c);
	c->devices[1].state = LV_DEV_DOWN;
	c->devices[3].state = LV_DEV_DRAINING;
	struct lv_explain ex = { .max_alts = 5 };

	struct lv_decision d = ask(p, c, 100, 0.0, 0.0, NULL);
	expect_dispatch(&d, 0, 16);
	d = ask(p, c, 12, 0.0, 0.01, &ex);
	expect_dispatch(&d, 2, 8);
	assert_string_equal(
	    ex.why, "next device in rotation: xavier-nx-01; dispatching 8 of 12 queued frames");
	assert_int_equal(ex.n_alts, 1);
	assert_int_equal(ex.alts[0].device, 1);
	expect_contains(ex.alts[0].reason, "xavier-nx-00");
	expect_contains(ex.alts[0].reason, "down");
	assert_int_equal(ex.wait, 0);

	d = ask(p, c, 50, 0.0, 0.02, &ex);
	expect_dispatch(&d, 4, 4);
	assert_int_equal(ex.n_alts, 1);
	assert_int_equal(ex.alts[0].device, 3);
	expect_contains(ex.alts[0].reason, "draining");
	d = ask(p, c, 50, 0.0, 0.03, NULL);
	expect_dispatch(&d, 0, 16);

	for (size_t i = 0; i < c->n_devices; i++)
		c->devices[i].state = i % 2 ? LV_DEV_DOWN : LV_DEV_DRAINING;
	d = ask(p, c, 50, 0.0, 0.04, &ex);
	expect_none(&d, INFINITY);
	assert_int_equal(ex.wait, 1);
	lv_policy_free(p);
	lv_cluster_free(c);
}

static void test_kind_round_robin_skips_busy(void **state)
{
	(void)state;
	struct lv_cluster *c = thesis5();
	struct lv_policy *p = make("kind_round_robin", c);
	assert_string_equal(p->label, "kind_round_robin");
	assert_true(lv_policy_param(p, "buffer") == 1.0);
	struct lv_explain ex = { .max_alts = 5 };

	/* One instance + buffer 1: a device with 2 batches in flight is full, 1 is fine. */
	c->devices[0].inflight = 2;
	c->devices[1].inflight = 1;
	struct lv_decision d = ask(p, c, 30, 0.0, 0.0, &ex);
	expect_dispatch(&d, 1, 8);
	assert_int_equal(ex.n_alts, 1);
	assert_int_equal(ex.alts[0].device, 0);
	expect_contains(ex.alts[0].reason, "busy (2 batches in flight, limit 2)");

	/* The period rhythm holds while devices are available. */
	d = ask(p, c, 22, 0.0, 0.005, NULL);
	expect_none(&d, 0.01);
	d = ask(p, c, 22, 0.0, 0.01, NULL);
	expect_dispatch(&d, 2, 8);

	/* Everything full: nothing, and no timer — a completion will wake it. */
	for (size_t i = 0; i < c->n_devices; i++)
		c->devices[i].inflight = 2;
	d = ask(p, c, 14, 0.0, 0.02, &ex);
	expect_none(&d, INFINITY);
	assert_int_equal(ex.wait, 1);

	/* agx finishes a batch: the scan from nano-00 passes both nanos, wraps to it. */
	c->devices[0].inflight = 1;
	d = ask(p, c, 14, 0.0, 0.5, NULL);
	expect_dispatch(&d, 0, 14);
	lv_policy_free(p);
	lv_cluster_free(c);

	/* buffer=0 is the thesis's rule: one batch in flight already makes it busy. */
	c = thesis5();
	p = make("kind_round_robin:buffer=0", c);
	assert_string_equal(p->label, "kind_round_robin(buffer=0)");
	c->devices[0].inflight = 1;
	d = ask(p, c, 30, 0.0, 0.0, NULL);
	expect_dispatch(&d, 1, 8);
	lv_policy_free(p);
	lv_cluster_free(c);
}

static void test_fixed_batch_waits_then_releases(void **state)
{
	(void)state;
	struct lv_cluster *c = pair(64);
	struct lv_policy *p = make("fixed_batch:N=16,max_wait=5", c);
	assert_string_equal(p->label, "fixed_batch(16,wait=5)");
	struct lv_explain ex = { .max_alts = 5 };

	/* agx's turn, target min(16, 64) = 16. Oldest arrived at 1: release at 6. */
	struct lv_decision d = ask(p, c, 10, 1.0, 2.0, &ex);
	expect_none(&d, 6.0);
	assert_int_equal(ex.wait, 1);
	d = ask(p, c, 15, 1.0, 3.0, NULL);
	expect_none(&d, 6.0);
	d = ask(p, c, 16, 1.0, 3.0, NULL);
	expect_dispatch(&d, 0, 16);

	/* nx's turn, target min(16, 8) = 8; 5 queued, oldest at 2.5: release at 7.5. */
	d = ask(p, c, 5, 2.5, 3.0, NULL);
	expect_none(&d, 7.5);
	d = ask(p, c, 5, 2.5, 7.4, NULL);
	expect_none(&d, 7.5);
	d = ask(p, c, 5, 2.5, 7.5, NULL);
	expect_dispatch(&d, 1, 5); /* exactly what was queued */
	d = ask(p, c, 0, INFINITY, 7.5, NULL);
	expect_none(&d, INFINITY);

	/* A deep queue at one instant goes out as consecutive full batches. */
	d = ask(p, c, 40, 8.0, 8.0, NULL);
	expect_dispatch(&d, 0, 16);
	d = ask(p, c, 24, 8.0, 8.0, NULL);
	expect_dispatch(&d, 1, 8);
	d = ask(p, c, 16, 8.0, 8.0, NULL);
	expect_dispatch(&d, 0, 16);

	/* A full device is skipped; with every device full nothing goes, even past max wait. */
	c->devices[0].inflight = 2;
	d = ask(p, c, 20, 9.0, 9.0, NULL);
	expect_dispatch(&d, 1, 8);
	d = ask(p, c, 12, 9.0, 9.0, NULL);
	expect_dispatch(&d, 1, 8);
	c->devices[1].inflight = 2;
	d = ask(p, c, 4, 9.0, 30.0, NULL);
	expect_none(&d, INFINITY);
	lv_policy_free(p);
	lv_cluster_free(c);
}

static void test_fixed_batch_defaults(void **state)
{
	(void)state;
	struct lv_cluster *c = pair(64);
	struct lv_policy *p = make("fixed_batch", c);
	assert_string_equal(p->label, "fixed_batch(32)");
	assert_true(lv_policy_param(p, "N") == 32.0);
	assert_true(lv_policy_param(p, "max_wait") == 15.0);
	assert_true(lv_policy_param(p, "buffer") == 1.0);
	struct lv_decision d = ask(p, c, 31, 0.0, 1.0, NULL);
	expect_none(&d, 15.0);
	d = ask(p, c, 32, 0.0, 1.0, NULL);
	expect_dispatch(&d, 0, 32);
	d = ask(p, c, 7, 0.5, 1.0, NULL); /* nx: min(32, 8) = 8 */
	expect_none(&d, 15.5);
	d = ask(p, c, 8, 0.5, 1.0, NULL);
	expect_dispatch(&d, 1, 8);
	lv_policy_free(p);

	p = make("fixed_batch:max_wait=15,N=32", c);
	assert_string_equal(p->label, "fixed_batch(32)");
	lv_policy_free(p);
	p = make("fixed_batch:buffer=2", c);
	assert_string_equal(p->label, "fixed_batch(32,buffer=2)");
	lv_policy_free(p);
	lv_cluster_free(c);
}

static void test_interval_timing(void **state)
{
	(void)state;
	struct lv_cluster *c = thesis5();
	struct lv_policy *p = make("interval", c);
	assert_string_equal(p->label, "interval(0.2)");
	struct lv_explain ex = { .max_alts = 5 };

	struct lv_decision d = ask(p, c, 5, 0.0, 0.0, NULL);
	expect_dispatch(&d, 0, 5);
	d = ask(p, c, 3, 0.05, 0.1, &ex);
	expect_none(&d, 0.2);
	assert_int_equal(ex.wait, 1);
	c->devices[1].inflight = 4; /* busy does not matter */
	d = ask(p, c, 3, 0.05, 0.2, NULL);
	expect_dispatch(&d, 1, 3);
	d = ask(p, c, 9, 0.21, 0.25, NULL);
	expect_none(&d, 0.4);
	d = ask(p, c, 9, 0.21, 0.4, NULL);
	expect_dispatch(&d, 2, 8);
	/* After a quiet spell the first frame goes at once. */
	d = ask(p, c, 2, 1.0, 1.0, NULL);
	expect_dispatch(&d, 3, 2);
	lv_policy_free(p);

	p = make("interval:T=0.5", c);
	assert_string_equal(p->label, "interval(0.5)");
	d = ask(p, c, 5, 0.0, 0.0, NULL);
	expect_dispatch(&d, 0, 5);
	d = ask(p, c, 5, 0.0, 0.3, NULL);
	expect_none(&d, 0.5);
	d = ask(p, c, 5, 0.0, 0.5, NULL);
	expect_dispatch(&d, 1, 5);
	lv_policy_free(p);
	lv_cluster_free(c);
}

static int freq_index_of(const uint64_t *freqs, size_t n, uint64_t f)
{
	for (size_t i = 0; i < n; i++)
		if (freqs[i] == f)
			return (int)i;
	return -1;
}

static void test_random_bounds_and_determinism(void **state)
{
	(void)state;
	struct lv_cluster *c = thesis5();
	c->devices[1].state = LV_DEV_DOWN;
	c->devices[3].inflight = 2; /* full with one instance + buffer 1 */
	struct lv_policy *a = make("random", c);
	struct lv_policy *b = make("random:seed=1", c);
	struct lv_policy *other = make("random:seed=2", c);
	assert_string_equal(a->label, "random(seed=1)");
	int seen_dev[5] = { 0 }, seen_freq[5][3] = { { 0 } }, seen_short = 0, seen_full[5] = { 0 };
	int differs = 0;
	double t = 0.0;
	for (int k = 0; k < 3000; k++, t += 0.01) {
		size_t q = 1 + (size_t)(k * 7) % 40;
		struct lv_decision da = ask(a, c, q, 0.0, t, NULL);
		int dev = da.dispatch.device, batch = da.dispatch.batch;
		uint64_t f = da.dispatch.freq_hz;
		struct lv_decision db = ask(b, c, q, 0.0, t, NULL);
		struct lv_decision dother = ask(other, c, q, 0.0, t, NULL);
		assert_true(da.has_dispatch && db.has_dispatch && dother.has_dispatch);
		assert_int_equal(db.dispatch.device, dev);
		assert_int_equal(db.dispatch.freq_hz, f);
		assert_int_equal(db.dispatch.batch, batch);
		differs += dother.dispatch.device != dev || dother.dispatch.freq_hz != f ||
		           dother.dispatch.batch != batch;
		assert_true(dev == 0 || dev == 2 || dev == 4);
		int max = dev == 0 ? 16 : dev == 2 ? 8 : 4;
		const uint64_t *fl = dev == 0 ? agx_freqs : dev == 2 ? nx_freqs : nano_freqs;
		int fi = freq_index_of(fl, dev == 4 ? 2 : 3, f);
		assert_true(fi >= 0);
		assert_true(batch >= 1 && batch <= (int)q && batch <= max);
		assert_int_equal(da.n_clocks, 0);
		seen_dev[dev] = 1;
		seen_freq[dev][fi] = 1;
		seen_short |= batch == 1 && q >= 2; /* short of what it could take */
		seen_full[dev] |= batch == max;
	}
	assert_true(seen_dev[0] && seen_dev[2] && seen_dev[4]);
	assert_true(seen_freq[0][0] && seen_freq[0][1] && seen_freq[0][2]);
	assert_true(seen_freq[2][0] && seen_freq[2][1] && seen_freq[2][2]);
	assert_true(seen_freq[4][0] && seen_freq[4][1]);
	assert_true(seen_short && seen_full[0] && seen_full[2] && seen_full[4]);
	assert_true(differs > 0);

	/* The period: a second ask at the same instant waits 10 ms. */
	struct lv_decision d = ask(a, c, 10, 0.0, 100.0, NULL);
	assert_true(d.has_dispatch);
	d = ask(a, c, 10, 0.0, 100.0, NULL);
	expect_none(&d, 100.01);
	/* Nothing available: nothing, until a completion. */
	c->devices[0].inflight = c->devices[2].inflight = c->devices[4].inflight = 2;
	d = ask(a, c, 10, 0.0, 101.0, NULL);
	expect_none(&d, INFINITY);
	lv_policy_free(a);
	lv_policy_free(b);
	lv_policy_free(other);

	a = make("random:seed=42", c);
	assert_string_equal(a->label, "random(seed=42)");
	lv_policy_free(a);
	lv_cluster_free(c);
}

static void test_stress_waits_for_full_batches(void **state)
{
	(void)state;
	struct lv_cluster *c = pair(16);
	struct lv_policy *p = make("stress", c);
	assert_string_equal(p->label, "stress");
	struct lv_explain ex = { .max_alts = 5 };

	struct lv_decision d = ask(p, c, 10, 0.0, 1.0, &ex);
	expect_none(&d, INFINITY);
	assert_int_equal(ex.wait, 1);
	d = ask(p, c, 15, 0.0, 2.0, NULL);
	expect_none(&d, INFINITY);
	d = ask(p, c, 16, 0.0, 2.0, NULL);
	expect_dispatch(&d, 0, 16);
	d = ask(p, c, 7, 0.0, 2.0, NULL); /* nx's turn: needs 8 */
	expect_none(&d, INFINITY);
	d = ask(p, c, 8, 0.0, 3.0, NULL);
	expect_dispatch(&d, 1, 8);
	/* Busy does not matter; a down device is passed over. */
	c->devices[0].inflight = 5;
	c->devices[1].state = LV_DEV_DOWN;
	d = ask(p, c, 40, 0.0, 4.0, NULL);
	expect_dispatch(&d, 0, 16);
	d = ask(p, c, 24, 0.0, 4.0, NULL);
	expect_dispatch(&d, 0, 16);
	d = ask(p, c, 8, 0.0, 4.0, NULL);
	expect_none(&d, INFINITY);
	lv_policy_free(p);
	lv_cluster_free(c);
}

/* The estimate comes from the cost table at the device's current clock. */
static void test_dispatch_carries_cost_estimate(void **state)
{
	(void)state;
	struct lv_profile *nx = make_profile("xavier-nx", 8, nx_freqs, 3);
	free(nx->points);
	nx->n_points = 2;
	nx->points = lv_xcalloc(2, sizeof(*nx->points));
	nx->points[0] = (struct lv_profile_point){ 510000000, 4, 0.11, 1.6, 36.0 };
	nx->points[1] = (struct lv_profile_point){ 1109250000, 4, 0.05, 2.0, 80.0 };
	struct lv_profile *ps[1] = { nx };
	const size_t counts[1] = { 2 };
	struct lv_cluster *c = lv_cluster_new_from_profiles(ps, counts, 1);
	char *why = NULL;
	c->kinds[0].cost = lv_cost_table_build(nx, NULL, LV_COST_PROF, &why);
	if (!c->kinds[0].cost)
		fail_msg("cost table: %s", why);
	c->devices[1].freq_hz = 510000000;

	struct lv_policy *p = make("round_robin", c);
	struct lv_decision d = ask(p, c, 4, 0.0, 0.0, NULL); /* device 0 at its top clock */
	expect_dispatch(&d, 0, 4);
	assert_true(fabs(d.dispatch.expected_latency_s - 0.05) < 1e-12);
	assert_true(fabs(d.dispatch.energy_per_frame_j - 0.5) < 1e-12); /* 2.0 J / 4 */
	d = ask(p, c, 4, 0.0, 0.01, NULL);                              /* device 1 at 510 MHz */
	expect_dispatch(&d, 1, 4);
	assert_true(fabs(d.dispatch.expected_latency_s - 0.11) < 1e-12);
	assert_true(fabs(d.dispatch.energy_per_frame_j - 0.4) < 1e-12); /* 1.6 J / 4 */
	d = ask(p, c, 3, 0.0, 0.02, NULL); /* batch 3 was never measured */
	expect_dispatch(&d, 0, 3);
	assert_true(d.dispatch.expected_latency_s == 0.0);
	assert_true(d.dispatch.energy_per_frame_j == 0.0);
	lv_policy_free(p);
	lv_cluster_free(c);
}

static void expect_rejected(const struct lv_cluster *c, const char *spec, const char *policy,
                            const char *param, const char *what)
{
	char *why = NULL;
	struct lv_policy *p = lv_policy_new(spec, c, &why);
	if (p)
		fail_msg("%s was accepted", spec);
	expect_contains(why, policy);
	expect_contains(why, param);
	expect_contains(why, what);
	free(why);
}

static void test_bad_parameters_rejected(void **state)
{
	(void)state;
	struct lv_cluster *c = thesis5();
	expect_rejected(c, "fixed_batch:bogus=1", "fixed_batch", "'bogus'", "unknown parameter");
	expect_rejected(c, "fixed_batch:N=0", "fixed_batch", "N", "outside");
	expect_rejected(c, "fixed_batch:N=2.5", "fixed_batch", "N", "whole number");
	expect_rejected(c, "fixed_batch:max_wait=-1", "fixed_batch", "max_wait", "outside");
	expect_rejected(c, "interval:T=abc", "interval", "T", "not a number");
	expect_rejected(c, "interval:T=-0.1", "interval", "T", "outside");
	expect_rejected(c, "random:seed=1.5", "random", "seed", "whole number");
	expect_rejected(c, "random:period=x", "random", "period", "not a number");
	expect_rejected(c, "kind_round_robin:buffer=-1", "kind_round_robin", "buffer", "outside");
	expect_rejected(c, "transparent:interval=1", "transparent", "'interval'", "unknown");
	expect_rejected(c, "round_robin:period=", "round_robin", "period", "not a number");
	expect_rejected(c, "stress:N=64", "stress", "'N'", "unknown parameter");
	lv_cluster_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_robin_rotation),
		cmocka_unit_test(test_transparent_rotation),
		cmocka_unit_test(test_transparent_period),
		cmocka_unit_test(test_rotation_skips_down_and_draining),
		cmocka_unit_test(test_kind_round_robin_skips_busy),
		cmocka_unit_test(test_fixed_batch_waits_then_releases),
		cmocka_unit_test(test_fixed_batch_defaults),
		cmocka_unit_test(test_interval_timing),
		cmocka_unit_test(test_random_bounds_and_determinism),
		cmocka_unit_test(test_stress_waits_for_full_batches),
		cmocka_unit_test(test_dispatch_carries_cost_estimate),
		cmocka_unit_test(test_bad_parameters_rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
