/*
 * playbook_template: `{{ expr }}` substitution in strings and value trees, as
 * Ansible templates module arguments, variables and template files. The
 * expressions are the same language as `when` (playbook_eval.c).
 *
 * Not supported: Jinja statements ({% if %}, {% for %}); they are reported as
 * errors rather than copied through, so a template never deploys half-rendered.
 */
#include "playbook.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

bool lv_template_has_expr(const char *s)
{
	return s && (strstr(s, "{{") || strstr(s, "{%") || strstr(s, "{#"));
}

/* Evaluates the expression text between `b` and `e`. */
static int eval_span(const char *b, const char *e, lv_lookup_fn lookup, void *ud,
                     struct lv_val **out, char **why)
{
	char *src = lv_xmalloc((size_t)(e - b) + 1);
	memcpy(src, b, (size_t)(e - b));
	src[e - b] = '\0';
	struct lv_expr *x = lv_expr_parse(src, why);
	int rc = LV_EINVAL;
	if (x) {
		rc = lv_expr_eval(x, lookup, ud, out, why);
		lv_expr_free(x);
	}
	free(src);
	return rc;
}

int lv_template_render(const char *text, lv_lookup_fn lookup, void *ud, char **out, char **why)
{
	struct lv_buf b = { 0 };
	const char *p = text;
	*out = NULL;
	lv_buf_append(&b, "", 0);
	while (*p) {
		const char *open = strchr(p, '{');
		if (!open) {
			lv_buf_append(&b, p, strlen(p));
			break;
		}
		lv_buf_append(&b, p, (size_t)(open - p));
		char kind = open[1];
		if (kind != '{' && kind != '#' && kind != '%') {
			lv_buf_append(&b, open, 1);
			p = open + 1;
			continue;
		}
		const char *close_tok = kind == '{' ? "}}" : kind == '#' ? "#}" : "%}";
		const char *close = strstr(open + 2, close_tok);
		if (!close || kind == '%') {
			free(b.p);
			return lv_fail(why, LV_EINVAL, "template '%s': %s", text,
			               kind == '%' ? "Jinja statements ({%% %%}) are not supported"
			                           : "unterminated block");
		}
		if (kind == '{') {
			struct lv_val *v = NULL;
			if (eval_span(open + 2, close, lookup, ud, &v, why)) {
				free(b.p);
				return LV_EINVAL;
			}
			char *t = lv_val_to_text(v);
			lv_buf_append(&b, t, strlen(t));
			free(t);
			lv_val_free(v);
		}
		p = close + 2;
	}
	*out = b.p;
	return 0;
}

/* A string that is exactly "{{ expr }}" (spaces around allowed) keeps the value's type. */
static bool single_expr(const char *s, const char **b, const char **e)
{
	while (*s == ' ')
		s++;
	if (strncmp(s, "{{", 2))
		return false;
	const char *close = strstr(s + 2, "}}");
	if (!close)
		return false;
	const char *rest = close + 2;
	while (*rest == ' ')
		rest++;
	const char *again = strstr(s + 2, "{{");
	if (*rest || (again && again < close))
		return false;
	*b = s + 2;
	*e = close;
	return true;
}

int lv_template_render_val(const struct lv_val *in, lv_lookup_fn lookup, void *ud,
                           struct lv_val **out, char **why)
{
	*out = NULL;
	if (!in)
		return 0;
	if (in->kind == LV_VAL_STR) {
		const char *b, *e;
		if (!lv_template_has_expr(in->str)) {
			*out = lv_val_dup(in);
			return 0;
		}
		if (single_expr(in->str, &b, &e))
			return eval_span(b, e, lookup, ud, out, why);
		char *s = NULL;
		if (lv_template_render(in->str, lookup, ud, &s, why))
			return LV_EINVAL;
		*out = lv_val_new_str(s);
		(*out)->line = in->line;
		free(s);
		return 0;
	}
	if (in->kind != LV_VAL_LIST && in->kind != LV_VAL_MAP) {
		*out = lv_val_dup(in);
		return 0;
	}
	struct lv_val *c = in->kind == LV_VAL_MAP ? lv_val_new_map() : lv_val_new_list();
	c->line = in->line;
	for (size_t i = 0; i < in->n; i++) {
		struct lv_val *item = NULL;
		if (lv_template_render_val(in->items[i], lookup, ud, &item, why)) {
			lv_val_free(c);
			return LV_EINVAL;
		}
		if (in->kind == LV_VAL_MAP)
			lv_val_set(c, in->keys[i], item);
		else
			lv_val_push(c, item);
	}
	*out = c;
	return 0;
}
