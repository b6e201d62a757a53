/*
 * test_profile_import: the importer's method on a small hand-made
 * measurement directory whose answers are worked out by hand in the comments
 * (idle medians, the least-squares line, the 0.9 scale, the borrowed slope),
 * and its error messages, each naming file, line and column or field.
 */
#include "testutil.h"

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

/*
 * AGX: sum of rails. Idle at 100 MHz: 5, 6, 7 W (median 6); at 200 MHz: 8,
 * 8 W (median 8). The busy lines are ignored. Line: idle(f) = 4 W + 2e-8 W/Hz
 * f; k = min(0.9*15/6, 0.9*20/8) = 2.25, not applied: idle 6 W and 8 W.
 */
static const char AGX_LOG[] =
    "RAM 12939/31011MB CPU [0%@2264,4%@2262] EMC_FREQ 0%@2133 GR3D_FREQ 0%@100 GPU "
    "1000mW/900mW CPU 2000mW/2000mW SOC 2000mW/2000mW\n"
    "RAM 12939/31011MB GR3D_FREQ 0%@100 GPU 2000mW/900mW CPU 2000mW/2000mW SOC 2000mW/2000mW\n"
    "RAM 12939/31011MB GR3D_FREQ 99%@300 GPU 9000mW/900mW CPU 2000mW/2000mW SOC 2000mW/2000mW\n"
    "RAM 12939/31011MB GR3D_FREQ 0%@100 GPU 3000mW/900mW CPU 2000mW/2000mW SOC 2000mW/2000mW\n"
    "\n"
    "RAM 12939/31011MB GR3D_FREQ 0%@200 GPU 4000mW/900mW CPU 2000mW/2000mW SOC 2000mW/2000mW\r\n"
    "RAM 12939/31011MB GR3D_FREQ 99%@200 GPU 9000mW/900mW CPU 9000mW/2000mW SOC 2000mW/2000mW\n"
    "RAM 12939/31011MB GR3D_FREQ 0%@200 GPU 4000mW/900mW CPU 2000mW/2000mW SOC 2000mW/2000mW\n";

/*
 * NX: VDD_IN, not the sum. 10 W at 100 MHz, 12 W at 200 MHz: idle(f) =
 * 8 W + 2e-8 W/Hz f. k = min(0.9*10/10, 0.9*20/12) = 0.9, applied: 9, 10.8 W.
 */
static const char NX_LOG[] =
    "GR3D_FREQ 0%@100 VDD_IN 10000mW/9000mW VDD_CPU_GPU_CV 1000mW/1000mW VDD_SOC 1000mW/1000mW\n"
    "GR3D_FREQ 0%@200 VDD_IN 12000mW/9000mW VDD_CPU_GPU_CV 3000mW/1000mW VDD_SOC 1000mW/1000mW\n";

/*
 * Nano: POM_5V_IN without units, one idle clock (50 MHz), median of 1 and 3 W
 * = 2 W. Borrowed s/a = mean(2e-8/4, 2e-8/8) = 3.75e-9 /Hz, so
 * a = 2 / (1 + 3.75e-9 * 5e7) = 2 / 1.1875 and idle(f) = a (1 + 3.75e-9 f):
 * 100 MHz 2 * 1.375 / 1.1875, 200 MHz 2 * 1.75 / 1.1875 (k > 1).
 */
static const char NANO_LOG[] =
    "RAM 3520/3964MB GR3D_FREQ 0%@50 POM_5V_IN 1000/1000 POM_5V_GPU 0/0\n"
    "RAM 3520/3964MB GR3D_FREQ 0%@50 POM_5V_IN 3000/2000 POM_5V_GPU 0/0\n";

static char *make_fixture(void)
{
	char *dir = lv_test_mkdtemp();
	char *logs = lv_path_join(dir, "tegrastats");
	assert_int_equal(mkdir(logs, 0755), 0);
	free(logs);
	free(lv_test_write(dir, "gpu-specs.csv", SPECS));
	free(lv_test_write(dir, "profiling.csv", GRID));
	free(lv_test_write(dir, "tegrastats/agx-xavier.log", AGX_LOG));
	free(lv_test_write(dir, "tegrastats/xavier-nx.log", NX_LOG));
	free(lv_test_write(dir, "tegrastats/nano.log", NANO_LOG));
	return dir;
}

static struct lv_profile *import_ok(const char *dir, const char *kind, char **report)
{
	char *why = NULL;
	struct lv_profile *p = lv_profile_import(dir, kind, report, &why);
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
	assert_float_equal(p->idle_power_w[0], 6.0, 1e-12);
	assert_float_equal(p->idle_power_w[1], 8.0, 1e-12);
	assert_non_null(strstr(rep, " 100 MHz:    3 samples, median 6.000 W"));
	assert_non_null(strstr(rep, " 200 MHz:    2 samples, median 8.000 W"));
	assert_non_null(strstr(rep, "a = 4.000000 W, s = 20.000000 W/GHz"));
	assert_non_null(strstr(rep, "scale k = 2.250000: not applied"));
	assert_null(strstr(rep, "300 MHz"));
	free(rep);
	rep = NULL;
	lv_profile_free(p);

	p = import_ok(dir, "xavier-nx", &rep);
	assert_float_equal(p->idle_power_w[0], 9.0, 1e-12);
	assert_float_equal(p->idle_power_w[1], 10.8, 1e-12);
	assert_non_null(strstr(rep, "a = 8.000000 W, s = 20.000000 W/GHz"));
	assert_non_null(strstr(rep, "scale k = 0.900000: applied"));
	assert_true(p->gpu.tensor_cores == 48 && p->gpu.max_mhz == 1109.25);
	free(rep);
	rep = NULL;
	lv_profile_free(p);

	p = import_ok(dir, "nano", &rep);
	assert_float_equal(p->idle_power_w[0], 2 * 1.375 / 1.1875, 1e-12);
	assert_float_equal(p->idle_power_w[1], 2 * 1.75 / 1.1875, 1e-12);
	assert_non_null(strstr(rep, "50 MHz:    2 samples, median 2.000 W"));
	assert_non_null(strstr(rep, "s/a = 3.750000 /GHz (mean of agx-xavier, xavier-nx)"));
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
	const char *want; /* after "<dir>/" */
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
	{ "tegrastats/xavier-nx.log", "GR3D_FREQ 99%@100 VDD_IN 1000mW/1000mW\n", "xavier-nx",
	  "tegrastats/xavier-nx.log: no idle samples (GR3D_FREQ 0%)" },
	/* With the NX idle at one clock, only the AGX lends the Nano a slope: fine. */
	{ "tegrastats/agx-xavier.log", "GR3D_FREQ 0%@100 GPU 1000mW/1000mW\n", "xavier-nx", NULL },
};

static void test_errors_name_file_line_column(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ERRS) / sizeof(ERRS[0]); i++) {
		char *dir = make_fixture();
		free(lv_test_write(dir, ERRS[i].file, ERRS[i].text));
		char *why = NULL;
		struct lv_profile *p = lv_profile_import(dir, ERRS[i].kind, NULL, &why);
		char *want = ERRS[i].want ? lv_xasprintf("%s/%s", dir, ERRS[i].want) : NULL;
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

/* A kind idle at one clock needs another kind idle at two. */
static void test_no_slope_to_borrow(void **state)
{
	(void)state;
	char *dir = make_fixture();
	free(lv_test_write(dir, "tegrastats/agx-xavier.log",
	                   "GR3D_FREQ 0%@100 GPU 1000mW/1000mW\n"));
	free(lv_test_write(dir, "tegrastats/xavier-nx.log", "GR3D_FREQ 0%@100 VDD_IN 900mW/1mW\n"));
	char *why = NULL;
	assert_null(lv_profile_import(dir, "nano", NULL, &why));
	char *want = lv_xasprintf("%s/tegrastats/nano.log: idle at one clock only, and no other "
	                          "kind is idle at two clocks to borrow a slope from",
	                          dir);
	assert_string_equal(why, want);
	free(want);
	free(why);

	why = NULL;
	char *log = lv_path_join(dir, "tegrastats/agx-xavier.log");
	assert_int_equal(remove(log), 0);
	assert_null(lv_profile_import(dir, "nano", NULL, &why));
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
		cmocka_unit_test(test_no_slope_to_borrow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
