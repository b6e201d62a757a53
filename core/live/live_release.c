/*
 * live_release: at shutdown, what the controller took on the devices goes
 * back. A controller that exits must not leave a Jetson pinned at whatever
 * clock its last batch wanted: DELETE /gpu/frequency on every agent whose
 * clock this controller set (owned_clock). A clock the operator pinned
 * before the controller started was never the controller's and is left as
 * it is. And its shared-memory regions are unregistered on each Triton
 * (live_shm.c), which would otherwise keep them mapped. All at once, each
 * bounded by a short timeout so a dead device cannot hold the exit up.
 * As in live_http.c, requests to an agent carry the token and https://
 * peers are verified against the device's CA file.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "live_internal.h"
#include "base/util.h"

#define RELEASE_TIMEOUT_MS 2000L

struct release {
	size_t device;
	int clock; /* 1: the clock; 0: a region */
	CURL *h;
};

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p, (void)arg;
	return size * n;
}

static void add(CURLM *m, struct release **rs, size_t *n, size_t device, int clock, char *url,
                struct curl_slist *hdrs, const char *ca_file)
{
	*rs = lv_xrealloc(*rs, (*n + 1) * sizeof(**rs));
	struct release *r = &(*rs)[*n];
	r->device = device;
	r->clock = clock;
	r->h = curl_easy_init();
	curl_easy_setopt(r->h, CURLOPT_URL, url);
	curl_easy_setopt(r->h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(r->h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca_file)
		curl_easy_setopt(r->h, CURLOPT_CAINFO, ca_file);
	if (hdrs)
		curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, hdrs);
	if (clock) {
		curl_easy_setopt(r->h, CURLOPT_CUSTOMREQUEST, "DELETE");
	} else {
		curl_easy_setopt(r->h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(r->h, CURLOPT_POSTFIELDSIZE, 0L);
	}
	curl_easy_setopt(r->h, CURLOPT_TIMEOUT_MS, RELEASE_TIMEOUT_MS);
	curl_easy_setopt(r->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(r->h, CURLOPT_PRIVATE, (void *)*n);
	free(url);
	curl_multi_add_handle(m, r->h);
	(*n)++;
}

void live_release(struct lv_live *lv)
{
	size_t n = 0;
	struct release *rs = NULL;
	struct curl_slist *hdrs = lv->auth ? curl_slist_append(NULL, lv->auth) : NULL;
	CURLM *m = curl_multi_init();
	for (size_t i = 0; i < lv->cluster->n_devices; i++) {
		const struct lv_device *d = &lv->cluster->devices[i];
		if (lv->devs[i].owned_clock && d->agent_url)
			add(m, &rs, &n, i, 1, lv_xasprintf("%s/gpu/frequency", d->agent_url), hdrs,
			    d->ca_file);
		const char *triton = lv_device_triton_url(d);
		/* the agent is this device's Triton (emulated): it wants the token there too */
		int agent_triton = triton && d->agent_url && !strcmp(triton, d->agent_url);
		char(*names)[64] = NULL;
		size_t k = triton ? live_shm_names(lv, (int)i, &names) : 0;
		for (size_t j = 0; j < k; j++)
			add(m, &rs, &n, i, 0,
			    lv_xasprintf("%s/v2/systemsharedmemory/region/%s/unregister", triton,
			                 names[j]),
			    agent_triton ? hdrs : NULL, d->ca_file);
		free(names);
	}
	int running = 1;
	while (running) {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		if (running)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(m, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		void *priv = NULL;
		long code = 0;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
		const struct release *r = &rs[(size_t)priv];
		if (!r->clock)
			continue; /* a region Triton cannot unregister is one it no longer has */
		const char *name = lv->cluster->devices[r->device].name;
		if (msg->data.result == CURLE_OK && code >= 200 && code < 300) {
			lv->devs[r->device].owned_clock = 0;
			live_note(lv, LV_LOG_INFO, name, "clock released to the governor");
		} else {
			live_note(lv, LV_LOG_WARN, name, "could not release the clock: %s",
			          msg->data.result != CURLE_OK
			              ? curl_easy_strerror(msg->data.result)
			              : "the agent refused");
		}
	}
	for (size_t i = 0; i < n; i++) {
		curl_multi_remove_handle(m, rs[i].h);
		curl_easy_cleanup(rs[i].h);
	}
	curl_multi_cleanup(m);
	curl_slist_free_all(hdrs);
	free(rs);
}
