/*
 * playbook_valmap: a hash index over a MAP value's keys (see
 * playbook_valmap.h). Maps of fewer than INDEX_FROM keys have none and are
 * searched in order, as before; at INDEX_FROM keys the index is built, and
 * every key appended after is added to it. Keys are never removed from a
 * map, and a replaced value keeps its key, so appending is the only change
 * the index has to follow.
 *
 * Open addressing with linear probing, at most half full; a slot holds a
 * key's position + 1 (0 is empty) and the key's hash, to skip most strcmp.
 */
#include "playbook_valmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

#define INDEX_FROM 16

struct lv_val_index {
	size_t cap; /* a power of two */
	size_t *pos;
	uint64_t *hash;
};

static uint64_t hash_key(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void insert(struct lv_val_index *ix, uint64_t h, size_t pos)
{
	size_t i = h & (ix->cap - 1);
	while (ix->pos[i])
		i = (i + 1) & (ix->cap - 1);
	ix->pos[i] = pos + 1;
	ix->hash[i] = h;
}

/* A new index for the first n keys of `map`, with room for twice that. */
static void rebuild(struct lv_val *map)
{
	struct lv_val_index *ix = map->index;
	if (!ix)
		ix = map->index = lv_xcalloc(1, sizeof *ix);
	free(ix->pos);
	free(ix->hash);
	ix->cap = 64;
	while (ix->cap < 4 * map->n)
		ix->cap *= 2;
	ix->pos = lv_xcalloc(ix->cap, sizeof *ix->pos);
	ix->hash = lv_xcalloc(ix->cap, sizeof *ix->hash);
	for (size_t i = 0; i < map->n; i++)
		insert(ix, hash_key(map->keys[i]), i);
}

long lv_valmap_find(const struct lv_val *map, const char *key)
{
	const struct lv_val_index *ix = map->index;
	if (!ix) {
		for (size_t i = 0; i < map->n; i++)
			if (!strcmp(map->keys[i], key))
				return (long)i;
		return -1;
	}
	uint64_t h = hash_key(key);
	for (size_t i = h & (ix->cap - 1); ix->pos[i]; i = (i + 1) & (ix->cap - 1))
		if (ix->hash[i] == h && !strcmp(map->keys[ix->pos[i] - 1], key))
			return (long)(ix->pos[i] - 1);
	return -1;
}

void lv_valmap_added(struct lv_val *map)
{
	if (map->n < INDEX_FROM)
		return;
	if (!map->index || 2 * map->n > map->index->cap) {
		rebuild(map);
		return;
	}
	insert(map->index, hash_key(map->keys[map->n - 1]), map->n - 1);
}

void lv_valmap_free(struct lv_val_index *ix)
{
	if (!ix)
		return;
	free(ix->pos);
	free(ix->hash);
	free(ix);
}
