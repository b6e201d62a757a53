/*
 * module_command: the command and shell modules. `command` runs its words
 * without a shell (each word is quoted, so $HOME, * and | are literal, as in
 * Ansible); `shell` hands its text to /bin/sh (or `executable`). Both report
 * changed unless changed_when says otherwise, honour chdir, creates and
 * removes, and in check mode only say whether they would run.
 *
 * Check mode counts as ansible-playbook 2.14 does: with creates or removes the
 * answer is known, so a command that would run is changed (rc 0, "Command
 * would have run if not in check mode") and one that would not is ok; with
 * neither, the task is skipped.
 */
#include "module.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "module_util.h"
#include "quote.h"
#include "base/util.h"

static const char *const known[] = { "_raw_params",      "cmd",     "argv",       "chdir",
	                             "creates",          "removes", "executable", "warn",
	                             "strip_empty_ends", NULL };

static int validate(const struct lv_val *args, char **why)
{
	if (!lv_val_get(args, "_raw_params") && !lv_val_get(args, "cmd") &&
	    !lv_val_get(args, "argv"))
		return lv_fail(why, LV_EINVAL, "command: no command given");
	return lv_mod_known_args(args, "command", known, why);
}

/* Splits like Python's shlex (quotes, backslashes) and quotes each word for sh. */
static char *requote(const char *s)
{
	char *out = lv_xstrdup(""), *word = lv_xmalloc(strlen(s) + 1);
	while (*s) {
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		char *w = word, q = 0;
		for (; *s && (q || !isspace((unsigned char)*s)); s++) {
			if (q == '\'' && *s == '\'')
				q = 0;
			else if (q == '"' && *s == '"')
				q = 0;
			else if (!q && (*s == '\'' || *s == '"'))
				q = *s;
			else if (*s == '\\' && q != '\'' && s[1])
				*w++ = *++s;
			else
				*w++ = *s;
		}
		*w = '\0';
		char *qw = lv_quote_sh(word);
		char *next = lv_xasprintf("%s%s%s", out, out[0] ? " " : "", qw);
		free(qw);
		free(out);
		out = next;
	}
	free(word);
	return out;
}

static char *argv_line(const struct lv_val *argv)
{
	char *out = lv_xstrdup("");
	for (size_t i = 0; argv->kind == LV_VAL_LIST && i < argv->n; i++) {
		char *t = lv_val_to_text(argv->items[i]);
		char *q = lv_quote_sh(t);
		char *next = lv_xasprintf("%s%s%s", out, i ? " " : "", q);
		free(q);
		free(t);
		free(out);
		out = next;
	}
	return out;
}

/*
 * A creates/removes pattern as one sh word that globs as Python's glob does
 * (Ansible's): `*`, `?` and `[...]` stay live, everything else is quoted.
 */
static char *glob_word(const char *pat)
{
	char *out = lv_xstrdup("");
	while (*pat) {
		size_t n = strcspn(pat, "*?[]");
		char *part = n ? lv_xasprintf("%.*s", (int)n, pat) : NULL;
		char *q = part ? lv_quote_sh(part) : lv_xasprintf("%c", *pat);
		char *next = lv_xasprintf("%s%s", out, q);
		free(out);
		free(q);
		free(part);
		out = next;
		pat += n ? n : 1;
	}
	return out;
}

/*
 * 1 when creates matches a path or removes matches none (the command is not
 * run; creates is looked at first, as Ansible does), 0 to run, <0 error.
 * *msg and *out are Ansible's msg and stdout for the first case.
 */
static int already_done(struct lv_module_ctx *ctx, const char *cd, char **msg, char **out,
                        char **why)
{
	const char *creates = lv_mod_arg(ctx->args, "creates");
	const char *removes = lv_mod_arg(ctx->args, "removes");
	if (!creates && !removes)
		return 0;
	char *gc = creates ? glob_word(creates) : NULL, *gr = removes ? glob_word(removes) : NULL;
	char *tc = gc ? lv_xasprintf("for f in %s; do [ -e \"$f\" ] && exit 10; done\n", gc)
	              : lv_xstrdup("");
	char *tr = gr ? lv_xasprintf("for f in %s; do [ -e \"$f\" ] && exit 0; done; exit 11\n", gr)
	              : lv_xstrdup("");
	char *script = lv_xasprintf("%s\n%s%sexit 0", cd, tc, tr);
	struct lv_exec_result res = { 0 };
	int rc = lv_mod_shell(ctx, script, &res, why);
	int done = rc == 0 && (res.rc == 10 || res.rc == 11);
	if (done) {
		const char *path = res.rc == 10 ? creates : removes;
		const char *state = res.rc == 10 ? "exists" : "does not exist";
		*msg = lv_xasprintf("%s not run command since '%s' %s",
		                    ctx->check ? "Would" : "Did", path, state);
		*out = lv_xasprintf("skipped, since %s %s", path, state);
	}
	lv_exec_result_fini(&res);
	free(script);
	free(tc);
	free(tr);
	free(gc);
	free(gr);
	return rc ? rc : done;
}

static int run_common(struct lv_module_ctx *ctx, struct lv_val *result, bool shell, char **why)
{
	const struct lv_val *a = ctx->args;
	const char *raw = lv_mod_arg(a, "_raw_params");
	if (!raw)
		raw = lv_mod_arg(a, "cmd");
	const struct lv_val *argv = lv_val_get(a, "argv");
	char *cmd = argv && !raw ? argv_line(argv)
	            : shell      ? lv_xstrdup(raw ? raw : "")
	                         : requote(raw ? raw : "");
	const char *chdir = lv_mod_arg(a, "chdir");
	char *qd = chdir ? lv_quote_sh(chdir) : NULL;
	char *cd = chdir ? lv_xasprintf("cd %s || exit 1; ", qd) : lv_xstrdup("");
	char *msg = NULL, *said = NULL, *script = NULL;
	struct lv_exec_result res = { 0 };
	lv_val_set_str(result, "cmd", raw ? raw : cmd);
	int rc = already_done(ctx, cd, &msg, &said, why);
	if (rc < 0)
		goto out;
	if (rc == 1 || ctx->check) {
		bool guarded = lv_mod_arg(a, "creates") || lv_mod_arg(a, "removes");
		struct lv_exec_result none = { .out = said ? said : "",
			                       .out_len = said ? strlen(said) : 0,
			                       .err = "" };
		lv_mod_put_exec(result, &none);
		lv_val_set_str(result, "msg",
		               msg ? msg : "Command would have run if not in check mode");
		/* creates/removes answer "would it run?", so check mode can say changed */
		lv_val_set_bool(result, "changed", rc == 0 && guarded);
		if (rc == 0 && !guarded)
			lv_val_set_bool(result, "skipped", true);
		rc = 0;
		goto out;
	}
	const char *exe = lv_mod_arg(a, "executable");
	if (shell && exe) {
		char *qe = lv_quote_sh(exe), *qc = lv_quote_sh(cmd);
		script = lv_xasprintf("%sexec %s -c %s", cd, qe, qc);
		free(qe);
		free(qc);
	} else {
		script = lv_xasprintf("%s%s", cd, cmd);
	}
	rc = lv_mod_shell(ctx, script, &res, why);
	if (rc)
		goto out;
	lv_mod_put_exec(result, &res);
	lv_val_set_bool(result, "changed", true);
	if (res.rc != 0)
		lv_mod_failed(result, "non-zero return code");
out:
	lv_exec_result_fini(&res);
	free(script);
	free(msg);
	free(said);
	free(cd);
	free(qd);
	free(cmd);
	return rc;
}

static int run_command(struct lv_module_ctx *ctx, struct lv_val *result, char **why)
{
	return run_common(ctx, result, false, why);
}

static int run_shell(struct lv_module_ctx *ctx, struct lv_val *result, char **why)
{
	return run_common(ctx, result, true, why);
}

const struct lv_module_ops lv_module_command = {
	.name = "command",
	.flags = LV_MOD_CHECK,
	.validate = validate,
	.run = run_command,
};

const struct lv_module_ops lv_module_shell = {
	.name = "shell",
	.flags = LV_MOD_CHECK,
	.validate = validate,
	.run = run_shell,
};
