/*
 * playbook_test: the tests of the expression language (`x is defined`,
 * `r is failed`, `s is match('^v')`), shared by the evaluator
 * (playbook_eval.c) and the filters that take a test (select, selectattr...
 * in playbook_filter_list.c), and Jinja's ordering of values for sort, min
 * and max. Regular-expression tests use Python's syntax (pyre.h): `match`
 * is anchored at the start (re.match), `search` and `regex` are not.
 */
#include "playbook_expr.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pyre.h"
#include "base/util.h"

static const char *const tests[] = { "defined", "undefined", "none",    "succeeded", "success",
	                             "failed",  "failure",   "changed", "change",    "skipped",
	                             "skip",    "match",     "search",  "regex",     "string",
	                             "number",  "integer",   "mapping", "sequence",  "iterable",
	                             "boolean", "true",      "false",   "equalto",   "eq",
	                             "sameas",  "in",        "truthy",  "falsy",     "ne",
	                             "lower",   "upper",     NULL };

bool lv_expr_test_known(const char *name)
{
	for (const char *const *t = tests; *t; t++)
		if (!strcmp(*t, name))
			return true;
	return false;
}

static bool num_of(const struct lv_val *v, double *out)
{
	long long i;
	if (v->kind != LV_VAL_BOOL && lv_val_as_int(v, &i)) {
		*out = (double)i;
		return true;
	}
	if (v->kind != LV_VAL_STR || !v->str[0])
		return false;
	char *end = NULL;
	double d = strtod(v->str, &end);
	if (*end)
		return false;
	*out = d;
	return true;
}

int lv_expr_order(const struct lv_val *a, const struct lv_val *b, bool cs)
{
	double x, y;
	if (num_of(a, &x) && num_of(b, &y))
		return x < y ? -1 : x > y;
	char *ta = lv_val_to_text(a), *tb = lv_val_to_text(b);
	int r = cs ? strcmp(ta, tb) : strcasecmp(ta, tb);
	free(ta);
	free(tb);
	return r;
}

static bool same(const struct lv_val *a, const struct lv_val *b)
{
	if (a->kind == LV_VAL_NULL || b->kind == LV_VAL_NULL)
		return a->kind == b->kind;
	if ((a->kind == LV_VAL_BOOL) != (b->kind == LV_VAL_BOOL))
		return false;
	char *ja = lv_val_to_json(a), *jb = lv_val_to_json(b);
	double x, y;
	bool r = !strcmp(ja, jb) || (num_of(a, &x) && num_of(b, &y) && x == y);
	free(ja);
	free(jb);
	return r;
}

static bool kw_true(const struct lv_val *kwargs, const char *k)
{
	return lv_val_truthy(lv_val_get(kwargs, k));
}

static int regex_test(const char *name, const struct lv_val *v, struct lv_val *const *args,
                      size_t n_args, const struct lv_val *kwargs, bool *out, char **why)
{
	if (n_args < 1 || !args[0]->str)
		return lv_fail(why, LV_EINVAL, "test '%s' needs a regular expression", name);
	unsigned flags = (kw_true(kwargs, "ignorecase") ? LV_PYRE_ICASE : 0) |
	                 (kw_true(kwargs, "multiline") ? LV_PYRE_MULTILINE : 0);
	const char *type = !strcmp(name, "match") ? "match" : "search";
	const struct lv_val *mt = lv_val_get(kwargs, "match_type");
	if (!strcmp(name, "regex") && mt && mt->str)
		type = mt->str;
	if (strcmp(type, "match") && strcmp(type, "search"))
		return lv_fail(why, LV_EINVAL, "test 'regex': match_type '%s' (match, search)",
		               type);
	struct lv_pyre *re = lv_pyre_new(args[0]->str, flags, why);
	if (!re)
		return LV_EINVAL;
	char *t = lv_val_to_text(v);
	*out = lv_pyre_search(re, t, strlen(t), type[0] == 'm', NULL, NULL, NULL, NULL);
	free(t);
	lv_pyre_free(re);
	return 0;
}

static bool contains(const struct lv_val *hay, const struct lv_val *needle)
{
	if (hay->kind == LV_VAL_LIST) {
		for (size_t i = 0; i < hay->n; i++)
			if (same(needle, hay->items[i]))
				return true;
		return false;
	}
	char *t = lv_val_to_text(needle);
	bool found = hay->kind == LV_VAL_MAP ? lv_val_get(hay, t) != NULL
	                                     : hay->str && strstr(hay->str, t) != NULL;
	free(t);
	return found;
}

int lv_expr_test_apply(const char *name, const struct lv_val *v, struct lv_val *const *args,
                       size_t n_args, const struct lv_val *kwargs, bool *out, char **why)
{
	const char *t = name;
	if (!strcmp(t, "defined") || !strcmp(t, "undefined")) {
		*out = (v != NULL) == (t[0] == 'd');
		return 0;
	}
	if (!v)
		return lv_fail(why, LV_EINVAL, "test '%s' of an undefined value", name);
	if (!strcmp(t, "match") || !strcmp(t, "search") || !strcmp(t, "regex"))
		return regex_test(t, v, args, n_args, kwargs, out, why);
	bool needs_arg = !strcmp(t, "equalto") || !strcmp(t, "eq") || !strcmp(t, "sameas") ||
	                 !strcmp(t, "in") || !strcmp(t, "ne");
	if (needs_arg && n_args < 1)
		return lv_fail(why, LV_EINVAL, "test '%s' needs an argument", name);
	if (!strcmp(t, "none"))
		*out = v->kind == LV_VAL_NULL;
	else if (!strcmp(t, "string"))
		*out = v->kind == LV_VAL_STR;
	else if (!strcmp(t, "number") || !strcmp(t, "integer"))
		*out = v->kind == LV_VAL_INT;
	else if (!strcmp(t, "mapping"))
		*out = v->kind == LV_VAL_MAP;
	else if (!strcmp(t, "sequence") || !strcmp(t, "iterable"))
		*out = v->kind == LV_VAL_LIST || v->kind == LV_VAL_MAP || v->kind == LV_VAL_STR;
	else if (!strcmp(t, "boolean"))
		*out = v->kind == LV_VAL_BOOL;
	else if (!strcmp(t, "true") || !strcmp(t, "false"))
		*out = v->kind == LV_VAL_BOOL && v->i == (t[0] == 't');
	else if (!strcmp(t, "truthy") || !strcmp(t, "falsy"))
		*out = lv_val_truthy(v) == (t[0] == 't');
	else if (!strcmp(t, "equalto") || !strcmp(t, "eq") || !strcmp(t, "sameas"))
		*out = same(v, args[0]);
	else if (!strcmp(t, "ne"))
		*out = !same(v, args[0]);
	else if (!strcmp(t, "in"))
		*out = contains(args[0], v);
	else if (!strcmp(t, "lower") || !strcmp(t, "upper")) {
		char *s = lv_val_to_text(v);
		*out = true;
		for (char *p = s; *p; p++)
			if ((t[0] == 'l' && *p >= 'A' && *p <= 'Z') ||
			    (t[0] == 'u' && *p >= 'a' && *p <= 'z'))
				*out = false;
		free(s);
	} else {
		/* a registered result: failed, changed, skipped, succeeded */
		const char *field = t[0] == 's' && t[1] == 'u' ? "failed"
		                    : t[0] == 'f'              ? "failed"
		                    : t[0] == 'c'              ? "changed"
		                                               : "skipped";
		*out = lv_val_truthy(lv_val_get(v, field));
		if (t[0] == 's' && t[1] == 'u')
			*out = !*out;
	}
	return 0;
}
