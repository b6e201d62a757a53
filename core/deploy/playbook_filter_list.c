/*
 * playbook_filter_list: the filters over lists and mappings — sort, unique,
 * min, max, sum, flatten, list, dict2items, items2dict, combine, select,
 * reject, selectattr, rejectattr and map — as Jinja2 and Ansible define
 * them. playbook_filter.c dispatches here and hands in itself (`apply`) for
 * map('filter'), so that neither file reaches the other by name.
 *
 * Attributes (selectattr('a.b'), map(attribute='a'), sort(attribute='a'))
 * are dotted paths into mappings; an item without the attribute is undefined
 * for a test and takes map's `default`, as in Jinja.
 */
#include "playbook_expr.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static const char *const names[] = { "sort",       "unique",     "min",    "max",
	                             "sum",        "flatten",    "list",   "dict2items",
	                             "items2dict", "combine",    "select", "reject",
	                             "selectattr", "rejectattr", "map",    NULL };

bool lv_expr_filter_list_known(const char *name)
{
	for (const char *const *n = names; *n; n++)
		if (!strcmp(*n, name))
			return true;
	return false;
}

/* The attribute at dotted `path` of `v` (borrowed), or NULL. */
static const struct lv_val *attr(const struct lv_val *v, const char *path)
{
	char *copy = lv_xstrdup(path), *save = NULL;
	for (char *k = strtok_r(copy, ".", &save); k && v; k = strtok_r(NULL, ".", &save)) {
		long long i;
		struct lv_val tmp = { .kind = LV_VAL_STR, .str = k };
		if (v->kind == LV_VAL_LIST && lv_val_as_int(&tmp, &i))
			v = i >= 0 && (size_t)i < v->n ? v->items[i] : NULL;
		else
			v = lv_val_get(v, k);
	}
	free(copy);
	return v;
}

/* Positional argument `i`, else keyword `kw` (NULL when neither). */
static const struct lv_val *arg(struct lv_val *const *args, size_t n_args,
                                const struct lv_val *kwargs, size_t i, const char *kw)
{
	if (i < n_args)
		return args[i];
	return lv_val_get(kwargs, kw);
}

/* A list view of `v`: a list itself, a mapping's keys, a string's characters. Caller frees. */
static struct lv_val *as_list(const struct lv_val *v)
{
	if (v->kind == LV_VAL_LIST)
		return lv_val_dup(v);
	struct lv_val *l = lv_val_new_list();
	if (v->kind == LV_VAL_MAP)
		for (size_t i = 0; i < v->n; i++)
			lv_val_push(l, lv_val_new_str(v->keys[i]));
	else if (v->str && v->kind == LV_VAL_STR)
		for (const char *p = v->str; *p; p++)
			lv_val_push(l, lv_val_new_strn(p, 1));
	return l;
}

struct sort_key {
	const struct lv_val *key;
	struct lv_val *item;
	size_t pos;
	bool cs, rev;
};

static int cmp_keys(const void *pa, const void *pb)
{
	const struct sort_key *a = pa, *b = pb;
	int r = 0;
	if (a->key && b->key)
		r = lv_expr_order(a->key, b->key, a->cs);
	else
		r = (a->key != NULL) - (b->key != NULL);
	if (a->rev)
		r = -r;
	return r ? r : (a->pos > b->pos) - (a->pos < b->pos); /* stable, as Python's sort */
}

static struct lv_val *sorted(struct lv_val *l, bool rev, bool cs, const char *by)
{
	struct sort_key *k = lv_xcalloc(l->n ? l->n : 1, sizeof *k);
	for (size_t i = 0; i < l->n; i++)
		k[i] = (struct sort_key){ .key = by ? attr(l->items[i], by) : l->items[i],
			                  .item = l->items[i],
			                  .pos = i,
			                  .cs = cs,
			                  .rev = rev };
	qsort(k, l->n, sizeof *k, cmp_keys);
	for (size_t i = 0; i < l->n; i++)
		l->items[i] = k[i].item;
	free(k);
	return l;
}

static void flatten_into(struct lv_val *out, const struct lv_val *l, long levels)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct lv_val *x = l->items[i];
		if (x->kind == LV_VAL_LIST && levels != 0)
			flatten_into(out, x, levels - 1);
		else if (x->kind != LV_VAL_NULL)
			lv_val_push(out, lv_val_dup(x));
	}
}

/* select, reject, selectattr, rejectattr. */
static int select_items(const char *name, const struct lv_val *l, struct lv_val *const *args,
                        size_t n_args, const struct lv_val *kwargs, struct lv_val **out, char **why)
{
	bool by_attr = !strcmp(name, "selectattr") || !strcmp(name, "rejectattr");
	bool keep_hits = name[0] == 's';
	size_t at = by_attr ? 1 : 0;
	if (by_attr && (n_args < 1 || !args[0]->str))
		return lv_fail(why, LV_EINVAL, "%s: needs an attribute name", name);
	const char *test = n_args > at && args[at]->str ? args[at]->str : NULL;
	if (test && !lv_expr_test_known(test))
		return lv_fail(why, LV_EINVAL, "%s: unknown test '%s'", name, test);
	*out = lv_val_new_list();
	for (size_t i = 0; i < l->n; i++) {
		const struct lv_val *x = by_attr ? attr(l->items[i], args[0]->str) : l->items[i];
		bool hit;
		if (!test) {
			hit = x && lv_val_truthy(x);
		} else {
			size_t first = at + 1;
			int rc = lv_expr_test_apply(test, x, args + first,
			                            n_args > first ? n_args - first : 0, kwargs,
			                            &hit, why);
			if (rc) {
				lv_val_free(*out);
				*out = NULL;
				return rc;
			}
		}
		if (hit == keep_hits)
			lv_val_push(*out, lv_val_dup(l->items[i]));
	}
	return 0;
}

static int map_items(const struct lv_val *l, struct lv_val *const *args, size_t n_args,
                     const struct lv_val *kwargs, lv_filter_fn apply, struct lv_val **out,
                     char **why)
{
	const struct lv_val *by = lv_val_get(kwargs, "attribute");
	const struct lv_val *dflt = lv_val_get(kwargs, "default");
	const char *filter = n_args > 0 && args[0]->str ? args[0]->str : NULL;
	if (!by && !filter)
		return lv_fail(why, LV_EINVAL, "map: needs attribute= or a filter name");
	*out = lv_val_new_list();
	for (size_t i = 0; i < l->n; i++) {
		struct lv_val *item = NULL;
		if (by) {
			const struct lv_val *x = by->str ? attr(l->items[i], by->str) : NULL;
			if (!x)
				x = dflt;
			if (!x) {
				lv_val_free(*out);
				*out = NULL;
				return lv_fail(why, LV_EINVAL,
				               "map: item %zu has no attribute '%s'", i,
				               by->str ? by->str : "?");
			}
			item = lv_val_dup(x);
		} else {
			int rc =
			    apply(filter, l->items[i], args + 1, n_args - 1, kwargs, &item, why);
			if (rc) {
				lv_val_free(*out);
				*out = NULL;
				return rc;
			}
		}
		lv_val_push(*out, item);
	}
	return 0;
}

static int dict_items(const char *name, const struct lv_val *v, const struct lv_val *kwargs,
                      struct lv_val **out, char **why)
{
	const struct lv_val *kn = lv_val_get(kwargs, "key_name"),
	                    *vn = lv_val_get(kwargs, "value_name");
	const char *k = kn && kn->str ? kn->str : "key", *val = vn && vn->str ? vn->str : "value";
	if (!strcmp(name, "dict2items")) {
		if (v->kind != LV_VAL_MAP)
			return lv_fail(why, LV_EINVAL, "dict2items requires a dictionary");
		*out = lv_val_new_list();
		for (size_t i = 0; i < v->n; i++) {
			struct lv_val *m = lv_val_new_map();
			lv_val_set_str(m, k, v->keys[i]);
			lv_val_set(m, val, lv_val_dup(v->items[i]));
			lv_val_push(*out, m);
		}
		return 0;
	}
	if (v->kind != LV_VAL_LIST)
		return lv_fail(why, LV_EINVAL, "items2dict requires a list");
	*out = lv_val_new_map();
	for (size_t i = 0; i < v->n; i++) {
		const struct lv_val *key = lv_val_get(v->items[i], k);
		const struct lv_val *value = lv_val_get(v->items[i], val);
		char *t = key ? lv_val_to_text(key) : NULL;
		if (!t || !value) {
			free(t);
			lv_val_free(*out);
			*out = NULL;
			return lv_fail(why, LV_EINVAL, "items2dict: item %zu has no '%s' or '%s'",
			               i, k, val);
		}
		lv_val_set(*out, t, lv_val_dup(value));
		free(t);
	}
	return 0;
}

int lv_expr_filter_list_apply(const char *name, const struct lv_val *v, struct lv_val *const *args,
                              size_t n_args, const struct lv_val *kwargs, lv_filter_fn apply,
                              struct lv_val **out, char **why)
{
	*out = NULL;
	if (!strcmp(name, "dict2items") || !strcmp(name, "items2dict"))
		return dict_items(name, v, kwargs, out, why);
	if (!strcmp(name, "combine")) {
		if (v->kind != LV_VAL_MAP)
			return lv_fail(why, LV_EINVAL, "combine: expected a dictionary");
		*out = lv_val_dup(v);
		for (size_t i = 0; i < n_args; i++) {
			if (args[i]->kind != LV_VAL_MAP) {
				lv_val_free(*out);
				*out = NULL;
				return lv_fail(why, LV_EINVAL, "combine: expected dictionaries");
			}
			lv_val_merge(*out, args[i]);
		}
		return 0;
	}
	struct lv_val *l = as_list(v);
	int rc = 0;
	if (!strcmp(name, "list")) {
		*out = l;
		return 0;
	} else if (!strcmp(name, "sort")) {
		const struct lv_val *rev = arg(args, n_args, kwargs, 0, "reverse"),
		                    *cs = arg(args, n_args, kwargs, 1, "case_sensitive"),
		                    *by = arg(args, n_args, kwargs, 2, "attribute");
		*out = sorted(l, lv_val_truthy(rev), lv_val_truthy(cs), by ? by->str : NULL);
		return 0;
	} else if (!strcmp(name, "unique")) {
		*out = lv_val_new_list();
		for (size_t i = 0; i < l->n; i++) {
			bool seen = false;
			for (size_t k = 0; k < (*out)->n && !seen; k++)
				seen = lv_expr_order(l->items[i], (*out)->items[k], true) == 0 &&
				       l->items[i]->kind == (*out)->items[k]->kind;
			if (!seen)
				lv_val_push(*out, lv_val_dup(l->items[i]));
		}
	} else if (!strcmp(name, "min") || !strcmp(name, "max")) {
		if (l->n == 0) {
			rc = lv_fail(why, LV_EINVAL, "%s of an empty list", name);
		} else {
			size_t best = 0;
			for (size_t i = 1; i < l->n; i++) {
				int r = lv_expr_order(l->items[i], l->items[best], false);
				if (name[1] == 'i' ? r < 0 : r > 0)
					best = i;
			}
			*out = lv_val_dup(l->items[best]);
		}
	} else if (!strcmp(name, "sum")) {
		long long acc = 0, x;
		for (size_t i = 0; i < l->n && rc == 0; i++) {
			if (!lv_val_as_int(l->items[i], &x) || __builtin_add_overflow(acc, x, &acc))
				rc = lv_fail(why, LV_EINVAL, "sum: item %zu is not an integer", i);
		}
		if (rc == 0)
			*out = lv_val_new_int(acc);
	} else if (!strcmp(name, "flatten")) {
		const struct lv_val *lv = arg(args, n_args, kwargs, 0, "levels");
		long long levels = -1;
		if (lv && !lv_val_as_int(lv, &levels))
			levels = -1;
		*out = lv_val_new_list();
		flatten_into(*out, l, (long)levels);
	} else if (!strcmp(name, "map")) {
		rc = map_items(l, args, n_args, kwargs, apply, out, why);
	} else {
		rc = select_items(name, l, args, n_args, kwargs, out, why);
	}
	lv_val_free(l);
	return rc;
}
