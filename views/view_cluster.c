/*
 * view_cluster: the default view — the cluster at a glance. A header
 * (policy, power, frames/s, frames per joule and % within budget, rolling
 * and since start, queue, frames by state, uptime, and the store's record
 * when there is a database: complete, failing, or how many rows it
 * misses), a row per device
 * (state, clock against its maximum, power, energy, work, QoS, on wide
 * terminals a sparkline of its power, last error) and charts of cluster
 * power, frames/s and the share of frames served late.
 *
 * State: the selected row (kept by device name, so a row does not jump
 * when the filter or the sort changes), the scroll offset and the sort: a
 * column (< and > move it, htop's way; I inverts), shown by a mark on its
 * header; none is the cluster file's order. Everything else comes
 * from the snapshot; nothing here remembers values between frames.
 */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "fmt.h"
#include "base/util.h"
#include "view.h"

enum col {
	C_NAME,
	C_KIND,
	C_STATE,
	C_MHZ,
	C_BAR,
	C_POWER,
	C_ENERGY,
	C_INFL,
	C_BATCH,
	C_FPS,
	C_LATE,
	C_TREND,
	C_ERROR,
	C_COUNT
};

static const struct lv_col_spec cols[C_COUNT] = {
	[C_NAME] = { "DEVICE", 9, 14, 0, 0, 0 },
	[C_KIND] = { "KIND", 10, 10, 6, 0, 0 },
	[C_STATE] = { "STATE", 5, 5, 1, 0, 0 },
	[C_MHZ] = { "MHz", 4, 4, 2, 1, 0 },
	[C_BAR] = { "CLOCK", 5, 12, 8, 0, 1 },
	[C_POWER] = { "POWER", 6, 7, 1, 1, 0 },
	[C_ENERGY] = { "ENERGY", 7, 8, 5, 1, 0 },
	[C_INFL] = { "INFL", 4, 4, 3, 1, 0 },
	[C_BATCH] = { "BATCH", 5, 5, 4, 1, 0 },
	[C_FPS] = { "FPS", 5, 6, 2, 1, 0 },
	[C_LATE] = { "LATE", 9, 11, 3, 1, 0 },
	[C_ERROR] = { "LAST ERROR", 10, 24, 7, 0, 1 },
	/* The device's power, a cell a second, newest on the right: only where the rest fits
	 * (about 135 columns and more). */
	[C_TREND] = { "POWER TREND", 12, 30, 9, 0, 0 },
};

struct cluster_state {
	int sel, first;
	int page;    /* rows visible at the last draw */
	int sort;    /* a column + 1; 0: the cluster file's order */
	int reverse; /* 1: the other way from the column's natural one */
};

static const char *state_word(const struct lv_ui *ui, const struct lv_snap_device *d,
                              enum lv_color *c)
{
	if (lv_ui_profiling(ui, d->name) && d->state != LV_DEV_DOWN) {
		*c = LV_COLOR_ACCENT;
		return "prof";
	}
	switch (d->state) {
	case LV_DEV_DOWN: *c = LV_COLOR_DOWN; return "down";
	case LV_DEV_DRAINING: *c = LV_COLOR_WARN; return "drain";
	default: break;
	}
	*c = d->inflight > 0 ? LV_COLOR_BUSY : LV_COLOR_OK;
	return d->inflight > 0 ? "busy" : "up";
}

static int row_matches(const struct lv_ui *ui, const struct lv_snap_device *d)
{
	const char *f = ui->filter[ui->view];
	enum lv_color c;
	return lv_ui_match(f, d->name) || lv_ui_match(f, d->kind) ||
	       lv_ui_match(f, state_word(ui, d, &c));
}

/* ---- sorting ---------------------------------------------------------------- */

/* The sort qsort compares by (the UI is one thread: set just before each qsort). */
static const struct lv_ui *sort_ui;
static int sort_col, sort_rev;

/* Columns of words sort A to Z; numbers high first. */
static int is_word(int c)
{
	return c == C_NAME || c == C_KIND || c == C_STATE || c == C_ERROR;
}

static double late_share(const struct lv_snap_device *d)
{
	return d->frames ? (double)d->late / (double)d->frames : -1;
}

/* Numbers sort high first (the busiest, hungriest device on top), words A to Z. */
static int cmp_dev(const void *x, const void *y)
{
	const struct lv_snap_device *a = &sort_ui->snap->devices[*(const int *)x];
	const struct lv_snap_device *b = &sort_ui->snap->devices[*(const int *)y];
	double va = 0, vb = 0;
	int words = 0, r = 0;
	enum lv_color c;
	switch (sort_col) {
	case C_NAME: r = strcmp(a->name, b->name), words = 1; break;
	case C_KIND: r = strcmp(a->kind, b->kind), words = 1; break;
	case C_STATE:
		r = strcmp(state_word(sort_ui, a, &c), state_word(sort_ui, b, &c)), words = 1;
		break;
	case C_ERROR: /* devices with an error first, A to Z */
		r = (a->last_error[0] == 0) - (b->last_error[0] == 0);
		r = r ? r : strcmp(a->last_error, b->last_error);
		words = 1;
		break;
	case C_MHZ:
	case C_BAR: va = (double)lv_hist_clock_hz(a), vb = (double)lv_hist_clock_hz(b); break;
	case C_TREND:
	case C_POWER:
		va = (a->valid & LV_SNAP_HAS_POWER) ? a->power_w : -1;
		vb = (b->valid & LV_SNAP_HAS_POWER) ? b->power_w : -1;
		break;
	case C_ENERGY: va = a->energy_j, vb = b->energy_j; break;
	case C_INFL: va = a->inflight, vb = b->inflight; break;
	case C_BATCH: va = a->last_batch, vb = b->last_batch; break;
	case C_FPS: va = a->fps, vb = b->fps; break;
	case C_LATE: va = late_share(a), vb = late_share(b); break;
	default: break;
	}
	if (!words)
		r = va > vb ? -1 : va < vb ? 1 : 0;
	if (sort_rev)
		r = -r;
	return r ? r : *(const int *)x - *(const int *)y; /* ties keep the file's order */
}

/*
 * The devices the filter lets through, in the order shown: their indices in a
 * new array (caller frees), their count in *n.
 */
static int *rows(const struct lv_ui *ui, const struct cluster_state *st, int *n)
{
	size_t nd = ui->snap ? ui->snap->n_devices : 0;
	int *idx = lv_xmalloc((nd + 1) * sizeof(*idx));
	*n = 0;
	for (size_t i = 0; i < nd; i++)
		if (row_matches(ui, &ui->snap->devices[i]))
			idx[(*n)++] = (int)i;
	if (st->sort > 0 && *n > 1) {
		sort_ui = ui;
		sort_col = st->sort - 1;
		sort_rev = st->reverse;
		qsort(idx, (size_t)*n, sizeof(*idx), cmp_dev);
	}
	return idx;
}

/*
 * The rows shown: how many, the row of the device named `name` in *at (-1
 * if hidden), and the device index of row `want` in *want_dev (-1 if out
 * of range).
 */
static int scan_rows(const struct lv_ui *ui, const struct cluster_state *st, const char *name,
                     int *at, int want, int *want_dev)
{
	int n;
	int *idx = rows(ui, st, &n);
	*at = -1;
	*want_dev = want >= 0 && want < n ? idx[want] : -1;
	for (int k = 0; k < n && *at < 0; k++)
		if (!strcmp(ui->snap->devices[idx[k]].name, name))
			*at = k;
	free(idx);
	return n;
}

static void layout(const struct lv_rect *body, const struct lv_ui *ui, struct lv_view_layout *out)
{
	lv_layout_cluster(body, ui->snap ? ui->snap->n_devices : 0, &out->u.cluster);
}

static void header(const struct lv_ui *ui, const struct lv_rect *r)
{
	const struct lv_snapshot *s = ui->snap;
	const struct lv_engine_counts *k = &s->counts;
	char a[32], b[32], c[32], d[32], e[32], f[32];
	int wide = r->w >= 110;
	if (r->h < 1)
		return;
	int x = r->x + lv_draw_text(r->y, r->x, r->w, LV_COLOR_DIM, "policy ");
	x += lv_draw_text(r->y, x, r->x + r->w - x, LV_COLOR_ACCENT, s->policy);
	x += lv_draw_textf(r->y, x, r->x + r->w - x, LV_COLOR_NORMAL, "  %s  up %s  %s",
	                   ui->cluster_desc ? ui->cluster_desc : s->cluster,
	                   lv_fmt_duration(a, sizeof(a), s->uptime_s),
	                   ui->workload.on ? "workload on" : "workload off");
	char rec[96];
	static const enum lv_color rec_color[] = { LV_COLOR_DIM, LV_COLOR_WARN, LV_COLOR_DOWN };
	int bad = lv_fmt_store(rec, sizeof(rec), &s->store);
	if (rec[0] && x + 2 < r->x + r->w)
		lv_draw_text(r->y, x + 2, r->x + r->w - x - 2, rec_color[bad], rec);
	if (r->h < 2)
		return;
	lv_draw_textf(r->y + 1, r->x, r->w, LV_COLOR_NORMAL,
	              wide ? "power %s  frames/s %s  frames/J %s (60s) %s (all)  queue %zu  "
	                     "in budget %s (60s) %s (all)"
	                   : "power %s  fps %s  f/J %s 60s %s all  queue %zu  ok %s 60s %s all",
	              lv_fmt_watts(a, sizeof(a), s->power_w), lv_fmt_rate(b, sizeof(b), s->fps),
	              lv_fmt_rate(c, sizeof(c), s->fpj_60s),
	              lv_fmt_rate(d, sizeof(d), s->fpj_total), s->queue_len,
	              lv_fmt_pct(e, sizeof(e), s->pct_ok_60s),
	              lv_fmt_pct(f, sizeof(f), s->pct_ok_total));
	if (r->h < 3)
		return;
	/* Wide words when they fit the width, else the short ones: nothing cut at 80. */
	char refused[64] = "", line[300];
	static const char *const forms[3][2] = {
		{ "  refused %llu (%llu requests)",
		  "frames ok %llu  late %llu  failed %llu  expired %llu  rejected %llu%s  "
		  "queued %llu  in flight %llu  batches %llu" },
		{ " refused %llu (%llu req)", "ok %llu late %llu failed %llu expired %llu rejected "
		                              "%llu%s queued %llu infl %llu batches %llu" },
		{ " ref %llu/%llur",
		  "ok %llu late %llu fail %llu exp %llu rej %llu%s q %llu infl %llu "
		  "b %llu" },
	};
	for (int pass = 0; pass < 3; pass++) {
		refused[0] = '\0';
		if (ui->front.refused_requests)
			snprintf(refused, sizeof(refused), forms[pass][0],
			         (unsigned long long)ui->front.refused_frames,
			         (unsigned long long)ui->front.refused_requests);
		snprintf(line, sizeof(line), forms[pass][1],
		         (unsigned long long)k->by_state[LV_FRAME_OK],
		         (unsigned long long)k->by_state[LV_FRAME_LATE],
		         (unsigned long long)k->by_state[LV_FRAME_FAILED],
		         (unsigned long long)k->by_state[LV_FRAME_EXPIRED],
		         (unsigned long long)k->by_state[LV_FRAME_REJECTED], refused,
		         (unsigned long long)k->by_state[LV_FRAME_QUEUED],
		         (unsigned long long)k->by_state[LV_FRAME_INFLIGHT],
		         (unsigned long long)k->batches_dispatched);
		if ((int)strlen(line) <= r->w)
			break;
	}
	lv_draw_text(r->y + 2, r->x, r->w, refused[0] ? LV_COLOR_WARN : LV_COLOR_DIM, line);
}

static void cell(int y, int x0, const int *xs, const int *ws, enum col c, enum lv_color color,
                 const char *text)
{
	if (xs[c] >= 0)
		lv_draw_field(y, x0 + xs[c], ws[c], cols[c].right, color, text);
}

static void device_row(const struct lv_ui *ui, const struct lv_snap_device *d, int y, int x0,
                       const int *xs, const int *ws, int selected)
{
	if (xs[C_TREND] >= 0) { /* the device's power over its last ws seconds */
		double v[LV_HIST_LEN];
		size_t di = (size_t)(d - ui->snap->devices);
		size_t n = lv_hist_series(&ui->hist, di, LV_HIST_POWER_W, v, (size_t)ws[C_TREND]);
		lv_draw_spark(y, x0 + xs[C_TREND], ws[C_TREND], v, n, 0, LV_COLOR_POWER);
	}
	char buf[160];
	enum lv_color sc, base = selected ? LV_COLOR_SELECTED : LV_COLOR_NORMAL;
	const char *st = state_word(ui, d, &sc);
	if (selected)
		sc = LV_COLOR_SELECTED;
	cell(y, x0, xs, ws, C_NAME, base, d->name);
	cell(y, x0, xs, ws, C_KIND, base, d->kind);
	cell(y, x0, xs, ws, C_STATE, sc, st);
	uint64_t hz = lv_hist_clock_hz(d); /* 0 ("-") until the device has been heard from */
	cell(y, x0, xs, ws, C_MHZ, base, lv_fmt_mhz(buf, sizeof(buf), hz));
	if (xs[C_BAR] >= 0) {
		double frac = d->max_freq_hz ? (double)hz / (double)d->max_freq_hz : 0;
		lv_draw_bar(y, x0 + xs[C_BAR], ws[C_BAR], frac, LV_COLOR_CLOCK);
	}
	int has_p = (d->valid & LV_SNAP_HAS_POWER) != 0;
	cell(y, x0, xs, ws, C_POWER, base,
	     lv_fmt_watts(buf, sizeof(buf), has_p ? d->power_w : NAN));
	cell(y, x0, xs, ws, C_ENERGY, base, lv_fmt_joules(buf, sizeof(buf), d->energy_j));
	snprintf(buf, sizeof(buf), "%d", d->inflight);
	cell(y, x0, xs, ws, C_INFL, base, buf);
	snprintf(buf, sizeof(buf), "%d", d->last_batch);
	cell(y, x0, xs, ws, C_BATCH, base, d->last_batch ? buf : "-");
	cell(y, x0, xs, ws, C_FPS, base, lv_fmt_rate(buf, sizeof(buf), d->fps));
	char n[16], p[16];
	if (d->frames)
		snprintf(buf, sizeof(buf), "%s %s", lv_fmt_count(n, sizeof(n), d->late),
		         lv_fmt_pct(p, sizeof(p), 100.0 * (double)d->late / (double)d->frames));
	else
		snprintf(buf, sizeof(buf), "-");
	/* Too wide for its column ("1234 42.1%" in 9): the share alone, so numbers stay
	 * right-aligned under their header rather than cut. */
	if (xs[C_LATE] >= 0 && (int)strlen(buf) > ws[C_LATE])
		lv_fmt_pct(buf, sizeof(buf), 100.0 * (double)d->late / (double)d->frames);
	cell(y, x0, xs, ws, C_LATE, d->late && !selected ? LV_COLOR_WARN : base, buf);
	cell(y, x0, xs, ws, C_ERROR, d->last_error[0] && !selected ? LV_COLOR_DOWN : base,
	     d->last_error[0] ? d->last_error : "");
}

static void table(struct lv_ui *ui, struct cluster_state *st, const struct lv_rect *r)
{
	int xs[C_COUNT], ws[C_COUNT];
	if (r->h < 1)
		return;
	lv_layout_columns(cols, C_COUNT, r->w, xs, ws);
	lv_draw_band(r->y, r->x, r->w, LV_COLOR_HEADER);
	for (int c = 0; c < C_COUNT; c++) {
		char t[32];
		/* The sorted column's header carries the direction: v high first, ^ low first. */
		int up = st->reverse != is_word(c);
		snprintf(t, sizeof(t), "%s%s", cols[c].title,
		         st->sort - 1 == c ? (up ? "^" : "v") : "");
		cell(r->y, r->x, xs, ws, c, LV_COLOR_HEADER, t);
	}
	/* Keep the selection on the same device when rows come and go. */
	int n;
	int *idx = rows(ui, st, &n);
	for (int k = 0; k < n; k++)
		if (!strcmp(ui->snap->devices[idx[k]].name, ui->device))
			st->sel = k;
	st->sel = st->sel >= n ? n - 1 : st->sel < 0 ? 0 : st->sel;
	st->page = r->h - 1;
	st->first = lv_layout_scroll(st->sel, st->first, st->page, n);
	ui->click_y0 = r->y + 1;
	ui->click_n = 0;
	for (int row = st->first; row < n && row < st->first + st->page; row++) {
		const struct lv_snap_device *d = &ui->snap->devices[idx[row]];
		int y = r->y + 1 + row - st->first;
		if (ui->click_n < (int)(sizeof(ui->click_dev) / sizeof(ui->click_dev[0])))
			ui->click_dev[ui->click_n++] = idx[row];
		if (row == st->sel) {
			lv_draw_band(y, r->x, r->w, LV_COLOR_SELECTED);
			snprintf(ui->device, sizeof(ui->device), "%s", d->name);
		}
		device_row(ui, d, y, r->x, xs, ws, row == st->sel);
	}
	free(idx);
	/* The status line shows which rows these are (never over a header). */
	ui->rows_first = n ? st->first + 1 : 0;
	ui->rows_last = st->first + st->page < n ? st->first + st->page : n;
	ui->rows_total = n;
	ui->rows_all = (int)ui->snap->n_devices;
}

static void spark(const struct lv_rect *r, const char *title, const double *v, size_t n,
                  enum lv_color c, char *(*fmt)(char *, size_t, double))
{
	if (r->h <= 0 || r->w <= 0)
		return;
	if (r->h >= 2) {
		lv_draw_chart(r, title, v, n, 0, c, c, fmt);
		return;
	}
	char now[32];
	int lw = r->w >= 60 ? 22 : 12;
	lv_draw_textf(r->y, r->x, lw, LV_COLOR_DIM, "%s %s", title,
	              fmt(now, sizeof(now), n ? v[n - 1] : NAN));
	lv_draw_spark(r->y, r->x + lw, r->w - lw, v, n, 0, c);
}

static char *fmt_w(char *buf, size_t len, double x)
{
	return lv_fmt_watts(buf, len, x);
}

static char *fmt_fps(char *buf, size_t len, double x)
{
	char t[24];
	snprintf(buf, len, "%s/s", lv_fmt_rate(t, sizeof(t), x));
	return buf;
}

static char *fmt_pct(char *buf, size_t len, double x)
{
	return lv_fmt_pct(buf, len, x);
}

static void draw(struct lv_ui *ui, void *state, const struct lv_view_layout *lay)
{
	const struct lv_cluster_layout *l = &lay->u.cluster;
	const struct lv_snapshot *s = ui->snap;
	if (!s) {
		lv_draw_text(l->header.y, l->header.x, l->header.w, LV_COLOR_DIM,
		             "waiting for the controller's first snapshot ...");
		return;
	}
	header(ui, &l->header);
	table(ui, state, &l->table);
	char t[64];
	size_t span = s->n_history;
	char d[16];
	snprintf(t, sizeof(t), "cluster power, last %s",
	         lv_fmt_duration(d, sizeof(d), (double)span));
	spark(&l->spark[0], t, s->hist_power_w, s->n_history, LV_COLOR_POWER, fmt_w);
	snprintf(t, sizeof(t), "frames/s, last %s", d);
	spark(&l->spark[1], t, s->hist_fps, s->n_history, LV_COLOR_FPS, fmt_fps);
	/* The console's own history (from when it started), each point over 10 s. */
	static double late[LV_HIST_LEN];
	size_t nl = lv_hist_late_share(&ui->hist, 10, late, LV_HIST_LEN);
	snprintf(t, sizeof(t), "late share (10 s), last %s",
	         lv_fmt_duration(d, sizeof(d), (double)nl));
	spark(&l->spark[2], t, late, nl, LV_COLOR_WARN, fmt_pct);
}

/* ---- keys ------------------------------------------------------------------ */

/* Moves the selection to row `to` (clamped) and names its device in ui->device. */
static unsigned select_row(struct lv_ui *ui, struct cluster_state *st, int to)
{
	int at, dev;
	int n = scan_rows(ui, st, "", &at, -1, &dev);
	if (n == 0)
		return LV_REACT_REDRAW;
	st->sel = to < 0 ? 0 : to >= n ? n - 1 : to;
	scan_rows(ui, st, "", &at, st->sel, &dev);
	if (dev >= 0)
		snprintf(ui->device, sizeof(ui->device), "%s", ui->snap->devices[dev].name);
	return LV_REACT_REDRAW;
}

static unsigned k_move(struct lv_ui *ui, void *state, int key)
{
	struct cluster_state *st = state;
	int page = st->page > 1 ? st->page : 1;
	switch (key) {
	case KEY_UP:
	case 'k': return select_row(ui, st, st->sel - 1);
	case KEY_DOWN:
	case 'j': return select_row(ui, st, st->sel + 1);
	case KEY_PPAGE: return select_row(ui, st, st->sel - page);
	case KEY_NPAGE: return select_row(ui, st, st->sel + page);
	case KEY_HOME:
	case 'g': return select_row(ui, st, 0);
	default: return select_row(ui, st, 1 << 30);
	}
}

static unsigned k_open(struct lv_ui *ui, void *state, int key)
{
	(void)state, (void)key;
	if (!ui->device[0])
		return 0;
	ui->next_view = lv_view_list_find(ui->views, "device");
	return LV_REACT_SWITCH;
}

static unsigned k_action(struct lv_ui *ui, void *state, int key)
{
	(void)state;
	if (!ui->device[0])
		return 0;
	memset(&ui->req, 0, sizeof(ui->req));
	ui->req.kind = key == 'd' ? LV_CMD_DRAIN : key == 'u' ? LV_CMD_UP : LV_CMD_RELEASE;
	snprintf(ui->req.device, sizeof(ui->req.device), "%s", ui->device);
	return LV_REACT_REQUEST;
}

/* < and >: the sort column to the left / right (past either end: the file's order); I: invert. */
static unsigned k_sort(struct lv_ui *ui, void *state, int key)
{
	struct cluster_state *st = state;
	if (key == 'I') {
		st->reverse = !st->reverse;
	} else {
		do
			st->sort = (st->sort + (key == '>' ? 1 : C_COUNT)) % (C_COUNT + 1);
		while (st->sort - 1 == C_BAR ||
		       st->sort - 1 == C_TREND); /* drawings of the MHz and POWER columns */
	}
	if (st->sort == 0)
		lv_ui_flash(ui, 0, "rows in the cluster file's order (< > sort, I inverts)");
	else
		lv_ui_flash(ui, 0, "sorted by %s, %s (< > another column, I inverts)",
		            cols[st->sort - 1].title,
		            st->reverse != is_word(st->sort - 1) ? "lowest first"
		                                                 : "highest first");
	return LV_REACT_REDRAW;
}

static const struct lv_key_binding keys[] = {
	{ KEY_UP, "Up/k", "select the previous device", k_move },
	{ 'k', NULL, NULL, k_move },
	{ KEY_DOWN, "Down/j", "select the next device", k_move },
	{ 'j', NULL, NULL, k_move },
	{ KEY_PPAGE, "PgUp/PgDn", "a page up / down", k_move },
	{ KEY_NPAGE, NULL, NULL, k_move },
	{ KEY_HOME, "Home/End", "first / last device (also g / G)", k_move },
	{ 'g', NULL, NULL, k_move },
	{ KEY_END, NULL, NULL, k_move },
	{ 'G', NULL, NULL, k_move },
	{ '\n', "Enter", "open the selected device", k_open },
	{ KEY_ENTER, NULL, NULL, k_open },
	{ '\r', NULL, NULL, k_open },
	{ 'd', "d", "drain the selected device", k_action },
	{ 'u', "u", "mark the selected device up", k_action },
	{ 'r', "r", "release the selected device's pinned clock", k_action },
	{ '>', "< / >", "sort by the column to the right / left (the header shows v or ^)",
	  k_sort },
	{ '<', NULL, NULL, k_sort },
	{ 'I', "I", "invert the sort", k_sort },
};

const struct lv_view_ops lv_view_cluster = {
	.name = "cluster",
	.title = "Cluster",
	.hotkey = '1',
	.state_size = sizeof(struct cluster_state),
	.layout = layout,
	.draw = draw,
	.keys = keys,
	.n_keys = sizeof(keys) / sizeof(keys[0]),
	.filterable = 1,
};
