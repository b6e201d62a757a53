/*
 * test_reqlog: a controller's request log read back, turned into the trace
 * of what the controller received, and set against the scenario played.
 * Expected values are worked out by hand from the fixtures.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "model/reqlog.h"
#include "model/trace.h"

static const char HEADER[] = "Request ID,Image ID,Arrival Time,Queue Exit Time,Completion Time,"
                             "Latency,Requested Latency,Timed Out\n";

/*
 * Three requests, as a server that stalled saw them: a (2 frames) at 100.0,
 * b (1 frame, timed out, never left the queue) at 100.5, c (3 frames) at
 * 112.0, its rows split around b's. The scenario sent them at 3.0, 3.5 and
 * 4.0 s: a and b on time, c 8 s late (112.0 - 100.0 = 12 s after a, where
 * the scenario has it 1 s after a).
 */
static const char LOG[] = "a,a_0,100.0,100.1,101.0,1.0,6.0,False\n"
                          "c,c_0,112.0,112.2,113.0,1.0,2.5,False\n"
                          "a,a_1,100.0,100.1,101.0,1.0,6.0,False\n"
                          "b,b_0,100.5,,400.5,300.0,13.0,True\n"
                          "c,c_1,112.0,112.2,113.0,1.0,2.5,False\n"
                          "c,c_2,112.0,112.3,113.0,1.0,2.5,False\n";

static const char SCENARIO[] = "Time,Frames After Filter,Camera Index,latency_constraint\n"
                               "3.0,2,0,6\n"
                               "3.5,1,1,13\n"
                               "4.0,3,0,2.5\n";

static char *write_log(const char *dir, const char *name, const char *rows)
{
	char *text = lv_xasprintf("%s%s", HEADER, rows);
	char *path = lv_test_write(dir, name, text);
	free(text);
	return path;
}

static void test_load(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp(), *why = NULL;
	char *path = write_log(dir, "r.csv", LOG);
	struct lv_reqlog log = { 0 };
	assert_int_equal(lv_reqlog_load(path, &log, &why), LV_OK);
	assert_null(why);
	assert_int_equal(log.n, 6);
	assert_string_equal(log.v[3].req, "b");
	assert_true(log.v[3].timed_out && !log.v[3].has_exit);
	assert_true(log.v[3].arrival == 100.5 && log.v[3].budget_s == 13.0);
	assert_true(log.v[0].has_exit && log.v[0].exit == 100.1 && log.v[0].done == 101.0);
	assert_false(log.v[0].timed_out);
	lv_reqlog_fini(&log);
	assert_null(log.v);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

/* The trace: one request per ID however its rows are spread, at its arrival. */
static void test_trace(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp(), *why = NULL;
	char *path = write_log(dir, "r.csv", LOG);
	struct lv_reqlog log = { 0 };
	assert_int_equal(lv_reqlog_load(path, &log, &why), LV_OK);
	struct lv_trace *t = lv_reqlog_trace(&log, 3.0, &why);
	assert_non_null(t);
	assert_null(why);
	assert_int_equal(t->n, 3);
	/* a at 3.0 (the first arrival lands on first_s), b 0.5 s later, c 12 s later */
	assert_true(t->reqs[0].time_s == 3.0 && t->reqs[0].frames == 2 &&
	            t->reqs[0].budget_s == 6.0);
	assert_true(t->reqs[1].time_s == 3.5 && t->reqs[1].frames == 1 &&
	            t->reqs[1].budget_s == 13.0);
	assert_true(t->reqs[2].time_s == 15.0 && t->reqs[2].frames == 3 &&
	            t->reqs[2].budget_s == 2.5);
	for (size_t i = 0; i < t->n; i++)
		assert_true(t->reqs[i].camera == 0 && isnan(t->reqs[i].throughput));
	/* it saves and reads back as a trace */
	char *out = lv_xasprintf("%s/t.csv", dir);
	assert_int_equal(lv_trace_save(t, out, &why), LV_OK);
	struct lv_trace *back = lv_trace_load(out, &why);
	assert_non_null(back);
	assert_int_equal(back->n, 3);
	assert_true(back->reqs[2].time_s == 15.0 && back->reqs[2].frames == 3);
	lv_trace_free(back);
	lv_trace_free(t);
	free(out);
	lv_reqlog_fini(&log);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

/*
 * Against the scenario: arrivals sorted 100.0 100.0 100.5 112 112 112, sent
 * 3.0 3.0 3.5 4.0 4.0 4.0; differences 97 97 97 108 108 108, less the least
 * (97): 0 0 0 11 11 11. Median (order statistic floor(0.5 * 5) = 2): 0;
 * 90th percentile (floor(0.9 * 5) = 4): 11; largest 11.
 */
static void test_admission(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp(), *why = NULL;
	char *path = write_log(dir, "r.csv", LOG);
	struct lv_reqlog log = { 0 };
	assert_int_equal(lv_reqlog_load(path, &log, &why), LV_OK);
	struct lv_trace *scen = lv_trace_parse(SCENARIO, strlen(SCENARIO), "s.csv", &why);
	assert_non_null(scen);
	struct lv_admission adm;
	assert_int_equal(lv_reqlog_admission(&log, scen, &adm, &why), LV_OK);
	assert_int_equal(adm.frames, 6);
	assert_near(adm.median_s, 0, 1e-9);
	assert_near(adm.p90_s, 11, 1e-9);
	assert_near(adm.max_s, 11, 1e-9);
	lv_trace_free(scen);

	/* a scenario that sends other frames than the log holds is refused, counted */
	static const char OTHER[] = "Time,Frames After Filter,Camera Index\n3.0,5,0\n";
	scen = lv_trace_parse(OTHER, strlen(OTHER), "o.csv", &why);
	assert_non_null(scen);
	assert_int_equal(lv_reqlog_admission(&log, scen, &adm, &why), LV_EINVAL);
	assert_non_null(strstr(why, "holds 6 frames, the scenario sends 5"));
	free(why);
	lv_trace_free(scen);
	lv_reqlog_fini(&log);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

/* Bad logs: each refused with the file, line and column named. */
static void expect_bad(const char *rows, const char *want)
{
	char *dir = lv_test_mkdtemp(), *why = NULL;
	char *path = write_log(dir, "bad.csv", rows);
	struct lv_reqlog log = { 0 };
	assert_int_not_equal(lv_reqlog_load(path, &log, &why), LV_OK);
	assert_non_null(why);
	if (!strstr(why, want))
		fail_msg("'%s' does not say '%s'", why, want);
	assert_non_null(strstr(why, "bad.csv"));
	free(why);
	lv_reqlog_fini(&log);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

static void test_bad_logs(void **state)
{
	(void)state;
	expect_bad("a,a_0,100.0,100.1,101.0,1.0,6.0,Maybe\n", ":2: column 'Timed Out'");
	expect_bad("a,a_0,soon,100.1,101.0,1.0,6.0,False\n", ":2: column 'Arrival Time'");
	expect_bad("a,a_0,100.0,100.1,101.0,1.0,0,False\n",
	           "column 'Requested Latency': a budget must be > 0");
	expect_bad("a,a_0,100.0,100.1,101.0,1.0,6.0,False\n"
	           "b,b_0,inf,100.1,101.0,1.0,6.0,False\n",
	           ":3: column 'Arrival Time'");
	expect_bad("", "no rows");

	/* a request whose frames disagree on their arrival is no request */
	char *dir = lv_test_mkdtemp(), *why = NULL;
	char *path = write_log(dir, "r.csv",
	                       "a,a_0,100.0,,,1.0,6.0,True\n"
	                       "a,a_1,100.2,,,1.0,6.0,True\n");
	struct lv_reqlog log = { 0 };
	assert_int_equal(lv_reqlog_load(path, &log, &why), LV_OK);
	assert_null(lv_reqlog_trace(&log, 0, &why));
	assert_non_null(strstr(why, "request a: its frames disagree"));
	free(why);
	lv_reqlog_fini(&log);
	free(path);
	/* a missing column is named */
	char *p2 = lv_test_write(dir, "nocol.csv", "Request ID,Arrival Time\na,1\n");
	why = NULL;
	assert_int_not_equal(lv_reqlog_load(p2, &log, &why), LV_OK);
	assert_non_null(strstr(why, "no column 'Queue Exit Time'"));
	free(why);
	lv_reqlog_fini(&log);
	free(p2);
	lv_test_rmtree(dir);
	free(dir);
}

/*
 * The real runs (when the data is here): fixed batch 32 on scenario 0 is the
 * run whose controller stopped taking requests (p90 38.6 s behind the
 * scenario); no scheduler on the same scenario took every request within a
 * tenth of a second.
 */
static void test_real_runs(void **state)
{
	(void)state;
	const char *runs = lv_test_runs_dir();
	char *scen_path = lv_xasprintf("%s/scenarios/scenario_0.csv", runs);
	FILE *f = fopen(scen_path, "r");
	if (!f) {
		free(scen_path);
		skip();
	}
	fclose(f);
	char *why = NULL;
	struct lv_trace *scen = lv_trace_load(scen_path, &why);
	assert_non_null(scen);
	static const struct {
		const char *policy;
		double p90_lo, p90_hi;
	} cases[] = { { "fixed_batch_32", 38.0, 39.0 }, { "transparent", 0, 0.1 } };
	for (size_t i = 0; i < 2; i++) {
		char *p = lv_xasprintf("%s/runs/%s/scenario_0.requests.csv", runs, cases[i].policy);
		struct lv_reqlog log = { 0 };
		assert_int_equal(lv_reqlog_load(p, &log, &why), LV_OK);
		struct lv_admission adm;
		assert_int_equal(lv_reqlog_admission(&log, scen, &adm, &why), LV_OK);
		assert_int_equal(adm.frames, 1944);
		if (!(adm.p90_s >= cases[i].p90_lo && adm.p90_s <= cases[i].p90_hi))
			fail_msg("%s: p90 %.3f s", cases[i].policy, adm.p90_s);
		struct lv_trace *t = lv_reqlog_trace(&log, scen->reqs[0].time_s, &why);
		assert_non_null(t);
		uint64_t frames = 0;
		for (size_t k = 0; k < t->n; k++)
			frames += t->reqs[k].frames;
		assert_int_equal(frames, 1944);
		lv_trace_free(t);
		lv_reqlog_fini(&log);
		free(p);
	}
	lv_trace_free(scen);
	free(scen_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load),      cmocka_unit_test(test_trace),
		cmocka_unit_test(test_admission), cmocka_unit_test(test_bad_logs),
		cmocka_unit_test(test_real_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
