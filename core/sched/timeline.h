/*
 * timeline: a run's power timeline from each device's energy samples —
 * pure arithmetic (libc and libm), no I/O and no clock. The live
 * controller samples each device's energy since it started (the agents'
 * cumulative counters) and hands the samples here at shutdown.
 *
 * Each device's energy is taken as piecewise linear in time through its
 * samples inside the window, with the window's two ends pinned to given
 * energies (what the run's result charges there), and each timeline sample
 * gets the increase over its interval divided by the interval's length.
 * So the samples' integral telescopes to Σ devices (e_end - e_start),
 * whatever the sampling: the timeline adds up to the result's energy.
 */
#ifndef LV_TIMELINE_H
#define LV_TIMELINE_H

#include <stddef.h>

/*
 * A run's power timeline, as the simulator and the live controller report
 * it: mean power per sample, sample i covering [i·sample_s, (i+1)·sample_s)
 * clipped to the window, so the last sample may be shorter.
 */
struct lv_timeline {
	double sample_s;
	size_t n;          /* samples */
	double *cluster_w; /* n, owned */
	size_t n_devices;  /* 0 without per-device series */
	double *device_w;  /* n_devices × n, device-major, owned; NULL without */
};

/* One device's energy curve: e_j[i] (J) at t_s[i] (s), times non-decreasing. */
struct lv_energy_series {
	double *t_s, *e_j; /* n each, owned */
	size_t n, cap;
};

/* Appends the sample (t_s no earlier than the last one's). */
void lv_energy_series_add(struct lv_energy_series *s, double t_s, double e_j);

/* Frees the samples; s is empty afterwards. */
void lv_energy_series_fini(struct lv_energy_series *s);

/*
 * The mean power of n_devices devices together per step_s over [start_s,
 * end_s]: sample k covers [start_s + k·step_s, start_s + (k+1)·step_s)
 * clipped to end_s, and holds Σ devices (increase of the device's energy
 * over it) / its length, W. series[d]'s samples at or before start_s and at
 * or after end_s are ignored; device d's energy is e_start_j[d] at start_s
 * and e_end_j[d] at end_s. Returns the number of samples, ceil((end_s -
 * start_s) / step_s), and *power_w (that many doubles; caller frees), or 0
 * with *power_w NULL when step_s or the window is not positive.
 */
size_t lv_timeline_power(const struct lv_energy_series *series, size_t n_devices, double start_s,
                         double end_s, const double *e_start_j, const double *e_end_j,
                         double step_s, double **power_w);

#endif
