/*
 * test_inventory: Ansible INI inventories — sections, inline and group
 * variables with Ansible's precedence, children, ranges, host:port, host
 * patterns — and malformed files, whose errors must name file:line.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "deploy/inventory.h"
#include "deploy/playbook.h"
#include "base/util.h"

static const char good_ini[] =
    "# the thesis cluster\n"
    "loose-host ansible_host=10.0.0.9\n"
    "\n"
    "[agx]\n"
    "agx-00 ansible_host=agx.local ansible_port=2222 label=\"two words\"\n"
    "\n"
    "[nano]\n"
    "nano-[00:02]\n"
    "nano-01 extra=yes\n"
    "\n"
    "[jetsons:children]\n"
    "agx\n"
    "nano\n"
    "\n"
    "[jetsons:vars]\n"
    "ansible_user=loudva\n"
    "level=jetsons\n"
    "\n"
    "[nano:vars]\n"
    "level = nano\n"
    "ansible_become=yes\n"
    "\n"
    "[all:vars]\n"
    "level=all\n"
    "common='quoted value'\n"
    "\n"
    "[solo]\n"
    "single:2200\n";

static struct lv_inventory *parse(const char *text, char **why)
{
	return lv_inventory_parse(text, "inv.ini", why);
}

static const char *var(const struct lv_val *vars, const char *key)
{
	return lv_val_text(lv_val_get(vars, key));
}

static void test_parse_good(void **state)
{
	(void)state;
	char *why = NULL;
	struct lv_inventory *inv = parse(good_ini, &why);
	assert_null(why);
	assert_non_null(inv);
	/* loose-host, agx-00, nano-00..02, single; nano-01 named twice is one host */
	assert_int_equal(inv->n_hosts, 6);
	assert_string_equal(inv->hosts[0].name, "loose-host");
	assert_string_equal(inv->hosts[2].name, "nano-00");
	assert_string_equal(inv->hosts[4].name, "nano-02");
	long agx = lv_inventory_find_host(inv, "agx-00");
	assert_true(agx >= 0);
	assert_string_equal(var(inv->hosts[agx].vars, "label"), "two words");
	assert_int_equal(lv_val_get(inv->hosts[agx].vars, "ansible_port")->kind, LV_VAL_INT);
	long single = lv_inventory_find_host(inv, "single");
	assert_true(single >= 0);
	assert_string_equal(var(inv->hosts[single].vars, "ansible_port"), "2200");
	assert_int_equal(lv_inventory_find_host(inv, "nano-03"), -1);
	assert_string_equal(inv->groups[0].name, "all");
	assert_string_equal(inv->groups[1].name, "ungrouped");
	lv_inventory_free(inv);
}

static void test_membership_and_vars(void **state)
{
	(void)state;
	struct lv_inventory *inv = parse(good_ini, NULL);
	assert_non_null(inv);
	long nano1 = lv_inventory_find_host(inv, "nano-01"),
	     agx = lv_inventory_find_host(inv, "agx-00");
	long loose = lv_inventory_find_host(inv, "loose-host");
	long jetsons = lv_inventory_find_group(inv, "jetsons"), ungrouped = 1;
	assert_true(lv_inventory_in_group(inv, (size_t)nano1, (size_t)jetsons));
	assert_true(lv_inventory_in_group(inv, (size_t)agx, (size_t)jetsons));
	assert_false(lv_inventory_in_group(inv, (size_t)loose, (size_t)jetsons));
	assert_true(lv_inventory_in_group(inv, (size_t)loose, ungrouped));
	assert_false(lv_inventory_in_group(inv, (size_t)nano1, ungrouped));

	/* all < jetsons (parent) < nano (child) < the host's own line */
	struct lv_val *v = lv_inventory_host_vars(inv, (size_t)nano1);
	assert_string_equal(var(v, "level"), "nano");
	assert_string_equal(var(v, "ansible_user"), "loudva");
	assert_string_equal(var(v, "common"), "quoted value");
	assert_true(lv_val_truthy(lv_val_get(v, "ansible_become")));
	assert_true(lv_val_truthy(lv_val_get(v, "extra")));
	assert_string_equal(var(v, "inventory_hostname"), "nano-01");
	const struct lv_val *gn = lv_val_get(v, "group_names");
	assert_int_equal(gn->n, 2);
	assert_string_equal(gn->items[0]->str, "jetsons");
	assert_string_equal(gn->items[1]->str, "nano");
	lv_val_free(v);

	v = lv_inventory_host_vars(inv, (size_t)agx);
	assert_string_equal(var(v, "level"), "jetsons");
	assert_null(lv_val_get(v, "ansible_become"));
	lv_val_free(v);
	v = lv_inventory_host_vars(inv, (size_t)loose);
	assert_string_equal(var(v, "level"), "all");
	lv_val_free(v);
	lv_inventory_free(inv);
}

/* Names of the hosts a pattern selects, space-separated, in inventory order. */
static char *match(const struct lv_inventory *inv, const char *pattern)
{
	bool sel[16];
	size_t n;
	lv_inventory_match(inv, pattern, sel, &n);
	char *out = lv_xstrdup("");
	for (size_t i = 0; i < inv->n_hosts; i++) {
		if (!sel[i])
			continue;
		char *next = lv_xasprintf("%s%s%s", out, out[0] ? " " : "", inv->hosts[i].name);
		free(out);
		out = next;
	}
	return out;
}

static void test_patterns(void **state)
{
	(void)state;
	struct lv_inventory *inv = parse(good_ini, NULL);
	static const struct {
		const char *pattern, *want;
	} cases[] = {
		{ "all", "loose-host agx-00 nano-00 nano-01 nano-02 single" },
		{ "*", "loose-host agx-00 nano-00 nano-01 nano-02 single" },
		{ "nano", "nano-00 nano-01 nano-02" },
		{ "agx:solo", "agx-00 single" },
		{ "agx,nano-02", "agx-00 nano-02" },
		{ "jetsons:!nano-01", "agx-00 nano-00 nano-02" },
		{ "jetsons:&nano", "nano-00 nano-01 nano-02" },
		{ "nano-0[12]", "nano-01 nano-02" },
		{ "n*:!nano-00", "nano-01 nano-02" },
		{ "ungrouped", "loose-host" },
		{ "nobody", "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = match(inv, cases[i].pattern);
		if (strcmp(got, cases[i].want))
			fail_msg("pattern '%s': got '%s', want '%s'", cases[i].pattern, got,
			         cases[i].want);
		free(got);
	}
	lv_inventory_free(inv);
}

static void expect_error(const char *text, const char *needle)
{
	char *why = NULL;
	struct lv_inventory *inv = parse(text, &why);
	assert_null(inv);
	assert_non_null(why);
	if (!strstr(why, needle))
		fail_msg("error '%s' lacks '%s'", why, needle);
	free(why);
}

static void test_malformed(void **state)
{
	(void)state;
	expect_error("[g]\nh1\n[g:weird]\nx\n", "inv.ini:3: unknown section type ':weird'");
	expect_error("[g]\nh1 novalue\n", "inv.ini:2: expected key=value, got 'novalue'");
	expect_error("[g]\nh1 a=\"open\n", "inv.ini:2: unterminated quote");
	expect_error("[g:vars]\njustaword\n", "inv.ini:2: expected key=value");
	expect_error("[g\nh\n", "inv.ini:1: section header without ']'");
	expect_error("[a:children]\nb\n[b:children]\na\n", "is its own descendant");
	expect_error("[g]\nh-[05:01]\n", "inv.ini:2: bad host range");
	expect_error("[g:children]\nbad name\n", "inv.ini:2: expected a group name");
	expect_error("\n\n[g:children]\nall\n", "inv.ini:4: 'all' cannot be a child group");
}

static void test_load_file(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp();
	char *path = lv_test_write(dir, "hosts.ini", "[g]\nh1 x=1\n[g:vars]\nbroken\n");
	char *why = NULL;
	assert_null(lv_inventory_load(path, &why));
	char *want = lv_xasprintf("%s:4:", path);
	assert_non_null(strstr(why, want));
	free(want);
	free(why);
	why = NULL;
	char *missing = lv_xasprintf("%s/none.ini", dir);
	assert_null(lv_inventory_load(missing, &why));
	assert_non_null(strstr(why, "none.ini"));
	free(why);
	free(missing);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

static void test_shipped_example(void **state)
{
	(void)state;
	char *why = NULL;
	struct lv_inventory *inv = lv_inventory_load("playbooks/inventory.example.ini", &why);
	assert_null(why);
	assert_non_null(inv);
	char *got = match(inv, "jetsons");
	assert_string_equal(got, "agx-xavier-00 xavier-nx-00 xavier-nx-01 nano-00 nano-01");
	free(got);
	long nx = lv_inventory_find_host(inv, "xavier-nx-01");
	struct lv_val *v = lv_inventory_host_vars(inv, (size_t)nx);
	assert_string_equal(var(v, "jetson_kind"), "xavier-nx");
	assert_non_null(strstr(var(v, "ansible_ssh_common_args"), "StrictHostKeyChecking=yes"));
	lv_val_free(v);
	lv_inventory_free(inv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good), cmocka_unit_test(test_membership_and_vars),
		cmocka_unit_test(test_patterns),   cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_load_file),  cmocka_unit_test(test_shipped_example),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
