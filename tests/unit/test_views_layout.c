/* The console's layout (views/layout.c), without curses: every rectangle inside its parent,
 * none overlapping, from 80x24 up, down to absurd sizes; columns by priority; scrolling. */
#include "testutil.h"

#include <string.h>

#include "layout.h"

static int inside(const struct lv_rect *r, const struct lv_rect *in)
{
	if (r->h < 0 || r->w < 0)
		return 0;
	if (r->h == 0 || r->w == 0)
		return 1;
	return r->y >= in->y && r->x >= in->x && r->y + r->h <= in->y + in->h &&
	       r->x + r->w <= in->x + in->w;
}

static int overlap(const struct lv_rect *a, const struct lv_rect *b)
{
	if (!a->h || !a->w || !b->h || !b->w)
		return 0;
	return a->y < b->y + b->h && b->y < a->y + a->h && a->x < b->x + b->w && b->x < a->x + a->w;
}

static void check_set(const struct lv_rect *rs, size_t n, const struct lv_rect *in)
{
	for (size_t i = 0; i < n; i++) {
		assert_true(inside(&rs[i], in));
		for (size_t j = i + 1; j < n; j++)
			assert_false(overlap(&rs[i], &rs[j]));
	}
}

static const int sizes[][2] = { { 24, 80 }, { 30, 100 }, { 50, 200 }, { 25, 81 }, { 10, 40 },
	                        { 3, 5 },   { 1, 1 },    { 0, 0 },    { 200, 60 } };

static void test_screen_and_views(void **st)
{
	(void)st;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		int rows = sizes[s][0], cols = sizes[s][1];
		struct lv_rect all = { 0, 0, rows, cols };
		struct lv_screen_layout scr;
		lv_layout_screen(rows, cols, &scr);
		check_set(&scr.tabs, 3, &all);
		struct lv_cluster_layout c;
		for (size_t nd = 0; nd <= 300; nd += 5) {
			lv_layout_cluster(&scr.body, nd, &c);
			check_set(&c.header, 4, &scr.body);
		}
		struct lv_device_layout d;
		lv_layout_device(&scr.body, &d);
		check_set(&d.info, 7, &scr.body);
		struct lv_queue_layout q;
		lv_layout_queue(&scr.body, &q);
		check_set(&q.depth, 5, &scr.body);
		struct lv_split_layout sp;
		lv_layout_split(&scr.body, 30, &sp);
		check_set(&sp.list, 2, &scr.body);
	}
}

static void test_cluster_80x24(void **st)
{
	(void)st;
	struct lv_screen_layout scr;
	lv_layout_screen(24, 80, &scr);
	assert_int_equal(scr.tabs.y, 0);
	assert_int_equal(scr.status.y, 23);
	assert_int_equal(scr.body.h, 22);
	struct lv_cluster_layout c;
	lv_layout_cluster(&scr.body, 5, &c);
	assert_int_equal(c.header.h, 3);
	assert_int_equal(c.table.h, 6); /* title + five devices: all shown */
	/* Three charts of 3 rows or more: a title and a plot with its axis (0 and the top). */
	assert_true(c.spark[0].h >= 3 && c.spark[1].h >= 3 && c.spark[2].h >= 3);
	assert_true(c.spark[2].y + c.spark[2].h <= scr.body.y + scr.body.h);
	assert_int_equal(c.spark[2].y + c.spark[2].h, scr.body.y + scr.body.h); /* no row blank */
	assert_int_equal(c.table.w, 80);
	/* 200 devices: the table takes what is left, the sparklines keep a row each. */
	lv_layout_cluster(&scr.body, 200, &c);
	assert_int_equal(c.spark[0].h, 1);
	assert_int_equal(c.spark[1].h, 1);
	assert_int_equal(c.spark[2].h, 1);
	assert_true(c.table.h >= 10);
}

static void test_device_shapes(void **st)
{
	(void)st;
	struct lv_rect body = { 1, 0, 28, 100 };
	struct lv_device_layout d;
	lv_layout_device(&body, &d);
	/* Wide: four charts in a 2x2 grid, rails beside the batches. */
	assert_int_equal(d.charts[0].y, d.charts[1].y);
	assert_true(d.charts[1].x > d.charts[0].x);
	assert_int_equal(d.rails.y, d.batches.y);
	assert_true(d.rails.w > 0);
	/* Narrow: charts stacked. */
	struct lv_rect narrow = { 1, 0, 40, 60 };
	lv_layout_device(&narrow, &d);
	assert_true(d.charts[1].y > d.charts[0].y);
	assert_int_equal(d.charts[0].x, d.charts[1].x);
}

static void test_columns(void **st)
{
	(void)st;
	const struct lv_col_spec cols[] = {
		{ "NAME", 8, 14, 0, 0, 0 },
		{ "ERROR", 10, 30, 5, 0, 1 },
		{ "POWER", 6, 7, 1, 1, 0 },
		{ "KIND", 10, 10, 4, 0, 0 },
	};
	int x[4], w[4];
	/* Everything fits at the preferred widths; the grow column takes the rest. */
	assert_int_equal(lv_layout_columns(cols, 4, 100, x, w), 4);
	assert_int_equal(x[0], 0);
	assert_int_equal(w[0], 14);
	assert_int_equal(x[1], 15);
	assert_int_equal(w[2], 7);
	assert_int_equal(x[1] + w[1] + 1 + w[2] + 1 + w[3], 100 - 0);
	/* 30 columns: NAME at 14, POWER at 7, KIND (10) does not fit next to them, ERROR neither.
	 */
	assert_int_equal(lv_layout_columns(cols, 4, 30, x, w), 2);
	assert_int_equal(w[0], 14);
	assert_int_equal(w[2], 7);
	assert_int_equal(x[1], -1);
	assert_int_equal(x[3], -1);
	assert_int_equal(x[2], 15);
	/* 10 columns: NAME squeezed to its minimum (it does not grow)... */
	assert_int_equal(lv_layout_columns(cols, 4, 10, x, w), 1);
	assert_int_equal(w[0], 8);
	/* ...5: nothing fits. */
	assert_int_equal(lv_layout_columns(cols, 4, 5, x, w), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(x[i], -1);
}

static void test_scroll_and_cuts(void **st)
{
	(void)st;
	assert_int_equal(lv_layout_scroll(3, 0, 10, 5), 0);     /* fits */
	assert_int_equal(lv_layout_scroll(12, 0, 10, 50), 3);   /* down: sel on the last row */
	assert_int_equal(lv_layout_scroll(2, 3, 10, 50), 2);    /* up: sel on the first row */
	assert_int_equal(lv_layout_scroll(49, 45, 10, 50), 40); /* never past the end */
	assert_int_equal(lv_layout_scroll(99, 0, 10, 50), 40);
	struct lv_rect r = { 2, 3, 10, 20 }, a, b;
	lv_rect_take_rows(&r, 4, &a, &b);
	assert_int_equal(a.h, 4);
	assert_int_equal(b.y, 6);
	assert_int_equal(b.h, 6);
	lv_rect_take_rows(&r, 40, &a, &b); /* more than there is */
	assert_int_equal(a.h, 10);
	assert_int_equal(b.h, 0);
	lv_rect_take_cols(&r, 5, 2, &a, &b);
	assert_int_equal(b.x, 10);
	assert_int_equal(b.w, 13);
	lv_rect_take_bottom(&r, 3, &a, &b);
	assert_int_equal(a.y, 9);
	assert_int_equal(b.h, 7);
	struct lv_rect cells[4];
	lv_rect_grid(&r, 2, 2, 1, cells);
	check_set(cells, 4, &r);
	assert_int_equal(cells[3].x + cells[3].w, r.x + r.w);
	assert_int_equal(cells[3].y + cells[3].h, r.y + r.h);
}

static void test_profile_shapes(void **st)
{
	(void)st;
	static const size_t grids[][2] = {
		{ 11, 4 }, { 14, 11 }, { 14, 64 }, { 1, 1 }, { 32, 64 }
	};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (size_t g = 0; g < sizeof(grids) / sizeof(grids[0]); g++) {
			struct lv_rect body = { 0, 0, sizes[i][0], sizes[i][1] };
			struct lv_profile_layout l;
			lv_layout_profile(&body, grids[g][0], grids[g][1], &l);
			struct lv_rect all[] = { l.head, l.map, l.side };
			check_set(all, 3, &body);
			assert_true(l.cell_w >= 1 && l.cell_w <= 7);
			assert_true(l.map.h <= (int)grids[g][0] + 1);
		}
	/* A Nano's 11 clocks x 4 batches at 100x26: values in the cells, the panel beside. */
	struct lv_rect body = { 1, 0, 26, 100 };
	struct lv_profile_layout l;
	lv_layout_profile(&body, 11, 4, &l);
	assert_int_equal(l.cell_w, 7);
	assert_int_equal(l.map.h, 12);
	assert_int_equal(l.map.w, LV_PROFILE_LABEL_W + 4 * 7);
	assert_true(l.side.x >= l.map.x + l.map.w && l.side.w >= 34);
	/* An AGX's 64 batch sizes at 80 columns: one-character cells, the panel below. */
	body = (struct lv_rect){ 1, 0, 22, 80 };
	lv_layout_profile(&body, 14, 64, &l);
	assert_int_equal(l.cell_w, 1);
	assert_true(l.side.y > l.map.y + l.map.h - 1);
	assert_true(LV_PROFILE_LABEL_W + 64 * l.cell_w <= l.map.w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_screen_and_views), cmocka_unit_test(test_cluster_80x24),
		cmocka_unit_test(test_device_shapes),    cmocka_unit_test(test_columns),
		cmocka_unit_test(test_scroll_and_cuts),  cmocka_unit_test(test_profile_shapes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
