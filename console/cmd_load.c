/*
 * cmd_load: `loudva load` — replays a trace against a controller's POST
 * /inference as concurrent camera clients (core/loadgen.c does the work) and
 * prints a summary: requests and frames sent, frames answered by state,
 * round-trip latency percentiles.
 *
 * The controller's /healthz is asked first: no answer, and nothing is sent.
 *
 * Exit status: 0 when every frame of the trace was answered (in whatever
 * state), 1 when some frame went unanswered (connection refused, timeout,
 * interrupted, unusable answer) or the controller refused a request outright
 * (an HTTP error such as 413 "more than 64 images": its frames never reached
 * the scheduler), 2 on bad input.
 */
#include "commands.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/loadgen.h"
#include "model/trace.h"
#include "base/util.h"

#define DEFAULT_URL "http://127.0.0.1:5000"

struct load_args {
	const char *trace, *url, *images;
	long concurrency;
	double speed, timeout_s;
	int json;
};

#define A(f) offsetof(struct load_args, f)
static const struct lv_opt load_opts[] = {
	{ .name = "trace",
	  .kind = LV_OPT_STR,
	  .offset = A(trace),
	  .arg = "FILE",
	  .flags = LV_OPT_REQUIRED,
	  .help = "the trace to replay" },
	{ .name = "url",
	  .kind = LV_OPT_STR,
	  .offset = A(url),
	  .arg = "URL",
	  .help = "controller, /inference appended if no path [" DEFAULT_URL "]" },
	{ .name = "images",
	  .kind = LV_OPT_STR,
	  .offset = A(images),
	  .arg = "DIR",
	  .help = "post these .jpg/.png files, cycling [generated JPEGs]" },
	{ .name = "concurrency",
	  .kind = LV_OPT_LONG,
	  .offset = A(concurrency),
	  .arg = "N",
	  .min = 1,
	  .max = 100000,
	  .what = "a count 1..100000",
	  .help = "requests in flight at most [256]" },
	{ .name = "speed",
	  .kind = LV_OPT_DOUBLE,
	  .offset = A(speed),
	  .arg = "X",
	  .flags = LV_OPT_ABOVE_MIN,
	  .min = 0,
	  .max = INFINITY,
	  .what = "a positive number",
	  .help = "trace seconds per wall second [1]" },
	{ .name = "timeout",
	  .kind = LV_OPT_DOUBLE,
	  .offset = A(timeout_s),
	  .arg = "S",
	  .flags = LV_OPT_ABOVE_MIN,
	  .min = 0,
	  .max = INFINITY,
	  .what = "a positive number",
	  .help = "give up on a request after S seconds [120]" },
	{ .kind = LV_OPT_INCLUDE, .offset = A(json), .rows = lv_cmd_json_opts },
	{ 0 },
};
#undef A

static const struct lv_opt_spec load_spec = {
	.cmd = "load",
	.about = "Replays a trace as camera clients: each request is posted to /inference at its\n"
	         "time, with its frames and budget, and the answers are tallied.",
	.opts = load_opts,
	.epilog = "Exit status: 0 every frame answered, 1 some frame unanswered or refused by the\n"
	          "controller (an HTTP error such as 413), 2 bad input.",
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static size_t drop_body(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/*
 * GET /healthz on the controller at url (its path, if any, replaced): 0 when
 * it answers 200, else LV_EIO with *why. Run before the replay, so a dead or
 * wrong URL fails in seconds instead of after the whole trace.
 */
static int check_health(const char *url, char **why)
{
	const char *p = strstr(url, "://");
	const char *host = p ? p + 3 : url;
	size_t base = strcspn(host, "/") + (size_t)(host - url);
	char *hz = lv_xasprintf("%s%.*s/healthz", p ? "" : "http://", (int)base, url);
	char err[CURL_ERROR_SIZE] = "";
	long code = 0;
	int rc = LV_OK;
	CURL *e = curl_easy_init();
	if (!e) {
		free(hz);
		return lv_fail(why, LV_EIO, "cannot start libcurl");
	}
	curl_easy_setopt(e, CURLOPT_URL, hz);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, drop_body);
	CURLcode cc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	if (cc != CURLE_OK)
		rc = lv_fail(why, LV_EIO, "no controller at %s: %s; nothing sent", hz,
		             err[0] ? err : curl_easy_strerror(cc));
	else if (code != 200)
		rc = lv_fail(why, LV_EIO,
		             "%s answered HTTP %ld, not 200: is this a LoudVA "
		             "controller? nothing sent",
		             hz, code);
	curl_easy_cleanup(e);
	free(hz);
	return rc;
}

static void print_text(const struct load_args *a, const struct lv_loadgen_result *r)
{
	static const enum lv_frame_state shown[] = { LV_FRAME_OK, LV_FRAME_LATE, LV_FRAME_FAILED,
		                                     LV_FRAME_EXPIRED, LV_FRAME_REJECTED };
	printf("requests: %zu sent of %zu, %zu answered, %zu failed\n", r->requests_sent,
	       r->requests, r->requests_answered, r->requests_failed);
	printf("frames:   %llu sent of %llu, %llu answered:", (unsigned long long)r->frames_sent,
	       (unsigned long long)r->frames, (unsigned long long)r->frames_answered);
	for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
		printf(" %s %llu%s", lv_frame_state_name(shown[i]),
		       (unsigned long long)r->by_state[shown[i]], i + 1 < 5 ? "," : "");
	printf("; %llu unanswered\n", (unsigned long long)r->frames_unanswered);
	if (r->requests_refused)
		printf(
		    "refused:  %llu frames in %zu requests refused by the controller (counted as "
		    "rejected above)\n",
		    (unsigned long long)r->frames_refused, r->requests_refused);
	if (r->frames_answered)
		printf(
		    "latency:  p50 %.3f s, p95 %.3f s, p99 %.3f s, max %.3f s (round trip of each "
		    "frame's request, as a camera sees it: upload, queue, batches, answer)\n",
		    r->latency_p50_s, r->latency_p95_s, r->latency_p99_s, r->latency_max_s);
	else
		printf("latency:  - (no frame answered)\n");
	if (isfinite(r->controller_p50_s))
		printf("controller: p50 %.3f s, p95 %.3f s, p99 %.3f s, max %.3f s (each frame's "
		       "request: headers received to answer ready, so its slowest frame; serve's "
		       "p50 is per frame, to its own batch's end)\n",
		       r->controller_p50_s, r->controller_p95_s, r->controller_p99_s,
		       r->controller_max_s);
	printf("duration: %.1f s at speed %g, %.1f frames/s answered, %.1f MB of images sent, "
	       "max start lag %.3f s\n",
	       r->duration_s, a->speed,
	       r->duration_s > 0 ? (double)r->frames_answered / r->duration_s : 0.0,
	       (double)r->bytes_sent / 1e6, r->max_lag_s);
	if (r->first_error[0])
		printf("first error: %s\n", r->first_error);
}

static void j_num(cJSON *o, const char *k, double v)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static void print_json(const struct load_args *a, const struct lv_loadgen_result *r)
{
	cJSON *o = cJSON_CreateObject(), *st = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "trace", a->trace);
	cJSON_AddStringToObject(o, "url", a->url);
	j_num(o, "requests", (double)r->requests);
	j_num(o, "requests_sent", (double)r->requests_sent);
	j_num(o, "requests_answered", (double)r->requests_answered);
	j_num(o, "requests_failed", (double)r->requests_failed);
	j_num(o, "frames", (double)r->frames);
	j_num(o, "frames_sent", (double)r->frames_sent);
	j_num(o, "frames_answered", (double)r->frames_answered);
	j_num(o, "frames_unanswered", (double)r->frames_unanswered);
	j_num(o, "frames_refused", (double)r->frames_refused);
	j_num(o, "requests_refused", (double)r->requests_refused);
	for (int s = LV_FRAME_OK; s < LV_FRAME_NSTATES; s++)
		j_num(st, lv_frame_state_name((enum lv_frame_state)s), (double)r->by_state[s]);
	cJSON_AddItemToObject(o, "by_state", st);
	j_num(o, "latency_p50_s", r->latency_p50_s);
	j_num(o, "latency_p95_s", r->latency_p95_s);
	j_num(o, "latency_p99_s", r->latency_p99_s);
	j_num(o, "latency_max_s", r->latency_max_s);
	j_num(o, "controller_p50_s", r->controller_p50_s);
	j_num(o, "controller_p95_s", r->controller_p95_s);
	j_num(o, "controller_p99_s", r->controller_p99_s);
	j_num(o, "controller_max_s", r->controller_max_s);
	j_num(o, "duration_s", r->duration_s);
	j_num(o, "max_lag_s", r->max_lag_s);
	j_num(o, "bytes_sent", (double)r->bytes_sent);
	if (r->first_error[0])
		cJSON_AddStringToObject(o, "first_error", r->first_error);
	else
		cJSON_AddNullToObject(o, "first_error");
	char *txt = cJSON_Print(o);
	if (txt)
		printf("%s\n", txt);
	free(txt);
	cJSON_Delete(o);
}

int lv_cmd_load(int argc, char **argv)
{
	struct load_args a = {
		.url = DEFAULT_URL, .concurrency = 256, .speed = 1, .timeout_s = 120
	};
	struct lv_trace *t = NULL;
	struct lv_loadgen_image *imgs = NULL;
	struct lv_loadgen_result res;
	size_t n_img = 0;
	char *why = NULL;
	int rc = lv_opts_parse(&load_spec, argc, argv, &a);

	if (rc != 0)
		return rc == LV_OPTS_HELP ? LV_EXIT_OK : rc;
	rc = LV_EXIT_USAGE;
	char *trace = lv_cmd_data(a.trace);
	t = lv_trace_load(trace, &why);
	free(trace);
	if (!t) {
		fprintf(stderr, "loudva load: %s\n", why);
		goto out;
	}
	imgs = a.images ? lv_loadgen_images_load(a.images, &n_img, &why)
	                : lv_loadgen_images_synth(8, 640, 480, &n_img, &why);
	if (!imgs) {
		fprintf(stderr, "loudva load: %s\n", why);
		goto out;
	}

	struct lv_loadgen_config cfg;
	lv_loadgen_config_default(&cfg);
	cfg.trace = t;
	cfg.url = a.url;
	cfg.images = imgs;
	cfg.n_images = n_img;
	cfg.concurrency = (int)a.concurrency;
	cfg.speed = a.speed;
	cfg.timeout_s = a.timeout_s;
	cfg.stop = &interrupted;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (check_health(a.url, &why) < 0) {
		curl_global_cleanup();
		fprintf(stderr, "loudva load: %s\n", why);
		rc = LV_EXIT_FAIL;
		goto out;
	}
	int lr = lv_loadgen_run(&cfg, &res, &why);
	curl_global_cleanup();
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (lr < 0) {
		fprintf(stderr, "loudva load: %s\n", why);
		rc = LV_EXIT_FAIL;
		goto out;
	}
	if (a.json)
		print_json(&a, &res);
	else
		print_text(&a, &res);
	if (res.frames_unanswered)
		fprintf(stderr, "loudva load: %llu of %llu frames unanswered%s\n",
		        (unsigned long long)res.frames_unanswered, (unsigned long long)res.frames,
		        interrupted ? " (interrupted)" : "");
	if (res.requests_refused)
		fprintf(
		    stderr,
		    "loudva load: the controller refused %zu requests (%llu frames); first error: "
		    "%s\n",
		    res.requests_refused, (unsigned long long)res.frames_refused, res.first_error);
	rc = res.frames_unanswered || res.requests_refused ? LV_EXIT_FAIL : LV_EXIT_OK;
out:
	free(why);
	lv_loadgen_images_free(imgs, n_img);
	lv_trace_free(t);
	return rc;
}
