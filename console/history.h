/*
 * history: the command bar's history, kept between sessions — the lines
 * typed after `:`, oldest first, in a file (one line each, the newest
 * LV_HISTORY_MAX kept) under $XDG_STATE_HOME/loudva/history (else
 * ~/.local/state/loudva/history). Up and Down in the bar walk it, as in a
 * shell. A file that cannot be read or written only loses the history:
 * the console says so once in its log and goes on.
 */
#ifndef LV_HISTORY_H
#define LV_HISTORY_H

#include <stddef.h>

#define LV_HISTORY_MAX 500

struct lv_history {
	char *path; /* NULL: not kept on disk */
	char **lines;
	size_t n;
	size_t pos;      /* n: the line being typed; < n: a line recalled */
	char draft[256]; /* what was being typed before Up */
};

/* The default file ($XDG_STATE_HOME or ~/.local/state)/loudva/history; caller frees; NULL if
 * neither is set. */
char *lv_history_default_path(void);

/* Loads path (taken; NULL: memory only). 0, or LV_EIO with *why when the file exists but cannot
 * be read (the history then starts empty). */
int lv_history_init(struct lv_history *h, char *path, char **why);
void lv_history_fini(struct lv_history *h);

/* Appends line (not blank, not a repeat of the last) and the file; resets the walk. 0 or LV_EIO
 * with *why when the file could not be written. */
int lv_history_add(struct lv_history *h, const char *line, char **why);

/* The line one older (dir -1) or newer (+1) than the one shown, with `typed` being what the bar
 * holds now (kept as the draft when leaving it); NULL when there is none that way. */
const char *lv_history_walk(struct lv_history *h, int dir, const char *typed);

/* Forgets where the walk was (the bar was closed). */
void lv_history_reset(struct lv_history *h);

#endif
