/*
 * live_record: the live run in the SQLite store (store.h), kept off the
 * engine thread. The engine thread appends rows — terminal frames,
 * finished or failed batches, telemetry samples — to an in-memory buffer
 * under a mutex and never waits for the database; a writer thread takes
 * the buffer every FLUSH_PERIOD_S into a spool (store_spool.h), which
 * writes it in one transaction, and when a write fails (the database
 * locked by another process past the busy time-out, a full disk, an I/O
 * error) keeps the rows and retries them with a back-off, giving up a row
 * only after it has waited RETRY_S. At close the writer writes what is
 * left and the run's results (lv_live_result) with the count of missing
 * rows into the runs and devices rows.
 *
 * Nothing is lost silently: a row is written, held, or counted lost by
 * kind — given up by the spool, or refused because the buffer already held
 * MAX_ROWS rows (the engine keeps answering frames; memory stays bounded).
 * The writer logs each outage, each loss and each resumption after a gap
 * in the event log, and the snapshot (live_record_snap) carries the counts
 * for /status, /metrics and the console; lv_live_finish_record gives the
 * final ones to the program, which says the record is incomplete.
 *
 * A frame's request is stored as the request's trace index when it has one
 * (a replayed trace), else as the id of the request's first frame (the
 * engine's tag is a pointer, meaningless in a file). A failed batch is
 * recorded too, with its energy NULL (the agent does not measure a batch;
 * neither does a successful one here). The requests a live run answered
 * are counted here too (lv->requests), database or not: without a trace
 * they are the result's request figures.
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
#include "store/store_spool.h"
#include "base/util.h"

#define FLUSH_PERIOD_S 0.5
#define RETRY_S        10.0   /* a row is given up after waiting this long (and two failures) */
#define MAX_ROWS       200000 /* rows held in memory at most, buffer and spool together */

_Static_assert((int)LV_STORE_KINDS == (int)LV_SNAP_ROW_KINDS, "row kinds differ");

struct live_record {
	struct lv_store *store;
	struct lv_store_spool *spool; /* the writer's */
	int64_t run;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* Under mu: */
	int closing;                        /* the writer writes what is left and ends */
	const struct lv_run_metrics *final; /* the results it writes then (NULL: none) */
	struct lv_store_rows fill;          /* the engine thread appends here */
	uint64_t refused[LV_STORE_KINDS];   /* rows that found the buffer full, not handed over */
	struct lv_store_tally tally;        /* the spool's, as of the writer's last step */
	/* The writer's: */
	struct lv_store_rows drain;
	/* The main thread's: */
	int finished; /* the writer has ended and the store is closed */
};

static void copy_tally(struct lv_snap_store *o, const struct lv_store_tally *t)
{
	o->enabled = 1;
	o->failing = t->failing;
	for (int k = 0; k < LV_STORE_KINDS; k++) {
		o->written[k] = t->written[k];
		o->lost[k] = t->lost[k];
		o->pending[k] = t->pending[k];
	}
	o->failures = t->failures;
	o->gaps = t->gaps;
	snprintf(o->last_error, sizeof(o->last_error), "%s", t->last_error);
}

/* "12 frames, 3 batches and 40 telemetry rows" (the kinds with rows only). */
static void rows_text(char *buf, size_t len, const uint64_t *n)
{
	static const char *const words[LV_STORE_KINDS] = { "frames", "batches", "telemetry rows",
		                                           "runs row", "devices rows" };
	size_t at = 0;
	int kinds = 0;
	buf[0] = '\0';
	for (int k = 0; k < LV_STORE_KINDS && at < len; k++) {
		if (!n[k])
			continue;
		at += (size_t)snprintf(buf + at, len - at, "%s%llu %s", kinds ? ", " : "",
		                       (unsigned long long)n[k], words[k]);
		kinds++;
	}
	if (!kinds)
		snprintf(buf, len, "no rows");
}

static int any(const uint64_t *n)
{
	for (int k = 0; k < LV_STORE_KINDS; k++)
		if (n[k])
			return 1;
	return 0;
}

/* The event log's account of one flush (and of rows refused for want of room). */
static void note_flush(struct lv_live *lv, const struct lv_store_flush *ev, const uint64_t *refused,
                       const struct lv_store_tally *t, const char *why)
{
	char rows[160];
	if (any(refused)) {
		rows_text(rows, sizeof(rows), refused);
		live_note(lv, LV_LOG_ERROR, "store",
		          "record incomplete: %s not recorded, the buffer holds %d rows already",
		          rows, MAX_ROWS);
	}
	if (ev->refused[0])
		live_note(lv, LV_LOG_ERROR, "store", "record incomplete: a row refused: %s",
		          ev->refused);
	if (ev->attempted && !ev->ok && ev->first_failure)
		live_note(lv, LV_LOG_WARN, "store", "writing failed, rows kept for a retry: %s",
		          why);
	if (any(ev->lost)) {
		rows_text(rows, sizeof(rows), ev->lost);
		live_note(lv, LV_LOG_ERROR, "store",
		          "record incomplete: gave up %s after %.0f s of failed writes (%s)", rows,
		          RETRY_S, t->last_error);
	}
	if (ev->ok && any(ev->gap)) {
		rows_text(rows, sizeof(rows), ev->gap);
		live_note(lv, LV_LOG_WARN, "store",
		          "writing resumed after a gap: %s missing (gap %llu)", rows,
		          (unsigned long long)t->gaps);
	} else if (ev->resumed) {
		live_note(lv, LV_LOG_INFO, "store", "writing resumed, nothing lost");
	}
}

/* Waits on cv (under mu) until deadline_s on the controller's clock, or a signal. */
static void wait_until(struct live_record *r, double deadline_s, double now)
{
	if (deadline_s <= now)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	double d = deadline_s - now;
	ts.tv_sec += (time_t)d;
	ts.tv_nsec += (long)((d - floor(d)) * 1e9);
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_cond_timedwait(&r->cv, &r->mu, &ts);
}

/*
 * One step of the writer, entered and left under mu: the buffer into the
 * spool, then (outside mu) an attempt if one is due. 1 when the writer is
 * done: closing, and nothing is held any more.
 */
static int writer_step(struct lv_live *lv, struct live_record *r)
{
	double now = live_now(lv);
	int closing = r->closing;
	uint64_t refused[LV_STORE_KINDS];
	struct lv_store_rows t = r->fill; /* swap fill and drain: O(1) under the lock */
	r->fill = r->drain;
	r->drain = t;
	lv_store_spool_take(r->spool, &r->drain, now);
	for (int k = 0; k < LV_STORE_KINDS; k++) {
		refused[k] = r->refused[k];
		lv_store_spool_lost(r->spool, (enum lv_store_kind)k, refused[k]);
		r->refused[k] = 0;
	}
	if (closing && r->final) {
		lv_store_spool_finish(r->spool, r->final, lv->cluster, now);
		r->final = NULL;
	}
	lv_store_spool_tally(r->spool, &r->tally);
	pthread_mutex_unlock(&r->mu);

	struct lv_store_flush ev;
	char *why = NULL;
	lv_store_spool_flush(r->spool, now, &ev, &why);
	struct lv_store_tally tally;
	lv_store_spool_tally(r->spool, &tally);
	note_flush(lv, &ev, refused, &tally, why);
	free(why);

	pthread_mutex_lock(&r->mu);
	r->tally = tally;
	return closing && lv_store_spool_pending(r->spool) == 0 &&
	       lv_store_rows_count(&r->fill) == 0;
}

static void *writer_main(void *arg)
{
	struct lv_live *lv = arg;
	struct live_record *r = lv->rec;
	pthread_mutex_lock(&r->mu);
	for (;;) {
		/* Running: every FLUSH_PERIOD_S. Closing: at once, then whenever a retry is due. */
		double now = live_now(lv);
		double due = lv_store_spool_due(r->spool);
		if (!r->closing)
			wait_until(r, now + FLUSH_PERIOD_S, now);
		else if (isfinite(due))
			wait_until(r, due, now);
		if (writer_step(lv, r))
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
	if (rc == LV_OK)
		rc = lv_store_commit(st, why); /* the run's row is there before any of its rows */
	if (rc != LV_OK) {
		lv_store_close(st, NULL);
		free(r);
		return rc;
	}
	struct lv_store_spool_config sc;
	lv_store_spool_config_default(&sc);
	sc.retry_s = RETRY_S;
	r->spool = lv_store_spool_new(st, r->run, &sc);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	lv->rec = r;
	if (pthread_create(&r->thread, NULL, writer_main, lv) != 0) {
		lv->rec = NULL;
		lv_store_spool_free(r->spool);
		lv_store_close(st, NULL);
		pthread_mutex_destroy(&r->mu);
		pthread_cond_destroy(&r->cv);
		free(r);
		return lv_fail(why, LV_EIO, "live: cannot start the store writer");
	}
	return LV_OK;
}

/* Room for one more row? If not, it is counted refused (under mu). */
static int room(struct live_record *r, enum lv_store_kind k)
{
	uint64_t held = lv_store_rows_count(&r->fill);
	for (int j = 0; j < LV_STORE_KINDS; j++)
		held += r->tally.pending[j];
	if (held < MAX_ROWS)
		return 1;
	r->refused[k]++;
	return 0;
}

/* The request of f is answered with f: count it (lv->requests). */
static void count_request(struct lv_live *lv, const struct lv_live_request *q)
{
	int ok = 1, served = 1;
	for (uint32_t i = 0; i < q->n_frames; i++) {
		enum lv_frame_state s = q->results[i].state;
		ok &= s == LV_FRAME_OK;
		served &= s == LV_FRAME_OK || s == LV_FRAME_LATE;
	}
	lv->requests.answered++;
	lv->requests.ok += (uint64_t)ok;
	lv->requests.served += (uint64_t)served;
}

void live_record_frame(struct lv_live *lv, const struct lv_frame *f)
{
	struct live_record *r = lv->rec;
	const struct lv_live_request *q = (const struct lv_live_request *)(uintptr_t)f->tag;
	/* live_frame_final fills the frame's result first and counts it final after. */
	if (q->n_final + 1 == q->n_frames)
		count_request(lv, q);
	if (!r)
		return;
	struct lv_frame row = *f;
	row.tag = q->trace_index >= 0 ? (uint64_t)q->trace_index : q->first_frame_id;
	pthread_mutex_lock(&r->mu);
	if (room(r, LV_STORE_FRAMES))
		lv_store_rows_add_frame(&r->fill, &row);
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
	if (room(r, LV_STORE_BATCHES))
		lv_store_rows_add_batch(&r->fill, &b);
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
	if (room(r, LV_STORE_TELEMETRY))
		lv_store_rows_add_telemetry(&r->fill, &t);
	pthread_mutex_unlock(&r->mu);
}

void live_record_snap(struct lv_live *lv, struct lv_snap_store *out)
{
	struct live_record *r = lv->rec;
	memset(out, 0, sizeof(*out));
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	copy_tally(out, &r->tally);
	out->pending[LV_SNAP_ROWS_FRAMES] += r->fill.n_frames;
	out->pending[LV_SNAP_ROWS_BATCHES] += r->fill.n_batches;
	out->pending[LV_SNAP_ROWS_TELEMETRY] += r->fill.n_tel;
	for (int k = 0; k < LV_STORE_KINDS; k++)
		out->lost[k] += r->refused[k];
	pthread_mutex_unlock(&r->mu);
}

/*
 * Without a replayed trace the result has no request figures of its own
 * (metrics.h ties frames to requests by trace index): the requests
 * answered, counted as they were.
 */
static void complete_requests(struct lv_live *lv)
{
	struct lv_run_metrics *m = &lv->result;
	if (!lv->have_result || lv->cfg.trace_requests > 0 || lv->requests.done)
		return;
	lv->requests.done = 1;
	m->requests = lv->requests.answered;
	m->requests_ok = lv->requests.ok;
	m->requests_served = lv->requests.served;
	m->requests_per_j = m->energy_j > 0 ? (double)m->requests_served / m->energy_j : NAN;
	m->pct_requests_ok =
	    m->requests ? 100.0 * (double)m->requests_ok / (double)m->requests : NAN;
}

/* The writer's last steps with the run's results m (NULL: none), and the store closed. */
static void finish(struct lv_live *lv, const struct lv_run_metrics *m)
{
	struct live_record *r = lv->rec;
	complete_requests(lv);
	if (r && !r->finished) {
		pthread_mutex_lock(&r->mu);
		r->closing = 1;
		r->final = m;
		pthread_cond_signal(&r->cv);
		pthread_mutex_unlock(&r->mu);
		pthread_join(r->thread, NULL);
		char *why = NULL;
		if (lv_store_close(r->store, &why) != LV_OK)
			live_note(lv, LV_LOG_ERROR, "store", "closing the database: %s", why);
		free(why);
		r->store = NULL;
		r->finished = 1;
	}
}

void lv_live_finish_record(struct lv_live *lv, struct lv_snap_store *out)
{
	finish(lv, lv->have_result ? &lv->result : NULL); /* lv_live_result's, from below it */
	live_record_snap(lv, out);
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
	finish(lv, result);
	lv_store_spool_free(r->spool);
	lv_store_rows_fini(&r->fill);
	lv_store_rows_fini(&r->drain);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
	lv->rec = NULL;
}
