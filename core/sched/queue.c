/*
 * queue: waiting frames by deadline. See queue.h.
 *
 * Invariants: heap[0..len) is a binary min-heap on (deadline_s, seq);
 * slot_seq[s] != 0 exactly when a frame with that seq is in the heap at slot
 * s; the ring holds, in arrival order, every queued frame plus stale entries
 * (frames already popped), and its head is never stale once a pop returns, so
 * the oldest arrival is ring[ring_head] in O(1).
 */
#include "queue.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

void lv_queue_init(struct lv_queue *q)
{
	memset(q, 0, sizeof(*q));
}

void lv_queue_fini(struct lv_queue *q)
{
	free(q->heap);
	free(q->ring);
	free(q->slot_seq);
	memset(q, 0, sizeof(*q));
}

void lv_queue_reserve_slots(struct lv_queue *q, size_t n)
{
	if (n <= q->n_slots)
		return;
	size_t cap = q->n_slots ? q->n_slots : 64;
	while (cap < n)
		cap *= 2;
	q->slot_seq = lv_xrealloc(q->slot_seq, cap * sizeof(*q->slot_seq));
	memset(q->slot_seq + q->n_slots, 0, (cap - q->n_slots) * sizeof(*q->slot_seq));
	q->n_slots = cap;
}

static int before(const struct lv_queue_entry *a, const struct lv_queue_entry *b)
{
	if (a->deadline_s != b->deadline_s)
		return a->deadline_s < b->deadline_s;
	return a->seq < b->seq;
}

static void sift_up(struct lv_queue_entry *h, size_t i)
{
	struct lv_queue_entry x = h[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!before(&x, &h[parent]))
			break;
		h[i] = h[parent];
		i = parent;
	}
	h[i] = x;
}

static void sift_down(struct lv_queue_entry *h, size_t len, size_t i)
{
	struct lv_queue_entry x = h[i];
	for (;;) {
		size_t l = 2 * i + 1;
		if (l >= len)
			break;
		size_t m = l;
		if (l + 1 < len && before(&h[l + 1], &h[l]))
			m = l + 1;
		if (!before(&h[m], &x))
			break;
		h[i] = h[m];
		i = m;
	}
	h[i] = x;
}

static void ring_grow(struct lv_queue *q)
{
	size_t cap = q->ring_cap ? q->ring_cap * 2 : 64;
	struct lv_arrival_entry *r = lv_xmalloc(cap * sizeof(*r));
	for (size_t i = 0; i < q->ring_len; i++)
		r[i] = q->ring[(q->ring_head + i) % q->ring_cap];
	free(q->ring);
	q->ring = r;
	q->ring_cap = cap;
	q->ring_head = 0;
}

void lv_queue_push(struct lv_queue *q, uint32_t slot, uint64_t seq, double deadline_s,
                   double arrival_s)
{
	assert(seq > 0);
	assert(slot < q->n_slots);
	assert(q->slot_seq[slot] == 0);
	if (q->len == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 64;
		q->heap = lv_xrealloc(q->heap, q->cap * sizeof(*q->heap));
	}
	q->heap[q->len] = (struct lv_queue_entry){ deadline_s, seq, slot };
	sift_up(q->heap, q->len);
	q->len++;
	q->slot_seq[slot] = seq;

	if (q->ring_len == q->ring_cap)
		ring_grow(q);
	q->ring[(q->ring_head + q->ring_len) % q->ring_cap] =
	    (struct lv_arrival_entry){ arrival_s, seq, slot };
	q->ring_len++;
}

static void ring_drop_stale(struct lv_queue *q)
{
	while (q->ring_len > 0) {
		const struct lv_arrival_entry *h = &q->ring[q->ring_head];
		if (q->slot_seq[h->slot] == h->seq)
			break;
		q->ring_head = (q->ring_head + 1) % q->ring_cap;
		q->ring_len--;
	}
}

int lv_queue_pop(struct lv_queue *q, struct lv_queue_entry *out)
{
	if (q->len == 0)
		return LV_ESTATE;
	*out = q->heap[0];
	q->len--;
	if (q->len > 0) {
		q->heap[0] = q->heap[q->len];
		sift_down(q->heap, q->len, 0);
	}
	q->slot_seq[out->slot] = 0;
	ring_drop_stale(q);
	return LV_OK;
}

double lv_queue_min_deadline(const struct lv_queue *q)
{
	return q->len ? q->heap[0].deadline_s : INFINITY;
}

size_t lv_queue_tightest(const struct lv_queue *q, double *out, size_t k)
{
	/* The next smallest is always a child of one already taken, so at most k + 1
	 * candidates are open at once. */
	size_t open[LV_QUEUE_TIGHTEST_MAX + 2], n_open = 0, n = 0;
	if (k > LV_QUEUE_TIGHTEST_MAX)
		k = LV_QUEUE_TIGHTEST_MAX;
	if (q->len)
		open[n_open++] = 0;
	while (n < k && n_open > 0) {
		size_t best = 0;
		for (size_t i = 1; i < n_open; i++)
			if (before(&q->heap[open[i]], &q->heap[open[best]]))
				best = i;
		size_t at = open[best];
		open[best] = open[--n_open];
		out[n++] = q->heap[at].deadline_s;
		for (size_t c = 2 * at + 1; c <= 2 * at + 2 && c < q->len; c++)
			open[n_open++] = c;
	}
	return n;
}

double lv_queue_oldest_arrival(const struct lv_queue *q)
{
	if (q->len == 0)
		return INFINITY;
	assert(q->ring_len > 0);
	return q->ring[q->ring_head].arrival_s;
}
