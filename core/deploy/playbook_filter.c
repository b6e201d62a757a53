/*
 * playbook_filter: the filters of the expression language that act on a
 * defined value (`x | lower`, `list | join(',')`, `path | quote`, ...), and
 * the table of every filter name, which the parser (playbook_when.c) checks
 * so that a misspelt filter fails when the playbook loads. The evaluator
 * (playbook_eval.c) calls in here after evaluating the subject and the
 * arguments; the filters that see undefined values (default, d, mandatory)
 * stay in the evaluator. Neither file is reached from here. The filters over
 * lists and mappings (sort, selectattr, dict2items...) are in
 * playbook_filter_list.c; regular expressions (regex_replace, regex_search,
 * regex_findall) use Python's syntax through pyre.h, as Ansible's do.
 */
#include "playbook_expr.h"

#include <ctype.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pyre.h"
#include "quote.h"
#include "base/util.h"

static const char *const filters[] = { "default",       "d",
	                               "mandatory",     "bool",
	                               "int",           "string",
	                               "lower",         "upper",
	                               "trim",          "length",
	                               "count",         "quote",
	                               "basename",      "dirname",
	                               "join",          "first",
	                               "last",          "to_json",
	                               "regex_replace", "regex_search",
	                               "regex_findall", "regex_escape",
	                               "replace",       "split",
	                               "capitalize",    NULL };

bool lv_expr_filter_known(const char *name)
{
	for (const char *const *f = filters; *f; f++)
		if (!strcmp(*f, name))
			return true;
	return lv_expr_filter_list_known(name);
}

int lv_expr_filter_check(const char *name, const struct lv_val *const *lits, size_t n_lits,
                         char **why)
{
	bool regex = !strncmp(name, "regex_", 6) && strcmp(name, "regex_escape");
	if (regex && n_lits >= 1 && lits[0] && lits[0]->str) {
		struct lv_pyre *re = lv_pyre_new(lits[0]->str, 0, why);
		int rc = re ? 0 : LV_EINVAL;
		if (re && !strcmp(name, "regex_replace") && n_lits >= 2 && lits[1] && lits[1]->str)
			rc = lv_pyre_check_repl(re, lits[1]->str, why);
		lv_pyre_free(re);
		return rc;
	}
	bool by_test = !strcmp(name, "select") || !strcmp(name, "reject");
	bool by_attr_test = !strcmp(name, "selectattr") || !strcmp(name, "rejectattr");
	size_t at = by_test ? 0 : 1;
	if ((by_test || by_attr_test) && n_lits > at && lits[at] && lits[at]->str &&
	    !lv_expr_test_known(lits[at]->str))
		return lv_fail(why, LV_EINVAL, "%s: unknown test '%s'", name, lits[at]->str);
	if (!strcmp(name, "map") && n_lits >= 1 && lits[0] && lits[0]->str &&
	    (!lv_expr_filter_known(lits[0]->str) || !strcmp(lits[0]->str, "default") ||
	     !strcmp(lits[0]->str, "d") || !strcmp(lits[0]->str, "mandatory")))
		return lv_fail(why, LV_EINVAL, "map: unknown filter '%s'%s", lits[0]->str,
		               lv_expr_filter_known(lits[0]->str) ? " (not inside map)" : "");
	return 0;
}

static unsigned re_flags(const struct lv_val *kwargs)
{
	return (lv_val_truthy(lv_val_get(kwargs, "ignorecase")) ? LV_PYRE_ICASE : 0) |
	       (lv_val_truthy(lv_val_get(kwargs, "multiline")) ? LV_PYRE_MULTILINE : 0);
}

/* The value of group reference `ref` ("\\1", "\\g<name>") of a match, or NULL when bad. */
static struct lv_val *group_ref(const struct lv_pyre *re, const char *t, const long *g,
                                const char *ref, char **why)
{
	long n = -1;
	if (ref[0] == '\\' && ref[1] >= '0' && ref[1] <= '9' && !ref[2 + (ref[2] != 0)])
		n = strtol(ref + 1, NULL, 10);
	else if (!strncmp(ref, "\\g<", 3) && ref[strlen(ref) - 1] == '>') {
		char *nm = lv_xasprintf("%.*s", (int)strlen(ref) - 4, ref + 3);
		n = lv_pyre_group(re, nm);
		free(nm);
	}
	if (n < 0) {
		lv_fail(why, LV_EINVAL, "regex_search: no group '%s' in '%s'", ref,
		        lv_pyre_text(re));
		return NULL;
	}
	if (g[2 * n] < 0)
		return lv_val_new_null();
	return lv_val_new_strn(t + g[2 * n], (size_t)(g[2 * n + 1] - g[2 * n]));
}

static int regex_filter(const char *name, const struct lv_val *v, struct lv_val *const *args,
                        size_t n_args, const struct lv_val *kwargs, struct lv_val **out, char **why)
{
	if (!strcmp(name, "regex_escape")) {
		char *t = lv_val_to_text(v);
		struct lv_buf b = { 0 };
		for (const char *p = t; *p; p++) {
			if (strchr("()[]{}?*+-|^$\\.&~# \t\n\r\v\f", *p))
				lv_buf_append(&b, "\\", 1);
			lv_buf_append(&b, p, 1);
		}
		lv_buf_append(&b, "", 1);
		*out = lv_val_new_str(b.p);
		lv_buf_fini(&b);
		free(t);
		return 0;
	}
	if (n_args < 1 || !args[0]->str)
		return lv_fail(why, LV_EINVAL, "%s: needs a regular expression", name);
	struct lv_pyre *re = lv_pyre_new(args[0]->str, re_flags(kwargs), why);
	if (!re)
		return LV_EINVAL;
	char *t = lv_val_to_text(v), *r = NULL;
	int rc = 0;
	if (!strcmp(name, "regex_replace")) {
		const char *repl = n_args > 1 && args[1]->str ? args[1]->str : "";
		long long count = 0;
		const struct lv_val *c = lv_val_get(kwargs, "count");
		if (c && !lv_val_as_int(c, &count))
			count = 0;
		rc = lv_pyre_sub(re, t, repl, (long)count, &r, why);
		if (rc == 0)
			*out = lv_val_new_str(r);
	} else if (!strcmp(name, "regex_search")) {
		long *g = NULL;
		size_t ng = 0, b = 0, e = 0;
		if (!lv_pyre_search(re, t, strlen(t), false, &b, &e, &g, &ng)) {
			*out = lv_val_new_null();
		} else if (n_args < 2) {
			*out = lv_val_new_strn(t + b, e - b);
		} else {
			*out = lv_val_new_list();
			for (size_t i = 1; i < n_args && rc == 0; i++) {
				struct lv_val *one =
				    args[i]->str ? group_ref(re, t, g, args[i]->str, why) : NULL;
				if (!one)
					rc = LV_EINVAL;
				else
					lv_val_push(*out, one);
			}
		}
		free(g);
		(void)ng;
	} else { /* regex_findall: every match; the groups when there are some */
		*out = lv_val_new_list();
		const char *p = t;
		size_t left = strlen(t);
		for (;;) {
			long *g = NULL;
			size_t ng = 0, b = 0, e = 0;
			if (!lv_pyre_search(re, p, left, false, &b, &e, &g, &ng))
				break;
			struct lv_val *item;
			if (ng == 0) {
				item = lv_val_new_strn(p + b, e - b);
			} else {
				item = ng == 1 ? NULL : lv_val_new_list();
				for (size_t i = 1; i <= ng; i++) {
					struct lv_val *one =
					    g[2 * i] < 0 ? lv_val_new_str("")
					                 : lv_val_new_strn(
					                       p + g[2 * i],
					                       (size_t)(g[2 * i + 1] - g[2 * i]));
					if (item)
						lv_val_push(item, one);
					else
						item = one;
				}
			}
			lv_val_push(*out, item);
			free(g);
			size_t step = e > b ? e : b + 1;
			if (step > left)
				break;
			p += step;
			left -= step;
		}
	}
	if (rc) {
		lv_val_free(*out);
		*out = NULL;
	}
	free(r);
	free(t);
	lv_pyre_free(re);
	return rc;
}

static struct lv_val *text_filter(const char *name, const struct lv_val *v)
{
	char *t = lv_val_to_text(v), *r = NULL;
	if (!strcmp(name, "lower") || !strcmp(name, "upper")) {
		for (char *p = t; *p; p++)
			*p = (char)(name[0] == 'l' ? tolower((unsigned char)*p)
			                           : toupper((unsigned char)*p));
	} else if (!strcmp(name, "trim")) {
		char *b = t;
		while (*b == ' ' || *b == '\n' || *b == '\t' || *b == '\r')
			b++;
		size_t len = strlen(b);
		while (len && strchr(" \n\t\r", b[len - 1]))
			len--;
		memmove(t, b, len);
		t[len] = '\0';
	} else if (!strcmp(name, "quote")) {
		r = lv_quote_sh(t);
	} else if (!strcmp(name, "capitalize")) {
		for (char *p = t; *p; p++)
			*p = (char)(p == t ? toupper((unsigned char)*p)
			                   : tolower((unsigned char)*p));
	} else if (!strcmp(name, "basename") || !strcmp(name, "dirname")) {
		char *copy = lv_xstrdup(t);
		r = lv_xstrdup(name[0] == 'b' ? basename(copy) : dirname(copy));
		free(copy);
	}
	struct lv_val *out = lv_val_new_str(r ? r : t);
	free(r);
	free(t);
	return out;
}

/* Ansible's `bool` filter: only yes/on/1/true/y (any case) are true for strings. */
static bool to_bool(const struct lv_val *v)
{
	static const char *const yes[] = { "yes", "on", "1", "true", "y", NULL };
	if (v->kind != LV_VAL_STR)
		return lv_val_truthy(v);
	for (const char *const *w = yes; *w; w++)
		if (!strcasecmp(v->str, *w))
			return true;
	return false;
}

int lv_expr_filter_apply(const char *name, const struct lv_val *v, struct lv_val *const *args,
                         size_t n_args, const struct lv_val *kwargs, struct lv_val **out,
                         char **why)
{
	long long i = 0;
	*out = NULL;
	if (lv_expr_filter_list_known(name))
		return lv_expr_filter_list_apply(name, v, args, n_args, kwargs,
		                                 lv_expr_filter_apply, out, why);
	if (!strncmp(name, "regex_", 6))
		return regex_filter(name, v, args, n_args, kwargs, out, why);
	if (!strcmp(name, "replace") || !strcmp(name, "split")) {
		char *t = lv_val_to_text(v);
		const char *a0 = n_args > 0 && args[0]->str ? args[0]->str : NULL;
		if (name[0] == 'r') {
			if (!a0 || !a0[0] || n_args < 2 || !args[1]->str) {
				free(t);
				return lv_fail(why, LV_EINVAL, "replace: needs old and new text");
			}
			struct lv_buf b = { 0 };
			size_t ol = strlen(a0);
			for (const char *p = t, *q; *p; p = q + ol) {
				q = strstr(p, a0);
				if (!q) {
					lv_buf_append(&b, p, strlen(p));
					break;
				}
				lv_buf_append(&b, p, (size_t)(q - p));
				lv_buf_append(&b, args[1]->str, strlen(args[1]->str));
			}
			lv_buf_append(&b, "", 1);
			*out = lv_val_new_str(b.p);
			lv_buf_fini(&b);
		} else {
			*out = lv_val_new_list();
			const char *p = t;
			if (a0 && a0[0]) {
				for (const char *q; (q = strstr(p, a0)); p = q + strlen(a0))
					lv_val_push(*out, lv_val_new_strn(p, (size_t)(q - p)));
				lv_val_push(*out, lv_val_new_str(p));
			} else {
				while (*p) {
					while (*p == ' ' || *p == '\t' || *p == '\n')
						p++;
					const char *e = p;
					while (*e && *e != ' ' && *e != '\t' && *e != '\n')
						e++;
					if (e > p)
						lv_val_push(*out,
						            lv_val_new_strn(p, (size_t)(e - p)));
					p = e;
				}
			}
		}
		free(t);
		return 0;
	}
	if (!strcmp(name, "bool")) {
		*out = lv_val_new_bool(to_bool(v));
	} else if (!strcmp(name, "int")) {
		if (!lv_val_as_int(v, &i))
			i = v->str ? strtoll(v->str, NULL, 10) : 0;
		*out = lv_val_new_int(i);
	} else if (!strcmp(name, "string")) {
		char *t = lv_val_to_text(v);
		*out = lv_val_new_str(t);
		free(t);
	} else if (!strcmp(name, "length") || !strcmp(name, "count")) {
		*out = lv_val_new_int((long long)(v->str ? strlen(v->str) : v->n));
	} else if (!strcmp(name, "to_json")) {
		char *t = lv_val_to_json(v);
		*out = lv_val_new_str(t);
		free(t);
	} else if (!strcmp(name, "first") || !strcmp(name, "last")) {
		if (v->kind != LV_VAL_LIST || v->n == 0)
			return lv_fail(why, LV_EINVAL, "%s: not a non-empty list", name);
		*out = lv_val_dup(v->items[name[0] == 'f' ? 0 : v->n - 1]);
	} else if (!strcmp(name, "join")) {
		if (v->kind != LV_VAL_LIST)
			return lv_fail(why, LV_EINVAL, "join: not a list");
		const char *sep = n_args ? args[0]->str ? args[0]->str : "" : "";
		char *acc = lv_xstrdup("");
		for (size_t k = 0; k < v->n; k++) {
			char *t = lv_val_to_text(v->items[k]);
			char *next = lv_xasprintf("%s%s%s", acc, k ? sep : "", t);
			free(t);
			free(acc);
			acc = next;
		}
		*out = lv_val_new_str(acc);
		free(acc);
	} else {
		*out = text_filter(name, v);
	}
	return 0;
}
