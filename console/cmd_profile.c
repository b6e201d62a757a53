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

#include <errno.h>
#include <stddef.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/ctlmodel.h"
#include "model/profile.h"
#include "profile_run.h"
#include "base/file.h"
#include "base/util.h"

struct args {
	const char *data;
	const char *runs;
	const char *dir; /* --out for import, --dir for check and show */
	const char *kinds[LV_PROFILE_N_KINDS];
	size_t n_kinds;
	const char *target; /* show's FILE|KIND */
	int color;          /* show: 1 always, 0 never, -1 when stdout is a colour terminal */
	int predict;        /* show: compare with the predictor [1] */
};

/* --kind KIND, repeatable (field: the whole struct args). */
static int kind_opt(const struct lv_opt *opt, void *field, const char *value, char **why)
{
	struct args *a = field;
	size_t i = 0;
	(void)opt;
	(void)why;
	while (i < LV_PROFILE_N_KINDS && strcmp(lv_profile_kinds[i], value) != 0)
		i++;
	if (i == LV_PROFILE_N_KINDS)
		return LV_EINVAL;
	for (size_t j = 0; j < a->n_kinds; j++)
		if (strcmp(a->kinds[j], value) == 0)
			return LV_OK;
	a->kinds[a->n_kinds++] = lv_profile_kinds[i];
	return LV_OK;
}

#define A(field) offsetof(struct args, field)
/* import's and check's: where the measurements are, which kinds. */
static const struct lv_opt source_opts[] = {
	{ .name = "data",
	  .kind = LV_OPT_STR,
	  .offset = A(data),
	  .arg = "DIR",
	  .help = "the thesis measurements [" LV_DEFAULT_DATA_DIR "]" },
	{ .name = "runs",
	  .kind = LV_OPT_STR,
	  .offset = A(runs),
	  .arg = "DIR",
	  .help = "the thesis's real runs (Experiment 1) [" LV_DEFAULT_RUNS_DIR "]" },
	{ .name = "kind",
	  .kind = LV_OPT_FN,
	  .arg = "KIND",
	  .what = "a kind: agx-xavier, xavier-nx or nano",
	  .set = kind_opt,
	  .help = "agx-xavier, xavier-nx or nano; repeatable [all three]" },
	{ 0 },
};

static const struct lv_opt import_opts[] = {
	{ .kind = LV_OPT_INCLUDE, .rows = source_opts },
	{ .name = "out",
	  .kind = LV_OPT_STR,
	  .offset = A(dir),
	  .arg = "DIR",
	  .help = "where the profiles go, made if missing [" LV_DEFAULT_PROFILES_DIR "]" },
	{ 0 },
};

static const struct lv_opt check_opts[] = {
	{ .kind = LV_OPT_INCLUDE, .rows = source_opts },
	{ .name = "dir",
	  .kind = LV_OPT_STR,
	  .offset = A(dir),
	  .arg = "DIR",
	  .help = "the profiles to compare [" LV_DEFAULT_PROFILES_DIR "]" },
	{ 0 },
};

static const struct lv_opt show_opts[] = {
	{ .name = "dir",
	  .kind = LV_OPT_STR,
	  .offset = A(dir),
	  .arg = "DIR",
	  .help = "where KIND's profile is [" LV_DEFAULT_PROFILES_DIR "]" },
	{ .name = "color",
	  .kind = LV_OPT_SET,
	  .offset = A(color),
	  .help = "colour the heatmap [on a terminal unless NO_COLOR is set]" },
	{ .name = "no-color",
	  .kind = LV_OPT_CLEAR,
	  .offset = A(color),
	  .help = "one glyph per level instead" },
	{ .name = "no-predictor",
	  .kind = LV_OPT_CLEAR,
	  .offset = A(predict),
	  .help = "skip the comparison with the cost predictor" },
	{ 0 },
};
#undef A

static const struct lv_opt_spec import_spec = {
	.cmd = "profile import",
	.about = "Builds profiles from the thesis measurements and writes OUT/<kind>.json,\n"
	         "printing how idle power, the governor and clock changes were derived.",
	.opts = import_opts,
};

static const struct lv_opt_spec check_spec = {
	.cmd = "profile check",
	.about = "Re-imports in memory and compares with DIR/<kind>.json byte for byte;\n"
	         "exits 1 and names each kind that differs.",
	.opts = check_opts,
};

static const struct lv_opt_spec show_spec = {
	.cmd = "profile show",
	.about = "Prints a profile (FILE, or KIND in DIR): clocks, limits, idle power, and\n"
	         "latency (ms) and energy per frame (J) for batch 1..max batch at every clock;\n"
	         "a heatmap of energy per frame over (clock, batch); the Pareto front of\n"
	         "latency against energy per frame; and where the cost predictor (trained on\n"
	         "DIR's profiles, cached in " LV_DEFAULT_PREDICTOR_CACHE ") differs most\n"
	         "from what was measured.",
	.opts = show_opts,
	.operand = "FILE|KIND",
	.operand_what = "a FILE or KIND",
	.operand_offset = offsetof(struct args, target),
};

/* Parses a verb's options (argv[0] is the verb) into *a, defaults first. */
static int parse(const struct lv_opt_spec *spec, int argc, char **argv, struct args *a)
{
	*a = (struct args){ .data = LV_DEFAULT_DATA_DIR,
		            .runs = LV_DEFAULT_RUNS_DIR,
		            .dir = LV_DEFAULT_PROFILES_DIR,
		            .color = -1,
		            .predict = 1 };
	int rc = lv_opts_parse(spec, argc, argv, a);
	if (a->n_kinds == 0)
		for (size_t i = 0; i < LV_PROFILE_N_KINDS; i++)
			a->kinds[a->n_kinds++] = lv_profile_kinds[i];
	return rc;
}

/* Imports every requested kind; all or nothing. */
static int import_all(const struct args *a, struct lv_profile **out, char **reports)
{
	for (size_t i = 0; i < a->n_kinds; i++) {
		char *why = NULL;
		out[i] = lv_profile_import(a->data, a->runs, a->kinds[i],
		                           reports ? &reports[i] : NULL, &why);
		if (!out[i]) {
			fprintf(stderr, "loudva profile: %s\n", why ? why : "import failed");
			free(why);
			return LV_EXIT_USAGE;
		}
	}
	return LV_EXIT_OK;
}

/*
 * The controller the thesis's runs were made with (ctlmodel.h), fitted from
 * the same runs, beside the profiles: DIR/controllers/thesis-python.json.
 */
static int import_controller(const struct args *a, const struct lv_profile *agx)
{
	struct lv_ctl_model m;
	char *rep = NULL, *why = NULL;
	int rc = lv_ctl_import_thesis(a->runs, agx, &m, &rep, &why);
	char *dir = lv_path_join(a->dir, "controllers");
	char *path = lv_path_join(dir, "thesis-python.json");
	if (rc == LV_OK && mkdir(dir, 0777) != 0 && errno != EEXIST)
		rc = lv_fail(&why, LV_EIO, "%s: cannot create: %s", dir, strerror(errno));
	if (rc == LV_OK)
		rc = lv_ctl_model_save(path, &m, &why);
	if (rc == LV_OK)
		printf("%s  wrote %s\n", rep, path);
	else
		fprintf(stderr, "loudva profile: %s\n", why ? why : path);
	free(rep);
	free(why);
	free(path);
	free(dir);
	return rc == LV_OK ? LV_EXIT_OK : LV_EXIT_FAIL;
}

/* mkdir -p: DIR and its missing parents. 0, or -1 with errno (EEXIST: not a directory). */
static int make_dirs(const char *dir)
{
	char *p = lv_xstrdup(dir);
	int rc = 0;
	for (char *s = p + 1; *s && rc == 0; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	struct stat st;
	if (rc == 0 && mkdir(p, 0755) != 0 && errno != EEXIST)
		rc = -1;
	if (rc == 0 && (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))) {
		errno = ENOTDIR;
		rc = -1;
	}
	free(p);
	return rc;
}

static int cmd_import(int argc, char **argv)
{
	struct args args;
	const struct args *a = &args;
	struct lv_profile *p[LV_PROFILE_N_KINDS] = { NULL };
	char *rep[LV_PROFILE_N_KINDS] = { NULL };
	int rc = parse(&import_spec, argc, argv, &args);
	if (rc)
		return rc == LV_OPTS_HELP ? LV_EXIT_OK : rc;
	rc = import_all(a, p, rep);
	if (rc == LV_EXIT_OK && make_dirs(a->dir) != 0) { /* --out NEWDIR is made, as -p would */
		fprintf(stderr, "loudva profile import: --out %s: cannot make the directory: %s\n",
		        a->dir, strerror(errno));
		rc = LV_EXIT_FAIL;
	}
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
	for (size_t i = 0; rc == LV_EXIT_OK && i < a->n_kinds; i++)
		if (!strcmp(p[i]->kind, "agx-xavier"))
			rc = import_controller(a, p[i]);
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

/* DIR/controllers/thesis-python.json against a fresh fit. */
static int check_controller(const struct args *a, const char *dir, const struct lv_profile *agx)
{
	struct lv_ctl_model m;
	char *why = NULL;
	if (lv_ctl_import_thesis(a->runs, agx, &m, NULL, &why) != LV_OK) {
		printf("controller thesis-python: %s\n", why);
		free(why);
		return LV_EXIT_FAIL;
	}
	char *fresh = lv_ctl_model_to_json(&m);
	char *path = lv_path_join(dir, "controllers/thesis-python.json");
	char *have = lv_read_file(path, NULL, &why);
	int rc = LV_EXIT_FAIL;
	if (!have)
		printf("controller thesis-python: %s\n", why);
	else if (strcmp(have, fresh))
		printf("controller thesis-python: %s differs from a fresh import (from line %zu); "
		       "run loudva profile import\n",
		       path, first_diff_line(have, fresh));
	else {
		printf("controller thesis-python: %s matches a fresh import\n", path);
		rc = LV_EXIT_OK;
	}
	free(have);
	free(why);
	free(path);
	free(fresh);
	return rc;
}

static int cmd_check(int argc, char **argv)
{
	struct args args;
	const struct args *a = &args;
	struct lv_profile *p[LV_PROFILE_N_KINDS] = { NULL };
	int rc = parse(&check_spec, argc, argv, &args);
	if (rc)
		return rc == LV_OPTS_HELP ? LV_EXIT_OK : rc;
	rc = import_all(a, p, NULL);
	char *dir = lv_cmd_data(a->dir);
	for (size_t i = 0; rc != LV_EXIT_USAGE && i < a->n_kinds; i++) {
		char *name = lv_xasprintf("%s.json", p[i]->kind);
		char *path = lv_path_join(dir, name);
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
	for (size_t i = 0; rc != LV_EXIT_USAGE && i < a->n_kinds; i++)
		if (!strcmp(p[i]->kind, "agx-xavier") &&
		    check_controller(a, dir, p[i]) != LV_EXIT_OK)
			rc = LV_EXIT_FAIL;
	free(dir);
	for (size_t i = 0; i < LV_PROFILE_N_KINDS; i++)
		lv_profile_free(p[i]);
	return rc;
}

static int cmd_show(int argc, char **argv)
{
	struct args a;
	int rc = parse(&show_spec, argc, argv, &a);
	if (rc)
		return rc == LV_OPTS_HELP ? LV_EXIT_OK : rc;
	char *dir = lv_cmd_data(a.dir);
	rc = lv_profile_show(a.target, dir, a.color, a.predict);
	free(dir);
	return rc;
}

static const struct lv_opt_verb profile_verbs[] = {
	{ "import", cmd_import, &import_spec },
	{ "check", cmd_check, &check_spec },
	{ "show", cmd_show, &show_spec },
	{ "run", lv_cmd_profile_run, &lv_profile_run_spec },
	{ NULL, NULL, NULL },
};

int lv_cmd_profile(int argc, char **argv)
{
	return lv_opts_verbs("profile", profile_verbs, argc, argv);
}
