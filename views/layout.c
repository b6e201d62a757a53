/*
 * layout: rectangles for the screen and each view (see layout.h). Pure
 * arithmetic on (rows, columns); no curses, so every rule here is checked
 * by tests/unit/test_views_layout.c at 80×24, 100×30 and odd sizes.
 *
 * The cutting helpers clamp instead of asserting: a terminal can be made
 * any size at any moment, and the right answer to "no room" is an empty
 * rectangle, not a crash.
 */
#include "layout.h"

#include <string.h>

static int clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static struct lv_rect rect(int y, int x, int h, int w)
{
	struct lv_rect r = { y, x, h > 0 ? h : 0, w > 0 ? w : 0 };
	return r;
}

void lv_layout_screen(int rows, int cols, struct lv_screen_layout *out)
{
	rows = rows > 0 ? rows : 0;
	cols = cols > 0 ? cols : 0;
	out->tabs = rect(0, 0, rows >= 1 ? 1 : 0, cols);
	out->status = rect(rows - 1, 0, rows >= 2 ? 1 : 0, cols);
	out->body = rect(1, 0, rows - 2, cols);
}

void lv_rect_take_rows(const struct lv_rect *r, int h, struct lv_rect *top, struct lv_rect *rest)
{
	struct lv_rect src = *r; /* top or rest may alias r */
	h = clamp(h, 0, src.h);
	*top = rect(src.y, src.x, h, src.w);
	*rest = rect(src.y + h, src.x, src.h - h, src.w);
}

void lv_rect_take_bottom(const struct lv_rect *r, int h, struct lv_rect *bottom,
                         struct lv_rect *rest)
{
	struct lv_rect src = *r;
	h = clamp(h, 0, src.h);
	*bottom = rect(src.y + src.h - h, src.x, h, src.w);
	*rest = rect(src.y, src.x, src.h - h, src.w);
}

void lv_rect_take_cols(const struct lv_rect *r, int w, int gap, struct lv_rect *left,
                       struct lv_rect *rest)
{
	struct lv_rect src = *r;
	w = clamp(w, 0, src.w);
	gap = clamp(gap, 0, src.w - w);
	*left = rect(src.y, src.x, src.h, w);
	*rest = rect(src.y, src.x + w + gap, src.h, src.w - w - gap);
}

void lv_rect_grid(const struct lv_rect *r, int nr, int nc, int gap, struct lv_rect *cells)
{
	struct lv_rect src = *r;
	if (nr < 1 || nc < 1)
		return;
	int gaps = gap * (nc - 1);
	if (gaps > src.w)
		gaps = src.w;
	int cw = (src.w - gaps) / nc, ch = src.h / nr;
	for (int i = 0; i < nr; i++) {
		int h = i == nr - 1 ? src.h - ch * (nr - 1) : ch;
		for (int j = 0; j < nc; j++) {
			int x = src.x + j * (cw + (gaps ? gap : 0));
			int w = j == nc - 1 ? src.x + src.w - x : cw;
			cells[i * nc + j] = rect(src.y + i * ch, x, h, w);
		}
	}
}

int lv_layout_columns(const struct lv_col_spec *cols, size_t n, int width, int *x_out, int *w_out)
{
	/* Order of importance: priority, then position. n is small (a dozen). */
	size_t order[64];
	if (n > 64)
		n = 64;
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && cols[order[j]].priority < cols[order[j - 1]].priority;
		     j--) {
			size_t t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	int used = 0, shown = 0;
	for (size_t i = 0; i < n; i++)
		w_out[i] = 0;
	for (size_t k = 0; k < n; k++) {
		size_t i = order[k];
		int gap = shown ? 1 : 0;
		int pref = cols[i].pref_w > cols[i].min_w ? cols[i].pref_w : cols[i].min_w;
		int w = used + gap + pref <= width ? pref : cols[i].min_w;
		if (used + gap + w > width)
			continue;
		w_out[i] = w;
		used += gap + w;
		shown++;
	}
	/* The leftover goes to the last grow column shown (a LAST ERROR, not a bar: a clock
	 * bar 90 columns wide says nothing more than one of 12). */
	for (size_t i = n; i-- > 0 && used < width;)
		if (w_out[i] && cols[i].grow) {
			w_out[i] += width - used;
			used = width;
		}
	int x = 0;
	for (size_t i = 0; i < n; i++) {
		if (!w_out[i]) {
			x_out[i] = -1;
			continue;
		}
		x_out[i] = x;
		x += w_out[i] + 1;
	}
	return shown;
}

int lv_layout_scroll(int sel, int first, int visible, int n)
{
	if (visible <= 0 || n <= visible)
		return 0;
	sel = clamp(sel, 0, n - 1);
	if (sel < first)
		first = sel;
	if (sel >= first + visible)
		first = sel - visible + 1;
	return clamp(first, 0, n - visible);
}

void lv_layout_cluster(const struct lv_rect *body, size_t n_devices, struct lv_cluster_layout *out)
{
	struct lv_rect rest;
	memset(out, 0, sizeof(*out));
	lv_rect_take_rows(body, 3, &out->header, &rest);
	lv_rect_take_rows(&rest, 1, &(struct lv_rect){ 0 }, &rest); /* a blank line */
	/* The table wants all its rows; the three charts take 1 row each at least. */
	int want = 1 + (int)(n_devices < 10000 ? n_devices : 10000);
	int spark_min = rest.h >= want + 4 || rest.h >= 10 ? 1 : 0;
	int table_h = clamp(want, 0, rest.h - LV_CLUSTER_CHARTS * spark_min - (spark_min ? 1 : 0));
	lv_rect_take_rows(&rest, table_h, &out->table, &rest);
	if (!spark_min)
		return;
	lv_rect_take_rows(&rest, 1, &(struct lv_rect){ 0 }, &rest);
	/* The charts share what is left (the first ones a row more when it does not divide),
	 * so a tall terminal shows taller charts, not blank rows. */
	int each = rest.h / LV_CLUSTER_CHARTS, extra = rest.h % LV_CLUSTER_CHARTS;
	for (int i = 0; i < LV_CLUSTER_CHARTS; i++)
		lv_rect_take_rows(&rest, clamp(each + (i < extra), 1, 24), &out->spark[i], &rest);
}

void lv_layout_device(const struct lv_rect *body, struct lv_device_layout *out)
{
	struct lv_rect rest, charts;
	memset(out, 0, sizeof(*out));
	lv_rect_take_rows(body, 2, &out->info, &rest);
	/* Charts take about half of what is left (2×2 when wide, else stacked). */
	int wide = rest.w >= 70;
	int ch = wide ? clamp(rest.h / 2, 0, 16) : clamp(rest.h / 2, 0, 16);
	if (ch < (wide ? 6 : 8) && rest.h >= (wide ? 6 : 8))
		ch = wide ? 6 : 8;
	/* Under 96 columns the telemetry panel goes below the batches and wants its 7 rows
	 * (title, power, rails, load, clock, clocks, keys): the charts give up rows for it. */
	int below = rest.w >= 96 ? 0 : 11;
	if (below && rest.h >= ch + below && ch > rest.h - below)
		ch = rest.h - below;
	else if (below && rest.h - ch < below && rest.h - below >= (wide ? 6 : 8))
		ch = rest.h - below;
	lv_rect_take_rows(&rest, ch, &charts, &rest);
	if (wide)
		lv_rect_grid(&charts, 2, 2, 2, out->charts);
	else
		lv_rect_grid(&charts, 4, 1, 0, out->charts);
	if (rest.w >= 96) {
		lv_rect_take_cols(&rest, rest.w - 34, 2, &out->batches, &out->rails);
	} else {
		int rails_h = rest.h >= 11 ? 7 : rest.h >= 10 ? 3 : 0;
		lv_rect_take_bottom(&rest, rails_h, &out->rails, &out->batches);
	}
}

void lv_layout_profile(const struct lv_rect *body, size_t n_freqs, size_t n_batches,
                       struct lv_profile_layout *out)
{
	struct lv_rect rest, gap;
	memset(out, 0, sizeof(*out));
	lv_rect_take_rows(body, 3, &out->head, &rest);
	lv_rect_take_rows(&rest, 1, &gap, &rest); /* a blank row */
	int nb = n_batches ? (int)n_batches : 1;
	const int side_w = 34;
	int map_h = clamp((int)n_freqs + 1, 0, rest.h);
	if (rest.w >= LV_PROFILE_LABEL_W + nb * 6 + 2 + side_w) {
		/* Room for values in the cells and the panel beside them. */
		out->cell_w = clamp((rest.w - side_w - 2 - LV_PROFILE_LABEL_W) / nb, 6, 7);
		lv_rect_take_cols(&rest, LV_PROFILE_LABEL_W + nb * out->cell_w, 2, &out->map,
		                  &out->side);
		out->map.h = map_h;
	} else {
		out->cell_w = clamp((rest.w - LV_PROFILE_LABEL_W) / nb, 1, 7);
		lv_rect_take_rows(&rest, map_h, &out->map, &rest);
		lv_rect_take_rows(&rest, 1, &gap, &out->side);
	}
}

void lv_layout_queue(const struct lv_rect *body, struct lv_queue_layout *out)
{
	struct lv_rect rest, mid, left;
	memset(out, 0, sizeof(*out));
	int depth_h = clamp(body->h / 5, body->h >= 8 ? 3 : 0, 8);
	lv_rect_take_rows(body, depth_h, &out->depth, &rest);
	int explain_h = clamp(rest.h / 3, 0, 9);
	lv_rect_take_bottom(&rest, explain_h, &out->explain, &mid);
	int left_w = mid.w >= 90 ? mid.w / 2 : mid.w >= 70 ? 36 : mid.w / 2;
	lv_rect_take_cols(&mid, left_w, 2, &left, &out->frames);
	int dl_h = clamp(left.h / 2, 0, 8);
	lv_rect_take_rows(&left, dl_h, &out->deadlines, &out->histogram);
}

void lv_layout_split(const struct lv_rect *body, int list_w, struct lv_split_layout *out)
{
	int w = body->w >= list_w * 2 ? list_w : body->w / 3;
	lv_rect_take_cols(body, w, 2, &out->list, &out->detail);
}
