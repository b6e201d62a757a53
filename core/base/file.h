/*
 * file: reading and writing whole files, and the path arithmetic that goes
 * with them (the directory of a file, a name relative to it). Everything
 * here that touches the file system may fail with LV_EIO or LV_ENOENT and a
 * message naming the path.
 *
 * Split from util so that the pure helpers (allocation, messages, number
 * parsing, lv_buf) link without stdio: the scheduling library (core/sched
 * and what it pulls in from core/model) needs nothing of this file.
 */
#ifndef LV_FILE_H
#define LV_FILE_H

#include <stddef.h>

/*
 * Writes `len` bytes to `path` atomically: a temporary file beside it is
 * written, fsync'ed and renamed over `path`. On failure nothing at `path`
 * changes and the temporary file is removed.
 */
int lv_write_file_atomic(const char *path, const void *data, size_t len, char **why);

/* Reads a whole file into a NUL-terminated buffer; caller frees. NULL on error. */
char *lv_read_file(const char *path, size_t *len_out, char **why);

/* Directory part of `path` ("." when none); caller frees. */
char *lv_path_dirname(const char *path);
/* Joins dir and name with one '/'; an absolute `name` is returned as is. Caller frees. */
char *lv_path_join(const char *dir, const char *name);

/*
 * An lv_oom_fn (util.h) for programs: prints "loudva: out of memory
 * allocating N bytes" to stderr. The allocator aborts after it returns.
 */
void lv_oom_print(size_t n);

#endif
