/*
 * policy: the registry, parameter parsing and the decide wrapper. See policy.h.
 *
 * The wrapper is the one place that checks what a policy returns: a policy
 * bug (dispatching to a down device, an empty batch, a clock the kind does not
 * have) trips an assert here, next to the call, rather than corrupting the
 * engine later.
 */
#include "policy.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "model/profile.h"
#include "base/util.h"

static const struct lv_policy_ops *const registry[] = {
	&lv_policy_loud,
	&lv_policy_eco,
	&lv_policy_transparent,
	&lv_policy_round_robin,
	&lv_policy_kind_round_robin,
	&lv_policy_fixed_batch,
	&lv_policy_interval,
	&lv_policy_random,
	&lv_policy_stress,
	/* the serving systems' baselines */
	&lv_policy_dynamic_batch,
	&lv_policy_aimd,
	NULL,
};

const struct lv_policy_ops *const *lv_policy_registry(void)
{
	return registry;
}

const struct lv_policy_ops *lv_policy_find(const char *name)
{
	for (size_t i = 0; registry[i]; i++)
		if (strcmp(registry[i]->name, name) == 0)
			return registry[i];
	return NULL;
}

static int param_index(const struct lv_policy_ops *ops, const char *key)
{
	for (size_t i = 0; i < ops->n_params; i++)
		if (strcmp(ops->params[i].name, key) == 0)
			return (int)i;
	return -1;
}

static char *param_names(const struct lv_policy_ops *ops)
{
	size_t len = 1;
	for (size_t i = 0; i < ops->n_params; i++)
		len += strlen(ops->params[i].name) + 2;
	char *s = lv_xcalloc(len, 1);
	for (size_t i = 0; i < ops->n_params; i++) {
		if (i)
			strcat(s, ", ");
		strcat(s, ops->params[i].name);
	}
	return s;
}

static int set_param(const struct lv_policy_ops *ops, double *vals, const char *key,
                     const char *value, char **why)
{
	int i = param_index(ops, key);
	if (i < 0) {
		char *names = param_names(ops);
		lv_fail(why, LV_EINVAL, "policy %s: unknown parameter '%s' (it takes: %s)",
		        ops->name, key, ops->n_params ? names : "none");
		free(names);
		return LV_EINVAL;
	}
	const struct lv_param_spec *ps = &ops->params[i];
	double v;
	if (lv_parse_double(value, &v) != LV_OK || !isfinite(v))
		return lv_fail(why, LV_EINVAL, "policy %s: parameter %s: '%s' is not a number",
		               ops->name, key, value);
	if (ps->integer && v != floor(v))
		return lv_fail(why, LV_EINVAL,
		               "policy %s: parameter %s: '%s' is not a whole number", ops->name,
		               key, value);
	if (v < ps->min || v > ps->max)
		return lv_fail(why, LV_ERANGE, "policy %s: parameter %s: %s is outside [%g, %g]",
		               ops->name, key, value, ps->min, ps->max);
	vals[i] = v;
	return LV_OK;
}

struct lv_policy *lv_policy_new_kv(const char *name, size_t n, const char *const *keys,
                                   const char *const *values, const struct lv_cluster *c,
                                   char **why)
{
	const struct lv_policy_ops *ops = lv_policy_find(name);
	if (!ops) {
		size_t len = 1;
		for (size_t i = 0; registry[i]; i++)
			len += strlen(registry[i]->name) + 2;
		char *names = lv_xcalloc(len, 1);
		for (size_t i = 0; registry[i]; i++) {
			if (i)
				strcat(names, ", ");
			strcat(names, registry[i]->name);
		}
		lv_fail(why, LV_ENOENT, "unknown policy '%s' (known: %s)", name, names);
		free(names);
		return NULL;
	}
	assert(ops->n_params <= LV_POLICY_MAX_PARAMS);
	struct lv_policy *p = lv_xcalloc(1, sizeof(*p));
	p->ops = ops;
	for (size_t i = 0; i < ops->n_params; i++)
		p->params[i] = ops->params[i].def;
	for (size_t i = 0; i < n; i++) {
		if (set_param(ops, p->params, keys[i], values[i], why) != LV_OK) {
			free(p);
			return NULL;
		}
	}
	if (ops->create(p->params, c, &p->state, why) != LV_OK) {
		free(p);
		return NULL;
	}
	if (ops->describe)
		ops->describe(p->params, p->label, sizeof(p->label));
	else
		snprintf(p->label, sizeof(p->label), "%s", ops->name);
	return p;
}

struct lv_policy *lv_policy_new(const char *spec, const struct lv_cluster *c, char **why)
{
	char *copy = lv_xstrdup(spec);
	char *keys[LV_POLICY_MAX_PARAMS + 1];
	char *vals[LV_POLICY_MAX_PARAMS + 1];
	size_t n = 0;
	struct lv_policy *p = NULL;

	char *colon = strchr(copy, ':');
	if (colon) {
		*colon = '\0';
		char *save = NULL;
		for (char *kv = strtok_r(colon + 1, ",", &save); kv;
		     kv = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(kv, '=');
			if (!eq || eq == kv) {
				lv_fail(why, LV_EINVAL,
				        "policy %s: '%s' is not key=value (write e.g. %s:name=1)",
				        copy, kv, copy);
				goto out;
			}
			if (n == LV_POLICY_MAX_PARAMS + 1) {
				lv_fail(why, LV_EINVAL, "policy %s: too many parameters", copy);
				goto out;
			}
			*eq = '\0';
			keys[n] = kv;
			vals[n] = eq + 1;
			n++;
		}
	}
	if (!copy[0]) {
		lv_fail(why, LV_EINVAL, "empty policy name in '%s'", spec);
		goto out;
	}
	p = lv_policy_new_kv(copy, n, (const char *const *)keys, (const char *const *)vals, c, why);
out:
	free(copy);
	return p;
}

void lv_policy_free(struct lv_policy *p)
{
	if (!p)
		return;
	if (p->ops->destroy)
		p->ops->destroy(p->state);
	free(p);
}

double lv_policy_param(const struct lv_policy *p, const char *name)
{
	int i = param_index(p->ops, name);
	assert(i >= 0);
	return p->params[i];
}

static void check_decision(const struct lv_view *v, const struct lv_decision *d)
{
	const struct lv_cluster *c = v->cluster;
	(void)c;
	if (d->has_dispatch) {
		const struct lv_dispatch *x = &d->dispatch;
		assert(x->device >= 0 && (size_t)x->device < c->n_devices);
		assert(c->devices[x->device].state == LV_DEV_UP);
		assert(x->batch >= 1 && x->batch <= lv_policy_batch_cap(v, x->device));
		assert(x->freq_hz == 0 ||
		       lv_profile_freq_index(lv_device_profile(c, &c->devices[x->device]),
		                             x->freq_hz) >= 0);
	}
	for (size_t i = 0; i < d->n_clocks; i++) {
		assert(d->clocks[i].device >= 0 && (size_t)d->clocks[i].device < c->n_devices);
		assert(lv_profile_freq_index(lv_device_profile(c, &c->devices[d->clocks[i].device]),
		                             d->clocks[i].freq_hz) >= 0);
	}
	assert(d->reject >= 0 && (size_t)d->reject <= v->queue_len);
	assert(!(d->reject > 0 && d->has_dispatch));
	assert(d->reject == 0 || d->reject_reason);
	assert(!isnan(d->next_s));
}

void lv_policy_decide(struct lv_policy *p, const struct lv_view *v, double now,
                      struct lv_decision *out, struct lv_explain *explain)
{
	assert(out->clocks && out->cap_clocks >= v->cluster->n_devices);
	out->has_dispatch = 0;
	memset(&out->dispatch, 0, sizeof(out->dispatch));
	out->n_clocks = 0;
	out->next_s = INFINITY;
	out->reject = 0;
	out->reject_reason = NULL;
	if (explain) {
		size_t max = explain->max_alts;
		memset(explain, 0, sizeof(*explain));
		explain->max_alts = max ? max : 5;
	}
	p->ops->decide(p->state, v, now, out, explain);
	check_decision(v, out);
}

double lv_policy_poll_s(const struct lv_policy *p, double dflt)
{
	if (!p->ops->poll_s)
		return dflt;
	double t = p->ops->poll_s(p->params);
	return t > 0 ? t : dflt;
}
