/*
 * test_profile: the profile JSON format (parse, every kind of bad field named
 * with its path, save/load round trip), the import of the three thesis kinds
 * checked against rows copied by hand from profiling.csv and gpu-specs.csv,
 * the idle-power invariants, and that the committed profiles/<kind>.json are what
 * a fresh import writes, byte for byte.
 *
 * The importer's method on small hand-made data, and its error messages,
 * are in test_profile_import.c.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/profile.h"
#include "base/file.h"
#include "base/util.h"

static const char BASE[] =
    "{\n"
    "  \"format\": \"loudva-profile\",\n"
    "  \"version\": 2,\n"
    "  \"kind\": \"test-kind\",\n"
    "  \"display_name\": \"Test Kind\",\n"
    "  \"source\": null,\n"
    "  \"gpu\": {\"max_mhz\": 1000, \"min_mhz\": 100, \"cuda_cores\": 256, \"mem_bw_gbs\": 51.2, "
    "\"mem_gb\": 8, \"tensor_cores\": 0, \"arch\": \"Volta\"},\n"
    "  \"max_batch\": 4,\n"
    "  \"instances\": 1,\n"
    "  \"clock_change_delay_s\": 0.5,\n"
    "  \"clock_change_shape\": [0.5, 1, 1.5],\n"
    "  \"governor\": {\"ramp_busy_s\": 0.4, \"hold_s\": 10, \"descent_s\": 2, \"floor_hz\": "
    "100000000},\n"
    "  \"freqs_hz\": [100000000, 200000000],\n"
    "  \"idle_power_w\": [1.5, 2],\n"
    "  \"points\": [\n"
    "    {\"freq_hz\": 200000000, \"batch\": 1, \"latency_s\": 0.05, \"energy_j\": 0.25, "
    "\"throughput_fps\": 20},\n"
    "    {\"freq_hz\": 100000000, \"batch\": 2, \"latency_s\": 0.2, \"energy_j\": 0.8, "
    "\"throughput_fps\": 10},\n"
    "    {\"freq_hz\": 100000000, \"batch\": 1, \"latency_s\": 0.1, \"energy_j\": 0.4, "
    "\"throughput_fps\": 10}\n"
    "  ]\n"
    "}\n";

/* BASE with the first `from` replaced by `to`. Caller frees. */
static char *base_with(const char *from, const char *to)
{
	const char *at = strstr(BASE, from);
	assert_non_null(at);
	return lv_xasprintf("%.*s%s%s", (int)(at - BASE), BASE, to, at + strlen(from));
}

static void test_parse_good(void **state)
{
	(void)state;
	char *why = NULL;
	struct lv_profile *p = lv_profile_parse(BASE, "t.json", &why);
	assert_non_null(p);
	assert_null(why);
	assert_string_equal(p->kind, "test-kind");
	assert_string_equal(p->display_name, "Test Kind");
	assert_null(p->source);
	assert_true(p->gpu.max_mhz == 1000 && p->gpu.min_mhz == 100);
	assert_int_equal(p->gpu.cuda_cores, 256);
	assert_true(p->gpu.mem_bw_gbs == 51.2 && p->gpu.mem_gb == 8);
	assert_int_equal(p->gpu.tensor_cores, 0);
	assert_string_equal(p->gpu.arch, "Volta");
	assert_int_equal(p->max_batch, 4);
	assert_int_equal(p->instances, 1);
	assert_true(p->clock_change_delay_s == 0.5);
	assert_int_equal(p->n_cc_shape, 3);
	assert_true(p->cc_shape[0] == 0.5 && p->cc_shape[2] == 1.5);
	assert_true(p->governor.ramp_busy_s == 0.4 && p->governor.hold_s == 10);
	assert_true(p->governor.descent_s == 2 && p->governor.floor_hz == 100000000);
	assert_int_equal(p->n_freqs, 2);
	assert_int_equal(p->freqs_hz[1], 200000000);
	assert_true(p->idle_power_w[0] == 1.5 && p->idle_power_w[1] == 2);
	/* Given out of order; kept sorted by (freq, batch). */
	assert_int_equal(p->n_points, 3);
	assert_int_equal(p->points[0].freq_hz, 100000000);
	assert_int_equal(p->points[0].batch, 1);
	assert_int_equal(p->points[1].batch, 2);
	assert_int_equal(p->points[2].freq_hz, 200000000);
	const struct lv_profile_point *pt = lv_profile_find(p, 100000000, 2);
	assert_non_null(pt);
	assert_true(pt->latency_s == 0.2 && pt->energy_j == 0.8 && pt->throughput_fps == 10);
	assert_null(lv_profile_find(p, 200000000, 2));
	assert_null(lv_profile_find(p, 150000000, 1));
	assert_int_equal(lv_profile_freq_index(p, 200000000), 1);
	assert_int_equal(lv_profile_freq_index(p, 150000000), -1);
	assert_int_equal(lv_profile_validate(p, "t.json", &why), 0);
	lv_profile_free(p);
}

struct bad_case {
	const char *from, *to, *want;
};

static const struct bad_case BAD[] = {
	{ "\"latency_s\": 0.2", "\"latency_s\": -0.2",
	  "profiles/t.json: points[1].latency_s: must be a positive number" },
	{ "\"energy_j\": 0.4", "\"energy_j\": \"0.4\"",
	  "profiles/t.json: points[2].energy_j: must be a positive number" },
	{ "\"batch\": 2,", "\"batch\": 1.5,",
	  "profiles/t.json: points[1].batch: must be a positive integer" },
	{ "\"points\": [", "\"points\": [7, ", "profiles/t.json: points[0]: must be an object" },
	{ "{\"freq_hz\": 200000000", "{\"freq_hz\": 300000000",
	  "profiles/t.json: points[0].freq_hz: 300000000 is not one of freqs_hz" },
	{ "\"batch\": 2,", "\"batch\": 1,",
	  "profiles/t.json: points[2]: (freq_hz 100000000, batch 1) already given at points[1]" },
	{ "\"throughput_fps\": 20}", "\"throughput_fps\": 20, \"throughput_fps\": 20}",
	  "profiles/t.json: points[0].throughput_fps: given twice" },
	{ "[100000000, 200000000]", "[200000000, 100000000]",
	  "profiles/t.json: freqs_hz[1]: 100000000 is not above freqs_hz[0] (must be ascending and "
	  "unique)" },
	{ "[100000000, 200000000]", "[100000000.5, 200000000]",
	  "profiles/t.json: freqs_hz[0]: must be a positive integer (Hz)" },
	{ "[1.5, 2]", "[1.5]", "profiles/t.json: idle_power_w: has 1 entries, freqs_hz has 2" },
	{ "[1.5, 2]", "[-1.5, 2]", "profiles/t.json: idle_power_w[0]: must be a positive number" },
	{ ", \"arch\": \"Volta\"", "", "profiles/t.json: gpu.arch: missing" },
	{ "\"cuda_cores\": 256", "\"cuda_cores\": \"256\"",
	  "profiles/t.json: gpu.cuda_cores: must be a positive integer" },
	{ "\"min_mhz\": 100", "\"min_mhz\": 1100",
	  "profiles/t.json: gpu.min_mhz: 1100 is above gpu.max_mhz 1000" },
	{ "\"instances\": 1,", "\"instances\": 1, \"colour\": \"red\",",
	  "profiles/t.json: colour: unknown field" },
	{ "\"loudva-profile\"", "\"other\"",
	  "profiles/t.json: format: must be \"loudva-profile\"" },
	{ "\"version\": 2", "\"version\": 1",
	  "profiles/t.json: version: 1 is not supported (this build reads 2)" },
	{ "[0.5, 1, 1.5]", "[0.5, 1.5, 1]",
	  "profiles/t.json: clock_change_shape[2]: below the one before (must be ascending)" },
	/* (1 + 1)/2 and (1 + 1.5)/2 average to 1.125 */
	{ "[0.5, 1, 1.5]", "[1, 1, 1.5]",
	  "profiles/t.json: clock_change_shape: its mean is 1.125, must be 1 (quantiles over "
	  "their mean)" },
	{ "[0.5, 1, 1.5]", "[1]",
	  "profiles/t.json: clock_change_shape: needs 2 or more quantiles" },
	{ "[0.5, 1, 1.5]", "[0.5, \"1\", 1.5]",
	  "profiles/t.json: clock_change_shape[1]: must be a non-negative number" },
	{ "\"floor_hz\": 100000000", "\"floor_hz\": 150000000",
	  "profiles/t.json: governor.floor_hz: 150000000 is not one of freqs_hz" },
	{ "\"hold_s\": 10", "\"hold_s\": -10",
	  "profiles/t.json: governor.hold_s: must be a non-negative number" },
	{ "\"hold_s\": 10", "\"hold_s\": 10, \"period_s\": 0.1",
	  "profiles/t.json: governor.period_s: unknown field" },
	{ "\"descent_s\": 2, ", "", "profiles/t.json: governor.descent_s: missing" },
	{ "\"kind\": \"test-kind\"", "\"kind\": \"Test Kind\"",
	  "profiles/t.json: kind: must be lowercase letters, digits and '-' (1 to 31)" },
	{ "\"source\": null", "\"source\": 3",
	  "profiles/t.json: source: must be a string or null" },
	{ "\"max_batch\": 4", "\"max_batch\": 0",
	  "profiles/t.json: max_batch: must be a positive integer" },
	{ "\"clock_change_delay_s\": 0.5", "\"clock_change_delay_s\": -1",
	  "profiles/t.json: clock_change_delay_s: must be a non-negative number" },
	{ "  \"display_name\": \"Test Kind\",\n", "", "profiles/t.json: display_name: missing" },
};

static void test_parse_bad_fields(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
		char *json = base_with(BAD[i].from, BAD[i].to);
		char *why = NULL;
		struct lv_profile *p = lv_profile_parse(json, "profiles/t.json", &why);
		if (p || !why || strcmp(why, BAD[i].want) != 0)
			fail_msg("case %zu: want \"%s\", got \"%s\"", i, BAD[i].want,
			         why ? why : "(no error)");
		free(why);
		free(json);
	}
}

static void test_parse_bad_syntax(void **state)
{
	(void)state;
	char *json = base_with("\"max_batch\": 4,", "\"max_batch\": 4,,");
	char *why = NULL;
	assert_null(lv_profile_parse(json, "profiles/t.json", &why));
	/* Line 8 of BASE holds max_batch. */
	assert_non_null(why);
	assert_memory_equal(why, "profiles/t.json:8:", strlen("profiles/t.json:8:"));
	assert_non_null(strstr(why, "not valid JSON"));
	free(why);
	free(json);

	why = NULL;
	assert_null(lv_profile_parse("[1]", "x.json", &why));
	assert_string_equal(why, "x.json: must be a JSON object");
	free(why);
}

static void assert_gpu_equal(const struct lv_gpu_specs *a, const struct lv_gpu_specs *b)
{
	assert_true(a->max_mhz == b->max_mhz);
	assert_true(a->min_mhz == b->min_mhz);
	assert_int_equal(a->cuda_cores, b->cuda_cores);
	assert_true(a->mem_bw_gbs == b->mem_bw_gbs);
	assert_true(a->mem_gb == b->mem_gb);
	assert_int_equal(a->tensor_cores, b->tensor_cores);
	assert_string_equal(a->arch, b->arch);
}

static void assert_profiles_equal(const struct lv_profile *a, const struct lv_profile *b)
{
	assert_string_equal(a->kind, b->kind);
	assert_string_equal(a->display_name, b->display_name);
	assert_gpu_equal(&a->gpu, &b->gpu);
	assert_int_equal(a->max_batch, b->max_batch);
	assert_int_equal(a->instances, b->instances);
	assert_true(a->clock_change_delay_s == b->clock_change_delay_s);
	assert_int_equal(a->n_cc_shape, b->n_cc_shape);
	for (size_t i = 0; i < a->n_cc_shape; i++)
		assert_true(a->cc_shape[i] == b->cc_shape[i]);
	assert_memory_equal(&a->governor, &b->governor, sizeof(a->governor));
	assert_int_equal(a->n_freqs, b->n_freqs);
	for (size_t i = 0; i < a->n_freqs; i++) {
		assert_int_equal(a->freqs_hz[i], b->freqs_hz[i]);
		assert_true(a->idle_power_w[i] == b->idle_power_w[i]);
	}
	assert_int_equal(a->n_points, b->n_points);
	for (size_t i = 0; i < a->n_points; i++) {
		assert_int_equal(a->points[i].freq_hz, b->points[i].freq_hz);
		assert_int_equal(a->points[i].batch, b->points[i].batch);
		assert_true(a->points[i].latency_s == b->points[i].latency_s);
		assert_true(a->points[i].energy_j == b->points[i].energy_j);
		assert_true(a->points[i].throughput_fps == b->points[i].throughput_fps);
	}
	assert_true((a->source == NULL) == (b->source == NULL));
	if (a->source)
		assert_string_equal(a->source, b->source);
}

static void test_save_load_round_trip(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp();
	char *why = NULL;
	struct lv_profile *imported =
	    lv_profile_import(lv_test_data_dir(), lv_test_runs_dir(), "agx-xavier", NULL, &why);
	assert_non_null(imported);
	struct lv_profile *hand = lv_profile_parse(BASE, "t.json", &why);
	assert_non_null(hand);
	struct lv_profile *orig[2] = { imported, hand };
	for (int k = 0; k < 2; k++) {
		char *path = lv_path_join(dir, k ? "hand.json" : "agx.json");
		assert_int_equal(lv_profile_save(orig[k], path, &why), 0);
		struct lv_profile *back = lv_profile_load(path, &why);
		assert_non_null(back);
		assert_profiles_equal(orig[k], back);
		char *a = lv_profile_to_json(orig[k]);
		char *b = lv_profile_to_json(back);
		assert_string_equal(a, b);
		free(a);
		free(b);
		lv_profile_free(back);
		free(path);
	}
	/* An invalid profile is not written. */
	char *path = lv_path_join(dir, "bad.json");
	hand->points[0].energy_j = 0;
	assert_int_equal(lv_profile_save(hand, path, &why), LV_EINVAL);
	char *want = lv_xasprintf("%s: points[0].energy_j: must be a positive number", path);
	assert_string_equal(why, want);
	assert_null(lv_read_file(path, NULL, NULL));
	free(want);
	free(why);
	free(path);
	lv_profile_free(imported);
	lv_profile_free(hand);
	lv_test_rmtree(dir);
	free(dir);
}

/* A struct whose points are out of order fails validation. */
static void test_validate_order(void **state)
{
	(void)state;
	const double f[] = { 1e8, 2e8 };
	const struct lv_test_point pts[] = { { 1e8, 2, 0.2, 0.8 }, { 1e8, 1, 0.1, 0.4 } };
	struct lv_profile *p = lv_test_profile_new("t", 2, f, NULL, 2, 0.1, 2, pts);
	char *why = NULL;
	assert_int_equal(lv_profile_validate(p, "mem", &why), LV_EINVAL);
	assert_non_null(
	    strstr(why, "mem: points[1]: (freq_hz 100000000, batch 1) does not follow"));
	free(why);
	lv_profile_free(p);
}

/* ---- the thesis kinds, from the real measurements ---------------------- */

/* Rows copied by hand from profiling.csv (line numbers there in comments). */
struct csv_row {
	const char *kind;
	uint64_t freq_hz;
	int batch;
	double latency_s, energy_j, throughput_fps;
};

static const struct csv_row ROWS[] = {
	{ "agx-xavier", 1377000000, 64, 0.638447, 19.927846211, 87.7954 },                 /* 65 */
	{ "agx-xavier", 905250000, 128, 1.7347599999999999, 32.671498374399995, 63.8646 }, /* 769 */
	{ "agx-xavier", 114750000, 1, 0.267158, 1.50687531162, 3.64178 },  /* 1646 */
	{ "xavier-nx", 1109250000, 8, 0.17818, 2.4662998516, 41.1012 },    /* 1781 */
	{ "xavier-nx", 114750000, 18, 2.896166, 14.17357574906, 5.86961 }, /* 2043 */
	{ "nano", 921600000, 4, 0.52182, 3.3563827673999995, 7.14184 },    /* 2047 */
	{ "nano", 460800000, 13, 2.52376, 9.492164211199999, 4.4991 },     /* 2134 */
	{ "nano", 153600000, 1, 0.892154, 2.02106782852, 1.0886 },         /* 2174 */
};

/* Per kind: facts from the data README and gpu-specs.csv, row counts from
 * `grep -c ',AGX$' profiling.csv` and friends. */
struct kind_facts {
	const char *kind, *display;
	size_t n_points, n_freqs;
	uint64_t lo_hz, hi_hz;
	int max_batch, top_batch;
	double thesis_delay_s; /* the thesis's clock-change figure (the data README) */
	struct lv_gpu_specs gpu;
};

static const struct kind_facts FACTS[] = {
	{ "agx-xavier",
	  "Jetson AGX Xavier",
	  1772,
	  14,
	  114750000,
	  1377000000,
	  64,
	  128,
	  0.56,
	  { 1377.0, 114.75, 512, 137, 32, 64, "Volta" } },
	{ "xavier-nx",
	  "Jetson Xavier NX",
	  270,
	  15,
	  114750000,
	  1109250000,
	  8,
	  18,
	  0.80,
	  { 1109.25, 114.75, 384, 51.2, 8, 48, "Volta" } },
	{ "nano",
	  "Jetson Nano",
	  143,
	  11,
	  153600000,
	  921600000,
	  4,
	  13,
	  0.65,
	  { 921.6, 76.8, 128, 25.6, 4, 0, "Maxwell" } },
};

static struct lv_profile *import_kind(const char *kind)
{
	char *why = NULL, *report = NULL;
	struct lv_profile *p =
	    lv_profile_import(lv_test_data_dir(), lv_test_runs_dir(), kind, &report, &why);
	if (!p)
		fail_msg("import %s: %s", kind, why);
	assert_non_null(report);
	assert_non_null(strstr(report, kind));
	free(report);
	return p;
}

static void test_import_matches_csv(void **state)
{
	(void)state;
	for (size_t k = 0; k < 3; k++) {
		const struct kind_facts *f = &FACTS[k];
		struct lv_profile *p = import_kind(f->kind);
		assert_string_equal(p->kind, f->kind);
		assert_string_equal(p->display_name, f->display);
		assert_int_equal(p->n_points, f->n_points);
		assert_int_equal(p->n_freqs, f->n_freqs);
		assert_int_equal(p->freqs_hz[0], f->lo_hz);
		assert_int_equal(p->freqs_hz[p->n_freqs - 1], f->hi_hz);
		assert_int_equal(p->max_batch, f->max_batch);
		assert_int_equal(p->points[p->n_points - 1].freq_hz, f->hi_hz);
		assert_non_null(lv_profile_find(p, f->lo_hz, f->top_batch));
		assert_null(lv_profile_find(p, f->lo_hz, f->top_batch + 1));
		assert_int_equal(p->instances, 1);
		/* the AGX's mean delay is fitted (test_twin_parameters); the others scale it */
		if (k > 0) {
			struct lv_profile *agx = import_kind("agx-xavier");
			assert_near(p->clock_change_delay_s,
			            agx->clock_change_delay_s * f->thesis_delay_s /
			                FACTS[0].thesis_delay_s,
			            1e-12);
			lv_profile_free(agx);
		}
		assert_gpu_equal(&p->gpu, &f->gpu);
		assert_non_null(strstr(p->source, "iloudaros/LoudVA"));
		lv_profile_free(p);
	}
	for (size_t i = 0; i < sizeof(ROWS) / sizeof(ROWS[0]); i++) {
		struct lv_profile *p = import_kind(ROWS[i].kind);
		const struct lv_profile_point *pt =
		    lv_profile_find(p, ROWS[i].freq_hz, ROWS[i].batch);
		assert_non_null(pt);
		assert_true(pt->latency_s == ROWS[i].latency_s);
		assert_true(pt->energy_j == ROWS[i].energy_j);
		assert_true(pt->throughput_fps == ROWS[i].throughput_fps);
		lv_profile_free(p);
	}
}

/*
 * Idle power: never above 90% of the least busy power at a clock, never
 * falling with clock, and equal to values worked out separately from the
 * logs (a Python script over the same files, by the method of
 * profiles/README.md: settled idle lines, medians per clock, pooled, the
 * grid clocks between interpolated; the Nano's slope borrowed).
 */
static void test_idle_power(void **state)
{
	(void)state;
	static const struct {
		const char *kind;
		double lo_w, hi_w;
	} want[] = {
		{ "agx-xavier", 4.105834267831529, 6.9644465599307654 },
		{ "xavier-nx", 2.323, 3.5469999999999997 },
		{ "nano", 1.0973170665930496, 1.6348880349366326 },
	};
	for (size_t k = 0; k < 3; k++) {
		struct lv_profile *p = import_kind(want[k].kind);
		for (size_t i = 0; i < p->n_freqs; i++) {
			double least = 1e300;
			for (size_t j = 0; j < p->n_points; j++)
				if (p->points[j].freq_hz == p->freqs_hz[i] &&
				    p->points[j].energy_j / p->points[j].latency_s < least)
					least = p->points[j].energy_j / p->points[j].latency_s;
			assert_true(p->idle_power_w[i] <= 0.9 * least);
			if (i > 0)
				assert_true(p->idle_power_w[i] >= p->idle_power_w[i - 1]);
		}
		assert_near(p->idle_power_w[0], want[k].lo_w, 1e-9);
		assert_near(p->idle_power_w[p->n_freqs - 1], want[k].hi_w, 1e-9);
		lv_profile_free(p);
	}
}

/*
 * The governor and the clock-change delay, against the same script: the
 * Kaplan-Meier medians of hold and ramp, the median descent over the 28
 * runs under the governor, and the mean of the 274 delays' 21-quantile
 * distribution from the 8 loud controller logs. The kinds without runs
 * borrow the times, with their own lowest clock as the floor.
 */
static void test_twin_parameters(void **state)
{
	(void)state;
	struct lv_profile *p = import_kind("agx-xavier");
	assert_near(p->governor.hold_s, 14.183813154781063, 1e-9);
	assert_near(p->governor.descent_s, 2.5287259209993156, 1e-9);
	assert_near(p->governor.ramp_busy_s, 0.4603926237125657, 1e-9);
	assert_int_equal(p->governor.floor_hz, 114750000);
	assert_near(p->clock_change_delay_s, 0.10893000000023656, 1e-9);
	assert_int_equal(p->n_cc_shape, 21);
	assert_near(p->clock_change_delay_s * p->cc_shape[0], 0.067, 1e-9);  /* the least */
	assert_near(p->clock_change_delay_s * p->cc_shape[20], 0.348, 1e-9); /* the most */
	struct lv_profile *nano = import_kind("nano");
	assert_memory_equal(&nano->governor.ramp_busy_s, &p->governor.ramp_busy_s,
	                    3 * sizeof(double));
	assert_int_equal(nano->governor.floor_hz, 153600000);
	lv_profile_free(nano);
	lv_profile_free(p);
}

/* The committed profiles still match: profiles/<kind>.json is a fresh import. */
static void test_committed_profiles_match(void **state)
{
	(void)state;
	for (size_t k = 0; k < 3; k++) {
		struct lv_profile *p = import_kind(FACTS[k].kind);
		char *fresh = lv_profile_to_json(p);
		char *path = lv_xasprintf("profiles/%s.json", FACTS[k].kind);
		char *why = NULL;
		char *have = lv_read_file(path, NULL, &why);
		if (!have)
			fail_msg("%s", why);
		if (strcmp(have, fresh) != 0)
			fail_msg("%s differs from a fresh import; run loudva profile import", path);
		/* And it loads back to the same numbers. */
		struct lv_profile *loaded = lv_profile_load(path, &why);
		assert_non_null(loaded);
		assert_profiles_equal(p, loaded);
		lv_profile_free(loaded);
		free(have);
		free(path);
		free(fresh);
		lv_profile_free(p);
	}
}

static void test_import_unknown_kind(void **state)
{
	(void)state;
	char *why = NULL;
	assert_null(lv_profile_import(lv_test_data_dir(), lv_test_runs_dir(), "tx2", NULL, &why));
	assert_string_equal(why, "unknown kind 'tx2' (known: agx-xavier, xavier-nx, nano)");
	free(why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad_fields),
		cmocka_unit_test(test_parse_bad_syntax),
		cmocka_unit_test(test_save_load_round_trip),
		cmocka_unit_test(test_validate_order),
		cmocka_unit_test(test_import_matches_csv),
		cmocka_unit_test(test_idle_power),
		cmocka_unit_test(test_twin_parameters),
		cmocka_unit_test(test_committed_profiles_match),
		cmocka_unit_test(test_import_unknown_kind),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
