/*
 * workload: the synthetic camera workload that keeps the embedded cluster
 * alive under the console — the seeded camera generator's requests
 * (core/trace.h), replayed against the wall clock as synthetic
 * preprocessed frames handed straight to the engine (lv_live_submit with
 * no tensors: the dispatcher sends zeros, the emulated Triton answers as
 * for any frame). It goes through the same hand-off as the HTTP front end,
 * minus the JPEG decoding.
 *
 * Two threads: the generator submits at each request's time, the reaper
 * waits for answers in submission order and frees them. A trace that ends
 * is followed by the next seed's, so the load never stops by itself.
 * Toggling it off skips requests (time keeps running), so switching it
 * back on resumes mid-trace rather than replaying a burst.
 */
#ifndef LV_WORKLOAD_H
#define LV_WORKLOAD_H

#include <stdint.h>

struct lv_live;
struct lv_workload;

struct lv_workload_config {
	int cameras;       /* [6] */
	uint64_t seed;     /* [1] */
	double duration_s; /* one trace's length before the next seed [300] */
	int on;            /* start submitting at once [1] */
};

void lv_workload_config_default(struct lv_workload_config *cfg);

/* Starts the threads; lv (borrowed) must outlive lv_workload_free. NULL with *why. */
struct lv_workload *lv_workload_start(struct lv_live *lv, const struct lv_workload_config *cfg,
                                      char **why);

void lv_workload_set(struct lv_workload *w, int on);
int lv_workload_on(struct lv_workload *w);

struct lv_workload_stats {
	int on, cameras;
	uint64_t requests, frames; /* submitted */
	uint64_t outstanding;      /* requests not yet answered */
};

void lv_workload_stats(struct lv_workload *w, struct lv_workload_stats *out);

/* Stops submitting (joins the generator). Requests already submitted stay outstanding. */
void lv_workload_stop(struct lv_workload *w);

/*
 * Waits for every outstanding request to be answered (call after
 * lv_live_shutdown, which answers them all), joins the reaper and frees.
 * Accepts NULL.
 */
void lv_workload_free(struct lv_workload *w);

#endif
