/*
 * module_copy: modules that move file content — copy (a local file, a local
 * directory tree, inline content, or a file already on the host with
 * remote_src), template (a local file rendered with the host's variables)
 * and fetch (a host file to dest/<host>/<path> on the controller).
 *
 * Each reports changed only when content or attributes differ, so a second
 * run of the same playbook reports changed=0.
 */
#include "module.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "module_util.h"
#include "quote.h"
#include "readfile.h"
#include "base/file.h"
#include "base/util.h"

static const char *const copy_known[] = { "src",        "content", "dest",
	                                  "mode",       "owner",   "group",
	                                  "remote_src", "force",   "directory_mode",
	                                  "validate",   NULL };
static const char *const template_known[] = { "src",   "dest",  "mode",     "owner",
	                                      "group", "force", "validate", NULL };

static int copy_validate(const struct lv_val *args, char **why)
{
	if (lv_mod_require(args, "copy", "dest", NULL, why) ||
	    lv_mod_require(args, "copy", "src", "content", why))
		return LV_EINVAL;
	if (lv_val_get(args, "src") && lv_val_get(args, "content"))
		return lv_fail(why, LV_EINVAL, "copy: src and content are mutually exclusive");
	return lv_mod_known_args(args, "copy", copy_known, why);
}

/* force: no — leave an existing dest alone. 1 when dest exists. */
static int dest_exists(struct lv_module_ctx *ctx, const char *dest, char **why)
{
	char *q = lv_quote_sh(dest), *script = lv_xasprintf("[ -e %s ]", q);
	struct lv_exec_result res = { 0 };
	int rc = lv_mod_shell(ctx, script, &res, why);
	int out = rc ? rc : res.rc == 0;
	lv_exec_result_fini(&res);
	free(script);
	free(q);
	return out;
}

static int write_one(struct lv_module_ctx *ctx, const char *dest, const char *data, size_t len,
                     bool mkdirs, bool *changed, char **why)
{
	if (!lv_mod_arg_bool(ctx->args, "force", true)) {
		int e = dest_exists(ctx, dest, why);
		if (e < 0)
			return e;
		if (e == 1)
			return 0;
	}
	if (mkdirs) {
		char *dir = lv_path_dirname(dest), *q = lv_quote_sh(dir);
		char *script = lv_xasprintf("%smkdir -p %s", ctx->check ? ": " : "", q);
		struct lv_exec_result res = { 0 };
		int rc = lv_mod_shell(ctx, script, &res, why);
		lv_exec_result_fini(&res);
		free(script);
		free(q);
		free(dir);
		if (rc)
			return rc;
	}
	bool ch = false;
	int rc = lv_mod_write(ctx, dest, data, len, ctx->args, &ch, why);
	*changed |= ch;
	return rc;
}

/* Copies a local tree; `dest` is the directory that receives its entries. */
static int copy_tree(struct lv_module_ctx *ctx, const char *local, const char *dest, bool *changed,
                     char **why)
{
	DIR *d = opendir(local);
	if (!d)
		return lv_fail(why, LV_EIO, "copy: cannot read %s: %s", local, strerror(errno));
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *lp = lv_path_join(local, e->d_name), *rp = lv_path_join(dest, e->d_name);
		struct stat st;
		if (stat(lp, &st) != 0) {
			rc = lv_fail(why, LV_EIO, "copy: %s: %s", lp, strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			rc = copy_tree(ctx, lp, rp, changed, why);
		} else {
			size_t len = 0;
			char *data =
			    lv_readfile_bounded(lp, LV_READFILE_MAX_PAYLOAD, &len, NULL, NULL, why);
			rc = data ? write_one(ctx, rp, data, len, true, changed, why) : LV_EIO;
			free(data);
		}
		free(lp);
		free(rp);
	}
	closedir(d);
	return rc;
}

static int copy_remote_src(struct lv_module_ctx *ctx, const char *src, const char *dest,
                           bool *changed, char **why)
{
	char *qs = lv_quote_sh(src), *qd = lv_quote_sh(dest);
	char *attrs = lv_mod_attr_script(ctx->args, ctx->check);
	char *script = lv_xasprintf(
	    "s=%s; d=%s; c=0\n[ -f \"$s\" ] || { echo \"$s: no such file\" >&2; exit 2; }\n"
	    "if ! cmp -s \"$s\" \"$d\" 2>/dev/null; then c=1\n"
	    "  %s{ cp \"$s\" \"$d.lv$$\" && mv -f \"$d.lv$$\" \"$d\"; } || exit 3\nfi\n"
	    "%secho LV_CHANGED=$c\n",
	    qs, qd, ctx->check ? ": || " : "", attrs);
	struct lv_exec_result res = { 0 };
	int rc = lv_mod_shell(ctx, script, &res, why);
	if (rc == 0 && res.rc != 0)
		rc = lv_fail(why, LV_EIO, "copy: %s", res.err_len ? res.err : "failed");
	if (rc == 0)
		*changed = strstr(res.out, "LV_CHANGED=1") != NULL;
	lv_exec_result_fini(&res);
	free(script);
	free(attrs);
	free(qs);
	free(qd);
	return rc;
}

static int copy_run(struct lv_module_ctx *ctx, struct lv_val *result, char **why)
{
	const char *dest = lv_mod_arg(ctx->args, "dest"), *src = lv_mod_arg(ctx->args, "src");
	const struct lv_val *content = lv_val_get(ctx->args, "content");
	bool changed = false;
	int rc = 0;
	char *target = NULL, *local = NULL;
	if (!dest || !dest[0])
		return lv_mod_failed(result, "dest is required");
	lv_val_set_str(result, "dest", dest);
	if (content) {
		char *text = lv_val_to_text(content);
		rc = write_one(ctx, dest, text, strlen(text), false, &changed, why);
		free(text);
		goto out;
	}
	size_t sl = strlen(src), dl = strlen(dest);
	char *copy = lv_xstrdup(src);
	while (strlen(copy) > 1 && copy[strlen(copy) - 1] == '/')
		copy[strlen(copy) - 1] = '\0';
	const char *base = strrchr(copy, '/') ? strrchr(copy, '/') + 1 : copy;
	target = dest[dl - 1] == '/' ? lv_xasprintf("%s%s", dest, base) : lv_xstrdup(dest);
	if (lv_mod_arg_bool(ctx->args, "remote_src", false)) {
		free(copy);
		rc = copy_remote_src(ctx, src, target, &changed, why);
		goto out;
	}
	local = lv_mod_local_path(ctx, copy, "files");
	free(copy);
	if (!local) {
		rc = lv_mod_failed(result, "could not find src on the controller");
		lv_val_set_str(result, "src", src);
		goto out;
	}
	struct stat st;
	if (stat(local, &st) == 0 && S_ISDIR(st.st_mode)) {
		/* "dir/" copies the contents into dest, "dir" the directory itself */
		const char *into = src[sl - 1] == '/' ? dest : target;
		rc = copy_tree(ctx, local, into, &changed, why);
	} else {
		size_t len = 0;
		char *data =
		    lv_readfile_bounded(local, LV_READFILE_MAX_PAYLOAD, &len, NULL, NULL, why);
		rc = data ? write_one(ctx, target, data, len, false, &changed, why) : LV_EIO;
		free(data);
	}
out:
	lv_val_set_bool(result, "changed", changed);
	free(target);
	free(local);
	return rc;
}

const struct lv_module_ops lv_module_copy = {
	.name = "copy",
	.flags = LV_MOD_CHECK,
	.validate = copy_validate,
	.run = copy_run,
};

/* ---- template ---------------------------------------------------------- */

static int template_validate(const struct lv_val *args, char **why)
{
	if (lv_mod_require(args, "template", "src", NULL, why) ||
	    lv_mod_require(args, "template", "dest", NULL, why))
		return LV_EINVAL;
	return lv_mod_known_args(args, "template", template_known, why);
}

static int template_run(struct lv_module_ctx *ctx, struct lv_val *result, char **why)
{
	const char *src = lv_mod_arg(ctx->args, "src"), *dest = lv_mod_arg(ctx->args, "dest");
	char *local = src ? lv_mod_local_path(ctx, src, "templates") : NULL;
	if (!local || !dest)
		return lv_mod_failed(result, "could not find the template src on the controller");
	char *text = lv_readfile_bounded(local, LV_READFILE_MAX_TEXT, NULL, NULL, NULL, why);
	char *out = NULL;
	free(local);
	if (!text)
		return LV_EIO;
	char *tw = NULL;
	int rc = lv_template_render(text, ctx->lookup, ctx->lookup_ud, &out, &tw);
	free(text);
	if (rc) {
		char *msg = lv_xasprintf("%s: %s", src, tw);
		lv_mod_failed(result, msg);
		free(msg);
		free(tw);
		return 0;
	}
	bool changed = false;
	rc = write_one(ctx, dest, out, strlen(out), false, &changed, why);
	free(out);
	lv_val_set_bool(result, "changed", changed);
	lv_val_set_str(result, "dest", dest);
	return rc;
}

const struct lv_module_ops lv_module_template = {
	.name = "template",
	.flags = LV_MOD_CHECK,
	.validate = template_validate,
	.run = template_run,
};

/* ---- fetch ------------------------------------------------------------- */

static const char *const fetch_known[] = {
	"src", "dest", "flat", "fail_on_missing", "validate_checksum", NULL
};

static int fetch_validate(const struct lv_val *args, char **why)
{
	if (lv_mod_require(args, "fetch", "src", NULL, why) ||
	    lv_mod_require(args, "fetch", "dest", NULL, why))
		return LV_EINVAL;
	return lv_mod_known_args(args, "fetch", fetch_known, why);
}

static int mkdir_parents(const char *path, char **why)
{
	char *dir = lv_path_dirname(path);
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST)
			goto fail;
		*p = '/';
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		goto fail;
	free(dir);
	return 0;
fail:
	lv_fail(why, LV_EIO, "fetch: cannot create %s: %s", dir, strerror(errno));
	free(dir);
	return LV_EIO;
}

static int fetch_run(struct lv_module_ctx *ctx, struct lv_val *result, char **why)
{
	const char *src = lv_mod_arg(ctx->args, "src"), *dest = lv_mod_arg(ctx->args, "dest");
	char *local, *data = NULL, *old = NULL;
	size_t len = 0, old_len = 0;
	bool exists;
	if (lv_mod_arg_bool(ctx->args, "flat", false))
		local = dest[strlen(dest) - 1] == '/'
		            ? lv_xasprintf("%s%s", dest,
		                           strrchr(src, '/') ? strrchr(src, '/') + 1 : src)
		            : lv_xstrdup(dest);
	else
		local = lv_xasprintf("%s/%s%s%s", dest, ctx->host, src[0] == '/' ? "" : "/", src);
	lv_val_set_str(result, "dest", local);
	int rc = lv_mod_read(ctx, src, &data, &len, &exists, why);
	if (rc)
		goto out;
	if (!exists) {
		if (lv_mod_arg_bool(ctx->args, "fail_on_missing", true))
			lv_mod_failed(result, "the remote file does not exist");
		else
			lv_val_set_str(result, "msg",
			               "the remote file does not exist, not transferring");
		goto out;
	}
	old = lv_read_file(local, &old_len, NULL);
	bool changed = !old || old_len != len || memcmp(old, data, len) != 0;
	lv_val_set_bool(result, "changed", changed);
	if (changed && !ctx->check) {
		rc = mkdir_parents(local, why);
		if (rc == 0)
			rc = lv_write_file_atomic(local, data, len, why);
	}
out:
	free(old);
	free(data);
	free(local);
	return rc;
}

const struct lv_module_ops lv_module_fetch = {
	.name = "fetch",
	.flags = LV_MOD_CHECK,
	.validate = fetch_validate,
	.run = fetch_run,
};
