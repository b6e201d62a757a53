/*
 * test_inventory: Ansible INI inventories — sections, inline and group
 * variables with Ansible's precedence, children, ranges, host:port, host
 * patterns — and malformed files, whose errors must name file:line. Then the
 * bounds (issue 21): host counts, linear-time loading and asking, and files
 * that are not regular files; the cases that used to run away run in a child
 * process with a deadline, so a regression fails instead of eating the
 * machine.
 */
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "deploy/inventory.h"
#include "deploy/playbook.h"
#include "base/file.h"
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

/* ---- bounds ------------------------------------------------------------ */

/* Parses the text `arg`; returns the error, or "ok N" with the host count. */
static char *parse_text(const void *arg)
{
	char *why = NULL;
	struct lv_inventory *inv = parse(arg, &why);
	if (!inv)
		return why ? why : lv_xstrdup("error without a message");
	char *ok = lv_xasprintf("ok %zu", inv->n_hosts);
	lv_inventory_free(inv);
	return ok;
}

/* Loads the path `arg`; returns the error or "ok". */
static char *load_path(const void *arg)
{
	char *why = NULL;
	struct lv_inventory *inv = lv_inventory_load(arg, &why);
	lv_inventory_free(inv);
	return inv ? lv_xstrdup("ok") : why ? why : lv_xstrdup("error without a message");
}

static void expect_child(char *(*fn)(const void *), const void *arg, const char *needle)
{
	char *got = lv_test_in_child(fn, arg, 10);
	if (!strstr(got, needle))
		fail_msg("'%.300s' lacks '%s'", got, needle);
	free(got);
}

/* Issue 21: h-[0:999]-[0:999]-[0:999] is 10^9 hosts; it used to be made. */
static void test_host_bounds(void **state)
{
	(void)state;
	expect_child(parse_text, "[g]\nh-[0:999]-[0:999]-[0:999]\n",
	             "inv.ini:2: host pattern 'h-[0:999]-[0:999]-[0:999]' would make "
	             "1000000000 hosts, more than the 100000 an inventory may hold");
	expect_child(parse_text, "[g]\nh[0:9999]-[0:9999]-[0:9999]-[0:9999]-[0:9999]-[0:9999]\n",
	             "would make more than 18446744073709551615 hosts");
	/* each line within the bound, together past it: the line that crosses is named */
	expect_child(parse_text, "[g]\na[0:9999]-[0:4]\nb[0:9999]-[0:4]\nc[0:9999]-[0:1]\n",
	             "inv.ini:4: host pattern 'c[0:9999]-[0:1]' (20000 hosts) takes the inventory "
	             "past its limit of 100000 hosts");
	/* a range's ends far apart must not overflow (undefined behaviour before) */
	expect_child(parse_text, "[g]\nh[-9223372036854775807:9223372036854775807]\n",
	             "inv.ini:2: bad host range");
	expect_child(parse_text, "[g]\nh[9223372036854775800:9223372036854775807:5]x\n", "ok 2");
	/* at the bound exactly: accepted */
	expect_child(parse_text, "[g]\nh[0:9999]-[0:9]\nh0-0\n", "ok 100000");
	/* and the variables set on those hosts */
	expect_child(parse_text,
	             "[g]\nh[0:9999]-[0:9] a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8 i=9 j=10 k=11\n",
	             "inv.ini:2: host pattern 'h[0:9999]-[0:9]' with 11 variables takes the "
	             "inventory past its limit of 500000 host variables");
	/* groups are bounded too */
	char *text = lv_xstrdup("");
	for (int i = 0; i < LV_INVENTORY_MAX_GROUPS; i++) {
		char *next = lv_xasprintf("%s[g%d]\n", text, i);
		free(text);
		text = next;
	}
	expect_child(parse_text, text, "one more than the 10000 groups an inventory may hold");
	free(text);
}

/* 100,000 hosts, then every question the runner asks; quadratic before. */
static char *big_inventory(const void *arg)
{
	(void)arg;
	char *why = NULL;
	struct lv_inventory *inv = parse("[a]\nh[0:9999]-[0:4]\n[b]\nh[0:9999]-[5:9]\n"
	                                 "[ab:children]\na\nb\n[a:vars]\nx=1\n",
	                                 &why);
	if (!inv)
		return why;
	bool *sel = lv_xcalloc(inv->n_hosts, sizeof *sel);
	size_t n_all, n_a, n_wild, n_h;
	lv_inventory_match(inv, "all", sel, &n_all);
	lv_inventory_match(inv, "ab:&a", sel, &n_a);
	lv_inventory_match(inv, "h12*:!b", sel, &n_wild);
	lv_inventory_match(inv, "h9999-9", sel, &n_h);
	size_t in_ab = 0;
	long ab = lv_inventory_find_group(inv, "ab");
	for (size_t h = 0; h < inv->n_hosts; h++) {
		in_ab += lv_inventory_in_group(inv, h, (size_t)ab);
		if (h % 1000 == 0)
			lv_val_free(lv_inventory_host_vars(inv, h));
	}
	long last = lv_inventory_find_host(inv, "h9999-9");
	char *out = lv_xasprintf("%zu %zu %zu %zu %zu %zu %ld", inv->n_hosts, n_all, n_a, n_wild,
	                         n_h, in_ab, last);
	free(sel);
	lv_inventory_free(inv);
	return out;
}

static void test_large_is_fast(void **state)
{
	(void)state;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char *got = lv_test_in_child(big_inventory, NULL, 30);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* h12, h120..h129, h1200..h1299 (5 each) not in b: 111 * 5 */
	assert_string_equal(got, "100000 100000 50000 555 1 100000 99999");
	free(got);
	double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
	if (s > 10)
		fail_msg("100,000 hosts took %.1f s", s);
}

/* Diamonds of groups 40 deep: 2^40 paths from the top, asked about linearly. */
static char *diamonds(const void *arg)
{
	(void)arg;
	char *text = lv_xstrdup("[d40]\nh1\n");
	for (int i = 0; i < 40; i++) {
		char *next = lv_xasprintf("%s[d%d:children]\nl%d\nr%d\n[l%d:children]\nd%d\n"
		                          "[r%d:children]\nd%d\n",
		                          text, i, i, i, i, i + 1, i, i + 1);
		free(text);
		text = next;
	}
	char *why = NULL;
	struct lv_inventory *inv = parse(text, &why);
	free(text);
	if (!inv)
		return why;
	bool sel[1];
	size_t n;
	lv_inventory_match(inv, "d0", sel, &n);
	struct lv_val *v = lv_inventory_host_vars(inv, 0);
	const struct lv_val *gn = lv_val_get(v, "group_names");
	char *out = lv_xasprintf("%zu %zu %d", n, gn->n,
	                         inv->groups[lv_inventory_find_group(inv, "d40")].depth);
	lv_val_free(v);
	lv_inventory_free(inv);
	return out;
}

static void test_group_graph_is_linear(void **state)
{
	(void)state;
	char *got = lv_test_in_child(diamonds, NULL, 10);
	/* h1 is in d0..d40, l0..l39, r0..r39; d40 is 81 levels down */
	assert_string_equal(got, "1 121 81");
	free(got);
}

/* ungrouped as a child: its hosts are grouped through it, as before. */
static void test_ungrouped_child(void **state)
{
	(void)state;
	struct lv_inventory *inv = parse("u1\n[g:children]\nungrouped\n[h]\nx1\n", NULL);
	assert_non_null(inv);
	long u1 = lv_inventory_find_host(inv, "u1"), x1 = lv_inventory_find_host(inv, "x1");
	long g = lv_inventory_find_group(inv, "g");
	assert_true(lv_inventory_in_group(inv, (size_t)u1, 1));
	assert_true(lv_inventory_in_group(inv, (size_t)u1, (size_t)g));
	assert_false(lv_inventory_in_group(inv, (size_t)x1, 1));
	assert_false(lv_inventory_in_group(inv, (size_t)x1, (size_t)g));
	char *got = match(inv, "ungrouped");
	assert_string_equal(got, "u1");
	free(got);
	lv_inventory_free(inv);
}

/* Issue 21: only regular files of at most 16 MiB are read. */
static void test_load_bounded(void **state)
{
	(void)state;
	expect_child(load_path, "/dev/zero",
	             "/dev/zero: not a regular file (a character device); only regular files "
	             "are read");
	char *dir = lv_test_mkdtemp();
	char *fifo = lv_path_join(dir, "fifo.ini"), *big = lv_path_join(dir, "big.ini");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	expect_child(load_path, fifo, "fifo.ini: not a regular file (a FIFO)");
	expect_child(load_path, dir, ": not a regular file (a directory)");
	int fd = open(big, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, ((off_t)16 << 20) + 1), 0);
	close(fd);
	expect_child(load_path, big, "big.ini: 16777217 bytes, more than the limit of 16 MiB");
	free(fifo);
	free(big);
	lv_test_rmtree(dir);
	free(dir);
}

/*
 * group_vars/ and host_vars/ beside the inventory (dirs[0]) and the playbook
 * (dirs[1]), in Ansible's precedence: each variable below is set at every
 * level up to the one that must win, so its value names the winner.
 */
static void test_group_and_host_vars_dirs(void **state)
{
	(void)state;
	char *inv_dir = lv_test_mkdtemp(), *pb_dir = lv_test_mkdtemp(), *why = NULL;
	char *gi = lv_path_join(inv_dir, "group_vars"), *hi = lv_path_join(inv_dir, "host_vars");
	char *gp = lv_path_join(pb_dir, "group_vars"), *hp = lv_path_join(pb_dir, "host_vars");
	char *gdir = lv_path_join(gi, "jetsons");
	assert_int_equal(mkdir(gi, 0755) | mkdir(hi, 0755) | mkdir(gp, 0755) | mkdir(hp, 0755), 0);
	assert_int_equal(mkdir(gdir, 0755), 0);
	/* the inventory file: all < parent < child < host line */
	free(lv_test_write(inv_dir, "hosts.ini",
	                   "[nano]\nn1 a8=inv_host a9=inv_host a10=inv_host\n"
	                   "[jetsons:children]\nnano\n"
	                   "[all:vars]\na1=inv_all\nall_only=inv_all\n"
	                   "[jetsons:vars]\na1=inv_jetsons\n"
	                   "[nano:vars]\na1=inv_nano\na2=inv_nano\na3=inv_nano\na4=inv_nano\n"
	                   "a5=inv_nano\na6=inv_nano\na7=inv_nano\n"));
	/* group_vars/all beside the inventory, then the playbook: below other groups */
	free(lv_test_write(gi, "all.yml", "all_only: gi_all\na2: gi_all\nlist: [1]\n"));
	free(lv_test_write(gp, "all", "all_only: gp_all\n"));
	/* a group's directory of files, read in name order; the parent below the child */
	free(lv_test_write(gdir, "10-first.yml", "a3: gi_jetsons_10\na4: gi_jetsons_10\n"));
	free(lv_test_write(gdir, "20-second.yaml", "a4: gi_jetsons_20\n"));
	free(lv_test_write(gdir, ".hidden.yml", "a4: hidden\n"));
	free(lv_test_write(gdir, "notes.txt", "not: read\n"));
	free(lv_test_write(gi, "nano.json", "{\"a4\": \"gi_nano\", \"a5\": \"gi_nano\"}"));
	/* the playbook's group_vars over the inventory's, for every group */
	free(lv_test_write(gp, "jetsons.yml", "a5: gp_jetsons\na6: gp_jetsons\n"));
	free(lv_test_write(gp, "nano.yml", "a6: gp_nano\n"));
	/* host_vars: over every group; the playbook's over the inventory's */
	free(lv_test_write(hi, "n1.yml", "a7: hi_n1\na9: hi_n1\na10: hi_n1\n"));
	free(lv_test_write(hp, "n1", "a10: hp_n1\n"));
	free(lv_test_write(hp, "unknown-host.yml", "x: [broken\n")); /* not in the inventory */
	char *inv_path = lv_path_join(inv_dir, "hosts.ini");
	struct lv_inventory *inv = lv_inventory_load(inv_path, &why);
	assert_non_null(inv);
	const char *dirs[2] = { inv_dir, pb_dir };
	struct lv_inv_dirvars *dv = lv_inventory_dirvars_load(inv, dirs, 2, &why);
	assert_null(why);
	assert_non_null(dv);
	struct lv_val *v = lv_inventory_host_vars_with(inv, 0, dv);
	static const char *const want[][2] = {
		{ "all_only", "gp_all" },  { "a1", "inv_nano" }, { "a2", "inv_nano" },
		{ "a3", "gi_jetsons_10" }, { "a4", "gi_nano" },  { "a5", "gp_jetsons" },
		{ "a6", "gp_nano" },       { "a7", "hi_n1" },    { "a8", "inv_host" },
		{ "a9", "hi_n1" },         { "a10", "hp_n1" },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const char *got = lv_val_text(lv_val_get(v, want[i][0]));
		if (!got || strcmp(got, want[i][1]))
			fail_msg("%s = %s, want %s", want[i][0], got ? got : "(unset)", want[i][1]);
	}
	assert_int_equal(lv_val_get(v, "list")->kind, LV_VAL_LIST);
	lv_val_free(v);
	lv_inventory_dirvars_free(dv);
	/* a broken file of a known name stops the load, naming file:line */
	free(lv_test_write(hi, "n1.yml", "a7: ok\nb: [unclosed\n"));
	assert_null(lv_inventory_dirvars_load(inv, dirs, 2, &why));
	assert_non_null(strstr(why, "host_vars/n1.yml:"));
	free(why);
	why = NULL;
	free(lv_test_write(hi, "n1.yml", "- a list\n"));
	assert_null(lv_inventory_dirvars_load(inv, dirs, 2, &why));
	assert_non_null(strstr(why, "host_vars/n1.yml:1: expected a mapping of variables"));
	free(why);
	lv_inventory_free(inv);
	free(inv_path);
	free(gdir);
	free(gi);
	free(hi);
	free(gp);
	free(hp);
	lv_test_rmtree(inv_dir);
	lv_test_rmtree(pb_dir);
	free(inv_dir);
	free(pb_dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_membership_and_vars),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_shipped_example),
		cmocka_unit_test(test_host_bounds),
		cmocka_unit_test(test_large_is_fast),
		cmocka_unit_test(test_group_graph_is_linear),
		cmocka_unit_test(test_ungrouped_child),
		cmocka_unit_test(test_load_bounded),
		cmocka_unit_test(test_group_and_host_vars_dirs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
