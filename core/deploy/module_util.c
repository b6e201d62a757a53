/*
 * module_util: what the modules share — argument access, become (sudo), the
 * "install this content as that file, changed only when it differs" routine
 * that copy, template and lineinfile rely on, and the shape of results
 * (Ansible's rc/stdout/stdout_lines, failed/msg, the LV_CHANGED marker).
 *
 * Remote work is done with small POSIX sh scripts built here, so a task costs
 * one or two round trips and needs nothing on the host but sh and coreutils.
 */
#include "module_util.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "playbook.h"
#include "quote.h"
#include "base/file.h"
#include "base/util.h"

void lv_exec_result_fini(struct lv_exec_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

const char *lv_mod_arg(const struct lv_val *args, const char *key)
{
	const struct lv_val *v = lv_val_get(args, key);
	if (!v || v->kind == LV_VAL_NULL)
		return NULL;
	return v->str;
}

bool lv_mod_arg_bool(const struct lv_val *args, const char *key, bool dflt)
{
	const struct lv_val *v = lv_val_get(args, key);
	return v ? lv_val_truthy(v) : dflt;
}

int lv_mod_require(const struct lv_val *args, const char *module, const char *key, const char *alt,
                   char **why)
{
	if (lv_val_get(args, key) || (alt && lv_val_get(args, alt)))
		return 0;
	if (alt)
		return lv_fail(why, LV_EINVAL, "%s: one of '%s' or '%s' is required", module, key,
		               alt);
	return lv_fail(why, LV_EINVAL, "%s: missing required argument '%s'", module, key);
}

int lv_mod_known_args(const struct lv_val *args, const char *module, const char *const *known,
                      char **why)
{
	for (size_t i = 0; i < args->n; i++) {
		bool ok = false;
		for (const char *const *k = known; *k && !ok; k++)
			ok = !strcmp(*k, args->keys[i]);
		if (!ok)
			return lv_fail(why, LV_EINVAL, "%s: unsupported argument '%s'", module,
			               args->keys[i]);
	}
	return 0;
}

bool lv_mod_arg_one_of(const struct lv_val *args, const char *key, const char *const *allowed)
{
	const char *v = lv_mod_arg(args, key);
	bool ok = !v || lv_template_has_expr(v);
	for (const char *const *s = allowed; !ok && *s; s++)
		ok = !strcmp(v, *s);
	return ok;
}

int lv_mod_shell(struct lv_module_ctx *ctx, const char *script, struct lv_exec_result *res,
                 char **why)
{
	const char *user = ctx->become_user ? ctx->become_user : "root";
	bool sudo = ctx->become && !(ctx->conn->is_root && !strcmp(user, "root"));
	char *q = lv_quote_sh(script);
	char *qu = lv_quote_sh(user);
	char *cmd = sudo ? lv_xasprintf("sudo -H -n -u %s -- /bin/sh -c %s", qu, q)
	                 : lv_xasprintf("/bin/sh -c %s", q);
	int rc = ctx->conn->ops->exec(ctx->conn, cmd, res, why);
	if (rc == LV_EIO)
		ctx->conn->broken = true;
	free(cmd);
	free(qu);
	free(q);
	return rc;
}

static struct lv_val *lines(const char *s, size_t len)
{
	struct lv_val *l = lv_val_new_list();
	const char *p = s, *end = s + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		lv_val_push(l, lv_val_new_strn(p, (size_t)(e - p)));
		p = nl ? nl + 1 : end;
	}
	return l;
}

/* Ansible strips one trailing newline from stdout and stderr. */
static struct lv_val *chomp(const char *s, size_t len)
{
	if (len && s[len - 1] == '\n')
		len--;
	return lv_val_new_strn(s, len);
}

void lv_mod_put_exec(struct lv_val *result, const struct lv_exec_result *res)
{
	lv_val_set_int(result, "rc", res->rc);
	struct lv_val *out = chomp(res->out, res->out_len), *err = chomp(res->err, res->err_len);
	lv_val_set(result, "stdout_lines", lines(out->str, strlen(out->str)));
	lv_val_set(result, "stderr_lines", lines(err->str, strlen(err->str)));
	lv_val_set(result, "stdout", out);
	lv_val_set(result, "stderr", err);
}

int lv_mod_failed(struct lv_val *result, const char *msg)
{
	lv_val_set_bool(result, "failed", true);
	lv_val_set_str(result, "msg", msg);
	return 0;
}

char *lv_mod_mode(const char *text)
{
	if (!text)
		return NULL;
	const char *p = text;
	if (!strncmp(p, "0o", 2))
		p += 2;
	if (!*p || strspn(p, "01234567") != strlen(p) || strlen(p) > 5)
		return NULL;
	return lv_xasprintf("%lo", strtoul(p, NULL, 8));
}

/* One attribute: compare `stat -c FMT` with the wanted value, fix with CMD. */
static char *attr_line(const char *fmt, const char *cmd, const char *want, bool check)
{
	char *q = lv_quote_sh(want);
	char *s = lv_xasprintf("if [ \"$(stat -c %s \"$d\" 2>/dev/null)\" != %s ]; then c=1; "
	                       "%s%s %s \"$d\" || exit 4; fi\n",
	                       fmt, q, check ? ": " : "", cmd, q);
	free(q);
	return s;
}

char *lv_mod_attr_script(const struct lv_val *args, bool check)
{
	char *mode = lv_mod_mode(lv_mod_arg(args, "mode"));
	const char *owner = lv_mod_arg(args, "owner"), *group = lv_mod_arg(args, "group");
	char *a = mode ? attr_line("%a", "chmod", mode, check) : lv_xstrdup("");
	bool num_o = owner && strspn(owner, "0123456789") == strlen(owner);
	bool num_g = group && strspn(group, "0123456789") == strlen(group);
	char *b = owner ? attr_line(num_o ? "%u" : "%U", "chown", owner, check) : lv_xstrdup("");
	char *c = group ? attr_line(num_g ? "%g" : "%G", "chgrp", group, check) : lv_xstrdup("");
	char *s = lv_xasprintf("%s%s%s", a, b, c);
	free(a);
	free(b);
	free(c);
	free(mode);
	return s;
}

char *lv_mod_quote_words(const struct lv_val *v)
{
	char *out = lv_xstrdup("");
	size_t n = v && v->kind == LV_VAL_LIST ? v->n : v ? 1 : 0;
	for (size_t i = 0; i < n; i++) {
		const struct lv_val *w = v->kind == LV_VAL_LIST ? v->items[i] : v;
		char *q = lv_quote_sh(w->str ? w->str : "");
		char *next = lv_xasprintf("%s %s", out, q);
		free(q);
		free(out);
		out = next;
	}
	return out;
}

char *lv_mod_tmp_path(void)
{
	static unsigned long counter;
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	unsigned long long rnd = 0;
	int fd = open("/dev/urandom", O_RDONLY);
	if (fd >= 0) {
		if (read(fd, &rnd, sizeof rnd) != (ssize_t)sizeof rnd)
			rnd = 0;
		close(fd);
	}
	pthread_mutex_lock(&lock);
	unsigned long n = ++counter;
	pthread_mutex_unlock(&lock);
	return lv_xasprintf("/tmp/.loudva-%ld-%lu-%016llx", (long)getpid(), n, rnd);
}

/*
 * The shell line that runs the task's `validate` command on the new content
 * ($t) before it replaces $d, as Ansible does: its %s is the file's path, and
 * a failure leaves $d untouched. Not run in check mode (nor by Ansible).
 */
static char *validate_line(const struct lv_val *args, bool check)
{
	const char *v = lv_mod_arg(args, "validate");
	if (!v || check)
		return lv_xstrdup("");
	struct lv_buf b = { 0 };
	for (const char *p = v; *p; p++) {
		if (p[0] == '%' && p[1] == 's') {
			lv_buf_append(&b, "\"$t\"", 4);
			p++;
		} else {
			lv_buf_append(&b, p, 1);
		}
	}
	char *q = lv_quote_sh(v);
	char *s = lv_xasprintf("  ( %s ) >&2 </dev/null || { rm -f \"$t\"; echo failed to "
	                       "validate: %s >&2; exit 5; }\n",
	                       b.p ? b.p : "", q);
	free(q);
	lv_buf_fini(&b);
	return s;
}

int lv_mod_write(struct lv_module_ctx *ctx, const char *dest, const void *data, size_t len,
                 const struct lv_val *args, bool *changed, char **why)
{
	char *tmp = lv_mod_tmp_path();
	struct lv_exec_result res = { 0 };
	char *script = NULL, *qt = NULL, *qd = NULL, *attrs = NULL, *vcheck = NULL;
	int rc = ctx->conn->ops->put(ctx->conn, tmp, data, len, why);
	if (rc) {
		ctx->conn->broken |= rc == LV_EIO;
		goto out;
	}
	qt = lv_quote_sh(tmp);
	qd = lv_quote_sh(dest);
	attrs = lv_mod_attr_script(args, ctx->check);
	vcheck = validate_line(args, ctx->check);
	script = lv_xasprintf(
	    "t=%s; d=%s; c=0\n"
	    "if [ -d \"$d\" ]; then rm -f \"$t\"; echo \"$d is a directory\" >&2; exit 2; fi\n"
	    "if ! cmp -s \"$t\" \"$d\" 2>/dev/null; then c=1\n%s"
	    "  %s{ cp \"$t\" \"$d.lv$$\" && mv -f \"$d.lv$$\" \"$d\"; } || "
	    "{ rm -f \"$t\" \"$d.lv$$\"; exit 3; }\n"
	    "fi\nrm -f \"$t\"\n%secho LV_CHANGED=$c\n",
	    qt, qd, vcheck, ctx->check ? ": || " : "", attrs);
	rc = lv_mod_shell(ctx, script, &res, why);
	if (rc)
		goto out;
	if (res.rc != 0) {
		rc = lv_fail(why, LV_EIO, "cannot write %s: %s", dest,
		             res.err_len ? res.err : "the install script failed");
		if (res.err_len && res.err[res.err_len - 1] == '\n' && why && *why)
			(*why)[strlen(*why) - 1] = '\0';
		goto out;
	}
	*changed = strstr(res.out, "LV_CHANGED=1") != NULL;
out:
	lv_exec_result_fini(&res);
	free(script);
	free(vcheck);
	free(attrs);
	free(qt);
	free(qd);
	free(tmp);
	return rc;
}

int lv_mod_read(struct lv_module_ctx *ctx, const char *path, char **data, size_t *len, bool *exists,
                char **why)
{
	*data = NULL;
	*len = 0;
	*exists = true;
	const char *user = ctx->become_user ? ctx->become_user : "root";
	bool sudo = ctx->become && !(ctx->conn->is_root && !strcmp(user, "root"));
	if (!sudo) {
		int rc = ctx->conn->ops->get(ctx->conn, path, data, len, why);
		if (rc == LV_ENOENT) {
			*exists = false;
			if (why && *why) {
				free(*why);
				*why = NULL;
			}
			return 0;
		}
		ctx->conn->broken |= rc == LV_EIO && ctx->conn->ssh;
		return rc;
	}
	char *q = lv_quote_sh(path);
	char *script = lv_xasprintf("if [ -e %s ]; then exec cat %s; else exit 99; fi", q, q);
	struct lv_exec_result res = { 0 };
	int rc = lv_mod_shell(ctx, script, &res, why);
	if (rc == 0 && res.rc == 99) {
		*exists = false;
	} else if (rc == 0 && res.rc != 0) {
		rc = lv_fail(why, LV_EIO, "cannot read %s: %s", path, res.err);
	} else if (rc == 0) {
		*data = res.out;
		*len = res.out_len;
		res.out = NULL;
	}
	lv_exec_result_fini(&res);
	free(script);
	free(q);
	return rc;
}

char *lv_mod_local_path(const struct lv_module_ctx *ctx, const char *src, const char *subdir)
{
	struct stat st;
	if (src[0] == '/')
		return stat(src, &st) == 0 ? lv_xstrdup(src) : NULL;
	char *dir = lv_path_join(ctx->play_dir, subdir);
	char *p = lv_path_join(dir, src);
	free(dir);
	if (stat(p, &st) == 0)
		return p;
	free(p);
	p = lv_path_join(ctx->play_dir, src);
	if (stat(p, &st) == 0)
		return p;
	free(p);
	return NULL;
}

int lv_mod_run_marked(struct lv_module_ctx *ctx, const char *what, const char *script,
                      struct lv_val *result, bool *changed, char **why)
{
	struct lv_exec_result res = { 0 };
	bool ch = false;
	int rc = lv_mod_shell(ctx, script, &res, why);
	if (rc == 0 && res.rc != 0) {
		char *msg = lv_xasprintf("%s: %s", what,
		                         res.err_len   ? res.err
		                         : res.out_len ? res.out
		                                       : "failed");
		size_t n = strlen(msg);
		while (n && msg[n - 1] == '\n')
			msg[--n] = '\0';
		lv_mod_failed(result, msg);
		free(msg);
		lv_val_set_bool(result, "changed", false);
	} else if (rc == 0) {
		ch = strstr(res.out, "LV_CHANGED=1") != NULL;
		lv_val_set_bool(result, "changed", ch);
	}
	if (changed)
		*changed = ch;
	lv_exec_result_fini(&res);
	return rc;
}
