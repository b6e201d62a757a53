/*
 * console: the state the interactive console's files share —
 * cmd_console.c (options, start and stop), console_screen.c (curses, the
 * loop, keys), console_act.c (carrying out what views and the command bar
 * ask), console_feed.c (refreshing the views' inputs from the runtime),
 * console_prof.c (profiling sweeps), console_export.c (`:export`),
 * console_config.c (console.conf: theme, colours, key bindings) and,
 * below those, console_util.c (the clock, notes, view switching, completion
 * words) and history.c (the command bar's history, kept between sessions).
 *
 * One thread — the program's main thread — runs all of it. The runtime's
 * threads are reached only through their thread-safe entry points
 * (snapshots, the event log, lv_live_set_policy and friends), so the loop
 * never holds a lock the engine wants and never waits on the network.
 */
#ifndef LV_CONSOLE_H
#define LV_CONSOLE_H

#include <signal.h>
#include <stdint.h>

#include "exprun.h"
#include "history.h"
#include "profrun.h"
#include "runtime.h"
#include "ui.h"
#include "workload.h"

#define LV_CONSOLE_SITES_MAX 16

struct lv_remote;
struct lv_profile;

struct lv_console_opts {
	struct lv_runtime_opts rt;
	struct lv_workload_config wl;
	int refresh_ms;          /* [500] */
	double duration_s;       /* exit after this long; 0 never */
	long iterations;         /* exit after this many screen redraws; 0 never */
	const char *results_dir; /* [results] */
	const char *specs_dir;   /* [experiments] */
	int mono, ascii, plots;
	int bell;           /* --bell: beep on a new warning or error alert */
	int no_mouse;       /* --no-mouse: leave the mouse to the terminal's own selection */
	int workload_asked; /* --workload: on even on a named cluster */
	const char *attach[LV_CONSOLE_SITES_MAX]; /* --attach URL: running controllers */
	int n_attach;
};

#define LV_CONSOLE_BACK_MAX   16
#define LV_CONSOLE_KEYMAP_MAX LV_UI_BINDS_MAX

/* A key binding from the configuration file: the key `from` does what `to` does. */
struct lv_console_keymap {
	int from, to; /* curses key codes */
};

struct lv_console {
	struct lv_console_opts opts;
	struct lv_runtime rt;
	struct lv_workload *wl;
	struct lv_exprun *exp;
	struct lv_profrun *prof;
	char *prof_cluster;             /* the cluster file written for a sweep, removed after it */
	struct lv_eventlog *log;        /* the controller's event log (borrowed) */
	uint64_t log_seq;               /* the last event copied into ui.log */
	const struct lv_snapshot *snap; /* held reference */
	struct lv_ui ui;
	struct lv_history history; /* the command bar's, kept between sessions */
	void *states[LV_UI_MAX_VIEWS];
	struct lv_ui_devinfo *devinfo;
	size_t n_devinfo;
	/* Words for command completion. */
	const char *view_names[LV_UI_MAX_VIEWS];
	const char **policy_names;
	size_t n_policy_names;
	const char **device_names; /* from the snapshot's devices; rebuilt when they change */
	size_t n_device_names;
	const uint64_t *
	    *device_freqs; /* their clocks (borrowed from the profiles), for completion */
	size_t *device_n_freqs;
	const char **spec_words; /* the specs plus LV_CMD_EXP_FROM_CLUSTER */
	size_t n_spec_words;
	char policy_spec[256]; /* the spec last set from here ("" = the start one) */
	char cluster_desc[128];
	int back[LV_CONSOLE_BACK_MAX]; /* views Esc returns to */
	int n_back;
	int utf8;      /* Unicode glyphs (a UTF-8 locale and no --ascii) */
	int quit;      /* 1: asked to quit, 2: quitting */
	long frames;   /* screen redraws (not video frames) */
	size_t alerts; /* warning and error alerts at the last redraw (for --bell) */
	double t0;     /* monotonic start */
	/* Attached (--attach): the controllers, the one shown (-1: none yet, the Sites
	 * view), and the profiles of their devices' kinds (for clocks). c->snap is then
	 * owned (lv_snapshot_free), not a runtime reference. */
	struct lv_remote *sites[LV_CONSOLE_SITES_MAX];
	int n_sites;
	int site;
	struct lv_snapshot *site_snaps[LV_CONSOLE_SITES_MAX]; /* each site's latest, owned */
	struct lv_profile **kind_profiles;
	size_t n_kind_profiles;
	struct lv_console_keymap keymap[LV_CONSOLE_KEYMAP_MAX]; /* from console.conf */
	size_t n_keymap;
	char exp_opened[256]; /* attached: the controller's report last opened here (or tried) */
};

/* console_feed.c */
void lv_console_feed_init(struct lv_console *c);
void lv_console_feed(struct lv_console *c);
void lv_console_feed_fini(struct lv_console *c);

/* console_attach.c: the feed and the changes when attached to running controllers. */
int lv_console_attach_start(struct lv_console *c, char **why);
void lv_console_attach_init(struct lv_console *c);
void lv_console_attach_feed(struct lv_console *c);
void lv_console_attach_stop(struct lv_console *c);
/* Queues a change to the shown controller (POST path with body); what says what it does. */
void lv_console_attach_post(struct lv_console *c, const char *path, const char *body,
                            const char *what);
/* The same with another method ("DELETE"). */
void lv_console_attach_request(struct lv_console *c, const char *method, const char *path,
                               const char *body, const char *what);
/*
 * The shown controller's experiment into c->ui.exp (over what the local
 * runner put there); once it is done, its report is shown when this host
 * can read it. 1 when the controller runs experiments, else 0.
 */
int lv_console_attach_experiment(struct lv_console *c);
/* Shows site i (its usual views), or the Sites view for -1. */
void lv_console_attach_show(struct lv_console *c, int i);

/* console_act.c */
void lv_console_request(struct lv_console *c, const struct lv_cmd *cmd);
void lv_console_command_line(struct lv_console *c, const char *line);
/* Whether frames, an experiment or a sweep are under way: 1 with a description in what. */
int lv_console_work_in_flight(const struct lv_console *c, char *what, size_t len);

/* console_export.c: `:export csv|json FILE`, the current view's table (or the log). */
void lv_console_export(struct lv_console *c, const struct lv_cmd *cmd);

/* console_prof.c: `:profile`, and the sweep's progress each tick. */
void lv_console_profile(struct lv_console *c, const struct lv_cmd *cmd);
void lv_console_profile_tick(struct lv_console *c);
void lv_console_profile_fini(struct lv_console *c);

/* console_config.c: the configuration file (theme, colours, key bindings). */
/* $XDG_CONFIG_HOME/loudva/console.conf (default ~/.config/...); NULL without a home. Caller frees.
 */
char *lv_console_config_path(void);
/*
 * Reads the file (a missing one is no error) and applies it — the theme and
 * colours (before the screen starts) and the bindings — only when every line
 * is good. Else LV_EINVAL or LV_EIO with *why "FILE:LINE: ..." and nothing
 * applied.
 */
int lv_console_config_load(struct lv_console *c, const char *path, char **why);
/* The key a typed key stands for under the bindings (itself when unbound). */
int lv_console_keymap(const struct lv_console *c, int ch);

/* console_screen.c: runs until quit, --duration or --iterations. 0 or LV_EXIT_FAIL. */
int lv_console_screen(struct lv_console *c, char **why);

/* console_util.c: shared by the files above; calls none of them. */

/* Seconds on the monotonic clock (the console's own, not the controller's). */
double lv_console_now(void);
/* Records an operator action in the event log (source "console"). */
void lv_console_note(struct lv_console *c, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Shows `view` (an index; < 0 ignored), remembering the current one for Esc. */
void lv_console_switch(struct lv_console *c, int view);
/* Returns to the view shown before the last switch (the first view when none). */
void lv_console_back(struct lv_console *c);
/* The words the command bar completes; they borrow from c. */
void lv_console_words(struct lv_console *c, struct lv_cmd_words *w);

#endif
