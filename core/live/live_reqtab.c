/*
 * live_reqtab: the table that maps a frame id back to its request and its
 * index there, for the dispatcher, which streams a frame's tensor from its
 * request, and for the answers, which land in the request's results.
 *
 * The engine gives a request's frames consecutive ids and ids grow with
 * arrival, so entries are appended in id order and found by binary search.
 * An answered request's entry is cleared at once (the front end frees the
 * request next) and the table compacted when more than half of it is
 * cleared.
 */
#include "live_internal.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

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

/* Clears r's entry (r answered: the front end frees it next). */
void live_reqtab_drop(struct reqtab *t, const struct lv_live_request *r)
{
	long i = reqtab_find(t, r->first_frame_id);
	if (i >= 0) {
		t->req[i] = NULL;
		t->dead++;
	}
}

void live_reqtab_fini(struct reqtab *t)
{
	free(t->first);
	free(t->count);
	free(t->req);
	memset(t, 0, sizeof(*t));
}
