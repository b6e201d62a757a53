/*
 * playbook_template: Jinja2 templates as Ansible renders module arguments,
 * variables and template files — `{{ expr }}` (the expression language of
 * playbook_eval.c), `{# comments #}`, and the statements
 * `{% if %}`/`{% elif %}`/`{% else %}`/`{% endif %}` and
 * `{% for x in list %}`/`{% for k, v in map | dictsort %}`... `{% else %}`
 * `{% endfor %}` with `loop.index`, `loop.index0`, `loop.first`,
 * `loop.last` and `loop.length`. Whitespace follows Ansible's settings:
 * trim_blocks (the first newline after a statement or comment is dropped),
 * and `{%-`, `-%}`, `{{-`, `-}}` strip the whitespace on their side. Any
 * other statement (set, macro, include, raw...) is an error naming it, so a
 * template never deploys half-rendered.
 *
 * A template is compiled into a tree of nodes first (lv_template_check does
 * only that, when the playbook loads), then rendered against a lookup.
 */
#include "playbook.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

bool lv_template_has_expr(const char *s)
{
	return s && (strstr(s, "{{") || strstr(s, "{%") || strstr(s, "{#"));
}

/* ---- compiling ---------------------------------------------------------- */

enum tnode_kind { TN_TEXT, TN_EXPR, TN_IF, TN_FOR };

struct tnode;

struct tlist {
	struct tnode **v;
	size_t n;
};

struct tnode {
	enum tnode_kind kind;
	char *text;        /* TEXT */
	struct lv_expr *e; /* EXPR; IF: condition; FOR: the sequence */
	struct tlist body; /* IF: then; FOR: the loop's body */
	struct tlist alt;  /* IF: else (an elif is an IF in it); FOR: else (empty sequence) */
	char *var, *var2;  /* FOR: loop variable(s) */
};

static void tlist_free(struct tlist *l);

static void tnode_free(struct tnode *n)
{
	if (!n)
		return;
	free(n->text);
	lv_expr_free(n->e);
	tlist_free(&n->body);
	tlist_free(&n->alt);
	free(n->var);
	free(n->var2);
	free(n);
}

static void tlist_free(struct tlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		tnode_free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void tlist_push(struct tlist *l, struct tnode *n)
{
	l->v = lv_xrealloc(l->v, (l->n + 1) * sizeof *l->v);
	l->v[l->n++] = n;
}

struct tparser {
	const char *src; /* the whole template, for messages */
	const char *p;
	bool trim_next; /* drop leading whitespace of the next text (-%}) */
	bool nl_next;   /* drop one newline at the start of the next text (trim_blocks) */
	char **why;
};

static int terr(struct tparser *tp, const char *what, const char *detail)
{
	size_t n = strlen(tp->src);
	return lv_fail(tp->why, LV_EINVAL, "template '%.*s%s': %s%s", 120, tp->src,
	               n > 120 ? "..." : "", what, detail ? detail : "");
}

/* Appends text [b, e), applying the pending trims; `rstrip` drops trailing whitespace ({%-). */
static void add_text(struct tparser *tp, struct tlist *out, const char *b, const char *e,
                     bool rstrip)
{
	if (tp->trim_next)
		while (b < e && isspace((unsigned char)*b))
			b++;
	else if (tp->nl_next && b < e && *b == '\n')
		b++;
	else if (tp->nl_next && e - b >= 2 && b[0] == '\r' && b[1] == '\n')
		b += 2;
	tp->trim_next = tp->nl_next = false;
	if (rstrip)
		while (e > b && isspace((unsigned char)e[-1]))
			e--;
	if (e > b) {
		struct tnode *n = lv_xcalloc(1, sizeof *n);
		n->kind = TN_TEXT;
		n->text = lv_xasprintf("%.*s", (int)(e - b), b);
		tlist_push(out, n);
	}
}

static struct lv_expr *compile(struct tparser *tp, const char *b, const char *e)
{
	char *src = lv_xasprintf("%.*s", (int)(e - b), b);
	char *w = NULL;
	struct lv_expr *x = lv_expr_parse(src, &w);
	if (!x) {
		terr(tp, w, NULL);
		free(w);
	}
	free(src);
	return x;
}

/*
 * Parses nodes into `out` until a statement whose keyword is in `stops`
 * ("elif else endif"); sets *stop to that statement's text (caller frees) or
 * NULL at the end of the template.
 */
static int parse_nodes(struct tparser *tp, struct tlist *out, const char *stops, char **stop);

/* The statement text in `s` starting with keyword `kw` ("if x" -> "x"), or NULL. */
static const char *after_kw(const char *s, const char *kw)
{
	size_t n = strlen(kw);
	if (strncmp(s, kw, n) || (s[n] && !isspace((unsigned char)s[n])))
		return NULL;
	s += n;
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

static int parse_if(struct tparser *tp, const char *cond, struct tlist *out)
{
	struct tnode *n = lv_xcalloc(1, sizeof *n);
	n->kind = TN_IF;
	tlist_push(out, n);
	n->e = compile(tp, cond, cond + strlen(cond));
	if (!n->e)
		return LV_EINVAL;
	char *stop = NULL;
	if (parse_nodes(tp, &n->body, "elif else endif", &stop))
		return LV_EINVAL;
	if (!stop)
		return terr(tp, "{% if %} without {% endif %}", NULL);
	int rc = 0;
	const char *rest;
	if ((rest = after_kw(stop, "elif"))) {
		rc = parse_if(tp, rest, &n->alt);
	} else if (after_kw(stop, "else")) {
		char *end = NULL;
		rc = parse_nodes(tp, &n->alt, "endif", &end);
		if (rc == 0 && !end)
			rc = terr(tp, "{% else %} without {% endif %}", NULL);
		free(end);
	}
	free(stop);
	return rc;
}

static bool is_name(const char *b, const char *e)
{
	if (b == e || !(isalpha((unsigned char)*b) || *b == '_'))
		return false;
	for (; b < e; b++)
		if (!isalnum((unsigned char)*b) && *b != '_')
			return false;
	return true;
}

static int parse_for(struct tparser *tp, const char *head, struct tlist *out)
{
	struct tnode *n = lv_xcalloc(1, sizeof *n);
	n->kind = TN_FOR;
	tlist_push(out, n);
	const char *in = strstr(head, " in ");
	if (!in)
		return terr(tp, "{% for %}: expected 'for NAME in EXPRESSION'", NULL);
	const char *e = in;
	while (e > head && isspace((unsigned char)e[-1]))
		e--;
	const char *comma = NULL;
	for (const char *q = head; q < e && !comma; q++)
		if (*q == ',')
			comma = q;
	const char *b1 = head, *e1 = comma ? comma : e;
	while (e1 > b1 && isspace((unsigned char)e1[-1]))
		e1--;
	n->var = lv_xasprintf("%.*s", (int)(e1 - b1), b1);
	if (comma) {
		const char *b2 = comma + 1;
		while (isspace((unsigned char)*b2))
			b2++;
		n->var2 = lv_xasprintf("%.*s", (int)(e - b2), b2);
	}
	if (!is_name(n->var, n->var + strlen(n->var)) ||
	    (n->var2 && !is_name(n->var2, n->var2 + strlen(n->var2))))
		return terr(tp, "{% for %}: expected 'for NAME in EXPRESSION'", NULL);
	n->e = compile(tp, in + 4, in + 4 + strlen(in + 4));
	if (!n->e)
		return LV_EINVAL;
	char *stop = NULL;
	if (parse_nodes(tp, &n->body, "else endfor", &stop))
		return LV_EINVAL;
	if (!stop)
		return terr(tp, "{% for %} without {% endfor %}", NULL);
	int rc = 0;
	if (after_kw(stop, "else")) {
		char *end = NULL;
		rc = parse_nodes(tp, &n->alt, "endfor", &end);
		if (rc == 0 && !end)
			rc = terr(tp, "{% else %} without {% endfor %}", NULL);
		free(end);
	}
	free(stop);
	return rc;
}

static bool in_words(const char *kw, const char *words)
{
	size_t n = strlen(kw);
	if (n == 0)
		return false; /* an empty statement, {% %} */
	for (const char *p = strstr(words, kw); p; p = strstr(p + 1, kw))
		if ((p == words || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

static int parse_nodes(struct tparser *tp, struct tlist *out, const char *stops, char **stop)
{
	*stop = NULL;
	for (;;) {
		const char *open = tp->p;
		while ((open = strchr(open, '{')) && open[1] != '{' && open[1] != '%' &&
		       open[1] != '#')
			open++;
		if (!open) {
			add_text(tp, out, tp->p, tp->p + strlen(tp->p), false);
			tp->p += strlen(tp->p);
			return 0;
		}
		char kind = open[1];
		bool lstrip = open[2] == '-';
		add_text(tp, out, tp->p, open, lstrip);
		const char *close_tok = kind == '{' ? "}}" : kind == '#' ? "#}" : "%}";
		const char *b = open + 2 + lstrip, *close = strstr(b, close_tok);
		if (!close)
			return terr(tp,
			            kind == '{'   ? "unterminated {{ }}"
			            : kind == '#' ? "unterminated {# #}"
			                          : "unterminated {% %}",
			            NULL);
		bool rstrip = close > b && close[-1] == '-';
		const char *e = close - rstrip;
		tp->p = close + 2;
		tp->trim_next = rstrip;
		tp->nl_next = kind != '{';
		if (kind == '#')
			continue;
		if (kind == '{') {
			struct tnode *n = lv_xcalloc(1, sizeof *n);
			n->kind = TN_EXPR;
			tlist_push(out, n);
			n->e = compile(tp, b, e);
			if (!n->e)
				return LV_EINVAL;
			continue;
		}
		while (b < e && isspace((unsigned char)*b))
			b++;
		while (e > b && isspace((unsigned char)e[-1]))
			e--;
		char *stmt = lv_xasprintf("%.*s", (int)(e - b), b);
		size_t kwlen = strcspn(stmt, " \t\n");
		char *kw = lv_xasprintf("%.*s", (int)kwlen, stmt);
		const char *rest;
		int rc = 0;
		if (stops && in_words(kw, stops)) {
			free(kw);
			*stop = stmt;
			return 0;
		}
		if ((rest = after_kw(stmt, "if")))
			rc = parse_if(tp, rest, out);
		else if ((rest = after_kw(stmt, "for")))
			rc = parse_for(tp, rest, out);
		else {
			bool stray = !strcmp(kw, "elif") || !strcmp(kw, "else") ||
			             !strcmp(kw, "endif") || !strcmp(kw, "endfor");
			char *m =
			    stray ? lv_xasprintf("{%% %s %%} without its opening statement", kw)
			          : lv_xasprintf("the Jinja statement {%% %s %%} is not supported "
			                         "(loudva setup has if/elif/else and for)",
			                         kw);
			rc = terr(tp, m, NULL);
			free(m);
		}
		free(kw);
		free(stmt);
		if (rc)
			return rc;
	}
}

static int compile_template(const char *text, struct tlist *out, char **why)
{
	struct tparser tp = { .src = text, .p = text, .why = why };
	char *stop = NULL;
	int rc = parse_nodes(&tp, out, NULL, &stop);
	free(stop);
	if (rc)
		tlist_free(out);
	return rc;
}

int lv_template_check(const char *text, char **why)
{
	struct tlist l = { 0 };
	if (!lv_template_has_expr(text))
		return 0;
	int rc = compile_template(text, &l, why);
	tlist_free(&l);
	return rc;
}

/* Evaluates the expression text between `b` and `e`. */
static int eval_span(const char *b, const char *e, lv_lookup_fn lookup, void *ud,
                     struct lv_val **out, char **why)
{
	char *src = lv_xasprintf("%.*s", (int)(e - b), b);
	struct lv_expr *x = lv_expr_parse(src, why);
	int rc = LV_EINVAL;
	if (x) {
		rc = lv_expr_eval(x, lookup, ud, out, why);
		lv_expr_free(x);
	}
	free(src);
	return rc;
}

/* ---- rendering ----------------------------------------------------------- */

/* A for loop's variables over the enclosing lookup. */
struct overlay {
	lv_lookup_fn lookup;
	void *ud;
	const char *var, *var2;
	const struct lv_val *val, *val2;
	struct lv_val *loop; /* loop.index ... (MAP) */
};

static int overlay_lookup(void *ud, const char *name, struct lv_val **out, char **why)
{
	struct overlay *o = ud;
	if (!strcmp(name, o->var)) {
		*out = lv_val_dup(o->val);
		return 0;
	}
	if (o->var2 && !strcmp(name, o->var2)) {
		*out = lv_val_dup(o->val2);
		return 0;
	}
	if (!strcmp(name, "loop")) {
		*out = lv_val_dup(o->loop);
		return 0;
	}
	return o->lookup(o->ud, name, out, why);
}

static int render_list(const struct tlist *l, lv_lookup_fn lookup, void *ud, struct lv_buf *b,
                       char **why);

static int render_for(const struct tnode *n, lv_lookup_fn lookup, void *ud, struct lv_buf *b,
                      char **why)
{
	struct lv_val *seq = NULL;
	int rc = lv_expr_eval(n->e, lookup, ud, &seq, why);
	if (rc)
		return rc;
	if (seq->kind != LV_VAL_LIST && seq->kind != LV_VAL_MAP) {
		char *t = lv_val_to_text(seq);
		rc = lv_fail(why, LV_EINVAL, "{%% for %s in %s %%}: '%s' is not a list", n->var,
		             lv_expr_text(n->e), t);
		free(t);
		lv_val_free(seq);
		return rc;
	}
	if (seq->n == 0) {
		rc = render_list(&n->alt, lookup, ud, b, why);
		lv_val_free(seq);
		return rc;
	}
	struct overlay o = { .lookup = lookup, .ud = ud, .var = n->var, .var2 = n->var2 };
	for (size_t i = 0; i < seq->n && rc == 0; i++) {
		struct lv_val *key = NULL, *pair_k = NULL, *pair_v = NULL;
		const struct lv_val *item = seq->items[i];
		if (seq->kind == LV_VAL_MAP)
			item = key = lv_val_new_str(seq->keys[i]);
		o.val = item;
		o.val2 = NULL;
		if (n->var2) {
			/* for k, v in a mapping, or in a list of pairs */
			if (seq->kind == LV_VAL_MAP) {
				o.val2 = seq->items[i];
			} else if (item->kind == LV_VAL_LIST && item->n == 2) {
				o.val = pair_k = lv_val_dup(item->items[0]);
				o.val2 = pair_v = lv_val_dup(item->items[1]);
			} else {
				rc = lv_fail(why, LV_EINVAL,
				             "{%% for %s, %s %%}: item %zu is not a pair", n->var,
				             n->var2, i);
			}
		}
		o.loop = lv_val_new_map();
		lv_val_set_int(o.loop, "index", (long long)i + 1);
		lv_val_set_int(o.loop, "index0", (long long)i);
		lv_val_set_int(o.loop, "length", (long long)seq->n);
		lv_val_set_bool(o.loop, "first", i == 0);
		lv_val_set_bool(o.loop, "last", i + 1 == seq->n);
		if (rc == 0)
			rc = render_list(&n->body, overlay_lookup, &o, b, why);
		lv_val_free(o.loop);
		lv_val_free(key);
		lv_val_free(pair_k);
		lv_val_free(pair_v);
	}
	lv_val_free(seq);
	return rc;
}

static int render_list(const struct tlist *l, lv_lookup_fn lookup, void *ud, struct lv_buf *b,
                       char **why)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct tnode *n = l->v[i];
		int rc = 0;
		if (n->kind == TN_TEXT) {
			lv_buf_append(b, n->text, strlen(n->text));
		} else if (n->kind == TN_EXPR) {
			struct lv_val *v = NULL;
			rc = lv_expr_eval(n->e, lookup, ud, &v, why);
			if (rc == 0) {
				char *t = lv_val_to_text(v);
				lv_buf_append(b, t, strlen(t));
				free(t);
			}
			lv_val_free(v);
		} else if (n->kind == TN_IF) {
			bool yes = false;
			rc = lv_expr_eval_bool(n->e, lookup, ud, &yes, why);
			if (rc == 0)
				rc = render_list(yes ? &n->body : &n->alt, lookup, ud, b, why);
		} else {
			rc = render_for(n, lookup, ud, b, why);
		}
		if (rc)
			return rc;
	}
	return 0;
}

int lv_template_render(const char *text, lv_lookup_fn lookup, void *ud, char **out, char **why)
{
	*out = NULL;
	struct tlist l = { 0 };
	if (compile_template(text, &l, why))
		return LV_EINVAL;
	struct lv_buf b = { 0 };
	lv_buf_append(&b, "", 0);
	int rc = render_list(&l, lookup, ud, &b, why);
	tlist_free(&l);
	if (rc) {
		lv_buf_fini(&b);
		return LV_EINVAL;
	}
	*out = lv_buf_take(&b, NULL);
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
