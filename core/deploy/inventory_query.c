/*
 * inventory_query: questions asked of a parsed inventory — group membership,
 * host patterns (--limit, a play's hosts:) and a host's merged variables in
 * Ansible's precedence order. Pure functions of the inventory; membership
 * goes through its index (inventory_index.c), so a pattern costs
 * O(hosts x groups a host is listed in x groups / 64) at worst.
 */
#include "inventory.h"

#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inventory_index.h"
#include "playbook.h"
#include "base/util.h"

bool lv_inventory_in_group(const struct lv_inventory *inv, size_t h, size_t g)
{
	return lv_inv_index_in_group(inv->index, h, g);
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
	/* the groups it names, as a bit mask, then each host against the mask */
	size_t words = lv_inv_index_words(inv->index);
	uint64_t *groups = lv_xcalloc(words ? words : 1, sizeof *groups);
	bool any = false;
	for (size_t g = 0; g < inv->n_groups; g++) {
		const char *name = inv->groups[g].name;
		if (wild ? fnmatch(el, name, 0) == 0 : strcmp(el, name) == 0) {
			groups[g / 64] |= (uint64_t)1 << (g % 64);
			any = true;
		}
	}
	for (size_t h = 0; any && h < inv->n_hosts; h++)
		hit[h] = lv_inv_index_in_any(inv->index, h, groups);
	free(groups);
	if (!wild) {
		long h = lv_inventory_find_host(inv, el);
		if (h >= 0)
			hit[h] = true;
		return;
	}
	for (size_t h = 0; h < inv->n_hosts; h++)
		if (fnmatch(el, inv->hosts[h].name, 0) == 0)
			hit[h] = true;
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
	return lv_inventory_host_vars_with(inv, h, NULL);
}

struct lv_val *lv_inventory_host_vars_with(const struct lv_inventory *inv, size_t h,
                                           const struct lv_inv_dirvars *dv)
{
	struct lv_val *vars = lv_val_new_map();
	struct ranked *r = lv_xcalloc(inv->n_groups, sizeof *r);
	size_t n = 0, words = lv_inv_index_words(inv->index);
	uint64_t *in = lv_xcalloc(words ? words : 1, sizeof *in);
	lv_inv_index_groups_of(inv->index, h, in);
	for (size_t g = 0; g < inv->n_groups; g++) {
		if (!(in[g / 64] >> (g % 64) & 1))
			continue;
		r[n].g = g;
		r[n].depth = inv->groups[g].depth;
		r[n].name = inv->groups[g].name;
		n++;
	}
	free(in);
	qsort(r, n, sizeof *r, cmp_ranked);
	struct lv_val *names = lv_val_new_list();
	/* `all` first, from each source (r[0] is `all`: depth 0) */
	size_t first = n && r[0].g == 0 ? 1 : 0;
	if (first) {
		lv_val_merge(vars, inv->groups[0].vars);
		lv_inventory_dirvars_group_at(dv, 0, "all", vars);
		lv_inventory_dirvars_group_at(dv, 1, "all", vars);
	}
	/* then the other groups: the inventory file's vars of them all, then each directory's */
	for (size_t i = first; i < n; i++) {
		lv_val_merge(vars, inv->groups[r[i].g].vars);
		if (r[i].g > 1)
			lv_val_push(names, lv_val_new_str(r[i].name));
	}
	for (size_t d = 0; d < 2; d++)
		for (size_t i = first; i < n; i++)
			lv_inventory_dirvars_group_at(dv, d, r[i].name, vars);
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
	lv_inventory_dirvars_host(dv, inv->hosts[h].name, vars);
	const char *name = inv->hosts[h].name;
	lv_val_set_str(vars, "inventory_hostname", name);
	char *dot = strchr(name, '.');
	char *shortname = lv_xasprintf("%.*s", dot ? (int)(dot - name) : (int)strlen(name), name);
	lv_val_set_str(vars, "inventory_hostname_short", shortname);
	free(shortname);
	lv_val_set(vars, "group_names", names);
	return vars;
}
