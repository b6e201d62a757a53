/*
 * live_request: camera requests inside the live runtime — their life from
 * lv_live_request_new to lv_live_request_free, and what a terminal frame
 * does: its result filled, the figures, the store and the event log told,
 * the request answered (and taken out of the request table,
 * live_reqtab.c) once its last frame is terminal.
 */
#include "live_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "base/util.h"

/*
 * Frame tensors are ~1 MB, which glibc serves with mmap: every request would
 * fault its pages in afresh (the front end writes them) and unmap them when
 * freed. A small pool of freed tensors of the usual size keeps those pages
 * mapped; it holds at most POOL_MAX of them (64 MB of 299×299×3 tensors).
 */
#define POOL_MAX 64

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static float *pool[POOL_MAX];
static size_t pool_n, pool_floats;

static float *tensor_get(size_t floats)
{
	float *t = NULL;
	pthread_mutex_lock(&pool_mu);
	if (pool_n > 0 && pool_floats == floats)
		t = pool[--pool_n];
	pthread_mutex_unlock(&pool_mu);
	return t ? t : lv_xmalloc(floats * sizeof(float));
}

static void tensor_put(float *t, size_t floats)
{
	if (!t)
		return;
	pthread_mutex_lock(&pool_mu);
	if (pool_n == 0)
		pool_floats = floats;
	if (pool_floats == floats && pool_n < POOL_MAX) {
		pool[pool_n++] = t;
		t = NULL;
	}
	pthread_mutex_unlock(&pool_mu);
	free(t);
}

struct lv_live_request *lv_live_request_new(uint32_t n_frames, double budget_s,
                                            size_t floats_per_frame)
{
	struct lv_live_request *r = lv_xcalloc(1, sizeof(*r));
	r->n_frames = n_frames;
	r->budget_s = budget_s;
	r->floats_per_frame = floats_per_frame;
	r->trace_index = -1;
	r->arrival_mono_s = NAN;
	size_t n = n_frames ? n_frames : 1;
	r->tensors = lv_xcalloc(n, sizeof(float *));
	r->results = lv_xcalloc(n, sizeof(*r->results));
	for (uint32_t i = 0; i < n_frames; i++) {
		if (floats_per_frame)
			r->tensors[i] = tensor_get(floats_per_frame);
		r->results[i].state = LV_FRAME_QUEUED;
		r->results[i].queue_exit_s = NAN;
		r->results[i].done_s = NAN;
		r->results[i].latency_s = NAN;
		r->results[i].top_class = -1;
	}
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	return r;
}

void lv_live_request_wait(struct lv_live_request *r)
{
	pthread_mutex_lock(&r->mu);
	while (!r->done)
		pthread_cond_wait(&r->cv, &r->mu);
	pthread_mutex_unlock(&r->mu);
}

void lv_live_request_free(struct lv_live_request *r)
{
	if (!r)
		return;
	for (uint32_t i = 0; i < r->n_frames; i++)
		tensor_put(r->tensors[i], r->floats_per_frame);
	free(r->tensors);
	for (uint32_t i = 0; i < r->n_frames; i++) {
		free(r->pixels ? r->pixels[i] : NULL);
		free(r->jpegs ? r->jpegs[i] : NULL);
	}
	free(r->pixels);
	free(r->jpegs);
	free(r->jpeg_lens);
	free(r->results);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}

/* Marks r answered and wakes its waiter; the front end owns r from here. */
void live_request_answer(struct lv_live_request *r)
{
	pthread_mutex_lock(&r->mu);
	r->done = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/* Answers a request that never reached the engine (shutting down): every frame REJECTED. */
void live_request_refuse(struct lv_live_request *r, const char *reason)
{
	for (uint32_t i = 0; i < r->n_frames; i++) {
		r->results[i].state = LV_FRAME_REJECTED;
		snprintf(r->results[i].reason, sizeof(r->results[i].reason), "%s", reason);
	}
	r->n_final = r->n_frames;
	live_request_answer(r);
}

/* A frame reached its terminal state: fill its result, answer the request when complete. */
void live_frame_final(struct lv_live *lv, const struct lv_frame *f)
{
	struct lv_live_request *r = (struct lv_live_request *)(uintptr_t)f->tag;
	struct lv_live_frame_result *res = &r->results[f->index];
	const struct lv_cluster *c = lv->cluster;
	res->state = f->state;
	if (f->device >= 0)
		snprintf(res->device, sizeof(res->device), "%s", c->devices[f->device].name);
	res->freq_hz = f->freq_hz;
	res->batch = f->batch;
	res->arrival_s = f->arrival_s;
	res->queue_exit_s = f->dispatch_s;
	res->done_s = f->done_s;
	res->latency_s = f->done_s - f->arrival_s;
	if (f->reason)
		snprintf(res->reason, sizeof(res->reason), "%s", f->reason);
	if (f->state != LV_FRAME_OK && f->state != LV_FRAME_LATE)
		res->top_class = -1;
	if (f->device >= 0 && f->state == LV_FRAME_LATE)
		lv->devs[f->device].late++;
	if (f->device >= 0 && f->state == LV_FRAME_FAILED)
		lv->devs[f->device].failed++;
	live_stats_frame(lv->stats, f);
	struct lv_frame mf = *f; /* the collector ties frames to requests by trace index */
	mf.tag = r->trace_index >= 0 ? (uint64_t)r->trace_index : UINT64_MAX;
	lv_metrics_add_frame(&lv->metrics, &mf);
	live_record_frame(lv, f);
	live_events_frame(lv, f);
	if (++r->n_final < r->n_frames)
		return;
	live_reqtab_drop(&lv->reqs, r);
	live_request_answer(r);
}
