/*
 * file: whole-file reads, atomic writes, path arithmetic and the programs'
 * out-of-memory message. See file.h for the contracts.
 */
#define _POSIX_C_SOURCE 200809L
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

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

void lv_oom_print(size_t n)
{
	fprintf(stderr, "loudva: out of memory allocating %zu bytes\n", n);
}
