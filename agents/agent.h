/*
 * agent: the pieces of loudva-agent and what they share — the options, the
 * running agent (backend, token, model configuration, log), the request and
 * response every handler sees, and a growable text buffer.
 *
 *   agent_main.c    options, start-up, signals, shutdown
 *   agent_net.c     --listen, and the token and TLS files (bounded, modes checked)
 *   agent_http.c    libmicrohttpd: limits, TLS, routing, the bearer token
 *   agent_body.c    a request body as it arrives: JSON part kept, tensor bytes counted
 *   agent_worker.c  the worker API: /healthz, /gpu/frequency(ies), /telemetry
 *   agent_metrics.c /metrics: the telemetry for Prometheus
 *   agent_power.c   /power/mode: the board's nvpmodel power modes, read and switched
 *   agent_kserve.c  a KServe v2 infer request, checked (JSON, binary tensors, shm)
 *   agent_triton.c  the emulated Triton endpoint: metadata, infer, the response
 *   agent_triton_api.c  Triton's extensions: versions, model config, statistics,
 *                   the classification output
 *   agent_inflate.c a gzip or deflate request body, inflated as it arrives (bounded)
 *   agent_shm.c     the emulated Triton's system shared memory regions
 *   agent_skim.c    counts a JSON tensor's numbers without building a tree
 *   agent_util.c    the byte buffer, error responses, the log
 *   agent_spawn.c   a child read through a pipe (tegrastats, nvpmodel)
 */
#ifndef LV_AGENT_H
#define LV_AGENT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "backend.h"
#include "model/model_config.h"
#include "base/util.h"

struct MHD_Daemon;
struct lv_shm_table;
struct lv_triton_stats;
struct cJSON;

#define LV_AGENT_VERSION    "0.1.0"
#define LV_AGENT_SMALL_BODY (1u << 20) /* the worker API's JSON bodies are small */
#define LV_AGENT_PEM_MAX    (1u << 20) /* a certificate chain or key file */
#define LV_AGENT_TOKEN_MAX  4096u      /* a token file */

/* The --listen address, resolved. */
struct lv_listen {
	struct sockaddr_storage addr;
	socklen_t len;
	int loopback; /* 127.0.0.0/8 or ::1: reachable from this host only */
};

/*
 * Parses "ADDR:PORT" or "[V6]:PORT" (ADDR numeric or a host name; port 0
 * picks a free one) into *out. 0, or LV_EINVAL with *why naming what is
 * wrong with it.
 */
int lv_agent_listen_parse(const char *s, struct lv_listen *out, char **why);
/*
 * Reads a small regular file whole (NUL-terminated; *len_out its size if
 * non-NULL): at most `max` bytes, and with secret set, refused when group or
 * others have any access to it. `what` names the option in messages
 * ("--token-file"). Caller frees; NULL with *why (LV_EINVAL) naming the
 * file and, for a secret, its mode.
 */
char *lv_agent_read_small_file(const char *path, const char *what, size_t max, int secret,
                               size_t *len_out, char **why);
/*
 * Checks that text (the file at path, given as option opt) holds a PEM
 * certificate (key 0) or an unencrypted PEM private key (key 1). 0, or
 * LV_EINVAL with *why saying what the file holds instead.
 */
int lv_agent_pem_check(const char *opt, const char *path, const char *text, int key, char **why);

struct lv_agent_options {
	const char *listen;     /* ADDR:PORT [127.0.0.1:5000]; port 0 picks a free one */
	const char *port_file;  /* the bound port is written here, or NULL */
	const char *token_file; /* bearer token; NULL: state changes are refused */
	const char *tls_cert;   /* PEM certificate (chain) to serve HTTPS with, or NULL */
	const char *tls_key;    /* its PEM private key (mode 0600), or NULL */
	int plain_http;         /* beyond loopback without TLS, asked for */
	int require_token;      /* the token for all but /healthz (implied beyond loopback) */
	const char *emulate;    /* kind, or NULL for the real board */
	const char *profile;    /* emulation: profiles/<kind>.json */
	enum lv_cost_mode mode; /* emulation's cost table [prof] */
	const char *cluster;    /* pred/fill: profiles the predictor trains on */
	const char *predictor;  /* pred/fill: predictor cache */
	const char *sysfs_root; /* real: prefix of /sys and /proc */
	const char *tegrastats; /* real: command or log file */
	double tegrastats_interval_s;
	const char *nvpmodel;         /* real: the nvpmodel program, or NULL */
	double nvpmodel_timeout_s;    /* real: a run of it is killed after this [20] */
	const char *model_repository; /* [model_repository] */
	const char *log_path;         /* NULL: stderr */
	double duration_s;            /* > 0: exit cleanly after this long */
	size_t max_body;              /* bytes [64 images + 1 MiB] */
	int max_connections;          /* [64] */
	int max_per_client;           /* connections from one address [32] */
	unsigned conn_timeout_s;      /* idle connection timeout [30] */
};

#define LV_AGENT_MODELS_MAX 8 /* --model given at most this often */

/* One model the emulated Triton serves, from <repository>/<name>/config.pbtxt. */
struct lv_agent_model {
	char name[LV_MC_NAME_MAX];
	struct lv_model_config cfg;
	size_t sample_stride; /* see lv_request.samples */
	enum lv_wire wire;    /* from its input's datatype: what a batch pays on the device */
	int max_batch;        /* min(config max_batch_size, the kind's max batch) */
	long long version;    /* the version served: the latest in the repository, else 1 */
	char *unavailable;    /* the model is not loaded: Triton's reason; NULL: loaded */
	/* Per output: its labels (label_filename), n_labels[i] of them; NULL: none. */
	char **labels[LV_MC_MAX_TENSORS];
	size_t n_labels[LV_MC_MAX_TENSORS];
	struct lv_triton_stats *stats; /* the statistics extension's counts */
};

struct lv_agent {
	struct lv_agent_options opt;
	struct lv_listen listen; /* opt.listen, resolved */
	struct lv_backend *backend;
	char *token;         /* NULL: none configured */
	int token_all;       /* every endpoint but /healthz wants the token */
	char *tls_cert;      /* PEM text of opt.tls_cert; NULL: plain HTTP */
	char *tls_key;       /* PEM text of opt.tls_key */
	char mhd_error[256]; /* libmicrohttpd's last message, for start-up failures */
	/*
	 * Emulation: the models the emulated Triton serves (--model, given once
	 * or more, as tritonserver's --load-model), the first the default one;
	 * 0 of them on a real board.
	 */
	struct lv_agent_model *models;
	size_t n_models;
	double t0_s; /* CLOCK_MONOTONIC at start */
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
	 * Of those bytes, the ones at offsets 0, s, 2s, ... (s = the model's
	 * sample_stride, a divisor of every input's bytes per frame, so every
	 * frame is sampled at the same places), for the emulated outputs.
	 */
	const unsigned char *samples;
	size_t n_samples;
	const char *arg;     /* the path's wildcard: a model or region name; "" if none */
	const char *version; /* the model's /versions/<v> segment; "" if none */
};

/*
 * A request body as it arrives (agent_body.c). Zero it, set limit, keep
 * (the handler reads the body) and stride (infer: the
 * model's sample_stride, else 0), then lv_body_header_len if the request has one.
 */
struct lv_body {
	size_t limit; /* bytes accepted */
	int keep;     /* keep the JSON part (else only count) */
	size_t stride;
	size_t received;
	int too_large;
	int has_header_len; /* binary extension */
	size_t header_len;
	size_t binary_len;     /* bytes after the JSON part */
	struct lv_buf json;    /* the JSON part */
	struct lv_buf samples; /* binary bytes at multiples of stride */
};

struct lv_response;

/*
 * The Inference-Header-Content-Length header's value (has_cl: the request
 * declared cl bytes of body). 0, or -1 with a 400 in *r.
 */
int lv_body_header_len(struct lv_body *b, const char *value, int has_cl, size_t cl,
                       struct lv_response *r);
/* A piece of the body. */
void lv_body_take(struct lv_body *b, const char *data, size_t n);
/*
 * The body is complete: fills q's body fields (borrowed from b until
 * lv_body_fini). 0, or -1 with a 413 (over the limit) or a 400 (shorter
 * than its header length) in *r.
 */
int lv_body_finish(const struct lv_body *b, struct lv_request *q, struct lv_response *r);
void lv_body_fini(struct lv_body *b);

struct lv_response;
struct lv_inflate;

/*
 * An inflater for a body sent with Content-Encoding `encoding` (gzip or
 * deflate; agent_inflate.c). NULL with a 415 in *r for any other encoding.
 */
struct lv_inflate *lv_inflate_new(const char *encoding, struct lv_response *r);
/* A compressed piece of the body: inflated into b (within b->limit; beyond, b->too_large). */
void lv_inflate_take(struct lv_inflate *f, struct lv_body *b, const char *data, size_t n);
/*
 * The compressed body has ended: 0, or -1 with a 413 (compressed or
 * inflated beyond b->limit) or a 400 (corrupt, cut short, trailing bytes).
 */
int lv_inflate_finish(struct lv_inflate *f, const struct lv_body *b, struct lv_response *r);
void lv_inflate_free(struct lv_inflate *f);

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
/* Prints and frees root as the body; 500 when it cannot be printed. */
void lv_respond_tree(struct lv_response *r, int status, struct cJSON *root);

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
/* GET /power/mode: the board's power modes and the one it is in (agent_power.c). */
void lv_agent_power_get(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);
/* PUT /power/mode {"id": N} or {"name": "MODE"}: switches the mode (token required). */
void lv_agent_power_put(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);
/*
 * Adds to GET /gpu/frequencies' object: power_mode (the current one, or
 * null), power_modes (each with its GPU cap) and above_mode_cap_hz (the
 * clocks a pin is refused for now); empty or null where unknown.
 */
void lv_agent_power_frequencies(struct lv_agent *a, struct cJSON *o);
/* At start-up: logs the power mode, or why there is none, and the configuration's bad lines. */
void lv_agent_power_log(struct lv_agent *a);
/* GET /metrics: the telemetry in Prometheus's text format (agent_metrics.c). */
void lv_agent_metrics(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);

void lv_triton_server_meta(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);
void lv_triton_live(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);
void lv_triton_ready(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);
void lv_triton_model_meta(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);
void lv_triton_model_ready(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);
void lv_triton_infer(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);
/* ---- Triton's extensions (agent_triton_api.c) ---- */

/* The served model named `name`, or NULL. */
const struct lv_agent_model *lv_agent_model_find(const struct lv_agent *a, const char *name);
/*
 * The served model q names (q->arg) at a version it serves (q->version: ""
 * for the latest), loaded; or NULL with Triton's answer in *r: 404 for an
 * unknown model or version, 400 for a version that is not a number or a
 * model that is not loaded (its `unavailable` says why).
 */
const struct lv_agent_model *lv_triton_model_check(struct lv_agent *a, const struct lv_request *q,
                                                   struct lv_response *r);
/*
 * At start-up, with m->cfg read from <repository>/<model>/config.pbtxt:
 * the version served (the highest numbered directory beside it, else 1),
 * whether it holds the model file (else m->unavailable, as Triton fails to
 * load it), and each output's labels (label_filename, one a line). 0, or
 * LV_EINVAL / LV_EIO with *why naming the file.
 */
int lv_triton_model_load(struct lv_agent_model *m, const char *model_dir, char **why);
/* Frees what lv_triton_model_load and lv_triton_stats_new made of every model, and them. */
void lv_triton_model_fini(struct lv_agent *a);
/* Zeroed statistics for the agent's model. Never NULL. */
struct lv_triton_stats *lv_triton_stats_new(int max_batch);
/*
 * Records one infer request (thread-safe): ok or failed, its batch, and
 * its phases in seconds (input: reading and checking, queue and infer: the
 * device model's, output: building the answer; total: all of it).
 */
void lv_triton_stats_record(struct lv_triton_stats *s, int ok, int batch, double input_s,
                            double queue_s, double infer_s, double output_s, double total_s);
/*
 * The classification output: each of the batch's `batch` rows of `row`
 * scores as its top k "score:index[:label]" strings (k clamped to row),
 * appended to *out as Triton's BYTES tensor — a JSON array of strings, or
 * (binary) each string as a 4-byte little-endian length and its bytes.
 * *k_out gets the k used.
 */
void lv_triton_classify(const struct lv_agent_model *m, int output, const float *v, int batch,
                        size_t row, int k, int binary, struct lv_buf *out, int *k_out);

void lv_triton_model_config(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);
/* The model repository extension's index: the model, its version, READY or UNAVAILABLE. */
void lv_triton_repo_index(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);
/* One model's statistics (q->arg), or every model's (q->arg ""). */
void lv_triton_model_stats(struct lv_agent *a, const struct lv_request *q, struct lv_response *r);

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

/* ---- KServe v2 infer requests (agent_skim.c, agent_kserve.c) ---- */

/* A tensor's "data" array as the skimmer counted it. */
struct lv_skim_array {
	unsigned long long count; /* leaf elements, nested arrays flattened */
	int numbers;              /* all of them numbers */
	int used;                 /* claimed by an input already */
};

struct lv_skim_table {
	struct lv_skim_array *v;
	size_t n;
};

/*
 * Rewrites JSON text so that every array under a key "data" (as cJSON
 * will decode the key: "d\u0061ta" is "data") becomes {"lv_skim": i}, its
 * count in t->v[i], so a tensor of millions of numbers parses into a
 * handful of cJSON nodes and the count is the skimmer's own, never the
 * client's. NULL with *why (naming the byte offset) on a syntax error
 * inside such an array, an object or "lv_skim" under "data", or nesting
 * deeper than 64; other syntax is left for cJSON to judge. *out_len gets
 * the result's length. Caller frees the result and lv_skim_table_fini(t).
 */
char *lv_skim_tensor_data(const char *text, size_t len, struct lv_skim_table *t, size_t *out_len,
                          char **why);
void lv_skim_table_fini(struct lv_skim_table *t);

/* A checked infer request: what lv_triton_infer answers. */
struct lv_infer_req {
	const struct lv_agent_model *model; /* the model it is for */
	int batch;
	const char *id; /* borrowed from root, or NULL */
	size_t n_shm;   /* regions the inputs name, held until lv_kserve_req_fini */
	struct lv_shm_hold shm[LV_MC_MAX_TENSORS];
	size_t n_out; /* outputs to return, in this order */
	int out_index[LV_MC_MAX_TENSORS];
	int out_binary[LV_MC_MAX_TENSORS];
	int out_class[LV_MC_MAX_TENSORS]; /* > 0: the classification parameter, top k */
	/* Where the first model input's bytes are, for the outputs' seeds. */
	const unsigned char *in_shm; /* in a region; NULL if not */
	const char *in_region;       /* that region's name (borrowed from root) */
	int in_binary;               /* in the body's binary part, from in_binary_at */
	unsigned long long in_binary_at;
	uint64_t *seeds; /* per batch item (agent_triton.c) */
	/* owned */
	char *text;         /* the skimmed JSON */
	struct cJSON *root; /* its tree */
	struct lv_skim_table skim;
};

/*
 * Parses and checks the infer request q for model m as Triton would
 * (names, datatypes, shapes, 1 <= batch <= m->max_batch), and that
 * every item of the batch it books is backed by bytes the request carries:
 * JSON numbers the skimmer counted, binary bytes that arrived
 * (binary_data_size = shape x datatype size, their sum = the bytes after
 * the header), or a registered shared memory region that holds them. 0
 * with *ir filled (regions held), or -1 with a 400 in *r saying why.
 * Either way lv_kserve_req_fini(a, ir) after. Uses m and a's shm table
 * only (no backend).
 */
/*
 * A BYTES input's binary part, n bytes at p (agent_jpeg.c): exactly
 * `elements` elements, each a 4-byte little-endian length then that many
 * bytes of a JPEG that decodes. 0, or -1 with why ("element 3: ...").
 */
int lv_agent_jpeg_check(const unsigned char *p, size_t n, unsigned long long elements, char *why,
                        size_t why_len);

int lv_kserve_parse(struct lv_agent *a, const struct lv_agent_model *m, const struct lv_request *q,
                    struct lv_infer_req *ir, struct lv_response *r);
/* Releases the regions ir holds and frees what it owns. */
void lv_kserve_req_fini(struct lv_agent *a, struct lv_infer_req *ir);

#endif
