/*
 * playbook_filter: the filters of the expression language that act on a
 * defined value (`x | lower`, `list | join(',')`, `path | quote`, ...), and
 * the table of every filter name, which the parser (playbook_when.c) checks
 * so that a misspelt filter fails when the playbook loads. The evaluator
 * (playbook_eval.c) calls in here after evaluating the subject and the
 * arguments; the filters that see undefined values (default, d, mandatory)
 * stay in the evaluator. Neither file is reached from here.
 */
#include "playbook_expr.h"

#include <ctype.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "quote.h"
#include "base/util.h"

static const char *const filters[] = { "default", "d",     "mandatory", "bool",    "int",
	                               "string",  "lower", "upper",     "trim",    "length",
	                               "count",   "quote", "basename",  "dirname", "join",
	                               "first",   "last",  "to_json",   NULL };

bool lv_expr_filter_known(const char *name)
{
	for (const char *const *f = filters; *f; f++)
		if (!strcmp(*f, name))
			return true;
	return false;
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
                         size_t n_args, struct lv_val **out, char **why)
{
	long long i = 0;
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
