/*
 * cmd_profile: `loudva profile import|check|show|run` (run, the profiling
 * sweep, lives in profile_run.c). import builds the device
 * profiles from the thesis measurements and writes them; check re-imports in
 * memory and compares with the committed files byte for byte (CI runs it so
 * profiles/ can never drift from the importer); show prints one profile as
 * tables. Exit status as commands.h says: 0, 1 on a failed write or a
 * mismatch, 2 on bad input with one line on stderr.
 */
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "profile_run.h"
#include "util.h"

#define N_KNOWN 3
static const char *const KNOWN[N_KNOWN] = { "agx-xavier", "xavier-nx", "nano" };

struct args {
	const char *data;
	const char *dir; /* --out for import, --dir for check and show */
	const char *kinds[N_KNOWN];
	size_t n_kinds;
	const char *target; /* show's FILE|KIND */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: loudva profile import [--data DIR] [--out DIR] [--kind KIND]...\n"
	           "       loudva profile check [--data DIR] [--dir DIR] [--kind KIND]...\n"
	           "       loudva profile show [--dir DIR] FILE|KIND\n"
	           "       loudva profile run [--cluster C [--token-file T]] [--device NAME]\n"
	           "           [--freqs all|HZ,...] [--batches A-B|B,...] [--requests K]\n"
	           "           [--stability 5%%] [--max-windows N] [--out FILE] [--resume]\n\n"
	           "import  builds profiles from the thesis measurements (DIR defaults to\n"
	           "        " LV_DEFAULT_DATA_DIR ") and writes OUT/<kind>.json\n"
	           "        (OUT defaults to " LV_DEFAULT_PROFILES_DIR
	           "), printing how idle power was derived\n"
	           "check   re-imports in memory and compares with DIR/<kind>.json byte for byte;\n"
	           "        exits 1 and names each kind that differs\n"
	           "show    prints a profile: clocks, limits, idle power, and latency (ms) and\n"
	           "        energy per frame (J) for batch 1..max batch at every clock, and the\n"
	           "        Pareto front of latency against energy per frame\n"
	           "run     measures a device (default nano-00, emulated here without --cluster)\n"
	           "        over clock x batch: FILE (a profile), FILE.samples.csv,\n"
	           "        FILE.perf/energy_calculated_freq_<Hz>.csv; progress in\n"
	           "        FILE.partial.json; the clock is released on exit and on Ctrl-C\n\n"
	           "kinds: agx-xavier, xavier-nx, nano (default: all three)\n");
}

static int bad(const char *fmt, const char *arg) __attribute__((format(printf, 1, 0)));

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "loudva profile: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see loudva profile --help)\n");
	return LV_EXIT_USAGE;
}

static int add_kind(struct args *a, const char *k)
{
	size_t i = 0;
	while (i < N_KNOWN && strcmp(KNOWN[i], k) != 0)
		i++;
	if (i == N_KNOWN)
		return bad("unknown kind '%s' (known: agx-xavier, xavier-nx, nano)", k);
	for (size_t j = 0; j < a->n_kinds; j++)
		if (strcmp(a->kinds[j], k) == 0)
			return LV_EXIT_OK;
	a->kinds[a->n_kinds++] = KNOWN[i];
	return LV_EXIT_OK;
}

/* Options after the verb. `dir_opt` is "--out" or "--dir"; show takes one operand. */
static int parse_args(int argc, char **argv, const char *dir_opt, int want_target, struct args *a)
{
	a->data = LV_DEFAULT_DATA_DIR;
	a->dir = LV_DEFAULT_PROFILES_DIR;
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i];
		int takes = !strcmp(o, "--data") || !strcmp(o, dir_opt) || !strcmp(o, "--kind");
		if (takes && i + 1 >= argc)
			return bad("%s needs a value", o);
		if (!strcmp(o, "--data") && !want_target)
			a->data = argv[++i];
		else if (!strcmp(o, dir_opt))
			a->dir = argv[++i];
		else if (!strcmp(o, "--kind") && !want_target) {
			int rc = add_kind(a, argv[++i]);
			if (rc)
				return rc;
		} else if (o[0] == '-' && o[1])
			return bad("unknown option '%s'", o);
		else if (want_target && !a->target)
			a->target = o;
		else
			return bad("unexpected argument '%s'", o);
	}
	if (want_target && !a->target)
		return bad("%s needs a FILE or KIND", "show");
	if (a->n_kinds == 0)
		for (size_t i = 0; i < N_KNOWN; i++)
			a->kinds[a->n_kinds++] = KNOWN[i];
	return LV_EXIT_OK;
}

/* Imports every requested kind; all or nothing. */
static int import_all(const struct args *a, struct lv_profile **out, char **reports)
{
	for (size_t i = 0; i < a->n_kinds; i++) {
		char *why = NULL;
		out[i] =
		    lv_profile_import(a->data, a->kinds[i], reports ? &reports[i] : NULL, &why);
		if (!out[i]) {
			fprintf(stderr, "loudva profile: %s\n", why ? why : "import failed");
			free(why);
			return LV_EXIT_USAGE;
		}
	}
	return LV_EXIT_OK;
}

static int cmd_import(const struct args *a)
{
	struct lv_profile *p[N_KNOWN] = { NULL };
	char *rep[N_KNOWN] = { NULL };
	int rc = import_all(a, p, rep);
	for (size_t i = 0; rc == LV_EXIT_OK && i < a->n_kinds; i++) {
		char *name = lv_xasprintf("%s.json", p[i]->kind);
		char *path = lv_path_join(a->dir, name);
		char *why = NULL;
		if (lv_profile_save(p[i], path, &why) < 0) {
			fprintf(stderr, "loudva profile: %s\n", why ? why : path);
			rc = LV_EXIT_FAIL;
		} else {
			fputs(rep[i], stdout);
			printf("  wrote %s\n", path);
		}
		free(why);
		free(path);
		free(name);
	}
	for (size_t i = 0; i < N_KNOWN; i++) {
		lv_profile_free(p[i]);
		free(rep[i]);
	}
	return rc;
}

/* 1-based line of the first byte where a and b differ. */
static size_t first_diff_line(const char *a, const char *b)
{
	size_t line = 1;
	for (; *a && *a == *b; a++, b++)
		if (*a == '\n')
			line++;
	return line;
}

static int cmd_check(const struct args *a)
{
	struct lv_profile *p[N_KNOWN] = { NULL };
	int rc = import_all(a, p, NULL);
	for (size_t i = 0; rc != LV_EXIT_USAGE && i < a->n_kinds; i++) {
		char *name = lv_xasprintf("%s.json", p[i]->kind);
		char *path = lv_path_join(a->dir, name);
		char *fresh = lv_profile_to_json(p[i]);
		char *why = NULL;
		char *have = lv_read_file(path, NULL, &why);
		if (!have) {
			printf("%s: %s\n", p[i]->kind, why);
			rc = LV_EXIT_FAIL;
		} else if (strcmp(have, fresh) != 0) {
			printf("%s: %s differs from a fresh import (from line %zu); run loudva "
			       "profile import\n",
			       p[i]->kind, path, first_diff_line(have, fresh));
			rc = LV_EXIT_FAIL;
		} else {
			printf("%s: %s matches a fresh import\n", p[i]->kind, path);
		}
		free(have);
		free(why);
		free(fresh);
		free(path);
		free(name);
	}
	for (size_t i = 0; i < N_KNOWN; i++)
		lv_profile_free(p[i]);
	return rc;
}

static void show_head(const struct lv_profile *p)
{
	const struct lv_gpu_specs *g = &p->gpu;
	int lo = 0, hi = 0;
	for (size_t i = 0; i < p->n_points; i++) {
		int b = p->points[i].batch;
		lo = i == 0 || b < lo ? b : lo;
		hi = b > hi ? b : hi;
	}
	printf("%s: %s\n", p->kind, p->display_name);
	printf("GPU: %s, %d CUDA cores, %d tensor cores, %g GB/s, %g GB, %g to %g MHz\n", g->arch,
	       g->cuda_cores, g->tensor_cores, g->mem_bw_gbs, g->mem_gb, g->min_mhz, g->max_mhz);
	printf("max batch %d, %d instance%s, clock change %.2f s\n", p->max_batch, p->instances,
	       p->instances == 1 ? "" : "s", p->clock_change_delay_s);
	printf("%zu measured points at %zu clocks, batch %d to %d\n", p->n_points, p->n_freqs, lo,
	       hi);
	if (p->source)
		printf("source: %s\n", p->source);
	printf("\n  clock MHz   idle W\n");
	for (size_t i = 0; i < p->n_freqs; i++)
		printf("  %9.6g  %7.3f\n", (double)p->freqs_hz[i] / 1e6, p->idle_power_w[i]);
}

/* Rows batch 1..max_batch, a column per clock; energy tables give J per frame. */
static void show_table(const struct lv_profile *p, const char *title, int energy)
{
	printf("\n%s\nbatch", title);
	for (size_t i = 0; i < p->n_freqs; i++)
		printf(" %8.6g", (double)p->freqs_hz[i] / 1e6);
	printf("\n");
	for (int b = 1; b <= p->max_batch; b++) {
		printf("%5d", b);
		for (size_t i = 0; i < p->n_freqs; i++) {
			const struct lv_profile_point *pt = lv_profile_find(p, p->freqs_hz[i], b);
			if (!pt)
				printf(" %8s", "-");
			else if (energy)
				printf(" %8.3f", pt->energy_j / b);
			else
				printf(" %8.1f", pt->latency_s * 1e3);
		}
		printf("\n");
	}
}

static int by_latency(const void *a, const void *b)
{
	const struct lv_profile_point *x = *(const struct lv_profile_point *const *)a;
	const struct lv_profile_point *y = *(const struct lv_profile_point *const *)b;
	if (x->latency_s != y->latency_s)
		return x->latency_s < y->latency_s ? -1 : 1;
	return (x->energy_j / x->batch > y->energy_j / y->batch) -
	       (x->energy_j / x->batch < y->energy_j / y->batch);
}

/*
 * The Pareto front of batch latency against energy per frame over the points
 * the cluster can dispatch (batch <= max batch): by ascending latency, a point
 * stays when it spends less per frame than every faster one.
 */
static void show_pareto(const struct lv_profile *p)
{
	const struct lv_profile_point **v = lv_xcalloc(p->n_points + 1, sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < p->n_points; i++)
		if (p->points[i].batch <= p->max_batch)
			v[n++] = &p->points[i];
	qsort(v, n, sizeof(*v), by_latency);
	printf("\nPareto front, latency vs energy per frame (batch <= %d)\n", p->max_batch);
	printf("  clock MHz  batch  latency ms  J/frame\n");
	double best = 0;
	for (size_t i = 0; i < n; i++) {
		double epf = v[i]->energy_j / v[i]->batch;
		if (i > 0 && epf >= best)
			continue;
		best = epf;
		printf("  %9.6g  %5d  %10.1f  %7.3f\n", (double)v[i]->freq_hz / 1e6, v[i]->batch,
		       v[i]->latency_s * 1e3, epf);
	}
	free(v);
}

static int cmd_show(const struct args *a)
{
	const char *t = a->target;
	size_t n = strlen(t);
	int is_file = strchr(t, '/') || (n > 5 && !strcmp(t + n - 5, ".json"));
	char *name = is_file ? NULL : lv_xasprintf("%s.json", t);
	char *path = is_file ? lv_xstrdup(t) : lv_path_join(a->dir, name);
	char *why = NULL;
	struct lv_profile *p = lv_profile_load(path, &why);
	int rc = LV_EXIT_OK;
	if (!p) {
		fprintf(stderr, "loudva profile: %s\n", why ? why : path);
		rc = LV_EXIT_USAGE;
	} else {
		show_head(p);
		show_table(p, "latency per batch, ms (rows: batch; columns: clock, MHz)", 0);
		show_table(p, "energy per frame, J (rows: batch; columns: clock, MHz)", 1);
		show_pareto(p);
	}
	lv_profile_free(p);
	free(why);
	free(path);
	free(name);
	return rc;
}

int lv_cmd_profile(int argc, char **argv)
{
	struct args a = { 0 };
	if (argc < 2)
		return bad("%s", "needs a verb: import, check, show or run");
	const char *verb = argv[1];
	if (!strcmp(verb, "--help") || !strcmp(verb, "-h") || !strcmp(verb, "help")) {
		usage(stdout);
		return LV_EXIT_OK;
	}
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return LV_EXIT_OK;
		}
	int rc;
	if (!strcmp(verb, "run"))
		return lv_cmd_profile_run(argc, argv);
	if (!strcmp(verb, "import")) {
		rc = parse_args(argc, argv, "--out", 0, &a);
		return rc ? rc : cmd_import(&a);
	}
	if (!strcmp(verb, "check")) {
		rc = parse_args(argc, argv, "--dir", 0, &a);
		return rc ? rc : cmd_check(&a);
	}
	if (!strcmp(verb, "show")) {
		rc = parse_args(argc, argv, "--dir", 1, &a);
		return rc ? rc : cmd_show(&a);
	}
	return bad("unknown verb '%s' (import, check, show or run)", verb);
}
