/*
 * store: the SQLite record of runs — every run, every frame and batch it
 * produced, its devices, and (live runs) the devices' telemetry. One file
 * per experiment or live session; `loudva report DB` and the plots read it.
 *
 * Schema (version LV_STORE_VERSION, kept in table schema_version):
 *   runs       one row per run: what ran (experiment, policy label, cost
 *              mode, sim|live, trace, trace seed, device seed, cluster) and
 *              its headline results (frames by state, energy, frames/J, ...)
 *   devices    one row per (run, device): name, kind, energy, frames, ...
 *   frames     one row per terminal frame: times, state, device, clock, batch
 *   batches    one row per finished batch: device, size, clock, times, energy
 *   telemetry  (time, device, power_w, energy_j, freq_hz, load_pct) samples;
 *              empty for simulated runs, filled by the live controller
 * experiments/README.md documents every column. Times are seconds from the
 * run's start, energies joules, clocks Hz; a NULL is "does not apply"
 * (a frame never dispatched has no dispatch time, device or clock).
 *
 * Writes. Rows written between lv_store_begin and lv_store_commit form one
 * transaction. Outside one the store opens a transaction itself and commits
 * every LV_STORE_TXN_ROWS rows (and at close), so writing row by row never
 * costs one fsync per row. The database runs in WAL mode, so a reader (the
 * console, `loudva report`) can read while a live run writes.
 *
 * Failed writes. A write that fails for any reason but a constraint (the
 * database locked past the busy time-out, a full disk, an I/O error) rolls
 * back the open transaction before it returns, so the connection is never
 * left inside a broken one: the caller's transaction is then gone (every
 * later write and the commit fail with LV_ESTATE until lv_store_begin or
 * lv_store_rollback), the store's own loses the rows since its last commit
 * (the message says how many). Such failures are LV_EIO, and may succeed
 * when tried again; a constraint (an id taken) is LV_EINVAL and undoes
 * only the one statement. store_spool.h retries failed writes and counts
 * the rows it has to give up.
 *
 * Schema history: version 2 renamed runs.frames_per_j to frames_per_joule
 * and added runs.frames_lost, batches_lost and telemetry_lost; a version 1
 * file is migrated when opened.
 *
 * SQLite's error codes stop here: callers get LV_E* codes and a message
 * naming the database file and what failed.
 */
#ifndef LV_STORE_H
#define LV_STORE_H

#include <stddef.h>
#include <stdint.h>

struct lv_store;
struct lv_cluster;
struct lv_frame;
struct lv_run_metrics;

#define LV_STORE_VERSION  2
#define LV_STORE_TXN_ROWS 20000
#define LV_STORE_BUSY_MS  5000 /* how long a write waits for another process's lock */

/* The kinds of rows, for counting what was written and what is missing. */
enum lv_store_kind {
	LV_STORE_FRAMES,
	LV_STORE_BATCHES,
	LV_STORE_TELEMETRY,
	LV_STORE_RUNS,    /* a run's results (lv_store_finish_run's update of its row) */
	LV_STORE_DEVICES, /* the devices rows that come with them */
	LV_STORE_KINDS
};

/* "frames", "batches", "telemetry", "runs", "devices". */
const char *lv_store_kind_name(enum lv_store_kind k);

enum {
	LV_STORE_SCRATCH = 1u << 0, /* a temporary file: no journal, no fsync (merged later) */
};

/*
 * Opens (creating when absent) the database at path and makes sure it holds
 * this version's schema. NULL with *why when the file cannot be opened, is
 * not a database, or holds another schema version.
 */
struct lv_store *lv_store_open(const char *path, unsigned flags, char **why);

/* Commits any open transaction and closes. NULL is fine. 0 or LV_ELIB. */
int lv_store_close(struct lv_store *s, char **why);

/*
 * How long a write waits for a lock another connection holds before it
 * fails (LV_STORE_BUSY_MS at open); ms >= 0.
 */
void lv_store_set_busy_timeout(struct lv_store *s, int ms);

/*
 * The caller's transaction. begin: LV_ESTATE when one is open (a failed,
 * rolled-back one is not: begin starts afresh). commit: 0 when there is
 * none; LV_ESTATE when it was rolled back after a failed write; LV_EIO
 * when the commit fails (then rolled back too). rollback: abandons the
 * open transaction, if any, and its rows; never fails.
 */
int lv_store_begin(struct lv_store *s, char **why);
int lv_store_commit(struct lv_store *s, char **why);
void lv_store_rollback(struct lv_store *s);

/* What a run is; strings borrowed for the call, NULL stored as NULL. */
struct lv_store_run {
	int64_t id; /* > 0: use this id; 0: the next free one */
	const char *experiment;
	const char *policy;    /* label, "loud(pred)" */
	const char *cost_mode; /* "pred", "fill", "prof" */
	const char *mode;      /* "sim" or "live" */
	const char *trace;     /* trace label */
	int64_t trace_seed;    /* generator seed; < 0: none (a trace file) */
	uint64_t seed;         /* device seed */
	const char *cluster;
};

/* Adds a run; its id in *id_out. LV_EINVAL when the id is taken. */
int lv_store_add_run(struct lv_store *s, const struct lv_store_run *r, int64_t *id_out, char **why);

/*
 * Records a run's results: the runs row's result columns and one devices row
 * per device of m (kind names from c, the cluster the run ran on).
 */
int lv_store_finish_run(struct lv_store *s, int64_t run, const struct lv_run_metrics *m,
                        const struct lv_cluster *c, char **why);

/*
 * Records how many rows of each kind a run is missing (runs.frames_lost,
 * batches_lost, telemetry_lost; lost[] indexed by enum lv_store_kind): a
 * live run's writes that kept failing. LV_ENOENT when there is no such run.
 */
int lv_store_set_lost(struct lv_store *s, int64_t run, const uint64_t lost[LV_STORE_KINDS],
                      char **why);

/* A terminal frame of run `run`; the frame's tag is stored as its request. */
int lv_store_add_frame(struct lv_store *s, int64_t run, const struct lv_frame *f, char **why);

struct lv_store_batch {
	int device;
	uint64_t batch_id;
	int frames;
	uint64_t freq_hz;
	double submit_s, start_s, end_s;
	double energy_j;
};

int lv_store_add_batch(struct lv_store *s, int64_t run, const struct lv_store_batch *b, char **why);

/* One telemetry sample (live); a NAN field is stored as NULL. */
struct lv_store_telemetry {
	double time_s;
	int device;
	double power_w, energy_j;
	uint64_t freq_hz; /* 0: unknown */
	double load_pct;
};

int lv_store_add_telemetry(struct lv_store *s, int64_t run, const struct lv_store_telemetry *t,
                           char **why);

/*
 * Copies every row of the database at `path` (same schema version) into s,
 * inside one transaction. Run ids must not collide (LV_EINVAL). The
 * experiment runner merges its workers' scratch databases in matrix order.
 */
int lv_store_merge(struct lv_store *s, const char *path, char **why);

/* A run as the frames and batches tables tell it (not the stored results). */
struct lv_store_summary {
	int64_t run;
	char policy[96], trace[128], mode[8], cost_mode[8];
	int64_t trace_seed;
	uint64_t seed;
	uint64_t frames; /* frame rows */
	uint64_t ok, late, failed, expired, rejected;
	uint64_t batches;      /* batch rows */
	double batch_energy_j; /* Σ batch energy (busy energy only) */
	double energy_j;       /* the run's energy (runs row), NAN if not finished */
	double window_s;       /* likewise */
	double latency_mean_s; /* over served frames; NAN if none */
	double latency_max_s;
};

/*
 * The summaries of every run, in id order: *out is a new array of *n
 * (caller frees). 0 or LV_ELIB.
 */
int lv_store_summaries(struct lv_store *s, struct lv_store_summary **out, size_t *n, char **why);

/*
 * Latencies (done - arrival, s) of the served frames of every run with
 * policy label `policy`, ascending: *out new array of *n (caller frees;
 * NULL when n is 0).
 */
int lv_store_latencies(struct lv_store *s, const char *policy, double **out, size_t *n, char **why);

#endif
