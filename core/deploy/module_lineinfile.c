/*
 * module_lineinfile: ensure a line is present (replacing the last line that
 * matches `regexp`, else inserting at insertafter/insertbefore) or absent.
 * The file is read, edited here on the controller, and written back through
 * lv_mod_write, so unchanged content reports ok. `regexp`, `insertafter` and
 * `insertbefore` are Python regular expressions (pyre.h), searched in each
 * line as Ansible's re.search does, so `^v=\d+` finds "v=1". They are checked
 * when the playbook loads when written without templates.
 */
#include "module.h"

#include <stdlib.h>
#include <string.h>

#include "module_util.h"
#include "pyre.h"
#include "base/util.h"

static const char *const known[] = { "path",        "dest",         "name",       "line",
	                             "regexp",      "regex",        "state",      "create",
	                             "insertafter", "insertbefore", "firstmatch", "mode",
	                             "owner",       "group",        "backup",     NULL };

static int validate(const struct lv_val *args, char **why)
{
	if (!lv_val_get(args, "path") && !lv_val_get(args, "dest") && !lv_val_get(args, "name"))
		return lv_fail(why, LV_EINVAL, "lineinfile: missing required argument 'path'");
	static const char *const patterns[] = { "regexp", "regex", "insertafter", "insertbefore",
		                                NULL };
	for (const char *const *k = patterns; *k; k++) {
		const char *pat = lv_mod_arg(args, *k);
		if (!pat || lv_template_has_expr(pat) || !strcmp(pat, "EOF") || !strcmp(pat, "BOF"))
			continue;
		char *rw = NULL;
		struct lv_pyre *re = lv_pyre_new(pat, 0, &rw);
		lv_pyre_free(re);
		if (!re) {
			lv_fail(why, LV_EINVAL, "lineinfile: %s: %s", *k, rw);
			free(rw);
			return LV_EINVAL;
		}
	}
	return lv_mod_known_args(args, "lineinfile", known, why);
}

static bool hit(const struct lv_pyre *re, const char *line)
{
	return lv_pyre_search(re, line, strlen(line), false, NULL, NULL, NULL, NULL);
}

struct lines {
	char **v;
	size_t n;
};

static void split(struct lines *l, const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		l->v = lv_xrealloc(l->v, (l->n + 1) * sizeof *l->v);
		l->v[l->n++] = lv_xasprintf("%.*s", (int)(e - p), p);
		p = nl ? nl + 1 : end;
	}
}

static char *join(const struct lines *l, size_t *len)
{
	size_t n = 1;
	for (size_t i = 0; i < l->n; i++)
		n += strlen(l->v[i]) + 1;
	char *out = lv_xmalloc(n), *w = out;
	for (size_t i = 0; i < l->n; i++) {
		size_t k = strlen(l->v[i]);
		memcpy(w, l->v[i], k);
		w += k;
		*w++ = '\n';
	}
	*w = '\0';
	*len = (size_t)(w - out);
	return out;
}

/* Index of the last (or first) line matching `re`, or -1. */
static long find(const struct lines *l, const struct lv_pyre *re, bool first)
{
	long found = -1;
	for (size_t i = 0; i < l->n; i++) {
		if (hit(re, l->v[i])) {
			found = (long)i;
			if (first)
				break;
		}
	}
	return found;
}

static void insert_at(struct lines *l, size_t at, const char *line)
{
	l->v = lv_xrealloc(l->v, (l->n + 1) * sizeof *l->v);
	memmove(&l->v[at + 1], &l->v[at], (l->n - at) * sizeof *l->v);
	l->v[at] = lv_xstrdup(line);
	l->n++;
}

/* Where a new line goes: after insertafter's match, before insertbefore's, else at the end. */
static size_t insert_pos(const struct lines *l, const struct lv_val *args, bool first, char **err)
{
	const char *after = lv_mod_arg(args, "insertafter"),
	           *before = lv_mod_arg(args, "insertbefore");
	if (before && !strcmp(before, "BOF"))
		return 0;
	const char *pat = before ? before : after;
	if (!pat || !strcmp(pat, "EOF"))
		return l->n;
	struct lv_pyre *re = lv_pyre_new(pat, 0, err);
	if (!re)
		return 0;
	long i = find(l, re, first);
	lv_pyre_free(re);
	if (i < 0)
		return l->n;
	return before ? (size_t)i : (size_t)i + 1;
}

/* Edits `l`; returns the message when it changed, NULL when not. */
static const char *edit(struct lines *l, const struct lv_val *args, const struct lv_pyre *re,
                        char **err)
{
	const char *line = lv_mod_arg(args, "line");
	bool absent = lv_mod_arg(args, "state") && !strcmp(lv_mod_arg(args, "state"), "absent");
	bool first = lv_mod_arg_bool(args, "firstmatch", false);
	if (absent) {
		size_t w = 0, removed = 0;
		for (size_t i = 0; i < l->n; i++) {
			bool gone = re ? hit(re, l->v[i]) : (line && !strcmp(l->v[i], line));
			if (gone) {
				free(l->v[i]);
				removed++;
			} else {
				l->v[w++] = l->v[i];
			}
		}
		l->n = w;
		return removed ? "line(s) removed" : NULL;
	}
	long i = re ? find(l, re, first) : -1;
	if (i >= 0) {
		if (!strcmp(l->v[i], line))
			return NULL;
		free(l->v[i]);
		l->v[i] = lv_xstrdup(line);
		return "line replaced";
	}
	for (size_t k = 0; k < l->n; k++)
		if (!strcmp(l->v[k], line))
			return NULL;
	size_t at = insert_pos(l, args, first, err);
	if (*err)
		return NULL;
	insert_at(l, at, line);
	return "line added";
}

static int run(struct lv_module_ctx *ctx, struct lv_val *result, char **why)
{
	const struct lv_val *a = ctx->args;
	const char *path = lv_mod_arg(a, "path")   ? lv_mod_arg(a, "path")
	                   : lv_mod_arg(a, "dest") ? lv_mod_arg(a, "dest")
	                                           : lv_mod_arg(a, "name");
	const char *pat =
	    lv_mod_arg(a, "regexp") ? lv_mod_arg(a, "regexp") : lv_mod_arg(a, "regex");
	bool absent = lv_mod_arg(a, "state") && !strcmp(lv_mod_arg(a, "state"), "absent");
	if (!absent && !lv_mod_arg(a, "line"))
		return lv_mod_failed(result, "line is required with state=present");
	char *data = NULL, *out = NULL, *err = NULL;
	struct lv_pyre *re = pat ? lv_pyre_new(pat, 0, &err) : NULL;
	if (pat && !re) {
		lv_mod_failed(result, err);
		free(err);
		return 0;
	}
	size_t len = 0, out_len = 0;
	bool exists = true, changed = false;
	struct lines l = { 0 };
	int rc = lv_mod_read(ctx, path, &data, &len, &exists, why);
	if (rc)
		goto out;
	if (!exists && (absent || !lv_mod_arg_bool(a, "create", false))) {
		if (!absent) {
			char *msg = lv_xasprintf("Destination %s does not exist !", path);
			lv_mod_failed(result, msg);
			free(msg);
		}
		goto out;
	}
	split(&l, data ? data : "", len);
	const char *msg = edit(&l, a, re, &err);
	if (err) {
		lv_mod_failed(result, err);
		goto out;
	}
	bool attrs = lv_val_get(a, "mode") || lv_val_get(a, "owner") || lv_val_get(a, "group");
	if (msg || attrs || !exists) {
		out = join(&l, &out_len);
		rc = lv_mod_write(ctx, path, out, out_len, a, &changed, why);
	}
	lv_val_set_str(result, "msg", changed && msg ? msg : "");
out:
	lv_val_set_bool(result, "changed", changed);
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
	lv_pyre_free(re);
	free(err);
	free(data);
	free(out);
	return rc;
}

const struct lv_module_ops lv_module_lineinfile = {
	.name = "lineinfile",
	.flags = LV_MOD_CHECK,
	.validate = validate,
	.run = run,
};
