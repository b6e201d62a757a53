/*
 * devmodel: the emulated Jetson — how long a batch takes, what the board
 * draws, and how its GPU clock moves. The simulator runs one per device; the
 * emulated agent runs the same code against the wall clock, so the two can
 * never disagree. No I/O, no clock reads: every call takes `now`.
 *
 * Work. A device runs one thing at a time (one model instance, as the thesis
 * deployed; profile->instances is not modelled): a batch, or a clock
 * change. Work waits in a FIFO in submission order:
 *  - a dispatch with freq_hz != 0 whose clock differs from the clock the
 *    device will have once everything queued before it has run becomes a
 *    clock change followed by the batch; freq_hz == 0 runs the batch at
 *    whatever clock the device has when the batch starts;
 *  - SET_CLOCK is a clock change job in the same FIFO: on an idle device it
 *    starts at once, on a busy one it runs after the work queued before it;
 *  - a clock change takes a delay drawn from the kind's distribution
 *    (profile->cc_shape scaled by clock_change_delay_s, its mean; a profile
 *    without a shape: exactly the mean) with the device's own lv_rng stream
 *    for clock changes, so a run is the same for the same seed; during it
 *    the GPU computes nothing and draws idle power at the old clock, and a
 *    batch that arrives meanwhile waits for the change to finish (the
 *    thesis's agent writes the devfreq limits and only then serves
 *    inference).
 *
 * Latency and energy of a batch of b frames at clock f come from the kind's
 * cost table in the run's mode (struct lv_devmodel_kind): L(f,b), E(f,b).
 * A cell the table cannot answer (prof mode, not measured) borrows the
 * nearest measured batch b' at the same clock, scaled linearly:
 * L = L(f,b')·b/b', E = E(f,b')·b/b' (equal distance: the smaller b').
 * A clock with no measured cell at all borrows the whole row of the nearest
 * clock that has one (equal distance: the higher clock). Batches above
 * max_batch (the agent may get them) scale the max_batch cell linearly.
 * Either way the marginal energy per frame of a borrowed cell equals that of
 * a real one, so the energy lower bound (metrics.h) still holds.
 *
 * Noise (off by default) scales each batch's duration by a factor drawn from
 * the device's own lv_rng stream: uniform in [1-x, 1+x], or lognormal with
 * sigma x and mean 1. Power while busy stays E(f,b)/L(f,b), so a slower
 * batch costs proportionally more energy.
 *
 * Power is piecewise constant: E(f,b)/L(f,b) while a batch runs,
 * idle_power_w at the current clock otherwise (a clock change included).
 * Energy is its exact integral, accumulated at every state change; an
 * optional sink sees every constant-power piece (the simulator bins them into
 * a power timeline).
 *
 * Default governor. Until a policy sets the clock (a dispatch with
 * freq_hz != 0 or a SET_CLOCK, after which the clock is the policy's for
 * good, as when the agent pins devfreq's min and max), the device's clock is
 * moved by the Jetson's default GPU governor, as fitted to the thesis's runs
 * under it (profile->governor; method in profiles/README.md):
 *  - up: while a batch runs below the top clock, every ramp_busy_s /
 *    (top - floor) seconds of running (accumulated across batches) move the
 *    clock one step up, so ramp_busy_s of GPU work takes it from the floor
 *    to the top;
 *  - hold: any batch keeps it where it is; only complete idle (nothing
 *    running, nothing queued) for hold_s starts it down;
 *  - down: then one step down at once and one more every descent_s /
 *    (top - floor - 1) seconds, so a clock that starts down from the top
 *    reaches floor_hz descent_s after leaving it (it never goes below the
 *    floor by itself). A batch stops the descent where it is, and a step
 *    down forgets the busy time toward the next step up.
 * "top" and "floor" are clock indices; a zero time is a move at once (in
 * the next instant). A governor move is an in-kernel devfreq transition,
 * so it costs no clock-change delay; it takes effect at once, also in the
 * middle of a batch, whose remaining work then runs at the new clock's
 * speed and power. The governor only schedules the moves it will make, so
 * a device at rest costs no events.
 *
 * Boost (lv_devmodel_boost). LoudVA's agent writes devfreq while Triton
 * computes, so a policy may also move the clock in the middle of a batch,
 * as the governor does: the write lands a clock-change delay later (drawn
 * as above, a conservative stand-in for the agent's round trip), the GPU
 * computes at the old clock meanwhile, and from then on the running
 * batch's remaining work runs at the new clock's speed and power. Work
 * queued behind it runs at the new clock too: queued clock changes are
 * dropped. On an idle device a boost is an ordinary clock change; during a
 * clock change it retargets the change. A later boost before the first
 * lands replaces its target. Takes the clock from the governor for good.
 */
#ifndef LV_DEVMODEL_H
#define LV_DEVMODEL_H

#include <stddef.h>
#include <stdint.h>

#include "base/rng.h"

struct lv_profile;
struct lv_cost_table;

enum lv_noise_kind {
	LV_NOISE_UNIFORM = 0,   /* factor uniform in [1-x, 1+x], x < 1 */
	LV_NOISE_LOGNORMAL = 1, /* factor exp(x·z - x²/2), z standard normal */
};

/*
 * The effective cost grid of one kind: every (clock, batch 1..max_batch)
 * cell answerable, borrowed cells filled as described above. Immutable once
 * built; devices of a kind share it.
 */
struct lv_devmodel_kind {
	const struct lv_profile *profile; /* borrowed */
	size_t n_freqs;
	int max_batch;
	double *latency_s; /* n_freqs × max_batch, index fi * max_batch + b - 1 */
	double *power_w;   /* E/L of the same cell */
	double min_idle_w; /* least idle power over the kind's clocks */
	/* The governor (profile->governor) in the model's terms. */
	size_t gov_floor;  /* clock index the descent ends at */
	double gov_up_s;   /* running time per step up */
	double gov_down_s; /* time per step down after the first */
	double gov_hold_s; /* complete idle before the first step down */
};

/*
 * Builds the effective grid from a kind's profile and cost table (both
 * borrowed; they must outlive the result). NULL with *why when the table
 * has no usable cell at all. Caller frees with lv_devmodel_kind_free.
 */
struct lv_devmodel_kind *lv_devmodel_kind_new(const struct lv_profile *p,
                                              const struct lv_cost_table *t, char **why);
void lv_devmodel_kind_free(struct lv_devmodel_kind *k);

/*
 * A cost-table cell the model (and the energy bound) may use: present in
 * the table's mode, latency finite and > 0, energy finite and >= 0.
 */
int lv_devmodel_cell_usable(const struct lv_cost_table *t, size_t fi, int batch);

/* Latency (s) and busy power (W) of a batch of `batch` >= 1 frames at clock index fi. */
double lv_devmodel_kind_latency(const struct lv_devmodel_kind *k, size_t fi, int batch);
double lv_devmodel_kind_power(const struct lv_devmodel_kind *k, size_t fi, int batch);

struct lv_devmodel_config {
	int governor; /* run the default governor until a policy sets a clock [1] */
	double noise; /* x above; 0 = off [0] */
	enum lv_noise_kind noise_kind; /* [uniform] */
	uint64_t seed;                 /* noise and clock-change streams' seed [1] */
	int cold_start;                /* the GPU starts power gated: until its first batch,
	                                * idle at the lowest clock draws profile->cold_idle_w
	                                * (when measured) [0] */
};

void lv_devmodel_config_default(struct lv_devmodel_config *cfg);

/* A constant-power piece [t0_s, t1_s) at power_w, for the optional sink. */
typedef void (*lv_devmodel_sink_fn)(void *arg, int device, double t0_s, double t1_s,
                                    double power_w);

enum lv_devmodel_event_kind {
	LV_DM_BATCH_DONE = 1, /* a batch finished */
	LV_DM_GOV_CLOCK = 2,  /* the governor moved the clock */
};

struct lv_devmodel_event {
	enum lv_devmodel_event_kind kind;
	double time_s;
	uint64_t freq_hz; /* GOV_CLOCK: the new clock; BATCH_DONE: clock at the end */
	/* BATCH_DONE */
	uint64_t batch_id;
	int batch;
	double submit_s, start_s; /* when it was submitted and when it began running */
	double energy_j;          /* what the batch itself drew */
};

/* One job waiting in the FIFO. */
struct lv_devmodel_job {
	uint64_t batch_id; /* 0: a clock change */
	int batch;
	int fi; /* clock change: target index; batch: unused */
	double submit_s;
	const struct lv_devmodel_kind *costs; /* batch: its cost grid; NULL: the device's kind's */
};

enum lv_devmodel_phase {
	LV_DM_IDLE = 0,
	LV_DM_CHANGING = 1, /* a clock change until phase_end_s */
	LV_DM_RUNNING = 2,  /* a batch until phase_end_s */
};

/*
 * One emulated device. Embedded (init/fini); the fields are readable, and
 * written only through the functions below.
 */
struct lv_devmodel {
	const struct lv_devmodel_kind *kind; /* borrowed */
	int index;                           /* the device's index, passed to the sink */
	struct lv_devmodel_config cfg;
	struct lv_rng rng;    /* noise */
	struct lv_rng cc_rng; /* clock-change delays */

	size_t fi;      /* current clock index */
	size_t tail_fi; /* clock once all queued work has run */
	int gov_on;
	int cold;         /* no batch has run since a cold start */
	double warm_at_s; /* when the first batch started; +INF before */

	enum lv_devmodel_phase phase;
	double phase_end_s;         /* end of the change or batch; +INF when idle */
	struct lv_devmodel_job cur; /* the job in progress */
	double cur_start_s;
	double cur_noise;    /* the running batch's duration factor */
	double cur_energy_j; /* drawn by the running batch so far */

	struct lv_devmodel_job *fifo; /* ring */
	size_t head, len, cap;

	double power_w;           /* now */
	double acc_s;             /* energy and integrals are accumulated up to here */
	double energy_j;          /* since init */
	double busy_s;            /* time running batches since init */
	double busy_energy_j;     /* of energy_j: drawn while batches ran */
	double change_energy_j;   /* of energy_j: drawn during clock changes */
	double lowest_s, top_s;   /* time at the kind's lowest and highest clock */
	double freq_hz_s;         /* integral of the clock (Hz·s), for the time-weighted mean */
	uint64_t batches, frames; /* finished */

	double gov_next_s;       /* the governor's next move; +INF when off or none due */
	double gov_busy_s;       /* running time toward the next step up */
	double gov_mark_s;       /* gov_busy_s is up to date until here (while running) */
	double gov_idle_since_s; /* start of the current complete idle; +INF otherwise */
	double gov_down_at_s;    /* the last step down; -INF when none since the last batch */

	double boost_at_s; /* when a boost's write lands; +INF when none pending */
	size_t boost_fi;   /* its clock index */

	lv_devmodel_sink_fn sink;
	void *sink_arg;
};

/*
 * Starts device `index` of kind k (borrowed) idle at clock freq_hz (one of
 * the kind's; 0: the highest, as a Jetson boots) at time now. cfg NULL:
 * defaults. The noise and clock-change streams are seeded from (cfg->seed,
 * index). `sink` may be NULL. The governor, when on, starts its hold at now.
 */
void lv_devmodel_init(struct lv_devmodel *d, const struct lv_devmodel_kind *k, int index,
                      const struct lv_devmodel_config *cfg, uint64_t freq_hz, double now,
                      lv_devmodel_sink_fn sink, void *sink_arg);
void lv_devmodel_fini(struct lv_devmodel *d);

/*
 * When the device next changes state on its own (a batch or clock change
 * ends, a governor move): +INF when nothing will. The caller must call
 * lv_devmodel_advance up to `now` before any other call at `now`.
 */
double lv_devmodel_next_s(const struct lv_devmodel *d);

/*
 * Runs the device's own transitions due at or before `until`, in time
 * order, and stops after the first one the driver must hear about: returns
 * 1 with *ev filled (a batch finished, the governor moved the clock), or 0
 * when nothing more is due by `until`. Call until it returns 0. Energy is
 * accumulated up to the last transition run, not to `until`.
 */
int lv_devmodel_advance(struct lv_devmodel *d, double until, struct lv_devmodel_event *ev);

/*
 * Queues batch batch_id (> 0) of `batch` >= 1 frames at now, to run at
 * freq_hz (0: the clock the device has when it starts). LV_EINVAL when
 * freq_hz is not one of the kind's clocks (nothing queued).
 */
int lv_devmodel_submit(struct lv_devmodel *d, double now, uint64_t batch_id, int batch,
                       uint64_t freq_hz);

/*
 * The same, the batch running on the cost grid `costs` (borrowed until the
 * batch ends) instead of the device's kind's: a grid built from the same
 * profile (same clocks and governor) with other costs — the emulated agent's
 * models of other wire formats, whose batches also pay their on-device
 * preprocessing (profile.h). NULL: the kind's.
 */
int lv_devmodel_submit_costs(struct lv_devmodel *d, double now, uint64_t batch_id, int batch,
                             uint64_t freq_hz, const struct lv_devmodel_kind *costs);

/* Queues a clock change to freq_hz at now (see above). LV_EINVAL on an unknown clock. */
int lv_devmodel_set_clock(struct lv_devmodel *d, double now, uint64_t freq_hz);

/*
 * Moves the clock to freq_hz now, in the middle of a running batch if need
 * be (Boost above). LV_EINVAL on an unknown clock (nothing changes).
 */
int lv_devmodel_boost(struct lv_devmodel *d, double now, uint64_t freq_hz);

/*
 * Hands the clock back to the default governor at now (the agent's
 * "release": devfreq's min and max restored to the full range). Work already
 * queued, clock changes included, still runs; the governor starts afresh
 * (no busy time toward a step up; an idle device starts its hold at now).
 * No-op when the governor is already on, or when cfg.governor is 0.
 */
void lv_devmodel_release(struct lv_devmodel *d, double now);

/* Accumulates energy and integrals up to now (>= every time seen so far). */
void lv_devmodel_settle(struct lv_devmodel *d, double now);

/* The current clock, Hz. */
uint64_t lv_devmodel_freq_hz(const struct lv_devmodel *d);

/* Jobs (batches and clock changes) queued or in progress. */
static inline size_t lv_devmodel_pending(const struct lv_devmodel *d)
{
	return d->len + (d->phase != LV_DM_IDLE ? 1 : 0);
}

#endif
