/*
 * The simulator end to end: hand-computed small runs (one frame, a queue
 * wait, a governor that moves the clock mid-batch, expiry and rejection
 * ending a run), then invariants over many runs — every frame accounted for,
 * energy never below the lower bound, the power timeline and the devices
 * summing to the run's energy, identical results from identical inputs.
 *
 * "tiny" (numbers in test_devmodel.c): 100/200 MHz, idle 1/2 W, max batch 2,
 *   100 MHz: b=1 1.0 s 3 W, b=2 1.5 s 4 W; 200 MHz: b=1 0.5 s 5 W, b=2 0.8 s 6 W.
 *   Least marginal energy per frame (idle floor 1 W): 2.0 J.
 * The mixed cluster's kinds come from formulas (test inputs, never expected
 * values), with holes so prof mode has unmeasured cells.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "model/profile.h"
#include "sim/sim.h"
#include "model/trace.h"
#include "base/util.h"

#define MHZ 1e6

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

/* A kind from formulas: L = (a + s·b)·fmax/f, P = p0 + p1·f/fmax + pb·b; cell (fi, b) skipped when
 * hole(fi, b). */
static struct lv_profile *formula_kind(const char *name, size_t nf, const double *f,
                                       const double *idle, int max_batch, double delay, double a,
                                       double s, double p0, double p1, double pb, int holes)
{
	struct lv_test_point pts[64];
	size_t n = 0;
	for (size_t i = 0; i < nf; i++) {
		for (int b = 1; b <= max_batch; b++) {
			if (holes && (b == 3 || (i == 1 && b > 1)))
				continue;
			double L = (a + s * b) * f[nf - 1] / f[i];
			double P = p0 + p1 * f[i] / f[nf - 1] + pb * b;
			pts[n++] = (struct lv_test_point){ f[i], b, L, P * L };
		}
	}
	return lv_test_profile_new(name, nf, f, idle, max_batch, delay, n, pts);
}

/* One "fast" device (3 clocks, batch 8) and two "slow" ones (2 clocks, batch 4). */
static struct lv_cluster *mixed_cluster(void)
{
	static const double ff[] = { 300 * MHZ, 600 * MHZ, 900 * MHZ }, fi[] = { 1.0, 1.2, 1.5 };
	static const double sf[] = { 200 * MHZ, 400 * MHZ }, si[] = { 0.6, 0.8 };
	struct lv_profile *ps[2] = {
		formula_kind("fast", 3, ff, fi, 8, 0.5, 0.010, 0.006, 1.5, 3.0, 0.1, 1),
		formula_kind("slow", 2, sf, si, 4, 0.6, 0.030, 0.020, 1.0, 2.0, 0.05, 0),
	};
	size_t counts[2] = { 1, 2 };
	struct lv_cluster *c = lv_cluster_new_from_profiles(ps, counts, 2);
	assert_int_equal(lv_cluster_build_costs(c, LV_COST_PROF, NULL, NULL), 0);
	return c;
}

static struct lv_trace *hand_trace(size_t n, const double *t, const uint32_t *frames,
                                   const double *budget)
{
	struct lv_trace *tr = lv_xcalloc(1, sizeof(*tr));
	tr->n = n;
	tr->reqs = lv_xcalloc(n, sizeof(*tr->reqs));
	for (size_t i = 0; i < n; i++)
		tr->reqs[i] =
		    (struct lv_request){ t[i], frames[i], 0, NAN, budget ? budget[i] : NAN };
	return tr;
}

static struct lv_trace *gen_trace(uint64_t seed, int cameras)
{
	struct lv_trace_gen_params p;
	lv_trace_gen_defaults(&p);
	p.cameras = cameras;
	p.seed = seed;
	p.duration_s = 60;
	p.windows = 3;
	p.min_active_s = 5;
	p.max_active_s = 40;
	p.last_entry_s = 40;
	char *why = NULL;
	struct lv_trace *t = lv_trace_generate(&p, NULL, &why);
	if (!t)
		fail_msg("trace: %s", why);
	return t;
}

/* Callback recorder. */
struct rec {
	size_t frames, batches;
	uint64_t batch_frames;
	struct lv_sim_batch b[4];
	uint64_t hash;
};

static void on_frame(void *arg, const struct lv_frame *f)
{
	struct rec *r = arg;
	uint64_t bits;
	memcpy(&bits, &f->done_s, sizeof(bits));
	r->hash = (r->hash ^ f->id ^ ((uint64_t)f->state << 56) ^ bits) * 0x100000001b3ULL;
	r->frames++;
}

static void on_batch(void *arg, const struct lv_sim_batch *b)
{
	struct rec *r = arg;
	if (r->batches < 4)
		r->b[r->batches] = *b;
	r->batches++;
	r->batch_frames += (uint64_t)b->batch;
}

static void run(struct lv_cluster *c, const char *policy, const struct lv_trace *t,
                struct lv_run_result *out, struct rec *rec)
{
	struct lv_sim_config cfg;
	lv_sim_config_default(&cfg);
	cfg.cluster = c;
	cfg.policy = policy;
	if (rec) {
		memset(rec, 0, sizeof(*rec));
		cfg.on_frame = on_frame;
		cfg.on_batch = on_batch;
		cfg.cb_arg = rec;
	}
	char *why = NULL;
	int rc = lv_sim_run(&cfg, t, out, &why);
	if (rc != 0)
		fail_msg("%s: %s", policy, why);
}

/*
 * One frame at t=0 under round_robin: the device is at 200 MHz (boot clock),
 * 0.5 s at 5 W = 2.5 J, window 0.5 s. Bound: 1 W · 0.5 s + 1 · 2.0 J = 2.5 J.
 */
static void test_one_frame(void **state)
{
	(void)state;
	struct lv_cluster *c = tiny_cluster();
	struct lv_trace *t = hand_trace(1, (double[]){ 0 }, (uint32_t[]){ 1 }, NULL);
	struct lv_run_result r;
	run(c, "round_robin", t, &r, NULL);
	assert_int_equal(r.m.frames, 1);
	assert_int_equal(r.m.ok, 1);
	assert_near(r.m.window_s, 0.5, 1e-12);
	assert_near(r.m.energy_j, 2.5, 1e-12);
	assert_near(r.m.latency_p50_s, 0.5, 1e-12);
	assert_near(r.m.frames_per_j, 0.4, 1e-12);
	assert_near(r.m.bound.energy_j, 2.5, 1e-12);
	assert_near(r.m.bound_fraction, 1.0, 1e-12);
	assert_near(r.m.devices[0].avg_freq_hz, 200 * MHZ, 1e-3);
	assert_int_equal(r.timeline.n, 1);
	assert_near(r.timeline.cluster_w[0], 5.0, 1e-12); /* 2.5 J over the 0.5 s sample */
	lv_run_result_fini(&r);
	lv_trace_free(t);
	lv_cluster_free(c);
}

/*
 * The same frame with the window held open to 3 s: the governor (testutil's:
 * 1 s of complete idle before going down) holds 200 MHz from the batch's end
 * at 0.5 to 1.5, then drops to 100 MHz, tiny's floor:
 * 2.5 J + 1.0 s at 2 W + 1.5 s at 1 W = 6.0 J; the first second holds 2.5 J
 * + 0.5 s at 2 W = 3.5 J.
 */
static void test_window_held_open(void **state)
{
	(void)state;
	struct lv_cluster *c = tiny_cluster();
	struct lv_trace *t = hand_trace(1, (double[]){ 0 }, (uint32_t[]){ 1 }, NULL);
	struct lv_sim_config cfg;
	lv_sim_config_default(&cfg);
	cfg.cluster = c;
	cfg.policy = "round_robin";
	cfg.end_s = 3.0;
	struct lv_run_result r;
	assert_int_equal(lv_sim_run(&cfg, t, &r, NULL), 0);
	assert_near(r.m.window_s, 3.0, 0);
	assert_near(r.m.energy_j, 6.0, 1e-9);
	assert_near(r.m.latency_p50_s, 0.5, 1e-12);
	assert_near(r.m.bound.energy_j, 3.0 + 2.0, 1e-12);
	assert_int_equal(r.timeline.n, 3);
	assert_near(r.timeline.cluster_w[0], 3.5, 1e-9);
	lv_run_result_fini(&r);
	lv_trace_free(t);
	lv_cluster_free(c);
}

/*
 * Frames at 0 and 0.1 under transparent (it queues on busy devices): the
 * second batch waits for the first, 0.5 -> 1.0; busy 1.0 s at 5 W = 5 J.
 */
static void test_queue_wait(void **state)
{
	(void)state;
	struct lv_cluster *c = tiny_cluster();
	struct lv_trace *t = hand_trace(2, (double[]){ 0, 0.1 }, (uint32_t[]){ 1, 1 }, NULL);
	struct lv_run_result r;
	struct rec rec;
	run(c, "transparent", t, &r, &rec);
	assert_int_equal(rec.batches, 2);
	assert_near(rec.b[0].start_s, 0.0, 1e-12);
	assert_near(rec.b[0].end_s, 0.5, 1e-12);
	assert_near(rec.b[1].submit_s, 0.1, 1e-12);
	assert_near(rec.b[1].start_s, 0.5, 1e-12);
	assert_near(rec.b[1].end_s, 1.0, 1e-12);
	assert_near(r.m.energy_j, 5.0, 1e-12);
	assert_near(r.m.latency_p50_s, 0.5, 1e-12);
	assert_near(r.m.latency_p99_s, 0.9, 1e-12);
	lv_run_result_fini(&r);
	lv_trace_free(t);
	lv_cluster_free(c);
}

/*
 * The governor drops the idle device to 100 MHz after its 1 s hold and the
 * engine hears of it; a frame at 5 s runs at 100 MHz until 0.2 s of running
 * (testutil's ramp, one step on tiny) raise the clock at 5.2: 0.8 s of work
 * left at 100 MHz is 0.4 s at 200, done at 5.6. Energy: 1·2 + 4·1 + 0.2·3 +
 * 0.4·5 = 8.6 J, of which the batch drew 0.6 + 2.0 J.
 */
static void test_governor_in_sim(void **state)
{
	(void)state;
	struct lv_cluster *c = tiny_cluster();
	struct lv_trace *t = hand_trace(1, (double[]){ 5 }, (uint32_t[]){ 1 }, NULL);
	struct lv_run_result r;
	struct rec rec;
	run(c, "round_robin", t, &r, &rec);
	assert_int_equal(rec.batches, 1);
	assert_near(rec.b[0].end_s, 5.6, 1e-9);
	assert_int_equal(rec.b[0].freq_hz, 200 * MHZ);
	assert_near(r.m.latency_p50_s, 0.6, 1e-9);
	assert_near(r.m.energy_j, 8.6, 1e-9);
	assert_near(rec.b[0].energy_j, 0.6 + 2.0, 1e-9);
	lv_run_result_fini(&r);
	lv_trace_free(t);
	lv_cluster_free(c);
}

/*
 * stress never sends a short batch: the lone frame (budget 2 s, at t=1)
 * expires at 1 + 2 + 30 s grace = 33 s, which ends the run. Idle energy:
 * 1 s at 2 W (the governor's hold), then 32 s at 1 W = 34 J; the bound is
 * the 33 J floor.
 */
static void test_expiry_ends_run(void **state)
{
	(void)state;
	struct lv_cluster *c = tiny_cluster();
	struct lv_trace *t = hand_trace(1, (double[]){ 1 }, (uint32_t[]){ 1 }, (double[]){ 2 });
	struct lv_run_result r;
	run(c, "stress", t, &r, NULL);
	assert_int_equal(r.m.expired, 1);
	assert_near(r.m.window_s, 33.0, 1e-9);
	assert_near(r.m.energy_j, 34.0, 1e-9);
	assert_near(r.m.bound.energy_j, 33.0, 1e-9);
	assert_true(r.m.energy_j >= r.m.bound.energy_j);
	assert_int_equal(r.timeline.n, 33);
	assert_near(r.timeline.cluster_w[0], 2.0, 1e-9); /* the first second, held at 2 W */
	assert_near(r.timeline.cluster_w[32], 1.0, 1e-9);
	lv_run_result_fini(&r);
	lv_trace_free(t);
	lv_cluster_free(c);
}

/*
 * A full queue rejects everything at arrival; the run ends at the last
 * request (3 s): 1 s held at 2 W, 2 s at 1 W.
 */
static void test_rejections(void **state)
{
	(void)state;
	struct lv_cluster *c = tiny_cluster();
	struct lv_trace *t = hand_trace(2, (double[]){ 0.5, 3 }, (uint32_t[]){ 2, 3 }, NULL);
	struct lv_sim_config cfg;
	lv_sim_config_default(&cfg);
	cfg.cluster = c;
	cfg.engine.max_queue = 0;
	struct lv_run_result r;
	assert_int_equal(lv_sim_run(&cfg, t, &r, NULL), 0);
	assert_int_equal(r.m.rejected, 5);
	assert_int_equal(r.m.requests_ok, 0);
	assert_near(r.m.window_s, 3.0, 1e-12);
	assert_near(r.m.energy_j, 2.0 + 2.0, 1e-9);
	lv_run_result_fini(&r);
	lv_trace_free(t);
	lv_cluster_free(c);
}

static void check_invariants(const struct lv_run_result *r, const struct lv_trace *t,
                             const struct rec *rec, const char *policy)
{
	uint64_t frames = 0;
	for (size_t i = 0; i < t->n; i++)
		frames += t->reqs[i].frames;
	const struct lv_engine_counts *n = &r->counts;
	uint64_t terminal = n->by_state[LV_FRAME_OK] + n->by_state[LV_FRAME_LATE] +
	                    n->by_state[LV_FRAME_FAILED] + n->by_state[LV_FRAME_EXPIRED] +
	                    n->by_state[LV_FRAME_REJECTED];
	if (n->received != frames || terminal != frames || n->by_state[LV_FRAME_QUEUED] ||
	    n->by_state[LV_FRAME_INFLIGHT] || r->m.frames != frames || rec->frames != frames)
		fail_msg("%s: frames lost: trace %llu, received %llu, terminal %llu", policy,
		         (unsigned long long)frames, (unsigned long long)n->received,
		         (unsigned long long)terminal);
	assert_int_equal(r->m.served, rec->batch_frames);
	if (!(r->m.energy_j >= r->m.bound.energy_j))
		fail_msg("%s: energy %.9g J below the bound %.9g J", policy, r->m.energy_j,
		         r->m.bound.energy_j);
	assert_true(r->m.bound_fraction > 0 && r->m.bound_fraction <= 1.0);
	double dev = 0, tl = 0;
	for (size_t i = 0; i < r->m.n_devices; i++)
		dev += r->m.devices[i].energy_j;
	for (size_t i = 0; i < r->timeline.n; i++) {
		double len = fmin(r->timeline.sample_s, r->m.window_s - i * r->timeline.sample_s);
		tl += r->timeline.cluster_w[i] * len;
	}
	assert_near(dev, r->m.energy_j, 1e-9 * r->m.energy_j);
	assert_near(tl, r->m.energy_j, 1e-6 * r->m.energy_j);
	assert_true(r->m.window_s >= t->reqs[t->n - 1].time_s);
}

static const char *const policies[] = {
	"loud",
	"loud:strictness=1",
	"transparent",
	"round_robin",
	"kind_round_robin",
	"fixed_batch:N=4,max_wait=1",
	"interval",
	"random",
	"stress",
};

static void test_invariants_many_runs(void **state)
{
	(void)state;
	struct lv_cluster *c = mixed_cluster();
	for (uint64_t seed = 1; seed <= 3; seed++) {
		struct lv_trace *t = gen_trace(seed, 3);
		for (size_t p = 0; p < sizeof(policies) / sizeof(policies[0]); p++) {
			struct lv_run_result r;
			struct rec rec;
			run(c, policies[p], t, &r, &rec);
			check_invariants(&r, t, &rec, policies[p]);
			lv_run_result_fini(&r);
		}
		lv_trace_free(t);
	}
	lv_cluster_free(c);
}

static void run_noisy(struct lv_cluster *c, const struct lv_trace *t, uint64_t seed,
                      struct lv_run_result *r, struct rec *rec)
{
	struct lv_sim_config cfg;
	lv_sim_config_default(&cfg);
	cfg.cluster = c;
	cfg.policy = "loud";
	cfg.seed = seed;
	cfg.noise = 0.2;
	memset(rec, 0, sizeof(*rec));
	cfg.on_frame = on_frame;
	cfg.on_batch = on_batch;
	cfg.cb_arg = rec;
	assert_int_equal(lv_sim_run(&cfg, t, r, NULL), 0);
}

/* Same inputs and seed: the same run, frame for frame; another noise seed: another run. */
static void test_determinism(void **state)
{
	(void)state;
	struct lv_cluster *c = mixed_cluster();
	struct lv_trace *t = gen_trace(7, 4);
	struct lv_run_result a, b, x;
	struct rec ra, rb, rx;
	run_noisy(c, t, 3, &a, &ra);
	run_noisy(c, t, 3, &b, &rb);
	run_noisy(c, t, 4, &x, &rx);
	assert_true(ra.hash == rb.hash);
	assert_int_equal(ra.batches, rb.batches);
	assert_true(a.m.energy_j == b.m.energy_j);
	assert_true(a.m.window_s == b.m.window_s);
	assert_true(a.m.latency_p95_s == b.m.latency_p95_s);
	assert_int_equal(a.m.ok, b.m.ok);
	assert_int_equal(a.instants, b.instants);
	assert_int_equal(a.timeline.n, b.timeline.n);
	assert_memory_equal(a.timeline.cluster_w, b.timeline.cluster_w,
	                    a.timeline.n * sizeof(double));
	assert_true(ra.hash != rx.hash);
	assert_true(a.m.energy_j != x.m.energy_j);
	lv_run_result_fini(&a);
	lv_run_result_fini(&b);
	lv_run_result_fini(&x);
	lv_trace_free(t);
	lv_cluster_free(c);
}

static void test_bad_config(void **state)
{
	(void)state;
	struct lv_cluster *c = tiny_cluster();
	struct lv_trace *t = hand_trace(1, (double[]){ 0 }, (uint32_t[]){ 1 }, NULL);
	struct lv_sim_config cfg;
	lv_sim_config_default(&cfg);
	cfg.cluster = c;
	struct lv_run_result r;
	char *why = NULL;
	cfg.policy = "nonesuch";
	assert_int_not_equal(lv_sim_run(&cfg, t, &r, &why), 0);
	assert_non_null(strstr(why, "nonesuch"));
	free(why);
	why = NULL;
	cfg.policy = "loud";
	cfg.noise = 1.5;
	assert_int_equal(lv_sim_run(&cfg, t, &r, &why), LV_EINVAL);
	assert_non_null(strstr(why, "noise"));
	free(why);
	why = NULL;
	cfg.noise = 0;
	struct lv_trace *back = hand_trace(2, (double[]){ 2, 1 }, (uint32_t[]){ 1, 1 }, NULL);
	assert_int_equal(lv_sim_run(&cfg, back, &r, &why), LV_EINVAL);
	assert_non_null(strstr(why, "request 1"));
	free(why);
	lv_trace_free(back);
	lv_trace_free(t);
	lv_cluster_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_frame),
		cmocka_unit_test(test_window_held_open),
		cmocka_unit_test(test_queue_wait),
		cmocka_unit_test(test_governor_in_sim),
		cmocka_unit_test(test_expiry_ends_run),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_invariants_many_runs),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_bad_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
