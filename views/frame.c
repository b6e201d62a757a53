/*
 * frame: what surrounds every view — the tab bar on the top row and the
 * status line at the bottom, which turns into the command bar (`:`), the
 * filter bar (`/`) or a question (quit while work is in flight). Drawn
 * last, so the cursor ends where the operator types.
 */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alerts.h"
#include "draw.h"
#include "fmt.h"
#include "view.h"

/*
 * The alert strip: the tab bar's right end, in the worst alert's colour —
 * as many briefs as fit ("! nano-00 down | refused 89"), else a count.
 */
static void draw_alerts(const struct lv_ui *ui, const struct lv_rect *r, int x0)
{
	struct lv_alert a[LV_ALERT_MAX];
	size_t n = lv_alerts(ui, a, LV_ALERT_MAX);
	int room = r->x + r->w - x0 - 1;
	if (n == 0 || room < 12)
		return;
	static const enum lv_color colors[] = { LV_COLOR_ACCENT, LV_COLOR_WARN, LV_COLOR_DOWN };
	char text[400] = " !", more[48];
	size_t shown = 0;
	for (; shown < n; shown++) {
		size_t len = strlen(text);
		snprintf(more, sizeof(more), " (+%zu, ! lists)", n - shown - 1);
		size_t need =
		    len + 1 + strlen(a[shown].brief) + (shown + 1 < n ? strlen(more) : 0) + 2;
		if ((int)need > room)
			break;
		snprintf(text + len, sizeof(text) - len, "%s %s", shown ? " |" : "",
		         a[shown].brief);
	}
	if (shown == 0)
		snprintf(text, sizeof(text), " ! %zu alert%s (! lists) ", n, n > 1 ? "s" : "");
	else if (shown < n)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), " (+%zu, ! lists) ",
		         n - shown);
	else
		snprintf(text + strlen(text), sizeof(text) - strlen(text), " ");
	int w = (int)strlen(text);
	if (w > room)
		w = room;
	lv_draw_text(r->y, r->x + r->w - w, w, colors[a[0].level], text);
}

static void draw_tabs(struct lv_ui *ui, const struct lv_rect *r)
{
	if (r->h <= 0)
		return;
	const struct lv_view_ops *const *reg = lv_view_registry();
	size_t n = lv_view_count();
	int full = 7; /* "LoudVA " */
	for (size_t i = 0; i < n; i++)
		full += (int)strlen(reg[i]->title) + 4;
	/* Alerts take the right end: the tabs go compact to leave them room. */
	struct lv_alert al[LV_ALERT_MAX];
	int compact = full > r->w - (lv_alerts(ui, al, LV_ALERT_MAX) ? 36 : 0);
	lv_draw_band(r->y, r->x, r->w, LV_COLOR_TAB);
	int x = r->x + lv_draw_text(r->y, r->x, r->w, LV_COLOR_TAB, compact ? "LV " : "LoudVA ");
	for (size_t i = 0; i < n && x < r->x + r->w; i++) {
		char t[48];
		int active = (int)i == ui->view;
		if (compact && !active)
			snprintf(t, sizeof(t), " %c ", reg[i]->hotkey);
		else
			snprintf(t, sizeof(t), " %c %s ", reg[i]->hotkey, reg[i]->title);
		ui->tab_x[i] = x; /* where a click on it lands */
		x += lv_draw_text(r->y, x, r->x + r->w - x,
		                  active ? LV_COLOR_TAB_ACTIVE : LV_COLOR_TAB, t);
		ui->tab_w[i] = x - ui->tab_x[i];
		if (x < r->x + r->w)
			x += lv_draw_text(r->y, x, 1, LV_COLOR_TAB, " ");
	}
	draw_alerts(ui, r, x);
}

/*
 * The default status line: policy, workload, experiment, snapshot age, key
 * hints; first, in the warning colour, the store's trouble if it has any
 * (rows missing from the record, or writes failing), whatever the view.
 */
static void status_text(const struct lv_ui *ui, char *buf, size_t len, enum lv_color *c)
{
	const struct lv_snapshot *s = ui->snap;
	char exp[96] = "", prof[96] = "", rec[96] = "", lead[240] = "";
	*c = LV_COLOR_STATUS;
	if (ui->exp.state == LV_UI_EXP_RUNNING)
		snprintf(exp, sizeof(exp), " | experiment %s %zu/%zu", ui->exp.spec, ui->exp.done,
		         ui->exp.total);
	if (lv_ui_profiling(ui, ui->prof.device))
		snprintf(prof, sizeof(prof), " | profiling %s %zu/%zu", ui->prof.device,
		         ui->prof.done, ui->prof.total);
	if (!s) {
		snprintf(buf, len, " waiting for the controller's first snapshot ...");
		return;
	}
	if (lv_fmt_store(rec, sizeof(rec), &s->store) > 0) {
		snprintf(lead, sizeof(lead), " %s |", rec);
		*c = LV_COLOR_WARN;
	}
	/* A filter is never on silently: it leads the line, with the rows it lets through. */
	if (ui->filter[ui->view][0]) {
		char rows[64] = "";
		if (ui->rows_all)
			snprintf(rows, sizeof(rows), ": %d of %d rows", ui->rows_total,
			         ui->rows_all);
		snprintf(lead + strlen(lead), sizeof(lead) - strlen(lead),
		         " filter '%.40s'%s (Esc clears) |", ui->filter[ui->view], rows);
	} else if (ui->rows_total && ui->rows_last - ui->rows_first + 1 < ui->rows_total) {
		snprintf(lead + strlen(lead), sizeof(lead) - strlen(lead), " rows %d-%d of %d |",
		         ui->rows_first, ui->rows_last, ui->rows_total);
	}
	snprintf(buf, len, "%s %.60s | workload %s%.60s%.60s | %d ms | ? help  : command  q quit",
	         lead, s->policy, ui->workload.on ? "on" : "off", exp, prof, ui->refresh_ms);
}

static void draw_prompt(struct lv_ui *ui, const struct lv_rect *r)
{
	char lead[2] = { (char)ui->prompt_kind, '\0' };
	lv_draw_band(r->y, r->x, r->w, LV_COLOR_NORMAL);
	if (ui->prompt_kind == '?') {
		lv_draw_text(r->y, r->x, r->w, LV_COLOR_PROMPT, ui->question);
		return;
	}
	int x = r->x + lv_draw_text(r->y, r->x, r->w, LV_COLOR_PROMPT, lead);
	/* Scroll the line so the cursor stays visible. */
	int room = r->x + r->w - x - 1;
	int off = (int)ui->line.cur > room ? (int)ui->line.cur - room : 0;
	int n = lv_draw_text(r->y, x, room, LV_COLOR_NORMAL, ui->line.buf + off);
	if (ui->hint[0] && x + n + 3 < r->x + r->w)
		lv_draw_textf(r->y, x + n + 2, r->x + r->w - x - n - 2, LV_COLOR_DIM, "[%s]",
		              ui->hint);
	move(r->y, x + (int)ui->line.cur - off);
}

/*
 * A flashed message: one status line when it fits, else wrapped upwards over
 * the bottom of the body (never above top_y), so an error is read whole
 * rather than cut at the screen's edge.
 */
static void draw_flash(const struct lv_ui *ui, const struct lv_rect *r, int top_y)
{
	enum lv_color c = ui->status_error ? LV_COLOR_DOWN : LV_COLOR_STATUS;
	const char *starts[6];
	int lens[6];
	int max = r->y - top_y + 1;
	if (max > 6)
		max = 6;
	if (max < 1)
		max = 1;
	int n = lv_draw_wrap(ui->status, r->w - 1, max, starts, lens);
	for (int i = 0; i < n; i++) {
		int y = r->y - (n - 1) + i;
		lv_draw_band(y, r->x, r->w, c);
		lv_draw_textf(y, r->x, r->w, c, " %.*s", lens[i], starts[i]);
	}
}

void lv_view_draw_frame(struct lv_ui *ui, const struct lv_screen_layout *scr)
{
	draw_tabs(ui, &scr->tabs);
	const struct lv_rect *r = &scr->status;
	if (r->h <= 0)
		return;
	if (ui->prompt_kind) {
		draw_prompt(ui, r);
		return;
	}
	char buf[600];
	enum lv_color c;
	if (ui->status[0] && ui->wall_s < ui->status_until) {
		draw_flash(ui, r, scr->body.y);
		return;
	}
	status_text(ui, buf, sizeof(buf), &c);
	lv_draw_band(r->y, r->x, r->w, c);
	lv_draw_text(r->y, r->x, r->w, c, buf);
}
