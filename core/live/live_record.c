/*
 * live_record: the live run in the SQLite store (store.h), kept off the
 * engine thread's hot path. The engine thread appends rows — terminal
 * frames, finished or failed batches, telemetry samples — to in-memory
 * buffers under a mutex; a writer thread swaps the buffers every
 * FLUSH_PERIOD_S and writes them in one transaction. At close the writer
 * writes what is left and the run's results (lv_live_result) go into the
 * runs and devices rows, so the database's frame counts equal what the
 * clients were answered.
 *
 * A frame's request is stored as the request's trace index when it has one
 * (a replayed trace), else as the id of the request's first frame (the
 * engine's tag is a pointer, meaningless in a file). A failed batch is
 * recorded too, with its energy NULL (the agent does not measure a batch;
 * neither does a successful one here).
 */
#include "live_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/cluster.h"
#include "sched/metrics.h"
#include "store/store.h"
#include "base/util.h"

#define FLUSH_PERIOD_S 0.5

struct rows {
	struct lv_frame *frames;
	size_t n_frames, cap_frames;
	struct lv_store_batch *batches;
	size_t n_batches, cap_batches;
	struct lv_store_telemetry *tel;
	size_t n_tel, cap_tel;
};

struct live_record {
	struct lv_store *store;
	int64_t run;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int closing;       /* under mu */
	struct rows fill;  /* under mu: the engine thread appends here */
	struct rows drain; /* the writer's */
	char *error;       /* the first write error; under mu */
	uint64_t written;
};

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 256;
	return lv_xrealloc(p, *cap * size);
}

static int write_rows(struct live_record *r, struct rows *w, char **why)
{
	int rc = lv_store_begin(r->store, why);
	for (size_t i = 0; rc == LV_OK && i < w->n_frames; i++)
		rc = lv_store_add_frame(r->store, r->run, &w->frames[i], why);
	for (size_t i = 0; rc == LV_OK && i < w->n_batches; i++)
		rc = lv_store_add_batch(r->store, r->run, &w->batches[i], why);
	for (size_t i = 0; rc == LV_OK && i < w->n_tel; i++)
		rc = lv_store_add_telemetry(r->store, r->run, &w->tel[i], why);
	if (rc == LV_OK)
		rc = lv_store_commit(r->store, why);
	r->written += w->n_frames;
	w->n_frames = w->n_batches = w->n_tel = 0;
	return rc;
}

static void swap_rows(struct rows *a, struct rows *b)
{
	struct rows t = *a;
	*a = *b;
	*b = t;
}

static void *writer_main(void *arg)
{
	struct live_record *r = arg;
	pthread_mutex_lock(&r->mu);
	for (;;) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)(FLUSH_PERIOD_S * 1e9);
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		if (!r->closing)
			pthread_cond_timedwait(&r->cv, &r->mu, &ts);
		int closing = r->closing;
		swap_rows(&r->fill, &r->drain);
		pthread_mutex_unlock(&r->mu);
		char *why = NULL;
		int rc = write_rows(r, &r->drain, &why);
		pthread_mutex_lock(&r->mu);
		if (rc != LV_OK && !r->error)
			r->error = why;
		else
			free(why);
		if (closing && r->fill.n_frames + r->fill.n_batches + r->fill.n_tel == 0)
			break;
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

int live_record_open(struct lv_live *lv, const char *path, const struct lv_store_run *desc,
                     char **why)
{
	struct lv_store *st = lv_store_open(path, 0, why);
	if (!st)
		return LV_EIO;
	const struct lv_cluster *c = lv->cluster;
	struct lv_store_run run = {
		.policy = lv_engine_policy(lv->engine)->label,
		.cost_mode = lv_cost_mode_name(c->mode),
		.mode = "live",
		.trace = "live",
		.trace_seed = -1,
		.cluster = c->name,
	};
	if (desc)
		run = *desc;
	struct live_record *r = lv_xcalloc(1, sizeof(*r));
	r->store = st;
	int rc = lv_store_add_run(st, &run, &r->run, why);
	if (rc != LV_OK) {
		lv_store_close(st, NULL);
		free(r);
		return rc;
	}
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	if (pthread_create(&r->thread, NULL, writer_main, r) != 0) {
		lv_store_close(st, NULL);
		free(r);
		return lv_fail(why, LV_EIO, "live: cannot start the store writer");
	}
	lv->rec = r;
	return LV_OK;
}

void live_record_frame(struct lv_live *lv, const struct lv_frame *f)
{
	struct live_record *r = lv->rec;
	if (!r)
		return;
	const struct lv_live_request *q = (const struct lv_live_request *)(uintptr_t)f->tag;
	pthread_mutex_lock(&r->mu);
	struct rows *w = &r->fill;
	w->frames = grow(w->frames, &w->cap_frames, w->n_frames, sizeof(*w->frames));
	w->frames[w->n_frames] = *f;
	w->frames[w->n_frames++].tag =
	    q->trace_index >= 0 ? (uint64_t)q->trace_index : q->first_frame_id;
	pthread_mutex_unlock(&r->mu);
}

void live_record_batch(struct lv_live *lv, const struct xfer *x, int ok, double now)
{
	struct live_record *r = lv->rec;
	if (!r)
		return;
	struct lv_store_batch b = {
		.device = x->device,
		.batch_id = x->batch_id,
		.frames = ok ? x->batch : 0,
		.freq_hz = x->freq_hz ? x->freq_hz : lv->cluster->devices[x->device].freq_hz,
		.submit_s = x->queued_s,
		.start_s = x->queued_s,
		.end_s = now,
		.energy_j = NAN,
	};
	pthread_mutex_lock(&r->mu);
	struct rows *w = &r->fill;
	w->batches = grow(w->batches, &w->cap_batches, w->n_batches, sizeof(*w->batches));
	w->batches[w->n_batches++] = b;
	pthread_mutex_unlock(&r->mu);
}

void live_record_telemetry(struct lv_live *lv, int device, double now)
{
	struct live_record *r = lv->rec;
	if (!r)
		return;
	const struct live_dev *d = &lv->devs[device];
	struct lv_store_telemetry t = {
		.time_s = now,
		.device = device,
		.power_w = d->power_w,
		.energy_j = d->energy_j,
		.freq_hz = d->tele_hz,
		.load_pct = d->load_pct,
	};
	pthread_mutex_lock(&r->mu);
	struct rows *w = &r->fill;
	w->tel = grow(w->tel, &w->cap_tel, w->n_tel, sizeof(*w->tel));
	w->tel[w->n_tel++] = t;
	pthread_mutex_unlock(&r->mu);
}

static void rows_free(struct rows *w)
{
	free(w->frames);
	free(w->batches);
	free(w->tel);
}

/*
 * Called by lv_live_stop after the engine thread has ended, with the run's
 * result (lv_live_result; NULL: none) for its runs and devices rows.
 */
void live_record_close(struct lv_live *lv, const struct lv_run_metrics *result)
{
	struct live_record *r = lv->rec;
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->closing = 1;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thread, NULL);
	const struct lv_run_metrics *m = result;
	char *why = NULL;
	if (m && lv_store_finish_run(r->store, r->run, m, lv->cluster, &why) != LV_OK &&
	    !r->error) {
		r->error = why;
		why = NULL;
	}
	free(why);
	lv_store_close(r->store, NULL);
	free(r->error);
	rows_free(&r->fill);
	rows_free(&r->drain);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
	lv->rec = NULL;
}
