/*
 * runner_task: one task on one host — conditions, loops, templated
 * arguments, the connection, the module call, changed_when / failed_when /
 * until, register, notify, and the result event with the recap counters.
 * Runs on a worker thread; see runner_impl.h for what it may touch.
 *
 * Counting follows Ansible's: a changed result counts ok and changed; a
 * failure under ignore_errors counts ok and ignored; a skipped task counts
 * skipped only; unreachable is not failed.
 */
#include "runner_impl.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "module_util.h"
#include "base/util.h"

void lv_run_emit(struct lv_run *r, const struct lv_run_event *ev)
{
	pthread_mutex_lock(&r->lock);
	if (r->o->on_event)
		r->o->on_event(r->o->ud, ev);
	pthread_mutex_unlock(&r->lock);
}

static void emit_line(struct lv_rhost *h, int stream, const char *s, size_t n)
{
	char *line = lv_xasprintf("%.*s", (int)n, s);
	struct lv_run_event ev = {
		.type = LV_EV_OUTPUT, .host = h->name, .stream = stream, .line = line
	};
	lv_run_emit(h->run, &ev);
	free(line);
}

void lv_run_host_output(void *ud, int stream, const char *data, size_t len)
{
	struct lv_rhost *h = ud;
	if (h->quiet)
		return;
	/* stdout and stderr share one partial buffer; lines may interleave, never split */
	h->partial = lv_xrealloc(h->partial, h->partial_len + len + 1);
	memcpy(h->partial + h->partial_len, data, len);
	h->partial_len += len;
	size_t start = 0;
	for (size_t i = 0; i < h->partial_len; i++) {
		if (h->partial[i] == '\n') {
			emit_line(h, stream, h->partial + start, i - start);
			start = i + 1;
		}
	}
	memmove(h->partial, h->partial + start, h->partial_len - start);
	h->partial_len -= start;
}

void lv_run_host_flush(struct lv_rhost *h)
{
	if (h->partial_len && !h->quiet)
		emit_line(h, 1, h->partial, h->partial_len);
	h->partial_len = 0;
}

static bool effective_become(struct lv_scope *s, const char **user)
{
	const struct lv_task *t = s->t;
	int b = t->become;
	*user = t->become_user;
	for (const struct lv_frame *f = s->f; f; f = f->up) {
		if (b < 0)
			b = f->become;
		if (!*user)
			*user = f->become_user;
	}
	if (b < 0) {
		struct lv_val *v = NULL;
		char *ignored = NULL;
		if (lv_scope_lookup(s, "ansible_become", &v, &ignored) == 0 && v)
			b = lv_val_truthy(v);
		lv_val_free(v);
		free(ignored);
	}
	if (!*user && s->r->play)
		*user = s->r->play->become_user;
	return b < 0 ? s->r->play && s->r->play->become : b;
}

/* All conditions of the task and its blocks; -1 on error (result failed). */
static int conditions_hold(struct lv_scope *s, struct lv_val *result)
{
	char *why = NULL;
	bool ok = true;
	for (const struct lv_frame *f = s->f; f && ok; f = f->up)
		if (f->when && lv_expr_eval_bool(f->when, lv_scope_lookup, s, &ok, &why))
			goto bad;
	if (ok && s->t->when && lv_expr_eval_bool(s->t->when, lv_scope_lookup, s, &ok, &why))
		goto bad;
	if (!ok) {
		lv_val_set_bool(result, "changed", false);
		lv_val_set_bool(result, "skipped", true);
		lv_val_set_str(result, "skip_reason", "Conditional result was False");
		if (s->t->when)
			lv_val_set_str(result, "false_condition", lv_expr_text(s->t->when));
	}
	return ok;
bad:;
	char *msg = lv_xasprintf("The conditional check failed: %s", why);
	lv_mod_failed(result, msg);
	free(msg);
	free(why);
	return -1;
}

static int reconnect(struct lv_module_ctx *ctx, char **why)
{
	struct lv_scope *s = ctx->runner_ud;
	enum lv_ssh_xfer xfer = lv_conn_xfer(s->h->conn, NULL); /* found once per host */
	lv_conn_free(s->h->conn);
	s->h->conn = NULL;
	int rc = lv_run_connect(s, why);
	if (rc == 0) {
		s->h->conn->on_output = lv_run_host_output;
		s->h->conn->output_ud = s->h;
		lv_conn_xfer_set(s->h->conn, xfer);
	}
	ctx->conn = s->h->conn;
	return rc;
}

/* Tells, once per host, how its files move (after its first transfer). */
static void tell_xfer(struct lv_scope *s, const struct lv_conn *c)
{
	const char *note = NULL;
	enum lv_ssh_xfer x = lv_conn_xfer(c, &note);
	if (x == LV_SSH_XFER_UNKNOWN || s->h->xfer_told)
		return;
	s->h->xfer_told = true;
	struct lv_run_event ev = {
		.type = LV_EV_TRANSFER,
		.host = s->h->name,
		.name = lv_ssh_xfer_name(x),
		.line = note,
	};
	lv_run_emit(s->r, &ev);
}

/* changed_when / failed_when with the result registered under its name. */
static void apply_overrides(struct lv_scope *s, struct lv_val *result)
{
	const struct lv_task *t = s->t;
	char *why = NULL;
	bool b;
	if (t->register_name)
		lv_val_set(s->h->facts, t->register_name, lv_val_dup(result));
	if (t->changed_when) {
		if (lv_expr_eval_bool(t->changed_when, lv_scope_lookup, s, &b, &why) == 0)
			lv_val_set_bool(result, "changed", b);
	}
	if (!why && t->failed_when) {
		if (lv_expr_eval_bool(t->failed_when, lv_scope_lookup, s, &b, &why) == 0) {
			lv_val_set_bool(result, "failed", b);
			lv_val_set_bool(result, "failed_when_result", b);
		}
	}
	if (why) {
		char *msg = lv_xasprintf("The conditional check failed: %s", why);
		lv_mod_failed(result, msg);
		free(msg);
		free(why);
	}
}

/* Calls the module (with until/retries); the result says what happened. */
static enum lv_run_status call_module(struct lv_scope *s, const struct lv_module_ops *m,
                                      struct lv_module_ctx *ctx, struct lv_val **result)
{
	const struct lv_task *t = s->t;
	for (int attempt = 1;; attempt++) {
		char *why = NULL;
		lv_val_free(*result);
		*result = lv_val_new_map();
		int rc = m->run(ctx, *result, &why);
		lv_run_host_flush(s->h);
		if (rc) {
			bool lost = ctx->conn && ctx->conn->broken;
			lv_mod_failed(*result, why ? why : "the module failed");
			free(why);
			if (lost) {
				lv_val_set_bool(*result, "unreachable", true);
				return LV_RUN_UNREACHABLE;
			}
		}
		if (!lv_val_get(*result, "changed"))
			lv_val_set_bool(*result, "changed", false);
		/* a module that skipped itself (command in check mode) has nothing to judge */
		if (!lv_val_truthy(lv_val_get(*result, "skipped")))
			apply_overrides(s, *result);
		if (!t->until)
			break;
		bool done = false;
		char *uw = NULL;
		lv_expr_eval_bool(t->until, lv_scope_lookup, s, &done, &uw);
		free(uw);
		lv_val_set_int(*result, "attempts", attempt);
		if (done)
			break;
		if (attempt > t->retries) {
			lv_val_set_bool(*result, "failed", true);
			break;
		}
		sleep((unsigned)t->delay_s);
	}
	if (lv_val_truthy(lv_val_get(*result, "failed")))
		return LV_RUN_FAILED;
	if (lv_val_truthy(lv_val_get(*result, "skipped")))
		return LV_RUN_SKIPPED;
	return lv_val_truthy(lv_val_get(*result, "changed")) ? LV_RUN_CHANGED : LV_RUN_OK;
}

/* One execution of the task (one loop item, or the task without a loop). */
static enum lv_run_status exec_item(struct lv_scope *s, struct lv_val **result)
{
	const struct lv_task *t = s->t;
	const struct lv_module_ops *m = lv_module_find(t->module);
	bool check = t->check_mode >= 0 ? t->check_mode : s->r->o->check;
	struct lv_conn *local = NULL;
	struct lv_val *args = NULL;
	char *why = NULL;
	enum lv_run_status st = LV_RUN_FAILED;
	*result = lv_val_new_map();
	int cond = conditions_hold(s, *result);
	if (cond <= 0)
		return cond == 0 ? LV_RUN_SKIPPED : LV_RUN_FAILED;
	if (check && !(m->flags & LV_MOD_CHECK)) {
		lv_val_set_bool(*result, "skipped", true);
		lv_val_set_str(*result, "msg", "skipped, running in check mode");
		return LV_RUN_SKIPPED;
	}
	if (lv_template_render_val(t->args, lv_scope_lookup, s, &args, &why)) {
		lv_mod_failed(*result, why);
		goto out;
	}
	struct lv_module_ctx ctx = {
		.args = args,
		.host = s->h->name,
		.play_dir = s->r->play->dir,
		.check = check,
		.lookup = lv_scope_lookup,
		.lookup_ud = s,
		.facts = s->h->facts,
		.runner_ud = s,
	};
	ctx.become = effective_become(s, &ctx.become_user);
	if (!(m->flags & LV_MOD_NO_CONN)) {
		char *ct = lv_scope_text(s, "ansible_connection", NULL);
		bool is_local = t->delegate_to || (ct && !strcmp(ct, "local"));
		free(ct);
		if (is_local) {
			ctx.conn = local = lv_conn_local_new();
		} else if (lv_run_connect(s, &why)) {
			lv_mod_failed(*result, why);
			lv_val_set_bool(*result, "unreachable", true);
			st = LV_RUN_UNREACHABLE;
			goto out;
		} else {
			ctx.conn = s->h->conn;
			ctx.reconnect = reconnect;
		}
		ctx.conn->on_output = lv_run_host_output;
		ctx.conn->output_ud = s->h;
	}
	st = call_module(s, m, &ctx, result);
	if (!local)
		tell_xfer(s, ctx.conn);
out:
	lv_conn_free(local);
	lv_val_free(args);
	free(why);
	return st;
}

/* Runs every item of the loop; the aggregate result is Ansible's "results" shape. */
static enum lv_run_status exec_loop(struct lv_scope *s, struct lv_val **result, bool ignore)
{
	struct lv_val *items = NULL;
	char *why = NULL;
	*result = lv_val_new_map();
	if (lv_template_render_val(s->t->loop, lv_scope_lookup, s, &items, &why) ||
	    items->kind != LV_VAL_LIST) {
		lv_mod_failed(*result,
		              why ? why : "Invalid data passed to 'loop', it requires a list");
		free(why);
		lv_val_free(items);
		return LV_RUN_FAILED;
	}
	struct lv_val *results = lv_val_new_list();
	bool any_changed = false, any_failed = false, all_skipped = true;
	enum lv_run_status worst = LV_RUN_OK;
	for (size_t i = 0; i < items->n && worst != LV_RUN_UNREACHABLE; i++) {
		struct lv_val *r = NULL;
		s->item_name = s->t->loop_var;
		s->item = items->items[i];
		enum lv_run_status st = exec_item(s, &r);
		char *label = NULL, *lwhy = NULL;
		/* loop_control.label: what the output shows of the item (a label that
		 * does not render shows the item, with the reason in the result) */
		if (s->t->loop_label &&
		    lv_template_render(s->t->loop_label, lv_scope_lookup, s, &label, &lwhy)) {
			lv_val_set_str(r, "label_error", lwhy);
			label = NULL;
		}
		free(lwhy);
		if (!label)
			label = lv_val_to_text(items->items[i]);
		struct lv_run_event ev = { .type = LV_EV_RESULT,
			                   .host = s->h->name,
			                   .status = st,
			                   .item = label,
			                   .result = r,
			                   .ignored = ignore,
			                   .hidden = s->t->no_log,
			                   .check = s->r->o->check,
			                   .module = s->t->module };
		lv_run_emit(s->r, &ev);
		free(label);
		lv_val_set(r, s->t->loop_var, lv_val_dup(items->items[i]));
		lv_val_push(results, r);
		any_changed |= st == LV_RUN_CHANGED;
		any_failed |= st == LV_RUN_FAILED;
		all_skipped &= st == LV_RUN_SKIPPED;
		if (st == LV_RUN_UNREACHABLE)
			worst = st;
	}
	s->item = NULL;
	s->item_name = NULL;
	lv_val_set_bool(*result, "changed", any_changed);
	lv_val_set_bool(*result, "failed", any_failed);
	if (all_skipped && items->n)
		lv_val_set_bool(*result, "skipped", true);
	lv_val_set_str(*result, "msg",
	               any_failed ? "One or more items failed" : "All items completed");
	lv_val_set(*result, "results", results);
	lv_val_free(items);
	if (worst == LV_RUN_UNREACHABLE)
		return worst;
	if (any_failed)
		return LV_RUN_FAILED;
	if (all_skipped)
		return LV_RUN_SKIPPED;
	return any_changed ? LV_RUN_CHANGED : LV_RUN_OK;
}

static void notify(struct lv_run *r, struct lv_rhost *h, const struct lv_task *t)
{
	const struct lv_task_list *hl = &r->play->handlers;
	for (size_t n = 0; n < t->n_notify; n++) {
		for (size_t i = 0; i < hl->n; i++) {
			const struct lv_task *ht = hl->v[i];
			bool hit = ht->name && !strcmp(ht->name, t->notify[n]);
			for (size_t k = 0; k < ht->n_listen && !hit; k++)
				hit = !strcmp(ht->listen[k], t->notify[n]);
			if (hit)
				h->notified[i] = true;
		}
	}
}

static void count(struct lv_rhost *h, enum lv_run_status st, bool ignore)
{
	struct lv_recap_row *row = &h->row;
	switch (st) {
	case LV_RUN_OK: row->ok++; break;
	case LV_RUN_CHANGED: row->ok++, row->changed++; break;
	case LV_RUN_SKIPPED: row->skipped++; break;
	case LV_RUN_UNREACHABLE:
		row->unreachable++;
		h->unreachable = true;
		break;
	case LV_RUN_FAILED:
		if (ignore) {
			row->ok++;
			row->ignored++;
		} else {
			row->failed++;
			h->failed = true;
		}
		break;
	}
}

void lv_run_task_host(struct lv_run *r, struct lv_rhost *h, const struct lv_task *t,
                      const struct lv_frame *f)
{
	struct lv_scope s = { .r = r, .h = h, .t = t, .f = f };
	bool ignore = t->ignore_errors;
	for (const struct lv_frame *g = f; g; g = g->up)
		ignore |= g->ignore_errors;
	struct lv_val *result = NULL;
	h->quiet = t->no_log;
	enum lv_run_status st = t->loop ? exec_loop(&s, &result, ignore) : exec_item(&s, &result);
	h->quiet = false;
	if (t->register_name)
		lv_val_set(h->facts, t->register_name, lv_val_dup(result));
	if (!t->loop || lv_val_get(result, "results") == NULL) {
		struct lv_run_event ev = { .type = LV_EV_RESULT,
			                   .host = h->name,
			                   .status = st,
			                   .result = result,
			                   .ignored = ignore,
			                   .hidden = t->no_log,
			                   .check = r->o->check,
			                   .delegated = t->delegate_to,
			                   .module = t->module };
		lv_run_emit(r, &ev);
	}
	pthread_mutex_lock(&r->lock);
	count(h, st, ignore);
	pthread_mutex_unlock(&r->lock);
	if (st == LV_RUN_CHANGED)
		notify(r, h, t);
	lv_val_free(result);
}
