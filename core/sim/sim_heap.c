/*
 * sim_heap: the indexed min-heap of sim_heap.h. The order is (key, index),
 * a strict total order, so the heap's shape — and so the order of equal-time
 * events — depends only on the sequence of updates.
 */
#include "sim_heap.h"

#include <assert.h>
#include <stdlib.h>

#include "base/util.h"

void lv_sim_heap_init(struct lv_sim_heap *h, size_t n)
{
	assert(n < UINT32_MAX);
	size_t m = n ? n : 1;
	h->n = n;
	h->heap = lv_xmalloc(m * sizeof(*h->heap));
	h->pos = lv_xmalloc(m * sizeof(*h->pos));
	h->key = lv_xmalloc(m * sizeof(*h->key));
	for (size_t i = 0; i < n; i++) {
		h->heap[i] = (uint32_t)i;
		h->pos[i] = (uint32_t)i;
		h->key[i] = INFINITY; /* equal keys in index order: a valid heap */
	}
}

void lv_sim_heap_fini(struct lv_sim_heap *h)
{
	free(h->heap);
	free(h->pos);
	free(h->key);
	h->heap = h->pos = NULL;
	h->key = NULL;
	h->n = 0;
}

static int before(const struct lv_sim_heap *h, uint32_t a, uint32_t b)
{
	double ka = h->key[a], kb = h->key[b];
	return ka < kb || (ka == kb && a < b);
}

static void place(struct lv_sim_heap *h, size_t at, uint32_t item)
{
	h->heap[at] = item;
	h->pos[item] = (uint32_t)at;
}

static void sift_up(struct lv_sim_heap *h, size_t at)
{
	uint32_t item = h->heap[at];
	while (at > 0) {
		size_t parent = (at - 1) / 2;
		if (!before(h, item, h->heap[parent]))
			break;
		place(h, at, h->heap[parent]);
		at = parent;
	}
	place(h, at, item);
}

static void sift_down(struct lv_sim_heap *h, size_t at)
{
	uint32_t item = h->heap[at];
	for (;;) {
		size_t l = 2 * at + 1, r = l + 1, m = at;
		uint32_t best = item;
		if (l < h->n && before(h, h->heap[l], best)) {
			m = l;
			best = h->heap[l];
		}
		if (r < h->n && before(h, h->heap[r], best)) {
			m = r;
			best = h->heap[r];
		}
		if (m == at)
			break;
		place(h, at, best);
		at = m;
	}
	place(h, at, item);
}

void lv_sim_heap_update(struct lv_sim_heap *h, uint32_t i, double key)
{
	assert(i < h->n && !isnan(key));
	double old = h->key[i];
	if (key == old)
		return;
	h->key[i] = key;
	if (key < old)
		sift_up(h, h->pos[i]);
	else
		sift_down(h, h->pos[i]);
}
