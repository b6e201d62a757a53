/*
 * history: the command bar's history (see history.h). The file is read
 * once at start and appended to line by line, so two consoles interleave
 * rather than overwrite; it is trimmed to the newest LV_HISTORY_MAX lines
 * when read.
 */
#include "history.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/util.h"

char *lv_history_default_path(void)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	if (state && state[0] == '/')
		return lv_xasprintf("%s/loudva/history", state);
	if (home && home[0])
		return lv_xasprintf("%s/.local/state/loudva/history", home);
	return NULL;
}

static void push(struct lv_history *h, const char *line)
{
	if (h->n == LV_HISTORY_MAX) {
		free(h->lines[0]);
		memmove(h->lines, h->lines + 1, (h->n - 1) * sizeof(*h->lines));
		h->n--;
	}
	h->lines[h->n++] = lv_xstrdup(line);
	h->pos = h->n;
}

int lv_history_init(struct lv_history *h, char *path, char **why)
{
	memset(h, 0, sizeof(*h));
	h->path = path;
	h->lines = lv_xcalloc(LV_HISTORY_MAX, sizeof(*h->lines));
	if (!path)
		return LV_OK;
	FILE *f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? LV_OK
		                       : lv_fail(why, LV_EIO, "%s: %s", path, strerror(errno));
	char buf[512];
	while (fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\r\n")] = '\0';
		if (buf[0])
			push(h, buf);
	}
	fclose(f);
	return LV_OK;
}

void lv_history_fini(struct lv_history *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->lines[i]);
	free(h->lines);
	free(h->path);
	memset(h, 0, sizeof(*h));
}

/* mkdir -p of path's directory. */
static void make_parent(const char *path)
{
	char *p = lv_xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		mkdir(p, 0700);
		*s = '/';
	}
	free(p);
}

int lv_history_add(struct lv_history *h, const char *line, char **why)
{
	lv_history_reset(h);
	if (!line[strspn(line, " ")] || (h->n && !strcmp(h->lines[h->n - 1], line)))
		return LV_OK;
	push(h, line);
	if (!h->path)
		return LV_OK;
	make_parent(h->path);
	FILE *f = fopen(h->path, "a");
	if (!f)
		return lv_fail(why, LV_EIO, "%s: %s", h->path, strerror(errno));
	int bad = fprintf(f, "%s\n", line) < 0;
	bad |= fclose(f) != 0;
	return bad ? lv_fail(why, LV_EIO, "%s: cannot write", h->path) : LV_OK;
}

const char *lv_history_walk(struct lv_history *h, int dir, const char *typed)
{
	if (dir < 0) {
		if (h->pos == 0)
			return NULL;
		if (h->pos == h->n)
			snprintf(h->draft, sizeof(h->draft), "%s", typed);
		return h->lines[--h->pos];
	}
	if (h->pos >= h->n)
		return NULL;
	h->pos++;
	return h->pos == h->n ? h->draft : h->lines[h->pos];
}

void lv_history_reset(struct lv_history *h)
{
	h->pos = h->n;
	h->draft[0] = '\0';
}
