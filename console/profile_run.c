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
#include "model/profile.h"
#include "base/clock.h"
#include "base/util.h"
#include "progress.h"

#define MAX_FREQS   64
#define MAX_BATCHES 64
#define MODEL       "inception_graphdef"
#define IMG_SIDE    299

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

struct opts {
	const char *cluster, *device, *freqs, *batches, *out, *agent, *token_file;
	long requests, max_windows;
	double stability; /* fraction */
	int resume;
};

struct sweep {
	const struct opts *o;
	const struct lv_profile *base;
	struct lv_prof_http *http;
	uint64_t freqs[MAX_FREQS];
	size_t n_freqs;
	int batches[MAX_BATCHES];
	size_t n_batches;
	float *frame; /* one preprocessed synthetic image */
	char *partial, *samples;
	struct lv_prof_result *done;
	size_t n_done;
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
	{ 0 },
};
#undef O

const struct lv_opt_spec lv_profile_run_spec = {
	.cmd = "profile run",
	.about = "Measures a device (emulated here without --cluster) over clock x batch:\n"
	         "FILE (a profile), FILE.samples.csv and\n"
	         "FILE.perf/energy_calculated_freq_<Hz>.csv; progress in FILE.partial.json.\n"
	         "The clock is released on exit and on Ctrl-C.",
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

/* --freqs's syntax alone, before anything is started: all, or clocks (MHz as the console
 * takes them: 921.6, 921.6MHz, or Hz). */
static int check_freqs_syntax(const char *freqs, char **why)
{
	if (!strcmp(freqs, "all"))
		return LV_OK;
	char *list = lv_xstrdup(freqs), *save = NULL;
	int rc = LV_OK, n = 0;
	for (char *t = strtok_r(list, ",", &save); t && rc == LV_OK;
	     t = strtok_r(NULL, ",", &save), n++) {
		uint64_t hz;
		if (lv_cmd_parse_hz(t, &hz) != LV_OK)
			rc = lv_fail(why, LV_EINVAL,
			             "--freqs: '%s' is not a clock (MHz: 921.6 or 921.6MHz; or Hz)",
			             t);
	}
	if (rc == LV_OK && n == 0)
		rc = lv_fail(why, LV_EINVAL, "--freqs: want all, or clocks like 768,921.6");
	free(list);
	return rc;
}

/* --freqs all|CLOCK,... against the base profile's clocks: each to the nearest step (said
 * on stderr when not exact); one outside the device's range is refused with the list. */
static int parse_freqs(struct sweep *s, char **why)
{
	const struct lv_profile *p = s->base;
	if (!strcmp(s->o->freqs, "all")) {
		for (size_t i = 0; i < p->n_freqs && i < MAX_FREQS; i++)
			s->freqs[s->n_freqs++] = p->freqs_hz[i];
		return LV_OK;
	}
	char *list = lv_xstrdup(s->o->freqs), *save = NULL;
	int rc = LV_OK;
	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		uint64_t hz = 0;
		char note[96], err[240];
		if (lv_cmd_clock_resolve(t, p->freqs_hz, p->n_freqs, &hz, note, sizeof(note), err,
		                         sizeof(err)) != LV_OK) {
			rc = lv_fail(why, LV_EINVAL, "--freqs: %s (%s)", err, p->kind);
			break;
		}
		if (note[0])
			fprintf(stderr, "loudva profile run: --freqs: %s\n", note);
		int dup = 0;
		for (size_t k = 0; k < s->n_freqs; k++)
			dup |= s->freqs[k] == hz;
		if (!dup && s->n_freqs < MAX_FREQS)
			s->freqs[s->n_freqs++] = hz;
	}
	free(list);
	/* Ascending, so the outputs group by clock. */
	for (size_t i = 1; i < s->n_freqs; i++)
		for (size_t j = i; j > 0 && s->freqs[j - 1] > s->freqs[j]; j--) {
			uint64_t t = s->freqs[j];
			s->freqs[j] = s->freqs[j - 1];
			s->freqs[j - 1] = t;
		}
	return rc;
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

/* The request body for batch b: the JSON header, then b copies of the frame. */
static char *build_body(const struct sweep *s, int b, size_t *len, size_t *json_len)
{
	size_t frame = (size_t)IMG_SIDE * IMG_SIDE * 3 * sizeof(float);
	char *json = lv_xasprintf(
	    "{\"inputs\":[{\"name\":\"input\",\"shape\":[%d,%d,%d,3],\"datatype\":\"FP32\","
	    "\"parameters\":{\"binary_data_size\":%zu}}],"
	    "\"outputs\":[{\"name\":\"InceptionV3/Predictions/Softmax\","
	    "\"parameters\":{\"binary_data\":true}}]}",
	    b, IMG_SIDE, IMG_SIDE, (size_t)b * frame);
	*json_len = strlen(json);
	*len = *json_len + (size_t)b * frame;
	char *body = lv_xmalloc(*len);
	memcpy(body, json, *json_len);
	for (int i = 0; i < b; i++)
		memcpy(body + *json_len + (size_t)i * frame, s->frame, frame);
	free(json);
	return body;
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
static int measure(struct sweep *s, uint64_t f, int b, double idle_w, struct lv_prof_result *r,
                   char **why)
{
	size_t len = 0, jlen = 0;
	char *body = build_body(s, b, &len, &jlen);
	long k = s->o->requests;
	double *means = lv_xcalloc((size_t)s->o->max_windows, sizeof(double));
	struct lv_prof_sample *smp = lv_xcalloc((size_t)(k * s->o->max_windows), sizeof(*smp));
	size_t n_smp = 0;
	double lat = 0, comp = 0;
	int rc = lv_prof_http_infer(s->http, body, len, jlen, &lat, &comp, why); /* warm-up */
	*r = (struct lv_prof_result){ .freq_hz = f, .batch = b, .idle_w = idle_w };
	for (int w = 0; rc == LV_OK && w < s->o->max_windows; w++) {
		double e0 = 0, e1 = 0, pw = 0, sum_l = 0, sum_c = 0;
		rc = lv_prof_http_telemetry(s->http, &e0, &pw, why);
		double t0 = lv_mono_s();
		for (long i = 0; rc == LV_OK && i < k; i++) {
			if (g_stop) {
				rc = LV_ESTATE;
				break;
			}
			rc = lv_prof_http_infer(s->http, body, len, jlen, &lat, &comp, why);
			sum_l += lat;
			sum_c += comp;
			smp[n_smp++] = (struct lv_prof_sample){ f, b, w, (int)i, lat, comp };
		}
		double t1 = lv_mono_s();
		if (rc == LV_OK)
			rc = lv_prof_http_telemetry(s->http, &e1, &pw, why);
		if (rc != LV_OK)
			break;
		means[w] = sum_l / (double)k;
		r->latency_s = means[w];
		r->compute_s = sum_c / (double)k;
		r->energy_j = (e1 - e0) / (double)k;
		r->power_w = (e1 - e0) / (t1 - t0);
		r->throughput = (double)(k * b) / (t1 - t0);
		r->windows = w + 1;
		double sp = w >= 2 ? spread3(means, w + 1) : INFINITY;
		lv_progress_send_window(f, b, w + 1);
		fprintf(
		    stderr,
		    "  %llu Hz batch %d window %d: latency %.4f s (server %.4f s), %.4f J/batch, "
		    "%.2f W%s\n",
		    (unsigned long long)f, b, w + 1, r->latency_s, r->compute_s, r->energy_j,
		    r->power_w, sp <= s->o->stability ? ", stable" : "");
		if (sp <= s->o->stability) {
			r->stable = 1;
			break;
		}
	}
	if (rc == LV_OK && !r->stable)
		fprintf(stderr,
		        "loudva profile run: %llu Hz batch %d: latencies did not settle within "
		        "%g%% after %d windows; keeping the last\n",
		        (unsigned long long)f, b, s->o->stability * 100, r->windows);
	if (rc == LV_OK)
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
				rc = measure(s, f, b, idle_w, &r, why);
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

/* Writes the outputs after the sweep ended with rc; returns the exit status. */
static int finish(struct sweep *s, const char *out, int rc, const char *err)
{
	char *why = NULL;
	int complete = rc == LV_OK;
	int wrc = s->n_done || complete ? lv_prof_write_profile(out, s->base, s->o->device, s->done,
	                                                        s->n_done, complete, &why)
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
	if (check_freqs_syntax(o.freqs, &why) != LV_OK) { /* before any agent is started */
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
	if (parse_freqs(&s, &why) || parse_batches(&s, &why)) {
		rc = LV_EXIT_USAGE;
		goto out;
	}
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
	uint8_t *rgb = lv_xmalloc((size_t)IMG_SIDE * IMG_SIDE * 3);
	lv_image_synth(rgb, IMG_SIDE, IMG_SIDE, 7);
	s.frame = lv_xmalloc((size_t)IMG_SIDE * IMG_SIDE * 3 * sizeof(float));
	for (size_t i = 0; i < (size_t)IMG_SIDE * IMG_SIDE * 3; i++)
		s.frame[i] = (float)(rgb[i] / 127.5 - 1.0);
	free(rgb);
	s.http = lv_prof_http_new(d->agent_url, d->triton_url, token, d->ca_file, MODEL);
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	int srun = sweep_all(&s, &why);
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
	free(s.frame);
	free(s.done);
	free(s.partial);
	free(s.samples);
	free(out);
	free(token);
	free(why);
	return rc;
}
