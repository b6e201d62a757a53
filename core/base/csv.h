/*
 * csv: a small reader for comma-separated files with a header row, as the
 * thesis measurements and workload traces are written (RFC 4180 with the
 * usual leniencies).
 *
 * The first row names the columns; callers look columns up by name once and
 * then read fields by index, row by row. Fields may be quoted ("a, b" and
 * "say ""hi""" are one field each; a quoted field may span lines). LF and
 * CRLF line ends are both accepted, a UTF-8 byte-order mark before the header
 * is skipped, and blank lines are ignored. Every row must have as many fields
 * as the header.
 *
 * Every error message names the origin (normally the file path) and the line
 * the row starts on, and, for a field, the column by name:
 *   "data/profiling.csv:17: column 'Latency': 'abc' is not a number".
 */
#ifndef LV_CSV_H
#define LV_CSV_H

#include <stddef.h>
#include <stdint.h>

struct lv_csv;

/*
 * Opens `path` and reads its header row. NULL on error (cannot read, empty,
 * malformed header) with *why naming the file. Caller frees with lv_csv_free.
 */
struct lv_csv *lv_csv_open(const char *path, char **why);

/* Same from text in memory (copied); `origin` names it in messages. */
struct lv_csv *lv_csv_from_text(const char *text, size_t len, const char *origin, char **why);

void lv_csv_free(struct lv_csv *c);

/* The origin given at open (the path). Borrowed from c. */
const char *lv_csv_origin(const struct lv_csv *c);

size_t lv_csv_n_columns(const struct lv_csv *c);
/* Header name of column `col` (0-based). Borrowed from c. */
const char *lv_csv_column_name(const struct lv_csv *c, int col);

/* Index of the first column named `name`, or -1. Names match exactly. */
int lv_csv_find(const struct lv_csv *c, const char *name);

/* As lv_csv_find, but a missing column is an error: LV_ENOENT with
 * "<origin>:<header line>: no column 'name'". */
int lv_csv_require(const struct lv_csv *c, const char *name, char **why);

/*
 * Reads the next row. Returns 1 when a row was read, 0 at the end of the
 * input, LV_EINVAL on a malformed row (wrong field count, unterminated quote,
 * text after a closing quote) with *why naming origin and line.
 */
int lv_csv_next(struct lv_csv *c, char **why);

/* Line (1-based) on which the current row starts. */
size_t lv_csv_line(const struct lv_csv *c);

/* Field `col` of the current row, unquoted. Borrowed until the next lv_csv_next. */
const char *lv_csv_field(const struct lv_csv *c, int col);

/*
 * Field `col` of the current row as a number; the whole field must be the
 * number (no blanks). 0, or LV_EINVAL with
 * "<origin>:<line>: column '<name>': '<text>' is not a number".
 */
int lv_csv_double(const struct lv_csv *c, int col, double *out, char **why);
int lv_csv_long(const struct lv_csv *c, int col, long *out, char **why);
int lv_csv_u64(const struct lv_csv *c, int col, uint64_t *out, char **why);

/*
 * Sets *why to "<origin>:<line>: column '<name>': <message>" for the current
 * row (col < 0 leaves out the column) and returns `code`. For callers'
 * own range checks on fields.
 */
int lv_csv_fail(const struct lv_csv *c, int col, char **why, int code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#endif
