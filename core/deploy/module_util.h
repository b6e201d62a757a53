/*
 * module_util: the helpers every module implementation (module_<group>.c)
 * shares, and that the runner uses to mark a result failed. They sit below
 * the modules and beside the registry (module.c), which lists the modules
 * and calls none of these.
 */
#ifndef LV_MODULE_UTIL_H
#define LV_MODULE_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "module.h"

/* Frees r->out and r->err and clears them; the result may be reused. */
void lv_exec_result_fini(struct lv_exec_result *r);

/* Text of args[key] or NULL. */
const char *lv_mod_arg(const struct lv_val *args, const char *key);
/* Truthiness of args[key], `dflt` when absent. */
bool lv_mod_arg_bool(const struct lv_val *args, const char *key, bool dflt);
/* LV_EINVAL with "module: missing required argument 'key'" unless one of the keys is present. */
int lv_mod_require(const struct lv_val *args, const char *module, const char *key, const char *alt,
                   char **why);
/* Checks that every argument is one of `known` (NULL-terminated). */
int lv_mod_known_args(const struct lv_val *args, const char *module, const char *const *known,
                      char **why);
/*
 * True when args[key] is one of `allowed` (NULL-terminated), is absent, or
 * holds a `{{ }}` template (validation runs before rendering, so its value is
 * not known yet). The caller words the error, naming what is allowed.
 */
bool lv_mod_arg_one_of(const struct lv_val *args, const char *key, const char *const *allowed);

/* Runs a sh script on the host, through sudo when become asks for it. */
int lv_mod_shell(struct lv_module_ctx *ctx, const char *script, struct lv_exec_result *res,
                 char **why);
/* Sets rc, stdout, stderr, stdout_lines, stderr_lines in `result`. */
void lv_mod_put_exec(struct lv_val *result, const struct lv_exec_result *res);
/*
 * Runs a module's shell script that ends by printing "LV_CHANGED=0|1". A
 * non-zero exit marks `result` failed with "what: <stderr, else stdout>";
 * otherwise `result`'s "changed" follows the marker (and *changed too, when
 * non-NULL). Returns lv_mod_shell's code (a transport error), else 0.
 */
int lv_mod_run_marked(struct lv_module_ctx *ctx, const char *what, const char *script,
                      struct lv_val *result, bool *changed, char **why);
/* Marks `result` failed with `msg` (returns 0 so run() can `return lv_mod_failed(...)`). */
int lv_mod_failed(struct lv_val *result, const char *msg);

/* "0644", "644", "0o644" to "644" (octal digits without leading zeros); NULL: not octal. */
char *lv_mod_mode(const char *text);
/*
 * Shell lines that bring $d's mode/owner/group to the arguments' (mode, owner,
 * group; any may be absent) and set c=1 when something changes (or would).
 * Caller frees.
 */
char *lv_mod_attr_script(const struct lv_val *args, bool check);
/*
 * The words of `v` for a sh command line, each sh-quoted and preceded by a
 * space: a LIST's items, any other value as one word, NULL as none (a value
 * without text gives ''). "" when there are none. Caller frees.
 */
char *lv_mod_quote_words(const struct lv_val *v);

/*
 * Installs `data` as the file `dest` on the host when its content differs,
 * then applies mode/owner/group from `args`. *changed tells whether anything
 * changed (in check mode: would change). 0, or a negative code with *why.
 */
int lv_mod_write(struct lv_module_ctx *ctx, const char *dest, const void *data, size_t len,
                 const struct lv_val *args, bool *changed, char **why);
/* Reads a file on the host (via sudo when become needs it); *exists false when absent. */
int lv_mod_read(struct lv_module_ctx *ctx, const char *path, char **data, size_t *len, bool *exists,
                char **why);
/* A local file for `src`: absolute, else play_dir/subdir/src, else play_dir/src. NULL when none. */
char *lv_mod_local_path(const struct lv_module_ctx *ctx, const char *src, const char *subdir);
/* A fresh temporary path on the host ("/tmp/.loudva-..."); caller frees. */
char *lv_mod_tmp_path(void);

#endif
