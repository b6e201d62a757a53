/*
 * util: allocation, error messages, atomic writes, strict number parsing.
 * See util.h for the contracts.
 */
#define _POSIX_C_SOURCE 200809L
#include "util.h"

#include <assert.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void die_oom(size_t n)
{
	fprintf(stderr, "loudva: out of memory allocating %zu bytes\n", n);
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

int lv_write_file_atomic(const char *path, const void *data, size_t len, char **why)
{
	char *tmp = lv_xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = -1;
	int rc = LV_EIO;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		lv_fail(why, LV_EIO, "%s: cannot create: %s", path, strerror(errno));
		goto out;
	}
	const char *p = data;
	size_t left = len;
	while (left > 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			lv_fail(why, LV_EIO, "%s: write failed: %s", path, strerror(errno));
			goto out;
		}
		p += w;
		left -= (size_t)w;
	}
	if (fsync(fd) != 0) {
		lv_fail(why, LV_EIO, "%s: fsync failed: %s", path, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		lv_fail(why, LV_EIO, "%s: close failed: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		lv_fail(why, LV_EIO, "%s: rename failed: %s", path, strerror(errno));
		goto out;
	}
	rc = LV_OK;
out:
	if (fd >= 0)
		close(fd);
	if (rc != LV_OK)
		unlink(tmp);
	free(tmp);
	return rc;
}

char *lv_read_file(const char *path, size_t *len_out, char **why)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		lv_fail(why, errno == ENOENT ? LV_ENOENT : LV_EIO, "%s: cannot open: %s", path,
		        strerror(errno));
		return NULL;
	}
	size_t cap = 4096, len = 0;
	char *buf = lv_xmalloc(cap);
	for (;;) {
		if (cap - len < 2) {
			cap *= 2;
			buf = lv_xrealloc(buf, cap);
		}
		size_t r = fread(buf + len, 1, cap - len - 1, f);
		len += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		lv_fail(why, LV_EIO, "%s: read error", path);
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[len] = '\0';
	if (len_out)
		*len_out = len;
	return buf;
}

char *lv_path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return lv_xstrdup(".");
	if (slash == path)
		return lv_xstrdup("/");
	size_t n = (size_t)(slash - path);
	char *d = lv_xmalloc(n + 1);
	memcpy(d, path, n);
	d[n] = '\0';
	return d;
}

char *lv_path_join(const char *dir, const char *name)
{
	if (name[0] == '/' || !dir || !dir[0])
		return lv_xstrdup(name);
	size_t dl = strlen(dir);
	if (dir[dl - 1] == '/')
		return lv_xasprintf("%s%s", dir, name);
	return lv_xasprintf("%s/%s", dir, name);
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

double lv_mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
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
