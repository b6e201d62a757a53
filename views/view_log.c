/*
 * view_log: every event the controller logged (core/eventlog.h; the
 * console copies new ones into ui->log each tick) — time, level, source,
 * text — newest at the bottom, following new events like `tail -f` until
 * the operator scrolls up. `/` filters by level, source or text; v raises
 * the lowest level shown.
 *
 * State: follow mode, the scroll position (index of the bottom row among
 * the matching events) and the lowest level shown.
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
};

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

static void draw(struct lv_ui *ui, void *state, const struct lv_view_layout *lay)
{
	struct log_state *st = state;
	const struct lv_rect *r = &lay->u.whole;
	char extra[160];
	int n = 0;
	for (size_t i = 0; i < ui->n_log; i++)
		n += matches(ui, st, &ui->log[i]);
	snprintf(extra, sizeof(extra), "%d of %zu events, %s and up%s%s%s", n, ui->n_log,
	         lv_log_level_name((enum lv_log_level)st->min_level),
	         ui->filter[ui->view][0] ? ", filter " : "", ui->filter[ui->view],
	         st->scrolled ? ", scrolled (End follows)" : ", following");
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
	int top = bottom - st->page + 1;
	int k = 0;
	for (size_t i = 0; i < ui->n_log; i++) {
		const struct lv_log_entry *e = &ui->log[i];
		if (!matches(ui, st, e))
			continue;
		if (k >= top && k <= bottom) {
			int row = y + (k - (top < 0 ? 0 : top));
			lv_draw_textf(row, r->x, 10, LV_COLOR_DIM, "%9.1f", e->time_s);
			lv_draw_field(row, r->x + 10, 6, 1, level_color(e->level),
			              lv_log_level_name(e->level));
			lv_draw_field(row, r->x + 17, 14, 0, LV_COLOR_ACCENT, e->source);
			lv_draw_text(row, r->x + 32, r->w - 32, level_color(e->level), e->text);
		}
		k++;
	}
	if (n == 0)
		lv_draw_text(y, r->x, r->w, LV_COLOR_DIM,
		             ui->n_log ? "no event matches the filter" : "no events yet");
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
};

const struct lv_view_ops lv_view_log = {
	.name = "log",
	.title = "Log",
	.hotkey = '7',
	.state_size = sizeof(struct log_state),
	.layout = layout,
	.draw = draw,
	.keys = keys,
	.n_keys = sizeof(keys) / sizeof(keys[0]),
};
