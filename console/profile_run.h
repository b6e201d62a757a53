/*
 * profile_run: `loudva profile run`, a profiling sweep of one device over
 * GPU clock × batch size (profile_run.c drives it, profile_http.c talks to
 * the agent and Triton, profile_out.c writes what it measured). Private to
 * console/.
 */
#ifndef LV_PROFILE_RUN_H
#define LV_PROFILE_RUN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "opts.h"

struct lv_profile;
struct lv_preprocess;

/* One device's agent and Triton, over libcurl (profile_http.c). */
struct lv_prof_http;

/* ca_file: CA certificates for https:// endpoints (NULL: the system's); all strings copied. */
struct lv_prof_http *lv_prof_http_new(const char *agent_url, const char *triton_url,
                                      const char *token, const char *ca_file, const char *model);
void lv_prof_http_free(struct lv_prof_http *h);
/* Pins hz and waits (up to timeout_s) until the agent reports it. 0 or LV_EIO with *why. */
int lv_prof_http_pin(struct lv_prof_http *h, uint64_t hz, double timeout_s, char **why);
/*
 * GET path from the agent (triton 0, with the token) or from Triton (1);
 * *body (may be NULL) is the answer, borrowed until the next call. 0, or
 * LV_EIO naming the method and URL (no answer, or a status outside 2xx).
 */
int lv_prof_http_get(struct lv_prof_http *h, int triton, const char *path, const char **body,
                     char **why);
/* The HTTP status of the last exchange; 0 when nothing answered. */
long lv_prof_http_status(const struct lv_prof_http *h);
/* Releases the pin (DELETE); 0 or LV_EIO. */
int lv_prof_http_release(struct lv_prof_http *h, char **why);
/* The agent's cumulative energy (J) and power now (W). */
int lv_prof_http_telemetry(struct lv_prof_http *h, double *energy_j, double *power_w, char **why);
/*
 * One inference request of `model` (NULL: the one given at creation) with a
 * prebuilt body (json_len bytes of header then the tensors); its
 * client-side latency and the server's reported compute_s (NAN when absent:
 * only the emulated agent reports it).
 */
int lv_prof_http_infer(struct lv_prof_http *h, const char *model, const char *body, size_t body_len,
                       size_t json_len, double *latency_s, double *compute_s, char **why);
/*
 * Triton's statistics of `model` (the statistics extension): its successful
 * requests so far and their total duration in the server, ns (from receipt
 * to answer: no network). 0, or LV_EIO naming the URL.
 */
int lv_prof_http_stats(struct lv_prof_http *h, const char *model, double *count, double *ns,
                       char **why);

/* One measured (clock, batch) point with its side figures. */
struct lv_prof_result {
	uint64_t freq_hz;
	int batch;
	double latency_s;  /* client side, mean over the last window */
	double compute_s;  /* server side, mean over the last window (NAN if not reported) */
	double energy_j;   /* per batch: ΔE / K of the last window */
	double power_w;    /* mean power over the last window */
	double idle_w;     /* idle power at this clock */
	double throughput; /* frames per second over the last window */
	int windows;       /* windows measured */
	int stable;        /* the last three windows agreed */
};

/* One request as measured, for FILE.samples.csv. */
struct lv_prof_sample {
	uint64_t freq_hz;
	int batch, window, seq;
	double latency_s, compute_s;
};

/* profile_out.c. */
/* The progress file FILE.partial.json: every finished point. */
int lv_prof_write_partial(const char *path, const char *device, const struct lv_prof_result *r,
                          size_t n, char **why);
/* Reads it back; *out malloc'ed. 0, or LV_EIO/LV_EINVAL with *why. */
int lv_prof_read_partial(const char *path, const char *device, struct lv_prof_result **out,
                         size_t *n, char **why);
/*
 * The profile: base with the measured points replacing (or adding to) its
 * own and idle power at the swept clocks, and the preprocessing terms of
 * pre[LV_WIRE_COUNT] that are `measured` (pre may be NULL); `complete`
 * selects the source note.
 */
int lv_prof_write_profile(const char *path, const struct lv_profile *base, const char *device,
                          const struct lv_prof_result *r, size_t n, int complete,
                          const struct lv_preprocess *pre, char **why);
/* The perf_analyzer-style CSV and the raw samples. */
int lv_prof_write_csv(const char *path, const struct lv_prof_result *r, size_t n, char **why);
int lv_prof_append_samples(const char *path, const struct lv_prof_sample *s, size_t n, char **why);

/* profile_setup.c: where the device is. */
struct lv_cluster;
struct lv_launcher;
struct lv_prof_target {
	const char *cluster;    /* cluster file, or NULL for an emulated device started here */
	const char *device;     /* device name ("nano-00") */
	const char *token_file; /* with a cluster: the agents' bearer token */
	const char *agent;      /* without: the loudva-agent to start [beside this program] */
};
/*
 * Loads the cluster (or starts the emulated one: *lp, stop it before
 * freeing *cp) and finds the device (*idx). An exit status, *why on error.
 */
int lv_prof_setup(const struct lv_prof_target *o, struct lv_cluster **cp, struct lv_launcher **lp,
                  int *idx, char **token, char **why);

/*
 * profile_show.c: `loudva profile show`: target is a file (has a '/' or ends
 * in .json) or a kind in dir. color: 1, 0, or -1 for "stdout is a colour
 * terminal and NO_COLOR is unset". predict: compare with the cost predictor
 * trained on dir's profiles. An exit status.
 */
int lv_profile_show(const char *target, const char *dir, int color, int predict);

/* profile_run.c: `loudva profile run ...` (argv[0] is "run"), and its options. */
int lv_cmd_profile_run(int argc, char **argv);
extern const struct lv_opt_spec lv_profile_run_spec;

#endif
