/*
 * view: the one interface every console view implements, and its registry.
 *
 * A view is a const struct lv_view_ops: a name (for `:view NAME`), a tab
 * title and number key, the size of its private state (selection, scroll,
 * edit fields — zeroed by the console, kept across frames), a pure layout
 * function from the body rectangle to its parts, a draw function that
 * paints the snapshot and its state with curses, and a table of key
 * bindings. Keys resolve through the table (lv_view_key); a view's
 * optional `key` slot sees keys the table does not bind (typing into an
 * edit field). Handlers return reaction bits (ui.h) and never act on the
 * screen loop's behalf.
 *
 * The registry is the NULL-terminated array in view.c; implementations
 * are view_<name>.c. A view that needs the others (Help lists them, the
 * Cluster view opens the Device view) finds them in ui->views, which the
 * registry sets before each draw and key: views never call the registry.
 */
#ifndef LV_VIEW_H
#define LV_VIEW_H

#include <stddef.h>

#include "layout.h"
#include "ui.h"

typedef unsigned (*lv_key_fn)(struct lv_ui *ui, void *state, int key);

struct lv_key_binding {
	int key;           /* a character or a curses KEY_* code */
	const char *label; /* "Enter", "+/-"; NULL: an alias not listed in Help */
	const char *help;
	lv_key_fn fn;
};

/* What a view's layout function returns: one of the shapes in layout.h. */
struct lv_view_layout {
	union {
		struct lv_cluster_layout cluster;
		struct lv_device_layout device;
		struct lv_queue_layout queue;
		struct lv_split_layout split;
		struct lv_profile_layout profile;
		struct lv_rect whole;
	} u;
};

struct lv_view_ops {
	const char *name;  /* "cluster" */
	const char *title; /* "Cluster" */
	int hotkey;        /* '1' */
	size_t state_size; /* bytes of private state, zeroed at start; 0: none (state is NULL) */
	void (*layout)(const struct lv_rect *body, const struct lv_ui *ui,
	               struct lv_view_layout *out);
	void (*draw)(struct lv_ui *ui, void *state, const struct lv_view_layout *lay);
	const struct lv_key_binding *keys;
	size_t n_keys;
	int filterable; /* `/` filters its rows (ui->filter[its index]) */
	/* Optional: keys the table does not bind. */
	unsigned (*key)(struct lv_ui *ui, void *state, int key);
	/* Optional: what the view's columns and marks mean, for Help. */
	const char *about;
};

/* The registry, NULL-terminated, in tab order. */
const struct lv_view_ops *const *lv_view_registry(void);
size_t lv_view_count(void);
/* Index by name (a unique prefix will do), or -1. */
int lv_view_find(const char *name);
/* Index of the Help view. */
int lv_view_help_index(void);

/* Lays out and draws view `ops` in `body`. */
void lv_view_draw(const struct lv_view_ops *ops, struct lv_ui *ui, void *state,
                  const struct lv_rect *body);

/* Resolves a key through the view's table, then its key slot. 0 when unhandled. */
unsigned lv_view_key(const struct lv_view_ops *ops, struct lv_ui *ui, void *state, int key);

/*
 * Resolves a key through the keys every view shares (tabs, :, /, ?, q, ...),
 * after the view's own; ui->views->global_keys lists them. 0 when unhandled.
 */
unsigned lv_view_global_key(struct lv_ui *ui, int key);

/* The frame around the views: the tab bar and the status / command line. */
void lv_view_draw_frame(struct lv_ui *ui, const struct lv_screen_layout *scr);

/* The implementations (one file each). */
extern const struct lv_view_ops lv_view_cluster;
extern const struct lv_view_ops lv_view_device;
extern const struct lv_view_ops lv_view_queue;
extern const struct lv_view_ops lv_view_policies;
extern const struct lv_view_ops lv_view_experiments;
extern const struct lv_view_ops lv_view_profile;
extern const struct lv_view_ops lv_view_log;
extern const struct lv_view_ops lv_view_help;
extern const struct lv_view_ops lv_view_sites;

#endif
