/*
 * cluster_impl: what cluster.c (the cluster's state and lifetime) and
 * cluster_load.c (cluster files, cost tables) share. Private to the cluster
 * module: nobody else includes it.
 */
#ifndef LV_CLUSTER_IMPL_H
#define LV_CLUSTER_IMPL_H

struct lv_cluster;
struct lv_profile;

/*
 * Appends a device of kind index `kind` named `name` (truncated to
 * LV_DEV_NAME_MAX - 1); the URLs are copied and may be NULL. Its state is
 * zero until lv_cluster_reset, and so is its ca_file (NULL: the loader sets
 * it; lv_cluster_free frees it).
 */
void lv_cluster_add_device(struct lv_cluster *c, const char *name, int kind, const char *agent,
                           const char *triton);

/* Appends a kind; takes ownership of p. Keeps largest_max_batch current. */
void lv_cluster_add_kind(struct lv_cluster *c, struct lv_profile *p);

#endif
