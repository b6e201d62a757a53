/*
 * profile_fit: the importer's fits of device behaviour to measurement logs,
 * private to the profile importer (profile_import.c):
 *  - idle power by GPU clock from tegrastats logs (profile_fit_idle.c);
 *  - the default GPU governor's timings from tegrastats logs of runs that
 *    left the clock to it (profile_fit_gov.c);
 *  - the clock-change delay from the thesis controller's logs
 *    (profile_fit_clock.c).
 * The method of each, and the numbers it gives on the thesis data, are in
 * profiles/README.md; every constant below is part of that method.
 */
#ifndef LV_PROFILE_FIT_H
#define LV_PROFILE_FIT_H

#include <stddef.h>
#include <stdint.h>

struct lv_teg_log;

/* ---- idle power (profile_fit_idle.c) ------------------------------------ */

/*
 * An idle line is "settled" when it and the LV_IDLE_SETTLE_LINES lines
 * before it all show GPU load 0 at the same GPU clock: the rail sensors
 * average (after a batch the GPU rail decays with a time constant of about
 * 0.4 s in the thesis logs), so ten lines (about 2.3 s) after the last load
 * the reading is idle power, not the tail of the batch before.
 */
#define LV_IDLE_SETTLE_LINES 10
/* A clock counts as measured with at least this many settled samples. */
#define LV_IDLE_MIN_SAMPLES 20

struct lv_idle_clock {
	long mhz; /* as tegrastats prints it (whole MHz) */
	size_t n; /* settled samples */
	double median_w, p25_w, p75_w;
};

struct lv_idle_stats {
	size_t n_idle;    /* lines with GPU load 0 */
	size_t n_cold;    /* of those, lines whose GPU rail read 0 mW in a log where it is
	                     powered elsewhere: a rail-gated GPU (not used) */
	size_t n_settled; /* settled idle samples, all clocks */
	size_t n_clocks;
	struct lv_idle_clock *clocks; /* ascending mhz */
};

/*
 * Settled idle samples of `n_logs` logs, their median and quartiles per GPU
 * clock. 0, or LV_EINVAL with *why naming path:line when an idle line has no
 * power rail. The caller releases st with lv_idle_stats_fini (also after an
 * error).
 */
int lv_idle_stats_build(const struct lv_teg_log *logs, size_t n_logs, struct lv_idle_stats *st,
                        char **why);
void lv_idle_stats_fini(struct lv_idle_stats *st);

/* How each grid clock's idle power was had. */
enum lv_idle_how {
	LV_IDLE_MEASURED = 'm',     /* its own settled median (after pooling, below) */
	LV_IDLE_INTERPOLATED = 'i', /* linear between the measured clocks around it */
	LV_IDLE_EXTRAPOLATED = 'x', /* the line through the two nearest measured clocks */
	LV_IDLE_BORROWED = 'b',     /* fewer than two measured clocks: borrowed slope */
};

/*
 * Idle power at every grid clock (freqs_hz ascending, n_freqs) into idle_w,
 * and how each was had into how[] (enum lv_idle_how). The measured clocks
 * are the grid clocks (whole MHz equal) with at least LV_IDLE_MIN_SAMPLES
 * settled samples; their medians are made non-decreasing in clock by
 * pooling adjacent violators (weighted by sample counts), then the other
 * grid clocks are interpolated linearly in Hz, or extrapolated. With fewer
 * than two measured clocks, the best-sampled clock's median w0 at f0 (on the
 * grid or not) sets a line of relative slope `rel_slope` (1/Hz, > 0):
 * idle(f) = a (1 + rel_slope f), a = w0 / (1 + rel_slope f0); rel_slope 0
 * there is an error ("nothing to borrow"). *a_w and *s_w_hz receive that
 * line (0 when not borrowed). 0 or LV_EINVAL with *why (origin names the
 * data in messages).
 */
int lv_idle_curve(const struct lv_idle_stats *st, const uint64_t *freqs_hz, size_t n_freqs,
                  double rel_slope, double *idle_w, char *how, double *a_w, double *s_w_hz,
                  const char *origin, char **why);

/*
 * The relative slope s/a (1/Hz) of the least-squares line idle(f) = a + s f
 * through the measured clocks' pooled medians (each clock weighted equally):
 * what a kind with fewer than two measured clocks borrows. 0 when st has
 * fewer than two measured clocks or the line is not rising.
 */
double lv_idle_rel_slope(const struct lv_idle_stats *st, const uint64_t *freqs_hz, size_t n_freqs);

/* ---- the default governor (profile_fit_gov.c) ----------------------------- */

/*
 * A line is "active" when its GPU load is above 0 or its GPU rail rose by
 * more than LV_GOV_RISE_MW since the line before: tegrastats samples the
 * load at the moment it prints, so a batch of a few tens of milliseconds
 * between two lines shows 0%, while the rail's averaged reading catches it.
 * 300 mW is two steps of the AGX rail's resolution (about 155 mW). A run of
 * lines that are not active is "quiet".
 */
#define LV_GOV_RISE_MW 300
/* Ramps are looked for after this many quiet lines at the floor... */
#define LV_GOV_QUIET_LINES 10
/* ...and followed for at most this many lines. */
#define LV_GOV_RAMP_LINES 40

struct lv_gov_fit {
	size_t n_quiet;    /* quiet runs that start at the top clock */
	size_t n_drops;    /* ... in which the clock left the top */
	double hold_s;     /* Kaplan-Meier median of the quiet time at the top before the
	                      clock left it (runs that end first are censored) */
	size_t n_descents; /* drops that reached the floor within their quiet run */
	double descent_s, descent_p25_s, descent_p75_s; /* first line below the top to the
	                                                   first at the floor: median, quartiles */
	size_t n_ramps, n_ramps_censored; /* ramps from the floor, and those that did not
	                                     reach the top within LV_GOV_RAMP_LINES */
	double ramp_busy_s;               /* Kaplan-Meier median of the GPU's busy time (load x line
	                                     spacing) from the first active line to the first at the top */
	/* Where the clock rests: quiet runs from the top longer than hold_s + descent_s,
	   and how many of them ended at the floor (the others: their lowest clock). */
	size_t n_long, n_long_floor;
	long long_low_mhz, long_high_mhz; /* range of the clocks the others ended at; -1 none */
};

/*
 * Fits the governor's timings (definitions above and in profiles/README.md)
 * over logs of runs that left the clock to the default governor. top_mhz and
 * floor_mhz are the highest and lowest clocks as tegrastats prints them.
 * 0, or LV_EINVAL with *why (origin names the data) when a log has no time
 * stamps or a median cannot be had (fewer than half of the runs end in the
 * event).
 */
int lv_gov_fit(const struct lv_teg_log *logs, size_t n_logs, long top_mhz, long floor_mhz,
               struct lv_gov_fit *out, const char *origin, char **why);

/*
 * Kaplan-Meier median of n (value, event) pairs (event 0: censored at that
 * value): the least value at which the estimated survival falls to 0.5 or
 * below; -1 when it never does. Sorts v and ev together.
 */
double lv_km_median(double *v, int *ev, size_t n);

/* ---- clock changes (profile_fit_clock.c) -------------------------------- */

/* The delay's distribution is kept as this many quantiles: 0%, 5%, ..., 100%. */
#define LV_CC_QUANTILES 21

/*
 * Appends to v[0..*n) (capacity *cap, grown as needed) the clock-change
 * delays in one thesis controller log: for each "Frequency set to F" of a
 * device, the time since that device's latest "Dispatching to it with
 * frequency F" when the clock it had before was not F (a change the
 * dispatch asked for). Sets with no such dispatch (the start-up clock, the
 * idle down-clock) are not delays of a dispatch. 0, LV_EIO, or LV_EINVAL
 * naming path:line.
 */
int lv_cc_read(const char *path, double **v, size_t *n, size_t *cap, char **why);

/*
 * The delays' distribution, v[0..n) (n >= 1; sorted here): *mean_s, the
 * mean of the piecewise-linear distribution through the LV_CC_QUANTILES
 * quantiles (linear between order statistics), and shape[i] = quantile i /
 * *mean_s. So drawing u uniform in [0, 1) and interpolating shape at
 * u (LV_CC_QUANTILES - 1) gives delays of mean exactly *mean_s.
 */
void lv_cc_shape(double *v, size_t n, double *shape, double *mean_s);

#endif
