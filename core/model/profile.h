/*
 * profile: one device kind (Jetson AGX Xavier, Xavier NX, Nano) as measured.
 *
 * A profile holds the kind's GPU clocks (ascending, Hz), its GPU specs (the
 * predictor's features), the scheduling limits (max batch, model instances),
 * how long a clock change takes (its mean and distribution), the default
 * governor's timings, the idle power at every clock, and the measured
 * (frequency, batch) points: latency of one batch, energy of one batch,
 * throughput. Measured points may exceed max_batch (the sweeps went further
 * than the cluster uses); they stay in the profile because the predictor
 * learns from them. Points are kept sorted by (freq_hz, batch), with no
 * duplicates, and every point's frequency is one of freqs_hz.
 *
 * Profiles are JSON files in the project's own format (see profiles/README.md),
 * produced by lv_profile_import from the thesis measurement data.
 *
 * The struct, its checks and lookups (profile.c) do no I/O and are what the
 * scheduler links; reading (profile_parse.c), writing (profile_write.c) and
 * importing (profile_import.c) sit beside them and only point at them.
 */
#ifndef LV_PROFILE_H
#define LV_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define LV_KIND_MAX        32
#define LV_PROFILE_VERSION 2 /* the "version" this build reads and writes */

struct lv_gpu_specs {
	double max_mhz; /* highest GPU clock, MHz */
	double min_mhz; /* lowest GPU clock, MHz */
	int cuda_cores;
	double mem_bw_gbs; /* memory bandwidth, GB/s */
	double mem_gb;     /* memory size, GB */
	int tensor_cores;  /* 0 where the GPU has none */
	char arch[24];     /* "Volta", "Maxwell" */
};

struct lv_profile_point {
	uint64_t freq_hz;
	int batch;
	double latency_s;      /* one batch, end to end as perf_analyzer saw it */
	double energy_j;       /* one batch */
	double throughput_fps; /* frames per second */
};

/*
 * The default GPU governor's timings, fitted from runs that left the clock to
 * it (profile_fit_gov.c); the device model (devmodel.h) makes them its
 * mechanism. Zero times are instantaneous.
 */
struct lv_governor {
	double ramp_busy_s; /* GPU busy time that takes the clock from the floor to the top, s */
	double hold_s;      /* complete idle at a clock before it starts down, s */
	double descent_s;   /* from leaving the top to reaching floor_hz, s */
	uint64_t floor_hz;  /* where the descent ends: one of freqs_hz; 0 (hand-made
	                       profiles): the lowest */
};

/*
 * What a frame's on-device preprocessing costs in one wire format
 * (wire.h): the uint8 ensemble's scaling, the jpeg ensemble's decode and
 * resize, on top of the batch's inference. Per frame: a batch of b frames
 * takes b · latency_s longer and b · energy_j more. fp32 has none.
 */
struct lv_preprocess {
	int measured;     /* `loudva profile run` measured it on the board; else the
	                   * estimate (lv_profile_preprocess) stands in */
	double latency_s; /* per frame, s */
	double energy_j;  /* per frame, J: the board's energy meanwhile (a batch's energy
	                   * grows by it, as a batch's energy_j counts the whole board) */
};

struct lv_profile {
	char kind[LV_KIND_MAX]; /* file-name stem: "agx-xavier", "xavier-nx", "nano" */
	char *display_name;     /* "Jetson AGX Xavier" */
	struct lv_gpu_specs gpu;
	int max_batch;               /* largest batch the cluster dispatches */
	int instances;               /* model instances (concurrent batches) */
	double clock_change_delay_s; /* mean delay of a clock change a policy asks for, s */
	/*
	 * Its distribution: n_cc_shape (0, or >= 2) quantiles at equal steps of
	 * probability from 0 to 1, each divided by the mean, ascending; the
	 * piecewise-linear distribution through them has mean 1. NULL (0):
	 * every change takes exactly clock_change_delay_s.
	 */
	size_t n_cc_shape;
	double *cc_shape;
	struct lv_governor governor;
	size_t n_freqs;
	uint64_t *freqs_hz;   /* ascending, n_freqs entries */
	double *idle_power_w; /* idle power at freqs_hz[i] */
	/*
	 * Idle power before the GPU's first inference since it was last power
	 * gated (its rail reads 0), at the lowest clock; 0 when not measured.
	 * After the first batch the GPU stays powered and idles at
	 * idle_power_w. Fitted from the runs' lines before their first
	 * inference (profiles/README.md).
	 */
	double cold_idle_w;
	size_t n_points;
	struct lv_profile_point *points;                /* sorted by (freq_hz, batch) */
	char *source;                                   /* provenance note, may be NULL */
	struct lv_preprocess preprocess[LV_WIRE_COUNT]; /* "preprocess"; unmeasured: zeros */
};

/*
 * The preprocessing term of wire format w on kind p: the measured one when
 * the profile has it, else the stated estimate (LV_PREPROCESS_ESTIMATE and
 * profiles/README.md). *measured (may be NULL) says which. fp32: zeros.
 */
void lv_profile_preprocess(const struct lv_profile *p, enum lv_wire w, double *latency_s,
                           double *energy_j, int *measured);

/* Where the estimate comes from, for reports. */
#define LV_PREPROCESS_ESTIMATE                                                                     \
	"estimate, not measured: the controller's own x86 CPU time for the same work (make "       \
	"bench, wire) times 4 for a Jetson's ARM cores (uint8 0.5 ms, jpeg 8 ms per frame), the "  \
	"board drawing its highest idle power plus 3 W of CPU meanwhile"

/*
 * Loads a profile JSON file (format in profiles/README.md). NULL on error with
 * *why naming the file and the field path ("profiles/nano.json:
 * points[12].latency_s: must be a positive number"). Caller frees.
 */
struct lv_profile *lv_profile_load(const char *path, char **why);

/* Loads dir/<kind>.json, as lv_profile_load. */
struct lv_profile *lv_profile_load_kind(const char *dir, const char *kind, char **why);

/* The kinds the project has profiles of, in the order tools list them. */
#define LV_PROFILE_N_KINDS 3
extern const char *const lv_profile_kinds[LV_PROFILE_N_KINDS];

/*
 * Loads every kind of lv_profile_kinds from dir into ps[LV_PROFILE_N_KINDS]:
 * all or nothing. 0, or LV_EIO/LV_EINVAL with *why naming the file.
 */
int lv_profile_load_kinds(const char *dir, struct lv_profile **ps, char **why);

/*
 * Parses profile JSON text; `origin` names it in messages. Everything is
 * checked (types, unknown keys, the invariants above); points may come in any
 * order and are sorted. Caller frees.
 */
struct lv_profile *lv_profile_parse(const char *json, const char *origin, char **why);

/*
 * Serialises a valid profile to JSON text: fixed key order, one point per
 * line, doubles as the shortest of %.15g/%.16g/%.17g that round-trips, so
 * equal profiles give equal bytes. Caller frees.
 */
char *lv_profile_to_json(const struct lv_profile *p);

/* Validates, then writes atomically. 0, LV_EINVAL (invalid; nothing written) or LV_EIO. */
int lv_profile_save(const struct lv_profile *p, const char *path, char **why);

/* Checks the invariants above; 0 or LV_EINVAL with "<origin>: <field path>: ...". */
int lv_profile_validate(const struct lv_profile *p, const char *origin, char **why);

void lv_profile_free(struct lv_profile *p);

/*
 * The mean of the piecewise-linear distribution through n equally spaced
 * quantiles (n >= 2; 0 for n < 2): what clock_change_shape must average to.
 */
double lv_profile_cc_shape_mean(const double *shape, size_t n);

/*
 * The distribution's value at probability u in [0, 1]: linear between the n
 * (>= 2) equally spaced quantiles of shape. The device model draws a clock
 * change's delay as clock_change_delay_s times this at u uniform.
 */
double lv_profile_cc_quantile(const double *shape, size_t n, double u);

/* Index of freq_hz in freqs_hz, or -1. O(log n_freqs). */
int lv_profile_freq_index(const struct lv_profile *p, uint64_t freq_hz);

/* The measured point at (freq_hz, batch), or NULL. Borrowed from p. O(log n_points). */
const struct lv_profile_point *lv_profile_find(const struct lv_profile *p, uint64_t freq_hz,
                                               int batch);

/*
 * Imports one kind from the thesis data, read in place: the measurement
 * directory `data_dir` (profiling.csv, gpu-specs.csv, tegrastats/<kind>.log;
 * layout in its README.md) and the Experiment 1 runs in `runs_dir`
 * (runs/<policy>/scenario_<N>.{tegrastats,controller}.log). `kind` is
 * "agx-xavier", "xavier-nx" or "nano". Returns a new profile or NULL with
 * *why naming the file, line and column or field that was wrong (an unknown
 * kind is named too). The profile does not depend on how the directories are
 * spelled. Every kind reads more than its own files: the Nano borrows an
 * idle slope from the other kinds, and the kinds without runs borrow the
 * AGX Xavier's governor and clock-change shape. The methods are documented in
 * profiles/README.md; `report`, when non-NULL, receives a human-readable
 * account of the numbers they gave (caller frees).
 */
struct lv_profile *lv_profile_import(const char *data_dir, const char *runs_dir, const char *kind,
                                     char **report, char **why);

#endif
