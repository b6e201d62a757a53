/*
 * theme: the table from semantic colour to curses attributes, for colour
 * and monochrome terminals, and the two glyph sets (see theme.h).
 *
 * The table is the one place that knows what a meaning looks like; adding
 * a meaning is a row here, an enum member in theme.h, and nothing in any
 * view. Colour pairs are numbered by the row (pair i + 1), so pair numbers
 * never collide.
 */
#include "theme.h"

#include <curses.h>

#include "heat.h"

struct theme_row {
	short fg, bg;   /* colour terminal: pair (fg, bg); -1 = the terminal's default */
	int color_attr; /* added on colour terminals */
	int mono_attr;  /* the whole look on monochrome ones */
};

static const struct theme_row rows[LV_COLOR_COUNT] = {
	[LV_COLOR_NORMAL] = { -1, -1, 0, 0 },
	[LV_COLOR_DIM] = { -1, -1, A_DIM, A_DIM },
	[LV_COLOR_TITLE] = { COLOR_CYAN, -1, A_BOLD, A_BOLD | A_UNDERLINE },
	[LV_COLOR_HEADER] = { COLOR_BLACK, COLOR_CYAN, 0, A_REVERSE },
	[LV_COLOR_SELECTED] = { COLOR_BLACK, COLOR_YELLOW, 0, A_REVERSE | A_BOLD },
	[LV_COLOR_TAB] = { COLOR_WHITE, COLOR_BLUE, 0, A_REVERSE },
	[LV_COLOR_TAB_ACTIVE] = { COLOR_BLACK, COLOR_WHITE, A_BOLD, A_BOLD | A_UNDERLINE },
	[LV_COLOR_STATUS] = { COLOR_WHITE, COLOR_BLUE, 0, A_REVERSE },
	[LV_COLOR_PROMPT] = { COLOR_YELLOW, -1, A_BOLD, A_BOLD },
	[LV_COLOR_OK] = { COLOR_GREEN, -1, 0, 0 },
	[LV_COLOR_BUSY] = { COLOR_GREEN, -1, A_BOLD, A_BOLD },
	[LV_COLOR_WARN] = { COLOR_YELLOW, -1, A_BOLD, A_UNDERLINE },
	[LV_COLOR_DOWN] = { COLOR_RED, -1, A_BOLD, A_BOLD | A_REVERSE },
	[LV_COLOR_POWER] = { COLOR_MAGENTA, -1, 0, 0 },
	[LV_COLOR_FPS] = { COLOR_GREEN, -1, 0, 0 },
	[LV_COLOR_CLOCK] = { COLOR_CYAN, -1, 0, 0 },
	[LV_COLOR_ACCENT] = { COLOR_YELLOW, -1, A_BOLD, A_BOLD },
};

static const struct lv_glyphs utf8_glyphs = {
	.spark = { " ", "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587",
	           "\u2588" },
	.spark_levels = 9,
	.eighth = { " ", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589" },
	.bar_sub = 8,
	.block = { " ", "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587",
	           "\u2588" },
	.chart_sub = 8,
	.hline = "\u2500",
	.vline = "\u2502",
	.full = "\u2588",
	.empty_bar = "\u00b7",
	.up = "\u25b2",
	.down = "\u25bc",
};

static const struct lv_glyphs ascii_glyphs = {
	.spark = { " ", ".", "-", "=", "#" },
	.spark_levels = 5,
	.eighth = { " " },
	.bar_sub = 1,
	.block = { " ", ".", "#" },
	.chart_sub = 2,
	.hline = "-",
	.vline = "|",
	.full = "#",
	.empty_bar = ".",
	.up = "^",
	.down = "v",
};

static int use_colors;
static int use_utf8;
static int heat_fine; /* 256 colours: a shade per level */

#define HEAT_PAIR0 (LV_COLOR_COUNT + 1)

void lv_theme_init(int use_color, int utf8)
{
	use_colors = use_color;
	use_utf8 = utf8;
	if (!use_color)
		return;
	use_default_colors();
	for (int i = 0; i < LV_COLOR_COUNT; i++)
		init_pair((short)(i + 1), rows[i].fg, rows[i].bg);
	heat_fine = COLORS >= 256 && COLOR_PAIRS > HEAT_PAIR0 + LV_HEAT_LEVELS;
	for (int l = 0; l < LV_HEAT_LEVELS && COLOR_PAIRS > HEAT_PAIR0 + LV_HEAT_LEVELS; l++) {
		short bg = heat_fine ? (short)lv_heat_color256(l)
		           : l < 4   ? COLOR_GREEN
		           : l < 7   ? COLOR_YELLOW
		                     : COLOR_RED;
		init_pair((short)(HEAT_PAIR0 + l), heat_fine ? 16 : COLOR_BLACK, bg);
	}
}

int lv_theme_heat_attr(int level)
{
	if (!use_colors || COLOR_PAIRS <= HEAT_PAIR0 + LV_HEAT_LEVELS || level < 0)
		return A_NORMAL;
	if (level >= LV_HEAT_LEVELS)
		level = LV_HEAT_LEVELS - 1;
	return (int)COLOR_PAIR(HEAT_PAIR0 + level);
}

int lv_theme_heat_fine(void)
{
	return use_colors && heat_fine;
}

int lv_theme_color(void)
{
	return use_colors;
}

int lv_theme_utf8(void)
{
	return use_utf8;
}

int lv_theme_attr(enum lv_color c)
{
	if (c < 0 || c >= LV_COLOR_COUNT)
		c = LV_COLOR_NORMAL;
	if (!use_colors)
		return rows[c].mono_attr;
	return (int)COLOR_PAIR(c + 1) | rows[c].color_attr;
}

const struct lv_glyphs *lv_theme_glyphs(void)
{
	return use_utf8 ? &utf8_glyphs : &ascii_glyphs;
}
