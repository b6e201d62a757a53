/*
 * bench_frontend: the front end's own cost. The server runs in a child
 * process (so its RSS is its own) with an immediate consumer that answers
 * every frame as soon as it is submitted, so what is measured is HTTP,
 * multipart parsing, decoding and preprocessing. The client is the load
 * generator in this process, on the same machine and cores:
 *   - saturation: 4-frame requests of ~100 KB JPEGs, all due at once, 8 in
 *     flight — frames/s through /inference;
 *   - half that rate, open loop: round-trip latency p50/p99 per frame;
 *   - the server's peak RSS.
 */
#include "bench_frontend.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "front/frontend.h"
#include "harness/loadgen.h"
#include "live/live.h"
#include "model/trace.h"
#include "base/util.h"

#define FRAMES_PER_REQ 4

static struct lv_live_request *imm_new(uint32_t n, double budget_s, size_t floats)
{
	struct lv_live_request *r = lv_xcalloc(1, sizeof *r);
	r->n_frames = n;
	r->budget_s = budget_s;
	r->tensors = lv_xcalloc(n, sizeof(float *));
	for (uint32_t i = 0; i < n; i++)
		r->tensors[i] = lv_xmalloc(floats * sizeof(float));
	r->results = lv_xcalloc(n, sizeof *r->results);
	return r;
}

static void imm_submit(void *arg, struct lv_live_request *r)
{
	(void)arg;
	for (uint32_t i = 0; i < r->n_frames; i++) {
		struct lv_live_frame_result *f = &r->results[i];
		f->state = LV_FRAME_OK;
		strcpy(f->device, "immediate");
		f->batch = (int)r->n_frames;
		f->top_class = 1;
		f->top_score = 1;
	}
	r->done = 1;
}

static void imm_wait(struct lv_live_request *r)
{
	(void)r; /* answered in submit */
}

static void imm_free(struct lv_live_request *r)
{
	for (uint32_t i = 0; i < r->n_frames; i++)
		free(r->tensors[i]);
	free(r->tensors);
	free(r->results);
	free(r);
}

static const struct lv_snapshot *imm_get(void *arg)
{
	(void)arg;
	return NULL;
}

static void imm_put(void *arg, const struct lv_snapshot *s)
{
	(void)arg;
	(void)s;
}

static const struct lv_frontend_ops imm_ops = {
	.name = "immediate",
	.request_new = imm_new,
	.submit = imm_submit,
	.request_wait = imm_wait,
	.request_free = imm_free,
	.snapshot_get = imm_get,
	.snapshot_put = imm_put,
};

/* The child: serve until the parent closes `stop_fd`. */
static void serve(int port_fd, int stop_fd)
{
	const struct lv_model_info m = {
		.name = "inception", .height = 299, .width = 299, .channels = 3
	};
	char *why = NULL, c;
	struct lv_frontend *fe = lv_frontend_new(&imm_ops, NULL, &m, "127.0.0.1:0", NULL, &why);
	unsigned port = fe ? lv_frontend_port(fe) : 0;
	if (!fe)
		fprintf(stderr, "bench frontend: %s\n", why);
	if (write(port_fd, &port, sizeof port) != sizeof port)
		_exit(1);
	while (read(stop_fd, &c, 1) > 0)
		;
	lv_frontend_stop(fe);
	_exit(0);
}

static struct lv_trace *make_trace(size_t n_req, double interval_s)
{
	struct lv_trace *t = lv_xcalloc(1, sizeof *t);
	t->n = n_req;
	t->reqs = lv_xcalloc(n_req, sizeof *t->reqs);
	for (size_t i = 0; i < n_req; i++) {
		t->reqs[i].time_s = (double)i * interval_s;
		t->reqs[i].frames = FRAMES_PER_REQ;
		t->reqs[i].camera = (int)(i % 16);
		t->reqs[i].throughput = NAN;
		t->reqs[i].budget_s = 10;
	}
	return t;
}

static long status_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	long kb = -1;
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, field, strlen(field)))
			kb = strtol(line + strlen(field) + 1, NULL, 10);
	if (f)
		fclose(f);
	return kb;
}

/* CPU seconds (user + system) the process has used. */
static double cpu_s(pid_t pid)
{
	char path[64];
	unsigned long ut = 0, st = 0;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	/* Fields 14 and 15 (utime, stime) follow the parenthesised command name. */
	if (f && fscanf(f, "%*d (%*[^)]) %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
	                &st) != 2)
		ut = st = 0;
	if (f)
		fclose(f);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static int run(struct lv_loadgen_config *cfg, struct lv_trace *t, int conc,
               struct lv_loadgen_result *res)
{
	char *why = NULL;
	cfg->trace = t;
	cfg->concurrency = conc;
	if (lv_loadgen_run(cfg, res, &why) < 0 || res->frames_unanswered) {
		printf("frontend bench: %s\n", why ? why : res->first_error);
		free(why);
		return -1;
	}
	return 0;
}

static void drive(unsigned port, pid_t pid)
{
	struct lv_loadgen_config cfg;
	struct lv_loadgen_result res;
	char url[64], *why = NULL;
	size_t n_img;
	struct lv_loadgen_image *imgs = lv_loadgen_images_synth(8, 640, 480, &n_img, &why);

	if (!imgs) {
		printf("frontend bench: %s\n", why);
		free(why);
		return;
	}
	size_t bytes = 0;
	for (size_t i = 0; i < n_img; i++)
		bytes += imgs[i].len;
	snprintf(url, sizeof url, "http://127.0.0.1:%u/inference", port);
	lv_loadgen_config_default(&cfg);
	cfg.url = url;
	cfg.images = imgs;
	cfg.n_images = n_img;
	long idle_kb = status_kb(pid, "VmRSS:");

	struct lv_trace *t = make_trace(1000, 0);
	double srv0 = cpu_s(pid), cli0 = cpu_s(getpid());
	if (run(&cfg, t, 8, &res) == 0) {
		double fps = (double)res.frames_answered / res.duration_s;
		double srv = (cpu_s(pid) - srv0) / (double)res.frames_answered;
		double cli = (cpu_s(getpid()) - cli0) / (double)res.frames_answered;
		double load[1] = { NAN };
		getloadavg(load, 1);
		printf(
		    "frontend throughput (immediate consumer, %zu KB JPEGs, %d per request, 8 in "
		    "flight, client on the same %ld cores): %.0f frames/s (%llu frames in %.2f "
		    "s)\n",
		    bytes / n_img / 1000, FRAMES_PER_REQ, sysconf(_SC_NPROCESSORS_ONLN), fps,
		    (unsigned long long)res.frames_answered, res.duration_s);
		/* Wall-clock rates depend on what else runs on a shared machine; CPU
		 * time per frame does not, and gives the capacity of two idle cores. */
		printf("frontend CPU per frame: server %.2f ms, client %.2f ms; capacity of 2 idle "
		       "cores: %.0f frames/s (server alone), %.0f frames/s (client on them too); "
		       "load average was %.1f\n",
		       srv * 1e3, cli * 1e3, 2 / srv, 2 / (srv + cli), load[0]);
		lv_trace_free(t);
		/* Half that rate, open loop, for about 4 s. */
		double req_rate = fps / 2 / FRAMES_PER_REQ;
		t = make_trace((size_t)(4 * req_rate) + 1, 1 / req_rate);
		if (run(&cfg, t, 256, &res) == 0)
			printf(
			    "frontend latency at half load (%.0f frames/s, round trip per frame): "
			    "p50 %.2f ms, p99 %.2f ms (max start lag %.1f ms)\n",
			    fps / 2, res.latency_p50_s * 1e3, res.latency_p99_s * 1e3,
			    res.max_lag_s * 1e3);
	}
	lv_trace_free(t);
	printf("frontend RSS: %.1f MB idle, %.1f MB peak (server process)\n", idle_kb / 1024.0,
	       status_kb(pid, "VmHWM:") / 1024.0);
	lv_loadgen_images_free(imgs, n_img);
}

void lv_bench_frontend(void)
{
	int port_p[2], stop_p[2];
	unsigned port = 0;

	if (pipe(port_p) < 0 || pipe(stop_p) < 0) {
		printf("frontend bench: pipe failed\n");
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(port_p[0]);
		close(stop_p[1]);
		serve(port_p[1], stop_p[0]);
	}
	close(port_p[1]);
	close(stop_p[0]);
	if (pid > 0 && read(port_p[0], &port, sizeof port) == sizeof port && port)
		drive(port, pid);
	else
		printf("frontend bench: the server did not start\n");
	close(port_p[0]);
	close(stop_p[1]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}
