/*
 * store_spool: the rows of a live run on their way into the store, held
 * until they are written and counted either way. A writer hands the spool
 * the rows it collected (lv_store_spool_take) and calls lv_store_spool_flush
 * now and then; a flush writes every row held in one transaction. When the
 * write fails (the database locked past the busy time-out, a full disk, an
 * I/O error: the store has rolled it back), the rows stay and the next
 * flush tries again after a back-off that doubles from backoff_min_s to
 * backoff_max_s. A row that has waited retry_s and been through two failed
 * attempts is given up: counted lost, by kind. When a write succeeds after
 * rows were lost, the flush reports that gap (and counts it), so the
 * writer can log it: a record with a hole never reads as a whole one.
 *
 * Every row a spool is given ends counted in its tally exactly once, as
 * written or lost; rows the writer could not even hand over (its buffer
 * full) are counted lost through lv_store_spool_lost. The run's results
 * (lv_store_spool_finish) travel the same way: they are written with the
 * last rows, with the count of missing rows, or counted lost themselves.
 *
 * Not thread-safe: one writer owns a spool. Times are the caller's clock,
 * in seconds; a back-off counts from the start of the failed attempt (one
 * that waited out the busy time-out has waited already).
 */
#ifndef LV_STORE_SPOOL_H
#define LV_STORE_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct lv_frame;
struct lv_run_metrics;
struct lv_cluster;

/* Rows of the three kinds a live run streams: growable arrays. Zero-initialise. */
struct lv_store_rows {
	struct lv_frame *frames; /* reason strings borrowed: the engine's are static */
	size_t n_frames, cap_frames;
	struct lv_store_batch *batches;
	size_t n_batches, cap_batches;
	struct lv_store_telemetry *tel;
	size_t n_tel, cap_tel;
};

void lv_store_rows_add_frame(struct lv_store_rows *w, const struct lv_frame *f);
void lv_store_rows_add_batch(struct lv_store_rows *w, const struct lv_store_batch *b);
void lv_store_rows_add_telemetry(struct lv_store_rows *w, const struct lv_store_telemetry *t);
/* Rows held, all kinds. */
size_t lv_store_rows_count(const struct lv_store_rows *w);
/* Empties w, keeping its arrays. */
void lv_store_rows_clear(struct lv_store_rows *w);
void lv_store_rows_fini(struct lv_store_rows *w);

struct lv_store_spool_config {
	double retry_s;       /* a row is given up once it has waited this long ... [10] */
	double backoff_min_s; /* ... and failed twice; first wait after a failure [0.25] */
	double backoff_max_s; /* the wait doubles up to this [4] */
};

void lv_store_spool_config_default(struct lv_store_spool_config *cfg);

/* What a spool has done since it was made. */
struct lv_store_tally {
	uint64_t written[LV_STORE_KINDS]; /* rows in the database, by enum lv_store_kind */
	uint64_t lost[LV_STORE_KINDS];    /* rows given up or never handed over */
	uint64_t pending[LV_STORE_KINDS]; /* rows held for the next attempt */
	uint64_t failures;                /* write attempts that failed */
	uint64_t gaps;                    /* writes that succeeded after rows had been lost */
	int failing;                      /* the last attempt failed */
	char last_error[200];             /* its message; "" before any failure */
};

/* What one flush did, for the writer's log. */
struct lv_store_flush {
	int attempted;                 /* it tried to write */
	int ok;                        /* and the rows held are in the database */
	int first_failure;             /* it failed after a good write (or none): a new outage */
	int resumed;                   /* it succeeded after a failure */
	uint64_t written;              /* rows written, all kinds */
	uint64_t lost[LV_STORE_KINDS]; /* rows given up by this flush */
	uint64_t
	    gap[LV_STORE_KINDS]; /* ok after a loss: every row lost since the last good write */
	double retry_at_s;       /* after a failure: when the next attempt is due */
	char refused[200];       /* a row the database refused (counted in lost): why */
};

struct lv_store_spool;

/*
 * A spool writing into run `run` of s (borrowed: it must outlive the
 * spool); cfg NULL: the defaults.
 */
struct lv_store_spool *lv_store_spool_new(struct lv_store *s, int64_t run,
                                          const struct lv_store_spool_config *cfg);

/* Frees the spool; rows still held are dropped uncounted (flush first). NULL is fine. */
void lv_store_spool_free(struct lv_store_spool *sp);

/* Takes over every row of w (which is left empty), collected at time now. */
void lv_store_spool_take(struct lv_store_spool *sp, struct lv_store_rows *w, double now);

/* n rows of kind k that never reached the spool (the writer's buffer was full): lost. */
void lv_store_spool_lost(struct lv_store_spool *sp, enum lv_store_kind k, uint64_t n);

/*
 * The run's results: its runs row and devices rows (lv_store_finish_run)
 * and its missing rows (lv_store_set_lost), written after every row held
 * at the time of writing. m and c are borrowed until the spool holds
 * nothing (lv_store_spool_pending is 0). At most once.
 */
void lv_store_spool_finish(struct lv_store_spool *sp, const struct lv_run_metrics *m,
                           const struct lv_cluster *c, double now);

/* Rows held, all kinds (the results count as their runs row and devices rows). */
uint64_t lv_store_spool_pending(const struct lv_store_spool *sp);

/* When the next attempt is due: INFINITY when nothing is held. */
double lv_store_spool_due(const struct lv_store_spool *sp);

/*
 * At time now: gives up the rows that have waited too long, then, if rows
 * are held and an attempt is due, writes them all in one transaction. 0
 * when nothing failed (written, nothing to do, or not due yet); else the
 * store's error with *why (LV_EIO: tried again later). *ev says what
 * happened.
 */
int lv_store_spool_flush(struct lv_store_spool *sp, double now, struct lv_store_flush *ev,
                         char **why);

/* Gives up every row held (counted lost, in *ev): the writer stops trying. */
void lv_store_spool_give_up(struct lv_store_spool *sp, struct lv_store_flush *ev);

void lv_store_spool_tally(const struct lv_store_spool *sp, struct lv_store_tally *out);

#endif
