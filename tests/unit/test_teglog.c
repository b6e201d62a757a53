/*
 * test_teglog: the tegrastats reader on real lines of the three formats
 * (tests/unit/fixtures, sources in its README.md) and on hand-made ones:
 * fields, board power, the GPU rail, time stamps and their spacing, the
 * memory clock's range, and errors naming file, line and column.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "model/teglog.h"
#include "base/util.h"

static struct lv_teg_log read_ok(const char *path)
{
	struct lv_teg_log log;
	char *why = NULL;
	if (lv_teg_log_read(path, &log, &why) != 0)
		fail_msg("%s", why);
	return log;
}

/*
 * agx-descent line 3: "EMC_FREQ 0%@2133 GR3D_FREQ 99%@1377 ... GPU 6197mW/..
 * CPU 1084mW/.. SOC 3253mW/.. CV 0mW/.. VDDRQ 1239mW/.. SYS5V 3000mW/..": no
 * VDD_IN, so the board is the sum of the six rails' first numbers,
 * 6197 + 1084 + 3253 + 0 + 1239 + 3000 = 14773 mW.
 */
static void test_agx_lines(void **state)
{
	(void)state;
	struct lv_teg_log log = read_ok("tests/unit/fixtures/agx-descent.tegrastats.log");
	assert_int_equal(log.n, 88);
	const struct lv_teg_line *l = &log.lines[2];
	assert_int_equal(l->line, 3);
	assert_int_equal(l->load_pct, 99);
	assert_int_equal(l->gpu_mhz, 1377);
	assert_int_equal(l->emc_mhz, 2133);
	assert_int_equal(l->gpu_rail_mw, 6197);
	assert_int_equal(l->power_mw, 14773);
	/* 02-07-2025 22:40:04: 20126 days after 1970-01-01, plus 22 h 40 min 4 s */
	assert_int_equal(l->stamp_s, 20126LL * 86400 + 22 * 3600 + 40 * 60 + 4);
	/* the last line, 22:40:24, at 114 MHz with the memory clock at 1065 */
	l = &log.lines[87];
	assert_int_equal(l->gpu_mhz, 114);
	assert_int_equal(l->emc_mhz, 1065);
	assert_int_equal(l->stamp_s, 20126LL * 86400 + 22 * 3600 + 40 * 60 + 24);
	/* 88 lines over about 20 s: some 0.23 s apart (the exact slope: next test) */
	assert_true(log.dt_s > 0.2 && log.dt_s < 0.26);
	long lo, hi;
	lv_teg_log_emc_range(&log, &lo, &hi);
	assert_int_equal(lo, 1065);
	assert_int_equal(hi, 2133);
	lv_teg_log_fini(&log);
}

/* NX: VDD_IN is the board. Nano: POM_5V_IN without units, no stamps, no spacing. */
static void test_nx_nano_lines(void **state)
{
	(void)state;
	struct lv_teg_log nx = read_ok("tests/unit/fixtures/nx.tegrastats.log");
	assert_int_equal(nx.n, 3);
	assert_int_equal(nx.lines[0].power_mw, 3791);
	assert_int_equal(nx.lines[0].gpu_rail_mw, -1); /* VDD_CPU_GPU_CV is not the GPU's alone */
	assert_int_equal(nx.lines[2].emc_mhz, 1600);
	lv_teg_log_fini(&nx);

	struct lv_teg_log nano = read_ok("tests/unit/fixtures/nano.tegrastats.log");
	assert_int_equal(nano.n, 3);
	assert_int_equal(nano.lines[1].power_mw, 1001);
	assert_int_equal(nano.lines[1].gpu_rail_mw, 0);
	assert_int_equal(nano.lines[1].gpu_mhz, 76);
	assert_int_equal(nano.lines[1].stamp_s, -1);
	assert_true(nano.dt_s == 0);
	long lo, hi;
	lv_teg_log_emc_range(&nano, &lo, &hi);
	assert_int_equal(lo, 204);
	assert_int_equal(hi, 1600);
	lv_teg_log_fini(&nano);
}

/*
 * Spacing: stamps 0, 0, 1, 1, 2 s at lines 0..4 (and a blank line, skipped).
 * Mean index 2, mean stamp 0.8; sum (i-2)(t-0.8) = (-2)(-0.8) + (-1)(-0.8) +
 * 0 + 1(0.2) + 2(1.2) = 1.6 + 0.8 + 0.2 + 2.4 = 5; sum (i-2)^2 = 10: 0.5 s.
 */
static void test_spacing(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp();
	char *path = lv_test_write(dir, "t.log",
	                           "01-01-2025 00:00:00 GR3D_FREQ 0%@114 GPU 1mW/1mW\n"
	                           "01-01-2025 00:00:00 GR3D_FREQ 0%@114 GPU 1mW/1mW\n"
	                           "\n"
	                           "01-01-2025 00:00:01 GR3D_FREQ 0%@114 GPU 1mW/1mW\n"
	                           "01-01-2025 00:00:01 GR3D_FREQ 0%@114 GPU 1mW/1mW\n"
	                           "01-01-2025 00:00:02 GR3D_FREQ 0%@114 GPU 1mW/1mW\n");
	struct lv_teg_log log = read_ok(path);
	assert_int_equal(log.n, 5);
	assert_int_equal(log.lines[2].line, 4);
	assert_true(log.dt_s > 0.5 - 1e-12 && log.dt_s < 0.5 + 1e-12);
	/* across midnight and a month's end: 2025-02-28 23:59:59 -> 03-01 00:00:00 */
	assert_int_equal(lv_days_from_civil(2025, 3, 1) - lv_days_from_civil(2025, 2, 28), 1);
	assert_int_equal(lv_days_from_civil(2024, 3, 1) - lv_days_from_civil(2024, 2, 28), 2);
	assert_int_equal(lv_days_from_civil(1970, 1, 1), 0);
	lv_teg_log_fini(&log);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

static void test_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text, *want; /* want after "<path>" */
	} cases[] = {
		{ "GR3D_FREQ 0%@100 GPU 1mW/1mW\nGPU 1mW/1mW\n", ":2: GR3D_FREQ: missing" },
		{ "\nRAM 1/2MB GR3D_FREQ 0% GPU 1mW/1mW\n",
		  ":2:21: GR3D_FREQ: '0%' is not <load>%@<MHz>" },
		{ "EMC_FREQ 5@204 GR3D_FREQ 0%@76\n",
		  ":1:10: EMC_FREQ: '5@204' is not <load>%@<MHz>" },
	};
	char *dir = lv_test_mkdtemp();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = lv_test_write(dir, "bad.log", cases[i].text);
		struct lv_teg_log log;
		char *why = NULL;
		assert_int_equal(lv_teg_log_read(path, &log, &why), LV_EINVAL);
		char *want = lv_xasprintf("%s%s", path, cases[i].want);
		assert_string_equal(why, want);
		free(want);
		free(why);
		lv_teg_log_fini(&log);
		free(path);
	}
	struct lv_teg_log log;
	char *why = NULL;
	char *missing = lv_xasprintf("%s/none.log", dir);
	assert_int_equal(lv_teg_log_read(missing, &log, &why), LV_EIO);
	assert_non_null(strstr(why, missing));
	free(why);
	free(missing);
	lv_teg_log_fini(&log);
	lv_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agx_lines),
		cmocka_unit_test(test_nx_nano_lines),
		cmocka_unit_test(test_spacing),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
