/*
 * quote: POSIX sh quoting, the one escape both the modules (their remote
 * scripts) and the expression language (the `quote` filter) rely on. It sits
 * below both and uses nothing else in core/deploy.
 */
#ifndef LV_QUOTE_H
#define LV_QUOTE_H

/*
 * `s` as one sh word: wrapped in single quotes, each ' written as '\''.
 * The empty string gives ''. Caller frees; never NULL.
 */
char *lv_quote_sh(const char *s);

#endif
