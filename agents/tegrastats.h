/*
 * tegrastats: what a Jetson's `tegrastats` prints, one line per sample, as
 * numbers — GPU load and clock, power per rail and in total, temperatures —
 * and the energy those samples add up to.
 *
 * The thesis's three formats, all in ../shared/data/jetson-measurements/tegrastats:
 *  - AGX Xavier: "MM-DD-YYYY HH:MM:SS RAM ... GR3D_FREQ 0%@114 ... AUX@40C ...
 *    GPU 311mW/311mW CPU 2331mW/2331mW SOC ... CV ... VDDRQ ... SYS5V ..."
 *  - Xavier NX: the same stamp, rails VDD_IN, VDD_CPU_GPU_CV, VDD_SOC;
 *  - Nano: no stamp, rails POM_5V_IN, POM_5V_GPU, POM_5V_CPU as bare
 *    numbers "1331/1331" (still mW).
 * and the Orin formats (real lines cited in tests/agent/fixtures/README.md):
 *  - AGX Orin: rails VDD_GPU_SOC, VDD_CPU_CV, VIN_SYS_5V0 (JetPack 5 adds
 *    VDDQ_VDD2_1V8AO and "NC 0mW/0mW" for unconnected channels, which are
 *    dropped: NC appears more than once); no input rail, so the total is
 *    the sum (as jtop reports it);
 *  - Orin NX and Orin Nano: VDD_IN, VDD_CPU_GPU_CV, VDD_SOC;
 *  - JetPack 5 prints "GR3D_FREQ x%@[a,b]" (one clock per GPC) and
 *    upper-case temperatures (CPU@, SOC0@, CV0@-256C); JetPack 6 prints
 *    "GR3D_FREQ x%" or "x%@[a]" and lower-case ones (cpu@, soc0@, tj@).
 * A rail is "NAME cur/avg"; the current value is the sample's. The total is
 * the board's input rail (VDD_IN or POM_5V_IN) where the line has one, else
 * the sum of the rails. "GR3D_FREQ x%@MHz" gives the GPU load and clock
 * ("x%@[a,b]" takes the first clock, "x%" or "off" gives no clock);
 * "name@valueC" a temperature (-256C and below mean "no sensor" and are
 * dropped). "EMC_FREQ x%@MHz" (or "x%", or "x%@[MHz]") gives the memory
 * controller's load and clock, "RAM used/totalMB" the memory in use, and
 * "CPU [x%@MHz,...,off]" the mean load of the online cores. These three are
 * informative: a value of a shape this parser does not know leaves its
 * validity bit clear instead of rejecting the line, so a new release's
 * variation never costs the power samples.
 *
 * A sample needs GR3D_FREQ and at least one rail, and the line must end with
 * a rail (tegrastats always does, so a cut-off line is caught). Anything
 * else is malformed: the meter counts it and goes on; it is never fatal.
 * Blank lines are ignored. Callers: the agent's real backend (live lines
 * from the tegrastats child, or a replayed log) and the unit tests.
 */
#ifndef LV_TEGRASTATS_H
#define LV_TEGRASTATS_H

#include <stddef.h>
#include <stdint.h>

#define LV_TS_MAX_RAILS 16
#define LV_TS_MAX_TEMPS 24
#define LV_TS_NAME_MAX  24
#define LV_TS_LINE_MAX  4096 /* longer lines are malformed */

/* Validity bits of struct lv_tegrastats_sample. */
enum {
	LV_TS_STAMP = 1u << 0,    /* stamp_s is the line's time */
	LV_TS_GPU_FREQ = 1u << 1, /* gpu_freq_hz is known ("x%@MHz") */
	LV_TS_EMC_LOAD = 1u << 2, /* emc_load_pct ("EMC_FREQ x%...") */
	LV_TS_EMC_FREQ = 1u << 3, /* emc_freq_hz ("EMC_FREQ x%@MHz"; JetPack 6 often omits it) */
	LV_TS_RAM = 1u << 4,      /* ram_used_mb, ram_total_mb ("RAM used/totalMB") */
	LV_TS_CPU = 1u << 5,      /* cpu_load_pct, cpu_online, cpu_cores ("CPU [x%@MHz,...,off]") */
};

struct lv_tegrastats_rail {
	char name[LV_TS_NAME_MAX];
	double power_w; /* the current value */
	double avg_w;   /* tegrastats's running average */
};

struct lv_tegrastats_temp {
	char name[LV_TS_NAME_MAX];
	double celsius;
};

struct lv_tegrastats_sample {
	unsigned valid;       /* LV_TS_* */
	long long stamp_s;    /* whole seconds since 1970 as if the stamp were UTC */
	double gpu_load_pct;  /* 0..100 */
	uint64_t gpu_freq_hz; /* as printed: MHz × 10^6 */
	double power_w;       /* total, see above */
	int input_rail;       /* index of VDD_IN / POM_5V_IN, or -1 (total is the sum) */
	size_t n_rails;
	struct lv_tegrastats_rail rails[LV_TS_MAX_RAILS];
	size_t n_temps;
	struct lv_tegrastats_temp temps[LV_TS_MAX_TEMPS];
	double emc_load_pct;  /* memory controller load, 0..100 */
	uint64_t emc_freq_hz; /* memory (EMC) clock: MHz × 10^6 */
	double ram_used_mb, ram_total_mb;
	double cpu_load_pct; /* mean over the online cores, 0..100 */
	int cpu_online;      /* cores not "off" */
	int cpu_cores;       /* all cores listed */
};

/*
 * Parses one line (with or without its newline) into *out. Returns 1 for a
 * sample, 0 for a blank line (*out zeroed), LV_EINVAL for a malformed line
 * with *why naming the token and what was wrong (caller frees).
 */
int lv_tegrastats_parse(const char *line, struct lv_tegrastats_sample *out, char **why);

/*
 * Energy from a stream of samples. Without stamps each sample stands for one
 * sampling interval: E += P × interval_s. Stamps have whole-second
 * resolution and several samples share one, so a run of n samples stamped S,
 * followed by a sample stamped S' > S, covers S' - S seconds at the run's mean
 * power: E += mean(P) × (S' - S). The run is charged when the next stamp
 * arrives, so the energy lags the newest sample by up to a second. A stamp
 * that goes back, or jumps by more than LV_TS_MAX_GAP_S (a log replayed in a
 * loop, a clock step), charges the run by the interval rule instead.
 * lv_tegrastats_meter_finish charges the open run the same way (end of a log).
 */
#define LV_TS_MAX_GAP_S 10

struct lv_tegrastats_meter {
	double interval_s;       /* the sampling interval, s (tegrastats --interval / 1000) */
	uint64_t lines;          /* fed, blank ones excluded */
	uint64_t samples;        /* parsed */
	uint64_t malformed;      /* counted and skipped */
	uint64_t first_bad_line; /* 1-based line number of the first malformed line, 0: none */
	char first_error[160];   /* its message */
	double energy_j;         /* charged so far */
	struct lv_tegrastats_sample last; /* the newest sample (valid when samples > 0) */
	/* the open run of samples sharing one stamp */
	int run_open;
	long long run_stamp_s;
	int run_n;
	double run_power_sum_w;
};

void lv_tegrastats_meter_init(struct lv_tegrastats_meter *m, double interval_s);

/*
 * Feeds one line. Returns 1 (a sample, energy charged as above), 0 (blank)
 * or LV_EINVAL (malformed: counted in m->malformed and skipped).
 */
int lv_tegrastats_meter_feed(struct lv_tegrastats_meter *m, const char *line);

/* Charges the open run by the interval rule (call at the end of a log). */
void lv_tegrastats_meter_finish(struct lv_tegrastats_meter *m);

#endif
