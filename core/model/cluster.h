/*
 * cluster: the devices one controller schedules — name, kind (a profile and
 * its cost table), endpoints, and the state the engine keeps current: up,
 * down or draining, GPU clock, batches in flight, when it last went idle.
 *
 * "busy" is not a state of its own: a device is busy while inflight > 0.
 * The engine thread is the only writer of the mutable fields; policies read
 * them through a const view.
 *
 * Cluster files are JSON (in profiles/clusters/, documented in
 * profiles/README.md):
 *   {"name": "thesis", "profiles": "..",
 *    "devices": [{"name": "agx-xavier-00", "kind": "agx-xavier",
 *                 "agent": "http://127.0.0.1:5001", "triton": "http://127.0.0.1:8001",
 *                 "shm": true, "wire": "uint8"},
 *                {"name": "nano", "kind": "nano", "count": 400}],
 *    "token_file": "agent.token", "ca": "site-ca.pem"}
 * "profiles" is the directory holding <kind>.json, relative to the cluster
 * file (default ".."). An entry with "count": N expands to N devices named
 * <name>-000 .. <name>-(N-1), with no endpoints (simulation only).
 * "shm" (optional, false): that Triton runs on the controller's host and
 * shares its /dev/shm (started with client shared memory allowed), so the
 * live controller hands it batches through shared memory, not HTTP bodies.
 * "wire" (optional, "fp32"): how batches travel to that device's Triton —
 * "fp32" tensors, "uint8" pixels or the camera's "jpeg" (core/model/wire.h);
 * the device's Triton serves the matching ensemble of model_repository/.
 * "token_file" (optional, relative to the cluster file) holds the bearer
 * token the agents were started with; a controller reads it only when it
 * drives the agents at these URLs.
 * Endpoints are http:// or https:// URLs. "ca" (optional, relative to the
 * cluster file), on the cluster or on a device (which wins): a PEM file of
 * the CA certificates that device's https:// endpoints must be signed by
 * (the site CA the setup playbooks make); without one, the system's CAs.
 * Certificates are always verified: there is no way to turn that off.
 *
 * The state, lookups and lifetime (cluster.c) do no I/O and are what the
 * scheduler links; loading files and building cost tables is cluster_load.c.
 */
#ifndef LV_CLUSTER_H
#define LV_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "cost.h"
#include "wire.h"

struct lv_profile;
struct lv_predictor;

#define LV_DEV_NAME_MAX 48

enum lv_dev_state {
	LV_DEV_UP = 0,
	LV_DEV_DOWN = 1,
	LV_DEV_DRAINING = 2, /* finishes in-flight work, gets no new batches */
};

const char *lv_dev_state_name(enum lv_dev_state s);

struct lv_kind {
	struct lv_profile *profile; /* owned */
	struct lv_cost_table *cost; /* owned; the scheduler's view, in the cluster's mode;
	                             * NULL until lv_cluster_build_costs */
	/*
	 * Owned; what the hardware does, whatever the scheduler believes: the
	 * measured points (prof mode). Emulated devices run on it and the energy
	 * bound is computed from it, so a scheduler using predicted costs is
	 * judged against measured physics, as it would be on a real board. A kind
	 * with no measured point at all has only predictions: then it is `cost`
	 * (borrowed, not freed twice — see truth_owned).
	 */
	struct lv_cost_table *truth;
	int truth_owned;
};

struct lv_device {
	char name[LV_DEV_NAME_MAX];
	int kind;          /* index into cluster->kinds */
	char *agent_url;   /* may be NULL */
	char *triton_url;  /* may be NULL */
	char *ca_file;     /* PEM CA certificates its https:// endpoints are checked
	                    * against; NULL: the system's (and for http:// ones) */
	int shm;           /* Triton shares this host's /dev/shm: batches go through its
	                    * system shared memory extension (the live controller) */
	enum lv_wire wire; /* what its batches carry: LV_WIRE_FP32 unless the file says */
	/*
	 * Owned; NULL for fp32. A wire format with on-device preprocessing
	 * makes the device's costs its kind's plus the format's per-frame term
	 * (lv_profile_preprocess): what the scheduler believes and what the
	 * device does. Built by lv_cluster_build_costs.
	 */
	struct lv_cost_table *cost_own, *truth_own;
	/* Engine-maintained state. */
	enum lv_dev_state state;
	uint64_t freq_hz;     /* current GPU clock as last set or observed */
	uint64_t max_freq_hz; /* the board's power mode caps its GPU clock here; 0: no cap */
	int inflight;         /* batches dispatched and not yet finished */
	double idle_since_s;  /* when inflight last dropped to 0 (run start at first) */
	uint64_t batches_done;
	uint64_t frames_done;
};

struct lv_cluster {
	char *name;
	char *token_file; /* "token_file" resolved against the cluster file; NULL if none */
	size_t n_kinds;
	struct lv_kind *kinds;
	size_t n_devices;
	size_t cap_devices; /* allocated, so adding a device is amortised O(1) */
	struct lv_device *devices;
	int largest_max_batch;          /* max over kinds of profile->max_batch */
	struct lv_predictor *predictor; /* owned; NULL in prof mode */
	/* Frees `predictor`: set with it by lv_cluster_build_costs, so that
	 * lv_cluster_free (the scheduler's side) does not link the predictor. */
	void (*predictor_free)(struct lv_predictor *p);
	enum lv_cost_mode mode;
};

/*
 * Loads a cluster file and the profiles of the kinds it names. Every device
 * starts UP at its kind's highest clock (a Jetson boots with the governor at
 * its top clock) — drivers correct this from telemetry. NULL on error with
 * *why naming the file and field ("thesis.json: devices[2].kind: no profile
 * 'tx2' (looked for profiles/tx2.json)").
 */
struct lv_cluster *lv_cluster_load(const char *path, char **why);

/*
 * The same from `len` bytes of text (NUL bytes included: they make it
 * invalid JSON). `path` names the file in messages and is where relative
 * paths ("profiles", "token_file", "ca") start from; only the profiles and
 * the CA files it names are read. NULL on error with *why.
 */
struct lv_cluster *lv_cluster_parse(const char *text, size_t len, const char *path, char **why);

/*
 * A cluster built in memory: `counts[i]` devices of `profiles[i]` each, named
 * <kind>-NN, in kind order. Takes ownership of the profiles. For tests and
 * benchmarks.
 */
struct lv_cluster *lv_cluster_new_from_profiles(struct lv_profile **profiles, const size_t *counts,
                                                size_t n_kinds);

/*
 * Builds every kind's cost table in `mode`. For fill and pred, the predictor
 * is loaded from `predictor_path` when it was trained on exactly these
 * profiles, else trained (and saved there when path is non-NULL). Calling
 * again rebuilds in the new mode.
 */
int lv_cluster_build_costs(struct lv_cluster *c, enum lv_cost_mode mode, const char *predictor_path,
                           char **why);

/* Index of the device named `name`, or -1. */
int lv_cluster_find(const struct lv_cluster *c, const char *name);

static inline const struct lv_profile *lv_device_profile(const struct lv_cluster *c,
                                                         const struct lv_device *d)
{
	return c->kinds[d->kind].profile;
}

/*
 * How many of the device's clocks (its profile's, ascending) it may run: those
 * at or below max_freq_hz (a power mode's cap; 0: every one), and at least the
 * lowest. The policies choose among freqs_hz[0 .. this - 1].
 */
size_t lv_device_n_freqs(const struct lv_cluster *c, const struct lv_device *d);

/* The highest clock the device may run (freqs_hz[lv_device_n_freqs - 1]). */
uint64_t lv_device_top_hz(const struct lv_cluster *c, const struct lv_device *d);

static inline const struct lv_cost_table *lv_device_cost(const struct lv_cluster *c,
                                                         const struct lv_device *d)
{
	return d->cost_own ? d->cost_own : c->kinds[d->kind].cost;
}

/* What the device really costs (its kind's measured table, plus its wire's term). */
static inline const struct lv_cost_table *lv_device_truth(const struct lv_cluster *c,
                                                          const struct lv_device *d)
{
	return d->truth_own ? d->truth_own : c->kinds[d->kind].truth;
}

/* Where the device's Triton answers: its own address, else the agent's (NULL if neither). */
static inline const char *lv_device_triton_url(const struct lv_device *d)
{
	return d->triton_url ? d->triton_url : d->agent_url;
}

/* Resets the engine-maintained fields (state UP, top clock, nothing in flight). */
void lv_cluster_reset(struct lv_cluster *c, double now);

void lv_cluster_free(struct lv_cluster *c);

#endif
