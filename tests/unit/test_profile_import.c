/*
 * test_profile_import: the importer end to end on a small hand-made
 * measurement directory and a hand-made Experiment 1 (every policy's logs
 * written by the test), whose answers are worked out by hand in the
 * comments: which logs feed idle power, the settled medians, the 0.9 guard,
 * the borrowed slope, the governor and the clock-change delay for the kind
 * with runs and those that borrow them; and its error messages, each naming
 * file, line and column or field. The fits themselves are tested on real
 * excerpts in test_profile_fit.c.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/profile.h"
#include "base/file.h"
#include "base/util.h"

static const char SPECS[] =
    "Device,GPU Max Frequency (MHz),GPU Min Frequency (MHz),GPU Architecture,"
    "GPU Number of Cores,Memory Speed (GB/s),DRAM,Shared Memory,Memory Size (GB),Tensor Cores\n"
    "Nano,921.6,76.8,Maxwell,128,25.6,Yes,Yes,4,N/A\n"
    "NX,1109.250,114.75,Volta,384,51.2,Yes,Yes,8,48\n"
    "AGX,1377.000,114.75,Volta,512,137,Yes,Yes,32,64\n";

/*
 * Busy power E/L: AGX 100 MHz 20 and 15 W (least 15), 200 MHz 25 and 20 W
 * (least 20); NX 10 W and 20 W; Nano 15 W and 20 W.
 */
static const char GRID[] = "Throughput,Energy,Latency,Batch Size,Frequency,Directory\n"
                           "10,2.5,0.1,1,200000000,AGX\n"
                           "10,2,0.1,1,100000000,AGX\n"
                           "10,3,0.2,2,100000000,AGX\n"
                           "10,4,0.2,2,200000000,AGX\n"
                           "10,1,0.1,1,100000000,NX\n"
                           "10,2,0.1,1,200000000,NX\n"
                           "10,1.5,0.1,1,100000000,Nano\n"
                           "10,2,0.1,1,200000000,Nano\n";

/* The AGX's measurement log: its memory clock never leaves 2133 MHz, so it is not used. */
static const char AGX_LOG[] =
    "GR3D_FREQ 0%@100 EMC_FREQ 0%@2133 GPU 5000mW/900mW CPU 2000mW/2000mW\n"
    "GR3D_FREQ 99%@200 EMC_FREQ 0%@2133 GPU 9000mW/900mW CPU 2000mW/2000mW\n"
    "GR3D_FREQ 0%@200 EMC_FREQ 0%@2133 GPU 6000mW/900mW CPU 2000mW/2000mW\n";

#define RUN_LINES 55

/*
 * Every Experiment 1 run's tegrastats: one line a second (so the spacing is
 * exactly 1 s), 2 W at the floor (100 MHz: GPU 300 + CPU 1700 mW), 3 W at
 * the top (200 MHz: 300 + 2700):
 *   lines  1-12 idle at 100 MHz    (settled: 11, 12)
 *   line  13    99% busy at 100 MHz (a ramp from a quiet floor: 0.99 s busy)
 *   lines 14-43 idle at 200 MHz    (settled: 24-43; quiet from the top)
 *   lines 44-55 idle at 100 MHz    (the clock left the top after 30 s, at the
 *                                   floor at once: descent 0 s; settled 54, 55)
 * Over 36 runs: 4 x 36 = 144 samples of 2 W at 100 MHz, 20 x 36 = 720 of
 * 3 W at 200 MHz. The GPU rail never rises, so only line 13 is active.
 */
static char *run_log(void)
{
	struct lv_buf b = { 0 };
	for (int i = 1; i <= RUN_LINES; i++) {
		int top = i >= 14 && i <= 43;
		lv_buf_printf(&b,
		              "02-08-2025 00:%02d:%02d RAM 1/2MB EMC_FREQ 0%%@%d GR3D_FREQ %d%%@%d "
		              "GPU 300mW/300mW CPU %dmW/%dmW\n",
		              i / 60, i % 60, top ? 2133 : 1065, i == 13 ? 99 : 0, top ? 200 : 100,
		              top ? 2700 : 1700, top ? 2700 : 1700);
	}
	return lv_buf_take(&b, NULL);
}

/*
 * Every loud run's controller log: a change up asked at 1.000 and set at
 * 1.100 (0.1 s), a change down asked at 2.000 and set at 2.300 (0.3 s); the
 * start-up set is no delay. Over 4 runs x 2 loud policies: eight 0.1 s and
 * eight 0.3 s. Their quantile at p sits at position 15p among the 16 sorted:
 * 0.1 up to p = 7/15, 0.3 from 8/15: on the 21-quantile grid, 0.1 at
 * 0..9 (p 0.45: position 6.75), 0.2 at 10 (7.5), 0.3 at 11..20. The mean
 * is (9 x 0.1 + (0.1 + 0.2)/2 + (0.2 + 0.3)/2 + 9 x 0.3) / 20 = 0.2 s.
 */
static const char CONTROLLER_LOG[] =
    "2025-02-08 00:00:00,000 - LoudVA - INFO - [DeviceData] - Frequency set to 100000000 MHz "
    "on agx-xavier-00\n"
    "2025-02-08 00:00:01,000 - LoudVA - INFO - [LoudScheduler] - Dispatching to agx-xavier-00 "
    "with frequency 200000000, batch size 3\n"
    "2025-02-08 00:00:01,100 - LoudVA - INFO - [DeviceData] - Frequency set to 200000000 MHz "
    "on agx-xavier-00\n"
    "127.0.0.1 - - [08/Feb/2025 00:00:01] \"POST /inference HTTP/1.1\" 200 -\n"
    "2025-02-08 00:00:02,000 - LoudVA - INFO - [LoudScheduler] - Dispatching to agx-xavier-00 "
    "with frequency 100000000, batch size 1\n"
    "2025-02-08 00:00:02,300 - LoudVA - INFO - [DeviceData] - Frequency set to 100000000 MHz "
    "on agx-xavier-00\n";

static const char *const POLICIES[] = { "transparent",    "fixed_batch_8", "fixed_batch_16",
	                                "fixed_batch_32", "interval_0.2",  "interval_0.5",
	                                "interval_1",     "loud_pred",     "loud_prof" };

/*
 * NX: VDD_IN, not the sum. 31 lines idle at 100 MHz (10 W), then 31 at 200
 * MHz (12 W): 21 settled samples at each. Line through (1e8, 10), (2e8, 12):
 * idle(f) = 8 W + 2e-8 W/Hz f (its s/a = 2.5e-9 /Hz). The guard k =
 * min(0.9 x 10/10, 0.9 x 20/12) = 0.9 < 1 is applied: 9 W and 10.8 W.
 */
static char *nx_log(void)
{
	struct lv_buf b = { 0 };
	for (int i = 0; i < 62; i++)
		lv_buf_printf(&b,
		              "GR3D_FREQ 0%%@%d EMC_FREQ 0%%@1600 VDD_IN %dmW/9000mW "
		              "VDD_CPU_GPU_CV 1000mW/1000mW\n",
		              i < 31 ? 100 : 200, i < 31 ? 10000 : 12000);
	return lv_buf_take(&b, NULL);
}

/*
 * Nano: POM_5V_IN without units, 12 lines idle at 50 MHz (off the grid),
 * 2 W each: 2 settled samples, median 2 W, its one clock. The AGX's runs
 * give (1e8, 2), (2e8, 3): s = 1e-8, a = 1, s/a = 1e-8; the NX's 2.5e-9.
 * Borrowed s/a = (1e-8 + 2.5e-9)/2 = 6.25e-9 /Hz, so a = 2 / (1 + 6.25e-9 x
 * 5e7) = 2/1.3125 and idle(f) = a (1 + 6.25e-9 f): 2 x 1.625/1.3125 at 100
 * MHz, 2 x 2.25/1.3125 at 200 MHz (k > 1).
 */
static char *nano_log(void)
{
	struct lv_buf b = { 0 };
	for (int i = 0; i < 12; i++)
		lv_buf_printf(&b,
		              "RAM 3520/3964MB EMC_FREQ 7%%@%d GR3D_FREQ 0%%@50 POM_5V_IN "
		              "2000/1000 POM_5V_GPU 0/0\n",
		              i % 2 ? 204 : 1600);
	return lv_buf_take(&b, NULL);
}

static void make_dir(const char *dir, const char *name)
{
	char *path = lv_path_join(dir, name);
	assert_int_equal(mkdir(path, 0755), 0);
	free(path);
}

/* The measurement directory, with Experiment 1 in its exp/ (the runs directory). */
static char *make_fixture(void)
{
	char *dir = lv_test_mkdtemp();
	make_dir(dir, "tegrastats");
	make_dir(dir, "exp");
	make_dir(dir, "exp/runs");
	free(lv_test_write(dir, "gpu-specs.csv", SPECS));
	free(lv_test_write(dir, "profiling.csv", GRID));
	free(lv_test_write(dir, "tegrastats/agx-xavier.log", AGX_LOG));
	char *t = nx_log();
	free(lv_test_write(dir, "tegrastats/xavier-nx.log", t));
	free(t);
	t = nano_log();
	free(lv_test_write(dir, "tegrastats/nano.log", t));
	free(t);
	char *run = run_log();
	for (size_t p = 0; p < sizeof(POLICIES) / sizeof(POLICIES[0]); p++) {
		char *sub = lv_xasprintf("exp/runs/%s", POLICIES[p]);
		make_dir(dir, sub);
		for (int s = 0; s < 4; s++) {
			char *name = lv_xasprintf("%s/scenario_%d.tegrastats.log", sub, s);
			free(lv_test_write(dir, name, run));
			free(name);
			if (strncmp(POLICIES[p], "loud", 4) == 0) {
				name = lv_xasprintf("%s/scenario_%d.controller.log", sub, s);
				free(lv_test_write(dir, name, CONTROLLER_LOG));
				free(name);
			}
		}
		free(sub);
	}
	free(run);
	return dir;
}

static struct lv_profile *import_at(const char *dir, const char *kind, char **report, char **why)
{
	char *runs = lv_path_join(dir, "exp");
	struct lv_profile *p = lv_profile_import(dir, runs, kind, report, why);
	free(runs);
	return p;
}

static struct lv_profile *import_ok(const char *dir, const char *kind, char **report)
{
	char *why = NULL;
	struct lv_profile *p = import_at(dir, kind, report, &why);
	if (!p)
		fail_msg("import %s: %s", kind, why);
	return p;
}

static void test_method_by_hand(void **state)
{
	(void)state;
	char *dir = make_fixture();
	char *rep = NULL;
	struct lv_profile *p = import_ok(dir, "agx-xavier", &rep);
	assert_int_equal(p->n_freqs, 2);
	assert_int_equal(p->freqs_hz[0], 100000000);
	assert_int_equal(p->n_points, 4);
	assert_int_equal(p->points[1].batch, 2);
	assert_true(p->points[1].energy_j == 3);
	/* idle from the runs (k = min(0.9 x 15/2, 0.9 x 20/3) = 6: not applied) */
	assert_near(p->idle_power_w[0], 2.0, 1e-12);
	assert_near(p->idle_power_w[1], 3.0, 1e-12);
	assert_non_null(strstr(rep, "tegrastats/agx-xavier.log: 3 lines, memory clock 2133-2133 "
	                            "MHz while idle: pinned, not used"));
	assert_non_null(strstr(rep, "36 tegrastats logs"));
	assert_non_null(strstr(rep, "  100 MHz:   144 samples, median 2.000 W"));
	assert_non_null(strstr(rep, "  200 MHz:   720 samples, median 3.000 W"));
	assert_non_null(strstr(rep, "scale k = 6.000000: not applied"));
	/* the governor from the 28 runs under it, 1 s per line */
	assert_near(p->governor.hold_s, 30, 1e-9);
	assert_near(p->governor.descent_s, 0, 1e-9);
	assert_near(p->governor.ramp_busy_s, 0.99, 1e-9);
	assert_int_equal(p->governor.floor_hz, 100000000);
	/* clock changes from the 8 controller logs */
	assert_near(p->clock_change_delay_s, 0.2, 1e-12);
	assert_int_equal(p->n_cc_shape, 21);
	assert_near(p->cc_shape[0], 0.5, 1e-12);
	assert_near(p->cc_shape[9], 0.5, 1e-12);
	assert_near(p->cc_shape[10], 1.0, 1e-12);
	assert_near(p->cc_shape[11], 1.5, 1e-12);
	assert_near(p->cc_shape[20], 1.5, 1e-12);
	assert_non_null(strstr(rep, "in 8 controller logs: 16 changes, mean 0.200 s"));
	free(rep);
	rep = NULL;
	lv_profile_free(p);

	p = import_ok(dir, "xavier-nx", &rep);
	assert_near(p->idle_power_w[0], 9.0, 1e-12);
	assert_near(p->idle_power_w[1], 10.8, 1e-12);
	assert_non_null(strstr(rep, "scale k = 0.900000: applied"));
	assert_true(p->gpu.tensor_cores == 48 && p->gpu.max_mhz == 1109.25);
	/* borrowed: the AGX's times, its own floor; the delay scaled by 0.80/0.56 */
	assert_near(p->governor.hold_s, 30, 1e-9);
	assert_int_equal(p->governor.floor_hz, 100000000);
	assert_near(p->clock_change_delay_s, 0.2 * 0.80 / 0.56, 1e-12);
	assert_near(p->cc_shape[20], 1.5, 1e-12);
	free(rep);
	rep = NULL;
	lv_profile_free(p);

	p = import_ok(dir, "nano", &rep);
	assert_near(p->idle_power_w[0], 2 * 1.625 / 1.3125, 1e-12);
	assert_near(p->idle_power_w[1], 2 * 2.25 / 1.3125, 1e-12);
	assert_non_null(strstr(rep, "   50 MHz:     2 samples, median 2.000 W"));
	assert_non_null(strstr(rep, "s/a = 6.250000 /GHz (mean of agx-xavier, xavier-nx)"));
	assert_non_null(strstr(rep, "the GPU rail reads 0 mW on every line"));
	assert_near(p->clock_change_delay_s, 0.2 * 0.65 / 0.56, 1e-12);
	assert_int_equal(p->gpu.tensor_cores, 0); /* "N/A" */
	free(rep);
	lv_profile_free(p);
	lv_test_rmtree(dir);
	free(dir);
}

struct err_case {
	const char *file; /* replaced in the fixture */
	const char *text;
	const char *kind;
	const char *want; /* after "<dir>/"; with a leading '=', all of it */
};

static const struct err_case ERRS[] = {
	{ "profiling.csv",
	  "Throughput,Energy,Latency,Batch Size,Frequency,Directory\n"
	  "10,2,0.1,1,100000000,AGX\n10,2,0.1,1,100000000,NX\n10,2,x,2,100000000,AGX\n",
	  "agx-xavier", "profiling.csv:4: column 'Latency': 'x' is not a number" },
	{ "profiling.csv",
	  "Throughput,Energy,Latency,Batch Size,Frequency,Directory\n"
	  "10,-2,0.1,1,100000000,AGX\n",
	  "agx-xavier", "profiling.csv:2: column 'Energy': '-2' is not positive" },
	{ "profiling.csv",
	  "Throughput,Energy,Latency,Batch Size,Frequency,Directory\n"
	  "10,2,0.1,1.5,100000000,AGX\n",
	  "agx-xavier", "profiling.csv:2: column 'Batch Size': '1.5' is not an integer" },
	{ "profiling.csv",
	  "Throughput,Energy,Latency,Batch Size,Frequency,Directory\n"
	  "10,2,0.1,1,100000000,AGX\n10,2,0.1,2,100000000,AGX\n10,3,0.1,1,100000000,AGX\n",
	  "agx-xavier",
	  "profiling.csv:4: Frequency 100000000, Batch Size 1 measured again (first at line 2)" },
	{ "profiling.csv",
	  "Throughput,Energy,Batch Size,Frequency,Directory\n10,2,1,100000000,AGX\n", "agx-xavier",
	  "profiling.csv:1: no column 'Latency'" },
	{ "profiling.csv",
	  "Throughput,Energy,Latency,Batch Size,Frequency,Directory\n"
	  "10,2,0.1,1,100000000,AGX\n",
	  "nano", "profiling.csv: no rows with Directory 'Nano'" },
	{ "gpu-specs.csv", "Device,GPU Max Frequency (MHz)\nAGX,1377\n", "xavier-nx",
	  "gpu-specs.csv: no row with Device 'NX'" },
	{ "gpu-specs.csv",
	  "Device,GPU Max Frequency (MHz),GPU Min Frequency (MHz),GPU Architecture,"
	  "GPU Number of Cores,Memory Speed (GB/s),Memory Size (GB),Tensor Cores\n"
	  "AGX,1377,114.75,Volta,512,137,32,many\n",
	  "agx-xavier", "gpu-specs.csv:2: column 'Tensor Cores': 'many' is not an integer" },
	{ "tegrastats/agx-xavier.log", "GR3D_FREQ 0%@100 GPU 1000mW/1000mW\nGPU 1000mW/1000mW\n",
	  "agx-xavier", "tegrastats/agx-xavier.log:2: GR3D_FREQ: missing" },
	{ "tegrastats/agx-xavier.log", "\nRAM 1/2MB GR3D_FREQ 0% GPU 1000mW/1000mW\n", "agx-xavier",
	  "tegrastats/agx-xavier.log:2:21: GR3D_FREQ: '0%' is not <load>%@<MHz>" },
	{ "tegrastats/xavier-nx.log", "GR3D_FREQ 99%@100 VDD_IN 1000mW/1000mW\nGR3D_FREQ 0%@100\n",
	  "xavier-nx", "tegrastats/xavier-nx.log:2: power: no rails (name <mW>/<mW>)" },
	/* one idle line settles nothing (the error names the kind, not a file) */
	{ "tegrastats/xavier-nx.log", "GR3D_FREQ 0%@100 VDD_IN 1000mW/1000mW\n", "xavier-nx",
	  "=xavier-nx: no settled idle samples (GR3D_FREQ 0%)" },
	/* the runs are read for the AGX's idle power and governor... */
	{ "exp/runs/interval_1/scenario_2.tegrastats.log", "GPU 1mW/1mW\n", "agx-xavier",
	  "exp/runs/interval_1/scenario_2.tegrastats.log:1: GR3D_FREQ: missing" },
	/* ...and the Nano borrows the governor from them */
	{ "exp/runs/transparent/scenario_0.tegrastats.log", "GR3D_FREQ 0%@100 EMC_FREQ 4@1\n",
	  "nano",
	  "exp/runs/transparent/scenario_0.tegrastats.log:1:27: EMC_FREQ: '4@1' is not "
	  "<load>%@<MHz>" },
	{ "exp/runs/loud_pred/scenario_3.controller.log",
	  "2025-02-08 00:00:00,000 - X - Frequency set to many MHz on a\n", "xavier-nx",
	  "exp/runs/loud_pred/scenario_3.controller.log:1: '2025-02-08 00:00:00,000 - X - "
	  "Frequency set to many MHz on a': not a clock-set line" },
	/* with the NX idle at one clock, the AGX still lends the Nano a slope: fine */
	{ "tegrastats/xavier-nx.log", "GR3D_FREQ 0%@100 VDD_IN 1000mW/1000mW\n", "nano", NULL },
};

static void test_errors_name_file_line_column(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ERRS) / sizeof(ERRS[0]); i++) {
		char *dir = make_fixture();
		free(lv_test_write(dir, ERRS[i].file, ERRS[i].text));
		char *why = NULL;
		struct lv_profile *p = import_at(dir, ERRS[i].kind, NULL, &why);
		const char *w = ERRS[i].want;
		char *want = !w            ? NULL
		             : w[0] == '=' ? lv_xstrdup(w + 1)
		                           : lv_xasprintf("%s/%s", dir, w);
		if (!want && !p)
			fail_msg("case %zu: unexpected error: %s", i, why);
		if (want && (p || !why || strcmp(why, want) != 0))
			fail_msg("case %zu: want \"%s\", got \"%s\"", i, want,
			         why ? why : "(none)");
		lv_profile_free(p);
		free(want);
		free(why);
		lv_test_rmtree(dir);
		free(dir);
	}
}

/* A run's log that is not there is named. */
static void test_missing_run(void **state)
{
	(void)state;
	char *dir = make_fixture();
	char *log = lv_path_join(dir, "exp/runs/loud_prof/scenario_1.controller.log");
	assert_int_equal(remove(log), 0);
	char *why = NULL;
	assert_null(import_at(dir, "agx-xavier", NULL, &why));
	assert_non_null(strstr(why, log));
	free(why);
	free(log);
	lv_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_method_by_hand),
		cmocka_unit_test(test_errors_name_file_line_column),
		cmocka_unit_test(test_missing_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
