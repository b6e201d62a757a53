/*
 * The simulator with a controller (sim.h's cfg.ctl, ctlmodel.h): a tiny
 * hand-made trace and cluster, worked out by hand. A thesis-style request
 * time-out ends the run at the last answer, with what is still in the
 * intake, queued or in flight ending EXPIRED or FAILED (counted, never
 * lost); the thesis's
 * accounting; devices that start at their lowest clock; and the ideal
 * controller — NULL, or a profile whose every stage is free — giving the
 * results the simulator gave before there were controllers.
 *
 * "tiny" (as in test_sim.c): 100/200 MHz, idle 1/2 W, max batch 2,
 *   100 MHz: b=1 1.0 s 3 W, b=2 1.5 s 4 W; 200 MHz: b=1 0.5 s 5 W, b=2 0.8 s 6 W.
 * The device boots at 200 MHz; the governor is off (the clock stays put)
 * so only the controller moves the numbers. The policy is
 * kind_round_robin with no period and no buffer: a device gets min(queued,
 * 2) frames, tightest deadlines first, at its own clock, whenever it holds
 * no batch.
 *
 * The trace: R0 at 0 (1 frame), R1 at 0.5 (2 frames), R2 at 0.75 (1
 * frame), each with 10 s of budget.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "model/ctlmodel.h"
#include "model/profile.h"
#include "model/trace.h"
#include "sim/sim.h"
#include "base/util.h"

#define MHZ    1e6
#define POLICY "kind_round_robin:period=0,buffer=0"

static struct lv_cluster *tiny_cluster(void)
{
	static const double f[] = { 100 * MHZ, 200 * MHZ }, idle[] = { 1.0, 2.0 };
	static const struct lv_test_point pts[] = {
		{ 100 * MHZ, 1, 1.0, 3.0 },
		{ 100 * MHZ, 2, 1.5, 6.0 },
		{ 200 * MHZ, 1, 0.5, 2.5 },
		{ 200 * MHZ, 2, 0.8, 4.8 },
	};
	struct lv_profile *p = lv_test_profile_new("tiny", 2, f, idle, 2, 0.5, 4, pts);
	size_t one = 1;
	struct lv_cluster *c = lv_cluster_new_from_profiles(&p, &one, 1);
	assert_int_equal(lv_cluster_build_costs(c, LV_COST_PROF, NULL, NULL), 0);
	return c;
}

static struct lv_trace *three_requests(void)
{
	static const double t[] = { 0, 0.5, 0.75 };
	static const uint32_t frames[] = { 1, 2, 1 };
	struct lv_trace *tr = lv_xcalloc(1, sizeof(*tr));
	tr->n = 3;
	tr->reqs = lv_xcalloc(3, sizeof(*tr->reqs));
	for (size_t i = 0; i < 3; i++)
		tr->reqs[i] = (struct lv_request){ t[i], frames[i], 0, NAN, 10.0 };
	return tr;
}

/*
 * The thesis-style controller of these tests: every poll (0.25 s) reads the
 * whole intake, 1 s of preparation per frame on one processor, no link, no
 * batch time-out, a 2 s request time-out.
 */
static struct lv_ctl_model slow_controller(void)
{
	struct lv_ctl_model m;
	lv_ctl_model_ideal(&m);
	snprintf(m.name, sizeof(m.name), "slow");
	m.poll_s = 0.25;
	m.frame_s = 1.0;
	m.request_timeout_s = 2.0;
	return m;
}

struct counts {
	size_t frames;
	size_t by_state[LV_FRAME_NSTATES];
};

static void on_frame(void *arg, const struct lv_frame *f)
{
	struct counts *k = arg;
	k->frames++;
	k->by_state[f->state]++;
}

static void run(const struct lv_ctl_model *m, int thesis_acct, const struct lv_trace *t,
                struct lv_run_result *r, struct counts *k)
{
	struct lv_cluster *c = tiny_cluster();
	struct lv_sim_config cfg;
	lv_sim_config_default(&cfg);
	cfg.cluster = c;
	cfg.policy = POLICY;
	cfg.governor = 0;
	cfg.ctl = m;
	cfg.thesis_acct = thesis_acct;
	memset(k, 0, sizeof(*k));
	cfg.on_frame = on_frame;
	cfg.cb_arg = k;
	char *why = NULL;
	if (lv_sim_run(&cfg, t, r, &why) != 0)
		fail_msg("sim: %s", why);
	lv_cluster_free(c);
}

/*
 * With the slow controller:
 *   0     R0 read at once (0 is a poll), dispatched (b1, 1 frame): prepared
 *         0-1.0, on the device 1.0-1.5 (200 MHz, 2.5 J).
 *   0.5   R1 read; 0.75 R2 read; the device holds b1: they wait.
 *   1.5   b1 back: R0's frame OK (1.5 s), R0 answered. b2 (R1's two
 *         frames, the tighter deadlines) dispatched: preparing 1.5-3.5.
 *   2.5   R1's time-out (0.5 + 2): answered as timed out.
 *   2.75  R2's time-out: every request is answered, the run ends here.
 *         b2's two frames, still preparing, end FAILED; R2's frame, still
 *         queued, ends EXPIRED. 4 frames in the trace, 4 in the report.
 * Energy over [0, 2.75]: idle at 2 W but for b1's 0.5 s: 2.5 J + 2.25 s x
 * 2 W = 7.0 J. Frames per joule count the served frame: 1/7.
 */
static void test_request_timeout_ends_run(void **st)
{
	(void)st;
	struct lv_trace *t = three_requests();
	struct lv_ctl_model m = slow_controller();
	struct lv_run_result r;
	struct counts k;
	run(&m, 0, t, &r, &k);
	assert_int_equal(r.m.frames, 4);
	assert_int_equal(k.frames, 4);
	assert_int_equal(r.counts.received, 4);
	assert_int_equal(r.m.ok, 1);
	assert_int_equal(r.m.failed, 2);
	assert_int_equal(r.m.expired, 1);
	assert_int_equal(k.by_state[LV_FRAME_OK], 1);
	assert_int_equal(k.by_state[LV_FRAME_FAILED], 2);
	assert_int_equal(k.by_state[LV_FRAME_EXPIRED], 1);
	assert_int_equal(r.counts.by_state[LV_FRAME_QUEUED] + r.counts.by_state[LV_FRAME_INFLIGHT],
	                 0);
	assert_float_equal(r.m.window_s, 2.75, 1e-12);
	assert_float_equal(r.m.energy_j, 7.0, 1e-9);
	assert_float_equal(r.m.busy_energy_j, 2.5, 1e-9);
	assert_float_equal(r.m.latency_p50_s, 1.5, 1e-12);
	assert_float_equal(r.m.frames_per_j, 1.0 / 7.0, 1e-12);
	lv_run_result_fini(&r);
	lv_trace_free(t);
}

/*
 * The same run under the thesis's accounting: lines that count 0.2 s each
 * but lie 0.25 s apart (energy x 0.8), and a 4 s lead-in at 1.5 W before
 * time 0 (6 J): (7.0 + 6.0) x 0.8 = 10.4 J over a window of 2.75 + 4 = 6.75
 * s. The frames are those of the exact run. Without "accounting" in the
 * profile the thesis's accounting is refused.
 */
static void test_thesis_accounting(void **st)
{
	(void)st;
	struct lv_trace *t = three_requests();
	struct lv_ctl_model m = slow_controller();
	m.has_acct = 1;
	m.acct =
	    (struct lv_acct){ .line_s = 0.2, .spacing_s = 0.25, .lead_in_s = 4, .lead_in_w = 1.5 };
	struct lv_run_result r;
	struct counts k;
	run(&m, 1, t, &r, &k);
	assert_int_equal(r.m.frames, 4);
	assert_int_equal(r.m.ok, 1);
	assert_float_equal(r.m.energy_j, 10.4, 1e-9);
	assert_float_equal(r.m.devices[0].energy_j, 10.4, 1e-9);
	assert_float_equal(r.m.busy_energy_j, 2.5 * 0.8, 1e-9);
	assert_float_equal(r.m.window_s, 6.75, 1e-12);
	assert_float_equal(r.m.frames_per_j, 1.0 / 10.4, 1e-12);
	lv_run_result_fini(&r);

	/* the same profile with the exact integral: 7.0 J, as above */
	run(&m, 0, t, &r, &k);
	assert_float_equal(r.m.energy_j, 7.0, 1e-9);
	assert_float_equal(r.m.window_s, 2.75, 1e-12);
	lv_run_result_fini(&r);

	m.has_acct = 0;
	struct lv_cluster *c = tiny_cluster();
	struct lv_sim_config cfg;
	lv_sim_config_default(&cfg);
	cfg.cluster = c;
	cfg.ctl = &m;
	cfg.thesis_acct = 1;
	char *why = NULL;
	assert_int_equal(lv_sim_run(&cfg, t, &r, &why), LV_EINVAL);
	assert_non_null(strstr(why, "accounting"));
	free(why);
	lv_cluster_free(c);
	lv_trace_free(t);
}

/*
 * start_lowest: the device boots at 100 MHz. b1 runs 1.0-2.0 there (1.0 s,
 * 3 W); R0's frame is back at 2.0, on its time-out (0 + 2): answered, OK.
 * b2 is dispatched at 2.0 and still preparing at 2.75, when R2's time-out
 * ends the run. Energy: 1.0 s idle at 1 W + 3.0 J + 0.75 s at 1 W = 4.75 J.
 */
static void test_start_lowest(void **st)
{
	(void)st;
	struct lv_trace *t = three_requests();
	struct lv_ctl_model m = slow_controller();
	m.start_lowest = 1;
	struct lv_run_result r;
	struct counts k;
	run(&m, 0, t, &r, &k);
	assert_int_equal(r.m.frames, 4);
	assert_int_equal(r.m.ok, 1);
	assert_int_equal(r.m.failed, 2);
	assert_int_equal(r.m.expired, 1);
	assert_float_equal(r.m.latency_p50_s, 2.0, 1e-12);
	assert_float_equal(r.m.window_s, 2.75, 1e-12);
	assert_float_equal(r.m.energy_j, 4.75, 1e-9);
	assert_float_equal(r.m.devices[0].avg_freq_hz, 100 * MHZ, 1e-3);
	lv_run_result_fini(&r);
	lv_trace_free(t);
}

/*
 * The ideal controller, NULL: R0 served 0-0.5 at 200 MHz (2.5 J); R1 comes
 * as the device frees, its two frames 0.5-1.3 (4.8 J); R2 waits for them
 * and runs 1.3-1.8 (2.5 J). All OK; 9.8 J over 1.8 s with no idle;
 * latencies 0.5, 0.8, 0.8, 1.05. A profile with every stage free, whose
 * polls (every 0.25 s) fall on the trace's arrivals, gives the same run
 * figure for figure.
 */
static void test_ideal_controller(void **st)
{
	(void)st;
	struct lv_trace *t = three_requests();
	struct lv_run_result a, b;
	struct counts ka, kb;
	run(NULL, 0, t, &a, &ka);
	assert_int_equal(a.m.frames, 4);
	assert_int_equal(a.m.ok, 4);
	assert_float_equal(a.m.energy_j, 9.8, 1e-9);
	assert_float_equal(a.m.window_s, 1.8, 1e-12);
	assert_float_equal(a.m.frames_per_j, 4 / 9.8, 1e-12);
	assert_float_equal(a.m.latency_mean_s, (0.5 + 0.8 + 0.8 + 1.05) / 4, 1e-12);
	assert_float_equal(a.m.latency_p99_s, 1.05, 1e-9);

	struct lv_ctl_model m;
	lv_ctl_model_ideal(&m);
	m.poll_s = 0.25;
	run(&m, 0, t, &b, &kb);
	assert_int_equal(b.m.frames, a.m.frames);
	assert_int_equal(b.m.ok, a.m.ok);
	assert_true(b.m.energy_j == a.m.energy_j);
	assert_true(b.m.window_s == a.m.window_s);
	assert_true(b.m.latency_mean_s == a.m.latency_mean_s);
	assert_true(b.m.latency_p50_s == a.m.latency_p50_s);
	assert_true(b.m.latency_p99_s == a.m.latency_p99_s);
	assert_true(b.m.bound.energy_j == a.m.bound.energy_j);
	assert_int_equal(b.m.requests_ok, a.m.requests_ok);
	lv_run_result_fini(&a);
	lv_run_result_fini(&b);
	lv_trace_free(t);
}

/*
 * Frames still in the intake when the run ends are handed to the engine
 * then and end EXPIRED, counted. One frame per poll, polls every second,
 * preparation free, a 1.5 s request time-out; R (4 frames, budget 10) at 0:
 *   0     its first frame read, served 0-0.5 (200 MHz, 2.5 J): OK.
 *   1.0   the second read, served 1.0-1.5: OK at 1.5.
 *   1.5   R's time-out: the run ends; two frames never left the intake
 *         (the next poll was at 2.0): EXPIRED at 1.5.
 * Energy: 2.5 J + 0.5 s idle at 2 W + 2.5 J = 6.0 J over 1.5 s.
 */
static void test_intake_left_at_end(void **st)
{
	(void)st;
	struct lv_trace *t = lv_xcalloc(1, sizeof(*t));
	t->n = 1;
	t->reqs = lv_xcalloc(1, sizeof(*t->reqs));
	t->reqs[0] = (struct lv_request){ 0, 4, 0, NAN, 10.0 };
	struct lv_ctl_model m;
	lv_ctl_model_ideal(&m);
	m.intake_per_poll = 1;
	m.poll_s = 1.0;
	m.request_timeout_s = 1.5;
	struct lv_run_result r;
	struct counts k;
	run(&m, 0, t, &r, &k);
	assert_int_equal(r.m.frames, 4);
	assert_int_equal(k.frames, 4);
	assert_int_equal(r.m.ok, 2);
	assert_int_equal(r.m.expired, 2);
	assert_int_equal(r.m.failed, 0);
	assert_float_equal(r.m.window_s, 1.5, 1e-12);
	assert_float_equal(r.m.energy_j, 6.0, 1e-9);
	assert_float_equal(r.m.latency_p99_s, 1.5, 1e-9);
	lv_run_result_fini(&r);
	lv_trace_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_timeout_ends_run),
		cmocka_unit_test(test_thesis_accounting),
		cmocka_unit_test(test_start_lowest),
		cmocka_unit_test(test_ideal_controller),
		cmocka_unit_test(test_intake_left_at_end),
	};
	return cmocka_run_group_tests_name("sim_ctl_run", tests, NULL, NULL);
}
