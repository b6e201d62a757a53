/*
 * cmd_predictor: `loudva predictor train|eval`. train fits the cost model on
 * every measured point of the three kinds' profiles and saves it (the file
 * lv_predictor_obtain reuses while the profiles are unchanged); eval answers
 * how good the model is: error on a seeded 80/20 split, and the thesis's
 * generalisation question (how well does it predict a kind it has seen
 * little or nothing of). The numbers come from core/predictor_eval.c; this
 * file parses arguments, times training and prints tables or JSON. Exit
 * status as commands.h says: 0, 1 when training or saving fails, 2 on bad
 * input (arguments, profile files) with one line on stderr.
 */
#include "commands.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "model/predictor.h"
#include "model/profile.h"
#include "base/clock.h"
#include "base/util.h"

static const int PERCENTS[] = { 0, 20, 40, 60, 80, 100 };
#define N_STEPS (sizeof PERCENTS / sizeof PERCENTS[0])

struct args {
	const char *profiles;
	const char *out;
	unsigned long long seed;
	int json;
};

#define A(field) offsetof(struct args, field)
static const struct lv_opt profiles_opts[] = {
	{ .name = "profiles",
	  .kind = LV_OPT_STR,
	  .offset = A(profiles),
	  .arg = "DIR",
	  .flags = LV_OPT_NONEMPTY,
	  .help = "the measured profiles [" LV_DEFAULT_PROFILES_DIR "]" },
	{ 0 },
};

static const struct lv_opt train_opts[] = {
	{ .kind = LV_OPT_INCLUDE, .rows = profiles_opts },
	{ .name = "out",
	  .kind = LV_OPT_STR,
	  .offset = A(out),
	  .arg = "FILE",
	  .flags = LV_OPT_NONEMPTY,
	  .help = "where the model goes [" LV_DEFAULT_PREDICTOR_CACHE "]" },
	{ 0 },
};

static const struct lv_opt eval_opts[] = {
	{ .kind = LV_OPT_INCLUDE, .rows = profiles_opts },
	{ .name = "seed",
	  .kind = LV_OPT_U64,
	  .offset = A(seed),
	  .arg = "N",
	  .flags = LV_OPT_NONEMPTY,
	  .help = "seeds the split and the points added back [42]" },
	{ .name = "json", .kind = LV_OPT_SET, .offset = A(json), .help = "print JSON" },
	{ 0 },
};
#undef A

/* What both verbs are about. */
#define PREDICTOR_ABOUT                                                                            \
	"The cost predictor: two XGBoost regressors (latency and energy of one batch)\n"           \
	"from batch size, GPU clock and GPU specs, trained on the measured points of\n"            \
	"DIR/agx-xavier.json, DIR/xavier-nx.json and DIR/nano.json.\n\n"

static const struct lv_opt_spec train_spec = {
	.cmd = "predictor train",
	.about = PREDICTOR_ABOUT "train trains on every point, prints the training time and saves\n"
	                         "the model.",
	.opts = train_opts,
};

static const struct lv_opt_spec eval_spec = {
	.cmd = "predictor eval",
	.about = PREDICTOR_ABOUT
	"eval reports (a) MAPE and MAE on a seeded random 80/20 split, overall and per\n"
	"kind; (b) generalisation: for each kind K, train without K, then with 20, 40,\n"
	"60, 80 and 100 % of K's points added back (seeded choice), and the error on\n"
	"K's points left out (at 100 %, training error on all of K).",
	.opts = eval_opts,
};

static int bad(const char *fmt, const char *arg) __attribute__((format(printf, 1, 0)));

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "loudva predictor: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see loudva predictor --help)\n");
	return LV_EXIT_USAGE;
}

/* Loads the three kinds' profiles from dir into ps[]. LV_EXIT_OK or LV_EXIT_USAGE. */
static int load_profiles(const char *dir, struct lv_profile **ps)
{
	char *why = NULL;
	if (lv_profile_load_kinds(dir, ps, &why) == LV_OK)
		return LV_EXIT_OK;
	fprintf(stderr, "loudva predictor: %s\n", why ? why : "cannot load profile");
	free(why);
	return LV_EXIT_USAGE;
}

static int cmd_train(const struct args *a, struct lv_profile *const *ps)
{
	const struct lv_profile *const *cps = (const struct lv_profile *const *)ps;
	size_t n = 0;
	struct lv_pred_sample *s = lv_predictor_samples(cps, LV_PROFILE_N_KINDS, &n);
	char *why = NULL;
	struct lv_pred_errors e;
	int rc = LV_EXIT_FAIL;

	double t0 = lv_mono_s();
	struct lv_predictor *p = lv_predictor_train(s, n, NULL, &why);
	double dt = lv_mono_s() - t0;
	if (!p)
		goto out;
	lv_predictor_set_fingerprint(p, lv_predictor_fingerprint_profiles(cps, LV_PROFILE_N_KINDS));
	if (lv_predictor_evaluate(p, s, n, -1, &e) != LV_OK ||
	    lv_predictor_save(p, a->out, &why) != LV_OK)
		goto out;
	printf("trained on %zu points (agx-xavier %zu, xavier-nx %zu, nano %zu) in %.2f s\n", n,
	       ps[0]->n_points, ps[1]->n_points, ps[2]->n_points, dt);
	printf("training error: latency MAPE %.2f %%, energy MAPE %.2f %%\n", e.latency_mape,
	       e.energy_mape);
	printf("saved to %s (fingerprint %016llx)\n", a->out,
	       (unsigned long long)lv_predictor_fingerprint(p));
	rc = LV_EXIT_OK;
out:
	if (rc != LV_EXIT_OK)
		fprintf(stderr, "loudva predictor: %s\n", why ? why : "prediction failed");
	free(why);
	lv_predictor_free(p);
	free(s);
	return rc;
}

/* The results of eval, filled by run_eval and printed by one of the printers. */
struct eval_result {
	size_t n, n_train, n_test;
	size_t n_kind[LV_PROFILE_N_KINDS];
	double train_s;
	struct lv_pred_errors all, kind[LV_PROFILE_N_KINDS];
	struct lv_pred_gen_step gen[LV_PROFILE_N_KINDS][N_STEPS];
};

static int run_eval(const struct lv_pred_sample *s, size_t n, uint64_t seed, struct eval_result *r,
                    char **why)
{
	struct lv_pred_sample *tr = NULL, *te = NULL;
	struct lv_predictor *p = NULL;
	int rc = LV_ELIB;

	r->n = n;
	for (size_t i = 0; i < n; i++)
		r->n_kind[s[i].kind_index]++;
	lv_predictor_split(s, n, 0.8, seed, &tr, &r->n_train, &te, &r->n_test);
	double t0 = lv_mono_s();
	p = lv_predictor_train(tr, r->n_train, NULL, why);
	r->train_s = lv_mono_s() - t0;
	if (!p)
		goto out;
	if (lv_predictor_evaluate(p, te, r->n_test, -1, &r->all) != LV_OK)
		goto out;
	for (int k = 0; k < LV_PROFILE_N_KINDS; k++)
		if (lv_predictor_evaluate(p, te, r->n_test, k, &r->kind[k]) != LV_OK)
			goto out;
	for (int k = 0; k < LV_PROFILE_N_KINDS; k++) {
		rc = lv_predictor_generalisation(s, n, k, PERCENTS, N_STEPS, seed, NULL, r->gen[k],
		                                 why);
		if (rc != LV_OK)
			goto out;
	}
	rc = LV_OK;
out:
	lv_predictor_free(p);
	free(tr);
	free(te);
	return rc;
}

static void print_errors(const struct lv_pred_errors *e)
{
	printf("  %9.2f %%  %9.1f ms  %9.2f %%  %9.3f J\n", e->latency_mape, e->latency_mae_s * 1e3,
	       e->energy_mape, e->energy_mae_j);
}

static void print_text(const struct eval_result *r, uint64_t seed)
{
	printf(
	    "predictor eval: %zu points (agx-xavier %zu, xavier-nx %zu, nano %zu), seed %llu\n\n",
	    r->n, r->n_kind[0], r->n_kind[1], r->n_kind[2], (unsigned long long)seed);
	printf("(a) random 80/20 split: trained on %zu points in %.2f s, tested on %zu\n\n",
	       r->n_train, r->train_s, r->n_test);
	printf("  %-12s %6s  %11s  %12s  %11s  %11s\n", "kind", "test n", "lat MAPE", "lat MAE",
	       "energy MAPE", "energy MAE");
	printf("  %-12s %6zu", "all", r->all.n);
	print_errors(&r->all);
	for (int k = 0; k < LV_PROFILE_N_KINDS; k++) {
		printf("  %-12s %6zu", lv_profile_kinds[k], r->kind[k].n);
		print_errors(&r->kind[k]);
	}
	printf("\n(b) generalisation to a kind: train without it, then add back a seeded share\n"
	       "    of its points; error on its points NOT added back (* = 100 %%: nothing is\n"
	       "    left out, so the figure is training error on all of its points)\n\n");
	printf("  %-12s %6s %8s %7s  %11s  %12s  %11s  %11s\n", "kind", "added", "train n",
	       "eval n", "lat MAPE", "lat MAE", "energy MAPE", "energy MAE");
	for (int k = 0; k < LV_PROFILE_N_KINDS; k++) {
		for (size_t i = 0; i < N_STEPS; i++) {
			const struct lv_pred_gen_step *g = &r->gen[k][i];
			printf("  %-12s %4d %%%s %7zu %7zu", i == 0 ? lv_profile_kinds[k] : "",
			       g->percent, g->training_error ? "*" : " ", g->n_train, g->n_eval);
			print_errors(&g->err);
		}
	}
}

static cJSON *errors_json(const struct lv_pred_errors *e)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "n", (double)e->n);
	cJSON_AddNumberToObject(o, "latency_mape_pct", e->latency_mape);
	cJSON_AddNumberToObject(o, "latency_mae_s", e->latency_mae_s);
	cJSON_AddNumberToObject(o, "energy_mape_pct", e->energy_mape);
	cJSON_AddNumberToObject(o, "energy_mae_j", e->energy_mae_j);
	return o;
}

/* JSON has no timings, so the same profiles and seed print the same bytes. */
static int print_json(const struct eval_result *r, uint64_t seed)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "seed", (double)seed);
	cJSON_AddNumberToObject(root, "points", (double)r->n);
	cJSON *split = cJSON_AddObjectToObject(root, "split");
	cJSON_AddNumberToObject(split, "train_fraction", 0.8);
	cJSON_AddNumberToObject(split, "train_n", (double)r->n_train);
	cJSON_AddNumberToObject(split, "test_n", (double)r->n_test);
	cJSON_AddItemToObject(split, "all", errors_json(&r->all));
	cJSON *per = cJSON_AddObjectToObject(split, "kinds");
	cJSON *gen = cJSON_AddObjectToObject(root, "generalisation");
	for (int k = 0; k < LV_PROFILE_N_KINDS; k++) {
		cJSON_AddItemToObject(per, lv_profile_kinds[k], errors_json(&r->kind[k]));
		cJSON *steps = cJSON_AddArrayToObject(gen, lv_profile_kinds[k]);
		for (size_t i = 0; i < N_STEPS; i++) {
			const struct lv_pred_gen_step *g = &r->gen[k][i];
			cJSON *o = errors_json(&g->err);
			cJSON_AddNumberToObject(o, "percent_added", g->percent);
			cJSON_AddNumberToObject(o, "train_n", (double)g->n_train);
			cJSON_AddBoolToObject(o, "training_error", g->training_error);
			cJSON_AddItemToArray(steps, o);
		}
	}
	char *text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text)
		return LV_EXIT_FAIL;
	printf("%s\n", text);
	cJSON_free(text);
	return LV_EXIT_OK;
}

static int cmd_eval(const struct args *a, struct lv_profile *const *ps)
{
	size_t n = 0;
	struct lv_pred_sample *s =
	    lv_predictor_samples((const struct lv_profile *const *)ps, LV_PROFILE_N_KINDS, &n);
	struct eval_result *r = lv_xcalloc(1, sizeof *r);
	char *why = NULL;
	int rc = LV_EXIT_FAIL;

	for (int k = 0; k < LV_PROFILE_N_KINDS; k++) {
		if (ps[k]->n_points == 0) {
			rc = bad("%s: profile has no measured points", lv_profile_kinds[k]);
			goto out;
		}
	}
	if (run_eval(s, n, a->seed, r, &why) != LV_OK) {
		fprintf(stderr, "loudva predictor: %s\n", why ? why : "evaluation failed");
		goto out;
	}
	if (a->json)
		rc = print_json(r, a->seed);
	else {
		print_text(r, a->seed);
		rc = LV_EXIT_OK;
	}
out:
	free(why);
	free(r);
	free(s);
	return rc;
}

/* Parses a verb's options (argv[0] is the verb), loads the profiles and runs it. */
static int run_verb(const struct lv_opt_spec *spec, int argc, char **argv,
                    int (*verb)(const struct args *, struct lv_profile *const *))
{
	struct args a = { .profiles = LV_DEFAULT_PROFILES_DIR,
		          .out = LV_DEFAULT_PREDICTOR_CACHE,
		          .seed = 42 };
	struct lv_profile *ps[LV_PROFILE_N_KINDS] = { NULL };
	int rc = lv_opts_parse(spec, argc, argv, &a);
	if (rc)
		return rc == LV_OPTS_HELP ? LV_EXIT_OK : rc;
	char *profiles = lv_cmd_data(a.profiles);
	char *out = lv_cmd_predictor_cache(a.out);
	a.profiles = profiles;
	a.out = out;
	rc = load_profiles(a.profiles, ps);
	if (rc == LV_EXIT_OK)
		rc = verb(&a, ps);
	free(profiles);
	free(out);
	for (int k = 0; k < LV_PROFILE_N_KINDS; k++)
		lv_profile_free(ps[k]);
	return rc;
}

static int verb_train(int argc, char **argv)
{
	return run_verb(&train_spec, argc, argv, cmd_train);
}

static int verb_eval(int argc, char **argv)
{
	return run_verb(&eval_spec, argc, argv, cmd_eval);
}

static const struct lv_opt_verb predictor_verbs[] = {
	{ "train", verb_train, &train_spec },
	{ "eval", verb_eval, &eval_spec },
	{ NULL, NULL, NULL },
};

int lv_cmd_predictor(int argc, char **argv)
{
	return lv_opts_verbs("predictor", predictor_verbs, argc, argv);
}
