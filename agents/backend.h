/*
 * backend: what loudva-agent drives on a worker — the GPU clock (list, read,
 * pin, release), power telemetry, and in emulation the inference itself.
 * One ops struct per implementation, chosen by name from the registry in
 * backend.c:
 *   "jetson"    a real board: devfreq files under /sys, tegrastats
 *               (backend_jetson.c);
 *   "emulated"  the device model of devmodel.h run against the wall clock
 *               (backend_emulated.c).
 *
 * Time: every backend measures "now" as seconds of CLOCK_MONOTONIC since
 * cfg->t0 (the agent's start), the clock telemetry's time_s is on.
 * Backends are thread-safe: the agent's HTTP threads call them concurrently.
 * Callers use the lv_backend_* wrappers, never the ops directly.
 */
#ifndef LV_BACKEND_H
#define LV_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "model/cost.h"
#include "model/profile.h"
#include "nvpmodel.h"
#include "tegrastats.h"

struct lv_backend;

#define LV_BACKEND_CAP_INFER 1u /* emulates inference (the agent's emulated Triton) */

struct lv_backend_config {
	double t0_s; /* CLOCK_MONOTONIC seconds at the agent's start */
	/* jetson */
	const char *sysfs_root;       /* prefix of /sys and /proc; NULL or "/": the real ones */
	const char *tegrastats;       /* a regular file: replayed; else a shell command;
	                                 NULL: "tegrastats --interval 200"; "": none */
	double tegrastats_interval_s; /* sampling (and replay) interval [0.2] */
	const char *nvpmodel;         /* the nvpmodel program; NULL: <root>/usr/sbin/nvpmodel */
	double nvpmodel_timeout_s;    /* a run of it is killed after this long [20] */
	/* emulated */
	const char *kind;           /* must equal the profile's kind */
	const char *profile_path;   /* profiles/<kind>.json */
	enum lv_cost_mode mode;     /* the cost table the emulation runs from */
	const char *cluster_path;   /* pred/fill: whose profiles train the predictor */
	const char *predictor_path; /* pred/fill: the predictor cache */
};

void lv_backend_config_default(struct lv_backend_config *cfg);

/* Validity bits of struct lv_telemetry. */
enum {
	LV_TEL_GPU_FREQ = 1u << 0,
	LV_TEL_GPU_LOAD = 1u << 1,
	LV_TEL_POWER = 1u << 2,    /* power_w and rails */
	LV_TEL_INFLIGHT = 1u << 3, /* emulation */
	LV_TEL_SAMPLES = 1u << 4,  /* tegrastats counters */
	LV_TEL_EMC_FREQ = 1u << 5, /* emc_freq_hz */
	LV_TEL_EMC_LOAD = 1u << 6, /* emc_load_pct */
	LV_TEL_RAM = 1u << 7,      /* ram_used_bytes, ram_total_bytes */
	LV_TEL_CPU = 1u << 8,      /* cpu_load_pct, cpu_online, cpu_cores */
	/* power_mode_* (nvpmodel) */
	LV_TEL_POWER_MODE = 1u << 9,
};

struct lv_telemetry {
	unsigned valid; /* LV_TEL_* */
	double time_s;  /* since the agent started (cfg->t0_s) */
	uint64_t gpu_freq_hz;
	double gpu_load_pct; /* 0..100 */
	double power_w;      /* total now */
	size_t n_rails;
	struct lv_tegrastats_rail rails[LV_TS_MAX_RAILS];
	double energy_j; /* since start; always valid (0 before the first sample) */
	size_t n_temps;  /* temperatures where known */
	struct lv_tegrastats_temp temps[LV_TS_MAX_TEMPS];
	uint64_t emc_freq_hz; /* memory (EMC) clock */
	double emc_load_pct;  /* memory controller load, 0..100 */
	uint64_t ram_used_bytes, ram_total_bytes;
	double cpu_load_pct; /* mean over the online cores, 0..100 */
	int cpu_online, cpu_cores;
	int inflight;                /* batches queued or running (emulation) */
	uint64_t samples, malformed; /* tegrastats lines parsed and skipped */
	int source_alive;            /* the tegrastats child or replay is still running */
	/* The nvpmodel power mode now: its id, its name ("" when the configuration
	 * lacks the id), and the GPU clock cap it sets, if any. */
	int power_mode_id;
	char power_mode_name[LV_NVP_NAME_MAX];
	int power_mode_capped;
	uint64_t power_mode_gpu_max_hz;
};

/* The GPU clock as the agent reports it. */
struct lv_clock_state {
	uint64_t freq_hz;   /* the clock now */
	int pinned;         /* a PUT set it; 0: the default governor */
	uint64_t target_hz; /* pinned: the requested clock (may not have taken effect yet) */
};

/* One emulated batch, as the infer endpoint reports it. */
struct lv_infer_result {
	double queue_s;   /* submitted → started (waited behind other work) */
	double latency_s; /* started → finished */
	double energy_j;  /* what the batch drew */
	uint64_t freq_hz; /* clock at the end */
};

/*
 * A real board's power modes (nvpmodel.h) and the one it is in. The
 * current mode is read from nvpmodel's status file, else from what
 * `nvpmodel -q` printed when the agent started or last changed the mode.
 */
struct lv_power_info {
	int has_conf;                       /* conf holds the board's modes (at least one) */
	char conf_path[512];                /* the configuration file looked for */
	char conf_error[512];               /* !has_conf: why there are none */
	struct lv_nvp_conf conf;            /* has_conf */
	int current_known;                  /* current_id is known ... */
	int current_id;                     /* ... as this */
	int current;                        /* its index in conf.modes; -1 when not there */
	char current_name[LV_NVP_NAME_MAX]; /* "" when unknown */
	char source[540];                   /* where the current mode was read, or why not */
};

/* What a power mode change did. */
struct lv_power_change {
	int from_id;      /* the mode before; -1 when unknown */
	int pin_released; /* the clock was pinned: nvpmodel rewrote the range, the pin is gone */
};

struct lv_backend_ops {
	const char *name;
	unsigned caps; /* LV_BACKEND_CAP_* */
	int (*open)(struct lv_backend *b, const struct lv_backend_config *cfg, char **why);
	void (*close)(struct lv_backend *b);
	int (*get_clock)(struct lv_backend *b, struct lv_clock_state *out, char **why);
	int (*set_clock)(struct lv_backend *b, uint64_t hz, char **why);
	/* optional: the clock now, even mid-batch; NULL: set_clock already does so
	 * (a real board: devfreq takes a write while the GPU computes) */
	int (*boost_clock)(struct lv_backend *b, uint64_t hz, char **why);
	int (*release_clock)(struct lv_backend *b, char **why);
	int (*telemetry)(struct lv_backend *b, struct lv_telemetry *out, char **why);
	int (*infer)(struct lv_backend *b, int batch, enum lv_wire wire,
	             struct lv_infer_result *out, char **why); /* optional (CAP_INFER) */
	void (*stop)(struct lv_backend *b); /* optional: fail blocked and later infers */
	/* optional: a real board's power modes, and switching them */
	int (*power)(struct lv_backend *b, struct lv_power_info *out, char **why);
	int (*set_power_mode)(struct lv_backend *b, int id, struct lv_power_change *out,
	                      char **why);
};

struct lv_backend {
	const struct lv_backend_ops *ops;
	char kind[LV_KIND_MAX]; /* "agx-xavier", "xavier-nx", "nano", "agx-orin", "orin-nx",
	                           "orin-nano" */
	char model[128];        /* jetson: /proc/device-tree/model; emulated: display name */
	uint64_t *freqs_hz;     /* available clocks, ascending; owned */
	size_t n_freqs;
	int max_batch;               /* emulated: the profile's; jetson: 0 */
	double clock_change_delay_s; /* emulated: the profile's; jetson: 0 */
	void *impl;                  /* the implementation's state */
};

/* The registry: ops by name ("jetson", "emulated"), NULL when unknown. */
const struct lv_backend_ops *lv_backend_find(const char *name);

/*
 * Opens backend `name` with cfg (borrowed for the call). NULL with *why on
 * an unknown name or a failed open (the message names the file or field).
 * Caller frees with lv_backend_free.
 */
struct lv_backend *lv_backend_new(const char *name, const struct lv_backend_config *cfg,
                                  char **why);
void lv_backend_free(struct lv_backend *b);

int lv_backend_has(const struct lv_backend *b, unsigned cap);
const char *lv_backend_name(const struct lv_backend *b);

/* 1 when hz is one of the available clocks. */
int lv_backend_is_clock(const struct lv_backend *b, uint64_t hz);

/* The clock now. 0 or LV_EIO (a sysfs read failed). */
int lv_backend_get_clock(struct lv_backend *b, struct lv_clock_state *out, char **why);

/*
 * Pins the GPU clock to hz. LV_EINVAL when hz is not an available clock
 * (nothing changes); LV_ESTATE when it lies above the GPU cap of the power
 * mode the board is in (the message names the mode and its cap); LV_EIO
 * when a devfreq write failed. In emulation the
 * new clock takes effect after the kind's clock-change delay.
 */
int lv_backend_set_clock(struct lv_backend *b, uint64_t hz, char **why);

/*
 * Like lv_backend_set_clock, but the clock moves now, in the middle of the
 * batch running, not after the work queued (PUT {"now": true}; devmodel.h:
 * Boost). On a real board every pin does.
 */
int lv_backend_boost_clock(struct lv_backend *b, uint64_t hz, char **why);

/*
 * Releases a pin: the clock goes back to the default governor, over the
 * full range or, on a board whose power mode caps the GPU, up to that cap.
 * 0 or LV_EIO.
 */
int lv_backend_release_clock(struct lv_backend *b, char **why);

/* Telemetry now. 0, or LV_EIO. */
int lv_backend_telemetry(struct lv_backend *b, struct lv_telemetry *out, char **why);

/*
 * Runs one emulated batch of `batch` >= 1 frames of a model taking wire
 * format `wire` and blocks until it is done (queued behind earlier work:
 * one model instance). A uint8 or jpeg batch also pays its on-device
 * preprocessing (lv_profile_preprocess: b times the term). LV_ESTATE when
 * the backend cannot infer or is stopping.
 */
int lv_backend_infer(struct lv_backend *b, int batch, enum lv_wire wire,
                     struct lv_infer_result *out, char **why);

/*
 * The board's power modes and the one it is in. LV_ENOENT when the backend
 * has none (emulation). A board without an nvpmodel configuration is not an
 * error: has_conf 0 and conf_error say so.
 */
int lv_backend_power(struct lv_backend *b, struct lv_power_info *out, char **why);

/*
 * Switches to power mode `id` by running `nvpmodel -m id`. LV_ENOENT:
 * no power modes here; LV_EINVAL: not one of the board's modes (the message
 * lists them); LV_ESTATE: the board's modes are unknown, or the switch needs
 * a reboot, which the agent does not do; LV_EIO: nvpmodel could not run,
 * failed or timed out (its output in the message). A pinned clock is
 * released by the switch (nvpmodel rewrites the GPU's range).
 */
int lv_backend_set_power_mode(struct lv_backend *b, int id, struct lv_power_change *out,
                              char **why);

/* Wakes blocked infers (they fail with LV_ESTATE) before shutdown. */
void lv_backend_stop(struct lv_backend *b);

/*
 * The real backend's board table. The kind of a /proc/device-tree/model
 * string ("NVIDIA Jetson Nano Developer Kit" → "nano", "... Xavier NX ..." →
 * "xavier-nx", "Jetson-AGX" or "... AGX Xavier ..." → "agx-xavier",
 * "... AGX Orin ..." → "agx-orin", "... Orin NX ..." → "orin-nx",
 * "... Orin Nano ..." → "orin-nano"), NULL for a board LoudVA does not know
 * (a bare "Orin", as early JetPack 5 images name every Orin carrier, needs
 * the compatible list).
 */
const char *lv_backend_jetson_kind(const char *model);

/*
 * The kind from /proc/device-tree/compatible: `len` bytes of NUL-separated
 * strings ("nvidia,p3737-0000+p3701-0005\0nvidia,p3701-0005\0nvidia,tegra234\0").
 * The Orin modules are told apart by their part numbers: p3701 AGX Orin,
 * p3767-0000/-0001 Orin NX 16/8 GB, p3767-0003/-0004/-0005 Orin Nano. NULL
 * when no entry names a module of the table (the model string decides).
 */
const char *lv_backend_jetson_kind_compat(const char *compatible, size_t len);

/*
 * The kind's GPU devfreq directories relative to the sysfs root, in the
 * order they are tried (the first that has available_frequencies wins):
 * Nano "sys/devices/57000000.gpu/devfreq/57000000.gpu", the Xaviers
 * ".../17000000.gv11b/...", the Orins "sys/class/devfreq/17000000.ga10b"
 * (JetPack 5) then "sys/class/devfreq/17000000.gpu" (JetPack 6). A
 * NULL-terminated array, or NULL for an unknown kind.
 */
const char *const *lv_backend_jetson_devfreq_dirs(const char *kind);
/* The first of them (what a fake tree of the kind should hold), or NULL. */
const char *lv_backend_jetson_devfreq_dir(const char *kind);

extern const struct lv_backend_ops lv_backend_jetson_ops;
extern const struct lv_backend_ops lv_backend_emulated_ops;

#endif
