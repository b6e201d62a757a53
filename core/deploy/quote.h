/*
 * quote: POSIX sh quoting, the one escape both the modules (their remote
 * scripts) and the expression language (the `quote` filter) rely on, and the
 * splitting of key=value text into words that the inventory's host lines and
 * -e share. It sits below them all and uses nothing else in core/deploy.
 */
#ifndef LV_QUOTE_H
#define LV_QUOTE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * `s` as one sh word: wrapped in single quotes, each ' written as '\''.
 * The empty string gives ''. Caller frees; never NULL.
 */
char *lv_quote_sh(const char *s);

/*
 * Splits s into words at unquoted blanks, as Ansible splits key=value text:
 * ' and " group what they enclose (blanks included) and are removed; with
 * `comments`, an unquoted '#' starting a word ends the text. Returns the *n
 * words (free them with lv_words_free); *bad_quote is set when a quote is
 * left open (the words are then as far as the text went).
 */
char **lv_split_words(const char *s, bool comments, size_t *n, bool *bad_quote);
void lv_words_free(char **w, size_t n);

#endif
