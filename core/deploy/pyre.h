/*
 * pyre: regular expressions with Python's `re` syntax, as Ansible's modules
 * and filters use them (lineinfile's regexp, regex_replace, `is match`...),
 * through PCRE2. PCRE2's syntax is a superset of Python's for everything
 * playbooks write (\d, \s, \b, (?P<name>...), lookarounds, lazy quantifiers);
 * the one Python spelling PCRE2 reads differently, \Z ("end of text" in
 * Python, "before a final newline" in PCRE2), is translated. Patterns and
 * subjects are UTF-8 with Unicode classes (\d matches any digit, as in
 * Python 3); invalid UTF-8 in a subject never matches across the bad bytes
 * and is never an error.
 *
 * It sits below the modules and the expression language and uses nothing
 * else in core/deploy.
 */
#ifndef LV_PYRE_H
#define LV_PYRE_H

#include <stdbool.h>
#include <stddef.h>

struct lv_pyre;

enum {
	LV_PYRE_ICASE = 1 << 0,     /* re.IGNORECASE */
	LV_PYRE_MULTILINE = 1 << 1, /* re.MULTILINE: ^ and $ at every line */
};

/*
 * Compiles `pattern`. NULL with *why ("regular expression '...': problem at
 * offset N") when it is not a valid expression.
 */
struct lv_pyre *lv_pyre_new(const char *pattern, unsigned flags, char **why);
void lv_pyre_free(struct lv_pyre *re);

/*
 * re.search (anchored: re.match) over `s` of `len` bytes. Returns true on a
 * match and sets the span of group 0 in [*start, *end) when they are not
 * NULL. `groups` (optional) receives a new array of 2 * (number of groups +
 * 1) offsets, -1 for a group that did not take part; caller frees.
 */
bool lv_pyre_search(const struct lv_pyre *re, const char *s, size_t len, bool anchored,
                    size_t *start, size_t *end, long **groups, size_t *n_groups);

/*
 * re.sub(pattern, repl, s, count): every match (count 0) or the first
 * `count`, replaced by `repl` in Python's template syntax (\1, \g<1>,
 * \g<name>, \n, \t, \\). *out is a new NUL-terminated string (caller frees).
 * LV_EINVAL with *why for a template naming a group the pattern lacks or an
 * unknown escape (as Python refuses them).
 */
int lv_pyre_sub(const struct lv_pyre *re, const char *s, const char *repl, long count, char **out,
                char **why);

/* The number of the group called `name`, or of "N" when it exists; -1 when there is none. */
long lv_pyre_group(const struct lv_pyre *re, const char *name);
/* The pattern as written (borrowed). */
const char *lv_pyre_text(const struct lv_pyre *re);

/* Checks a replacement template against `re` without a subject (load-time checks). */
int lv_pyre_check_repl(const struct lv_pyre *re, const char *repl, char **why);

#endif
