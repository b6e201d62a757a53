/*
 * live_release: at shutdown, the clocks the controller set go back to the
 * devices' governors. A controller that exits must not leave a Jetson pinned
 * at whatever clock its last batch wanted: DELETE /gpu/frequency on every
 * agent whose clock this controller set (owned_clock), all at once, each
 * bounded by a short timeout so a dead agent cannot hold the exit up. A
 * clock the operator pinned before the controller started was never the
 * controller's and is left as it is.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>

#include "cluster.h"
#include "live_internal.h"
#include "util.h"

#define RELEASE_TIMEOUT_MS 2000L

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p, (void)arg;
	return size * n;
}

void live_release_clocks(struct lv_live *lv)
{
	size_t n = lv->cluster->n_devices;
	CURL **h = lv_xcalloc(n ? n : 1, sizeof(*h));
	struct curl_slist *hdrs = lv->auth ? curl_slist_append(NULL, lv->auth) : NULL;
	CURLM *m = curl_multi_init();
	for (size_t i = 0; i < n; i++) {
		const struct lv_device *d = &lv->cluster->devices[i];
		if (!lv->devs[i].owned_clock || !d->agent_url)
			continue;
		char *url = lv_xasprintf("%s/gpu/frequency", d->agent_url);
		h[i] = curl_easy_init();
		curl_easy_setopt(h[i], CURLOPT_URL, url);
		curl_easy_setopt(h[i], CURLOPT_CUSTOMREQUEST, "DELETE");
		curl_easy_setopt(h[i], CURLOPT_TIMEOUT_MS, RELEASE_TIMEOUT_MS);
		curl_easy_setopt(h[i], CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h[i], CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(h[i], CURLOPT_PRIVATE, (void *)i);
		if (hdrs)
			curl_easy_setopt(h[i], CURLOPT_HTTPHEADER, hdrs);
		free(url);
		curl_multi_add_handle(m, h[i]);
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
		size_t i = (size_t)priv;
		const char *name = lv->cluster->devices[i].name;
		if (msg->data.result == CURLE_OK && code >= 200 && code < 300) {
			lv->devs[i].owned_clock = 0;
			live_note(lv, LV_LOG_INFO, name, "clock released to the governor");
		} else {
			live_note(lv, LV_LOG_WARN, name, "could not release the clock: %s",
			          msg->data.result != CURLE_OK
			              ? curl_easy_strerror(msg->data.result)
			              : "the agent refused");
		}
	}
	for (size_t i = 0; i < n; i++)
		if (h[i]) {
			curl_multi_remove_handle(m, h[i]);
			curl_easy_cleanup(h[i]);
		}
	curl_multi_cleanup(m);
	curl_slist_free_all(hdrs);
	free(h);
}
