/*
 * module_file: modules about files already on the host — file (directory,
 * touch, absent, link, attributes), stat, lineinfile (POSIX extended regular
 * expressions stand in for Python's) and unarchive (GNU tar; changed only when
 * `tar --diff` finds the tree differs from the archive).
 */
#include "module.h"

#include <stdlib.h>
#include <string.h>

#include "module_util.h"
#include "quote.h"
#include "readfile.h"
#include "base/file.h"
#include "base/util.h"

/* The path argument, or its aliases dest and name (as Ansible accepts). */
static const char *path_arg(const struct lv_val *args)
{
	const char *p = lv_mod_arg(args, "path");
	if (!p)
		p = lv_mod_arg(args, "dest");
	return p ? p : lv_mod_arg(args, "name");
}

/* ---- file -------------------------------------------------------------- */

static const char *const file_known[] = { "path",
	                                  "dest",
	                                  "name",
	                                  "state",
	                                  "mode",
	                                  "owner",
	                                  "group",
	                                  "src",
	                                  "force",
	                                  "access_time",
	                                  "modification_time",
	                                  NULL };

static int file_validate(const struct lv_val *args, char **why)
{
	if (!lv_val_get(args, "path") && !lv_val_get(args, "dest") && !lv_val_get(args, "name"))
		return lv_fail(why, LV_EINVAL, "file: missing required argument 'path'");
	const char *st = lv_mod_arg(args, "state");
	static const char *const states[] = {
		"file", "directory", "touch", "absent", "link", NULL
	};
	if (!lv_mod_arg_one_of(args, "state", states))
		return lv_fail(
		    why, LV_EINVAL,
		    "file: state '%s' is not supported (file, directory, touch, absent, link)", st);
	return lv_mod_known_args(args, "file", file_known, why);
}

static int file_run(struct lv_module_ctx *ctx, struct lv_val *result, char **why)
{
	const char *path = path_arg(ctx->args), *state = lv_mod_arg(ctx->args, "state");
	const char *src = lv_mod_arg(ctx->args, "src");
	if (!state)
		state = "file";
	char *q = lv_quote_sh(path), *qs = lv_quote_sh(src ? src : "");
	const char *ck = ctx->check ? ": " : "";
	bool preserve = !strcmp(lv_mod_arg(ctx->args, "modification_time")
	                            ? lv_mod_arg(ctx->args, "modification_time")
	                            : "",
	                        "preserve");
	char *body;
	if (!strcmp(state, "directory"))
		body = lv_xasprintf(
		    "if [ ! -d \"$d\" ]; then [ -e \"$d\" ] && { echo \"$d exists and is not a "
		    "directory\" >&2; exit 2; }; c=1; %smkdir -p \"$d\" || exit 3; fi\n",
		    ck);
	else if (!strcmp(state, "touch"))
		body = lv_xasprintf("if [ ! -e \"$d\" ]; then c=1; %stouch \"$d\" || exit 3; elif "
		                    "[ %d = 0 ]; then c=1; %stouch \"$d\"; fi\n",
		                    ck, preserve, ck);
	else if (!strcmp(state, "absent"))
		body = lv_xasprintf("if [ -e \"$d\" ] || [ -L \"$d\" ]; then c=1; %srm -rf \"$d\" "
		                    "|| exit 3; fi\necho LV_CHANGED=$c; exit 0\n",
		                    ck);
	else if (!strcmp(state, "link"))
		body = lv_xasprintf("if [ \"$(readlink \"$d\")\" != %s ]; then c=1; %sln -sfn %s "
		                    "\"$d\" || exit 3; fi\necho LV_CHANGED=$c; exit 0\n",
		                    qs, ck, qs);
	else
		body = lv_xstrdup(
		    "[ -e \"$d\" ] || { echo \"file $d does not exist\" >&2; exit 2; }\n");
	char *attrs = lv_mod_attr_script(ctx->args, ctx->check);
	char *script = lv_xasprintf("d=%s; c=0\n%s%secho LV_CHANGED=$c\n", q, body, attrs);
	bool changed = false;
	lv_val_set_str(result, "path", path);
	lv_val_set_str(result, "state", state);
	int rc = lv_mod_run_marked(ctx, path, script, result, &changed, why);
	free(script);
	free(attrs);
	free(body);
	free(qs);
	free(q);
	return rc;
}

const struct lv_module_ops lv_module_file = {
	.name = "file",
	.flags = LV_MOD_CHECK,
	.validate = file_validate,
	.run = file_run,
};

/* ---- stat -------------------------------------------------------------- */

static const char *const stat_known[] = {
	"path",     "follow",         "get_checksum",       "get_md5",
	"get_mime", "get_attributes", "checksum_algorithm", NULL
};

/* checksum_algorithm: Ansible's names, each the coreutils tool that computes it. */
static const char *const stat_algorithms[][2] = {
	{ "md5", "md5sum" },       { "sha1", "sha1sum" },     { "sha224", "sha224sum" },
	{ "sha256", "sha256sum" }, { "sha384", "sha384sum" }, { "sha512", "sha512sum" },
};

/* The tool of the task's checksum_algorithm [sha1], NULL for a name Ansible does not have. */
static const char *stat_tool(const struct lv_val *args)
{
	const char *a = lv_mod_arg(args, "checksum_algorithm");
	for (size_t i = 0; i < sizeof(stat_algorithms) / sizeof(stat_algorithms[0]); i++)
		if (!strcmp(a ? a : "sha1", stat_algorithms[i][0]))
			return stat_algorithms[i][1];
	return NULL;
}

static int stat_validate(const struct lv_val *args, char **why)
{
	if (lv_mod_require(args, "stat", "path", NULL, why))
		return LV_EINVAL;
	const char *a = lv_mod_arg(args, "checksum_algorithm");
	/* a template is only known at run time; stat_run refuses it then */
	if (a && !strstr(a, "{{") && !stat_tool(args))
		return lv_fail(why, LV_EINVAL,
		               "stat: checksum_algorithm '%s' is not one of md5, sha1, sha224, "
		               "sha256, sha384, sha512",
		               a);
	return lv_mod_known_args(args, "stat", stat_known, why);
}

static void stat_fields(struct lv_val *st, char *line)
{
	static const char *const names[] = { "type",     "size",       "mode", "pw_name",
		                             "gr_name",  "uid",        "gid",  "mtime",
		                             "checksum", "executable", NULL };
	char *save = NULL, *f = strtok_r(line, "|", &save);
	for (size_t i = 0; names[i] && f; i++, f = strtok_r(NULL, "|", &save)) {
		if (i == 0) {
			lv_val_set_bool(st, "isdir", !strcmp(f, "directory"));
			lv_val_set_bool(st, "isreg", !strncmp(f, "regular", 7));
			lv_val_set_bool(st, "islnk", !strcmp(f, "symbolic link"));
		} else if (i == 2) {
			char *m = lv_xasprintf("%04lo", strtoul(f, NULL, 8));
			lv_val_set_str(st, "mode", m);
			free(m);
		} else if (i == 9) {
			lv_val_set_bool(st, "executable", !strcmp(f, "x"));
		} else if (i == 8) {
			if (f[0] != '-')
				lv_val_set_str(st, "checksum", f);
		} else {
			lv_val_set(st, names[i], lv_val_new_plain(f));
		}
	}
}

static int stat_run(struct lv_module_ctx *ctx, struct lv_val *result, char **why)
{
	const char *path = lv_mod_arg(ctx->args, "path");
	char *q = lv_quote_sh(path);
	const char *L = lv_mod_arg_bool(ctx->args, "follow", false) ? "-L " : "";
	const char *tool = stat_tool(ctx->args);
	if (!tool) {
		free(q);
		return lv_mod_failed(result, "checksum_algorithm must be one of md5, sha1, "
		                             "sha224, sha256, sha384, sha512");
	}
	/* get_checksum: false computes none, as Ansible; a directory has none either */
	if (!lv_mod_arg_bool(ctx->args, "get_checksum", true))
		tool = ":";
	char *script = lv_xasprintf(
	    "d=%s\nif [ -e \"$d\" ] || [ -L \"$d\" ]; then\n"
	    "  s=; [ -f \"$d\" ] && s=$(%s \"$d\" 2>/dev/null | cut -d' ' -f1)\n"
	    "  [ -x \"$d\" ] && x=x || x=-\n"
	    "  echo \"$(stat %s-c '%%F|%%s|%%a|%%U|%%G|%%u|%%g|%%Y' \"$d\")|${s:--}|$x\"\n"
	    "else echo LV_ABSENT; fi\n",
	    q, tool, L);
	struct lv_exec_result res = { 0 };
	int rc = lv_mod_shell(ctx, script, &res, why);
	if (rc == 0) {
		struct lv_val *st = lv_val_new_map();
		bool exists = res.rc == 0 && strncmp(res.out, "LV_ABSENT", 9) != 0;
		lv_val_set_bool(st, "exists", exists);
		if (exists) {
			lv_val_set_str(st, "path", path);
			char *nl = strchr(res.out, '\n');
			if (nl)
				*nl = '\0';
			stat_fields(st, res.out);
		}
		lv_val_set(result, "stat", st);
		lv_val_set_bool(result, "changed", false);
	}
	lv_exec_result_fini(&res);
	free(script);
	free(q);
	return rc;
}

const struct lv_module_ops lv_module_stat = {
	.name = "stat",
	.flags = LV_MOD_CHECK,
	.validate = stat_validate,
	.run = stat_run,
};

/* ---- unarchive --------------------------------------------------------- */

static const char *const unarchive_known[] = { "src",        "dest", "remote_src", "creates",
	                                       "extra_opts", "copy", NULL };

static int unarchive_validate(const struct lv_val *args, char **why)
{
	if (lv_mod_require(args, "unarchive", "src", NULL, why) ||
	    lv_mod_require(args, "unarchive", "dest", NULL, why))
		return LV_EINVAL;
	return lv_mod_known_args(args, "unarchive", unarchive_known, why);
}

/* Only a list adds options; a string is not split into words. */
static char *extra_opts(const struct lv_val *args)
{
	const struct lv_val *x = lv_val_get(args, "extra_opts");
	return x && x->kind == LV_VAL_LIST ? lv_mod_quote_words(x) : lv_xstrdup("");
}

static int unarchive_run(struct lv_module_ctx *ctx, struct lv_val *result, char **why)
{
	const char *src = lv_mod_arg(ctx->args, "src"), *dest = lv_mod_arg(ctx->args, "dest");
	const char *creates = lv_mod_arg(ctx->args, "creates");
	bool remote = lv_mod_arg_bool(ctx->args, "remote_src", false) ||
	              !lv_mod_arg_bool(ctx->args, "copy", true);
	char *tmp = NULL, *script = NULL, *qa = NULL, *qd = lv_quote_sh(dest), *qc = NULL;
	char *x = extra_opts(ctx->args);
	int rc = 0;
	lv_val_set_str(result, "dest", dest);
	if (creates) { /* as Ansible: skipped, before anything is sent */
		qc = lv_quote_sh(creates);
		char *test = lv_xasprintf("[ -e %s ]", qc);
		struct lv_exec_result res = { 0 };
		rc = lv_mod_shell(ctx, test, &res, why);
		bool exists = rc == 0 && res.rc == 0;
		lv_exec_result_fini(&res);
		free(test);
		if (rc || exists) {
			if (exists) {
				char *msg = lv_xasprintf("skipped, since %s exists", creates);
				lv_val_set_str(result, "msg", msg);
				free(msg);
				lv_val_set_bool(result, "skipped", true);
				lv_val_set_bool(result, "changed", false);
			}
			goto out;
		}
	}
	if (!remote) {
		char *local = lv_mod_local_path(ctx, src, "files");
		if (!local) {
			rc = lv_mod_failed(result, "could not find src on the controller");
			goto out;
		}
		size_t len = 0;
		char *data =
		    lv_readfile_bounded(local, LV_READFILE_MAX_PAYLOAD, &len, NULL, NULL, why);
		free(local);
		if (!data) {
			rc = LV_EIO;
			goto out;
		}
		tmp = lv_mod_tmp_path();
		rc = ctx->conn->ops->put(ctx->conn, tmp, data, len, why);
		free(data);
		if (rc) {
			ctx->conn->broken |= rc == LV_EIO;
			goto out;
		}
	}
	qa = lv_quote_sh(remote ? src : tmp);
	script = lv_xasprintf(
	    "a=%s; d=%s; c=0\ncleanup() { %s; }\n"
	    "[ -d \"$d\" ] || { cleanup; echo \"dest $d must be an existing directory\" >&2; exit "
	    "2; }\n"
	    "if ! tar -df \"$a\" -C \"$d\"%s >/dev/null 2>&1; then c=1\n"
	    "  %star -xf \"$a\" -C \"$d\"%s || { cleanup; exit 3; }\nfi\n"
	    "cleanup; echo LV_CHANGED=$c\n",
	    qa, qd, remote ? ":" : "rm -f \"$a\"", x, ctx->check ? ": " : "", x);
	bool changed = false;
	rc = lv_mod_run_marked(ctx, dest, script, result, &changed, why);
out:
	free(script);
	free(qa);
	free(qc);
	free(qd);
	free(x);
	free(tmp);
	return rc;
}

const struct lv_module_ops lv_module_unarchive = {
	.name = "unarchive",
	.flags = LV_MOD_CHECK,
	.validate = unarchive_validate,
	.run = unarchive_run,
};
