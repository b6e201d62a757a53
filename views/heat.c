/*
 * heat: see heat.h. The 256-colour ramp is taken from the xterm 6x6x6 cube
 * (index 16 + 36r + 6g + b): green (0,3,0) through yellow (4,4,0) to red
 * (4,0,0), ten steps that stay readable with black text on them.
 */
#include "heat.h"

#include <math.h>

void lv_heat_fit(struct lv_heat_scale *s, const double *v, size_t n)
{
	*s = (struct lv_heat_scale){ 0 };
	int any = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(v[i]) || v[i] <= 0)
			continue;
		if (!any || v[i] < s->lo)
			s->lo = v[i];
		if (!any || v[i] > s->hi)
			s->hi = v[i];
		any = 1;
	}
	s->log = any && s->hi > 3.0 * s->lo;
}

/* Where v sits between lo and hi, 0..1. */
static double position(const struct lv_heat_scale *s, double v)
{
	if (s->hi <= s->lo)
		return 0;
	double t = s->log ? log(v / s->lo) / log(s->hi / s->lo) : (v - s->lo) / (s->hi - s->lo);
	return t < 0 ? 0 : t > 1 ? 1 : t;
}

int lv_heat_level(const struct lv_heat_scale *s, double v)
{
	if (!isfinite(v) || v <= 0 || s->hi <= 0)
		return -1;
	int l = (int)floor(position(s, v) * LV_HEAT_LEVELS);
	return l >= LV_HEAT_LEVELS ? LV_HEAT_LEVELS - 1 : l;
}

double lv_heat_edge(const struct lv_heat_scale *s, int level)
{
	double t = (double)level / LV_HEAT_LEVELS;
	if (s->log && s->lo > 0)
		return s->lo * pow(s->hi / s->lo, t);
	return s->lo + t * (s->hi - s->lo);
}

char lv_heat_glyph(int level)
{
	static const char ramp[LV_HEAT_LEVELS + 1] =
	    ".:-=+ox#%@"; /* no "*": it marks the best cell */
	if (level < 0 || level >= LV_HEAT_LEVELS)
		return '?';
	return ramp[level];
}

int lv_heat_color256(int level)
{
	/* (r, g) on the cube, b = 0: green, lime, yellow, orange, red. */
	static const unsigned char rg[LV_HEAT_LEVELS][2] = {
		{ 0, 3 }, { 1, 3 }, { 1, 4 }, { 2, 4 }, { 3, 4 },
		{ 4, 4 }, { 4, 3 }, { 4, 2 }, { 5, 1 }, { 4, 0 },
	};
	if (level < 0)
		return 244; /* grey */
	if (level >= LV_HEAT_LEVELS)
		level = LV_HEAT_LEVELS - 1;
	return 16 + 36 * rg[level][0] + 6 * rg[level][1];
}
