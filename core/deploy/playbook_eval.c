/*
 * playbook_eval: evaluates compiled expressions (playbook_expr.h) against
 * variables from a lookup callback. The filters that see undefined values
 * (default, d, mandatory) are here; the others are in playbook_filter.c.
 *
 * Ownership: every evaluation step returns a new value or NULL for
 * "undefined"; the name that was undefined is remembered for the message,
 * since Ansible users look for "'x' is undefined".
 */
#include "playbook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "playbook_expr.h"
#include "base/util.h"

struct ctx {
	lv_lookup_fn lookup;
	void *ud;
	char undef[128]; /* the last undefined name, for messages */
	char **why;
};

static int eval(struct ctx *c, const struct lv_enode *n, struct lv_val **out);

static int undefined_error(struct ctx *c)
{
	return lv_fail(c->why, LV_EINVAL, "'%s' is undefined", c->undef[0] ? c->undef : "value");
}

/* Extends the remembered path ("x" -> "x.stat") or starts a new one. */
static void note_undef(struct ctx *c, const char *base, const char *attr)
{
	char *tmp = attr ? lv_xasprintf("%s.%s", base, attr) : lv_xstrdup(base);
	size_t n = strlen(tmp);
	if (n >= sizeof c->undef)
		n = sizeof c->undef - 1;
	memcpy(c->undef, tmp, n);
	c->undef[n] = '\0';
	free(tmp);
}

/* Evaluates to a defined value or fails. */
static int eval_def(struct ctx *c, const struct lv_enode *n, struct lv_val **out)
{
	int rc = eval(c, n, out);
	if (rc == 0 && !*out)
		return undefined_error(c);
	return rc;
}

static bool as_num(const struct lv_val *v, double *out)
{
	long long i;
	if (lv_val_as_int(v, &i)) {
		*out = (double)i;
		return true;
	}
	if (!v || v->kind != LV_VAL_STR || !v->str[0])
		return false;
	char *end = NULL;
	double d = strtod(v->str, &end);
	if (*end)
		return false;
	*out = d;
	return true;
}

static bool compare(const struct lv_val *a, const struct lv_val *b, enum lv_ecmp op)
{
	double x, y;
	int r;
	if (as_num(a, &x) && as_num(b, &y) && a->kind != LV_VAL_BOOL && b->kind != LV_VAL_BOOL) {
		r = x < y ? -1 : x > y;
	} else if (a->kind == LV_VAL_NULL || b->kind == LV_VAL_NULL) {
		r = a->kind != b->kind;
	} else {
		char *ta = lv_val_to_text(a), *tb = lv_val_to_text(b);
		if (a->kind == LV_VAL_BOOL || b->kind == LV_VAL_BOOL)
			r = lv_val_truthy(a) != lv_val_truthy(b) || a->kind != b->kind;
		else
			r = strcmp(ta, tb);
		free(ta);
		free(tb);
	}
	switch (op) {
	case LV_EC_EQ: return r == 0;
	case LV_EC_NE: return r != 0;
	case LV_EC_LT: return r < 0;
	case LV_EC_LE: return r <= 0;
	case LV_EC_GT: return r > 0;
	case LV_EC_GE: return r >= 0;
	}
	return false;
}

static bool contains(const struct lv_val *needle, const struct lv_val *hay)
{
	char *t = lv_val_to_text(needle);
	bool found = false;
	if (hay->kind == LV_VAL_LIST) {
		for (size_t i = 0; i < hay->n && !found; i++)
			found = compare(needle, hay->items[i], LV_EC_EQ);
	} else if (hay->kind == LV_VAL_MAP) {
		found = lv_val_get(hay, t) != NULL;
	} else {
		found = strstr(hay->str, t) != NULL;
	}
	free(t);
	return found;
}

/*
 * Evaluates the arguments of a filter, test or call: positional ones into
 * *args (*n of them), keyword ones into *kwargs (a MAP, or NULL when none).
 */
static int eval_args(struct ctx *c, const struct lv_enode *n, struct lv_val ***args, size_t *k,
                     struct lv_val **kwargs)
{
	int rc = 0;
	*args = NULL;
	*k = 0;
	*kwargs = NULL;
	if (!n->n_args)
		return 0;
	*args = lv_xcalloc(n->n_args, sizeof **args);
	for (size_t i = 0; i < n->n_args && rc == 0; i++) {
		const struct lv_enode *a = n->args[i];
		struct lv_val *v = NULL;
		rc = eval_def(c, a->kind == LV_EN_KWARG ? a->a : a, &v);
		if (rc)
			break;
		if (a->kind == LV_EN_KWARG) {
			if (!*kwargs)
				*kwargs = lv_val_new_map();
			lv_val_set(*kwargs, a->name, v);
		} else {
			(*args)[(*k)++] = v;
		}
	}
	return rc;
}

static void free_args(struct lv_val **args, size_t k, struct lv_val *kwargs)
{
	for (size_t j = 0; j < k; j++)
		lv_val_free(args[j]);
	free(args);
	lv_val_free(kwargs);
}

static int eval_test(struct ctx *c, const struct lv_enode *n, struct lv_val **out)
{
	struct lv_val *v = NULL, **args = NULL, *kwargs = NULL;
	size_t k = 0;
	int rc = eval(c, n->a, &v);
	if (rc == 0 && !v && strcmp(n->name, "defined") && strcmp(n->name, "undefined"))
		rc = undefined_error(c);
	if (rc == 0)
		rc = eval_args(c, n, &args, &k, &kwargs);
	bool r = false;
	if (rc == 0)
		rc = lv_expr_test_apply(n->name, v, args, k, kwargs, &r, c->why);
	if (rc == 0)
		*out = lv_val_new_bool(n->op ? !r : r);
	free_args(args, k, kwargs);
	lv_val_free(v);
	return rc;
}

static int eval_filter(struct ctx *c, const struct lv_enode *n, struct lv_val **out)
{
	struct lv_val *v = NULL, **args = NULL, *kwargs = NULL;
	size_t k = 0;
	int rc = eval(c, n->a, &v);
	if (rc)
		return rc;
	rc = eval_args(c, n, &args, &k, &kwargs);
	if (rc)
		goto out;
	if (!strcmp(n->name, "default") || !strcmp(n->name, "d")) {
		bool use = !v || (k > 1 && lv_val_truthy(args[1]) && !lv_val_truthy(v));
		*out = use ? (k ? lv_val_dup(args[0]) : lv_val_new_str("")) : v;
		if (!use)
			v = NULL;
	} else if (!v) {
		rc = undefined_error(c);
	} else if (!strcmp(n->name, "mandatory")) {
		*out = v;
		v = NULL;
	} else {
		rc = lv_expr_filter_apply(n->name, v, args, k, kwargs, out, c->why);
	}
out:
	free_args(args, k, kwargs);
	lv_val_free(v);
	return rc;
}

/* range(stop), range(start, stop[, step]): at most RANGE_MAX items. */
#define RANGE_MAX 100000
static int eval_call(struct ctx *c, const struct lv_enode *n, struct lv_val **out)
{
	struct lv_val **args = NULL, *kwargs = NULL;
	size_t k = 0;
	int rc = eval_args(c, n, &args, &k, &kwargs);
	long long a[3] = { 0, 0, 1 };
	for (size_t i = 0; i < k && rc == 0; i++)
		if (!lv_val_as_int(args[i], &a[k == 1 ? 1 : i]))
			rc = lv_fail(c->why, LV_EINVAL, "range(): argument %zu is not an integer",
			             i + 1);
	if (rc == 0 && (kwargs || k == 0))
		rc = lv_fail(c->why, LV_EINVAL, "range(): takes 1 to 3 integers");
	if (rc == 0 && a[2] == 0)
		rc = lv_fail(c->why, LV_EINVAL, "range(): step must not be zero");
	if (rc == 0) {
		*out = lv_val_new_list();
		for (long long x = a[0]; a[2] > 0 ? x < a[1] : x > a[1];) {
			if ((*out)->n >= RANGE_MAX) {
				rc = lv_fail(c->why, LV_EINVAL, "range(): more than %d items",
				             RANGE_MAX);
				break;
			}
			lv_val_push(*out, lv_val_new_int(x));
			if (__builtin_add_overflow(x, a[2], &x))
				break;
		}
	}
	free_args(args, k, kwargs);
	return rc;
}

static int eval_access(struct ctx *c, const struct lv_enode *n, struct lv_val **out)
{
	struct lv_val *base = NULL, *key = NULL;
	int rc = eval(c, n->a, &base);
	if (rc || !base)
		return rc; /* undefined propagates */
	const struct lv_val *found = NULL;
	if (n->kind == LV_EN_ATTR) {
		found = lv_val_get(base, n->name);
		if (!found && base->kind == LV_VAL_LIST) {
			long long i;
			struct lv_val tmp = { .kind = LV_VAL_STR, .str = n->name };
			if (lv_val_as_int(&tmp, &i) && i >= 0 && (size_t)i < base->n)
				found = base->items[i];
		}
		note_undef(c, c->undef[0] ? c->undef : "value", n->name);
	} else {
		rc = eval_def(c, n->b, &key);
		long long i;
		if (rc == 0 && base->kind == LV_VAL_LIST && lv_val_as_int(key, &i)) {
			if (i < 0)
				i += (long long)base->n;
			if (i >= 0 && (size_t)i < base->n)
				found = base->items[i];
		} else if (rc == 0 && key->str) {
			found = lv_val_get(base, key->str);
		}
		if (rc == 0)
			note_undef(c, c->undef[0] ? c->undef : "value", key->str ? key->str : "[]");
	}
	*out = lv_val_dup(found);
	lv_val_free(base);
	lv_val_free(key);
	return rc;
}

static int eval_binary(struct ctx *c, const struct lv_enode *n, struct lv_val **out)
{
	struct lv_val *a = NULL, *b = NULL;
	int rc = eval_def(c, n->a, &a);
	if (rc)
		return rc;
	if (n->kind == LV_EN_AND || n->kind == LV_EN_OR) {
		bool t = lv_val_truthy(a);
		if ((n->kind == LV_EN_AND && !t) || (n->kind == LV_EN_OR && t)) {
			*out = a;
			return 0;
		}
		lv_val_free(a);
		return eval_def(c, n->b, out);
	}
	rc = eval_def(c, n->b, &b);
	if (rc == 0) {
		bool r = n->kind == LV_EN_CMP ? compare(a, b, (enum lv_ecmp)n->op) : contains(a, b);
		if (n->kind == LV_EN_IN && n->op)
			r = !r;
		*out = lv_val_new_bool(r);
	}
	lv_val_free(a);
	lv_val_free(b);
	return rc;
}

static int eval_add(struct ctx *c, const struct lv_enode *n, struct lv_val **out)
{
	struct lv_val *a = NULL, *b = NULL;
	int rc = eval_def(c, n->a, &a);
	if (rc == 0)
		rc = eval_def(c, n->b, &b);
	long long x, y;
	double dx, dy;
	if (rc) {
		/* nothing */
	} else if (n->op != '~' && lv_val_as_int(a, &x) && lv_val_as_int(b, &y) &&
	           a->kind != LV_VAL_STR && b->kind != LV_VAL_STR) {
		long long r;
		if (n->op == '+' ? __builtin_add_overflow(x, y, &r)
		                 : __builtin_sub_overflow(x, y, &r))
			rc = lv_fail(c->why, LV_EINVAL, "integer overflow: %lld %c %lld", x, n->op,
			             y);
		else
			*out = lv_val_new_int(r);
	} else if (n->op == '-' && as_num(a, &dx) && as_num(b, &dy)) {
		char buf[64];
		snprintf(buf, sizeof buf, "%g", dx - dy);
		*out = lv_val_new_plain(buf);
	} else if (n->op == '+' && a->kind == LV_VAL_LIST && b->kind == LV_VAL_LIST) {
		*out = lv_val_dup(a);
		for (size_t i = 0; i < b->n; i++)
			lv_val_push(*out, lv_val_dup(b->items[i]));
	} else if (n->op == '-') {
		rc = lv_fail(c->why, LV_EINVAL, "unsupported operand for -");
	} else {
		char *ta = lv_val_to_text(a), *tb = lv_val_to_text(b);
		char *s = lv_xasprintf("%s%s", ta, tb);
		*out = lv_val_new_str(s);
		free(s);
		free(ta);
		free(tb);
	}
	lv_val_free(a);
	lv_val_free(b);
	return rc;
}

static int eval(struct ctx *c, const struct lv_enode *n, struct lv_val **out)
{
	*out = NULL;
	switch (n->kind) {
	case LV_EN_LIT: *out = lv_val_dup(n->lit); return 0;
	case LV_EN_NAME: {
		int rc = c->lookup(c->ud, n->name, out, c->why);
		if (rc == 0)
			note_undef(c, n->name, NULL);
		return rc;
	}
	case LV_EN_ATTR:
	case LV_EN_INDEX: return eval_access(c, n, out);
	case LV_EN_LIST: {
		struct lv_val *l = lv_val_new_list();
		for (size_t i = 0; i < n->n_args; i++) {
			struct lv_val *item = NULL;
			int rc = eval_def(c, n->args[i], &item);
			if (rc) {
				lv_val_free(l);
				return rc;
			}
			lv_val_push(l, item);
		}
		*out = l;
		return 0;
	}
	case LV_EN_DICT: {
		struct lv_val *m = lv_val_new_map();
		for (size_t i = 0; i + 1 < n->n_args; i += 2) {
			struct lv_val *k = NULL, *v = NULL;
			int rc = eval_def(c, n->args[i], &k);
			if (rc == 0)
				rc = eval_def(c, n->args[i + 1], &v);
			if (rc) {
				lv_val_free(k);
				lv_val_free(m);
				return rc;
			}
			char *t = lv_val_to_text(k);
			lv_val_set(m, t, v);
			free(t);
			lv_val_free(k);
		}
		*out = m;
		return 0;
	}
	case LV_EN_NOT: {
		struct lv_val *v = NULL;
		int rc = eval_def(c, n->a, &v);
		if (rc == 0)
			*out = lv_val_new_bool(!lv_val_truthy(v));
		lv_val_free(v);
		return rc;
	}
	case LV_EN_AND:
	case LV_EN_OR:
	case LV_EN_CMP:
	case LV_EN_IN: return eval_binary(c, n, out);
	case LV_EN_TEST: return eval_test(c, n, out);
	case LV_EN_ADD: return eval_add(c, n, out);
	case LV_EN_COND: {
		struct lv_val *cond = NULL;
		int rc = eval_def(c, n->b, &cond);
		bool t = rc == 0 && lv_val_truthy(cond);
		lv_val_free(cond);
		return rc ? rc : eval_def(c, t ? n->a : n->args[0], out);
	}
	case LV_EN_FILTER: return eval_filter(c, n, out);
	case LV_EN_CALL: return eval_call(c, n, out);
	case LV_EN_KWARG:
		return lv_fail(c->why, LV_EINVAL, "%s=: a keyword argument here", n->name);
	}
	return LV_EINVAL;
}

int lv_expr_eval(const struct lv_expr *e, lv_lookup_fn lookup, void *ud, struct lv_val **out,
                 char **why)
{
	struct ctx c = { .lookup = lookup, .ud = ud, .why = why };
	*out = NULL;
	int rc = eval_def(&c, e->root, out);
	if (rc) {
		lv_val_free(*out);
		*out = NULL;
	}
	return rc;
}

int lv_expr_eval_bool(const struct lv_expr *e, lv_lookup_fn lookup, void *ud, bool *out, char **why)
{
	struct lv_val *v = NULL;
	int rc = lv_expr_eval(e, lookup, ud, &v, why);
	if (rc == 0)
		*out = lv_val_truthy(v);
	lv_val_free(v);
	return rc;
}
