/*
 * module_service: modules that drive the host's system — systemd and service
 * (systemctl: started, stopped, restarted, reloaded, enabled, daemon_reload),
 * apt and package (dpkg-query decides what is missing, so installed packages
 * report ok), wait_for (a port or a path, polled on the host itself with bash's
 * /dev/tcp) and reboot (waits until the host is back with a new boot id).
 */
#include "module.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "module_util.h"
#include "quote.h"
#include "base/util.h"

/* ---- systemd / service ------------------------------------------------- */

static const char *const svc_known[] = { "name",  "state",    "enabled", "daemon_reload",
	                                 "scope", "no_block", NULL };

static int svc_validate(const struct lv_val *args, char **why)
{
	const char *st = lv_mod_arg(args, "state");
	static const char *const states[] = { "started", "stopped", "restarted", "reloaded", NULL };
	if (!lv_mod_arg_one_of(args, "state", states))
		return lv_fail(
		    why, LV_EINVAL,
		    "systemd: state '%s' is not one of started, stopped, restarted, reloaded", st);
	if (!lv_val_get(args, "name") && !lv_val_get(args, "daemon_reload"))
		return lv_fail(why, LV_EINVAL, "systemd: missing required argument 'name'");
	return lv_mod_known_args(args, "systemd", svc_known, why);
}

static int svc_run(struct lv_module_ctx *ctx, struct lv_val *result, char **why)
{
	const char *name = lv_mod_arg(ctx->args, "name"), *state = lv_mod_arg(ctx->args, "state");
	const struct lv_val *en = lv_val_get(ctx->args, "enabled");
	const char *ck = ctx->check ? ": " : "";
	char *q = lv_quote_sh(name ? name : "");
	char *reload = lv_mod_arg_bool(ctx->args, "daemon_reload", false)
	                   ? lv_xasprintf("%ssystemctl daemon-reload || exit 3\n", ck)
	                   : lv_xstrdup("");
	char *enable = !en ? lv_xstrdup("")
	               : lv_val_truthy(en)
	                   ? lv_xasprintf("if ! systemctl is-enabled --quiet \"$n\"; then c=1; "
	                                  "%ssystemctl enable \"$n\" || exit 3; fi\n",
	                                  ck)
	                   : lv_xasprintf("if systemctl is-enabled --quiet \"$n\"; then c=1; "
	                                  "%ssystemctl disable \"$n\" || exit 3; fi\n",
	                                  ck);
	char *st = !state ? lv_xstrdup("")
	           : !strcmp(state, "started")
	               ? lv_xasprintf("if ! systemctl is-active --quiet \"$n\"; then c=1; "
	                              "%ssystemctl start \"$n\" || exit 3; fi\n",
	                              ck)
	           : !strcmp(state, "stopped")
	               ? lv_xasprintf("if systemctl is-active --quiet \"$n\"; then c=1; "
	                              "%ssystemctl stop \"$n\" || exit 3; fi\n",
	                              ck)
	           : !strcmp(state, "restarted")
	               ? lv_xasprintf("c=1; %ssystemctl restart \"$n\" || exit 3\n", ck)
	               : lv_xasprintf("c=1; %ssystemctl reload-or-restart \"$n\" || exit 3\n", ck);
	char *script = lv_xasprintf("n=%s; c=0\n%s%s%secho LV_CHANGED=$c\n", q, reload, enable, st);
	if (name)
		lv_val_set_str(result, "name", name);
	if (state)
		lv_val_set_str(result, "state", state);
	int rc = lv_mod_run_marked(ctx, name ? name : "daemon-reload", script, result, NULL, why);
	free(script);
	free(st);
	free(enable);
	free(reload);
	free(q);
	return rc;
}

const struct lv_module_ops lv_module_systemd = {
	.name = "systemd",
	.flags = LV_MOD_CHECK,
	.validate = svc_validate,
	.run = svc_run,
};
const struct lv_module_ops lv_module_service = {
	.name = "service",
	.flags = LV_MOD_CHECK,
	.validate = svc_validate,
	.run = svc_run,
};

/* ---- apt / package ----------------------------------------------------- */

static const char *const apt_known[] = {
	"name", "pkg", "state", "update_cache", "cache_valid_time", "install_recommends", NULL
};

static int apt_validate(const struct lv_val *args, char **why)
{
	return lv_mod_known_args(args, "apt", apt_known, why);
}

static int apt_run(struct lv_module_ctx *ctx, struct lv_val *result, char **why)
{
	const struct lv_val *names = lv_val_get(ctx->args, "name");
	if (!names)
		names = lv_val_get(ctx->args, "pkg");
	const char *state =
	    lv_mod_arg(ctx->args, "state") ? lv_mod_arg(ctx->args, "state") : "present";
	bool absent = !strcmp(state, "absent") || !strcmp(state, "removed");
	bool update = lv_mod_arg_bool(ctx->args, "update_cache", false);
	bool recommends = lv_mod_arg_bool(ctx->args, "install_recommends", true);
	const char *ck = ctx->check ? ": " : "";
	char *words = lv_mod_quote_words(names);
	char *script = lv_xasprintf(
	    "c=0; todo=\"\"\n"
	    "for p in %s; do\n"
	    "  if dpkg-query -W -f='${Status}' \"$p\" 2>/dev/null | grep -q 'install ok "
	    "installed'; "
	    "then %s; else %s; fi\ndone\n"
	    "%s"
	    "if [ -n \"$todo\" ]; then c=1\n"
	    "  %sDEBIAN_FRONTEND=noninteractive apt-get %s -y -q%s $todo >&2 || exit 3\nfi\n"
	    "echo LV_CHANGED=$c\n",
	    words, absent ? "todo=\"$todo $p\"" : ":", absent ? ":" : "todo=\"$todo $p\"",
	    update ? (ctx->check ? "" : "apt-get update -q >&2 || exit 3\n") : "", ck,
	    absent ? "remove" : "install", recommends || absent ? "" : " --no-install-recommends");
	int rc = lv_mod_run_marked(ctx, "apt", script, result, NULL, why);
	free(script);
	free(words);
	return rc;
}

const struct lv_module_ops lv_module_apt = {
	.name = "apt",
	.flags = LV_MOD_CHECK,
	.validate = apt_validate,
	.run = apt_run,
};
const struct lv_module_ops lv_module_package = {
	.name = "package",
	.flags = LV_MOD_CHECK,
	.validate = apt_validate,
	.run = apt_run,
};

/* ---- wait_for ---------------------------------------------------------- */

static const char *const wait_known[] = { "host",    "port",  "path",  "state",
	                                  "timeout", "delay", "sleep", "connect_timeout",
	                                  "msg",     NULL };

static int wait_validate(const struct lv_val *args, char **why)
{
	if (!lv_val_get(args, "port") && !lv_val_get(args, "path") && !lv_val_get(args, "timeout"))
		return lv_fail(why, LV_EINVAL,
		               "wait_for: one of port, path or timeout is required");
	return lv_mod_known_args(args, "wait_for", wait_known, why);
}

static long arg_long(const struct lv_val *args, const char *key, long dflt)
{
	long long v;
	return lv_val_as_int(lv_val_get(args, key), &v) ? (long)v : dflt;
}

static int wait_run(struct lv_module_ctx *ctx, struct lv_val *result, char **why)
{
	const struct lv_val *a = ctx->args;
	const char *host = lv_mod_arg(a, "host") ? lv_mod_arg(a, "host") : "127.0.0.1";
	const char *path = lv_mod_arg(a, "path"), *state = lv_mod_arg(a, "state");
	long port = arg_long(a, "port", 0), timeout = arg_long(a, "timeout", 300);
	bool gone = state && (!strcmp(state, "stopped") || !strcmp(state, "absent"));
	char *qh = lv_quote_sh(host), *qp = lv_quote_sh(path ? path : "");
	char *cond =
	    path   ? lv_xasprintf("[ -e %s ]", qp)
	    : port ? lv_xasprintf("timeout %ld bash -c 'exec 3<>/dev/tcp/'%s'/%ld' 2>/dev/null",
	                          arg_long(a, "connect_timeout", 5), qh, port)
	           : lv_xstrdup("false");
	char *what = path ? lv_xstrdup(path) : lv_xasprintf("%s:%ld", host, port);
	char *script = lv_xasprintf("end=$(( $(date +%%s) + %ld )); sleep %ld\n"
	                            "while :; do\n  if %s%s; then echo LV_CHANGED=0; exit 0; fi\n"
	                            "  [ \"$(date +%%s)\" -ge \"$end\" ] && { echo \"Timeout when "
	                            "waiting for %s\" >&2; exit 1; }\n"
	                            "  sleep %ld\ndone\n",
	                            timeout, arg_long(a, "delay", 0), gone ? "! " : "", cond, what,
	                            arg_long(a, "sleep", 1));
	time_t t0 = time(NULL);
	int rc = lv_mod_run_marked(ctx, "wait_for", script, result, NULL, why);
	lv_val_set_int(result, "elapsed", (long long)(time(NULL) - t0));
	if (port)
		lv_val_set_int(result, "port", port);
	if (path)
		lv_val_set_str(result, "path", path);
	const char *msg = lv_mod_arg(a, "msg");
	if (msg && lv_val_truthy(lv_val_get(result, "failed")))
		lv_val_set_str(result, "msg", msg);
	free(script);
	free(what);
	free(cond);
	free(qh);
	free(qp);
	return rc;
}

const struct lv_module_ops lv_module_wait_for = {
	.name = "wait_for",
	.flags = 0,
	.validate = wait_validate,
	.run = wait_run,
};

/* ---- reboot ------------------------------------------------------------ */

static const char *const reboot_known[] = { "reboot_timeout",    "msg",          "pre_reboot_delay",
	                                    "post_reboot_delay", "test_command", NULL };

static int reboot_validate(const struct lv_val *args, char **why)
{
	return lv_mod_known_args(args, "reboot", reboot_known, why);
}

static char *boot_id(struct lv_module_ctx *ctx, char **why)
{
	struct lv_exec_result res = { 0 };
	char *id = NULL;
	if (lv_mod_shell(ctx, "cat /proc/sys/kernel/random/boot_id", &res, why) == 0 && res.rc == 0)
		id = lv_xstrdup(res.out);
	lv_exec_result_fini(&res);
	return id;
}

static int reboot_run(struct lv_module_ctx *ctx, struct lv_val *result, char **why)
{
	long timeout = arg_long(ctx->args, "reboot_timeout", 600);
	lv_val_set_bool(result, "changed", true);
	if (ctx->check) {
		lv_val_set_bool(result, "rebooted", false);
		return 0;
	}
	if (!ctx->reconnect)
		return lv_mod_failed(result, "cannot reboot the controller itself");
	char *before = boot_id(ctx, why);
	if (!before)
		return LV_EIO;
	const char *msg = lv_mod_arg(ctx->args, "msg") ? lv_mod_arg(ctx->args, "msg")
	                                               : "Reboot initiated by loudva setup";
	char *qm = lv_quote_sh(msg);
	char *script =
	    lv_xasprintf("nohup sh -c 'sleep %ld; shutdown -r now '%s >/dev/null 2>&1 </dev/null &",
	                 arg_long(ctx->args, "pre_reboot_delay", 0) + 2, qm);
	struct lv_exec_result res = { 0 };
	int rc = lv_mod_shell(ctx, script, &res, why);
	lv_exec_result_fini(&res);
	free(script);
	free(qm);
	time_t t0 = time(NULL);
	bool back = false;
	while (rc == 0 && !back && time(NULL) - t0 < timeout) {
		sleep(5);
		char *ignored = NULL;
		if (ctx->reconnect(ctx, &ignored) == 0) {
			char *after = boot_id(ctx, &ignored);
			back = after && strcmp(after, before) != 0;
			free(after);
		}
		free(ignored);
	}
	free(before);
	if (rc)
		return rc;
	lv_val_set_int(result, "elapsed", (long long)(time(NULL) - t0));
	lv_val_set_bool(result, "rebooted", back);
	if (!back)
		lv_mod_failed(result,
		              "Timed out waiting for the host to come back after the reboot");
	sleep((unsigned)arg_long(ctx->args, "post_reboot_delay", 0));
	return 0;
}

const struct lv_module_ops lv_module_reboot = {
	.name = "reboot",
	.flags = LV_MOD_CHECK,
	.validate = reboot_validate,
	.run = reboot_run,
};
