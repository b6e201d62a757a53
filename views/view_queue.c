/*
 * view_queue: the queue and the frames. Queue depth over time, the
 * tightest deadlines waiting, a live latency histogram of served frames,
 * the last frames to end with their state, and the scheduler's own
 * explanation of its last decision (the text `loudva decide` prints, from
 * the policy's code path, carried by the snapshot).
 *
 * State: none beyond the shared `/` filter, which narrows the recent
 * frames by state or device.
 */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "fmt.h"
#include "view.h"

static void layout(const struct lv_rect *body, const struct lv_ui *ui, struct lv_view_layout *out)
{
	(void)ui;
	lv_layout_queue(body, &out->u.queue);
}

static char *fmt_n(char *buf, size_t len, double x)
{
	if (isnan(x))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.0f frames", x);
	return buf;
}

static enum lv_color state_color(enum lv_frame_state s)
{
	switch (s) {
	case LV_FRAME_OK: return LV_COLOR_OK;
	case LV_FRAME_LATE: return LV_COLOR_WARN;
	case LV_FRAME_FAILED:
	case LV_FRAME_EXPIRED:
	case LV_FRAME_REJECTED: return LV_COLOR_DOWN;
	default: return LV_COLOR_NORMAL;
	}
}

static void deadlines(const struct lv_snapshot *s, const struct lv_rect *r)
{
	char a[24], t[64];
	snprintf(t, sizeof(t), "%zu queued", s->queue_len);
	int y = r->y + lv_draw_title(r, "tightest deadlines", t);
	if (s->queue_len == 0 && y < r->y + r->h)
		lv_draw_text(y, r->x, r->w, LV_COLOR_DIM, "nothing waiting");
	size_t n = s->n_tightest;
	double one = s->min_deadline_s;
	const double *dl = n ? s->tightest_s : &one;
	if (!n && s->queue_len && isfinite(one))
		n = 1;
	for (size_t k = 0; k < n && y < r->y + r->h; k++, y++) {
		double left = dl[k] - s->now_s;
		enum lv_color c = left < 0   ? LV_COLOR_DOWN
		                  : left < 1 ? LV_COLOR_WARN
		                             : LV_COLOR_NORMAL;
		lv_draw_textf(y, r->x, r->w, c, "%2zu. %s %s", k + 1,
		              left < 0 ? "overdue" : "due in",
		              lv_fmt_latency(a, sizeof(a), fabs(left)));
	}
}

static void histogram(const struct lv_snapshot *s, const struct lv_rect *r)
{
	uint64_t total = 0, top = 0;
	for (int i = 0; i < LV_SNAP_LAT_BUCKETS; i++) {
		total += s->lat_counts[i];
		if (s->lat_counts[i] > top)
			top = s->lat_counts[i];
	}
	char t[64], a[24], b[24];
	snprintf(t, sizeof(t), "%s served, mean %s", lv_fmt_count(a, sizeof(a), total),
	         lv_fmt_latency(b, sizeof(b), total ? s->lat_sum_s / (double)total : NAN));
	int y = r->y + lv_draw_title(r, "latency", t);
	/* Show the buckets from the first to the last non-empty one (all when empty). */
	int lo = 0, hi = LV_SNAP_LAT_BUCKETS - 1;
	while (total && lo < hi && !s->lat_counts[lo])
		lo++;
	while (total && hi > lo && !s->lat_counts[hi])
		hi--;
	for (int i = lo; i <= hi && y < r->y + r->h; i++, y++) {
		char label[16];
		if (isinf(s->lat_bounds_s[i]))
			snprintf(label, sizeof(label), ">%s",
			         lv_fmt_latency(a, sizeof(a), i ? s->lat_bounds_s[i - 1] : 0));
		else
			snprintf(label, sizeof(label), "<=%s",
			         lv_fmt_latency(a, sizeof(a), s->lat_bounds_s[i]));
		lv_draw_field(y, r->x, 8, 1, LV_COLOR_DIM, label);
		int bw = r->w - 8 - 1 - 8;
		lv_draw_bar(y, r->x + 9, bw, top ? (double)s->lat_counts[i] / (double)top : 0,
		            LV_COLOR_FPS);
		lv_draw_field(y, r->x + 9 + bw, 8, 1, LV_COLOR_NORMAL,
		              lv_fmt_count(a, sizeof(a), s->lat_counts[i]));
	}
}

static void frames(const struct lv_ui *ui, const struct lv_rect *r)
{
	const struct lv_snapshot *s = ui->snap;
	static const char *const titles[] = { "FRAME",   "STATE",  "DEVICE", "BATCH",
		                              "LATENCY", "BUDGET", "AGO" };
	static const int w[] = { 8, 8, 14, 5, 7, 7, 5 };
	const char *f = ui->filter[ui->view];
	int y = r->y + lv_draw_title(r, "recent frames", f[0] ? f : NULL);
	if (y >= r->y + r->h)
		return;
	lv_draw_band(y, r->x, r->w, LV_COLOR_HEADER);
	for (int c = 0, x = r->x; c < 7 && x + w[c] <= r->x + r->w; x += w[c] + 1, c++)
		lv_draw_field(y, x, w[c], c >= 3, LV_COLOR_HEADER, titles[c]);
	y++;
	for (size_t k = 0; k < s->n_frames_recent && y < r->y + r->h; k++) {
		const struct lv_snap_frame *fr = &s->frames_recent[k];
		const char *dev = fr->device >= 0 && (size_t)fr->device < s->n_devices
		                      ? s->devices[fr->device].name
		                      : "-";
		const char *st = lv_frame_state_name(fr->state);
		if (!lv_ui_match(f, st) && !lv_ui_match(f, dev))
			continue;
		char v[7][LV_DEV_NAME_MAX];
		snprintf(v[0], sizeof(v[0]), "%llu", (unsigned long long)fr->id);
		snprintf(v[1], sizeof(v[1]), "%s", st);
		snprintf(v[2], sizeof(v[2]), "%s", dev);
		snprintf(v[3], sizeof(v[3]), fr->batch ? "%d" : "-", fr->batch);
		lv_fmt_latency(v[4], sizeof(v[4]), fr->done_s - fr->arrival_s);
		lv_fmt_latency(v[5], sizeof(v[5]), fr->budget_s);
		lv_fmt_duration(v[6], sizeof(v[6]), s->now_s - fr->done_s);
		for (int c = 0, x = r->x; c < 7 && x + w[c] <= r->x + r->w; x += w[c] + 1, c++)
			lv_draw_field(y, x, w[c], c >= 3,
			              c == 1 ? state_color(fr->state) : LV_COLOR_NORMAL, v[c]);
		y++;
	}
	if (s->n_frames_recent == 0 && y < r->y + r->h)
		lv_draw_text(y, r->x, r->w, LV_COLOR_DIM, "no frame has ended yet");
}

static const char *dev_name(const struct lv_snapshot *s, int d)
{
	return d >= 0 && (size_t)d < s->n_devices ? s->devices[d].name : "?";
}

static void explain(const struct lv_ui *ui, const struct lv_rect *r)
{
	const struct lv_snapshot *s = ui->snap;
	const struct lv_snap_decision *dc = &s->decision;
	char a[24], b[24], c[24], t[200];
	if (r->h < 1)
		return;
	if (!dc->valid) {
		lv_draw_title(r, "last decision", NULL);
		if (r->h > 1)
			lv_draw_text(r->y + 1, r->x, r->w, LV_COLOR_DIM,
			             "no decision explained yet");
		return;
	}
	const struct lv_explain *ex = &dc->ex;
	snprintf(t, sizeof(t), "%s, queue %zu, %zu configurations, %zu feasible%s", dc->policy,
	         dc->queue_len, ex->n_considered, ex->n_feasible, ex->fallback ? ", fallback" : "");
	int y = r->y + lv_draw_title(r, "last decision", t);
	if (y < r->y + r->h)
		lv_draw_text(y++, r->x, r->w, ex->wait ? LV_COLOR_WARN : LV_COLOR_ACCENT, ex->why);
	if (ex->has_choice && y < r->y + r->h)
		lv_draw_textf(y++, r->x, r->w, LV_COLOR_NORMAL,
		              "%s %s at %s MHz, batch %d: %s expected, %s J/frame",
		              ex->wait ? "waiting for" : "chose", dev_name(s, ex->choice.device),
		              lv_fmt_mhz(a, sizeof(a), ex->choice.freq_hz), ex->choice.batch,
		              lv_fmt_latency(b, sizeof(b), ex->choice.expected_latency_s),
		              lv_fmt_rate(c, sizeof(c), ex->choice.energy_per_frame_j));
	for (size_t k = 0; k < ex->n_alts && y < r->y + r->h; k++, y++) {
		const struct lv_explain_alt *al = &ex->alts[k];
		lv_draw_textf(y, r->x, r->w, LV_COLOR_DIM, "  %-14s %5s MHz b%-3d %7s %7s J/f  %s",
		              dev_name(s, al->device), lv_fmt_mhz(a, sizeof(a), al->freq_hz),
		              al->batch, lv_fmt_latency(b, sizeof(b), al->expected_latency_s),
		              lv_fmt_rate(c, sizeof(c), al->energy_per_frame_j), al->reason);
	}
}

static void draw(struct lv_ui *ui, void *state, const struct lv_view_layout *lay)
{
	(void)state;
	const struct lv_queue_layout *l = &lay->u.queue;
	const struct lv_snapshot *s = ui->snap;
	if (!s) {
		lv_draw_text(l->depth.y, l->depth.x, l->depth.w, LV_COLOR_DIM,
		             "waiting for the controller's first snapshot ...");
		return;
	}
	char t[48], d[16];
	snprintf(t, sizeof(t), "queue depth, last %s",
	         lv_fmt_duration(d, sizeof(d), (double)s->n_history));
	lv_draw_chart(&l->depth, t, s->hist_queue, s->n_history, 0, LV_COLOR_ACCENT,
	              LV_COLOR_ACCENT, fmt_n);
	deadlines(s, &l->deadlines);
	histogram(s, &l->histogram);
	frames(ui, &l->frames);
	explain(ui, &l->explain);
}

const struct lv_view_ops lv_view_queue = {
	.name = "queue",
	.title = "Queue",
	.hotkey = '3',
	.state_size = 0,
	.layout = layout,
	.draw = draw,
	.keys = NULL,
	.n_keys = 0,
};
