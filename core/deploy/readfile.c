/*
 * readfile: bounded reads of the operator's files (see readfile.h). Callers:
 * the inventory and playbook loaders, the YAML loader for vars files and
 * extra vars, and the copy, template and unarchive modules.
 *
 * The path is checked with stat() before it is opened, so that opening has
 * no side effect on a device or blocks on a FIFO with no writer; the opened
 * descriptor is checked again with fstat() (the path may have changed in
 * between), and the read stops one byte past the bound, so a file that grows
 * while it is read is refused too.
 */
#include "readfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

static const char *kind_of(mode_t m)
{
	return S_ISDIR(m)    ? "a directory"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISBLK(m)  ? "a block device"
	       : S_ISFIFO(m) ? "a FIFO"
	       : S_ISSOCK(m) ? "a socket"
	                     : "not a plain file";
}

/* "16 MiB", or bytes when the bound is not a whole number of MiB. */
static void limit_text(size_t max_bytes, char *out, size_t n)
{
	if (max_bytes && max_bytes % ((size_t)1 << 20) == 0)
		snprintf(out, n, "%zu MiB", max_bytes >> 20);
	else
		snprintf(out, n, "%zu bytes", max_bytes);
}

/* Checks type and size; 0 or a negative code with *why. */
static int check_stat(const char *path, const struct stat *st, size_t max_bytes, char **why)
{
	if (!S_ISREG(st->st_mode))
		return lv_fail(why, LV_EINVAL,
		               "%s: not a regular file (%s); only regular files are read", path,
		               kind_of(st->st_mode));
	if (st->st_size < 0 || (unsigned long long)st->st_size > max_bytes) {
		char lim[32];
		limit_text(max_bytes, lim, sizeof lim);
		return lv_fail(why, LV_ERANGE, "%s: %lld bytes, more than the limit of %s", path,
		               (long long)st->st_size, lim);
	}
	return 0;
}

static int open_error(const char *path, int err, char **why)
{
	return lv_fail(why, err == ENOENT ? LV_ENOENT : LV_EIO, "%s: cannot open: %s", path,
	               strerror(err));
}

char *lv_readfile_bounded(const char *path, size_t max_bytes, size_t *len_out,
                          struct lv_file_id *id, int *code_out, char **why)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0, cap;
	int fd = -1, rc;
	if (stat(path, &st) != 0) {
		rc = open_error(path, errno, why);
		goto out;
	}
	if ((rc = check_stat(path, &st, max_bytes, why)))
		goto out;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = open_error(path, errno, why);
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		rc = lv_fail(why, LV_EIO, "%s: cannot stat: %s", path, strerror(errno));
		goto out;
	}
	if ((rc = check_stat(path, &st, max_bytes, why)))
		goto out;
	/* room for the file as it is now, one byte to see it grow, and the NUL */
	cap = (size_t)st.st_size + 2;
	buf = lv_xmalloc(cap);
	for (;;) {
		if (len + 1 >= cap) {
			if (len > max_bytes)
				break;
			cap = cap * 2 > max_bytes + 2 ? max_bytes + 2 : cap * 2;
			buf = lv_xrealloc(buf, cap);
		}
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = lv_fail(why, LV_EIO, "%s: read error: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > max_bytes) {
		char lim[32];
		limit_text(max_bytes, lim, sizeof lim);
		rc = lv_fail(why, LV_ERANGE, "%s: more than the limit of %s (it grew while read)",
		             path, lim);
		goto out;
	}
	buf[len] = '\0';
	if (len_out)
		*len_out = len;
	if (id) {
		id->dev = (unsigned long long)st.st_dev;
		id->ino = (unsigned long long)st.st_ino;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (code_out)
		*code_out = rc;
	if (rc) {
		free(buf);
		return NULL;
	}
	return buf;
}
