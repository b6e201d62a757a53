/*
 * inventory: Ansible INI inventories — hosts, groups, [group:vars],
 * [group:children], inline host variables, numeric host ranges
 * (nano-[00:01]) — and Ansible host patterns over them ("all", "g1:g2",
 * "g1:&g2", "g1:!host", "nano-*", "h1,h2").
 *
 * Variables are strings (plain values resolved as YAML scalars, so
 * ansible_port=2222 is an integer and ansible_become=yes a boolean). A host's
 * merged variables follow Ansible's order: the group `all`, then groups by
 * depth (parents before children) and name, then the host's own line.
 *
 * Bounds: an inventory holds at most LV_INVENTORY_MAX_HOSTS hosts and
 * LV_INVENTORY_MAX_GROUPS groups, and one host pattern may make at most
 * LV_INVENTORY_MAX_HOSTS hosts (h-[0:999]-[0:999]-[0:999] is an error naming
 * file:line, the pattern and the 10^9 hosts it would make, not an attempt).
 * One range spans at most 10001 values. Host lines set at most
 * LV_INVENTORY_MAX_HOST_VARS variables in all, counting a line's variables
 * once per host its pattern makes. Names are found through a hash index
 * and membership through a bit row of ancestors per group, so loading and
 * asking are close to linear in the file's size.
 */
#ifndef LV_INVENTORY_H
#define LV_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>

#define LV_INVENTORY_MAX_HOSTS     100000
#define LV_INVENTORY_MAX_GROUPS    10000
#define LV_INVENTORY_MAX_HOST_VARS 500000

struct lv_val;
struct lv_inv_index;

struct lv_inv_host {
	char *name;
	int line;            /* first line that names the host */
	struct lv_val *vars; /* MAP: inline vars (later lines override earlier) */
};

struct lv_inv_group {
	char *name;
	int line;
	struct lv_val *vars; /* MAP: [name:vars] */
	size_t *hosts;       /* direct members (host indices) */
	size_t n_hosts;
	size_t *children; /* child group indices */
	size_t n_children;
	int depth; /* distance from `all` through children: all 0, top-level groups 1 */
};

struct lv_inventory {
	char *path;
	struct lv_inv_host *hosts; /* in order of first appearance */
	size_t n_hosts;
	struct lv_inv_group *groups; /* groups[0] is "all", groups[1] "ungrouped" */
	size_t n_groups;
	struct lv_inv_index *index; /* private: names and membership (inventory_index.c) */
};

/*
 * Parses INI text; `name` appears in messages ("name:LINE: problem"). A child
 * group or a [g:vars] section for a group that is never defined is created
 * empty, as Ansible does. Returns NULL with *why on error.
 */
struct lv_inventory *lv_inventory_parse(const char *text, const char *name, char **why);
/* Reads the file with readfile.h's bounds (a regular file, 16 MiB at most) and parses it. */
struct lv_inventory *lv_inventory_load(const char *path, char **why);
void lv_inventory_free(struct lv_inventory *inv);

/* Index of the host or group called `name`, or -1. */
long lv_inventory_find_host(const struct lv_inventory *inv, const char *name);
long lv_inventory_find_group(const struct lv_inventory *inv, const char *name);

/* True when host `h` belongs to group `g` directly or through children. */
bool lv_inventory_in_group(const struct lv_inventory *inv, size_t h, size_t g);

/*
 * Marks in `selected` (n_hosts entries, overwritten) the hosts that `pattern`
 * selects. Elements are separated by ':' or ','; '&' intersects, '!' excludes;
 * '*' and '?' are shell wildcards on host and group names. An element that
 * matches nothing is not an error; *n_selected counts the result.
 */
void lv_inventory_match(const struct lv_inventory *inv, const char *pattern, bool *selected,
                        size_t *n_selected);

/*
 * The merged variables of host `h` plus inventory_hostname,
 * inventory_hostname_short and group_names (sorted, without all/ungrouped).
 * Returns a new MAP; caller frees.
 */
struct lv_val *lv_inventory_host_vars(const struct lv_inventory *inv, size_t h);

/* ---- group_vars/ and host_vars/ (inventory_vars.c) ---------------------- */

struct lv_inv_dirvars;

/*
 * Reads group_vars/ and host_vars/ under each of `dirs` (NULL entries are
 * skipped) for the groups and hosts of `inv`: dirs[0] beside the inventory,
 * dirs[1] beside the playbook, in precedence order. Returns the variables
 * (free with lv_inventory_dirvars_free), or NULL with *why "file:line: ..."
 * when a file is not YAML or not a mapping.
 */
struct lv_inv_dirvars *lv_inventory_dirvars_load(const struct lv_inventory *inv,
                                                 const char *const *dirs, size_t n_dirs,
                                                 char **why);
void lv_inventory_dirvars_free(struct lv_inv_dirvars *dv);
/* Merges directory `dir`'s variables of `group` / of `host` (all directories) into `into`. */
void lv_inventory_dirvars_group_at(const struct lv_inv_dirvars *dv, size_t dir, const char *group,
                                   struct lv_val *into);
void lv_inventory_dirvars_host(const struct lv_inv_dirvars *dv, const char *host,
                               struct lv_val *into);

/*
 * lv_inventory_host_vars with group_vars/host_vars (`dv`, may be NULL) in
 * Ansible's precedence: see inventory_vars.c.
 */
struct lv_val *lv_inventory_host_vars_with(const struct lv_inventory *inv, size_t h,
                                           const struct lv_inv_dirvars *dv);

#endif
