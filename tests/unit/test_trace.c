/*
 * test_trace: trace files (load, errors, save round trip) and the summary
 * figures. Expected values are worked out by hand from the file contents.
 * The generator is tested in test_trace_gen.c.
 */
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/trace.h"
#include "base/file.h"
#include "base/util.h"

static struct lv_trace *parse(const char *text, char **why)
{
	return lv_trace_parse(text, strlen(text), "t.csv", why);
}

static int same_double(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

/* ---- loading ----------------------------------------------------------- */

/* Columns out of order, an extra (quoted) column, optional cells empty, rows
 * out of time order with a tie: rows 2.5/cam 1 and 2.5/cam 2 keep file order. */
static const char good_csv[] = "Camera Index,Time,Extra,Frames After Filter,Throughput,"
                               "latency_constraint\n"
                               "1,2.5,x,10,3.5,4\n"
                               "0,0,\"a, b\",7,,\n"
                               "2,2.5,y,1,0,0.25\n"
                               "\n"
                               "0,1.25,z,12.0,5,\n";

static void test_load_good(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp();
	char *path = lv_test_write(dir, "good.csv", good_csv);
	char *why = NULL;
	struct lv_trace *t = lv_trace_load(path, &why);
	assert_null(why);
	assert_non_null(t);
	assert_int_equal(t->n, 4);

	const struct lv_request *r = t->reqs;
	assert_true(r[0].time_s == 0 && r[0].frames == 7 && r[0].camera == 0);
	assert_true(isnan(r[0].throughput) && isnan(r[0].budget_s));
	assert_true(r[1].time_s == 1.25 && r[1].frames == 12 && r[1].camera == 0);
	assert_true(r[1].throughput == 5 && isnan(r[1].budget_s));
	assert_true(r[2].time_s == 2.5 && r[2].frames == 10 && r[2].camera == 1);
	assert_true(r[2].throughput == 3.5 && r[2].budget_s == 4);
	assert_true(r[3].time_s == 2.5 && r[3].frames == 1 && r[3].camera == 2);
	assert_true(r[3].throughput == 0 && r[3].budget_s == 0.25);

	lv_trace_free(t);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

/* Only the required columns: the optional fields are absent everywhere. */
static void test_load_required_only(void **state)
{
	(void)state;
	char *why = NULL;
	struct lv_trace *t = parse("Time,Frames After Filter,Camera Index\r\n3,2,5\r\n", &why);
	assert_non_null(t);
	assert_int_equal(t->n, 1);
	assert_true(t->reqs[0].time_s == 3 && t->reqs[0].frames == 2 && t->reqs[0].camera == 5);
	assert_true(isnan(t->reqs[0].throughput) && isnan(t->reqs[0].budget_s));
	lv_trace_free(t);
}

/* Budgets in every plain decimal form load, up to the ceiling an operator may set. */
static void test_load_budget_forms(void **state)
{
	(void)state;
	char *why = NULL;
	struct lv_trace *t = parse("Time,Frames After Filter,Camera Index,latency_constraint\n"
	                           "0,1,0,2\n1,1,0,.25\n2,1,0,1.5e1\n3,1,0,2E-1\n4,1,0,3600\n",
	                           &why);
	assert_null(why);
	assert_non_null(t);
	assert_int_equal(t->n, 5);
	assert_true(t->reqs[0].budget_s == 2 && t->reqs[1].budget_s == 0.25);
	assert_true(t->reqs[2].budget_s == 15 && t->reqs[3].budget_s == 0.2);
	assert_true(t->reqs[4].budget_s == 3600);
	lv_trace_free(t);
}

/* 600 rows written newest first: row i has time 299.5 - 0.5 * (i / 2) and
 * camera i, so times come in equal pairs. Sorted, position k holds time
 * 150 + 0.5 * (k / 2), from pair j = 299 - k / 2, i.e. rows 2j and 2j + 1 in
 * file order if the sort is stable. */
static void test_load_sorts_stably(void **state)
{
	(void)state;
	char *text = lv_xstrdup("Time,Frames After Filter,Camera Index\n");
	for (int i = 0; i < 600; i++) {
		char *row = lv_xasprintf("%s%g,1,%d\n", text, 299.5 - 0.5 * (i / 2), i);
		free(text);
		text = row;
	}
	char *why = NULL;
	struct lv_trace *t = parse(text, &why);
	assert_non_null(t);
	assert_int_equal(t->n, 600);
	for (size_t k = 0; k < 600; k++) {
		size_t j = 299 - k / 2;
		assert_true(t->reqs[k].time_s == 150 + 0.5 * (double)(k / 2));
		assert_int_equal(t->reqs[k].camera, (int)(2 * j + k % 2));
	}
	lv_trace_free(t);
	free(text);
}

struct bad_case {
	const char *row;  /* third line; line 2 is a good row */
	const char *want; /* the whole message */
};

#define PLAIN "is not a plain decimal number of seconds (like 2, 0.5 or 1.5e1)"

static void test_load_bad_rows(void **state)
{
	(void)state;
	static const struct bad_case cases[] = {
		{ "1,-3,0,,", "t.csv:3: Frames After Filter: '-3' is not a positive integer" },
		{ "1,0,0,,", "t.csv:3: Frames After Filter: '0' is not a positive integer" },
		{ "1,2.5,0,,", "t.csv:3: Frames After Filter: '2.5' is not a positive integer" },
		{ "1,lots,0,,", "t.csv:3: Frames After Filter: 'lots' is not a positive integer" },
		{ "1,,0,,", "t.csv:3: Frames After Filter: '' is not a positive integer" },
		{ "-1,2,0,,", "t.csv:3: Time: '-1' is not a time in seconds >= 0" },
		{ "inf,2,0,,", "t.csv:3: Time: 'inf' is not a time in seconds >= 0" },
		{ "soon,2,0,,", "t.csv:3: Time: 'soon' is not a time in seconds >= 0" },
		{ "1,2,-1,,",
		  "t.csv:3: Camera Index: '-1' is not a camera index (an integer >= 0)" },
		{ "1,2,0.5,,",
		  "t.csv:3: Camera Index: '0.5' is not a camera index (an integer >= 0)" },
		{ "1,2,0,-4,", "t.csv:3: Throughput: '-4' is not a number >= 0" },
		{ "1,2,0,,0",
		  "t.csv:3: latency_constraint: '0' is not a positive number of seconds" },
		{ "1,2,0,,-2", "t.csv:3: latency_constraint: '-2' " PLAIN },
		{ "1,2,0,,2s", "t.csv:3: latency_constraint: '2s' " PLAIN },
		/* Budgets the front end refuses are refused here too (issue 21, finding 5). */
		{ "1,2,0,,0x10", "t.csv:3: latency_constraint: '0x10' " PLAIN },
		{ "1,2,0,, 5", "t.csv:3: latency_constraint: ' 5' " PLAIN },
		{ "1,2,0,,5 ", "t.csv:3: latency_constraint: '5 ' " PLAIN },
		{ "1,2,0,,inf", "t.csv:3: latency_constraint: 'inf' " PLAIN },
		{ "1,2,0,,nan", "t.csv:3: latency_constraint: 'nan' " PLAIN },
		{ "1,2,0,,1e9",
		  "t.csv:3: latency_constraint: '1e9' is over the maximum budget of 3600 s" },
		{ "1,2,0,,1e308",
		  "t.csv:3: latency_constraint: '1e308' is over the maximum budget of 3600 s" },
		{ "1,2,0,,3600.5",
		  "t.csv:3: latency_constraint: '3600.5' is over the maximum budget of 3600 s" },
		{ "1,2,0,,1e-400",
		  "t.csv:3: latency_constraint: '1e-400' is too small to be a number of seconds" },
		{ "1,2,0,,999999999999999999999999999999999999999999999999999999999999999",
		  "t.csv:3: latency_constraint: '99999999999999999999999999999999...' is not a "
		  "number of seconds: longer than 32 characters" },
		{ "1,2,0,", "t.csv:3: 4 fields, but the header has 5" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *text = lv_xasprintf("Time,Frames After Filter,Camera Index,Throughput,"
		                          "latency_constraint\n0,1,0,,\n%s\n",
		                          cases[i].row);
		char *why = NULL;
		struct lv_trace *t = parse(text, &why);
		assert_null(t);
		assert_non_null(why);
		assert_string_equal(why, cases[i].want);
		free(why);
		free(text);
	}
}

/* Through a real file: the message carries the path and the right line,
 * counting a blank line and a quoted field that spans two lines. */
static void test_load_bad_file_line(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp();
	char *path = lv_test_write(dir, "t.csv",
	                           "Time,Frames After Filter,Camera Index,Note\n"
	                           "0,1,0,\"two\nlines\"\n"
	                           "\n"
	                           "1,-3,0,x\n");
	char *why = NULL;
	struct lv_trace *t = lv_trace_load(path, &why);
	assert_null(t);
	char *want =
	    lv_xasprintf("%s:5: Frames After Filter: '-3' is not a positive integer", path);
	assert_string_equal(why, want);
	free(want);
	free(why);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

static void test_load_missing_and_empty(void **state)
{
	(void)state;
	static const struct {
		const char *text, *needle;
	} cases[] = {
		{ "Time,Frames After Filter\n0,1\n", "Camera Index" },
		{ "Time,Camera Index\n0,1\n", "Frames After Filter" },
		{ "Frames After Filter,Camera Index\n1,1\n", "'Time'" },
		{ "Time,Frames After Filter,Camera Index\n", "empty" },
		{ "", "empty" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *why = NULL;
		struct lv_trace *t = parse(cases[i].text, &why);
		assert_null(t);
		assert_non_null(why);
		assert_non_null(strstr(why, "t.csv"));
		assert_non_null(strstr(why, cases[i].needle));
		free(why);
	}
	char *why = NULL;
	assert_null(lv_trace_load("/nonexistent/loudva/trace.csv", &why));
	assert_non_null(strstr(why, "/nonexistent/loudva/trace.csv"));
	free(why);
}

/* ---- saving ------------------------------------------------------------ */

static void test_format_exact(void **state)
{
	(void)state;
	struct lv_request v[] = {
		{ 0.5, 3, 0, NAN, NAN },
		{ 2, 10, 1, NAN, 4 },
		{ 12.125, 1, 7, NAN, NAN },
	};
	struct lv_trace t = { 3, v };
	char *s = lv_trace_format(&t, NULL);
	assert_string_equal(s, "Time,Frames After Filter,Camera Index,latency_constraint\n"
	                       "0.5,3,0,\n"
	                       "2,10,1,4\n"
	                       "12.125,1,7,\n");
	free(s);
	v[1].budget_s = NAN;
	v[0].throughput = 0.1;
	s = lv_trace_format(&t, NULL);
	assert_string_equal(s, "Time,Frames After Filter,Camera Index,Throughput\n"
	                       "0.5,3,0,0.1\n"
	                       "2,10,1,\n"
	                       "12.125,1,7,\n");
	free(s);
}

static void test_save_load_round_trip(void **state)
{
	(void)state;
	struct lv_request v[] = {
		{ 0, 1, 0, NAN, 21 },
		{ 0.1, 147, 3, 1.0 / 3, NAN },
		{ 1.0 / 3, 4000000000u, 12, NAN, 0.001 },
		{ 299.999, 9, 2, 2e-7, 13.5 },
		{ 86400.000001, 2, 1000, 123456.789, 1e-9 },
	};
	struct lv_trace t = { 5, v };
	char *dir = lv_test_mkdtemp();
	char *path = lv_path_join(dir, "rt.csv");
	char *why = NULL;
	assert_int_equal(lv_trace_save(&t, path, &why), LV_OK);
	struct lv_trace *u = lv_trace_load(path, &why);
	assert_null(why);
	assert_non_null(u);
	assert_int_equal(u->n, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_true(u->reqs[i].time_s == v[i].time_s);
		assert_int_equal(u->reqs[i].frames, v[i].frames);
		assert_int_equal(u->reqs[i].camera, v[i].camera);
		assert_true(same_double(u->reqs[i].throughput, v[i].throughput));
		assert_true(same_double(u->reqs[i].budget_s, v[i].budget_s));
	}
	lv_trace_free(u);

	/* Nothing but the trace is left beside it (the temporary file was renamed). */
	DIR *d = opendir(dir);
	assert_non_null(d);
	int entries = 0;
	for (struct dirent *e; (e = readdir(d));)
		entries += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	assert_int_equal(entries, 1);

	struct lv_trace empty = { 0, NULL };
	assert_int_not_equal(lv_trace_save(&empty, path, &why), LV_OK);
	assert_non_null(strstr(why, "empty"));
	free(why);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

/* ---- summaries --------------------------------------------------------- */

static void test_stats_and_rate(void **state)
{
	(void)state;
	char *why = NULL;
	struct lv_trace *t = parse(good_csv, &why);
	assert_non_null(t);
	struct lv_trace_stats s;
	lv_trace_stats(t, &s);
	/* Frames 7 + 12 + 10 + 1 = 30 in 1 s windows [0,1): 7, [1,2): 12, [2,3): 11. */
	assert_int_equal(s.requests, 4);
	assert_int_equal(s.frames, 30);
	assert_int_equal(s.cameras, 3);
	assert_true(s.first_s == 0 && s.last_s == 2.5);
	assert_true(s.peak_fps == 12);
	assert_true(s.mean_fps == 10);
	/* Budgets 4 and 0.25. */
	assert_int_equal(s.budgets, 2);
	assert_true(s.budget_min_s == 0.25 && s.budget_max_s == 4);
	assert_true(s.budget_median_s == 2.125);

	double fps[3];
	lv_trace_rate(t, 1, 3, fps);
	assert_true(fps[0] == 7 && fps[1] == 12 && fps[2] == 11);
	lv_trace_rate(t, 2, 2, fps);
	assert_true(fps[0] == 9.5 && fps[1] == 5.5);
	/* Buckets that end before the last request leave it out. */
	lv_trace_rate(t, 1, 2, fps);
	assert_true(fps[0] == 7 && fps[1] == 12);
	lv_trace_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_good),
		cmocka_unit_test(test_load_required_only),
		cmocka_unit_test(test_load_sorts_stably),
		cmocka_unit_test(test_load_budget_forms),
		cmocka_unit_test(test_load_bad_rows),
		cmocka_unit_test(test_load_bad_file_line),
		cmocka_unit_test(test_load_missing_and_empty),
		cmocka_unit_test(test_format_exact),
		cmocka_unit_test(test_save_load_round_trip),
		cmocka_unit_test(test_stats_and_rate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
