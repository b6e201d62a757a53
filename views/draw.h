/*
 * draw: the curses drawing every view shares — clipped text, fields,
 * section titles, horizontal bars, one-row sparklines and multi-row
 * charts — in semantic colours (theme.h) with the theme's glyphs.
 *
 * Everything is clipped to the width it is given: a view can hand any
 * rectangle from layout.h and never write outside it. Text is counted in
 * code points, one cell each (the console's own text is ASCII; names and
 * log lines from elsewhere may not be).
 */
#ifndef LV_DRAW_H
#define LV_DRAW_H

#include <stddef.h>

#include "layout.h"
#include "theme.h"

/* Text at (y, x), at most w cells. Returns the cells written. */
int lv_draw_text(int y, int x, int w, enum lv_color c, const char *s);
int lv_draw_textf(int y, int x, int w, enum lv_color c, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Text in a field of w cells, left- or right-aligned, padded with spaces. */
void lv_draw_field(int y, int x, int w, int right, enum lv_color c, const char *s);
/* Blanks a rectangle. */
void lv_draw_clear(const struct lv_rect *r);
/*
 * Word-wraps text into lines of at most w bytes (the console's own text is
 * ASCII), breaking at a space in the line's second half when there is one.
 * Returns the number of lines, at most max; line i starts at starts[i] and
 * has lens[i] bytes. Draws nothing.
 */
int lv_draw_wrap(const char *text, int w, int max, const char **starts, int *lens);
/* Fills one row of w cells with colour c (a selection or header background). */
void lv_draw_band(int y, int x, int w, enum lv_color c);
/* A section title at r's top row: "Title ──── extra". Returns the rows it used (0 or 1). */
int lv_draw_title(const struct lv_rect *r, const char *title, const char *extra);
/* A horizontal bar of w cells showing frac of full. */
void lv_draw_bar(int y, int x, int w, double frac, enum lv_color c);
/* A one-row sparkline of the series (oldest first), newest at the right; max <= 0: auto. */
void lv_draw_spark(int y, int x, int w, const double *v, size_t n, double max, enum lv_color c);
/*
 * A chart in r: a title row ("title  now X  peak Y  axis 0-Z": the last
 * value, the series' true maximum and the axis's top) then bars of the series,
 * one column per point (resampled to fit). max <= 0: the series' maximum.
 * Values above max are clipped and drawn in `over` colour. `fmt` formats
 * the current and top values for the title.
 */
void lv_draw_chart(const struct lv_rect *r, const char *title, const double *v, size_t n,
                   double max, enum lv_color c, enum lv_color over,
                   char *(*fmt)(char *buf, size_t len, double x));

#endif
