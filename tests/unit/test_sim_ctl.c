/*
 * The controller-and-wire stages on the simulator's clock (core/sim/sim_ctl.c,
 * ctlmodel.h): processor-shared preparation, the link, the intake and its
 * poll grid, batch time-outs in each stage, draining the intake, and that
 * every dispatched batch ends delivered or timed out, exactly once.
 *
 * Times are chosen as exact binary fractions (0.25, 0.5, ...) so the
 * expected values, worked out by hand in each test's comment, hold to the
 * last bit where the arithmetic allows; comparisons use 1e-12.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "model/ctlmodel.h"
#include "model/profile.h"
#include "sched/policy.h"
#include "sim/sim_ctl.h"
#include "base/util.h"

#define EPS 1e-12

/* A controller with every stage free but preparation: frame_s per frame, on cpus processors. */
static struct lv_ctl_model prep_model(double batch_s, double frame_s, double cpus)
{
	struct lv_ctl_model m;
	lv_ctl_model_ideal(&m);
	m.poll_s = 0.25;
	m.batch_s = batch_s;
	m.frame_s = frame_s;
	m.cpus = cpus;
	return m;
}

/* The next event, whenever it comes (the simulator's loop in small); 0 when none is left. */
static int next_event(struct sim_ctl *c, struct sim_ctl_event *ev)
{
	for (;;) {
		double t = sim_ctl_next_s(c);
		if (!(t < INFINITY))
			return 0;
		if (sim_ctl_advance(c, t, ev))
			return 1;
	}
}

static void expect_deliver(struct sim_ctl *c, uint64_t id, double at, int device, int batch)
{
	struct sim_ctl_event ev;
	if (!next_event(c, &ev))
		fail_msg("batch %llu: no event, expected delivery at %g", (unsigned long long)id,
		         at);
	if (ev.kind != SIM_CTL_DELIVER || ev.batch_id != id)
		fail_msg("expected batch %llu delivered at %g; got kind %d batch %llu at %.17g",
		         (unsigned long long)id, at, (int)ev.kind, (unsigned long long)ev.batch_id,
		         ev.time_s);
	assert_float_equal(ev.time_s, at, EPS);
	assert_int_equal(ev.device, device);
	assert_int_equal(ev.batch, batch);
}

static void expect_timeout(struct sim_ctl *c, uint64_t id, double at)
{
	struct sim_ctl_event ev;
	assert_int_equal(next_event(c, &ev), 1);
	if (ev.kind != SIM_CTL_TIMEOUT || ev.batch_id != id)
		fail_msg("expected batch %llu timed out at %g; got kind %d batch %llu at %.17g",
		         (unsigned long long)id, at, (int)ev.kind, (unsigned long long)ev.batch_id,
		         ev.time_s);
	assert_float_equal(ev.time_s, at, EPS);
}

static void expect_admit(struct sim_ctl *c, size_t req, uint32_t frames, double at,
                         double arrival_s)
{
	struct sim_ctl_event ev;
	assert_int_equal(next_event(c, &ev), 1);
	if (ev.kind != SIM_CTL_ADMIT || ev.req != req || ev.frames != frames)
		fail_msg("expected %u frames of request %zu admitted at %g; got kind %d, %u frames "
		         "of request %zu at %.17g",
		         frames, req, at, (int)ev.kind, ev.frames, ev.req, ev.time_s);
	assert_float_equal(ev.time_s, at, EPS);
	assert_float_equal(ev.arrival_s, arrival_s, 0);
}

static void expect_none(struct sim_ctl *c)
{
	struct sim_ctl_event ev;
	if (next_event(c, &ev))
		fail_msg("unexpected event kind %d (batch %llu, request %zu) at %.17g",
		         (int)ev.kind, (unsigned long long)ev.batch_id, ev.req, ev.time_s);
	assert_true(isinf(sim_ctl_next_s(c)));
}

/* ---- preparation: processor sharing ------------------------------------------ */

/*
 * cpus = 1, 1 s of work per frame. A (1 frame, 1 s of work) and B (2
 * frames, 2 s) dispatched together at 0 share the processor, each at 1/2:
 * A is done when 1 s of its work is, at 2.0; B has 1 s left, alone at full
 * speed, and is done at 3.0. The device and clock of each batch come out
 * as they went in.
 */
static void test_ps_one_cpu(void **st)
{
	(void)st;
	struct lv_ctl_model m = prep_model(0, 1.0, 1);
	struct sim_ctl c;
	sim_ctl_init(&c, &m, 2, 0);
	sim_ctl_dispatch(&c, 0.0, 1, 0, 1, 100000000);
	sim_ctl_dispatch(&c, 0.0, 2, 1, 2, 200000000);
	assert_float_equal(sim_ctl_next_s(&c), 2.0, EPS);
	struct sim_ctl_event ev;
	assert_int_equal(sim_ctl_advance(&c, 1.999, &ev), 0); /* nothing due yet */
	assert_int_equal(next_event(&c, &ev), 1);
	assert_int_equal(ev.kind, SIM_CTL_DELIVER);
	assert_int_equal(ev.batch_id, 1);
	assert_float_equal(ev.time_s, 2.0, EPS);
	assert_int_equal(ev.device, 0);
	assert_int_equal(ev.batch, 1);
	assert_int_equal(ev.freq_hz, 100000000);
	assert_float_equal(sim_ctl_next_s(&c), 3.0, EPS);
	assert_int_equal(next_event(&c, &ev), 1);
	assert_int_equal(ev.batch_id, 2);
	assert_float_equal(ev.time_s, 3.0, EPS);
	assert_int_equal(ev.device, 1);
	assert_int_equal(ev.freq_hz, 200000000);
	expect_none(&c);
	sim_ctl_fini(&c);
}

/* The same two batches on cpus = 2: each has a processor, A is done at 1.0 and B at 2.0. */
static void test_ps_two_cpus(void **st)
{
	(void)st;
	struct lv_ctl_model m = prep_model(0, 1.0, 2);
	struct sim_ctl c;
	sim_ctl_init(&c, &m, 1, 0);
	sim_ctl_dispatch(&c, 0.0, 1, 0, 1, 0);
	sim_ctl_dispatch(&c, 0.0, 2, 0, 2, 0);
	expect_deliver(&c, 1, 1.0, 0, 1);
	expect_deliver(&c, 2, 2.0, 0, 2);
	expect_none(&c);
	sim_ctl_fini(&c);
}

/*
 * cpus = 1, 0.5 s per frame. A and B (4 frames each: 2 s of work) at 0
 * would both be done at 4.0 (each at 1/2). C (1 frame: 0.5 s) comes at 1.0,
 * when A and B have 1.5 s left each. From 1.0 the three go at 1/3: C's
 * 0.5 s takes 1.5 s, done at 2.5, when A and B have 1.0 s left; then at 1/2
 * again, done at 2.5 + 2.0 = 4.5. (4.5 s of work on one processor ends at
 * 4.5: sharing loses none.)
 */
static void test_ps_third_arrives(void **st)
{
	(void)st;
	struct lv_ctl_model m = prep_model(0, 0.5, 1);
	struct sim_ctl c;
	sim_ctl_init(&c, &m, 1, 0);
	sim_ctl_dispatch(&c, 0.0, 1, 0, 4, 0);
	sim_ctl_dispatch(&c, 0.0, 2, 0, 4, 0);
	assert_float_equal(sim_ctl_next_s(&c), 4.0, EPS);
	struct sim_ctl_event ev;
	assert_int_equal(sim_ctl_advance(&c, 1.0, &ev), 0);
	sim_ctl_dispatch(&c, 1.0, 3, 0, 1, 0);
	assert_float_equal(sim_ctl_next_s(&c), 2.5, EPS);
	expect_deliver(&c, 3, 2.5, 0, 1);
	assert_int_equal(next_event(&c, &ev), 1);
	assert_int_equal(ev.kind, SIM_CTL_DELIVER);
	assert_float_equal(ev.time_s, 4.5, EPS);
	uint64_t first = ev.batch_id;
	assert_int_equal(next_event(&c, &ev), 1);
	assert_int_equal(ev.kind, SIM_CTL_DELIVER);
	assert_float_equal(ev.time_s, 4.5, EPS);
	assert_true((first == 1 && ev.batch_id == 2) || (first == 2 && ev.batch_id == 1));
	expect_none(&c);
	sim_ctl_fini(&c);
}

/*
 * Work is batch_s + frame_s·b, and a fractional number of processors:
 *  - cpus 1.5, batch_s 0.25, frame_s 0.25: A (5 frames, 1.5 s) and B (11
 *    frames, 3 s) at 0: two batches on 1.5 processors go at 0.75 each, A is
 *    done at 1.5/0.75 = 2.0; B has 1.5 s left, alone at full speed (one
 *    batch uses one processor at most), done at 3.5.
 *  - cpus 0.5, batch_s 0.125, frame_s 0.25, 2 frames: 0.625 s of work at
 *    0.5 is 1.25 s, which lv_ctl_prep_s says too; dispatched at 10, done at
 *    11.25.
 */
static void test_ps_batch_work_and_fractional_cpus(void **st)
{
	(void)st;
	struct lv_ctl_model m = prep_model(0.25, 0.25, 1.5);
	assert_float_equal(lv_ctl_prep_s(&m, 5), 1.5, EPS);
	struct sim_ctl c;
	sim_ctl_init(&c, &m, 1, 0);
	sim_ctl_dispatch(&c, 0.0, 1, 0, 5, 0);
	sim_ctl_dispatch(&c, 0.0, 2, 0, 11, 0);
	expect_deliver(&c, 1, 2.0, 0, 5);
	expect_deliver(&c, 2, 3.5, 0, 11);
	expect_none(&c);
	sim_ctl_fini(&c);

	m = prep_model(0.125, 0.25, 0.5);
	assert_float_equal(lv_ctl_prep_s(&m, 2), 1.25, EPS);
	sim_ctl_init(&c, &m, 1, 0);
	sim_ctl_dispatch(&c, 10.0, 7, 0, 2, 0);
	expect_deliver(&c, 7, 11.25, 0, 2);
	expect_none(&c);
	sim_ctl_fini(&c);
}

/* ---- the link -------------------------------------------------------------- */

/*
 * 0.5 s of preparation per frame on 10 processors (no sharing), 1 MB per
 * frame over an 8 Mbit/s link (1 s per frame), 0.25 s round trip. At 0: A
 * (device 0, 2 frames), B (device 0, 1 frame), C (device 1, 1 frame).
 *   B: prepared at 0.5, device 0's link free: sent 0.5-1.5, arrives 1.75.
 *   C: prepared at 0.5, device 1's own link: sent 0.5-1.5, arrives 1.75.
 *   A: prepared at 1.0, device 0's link busy with B until 1.5: sent 1.5-3.5
 *      (2 frames), arrives 3.75.
 * D (device 0, 1 frame) at 5: prepared at 5.5, the link long free: arrives
 * 5.5 + 1 + 0.25 = 6.75.
 */
static void test_link_serial_per_device(void **st)
{
	(void)st;
	struct lv_ctl_model m = prep_model(0, 0.5, 10);
	m.bytes_per_frame = 1e6;
	m.link_bps = 8e6;
	m.rtt_s = 0.25;
	assert_float_equal(lv_ctl_link_s(&m, 2), 2.0, EPS);
	struct sim_ctl c;
	sim_ctl_init(&c, &m, 2, 0);
	sim_ctl_dispatch(&c, 0.0, 1, 0, 2, 0); /* A */
	sim_ctl_dispatch(&c, 0.0, 2, 0, 1, 0); /* B */
	sim_ctl_dispatch(&c, 0.0, 3, 1, 1, 0); /* C */
	struct sim_ctl_event ev;
	/* preparation ends at 0.5 and 1.0, but nothing reaches a device before 1.75 */
	assert_int_equal(sim_ctl_advance(&c, 1.7, &ev), 0);
	assert_float_equal(sim_ctl_next_s(&c), 1.75, EPS);
	assert_int_equal(next_event(&c, &ev), 1);
	assert_int_equal(ev.kind, SIM_CTL_DELIVER);
	assert_float_equal(ev.time_s, 1.75, EPS);
	uint64_t first = ev.batch_id;
	assert_int_equal(next_event(&c, &ev), 1);
	assert_float_equal(ev.time_s, 1.75, EPS);
	assert_true((first == 2 && ev.batch_id == 3) || (first == 3 && ev.batch_id == 2));
	expect_deliver(&c, 1, 3.75, 0, 2);
	expect_none(&c);
	sim_ctl_dispatch(&c, 5.0, 4, 0, 1, 0); /* D */
	expect_deliver(&c, 4, 6.75, 0, 1);
	expect_none(&c);
	sim_ctl_fini(&c);
}

/*
 * Batches that finish preparing at one instant go onto their link in the
 * order they were dispatched (the scheduler put the tightest deadlines
 * first). 0.5 s of preparation each on 10 processors, 1 s on the link, no
 * round trip: A, B, C (device 0, one frame each) at 0 arrive at 1.5, 2.5,
 * 3.5.
 */
static void test_link_in_dispatch_order(void **st)
{
	(void)st;
	struct lv_ctl_model m = prep_model(0, 0.5, 10);
	m.bytes_per_frame = 1e6;
	m.link_bps = 8e6;
	struct sim_ctl c;
	sim_ctl_init(&c, &m, 1, 0);
	for (uint64_t id = 1; id <= 3; id++)
		sim_ctl_dispatch(&c, 0.0, id, 0, 1, 0);
	expect_deliver(&c, 1, 1.5, 0, 1);
	expect_deliver(&c, 2, 2.5, 0, 1);
	expect_deliver(&c, 3, 3.5, 0, 1);
	expect_none(&c);
	sim_ctl_fini(&c);
}

/*
 * A round trip without a bandwidth (link_bps 0): every batch arrives rtt_s
 * after its preparation, none waits for another. 0.25 s of preparation per
 * frame on 10 processors, rtt 0.5: A (2 frames) and B (1 frame) on device 0
 * at 0 arrive at 0.25 + 0.5 = 0.75 (B) and 0.5 + 0.5 = 1.0 (A).
 */
static void test_link_rtt_only(void **st)
{
	(void)st;
	struct lv_ctl_model m = prep_model(0, 0.25, 10);
	m.rtt_s = 0.5;
	struct sim_ctl c;
	sim_ctl_init(&c, &m, 1, 0);
	sim_ctl_dispatch(&c, 0.0, 1, 0, 2, 0);
	sim_ctl_dispatch(&c, 0.0, 2, 0, 1, 0);
	expect_deliver(&c, 2, 0.75, 0, 1);
	expect_deliver(&c, 1, 1.0, 0, 2);
	expect_none(&c);
	sim_ctl_fini(&c);
}

/* ---- intake -------------------------------------------------------------------- */

/*
 * Two frames per poll, polls every 0.25 s on the grid 0, 0.25, 0.5, ...
 * R0 (5 frames) comes at 0.1 and R1 (3 frames) at 0.3:
 *   0.25: R0 2 (3 left)        0.5: R0 2 (1 left)
 *   0.75: R0's last frame and R1's first (a poll reads two frames, whichever
 *         requests they belong to, in order)
 *   1.0:  R1's last 2.
 * Each chunk carries its request's arrival and budget, so the time spent in
 * the intake counts against the budget.
 */
static void test_intake_per_poll(void **st)
{
	(void)st;
	struct lv_ctl_model m = prep_model(0, 0, 1);
	m.intake_per_poll = 2;
	struct sim_ctl c;
	sim_ctl_init(&c, &m, 1, 0); /* no period of the policy's own: poll_s */
	sim_ctl_arrive(&c, 0.1, 0, 5, 6.0);
	assert_int_equal(sim_ctl_intake_frames(&c), 5);
	assert_float_equal(sim_ctl_next_s(&c), 0.25, EPS);
	struct sim_ctl_event ev;
	assert_int_equal(next_event(&c, &ev), 1);
	assert_int_equal(ev.kind, SIM_CTL_ADMIT);
	assert_int_equal(ev.req, 0);
	assert_int_equal(ev.frames, 2);
	assert_float_equal(ev.time_s, 0.25, EPS);
	assert_float_equal(ev.arrival_s, 0.1, 0);
	assert_float_equal(ev.budget_s, 6.0, 0);
	assert_int_equal(sim_ctl_intake_frames(&c), 3);
	assert_int_equal(sim_ctl_advance(&c, 0.3, &ev), 0);
	sim_ctl_arrive(&c, 0.3, 1, 3, 4.0);
	assert_int_equal(sim_ctl_intake_frames(&c), 6);
	expect_admit(&c, 0, 2, 0.5, 0.1);
	expect_admit(&c, 0, 1, 0.75, 0.1);
	assert_int_equal(next_event(&c, &ev), 1);
	assert_int_equal(ev.kind, SIM_CTL_ADMIT);
	assert_int_equal(ev.req, 1);
	assert_int_equal(ev.frames, 1);
	assert_float_equal(ev.time_s, 0.75, EPS);
	assert_float_equal(ev.arrival_s, 0.3, 0);
	assert_float_equal(ev.budget_s, 4.0, 0);
	expect_admit(&c, 1, 2, 1.0, 0.3);
	assert_int_equal(sim_ctl_intake_frames(&c), 0);
	expect_none(&c);

	/* Empty again, the next request waits for the grid: at 1.1, admitted at 1.25; one
	 * that comes on a poll (1.5) is read by that poll. */
	sim_ctl_arrive(&c, 1.1, 2, 1, 1.0);
	expect_admit(&c, 2, 1, 1.25, 1.1);
	sim_ctl_arrive(&c, 1.5, 3, 2, 1.0);
	expect_admit(&c, 3, 2, 1.5, 1.5);
	expect_none(&c);
	sim_ctl_fini(&c);
}

/* intake_per_poll 0: the next poll reads everything waiting, request by request. */
static void test_intake_all(void **st)
{
	(void)st;
	struct lv_ctl_model m = prep_model(0, 0, 1);
	struct sim_ctl c;
	sim_ctl_init(&c, &m, 1, 0);
	sim_ctl_arrive(&c, 0.1, 0, 5, 6.0);
	sim_ctl_arrive(&c, 0.2, 1, 3, 6.0);
	expect_admit(&c, 0, 5, 0.25, 0.1);
	expect_admit(&c, 1, 3, 0.25, 0.2);
	expect_none(&c);
	sim_ctl_fini(&c);
}

/*
 * A policy with a loop of its own (interval T = 1 s) reads the intake every
 * T, not every poll_s: R0 (5 frames) at 0.1 with two per turn is admitted
 * at 1, 2 and 3. lv_policy_poll_s gives interval's T, and the controller's
 * poll_s for a policy without a period of its own (loud).
 */
static void test_intake_policy_period(void **st)
{
	(void)st;
	static const double f[] = { 100e6, 200e6 };
	static const struct lv_test_point pts[] = {
		{ 100e6, 1, 1.0, 3.0 },
		{ 200e6, 1, 0.5, 2.5 },
	};
	struct lv_profile *p = lv_test_profile_new("tiny", 2, f, NULL, 1, 0.5, 2, pts);
	size_t one = 1;
	struct lv_cluster *cl = lv_cluster_new_from_profiles(&p, &one, 1);
	assert_int_equal(lv_cluster_build_costs(cl, LV_COST_PROF, NULL, NULL), 0);
	struct lv_policy *iv = lv_policy_new("interval:T=1", cl, NULL);
	struct lv_policy *loud = lv_policy_new("loud", cl, NULL);
	assert_non_null(iv);
	assert_non_null(loud);
	assert_float_equal(lv_policy_poll_s(iv, 0.25), 1.0, 0);
	assert_float_equal(lv_policy_poll_s(loud, 0.25), 0.25, 0);

	struct lv_ctl_model m = prep_model(0, 0, 1);
	m.intake_per_poll = 2;
	struct sim_ctl c;
	sim_ctl_init(&c, &m, 1, lv_policy_poll_s(iv, m.poll_s));
	sim_ctl_arrive(&c, 0.1, 0, 5, 9.0);
	expect_admit(&c, 0, 2, 1.0, 0.1);
	expect_admit(&c, 0, 2, 2.0, 0.1);
	expect_admit(&c, 0, 1, 3.0, 0.1);
	expect_none(&c);
	sim_ctl_fini(&c);
	lv_policy_free(iv);
	lv_policy_free(loud);
	lv_cluster_free(cl);
}

/*
 * At the end of a run the intake is handed over whole, a request at a time:
 * R0 (5 frames at 0.1) and R1 (3 at 0.2), two per poll; after the poll at
 * 0.25 (R0: 2) a drain at 0.3 hands over R0's 3 and R1's 3, with their
 * arrivals, and then nothing is left to poll.
 */
static void test_drain_intake(void **st)
{
	(void)st;
	struct lv_ctl_model m = prep_model(0, 0, 1);
	m.intake_per_poll = 2;
	struct sim_ctl c;
	sim_ctl_init(&c, &m, 1, 0);
	struct sim_ctl_event ev;
	assert_int_equal(sim_ctl_drain_intake(&c, 0.0, &ev), 0);
	sim_ctl_arrive(&c, 0.1, 0, 5, 6.0);
	sim_ctl_arrive(&c, 0.2, 1, 3, 7.0);
	expect_admit(&c, 0, 2, 0.25, 0.1);
	assert_int_equal(sim_ctl_drain_intake(&c, 0.3, &ev), 1);
	assert_int_equal(ev.kind, SIM_CTL_ADMIT);
	assert_int_equal(ev.req, 0);
	assert_int_equal(ev.frames, 3);
	assert_float_equal(ev.time_s, 0.3, 0);
	assert_float_equal(ev.arrival_s, 0.1, 0);
	assert_float_equal(ev.budget_s, 6.0, 0);
	assert_int_equal(sim_ctl_drain_intake(&c, 0.3, &ev), 1);
	assert_int_equal(ev.req, 1);
	assert_int_equal(ev.frames, 3);
	assert_float_equal(ev.arrival_s, 0.2, 0);
	assert_float_equal(ev.budget_s, 7.0, 0);
	assert_int_equal(sim_ctl_drain_intake(&c, 0.3, &ev), 0);
	assert_int_equal(sim_ctl_intake_frames(&c), 0);
	expect_none(&c);
	sim_ctl_fini(&c);
}

/* ---- time-outs ----------------------------------------------------------------- */

/*
 * A 2.5 s batch time-out; 1 s of preparation per frame on one processor, a
 * 1 s-per-frame link (1 MB at 8 Mbit/s), no round trip. Time-outs are
 * counted from dispatch.
 *   A (3 frames) at 0: still preparing at 2.5: times out then, and is never
 *     delivered.
 *   B (2 frames) at 10: prepared at 12, on the link 12-14: times out at 12.5
 *     on the link, never delivered.
 *   D (1 frame) at 20: prepared at 21, sent 21-22, delivered at 22; its
 *     device has not answered by 22.5: it times out there, and its later
 *     completion is reported to no one (sim_ctl_batch_done 0).
 *   E (1 frame) at 30: delivered at 32, done at 32.25 on its device, within
 *     its time-out: reported (1), and no time-out comes for it later.
 */
static void test_batch_timeouts(void **st)
{
	(void)st;
	struct lv_ctl_model m = prep_model(0, 1.0, 1);
	m.bytes_per_frame = 1e6;
	m.link_bps = 8e6;
	m.batch_timeout_s = 2.5;
	struct sim_ctl c;
	sim_ctl_init(&c, &m, 1, 0);
	struct sim_ctl_event ev;

	sim_ctl_dispatch(&c, 0.0, 1, 0, 3, 0);
	expect_timeout(&c, 1, 2.5);
	expect_none(&c); /* its preparation went with it */
	assert_int_equal(sim_ctl_batch_done(&c, 1), 0);

	sim_ctl_dispatch(&c, 10.0, 2, 0, 2, 0);
	assert_int_equal(sim_ctl_advance(&c, 12.25, &ev), 0); /* prepared at 12, on the link */
	expect_timeout(&c, 2, 12.5);
	expect_none(&c);

	sim_ctl_dispatch(&c, 20.0, 3, 0, 1, 0);
	expect_deliver(&c, 3, 22.0, 0, 1);
	expect_timeout(&c, 3, 22.5);
	expect_none(&c);
	assert_int_equal(sim_ctl_batch_done(&c, 3), 0); /* the device finishes it at 23 */

	sim_ctl_dispatch(&c, 30.0, 4, 0, 1, 0);
	expect_deliver(&c, 4, 32.0, 0, 1);
	assert_float_equal(sim_ctl_next_s(&c), 32.5, EPS); /* its time-out, still armed */
	assert_int_equal(sim_ctl_batch_done(&c, 4), 1);    /* done at 32.25 */
	expect_none(&c);
	assert_int_equal(sim_ctl_batch_done(&c, 4), 0); /* reported once */
	sim_ctl_fini(&c);

	/* Without a batch time-out every completion is reported. */
	m.batch_timeout_s = 0;
	sim_ctl_init(&c, &m, 1, 0);
	sim_ctl_dispatch(&c, 0.0, 9, 0, 1, 0);
	expect_deliver(&c, 9, 2.0, 0, 1);
	expect_none(&c);
	assert_int_equal(sim_ctl_batch_done(&c, 9), 1);
	sim_ctl_fini(&c);
}

/*
 * A batch that times out while preparing gives its share of the processor
 * back. One processor, 1 s per frame, a 1.75 s time-out. A (2 frames) at 0
 * runs alone until 0.5 (0.5 s done); B (1 frame) comes then and both go at
 * 1/2. At 1.75 A times out (0.5 + 0.625 done of 2) and B has 0.625 of its
 * 1 s done; alone again, B is prepared 0.375 s later, at 2.125, within its
 * own time-out (0.5 + 1.75 = 2.25), which then comes on the device.
 */
static void test_timeout_frees_processor(void **st)
{
	(void)st;
	struct lv_ctl_model m = prep_model(0, 1.0, 1);
	m.batch_timeout_s = 1.75;
	struct sim_ctl c;
	sim_ctl_init(&c, &m, 1, 0);
	struct sim_ctl_event ev;
	sim_ctl_dispatch(&c, 0.0, 1, 0, 2, 0);
	assert_int_equal(sim_ctl_advance(&c, 0.5, &ev), 0);
	sim_ctl_dispatch(&c, 0.5, 2, 0, 1, 0);
	expect_timeout(&c, 1, 1.75);
	assert_float_equal(sim_ctl_next_s(&c), 2.125, EPS);
	expect_deliver(&c, 2, 2.125, 0, 1);
	expect_timeout(&c, 2, 2.25);
	expect_none(&c);
	sim_ctl_fini(&c);
}

/* Advancing to +INF runs everything due and then reports no event, on an empty controller too. */
static void test_advance_to_infinity(void **st)
{
	(void)st;
	struct lv_ctl_model m = prep_model(0, 1.0, 1);
	m.batch_timeout_s = 5;
	struct sim_ctl c;
	sim_ctl_init(&c, &m, 1, 0);
	struct sim_ctl_event ev;
	assert_int_equal(sim_ctl_advance(&c, INFINITY, &ev), 0);
	sim_ctl_dispatch(&c, 0.0, 1, 0, 1, 0);
	assert_int_equal(sim_ctl_advance(&c, INFINITY, &ev), 1);
	assert_int_equal(ev.kind, SIM_CTL_DELIVER);
	assert_float_equal(ev.time_s, 1.0, EPS);
	assert_int_equal(sim_ctl_batch_done(&c, 1), 1); /* settled: the time-out is gone */
	assert_int_equal(sim_ctl_advance(&c, INFINITY, &ev), 0);
	sim_ctl_fini(&c);
}

/* ---- nothing lost ---------------------------------------------------------------- */

/* A tiny deterministic generator for the mixed load below. */
static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

/*
 * 400 batches of 1-8 frames over 3 devices, dispatched 0-0.5 s apart,
 * through shared preparation (1.5 processors), links and a 4 s time-out;
 * each delivered batch takes 0.5-5 s on its device. Every batch ends exactly
 * once: delivered and reported, or timed out (and then never reported), and
 * events come in time order.
 */
static void test_nothing_lost(void **st)
{
	(void)st;
	enum { N = 400 };
	struct lv_ctl_model m = prep_model(0.05, 0.1, 1.5);
	m.bytes_per_frame = 1e6;
	m.link_bps = 40e6;
	m.rtt_s = 0.01;
	m.batch_timeout_s = 4;
	struct sim_ctl c;
	sim_ctl_init(&c, &m, 3, 0);
	uint64_t seed = 42;
	double dispatch_at[N + 1], done_at[N + 1];
	int delivered[N + 1], timed_out[N + 1], reported[N + 1];
	memset(delivered, 0, sizeof(delivered));
	memset(timed_out, 0, sizeof(timed_out));
	memset(reported, 0, sizeof(reported));
	double t = 0;
	for (int i = 1; i <= N; i++) {
		t += (double)(lcg(&seed) % 500) / 1000.0;
		dispatch_at[i] = t;
		done_at[i] = INFINITY;
	}
	int next = 1;
	double now = 0;
	for (;;) {
		/* the earliest of: the next dispatch, a device's completion, the controller */
		double td = next <= N ? dispatch_at[next] : INFINITY;
		double tc = sim_ctl_next_s(&c);
		int dev_i = 0;
		double tdev = INFINITY;
		for (int i = 1; i <= N; i++)
			if (done_at[i] < tdev) {
				tdev = done_at[i];
				dev_i = i;
			}
		double tmin = fmin(td, fmin(tc, tdev));
		if (!(tmin < INFINITY))
			break;
		assert_true(tmin >= now);
		now = tmin;
		if (tdev == tmin) {
			done_at[dev_i] = INFINITY;
			if (sim_ctl_batch_done(&c, (uint64_t)dev_i))
				reported[dev_i]++;
			continue;
		}
		if (tc == tmin) {
			struct sim_ctl_event ev;
			while (sim_ctl_advance(&c, now, &ev)) {
				assert_float_equal(ev.time_s, now, EPS);
				assert_true(ev.batch_id >= 1 && ev.batch_id <= N);
				if (ev.kind == SIM_CTL_DELIVER) {
					delivered[ev.batch_id]++;
					done_at[ev.batch_id] =
					    now + 0.5 + (double)(lcg(&seed) % 4500) / 1000.0;
				} else {
					assert_int_equal(ev.kind, SIM_CTL_TIMEOUT);
					timed_out[ev.batch_id]++;
				}
			}
			continue;
		}
		sim_ctl_dispatch(&c, now, (uint64_t)next, (int)(lcg(&seed) % 3),
		                 1 + (int)(lcg(&seed) % 8), 0);
		next++;
	}
	int n_reported = 0, n_timed_out = 0, n_late_timeouts = 0;
	for (int i = 1; i <= N; i++) {
		if (reported[i] + timed_out[i] != 1)
			fail_msg("batch %d: reported %d times, timed out %d times", i, reported[i],
			         timed_out[i]);
		assert_true(delivered[i] <= 1);
		assert_true(reported[i] <= delivered[i]);
		n_reported += reported[i];
		n_timed_out += timed_out[i];
		n_late_timeouts += timed_out[i] && delivered[i];
	}
	/* the load is meant to exercise both outcomes, and time-outs after delivery */
	assert_true(n_reported > 0);
	assert_true(n_timed_out > 0);
	assert_true(n_late_timeouts > 0);
	assert_int_equal(c.n_prep + c.n_link, 0);
	sim_ctl_fini(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ps_one_cpu),
		cmocka_unit_test(test_ps_two_cpus),
		cmocka_unit_test(test_ps_third_arrives),
		cmocka_unit_test(test_ps_batch_work_and_fractional_cpus),
		cmocka_unit_test(test_link_serial_per_device),
		cmocka_unit_test(test_link_in_dispatch_order),
		cmocka_unit_test(test_link_rtt_only),
		cmocka_unit_test(test_intake_per_poll),
		cmocka_unit_test(test_intake_all),
		cmocka_unit_test(test_intake_policy_period),
		cmocka_unit_test(test_drain_intake),
		cmocka_unit_test(test_batch_timeouts),
		cmocka_unit_test(test_timeout_frees_processor),
		cmocka_unit_test(test_advance_to_infinity),
		cmocka_unit_test(test_nothing_lost),
	};
	return cmocka_run_group_tests_name("sim_ctl", tests, NULL, NULL);
}
