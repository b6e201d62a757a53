/*
 * draw: clipped text, bars, sparklines and charts on stdscr (see draw.h).
 *
 * Charts and sparklines go through fmt.c's resampling and level scaling,
 * so what a chart shows is exactly what the unit tests check; only the
 * mapping from a level to a glyph lives here. Scratch arrays are on the
 * stack, sized for the widest terminal we draw (DRAW_MAX_W columns);
 * anything wider is clipped.
 */
#include "draw.h"

#include <curses.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fmt.h"

#define DRAW_MAX_W   512
#define CHART_AXIS_W 6 /* a chart's y-axis values (5) and its rule (1) */

/* Bytes of s that hold at most w code points; *cells gets how many code points that is. */
static size_t clip(const char *s, int w, int *cells)
{
	size_t i = 0;
	int n = 0;
	while (s[i] && n < w) {
		i++;
		while ((s[i] & 0xc0) == 0x80)
			i++;
		n++;
	}
	*cells = n;
	return i;
}

int lv_draw_text(int y, int x, int w, enum lv_color c, const char *s)
{
	if (w <= 0 || !s)
		return 0;
	int cells;
	size_t bytes = clip(s, w, &cells);
	int a = lv_theme_attr(c);
	if (a)
		attron(a);
	mvaddnstr(y, x, s, (int)bytes);
	if (a)
		attroff(a);
	return cells;
}

int lv_draw_textf(int y, int x, int w, enum lv_color c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return lv_draw_text(y, x, w, c, buf);
}

void lv_draw_field(int y, int x, int w, int right, enum lv_color c, const char *s)
{
	if (w <= 0)
		return;
	int cells;
	clip(s, w, &cells);
	int pad = w - cells;
	if (right) {
		mvhline(y, x, ' ', pad);
		lv_draw_text(y, x + pad, cells, c, s);
	} else {
		lv_draw_text(y, x, cells, c, s);
		mvhline(y, x + cells, ' ', pad);
	}
}

void lv_draw_clear(const struct lv_rect *r)
{
	for (int i = 0; i < r->h; i++)
		mvhline(r->y + i, r->x, ' ', r->w);
}

void lv_draw_band(int y, int x, int w, enum lv_color c)
{
	if (w <= 0)
		return;
	int a = lv_theme_attr(c);
	attron(a);
	mvhline(y, x, ' ', w);
	attroff(a);
}

int lv_draw_title(const struct lv_rect *r, const char *title, const char *extra)
{
	if (r->h <= 0 || r->w <= 0)
		return 0;
	const struct lv_glyphs *g = lv_theme_glyphs();
	int n = lv_draw_text(r->y, r->x, r->w, LV_COLOR_TITLE, title);
	int x = r->x + n;
	if (extra && *extra && x + 1 < r->x + r->w)
		x += 1 + lv_draw_text(r->y, x + 1, r->x + r->w - x - 1, LV_COLOR_DIM, extra);
	if (x + 1 < r->x + r->w) {
		int a = lv_theme_attr(LV_COLOR_DIM);
		attron(a);
		for (int i = x + 1; i < r->x + r->w; i++)
			mvaddstr(r->y, i, g->hline);
		attroff(a);
	}
	return 1;
}

void lv_draw_bar(int y, int x, int w, double frac, enum lv_color c)
{
	if (w <= 0)
		return;
	const struct lv_glyphs *g = lv_theme_glyphs();
	int full, part;
	lv_bar_fill(frac, w, g->bar_sub, &full, &part);
	int a = lv_theme_attr(c);
	attron(a);
	move(y, x);
	for (int i = 0; i < full; i++)
		addstr(g->full);
	if (full < w && part > 0)
		addstr(g->eighth[part]);
	attroff(a);
	int used = full + (full < w && part > 0);
	int d = lv_theme_attr(LV_COLOR_DIM);
	attron(d);
	for (int i = used; i < w; i++)
		addstr(g->empty_bar);
	attroff(d);
}

void lv_draw_spark(int y, int x, int w, const double *v, size_t n, double max, enum lv_color c)
{
	if (w <= 0)
		return;
	if (w > DRAW_MAX_W)
		w = DRAW_MAX_W;
	const struct lv_glyphs *g = lv_theme_glyphs();
	double pts[DRAW_MAX_W];
	int lv[DRAW_MAX_W];
	lv_series_resample(v, n, (size_t)w, pts);
	lv_series_levels(pts, (size_t)w, g->spark_levels, max, lv);
	int a = lv_theme_attr(c);
	attron(a);
	move(y, x);
	for (int i = 0; i < w; i++)
		addstr(lv[i] < 0 ? " " : g->spark[lv[i]]);
	attroff(a);
}

static void chart_column(const struct lv_rect *plot, int col, int level, int sub, int a)
{
	const struct lv_glyphs *g = lv_theme_glyphs();
	attron(a);
	for (int row = 0; row < plot->h; row++) {
		int base = row * sub; /* steps below this cell, counted from the bottom */
		int in = level - base;
		int y = plot->y + plot->h - 1 - row;
		if (in <= 0)
			break;
		mvaddstr(y, plot->x + col, in >= sub ? g->block[sub == 8 ? 8 : 2] : g->block[in]);
	}
	attroff(a);
}

/*
 * The y axis left of plot: the axis's top at the top row (none while
 * everything is 0), 0 at the bottom
 * and, on a plot of 5 rows or more, the value at the middle row's top edge;
 * a rule beside them. Numbers without units (the title has them).
 */
static void axis(const struct lv_rect *plot, double top)
{
	const struct lv_glyphs *g = lv_theme_glyphs();
	int x = plot->x - CHART_AXIS_W, mid = plot->h >= 5 ? plot->h / 2 : -1;
	for (int row = 0; row < plot->h; row++) {
		char num[24] = "";
		if (row == 0 && top > 0)
			lv_fmt_axis(num, sizeof(num), top);
		else if (row == plot->h - 1)
			snprintf(num, sizeof(num), "0");
		else if (row == mid && top > 0)
			lv_fmt_axis(num, sizeof(num), top * (double)(plot->h - row) / plot->h);
		lv_draw_field(plot->y + row, x, CHART_AXIS_W - 1, 1, LV_COLOR_DIM, num);
		lv_draw_text(plot->y + row, plot->x - 1, 1, LV_COLOR_DIM, g->vline);
	}
}

void lv_draw_chart(const struct lv_rect *r, const char *title, const double *v, size_t n,
                   double max, enum lv_color c, enum lv_color over,
                   char *(*fmt)(char *buf, size_t len, double x))
{
	if (r->h <= 0 || r->w <= 0)
		return;
	double last = NAN;
	for (size_t i = n; i > 0 && isnan(last); i--)
		last = v[i - 1];
	/* A y axis (values and a rule) left of the plot when there is room for both. */
	int axw = r->h >= 3 && r->w >= 30 ? CHART_AXIS_W : 0;
	int w = r->w - axw > DRAW_MAX_W ? DRAW_MAX_W : r->w - axw;
	double pts[DRAW_MAX_W];
	int lvl[DRAW_MAX_W];
	lv_series_resample(v, n, (size_t)w, pts);
	struct lv_rect plot = { r->y + 1, r->x + axw, r->h - 1, w };
	const struct lv_glyphs *g = lv_theme_glyphs();
	int levels = plot.h * g->chart_sub + 1;
	double top = lv_series_levels(pts, (size_t)w, levels > 1 ? levels : 2, max, lvl);
	/* The peak is the series' own (not the resampled points', not the axis's top),
	 * so "peak" is a value that was reached; the axis is said apart. */
	double peak = NAN;
	for (size_t i = 0; i < n; i++)
		if (!isnan(v[i]) && (isnan(peak) || v[i] > peak))
			peak = v[i];
	char now[32], hi[32], ax[32], extra[120];
	fmt(now, sizeof(now), last);
	fmt(hi, sizeof(hi), peak);
	fmt(ax, sizeof(ax), top);
	/* Shorter forms where the full one would be cut (a 2x2 grid at 80 columns). */
	int room = r->w - (int)strlen(title) - 4;
	snprintf(extra, sizeof(extra), "now %s  peak %s  axis 0-%s", now, hi, ax);
	if ((int)strlen(extra) > room)
		snprintf(extra, sizeof(extra), "now %s  peak %s", now, hi);
	if ((int)strlen(extra) > room)
		snprintf(extra, sizeof(extra), "%s (peak %s)", now, hi);
	lv_draw_title(r, title, extra);
	if (plot.h <= 0)
		return;
	if (axw)
		axis(&plot, top);
	int a = lv_theme_attr(c), o = lv_theme_attr(over);
	for (int i = 0; i < w; i++)
		if (lvl[i] > 0)
			chart_column(&plot, i, lvl[i], g->chart_sub,
			             max > 0 && pts[i] > max ? o : a);
}

int lv_draw_wrap(const char *text, int w, int max, const char **starts, int *lens)
{
	int n = 0;
	const char *p = text;
	while (*p && n < max && w > 0) {
		int len = (int)strlen(p);
		if (len > w) {
			len = w;
			for (int k = w; k > w / 2; k--)
				if (p[k] == ' ') {
					len = k;
					break;
				}
		}
		starts[n] = p;
		lens[n++] = len;
		p += len;
		while (*p == ' ')
			p++;
	}
	return n;
}
