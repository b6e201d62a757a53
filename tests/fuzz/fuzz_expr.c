/*
 * fuzz_expr: the playbook expression language (lv_expr_parse and
 * lv_expr_eval in core/deploy) and `{{ }}` templates over arbitrary text.
 * The first line is compiled as an expression and evaluated against a few
 * variables (scalars, a list, nested maps, a registered result); the whole
 * input is rendered as a template. Errors must carry a message.
 */
#include "harness.h"

#include "deploy/playbook.h"

static const char vars_yaml[] =
    "n: 5\nbig: 9223372036854775807\nneg: -3\ns: text\nempty: ''\nl: [1, two, 3]\n"
    "m: {a: {b: 1}, c: [x, y]}\nr: {failed: false, changed: true, rc: 0, stdout: ok}\n"
    "nothing: null\nt: true\npath: /a/b/c.txt\n";

/* Kept for the whole run (reachable, so not a leak). */
static struct lv_val *vars;

static struct lv_val *make_vars(void)
{
	char *why = NULL;
	struct lv_val *v = lv_yaml_parse(vars_yaml, strlen(vars_yaml), "vars", &why);
	fuzz_check(v != NULL, "the harness's variables do not parse");
	return v;
}

static int lookup(void *ud, const char *name, struct lv_val **out, char **why)
{
	(void)ud;
	(void)why;
	*out = lv_val_dup(lv_val_get(vars, name));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!vars)
		vars = make_vars();
	char *text = fuzz_text(data, size), *why = NULL;
	char *nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
	struct lv_expr *e = lv_expr_parse(text, &why);
	if (!e) {
		fuzz_check(why != NULL, "lv_expr_parse failed without a message");
	} else {
		struct lv_val *v = NULL;
		int rc = lv_expr_eval(e, lookup, NULL, &v, &why);
		fuzz_check(rc == 0 ? v != NULL : why != NULL, "eval: no value and no message");
		if (v) {
			free(lv_val_to_text(v));
			free(lv_val_to_json(v));
		}
		lv_val_free(v);
		lv_expr_free(e);
	}
	free(why);
	why = NULL;
	if (nl)
		*nl = '\n';
	char *out = NULL;
	if (lv_template_render(text, lookup, NULL, &out, &why))
		fuzz_check(why != NULL, "template: failed without a message");
	free(out);
	free(why);
	free(text);
	return 0;
}
