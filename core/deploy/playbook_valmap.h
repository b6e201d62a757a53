/*
 * playbook_valmap: finding a key in a MAP value (struct lv_val) in O(1) on
 * average once it has more than a few keys, so that building a map of n
 * keys (a vars file, a host line's variables, hostvars of every host) costs
 * O(n), not O(n^2). Private to playbook_val.c, which keeps the index in step
 * with the map's keys.
 */
#ifndef LV_PLAYBOOK_VALMAP_H
#define LV_PLAYBOOK_VALMAP_H

#include "playbook.h"

/* Position of `key` in `map` (a MAP), or -1. */
long lv_valmap_find(const struct lv_val *map, const char *key);
/* Records the key just appended at position map->n - 1. */
void lv_valmap_added(struct lv_val *map);
/* Frees a map's index (NULL is fine). */
void lv_valmap_free(struct lv_val_index *ix);

#endif
