/*
 * playbook_parse: YAML trees (playbook_yaml.c) to tasks — the keywords
 * Ansible defines for tasks, blocks and handlers, checked strictly. A keyword
 * we know Ansible has but do not implement (async, local_action, ...) is an
 * error naming file:line, never silently ignored; any other key of a task
 * names its module, which the runner checks against its registry. Plays and
 * files are read in playbook.c.
 *
 * Expressions (when, changed_when, failed_when, until) are compiled here, so a
 * syntax error stops the run before any host is touched.
 */
#include "playbook.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "playbook_parse.h"
#include "readfile.h"
#include "base/file.h"
#include "base/util.h"

int lv_pb_err(struct lv_pctx *c, const struct lv_val *at, const char *fmt, const char *a,
              const char *b)
{
	char *msg = lv_xasprintf(fmt, a ? a : "", b ? b : "");
	lv_fail(c->why, LV_EINVAL, "%s:%d: %s", c->file, at ? at->line : 0, msg);
	free(msg);
	return LV_EINVAL;
}

static const char *const task_unsupported[] = { "async",
	                                        "poll",
	                                        "environment",
	                                        "delegate_facts",
	                                        "local_action",
	                                        "with_dict",
	                                        "with_fileglob",
	                                        "with_together",
	                                        "with_nested",
	                                        "with_subelements",
	                                        "with_sequence",
	                                        "any_errors_fatal",
	                                        "throttle",
	                                        "timeout",
	                                        "diff",
	                                        "collections",
	                                        "module_defaults",
	                                        "ignore_unreachable",
	                                        "vars_prompt",
	                                        "action",
	                                        NULL };
bool lv_pb_in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

/* A string or a list of strings (a string may be comma-separated when `split`). */
int lv_pb_str_list(struct lv_pctx *c, const struct lv_val *v, const char *key, bool split,
                   char ***out, size_t *n)
{
	if (v->kind == LV_VAL_LIST) {
		for (size_t i = 0; i < v->n; i++) {
			if (!v->items[i]->str)
				return lv_pb_err(c, v->items[i], "%s: expected a list of strings%s",
				                 key, NULL);
			*out = lv_xrealloc(*out, (*n + 1) * sizeof **out);
			(*out)[(*n)++] = lv_xstrdup(v->items[i]->str);
		}
		return 0;
	}
	if (!v->str || v->kind == LV_VAL_NULL)
		return lv_pb_err(c, v, "%s: expected a string or a list%s", key, NULL);
	const char *p = v->str;
	while (*p) {
		const char *e = split ? strchr(p, ',') : NULL;
		if (!e)
			e = p + strlen(p);
		const char *b = p;
		while (b < e && isspace((unsigned char)*b))
			b++;
		const char *t = e;
		while (t > b && isspace((unsigned char)t[-1]))
			t--;
		if (t > b) {
			*out = lv_xrealloc(*out, (*n + 1) * sizeof **out);
			(*out)[(*n)++] = lv_xasprintf("%.*s", (int)(t - b), b);
		}
		p = *e ? e + 1 : e;
	}
	return 0;
}

/* Strips a whole-string "{{ ... }}" (Ansible accepts it in when with a warning). */
static char *bare_condition(const char *s)
{
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	while (isspace((unsigned char)*s))
		s++, n--;
	if (n >= 4 && !strncmp(s, "{{", 2) && !strncmp(s + n - 2, "}}", 2))
		return lv_xasprintf("%.*s", (int)(n - 4), s + 2);
	return lv_xasprintf("%.*s", (int)n, s);
}

/* A condition: a bool, a string, or a list of them (all must hold). */
static int condition(struct lv_pctx *c, const struct lv_val *v, const char *key,
                     struct lv_expr **out)
{
	char *text = NULL;
	if (v->kind == LV_VAL_LIST) {
		text = lv_xstrdup("");
		for (size_t i = 0; i < v->n; i++) {
			if (!v->items[i]->str) {
				free(text);
				return lv_pb_err(c, v->items[i], "%s: expected conditions%s", key,
				                 NULL);
			}
			char *one = bare_condition(v->items[i]->str);
			char *next = lv_xasprintf("%s%s(%s)", text, i ? " and " : "", one);
			free(one);
			free(text);
			text = next;
		}
	} else if (v->kind == LV_VAL_BOOL) {
		text = lv_xstrdup(v->i ? "True" : "False");
	} else if (v->str && v->kind != LV_VAL_NULL) {
		text = bare_condition(v->str);
	} else {
		return lv_pb_err(c, v, "%s: expected a condition%s", key, NULL);
	}
	char *why = NULL;
	*out = lv_expr_parse(text[0] ? text : "True", &why);
	free(text);
	if (!*out) {
		lv_pb_err(c, v, "%s: %s", key, why);
		free(why);
		return LV_EINVAL;
	}
	return 0;
}

/* Legacy "k=v k2='v 2'" module arguments. */
static struct lv_val *kv_args(const char *s)
{
	struct lv_val *m = lv_val_new_map();
	char *raw = NULL;
	while (*s) {
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		const char *eq = NULL, *p = s;
		char *word = lv_xmalloc(strlen(s) + 1), *w = word;
		char q = 0;
		for (; *p && (q || !isspace((unsigned char)*p)); p++) {
			if (q && *p == q)
				q = 0;
			else if (!q && (*p == '"' || *p == '\''))
				q = *p;
			else {
				if (*p == '=' && !eq)
					eq = p;
				*w++ = *p;
			}
		}
		*w = '\0';
		char *weq = strchr(word, '=');
		if (eq && weq && weq != word) {
			*weq = '\0';
			lv_val_set(m, word, lv_val_new_plain(weq + 1));
		} else {
			char *next = lv_xasprintf("%s%s%.*s", raw ? raw : "", raw ? " " : "",
			                          (int)(p - s), s);
			free(raw);
			raw = next;
		}
		free(word);
		s = p;
	}
	if (raw)
		lv_val_set_str(m, "_raw_params", raw);
	free(raw);
	return m;
}

static int module_args(struct lv_pctx *c, struct lv_task *t, const char *key,
                       const struct lv_val *v)
{
	static const char *const prefixes[] = { "ansible.builtin.", "ansible.legacy.", NULL };
	const char *name = key;
	for (const char *const *p = prefixes; *p; p++)
		if (!strncmp(name, *p, strlen(*p)))
			name += strlen(*p);
	t->module = lv_xstrdup(name);
	bool free_form = !strcmp(name, "command") || !strcmp(name, "shell");
	struct lv_val *a = t->args;
	if (v->kind == LV_VAL_MAP) {
		lv_val_merge(a, v);
	} else if (v->kind == LV_VAL_NULL) {
		/* no arguments */
	} else if (v->str && free_form) {
		lv_val_set_str(a, "_raw_params", v->str);
	} else if (v->str) {
		struct lv_val *kv = kv_args(v->str);
		lv_val_merge(a, kv);
		lv_val_free(kv);
	} else {
		return lv_pb_err(c, v, "%s: arguments must be a mapping or a string%s", key, NULL);
	}
	a->line = v->line;
	return 0;
}

int lv_pb_check_templates(struct lv_pctx *c, const struct lv_val *v, const char *what)
{
	if (!v)
		return 0;
	if (v->kind == LV_VAL_STR && lv_template_has_expr(v->str)) {
		char *why = NULL;
		if (lv_template_check(v->str, &why) == 0)
			return 0;
		lv_pb_err(c, v, "%s: %s", what, why);
		free(why);
		return LV_EINVAL;
	}
	for (size_t i = 0; (v->kind == LV_VAL_LIST || v->kind == LV_VAL_MAP) && i < v->n; i++) {
		char *sub = v->kind == LV_VAL_MAP ? lv_xasprintf("%s.%s", what, v->keys[i])
		                                  : lv_xasprintf("%s[%zu]", what, i);
		int rc = lv_pb_check_templates(c, v->items[i], sub);
		free(sub);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * The template module's src, when written without templates and found where
 * the module will look (templates/ beside the playbook, then beside it): its
 * expressions and statements are checked now, not on the first host.
 */
static int check_template_src(struct lv_pctx *c, const struct lv_task *t)
{
	const struct lv_val *src = lv_val_get(t->args, "src");
	if (strcmp(t->module, "template") || !src || !src->str || lv_template_has_expr(src->str))
		return 0;
	char *sub = lv_path_join(c->dir, "templates");
	char *cands[3] = { src->str[0] == '/' ? lv_xstrdup(src->str) : lv_path_join(sub, src->str),
		           src->str[0] == '/' ? NULL : lv_path_join(c->dir, src->str), NULL };
	free(sub);
	int rc = 0;
	for (size_t i = 0; cands[i]; i++) {
		char *rw = NULL, *why = NULL;
		char *text =
		    lv_readfile_bounded(cands[i], LV_READFILE_MAX_TEXT, NULL, NULL, NULL, &rw);
		free(rw);
		if (!text)
			continue;
		if (lv_template_check(text, &why)) {
			lv_pb_err(c, src, "template src %s: %s", cands[i], why);
			rc = LV_EINVAL;
		}
		free(why);
		free(text);
		break;
	}
	free(cands[0]);
	free(cands[1]);
	return rc;
}

static void task_free(struct lv_task *t);

static int task_keyword(struct lv_pctx *c, struct lv_task *t, const char *k, const struct lv_val *v,
                        bool *handled);

static struct lv_task *parse_task(struct lv_pctx *c, const struct lv_val *v)
{
	if (v->kind != LV_VAL_MAP) {
		lv_pb_err(c, v, "a task must be a mapping%s%s", NULL, NULL);
		return NULL;
	}
	struct lv_task *t = lv_xcalloc(1, sizeof *t);
	t->file = c->file;
	t->line = v->line;
	t->become = -1;
	t->check_mode = -1;
	t->retries = 3;
	t->delay_s = 5;
	t->args = lv_val_new_map();
	const char *module_key = NULL;
	const struct lv_val *module_val = NULL;
	for (size_t i = 0; i < v->n; i++) {
		const char *k = v->keys[i];
		bool handled = false;
		if (task_keyword(c, t, k, v->items[i], &handled))
			goto fail;
		if (handled)
			continue;
		if (lv_pb_in_list(k, task_unsupported)) {
			lv_pb_err(c, v->items[i],
			          "task keyword '%s' is not supported by loudva setup%s", k, NULL);
			goto fail;
		}
		if (module_key) {
			lv_pb_err(c, v->items[i], "conflicting action statements: %s, %s",
			          module_key, k);
			goto fail;
		}
		module_key = k;
		module_val = v->items[i];
	}
	if (t->is_block && module_key) {
		lv_pb_err(c, module_val, "a block cannot also run a module ('%s')%s", module_key,
		          NULL);
		goto fail;
	}
	if (!t->is_block && !module_key) {
		lv_pb_err(c, v, "no module/action detected in task%s%s", NULL, NULL);
		goto fail;
	}
	if (module_key && module_args(c, t, module_key, module_val))
		goto fail;
	/* every template the task holds compiles, before any host is touched */
	if (lv_pb_check_templates(c, module_val, module_key ? module_key : "block") ||
	    lv_pb_check_templates(c, lv_val_get(v, "args"), "args") ||
	    lv_pb_check_templates(c, lv_val_get(v, "name"), "name") ||
	    lv_pb_check_templates(c, lv_val_get(v, "vars"), "vars") ||
	    lv_pb_check_templates(c, lv_val_get(v, "loop"), "loop") ||
	    lv_pb_check_templates(c, lv_val_get(v, "with_items"), "with_items") ||
	    lv_pb_check_templates(c, lv_val_get(v, "become_user"), "become_user") ||
	    lv_pb_check_templates(c, lv_val_get(v, "delegate_to"), "delegate_to") ||
	    (module_key && check_template_src(c, t)))
		goto fail;
	if (!t->loop_var)
		t->loop_var = lv_xstrdup("item");
	return t;
fail:
	task_free(t);
	return NULL;
}

/* Handles the keyword `k` of a task when it is one; sets *handled. */
static int task_keyword(struct lv_pctx *c, struct lv_task *t, const char *k, const struct lv_val *v,
                        bool *handled)
{
	*handled = true;
	if (!strcmp(k, "name")) {
		free(t->name);
		t->name = lv_val_to_text(v);
	} else if (!strcmp(k, "when")) {
		return condition(c, v, k, &t->when);
	} else if (!strcmp(k, "changed_when")) {
		return condition(c, v, k, &t->changed_when);
	} else if (!strcmp(k, "failed_when")) {
		return condition(c, v, k, &t->failed_when);
	} else if (!strcmp(k, "until")) {
		return condition(c, v, k, &t->until);
	} else if (!strcmp(k, "retries") || !strcmp(k, "delay")) {
		long long n;
		if (!lv_val_as_int(v, &n) || n < 0 || n > 100000)
			return lv_pb_err(c, v, "%s: expected a non-negative integer%s", k, NULL);
		if (k[0] == 'r')
			t->retries = (int)n;
		else
			t->delay_s = (double)n;
	} else if (!strcmp(k, "register")) {
		if (v->kind != LV_VAL_STR || !v->str[0])
			return lv_pb_err(c, v, "register: expected a variable name%s%s", NULL,
			                 NULL);
		t->register_name = lv_xstrdup(v->str);
	} else if (!strcmp(k, "ignore_errors") || !strcmp(k, "run_once") || !strcmp(k, "no_log")) {
		bool b = lv_val_truthy(v);
		*(k[0] == 'i' ? &t->ignore_errors : k[0] == 'r' ? &t->run_once : &t->no_log) = b;
	} else if (!strcmp(k, "become") || !strcmp(k, "check_mode")) {
		*(k[0] == 'b' ? &t->become : &t->check_mode) = lv_val_truthy(v);
	} else if (!strcmp(k, "become_user") || !strcmp(k, "delegate_to")) {
		if (!v->str || !v->str[0])
			return lv_pb_err(c, v, "%s: expected a string%s", k, NULL);
		*(k[0] == 'b' ? &t->become_user : &t->delegate_to) = lv_xstrdup(v->str);
	} else if (!strcmp(k, "tags")) {
		return lv_pb_str_list(c, v, k, true, &t->tags, &t->n_tags);
	} else if (!strcmp(k, "notify")) {
		return lv_pb_str_list(c, v, k, false, &t->notify, &t->n_notify);
	} else if (!strcmp(k, "listen")) {
		return lv_pb_str_list(c, v, k, false, &t->listen, &t->n_listen);
	} else if (!strcmp(k, "args") || !strcmp(k, "vars")) {
		if (v->kind != LV_VAL_MAP)
			return lv_pb_err(c, v, "%s: expected a mapping%s", k, NULL);
		if (k[0] == 'a')
			lv_val_merge(t->args, v);
		else
			t->vars = lv_val_dup(v);
	} else if (!strcmp(k, "loop") || !strcmp(k, "with_items")) {
		if (v->kind != LV_VAL_LIST && v->kind != LV_VAL_STR)
			return lv_pb_err(c, v, "%s: expected a list or a template%s", k, NULL);
		t->loop = lv_val_dup(v);
	} else if (!strcmp(k, "loop_control")) {
		/* loop_var and label; the others (index_var, pause, extended, ...) would
		 * change what a task does or shows, so they are refused, not ignored */
		if (v->kind != LV_VAL_MAP)
			return lv_pb_err(c, v, "%s: expected a mapping%s", k, NULL);
		for (size_t i = 0; i < v->n; i++) {
			const char *key = v->keys[i];
			const struct lv_val *x = v->items[i];
			if (strcmp(key, "loop_var") && strcmp(key, "label"))
				return lv_pb_err(c, x, "loop_control: '%s' is not supported%s", key,
				                 " (loop_var and label are)");
			if (x->kind != LV_VAL_STR)
				return lv_pb_err(c, x, "loop_control: %s must be a string%s", key,
				                 NULL);
			if (!strcmp(key, "loop_var")) {
				free(t->loop_var);
				t->loop_var = lv_xstrdup(x->str);
			} else {
				char *why = NULL;
				if (lv_template_check(x->str, &why)) {
					int rc =
					    lv_pb_err(c, x, "loop_control: label: %s%s", why, NULL);
					free(why);
					return rc;
				}
				free(t->loop_label);
				t->loop_label = lv_xstrdup(x->str);
			}
		}
	} else if (!strcmp(k, "block") || !strcmp(k, "rescue") || !strcmp(k, "always")) {
		t->is_block = true;
		return lv_pb_task_list(c, v, k,
		                       k[0] == 'b'   ? &t->block
		                       : k[0] == 'r' ? &t->rescue
		                                     : &t->always);
	} else {
		*handled = false;
	}
	return 0;
}

struct lv_task *lv_pb_task_new(struct lv_pctx *c, int line, const char *name, const char *module)
{
	struct lv_task *t = lv_xcalloc(1, sizeof *t);
	t->file = c->file;
	t->line = line;
	t->name = lv_xstrdup(name);
	t->module = lv_xstrdup(module);
	t->args = lv_val_new_map();
	t->become = -1;
	t->check_mode = -1;
	t->retries = 3;
	t->delay_s = 5;
	t->loop_var = lv_xstrdup("item");
	t->tags = lv_xcalloc(1, sizeof *t->tags);
	t->tags[0] = lv_xstrdup("always");
	t->n_tags = 1;
	return t;
}

int lv_pb_task_list(struct lv_pctx *c, const struct lv_val *v, const char *key,
                    struct lv_task_list *out)
{
	if (v->kind == LV_VAL_NULL)
		return 0;
	if (v->kind != LV_VAL_LIST)
		return lv_pb_err(c, v, "%s: expected a list of tasks%s", key, NULL);
	for (size_t i = 0; i < v->n; i++) {
		struct lv_task *t = parse_task(c, v->items[i]);
		if (!t)
			return LV_EINVAL;
		out->v = lv_xrealloc(out->v, (out->n + 1) * sizeof *out->v);
		out->v[out->n++] = t;
	}
	return 0;
}

void lv_pb_tasks_free(struct lv_task_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		task_free(l->v[i]);
	free(l->v);
}

void lv_pb_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void task_free(struct lv_task *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->module);
	lv_val_free(t->args);
	lv_val_free(t->vars);
	lv_expr_free(t->when);
	lv_expr_free(t->changed_when);
	lv_expr_free(t->failed_when);
	lv_expr_free(t->until);
	free(t->register_name);
	lv_pb_strv_free(t->tags, t->n_tags);
	lv_pb_strv_free(t->notify, t->n_notify);
	lv_pb_strv_free(t->listen, t->n_listen);
	free(t->become_user);
	free(t->delegate_to);
	lv_val_free(t->loop);
	free(t->loop_var);
	free(t->loop_label);
	lv_pb_tasks_free(&t->block);
	lv_pb_tasks_free(&t->rescue);
	lv_pb_tasks_free(&t->always);
	free(t);
}
