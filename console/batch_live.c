/*
 * batch_live: the cells of a `"mode": "live"` experiment, run one at a time
 * in the parent process on a live cluster, with a fresh live controller
 * (live.h) per cell under the cell's policy. The devices are either
 *   - embedded: for each cell a fresh emulated cluster, one loudva-agent per
 *     device of the spec's cluster file (launcher.h), emulating from the
 *     cell's cost tables and stopped when the cell ends; or
 *   - a running cluster (b->bc, batch_cluster.c): the cluster file's agents
 *     and Triton servers at their URLs, checked before each cell (which
 *     releases their clocks) and their clocks released again after it; the
 *     agents are never started or stopped here.
 * The cell's trace is replayed on the controller's clock by in-process
 * submission (lv_live_submit with no tensors, as the console's workload
 * does), every frame is waited for, the controller is shut down, and its
 * figures (lv_live_result, lv_live_timeline) become the same struct
 * lv_exp_result the simulator fills, written to cells/run-NNNNN.json. The
 * controller records the run itself in cells/run-NNNNN.db (the run row as
 * the simulator's worker writes it, every frame and batch, every telemetry
 * sample), which cmd_batch.c merges into loudva.db as for sim.
 *
 * Window and times. Request i goes out when the controller's clock reads
 * time_i, and the controller's window opens time_0 before the first frame
 * (window_lead_s), i.e. at trace time 0 give or take the hand-off's delay;
 * so the store's times and the power timeline are on the trace's time
 * axis, as the simulator's are, to within a millisecond or so. The
 * controller is shut down once every frame is answered and, with the
 * common window, no earlier than the instance's window as the simulator
 * found it (pass 1) plus 20 ms, so a live run's window is the simulator's
 * give or take a few tens of ms, and `loudva sim --until <live window>`
 * holds the simulator to the same one.
 *
 * Order of stopping, as in `loudva serve`: lv_live_shutdown (every frame
 * answered), the embedded agents, then the figures, then lv_live_stop (the
 * store flushed and closed), then a running cluster's clocks released.
 */
#include "batch.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model/cluster.h"
#include "commands.h"
#include "exp/experiment.h"
#include "harness/launcher.h"
#include "live/live.h"
#include "sched/metrics.h"
#include "model/model_config.h"
#include "sim/sim.h"
#include "store/store.h"
#include "base/clock.h"
#include "base/util.h"
#include "progress.h"

/* Sleeps until lv's clock reads t; 1 when a stop signal arrived first. */
static int sleep_until(const struct lv_batch *b, const struct lv_live *lv, double t)
{
	while (!*b->stop) {
		double d = t - lv_live_clock(lv);
		if (d <= 0)
			return 0;
		if (d > 0.05)
			d = 0.05;
		struct timespec ts = { 0, (long)(d * 1e9) };
		nanosleep(&ts, NULL);
	}
	return 1;
}

/* A deep copy of a run's figures (the live controller's are borrowed). */
static void copy_metrics(struct lv_run_metrics *dst, const struct lv_run_metrics *src)
{
	*dst = *src;
	dst->devices = NULL;
	if (src->n_devices) {
		dst->devices = lv_xcalloc(src->n_devices, sizeof(*dst->devices));
		memcpy(dst->devices, src->devices, src->n_devices * sizeof(*dst->devices));
	}
}

/*
 * Replays the trace on lv and waits for every frame; returns 1 when a stop
 * signal cut the replay short (frames already submitted are still waited for).
 */
static int replay(struct lv_batch *b, struct lv_live *lv, const struct lv_trace *t, double end_s)
{
	struct lv_live_request **reqs = lv_xcalloc(t->n, sizeof(*reqs));
	double open_s = 0;
	size_t n = 0;
	int stopped = 0;
	for (; n < t->n; n++) {
		if ((stopped = sleep_until(b, lv, t->reqs[n].time_s)))
			break;
		reqs[n] = lv_live_request_new(t->reqs[n].frames, t->reqs[n].budget_s, 0);
		reqs[n]->trace_index = (int64_t)n;
		lv_live_submit(lv, reqs[n]);
		if (n == 0) /* the window opens time_0 before this moment (or a hair later) */
			open_s = lv_live_clock(lv) - t->reqs[0].time_s;
	}
	/* A margin, so the live window is never a hair short of the simulator's. */
	if (!stopped)
		stopped = sleep_until(b, lv, open_s + end_s + 0.02);
	for (size_t i = 0; i < n; i++) {
		lv_live_request_wait(reqs[i]);
		lv_live_request_free(reqs[i]);
	}
	free(reqs);
	return stopped;
}

/*
 * Starts the cell's controller — and its agents when they are embedded —
 * recording into db as `run` describes; 0, or an LV_E* code with *why.
 */
static int start_cell(struct lv_batch *b, size_t cell, const char *db,
                      const struct lv_store_run *run, struct lv_launcher **lp, struct lv_live **lvp,
                      char **why)
{
	struct lv_experiment *e = b->e;
	const struct lv_exp_cell *c = &e->cells[cell];
	const struct lv_exp_policy *p = &e->spec.policies[c->policy];
	const struct lv_trace *t = e->instances[c->instance].t;
	struct lv_live_config cfg;
	lv_live_config_default(&cfg);
	char *model_config = lv_cmd_data(LV_DEFAULT_MODEL_CONFIG);
	int rc = lv_model_info_load(model_config, &cfg.model, why);
	free(model_config);
	if (rc != LV_OK)
		return rc;
	struct lv_cluster *cl = lv_cluster_load(e->spec.cluster_path, why);
	if (!cl)
		return LV_EINVAL;
	rc = lv_cluster_build_costs(cl, p->costs, e->spec.predictor_path, why);
	if (rc == LV_OK && !b->bc) {
		struct lv_launcher_config lc;
		lv_launcher_config_default(&lc);
		char *agent = b->agent ? lv_xstrdup(b->agent) : lv_launcher_default_agent();
		lc.agent_path = agent;
		lc.predictor_path = e->spec.predictor_path;
		*lp = lv_launcher_start(cl, &lc, why);
		free(agent);
		rc = *lp ? LV_OK : LV_EIO;
	}
	if (rc == LV_OK) {
		cfg.cluster = cl;
		cfg.policy = p->spec;
		cfg.token = *lp ? lv_launcher_token(*lp) : lv_batch_cluster_token(b->bc);
		cfg.window_lead_s = t->reqs[0].time_s;
		cfg.db_path = db;
		cfg.db_run = run;
		cfg.sample_s = e->spec.sample_s;
		cfg.trace_requests = t->n;
		*lvp = lv_live_new(&cfg, why);
		if (*lvp)
			return LV_OK; /* lv owns the cluster; the launcher borrows it */
		rc = LV_EINVAL;
	}
	lv_launcher_stop(*lp);
	*lp = NULL;
	lv_cluster_free(cl);
	return rc;
}

/* The figures of a shut-down controller into r; 0, or LV_EIO when it has none. */
static int take_figures(struct lv_live *lv, struct lv_exp_result *r, char **why)
{
	const struct lv_snapshot *s = lv_live_snapshot_get(lv);
	const struct lv_run_metrics *m = lv_live_result(lv);
	const struct lv_timeline *tl = lv_live_timeline(lv);
	int rc = LV_OK;
	if (m && s) {
		copy_metrics(&r->m, m);
		r->accepted = s->counts.received;
		r->batches = s->counts.batches_dispatched;
		r->decisions = s->counts.decisions;
	} else {
		rc = lv_fail(why, LV_EIO, "the live controller gave no figures");
	}
	if (rc == LV_OK && tl && tl->n) {
		r->n_power = tl->n;
		r->power_w = lv_xmalloc(tl->n * sizeof(double));
		memcpy(r->power_w, tl->cluster_w, tl->n * sizeof(double));
	}
	lv_live_snapshot_put(lv, s);
	return rc;
}

/*
 * The cell's database holds what the controller answered: one frame row per
 * frame of the result and its run row (the controller's store writer keeps
 * a write error to itself, so a short record shows here). 0 or LV_EIO.
 */
static int check_store(const struct lv_batch *b, size_t cell, const struct lv_exp_result *r,
                       char **why)
{
	char *db = lv_batch_work_path(b, cell, "db");
	struct lv_store_summary *v = NULL;
	size_t n = 0;
	struct lv_store *st = lv_store_open(db, LV_STORE_SCRATCH, why);
	int rc = st ? lv_store_summaries(st, &v, &n, why) : LV_EIO;
	lv_store_close(st, NULL);
	if (rc == LV_OK && (n != 1 || v[0].run != (int64_t)cell + 1 || v[0].frames != r->m.frames))
		rc = lv_fail(why, LV_EIO, "%s: %llu frame rows for the run's %llu frames", db,
		             n == 1 ? (unsigned long long)v[0].frames : 0ULL,
		             (unsigned long long)r->m.frames);
	free(v);
	free(db);
	return rc;
}

/* Runs one cell live; 0, 1 when stopped by a signal, or an LV_E* code (< 0) with *why. */
static int run_cell(struct lv_batch *b, size_t cell, char **why)
{
	struct lv_experiment *e = b->e;
	const struct lv_exp_cell *c = &e->cells[cell];
	const struct lv_trace *t = e->instances[c->instance].t;
	struct lv_launcher *l = NULL;
	struct lv_live *lv = NULL;
	struct lv_exp_result r;
	memset(&r, 0, sizeof(r));
	r.cell = cell;
	if (b->bc) {
		int rc = lv_batch_cluster_check(b->bc, b->model, why);
		if (rc != LV_OK)
			return rc;
	}
	char *db = lv_batch_work_path(b, cell, "db");
	unlink(db);
	struct lv_store_run row;
	lv_experiment_run_row(e, cell, &row);
	int rc = start_cell(b, cell, db, &row, &l, &lv, why);
	free(db);
	if (rc != LV_OK)
		return rc;
	double end_s = e->spec.common_window ? e->window_s[c->instance] : 0;
	if (end_s < t->reqs[t->n - 1].time_s)
		end_s = t->reqs[t->n - 1].time_s;
	int stopped = replay(b, lv, t, end_s);
	lv_live_shutdown(lv);
	lv_launcher_stop(l);
	rc = take_figures(lv, &r, why);
	lv_live_stop(lv);
	if (b->bc) {
		char *w = NULL;
		int rr = lv_batch_cluster_release(b->bc, rc == LV_OK ? why : &w);
		free(w);
		if (rc == LV_OK)
			rc = rr;
	}
	if (rc == LV_OK && !stopped)
		rc = check_store(b, cell, &r, why);
	if (rc == LV_OK && !stopped) {
		char *json = lv_batch_work_path(b, cell, "json");
		rc = lv_exp_result_save(&r, json, why);
		free(json);
	}
	lv_exp_result_fini(&r);
	return rc != LV_OK ? rc : stopped;
}

int lv_batch_run_live(struct lv_batch *b, char **why)
{
	struct lv_experiment *e = b->e;
	b->finished = 0;
	lv_progress_open(); /* before the agents start: they must not inherit it */
	for (size_t cell = 0; cell < e->n_cells; cell++) {
		const struct lv_exp_cell *c = &e->cells[cell];
		const char *label = e->spec.policies[c->policy].label;
		const char *trace = e->instances[c->instance].label;
		double t0 = lv_mono_s();
		int rc = run_cell(b, cell, why);
		b->wall_s[cell] = lv_mono_s() - t0;
		if (rc == 1 || *b->stop)
			return 1;
		if (rc != LV_OK) {
			char *w = *why;
			*why = lv_xasprintf("live run %zu (%s on %s): %s", cell + 1, label, trace,
			                    w ? w : "failed");
			free(w);
			return -1;
		}
		b->finished++;
		lv_progress_send_run(1, 1, cell + 1, e->n_cells, label, trace);
		if (!b->quiet)
			fprintf(stderr,
			        "loudva --batch: live run %zu/%zu done: %s on %s (%.1f s)\n",
			        cell + 1, e->n_cells, label, trace, b->wall_s[cell]);
	}
	return 0;
}
