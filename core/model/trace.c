/*
 * trace: trace files in and out (CSV through core/csv), the stable time sort,
 * and the summary figures `loudva trace show` prints. The file format and
 * its rules are documented in trace.h.
 *
 * Loading is all or nothing: rows are checked one by one and the first bad
 * cell ends the load with a message naming file:line, column and value; no
 * partial trace is ever returned. Saving writes the shortest decimal that
 * reads back to the same double, so save -> load is exact and the bytes
 * depend on the trace only. The generator is in trace_gen.c.
 */
#include "trace.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "base/csv.h"
#include "base/file.h"
#include "base/util.h"

/* Where the columns are in the file being read; -1 when absent. */
struct cols {
	int time, frames, camera, throughput, budget;
};

static int bad_cell(const struct lv_csv *c, int col, char **why, const char *what)
{
	return lv_fail(why, LV_EINVAL, "%s:%zu: %s: '%s' is not %s", lv_csv_origin(c),
	               lv_csv_line(c), lv_csv_column_name(c, col), lv_csv_field(c, col), what);
}

/* The cell as a finite number, or LV_EINVAL naming `what` it should be. */
static int cell_number(const struct lv_csv *c, int col, double *out, char **why, const char *what)
{
	if (lv_parse_double(lv_csv_field(c, col), out) != LV_OK || !isfinite(*out))
		return bad_cell(c, col, why, what);
	return LV_OK;
}

/* An optional column's cell: NAN when the column is absent or the cell empty. */
static int cell_optional(const struct lv_csv *c, int col, double lo, double *out, char **why,
                         const char *what)
{
	*out = NAN;
	if (col < 0 || lv_csv_field(c, col)[0] == '\0')
		return LV_OK;
	if (cell_number(c, col, out, why, what) != LV_OK)
		return LV_EINVAL;
	if (*out < lo)
		return bad_cell(c, col, why, what);
	return LV_OK;
}

/*
 * The budget cell, by the front end's parser (budget.h) and bounded by the
 * most an operator may allow (LV_BUDGET_CEILING_S): NAN when the column is
 * absent or the cell empty.
 */
static int cell_budget(const struct lv_csv *c, int col, double *out, char **why)
{
	char *w = NULL;

	*out = NAN;
	if (col < 0 || lv_csv_field(c, col)[0] == '\0')
		return LV_OK;
	const char *f = lv_csv_field(c, col);
	if (lv_budget_parse(f, strlen(f), LV_BUDGET_CEILING_S, out, &w) == LV_OK)
		return LV_OK;
	int rc = lv_fail(why, LV_EINVAL, "%s:%zu: %s: %s", lv_csv_origin(c), lv_csv_line(c),
	                 lv_csv_column_name(c, col), w);
	free(w);
	return rc;
}

static int read_row(const struct lv_csv *c, const struct cols *k, struct lv_request *r, char **why)
{
	double x;

	if (cell_number(c, k->time, &x, why, "a time in seconds >= 0") != LV_OK)
		return LV_EINVAL;
	if (x < 0)
		return bad_cell(c, k->time, why, "a time in seconds >= 0");
	r->time_s = x;

	const char *pos_int = "a positive integer";
	if (cell_number(c, k->frames, &x, why, pos_int) != LV_OK)
		return LV_EINVAL;
	if (x < 1 || x > UINT32_MAX || x != floor(x))
		return bad_cell(c, k->frames, why, pos_int);
	r->frames = (uint32_t)x;

	const char *cam = "a camera index (an integer >= 0)";
	if (cell_number(c, k->camera, &x, why, cam) != LV_OK)
		return LV_EINVAL;
	if (x < 0 || x > INT_MAX || x != floor(x))
		return bad_cell(c, k->camera, why, cam);
	r->camera = (int)x;

	if (cell_optional(c, k->throughput, 0, &r->throughput, why, "a number >= 0"))
		return LV_EINVAL;
	return cell_budget(c, k->budget, &r->budget_s, why);
}

static int find_columns(const struct lv_csv *c, struct cols *k, char **why)
{
	k->time = lv_csv_require(c, LV_TRACE_COL_TIME, why);
	if (k->time < 0)
		return LV_EINVAL;
	k->frames = lv_csv_require(c, LV_TRACE_COL_FRAMES, why);
	if (k->frames < 0)
		return LV_EINVAL;
	k->camera = lv_csv_require(c, LV_TRACE_COL_CAMERA, why);
	if (k->camera < 0)
		return LV_EINVAL;
	k->throughput = lv_csv_find(c, LV_TRACE_COL_THROUGHPUT);
	k->budget = lv_csv_find(c, LV_TRACE_COL_BUDGET);
	return LV_OK;
}

/* Reads every row of an opened file; takes ownership of c. */
static struct lv_trace *read_all(struct lv_csv *c, char **why)
{
	struct lv_trace *t = NULL;
	struct lv_request *v = NULL;
	size_t n = 0, cap = 0;
	struct cols k;
	int rc;

	if (!c || find_columns(c, &k, why) != LV_OK)
		goto out;
	while ((rc = lv_csv_next(c, why)) == 1) {
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			v = lv_xrealloc(v, cap * sizeof *v);
		}
		if (read_row(c, &k, &v[n], why) != LV_OK)
			goto out;
		n++;
	}
	if (rc < 0)
		goto out;
	if (n == 0) {
		lv_fail(why, LV_EINVAL, "%s: no requests (the trace is empty)", lv_csv_origin(c));
		goto out;
	}
	t = lv_xcalloc(1, sizeof *t);
	t->n = n;
	t->reqs = v;
	v = NULL;
	lv_trace_sort(t);
out:
	free(v);
	lv_csv_free(c);
	return t;
}

struct lv_trace *lv_trace_load(const char *path, char **why)
{
	return read_all(lv_csv_open(path, why), why);
}

struct lv_trace *lv_trace_parse(const char *text, size_t len, const char *name, char **why)
{
	return read_all(lv_csv_from_text(text, len, name, why), why);
}

void lv_trace_free(struct lv_trace *t)
{
	if (!t)
		return;
	free(t->reqs);
	free(t);
}

/* Merge sort on time_s: stable, O(n log n) even for reversed files. */
static void merge_sort(struct lv_request *v, struct lv_request *tmp, size_t n)
{
	if (n < 2)
		return;
	size_t h = n / 2;
	merge_sort(v, tmp, h);
	merge_sort(v + h, tmp, n - h);
	if (v[h - 1].time_s <= v[h].time_s)
		return;
	size_t i = 0, j = h, o = 0;
	while (i < h && j < n)
		tmp[o++] = v[j].time_s < v[i].time_s ? v[j++] : v[i++];
	while (i < h)
		tmp[o++] = v[i++];
	while (j < n)
		tmp[o++] = v[j++];
	memcpy(v, tmp, n * sizeof *v);
}

void lv_trace_sort(struct lv_trace *t)
{
	if (t->n < 2)
		return;
	struct lv_request *tmp = lv_xcalloc(t->n, sizeof *tmp);
	merge_sort(t->reqs, tmp, t->n);
	free(tmp);
}

/* ---- saving ------------------------------------------------------------ */

struct sbuf {
	char *s;
	size_t len, cap;
};

static void sbuf_add(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap ? 2 * b->cap : 4096;
		b->s = lv_xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

/* The shortest fixed-point text that reads back to x; %.17g past 1e15. */
static void add_double(struct sbuf *b, double x)
{
	char tmp[64];
	if (fabs(x) < 1e15) {
		for (int prec = 0; prec <= 17; prec++) {
			snprintf(tmp, sizeof tmp, "%.*f", prec, x);
			if (strtod(tmp, NULL) == x) {
				sbuf_add(b, tmp);
				return;
			}
		}
	}
	snprintf(tmp, sizeof tmp, "%.17g", x);
	sbuf_add(b, tmp);
}

char *lv_trace_format(const struct lv_trace *t, size_t *len_out)
{
	struct sbuf b = { 0 };
	int thr = 0, bud = 0;
	char tmp[64];

	for (size_t i = 0; i < t->n; i++) {
		thr |= !isnan(t->reqs[i].throughput);
		bud |= !isnan(t->reqs[i].budget_s);
	}
	sbuf_add(&b, LV_TRACE_COL_TIME "," LV_TRACE_COL_FRAMES "," LV_TRACE_COL_CAMERA);
	if (thr)
		sbuf_add(&b, "," LV_TRACE_COL_THROUGHPUT);
	if (bud)
		sbuf_add(&b, "," LV_TRACE_COL_BUDGET);
	sbuf_add(&b, "\n");
	for (size_t i = 0; i < t->n; i++) {
		const struct lv_request *r = &t->reqs[i];
		add_double(&b, r->time_s);
		snprintf(tmp, sizeof tmp, ",%lu,%d", (unsigned long)r->frames, r->camera);
		sbuf_add(&b, tmp);
		if (thr) {
			sbuf_add(&b, ",");
			if (!isnan(r->throughput))
				add_double(&b, r->throughput);
		}
		if (bud) {
			sbuf_add(&b, ",");
			if (!isnan(r->budget_s))
				add_double(&b, r->budget_s);
		}
		sbuf_add(&b, "\n");
	}
	if (len_out)
		*len_out = b.len;
	return b.s;
}

int lv_trace_save(const struct lv_trace *t, const char *path, char **why)
{
	if (t->n == 0)
		return lv_fail(why, LV_EINVAL, "%s: not saving an empty trace", path);
	size_t len = 0;
	char *text = lv_trace_format(t, &len);
	int rc = lv_write_file_atomic(path, text, len, why);
	free(text);
	return rc;
}

/* ---- summaries --------------------------------------------------------- */

static int cmp_int(const void *x, const void *y)
{
	int a = *(const int *)x, b = *(const int *)y;
	return (a > b) - (a < b);
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

static size_t count_cameras(const struct lv_trace *t)
{
	int *cam = lv_xcalloc(t->n, sizeof *cam);
	for (size_t i = 0; i < t->n; i++)
		cam[i] = t->reqs[i].camera;
	qsort(cam, t->n, sizeof *cam, cmp_int);
	size_t k = 1;
	for (size_t i = 1; i < t->n; i++)
		k += cam[i] != cam[i - 1];
	free(cam);
	return k;
}

static void budget_stats(const struct lv_trace *t, struct lv_trace_stats *s)
{
	double *b = lv_xcalloc(t->n, sizeof *b);
	size_t m = 0;
	for (size_t i = 0; i < t->n; i++)
		if (!isnan(t->reqs[i].budget_s))
			b[m++] = t->reqs[i].budget_s;
	s->budgets = m;
	if (m > 0) {
		qsort(b, m, sizeof *b, cmp_double);
		s->budget_min_s = b[0];
		s->budget_max_s = b[m - 1];
		s->budget_median_s = m % 2 ? b[m / 2] : (b[m / 2 - 1] + b[m / 2]) / 2;
	}
	free(b);
}

/*
 * The trace must be sorted by time (as loaded or generated): the peak is
 * found by grouping neighbours in the same 1 s window.
 */
void lv_trace_stats(const struct lv_trace *t, struct lv_trace_stats *s)
{
	memset(s, 0, sizeof *s);
	s->budget_min_s = s->budget_median_s = s->budget_max_s = NAN;
	s->first_s = s->last_s = NAN;
	if (t->n == 0)
		return;
	s->requests = t->n;
	s->first_s = t->reqs[0].time_s;
	s->last_s = t->reqs[t->n - 1].time_s;
	s->cameras = count_cameras(t);

	uint64_t window = 0;
	for (size_t i = 0; i < t->n; i++) {
		s->frames += t->reqs[i].frames;
		if (i > 0 && floor(t->reqs[i].time_s) != floor(t->reqs[i - 1].time_s))
			window = 0;
		window += t->reqs[i].frames;
		if ((double)window > s->peak_fps)
			s->peak_fps = (double)window;
	}
	s->mean_fps = (double)s->frames / (floor(s->last_s) + 1);
	budget_stats(t, s);
}

void lv_trace_rate(const struct lv_trace *t, double bucket_s, size_t n_buckets, double *fps_out)
{
	for (size_t i = 0; i < n_buckets; i++)
		fps_out[i] = 0;
	for (size_t i = 0; i < t->n; i++) {
		double k = floor(t->reqs[i].time_s / bucket_s);
		if (k >= 0 && k < (double)n_buckets)
			fps_out[(size_t)k] += t->reqs[i].frames;
	}
	for (size_t i = 0; i < n_buckets; i++)
		fps_out[i] /= bucket_s;
}
