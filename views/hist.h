/*
 * hist: the console's own history of each device — power, clock, batch
 * size, frames/s and batch latency — one sample per second of controller
 * time, taken from successive snapshots. The snapshot carries the
 * cluster's history; per-device history is the Device view's to keep (a
 * view's "history rings"), so the controller publishes no more than every
 * reader needs.
 *
 * Pure: no curses, no clock of its own (it reads snapshot->now_s).
 */
#ifndef LV_HIST_H
#define LV_HIST_H

#include <stddef.h>
#include <stdint.h>

#include "sched/snapshot.h"

struct lv_snapshot;

#define LV_HIST_LEN 600 /* samples kept per device and metric: 10 minutes */

enum lv_hist_metric {
	LV_HIST_POWER_W = 0,
	LV_HIST_CLOCK_MHZ,
	LV_HIST_BATCH,
	LV_HIST_FPS,
	LV_HIST_LATENCY_S, /* the last batch's least-slack frame: arrival to done (NAN: no batch) */
	LV_HIST_BUDGET_S,  /* that frame's budget (NAN likewise) */
	LV_HIST_SERVED,    /* frames served in that second (NAN: a second the UI missed) */
	LV_HIST_LATE,      /* of which late */
	LV_HIST_NMETRICS
};

struct lv_hist {
	size_t n_dev;
	long last_sec;          /* controller second of the newest sample; -1 before the first */
	size_t n, next;         /* samples held (<= LV_HIST_LEN), ring position of the next */
	float *data;            /* n_dev × LV_HIST_NMETRICS × LV_HIST_LEN */
	uint64_t *seen_batches; /* per device: batches counted at the last sample */
	uint64_t *seen_frames, *seen_late; /* per device: frames served and late, likewise */
};

void lv_hist_init(struct lv_hist *h);
void lv_hist_fini(struct lv_hist *h);

/*
 * Takes a sample per device for every whole controller second since the
 * last one (a stalled UI fills the gap with the current values). A change
 * in the number of devices, or a controller clock that went back, starts
 * the history over.
 */
void lv_hist_update(struct lv_hist *h, const struct lv_snapshot *s);

/* Copies device d's series of metric m, oldest first, into out (at most max); returns how many. */
size_t lv_hist_series(const struct lv_hist *h, size_t d, enum lv_hist_metric m, double *out,
                      size_t max);

/*
 * The cluster's late share in % of frames served, one value per second
 * sample (oldest first, at most max), each over the `window_s` seconds up
 * to it: NAN where no frame was served in the window. Returns how many.
 */
size_t lv_hist_late_share(const struct lv_hist *h, int window_s, double *out, size_t max);

/*
 * The device's clock is known: it is up (or draining) and has reported
 * telemetry. A device never reached, or down, has only the controller's
 * assumption in freq_hz, which views show as "-", never as a reading.
 */
static inline uint64_t lv_hist_clock_hz(const struct lv_snap_device *d)
{
	int heard = (d->valid & (LV_SNAP_HAS_POWER | LV_SNAP_HAS_ENERGY)) != 0;
	return d->state != LV_DEV_DOWN && heard ? d->freq_hz : 0;
}

#endif
