/*
 * heat: the scale of a heatmap — energy per frame over (GPU clock, batch
 * size) in `loudva profile show` and in the console's Profile view, which
 * fills in live during a sweep. Pure: which level a value falls in, the
 * glyph that stands for a level where there is no colour, and the colour a
 * level gets on a 256-colour terminal. The drawing is the caller's.
 *
 * Energy per frame spans an order of magnitude between batch 1 at the top
 * clock and a full batch at a mid clock, so the scale is logarithmic when
 * the values span more than a factor of 3, linear otherwise. Low is good:
 * level 0 is the least energy per frame (green), the last level the most
 * (red).
 */
#ifndef LV_HEAT_H
#define LV_HEAT_H

#include <stddef.h>

#define LV_HEAT_LEVELS 10

struct lv_heat_scale {
	double lo, hi; /* the least and greatest finite positive value; lo = hi = 0: none */
	int log;       /* 1: levels are even in log(value) */
};

/* Fits the scale to n values; NAN, infinities and values <= 0 are skipped. */
void lv_heat_fit(struct lv_heat_scale *s, const double *v, size_t n);

/* The level of v, 0..LV_HEAT_LEVELS-1; -1 for a value the scale skips (not measured). */
int lv_heat_level(const struct lv_heat_scale *s, double v);

/* The value at the lower edge of a level (for a legend). */
double lv_heat_edge(const struct lv_heat_scale *s, int level);

/* A one-character ASCII glyph per level, light to dense: ".:-=+ox#%@" (never "*", the
 * least-energy mark); '?' for -1. */
char lv_heat_glyph(int level);

/* An xterm-256 colour index per level, green through yellow to red. */
int lv_heat_color256(int level);

#endif
