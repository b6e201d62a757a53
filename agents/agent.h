/*
 * agent: the pieces of loudva-agent and what they share — the options, the
 * running agent (backend, token, model configuration, log), the request and
 * response every handler sees, and a growable text buffer.
 *
 *   agent_main.c    options, start-up, signals, shutdown
 *   agent_http.c    libmicrohttpd: limits, bodies, routing, the bearer token
 *   agent_worker.c  the worker API: /healthz, /gpu/frequency(ies), /telemetry
 *   agent_triton.c  the emulated Triton endpoint (KServe v2, binary tensors)
 *   agent_shm.c     the emulated Triton's system shared memory regions
 *   agent_skim.c    counts a JSON tensor's numbers without building a tree
 *   agent_util.c    the byte buffer, error responses, the log
 */
#ifndef LV_AGENT_H
#define LV_AGENT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "backend.h"
#include "model/model_config.h"
#include "base/util.h"

struct MHD_Daemon;
struct lv_shm_table;

#define LV_AGENT_VERSION    "0.1.0"
#define LV_AGENT_SMALL_BODY (1u << 20) /* the worker API's JSON bodies are small */

struct lv_agent_options {
	const char *listen;     /* ADDR:PORT [127.0.0.1:5000]; port 0 picks a free one */
	const char *port_file;  /* the bound port is written here, or NULL */
	const char *token_file; /* bearer token; NULL: state changes are refused */
	const char *emulate;    /* kind, or NULL for the real board */
	const char *profile;    /* emulation: profiles/<kind>.json */
	enum lv_cost_mode mode; /* emulation's cost table [prof] */
	const char *cluster;    /* pred/fill: profiles the predictor trains on */
	const char *predictor;  /* pred/fill: predictor cache */
	const char *sysfs_root; /* real: prefix of /sys and /proc */
	const char *tegrastats; /* real: command or log file */
	double tegrastats_interval_s;
	const char *model_repository; /* [model_repository] */
	const char *log_path;         /* NULL: stderr */
	double duration_s;            /* > 0: exit cleanly after this long */
	size_t max_body;              /* bytes [64 images + 1 MiB] */
	int max_connections;          /* [64] */
	unsigned conn_timeout_s;      /* idle connection timeout [30] */
};

struct lv_agent {
	struct lv_agent_options opt;
	struct lv_backend *backend;
	char *token;    /* NULL: none configured */
	int have_model; /* emulation: the model configuration was read */
	struct lv_model_config model;
	size_t sample_stride; /* emulation: see lv_request.samples; 0 without a model */
	char model_name[LV_MC_NAME_MAX];
	int max_batch; /* min(config max_batch_size, the kind's max batch) */
	double t0_s;   /* CLOCK_MONOTONIC at start */
	FILE *log;
	atomic_int connections; /* open now */
	atomic_int active;      /* requests begun and not yet completed */
	atomic_ullong requests, infers;
	struct lv_shm_table *shm; /* emulation: registered shared memory regions */
	struct MHD_Daemon *mhd;
	unsigned port;
};

/* Appends s as a JSON string literal (quoted, escaped). */
void lv_buf_json_string(struct lv_buf *b, const char *s);

/* A request as the handlers see it, body complete. */
struct lv_request {
	const char *method;
	const char *path; /* without the query */
	const char *body; /* JSON part: the whole body, or the inference header */
	size_t body_len;
	int has_header_len; /* Inference-Header-Content-Length was given */
	size_t binary_len;  /* bytes after the inference header (counted, not kept) */
	/*
	 * Of those bytes, the ones at offsets 0, s, 2s, ... (s = the agent's
	 * sample_stride, a divisor of every input's bytes per frame, so every
	 * frame is sampled at the same places), for the emulated outputs.
	 */
	const unsigned char *samples;
	size_t n_samples;
	const char *arg; /* the path's wildcard: a model or region name; "" if none */
};

struct lv_response {
	int status;
	char *body; /* owned; may be NULL */
	size_t len;
	const char *content_type; /* [application/json] */
	size_t header_len;        /* > 0: Inference-Header-Content-Length */
};

/* Sets a JSON body ({"error": msg}) and status. */
void lv_respond_error(struct lv_response *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Takes ownership of `json` (a cJSON_Print result or lv_buf_take) as the body. */
void lv_respond_json(struct lv_response *r, int status, char *json);

/* Appends a line to the agent's log (thread-safe: one write per line). */
void lv_agent_log(struct lv_agent *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Starts the HTTP server on opt.listen; sets a->port. 0 or LV_EIO/LV_EINVAL with *why. */
int lv_agent_http_start(struct lv_agent *a, char **why);
void lv_agent_http_stop(struct lv_agent *a);

/* Handlers: fill *r from *q. */
void lv_agent_healthz(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);
void lv_agent_frequencies(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);
void lv_agent_frequency_get(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);
void lv_agent_frequency_put(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);
void lv_agent_frequency_delete(struct lv_agent *a, const struct lv_request *q,
                               struct lv_response *r);
void lv_agent_telemetry(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);

void lv_triton_server_meta(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);
void lv_triton_live(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);
void lv_triton_ready(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);
void lv_triton_model_meta(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);
void lv_triton_model_ready(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);
void lv_triton_infer(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);
/* The stride of lv_request.samples for this model: a divisor of every input's bytes per item. */
size_t lv_agent_sample_stride(const struct lv_model_config *m);

/* ---- system shared memory (agent_shm.c) ---- */

#define LV_SHM_NAME_MAX 128 /* region names are 1..127 bytes */

struct lv_shm_region;

/* A region held by an infer: mapped until lv_shm_release, even if unregistered meanwhile. */
struct lv_shm_hold {
	struct lv_shm_region *region; /* NULL: nothing held */
	const unsigned char *data;    /* the region's first byte (a read-only mapping) */
	size_t byte_size;
};

/* An empty region table. Never NULL. */
struct lv_shm_table *lv_shm_table_new(void);
/*
 * Unmaps every region and frees the table; accepts NULL. Call once no
 * handler can run (after lv_agent_http_stop): it must hold no region.
 */
void lv_shm_table_free(struct lv_shm_table *t);
/*
 * Holds the region registered as `name` (thread-safe): *h is filled in and
 * the mapping stays until lv_shm_release(t, h). 0, or LV_ENOENT when no
 * region has that name (*h is then empty).
 */
int lv_shm_acquire(struct lv_shm_table *t, const char *name, struct lv_shm_hold *h);
/* Lets go of a hold (an empty one is fine); the last user of an unregistered region unmaps it. */
void lv_shm_release(struct lv_shm_table *t, struct lv_shm_hold *h);
/*
 * Runs fn(arg), which reads held mappings; -1 if a read went past the end
 * of a truncated object (SIGBUS; fn is cut short there), else 0.
 */
int lv_shm_read_guarded(void (*fn)(void *), void *arg);

/* Handlers: register (q->arg names the region), unregister and status (one, or all on ""). */
void lv_shm_register(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);
void lv_shm_unregister(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);
void lv_shm_status(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);

/*
 * Rewrites JSON text so that every array under a key "data" becomes
 * {"lv_count": N, "lv_numbers": true|false} (N leaf elements, nested arrays
 * flattened; lv_numbers: all of them numbers), so a tensor of millions of
 * numbers parses into a handful of cJSON nodes. NULL with *why (naming the
 * byte offset) on a syntax error inside such an array, an object under
 * "data", or nesting deeper than 64. Other syntax is left for cJSON to
 * judge. Caller frees.
 */
char *lv_skim_tensor_data(const char *text, size_t len, char **why);

#endif
