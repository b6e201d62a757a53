/*
 * experiment_spec: the experiment spec file (JSON, experiments/README.md)
 * into struct lv_exp_spec. The cJSON tree lives and dies here.
 *
 * Only the spec's own shape is checked: known fields, types, ranges, a
 * policy name the registry knows, generator parameters the generator
 * accepts. What the spec names — files, the cluster, parameter values
 * against a policy's table — lv_experiment_load checks. Every message is one
 * line starting "<spec file>: <field>: ", e.g.
 * "tiny.json: traces[0].seeds[1]: -3 is not an integer >= 0".
 * Paths in the spec are relative to the spec file's directory.
 */
#include "experiment.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/util.h"

/* Parsing context: file name for messages, directory for paths. */
struct ctx {
	const char *name;
	const char *dir;
	char **why;
};

static int bad(const struct ctx *x, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(const struct ctx *x, const char *field, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return lv_fail(x->why, LV_EINVAL, "%s: %s: %s", x->name, field, msg);
}

/* Rejects fields of object o not in the NULL-terminated list `known`. */
static int check_fields(const struct ctx *x, const char *where, const cJSON *o,
                        const char *const *known)
{
	const cJSON *it;
	cJSON_ArrayForEach (it, o) {
		size_t i = 0;
		while (known[i] && strcmp(known[i], it->string))
			i++;
		if (known[i])
			continue;
		char list[256] = "";
		for (size_t k = 0; known[k]; k++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			         k ? ", " : "", known[k]);
		return bad(x, where, "unknown field '%s' (known: %s)", it->string, list);
	}
	return LV_OK;
}

static int get_string(const struct ctx *x, const cJSON *o, const char *key, const char *field,
                      const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v)
		return LV_OK;
	if (!cJSON_IsString(v) || !v->valuestring[0])
		return bad(x, field, "must be a non-empty string");
	*out = v->valuestring;
	return LV_OK;
}

/* A number in [lo, hi] (integral when `integer`); absent keeps *out. */
static int get_number(const struct ctx *x, const cJSON *o, const char *key, const char *field,
                      double lo, double hi, int integer, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v)
		return LV_OK;
	const char *what = integer ? "an integer" : "a number";
	if (!cJSON_IsNumber(v))
		return bad(x, field, "must be %s in [%g, %g]", what, lo, hi);
	double d = v->valuedouble;
	if (!isfinite(d) || d < lo || d > hi || (integer && d != floor(d)))
		return bad(x, field, "%g is not %s in [%g, %g]", d, what, lo, hi);
	*out = d;
	return LV_OK;
}

static int get_bool(const struct ctx *x, const cJSON *o, const char *key, const char *field,
                    int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v)
		return LV_OK;
	if (!cJSON_IsBool(v))
		return bad(x, field, "must be true or false");
	*out = cJSON_IsTrue(v);
	return LV_OK;
}

static int get_costs(const struct ctx *x, const cJSON *o, const char *field, enum lv_cost_mode *out)
{
	const char *s = NULL;
	if (get_string(x, o, "costs", field, &s) != LV_OK)
		return LV_EINVAL;
	if (s && lv_cost_mode_parse(s, out) != LV_OK)
		return bad(x, field, "'%s' is not pred, fill or prof", s);
	return LV_OK;
}

/* ---- traces ------------------------------------------------------------- */

static int parse_gen(const struct ctx *x, const cJSON *g, const char *f,
                     struct lv_trace_gen_params *p)
{
	static const char *const known[] = { "cameras",      "duration_s",   "windows",
		                             "min_active_s", "max_active_s", "last_entry_s",
		                             "rate_cap_fps", "budget_s",     NULL };
	char fld[160];
	if (!cJSON_IsObject(g))
		return bad(x, f, "must be an object of generator parameters");
	if (check_fields(x, f, g, known) != LV_OK)
		return LV_EINVAL;
	lv_trace_gen_defaults(p);
	double cams = p->cameras, win = p->windows;
	struct {
		const char *key;
		double *v;
		int integer;
	} nums[] = {
		{ "cameras", &cams, 1 },
		{ "duration_s", &p->duration_s, 0 },
		{ "windows", &win, 1 },
		{ "min_active_s", &p->min_active_s, 0 },
		{ "max_active_s", &p->max_active_s, 0 },
		{ "last_entry_s", &p->last_entry_s, 0 },
		{ "rate_cap_fps", &p->rate_cap_fps, 0 },
		{ "budget_s", &p->budget_s, 0 },
	};
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		snprintf(fld, sizeof(fld), "%s.%s", f, nums[i].key);
		if (get_number(x, g, nums[i].key, fld, 0, 1e9, nums[i].integer, nums[i].v) != LV_OK)
			return LV_EINVAL;
	}
	p->cameras = (int)cams;
	p->windows = (int)win;
	char *why = NULL;
	if (lv_trace_gen_check(p, &why) != LV_OK) {
		bad(x, f, "%s", why);
		free(why);
		return LV_EINVAL;
	}
	return LV_OK;
}

static int parse_seeds(const struct ctx *x, const cJSON *s, const char *f, struct lv_exp_trace *t)
{
	char fld[160];
	if (!s) {
		t->n_seeds = 1;
		t->seeds = lv_xcalloc(1, sizeof(*t->seeds));
		t->seeds[0] = 1;
		return LV_OK;
	}
	if (!cJSON_IsArray(s) || cJSON_GetArraySize(s) == 0)
		return bad(x, f, "must be a non-empty array of integer seeds");
	t->n_seeds = (size_t)cJSON_GetArraySize(s);
	t->seeds = lv_xcalloc(t->n_seeds, sizeof(*t->seeds));
	size_t i = 0;
	const cJSON *v;
	cJSON_ArrayForEach (v, s) {
		snprintf(fld, sizeof(fld), "%s[%zu]", f, i);
		double d = cJSON_IsNumber(v) ? v->valuedouble : -1;
		if (!cJSON_IsNumber(v) || d < 0 || d > 9007199254740992.0 || d != floor(d))
			return cJSON_IsNumber(v) ? bad(x, fld, "%g is not an integer >= 0", d)
			                         : bad(x, fld, "must be an integer >= 0");
		t->seeds[i++] = (uint64_t)d;
	}
	return LV_OK;
}

static int parse_trace(const struct ctx *x, const cJSON *o, size_t idx, struct lv_exp_trace *t)
{
	static const char *const known[] = { "name", "file", "generate", "seeds", NULL };
	char f[64], fld[96];
	snprintf(f, sizeof(f), "traces[%zu]", idx);
	if (!cJSON_IsObject(o))
		return bad(x, f, "must be an object with \"file\" or \"generate\"");
	if (check_fields(x, f, o, known) != LV_OK)
		return LV_EINVAL;
	const char *name = NULL, *file = NULL;
	const cJSON *gen = cJSON_GetObjectItemCaseSensitive(o, "generate");
	const cJSON *seeds = cJSON_GetObjectItemCaseSensitive(o, "seeds");
	snprintf(fld, sizeof(fld), "%s.name", f);
	if (get_string(x, o, "name", fld, &name) != LV_OK)
		return LV_EINVAL;
	snprintf(fld, sizeof(fld), "%s.file", f);
	if (get_string(x, o, "file", fld, &file) != LV_OK)
		return LV_EINVAL;
	if (!!file == !!gen)
		return bad(x, f, "give exactly one of \"file\" and \"generate\"");
	if (file && seeds)
		return bad(x, f, "\"seeds\" applies to generated traces only");
	if (file) {
		t->path = lv_path_join(x->dir, file);
		if (!name) {
			const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
			size_t n = strlen(base);
			if (n > 4 && !strcmp(base + n - 4, ".csv"))
				n -= 4;
			t->name = lv_xasprintf("%.*s", (int)n, base);
		}
	} else {
		snprintf(fld, sizeof(fld), "%s.generate", f);
		if (parse_gen(x, gen, fld, &t->gen) != LV_OK)
			return LV_EINVAL;
		snprintf(fld, sizeof(fld), "%s.seeds", f);
		if (parse_seeds(x, seeds, fld, t) != LV_OK)
			return LV_EINVAL;
		if (!name)
			t->name = lv_xasprintf("gen-%dcam", t->gen.cameras);
	}
	if (name)
		t->name = lv_xstrdup(name);
	return LV_OK;
}

/* ---- policies ----------------------------------------------------------- */

static void add_param(struct lv_exp_policy *p, const char *k, const char *v)
{
	p->keys = lv_xrealloc(p->keys, (p->n_params + 1) * sizeof(*p->keys));
	p->values = lv_xrealloc(p->values, (p->n_params + 1) * sizeof(*p->values));
	p->keys[p->n_params] = lv_xstrdup(k);
	p->values[p->n_params] = lv_xstrdup(v);
	p->n_params++;
}

/* "name" or "name:k=v,k=v" into name and params. */
static int parse_policy_string(const struct ctx *x, const char *f, const char *s,
                               struct lv_exp_policy *p)
{
	char *copy = lv_xstrdup(s), *save = NULL;
	char *colon = strchr(copy, ':');
	int rc = LV_OK;
	if (colon) {
		*colon = '\0';
		for (char *kv = strtok_r(colon + 1, ",", &save); kv && rc == LV_OK;
		     kv = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(kv, '=');
			if (!eq || eq == kv || !eq[1]) {
				rc = bad(x, f, "'%s' is not key=value", kv);
				break;
			}
			*eq = '\0';
			add_param(p, kv, eq + 1);
		}
	}
	p->name = lv_xstrdup(copy);
	free(copy);
	return rc;
}

static int parse_params(const struct ctx *x, const char *f, const cJSON *o, struct lv_exp_policy *p)
{
	char fld[160];
	if (!cJSON_IsObject(o))
		return bad(x, f, "must be an object of parameter values");
	const cJSON *v;
	cJSON_ArrayForEach (v, o) {
		snprintf(fld, sizeof(fld), "%s.%s", f, v->string);
		if (cJSON_IsNumber(v)) {
			char num[40];
			snprintf(num, sizeof(num), "%.17g", v->valuedouble);
			add_param(p, v->string, num);
		} else if (cJSON_IsString(v) && v->valuestring[0]) {
			add_param(p, v->string, v->valuestring);
		} else {
			return bad(x, fld, "must be a number");
		}
	}
	return LV_OK;
}

static int parse_policy(const struct ctx *x, const cJSON *o, size_t idx, enum lv_cost_mode def,
                        struct lv_exp_policy *p)
{
	static const char *const known[] = { "name", "params", "costs", "label", NULL };
	char f[64], fld[96];
	snprintf(f, sizeof(f), "policies[%zu]", idx);
	p->costs = def;
	if (cJSON_IsString(o)) {
		if (parse_policy_string(x, f, o->valuestring, p) != LV_OK)
			return LV_EINVAL;
	} else if (cJSON_IsObject(o)) {
		const char *name = NULL, *label = NULL;
		if (check_fields(x, f, o, known) != LV_OK)
			return LV_EINVAL;
		snprintf(fld, sizeof(fld), "%s.name", f);
		if (get_string(x, o, "name", fld, &name) != LV_OK)
			return LV_EINVAL;
		if (!name)
			return bad(x, fld, "missing");
		if (parse_policy_string(x, fld, name, p) != LV_OK)
			return LV_EINVAL;
		const cJSON *params = cJSON_GetObjectItemCaseSensitive(o, "params");
		snprintf(fld, sizeof(fld), "%s.params", f);
		if (params && parse_params(x, fld, params, p) != LV_OK)
			return LV_EINVAL;
		snprintf(fld, sizeof(fld), "%s.costs", f);
		if (get_costs(x, o, fld, &p->costs) != LV_OK)
			return LV_EINVAL;
		snprintf(fld, sizeof(fld), "%s.label", f);
		if (get_string(x, o, "label", fld, &label) != LV_OK)
			return LV_EINVAL;
		if (label)
			snprintf(p->label, sizeof(p->label), "%s", label);
	} else {
		return bad(x, f, "must be a policy name or an object with \"name\"");
	}
	if (!lv_policy_find(p->name)) {
		char *why = NULL;
		lv_policy_new_kv(p->name, 0, NULL, NULL, NULL, &why); /* the registry's message */
		snprintf(fld, sizeof(fld), "%s.name", f);
		bad(x, cJSON_IsString(o) ? f : fld, "%s", why);
		free(why);
		return LV_EINVAL;
	}
	size_t len = strlen(p->name) + 2;
	for (size_t i = 0; i < p->n_params; i++)
		len += strlen(p->keys[i]) + strlen(p->values[i]) + 2;
	p->spec = lv_xcalloc(len, 1);
	strcat(p->spec, p->name);
	for (size_t i = 0; i < p->n_params; i++) {
		strcat(p->spec, i ? "," : ":");
		strcat(p->spec, p->keys[i]);
		strcat(p->spec, "=");
		strcat(p->spec, p->values[i]);
	}
	return LV_OK;
}

/* ---- the spec ----------------------------------------------------------- */

static int parse_top(const struct ctx *x, const cJSON *root, struct lv_exp_spec *s)
{
	static const char *const known[] = {
		"name",       "description", "mode",        "agents",     "cluster", "predictor",
		"costs",      "baseline",    "repetitions", "seed",       "noise",   "noise_kind",
		"governor",   "window",      "sample_s",    "power_plot", "traces",  "policies",
		"controller", "accounting",  NULL
	};
	const char *name = NULL, *desc = NULL, *mode = NULL, *cluster = NULL, *pred = NULL;
	const char *nk = NULL, *window = NULL, *base = NULL, *power = NULL, *agents = NULL;
	const char *ctl = NULL, *acct = NULL;
	double reps = 1, seed = 1;
	if (!cJSON_IsObject(root))
		return bad(x, "spec", "must be a JSON object");
	if (check_fields(x, "spec", root, known) != LV_OK ||
	    get_string(x, root, "name", "name", &name) != LV_OK ||
	    get_string(x, root, "description", "description", &desc) != LV_OK ||
	    get_string(x, root, "mode", "mode", &mode) != LV_OK ||
	    get_string(x, root, "cluster", "cluster", &cluster) != LV_OK ||
	    get_string(x, root, "predictor", "predictor", &pred) != LV_OK ||
	    get_string(x, root, "noise_kind", "noise_kind", &nk) != LV_OK ||
	    get_string(x, root, "window", "window", &window) != LV_OK ||
	    get_string(x, root, "baseline", "baseline", &base) != LV_OK ||
	    get_string(x, root, "power_plot", "power_plot", &power) != LV_OK ||
	    get_string(x, root, "agents", "agents", &agents) != LV_OK ||
	    get_string(x, root, "controller", "controller", &ctl) != LV_OK ||
	    get_string(x, root, "accounting", "accounting", &acct) != LV_OK ||
	    get_costs(x, root, "costs", &s->costs) != LV_OK ||
	    get_number(x, root, "repetitions", "repetitions", 1, 1000, 1, &reps) != LV_OK ||
	    get_number(x, root, "seed", "seed", 0, 9007199254740992.0, 1, &seed) != LV_OK ||
	    get_number(x, root, "noise", "noise", 0, 3, 0, &s->noise) != LV_OK ||
	    get_number(x, root, "sample_s", "sample_s", 0.001, 3600, 0, &s->sample_s) != LV_OK ||
	    get_bool(x, root, "governor", "governor", &s->governor) != LV_OK)
		return LV_EINVAL;
	if (mode && strcmp(mode, "sim") && strcmp(mode, "live"))
		return bad(x, "mode", "'%s' is not \"sim\" or \"live\"", mode);
	s->live = mode && !strcmp(mode, "live");
	if (agents && !s->live)
		return bad(x, "agents", "only a live experiment (\"mode\": \"live\") has agents");
	if (agents && strcmp(agents, "embedded") && strcmp(agents, "cluster"))
		return bad(x, "agents",
		           "'%s' is not \"embedded\" (emulated agents started for each run) or "
		           "\"cluster\" (the running agents at the cluster file's URLs)",
		           agents);
	s->agents =
	    agents && !strcmp(agents, "cluster") ? LV_EXP_AGENTS_CLUSTER : LV_EXP_AGENTS_EMBEDDED;
	if (!cluster)
		return bad(x, "cluster",
		           "missing (a cluster file, e.g. "
		           "\"../profiles/clusters/single-agx.json\")");
	if (nk && strcmp(nk, "uniform") && strcmp(nk, "lognormal"))
		return bad(x, "noise_kind", "'%s' is not uniform or lognormal", nk);
	s->noise_kind = nk && !strcmp(nk, "lognormal") ? LV_NOISE_LOGNORMAL : LV_NOISE_UNIFORM;
	if (s->noise_kind == LV_NOISE_UNIFORM && s->noise >= 1)
		return bad(x, "noise", "%g must be below 1 for uniform noise", s->noise);
	if (window && strcmp(window, "common") && strcmp(window, "own"))
		return bad(x, "window", "'%s' is not \"common\" or \"own\"", window);
	s->common_window = !window || !strcmp(window, "common");
	if (acct && strcmp(acct, "exact") && strcmp(acct, "thesis"))
		return bad(x, "accounting",
		           "'%s' is not \"exact\" (the integral of power) or \"thesis\" (as the "
		           "thesis's report.csv computed it)",
		           acct);
	s->thesis_acct = acct && !strcmp(acct, "thesis");
	if (s->thesis_acct && !ctl)
		return bad(x, "accounting",
		           "\"thesis\" needs a \"controller\" profile that measured it (e.g. "
		           "\"thesis-python\")");
	if ((ctl || s->thesis_acct) && s->live)
		return bad(x, ctl ? "controller" : "accounting",
		           "only a simulated experiment models the controller");
	if (ctl) {
		size_t n = strlen(ctl);
		int path = strchr(ctl, '/') || (n > 5 && !strcmp(ctl + n - 5, ".json"));
		s->controller = path ? lv_path_join(x->dir, ctl) : lv_xstrdup(ctl);
	}
	s->repetitions = (int)reps;
	s->seed = (uint64_t)seed;
	if (name)
		s->name = lv_xstrdup(name);
	if (desc)
		s->description = lv_xstrdup(desc);
	if (base)
		s->baseline_label = lv_xstrdup(base);
	if (power)
		s->power_label = lv_xstrdup(power);
	s->cluster_path = lv_path_join(x->dir, cluster);
	s->predictor_path =
	    pred ? lv_path_join(x->dir, pred) : lv_xstrdup(LV_EXP_DEFAULT_PREDICTOR);
	return LV_OK;
}

static int parse_lists(const struct ctx *x, const cJSON *root, struct lv_exp_spec *s)
{
	const cJSON *traces = cJSON_GetObjectItemCaseSensitive(root, "traces");
	const cJSON *pols = cJSON_GetObjectItemCaseSensitive(root, "policies");
	if (!traces)
		return bad(x, "traces", "missing (a list of trace files or generators)");
	if (!cJSON_IsArray(traces) || cJSON_GetArraySize(traces) == 0)
		return bad(x, "traces", "must be a non-empty array: the matrix would be empty");
	if (!pols)
		return bad(x, "policies", "missing (a list of policies)");
	if (!cJSON_IsArray(pols) || cJSON_GetArraySize(pols) == 0)
		return bad(x, "policies", "must be a non-empty array: the matrix would be empty");
	s->n_traces = (size_t)cJSON_GetArraySize(traces);
	s->traces = lv_xcalloc(s->n_traces, sizeof(*s->traces));
	size_t i = 0;
	const cJSON *o;
	cJSON_ArrayForEach (o, traces) {
		if (parse_trace(x, o, i, &s->traces[i]) != LV_OK)
			return LV_EINVAL;
		i++;
	}
	s->n_policies = (size_t)cJSON_GetArraySize(pols);
	s->policies = lv_xcalloc(s->n_policies, sizeof(*s->policies));
	i = 0;
	cJSON_ArrayForEach (o, pols) {
		if (parse_policy(x, o, i, s->costs, &s->policies[i]) != LV_OK)
			return LV_EINVAL;
		i++;
	}
	return LV_OK;
}

static void spec_defaults(struct lv_exp_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->costs = LV_COST_PROF;
	s->repetitions = 1;
	s->seed = 1;
	s->noise_kind = LV_NOISE_UNIFORM;
	s->governor = 1;
	s->common_window = 1;
	s->sample_s = 1.0;
}

/* The spec's base name without ".json", for a spec without "name". */
static char *default_name(const char *name)
{
	const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	size_t n = strlen(base);
	if (n > 5 && !strcmp(base + n - 5, ".json"))
		n -= 5;
	return lv_xasprintf("%.*s", (int)n, base);
}

int lv_exp_spec_parse(const char *text, const char *name, const char *dir, struct lv_exp_spec *spec,
                      char **why)
{
	struct ctx x = { name, dir, why };
	spec_defaults(spec);
	cJSON *root = cJSON_Parse(text);
	if (!root) {
		const char *at = cJSON_GetErrorPtr();
		size_t line = 1, col = 1;
		for (const char *p = text; at && p < at && *p; p++) {
			col++;
			if (*p == '\n') {
				line++;
				col = 1;
			}
		}
		return lv_fail(why, LV_EINVAL, "%s:%zu:%zu: not valid JSON", name, line, col);
	}
	int rc = parse_top(&x, root, spec);
	if (rc == LV_OK)
		rc = parse_lists(&x, root, spec);
	cJSON_Delete(root);
	if (rc != LV_OK) {
		lv_exp_spec_fini(spec);
		return rc;
	}
	spec->path = lv_xstrdup(name);
	if (!spec->name)
		spec->name = default_name(name);
	return LV_OK;
}

int lv_exp_spec_load(const char *path, struct lv_exp_spec *spec, char **why)
{
	spec_defaults(spec);
	char *text = lv_read_file(path, NULL, why);
	if (!text)
		return LV_EIO;
	char *dir = lv_path_dirname(path);
	int rc = lv_exp_spec_parse(text, path, dir, spec, why);
	free(dir);
	free(text);
	return rc;
}

void lv_exp_spec_fini(struct lv_exp_spec *s)
{
	for (size_t i = 0; s->traces && i < s->n_traces; i++) {
		free(s->traces[i].name);
		free(s->traces[i].path);
		free(s->traces[i].seeds);
	}
	free(s->traces);
	for (size_t i = 0; s->policies && i < s->n_policies; i++) {
		struct lv_exp_policy *p = &s->policies[i];
		for (size_t k = 0; k < p->n_params; k++) {
			free(p->keys[k]);
			free(p->values[k]);
		}
		free(p->keys);
		free(p->values);
		free(p->name);
		free(p->spec);
	}
	free(s->policies);
	free(s->path);
	free(s->name);
	free(s->description);
	free(s->baseline_label);
	free(s->power_label);
	free(s->controller);
	free(s->cluster_path);
	free(s->predictor_path);
	spec_defaults(s);
}
