/*
 * experiment: from a parsed spec to a loaded experiment (clusters, policies
 * checked and labelled, traces loaded or generated, the matrix laid out),
 * and one run of one matrix cell through the simulator, optionally recorded
 * in a store. experiment.h describes the stages; experiment_spec.c parses
 * the spec, experiment_result.c carries results across processes and
 * experiment_report.c writes the report.
 *
 * Invariant: once lv_experiment_load has returned an experiment, every cell
 * can run — the only failures left are the simulator's own (an engine bug)
 * and the store's (a full disk).
 */
#include "experiment.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "model/profile.h"
#include "sim/sim.h"
#include "store/store.h"
#include "base/file.h"
#include "base/util.h"

/* ---- loading ------------------------------------------------------------ */

/*
 * The controller profile: a path, or a name looked up as
 * controllers/NAME.json in the profiles directory beside the cluster file's
 * (profiles/clusters/x.json -> profiles/controllers/NAME.json).
 */
static int load_controller(struct lv_experiment *e, int *code, char **why)
{
	struct lv_exp_spec *s = &e->spec;
	if (!s->controller)
		return LV_OK;
	char *dir = lv_path_dirname(s->cluster_path);
	char *profiles = lv_path_join(dir, "..");
	char *w = NULL;
	int rc = lv_ctl_model_find(profiles, s->controller, &s->ctl, &w);
	free(profiles);
	free(dir);
	if (rc == LV_OK && s->thesis_acct && !s->ctl.has_acct)
		rc = lv_fail(&w, LV_EINVAL, "%s: has no \"accounting\" for the thesis's accounting",
		             s->ctl.name);
	if (rc != LV_OK) {
		lv_fail(why, LV_EINVAL, "%s: controller: %s", s->path, w);
		free(w);
		*code = LV_EINVAL;
		return LV_EINVAL;
	}
	s->has_ctl = 1;
	return LV_OK;
}

/* Loads one cluster per cost mode the policies use and builds its costs. */
static int load_clusters(struct lv_experiment *e, int *code, char **why)
{
	struct lv_exp_spec *s = &e->spec;
	for (size_t i = 0; i < s->n_policies; i++) {
		enum lv_cost_mode m = s->policies[i].costs;
		if (e->clusters[m])
			continue;
		char *w = NULL;
		e->clusters[m] = lv_cluster_load(s->cluster_path, &w);
		if (!e->clusters[m]) {
			lv_fail(why, LV_EINVAL, "%s: cluster: %s", s->path, w);
			free(w);
			*code = LV_EINVAL;
			return LV_EINVAL;
		}
		if (lv_cluster_build_costs(e->clusters[m], m, s->predictor_path, &w) != LV_OK) {
			lv_fail(why, LV_ELIB, "%s: %s cost tables: %s", s->path,
			        lv_cost_mode_name(m), w);
			free(w);
			*code = LV_ELIB;
			return LV_ELIB;
		}
	}
	return LV_OK;
}

/*
 * The label: the policy's own description; a policy that schedules from the
 * cost model (it sets clocks) carries the mode, "loud(pred)", and when its
 * description omits parameters, the ones that differ from the defaults.
 */
static void make_label(const struct lv_policy *p, enum lv_cost_mode mode, char *buf, size_t len)
{
	const struct lv_policy_ops *ops = p->ops;
	char *label = NULL;
	const char *rest = strchr(p->label, '(');
	if (!(ops->caps & LV_POLICY_SETS_CLOCKS)) {
		label = lv_xstrdup(p->label);
	} else if (rest) { /* "name(a,b)" -> "name(mode,a,b)" */
		label = lv_xasprintf("%.*s(%s,%s", (int)(rest - p->label), p->label,
		                     lv_cost_mode_name(mode), rest + 1);
	} else {
		label = lv_xasprintf("%s(%s", p->label, lv_cost_mode_name(mode));
		for (size_t i = 0; i < ops->n_params; i++) {
			if (p->params[i] == ops->params[i].def)
				continue;
			char *more =
			    lv_xasprintf("%s,%s=%.15g", label, ops->params[i].name, p->params[i]);
			free(label);
			label = more;
		}
		char *closed = lv_xasprintf("%s)", label);
		free(label);
		label = closed;
	}
	size_t n = strlen(label);
	if (n >= len)
		n = len - 1;
	memcpy(buf, label, n);
	buf[n] = '\0';
	free(label);
}

static int check_policies(struct lv_experiment *e, char **why)
{
	struct lv_exp_spec *s = &e->spec;
	for (size_t i = 0; i < s->n_policies; i++) {
		struct lv_exp_policy *pe = &s->policies[i];
		char *w = NULL;
		struct lv_policy *p =
		    lv_policy_new_kv(pe->name, pe->n_params, (const char *const *)pe->keys,
		                     (const char *const *)pe->values, e->clusters[pe->costs], &w);
		if (!p) {
			lv_fail(why, LV_EINVAL, "%s: policies[%zu]: %s", s->path, i, w);
			free(w);
			return LV_EINVAL;
		}
		if (!pe->label[0])
			make_label(p, pe->costs, pe->label, sizeof(pe->label));
		lv_policy_free(p);
		for (size_t k = 0; k < i; k++)
			if (!strcmp(s->policies[k].label, pe->label))
				return lv_fail(why, LV_EINVAL,
				               "%s: policies[%zu]: label '%s' repeats policies[%zu]"
				               " (give one of them a \"label\")",
				               s->path, i, pe->label, k);
	}
	return LV_OK;
}

/* The index of the policy labelled `label` (NULL: 0), or an error naming `field`. */
static int find_label(const struct lv_exp_spec *s, const char *label, const char *field,
                      size_t *out, char **why)
{
	*out = 0;
	if (!label)
		return LV_OK;
	for (size_t i = 0; i < s->n_policies; i++)
		if (!strcmp(s->policies[i].label, label)) {
			*out = i;
			return LV_OK;
		}
	char list[512] = "";
	for (size_t i = 0; i < s->n_policies; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
		         s->policies[i].label);
	return lv_fail(why, LV_EINVAL, "%s: %s: no policy labelled '%s' (labels: %s)", s->path,
	               field, label, list);
}

static uint64_t trace_frames(const struct lv_trace *t)
{
	uint64_t n = 0;
	for (size_t i = 0; i < t->n; i++)
		n += t->reqs[i].frames;
	return n;
}

static int load_traces(struct lv_experiment *e, char **why)
{
	struct lv_exp_spec *s = &e->spec;
	size_t n = 0;
	for (size_t i = 0; i < s->n_traces; i++)
		n += s->traces[i].path ? 1 : s->traces[i].n_seeds;
	e->instances = lv_xcalloc(n, sizeof(*e->instances));
	for (size_t i = 0; i < s->n_traces; i++) {
		const struct lv_exp_trace *tr = &s->traces[i];
		size_t reps = tr->path ? 1 : tr->n_seeds;
		for (size_t k = 0; k < reps; k++) {
			struct lv_exp_instance *in = &e->instances[e->n_instances];
			char *w = NULL;
			in->trace = i;
			in->trace_seed = tr->path ? -1 : (int64_t)tr->seeds[k];
			if (tr->path) {
				snprintf(in->label, sizeof(in->label), "%s", tr->name);
				in->t = lv_trace_load(tr->path, &w);
			} else {
				struct lv_trace_gen_params g = tr->gen;
				g.seed = tr->seeds[k];
				snprintf(in->label, sizeof(in->label), "%s#%llu", tr->name,
				         (unsigned long long)g.seed);
				in->t = lv_trace_generate(&g, NULL, &w);
			}
			if (!in->t) {
				lv_fail(why, LV_EINVAL, "%s: traces[%zu]%s: %s", s->path, i,
				        tr->path ? ".file" : ".generate", w);
				free(w);
				return LV_EINVAL;
			}
			in->frames = trace_frames(in->t);
			e->n_instances++;
		}
	}
	return LV_OK;
}

static void lay_out_cells(struct lv_experiment *e)
{
	const struct lv_exp_spec *s = &e->spec;
	e->n_cells = e->n_instances * s->n_policies * (size_t)s->repetitions;
	e->cells = lv_xcalloc(e->n_cells, sizeof(*e->cells));
	size_t c = 0;
	for (size_t i = 0; i < e->n_instances; i++)
		for (size_t p = 0; p < s->n_policies; p++)
			for (int r = 0; r < s->repetitions; r++)
				e->cells[c++] =
				    (struct lv_exp_cell){ i, p, r, s->seed + (uint64_t)r };
	e->window_s = lv_xcalloc(e->n_instances, sizeof(*e->window_s));
}

struct lv_experiment *lv_experiment_load(const char *path, int *code_out, char **why)
{
	return lv_experiment_load_with(path, NULL, code_out, why);
}

struct lv_experiment *lv_experiment_load_with(const char *path, const struct lv_exp_override *ov,
                                              int *code_out, char **why)
{
	struct lv_experiment *e = lv_xcalloc(1, sizeof(*e));
	int code = lv_exp_spec_load(path, &e->spec, why);
	if (code == LV_OK && ov && ov->cluster_path) {
		free(e->spec.cluster_path);
		e->spec.cluster_path = lv_xstrdup(ov->cluster_path);
	}
	if (code == LV_OK && ov && ov->default_predictor &&
	    !strcmp(e->spec.predictor_path, LV_EXP_DEFAULT_PREDICTOR)) {
		free(e->spec.predictor_path);
		e->spec.predictor_path = lv_xstrdup(ov->default_predictor);
	}
	if (code == LV_OK && ov && ov->agents >= 0)
		e->spec.agents = (enum lv_exp_agents)ov->agents;
	if (code == LV_OK)
		code = load_clusters(e, &code, why);
	if (code == LV_OK)
		code = load_controller(e, &code, why);
	if (code == LV_OK)
		code = check_policies(e, why);
	if (code == LV_OK)
		code = find_label(&e->spec, e->spec.baseline_label, "baseline", &e->spec.baseline,
		                  why);
	if (code == LV_OK)
		code = find_label(&e->spec, e->spec.power_label, "power_plot",
		                  &e->spec.power_policy, why);
	if (code == LV_OK)
		code = load_traces(e, why);
	if (code_out)
		*code_out = code;
	if (code != LV_OK) {
		lv_experiment_free(e);
		return NULL;
	}
	lay_out_cells(e);
	return e;
}

void lv_experiment_free(struct lv_experiment *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < 3; i++)
		lv_cluster_free(e->clusters[i]);
	for (size_t i = 0; i < e->n_instances; i++)
		lv_trace_free(e->instances[i].t);
	free(e->instances);
	free(e->cells);
	free(e->window_s);
	lv_exp_spec_fini(&e->spec);
	free(e);
}

const char *lv_experiment_mode(const struct lv_experiment *e)
{
	return e->spec.live ? "live" : "sim";
}

void lv_experiment_set_window(struct lv_experiment *e, size_t instance, double window_s)
{
	e->window_s[instance] = window_s;
}

/* ---- one run ------------------------------------------------------------ */

struct recorder {
	struct lv_store *store;
	int64_t run;
	int rc;
	char *why;
};

static void record_frame(void *arg, const struct lv_frame *f)
{
	struct recorder *r = arg;
	if (r->rc == LV_OK)
		r->rc = lv_store_add_frame(r->store, r->run, f, &r->why);
}

static void record_batch(void *arg, const struct lv_sim_batch *b)
{
	struct recorder *r = arg;
	const struct lv_store_batch sb = { b->device,   b->batch_id, b->batch, b->freq_hz,
		                           b->submit_s, b->start_s,  b->end_s, b->energy_j };
	if (r->rc == LV_OK)
		r->rc = lv_store_add_batch(r->store, r->run, &sb, &r->why);
}

void lv_experiment_run_row(const struct lv_experiment *e, size_t cell, struct lv_store_run *out)
{
	const struct lv_exp_cell *c = &e->cells[cell];
	const struct lv_exp_policy *p = &e->spec.policies[c->policy];
	const struct lv_exp_instance *in = &e->instances[c->instance];
	*out = (struct lv_store_run){
		.id = (int64_t)cell + 1,
		.experiment = e->spec.name,
		.policy = p->label,
		.cost_mode = lv_cost_mode_name(p->costs),
		.mode = lv_experiment_mode(e),
		.trace = e->spec.traces[in->trace].name,
		.trace_seed = in->trace_seed,
		.seed = c->seed,
		.cluster = e->clusters[p->costs]->name,
	};
}

static int store_begin(struct lv_experiment *e, size_t cell, struct recorder *rec, char **why)
{
	struct lv_store_run sr;
	lv_experiment_run_row(e, cell, &sr);
	return lv_store_begin(rec->store, why) == LV_OK
	           ? lv_store_add_run(rec->store, &sr, &rec->run, why)
	           : LV_ELIB;
}

int lv_experiment_run(struct lv_experiment *e, size_t cell, struct lv_store *store,
                      struct lv_exp_result *out, char **why)
{
	const struct lv_exp_cell *c = &e->cells[cell];
	const struct lv_exp_spec *s = &e->spec;
	const struct lv_exp_policy *p = &s->policies[c->policy];
	struct lv_cluster *cl = e->clusters[p->costs];
	struct recorder rec = { store, 0, LV_OK, NULL };
	struct lv_run_result rr;
	memset(&rr, 0, sizeof(rr));
	memset(out, 0, sizeof(*out));
	out->cell = cell;
	int rc = store ? store_begin(e, cell, &rec, why) : LV_OK;
	if (rc != LV_OK)
		return rc;

	struct lv_sim_config cfg;
	lv_sim_config_default(&cfg);
	cfg.cluster = cl;
	cfg.policy = p->spec;
	cfg.seed = c->seed;
	cfg.noise = s->noise;
	cfg.noise_kind = s->noise_kind;
	cfg.governor = s->governor;
	cfg.ctl = s->has_ctl ? &s->ctl : NULL;
	cfg.thesis_acct = s->thesis_acct;
	cfg.end_s = e->window_s[c->instance];
	cfg.sample_s = s->sample_s;
	cfg.device_timeline = 0;
	if (store) {
		cfg.on_frame = record_frame;
		cfg.on_batch = record_batch;
		cfg.cb_arg = &rec;
	}
	rc = lv_sim_run(&cfg, e->instances[c->instance].t, &rr, why);
	if (rc == LV_OK && rec.rc != LV_OK) {
		rc = lv_fail(why, rec.rc, "%s", rec.why);
	}
	if (rc == LV_OK && store) {
		rc = lv_store_finish_run(store, rec.run, &rr.m, cl, why);
		if (rc == LV_OK)
			rc = lv_store_commit(store, why);
	}
	free(rec.why);
	if (rc != LV_OK) {
		lv_run_result_fini(&rr);
		return rc;
	}
	out->m = rr.m;
	rr.m.devices = NULL;
	rr.m.n_devices = 0;
	out->accepted = rr.counts.received;
	out->batches = rr.counts.batches_dispatched;
	out->decisions = rr.counts.decisions;
	out->n_power = rr.timeline.n;
	out->power_w = rr.timeline.cluster_w;
	rr.timeline.cluster_w = NULL;
	rr.timeline.n = 0;
	lv_run_result_fini(&rr);
	return LV_OK;
}

void lv_exp_result_fini(struct lv_exp_result *r)
{
	lv_run_metrics_fini(&r->m);
	free(r->power_w);
	memset(r, 0, sizeof(*r));
}
