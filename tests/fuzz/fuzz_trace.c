/*
 * fuzz_trace: workload traces (core/model/trace.h) from arbitrary bytes. A
 * trace that loads must keep the header's promises (n >= 1, sorted by time,
 * frames >= 1, camera >= 0, time >= 0, budget NAN or > 0) and must come back
 * unchanged through lv_trace_format and lv_trace_parse ("save -> load is
 * exact").
 */
#include "harness.h"

#include <math.h>

#include "model/trace.h"

static int same(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

static void check_trace(const struct lv_trace *t)
{
	fuzz_check(t->n >= 1, "a loaded trace has no requests");
	for (size_t i = 0; i < t->n; i++) {
		const struct lv_request *r = &t->reqs[i];
		fuzz_check(r->time_s >= 0 && isfinite(r->time_s), "time_s < 0 or not finite");
		fuzz_check(r->frames >= 1, "frames < 1");
		fuzz_check(r->camera >= 0, "camera < 0");
		fuzz_check(isnan(r->budget_s) || r->budget_s > 0, "budget_s <= 0");
		fuzz_check(i == 0 || t->reqs[i - 1].time_s <= r->time_s, "not sorted by time");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_bytes(data, size), *why = NULL;
	struct lv_trace *t = lv_trace_parse(text, size, "fuzz.csv", &why);
	free(text);
	if (!t) {
		fuzz_check(why != NULL, "lv_trace_parse failed without a message");
		free(why);
		return 0;
	}
	check_trace(t);
	struct lv_trace_stats st;
	lv_trace_stats(t, &st);
	fuzz_check(st.requests == t->n, "stats count another number of requests");
	double fps[8];
	lv_trace_rate(t, 1.0, 8, fps);

	size_t len = 0;
	char *out = lv_trace_format(t, &len);
	struct lv_trace *back = lv_trace_parse(out, len, "formatted", &why);
	if (!back)
		fprintf(stderr, "formatted trace does not load: %s\n", why ? why : "?");
	fuzz_check(back != NULL, "a formatted trace does not load again");
	fuzz_check(back->n == t->n, "round trip changes the number of requests");
	for (size_t i = 0; i < t->n; i++) {
		const struct lv_request *a = &t->reqs[i], *b = &back->reqs[i];
		fuzz_check(a->time_s == b->time_s && a->frames == b->frames &&
		               a->camera == b->camera && same(a->throughput, b->throughput) &&
		               same(a->budget_s, b->budget_s),
		           "round trip changes a request");
	}
	free(out);
	lv_trace_free(back);
	lv_trace_free(t);
	return 0;
}
