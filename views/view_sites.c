/*
 * view_sites: a console attached to several controllers (--attach URL
 * --attach URL2 ...) shows one row per controller — power, frames/s,
 * frames per joule, % of the last 60 s within budget, devices up and down,
 * its alerts — from ui->sites (each site's latest snapshot). Enter (or a
 * double click elsewhere) asks to show the selected site in the usual
 * views; from there `9` (this view's hotkey) comes back.
 *
 * State: the selected row. Without --attach it says how to attach.
 */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "fmt.h"
#include "view.h"

#define LATE_ALERT_PCT 5.0 /* as alerts.h's: a site with more late than this counts an alert */

struct sites_state {
	int sel;
};

static void layout(const struct lv_rect *body, const struct lv_ui *ui, struct lv_view_layout *out)
{
	(void)ui;
	out->u.whole = *body;
}

/* Devices up and down, and the alerts a site's console would show. */
static void counts(const struct lv_ui_site *s, int *up, int *down, int *alerts)
{
	*up = *down = 0;
	*alerts = !s->up && s->why[0];
	const struct lv_snapshot *sn = s->snap;
	for (size_t i = 0; sn && s->up && i < sn->n_devices; i++) {
		if (sn->devices[i].state == LV_DEV_DOWN)
			++*down;
		else
			++*up;
	}
	*alerts += *down;
	if (sn && s->up && isfinite(sn->pct_ok_60s) && 100.0 - sn->pct_ok_60s > LATE_ALERT_PCT)
		++*alerts;
}

static void draw(struct lv_ui *ui, void *state, const struct lv_view_layout *lay)
{
	struct sites_state *st = state;
	const struct lv_rect *r = &lay->u.whole;
	char extra[48];
	snprintf(extra, sizeof extra, "%d controllers", ui->sites.n);
	int y = r->y + lv_draw_title(r, "Sites", ui->sites.n ? extra : NULL);
	if (!ui->sites.n) {
		lv_draw_text(y + 1, r->x + 2, r->w - 2, LV_COLOR_DIM,
		             "Not attached. `loudva console --attach URL --attach URL2 ...` lists "
		             "running controllers here.");
		ui->rows_total = 0;
		return;
	}
	if (st->sel >= ui->sites.n)
		st->sel = ui->sites.n - 1;
	if (st->sel < 0)
		st->sel = 0;
	static const struct {
		const char *name;
		int w, right;
	} cols[] = { { "site", 30, 0 },    { "state", 8, 0 },    { "power", 9, 1 },
		     { "frames/s", 9, 1 }, { "frames/J", 9, 1 }, { "in budget", 10, 1 },
		     { "up/down", 8, 1 },  { "alerts", 7, 1 } };
	int x = r->x + 1;
	for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
		lv_draw_field(y, x, cols[k].w, cols[k].right, LV_COLOR_HEADER, cols[k].name);
		x += cols[k].w + 1;
	}
	y++;
	for (int i = 0; i < ui->sites.n && y < r->y + r->h; i++, y++) {
		const struct lv_ui_site *s = &ui->sites.v[i];
		const struct lv_snapshot *sn = s->up ? s->snap : NULL;
		int up, down, alerts;
		counts(s, &up, &down, &alerts);
		char f[8][48];
		snprintf(f[0], sizeof f[0], "%s", s->url);
		snprintf(f[1], sizeof f[1], "%s", s->up ? "up" : s->why[0] ? "gone" : "...");
		if (sn) {
			lv_fmt_watts(f[2], sizeof f[2], sn->power_w);
			lv_fmt_rate(f[3], sizeof f[3], sn->fps);
			lv_fmt_rate(f[4], sizeof f[4], sn->fpj_60s);
			lv_fmt_pct(f[5], sizeof f[5], sn->pct_ok_60s);
			snprintf(f[6], sizeof f[6], "%d/%d", up, down);
		} else {
			for (int k = 2; k < 7; k++)
				snprintf(f[k], sizeof f[k], "-");
		}
		snprintf(f[7], sizeof f[7], "%d", alerts);
		int sel = i == st->sel;
		if (sel)
			lv_draw_band(y, r->x, r->w, LV_COLOR_SELECTED);
		x = r->x + 1;
		for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
			enum lv_color c = sel                ? LV_COLOR_SELECTED
			                  : k == 1 && !s->up ? LV_COLOR_DOWN
			                  : k == 7 && alerts ? LV_COLOR_WARN
			                                     : LV_COLOR_NORMAL;
			lv_draw_field(y, x, cols[k].w, cols[k].right, c, f[k]);
			x += cols[k].w + 1;
		}
	}
	if (y + 1 < r->y + r->h)
		lv_draw_text(y + 1, r->x + 1, r->w - 1, LV_COLOR_DIM,
		             "Enter: this site's views (9 comes back here)");
	ui->rows_first = 1;
	ui->rows_last = ui->sites.n;
	ui->rows_total = ui->rows_all = ui->sites.n;
}

static unsigned k_move(struct lv_ui *ui, void *state, int key)
{
	struct sites_state *st = state;
	st->sel += key == KEY_UP || key == 'k' ? -1 : 1;
	if (st->sel >= ui->sites.n)
		st->sel = ui->sites.n - 1;
	if (st->sel < 0)
		st->sel = 0;
	return LV_REACT_REDRAW;
}

static unsigned k_open(struct lv_ui *ui, void *state, int key)
{
	struct sites_state *st = state;
	(void)key;
	if (!ui->sites.n)
		return LV_REACT_HANDLED;
	memset(&ui->req, 0, sizeof ui->req);
	ui->req.kind = LV_CMD_SITE;
	ui->req.on = st->sel;
	return LV_REACT_REQUEST;
}

static const struct lv_key_binding keys[] = {
	{ KEY_UP, "Up/Down", "select a site", k_move },
	{ KEY_DOWN, NULL, NULL, k_move },
	{ 'k', NULL, NULL, k_move },
	{ 'j', NULL, NULL, k_move },
	{ '\n', "Enter", "show the selected site in the usual views", k_open },
	{ KEY_ENTER, NULL, NULL, k_open },
	{ '\r', NULL, NULL, k_open },
};

const struct lv_view_ops lv_view_sites = {
	.name = "sites",
	.title = "Sites",
	.hotkey = '9',
	.state_size = sizeof(struct sites_state),
	.layout = layout,
	.draw = draw,
	.keys = keys,
	.n_keys = sizeof(keys) / sizeof(keys[0]),
};
