/*
 * budget: a latency budget read from untrusted text — the `latency` field of
 * POST /inference (core/front) and the `latency_constraint` column of a trace
 * (trace.c) — by one strict parser, so both refuse the same things.
 *
 * A budget is a plain decimal number of seconds: digits with an optional
 * fraction and an optional exponent ("2", "0.5", ".25", "1.5e1", "2E-1"),
 * nothing before or after it. Refused, each with a message naming the text:
 * an empty text, a NUL byte inside it, more than LV_BUDGET_MAX_TEXT
 * characters, a sign, blanks, hex ("0x10"), "inf" and "nan", a value that is
 * not > 0 (0, or too small for a double), and a value over the maximum the
 * caller gives.
 *
 * Why a maximum: a scheduler like loud may hold a frame until its deadline,
 * so a client that asks for 1e9 s makes the controller hold its frames (and
 * their connection) long after the client is gone. The front end's maximum
 * is the operator's (`--max-budget`, LV_BUDGET_DEFAULT_MAX_S unless set);
 * traces are bounded by LV_BUDGET_CEILING_S, the most an operator may set.
 */
#ifndef LV_BUDGET_H
#define LV_BUDGET_H

#include <stddef.h>

/*
 * The front end's maximum budget unless the operator sets one. The thesis's
 * budgets are 1..21 s (its generator's range, and every shipped trace), the
 * engine's default for a request without one 20 s; 60 s leaves room above
 * all of them.
 */
#define LV_BUDGET_DEFAULT_MAX_S 60.0

/* The largest maximum an operator may set, and the bound on budgets in traces: an hour. */
#define LV_BUDGET_CEILING_S 3600.0

/* Longest budget text accepted, in characters. */
#define LV_BUDGET_MAX_TEXT 32

/*
 * Parses `len` bytes of `text` (not necessarily NUL-terminated; a NUL among
 * them is an error) as a budget in seconds, in (0, max_s]. Returns 0 with
 * *out_s set, or LV_EINVAL with *why (caller frees) saying what is wrong
 * with the text, quoted with control and non-ASCII bytes escaped, e.g.
 * "'0x10' is not a plain decimal number of seconds (like 2, 0.5 or 1.5e1)"
 * or "'1e9' is over the maximum budget of 60 s". *out_s is untouched on
 * error. Independent of the process's locale.
 */
int lv_budget_parse(const char *text, size_t len, double max_s, double *out_s, char **why);

#endif
