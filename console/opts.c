/*
 * opts: the table-driven option parser and the usage it generates (see
 * opts.h). It knows nothing of any command: the commands hand it their
 * tables and a struct to fill, and it calls back only through a row's set
 * and show hooks.
 *
 * Every walk over a table goes through each_row, which splices included
 * tables in where their INCLUDE row stands and numbers the rows in that
 * order; the number indexes the `seen` marks the required-option check
 * reads, so a command has at most LV_OPTS_MAX_ROWS rows.
 */
#include "opts.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "commands.h"

#define LV_OPTS_MAX_ROWS 64
#define HELP_COL_MAX     26 /* a wider left column puts its help on the next line */

_Static_assert(sizeof(unsigned long long) == sizeof(uint64_t),
               "LV_OPT_U64 fills either type with the same bytes");

/* A row with the address its value goes to (NULL without a base) and its number. */
struct row {
	const struct lv_opt *opt;
	char *field;
	int index;
};

typedef int (*row_fn)(const struct row *r, void *ctx);

static int each_rows(const struct lv_opt *rows, char *base, int *index, row_fn fn, void *ctx)
{
	for (const struct lv_opt *o = rows; o && o->kind != LV_OPT_END; o++) {
		char *at = base ? base + o->offset : NULL;
		if (o->kind == LV_OPT_INCLUDE) {
			int rc = each_rows(o->rows, at, index, fn, ctx);
			if (rc)
				return rc;
			continue;
		}
		assert(*index < LV_OPTS_MAX_ROWS);
		struct row r = { o, at, (*index)++ };
		int rc = fn(&r, ctx);
		if (rc)
			return rc;
	}
	return 0;
}

/* Calls fn on every row of spec in order until it returns non-zero; returns that. */
static int each_row(const struct lv_opt_spec *spec, const void *base, row_fn fn, void *ctx)
{
	int index = 0;
	return each_rows(spec->opts, (char *)base, &index, fn, ctx);
}

static int takes_value(const struct lv_opt *o)
{
	switch (o->kind) {
	case LV_OPT_SET:
	case LV_OPT_CLEAR:
	case LV_OPT_BOOL:
	case LV_OPT_COUNT: return 0;
	case LV_OPT_FN: return o->arg != NULL;
	default: return 1;
	}
}

/* ---- usage -------------------------------------------------------------------- */

struct synopsis {
	FILE *f;
	int optional; /* some option is not required: "[options]" */
};

static int synopsis_row(const struct row *r, void *ctx)
{
	struct synopsis *s = ctx;
	const struct lv_opt *o = r->opt;
	if (o->flags & LV_OPT_REQUIRED)
		fprintf(s->f, " --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
	else
		s->optional = 1;
	return 0;
}

/* "loudva sim --trace FILE [options]" and a newline. */
static void synopsis(const struct lv_opt_spec *spec, FILE *f)
{
	struct synopsis s = { f, 0 };
	fprintf(f, "loudva %s", spec->cmd);
	each_row(spec, NULL, synopsis_row, &s);
	if (spec->operand)
		fprintf(f, " %s", spec->operand);
	fprintf(f, "%s\n", s.optional ? " [options]" : "");
}

struct layout {
	FILE *f;
	int shorts; /* some row has a short name: long names line up after "-x, " */
	int col;    /* width of the left column */
};

/* "-r, --refresh MS", "    --duration S" */
static void left_of(const struct lv_opt *o, int shorts, char *buf, size_t len)
{
	char s[8] = "";
	if (o->short_name)
		snprintf(s, sizeof(s), "-%c, ", o->short_name);
	else if (shorts)
		snprintf(s, sizeof(s), "    ");
	snprintf(buf, len, "%s--%s%s%s", s, o->name, o->arg ? " " : "", o->arg ? o->arg : "");
}

static int measure_row(const struct row *r, void *ctx)
{
	struct layout *l = ctx;
	l->shorts |= r->opt->short_name != 0;
	return 0;
}

static int width_row(const struct row *r, void *ctx)
{
	struct layout *l = ctx;
	char left[64];
	left_of(r->opt, l->shorts, left, sizeof(left));
	int w = (int)strlen(left);
	if (w <= HELP_COL_MAX && w > l->col)
		l->col = w;
	return 0;
}

/* One option: the left column, then the help, its continuation lines lined up under it. */
static void print_option(const struct layout *l, const char *left, const char *help,
                         const char *dflt)
{
	int w = (int)strlen(left);
	fprintf(l->f, "  %s", left);
	if (w > l->col)
		fprintf(l->f, "\n  %*s", l->col, "");
	else
		fprintf(l->f, "%*s", l->col - w, "");
	const char *line = help ? help : "";
	for (;;) {
		const char *nl = strchr(line, '\n');
		int n = nl ? (int)(nl - line) : (int)strlen(line);
		fprintf(l->f, "  %.*s", n, line);
		if (!nl)
			break;
		fprintf(l->f, "\n  %*s", l->col, "");
		line = nl + 1;
	}
	if (dflt)
		fprintf(l->f, " [%s]", dflt);
	fputc('\n', l->f);
}

static int print_row(const struct row *r, void *ctx)
{
	const struct layout *l = ctx;
	const struct lv_opt *o = r->opt;
	char left[64];
	left_of(o, l->shorts, left, sizeof(left));
	print_option(l, left, o->help, o->show && r->field ? o->show(r->field) : NULL);
	return 0;
}

/* A block of text and the newline it may lack. */
static void print_text(const char *text, FILE *f)
{
	size_t n = strlen(text);
	fprintf(f, "\n%s%s", text, n && text[n - 1] == '\n' ? "" : "\n");
}

void lv_opts_usage(const struct lv_opt_spec *spec, const void *base, FILE *f)
{
	struct layout l = { f, 0, 0 };
	fprintf(f, "usage: ");
	synopsis(spec, f);
	if (spec->about)
		print_text(spec->about, f);
	each_row(spec, NULL, measure_row, &l);
	each_row(spec, NULL, width_row, &l);
	char help[16];
	snprintf(help, sizeof(help), "%s--help", l.shorts ? "-h, " : "");
	if ((int)strlen(help) > l.col)
		l.col = (int)strlen(help);
	fprintf(f, "\noptions:\n");
	each_row(spec, base, print_row, &l);
	print_option(&l, help, "print this help and exit", NULL);
	if (spec->epilog)
		print_text(spec->epilog, f);
}

/* ---- parsing ------------------------------------------------------------------ */

struct parse {
	const struct lv_opt_spec *spec;
	char *base;
	bool seen[LV_OPTS_MAX_ROWS];
	bool have_operand;
};

static int bad(const struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(const struct parse *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "loudva %s: ", p->spec->cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return LV_EXIT_USAGE;
}

static int has_range(const struct lv_opt *o)
{
	return o->min != 0 || o->max != 0;
}

static int in_range(const struct lv_opt *o, double v)
{
	if (!has_range(o))
		return 1;
	return (o->flags & LV_OPT_ABOVE_MIN ? v > o->min : v >= o->min) && v <= o->max;
}

/* What a value of this row must be, for "is not <what>": "a whole number in 1..256". */
static void what_of(const struct lv_opt *o, char *buf, size_t len)
{
	const char *noun = o->kind == LV_OPT_DOUBLE ? "a number" : "a whole number";
	if (o->what)
		snprintf(buf, len, "%s", o->what);
	else if (o->kind == LV_OPT_U64)
		snprintf(buf, len, "%s >= 0", noun);
	else if (!has_range(o))
		snprintf(buf, len, "%s", noun);
	else if (isinf(o->max))
		snprintf(buf, len, "%s %s %g", noun,
		         o->flags & LV_OPT_ABOVE_MIN ? ">" : ">=", o->min);
	else
		snprintf(buf, len, "%s in %g..%g", noun, o->min, o->max);
}

/* Parses and stores one value (NULL for kinds without one); `typed` is the option as given. */
static int store(struct parse *p, const struct row *r, const char *typed, const char *v)
{
	const struct lv_opt *o = r->opt;
	void *field = r->field;
	long l = 0;
	unsigned long long u = 0;
	double d = 0;
	int ok = 1;
	char *why = NULL;

	switch (o->kind) {
	case LV_OPT_SET: *(int *)field = 1; break;
	case LV_OPT_CLEAR: *(int *)field = 0; break;
	case LV_OPT_BOOL: *(bool *)field = true; break;
	case LV_OPT_COUNT: (*(int *)field)++; break;
	case LV_OPT_STR: *(const char **)field = v; break;
	case LV_OPT_INT:
		ok = lv_parse_long(v, &l) == LV_OK && l >= INT_MIN && l <= INT_MAX &&
		     in_range(o, (double)l);
		if (ok)
			*(int *)field = (int)l;
		break;
	case LV_OPT_LONG:
		ok = lv_parse_long(v, &l) == LV_OK && in_range(o, (double)l);
		if (ok)
			*(long *)field = l;
		break;
	case LV_OPT_U64:
		ok = lv_parse_u64(v, &u) == LV_OK;
		if (ok)
			memcpy(field, &u, sizeof(u));
		break;
	case LV_OPT_DOUBLE:
		ok = lv_parse_double(v, &d) == LV_OK && isfinite(d) && in_range(o, d);
		if (ok)
			*(double *)field = d;
		break;
	case LV_OPT_FN:
		ok = o->set(o, field, v, &why) == LV_OK;
		if (!ok && why) {
			bad(p, "%s: %s", typed, why);
			free(why);
			return LV_EXIT_USAGE;
		}
		free(why);
		break;
	case LV_OPT_END:
	case LV_OPT_INCLUDE: assert(0); break;
	}
	if (!ok) {
		char what[128];
		what_of(o, what, sizeof(what));
		return bad(p, "%s: '%s' is not %s", typed, v, what);
	}
	p->seen[r->index] = true;
	return 0;
}

/* What find() looks for: a long name (len bytes of name) or a short letter. */
struct key {
	const char *name;
	size_t len;
	char letter;
	struct row hit;
};

static int match(const struct row *r, void *ctx)
{
	struct key *k = ctx;
	const struct lv_opt *o = r->opt;
	int yes = k->name ? strlen(o->name) == k->len && !strncmp(o->name, k->name, k->len)
	                  : o->short_name && o->short_name == k->letter;
	if (yes)
		k->hit = *r;
	return yes;
}

/*
 * Stores the option found in k->hit (`typed` as the user wrote it) from its
 * value: inline (`--x=v`, `-xv`: `inl` not NULL, maybe ""), or the next
 * argument.
 */
static int take(struct parse *p, const struct key *k, const char *typed, const char *inl, int argc,
                char **argv, int *i)
{
	const struct lv_opt *o = k->hit.opt;
	if (!takes_value(o))
		return inl ? bad(p, "%s takes no value", typed) : store(p, &k->hit, typed, NULL);
	const char *v = inl ? inl : *i + 1 < argc ? argv[++*i] : NULL;
	if (!v || (!v[0] && (o->flags & LV_OPT_NONEMPTY)))
		return bad(p, "%s needs a value (%s)", typed, o->arg);
	return store(p, &k->hit, typed, v);
}

static int unknown(struct parse *p, const char *typed)
{
	return bad(p, "unknown option '%s' (see loudva %s --help)", typed, p->spec->cmd);
}

/* "--name" or "--name=value" at argv[*i]. */
static int long_opt(struct parse *p, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	const char *eq = strchr(a, '=');
	struct key k = { .name = a + 2, .len = eq ? (size_t)(eq - a - 2) : strlen(a + 2) };
	char typed[64];
	snprintf(typed, sizeof(typed), "%.*s", (int)k.len + 2, a);
	if (!each_row(p->spec, p->base, match, &k))
		return unknown(p, typed);
	return take(p, &k, typed, eq ? eq + 1 : NULL, argc, argv, i);
}

/* "-x", "-xVALUE", "-x VALUE" or bundled flags ("-vvC") at argv[*i]. */
static int short_opts(struct parse *p, int argc, char **argv, int *i)
{
	for (const char *c = argv[*i] + 1; *c; c++) {
		struct key k = { .letter = *c };
		char typed[3] = { '-', *c, '\0' };
		if (!each_row(p->spec, p->base, match, &k))
			return unknown(p, typed);
		if (takes_value(k.hit.opt)) /* the rest of the word, or the next one */
			return take(p, &k, typed, c[1] ? c + 1 : NULL, argc, argv, i);
		int rc = store(p, &k.hit, typed, NULL);
		if (rc)
			return rc;
	}
	return 0;
}

static int operand(struct parse *p, const char *a)
{
	if (!p->spec->operand || p->have_operand)
		return bad(p, "unexpected argument '%s' (see loudva %s --help)", a, p->spec->cmd);
	*(const char **)(p->base + p->spec->operand_offset) = a;
	p->have_operand = true;
	return 0;
}

static int check_required(const struct row *r, void *ctx)
{
	struct parse *p = ctx;
	if (!(r->opt->flags & LV_OPT_REQUIRED) || p->seen[r->index])
		return 0;
	return bad(p, "--%s%s%s is required", r->opt->name, r->opt->arg ? " " : "",
	           r->opt->arg ? r->opt->arg : "");
}

int lv_opts_parse(const struct lv_opt_spec *spec, int argc, char **argv, void *base)
{
	struct parse p = { .spec = spec, .base = base };
	int i, rc = 0;
	for (i = 1; i < argc && !rc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			lv_opts_usage(spec, base, stdout);
			return LV_OPTS_HELP;
		}
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strncmp(a, "--", 2))
			rc = long_opt(&p, argc, argv, &i);
		else if (a[0] == '-' && a[1])
			rc = short_opts(&p, argc, argv, &i);
		else
			rc = operand(&p, a);
	}
	for (; i < argc && !rc; i++)
		rc = operand(&p, argv[i]);
	if (!rc)
		rc = each_row(spec, base, check_required, &p);
	if (!rc && spec->operand && !p.have_operand) {
		fprintf(stderr, "loudva %s: %s is required: ", spec->cmd, spec->operand_what);
		synopsis(spec, stderr);
		rc = LV_EXIT_USAGE;
	}
	return rc;
}

/* ---- verbs -------------------------------------------------------------------- */

/* "import, check, show or run" */
static void verb_list(const struct lv_opt_verb *verbs, char *buf, size_t len)
{
	size_t n = 0, at = 0;
	while (verbs[n].name)
		n++;
	buf[0] = '\0';
	for (size_t i = 0; i < n && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%s",
		                       i == 0       ? ""
		                       : i + 1 == n ? " or "
		                                    : ", ",
		                       verbs[i].name);
}

int lv_opts_verbs(const char *cmd, const struct lv_opt_verb *verbs, int argc, char **argv)
{
	char list[160];
	verb_list(verbs, list, sizeof(list));
	if (argc < 2) {
		fprintf(stderr, "loudva %s: a subcommand is required: %s (see loudva %s --help)\n",
		        cmd, list, cmd);
		return LV_EXIT_USAGE;
	}
	const char *v = argv[1];
	if (!strcmp(v, "--help") || !strcmp(v, "-h") || !strcmp(v, "help")) {
		for (const struct lv_opt_verb *x = verbs; x->name; x++) {
			if (x != verbs)
				putchar('\n');
			lv_opts_usage(x->spec, NULL, stdout);
		}
		return LV_EXIT_OK;
	}
	for (const struct lv_opt_verb *x = verbs; x->name; x++)
		if (!strcmp(x->name, v))
			return x->run(argc - 1, argv + 1);
	fprintf(stderr, "loudva %s: unknown subcommand '%s' (%s)\n", cmd, v, list);
	return LV_EXIT_USAGE;
}
