/*
 * live_state: the live runtime's state — struct lv_live's internals, each
 * device's state as the engine thread sees it, transfers, the request
 * table and operator commands. Types only; the functions the live files
 * share are declared in live_internal.h. Not for use outside core/live.
 *
 * Everything here except the fields marked "under in_mu" or "under
 * snap_mu" belongs to the engine thread.
 */
#ifndef LV_LIVE_STATE_H
#define LV_LIVE_STATE_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>

#include "live.h"
#include "sched/metrics.h"
#include "sched/timeline.h"
#include "base/clock.h"
#include "base/util.h"

enum xfer_kind {
	XF_INFER = 1,     /* POST /v2/models/<m>/infer to Triton */
	XF_CLOCK = 2,     /* PUT /gpu/frequency to the agent */
	XF_TELEMETRY = 3, /* GET /telemetry */
	XF_PROBE = 4,     /* GET /healthz, Triton's ready, the model's ready, its index */
	XF_SHM_REG = 5,   /* POST /v2/systemsharedmemory/region/<r>/register */
	XF_SHM_UNREG = 6, /* POST /v2/systemsharedmemory/region/<r>/unregister */
};

struct lv_live;
struct live_region;
struct xfer;

/*
 * What a transfer does when it ends, set by whoever makes it
 * (live_xfer_new): the device's work order for clock changes, the
 * dispatcher for batches, the health and telemetry pollers, the
 * shared-memory code for registrations. The HTTP layer (live_http.c)
 * reaches the rest of the runtime only through these.
 */
struct xfer_ops {
	/*
	 * The exchange ended. ok: a whole response came (code: its HTTP
	 * status; err ""); else err says why (code: the status if one came,
	 * else 0; x->timed_out set for a timeout). Also called, a turn later,
	 * for a transfer that could not start (live_xfer_defer: ok 0, code 0,
	 * err its errbuf). x is freed right after. NULL: nothing to do (a
	 * best-effort request).
	 */
	void (*done)(struct lv_live *lv, struct xfer *x, int ok, long code, const char *err,
	             double now);
	/*
	 * x is being freed — after done, or unfinished at shutdown: let go of
	 * what it holds beyond its own fields. NULL: it holds nothing.
	 */
	void (*release)(struct lv_live *lv, struct xfer *x);
};

/* A probe's stages, in order (live_health.c). */
enum live_probe_stage {
	PROBE_AGENT = 0,  /* GET /healthz on the agent */
	PROBE_TRITON = 1, /* GET /v2/health/ready on a Triton apart from the agent */
	PROBE_MODEL = 2,  /* GET /v2/models/<m>/ready */
	PROBE_INDEX = 3,  /* POST /v2/repository/index: why the model is not loaded */
};

/* One HTTP exchange with a device; owned by the engine thread. */
struct xfer {
	enum xfer_kind kind;
	int device;
	const struct xfer_ops *ops; /* never NULL */
	CURL *h;                    /* NULL until started */
	struct curl_slist *hdrs;
	char errbuf[CURL_ERROR_SIZE];
	struct lv_buf resp; /* response body */
	long infer_hdr_len; /* Inference-Header-Content-Length of the response; -1 none */
	/*
	 * Request body: json, then each frame's input, streamed — frame_bytes of
	 * tensors[f] (fp32 or uint8; NULL: zeros), or for the jpeg wire
	 * (frame_len != NULL) frame f's 4-byte length then its frame_len[f] - 4
	 * bytes of JPEG, KServe's BYTES encoding. seg_f/seg_at: the frame the
	 * stream is in and where it starts (body bytes after the JSON).
	 */
	char *body_json;
	size_t json_len;
	const void **tensors;
	size_t frame_bytes, body_len, body_pos;
	size_t data_bytes; /* the frames' bytes, in the body or the region (live_infer_header) */
	enum lv_wire wire;
	size_t *frame_len;
	unsigned char (*prefix)[4];
	size_t seg_f, seg_at;
	/* XF_INFER */
	uint64_t batch_id;
	int batch;
	uint64_t freq_hz; /* the clock the batch runs at (0: as is) */
	uint64_t *frame_ids;
	double expected_s;
	double queued_s; /* when the engine dispatched it */
	/* XF_INFER through shared memory, XF_SHM_REG: the region (NULL: the body);
	 * only live_shm.c looks inside */
	struct live_region *region;
	/* XF_INFER through shared memory, XF_SHM_REG, XF_SHM_UNREG: the region's
	 * name ("" for a body); XF_SHM_REG: its size, bytes */
	char shm_name[64];
	size_t shm_size;
	/* XF_CLOCK */
	uint64_t put_hz;
	int put_now; /* a boost: {"now": true}, mid-batch */
	/* XF_PROBE: which of the probe's stages this is */
	enum live_probe_stage probe_stage;
	/* XF_TELEMETRY: the device's clock and power-mode epochs when it was sent */
	uint64_t epoch, pmode_epoch;
	int timed_out;              /* the transfer hit its timeout */
	struct xfer *next;          /* the device's wait list, or the deferred list */
	struct xfer *aprev, *anext; /* transfers in the multi handle */
};

enum live_health {
	HEALTH_UP = 0,
	HEALTH_SUSPECT = 1, /* a batch just failed: no new work until a probe answers */
	HEALTH_DOWN = 2,    /* probed until it answers */
};

struct live_dev {
	enum live_health health;
	enum lv_dev_state admin; /* the operator's wish */
	int fails;               /* consecutive failed batches */
	int refused_row;         /* consecutive batches refused for a frame's input */
	int tele_fails;          /* consecutive failed telemetry polls */
	uint64_t sent_hz;        /* the clock last asked for or observed; 0 unknown */
	int owned_clock;         /* the controller has set the clock: its governor is off */
	uint64_t tele_hz;        /* the clock telemetry last reported, 0 none */
	uint64_t pin_hz;         /* operator's pinned clock, 0 none */
	uint64_t epoch;          /* bumped at every clock PUT sent and answered */
	struct xfer *wait_head, *wait_tail; /* work waiting behind a clock change */
	int clock_busy;                     /* a PUT in flight: later work waits */
	int shm_busy;                       /* a registration in flight: the same */
	struct live_region *regions;        /* shared-memory regions (live_shm.c) */
	size_t shm_bytes;                   /* their sizes, summed */
	uint64_t wire_bytes;                /* frames' input bytes sent to it, in its wire
	                                     * format (body or region) */
	int shm_off;                        /* shared memory failed here: bodies only */
	int shm_noted;                      /* the first registration was logged at info */
	int shm_primed;                     /* a region was registered ahead of work */
	double shm_check_s;                 /* live_shm_tick's next look */
	int n_infer;                        /* inference transfers in flight */
	double work_s;                      /* their expected latencies, summed */
	int tele_inflight, probe_inflight;
	double next_tele_s, next_probe_s;
	/* Telemetry. */
	unsigned valid; /* LV_SNAP_HAS_* */
	double power_w, load_pct, temp_c;
	uint64_t emc_freq_hz, ram_used_bytes, ram_total_bytes;
	double cpu_load_pct;
	size_t n_rails;
	struct lv_snap_rail rails[LV_SNAP_RAILS];
	/*
	 * Its power mode (live_telemetry.c, or a refusal's answer in
	 * live_device.c): with a GPU cap known, no clock above it is asked for
	 * (live_set_clock clamps). clamp_noted_hz: the cap whose clamp was
	 * logged and counted (0: none yet), so it is logged once per cap;
	 * clamp_asked_hz, clamp_hz: the latest clamp under the current cap.
	 */
	struct lv_snap_pmode pmode;
	uint64_t pmode_epoch; /* bumped when a refusal tells the mode: a telemetry
	                       * sample sent before says an older one */
	uint64_t clock_clamps, clamp_asked_hz, clamp_hz, clamp_noted_hz;
	double cum_j; /* the agent's cumulative counter at the last sample */
	int have_cum;
	double energy_j;   /* since the controller started */
	double tele_s;     /* time of the last sample */
	uint64_t restarts; /* its agent restarted (lv_live_device_restarted) */
	/* Served work. */
	uint64_t batches, frames, late;
	uint64_t failed; /* frames that ended failed after it was their last device */
	int last_batch;
	char last_error[256];
};

/* Requests the engine thread holds, by first frame id (ids increase). */
struct reqtab {
	uint64_t *first;
	uint32_t *count;
	struct lv_live_request **req; /* NULL once answered */
	size_t n, cap, dead;
};

enum cmd_kind { CMD_POLICY = 1, CMD_PIN = 2, CMD_STATE = 3, CMD_RESTARTED = 4 };

struct cmd {
	enum cmd_kind kind;
	char *spec;
	int device;
	uint64_t hz;
	enum lv_dev_state state;
	int rc;
	char *why;
	int done;
	struct cmd *next;
};

struct live_stats;
struct live_record;
struct live_events;

struct lv_live {
	struct lv_live_config cfg;
	struct lv_cluster *cluster; /* owned, unless keep_cluster */
	int keep_cluster;           /* lv_live_new failed: the caller keeps it */
	struct lv_engine *engine;
	char *token;
	char *auth; /* "Authorization: Bearer ..." or NULL */
	double t0;  /* CLOCK_MONOTONIC at start, s */
	pthread_t thread;
	int thread_started;
	CURLM *multi;
	CURL **pool; /* idle easy handles */
	size_t n_pool, cap_pool;
	size_t n_xfers;        /* transfers in the multi handle */
	struct xfer *active;   /* those transfers */
	struct xfer *deferred; /* failed before they started: reported next turn */

	pthread_mutex_t in_mu;
	pthread_cond_t cmd_cv;
	struct lv_live_request *in_head, *in_tail; /* under in_mu */
	struct cmd *cmd_head, *cmd_tail;           /* under in_mu */
	int stopping;                              /* under in_mu */
	int finished;                              /* under in_mu: the thread has answered all */

	struct live_dev *devs;
	struct reqtab reqs;
	int events; /* something happened: step the engine */
	double last_step_s;
	double first_arrival_s;       /* NAN until the first frame */
	double window_start_s;        /* the result's window: first arrival - window_lead_s */
	double *dev_energy_first_j;   /* each device's energy then */
	struct lv_metrics metrics;    /* every terminal frame */
	struct lv_run_metrics result; /* made at shutdown */
	int have_result;
	struct lv_energy_series *series; /* per device: its energy since the start at each
	                                  * telemetry sample; NULL without cfg.sample_s */
	struct lv_timeline *timeline;    /* made at shutdown with the result; NULL until */

	struct live_stats *stats;
	pthread_mutex_t snap_mu;
	struct lv_snapshot *snap; /* under snap_mu; the latest published */
	double next_snap_s;
	struct live_record *rec; /* NULL without a store */
	struct {
		uint64_t answered, ok, served; /* requests answered: all, every frame ok, served */
		int done;                      /* put into the result (live_record.c) */
	} requests;
	struct live_events *ev;     /* event log, recent batches and frames, explanations */
	unsigned long long shm_seq; /* regions made so far (their names) */
};

/*
 * The controller's clock: seconds since lv_live_new started it (t0 never
 * changes after that, so any thread may read it).
 */
static inline double live_now(const struct lv_live *lv)
{
	return lv_mono_s() - lv->t0;
}

#endif
