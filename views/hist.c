/*
 * hist: per-device history rings for the Device view (see hist.h).
 *
 * Layout of `data`: for device d and metric m, the ring of LV_HIST_LEN
 * floats at (d * LV_HIST_NMETRICS + m) * LV_HIST_LEN; all rings advance
 * together, so one (n, next) pair describes every one of them. Floats,
 * not doubles: 200 devices × 6 metrics × 600 samples is 2.9 MB as floats
 * and the values are shown to three digits.
 */
#include "hist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sched/snapshot.h"
#include "base/util.h"

void lv_hist_init(struct lv_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->last_sec = -1;
}

void lv_hist_fini(struct lv_hist *h)
{
	free(h->data);
	free(h->seen_batches);
	free(h->seen_frames);
	free(h->seen_late);
	lv_hist_init(h);
}

static float *ring(const struct lv_hist *h, size_t d, enum lv_hist_metric m)
{
	return h->data + (d * LV_HIST_NMETRICS + (size_t)m) * LV_HIST_LEN;
}

static void reset(struct lv_hist *h, size_t n_dev)
{
	lv_hist_fini(h);
	h->n_dev = n_dev;
	if (n_dev) {
		h->data = lv_xcalloc(n_dev * LV_HIST_NMETRICS * LV_HIST_LEN, sizeof(float));
		h->seen_batches = lv_xcalloc(n_dev, sizeof(uint64_t));
		h->seen_frames = lv_xcalloc(n_dev, sizeof(uint64_t));
		h->seen_late = lv_xcalloc(n_dev, sizeof(uint64_t));
	}
}

/* Device d's values this second. Latency and budget only when a batch finished since the last. */
static void sample(struct lv_hist *h, const struct lv_snap_device *d, size_t i, float *v)
{
	v[LV_HIST_POWER_W] = (d->valid & LV_SNAP_HAS_POWER) ? (float)d->power_w : NAN;
	uint64_t hz = lv_hist_clock_hz(d);
	v[LV_HIST_CLOCK_MHZ] = hz ? (float)((double)hz / 1e6) : NAN;
	v[LV_HIST_BATCH] = (float)d->last_batch;
	v[LV_HIST_FPS] = (float)d->fps;
	v[LV_HIST_LATENCY_S] = NAN;
	v[LV_HIST_BUDGET_S] = NAN;
	if (d->batches != h->seen_batches[i] && d->n_recent > 0) {
		v[LV_HIST_LATENCY_S] = (float)d->recent[0].e2e_s;
		v[LV_HIST_BUDGET_S] = (float)d->recent[0].budget_s;
	}
	h->seen_batches[i] = d->batches;
	/* Counts since the last sample; the first sample only sets the baseline. A count that
	 * went back (the device was replaced) counts from 0. */
	int first = h->last_sec < 0;
	uint64_t fr = d->frames >= h->seen_frames[i] ? d->frames - h->seen_frames[i] : d->frames;
	uint64_t lt = d->late >= h->seen_late[i] ? d->late - h->seen_late[i] : d->late;
	v[LV_HIST_SERVED] = first ? 0 : (float)fr;
	v[LV_HIST_LATE] = first ? 0 : (float)lt;
	h->seen_frames[i] = d->frames;
	h->seen_late[i] = d->late;
}

void lv_hist_update(struct lv_hist *h, const struct lv_snapshot *s)
{
	if (!s)
		return;
	long sec = (long)floor(s->now_s);
	if (s->n_devices != h->n_dev || (h->last_sec >= 0 && sec < h->last_sec)) {
		reset(h, s->n_devices);
		h->last_sec = -1;
	}
	if (h->n_dev == 0 || sec == h->last_sec)
		return;
	/* A gap (the UI was busy or stopped) repeats the current values; at most a full ring. */
	long steps = h->last_sec < 0 ? 1 : sec - h->last_sec;
	if (steps > LV_HIST_LEN)
		steps = LV_HIST_LEN;
	for (size_t i = 0; i < h->n_dev; i++) {
		float v[LV_HIST_NMETRICS];
		sample(h, &s->devices[i], i, v);
		for (long k = 0; k < steps; k++) {
			size_t at = (h->next + (size_t)k) % LV_HIST_LEN;
			for (int m = 0; m < LV_HIST_NMETRICS; m++)
				ring(h, i, m)[at] =
				    k + 1 == steps || m < LV_HIST_LATENCY_S ? v[m] : NAN;
		}
	}
	h->next = (h->next + (size_t)steps) % LV_HIST_LEN;
	h->n += (size_t)steps;
	if (h->n > LV_HIST_LEN)
		h->n = LV_HIST_LEN;
	h->last_sec = sec;
}

size_t lv_hist_series(const struct lv_hist *h, size_t d, enum lv_hist_metric m, double *out,
                      size_t max)
{
	if (d >= h->n_dev || !h->data)
		return 0;
	size_t n = h->n < max ? h->n : max;
	const float *r = ring(h, d, m);
	size_t start = (h->next + LV_HIST_LEN - n) % LV_HIST_LEN;
	for (size_t k = 0; k < n; k++)
		out[k] = (double)r[(start + k) % LV_HIST_LEN];
	return n;
}

size_t lv_hist_late_share(const struct lv_hist *h, int window_s, double *out, size_t max)
{
	if (!h->data || h->n_dev == 0 || window_s < 1)
		return 0;
	size_t n = h->n < max ? h->n : max;
	size_t start = (h->next + LV_HIST_LEN - n) % LV_HIST_LEN;
	for (size_t k = 0; k < n; k++) {
		double served = 0, late = 0;
		for (int w = 0; w < window_s && (size_t)w <= k + (h->n - n); w++) {
			size_t at = (start + k + LV_HIST_LEN - (size_t)w) % LV_HIST_LEN;
			for (size_t d = 0; d < h->n_dev; d++) {
				float f = ring(h, d, LV_HIST_SERVED)[at];
				float l = ring(h, d, LV_HIST_LATE)[at];
				if (!isnan(f) && !isnan(l)) {
					served += f;
					late += l;
				}
			}
		}
		out[k] = served > 0 ? 100.0 * late / served : NAN;
	}
	return n;
}
