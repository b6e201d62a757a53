/*
 * playbook: plays and playbook files — play keywords, vars_files,
 * import_playbook (relative to the importing file, with a depth limit against
 * cycles), and the playbook's lifetime. Tasks are parsed in playbook_parse.c.
 */
#include "playbook.h"

#include <stdlib.h>
#include <string.h>

#include "playbook_parse.h"
#include "base/file.h"
#include "base/util.h"

#define MAX_IMPORT_DEPTH 16

static const char *const play_unsupported[] = {
	"roles",       "serial",         "strategy", "any_errors_fatal", "max_fail_percentage",
	"environment", "vars_prompt",    "order",    "throttle",         "module_defaults",
	"collections", "force_handlers", NULL
};

static void play_free(struct lv_play *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->hosts);
	free(p->dir);
	lv_val_free(p->vars);
	free(p->become_user);
	free(p->remote_user);
	free(p->connection);
	lv_pb_strv_free(p->tags, p->n_tags);
	lv_pb_tasks_free(&p->tasks);
	lv_pb_tasks_free(&p->handlers);
	free(p);
}

/* ---- plays ------------------------------------------------------------- */

static int play_vars_files(struct lv_pctx *c, struct lv_play *p, const struct lv_val *v)
{
	char **names = NULL;
	size_t n = 0;
	int rc = lv_pb_str_list(c, v, "vars_files", false, &names, &n);
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *path = lv_path_join(c->dir, names[i]);
		char *why = NULL;
		struct lv_val *vars = lv_yaml_load(path, &why);
		if (!vars || (vars->kind != LV_VAL_MAP && vars->kind != LV_VAL_NULL)) {
			rc = lv_pb_err(c, v, "vars_files: %s%s", why ? why : path,
			               why ? "" : ": expected a mapping");
		} else {
			lv_val_merge(p->vars, vars);
		}
		free(why);
		lv_val_free(vars);
		free(path);
	}
	lv_pb_strv_free(names, n);
	return rc;
}

/* Play keywords other than the task lists; sets *handled. */
static int play_keyword(struct lv_pctx *c, struct lv_play *p, const char *k, const struct lv_val *v)
{
	if (!strcmp(k, "name")) {
		free(p->name);
		p->name = lv_val_to_text(v);
	} else if (!strcmp(k, "hosts")) {
		char **h = NULL;
		size_t n = 0;
		if (lv_pb_str_list(c, v, k, false, &h, &n))
			return LV_EINVAL;
		char *acc = lv_xstrdup("");
		for (size_t i = 0; i < n; i++) {
			char *next = lv_xasprintf("%s%s%s", acc, i ? ":" : "", h[i]);
			free(acc);
			acc = next;
		}
		lv_pb_strv_free(h, n);
		p->hosts = acc;
	} else if (!strcmp(k, "vars")) {
		if (v->kind != LV_VAL_MAP && v->kind != LV_VAL_NULL)
			return lv_pb_err(c, v, "vars: expected a mapping%s%s", NULL, NULL);
		lv_val_merge(p->vars, v);
	} else if (!strcmp(k, "vars_files")) {
		return play_vars_files(c, p, v);
	} else if (!strcmp(k, "become")) {
		p->become = lv_val_truthy(v);
	} else if (!strcmp(k, "gather_facts") || !strcmp(k, "check_mode")) {
		/* gather_facts is accepted and does nothing: modules need no facts */
	} else if (!strcmp(k, "tags")) {
		return lv_pb_str_list(c, v, k, true, &p->tags, &p->n_tags);
	} else if (!strcmp(k, "become_user") || !strcmp(k, "remote_user") ||
	           !strcmp(k, "connection")) {
		if (!v->str || !v->str[0])
			return lv_pb_err(c, v, "%s: expected a string%s", k, NULL);
		char **dst = k[0] == 'b'   ? &p->become_user
		             : k[0] == 'r' ? &p->remote_user
		                           : &p->connection;
		*dst = lv_xstrdup(v->str);
		if (k[0] == 'c' && strcmp(v->str, "ssh") && strcmp(v->str, "local"))
			return lv_pb_err(c, v, "connection: '%s' is not supported (ssh, local)%s",
			                 v->str, NULL);
	} else if (lv_pb_in_list(k, play_unsupported)) {
		return lv_pb_err(c, v, "play keyword '%s' is not supported by loudva setup%s", k,
		                 NULL);
	} else {
		return lv_pb_err(c, v, "unknown play keyword '%s'%s", k, NULL);
	}
	return 0;
}

static struct lv_play *parse_play(struct lv_pctx *c, const struct lv_val *v)
{
	struct lv_play *p = lv_xcalloc(1, sizeof *p);
	p->file = c->file;
	p->line = v->line;
	p->dir = lv_xstrdup(c->dir);
	p->vars = lv_val_new_map();
	for (size_t i = 0; i < v->n; i++) {
		const char *k = v->keys[i];
		const struct lv_val *item = v->items[i];
		int rc;
		if (!strcmp(k, "tasks") || !strcmp(k, "pre_tasks") || !strcmp(k, "post_tasks"))
			continue; /* below, in Ansible's order */
		if (!strcmp(k, "handlers"))
			rc = lv_pb_task_list(c, item, k, &p->handlers);
		else
			rc = play_keyword(c, p, k, item);
		if (rc)
			goto fail;
	}
	static const char *const lists[] = { "pre_tasks", "tasks", "post_tasks" };
	for (size_t i = 0; i < 3; i++) {
		const struct lv_val *l = lv_val_get(v, lists[i]);
		if (l && lv_pb_task_list(c, l, lists[i], &p->tasks))
			goto fail;
	}
	if (!p->hosts) {
		lv_pb_err(c, v, "the play has no 'hosts'%s%s", NULL, NULL);
		goto fail;
	}
	if (!p->name)
		p->name = lv_xstrdup("");
	return p;
fail:
	play_free(p);
	return NULL;
}

static int load_file(struct lv_playbook *pb, const char *path, int depth, const struct lv_val *at,
                     const char *from, char **why);

static const char *import_target(const struct lv_val *play)
{
	const struct lv_val *v = lv_val_get(play, "import_playbook");
	if (!v)
		v = lv_val_get(play, "ansible.builtin.import_playbook");
	return v ? (v->str ? v->str : "") : NULL;
}

static int parse_plays(struct lv_pctx *c, const struct lv_val *doc, int depth)
{
	if (doc->kind != LV_VAL_LIST)
		return lv_pb_err(c, doc, "a playbook must be a list of plays%s%s", NULL, NULL);
	for (size_t i = 0; i < doc->n; i++) {
		const struct lv_val *v = doc->items[i];
		if (v->kind != LV_VAL_MAP)
			return lv_pb_err(c, v, "a play must be a mapping%s%s", NULL, NULL);
		const char *target = import_target(v);
		if (target) {
			if (!target[0])
				return lv_pb_err(c, v, "import_playbook: expected a file name%s%s",
				                 NULL, NULL);
			char *path = lv_path_join(c->dir, target);
			int rc = load_file(c->pb, path, depth + 1, v, c->file, c->why);
			free(path);
			if (rc)
				return rc;
			continue;
		}
		struct lv_play *p = parse_play(c, v);
		if (!p)
			return LV_EINVAL;
		c->pb->plays =
		    lv_xrealloc(c->pb->plays, (c->pb->n_plays + 1) * sizeof *c->pb->plays);
		c->pb->plays[c->pb->n_plays++] = p;
	}
	return 0;
}

static int load_file(struct lv_playbook *pb, const char *path, int depth, const struct lv_val *at,
                     const char *from, char **why)
{
	if (depth > MAX_IMPORT_DEPTH)
		return lv_fail(why, LV_EINVAL,
		               "%s:%d: import_playbook nested deeper than %d (a cycle?)", from,
		               at ? at->line : 0, MAX_IMPORT_DEPTH);
	char *local_why = NULL;
	struct lv_val *doc = lv_yaml_load(path, &local_why);
	if (!doc) {
		if (from)
			lv_fail(why, LV_EINVAL, "%s:%d: import_playbook: %s", from,
			        at ? at->line : 0, local_why);
		else
			lv_fail(why, LV_EINVAL, "%s", local_why);
		free(local_why);
		return LV_EINVAL;
	}
	pb->files = lv_xrealloc(pb->files, (pb->n_files + 1) * sizeof *pb->files);
	pb->files[pb->n_files++] = lv_xstrdup(path);
	struct lv_pctx c = { .pb = pb, .file = pb->files[pb->n_files - 1], .why = why };
	c.dir = lv_path_dirname(path);
	int rc = doc->kind == LV_VAL_NULL ? 0 : parse_plays(&c, doc, depth);
	free(c.dir);
	lv_val_free(doc);
	return rc;
}

struct lv_playbook *lv_playbook_load(const char *path, char **why)
{
	struct lv_playbook *pb = lv_xcalloc(1, sizeof *pb);
	pb->path = lv_xstrdup(path);
	pb->dir = lv_path_dirname(path);
	if (load_file(pb, path, 0, NULL, NULL, why)) {
		lv_playbook_free(pb);
		return NULL;
	}
	return pb;
}

void lv_playbook_free(struct lv_playbook *pb)
{
	if (!pb)
		return;
	for (size_t i = 0; i < pb->n_plays; i++)
		play_free(pb->plays[i]);
	free(pb->plays);
	lv_pb_strv_free(pb->files, pb->n_files);
	free(pb->path);
	free(pb->dir);
	free(pb);
}

const char *lv_task_display_name(const struct lv_task *t)
{
	if (t->name && t->name[0])
		return t->name;
	return t->module ? t->module : "block";
}
