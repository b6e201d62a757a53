/*
 * inventory_query: questions asked of a parsed inventory — group membership,
 * host patterns (--limit, a play's hosts:) and a host's merged variables in
 * Ansible's precedence order. Pure functions of the inventory.
 */
#include "inventory.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "playbook.h"
#include "base/util.h"

static bool in_group_depth(const struct lv_inventory *inv, size_t h, size_t g, int depth)
{
	const struct lv_inv_group *gr = &inv->groups[g];
	if (depth > (int)inv->n_groups)
		return false; /* cycles are rejected at parse time; belt and braces */
	for (size_t i = 0; i < gr->n_hosts; i++)
		if (gr->hosts[i] == h)
			return true;
	for (size_t i = 0; i < gr->n_children; i++)
		if (in_group_depth(inv, h, gr->children[i], depth + 1))
			return true;
	return false;
}

bool lv_inventory_in_group(const struct lv_inventory *inv, size_t h, size_t g)
{
	if (g == 0)
		return true;
	return in_group_depth(inv, h, g, 0);
}

/* Marks the hosts one pattern element names. */
static void match_one(const struct lv_inventory *inv, const char *el, bool *hit)
{
	bool wild = strpbrk(el, "*?[") != NULL;
	for (size_t h = 0; h < inv->n_hosts; h++)
		hit[h] = false;
	if (!strcmp(el, "all") || !strcmp(el, "*")) {
		for (size_t h = 0; h < inv->n_hosts; h++)
			hit[h] = true;
		return;
	}
	for (size_t g = 0; g < inv->n_groups; g++) {
		const char *name = inv->groups[g].name;
		if (wild ? fnmatch(el, name, 0) == 0 : strcmp(el, name) == 0)
			for (size_t h = 0; h < inv->n_hosts; h++)
				hit[h] |= lv_inventory_in_group(inv, h, g);
	}
	for (size_t h = 0; h < inv->n_hosts; h++) {
		const char *name = inv->hosts[h].name;
		if (wild ? fnmatch(el, name, 0) == 0 : strcmp(el, name) == 0)
			hit[h] = true;
	}
}

void lv_inventory_match(const struct lv_inventory *inv, const char *pattern, bool *selected,
                        size_t *n_selected)
{
	size_t n = inv->n_hosts ? inv->n_hosts : 1;
	bool *hit = lv_xcalloc(n, sizeof *hit), *inter = lv_xcalloc(n, sizeof *inter),
	     *excl = lv_xcalloc(n, sizeof *excl);
	bool any_inter = false;
	for (size_t h = 0; h < inv->n_hosts; h++) {
		selected[h] = false;
		inter[h] = true;
	}
	char *copy = lv_xstrdup(pattern), *save = NULL;
	for (char *el = strtok_r(copy, ":,", &save); el; el = strtok_r(NULL, ":,", &save)) {
		while (*el == ' ')
			el++;
		char op = (*el == '&' || *el == '!') ? *el++ : 0;
		match_one(inv, el, hit);
		for (size_t h = 0; h < inv->n_hosts; h++) {
			if (op == '&')
				inter[h] = inter[h] && hit[h];
			else if (op == '!')
				excl[h] = excl[h] || hit[h];
			else
				selected[h] = selected[h] || hit[h];
		}
		any_inter |= op == '&';
	}
	*n_selected = 0;
	for (size_t h = 0; h < inv->n_hosts; h++) {
		selected[h] = selected[h] && (!any_inter || inter[h]) && !excl[h];
		*n_selected += selected[h];
	}
	free(copy);
	free(hit);
	free(inter);
	free(excl);
}

/* Distance from `all` through children: top-level groups are 1. */
static int group_depth(const struct lv_inventory *inv, size_t g, int guard)
{
	if (g == 0 || guard > (int)inv->n_groups)
		return 0;
	int best = 1;
	for (size_t p = 1; p < inv->n_groups; p++)
		for (size_t i = 0; i < inv->groups[p].n_children; i++)
			if (inv->groups[p].children[i] == g) {
				int d = group_depth(inv, p, guard + 1) + 1;
				if (d > best)
					best = d;
			}
	return best;
}

struct ranked {
	size_t g;
	int depth;
	const char *name;
};

static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->depth != y->depth)
		return x->depth - y->depth;
	return strcmp(x->name, y->name);
}

struct lv_val *lv_inventory_host_vars(const struct lv_inventory *inv, size_t h)
{
	struct lv_val *vars = lv_val_new_map();
	struct ranked *r = lv_xcalloc(inv->n_groups, sizeof *r);
	size_t n = 0;
	for (size_t g = 0; g < inv->n_groups; g++) {
		if (!lv_inventory_in_group(inv, h, g))
			continue;
		r[n].g = g;
		r[n].depth = group_depth(inv, g, 0);
		r[n].name = inv->groups[g].name;
		n++;
	}
	qsort(r, n, sizeof *r, cmp_ranked);
	struct lv_val *names = lv_val_new_list();
	for (size_t i = 0; i < n; i++) {
		lv_val_merge(vars, inv->groups[r[i].g].vars);
		if (r[i].g > 1)
			lv_val_push(names, lv_val_new_str(r[i].name));
	}
	free(r);
	/* group_names is sorted by name, as Ansible gives it. */
	for (size_t i = 1; i < names->n; i++)
		for (size_t j = i;
		     j > 0 && strcmp(names->items[j - 1]->str, names->items[j]->str) > 0; j--) {
			struct lv_val *t = names->items[j];
			names->items[j] = names->items[j - 1];
			names->items[j - 1] = t;
		}
	lv_val_merge(vars, inv->hosts[h].vars);
	const char *name = inv->hosts[h].name;
	lv_val_set_str(vars, "inventory_hostname", name);
	char *dot = strchr(name, '.');
	char *shortname = lv_xasprintf("%.*s", dot ? (int)(dot - name) : (int)strlen(name), name);
	lv_val_set_str(vars, "inventory_hostname_short", shortname);
	free(shortname);
	lv_val_set(vars, "group_names", names);
	return vars;
}
