/*
 * experiment_report: an experiment's results, in matrix order, as
 * report.json, report.csv (one row per run), summary.csv (one row per
 * policy) and the comparison table `loudva --batch` prints. The formats are
 * documented in experiments/README.md.
 *
 * One column table names every per-run metric, so report.json's "metrics",
 * report.csv's columns and the summaries cannot disagree. Numbers are
 * printed in the shortest form that reads back exactly, and
 * nothing here depends on the host or the clock: the same results give the
 * same bytes.
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

enum col {
	C_FRAMES,
	C_ACCEPTED,
	C_SERVED,
	C_OK,
	C_LATE,
	C_FAILED,
	C_EXPIRED,
	C_REJECTED,
	C_REQUESTS,
	C_REQ_OK,
	C_REQ_SERVED,
	C_WINDOW,
	C_ENERGY,
	C_POWER,
	C_FPJ,
	C_RPJ,
	C_PCT_OK,
	C_PCT_REQ_OK,
	C_P50,
	C_P95,
	C_P99,
	C_LAT_MEAN,
	C_EXCESS,
	C_BATCHES,
	C_DECISIONS,
	C_BOUND_J,
	C_BOUND_FPJ,
	C_BOUND_FRAC,
	C_TRACE_BOUND_J,
	C_COUNT
};

static const char *const col_names[C_COUNT] = {
	"frames",
	"accepted",
	"frames_served",
	"ok",
	"late",
	"failed",
	"expired",
	"rejected",
	"requests",
	"requests_within_budget",
	"requests_served",
	"window_s",
	"energy_j",
	"mean_power_w",
	"frames_per_joule",
	"requests_per_joule",
	"pct_frames_within_budget",
	"pct_requests_within_budget",
	"latency_p50_s",
	"latency_p95_s",
	"latency_p99_s",
	"latency_mean_s",
	"mean_excess_s",
	"batches",
	"decisions",
	"bound_energy_j",
	"bound_frames_per_joule",
	"bound_fraction",
	"trace_bound_energy_j",
};

static double col_value(const struct lv_exp_result *r, enum col c)
{
	const struct lv_run_metrics *m = &r->m;
	switch (c) {
	case C_FRAMES: return (double)m->frames;
	case C_ACCEPTED: return (double)r->accepted;
	case C_SERVED: return (double)m->served;
	case C_OK: return (double)m->ok;
	case C_LATE: return (double)m->late;
	case C_FAILED: return (double)m->failed;
	case C_EXPIRED: return (double)m->expired;
	case C_REJECTED: return (double)m->rejected;
	case C_REQUESTS: return (double)m->requests;
	case C_REQ_OK: return (double)m->requests_ok;
	case C_REQ_SERVED: return (double)m->requests_served;
	case C_WINDOW: return m->window_s;
	case C_ENERGY: return m->energy_j;
	case C_POWER: return m->window_s > 0 ? m->energy_j / m->window_s : NAN;
	case C_FPJ: return m->frames_per_j;
	case C_RPJ: return m->requests_per_j;
	case C_PCT_OK: return m->pct_frames_ok;
	case C_PCT_REQ_OK: return m->pct_requests_ok;
	case C_P50: return m->latency_p50_s;
	case C_P95: return m->latency_p95_s;
	case C_P99: return m->latency_p99_s;
	case C_LAT_MEAN: return m->latency_mean_s;
	case C_EXCESS: return m->mean_excess_s;
	case C_BATCHES: return (double)r->batches;
	case C_DECISIONS: return (double)r->decisions;
	case C_BOUND_J: return m->bound.energy_j;
	case C_BOUND_FPJ: return m->bound.frames_per_j;
	case C_BOUND_FRAC: return m->bound_fraction;
	case C_TRACE_BOUND_J: return m->trace_bound_j;
	case C_COUNT: break;
	}
	return NAN;
}

/* The summarised metrics and the columns they come from. */
static const enum col summary_cols[LV_EXP_M_COUNT] = {
	[LV_EXP_M_FRAMES_PER_J] = C_FPJ,
	[LV_EXP_M_PCT_FRAMES_OK] = C_PCT_OK,
	[LV_EXP_M_PCT_REQUESTS_OK] = C_PCT_REQ_OK,
	[LV_EXP_M_ENERGY_J] = C_ENERGY,
	[LV_EXP_M_MEAN_POWER_W] = C_POWER,
	[LV_EXP_M_LAT_P50] = C_P50,
	[LV_EXP_M_LAT_P95] = C_P95,
	[LV_EXP_M_LAT_P99] = C_P99,
	[LV_EXP_M_BOUND_FRACTION] = C_BOUND_FRAC,
	[LV_EXP_M_FRAMES_SERVED] = C_SERVED,
	[LV_EXP_M_LATE] = C_LATE,
	[LV_EXP_M_EXPIRED] = C_EXPIRED,
};

const char *lv_exp_metric_name(int metric)
{
	return metric >= 0 && metric < LV_EXP_M_COUNT ? col_names[summary_cols[metric]] : "?";
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

/*
 * The shortest of %.15g, %.16g, %.17g that reads back to exactly v. (cJSON's
 * own printing keeps 15 digits when they read back within an epsilon, so a
 * window read from the report would not be the run's window.)
 */
static void shortest(char *buf, size_t len, double v)
{
	for (int digits = 15; digits <= 17; digits++) {
		snprintf(buf, len, "%.*g", digits, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

/* A number, exact; NAN and the infinities as null. */
static void put_num(cJSON *o, const char *k, double v)
{
	char num[40];
	if (!isfinite(v)) {
		cJSON_AddNullToObject(o, k);
		return;
	}
	shortest(num, sizeof(num), v);
	cJSON_AddRawToObject(o, k, num);
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
	put_num(o, "repetitions", s->repetitions);
	put_num(o, "seed", (double)s->seed);
	put_num(o, "noise", s->noise);
	cJSON_AddStringToObject(o, "noise_kind",
	                        s->noise_kind == LV_NOISE_LOGNORMAL ? "lognormal" : "uniform");
	cJSON_AddBoolToObject(o, "governor", s->governor);
	cJSON_AddStringToObject(o, "window", s->common_window ? "common" : "own");
	put_num(o, "sample_s", s->sample_s);
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
			put_num(gj, "cameras", g->cameras);
			put_num(gj, "duration_s", g->duration_s);
			put_num(gj, "windows", g->windows);
			put_num(gj, "min_active_s", g->min_active_s);
			put_num(gj, "max_active_s", g->max_active_s);
			put_num(gj, "last_entry_s", g->last_entry_s);
			put_num(gj, "rate_cap_fps", g->rate_cap_fps);
			put_num(gj, "budget_s", g->budget_s);
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
			put_num(params, p->keys[k], v);
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
	put_num(o, "run", (double)r->cell + 1);
	cJSON_AddStringToObject(o, "policy", p->label);
	cJSON_AddStringToObject(o, "costs", lv_cost_mode_name(p->costs));
	cJSON_AddStringToObject(o, "trace", e->spec.traces[in->trace].name);
	if (in->trace_seed >= 0)
		put_num(o, "trace_seed", (double)in->trace_seed);
	else
		cJSON_AddNullToObject(o, "trace_seed");
	put_num(o, "seed", (double)c->seed);
	put_num(o, "repetition", c->rep + 1);
	cJSON_AddStringToObject(o, "mode", lv_experiment_mode(e));
	cJSON *m = cJSON_AddObjectToObject(o, "metrics");
	for (int k = 0; k < C_COUNT; k++)
		put_num(m, col_names[k], col_value(r, (enum col)k));
	cJSON *devs = cJSON_AddArrayToObject(o, "devices");
	for (size_t i = 0; i < r->m.n_devices; i++) {
		const struct lv_device_metrics *d = &r->m.devices[i];
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "name", d->name);
		cJSON_AddStringToObject(
		    x, "kind",
		    (size_t)d->kind < cl->n_kinds ? cl->kinds[d->kind].profile->kind : "?");
		put_num(x, "frames", (double)d->frames);
		put_num(x, "batches", (double)d->batches);
		put_num(x, "busy_s", d->busy_s);
		put_num(x, "avg_freq_hz", d->avg_freq_hz);
		put_num(x, "energy_j", d->energy_j);
		cJSON_AddItemToArray(devs, x);
	}
	return o;
}

static cJSON *summary_json(const struct lv_experiment *e, const struct lv_exp_summary *s)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "policy", e->spec.policies[s->policy].label);
	put_num(o, "runs", (double)s->runs);
	for (int k = 0; k < LV_EXP_M_COUNT; k++) {
		cJSON *x = cJSON_AddObjectToObject(o, lv_exp_metric_name(k));
		put_num(x, "mean", s->stat[k].mean);
		put_num(x, "stddev", s->stat[k].sd);
		put_num(x, "n", (double)s->stat[k].n);
	}
	cJSON *b = cJSON_AddObjectToObject(o, "vs_baseline");
	cJSON_AddStringToObject(b, "baseline", e->spec.policies[e->spec.baseline].label);
	put_num(b, "frames_per_joule_ratio", s->fpj_ratio);
	put_num(b, "pct_frames_within_budget_delta", s->qos_delta_pts);
	return o;
}

char *lv_exp_report_json(const struct lv_experiment *e, const struct lv_exp_result *results,
                         const struct lv_exp_summary *sum)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "format", "loudva-report");
	put_num(root, "version", 1);
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

struct buf {
	char *s;
	size_t len, cap;
};

static void bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (b->len + (size_t)n + 1 > b->cap) {
		b->cap = (b->len + (size_t)n + 1) * 2;
		b->s = lv_xrealloc(b->s, b->cap);
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* A number in the shortest form that reads back exactly; empty for NAN. */
static void bnum(struct buf *b, double v)
{
	char tmp[40];
	if (!isfinite(v))
		return;
	shortest(tmp, sizeof(tmp), v);
	bprintf(b, "%s", tmp);
}

/* A CSV cell, quoted when it holds a comma or a quote. */
static void bcell(struct buf *b, const char *s)
{
	if (!strpbrk(s, ",\"\n")) {
		bprintf(b, "%s", s);
		return;
	}
	bprintf(b, "\"");
	for (const char *p = s; *p; p++)
		bprintf(b, *p == '"' ? "\"\"" : "%c", *p);
	bprintf(b, "\"");
}

char *lv_exp_report_csv(const struct lv_experiment *e, const struct lv_exp_result *results)
{
	struct buf b = { 0 };
	bprintf(&b, "run,policy,costs,mode,trace,trace_seed,seed,repetition");
	for (int k = 0; k < C_COUNT; k++)
		bprintf(&b, ",%s", col_names[k]);
	bprintf(&b, "\n");
	for (size_t i = 0; i < e->n_cells; i++) {
		const struct lv_exp_result *r = &results[i];
		const struct lv_exp_cell *c = &e->cells[r->cell];
		const struct lv_exp_policy *p = &e->spec.policies[c->policy];
		const struct lv_exp_instance *in = &e->instances[c->instance];
		bprintf(&b, "%zu,", r->cell + 1);
		bcell(&b, p->label);
		bprintf(&b, ",%s,%s,", lv_cost_mode_name(p->costs), lv_experiment_mode(e));
		bcell(&b, e->spec.traces[in->trace].name);
		bprintf(&b, ",");
		if (in->trace_seed >= 0)
			bprintf(&b, "%lld", (long long)in->trace_seed);
		bprintf(&b, ",%llu,%d", (unsigned long long)c->seed, c->rep + 1);
		for (int k = 0; k < C_COUNT; k++) {
			bprintf(&b, ",");
			bnum(&b, col_value(r, (enum col)k));
		}
		bprintf(&b, "\n");
	}
	return b.s;
}

char *lv_exp_summary_csv(const struct lv_experiment *e, const struct lv_exp_summary *sum)
{
	struct buf b = { 0 };
	bprintf(&b, "policy,runs");
	for (int k = 0; k < LV_EXP_M_COUNT; k++)
		bprintf(&b, ",%s_mean,%s_stddev", lv_exp_metric_name(k), lv_exp_metric_name(k));
	bprintf(&b, ",frames_per_joule_ratio,pct_frames_within_budget_delta\n");
	for (size_t p = 0; p < e->spec.n_policies; p++) {
		bcell(&b, e->spec.policies[p].label);
		bprintf(&b, ",%zu", sum[p].runs);
		for (int k = 0; k < LV_EXP_M_COUNT; k++) {
			bprintf(&b, ",");
			bnum(&b, sum[p].stat[k].mean);
			bprintf(&b, ",");
			bnum(&b, sum[p].stat[k].sd);
		}
		bprintf(&b, ",");
		bnum(&b, sum[p].fpj_ratio);
		bprintf(&b, ",");
		bnum(&b, sum[p].qos_delta_pts);
		bprintf(&b, "\n");
	}
	return b.s;
}

char *lv_exp_report_table(const struct lv_experiment *e, const struct lv_exp_summary *sum)
{
	const struct lv_exp_spec *s = &e->spec;
	struct buf b = { 0 };
	bprintf(
	    &b, "%s: %zu runs on %s = %zu trace instances x %zu policies x %d repetition%s (%s)\n",
	    s->name, e->n_cells, e->clusters[s->policies[0].costs]->name, e->n_instances,
	    s->n_policies, s->repetitions, s->repetitions == 1 ? "" : "s", lv_experiment_mode(e));
	bprintf(&b,
	        "means over each policy's runs (sd); vs baseline = mean frames/J / %s's;"
	        " ok%% = frames within budget\n\n",
	        s->policies[s->baseline].label);
	bprintf(&b, "%-22s %4s %16s %9s %14s %8s %7s %8s %9s %7s\n", "policy", "runs",
	        "frames/J (sd)", "vs base", "ok% (sd)", "d pts", "req ok%", "p95 s", "energy J",
	        "bound%");
	for (size_t p = 0; p < s->n_policies; p++) {
		const struct lv_exp_summary *x = &sum[p];
		const struct lv_exp_stat *f = &x->stat[LV_EXP_M_FRAMES_PER_J];
		const struct lv_exp_stat *q = &x->stat[LV_EXP_M_PCT_FRAMES_OK];
		char fpj[32], ok[32];
		snprintf(fpj, sizeof(fpj), "%.4f (%.4f)", f->mean, f->sd);
		snprintf(ok, sizeof(ok), "%.2f (%.2f)", q->mean, q->sd);
		bprintf(&b, "%-22s %4zu %16s %+8.1f%% %14s %+8.2f %7.2f %8.3f %9.1f %7.1f%s\n",
		        s->policies[p].label, x->runs, fpj, 100.0 * (x->fpj_ratio - 1), ok,
		        x->qos_delta_pts, x->stat[LV_EXP_M_PCT_REQUESTS_OK].mean,
		        x->stat[LV_EXP_M_LAT_P95].mean, x->stat[LV_EXP_M_ENERGY_J].mean,
		        100.0 * x->stat[LV_EXP_M_BOUND_FRACTION].mean,
		        p == s->baseline ? "  (baseline)" : "");
	}
	return b.s;
}
