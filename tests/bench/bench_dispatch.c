/*
 * bench_dispatch: how much the live controller's engine thread can carry
 * without the front end (see bench_dispatch.h). The agents are release
 * builds ($LOUDVA_AGENT_REL, else build/loudva-agent) started by the
 * launcher; the policy is transparent:period=0 so nothing waits to be
 * batched. Each request holds 2 frames whose tensors are copied from a
 * template, as the front end writes them.
 */
#include "bench_dispatch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "model/cluster.h"
#include "harness/launcher.h"
#include "live/live.h"
#include "model/profile.h"
#include "base/util.h"

#define FRAMES_PER_REQ 2
#define FLOATS         (299u * 299u * 3u)

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The thesis cluster with every batch taking 1 µs and clock changes 1 ms. */
static struct lv_cluster *free_cluster(char **why)
{
	struct lv_cluster *c = lv_cluster_load("profiles/clusters/thesis.json", why);
	if (!c)
		return NULL;
	for (size_t k = 0; k < c->n_kinds; k++) {
		struct lv_profile *p = c->kinds[k].profile;
		for (size_t i = 0; i < p->n_points; i++)
			p->points[i].latency_s = 1e-6;
		p->clock_change_delay_s = 0.001;
	}
	if (lv_cluster_build_costs(c, LV_COST_PROF, NULL, why) != LV_OK) {
		lv_cluster_free(c);
		return NULL;
	}
	return c;
}

/*
 * Keeps `inflight` requests going until n frames are answered; with rate > 0
 * submits at that many frames/s instead. Latencies (arrival to answer) go to
 * lat (n entries). Returns the wall time.
 */
static double drive(struct lv_live *lv, const float *tmpl, size_t n, int inflight, double rate,
                    double *lat)
{
	struct lv_live_request **q = lv_xcalloc((size_t)inflight, sizeof(*q));
	size_t sent = 0, done = 0;
	double t0 = mono();
	while (done < n) {
		for (int i = 0; i < inflight; i++) {
			if (q[i] && q[i]->done) {
				for (uint32_t k = 0; k < q[i]->n_frames; k++)
					lat[done++] = q[i]->results[k].latency_s;
				lv_live_request_free(q[i]);
				q[i] = NULL;
			}
			int due = rate <= 0 || (double)sent <= (mono() - t0) * rate;
			if (!q[i] && sent < n && due) {
				q[i] = lv_live_request_new(FRAMES_PER_REQ, 30.0, FLOATS);
				for (int k = 0; k < FRAMES_PER_REQ; k++)
					memcpy(q[i]->tensors[k], tmpl, FLOATS * sizeof(float));
				lv_live_submit(lv, q[i]);
				sent += FRAMES_PER_REQ;
			}
		}
		struct timespec ts = { 0, 100 * 1000 };
		nanosleep(&ts, NULL);
	}
	double wall = mono() - t0;
	free(q);
	return wall;
}

void lv_bench_dispatch(void)
{
	char *why = NULL;
	struct lv_cluster *c = free_cluster(&why);
	struct lv_launcher *l = NULL;
	struct lv_live *lv = NULL;
	if (!c)
		goto out;
	struct lv_launcher_config lc;
	lv_launcher_config_default(&lc);
	const char *agent = getenv("LOUDVA_AGENT_REL");
	lc.agent_path = agent && *agent ? agent : "build/loudva-agent";
	l = lv_launcher_start(c, &lc, &why);
	if (!l)
		goto out;
	struct lv_live_config cfg;
	lv_live_config_default(&cfg);
	cfg.cluster = c;
	cfg.policy = "transparent:period=0";
	cfg.token = lv_launcher_token(l);
	lv = lv_live_new(&cfg, &why);
	if (!lv)
		goto out;
	float *tmpl = lv_xmalloc(FLOATS * sizeof(float));
	for (size_t i = 0; i < FLOATS; i++)
		tmpl[i] = (float)(i % 255) / 127.5f - 1.0f;
	size_t n = 6000;
	double *lat = lv_xmalloc(n * sizeof(double));
	double wall = drive(lv, tmpl, n, 32, 0, lat);
	double fps = (double)n / wall;
	printf("live_dispatch_throughput %.0f frames/s (%zu frames of 1 MB FP32 tensors, 2 per "
	       "request, 32 requests in flight, to 5 emulated free devices through shared memory; "
	       "no front end; %ld cores)\n",
	       fps, n, sysconf(_SC_NPROCESSORS_ONLN));
	size_t m = 3000;
	drive(lv, tmpl, m, 64, fps / 2, lat);
	qsort(lat, m, sizeof(double), cmp);
	printf("live_dispatch_latency_p50 %.2f ms (arrival to answer at %.0f frames/s, half the "
	       "above; free devices)\n",
	       1000 * lat[m / 2], fps / 2);
	printf("live_dispatch_latency_p99 %.2f ms (same run)\n", 1000 * lat[(size_t)(m * 0.99)]);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("live_dispatch_rss_peak %.1f MB (this process: engine, 64 requests' tensors)\n",
	       (double)ru.ru_maxrss / 1024.0);
	free(lat);
	free(tmpl);
out:
	if (why) {
		printf("live_dispatch: did not run: %s\n", why);
		free(why);
	}
	if (lv)
		lv_live_shutdown(lv);
	lv_launcher_stop(l);
	if (lv)
		lv_live_stop(lv);
	else
		lv_cluster_free(c);
}
