/*
 * csv: reads a whole CSV file into memory and hands out its rows one at a
 * time, each split into NUL-terminated fields held in one reused buffer.
 *
 * The reader keeps a cursor into the text and the line number under it; a
 * row's line is where the row starts (a quoted field may carry newlines, so
 * a row can span lines). Fields of the current row live in `buf`, found
 * through `offs`; both are reused from row to row, so a field pointer is good
 * until the next lv_csv_next. Callers: the profile importer (profiling.csv,
 * gpu-specs.csv) and the workload-trace loader.
 */
#include "csv.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "util.h"

struct lv_csv {
	char *origin;
	char *text; /* whole input, NUL-terminated */
	size_t len;
	size_t pos;      /* cursor into text */
	size_t line;     /* line number at the cursor, 1-based */
	size_t row_line; /* line on which the current row starts */
	size_t header_line;
	size_t n_cols;
	char **cols; /* header names, owned */
	char *buf;   /* current row's fields, each NUL-terminated */
	size_t buf_len, buf_cap;
	size_t *offs; /* start of each field in buf */
	size_t n_fields, offs_cap;
};

static void buf_put(struct lv_csv *c, char ch)
{
	if (c->buf_len + 1 > c->buf_cap) {
		c->buf_cap = c->buf_cap ? 2 * c->buf_cap : 256;
		c->buf = lv_xrealloc(c->buf, c->buf_cap);
	}
	c->buf[c->buf_len++] = ch;
}

static void field_begin(struct lv_csv *c)
{
	if (c->n_fields == c->offs_cap) {
		c->offs_cap = c->offs_cap ? 2 * c->offs_cap : 16;
		c->offs = lv_xrealloc(c->offs, c->offs_cap * sizeof(*c->offs));
	}
	c->offs[c->n_fields++] = c->buf_len;
}

/* True at a line end ("\n" or "\r\n") at the cursor. */
static int at_eol(const struct lv_csv *c)
{
	const char *p = c->text + c->pos;
	return p[0] == '\n' || (p[0] == '\r' && p[1] == '\n');
}

static void skip_eol(struct lv_csv *c)
{
	if (c->text[c->pos] == '\r')
		c->pos++;
	if (c->text[c->pos] == '\n') {
		c->pos++;
		c->line++;
	}
}

/* "column 'Latency'" for a data row, "field 3" while reading the header. */
static void field_label(const struct lv_csv *c, char *out, size_t n)
{
	size_t i = c->n_fields - 1;
	if (i < c->n_cols)
		snprintf(out, n, "column '%s'", c->cols[i]);
	else
		snprintf(out, n, "field %zu", i + 1);
}

/* Reads a quoted field; the cursor is on the opening quote. */
static int read_quoted(struct lv_csv *c, char **why)
{
	size_t start_line = c->line;
	char label[96];
	field_label(c, label, sizeof(label));
	c->pos++;
	for (;;) {
		if (c->pos >= c->len)
			return lv_fail(why, LV_EINVAL, "%s:%zu: %s: unterminated quoted field",
			               c->origin, start_line, label);
		char ch = c->text[c->pos];
		if (ch == '"') {
			if (c->text[c->pos + 1] == '"') {
				buf_put(c, '"');
				c->pos += 2;
				continue;
			}
			c->pos++;
			break;
		}
		if (ch == '\n')
			c->line++;
		buf_put(c, ch);
		c->pos++;
	}
	if (c->pos < c->len && c->text[c->pos] != ',' && !at_eol(c))
		return lv_fail(why, LV_EINVAL, "%s:%zu: %s: unexpected '%c' after closing quote",
		               c->origin, c->line, label, c->text[c->pos]);
	return LV_OK;
}

static void read_plain(struct lv_csv *c)
{
	while (c->pos < c->len && c->text[c->pos] != ',' && !at_eol(c)) {
		buf_put(c, c->text[c->pos]);
		c->pos++;
	}
	/* A lone trailing CR at the very end of the input is a line end too. */
	if (c->pos == c->len && c->buf_len > c->offs[c->n_fields - 1] &&
	    c->buf[c->buf_len - 1] == '\r')
		c->buf_len--;
}

/* Splits the row at the cursor into fields. 1 row, 0 end of input, <0 error. */
static int read_row(struct lv_csv *c, char **why)
{
	while (c->pos < c->len && at_eol(c))
		skip_eol(c); /* blank lines */
	if (c->pos >= c->len)
		return 0;
	c->row_line = c->line;
	c->n_fields = 0;
	c->buf_len = 0;
	for (;;) {
		field_begin(c);
		if (c->text[c->pos] == '"') {
			int rc = read_quoted(c, why);
			if (rc < 0)
				return rc;
		} else {
			read_plain(c);
		}
		buf_put(c, '\0');
		if (c->pos < c->len && c->text[c->pos] == ',') {
			c->pos++;
			continue;
		}
		skip_eol(c);
		return 1;
	}
}

static int read_header(struct lv_csv *c, char **why)
{
	if (c->len >= 3 && memcmp(c->text, "\xEF\xBB\xBF", 3) == 0)
		c->pos = 3;
	int rc = read_row(c, why);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return lv_fail(why, LV_EINVAL, "%s: empty file (no header row)", c->origin);
	c->header_line = c->row_line;
	c->n_cols = c->n_fields;
	c->cols = lv_xcalloc(c->n_cols, sizeof(*c->cols));
	for (size_t i = 0; i < c->n_cols; i++)
		c->cols[i] = lv_xstrdup(c->buf + c->offs[i]);
	return LV_OK;
}

struct lv_csv *lv_csv_from_text(const char *text, size_t len, const char *origin, char **why)
{
	struct lv_csv *c = lv_xcalloc(1, sizeof(*c));
	c->origin = lv_xstrdup(origin);
	c->text = lv_xmalloc(len + 1);
	memcpy(c->text, text, len);
	c->text[len] = '\0';
	c->len = len;
	c->line = 1;
	if (read_header(c, why) < 0) {
		lv_csv_free(c);
		return NULL;
	}
	return c;
}

struct lv_csv *lv_csv_open(const char *path, char **why)
{
	size_t len = 0;
	char *text = lv_read_file(path, &len, why);
	if (!text)
		return NULL;
	struct lv_csv *c = lv_csv_from_text(text, len, path, why);
	free(text);
	return c;
}

void lv_csv_free(struct lv_csv *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_cols; i++)
		free(c->cols[i]);
	free(c->cols);
	free(c->origin);
	free(c->text);
	free(c->buf);
	free(c->offs);
	free(c);
}

const char *lv_csv_origin(const struct lv_csv *c)
{
	return c->origin;
}

size_t lv_csv_n_columns(const struct lv_csv *c)
{
	return c->n_cols;
}

const char *lv_csv_column_name(const struct lv_csv *c, int col)
{
	assert(col >= 0 && (size_t)col < c->n_cols);
	return c->cols[col];
}

int lv_csv_find(const struct lv_csv *c, const char *name)
{
	for (size_t i = 0; i < c->n_cols; i++)
		if (strcmp(c->cols[i], name) == 0)
			return (int)i;
	return -1;
}

int lv_csv_require(const struct lv_csv *c, const char *name, char **why)
{
	int i = lv_csv_find(c, name);
	if (i < 0)
		return lv_fail(why, LV_ENOENT, "%s:%zu: no column '%s'", c->origin, c->header_line,
		               name);
	return i;
}

int lv_csv_next(struct lv_csv *c, char **why)
{
	int rc = read_row(c, why);
	if (rc <= 0)
		return rc;
	if (c->n_fields != c->n_cols)
		return lv_fail(why, LV_EINVAL, "%s:%zu: %zu fields, but the header has %zu",
		               c->origin, c->row_line, c->n_fields, c->n_cols);
	return 1;
}

size_t lv_csv_line(const struct lv_csv *c)
{
	return c->row_line;
}

const char *lv_csv_field(const struct lv_csv *c, int col)
{
	assert(col >= 0 && (size_t)col < c->n_fields);
	return c->buf + c->offs[col];
}

int lv_csv_fail(const struct lv_csv *c, int col, char **why, int code, const char *fmt, ...)
{
	if (!why || *why)
		return code;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *msg = lv_xmalloc((size_t)(n > 0 ? n : 0) + 1);
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
	va_end(ap);
	if (col >= 0)
		lv_fail(why, code, "%s:%zu: column '%s': %s", c->origin, c->row_line,
		        lv_csv_column_name(c, col), msg);
	else
		lv_fail(why, code, "%s:%zu: %s", c->origin, c->row_line, msg);
	free(msg);
	return code;
}

int lv_csv_double(const struct lv_csv *c, int col, double *out, char **why)
{
	const char *s = lv_csv_field(c, col);
	if (lv_parse_double(s, out) < 0)
		return lv_csv_fail(c, col, why, LV_EINVAL, "'%s' is not a number", s);
	return LV_OK;
}

int lv_csv_long(const struct lv_csv *c, int col, long *out, char **why)
{
	const char *s = lv_csv_field(c, col);
	if (lv_parse_long(s, out) < 0)
		return lv_csv_fail(c, col, why, LV_EINVAL, "'%s' is not an integer", s);
	return LV_OK;
}

int lv_csv_u64(const struct lv_csv *c, int col, uint64_t *out, char **why)
{
	const char *s = lv_csv_field(c, col);
	unsigned long long v = 0;
	if (lv_parse_u64(s, &v) < 0)
		return lv_csv_fail(c, col, why, LV_EINVAL, "'%s' is not a non-negative integer", s);
	*out = (uint64_t)v;
	return LV_OK;
}
