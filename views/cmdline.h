/*
 * cmdline: the `:` command bar's language — the commands as a table of
 * data (tmux's idiom), parsing a line into a struct lv_cmd, completing the
 * word under the cursor, and the line editor behind the bar. Pure: no
 * curses and no runtime, so every command is tested as text
 * (tests/unit/test_views_cmdline.c).
 *
 * The words a command may take (policy names, devices, views, experiment
 * specs) are handed in by the caller as struct lv_cmd_words, so parsing
 * checks a device name against the running cluster without knowing where
 * that list came from. Checking a value against the runtime's rules (is
 * this clock one of the device's?) is the runtime's job: the command is
 * parsed here and carried out by the console, which shows the answer.
 */
#ifndef LV_CMDLINE_H
#define LV_CMDLINE_H

#include <stddef.h>
#include <stdint.h>

enum lv_cmd_kind {
	LV_CMD_NONE = 0,
	LV_CMD_QUIT,       /* :q, :quit; :q! skips the question */
	LV_CMD_VIEW,       /* :view NAME [DEVICE] */
	LV_CMD_POLICY,     /* :policy NAME[:k=v,...] */
	LV_CMD_PIN,        /* :pin DEVICE CLOCK */
	LV_CMD_RELEASE,    /* :release DEVICE */
	LV_CMD_DRAIN,      /* :drain DEVICE */
	LV_CMD_UP,         /* :up DEVICE */
	LV_CMD_EXPERIMENT, /* :experiment SPEC */
	LV_CMD_WORKLOAD,   /* :workload [on|off] */
	LV_CMD_REFRESH,    /* :refresh MS */
	LV_CMD_HELP,       /* :help */
	LV_CMD_PROFILE, /* :profile DEVICE [clocks=..] [batches=..] [requests=K]; :profile stop */
	LV_CMD_EXPORT,  /* :export csv|json FILE: the current view's table (or the log) */
	/* Requests only views make (no command-bar word). */
	LV_CMD_EXP_OPEN,   /* show the report in directory arg */
	LV_CMD_EXP_CANCEL, /* stop the running experiment */
	LV_CMD_SITE,       /* attached: show site `on` (its usual views), -1: the Sites view */
};

/* The :experiment word that builds a spec from the running cluster. */
#define LV_CMD_EXP_FROM_CLUSTER "live-cluster"

#define LV_CMD_SWEEP_CLOCKS  32
#define LV_CMD_SWEEP_BATCHES 64

/* A profiling sweep's grid as typed; zero counts leave the choice to the console. */
struct lv_cmd_sweep {
	size_t n_clocks; /* 0: every clock of the device */
	uint64_t clocks_hz[LV_CMD_SWEEP_CLOCKS];
	size_t n_batches; /* 0: the console's default */
	int batches[LV_CMD_SWEEP_BATCHES];
	long requests; /* per window; 0: the default */
	int stop;      /* `:profile stop` */
};

struct lv_cmd {
	enum lv_cmd_kind kind;
	char view[32];   /* VIEW */
	char device[48]; /* VIEW (may be empty), PIN, RELEASE, DRAIN, UP */
	char arg[256];   /* POLICY spec, EXPERIMENT spec name, EXP_OPEN directory, PIN's clock as
	                    typed */
	uint64_t hz;     /* PIN */
	int on;          /* WORKLOAD: 1 on, 0 off, -1 toggle */
	long ms;         /* REFRESH */
	int force;       /* QUIT: "q!" */
	int json;        /* EXPORT: 1 json, 0 csv (the file in arg) */
	struct lv_cmd_sweep sweep; /* PROFILE (device names the device unless sweep.stop) */
};

/* The words commands may take; any list may be empty (then anything goes). */
struct lv_cmd_words {
	const char *const *views;
	size_t n_views;
	const char *const *policies;
	size_t n_policies;
	const char *const *devices;
	size_t n_devices;
	const char *const *experiments;
	size_t n_experiments;
	/* Each device's clocks (ascending, Hz), parallel to devices; NULL: none known. Tab after
	 * `:pin DEVICE` lists them in MHz. */
	const uint64_t *const *device_freqs;
	const size_t *device_n_freqs;
};

/* One command's usage and help, for the Help view; NULL past the last. */
struct lv_cmd_help {
	const char *usage, *help;
};

const struct lv_cmd_help *lv_cmd_help_at(size_t i);

/*
 * Parses a command line (without the leading ':'). 0 with *out filled, or
 * LV_EINVAL with one line in why ("pin: 'nano-9' is not a device").
 * Command names may be abbreviated to a unique prefix (":pol loud").
 */
int lv_cmd_parse(const char *line, const struct lv_cmd_words *w, struct lv_cmd *out, char *why,
                 size_t why_len);

/*
 * A clock as typed: "1109.25MHz", "1109.25M", "1.1GHz", "1109250000Hz", or a
 * bare number — MHz below 100000 ("921.6", "500"), Hz from there
 * ("1109250000"). 0 or LV_EINVAL.
 */
int lv_cmd_parse_hz(const char *s, uint64_t *hz);

/*
 * A clock as typed (lv_cmd_parse_hz) resolved to the nearest of a device's
 * clocks freqs_hz[0..n) (ascending, n >= 1): 0 with *hz set, and in note
 * (may be NULL) what was taken when it was not exact ("500 MHz -> 537.6 MHz,
 * the nearest step"), else "". LV_EINVAL with one line in why listing the
 * valid clocks in MHz when the text is not a clock, or lies outside the
 * device's range by more than half a step.
 */
int lv_cmd_clock_resolve(const char *text, const uint64_t *freqs_hz, size_t n, uint64_t *hz,
                         char *note, size_t note_len, char *why, size_t why_len);

/* A clock in MHz as an operator writes it: "921.6 MHz", "1377 MHz". Returns buf. */
char *lv_cmd_mhz(char *buf, size_t len, uint64_t hz);

/*
 * Completes the last word of `line` (cap bytes, NUL-terminated): the
 * command name for the first word, else the word the command takes there:
 * a policy and, after its ':' or a ',', its parameters ("max_wait="); a
 * device; after `:pin DEVICE`, the device's clocks in MHz; a view, spec...
 * A single candidate is completed and followed by a space; several are
 * completed to their common prefix and listed in `hint` (space-separated,
 * truncated to hint_len). Returns the number of candidates.
 */
size_t lv_cmd_complete(char *line, size_t cap, const struct lv_cmd_words *w, char *hint,
                       size_t hint_len);

/* ---- the line editor ----------------------------------------------------- */

#define LV_LINE_MAX 256

enum lv_edit_op {
	LV_EDIT_INSERT, /* the character c */
	LV_EDIT_BACKSPACE,
	LV_EDIT_DELETE,
	LV_EDIT_LEFT,
	LV_EDIT_RIGHT,
	LV_EDIT_HOME,
	LV_EDIT_END,
	LV_EDIT_KILL, /* ^U: clear the line */
	LV_EDIT_WORD, /* ^W: delete the word before the cursor */
};

struct lv_line {
	char buf[LV_LINE_MAX];
	size_t len, cur; /* bytes; cur <= len */
};

void lv_line_set(struct lv_line *l, const char *text);
/* Applies one edit; returns 1 when the text changed. Printable ASCII only is inserted. */
int lv_line_edit(struct lv_line *l, enum lv_edit_op op, int c);

#endif
