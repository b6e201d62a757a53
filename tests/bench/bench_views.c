/*
 * bench_views: the console's drawing cost — the time to draw one frame of
 * a view (layout, every cell, and curses' refresh writing the changes to
 * the terminal) with a 200-device cluster, into a newterm() on /dev/null
 * sized 100×30 and 200×60. The snapshot is hand-made and changes every
 * frame (power, clocks, counters), so refresh has real work to do, as it
 * does when the console watches a busy cluster.
 *
 * One line per figure: median and p99 over FRAMES frames. Called from
 * bench.c's main (lv_bench_views).
 */
#include "bench_views.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched/snapshot.h"
#include "theme.h"
#include "base/clock.h"
#include "base/util.h"
#include "view.h"
#define FRAMES  300
#define DEVICES 200

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* A busy 200-device cluster with a full history, varied by frame k. */
static void fill(struct lv_snapshot *s, int k)
{
	static const char *const kinds[] = { "agx-xavier", "xavier-nx", "nano" };
	s->seq = (uint64_t)k;
	s->now_s = 600 + k * 0.5;
	s->uptime_s = s->now_s;
	snprintf(s->policy, sizeof(s->policy), "loud");
	snprintf(s->cluster, sizeof(s->cluster), "bench-200");
	s->queue_len = (size_t)(100 + k % 50);
	s->min_deadline_s = s->now_s + 3;
	s->counts.by_state[LV_FRAME_OK] = 100000 + (uint64_t)k * 37;
	s->counts.by_state[LV_FRAME_LATE] = 120 + (uint64_t)k;
	s->power_w = 0;
	s->fps = 950 + 40 * sin(k * 0.1);
	s->fpj_60s = 1.2;
	s->fpj_total = 1.1;
	s->pct_ok_60s = 99.1;
	s->pct_ok_total = 98.7;
	s->n_history = LV_SNAP_HISTORY;
	for (size_t i = 0; i < LV_SNAP_HISTORY; i++) {
		s->hist_power_w[i] = 1500 + 300 * sin(((double)i + k) * 0.05);
		s->hist_fps[i] = 900 + 100 * cos(((double)i + k) * 0.07);
		s->hist_queue[i] = 100 + 50 * sin(((double)i + k) * 0.11);
	}
	for (size_t i = 0; i < s->n_devices; i++) {
		struct lv_snap_device *d = &s->devices[i];
		snprintf(d->name, sizeof(d->name), "%s-%03zu", kinds[i % 3], i);
		snprintf(d->kind, sizeof(d->kind), "%s", kinds[i % 3]);
		d->state = i % 17 == 0 ? LV_DEV_DRAINING : LV_DEV_UP;
		d->valid = LV_SNAP_HAS_POWER | LV_SNAP_HAS_ENERGY;
		d->inflight = (int)((i + (size_t)k) % 3);
		d->max_freq_hz = 1377000000;
		d->min_freq_hz = 114750000;
		d->freq_hz = 114750000 + (uint64_t)((i * 7 + (size_t)k * 13) % 12) * 105000000;
		d->power_w = 2 + 15 * fabs(sin((double)(i + (size_t)k) * 0.3));
		d->energy_j = 1000 + (double)i * 10 + k;
		d->batches = 500 + (uint64_t)k;
		d->frames = 20000 + (uint64_t)k * 5;
		d->late = (uint64_t)(i % 5);
		d->last_batch = 1 + (int)((i + (size_t)k) % 64);
		d->fps = 4.5 + (double)(k % 10) * 0.1;
		s->power_w += d->power_w;
	}
}

static void time_view(const char *label, const char *view, int rows, int cols)
{
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	SCREEN *scr = out && in ? newterm("xterm-256color", out, in) : NULL;
	if (!scr) {
		printf("%s: could not open a terminal on /dev/null\n", label);
		goto out;
	}
	set_term(scr);
	resize_term(rows, cols);
	start_color();
	lv_theme_init(1, 1);
	struct lv_snapshot *s = lv_xcalloc(1, sizeof(*s));
	s->n_devices = DEVICES;
	s->devices = lv_xcalloc(DEVICES, sizeof(*s->devices));
	struct lv_ui ui;
	memset(&ui, 0, sizeof(ui));
	lv_hist_init(&ui.hist);
	ui.refresh_ms = 500;
	ui.cluster_desc = "bench: 200 devices";
	int v = lv_view_find(view);
	const struct lv_view_ops *ops = lv_view_registry()[v];
	void *state = ops->state_size ? lv_xcalloc(1, ops->state_size) : NULL;
	ui.view = v;
	snprintf(ui.device, sizeof(ui.device), "nano-002");
	double t[FRAMES];
	for (int k = 0; k < FRAMES + 20; k++) {
		fill(s, k);
		ui.snap = s;
		lv_hist_update(&ui.hist, s);
		double t0 = lv_mono_s();
		struct lv_screen_layout lay;
		erase();
		lv_layout_screen(LINES, COLS, &lay);
		lv_view_draw(ops, &ui, state, &lay.body);
		lv_view_draw_frame(&ui, &lay);
		refresh();
		if (k >= 20) /* after the history has filled a little and curses warmed up */
			t[k - 20] = lv_mono_s() - t0;
	}
	qsort(t, FRAMES, sizeof(double), cmp_double);
	printf("%s: median %.3f ms, p99 %.3f ms (%d frames, %d devices, %dx%d)\n", label,
	       t[FRAMES / 2] * 1e3, t[(FRAMES * 99) / 100] * 1e3, FRAMES, DEVICES, cols, rows);
	endwin();
	delscreen(scr);
	lv_hist_fini(&ui.hist);
	free(state);
	free(s->devices);
	free(s);
out:
	if (out)
		fclose(out);
	if (in)
		fclose(in);
}

void lv_bench_views(void)
{
	time_view("console draw, cluster view", "cluster", 30, 100);
	time_view("console draw, cluster view", "cluster", 60, 200);
	time_view("console draw, device view", "device", 30, 100);
	time_view("console draw, queue view", "queue", 30, 100);
}
