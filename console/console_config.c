/*
 * console_config: the console's configuration file,
 * $XDG_CONFIG_HOME/loudva/console.conf (default ~/.config/loudva/), read
 * once at start. One setting a line; `#` starts a comment; blank lines and
 * spaces around words do not matter:
 *
 *   theme = light                   default, mono or light
 *   color warn = red on default bold   a meaning's look (see theme.h)
 *   bind F10 = q                    the key F10 does what q does
 *
 * A file with any bad line is not applied at all — the console starts
 * with the default theme and keys — and the first bad line is reported as
 * "FILE:LINE: what is wrong", on stderr, in the status line and in the
 * Log view. A missing file is no error. The parsing is all here; the
 * theme table (views/theme.c) only takes the result.
 */
#include <curses.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "console.h"
#include "theme.h"
#include "base/util.h"

char *lv_console_config_path(void)
{
	const char *cfg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (cfg && cfg[0] == '/')
		return lv_xasprintf("%s/loudva/console.conf", cfg);
	if (home && home[0])
		return lv_xasprintf("%s/.config/loudva/console.conf", home);
	return NULL;
}

/* ---- words ------------------------------------------------------------------------ */

static const struct {
	const char *name;
	int key;
} key_names[] = {
	{ "Up", KEY_UP },
	{ "Down", KEY_DOWN },
	{ "Left", KEY_LEFT },
	{ "Right", KEY_RIGHT },
	{ "Home", KEY_HOME },
	{ "End", KEY_END },
	{ "PgUp", KEY_PPAGE },
	{ "PgDn", KEY_NPAGE },
	{ "Enter", '\n' },
	{ "Esc", 27 },
	{ "Tab", '\t' },
	{ "Space", ' ' },
	{ "Backspace", KEY_BACKSPACE },
	{ "Delete", KEY_DC },
	{ "Insert", KEY_IC },
};

/* A key's name: one printable character, ^X, F1..F12 or a name above. -1 if none. */
static int key_parse(const char *s)
{
	size_t n = strlen(s);
	if (n == 1 && s[0] > ' ' && s[0] < 0x7f)
		return s[0];
	if (n == 2 && s[0] == '^' && ((s[1] >= 'A' && s[1] <= 'Z') || (s[1] >= 'a' && s[1] <= 'z')))
		return (s[1] & 0x1f);
	if ((s[0] == 'F' || s[0] == 'f') && n >= 2 && n <= 3) {
		char *end;
		long f = strtol(s + 1, &end, 10);
		if (!*end && f >= 1 && f <= 12)
			return KEY_F((int)f);
	}
	for (size_t i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++)
		if (!strcasecmp(key_names[i].name, s))
			return key_names[i].key;
	return -1;
}

/* A colour: a name, "default" (-1) or 0..255. -2 if none. */
static int color_parse(const char *s)
{
	static const char *const names[] = { "black", "red",     "green", "yellow",
		                             "blue",  "magenta", "cyan",  "white" };
	if (!strcasecmp(s, "default"))
		return -1;
	for (int i = 0; i < 8; i++)
		if (!strcasecmp(s, names[i]))
			return i;
	char *end;
	long v = strtol(s, &end, 10);
	return s[0] && !*end && v >= 0 && v <= 255 ? (int)v : -2;
}

static int attr_parse(const char *s)
{
	static const struct {
		const char *name;
		int attr;
	} a[] = { { "bold", A_BOLD },           { "dim", A_DIM },
		  { "underline", A_UNDERLINE }, { "reverse", A_REVERSE },
		  { "standout", A_STANDOUT },   { "normal", 0 } };
	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++)
		if (!strcasecmp(s, a[i].name))
			return a[i].attr;
	return -1;
}

/* Splits s at spaces into at most max words (in place); returns how many, max + 1 if more. */
static int split(char *s, char **w, int max)
{
	int n = 0;
	for (char *t = strtok(s, " \t"); t; t = strtok(NULL, " \t")) {
		if (n == max)
			return max + 1;
		w[n++] = t;
	}
	return n;
}

/* ---- lines ------------------------------------------------------------------------- */

struct override {
	int color;
	short fg, bg;
	int attr;
};

struct parsed {
	char theme[16]; /* "" = default */
	struct override ov[LV_COLOR_COUNT];
	int has_ov[LV_COLOR_COUNT];
	struct lv_console_keymap map[LV_CONSOLE_KEYMAP_MAX];
	char map_text[LV_CONSOLE_KEYMAP_MAX][40];
	int n_map;
};

/* "FG [on BG] [ATTR...]". */
static int color_spec(char *v, struct override *o, char *err, size_t len)
{
	char *w[8];
	int n = split(v, w, 7), k = 0;
	if (n == 0 || n > 7)
		return snprintf(err, len, "a colour needs FG [on BG] [bold|dim|underline|reverse]"),
		       -1;
	o->fg = o->bg = -1;
	o->attr = 0;
	int fg = color_parse(w[k]);
	if (fg == -2 && attr_parse(w[k]) < 0)
		return snprintf(err, len,
		                "'%s' is not a colour (black, red, green, yellow, blue, magenta, "
		                "cyan, white, default or 0..255)",
		                w[k]),
		       -1;
	if (fg != -2) {
		o->fg = (short)fg;
		k++;
	}
	if (k + 1 < n && !strcasecmp(w[k], "on")) {
		int bg = color_parse(w[k + 1]);
		if (bg == -2)
			return snprintf(err, len, "'%s' is not a background colour", w[k + 1]), -1;
		o->bg = (short)bg;
		k += 2;
	}
	for (; k < n; k++) {
		int a = attr_parse(w[k]);
		if (a < 0)
			return snprintf(err, len,
			                "'%s' is not an attribute (bold, dim, underline, reverse, "
			                "standout, normal)",
			                w[k]),
			       -1;
		o->attr |= a;
	}
	return 0;
}

static int line_parse(char *line, struct parsed *p, char *err, size_t len)
{
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	char *eq = strchr(line, '=');
	char *w[3];
	if (!eq) {
		if (split(line, w, 2) == 0)
			return 0; /* blank or a comment */
		return snprintf(err, len,
		                "expected 'theme = NAME', 'color MEANING = SPEC' or 'bind KEY = "
		                "KEY', not '%s'",
		                w[0]),
		       -1;
	}
	*eq = '\0';
	char *value = eq + 1;
	int n = split(line, w, 2);
	if (n == 1 && !strcmp(w[0], "theme")) {
		char *v[2];
		if (split(value, v, 1) != 1)
			return snprintf(err, len, "theme: one name (%s)", lv_theme_names()), -1;
		if (lv_theme_find(v[0]) < 0)
			return snprintf(err, len, "unknown theme '%s' (themes: %s)", v[0],
			                lv_theme_names()),
			       -1;
		snprintf(p->theme, sizeof(p->theme), "%s", v[0]);
		return 0;
	}
	if (n == 2 && !strcmp(w[0], "color")) {
		int c = lv_theme_color_find(w[1]);
		if (c < 0)
			return snprintf(err, len, "unknown colour meaning '%s' (meanings: %s)",
			                w[1], lv_theme_color_names()),
			       -1;
		struct override o = { .color = c };
		if (color_spec(value, &o, err, len) != 0)
			return -1;
		p->ov[c] = o; /* the last line for a meaning wins */
		p->has_ov[c] = 1;
		return 0;
	}
	if (n == 2 && !strcmp(w[0], "bind")) {
		char *v[2];
		int from = key_parse(w[1]);
		if (from < 0)
			return snprintf(
			           err, len,
			           "'%s' is not a key (a character, ^X, F1..F12, Up, Down, Left, "
			           "Right, Home, End, PgUp, PgDn, Enter, Esc, Tab, Space)",
			           w[1]),
			       -1;
		if (split(value, v, 1) != 1 || key_parse(v[0]) < 0)
			return snprintf(err, len,
			                "bind %s: the value must be one key, as on the left", w[1]),
			       -1;
		if (from == ':' || from == 27)
			return snprintf(err, len, "bind %s: ':' and Esc keep their meaning", w[1]),
			       -1;
		if (p->n_map == LV_CONSOLE_KEYMAP_MAX)
			return snprintf(err, len, "more than %d bindings", LV_CONSOLE_KEYMAP_MAX),
			       -1;
		p->map[p->n_map] =
		    (struct lv_console_keymap){ .from = from, .to = key_parse(v[0]) };
		snprintf(p->map_text[p->n_map], sizeof(p->map_text[0]), "%.15s does %.15s", w[1],
		         v[0]);
		p->n_map++;
		return 0;
	}
	return snprintf(err, len, "unknown setting '%s%s%s' (theme, color MEANING, bind KEY)",
	                n ? w[0] : "", n > 1 ? " " : "", n > 1 ? w[1] : ""),
	       -1;
}

/* ---- the file ---------------------------------------------------------------------- */

static void apply(struct lv_console *c, const struct parsed *p)
{
	if (p->theme[0])
		lv_theme_select(lv_theme_find(p->theme));
	for (int i = 0; i < LV_COLOR_COUNT; i++)
		if (p->has_ov[i])
			lv_theme_override((enum lv_color)p->ov[i].color, p->ov[i].fg, p->ov[i].bg,
			                  p->ov[i].attr);
	c->n_keymap = (size_t)p->n_map;
	for (int i = 0; i < p->n_map; i++) {
		c->keymap[i] = p->map[i];
		snprintf(c->ui.config.binds[i], sizeof(c->ui.config.binds[0]), "%s",
		         p->map_text[i]);
	}
	c->ui.config.n_binds = (size_t)p->n_map;
}

int lv_console_config_load(struct lv_console *c, const char *path, char **why)
{
	int rc = LV_OK;
	struct parsed *p = lv_xcalloc(1, sizeof(*p));
	char line[1024], err[400];
	snprintf(c->ui.config.path, sizeof(c->ui.config.path), "%s", path ? path : "");
	FILE *f = path ? fopen(path, "r") : NULL;
	if (!f) {
		if (path && errno != ENOENT)
			rc = lv_fail(why, LV_EIO, "%s: cannot read: %s (default theme and keys)",
			             path, strerror(errno));
		goto out;
	}
	c->ui.config.found = 1;
	for (int no = 1; fgets(line, sizeof(line), f); no++) {
		size_t len = strlen(line);
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(f)) {
			rc = lv_fail(why, LV_EINVAL, "%s:%d: line longer than %zu characters", path,
			             no, sizeof(line) - 2);
			goto out;
		}
		if (line_parse(line, p, err, sizeof(err)) != 0) {
			rc = lv_fail(why, LV_EINVAL,
			             "%s:%d: %s; the file is ignored (default theme and keys)",
			             path, no, err);
			goto out;
		}
	}
	if (ferror(f)) {
		rc = lv_fail(why, LV_EIO, "%s: read error (default theme and keys)", path);
		goto out;
	}
	apply(c, p);
out:
	if (f)
		fclose(f);
	free(p);
	return rc;
}

int lv_console_keymap(const struct lv_console *c, int ch)
{
	for (size_t i = 0; i < c->n_keymap; i++)
		if (c->keymap[i].from == ch)
			return c->keymap[i].to;
	return ch;
}
