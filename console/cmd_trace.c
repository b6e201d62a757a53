/*
 * cmd_trace: `loudva trace gen` writes a generated camera trace, `loudva
 * trace show` summarises a trace file and charts its rate over time, `loudva
 * trace from-requests` turns a controller's request log back into the trace
 * of what that controller received (reqlog.h). Exit
 * status as commands.h says: 0, 1 when the file cannot be written, 2 on bad
 * input with one line on stderr.
 */
#include "commands.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/reqlog.h"
#include "model/trace.h"
#include "base/util.h"

#define CHART_COLS 60
#define CHART_ROWS 8

struct gen_args {
	struct lv_trace_gen_params p;
	const char *out;
};

/* --budget S|random: seconds > 0, or 0 for random budgets. */
static int budget_opt(const struct lv_opt *opt, void *field, const char *value, char **why)
{
	double d = 0;
	(void)opt;
	(void)why;
	if (strcmp(value, "random") != 0 &&
	    (lv_parse_double(value, &d) != LV_OK || !isfinite(d) || d <= 0))
		return LV_EINVAL;
	*(double *)field = d;
	return LV_OK;
}

#define P(field) offsetof(struct gen_args, p.field)
static const struct lv_opt gen_opts[] = {
	{ .name = "cameras",
	  .kind = LV_OPT_INT,
	  .offset = P(cameras),
	  .arg = "C",
	  .help = "cameras [2]" },
	{ .name = "seed",
	  .kind = LV_OPT_U64,
	  .offset = P(seed),
	  .arg = "S",
	  .help = "random seed [1]" },
	{ .name = "duration",
	  .kind = LV_OPT_DOUBLE,
	  .offset = P(duration_s),
	  .arg = "S",
	  .help = "trace length, seconds [300]" },
	{ .name = "windows",
	  .kind = LV_OPT_INT,
	  .offset = P(windows),
	  .arg = "E",
	  .help = "most active windows per camera [5]" },
	{ .name = "min-active",
	  .kind = LV_OPT_DOUBLE,
	  .offset = P(min_active_s),
	  .arg = "S",
	  .help = "shortest window, seconds [5]" },
	{ .name = "max-active",
	  .kind = LV_OPT_DOUBLE,
	  .offset = P(max_active_s),
	  .arg = "S",
	  .help = "longest window, seconds [200]" },
	{ .name = "last-entry",
	  .kind = LV_OPT_DOUBLE,
	  .offset = P(last_entry_s),
	  .arg = "S",
	  .help = "latest window start, seconds, before --duration [200, or 2/3 of a "
	          "shorter --duration]" },
	{ .name = "rate-cap",
	  .kind = LV_OPT_DOUBLE,
	  .offset = P(rate_cap_fps),
	  .arg = "FPS",
	  .help = "frames/s cap per 1 s window, 0 = none [0]" },
	{ .name = "budget",
	  .kind = LV_OPT_FN,
	  .offset = P(budget_s),
	  .arg = "S|random",
	  .what = "a number of seconds > 0 or 'random'",
	  .set = budget_opt,
	  .help = "latency budget [random: 1..21 s]" },
	{ .name = "out",
	  .kind = LV_OPT_STR,
	  .offset = offsetof(struct gen_args, out),
	  .arg = "FILE",
	  .flags = LV_OPT_REQUIRED,
	  .help = "where to write the trace" },
	{ 0 },
};
#undef P

static const struct lv_opt_spec gen_spec = {
	.cmd = "trace gen",
	.about = "Writes a seeded camera trace (the thesis's camera model).",
	.opts = gen_opts,
};

struct show_args {
	const char *path;
	int ascii;
};

static const struct lv_opt show_opts[] = {
	{ .name = "ascii",
	  .kind = LV_OPT_SET,
	  .offset = offsetof(struct show_args, ascii),
	  .help = "draw the chart in ASCII even under a UTF-8 locale" },
	{ 0 },
};

static const struct lv_opt_spec show_spec = {
	.cmd = "trace show",
	.about = "Prints a trace's summary and its rate over time.",
	.opts = show_opts,
	.operand = "FILE",
	.operand_what = "a trace file",
	.operand_offset = offsetof(struct show_args, path),
};

struct from_args {
	const char *log;
	const char *out;
	const char *scenario;
};

static const struct lv_opt from_opts[] = {
	{ .name = "out",
	  .kind = LV_OPT_STR,
	  .offset = offsetof(struct from_args, out),
	  .arg = "FILE",
	  .flags = LV_OPT_REQUIRED,
	  .help = "where to write the trace" },
	{ .name = "scenario",
	  .kind = LV_OPT_STR,
	  .offset = offsetof(struct from_args, scenario),
	  .arg = "FILE",
	  .help = "the trace the cameras played: start where it starts, and say how late the "
	          "controller received its frames" },
	{ 0 },
};

static const struct lv_opt_spec from_spec = {
	.cmd = "trace from-requests",
	.about = "Writes the trace of the requests a controller received, from its per-frame\n"
	         "request log (the thesis's runs/POLICY/scenario_N.requests.csv): each request\n"
	         "at its logged arrival with its requested latency, all from camera 0 (the log\n"
	         "has no camera). Replaying it replays the workload the controller really saw.",
	.opts = from_opts,
	.operand = "LOG",
	.operand_what = "a request log",
	.operand_offset = offsetof(struct from_args, log),
};

static int bad(const char *sub, const char *msg)
{
	fprintf(stderr, "loudva trace %s: %s\n", sub, msg);
	return LV_EXIT_USAGE;
}

static int cmd_gen(int argc, char **argv)
{
	struct gen_args a = { .out = NULL };
	struct lv_trace *t = NULL;
	char *why = NULL;
	int rc;

	lv_trace_gen_defaults(&a.p);
	double default_last = a.p.last_entry_s;
	a.p.last_entry_s = NAN; /* not given */
	rc = lv_opts_parse(&gen_spec, argc, argv, &a);
	if (rc)
		return rc == LV_OPTS_HELP ? LV_EXIT_OK : rc;
	/* A window that starts after the trace's end sends nothing: with the default
	 * (200 s) a 60 s trace silently lost cameras. */
	if (isnan(a.p.last_entry_s)) {
		a.p.last_entry_s = default_last;
		if (isfinite(a.p.duration_s) && a.p.duration_s > 0 &&
		    a.p.last_entry_s > a.p.duration_s * 2 / 3)
			a.p.last_entry_s = round(a.p.duration_s * 2 / 3 * 1000) / 1000;
	} else if (isfinite(a.p.last_entry_s) && a.p.last_entry_s >= a.p.duration_s) {
		why = lv_xasprintf("--last-entry: %g s is not before the trace's end (--duration "
		                   "%g s): windows starting after it would send nothing",
		                   a.p.last_entry_s, a.p.duration_s);
		rc = bad("gen", why);
		goto out;
	}
	if (lv_trace_gen_check(&a.p, &why) != LV_OK) {
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
	if (s.cameras < (size_t)a.p.cameras)
		fprintf(stderr,
		        "loudva trace gen: note: %zu of the %d cameras sent nothing in %g s (their "
		        "windows fell after --duration or were too short)\n",
		        s.cameras, a.p.cameras, a.p.duration_s);
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
	struct show_args a = { 0 };
	char *why = NULL;
	int rc = lv_opts_parse(&show_spec, argc, argv, &a);
	if (rc)
		return rc == LV_OPTS_HELP ? LV_EXIT_OK : rc;
	char *path = lv_cmd_data(a.path);
	struct lv_trace *t = lv_trace_load(path, &why);
	free(path);
	if (!t) {
		rc = bad("show", why);
		free(why);
		return rc;
	}
	struct lv_trace_stats s;
	lv_trace_stats(t, &s);
	print_summary(a.path, &s);
	print_chart(t, &s, !a.ascii && locale_is_utf8());
	lv_trace_free(t);
	return LV_EXIT_OK;
}

static int cmd_from(int argc, char **argv)
{
	struct from_args a = { 0 };
	struct lv_reqlog log = { 0 };
	struct lv_trace *scen = NULL, *t = NULL;
	char *why = NULL;
	int rc = lv_opts_parse(&from_spec, argc, argv, &a);
	if (rc)
		return rc == LV_OPTS_HELP ? LV_EXIT_OK : rc;
	if (lv_reqlog_load(a.log, &log, &why) != LV_OK) {
		rc = bad("from-requests", why);
		goto out;
	}
	if (a.scenario && !(scen = lv_trace_load(a.scenario, &why))) {
		rc = bad("from-requests", why);
		goto out;
	}
	struct lv_admission adm = { 0 };
	if (scen && lv_reqlog_admission(&log, scen, &adm, &why) != LV_OK) {
		char *msg = lv_xasprintf("%s against --scenario %s: %s", a.log, a.scenario, why);
		rc = bad("from-requests", msg);
		free(msg);
		goto out;
	}
	t = lv_reqlog_trace(&log, scen ? scen->reqs[0].time_s : 0, &why);
	if (!t) {
		char *msg = lv_xasprintf("%s: %s", a.log, why);
		rc = bad("from-requests", msg);
		free(msg);
		goto out;
	}
	if (lv_trace_save(t, a.out, &why) != LV_OK) {
		fprintf(stderr, "loudva trace from-requests: %s\n", why);
		rc = LV_EXIT_FAIL;
		goto out;
	}
	struct lv_trace_stats s;
	lv_trace_stats(t, &s);
	printf("%s: %zu requests, %llu frames, %g..%g s\n", a.out, s.requests,
	       (unsigned long long)s.frames, s.first_s, s.last_s);
	if (scen)
		printf(
		    "received behind the scenario (per frame, the k-th to arrive against the k-th "
		    "sent): median %.3f s, 90th percentile %.3f s, largest %.3f s\n",
		    adm.median_s, adm.p90_s, adm.max_s);
	rc = LV_EXIT_OK;
out:
	free(why);
	lv_reqlog_fini(&log);
	lv_trace_free(scen);
	lv_trace_free(t);
	return rc;
}

static const struct lv_opt_verb trace_verbs[] = {
	{ "gen", cmd_gen, &gen_spec },
	{ "show", cmd_show, &show_spec },
	{ "from-requests", cmd_from, &from_spec },
	{ NULL, NULL, NULL },
};

int lv_cmd_trace(int argc, char **argv)
{
	return lv_opts_verbs("trace", trace_verbs, argc, argv);
}
