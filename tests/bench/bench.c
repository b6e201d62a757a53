/*
 * bench: `make bench` — the figures the issues ask for, one line each, name
 * first, then values with units. Timing uses CLOCK_MONOTONIC around single
 * calls and reports medians and p99s, because these machines are shared and
 * noisy: a median over many samples is stable where a mean is not. Nothing
 * here passes or fails; the figures go into the issue notes.
 *
 * Run from the repository root (profiles/ and its predictor cache). With
 * arguments, runs only the benchmarks so named (see benches[] below), e.g.
 * `build/rel/loudva-bench image frontend dispatch`.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_dispatch.h"
#include "bench_frontend.h"
#include "bench_views.h"
#include "model/cluster.h"
#include "model/cost.h"
#include "sched/policy.h"
#include "model/predictor.h"
#include "model/profile.h"
#include "base/rng.h"
#include "model/ctlmodel.h"
#include "sim/sim.h"
#include "model/trace.h"
#include "base/clock.h"
#include "base/util.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double quantile(double *v, size_t n, double q)
{
	qsort(v, n, sizeof(*v), cmp_double);
	size_t i = (size_t)(q * (double)(n - 1) + 0.5);
	return v[i];
}

static void die(const char *what, char *why)
{
	fprintf(stderr, "bench: %s: %s\n", what, why ? why : "failed");
	free(why);
	exit(1);
}

/* Times `samples` single decisions of policy p on c with n queued, r remaining. */
static void time_decisions(const char *name, struct lv_cluster *c, struct lv_policy *p, size_t n,
                           double r, size_t samples, int explain)
{
	double *t = lv_xmalloc(samples * sizeof(double));
	struct lv_clock_set *clocks = lv_xmalloc(c->n_devices * sizeof(*clocks));
	struct lv_view v = { c, n, r, 0, 0, INFINITY };
	size_t dispatched = 0;
	for (size_t i = 0; i < samples; i++) {
		struct lv_decision d = { .clocks = clocks, .cap_clocks = c->n_devices };
		struct lv_explain ex = { .max_alts = 5 };
		double t0 = lv_mono_s();
		lv_policy_decide(p, &v, 0, &d, explain ? &ex : NULL);
		t[i] = lv_mono_s() - t0;
		dispatched += (size_t)d.has_dispatch;
	}
	double med = quantile(t, samples, 0.5), p99 = quantile(t, samples, 0.99);
	printf("%s queue=%zu: median %.2f us, p99 %.2f us (%zu samples, %s)\n", name, n, med * 1e6,
	       p99 * 1e6, samples, dispatched ? "dispatching" : "waiting");
	free(t);
	free(clocks);
}

static struct lv_profile *load_profile(const char *kind)
{
	char *why = NULL;
	char *path = lv_xasprintf("profiles/%s.json", kind);
	struct lv_profile *p = lv_profile_load(path, &why);
	if (!p)
		die(path, why);
	free(path);
	return p;
}

static void bench_thesis(void)
{
	char *why = NULL;
	struct lv_cluster *c = lv_cluster_load("profiles/clusters/thesis.json", &why);
	if (!c)
		die("thesis cluster", why);
	if (lv_cluster_build_costs(c, LV_COST_PRED, NULL, &why) != LV_OK)
		die("cost tables", why);
	struct lv_policy *p = lv_policy_new("loud", c, &why);
	static const size_t queues[] = { 1, 8, 32, 64 };
	for (size_t i = 0; i < 4; i++)
		time_decisions("loud decision thesis pred", c, p, queues[i], 2.0, 20000, 0);
	time_decisions("loud decision thesis pred, explained (full scan)", c, p, 64, 2.0, 5000, 1);
	printf("reference: the thesis's Python scheduler takes about 850 us for the queue=64 "
	       "decision\n");
	lv_policy_free(p);
	lv_cluster_free(c);
}

/* 1,000 devices sized from the thesis's 1:2:2 mix (200 AGX Xavier, 400 NX, 400 Nano). */
static struct lv_cluster *thousand_devices(void)
{
	char *why = NULL;
	struct lv_profile *ps[3] = { load_profile("agx-xavier"), load_profile("xavier-nx"),
		                     load_profile("nano") };
	size_t counts[3] = { 200, 400, 400 };
	struct lv_cluster *c = lv_cluster_new_from_profiles(ps, counts, 3);
	if (lv_cluster_build_costs(c, LV_COST_PRED, NULL, &why) != LV_OK)
		die("cost tables", why);
	return c;
}

/* The 1,000-device cluster with each device at a random clock of its kind. */
static void bench_thousand(void)
{
	char *why = NULL;
	struct lv_cluster *c = thousand_devices();
	struct lv_rng rng;
	lv_rng_seed(&rng, 1);
	for (size_t i = 0; i < c->n_devices; i++) {
		const struct lv_profile *pr = lv_device_profile(c, &c->devices[i]);
		c->devices[i].freq_hz = pr->freqs_hz[lv_rng_below(&rng, pr->n_freqs)];
		c->devices[i].inflight = (int)lv_rng_below(&rng, 3); /* a third are full */
	}
	struct lv_policy *p = lv_policy_new("loud", c, &why);
	time_decisions("loud decision 1000 devices pred", c, p, 64, 2.0, 2000, 0);
	time_decisions("loud decision 1000 devices pred, explained (full scan)", c, p, 64, 2.0, 200,
	               1);
	lv_policy_free(p);
	lv_cluster_free(c);
}

static void bench_predictor(void)
{
	char *why = NULL;
	struct lv_profile *ps[3] = { load_profile("agx-xavier"), load_profile("xavier-nx"),
		                     load_profile("nano") };
	size_t n = 0;
	struct lv_pred_sample *s =
	    lv_predictor_samples((const struct lv_profile *const *)ps, 3, &n);
	struct lv_predictor_params pp;
	lv_predictor_params_default(&pp);
	double t[3];
	struct lv_predictor *pred = NULL;
	for (int i = 0; i < 3; i++) {
		lv_predictor_free(pred);
		double t0 = lv_mono_s();
		pred = lv_predictor_train(s, n, &pp, &why);
		t[i] = lv_mono_s() - t0;
		if (!pred)
			die("training", why);
	}
	printf(
	    "predictor training: median %.3f s over 3 runs (%zu samples, %d rounds x 2 models)\n",
	    quantile(t, 3, 0.5), n, pp.rounds);

	double tb[5];
	size_t bytes = 0, cells = 0;
	for (int i = 0; i < 5; i++) {
		double t0 = lv_mono_s();
		struct lv_cost_table *tab[3];
		for (int k = 0; k < 3; k++)
			tab[k] = lv_cost_table_build(ps[k], pred, LV_COST_PRED, &why);
		tb[i] = lv_mono_s() - t0;
		bytes = cells = 0;
		for (int k = 0; k < 3; k++) {
			if (!tab[k])
				die("cost table", why);
			bytes += lv_cost_table_bytes(tab[k]);
			cells += tab[k]->n_freqs * (size_t)tab[k]->max_batch;
			lv_cost_table_free(tab[k]);
		}
	}
	printf("cost tables (3 kinds, pred): build median %.2f ms, %zu cells, %.1f KiB\n",
	       quantile(tb, 5, 0.5) * 1e3, cells, (double)bytes / 1024.0);
	lv_predictor_free(pred);
	free(s);
	for (int k = 0; k < 3; k++)
		lv_profile_free(ps[k]);
}

/* One simulated run in this process; prints wall time and simulated seconds per wall second. */
static void sim_once(const char *name, struct lv_cluster *c, int cameras, double duration_s,
                     const char *policy, const struct lv_ctl_model *ctl)
{
	char *why = NULL;
	struct lv_trace_gen_params gp;
	lv_trace_gen_defaults(&gp);
	gp.cameras = cameras;
	gp.duration_s = duration_s;
	gp.windows = 20;
	gp.min_active_s = duration_s / 60;
	gp.max_active_s = duration_s / 6;
	gp.last_entry_s = duration_s * 5 / 6;
	struct lv_trace *t = lv_trace_generate(&gp, NULL, &why);
	if (!t)
		die("trace", why);
	uint64_t frames = 0;
	for (size_t i = 0; i < t->n; i++)
		frames += t->reqs[i].frames;
	struct lv_sim_config cfg;
	lv_sim_config_default(&cfg);
	cfg.cluster = c;
	cfg.policy = policy;
	cfg.ctl = ctl;
	cfg.sample_s = 1.0;
	cfg.device_timeline = 0;
	struct lv_run_result r;
	double t0 = lv_mono_s();
	if (lv_sim_run(&cfg, t, &r, &why) != LV_OK)
		die("sim", why);
	double wall = lv_mono_s() - t0;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("%s: %.3f s wall for %.0f simulated s (%.0f sim-s per wall-s), %llu frames, "
	       "peak RSS %.1f MiB\n",
	       name, wall, duration_s, duration_s / wall, (unsigned long long)frames,
	       (double)ru.ru_maxrss / 1024.0);
	lv_run_result_fini(&r);
	lv_trace_free(t);
}

/* Runs fn in a child so its peak memory is its own. */
static void in_child(void (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		fn();
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
}

static void bench_sim_thesis(void)
{
	char *why = NULL;
	struct lv_cluster *c = lv_cluster_load("profiles/clusters/thesis.json", &why);
	if (!c || lv_cluster_build_costs(c, LV_COST_PRED, NULL, &why) != LV_OK)
		die("thesis cluster", why);
	sim_once("sim thesis cluster, loud(pred), 20 cameras, 1 simulated hour", c, 20, 3600,
	         "loud", NULL);
	/* The twin with a controller model: its stages cost events of their own. */
	static const char *const ctls[] = { "thesis-python", "loudva" };
	for (size_t i = 0; i < 2; i++) {
		struct lv_ctl_model m;
		if (lv_ctl_model_find("profiles", ctls[i], &m, &why) != LV_OK)
			die("controller", why);
		char name[160];
		snprintf(
		    name, sizeof(name),
		    "sim thesis cluster, eco(pred), 20 cameras, 1 simulated hour, %s controller",
		    ctls[i]);
		sim_once(name, c, 20, 3600, "eco", &m);
	}
	lv_cluster_free(c);
}

static void bench_sim_thousand(void)
{
	struct lv_cluster *c = thousand_devices();
	sim_once("sim 1000 devices, loud(pred), 1000 cameras, 10 simulated minutes", c, 1000, 600,
	         "loud", NULL);
	lv_cluster_free(c);
}

/* The benchmarks by name, in the order `make bench` runs them. */
struct bench {
	const char *name;
	void (*run)(void);
};

static void sim_thesis(void)
{
	in_child(bench_sim_thesis);
}

static void sim_thousand(void)
{
	in_child(bench_sim_thousand);
}

/* clang-format off */
static const struct bench benches[] = {
	{ "thesis", bench_thesis },
	{ "thousand", bench_thousand },
	{ "predictor", bench_predictor },
	{ "sim-thesis", sim_thesis },
	{ "sim-thousand", sim_thousand },
	{ "image", lv_bench_image },
	{ "frontend", lv_bench_frontend },
	{ "views", lv_bench_views },
	{ "dispatch", lv_bench_dispatch },
	{ "wire", lv_bench_wire },
};
/* clang-format on */

#define N_BENCHES (sizeof(benches) / sizeof(benches[0]))

/* With no arguments, every benchmark; else only those named (`loudva-bench image frontend`). */
int main(int argc, char **argv)
{
	for (int a = 1; a < argc; a++) {
		size_t i = 0;
		while (i < N_BENCHES && strcmp(argv[a], benches[i].name) != 0)
			i++;
		if (i == N_BENCHES) {
			fprintf(stderr, "bench: no benchmark '%s'; there are:", argv[a]);
			for (i = 0; i < N_BENCHES; i++)
				fprintf(stderr, " %s", benches[i].name);
			fprintf(stderr, "\n");
			return 2;
		}
	}
	for (size_t i = 0; i < N_BENCHES; i++) {
		int want = argc == 1;
		for (int a = 1; a < argc && !want; a++)
			want = !strcmp(argv[a], benches[i].name);
		if (want)
			benches[i].run();
	}
	return 0;
}
