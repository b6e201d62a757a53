/*
 * fuzz_cluster: cluster files (core/model/cluster.h) from arbitrary bytes,
 * through lv_cluster_parse as if they were profiles/clusters/fuzz.json, so
 * "profiles" defaults to the committed profiles/ (the harness runs from the
 * repository's root) and relative "ca" and "token_file" paths land in
 * profiles/clusters/.
 *
 * Contract: a refusal names the file; an accepted cluster has 1..100,000
 * devices, each of a kind it holds, named uniquely and within
 * LV_DEV_NAME_MAX, with http:// or https:// endpoints, a CA file only for a
 * device with an https:// one, and starts up at its kind's top clock.
 */
#include "harness.h"

#include "model/cluster.h"
#include "model/profile.h"

#define PATH "profiles/clusters/fuzz.json"

static int is_https(const char *url)
{
	return url && !strncmp(url, "https://", 8);
}

static int is_url(const char *url)
{
	return !url || !strncmp(url, "http://", 7) || is_https(url);
}

static void check_device(const struct lv_cluster *c, size_t i)
{
	const struct lv_device *d = &c->devices[i];
	fuzz_check(d->kind >= 0 && (size_t)d->kind < c->n_kinds, "a device of no kind");
	fuzz_check(memchr(d->name, '\0', sizeof(d->name)) != NULL && d->name[0],
	           "a device name empty or unterminated");
	fuzz_check(is_url(d->agent_url) && is_url(d->triton_url), "an endpoint that is no URL");
	fuzz_check(!d->ca_file || is_https(d->agent_url) || is_https(d->triton_url),
	           "a CA file for a device without https://");
	fuzz_check(!d->shm || d->agent_url || d->triton_url, "shm without an endpoint");
	const struct lv_profile *p = lv_device_profile(c, d);
	fuzz_check(d->state == LV_DEV_UP && d->freq_hz == p->freqs_hz[p->n_freqs - 1],
	           "a device that does not start up at its top clock");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_bytes(data, size), *why = NULL;
	struct lv_cluster *c = lv_cluster_parse(text, size, PATH, &why);
	free(text);
	if (!c) {
		fuzz_check(why != NULL && strstr(why, "fuzz.json") != NULL,
		           "a refusal that does not name the file");
		free(why);
		return 0;
	}
	fuzz_check(why == NULL, "a message with a cluster");
	fuzz_check(c->n_devices >= 1 && c->n_devices <= 100000, "device count out of bounds");
	fuzz_check(c->n_kinds >= 1 && c->n_kinds <= c->n_devices, "kind count out of bounds");
	fuzz_check(c->name != NULL, "a cluster without a name");
	for (size_t i = 0; i < c->n_devices; i++)
		check_device(c, i);
	/* Names are unique: checked where it is cheap (the loader's hash set does the rest). */
	if (c->n_devices <= 200)
		for (size_t i = 0; i < c->n_devices; i++)
			fuzz_check(lv_cluster_find(c, c->devices[i].name) == (int)i,
			           "a device name twice");
	lv_cluster_free(c);
	return 0;
}
