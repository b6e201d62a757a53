/*
 * playbook: plays and playbook files — play keywords, vars_files,
 * import_playbook (relative to the importing file), and the playbook's
 * lifetime. Tasks are parsed in playbook_parse.c.
 *
 * Every file is read through readfile.c's bounded reader (regular files, at
 * most LV_READFILE_MAX_TEXT bytes). One load reads at most
 * LV_PLAYBOOK_MAX_FILES files in all, imports nest at most
 * LV_PLAYBOOK_MAX_IMPORT_DEPTH deep, and a file that imports itself, directly
 * or through others, is refused at once: struct lv_pb_load keeps the chain of
 * files being imported, by device and inode, so two names for one file are
 * one file.
 */
#include "playbook.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "playbook_parse.h"
#include "readfile.h"
#include "base/file.h"
#include "base/util.h"

/* One file of the chain being imported (the top one first). */
struct link {
	const char *path; /* borrowed from pb->files */
	bool has_id;      /* false for text given in memory */
	struct lv_file_id id;
};

struct lv_pb_load {
	struct lv_playbook *pb;
	struct link chain[LV_PLAYBOOK_MAX_IMPORT_DEPTH + 1];
	int depth;     /* links in chain */
	size_t n_read; /* files read so far: playbooks and vars files */
	char **why;
};

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
		if (++c->load->n_read > LV_PLAYBOOK_MAX_FILES) {
			char max[24];
			snprintf(max, sizeof max, "%d", LV_PLAYBOOK_MAX_FILES);
			rc = lv_pb_err(c, v, "vars_files: more than %s files read in all%s", max,
			               " (playbooks and vars_files)");
			break;
		}
		char *path = lv_path_join(c->dir, names[i]);
		char *why = NULL;
		struct lv_val *vars = lv_yaml_load(path, &why);
		if (!vars || (vars->kind != LV_VAL_MAP && vars->kind != LV_VAL_NULL)) {
			rc = lv_pb_err(c, v, "vars_files: %s%s", why ? why : path,
			               why ? "" : ": expected a mapping");
		} else {
			char *what = lv_xasprintf("vars_files %s", names[i]);
			rc = lv_pb_check_templates(c, vars, what);
			free(what);
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
		if (lv_pb_check_templates(c, v, "vars"))
			return LV_EINVAL;
		lv_val_merge(p->vars, v);
	} else if (!strcmp(k, "vars_files")) {
		return play_vars_files(c, p, v);
	} else if (!strcmp(k, "become")) {
		p->become = lv_val_truthy(v);
	} else if (!strcmp(k, "gather_facts")) {
		if (v->kind != LV_VAL_BOOL)
			return lv_pb_err(c, v, "gather_facts: expected true or false%s%s", NULL,
			                 NULL);
		p->gather_facts = v->i != 0;
	} else if (!strcmp(k, "check_mode")) {
		/* accepted; tasks say check_mode themselves */
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
	p->gather_facts = true; /* Ansible's default (gathering = implicit) */
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
	if (p->gather_facts) {
		/* as Ansible: a first task, "Gathering Facts", running the setup module */
		p->tasks.v = lv_xrealloc(p->tasks.v, sizeof *p->tasks.v);
		p->tasks.v[0] = lv_pb_task_new(c, v->line, "Gathering Facts", "setup");
		p->tasks.n = 1;
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

static int load_file(struct lv_pb_load *ld, const char *path, const char *text, size_t len,
                     const struct lv_val *at, const char *from);

static const char *import_target(const struct lv_val *play)
{
	const struct lv_val *v = lv_val_get(play, "import_playbook");
	if (!v)
		v = lv_val_get(play, "ansible.builtin.import_playbook");
	return v ? (v->str ? v->str : "") : NULL;
}

static int parse_plays(struct lv_pctx *c, const struct lv_val *doc)
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
			int rc = load_file(c->load, path, NULL, 0, v, c->file);
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

/* "a.yml -> b.yml -> a.yml": the chain from the first link that is `id`. Caller frees. */
static char *cycle_text(const struct lv_pb_load *ld, const struct lv_file_id *id, const char *path)
{
	int k = 0;
	while (k < ld->depth && !(ld->chain[k].has_id && ld->chain[k].id.dev == id->dev &&
	                          ld->chain[k].id.ino == id->ino))
		k++;
	if (k == ld->depth)
		return NULL;
	char *acc = lv_xstrdup("");
	for (; k < ld->depth; k++) {
		char *next = lv_xasprintf("%s%s -> ", acc, ld->chain[k].path);
		free(acc);
		acc = next;
	}
	char *all = lv_xasprintf("%s%s", acc, path);
	free(acc);
	return all;
}

/* Sets the error of a failed read or parse: "FROM:LINE: import_playbook: WHY" or WHY. */
static int read_error(struct lv_pb_load *ld, const struct lv_val *at, const char *from,
                      char *local_why)
{
	if (from)
		lv_fail(ld->why, LV_EINVAL, "%s:%d: import_playbook: %s", from, at ? at->line : 0,
		        local_why);
	else
		lv_fail(ld->why, LV_EINVAL, "%s", local_why);
	free(local_why);
	return LV_EINVAL;
}

/*
 * Reads `path` (or parses `text` of `len` bytes as that file when text is not
 * NULL) and appends its plays; `at` and `from` name the import_playbook line
 * that asks for it (NULL for the top file).
 */
static int load_file(struct lv_pb_load *ld, const char *path, const char *text, size_t len,
                     const struct lv_val *at, const char *from)
{
	struct lv_playbook *pb = ld->pb;
	int line = at ? at->line : 0;
	if (ld->depth > LV_PLAYBOOK_MAX_IMPORT_DEPTH)
		return lv_fail(ld->why, LV_EINVAL,
		               "%s:%d: import_playbook nested deeper than %d (a cycle?)", from,
		               line, LV_PLAYBOOK_MAX_IMPORT_DEPTH);
	if (++ld->n_read > LV_PLAYBOOK_MAX_FILES)
		return lv_fail(ld->why, LV_EINVAL,
		               "%s:%d: import_playbook: more than %d files read in all "
		               "(playbooks and vars_files)",
		               from, line, LV_PLAYBOOK_MAX_FILES);
	char *local_why = NULL, *owned = NULL;
	struct link link = { .has_id = text == NULL };
	if (!text) {
		text = owned = lv_readfile_bounded(path, LV_READFILE_MAX_TEXT, &len, &link.id, NULL,
		                                   &local_why);
		if (!text)
			return read_error(ld, at, from, local_why);
		char *cycle = cycle_text(ld, &link.id, path);
		if (cycle) {
			lv_fail(ld->why, LV_EINVAL,
			        "%s:%d: import_playbook nested deeper without end, a cycle: %s",
			        from, line, cycle);
			free(cycle);
			free(owned);
			return LV_EINVAL;
		}
	}
	struct lv_val *doc = lv_yaml_parse(text, len, path, &local_why);
	free(owned);
	if (!doc)
		return read_error(ld, at, from, local_why);
	pb->files = lv_xrealloc(pb->files, (pb->n_files + 1) * sizeof *pb->files);
	pb->files[pb->n_files++] = lv_xstrdup(path);
	link.path = pb->files[pb->n_files - 1];
	ld->chain[ld->depth++] = link;
	struct lv_pctx c = { .pb = pb, .file = link.path, .why = ld->why, .load = ld };
	c.dir = lv_path_dirname(path);
	int rc = doc->kind == LV_VAL_NULL ? 0 : parse_plays(&c, doc);
	ld->depth--;
	free(c.dir);
	lv_val_free(doc);
	return rc;
}

static struct lv_playbook *load(const char *path, const char *text, size_t len, char **why)
{
	struct lv_playbook *pb = lv_xcalloc(1, sizeof *pb);
	pb->path = lv_xstrdup(path);
	pb->dir = lv_path_dirname(path);
	struct lv_pb_load ld = { .pb = pb, .why = why };
	if (load_file(&ld, path, text, len, NULL, NULL)) {
		lv_playbook_free(pb);
		return NULL;
	}
	return pb;
}

struct lv_playbook *lv_playbook_load(const char *path, char **why)
{
	return load(path, NULL, 0, why);
}

struct lv_playbook *lv_playbook_parse(const char *text, size_t len, const char *name, char **why)
{
	return load(name, text, len, why);
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
