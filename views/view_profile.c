/*
 * view_profile: a profiling sweep started from the console (`:profile
 * DEVICE ...`, or P here and in the Device view). At the top the device,
 * the sweep's state and a progress bar over its points; then the heatmap of
 * energy per frame over clock (rows, highest first) and batch size
 * (columns), filling in as points are measured — the point being measured
 * marked, the least energy per frame so far starred — and beside it the
 * scale, the best point and the sweep's last line. x stops the sweep (the
 * clock is released and what was measured is kept for --resume).
 *
 * The grid and everything measured come from ui->prof (console_prof.c
 * fills it from the sweep's progress file); this view only draws.
 */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "fmt.h"
#include "heat.h"
#include "theme.h"
#include "view.h"

static void layout(const struct lv_rect *body, const struct lv_ui *ui, struct lv_view_layout *out)
{
	lv_layout_profile(body, ui->prof.n_freqs, ui->prof.n_batches, &out->u.profile);
}

static const char *state_word(enum lv_ui_prof_state s, enum lv_color *c)
{
	switch (s) {
	case LV_UI_PROF_WAITING: *c = LV_COLOR_WARN; return "draining";
	case LV_UI_PROF_RUNNING: *c = LV_COLOR_BUSY; return "measuring";
	case LV_UI_PROF_DONE: *c = LV_COLOR_OK; return "done";
	case LV_UI_PROF_FAILED: *c = LV_COLOR_DOWN; return "ended";
	default: *c = LV_COLOR_DIM; return "idle";
	}
}

static void head(const struct lv_ui *ui, const struct lv_rect *r)
{
	const struct lv_ui_profiling *p = &ui->prof;
	if (r->h < 1)
		return;
	enum lv_color sc;
	const char *sw = state_word(p->state, &sc);
	int x = r->x + lv_draw_text(r->y, r->x, r->w, LV_COLOR_ACCENT, p->device);
	x += lv_draw_textf(r->y, x, r->x + r->w - x, LV_COLOR_DIM, " (%s)  ", p->kind);
	x += lv_draw_text(r->y, x, r->x + r->w - x, sc, sw);
	char el[24];
	lv_draw_textf(r->y, x, r->x + r->w - x, LV_COLOR_NORMAL,
	              "  %zu clocks x %zu batch sizes, %s elapsed", p->n_freqs, p->n_batches,
	              lv_fmt_duration(el, sizeof(el), p->elapsed_s));
	if (r->h >= 2) {
		double frac = p->total ? (double)p->done / (double)p->total : 0;
		char eta[24] = "-";
		if (p->state == LV_UI_PROF_RUNNING && p->done > 0 && p->done < p->total)
			lv_fmt_duration(eta, sizeof(eta),
			                p->elapsed_s / (double)p->done *
			                    (double)(p->total - p->done));
		int tx = lv_draw_textf(r->y + 1, r->x, r->w, LV_COLOR_NORMAL,
		                       "%3.0f%% %zu/%zu points  ETA %-6s ", 100 * frac, p->done,
		                       p->total, eta);
		lv_draw_bar(r->y + 1, r->x + tx, r->w - tx, frac, LV_COLOR_FPS);
	}
	if (r->h >= 3)
		lv_draw_text(r->y + 2, r->x, r->w,
		             p->state == LV_UI_PROF_FAILED ? LV_COLOR_DOWN : LV_COLOR_DIM,
		             p->message);
}

/* The least energy per frame measured so far: its grid indexes, or -1. */
static void best_point(const struct lv_ui_profiling *p, int *bf, int *bb)
{
	*bf = *bb = -1;
	for (size_t f = 0; f < p->n_freqs; f++)
		for (size_t b = 0; b < p->n_batches; b++)
			if (!isnan(p->epf[f][b]) && (*bf < 0 || p->epf[f][b] < p->epf[*bf][*bb])) {
				*bf = (int)f;
				*bb = (int)b;
			}
}

static void fit(const struct lv_ui_profiling *p, struct lv_heat_scale *sc)
{
	static double v[LV_CMD_SWEEP_CLOCKS * LV_CMD_SWEEP_BATCHES];
	size_t n = 0;
	for (size_t f = 0; f < p->n_freqs; f++)
		for (size_t b = 0; b < p->n_batches; b++)
			v[n++] = p->epf[f][b];
	lv_heat_fit(sc, v, n);
}

/* One cell: the value when it fits and colour shows the level, else the glyph. */
static void cell(int y, int x, int w, double v, int level, int best, int current)
{
	char text[16];
	int fine = lv_theme_heat_fine();
	if (current) {
		lv_draw_field(y, x, w, 0, LV_COLOR_SELECTED, w >= 3 ? "..." : ">");
		return;
	}
	if (level < 0) { /* not measured yet: blank, never a glyph a level has (".") */
		lv_draw_field(y, x, w, 0, LV_COLOR_DIM, "");
		return;
	}
	if (w >= 6 && (fine || lv_theme_color()))
		snprintf(text, sizeof(text), "%5.3f%s", v, best ? "*" : "");
	else {
		int k = 0;
		for (; k < w - 1 && k < (int)sizeof(text) - 2; k++)
			text[k] = lv_heat_glyph(level);
		text[k++] = best ? '*' : lv_heat_glyph(level);
		text[k] = '\0';
	}
	int a = lv_theme_heat_attr(level) | (best ? A_BOLD : 0);
	attron(a);
	mvaddnstr(y, x, text, w);
	for (int k = (int)strlen(text); k < w; k++)
		mvaddch(y, x + k, ' ');
	attroff(a);
}

/* What both panels draw from: the scale over what was measured, and the best point. */
struct marks {
	struct lv_heat_scale sc;
	int bf, bb; /* the least energy per frame; -1 none */
};

static void heatmap(const struct lv_ui *ui, const struct lv_profile_layout *l,
                    const struct marks *m)
{
	const struct lv_ui_profiling *p = &ui->prof;
	const struct lv_rect *r = &l->map;
	if (r->h < 2 || p->n_freqs == 0)
		return;
	int w = l->cell_w;
	/* Title row: batch sizes, as many as fit their columns. */
	lv_draw_field(r->y, r->x, LV_PROFILE_LABEL_W, 0, LV_COLOR_HEADER, "MHz\\batch");
	for (size_t b = 0, next = 0; b < p->n_batches; b++) {
		int x = r->x + LV_PROFILE_LABEL_W + (int)b * w;
		char t[12];
		int n = snprintf(t, sizeof(t), "%d", p->batches[b]);
		if ((int)b * w < (int)next)
			continue;
		lv_draw_text(r->y, x, r->x + r->w - x, LV_COLOR_HEADER, t);
		next = (size_t)((int)b * w + n + 1);
	}
	int rows = r->h - 1 < (int)p->n_freqs ? r->h - 1 : (int)p->n_freqs;
	for (int k = 0; k < rows; k++) {
		size_t f = p->n_freqs - 1 - (size_t)k; /* highest clock first */
		int y = r->y + 1 + k;
		char mhz[24];
		lv_draw_field(y, r->x, LV_PROFILE_LABEL_W - 1, 1,
		              (int)f == p->cur_f ? LV_COLOR_ACCENT : LV_COLOR_NORMAL,
		              lv_fmt_mhz(mhz, sizeof(mhz), p->freqs_hz[f]));
		for (size_t b = 0; b < p->n_batches; b++) {
			int x = r->x + LV_PROFILE_LABEL_W + (int)b * w;
			if (x + w > r->x + r->w)
				break;
			double v = p->epf[f][b];
			int cur = p->state == LV_UI_PROF_RUNNING && (int)f == p->cur_f &&
			          (int)b == p->cur_b && isnan(v);
			cell(y, x, w, v, lv_heat_level(&m->sc, v),
			     (int)f == m->bf && (int)b == m->bb, cur);
		}
	}
}

static void side(const struct lv_ui *ui, const struct lv_profile_layout *l, const struct marks *m)
{
	const struct lv_ui_profiling *p = &ui->prof;
	const struct lv_rect *r = &l->side;
	if (r->h < 1 || r->w < 12)
		return;
	int y = r->y + lv_draw_title(r, "energy per frame", NULL), last = r->y + r->h;
	const struct lv_heat_scale *sc = &m->sc;
	if (y < last && sc->hi > 0) {
		/* The scale: each level's colour (or glyph) and its lower edge. */
		int x = r->x;
		for (int lv = 0; lv < LV_HEAT_LEVELS && x + 2 <= r->x + r->w; lv += 3) {
			cell(y, x, 1, lv_heat_edge(sc, lv), lv, 0, 0);
			char e[24];
			snprintf(e, sizeof(e), " %.3g ", lv_heat_edge(sc, lv));
			x += 1 + lv_draw_text(y, x + 1, r->x + r->w - x - 1, LV_COLOR_DIM, e);
		}
		y++;
		if (y < last)
			lv_draw_textf(y++, r->x, r->w, LV_COLOR_DIM,
			              "%s scale, J/frame; blank: not yet",
			              sc->log ? "log" : "linear");
		if (y < last)
			lv_draw_text(y++, r->x, r->w, LV_COLOR_DIM,
			             "* marks the least (not a level)");
	}
	int bf = m->bf, bb = m->bb;
	if (y < last && bf >= 0) {
		char mhz[24], lat[24];
		lv_draw_textf(y++, r->x, r->w, LV_COLOR_OK, "* least: %.4f J at %s MHz, batch %d",
		              p->epf[bf][bb], lv_fmt_mhz(mhz, sizeof(mhz), p->freqs_hz[bf]),
		              p->batches[bb]);
		if (y < last)
			lv_draw_textf(y++, r->x, r->w, LV_COLOR_DIM, "  batch latency %s",
			              lv_fmt_latency(lat, sizeof(lat), p->latency_s[bf][bb]));
	}
	if (y < last && p->state == LV_UI_PROF_RUNNING && p->cur_f >= 0) {
		char mhz[24];
		if (p->cur_b >= 0)
			lv_draw_textf(y++, r->x, r->w, LV_COLOR_BUSY,
			              "now: %s MHz, batch %d, window %d",
			              lv_fmt_mhz(mhz, sizeof(mhz), p->freqs_hz[p->cur_f]),
			              p->batches[p->cur_b], p->window);
		else
			lv_draw_textf(y++, r->x, r->w, LV_COLOR_BUSY, "now: pinning %s MHz",
			              lv_fmt_mhz(mhz, sizeof(mhz), p->freqs_hz[p->cur_f]));
	}
	if (y < last && p->out[0])
		lv_draw_textf(y++, r->x, r->w, LV_COLOR_DIM, "profile: %s", p->out);
	if (y < last && p->state == LV_UI_PROF_DONE)
		lv_draw_textf(y++, r->x, r->w, LV_COLOR_DIM,
		              "to schedule with it: copy it to profiles/%s.json (the predictor "
		              "retrains on the next start)",
		              p->kind);
	if (y < last)
		lv_draw_text(y++, r->x, r->w, LV_COLOR_DIM,
		             p->state == LV_UI_PROF_WAITING || p->state == LV_UI_PROF_RUNNING
		                 ? "x stop (clock released, points kept)"
		                 : "P profile the selected device again");
}

static void draw(struct lv_ui *ui, void *state, const struct lv_view_layout *lay)
{
	(void)state;
	const struct lv_profile_layout *l = &lay->u.profile;
	if (ui->prof.state == LV_UI_PROF_IDLE) {
		const struct lv_rect *r = &l->head;
		static const char *const lines[] = {
			"No profiling sweep yet.",
			"P profiles the selected device with the defaults: every clock, batch "
			"sizes "
			"up to its max batch,",
			"or type :profile DEVICE [clocks=all|768MHz,..] [batches=1-4|1,2,4] "
			"[requests=K].",
			"The scheduler leaves the device alone while it is measured; the heatmap "
			"fills in here.",
		};
		for (int k = 0; k < 4 && k < l->map.y + l->map.h - r->y; k++)
			lv_draw_text(r->y + k, r->x, r->w, k ? LV_COLOR_DIM : LV_COLOR_NORMAL,
			             lines[k]);
		return;
	}
	struct marks m;
	fit(&ui->prof, &m.sc);
	best_point(&ui->prof, &m.bf, &m.bb);
	head(ui, &l->head);
	heatmap(ui, l, &m);
	side(ui, l, &m);
}

/* ---- keys ------------------------------------------------------------------ */

static unsigned k_start(struct lv_ui *ui, void *state, int key)
{
	(void)state, (void)key;
	const char *dev = ui->device[0] ? ui->device : ui->prof.device;
	if (!dev[0] && ui->snap && ui->snap->n_devices)
		dev = ui->snap->devices[0].name;
	ui->prompt_init_kind = ':';
	snprintf(ui->prompt_init, sizeof(ui->prompt_init), "profile %s ", dev);
	return LV_REACT_PROMPT;
}

static unsigned k_stop(struct lv_ui *ui, void *state, int key)
{
	(void)state, (void)key;
	if (ui->prof.state != LV_UI_PROF_WAITING && ui->prof.state != LV_UI_PROF_RUNNING)
		return 0;
	memset(&ui->req, 0, sizeof(ui->req));
	ui->req.kind = LV_CMD_PROFILE;
	ui->req.sweep.stop = 1;
	return LV_REACT_REQUEST;
}

static const struct lv_key_binding keys[] = {
	{ 'P', "P", "profile the selected device (opens :profile DEVICE)", k_start },
	{ 'x', "x", "stop the sweep (clock released, measured points kept)", k_stop },
};

const struct lv_view_ops lv_view_profile = {
	.name = "profile",
	.title = "Profile",
	.hotkey = '6',
	.state_size = 0,
	.layout = layout,
	.draw = draw,
	.keys = keys,
	.n_keys = sizeof(keys) / sizeof(keys[0]),
	.about = "The heatmap: energy per frame over GPU clock (rows, highest first) and batch "
	         "(columns). With colours a cell shows its value (its glyph when too narrow) on "
	         "its level's colour; without "
	         "(NO_COLOR, --mono, the mono theme) a cell is its level's glyph, light to dense: "
	         ". : - = + o x # % @. A blank cell is not measured yet; * marks the least energy "
	         "per frame so far and is not a level; ... the point being measured.",
};
