/*
 * cmd_profile: `loudva profile import|check|show|run` (run, the profiling
 * sweep, lives in profile_run.c). import builds the device
 * profiles from the thesis measurements and writes them; check re-imports in
 * memory and compares with the committed files byte for byte (CI runs it so
 * profiles/ can never drift from the importer); show prints one profile as
 * tables. Exit status as commands.h says: 0, 1 on a failed write or a
 * mismatch, 2 on bad input with one line on stderr. show is profile_show.c.
 */
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/profile.h"
#include "profile_run.h"
#include "base/file.h"
#include "base/util.h"

struct args {
	const char *data;
	const char *dir; /* --out for import, --dir for check and show */
	const char *kinds[LV_PROFILE_N_KINDS];
	size_t n_kinds;
	const char *target; /* show's FILE|KIND */
	int color;          /* show: 1 always, 0 never, -1 when stdout is a colour terminal */
	int predict;        /* show: compare with the predictor [1] */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: loudva profile import [--data DIR] [--out DIR] [--kind KIND]...\n"
	           "       loudva profile check [--data DIR] [--dir DIR] [--kind KIND]...\n"
	           "       loudva profile show [--dir DIR] [--color|--no-color] [--no-predictor]\n"
	           "           FILE|KIND\n"
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
	           "        energy per frame (J) for batch 1..max batch at every clock; a heatmap\n"
	           "        of energy per frame over (clock, batch) (colour on a terminal unless\n"
	           "        NO_COLOR is set, else one glyph per level); the Pareto front of\n"
	           "        latency against energy per frame; and where the cost predictor\n"
	           "        (trained on DIR's profiles, cached in " LV_DEFAULT_PREDICTOR_CACHE ")\n"
	           "        differs most from what was measured\n"
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
	while (i < LV_PROFILE_N_KINDS && strcmp(lv_profile_kinds[i], k) != 0)
		i++;
	if (i == LV_PROFILE_N_KINDS)
		return bad("unknown kind '%s' (known: agx-xavier, xavier-nx, nano)", k);
	for (size_t j = 0; j < a->n_kinds; j++)
		if (strcmp(a->kinds[j], k) == 0)
			return LV_EXIT_OK;
	a->kinds[a->n_kinds++] = lv_profile_kinds[i];
	return LV_EXIT_OK;
}

/* Options after the verb. `dir_opt` is "--out" or "--dir"; show takes one operand. */
static int parse_args(int argc, char **argv, const char *dir_opt, int want_target, struct args *a)
{
	a->data = LV_DEFAULT_DATA_DIR;
	a->dir = LV_DEFAULT_PROFILES_DIR;
	a->color = -1;
	a->predict = 1;
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
		} else if (want_target && !strcmp(o, "--color"))
			a->color = 1;
		else if (want_target && !strcmp(o, "--no-color"))
			a->color = 0;
		else if (want_target && !strcmp(o, "--no-predictor"))
			a->predict = 0;
		else if (o[0] == '-' && o[1])
			return bad("unknown option '%s'", o);
		else if (want_target && !a->target)
			a->target = o;
		else
			return bad("unexpected argument '%s'", o);
	}
	if (want_target && !a->target)
		return bad("%s needs a FILE or KIND", "show");
	if (a->n_kinds == 0)
		for (size_t i = 0; i < LV_PROFILE_N_KINDS; i++)
			a->kinds[a->n_kinds++] = lv_profile_kinds[i];
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
	struct lv_profile *p[LV_PROFILE_N_KINDS] = { NULL };
	char *rep[LV_PROFILE_N_KINDS] = { NULL };
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
	for (size_t i = 0; i < LV_PROFILE_N_KINDS; i++) {
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
	struct lv_profile *p[LV_PROFILE_N_KINDS] = { NULL };
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
	for (size_t i = 0; i < LV_PROFILE_N_KINDS; i++)
		lv_profile_free(p[i]);
	return rc;
}

static int cmd_show(const struct args *a)
{
	return lv_profile_show(a->target, a->dir, a->color, a->predict);
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
