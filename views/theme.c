/*
 * theme: the tables from semantic colour to curses attributes, for colour
 * and monochrome terminals — one per named theme (default, mono, light),
 * copied into `rows` with the operator's overrides on top — and the two
 * glyph sets (see theme.h).
 *
 * The table is the one place that knows what a meaning looks like; adding
 * a meaning is a row here, an enum member in theme.h, and nothing in any
 * view. Colour pairs are numbered by the row (pair i + 1), so pair numbers
 * never collide.
 */
#include "theme.h"

#include <curses.h>
#include <string.h>

#include "heat.h"

struct theme_row {
	short fg, bg;   /* colour terminal: pair (fg, bg); -1 = the terminal's default */
	int color_attr; /* added on colour terminals */
	int mono_attr;  /* the whole look on monochrome ones */
};

/* The default: for a dark terminal background. */
static const struct theme_row dark_rows[LV_COLOR_COUNT] = {
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

/*
 * For a light (white or cream) background: yellow and cyan text vanish
 * there, so warnings, accents and titles take darker colours, and the
 * selection is white on blue rather than black on yellow. Monochrome
 * attributes are the default's (they do not depend on the background).
 */
static const struct theme_row light_rows[LV_COLOR_COUNT] = {
	[LV_COLOR_NORMAL] = { -1, -1, 0, 0 },
	[LV_COLOR_DIM] = { -1, -1, A_DIM, A_DIM },
	[LV_COLOR_TITLE] = { COLOR_BLUE, -1, A_BOLD, A_BOLD | A_UNDERLINE },
	[LV_COLOR_HEADER] = { COLOR_WHITE, COLOR_BLUE, 0, A_REVERSE },
	[LV_COLOR_SELECTED] = { COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE | A_BOLD },
	[LV_COLOR_TAB] = { COLOR_BLACK, COLOR_CYAN, 0, A_REVERSE },
	[LV_COLOR_TAB_ACTIVE] = { COLOR_WHITE, COLOR_BLACK, A_BOLD, A_BOLD | A_UNDERLINE },
	[LV_COLOR_STATUS] = { COLOR_BLACK, COLOR_CYAN, 0, A_REVERSE },
	[LV_COLOR_PROMPT] = { COLOR_BLUE, -1, A_BOLD, A_BOLD },
	[LV_COLOR_OK] = { COLOR_GREEN, -1, A_BOLD, 0 },
	[LV_COLOR_BUSY] = { COLOR_GREEN, -1, A_BOLD, A_BOLD },
	[LV_COLOR_WARN] = { COLOR_MAGENTA, -1, A_BOLD, A_UNDERLINE },
	[LV_COLOR_DOWN] = { COLOR_RED, -1, A_BOLD, A_BOLD | A_REVERSE },
	[LV_COLOR_POWER] = { COLOR_MAGENTA, -1, 0, 0 },
	[LV_COLOR_FPS] = { COLOR_GREEN, -1, 0, 0 },
	[LV_COLOR_CLOCK] = { COLOR_BLUE, -1, 0, 0 },
	[LV_COLOR_ACCENT] = { COLOR_BLUE, -1, A_BOLD, A_BOLD },
};

/* The named themes; "mono" is the default's table with colours off. */
static const struct {
	const char *name;
	const struct theme_row *rows;
	int mono;
} themes[] = {
	{ "default", dark_rows, 0 },
	{ "mono", dark_rows, 1 },
	{ "light", light_rows, 0 },
};
#define N_THEMES (sizeof(themes) / sizeof(themes[0]))

/* The rows in use: the chosen theme's, then the operator's overrides. */
static struct theme_row rows[LV_COLOR_COUNT];
static size_t theme_cur;
static int rows_ready;

static const char *const color_names[LV_COLOR_COUNT] = {
	[LV_COLOR_NORMAL] = "normal",
	[LV_COLOR_DIM] = "dim",
	[LV_COLOR_TITLE] = "title",
	[LV_COLOR_HEADER] = "header",
	[LV_COLOR_SELECTED] = "selected",
	[LV_COLOR_TAB] = "tab",
	[LV_COLOR_TAB_ACTIVE] = "tab_active",
	[LV_COLOR_STATUS] = "status",
	[LV_COLOR_PROMPT] = "prompt",
	[LV_COLOR_OK] = "ok",
	[LV_COLOR_BUSY] = "busy",
	[LV_COLOR_WARN] = "warn",
	[LV_COLOR_DOWN] = "down",
	[LV_COLOR_POWER] = "power",
	[LV_COLOR_FPS] = "fps",
	[LV_COLOR_CLOCK] = "clock",
	[LV_COLOR_ACCENT] = "accent",
};

static void rows_load(size_t t)
{
	theme_cur = t;
	for (int i = 0; i < LV_COLOR_COUNT; i++)
		rows[i] = themes[t].rows[i];
	rows_ready = 1;
}

int lv_theme_find(const char *name)
{
	for (size_t t = 0; t < N_THEMES; t++)
		if (!strcmp(themes[t].name, name))
			return (int)t;
	return -1;
}

void lv_theme_select(int theme)
{
	if (theme >= 0 && (size_t)theme < N_THEMES)
		rows_load((size_t)theme);
}

const char *lv_theme_name(void)
{
	return themes[theme_cur].name;
}

const char *lv_theme_names(void)
{
	return "default, mono, light";
}

int lv_theme_mono(void)
{
	return themes[theme_cur].mono;
}

int lv_theme_color_find(const char *name)
{
	for (int i = 0; i < LV_COLOR_COUNT; i++)
		if (!strcmp(color_names[i], name))
			return i;
	return -1;
}

const char *lv_theme_color_names(void)
{
	return "normal, dim, title, header, selected, tab, tab_active, status, prompt, ok, busy, "
	       "warn, down, power, fps, clock, accent";
}

void lv_theme_override(enum lv_color c, short fg, short bg, int attr)
{
	if (c < 0 || c >= LV_COLOR_COUNT)
		return;
	if (!rows_ready)
		rows_load(theme_cur);
	rows[c].fg = fg;
	rows[c].bg = bg;
	rows[c].color_attr = attr;
	rows[c].mono_attr = attr;
}

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
	if (!rows_ready)
		rows_load(theme_cur);
	use_colors = use_color && !themes[theme_cur].mono;
	use_utf8 = utf8;
	if (!use_colors)
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
