/*
 * cluster: devices, their kinds and the state the engine keeps. See
 * cluster.h. Loading cluster files and building the kinds' cost tables is
 * cluster_load.c; this file does no I/O and links no JSON or XGBoost, so the
 * scheduler can use it (a cluster's predictor is freed through the function
 * its builder left beside it).
 *
 * Kinds are deduplicated: however many devices share a kind, its profile and
 * cost table exist once (a 1,000-device cluster of three kinds holds three
 * tables). Kinds appear in the order they were first added.
 */
#include "cluster.h"
#include "cluster_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "base/util.h"

const char *lv_dev_state_name(enum lv_dev_state s)
{
	switch (s) {
	case LV_DEV_UP: return "up";
	case LV_DEV_DOWN: return "down";
	case LV_DEV_DRAINING: return "draining";
	}
	return "?";
}

void lv_cluster_add_device(struct lv_cluster *c, const char *name, int kind, const char *agent,
                           const char *triton)
{
	if (c->n_devices == c->cap_devices) {
		c->cap_devices = c->cap_devices ? 2 * c->cap_devices : 8;
		c->devices = lv_xrealloc(c->devices, c->cap_devices * sizeof(*c->devices));
	}
	struct lv_device *d = &c->devices[c->n_devices++];
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%.*s", (int)sizeof(d->name) - 1, name);
	d->kind = kind;
	d->agent_url = agent ? lv_xstrdup(agent) : NULL;
	d->triton_url = triton ? lv_xstrdup(triton) : NULL;
}

void lv_cluster_add_kind(struct lv_cluster *c, struct lv_profile *p)
{
	c->kinds = lv_xrealloc(c->kinds, (c->n_kinds + 1) * sizeof(*c->kinds));
	memset(&c->kinds[c->n_kinds], 0, sizeof(c->kinds[c->n_kinds]));
	c->kinds[c->n_kinds].profile = p;
	c->n_kinds++;
	if (p->max_batch > c->largest_max_batch)
		c->largest_max_batch = p->max_batch;
}

struct lv_cluster *lv_cluster_new_from_profiles(struct lv_profile **profiles, const size_t *counts,
                                                size_t n_kinds)
{
	struct lv_cluster *c = lv_xcalloc(1, sizeof(*c));
	c->name = lv_xstrdup("synthetic");
	for (size_t k = 0; k < n_kinds; k++) {
		lv_cluster_add_kind(c, profiles[k]);
		for (size_t j = 0; j < counts[k]; j++) {
			char dn[LV_DEV_NAME_MAX + LV_KIND_MAX];
			snprintf(dn, sizeof(dn), "%s-%02u", profiles[k]->kind, (unsigned)j);
			lv_cluster_add_device(c, dn, (int)k, NULL, NULL);
		}
	}
	lv_cluster_reset(c, 0.0);
	return c;
}

int lv_cluster_find(const struct lv_cluster *c, const char *name)
{
	for (size_t i = 0; i < c->n_devices; i++)
		if (strcmp(c->devices[i].name, name) == 0)
			return (int)i;
	return -1;
}

size_t lv_device_n_freqs(const struct lv_cluster *c, const struct lv_device *d)
{
	const struct lv_profile *p = c->kinds[d->kind].profile;
	size_t n = p->n_freqs;
	if (d->max_freq_hz)
		while (n > 1 && p->freqs_hz[n - 1] > d->max_freq_hz)
			n--;
	return n;
}

uint64_t lv_device_top_hz(const struct lv_cluster *c, const struct lv_device *d)
{
	return c->kinds[d->kind].profile->freqs_hz[lv_device_n_freqs(c, d) - 1];
}

void lv_cluster_reset(struct lv_cluster *c, double now)
{
	for (size_t i = 0; i < c->n_devices; i++) {
		struct lv_device *d = &c->devices[i];
		const struct lv_profile *p = c->kinds[d->kind].profile;
		d->state = LV_DEV_UP;
		d->freq_hz = p->freqs_hz[p->n_freqs - 1];
		d->max_freq_hz = 0;
		d->inflight = 0;
		d->idle_since_s = now;
		d->batches_done = 0;
		d->frames_done = 0;
	}
}

void lv_cluster_free(struct lv_cluster *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_devices; i++) {
		free(c->devices[i].agent_url);
		free(c->devices[i].triton_url);
		free(c->devices[i].ca_file);
		lv_cost_table_free(c->devices[i].cost_own);
		lv_cost_table_free(c->devices[i].truth_own);
	}
	free(c->devices);
	for (size_t k = 0; k < c->n_kinds; k++) {
		lv_profile_free(c->kinds[k].profile);
		if (c->kinds[k].truth_owned)
			lv_cost_table_free(c->kinds[k].truth);
		lv_cost_table_free(c->kinds[k].cost);
	}
	free(c->kinds);
	if (c->predictor)
		c->predictor_free(c->predictor);
	free(c->name);
	free(c->token_file);
	free(c);
}
