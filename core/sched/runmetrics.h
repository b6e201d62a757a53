/*
 * runmetrics: the one table of a run's figures as programs write them out
 * — `loudva sim --json`, `loudva serve --json`, report.json's "metrics" and
 * report.csv's columns (experiment_report.c) — so they cannot disagree on a
 * name, a unit or where a value comes from. Each column has one name (the
 * report's: frames_per_joule, as Prometheus spells it too), its unit, and
 * where it is read: a field of struct lv_run_metrics (metrics.h), a count
 * of struct lv_engine_counts (engine.h), or a figure derived from them.
 * The same for each device of a run (struct lv_device_metrics).
 *
 * Numbers are written in the shortest decimal form that reads back to the
 * same double (%.15g, %.16g or %.17g), so a report read back gives the
 * run's very bits. Libc only and no I/O: text goes into a char array or a
 * struct lv_buf (base/util.h); the callers own the files and the JSON trees.
 */
#ifndef LV_RUNMETRICS_H
#define LV_RUNMETRICS_H

#include <stddef.h>

#include "base/util.h"
#include "engine.h"
#include "metrics.h"

/* The columns, in the order every output writes them. */
enum lv_run_col_id {
	LV_RC_FRAMES,
	LV_RC_ACCEPTED,
	LV_RC_SERVED,
	LV_RC_OK,
	LV_RC_LATE,
	LV_RC_FAILED,
	LV_RC_EXPIRED,
	LV_RC_REJECTED,
	LV_RC_REQUESTS,
	LV_RC_REQ_OK,
	LV_RC_REQ_SERVED,
	LV_RC_WINDOW,
	LV_RC_ENERGY,
	LV_RC_POWER,
	LV_RC_FPJ,
	LV_RC_RPJ,
	LV_RC_PCT_OK,
	LV_RC_PCT_REQ_OK,
	LV_RC_P50,
	LV_RC_P95,
	LV_RC_P99,
	LV_RC_LAT_MEAN,
	LV_RC_EXCESS,
	LV_RC_BATCHES,
	LV_RC_DECISIONS,
	LV_RC_BOUND_J,
	LV_RC_BOUND_FPJ,
	LV_RC_BOUND_FRAC,
	LV_RC_TRACE_BOUND_J,
	LV_RC_BUSY_J,
	LV_RC_CHANGE_J,
	LV_RC_IDLE_J,
	LV_RC_CLOCK,
	LV_RC_LOWEST,
	LV_RC_TOP,
	LV_RC_COUNT
};

/* Where a column's value is read. */
enum lv_run_src {
	LV_RS_METRICS_U64, /* a uint64_t of struct lv_run_metrics, at offset */
	LV_RS_METRICS_DBL, /* a double of struct lv_run_metrics, at offset */
	LV_RS_COUNTS_U64,  /* a uint64_t of struct lv_engine_counts, at offset */
	LV_RS_MEAN_POWER,  /* energy_j / window_s; NAN for an empty window */
};

struct lv_run_col {
	const char *name; /* JSON key and CSV header: "frames_per_joule" */
	const char *unit; /* "frames", "J", "s", "W", "frames/J", "%", "1" (a ratio) */
	enum lv_run_src src;
	size_t offset;
};

/* Column id's description (0 <= id < LV_RC_COUNT). */
const struct lv_run_col *lv_run_col(int id);

/*
 * Column id's value for a run: NAN where metrics.h says the figure is
 * undefined, and for a count column when n is NULL (a driver without the
 * engine's counts).
 */
double lv_run_col_value(int id, const struct lv_run_metrics *m, const struct lv_engine_counts *n);

/* The per-device numbers of a run, in output order (a device's name and kind come first). */
enum lv_dev_col_id {
	LV_DC_FRAMES,
	LV_DC_BATCHES,
	LV_DC_BUSY,
	LV_DC_AVG_FREQ,
	LV_DC_ENERGY,
	LV_DC_COUNT
};

/* Device column id's key ("busy_s", ...; 0 <= id < LV_DC_COUNT). */
const char *lv_dev_col_name(int id);

/* Device column id's value for d. */
double lv_dev_col_value(int id, const struct lv_device_metrics *d);

/* Big enough for any number lv_run_num_text writes. */
#define LV_RUN_NUM_MAX LV_NUM_EXACT_MAX

/*
 * v in the shortest form that reads back to exactly v, into buf; `none`
 * (e.g. "" for CSV, "null" for JSON) when v is NAN or infinite. Returns buf.
 */
const char *lv_run_num_text(char buf[LV_RUN_NUM_MAX], double v, const char *none);

/* Appends ",name" for every column (a CSV header's tail). */
void lv_run_cols_csv_header(struct lv_buf *b);

/* Appends ",value" for every column, empty for NAN (a CSV row's tail). */
void lv_run_cols_csv_row(struct lv_buf *b, const struct lv_run_metrics *m,
                         const struct lv_engine_counts *n);

#endif
