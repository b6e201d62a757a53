/*
 * cmd_demo: `loudva demo` (and plain `loudva`, and `make run`) — a short
 * simulated run that shows what the project is for: a generated workload of
 * a few cameras for a minute on the thesis cluster, scheduled by the
 * energy-aware `loud` policy and by `transparent` (no scheduler), compared
 * side by side in frames, frames per joule, QoS, latency, energy and the
 * share of the energy lower bound each reaches. Both runs are held to one
 * energy window (the longer of the two), so a policy that finishes later is
 * not charged idle time the other escapes.
 *
 * It uses the measured cost tables (prof mode) by default, so it needs no
 * predictor and finishes in well under a second; --mode pred runs the
 * thesis's predicted tables instead (training the predictor once if no cache
 * exists). Output depends only on the options, never on the wall clock.
 */
#include "commands.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "model/profile.h"
#include "sim/sim.h"
#include "model/trace.h"
#include "base/util.h"

static const char *const demo_policies[] = { "loud", "transparent" };
#define N_DEMO (sizeof(demo_policies) / sizeof(demo_policies[0]))

struct demo_opts {
	struct lv_cmd_costs costs;
	unsigned long long seed;
	long cameras;
	double duration_s;
};

#define O(field) offsetof(struct demo_opts, field)
static const struct lv_opt demo_opts[] = {
	{ .name = "cameras",
	  .kind = LV_OPT_LONG,
	  .offset = O(cameras),
	  .arg = "N",
	  .min = 1,
	  .max = 1000,
	  .help = "cameras [3]" },
	{ .name = "duration",
	  .kind = LV_OPT_DOUBLE,
	  .offset = O(duration_s),
	  .arg = "S",
	  .min = 5,
	  .max = 86400,
	  .what = "a number of seconds in 5..86400",
	  .help = "workload length, seconds [60]" },
	{ .name = "seed",
	  .kind = LV_OPT_U64,
	  .offset = O(seed),
	  .arg = "S",
	  .help = "trace seed [1]" },
	{ .kind = LV_OPT_INCLUDE, .offset = O(costs), .rows = lv_cmd_costs_opts },
	{ 0 },
};
#undef O

static const struct lv_opt_spec demo_spec = {
	.cmd = "demo",
	.about = "A short simulated run: generated cameras on the thesis cluster, scheduled by\n"
	         "loud (energy-aware) and by transparent (no scheduler), compared.",
	.opts = demo_opts,
};

/* The workload: every camera active for most of the run, random budgets. */
static struct lv_trace *demo_trace(const struct demo_opts *o, char **why)
{
	struct lv_trace_gen_params p;
	lv_trace_gen_defaults(&p);
	p.cameras = (int)o->cameras;
	p.seed = o->seed;
	p.duration_s = o->duration_s;
	p.windows = 2;
	p.min_active_s = o->duration_s / 3;
	p.max_active_s = o->duration_s;
	p.last_entry_s = o->duration_s / 3;
	p.budget_s = 0;
	return lv_trace_generate(&p, NULL, why);
}

static int run_one(struct lv_cluster *c, const struct lv_trace *t, const char *policy, double end_s,
                   struct lv_run_result *out)
{
	struct lv_sim_config cfg;
	char *why = NULL;
	lv_sim_config_default(&cfg);
	cfg.cluster = c;
	cfg.policy = policy;
	cfg.end_s = end_s;
	cfg.sample_s = 0;
	int rc = lv_sim_run(&cfg, t, out, &why);
	if (rc != LV_OK)
		fprintf(stderr, "loudva demo: %s: %s\n", policy, why);
	free(why);
	return rc;
}

/* "1 agx-xavier, 2 xavier-nx, 2 nano" */
static void print_kinds(const struct lv_cluster *c)
{
	for (size_t k = 0; k < c->n_kinds; k++) {
		size_t n = 0;
		for (size_t i = 0; i < c->n_devices; i++)
			n += c->devices[i].kind == (int)k;
		printf("%s%zu %s", k ? ", " : "", n, c->kinds[k].profile->kind);
	}
}

static void print_table(struct lv_run_result *r, size_t n)
{
	printf("%-12s %7s %9s %10s %12s %10s %9s\n", "policy", "served", "frames/J", "in budget",
	       "p95 latency", "energy J", "of bound");
	for (size_t i = 0; i < n; i++) {
		const struct lv_run_metrics *m = &r[i].m;
		printf("%-12s %7llu %9.3f %9.1f%% %10.2f s %10.1f %8.1f%%\n", r[i].policy,
		       (unsigned long long)m->served, m->frames_per_j, m->pct_frames_ok,
		       m->latency_p95_s, m->energy_j, 100.0 * m->bound_fraction);
	}
}

static void print_verdict(const struct lv_run_result *a, const struct lv_run_result *b)
{
	double x = a->m.frames_per_j / b->m.frames_per_j;
	if (!(x > 0) || !isfinite(x))
		return;
	printf("\n%s gets %.2fx the frames per joule of %s", a->policy, x, b->policy);
	if (a->m.served == b->m.served && b->m.energy_j > 0)
		printf(" (%.0f%% %s energy for the same frames)",
		       100.0 * fabs(1.0 - a->m.energy_j / b->m.energy_j),
		       a->m.energy_j <= b->m.energy_j ? "less" : "more");
	printf(".\n");
}

int lv_cmd_demo(int argc, char **argv)
{
	struct demo_opts o = { .costs = { LV_DEFAULT_CLUSTER, LV_DEFAULT_PREDICTOR_CACHE,
		                          LV_COST_PROF },
		               .seed = 1,
		               .cameras = 3,
		               .duration_s = 60 };
	struct lv_run_result res[N_DEMO];
	size_t done = 0;
	struct lv_cluster *c = NULL;
	struct lv_trace *t = NULL;
	char *why = NULL;
	int rc = lv_opts_parse(&demo_spec, argc, argv, &o);
	if (rc != 0)
		return rc == 1 ? LV_EXIT_OK : rc;

	c = lv_cmd_cluster("demo", &o.costs, &rc);
	if (!c)
		goto out;
	t = demo_trace(&o, &why);
	if (!t) {
		rc = lv_cmd_bad("demo", "%s", why);
		goto out;
	}
	/* Twice: the second time every run is held to the longest window of the first. */
	double end_s = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < done; i++)
			lv_run_result_fini(&res[i]);
		for (done = 0; done < N_DEMO; done++) {
			if (run_one(c, t, demo_policies[done], end_s, &res[done]) != LV_OK) {
				rc = LV_EXIT_FAIL;
				goto out;
			}
		}
		for (size_t i = 0; i < N_DEMO; i++)
			if (res[i].m.window_s > end_s)
				end_s = res[i].m.window_s;
	}

	struct lv_trace_stats st;
	lv_trace_stats(t, &st);
	printf("LoudVA demo (simulated): cluster '%s' of %zu Jetsons: ", c->name, c->n_devices);
	print_kinds(c);
	printf(".\nWorkload: %zu cameras over %.0f s send %zu requests, %llu frames, each request\n"
	       "with a latency budget of %.0f-%.0f s (seed %llu). Both policies get the same\n"
	       "frames; every Jetson is emulated from its measured profile (%s cost tables).\n"
	       "Energy counts every board, idle or busy, over the same %.1f s for both.\n\n",
	       st.cameras, o.duration_s, st.requests, (unsigned long long)st.frames,
	       st.budget_min_s, st.budget_max_s, o.seed, lv_cost_mode_name(o.costs.mode), end_s);
	print_table(res, N_DEMO);
	print_verdict(&res[0], &res[1]);
	printf(
	    "\nloud picks, for every batch, the device, GPU clock and batch size with the least\n"
	    "energy per frame that still meets the tightest deadline; transparent sends work\n"
	    "round the devices and leaves their clocks to the Jetson governor. \"of bound\" is\n"
	    "frames/J as a share of what no schedule can beat: every device idling at its\n"
	    "lowest power, every frame at the cheapest energy per frame in the cluster.\n"
	    "Next: loudva trace gen --out t.csv; loudva sim --trace t.csv --policy loud\n");
	rc = LV_EXIT_OK;
out:
	for (size_t i = 0; i < done; i++)
		lv_run_result_fini(&res[i]);
	free(why);
	lv_trace_free(t);
	lv_cluster_free(c);
	return rc;
}
