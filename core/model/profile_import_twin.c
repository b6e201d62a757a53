/*
 * profile_import_twin: the parts of a profile that are fitted to logs of the
 * real boards — idle power by clock, the default governor's timings and the
 * clock-change delay — for lv_profile_import (profile_import.c). The fits are
 * profile_fit_*.c; this file picks each kind's logs, runs the fits and writes
 * their account into the import report. Method and numbers:
 * profiles/README.md.
 *
 * The logs:
 *  - Experiment 1 (the thesis's real runs on one AGX Xavier), read in place
 *    from src->runs_dir: runs/<policy>/scenario_<s>.{tegrastats,controller}.log
 *    for the policies in RUNS and scenarios 0 to N_SCENARIOS - 1, named here
 *    one by one so that runs added later (the held-back scenarios) can never
 *    slip into a fit;
 *  - tegrastats/<kind>.log of the measurement directory (src->data_dir).
 * A log whose memory clock never moves while the GPU idles is not used for
 * idle power when the kind has a log whose memory clock does move: idle power
 * at a clock is what the board draws with its memory clock following the GPU
 * clock, as it does by default.
 */
#include "profile_import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "profile_fit.h"
#include "teglog.h"
#include "base/file.h"
#include "base/util.h"

#define N_SCENARIOS 4

/* Experiment 1's policies; `pinned`: it wrote the clock itself (see the data README). */
static const struct {
	const char *policy;
	int pinned;
} RUNS[] = {
	{ "transparent", 0 },    { "fixed_batch_8", 0 }, { "fixed_batch_16", 0 },
	{ "fixed_batch_32", 0 }, { "interval_0.2", 0 },  { "interval_0.5", 0 },
	{ "interval_1", 0 },     { "loud_pred", 1 },     { "loud_prof", 1 },
};
#define N_RUNS (sizeof(RUNS) / sizeof(RUNS[0]))

static char *run_path(const struct lv_import_src *src, size_t r, int s, const char *what)
{
	char *name = lv_xasprintf("runs/%s/scenario_%d.%s.log", RUNS[r].policy, s, what);
	char *path = lv_path_join(src->runs_dir, name);
	free(name);
	return path;
}

/* A growing set of read logs. */
struct logs {
	struct lv_teg_log *v;
	size_t n;
};

static int logs_add(struct logs *l, const char *path, char **why)
{
	l->v = lv_xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	int rc = lv_teg_log_read(path, &l->v[l->n], why);
	l->n++; /* even on error, so logs_free releases it */
	return rc;
}

static void logs_free(struct logs *l)
{
	for (size_t i = 0; i < l->n; i++)
		lv_teg_log_fini(&l->v[i]);
	free(l->v);
	*l = (struct logs){ 0 };
}

/* Experiment 1's tegrastats logs: all runs (pinned < 0), or those with(out) a pinned clock. */
static int read_runs(const struct lv_import_src *src, int pinned, struct logs *l, char **why)
{
	int rc = LV_OK;
	for (size_t r = 0; r < N_RUNS && rc == 0; r++) {
		if (pinned >= 0 && RUNS[r].pinned != pinned)
			continue;
		for (int s = 0; s < N_SCENARIOS && rc == 0; s++) {
			char *path = run_path(src, r, s, "tegrastats");
			rc = logs_add(l, path, why);
			free(path);
		}
	}
	return rc;
}

/* ---- idle power ---------------------------------------------------------- */

static size_t lines_of(const struct logs *l, size_t from, size_t to)
{
	size_t n = 0;
	for (size_t i = from; i < to; i++)
		n += l->v[i].n;
	return n;
}

/*
 * Kind ki's idle statistics: its runs (if any) and its measurement log, less
 * the logs whose memory clock is pinned when another log's is not.
 */
static int idle_stats(const struct lv_import_src *src, size_t ki, struct lv_idle_stats *st,
                      char **rep, char **why)
{
	struct logs l = { 0 };
	char *name = lv_xasprintf("tegrastats/%s.log", src->kinds[ki].kind);
	char *path = lv_path_join(src->data_dir, name);
	int rc = src->kinds[ki].has_runs ? read_runs(src, -1, &l, why) : LV_OK;
	size_t n_runs = l.n;
	if (rc == 0)
		rc = logs_add(&l, path, why);
	if (rc < 0)
		goto out;
	long lo, hi, any_moving = 0;
	for (size_t i = 0; i < l.n; i++) {
		lv_teg_log_emc_range(&l.v[i], &lo, &hi);
		any_moving |= lo != hi;
	}
	const struct lv_teg_log *own = &l.v[l.n - 1];
	size_t gated = 0;
	for (size_t i = 0; i < own->n; i++)
		gated += own->lines[i].gpu_rail_mw == 0;
	if (gated == own->n)
		lv_import_report_add(rep,
		                     "    %s: the GPU rail reads 0 mW on every line: the GPU was "
		                     "rail-gated throughout, its idle power is the gated GPU's\n",
		                     name);
	size_t keep = 0;
	for (size_t i = 0; i < l.n; i++) {
		lv_teg_log_emc_range(&l.v[i], &lo, &hi);
		int use = !(any_moving && lo == hi);
		if (i >= n_runs)
			lv_import_report_add(
			    rep, "    %s: %zu lines, memory clock %ld-%ld MHz while idle%s\n", name,
			    l.v[i].n, lo, hi, use ? "" : ": pinned, not used");
		if (use) {
			struct lv_teg_log t = l.v[keep];
			l.v[keep++] = l.v[i];
			l.v[i] = t;
		}
	}
	if (n_runs)
		lv_import_report_add(rep,
		                     "    thesis-experiment-1: %zu tegrastats logs (runs/<policy>/"
		                     "scenario_0..%d), %zu lines\n",
		                     n_runs, N_SCENARIOS - 1, lines_of(&l, 0, n_runs));
	rc = lv_idle_stats_build(l.v, keep, st, why);
out:
	logs_free(&l);
	free(path);
	free(name);
	return rc;
}

/* s/a of the other kinds with two or more measured clocks, averaged; names them in *from. */
static int borrow_rel_slope(const struct lv_import_src *src, size_t self, double *rel, char *from,
                            size_t from_len, char **why)
{
	double sum = 0;
	int n = 0, rc = LV_OK;
	from[0] = '\0';
	for (size_t k = 0; k < src->n_kinds && rc == 0; k++) {
		if (k == self)
			continue;
		struct lv_idle_stats st = { 0 };
		struct lv_profile grid = { 0 };
		rc = lv_import_grid(src->data_dir, src->kinds[k].key, &grid, why);
		if (rc == 0)
			rc = idle_stats(src, k, &st, NULL, why);
		double r = rc == 0 ? lv_idle_rel_slope(&st, grid.freqs_hz, grid.n_freqs) : 0;
		if (r > 0) {
			sum += r;
			n++;
			snprintf(from + strlen(from), from_len - strlen(from), "%s%s",
			         n > 1 ? ", " : "", src->kinds[k].kind);
		}
		lv_idle_stats_fini(&st);
		free(grid.points);
		free(grid.freqs_hz);
	}
	*rel = n ? sum / n : 0;
	return rc;
}

/* Idle never above 90% of the least busy power at a clock: k < 1 scales the curve. */
static double busy_guard(struct lv_profile *p)
{
	double k = 1e300;
	for (size_t i = 0; i < p->n_freqs; i++) {
		double least = 1e300;
		for (size_t j = 0; j < p->n_points; j++)
			if (p->points[j].freq_hz == p->freqs_hz[i] &&
			    p->points[j].energy_j / p->points[j].latency_s < least)
				least = p->points[j].energy_j / p->points[j].latency_s;
		if (0.9 * least / p->idle_power_w[i] < k)
			k = 0.9 * least / p->idle_power_w[i];
	}
	if (k < 1)
		for (size_t i = 0; i < p->n_freqs; i++)
			p->idle_power_w[i] *= k;
	return k;
}

static void report_stats(const struct lv_idle_stats *st, char **rep)
{
	lv_import_report_add(rep,
	                     "    %zu idle lines (GR3D_FREQ 0%%), %zu with the GPU rail-gated, "
	                     "%zu settled:\n",
	                     st->n_idle, st->n_cold, st->n_settled);
	for (size_t i = 0; i < st->n_clocks; i++) {
		const struct lv_idle_clock *c = &st->clocks[i];
		lv_import_report_add(
		    rep, "    %5ld MHz: %5zu samples, median %.3f W (%.3f-%.3f)%s\n", c->mhz, c->n,
		    c->median_w, c->p25_w, c->p75_w, c->n < LV_IDLE_MIN_SAMPLES ? " thin" : "");
	}
}

int lv_import_idle(const struct lv_import_src *src, size_t ki, struct lv_profile *p, char **rep,
                   char **why)
{
	struct lv_idle_stats st = { 0 };
	char from[96] = "";
	char *how = lv_xcalloc(p->n_freqs + 1, 1);
	double rel = 0, a = 0, s = 0;
	lv_import_report_add(rep, "  idle power, from settled idle lines:\n");
	int rc = idle_stats(src, ki, &st, rep, why);
	if (rc == 0)
		report_stats(&st, rep);
	if (rc == 0 && lv_idle_rel_slope(&st, p->freqs_hz, p->n_freqs) == 0)
		rc = borrow_rel_slope(src, ki, &rel, from, sizeof(from), why);
	p->idle_power_w = lv_xcalloc(p->n_freqs, sizeof(*p->idle_power_w));
	if (rc == 0)
		rc = lv_idle_curve(&st, p->freqs_hz, p->n_freqs, rel, p->idle_power_w, how, &a, &s,
		                   src->kinds[ki].kind, why);
	if (rc < 0)
		goto out;
	if (rel > 0)
		lv_import_report_add(rep,
		                     "    fewer than two measured clocks: slope borrowed as s/a = "
		                     "%.6f /GHz (mean of %s): a = %.6f W, s = %.6f W/GHz\n",
		                     rel * 1e9, from, a, s * 1e9);
	double k = busy_guard(p);
	lv_import_report_add(rep, "    at the grid's clocks (m measured, i interpolated, "
	                          "x extrapolated, b borrowed slope):\n");
	for (size_t i = 0; i < p->n_freqs; i++)
		lv_import_report_add(rep, "%s%8.6g MHz %.3f W %c%s", i % 4 == 0 ? "     " : "  ",
		                     (double)p->freqs_hz[i] / 1e6, p->idle_power_w[i], how[i],
		                     i % 4 == 3 || i + 1 == p->n_freqs ? "\n" : "");
	lv_import_report_add(rep, "    scale k = %.6f: %s\n", k,
	                     k < 1 ? "applied (idle <= 90% of least busy power at every clock)"
	                           : "not applied (>= 1)");
out:
	free(how);
	lv_idle_stats_fini(&st);
	return rc;
}

/* ---- cold idle: before the run's first inference --------------------------- */

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

int lv_import_cold(const struct lv_import_src *src, size_t ki, struct lv_profile *p, char **rep,
                   char **why)
{
	p->cold_idle_w = 0;
	if (!src->kinds[ki].has_runs) {
		lv_import_report_add(rep, "  cold idle: no runs of this kind; not modelled (idle "
		                          "power from the curve from the start)\n");
		return LV_OK;
	}
	struct logs l = { 0 };
	int rc = read_runs(src, -1, &l, why);
	long *v = NULL;
	size_t n = 0, cap = 0, runs = 0;
	for (size_t r = 0; rc == 0 && r < l.n; r++) {
		const struct lv_teg_log *g = &l.v[r];
		size_t used = n;
		/* Lines before the first with the GPU busy, its rail off (power gated). */
		for (size_t i = 0; i < g->n && g->lines[i].load_pct == 0; i++) {
			if (g->lines[i].gpu_rail_mw != 0 || g->lines[i].power_mw < 0)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 1024;
				v = lv_xrealloc(v, cap * sizeof(*v));
			}
			v[n++] = g->lines[i].power_mw;
		}
		runs += n > used;
	}
	if (rc == 0 && n >= 100) {
		qsort(v, n, sizeof(*v), cmp_long);
		long med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
		p->cold_idle_w = (double)med / 1000.0;
		lv_import_report_add(rep,
		                     "  cold idle (GPU rail at 0 before a run's first inference): "
		                     "median %.3f W over %zu lines of %zu runs (the curve's %.3f W "
		                     "at %.6g MHz once the GPU has run)\n",
		                     p->cold_idle_w, n, runs, p->idle_power_w[0],
		                     (double)p->freqs_hz[0] / 1e6);
	} else if (rc == 0) {
		lv_import_report_add(rep,
		                     "  cold idle: only %zu lines before a first inference; not "
		                     "modelled\n",
		                     n);
	}
	free(v);
	logs_free(&l);
	return rc;
}

/* ---- the default governor ------------------------------------------------ */

/* The first kind with runs (the one every other borrows from), or n_kinds. */
static size_t run_kind(const struct lv_import_src *src)
{
	size_t k = 0;
	while (k < src->n_kinds && !src->kinds[k].has_runs)
		k++;
	return k;
}

int lv_import_governor(const struct lv_import_src *src, size_t ki, struct lv_profile *p, char **rep,
                       char **why)
{
	size_t rk = run_kind(src);
	if (rk == src->n_kinds)
		return lv_fail(why, LV_EINVAL, "no kind has runs to fit the governor from");
	struct lv_profile grid = { 0 };
	struct logs l = { 0 };
	struct lv_gov_fit g;
	int rc = lv_import_grid(src->data_dir, src->kinds[rk].key, &grid, why);
	if (rc == 0)
		rc = read_runs(src, 0, &l, why);
	if (rc == 0)
		rc = lv_gov_fit(l.v, l.n, (long)(grid.freqs_hz[grid.n_freqs - 1] / 1000000),
		                (long)(grid.freqs_hz[0] / 1000000), &g, src->runs_dir, why);
	if (rc < 0)
		goto out;
	p->governor = (struct lv_governor){ g.ramp_busy_s, g.hold_s, g.descent_s, p->freqs_hz[0] };
	if (ki != rk) {
		lv_import_report_add(rep,
		                     "  governor: borrowed from %s (no runs of this kind under its "
		                     "default governor); floor %.6g MHz, its lowest clock\n",
		                     src->kinds[rk].kind, (double)p->freqs_hz[0] / 1e6);
		goto out;
	}
	lv_import_report_add(rep, "  governor, from %zu tegrastats logs of runs under it:\n", l.n);
	lv_import_report_add(rep,
	                     "    hold %.3f s: Kaplan-Meier median over %zu quiet runs at the "
	                     "top, %zu of which left it\n",
	                     g.hold_s, g.n_quiet, g.n_drops);
	lv_import_report_add(rep,
	                     "    descent %.3f s to the floor: median of %zu (quartiles %.3f, "
	                     "%.3f)\n",
	                     g.descent_s, g.n_descents, g.descent_p25_s, g.descent_p75_s);
	lv_import_report_add(rep,
	                     "    ramp %.3f s of GPU busy time from the floor to the top: "
	                     "Kaplan-Meier median over %zu ramps, %zu censored\n",
	                     g.ramp_busy_s, g.n_ramps, g.n_ramps_censored);
	lv_import_report_add(rep,
	                     "    rest: %zu of %zu quiet runs from the top longer than hold + "
	                     "descent ended at the floor",
	                     g.n_long_floor, g.n_long);
	if (g.n_long_floor < g.n_long)
		lv_import_report_add(rep, ", the others at %ld-%ld MHz", g.long_low_mhz,
		                     g.long_high_mhz);
	lv_import_report_add(rep, "\n");
out:
	logs_free(&l);
	free(grid.points);
	free(grid.freqs_hz);
	return rc;
}

/* ---- clock changes ------------------------------------------------------- */

int lv_import_clock_change(const struct lv_import_src *src, size_t ki, struct lv_profile *p,
                           char **rep, char **why)
{
	size_t rk = run_kind(src);
	if (rk == src->n_kinds)
		return lv_fail(why, LV_EINVAL, "no kind has controller logs to fit clock changes");
	double *v = NULL, mean = 0;
	size_t n = 0, cap = 0, n_logs = 0;
	int rc = LV_OK;
	for (size_t r = 0; r < N_RUNS && rc == 0; r++) {
		for (int s = 0; RUNS[r].pinned && s < N_SCENARIOS && rc == 0; s++) {
			char *path = run_path(src, r, s, "controller");
			rc = lv_cc_read(path, &v, &n, &cap, why);
			n_logs++;
			free(path);
		}
	}
	if (rc == 0 && n == 0)
		rc = lv_fail(why, LV_EINVAL, "%s: no clock change in the controller logs",
		             src->runs_dir);
	if (rc < 0)
		goto out;
	p->n_cc_shape = LV_CC_QUANTILES;
	p->cc_shape = lv_xcalloc(LV_CC_QUANTILES, sizeof(double));
	lv_cc_shape(v, n, p->cc_shape, &mean);
	double scale = src->kinds[ki].thesis_delay_s / src->kinds[rk].thesis_delay_s;
	p->clock_change_delay_s = mean * scale;
	if (ki != rk) {
		lv_import_report_add(rep,
		                     "  clock change: %s's distribution scaled by the thesis's "
		                     "figures (%.2f s / %.2f s): mean %.3f s\n",
		                     src->kinds[rk].kind, src->kinds[ki].thesis_delay_s,
		                     src->kinds[rk].thesis_delay_s, p->clock_change_delay_s);
		goto out;
	}
	lv_import_report_add(rep,
	                     "  clock change, dispatch to \"Frequency set\" in %zu controller "
	                     "logs: %zu changes, mean %.3f s\n",
	                     n_logs, n, mean);
	lv_import_report_add(rep,
	                     "    min %.3f, p5 %.3f, p25 %.3f, median %.3f, p75 %.3f, p95 %.3f, "
	                     "max %.3f s\n",
	                     v[0], mean * p->cc_shape[1], mean * p->cc_shape[5],
	                     mean * p->cc_shape[10], mean * p->cc_shape[15], mean * p->cc_shape[19],
	                     v[n - 1]);
out:
	free(v);
	return rc;
}
