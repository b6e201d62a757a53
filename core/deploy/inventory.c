/*
 * inventory: parses Ansible INI inventories and answers host patterns (see
 * inventory.h for the format). Called by `loudva setup` before anything
 * connects; the runner reads the merged variables of each host.
 *
 * Invariants: groups[0] is "all" and groups[1] is "ungrouped"; host and group
 * names are unique; group membership through children is acyclic (a cycle is
 * a parse error, since Ansible rejects it too).
 */
#include "inventory.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "playbook.h"
#include "base/file.h"
#include "base/util.h"

#define MAX_RANGE 10000

enum section { SEC_HOSTS, SEC_VARS, SEC_CHILDREN };

struct ictx {
	struct lv_inventory *inv;
	const char *name;
	int line;
	char **why;
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
	for (size_t i = 0; i < inv->n_hosts; i++)
		if (!strcmp(inv->hosts[i].name, name))
			return (long)i;
	return -1;
}

long lv_inventory_find_group(const struct lv_inventory *inv, const char *name)
{
	for (size_t i = 0; i < inv->n_groups; i++)
		if (!strcmp(inv->groups[i].name, name))
			return (long)i;
	return -1;
}

static size_t add_group(struct lv_inventory *inv, const char *name, int line)
{
	long g = lv_inventory_find_group(inv, name);
	if (g >= 0)
		return (size_t)g;
	inv->groups = lv_xrealloc(inv->groups, (inv->n_groups + 1) * sizeof *inv->groups);
	struct lv_inv_group *gr = &inv->groups[inv->n_groups];
	memset(gr, 0, sizeof *gr);
	gr->name = lv_xstrdup(name);
	gr->line = line;
	gr->vars = lv_val_new_map();
	return inv->n_groups++;
}

static size_t add_host(struct lv_inventory *inv, const char *name, int line)
{
	long h = lv_inventory_find_host(inv, name);
	if (h >= 0)
		return (size_t)h;
	inv->hosts = lv_xrealloc(inv->hosts, (inv->n_hosts + 1) * sizeof *inv->hosts);
	struct lv_inv_host *ho = &inv->hosts[inv->n_hosts];
	ho->name = lv_xstrdup(name);
	ho->line = line;
	ho->vars = lv_val_new_map();
	return inv->n_hosts++;
}

static void add_index(size_t **v, size_t *n, size_t x)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i] == x)
			return;
	*v = lv_xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = x;
}

/* Splits a host line into words; quotes group, and are removed. Caller frees. */
static char **split_words(const char *s, size_t *n, bool *bad_quote)
{
	char **w = NULL;
	*n = 0;
	*bad_quote = false;
	while (*s) {
		while (isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#')
			break;
		char *word = lv_xmalloc(strlen(s) + 1), *o = word;
		char q = 0;
		for (; *s && (q || !isspace((unsigned char)*s)); s++) {
			if (q && *s == q)
				q = 0;
			else if (!q && (*s == '"' || *s == '\''))
				q = *s;
			else
				*o++ = *s;
		}
		*o = '\0';
		if (q)
			*bad_quote = true;
		w = lv_xrealloc(w, (*n + 1) * sizeof *w);
		w[(*n)++] = word;
	}
	return w;
}

static void free_words(char **w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i]);
	free(w);
}

/* Expands one [a:b] or [a:b:step] range in `pat` (numeric or single letters). */
static int expand_range(struct ictx *c, const char *pat, char ***out, size_t *n)
{
	const char *lb = strchr(pat, '['), *rb = lb ? strchr(lb, ']') : NULL;
	if (!lb || !rb) {
		*out = lv_xrealloc(*out, (*n + 1) * sizeof **out);
		(*out)[(*n)++] = lv_xstrdup(pat);
		return 0;
	}
	char from[32] = "", to[32] = "";
	long step = 1;
	if (sscanf(lb + 1, "%31[^:]:%31[^]:]:%ld", from, to, &step) < 2 || step < 1)
		return ierr(c, "bad host range in '%s'", pat);
	bool alpha = isalpha((unsigned char)from[0]);
	long a, b;
	int width = alpha ? 0 : (int)strlen(from);
	if (alpha) {
		if (from[1] || to[1] || !isalpha((unsigned char)to[0]))
			return ierr(c, "bad host range in '%s'", pat);
		a = from[0];
		b = to[0];
	} else if (lv_parse_long(from, &a) || lv_parse_long(to, &b)) {
		return ierr(c, "bad host range in '%s'", pat);
	}
	if (b < a || (b - a) / step > MAX_RANGE)
		return ierr(c, "bad host range in '%s'", pat);
	for (long i = a; i <= b; i += step) {
		char *name =
		    alpha ? lv_xasprintf("%.*s%c%s", (int)(lb - pat), pat, (char)i, rb + 1)
		          : lv_xasprintf("%.*s%0*ld%s", (int)(lb - pat), pat, width, i, rb + 1);
		int rc = expand_range(c, name, out, n);
		free(name);
		if (rc)
			return rc;
	}
	return 0;
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

static int host_line(struct ictx *c, size_t group, const char *line)
{
	size_t n;
	bool bad_quote;
	char **w = split_words(line, &n, &bad_quote);
	char **names = NULL;
	size_t n_names = 0;
	int rc = bad_quote ? ierr(c, "unterminated quote in '%s'", line) : 0;
	if (rc == 0)
		rc = expand_range(c, w[0], &names, &n_names);
	for (size_t i = 0; i < n_names && rc == 0; i++) {
		char *port = strrchr(names[i], ':');
		long p;
		if (port && strchr(names[i], ':') == port && !lv_parse_long(port + 1, &p))
			*port++ = '\0';
		else
			port = NULL;
		size_t h = add_host(c->inv, names[i], c->line);
		struct lv_inv_host *ho = &c->inv->hosts[h];
		if (port)
			lv_val_set(ho->vars, "ansible_port", lv_val_new_plain(port));
		for (size_t k = 1; k < n && rc == 0; k++)
			rc = set_var(c, ho->vars, w[k]);
		add_index(&c->inv->groups[group].hosts, &c->inv->groups[group].n_hosts, h);
	}
	free_words(names, n_names);
	free_words(w, n);
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
	*group = add_group(c->inv, name, c->line);
	return 0;
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
		size_t child = add_group(c->inv, line, c->line);
		add_index(&c->inv->groups[*group].children, &c->inv->groups[*group].n_children,
		          child);
		return 0;
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
	/* ungrouped: hosts that belong to no group but all and ungrouped. */
	for (size_t h = 0; h < inv->n_hosts; h++) {
		bool grouped = false;
		for (size_t g = 2; g < inv->n_groups && !grouped; g++)
			grouped = lv_inventory_in_group(inv, h, g);
		if (!grouped)
			add_index(&inv->groups[1].hosts, &inv->groups[1].n_hosts, h);
	}
	return 0;
}

struct lv_inventory *lv_inventory_parse(const char *text, const char *name, char **why)
{
	struct lv_inventory *inv = lv_xcalloc(1, sizeof *inv);
	inv->path = lv_xstrdup(name);
	add_group(inv, "all", 0);
	add_group(inv, "ungrouped", 0);
	struct ictx c = { .inv = inv, .name = name, .why = why };
	size_t group = 1;
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
	char *text = lv_read_file(path, NULL, why);
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
	free(inv);
}
