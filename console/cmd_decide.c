/*
 * cmd_decide: `loudva decide` — what would the scheduler do now, and why.
 *
 * Builds the cluster's cost tables in the chosen mode, applies the operator's
 * --clock/--busy/--down settings, and asks the policy once through
 * lv_policy_decide with an explanation sink: the answer comes from the very
 * code path the engine runs, not from a second implementation.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "cmdline.h"
#include "commands.h"
#include "sched/policy.h"
#include "model/profile.h"
#include "base/util.h"

/* A --clock, --busy or --down, applied once the cluster is loaded. */
struct device_arg {
	const char *opt;       /* "clock", "busy" or "down" */
	const char *value;     /* as given: "nano-00=921600000", "nano-01" */
	unsigned long long hz; /* --clock's */
};

struct opts {
	struct lv_cmd_costs costs;
	const char *policy;
	long queue, alts;
	double remaining, oldest;
	int json;
	struct device_arg *devs; /* caller frees */
	size_t n_devs;
};

/* --clock DEVICE=MHZ, --busy DEVICE, --down DEVICE: noted in order (field: struct opts). */
static int device_opt(const struct lv_opt *opt, void *field, const char *value, char **why)
{
	struct opts *o = field;
	struct device_arg d = { opt->name, value, 0 };
	(void)why;
	if (!strcmp(opt->name, "clock")) {
		const char *eq = strchr(value, '=');
		uint64_t hz;
		if (!eq || eq == value || lv_cmd_parse_hz(eq + 1, &hz) != LV_OK)
			return LV_EINVAL;
		d.hz = hz;
	}
	o->devs = lv_xrealloc(o->devs, (o->n_devs + 1) * sizeof(*o->devs));
	o->devs[o->n_devs++] = d;
	return LV_OK;
}

#define O(field) offsetof(struct opts, field)
static const struct lv_opt decide_opts[] = {
	{ .name = "queue",
	  .kind = LV_OPT_LONG,
	  .offset = O(queue),
	  .arg = "N",
	  .flags = LV_OPT_REQUIRED,
	  .min = 1,
	  .max = INFINITY,
	  .what = "a whole number of frames >= 1",
	  .help = "frames waiting" },
	{ .name = "remaining",
	  .kind = LV_OPT_DOUBLE,
	  .offset = O(remaining),
	  .arg = "S",
	  .flags = LV_OPT_REQUIRED,
	  .what = "a number of seconds",
	  .help = "seconds left until the tightest deadline (<= 0: already late)" },
	{ .kind = LV_OPT_INCLUDE, .offset = O(costs), .rows = lv_cmd_costs_opts },
	{ .kind = LV_OPT_INCLUDE, .offset = O(policy), .rows = lv_cmd_policy_opts },
	{ .name = "clock",
	  .kind = LV_OPT_FN,
	  .arg = "DEVICE=MHZ",
	  .what = "DEVICE=MHZ (921.6, 921.6MHz, or Hz)",
	  .set = device_opt,
	  .help = "the device's current GPU clock, MHz, to its nearest step (repeatable)" },
	{ .name = "busy",
	  .kind = LV_OPT_FN,
	  .arg = "DEVICE",
	  .set = device_opt,
	  .help = "one batch in flight on DEVICE (repeat for more)" },
	{ .name = "down",
	  .kind = LV_OPT_FN,
	  .arg = "DEVICE",
	  .set = device_opt,
	  .help = "DEVICE is down (repeatable)" },
	{ .name = "oldest",
	  .kind = LV_OPT_DOUBLE,
	  .offset = O(oldest),
	  .arg = "S",
	  .min = 0,
	  .max = INFINITY,
	  .what = "a non-negative number of seconds",
	  .help = "age of the oldest queued frame, s [0]" },
	{ .name = "alternatives",
	  .kind = LV_OPT_LONG,
	  .offset = O(alts),
	  .arg = "K",
	  .min = 0,
	  .max = LV_EXPLAIN_MAX_ALTS,
	  .help = "alternatives to show [5]" },
	{ .kind = LV_OPT_INCLUDE, .offset = O(json), .rows = lv_cmd_json_opts },
	{ 0 },
};
#undef O

static const struct lv_opt_spec decide_spec = {
	.cmd = "decide",
	.about = "What would the scheduler do now, and why.",
	.opts = decide_opts,
};

static int device_arg(const struct lv_cluster *c, const char *opt, const char *name)
{
	int i = lv_cluster_find(c, name);
	if (i < 0)
		fprintf(stderr, "loudva decide: %s: no device '%s' in cluster '%s'\n", opt, name,
		        c->name);
	return i;
}

/* The --clock, --busy and --down settings, once the cluster is loaded. */
static int apply_device_opts(struct lv_cluster *c, const struct opts *o)
{
	for (size_t i = 0; i < o->n_devs; i++) {
		const struct device_arg *a = &o->devs[i];
		char opt[16];
		snprintf(opt, sizeof(opt), "--%s", a->opt);
		if (a->opt[0] != 'c') {
			int d = device_arg(c, opt, a->value);
			if (d < 0)
				return LV_EXIT_USAGE;
			if (a->opt[0] == 'b')
				c->devices[d].inflight++;
			else
				c->devices[d].state = LV_DEV_DOWN;
			continue;
		}
		const char *eq = strchr(a->value, '=');
		char *name = lv_xasprintf("%.*s", (int)(eq - a->value), a->value);
		int d = device_arg(c, opt, name);
		free(name);
		if (d < 0)
			return LV_EXIT_USAGE;
		const struct lv_profile *p = lv_device_profile(c, &c->devices[d]);
		uint64_t hz = 0;
		char note[96], err[240];
		if (lv_cmd_clock_resolve(eq + 1, p->freqs_hz, p->n_freqs, &hz, note, sizeof(note),
		                         err, sizeof(err)) != LV_OK) {
			fprintf(stderr, "loudva decide: --clock %s: %s (%s)\n", a->value, err,
			        p->kind);
			return LV_EXIT_USAGE;
		}
		if (note[0])
			fprintf(stderr, "loudva decide: --clock %s: %s\n", a->value, note);
		c->devices[d].freq_hz = hz;
	}
	return LV_EXIT_OK;
}

static double mhz(uint64_t hz)
{
	return (double)hz / 1e6;
}

static void print_table(const struct lv_cluster *c, const struct lv_policy *p, const struct opts *o,
                        const struct lv_decision *d, const struct lv_explain *ex)
{
	printf("%s on %s (%s mode): %ld frames queued, %.3f s to the tightest deadline\n", p->label,
	       c->name, lv_cost_mode_name(o->costs.mode), o->queue, o->remaining);
	if (ex->has_choice) {
		const struct lv_dispatch *x = d->has_dispatch ? &d->dispatch : &ex->choice;
		printf("%s %d frames on %s at %.2f MHz%s\n",
		       d->has_dispatch ? "dispatch" : "wait; would dispatch", x->batch,
		       c->devices[x->device].name,
		       mhz(x->freq_hz ? x->freq_hz : c->devices[x->device].freq_hz),
		       x->freq_hz ? "" : " (its current clock, left to the device)");
		printf("  expected latency %.3f s, energy per frame %.4f J\n",
		       x->expected_latency_s, x->energy_per_frame_j);
	} else if (d->has_dispatch) {
		const struct lv_dispatch *x = &d->dispatch;
		printf("dispatch %d frames on %s at %s\n", x->batch, c->devices[x->device].name,
		       x->freq_hz ? "the chosen clock" : "its current clock");
	} else if (d->reject > 0) {
		printf("reject %d frame%s at the head of the queue: %s\n", d->reject,
		       d->reject == 1 ? "" : "s", d->reject_reason);
	} else {
		printf("no dispatch\n");
	}
	printf("  why: %s\n", ex->why[0] ? ex->why : "(the policy gave no reason)");
	for (size_t i = 0; i < d->n_clocks; i++)
		printf("  set clock: %s to %.2f MHz\n", c->devices[d->clocks[i].device].name,
		       mhz(d->clocks[i].freq_hz));
	if (ex->n_alts == 0)
		return;
	printf("alternatives:\n  %-16s %9s %6s %10s %9s  %s\n", "device", "MHz", "batch",
	       "expected s", "J/frame", "why it lost");
	for (size_t i = 0; i < ex->n_alts; i++) {
		const struct lv_explain_alt *a = &ex->alts[i];
		if (a->batch == 0)
			printf("  %-16s %9.2f %6s %10s %9s  %s\n", c->devices[a->device].name,
			       mhz(a->freq_hz), "-", "-", "-", a->reason);
		else
			printf("  %-16s %9.2f %6d %10.3f %9.4f  %s\n", c->devices[a->device].name,
			       mhz(a->freq_hz), a->batch, a->expected_latency_s,
			       a->energy_per_frame_j, a->reason);
	}
}

static void print_json(const struct lv_cluster *c, const struct lv_policy *p, const struct opts *o,
                       const struct lv_decision *d, const struct lv_explain *ex)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "policy", p->label);
	cJSON_AddStringToObject(j, "cluster", c->name);
	cJSON_AddStringToObject(j, "mode", lv_cost_mode_name(o->costs.mode));
	cJSON_AddNumberToObject(j, "queue", (double)o->queue);
	cJSON_AddNumberToObject(j, "remaining_s", o->remaining);
	const struct lv_dispatch *x = d->has_dispatch  ? &d->dispatch
	                              : ex->has_choice ? &ex->choice
	                                               : NULL;
	if (x) {
		cJSON_AddStringToObject(j, "device", c->devices[x->device].name);
		cJSON_AddNumberToObject(j, "freq_hz", (double)x->freq_hz);
		cJSON_AddNumberToObject(j, "batch", x->batch);
		cJSON_AddNumberToObject(j, "expected_latency_s", x->expected_latency_s);
		cJSON_AddNumberToObject(j, "energy_per_frame_j", x->energy_per_frame_j);
	} else {
		cJSON_AddNullToObject(j, "device");
	}
	cJSON_AddBoolToObject(j, "dispatch", d->has_dispatch);
	cJSON_AddBoolToObject(j, "wait", !d->has_dispatch && d->reject == 0);
	cJSON_AddNumberToObject(j, "reject", d->reject);
	if (d->reject > 0)
		cJSON_AddStringToObject(j, "reject_reason", d->reject_reason);
	cJSON_AddBoolToObject(j, "fallback", ex->fallback);
	cJSON_AddStringToObject(j, "why", ex->why);
	cJSON_AddNumberToObject(j, "considered", (double)ex->n_considered);
	cJSON_AddNumberToObject(j, "feasible", (double)ex->n_feasible);
	if (isfinite(d->next_s))
		cJSON_AddNumberToObject(j, "ask_again_in_s", d->next_s);
	cJSON *clocks = cJSON_AddArrayToObject(j, "clocks");
	for (size_t i = 0; i < d->n_clocks; i++) {
		cJSON *k = cJSON_CreateObject();
		cJSON_AddStringToObject(k, "device", c->devices[d->clocks[i].device].name);
		cJSON_AddNumberToObject(k, "freq_hz", (double)d->clocks[i].freq_hz);
		cJSON_AddItemToArray(clocks, k);
	}
	cJSON *alts = cJSON_AddArrayToObject(j, "alternatives");
	for (size_t i = 0; i < ex->n_alts; i++) {
		const struct lv_explain_alt *a = &ex->alts[i];
		cJSON *k = cJSON_CreateObject();
		cJSON_AddStringToObject(k, "device", c->devices[a->device].name);
		cJSON_AddNumberToObject(k, "freq_hz", (double)a->freq_hz);
		if (a->batch > 0) {
			cJSON_AddNumberToObject(k, "batch", a->batch);
			cJSON_AddNumberToObject(k, "expected_latency_s", a->expected_latency_s);
			cJSON_AddNumberToObject(k, "energy_per_frame_j", a->energy_per_frame_j);
		}
		cJSON_AddStringToObject(k, "reason", a->reason);
		cJSON_AddItemToArray(alts, k);
	}
	char *s = cJSON_Print(j);
	puts(s);
	free(s);
	cJSON_Delete(j);
}

int lv_cmd_decide(int argc, char **argv)
{
	struct opts o = { .costs = { LV_DEFAULT_CLUSTER, LV_DEFAULT_PREDICTOR_CACHE, LV_COST_PRED },
		          .policy = "loud",
		          .alts = 5 };
	int rc = lv_opts_parse(&decide_spec, argc, argv, &o);
	if (rc != LV_EXIT_OK) {
		free(o.devs);
		return rc == LV_OPTS_HELP ? LV_EXIT_OK : rc;
	}

	char *why = NULL;
	struct lv_cluster *c = NULL;
	struct lv_policy *p = NULL;
	struct lv_clock_set *clocks = NULL;

	c = lv_cmd_cluster("decide", &o.costs, &rc);
	if (!c)
		goto out;
	rc = apply_device_opts(c, &o);
	if (rc != LV_EXIT_OK)
		goto out;
	p = lv_policy_new(o.policy, c, &why);
	if (!p) {
		rc = LV_EXIT_USAGE;
		goto out;
	}

	/* The decision is taken at now = o.oldest, so the oldest frame arrived at 0. */
	double now = o.oldest;
	struct lv_view v = { .cluster = c,
		             .queue_len = (size_t)o.queue,
		             .min_deadline_s = now + o.remaining,
		             .oldest_arrival_s = 0.0,
		             .head_arrival_s = 0.0, /* the oldest is also the tightest */
		             .arrived_budget_s = INFINITY };
	for (size_t i = 0; i < c->n_devices; i++)
		c->devices[i].idle_since_s = now;
	clocks = lv_xcalloc(c->n_devices, sizeof(*clocks));
	struct lv_decision d = { .clocks = clocks, .cap_clocks = c->n_devices };
	struct lv_explain ex = { .max_alts = (size_t)o.alts };
	lv_policy_decide(p, &v, now, &d, &ex);
	if (d.has_dispatch && !ex.has_choice) {
		ex.has_choice = 1;
		ex.choice = d.dispatch;
	}
	if (o.alts == 0)
		ex.n_alts = 0;
	if (o.json)
		print_json(c, p, &o, &d, &ex);
	else
		print_table(c, p, &o, &d, &ex);
	rc = LV_EXIT_OK;
out:
	if (why)
		fprintf(stderr, "loudva decide: %s\n", why);
	free(why);
	free(clocks);
	free(o.devs);
	lv_policy_free(p);
	lv_cluster_free(c);
	return rc;
}
