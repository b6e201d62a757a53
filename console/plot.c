/*
 * plot: the experiment figures (plot.h). The data come from the results
 * (per-policy summaries, one run's power timeline) and from the store (the
 * served frames' latencies, for the CDF); gnuplot runs as a child process
 * in the plots directory, its output discarded unless it fails.
 *
 * Labels such as "fixed_batch(16,wait=5)" hold commas and parentheses but
 * never tabs, so the data files are tab-separated.
 */
#include "plot.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exp/experiment.h"
#include "store/store.h"
#include "base/file.h"
#include "base/util.h"

/* Most points per policy in the latency CDF (evenly spaced ranks). */
#define CDF_POINTS 2000

static FILE *open_data(const char *dir, const char *name, char **path_out, char **why)
{
	char *path = lv_path_join(dir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		lv_fail(why, LV_EIO, "%s: cannot write: %s", path, strerror(errno));
		free(path);
		return NULL;
	}
	*path_out = path;
	return f;
}

static int close_data(FILE *f, char *path, char **why)
{
	int bad = ferror(f) | fclose(f);
	int rc = bad ? lv_fail(why, LV_EIO, "%s: write failed", path) : LV_OK;
	free(path);
	return rc;
}

static int write_policies(const struct lv_experiment *e, const struct lv_exp_summary *sum,
                          const char *dir, char **why)
{
	char *path = NULL;
	FILE *f = open_data(dir, "policies.dat", &path, why);
	if (!f)
		return LV_EIO;
	fprintf(f, "# policy\tframes_per_joule\tsd\tpct_frames_within_budget\tsd\t"
	           "bound_frames_per_joule\n");
	for (size_t p = 0; p < e->spec.n_policies; p++) {
		const struct lv_exp_stat *fp = &sum[p].stat[LV_EXP_M_FRAMES_PER_J];
		const struct lv_exp_stat *q = &sum[p].stat[LV_EXP_M_PCT_FRAMES_OK];
		const struct lv_exp_stat *bd = &sum[p].stat[LV_EXP_M_BOUND_FPJ];
		fprintf(f, "%s\t%.9g\t%.9g\t%.9g\t%.9g\t%.9g\n", e->spec.policies[p].label,
		        isfinite(fp->mean) ? fp->mean : 0, isfinite(fp->sd) ? fp->sd : 0,
		        isfinite(q->mean) ? q->mean : 0, isfinite(q->sd) ? q->sd : 0,
		        isfinite(bd->mean) ? bd->mean : 0);
	}
	return close_data(f, path, why);
}

/* One block per policy (gnuplot `index`), blocks separated by two blank lines. */
static int write_cdf(const struct lv_experiment *e, struct lv_store *store, const char *dir,
                     char **why)
{
	char *path = NULL;
	FILE *f = open_data(dir, "latency_cdf.dat", &path, why);
	if (!f)
		return LV_EIO;
	int rc = LV_OK;
	for (size_t p = 0; rc == LV_OK && p < e->spec.n_policies; p++) {
		double *lat = NULL;
		size_t n = 0;
		rc = lv_store_latencies(store, e->spec.policies[p].label, &lat, &n, why);
		fprintf(f, "# %s\tlatency_s\tfraction\n", e->spec.policies[p].label);
		if (n == 0)
			fprintf(f, "0\t0\n");
		size_t step = n > CDF_POINTS ? n / CDF_POINTS : 1;
		for (size_t i = 0; i < n; i += step)
			fprintf(f, "%.6g\t%.6g\n", lat[i], (double)(i + 1) / (double)n);
		if (n && (n - 1) % step)
			fprintf(f, "%.6g\t1\n", lat[n - 1]);
		fprintf(f, "\n\n");
		free(lat);
	}
	int rc2 = close_data(f, path, why);
	return rc != LV_OK ? rc : rc2;
}

static int write_power(const struct lv_experiment *e, const struct lv_exp_result *results,
                       size_t *run_out, const char *dir, char **why)
{
	size_t c = 0;
	while (c < e->n_cells && e->cells[c].policy != e->spec.power_policy)
		c++;
	*run_out = c;
	char *path = NULL;
	FILE *f = open_data(dir, "power.dat", &path, why);
	if (!f)
		return LV_EIO;
	const struct lv_exp_result *r = &results[c];
	fprintf(f, "# time_s\tcluster_power_w (mean over each %g s)\n", e->spec.sample_s);
	for (size_t i = 0; i < r->n_power; i++)
		fprintf(f, "%.6g\t%.6g\n", (double)i * e->spec.sample_s, r->power_w[i]);
	if (r->n_power == 0)
		fprintf(f, "0\t0\n");
	return close_data(f, path, why);
}

/* gnuplot string literal: labels go in double quotes, so escape them. */
static void gp_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void script_figure(FILE *f, const char *name, const char *body)
{
	static const char *const terms[2][2] = {
		{ "png size 1000,560 font \",10\"", "png" },
		{ "svg size 1000,560 dynamic", "svg" },
	};
	for (int t = 0; t < 2; t++)
		fprintf(f, "set terminal %s\nset output \"%s.%s\"\n%s\n", terms[t][0], name,
		        terms[t][1], body);
}

/*
 * The frames/J axis: around the policies' means ± sd, not from 0, so the
 * 2-10% differences that matter are visible (the title says the axis is
 * cut). "[0:*]" when there is nothing to go by.
 */
static void fpj_range(const struct lv_experiment *e, const struct lv_exp_summary *sum, char *buf,
                      size_t len)
{
	double lo = INFINITY, hi = -INFINITY;
	for (size_t p = 0; p < e->spec.n_policies; p++) {
		const struct lv_exp_stat *f = &sum[p].stat[LV_EXP_M_FRAMES_PER_J];
		double sd = isfinite(f->sd) ? f->sd : 0;
		if (!isfinite(f->mean))
			continue;
		lo = fmin(lo, f->mean - sd);
		hi = fmax(hi, f->mean + sd);
	}
	if (!isfinite(lo) || !isfinite(hi) || hi <= 0) {
		snprintf(buf, len, "[0:*]");
		return;
	}
	double pad = hi > lo ? 0.25 * (hi - lo) : 0.05 * hi;
	snprintf(buf, len, "[%.6g:%.6g]", fmax(0, lo - pad), hi + pad);
}

/* A colour per policy, no two alike up to 12 (Paul Tol's bright and muted schemes);
 * past that the dash pattern changes too. */
static const char *const policy_colours[] = { "#4477aa", "#ee6677", "#228833", "#ccbb44",
	                                      "#66ccee", "#aa3377", "#bbbbbb", "#332288",
	                                      "#117733", "#882255", "#dd7700", "#000000" };
#define N_POLICY_COLOURS (sizeof(policy_colours) / sizeof(policy_colours[0]))

static int write_script(const struct lv_experiment *e, const struct lv_exp_summary *sum,
                        size_t power_run, const char *dir, char **why)
{
	char range[64];
	fpj_range(e, sum, range, sizeof(range));
	char *path = NULL;
	FILE *f = open_data(dir, "plots.gp", &path, why);
	if (!f)
		return LV_EIO;
	const struct lv_exp_cell *pc = &e->cells[power_run];
	fprintf(f,
	        "# %s: figures from the *.dat files beside this script.\n"
	        "# Remake them with: gnuplot plots.gp\n"
	        "set datafile separator \"\\t\"\nset grid ytics\nset key off\n"
	        "set style fill solid 0.6 border -1\nset boxwidth 0.6\n"
	        "set xtics rotate by -30 left noenhanced\n\n",
	        e->spec.name);
	fprintf(f,
	        "set title \"%s: frames per joule per policy (mean, sd over runs)%s\" noenhanced\n"
	        "set ylabel \"frames / J\"\nset yrange %s\n",
	        e->spec.name, strcmp(range, "[0:*]") ? "; the axis does not start at 0" : "",
	        range);
	script_figure(f, "frames_per_joule",
	              "plot \"policies.dat\" using 0:2:xtic(1) with boxes lc rgb \"#4477aa\", "
	              "\"\" using 0:2:3 with yerrorbars lc rgb \"black\" pt 0");
	fprintf(f,
	        "set title \"%s: frames within budget per policy (mean, sd over runs)\" "
	        "noenhanced\nset ylabel \"%% of frames within budget\"\nset yrange [0:105]\n",
	        e->spec.name);
	script_figure(f, "within_budget",
	              "plot \"policies.dat\" using 0:4:xtic(1) with boxes lc rgb \"#228833\", "
	              "\"\" using 0:4:5 with yerrorbars lc rgb \"black\" pt 0");
	/* The trade-off at a glance: each policy a point, the baseline's bound a line. */
	const struct lv_exp_stat *bound = &sum[e->spec.baseline].stat[LV_EXP_M_BOUND_FPJ];
	fprintf(f,
	        "set title \"%s: frames per joule against frames within budget (means; dashed: "
	        "the lower bound's frames/J for %s's frames)\" noenhanced\n"
	        "set xtics norotate\nset xlabel \"%% of frames within budget\"\n"
	        "set ylabel \"frames / J\"\nset yrange [0:*]\nset xrange [*:100.5]\n",
	        e->spec.name, e->spec.policies[e->spec.baseline].label);
	char *tradeoff = lv_xasprintf(
	    "plot \"policies.dat\" using 4:2 with points pt 7 ps 1.5 lc rgb \"#4477aa\", "
	    "\"\" using 4:2:1 with labels offset 0.8,0.8 left noenhanced, "
	    "%.9g with lines dt 2 lw 2 lc rgb \"#cc3311\"",
	    isfinite(bound->mean) ? bound->mean : 0.0);
	script_figure(f, "tradeoff", tradeoff);
	free(tradeoff);
	fprintf(f, "set xrange [*:*]\n");
	fprintf(f,
	        "set title \"%s: latency of served frames (all runs)\" noenhanced\n"
	        "set xtics norotate\nset xlabel \"latency (s)\"\n"
	        "set ylabel \"fraction of served frames\"\nset yrange [0:1.02]\n"
	        "set key bottom right noenhanced\nset logscale x\n",
	        e->spec.name);
	char *cdf = NULL;
	size_t cdf_len = 0;
	FILE *m = open_memstream(&cdf, &cdf_len);
	if (!m) {
		fclose(f);
		free(path);
		return lv_fail(why, LV_EIO, "plots: out of memory");
	}
	fprintf(m, "plot ");
	for (size_t p = 0; p < e->spec.n_policies; p++) {
		fprintf(m,
		        "%s\"latency_cdf.dat\" index %zu using 1:2 with lines lw 2 lc rgb \"%s\" "
		        "dt %zu title ",
		        p ? ", " : "", p, policy_colours[p % N_POLICY_COLOURS],
		        1 + p / N_POLICY_COLOURS);
		gp_quoted(m, e->spec.policies[p].label);
	}
	fclose(m);
	script_figure(f, "latency_cdf", cdf);
	free(cdf);
	fprintf(f, "unset logscale x\nset key off\nset title ");
	char title[512];
	snprintf(title, sizeof(title), "%s: cluster power, %s on %s", e->spec.name,
	         e->spec.policies[pc->policy].label, e->instances[pc->instance].label);
	gp_quoted(f, title);
	fprintf(f, " noenhanced\nset xlabel \"time (s)\"\nset ylabel \"power (W)\"\n"
	           "set yrange [0:*]\n");
	script_figure(f, "power",
	              "plot \"power.dat\" using 1:2 with steps lw 1.5 lc rgb \"#cc3311\"");
	return close_data(f, path, why);
}

/* Runs `gnuplot plots.gp` in dir; 0 when it exits 0. */
static int run_gnuplot(const char *dir, char **why)
{
	pid_t pid = fork();
	if (pid < 0)
		return lv_fail(why, 1, "gnuplot: fork failed: %s", strerror(errno));
	if (pid == 0) {
		if (chdir(dir) != 0)
			_exit(126);
		FILE *log = freopen("gnuplot.log", "w", stderr);
		(void)log;
		if (!freopen("/dev/null", "w", stdout))
			_exit(126);
		execlp("gnuplot", "gnuplot", "plots.gp", (char *)NULL);
		_exit(127);
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return lv_fail(why, 1, "gnuplot: wait failed: %s", strerror(errno));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return lv_fail(why, 1,
		               "gnuplot not found (install gnuplot-nox); %s/plots.gp and"
		               " its data are written, the figures are not",
		               dir);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return lv_fail(why, 1, "gnuplot failed, see %s/gnuplot.log", dir);
	char *log = lv_path_join(dir, "gnuplot.log");
	unlink(log);
	free(log);
	return 0;
}

int lv_plot_experiment(const struct lv_experiment *e, const struct lv_exp_result *results,
                       const struct lv_exp_summary *sum, struct lv_store *store, const char *dir,
                       char **why)
{
	size_t power_run = 0;
	int rc = write_policies(e, sum, dir, why);
	if (rc == LV_OK)
		rc = write_cdf(e, store, dir, why);
	if (rc == LV_OK)
		rc = write_power(e, results, &power_run, dir, why);
	if (rc == LV_OK)
		rc = write_script(e, sum, power_run, dir, why);
	if (rc != LV_OK)
		return rc;
	return run_gnuplot(dir, why);
}
