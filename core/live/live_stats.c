/*
 * live_stats: the live controller's rolling figures and the snapshots it
 * publishes from them (snapshot.h), with the store's record as
 * live_record.c counts it.
 *
 * Frames are counted into one-second buckets (a ring of RING_S seconds, by
 * the second of their terminal time) and the cluster's energy is noted at
 * the first tick of every second, so the rolling windows are sums over the
 * ring: fps over the last 10 s, frames/J and % within budget over the last
 * 60 s. "Terminal" counts every terminal state, rejections included. The
 * history rings take one sample per second.
 *
 * Snapshots are reference-counted: a snapshot and its count live in one
 * allocation (struct box, the snapshot first), the published one holds a
 * reference, and each reader one more; the count changes under snap_mu.
 */
#include "live_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "model/profile.h"
#include "sched/snapshot.h"
#include "base/util.h"

#define RING_S        64
#define FPS_WINDOW_S  10
#define ROLL_WINDOW_S 60

struct bucket {
	uint64_t served, ok, terminal;
};

struct live_stats {
	size_t n_dev;
	long sec; /* the second the ring's newest bucket holds */
	struct bucket b[RING_S];
	double energy_at[RING_S];      /* cluster energy at the first tick of the second; NAN */
	uint64_t *dev_served;          /* n_dev × RING_S */
	uint64_t served, ok, terminal; /* since start */
	uint64_t lat_counts[LV_SNAP_LAT_BUCKETS];
	double lat_sum_s;
	long hist_sec; /* last second sampled into the history */
	size_t n_hist, hist_next;
	double hist_power[LV_SNAP_HISTORY], hist_fps[LV_SNAP_HISTORY], hist_queue[LV_SNAP_HISTORY];
	uint64_t seq;
};

static const double lat_bounds[LV_SNAP_LAT_BUCKETS] = {
	0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, INFINITY,
};

struct box {
	struct lv_snapshot s; /* first: a box's address is its snapshot's */
	int refs;
};

struct live_stats *live_stats_new(size_t n_devices, double now)
{
	struct live_stats *s = lv_xcalloc(1, sizeof(*s));
	s->n_dev = n_devices;
	s->sec = (long)floor(now);
	s->hist_sec = s->sec - 1;
	for (int i = 0; i < RING_S; i++)
		s->energy_at[i] = NAN;
	s->dev_served = lv_xcalloc((n_devices ? n_devices : 1) * RING_S, sizeof(uint64_t));
	return s;
}

void live_stats_free(struct live_stats *s)
{
	if (!s)
		return;
	free(s->dev_served);
	free(s);
}

/* Moves the ring's newest bucket forward to second `sec`, clearing what it passes. */
static void advance(struct live_stats *s, long sec)
{
	if (sec <= s->sec)
		return;
	long from = sec - s->sec > RING_S ? sec - RING_S + 1 : s->sec + 1;
	for (long k = from; k <= sec; k++) {
		size_t i = (size_t)(k % RING_S);
		memset(&s->b[i], 0, sizeof(s->b[i]));
		s->energy_at[i] = NAN;
		for (size_t d = 0; d < s->n_dev; d++)
			s->dev_served[d * RING_S + i] = 0;
	}
	s->sec = sec;
}

void live_stats_frame(struct live_stats *s, const struct lv_frame *f)
{
	long sec = (long)floor(f->done_s);
	advance(s, sec);
	if (sec < s->sec - RING_S + 1)
		sec = s->sec;
	struct bucket *b = &s->b[sec % RING_S];
	int served = f->state == LV_FRAME_OK || f->state == LV_FRAME_LATE;
	b->terminal++;
	s->terminal++;
	if (f->state == LV_FRAME_OK) {
		b->ok++;
		s->ok++;
	}
	if (!served)
		return;
	b->served++;
	s->served++;
	if (f->device >= 0 && (size_t)f->device < s->n_dev)
		s->dev_served[(size_t)f->device * RING_S + (size_t)(sec % RING_S)]++;
	double lat = f->done_s - f->arrival_s;
	int k = 0;
	while (k < LV_SNAP_LAT_BUCKETS - 1 && lat > lat_bounds[k])
		k++;
	s->lat_counts[k]++;
	s->lat_sum_s += lat;
}

/* Totals of the last `window` buckets. */
static struct bucket rolling(const struct live_stats *s, int window)
{
	struct bucket t = { 0, 0, 0 };
	for (long k = s->sec - window + 1; k <= s->sec; k++) {
		if (k < 0)
			continue;
		const struct bucket *b = &s->b[k % RING_S];
		t.served += b->served;
		t.ok += b->ok;
		t.terminal += b->terminal;
	}
	return t;
}

static uint64_t device_served(const struct live_stats *s, size_t d, int window)
{
	uint64_t n = 0;
	for (long k = s->sec - window + 1; k <= s->sec; k++)
		if (k >= 0)
			n += s->dev_served[d * RING_S + (size_t)(k % RING_S)];
	return n;
}

/* The time the last `window` buckets cover at now (the newest one partly). */
static double window_len(const struct live_stats *s, int window, double now)
{
	double start = (double)(s->sec - window + 1);
	if (start < 0)
		start = 0;
	return now > start ? now - start : 0;
}

static double fps_10s(const struct live_stats *s, double now)
{
	uint64_t n = rolling(s, FPS_WINDOW_S).served;
	double len = window_len(s, FPS_WINDOW_S, now);
	return len > 0 ? (double)n / len : 0;
}

void live_stats_tick(struct lv_live *lv, double now)
{
	struct live_stats *s = lv->stats;
	long sec = (long)floor(now);
	advance(s, sec);
	size_t i = (size_t)(sec % RING_S);
	if (isnan(s->energy_at[i]))
		s->energy_at[i] = live_cluster_energy(lv, now);
	while (s->hist_sec < sec) {
		s->hist_sec++;
		double p = 0;
		for (size_t d = 0; d < lv->cluster->n_devices; d++)
			if ((lv->devs[d].valid & LV_SNAP_HAS_POWER) &&
			    lv->devs[d].health != HEALTH_DOWN)
				p += lv->devs[d].power_w;
		s->hist_power[s->hist_next] = p;
		s->hist_fps[s->hist_next] = fps_10s(s, now);
		s->hist_queue[s->hist_next] = (double)lv_engine_queue_len(lv->engine);
		s->hist_next = (s->hist_next + 1) % LV_SNAP_HISTORY;
		if (s->n_hist < LV_SNAP_HISTORY)
			s->n_hist++;
	}
}

/* The cluster energy at the start of the 60 s window (the oldest second noted). */
static double energy_window_start(const struct live_stats *s, double *start_s)
{
	for (long k = s->sec - ROLL_WINDOW_S + 1; k <= s->sec; k++) {
		if (k < 0 || isnan(s->energy_at[k % RING_S]))
			continue;
		*start_s = (double)k;
		return s->energy_at[k % RING_S];
	}
	*start_s = NAN;
	return NAN;
}

static void fill_device(const struct lv_live *lv, size_t i, double now, struct lv_snap_device *o)
{
	const struct lv_cluster *c = lv->cluster;
	const struct lv_device *dev = &c->devices[i];
	const struct live_dev *d = &lv->devs[i];
	const struct lv_profile *p = lv_device_profile(c, dev);
	snprintf(o->name, sizeof(o->name), "%s", dev->name);
	snprintf(o->kind, sizeof(o->kind), "%s", p->kind);
	o->state = dev->state;
	o->valid = d->health == HEALTH_DOWN ? 0 : d->valid;
	o->inflight = dev->inflight;
	o->freq_hz = d->tele_hz && d->health != HEALTH_DOWN ? d->tele_hz : dev->freq_hz;
	o->max_freq_hz = p->freqs_hz[p->n_freqs - 1];
	o->min_freq_hz = p->freqs_hz[0];
	o->power_w = d->power_w;
	o->energy_j = live_device_energy(lv, i, now);
	o->load_pct = d->load_pct;
	o->temp_c = d->temp_c;
	o->emc_freq_hz = d->emc_freq_hz;
	o->ram_used_bytes = d->ram_used_bytes;
	o->ram_total_bytes = d->ram_total_bytes;
	o->cpu_load_pct = d->cpu_load_pct;
	o->n_rails = d->health == HEALTH_DOWN ? 0 : d->n_rails;
	memcpy(o->rails, d->rails, sizeof(o->rails));
	o->batches = d->batches;
	o->frames = d->frames;
	o->late = d->late;
	o->failed = d->failed;
	o->last_batch = d->last_batch;
	double len = window_len(lv->stats, FPS_WINDOW_S, now);
	o->fps = len > 0 ? (double)device_served(lv->stats, i, FPS_WINDOW_S) / len : 0;
	snprintf(o->last_error, sizeof(o->last_error), "%s", d->last_error);
	snprintf(o->transport, sizeof(o->transport), "%s",
	         live_shm_wanted(lv, (int)i) ? "shm" : "body");
	o->shm_bytes = d->shm_bytes;
	snprintf(o->wire, sizeof(o->wire), "%s", lv_wire_name(lv->cluster->devices[i].wire));
	o->wire_bytes = d->wire_bytes;
	o->restarts = d->restarts;
	if (d->health != HEALTH_DOWN)
		o->pmode = d->pmode;
	o->clock_clamps = d->clock_clamps;
	o->clamp_asked_hz = d->clamp_asked_hz;
	o->clamp_hz = d->clamp_hz;
}

static void fill_rates(const struct lv_live *lv, double now, struct lv_snapshot *o)
{
	const struct live_stats *s = lv->stats;
	o->energy_j = live_cluster_energy(lv, now);
	o->fps = fps_10s(s, now);
	struct bucket w = rolling(s, ROLL_WINDOW_S);
	double t0;
	double e0 = energy_window_start(s, &t0);
	double de = o->energy_j - e0;
	o->fpj_60s = isfinite(de) && de > 0 ? (double)w.served / de : 0;
	o->fpj_total = o->energy_j > 0 ? (double)s->served / o->energy_j : 0;
	o->pct_ok_60s = w.terminal ? 100.0 * (double)w.ok / (double)w.terminal : NAN;
	o->pct_ok_total = s->terminal ? 100.0 * (double)s->ok / (double)s->terminal : NAN;
	memcpy(o->lat_bounds_s, lat_bounds, sizeof(lat_bounds));
	memcpy(o->lat_counts, s->lat_counts, sizeof(s->lat_counts));
	o->lat_sum_s = s->lat_sum_s;
	o->n_history = s->n_hist;
	size_t first = (s->hist_next + LV_SNAP_HISTORY - s->n_hist) % LV_SNAP_HISTORY;
	for (size_t k = 0; k < s->n_hist; k++) {
		size_t j = (first + k) % LV_SNAP_HISTORY;
		o->hist_power_w[k] = s->hist_power[j];
		o->hist_fps[k] = s->hist_fps[j];
		o->hist_queue[k] = s->hist_queue[j];
	}
}

static struct lv_snapshot *build(struct lv_live *lv, double now)
{
	struct box *bx = lv_xcalloc(1, sizeof(*bx));
	struct lv_snapshot *o = &bx->s;
	const struct lv_cluster *c = lv->cluster;
	bx->refs = 1;
	o->seq = ++lv->stats->seq;
	o->now_s = now;
	o->uptime_s = now;
	snprintf(o->policy, sizeof(o->policy), "%s", lv_engine_policy(lv->engine)->label);
	snprintf(o->mode, sizeof(o->mode), "%s", lv_cost_mode_name(c->mode));
	snprintf(o->cluster, sizeof(o->cluster), "%s", c->name ? c->name : "");
	struct lv_view v;
	lv_engine_view(lv->engine, &v);
	o->queue_len = v.queue_len;
	o->min_deadline_s = v.min_deadline_s;
	lv_engine_counts(lv->engine, &o->counts);
	o->n_devices = c->n_devices;
	o->devices = lv_xcalloc(c->n_devices ? c->n_devices : 1, sizeof(*o->devices));
	for (size_t i = 0; i < c->n_devices; i++) {
		fill_device(lv, i, now, &o->devices[i]);
		if (o->devices[i].valid & LV_SNAP_HAS_POWER)
			o->power_w += o->devices[i].power_w;
	}
	fill_rates(lv, now, o);
	live_events_fill(lv, o);
	live_record_snap(lv, &o->store);
	return o;
}

void live_snapshot_ref(struct lv_snapshot *s)
{
	((struct box *)s)->refs++;
}

int live_snapshot_unref(struct lv_snapshot *s)
{
	return --((struct box *)s)->refs == 0;
}

void live_publish(struct lv_live *lv, double now)
{
	struct lv_snapshot *s = build(lv, now);
	pthread_mutex_lock(&lv->snap_mu);
	struct lv_snapshot *old = lv->snap;
	lv->snap = s;
	int last = old && live_snapshot_unref(old);
	pthread_mutex_unlock(&lv->snap_mu);
	if (last)
		lv_snapshot_free(old);
}

void lv_snapshot_free(struct lv_snapshot *s)
{
	if (!s)
		return;
	free(s->devices);
	free(s);
}
