/*
 * store_spool: rows held until written, retried after failures, counted
 * either way (store_spool.h has the contract).
 *
 * The rows held are a FIFO of chunks, each the rows of one or more
 * lv_store_spool_take calls with the time the oldest of them arrived and
 * the failed attempts it has been through; new rows join the newest chunk
 * while it has not been tried yet. An attempt writes every chunk, oldest
 * first, then the run's results if asked for, in one transaction; a
 * failure counts an attempt against every chunk. Invariant: every row
 * taken is in exactly one of tally.written, tally.lost and a chunk (or
 * the results), and tally.pending counts the chunks' rows and the results'.
 */
#include "store_spool.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched/engine.h"
#include "sched/metrics.h"
#include "base/util.h"

#define MIN_ATTEMPTS 2 /* failed attempts a row goes through before it may be given up */

struct chunk {
	struct lv_store_rows rows;
	double since_s; /* when its oldest row arrived */
	int attempts;   /* failed attempts that included it */
};

struct lv_store_spool {
	struct lv_store *store;
	int64_t run;
	struct lv_store_spool_config cfg;
	struct chunk *chunks; /* [0, n): oldest first */
	size_t n, cap;
	/* The run's results, when asked for and not yet written or given up. */
	const struct lv_run_metrics *m;
	const struct lv_cluster *c;
	double m_since_s;
	int m_attempts;
	double next_s;                /* no attempt before this */
	double backoff_s;             /* the wait after the next failure */
	uint64_t gap[LV_STORE_KINDS]; /* lost since the last good write */
	struct lv_store_tally t;
};

/* ---- rows --------------------------------------------------------------- */

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 64;
	return lv_xrealloc(p, *cap * size);
}

void lv_store_rows_add_frame(struct lv_store_rows *w, const struct lv_frame *f)
{
	w->frames = grow(w->frames, &w->cap_frames, w->n_frames, sizeof(*w->frames));
	w->frames[w->n_frames++] = *f;
}

void lv_store_rows_add_batch(struct lv_store_rows *w, const struct lv_store_batch *b)
{
	w->batches = grow(w->batches, &w->cap_batches, w->n_batches, sizeof(*w->batches));
	w->batches[w->n_batches++] = *b;
}

void lv_store_rows_add_telemetry(struct lv_store_rows *w, const struct lv_store_telemetry *t)
{
	w->tel = grow(w->tel, &w->cap_tel, w->n_tel, sizeof(*w->tel));
	w->tel[w->n_tel++] = *t;
}

size_t lv_store_rows_count(const struct lv_store_rows *w)
{
	return w->n_frames + w->n_batches + w->n_tel;
}

void lv_store_rows_clear(struct lv_store_rows *w)
{
	w->n_frames = w->n_batches = w->n_tel = 0;
}

void lv_store_rows_fini(struct lv_store_rows *w)
{
	free(w->frames);
	free(w->batches);
	free(w->tel);
	memset(w, 0, sizeof(*w));
}

/* Appends every row of src to dst. */
static void rows_append(struct lv_store_rows *dst, const struct lv_store_rows *src)
{
	for (size_t i = 0; i < src->n_frames; i++)
		lv_store_rows_add_frame(dst, &src->frames[i]);
	for (size_t i = 0; i < src->n_batches; i++)
		lv_store_rows_add_batch(dst, &src->batches[i]);
	for (size_t i = 0; i < src->n_tel; i++)
		lv_store_rows_add_telemetry(dst, &src->tel[i]);
}

/* ---- the spool ---------------------------------------------------------- */

void lv_store_spool_config_default(struct lv_store_spool_config *cfg)
{
	cfg->retry_s = 10.0;
	cfg->backoff_min_s = 0.25;
	cfg->backoff_max_s = 4.0;
}

struct lv_store_spool *lv_store_spool_new(struct lv_store *s, int64_t run,
                                          const struct lv_store_spool_config *cfg)
{
	struct lv_store_spool *sp = lv_xcalloc(1, sizeof(*sp));
	sp->store = s;
	sp->run = run;
	if (cfg)
		sp->cfg = *cfg;
	else
		lv_store_spool_config_default(&sp->cfg);
	sp->backoff_s = sp->cfg.backoff_min_s;
	sp->next_s = -INFINITY;
	return sp;
}

void lv_store_spool_free(struct lv_store_spool *sp)
{
	if (!sp)
		return;
	for (size_t i = 0; i < sp->n; i++)
		lv_store_rows_fini(&sp->chunks[i].rows);
	free(sp->chunks);
	free(sp);
}

static void count_pending(struct lv_store_spool *sp)
{
	uint64_t *p = sp->t.pending;
	memset(sp->t.pending, 0, sizeof(sp->t.pending));
	for (size_t i = 0; i < sp->n; i++) {
		p[LV_STORE_FRAMES] += sp->chunks[i].rows.n_frames;
		p[LV_STORE_BATCHES] += sp->chunks[i].rows.n_batches;
		p[LV_STORE_TELEMETRY] += sp->chunks[i].rows.n_tel;
	}
	if (sp->m) {
		p[LV_STORE_RUNS] = 1;
		p[LV_STORE_DEVICES] = sp->m->n_devices;
	}
}

void lv_store_spool_take(struct lv_store_spool *sp, struct lv_store_rows *w, double now)
{
	if (lv_store_rows_count(w) == 0)
		return;
	struct chunk *last = sp->n ? &sp->chunks[sp->n - 1] : NULL;
	if (last && last->attempts == 0) {
		rows_append(&last->rows, w);
		lv_store_rows_clear(w);
	} else {
		sp->chunks = grow(sp->chunks, &sp->cap, sp->n, sizeof(*sp->chunks));
		struct chunk *c = &sp->chunks[sp->n++];
		memset(c, 0, sizeof(*c));
		c->rows = *w; /* the arrays move; w starts afresh */
		c->since_s = now;
		memset(w, 0, sizeof(*w));
	}
	count_pending(sp);
}

static void lose(struct lv_store_spool *sp, enum lv_store_kind k, uint64_t n,
                 struct lv_store_flush *ev)
{
	sp->t.lost[k] += n;
	sp->gap[k] += n;
	if (ev)
		ev->lost[k] += n;
}

void lv_store_spool_lost(struct lv_store_spool *sp, enum lv_store_kind k, uint64_t n)
{
	lose(sp, k, n, NULL);
}

void lv_store_spool_finish(struct lv_store_spool *sp, const struct lv_run_metrics *m,
                           const struct lv_cluster *c, double now)
{
	sp->m = m;
	sp->c = c;
	sp->m_since_s = now;
	sp->m_attempts = 0;
	count_pending(sp);
}

uint64_t lv_store_spool_pending(const struct lv_store_spool *sp)
{
	uint64_t n = 0;
	for (int k = 0; k < LV_STORE_KINDS; k++)
		n += sp->t.pending[k];
	return n;
}

double lv_store_spool_due(const struct lv_store_spool *sp)
{
	return lv_store_spool_pending(sp) ? sp->next_s : INFINITY;
}

/* Chunk i's rows, lost; the chunk removed. */
static void drop_chunk(struct lv_store_spool *sp, size_t i, struct lv_store_flush *ev)
{
	struct chunk *c = &sp->chunks[i];
	lose(sp, LV_STORE_FRAMES, c->rows.n_frames, ev);
	lose(sp, LV_STORE_BATCHES, c->rows.n_batches, ev);
	lose(sp, LV_STORE_TELEMETRY, c->rows.n_tel, ev);
	lv_store_rows_fini(&c->rows);
	memmove(c, c + 1, (sp->n - i - 1) * sizeof(*c));
	sp->n--;
}

static void drop_results(struct lv_store_spool *sp, struct lv_store_flush *ev)
{
	lose(sp, LV_STORE_RUNS, 1, ev);
	lose(sp, LV_STORE_DEVICES, sp->m->n_devices, ev);
	sp->m = NULL;
	sp->c = NULL;
}

static int too_old(const struct lv_store_spool *sp, double since_s, int attempts, double now)
{
	return attempts >= MIN_ATTEMPTS && now - since_s >= sp->cfg.retry_s;
}

/* Gives up what waited too long (chunks are oldest first). */
static void expire(struct lv_store_spool *sp, double now, struct lv_store_flush *ev)
{
	while (sp->n && too_old(sp, sp->chunks[0].since_s, sp->chunks[0].attempts, now))
		drop_chunk(sp, 0, ev);
	if (sp->m && too_old(sp, sp->m_since_s, sp->m_attempts, now))
		drop_results(sp, ev);
}

/* Row i of kind k of w into the store. */
static int add_row(struct lv_store_spool *sp, struct lv_store_rows *w, enum lv_store_kind k,
                   size_t i, char **why)
{
	switch (k) {
	case LV_STORE_FRAMES: return lv_store_add_frame(sp->store, sp->run, &w->frames[i], why);
	case LV_STORE_BATCHES: return lv_store_add_batch(sp->store, sp->run, &w->batches[i], why);
	default: return lv_store_add_telemetry(sp->store, sp->run, &w->tel[i], why);
	}
}

/* Takes row i of kind k out of w, keeping the order of the others. */
static void remove_row(struct lv_store_rows *w, enum lv_store_kind k, size_t i)
{
	switch (k) {
	case LV_STORE_FRAMES:
		memmove(&w->frames[i], &w->frames[i + 1], (--w->n_frames - i) * sizeof(*w->frames));
		break;
	case LV_STORE_BATCHES:
		memmove(&w->batches[i], &w->batches[i + 1],
		        (--w->n_batches - i) * sizeof(*w->batches));
		break;
	default: memmove(&w->tel[i], &w->tel[i + 1], (--w->n_tel - i) * sizeof(*w->tel)); break;
	}
}

static size_t rows_of(const struct lv_store_rows *w, enum lv_store_kind k)
{
	return k == LV_STORE_FRAMES ? w->n_frames : k == LV_STORE_BATCHES ? w->n_batches : w->n_tel;
}

/*
 * Writes a chunk's rows. A row the database refuses (a constraint: trying
 * again cannot help) is taken out and counted lost on its own, its message
 * kept in ev->refused, and the others go on. 0 or the first other failure.
 */
static int write_chunk(struct lv_store_spool *sp, struct chunk *c, struct lv_store_flush *ev,
                       char **why)
{
	static const enum lv_store_kind kinds[] = { LV_STORE_FRAMES, LV_STORE_BATCHES,
		                                    LV_STORE_TELEMETRY };
	for (size_t j = 0; j < sizeof(kinds) / sizeof(kinds[0]); j++) {
		for (size_t i = 0; i < rows_of(&c->rows, kinds[j]);) {
			char *err = NULL;
			int rc = add_row(sp, &c->rows, kinds[j], i, &err);
			if (rc == LV_EINVAL) {
				if (!ev->refused[0])
					snprintf(ev->refused, sizeof(ev->refused), "%s", err);
				remove_row(&c->rows, kinds[j], i);
				lose(sp, kinds[j], 1, ev);
			} else if (rc != LV_OK) {
				lv_fail(why, rc, "%s", err);
			} else {
				i++;
			}
			free(err);
			if (rc != LV_OK && rc != LV_EINVAL)
				return rc;
		}
	}
	return LV_OK;
}

/* The run's results and its missing rows so far (the rows being written are not). */
static int write_results(struct lv_store_spool *sp, struct lv_store_flush *ev, char **why)
{
	int rc = lv_store_finish_run(sp->store, sp->run, sp->m, sp->c, why);
	if (rc == LV_OK)
		rc = lv_store_set_lost(sp->store, sp->run, sp->t.lost, why);
	if (rc == LV_ENOENT || rc == LV_EINVAL) {
		/* No run row to finish, or refused: trying again cannot help. */
		if (!ev->refused[0])
			snprintf(ev->refused, sizeof(ev->refused), "%s", why && *why ? *why : "");
		drop_results(sp, ev);
		if (why) {
			free(*why);
			*why = NULL;
		}
		return LV_OK;
	}
	return rc;
}

/* One transaction: every chunk, then the results. */
static int write_all(struct lv_store_spool *sp, struct lv_store_flush *ev, char **why)
{
	int rc = lv_store_begin(sp->store, why);
	for (size_t i = 0; rc == LV_OK && i < sp->n; i++)
		rc = write_chunk(sp, &sp->chunks[i], ev, why);
	if (rc == LV_OK && sp->m)
		rc = write_results(sp, ev, why);
	if (rc == LV_OK)
		rc = lv_store_commit(sp->store, why);
	if (rc != LV_OK)
		lv_store_rollback(sp->store); /* the store rolled back already: this resets it */
	return rc;
}

static void wrote(struct lv_store_spool *sp, struct lv_store_flush *ev)
{
	uint64_t n[LV_STORE_KINDS] = { 0 };
	for (size_t i = 0; i < sp->n; i++) {
		n[LV_STORE_FRAMES] += sp->chunks[i].rows.n_frames;
		n[LV_STORE_BATCHES] += sp->chunks[i].rows.n_batches;
		n[LV_STORE_TELEMETRY] += sp->chunks[i].rows.n_tel;
		lv_store_rows_fini(&sp->chunks[i].rows);
	}
	sp->n = 0;
	if (sp->m) {
		n[LV_STORE_RUNS] = 1;
		n[LV_STORE_DEVICES] = sp->m->n_devices;
		sp->m = NULL;
		sp->c = NULL;
	}
	uint64_t gap = 0;
	for (int k = 0; k < LV_STORE_KINDS; k++) {
		sp->t.written[k] += n[k];
		ev->written += n[k];
		ev->gap[k] = sp->gap[k];
		gap += sp->gap[k];
		sp->gap[k] = 0;
	}
	if (gap)
		sp->t.gaps++;
	ev->resumed = sp->t.failing;
	sp->t.failing = 0;
	sp->backoff_s = sp->cfg.backoff_min_s;
}

static void failed(struct lv_store_spool *sp, double now, const char *why,
                   struct lv_store_flush *ev)
{
	sp->t.failures++;
	ev->first_failure = !sp->t.failing;
	sp->t.failing = 1;
	snprintf(sp->t.last_error, sizeof(sp->t.last_error), "%s", why ? why : "write failed");
	for (size_t i = 0; i < sp->n; i++)
		sp->chunks[i].attempts++;
	if (sp->m)
		sp->m_attempts++;
	sp->next_s = now + sp->backoff_s;
	ev->retry_at_s = sp->next_s;
	sp->backoff_s = fmin(2 * sp->backoff_s, sp->cfg.backoff_max_s);
}

int lv_store_spool_flush(struct lv_store_spool *sp, double now, struct lv_store_flush *ev,
                         char **why)
{
	memset(ev, 0, sizeof(*ev));
	expire(sp, now, ev);
	count_pending(sp);
	if (lv_store_spool_pending(sp) == 0 || now < sp->next_s)
		return LV_OK;
	ev->attempted = 1;
	char *err = NULL;
	int rc = write_all(sp, ev, &err);
	if (rc == LV_OK) {
		ev->ok = 1;
		wrote(sp, ev);
	} else {
		failed(sp, now, err, ev);
		lv_fail(why, rc, "%s", err ? err : "write failed");
	}
	free(err);
	count_pending(sp);
	return rc;
}

void lv_store_spool_give_up(struct lv_store_spool *sp, struct lv_store_flush *ev)
{
	memset(ev, 0, sizeof(*ev));
	while (sp->n)
		drop_chunk(sp, 0, ev);
	if (sp->m)
		drop_results(sp, ev);
	count_pending(sp);
}

void lv_store_spool_tally(const struct lv_store_spool *sp, struct lv_store_tally *out)
{
	*out = sp->t;
}
