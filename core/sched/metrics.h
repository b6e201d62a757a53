/*
 * metrics: what one run achieved — frame outcomes, QoS, frames per joule,
 * latency percentiles — and the energy lower bound it is measured against.
 *
 * Definitions (one run, window [0, window_s]):
 *  - frames: frames received (every frame of the trace, rejected ones too);
 *    served = OK + LATE;
 *  - a request is within budget when all its frames are OK, and served when
 *    all its frames are OK or LATE;
 *  - frames/J = served / energy; requests/J = requests served / energy;
 *  - latency of a served frame = done - arrival; percentiles use the
 *    nearest-rank rule: p-th = the ceil(p/100 · n)-th smallest;
 *  - excess of a late frame = latency - budget, averaged over late frames;
 *  - a device's mean clock is weighted by time over the window.
 *
 * Energy lower bound. No schedule can spend less than
 *     E_bound = window_s · Σ_devices P_idle_min(kind)  +  frames · m*
 * with P_idle_min(kind) the kind's least idle power over its clocks and
 *     m* = min over devices d, clocks f, batches 1 <= b <= max_batch(k) of
 *          (E_d(f,b) - P_idle_min(k) · L_d(f,b)) / b
 * (k the device's kind) over the cells of the devices' truth tables
 * (cluster.h: measured points, the tables the emulated devices run on,
 * whatever the scheduler's mode) that the device model may use
 * (lv_devmodel_cell_usable). A device's table is its kind's, plus, when its
 * wire format preprocesses on the board (uint8, jpeg), b times the format's
 * per-frame term (profile.h: l, e): E_d = E_k + b·e, L_d = L_k + b·l, so such
 * a device's marginal is its kind's plus e - P_idle_min·l (the idle share of
 * the preprocessing time is already in the idle floor). A device draws at
 * least P_idle_min all the time,
 * and a batch adds at least b·m* on top of that for the time it runs. The
 * device model's borrowed cells (devmodel.h) have the marginal energy of a
 * real one, so the bound holds for every noise-free simulated run. (With
 * noise, a batch drawn shorter than L(f,b) costs proportionally less, and
 * the bound may be undercut by that fraction.)
 * The bound assumes the GPU is powered: a device that starts cold (its GPU
 * power gated, devmodel.h cold_start) draws less until its first batch, and
 * a run can undercut the bound by at most (P_idle_min - cold_idle_w) times
 * that time. Controller overheads (ctlmodel.h) only add time, so the bound
 * ignores them: it is what the devices alone must draw.
 * A run is held against the bound for the frames it served: bound_fraction
 * = (served / energy) / (served / E_bound(served)) = E_bound / energy, in
 * (0, 1]. trace_bound_j is the bound for every received frame.
 */
#ifndef LV_METRICS_H
#define LV_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "model/cluster.h"
#include "engine.h"

struct lv_energy_bound {
	double window_s;
	double idle_w;             /* Σ devices P_idle_min */
	double marginal_j;         /* m*, J per frame */
	int marginal_kind;         /* where m* is attained: kind index, */
	uint64_t marginal_freq_hz; /* clock */
	int marginal_batch;        /* and batch */
	uint64_t frames;
	double energy_j;     /* idle_w · window_s + frames · marginal_j */
	double frames_per_j; /* frames / energy_j; 0 when energy_j is 0 */
};

/*
 * The bound for `frames` frames over window_s on cluster c (cost tables
 * built). LV_EINVAL with *why when a kind has no usable cell.
 */
int lv_energy_bound(const struct lv_cluster *c, uint64_t frames, double window_s,
                    struct lv_energy_bound *out, char **why);

struct lv_device_metrics {
	char name[LV_DEV_NAME_MAX];
	int kind;
	double energy_j;
	uint64_t frames; /* served on this device */
	uint64_t batches;
	double busy_s;          /* time running batches */
	double avg_freq_hz;     /* time-weighted over the window */
	double busy_energy_j;   /* of energy_j: while batches ran */
	double change_energy_j; /* of energy_j: during clock changes */
	double lowest_s, top_s; /* time at the kind's lowest and highest clock */
};

struct lv_run_metrics {
	uint64_t frames, requests;
	uint64_t ok, late, failed, expired, rejected;
	uint64_t served;          /* ok + late */
	uint64_t requests_ok;     /* every frame OK */
	uint64_t requests_served; /* every frame OK or LATE */
	double window_s;
	double energy_j;
	double frames_per_j, requests_per_j;
	double pct_frames_ok;   /* 100 · ok / frames; NAN with no frames */
	double pct_requests_ok; /* 100 · requests_ok / requests; NAN with none */
	double latency_p50_s, latency_p95_s, latency_p99_s; /* NAN when nothing served */
	double latency_mean_s;
	double mean_excess_s;         /* NAN when no frame was late */
	struct lv_energy_bound bound; /* for the served frames */
	double trace_bound_j;         /* for every received frame */
	double bound_fraction;        /* bound.energy_j / energy_j; NAN when energy is 0 */
	double busy_energy_j;         /* of energy_j: while batches ran (sum over devices) */
	double change_energy_j;       /* of energy_j: during clock changes */
	double idle_energy_j;         /* the rest: devices idle */
	double mean_clock_mhz;        /* devices' time-weighted GPU clock, mean over devices */
	double lowest_clock_pct;      /* share of device time at the lowest clock, % */
	double top_clock_pct;         /* share of device time at the highest clock, % */
	size_t n_devices;
	struct lv_device_metrics *devices; /* owned */
};

void lv_run_metrics_fini(struct lv_run_metrics *r);

/*
 * The collector: fed every terminal frame, then finished once. Frames are
 * tied to requests by their tag, which must be the request's index in
 * [0, n_requests) (the simulator tags them so); frames with other tags
 * count everywhere except in the request figures.
 */
struct lv_metrics {
	size_t n_requests;
	uint32_t *req_frames, *req_ok, *req_served; /* per request */
	uint64_t by_state[LV_FRAME_NSTATES];
	double *latency_s; /* served frames' latencies */
	size_t n_lat, cap_lat;
	double latency_sum_s;
	double excess_sum_s; /* over late frames */
	double last_done_s;  /* latest terminal time seen; -INF at first */
};

void lv_metrics_init(struct lv_metrics *m, size_t n_requests);
void lv_metrics_fini(struct lv_metrics *m);

/* Counts one terminal frame (state OK..REJECTED). */
void lv_metrics_add_frame(struct lv_metrics *m, const struct lv_frame *f);

/*
 * Computes the run's figures into *out (caller finis it): window_s and the
 * per-device figures (c->n_devices entries, copied; their energies sum to
 * the run's) come from the driver, the bound from c. The collector may be
 * finished once. LV_EINVAL with *why as lv_energy_bound.
 */
int lv_metrics_finish(struct lv_metrics *m, const struct lv_cluster *c, double window_s,
                      const struct lv_device_metrics *devs, struct lv_run_metrics *out, char **why);

/*
 * The nearest-rank p-th percentile (0 < p <= 100) of n values: the
 * ceil(p/100 · n)-th smallest. Reorders v (linear-time selection). NAN when
 * n is 0.
 */
double lv_percentile(double *v, size_t n, double p);

#endif
