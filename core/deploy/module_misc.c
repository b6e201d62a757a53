/*
 * module_misc: modules that run on the controller alone and touch no host —
 * debug (msg or var), set_fact, fail and assert. Their expressions use the
 * host's variables through the runner's lookup.
 */
#include "module.h"

#include <stdlib.h>
#include <string.h>

#include "module_util.h"
#include "base/util.h"

/* ---- debug ------------------------------------------------------------- */

static const char *const debug_known[] = { "msg", "var", "verbosity", NULL };

static int debug_validate(const struct lv_val *args, char **why)
{
	if (lv_val_get(args, "msg") && lv_val_get(args, "var"))
		return lv_fail(why, LV_EINVAL, "debug: msg and var are mutually exclusive");
	return lv_mod_known_args(args, "debug", debug_known, why);
}

static int debug_run(struct lv_module_ctx *ctx, struct lv_val *result, char **why)
{
	(void)why;
	const char *var = lv_mod_arg(ctx->args, "var");
	lv_val_set_bool(result, "changed", false);
	if (!var) {
		const struct lv_val *msg = lv_val_get(ctx->args, "msg");
		lv_val_set(result, "msg", msg ? lv_val_dup(msg) : lv_val_new_str("Hello world!"));
		return 0;
	}
	char *ew = NULL;
	struct lv_val *v = NULL;
	struct lv_expr *e = lv_expr_parse(var, &ew);
	if (!e || lv_expr_eval(e, ctx->lookup, ctx->lookup_ud, &v, &ew) != 0)
		v = lv_val_new_str("VARIABLE IS NOT DEFINED!");
	lv_val_set(result, var, v);
	lv_expr_free(e);
	free(ew);
	return 0;
}

const struct lv_module_ops lv_module_debug = {
	.name = "debug",
	.flags = LV_MOD_NO_CONN | LV_MOD_CHECK,
	.validate = debug_validate,
	.run = debug_run,
};

/* ---- set_fact ---------------------------------------------------------- */

static int set_fact_validate(const struct lv_val *args, char **why)
{
	if (lv_val_get(args, "_raw_params"))
		return lv_fail(why, LV_EINVAL, "set_fact: expected key: value arguments");
	return 0;
}

static int set_fact_run(struct lv_module_ctx *ctx, struct lv_val *result, char **why)
{
	(void)why;
	struct lv_val *facts = lv_val_new_map();
	for (size_t i = 0; i < ctx->args->n; i++) {
		if (!strcmp(ctx->args->keys[i], "cacheable"))
			continue;
		lv_val_set(facts, ctx->args->keys[i], lv_val_dup(ctx->args->items[i]));
	}
	lv_val_merge(ctx->facts, facts);
	lv_val_set(result, "ansible_facts", facts);
	lv_val_set_bool(result, "changed", false);
	return 0;
}

const struct lv_module_ops lv_module_set_fact = {
	.name = "set_fact",
	.flags = LV_MOD_NO_CONN | LV_MOD_CHECK,
	.validate = set_fact_validate,
	.run = set_fact_run,
};

/* ---- fail -------------------------------------------------------------- */

static const char *const fail_known[] = { "msg", NULL };

static int fail_validate(const struct lv_val *args, char **why)
{
	return lv_mod_known_args(args, "fail", fail_known, why);
}

static int fail_run(struct lv_module_ctx *ctx, struct lv_val *result, char **why)
{
	(void)why;
	const char *msg = lv_mod_arg(ctx->args, "msg");
	lv_val_set_bool(result, "changed", false);
	return lv_mod_failed(result, msg ? msg : "Failed as requested from task");
}

const struct lv_module_ops lv_module_fail = {
	.name = "fail",
	.flags = LV_MOD_NO_CONN | LV_MOD_CHECK,
	.validate = fail_validate,
	.run = fail_run,
};

/* ---- assert ------------------------------------------------------------ */

static const char *const assert_known[] = {
	"that", "msg", "fail_msg", "success_msg", "quiet", NULL
};

static int assert_validate(const struct lv_val *args, char **why)
{
	const struct lv_val *that = lv_val_get(args, "that");
	if (!that)
		return lv_fail(why, LV_EINVAL, "assert: missing required argument 'that'");
	size_t n = that->kind == LV_VAL_LIST ? that->n : 1;
	for (size_t i = 0; i < n; i++) {
		const struct lv_val *c = that->kind == LV_VAL_LIST ? that->items[i] : that;
		char *t = lv_val_to_text(c);
		struct lv_expr *e = lv_expr_parse(t, why);
		free(t);
		if (!e)
			return LV_EINVAL;
		lv_expr_free(e);
	}
	return lv_mod_known_args(args, "assert", assert_known, why);
}

static int assert_run(struct lv_module_ctx *ctx, struct lv_val *result, char **why)
{
	const struct lv_val *that = lv_val_get(ctx->args, "that");
	size_t n = that->kind == LV_VAL_LIST ? that->n : 1;
	lv_val_set_bool(result, "changed", false);
	for (size_t i = 0; i < n; i++) {
		const struct lv_val *c = that->kind == LV_VAL_LIST ? that->items[i] : that;
		char *t = lv_val_to_text(c), *ew = NULL;
		struct lv_expr *e = lv_expr_parse(t, why);
		bool ok = false;
		int rc =
		    e ? lv_expr_eval_bool(e, ctx->lookup, ctx->lookup_ud, &ok, &ew) : LV_EINVAL;
		lv_expr_free(e);
		if (rc || !ok) {
			const char *fm = lv_mod_arg(ctx->args, "fail_msg");
			if (!fm)
				fm = lv_mod_arg(ctx->args, "msg");
			char *msg = fm   ? lv_xstrdup(fm)
			            : rc ? lv_xasprintf("%s: %s", t, ew)
			                 : lv_xstrdup("Assertion failed");
			lv_mod_failed(result, msg);
			lv_val_set_str(result, "assertion", t);
			free(msg);
			free(ew);
			free(t);
			return 0;
		}
		free(t);
	}
	const char *sm = lv_mod_arg(ctx->args, "success_msg");
	lv_val_set_str(result, "msg", sm ? sm : "All assertions passed");
	return 0;
}

const struct lv_module_ops lv_module_assert = {
	.name = "assert",
	.flags = LV_MOD_NO_CONN | LV_MOD_CHECK,
	.validate = assert_validate,
	.run = assert_run,
};
