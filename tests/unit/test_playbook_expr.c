/*
 * test_playbook_expr: issue 20's expressions — Python regular expressions
 * (pyre.c over PCRE2: re.search/re.match/re.sub semantics, replacement
 * templates, Python-only spellings), the regex filters and tests, the
 * collection filters (dict2items, items2dict, sort, selectattr, rejectattr,
 * map, ...), range(), keyword arguments, Jinja statements in templates
 * ({% if %}, {% for %}), and what is refused when the playbook loads: an
 * unknown filter, test or function, a bad regular expression, an unknown
 * statement — each naming file:line.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy/playbook.h"
#include "deploy/pyre.h"
#include "deploy/runner.h"
#include "base/util.h"

static int lookup(void *ud, const char *name, struct lv_val **out, char **why)
{
	(void)why;
	*out = lv_val_dup(lv_val_get(ud, name));
	return 0;
}

static struct lv_val *yaml(const char *text)
{
	char *why = NULL;
	struct lv_val *v = lv_yaml_parse(text, strlen(text), "vars", &why);
	assert_null(why);
	return v;
}

static const char vars_yaml[] =
    "conf: \"v=1\\nname=x\\n\"\n"
    "ver: 'L4T R35.4.1'\n"
    "d: {b: 2, a: 1}\n"
    "users: [{name: bob, admin: true, uid: 3}, {name: Al, admin: false, uid: 1},"
    " {name: cy, uid: 2}]\n"
    "words: [pear, Apple, fig]\n"
    "nums: [3, 10, 2]\n";

/* Renders `tpl` against vars_yaml; returns the text (caller frees) or NULL with *why. */
static char *render(const char *tpl, char **why)
{
	struct lv_val *v = yaml(vars_yaml);
	char *out = NULL;
	if (lv_template_render(tpl, lookup, v, &out, why))
		out = NULL;
	lv_val_free(v);
	return out;
}

static void expect(const char *tpl, const char *want)
{
	char *why = NULL, *out = render(tpl, &why);
	if (!out || strcmp(out, want))
		fail_msg("%s\n  gave %s\n  want %s", tpl, out ? out : why, want);
	free(out);
	free(why);
}

static void test_pyre(void **state)
{
	(void)state;
	char *why = NULL, *out = NULL;
	struct lv_pyre *re = lv_pyre_new("^v=\\d+", 0, &why);
	assert_non_null(re);
	assert_true(lv_pyre_search(re, "v=12", 4, false, NULL, NULL, NULL, NULL));
	assert_false(lv_pyre_search(re, "x v=12", 6, false, NULL, NULL, NULL, NULL));
	lv_pyre_free(re);
	/* search is not anchored, match is */
	re = lv_pyre_new("\\s(?P<n>\\d+)\\Z", 0, &why);
	size_t b = 0, e = 0;
	assert_true(lv_pyre_search(re, "a 42", 4, false, &b, &e, NULL, NULL));
	assert_int_equal(b, 1);
	assert_int_equal(e, 4);
	assert_false(lv_pyre_search(re, "a 42", 4, true, NULL, NULL, NULL, NULL));
	/* \Z is Python's end of text: no match before a final newline */
	assert_false(lv_pyre_search(re, "a 42\n", 5, false, NULL, NULL, NULL, NULL));
	assert_int_equal(lv_pyre_sub(re, "a 42", "<\\g<n>|\\1|\\g<0>>", 0, &out, &why), 0);
	assert_string_equal(out, "a<42|42| 42>");
	free(out);
	assert_int_equal(lv_pyre_sub(re, "a 42", "\\2", 0, &out, &why), LV_EINVAL);
	assert_non_null(strstr(why, "no such group"));
	free(why);
	why = NULL;
	assert_int_equal(lv_pyre_check_repl(re, "\\q", &why), LV_EINVAL);
	assert_non_null(strstr(why, "bad escape"));
	free(why);
	why = NULL;
	lv_pyre_free(re);
	/* empty matches next to a previous match are replaced too (Python 3.7+) */
	re = lv_pyre_new("x*", 0, &why);
	assert_int_equal(lv_pyre_sub(re, "abxd", "-", 0, &out, &why), 0);
	assert_string_equal(out, "-a-b--d-");
	free(out);
	lv_pyre_free(re);
	/* lookarounds, lazy quantifiers, Unicode digits, \u escapes */
	re = lv_pyre_new("(?<=a)b+?(?!c)\\u00e9", LV_PYRE_ICASE, &why);
	assert_non_null(re);
	assert_true(lv_pyre_search(re, "ABB\xc3\xa9", 5, false, NULL, NULL, NULL, NULL));
	lv_pyre_free(re);
	/* invalid UTF-8 in a subject is no error */
	re = lv_pyre_new("\\d", 0, &why);
	assert_true(lv_pyre_search(re, "\xff\xfe 7", 4, false, NULL, NULL, NULL, NULL));
	lv_pyre_free(re);
	/* errors name the pattern and the offset */
	assert_null(lv_pyre_new("a(b", 0, &why));
	assert_non_null(strstr(why, "regular expression 'a(b'"));
	assert_non_null(strstr(why, "offset 3"));
	free(why);
}

static void test_regex_filters_and_tests(void **state)
{
	(void)state;
	expect("{{ conf | regex_replace('^v=\\d+', 'v=2', multiline=True) }}", "v=2\nname=x\n");
	expect("{{ 'abc' | regex_replace('(b)', '[\\\\1]') }}", "a[b]c");
	expect("{{ 'aaa' | regex_replace('a', 'b', count=2) }}", "bba");
	expect("{{ 'ABC' | regex_replace('b', 'x', ignorecase=true) }}", "AxC");
	expect("{{ ver | regex_search('R\\d+\\.\\d+') }}", "R35.4");
	expect("{{ ver | regex_search('R(\\d+)\\.(?P<minor>\\d+)', '\\\\1', '\\\\g<minor>') }}",
	       "[\"35\", \"4\"]");
	expect("{{ ver | regex_search('nothing') is none }}", "True");
	expect("{{ 'a1b22' | regex_findall('\\d+') }}", "[\"1\", \"22\"]");
	expect("{{ 'k=1 j=2' | regex_findall('(\\w)=(\\d)') }}",
	       "[[\"k\", \"1\"], [\"j\", \"2\"]]");
	expect("{{ 'a.b*c' | regex_escape }}", "a\\.b\\*c");
	expect("{{ ver is match('L4T') }} {{ ver is match('R35') }} {{ ver is search('R35') }}",
	       "True False True");
	expect("{{ ver is regex('r\\d+', ignorecase=true) }} {{ ver is not search('^R') }}",
	       "True True");
	expect("{{ 'a-b-c' | replace('-', '+') }} {{ 'a,b' | split(',') | last }}", "a+b+c b");
}

static void test_collection_filters(void **state)
{
	(void)state;
	expect("{{ d | dict2items }}",
	       "[{\"key\": \"b\", \"value\": 2}, {\"key\": \"a\", \"value\": 1}]");
	expect("{{ d | dict2items(key_name='k', value_name='v') | items2dict(key_name='k', "
	       "value_name='v') }}",
	       "{\"b\": 2, \"a\": 1}");
	expect("{{ words | sort }} {{ words | sort(case_sensitive=true) }}",
	       "[\"Apple\", \"fig\", \"pear\"] [\"Apple\", \"fig\", \"pear\"]");
	expect("{{ nums | sort }} {{ nums | sort(reverse=true) | first }}", "[2, 3, 10] 10");
	expect("{{ users | sort(attribute='uid') | map(attribute='name') | join(',') }}",
	       "Al,cy,bob");
	expect("{{ users | selectattr('admin') | map(attribute='name') | list }}", "[\"bob\"]");
	expect("{{ users | rejectattr('admin') | map(attribute='name') | join(' ') }}", "Al cy");
	expect("{{ users | selectattr('admin', 'defined') | length }}", "2");
	expect("{{ users | selectattr('name', 'equalto', 'cy') | map(attribute='uid') | first }}",
	       "2");
	expect("{{ users | selectattr('name', 'match', '^[a-z]') | length }}", "2");
	expect("{{ users | map(attribute='admin', default='?') | join(',') }}", "True,False,?");
	expect("{{ words | map('upper') | join(',') }}", "PEAR,APPLE,FIG");
	expect("{{ nums | select('equalto', 3) | list }} {{ nums | reject('in', [3]) | list }}",
	       "[3] [10, 2]");
	expect("{{ nums | max }} {{ nums | min }} {{ nums | sum }}", "10 2 15");
	expect("{{ [1, [2, [3]]] | flatten }} {{ [1, 1, 2] | unique }}", "[1, 2, 3] [1, 2]");
	expect("{{ d | combine({'c': 3}) }}", "{\"b\": 2, \"a\": 1, \"c\": 3}");
	expect("{{ range(3) | list }} {{ range(1, 7, 2) | join('') }} {{ range(3, 0, -1) | list }}",
	       "[0, 1, 2] 135 [3, 2, 1]");
	char *why = NULL;
	assert_null(render("{{ nums | dict2items }}", &why));
	assert_non_null(strstr(why, "dict2items requires a dictionary"));
	free(why);
}

static void test_statements(void **state)
{
	(void)state;
	expect("{% if nums | length > 2 %}many{% else %}few{% endif %}", "many");
	expect("{% if missing is defined %}a{% elif d.a == 1 %}b{% else %}c{% endif %}", "b");
	expect("{% for u in users %}{{ loop.index }}:{{ u.name }}{% if not loop.last %},"
	       "{% endif %}{% endfor %}",
	       "1:bob,2:Al,3:cy");
}

/* trim_blocks, as Ansible's template module: the newline after a statement goes. */
static void test_statement_whitespace(void **state)
{
	(void)state;
	expect("[x]\n{% for w in words %}\n{{ w }}\n{% endfor %}\nend\n",
	       "[x]\npear\nApple\nfig\nend\n");
	expect("a  {%- if true -%}  b  {%- endif %}\nc", "abc");
	expect("{% for k, v in d %}{{ k }}={{ v }};{% endfor %}", "b=2;a=1;");
	expect("{% for x in [] %}x{% else %}empty{% endfor %}", "empty");
	expect("{# a comment #}\nline\n", "line\n");
}

static void test_refused(void **state)
{
	(void)state;
	static const struct {
		const char *tpl, *needle;
	} bad[] = {
		{ "{{ x | to_nice_yaml }}", "unknown filter" },
		{ "{{ x is versionish }}", "unknown test" },
		{ "{{ lookup('env', 'HOME') }}", "unknown function" },
		{ "{{ x | regex_replace('a(', 'b') }}", "regular expression 'a('" },
		{ "{{ x | regex_replace('(a)', '\\\\2') }}", "no such group" },
		{ "{{ x | selectattr('a', 'nosuchtest') }}", "unknown test 'nosuchtest'" },
		{ "{{ x | map('nosuchfilter') }}", "unknown filter 'nosuchfilter'" },
		{ "{% set a = 1 %}", "the Jinja statement {% set %} is not supported" },
		{ "{% for x in l %}{% %}{% endfor %}",
		  "the Jinja statement {%  %} is not supported" },
		{ "{% if x %}a", "{% if %} without {% endif %}" },
		{ "{% endfor %}", "{% endfor %} without its opening statement" },
		{ "{% for in x %}{% endfor %}", "expected 'for NAME in EXPRESSION'" },
		{ "{{ f(k=1, 2) }}", "unknown function" },
		{ "{{ x | sort(reverse=true, 1) }}", "positional argument after a keyword" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *why = NULL;
		if (lv_template_check(bad[i].tpl, &why) == 0)
			fail_msg("%s: accepted", bad[i].tpl);
		if (!strstr(why, bad[i].needle))
			fail_msg("%s: '%s' lacks '%s'", bad[i].tpl, why, bad[i].needle);
		if (strstr(why, "%%"))
			fail_msg("%s: a doubled %% in '%s'", bad[i].tpl, why);
		free(why);
	}
}

/* A playbook with a refused expression anywhere in a task fails to load, naming file:line. */
static void test_refused_at_load(void **state)
{
	(void)state;
	static const struct {
		const char *task, *needle;
	} bad[] = {
		{ "    - debug: {msg: \"{{ 1 | nosuch }}\"}\n",
		  "site.yml:4: debug.msg: template '{{ 1 | nosuch }}': expression ' 1 | nosuch ': "
		  "unknown filter 'nosuch'" },
		{ "    - name: \"{{ x | nosuch }}\"\n      ping:\n", "site.yml:4: name:" },
		{ "    - command: echo {{ x | regex_search('(') }}\n", "site.yml:4: command:" },
		{ "    - debug: {msg: hi}\n      loop: \"{{ range(3, k=1) | nosuch }}\"\n",
		  "site.yml:5: loop:" },
		{ "    - lineinfile: {path: /x, regexp: 'a(', line: a}\n", "lineinfile: regexp:" },
		{ "    - template: {src: t.j2, dest: /x}\n", "site.yml:4: template src" },
	};
	char *dir = lv_test_mkdtemp();
	free(lv_test_write(dir, "t.j2", "{% for x in y %}no end\n"));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *text =
		    lv_xasprintf("- hosts: all\n  gather_facts: no\n  tasks:\n%s", bad[i].task);
		char *path = lv_test_write(dir, "site.yml", text);
		char *why = NULL;
		struct lv_playbook *pb = lv_playbook_load(path, &why);
		if (pb && lv_runner_validate(pb, &why) == 0)
			fail_msg("task %zu accepted", i);
		if (!strstr(why, bad[i].needle))
			fail_msg("task %zu: '%s' lacks '%s'", i, why, bad[i].needle);
		lv_playbook_free(pb);
		free(why);
		free(path);
		free(text);
	}
	lv_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pyre),
		cmocka_unit_test(test_regex_filters_and_tests),
		cmocka_unit_test(test_collection_filters),
		cmocka_unit_test(test_statements),
		cmocka_unit_test(test_statement_whitespace),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_refused_at_load),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
