/*
 * inventory: parses Ansible INI inventories and answers host patterns (see
 * inventory.h for the format). Called by `loudva setup` before anything
 * connects; the runner reads the merged variables of each host.
 *
 * Invariants: groups[0] is "all" and groups[1] is "ungrouped"; host and group
 * names are unique; group membership through children is acyclic (a cycle is
 * a parse error, since Ansible rejects it too); a host is listed in a group,
 * and a child in a group, at most once; the index (inventory_index.c) knows
 * every name, and is built once the file is read.
 *
 * Host ranges are counted before any host is made: a pattern making more
 * than LV_INVENTORY_MAX_HOSTS hosts is refused whole, and so is a host that
 * would take the inventory past that many.
 */
#include "inventory.h"

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory_index.h"
#include "playbook.h"
#include "quote.h"
#include "readfile.h"
#include "base/file.h"
#include "base/util.h"

#define MAX_RANGE 10000

enum section { SEC_HOSTS, SEC_VARS, SEC_CHILDREN };

struct ictx {
	struct lv_inventory *inv;
	const char *name;
	int line;
	char **why;
	unsigned long long host_vars; /* variables set on host lines so far, per host */
};

static int ierr(struct ictx *c, const char *fmt, const char *arg)
{
	char *msg = lv_xasprintf(fmt, arg);
	lv_fail(c->why, LV_EINVAL, "%s:%d: %s", c->name, c->line, msg);
	free(msg);
	return LV_EINVAL;
}

long lv_inventory_find_host(const struct lv_inventory *inv, const char *name)
{
	return inv->index ? lv_inv_index_host(inv->index, name) : -1;
}

long lv_inventory_find_group(const struct lv_inventory *inv, const char *name)
{
	return inv->index ? lv_inv_index_group(inv->index, name) : -1;
}

/*
 * Room for element n of an array that only grows by appending: capacity is
 * the power of two at or above n, so appending is amortised O(1) (a realloc
 * per element, which ASan turns into a copy, made loading quadratic).
 */
static void *grow(void *v, size_t n, size_t size)
{
	if (n & (n - 1))
		return v; /* n is not a power of two: there is room */
	return lv_xrealloc(v, (n ? 2 * n : 1) * size);
}

/* The group called `name` into *out, made when new. 0 or LV_EINVAL past the bound. */
static int add_group(struct ictx *c, const char *name, size_t *out)
{
	struct lv_inventory *inv = c->inv;
	long g = lv_inventory_find_group(inv, name);
	if (g >= 0) {
		*out = (size_t)g;
		return 0;
	}
	if (inv->n_groups >= LV_INVENTORY_MAX_GROUPS) {
		char *msg = lv_xasprintf("group '%s' is one more than the %d groups an inventory "
		                         "may hold",
		                         name, LV_INVENTORY_MAX_GROUPS);
		int rc = ierr(c, "%s", msg);
		free(msg);
		return rc;
	}
	inv->groups = grow(inv->groups, inv->n_groups, sizeof *inv->groups);
	struct lv_inv_group *gr = &inv->groups[inv->n_groups];
	memset(gr, 0, sizeof *gr);
	gr->name = lv_xstrdup(name);
	gr->line = c->line;
	gr->vars = lv_val_new_map();
	lv_inv_index_put_group(inv->index, gr->name, inv->n_groups);
	*out = inv->n_groups++;
	return 0;
}

/* The host called `name` into *out, made when new; `pattern` and `count` for messages. */
static int add_host(struct ictx *c, const char *name, const char *pattern, unsigned long long count,
                    size_t *out)
{
	struct lv_inventory *inv = c->inv;
	long h = lv_inventory_find_host(inv, name);
	if (h >= 0) {
		*out = (size_t)h;
		return 0;
	}
	if (inv->n_hosts >= LV_INVENTORY_MAX_HOSTS) {
		char *msg = lv_xasprintf("host pattern '%s' (%llu hosts) takes the inventory past "
		                         "its limit of %d hosts",
		                         pattern, count, LV_INVENTORY_MAX_HOSTS);
		int rc = ierr(c, "%s", msg);
		free(msg);
		return rc;
	}
	inv->hosts = grow(inv->hosts, inv->n_hosts, sizeof *inv->hosts);
	struct lv_inv_host *ho = &inv->hosts[inv->n_hosts];
	ho->name = lv_xstrdup(name);
	ho->line = c->line;
	ho->vars = lv_val_new_map();
	lv_inv_index_put_host(inv->index, ho->name, inv->n_hosts);
	*out = inv->n_hosts++;
	return 0;
}

/* Appends `x` to v[n] unless the pair (kind, g, x) was recorded before. */
static void add_index(struct lv_inventory *inv, enum lv_inv_pair kind, size_t g, size_t **v,
                      size_t *n, size_t x)
{
	if (!lv_inv_index_pair_add(inv->index, kind, g, x))
		return;
	*v = grow(*v, *n, sizeof **v);
	(*v)[(*n)++] = x;
}

/* One [a:b] or [a:b:step] range of a host pattern: n values a, a + step, ... */
struct range {
	const char *lb, *rb; /* its brackets in the pattern */
	long a, step;
	unsigned long n;
	bool alpha; /* single letters, else numbers printed `width` wide */
	int width;
};

static int parse_range(struct ictx *c, const char *pat, const char *lb, const char *rb,
                       struct range *r)
{
	char from[32] = "", to[32] = "";
	long b, step = 1;
	if (sscanf(lb + 1, "%31[^:]:%31[^]:]:%ld", from, to, &step) < 2 || step < 1)
		return ierr(c, "bad host range in '%s'", pat);
	r->lb = lb;
	r->rb = rb;
	r->step = step;
	r->alpha = isalpha((unsigned char)from[0]);
	r->width = r->alpha ? 0 : (int)strlen(from);
	if (r->alpha) {
		if (from[1] || to[1] || !isalpha((unsigned char)to[0]))
			return ierr(c, "bad host range in '%s'", pat);
		r->a = from[0];
		b = to[0];
	} else if (lv_parse_long(from, &r->a) || lv_parse_long(to, &b)) {
		return ierr(c, "bad host range in '%s'", pat);
	}
	/* b - a in unsigned arithmetic: exact for b >= a, never overflowing */
	unsigned long span = b >= r->a ? (unsigned long)b - (unsigned long)r->a : 0;
	if (b < r->a || span / (unsigned long)step > MAX_RANGE)
		return ierr(c, "bad host range in '%s'", pat);
	r->n = span / (unsigned long)step + 1;
	return 0;
}

/*
 * The ranges of `pat` left to right (a '[' without a later ']' is text) and
 * how many names they make, before any is made. Caller frees *out.
 */
static int scan_ranges(struct ictx *c, const char *pat, struct range **out, size_t *n)
{
	unsigned long long total = 1;
	bool overflow = false;
	*out = NULL;
	*n = 0;
	for (const char *p = pat;;) {
		const char *lb = strchr(p, '['), *rb = lb ? strchr(lb, ']') : NULL;
		if (!lb || !rb)
			break;
		struct range r;
		int rc = parse_range(c, pat, lb, rb, &r);
		if (rc)
			return rc;
		*out = grow(*out, *n, sizeof **out);
		(*out)[(*n)++] = r;
		overflow |= __builtin_mul_overflow(total, (unsigned long long)r.n, &total);
		p = rb + 1;
	}
	if (overflow || total > LV_INVENTORY_MAX_HOSTS) {
		char count[32];
		snprintf(count, sizeof count, overflow ? "more than %llu" : "%llu",
		         overflow ? ULLONG_MAX : total);
		char *msg = lv_xasprintf("host pattern '%s' would make %s hosts, more than the %d "
		                         "an inventory may hold",
		                         pat, count, LV_INVENTORY_MAX_HOSTS);
		int rc = ierr(c, "%s", msg);
		free(msg);
		return rc;
	}
	return 0;
}

/* Writes the name for the values k[0..n) of the ranges into buf (big enough). */
static void make_name(const char *pat, const struct range *r, size_t n, const unsigned long *k,
                      char *buf)
{
	const char *p = pat;
	char *o = buf;
	for (size_t i = 0; i < n; i++) {
		memcpy(o, p, (size_t)(r[i].lb - p));
		o += r[i].lb - p;
		/* a + k * step <= b: no overflow */
		long v = (long)((unsigned long)r[i].a + k[i] * (unsigned long)r[i].step);
		o += r[i].alpha ? sprintf(o, "%c", (char)v) : sprintf(o, "%0*ld", r[i].width, v);
		p = r[i].rb + 1;
	}
	strcpy(o, p);
}

static int set_var(struct ictx *c, struct lv_val *vars, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv)
		return ierr(c, "expected key=value, got '%s'", kv);
	char *key = lv_xasprintf("%.*s", (int)(eq - kv), kv);
	struct lv_val *v = lv_val_new_plain(eq + 1);
	v->line = c->line;
	lv_val_set(vars, key, v);
	free(key);
	return 0;
}

/* One host of a host line: port, variables, membership of `group`. */
static int host_one(struct ictx *c, size_t group, char *name, char **w, size_t n,
                    unsigned long long count)
{
	char *port = strrchr(name, ':');
	long p;
	if (port && strchr(name, ':') == port && !lv_parse_long(port + 1, &p))
		*port++ = '\0';
	else
		port = NULL;
	size_t h = 0;
	int rc = add_host(c, name, w[0], count, &h);
	if (rc)
		return rc;
	struct lv_inv_host *ho = &c->inv->hosts[h];
	if (port)
		lv_val_set(ho->vars, "ansible_port", lv_val_new_plain(port));
	for (size_t k = 1; k < n && rc == 0; k++)
		rc = set_var(c, ho->vars, w[k]);
	struct lv_inv_group *gr = &c->inv->groups[group];
	add_index(c->inv, LV_INV_MEMBER, group, &gr->hosts, &gr->n_hosts, h);
	return rc;
}

static int host_line(struct ictx *c, size_t group, const char *line)
{
	size_t n, n_ranges = 0;
	bool bad_quote;
	char **w = lv_split_words(line, true, &n, &bad_quote);
	struct range *r = NULL;
	unsigned long *k = NULL;
	char *name = NULL;
	int rc = bad_quote ? ierr(c, "unterminated quote in '%s'", line) : 0;
	if (rc == 0)
		rc = scan_ranges(c, w[0], &r, &n_ranges);
	if (rc)
		goto out;
	unsigned long long count = 1;
	for (size_t i = 0; i < n_ranges; i++)
		count *= r[i].n; /* <= LV_INVENTORY_MAX_HOSTS: scan_ranges checked */
	/* each variable is set on each host: count that before making any */
	c->host_vars += count * (n - 1);
	if (c->host_vars > LV_INVENTORY_MAX_HOST_VARS) {
		char *msg = lv_xasprintf("host pattern '%s' with %zu variables takes the inventory "
		                         "past its limit of %d host variables (one per variable "
		                         "per host)",
		                         w[0], n - 1, LV_INVENTORY_MAX_HOST_VARS);
		rc = ierr(c, "%s", msg);
		free(msg);
		goto out;
	}
	/* each range's brackets (at least 5 bytes) become at most 21 bytes */
	name = lv_xmalloc(strlen(w[0]) + 21 * n_ranges + 1);
	k = lv_xcalloc(n_ranges ? n_ranges : 1, sizeof *k);
	for (;;) {
		make_name(w[0], r, n_ranges, k, name);
		if ((rc = host_one(c, group, name, w, n, count)))
			break;
		/* the next name: the last range turns fastest, as Ansible expands them */
		size_t i = n_ranges;
		while (i > 0 && ++k[i - 1] == r[i - 1].n)
			k[--i] = 0;
		if (i == 0)
			break;
	}
out:
	free(name);
	free(k);
	free(r);
	lv_words_free(w, n);
	return rc;
}

static int vars_line(struct ictx *c, size_t group, char *line)
{
	char *eq = strchr(line, '=');
	if (!eq || eq == line)
		return ierr(c, "expected key=value, got '%s'", line);
	char *k_end = eq;
	while (k_end > line && isspace((unsigned char)k_end[-1]))
		k_end--;
	*k_end = '\0';
	char *v = eq + 1;
	while (isspace((unsigned char)*v))
		v++;
	size_t vl = strlen(v);
	if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
		v[vl - 1] = '\0';
		v++;
	}
	char *kv = lv_xasprintf("%s=%s", line, v);
	int rc = set_var(c, c->inv->groups[group].vars, kv);
	free(kv);
	return rc;
}

/* "[name]", "[name:vars]", "[name:children]". */
static int section_line(struct ictx *c, char *line, size_t *group, enum section *sec)
{
	size_t len = strlen(line);
	if (line[len - 1] != ']')
		return ierr(c, "section header without ']': '%s'", line);
	line[len - 1] = '\0';
	char *name = line + 1, *colon = strchr(name, ':');
	*sec = SEC_HOSTS;
	if (colon) {
		*colon = '\0';
		if (!strcmp(colon + 1, "vars"))
			*sec = SEC_VARS;
		else if (!strcmp(colon + 1, "children"))
			*sec = SEC_CHILDREN;
		else
			return ierr(c, "unknown section type ':%s' (vars, children)", colon + 1);
	}
	if (!*name || strpbrk(name, " \t[]"))
		return ierr(c, "bad group name '%s'", name);
	return add_group(c, name, group);
}

static int parse_line(struct ictx *c, char *line, size_t *group, enum section *sec)
{
	if (line[0] == '[')
		return section_line(c, line, group, sec);
	switch (*sec) {
	case SEC_HOSTS: return host_line(c, *group, line);
	case SEC_VARS: return vars_line(c, *group, line);
	case SEC_CHILDREN:
		if (strpbrk(line, " \t="))
			return ierr(c, "expected a group name, got '%s'", line);
		if (!strcmp(line, "all"))
			return ierr(c, "'%s' cannot be a child group", line);
		size_t child;
		int rc = add_group(c, line, &child);
		if (rc == 0) {
			struct lv_inv_group *gr = &c->inv->groups[*group];
			add_index(c->inv, LV_INV_CHILD, *group, &gr->children, &gr->n_children,
			          child);
		}
		return rc;
	}
	return 0;
}

/* Depth-first cycle check over children. */
static bool has_cycle(const struct lv_inventory *inv, size_t g, unsigned char *state)
{
	if (state[g] == 1)
		return true;
	if (state[g] == 2)
		return false;
	state[g] = 1;
	for (size_t i = 0; i < inv->groups[g].n_children; i++)
		if (has_cycle(inv, inv->groups[g].children[i], state))
			return true;
	state[g] = 2;
	return false;
}

static int finish(struct ictx *c)
{
	struct lv_inventory *inv = c->inv;
	unsigned char *state = lv_xcalloc(inv->n_groups, 1);
	for (size_t g = 0; g < inv->n_groups; g++) {
		if (has_cycle(inv, g, state)) {
			c->line = inv->groups[g].line;
			free(state);
			return ierr(c, "group '%s' is its own descendant", inv->groups[g].name);
		}
	}
	free(state);
	/*
	 * ungrouped: hosts in no group but all and ungrouped. A host is in some
	 * group g >= 2 when a group g >= 2 lists it, or when ungrouped lists it
	 * and is itself a child of some group g >= 2 (all is nobody's child).
	 */
	bool ungrouped_nested = false;
	for (size_t g = 2; g < inv->n_groups; g++)
		for (size_t i = 0; i < inv->groups[g].n_children; i++)
			ungrouped_nested |= inv->groups[g].children[i] == 1;
	bool *grouped = lv_xcalloc(inv->n_hosts ? inv->n_hosts : 1, sizeof *grouped);
	for (size_t g = ungrouped_nested ? 1 : 2; g < inv->n_groups; g++)
		for (size_t i = 0; i < inv->groups[g].n_hosts; i++)
			grouped[inv->groups[g].hosts[i]] = true;
	struct lv_inv_group *ug = &inv->groups[1];
	for (size_t h = 0; h < inv->n_hosts; h++)
		if (!grouped[h])
			add_index(inv, LV_INV_MEMBER, 1, &ug->hosts, &ug->n_hosts, h);
	free(grouped);
	lv_inv_index_build(inv->index, inv);
	return 0;
}

struct lv_inventory *lv_inventory_parse(const char *text, const char *name, char **why)
{
	struct lv_inventory *inv = lv_xcalloc(1, sizeof *inv);
	inv->path = lv_xstrdup(name);
	inv->index = lv_inv_index_new();
	struct ictx c = { .inv = inv, .name = name, .why = why };
	size_t group;
	add_group(&c, "all", &group);
	add_group(&c, "ungrouped", &group);
	enum section sec = SEC_HOSTS;
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = lv_xasprintf("%.*s", (int)len, p);
		c.line++;
		char *s = line, *e = line + len;
		while (isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		int rc = (*s && *s != '#' && *s != ';') ? parse_line(&c, s, &group, &sec) : 0;
		free(line);
		if (rc) {
			lv_inventory_free(inv);
			return NULL;
		}
		p += len + (nl ? 1 : 0);
	}
	if (finish(&c)) {
		lv_inventory_free(inv);
		return NULL;
	}
	return inv;
}

struct lv_inventory *lv_inventory_load(const char *path, char **why)
{
	char *text = lv_readfile_bounded(path, LV_READFILE_MAX_TEXT, NULL, NULL, NULL, why);
	if (!text)
		return NULL;
	struct lv_inventory *inv = lv_inventory_parse(text, path, why);
	free(text);
	return inv;
}

void lv_inventory_free(struct lv_inventory *inv)
{
	if (!inv)
		return;
	for (size_t i = 0; i < inv->n_hosts; i++) {
		free(inv->hosts[i].name);
		lv_val_free(inv->hosts[i].vars);
	}
	for (size_t i = 0; i < inv->n_groups; i++) {
		free(inv->groups[i].name);
		lv_val_free(inv->groups[i].vars);
		free(inv->groups[i].hosts);
		free(inv->groups[i].children);
	}
	free(inv->hosts);
	free(inv->groups);
	free(inv->path);
	lv_inv_index_free(inv->index);
	free(inv);
}
