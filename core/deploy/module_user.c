/*
 * module_user: the user module — an account made present (useradd) or absent
 * (userdel), and for a present one its shell, home and supplementary groups
 * brought to what the task says (usermod). The host's passwd database is
 * read with getent and id, so a second run reports ok.
 *
 * A minimal subset of Ansible's module: name, state, system, shell, home,
 * create_home, comment, groups with append: true (Ansible's append: false,
 * which removes the groups not listed, is refused when the playbook is
 * loaded rather than done differently).
 */
#include "module.h"

#include <stdlib.h>
#include <string.h>

#include "module_util.h"
#include "quote.h"
#include "base/util.h"

static const char *const user_known[] = { "name",    "state",  "system", "shell",       "home",
	                                  "comment", "groups", "append", "create_home", NULL };

static int user_validate(const struct lv_val *args, char **why)
{
	static const char *const states[] = { "present", "absent", NULL };
	if (lv_mod_require(args, "user", "name", NULL, why))
		return LV_EINVAL;
	if (!lv_mod_arg_one_of(args, "state", states))
		return lv_fail(why, LV_EINVAL, "user: state '%s' is not one of present, absent",
		               lv_mod_arg(args, "state"));
	const struct lv_val *ap = lv_val_get(args, "append");
	if (lv_val_get(args, "groups") && !(ap && lv_val_truthy(ap)))
		return lv_fail(why, LV_EINVAL,
		               "user: groups needs append: true (loudva setup does not remove "
		               "a user from the groups not listed)");
	return lv_mod_known_args(args, "user", user_known, why);
}

/* "a,b" or a list, to the sh-quoted words " 'a' 'b'"; caller frees. */
static char *group_words(const struct lv_val *g)
{
	if (!g)
		return lv_xstrdup("");
	if (g->kind == LV_VAL_LIST)
		return lv_mod_quote_words(g);
	char *text = lv_val_to_text(g), *out = lv_xstrdup(""), *save = NULL;
	for (char *w = strtok_r(text, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
		char *q = lv_quote_sh(w), *next = lv_xasprintf("%s %s", out, q);
		free(q);
		free(out);
		out = next;
	}
	free(text);
	return out;
}

/* `opt` and the sh-quoted argument `key`, or "" when the task does not set it. */
static char *opt_word(const struct lv_val *args, const char *key, const char *opt)
{
	const char *v = lv_mod_arg(args, key);
	if (!v)
		return lv_xstrdup("");
	char *q = lv_quote_sh(v), *s = lv_xasprintf(" %s %s", opt, q);
	free(q);
	return s;
}

/* Shell lines that set c=1 and run usermod when passwd field `field` differs. */
static char *field_line(const struct lv_val *args, const char *key, int field, const char *opt,
                        const char *ck)
{
	const char *v = lv_mod_arg(args, key);
	if (!v)
		return lv_xstrdup("");
	char *q = lv_quote_sh(v);
	char *s = lv_xasprintf("if [ \"$(getent passwd \"$n\" | cut -d: -f%d)\" != %s ]; then c=1; "
	                       "%susermod %s %s \"$n\" || exit 3; fi\n",
	                       field, q, ck, opt, q);
	free(q);
	return s;
}

static int user_run(struct lv_module_ctx *ctx, struct lv_val *result, char **why)
{
	const struct lv_val *a = ctx->args;
	const char *name = lv_mod_arg(a, "name"), *state = lv_mod_arg(a, "state");
	bool absent = state && !strcmp(state, "absent");
	const char *ck = ctx->check ? ": " : "";
	char *qn = lv_quote_sh(name ? name : "");
	char *groups = group_words(lv_val_get(a, "groups"));
	char *script = NULL;
	if (absent) {
		script = lv_xasprintf("n=%s; c=0\nif id -u \"$n\" >/dev/null 2>&1; then c=1; "
		                      "%suserdel \"$n\" || exit 3; fi\necho LV_CHANGED=$c\n",
		                      qn, ck);
	} else {
		char *sh = opt_word(a, "shell", "-s"), *home = opt_word(a, "home", "-d");
		char *comment = opt_word(a, "comment", "-c");
		char *set_sh = field_line(a, "shell", 7, "-s", ck);
		char *set_home = field_line(a, "home", 6, "-d", ck);
		bool sys = lv_mod_arg_bool(a, "system", false);
		bool mk = lv_mod_arg_bool(a, "create_home", true);
		/* A group the host lacks fails the task, as it does under Ansible. */
		script = lv_xasprintf(
		    "n=%s; c=0\n"
		    "for g in%s; do getent group \"$g\" >/dev/null || "
		    "{ echo \"Group $g does not exist\" >&2; exit 2; }; done\n"
		    "if id -u \"$n\" >/dev/null 2>&1; then\n%s%s"
		    "  for g in%s; do id -nG \"$n\" | tr ' ' '\\n' | grep -qx \"$g\" || "
		    "{ c=1; %susermod -a -G \"$g\" \"$n\" || exit 3; }; done\n"
		    "else c=1\n"
		    "  G=; for g in%s; do G=\"${G:+$G,}$g\"; done\n"
		    "  %suseradd%s%s%s%s%s ${G:+-G \"$G\"} \"$n\" || exit 3\n"
		    "fi\necho LV_CHANGED=$c\n",
		    qn, groups, set_sh, set_home, groups, ck, groups, ck, sys ? " -r" : "",
		    mk ? " -m" : " -M", sh, home, comment);
		free(sh);
		free(home);
		free(comment);
		free(set_sh);
		free(set_home);
	}
	lv_val_set_str(result, "name", name ? name : "");
	lv_val_set_str(result, "state", absent ? "absent" : "present");
	int rc = lv_mod_run_marked(ctx, "user", script, result, NULL, why);
	free(script);
	free(groups);
	free(qn);
	return rc;
}

const struct lv_module_ops lv_module_user = {
	.name = "user",
	.flags = LV_MOD_CHECK,
	.validate = user_validate,
	.run = user_run,
};
