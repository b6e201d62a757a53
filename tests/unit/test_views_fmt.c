/* The console's formatting and chart scaling (views/fmt.c): units, "-" for unknowns, resampling
 * and levels, bars. */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "fmt.h"
#include "sched/snapshot.h"

static void test_units(void **st)
{
	(void)st;
	char b[32];
	assert_string_equal(lv_fmt_watts(b, sizeof(b), 12.34), "12.3 W");
	assert_string_equal(lv_fmt_watts(b, sizeof(b), 123.4), "123 W");
	assert_string_equal(lv_fmt_watts(b, sizeof(b), 1234), "1.23 kW");
	assert_string_equal(lv_fmt_watts(b, sizeof(b), NAN), "-");
	assert_string_equal(lv_fmt_joules(b, sizeof(b), 812.2), "812 J");
	assert_string_equal(lv_fmt_joules(b, sizeof(b), 0.314), "0.31 J");
	assert_string_equal(lv_fmt_joules(b, sizeof(b), 12.34), "12.3 J");
	assert_string_equal(lv_fmt_joules(b, sizeof(b), 12345), "12.3 kJ");
	assert_string_equal(lv_fmt_joules(b, sizeof(b), 1.234e6), "1.23 MJ");
	assert_string_equal(lv_fmt_joules(b, sizeof(b), 999.6), "1.00 kJ"); /* no "1000 J" */
	assert_string_equal(lv_fmt_mhz(b, sizeof(b), 1109250000), "1109");
	assert_string_equal(lv_fmt_mhz(b, sizeof(b), 114750000), "115");
	assert_string_equal(lv_fmt_mhz(b, sizeof(b), 0), "-");
	assert_string_equal(lv_fmt_count(b, sizeof(b), 999), "999");
	assert_string_equal(lv_fmt_count(b, sizeof(b), 12345), "12.3k");
	assert_string_equal(lv_fmt_count(b, sizeof(b), 4560000), "4.56M");
	assert_string_equal(lv_fmt_pct(b, sizeof(b), 98.24), "98.2%");
	assert_string_equal(lv_fmt_pct(b, sizeof(b), 100), "100%");
	assert_string_equal(lv_fmt_pct(b, sizeof(b), NAN), "-");
	assert_string_equal(lv_fmt_rate(b, sizeof(b), 0.1234), "0.123");
	assert_string_equal(lv_fmt_rate(b, sizeof(b), 12.345), "12.35");
	assert_string_equal(lv_fmt_rate(b, sizeof(b), 1234.5), "1234");
	/* Chart axes: at most 5 characters, no trailing zeros. */
	assert_string_equal(lv_fmt_axis(b, sizeof(b), 64), "64");
	assert_string_equal(lv_fmt_axis(b, sizeof(b), 25.17), "25.2");
	assert_string_equal(lv_fmt_axis(b, sizeof(b), 0.25), "0.25");
	assert_string_equal(lv_fmt_axis(b, sizeof(b), 0), "0");
	assert_string_equal(lv_fmt_axis(b, sizeof(b), 100), "100");
	assert_string_equal(lv_fmt_axis(b, sizeof(b), 1377.4), "1377");
	assert_string_equal(lv_fmt_axis(b, sizeof(b), 123456), "123k");
}

static void test_times(void **st)
{
	(void)st;
	char b[32];
	assert_string_equal(lv_fmt_duration(b, sizeof(b), 45.9), "45s");
	assert_string_equal(lv_fmt_duration(b, sizeof(b), 725), "12m05s");
	assert_string_equal(lv_fmt_duration(b, sizeof(b), 3 * 3600 + 4 * 60 + 7), "3h04m");
	assert_string_equal(lv_fmt_duration(b, sizeof(b), 2 * 86400 + 3 * 3600), "2d03h");
	assert_string_equal(lv_fmt_duration(b, sizeof(b), -1), "-");
	assert_string_equal(lv_fmt_duration(b, sizeof(b), INFINITY), "-");
	assert_string_equal(lv_fmt_latency(b, sizeof(b), 0.85), "850ms");
	assert_string_equal(lv_fmt_latency(b, sizeof(b), 1.2), "1.20s");
	assert_string_equal(lv_fmt_latency(b, sizeof(b), 12.04), "12.0s");
	assert_string_equal(lv_fmt_latency(b, sizeof(b), 125), "125s");
	assert_string_equal(lv_fmt_latency(b, sizeof(b), NAN), "-");
}

static void test_resample(void **st)
{
	(void)st;
	double out[8];
	/* Fewer samples than points: right-aligned, NAN before. */
	const double v3[] = { 1, 2, 3 };
	assert_int_equal(lv_series_resample(v3, 3, 5, out), 1);
	assert_true(isnan(out[0]) && isnan(out[1]));
	assert_float_equal(out[2], 1, 0);
	assert_float_equal(out[4], 3, 0);
	/* More: means of groups counted back from the newest, so the newest group is whole. */
	const double v7[] = { 1, 2, 3, 4, 5, 6, 7 };
	assert_int_equal(lv_series_resample(v7, 7, 3, out), 3);
	assert_float_equal(out[2], 6, 1e-12); /* 5, 6, 7 */
	assert_float_equal(out[1], 3, 1e-12); /* 2, 3, 4 */
	assert_float_equal(out[0], 1, 1e-12); /* 1 */
	/* NANs inside a group are skipped; an all-NAN group stays NAN. */
	const double vn[] = { NAN, NAN, 4, NAN };
	lv_series_resample(vn, 4, 2, out);
	assert_true(isnan(out[0]));
	assert_float_equal(out[1], 4, 0);
}

static void test_levels(void **st)
{
	(void)st;
	int l[6];
	const double v[] = { 0, 0.01, 5, 10, NAN, 20 };
	/* Auto range: 0 .. max (20) over 9 levels. */
	double hi = lv_series_levels(v, 6, 9, 0, l);
	assert_float_equal(hi, 20, 0);
	assert_int_equal(l[0], 0);
	assert_int_equal(l[1], 1); /* tiny but positive: still visible */
	assert_int_equal(l[2], 2); /* 5/20*8 = 2 */
	assert_int_equal(l[3], 4);
	assert_int_equal(l[4], -1); /* no data: nothing drawn */
	assert_int_equal(l[5], 8);
	/* A fixed top clips what is above it. */
	lv_series_levels(v, 6, 9, 10, l);
	assert_int_equal(l[3], 8);
	assert_int_equal(l[5], 8);
	/* All zero: all level 0, hi 0. */
	const double z[] = { 0, 0 };
	assert_float_equal(lv_series_levels(z, 2, 5, 0, l), 0, 0);
	assert_int_equal(l[0], 0);
}

static void test_bar(void **st)
{
	(void)st;
	int full, part;
	lv_bar_fill(0.5, 10, 8, &full, &part);
	assert_int_equal(full, 5);
	assert_int_equal(part, 0);
	lv_bar_fill(0.53, 10, 8, &full, &part); /* 42.4 eighths -> 42 = 5 cells + 2/8 */
	assert_int_equal(full, 5);
	assert_int_equal(part, 2);
	lv_bar_fill(1.7, 10, 1, &full, &part); /* clamped */
	assert_int_equal(full, 10);
	assert_int_equal(part, 0);
	lv_bar_fill(0.0001, 10, 1, &full, &part); /* something shows */
	assert_int_equal(full + part, 1);
	lv_bar_fill(0, 10, 8, &full, &part);
	assert_int_equal(full + part, 0);
	lv_bar_fill(NAN, 10, 8, &full, &part);
	assert_int_equal(full + part, 0);
}

/* The store's record: the worst news first, nothing without a database. */
static void test_store(void **st)
{
	(void)st;
	struct lv_snap_store s;
	char b[96];
	memset(&s, 0, sizeof(s));
	assert_int_equal(lv_fmt_store(b, sizeof(b), &s), 0);
	assert_string_equal(b, "");
	s.enabled = 1;
	s.written[LV_SNAP_ROWS_FRAMES] = 500;
	assert_int_equal(lv_fmt_store(b, sizeof(b), &s), 0);
	assert_string_equal(b, "record complete");
	s.failing = 1;
	s.pending[LV_SNAP_ROWS_FRAMES] = 300;
	s.pending[LV_SNAP_ROWS_TELEMETRY] = 10;
	assert_int_equal(lv_fmt_store(b, sizeof(b), &s), 1);
	assert_string_equal(b, "store failing: 310 rows waiting");
	s.lost[LV_SNAP_ROWS_FRAMES] = 40;
	s.lost[LV_SNAP_ROWS_BATCHES] = 2;
	assert_int_equal(lv_fmt_store(b, sizeof(b), &s), 2);
	assert_string_equal(b, "record INCOMPLETE: 42 rows missing, writes failing");
	s.failing = 0;
	assert_int_equal(lv_fmt_store(b, sizeof(b), &s), 2);
	assert_string_equal(b, "record INCOMPLETE: 42 rows missing");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),    cmocka_unit_test(test_times),
		cmocka_unit_test(test_resample), cmocka_unit_test(test_levels),
		cmocka_unit_test(test_bar),      cmocka_unit_test(test_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
