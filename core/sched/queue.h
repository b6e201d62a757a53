/*
 * queue: frames waiting for dispatch, ordered by deadline (earliest first,
 * then by arrival sequence, so equal deadlines leave in arrival order).
 *
 * A binary min-heap keyed by (deadline, seq) gives the tightest deadline in
 * O(1) and pops in O(log n). A second structure, a ring in arrival order with
 * lazy deletion, gives the oldest waiting arrival in O(1) for policies that
 * bound waiting time (fixed_batch's max wait). Storage grows by doubling on
 * push; pop and the lookups never allocate.
 *
 * The queue knows frames only as (slot, seq): the engine owns the frames.
 * `seq` must be unique and increasing with arrival; `slot` < slot capacity
 * passed to lv_queue_reserve_slots.
 */
#ifndef LV_QUEUE_H
#define LV_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct lv_queue_entry {
	double deadline_s;
	uint64_t seq;
	uint32_t slot;
};

struct lv_arrival_entry {
	double arrival_s;
	uint64_t seq;
	uint32_t slot;
};

struct lv_queue {
	struct lv_queue_entry *heap;
	size_t len, cap;
	struct lv_arrival_entry *ring; /* arrival order; stale entries skipped lazily */
	size_t ring_head, ring_len, ring_cap;
	uint64_t *slot_seq; /* seq queued at slot, 0 when none */
	size_t n_slots;
};

void lv_queue_init(struct lv_queue *q);
void lv_queue_fini(struct lv_queue *q);

/* Makes room for slots [0, n). Never shrinks. */
void lv_queue_reserve_slots(struct lv_queue *q, size_t n);

/* Adds a frame. seq > 0. */
void lv_queue_push(struct lv_queue *q, uint32_t slot, uint64_t seq, double deadline_s,
                   double arrival_s);

/* Removes the tightest-deadline frame into *out. 0, or LV_ESTATE when empty. */
int lv_queue_pop(struct lv_queue *q, struct lv_queue_entry *out);

static inline size_t lv_queue_len(const struct lv_queue *q)
{
	return q->len;
}

/* Tightest deadline, +INFINITY when empty. */
double lv_queue_min_deadline(const struct lv_queue *q);

/* Earliest arrival among waiting frames, +INFINITY when empty. */
double lv_queue_oldest_arrival(const struct lv_queue *q);

#define LV_QUEUE_TIGHTEST_MAX 32

/*
 * The k (<= LV_QUEUE_TIGHTEST_MAX) tightest deadlines, ascending, into out;
 * returns how many (fewer when fewer are queued). O(k^2), no allocation:
 * a best-first walk of the heap, for the console's queue view.
 */
size_t lv_queue_tightest(const struct lv_queue *q, double *out, size_t k);

#endif
