/*
 * workload: the console's synthetic cameras (see workload.h).
 *
 * Time: requests carry seconds from their trace's start; trace k starts at
 * base_k on the monotonic clock, base_0 being the moment the workload
 * started minus the first request's time (so the first request goes out
 * at once and the dashboard is alive immediately), base_{k+1} = base_k +
 * duration. The generator sleeps on a condition variable (monotonic
 * clock), so lv_workload_stop wakes it at once.
 *
 * The FIFO of outstanding requests is the only state the two threads
 * share, under `mu`. The reaper frees a request only after
 * lv_live_request_wait returned, i.e. after the engine thread is done
 * with it.
 */
#include "workload.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "live/live.h"
#include "model/trace.h"
#include "base/clock.h"
#include "base/util.h"

struct pending {
	struct lv_live_request *r;
	struct pending *next;
};

struct lv_workload {
	struct lv_live *lv;
	struct lv_workload_config cfg;
	pthread_t gen, reaper;
	pthread_mutex_t mu;
	pthread_cond_t wake;                    /* generator: stop; reaper: work or stop */
	int stopping;                           /* under mu: the generator is to stop */
	int gen_done;                           /* under mu: the generator has stopped */
	int on;                                 /* under mu */
	struct pending *head, *tail;            /* under mu */
	uint64_t requests, frames, outstanding; /* under mu */
};

void lv_workload_config_default(struct lv_workload_config *cfg)
{
	cfg->cameras = 6;
	cfg->seed = 1;
	cfg->duration_s = 300;
	cfg->on = 1;
}

/* Sleeps until monotonic time t or a stop; returns 1 when stopping. Called with mu held. */
static int sleep_until(struct lv_workload *w, double t)
{
	while (!w->stopping) {
		double now = lv_mono_s();
		if (now >= t)
			return 0;
		struct timespec ts;
		ts.tv_sec = (time_t)t;
		ts.tv_nsec = (long)((t - floor(t)) * 1e9);
		pthread_cond_timedwait(&w->wake, &w->mu, &ts);
	}
	return 1;
}

static struct lv_trace *make_trace(const struct lv_workload_config *cfg, uint64_t seed)
{
	struct lv_trace_gen_params p;
	lv_trace_gen_defaults(&p);
	p.cameras = cfg->cameras;
	p.seed = seed;
	p.duration_s = cfg->duration_s;
	p.min_active_s = cfg->duration_s * 0.1;
	p.max_active_s = cfg->duration_s * 0.6;
	p.last_entry_s = cfg->duration_s * 0.5;
	return lv_trace_generate(&p, NULL, NULL);
}

static void submit(struct lv_workload *w, const struct lv_request *q)
{
	struct lv_live_request *r = lv_live_request_new(q->frames, q->budget_s, 0);
	struct pending *p = lv_xcalloc(1, sizeof(*p));
	p->r = r;
	if (w->tail)
		w->tail->next = p;
	else
		w->head = p;
	w->tail = p;
	w->requests++;
	w->frames += q->frames;
	w->outstanding++;
	pthread_cond_broadcast(&w->wake);
	/* Submit outside the lock: the engine may answer (and the reaper free) at once,
	 * which is fine — the reaper only frees after the wait, and r is not used here again. */
	pthread_mutex_unlock(&w->mu);
	lv_live_submit(w->lv, r);
	pthread_mutex_lock(&w->mu);
}

static void *generator(void *arg)
{
	struct lv_workload *w = arg;
	uint64_t seed = w->cfg.seed;
	double base = lv_mono_s();
	int first = 1;
	pthread_mutex_lock(&w->mu);
	while (!w->stopping) {
		pthread_mutex_unlock(&w->mu);
		struct lv_trace *t = make_trace(&w->cfg, seed++);
		pthread_mutex_lock(&w->mu);
		if (!t) { /* no camera active in this trace: wait it out */
			if (sleep_until(w, base + w->cfg.duration_s))
				break;
			base += w->cfg.duration_s;
			continue;
		}
		if (first)
			base -= t->reqs[0].time_s;
		first = 0;
		for (size_t i = 0; i < t->n && !w->stopping; i++) {
			if (sleep_until(w, base + t->reqs[i].time_s))
				break;
			if (w->on)
				submit(w, &t->reqs[i]);
		}
		base += w->cfg.duration_s;
		lv_trace_free(t);
	}
	w->gen_done = 1;
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void *reaper(void *arg)
{
	struct lv_workload *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->head && !w->gen_done)
			pthread_cond_wait(&w->wake, &w->mu);
		if (!w->head)
			break;
		struct pending *p = w->head;
		pthread_mutex_unlock(&w->mu);
		lv_live_request_wait(p->r);
		lv_live_request_free(p->r);
		pthread_mutex_lock(&w->mu);
		w->head = p->next;
		if (!w->head)
			w->tail = NULL;
		w->outstanding--;
		free(p);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct lv_workload *lv_workload_start(struct lv_live *lv, const struct lv_workload_config *cfg,
                                      char **why)
{
	struct lv_trace_gen_params p;
	lv_trace_gen_defaults(&p);
	p.cameras = cfg->cameras;
	p.duration_s = cfg->duration_s;
	if (lv_trace_gen_check(&p, why) != LV_OK)
		return NULL;
	struct lv_workload *w = lv_xcalloc(1, sizeof(*w));
	w->lv = lv;
	w->cfg = *cfg;
	w->on = cfg->on;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&w->reaper, NULL, reaper, w) != 0) {
		lv_fail(why, LV_EIO, "cannot start the workload's threads");
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return NULL;
	}
	if (pthread_create(&w->gen, NULL, generator, w) != 0) {
		pthread_mutex_lock(&w->mu);
		w->gen_done = 1;
		pthread_cond_broadcast(&w->wake);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->reaper, NULL);
		lv_fail(why, LV_EIO, "cannot start the workload's threads");
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return NULL;
	}
	return w;
}

void lv_workload_set(struct lv_workload *w, int on)
{
	pthread_mutex_lock(&w->mu);
	w->on = on;
	pthread_mutex_unlock(&w->mu);
}

int lv_workload_on(struct lv_workload *w)
{
	pthread_mutex_lock(&w->mu);
	int on = w->on;
	pthread_mutex_unlock(&w->mu);
	return on;
}

void lv_workload_stats(struct lv_workload *w, struct lv_workload_stats *out)
{
	pthread_mutex_lock(&w->mu);
	out->on = w->on;
	out->cameras = w->cfg.cameras;
	out->requests = w->requests;
	out->frames = w->frames;
	out->outstanding = w->outstanding;
	pthread_mutex_unlock(&w->mu);
}

void lv_workload_stop(struct lv_workload *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	int was = w->stopping;
	w->stopping = 1;
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->mu);
	if (!was)
		pthread_join(w->gen, NULL);
}

void lv_workload_free(struct lv_workload *w)
{
	if (!w)
		return;
	lv_workload_stop(w);
	pthread_join(w->reaper, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
