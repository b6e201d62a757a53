/*
 * view_experiments: experiments from the keyboard. A list of the specs in
 * experiments/, one more entry that builds a spec from the running cluster,
 * and the reports of past runs; on the right the run in progress (a
 * progress bar; the dashboard stays live, the run is a separate process)
 * or the results shown — a table per policy and bar charts of frames per
 * joule and % of frames within budget.
 *
 * The console runs the experiment and reads its report into
 * ui->exp (console/exprun.c); this view only picks and shows.
 */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "fmt.h"
#include "layout.h"
#include "view.h"

struct experiments_state {
	int sel, first;
};

/* List entries: the specs, "build from the cluster", then past runs. */
static int n_items(const struct lv_ui *ui)
{
	return (int)(ui->exp.n_specs + 1 + ui->exp.n_runs);
}

static void layout(const struct lv_rect *body, const struct lv_ui *ui, struct lv_view_layout *out)
{
	(void)ui;
	lv_layout_split(body, 30, &out->u.split);
}

static void item_text(const struct lv_ui *ui, int i, char *buf, size_t len, enum lv_color *c)
{
	size_t ns = ui->exp.n_specs;
	*c = LV_COLOR_NORMAL;
	if ((size_t)i < ns) {
		snprintf(buf, len, " %s", ui->exp.specs[i]);
	} else if ((size_t)i == ns) {
		snprintf(buf, len, " + from the live cluster");
		*c = LV_COLOR_ACCENT;
	} else {
		const struct lv_ui_past_run *r = &ui->exp.runs[(size_t)i - ns - 1];
		snprintf(buf, len, " %s", r->name);
		*c = strcmp(r->dir, ui->exp.shown) ? LV_COLOR_DIM : LV_COLOR_ACCENT;
	}
}

static void list(const struct lv_ui *ui, struct experiments_state *st, const struct lv_rect *r)
{
	int n = n_items(ui);
	st->sel = st->sel >= n ? n - 1 : st->sel < 0 ? 0 : st->sel;
	/* Titles take rows too: 2 when past runs exist. Scroll by items, keeping it simple. */
	int rows = r->h - 2 - (ui->exp.n_runs ? 1 : 0);
	st->first = lv_layout_scroll(st->sel, st->first, rows, n);
	int y = r->y + lv_draw_title(r, "specs", NULL);
	for (int i = st->first; i < n && y < r->y + r->h; i++) {
		if ((size_t)i == ui->exp.n_specs + 1 && y < r->y + r->h) {
			struct lv_rect t = { y++, r->x, 1, r->w };
			lv_draw_title(&t, "past runs", NULL);
			if (y >= r->y + r->h)
				break;
		}
		char buf[96];
		enum lv_color c;
		item_text(ui, i, buf, sizeof(buf), &c);
		if (i == st->sel) {
			lv_draw_band(y, r->x, r->w, LV_COLOR_SELECTED);
			c = LV_COLOR_SELECTED;
		}
		lv_draw_text(y++, r->x, r->w, c, buf);
	}
}

static void progress(const struct lv_ui *ui, const struct lv_rect *r, int *y)
{
	const struct lv_ui_experiments *e = &ui->exp;
	char t[32];
	int last = r->y + r->h;
	switch (e->state) {
	case LV_UI_EXP_IDLE:
		if (*y < last)
			lv_draw_text((*y)++, r->x, r->w, LV_COLOR_DIM,
			             "pick a spec and press Enter to run it in the simulator; the "
			             "dashboard stays live");
		break;
	case LV_UI_EXP_RUNNING: {
		double frac = e->total ? (double)e->done / (double)e->total : 0;
		if (e->passes > 1)
			frac = ((double)(e->pass - 1) + frac) / (double)e->passes;
		if (*y < last)
			lv_draw_textf((*y)++, r->x, r->w, LV_COLOR_ACCENT,
			              "running %s: pass %d/%d, run %zu/%zu, %s (x stops it)",
			              e->spec, e->pass, e->passes, e->done, e->total,
			              lv_fmt_duration(t, sizeof(t), e->elapsed_s));
		if (*y < last) {
			lv_draw_bar(*y, r->x, r->w - 6, frac, LV_COLOR_FPS);
			lv_draw_textf((*y)++, r->x + r->w - 5, 5, LV_COLOR_NORMAL, "%3.0f%%",
			              100 * frac);
		}
		break;
	}
	case LV_UI_EXP_DONE:
		if (*y < last)
			lv_draw_textf((*y)++, r->x, r->w, LV_COLOR_OK, "%s finished in %s", e->spec,
			              lv_fmt_duration(t, sizeof(t), e->elapsed_s));
		break;
	case LV_UI_EXP_FAILED:
		if (*y < last)
			lv_draw_textf((*y)++, r->x, r->w, LV_COLOR_DOWN, "%s failed", e->spec);
		break;
	}
	if (e->message[0] && *y < last)
		lv_draw_text((*y)++, r->x, r->w,
		             e->state == LV_UI_EXP_FAILED ? LV_COLOR_DOWN : LV_COLOR_DIM,
		             e->message);
}

/* The results table's columns: on a narrow panel the standard deviations go first, then
 * RUNS, ENERGY and P95; frames/J against the baseline and the share in budget stay. */
enum { R_POLICY, R_RUNS, R_FPJ, R_FPJ_SD, R_RATIO, R_OK, R_OK_SD, R_ENERGY, R_P95, R_COUNT };
static const struct lv_col_spec rcols[R_COUNT] = {
	[R_POLICY] = { "POLICY", 10, 20, 0, 0, 0 }, [R_RUNS] = { "RUNS", 4, 4, 5, 1, 0 },
	[R_FPJ] = { "FRAMES/J", 8, 8, 0, 1, 0 },    [R_FPJ_SD] = { "SD", 7, 7, 6, 1, 0 },
	[R_RATIO] = { "VS BASE", 7, 7, 1, 1, 0 },   [R_OK] = { "OK %", 6, 6, 1, 1, 0 },
	[R_OK_SD] = { "SD", 5, 5, 6, 1, 0 },        [R_ENERGY] = { "ENERGY", 8, 8, 4, 1, 0 },
	[R_P95] = { "P95", 7, 7, 3, 1, 0 },
};

/* Draws the table; xs gets each column's place (-1: not shown at this width). */
static void results_table(const struct lv_ui *ui, const struct lv_rect *r, int *y, int *xs)
{
	int ws[R_COUNT];
	int last = r->y + r->h;
	for (int c = 0; c < R_COUNT; c++)
		xs[c] = -1;
	if (*y >= last)
		return;
	lv_layout_columns(rcols, R_COUNT, r->w, xs, ws);
	lv_draw_band(*y, r->x, r->w, LV_COLOR_HEADER);
	for (int c = 0; c < R_COUNT; c++)
		if (xs[c] >= 0)
			lv_draw_field(*y, r->x + xs[c], ws[c], rcols[c].right, LV_COLOR_HEADER,
			              rcols[c].title);
	(*y)++;
	for (size_t i = 0; i < ui->exp.n_rows && *y < last; i++, (*y)++) {
		const struct lv_ui_exp_row *row = &ui->exp.rows[i];
		char v[R_COUNT][LV_POLICY_LABEL_MAX];
		snprintf(v[R_POLICY], sizeof(v[0]), "%s", row->policy);
		snprintf(v[R_RUNS], sizeof(v[0]), "%zu", row->runs);
		lv_fmt_rate(v[R_FPJ], sizeof(v[0]), row->fpj);
		lv_fmt_rate(v[R_FPJ_SD], sizeof(v[0]), row->fpj_sd);
		snprintf(v[R_RATIO], sizeof(v[0]), isnan(row->ratio) ? "-" : "%.2fx", row->ratio);
		snprintf(v[R_OK], sizeof(v[0]), isnan(row->pct_ok) ? "-" : "%.1f", row->pct_ok);
		snprintf(v[R_OK_SD], sizeof(v[0]), isnan(row->pct_ok_sd) ? "-" : "%.1f",
		         row->pct_ok_sd);
		lv_fmt_joules(v[R_ENERGY], sizeof(v[0]), row->energy_j);
		lv_fmt_latency(v[R_P95], sizeof(v[0]), row->p95_s);
		for (int c = 0; c < R_COUNT; c++)
			if (xs[c] >= 0)
				lv_draw_field(*y, r->x + xs[c], ws[c], rcols[c].right,
				              LV_COLOR_NORMAL, v[c]);
	}
}

/* The shown columns in brief, under the table; Help (`?`) has them all (`about` below). */
static void legend(const struct lv_rect *r, int *y, const int *xs)
{
	char text[300];
	snprintf(text, sizeof(text), "%s%s%sOK %%: frames within budget; ? says more",
	         xs[R_RUNS] >= 0 ? "RUNS: seeds; " : "",
	         xs[R_FPJ_SD] >= 0 || xs[R_OK_SD] >= 0 ? "SD: over them; " : "",
	         xs[R_RATIO] >= 0 ? "VS BASE: frames/J against the baseline's; " : "");
	const char *starts[4];
	int lens[4], last = r->y + r->h;
	int n = lv_draw_wrap(text, r->w, 4, starts, lens);
	for (int i = 0; i < n && *y < last; i++, (*y)++)
		lv_draw_textf(*y, r->x, r->w, LV_COLOR_DIM, "%.*s", lens[i], starts[i]);
}

/* One bar chart: a row per policy, bars scaled to the largest value (or to `full`). */
static void bars(const struct lv_ui *ui, const struct lv_rect *r, int *y, const char *title,
                 int pct)
{
	int last = r->y + r->h;
	double top = pct ? 100 : 0;
	for (size_t i = 0; !pct && i < ui->exp.n_rows; i++)
		if (ui->exp.rows[i].fpj > top)
			top = ui->exp.rows[i].fpj;
	if (*y >= last)
		return;
	struct lv_rect t = { (*y)++, r->x, 1, r->w };
	lv_draw_title(&t, title, NULL);
	for (size_t i = 0; i < ui->exp.n_rows && *y < last; i++, (*y)++) {
		const struct lv_ui_exp_row *row = &ui->exp.rows[i];
		double v = pct ? row->pct_ok : row->fpj;
		char num[24];
		lv_draw_field(*y, r->x, 20, 0, LV_COLOR_NORMAL, row->policy);
		lv_draw_bar(*y, r->x + 21, r->w - 21 - 9, top > 0 && !isnan(v) ? v / top : 0,
		            pct ? LV_COLOR_OK : LV_COLOR_FPS);
		if (pct)
			lv_fmt_pct(num, sizeof(num), v);
		else
			lv_fmt_rate(num, sizeof(num), v);
		lv_draw_field(*y, r->x + r->w - 8, 8, 1, LV_COLOR_NORMAL, num);
	}
}

static void detail(const struct lv_ui *ui, const struct lv_rect *r)
{
	int y = r->y + lv_draw_title(r, "experiment", ui->exp.shown[0] ? ui->exp.shown : NULL);
	progress(ui, r, &y);
	if (ui->exp.n_rows == 0)
		return;
	y++;
	int xs[R_COUNT];
	results_table(ui, r, &y, xs);
	legend(r, &y, xs);
	y++;
	bars(ui, r, &y, "frames per joule", 0);
	bars(ui, r, &y, "% frames within budget", 1);
}

static void draw(struct lv_ui *ui, void *state, const struct lv_view_layout *lay)
{
	list(ui, state, &lay->u.split.list);
	detail(ui, &lay->u.split.detail);
}

/* ---- keys ------------------------------------------------------------------ */

static unsigned k_move(struct lv_ui *ui, void *state, int key)
{
	struct experiments_state *st = state;
	int n = n_items(ui);
	if (n == 0)
		return 0;
	st->sel = (st->sel + (key == KEY_UP || key == 'k' ? n - 1 : 1)) % n;
	return LV_REACT_REDRAW;
}

static unsigned k_enter(struct lv_ui *ui, void *state, int key)
{
	(void)key;
	struct experiments_state *st = state;
	size_t ns = ui->exp.n_specs;
	memset(&ui->req, 0, sizeof(ui->req));
	if ((size_t)st->sel < ns) {
		ui->req.kind = LV_CMD_EXPERIMENT;
		snprintf(ui->req.arg, sizeof(ui->req.arg), "%s", ui->exp.specs[st->sel]);
	} else if ((size_t)st->sel == ns) {
		ui->req.kind = LV_CMD_EXPERIMENT;
		snprintf(ui->req.arg, sizeof(ui->req.arg), "%s", LV_CMD_EXP_FROM_CLUSTER);
	} else if ((size_t)st->sel - ns - 1 < ui->exp.n_runs) {
		ui->req.kind = LV_CMD_EXP_OPEN;
		snprintf(ui->req.arg, sizeof(ui->req.arg), "%s",
		         ui->exp.runs[(size_t)st->sel - ns - 1].dir);
	} else {
		return 0;
	}
	return LV_REACT_REQUEST;
}

static unsigned k_cancel(struct lv_ui *ui, void *state, int key)
{
	(void)state, (void)key;
	if (ui->exp.state != LV_UI_EXP_RUNNING)
		return 0;
	memset(&ui->req, 0, sizeof(ui->req));
	ui->req.kind = LV_CMD_EXP_CANCEL;
	return LV_REACT_REQUEST;
}

static const struct lv_key_binding keys[] = {
	{ KEY_UP, "Up/Down", "select a spec or a past run", k_move },
	{ KEY_DOWN, NULL, NULL, k_move },
	{ 'k', NULL, NULL, k_move },
	{ 'j', NULL, NULL, k_move },
	{ '\n', "Enter", "run the spec in sim (background) / open the past run", k_enter },
	{ '\r', NULL, NULL, k_enter },
	{ KEY_ENTER, NULL, NULL, k_enter },
	{ 'x', "x", "stop the running experiment", k_cancel },
};

const struct lv_view_ops lv_view_experiments = {
	.name = "experiments",
	.title = "Experiments",
	.hotkey = '5',
	.state_size = sizeof(struct experiments_state),
	.layout = layout,
	.draw = draw,
	.keys = keys,
	.n_keys = sizeof(keys) / sizeof(keys[0]),
	.about =
	    "The results table: RUNS, the runs (seeds) of each policy; FRAMES/J, frames per "
	    "joule, the mean over the runs, and SD its standard deviation; VS BASE, frames/J "
	    "against the baseline policy's (1.10x: 10% more); OK %, the frames served within "
	    "their budget, and SD likewise; ENERGY, the cluster's energy in a run; P95, the "
	    "95th percentile frame latency. The run's report.txt (and loudva --batch) adds: "
	    "d pts, OK % minus the baseline's, in percentage points; req ok%, the requests "
	    "whose every frame was within budget; bound%, the energy lower bound as a share of "
	    "the energy spent (100%: no policy could have spent less).",
};
