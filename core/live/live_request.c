/*
 * live_request: camera requests inside the live runtime — their life from
 * lv_live_request_new to lv_live_request_free, the table that maps a frame
 * id back to its request and index (for the dispatcher, which streams the
 * frame's tensor from the request), and what a terminal frame does: its
 * result filled, the figures and the store told, the request answered
 * once its last frame is terminal.
 *
 * The table. The engine gives a request's frames consecutive ids and ids
 * grow with arrival, so entries are appended in id order and found by
 * binary search. An answered request's entry is cleared at once (the front
 * end frees the request next) and the table compacted when more than half
 * of it is cleared.
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

/* Appends r (its first_frame_id set, above every id in t). */
void live_reqtab_add(struct reqtab *t, struct lv_live_request *r)
{
	if (t->dead > 64 && t->dead * 2 > t->n) {
		size_t k = 0;
		for (size_t i = 0; i < t->n; i++) {
			if (!t->req[i])
				continue;
			t->first[k] = t->first[i];
			t->count[k] = t->count[i];
			t->req[k++] = t->req[i];
		}
		t->n = k;
		t->dead = 0;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->first = lv_xrealloc(t->first, t->cap * sizeof(*t->first));
		t->count = lv_xrealloc(t->count, t->cap * sizeof(*t->count));
		t->req = lv_xrealloc(t->req, t->cap * sizeof(*t->req));
	}
	t->first[t->n] = r->first_frame_id;
	t->count[t->n] = r->n_frames;
	t->req[t->n++] = r;
}

/* Index of the entry holding frame id, or -1. */
static long reqtab_find(const struct reqtab *t, uint64_t id)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->first[mid] <= id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return -1;
	size_t i = lo - 1;
	if (id >= t->first[i] + t->count[i] || !t->req[i])
		return -1;
	return (long)i;
}

struct lv_live_request *live_req_of(struct lv_live *lv, uint64_t frame_id, uint32_t *index)
{
	long i = reqtab_find(&lv->reqs, frame_id);
	if (i < 0)
		return NULL;
	*index = (uint32_t)(frame_id - lv->reqs.first[i]);
	return lv->reqs.req[i];
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
	live_stats_frame(lv->stats, f);
	struct lv_frame mf = *f; /* the collector ties frames to requests by trace index */
	mf.tag = r->trace_index >= 0 ? (uint64_t)r->trace_index : UINT64_MAX;
	lv_metrics_add_frame(&lv->metrics, &mf);
	live_record_frame(lv, f);
	live_events_frame(lv, f);
	if (++r->n_final < r->n_frames)
		return;
	long i = reqtab_find(&lv->reqs, r->first_frame_id);
	if (i >= 0) {
		lv->reqs.req[i] = NULL;
		lv->reqs.dead++;
	}
	live_request_answer(r);
}
