/*
 * serve_config: `loudva serve --config FILE`, the controller's configuration
 * file (/etc/loudva/controller.conf for loudva-controller.service). One
 * setting a line, named as serve's long options without the dashes:
 *
 *   # comments and blank lines are skipped
 *   cluster = /etc/loudva/cluster.json
 *   listen = 0.0.0.0:5000
 *   policy = loud:strictness=4
 *   db = /var/lib/loudva/loudva.db
 *   no-shm                    a flag alone (or "= yes"; "= no" leaves it off)
 *
 * A value may be put in double quotes (kept verbatim inside). The file
 * becomes options placed before the command line's, so the command line
 * wins. Every setting is checked by serve's own option parser, one line at
 * a time, so a bad value is refused with the file and line it is on.
 */
#ifndef LV_SERVE_CONFIG_H
#define LV_SERVE_CONFIG_H

#include <stddef.h>

#include "opts.h"

/*
 * Reads FILE against spec (checking each setting on a scratch copy of the
 * struct at base, base_size bytes) and returns the new argument vector:
 * argv[0], the file's options, then argv[1..argc). *argc_out is its length;
 * the vector and its strings are owned by *store (free it with
 * lv_serve_config_free). LV_EXIT_USAGE (message printed, naming FILE:LINE)
 * or 0.
 */
struct lv_serve_config;
int lv_serve_config_apply(const char *file, const struct lv_opt_spec *spec, const void *base,
                          size_t base_size, int argc, char **argv, int *argc_out, char ***argv_out,
                          struct lv_serve_config **store);
void lv_serve_config_free(struct lv_serve_config *store);

/*
 * The value of --config in argv (either form), or NULL; stops at "--".
 * Borrowed from argv.
 */
const char *lv_serve_config_find(int argc, char **argv);

#endif
