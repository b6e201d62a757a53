/*
 * playbook_when: the expression language of `when`, `changed_when`,
 * `failed_when`, `until` and `{{ }}` — a Jinja2 subset (the grammar is in
 * playbook.h). Expressions are compiled once, when the playbook is loaded, so
 * a typo is reported before any host is touched; they are evaluated per host
 * with a lookup callback that the runner provides.
 *
 * Undefined values propagate through attribute and index access (so
 * `x.stat.exists is defined` works when x is not registered) and become an
 * error ("'x' is undefined") only where a value is needed, as in Ansible.
 *
 * Bounds: the parser, the evaluator and lv_expr_node_free recurse, so an
 * expression nests (parentheses, lists, indices, arguments, `not`, `if`) at
 * most LV_EXPR_MAX_NEST deep and holds at most LV_EXPR_MAX_NODES nodes, which
 * also bounds a left-leaning chain (a ~ b ~ c ..., a.b.c ...). Playbooks are
 * an operator's input, but one from elsewhere must not crash the controller.
 */
#include "playbook.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "playbook_expr.h"
#include "base/util.h"

struct parser {
	const char *s, *p;
	char *err;
	int nest;     /* parse_expr and parse_not calls open now */
	size_t nodes; /* made so far */
};

void lv_expr_node_free(struct lv_enode *n)
{
	if (!n)
		return;
	lv_expr_node_free(n->a);
	lv_expr_node_free(n->b);
	for (size_t i = 0; i < n->n_args; i++)
		lv_expr_node_free(n->args[i]);
	free(n->args);
	free(n->name);
	lv_val_free(n->lit);
	free(n);
}

static struct lv_enode *node_new(struct parser *ps, enum lv_enode_kind kind)
{
	ps->nodes++;
	struct lv_enode *n = lv_xcalloc(1, sizeof *n);
	n->kind = kind;
	return n;
}

static void add_arg(struct lv_enode *n, struct lv_enode *arg)
{
	n->args = lv_xrealloc(n->args, (n->n_args + 1) * sizeof *n->args);
	n->args[n->n_args++] = arg;
}

/* ---- lexing helpers ---------------------------------------------------- */

static void skip_ws(struct parser *ps)
{
	while (isspace((unsigned char)*ps->p))
		ps->p++;
}

/* Text shown in messages: at most 200 bytes of it, then "...". */
#define SHOWN 200

static bool perr(struct parser *ps, const char *what)
{
	if (!ps->err) {
		size_t ls = strlen(ps->s), lp = strlen(ps->p);
		ps->err = lv_xasprintf("expression '%.*s%s': %s at '%.*s%s'", SHOWN, ps->s,
		                       ls > SHOWN ? "..." : "", what, SHOWN, *ps->p ? ps->p : "end",
		                       lp > SHOWN ? "..." : "");
	}
	return false;
}

/* True, with the error set, once the expression has more nodes than allowed. */
static bool too_long(struct parser *ps)
{
	if (ps->nodes < LV_EXPR_MAX_NODES)
		return false;
	char what[64];
	snprintf(what, sizeof what, "more than %d terms", LV_EXPR_MAX_NODES);
	perr(ps, what);
	return true;
}

/* Enters parse_expr or parse_not: false, with the error set, past the bound. */
static bool nest_in(struct parser *ps)
{
	if (ps->nest >= LV_EXPR_MAX_NEST) {
		char what[64];
		snprintf(what, sizeof what, "nested deeper than %d", LV_EXPR_MAX_NEST);
		return perr(ps, what);
	}
	ps->nest++;
	return true;
}

/* Consumes `tok` (an operator) when next. */
static bool accept(struct parser *ps, const char *tok)
{
	skip_ws(ps);
	size_t n = strlen(tok);
	if (strncmp(ps->p, tok, n))
		return false;
	ps->p += n;
	return true;
}

static bool is_ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Consumes the keyword `kw` when it is the next whole word. */
static bool accept_kw(struct parser *ps, const char *kw)
{
	skip_ws(ps);
	size_t n = strlen(kw);
	if (strncmp(ps->p, kw, n) || is_ident_char(ps->p[n]))
		return false;
	ps->p += n;
	return true;
}

static char *read_ident(struct parser *ps)
{
	skip_ws(ps);
	if (!isalpha((unsigned char)*ps->p) && *ps->p != '_')
		return NULL;
	const char *b = ps->p;
	while (is_ident_char(*ps->p))
		ps->p++;
	size_t n = (size_t)(ps->p - b);
	char *id = lv_xmalloc(n + 1);
	memcpy(id, b, n);
	id[n] = '\0';
	return id;
}

static struct lv_enode *parse_expr(struct parser *ps);
static bool parse_args(struct parser *ps, struct lv_enode *n);

static struct lv_enode *parse_string(struct parser *ps)
{
	char q = *ps->p++;
	size_t cap = 16, len = 0;
	char *s = lv_xmalloc(cap);
	while (*ps->p && *ps->p != q) {
		char c = *ps->p++;
		if (len + 3 > cap)
			s = lv_xrealloc(s, cap *= 2);
		if (c == '\\' && *ps->p) {
			/* Python's string escapes; an unknown one keeps its backslash ('\d') */
			static const char from[] = "ntr\\'\"abfv", to[] = "\n\t\r\\'\"\a\b\f\v";
			const char *k = strchr(from, *ps->p);
			if (k) {
				c = to[k - from];
				ps->p++;
			} else {
				s[len++] = c;
				c = *ps->p++;
			}
		}
		s[len++] = c;
	}
	s[len] = '\0';
	if (*ps->p != q) {
		free(s);
		perr(ps, "unterminated string");
		return NULL;
	}
	ps->p++;
	struct lv_enode *n = node_new(ps, LV_EN_LIT);
	n->lit = lv_val_new_str(s);
	free(s);
	return n;
}

static struct lv_enode *parse_number(struct parser *ps)
{
	const char *b = ps->p;
	if (*ps->p == '-')
		ps->p++;
	while (isdigit((unsigned char)*ps->p) || *ps->p == '.')
		ps->p++;
	char *t = lv_xmalloc((size_t)(ps->p - b) + 1);
	memcpy(t, b, (size_t)(ps->p - b));
	t[ps->p - b] = '\0';
	struct lv_enode *n = node_new(ps, LV_EN_LIT);
	n->lit = lv_val_new_plain(t);
	free(t);
	return n;
}

static struct lv_enode *parse_list(struct parser *ps)
{
	struct lv_enode *n = node_new(ps, LV_EN_LIST);
	if (accept(ps, "]"))
		return n;
	do {
		struct lv_enode *item = parse_expr(ps);
		if (!item) {
			lv_expr_node_free(n);
			return NULL;
		}
		add_arg(n, item);
	} while (accept(ps, ","));
	if (!accept(ps, "]")) {
		lv_expr_node_free(n);
		perr(ps, "expected ']'");
		return NULL;
	}
	return n;
}

static struct lv_enode *parse_dict(struct parser *ps)
{
	struct lv_enode *n = node_new(ps, LV_EN_DICT);
	if (accept(ps, "}"))
		return n;
	do {
		struct lv_enode *k = parse_expr(ps);
		if (!k) {
			lv_expr_node_free(n);
			return NULL;
		}
		add_arg(n, k);
		if (!accept(ps, ":")) {
			lv_expr_node_free(n);
			perr(ps, "expected ':'");
			return NULL;
		}
		struct lv_enode *v = parse_expr(ps);
		if (!v) {
			lv_expr_node_free(n);
			return NULL;
		}
		add_arg(n, v);
	} while (accept(ps, ","));
	if (!accept(ps, "}")) {
		lv_expr_node_free(n);
		perr(ps, "expected '}'");
		return NULL;
	}
	return n;
}

static struct lv_enode *literal_word(struct parser *ps, const char *id)
{
	static const char *const words[] = {
		"true", "True", "false", "False", "none", "None", NULL
	};
	for (const char *const *w = words; *w; w++) {
		if (!strcmp(id, *w)) {
			struct lv_enode *n = node_new(ps, LV_EN_LIT);
			n->lit = id[0] == 'n' || id[0] == 'N'
			             ? lv_val_new_null()
			             : lv_val_new_bool(id[0] == 't' || id[0] == 'T');
			return n;
		}
	}
	return NULL;
}

static struct lv_enode *parse_primary(struct parser *ps)
{
	if (too_long(ps))
		return NULL;
	skip_ws(ps);
	char c = *ps->p;
	if (c == '\'' || c == '"')
		return parse_string(ps);
	if (isdigit((unsigned char)c) || (c == '-' && isdigit((unsigned char)ps->p[1])))
		return parse_number(ps);
	if (accept(ps, "(")) {
		struct lv_enode *n = parse_expr(ps);
		if (n && !accept(ps, ")")) {
			lv_expr_node_free(n);
			perr(ps, "expected ')'");
			return NULL;
		}
		return n;
	}
	if (accept(ps, "["))
		return parse_list(ps);
	if (accept(ps, "{"))
		return parse_dict(ps);
	char *id = read_ident(ps);
	if (!id) {
		perr(ps, "expected a value");
		return NULL;
	}
	struct lv_enode *n = literal_word(ps, id);
	if (n) {
		free(id);
		return n;
	}
	skip_ws(ps);
	if (*ps->p == '(') {
		if (strcmp(id, "range")) {
			char *what = lv_xasprintf("unknown function '%s' (loudva setup has range() "
			                          "only; no lookup or query plugins)",
			                          id);
			perr(ps, what);
			free(what);
			free(id);
			return NULL;
		}
		ps->p++;
		n = node_new(ps, LV_EN_CALL);
		n->name = id;
		if (!parse_args(ps, n)) {
			lv_expr_node_free(n);
			return NULL;
		}
		if (n->n_args < 1 || n->n_args > 3) {
			lv_expr_node_free(n);
			perr(ps, "range() takes 1 to 3 arguments");
			return NULL;
		}
		return n;
	}
	n = node_new(ps, LV_EN_NAME);
	n->name = id;
	return n;
}

static struct lv_enode *parse_postfix(struct parser *ps)
{
	struct lv_enode *n = parse_primary(ps);
	while (n) {
		if (too_long(ps)) {
			lv_expr_node_free(n);
			return NULL;
		}
		if (accept(ps, ".")) {
			char *id = read_ident(ps);
			if (!id && isdigit((unsigned char)*ps->p)) {
				const char *b = ps->p;
				while (isdigit((unsigned char)*ps->p))
					ps->p++;
				id = lv_xasprintf("%.*s", (int)(ps->p - b), b);
			}
			if (!id) {
				lv_expr_node_free(n);
				perr(ps, "expected an attribute name");
				return NULL;
			}
			struct lv_enode *a = node_new(ps, LV_EN_ATTR);
			a->a = n;
			a->name = id;
			n = a;
		} else if (accept(ps, "[")) {
			struct lv_enode *idx = parse_expr(ps);
			if (!idx || !accept(ps, "]")) {
				lv_expr_node_free(idx);
				lv_expr_node_free(n);
				perr(ps, "expected ']'");
				return NULL;
			}
			struct lv_enode *a = node_new(ps, LV_EN_INDEX);
			a->a = n;
			a->b = idx;
			n = a;
		} else {
			break;
		}
	}
	return n;
}

/* One argument of a filter, test or call: `value` or `name=value`. */
static struct lv_enode *parse_arg(struct parser *ps)
{
	skip_ws(ps);
	const char *save = ps->p;
	char *id = read_ident(ps);
	if (id) {
		skip_ws(ps);
		if (ps->p[0] == '=' && ps->p[1] != '=') {
			ps->p++;
			struct lv_enode *v = parse_expr(ps);
			if (!v) {
				free(id);
				return NULL;
			}
			struct lv_enode *k = node_new(ps, LV_EN_KWARG);
			k->name = id;
			k->a = v;
			return k;
		}
		free(id);
		ps->p = save;
	}
	return parse_expr(ps);
}

/* "(a, b, k=v)" after a filter, test or function name, into n->args; true when well formed. */
static bool parse_args(struct parser *ps, struct lv_enode *n)
{
	if (accept(ps, ")"))
		return true;
	bool kw = false;
	do {
		struct lv_enode *arg = parse_arg(ps);
		if (!arg)
			return false;
		if (kw && arg->kind != LV_EN_KWARG) {
			lv_expr_node_free(arg);
			return perr(ps, "positional argument after a keyword argument");
		}
		kw |= arg->kind == LV_EN_KWARG;
		add_arg(n, arg);
	} while (accept(ps, ","));
	if (!accept(ps, ")"))
		return perr(ps, "expected ')'");
	return true;
}

/* Load-time checks of a filter's literal arguments (regular expressions, test names). */
static bool check_filter(struct parser *ps, const struct lv_enode *f)
{
	const struct lv_val *lits[8] = { 0 };
	size_t n = 0;
	for (size_t i = 0; i < f->n_args && n < 8; i++) {
		if (f->args[i]->kind == LV_EN_KWARG)
			break;
		lits[n++] = f->args[i]->kind == LV_EN_LIT ? f->args[i]->lit : NULL;
	}
	char *why = NULL;
	if (lv_expr_filter_check(f->name, lits, n, &why) == 0)
		return true;
	perr(ps, why);
	free(why);
	return false;
}

static struct lv_enode *parse_filtered(struct parser *ps)
{
	struct lv_enode *n = parse_postfix(ps);
	while (n && accept(ps, "|")) {
		if (too_long(ps)) {
			lv_expr_node_free(n);
			return NULL;
		}
		char *id = read_ident(ps);
		if (!id) {
			lv_expr_node_free(n);
			perr(ps, "expected a filter name");
			return NULL;
		}
		if (!lv_expr_filter_known(id)) {
			char *what = lv_xasprintf("unknown filter '%s'", id);
			perr(ps, what);
			free(what);
			free(id);
			lv_expr_node_free(n);
			return NULL;
		}
		struct lv_enode *f = node_new(ps, LV_EN_FILTER);
		f->name = id;
		f->a = n;
		n = f;
		if ((accept(ps, "(") && !parse_args(ps, f)) || !check_filter(ps, f)) {
			lv_expr_node_free(n);
			return NULL;
		}
	}
	return n;
}

/* a ~ b, a + b, a - b: tighter than comparisons, looser than filters. */
static struct lv_enode *parse_additive(struct parser *ps)
{
	struct lv_enode *l = parse_filtered(ps);
	while (l) {
		skip_ws(ps);
		char op = *ps->p;
		if (op != '~' && op != '+' && op != '-')
			break;
		ps->p++;
		struct lv_enode *r = parse_filtered(ps);
		if (!r) {
			lv_expr_node_free(l);
			return NULL;
		}
		struct lv_enode *n = node_new(ps, LV_EN_ADD);
		n->op = op;
		n->a = l;
		n->b = r;
		l = n;
	}
	return l;
}

static struct lv_enode *parse_cmp(struct parser *ps)
{
	static const struct {
		const char *tok;
		enum lv_ecmp op;
	} ops[] = { { "==", LV_EC_EQ }, { "!=", LV_EC_NE }, { "<=", LV_EC_LE },
		    { ">=", LV_EC_GE }, { "<", LV_EC_LT },  { ">", LV_EC_GT } };
	struct lv_enode *l = parse_additive(ps);
	if (!l)
		return NULL;
	struct lv_enode *n = NULL;
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		if (accept(ps, ops[i].tok)) {
			n = node_new(ps, LV_EN_CMP);
			n->op = (int)ops[i].op;
			break;
		}
	}
	if (!n) {
		const char *save = ps->p;
		if (accept_kw(ps, "in")) {
			n = node_new(ps, LV_EN_IN);
		} else if (accept_kw(ps, "not") && accept_kw(ps, "in")) {
			n = node_new(ps, LV_EN_IN);
			n->op = 1;
		} else if ((ps->p = save, accept_kw(ps, "is"))) {
			n = node_new(ps, LV_EN_TEST);
			n->op = accept_kw(ps, "not");
			n->name = read_ident(ps);
			n->a = l;
			if (!n->name || !lv_expr_test_known(n->name)) {
				char *what =
				    lv_xasprintf("unknown test '%s'", n->name ? n->name : "");
				perr(ps, what);
				free(what);
				lv_expr_node_free(n);
				return NULL;
			}
			if (accept(ps, "(") && !parse_args(ps, n)) {
				lv_expr_node_free(n);
				return NULL;
			}
			return n;
		} else {
			ps->p = save;
			return l;
		}
	}
	n->a = l;
	n->b = parse_additive(ps);
	if (!n->b) {
		lv_expr_node_free(n);
		return NULL;
	}
	return n;
}

static struct lv_enode *parse_not(struct parser *ps)
{
	if (!accept_kw(ps, "not"))
		return parse_cmp(ps);
	if (!nest_in(ps))
		return NULL;
	struct lv_enode *inner = parse_not(ps), *n = NULL;
	ps->nest--;
	if (inner) {
		n = node_new(ps, LV_EN_NOT);
		n->a = inner;
	}
	return n;
}

static struct lv_enode *parse_binary(struct parser *ps, const char *kw, enum lv_enode_kind kind,
                                     struct lv_enode *(*sub)(struct parser *))
{
	struct lv_enode *l = sub(ps);
	while (l && accept_kw(ps, kw)) {
		struct lv_enode *r = sub(ps);
		if (!r) {
			lv_expr_node_free(l);
			return NULL;
		}
		struct lv_enode *n = node_new(ps, kind);
		n->a = l;
		n->b = r;
		l = n;
	}
	return l;
}

static struct lv_enode *parse_and(struct parser *ps)
{
	return parse_binary(ps, "and", LV_EN_AND, parse_not);
}

static struct lv_enode *parse_or(struct parser *ps)
{
	return parse_binary(ps, "or", LV_EN_OR, parse_and);
}

/* A if C else B (Jinja's inline if; without else, B is an empty string). */
static struct lv_enode *parse_cond(struct parser *ps)
{
	struct lv_enode *e = parse_or(ps);
	if (!e || !accept_kw(ps, "if"))
		return e;
	struct lv_enode *n = node_new(ps, LV_EN_COND);
	n->a = e;
	n->b = parse_or(ps);
	struct lv_enode *alt = NULL;
	if (n->b && accept_kw(ps, "else")) {
		alt = parse_expr(ps);
	} else if (n->b) {
		alt = node_new(ps, LV_EN_LIT);
		alt->lit = lv_val_new_str("");
	}
	if (!n->b || !alt) {
		lv_expr_node_free(n);
		return NULL;
	}
	add_arg(n, alt);
	return n;
}

/* Every nested expression comes through here, so the nesting is counted here. */
static struct lv_enode *parse_expr(struct parser *ps)
{
	if (!nest_in(ps))
		return NULL;
	struct lv_enode *e = parse_cond(ps);
	ps->nest--;
	return e;
}

struct lv_expr *lv_expr_parse(const char *text, char **why)
{
	struct parser ps = { .s = text, .p = text };
	struct lv_enode *root = parse_expr(&ps);
	if (root) {
		skip_ws(&ps);
		if (*ps.p) {
			perr(&ps, "unexpected text");
			lv_expr_node_free(root);
			root = NULL;
		}
	}
	if (!root) {
		lv_fail(why, LV_EINVAL, "%s", ps.err ? ps.err : "bad expression");
		free(ps.err);
		return NULL;
	}
	struct lv_expr *e = lv_xcalloc(1, sizeof *e);
	e->text = lv_xstrdup(text);
	e->root = root;
	return e;
}

void lv_expr_free(struct lv_expr *e)
{
	if (!e)
		return;
	lv_expr_node_free(e->root);
	free(e->text);
	free(e);
}

const char *lv_expr_text(const struct lv_expr *e)
{
	return e->text;
}
