/* The heatmap scale (views/heat.c): fitting skips what was not measured, levels run from the
 * least to the most, the scale turns logarithmic past a factor of 3, edges invert levels. */
#include "testutil.h"

#include <math.h>

#include "heat.h"

static void test_fit_skips_unmeasured(void **st)
{
	(void)st;
	double v[] = { NAN, 0.5, -1, 0, INFINITY, 0.8, 0.6 };
	struct lv_heat_scale s;
	lv_heat_fit(&s, v, sizeof(v) / sizeof(v[0]));
	assert_true(s.lo == 0.5 && s.hi == 0.8);
	assert_int_equal(s.log, 0);
	assert_int_equal(lv_heat_level(&s, NAN), -1);
	assert_int_equal(lv_heat_level(&s, 0), -1);
	assert_int_equal(lv_heat_level(&s, 0.5), 0);
	assert_int_equal(lv_heat_level(&s, 0.8), LV_HEAT_LEVELS - 1);
	/* Linear: the middle is the middle level. */
	assert_int_equal(lv_heat_level(&s, 0.65), LV_HEAT_LEVELS / 2);
	/* Out of range clamps. */
	assert_int_equal(lv_heat_level(&s, 0.1), 0);
	assert_int_equal(lv_heat_level(&s, 9), LV_HEAT_LEVELS - 1);

	struct lv_heat_scale none;
	lv_heat_fit(&none, v, 1);
	assert_int_equal(lv_heat_level(&none, 0.7), -1);
}

static void test_log_scale(void **st)
{
	(void)st;
	double v[] = { 0.1, 10 };
	struct lv_heat_scale s;
	lv_heat_fit(&s, v, 2);
	assert_int_equal(s.log, 1);
	/* 1.0 is the geometric middle of 0.1..10. */
	assert_int_equal(lv_heat_level(&s, 1.0), LV_HEAT_LEVELS / 2);
	/* Each edge belongs to its level, and the edges climb by a constant ratio. */
	for (int l = 0; l < LV_HEAT_LEVELS; l++) {
		double e = lv_heat_edge(&s, l);
		assert_int_equal(lv_heat_level(&s, e * 1.0001), l);
		if (l > 0)
			assert_true(fabs(e / lv_heat_edge(&s, l - 1) - pow(100, 0.1)) < 1e-9);
	}
	assert_true(fabs(lv_heat_edge(&s, 0) - 0.1) < 1e-12);
}

static void test_glyphs_and_colours(void **st)
{
	(void)st;
	/* Distinct glyphs, none blank (blank means "not measured"). */
	for (int a = 0; a < LV_HEAT_LEVELS; a++) {
		assert_true(lv_heat_glyph(a) != ' ');
		for (int b = a + 1; b < LV_HEAT_LEVELS; b++)
			assert_true(lv_heat_glyph(a) != lv_heat_glyph(b));
	}
	assert_int_equal(lv_heat_glyph(-1), '?');
	/* Colours on the 6x6x6 cube, no blue, green first and red last. */
	for (int l = 0; l < LV_HEAT_LEVELS; l++) {
		int c = lv_heat_color256(l) - 16;
		assert_true(c >= 0 && c < 216);
		assert_int_equal(c % 6, 0);
	}
	int first = lv_heat_color256(0) - 16, last = lv_heat_color256(LV_HEAT_LEVELS - 1) - 16;
	assert_true(first / 36 == 0 && first / 6 % 6 > 0); /* no red: green */
	assert_true(last / 36 > 0 && last / 6 % 6 == 0);   /* no green: red */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fit_skips_unmeasured),
		cmocka_unit_test(test_log_scale),
		cmocka_unit_test(test_glyphs_and_colours),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
