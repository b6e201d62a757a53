/*
 * runner: the scheduler of `loudva setup` (contracts in runner.h) — plays in
 * order, the hosts of each play, tasks one after another across hosts with a
 * pool of up to `forks` threads, blocks with rescue and always, run_once,
 * tags, handlers at the end of each play, and the recap.
 *
 * A host that fails or is unreachable drops out of every later task and play
 * (Ansible's behaviour); a failure inside a block that has a rescue section is
 * counted as rescued, not failed, and the host goes on with the rescue tasks.
 */
#include "runner.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"
#include "playbook.h"
#include "quote.h"
#include "runner_impl.h"
#include "base/file.h"
#include "base/util.h"

/* ---- validation -------------------------------------------------------- */

static bool is_localhost(const char *s)
{
	return !strcmp(s, "localhost") || !strcmp(s, "127.0.0.1") || lv_template_has_expr(s);
}

static bool handler_exists(const struct lv_play *p, const char *name)
{
	for (size_t i = 0; i < p->handlers.n; i++) {
		const struct lv_task *h = p->handlers.v[i];
		if (h->name && !strcmp(h->name, name))
			return true;
		for (size_t k = 0; k < h->n_listen; k++)
			if (!strcmp(h->listen[k], name))
				return true;
	}
	return false;
}

static int validate_list(const struct lv_play *p, const struct lv_task_list *l, char **why)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct lv_task *t = l->v[i];
		if (t->is_block) {
			if (validate_list(p, &t->block, why) || validate_list(p, &t->rescue, why) ||
			    validate_list(p, &t->always, why))
				return LV_EINVAL;
			continue;
		}
		const struct lv_module_ops *m = lv_module_find(t->module);
		if (!m)
			return lv_fail(
			    why, LV_EINVAL,
			    "%s:%d: unknown module '%s' in task '%s' (loudva setup "
			    "supports command, shell, copy, template, file, fetch, stat, "
			    "wait_for, systemd, service, lineinfile, unarchive, apt, "
			    "package, debug, set_fact, fail, assert, reboot, user, setup)",
			    t->file, t->line, t->module, lv_task_display_name(t));
		char *mw = NULL;
		if (m->validate && m->validate(t->args, &mw)) {
			lv_fail(why, LV_EINVAL, "%s:%d: task '%s': %s", t->file, t->line,
			        lv_task_display_name(t), mw);
			free(mw);
			return LV_EINVAL;
		}
		if (t->delegate_to && !is_localhost(t->delegate_to))
			return lv_fail(
			    why, LV_EINVAL,
			    "%s:%d: task '%s': delegate_to '%s': only localhost is supported",
			    t->file, t->line, lv_task_display_name(t), t->delegate_to);
		for (size_t k = 0; k < t->n_notify; k++)
			if (!handler_exists(p, t->notify[k]))
				return lv_fail(
				    why, LV_EINVAL,
				    "%s:%d: task '%s': notify: no handler '%s' in the play",
				    t->file, t->line, lv_task_display_name(t), t->notify[k]);
	}
	return 0;
}

int lv_runner_validate(const struct lv_playbook *pb, char **why)
{
	for (size_t i = 0; i < pb->n_plays; i++) {
		const struct lv_play *p = pb->plays[i];
		if (validate_list(p, &p->tasks, why) || validate_list(p, &p->handlers, why))
			return LV_EINVAL;
	}
	return 0;
}

/* ---- tags -------------------------------------------------------------- */

static void split_tags(const char *s, char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!s)
		return;
	char *copy = lv_xstrdup(s), *save = NULL;
	for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		*out = lv_xrealloc(*out, (*n + 1) * sizeof **out);
		(*out)[(*n)++] = lv_xstrdup(t);
	}
	free(copy);
}

static bool has_tag(char *const *v, size_t n, const char *tag)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], tag))
			return true;
	return false;
}

/* Does any of the task's (or its blocks' and play's) tags appear in `list`? */
static bool any_tag_in(const struct lv_task *t, const struct lv_frame *f, char *const *list,
                       size_t n, size_t *count)
{
	bool hit = false;
	*count = t->n_tags;
	for (size_t i = 0; i < t->n_tags; i++)
		hit |= has_tag(list, n, t->tags[i]);
	for (; f; f = f->up) {
		*count += f->n_tags;
		for (size_t i = 0; i < f->n_tags; i++)
			hit |= has_tag(list, n, f->tags[i]);
	}
	return hit;
}

static bool tag_selected(struct lv_run *r, const struct lv_task *t, const struct lv_frame *f)
{
	size_t ntags;
	char *const always[] = { "always" }, *const never[] = { "never" };
	if (r->n_skip && any_tag_in(t, f, r->skip_tags, r->n_skip, &ntags))
		return false;
	bool is_never = any_tag_in(t, f, never, 1, &ntags);
	if (!r->n_want)
		return !is_never;
	if (any_tag_in(t, f, r->want_tags, r->n_want, &ntags))
		return true;
	if (any_tag_in(t, f, always, 1, &ntags))
		return true;
	if (has_tag(r->want_tags, r->n_want, "all") && !is_never)
		return true;
	if (has_tag(r->want_tags, r->n_want, "tagged") && ntags > 0 && !is_never)
		return true;
	return has_tag(r->want_tags, r->n_want, "untagged") && ntags == 0;
}

/* ---- scheduling -------------------------------------------------------- */

struct pool {
	struct lv_run *r;
	const struct lv_task *t;
	const struct lv_frame *f;
	struct lv_rhost **todo;
	size_t n, next;
	pthread_mutex_t lock;
};

static void *worker(void *arg)
{
	struct pool *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		size_t i = p->next++;
		pthread_mutex_unlock(&p->lock);
		if (i >= p->n)
			return NULL;
		lv_run_task_host(p->r, p->todo[i], p->t, p->f);
	}
}

static bool eligible(const struct lv_rhost *h, const bool *mask, size_t i)
{
	return h->in_play && !h->failed && !h->unreachable && (!mask || mask[i]);
}

static void run_task(struct lv_run *r, const struct lv_task *t, const struct lv_frame *f,
                     const bool *mask, bool handler)
{
	if (!handler && !tag_selected(r, t, f))
		return;
	struct pool p = { .r = r, .t = t, .f = f };
	p.todo = lv_xcalloc(r->n_hosts ? r->n_hosts : 1, sizeof *p.todo);
	for (size_t i = 0; i < r->n_hosts; i++)
		if (eligible(&r->hosts[i], mask, i))
			p.todo[p.n++] = &r->hosts[i];
	if (p.n == 0) {
		free(p.todo);
		return;
	}
	lv_run_magic_hosts(r);
	struct lv_run_event ev = { .type = handler ? LV_EV_HANDLER : LV_EV_TASK,
		                   .name = lv_task_display_name(t),
		                   .check = r->o->check };
	lv_run_emit(r, &ev);
	size_t all = p.n;
	if (t->run_once)
		p.n = 1;
	int forks = r->o->forks > 0 ? r->o->forks : 5;
	size_t nthreads = p.n < (size_t)forks ? p.n : (size_t)forks;
	pthread_mutex_init(&p.lock, NULL);
	if (nthreads <= 1) {
		worker(&p);
	} else {
		pthread_t *th = lv_xcalloc(nthreads, sizeof *th);
		size_t started = 0;
		for (; started < nthreads; started++)
			if (pthread_create(&th[started], NULL, worker, &p) != 0)
				break;
		if (started == 0)
			worker(&p);
		for (size_t i = 0; i < started; i++)
			pthread_join(th[i], NULL);
		free(th);
	}
	pthread_mutex_destroy(&p.lock);
	/* run_once: the other hosts see the registered result too */
	if (t->run_once && t->register_name) {
		const struct lv_val *res = lv_val_get(p.todo[0]->facts, t->register_name);
		for (size_t i = 1; i < all && res; i++)
			lv_val_set(p.todo[i]->facts, t->register_name, lv_val_dup(res));
	}
	free(p.todo);
}

static void run_list(struct lv_run *r, const struct lv_task_list *l, const struct lv_frame *f,
                     const bool *mask);

static bool *snapshot(struct lv_run *r, const bool *mask)
{
	bool *s = lv_xcalloc(r->n_hosts ? r->n_hosts : 1, sizeof *s);
	for (size_t i = 0; i < r->n_hosts; i++)
		s[i] = eligible(&r->hosts[i], mask, i);
	return s;
}

static void run_block(struct lv_run *r, const struct lv_task *t, const struct lv_frame *up,
                      const bool *mask)
{
	struct lv_frame f = { .vars = t->vars,
		              .tags = t->tags,
		              .n_tags = t->n_tags,
		              .when = t->when,
		              .become = t->become,
		              .become_user = t->become_user,
		              .ignore_errors = t->ignore_errors,
		              .up = up };
	bool *before = snapshot(r, mask);
	bool *failed = lv_xcalloc(r->n_hosts ? r->n_hosts : 1, sizeof *failed);
	run_list(r, &t->block, &f, before);
	for (size_t i = 0; i < r->n_hosts; i++) {
		struct lv_rhost *h = &r->hosts[i];
		failed[i] = before[i] && h->failed && !h->unreachable;
		if (failed[i] && t->rescue.n) {
			pthread_mutex_lock(&r->lock);
			h->failed = false;
			h->row.failed--;
			h->row.rescued++;
			pthread_mutex_unlock(&r->lock);
		}
	}
	if (t->rescue.n)
		run_list(r, &t->rescue, &f, failed);
	if (t->always.n) {
		bool *still = lv_xcalloc(r->n_hosts ? r->n_hosts : 1, sizeof *still);
		for (size_t i = 0; i < r->n_hosts; i++) {
			still[i] = r->hosts[i].failed;
			if (before[i] && !r->hosts[i].unreachable)
				r->hosts[i].failed = false;
		}
		run_list(r, &t->always, &f, before);
		for (size_t i = 0; i < r->n_hosts; i++)
			r->hosts[i].failed |= still[i];
		free(still);
	}
	free(failed);
	free(before);
}

static void run_list(struct lv_run *r, const struct lv_task_list *l, const struct lv_frame *f,
                     const bool *mask)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i]->is_block)
			run_block(r, l->v[i], f, mask);
		else
			run_task(r, l->v[i], f, mask, false);
	}
}

static void run_handlers(struct lv_run *r)
{
	const struct lv_task_list *hl = &r->play->handlers;
	bool *mask = lv_xcalloc(r->n_hosts ? r->n_hosts : 1, sizeof *mask);
	for (size_t k = 0; k < hl->n; k++) {
		bool any = false;
		for (size_t i = 0; i < r->n_hosts; i++) {
			mask[i] = r->hosts[i].notified && r->hosts[i].notified[k];
			any |= mask[i];
		}
		if (any)
			run_task(r, hl->v[k], NULL, mask, true);
	}
	free(mask);
}

/* ---- plays ------------------------------------------------------------- */

static void run_play(struct lv_run *r, const struct lv_play *p, const bool *limit)
{
	bool *sel = lv_xcalloc(r->n_hosts ? r->n_hosts : 1, sizeof *sel);
	size_t n = 0, live = 0;
	lv_inventory_match(r->inv, p->hosts, sel, &n);
	for (size_t i = 0; i < r->n_hosts; i++) {
		struct lv_rhost *h = &r->hosts[i];
		h->in_play = sel[i] && (!limit || limit[i]);
		h->touched |= h->in_play;
		live += h->in_play && !h->failed && !h->unreachable;
	}
	free(sel);
	r->play = p;
	struct lv_run_event ev = { .type = live ? LV_EV_PLAY : LV_EV_NO_HOSTS, .name = p->name };
	lv_run_emit(r, &ev);
	if (!live)
		return;
	for (size_t i = 0; i < r->n_hosts; i++)
		r->hosts[i].notified = lv_xcalloc(p->handlers.n ? p->handlers.n : 1, sizeof(bool));
	struct lv_frame top = { .tags = p->tags, .n_tags = p->n_tags, .become = -1 };
	run_list(r, &p->tasks, &top, NULL);
	run_handlers(r);
	for (size_t i = 0; i < r->n_hosts; i++) {
		free(r->hosts[i].notified);
		r->hosts[i].notified = NULL;
		r->hosts[i].in_play = false;
	}
}

static void hosts_init(struct lv_run *r, const struct lv_inv_dirvars *dv)
{
	r->n_hosts = r->inv->n_hosts;
	r->hosts = lv_xcalloc(r->n_hosts ? r->n_hosts : 1, sizeof *r->hosts);
	for (size_t i = 0; i < r->n_hosts; i++) {
		struct lv_rhost *h = &r->hosts[i];
		h->run = r;
		h->inv = i;
		h->name = r->inv->hosts[i].name;
		h->inv_vars = lv_inventory_host_vars_with(r->inv, i, dv);
		h->facts = lv_val_new_map();
		h->row.host = lv_xstrdup(h->name);
	}
}

static int finish(struct lv_run *r, struct lv_recap *recap)
{
	int code = 0;
	recap->rows = lv_xcalloc(r->n_hosts ? r->n_hosts : 1, sizeof *recap->rows);
	recap->n = 0;
	for (size_t i = 0; i < r->n_hosts; i++) {
		struct lv_rhost *h = &r->hosts[i];
		if (h->unreachable)
			code = 4;
		else if (h->failed && code == 0)
			code = 2;
		if (h->touched) {
			recap->rows[recap->n++] = h->row;
			h->row.host = NULL;
		}
		free(h->row.host);
		lv_conn_free(h->conn);
		lv_val_free(h->inv_vars);
		lv_val_free(h->facts);
		free(h->partial);
	}
	return code;
}

int lv_runner_run(const struct lv_playbook *pb, const struct lv_inventory *inv,
                  const struct lv_runner_opts *o, struct lv_recap *recap, char **why)
{
	struct lv_run r = { .pb = pb, .inv = inv, .o = o };
	memset(recap, 0, sizeof *recap);
	/* group_vars/ and host_vars/ beside the inventory, then beside the playbook */
	char *inv_dir = lv_path_dirname(inv->path);
	const char *dirs[2] = { inv_dir, pb->dir };
	struct lv_inv_dirvars *dv = lv_inventory_dirvars_load(inv, dirs, 2, why);
	free(inv_dir);
	if (!dv)
		return LV_EINVAL;
	pthread_mutex_init(&r.lock, NULL);
	split_tags(o->tags, &r.want_tags, &r.n_want);
	split_tags(o->skip_tags, &r.skip_tags, &r.n_skip);
	hosts_init(&r, dv);
	lv_inventory_dirvars_free(dv);
	lv_run_magic_init(&r);
	bool *limit = NULL;
	if (o->limit) {
		size_t n;
		limit = lv_xcalloc(r.n_hosts ? r.n_hosts : 1, sizeof *limit);
		lv_inventory_match(inv, o->limit, limit, &n);
	}
	for (size_t i = 0; i < pb->n_plays; i++)
		run_play(&r, pb->plays[i], limit);
	int code = finish(&r, recap);
	free(limit);
	free(r.hosts);
	lv_val_free(r.magic);
	for (size_t i = 0; i < r.n_want; i++)
		free(r.want_tags[i]);
	for (size_t i = 0; i < r.n_skip; i++)
		free(r.skip_tags[i]);
	free(r.want_tags);
	free(r.skip_tags);
	pthread_mutex_destroy(&r.lock);
	return code;
}

void lv_recap_fini(struct lv_recap *recap)
{
	for (size_t i = 0; i < recap->n; i++)
		free(recap->rows[i].host);
	free(recap->rows);
	recap->rows = NULL;
	recap->n = 0;
}

int lv_runner_parse_extra_vars(const char *text, struct lv_val *vars, char **why)
{
	struct lv_val *v = NULL;
	if (text[0] == '@') {
		v = lv_yaml_load(text + 1, why);
	} else if (text[0] == '{') {
		v = lv_yaml_parse(text, strlen(text), "-e", why);
	} else {
		/* key=value words, quotes grouping as Ansible's: -e "msg='a b' n=3" */
		size_t n = 0;
		bool bad_quote = false;
		char **w = lv_split_words(text, false, &n, &bad_quote);
		if (bad_quote) {
			lv_words_free(w, n);
			return lv_fail(why, LV_EINVAL, "-e: a quote is left open in \"%s\"", text);
		}
		v = lv_val_new_map();
		for (size_t i = 0; i < n; i++) {
			const char *eq = strchr(w[i], '=');
			if (!eq || eq == w[i]) {
				int rc = lv_fail(why, LV_EINVAL, "-e: expected key=value, got '%s'",
				                 w[i]);
				lv_val_free(v);
				lv_words_free(w, n);
				return rc;
			}
			char *key = lv_xasprintf("%.*s", (int)(eq - w[i]), w[i]);
			lv_val_set(v, key, lv_val_new_str(eq + 1));
			free(key);
		}
		lv_words_free(w, n);
	}
	if (!v)
		return LV_EINVAL;
	if (v->kind != LV_VAL_MAP) {
		lv_val_free(v);
		return lv_fail(why, LV_EINVAL, "-e: expected key=value pairs or a mapping");
	}
	lv_val_merge(vars, v);
	lv_val_free(v);
	return 0;
}
