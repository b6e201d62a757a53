/*
 * test_playbook: the YAML loader, the playbook parser (plays, tasks, blocks,
 * handlers, import_playbook) on good and malformed files — every error must
 * name file:line — the `when` expression language, templating, and the
 * runner's static validation (unknown modules, bad arguments, handlers).
 * Then the bounds (issue 21): files that are not regular files or are too
 * big, import cycles and counts, YAML aliases; the cases that used to run
 * away run in a child process with a deadline, so a regression fails instead
 * of eating the machine.
 */
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deploy/playbook.h"
#include "deploy/runner.h"
#include "base/file.h"
#include "base/util.h"

/* ---- a lookup over a MAP of variables ---------------------------------- */

static int lookup(void *ud, const char *name, struct lv_val **out, char **why)
{
	(void)why;
	*out = lv_val_dup(lv_val_get(ud, name));
	return 0;
}

static struct lv_val *vars_from_yaml(const char *yaml)
{
	char *why = NULL;
	struct lv_val *v = lv_yaml_parse(yaml, strlen(yaml), "vars", &why);
	assert_null(why);
	return v;
}

static const char vars_yaml[] = "x: {rc: 1, stdout: 'hello world', failed: true, changed: false}\n"
                                "ok: {rc: 0, stat: {exists: true, mode: '0640'}}\n"
                                "n: '5'\n"
                                "flag: no\n"
                                "name: nano\n"
                                "lst: [a, b, 3]\n"
                                "empty: ''\n"
                                "nothing: ~\n";

static bool when(const struct lv_val *vars, const char *text, char **why)
{
	struct lv_expr *e = lv_expr_parse(text, why);
	if (!e)
		return false;
	bool b = false;
	if (lv_expr_eval_bool(e, lookup, (void *)vars, &b, why))
		b = false;
	lv_expr_free(e);
	return b;
}

static void test_when_true_and_false(void **state)
{
	(void)state;
	struct lv_val *v = vars_from_yaml(vars_yaml);
	static const char *const truths[] = {
		"x.rc != 0",
		"ok.rc == 0",
		"ok.stat.exists",
		"ok.stat.mode == '0640'",
		"missing is not defined",
		"missing is undefined",
		"x is defined",
		"ok.stat.nope is not defined",
		"missing.deeper.still is not defined",
		"'world' in x.stdout",
		"'b' in lst",
		"3 in lst",
		"'z' not in lst",
		"n | int > 3",
		"n == 5",
		"not flag",
		"flag | bool == false",
		"missing | default('d') == 'd'",
		"empty | default('e', true) == 'e'",
		"x is failed",
		"ok is succeeded",
		"x is not changed",
		"nothing is none",
		"(x.rc == 1 and name == 'nano') or flag",
		"lst | length == 3",
		"name | upper == 'NANO'",
		"lst | first == 'a'",
		"lst | last == 3",
		"x['rc'] == 1",
		"lst[1] == 'b'",
		"lst[-1] == 3",
		"'nano-' ~ n == 'nano-5'",
		"n | int + 2 == 7",
		"('yes' if ok.rc == 0 else 'no') == 'yes'",
		"True",
		"not False",
		"[1, 2] | length == 2",
		"name == \"nano\"",
		"lst | join(',') == 'a,b,3'",
		"'x' if flag else 'y' == 'y'",
	};
	for (size_t i = 0; i < sizeof truths / sizeof truths[0]; i++) {
		char *why = NULL;
		if (!when(v, truths[i], &why))
			fail_msg("'%s' should hold (%s)", truths[i], why ? why : "false");
		free(why);
	}
	static const char *const falses[] = {
		"x.rc == 0",          "ok.stat.exists == false", "x is succeeded", "flag",
		"missing is defined", "'q' in x.stdout",         "n | int < 5",    "empty",
		"lst | length > 3",   "nothing is not none",
	};
	for (size_t i = 0; i < sizeof falses / sizeof falses[0]; i++) {
		char *why = NULL;
		if (when(v, falses[i], &why))
			fail_msg("'%s' should not hold", falses[i]);
		assert_null(why);
	}
	lv_val_free(v);
}

static void test_when_errors(void **state)
{
	(void)state;
	struct lv_val *v = vars_from_yaml(vars_yaml);
	static const struct {
		const char *text, *needle;
	} cases[] = {
		{ "missing == 1", "'missing' is undefined" },
		{ "x.nope.deeper == 1", "'x.nope' is undefined" },
		{ "x.rc ==", "expected a value" },
		{ "x.rc != 0 and", "expected a value" },
		{ "(x.rc", "expected ')'" },
		{ "x is frobbed", "unknown test" },
		{ "x | frob", "unknown filter" },
		{ "'open", "unterminated string" },
		{ "x.rc 0", "unexpected text" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *why = NULL;
		when(v, cases[i].text, &why);
		if (!why || !strstr(why, cases[i].needle))
			fail_msg("'%s': error '%s' lacks '%s'", cases[i].text, why ? why : "(none)",
			         cases[i].needle);
		free(why);
	}
	lv_val_free(v);
}

/* A string of `n` copies of `unit` between `head` and `tail`. Caller frees. */
static char *repeat(const char *head, const char *unit, size_t n, const char *tail)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
	char *s = lv_xmalloc(hl + ul * n + tl + 1), *p = s;
	memcpy(p, head, hl);
	p += hl;
	for (size_t i = 0; i < n; i++, p += ul)
		memcpy(p, unit, ul);
	memcpy(p, tail, tl + 1);
	return s;
}

/* Issue 21: expressions are bounded in nesting and length, and integer
 * arithmetic does not overflow; before, these overflowed the stack or were
 * undefined behaviour. */
static void test_expr_bounds(void **state)
{
	(void)state;
	struct lv_val *v = vars_from_yaml(vars_yaml);
	struct {
		char *text;
		const char *needle;
	} cases[] = {
		{ repeat("", "(", 5000, "1"), "nested deeper than 64" },
		{ repeat("", "not ", 20000, "flag"), "nested deeper than 64" },
		{ repeat("", "[", 5000, ""), "nested deeper than 64" },
		{ repeat("n", " ~ n", 20000, ""), "more than 2000 terms" },
		{ repeat("x", ".rc", 20000, ""), "more than 2000 terms" },
		{ repeat("name", " | upper", 20000, ""), "more than 2000 terms" },
		{ lv_xstrdup("9223372036854775807 + 1 > 0"), "integer overflow" },
		{ lv_xstrdup("-9223372036854775807 - 2 < 0"), "integer overflow" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *why = NULL;
		when(v, cases[i].text, &why);
		if (!why || !strstr(why, cases[i].needle))
			fail_msg("case %zu: error '%.300s' lacks '%s'", i, why ? why : "(none)",
			         cases[i].needle);
		assert_true(strlen(why) < 600); /* the message shows only the start */
		free(why);
		free(cases[i].text);
	}
	/* within the bounds, the same shapes still work */
	char *open = repeat("", "(", 60, "1");
	char *ok[] = { repeat(open, ")", 60, " == 1"), repeat("", "not not ", 30, "not flag"),
		       repeat("'a'", " ~ 'a'", 500, " != ''"),
		       lv_xstrdup("9223372036854775806 + 1 > 0") };
	free(open);
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		char *why = NULL;
		if (!when(v, ok[i], &why))
			fail_msg("case %zu should hold (%s)", i, why ? why : "false");
		free(why);
		free(ok[i]);
	}
	lv_val_free(v);
}

static void test_templates(void **state)
{
	(void)state;
	struct lv_val *v = vars_from_yaml(vars_yaml);
	char *out = NULL, *why = NULL;
	assert_int_equal(lv_template_render("{{ name }}-{{ n | int + 1 }} {# note #}ok {x}", lookup,
	                                    v, &out, &why),
	                 0);
	assert_string_equal(out, "nano-6 ok {x}");
	free(out);
	assert_int_equal(lv_template_render("{{ x.stdout | quote }}", lookup, v, &out, &why), 0);
	assert_string_equal(out, "'hello world'");
	free(out);
	assert_int_equal(lv_template_render("a {{ missing }}", lookup, v, &out, &why), LV_EINVAL);
	assert_non_null(strstr(why, "'missing' is undefined"));
	free(why);
	why = NULL;
	assert_int_equal(lv_template_render("{% set a = 1 %}", lookup, v, &out, &why), LV_EINVAL);
	assert_non_null(strstr(why, "the Jinja statement {% set %} is not supported"));
	free(why);
	why = NULL;
	assert_int_equal(lv_template_render("{{ name", lookup, v, &out, &why), LV_EINVAL);
	assert_non_null(strstr(why, "unterminated"));
	free(why);
	why = NULL;

	/* a lone expression keeps its type; strings in trees are rendered */
	struct lv_val *in = vars_from_yaml("a: '{{ lst }}'\nb: ['{{ name }}!', 2]\n"), *r = NULL;
	assert_int_equal(lv_template_render_val(in, lookup, v, &r, &why), 0);
	assert_int_equal(lv_val_get(r, "a")->kind, LV_VAL_LIST);
	assert_int_equal(lv_val_get(r, "a")->n, 3);
	assert_string_equal(lv_val_get(r, "b")->items[0]->str, "nano!");
	lv_val_free(r);
	lv_val_free(in);
	lv_val_free(v);
}

static void test_yaml_values(void **state)
{
	(void)state;
	struct lv_val *v =
	    vars_from_yaml("a: yes\nb: 'yes'\nc: 0644\nd: ~\ne: 12\nf: |\n  two\n  lines\n"
	                   "anchor: &x {k: 1}\nalias: *x\n");
	assert_int_equal(lv_val_get(v, "a")->kind, LV_VAL_BOOL);
	assert_int_equal(lv_val_get(v, "b")->kind, LV_VAL_STR);
	assert_string_equal(lv_val_get(v, "c")->str, "0644");
	assert_int_equal(lv_val_get(v, "d")->kind, LV_VAL_NULL);
	assert_int_equal(lv_val_get(v, "e")->i, 12);
	assert_string_equal(lv_val_get(v, "f")->str, "two\nlines\n");
	assert_int_equal(lv_val_get(lv_val_get(v, "alias"), "k")->i, 1);
	assert_int_equal(lv_val_get(v, "e")->line, 5);
	char *json = lv_val_to_json(lv_val_get(v, "anchor"));
	assert_string_equal(json, "{\"k\": 1}");
	free(json);
	lv_val_free(v);

	char *why = NULL;
	assert_null(lv_yaml_parse("a: [1, 2\nb: 3\n", 14, "bad.yml", &why));
	assert_non_null(strstr(why, "bad.yml:"));
	free(why);
}

/* ---- playbooks --------------------------------------------------------- */

static const char good_pb[] = "- name: First\n"                                     /* 1 */
                              "  hosts: [nano, agx]\n"                              /* 2 */
                              "  become: yes\n"                                     /* 3 */
                              "  gather_facts: false\n"                             /* 4 */
                              "  vars: {port: 5000}\n"                              /* 5 */
                              "  tasks:\n"                                          /* 6 */
                              "    - name: Run a command\n"                         /* 7 */
                              "      ansible.builtin.command: echo {{ port }}\n"    /* 8 */
                              "      args: {chdir: /tmp}\n"                         /* 9 */
                              "      register: out\n"                               /* 10 */
                              "      changed_when: false\n"                         /* 11 */
                              "      tags: install, start\n"                        /* 12 */
                              "    - copy: src=a.txt dest=/tmp/a.txt mode=0644\n"   /* 13 */
                              "      when: [out.rc == 0, \"{{ port == 5000 }}\"]\n" /* 14 */
                              "      notify: restart\n"                             /* 15 */
                              "      loop: [1, 2]\n"                                /* 16 */
                              "    - block:\n"                                      /* 17 */
                              "        - shell: exit 1\n"                           /* 18 */
                              "      rescue:\n"                                     /* 19 */
                              "        - debug: msg=rescued\n"                      /* 20 */
                              "      always:\n"                                     /* 21 */
                              "        - debug: {var: out}\n"                       /* 22 */
                              "      when: out is defined\n"                        /* 23 */
                              "  handlers:\n"                                       /* 24 */
                              "    - name: restart\n"                               /* 25 */
                              "      service: name=x state=restarted\n"             /* 26 */
                              "- import_playbook: second.yml\n";                    /* 27 */

static const char second_pb[] = "- hosts: all\n"
                                "  tasks:\n"
                                "    - stat: {path: /etc}\n";

static struct lv_playbook *load_pb(const char *dir, const char *text, char **why)
{
	char *path = lv_test_write(dir, "site.yml", text);
	struct lv_playbook *pb = lv_playbook_load(path, why);
	free(path);
	return pb;
}

static void test_parse_good(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp(), *why = NULL;
	free(lv_test_write(dir, "second.yml", second_pb));
	struct lv_playbook *pb = load_pb(dir, good_pb, &why);
	assert_null(why);
	assert_non_null(pb);
	assert_int_equal(pb->n_plays, 2);
	const struct lv_play *p = pb->plays[0];
	assert_string_equal(p->name, "First");
	assert_string_equal(p->hosts, "nano:agx");
	assert_true(p->become);
	assert_int_equal(lv_val_get(p->vars, "port")->i, 5000);
	assert_int_equal(p->tasks.n, 3);
	const struct lv_task *t = p->tasks.v[0];
	assert_string_equal(t->module, "command");
	assert_string_equal(lv_val_text(lv_val_get(t->args, "_raw_params")), "echo {{ port }}");
	assert_string_equal(lv_val_text(lv_val_get(t->args, "chdir")), "/tmp");
	assert_string_equal(t->register_name, "out");
	assert_non_null(t->changed_when);
	assert_int_equal(t->n_tags, 2);
	assert_string_equal(t->tags[1], "start");
	assert_int_equal(t->line, 7);
	t = p->tasks.v[1];
	assert_string_equal(t->module, "copy");
	assert_string_equal(lv_task_display_name(t), "copy");
	assert_string_equal(lv_val_text(lv_val_get(t->args, "dest")), "/tmp/a.txt");
	assert_string_equal(lv_val_text(lv_val_get(t->args, "mode")), "0644");
	assert_string_equal(lv_expr_text(t->when), "(out.rc == 0) and ( port == 5000 )");
	assert_string_equal(t->notify[0], "restart");
	assert_int_equal(t->loop->n, 2);
	assert_string_equal(t->loop_var, "item");
	t = p->tasks.v[2];
	assert_true(t->is_block);
	assert_int_equal(t->block.n, 1);
	assert_int_equal(t->rescue.n, 1);
	assert_int_equal(t->always.n, 1);
	assert_non_null(t->when);
	assert_string_equal(t->block.v[0]->module, "shell");
	assert_int_equal(p->handlers.n, 1);
	assert_string_equal(p->handlers.v[0]->module, "service");
	assert_string_equal(pb->plays[1]->hosts, "all");
	assert_non_null(strstr(pb->plays[1]->file, "second.yml"));
	/* no gather_facts: Ansible's default gathers, as the first task */
	assert_true(pb->plays[1]->gather_facts);
	assert_string_equal(pb->plays[1]->tasks.v[0]->name, "Gathering Facts");
	assert_string_equal(pb->plays[1]->tasks.v[0]->module, "setup");
	assert_int_equal(pb->plays[1]->tasks.v[1]->line, 3);
	assert_int_equal(lv_runner_validate(pb, &why), 0);
	assert_null(why);
	lv_playbook_free(pb);
	lv_test_rmtree(dir);
	free(dir);
}

/* The playbook must fail to load (or validate) with an error containing `needle`. */
static void expect_error(const char *text, const char *needle)
{
	char *dir = lv_test_mkdtemp(), *why = NULL;
	struct lv_playbook *pb = load_pb(dir, text, &why);
	if (pb && lv_runner_validate(pb, &why) == 0)
		fail_msg("'%s' was accepted", text);
	lv_playbook_free(pb);
	char *want = lv_xasprintf("%s/site.yml%s", dir, needle);
	if (!why || !strstr(why, want))
		fail_msg("error '%s' lacks '%s'", why ? why : "(none)", want);
	free(want);
	free(why);
	lv_test_rmtree(dir);
	free(dir);
}

static void test_malformed(void **state)
{
	(void)state;
	expect_error("- hosts: all\n  tasks:\n    - name: x\n      frobnicate: {a: 1}\n",
	             ":3: unknown module 'frobnicate' in task 'x'");
	expect_error("- hosts: all\n  tasks:\n    - ansible.builtin.nope: x\n",
	             ":3: unknown module 'nope'");
	expect_error("- hosts: all\n  tasks:\n    - name: only a name\n",
	             ":3: no module/action detected in task");
	expect_error("- hosts: all\n  tasks:\n    - command: a\n      shell: b\n",
	             ":4: conflicting action statements: command, shell");
	expect_error("- hosts: all\n  tasks:\n    - command: a\n      async: 10\n",
	             ":4: task keyword 'async' is not supported");
	expect_error("- hosts: all\n  tasks:\n\n    - command: a\n      when: x ==\n",
	             ":5: when: expression 'x ==': expected a value");
	expect_error("- name: no hosts\n  tasks: []\n", ":1: the play has no 'hosts'");
	expect_error("- hosts: all\n  roles: [x]\n", ":2: play keyword 'roles' is not supported");
	expect_error("- hosts: all\n  bogus: 1\n", ":2: unknown play keyword 'bogus'");
	expect_error("- hosts: all\n  tasks:\n  - copy: {src: a}\n",
	             ":3: task 'copy': copy: missing required argument 'dest'");
	expect_error("- hosts: all\n  tasks:\n  - file: {path: /x, state: gone}\n",
	             ":3: task 'file': file: state 'gone' is not supported");
	expect_error("- hosts: all\n  tasks:\n  - command: a\n    loop: [1]\n"
	             "    loop_control: {index_var: i}\n",
	             ":5: loop_control: 'index_var' is not supported (loop_var and label are)");
	expect_error("- hosts: all\n  tasks:\n  - command: a\n    loop: [1]\n"
	             "    loop_control: {label: '{{ item'}\n",
	             ":5: loop_control: label: ");
	expect_error("- hosts: all\n  tasks:\n  - stat: {path: /x, checksum_algorithm: sha3}\n",
	             ":3: task 'stat': stat: checksum_algorithm 'sha3' is not one of md5, sha1, "
	             "sha224, sha256, sha384, sha512");
	expect_error("- hosts: all\n  tasks:\n  - command: a\n    notify: nobody\n",
	             ":3: task 'command': notify: no handler 'nobody'");
	expect_error("- hosts: all\n  tasks:\n  - command: a\n    delegate_to: other\n",
	             ":3: task 'command': delegate_to 'other': only localhost");
	expect_error("- hosts: all\n  tasks:\n  - command: a\n   bad indent: [\n", ":4:");
	expect_error("hosts: all\n", ":1: a playbook must be a list of plays");
	expect_error("- import_playbook: site.yml\n", ":1: import_playbook nested deeper");
	expect_error("- hosts: all\n  tasks:\n  - command: a\n    register: [x]\n",
	             ":4: register: expected a variable name");
}

/* ---- bounds ------------------------------------------------------------ */

/* Loads the playbook at `arg`; returns the error, or "ok N" with the play count. */
static char *load_path(const void *arg)
{
	char *why = NULL;
	struct lv_playbook *pb = lv_playbook_load(arg, &why);
	if (!pb)
		return why ? why : lv_xstrdup("error without a message");
	char *ok = lv_xasprintf("ok %zu", pb->n_plays);
	lv_playbook_free(pb);
	return ok;
}

/* Writes `text` as dir/site.yml, loads it in a child; the message must hold `needle`. */
static void expect_site(const char *dir, const char *text, const char *needle)
{
	char *path = lv_test_write(dir, "site.yml", text);
	char *got = lv_test_in_child(load_path, path, 10);
	if (!strstr(got, needle))
		fail_msg("'%.300s' lacks '%s'", got, needle);
	free(got);
	free(path);
}

/* Issue 21: `import_playbook: /dev/zero` ended in an out-of-memory abort. */
static void test_bounded_files(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp();
	char *fifo = lv_path_join(dir, "fifo.yml"), *big = lv_path_join(dir, "big.yml");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	int fd = open(big, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, ((off_t)16 << 20) + 1), 0);
	close(fd);
	free(lv_test_write(dir, "vars.yml", "v: 1\n"));

	expect_site(dir, "- import_playbook: /dev/zero\n",
	            "site.yml:1: import_playbook: /dev/zero: not a regular file (a character "
	            "device); only regular files are read");
	expect_site(dir, "- import_playbook: fifo.yml\n", "site.yml:1: import_playbook: ");
	expect_site(dir, "- import_playbook: fifo.yml\n", "fifo.yml: not a regular file (a FIFO)");
	expect_site(dir, "- import_playbook: .\n", ": not a regular file (a directory)");
	expect_site(dir, "- import_playbook: big.yml\n",
	            "big.yml: 16777217 bytes, more than the limit of 16 MiB");
	expect_site(dir, "- hosts: all\n  vars_files: [vars.yml, /dev/zero]\n",
	            "site.yml:2: vars_files: /dev/zero: not a regular file");
	char *got = lv_test_in_child(load_path, "/dev/zero", 10);
	assert_non_null(strstr(got, "/dev/zero: not a regular file"));
	free(got);

	free(fifo);
	free(big);
	lv_test_rmtree(dir);
	free(dir);
}

static void test_import_bounds(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp();
	/* a cycle through another file, and one through a second name for the file */
	free(lv_test_write(dir, "b.yml", "- import_playbook: site.yml\n"));
	char *want = lv_xasprintf("%s/b.yml:1: import_playbook nested deeper without end, a "
	                          "cycle: %s/site.yml -> %s/b.yml -> %s/site.yml",
	                          dir, dir, dir, dir);
	expect_site(dir, "- import_playbook: b.yml\n", want);
	free(want);
	char *link = lv_path_join(dir, "same.yml"), *site = lv_path_join(dir, "site.yml");
	assert_int_equal(symlink(site, link), 0);
	expect_site(dir, "- hosts: all\n- import_playbook: same.yml\n",
	            "site.yml:2: import_playbook nested deeper without end, a cycle");
	/* d0.yml imports d1.yml ... imports d17.yml, no cycle: the depth bound */
	for (int i = 0; i < 17; i++) {
		char name[24], *text = lv_xasprintf("- import_playbook: d%d.yml\n", i + 1);
		snprintf(name, sizeof name, "d%d.yml", i);
		free(lv_test_write(dir, name, text));
		free(text);
	}
	free(lv_test_write(dir, "d17.yml", "- hosts: all\n"));
	expect_site(dir, "- import_playbook: d0.yml\n", "import_playbook nested deeper than 16");
	/* 16 deep is fine: site.yml, then d2.yml (1) ... d17.yml (16) */
	expect_site(dir, "- import_playbook: d2.yml\n", "ok 1");
	expect_site(dir, "- import_playbook: d1.yml\n",
	            "d16.yml:1: import_playbook nested deeper than 16");
	/* each file imports the next twice, 16 deep: 2^16 loads without a count */
	for (int i = 0; i < 15; i++) {
		char name[24], *text = lv_xasprintf("- import_playbook: f%d.yml\n"
		                                    "- import_playbook: f%d.yml\n",
		                                    i + 1, i + 1);
		snprintf(name, sizeof name, "f%d.yml", i);
		free(lv_test_write(dir, name, text));
		free(text);
	}
	free(lv_test_write(dir, "f15.yml", "- hosts: all\n"));
	expect_site(dir, "- import_playbook: f0.yml\n",
	            "import_playbook: more than 256 files read in all (playbooks and vars_files)");
	free(link);
	free(site);
	lv_test_rmtree(dir);
	free(dir);
}

/* Nine levels of ten aliases each: 10^9 values when copied. */
static char *laughs(const void *arg)
{
	(void)arg;
	char *text = lv_xstrdup("a0: &a0 [x]\n");
	for (int i = 1; i <= 9; i++) {
		char *next = lv_xasprintf("%sa%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, "
		                          "*a%d, *a%d, *a%d]\n",
		                          text, i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1,
		                          i - 1, i - 1, i - 1, i - 1);
		free(text);
		text = next;
	}
	char *why = NULL;
	struct lv_val *v = lv_yaml_parse(text, strlen(text), "laughs.yml", &why);
	free(text);
	lv_val_free(v);
	return v ? lv_xstrdup("accepted") : why;
}

static void test_yaml_aliases_bounded(void **state)
{
	(void)state;
	char *got = lv_test_in_child(laughs, NULL, 10);
	if (!strstr(got, "laughs.yml:") ||
	    !strstr(got, "aliases expand to more than 100000 values beyond the document's own"))
		fail_msg("'%s'", got);
	free(got);
}

/* 200,000 keys set, replaced and found: quadratic before (2 * 10^10 compares). */
static char *big_map(const void *arg)
{
	(void)arg;
	struct lv_val *m = lv_val_new_map();
	char key[32];
	for (int i = 0; i < 200000; i++) {
		snprintf(key, sizeof key, "k%d", i);
		lv_val_set_int(m, key, i);
	}
	for (int i = 0; i < 200000; i += 2) {
		snprintf(key, sizeof key, "k%d", i);
		lv_val_set_int(m, key, -i);
	}
	long long sum = 0;
	for (int i = 0; i < 200000; i++) {
		snprintf(key, sizeof key, "k%d", i);
		sum += lv_val_get(m, key)->i;
	}
	struct lv_val *d = lv_val_dup(m);
	char *out = lv_xasprintf("%zu %lld %s %s %d", m->n, sum, m->keys[0], m->keys[199999],
	                         lv_val_get(d, "k1") && !lv_val_get(d, "k200000"));
	lv_val_free(d);
	lv_val_free(m);
	return out;
}

static void test_map_large(void **state)
{
	(void)state;
	char *got = lv_test_in_child(big_map, NULL, 20);
	/* odd keys keep i, even ones were replaced by -i: each pair adds 1 */
	assert_string_equal(got, "200000 100000 k0 k199999 1");
	free(got);
	/* a small map keeps its order and replaces in place, below and across 16 keys */
	struct lv_val *m = lv_val_new_map();
	char key[16];
	for (int i = 0; i < 20; i++) {
		snprintf(key, sizeof key, "%c", 'a' + i);
		lv_val_set_int(m, key, i);
		lv_val_set_int(m, "a", 100 + i);
	}
	assert_int_equal(m->n, 20);
	assert_int_equal(lv_val_get(m, "a")->i, 119);
	assert_string_equal(m->keys[19], "t");
	char *json = lv_val_to_json(m);
	assert_non_null(strstr(json, "{\"a\": 119, \"b\": 1, "));
	free(json);
	lv_val_free(m);
}

/* The same playbook from memory: named as a file, imports read beside it. */
static void test_parse_from_memory(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp(), *why = NULL;
	free(lv_test_write(dir, "second.yml", second_pb));
	char *name = lv_path_join(dir, "site.yml");
	struct lv_playbook *pb = lv_playbook_parse(good_pb, strlen(good_pb), name, &why);
	assert_null(why);
	assert_non_null(pb);
	assert_int_equal(pb->n_plays, 2);
	assert_string_equal(pb->plays[0]->file, name);
	assert_non_null(strstr(pb->plays[1]->file, "second.yml"));
	lv_playbook_free(pb);
	pb = lv_playbook_parse("- hosts: all\n  bogus: 1\n", 24, name, &why);
	assert_null(pb);
	char *want = lv_xasprintf("%s:2: unknown play keyword 'bogus'", name);
	assert_string_equal(why, want);
	free(want);
	free(why);
	free(name);
	lv_test_rmtree(dir);
	free(dir);
}

/* -e key=value text, split as Ansible splits it: quotes group a value's blanks. */
static void test_extra_vars(void **state)
{
	(void)state;
	char *why = NULL;
	struct lv_val *v = lv_val_new_map();
	assert_int_equal(
	    lv_runner_parse_extra_vars("msg='two words' g=\"hi there\" p=a=b n=3", v, &why), 0);
	assert_string_equal(lv_val_text(lv_val_get(v, "msg")), "two words");
	assert_string_equal(lv_val_text(lv_val_get(v, "g")), "hi there");
	assert_string_equal(lv_val_text(lv_val_get(v, "p")), "a=b");
	/* values from key=value are strings, as Ansible's */
	assert_int_equal(lv_val_get(v, "n")->kind, LV_VAL_STR);
	assert_int_equal(lv_runner_parse_extra_vars("a='open b=1", v, &why), LV_EINVAL);
	assert_string_equal(why, "-e: a quote is left open in \"a='open b=1\"");
	free(why);
	why = NULL;
	assert_int_equal(lv_runner_parse_extra_vars("a=1 novalue", v, &why), LV_EINVAL);
	assert_string_equal(why, "-e: expected key=value, got 'novalue'");
	free(why);
	/* nothing of a refused text is merged */
	assert_null(lv_val_get(v, "b"));
	assert_null(lv_val_get(v, "a"));
	lv_val_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_when_true_and_false),
		cmocka_unit_test(test_extra_vars),
		cmocka_unit_test(test_when_errors),
		cmocka_unit_test(test_expr_bounds),
		cmocka_unit_test(test_templates),
		cmocka_unit_test(test_yaml_values),
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_bounded_files),
		cmocka_unit_test(test_import_bounds),
		cmocka_unit_test(test_yaml_aliases_bounded),
		cmocka_unit_test(test_parse_from_memory),
		cmocka_unit_test(test_map_large),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
