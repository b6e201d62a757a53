/*
 * fuzz_inventory: Ansible INI inventories (core/deploy/inventory.h) from
 * arbitrary text, then the questions the runner asks of one: host patterns,
 * group membership and each host's merged variables. A first line
 * "#pattern: P" (a comment to the parser) adds P to the patterns tried.
 *
 * The checks are the header's invariants: groups[0] is "all", groups[1]
 * "ungrouped", every host and group is found by its name, and every host
 * is in "all".
 */
#include "harness.h"

#include <stdbool.h>

#include "deploy/inventory.h"
#include "deploy/playbook.h"

#define MAX_HOSTS_QUERIED 64

static void try_pattern(const struct lv_inventory *inv, const char *pattern, bool *sel)
{
	size_t n = 0, count = 0;
	lv_inventory_match(inv, pattern, sel, &n);
	for (size_t h = 0; h < inv->n_hosts; h++)
		count += sel[h];
	fuzz_check(n == count, "lv_inventory_match miscounts its selection");
}

static void query(const struct lv_inventory *inv, const char *extra)
{
	fuzz_check(inv->n_groups >= 2 && !strcmp(inv->groups[0].name, "all") &&
	               !strcmp(inv->groups[1].name, "ungrouped"),
	           "groups[0] and groups[1] are not all and ungrouped");
	for (size_t g = 0; g < inv->n_groups; g++)
		fuzz_check(lv_inventory_find_group(inv, inv->groups[g].name) == (long)g,
		           "a group is not found by its name");
	for (size_t h = 0; h < inv->n_hosts; h++)
		fuzz_check(lv_inventory_find_host(inv, inv->hosts[h].name) == (long)h,
		           "a host is not found by its name");
	bool *sel = calloc(inv->n_hosts + 1, sizeof *sel);
	if (!sel)
		abort();
	static const char *const patterns[] = { "all",  "*",   "ungrouped", "g*:!h*",
		                                "a:&b", "x,y", "*[",        NULL };
	for (const char *const *p = patterns; *p; p++)
		try_pattern(inv, *p, sel);
	if (extra)
		try_pattern(inv, extra, sel);
	if (inv->n_groups > 2)
		try_pattern(inv, inv->groups[inv->n_groups - 1].name, sel);
	for (size_t h = 0; h < inv->n_hosts && h < MAX_HOSTS_QUERIED; h++) {
		fuzz_check(lv_inventory_in_group(inv, h, 0), "a host is not in 'all'");
		struct lv_val *v = lv_inventory_host_vars(inv, h);
		fuzz_check(v && v->kind == LV_VAL_MAP, "host vars are not a map");
		lv_val_free(v);
	}
	free(sel);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size), *why = NULL, *extra = NULL;
	if (!strncmp(text, "#pattern: ", 10)) {
		size_t n = strcspn(text + 10, "\n");
		extra = strndup(text + 10, n);
	}
	struct lv_inventory *inv = lv_inventory_parse(text, "fuzz.ini", &why);
	free(text);
	if (!inv) {
		fuzz_check(why != NULL, "lv_inventory_parse failed without a message");
	} else {
		query(inv, extra);
		lv_inventory_free(inv);
	}
	free(why);
	free(extra);
	return 0;
}
