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
	LV_EN_FILTER
};
enum lv_ecmp { LV_EC_EQ, LV_EC_NE, LV_EC_LT, LV_EC_LE, LV_EC_GT, LV_EC_GE };

struct lv_enode {
	enum lv_enode_kind kind;
	int op;                 /* CMP: enum lv_ecmp; IN, TEST: 1 when negated; ADD: '+' '-' '~' */
	char *name;             /* LV_EN_NAME, LV_EN_ATTR, LV_EN_TEST, LV_EN_FILTER */
	struct lv_val *lit;     /* LV_EN_LIT */
	struct lv_enode *a, *b; /* operands; FILTER/ATTR/INDEX/TEST: a is the subject;
	                           COND: a if b else args[0] */
	struct lv_enode **args; /* LV_EN_LIST items, LV_EN_FILTER arguments */
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
 * Applies the filter `name` to the defined value `v` with its evaluated
 * arguments; not for default, d and mandatory, which the evaluator handles.
 * *out is a new value (caller frees). 0, or LV_EINVAL with *why (first/last
 * of an empty list, join of a non-list).
 */
int lv_expr_filter_apply(const char *name, const struct lv_val *v, struct lv_val *const *args,
                         size_t n_args, struct lv_val **out, char **why);

#endif
