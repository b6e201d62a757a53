/*
 * experiment_report: an experiment's results, in matrix order, as
 * report.json, report.csv (one row per run), summary.csv (one row per
 * policy) and the comparison table `loudva --batch` prints. The formats are
 * documented in experiments/README.md.
 *
 * One column table (sched/runmetrics.h) names every per-run metric, so
 * report.json's "metrics", report.csv's columns, the summaries and the
 * JSON of `loudva sim` and `loudva serve` (which write theirs with
 * lv_exp_metrics_json) cannot disagree. Numbers are printed in the
 * shortest form that reads back exactly, and nothing here depends on the
 * host or the clock: the same results give the same bytes.
 */
#include "experiment.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "model/profile.h"
#include "base/util.h"
#include "sched/runmetrics.h"

/* The engine's counts a result kept, for the count columns of runmetrics.h. */
static struct lv_engine_counts counts_of(const struct lv_exp_result *r)
{
	struct lv_engine_counts n = { .received = r->accepted,
		                      .batches_dispatched = r->batches,
		                      .decisions = r->decisions };
	return n;
}

/* Column c (runmetrics.h) of a result. */
static double col_value(const struct lv_exp_result *r, int c)
{
	struct lv_engine_counts n = counts_of(r);
	return lv_run_col_value(c, &r->m, &n);
}

/* The summarised metrics and the columns they come from. */
static const enum lv_run_col_id summary_cols[LV_EXP_M_COUNT] = {
	[LV_EXP_M_FRAMES_PER_J] = LV_RC_FPJ,
	[LV_EXP_M_PCT_FRAMES_OK] = LV_RC_PCT_OK,
	[LV_EXP_M_PCT_REQUESTS_OK] = LV_RC_PCT_REQ_OK,
	[LV_EXP_M_ENERGY_J] = LV_RC_ENERGY,
	[LV_EXP_M_MEAN_POWER_W] = LV_RC_POWER,
	[LV_EXP_M_LAT_P50] = LV_RC_P50,
	[LV_EXP_M_LAT_P95] = LV_RC_P95,
	[LV_EXP_M_LAT_P99] = LV_RC_P99,
	[LV_EXP_M_BOUND_FRACTION] = LV_RC_BOUND_FRAC,
	[LV_EXP_M_FRAMES_SERVED] = LV_RC_SERVED,
	[LV_EXP_M_LATE] = LV_RC_LATE,
	[LV_EXP_M_EXPIRED] = LV_RC_EXPIRED,
	[LV_EXP_M_BOUND_FPJ] = LV_RC_BOUND_FPJ,
	[LV_EXP_M_IDLE_J] = LV_RC_IDLE_J,
	[LV_EXP_M_BUSY_J] = LV_RC_BUSY_J,
	[LV_EXP_M_CHANGE_J] = LV_RC_CHANGE_J,
	[LV_EXP_M_CLOCK] = LV_RC_CLOCK,
	[LV_EXP_M_LOWEST] = LV_RC_LOWEST,
	[LV_EXP_M_TOP] = LV_RC_TOP,
};

const char *lv_exp_metric_name(int metric)
{
	return metric >= 0 && metric < LV_EXP_M_COUNT ? lv_run_col(summary_cols[metric])->name
	                                              : "?";
}

/* ---- summaries ---------------------------------------------------------- */

static struct lv_exp_stat stat_of(const double *v, size_t n)
{
	struct lv_exp_stat s = { NAN, NAN, 0 };
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i])) {
			sum += v[i];
			s.n++;
		}
	if (s.n == 0)
		return s;
	s.mean = sum / (double)s.n;
	double ss = 0;
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]))
			ss += (v[i] - s.mean) * (v[i] - s.mean);
	s.sd = s.n > 1 ? sqrt(ss / (double)(s.n - 1)) : 0.0;
	return s;
}

struct lv_exp_summary *lv_exp_summarise(const struct lv_experiment *e,
                                        const struct lv_exp_result *results)
{
	const struct lv_exp_spec *s = &e->spec;
	struct lv_exp_summary *sum = lv_xcalloc(s->n_policies, sizeof(*sum));
	double *v = lv_xmalloc(e->n_cells * sizeof(double));
	for (size_t p = 0; p < s->n_policies; p++) {
		sum[p].policy = p;
		for (int k = 0; k < LV_EXP_M_COUNT; k++) {
			size_t n = 0;
			for (size_t c = 0; c < e->n_cells; c++)
				if (e->cells[c].policy == p)
					v[n++] = col_value(&results[c], summary_cols[k]);
			sum[p].runs = n;
			sum[p].stat[k] = stat_of(v, n);
		}
	}
	free(v);
	const struct lv_exp_summary *b = &sum[s->baseline];
	for (size_t p = 0; p < s->n_policies; p++) {
		double bf = b->stat[LV_EXP_M_FRAMES_PER_J].mean;
		sum[p].fpj_ratio = bf > 0 ? sum[p].stat[LV_EXP_M_FRAMES_PER_J].mean / bf : NAN;
		sum[p].qos_delta_pts =
		    sum[p].stat[LV_EXP_M_PCT_FRAMES_OK].mean - b->stat[LV_EXP_M_PCT_FRAMES_OK].mean;
	}
	return sum;
}

/* ---- report.json -------------------------------------------------------- */

void lv_exp_json_num(cJSON *o, const char *key, double v)
{
	char num[LV_RUN_NUM_MAX];
	cJSON_AddRawToObject(o, key, lv_run_num_text(num, v, "null"));
}

void lv_exp_metrics_json(cJSON *o, const struct lv_run_metrics *m, const struct lv_engine_counts *n)
{
	for (int k = 0; k < LV_RC_COUNT; k++)
		lv_exp_json_num(o, lv_run_col(k)->name, lv_run_col_value(k, m, n));
}

void lv_exp_devices_json(cJSON *o, const struct lv_cluster *c, const struct lv_run_metrics *m)
{
	cJSON *devs = cJSON_AddArrayToObject(o, "devices");
	for (size_t i = 0; i < m->n_devices; i++) {
		const struct lv_device_metrics *d = &m->devices[i];
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "name", d->name);
		cJSON_AddStringToObject(
		    x, "kind",
		    (size_t)d->kind < c->n_kinds ? c->kinds[d->kind].profile->kind : "?");
		for (int k = 0; k < LV_DC_COUNT; k++)
			lv_exp_json_num(x, lv_dev_col_name(k), lv_dev_col_value(k, d));
		cJSON_AddItemToArray(devs, x);
	}
}

static cJSON *spec_json(const struct lv_experiment *e)
{
	const struct lv_exp_spec *s = &e->spec;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", s->name);
	if (s->description)
		cJSON_AddStringToObject(o, "description", s->description);
	cJSON_AddStringToObject(o, "file", s->path);
	cJSON_AddStringToObject(o, "cluster", e->clusters[s->policies[0].costs]->name);
	cJSON_AddStringToObject(o, "cluster_file", s->cluster_path);
	cJSON_AddStringToObject(o, "mode", lv_experiment_mode(e));
	if (s->live)
		cJSON_AddStringToObject(
		    o, "agents", s->agents == LV_EXP_AGENTS_CLUSTER ? "cluster" : "embedded");
	cJSON_AddStringToObject(o, "costs", lv_cost_mode_name(s->costs));
	cJSON_AddStringToObject(o, "baseline", s->policies[s->baseline].label);
	lv_exp_json_num(o, "repetitions", s->repetitions);
	lv_exp_json_num(o, "seed", (double)s->seed);
	lv_exp_json_num(o, "noise", s->noise);
	cJSON_AddStringToObject(o, "noise_kind",
	                        s->noise_kind == LV_NOISE_LOGNORMAL ? "lognormal" : "uniform");
	cJSON_AddBoolToObject(o, "governor", s->governor);
	cJSON_AddStringToObject(o, "window", s->common_window ? "common" : "own");
	cJSON_AddStringToObject(o, "controller", s->has_ctl ? s->ctl.name : "ideal");
	cJSON_AddStringToObject(o, "accounting", s->thesis_acct ? "thesis" : "exact");
	lv_exp_json_num(o, "sample_s", s->sample_s);
	cJSON *traces = cJSON_AddArrayToObject(o, "traces");
	for (size_t i = 0; i < s->n_traces; i++) {
		const struct lv_exp_trace *t = &s->traces[i];
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "name", t->name);
		if (t->path) {
			cJSON_AddStringToObject(x, "file", t->path);
		} else {
			const struct lv_trace_gen_params *g = &t->gen;
			cJSON *gj = cJSON_AddObjectToObject(x, "generate");
			lv_exp_json_num(gj, "cameras", g->cameras);
			lv_exp_json_num(gj, "duration_s", g->duration_s);
			lv_exp_json_num(gj, "windows", g->windows);
			lv_exp_json_num(gj, "min_active_s", g->min_active_s);
			lv_exp_json_num(gj, "max_active_s", g->max_active_s);
			lv_exp_json_num(gj, "last_entry_s", g->last_entry_s);
			lv_exp_json_num(gj, "rate_cap_fps", g->rate_cap_fps);
			lv_exp_json_num(gj, "budget_s", g->budget_s);
			cJSON *seeds = cJSON_AddArrayToObject(x, "seeds");
			for (size_t k = 0; k < t->n_seeds; k++)
				cJSON_AddItemToArray(seeds,
				                     cJSON_CreateNumber((double)t->seeds[k]));
		}
		cJSON_AddItemToArray(traces, x);
	}
	cJSON *pols = cJSON_AddArrayToObject(o, "policies");
	for (size_t i = 0; i < s->n_policies; i++) {
		const struct lv_exp_policy *p = &s->policies[i];
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "label", p->label);
		cJSON_AddStringToObject(x, "name", p->name);
		cJSON *params = cJSON_AddObjectToObject(x, "params");
		for (size_t k = 0; k < p->n_params; k++) {
			double v = NAN;
			lv_parse_double(p->values[k], &v); /* checked by the policy already */
			lv_exp_json_num(params, p->keys[k], v);
		}
		cJSON_AddStringToObject(x, "costs", lv_cost_mode_name(p->costs));
		cJSON_AddItemToArray(pols, x);
	}
	return o;
}

static cJSON *run_json(const struct lv_experiment *e, const struct lv_exp_result *r)
{
	const struct lv_exp_cell *c = &e->cells[r->cell];
	const struct lv_exp_policy *p = &e->spec.policies[c->policy];
	const struct lv_exp_instance *in = &e->instances[c->instance];
	const struct lv_cluster *cl = e->clusters[p->costs];
	cJSON *o = cJSON_CreateObject();
	lv_exp_json_num(o, "run", (double)r->cell + 1);
	cJSON_AddStringToObject(o, "policy", p->label);
	cJSON_AddStringToObject(o, "costs", lv_cost_mode_name(p->costs));
	cJSON_AddStringToObject(o, "trace", e->spec.traces[in->trace].name);
	if (in->trace_seed >= 0)
		lv_exp_json_num(o, "trace_seed", (double)in->trace_seed);
	else
		cJSON_AddNullToObject(o, "trace_seed");
	lv_exp_json_num(o, "seed", (double)c->seed);
	lv_exp_json_num(o, "repetition", c->rep + 1);
	cJSON_AddStringToObject(o, "mode", lv_experiment_mode(e));
	struct lv_engine_counts n = counts_of(r);
	lv_exp_metrics_json(cJSON_AddObjectToObject(o, "metrics"), &r->m, &n);
	lv_exp_devices_json(o, cl, &r->m);
	return o;
}

static cJSON *summary_json(const struct lv_experiment *e, const struct lv_exp_summary *s)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "policy", e->spec.policies[s->policy].label);
	lv_exp_json_num(o, "runs", (double)s->runs);
	for (int k = 0; k < LV_EXP_M_COUNT; k++) {
		cJSON *x = cJSON_AddObjectToObject(o, lv_exp_metric_name(k));
		lv_exp_json_num(x, "mean", s->stat[k].mean);
		lv_exp_json_num(x, "stddev", s->stat[k].sd);
		lv_exp_json_num(x, "n", (double)s->stat[k].n);
	}
	cJSON *b = cJSON_AddObjectToObject(o, "vs_baseline");
	cJSON_AddStringToObject(b, "baseline", e->spec.policies[e->spec.baseline].label);
	lv_exp_json_num(b, "frames_per_joule_ratio", s->fpj_ratio);
	lv_exp_json_num(b, "pct_frames_within_budget_delta", s->qos_delta_pts);
	return o;
}

char *lv_exp_report_json(const struct lv_experiment *e, const struct lv_exp_result *results,
                         const struct lv_exp_summary *sum)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "format", "loudva-report");
	lv_exp_json_num(root, "version", 1);
	cJSON_AddItemToObject(root, "spec", spec_json(e));
	cJSON *runs = cJSON_AddArrayToObject(root, "runs");
	for (size_t i = 0; i < e->n_cells; i++)
		cJSON_AddItemToArray(runs, run_json(e, &results[i]));
	cJSON *summary = cJSON_AddArrayToObject(root, "summary");
	for (size_t p = 0; p < e->spec.n_policies; p++)
		cJSON_AddItemToArray(summary, summary_json(e, &sum[p]));
	char *text = cJSON_Print(root);
	cJSON_Delete(root);
	char *out = lv_xasprintf("%s\n", text);
	free(text);
	return out;
}

/* ---- CSV and the table -------------------------------------------------- */

/* ",v" in the shortest form that reads back exactly; "," alone for NAN. */
static void csv_num(struct lv_buf *b, double v)
{
	char num[LV_RUN_NUM_MAX];
	lv_buf_printf(b, ",%s", lv_run_num_text(num, v, ""));
}

/* A CSV cell, quoted when it holds a comma or a quote. */
static void bcell(struct lv_buf *b, const char *s)
{
	if (!strpbrk(s, ",\"\n")) {
		lv_buf_printf(b, "%s", s);
		return;
	}
	lv_buf_printf(b, "\"");
	for (const char *p = s; *p; p++)
		lv_buf_printf(b, *p == '"' ? "\"\"" : "%c", *p);
	lv_buf_printf(b, "\"");
}

char *lv_exp_report_csv(const struct lv_experiment *e, const struct lv_exp_result *results)
{
	struct lv_buf b = { 0 };
	lv_buf_printf(&b, "run,policy,costs,mode,trace,trace_seed,seed,repetition");
	lv_run_cols_csv_header(&b);
	lv_buf_printf(&b, "\n");
	for (size_t i = 0; i < e->n_cells; i++) {
		const struct lv_exp_result *r = &results[i];
		const struct lv_exp_cell *c = &e->cells[r->cell];
		const struct lv_exp_policy *p = &e->spec.policies[c->policy];
		const struct lv_exp_instance *in = &e->instances[c->instance];
		lv_buf_printf(&b, "%zu,", r->cell + 1);
		bcell(&b, p->label);
		lv_buf_printf(&b, ",%s,%s,", lv_cost_mode_name(p->costs), lv_experiment_mode(e));
		bcell(&b, e->spec.traces[in->trace].name);
		lv_buf_printf(&b, ",");
		if (in->trace_seed >= 0)
			lv_buf_printf(&b, "%lld", (long long)in->trace_seed);
		lv_buf_printf(&b, ",%llu,%d", (unsigned long long)c->seed, c->rep + 1);
		struct lv_engine_counts n = counts_of(r);
		lv_run_cols_csv_row(&b, &r->m, &n);
		lv_buf_printf(&b, "\n");
	}
	return lv_buf_take(&b, NULL);
}

char *lv_exp_summary_csv(const struct lv_experiment *e, const struct lv_exp_summary *sum)
{
	struct lv_buf b = { 0 };
	lv_buf_printf(&b, "policy,runs");
	for (int k = 0; k < LV_EXP_M_COUNT; k++)
		lv_buf_printf(&b, ",%s_mean,%s_stddev", lv_exp_metric_name(k),
		              lv_exp_metric_name(k));
	lv_buf_printf(&b, ",frames_per_joule_ratio,pct_frames_within_budget_delta\n");
	for (size_t p = 0; p < e->spec.n_policies; p++) {
		bcell(&b, e->spec.policies[p].label);
		lv_buf_printf(&b, ",%zu", sum[p].runs);
		for (int k = 0; k < LV_EXP_M_COUNT; k++) {
			csv_num(&b, sum[p].stat[k].mean);
			csv_num(&b, sum[p].stat[k].sd);
		}
		csv_num(&b, sum[p].fpj_ratio);
		csv_num(&b, sum[p].qos_delta_pts);
		lv_buf_printf(&b, "\n");
	}
	return lv_buf_take(&b, NULL);
}

char *lv_exp_report_table(const struct lv_experiment *e, const struct lv_exp_summary *sum)
{
	const struct lv_exp_spec *s = &e->spec;
	struct lv_buf b = { 0 };
	lv_buf_printf(
	    &b, "%s: %zu runs on %s = %zu trace instances x %zu policies x %d repetition%s (%s)\n",
	    s->name, e->n_cells, e->clusters[s->policies[0].costs]->name, e->n_instances,
	    s->n_policies, s->repetitions, s->repetitions == 1 ? "" : "s", lv_experiment_mode(e));
	lv_buf_printf(&b,
	              "means over each policy's runs (sd); vs baseline = mean frames/J / %s's;"
	              " ok%% = frames within budget\n\n",
	              s->policies[s->baseline].label);
	lv_buf_printf(&b, "%-22s %4s %16s %9s %14s %8s %7s %8s %9s %7s\n", "policy", "runs",
	              "frames/J (sd)", "vs base", "ok% (sd)", "d pts", "req ok%", "p95 s",
	              "energy J", "bound%");
	for (size_t p = 0; p < s->n_policies; p++) {
		const struct lv_exp_summary *x = &sum[p];
		const struct lv_exp_stat *f = &x->stat[LV_EXP_M_FRAMES_PER_J];
		const struct lv_exp_stat *q = &x->stat[LV_EXP_M_PCT_FRAMES_OK];
		char fpj[32], ok[32];
		snprintf(fpj, sizeof(fpj), "%.4f (%.4f)", f->mean, f->sd);
		snprintf(ok, sizeof(ok), "%.2f (%.2f)", q->mean, q->sd);
		lv_buf_printf(&b,
		              "%-22s %4zu %16s %+8.1f%% %14s %+8.2f %7.2f %8.3f %9.1f %7.1f%s\n",
		              s->policies[p].label, x->runs, fpj, 100.0 * (x->fpj_ratio - 1), ok,
		              x->qos_delta_pts, x->stat[LV_EXP_M_PCT_REQUESTS_OK].mean,
		              x->stat[LV_EXP_M_LAT_P95].mean, x->stat[LV_EXP_M_ENERGY_J].mean,
		              100.0 * x->stat[LV_EXP_M_BOUND_FRACTION].mean,
		              p == s->baseline ? "  (baseline)" : "");
	}
	/* Where the energy went: the split the simulator measures (blank when live). */
	lv_buf_printf(&b, "\nwhere the energy went (means over runs): idle, running batches, clock "
	                  "changes; the mean GPU clock and the share of time at the lowest and "
	                  "highest clock\n\n");
	lv_buf_printf(&b, "%-22s %9s %7s %7s %7s %9s %7s %7s\n", "policy", "energy J", "idle%",
	              "busy%", "change%", "mean MHz", "lowest%", "top%");
	for (size_t p = 0; p < s->n_policies; p++) {
		const struct lv_exp_summary *x = &sum[p];
		double e_j = x->stat[LV_EXP_M_ENERGY_J].mean;
		lv_buf_printf(
		    &b, "%-22s %9.1f %7.1f %7.1f %7.1f %9.1f %7.1f %7.1f\n", s->policies[p].label,
		    e_j, 100.0 * x->stat[LV_EXP_M_IDLE_J].mean / e_j,
		    100.0 * x->stat[LV_EXP_M_BUSY_J].mean / e_j,
		    100.0 * x->stat[LV_EXP_M_CHANGE_J].mean / e_j, x->stat[LV_EXP_M_CLOCK].mean,
		    x->stat[LV_EXP_M_LOWEST].mean, x->stat[LV_EXP_M_TOP].mean);
	}
	/* The columns said under the table, not only in experiments/README.md. */
	lv_buf_printf(&b,
	              "\nvs base: frames/J against %s's; ok%%: frames within budget; d pts: ok%% "
	              "minus %s's, in points;\nreq ok%%: requests whose every frame was within "
	              "budget; p95 s: the 95th percentile frame latency;\nenergy J: the cluster's "
	              "energy in the run; bound%%: the energy lower bound as a share of it (100%%: "
	              "no\npolicy could have spent less).\n",
	              s->policies[s->baseline].label, s->policies[s->baseline].label);
	return lv_buf_take(&b, NULL);
}
