/*
 * cmd_decide: `loudva decide` — what would the scheduler do now, and why.
 *
 * Builds the cluster's cost tables in the chosen mode, applies the operator's
 * --clock/--busy/--down settings, and asks the policy once through
 * lv_policy_decide with an explanation sink: the answer comes from the very
 * code path the engine runs, not from a second implementation.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "commands.h"
#include "sched/policy.h"
#include "model/profile.h"
#include "base/util.h"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: loudva decide --queue N --remaining S [options]\n"
	    "\n"
	    "What would the scheduler do now, and why.\n"
	    "\n"
	    "  --cluster FILE       cluster file [" LV_DEFAULT_CLUSTER "]\n"
	    "  --queue N            frames waiting (N >= 1)\n"
	    "  --remaining S        seconds left until the tightest deadline (<= 0: already late)\n"
	    "  --mode pred|fill|prof  cost table: predicted, measured+predicted, measured only "
	    "[pred]\n"
	    "  --policy NAME[:k=v,...]  policy and parameters [loud]\n"
	    "  --clock DEVICE=HZ    the device's current GPU clock (repeatable)\n"
	    "  --busy DEVICE        one batch in flight on DEVICE (repeat for more)\n"
	    "  --down DEVICE        DEVICE is down (repeatable)\n"
	    "  --oldest S           age of the oldest queued frame, s [0]\n"
	    "  --alternatives K     alternatives to show [5]\n"
	    "  --predictor FILE     predictor cache [" LV_DEFAULT_PREDICTOR_CACHE "]\n"
	    "  --json               machine-readable output\n");
}

struct opts {
	const char *cluster, *policy, *predictor;
	long queue;
	double remaining, oldest;
	int have_queue, have_remaining, json;
	long alts;
	enum lv_cost_mode mode;
};

static int device_arg(const struct lv_cluster *c, const char *opt, const char *name)
{
	int i = lv_cluster_find(c, name);
	if (i < 0)
		fprintf(stderr, "loudva decide: %s: no device '%s' in cluster '%s'\n", opt, name,
		        c->name);
	return i;
}

/* Second pass over the arguments: the per-device settings, once the cluster is loaded. */
static int apply_device_opts(struct lv_cluster *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--clock") && v) {
			char *name = lv_xstrdup(v);
			char *eq = strchr(name, '=');
			unsigned long long hz = 0;
			int rc = LV_EXIT_OK;
			if (!eq || lv_parse_u64(eq + 1, &hz) != LV_OK) {
				rc = lv_cmd_bad("decide", "--clock %s: expected DEVICE=HZ", v);
			} else {
				*eq = '\0';
				int d = device_arg(c, "--clock", name);
				if (d < 0) {
					rc = LV_EXIT_USAGE;
				} else {
					const struct lv_profile *p =
					    lv_device_profile(c, &c->devices[d]);
					if (lv_profile_freq_index(p, hz) < 0) {
						fprintf(
						    stderr,
						    "loudva decide: --clock %s: %llu Hz is not a "
						    "clock of %s (from %llu to %llu Hz; see loudva "
						    "profile show %s)\n",
						    v, hz, p->kind,
						    (unsigned long long)p->freqs_hz[0],
						    (unsigned long long)p->freqs_hz[p->n_freqs - 1],
						    p->kind);
						rc = LV_EXIT_USAGE;
					} else {
						c->devices[d].freq_hz = hz;
					}
				}
			}
			free(name);
			if (rc != LV_EXIT_OK)
				return rc;
			i++;
		} else if ((!strcmp(a, "--busy") || !strcmp(a, "--down")) && v) {
			int d = device_arg(c, a, v);
			if (d < 0)
				return LV_EXIT_USAGE;
			if (a[2] == 'b')
				c->devices[d].inflight++;
			else
				c->devices[d].state = LV_DEV_DOWN;
			i++;
		}
	}
	return LV_EXIT_OK;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "cluster", required_argument, NULL, 'c' },
		{ "queue", required_argument, NULL, 'q' },
		{ "remaining", required_argument, NULL, 'r' },
		{ "mode", required_argument, NULL, 'm' },
		{ "policy", required_argument, NULL, 'p' },
		{ "clock", required_argument, NULL, 'k' },
		{ "busy", required_argument, NULL, 'b' },
		{ "down", required_argument, NULL, 'd' },
		{ "oldest", required_argument, NULL, 'o' },
		{ "alternatives", required_argument, NULL, 'a' },
		{ "predictor", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 },
	};
	*o = (struct opts){ .cluster = LV_DEFAULT_CLUSTER,
		            .policy = "loud",
		            .predictor = LV_DEFAULT_PREDICTOR_CACHE,
		            .alts = 5,
		            .mode = LV_COST_PRED };
	optind = 1;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->cluster = optarg; break;
		case 'p': o->policy = optarg; break;
		case 'P': o->predictor = optarg; break;
		case 'j': o->json = 1; break;
		case 'k':
		case 'b':
		case 'd': break; /* applied after the cluster loads */
		case 'q':
			if (lv_parse_long(optarg, &o->queue) != LV_OK || o->queue < 1)
				return lv_cmd_bad(
				    "decide", "--queue: '%s' is not a whole number of frames >= 1",
				    optarg);
			o->have_queue = 1;
			break;
		case 'r':
			if (lv_parse_double(optarg, &o->remaining) != LV_OK ||
			    !isfinite(o->remaining))
				return lv_cmd_bad("decide",
				                  "--remaining: '%s' is not a number of seconds",
				                  optarg);
			o->have_remaining = 1;
			break;
		case 'o':
			if (lv_parse_double(optarg, &o->oldest) != LV_OK || !(o->oldest >= 0))
				return lv_cmd_bad(
				    "decide",
				    "--oldest: '%s' is not a non-negative number of seconds",
				    optarg);
			break;
		case 'a':
			if (lv_parse_long(optarg, &o->alts) != LV_OK || o->alts < 0 ||
			    o->alts > LV_EXPLAIN_MAX_ALTS)
				return lv_cmd_bad("decide", "--alternatives: '%s' must be 0..16",
				                  optarg);
			break;
		case 'm':
			if (lv_cost_mode_parse(optarg, &o->mode) != LV_OK)
				return lv_cmd_bad("decide",
				                  "--mode: '%s' is not pred, fill or prof", optarg);
			break;
		case 'h': usage(stdout); return -1;
		default:
			fprintf(stderr, "loudva decide: unknown or incomplete option '%s'\n",
			        argv[optind - 1]);
			usage(stderr);
			return LV_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return lv_cmd_bad("decide", "unexpected argument '%s'", argv[optind]);
	if (!o->have_queue || !o->have_remaining)
		return lv_cmd_bad(
		    "decide", "--queue and --remaining are required (see loudva decide --help)");
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
	       c->name, lv_cost_mode_name(o->mode), o->queue, o->remaining);
	if (ex->has_choice) {
		const struct lv_dispatch *x = d->has_dispatch ? &d->dispatch : &ex->choice;
		printf("%s %d frames on %s at %.2f MHz\n",
		       d->has_dispatch ? "dispatch" : "wait; would dispatch", x->batch,
		       c->devices[x->device].name, mhz(x->freq_hz));
		printf("  expected latency %.3f s, energy per frame %.4f J\n",
		       x->expected_latency_s, x->energy_per_frame_j);
	} else if (d->has_dispatch) {
		const struct lv_dispatch *x = &d->dispatch;
		printf("dispatch %d frames on %s at %s\n", x->batch, c->devices[x->device].name,
		       x->freq_hz ? "the chosen clock" : "its current clock");
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
	cJSON_AddStringToObject(j, "mode", lv_cost_mode_name(o->mode));
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
	cJSON_AddBoolToObject(j, "wait", !d->has_dispatch);
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
	struct opts o;
	int rc = parse_opts(argc, argv, &o);
	if (rc != LV_EXIT_OK)
		return rc < 0 ? LV_EXIT_OK : rc;

	char *why = NULL;
	struct lv_cluster *c = NULL;
	struct lv_policy *p = NULL;
	struct lv_clock_set *clocks = NULL;

	c = lv_cmd_cluster("decide", o.cluster, o.mode, o.predictor, &rc);
	if (!c)
		goto out;
	rc = apply_device_opts(c, argc, argv);
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
		             .oldest_arrival_s = 0.0 };
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
	lv_policy_free(p);
	lv_cluster_free(c);
	return rc;
}
