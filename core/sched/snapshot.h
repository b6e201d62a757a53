/*
 * snapshot: plain data copied out of the running controller a few times a
 * second, for everything that shows state without touching the engine — the
 * console views, GET /status, GET /metrics. A snapshot owns its arrays; it
 * is immutable once published, so readers need no lock while they hold it.
 *
 * Optional metrics carry a validity bit (nvtop's idiom): a device whose
 * telemetry has not arrived yet has LV_SNAP_HAS_POWER clear, and views show
 * "-" rather than a made-up zero.
 */
#ifndef LV_SNAPSHOT_H
#define LV_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "model/cluster.h"
#include "engine.h"
#include "model/profile.h"

#define LV_SNAP_HISTORY     600 /* samples of history kept (1 per second: 10 minutes) */
#define LV_SNAP_LAT_BUCKETS 12
#define LV_SNAP_BATCHES     8  /* recent batches kept per device */
#define LV_SNAP_FRAMES      32 /* recent terminal frames kept */
#define LV_SNAP_TIGHTEST    8  /* tightest queued deadlines */

enum {
	LV_SNAP_HAS_POWER = 1u << 0,
	LV_SNAP_HAS_ENERGY = 1u << 1,
	LV_SNAP_HAS_LOAD = 1u << 2,
	LV_SNAP_HAS_TEMP = 1u << 3,
	LV_SNAP_HAS_EMC = 1u << 4, /* emc_freq_hz */
	LV_SNAP_HAS_RAM = 1u << 5, /* ram_used_bytes, ram_total_bytes */
	LV_SNAP_HAS_CPU = 1u << 6, /* cpu_load_pct */
};

/* A finished batch, as its frames ended. */
struct lv_snap_batch {
	double done_s;     /* controller clock */
	uint64_t freq_hz;  /* the clock it was dispatched at (0: the device's own) */
	int batch;         /* frames */
	double expected_s; /* the policy's estimate at dispatch; NAN when it gave none */
	double latency_s;  /* dispatch to done */
	double energy_j;   /* the cost table's energy at (clock, batch); NAN unknown */
	double budget_s;   /* budget of its frame with the least slack */
	double e2e_s;      /* that frame's arrival to done */
	int failed;        /* the batch failed (its frames were retried or FAILED) */
	int late;          /* frames served after their deadline */
};

/* A frame that reached its terminal state. */
struct lv_snap_frame {
	uint64_t id;
	enum lv_frame_state state;
	int device;               /* index into devices, -1 if never dispatched */
	int batch;                /* size of its last batch, 0 if never dispatched */
	double arrival_s, done_s; /* controller clock */
	double budget_s;
};

/* The last decision explained (the policy's own code path; loudva decide's text). */
struct lv_snap_decision {
	int valid;
	double at_s; /* controller clock */
	char policy[LV_POLICY_LABEL_MAX];
	size_t queue_len;     /* frames queued when it decided */
	struct lv_explain ex; /* device indices refer to devices[] */
};

#define LV_SNAP_RAILS 8

/* One power rail of the board as the agent reports it (tegrastats's rails, or the emulation's). */
struct lv_snap_rail {
	char name[16];
	double power_w;
};

/* A device's nvpmodel power mode as its agent reports it (GET /telemetry's power_mode). */
enum lv_snap_pmode_state {
	LV_SNAP_PMODE_NONE = 0,    /* no power modes: emulation, or the device's agent is down */
	LV_SNAP_PMODE_UNKNOWN = 1, /* a real board whose mode its agent cannot tell */
	LV_SNAP_PMODE_KNOWN = 2,
};

#define LV_SNAP_PMODE_NAME_MAX 32

struct lv_snap_pmode {
	enum lv_snap_pmode_state state;
	int id;                            /* LV_SNAP_PMODE_KNOWN: nvpmodel's id */
	char name[LV_SNAP_PMODE_NAME_MAX]; /* "" when the board's file lacks the id */
	uint64_t gpu_max_hz;               /* the mode's GPU cap, Hz; 0: none (or unknown) */
};

struct lv_snap_device {
	char name[LV_DEV_NAME_MAX];
	char kind[LV_KIND_MAX];
	enum lv_dev_state state;
	unsigned valid; /* LV_SNAP_HAS_* */
	int inflight;
	uint64_t freq_hz, max_freq_hz, min_freq_hz;
	double power_w;  /* latest telemetry */
	double energy_j; /* since the controller started */
	double load_pct;
	double temp_c;
	uint64_t emc_freq_hz; /* the memory (EMC) clock, Hz */
	uint64_t ram_used_bytes, ram_total_bytes;
	double cpu_load_pct; /* mean over the online cores, 0..100 */
	size_t n_rails;      /* rails[] from the latest telemetry; 0 when unknown */
	struct lv_snap_rail rails[LV_SNAP_RAILS];
	uint64_t batches, frames; /* served */
	uint64_t late;            /* QoS violations: served late */
	uint64_t failed;          /* frames that failed with this as their last device */
	int last_batch;           /* size of the last batch dispatched */
	double fps;               /* frames served per second, last 10 s */
	char last_error[256];     /* empty when none */
	char transport[8];        /* "shm": through shared memory (in a body when no region is free
	                             within the allowance); "body": in HTTP bodies; "": unknown */
	uint64_t shm_bytes;       /* shared-memory regions the controller holds for it */
	char wire[8];             /* its wire format: "fp32", "uint8", "jpeg" */
	uint64_t wire_bytes;      /* frames' input bytes sent to it in that format */
	uint64_t restarts;        /* times its agent was restarted after dying (embedded) */
	struct lv_snap_pmode pmode;        /* its power mode, latest telemetry */
	uint64_t clock_clamps;             /* times a clock asked above the mode's GPU cap was first
	                                    * held to it: once per cap met, not per request */
	uint64_t clamp_asked_hz, clamp_hz; /* the latest under the current cap:
	                                    * asked, and sent instead (0: none) */
	size_t n_recent;                   /* batches in recent[], newest first */
	struct lv_snap_batch recent[LV_SNAP_BATCHES];
};

/*
 * The record of the run in the store (a live run with a database). A row
 * of each kind is, at any time, in exactly one of written, lost and
 * pending; lost rows are gone for good (writes kept failing, or the
 * writer's buffer was full), so any of them makes the record incomplete.
 */
enum {
	LV_SNAP_ROWS_FRAMES,
	LV_SNAP_ROWS_BATCHES,
	LV_SNAP_ROWS_TELEMETRY,
	LV_SNAP_ROWS_RUNS,    /* the run's results */
	LV_SNAP_ROWS_DEVICES, /* the devices rows that come with them */
	LV_SNAP_ROW_KINDS
};

/* "frames", "batches", "telemetry", "runs", "devices". */
static inline const char *lv_snap_row_kind_name(int k)
{
	static const char *const names[LV_SNAP_ROW_KINDS] = { "frames", "batches", "telemetry",
		                                              "runs", "devices" };
	return k >= 0 && k < LV_SNAP_ROW_KINDS ? names[k] : "?";
}

struct lv_snap_store {
	int enabled; /* 0: no database (everything below is 0) */
	int failing; /* the last write failed: rows wait for the next attempt */
	uint64_t written[LV_SNAP_ROW_KINDS];
	uint64_t lost[LV_SNAP_ROW_KINDS];
	uint64_t pending[LV_SNAP_ROW_KINDS]; /* held in memory for the next write */
	uint64_t failures;                   /* write attempts that failed */
	uint64_t gaps;                       /* times writing resumed after rows were lost */
	char last_error[200];                /* the last failure; "" before any */
};

/* Rows lost, all kinds: > 0 means the record is incomplete. */
static inline uint64_t lv_snap_store_lost(const struct lv_snap_store *s)
{
	uint64_t n = 0;
	for (int k = 0; k < LV_SNAP_ROW_KINDS; k++)
		n += s->lost[k];
	return n;
}

struct lv_snapshot {
	uint64_t seq; /* increases with every publication */
	double now_s; /* controller clock */
	double uptime_s;
	char policy[LV_POLICY_LABEL_MAX];
	char mode[8]; /* cost mode */
	char cluster[64];
	size_t queue_len;
	double min_deadline_s; /* +INF when empty */
	struct lv_engine_counts counts;
	double power_w;                  /* cluster, latest */
	double energy_j;                 /* cluster, since start */
	double fps;                      /* frames served per second, last 10 s */
	double fpj_60s, fpj_total;       /* frames per joule, rolling 60 s and since start */
	double pct_ok_60s, pct_ok_total; /* % of terminal frames served within budget */
	/* Latency histogram of served frames since start: upper bounds in seconds. */
	double lat_bounds_s[LV_SNAP_LAT_BUCKETS]; /* last is +INF */
	uint64_t lat_counts[LV_SNAP_LAT_BUCKETS];
	double lat_sum_s;
	/* History, oldest first, one sample per second. */
	size_t n_history;
	double hist_power_w[LV_SNAP_HISTORY];
	double hist_fps[LV_SNAP_HISTORY];
	double hist_queue[LV_SNAP_HISTORY];
	/* The last frames to end, newest first, and the tightest queued deadlines, ascending. */
	size_t n_frames_recent;
	struct lv_snap_frame frames_recent[LV_SNAP_FRAMES];
	size_t n_tightest;
	double tightest_s[LV_SNAP_TIGHTEST]; /* absolute deadlines, controller clock */
	struct lv_snap_decision decision;
	struct lv_snap_store store;
	size_t n_devices;
	struct lv_snap_device *devices; /* owned */
};

void lv_snapshot_free(struct lv_snapshot *s);

#endif
