/*
 * test_experiment: experiment specs (a good one read field by field; every
 * kind of bad input refused with one message naming the file and the
 * field), loading what a spec names (labels, missing files, parameters),
 * and a small matrix run in process: frame conservation in every run, the
 * common window, exact result files, per-policy statistics worked out by
 * hand, and a report that is the same bytes every time.
 */
#include "testutil.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp/experiment.h"
#include "store/store.h"
#include "base/file.h"
#include "base/util.h"

static char *cluster_path(void)
{
	char buf[PATH_MAX];
	assert_non_null(realpath("profiles/clusters/single-agx.json", buf));
	return lv_xstrdup(buf);
}

/* Parses text as "spec.json" in dir "/d"; returns the code, *why the message. */
static int parse(const char *text, struct lv_exp_spec *s, char **why)
{
	return lv_exp_spec_parse(text, "spec.json", "/d", s, why);
}

static const char good[] =
    "{\"name\": \"g\", \"cluster\": \"c/one.json\", \"costs\": \"fill\",\n"
    " \"baseline\": \"transparent\", \"repetitions\": 2, \"seed\": 5, \"noise\": 0.1,\n"
    " \"governor\": false, \"window\": \"own\", \"sample_s\": 0.5,\n"
    " \"traces\": [{\"file\": \"t/a.csv\"},\n"
    "            {\"name\": \"g2\", \"generate\": {\"cameras\": 3, \"duration_s\": 60,\n"
    "              \"rate_cap_fps\": 12, \"budget_s\": 2}, \"seeds\": [4, 9]}],\n"
    " \"policies\": [\"transparent\", \"fixed_batch:N=16,max_wait=2\",\n"
    "              {\"name\": \"loud\", \"costs\": \"pred\", \"params\": {\"strictness\": 2}},\n"
    "              {\"name\": \"interval\", \"params\": {\"T\": 0.25}, \"label\": \"iv\"}]}";

static void test_parse_good(void **state)
{
	(void)state;
	struct lv_exp_spec s;
	char *why = NULL;
	assert_int_equal(parse(good, &s, &why), LV_OK);
	assert_null(why);
	assert_string_equal(s.name, "g");
	assert_string_equal(s.cluster_path, "/d/c/one.json");
	assert_string_equal(s.predictor_path, LV_EXP_DEFAULT_PREDICTOR);
	assert_int_equal(s.costs, LV_COST_FILL);
	assert_string_equal(s.baseline_label, "transparent");
	assert_int_equal(s.repetitions, 2);
	assert_int_equal(s.seed, 5);
	assert_true(s.noise == 0.1 && s.governor == 0 && s.common_window == 0);
	assert_true(s.sample_s == 0.5);
	assert_int_equal(s.n_traces, 2);
	assert_string_equal(s.traces[0].path, "/d/t/a.csv");
	assert_string_equal(s.traces[0].name, "a");
	assert_null(s.traces[1].path);
	assert_string_equal(s.traces[1].name, "g2");
	assert_int_equal(s.traces[1].gen.cameras, 3);
	assert_true(s.traces[1].gen.duration_s == 60 && s.traces[1].gen.rate_cap_fps == 12);
	assert_true(s.traces[1].gen.budget_s == 2 && s.traces[1].gen.windows == 5);
	assert_int_equal(s.traces[1].n_seeds, 2);
	assert_int_equal(s.traces[1].seeds[1], 9);
	assert_int_equal(s.n_policies, 4);
	assert_string_equal(s.policies[0].spec, "transparent");
	assert_int_equal(s.policies[0].costs, LV_COST_FILL);
	assert_string_equal(s.policies[1].spec, "fixed_batch:N=16,max_wait=2");
	assert_string_equal(s.policies[2].spec, "loud:strictness=2");
	assert_int_equal(s.policies[2].costs, LV_COST_PRED);
	assert_string_equal(s.policies[3].label, "iv");
	lv_exp_spec_fini(&s);

	/* Defaults, and the name from the file. */
	assert_int_equal(lv_exp_spec_parse("{\"cluster\": \"/c.json\", \"traces\": [{\"generate\":"
	                                   " {}}], \"policies\": [\"loud\"]}",
	                                   "x/my-exp.json", "x", &s, &why),
	                 LV_OK);
	assert_string_equal(s.name, "my-exp");
	assert_int_equal(s.costs, LV_COST_PROF);
	assert_true(s.repetitions == 1 && s.seed == 1 && s.governor && s.common_window);
	assert_int_equal(s.traces[0].n_seeds, 1);
	assert_int_equal(s.traces[0].seeds[0], 1);
	assert_string_equal(s.traces[0].name, "gen-2cam");
	assert_int_equal(s.agents, LV_EXP_AGENTS_EMBEDDED);
	lv_exp_spec_fini(&s);

	/* A live spec on the running cluster's agents. */
	assert_int_equal(lv_exp_spec_parse("{\"mode\": \"live\", \"agents\": \"cluster\", "
	                                   "\"cluster\": \"/c.json\", \"traces\": [{\"generate\":"
	                                   " {}}], \"policies\": [\"loud\"]}",
	                                   "x/lab.json", "x", &s, &why),
	                 LV_OK);
	assert_true(s.live);
	assert_int_equal(s.agents, LV_EXP_AGENTS_CLUSTER);
	lv_exp_spec_fini(&s);
}

struct bad_case {
	const char *text;
	const char *needle; /* the message must contain it */
};

#define HEAD "{\"cluster\": \"c.json\", "
#define TR   "\"traces\": [{\"generate\": {}}], "
#define PO   "\"policies\": [\"loud\"]"

static const struct bad_case bad_cases[] = {
	{ "{\"cluster\": \"c.json\",\n \"traces\": [,]}", "spec.json:2:" },
	{ "[1, 2]", "spec.json: spec: must be a JSON object" },
	{ HEAD TR PO ", \"sead\": 3}", "spec.json: spec: unknown field 'sead'" },
	{ HEAD "\"mode\": \"lab\", " TR PO "}", "spec.json: mode: 'lab' is not \"sim\"" },
	{ HEAD "\"agents\": \"cluster\", " TR PO "}",
	  "spec.json: agents: only a live experiment (\"mode\": \"live\") has agents" },
	{ HEAD "\"mode\": \"live\", \"agents\": \"lab\", " TR PO "}",
	  "spec.json: agents: 'lab' is not \"embedded\"" },
	{ "{" TR PO "}", "spec.json: cluster: missing" },
	{ HEAD "\"traces\": [], " PO "}", "spec.json: traces: must be a non-empty array" },
	{ HEAD PO "}", "spec.json: traces: missing" },
	{ HEAD TR "\"policies\": []}", "spec.json: policies: must be a non-empty array" },
	{ HEAD TR "\"policies\": [\"fastest\"]}",
	  "spec.json: policies[0]: unknown policy 'fastest'" },
	{ HEAD TR "\"policies\": [\"loud\", {\"name\": \"nope\"}]}",
	  "spec.json: policies[1].name: unknown policy 'nope'" },
	{ HEAD TR "\"policies\": [{\"params\": {}}]}", "spec.json: policies[0].name: missing" },
	{ HEAD TR "\"policies\": [{\"name\": \"loud\", \"params\": {\"strictness\": true}}]}",
	  "spec.json: policies[0].params.strictness: must be a number" },
	{ HEAD TR "\"policies\": [{\"name\": \"loud\", \"costs\": \"best\"}]}",
	  "spec.json: policies[0].costs: 'best' is not pred, fill or prof" },
	{ HEAD TR "\"policies\": [\"fixed_batch:N\"]}",
	  "spec.json: policies[0]: 'N' is not key=value" },
	{ HEAD "\"traces\": [{\"generate\": {}, \"seeds\": [1, -3]}], " PO "}",
	  "spec.json: traces[0].seeds[1]: -3 is not an integer >= 0" },
	{ HEAD "\"traces\": [{\"generate\": {}, \"seeds\": []}], " PO "}",
	  "spec.json: traces[0].seeds: must be a non-empty array" },
	{ HEAD "\"traces\": [{\"generate\": {\"cameras\": 2.5}}], " PO "}",
	  "spec.json: traces[0].generate.cameras: 2.5 is not an integer" },
	{ HEAD "\"traces\": [{\"generate\": {\"cameras\": 40, \"rate_cap_fps\": 10}}], " PO "}",
	  "spec.json: traces[0].generate: " },
	{ HEAD "\"traces\": [{\"generate\": {\"speed\": 1}}], " PO "}",
	  "spec.json: traces[0].generate: unknown field 'speed'" },
	{ HEAD "\"traces\": [{\"file\": \"a.csv\", \"generate\": {}}], " PO "}",
	  "spec.json: traces[0]: give exactly one of \"file\" and \"generate\"" },
	{ HEAD "\"traces\": [{\"file\": \"a.csv\", \"seeds\": [1]}], " PO "}",
	  "spec.json: traces[0]: \"seeds\" applies to generated traces only" },
	{ HEAD "\"repetitions\": 0, " TR PO "}",
	  "spec.json: repetitions: 0 is not an integer in [1, 1000]" },
	{ HEAD "\"noise\": 1.5, " TR PO "}",
	  "spec.json: noise: 1.5 must be below 1 for uniform noise" },
	{ HEAD "\"window\": \"mine\", " TR PO "}", "spec.json: window: 'mine' is not" },
	{ HEAD "\"governor\": 1, " TR PO "}", "spec.json: governor: must be true or false" },
};

static void test_parse_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct lv_exp_spec s;
		char *why = NULL;
		int rc = parse(bad_cases[i].text, &s, &why);
		if (rc == LV_OK || !why || !strstr(why, bad_cases[i].needle) || strchr(why, '\n'))
			fail_msg("case %zu: rc %d, message '%s', want '%s'", i, rc,
			         why ? why : "(none)", bad_cases[i].needle);
		free(why);
	}
}

/* Writes dir/spec.json from a printf format whose one %s is the cluster path. */
static char *write_spec(const char *dir, const char *fmt)
{
	char *cl = cluster_path();
	char *text = lv_xasprintf(fmt, cl);
	char *path = lv_test_write(dir, "spec.json", text);
	free(text);
	free(cl);
	return path;
}

static const char trace_csv[] = "Time,Frames After Filter,Camera Index,latency_constraint\n"
                                "0.5,3,0,2\n1.0,2,1,0.5\n2.0,5,0,4\n2.0,1,1,1\n6.5,4,0,3\n";

struct load_case {
	const char *spec; /* %s: the cluster */
	const char *needle;
};

static const struct load_case load_cases[] = {
	{ "{\"cluster\": \"%s\", \"traces\": [{\"file\": \"missing.csv\"}],"
	  " \"policies\": [\"transparent\"]}",
	  "spec.json: traces[0].file: " },
	{ "{\"cluster\": \"%s\", \"traces\": [{\"file\": \"t.csv\"}],"
	  " \"policies\": [{\"name\": \"fixed_batch\", \"params\": {\"speed\": 2}}]}",
	  "spec.json: policies[0]: policy fixed_batch: unknown parameter 'speed'" },
	{ "{\"cluster\": \"%s\", \"traces\": [{\"file\": \"t.csv\"}],"
	  " \"policies\": [\"interval:T=-1\"]}",
	  "spec.json: policies[0]: policy interval: parameter T: -1 is outside" },
	{ "{\"cluster\": \"%s\", \"traces\": [{\"file\": \"t.csv\"}],"
	  " \"policies\": [\"transparent\", \"loud\", \"transparent\"]}",
	  "spec.json: policies[2]: label 'transparent' repeats policies[0]" },
	{ "{\"cluster\": \"%s\", \"baseline\": \"none\", \"traces\": [{\"file\": \"t.csv\"}],"
	  " \"policies\": [\"transparent\"]}",
	  "spec.json: baseline: no policy labelled 'none' (labels: transparent)" },
	{ "{\"cluster\": \"%s.nope\", \"traces\": [{\"file\": \"t.csv\"}],"
	  " \"policies\": [\"transparent\"]}",
	  "spec.json: cluster: " },
};

static void test_load_bad(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp();
	free(lv_test_write(dir, "t.csv", trace_csv));
	for (size_t i = 0; i < sizeof(load_cases) / sizeof(load_cases[0]); i++) {
		char *path = write_spec(dir, load_cases[i].spec);
		char *why = NULL;
		int code = 0;
		struct lv_experiment *e = lv_experiment_load(path, &code, &why);
		if (e || code == LV_OK || code == LV_ELIB || !why ||
		    !strstr(why, load_cases[i].needle))
			fail_msg("case %zu: code %d, message '%s', want '%s'", i, code,
			         why ? why : "(none)", load_cases[i].needle);
		free(why);
		free(path);
	}
	lv_test_rmtree(dir);
	free(dir);
}

/* Labels carry parameters, and for the cost-model policy its mode. */
static void test_labels(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp();
	free(lv_test_write(dir, "t.csv", trace_csv));
	char *path = write_spec(
	    dir, "{\"cluster\": \"%s\", \"traces\": [{\"file\": \"t.csv\"}], \"policies\": ["
	         "\"loud\", {\"name\": \"loud\", \"params\": {\"strictness\": 2}},"
	         " \"fixed_batch:N=32\", \"fixed_batch:N=16,max_wait=5\", \"interval:T=0.2\","
	         " \"transparent\"], \"baseline\": \"transparent\"}");
	char *why = NULL;
	struct lv_experiment *e = lv_experiment_load(path, NULL, &why);
	assert_non_null(e);
	const char *want[] = { "loud(prof)",      "loud(prof,strictness=2)",
		               "fixed_batch(32)", "fixed_batch(16,wait=5)",
		               "interval(0.2)",   "transparent" };
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(e->spec.policies[i].label, want[i]);
	assert_int_equal(e->spec.baseline, 5);
	assert_int_equal(e->n_instances, 1);
	assert_int_equal(e->instances[0].frames, 15);
	assert_int_equal(e->n_cells, 6);
	lv_experiment_free(e);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

static const char matrix_spec[] =
    "{\"cluster\": \"%s\", \"baseline\": \"transparent\", \"repetitions\": 2,"
    " \"noise\": 0.1, \"traces\": [{\"file\": \"t.csv\"},"
    " {\"name\": \"g\", \"generate\": {\"cameras\": 2, \"duration_s\": 30, \"max_active_s\": 20,"
    " \"last_entry_s\": 10}, \"seeds\": [1, 2]}],"
    " \"policies\": [\"loud\", \"transparent\", \"fixed_batch:N=4,max_wait=1\"]}";

/* Runs every cell (two passes, as the driver does), the second into store. */
static struct lv_exp_result *run_matrix(struct lv_experiment *e, struct lv_store *store)
{
	struct lv_exp_result *res = lv_xcalloc(e->n_cells, sizeof(*res));
	char *why = NULL;
	for (size_t c = 0; c < e->n_cells; c++) {
		assert_int_equal(lv_experiment_run(e, c, NULL, &res[c], &why), LV_OK);
		size_t in = e->cells[c].instance;
		if (res[c].m.window_s > e->window_s[in])
			lv_experiment_set_window(e, in, res[c].m.window_s);
		lv_exp_result_fini(&res[c]);
	}
	for (size_t c = 0; c < e->n_cells; c++)
		assert_int_equal(lv_experiment_run(e, c, store, &res[c], &why), LV_OK);
	assert_null(why);
	return res;
}

static void check_result_file(const struct lv_exp_result *r, const char *dir)
{
	char *path = lv_path_join(dir, "r.json");
	struct lv_exp_result back;
	char *why = NULL;
	assert_int_equal(lv_exp_result_save(r, path, &why), LV_OK);
	assert_int_equal(lv_exp_result_load(path, &back, &why), LV_OK);
	assert_int_equal(back.cell, r->cell);
	assert_int_equal(back.accepted, r->accepted);
	assert_int_equal(back.decisions, r->decisions);
	/* bit for bit, NANs included */
	assert_memory_equal(&back.m.energy_j, &r->m.energy_j, sizeof(double));
	assert_memory_equal(&back.m.latency_p99_s, &r->m.latency_p99_s, sizeof(double));
	assert_memory_equal(&back.m.bound, &r->m.bound, sizeof(r->m.bound));
	assert_true(isnan(back.m.mean_excess_s) == isnan(r->m.mean_excess_s));
	assert_int_equal(back.m.n_devices, r->m.n_devices);
	assert_memory_equal(back.m.devices, r->m.devices, sizeof(*r->m.devices) * r->m.n_devices);
	assert_int_equal(back.n_power, r->n_power);
	assert_memory_equal(back.power_w, r->power_w, r->n_power * sizeof(double));
	lv_exp_result_fini(&back);
	free(path);
}

static void test_matrix(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp();
	free(lv_test_write(dir, "t.csv", trace_csv));
	char *path = write_spec(dir, matrix_spec);
	char *db = lv_path_join(dir, "s.db");
	char *why = NULL;
	struct lv_experiment *e = lv_experiment_load(path, NULL, &why);
	assert_non_null(e);
	assert_int_equal(e->n_instances, 3);
	assert_int_equal(e->n_cells, 18);
	struct lv_store *st = lv_store_open(db, 0, &why);
	assert_non_null(st);
	struct lv_exp_result *res = run_matrix(e, st);

	struct lv_store_summary *sv = NULL;
	size_t n_sv = 0;
	assert_int_equal(lv_store_summaries(st, &sv, &n_sv, &why), LV_OK);
	assert_int_equal(n_sv, e->n_cells);
	for (size_t c = 0; c < e->n_cells; c++) {
		const struct lv_run_metrics *m = &res[c].m;
		const struct lv_exp_cell *cell = &e->cells[c];
		/* Nothing is lost: every frame of the trace ends in exactly one state. */
		assert_int_equal(res[c].accepted, e->instances[cell->instance].frames);
		assert_int_equal(m->frames, res[c].accepted);
		assert_int_equal(m->ok + m->late + m->failed + m->expired + m->rejected, m->frames);
		/* One window per trace instance. */
		assert_true(m->window_s == e->window_s[cell->instance]);
		/* The store tells the same story. */
		assert_int_equal(sv[c].run, (int64_t)c + 1);
		assert_int_equal(sv[c].frames, m->frames);
		assert_int_equal(sv[c].ok, m->ok);
		assert_int_equal(sv[c].late, m->late);
		assert_int_equal(sv[c].batches, res[c].batches);
		assert_true(sv[c].energy_j == m->energy_j);
		assert_string_equal(sv[c].policy, e->spec.policies[cell->policy].label);
		check_result_file(&res[c], dir);
	}
	/* Repetitions draw different noise: same frames, other energy. */
	assert_int_equal(e->cells[1].rep, 1);
	assert_int_equal(e->cells[1].seed, 2);
	assert_true(res[0].m.energy_j != res[1].m.energy_j);
	free(sv);
	assert_int_equal(lv_store_close(st, &why), LV_OK);

	/* Statistics by hand: policy 1 (transparent) has cells 2,3, 8,9, 14,15. */
	struct lv_exp_summary *sum = lv_exp_summarise(e, res);
	double x[6], mean = 0, ss = 0;
	const size_t cells[6] = { 2, 3, 8, 9, 14, 15 };
	for (int i = 0; i < 6; i++) {
		x[i] = res[cells[i]].m.frames_per_j;
		mean += x[i] / 6;
	}
	for (int i = 0; i < 6; i++)
		ss += (x[i] - mean) * (x[i] - mean);
	assert_int_equal(sum[1].runs, 6);
	assert_true(fabs(sum[1].stat[LV_EXP_M_FRAMES_PER_J].mean - mean) < 1e-12);
	assert_true(fabs(sum[1].stat[LV_EXP_M_FRAMES_PER_J].sd - sqrt(ss / 5)) < 1e-12);
	assert_true(sum[1].fpj_ratio == 1.0 && sum[1].qos_delta_pts == 0.0);
	assert_true(fabs(sum[0].fpj_ratio * mean - sum[0].stat[LV_EXP_M_FRAMES_PER_J].mean) <
	            1e-12);

	/* The report: the same bytes twice; one CSV row per run plus the header. */
	char *j1 = lv_exp_report_json(e, res, sum), *j2 = lv_exp_report_json(e, res, sum);
	assert_string_equal(j1, j2);
	assert_non_null(strstr(j1, "\"policy\":\t\"fixed_batch(4,wait=1)\""));
	char *csv = lv_exp_report_csv(e, res);
	size_t rows = 0;
	for (const char *p = csv; *p; p++)
		rows += *p == '\n';
	assert_int_equal(rows, e->n_cells + 1);
	assert_non_null(strstr(csv, ",\"fixed_batch(4,wait=1)\",prof,sim,g,2,2,2,"));
	char *table = lv_exp_report_table(e, sum);
	assert_non_null(strstr(table, "(baseline)"));
	free(j1);
	free(j2);
	free(csv);
	free(table);
	free(sum);
	for (size_t c = 0; c < e->n_cells; c++)
		lv_exp_result_fini(&res[c]);
	free(res);
	lv_experiment_free(e);
	free(db);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

/* Mean and sample standard deviation on numbers chosen by hand. */
static void test_statistics(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp();
	free(lv_test_write(dir, "t.csv", trace_csv));
	char *path =
	    write_spec(dir, "{\"cluster\": \"%s\", \"traces\": [{\"generate\": {\"duration_s\":"
	                    " 20, \"last_entry_s\": 5, \"max_active_s\": 10},"
	                    " \"seeds\": [1, 2, 3, 4]}], \"policies\": [\"transparent\","
	                    " \"interval\"], \"baseline\": \"interval(0.2)\"}");
	char *why = NULL;
	struct lv_experiment *e = lv_experiment_load(path, NULL, &why);
	if (!e)
		fail_msg("%s", why);
	assert_int_equal(e->n_cells, 8);
	struct lv_exp_result res[8];
	memset(res, 0, sizeof(res));
	/* transparent: 1, 2, 3, 4 (mean 2.5, sd sqrt(5/3)); interval: 2 each; pct NAN once */
	const double fpj[8] = { 1, 2, 2, 2, 3, 2, 4, 2 };
	for (int c = 0; c < 8; c++) {
		res[c].cell = (size_t)c;
		res[c].m.frames_per_j = fpj[c];
		res[c].m.pct_frames_ok = c == 0 ? NAN : 90 + c;
	}
	struct lv_exp_summary *sum = lv_exp_summarise(e, res);
	const struct lv_exp_stat *t = &sum[0].stat[LV_EXP_M_FRAMES_PER_J];
	assert_true(t->mean == 2.5 && t->n == 4);
	assert_true(fabs(t->sd - sqrt(5.0 / 3.0)) < 1e-15);
	assert_true(sum[1].stat[LV_EXP_M_FRAMES_PER_J].sd == 0);
	assert_true(sum[0].fpj_ratio == 1.25 && sum[1].fpj_ratio == 1.0);
	/* pct: transparent 92, 94, 96 (the NAN run is left out); interval 91, 93, 95, 97 */
	assert_int_equal(sum[0].stat[LV_EXP_M_PCT_FRAMES_OK].n, 3);
	assert_true(sum[0].stat[LV_EXP_M_PCT_FRAMES_OK].mean == 94);
	assert_true(sum[0].qos_delta_pts == 0);
	assert_string_equal(lv_exp_metric_name(LV_EXP_M_FRAMES_PER_J), "frames_per_joule");
	free(sum);
	lv_experiment_free(e);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good), cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_load_bad),   cmocka_unit_test(test_labels),
		cmocka_unit_test(test_matrix),     cmocka_unit_test(test_statistics),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
