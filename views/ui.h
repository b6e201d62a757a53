/*
 * ui: the model the views draw — what the console hands them before each
 * frame (the snapshot, the event log copy, the experiment runner's
 * state, the workload), the state views share
 * (selected device, filters, the command bar) and the one slot through
 * which a view asks the console to act (struct lv_cmd in `req`).
 *
 * Ownership. The console owns struct lv_ui and everything it points to;
 * views read the inputs and may change only the shared selection fields
 * and the outputs. Views never call the runtime: a view that wants a
 * policy switched fills `req` and returns LV_REACT_REQUEST, and the screen
 * loop carries it out (console/screen.c). That keeps views/ free of I/O
 * and makes every operator action go through one place, which logs it.
 */
#ifndef LV_UI_H
#define LV_UI_H

#include <stddef.h>
#include <stdint.h>

#include "cmdline.h"
#include "base/eventlog.h"
#include "hist.h"
#include "sched/policy.h"
#include "sched/snapshot.h"

struct lv_view_ops;
struct lv_key_binding;

#define LV_UI_LOG_MAX   2000
#define LV_UI_EXP_ROWS  16
#define LV_UI_MAX_VIEWS 12

/* Reaction bits a key handler returns; only the screen loop acts on them. */
enum {
	LV_REACT_HANDLED = 1u << 0, /* the key meant something here */
	LV_REACT_REDRAW = 1u << 1,  /* draw again now, not at the next tick */
	LV_REACT_SWITCH = 1u << 2,  /* show view ui->next_view */
	LV_REACT_BACK = 1u << 3,    /* return to the previous view */
	LV_REACT_QUIT = 1u << 4,    /* leave (the loop asks first if work is in flight) */
	LV_REACT_REQUEST = 1u << 5, /* carry out ui->req */
	LV_REACT_PROMPT = 1u << 6,  /* open the bar: ui->prompt_kind, text ui->prompt_init */
};

/* One row of an experiment's results table (summary.csv). */
struct lv_ui_exp_row {
	char policy[LV_POLICY_LABEL_MAX];
	size_t runs;
	double fpj, fpj_sd;       /* frames per joule */
	double ratio;             /* frames/J ÷ the baseline's */
	double pct_ok, pct_ok_sd; /* % frames within budget */
	double energy_j, p95_s;
};

enum lv_ui_exp_state {
	LV_UI_EXP_IDLE = 0,
	LV_UI_EXP_RUNNING,
	LV_UI_EXP_DONE,
	LV_UI_EXP_FAILED,
};

struct lv_ui_past_run {
	char name[64]; /* the report directory's name */
	char dir[256];
	double mtime; /* seconds since the epoch */
};

struct lv_ui_experiments {
	const char *const *specs; /* spec names (experiments/NAME.json) */
	size_t n_specs;
	const struct lv_ui_past_run *runs; /* report directories, newest first */
	size_t n_runs;
	enum lv_ui_exp_state state;
	char spec[64];      /* running or last run */
	size_t done, total; /* runs finished / in the matrix, this pass */
	int pass, passes;
	double elapsed_s;
	char message[200]; /* the runner's last line, or why it failed */
	char shown[256];   /* the directory whose results are shown; "" none */
	size_t n_rows;
	struct lv_ui_exp_row rows[LV_UI_EXP_ROWS];
};

struct lv_ui_workload {
	int on;
	int cameras;
	uint64_t requests, frames; /* submitted since start */
	uint64_t outstanding;      /* requests not yet answered */
};

enum lv_ui_prof_state {
	LV_UI_PROF_IDLE = 0,
	LV_UI_PROF_WAITING, /* the device is draining its in-flight batches */
	LV_UI_PROF_RUNNING, /* `loudva profile run` is measuring */
	LV_UI_PROF_DONE,
	LV_UI_PROF_FAILED, /* or stopped: message says which */
};

/*
 * A profiling sweep started from the console: its grid (clocks × batches,
 * both ascending), what has been measured so far, and where it stands.
 */
struct lv_ui_profiling {
	enum lv_ui_prof_state state;
	char device[LV_DEV_NAME_MAX];
	char kind[32];
	size_t n_freqs, n_batches;
	uint64_t freqs_hz[LV_CMD_SWEEP_CLOCKS];
	int batches[LV_CMD_SWEEP_BATCHES];
	/* Per point: J per frame and batch latency; NAN until measured. */
	double epf[LV_CMD_SWEEP_CLOCKS][LV_CMD_SWEEP_BATCHES];
	double latency_s[LV_CMD_SWEEP_CLOCKS][LV_CMD_SWEEP_BATCHES];
	size_t done, total; /* points */
	int cur_f, cur_b;   /* indexes of the point being measured; -1 none */
	int window;         /* its window, from 1 */
	double elapsed_s;
	char message[200]; /* the sweep's last line, or why it failed */
	char out[256];     /* the profile it writes */
};

/*
 * The registry as the views see it: every view in tab order and the keys
 * they all share. Help lists them, and a view that switches to another
 * finds its index here (lv_view_list_find), so no view names the registry.
 */
struct lv_view_list {
	const struct lv_view_ops *const *ops; /* n entries */
	size_t n;
	const struct lv_key_binding *global_keys;
	size_t n_global_keys;
};

/* The HTTP front end as the console sees it (its counters, copied each tick). */
struct lv_ui_front {
	int on;                    /* listening */
	unsigned port;             /* when on */
	char error[160];           /* why it is off ("" when it was not asked for) */
	uint64_t refused_requests; /* POST /inference requests it refused */
	uint64_t refused_frames;   /* the frames they carried (those it could count) */
	char refused_reason[32];   /* the reason of the most refused requests, "" none */
};

/* A console attached to running controllers (--attach): one per controller. */
#define LV_UI_SITES_MAX 16
struct lv_ui_site {
	const char *url;
	int up;                         /* its last /status poll was answered */
	char why[160];                  /* why not ("" before the first poll) */
	const struct lv_snapshot *snap; /* its latest, NULL before the first */
};
struct lv_ui_sites {
	int n;     /* 0: not attached (the embedded runtime) */
	int shown; /* the site the usual views show; -1: none picked yet */
	struct lv_ui_site v[LV_UI_SITES_MAX];
};

/* What the console knows about a device beyond the snapshot. */
struct lv_ui_devinfo {
	size_t n_freqs;
	const uint64_t *freqs_hz; /* ascending; borrowed from the profile */
	uint64_t pinned_hz;       /* pinned from this console, 0 none */
};

#define LV_UI_BINDS_MAX 16

/* The console's configuration file as read at start, for Help. */
struct lv_ui_config {
	char path[256];  /* "" without a home directory */
	int found;       /* the file exists */
	char error[300]; /* why it was not applied; "" when it was */
	size_t n_binds;  /* its key bindings, as "F10 does q" */
	char binds[LV_UI_BINDS_MAX][40];
};

struct lv_ui {
	/* ---- inputs: the console refreshes these before each frame ---- */
	const struct lv_snapshot *snap;      /* NULL until the first one */
	const struct lv_ui_devinfo *devinfo; /* snap->n_devices entries, or NULL */
	size_t n_log;                        /* events in log[], oldest first */
	struct lv_log_entry *log;            /* LV_UI_LOG_MAX entries */
	uint64_t log_missed; /* events that fell off the ring before they were read */
	struct lv_ui_experiments exp;
	struct lv_ui_workload workload;
	struct lv_ui_profiling prof;
	struct lv_ui_front front;
	struct lv_ui_sites sites;
	struct lv_hist hist;      /* per-device history, updated from each snapshot */
	const char *cluster_desc; /* "thesis (embedded, 5 emulated agents)" */
	const char *policy_spec;  /* the running policy as set: "fixed_batch:N=16,max_wait=5" */
	int refresh_ms;
	double wall_s; /* the console's clock, for flashes */
	struct lv_ui_config config;

	/* ---- shared between views ---- */
	int view;                         /* index of the view shown */
	unsigned long shown;              /* counts view switches: a view sees it was reopened */
	char device[LV_DEV_NAME_MAX];     /* the selected device */
	char filter[LV_UI_MAX_VIEWS][64]; /* each view's `/` filter */
	int help_for;                     /* the view the Help view describes */
	char status[400];                 /* a message for the status line (wrapped when long) */
	int status_error;
	double status_until; /* wall_s when it goes */

	/* ---- the command bar (drawn by the frame, edited by the loop) ---- */
	int prompt_kind; /* 0 closed, ':' command, '/' filter, '?' a question */
	struct lv_line line;
	char hint[200];     /* completion candidates */
	char question[160]; /* prompt_kind '?': the question asked */

	/* ---- set by the registry (view.c) before each draw and key ---- */
	const struct lv_view_list *views;

	/* ---- outputs of a draw: the rows a table shows (rows_total 0: none) ---- */
	int rows_first, rows_last, rows_total; /* 1-based; rows_total after the filter */
	int rows_all;                          /* before the filter */
	/* Where the mouse can click: each tab's columns on the top row (frame.c), and the
	 * Cluster view's device rows (click_dev[k] is the device on row click_y0 + k). */
	int tab_x[LV_UI_MAX_VIEWS], tab_w[LV_UI_MAX_VIEWS];
	int click_y0, click_n;
	int click_dev[128];

	/* ---- outputs of a key handler ---- */
	int next_view;                 /* LV_REACT_SWITCH */
	struct lv_cmd req;             /* LV_REACT_REQUEST */
	int prompt_init_kind;          /* LV_REACT_PROMPT: ':' or '/' */
	char prompt_init[LV_LINE_MAX]; /* its initial text */
};

/* Sets the status-line message for a few seconds. */
void lv_ui_flash(struct lv_ui *ui, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Index of the device named `name` in the snapshot, or -1. */
int lv_ui_device_index(const struct lv_ui *ui, const char *name);

/* Whether a sweep is draining or measuring the device named `name`. */
int lv_ui_profiling(const struct lv_ui *ui, const char *name);

/* Case-insensitive substring match of `filter` in `text`; an empty filter matches all. */
int lv_ui_match(const char *filter, const char *text);

/* Index in l of the view named `name` (a unique prefix will do), or -1. */
int lv_view_list_find(const struct lv_view_list *l, const char *name);

#endif
