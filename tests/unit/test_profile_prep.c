/*
 * The preprocessing term's fit (core/model/profile_prep.c) on hand-worked
 * measurements.
 *
 * At one clock, idle 2 W, batches 1 and 3:
 *   fp32  b=1: server 0.100 s, window 0.110 s per request, ΔE/K 0.52 J
 *         b=3: server 0.250 s, window 0.270 s,             ΔE/K 1.34 J
 *   jpeg  b=1: server 0.110 s, window 0.112 s,             ΔE/K 0.574 J
 *         b=3: server 0.280 s, window 0.284 s,             ΔE/K 1.488 J
 * Busy energy (ΔE/K − 2 W · (window − server)):
 *   fp32 0.52 − 0.02 = 0.50, 1.34 − 0.04 = 1.30; jpeg 0.574 − 0.004 = 0.57,
 *   1.488 − 0.008 = 1.48
 * Excess of jpeg: latency 0.010 and 0.030 -> slope 0.010 s/frame, intercept 0;
 *   energy 0.07 and 0.18 -> slope 0.055 J/frame, intercept 0.015 J.
 * Had the client's gaps been left in, the energy excess would be 0.054 and
 * 0.148: a slope of 0.047, the shorter upload of the jpeg hiding 15% of it.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/profile_prep.h"
#include "base/util.h"

static const struct lv_prep_point ref[2] = {
	{ .batch = 1, .server_s = 0.100, .energy_j = 0.52, .window_s = 0.110, .idle_w = 2.0 },
	{ .batch = 3, .server_s = 0.250, .energy_j = 1.34, .window_s = 0.270, .idle_w = 2.0 },
};
static const struct lv_prep_point jpeg[2] = {
	{ .batch = 1, .server_s = 0.110, .energy_j = 0.574, .window_s = 0.112, .idle_w = 2.0 },
	{ .batch = 3, .server_s = 0.280, .energy_j = 1.488, .window_s = 0.284, .idle_w = 2.0 },
};

static void test_fit_hand_worked(void **state)
{
	(void)state;
	struct lv_prep_fit f;
	assert_near(lv_prep_busy_energy(&ref[0]), 0.50, 1e-12);
	assert_near(lv_prep_busy_energy(&jpeg[1]), 1.48, 1e-12);
	assert_int_equal(lv_prep_fit(ref, jpeg, &f, NULL), 0);
	assert_near(f.latency_s, 0.010, 1e-12);
	assert_near(f.energy_j, 0.055, 1e-12);
	assert_near(f.intercept_s, 0.0, 1e-12);
	assert_near(f.intercept_j, 0.015, 1e-12);
	assert_int_equal(f.clamped, 0);
}

/* A format measured faster than fp32 (noise above the term): the slope is kept, the term 0. */
static void test_fit_negative_clamped(void **state)
{
	(void)state;
	struct lv_prep_fit f;
	struct lv_prep_point fast[2] = { jpeg[0], jpeg[1] };
	fast[1].server_s = 0.255; /* excess 0.010 then 0.005: slope -0.0025 */
	fast[1].energy_j = 1.31;  /* busy 1.31 - 2 · 0.029 = 1.252: excess 0.07, -0.048 */
	assert_int_equal(lv_prep_fit(ref, fast, &f, NULL), 0);
	assert_near(f.raw_latency_s, -0.0025, 1e-12);
	assert_near(f.raw_energy_j, -0.059, 1e-12);
	assert_near(f.latency_s, 0.0, 0);
	assert_near(f.energy_j, 0.0, 0);
	assert_int_equal(f.clamped, 1);
}

/* A server time above the window (clocks of two hosts): no negative gap is credited. */
static void test_busy_energy_no_negative_gap(void **state)
{
	(void)state;
	struct lv_prep_point p = ref[0];
	p.window_s = 0.090;
	assert_near(lv_prep_busy_energy(&p), 0.52, 0);
}

/* Refused, with a reason: no server time; batches that differ or do not rise. */
static void test_fit_refused(void **state)
{
	(void)state;
	struct lv_prep_fit f;
	char *why = NULL;
	struct lv_prep_point none[2] = { jpeg[0], jpeg[1] };
	none[0].server_s = NAN;
	assert_int_equal(lv_prep_fit(ref, none, &f, &why), LV_EINVAL);
	assert_non_null(strstr(why, "batch 1: the device reported no time of its own"));
	free(why);
	why = NULL;
	struct lv_prep_point other[2] = { jpeg[0], jpeg[1] };
	other[1].batch = 2;
	assert_int_equal(lv_prep_fit(ref, other, &f, &why), LV_EINVAL);
	assert_non_null(strstr(why, "the same two batch sizes"));
	free(why);
	why = NULL;
	struct lv_prep_point same[2] = { ref[0], ref[0] };
	assert_int_equal(lv_prep_fit(same, same, &f, &why), LV_EINVAL);
	free(why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fit_hand_worked),
		cmocka_unit_test(test_fit_negative_clamped),
		cmocka_unit_test(test_busy_energy_no_negative_gap),
		cmocka_unit_test(test_fit_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
