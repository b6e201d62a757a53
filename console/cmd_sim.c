/*
 * cmd_sim: `loudva sim` — one simulated run of a policy on a cluster and a
 * trace, summarised: frame outcomes, QoS, energy, frames per joule against
 * the lower bound, latency percentiles, and a per-device table; or the same
 * as JSON, with the keys and number format of an experiment's report.json
 * (experiment_report.c). The output depends only on the inputs and the seed (no wall
 * times), so two runs print the same bytes. Bad input — options, files,
 * policy parameters — is one line on stderr and exit 2; a run that cannot
 * complete (predictor training, a stuck simulation) is exit 1.
 */
#include "commands.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp/experiment.h"
#include "model/cluster.h"
#include "model/ctlmodel.h"
#include "model/profile.h"
#include "sim/sim.h"
#include "model/trace.h"
#include "base/file.h"
#include "base/util.h"

struct opts {
	const char *trace, *policy, *controller;
	struct lv_cmd_costs costs;
	unsigned long long seed;
	double noise, until_s;
	int lognormal, no_governor, json, thesis_acct;
};

#define O(field) offsetof(struct opts, field)
static const struct lv_opt sim_opts[] = {
	{ .name = "trace",
	  .kind = LV_OPT_STR,
	  .offset = O(trace),
	  .arg = "FILE",
	  .flags = LV_OPT_REQUIRED,
	  .help = "trace CSV (loudva trace gen makes one)" },
	{ .kind = LV_OPT_INCLUDE, .offset = O(costs), .rows = lv_cmd_costs_opts },
	{ .kind = LV_OPT_INCLUDE, .offset = O(policy), .rows = lv_cmd_policy_opts },
	{ .name = "seed",
	  .kind = LV_OPT_U64,
	  .offset = O(seed),
	  .arg = "S",
	  .help = "seed of the devices' latency noise [1]" },
	{ .name = "noise",
	  .kind = LV_OPT_DOUBLE,
	  .offset = O(noise),
	  .arg = "X",
	  .min = 0,
	  .max = INFINITY,
	  .help = "latency noise: uniform +-X, X < 1 [0]" },
	{ .name = "lognormal",
	  .kind = LV_OPT_SET,
	  .offset = O(lognormal),
	  .help = "draw the noise lognormal, sigma X" },
	{ .name = "no-governor",
	  .kind = LV_OPT_SET,
	  .offset = O(no_governor),
	  .help = "devices keep their clock unless the policy sets it" },
	{ .name = "until",
	  .kind = LV_OPT_DOUBLE,
	  .offset = O(until_s),
	  .arg = "S",
	  .min = 0,
	  .max = INFINITY,
	  .help = "count energy until at least S s (compare runs over one window)" },
	{ .name = "controller",
	  .kind = LV_OPT_STR,
	  .offset = O(controller),
	  .arg = "NAME",
	  .help = "the controller and the wire (profiles/controllers/NAME.json, or a .json path): "
	          "thesis-python, loudva [ideal]" },
	{ .name = "thesis-accounting",
	  .kind = LV_OPT_SET,
	  .offset = O(thesis_acct),
	  .help = "charge energy as the thesis's report.csv did (needs a --controller with "
	          "accounting)" },
	{ .kind = LV_OPT_INCLUDE, .offset = O(json), .rows = lv_cmd_json_opts },
	{ 0 },
};
#undef O

static const struct lv_opt_spec sim_spec = {
	.cmd = "sim",
	.about = "Replays a trace through the scheduling engine on emulated devices and\n"
	         "prints the run's frames, energy, frames per joule and latency.",
	.opts = sim_opts,
};

/* Parses argv into *o: 0, 1 after --help, or LV_EXIT_USAGE (message printed). */
static int parse(int argc, char **argv, struct opts *o)
{
	int rc = lv_opts_parse(&sim_spec, argc, argv, o);
	if (rc)
		return rc;
	if (!o->lognormal && o->noise >= 1)
		return lv_cmd_bad(
		    "sim", "--noise: %g must be below 1 for uniform noise (or add --lognormal)",
		    o->noise);
	if (o->noise > 3)
		return lv_cmd_bad("sim", "--noise: %g is above 3", o->noise);
	return 0;
}

/* ---- text output -------------------------------------------------------------- */

static double pct(uint64_t n, uint64_t of)
{
	return of ? 100.0 * (double)n / (double)of : 0.0;
}

static void print_text(const struct lv_cluster *c, const struct opts *o, const struct lv_trace *t,
                       const struct lv_run_result *r)
{
	const struct lv_run_metrics *m = &r->m;
	const struct lv_energy_bound *b = &m->bound;
	printf("%s on %s (%zu devices), %s mode, seed %llu, noise %g%s\n", r->policy, c->name,
	       c->n_devices, lv_cost_mode_name(r->mode), o->seed, o->noise,
	       o->noise > 0 ? (o->lognormal ? " lognormal" : " uniform") : "");
	printf("controller %s%s\n", o->controller ? o->controller : "ideal",
	       o->thesis_acct ? ", energy as the thesis's report.csv counted it" : "");
	printf("trace %s: %zu requests, %llu frames, %.3f s of run (energy window)\n\n", o->trace,
	       t->n, (unsigned long long)m->frames, m->window_s);
	printf("frames      %llu: ok %llu (%.1f%%), late %llu, failed %llu, expired %llu, rejected "
	       "%llu\n",
	       (unsigned long long)m->frames, (unsigned long long)m->ok, pct(m->ok, m->frames),
	       (unsigned long long)m->late, (unsigned long long)m->failed,
	       (unsigned long long)m->expired, (unsigned long long)m->rejected);
	printf("requests    %llu: within budget %llu (%.1f%%), fully served %llu\n",
	       (unsigned long long)m->requests, (unsigned long long)m->requests_ok,
	       pct(m->requests_ok, m->requests), (unsigned long long)m->requests_served);
	printf("energy      %.1f J (mean %.2f W)\n", m->energy_j,
	       m->window_s > 0 ? m->energy_j / m->window_s : 0.0);
	printf("frames/J    %.4f   requests/J %.4f\n", m->frames_per_j, m->requests_per_j);
	printf("bound       %.1f J = %.2f W idle floor × %.3f s + %llu frames × %.4f J each\n",
	       b->energy_j, b->idle_w, b->window_s, (unsigned long long)b->frames, b->marginal_j);
	printf("            %.4f frames/J at best; this run reaches %.1f%% of it\n",
	       b->frames_per_j, 100.0 * m->bound_fraction);
	if (m->served)
		printf("latency     p50 %.3f s, p95 %.3f s, p99 %.3f s (served frames)\n",
		       m->latency_p50_s, m->latency_p95_s, m->latency_p99_s);
	else
		printf("latency     no frame served\n");
	if (m->late)
		printf("late frames exceed their budget by %.3f s on average\n", m->mean_excess_s);
	printf("\n%-18s %-12s %8s %8s %6s %10s %10s\n", "device", "kind", "frames", "batches",
	       "busy", "avg MHz", "energy J");
	for (size_t i = 0; i < m->n_devices; i++) {
		const struct lv_device_metrics *d = &m->devices[i];
		printf("%-18s %-12s %8llu %8llu %5.1f%% %10.1f %10.1f\n", d->name,
		       c->kinds[d->kind].profile->kind, (unsigned long long)d->frames,
		       (unsigned long long)d->batches,
		       m->window_s > 0 ? 100.0 * d->busy_s / m->window_s : 0.0,
		       d->avg_freq_hz / 1e6, d->energy_j);
	}
}

/* ---- JSON output -------------------------------------------------------------- */

/*
 * The run's identity, then its figures as report.json's runs hold them
 * (lv_exp_metrics_json: one column table, one spelling), the bound's
 * derivation, and the devices.
 */
static void print_json(const struct lv_cluster *c, const struct opts *o,
                       const struct lv_run_result *r)
{
	const struct lv_run_metrics *m = &r->m;
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "policy", r->policy);
	cJSON_AddStringToObject(j, "cluster", c->name);
	cJSON_AddStringToObject(j, "trace", o->trace);
	cJSON_AddStringToObject(j, "mode", lv_cost_mode_name(r->mode));
	lv_exp_json_num(j, "seed", (double)o->seed);
	lv_exp_json_num(j, "noise", o->noise);
	lv_exp_metrics_json(j, m, &r->counts);
	cJSON *b = cJSON_AddObjectToObject(j, "bound");
	lv_exp_json_num(b, "idle_w", m->bound.idle_w);
	lv_exp_json_num(b, "marginal_j_per_frame", m->bound.marginal_j);
	lv_exp_devices_json(j, c, m);
	char *s = cJSON_Print(j);
	puts(s);
	free(s);
	cJSON_Delete(j);
}

int lv_cmd_sim(int argc, char **argv)
{
	struct opts o = { .policy = "loud",
		          .costs = { LV_DEFAULT_CLUSTER, LV_DEFAULT_PREDICTOR_CACHE, LV_COST_PRED },
		          .seed = 1 };
	struct lv_cluster *c = NULL;
	struct lv_trace *t = NULL;
	char *why = NULL;
	int rc = parse(argc, argv, &o);
	if (rc != 0)
		return rc == 1 ? LV_EXIT_OK : rc;

	struct lv_run_result r;
	memset(&r, 0, sizeof(r));
	char *trace = lv_cmd_data(o.trace);
	t = lv_trace_load(trace, &why);
	free(trace);
	if (!t) {
		rc = lv_cmd_bad("sim", "%s", why);
		goto out;
	}
	c = lv_cmd_cluster("sim", &o.costs, &rc);
	if (!c)
		goto out;
	struct lv_sim_config cfg;
	lv_sim_config_default(&cfg);
	cfg.cluster = c;
	cfg.policy = o.policy;
	cfg.seed = o.seed;
	cfg.noise = o.noise;
	cfg.noise_kind = o.lognormal ? LV_NOISE_LOGNORMAL : LV_NOISE_UNIFORM;
	cfg.governor = !o.no_governor;
	cfg.end_s = o.until_s;
	cfg.sample_s = 0; /* no timeline to show */
	struct lv_ctl_model ctl;
	if (o.controller) {
		/* names are looked up beside the cluster file's profiles */
		char *cl = lv_cmd_data(o.costs.cluster);
		char *dir = lv_path_dirname(cl);
		free(cl);
		char *profiles = lv_path_join(dir, "..");
		rc = lv_ctl_model_find(profiles, o.controller, &ctl, &why);
		free(profiles);
		free(dir);
		if (rc != LV_OK) {
			rc = lv_cmd_bad("sim", "--controller: %s", why);
			goto out;
		}
		cfg.ctl = &ctl;
	}
	cfg.thesis_acct = o.thesis_acct;
	rc = lv_sim_run(&cfg, t, &r, &why);
	if (rc != LV_OK) {
		rc = rc == LV_ESTATE ? LV_EXIT_FAIL : lv_cmd_bad("sim", "%s", why);
		if (rc == LV_EXIT_FAIL)
			fprintf(stderr, "loudva sim: %s\n", why);
		goto out;
	}
	if (o.json)
		print_json(c, &o, &r);
	else
		print_text(c, &o, t, &r);
	rc = LV_EXIT_OK;
out:
	lv_run_result_fini(&r);
	free(why);
	lv_trace_free(t);
	lv_cluster_free(c);
	return rc;
}
