/*
 * runmetrics: the column tables of a run's figures and their number format
 * (see runmetrics.h). The tables are indexed by the column enums, so a
 * column's id, name and source are written on one line each; adding a
 * column means one enum member and one line here, and every output
 * (sim, serve, report.json, report.csv) gains it.
 */
#include "runmetrics.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define M(f) offsetof(struct lv_run_metrics, f)
#define N(f) offsetof(struct lv_engine_counts, f)

static const struct lv_run_col run_cols[LV_RC_COUNT] = {
	[LV_RC_FRAMES] = { "frames", "frames", LV_RS_METRICS_U64, M(frames) },
	[LV_RC_ACCEPTED] = { "accepted", "frames", LV_RS_COUNTS_U64, N(received) },
	[LV_RC_SERVED] = { "frames_served", "frames", LV_RS_METRICS_U64, M(served) },
	[LV_RC_OK] = { "ok", "frames", LV_RS_METRICS_U64, M(ok) },
	[LV_RC_LATE] = { "late", "frames", LV_RS_METRICS_U64, M(late) },
	[LV_RC_FAILED] = { "failed", "frames", LV_RS_METRICS_U64, M(failed) },
	[LV_RC_EXPIRED] = { "expired", "frames", LV_RS_METRICS_U64, M(expired) },
	[LV_RC_REJECTED] = { "rejected", "frames", LV_RS_METRICS_U64, M(rejected) },
	[LV_RC_REQUESTS] = { "requests", "requests", LV_RS_METRICS_U64, M(requests) },
	[LV_RC_REQ_OK] = { "requests_within_budget", "requests", LV_RS_METRICS_U64,
	                   M(requests_ok) },
	[LV_RC_REQ_SERVED] = { "requests_served", "requests", LV_RS_METRICS_U64,
	                       M(requests_served) },
	[LV_RC_WINDOW] = { "window_s", "s", LV_RS_METRICS_DBL, M(window_s) },
	[LV_RC_ENERGY] = { "energy_j", "J", LV_RS_METRICS_DBL, M(energy_j) },
	[LV_RC_POWER] = { "mean_power_w", "W", LV_RS_MEAN_POWER, 0 },
	[LV_RC_FPJ] = { "frames_per_joule", "frames/J", LV_RS_METRICS_DBL, M(frames_per_j) },
	[LV_RC_RPJ] = { "requests_per_joule", "requests/J", LV_RS_METRICS_DBL, M(requests_per_j) },
	[LV_RC_PCT_OK] = { "pct_frames_within_budget", "%", LV_RS_METRICS_DBL, M(pct_frames_ok) },
	[LV_RC_PCT_REQ_OK] = { "pct_requests_within_budget", "%", LV_RS_METRICS_DBL,
	                       M(pct_requests_ok) },
	[LV_RC_P50] = { "latency_p50_s", "s", LV_RS_METRICS_DBL, M(latency_p50_s) },
	[LV_RC_P95] = { "latency_p95_s", "s", LV_RS_METRICS_DBL, M(latency_p95_s) },
	[LV_RC_P99] = { "latency_p99_s", "s", LV_RS_METRICS_DBL, M(latency_p99_s) },
	[LV_RC_LAT_MEAN] = { "latency_mean_s", "s", LV_RS_METRICS_DBL, M(latency_mean_s) },
	[LV_RC_EXCESS] = { "mean_excess_s", "s", LV_RS_METRICS_DBL, M(mean_excess_s) },
	[LV_RC_BATCHES] = { "batches", "batches", LV_RS_COUNTS_U64, N(batches_dispatched) },
	[LV_RC_DECISIONS] = { "decisions", "decisions", LV_RS_COUNTS_U64, N(decisions) },
	[LV_RC_BOUND_J] = { "bound_energy_j", "J", LV_RS_METRICS_DBL, M(bound.energy_j) },
	[LV_RC_BOUND_FPJ] = { "bound_frames_per_joule", "frames/J", LV_RS_METRICS_DBL,
	                      M(bound.frames_per_j) },
	[LV_RC_BOUND_FRAC] = { "bound_fraction", "1", LV_RS_METRICS_DBL, M(bound_fraction) },
	[LV_RC_TRACE_BOUND_J] = { "trace_bound_energy_j", "J", LV_RS_METRICS_DBL,
	                          M(trace_bound_j) },
	[LV_RC_BUSY_J] = { "busy_energy_j", "J", LV_RS_METRICS_DBL, M(busy_energy_j) },
	[LV_RC_CHANGE_J] = { "clock_change_energy_j", "J", LV_RS_METRICS_DBL, M(change_energy_j) },
	[LV_RC_IDLE_J] = { "idle_energy_j", "J", LV_RS_METRICS_DBL, M(idle_energy_j) },
	[LV_RC_CLOCK] = { "mean_clock_mhz", "MHz", LV_RS_METRICS_DBL, M(mean_clock_mhz) },
	[LV_RC_LOWEST] = { "lowest_clock_pct", "%", LV_RS_METRICS_DBL, M(lowest_clock_pct) },
	[LV_RC_TOP] = { "top_clock_pct", "%", LV_RS_METRICS_DBL, M(top_clock_pct) },
};

#undef M
#undef N

const struct lv_run_col *lv_run_col(int id)
{
	assert(id >= 0 && id < LV_RC_COUNT);
	return &run_cols[id];
}

static double u64_at(const void *base, size_t offset)
{
	uint64_t v;
	memcpy(&v, (const char *)base + offset, sizeof(v));
	return (double)v;
}

static double dbl_at(const void *base, size_t offset)
{
	double v;
	memcpy(&v, (const char *)base + offset, sizeof(v));
	return v;
}

double lv_run_col_value(int id, const struct lv_run_metrics *m, const struct lv_engine_counts *n)
{
	const struct lv_run_col *c = lv_run_col(id);
	switch (c->src) {
	case LV_RS_METRICS_U64: return u64_at(m, c->offset);
	case LV_RS_METRICS_DBL: return dbl_at(m, c->offset);
	case LV_RS_COUNTS_U64: return n ? u64_at(n, c->offset) : NAN;
	case LV_RS_MEAN_POWER: return m->window_s > 0 ? m->energy_j / m->window_s : NAN;
	}
	return NAN;
}

/* ---- devices ------------------------------------------------------------------ */

struct dev_col {
	const char *name;
	int is_u64;
	size_t offset;
};

#define D(f) offsetof(struct lv_device_metrics, f)
static const struct dev_col dev_cols[LV_DC_COUNT] = {
	[LV_DC_FRAMES] = { "frames", 1, D(frames) },
	[LV_DC_BATCHES] = { "batches", 1, D(batches) },
	[LV_DC_BUSY] = { "busy_s", 0, D(busy_s) },
	[LV_DC_AVG_FREQ] = { "avg_freq_hz", 0, D(avg_freq_hz) },
	[LV_DC_ENERGY] = { "energy_j", 0, D(energy_j) },
};
#undef D

const char *lv_dev_col_name(int id)
{
	assert(id >= 0 && id < LV_DC_COUNT);
	return dev_cols[id].name;
}

double lv_dev_col_value(int id, const struct lv_device_metrics *d)
{
	assert(id >= 0 && id < LV_DC_COUNT);
	const struct dev_col *c = &dev_cols[id];
	return c->is_u64 ? u64_at(d, c->offset) : dbl_at(d, c->offset);
}

/* ---- text ----------------------------------------------------------------------- */

const char *lv_run_num_text(char buf[LV_RUN_NUM_MAX], double v, const char *none)
{
	if (!isfinite(v)) {
		snprintf(buf, LV_RUN_NUM_MAX, "%s", none);
		return buf;
	}
	/* Not cJSON's printing, which keeps 15 digits when they read back within an
	 * epsilon: a window read from a report would not be the run's. */
	lv_num_exact(buf, v);
	return buf;
}

void lv_run_cols_csv_header(struct lv_buf *b)
{
	for (int k = 0; k < LV_RC_COUNT; k++)
		lv_buf_printf(b, ",%s", run_cols[k].name);
}

void lv_run_cols_csv_row(struct lv_buf *b, const struct lv_run_metrics *m,
                         const struct lv_engine_counts *n)
{
	char num[LV_RUN_NUM_MAX];
	for (int k = 0; k < LV_RC_COUNT; k++)
		lv_buf_printf(b, ",%s", lv_run_num_text(num, lv_run_col_value(k, m, n), ""));
}
