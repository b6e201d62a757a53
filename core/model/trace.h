/*
 * trace: workload traces — what the cameras send, when. A trace is a list of
 * requests (a camera posts N frames at time t, optionally with a latency
 * budget); the simulator replays it and the live load generator posts it.
 *
 * File format: CSV with a header row, the thesis's columns
 *
 *     Time,Frames After Filter,Camera Index[,Throughput][,latency_constraint]
 *
 * `Time` is seconds from the trace start (>= 0), `Frames After Filter` the
 * frames in the request (a positive integer), `Camera Index` a non-negative
 * integer, `Throughput` an optional non-negative number carried through
 * untouched, `latency_constraint` the optional budget in seconds: a plain
 * decimal number > 0 and at most LV_BUDGET_CEILING_S, read by the front
 * end's parser (budget.h), so "0x10", " 5" or "1e9" are errors here too.
 * Columns may come in any order; unknown columns are ignored. In an optional
 * column an empty cell means "absent for this request" (NAN in memory).
 *
 * A file whose rows are out of time order is accepted and sorted stably by
 * time, so requests with equal times keep their file order. A negative or
 * non-finite time, a bad cell, a missing required column or a file with no
 * requests is an error; loading is all or nothing.
 *
 * The seeded camera generator (the thesis's camera model) is documented at
 * struct lv_trace_gen_params below and implemented in trace_gen.c.
 */
#ifndef LV_TRACE_H
#define LV_TRACE_H

#include <stddef.h>
#include <stdint.h>

struct lv_request {
	double time_s;     /* arrival, seconds from the trace start, >= 0 */
	uint32_t frames;   /* frames in this request, >= 1 */
	int camera;        /* camera index, >= 0 */
	double throughput; /* the thesis's Throughput column as given; NAN if absent */
	double budget_s;   /* latency budget in seconds, > 0; NAN if absent */
};

struct lv_trace {
	size_t n;                /* >= 1 for a loaded or generated trace */
	struct lv_request *reqs; /* n requests, sorted by time_s */
};

/* Column names, exactly as the files spell them. */
#define LV_TRACE_COL_TIME       "Time"
#define LV_TRACE_COL_FRAMES     "Frames After Filter"
#define LV_TRACE_COL_CAMERA     "Camera Index"
#define LV_TRACE_COL_THROUGHPUT "Throughput"
#define LV_TRACE_COL_BUDGET     "latency_constraint"

/*
 * Loads a trace file. Returns a new trace (caller frees with lv_trace_free)
 * or NULL with *why set to one line naming the file, line, column and value,
 * e.g. "t.csv:14: Frames After Filter: '-3' is not a positive integer".
 */
struct lv_trace *lv_trace_load(const char *path, char **why);

/*
 * Parses trace CSV text of `len` bytes; `name` is used in messages in place
 * of a file name. Same contract as lv_trace_load.
 */
struct lv_trace *lv_trace_parse(const char *text, size_t len, const char *name, char **why);

/*
 * Formats a trace as CSV: Time, Frames After Filter, Camera Index, then
 * Throughput and latency_constraint only when some request has them. Numbers
 * are printed in the shortest form that reads back to the same double, so
 * save -> load is exact and the same trace always gives the same bytes.
 * Returns a NUL-terminated string (caller frees); its length in *len_out.
 */
char *lv_trace_format(const struct lv_trace *t, size_t *len_out);

/* Writes lv_trace_format's text to `path` atomically. 0 or LV_EIO with *why. */
int lv_trace_save(const struct lv_trace *t, const char *path, char **why);

/* Sorts requests by time, stably. */
void lv_trace_sort(struct lv_trace *t);

/* Frees a trace; NULL is fine. */
void lv_trace_free(struct lv_trace *t);

/*
 * Summary figures of a trace, as `loudva trace show` prints them. Rates are
 * counted in 1 s windows [k, k+1) from time 0 through the window holding the
 * last request; mean_fps = frames / that many windows.
 */
struct lv_trace_stats {
	size_t requests;
	uint64_t frames;
	size_t cameras;         /* distinct camera indices */
	double first_s, last_s; /* first and last request times */
	double mean_fps;        /* frames per second over the 1 s windows */
	double peak_fps;        /* most frames in any one 1 s window */
	size_t budgets;         /* requests that carry a budget */
	double budget_min_s, budget_median_s, budget_max_s; /* NAN when budgets == 0 */
};

void lv_trace_stats(const struct lv_trace *t, struct lv_trace_stats *out);

/*
 * Frames per second in n_buckets buckets of bucket_s seconds from time 0:
 * fps_out[i] = frames of requests with time in [i*bucket_s, (i+1)*bucket_s)
 * divided by bucket_s. Requests past the last bucket are not counted.
 * bucket_s > 0, n_buckets > 0.
 */
void lv_trace_rate(const struct lv_trace *t, double bucket_s, size_t n_buckets, double *fps_out);

/*
 * The camera generator. Each of `cameras` cameras (indices 0..C-1) draws:
 *   - fps uniformly from {10, 15, 30} and a period uniformly from
 *     {0.5, 1, 3, 5, 10} s;
 *   - 1..windows active windows (count uniform), each starting uniformly in
 *     [0, last_entry_s] and lasting uniformly [min_active_s, max_active_s],
 *     clipped to [0, duration_s). Starts and lengths are rounded to 1 ms so
 *     traces print exactly.
 * Overlapping or touching windows merge: the camera is active in their union
 * and never sends twice in one period. In each merged window the camera sends
 * its first request at the window start and then one every period while
 * still inside the window; a window that starts less than a period after the
 * camera's previous request starts at previous + period instead (so a
 * camera's requests are always at least a period apart). Each request carries
 * max(1, floor(fps * period * (1 - p))) frames, p uniform in [0.51, 0.97)
 * (the motion filter drops fraction p).
 *
 * Rate cap (rate_cap_fps > 0): in every 1 s window [k, k+1) whose frames
 * exceed floor(rate_cap_fps), each request is scaled to
 * max(1, floor(frames * cap / total)), then the largest are trimmed by one
 * (earliest first) until the window total is <= the cap. A camera sends at
 * most twice in a 1 s window, so the cap must be 0 or >= 2 * cameras; then
 * it always holds.
 *
 * Budget: budget_s > 0 gives every request that budget; budget_s == 0 draws
 * for each request an integer uniformly in [ceil(lo), 21] s with
 * lo = min(max(0.9 * frames, 1), 13.5), frames being the final (capped)
 * count. Throughput is left absent.
 *
 * Randomness: camera c draws everything (its fps, period, windows, and per
 * request p and the budget's uniform) from its own stream seeded from
 * (seed, c), so the same seed gives the same trace on every machine, and
 * adding cameras leaves the others' requests unchanged when there is no cap.
 * Requests are sorted by time, ties by camera index.
 */
struct lv_trace_gen_params {
	int cameras;         /* C, >= 1 [2] */
	uint64_t seed;       /* [1] */
	double duration_s;   /* > 0 [300] */
	int windows;         /* E, most active windows per camera, >= 1 [5] */
	double min_active_s; /* >= 0 [5] */
	double max_active_s; /* >= min_active_s [200] */
	double last_entry_s; /* latest window start, >= 0 [200] */
	double rate_cap_fps; /* 0 = none, else >= 2 * cameras [0] */
	double budget_s;     /* > 0 fixed (at most LV_BUDGET_CEILING_S), 0 = random [0] */
};

/* One camera's draws, for callers that want to see or check the model. */
struct lv_trace_gen_camera {
	int fps;          /* frames per second: 10, 15 or 30 */
	double period_s;  /* 0.5, 1, 3, 5 or 10 */
	size_t n_windows; /* 1..windows */
	double *start_s;  /* n_windows drawn starts, before merging */
	double *length_s; /* n_windows drawn lengths, before clipping */
};

#define LV_TRACE_GEN_MAX_CAMERAS 100000
#define LV_TRACE_GEN_MAX_WINDOWS 10000
/* Bound on 2 * cameras * duration_s (the most requests a trace could hold),
 * so a typo cannot ask for gigabytes: 20 M requests is ~1.7 GB at worst. */
#define LV_TRACE_GEN_MAX_REQUESTS 20000000

/* Fills the defaults shown in brackets above. */
void lv_trace_gen_defaults(struct lv_trace_gen_params *p);

/* 0 or LV_EINVAL with *why naming the parameter and its bad value. */
int lv_trace_gen_check(const struct lv_trace_gen_params *p, char **why);

/*
 * Generates a trace. Returns a new trace (caller frees), or NULL with *why
 * when the parameters are bad or no camera is ever active. When cams_out is
 * non-NULL it receives an array of p->cameras camera draws (caller frees with
 * lv_trace_gen_cameras_free).
 */
struct lv_trace *lv_trace_generate(const struct lv_trace_gen_params *p,
                                   struct lv_trace_gen_camera **cams_out, char **why);

void lv_trace_gen_cameras_free(struct lv_trace_gen_camera *cams, int n);

#endif
