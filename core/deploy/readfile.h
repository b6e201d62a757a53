/*
 * readfile: how the deploy layer reads the files an operator names —
 * inventories, playbooks and the playbooks they import, vars files,
 * templates, copy sources — with bounds, so that a path to /dev/zero, a FIFO,
 * a directory or a file of gigabytes ends in an error naming the path and
 * why, never in a hang or an out-of-memory abort.
 *
 * Only regular files are read (after following symbolic links), and at most
 * a given number of bytes: a file that is larger, or grows past the bound
 * while it is read, is refused whole.
 */
#ifndef LV_READFILE_H
#define LV_READFILE_H

#include <stddef.h>

/* Inventories, playbooks, imported playbooks, vars files, templates: 16 MiB. */
#define LV_READFILE_MAX_TEXT ((size_t)16 << 20)
/* Files that copy and unarchive send to hosts, held whole in memory: 1 GiB. */
#define LV_READFILE_MAX_PAYLOAD ((size_t)1 << 30)

/* Which file was read, to recognise one reached by two names (import cycles). */
struct lv_file_id {
	unsigned long long dev, ino;
};

/*
 * Reads the regular file `path`, at most `max_bytes` bytes, into a new
 * NUL-terminated buffer (caller frees); its length in *len_out and its
 * identity in *id when those are non-NULL. NULL on error with *why:
 *   LV_ENOENT  "PATH: cannot open: No such file or directory"
 *   LV_EIO     "PATH: cannot open: ..." or "PATH: read error: ..."
 *   LV_EINVAL  "PATH: not a regular file (a FIFO); only regular files are read"
 *   LV_ERANGE  "PATH: N bytes, more than the limit of 16 MiB"
 * *code_out, when non-NULL, receives the code.
 */
char *lv_readfile_bounded(const char *path, size_t max_bytes, size_t *len_out,
                          struct lv_file_id *id, int *code_out, char **why);

#endif
