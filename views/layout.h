/*
 * layout: where things go on the screen — pure functions from a size (rows,
 * columns) and a few options to rectangles, tested without curses
 * (tests/unit/test_views_layout.c), nvtop's idiom.
 *
 * Invariants every function here keeps, whatever the size (down to 1×1):
 * rectangles have h >= 0 and w >= 0, lie inside the rectangle they were cut
 * from, and do not overlap one another. A part that does not fit gets h or
 * w 0 and its view skips it; nothing is ever drawn outside the screen.
 * The console is designed for 80×24 and up; below that it still draws what
 * fits.
 */
#ifndef LV_LAYOUT_H
#define LV_LAYOUT_H

#include <stddef.h>

struct lv_rect {
	int y, x; /* top-left cell */
	int h, w; /* rows, columns; 0 when the part does not fit */
};

/* The frame every view shares: the tab bar (top row), the body, the status line (bottom row). */
struct lv_screen_layout {
	struct lv_rect tabs, body, status;
};

void lv_layout_screen(int rows, int cols, struct lv_screen_layout *out);

/* Takes the first h rows of r into *top (fewer if r is shorter), the rest into *rest. */
void lv_rect_take_rows(const struct lv_rect *r, int h, struct lv_rect *top, struct lv_rect *rest);
/* Takes the last h rows of r into *bottom, the rest into *rest. */
void lv_rect_take_bottom(const struct lv_rect *r, int h, struct lv_rect *bottom,
                         struct lv_rect *rest);
/* Splits r into a left part of w columns, a gap, and the rest. */
void lv_rect_take_cols(const struct lv_rect *r, int w, int gap, struct lv_rect *left,
                       struct lv_rect *rest);
/* nr × nc cells of equal size (the last row and column take the remainder), gap columns apart. */
void lv_rect_grid(const struct lv_rect *r, int nr, int nc, int gap, struct lv_rect *cells);

/*
 * A table's columns. Each column has a minimum and a preferred width and a
 * priority (0 is the most important); lv_layout_columns takes columns in
 * priority order, each at its preferred width when that fits (plus one
 * space between columns), else at its minimum, else not at all, so a more
 * important column is never squeezed for a less important one; a shown
 * column with `grow` takes what is left at the end.
 * x_out[i] is the column's offset from the table's left edge, or -1 when
 * it is hidden; w_out[i] its width. Returns how many columns are shown.
 */
struct lv_col_spec {
	const char *title;
	int min_w, pref_w;
	int priority;
	int right; /* right-aligned (numbers) */
	int grow;  /* takes the leftover width */
};

int lv_layout_columns(const struct lv_col_spec *cols, size_t n, int width, int *x_out, int *w_out);

/*
 * The first row to show so that `sel` is visible in a window of `visible`
 * rows over n rows, moving `first` as little as possible. 0 when n fits.
 */
int lv_layout_scroll(int sel, int first, int visible, int n);

/* Cluster view: the header, the device table (its title row included), three charts. */
#define LV_CLUSTER_CHARTS 3
struct lv_cluster_layout {
	struct lv_rect header;                   /* 3 rows: policy, rates, frames */
	struct lv_rect table;                    /* 1 title row + device rows */
	struct lv_rect spark[LV_CLUSTER_CHARTS]; /* cluster power, frames/s, late share */
};

void lv_layout_cluster(const struct lv_rect *body, size_t n_devices, struct lv_cluster_layout *out);

/* Device view: facts, four charts, the last batches, telemetry rails. */
struct lv_device_layout {
	struct lv_rect info;      /* 2 rows */
	struct lv_rect charts[4]; /* power, clock, batch size, latency vs budget */
	struct lv_rect batches;   /* title row + recent batches */
	struct lv_rect rails;     /* telemetry; w or h 0 when it does not fit */
};

void lv_layout_device(const struct lv_rect *body, struct lv_device_layout *out);

/* Queue view: the depth chart, deadlines and histogram, recent frames, the decision. */
struct lv_queue_layout {
	struct lv_rect depth;     /* queue depth over time */
	struct lv_rect deadlines; /* the tightest deadlines */
	struct lv_rect histogram; /* latency histogram */
	struct lv_rect frames;    /* recent frames */
	struct lv_rect explain;   /* the last decision, explained */
};

void lv_layout_queue(const struct lv_rect *body, struct lv_queue_layout *out);

/*
 * Profile view: the sweep's state and progress, the heatmap (a label column
 * of PROFILE_LABEL_W, then a column of cell_w per batch size, a title row
 * and a row per clock), and the side panel (legend, best point, the point
 * being measured) right of the map when it fits, else below it.
 */
#define LV_PROFILE_LABEL_W 10
struct lv_profile_layout {
	struct lv_rect head; /* 3 rows */
	struct lv_rect map;
	struct lv_rect side;
	int cell_w; /* 1..7 */
};

void lv_layout_profile(const struct lv_rect *body, size_t n_freqs, size_t n_batches,
                       struct lv_profile_layout *out);

/* A list on the left (list_w wide when it fits) and a detail pane on the right. */
struct lv_split_layout {
	struct lv_rect list, detail;
};

void lv_layout_split(const struct lv_rect *body, int list_w, struct lv_split_layout *out);

#endif
