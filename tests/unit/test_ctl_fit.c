/*
 * The thesis-python controller fit (core/model/ctl_fit.c,
 * lv_ctl_import_thesis) on a fixture tree the test writes: Experiment 1's
 * layout (runs/POLICY/scenario_N.{requests.csv,tegrastats.log},
 * scenarios/scenario_N.csv) for the nine policies and scenarios 0-3, with
 * hand-made requests whose medians are worked out below.
 *
 * The GPU ("agx", a hand-made profile): at its top clock (200 MHz) one frame
 * takes 0.0625 s and sixteen take 0.5 s (0.03125 s per frame).
 *
 * Times. Scenario N's first request is at trace time 2 + N (its CSV), and
 * every run of scenario N begins at 10 + N s (epoch seconds; the logs'
 * local time is UTC+2, so a stamp of 01-01-1970 02:00:00 is 0). Policy
 * number p (0-8 in the order transparent, fixed_batch_{8,16,32},
 * interval_{0.2,0.5,1}, loud_{pred,prof}) starts its log at p s.
 *
 * loud and fixed batch (5 policies x 4 scenarios = 20 runs), from b = 10 + N;
 * each request is one batch (its frames leave the queue together, at q):
 *   A  5 frames, q = b + 0.5,  back 0.75 s later: 0.15 s per frame
 *   B  8 frames, q = b + 2.5,  1.28 s: 0.16 s per frame
 *   C  6 frames, q = b + 5.5,  1.02 s: 0.17 s per frame
 *   S1, S2, S3: 1 frame each at b + 8.5, 10.5, 12.5, back after 0.2, 0.25,
 *      0.3 s
 *   D  5 frames, q = b + 15.5, back after 4.5 s, and E (5 frames, q = b +
 *      16.5) leaves the queue while D is out: neither was served alone, so
 *      neither counts (they would pull the median up: 0.9 and 1.0 s per
 *      frame);
 *   X  1 frame that timed out (no queue exit, answered 300 s after it came).
 * Batches of 5+ served alone: 60 values, 20 each of 0.15, 0.16, 0.17: the
 * median is 0.16 s per frame, less the GPU's 0.03125: frame_s = 0.12875 s.
 * Single frames: 60 values, median 0.25 s, less frame_s and the GPU's
 * 0.0625 s for one frame: batch_s = 0.25 - 0.12875 - 0.0625 = 0.05875 s.
 *
 * transparent (4 runs), from b = 10 + N: requests of 8 frames at b (answered
 * 0.8 s later: 0.1 s per frame), 10 frames at b + 2 (1.2 s: 0.12), 8 frames
 * at b + 5 (1.12 s: 0.14); and three that do not count: 4 frames (fewer than
 * 8), 8 frames arriving 0.3 s after the previous answer (not alone: less
 * than 0.5 s), one timed out. 12 values, median 0.12 s per frame; the work
 * per frame, two frames a batch, is frame_s + batch_s / 2 = 0.158125 s, so
 * cpus = 0.158125 / 0.12 = 1.3177083...
 *
 * interval (12 runs): one request of 2 frames each, which counts for nothing
 * but the accounting.
 *
 * The accounting. Log lines are 1 s apart for policies 0-3 (16 logs), 2 s
 * for 4-6 (12), 3 s for 7-8 (8): the median spacing of the 36 is 2 s. The
 * lead-in, first request (10 + N) less the log's start (p) less the
 * scenario's first time (2 + N), is 8 - p: four runs each of 0..8 s, median
 * 4 s. The board draws 4000 + 100·p mW on the lines more than a second
 * before the first request (9000 mW after): median over the runs 4.4 W.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/file.h"
#include "base/util.h"
#include "model/ctlmodel.h"
#include "model/profile.h"

#define N_POL  9
#define N_SCEN 4

static const char *const POLICIES[N_POL] = {
	"transparent",  "fixed_batch_8", "fixed_batch_16", "fixed_batch_32", "interval_0.2",
	"interval_0.5", "interval_1",    "loud_pred",      "loud_prof",
};

static const int SPACING_S[N_POL] = { 1, 1, 1, 1, 2, 2, 2, 3, 3 };

static struct lv_profile *agx(void)
{
	static const double f[] = { 100e6, 200e6 };
	static const struct lv_test_point pts[] = {
		{ 100e6, 1, 0.125, 0.5 },
		{ 200e6, 1, 0.0625, 0.5 },
		{ 200e6, 16, 0.5, 5.0 },
	};
	return lv_test_profile_new("agx", 2, f, NULL, 16, 0.5, 3, pts);
}

/* One request's rows: n frames, all leaving the queue at exit_s (NAN: never) and answered at
 * done_s. */
static void add_request(struct lv_buf *b, int *id, int n, double arrival_s, double exit_s,
                        double done_s, int timed_out)
{
	int r = (*id)++;
	for (int k = 0; k < n; k++) {
		lv_buf_printf(b, "req-%d,req-%d_%d,%.6f,", r, r, k, arrival_s);
		if (isfinite(exit_s))
			lv_buf_printf(b, "%.6f", exit_s);
		lv_buf_printf(b, ",%.6f,%.6f,10.0,%s\n", done_s, done_s - arrival_s,
		              timed_out ? "True" : "False");
	}
}

static const char REQ_HEADER[] = "Request ID,Image ID,Arrival Time,Queue Exit Time,Completion "
                                 "Time,Latency,Requested Latency,Timed Out\n";

static char *requests_csv(int p, int s)
{
	struct lv_buf b = { 0 };
	lv_buf_printf(&b, "%s", REQ_HEADER);
	double t = 10 + s;
	int id = 0;
	if (p == 0) { /* transparent */
		add_request(&b, &id, 8, t, t + 0.01, t + 0.8, 0);
		add_request(&b, &id, 10, t + 2, t + 2.01, t + 2 + 1.2, 0);
		add_request(&b, &id, 8, t + 5, t + 5.01, t + 5 + 1.12, 0);
		add_request(&b, &id, 4, t + 8, t + 8.01, t + 8.5, 0);
		add_request(&b, &id, 8, t + 8.8, t + 8.81, t + 10, 0);
		add_request(&b, &id, 1, t + 15, NAN, t + 315, 1);
	} else if (p >= 4 && p <= 6) { /* interval */
		add_request(&b, &id, 2, t, t + 0.1, t + 1, 0);
	} else { /* fixed batch, loud */
		add_request(&b, &id, 5, t, t + 0.5, t + 0.5 + 0.75, 0);
		add_request(&b, &id, 8, t + 2, t + 2.5, t + 2.5 + 1.28, 0);
		add_request(&b, &id, 6, t + 5, t + 5.5, t + 5.5 + 1.02, 0);
		add_request(&b, &id, 1, t + 8, t + 8.5, t + 8.5 + 0.2, 0);
		add_request(&b, &id, 1, t + 10, t + 10.5, t + 10.5 + 0.25, 0);
		add_request(&b, &id, 1, t + 12, t + 12.5, t + 12.5 + 0.3, 0);
		add_request(&b, &id, 5, t + 15, t + 15.5, t + 15.5 + 4.5, 0);
		add_request(&b, &id, 5, t + 16, t + 16.5, t + 16.5 + 5.0, 0);
		add_request(&b, &id, 1, t + 30, NAN, t + 330, 1);
	}
	return lv_buf_take(&b, NULL);
}

/* A tegrastats log from `start_s` (seconds after 01-01-1970 00:00 UTC), lines `spacing_s` apart
 * for 60 s. */
static char *tegrastats_log(int p, int s)
{
	struct lv_buf b = { 0 };
	for (int at = p; at < p + 60; at += SPACING_S[p]) {
		int local = at + 7200; /* UTC+2 */
		long mw = at < 9 + s ? 4000 + 100 * p : 9000;
		lv_buf_printf(&b,
		              "01-01-1970 %02d:%02d:%02d RAM 13922/31011MB EMC_FREQ 0%%@2133 "
		              "GR3D_FREQ 0%%@114 GPU 0mW/0mW CPU %ldmW/%ldmW\n",
		              local / 3600, local / 60 % 60, local % 60, mw, mw);
	}
	return lv_buf_take(&b, NULL);
}

static void mkdirs(const char *dir, const char *sub)
{
	char *p = lv_path_join(dir, sub);
	if (mkdir(p, 0755) != 0)
		fail_msg("mkdir %s", p);
	free(p);
}

/* Writes the whole fixture tree under a fresh directory (caller removes and frees). */
static char *fixture(void)
{
	char *dir = lv_test_mkdtemp();
	mkdirs(dir, "runs");
	mkdirs(dir, "scenarios");
	for (int s = 0; s < N_SCEN; s++) {
		char name[64], text[128];
		snprintf(name, sizeof(name), "scenarios/scenario_%d.csv", s);
		snprintf(text, sizeof(text),
		         "Time,Frames After Filter,Camera Index,Throughput,latency_constraint\n"
		         "%d.0,3,0,0.6,6\n%d.5,6,0,1.8,11\n",
		         2 + s, 3 + s);
		free(lv_test_write(dir, name, text));
	}
	for (int p = 0; p < N_POL; p++) {
		char sub[64];
		snprintf(sub, sizeof(sub), "runs/%s", POLICIES[p]);
		mkdirs(dir, sub);
		for (int s = 0; s < N_SCEN; s++) {
			char name[160];
			char *text = requests_csv(p, s);
			snprintf(name, sizeof(name), "%s/scenario_%d.requests.csv", sub, s);
			free(lv_test_write(dir, name, text));
			free(text);
			text = tegrastats_log(p, s);
			snprintf(name, sizeof(name), "%s/scenario_%d.tegrastats.log", sub, s);
			free(lv_test_write(dir, name, text));
			free(text);
		}
	}
	return dir;
}

static void test_fit(void **st)
{
	(void)st;
	char *dir = fixture();
	struct lv_profile *p = agx();
	struct lv_ctl_model m;
	char *report = NULL, *why = NULL;
	if (lv_ctl_import_thesis(dir, p, &m, &report, &why) != 0)
		fail_msg("%s", why);
	assert_string_equal(m.name, "thesis-python");
	assert_float_equal(m.frame_s, 0.12875, 1e-9);
	assert_float_equal(m.batch_s, 0.05875, 1e-9);
	assert_float_equal(m.cpus, 0.158125 / 0.12, 1e-9);
	assert_int_equal(m.intake_per_poll, 2);
	assert_float_equal(m.poll_s, 0.01, 0);
	assert_float_equal(m.batch_timeout_s, 60, 0);
	assert_float_equal(m.request_timeout_s, 300, 0);
	assert_int_equal(m.busy_timer, 1);
	assert_int_equal(m.start_lowest, 1);
	assert_float_equal(m.link_bps, 0, 0);
	assert_int_equal(m.has_acct, 1);
	assert_float_equal(m.acct.line_s, 0.2, 0);
	assert_float_equal(m.acct.spacing_s, 2.0, 1e-9);
	assert_float_equal(m.acct.lead_in_s, 4.0, 1e-6);
	assert_float_equal(m.acct.lead_in_w, 4.4, 1e-9);
	assert_int_equal(lv_ctl_model_check(&m, NULL), 0);
	/* what it counted, in the report and the profile's provenance */
	assert_non_null(report);
	assert_non_null(strstr(report, "over 60 batches of 5+ served alone"));
	assert_non_null(strstr(report, "(60 single frames)"));
	assert_non_null(strstr(report, "(12 requests under no scheduler, 0.1200 s per frame)"));
	assert_non_null(strstr(report, "answered after 300.0 s (median)"));
	assert_non_null(strstr(m.source, "120 batches served alone"));
	assert_non_null(strstr(m.source, "12 requests under no scheduler"));
	assert_non_null(strstr(m.source, "36 logs"));
	free(report);
	lv_profile_free(p);
	lv_test_rmtree(dir);
	free(dir);
}

/* Replaces one run's requests log and expects the fit to fail naming `needles`. */
static void expect_bad_requests(const char *policy, int s, const char *text, const char *needle1,
                                const char *needle2)
{
	char *dir = fixture();
	char name[96];
	snprintf(name, sizeof(name), "runs/%s/scenario_%d.requests.csv", policy, s);
	char *path = lv_test_write(dir, name, text);
	struct lv_profile *p = agx();
	struct lv_ctl_model m;
	char *why = NULL;
	int rc = lv_ctl_import_thesis(dir, p, &m, NULL, &why);
	char *want = lv_xasprintf("%s%s", path, needle1);
	if (rc == 0 || !why || !strstr(why, want) || !strstr(why, needle2))
		fail_msg("rc %d, message '%s'; wanted '%s' and '%s'", rc, why ? why : "(none)",
		         want, needle2);
	free(want);
	free(why);
	free(path);
	lv_profile_free(p);
	lv_test_rmtree(dir);
	free(dir);
}

/*
 * A malformed requests log is refused with its path, the line and the
 * column: a time that is not a number (line 3: the header, then the second
 * frame), a "Timed Out" that is neither True nor False (line 2), a missing
 * column (the header, line 1), a row with a field too many (line 2).
 */
static void test_bad_requests(void **st)
{
	(void)st;
	struct lv_buf b = { 0 };
	lv_buf_printf(&b, "%sr,r_0,10.0,10.5,11.0,1.0,10.0,False\n", REQ_HEADER);
	lv_buf_printf(&b, "r,r_1,10.0x,10.5,11.0,1.0,10.0,False\n");
	expect_bad_requests("loud_pred", 1, b.p, ":3: column 'Arrival Time'",
	                    "'10.0x' is not a number");
	lv_buf_fini(&b);

	b = (struct lv_buf){ 0 };
	lv_buf_printf(&b, "%sr,r_0,10.0,10.5,11.0,1.0,10.0,Maybe\n", REQ_HEADER);
	expect_bad_requests("transparent", 0, b.p, ":2: column 'Timed Out'",
	                    "'Maybe' is not True or False");
	lv_buf_fini(&b);

	expect_bad_requests("interval_1", 3,
	                    "Request ID,Image ID,Arrival Time,Completion Time,Timed Out\n"
	                    "r,r_0,10.0,11.0,False\n",
	                    ":1", "no column 'Queue Exit Time'");

	b = (struct lv_buf){ 0 };
	lv_buf_printf(&b, "%sr,r_0,10.0,10.5,11.0,1.0,10.0,False,extra\n", REQ_HEADER);
	expect_bad_requests("fixed_batch_16", 2, b.p, ":2", "");
	lv_buf_fini(&b);
}

/* A run that is missing, or a tree with too little to fit from, is refused, named. */
static void test_missing_and_too_little(void **st)
{
	(void)st;
	char *dir = fixture();
	struct lv_profile *p = agx();
	struct lv_ctl_model m;
	char *why = NULL;
	char *gone = lv_path_join(dir, "runs/interval_0.5/scenario_2.tegrastats.log");
	assert_int_equal(remove(gone), 0);
	assert_int_not_equal(lv_ctl_import_thesis(dir, p, &m, NULL, &why), 0);
	assert_non_null(strstr(why, gone));
	free(why);
	why = NULL;
	free(gone);
	lv_test_rmtree(dir);
	free(dir);

	/* no transparent request of 8+ frames served alone: no cpus */
	dir = fixture();
	for (int s = 0; s < N_SCEN; s++) {
		char name[96];
		snprintf(name, sizeof(name), "runs/transparent/scenario_%d.requests.csv", s);
		struct lv_buf b = { 0 };
		int id = 0;
		lv_buf_printf(&b, "%s", REQ_HEADER);
		add_request(&b, &id, 4, 10 + s, 10.01 + s, 10.5 + s, 0);
		free(lv_test_write(dir, name, b.p));
		lv_buf_fini(&b);
	}
	assert_int_equal(lv_ctl_import_thesis(dir, p, &m, NULL, &why), LV_EINVAL);
	assert_non_null(strstr(why, "too little to fit the controller"));
	assert_non_null(strstr(why, "0 requests under no scheduler"));
	free(why);
	lv_test_rmtree(dir);
	free(dir);
	lv_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_missing_and_too_little),
	};
	return cmocka_run_group_tests_name("ctl_fit", tests, NULL, NULL);
}
