/*
 * reqlog: reading a controller's request log, and what it says of the
 * workload the controller received (reqlog.h).
 */
#include "reqlog.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "base/util.h"
#include "trace.h"

static int read_row(struct lv_csv *c, const int *col, struct lv_reqlog_row *r, char **why)
{
	enum { ID, ARR, EXIT, DONE, BUDGET, TO };
	memset(r, 0, sizeof(*r));
	const char *id = lv_csv_field(c, col[ID]);
	if (strlen(id) >= sizeof(r->req))
		return lv_csv_fail(c, col[ID], why, LV_EINVAL, "longer than %zu characters",
		                   sizeof(r->req) - 1);
	snprintf(r->req, sizeof(r->req), "%s", id);
	const char *to = lv_csv_field(c, col[TO]);
	if (strcmp(to, "True") && strcmp(to, "False"))
		return lv_csv_fail(c, col[TO], why, LV_EINVAL, "'%s' is not True or False", to);
	r->timed_out = !strcmp(to, "True");
	int rc = lv_csv_double(c, col[ARR], &r->arrival, why);
	if (rc == LV_OK && !isfinite(r->arrival))
		rc = lv_csv_fail(c, col[ARR], why, LV_EINVAL, "not a finite time");
	if (rc == LV_OK && lv_csv_field(c, col[EXIT])[0]) {
		r->has_exit = 1;
		rc = lv_csv_double(c, col[EXIT], &r->exit, why);
	}
	r->done = NAN;
	if (rc == LV_OK && lv_csv_field(c, col[DONE])[0])
		rc = lv_csv_double(c, col[DONE], &r->done, why);
	if (rc == LV_OK)
		rc = lv_csv_double(c, col[BUDGET], &r->budget_s, why);
	if (rc == LV_OK && !(r->budget_s > 0 && isfinite(r->budget_s)))
		rc = lv_csv_fail(c, col[BUDGET], why, LV_EINVAL, "a budget must be > 0 seconds");
	return rc;
}

int lv_reqlog_load(const char *path, struct lv_reqlog *out, char **why)
{
	static const char *const NAMES[] = { "Request ID",        "Arrival Time",
		                             "Queue Exit Time",   "Completion Time",
		                             "Requested Latency", "Timed Out" };
	struct lv_csv *c = lv_csv_open(path, why);
	if (!c)
		return LV_EIO;
	int col[6], rc = LV_OK;
	for (size_t k = 0; k < 6 && rc == LV_OK; k++)
		if ((col[k] = lv_csv_require(c, NAMES[k], why)) < 0)
			rc = LV_EINVAL;
	while (rc == LV_OK && (rc = lv_csv_next(c, why)) == 1) {
		if (out->n == out->cap) {
			out->cap = out->cap ? out->cap * 2 : 1024;
			out->v = lv_xrealloc(out->v, out->cap * sizeof(*out->v));
		}
		rc = read_row(c, col, &out->v[out->n], why);
		if (rc == LV_OK)
			out->n++;
	}
	if (rc == LV_OK && out->n == 0)
		rc = lv_fail(why, LV_EINVAL, "%s: no rows", path);
	lv_csv_free(c);
	return rc < 0 ? rc : LV_OK;
}

void lv_reqlog_fini(struct lv_reqlog *log)
{
	free(log->v);
	memset(log, 0, sizeof(*log));
}

static int cmp_row_id(const void *a, const void *b)
{
	const struct lv_reqlog_row *x = *(const struct lv_reqlog_row *const *)a;
	const struct lv_reqlog_row *y = *(const struct lv_reqlog_row *const *)b;
	return strcmp(x->req, y->req);
}

struct lv_trace *lv_reqlog_trace(const struct lv_reqlog *log, double first_s, char **why)
{
	if (log->n == 0) {
		lv_fail(why, LV_EINVAL, "the request log has no rows");
		return NULL;
	}
	const struct lv_reqlog_row **by = lv_xcalloc(log->n, sizeof(*by));
	double t0 = INFINITY;
	for (size_t i = 0; i < log->n; i++) {
		by[i] = &log->v[i];
		if (log->v[i].arrival < t0)
			t0 = log->v[i].arrival;
	}
	qsort(by, log->n, sizeof(*by), cmp_row_id);
	struct lv_trace *t = lv_xcalloc(1, sizeof(*t));
	t->reqs = lv_xcalloc(log->n, sizeof(*t->reqs));
	for (size_t i = 0; i < log->n; i++) {
		const struct lv_reqlog_row *r = by[i];
		if (i > 0 && !strcmp(r->req, by[i - 1]->req)) {
			struct lv_request *q = &t->reqs[t->n - 1];
			if (r->arrival - t0 + first_s != q->time_s || r->budget_s != q->budget_s) {
				lv_fail(
				    why, LV_EINVAL,
				    "request %s: its frames disagree on the arrival (%.6f, %.6f) "
				    "or the budget (%g s, %g s)",
				    r->req, by[i - 1]->arrival, r->arrival, by[i - 1]->budget_s,
				    r->budget_s);
				lv_trace_free(t);
				t = NULL;
				break;
			}
			q->frames++;
			continue;
		}
		t->reqs[t->n++] = (struct lv_request){
			.time_s = r->arrival - t0 + first_s,
			.frames = 1,
			.camera = 0,
			.throughput = NAN,
			.budget_s = r->budget_s,
		};
	}
	free(by);
	if (t)
		lv_trace_sort(t);
	return t;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The q-quantile of sorted x[n] (n >= 1), the order statistic at floor(q * (n - 1)). */
static double quantile(const double *x, size_t n, double q)
{
	return x[(size_t)floor(q * (double)(n - 1))];
}

int lv_reqlog_admission(const struct lv_reqlog *log, const struct lv_trace *scenario,
                        struct lv_admission *out, char **why)
{
	uint64_t want = 0;
	for (size_t i = 0; i < scenario->n; i++)
		want += scenario->reqs[i].frames;
	if (log->n == 0 || want != log->n)
		return lv_fail(why, LV_EINVAL,
		               "the request log holds %zu frames, the scenario sends %llu", log->n,
		               (unsigned long long)want);
	double *arr = lv_xcalloc(log->n, sizeof(double));
	double *sent = lv_xcalloc(log->n, sizeof(double));
	size_t k = 0;
	for (size_t i = 0; i < scenario->n; i++) /* requests are sorted by time */
		for (uint32_t f = 0; f < scenario->reqs[i].frames; f++)
			sent[k++] = scenario->reqs[i].time_s;
	for (size_t i = 0; i < log->n; i++)
		arr[i] = log->v[i].arrival;
	qsort(arr, log->n, sizeof(double), cmp_dbl);
	double off = INFINITY;
	for (size_t i = 0; i < log->n; i++) {
		arr[i] -= sent[i];
		if (arr[i] < off)
			off = arr[i];
	}
	for (size_t i = 0; i < log->n; i++)
		arr[i] -= off;
	qsort(arr, log->n, sizeof(double), cmp_dbl);
	*out = (struct lv_admission){
		.frames = log->n,
		.median_s = quantile(arr, log->n, 0.5),
		.p90_s = quantile(arr, log->n, 0.9),
		.max_s = arr[log->n - 1],
	};
	free(arr);
	free(sent);
	return LV_OK;
}
