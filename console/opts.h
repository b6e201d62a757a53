/*
 * opts: the one command-line parser of `loudva` and its subcommands. Each
 * command declares its options as data — a table of rows, each with its
 * long name, optional short letter, kind of argument, where the value
 * goes and a line of help — and hands argv to lv_opts_parse; --help prints
 * the usage generated from the same table. Errors are one line on stderr
 * naming the command and the option as typed, exit status 2:
 *
 *   loudva sim: unknown option '--bogus' (see loudva sim --help)
 *   loudva sim: --seed needs a value (S)
 *   loudva sim: --seed: 'x' is not a whole number >= 0
 *   loudva sim: --json takes no value
 *   loudva sim: --trace FILE is required
 *
 * Accepted forms: `--name VALUE`, `--name=VALUE`, `-x VALUE`, `-xVALUE`,
 * bundled short flags (`-vvC`), operands anywhere, and `--` ending the
 * options. A value is taken as given, so `--queue -3` reaches the range
 * check rather than looking like an option.
 *
 * Where a value goes is an offset into the struct the command passes as
 * `base` (tables are static const, so they cannot hold pointers to a
 * command's locals); an LV_OPT_INCLUDE row splices a shared table in,
 * its offsets relative to a member of that struct.
 */
#ifndef LV_OPTS_H
#define LV_OPTS_H

#include <stddef.h>
#include <stdio.h>

enum lv_opt_kind {
	LV_OPT_END,     /* ends a table ({ 0 }) */
	LV_OPT_INCLUDE, /* the rows of .rows, their offsets relative to .offset */
	LV_OPT_SET,     /* no value: the int becomes 1 */
	LV_OPT_CLEAR,   /* no value: the int becomes 0 (--no-color) */
	LV_OPT_BOOL,    /* no value: the bool becomes true */
	LV_OPT_COUNT,   /* no value: the int counts the uses (-vvv) */
	LV_OPT_STR,     /* const char *: the argument itself, borrowed from argv */
	LV_OPT_INT,     /* int: a whole number, in [min, max] if given */
	LV_OPT_LONG,    /* long: a whole number, in [min, max] if given */
	LV_OPT_U64,     /* uint64_t or unsigned long long: a whole number >= 0 */
	LV_OPT_DOUBLE,  /* double: a finite number, in [min, max] if given */
	LV_OPT_FN,      /* .set stores it; a value unless .arg is NULL */
};

/* Row flags. */
enum {
	LV_OPT_REQUIRED = 1 << 0,  /* must be given (shown in the synopsis) */
	LV_OPT_NONEMPTY = 1 << 1,  /* an empty value counts as none: "needs a value" */
	LV_OPT_ABOVE_MIN = 1 << 2, /* the range excludes min: "> 0" rather than ">= 0" */
};

struct lv_opt;

/*
 * Stores `value` (NULL for an option without one) into `field`, the
 * command's struct at the row's offset. 0, or a negative LV_E code: the
 * parser then prints "--name: <*why>" or, without *why, "--name: 'VALUE'
 * is not <row's what>". *why is the setter's to allocate, the parser's to
 * free.
 */
typedef int (*lv_opt_set_fn)(const struct lv_opt *opt, void *field, const char *value, char **why);
/* The field's value for usage to show as the default ("pred"); a static string. */
typedef const char *(*lv_opt_show_fn)(const void *field);

struct lv_opt {
	const char *name; /* long name, without the dashes */
	char short_name;  /* 'r' for -r as well; 0: none */
	enum lv_opt_kind kind;
	size_t offset;       /* where the value goes: offsetof(the command's struct, field);
	                        INCLUDE: of the struct the included offsets are into */
	const char *arg;     /* the value's name in usage ("FILE"); NULL for kinds without one */
	unsigned flags;      /* LV_OPT_REQUIRED, ... */
	double min, max;     /* INT, LONG, DOUBLE: the accepted range; both 0: any */
	const char *what;    /* for "is not <what>"; NULL: said from the kind and range */
	lv_opt_set_fn set;   /* LV_OPT_FN */
	lv_opt_show_fn show; /* optional: usage appends the field's value as the default */
	const struct lv_opt *rows; /* LV_OPT_INCLUDE */
	const char *help;          /* one line for usage; each '\n' starts a continuation line */
};

/* A command: its options, at most one operand, and the text around them. */
struct lv_opt_spec {
	const char *cmd;           /* as in "loudva CMD": "sim", "profile show", "--batch" */
	const char *about;         /* paragraphs after the usage line, or NULL */
	const struct lv_opt *opts; /* a table ending with { 0 }; NULL: no options */
	const char *operand;       /* the positional argument's name ("DB"), or NULL: none */
	const char *operand_what;  /* in "<what> is required" ("a database") */
	size_t operand_offset;     /* where it goes (a const char *) */
	const char *epilog;        /* text after the options, or NULL */
};

/* lv_opts_parse's answer when --help was asked for (usage is printed). */
#define LV_OPTS_HELP 1

/*
 * Parses argv[1..argc) (argv[0] is the command's name) against spec into
 * the struct `base` points to; fields of options not given keep what the
 * caller put there (the defaults). Returns 0; LV_OPTS_HELP after printing
 * the usage on stdout (-h, --help); or LV_EXIT_USAGE (2) after one line on
 * stderr. String values are borrowed from argv.
 */
int lv_opts_parse(const struct lv_opt_spec *spec, int argc, char **argv, void *base);

/*
 * Prints the usage generated from spec on f: "usage: loudva CMD" with the
 * required options and the operand, the about text, a line per option
 * (with its default when the row has a show hook and base is not NULL),
 * and the epilog.
 */
void lv_opts_usage(const struct lv_opt_spec *spec, const void *base, FILE *f);

/* A command made of verbs: `loudva profile show ...`. */
struct lv_opt_verb {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the verb; returns an exit status */
	const struct lv_opt_spec *spec;    /* for the command's --help */
};

/*
 * Runs the verb argv[1] names (argv[0] is cmd), from a table ending with
 * { NULL }; -h, --help or help prints every verb's usage. A missing or
 * unknown verb is one line on stderr and LV_EXIT_USAGE.
 */
int lv_opts_verbs(const char *cmd, const struct lv_opt_verb *verbs, int argc, char **argv);

#endif
