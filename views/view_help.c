/*
 * view_help: every key of the view Help was opened from, the keys every
 * view shares, and the `:` commands — read from the same binding tables
 * and command table that resolve them, so Help cannot drift from what the
 * keys do. The views and the shared keys come from ui->views (the registry
 * hands them over; this view does not call it). Esc (or ?) returns.
 *
 * State: the scroll offset, back at the top each time Help is opened.
 * Long lines (the commands) wrap under their text column.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "theme.h"
#include "view.h"

struct help_state {
	int first;
	int page, total;
	unsigned long shown; /* ui->shown when last drawn: another value is a new opening */
};

static void layout(const struct lv_rect *body, const struct lv_ui *ui, struct lv_view_layout *out)
{
	(void)ui;
	out->u.whole = *body;
}

/* Lines are produced in order; only those in the window are drawn. */
struct cursor {
	const struct lv_rect *r;
	int line, first;
};

static void put(struct cursor *c, enum lv_color color, const char *key, const char *text)
{
	int row = c->line++ - c->first;
	if (row < 0 || row >= c->r->h)
		return;
	int y = c->r->y + row;
	if (!key) {
		struct lv_rect t = { y, c->r->x, 1, c->r->w };
		lv_draw_title(&t, text, NULL);
		return;
	}
	lv_draw_field(y, c->r->x + 2, 12, 0, LV_COLOR_ACCENT, key);
	lv_draw_text(y, c->r->x + 15, c->r->w - 15, color, text);
}

/* put() with the text wrapped to the width left of the key column. */
static void put_wrapped(struct cursor *c, enum lv_color color, const char *key, const char *text)
{
	const char *starts[16];
	int lens[16];
	/* Continuation lines are indented by 2: wrap to 2 less, or their ends are cut. */
	int n = lv_draw_wrap(text, c->r->w - 17 > 20 ? c->r->w - 17 : 20, 16, starts, lens);
	for (int i = 0; i < n; i++) {
		char line[256];
		snprintf(line, sizeof(line), "%s%.*s", i ? "  " : "", lens[i], starts[i]);
		put(c, color, i ? "" : key, line);
	}
}

static void bindings(struct cursor *c, const struct lv_key_binding *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].label)
			put_wrapped(c, LV_COLOR_NORMAL, t[i].label, t[i].help);
}

/* The configuration file: where it is, what it set, and its format. */
static void config(struct cursor *c, const struct lv_ui_config *cf)
{
	char line[400];
	put(c, LV_COLOR_NORMAL, NULL, "theme and key bindings (console.conf)");
	snprintf(line, sizeof(line), "%s%s", cf->path[0] ? cf->path : "(no home directory)",
	         cf->error[0] ? ": not applied"
	         : cf->found  ? ""
	                      : " (none: defaults)");
	put_wrapped(c, cf->error[0] ? LV_COLOR_DOWN : LV_COLOR_NORMAL, "file", line);
	if (cf->error[0])
		put_wrapped(c, LV_COLOR_DOWN, "", cf->error);
	snprintf(line, sizeof(line), "%s (default, mono, light)", lv_theme_name());
	put_wrapped(c, LV_COLOR_NORMAL, "theme", line);
	for (size_t i = 0; i < cf->n_binds; i++)
		put_wrapped(c, LV_COLOR_NORMAL, i ? "" : "bindings", cf->binds[i]);
	put_wrapped(c, LV_COLOR_DIM, "format",
	            "one a line, # comments: 'theme = light'; 'color warn = red on default "
	            "bold' (meanings: title header selected tab tab_active status prompt ok busy "
	            "warn down power fps clock accent dim normal); 'bind F10 = q' (the key on "
	            "the left does what the one on the right does: a character, ^X, F1..F12, Up, "
	            "Down, PgUp, PgDn, Home, End, Enter, Tab, Space)");
}

static void draw(struct lv_ui *ui, void *state, const struct lv_view_layout *lay)
{
	struct help_state *st = state;
	const struct lv_rect *r = &lay->u.whole;
	const struct lv_view_list *views = ui->views;
	const struct lv_view_ops *const *reg = views->ops;
	if (st->shown != ui->shown) {
		st->shown = ui->shown;
		st->first = 0;
	}
	int v = ui->help_for >= 0 && (size_t)ui->help_for < views->n ? ui->help_for : 0;
	if (v == lv_view_list_find(views, "help"))
		v = 0;
	struct cursor c = { r, 0, st->first };
	char t[64];
	snprintf(t, sizeof(t), "keys of the %s view", reg[v]->title);
	put(&c, LV_COLOR_NORMAL, NULL, t);
	if (reg[v]->n_keys == 0)
		put(&c, LV_COLOR_DIM, "", "(none of its own)");
	bindings(&c, reg[v]->keys, reg[v]->n_keys);
	if (reg[v]->about) {
		put(&c, LV_COLOR_NORMAL, "", "");
		snprintf(t, sizeof(t), "what the %s view shows", reg[v]->title);
		put(&c, LV_COLOR_NORMAL, NULL, t);
		put_wrapped(&c, LV_COLOR_NORMAL, "", reg[v]->about);
	}
	put(&c, LV_COLOR_NORMAL, "", "");
	put(&c, LV_COLOR_NORMAL, NULL, "keys in every view");
	bindings(&c, views->global_keys, views->n_global_keys);
	put(&c, LV_COLOR_NORMAL, "", "");
	put(&c, LV_COLOR_NORMAL, NULL, "commands (: then Tab completes; Esc cancels)");
	for (size_t i = 0; lv_cmd_help_at(i); i++) {
		const struct lv_cmd_help *h = lv_cmd_help_at(i);
		char line[256];
		put_wrapped(&c, LV_COLOR_ACCENT, "", h->usage);
		snprintf(line, sizeof(line), "  %s", h->help);
		put_wrapped(&c, LV_COLOR_NORMAL, "", line);
	}
	put(&c, LV_COLOR_NORMAL, "", "");
	config(&c, &ui->config);
	st->total = c.line;
	st->page = r->h;
}

static unsigned k_scroll(struct lv_ui *ui, void *state, int key)
{
	(void)ui;
	struct help_state *st = state;
	int page = st->page > 1 ? st->page : 1;
	if (key == KEY_HOME || key == 'g')
		st->first = 0;
	else if (key == KEY_END || key == 'G')
		st->first = st->total;
	else
		st->first += key == KEY_UP || key == 'k' ? -1
		             : key == KEY_PPAGE          ? -page
		             : key == KEY_NPAGE          ? page
		                                         : 1;
	if (st->first > st->total - page)
		st->first = st->total - page;
	if (st->first < 0)
		st->first = 0;
	return LV_REACT_REDRAW;
}

static unsigned k_back(struct lv_ui *ui, void *state, int key)
{
	(void)ui, (void)state, (void)key;
	return LV_REACT_BACK;
}

static const struct lv_key_binding keys[] = {
	{ KEY_UP, "Up/Down", "scroll (also PgUp / PgDn)", k_scroll },
	{ KEY_DOWN, NULL, NULL, k_scroll },
	{ 'k', NULL, NULL, k_scroll },
	{ 'j', NULL, NULL, k_scroll },
	{ KEY_PPAGE, NULL, NULL, k_scroll },
	{ KEY_NPAGE, NULL, NULL, k_scroll },
	{ KEY_HOME, "Home/End", "the top / the end (also g / G)", k_scroll },
	{ 'g', NULL, NULL, k_scroll },
	{ KEY_END, NULL, NULL, k_scroll },
	{ 'G', NULL, NULL, k_scroll },
	{ '?', "? / Esc", "back to the view Help was opened from", k_back },
};

const struct lv_view_ops lv_view_help = {
	.name = "help",
	.title = "Help",
	.hotkey = '8',
	.state_size = sizeof(struct help_state),
	.layout = layout,
	.draw = draw,
	.keys = keys,
	.n_keys = sizeof(keys) / sizeof(keys[0]),
};
