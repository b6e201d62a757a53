/*
 * util: the small things every module needs — error codes, the aborting
 * allocator family, formatted error messages for the optional `char **why`
 * out-parameter, strict number parsing and a growable buffer. None of it
 * does I/O: files and paths are file.h, the monotonic clock is clock.h.
 *
 * Allocation failure is not recoverable here: lv_xmalloc and friends abort,
 * after calling the program's out-of-memory hook (lv_set_oom_fn) if it set
 * one. A zero-size allocation is a bug and is asserted against.
 */
#ifndef LV_UTIL_H
#define LV_UTIL_H

#include <stdarg.h>
#include <stddef.h>

/* Error codes: fallible functions return 0 or one of these (negative). */
enum {
	LV_OK = 0,
	LV_EINVAL = -1, /* bad input: file contents, arguments, parameters */
	LV_EIO = -2,    /* a file or socket could not be read or written */
	LV_ENOENT = -3, /* a named thing does not exist */
	LV_ERANGE = -4, /* a value is outside what is allowed */
	LV_ESTATE = -5, /* the object is not in a state that allows this */
	LV_ELIB = -6,   /* a wrapped library failed (message in *why) */
	LV_EFULL = -7,  /* a bounded container is full */
};

/*
 * Called with the size of an allocation that failed, just before the
 * allocator aborts: a program's chance to say so (lv_oom_print in file.h
 * prints the message). It must not allocate. Without one (the default) the
 * allocator aborts silently, as a library that does no I/O must. Set it once
 * at start, before any thread.
 */
typedef void (*lv_oom_fn)(size_t n);
void lv_set_oom_fn(lv_oom_fn fn);

void *lv_xmalloc(size_t n);
void *lv_xcalloc(size_t nmemb, size_t size);
void *lv_xrealloc(void *p, size_t n);
char *lv_xstrdup(const char *s);
/* Returns a newly allocated formatted string; caller frees. */
char *lv_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Sets *why (when why is non-NULL and *why is NULL) to a newly allocated
 * message. Returns `code` so callers can write `return lv_fail(why, LV_EINVAL, ...)`.
 * An existing message is kept: the innermost, most specific error wins.
 */
int lv_fail(char **why, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Strict number parsing for user input: the whole string must be a number.
 * Return 0 or LV_EINVAL.
 */
int lv_parse_double(const char *s, double *out);
int lv_parse_long(const char *s, long *out);
int lv_parse_u64(const char *s, unsigned long long *out);

/* Big enough for any text lv_num_exact writes. */
#define LV_NUM_EXACT_MAX 32

/*
 * Finite v as the shortest of %.15g, %.16g and %.17g that reads back as
 * exactly v (%.17g always does), into buf. Returns buf. For JSON, CSV and
 * Prometheus text that must round-trip.
 */
char *lv_num_exact(char buf[LV_NUM_EXACT_MAX], double v);

/*
 * Splits text in place into lines: returns the line at *cur (its '\n'
 * replaced by NUL) and moves *cur past it, or NULL at `end` or at a NUL.
 * Finds the newline with memchr within [*cur, end), so a file of n bytes
 * costs O(n) even where string functions are checked to their NUL (ASan's
 * strict_string_checks).
 */
char *lv_line_next(char **cur, const char *end);

/* A growable byte buffer, always NUL-terminated once anything was appended. */
struct lv_buf {
	char *p;
	size_t len, cap;
};

void lv_buf_append(struct lv_buf *b, const void *data, size_t n);
void lv_buf_printf(struct lv_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands over the bytes (caller frees); the buffer is empty again. */
char *lv_buf_take(struct lv_buf *b, size_t *len);
void lv_buf_fini(struct lv_buf *b);

#endif
