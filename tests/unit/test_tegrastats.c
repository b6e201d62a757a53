/*
 * The tegrastats parser and energy meter on the three real logs in
 * ../shared/data/jetson-measurements/tegrastats (one sample per line:
 * `grep -c . <kind>.log` gives AGX Xavier 1353, Xavier NX 1291, Nano 1348),
 * values hand-read from specific lines, the stamp-run energy rule on a
 * made-up log, and malformed lines counted and skipped.
 *
 * The whole-log energies were computed independently with awk from the
 * rails (sum of the AGX's six rails, VDD_IN, POM_5V_IN): per run of lines
 * sharing a stamp, mean power × seconds to the next stamp; the last run and
 * every Nano line × 0.2 s.
 *
 * The Orin formats come from real lines published with their boards
 * (tests/agent/fixtures/README.md names each source): AGX Orin on
 * JetPack 5.1 and 6.1, Orin Nano on JetPack 6.2; values hand-read.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tegrastats.h"
#include "base/util.h"

/* Feeds a whole log; optionally keeps the sample of line `keep_line` (1-based). */
static void feed_log(const char *kind, struct lv_tegrastats_meter *m, int keep_line,
                     struct lv_tegrastats_sample *kept)
{
	char *path = lv_xasprintf("%s/tegrastats/%s.log", lv_test_data_dir(), kind);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[LV_TS_LINE_MAX + 16];
	int n = 0;
	lv_tegrastats_meter_init(m, 0.2);
	while (fgets(line, sizeof(line), f)) {
		n++;
		assert_int_equal(lv_tegrastats_meter_feed(m, line), 1);
		if (n == keep_line)
			*kept = m->last;
	}
	lv_tegrastats_meter_finish(m);
	fclose(f);
	free(path);
}

static const struct lv_tegrastats_rail *rail(const struct lv_tegrastats_sample *s, const char *name)
{
	for (size_t i = 0; i < s->n_rails; i++)
		if (!strcmp(s->rails[i].name, name))
			return &s->rails[i];
	return NULL;
}

static double temp(const struct lv_tegrastats_sample *s, const char *name)
{
	for (size_t i = 0; i < s->n_temps; i++)
		if (!strcmp(s->temps[i].name, name))
			return s->temps[i].celsius;
	return NAN;
}

static void test_agx_log(void **state)
{
	struct lv_tegrastats_meter m;
	struct lv_tegrastats_sample s;
	(void)state;
	feed_log("agx-xavier", &m, 458, &s);
	assert_int_equal(m.samples, 1353);
	assert_int_equal(m.malformed, 0);
	/* line 458: 09-27-2025 15:55:03 ... GR3D_FREQ 99%@905 ... GPU 5575mW/330mW CPU
	 * 1084mW/529mW SOC 3717mW/2339mW CV 0mW/0mW VDDRQ 1858mW/316mW SYS5V 3160mW/2524mW */
	assert_true(s.valid & LV_TS_STAMP);
	assert_int_equal(s.stamp_s, 1758988503LL); /* date -u -d "2025-09-27 15:55:03" +%s */
	assert_near(s.gpu_load_pct, 99, 0);
	assert_int_equal(s.gpu_freq_hz, 905000000);
	assert_int_equal(s.n_rails, 6);
	assert_int_equal(s.input_rail, -1);
	assert_near(s.power_w, 15.394, 1e-9); /* no input rail: the sum */
	assert_near(rail(&s, "GPU")->power_w, 5.575, 1e-12);
	assert_near(rail(&s, "GPU")->avg_w, 0.330, 1e-12);
	assert_near(rail(&s, "SYS5V")->power_w, 3.160, 1e-12);
	assert_int_equal(s.n_temps, 8);
	assert_near(temp(&s, "GPU"), 43, 0);
	assert_near(temp(&s, "thermal"), 41.5, 0);
	assert_near(temp(&s, "Tdiode"), 43.5, 0);
	assert_near(m.energy_j, 2245.917217, 1e-6);
}

static void test_nx_log(void **state)
{
	struct lv_tegrastats_meter m;
	struct lv_tegrastats_sample s;
	(void)state;
	feed_log("xavier-nx", &m, 751, &s);
	assert_int_equal(m.samples, 1291);
	assert_int_equal(m.malformed, 0);
	/* line 751: GR3D_FREQ 99%@1007 ... VDD_IN 4647mW/2595mW VDD_CPU_GPU_CV 1508mW/305mW
	 * VDD_SOC 1099mW/674mW */
	assert_int_equal(s.gpu_freq_hz, 1007000000);
	assert_near(s.gpu_load_pct, 99, 0);
	assert_int_equal(s.n_rails, 3);
	assert_int_equal(s.input_rail, 0);
	assert_near(s.power_w, 4.647, 1e-12); /* VDD_IN, not the sum 7.254 */
	assert_near(rail(&s, "VDD_SOC")->power_w, 1.099, 1e-12);
	assert_int_equal(s.n_temps, 6);
	assert_near(temp(&s, "thermal"), 41.15, 1e-12);
	assert_near(m.energy_j, 793.492717, 1e-6);
}

static void test_nano_log(void **state)
{
	struct lv_tegrastats_meter m;
	struct lv_tegrastats_sample s;
	(void)state;
	feed_log("nano", &m, 1003, &s);
	assert_int_equal(m.samples, 1348);
	assert_int_equal(m.malformed, 0);
	/* line 1003: no stamp, GR3D_FREQ 0%@76, POM_5V_IN 1084/1051 POM_5V_GPU 0/0
	 * POM_5V_CPU 166/129 (bare numbers, mW) */
	assert_false(s.valid & LV_TS_STAMP);
	assert_int_equal(s.gpu_freq_hz, 76000000);
	assert_near(s.gpu_load_pct, 0, 0);
	assert_near(s.power_w, 1.084, 1e-12);
	assert_near(rail(&s, "POM_5V_IN")->avg_w, 1.051, 1e-12);
	assert_near(rail(&s, "POM_5V_CPU")->power_w, 0.166, 1e-12);
	assert_near(temp(&s, "AO"), 27.5, 0);
	assert_near(temp(&s, "PLL"), 17, 0);
	assert_near(m.energy_j, 283.801, 1e-6); /* every line × 0.2 s */
}

#define ST(t, p) "09-27-2025 " t " GR3D_FREQ 0%@114 VDD_IN " p "mW/" p "mW"

/* Runs sharing a stamp cover the seconds to the next stamp at their mean power. */
static void test_stamp_runs(void **state)
{
	struct lv_tegrastats_meter m;
	(void)state;
	lv_tegrastats_meter_init(&m, 0.2);
	const char *lines[] = { ST("10:00:00", "1000"), ST("10:00:00", "2000"),
		                ST("10:00:00", "3000"), ST("10:00:01", "4000"),
		                ST("10:00:01", "4000"), ST("10:00:03", "10000") };
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(lv_tegrastats_meter_feed(&m, lines[i]), 1);
	/* :00 at 2 W × 1 s, :01 at 4 W × 2 s (a gap is held); the :03 run is still open */
	assert_near(m.energy_j, 2.0 + 4.0 * 2, 1e-12);
	/* a stamp going back (a replay looping): the :03 run is charged by interval */
	assert_int_equal(lv_tegrastats_meter_feed(&m, ST("10:00:00", "5000")), 1);
	assert_near(m.energy_j, 10.0 + 10.0 * 0.2, 1e-12);
	/* a jump beyond LV_TS_MAX_GAP_S: by interval too */
	assert_int_equal(lv_tegrastats_meter_feed(&m, ST("11:00:00", "1000")), 1);
	assert_near(m.energy_j, 12.0 + 5.0 * 0.2, 1e-12);
	lv_tegrastats_meter_finish(&m);
	assert_near(m.energy_j, 13.0 + 1.0 * 0.2, 1e-12);
	assert_int_equal(m.samples, 8);
}

static void test_malformed(void **state)
{
	struct lv_tegrastats_meter m;
	char *why = NULL;
	struct lv_tegrastats_sample s;
	char *huge = lv_xmalloc(LV_TS_LINE_MAX + 100);
	(void)state;
	memset(huge, 'x', LV_TS_LINE_MAX + 99);
	huge[LV_TS_LINE_MAX + 99] = '\0';
	const char *good =
	    "RAM 1/2MB GR3D_FREQ 50%@921 GPU@30C POM_5V_IN 2000/1000 POM_5V_GPU 500/400\n";
	const char *bad[] = {
		"garbage",
		"09-27-2025 15:53:21 RAM 12939/31011MB GR3D_FREQ 0%@114 GPU 311mW/311mW SYS5V 25",
		"GR3D_FREQ x%@905 GPU 1mW/1mW",
		"GR3D_FREQ 10%@905 APE 150",
		"13-45-2025 99:00:00 GR3D_FREQ 0%@114 VDD_IN 1mW/1mW",
		"GR3D_FREQ 0%@76 POM_5V_IN 1/1 POM_5V_IN 2/2",
		"RAM 1/2MB GPU 1mW/1mW",
		"GR3D_FREQ 0%@76 GPU@abcC POM_5V_IN 1/1",
		huge,
	};
	size_t n_bad = sizeof(bad) / sizeof(bad[0]);
	for (size_t i = 0; i < n_bad; i++) {
		assert_int_equal(lv_tegrastats_parse(bad[i], &s, &why), LV_EINVAL);
		assert_non_null(why);
		free(why);
		why = NULL;
	}
	assert_int_equal(lv_tegrastats_parse("   \n", &s, NULL), 0);

	lv_tegrastats_meter_init(&m, 0.5);
	assert_int_equal(lv_tegrastats_meter_feed(&m, good), 1);
	for (size_t i = 0; i < n_bad; i++) {
		assert_int_equal(lv_tegrastats_meter_feed(&m, bad[i]), LV_EINVAL);
		assert_int_equal(lv_tegrastats_meter_feed(&m, "\n"), 0);
	}
	assert_int_equal(lv_tegrastats_meter_feed(&m, good), 1);
	assert_int_equal(m.samples, 2);
	assert_int_equal(m.malformed, n_bad);
	assert_int_equal(m.lines, n_bad + 2);
	assert_int_equal(m.first_bad_line, 2);
	assert_non_null(strstr(m.first_error, "GR3D_FREQ"));
	/* the malformed lines cost nothing: two samples of 2 W × 0.5 s */
	assert_near(m.energy_j, 2.0, 1e-12);
	assert_near(m.last.power_w, 2.0, 0);
	assert_near(m.last.gpu_load_pct, 50, 0);
	assert_int_equal(m.last.gpu_freq_hz, 921000000);
	free(huge);
}

/* The message names what was wrong. */
static void test_messages(void **state)
{
	char *why = NULL;
	struct lv_tegrastats_sample s;
	(void)state;
	assert_int_equal(lv_tegrastats_parse("GR3D_FREQ 0%@76 GPU 1mW/1mW CPU 7", &s, &why),
	                 LV_EINVAL);
	assert_non_null(strstr(why, "cut off"));
	free(why);
	why = NULL;
	assert_int_equal(
	    lv_tegrastats_parse("GR3D_FREQ 0%@[76,80] VDD_IN 1/1 VDD_IN 1/1", &s, &why), LV_EINVAL);
	assert_non_null(strstr(why, "VDD_IN appears twice"));
	free(why);
	/* Orin-style "x%@[a,b]" takes the first clock; "off" has no clock */
	assert_int_equal(
	    lv_tegrastats_parse("GR3D_FREQ 7%@[306,306] VDD_IN 5000mW/5000mW", &s, NULL), 1);
	assert_int_equal(s.gpu_freq_hz, 306000000);
	assert_int_equal(lv_tegrastats_parse("GR3D_FREQ off iwlwifi@-256C VDD_IN 5/5", &s, NULL),
	                 1);
	assert_false(s.valid & LV_TS_GPU_FREQ);
	assert_int_equal(s.n_temps, 0); /* -256C: no sensor */
}

/* The first line of a fixture of tests/agent/fixtures, parsed. */
static void fixture_line(const char *name, int nth, struct lv_tegrastats_sample *s)
{
	char *path = lv_xasprintf("tests/agent/fixtures/%s.tegrastats.log", name);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[LV_TS_LINE_MAX + 16];
	for (int i = 0; i < nth; i++)
		assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	free(path);
	char *why = NULL;
	int rc = lv_tegrastats_parse(line, s, &why);
	if (rc != 1)
		print_error("%s line %d: %s\n", name, nth, why ? why : "blank");
	assert_int_equal(rc, 1);
}

/* AGX Orin 64 GB, JetPack 5.1: two GPC clocks, NC channels, upper-case sensors. */
static void test_agx_orin_jp5(void **state)
{
	struct lv_tegrastats_sample s;
	(void)state;
	fixture_line("agx-orin-jp5", 1, &s);
	/* VDD_GPU_SOC 2399mW VDD_CPU_CV 400mW VIN_SYS_5V0 4032mW NC 0mW
	 * VDDQ_VDD2_1V8AO 301mW NC 0mW: the NCs dropped, no input rail, the sum */
	assert_int_equal(s.n_rails, 4);
	assert_null(rail(&s, "NC"));
	assert_int_equal(s.input_rail, -1);
	assert_near(s.power_w, 2.399 + 0.400 + 4.032 + 0.301, 1e-12);
	assert_near(rail(&s, "VIN_SYS_5V0")->power_w, 4.032, 1e-12);
	assert_int_equal(s.gpu_freq_hz, 0); /* "GR3D_FREQ 0%@0": the GPU is gated */
	assert_true(s.valid & LV_TS_EMC_FREQ);
	assert_int_equal(s.emc_freq_hz, 2133000000);
	assert_near(s.emc_load_pct, 0, 0);
	assert_true(s.valid & LV_TS_RAM);
	assert_near(s.ram_used_mb, 1282, 0);
	assert_near(s.ram_total_mb, 62795, 0);
	assert_true(s.valid & LV_TS_CPU);
	assert_int_equal(s.cpu_cores, 12);
	assert_int_equal(s.cpu_online, 12);
	assert_near(s.cpu_load_pct, 0, 0);
	/* CV0, CV1, GPU, CV2 read -256C (no sensor): dropped */
	assert_int_equal(s.n_temps, 7);
	assert_near(temp(&s, "tj"), 42.593, 1e-12);
	assert_near(temp(&s, "SOC2"), 39.343, 1e-12);
	assert_true(isnan(temp(&s, "CV0")));
}

/* AGX Orin, JetPack 6.1 (L4T 36.4.4): "x%@[a,b]", lower-case sensors, three rails. */
static void test_agx_orin_jp6(void **state)
{
	struct lv_tegrastats_sample s;
	struct lv_tegrastats_meter m;
	(void)state;
	fixture_line("agx-orin-jp6", 2, &s);
	assert_int_equal(s.n_rails, 3);
	assert_near(s.power_w, 2.412 + 1.607 + 4.607, 1e-12);
	assert_near(rail(&s, "VIN_SYS_5V0")->avg_w, 4.657, 1e-12);
	assert_int_equal(s.emc_freq_hz, 2133000000);
	assert_near(s.emc_load_pct, 3, 0);
	assert_near(s.ram_used_mb, 18202, 0);
	/* CPU [16,6,4,4,4,33,0,40,3,46,6,2]: 164 / 12 */
	assert_near(s.cpu_load_pct, 164.0 / 12, 1e-12);
	assert_int_equal(s.n_temps, 5);
	assert_near(temp(&s, "soc1"), 49.531, 1e-12);
	assert_true(s.valid & LV_TS_STAMP);
	/* the whole file: three samples a second apart */
	lv_tegrastats_meter_init(&m, 0.2);
	FILE *f = fopen("tests/agent/fixtures/agx-orin-jp6.tegrastats.log", "r");
	assert_non_null(f);
	char line[LV_TS_LINE_MAX + 16];
	while (fgets(line, sizeof(line), f))
		assert_int_equal(lv_tegrastats_meter_feed(&m, line), 1);
	fclose(f);
	lv_tegrastats_meter_finish(&m);
	assert_int_equal(m.samples, 3);
	/* 8.726 W for 1 s, 8.626 W for 1 s, the last by the interval: 8.726 x 0.2 */
	assert_near(m.energy_j, 8.726 + 8.626 + 8.726 * 0.2, 1e-9);
}

/* Orin Nano Super, JetPack 6.2 (L4T 36.4.3): VDD_IN, "x%@[MHz]", six cores. */
static void test_orin_nano_jp6(void **state)
{
	struct lv_tegrastats_sample s;
	(void)state;
	fixture_line("orin-nano-jp6", 1, &s);
	assert_int_equal(s.n_rails, 3);
	assert_int_equal(s.input_rail, 0);
	assert_near(s.power_w, 16.321, 1e-12); /* VDD_IN, not the sum */
	assert_int_equal(s.gpu_freq_hz, 612000000);
	assert_near(s.gpu_load_pct, 99, 0);
	assert_int_equal(s.emc_freq_hz, 2133000000);
	assert_near(s.emc_load_pct, 61, 0);
	assert_near(s.cpu_load_pct, 42.0 / 6, 1e-12);
	assert_near(temp(&s, "gpu"), 58.625, 1e-12);
	fixture_line("orin-nano-jp6", 2, &s); /* idle: the memory clock down at 204 MHz */
	assert_int_equal(s.emc_freq_hz, 204000000);
	assert_int_equal(s.gpu_freq_hz, 305000000);
	assert_near(s.power_w, 5.251, 1e-12);
}

/* The informative fields in other shapes; none of them rejects the line. */
static void test_informative_fields(void **state)
{
	struct lv_tegrastats_sample s;
	(void)state;
	const char *tail = " GR3D_FREQ 5% VDD_IN 1000mW/1000mW";
	const struct {
		const char *head;
		unsigned want;
		uint64_t emc_hz;
		int online;
	} cases[] = {
		{ "EMC_FREQ 0%", LV_TS_EMC_LOAD, 0, 0 },
		{ "EMC_FREQ @2133", LV_TS_EMC_FREQ, 2133000000, 0 },
		{ "EMC_FREQ 7%@[665]", LV_TS_EMC_LOAD | LV_TS_EMC_FREQ, 665000000, 0 },
		{ "EMC_FREQ lots", 0, 0, 0 },
		{ "CPU [1%@729,off,off,3%@729]", LV_TS_CPU, 0, 2 },
		{ "CPU [off,off]", LV_TS_CPU, 0, 0 },
		{ "CPU [17%,13%]@408", 0, 0, 0 },
		{ "RAM 3162/7620MB", LV_TS_RAM, 0, 0 },
		{ "RAM 9/8MB", 0, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *line = lv_xasprintf("%s%s", cases[i].head, tail);
		assert_int_equal(lv_tegrastats_parse(line, &s, NULL), 1);
		unsigned got = s.valid & (LV_TS_EMC_LOAD | LV_TS_EMC_FREQ | LV_TS_CPU | LV_TS_RAM);
		if (got != cases[i].want)
			print_error("'%s': valid %#x, want %#x\n", line, got, cases[i].want);
		assert_int_equal(got, cases[i].want);
		assert_int_equal(s.emc_freq_hz, cases[i].emc_hz);
		assert_int_equal(s.cpu_online, cases[i].online);
		free(line);
	}
	assert_int_equal(lv_tegrastats_parse("CPU [1%@729,off,off,3%@729]"
	                                     " GR3D_FREQ 5% VDD_IN 1000mW/1000mW",
	                                     &s, NULL),
	                 1);
	assert_near(s.cpu_load_pct, 2, 1e-12);
	assert_int_equal(s.cpu_cores, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agx_log),       cmocka_unit_test(test_nx_log),
		cmocka_unit_test(test_nano_log),      cmocka_unit_test(test_stamp_runs),
		cmocka_unit_test(test_malformed),     cmocka_unit_test(test_messages),
		cmocka_unit_test(test_agx_orin_jp5),  cmocka_unit_test(test_agx_orin_jp6),
		cmocka_unit_test(test_orin_nano_jp6), cmocka_unit_test(test_informative_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
