/*
 * playbook_parse: what the task parser (playbook_parse.c) shares with the play
 * and file loader (playbook.c). Private to those two files.
 */
#ifndef LV_PLAYBOOK_PARSE_H
#define LV_PLAYBOOK_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "playbook.h"

struct lv_pb_load;

/* Where the parser is: messages name `file` and the line of the value at fault. */
struct lv_pctx {
	struct lv_playbook *pb;
	const char *file; /* borrowed from pb->files */
	char *dir;        /* the file's directory */
	char **why;
	struct lv_pb_load *load; /* the whole load's bounds (playbook.c) */
};

/* Sets *why to "file:line: " + fmt (with two %s: a and b); returns LV_EINVAL. */
int lv_pb_err(struct lv_pctx *c, const struct lv_val *at, const char *fmt, const char *a,
              const char *b);
bool lv_pb_in_list(const char *s, const char *const *list);
/* A string or list of strings into *out (appended); `split` splits on commas. */
int lv_pb_str_list(struct lv_pctx *c, const struct lv_val *v, const char *key, bool split,
                   char ***out, size_t *n);
void lv_pb_strv_free(char **v, size_t n);
/*
 * Compiles every template in the strings of `v` (lv_template_check); an
 * error names file:line of the string and `what` (the key path).
 */
int lv_pb_check_templates(struct lv_pctx *c, const struct lv_val *v, const char *what);
/* A list of tasks (or null) into *out (appended). */
int lv_pb_task_list(struct lv_pctx *c, const struct lv_val *v, const char *key,
                    struct lv_task_list *out);
void lv_pb_tasks_free(struct lv_task_list *l);
/* A task that runs `module` without arguments, tagged always (Gathering Facts). */
struct lv_task *lv_pb_task_new(struct lv_pctx *c, int line, const char *name, const char *module);

#endif
