/*
 * inventory_index: the indexes that keep an inventory's questions fast —
 * names of hosts and groups to their indices (hashed), the (group, member)
 * pairs already recorded (so a repeated line is not recorded twice), and,
 * once the file is read, each group's ancestors and each host's own groups,
 * so that membership through children is a few bit tests. Private to
 * inventory.c (which fills it while parsing) and inventory_query.c.
 *
 * Costs: a lookup or pair test is O(1) on average; membership is
 * O(groups the host is listed in); building is O(memberships + children +
 * groups^2 / 64) with groups bounded by LV_INVENTORY_MAX_GROUPS.
 */
#ifndef LV_INVENTORY_INDEX_H
#define LV_INVENTORY_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lv_inventory;
struct lv_inv_index;

enum lv_inv_pair { LV_INV_MEMBER, LV_INV_CHILD };

struct lv_inv_index *lv_inv_index_new(void);
void lv_inv_index_free(struct lv_inv_index *ix);

/* Index of the host or group `name`, or -1. */
long lv_inv_index_host(const struct lv_inv_index *ix, const char *name);
long lv_inv_index_group(const struct lv_inv_index *ix, const char *name);
/* Records a new name; `name` is borrowed and must live as long as the index. */
void lv_inv_index_put_host(struct lv_inv_index *ix, const char *name, size_t h);
void lv_inv_index_put_group(struct lv_inv_index *ix, const char *name, size_t g);

/*
 * Records that `x` (a host for LV_INV_MEMBER, a group for LV_INV_CHILD) is in
 * group `g`. True when that pair is new, false when it was recorded before.
 */
bool lv_inv_index_pair_add(struct lv_inv_index *ix, enum lv_inv_pair kind, size_t g, size_t x);

/*
 * Once the inventory is complete and acyclic: each group's ancestors, its
 * depth (inv->groups[g].depth) and each host's groups. Call again after a
 * change.
 */
void lv_inv_index_build(struct lv_inv_index *ix, struct lv_inventory *inv);

/* True when host `h` is in group `g` directly or through children (after build). */
bool lv_inv_index_in_group(const struct lv_inv_index *ix, size_t h, size_t g);
/*
 * True when host `h` is in some group whose bit is set in `groups`, a mask
 * of lv_inv_index_words() words (after build).
 */
bool lv_inv_index_in_any(const struct lv_inv_index *ix, size_t h, const uint64_t *groups);
size_t lv_inv_index_words(const struct lv_inv_index *ix);
/*
 * Sets in `groups` (lv_inv_index_words() words, overwritten) the groups host
 * `h` belongs to, "all" included (after build).
 */
void lv_inv_index_groups_of(const struct lv_inv_index *ix, size_t h, uint64_t *groups);

#endif
