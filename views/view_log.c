/*
 * view_log: every event the controller logged (core/eventlog.h; the
 * console copies new ones into ui->log each tick) — time, level, source,
 * text — newest at the bottom, following new events like `tail -f` until
 * the operator scrolls up. `/` filters by level, source or text; v raises
 * the lowest level shown. Long events wrap under their text column (W
 * turns wrapping off: one row each, cut at the edge); Enter shows the
 * selected event — the newest, or the one at the bottom when scrolled —
 * whole, in a panel, with its time and source.
 *
 * State: follow mode, the scroll position (index of the bottom event among
 * the matching events), the lowest level shown, wrapping, the panel.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "view.h"

struct log_state {
	int scrolled; /* 0: follow the newest */
	int bottom;   /* matching event shown on the last row, when scrolled */
	int min_level;
	int page;
	int nowrap;   /* 1: one row per event (W) */
	int detail;   /* 1: the selected event shown whole (Enter) */
	int selected; /* index in ui->log of the event at the bottom, -1 none */
};

#define TEXT_X 32 /* where an event's text starts: after time, level and source */

static void layout(const struct lv_rect *body, const struct lv_ui *ui, struct lv_view_layout *out)
{
	(void)ui;
	out->u.whole = *body;
}

static int matches(const struct lv_ui *ui, const struct log_state *st, const struct lv_log_entry *e)
{
	const char *f = ui->filter[ui->view];
	if ((int)e->level < st->min_level)
		return 0;
	return lv_ui_match(f, e->text) || lv_ui_match(f, e->source) ||
	       lv_ui_match(f, lv_log_level_name(e->level));
}

static enum lv_color level_color(enum lv_log_level l)
{
	return l >= LV_LOG_ERROR   ? LV_COLOR_DOWN
	       : l == LV_LOG_WARN  ? LV_COLOR_WARN
	       : l == LV_LOG_DEBUG ? LV_COLOR_DIM
	                           : LV_COLOR_NORMAL;
}

/* The selected event whole, in a panel over the bottom of r. */
static void draw_detail(const struct lv_log_entry *e, const struct lv_rect *r)
{
	const char *starts[24];
	int lens[24];
	int max = r->h - 3 < 24 ? r->h - 3 : 24;
	if (max < 1)
		return;
	int n = lv_draw_wrap(e->text, r->w - 4, max, starts, lens);
	int top = r->y + r->h - n - 2;
	char t[96];
	snprintf(t, sizeof(t), "event %llu at %.1f s, %s from %s (Enter or Esc closes)",
	         (unsigned long long)e->seq, e->time_s, lv_log_level_name(e->level), e->source);
	for (int i = 0; i < n + 2; i++)
		lv_draw_band(top + i, r->x, r->w, LV_COLOR_NORMAL);
	struct lv_rect tr = { top, r->x, 1, r->w };
	lv_draw_title(&tr, t, NULL);
	for (int i = 0; i < n; i++)
		lv_draw_textf(top + 1 + i, r->x + 2, r->w - 4, level_color(e->level), "%.*s",
		              lens[i], starts[i]);
}

static void draw(struct lv_ui *ui, void *state, const struct lv_view_layout *lay)
{
	struct log_state *st = state;
	const struct lv_rect *r = &lay->u.whole;
	char extra[160];
	int n = 0;
	for (size_t i = 0; i < ui->n_log; i++)
		n += matches(ui, st, &ui->log[i]);
	snprintf(extra, sizeof(extra), "%d of %zu events, %s and up%s%s%s%s", n, ui->n_log,
	         lv_log_level_name((enum lv_log_level)st->min_level),
	         ui->filter[ui->view][0] ? ", filter " : "", ui->filter[ui->view],
	         st->scrolled ? ", scrolled (End follows)" : ", following",
	         st->nowrap ? ", not wrapped (W)" : "");
	int y = r->y + lv_draw_title(r, "event log", extra);
	st->page = r->y + r->h - y;
	if (st->page <= 0)
		return;
	int bottom = st->scrolled ? st->bottom : n - 1;
	if (bottom > n - 1)
		bottom = n - 1;
	if (bottom < st->page - 1 && n >= st->page)
		bottom = st->page - 1;
	st->bottom = bottom;
	/* The matching events, bottom first, fill the rows upwards. */
	int idx[LV_UI_LOG_MAX], m = 0;
	for (size_t i = 0; i < ui->n_log && m < LV_UI_LOG_MAX; i++)
		if (matches(ui, st, &ui->log[i]))
			idx[m++] = (int)i;
	st->selected = bottom >= 0 && bottom < m ? idx[bottom] : -1;
	int tw = r->w - TEXT_X > 8 ? r->w - TEXT_X : 8;
	int rows_left = st->page, row_end = y + st->page;
	for (int k = bottom; k >= 0 && rows_left > 0; k--) {
		const struct lv_log_entry *e = &ui->log[idx[k]];
		const char *starts[16];
		int lens[16];
		int h = st->nowrap ? 1 : lv_draw_wrap(e->text, tw, 16, starts, lens);
		if (h < 1)
			h = 1;
		if (h > rows_left)
			h = rows_left; /* the top event may show only its last lines */
		int row = row_end - h;
		int sel = st->scrolled && k == bottom;
		enum lv_color tc = sel ? LV_COLOR_SELECTED : level_color(e->level);
		if (sel)
			for (int j = 0; j < h; j++)
				lv_draw_band(row + j, r->x, r->w, LV_COLOR_SELECTED);
		lv_draw_textf(row, r->x, 10, sel ? tc : LV_COLOR_DIM, "%9.1f", e->time_s);
		lv_draw_field(row, r->x + 10, 6, 1, tc, lv_log_level_name(e->level));
		lv_draw_field(row, r->x + 17, 14, 0, sel ? tc : LV_COLOR_ACCENT, e->source);
		if (st->nowrap)
			lv_draw_text(row, r->x + TEXT_X, r->w - TEXT_X, tc, e->text);
		else
			for (int j = 0; j < h; j++)
				lv_draw_textf(row + j, r->x + TEXT_X, r->w - TEXT_X, tc, "%.*s",
				              lens[j], starts[j]);
		row_end = row;
		rows_left -= h;
	}
	if (n == 0)
		lv_draw_text(y, r->x, r->w, LV_COLOR_DIM,
		             ui->n_log ? "no event matches the filter" : "no events yet");
	if (st->detail && st->selected >= 0)
		draw_detail(&ui->log[st->selected], r);
}

static int count(const struct lv_ui *ui, const struct log_state *st)
{
	int n = 0;
	for (size_t i = 0; i < ui->n_log; i++)
		n += matches(ui, st, &ui->log[i]);
	return n;
}

static unsigned k_scroll(struct lv_ui *ui, void *state, int key)
{
	struct log_state *st = state;
	int n = count(ui, st);
	int page = st->page > 1 ? st->page : 1;
	int b = st->scrolled ? st->bottom : n - 1;
	switch (key) {
	case KEY_UP:
	case 'k': b--; break;
	case KEY_DOWN:
	case 'j': b++; break;
	case KEY_PPAGE: b -= page; break;
	case KEY_NPAGE: b += page; break;
	case KEY_HOME:
	case 'g': b = page - 1; break;
	default: /* End, G: follow */ b = n - 1; break;
	}
	if (b < page - 1)
		b = page - 1;
	st->scrolled = b < n - 1;
	st->bottom = b;
	return LV_REACT_REDRAW;
}

static unsigned k_level(struct lv_ui *ui, void *state, int key)
{
	(void)ui, (void)key;
	struct log_state *st = state;
	st->min_level = (st->min_level + 1) % 4;
	return LV_REACT_REDRAW;
}

static unsigned k_wrap(struct lv_ui *ui, void *state, int key)
{
	(void)ui, (void)key;
	struct log_state *st = state;
	st->nowrap = !st->nowrap;
	return LV_REACT_REDRAW;
}

static unsigned k_detail(struct lv_ui *ui, void *state, int key)
{
	(void)ui, (void)key;
	struct log_state *st = state;
	st->detail = !st->detail;
	return LV_REACT_REDRAW;
}

/* Esc closes the event panel first; otherwise it is the global Esc. */
static unsigned key_other(struct lv_ui *ui, void *state, int key)
{
	(void)ui;
	struct log_state *st = state;
	if (key == 27 && st->detail) {
		st->detail = 0;
		return LV_REACT_HANDLED | LV_REACT_REDRAW;
	}
	return 0;
}

static const struct lv_key_binding keys[] = {
	{ KEY_UP, "Up/Down", "scroll a line (also k / j)", k_scroll },
	{ KEY_DOWN, NULL, NULL, k_scroll },
	{ 'k', NULL, NULL, k_scroll },
	{ 'j', NULL, NULL, k_scroll },
	{ KEY_PPAGE, "PgUp/PgDn", "scroll a page", k_scroll },
	{ KEY_NPAGE, NULL, NULL, k_scroll },
	{ KEY_HOME, "Home/g", "the oldest event", k_scroll },
	{ 'g', NULL, NULL, k_scroll },
	{ KEY_END, "End/G", "the newest, and follow new events", k_scroll },
	{ 'G', NULL, NULL, k_scroll },
	{ 'v', "v", "lowest level shown: debug, info, warn, error", k_level },
	{ 'W', "W", "wrap long events (on) / one row each, cut at the edge", k_wrap },
	{ '\n', "Enter", "the selected event whole (the newest, or the bottom one when scrolled)",
	  k_detail },
	{ '\r', NULL, NULL, k_detail },
	{ KEY_ENTER, NULL, NULL, k_detail },
};

const struct lv_view_ops lv_view_log = {
	.name = "log",
	.title = "Log",
	.hotkey = '7',
	.state_size = sizeof(struct log_state),
	.layout = layout,
	.draw = draw,
	.key = key_other,
	.keys = keys,
	.n_keys = sizeof(keys) / sizeof(keys[0]),
	.filterable = 1,
};
