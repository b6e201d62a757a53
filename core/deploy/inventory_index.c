/*
 * inventory_index: hashed names, recorded pairs, ancestors and each host's
 * groups for an inventory (see inventory_index.h). Filled by inventory.c
 * while it parses, read by inventory_query.c; read-only after
 * lv_inv_index_build, so the runner's threads may share it.
 *
 * The hash tables use open addressing with linear probing, at most half
 * full. Ancestors are one bit row per group (`words` 64-bit words), filled in
 * topological order from the groups nobody lists as a child, so each row is
 * complete before it is copied into its children's rows.
 */
#include "inventory_index.h"

#include <stdlib.h>
#include <string.h>

#include "inventory.h"
#include "base/util.h"

struct names {
	const char **key; /* borrowed; NULL: empty slot */
	size_t *val;
	size_t cap, n; /* cap is 0 or a power of two */
};

struct pairs {
	uint64_t *key; /* pair + 1; 0: empty slot */
	size_t cap, n;
};

struct lv_inv_index {
	struct names hosts, groups;
	struct pairs pairs;
	/* after lv_inv_index_build */
	size_t n_hosts, n_groups, words;
	uint64_t *anc;    /* n_groups rows of `words`: g's row has g and its ancestors */
	size_t *hg_start; /* n_hosts + 1 offsets into hg */
	size_t *hg;       /* the groups that list each host, host after host */
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static uint64_t hash_u64(uint64_t x)
{
	x ^= x >> 30; /* splitmix64's finaliser */
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static long names_find(const struct names *m, const char *name)
{
	if (!m->cap)
		return -1;
	for (size_t i = hash_str(name) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->key[i])
			return -1;
		if (!strcmp(m->key[i], name))
			return (long)m->val[i];
	}
}

static void names_insert(struct names *m, const char *name, size_t val)
{
	size_t i = hash_str(name) & (m->cap - 1);
	while (m->key[i])
		i = (i + 1) & (m->cap - 1);
	m->key[i] = name;
	m->val[i] = val;
	m->n++;
}

static void names_put(struct names *m, const char *name, size_t val)
{
	if (2 * (m->n + 1) > m->cap) {
		struct names old = *m;
		m->cap = old.cap ? 2 * old.cap : 16;
		m->key = lv_xcalloc(m->cap, sizeof *m->key);
		m->val = lv_xcalloc(m->cap, sizeof *m->val);
		m->n = 0;
		for (size_t i = 0; i < old.cap; i++)
			if (old.key[i])
				names_insert(m, old.key[i], old.val[i]);
		free(old.key);
		free(old.val);
	}
	names_insert(m, name, val);
}

/* Inserts `key` (already + 1) unless present; true when inserted. */
static bool pairs_insert(struct pairs *s, uint64_t key)
{
	for (size_t i = hash_u64(key) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (s->key[i] == key)
			return false;
		if (!s->key[i]) {
			s->key[i] = key;
			s->n++;
			return true;
		}
	}
}

bool lv_inv_index_pair_add(struct lv_inv_index *ix, enum lv_inv_pair kind, size_t g, size_t x)
{
	struct pairs *s = &ix->pairs;
	if (2 * (s->n + 1) > s->cap) {
		struct pairs old = *s;
		s->cap = old.cap ? 2 * old.cap : 64;
		s->key = lv_xcalloc(s->cap, sizeof *s->key);
		s->n = 0;
		for (size_t i = 0; i < old.cap; i++)
			if (old.key[i])
				pairs_insert(s, old.key[i]);
		free(old.key);
	}
	/* groups and hosts are far below 2^31 (LV_INVENTORY_MAX_*) */
	uint64_t key = ((uint64_t)kind << 63 | (uint64_t)g << 32 | (uint64_t)x) + 1;
	return pairs_insert(s, key);
}

struct lv_inv_index *lv_inv_index_new(void)
{
	return lv_xcalloc(1, sizeof(struct lv_inv_index));
}

static void drop_built(struct lv_inv_index *ix)
{
	free(ix->anc);
	free(ix->hg_start);
	free(ix->hg);
	ix->anc = NULL;
	ix->hg_start = ix->hg = NULL;
	ix->n_hosts = ix->n_groups = ix->words = 0;
}

void lv_inv_index_free(struct lv_inv_index *ix)
{
	if (!ix)
		return;
	drop_built(ix);
	free(ix->hosts.key);
	free(ix->hosts.val);
	free(ix->groups.key);
	free(ix->groups.val);
	free(ix->pairs.key);
	free(ix);
}

long lv_inv_index_host(const struct lv_inv_index *ix, const char *name)
{
	return names_find(&ix->hosts, name);
}

long lv_inv_index_group(const struct lv_inv_index *ix, const char *name)
{
	return names_find(&ix->groups, name);
}

void lv_inv_index_put_host(struct lv_inv_index *ix, const char *name, size_t h)
{
	names_put(&ix->hosts, name, h);
}

void lv_inv_index_put_group(struct lv_inv_index *ix, const char *name, size_t g)
{
	names_put(&ix->groups, name, g);
}

static void build_ancestors(struct lv_inv_index *ix, struct lv_inventory *inv)
{
	size_t G = inv->n_groups, W = ix->words;
	size_t *indeg = lv_xcalloc(G, sizeof *indeg), *queue = lv_xcalloc(G, sizeof *queue);
	size_t head = 0, tail = 0;
	for (size_t g = 0; g < G; g++)
		for (size_t i = 0; i < inv->groups[g].n_children; i++)
			indeg[inv->groups[g].children[i]]++;
	for (size_t g = 0; g < G; g++) {
		ix->anc[g * W + g / 64] |= (uint64_t)1 << (g % 64);
		inv->groups[g].depth = g == 0 ? 0 : 1;
		if (!indeg[g])
			queue[tail++] = g;
	}
	while (head < tail) {
		size_t g = queue[head++];
		const struct lv_inv_group *gr = &inv->groups[g];
		for (size_t i = 0; i < gr->n_children; i++) {
			size_t c = gr->children[i];
			for (size_t w = 0; w < W; w++)
				ix->anc[c * W + w] |= ix->anc[g * W + w];
			/* `all` as a parent adds no depth: top-level groups are 1 */
			if (g != 0 && inv->groups[c].depth < gr->depth + 1)
				inv->groups[c].depth = gr->depth + 1;
			if (--indeg[c] == 0)
				queue[tail++] = c;
		}
	}
	free(indeg);
	free(queue);
}

static void build_host_groups(struct lv_inv_index *ix, const struct lv_inventory *inv)
{
	size_t H = inv->n_hosts;
	ix->hg_start = lv_xcalloc(H + 1, sizeof *ix->hg_start);
	size_t total = 0;
	for (size_t g = 0; g < inv->n_groups; g++) {
		total += inv->groups[g].n_hosts;
		for (size_t i = 0; i < inv->groups[g].n_hosts; i++)
			ix->hg_start[inv->groups[g].hosts[i] + 1]++;
	}
	for (size_t h = 0; h < H; h++)
		ix->hg_start[h + 1] += ix->hg_start[h];
	ix->hg = lv_xcalloc(total ? total : 1, sizeof *ix->hg);
	size_t *fill = lv_xcalloc(H ? H : 1, sizeof *fill);
	for (size_t g = 0; g < inv->n_groups; g++)
		for (size_t i = 0; i < inv->groups[g].n_hosts; i++) {
			size_t h = inv->groups[g].hosts[i];
			ix->hg[ix->hg_start[h] + fill[h]++] = g;
		}
	free(fill);
}

void lv_inv_index_build(struct lv_inv_index *ix, struct lv_inventory *inv)
{
	drop_built(ix);
	ix->n_hosts = inv->n_hosts;
	ix->n_groups = inv->n_groups;
	ix->words = (inv->n_groups + 63) / 64;
	/* n_groups >= 2: all and ungrouped always exist */
	ix->anc = lv_xcalloc(ix->n_groups * ix->words, sizeof *ix->anc);
	build_ancestors(ix, inv);
	build_host_groups(ix, inv);
}

size_t lv_inv_index_words(const struct lv_inv_index *ix)
{
	return ix->words;
}

bool lv_inv_index_in_group(const struct lv_inv_index *ix, size_t h, size_t g)
{
	if (g == 0)
		return true;
	if (h >= ix->n_hosts || g >= ix->n_groups)
		return false;
	for (size_t i = ix->hg_start[h]; i < ix->hg_start[h + 1]; i++)
		if (ix->anc[ix->hg[i] * ix->words + g / 64] >> (g % 64) & 1)
			return true;
	return false;
}

bool lv_inv_index_in_any(const struct lv_inv_index *ix, size_t h, const uint64_t *groups)
{
	if (ix->words && (groups[0] & 1))
		return true; /* every host is in `all` */
	if (h >= ix->n_hosts)
		return false;
	for (size_t i = ix->hg_start[h]; i < ix->hg_start[h + 1]; i++) {
		const uint64_t *row = &ix->anc[ix->hg[i] * ix->words];
		for (size_t w = 0; w < ix->words; w++)
			if (row[w] & groups[w])
				return true;
	}
	return false;
}

void lv_inv_index_groups_of(const struct lv_inv_index *ix, size_t h, uint64_t *groups)
{
	memset(groups, 0, ix->words * sizeof *groups);
	if (!ix->words)
		return;
	groups[0] = 1;
	if (h >= ix->n_hosts)
		return;
	for (size_t i = ix->hg_start[h]; i < ix->hg_start[h + 1]; i++) {
		const uint64_t *row = &ix->anc[ix->hg[i] * ix->words];
		for (size_t w = 0; w < ix->words; w++)
			groups[w] |= row[w];
	}
}
