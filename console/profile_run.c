/*
 * profile_run: `loudva profile run`, a sweep of one device over GPU clock ×
 * batch size. For every point it pins the clock through the agent, warms up
 * with one request, then sends windows of K back-to-back requests of batch b
 * to the device's Triton, timing each on the client and reading the agent's
 * cumulative energy before and after each window (so energy per batch is
 * ΔE / K, idle gaps included — they are kept small by sending back to back).
 * Windows repeat until the last three mean latencies agree within the
 * stability threshold (perf_analyzer's -s), or --max-windows is reached.
 *
 * The device is never left pinned: the clock is released on success, on an
 * error and on SIGINT/SIGTERM (the handler only sets a flag, checked between
 * requests; then the sweep releases and exits 130). Progress goes to
 * FILE.partial.json after every point, and --resume skips what it holds.
 * Without --cluster the device runs as an emulated agent started here with
 * the launcher (launcher.h), as `loudva serve` does.
 *
 * Then, unless --no-preprocess, the preprocessing term of each wire format
 * whose ensemble (<model>_uint8, <model>_jpeg) the device's Triton serves:
 * at --preprocess-freqs [the top clock], the sweep's smallest and largest
 * batch in fp32 (the sweep's own points when it has them) and in the
 * format, the same camera frame in every format as the controller prepares
 * it (image.h), the requests as the live dispatcher builds them (wire.h);
 * the per-frame term is fitted by core/model/profile_prep.c. A format the device does
 * not serve keeps the base profile's term (the estimate until measured).
 */
#include "profile_run.h"

#include <curl/curl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model/cluster.h"
#include "cmdline.h"
#include "commands.h"
#include "front/image.h"
#include "harness/launcher.h"
#include "live/live.h"
#include "model/model_config.h"
#include "model/profile.h"
#include "model/profile_prep.h"
#include "model/wire.h"
#include "base/clock.h"
#include "base/util.h"
#include "progress.h"

#define MAX_FREQS   64
#define MAX_BATCHES 64
#define CAM_W       640 /* the camera frame every format is made from */
#define CAM_H       480

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

struct opts {
	const char *cluster, *device, *freqs, *batches, *out, *agent, *token_file;
	const char *prep_freqs; /* --preprocess-freqs; NULL: the top clock */
	long requests, max_windows;
	double stability; /* fraction */
	int resume, no_prep;
};

struct sweep {
	const struct opts *o;
	const struct lv_profile *base;
	struct lv_prof_http *http;
	uint64_t freqs[MAX_FREQS];
	size_t n_freqs;
	uint64_t prep_freqs[MAX_FREQS]; /* where the preprocessing term is measured */
	size_t n_prep_freqs;
	int batches[MAX_BATCHES];
	size_t n_batches;
	struct lv_model_info model; /* the controller's (live.h's default) */
	/* One camera frame per wire format, as the controller makes it. */
	void *frame[LV_WIRE_COUNT];
	size_t frame_len[LV_WIRE_COUNT];
	char *model_name[LV_WIRE_COUNT]; /* <model>, <model>_uint8, <model>_jpeg */
	char *partial, *samples;
	struct lv_prof_result *done;
	size_t n_done;
	struct lv_preprocess pre[LV_WIRE_COUNT]; /* measured terms */
	int prep_phase;                          /* measuring them (no profile points) */
	int prep_failed;                         /* a term could not be measured */
};

/* --stability 5% (or 5): a percentage in (0, 100), kept as a fraction. */
static int stability_opt(const struct lv_opt *opt, void *field, const char *value, char **why)
{
	size_t n = strlen(value);
	char *num = lv_xstrdup(value);
	double d = 0;
	(void)opt;
	(void)why;
	if (n && num[n - 1] == '%')
		num[n - 1] = '\0';
	int ok = lv_parse_double(num, &d) == LV_OK && d > 0 && d < 100;
	free(num);
	if (!ok)
		return LV_EINVAL;
	*(double *)field = d / 100.0;
	return LV_OK;
}

#define O(field) offsetof(struct opts, field)
static const struct lv_opt run_opts[] = {
	{ .name = "cluster",
	  .kind = LV_OPT_STR,
	  .offset = O(cluster),
	  .arg = "FILE",
	  .help = "the device's cluster [an emulated device started here]" },
	{ .name = "token-file",
	  .kind = LV_OPT_STR,
	  .offset = O(token_file),
	  .arg = "FILE",
	  .help = "with --cluster: the agents' bearer token [the cluster's \"token_file\"]" },
	{ .name = "device",
	  .kind = LV_OPT_STR,
	  .offset = O(device),
	  .arg = "NAME",
	  .help = "the device to measure [nano-00]" },
	{ .name = "agent",
	  .kind = LV_OPT_STR,
	  .offset = O(agent),
	  .arg = "PATH",
	  .help = "without --cluster: the loudva-agent to start [beside loudva]" },
	{ .name = "freqs",
	  .kind = LV_OPT_STR,
	  .offset = O(freqs),
	  .arg = "all|MHZ,...",
	  .help = "GPU clocks to sweep, MHz (921.6 or 921.6MHz; Hz taken too), each to the "
	          "device's nearest step [all]" },
	{ .name = "batches",
	  .kind = LV_OPT_STR,
	  .offset = O(batches),
	  .arg = "A-B|B,...",
	  .help = "batch sizes to sweep [1-4]" },
	{ .name = "requests",
	  .kind = LV_OPT_LONG,
	  .offset = O(requests),
	  .arg = "K",
	  .min = 1,
	  .max = INFINITY,
	  .what = "a positive count",
	  .help = "back-to-back requests per window [10]" },
	{ .name = "stability",
	  .kind = LV_OPT_FN,
	  .offset = O(stability),
	  .arg = "P%",
	  .what = "a percentage like 5%",
	  .set = stability_opt,
	  .help = "the last three windows' mean latencies agree within P% [5%]" },
	{ .name = "max-windows",
	  .kind = LV_OPT_LONG,
	  .offset = O(max_windows),
	  .arg = "N",
	  .min = 3,
	  .max = INFINITY,
	  .help = "windows per point at most [10]" },
	{ .name = "out",
	  .kind = LV_OPT_STR,
	  .offset = O(out),
	  .arg = "FILE",
	  .help = "the profile to write [profile-<device>.json]" },
	{ .name = "resume",
	  .kind = LV_OPT_SET,
	  .offset = O(resume),
	  .help = "skip the points FILE.partial.json holds" },
	{ .name = "preprocess-freqs",
	  .kind = LV_OPT_STR,
	  .offset = O(prep_freqs),
	  .arg = "MHZ,...",
	  .help = "clocks the wire formats' preprocessing term is measured at [the top]" },
	{ .name = "no-preprocess",
	  .kind = LV_OPT_SET,
	  .offset = O(no_prep),
	  .help = "do not measure the wire formats' preprocessing term" },
	{ 0 },
};
#undef O

const struct lv_opt_spec lv_profile_run_spec = {
	.cmd = "profile run",
	.about = "Measures a device (emulated here without --cluster) over clock x batch:\n"
	         "FILE (a profile), FILE.samples.csv and\n"
	         "FILE.perf/energy_calculated_freq_<Hz>.csv; progress in FILE.partial.json.\n"
	         "Then the preprocessing term of each wire format (uint8, jpeg) whose\n"
	         "ensemble the device's Triton serves. The clock is released on exit and on\n"
	         "Ctrl-C.",
	.opts = run_opts,
};

/* argv[0] is "run". 0, 1 after --help, or LV_EXIT_USAGE (message printed). */
static int parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .device = "nano-00",
		            .freqs = "all",
		            .batches = "1-4",
		            .requests = 10,
		            .max_windows = 10,
		            .stability = 0.05 };
	return lv_opts_parse(&lv_profile_run_spec, argc, argv, o);
}

/* --freqs's syntax alone, before anything is started: all (where `all_ok`), or clocks (MHz as
 * the console takes them: 921.6, 921.6MHz, or Hz). `opt` names the option. */
static int check_freqs_syntax(const char *opt, const char *freqs, int all_ok, char **why)
{
	if (all_ok && !strcmp(freqs, "all"))
		return LV_OK;
	char *list = lv_xstrdup(freqs), *save = NULL;
	int rc = LV_OK, n = 0;
	for (char *t = strtok_r(list, ",", &save); t && rc == LV_OK;
	     t = strtok_r(NULL, ",", &save), n++) {
		uint64_t hz;
		if (lv_cmd_parse_hz(t, &hz) != LV_OK)
			rc = lv_fail(why, LV_EINVAL,
			             "--%s: '%s' is not a clock (MHz: 921.6 or 921.6MHz; or Hz)",
			             opt, t);
	}
	if (rc == LV_OK && n == 0)
		rc = lv_fail(why, LV_EINVAL, "--%s: want %sclocks like 768,921.6", opt,
		             all_ok ? "all, or " : "");
	free(list);
	return rc;
}

/* --freqs all|CLOCK,... against the base profile's clocks into out[*n] (ascending): each to
 * the nearest step (said on stderr when not exact); one outside the device's range is
 * refused with the list. */
static int resolve_freqs(const struct lv_profile *p, const char *opt, const char *spec,
                         uint64_t *out, size_t *n, char **why)
{
	if (!strcmp(spec, "all")) {
		for (size_t i = 0; i < p->n_freqs && i < MAX_FREQS; i++)
			out[(*n)++] = p->freqs_hz[i];
		return LV_OK;
	}
	char *list = lv_xstrdup(spec), *save = NULL;
	int rc = LV_OK;
	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		uint64_t hz = 0;
		char note[96], err[240];
		if (lv_cmd_clock_resolve(t, p->freqs_hz, p->n_freqs, &hz, note, sizeof(note), err,
		                         sizeof(err)) != LV_OK) {
			rc = lv_fail(why, LV_EINVAL, "--%s: %s (%s)", opt, err, p->kind);
			break;
		}
		if (note[0])
			fprintf(stderr, "loudva profile run: --%s: %s\n", opt, note);
		int dup = 0;
		for (size_t k = 0; k < *n; k++)
			dup |= out[k] == hz;
		if (!dup && *n < MAX_FREQS)
			out[(*n)++] = hz;
	}
	free(list);
	/* Ascending, so the outputs group by clock. */
	for (size_t i = 1; i < *n; i++)
		for (size_t j = i; j > 0 && out[j - 1] > out[j]; j--) {
			uint64_t t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return rc;
}

static int parse_freqs(struct sweep *s, char **why)
{
	return resolve_freqs(s->base, "freqs", s->o->freqs, s->freqs, &s->n_freqs, why);
}

/* --batches A-B|B,B,... */
static int parse_batches(struct sweep *s, char **why)
{
	long lo = 0, hi = 0;
	const char *spec = s->o->batches;
	if (sscanf(spec, "%ld-%ld", &lo, &hi) == 2 && lo >= 1 && hi >= lo && hi < MAX_BATCHES) {
		for (long b = lo; b <= hi; b++)
			s->batches[s->n_batches++] = (int)b;
		return LV_OK;
	}
	char *list = lv_xstrdup(spec), *save = NULL;
	int rc = LV_OK;
	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		long b = 0;
		if (lv_parse_long(t, &b) || b < 1 || b >= MAX_BATCHES ||
		    s->n_batches == MAX_BATCHES) {
			rc = lv_fail(why, LV_EINVAL, "--batches: bad batch size '%s'", t);
			break;
		}
		s->batches[s->n_batches++] = (int)b;
	}
	free(list);
	if (rc == LV_OK && s->n_batches == 0)
		rc = lv_fail(why, LV_EINVAL, "--batches: empty");
	return rc;
}

static const struct lv_prof_result *find_done(const struct sweep *s, uint64_t f, int b)
{
	for (size_t i = 0; i < s->n_done; i++)
		if (s->done[i].freq_hz == f && s->done[i].batch == b)
			return &s->done[i];
	return NULL;
}

/*
 * The request body for a batch of b in format w: the JSON header as the live
 * dispatcher builds it (wire.h), then b copies of the frame (jpeg: each with
 * KServe's BYTES length before it).
 */
static char *build_body(const struct sweep *s, enum lv_wire w, int b, size_t *len, size_t *json_len)
{
	size_t fl = s->frame_len[w], per = w == LV_WIRE_JPEG ? 4 + fl : fl;
	char params[64];
	snprintf(params, sizeof(params), "\"binary_data_size\":%zu", (size_t)b * per);
	char *json = lv_wire_infer_header(w, &s->model, b, params);
	*json_len = strlen(json);
	*len = *json_len + (size_t)b * per;
	char *body = lv_xmalloc(*len), *at = body + *json_len;
	memcpy(body, json, *json_len);
	for (int i = 0; i < b; i++, at += per) {
		if (w == LV_WIRE_JPEG) {
			lv_wire_bytes_prefix((unsigned char *)at, (uint32_t)fl);
			memcpy(at + 4, s->frame[w], fl);
		} else {
			memcpy(at, s->frame[w], fl);
		}
	}
	free(json);
	return body;
}

/*
 * Triton's statistics of model: successful requests and their server time,
 * s. A server without them (*use turned off, said once) leaves the points
 * without a server time: the sweep goes on, only the preprocessing term
 * then cannot be had.
 */
static void server_stats(struct sweep *s, const char *model, int *use, double *count, double *sec)
{
	double ns = 0;
	char *e = NULL;
	*count = *sec = NAN;
	if (!*use)
		return;
	if (lv_prof_http_stats(s->http, model, count, &ns, &e) != LV_OK) {
		fprintf(stderr,
		        "loudva profile run: warning: no server time for %s (%s): its points "
		        "have only the client's\n",
		        model, e ? e : "?");
		*use = 0;
	}
	free(e);
	*sec = ns * 1e-9;
}

/* Spread of the last three window means around their mean, as a fraction. */
static double spread3(const double *m, int w)
{
	double a = m[w - 3], b = m[w - 2], c = m[w - 1], mean = (a + b + c) / 3.0;
	double d = fmax(fabs(a - mean), fmax(fabs(b - mean), fabs(c - mean)));
	return mean > 0 ? d / mean : INFINITY;
}

/*
 * Measures one point into *r. LV_EIO with *why on a device error, LV_ESTATE
 * when interrupted.
 */
static int measure(struct sweep *s, enum lv_wire wire, uint64_t f, int b, double idle_w,
                   struct lv_prof_result *r, char **why)
{
	size_t len = 0, jlen = 0;
	const char *model = s->model_name[wire];
	int sweep = wire == LV_WIRE_FP32 && !s->prep_phase; /* a profile point */
	char *body = build_body(s, wire, b, &len, &jlen);
	long k = s->o->requests;
	double *means = lv_xcalloc((size_t)s->o->max_windows, sizeof(double));
	struct lv_prof_sample *smp = lv_xcalloc((size_t)(k * s->o->max_windows), sizeof(*smp));
	size_t n_smp = 0;
	double lat = 0, comp = 0;
	int rc =
	    lv_prof_http_infer(s->http, model, body, len, jlen, &lat, &comp, why); /* warm-up */
	/* No compute_s in the answer (a real Triton): the server's time from its statistics. */
	int use_stats = rc == LV_OK && !isfinite(comp), stats_wanted = use_stats;
	*r = (struct lv_prof_result){ .freq_hz = f, .batch = b, .idle_w = idle_w };
	for (int w = 0; rc == LV_OK && w < s->o->max_windows; w++) {
		double e0 = 0, e1 = 0, pw = 0, sum_l = 0, sum_c = 0, n0 = 0, n1 = 0, c0 = 0, c1 = 0;
		rc = lv_prof_http_telemetry(s->http, &e0, &pw, why);
		if (rc == LV_OK)
			server_stats(s, model, &use_stats, &n0, &c0);
		double t0 = lv_mono_s();
		for (long i = 0; rc == LV_OK && i < k; i++) {
			if (g_stop) {
				rc = LV_ESTATE;
				break;
			}
			rc = lv_prof_http_infer(s->http, model, body, len, jlen, &lat, &comp, why);
			sum_l += lat;
			sum_c += comp;
			smp[n_smp++] = (struct lv_prof_sample){ f, b, w, (int)i, lat, comp };
		}
		double t1 = lv_mono_s();
		if (rc == LV_OK)
			rc = lv_prof_http_telemetry(s->http, &e1, &pw, why);
		if (rc == LV_OK)
			server_stats(s, model, &use_stats, &n1, &c1);
		if (rc != LV_OK)
			break;
		means[w] = sum_l / (double)k;
		r->latency_s = means[w];
		r->compute_s = !stats_wanted ? sum_c / (double)k
		               : n1 > n0     ? (c1 - c0) / (n1 - n0)
		                             : NAN; /* the statistics failed too */
		r->energy_j = (e1 - e0) / (double)k;
		r->power_w = (e1 - e0) / (t1 - t0);
		r->throughput = (double)(k * b) / (t1 - t0);
		r->windows = w + 1;
		double sp = w >= 2 ? spread3(means, w + 1) : INFINITY;
		if (sweep)
			lv_progress_send_window(f, b, w + 1);
		fprintf(stderr,
		        "  %s%s%llu Hz batch %d window %d: latency %.4f s (server %.4f s), %.4f "
		        "J/batch, "
		        "%.2f W%s\n",
		        sweep ? "" : lv_wire_name(wire), sweep ? "" : " ", (unsigned long long)f, b,
		        w + 1, r->latency_s, r->compute_s, r->energy_j, r->power_w,
		        sp <= s->o->stability ? ", stable" : "");
		if (sp <= s->o->stability) {
			r->stable = 1;
			break;
		}
	}
	if (rc == LV_OK && !r->stable)
		fprintf(stderr,
		        "loudva profile run: %s%s%llu Hz batch %d: latencies did not settle within "
		        "%g%% after %d windows; keeping the last\n",
		        sweep ? "" : lv_wire_name(wire), sweep ? "" : " ", (unsigned long long)f, b,
		        s->o->stability * 100, r->windows);
	if (rc == LV_OK && sweep)
		rc = lv_prof_append_samples(s->samples, smp, n_smp, why);
	free(smp);
	free(means);
	free(body);
	return rc;
}

/* Idle power at the pinned clock: telemetry after ~0.3 s without requests. */
static int idle_power(struct sweep *s, double *w, char **why)
{
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	double e = 0;
	return lv_prof_http_telemetry(s->http, &e, w, why);
}

static int by_point(const void *a, const void *b)
{
	const struct lv_prof_result *x = a, *y = b;
	if (x->freq_hz != y->freq_hz)
		return x->freq_hz < y->freq_hz ? -1 : 1;
	return (x->batch > y->batch) - (x->batch < y->batch);
}

/* Runs every point not yet done. LV_OK, LV_ESTATE (interrupted) or LV_EIO. */
static int sweep_all(struct sweep *s, char **why)
{
	size_t total = s->n_freqs * s->n_batches;
	s->done = lv_xrealloc(s->done, (s->n_done + total) * sizeof(*s->done));
	for (size_t fi = 0; fi < s->n_freqs; fi++) {
		uint64_t f = s->freqs[fi];
		int pinned = 0;
		double idle_w = NAN;
		for (size_t bi = 0; bi < s->n_batches; bi++) {
			int b = s->batches[bi];
			if (find_done(s, f, b))
				continue;
			if (g_stop)
				return LV_ESTATE;
			int rc = LV_OK;
			if (!pinned) {
				fprintf(stderr, "loudva profile run: %s: pinning %llu Hz\n",
				        s->o->device, (unsigned long long)f);
				lv_progress_send_pin(f);
				rc = lv_prof_http_pin(s->http, f,
				                      s->base->clock_change_delay_s + 10.0, why);
				if (rc == LV_OK)
					rc = idle_power(s, &idle_w, why);
				pinned = rc == LV_OK;
			}
			struct lv_prof_result r;
			if (rc == LV_OK)
				rc = measure(s, LV_WIRE_FP32, f, b, idle_w, &r, why);
			if (rc == LV_ESTATE)
				return rc;
			if (rc != LV_OK) {
				char *w = lv_xasprintf(
				    "device %s stopped answering at %llu Hz, batch "
				    "%d: %s",
				    s->o->device, (unsigned long long)f, b, *why ? *why : "error");
				free(*why);
				*why = w;
				return LV_EIO;
			}
			s->done[s->n_done++] = r;
			qsort(s->done, s->n_done, sizeof(*s->done), by_point);
			rc = lv_prof_write_partial(s->partial, s->o->device, s->done, s->n_done,
			                           why);
			if (rc != LV_OK)
				return rc;
		}
	}
	return LV_OK;
}

/* ---- the wire formats' preprocessing term (method: model/profile_prep.c) ---------- */

/* Pins f and reads the idle power there. */
static int prep_pin(struct sweep *s, uint64_t f, double *idle_w, char **why)
{
	fprintf(stderr, "loudva profile run: %s: pinning %llu Hz\n", s->o->device,
	        (unsigned long long)f);
	int rc = lv_prof_http_pin(s->http, f, s->base->clock_change_delay_s + 10.0, why);
	return rc == LV_OK ? idle_power(s, idle_w, why) : rc;
}

/* Which formats' ensembles the device's Triton serves (ready); the others are said. */
static int prep_served(struct sweep *s, int *served)
{
	int any = 0;
	for (int w = LV_WIRE_UINT8; w < LV_WIRE_COUNT; w++) {
		char *path = lv_xasprintf("/v2/models/%s/ready", s->model_name[w]);
		char *e = NULL, said[32];
		served[w] = lv_prof_http_get(s->http, 1, path, NULL, &e) == LV_OK;
		long st = lv_prof_http_status(s->http);
		snprintf(said, sizeof(said), "HTTP %ld", st);
		if (!served[w])
			fprintf(stderr,
			        "loudva profile run: %s: the device's Triton does not serve %s "
			        "(%s): its preprocessing is not measured; the profile keeps %s\n",
			        lv_wire_name((enum lv_wire)w), s->model_name[w], st ? said : e,
			        s->base->preprocess[w].measured ? "the term it had"
			                                        : "the estimate");
		any |= served[w];
		free(e);
		free(path);
	}
	return any;
}

/* What the fit takes of a measured point. */
static struct lv_prep_point prep_point(const struct lv_prof_result *r)
{
	return (struct lv_prep_point){ .batch = r->batch,
		                       .server_s = r->compute_s,
		                       .energy_j = r->energy_j,
		                       .window_s =
		                           r->throughput > 0 ? r->batch / r->throughput : NAN,
		                       .idle_w = r->idle_w };
}

/* One clock's fit of format w, said; 1 when it gave a term. */
static int prep_fit_one(struct sweep *s, enum lv_wire w, const struct lv_prof_result *ref,
                        const struct lv_prof_result *fmt, struct lv_prep_fit *fit)
{
	char *e = NULL;
	const char *name = lv_wire_name(w);
	struct lv_prep_point rp[2] = { prep_point(&ref[0]), prep_point(&ref[1]) };
	struct lv_prep_point fp[2] = { prep_point(&fmt[0]), prep_point(&fmt[1]) };
	if (lv_prep_fit(rp, fp, fit, &e) != LV_OK) {
		fprintf(stderr, "loudva profile run: %s at %llu Hz: not measured: %s\n", name,
		        (unsigned long long)ref[0].freq_hz, e);
		free(e);
		s->prep_failed = 1;
		return 0;
	}
	fprintf(stderr,
	        "loudva profile run: %s at %llu Hz: %.5f s and %.5f J per frame (batches %d and "
	        "%d; %+.5f s, %+.5f J per request beside it)\n",
	        name, (unsigned long long)ref[0].freq_hz, fit->raw_latency_s, fit->raw_energy_j,
	        ref[0].batch, ref[1].batch, fit->intercept_s, fit->intercept_j);
	if (fit->clamped)
		fprintf(stderr,
		        "loudva profile run: warning: %s at %llu Hz: a slope is not positive "
		        "(the format measured no slower or no costlier per frame than fp32: noise "
		        "above the term); taken as 0\n",
		        name, (unsigned long long)ref[0].freq_hz);
	for (int i = 0; i < 2; i++)
		if (!ref[i].stable || !fmt[i].stable)
			fprintf(
			    stderr,
			    "loudva profile run: warning: %s at %llu Hz batch %d: the windows did "
			    "not settle; the term rests on unsettled figures\n",
			    name, (unsigned long long)ref[0].freq_hz, ref[i].batch);
	return 1;
}

/*
 * Measures the term of every served format at each --preprocess-freqs clock
 * from the sweep's smallest and largest batch, into s->pre. LV_OK (terms
 * that could not be fitted are said and leave s->prep_failed), LV_ESTATE
 * when interrupted, LV_EIO when the device stops answering.
 */
static int preprocess_all(struct sweep *s, char **why)
{
	int served[LV_WIRE_COUNT] = { 0 }, b[2] = { s->batches[0], s->batches[0] };
	if (s->o->no_prep) {
		fprintf(stderr,
		        "loudva profile run: preprocessing not measured (--no-preprocess)\n");
		return LV_OK;
	}
	for (size_t i = 1; i < s->n_batches; i++) {
		b[0] = s->batches[i] < b[0] ? s->batches[i] : b[0];
		b[1] = s->batches[i] > b[1] ? s->batches[i] : b[1];
	}
	if (b[0] == b[1]) {
		fprintf(stderr,
		        "loudva profile run: preprocessing not measured: its per-frame term is a "
		        "slope over batch size, and --batches has one size (give two or more)\n");
		return LV_OK;
	}
	if (!prep_served(s, served))
		return LV_OK;
	double sum_l[LV_WIRE_COUNT] = { 0 }, sum_e[LV_WIRE_COUNT] = { 0 };
	int n_fit[LV_WIRE_COUNT] = { 0 }, rc = LV_OK;
	s->prep_phase = 1;
	for (size_t fi = 0; fi < s->n_prep_freqs && rc == LV_OK; fi++) {
		uint64_t f = s->prep_freqs[fi];
		double idle_w = NAN;
		struct lv_prof_result ref[2], fmt[2];
		rc = prep_pin(s, f, &idle_w, why);
		/* fp32: the sweep's own point where it has the device's time, else now. */
		for (int i = 0; i < 2 && rc == LV_OK; i++) {
			const struct lv_prof_result *d = find_done(s, f, b[i]);
			if (d && isfinite(d->compute_s) && isfinite(d->idle_w))
				ref[i] = *d;
			else
				rc = measure(s, LV_WIRE_FP32, f, b[i], idle_w, &ref[i], why);
		}
		for (int w = LV_WIRE_UINT8; w < LV_WIRE_COUNT && rc == LV_OK; w++) {
			if (!served[w])
				continue;
			for (int i = 0; i < 2 && rc == LV_OK; i++)
				rc = measure(s, (enum lv_wire)w, f, b[i], idle_w, &fmt[i], why);
			struct lv_prep_fit fit;
			if (rc == LV_OK && prep_fit_one(s, (enum lv_wire)w, ref, fmt, &fit)) {
				sum_l[w] += fit.latency_s;
				sum_e[w] += fit.energy_j;
				n_fit[w]++;
			}
		}
	}
	s->prep_phase = 0;
	if (rc != LV_OK)
		return rc;
	for (int w = LV_WIRE_UINT8; w < LV_WIRE_COUNT; w++) {
		if (!n_fit[w])
			continue;
		double el = 0, ee = 0;
		struct lv_profile unmeasured = *s->base;
		unmeasured.preprocess[w].measured = 0;
		lv_profile_preprocess(&unmeasured, (enum lv_wire)w, &el, &ee, NULL);
		s->pre[w] = (struct lv_preprocess){ .measured = 1,
			                            .latency_s = sum_l[w] / n_fit[w],
			                            .energy_j = sum_e[w] / n_fit[w] };
		fprintf(stderr,
		        "loudva profile run: %s: preprocessing %.5f s and %.5f J per frame (mean "
		        "over %d clock%s; the estimate: %.5f s and %.5f J)\n",
		        lv_wire_name((enum lv_wire)w), s->pre[w].latency_s, s->pre[w].energy_j,
		        n_fit[w], n_fit[w] == 1 ? "" : "s", el, ee);
	}
	return LV_OK;
}

/* Writes the outputs after the sweep ended with rc; returns the exit status. */
static int finish(struct sweep *s, const char *out, int rc, const char *err)
{
	char *why = NULL;
	int complete = rc == LV_OK;
	int wrc = s->n_done || complete ? lv_prof_write_profile(out, s->base, s->o->device, s->done,
	                                                        s->n_done, complete, s->pre, &why)
	                                : LV_OK;
	if (wrc == LV_OK && complete)
		wrc = lv_prof_write_csv(out, s->done, s->n_done, &why);
	if (wrc != LV_OK)
		fprintf(stderr, "loudva profile run: %s\n", why ? why : out);
	free(why);
	size_t total = s->n_freqs * s->n_batches;
	if (rc == LV_OK && wrc == LV_OK) {
		unlink(s->partial);
		fprintf(stderr, "loudva profile run: %zu points; wrote %s, %s, %s.perf/\n",
		        s->n_done, out, s->samples, out);
		fprintf(
		    stderr,
		    "loudva profile run: `loudva profile show %s` compares it with the cost "
		    "predictor; copied to profiles/%s.json it is what the scheduler uses, and "
		    "the predictor retrains on its next use (`loudva predictor eval` then shows "
		    "its errors)\n",
		    out, s->base->kind);
		if (s->prep_failed) {
			fprintf(stderr, "loudva profile run: a preprocessing term could not be "
			                "measured (above); the profile keeps the one it had\n");
			return LV_EXIT_FAIL;
		}
		return LV_EXIT_OK;
	}
	if (rc == LV_ESTATE) {
		fprintf(stderr,
		        "loudva profile run: interrupted; clock released; %zu of %zu points in %s "
		        "(continue with --resume)\n",
		        s->n_done, total, s->partial);
		return 130;
	}
	if (rc != LV_OK)
		fprintf(stderr,
		        "loudva profile run: %s; %zu of %zu points kept in %s, %s marked "
		        "incomplete\n",
		        err ? err : "failed", s->n_done, total, s->partial, out);
	return LV_EXIT_FAIL;
}

/*
 * The model (the controller's default, live.h) and one camera frame in every
 * format, made as the controller makes them: a synthetic CAM_W × CAM_H
 * picture, JPEG at quality 90 with 4:2:0 chroma (what cameras send), then
 * decoded and resized to the model's input as fp32 and as uint8 pixels.
 */
static int prepare_frames(struct sweep *s, char **why)
{
	struct lv_live_config lc;
	lv_live_config_default(&lc);
	s->model = lc.model;
	for (int w = 0; w < LV_WIRE_COUNT; w++)
		s->model_name[w] = w == LV_WIRE_FP32 ? lv_xstrdup(s->model.name)
		                                     : lv_xasprintf("%s_%s", s->model.name,
		                                                    lv_wire_name((enum lv_wire)w));
	size_t px = lv_model_input_floats(&s->model);
	uint8_t *rgb = lv_xmalloc((size_t)CAM_W * CAM_H * 3);
	lv_image_synth(rgb, CAM_W, CAM_H, 7);
	s->frame[LV_WIRE_JPEG] =
	    lv_image_encode_jpeg(rgb, CAM_W, CAM_H, 90, 1, &s->frame_len[LV_WIRE_JPEG], why);
	free(rgb);
	if (!s->frame[LV_WIRE_JPEG])
		return LV_EINVAL;
	s->frame_len[LV_WIRE_FP32] = px * sizeof(float);
	s->frame_len[LV_WIRE_UINT8] = px;
	s->frame[LV_WIRE_FP32] = lv_xmalloc(s->frame_len[LV_WIRE_FP32]);
	s->frame[LV_WIRE_UINT8] = lv_xmalloc(s->frame_len[LV_WIRE_UINT8]);
	return lv_image_prepare(s->frame[LV_WIRE_JPEG], s->frame_len[LV_WIRE_JPEG], &s->model,
	                        s->frame[LV_WIRE_FP32], s->frame[LV_WIRE_UINT8], why);
}

int lv_cmd_profile_run(int argc, char **argv)
{
	struct opts o;
	int rc = parse(argc, argv, &o);
	if (rc)
		return rc == LV_OPTS_HELP ? LV_EXIT_OK : rc;
	struct lv_cluster *c = NULL;
	struct lv_launcher *l = NULL;
	char *token = NULL, *why = NULL, *out = NULL;
	struct sweep s = { .o = &o };
	int idx = -1;
	if (check_freqs_syntax("freqs", o.freqs, 1, &why) != LV_OK ||
	    (o.prep_freqs && check_freqs_syntax("preprocess-freqs", o.prep_freqs, 0, &why) !=
	                         LV_OK)) { /* before any agent is started */
		fprintf(stderr, "loudva profile run: %s\n", why);
		free(why);
		return LV_EXIT_USAGE;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	lv_progress_open(); /* before an emulated agent starts: it must not inherit it */
	struct lv_prof_target tg = { o.cluster, o.device, o.token_file, o.agent };
	rc = lv_prof_setup(&tg, &c, &l, &idx, &token, &why);
	if (rc)
		goto out;
	const struct lv_device *d = &c->devices[idx];
	s.base = lv_device_profile(c, d);
	if (!d->agent_url) {
		rc = LV_EXIT_USAGE;
		lv_fail(&why, LV_EINVAL, "device %s has no agent URL", o.device);
		goto out;
	}
	if (parse_freqs(&s, &why) || parse_batches(&s, &why) ||
	    (o.prep_freqs && resolve_freqs(s.base, "preprocess-freqs", o.prep_freqs, s.prep_freqs,
	                                   &s.n_prep_freqs, &why))) {
		rc = LV_EXIT_USAGE;
		goto out;
	}
	if (!o.prep_freqs)
		s.prep_freqs[s.n_prep_freqs++] = s.base->freqs_hz[s.base->n_freqs - 1];
	out = o.out ? lv_xstrdup(o.out) : lv_xasprintf("profile-%s.json", o.device);
	s.partial = lv_xasprintf("%s.partial.json", out);
	s.samples = lv_xasprintf("%s.samples.csv", out);
	if (o.resume && access(s.partial, F_OK) == 0) {
		if (lv_prof_read_partial(s.partial, o.device, &s.done, &s.n_done, &why)) {
			rc = LV_EXIT_USAGE;
			goto out;
		}
		fprintf(stderr, "loudva profile run: resuming with %zu points from %s\n", s.n_done,
		        s.partial);
	} else {
		unlink(s.partial);
		unlink(s.samples);
	}
	if (prepare_frames(&s, &why) != LV_OK) {
		rc = LV_EXIT_FAIL;
		goto out;
	}
	s.http = lv_prof_http_new(d->agent_url, d->triton_url, token, d->ca_file, s.model.name);
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	int srun = sweep_all(&s, &why);
	if (srun == LV_OK) {
		srun = preprocess_all(&s, &why);
		if (srun == LV_EIO) {
			char *w =
			    lv_xasprintf("device %s stopped answering while its preprocessing "
			                 "was measured: %s",
			                 o.device, why ? why : "error");
			free(why);
			why = w;
		}
	}
	char *rwhy = NULL;
	if (lv_prof_http_release(s.http, &rwhy) != LV_OK)
		fprintf(stderr, "loudva profile run: warning: could not release the clock: %s\n",
		        rwhy ? rwhy : "?");
	free(rwhy);
	rc = finish(&s, out, srun, why);
	free(why);
	why = NULL;
out:
	if (why)
		fprintf(stderr, "loudva profile run: %s\n", why);
	lv_prof_http_free(s.http);
	lv_launcher_stop(l);
	lv_cluster_free(c);
	curl_global_cleanup();
	for (int w = 0; w < LV_WIRE_COUNT; w++) {
		free(s.frame[w]);
		free(s.model_name[w]);
	}
	free(s.done);
	free(s.partial);
	free(s.samples);
	free(out);
	free(token);
	free(why);
	return rc;
}
