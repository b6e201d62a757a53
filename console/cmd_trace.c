/*
 * cmd_trace: `loudva trace gen` writes a generated camera trace, `loudva
 * trace show` summarises a trace file and charts its rate over time. The
 * generator's options are declared as data in one table (gen_opts) that the
 * parser and --help both read. Exit status as commands.h says: 0, 1 when the
 * file cannot be written, 2 on bad input with one line on stderr.
 */
#include "commands.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/trace.h"
#include "base/util.h"

#define CHART_COLS 60
#define CHART_ROWS 8

enum opt_kind { OPT_INT, OPT_U64, OPT_SECONDS, OPT_BUDGET, OPT_PATH };

struct gen_args {
	struct lv_trace_gen_params p;
	const char *out;
};

struct gen_opt {
	const char *name;
	enum opt_kind kind;
	size_t offset; /* into struct gen_args */
	const char *arg, *help;
};

#define P(field) offsetof(struct gen_args, p.field)
static const struct gen_opt gen_opts[] = {
	{ "cameras", OPT_INT, P(cameras), "C", "cameras [2]" },
	{ "seed", OPT_U64, P(seed), "S", "random seed [1]" },
	{ "duration", OPT_SECONDS, P(duration_s), "S", "trace length, seconds [300]" },
	{ "windows", OPT_INT, P(windows), "E", "most active windows per camera [5]" },
	{ "min-active", OPT_SECONDS, P(min_active_s), "S", "shortest window, seconds [5]" },
	{ "max-active", OPT_SECONDS, P(max_active_s), "S", "longest window, seconds [200]" },
	{ "last-entry", OPT_SECONDS, P(last_entry_s), "S", "latest window start, seconds [200]" },
	{ "rate-cap", OPT_SECONDS, P(rate_cap_fps), "FPS",
	  "frames/s cap per 1 s window, 0 = none [0]" },
	{ "budget", OPT_BUDGET, P(budget_s), "S|random", "latency budget [random: 1..21 s]" },
	{ "out", OPT_PATH, offsetof(struct gen_args, out), "FILE",
	  "where to write the trace (required)" },
};
#undef P
#define N_GEN_OPTS (sizeof gen_opts / sizeof gen_opts[0])

static void usage(FILE *f)
{
	fprintf(f, "usage: loudva trace gen [options] --out FILE\n"
	           "       loudva trace show [--ascii] FILE\n\n"
	           "gen writes a seeded camera trace (the thesis's camera model); show prints a\n"
	           "summary and the rate over time. Options of gen:\n");
	for (size_t i = 0; i < N_GEN_OPTS; i++) {
		char left[40];
		snprintf(left, sizeof left, "--%s %s", gen_opts[i].name, gen_opts[i].arg);
		fprintf(f, "  %-22s %s\n", left, gen_opts[i].help);
	}
}

static int bad(const char *sub, const char *msg)
{
	fprintf(stderr, "loudva trace%s%s: %s\n", sub ? " " : "", sub ? sub : "", msg);
	return LV_EXIT_USAGE;
}

/* Stores `val` into the field the option names; 0 or LV_EINVAL with *why. */
static int set_opt(const struct gen_opt *o, const char *val, struct gen_args *a, char **why)
{
	char *field = (char *)a + o->offset;
	long l;
	unsigned long long u;
	double d;

	switch (o->kind) {
	case OPT_INT:
		if (lv_parse_long(val, &l) != LV_OK || l < -1000000000L || l > 1000000000L)
			return lv_fail(why, LV_EINVAL, "--%s: '%s' is not an integer", o->name,
			               val);
		*(int *)(void *)field = (int)l;
		return LV_OK;
	case OPT_U64:
		if (lv_parse_u64(val, &u) != LV_OK)
			return lv_fail(why, LV_EINVAL, "--%s: '%s' is not an integer >= 0", o->name,
			               val);
		*(uint64_t *)(void *)field = (uint64_t)u;
		return LV_OK;
	case OPT_SECONDS:
		if (lv_parse_double(val, &d) != LV_OK || !isfinite(d))
			return lv_fail(why, LV_EINVAL, "--%s: '%s' is not a number", o->name, val);
		*(double *)(void *)field = d;
		return LV_OK;
	case OPT_BUDGET:
		if (strcmp(val, "random") == 0)
			d = 0;
		else if (lv_parse_double(val, &d) != LV_OK || !isfinite(d) || d <= 0)
			return lv_fail(why, LV_EINVAL,
			               "--%s: '%s' is neither seconds > 0 nor 'random'", o->name,
			               val);
		*(double *)(void *)field = d;
		return LV_OK;
	case OPT_PATH: *(const char **)(void *)field = val; return LV_OK;
	}
	return LV_EINVAL;
}

static const struct gen_opt *find_opt(const char *name, size_t len)
{
	for (size_t i = 0; i < N_GEN_OPTS; i++)
		if (strlen(gen_opts[i].name) == len && strncmp(gen_opts[i].name, name, len) == 0)
			return &gen_opts[i];
	return NULL;
}

/* Parses gen's arguments (argv[0] is "gen"). 0, 1 when --help was shown, or
 * LV_EINVAL with *why. Accepts "--opt value" and "--opt=value". */
static int parse_gen(int argc, char **argv, struct gen_args *a, char **why)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
			return 1;
		if (strncmp(arg, "--", 2) != 0)
			return lv_fail(why, LV_EINVAL, "unexpected argument '%s'", arg);
		const char *eq = strchr(arg + 2, '=');
		size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		const struct gen_opt *o = find_opt(arg + 2, len);
		if (!o)
			return lv_fail(why, LV_EINVAL, "unknown option '%.*s'", (int)len + 2, arg);
		const char *val = eq ? eq + 1 : NULL;
		if (!val) {
			if (i + 1 >= argc)
				return lv_fail(why, LV_EINVAL, "--%s needs a value (%s)", o->name,
				               o->arg);
			val = argv[++i];
		}
		if (set_opt(o, val, a, why) != LV_OK)
			return LV_EINVAL;
	}
	if (!a->out)
		return lv_fail(why, LV_EINVAL, "--out FILE is required");
	return lv_trace_gen_check(&a->p, why);
}

static int cmd_gen(int argc, char **argv)
{
	struct gen_args a = { .out = NULL };
	struct lv_trace *t = NULL;
	char *why = NULL;
	int rc;

	lv_trace_gen_defaults(&a.p);
	rc = parse_gen(argc, argv, &a, &why);
	if (rc == 1) {
		usage(stdout);
		rc = LV_EXIT_OK;
		goto out;
	}
	if (rc != LV_OK) {
		rc = bad("gen", why);
		goto out;
	}
	t = lv_trace_generate(&a.p, NULL, &why);
	if (!t) {
		rc = bad("gen", why);
		goto out;
	}
	if (lv_trace_save(t, a.out, &why) != LV_OK) {
		fprintf(stderr, "loudva trace gen: %s\n", why);
		rc = LV_EXIT_FAIL;
		goto out;
	}
	struct lv_trace_stats s;
	lv_trace_stats(t, &s);
	printf("%s: %zu requests, %llu frames, %zu cameras, %g..%g s\n", a.out, s.requests,
	       (unsigned long long)s.frames, s.cameras, s.first_s, s.last_s);
	rc = LV_EXIT_OK;
out:
	free(why);
	lv_trace_free(t);
	return rc;
}

/* UTF-8 bars when the locale the user set (LC_ALL, LC_CTYPE, LANG, first
 * non-empty) names UTF-8; the process locale itself is left alone. */
static int locale_is_utf8(void)
{
	const char *vars[] = { "LC_ALL", "LC_CTYPE", "LANG" };
	for (size_t i = 0; i < 3; i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			return strstr(v, "UTF-8") || strstr(v, "utf8") || strstr(v, "UTF8") ||
			       strstr(v, "utf-8");
	}
	return 0;
}

static void print_summary(const char *path, const struct lv_trace_stats *s)
{
	printf("%s\n", path);
	printf("  requests  %zu\n", s->requests);
	printf("  frames    %llu\n", (unsigned long long)s->frames);
	printf("  cameras   %zu\n", s->cameras);
	printf("  time      %g s to %g s (%g s of 1 s windows)\n", s->first_s, s->last_s,
	       floor(s->last_s) + 1);
	printf("  rate      mean %.2f frames/s, peak %.0f frames/s (in a 1 s window)\n",
	       s->mean_fps, s->peak_fps);
	if (s->budgets == 0)
		printf("  budget    none\n");
	else
		printf("  budget    min %g s, median %g s, max %g s (%zu of %zu requests)\n",
		       s->budget_min_s, s->budget_median_s, s->budget_max_s, s->budgets,
		       s->requests);
}

/* Column i's bar height in eighths of a row, 0..CHART_ROWS*8; a non-zero
 * rate always shows at least one eighth. */
static int bar_eighths(double v, double max)
{
	if (v <= 0 || max <= 0)
		return 0;
	int h = (int)lround(v / max * CHART_ROWS * 8);
	return h < 1 ? 1 : h;
}

static void print_chart(const struct lv_trace *t, const struct lv_trace_stats *s, int utf8)
{
	static const char *const blocks[] = { " ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	double span_s = floor(s->last_s) + 1;
	size_t n = span_s < CHART_COLS ? (size_t)span_s : CHART_COLS;
	double bucket_s = span_s / (double)n;
	double fps[CHART_COLS], max = 0;

	lv_trace_rate(t, bucket_s, n, fps);
	for (size_t i = 0; i < n; i++)
		max = fmax(max, fps[i]);
	printf("\n  frames/s in %g s buckets\n", bucket_s);
	for (int row = CHART_ROWS - 1; row >= 0; row--) {
		if (row == CHART_ROWS - 1)
			printf("%9.1f %s", max, utf8 ? "┤" : "|");
		else
			printf("%9s %s", "", utf8 ? "│" : "|");
		for (size_t i = 0; i < n; i++) {
			int level = bar_eighths(fps[i], max) - row * 8;
			level = level < 0 ? 0 : level > 8 ? 8 : level;
			if (utf8)
				fputs(blocks[level], stdout);
			else
				putchar(level >= 8   ? '#'
				        : level >= 4 ? '+'
				        : level > 0  ? '.'
				                     : ' ');
		}
		putchar('\n');
	}
	printf("%9d %s", 0, utf8 ? "└" : "+");
	for (size_t i = 0; i < n; i++)
		fputs(utf8 ? "─" : "-", stdout);
	char end[32];
	snprintf(end, sizeof end, "%g s", span_s);
	int pad = (int)n - (int)strlen(end);
	printf("\n%11s%-*s%s\n", "", pad < 4 ? 4 : pad, "0 s", end);
}

static int cmd_show(int argc, char **argv)
{
	const char *path = NULL;
	int ascii = 0;
	char *why = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return LV_EXIT_OK;
		} else if (strcmp(argv[i], "--ascii") == 0) {
			ascii = 1;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "loudva trace show: unknown option '%s'\n", argv[i]);
			return LV_EXIT_USAGE;
		} else if (path) {
			fprintf(stderr, "loudva trace show: one FILE only ('%s' is extra)\n",
			        argv[i]);
			return LV_EXIT_USAGE;
		} else {
			path = argv[i];
		}
	}
	if (!path)
		return bad("show", "FILE is required");
	struct lv_trace *t = lv_trace_load(path, &why);
	if (!t) {
		int rc = bad("show", why);
		free(why);
		return rc;
	}
	struct lv_trace_stats s;
	lv_trace_stats(t, &s);
	print_summary(path, &s);
	print_chart(t, &s, !ascii && locale_is_utf8());
	lv_trace_free(t);
	return LV_EXIT_OK;
}

int lv_cmd_trace(int argc, char **argv)
{
	if (argc < 2)
		return bad(NULL, "a subcommand is required: gen or show (see --help)");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return LV_EXIT_OK;
	}
	if (strcmp(argv[1], "gen") == 0)
		return cmd_gen(argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return cmd_show(argc - 1, argv + 1);
	fprintf(stderr, "loudva trace: unknown subcommand '%s' (gen or show)\n", argv[1]);
	return LV_EXIT_USAGE;
}
