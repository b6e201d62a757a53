/*
 * serve_config: the controller's configuration file turned into options
 * (see serve_config.h for the format). Called by cmd_serve before it parses
 * its command line.
 */
#include "serve_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "base/file.h"
#include "base/util.h"

#define MAX_CONFIG_BYTES (64 * 1024)

struct lv_serve_config {
	char **argv; /* what lv_serve_config_apply returned */
	char **own;  /* the strings made from the file */
	size_t n_own;
};

/* The row named NAME, through included tables; NULL if none. */
static const struct lv_opt *find_row(const struct lv_opt *rows, const char *name)
{
	for (const struct lv_opt *r = rows; r && r->kind != LV_OPT_END; r++) {
		if (r->kind == LV_OPT_INCLUDE) {
			const struct lv_opt *in = find_row(r->rows, name);
			if (in)
				return in;
		} else if (r->name && !strcmp(r->name, name)) {
			return r;
		}
	}
	return NULL;
}

static int takes_value(const struct lv_opt *r)
{
	switch (r->kind) {
	case LV_OPT_SET:
	case LV_OPT_CLEAR:
	case LV_OPT_BOOL:
	case LV_OPT_COUNT: return 0;
	case LV_OPT_FN: return r->arg != NULL;
	default: return 1;
	}
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

const char *lv_serve_config_find(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--config"))
			return i + 1 < argc ? argv[i + 1] : NULL;
		if (!strncmp(argv[i], "--config=", 9))
			return argv[i] + 9;
	}
	return NULL;
}

static void own(struct lv_serve_config *st, char *s)
{
	st->own = lv_xrealloc(st->own, (st->n_own + 1) * sizeof(char *));
	st->own[st->n_own++] = s;
}

void lv_serve_config_free(struct lv_serve_config *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n_own; i++)
		free(st->own[i]);
	free(st->own);
	free(st->argv);
	free(st);
}

/* One line: its options appended to st->own; 0 or LV_EXIT_USAGE (printed). */
static int one_line(const char *file, size_t lineno, char *line, const struct lv_opt_spec *spec,
                    void *scratch, struct lv_serve_config *st)
{
	char *s = trim(line);
	if (!*s || *s == '#' || *s == ';')
		return 0;
	char *eq = strchr(s, '=');
	char *key = s, *value = NULL;
	if (eq) {
		*eq = '\0';
		key = trim(s);
		value = trim(eq + 1);
		size_t n = strlen(value);
		if (n >= 2 && value[0] == '"' && value[n - 1] == '"') {
			value[n - 1] = '\0';
			value++;
		}
	}
	const struct lv_opt *r = find_row(spec->opts, key);
	if (!r || !strcmp(key, "config") || !strcmp(key, "help")) {
		fprintf(stderr,
		        "loudva %s: %s:%zu: unknown setting '%s' (settings are the long options "
		        "of loudva %s --help, without the dashes)\n",
		        spec->cmd, file, lineno, key, spec->cmd);
		return LV_EXIT_USAGE;
	}
	if (takes_value(r) && (!value || !*value)) {
		fprintf(stderr, "loudva %s: %s:%zu: %s needs a value (%s = %s)\n", spec->cmd, file,
		        lineno, key, key, r->arg ? r->arg : "VALUE");
		return LV_EXIT_USAGE;
	}
	if (!takes_value(r) && value) {
		if (!strcmp(value, "no") || !strcmp(value, "false") || !strcmp(value, "0"))
			return 0;
		if (strcmp(value, "yes") && strcmp(value, "true") && strcmp(value, "1")) {
			fprintf(stderr,
			        "loudva %s: %s:%zu: %s is a flag: '%s' is not yes, no, true, "
			        "false, 1 or 0\n",
			        spec->cmd, file, lineno, key, value);
			return LV_EXIT_USAGE;
		}
		value = NULL;
	}
	char *opt = lv_xasprintf("--%s", key);
	char *val = value ? lv_xstrdup(value) : NULL;
	/* The option parser checks the value, as it would on the command line. */
	char *one[] = { (char *)spec->cmd, opt, val, NULL };
	if (lv_opts_parse(spec, val ? 3 : 2, one, scratch) != 0) {
		fprintf(stderr, "loudva %s: (in %s, line %zu)\n", spec->cmd, file, lineno);
		free(opt);
		free(val);
		return LV_EXIT_USAGE;
	}
	own(st, opt);
	if (val)
		own(st, val);
	return 0;
}

int lv_serve_config_apply(const char *file, const struct lv_opt_spec *spec, const void *base,
                          size_t base_size, int argc, char **argv, int *argc_out, char ***argv_out,
                          struct lv_serve_config **store)
{
	char *why = NULL;
	size_t len = 0;
	char *text = lv_read_file(file, &len, &why);
	*store = NULL;
	if (!text) {
		fprintf(stderr, "loudva %s: --config: %s\n", spec->cmd, why);
		free(why);
		return LV_EXIT_USAGE;
	}
	if (len > MAX_CONFIG_BYTES || memchr(text, '\0', len)) {
		fprintf(stderr, "loudva %s: %s: not a configuration file (%s)\n", spec->cmd, file,
		        len > MAX_CONFIG_BYTES ? "larger than 64 KiB" : "a NUL byte");
		free(text);
		return LV_EXIT_USAGE;
	}
	struct lv_serve_config *st = lv_xcalloc(1, sizeof(*st));
	void *scratch = lv_xmalloc(base_size);
	memcpy(scratch, base, base_size);
	int rc = 0;
	char *cur = text, *line;
	size_t lineno = 0;
	while (rc == 0 && (line = lv_line_next(&cur, text + len)))
		rc = one_line(file, ++lineno, line, spec, scratch, st);
	free(scratch);
	free(text);
	if (rc != 0) {
		lv_serve_config_free(st);
		return rc;
	}
	int n = 0;
	st->argv = lv_xcalloc((size_t)argc + st->n_own + 1, sizeof(char *));
	st->argv[n++] = argv[0];
	for (size_t i = 0; i < st->n_own; i++)
		st->argv[n++] = st->own[i];
	for (int i = 1; i < argc; i++)
		st->argv[n++] = argv[i];
	st->argv[n] = NULL;
	*argc_out = n;
	*argv_out = st->argv;
	*store = st;
	return 0;
}
