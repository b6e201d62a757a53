/*
 * playbook: Ansible-compatible playbooks for `loudva setup` — the value tree
 * that YAML documents, variables and module results share, the `when`
 * expression language (a Jinja2 subset), `{{ }}` templating, and the parsed
 * plays and tasks.
 *
 * Everything here is pure data and parsing: no SSH, no threads. The runner
 * (runner.h) executes what this module parses. Parse errors name the file and
 * line ("site.yml:12: ..."), since operators fix them in an editor.
 */
#ifndef LV_PLAYBOOK_H
#define LV_PLAYBOOK_H

#include <stdbool.h>
#include <stddef.h>

/* ---- values ------------------------------------------------------------ */

/*
 * A YAML-like value. Scalars always keep their text in `str` (BOOL is
 * "true"/"false", INT its decimal text as written, NULL ""), so anything can
 * be printed; `i` holds INT and BOOL values. Plain (unquoted) YAML scalars are
 * resolved as YAML 1.1 does for null, booleans (true/false/yes/no/on/off) and
 * integers; quoted ones stay strings.
 */
enum lv_val_kind { LV_VAL_NULL, LV_VAL_BOOL, LV_VAL_INT, LV_VAL_STR, LV_VAL_LIST, LV_VAL_MAP };

struct lv_val_index;

struct lv_val {
	enum lv_val_kind kind;
	char *str;                  /* scalars: text; containers: NULL */
	long long i;                /* INT value; BOOL 0 or 1 */
	size_t n, cap;              /* LIST, MAP: number of items */
	char **keys;                /* MAP: n keys, unique; change them only through lv_val_set */
	struct lv_val **items;      /* LIST, MAP: n items */
	int line;                   /* 1-based source line, 0 when made at run time */
	struct lv_val_index *index; /* private: MAP key lookup (playbook_valmap.c) */
};

struct lv_val *lv_val_new_null(void);
struct lv_val *lv_val_new_bool(bool b);
struct lv_val *lv_val_new_int(long long i);
struct lv_val *lv_val_new_str(const char *s);
/* A string of `len` bytes (may hold NULs; `str` is NUL-terminated after them). */
struct lv_val *lv_val_new_strn(const char *s, size_t len);
/* A plain scalar resolved as YAML 1.1 (null, bool, int, else string). */
struct lv_val *lv_val_new_plain(const char *s);
struct lv_val *lv_val_new_list(void);
struct lv_val *lv_val_new_map(void);
void lv_val_free(struct lv_val *v);
/* Deep copy; NULL gives NULL. */
struct lv_val *lv_val_dup(const struct lv_val *v);

/* Appends `item` (takes ownership) to a LIST. */
void lv_val_push(struct lv_val *list, struct lv_val *item);
/*
 * Sets `key` in a MAP to `item` (takes ownership), replacing an old value in
 * place. O(1) on average: maps of more than a few keys are hashed.
 */
void lv_val_set(struct lv_val *map, const char *key, struct lv_val *item);
void lv_val_set_str(struct lv_val *map, const char *key, const char *s);
void lv_val_set_bool(struct lv_val *map, const char *key, bool b);
void lv_val_set_int(struct lv_val *map, const char *key, long long i);
/* Copies every key of `src` into `dst` (both MAPs), replacing existing ones. */
void lv_val_merge(struct lv_val *dst, const struct lv_val *src);
/* Borrowed value of `key` in a MAP, or NULL (also when `map` is not a MAP). */
const struct lv_val *lv_val_get(const struct lv_val *map, const char *key);
/* Text of a scalar value, or NULL for containers and NULL `v`. */
const char *lv_val_text(const struct lv_val *v);
/* Jinja2 truthiness: false, 0, "", "false"/"no"/"off" (any case), null and empty containers are
 * false. */
bool lv_val_truthy(const struct lv_val *v);
/* True when the scalar is an integer (INT, or a string holding one); sets *out. */
bool lv_val_as_int(const struct lv_val *v, long long *out);
/* Compact JSON text of `v` (keys in insertion order). Caller frees. */
char *lv_val_to_json(const struct lv_val *v);
/* The text a template prints for `v`: scalars as is, containers as JSON. Caller frees. */
char *lv_val_to_text(const struct lv_val *v);

/*
 * YAML through libyaml. One document (an empty file gives a NULL value);
 * anchors and aliases are resolved by copying, at most
 * LV_YAML_MAX_ALIAS_VALUES values more than the document has nodes. `name` is used in messages
 * ("name:LINE: problem"). Returns the tree (caller frees) or NULL with *why.
 */
struct lv_val *lv_yaml_parse(const char *text, size_t len, const char *name, char **why);
/* The same from a file, read with readfile.h's bounds (a regular file, 16 MiB at most). */
struct lv_val *lv_yaml_load(const char *path, char **why);
/* Values that aliases may add to a document beyond its own nodes (they are copied). */
#define LV_YAML_MAX_ALIAS_VALUES 100000

/* ---- expressions and templates ---------------------------------------- */

/*
 * Looks up a variable for expressions and templates. Returns 0 with *out set
 * to a new value (caller frees) or NULL when the name is undefined; a negative
 * LV_E... code with *why when the lookup itself failed (e.g. a variable whose
 * own template is broken).
 */
typedef int (*lv_lookup_fn)(void *ud, const char *name, struct lv_val **out, char **why);

/*
 * A compiled expression: the Jinja2 subset Ansible uses in `when`,
 * `changed_when`, `failed_when`, `until` and inside `{{ }}`:
 *   literals ('s', "s", 12, 1.5, true/false/True/False, none/None, [a, b]),
 *   names with .attr and [index], ( ), not, and, or,
 *   == != < <= > >= in, not in,
 *   `is [not] defined|undefined|none|succeeded|success|failed|failure|changed|skipped`,
 *   filters: default(x[, true])/d, bool, int, string, lower, upper, trim, length/count,
 *   quote, basename, dirname, join(sep), first, last.
 * An expression nests at most LV_EXPR_MAX_NEST deep and holds at most
 * LV_EXPR_MAX_NODES terms (operators, names, literals, filters); longer ones
 * are errors, not crashes. Integer + and - that would overflow are errors.
 */
struct lv_expr;

#define LV_EXPR_MAX_NEST  64
#define LV_EXPR_MAX_NODES 2000

/* Compiles `text`. NULL with *why ("expression 'text': problem at 'rest'"). */
struct lv_expr *lv_expr_parse(const char *text, char **why);
void lv_expr_free(struct lv_expr *e);
/* The source text (borrowed). */
const char *lv_expr_text(const struct lv_expr *e);

/*
 * Evaluates `e`. *out is a new value (caller frees); an undefined result is an
 * error ("'name' is undefined"). Returns 0 or LV_EINVAL with *why.
 */
int lv_expr_eval(const struct lv_expr *e, lv_lookup_fn lookup, void *ud, struct lv_val **out,
                 char **why);
/* Evaluates and takes the truthiness (lv_val_truthy). */
int lv_expr_eval_bool(const struct lv_expr *e, lv_lookup_fn lookup, void *ud, bool *out,
                      char **why);

/* True when `s` contains "{{" (so it needs rendering). */
bool lv_template_has_expr(const char *s);
/*
 * Renders a Jinja2 template: `{{ expr }}`, `{# comments #}`, `{% if %}`
 * (elif, else) and `{% for %}` (playbook_template.c has the details). *out
 * is a new string (caller frees). 0 or LV_EINVAL with *why naming the
 * expression or statement.
 */
int lv_template_render(const char *text, lv_lookup_fn lookup, void *ud, char **out, char **why);
/*
 * Compiles `text` as a template without rendering it: every expression and
 * statement must be well formed and every filter and test known. 0, or
 * LV_EINVAL with *why. The playbook loader runs it on every string, so such
 * errors stop the run before any host is touched.
 */
int lv_template_check(const char *text, char **why);
/*
 * Renders every string in a value tree. A string that is exactly one
 * `{{ expr }}` yields the expression's own value (a list stays a list), as
 * Ansible does. *out is a new tree; caller frees.
 */
int lv_template_render_val(const struct lv_val *in, lv_lookup_fn lookup, void *ud,
                           struct lv_val **out, char **why);

/* ---- plays and tasks --------------------------------------------------- */

struct lv_task;

struct lv_task_list {
	struct lv_task **v;
	size_t n;
};

/*
 * One task, or a block (is_block) whose `block`, `rescue` and `always` lists
 * hold the tasks. Tri-state fields use -1 for "inherit from the play".
 */
struct lv_task {
	char *name;       /* NULL when the task has none (display: module name) */
	const char *file; /* borrowed from the playbook's file list */
	int line;
	bool is_block;
	char *module;        /* canonical name ("copy"), ansible.builtin. stripped */
	struct lv_val *args; /* MAP; free-form text under "_raw_params" */
	struct lv_val *vars; /* MAP or NULL */
	struct lv_expr *when, *changed_when, *failed_when, *until;
	int retries;    /* with until: attempts after the first [3] */
	double delay_s; /* with until: pause between attempts [5] */
	char *register_name;
	char **tags;
	size_t n_tags;
	char **notify;
	size_t n_notify;
	char **listen; /* handlers: extra names they answer to */
	size_t n_listen;
	int become;        /* -1 inherit, 0, 1 */
	char *become_user; /* NULL: inherit */
	int check_mode;    /* -1 inherit, 0 never check, 1 always check */
	bool ignore_errors, run_once, no_log;
	char *delegate_to;   /* NULL or a host name; only localhost is supported */
	struct lv_val *loop; /* LIST or a template string; NULL: no loop */
	char *loop_var;      /* "item" */
	char *loop_label; /* loop_control.label: a template shown for each item; NULL: the item */
	struct lv_task_list block, rescue, always;
};

struct lv_play {
	char *name;  /* "" when the play has none */
	char *hosts; /* host pattern */
	const char *file;
	int line;
	char *dir;           /* directory of the play's file: base for src lookups */
	struct lv_val *vars; /* MAP: vars, then vars_files merged in */
	int become;          /* 0 or 1 */
	char *become_user;   /* NULL: root */
	char *remote_user;   /* NULL: inventory's ansible_user */
	char *connection;    /* NULL, "ssh" or "local" */
	bool gather_facts;   /* tasks.v[0] is then "Gathering Facts" (module setup) */
	char **tags;
	size_t n_tags;
	struct lv_task_list tasks; /* pre_tasks, tasks and post_tasks in order */
	struct lv_task_list handlers;
};

struct lv_playbook {
	struct lv_play **plays;
	size_t n_plays;
	char *path;   /* the top playbook as given */
	char *dir;    /* its directory: playbook_dir */
	char **files; /* every file read (import_playbook, vars_files) */
	size_t n_files;
};

/* Bounds of one load: imports nest at most this deep... */
#define LV_PLAYBOOK_MAX_IMPORT_DEPTH 16
/* ...and at most this many files are read in all (playbooks and vars_files). */
#define LV_PLAYBOOK_MAX_FILES 256

/*
 * Reads a playbook and every playbook it imports (import_playbook, relative
 * to the importing file). Module names are only checked for shape here; the
 * runner checks them against its registry (lv_runner_validate). Returns NULL
 * with *why "file:line: problem" on error.
 *
 * Files are read with readfile.h's bounds (regular files of at most 16 MiB);
 * imports nest at most LV_PLAYBOOK_MAX_IMPORT_DEPTH deep, a file importing
 * itself (directly or not) is an error naming the cycle, and at most
 * LV_PLAYBOOK_MAX_FILES files are read.
 */
struct lv_playbook *lv_playbook_load(const char *path, char **why);
/*
 * The same from `len` bytes of text in memory, read as if it were the file
 * `name`: messages name it, and its imports and vars_files are read relative
 * to its directory, with the same bounds.
 */
struct lv_playbook *lv_playbook_parse(const char *text, size_t len, const char *name, char **why);
void lv_playbook_free(struct lv_playbook *pb);

/* The name a task is shown under: its name, else its module. Borrowed. */
const char *lv_task_display_name(const struct lv_task *t);

#endif
