/*
 * Run metrics and the energy lower bound, on hand-made frames and a
 * hand-made two-kind cluster whose numbers are worked out below.
 *
 * Kind "a": clocks 100 and 200 MHz, idle 1 W and 2 W, max batch 2
 *   100 MHz: b=1 L=1.0 E=3.0   b=2 L=1.5 E=6.0
 *   200 MHz: b=1 L=0.5 E=2.5   b=2 L=0.8 E=4.4
 *   marginal (E - 1 W·L)/b: 2.0, 2.25, 2.0, 1.8  -> least 1.8 at 200 MHz, b=2
 * Kind "b": one clock 100 MHz, idle 0.5 W, max batch 2, only b=1 measured
 *   (L=1.0, E=2.5 -> marginal 2.0); b=2 is unusable in prof mode.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "sched/metrics.h"
#include "model/profile.h"
#include "base/util.h"

#define MHZ 1e6

static struct lv_cluster *two_kinds(size_t n_a, size_t n_b)
{
	static const double fa[] = { 100 * MHZ, 200 * MHZ }, idle_a[] = { 1.0, 2.0 };
	static const struct lv_test_point pa[] = {
		{ 100 * MHZ, 1, 1.0, 3.0 },
		{ 100 * MHZ, 2, 1.5, 6.0 },
		{ 200 * MHZ, 1, 0.5, 2.5 },
		{ 200 * MHZ, 2, 0.8, 4.4 },
	};
	static const double fb[] = { 100 * MHZ }, idle_b[] = { 0.5 };
	static const struct lv_test_point pb[] = { { 100 * MHZ, 1, 1.0, 2.5 } };
	struct lv_profile *ps[2] = {
		lv_test_profile_new("a", 2, fa, idle_a, 2, 0.5, 4, pa),
		lv_test_profile_new("b", 1, fb, idle_b, 2, 0.5, 1, pb),
	};
	size_t counts[2] = { n_a, n_b };
	struct lv_cluster *c = lv_cluster_new_from_profiles(ps, counts, 2);
	assert_int_equal(lv_cluster_build_costs(c, LV_COST_PROF, NULL, NULL), 0);
	return c;
}

static void test_percentile_nearest_rank(void **state)
{
	(void)state;
	double v[20];
	for (int i = 0; i < 20; i++)
		v[i] = (i * 7) % 20 + 1;              /* 1..20, shuffled */
	assert_near(lv_percentile(v, 20, 50), 10, 0); /* ceil(10)   = 10th */
	assert_near(lv_percentile(v, 20, 95), 19, 0); /* ceil(19)   = 19th */
	assert_near(lv_percentile(v, 20, 99), 20, 0); /* ceil(19.8) = 20th */
	assert_near(lv_percentile(v, 20, 100), 20, 0);
	assert_near(lv_percentile(v, 20, 1), 1, 0); /* ceil(0.2)  = 1st */
	for (int i = 0; i < 10; i++)
		v[i] = 10 - i;
	assert_near(lv_percentile(v, 10, 50), 5, 0);
	v[0] = 42;
	assert_near(lv_percentile(v, 1, 99), 42, 0);
	assert_true(isnan(lv_percentile(v, 0, 50)));
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Selection agrees with the rank in a sorted copy, duplicates and all. */
static void test_percentile_matches_sorted(void **state)
{
	(void)state;
	uint64_t x = 12345;
	double v[257], sorted[257];
	const double ps[] = { 1, 50, 95, 99, 100 };
	for (int trial = 0; trial < 300; trial++) {
		size_t n = 1 + (size_t)trial % 257;
		for (size_t i = 0; i < n; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			v[i] =
			    (double)((x >> 33) % (trial % 3 ? 1000 : 7)); /* some all-duplicates */
		}
		memcpy(sorted, v, n * sizeof(double));
		qsort(sorted, n, sizeof(double), cmp);
		for (size_t k = 0; k < 5; k++) {
			size_t rank = (size_t)ceil(ps[k] / 100.0 * (double)n);
			assert_near(lv_percentile(v, n, ps[k]), sorted[rank - 1], 0);
		}
	}
}

/* 1 a + 2 b: idle 1 + 0.5 + 0.5 = 2 W; 10 frames over 5 s: 2·5 + 10·1.8 = 28 J. */
static void test_bound_hand_computed(void **state)
{
	(void)state;
	struct lv_cluster *c = two_kinds(1, 2);
	struct lv_energy_bound b;
	assert_int_equal(lv_energy_bound(c, 10, 5.0, &b, NULL), 0);
	assert_near(b.idle_w, 2.0, 1e-12);
	assert_near(b.marginal_j, 1.8, 1e-12);
	assert_int_equal(b.marginal_kind, 0);
	assert_int_equal(b.marginal_freq_hz, 200 * MHZ);
	assert_int_equal(b.marginal_batch, 2);
	assert_near(b.energy_j, 28.0, 1e-12);
	assert_near(b.frames_per_j, 10.0 / 28.0, 1e-12);
	/* no frames: only the idle floor */
	assert_int_equal(lv_energy_bound(c, 0, 3.0, &b, NULL), 0);
	assert_near(b.energy_j, 6.0, 1e-12);
	lv_cluster_free(c);
}

/*
 * A device on jpeg runs its kind's table plus b times the term. With a
 * measured term of l = 0.1 s and e = 0.5 J per frame on kind "a" (least idle
 * 1 W), its cells become
 *   100 MHz: b=1 L=1.1 E=3.5   b=2 L=1.7 E=7.0
 *   200 MHz: b=1 L=0.6 E=3.0   b=2 L=1.0 E=5.4
 *   marginal (E - 1 W·L)/b: 2.4, 2.65, 2.4, 2.2 -> least 2.2 = 1.8 + e - 1 W·l
 * One such device, 10 frames over 5 s: 1·5 + 10·2.2 = 27 J, higher than the
 * fp32 device's 23 J by frames × (e - P_idle_min·l) = 10 × 0.4 = 4 J (the
 * idle share of the preprocessing time is in the idle floor already). With
 * an fp32 device of the kind beside it, that one's 1.8 J is the least.
 */
static void test_bound_preprocessing(void **state)
{
	(void)state;
	struct lv_cluster *c = two_kinds(1, 0);
	struct lv_energy_bound b;
	assert_int_equal(lv_energy_bound(c, 10, 5.0, &b, NULL), 0);
	assert_near(b.energy_j, 23.0, 1e-12);
	c->kinds[0].profile->preprocess[LV_WIRE_JPEG] =
	    (struct lv_preprocess){ .measured = 1, .latency_s = 0.1, .energy_j = 0.5 };
	c->devices[0].wire = LV_WIRE_JPEG;
	assert_int_equal(lv_cluster_build_costs(c, LV_COST_PROF, NULL, NULL), 0);
	assert_int_equal(lv_energy_bound(c, 10, 5.0, &b, NULL), 0);
	assert_near(b.idle_w, 1.0, 1e-12);
	assert_near(b.marginal_j, 2.2, 1e-12);
	assert_int_equal(b.marginal_freq_hz, 200 * MHZ);
	assert_int_equal(b.marginal_batch, 2);
	assert_near(b.energy_j, 27.0, 1e-12);
	lv_cluster_free(c);

	/* Two devices of "a", the second on jpeg: the fp32 one's cells are the cheapest. */
	c = two_kinds(2, 0);
	c->kinds[0].profile->preprocess[LV_WIRE_JPEG] =
	    (struct lv_preprocess){ .measured = 1, .latency_s = 0.1, .energy_j = 0.5 };
	c->devices[1].wire = LV_WIRE_JPEG;
	assert_int_equal(lv_cluster_build_costs(c, LV_COST_PROF, NULL, NULL), 0);
	assert_int_equal(lv_energy_bound(c, 10, 5.0, &b, NULL), 0);
	assert_near(b.marginal_j, 1.8, 1e-12);
	assert_near(b.energy_j, 2 * 5.0 + 18.0, 1e-12);
	/* Both on jpeg: 2.2 again. */
	c->devices[0].wire = LV_WIRE_JPEG;
	assert_int_equal(lv_cluster_build_costs(c, LV_COST_PROF, NULL, NULL), 0);
	assert_int_equal(lv_energy_bound(c, 10, 5.0, &b, NULL), 0);
	assert_near(b.marginal_j, 2.2, 1e-12);
	lv_cluster_free(c);
}

static struct lv_frame frame(enum lv_frame_state st, uint64_t tag, double arr, double done,
                             double budget)
{
	struct lv_frame f;
	memset(&f, 0, sizeof(f));
	f.state = st;
	f.tag = tag;
	f.arrival_s = arr;
	f.done_s = done;
	f.budget_s = budget;
	f.deadline_s = arr + budget;
	return f;
}

/*
 * Three requests and a stray frame:
 *   r0: OK lat 1, OK lat 2            -> within budget, served
 *   r1: OK lat 3, LATE lat 5 budget 4 -> served, not within budget (excess 1)
 *   r2: EXPIRED                        -> neither
 *   tag 99 (no such request): REJECTED
 * 6 frames, 3 OK, 1 late; served latencies 1 2 3 5; 20 J over 5 s on one "a".
 */
static void test_run_metrics_hand_computed(void **state)
{
	(void)state;
	struct lv_cluster *c = two_kinds(1, 0);
	struct lv_metrics m;
	lv_metrics_init(&m, 3);
	struct lv_frame fs[] = {
		frame(LV_FRAME_OK, 0, 0, 1, 10),      frame(LV_FRAME_OK, 0, 0, 2, 10),
		frame(LV_FRAME_OK, 1, 1, 4, 10),      frame(LV_FRAME_LATE, 1, 1, 6, 4),
		frame(LV_FRAME_EXPIRED, 2, 2, 40, 5), frame(LV_FRAME_REJECTED, 99, 3, 3, -1),
	};
	for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++)
		lv_metrics_add_frame(&m, &fs[i]);
	struct lv_device_metrics dev = { .name = "a-00", .energy_j = 20.0, .frames = 4 };
	struct lv_run_metrics r;
	assert_int_equal(lv_metrics_finish(&m, c, 5.0, &dev, &r, NULL), 0);

	assert_int_equal(r.frames, 6);
	assert_int_equal(r.requests, 3);
	assert_int_equal(r.ok, 3);
	assert_int_equal(r.late, 1);
	assert_int_equal(r.expired, 1);
	assert_int_equal(r.rejected, 1);
	assert_int_equal(r.failed, 0);
	assert_int_equal(r.served, 4);
	assert_int_equal(r.requests_ok, 1);
	assert_int_equal(r.requests_served, 2);
	assert_near(r.energy_j, 20.0, 0);
	assert_near(r.frames_per_j, 0.2, 1e-12);
	assert_near(r.requests_per_j, 0.1, 1e-12);
	assert_near(r.pct_frames_ok, 50.0, 1e-12);
	assert_near(r.pct_requests_ok, 100.0 / 3, 1e-12);
	assert_near(r.latency_p50_s, 2, 0);
	assert_near(r.latency_p95_s, 5, 0);
	assert_near(r.latency_p99_s, 5, 0);
	assert_near(r.latency_mean_s, 2.75, 1e-12);
	assert_near(r.mean_excess_s, 1.0, 1e-12);
	/* bound for the 4 served frames: 1 W · 5 s + 4 · 1.8 = 12.2 J; all 6: 15.8 J */
	assert_near(r.bound.energy_j, 12.2, 1e-12);
	assert_near(r.trace_bound_j, 15.8, 1e-12);
	assert_near(r.bound_fraction, 12.2 / 20.0, 1e-12);
	assert_int_equal(r.n_devices, 1);
	assert_string_equal(r.devices[0].name, "a-00");
	lv_run_metrics_fini(&r);
	lv_metrics_fini(&m);
	lv_cluster_free(c);
}

/* Nothing served: latencies and ratios are NAN, not zero or garbage. */
static void test_empty_run(void **state)
{
	(void)state;
	struct lv_cluster *c = two_kinds(1, 0);
	struct lv_metrics m;
	lv_metrics_init(&m, 1);
	struct lv_frame f = frame(LV_FRAME_EXPIRED, 0, 0, 31, 1);
	lv_metrics_add_frame(&m, &f);
	struct lv_device_metrics dev = { .name = "a-00", .energy_j = 31.0 };
	struct lv_run_metrics r;
	assert_int_equal(lv_metrics_finish(&m, c, 31.0, &dev, &r, NULL), 0);
	assert_int_equal(r.served, 0);
	assert_near(r.frames_per_j, 0, 0);
	assert_near(r.pct_frames_ok, 0, 0);
	assert_true(isnan(r.latency_p50_s));
	assert_true(isnan(r.mean_excess_s));
	assert_near(r.bound.energy_j, 31.0, 1e-12); /* 1 W idle floor, no frames */
	lv_run_metrics_fini(&r);
	lv_metrics_fini(&m);
	lv_cluster_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percentile_nearest_rank),
		cmocka_unit_test(test_percentile_matches_sorted),
		cmocka_unit_test(test_bound_hand_computed),
		cmocka_unit_test(test_bound_preprocessing),
		cmocka_unit_test(test_run_metrics_hand_computed),
		cmocka_unit_test(test_empty_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
