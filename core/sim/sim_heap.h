/*
 * sim_heap: the simulator's event heap — an indexed binary min-heap over a
 * fixed set of items (the devices), keyed by each item's next event time,
 * ties broken by item index so equal times pop in a fixed order. Every item
 * is always in the heap (+INF when it has nothing due); changing a key is
 * one sift, O(log n), with no allocation after init. Internal to sim.c.
 */
#ifndef LV_SIM_HEAP_H
#define LV_SIM_HEAP_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

struct lv_sim_heap {
	size_t n;
	uint32_t *heap; /* heap order -> item */
	uint32_t *pos;  /* item -> heap position */
	double *key;    /* item -> key, s */
};

/* n items, every key +INF. */
void lv_sim_heap_init(struct lv_sim_heap *h, size_t n);
void lv_sim_heap_fini(struct lv_sim_heap *h);

/* Sets item i's key. */
void lv_sim_heap_update(struct lv_sim_heap *h, uint32_t i, double key);

/* The item with the least (key, index), and its key (+INF when empty). */
static inline uint32_t lv_sim_heap_top(const struct lv_sim_heap *h)
{
	return h->heap[0];
}

static inline double lv_sim_heap_top_key(const struct lv_sim_heap *h)
{
	return h->n ? h->key[h->heap[0]] : INFINITY;
}

#endif
