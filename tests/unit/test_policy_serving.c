/*
 * test_policy_serving: the serving systems' baselines — dynamic_batch
 * (Triton's dynamic batcher), aimd (Clipper's adaptive batching) and
 * transparent:pin=1 (no scheduler after `jetson_clocks`) — against
 * hand-worked situations.
 *
 * The "toy" kind: clocks 100 and 200 MHz, max batch 8, one instance,
 * measured at 200 MHz only (prof mode: the 100 MHz cells are unusable):
 *   b        1     2     3     4     5     6     7     8
 *   L s    0.10  0.15  0.20  0.20  0.30  0.32  0.40  0.42
 *   b/L    10.0  13.3  15.0  20.0  16.7  18.75 17.5  19.05
 * The best throughput is 20 fr/s at b=4, so the preferred sizes are
 *   preferred_frac 0.95 (>= 19):  {4, 8}
 *   preferred_frac 0.90 (>= 18):  {4, 6, 8}.
 * The tests ask the policy through lv_policy_decide with hand-made views and
 * set the devices' state, in-flight counts and counters by hand, as the
 * engine would between calls.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "model/cost.h"
#include "model/profile.h"
#include "sched/policy.h"
#include "base/util.h"

#define F1 100e6
#define F2 200e6

static const struct lv_test_point toy_pts[] = {
	{ F2, 1, 0.10, 1.0 }, { F2, 2, 0.15, 1.6 }, { F2, 3, 0.20, 2.1 }, { F2, 4, 0.20, 2.4 },
	{ F2, 5, 0.30, 3.0 }, { F2, 6, 0.32, 3.4 }, { F2, 7, 0.40, 3.9 }, { F2, 8, 0.42, 4.2 },
};

/* n toy devices; with costs (prof mode) or without any cost table. */
static struct lv_cluster *toy(size_t n, int costs)
{
	static const double freqs[] = { F1, F2 };
	struct lv_profile *p = lv_test_profile_new("toy", 2, freqs, NULL, 8, 0.5, 8, toy_pts);
	struct lv_cluster *c = lv_cluster_new_from_profiles(&p, &n, 1);
	if (costs)
		assert_int_equal(lv_cluster_build_costs(c, LV_COST_PROF, NULL, NULL), 0);
	return c;
}

static struct lv_policy *make(const char *spec, const struct lv_cluster *c)
{
	char *why = NULL;
	struct lv_policy *p = lv_policy_new(spec, c, &why);
	if (!p)
		fail_msg("%s: %s", spec, why ? why : "(no message)");
	return p;
}

static struct lv_clock_set clock_buf[8];

/* The situation a decision is asked in. */
struct sit {
	size_t q;        /* frames queued */
	double oldest;   /* earliest arrival */
	double head;     /* arrival of the head (tightest-deadline) frame */
	double deadline; /* the head's deadline */
	double now;
};

static struct lv_decision ask(struct lv_policy *p, const struct lv_cluster *c, struct sit s,
                              struct lv_explain *ex)
{
	struct lv_decision d = { .clocks = clock_buf, .cap_clocks = 8 };
	struct lv_view v = {
		.cluster = c,
		.queue_len = s.q,
		.min_deadline_s = s.q ? s.deadline : INFINITY,
		.oldest_arrival_s = s.q ? s.oldest : INFINITY,
		.head_arrival_s = s.q ? s.head : INFINITY,
	};
	lv_policy_decide(p, &v, s.now, &d, ex);
	return d;
}

static void expect_dispatch(const struct lv_decision *d, int device, int batch)
{
	if (!d->has_dispatch)
		fail_msg("no dispatch; wanted device %d batch %d", device, batch);
	if (d->dispatch.device != device || d->dispatch.batch != batch)
		fail_msg("dispatched device %d batch %d; wanted device %d batch %d",
		         d->dispatch.device, d->dispatch.batch, device, batch);
	assert_int_equal(d->reject, 0);
}

static void expect_wait(const struct lv_decision *d, double next_s)
{
	if (d->has_dispatch)
		fail_msg("unexpected dispatch: device %d batch %d", d->dispatch.device,
		         d->dispatch.batch);
	assert_int_equal(d->reject, 0);
	if (isinf(next_s) ? !(isinf(d->next_s) && d->next_s > 0)
	                  : !(fabs(d->next_s - next_s) <= 1e-9))
		fail_msg("next_s: got %.12g, want %.12g", d->next_s, next_s);
}

static void expect_contains(const char *s, const char *part)
{
	if (!s || !strstr(s, part))
		fail_msg("'%s' does not contain '%s'", s ? s : "(null)", part);
}

/* ---- dynamic_batch -------------------------------------------------------- */

/*
 * One free toy device, max_queue_delay 0.5 s, preferred {4, 8} from the
 * cost table. 10 queued: a full batch of 8 (rule 1). 7 queued: the largest
 * preferred size <= 7 is 4 (rule 2). 3 queued, the oldest arrived at 0: no
 * preferred size fits, so at 0.2 it waits until 0 + 0.5 and at 0.5 sends
 * the 3 as they are (rule 3).
 */
static void test_dynamic_batch_sizes(void **st)
{
	(void)st;
	struct lv_cluster *c = toy(1, 1);
	struct lv_policy *p = make("dynamic_batch:max_queue_delay=0.5", c);
	assert_string_equal(p->label, "dynamic_batch(delay=0.5)");
	struct lv_explain ex = { .max_alts = 5 };
	struct lv_decision d = ask(p, c, (struct sit){ 10, 0, 0, 5, 0.1 }, &ex);
	expect_dispatch(&d, 0, 8);
	assert_int_equal(d.dispatch.freq_hz, 0);
	assert_int_equal(d.n_clocks, 0);
	expect_contains(ex.why, "a full batch of 8");
	d = ask(p, c, (struct sit){ 7, 0, 0, 5, 0.1 }, &ex);
	expect_dispatch(&d, 0, 4);
	expect_contains(ex.why, "largest preferred batch that can be formed is 4");
	d = ask(p, c, (struct sit){ 3, 0, 0, 5, 0.2 }, &ex);
	expect_wait(&d, 0.5);
	assert_true(ex.wait);
	expect_contains(ex.why, "waiting until the oldest has waited 0.5 s");
	assert_int_equal(ex.n_alts, 1);
	expect_contains(ex.alts[0].reason, "a preferred batch of 4 needs 1 more frames");
	d = ask(p, c, (struct sit){ 3, 0, 0, 5, 0.5 }, &ex);
	expect_dispatch(&d, 0, 3);
	expect_contains(ex.why, "as they are");
	lv_policy_free(p);

	/* preferred_frac 0.9 adds 6: 7 queued makes a batch of 6. */
	p = make("dynamic_batch:max_queue_delay=0.5,preferred_frac=0.9", c);
	d = ask(p, c, (struct sit){ 7, 0, 0, 5, 0.1 }, NULL);
	expect_dispatch(&d, 0, 6);
	lv_policy_free(p);

	/* Triton's defaults: no delay, so 3 queued go at once. */
	p = make("dynamic_batch", c);
	assert_string_equal(p->label, "dynamic_batch");
	d = ask(p, c, (struct sit){ 3, 0, 0, 5, 0.0 }, NULL);
	expect_dispatch(&d, 0, 3);
	lv_policy_free(p);
	lv_cluster_free(c);
}

/*
 * A toy device on jpeg, its measured term l = 0.05 s per frame: its batch
 * of b takes L(b) + 0.05·b, which evens out the throughputs:
 *   b        1     2     3     4     5     6     7     8
 *   L' s   0.15  0.25  0.35  0.40  0.55  0.62  0.75  0.82
 *   b/L'   6.67  8.00  8.57  10.0  9.09  9.68  9.33  9.76
 * The best is 10 fr/s at b=4; preferred_frac 0.95 (>= 9.5) gives {4, 6, 8},
 * so 7 queued make a batch of 6 on it where an fp32 toy makes 4.
 */
static void test_dynamic_batch_preprocessing(void **st)
{
	(void)st;
	struct lv_cluster *c = toy(1, 0);
	c->kinds[0].profile->preprocess[LV_WIRE_JPEG] =
	    (struct lv_preprocess){ .measured = 1, .latency_s = 0.05, .energy_j = 0.1 };
	c->devices[0].wire = LV_WIRE_JPEG;
	assert_int_equal(lv_cluster_build_costs(c, LV_COST_PROF, NULL, NULL), 0);
	struct lv_policy *p = make("dynamic_batch:max_queue_delay=0.5", c);
	struct lv_explain ex = { .max_alts = 5 };
	struct lv_decision d = ask(p, c, (struct sit){ 7, 0, 0, 5, 0.1 }, &ex);
	expect_dispatch(&d, 0, 6);
	expect_contains(ex.why, "largest preferred batch that can be formed is 6");
	d = ask(p, c, (struct sit){ 5, 0, 0, 5, 0.1 }, NULL);
	expect_dispatch(&d, 0, 4);
	d = ask(p, c, (struct sit){ 3, 0, 0, 5, 0.2 }, NULL);
	expect_wait(&d, 0.5);
	lv_policy_free(p);
	/* The same device back on fp32: {4, 8} again, 7 queued make 4. */
	c->devices[0].wire = LV_WIRE_FP32;
	assert_int_equal(lv_cluster_build_costs(c, LV_COST_PROF, NULL, NULL), 0);
	p = make("dynamic_batch:max_queue_delay=0.5", c);
	d = ask(p, c, (struct sit){ 7, 0, 0, 5, 0.1 }, NULL);
	expect_dispatch(&d, 0, 4);
	lv_policy_free(p);
	lv_cluster_free(c);
}

/*
 * preferred=3 gives every kind the one size 3: 5 queued make 3; 2 queued
 * wait for the delay. preferred=100 is capped at the max batch (8): no size
 * below it is preferred. A cluster without cost tables has no preferred
 * sizes with preferred=0: 5 queued wait (next at 0 + 0.5), 9 make 8.
 */
static void test_dynamic_batch_preferred_param(void **st)
{
	(void)st;
	struct lv_cluster *c = toy(1, 1);
	struct lv_policy *p = make("dynamic_batch:max_queue_delay=0.5,preferred=3", c);
	assert_string_equal(p->label, "dynamic_batch(delay=0.5,preferred=3)");
	struct lv_decision d = ask(p, c, (struct sit){ 5, 0, 0, 5, 0.1 }, NULL);
	expect_dispatch(&d, 0, 3);
	d = ask(p, c, (struct sit){ 2, 0, 0, 5, 0.1 }, NULL);
	expect_wait(&d, 0.5);
	lv_policy_free(p);
	p = make("dynamic_batch:max_queue_delay=0.5,preferred=100", c);
	d = ask(p, c, (struct sit){ 7, 0, 0, 5, 0.1 }, NULL);
	expect_wait(&d, 0.5);
	lv_policy_free(p);
	lv_cluster_free(c);

	c = toy(1, 0);
	p = make("dynamic_batch:max_queue_delay=0.5", c);
	d = ask(p, c, (struct sit){ 5, 0, 0, 5, 0.1 }, NULL);
	expect_wait(&d, 0.5);
	d = ask(p, c, (struct sit){ 9, 0, 0, 5, 0.1 }, NULL);
	expect_dispatch(&d, 0, 8);
	lv_policy_free(p);
	lv_cluster_free(c);
}

/*
 * Two toy devices. Each takes one batch at a time (one instance): with
 * toy-00 busy the batch goes to toy-01, and the next decision starts after
 * it (toy-00 again once free). With both busy nothing goes out, and
 * without a time-out the policy waits for an event (+INF).
 */
static void test_dynamic_batch_free_instance(void **st)
{
	(void)st;
	struct lv_cluster *c = toy(2, 1);
	struct lv_policy *p = make("dynamic_batch", c);
	c->devices[0].inflight = 1;
	struct lv_explain ex = { .max_alts = 5 };
	struct lv_decision d = ask(p, c, (struct sit){ 8, 0, 0, 5, 0.0 }, &ex);
	expect_dispatch(&d, 1, 8);
	expect_contains(ex.alts[0].reason, "skipped toy-00: busy");
	c->devices[1].inflight = 1;
	d = ask(p, c, (struct sit){ 8, 0, 0, 5, 0.0 }, &ex);
	expect_wait(&d, INFINITY);
	expect_contains(ex.why, "no device is available");
	c->devices[0].inflight = 0;
	c->devices[1].inflight = 0;
	d = ask(p, c, (struct sit){ 4, 0, 0, 5, 0.1 }, NULL);
	expect_dispatch(&d, 0, 4);
	lv_policy_free(p);
	lv_cluster_free(c);
}

/*
 * Preferred sizes are per device kind. A toy device (max 8, preferred
 * {4, 8}) then a "small" one (max 4; at 200 MHz L = 0.10 0.20 0.25 0.40 s,
 * b/L = 10 10 12 10 fr/s: best 12 at b=3, >= 11.4 only b=3, so {3}).
 * max_queue_delay 0.5, now 0.1, the oldest arrived at 0.
 *  5 queued: toy-00 takes 4 (its largest preferred <= 5); small-00 is next.
 *  2 queued: neither kind has a preferred size <= 2: the first free device
 *            from the cursor (small-00) waits, until 0 + 0.5.
 *  3 queued: small-00 takes 3 (its preferred size); toy-00 is next.
 *  3 queued: toy-00 cannot make a preferred batch, small-00 can: it takes
 *            the 3 out of turn rather than toy-00 waiting.
 *  3 queued, small-00 busy: toy-00 waits (until 0.5).
 */
static void test_dynamic_batch_per_kind(void **st)
{
	(void)st;
	static const double freqs[] = { F1, F2 };
	static const struct lv_test_point small_pts[] = {
		{ F2, 1, 0.10, 1.0 },
		{ F2, 2, 0.20, 1.8 },
		{ F2, 3, 0.25, 2.4 },
		{ F2, 4, 0.40, 3.0 },
	};
	struct lv_profile *ps[2] = {
		lv_test_profile_new("toy", 2, freqs, NULL, 8, 0.5, 8, toy_pts),
		lv_test_profile_new("small", 2, freqs, NULL, 4, 0.5, 4, small_pts),
	};
	const size_t counts[2] = { 1, 1 };
	struct lv_cluster *c = lv_cluster_new_from_profiles(ps, counts, 2);
	assert_int_equal(lv_cluster_build_costs(c, LV_COST_PROF, NULL, NULL), 0);
	struct lv_policy *p = make("dynamic_batch:max_queue_delay=0.5", c);
	struct lv_explain ex = { .max_alts = 5 };
	struct lv_decision d = ask(p, c, (struct sit){ 5, 0, 0, 5, 0.1 }, NULL);
	expect_dispatch(&d, 0, 4);
	d = ask(p, c, (struct sit){ 2, 0, 0, 5, 0.1 }, &ex);
	expect_wait(&d, 0.5);
	expect_contains(ex.why, "small-00 has a free instance; 2 queued frames make no");
	d = ask(p, c, (struct sit){ 3, 0, 0, 5, 0.1 }, NULL);
	expect_dispatch(&d, 1, 3);
	d = ask(p, c, (struct sit){ 3, 0, 0, 5, 0.1 }, NULL);
	expect_dispatch(&d, 1, 3);
	c->devices[1].inflight = 1;
	d = ask(p, c, (struct sit){ 3, 0, 0, 5, 0.1 }, &ex);
	expect_wait(&d, 0.5);
	expect_contains(ex.why, "toy-00 has a free instance; 3 queued frames make no");
	lv_policy_free(p);
	lv_cluster_free(c);
}

/*
 * Queue time-out 1 s, REJECT. The head frame arrived at 0.2: at 1.2 it has
 * waited 1 s and the decision rejects it (one frame, with the reason),
 * dispatching nothing. At 1.1 it has not: 3 queued with no delay go out.
 * With the device busy at 0.5 the policy asks to be woken at the head's
 * time-out, 1.2. DELAY (timeout_action=1) keeps the timed-out frame: at 1.2
 * the 3 go out as a batch.
 */
static void test_dynamic_batch_timeout(void **st)
{
	(void)st;
	struct lv_cluster *c = toy(1, 1);
	struct lv_policy *p = make("dynamic_batch:timeout=1", c);
	assert_string_equal(p->label, "dynamic_batch(timeout=1)");
	struct lv_explain ex = { .max_alts = 5 };
	struct lv_decision d = ask(p, c, (struct sit){ 3, 0.2, 0.2, 9, 1.2 }, &ex);
	assert_false(d.has_dispatch);
	assert_int_equal(d.reject, 1);
	expect_contains(d.reject_reason, "timed out in the dynamic batcher's queue");
	expect_contains(ex.why, "timed out at 1.200 s (the queue's time-out)");
	d = ask(p, c, (struct sit){ 3, 0.2, 0.2, 9, 1.1 }, NULL);
	expect_dispatch(&d, 0, 3);
	c->devices[0].inflight = 1;
	d = ask(p, c, (struct sit){ 3, 0.2, 0.2, 9, 0.5 }, NULL);
	expect_wait(&d, 1.2);
	c->devices[0].inflight = 0;
	lv_policy_free(p);

	p = make("dynamic_batch:timeout=1,timeout_action=1", c);
	assert_string_equal(p->label, "dynamic_batch(timeout=1,timeout_action=1)");
	d = ask(p, c, (struct sit){ 3, 0.2, 0.2, 9, 1.2 }, NULL);
	expect_dispatch(&d, 0, 3);
	lv_policy_free(p);
	lv_cluster_free(c);
}

/*
 * allow_timeout_override=1: each frame's budget is its time-out, so the
 * head times out at its deadline. Deadline 2.0, now 2.0: rejected ("its own
 * latency budget"), even with timeout=10 given. Deadline 2.0, now 1.0, 3
 * queued and max_queue_delay 5 (the oldest arrived at 0.5, release at 5.5):
 * it waits, but only until 2.0, when the head's budget is spent.
 */
static void test_dynamic_batch_override(void **st)
{
	(void)st;
	struct lv_cluster *c = toy(1, 1);
	struct lv_policy *p =
	    make("dynamic_batch:allow_timeout_override=1,timeout=10,max_queue_delay=5", c);
	struct lv_explain ex = { .max_alts = 5 };
	struct lv_decision d = ask(p, c, (struct sit){ 3, 0.5, 0.5, 2.0, 2.0 }, &ex);
	assert_int_equal(d.reject, 1);
	expect_contains(ex.why, "its own latency budget");
	d = ask(p, c, (struct sit){ 3, 0.5, 0.5, 2.0, 1.0 }, NULL);
	expect_wait(&d, 2.0);
	lv_policy_free(p);
	lv_cluster_free(c);
}

/* ---- aimd --------------------------------------------------------------- */

/* The engine's side of a batch on device i ending at t: served (ok) or failed. */
static void batch_ends(struct lv_cluster *c, int i, double t, int ok)
{
	c->devices[i].inflight = 0;
	c->devices[i].idle_since_s = t;
	if (ok)
		c->devices[i].batches_done++;
}

/*
 * One toy device, step 1, factor 0.5, start 2, Clipper's objective
 * (processing time within the head frame's budget).
 *  t=0:   10 queued, head budget 1 (arrival 0, deadline 1): b = cap 2.
 *         Asked again at once: the device is busy, nothing goes out.
 *  t=0.3: the batch ended (0.3 s <= 1 s, met, and it was full): cap 3,
 *         b = 3.
 *  t=1.8: that batch took 1.5 s > 1 s: missed, cap 3 x 0.5 = 1.5, b = 1.
 *  t=2.0: met and full (1 = floor 1.5): cap 2.5; 1 queued: b = 1.
 *  t=2.1: met but not full (1 < floor 2.5): cap stays 2.5; 5 queued: b = 2.
 *  t=2.5: that batch failed (batches_done unchanged): cap stays 2.5: b = 2.
 */
static void test_aimd_additive_multiplicative(void **st)
{
	(void)st;
	struct lv_cluster *c = toy(1, 1);
	struct lv_policy *p = make("aimd:factor=0.5,start=2", c);
	assert_string_equal(p->label, "aimd(factor=0.5,start=2)");
	struct lv_explain ex = { .max_alts = 5 };
	struct lv_decision d = ask(p, c, (struct sit){ 10, 0, 0, 1, 0.0 }, &ex);
	expect_dispatch(&d, 0, 2);
	expect_contains(ex.why, "cap is 2.00 (no batch judged yet)");
	c->devices[0].inflight = 1;
	d = ask(p, c, (struct sit){ 8, 0, 0, 1, 0.0 }, &ex);
	expect_wait(&d, INFINITY);
	expect_contains(ex.alts[0].reason, "a batch in flight (cap 2.00)");

	batch_ends(c, 0, 0.3, 1);
	d = ask(p, c, (struct sit){ 8, 0, 0, 1, 0.3 }, &ex);
	expect_dispatch(&d, 0, 3);
	expect_contains(ex.why, "cap is 3.00 (its last batch met the objective)");
	c->devices[0].inflight = 1;

	batch_ends(c, 0, 1.8, 1);
	d = ask(p, c, (struct sit){ 5, 0.5, 0.5, 1.5, 1.8 }, &ex);
	expect_dispatch(&d, 0, 1);
	expect_contains(ex.why, "cap is 1.50 (its last batch missed the objective)");
	c->devices[0].inflight = 1;

	batch_ends(c, 0, 2.0, 1);
	d = ask(p, c, (struct sit){ 1, 1.9, 1.9, 3.0, 2.0 }, &ex);
	expect_dispatch(&d, 0, 1);
	expect_contains(ex.why, "cap is 2.50");
	c->devices[0].inflight = 1;

	batch_ends(c, 0, 2.1, 1);
	d = ask(p, c, (struct sit){ 5, 2.05, 2.05, 4.0, 2.1 }, &ex);
	expect_dispatch(&d, 0, 2);
	expect_contains(ex.why, "cap is 2.50");
	c->devices[0].inflight = 1;

	batch_ends(c, 0, 2.5, 0);
	d = ask(p, c, (struct sit){ 5, 2.05, 2.05, 4.0, 2.5 }, &ex);
	expect_dispatch(&d, 0, 2);
	expect_contains(ex.why, "cap is 2.50");
	lv_policy_free(p);
	lv_cluster_free(c);
}

/*
 * objective=1 judges the batch end to end. Start 4: at 0 a batch of 4
 * leaves with the head's deadline at 1.0 (budget 1). It ends at 1.2 after
 * 0.2 s of processing — within the budget, so Clipper's objective would have
 * grown the cap — but after the deadline: missed, cap 4 x 0.9 = 3.6, b = 3.
 * The cap never passes the kind's max batch: start=100 is 8, and a met full
 * batch of 8 leaves it at 8.
 */
static void test_aimd_objective_and_bounds(void **st)
{
	(void)st;
	struct lv_cluster *c = toy(1, 1);
	struct lv_policy *p = make("aimd:start=4,objective=1", c);
	struct lv_explain ex = { .max_alts = 5 };
	struct lv_decision d = ask(p, c, (struct sit){ 10, 0, 0, 1.0, 0.0 }, NULL);
	expect_dispatch(&d, 0, 4);
	c->devices[0].inflight = 1;
	batch_ends(c, 0, 1.2, 1);
	d = ask(p, c, (struct sit){ 10, 0, 0, 1.0, 1.2 }, &ex);
	expect_dispatch(&d, 0, 3);
	expect_contains(ex.why, "cap is 3.60 (its last batch missed");
	lv_policy_free(p);

	p = make("aimd:start=4", c);
	d = ask(p, c, (struct sit){ 10, 0, 0, 1.0, 2.0 }, NULL);
	expect_dispatch(&d, 0, 4);
	c->devices[0].inflight = 1;
	batch_ends(c, 0, 3.2, 1); /* 1.2 s > budget 1: missed under objective 0 too */
	d = ask(p, c, (struct sit){ 10, 0, 0, 1.0, 3.2 }, &ex);
	expect_dispatch(&d, 0, 3);
	lv_policy_free(p);

	p = make("aimd:start=100", c);
	d = ask(p, c, (struct sit){ 20, 0, 0, 10.0, 4.0 }, NULL);
	expect_dispatch(&d, 0, 8);
	c->devices[0].inflight = 1;
	batch_ends(c, 0, 4.5, 1);
	d = ask(p, c, (struct sit){ 12, 0, 0, 10.0, 4.5 }, &ex);
	expect_dispatch(&d, 0, 8);
	expect_contains(ex.why, "cap is 8.00");
	lv_policy_free(p);
	lv_cluster_free(c);
}

/*
 * Devices each keep their own cap: two toy devices, start 2. Both get a
 * batch of 2 at 0 (toy-00, then toy-01, which is free while toy-00 is not).
 * toy-00's batch meets its objective (cap 3), toy-01's misses (cap 1.8):
 * at 1.5 toy-00 takes 3, then toy-01 takes 1.
 */
static void test_aimd_per_device(void **st)
{
	(void)st;
	struct lv_cluster *c = toy(2, 1);
	struct lv_policy *p = make("aimd:start=2", c);
	struct lv_decision d = ask(p, c, (struct sit){ 10, 0, 0, 1.0, 0.0 }, NULL);
	expect_dispatch(&d, 0, 2);
	c->devices[0].inflight = 1;
	d = ask(p, c, (struct sit){ 8, 0, 0, 1.0, 0.0 }, NULL);
	expect_dispatch(&d, 1, 2);
	c->devices[1].inflight = 1;
	batch_ends(c, 0, 0.5, 1);
	batch_ends(c, 1, 1.5, 1);
	d = ask(p, c, (struct sit){ 6, 0, 0, 1.0, 1.5 }, NULL);
	expect_dispatch(&d, 0, 3);
	c->devices[0].inflight = 1;
	d = ask(p, c, (struct sit){ 3, 0, 0, 1.0, 1.5 }, NULL);
	expect_dispatch(&d, 1, 1);
	lv_policy_free(p);
	lv_cluster_free(c);
}

/* ---- transparent:pin=1 (jetson_clocks) ---------------------------------- */

/*
 * Three toy devices: toy-00 at 100 MHz, toy-01 at 200 MHz (its top), toy-02
 * down at 100 MHz. With pin=1 the first decision sets toy-00 to 200 MHz
 * (toy-01 is there already; toy-02 is down and takes no clock) and sends the
 * batch at 200 MHz. With an empty queue the clock is still set. Without
 * pin, no clock is set and the batch runs at the device's own clock (0).
 */
static void test_transparent_pin(void **st)
{
	(void)st;
	struct lv_cluster *c = toy(3, 1);
	c->devices[0].freq_hz = (uint64_t)F1;
	c->devices[1].freq_hz = (uint64_t)F2;
	c->devices[2].freq_hz = (uint64_t)F1;
	c->devices[2].state = LV_DEV_DOWN;
	struct lv_policy *p = make("transparent:pin=1", c);
	assert_string_equal(p->label, "transparent(pin=1)");
	struct lv_explain ex = { .max_alts = 5 };
	struct lv_decision d = ask(p, c, (struct sit){ 5, 0, 0, 5, 0.0 }, &ex);
	expect_dispatch(&d, 0, 5);
	assert_int_equal(d.dispatch.freq_hz, (uint64_t)F2);
	assert_int_equal(d.n_clocks, 1);
	assert_int_equal(d.clocks[0].device, 0);
	assert_int_equal(d.clocks[0].freq_hz, (uint64_t)F2);
	expect_contains(ex.why, "at its top clock (pinned, as jetson_clocks does)");
	d = ask(p, c, (struct sit){ 0, 0, 0, 0, 0.0 }, NULL);
	assert_false(d.has_dispatch);
	assert_int_equal(d.n_clocks, 1);
	lv_policy_free(p);

	p = make("transparent", c);
	d = ask(p, c, (struct sit){ 5, 0, 0, 5, 0.0 }, NULL);
	expect_dispatch(&d, 0, 5);
	assert_int_equal(d.dispatch.freq_hz, 0);
	assert_int_equal(d.n_clocks, 0);
	lv_policy_free(p);
	lv_cluster_free(c);
}

/* Bad parameters name what was wrong. */
static void test_bad_params(void **st)
{
	(void)st;
	struct lv_cluster *c = toy(1, 1);
	static const struct {
		const char *spec, *msg;
	} cases[] = {
		{ "dynamic_batch:timeout_action=2", "timeout_action: 2 is outside [0, 1]" },
		{ "dynamic_batch:preferred=2.5", "preferred: '2.5' is not a whole number" },
		{ "dynamic_batch:max_queue_delay=-1", "max_queue_delay: -1 is outside" },
		{ "aimd:factor=1", "factor: 1 is outside [0.01, 0.99]" },
		{ "aimd:step=0", "step: 0 is outside" },
		{ "transparent:pin=2", "pin: 2 is outside [0, 1]" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *why = NULL;
		struct lv_policy *p = lv_policy_new(cases[i].spec, c, &why);
		if (p)
			fail_msg("%s: accepted", cases[i].spec);
		expect_contains(why, cases[i].msg);
		free(why);
	}
	lv_cluster_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dynamic_batch_sizes),
		cmocka_unit_test(test_dynamic_batch_preprocessing),
		cmocka_unit_test(test_dynamic_batch_preferred_param),
		cmocka_unit_test(test_dynamic_batch_free_instance),
		cmocka_unit_test(test_dynamic_batch_per_kind),
		cmocka_unit_test(test_dynamic_batch_timeout),
		cmocka_unit_test(test_dynamic_batch_override),
		cmocka_unit_test(test_aimd_additive_multiplicative),
		cmocka_unit_test(test_aimd_objective_and_bounds),
		cmocka_unit_test(test_aimd_per_device),
		cmocka_unit_test(test_transparent_pin),
		cmocka_unit_test(test_bad_params),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
