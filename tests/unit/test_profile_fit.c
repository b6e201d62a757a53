/*
 * test_profile_fit: the importer's fits (profile_fit.h) on excerpts of the
 * real logs (tests/unit/fixtures; sources and line ranges in its README.md)
 * and on hand-made statistics, every expected number worked out in the
 * comments. Line numbers below are the fixtures' own, 1-based.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/profile_fit.h"
#include "model/teglog.h"
#include "base/util.h"

#define DESCENT "tests/unit/fixtures/agx-descent.tegrastats.log"
#define RAMP    "tests/unit/fixtures/agx-ramp.tegrastats.log"
#define LOUD    "tests/unit/fixtures/agx-loud.controller.log"

static struct lv_teg_log read_ok(const char *path)
{
	struct lv_teg_log log;
	char *why = NULL;
	if (lv_teg_log_read(path, &log, &why) != 0)
		fail_msg("%s", why);
	return log;
}

/* ---- idle power ---------------------------------------------------------- */

/*
 * agx-descent: line 3 is busy (99%), every other line idle, the GPU rail
 * powered on all (so none is cold). Settled = the line and the 10 before it
 * idle at its clock:
 *  - 1377 MHz, lines 4-46 idle: settled from line 14 (4..14) to 46, 33 lines,
 *    every one of them 6647 mW (lines 4-13, the GPU rail's decay from
 *    18890 mW after the batch, are not settled): median and quartiles 6.647;
 *  - 522, 420, 318, 216 MHz (lines 47-57, the descent): never 11 in a row;
 *  - 114 MHz, lines 58-88: settled from 68 to 88, 21 lines: 4457 mW at
 *    lines 73, 87 and 88, 4417 mW at the 18 others. Sorted, the 11th (the
 *    median), the 6th (p25: position 0.25 x 20 = 5 from 0) and the 16th
 *    (p75: 15) are all 4417.
 */
static void test_idle_stats_settled(void **state)
{
	(void)state;
	struct lv_teg_log log = read_ok(DESCENT);
	struct lv_idle_stats st;
	char *why = NULL;
	assert_int_equal(lv_idle_stats_build(&log, 1, &st, &why), 0);
	assert_int_equal(st.n_idle, 87);
	assert_int_equal(st.n_cold, 0);
	assert_int_equal(st.n_settled, 54);
	assert_int_equal(st.n_clocks, 2);
	assert_int_equal(st.clocks[0].mhz, 114);
	assert_int_equal(st.clocks[0].n, 21);
	assert_near(st.clocks[0].median_w, 4.417, 1e-12);
	assert_near(st.clocks[0].p25_w, 4.417, 1e-12);
	assert_near(st.clocks[0].p75_w, 4.417, 1e-12);
	assert_int_equal(st.clocks[1].mhz, 1377);
	assert_int_equal(st.clocks[1].n, 33);
	assert_near(st.clocks[1].median_w, 6.647, 1e-12);

	/*
	 * Over the grid 114.75, 216.75, 1377 and 1500 MHz: 114.75 and 1377 are
	 * measured (21 and 33 samples >= 20); 216.75 lies between them:
	 * 4.417 + (6.647 - 4.417) (216.75 - 114.75) / (1377 - 114.75); 1500 is
	 * past the last, on the same line: 6.647 + 2.23 (1500 - 1377) / 1262.25.
	 */
	const uint64_t grid[] = { 114750000, 216750000, 1377000000, 1500000000 };
	double w[4], a, s;
	char how[4];
	assert_int_equal(lv_idle_curve(&st, grid, 4, 0, w, how, &a, &s, "t", &why), 0);
	assert_near(w[0], 4.417, 1e-12);
	assert_near(w[1], 4.417 + 2.23 * 102.0 / 1262.25, 1e-9);
	assert_near(w[2], 6.647, 1e-12);
	assert_near(w[3], 6.647 + 2.23 * 123.0 / 1262.25, 1e-9);
	assert_memory_equal(how, "mimx", 4);
	assert_true(a == 0 && s == 0);
	lv_idle_stats_fini(&st);
	lv_teg_log_fini(&log);
}

/*
 * agx-ramp: lines 1-13 idle at 114 MHz with the GPU rail at 0 mW while it
 * reads 1400 mW and more later: the GPU is rail-gated, so all 13 are cold
 * and none is settled; lines 14 on are too busy to settle.
 */
static void test_idle_stats_cold(void **state)
{
	(void)state;
	struct lv_teg_log log = read_ok(RAMP);
	struct lv_idle_stats st;
	char *why = NULL;
	assert_int_equal(lv_idle_stats_build(&log, 1, &st, &why), 0);
	assert_int_equal(st.n_cold, 13);
	assert_int_equal(st.n_settled, 0);
	assert_int_equal(st.n_clocks, 0);
	double w[1], a, s;
	char how[1];
	const uint64_t grid[] = { 114750000 };
	assert_int_equal(lv_idle_curve(&st, grid, 1, 0, w, how, &a, &s, "ramp", &why), LV_EINVAL);
	assert_string_equal(why, "ramp: no settled idle samples (GR3D_FREQ 0%)");
	free(why);
	lv_idle_stats_fini(&st);
	lv_teg_log_fini(&log);
}

static struct lv_idle_stats hand_stats(size_t n, const struct lv_idle_clock *c)
{
	struct lv_idle_stats st = { 0 };
	st.n_clocks = n;
	st.clocks = lv_xcalloc(n, sizeof(*c));
	memcpy(st.clocks, c, n * sizeof(*c));
	return st;
}

/*
 * Pooling: 100 MHz 5.0 W (30 samples), 200 MHz 4.0 W (20), 300 MHz 6.0 W
 * (20). 5.0 > 4.0 breaks the rule that idle power does not fall with clock:
 * the two pool into (30 x 5 + 20 x 4) / 50 = 4.6 W; 6.0 stays. Relative
 * slope through (1e8, 4.6), (2e8, 4.6), (3e8, 6): mean f 2e8, mean w
 * 15.2/3; Sxy = -1e8 (4.6 - 15.2/3) + 1e8 (6 - 15.2/3) = 1.4e8, Sxx = 2e16,
 * s = 7e-9 W/Hz, a = 15.2/3 - 1.4, s/a.
 */
static void test_idle_pooling(void **state)
{
	(void)state;
	const struct lv_idle_clock c[] = { { 100, 30, 5.0, 5.0, 5.0 },
		                           { 200, 20, 4.0, 4.0, 4.0 },
		                           { 300, 20, 6.0, 6.0, 6.0 } };
	struct lv_idle_stats st = hand_stats(3, c);
	const uint64_t grid[] = { 100000000, 200000000, 300000000 };
	double w[3], a, s;
	char how[3];
	char *why = NULL;
	assert_int_equal(lv_idle_curve(&st, grid, 3, 0, w, how, &a, &s, "t", &why), 0);
	assert_near(w[0], 4.6, 1e-12);
	assert_near(w[1], 4.6, 1e-12);
	assert_near(w[2], 6.0, 1e-12);
	assert_memory_equal(how, "mmm", 3);
	double s_want = 1.4e8 / 2e16, a_want = 15.2 / 3 - 1.4;
	assert_near(lv_idle_rel_slope(&st, grid, 3), s_want / a_want, 1e-20);

	/* 19 samples at 100 MHz are too few: it is extrapolated from 200 and 300 (4 W, 6 W). */
	st.clocks[0].n = 19;
	assert_int_equal(lv_idle_curve(&st, grid, 3, 0, w, how, &a, &s, "t", &why), 0);
	assert_near(w[0], 2.0, 1e-12);
	assert_memory_equal(how, "xmm", 3);
	lv_idle_stats_fini(&st);
}

/*
 * One clock, off the grid (the Nano's 76 MHz, 25 samples, 1 W) with a
 * borrowed relative slope of 1e-9 /Hz: a = 1 / (1 + 1e-9 x 76e6) = 1/1.076
 * and idle(f) = a (1 + 1e-9 f): 1.1536/1.076 at 153.6 MHz, 1.9216/1.076 at
 * 921.6 MHz. Without a slope to borrow it is an error.
 */
static void test_idle_borrowed(void **state)
{
	(void)state;
	const struct lv_idle_clock c[] = { { 76, 25, 1.0, 1.0, 1.0 } };
	struct lv_idle_stats st = hand_stats(1, c);
	const uint64_t grid[] = { 153600000, 921600000 };
	double w[2], a, s;
	char how[2];
	char *why = NULL;
	assert_true(lv_idle_rel_slope(&st, grid, 2) == 0);
	assert_int_equal(lv_idle_curve(&st, grid, 2, 1e-9, w, how, &a, &s, "nano", &why), 0);
	assert_near(a, 1 / 1.076, 1e-12);
	assert_near(s, 1e-9 / 1.076, 1e-21);
	assert_near(w[0], 1.1536 / 1.076, 1e-12);
	assert_near(w[1], 1.9216 / 1.076, 1e-12);
	assert_memory_equal(how, "bb", 2);
	assert_int_equal(lv_idle_curve(&st, grid, 2, 0, w, how, &a, &s, "nano", &why), LV_EINVAL);
	assert_string_equal(why, "nano: idle at fewer than two grid clocks, and no other kind to "
	                         "borrow a slope from");
	free(why);
	lv_idle_stats_fini(&st);
}

/* ---- the governor -------------------------------------------------------- */

/*
 * Kaplan-Meier: 1 (event), 2 (censored), 3 (event), 4 (event). At 1, 4 at
 * risk: S = 3/4; 2 leaves censored; at 3, 2 at risk: S = 3/4 x 1/2 = 3/8
 * <= 1/2: the median is 3. With 2, 3 and 4 censored S stays 3/4: none.
 */
static void test_km_median(void **state)
{
	(void)state;
	double v[] = { 3, 1, 4, 2 };
	int ev[] = { 1, 1, 1, 0 };
	assert_near(lv_km_median(v, ev, 4), 3, 0);
	double v2[] = { 1, 2, 3, 4 };
	int ev2[] = { 1, 0, 0, 0 };
	assert_near(lv_km_median(v2, ev2, 4), -1, 0);
}

/*
 * Both fixtures, top 1377 MHz, floor 114 MHz. Active lines: busy, or the GPU
 * rail up by more than 300 mW on the line before.
 * agx-descent (spacing d1): line 3 busy; line 4's rail 9741 mW is 3544 above
 * line 3's, active; no other. Quiet runs: lines 1-2 at the top (censored at
 * 2 d1) and lines 5-88, from the top: the first line below it is 47 (522
 * MHz), a hold of 47 - 5 = 42 lines; the first at the floor is 58, a
 * descent of 58 - 47 = 11 lines. Nothing follows, so no ramp.
 * agx-ramp (spacing d2): lines 1-13 quiet at the floor (13 >= 10), line 14
 * busy (99% at 114), 15 active (rail 1866 after 1400: +466), 18 busy (98%
 * at 1338), 19 the first at the top: the ramp's busy time is (0.99 + 0.98)
 * d2 (lines 14-18). 21 busy, 22 active (9435 after 8356); quiet runs at the
 * top 19-20 and 23, censored at 2 d2 and 1 d2.
 * So the hold is the Kaplan-Meier median of {42 d1; censored 2 d1, 2 d2,
 * d2}: only 42 d1 is an event, with one at risk: 42 d1. The descent's
 * median and quartiles are 11 d1, the ramp's 1.97 d2. One quiet run from the
 * top (5-88: 84 lines) is longer than hold + descent (53 lines), and it ends
 * at the floor.
 */
static void test_governor_fit(void **state)
{
	(void)state;
	struct lv_teg_log logs[2] = { read_ok(DESCENT), read_ok(RAMP) };
	double d1 = logs[0].dt_s, d2 = logs[1].dt_s;
	struct lv_gov_fit g;
	char *why = NULL;
	assert_int_equal(lv_gov_fit(logs, 2, 1377, 114, &g, "fixtures", &why), 0);
	assert_int_equal(g.n_quiet, 4);
	assert_int_equal(g.n_drops, 1);
	assert_near(g.hold_s, 42 * d1, 1e-12);
	assert_int_equal(g.n_descents, 1);
	assert_near(g.descent_s, 11 * d1, 1e-12);
	assert_near(g.descent_p25_s, 11 * d1, 1e-12);
	assert_near(g.descent_p75_s, 11 * d1, 1e-12);
	assert_int_equal(g.n_ramps, 1);
	assert_int_equal(g.n_ramps_censored, 0);
	assert_near(g.ramp_busy_s, 1.97 * d2, 1e-12);
	assert_int_equal(g.n_long, 1);
	assert_int_equal(g.n_long_floor, 1);

	/* The descent alone has no ramp: the fit names what it lacks. */
	assert_int_equal(lv_gov_fit(logs, 1, 1377, 114, &g, "fixtures", &why), LV_EINVAL);
	assert_string_equal(why, "fixtures: the governor cannot be fitted: the clock left the top "
	                         "in 1 of 2 quiet runs, reached the floor in 1, and climbed "
	                         "from it in 0 of 0 ramps");
	free(why);
	lv_teg_log_fini(&logs[0]);
	lv_teg_log_fini(&logs[1]);
}

/* ---- clock changes ------------------------------------------------------- */

/*
 * agx-loud.controller.log, times of day in seconds past 00:04:
 *  - line 2, set 114.75 MHz: the start-up clock, no dispatch: not a delay;
 *  - dispatch 1032.75 at 05.401, set at 05.473: 0.072;
 *  - dispatch 905.25 at 06.965, set at 07.255: 0.290;
 *  - set 114.75 at 13.361 (the idle down-clock): no dispatch asked: skipped;
 *  - dispatch 1032.75 at 15.417, set at 15.488: 0.071;
 *  - dispatch 905.25 at 19.282, set at 19.391: 0.109;
 *  - dispatches 905.25 at 21.044 and 25.100 (the clock already 905.25: no
 *    set), then 1032.75 at 25.947, set at 26.064: 0.117;
 *  - dispatch 905.25 at 29.385, set at 29.504: 0.119.
 */
static void test_clock_change_read(void **state)
{
	(void)state;
	double *v = NULL;
	size_t n = 0, cap = 0;
	char *why = NULL;
	assert_int_equal(lv_cc_read(LOUD, &v, &n, &cap, &why), 0);
	const double want[] = { 0.072, 0.290, 0.071, 0.109, 0.117, 0.119 };
	assert_int_equal(n, 6);
	for (size_t i = 0; i < n; i++)
		assert_near(v[i], want[i], 1e-6);
	free(v);

	char *dir = lv_test_mkdtemp();
	char *path = lv_test_write(dir, "c.log",
	                           "2025-02-08 00:04:05,401 - LoudVA - INFO - [LoudScheduler] - "
	                           "Dispatching to agx with frequency x, batch size 4\n");
	v = NULL;
	n = cap = 0;
	assert_int_equal(lv_cc_read(path, &v, &n, &cap, &why), LV_EINVAL);
	assert_non_null(strstr(why, ":1: '2025-02-08 00:04:05,401"));
	assert_non_null(strstr(why, "not a dispatch line"));
	free(why);
	free(v);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

/*
 * Delays 0.4, 0.1, 0.2 s: sorted 0.1, 0.2, 0.4; the quantile at p sits at
 * position 2p between them, so it runs linearly 0.1 -> 0.2 over p in
 * [0, 0.5] and 0.2 -> 0.4 over [0.5, 1], both ends on the 21 quantiles'
 * grid. Its mean is the area under it: 0.5 x 0.15 + 0.5 x 0.3 = 0.225 s.
 * shape = quantiles / 0.225: 0.1/0.225 at 0, 0.15/0.225 at 5 (p 0.25),
 * 0.2/0.225 at 10, 0.4/0.225 at 20.
 */
static void test_clock_change_shape(void **state)
{
	(void)state;
	double v[] = { 0.4, 0.1, 0.2 };
	double shape[LV_CC_QUANTILES], mean;
	lv_cc_shape(v, 3, shape, &mean);
	assert_near(mean, 0.225, 1e-12);
	assert_near(shape[0], 0.1 / 0.225, 1e-12);
	assert_near(shape[5], 0.15 / 0.225, 1e-12);
	assert_near(shape[10], 0.2 / 0.225, 1e-12);
	assert_near(shape[20], 0.4 / 0.225, 1e-12);
	for (size_t i = 1; i < LV_CC_QUANTILES; i++)
		assert_true(shape[i] >= shape[i - 1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_stats_settled),
		cmocka_unit_test(test_idle_stats_cold),
		cmocka_unit_test(test_idle_pooling),
		cmocka_unit_test(test_idle_borrowed),
		cmocka_unit_test(test_km_median),
		cmocka_unit_test(test_governor_fit),
		cmocka_unit_test(test_clock_change_read),
		cmocka_unit_test(test_clock_change_shape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
