/*
 * The engine: frame lifecycle, conservation, ordering by deadline, retries,
 * expiry, admission, policy switching. Scenarios use the loud policy on the
 * hand-made "slow" kind (see test_policy_loud.c for its numbers):
 *   f=100 MHz: L = 1.0 1.5 2.0 2.5 s, E/b = 1.0 0.8 0.7 0.6 J
 *   f=200 MHz: L = 0.5 0.8 1.0 1.2 s, E/b = 1.2 1.0 0.9 0.8 J
 * clock change 0.5 s; safety margin 0.2 s; devices start at 200 MHz.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sched/engine.h"
#include "model/profile.h"
#include "base/util.h"

#define F1 100e6
#define F2 200e6

static const struct lv_test_point slow_pts[] = {
	{ F1, 1, 1.0, 1.0 }, { F1, 2, 1.5, 1.6 }, { F1, 3, 2.0, 2.1 }, { F1, 4, 2.5, 2.4 },
	{ F2, 1, 0.5, 1.2 }, { F2, 2, 0.8, 2.0 }, { F2, 3, 1.0, 2.7 }, { F2, 4, 1.2, 3.2 },
};

static struct lv_cluster *slow_cluster(size_t n)
{
	static const double freqs[] = { F1, F2 };
	struct lv_profile *p = lv_test_profile_new("slow", 2, freqs, NULL, 4, 0.5, 8, slow_pts);
	struct lv_cluster *c = lv_cluster_new_from_profiles(&p, &n, 1);
	assert_int_equal(lv_cluster_build_costs(c, LV_COST_PROF, NULL, NULL), 0);
	return c;
}

static struct lv_engine *engine_new(struct lv_cluster *c, const char *policy,
                                    const struct lv_engine_config *cfg)
{
	char *why = NULL;
	struct lv_policy *p = lv_policy_new(policy, c, &why);
	assert_non_null(p);
	return lv_engine_new(c, p, cfg, 0.0);
}

/* Counts actions of one kind since the last clear; returns the last one seen. */
static const struct lv_action *find(const struct lv_engine *e, enum lv_action_kind k, int *n)
{
	const struct lv_action *a, *last = NULL;
	size_t na = lv_engine_actions(e, &a);
	*n = 0;
	for (size_t i = 0; i < na; i++)
		if (a[i].kind == k) {
			(*n)++;
			last = &a[i];
		}
	return last;
}

static void assert_conserved(const struct lv_engine *e)
{
	struct lv_engine_counts c;
	lv_engine_counts(e, &c);
	uint64_t sum = 0;
	for (int s = 0; s < LV_FRAME_NSTATES; s++)
		sum += c.by_state[s];
	assert_int_equal(c.received, sum);
}

static void test_served_within_budget(void **st)
{
	(void)st;
	struct lv_cluster *c = slow_cluster(1);
	struct lv_engine *e = engine_new(c, "loud", NULL);
	uint64_t first = 0;
	assert_int_equal(lv_engine_submit(e, 0.0, 4, 3.3, 77, &first), 0);
	assert_int_equal(first, 1);
	lv_engine_step(e, 0.0);
	int n;
	const struct lv_action *d = find(e, LV_ACT_DISPATCH, &n);
	assert_int_equal(n, 1);
	assert_int_equal(d->device, 0);
	assert_int_equal(d->freq_hz, (uint64_t)F1);
	assert_int_equal(d->batch, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(d->frame_ids[i], (uint64_t)(i + 1));
	uint64_t batch = d->batch_id;
	assert_int_equal(c->devices[0].freq_hz, (uint64_t)F1);
	assert_int_equal(c->devices[0].inflight, 1);
	assert_int_equal(lv_engine_queue_len(e), 0);
	lv_engine_clear_actions(e);
	/* The driver held it to a power mode's cap: its frames ran at that clock. */
	assert_int_equal(lv_engine_batch_clock(e, batch, (uint64_t)F2), 0);
	assert_int_equal(lv_engine_batch_clock(e, batch + 1, (uint64_t)F2), LV_ENOENT);

	assert_int_equal(lv_engine_batch_done(e, 3.0, batch, 1, NULL), 0);
	const struct lv_action *f = find(e, LV_ACT_FRAME_FINAL, &n);
	assert_int_equal(n, 4);
	assert_int_equal(f->frame.state, LV_FRAME_OK);
	assert_int_equal(f->frame.tag, 77);
	assert_float_equal(f->frame.arrival_s, 0.0, 0);
	assert_float_equal(f->frame.dispatch_s, 0.0, 0);
	assert_float_equal(f->frame.done_s, 3.0, 0);
	assert_int_equal(f->frame.batch, 4);
	assert_int_equal(f->frame.freq_hz, (uint64_t)F2);
	assert_int_equal(c->devices[0].inflight, 0);
	assert_float_equal(c->devices[0].idle_since_s, 3.0, 0);
	assert_int_equal(c->devices[0].frames_done, 4);

	struct lv_engine_counts k;
	lv_engine_counts(e, &k);
	assert_int_equal(k.received, 4);
	assert_int_equal(k.by_state[LV_FRAME_OK], 4);
	assert_int_equal(k.batches_dispatched, 1);
	/* A finished batch cannot finish twice. */
	assert_int_equal(lv_engine_batch_done(e, 3.1, batch, 1, NULL), LV_ENOENT);
	assert_conserved(e);
	lv_engine_free(e);
	lv_cluster_free(c);
}

static void test_late(void **st)
{
	(void)st;
	struct lv_cluster *c = slow_cluster(1);
	struct lv_engine *e = engine_new(c, "loud", NULL);
	lv_engine_submit(e, 0.0, 4, 3.3, 1, NULL);
	lv_engine_step(e, 0.0);
	int n;
	uint64_t batch = find(e, LV_ACT_DISPATCH, &n)->batch_id;
	lv_engine_clear_actions(e);
	lv_engine_batch_done(e, 3.5, batch, 1, NULL); /* deadline was 3.3 */
	struct lv_engine_counts k;
	lv_engine_counts(e, &k);
	assert_int_equal(k.by_state[LV_FRAME_LATE], 4);
	assert_int_equal(k.by_state[LV_FRAME_OK], 0);
	assert_conserved(e);
	lv_engine_free(e);
	lv_cluster_free(c);
}

/* A failed batch's frames are retried once; a second failure ends them FAILED. */
static void test_retry_then_fail(void **st)
{
	(void)st;
	struct lv_cluster *c = slow_cluster(2);
	struct lv_engine *e = engine_new(c, "loud", NULL);
	lv_engine_submit(e, 0.0, 4, 3.3, 1, NULL);
	lv_engine_step(e, 0.0);
	int n;
	uint64_t b1 = find(e, LV_ACT_DISPATCH, &n)->batch_id;
	lv_engine_clear_actions(e);
	lv_engine_batch_done(e, 0.2, b1, 0, "triton: 500");
	find(e, LV_ACT_FRAME_FINAL, &n);
	assert_int_equal(n, 0);
	assert_int_equal(lv_engine_queue_len(e), 4);

	lv_engine_step(e, 0.2);
	const struct lv_action *d = find(e, LV_ACT_DISPATCH, &n);
	assert_int_equal(n, 1);
	uint64_t b2 = d->batch_id;
	assert_int_not_equal(b1, b2);
	lv_engine_clear_actions(e);
	lv_engine_batch_done(e, 0.4, b2, 0, "triton: 500");
	const struct lv_action *f = find(e, LV_ACT_FRAME_FINAL, &n);
	assert_int_equal(n, 4);
	assert_int_equal(f->frame.state, LV_FRAME_FAILED);
	assert_int_equal(f->frame.attempts, 2);
	assert_string_equal(f->frame.reason, "triton: 500");
	struct lv_engine_counts k;
	lv_engine_counts(e, &k);
	assert_int_equal(k.batches_failed, 2);
	assert_conserved(e);
	lv_engine_free(e);
	lv_cluster_free(c);
}

/*
 * A batch its device refused for one frame's input: that frame alone ends
 * FAILED (after one attempt, with the reason), the other three go back to
 * the queue with no attempt spent, and are served by the next batch.
 */
static void test_refused_frame(void **st)
{
	(void)st;
	struct lv_cluster *c = slow_cluster(1);
	struct lv_engine *e = engine_new(c, "loud", NULL);
	uint64_t first = 0;
	lv_engine_submit(e, 0.0, 4, 3.3, 1, &first);
	lv_engine_step(e, 0.0);
	int n;
	const struct lv_action *d = find(e, LV_ACT_DISPATCH, &n);
	assert_int_equal(n, 1);
	assert_int_equal(d->batch, 4);
	uint64_t b1 = d->batch_id, bad = d->frame_ids[2];
	lv_engine_clear_actions(e);
	assert_int_equal(lv_engine_batch_refused(e, 0.3, b1, 4, "x"), LV_EINVAL);
	assert_int_equal(lv_engine_batch_refused(e, 0.3, b1 + 999, 0, "x"), LV_ENOENT);
	assert_int_equal(lv_engine_batch_refused(e, 0.3, b1, 2, "bad image"), 0);
	const struct lv_action *f = find(e, LV_ACT_FRAME_FINAL, &n);
	assert_int_equal(n, 1);
	assert_int_equal(f->frame.id, bad);
	assert_int_equal(f->frame.state, LV_FRAME_FAILED);
	assert_int_equal(f->frame.attempts, 1);
	assert_string_equal(f->frame.reason, "bad image");
	assert_int_equal(lv_engine_queue_len(e), 3);
	assert_conserved(e);
	/* a second refusal of the same batch is for a batch that is no more */
	assert_int_equal(lv_engine_batch_refused(e, 0.3, b1, 0, "x"), LV_ENOENT);

	lv_engine_clear_actions(e);
	lv_engine_step(e, 0.3);
	d = find(e, LV_ACT_DISPATCH, &n);
	assert_int_equal(n, 1);
	assert_int_equal(d->batch, 3);
	uint64_t b2 = d->batch_id;
	lv_engine_clear_actions(e);
	lv_engine_batch_done(e, 2.0, b2, 1, NULL);
	f = find(e, LV_ACT_FRAME_FINAL, &n);
	assert_int_equal(n, 3);
	/* their first attempt: the refused dispatch did not count */
	assert_int_equal(f->frame.attempts, 1);
	assert_int_equal(f->frame.state, LV_FRAME_OK);
	struct lv_engine_counts k;
	lv_engine_counts(e, &k);
	assert_int_equal(k.by_state[LV_FRAME_OK], 3);
	assert_int_equal(k.by_state[LV_FRAME_FAILED], 1);
	assert_int_equal(k.batches_failed, 1);
	assert_conserved(e);
	lv_engine_free(e);
	lv_cluster_free(c);
}

static void test_no_retry_when_off(void **st)
{
	(void)st;
	struct lv_cluster *c = slow_cluster(1);
	struct lv_engine_config cfg;
	lv_engine_config_default(&cfg);
	cfg.retry_failed = 0;
	struct lv_engine *e = engine_new(c, "loud", &cfg);
	lv_engine_submit(e, 0.0, 4, 3.3, 1, NULL);
	lv_engine_step(e, 0.0);
	int n;
	uint64_t b = find(e, LV_ACT_DISPATCH, &n)->batch_id;
	lv_engine_batch_done(e, 0.1, b, 0, NULL);
	struct lv_engine_counts k;
	lv_engine_counts(e, &k);
	assert_int_equal(k.by_state[LV_FRAME_FAILED], 4);
	lv_engine_free(e);
	lv_cluster_free(c);
}

/* Nothing can run (device down): frames expire at deadline + grace, not before. */
static void test_expiry(void **st)
{
	(void)st;
	struct lv_cluster *c = slow_cluster(1);
	struct lv_engine_config cfg;
	lv_engine_config_default(&cfg);
	cfg.expire_grace_s = 0.5;
	struct lv_engine *e = engine_new(c, "loud", &cfg);
	lv_engine_device_state(e, 0.0, 0, LV_DEV_DOWN);
	lv_engine_submit(e, 0.0, 2, 1.0, 1, NULL);
	lv_engine_step(e, 0.0);
	int n;
	find(e, LV_ACT_DISPATCH, &n);
	assert_int_equal(n, 0);
	assert_float_equal(lv_engine_next_wakeup(e), 1.5, 1e-12);
	lv_engine_step(e, 1.49);
	find(e, LV_ACT_FRAME_FINAL, &n);
	assert_int_equal(n, 0);
	lv_engine_step(e, 1.5);
	const struct lv_action *f = find(e, LV_ACT_FRAME_FINAL, &n);
	assert_int_equal(n, 2);
	assert_int_equal(f->frame.state, LV_FRAME_EXPIRED);
	assert_int_equal(f->frame.device, -1);
	assert_conserved(e);
	lv_engine_free(e);
	lv_cluster_free(c);
}

/*
 * A request that arrived before it reached the engine (the front end decoded
 * it meanwhile): its budget and latency count from its arrival, and one whose
 * budget is already spent ends EXPIRED at once instead of being served.
 */
static void test_submit_at_arrival(void **st)
{
	(void)st;
	struct lv_cluster *c = slow_cluster(1);
	struct lv_engine *e = engine_new(c, "loud", NULL);
	uint64_t first = 0;
	int n;

	/* Arrived at 7 with 2 s: spent by 10. */
	assert_int_equal(lv_engine_submit_at(e, 10.0, 7.0, 2, 2.0, 5, &first), 0);
	assert_int_equal(first, 1);
	const struct lv_action *f = find(e, LV_ACT_FRAME_FINAL, &n);
	assert_int_equal(n, 2);
	assert_int_equal(f->frame.state, LV_FRAME_EXPIRED);
	assert_float_equal(f->frame.arrival_s, 7.0, 0);
	assert_float_equal(f->frame.deadline_s, 9.0, 0);
	assert_float_equal(f->frame.done_s, 10.0, 0);
	assert_int_equal(f->frame.device, -1);
	assert_non_null(strstr(f->frame.reason, "budget ran out before it reached the scheduler"));
	assert_int_equal(lv_engine_queue_len(e), 0);
	lv_engine_clear_actions(e);

	/* Arrived at 9 with 3.3 s: due at 12.3, served by 11.5 within it. */
	assert_int_equal(lv_engine_submit_at(e, 10.0, 9.0, 4, 3.3, 6, &first), 0);
	assert_int_equal(first, 3);
	double dl;
	assert_int_equal(lv_engine_tightest(e, &dl, 1), 1);
	assert_float_equal(dl, 12.3, 1e-12);
	lv_engine_step(e, 10.0);
	const struct lv_action *a;
	uint64_t batches[4];
	int nb = 0;
	for (size_t i = 0, na = lv_engine_actions(e, &a); i < na; i++)
		if (a[i].kind == LV_ACT_DISPATCH)
			batches[nb++] = a[i].batch_id;
	assert_true(nb >= 1);
	lv_engine_clear_actions(e);
	for (int i = 0; i < nb; i++)
		assert_int_equal(lv_engine_batch_done(e, 11.5, batches[i], 1, NULL), 0);
	f = find(e, LV_ACT_FRAME_FINAL, &n);
	assert_int_equal(n, 4);
	assert_int_equal(f->frame.state, LV_FRAME_OK);
	assert_float_equal(f->frame.arrival_s, 9.0, 0);
	assert_float_equal(f->frame.done_s - f->frame.arrival_s, 2.5, 1e-12);
	lv_engine_clear_actions(e);

	/* No arrival, or one later than now: it arrives now, as lv_engine_submit's frames do. */
	assert_int_equal(lv_engine_submit_at(e, 12.0, NAN, 1, 1.0, 7, NULL), 0);
	assert_int_equal(lv_engine_submit_at(e, 12.0, 99.0, 1, 1.0, 8, NULL), 0);
	assert_int_equal(lv_engine_tightest(e, &dl, 1), 1);
	assert_float_equal(dl, 13.0, 0);
	assert_int_equal(lv_engine_queue_len(e), 2);

	struct lv_engine_counts k;
	lv_engine_counts(e, &k);
	assert_int_equal(k.received, 8);
	assert_int_equal(k.by_state[LV_FRAME_EXPIRED], 2);
	assert_int_equal(k.by_state[LV_FRAME_OK], 4);
	assert_int_equal(k.by_state[LV_FRAME_QUEUED], 2);
	assert_conserved(e);
	lv_engine_free(e);
	lv_cluster_free(c);
}

static void test_rejected_and_admission(void **st)
{
	(void)st;
	struct lv_cluster *c = slow_cluster(1);
	struct lv_engine_config cfg;
	lv_engine_config_default(&cfg);
	cfg.max_queue = 5;
	struct lv_engine *e = engine_new(c, "loud", &cfg);
	lv_engine_device_state(e, 0.0, 0, LV_DEV_DOWN);
	assert_int_equal(lv_engine_submit(e, 0.0, 3, -1.0, 1, NULL), LV_EINVAL);
	assert_int_equal(lv_engine_submit(e, 0.0, 1, INFINITY, 1, NULL), LV_EINVAL);
	int n;
	const struct lv_action *f = find(e, LV_ACT_FRAME_FINAL, &n);
	assert_int_equal(n, 4);
	assert_int_equal(f->frame.state, LV_FRAME_REJECTED);
	assert_non_null(strstr(f->frame.reason, "positive"));
	lv_engine_clear_actions(e);

	assert_int_equal(lv_engine_submit(e, 0.0, 4, NAN, 1, NULL), 0); /* default budget */
	lv_engine_step(e, 0.0);
	struct lv_view v;
	lv_engine_view(e, &v);
	assert_float_equal(v.min_deadline_s, 20.0, 0);
	assert_int_equal(lv_engine_submit(e, 0.0, 2, 1.0, 1, NULL), LV_EFULL);
	f = find(e, LV_ACT_FRAME_FINAL, &n);
	assert_int_equal(n, 2);
	assert_non_null(strstr(f->frame.reason, "queue full"));

	struct lv_engine_counts k;
	lv_engine_counts(e, &k);
	assert_int_equal(k.received, 10);
	assert_int_equal(k.by_state[LV_FRAME_REJECTED], 6);
	assert_int_equal(k.by_state[LV_FRAME_QUEUED], 4);
	assert_conserved(e);
	lv_engine_free(e);
	lv_cluster_free(c);
}

/*
 * A policy's reject (decision.h): dynamic_batch with a 1 s queue time-out
 * (REJECT) on a device that is down, so nothing is dispatched. Two frames
 * arrive at 0 (budget 10), one at 0.5 (budget 10). At 0.5 nothing times out
 * and the engine wants to run again at 1.0 (the head's arrival 0 + 1). At
 * 1.0 both frames of 0 end REJECTED with the policy's reason, from the head,
 * and the one of 0.5 stays: its time-out is 1.5. Once the device is up at 1.2
 * it takes that frame (slow kind, preferred sizes {4} from its top clock's
 * throughput 2, 2.5, 3, 3.33 fr/s; max_queue_delay 0: sent as is).
 */
static void test_policy_reject(void **st)
{
	(void)st;
	struct lv_cluster *c = slow_cluster(1);
	struct lv_engine *e = engine_new(c, "dynamic_batch:timeout=1", NULL);
	lv_engine_device_state(e, 0.0, 0, LV_DEV_DOWN);
	assert_int_equal(lv_engine_submit(e, 0.0, 2, 10.0, 1, NULL), 0);
	assert_int_equal(lv_engine_submit(e, 0.5, 1, 10.0, 2, NULL), 0);
	lv_engine_step(e, 0.5);
	struct lv_view v;
	lv_engine_view(e, &v);
	assert_float_equal(v.head_arrival_s, 0.0, 0);
	assert_float_equal(lv_engine_next_wakeup(e), 1.0, 1e-12);
	int n;
	find(e, LV_ACT_FRAME_FINAL, &n);
	assert_int_equal(n, 0);

	lv_engine_step(e, 1.0);
	const struct lv_action *f = find(e, LV_ACT_FRAME_FINAL, &n);
	assert_int_equal(n, 2);
	assert_int_equal(f->frame.state, LV_FRAME_REJECTED);
	assert_int_equal(f->frame.id, 2);
	assert_float_equal(f->frame.done_s, 1.0, 0);
	assert_non_null(strstr(f->frame.reason, "timed out in the dynamic batcher's queue"));
	lv_engine_view(e, &v);
	assert_int_equal(v.queue_len, 1);
	assert_float_equal(v.head_arrival_s, 0.5, 0);
	assert_float_equal(lv_engine_next_wakeup(e), 1.5, 1e-12);
	struct lv_engine_counts k;
	lv_engine_counts(e, &k);
	assert_int_equal(k.by_state[LV_FRAME_REJECTED], 2);
	assert_int_equal(k.by_state[LV_FRAME_QUEUED], 1);
	assert_int_equal(k.batches_dispatched, 0);
	assert_conserved(e);
	lv_engine_clear_actions(e);

	lv_engine_device_state(e, 1.2, 0, LV_DEV_UP);
	lv_engine_step(e, 1.2);
	const struct lv_action *d = find(e, LV_ACT_DISPATCH, &n);
	assert_int_equal(n, 1);
	assert_int_equal(d->batch, 1);
	assert_int_equal(d->frame_ids[0], 3);
	lv_engine_free(e);
	lv_cluster_free(c);
}

/*
 * Time-outs are checked at the head of the deadline queue: A arrives at 0
 * (budget 10, deadline 10), B at 0.5 (budget 2, deadline 2.5), so B is the
 * head though A is older. At 1.0 A has waited its 1 s but B, the head, has
 * not: nothing is rejected and the engine waits for B's time-out at 1.5.
 * Then B goes, and A, now the head and long timed out, goes right after.
 */
static void test_policy_reject_at_head(void **st)
{
	(void)st;
	struct lv_cluster *c = slow_cluster(1);
	struct lv_engine *e = engine_new(c, "dynamic_batch:timeout=1", NULL);
	lv_engine_device_state(e, 0.0, 0, LV_DEV_DOWN);
	assert_int_equal(lv_engine_submit(e, 0.0, 1, 10.0, 1, NULL), 0);
	assert_int_equal(lv_engine_submit(e, 0.5, 1, 2.0, 2, NULL), 0);
	lv_engine_step(e, 1.0);
	struct lv_view v;
	lv_engine_view(e, &v);
	assert_float_equal(v.head_arrival_s, 0.5, 0);
	assert_float_equal(v.oldest_arrival_s, 0.0, 0);
	int n;
	find(e, LV_ACT_FRAME_FINAL, &n);
	assert_int_equal(n, 0);
	assert_float_equal(lv_engine_next_wakeup(e), 1.5, 1e-12);
	lv_engine_step(e, 1.5);
	const struct lv_action *a;
	size_t na = lv_engine_actions(e, &a);
	assert_int_equal(na, 2);
	assert_int_equal(a[0].frame.id, 2);
	assert_int_equal(a[1].frame.id, 1);
	assert_int_equal(a[1].frame.state, LV_FRAME_REJECTED);
	assert_int_equal(lv_engine_queue_len(e), 0);
	assert_conserved(e);
	lv_engine_free(e);
	lv_cluster_free(c);
}

/*
 * Deadline order: A (3 frames, budget 10) at 0, B (3 frames, budget 3.3) at
 * 0.1, device up at 0.1. n=6, r=3.3: f=100 b=4 (3.2 s, 0.6 J) takes B's three
 * frames and A's first. Then n=2, r=9.9: best f=100 b=2 (1.7 s, no clock
 * change now) and 9.9 > 4 x 1.7, 2 < 4: it waits.
 */
static void test_tightest_deadlines_first(void **st)
{
	(void)st;
	struct lv_cluster *c = slow_cluster(1);
	struct lv_engine *e = engine_new(c, "loud", NULL);
	lv_engine_device_state(e, 0.0, 0, LV_DEV_DOWN);
	lv_engine_submit(e, 0.0, 3, 10.0, 1, NULL); /* ids 1-3 */
	lv_engine_step(e, 0.0);
	lv_engine_submit(e, 0.1, 3, 3.3, 2, NULL); /* ids 4-6 */
	lv_engine_device_state(e, 0.1, 0, LV_DEV_UP);
	lv_engine_step(e, 0.1);
	int n;
	const struct lv_action *d = find(e, LV_ACT_DISPATCH, &n);
	assert_int_equal(n, 1);
	assert_int_equal(d->batch, 4);
	static const uint64_t want[] = { 4, 5, 6, 1 };
	for (int i = 0; i < 4; i++)
		assert_int_equal(d->frame_ids[i], want[i]);
	assert_int_equal(lv_engine_queue_len(e), 2);
	assert_float_equal(lv_engine_next_wakeup(e), 0.11, 1e-9);

	/* Switching to a policy that does not wait dispatches the rest at once. */
	lv_engine_clear_actions(e);
	lv_engine_set_policy(e, lv_policy_new("loud:strictness=100", c, NULL));
	lv_engine_step(e, 0.11);
	d = find(e, LV_ACT_DISPATCH, &n);
	assert_int_equal(n, 1);
	assert_int_equal(d->batch, 2);
	assert_int_equal(d->frame_ids[0], 2);
	assert_int_equal(d->frame_ids[1], 3);
	assert_conserved(e);
	lv_engine_free(e);
	lv_cluster_free(c);
}

/* Idle devices are down-clocked through SET_CLOCK actions; bad reports are refused. */
static void test_clock_actions_and_bad_reports(void **st)
{
	(void)st;
	struct lv_cluster *c = slow_cluster(1);
	struct lv_engine *e = engine_new(c, "loud", NULL);
	lv_engine_step(e, 4.0);
	int n;
	const struct lv_action *a = find(e, LV_ACT_SET_CLOCK, &n);
	assert_int_equal(n, 1);
	assert_int_equal(a->freq_hz, (uint64_t)F1);
	assert_int_equal(c->devices[0].freq_hz, (uint64_t)F1);
	assert_int_equal(lv_engine_device_clock(e, 4.1, 0, 123), LV_EINVAL);
	assert_int_equal(lv_engine_device_clock(e, 4.1, 5, (uint64_t)F1), LV_ENOENT);
	assert_int_equal(lv_engine_device_clock(e, 4.1, 0, (uint64_t)F2), 0);
	assert_int_equal(c->devices[0].freq_hz, (uint64_t)F2);
	assert_int_equal(lv_engine_batch_done(e, 4.2, 999, 1, NULL), LV_ENOENT);
	lv_engine_free(e);
	lv_cluster_free(c);
}

/*
 * A device that is not up takes no clock from the policy: drained, it is the
 * operator's (a profiling sweep pins its own clocks); marked up again, the
 * idle down-clock reaches it.
 */
static void test_no_clock_for_drained(void **st)
{
	(void)st;
	struct lv_cluster *c = slow_cluster(2);
	struct lv_engine *e = engine_new(c, "loud", NULL);
	assert_int_equal(lv_engine_device_state(e, 0.0, 1, LV_DEV_DRAINING), 0);
	lv_engine_step(e, 4.0);
	int n;
	const struct lv_action *a = find(e, LV_ACT_SET_CLOCK, &n);
	assert_int_equal(n, 1); /* device 0 only */
	assert_int_equal(a->device, 0);
	assert_int_equal(c->devices[1].freq_hz, (uint64_t)F2);
	lv_engine_clear_actions(e);
	lv_engine_step(e, 10.0);
	find(e, LV_ACT_SET_CLOCK, &n);
	assert_int_equal(n, 0);
	assert_int_equal(c->devices[1].freq_hz, (uint64_t)F2);
	assert_int_equal(lv_engine_device_state(e, 10.0, 1, LV_DEV_UP), 0);
	lv_engine_clear_actions(e);
	lv_engine_step(e, 16.0);
	a = find(e, LV_ACT_SET_CLOCK, &n);
	assert_int_equal(n, 1);
	assert_int_equal(a->device, 1);
	assert_int_equal(a->freq_hz, (uint64_t)F1);
	lv_engine_free(e);
	lv_cluster_free(c);
}

/* Many requests through many batches: every frame ends exactly once. */
static void test_conservation_under_load(void **st)
{
	(void)st;
	struct lv_cluster *c = slow_cluster(3);
	struct lv_engine *e = engine_new(c, "loud", NULL);
	uint64_t finals = 0, received = 0;
	double now = 0;
	for (int round = 0; round < 400; round++) {
		now += 0.25;
		uint32_t k = (uint32_t)(round % 5) + 1;
		lv_engine_submit(e, now, k, round % 7 == 0 ? -1.0 : 1.0 + round % 4, round, NULL);
		received += k;
		lv_engine_step(e, now);
		const struct lv_action *a;
		size_t na = lv_engine_actions(e, &a);
		uint64_t pending[16];
		int np = 0;
		for (size_t i = 0; i < na; i++) {
			if (a[i].kind == LV_ACT_FRAME_FINAL)
				finals++;
			if (a[i].kind == LV_ACT_DISPATCH && np < 16)
				pending[np++] = a[i].batch_id;
		}
		lv_engine_clear_actions(e);
		for (int i = 0; i < np; i++)
			lv_engine_batch_done(e, now, pending[i], (round + i) % 9 != 0, NULL);
		na = lv_engine_actions(e, &a);
		for (size_t i = 0; i < na; i++)
			if (a[i].kind == LV_ACT_FRAME_FINAL)
				finals++;
		lv_engine_clear_actions(e);
	}
	/* Drain: no new arrivals until everything is terminal. */
	for (int i = 0; i < 2000 && finals < received; i++) {
		now += 0.25;
		lv_engine_step(e, now);
		const struct lv_action *a;
		size_t na = lv_engine_actions(e, &a);
		uint64_t pending[16];
		int np = 0;
		for (size_t j = 0; j < na; j++) {
			if (a[j].kind == LV_ACT_FRAME_FINAL)
				finals++;
			if (a[j].kind == LV_ACT_DISPATCH && np < 16)
				pending[np++] = a[j].batch_id;
		}
		lv_engine_clear_actions(e);
		for (int j = 0; j < np; j++)
			lv_engine_batch_done(e, now, pending[j], 1, NULL);
		na = lv_engine_actions(e, &a);
		for (size_t j = 0; j < na; j++)
			if (a[j].kind == LV_ACT_FRAME_FINAL)
				finals++;
		lv_engine_clear_actions(e);
	}
	struct lv_engine_counts k;
	lv_engine_counts(e, &k);
	assert_int_equal(k.received, received);
	assert_int_equal(finals, received);
	assert_int_equal(k.by_state[LV_FRAME_QUEUED] + k.by_state[LV_FRAME_INFLIGHT], 0);
	assert_true(k.by_state[LV_FRAME_REJECTED] > 0);
	assert_conserved(e);
	lv_engine_free(e);
	lv_cluster_free(c);
}

/*
 * busy_timer (the thesis's controller): a batch holds its device only for its
 * expected latency from dispatch. kind_round_robin with period 0 and no
 * buffer dispatches to a device only while it holds nothing, at the
 * device's own clock (200 MHz: b=4 1.2 s, b=2 0.8 s expected).
 *   0:   4 frames, dispatched (b1), held until 0 + 1.2 = 1.2.
 *   0.5: 2 frames arrive; the device is held: they wait; the engine wants
 *        to be called at 1.2, the release.
 *   1.2: b1 released (its frames still in flight), b2 (2 frames) dispatched
 *        at once, held until 2.0.
 *   1.5: b1 comes back: its 4 frames end OK now, not at the release, and
 *        the device still holds b2.
 *   2.3: the step releases b2 as of 2.0 (the device idle since then);
 *   2.6: b2 comes back: 2 frames OK; the device's idle time stays 2.0.
 * Without the busy timer nothing is dispatched before b1 comes back.
 */
static void test_busy_timer(void **st)
{
	(void)st;
	struct lv_cluster *c = slow_cluster(1);
	struct lv_engine_config cfg;
	lv_engine_config_default(&cfg);
	cfg.busy_timer = 1;
	struct lv_engine *e = engine_new(c, "kind_round_robin:period=0,buffer=0", &cfg);
	struct lv_device *d = &c->devices[0];
	int n;

	lv_engine_submit(e, 0.0, 4, 10.0, 1, NULL);
	lv_engine_step(e, 0.0);
	const struct lv_action *a = find(e, LV_ACT_DISPATCH, &n);
	assert_int_equal(n, 1);
	assert_int_equal(a->batch, 4);
	assert_float_equal(a->expected_latency_s, 1.2, 1e-12);
	uint64_t b1 = a->batch_id;
	assert_int_equal(d->inflight, 1);
	assert_float_equal(lv_engine_next_wakeup(e), 1.2, 1e-12);
	lv_engine_clear_actions(e);

	lv_engine_submit(e, 0.5, 2, 10.0, 2, NULL);
	lv_engine_step(e, 0.5);
	find(e, LV_ACT_DISPATCH, &n);
	assert_int_equal(n, 0);
	assert_int_equal(lv_engine_queue_len(e), 2);
	assert_float_equal(lv_engine_next_wakeup(e), 1.2, 1e-12);

	lv_engine_step(e, 1.2);
	a = find(e, LV_ACT_DISPATCH, &n);
	assert_int_equal(n, 1);
	assert_int_equal(a->batch, 2);
	assert_float_equal(a->expected_latency_s, 0.8, 1e-12);
	uint64_t b2 = a->batch_id;
	assert_int_equal(d->inflight, 1); /* b2; b1 no longer counts */
	struct lv_engine_counts k;
	lv_engine_counts(e, &k);
	assert_int_equal(k.by_state[LV_FRAME_INFLIGHT], 6);
	assert_float_equal(lv_engine_next_wakeup(e), 2.0, 1e-12);
	lv_engine_clear_actions(e);

	assert_int_equal(lv_engine_batch_done(e, 1.5, b1, 1, NULL), 0);
	const struct lv_action *f = find(e, LV_ACT_FRAME_FINAL, &n);
	assert_int_equal(n, 4);
	assert_int_equal(f->frame.state, LV_FRAME_OK);
	assert_float_equal(f->frame.done_s, 1.5, 0);
	assert_int_equal(d->inflight, 1);
	lv_engine_clear_actions(e);

	lv_engine_step(e, 2.3);
	assert_int_equal(d->inflight, 0);
	assert_float_equal(d->idle_since_s, 2.0, 1e-12);
	assert_true(isinf(lv_engine_next_wakeup(e)));
	lv_engine_counts(e, &k);
	assert_int_equal(k.by_state[LV_FRAME_INFLIGHT], 2);

	assert_int_equal(lv_engine_batch_done(e, 2.6, b2, 1, NULL), 0);
	f = find(e, LV_ACT_FRAME_FINAL, &n);
	assert_int_equal(n, 2);
	assert_float_equal(f->frame.done_s, 2.6, 0);
	assert_int_equal(d->inflight, 0);
	assert_float_equal(d->idle_since_s, 2.0, 1e-12);
	lv_engine_counts(e, &k);
	assert_int_equal(k.received, 6);
	assert_int_equal(k.by_state[LV_FRAME_OK], 6);
	assert_int_equal(k.batches_dispatched, 2);
	assert_int_equal(d->frames_done, 6);
	assert_conserved(e);
	lv_engine_free(e);
	lv_cluster_free(c);

	/* The same without the timer: the device holds b1 until it comes back. */
	c = slow_cluster(1);
	e = engine_new(c, "kind_round_robin:period=0,buffer=0", NULL);
	lv_engine_submit(e, 0.0, 4, 10.0, 1, NULL);
	lv_engine_step(e, 0.0);
	b1 = find(e, LV_ACT_DISPATCH, &n)->batch_id;
	lv_engine_clear_actions(e);
	lv_engine_submit(e, 0.5, 2, 10.0, 2, NULL);
	assert_float_equal(lv_engine_next_wakeup(e), 40.5, 1e-12); /* only the expiry */
	lv_engine_step(e, 1.2);
	find(e, LV_ACT_DISPATCH, &n);
	assert_int_equal(n, 0);
	assert_int_equal(c->devices[0].inflight, 1);
	lv_engine_batch_done(e, 1.5, b1, 1, NULL);
	lv_engine_step(e, 1.5);
	find(e, LV_ACT_DISPATCH, &n);
	assert_int_equal(n, 1);
	assert_conserved(e);
	lv_engine_free(e);
	lv_cluster_free(c);
}

/*
 * serve_spent (the thesis's controller kept every frame until served): a
 * request that arrived at 7 with 2 s and reaches the engine at 10 is queued,
 * not EXPIRED. With no grace limit it is served: dispatched at 10 (2 frames
 * at 200 MHz), back at 10.8, LATE, 3.8 s after it arrived. With the default
 * 30 s of grace it still expires as any queued frame does, at 9 + 30 = 39.
 */
static void test_serve_spent(void **st)
{
	(void)st;
	struct lv_cluster *c = slow_cluster(1);
	struct lv_engine_config cfg;
	lv_engine_config_default(&cfg);
	cfg.serve_spent = 1;
	cfg.expire_grace_s = INFINITY;
	struct lv_engine *e = engine_new(c, "kind_round_robin:period=0,buffer=0", &cfg);
	int n;
	assert_int_equal(lv_engine_submit_at(e, 10.0, 7.0, 2, 2.0, 5, NULL), 0);
	find(e, LV_ACT_FRAME_FINAL, &n);
	assert_int_equal(n, 0);
	assert_int_equal(lv_engine_queue_len(e), 2);
	double dl;
	assert_int_equal(lv_engine_tightest(e, &dl, 1), 1);
	assert_float_equal(dl, 9.0, 0);
	lv_engine_step(e, 10.0);
	const struct lv_action *a = find(e, LV_ACT_DISPATCH, &n);
	assert_int_equal(n, 1);
	assert_int_equal(a->batch, 2);
	uint64_t b = a->batch_id;
	lv_engine_clear_actions(e);
	assert_int_equal(lv_engine_batch_done(e, 10.8, b, 1, NULL), 0);
	const struct lv_action *f = find(e, LV_ACT_FRAME_FINAL, &n);
	assert_int_equal(n, 2);
	assert_int_equal(f->frame.state, LV_FRAME_LATE);
	assert_float_equal(f->frame.arrival_s, 7.0, 0);
	assert_float_equal(f->frame.done_s - f->frame.arrival_s, 3.8, 1e-12);
	struct lv_engine_counts k;
	lv_engine_counts(e, &k);
	assert_int_equal(k.by_state[LV_FRAME_LATE], 2);
	assert_int_equal(k.by_state[LV_FRAME_EXPIRED], 0);
	assert_conserved(e);
	lv_engine_free(e);
	lv_cluster_free(c);

	c = slow_cluster(1);
	cfg.expire_grace_s = 30;
	e = engine_new(c, "kind_round_robin:period=0,buffer=0", &cfg);
	lv_engine_device_state(e, 0.0, 0, LV_DEV_DOWN);
	assert_int_equal(lv_engine_submit_at(e, 10.0, 7.0, 1, 2.0, 6, NULL), 0);
	assert_int_equal(lv_engine_queue_len(e), 1);
	lv_engine_step(e, 10.0); /* nothing to run it on: it waits */
	assert_int_equal(lv_engine_queue_len(e), 1);
	assert_float_equal(lv_engine_next_wakeup(e), 39.0, 1e-12);
	lv_engine_step(e, 38.9);
	find(e, LV_ACT_FRAME_FINAL, &n);
	assert_int_equal(n, 0);
	lv_engine_step(e, 39.0);
	f = find(e, LV_ACT_FRAME_FINAL, &n);
	assert_int_equal(n, 1);
	assert_int_equal(f->frame.state, LV_FRAME_EXPIRED);
	assert_float_equal(f->frame.done_s, 39.0, 0);
	assert_conserved(e);
	lv_engine_free(e);
	lv_cluster_free(c);
}

/*
 * busy_timer under load: batches come back before, at or well after their
 * release, some fail; every frame still ends exactly once, and once every
 * batch is back no device holds anything.
 */
static void test_busy_timer_conservation(void **st)
{
	(void)st;
	struct lv_cluster *c = slow_cluster(3);
	struct lv_engine_config cfg;
	lv_engine_config_default(&cfg);
	cfg.busy_timer = 1;
	struct lv_engine *e = engine_new(c, "kind_round_robin:period=0,buffer=0", &cfg);
	enum { MAXB = 4096 };
	static uint64_t ids[MAXB];
	static double back[MAXB];
	size_t nb = 0;
	uint64_t received = 0, finals = 0;
	double now = 0;
	for (int round = 0; round < 600 || nb > 0; round++) {
		now += 0.1;
		if (round < 600) {
			uint32_t k = (uint32_t)(round % 6) + 1;
			lv_engine_submit(e, now, k, 2.0 + round % 5, round, NULL);
			received += k;
		}
		/* batches due back by now, in the order they went out */
		for (size_t i = 0; i < nb;) {
			if (back[i] <= now) {
				int ok = (ids[i] % 7) != 0;
				assert_int_equal(lv_engine_batch_done(e, now, ids[i], ok, NULL), 0);
				ids[i] = ids[nb - 1];
				back[i] = back[nb - 1];
				nb--;
			} else {
				i++;
			}
		}
		lv_engine_step(e, now);
		const struct lv_action *a;
		size_t na = lv_engine_actions(e, &a);
		for (size_t i = 0; i < na; i++) {
			if (a[i].kind == LV_ACT_FRAME_FINAL)
				finals++;
			if (a[i].kind == LV_ACT_DISPATCH) {
				assert_true(nb < MAXB);
				ids[nb] = a[i].batch_id;
				/* 0.5x to 3x its expected latency */
				back[nb++] =
				    now + a[i].expected_latency_s * (0.5 + (round % 6) * 0.5);
			}
		}
		lv_engine_clear_actions(e);
		assert_conserved(e);
		assert_true(round < 100000);
	}
	/* what is still queued: let it run out */
	for (int i = 0; i < 100 && finals < received; i++) {
		now += 1.0;
		lv_engine_step(e, now);
		const struct lv_action *a;
		size_t na = lv_engine_actions(e, &a);
		nb = 0;
		for (size_t j = 0; j < na; j++) {
			if (a[j].kind == LV_ACT_FRAME_FINAL)
				finals++;
			if (a[j].kind == LV_ACT_DISPATCH)
				ids[nb++] = a[j].batch_id;
		}
		lv_engine_clear_actions(e);
		for (size_t j = 0; j < nb; j++)
			assert_int_equal(lv_engine_batch_done(e, now, ids[j], 1, NULL), 0);
		na = lv_engine_actions(e, &a);
		for (size_t j = 0; j < na; j++)
			finals += a[j].kind == LV_ACT_FRAME_FINAL;
		lv_engine_clear_actions(e);
	}
	lv_engine_step(e, now + 100);
	struct lv_engine_counts k;
	lv_engine_counts(e, &k);
	assert_int_equal(k.received, received);
	assert_int_equal(finals, received);
	assert_int_equal(k.by_state[LV_FRAME_QUEUED] + k.by_state[LV_FRAME_INFLIGHT], 0);
	assert_true(k.by_state[LV_FRAME_FAILED] > 0 && k.by_state[LV_FRAME_OK] > 0);
	for (size_t i = 0; i < c->n_devices; i++)
		assert_int_equal(c->devices[i].inflight, 0);
	assert_conserved(e);
	lv_engine_free(e);
	lv_cluster_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_served_within_budget),
		cmocka_unit_test(test_late),
		cmocka_unit_test(test_retry_then_fail),
		cmocka_unit_test(test_no_retry_when_off),
		cmocka_unit_test(test_refused_frame),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_submit_at_arrival),
		cmocka_unit_test(test_rejected_and_admission),
		cmocka_unit_test(test_policy_reject),
		cmocka_unit_test(test_policy_reject_at_head),
		cmocka_unit_test(test_tightest_deadlines_first),
		cmocka_unit_test(test_clock_actions_and_bad_reports),
		cmocka_unit_test(test_no_clock_for_drained),
		cmocka_unit_test(test_conservation_under_load),
		cmocka_unit_test(test_busy_timer),
		cmocka_unit_test(test_serve_spent),
		cmocka_unit_test(test_busy_timer_conservation),
	};
	return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
