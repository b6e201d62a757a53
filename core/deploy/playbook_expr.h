/*
 * playbook_expr: the compiled form of expressions, shared by the parser
 * (playbook_when.c) and the evaluator (playbook_eval.c), and the filters
 * both rely on (playbook_filter.c). Private to them.
 */
#ifndef LV_PLAYBOOK_EXPR_H
#define LV_PLAYBOOK_EXPR_H

#include <stdbool.h>
#include <stddef.h>

#include "playbook.h"

enum lv_enode_kind {
	LV_EN_LIT,
	LV_EN_NAME,
	LV_EN_ADD,
	LV_EN_COND,
	LV_EN_ATTR,
	LV_EN_INDEX,
	LV_EN_LIST,
	LV_EN_NOT,
	LV_EN_AND,
	LV_EN_OR,
	LV_EN_CMP,
	LV_EN_IN,
	LV_EN_TEST,
	LV_EN_FILTER,
	LV_EN_CALL,  /* a global function: range(...) */
	LV_EN_KWARG, /* name=value among a filter's, test's or call's arguments */
	LV_EN_DICT   /* {k: v, ...}: args holds keys and values in turn */
};
enum lv_ecmp { LV_EC_EQ, LV_EC_NE, LV_EC_LT, LV_EC_LE, LV_EC_GT, LV_EC_GE };

struct lv_enode {
	enum lv_enode_kind kind;
	int op;                 /* CMP: enum lv_ecmp; IN, TEST: 1 when negated; ADD: '+' '-' '~' */
	char *name;             /* NAME, ATTR, TEST, FILTER, CALL, KWARG */
	struct lv_val *lit;     /* LV_EN_LIT */
	struct lv_enode *a, *b; /* operands; FILTER/ATTR/INDEX/TEST: a is the subject;
	                           COND: a if b else args[0]; KWARG: a is the value */
	struct lv_enode **args; /* LIST items; FILTER, TEST, CALL arguments (KWARGs last) */
	size_t n_args;
};

struct lv_expr {
	char *text;
	struct lv_enode *root;
};

void lv_expr_node_free(struct lv_enode *n);

/* True when `name` is a filter the evaluator knows (playbook_filter.c). */
bool lv_expr_filter_known(const char *name);
/*
 * Checks a filter's literal arguments when the playbook loads: a regular
 * expression that does not compile, a test or filter named by select, map...
 * that does not exist. `lits[i]` is the literal value of argument i or NULL
 * when it is computed. 0, or LV_EINVAL with *why.
 */
int lv_expr_filter_check(const char *name, const struct lv_val *const *lits, size_t n_lits,
                         char **why);
/*
 * Applies the filter `name` to the defined value `v` with its evaluated
 * positional arguments and keyword arguments (`kwargs`: a MAP or NULL); not
 * for default, d and mandatory, which the evaluator handles. *out is a new
 * value (caller frees). 0, or LV_EINVAL with *why (first/last of an empty
 * list, join of a non-list, a bad regular expression...).
 */
int lv_expr_filter_apply(const char *name, const struct lv_val *v, struct lv_val *const *args,
                         size_t n_args, const struct lv_val *kwargs, struct lv_val **out,
                         char **why);

/* The collection filters (playbook_filter_list.c), reached through lv_expr_filter_apply. */
typedef int (*lv_filter_fn)(const char *name, const struct lv_val *v, struct lv_val *const *args,
                            size_t n_args, const struct lv_val *kwargs, struct lv_val **out,
                            char **why);
bool lv_expr_filter_list_known(const char *name);
int lv_expr_filter_list_apply(const char *name, const struct lv_val *v, struct lv_val *const *args,
                              size_t n_args, const struct lv_val *kwargs, lv_filter_fn apply,
                              struct lv_val **out, char **why);

/* True when `name` is a test (`x is name`) the evaluator knows (playbook_test.c). */
bool lv_expr_test_known(const char *name);
/*
 * Applies the test `name` to `v` (NULL: undefined) with its arguments.
 * Sets *out. 0, or LV_EINVAL with *why (an undefined value where the test
 * needs one, a bad regular expression).
 */
int lv_expr_test_apply(const char *name, const struct lv_val *v, struct lv_val *const *args,
                       size_t n_args, const struct lv_val *kwargs, bool *out, char **why);

/* Jinja's ordering of two values: numbers as numbers, else text (case folded unless `cs`). */
int lv_expr_order(const struct lv_val *a, const struct lv_val *b, bool cs);

#endif
