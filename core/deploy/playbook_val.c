/*
 * playbook_val: the value tree shared by YAML documents, inventory and play
 * variables, and module results (struct lv_val in playbook.h).
 *
 * Invariants: scalars always carry text (so any value can be printed and
 * templated), containers never do; MAP keys are unique and keep insertion
 * order, which JSON output and `debug` preserve as Ansible does; a MAP's key
 * index (playbook_valmap.c) follows every key lv_val_set appends.
 */
#include "playbook.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "playbook_valmap.h"
#include "base/util.h"

static struct lv_val *val_new(enum lv_val_kind kind, const char *s)
{
	struct lv_val *v = lv_xcalloc(1, sizeof *v);
	v->kind = kind;
	if (s)
		v->str = lv_xstrdup(s);
	return v;
}

struct lv_val *lv_val_new_null(void)
{
	return val_new(LV_VAL_NULL, "");
}

struct lv_val *lv_val_new_bool(bool b)
{
	struct lv_val *v = val_new(LV_VAL_BOOL, b ? "true" : "false");
	v->i = b;
	return v;
}

struct lv_val *lv_val_new_int(long long i)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%lld", i);
	struct lv_val *v = val_new(LV_VAL_INT, buf);
	v->i = i;
	return v;
}

struct lv_val *lv_val_new_str(const char *s)
{
	return val_new(LV_VAL_STR, s ? s : "");
}

struct lv_val *lv_val_new_strn(const char *s, size_t len)
{
	struct lv_val *v = val_new(LV_VAL_STR, NULL);
	v->str = lv_xmalloc(len + 1);
	if (len)
		memcpy(v->str, s, len);
	v->str[len] = '\0';
	v->n = len;
	return v;
}

static bool is_one_of(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (!strcmp(s, *words))
			return true;
	return false;
}

struct lv_val *lv_val_new_plain(const char *s)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	static const char *const trues[] = { "true", "True", "TRUE", "yes", "Yes",
		                             "YES",  "on",   "On",   "ON",  NULL };
	static const char *const falses[] = { "false", "False", "FALSE", "no",  "No",
		                              "NO",    "off",   "Off",   "OFF", NULL };
	if (is_one_of(s, nulls))
		return lv_val_new_null();
	if (is_one_of(s, trues))
		return lv_val_new_bool(true);
	if (is_one_of(s, falses))
		return lv_val_new_bool(false);
	long long i;
	struct lv_val tmp = { .kind = LV_VAL_STR, .str = (char *)s };
	if (lv_val_as_int(&tmp, &i)) {
		struct lv_val *v = val_new(LV_VAL_INT, s);
		v->i = i;
		return v;
	}
	return lv_val_new_str(s);
}

struct lv_val *lv_val_new_list(void)
{
	return val_new(LV_VAL_LIST, NULL);
}

struct lv_val *lv_val_new_map(void)
{
	return val_new(LV_VAL_MAP, NULL);
}

void lv_val_free(struct lv_val *v)
{
	if (!v)
		return;
	if (v->kind == LV_VAL_LIST || v->kind == LV_VAL_MAP) {
		for (size_t i = 0; i < v->n; i++) {
			lv_val_free(v->items[i]);
			if (v->keys)
				free(v->keys[i]);
		}
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	lv_valmap_free(v->index);
	free(v);
}

struct lv_val *lv_val_dup(const struct lv_val *v)
{
	if (!v)
		return NULL;
	struct lv_val *d = lv_xcalloc(1, sizeof *d);
	d->kind = v->kind;
	d->i = v->i;
	d->line = v->line;
	if (v->kind == LV_VAL_STR) {
		size_t len = v->n ? v->n : strlen(v->str);
		d->str = lv_xmalloc(len + 1);
		memcpy(d->str, v->str, len + 1);
		d->n = v->n;
		return d;
	}
	if (v->str) {
		d->str = lv_xstrdup(v->str);
		return d;
	}
	for (size_t i = 0; i < v->n; i++) {
		if (v->kind == LV_VAL_MAP)
			lv_val_set(d, v->keys[i], lv_val_dup(v->items[i]));
		else
			lv_val_push(d, lv_val_dup(v->items[i]));
	}
	return d;
}

static void grow(struct lv_val *c)
{
	if (c->n < c->cap)
		return;
	c->cap = c->cap ? c->cap * 2 : 4;
	c->items = lv_xrealloc(c->items, c->cap * sizeof *c->items);
	if (c->kind == LV_VAL_MAP)
		c->keys = lv_xrealloc(c->keys, c->cap * sizeof *c->keys);
}

void lv_val_push(struct lv_val *list, struct lv_val *item)
{
	grow(list);
	list->items[list->n++] = item;
}

void lv_val_set(struct lv_val *map, const char *key, struct lv_val *item)
{
	long i = lv_valmap_find(map, key);
	if (i >= 0) {
		lv_val_free(map->items[i]);
		map->items[i] = item;
		return;
	}
	grow(map);
	map->keys[map->n] = lv_xstrdup(key);
	map->items[map->n++] = item;
	lv_valmap_added(map);
}

void lv_val_set_str(struct lv_val *map, const char *key, const char *s)
{
	lv_val_set(map, key, lv_val_new_str(s));
}

void lv_val_set_bool(struct lv_val *map, const char *key, bool b)
{
	lv_val_set(map, key, lv_val_new_bool(b));
}

void lv_val_set_int(struct lv_val *map, const char *key, long long i)
{
	lv_val_set(map, key, lv_val_new_int(i));
}

void lv_val_merge(struct lv_val *dst, const struct lv_val *src)
{
	if (!src || src->kind != LV_VAL_MAP)
		return;
	for (size_t i = 0; i < src->n; i++)
		lv_val_set(dst, src->keys[i], lv_val_dup(src->items[i]));
}

const struct lv_val *lv_val_get(const struct lv_val *map, const char *key)
{
	if (!map || map->kind != LV_VAL_MAP)
		return NULL;
	long i = lv_valmap_find(map, key);
	return i >= 0 ? map->items[i] : NULL;
}

const char *lv_val_text(const struct lv_val *v)
{
	return v ? v->str : NULL;
}

bool lv_val_truthy(const struct lv_val *v)
{
	static const char *const falses[] = { "", "0", "false", "no", "off", "none", NULL };
	if (!v)
		return false;
	switch (v->kind) {
	case LV_VAL_NULL: return false;
	case LV_VAL_BOOL:
	case LV_VAL_INT: return v->i != 0;
	case LV_VAL_LIST:
	case LV_VAL_MAP: return v->n > 0;
	case LV_VAL_STR: break;
	}
	for (const char *const *f = falses; *f; f++)
		if (!strcasecmp(v->str, *f))
			return false;
	return true;
}

bool lv_val_as_int(const struct lv_val *v, long long *out)
{
	if (!v)
		return false;
	if (v->kind == LV_VAL_INT || v->kind == LV_VAL_BOOL) {
		*out = v->i;
		return true;
	}
	if (v->kind != LV_VAL_STR || !v->str[0])
		return false;
	const char *s = v->str;
	const char *p = (*s == '-' || *s == '+') ? s + 1 : s;
	if (!isdigit((unsigned char)*p))
		return false;
	char *end = NULL;
	errno = 0;
	long long i = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = i;
	return true;
}

/* ---- JSON -------------------------------------------------------------- */

static void put_json_string(struct lv_buf *b, const char *s, size_t n)
{
	lv_buf_append(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			lv_buf_append(b, esc, 2);
		} else if (c == '\n') {
			lv_buf_append(b, "\\n", 2);
		} else if (c == '\t') {
			lv_buf_append(b, "\\t", 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			lv_buf_append(b, esc, 6);
		} else {
			lv_buf_append(b, (const char *)&s[i], 1);
		}
	}
	lv_buf_append(b, "\"", 1);
}

static void put_json(struct lv_buf *b, const struct lv_val *v)
{
	switch (v->kind) {
	case LV_VAL_NULL: lv_buf_append(b, "null", 4); return;
	case LV_VAL_BOOL:
	case LV_VAL_INT: lv_buf_append(b, v->str, strlen(v->str)); return;
	case LV_VAL_STR: put_json_string(b, v->str, v->n ? v->n : strlen(v->str)); return;
	case LV_VAL_LIST:
	case LV_VAL_MAP: break;
	}
	bool map = v->kind == LV_VAL_MAP;
	lv_buf_append(b, map ? "{" : "[", 1);
	for (size_t i = 0; i < v->n; i++) {
		if (i)
			lv_buf_append(b, ", ", 2);
		if (map) {
			put_json_string(b, v->keys[i], strlen(v->keys[i]));
			lv_buf_append(b, ": ", 2);
		}
		put_json(b, v->items[i]);
	}
	lv_buf_append(b, map ? "}" : "]", 1);
}

char *lv_val_to_json(const struct lv_val *v)
{
	struct lv_buf b = { 0 };
	if (!v)
		lv_buf_append(&b, "null", 4);
	else
		put_json(&b, v);
	return b.p;
}

char *lv_val_to_text(const struct lv_val *v)
{
	if (v && v->str) {
		if (v->kind == LV_VAL_BOOL)
			return lv_xstrdup(v->i ? "True" : "False");
		return lv_xstrdup(v->str);
	}
	return lv_val_to_json(v);
}
