/*
 * live_http: the transport — the live runtime's HTTP exchanges on the
 * engine thread's libcurl multi handle: inference and shared-memory
 * registrations on Triton (KServe v2), clock changes and telemetry on the
 * agent, health probes. CURLcode and HTTP details stop here: a transfer's
 * creator gets ok/failed, the HTTP status and a message, through the
 * completion it gave the transfer (struct xfer_ops, live_state.h). This
 * file calls no other live file: what a finished transfer means is its
 * creator's business.
 *
 * An inference request body is the JSON header followed by each frame's
 * FP32 tensor, streamed from the requests by the read callback (no copy of
 * the ~1 MB per frame); the response is kept whole, with its
 * Inference-Header-Content-Length, for live_infer.c to decode. Easy
 * handles are pooled; the multi handle keeps connections to each device
 * alive between requests.
 *
 * Security: every request to a device's agent carries the bearer token (an
 * agent beyond loopback wants it for everything but /healthz), also the
 * Triton requests when the agent is the device's Triton (an emulated one);
 * a Triton of its own never sees it. https:// peers are always verified,
 * against the device's CA file when the cluster file names one (the site CA
 * of the setup playbooks), else the system's; a peer that fails is an error
 * naming why (curl's "SSL certificate problem: ..."), never a silent
 * fallback.
 */
#include "live_internal.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/cluster.h"
#include "base/util.h"

#define POOL_MAX 64

struct xfer *live_xfer_new(enum xfer_kind kind, int device, const struct xfer_ops *ops)
{
	assert(ops);
	struct xfer *x = lv_xcalloc(1, sizeof(*x));
	x->kind = kind;
	x->device = device;
	x->ops = ops;
	x->infer_hdr_len = -1;
	return x;
}

static void unlink_active(struct lv_live *lv, struct xfer *x)
{
	if (x->aprev)
		x->aprev->anext = x->anext;
	else if (lv->active == x)
		lv->active = x->anext;
	if (x->anext)
		x->anext->aprev = x->aprev;
	x->aprev = x->anext = NULL;
}

void live_xfer_free(struct lv_live *lv, struct xfer *x)
{
	if (!x)
		return;
	if (x->h) {
		curl_multi_remove_handle(lv->multi, x->h);
		unlink_active(lv, x);
		lv->n_xfers--;
		if (lv->n_pool < POOL_MAX) {
			if (lv->n_pool == lv->cap_pool) {
				lv->cap_pool = lv->cap_pool ? lv->cap_pool * 2 : 16;
				lv->pool = lv_xrealloc(lv->pool, lv->cap_pool * sizeof(CURL *));
			}
			curl_easy_reset(x->h);
			lv->pool[lv->n_pool++] = x->h;
		} else {
			curl_easy_cleanup(x->h);
		}
	}
	if (x->ops->release)
		x->ops->release(lv, x);
	curl_slist_free_all(x->hdrs);
	lv_buf_fini(&x->resp);
	free(x->body_json);
	free(x->tensors);
	free(x->frame_len);
	free(x->prefix);
	free(x->frame_ids);
	free(x);
}

static size_t on_body(char *ptr, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	lv_buf_append(&x->resp, ptr, size * n);
	return size * n;
}

static size_t on_header(char *ptr, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	static const char name[] = "Inference-Header-Content-Length:";
	if (len > sizeof(name) - 1 && !strncasecmp(ptr, name, sizeof(name) - 1)) {
		char buf[32];
		size_t k = len - (sizeof(name) - 1);
		if (k >= sizeof(buf))
			k = sizeof(buf) - 1;
		memcpy(buf, ptr + sizeof(name) - 1, k);
		buf[k] = '\0';
		x->infer_hdr_len = strtol(buf, NULL, 10);
	}
	return len;
}

/* Streams the body: the JSON header, then each frame (zeros for a frame without pixels). */
static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t room = size * n, put = 0;
	while (put < room && x->body_pos < x->body_len) {
		size_t pos = x->body_pos, chunk;
		if (pos < x->json_len) {
			chunk = x->json_len - pos;
			if (chunk > room - put)
				chunk = room - put;
			memcpy(buf + put, x->body_json + pos, chunk);
		} else if (x->frame_len) {
			size_t off = pos - x->json_len;
			if (off < x->seg_at) /* rewound: start over */
				x->seg_f = x->seg_at = 0;
			while (off >= x->seg_at + x->frame_len[x->seg_f])
				x->seg_at += x->frame_len[x->seg_f++];
			size_t in = off - x->seg_at;
			chunk = in < 4 ? 4 - in : x->frame_len[x->seg_f] - in;
			if (chunk > room - put)
				chunk = room - put;
			memcpy(buf + put,
			       in < 4 ? x->prefix[x->seg_f] + in
			              : (const unsigned char *)x->tensors[x->seg_f] + (in - 4),
			       chunk);
		} else {
			size_t off = pos - x->json_len;
			size_t f = off / x->frame_bytes, in = off % x->frame_bytes;
			chunk = x->frame_bytes - in;
			if (chunk > room - put)
				chunk = room - put;
			if (x->tensors[f])
				memcpy(buf + put, (const char *)x->tensors[f] + in, chunk);
			else
				memset(buf + put, 0, chunk);
		}
		put += chunk;
		x->body_pos += chunk;
	}
	return put;
}

static CURL *take_handle(struct lv_live *lv)
{
	if (lv->n_pool > 0)
		return lv->pool[--lv->n_pool];
	CURL *h = curl_easy_init();
	if (!h)
		abort(); /* out of memory, as lv_xmalloc */
	return h;
}

static const char *base_url(const struct lv_live *lv, const struct xfer *x)
{
	const struct lv_device *d = &lv->cluster->devices[x->device];
	int triton = x->kind == XF_INFER || x->kind == XF_SHM_REG || x->kind == XF_SHM_UNREG ||
	             (x->kind == XF_PROBE && x->probe_stage != PROBE_AGENT) || !d->agent_url;
	return triton ? lv_device_triton_url(d) : d->agent_url;
}

/* Whether base is the device's agent: requests there carry the token. */
static int is_agent(const struct lv_device *d, const char *base)
{
	return base && d->agent_url && (base == d->agent_url || !strcmp(base, d->agent_url));
}

/* TLS: verify the peer and its name, against the device's CA file if it has one. */
static void set_tls(CURL *h, const struct lv_device *d)
{
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (d->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, d->ca_file);
}

/* Sets the transfer's method, URL, headers and body. */
static void describe(struct lv_live *lv, struct xfer *x, CURL *h)
{
	const struct lv_device *d = &lv->cluster->devices[x->device];
	const char *base = base_url(lv, x);
	char *url = NULL;
	switch (x->kind) {
	case XF_INFER: {
		/* Other formats go to the model's ensemble for them: <model>_uint8, _jpeg. */
		url = x->wire == LV_WIRE_FP32
		          ? lv_xasprintf("%s/v2/models/%s/infer", base, lv->cfg.model.name)
		          : lv_xasprintf("%s/v2/models/%s_%s/infer", base, lv->cfg.model.name,
		                         lv_wire_name(x->wire));
		char hl[80];
		snprintf(hl, sizeof(hl), "Inference-Header-Content-Length: %zu", x->json_len);
		x->hdrs = curl_slist_append(x->hdrs, "Content-Type: application/octet-stream");
		x->hdrs = curl_slist_append(x->hdrs, hl);
		x->hdrs = curl_slist_append(x->hdrs, "Expect:");
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, x);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
		/*
		 * A frame is ~1 MB: read it in pieces of 256 KB (libcurl's default is 64
		 * KB). Not 1 MB: libcurl allocates the buffer for every transfer and
		 * frees it at the end, and a 1 MB one came back from the kernel as fresh
		 * pages each time (about 25 page faults per frame; the engine thread's
		 * CPU per frame measured 0.55 ms at 256 KB against 0.77-0.98 at 1 MB).
		 */
		curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 256L * 1024);
		curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
		break;
	}
	case XF_CLOCK:
		url = lv_xasprintf("%s/gpu/frequency", base);
		x->body_json = lv_xasprintf("{\"hz\": %llu%s}", (unsigned long long)x->put_hz,
		                            x->put_now ? ", \"now\": true" : "");
		x->json_len = strlen(x->body_json);
		x->hdrs = curl_slist_append(x->hdrs, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, x->body_json);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)x->json_len);
		break;
	case XF_SHM_REG:
		url =
		    lv_xasprintf("%s/v2/systemsharedmemory/region/%s/register", base, x->shm_name);
		x->body_json = lv_xasprintf("{\"key\":\"/%s\",\"offset\":0,\"byte_size\":%zu}",
		                            x->shm_name, x->shm_size);
		x->json_len = strlen(x->body_json);
		x->hdrs = curl_slist_append(x->hdrs, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, x->body_json);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)x->json_len);
		break;
	case XF_SHM_UNREG:
		url = lv_xasprintf("%s/v2/systemsharedmemory/region/%s/unregister", base,
		                   x->shm_name);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
		break;
	case XF_TELEMETRY: url = lv_xasprintf("%s/telemetry", base); break;
	case XF_PROBE:
		if (x->probe_stage == PROBE_MODEL)
			url = lv_xasprintf("%s/v2/models/%s/ready", base, lv->cfg.model.name);
		else if (x->probe_stage == PROBE_INDEX)
			url = lv_xasprintf("%s/v2/repository/index", base);
		else
			url = lv_xasprintf("%s%s", base,
			                   x->probe_stage == PROBE_TRITON ? "/v2/health/ready"
			                                                  : "/healthz");
		if (x->probe_stage == PROBE_INDEX) {
			x->hdrs = curl_slist_append(x->hdrs, "Content-Type: application/json");
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, "{}");
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 2L);
		}
		break;
	}
	if (lv->auth && is_agent(d, base))
		x->hdrs = curl_slist_append(x->hdrs, lv->auth);
	curl_easy_setopt(h, CURLOPT_URL, url);
	free(url);
	set_tls(h, d);
	if (x->hdrs)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->hdrs);
}

/* Starts x with a timeout of timeout_s. 0, or LV_ELIB (x->errbuf says why). */
int live_xfer_start(struct lv_live *lv, struct xfer *x, double timeout_s)
{
	CURL *h = take_handle(lv);
	x->errbuf[0] = '\0';
	describe(lv, x, h);
	curl_easy_setopt(h, CURLOPT_PRIVATE, x);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)ceil(timeout_s * 1000.0));
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	CURLMcode mc = curl_multi_add_handle(lv->multi, h);
	if (mc != CURLM_OK) {
		snprintf(x->errbuf, sizeof(x->errbuf), "curl: %s", curl_multi_strerror(mc));
		curl_easy_cleanup(h);
		return LV_ELIB;
	}
	x->h = h;
	x->anext = lv->active;
	if (lv->active)
		lv->active->aprev = x;
	lv->active = x;
	lv->n_xfers++;
	return LV_OK;
}

void live_xfer_defer(struct lv_live *lv, struct xfer *x)
{
	x->next = lv->deferred;
	lv->deferred = x;
}

/* x ended: its creator's completion, then x is freed. */
static void finish(struct lv_live *lv, struct xfer *x, int ok, long code, const char *err,
                   double now)
{
	if (x->ops->done)
		x->ops->done(lv, x, ok, code, err, now);
	live_xfer_free(lv, x);
}

/* Collects finished transfers (and those deferred) and finishes each. */
void live_xfers_done(struct lv_live *lv, double now)
{
	while (lv->deferred) {
		struct xfer *x = lv->deferred;
		lv->deferred = x->next;
		x->next = NULL;
		finish(lv, x, 0, 0, x->errbuf, now);
	}
	CURLMsg *m;
	int left = 0;
	while ((m = curl_multi_info_read(lv->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct xfer *x = NULL;
		CURLcode rc = m->data.result;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		long code = 0;
		curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
		char err[CURL_ERROR_SIZE + 32];
		if (rc != CURLE_OK)
			snprintf(err, sizeof(err), "%s",
			         x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
		else
			err[0] = '\0';
		int timed_out = rc == CURLE_OPERATION_TIMEDOUT;
		x->timed_out = timed_out;
		finish(lv, x, rc == CURLE_OK, code, err, now);
	}
}

/* Removes every transfer started or deferred, without completing it (shutdown). */
void live_xfers_abort(struct lv_live *lv)
{
	while (lv->active)
		live_xfer_free(lv, lv->active);
	while (lv->deferred) {
		struct xfer *x = lv->deferred;
		lv->deferred = x->next;
		live_xfer_free(lv, x);
	}
}

void live_http_fini(struct lv_live *lv)
{
	live_xfers_abort(lv);
	for (size_t i = 0; i < lv->n_pool; i++)
		curl_easy_cleanup(lv->pool[i]);
	free(lv->pool);
	lv->pool = NULL;
	lv->n_pool = lv->cap_pool = 0;
}
