/*
 * cmd_twin: `loudva twin check REPORT` — a replay of the thesis's Experiment 1
 * on the twin (experiments/thesis-replay.json) set against what the board
 * measured: the thesis's report.csv and its tegrastats logs.
 *
 * Per policy, over every scenario both sides have: frames per joule as the
 * thesis computed it (every frame, timed-out ones included, over the summed
 * energy), % of frames within budget, frames lost (measured: timed out;
 * twin: failed or expired — the twin's request time-out answers a request
 * without serving its frames, so a frame served after it counts as late,
 * not lost), the mean GPU clock, and the share of energy drawn while the
 * GPU was idle (measured: tegrastats lines with GR3D at 0%; twin: everything
 * but batches and clock changes). Then the rank correlation (Spearman) of the
 * policies by frames/J. --check turns the bounds into the exit status.
 *
 * Beside them, how late each measured run's controller received the frames
 * the scenario sent (reqlog.h, lv_reqlog_admission: the 90th percentile,
 * the worst of a policy's runs), and the runs where that was a second or
 * more: their latencies were counted from a later reception than the
 * scenario's, a workload the twin's replay of the scenario does not see.
 */
#include "commands.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "base/file.h"
#include "base/util.h"
#include "model/reqlog.h"
#include "model/teglog.h"
#include "model/trace.h"

#define MAX_POL  32
#define MAX_SCEN 16

struct side {
	double frames, energy_j, ok, lost, clock_x_frames, idle_j;
	int runs;
};

struct pol {
	char name[48]; /* the thesis's experiment_type: "fixed_batch_8" */
	struct side meas, twin;
	int seen[MAX_SCEN];
	struct lv_admission adm[MAX_SCEN]; /* measured runs: how late frames were received */
};

/* A run whose controller received a tenth of the frames this late or later is named:
 * a server that stopped taking requests, not the half second an overloaded one lags. */
#define LATE_RECEPTION_S 5.0

struct args {
	const char *report;
	const char *runs;
	double fpj_tol, ok_tol, min_rank;
	int check;
};

static const struct lv_opt twin_opts[] = {
	{ .name = "runs",
	  .kind = LV_OPT_STR,
	  .offset = offsetof(struct args, runs),
	  .arg = "DIR",
	  .help = "the thesis's real runs (Experiment 1) [" LV_DEFAULT_RUNS_DIR "]" },
	{ .name = "check",
	  .kind = LV_OPT_SET,
	  .offset = offsetof(struct args, check),
	  .help = "exit 1 unless every policy is within the bounds below" },
	{ .name = "fpj-tol",
	  .kind = LV_OPT_DOUBLE,
	  .offset = offsetof(struct args, fpj_tol),
	  .arg = "PCT",
	  .min = 0,
	  .max = 1000,
	  .help = "--check: frames/J within PCT % of measured [10]" },
	{ .name = "ok-tol",
	  .kind = LV_OPT_DOUBLE,
	  .offset = offsetof(struct args, ok_tol),
	  .arg = "POINTS",
	  .min = 0,
	  .max = 100,
	  .help = "--check: % of frames within budget within POINTS of measured [10]" },
	{ .name = "min-rank",
	  .kind = LV_OPT_DOUBLE,
	  .offset = offsetof(struct args, min_rank),
	  .arg = "R",
	  .min = -1,
	  .max = 1,
	  .help = "--check: rank correlation of frames/J at least R [0.9]" },
	{ 0 },
};

static const struct lv_opt_spec check_spec = {
	.cmd = "twin check",
	.about = "Sets a replay of the thesis's Experiment 1 (REPORT: the report directory of\n"
	         "experiments/thesis-replay.json) against the board's measurements: per policy\n"
	         "frames/J, % within budget, frames lost, mean GPU clock, idle share of energy,\n"
	         "and the rank correlation of the policies by frames/J.",
	.opts = twin_opts,
	.operand = "REPORT",
	.operand_what = "a report directory",
	.operand_offset = offsetof(struct args, report),
};

/* "fixed_batch(8)" -> "fixed_batch_8", "loud(pred)" -> "loud_pred", "transparent" as is. */
static void thesis_name(const char *label, char *out, size_t cap)
{
	size_t n = 0;
	for (const char *c = label; *c && n + 1 < cap; c++) {
		if (*c == '(')
			out[n++] = '_';
		else if (*c != ')')
			out[n++] = *c;
	}
	out[n] = 0;
}

static struct pol *find_pol(struct pol *v, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	if (*n == MAX_POL)
		return NULL;
	struct pol *p = &v[(*n)++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	return p;
}

static int col(struct lv_csv *c, const char *name, char **why)
{
	return lv_csv_require(c, name, why);
}

static int num(struct lv_csv *c, int k, double *out, char **why)
{
	const char *f = lv_csv_field(c, k);
	if (!f[0]) {
		*out = NAN;
		return LV_OK;
	}
	return lv_csv_double(c, k, out, why);
}

/* The twin's report.csv: runs on traces named scenario_N. */
static int read_twin(const char *dir, struct pol *v, size_t *n, char **why)
{
	char *path = lv_path_join(dir, "report.csv");
	struct lv_csv *c = lv_csv_open(path, why);
	free(path);
	if (!c)
		return LV_EIO;
	int cp = col(c, "policy", why), ct = col(c, "trace", why), cf = col(c, "frames", why);
	int cok = col(c, "ok", why), cfa = col(c, "failed", why), cex = col(c, "expired", why);
	int ce = col(c, "energy_j", why), cc = col(c, "mean_clock_mhz", why);
	int ci = col(c, "idle_energy_j", why);
	int rc = cp < 0 || ct < 0 || cf < 0 || cok < 0 || cfa < 0 || cex < 0 || ce < 0 || cc < 0 ||
	                 ci < 0
	             ? LV_EINVAL
	             : LV_OK;
	while (rc == LV_OK && (rc = lv_csv_next(c, why)) == 1) {
		rc = LV_OK;
		int s = -1;
		if (sscanf(lv_csv_field(c, ct), "scenario_%d", &s) != 1 || s < 0 || s >= MAX_SCEN)
			continue; /* not one of the thesis's scenarios */
		char name[48];
		thesis_name(lv_csv_field(c, cp), name, sizeof(name));
		struct pol *p = find_pol(v, n, name);
		if (!p) {
			rc = lv_csv_fail(c, cp, why, LV_EINVAL, "more than %d policies", MAX_POL);
			break;
		}
		double f, ok, fa, ex, e, clk, idle;
		if (num(c, cf, &f, why) || num(c, cok, &ok, why) || num(c, cfa, &fa, why) ||
		    num(c, cex, &ex, why) || num(c, ce, &e, why) || num(c, cc, &clk, why) ||
		    num(c, ci, &idle, why)) {
			rc = LV_EINVAL;
			break;
		}
		p->seen[s] |= 1;
		p->twin.frames += f;
		p->twin.ok += ok;
		p->twin.lost += fa + ex;
		p->twin.energy_j += e;
		p->twin.clock_x_frames += clk * f;
		p->twin.idle_j += idle;
		p->twin.runs++;
	}
	lv_csv_free(c);
	return rc < 0 ? rc : LV_OK;
}

/* The share of a run's logged energy on lines with the GPU idle (GR3D 0%). */
static int measured_idle(const char *runs, const char *policy, int s, double *idle_frac, char **why)
{
	char *rel = lv_xasprintf("runs/%s/scenario_%d.tegrastats.log", policy, s);
	char *path = lv_path_join(runs, rel);
	free(rel);
	struct lv_teg_log log = { 0 };
	int rc = lv_teg_log_read(path, &log, why);
	free(path);
	double all = 0, idle = 0;
	for (size_t i = 0; rc == LV_OK && i < log.n; i++) {
		if (log.lines[i].power_mw < 0)
			continue;
		all += (double)log.lines[i].power_mw;
		if (log.lines[i].load_pct == 0)
			idle += (double)log.lines[i].power_mw;
	}
	lv_teg_log_fini(&log);
	*idle_frac = all > 0 ? idle / all : NAN;
	return rc;
}

/*
 * How late the run's controller received the scenario's frames (reqlog.h);
 * *scen is scenario s, read on first use and kept for the other policies.
 */
static int measured_admission(const char *runs, const char *policy, int s, struct lv_trace **scen,
                              struct lv_admission *out, char **why)
{
	char *rel = lv_xasprintf("scenarios/scenario_%d.csv", s);
	char *scen_path = lv_path_join(runs, rel);
	free(rel);
	rel = lv_xasprintf("runs/%s/scenario_%d.requests.csv", policy, s);
	char *log_path = lv_path_join(runs, rel);
	free(rel);
	struct lv_reqlog log = { 0 };
	int rc = LV_OK;
	if (!*scen && !(*scen = lv_trace_load(scen_path, why)))
		rc = LV_EINVAL;
	if (rc == LV_OK)
		rc = lv_reqlog_load(log_path, &log, why);
	if (rc == LV_OK && (rc = lv_reqlog_admission(&log, *scen, out, why)) != LV_OK) {
		char *msg = lv_xasprintf("%s against %s: %s", log_path, scen_path, *why);
		free(*why);
		*why = msg;
	}
	lv_reqlog_fini(&log);
	free(log_path);
	free(scen_path);
	return rc;
}

/* The thesis's report.csv, for the (policy, scenario) pairs the twin ran. */
static int read_measured(const char *runs, struct pol *v, size_t n, char **why)
{
	char *path = lv_path_join(runs, "report.csv");
	struct lv_csv *c = lv_csv_open(path, why);
	free(path);
	if (!c)
		return LV_EIO;
	int cp = col(c, "experiment_type", why), cs = col(c, "experiment_id", why);
	int cf = col(c, "num_frames", why), ce = col(c, "total_energy_j", why);
	int cok = col(c, "percent_frames_within_constraint", why);
	int cto = col(c, "num_time_out", why), cc = col(c, "avg_gpu_freq_mhz", why);
	int rc = cp < 0 || cs < 0 || cf < 0 || ce < 0 || cok < 0 || cto < 0 || cc < 0 ? LV_EINVAL
	                                                                              : LV_OK;
	struct lv_trace *scen[MAX_SCEN] = { 0 }; /* each scenario read once, for every policy */
	while (rc == LV_OK && (rc = lv_csv_next(c, why)) == 1) {
		rc = LV_OK;
		struct pol *p = NULL;
		for (size_t i = 0; i < n && !p; i++)
			if (!strcmp(v[i].name, lv_csv_field(c, cp)))
				p = &v[i];
		double s, f, e, ok, to, clk;
		if (num(c, cs, &s, why) || num(c, cf, &f, why) || num(c, ce, &e, why) ||
		    num(c, cok, &ok, why) || num(c, cto, &to, why) || num(c, cc, &clk, why)) {
			rc = LV_EINVAL;
			break;
		}
		if (!p || !(s >= 0 && s < MAX_SCEN) || !(p->seen[(int)s] & 1))
			continue;
		double idle = NAN;
		rc = measured_idle(runs, p->name, (int)s, &idle, why);
		if (rc == LV_OK)
			rc = measured_admission(runs, p->name, (int)s, &scen[(int)s],
			                        &p->adm[(int)s], why);
		if (rc != LV_OK)
			break;
		p->seen[(int)s] |= 2;
		p->meas.frames += f;
		p->meas.ok += ok * f / 100.0;
		p->meas.lost += to;
		p->meas.energy_j += e;
		p->meas.clock_x_frames += clk * f;
		p->meas.idle_j += idle * e;
		p->meas.runs++;
	}
	for (int s = 0; s < MAX_SCEN; s++)
		lv_trace_free(scen[s]);
	lv_csv_free(c);
	return rc < 0 ? rc : LV_OK;
}

static void ranks(const double *x, size_t n, double *r)
{
	for (size_t i = 0; i < n; i++) {
		double less = 0, same = 0;
		for (size_t j = 0; j < n; j++) {
			less += x[j] < x[i];
			same += x[j] == x[i];
		}
		r[i] = less + (same - 1) / 2.0; /* ties share their mean rank */
	}
}

/* Spearman's rho: the Pearson correlation of the ranks. */
static double spearman(const double *x, const double *y, size_t n)
{
	double rx[MAX_POL], ry[MAX_POL], mx = 0, my = 0;
	ranks(x, n, rx);
	ranks(y, n, ry);
	for (size_t i = 0; i < n; i++) {
		mx += rx[i] / (double)n;
		my += ry[i] / (double)n;
	}
	double sxy = 0, sxx = 0, syy = 0;
	for (size_t i = 0; i < n; i++) {
		sxy += (rx[i] - mx) * (ry[i] - my);
		sxx += (rx[i] - mx) * (rx[i] - mx);
		syy += (ry[i] - my) * (ry[i] - my);
	}
	return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : NAN;
}

static int cmd_check(int argc, char **argv)
{
	struct args a = {
		.runs = LV_DEFAULT_RUNS_DIR, .fpj_tol = 10, .ok_tol = 10, .min_rank = 0.9
	};
	int rc = lv_opts_parse(&check_spec, argc, argv, &a);
	if (rc)
		return rc == LV_OPTS_HELP ? LV_EXIT_OK : rc;
	struct pol v[MAX_POL];
	size_t n = 0;
	char *why = NULL;
	if (read_twin(a.report, v, &n, &why) != LV_OK ||
	    read_measured(a.runs, v, n, &why) != LV_OK) {
		fprintf(stderr, "loudva twin check: %s\n", why ? why : "cannot read");
		free(why);
		return LV_EXIT_USAGE;
	}
	double xs[MAX_POL] = { 0 }, ys[MAX_POL] = { 0 };
	size_t m = 0;
	int bad = 0;
	printf("%-16s %9s %9s %7s | %6s %6s %6s | %6s %6s | %6s %6s | %5s %5s | %6s\n", "policy",
	       "meas f/J", "twin f/J", "error", "ok%", "twin", "d pts", "lost", "twin", "MHz",
	       "twin", "idle%", "twin", "recv s");
	for (size_t i = 0; i < n; i++) {
		struct pol *p = &v[i];
		int partial = 0;
		for (int s = 0; s < MAX_SCEN; s++)
			partial |= p->seen[s] == 1;
		if (p->meas.runs == 0 || partial) {
			fprintf(stderr,
			        "loudva twin check: %s: the thesis has no run for some of the "
			        "twin's scenarios\n",
			        p->name);
			bad = 1;
			continue;
		}
		const struct side *ms = &p->meas, *tw = &p->twin;
		double fm = ms->frames / ms->energy_j, ft = tw->frames / tw->energy_j;
		double om = 100 * ms->ok / ms->frames, ot = 100 * tw->ok / tw->frames;
		double err = 100 * (ft / fm - 1);
		double recv = 0;
		for (int s = 0; s < MAX_SCEN; s++)
			if (p->seen[s] & 2 && p->adm[s].p90_s > recv)
				recv = p->adm[s].p90_s;
		printf(
		    "%-16s %9.4f %9.4f %+6.1f%% | %6.1f %6.1f %+6.1f | %6.0f %6.0f | %6.0f %6.0f | "
		    "%5.1f %5.1f | %6.2f\n",
		    p->name, fm, ft, err, om, ot, ot - om, ms->lost, tw->lost,
		    ms->clock_x_frames / ms->frames, tw->clock_x_frames / tw->frames,
		    100 * ms->idle_j / ms->energy_j, 100 * tw->idle_j / tw->energy_j, recv);
		xs[m] = fm;
		ys[m] = ft;
		m++;
		if (!(fabs(err) <= a.fpj_tol) || !(fabs(ot - om) <= a.ok_tol))
			bad = 1;
	}
	double rho = spearman(xs, ys, m);
	printf("rank correlation (Spearman) of frames/J over %zu policies: %.3f\n", m, rho);
	printf("frames/J: every frame over the energy (the thesis's); MHz: frame-weighted mean of "
	       "the runs' mean clocks; lost: measured timed out, twin failed or expired; recv s: "
	       "how late the measured controller received the scenario's frames (90th "
	       "percentile, the policy's worst run)\n");
	for (size_t i = 0; i < n; i++)
		for (int s = 0; s < MAX_SCEN; s++)
			if (v[i].seen[s] & 2 && v[i].adm[s].p90_s >= LATE_RECEPTION_S)
				printf(
				    "%s scenario_%d: its controller received a tenth of the frames "
				    "%.1f s or more behind the scenario (the latest %.1f s): the "
				    "latencies measured start from then; `loudva trace "
				    "from-requests` "
				    "makes the trace of what it received\n",
				    v[i].name, s, v[i].adm[s].p90_s, v[i].adm[s].max_s);
	if (!(rho >= a.min_rank))
		bad = 1;
	if (a.check && bad) {
		fprintf(stderr,
		        "loudva twin check: outside the bounds (frames/J within %g%%, within "
		        "budget within %g points, rank correlation >= %g)\n",
		        a.fpj_tol, a.ok_tol, a.min_rank);
		return LV_EXIT_FAIL;
	}
	return LV_EXIT_OK;
}

static const struct lv_opt_verb twin_verbs[] = {
	{ "check", cmd_check, &check_spec },
	{ NULL, NULL, NULL },
};

int lv_cmd_twin(int argc, char **argv)
{
	return lv_opts_verbs("twin", twin_verbs, argc, argv);
}
