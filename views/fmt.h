/*
 * fmt: the console's number formatting and chart scaling — pure functions,
 * no curses, unit-tested (tests/unit/test_views_fmt.c).
 *
 * Every formatter writes a short, fixed-style string into a caller buffer
 * and returns that buffer, so a call can sit inside a printf argument list.
 * A value the controller does not have (NAN, or an invalid metric) prints
 * as "-", never as a made-up zero.
 *
 * Scaling: sparklines and charts map a series to integer levels. The range
 * starts at 0 (power, frames/s and queue depth are never negative, and a
 * chart whose floor floats hides how idle the cluster is) and ends at the
 * series' maximum, so the tallest sample always fills the chart.
 */
#ifndef LV_FMT_H
#define LV_FMT_H

#include <stddef.h>
#include <stdint.h>

struct lv_snap_store;

/* "12.3 W", "123 W", "1.23 kW"; "-" for NAN. */
char *lv_fmt_watts(char *buf, size_t len, double w);
/* "812 J", "12.3 kJ", "1.23 MJ"; "-" for NAN. */
char *lv_fmt_joules(char *buf, size_t len, double j);
/* A clock in MHz, rounded: "1109"; "-" for 0 (unknown). */
char *lv_fmt_mhz(char *buf, size_t len, uint64_t hz);
/* "45s", "12m05s", "3h04m", "2d03h"; "-" for NAN or negative. */
char *lv_fmt_duration(char *buf, size_t len, double s);
/* A latency: "850ms", "1.20s", "12.0s", "125s"; "-" for NAN. */
char *lv_fmt_latency(char *buf, size_t len, double s);
/* "999", "12.3k", "4.56M", "1.23G". */
char *lv_fmt_count(char *buf, size_t len, uint64_t n);
/* "98.2%", "100%", "-" for NAN. */
char *lv_fmt_pct(char *buf, size_t len, double pct);
/* A chart axis's value in 5 characters at most, no trailing zeros: "64", "25.2", "0.25", "1377". */
char *lv_fmt_axis(char *buf, size_t len, double x);
/* A rate with a precision that fits 5 characters: "0.123", "12.3", "1234". "-" for NAN. */
char *lv_fmt_rate(char *buf, size_t len, double x);

/*
 * The store's record in a few words, worst news first: "record INCOMPLETE:
 * 42 rows missing" (and ", writes failing" while they do), "store
 * failing: 310 rows waiting", "record complete"; "" without a database.
 * Returns 2 for the first, 1 for the second, 0 otherwise (the caller's
 * colour).
 */
int lv_fmt_store(char *buf, size_t len, const struct lv_snap_store *st);

/*
 * Reduces the last samples of v[0..n) (oldest first) to `width` points,
 * newest at the right: with n <= width the samples are copied right-aligned
 * and the `width - n` leftmost points are NAN (no data yet); with n > width
 * each point is the mean of a group of ceil(n / width) consecutive samples,
 * groups counted back from the newest, so the chart covers the whole
 * history. Returns the seconds-per-point factor (the group size, >= 1).
 */
size_t lv_series_resample(const double *v, size_t n, size_t width, double *out);

/*
 * Levels for a chart of `levels` steps (>= 2): each finite v[i] maps to
 * round(v[i] / hi * (levels - 1)) clamped to [0, levels-1], where hi is
 * `max` when > 0, else the finite maximum of v; a NAN maps to -1 (draw
 * nothing). A positive value never maps to 0, so activity always shows.
 * Returns the hi used (0 when every value is 0 or NAN).
 */
double lv_series_levels(const double *v, size_t n, int levels, double max, int *out);

/*
 * A horizontal bar of `width` cells showing frac (clamped to [0, 1]) with
 * `sub` steps per cell (8 with Unicode eighth blocks, 1 in ASCII): *full
 * cells are full and the next cell shows *part steps (0..sub-1).
 */
void lv_bar_fill(double frac, int width, int sub, int *full, int *part);

#endif
