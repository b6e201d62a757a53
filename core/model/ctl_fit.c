/*
 * ctl_fit: the thesis-python controller profile, fitted from Experiment 1's
 * request logs and tegrastats logs (method in profiles/README.md).
 *
 * Measured:
 *  - frame_s: batches served alone (dispatched after the previous one came
 *    back, back before the next was dispatched) under loud and fixed batch:
 *    the median of dispatch-to-answer time per frame over batches of 5 or
 *    more frames, less the GPU's own time per frame at the top clock (the
 *    profile's grid, batch 16);
 *  - batch_s: the same batches of one frame: median time less frame_s and
 *    the GPU's time for one frame at the top clock;
 *  - cpus: requests of 8 or more frames served alone under no scheduler,
 *    whose frames went out in batches of at most intake_per_poll at once:
 *    the median of (work they needed) / (time they took);
 *  - the accounting: the median line spacing of every run's log, the
 *    median lead-in between the log's first line and the trace's time 0, and
 *    the median board power over the lead-in.
 * Taken from the data README (facts of the thesis's code), and checked
 * against the logs where they show: one or two frames per 10 ms poll, the
 * 60 s client and 300 s request time-outs (the latency of timed-out frames),
 * the busy timer, the start at the lowest clock with the GPU power gated
 * (every log's first lines show its rail at 0; profile->cold_idle_w).
 */
#include "ctlmodel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "base/file.h"
#include "base/util.h"
#include "profile.h"
#include "profile_import.h"
#include "reqlog.h"
#include "teglog.h"

#define N_SCEN             4
#define LOCAL_UTC_OFFSET_S 7200.0 /* the logs' local time is UTC+2 (data README) */

struct vec {
	double *v;
	size_t n, cap;
};

static void vpush(struct vec *x, double v)
{
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 64;
		x->v = lv_xrealloc(x->v, x->cap * sizeof(double));
	}
	x->v[x->n++] = v;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double vmedian(struct vec *x)
{
	if (x->n == 0)
		return NAN;
	qsort(x->v, x->n, sizeof(double), cmp_dbl);
	return x->n % 2 ? x->v[x->n / 2] : 0.5 * (x->v[x->n / 2 - 1] + x->v[x->n / 2]);
}

static char *run_file(const char *runs_dir, const char *policy, int s, const char *what)
{
	char *name = lv_xasprintf("runs/%s/scenario_%d.%s", policy, s, what);
	char *path = lv_path_join(runs_dir, name);
	free(name);
	return path;
}

/* A request: its frames' last queue exit and its answer. */
struct req {
	double arrival, last_exit, done;
	int frames, ok;
};

/* Requests of rows (rows of one request are adjacent in the logs). */
static size_t group_requests(const struct lv_reqlog *rs, struct req *out)
{
	size_t n = 0;
	for (size_t i = 0; i < rs->n; i++) {
		const struct lv_reqlog_row *r = &rs->v[i];
		if (i == 0 || strcmp(r->req, rs->v[i - 1].req)) {
			out[n++] = (struct req){ r->arrival, -INFINITY, r->done, 0, 1 };
		}
		struct req *q = &out[n - 1];
		q->frames++;
		if (!r->has_exit || r->timed_out || !isfinite(r->done))
			q->ok = 0;
		else if (r->exit > q->last_exit)
			q->last_exit = r->exit;
	}
	return n;
}

/* Batches served alone in one run: per-frame times (b >= 5) and single-frame times. */
static void alone_batches(const struct lv_reqlog *rs, struct vec *per_frame, struct vec *single)
{
	/* batches: distinct queue exits, in order, with their frame counts */
	struct vec ex = { 0 };
	for (size_t i = 0; i < rs->n; i++)
		if (rs->v[i].has_exit && !rs->v[i].timed_out)
			vpush(&ex, rs->v[i].exit);
	qsort(ex.v, ex.n, sizeof(double), cmp_dbl);
	struct req *rq = lv_xcalloc(rs->n ? rs->n : 1, sizeof(*rq));
	size_t nr = group_requests(rs, rq);
	size_t i = 0;
	double prev_done = -INFINITY;
	while (i < ex.n) {
		size_t j = i;
		while (j < ex.n && ex.v[j] == ex.v[i])
			j++;
		double q = ex.v[i];
		int b = (int)(j - i);
		/* the batch comes back when the first request it completes is answered */
		double done = INFINITY;
		for (size_t k = 0; k < nr; k++)
			if (rq[k].ok && rq[k].last_exit == q && rq[k].done < done)
				done = rq[k].done;
		double next = j < ex.n ? ex.v[j] : INFINITY;
		if (isfinite(done) && next > done && prev_done < q) {
			if (b >= 5)
				vpush(per_frame, (done - q) / b);
			if (b == 1)
				vpush(single, done - q);
		}
		if (isfinite(done))
			prev_done = done;
		i = j;
	}
	free(rq);
	free(ex.v);
}

/* Requests of 8+ frames served alone under no scheduler: their time per frame. */
static void alone_requests(const struct lv_reqlog *rs, struct vec *per_frame, struct vec *timed_out)
{
	struct req *rq = lv_xcalloc(rs->n ? rs->n : 1, sizeof(*rq));
	size_t nr = group_requests(rs, rq);
	double last = -INFINITY;
	for (size_t k = 0; k < nr; k++) {
		if (rq[k].ok && rq[k].frames >= 8 && rq[k].arrival > last + 0.5)
			vpush(per_frame, (rq[k].done - rq[k].arrival) / rq[k].frames);
		if (isfinite(rq[k].done) && rq[k].done > last)
			last = rq[k].done;
	}
	for (size_t i = 0; i < rs->n; i++)
		if (rs->v[i].timed_out && isfinite(rs->v[i].done))
			vpush(timed_out, rs->v[i].done - rs->v[i].arrival);
	free(rq);
}

/* The scenario's first request time (trace time of the run's first camera request). */
static int scenario_first(const char *runs_dir, int s, double *first, char **why)
{
	char *name = lv_xasprintf("scenarios/scenario_%d.csv", s);
	char *path = lv_path_join(runs_dir, name);
	free(name);
	struct lv_csv *c = lv_csv_open(path, why);
	free(path);
	if (!c)
		return LV_EIO;
	int ct = lv_csv_require(c, "Time", why);
	int rc = ct < 0 ? LV_EINVAL : lv_csv_next(c, why);
	if (rc == 1)
		rc = lv_csv_double(c, ct, first, why);
	else if (rc == 0)
		rc = lv_fail(why, LV_EINVAL, "%s: no requests", lv_csv_origin(c));
	lv_csv_free(c);
	return rc;
}

/* Lead-in, its power and the line spacing of one run's log. */
static int run_acct(const char *runs_dir, const char *policy, int s, const struct lv_reqlog *rs,
                    struct vec *lead, struct vec *lead_w, struct vec *spacing, char **why)
{
	char *path = run_file(runs_dir, policy, s, "tegrastats.log");
	struct lv_teg_log log = { 0 };
	int rc = lv_teg_log_read(path, &log, why);
	free(path);
	double t0 = 0;
	if (rc == LV_OK)
		rc = scenario_first(runs_dir, s, &t0, why);
	if (rc == LV_OK && log.n > 0 && log.lines[0].stamp_s >= 0 && rs->n > 0) {
		double first = INFINITY;
		for (size_t i = 0; i < rs->n; i++)
			if (rs->v[i].arrival < first)
				first = rs->v[i].arrival;
		double start = (double)log.lines[0].stamp_s - LOCAL_UTC_OFFSET_S;
		vpush(lead, first - start - t0);
		if (log.dt_s > 0)
			vpush(spacing, log.dt_s);
		double sum = 0;
		size_t n = 0;
		for (size_t i = 0; i < log.n; i++) {
			double at = (double)log.lines[i].stamp_s - LOCAL_UTC_OFFSET_S;
			if (at < first - 1 && log.lines[i].power_mw >= 0) {
				sum += (double)log.lines[i].power_mw / 1000.0;
				n++;
			}
		}
		if (n > 0)
			vpush(lead_w, sum / (double)n);
	}
	lv_teg_log_fini(&log);
	return rc;
}

static double grid_latency(const struct lv_profile *p, uint64_t f, int b)
{
	for (size_t i = 0; i < p->n_points; i++)
		if (p->points[i].freq_hz == f && p->points[i].batch == b)
			return p->points[i].latency_s;
	return NAN;
}

int lv_ctl_import_thesis(const char *runs_dir, const struct lv_profile *agx, struct lv_ctl_model *m,
                         char **report, char **why)
{
	static const char *const POLICIES[] = {
		"transparent",  "fixed_batch_8", "fixed_batch_16", "fixed_batch_32", "interval_0.2",
		"interval_0.5", "interval_1",    "loud_pred",      "loud_prof",
	};
	struct vec pf = { 0 }, one = { 0 }, tr = { 0 }, to = { 0 };
	struct vec lead = { 0 }, lead_w = { 0 }, spacing = { 0 };
	int rc = LV_OK;
	for (size_t p = 0; p < sizeof(POLICIES) / sizeof(POLICIES[0]) && rc == LV_OK; p++) {
		for (int s = 0; s < N_SCEN && rc == LV_OK; s++) {
			struct lv_reqlog rs = { 0 };
			char *path = run_file(runs_dir, POLICIES[p], s, "requests.csv");
			rc = lv_reqlog_load(path, &rs, why);
			free(path);
			if (rc == LV_OK) {
				if (!strncmp(POLICIES[p], "loud", 4) ||
				    !strncmp(POLICIES[p], "fixed", 5))
					alone_batches(&rs, &pf, &one);
				if (!strcmp(POLICIES[p], "transparent"))
					alone_requests(&rs, &tr, &to);
				else {
					struct vec scratch = { 0 };
					alone_requests(&rs, &scratch, &to);
					free(scratch.v);
				}
				rc = run_acct(runs_dir, POLICIES[p], s, &rs, &lead, &lead_w,
				              &spacing, why);
			}
			lv_reqlog_fini(&rs);
		}
	}
	uint64_t top = agx->n_freqs ? agx->freqs_hz[agx->n_freqs - 1] : 0;
	double gpu1 = grid_latency(agx, top, 1), gpu16 = grid_latency(agx, top, 16) / 16;
	if (rc == LV_OK && (pf.n < 5 || one.n < 3 || tr.n < 5 || lead.n == 0 || spacing.n == 0 ||
	                    !isfinite(gpu1) || !isfinite(gpu16)))
		rc = lv_fail(why, LV_EINVAL,
		             "%s: too little to fit the controller (%zu batches served alone, %zu "
		             "single frames, %zu requests under no scheduler, %zu logs)",
		             runs_dir, pf.n, one.n, tr.n, spacing.n);
	if (rc == LV_OK) {
		lv_ctl_model_ideal(m);
		snprintf(m->name, sizeof(m->name), "thesis-python");
		m->intake_per_poll = 2;
		m->poll_s = 0.01;
		double frame = vmedian(&pf) - gpu16;
		m->frame_s = frame > 0 ? frame : 0;
		double batch = vmedian(&one) - m->frame_s - gpu1;
		m->batch_s = batch > 0 ? batch : 0;
		double per = vmedian(&tr);
		m->cpus = (m->frame_s + m->batch_s / m->intake_per_poll) / per;
		if (m->cpus < 1)
			m->cpus = 1;
		m->batch_timeout_s = 60;
		m->request_timeout_s = 300;
		m->busy_timer = 1;
		m->start_lowest = 1;
		m->start_cold = 1;
		m->has_acct = 1;
		m->acct.line_s = 0.2;
		m->acct.spacing_s = vmedian(&spacing);
		double li = vmedian(&lead);
		m->acct.lead_in_s = li > 0 ? li : 0;
		m->acct.lead_in_w = lead_w.n ? vmedian(&lead_w) : 0;
		double tom = vmedian(&to);
		snprintf(m->source, sizeof(m->source),
		         "loudva profile import: Experiment 1 request and tegrastats logs, 9 "
		         "policies x %d scenarios: %zu batches served alone (frame_s, batch_s), "
		         "%zu requests under no scheduler (cpus), %zu logs (accounting); "
		         "time-outs and intake from the data README (timed-out frames' median "
		         "latency %.1f s)",
		         N_SCEN, pf.n + one.n, tr.n, spacing.n, tom);
		lv_import_report_add(
		    report,
		    "controller thesis-python: frame_s %.4f s (median %.4f s per frame over %zu "
		    "batches of 5+ served alone, less %.4f s of GPU), batch_s %.4f s (%zu single "
		    "frames), cpus %.2f (%zu requests under no scheduler, %.4f s per frame); "
		    "accounting: lines %.4f s apart, lead-in %.2f s at %.2f W; timed-out frames "
		    "answered after %.1f s (median)\n",
		    m->frame_s, m->frame_s + gpu16, pf.n, gpu16, m->batch_s, one.n, m->cpus, tr.n,
		    per, m->acct.spacing_s, m->acct.lead_in_s, m->acct.lead_in_w, tom);
	}
	free(pf.v);
	free(one.v);
	free(tr.v);
	free(to.v);
	free(lead.v);
	free(lead_w.v);
	free(spacing.v);
	return rc;
}
