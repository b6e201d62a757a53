/*
 * Golden scenarios for the loud policy, each worked out by hand from the
 * small profile below (values chosen so every rule of the thesis scheduler
 * decides a different case).
 *
 * Kind "slow": clocks 100 and 200 MHz, max batch 4, clock change 0.5 s.
 *   f=100: L = 1.0 1.5 2.0 2.5 s   E = 1.0 1.6 2.1 2.4 J   E/b = 1.0 0.8 0.7 0.6
 *   f=200: L = 0.5 0.8 1.0 1.2 s   E = 1.2 2.0 2.7 3.2 J   E/b = 1.2 1.0 0.9 0.8
 * Default parameters: safety margin 0.2 s, network cost 0, strictness 4,
 * buffer 1, period 0.01 s, idle after 4 s checked every 2 s.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "sched/policy.h"
#include "model/profile.h"
#include "base/util.h"

#define F1 100e6
#define F2 200e6

static const struct lv_test_point slow_pts[] = {
	{ F1, 1, 1.0, 1.0 }, { F1, 2, 1.5, 1.6 }, { F1, 3, 2.0, 2.1 }, { F1, 4, 2.5, 2.4 },
	{ F2, 1, 0.5, 1.2 }, { F2, 2, 0.8, 2.0 }, { F2, 3, 1.0, 2.7 }, { F2, 4, 1.2, 3.2 },
};

struct fx {
	struct lv_cluster *c;
	struct lv_policy *p;
	struct lv_clock_set clocks[16];
	struct lv_decision d;
	struct lv_explain ex;
};

static struct fx *fx_new(size_t n_devices, size_t n_points, const char *spec)
{
	static const double freqs[] = { F1, F2 };
	struct fx *f = lv_xcalloc(1, sizeof(*f));
	struct lv_profile *p =
	    lv_test_profile_new("slow", 2, freqs, NULL, 4, 0.5, n_points, slow_pts);
	f->c = lv_cluster_new_from_profiles(&p, &n_devices, 1);
	char *why = NULL;
	assert_int_equal(lv_cluster_build_costs(f->c, LV_COST_PROF, NULL, &why), 0);
	f->p = lv_policy_new(spec, f->c, &why);
	assert_non_null(f->p);
	return f;
}

/* n devices of the same kind with idle power 0.5 W at 100 MHz and 0.8 W at 200 MHz. */
static struct fx *fx_new_idle_n(size_t n, const char *spec)
{
	static const double freqs[] = { F1, F2 }, idle[] = { 0.5, 0.8 };
	struct fx *f = lv_xcalloc(1, sizeof(*f));
	struct lv_profile *p = lv_test_profile_new("slow", 2, freqs, idle, 4, 0.5, 8, slow_pts);
	f->c = lv_cluster_new_from_profiles(&p, &n, 1);
	char *why = NULL;
	assert_int_equal(lv_cluster_build_costs(f->c, LV_COST_PROF, NULL, &why), 0);
	f->p = lv_policy_new(spec, f->c, &why);
	assert_non_null(f->p);
	return f;
}

/* One such device (eco's cases). */
static struct fx *fx_new_idle(const char *spec)
{
	return fx_new_idle_n(1, spec);
}

static void fx_free(struct fx *f)
{
	lv_policy_free(f->p);
	lv_cluster_free(f->c);
	free(f);
}

/* Asks with n queued and r remaining at time now, with an explanation. */
static int ask(struct fx *f, size_t n, double r, double now)
{
	struct lv_view v = { f->c, n, now + r, now, now, INFINITY };
	f->d = (struct lv_decision){ .clocks = f->clocks, .cap_clocks = 16 };
	f->ex = (struct lv_explain){ .max_alts = 8 };
	lv_policy_decide(f->p, &v, now, &f->d, &f->ex);
	return f->d.has_dispatch;
}

static void expect(const struct fx *f, int device, double freq, int batch, double exp_s, double epf)
{
	assert_true(f->d.has_dispatch);
	assert_int_equal(f->d.dispatch.device, device);
	assert_int_equal(f->d.dispatch.freq_hz, (uint64_t)freq);
	assert_int_equal(f->d.dispatch.batch, batch);
	assert_float_equal(f->d.dispatch.expected_latency_s, exp_s, 1e-9);
	assert_float_equal(f->d.dispatch.energy_per_frame_j, epf, 1e-9);
}

/* n=4, r=3.3: f=100 b=4 costs 2.5+0.2+0.5 (clock change) = 3.2 s <= 3.3, 0.6 J/frame. */
static void test_least_energy_meeting_r(void **st)
{
	(void)st;
	struct fx *f = fx_new(1, 8, "loud");
	assert_true(ask(f, 4, 3.3, 0));
	expect(f, 0, F1, 4, 3.2, 0.6);
	assert_false(f->ex.fallback);
	/* 8 configurations considered, feasible: f=100 b1..4 (1.7 2.2 2.7 3.2), f=200 all. */
	assert_int_equal(f->ex.n_considered, 8);
	assert_int_equal(f->ex.n_feasible, 8);
	fx_free(f);
}

/* n=4, r=3.0: f=100 b=4 (3.2 s) misses; f=100 b=3 (2.7 s, 0.7 J) beats f=200 b=4 (1.4 s, 0.8 J). */
static void test_tighter_r_smaller_batch(void **st)
{
	(void)st;
	struct fx *f = fx_new(1, 8, "loud");
	assert_true(ask(f, 4, 3.0, 0));
	expect(f, 0, F1, 3, 2.7, 0.7);
	assert_int_equal(f->ex.n_feasible, 7);
	/* The best alternative is f=200 b=4 at 0.8 J/frame. */
	assert_true(f->ex.n_alts >= 1);
	assert_int_equal(f->ex.alts[0].freq_hz, (uint64_t)F2);
	assert_int_equal(f->ex.alts[0].batch, 4);
	assert_non_null(strstr(f->ex.alts[0].reason, "more energy per frame"));
	fx_free(f);
}

/* n=2, r=100: best is f=100 b=2 (2.2 s); 100 > 4 x 2.2 and 2 < max batch 4: wait 10 ms. */
static void test_waits_while_slack_allows(void **st)
{
	(void)st;
	struct fx *f = fx_new(1, 8, "loud");
	assert_false(ask(f, 2, 100, 10.0));
	assert_true(f->ex.wait);
	assert_true(f->ex.has_choice);
	assert_int_equal(f->ex.choice.batch, 2);
	assert_int_equal(f->ex.choice.freq_hz, (uint64_t)F1);
	assert_float_equal(f->d.next_s, 10.01, 1e-9);
	/* r = 8.8 is exactly 4 x 2.2: no longer strictly more, so it dispatches. */
	assert_true(ask(f, 2, 8.8, 10.0));
	expect(f, 0, F1, 2, 2.2, 0.8);
	/* With a full max batch queued it never waits. */
	assert_true(ask(f, 4, 100, 10.0));
	expect(f, 0, F1, 4, 3.2, 0.6);
	fx_free(f);
}

/* strictness is a parameter: at 100 the same r = 100 s no longer waits for 2.2 s. */
static void test_strictness_parameter(void **st)
{
	(void)st;
	struct fx *f = fx_new(1, 8, "loud:strictness=100");
	assert_true(ask(f, 2, 100, 0));
	expect(f, 0, F1, 2, 2.2, 0.8);
	fx_free(f);
}

/*
 * n=4, r=0.6: nothing meets r (fastest is f=200 b=1 at 0.7 s). Target
 * t = 1.1 x 4 / 0.6 = 7.33 frames/s; none reaches it, so the highest
 * throughput wins: f=200 b=4 at 4/1.2 = 3.33 frames/s.
 */
static void test_fallback_highest_throughput(void **st)
{
	(void)st;
	struct fx *f = fx_new(1, 8, "loud");
	assert_true(ask(f, 4, 0.6, 0));
	expect(f, 0, F2, 4, 1.4, 0.8);
	assert_true(f->ex.fallback);
	assert_int_equal(f->ex.n_feasible, 0);
	fx_free(f);
}

/*
 * n=1, r=0.65: nothing meets r; t = 1.1/0.65 = 1.69 frames/s. f=200 b=1 runs
 * 2 frames/s (reaches t), f=100 b=1 only 1: f=200 b=1 wins on latency 0.7 s.
 * Already late (r = -1): t is infinite, highest throughput again.
 */
static void test_fallback_reaching_target(void **st)
{
	(void)st;
	struct fx *f = fx_new(1, 8, "loud");
	assert_true(ask(f, 1, 0.65, 0));
	expect(f, 0, F2, 1, 0.7, 1.2);
	assert_true(ask(f, 3, -1.0, 0));
	expect(f, 0, F2, 3, 1.2, 0.9);
	fx_free(f);
}

/* A device with work in flight keeps max(f, current): chosen 100 MHz, runs at 200 MHz. */
static void test_keeps_higher_clock_in_flight(void **st)
{
	(void)st;
	struct fx *f = fx_new(1, 8, "loud");
	f->c->devices[0].inflight = 1; /* capacity 1 instance + 1 buffer */
	assert_true(ask(f, 4, 3.3, 0));
	assert_int_equal(f->d.dispatch.freq_hz, (uint64_t)F2);
	assert_int_equal(f->d.dispatch.batch, 4);
	/* At the limit (2 in flight) the device is not available: nothing to do. */
	f->c->devices[0].inflight = 2;
	assert_false(ask(f, 4, 3.3, 0));
	assert_false(f->ex.has_choice);
	assert_non_null(strstr(f->ex.alts[0].reason, "busy"));
	fx_free(f);
}

/* Idle for 4 s -> lowest clock, checked every 2 s. */
static void test_downclocks_idle_device(void **st)
{
	(void)st;
	struct fx *f = fx_new(2, 8, "loud");
	f->c->devices[0].idle_since_s = 0.0;
	f->c->devices[1].idle_since_s = 1.5;
	ask(f, 0, 0, 3.0); /* idle 3 s and 1.5 s: nothing yet; next check at 5 */
	assert_int_equal(f->d.n_clocks, 0);
	assert_float_equal(f->d.next_s, 5.0, 1e-9);
	ask(f, 0, 0, 4.5); /* before the next check */
	assert_int_equal(f->d.n_clocks, 0);
	ask(f, 0, 0, 5.0); /* device 0 idle 5 s: down; device 1 idle 3.5 s: not yet */
	assert_int_equal(f->d.n_clocks, 1);
	assert_int_equal(f->d.clocks[0].device, 0);
	assert_int_equal(f->d.clocks[0].freq_hz, (uint64_t)F1);
	f->c->devices[0].freq_hz = (uint64_t)F1;
	ask(f, 0, 0, 7.0); /* device 1 idle 5.5 s now */
	assert_int_equal(f->d.n_clocks, 1);
	assert_int_equal(f->d.clocks[0].device, 1);
	fx_free(f);
}

/*
 * Ties: device 0 at 200 MHz, device 1 at 100 MHz. For n=4, r=3.3 both offer
 * 0.6 J/frame at f=100 b=4 (device 0 with the clock change, 3.2 s; device 1
 * without, 2.7 s): the first found, device 0, wins.
 */
static void test_first_found_wins_ties(void **st)
{
	(void)st;
	struct fx *f = fx_new(2, 8, "loud");
	f->c->devices[1].freq_hz = (uint64_t)F1;
	assert_true(ask(f, 4, 3.3, 0));
	expect(f, 0, F1, 4, 3.2, 0.6);
	/* With r=3.0 device 0's f=100 b=4 misses, device 1's does not. */
	assert_true(ask(f, 4, 3.0, 0));
	expect(f, 1, F1, 4, 2.7, 0.6);
	fx_free(f);
}

/* Down and draining devices are skipped. */
static void test_skips_unavailable(void **st)
{
	(void)st;
	struct fx *f = fx_new(3, 8, "loud");
	f->c->devices[0].state = LV_DEV_DOWN;
	f->c->devices[1].state = LV_DEV_DRAINING;
	assert_true(ask(f, 4, 3.3, 0));
	expect(f, 2, F1, 4, 3.2, 0.6);
	f->c->devices[2].state = LV_DEV_DOWN;
	assert_false(ask(f, 4, 3.3, 0));
	fx_free(f);
}

/* prof mode: without the (100 MHz, 4) measurement, f=100 b=3 (0.7 J) is the best. */
static void test_prof_mode_skips_unmeasured(void **st)
{
	(void)st;
	static const struct lv_test_point pts[] = {
		{ F1, 1, 1.0, 1.0 }, { F1, 2, 1.5, 1.6 }, { F1, 3, 2.0, 2.1 }, { F2, 1, 0.5, 1.2 },
		{ F2, 2, 0.8, 2.0 }, { F2, 3, 1.0, 2.7 }, { F2, 4, 1.2, 3.2 },
	};
	static const double freqs[] = { F1, F2 };
	struct lv_profile *p = lv_test_profile_new("slow", 2, freqs, NULL, 4, 0.5, 7, pts);
	size_t one = 1;
	struct lv_cluster *c = lv_cluster_new_from_profiles(&p, &one, 1);
	assert_int_equal(lv_cluster_build_costs(c, LV_COST_PROF, NULL, NULL), 0);
	struct lv_policy *pol = lv_policy_new("loud", c, NULL);
	struct lv_clock_set clocks[4];
	struct lv_decision d = { .clocks = clocks, .cap_clocks = 4 };
	struct lv_view v = { c, 4, 3.3, 0, 0, INFINITY };
	lv_policy_decide(pol, &v, 0, &d, NULL);
	assert_true(d.has_dispatch);
	assert_int_equal(d.dispatch.batch, 3);
	assert_int_equal(d.dispatch.freq_hz, (uint64_t)F1);
	lv_policy_free(pol);
	lv_cluster_free(c);
}

/* network_cost and safety_margin enter the expected latency as b x cost + margin. */
static void test_network_cost_and_margin(void **st)
{
	(void)st;
	/* f=100 b=4: 2.5 + 4 x 0.1 + 0 + 0.5 = 3.4 > 3.3; f=100 b=3: 2.0+0.3+0.5 = 2.8. */
	struct fx *f = fx_new(1, 8, "loud:network_cost=0.1,safety_margin=0");
	assert_true(ask(f, 4, 3.3, 0));
	expect(f, 0, F1, 3, 2.8, 0.7);
	fx_free(f);
}

/*
 * The plain path scans one device per (kind, clock) group; the explained path
 * scans all. On a mixed cluster they must agree for every (n, r).
 */
static void test_grouping_matches_full_scan(void **st)
{
	(void)st;
	struct fx *f = fx_new(12, 8, "loud");
	for (size_t i = 0; i < 12; i++) {
		f->c->devices[i].freq_hz = (uint64_t)(i % 3 == 0 ? F1 : F2);
		f->c->devices[i].inflight = (int)(i % 4 == 1 ? 2 : i % 2);
	}
	struct lv_clock_set ca[16], cb[16];
	for (size_t n = 1; n <= 6; n++) {
		for (double r = -0.5; r < 6.0; r += 0.05) {
			struct lv_view v = { f->c, n, r, 0, 0, INFINITY };
			struct lv_decision a = { .clocks = ca, .cap_clocks = 16 };
			struct lv_decision b = { .clocks = cb, .cap_clocks = 16 };
			struct lv_explain ex = { .max_alts = 4 };
			lv_policy_decide(f->p, &v, 0, &a, NULL);
			lv_policy_decide(f->p, &v, 0, &b, &ex);
			assert_int_equal(a.has_dispatch, b.has_dispatch);
			assert_memory_equal(&a.dispatch, &b.dispatch, sizeof(a.dispatch));
		}
	}
	fx_free(f);
}

/*
 * The plain scan reads each cost row by bisection (policy_loud.c: struct
 * rows); the explained scan tries every batch. On rows that are not monotone
 * (latency falling as the batch grows), with unmeasured cells and with tied
 * energies, for loud and eco (busy devices, queue_aware), with and without
 * devices whose wire format (jpeg: preprocessing on the board) gives them a
 * cost table of their own, they must agree for every (n, r).
 */
static void test_bisection_matches_every_batch(void **st)
{
	(void)st;
	static const double freqs[] = { F1, F2 };
	static const double idle[] = { 0.5, 0.8 };
	struct lv_test_point pts[16];
	size_t np = 0;
	for (int fi = 0; fi < 2; fi++)
		for (int b = 1; b <= 8; b++) {
			if ((b == 3 && fi == 0) || (b == 6 && fi == 1))
				continue; /* unmeasured */
			double lat = (fi ? 0.3 : 0.6) * b - (b % 3 == 0 ? 0.7 : 0.0); /* dips */
			double e = b % 4 == 0 ? 1.0 * b : (fi ? 1.3 : 1.1) * b - 0.05 * b * b;
			pts[np++] =
			    (struct lv_test_point){ freqs[fi], b, lat > 0.05 ? lat : 0.05, e };
		}
	static const char *specs[] = { "loud", "eco", "loud:objective=1", "eco:network_cost=0.05" };
	for (size_t k = 0; k < 2 * sizeof(specs) / sizeof(specs[0]); k++) {
		struct lv_profile *p =
		    lv_test_profile_new("bumpy", 2, freqs, idle, 8, 0.3, np, pts);
		size_t n_dev = 4;
		struct lv_cluster *c = lv_cluster_new_from_profiles(&p, &n_dev, 1);
		int wired = k % 2; /* devices 0 and 1 take JPEG: each its own, dearer, table */
		c->devices[0].wire = c->devices[1].wire = wired ? LV_WIRE_JPEG : LV_WIRE_FP32;
		assert_int_equal(lv_cluster_build_costs(c, LV_COST_PROF, NULL, NULL), 0);
		assert_true(!wired || lv_device_cost(c, &c->devices[0]) != c->kinds[0].cost);
		/* one instance per path: a dispatch updates eco's plan of the device */
		struct lv_policy *pol = lv_policy_new(specs[k / 2], c, NULL);
		struct lv_policy *pex = lv_policy_new(specs[k / 2], c, NULL);
		assert_non_null(pol);
		assert_non_null(pex);
		for (size_t i = 0; i < n_dev; i++) {
			c->devices[i].freq_hz = (uint64_t)(i % 2 ? F1 : F2);
			c->devices[i].inflight = (int)(i == 1);
		}
		struct lv_clock_set ca[8], cb[8];
		for (size_t n = 1; n <= 9; n++) {
			for (double r = -0.2; r < 5.0; r += 0.03) {
				struct lv_view v = { c, n, r, 0, 0, INFINITY };
				struct lv_decision a = { .clocks = ca, .cap_clocks = 8 };
				struct lv_decision b = { .clocks = cb, .cap_clocks = 8 };
				struct lv_explain ex = { .max_alts = 4 };
				lv_policy_decide(pol, &v, 0, &a, NULL);
				lv_policy_decide(pex, &v, 0, &b, &ex);
				assert_int_equal(a.has_dispatch, b.has_dispatch);
				assert_memory_equal(&a.dispatch, &b.dispatch, sizeof(a.dispatch));
			}
		}
		lv_policy_free(pol);
		lv_policy_free(pex);
		lv_cluster_free(c);
	}
}

/*
 * objective=1 minimises marginal energy per frame (E - P_idle·L)/b, with the
 * kind's lowest idle power (1 W in the test profile). For n=4, r=3.0 the
 * feasible f=100 rows give b1: 1.0-1.0/1 = 0, b2: 0.8-1.5/2 = 0.05,
 * b3: 0.7-2.0/3 = 0.033; f=200 b4: 0.8-1.2/4 = 0.5. So b=1 at 100 MHz wins
 * (expected 1.0+0.2+0.5 = 1.7 s), where the thesis's objective took b=3.
 */
static void test_marginal_objective(void **st)
{
	(void)st;
	struct fx *f = fx_new(1, 8, "loud:objective=1");
	assert_true(ask(f, 4, 3.0, 0));
	expect(f, 0, F1, 1, 1.7, 1.0);
	assert_non_null(strstr(f->ex.why, "marginal"));
	fx_free(f);
}

/*
 * eco, with idle 0.5 W at 100 MHz and 0.8 W at 200 MHz. Marginal energy per
 * frame over the lowest clock's idle, (E - 0.5·L)/b:
 *   f=100: b=1 0.5, b=2 0.425, b=3 0.3667, b=4 0.2875
 *   f=200: b=1 0.95, b=2 0.8, b=3 0.7333, b=4 0.65
 * Expected latency adds safety 0.2 s, network 0.0086 s per frame and, away
 * from the current clock (the device starts at 200 MHz), the 0.5 s change.
 */

/* "Drop the clock now": an idle device goes to 100 MHz at the first decision, not after 4 s. */
static void test_eco_drops_clock_at_once(void **st)
{
	(void)st;
	struct fx *f = fx_new_idle("eco");
	assert_false(ask(f, 0, INFINITY, 0.25));
	assert_int_equal(f->d.n_clocks, 1);
	assert_int_equal(f->d.clocks[0].device, 0);
	assert_int_equal(f->d.clocks[0].freq_hz, (uint64_t)F1);
	assert_true(isinf(f->d.next_s)); /* no timer: the next completion asks again */
	fx_free(f);
	/* loud keeps the clock for idle_after = 4 s, checked every 2 s */
	f = fx_new_idle("loud");
	assert_false(ask(f, 0, INFINITY, 0.25));
	assert_int_equal(f->d.n_clocks, 0);
	fx_free(f);
	/* with work in flight the clock stays */
	f = fx_new_idle("eco");
	f->c->devices[0].inflight = 1;
	assert_false(ask(f, 0, INFINITY, 0.25));
	assert_int_equal(f->d.n_clocks, 0);
	fx_free(f);
}

/*
 * "Wait for a bigger batch": n=2, r=100. The best now is f=100 b=2 (0.425 J,
 * 1.5 + 0.2 + 0.0172 + 0.5 = 2.2172 s); 100 > 4 x 2.2172 and 2 < 4 frames:
 * wait. At r=8.8 < 8.8688 it goes. With 4 queued (0.2875 J, 3.2344 s) it
 * goes at once.
 */
static void test_eco_waits_for_bigger_batch(void **st)
{
	(void)st;
	struct fx *f = fx_new_idle("eco");
	assert_false(ask(f, 2, 100, 10.0));
	assert_true(f->ex.wait);
	assert_int_equal(f->ex.choice.batch, 2);
	assert_int_equal(f->ex.choice.freq_hz, (uint64_t)F1);
	assert_true(ask(f, 2, 8.8, 10.0));
	expect(f, 0, F1, 2, 2.2172, 0.8);
	assert_true(ask(f, 4, 100, 10.0));
	expect(f, 0, F1, 4, 3.2344, 0.6);
	fx_free(f);
}

/*
 * tight_memory: a request with a 2 s budget arrived. A batch may then last at
 * most 2 - 0.5 (fastest single frame) - 0.2 (safety) - 0.5 (clock change) =
 * 0.8 s: only f=200 b=1 (0.7086 s, at the current clock) fits, although r = 10.
 * 61 s later, with no tight frame since, the cap is gone: f=100 b=4.
 */
static void test_eco_tight_memory_caps_batch(void **st)
{
	(void)st;
	struct fx *f = fx_new_idle("eco");
	struct lv_view v = { f->c, 4, 10.0, 0.0, 0.0, 2.0 };
	f->d = (struct lv_decision){ .clocks = f->clocks, .cap_clocks = 16 };
	lv_policy_decide(f->p, &v, 0.0, &f->d, NULL);
	expect(f, 0, F2, 1, 0.7086, 1.2);
	v = (struct lv_view){ f->c, 4, 71.0, 61.0, 61.0, INFINITY };
	f->d = (struct lv_decision){ .clocks = f->clocks, .cap_clocks = 16 };
	lv_policy_decide(f->p, &v, 61.0, &f->d, NULL);
	expect(f, 0, F1, 4, 3.2344, 0.6);
	fx_free(f);
	/* loud has no memory: f=100 b=4 at once */
	f = fx_new_idle("loud:objective=1");
	v = (struct lv_view){ f->c, 4, 10.0, 0.0, 0.0, 2.0 };
	f->d = (struct lv_decision){ .clocks = f->clocks, .cap_clocks = 16 };
	lv_policy_decide(f->p, &v, 0.0, &f->d, NULL);
	expect(f, 0, F1, 4, 3.2, 0.6);
	fx_free(f);
}

/*
 * Admission control: n=1, r=0.5 s. The fastest configuration, f=200 b=1 at
 * the current clock, expects 0.5 + 0.2 + 0.0086 = 0.7086 s > 0.5: nothing
 * meets r. With admit=1 the head frame is refused with the reason; without,
 * it goes out on the fastest configuration (to end late).
 */
static void test_eco_admission_control(void **st)
{
	(void)st;
	struct fx *f = fx_new_idle("eco:admit=1");
	assert_false(ask(f, 1, 0.5, 0.0));
	assert_int_equal(f->d.reject, 1);
	assert_non_null(strstr(f->d.reject_reason, "admission control"));
	assert_non_null(strstr(f->ex.why, "refusing it"));
	/* r = 0.8 s: f=200 b=1 (0.7086 s) makes it: dispatched, nothing refused */
	assert_true(ask(f, 1, 0.8, 0.0));
	assert_int_equal(f->d.reject, 0);
	expect(f, 0, F2, 1, 0.7086, 1.2);
	fx_free(f);
	f = fx_new_idle("eco");
	assert_true(ask(f, 1, 0.5, 0.0));
	assert_int_equal(f->d.reject, 0);
	expect(f, 0, F2, 1, 0.7086, 1.2);
	assert_true(f->ex.fallback);
	fx_free(f);
}

/*
 * queue_aware: at t=0, with n=4 and r=10, eco sends f=100 b=4 to device 0
 * (0.2875 J, 2.5 + 0.2 + 0.0344 + 0.5 = 3.2344 s), which it plans to be busy
 * with until 0.5 (change) + 2.5 + 0.0344 = 3.0344 s. At t=0.5 one frame with
 * r=2 arrives. Device 0 (now at 100 MHz, one batch in flight) would start it
 * only at 3.0344: 2.5344 s of waiting, so nothing there meets r. Device 1
 * (idle, at 200 MHz) offers f=100 b=1: 1.0 + 0.2 + 0.0086 + 0.5 = 1.7086 s,
 * 0.5 J marginal: it wins. The thesis's view (queue_aware=0) sees device 0
 * as free at 100 MHz: f=100 b=1 there, "1.2086 s", in truth about 3.7 s.
 * On one device with admit=1 the frame is refused at once, not sent to end
 * late.
 */
static void test_eco_queue_aware(void **st)
{
	(void)st;
	static const char *specs[] = { "eco", "eco:queue_aware=0" };
	for (int k = 0; k < 2; k++) {
		struct fx *f = fx_new_idle_n(2, specs[k]);
		assert_true(ask(f, 4, 10.0, 0.0));
		expect(f, 0, F1, 4, 3.2344, 0.6);
		f->c->devices[0].inflight = 1; /* what the engine does on dispatch */
		f->c->devices[0].freq_hz = (uint64_t)F1;
		assert_true(ask(f, 1, 2.0, 0.5));
		if (k == 0)
			expect(f, 1, F1, 1, 1.7086, 1.0);
		else
			expect(f, 0, F1, 1, 1.2086, 1.0);
		fx_free(f);
	}
	struct fx *f = fx_new_idle("eco:admit=1");
	assert_true(ask(f, 4, 10.0, 0.0));
	f->c->devices[0].inflight = 1;
	f->c->devices[0].freq_hz = (uint64_t)F1;
	assert_false(ask(f, 1, 2.0, 0.5));
	assert_int_equal(f->d.reject, 1);
	/* once the batch is back, the same frame is served on the idle device */
	f->c->devices[0].inflight = 0;
	assert_true(ask(f, 1, 2.0, 0.5));
	expect(f, 0, F1, 1, 1.2086, 1.0);
	fx_free(f);
}

/*
 * change_quantile: the test kind has no measured distribution, so every
 * quantile is the mean; with one (0.5 s mean; quantiles 0.5x, 1x, 1.5x)
 * the deadline check charges 0.75 s at q=1. Checked through the expected latency of
 * f=100 b=4 from 200 MHz: 2.5 + 0.2 + 0.0344 + change.
 */
static void test_eco_change_quantile(void **st)
{
	(void)st;
	struct fx *f = fx_new_idle("eco:change_quantile=1");
	assert_true(ask(f, 4, 10.0, 0.0));
	expect(f, 0, F1, 4, 3.2344, 0.6);
	fx_free(f);
	static const double freqs[] = { F1, F2 }, idle[] = { 0.5, 0.8 };
	struct lv_profile *p = lv_test_profile_new("slow", 2, freqs, idle, 4, 0.5, 8, slow_pts);
	static const double shape[] = { 0.5, 1.0, 1.5 }; /* mean 1 */
	p->n_cc_shape = 3;
	p->cc_shape = lv_xcalloc(3, sizeof(double));
	memcpy(p->cc_shape, shape, sizeof(shape));
	size_t one = 1;
	struct fx *g = lv_xcalloc(1, sizeof(*g));
	g->c = lv_cluster_new_from_profiles(&p, &one, 1);
	char *why = NULL;
	assert_int_equal(lv_cluster_build_costs(g->c, LV_COST_PROF, NULL, &why), 0);
	g->p = lv_policy_new("eco:change_quantile=1", g->c, &why);
	assert_non_null(g->p);
	assert_true(ask(g, 4, 10.0, 0.0));
	expect(g, 0, F1, 4, 2.5 + 0.2 + 0.0344 + 0.75, 0.6);
	fx_free(g);
}

/*
 * boost ("raise the clock now"). As in test_eco_queue_aware, device 0 has
 * f=100 b=4 in flight, planned until 3.0344 s. At t=0.5 one frame with
 * r=2.5 arrives: behind that work (2.5344 s) nothing meets it. Boosted to
 * 200 MHz now, the write lands after 0.5 s and the 2.0344 s left then run
 * at L(200,4)/L(100,4) = 1.2/2.5 = 0.48 of the time: a wait of
 * 0.5 + 2.0344 x 0.48 = 1.476512 s, and the frame at 200 MHz expects
 * 1.476512 + 0.5 + 0.2 + 0.0086 = 2.185112 s <= 2.5: boost and dispatch,
 * 1.2 J per frame. Without boost it goes out to end late (fallback). With
 * r = 2.1 even the boost misses: no boost, the fallback.
 * A device at its limit (buffer=0): the boost goes alone, and the frame
 * follows the next completion (at 1.976512 s, 1.023488 s left, at 200 MHz:
 * 0.7086 s). With r = 4 the frame makes it behind the work as planned
 * (2.5344 + 1.0 + 0.2086 = 3.743 s): no boost, it waits.
 */
static void test_eco_boost(void **st)
{
	(void)st;
	struct fx *f = fx_new_idle("eco");
	assert_true(ask(f, 4, 10.0, 0.0));
	f->c->devices[0].inflight = 1;
	f->c->devices[0].freq_hz = (uint64_t)F1;
	assert_true(ask(f, 1, 2.5, 0.5));
	expect(f, 0, F2, 1, 2.185112, 1.2);
	assert_int_equal(f->d.n_clocks, 1);
	assert_int_equal(f->clocks[0].device, 0);
	assert_int_equal(f->clocks[0].freq_hz, (uint64_t)F2);
	assert_int_equal(f->clocks[0].boost, 1);
	assert_non_null(strstr(f->ex.why, "boost"));
	fx_free(f);

	static const char *late[] = { "eco:boost=0", "eco" };
	static const double r_late[] = { 2.5, 2.1 };
	for (int k = 0; k < 2; k++) {
		f = fx_new_idle(late[k]);
		assert_true(ask(f, 4, 10.0, 0.0));
		f->c->devices[0].inflight = 1;
		f->c->devices[0].freq_hz = (uint64_t)F1;
		assert_true(ask(f, 1, r_late[k], 0.5));
		assert_true(f->ex.fallback);
		for (size_t i = 0; i < f->d.n_clocks; i++)
			assert_int_equal(f->clocks[i].boost, 0);
		fx_free(f);
	}

	f = fx_new_idle("eco:buffer=0");
	assert_true(ask(f, 4, 10.0, 0.0));
	f->c->devices[0].inflight = 1;
	f->c->devices[0].freq_hz = (uint64_t)F1;
	assert_false(ask(f, 1, 4.0, 0.5)); /* makes it as planned: waits, no boost */
	assert_int_equal(f->d.n_clocks, 0);
	assert_false(ask(f, 1, 2.5, 0.5)); /* the boost alone */
	assert_int_equal(f->d.n_clocks, 1);
	assert_int_equal(f->clocks[0].boost, 1);
	assert_true(f->ex.wait);
	assert_non_null(strstr(f->ex.why, "next completion"));
	f->c->devices[0].freq_hz = (uint64_t)F2; /* what the engine does on the boost */
	f->c->devices[0].inflight = 0;           /* the batch is back */
	assert_true(ask(f, 1, 1.023488, 1.976512));
	expect(f, 0, F2, 1, 0.7086, 1.2);
	fx_free(f);
}

/*
 * tight_memory bounds a batch's own length, never beyond the deadline: with
 * device 0 busy until 3.0344 s (as above) and a 2 s budget just seen, the
 * cap is 0.8 s of batch after the 2.5344 s wait, 3.3344 s in all, but the
 * frame has only r = 2 s, which no configuration meets (the boost's
 * 2.185112 s neither): the fallback, not a "feasible" f=200 b=1.
 */
static void test_eco_tight_memory_keeps_deadline(void **st)
{
	(void)st;
	struct fx *f = fx_new_idle("eco");
	assert_true(ask(f, 4, 10.0, 0.0));
	f->c->devices[0].inflight = 1;
	f->c->devices[0].freq_hz = (uint64_t)F1;
	struct lv_view v = { f->c, 1, 2.5, 0.5, 0.5, 2.0 };
	f->d = (struct lv_decision){ .clocks = f->clocks, .cap_clocks = 16 };
	f->ex = (struct lv_explain){ .max_alts = 8 };
	lv_policy_decide(f->p, &v, 0.5, &f->d, &f->ex);
	assert_true(f->d.has_dispatch);
	assert_true(f->ex.fallback);
	fx_free(f);
}

/*
 * A board whose power mode caps the GPU at 150 MHz: its clocks are 100 MHz
 * alone (150 is no clock of the profile; a cap below the lowest keeps the
 * lowest). n=4, r=1.5: uncapped, f=200 b=4 meets it (1.2 + 0.2 = 1.4 s);
 * capped, nothing does (f=100 b=1 is 1.0 + 0.2 + 0.5 for the change = 1.7 s),
 * and the fallback's highest throughput is f=100 b=4, never 200 MHz.
 */
static void test_power_mode_cap(void **st)
{
	(void)st;
	struct fx *f = fx_new(1, 8, "loud");
	struct lv_device *d = &f->c->devices[0];
	assert_int_equal(lv_device_n_freqs(f->c, d), 2);
	assert_true(ask(f, 4, 1.5, 0));
	expect(f, 0, F2, 4, 1.4, 0.8);
	d->max_freq_hz = 150000000;
	assert_int_equal(lv_device_n_freqs(f->c, d), 1);
	assert_int_equal(lv_device_top_hz(f->c, d), (uint64_t)F1);
	assert_true(ask(f, 4, 1.5, 0));
	assert_true(f->ex.fallback);
	assert_int_equal(f->d.dispatch.freq_hz, (uint64_t)F1);
	assert_int_equal(f->d.dispatch.batch, 4);
	d->max_freq_hz = 50000000; /* below the lowest: the lowest still runs */
	assert_int_equal(lv_device_n_freqs(f->c, d), 1);
	d->max_freq_hz = (uint64_t)F2; /* at the top: every clock */
	assert_int_equal(lv_device_n_freqs(f->c, d), 2);
	assert_true(ask(f, 4, 1.5, 0));
	expect(f, 0, F2, 4, 1.4, 0.8);
	fx_free(f);
}

static void test_bad_parameters(void **st)
{
	(void)st;
	static const double freqs[] = { F1, F2 };
	struct lv_profile *p = lv_test_profile_new("slow", 2, freqs, NULL, 4, 0.5, 8, slow_pts);
	size_t one = 1;
	struct lv_cluster *c = lv_cluster_new_from_profiles(&p, &one, 1);
	static const struct {
		const char *spec, *needle;
	} cases[] = {
		{ "loud:strictness=abc", "strictness: 'abc' is not a number" },
		{ "loud:strictness=0.5", "outside" },
		{ "loud:buffer=1.5", "not a whole number" },
		{ "loud:bogus=1", "unknown parameter 'bogus'" },
		{ "loud:strictness", "not key=value" },
		{ "nosuch", "unknown policy 'nosuch'" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *why = NULL;
		assert_null(lv_policy_new(cases[i].spec, c, &why));
		assert_non_null(why);
		if (!strstr(why, cases[i].needle))
			fail_msg("%s: message '%s' lacks '%s'", cases[i].spec, why,
			         cases[i].needle);
		free(why);
	}
	lv_cluster_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_least_energy_meeting_r),
		cmocka_unit_test(test_tighter_r_smaller_batch),
		cmocka_unit_test(test_waits_while_slack_allows),
		cmocka_unit_test(test_strictness_parameter),
		cmocka_unit_test(test_fallback_highest_throughput),
		cmocka_unit_test(test_fallback_reaching_target),
		cmocka_unit_test(test_keeps_higher_clock_in_flight),
		cmocka_unit_test(test_downclocks_idle_device),
		cmocka_unit_test(test_first_found_wins_ties),
		cmocka_unit_test(test_skips_unavailable),
		cmocka_unit_test(test_prof_mode_skips_unmeasured),
		cmocka_unit_test(test_network_cost_and_margin),
		cmocka_unit_test(test_grouping_matches_full_scan),
		cmocka_unit_test(test_marginal_objective),
		cmocka_unit_test(test_eco_drops_clock_at_once),
		cmocka_unit_test(test_eco_waits_for_bigger_batch),
		cmocka_unit_test(test_eco_tight_memory_caps_batch),
		cmocka_unit_test(test_eco_admission_control),
		cmocka_unit_test(test_eco_queue_aware),
		cmocka_unit_test(test_eco_boost),
		cmocka_unit_test(test_eco_tight_memory_keeps_deadline),
		cmocka_unit_test(test_bisection_matches_every_batch),
		cmocka_unit_test(test_eco_change_quantile),
		cmocka_unit_test(test_power_mode_cap),
		cmocka_unit_test(test_bad_parameters),
	};
	return cmocka_run_group_tests_name("policy_loud", tests, NULL, NULL);
}
