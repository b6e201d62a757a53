/*
 * util: allocation, error messages, strict number parsing, lv_buf. See
 * util.h for the contracts. Nothing here does I/O or reads a clock (file.c
 * and clock.c do), so the scheduling library can link this file with libc
 * and libm alone: even running out of memory only calls the program's hook.
 */
#define _POSIX_C_SOURCE 200809L
#include "util.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Written once by a program at start, before any thread; read only on the way to abort(). */
static lv_oom_fn oom_fn;

void lv_set_oom_fn(lv_oom_fn fn)
{
	oom_fn = fn;
}

static void die_oom(size_t n)
{
	if (oom_fn)
		oom_fn(n);
	abort();
}

void *lv_xmalloc(size_t n)
{
	assert(n > 0);
	void *p = malloc(n);
	if (!p)
		die_oom(n);
	return p;
}

void *lv_xcalloc(size_t nmemb, size_t size)
{
	assert(nmemb > 0 && size > 0);
	void *p = calloc(nmemb, size);
	if (!p)
		die_oom(nmemb * size);
	return p;
}

void *lv_xrealloc(void *p, size_t n)
{
	assert(n > 0);
	void *q = realloc(p, n);
	if (!q)
		die_oom(n);
	return q;
}

char *lv_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = lv_xmalloc(n);
	memcpy(p, s, n);
	return p;
}

static char *vasprintf_x(const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		n = 0;
	char *s = lv_xmalloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

char *lv_xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = vasprintf_x(fmt, ap);
	va_end(ap);
	return s;
}

int lv_fail(char **why, int code, const char *fmt, ...)
{
	if (why && !*why) {
		va_list ap;
		va_start(ap, fmt);
		*why = vasprintf_x(fmt, ap);
		va_end(ap);
	}
	return code;
}

int lv_parse_double(const char *s, double *out)
{
	if (!s || !*s)
		return LV_EINVAL;
	char *end = NULL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v != v)
		return LV_EINVAL;
	*out = v;
	return LV_OK;
}

int lv_parse_long(const char *s, long *out)
{
	if (!s || !*s)
		return LV_EINVAL;
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return LV_EINVAL;
	*out = v;
	return LV_OK;
}

int lv_parse_u64(const char *s, unsigned long long *out)
{
	if (!s || !*s || *s == '-')
		return LV_EINVAL;
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return LV_EINVAL;
	*out = v;
	return LV_OK;
}

void lv_buf_append(struct lv_buf *b, const void *data, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = lv_xrealloc(b->p, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void lv_buf_printf(struct lv_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		lv_buf_append(b, small, (size_t)n);
		return;
	}
	char *big = lv_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	lv_buf_append(b, big, (size_t)n);
	free(big);
}

char *lv_buf_take(struct lv_buf *b, size_t *len)
{
	if (!b->p)
		lv_buf_append(b, "", 0);
	char *p = b->p;
	if (len)
		*len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void lv_buf_fini(struct lv_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

char *lv_num_exact(char buf[LV_NUM_EXACT_MAX], double v)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, LV_NUM_EXACT_MAX, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return buf;
}

char *lv_line_next(char **cur, const char *end)
{
	char *line = *cur;
	if (!line || line >= end || !*line)
		return NULL;
	char *nl = memchr(line, '\n', (size_t)(end - line));
	if (nl) {
		*nl = '\0';
		*cur = nl + 1;
	} else {
		*cur = (char *)end;
	}
	return line;
}
