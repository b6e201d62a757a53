/*
 * theme: semantic colours and glyphs. Views ask for LV_COLOR_WARN or
 * LV_COLOR_DOWN, never for "red"; the one table in theme.c says what each
 * means on a colour terminal and on a monochrome one (NO_COLOR, --mono, a
 * terminal without colours), where bold, dim, reverse and underline carry
 * the meaning instead.
 *
 * Glyphs: Unicode block elements for sparklines, bars and charts under a
 * UTF-8 locale, an ASCII set otherwise, chosen once at lv_theme_init.
 *
 * The active choice is process-wide, like curses' own screen: one console,
 * one theme.
 */
#ifndef LV_THEME_H
#define LV_THEME_H

enum lv_color {
	LV_COLOR_NORMAL = 0,
	LV_COLOR_DIM,        /* secondary text: units, labels, "-" */
	LV_COLOR_TITLE,      /* section titles */
	LV_COLOR_HEADER,     /* table column titles */
	LV_COLOR_SELECTED,   /* the selected row */
	LV_COLOR_TAB,        /* tab bar */
	LV_COLOR_TAB_ACTIVE, /* the current view's tab */
	LV_COLOR_STATUS,     /* status line */
	LV_COLOR_PROMPT,     /* command bar, questions */
	LV_COLOR_OK,         /* up, within budget */
	LV_COLOR_BUSY,       /* up and working */
	LV_COLOR_WARN,       /* late frames, draining, high queue */
	LV_COLOR_DOWN,       /* down, failed, errors */
	LV_COLOR_POWER,      /* power series and bars */
	LV_COLOR_FPS,        /* throughput series */
	LV_COLOR_CLOCK,      /* clock bars */
	LV_COLOR_ACCENT,     /* the policy name, highlights */
	LV_COLOR_COUNT
};

/* Glyph sets: index 0 is empty, the last is full. */
struct lv_glyphs {
	const char *spark[9];  /* one-cell levels 0..8 */
	int spark_levels;      /* 9 (Unicode) or 5 (ASCII) */
	const char *eighth[8]; /* horizontal bar partial cells: 0..7 eighths */
	int bar_sub;           /* steps per bar cell: 8 or 1 */
	const char *block[9];  /* vertical chart partial cells: 0..8 eighths */
	int chart_sub;         /* steps per chart cell: 8 or 2 */
	const char *hline, *vline, *full, *empty_bar;
	const char *up, *down; /* sort/scroll markers */
};

/*
 * Named themes: "default" (a dark background), "mono" (no colours: bold,
 * dim, reverse and underline carry the meaning) and "light" (a light
 * background). lv_theme_find gives a theme's number (-1: no such name);
 * select it (an invalid number is ignored) before lv_theme_init.
 */
int lv_theme_find(const char *name);
void lv_theme_select(int theme);
const char *lv_theme_name(void);  /* the theme selected ["default"] */
const char *lv_theme_names(void); /* "default, mono, light", for messages */
int lv_theme_mono(void);          /* the selected theme is the colourless one */
/* The semantic colour called `name` ("warn", "tab_active"...), or -1; and all the names. */
int lv_theme_color_find(const char *name);
const char *lv_theme_color_names(void);
/*
 * Replaces one meaning's look in the selected theme: colours fg on bg
 * (curses COLOR_*, -1 the terminal's default) plus attr (A_BOLD...), which
 * alone is its look without colours. Call after lv_theme_select and before
 * lv_theme_init.
 */
void lv_theme_override(enum lv_color c, short fg, short bg, int attr);

/*
 * Chooses colours (use_color: the terminal has them and the user did not
 * say NO_COLOR or --mono; call after start_color; the "mono" theme turns
 * them off too) and glyphs (utf8).
 */
void lv_theme_init(int use_color, int utf8);
/* Whether colours / Unicode are in use. */
int lv_theme_color(void);
int lv_theme_utf8(void);
/* The curses attribute for a semantic colour. */
int lv_theme_attr(enum lv_color c);
const struct lv_glyphs *lv_theme_glyphs(void);

/*
 * A heatmap cell of level 0..LV_HEAT_LEVELS-1 (heat.h): black on the
 * level's colour — its own shade on a 256-colour terminal, green, yellow or
 * red on an 8-colour one, plain without colour. lv_theme_heat_fine() says
 * whether the colour alone tells the levels apart (else draw the glyphs).
 */
int lv_theme_heat_attr(int level);
int lv_theme_heat_fine(void);

#endif
