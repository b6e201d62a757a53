/*
 * profile_http: the profiler's conversation with one device, synchronous
 * over one libcurl easy handle (a sweep sends one request at a time, so
 * there is nothing to multiplex): pin and release the GPU clock, read the
 * cumulative-energy telemetry, and send a KServe v2 inference request with
 * the binary tensor extension, timing it on CLOCK_MONOTONIC from the first
 * byte sent to the last byte received. Every failure names the URL.
 * `loudva --batch` uses the same client to check a running cluster's
 * devices and to release and restore their clocks (batch_cluster.c).
 */
#include "profile_run.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/util.h"

struct lv_prof_http {
	CURL *h;
	char *agent, *triton, *model;
	char *auth;    /* "Authorization: Bearer ..." or NULL */
	char *ca_file; /* CA certificates for https:// endpoints, or NULL: the system's */
	char err[CURL_ERROR_SIZE];
	struct lv_buf resp; /* the last answer's body */
	long status;        /* of the last exchange; 0 when there was no answer */
};

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
	struct lv_prof_http *h = ud;
	lv_buf_append(&h->resp, p, sz * n);
	return sz * n;
}

struct lv_prof_http *lv_prof_http_new(const char *agent_url, const char *triton_url,
                                      const char *token, const char *ca_file, const char *model)
{
	struct lv_prof_http *h = lv_xcalloc(1, sizeof(*h));
	h->h = curl_easy_init();
	if (!h->h) {
		free(h);
		return NULL;
	}
	h->agent = lv_xstrdup(agent_url);
	h->triton = lv_xstrdup(triton_url ? triton_url : agent_url);
	h->model = lv_xstrdup(model);
	h->auth = token ? lv_xasprintf("Authorization: Bearer %s", token) : NULL;
	h->ca_file = ca_file ? lv_xstrdup(ca_file) : NULL;
	return h;
}

void lv_prof_http_free(struct lv_prof_http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->h);
	free(h->agent);
	free(h->triton);
	free(h->model);
	free(h->auth);
	free(h->ca_file);
	lv_buf_fini(&h->resp);
	free(h);
}

/* One exchange; the body stays in h->resp. 0, or LV_EIO naming the URL. */
static int exchange(struct lv_prof_http *h, const char *method, const char *url,
                    struct curl_slist *hdrs, const char *body, size_t body_len, double timeout_s,
                    char **why)
{
	CURL *c = h->h;
	curl_easy_reset(c);
	h->resp.len = 0;
	h->status = 0;
	h->err[0] = '\0';
	if (h->resp.p)
		h->resp.p[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->err);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeout_s * 1e3));
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	/* https:// endpoints are always verified, against the cluster's CA when it names one. */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}
	if (hdrs)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	CURLcode rc = curl_easy_perform(c);
	if (rc != CURLE_OK)
		return lv_fail(why, LV_EIO, "%s %s: %s", method, url,
		               h->err[0] ? h->err : curl_easy_strerror(rc));
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	h->status = code;
	if (code < 200 || code >= 300)
		return lv_fail(why, LV_EIO, "%s %s: HTTP %ld: %.200s", method, url, code,
		               h->resp.p ? h->resp.p : "");
	return LV_OK;
}

/*
 * The token for a Triton request when Triton is the agent's own endpoint (an
 * emulated agent answers both, and wants the token beyond loopback); a
 * Triton server of its own never gets the agents' token.
 */
static struct curl_slist *triton_auth(const struct lv_prof_http *h, struct curl_slist *hdrs)
{
	if (h->auth && !strcmp(h->triton, h->agent))
		hdrs = curl_slist_append(hdrs, h->auth);
	return hdrs;
}

/* An agent request with the bearer token and an optional JSON body. */
static int agent_call(struct lv_prof_http *h, const char *method, const char *path,
                      const char *json, char **why)
{
	struct curl_slist *hdrs = NULL;
	if (h->auth)
		hdrs = curl_slist_append(hdrs, h->auth);
	if (json)
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	char *url = lv_xasprintf("%s%s", h->agent, path);
	int rc = exchange(h, method, url, hdrs, json, json ? strlen(json) : 0, 10.0, why);
	free(url);
	curl_slist_free_all(hdrs);
	return rc;
}

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

int lv_prof_http_pin(struct lv_prof_http *h, uint64_t hz, double timeout_s, char **why)
{
	char body[64];
	snprintf(body, sizeof(body), "{\"hz\": %llu}", (unsigned long long)hz);
	int rc = agent_call(h, "PUT", "/gpu/frequency", body, why);
	if (rc)
		return rc;
	double until = lv_mono_s() + timeout_s;
	for (;;) {
		rc = agent_call(h, "GET", "/gpu/frequency", NULL, why);
		if (rc)
			return rc;
		cJSON *o = cJSON_Parse(h->resp.p ? h->resp.p : "");
		double now_hz = num(o, "freq_hz");
		cJSON_Delete(o);
		if (now_hz == (double)hz)
			return LV_OK;
		if (lv_mono_s() > until)
			return lv_fail(why, LV_EIO, "%s: the clock never reached %llu Hz", h->agent,
			               (unsigned long long)hz);
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

int lv_prof_http_get(struct lv_prof_http *h, int triton, const char *path, const char **body,
                     char **why)
{
	int rc;
	if (triton) {
		struct curl_slist *hdrs = triton_auth(h, NULL);
		char *url = lv_xasprintf("%s%s", h->triton, path);
		rc = exchange(h, "GET", url, hdrs, NULL, 0, 10.0, why);
		free(url);
		curl_slist_free_all(hdrs);
	} else {
		rc = agent_call(h, "GET", path, NULL, why);
	}
	if (body)
		*body = h->resp.p ? h->resp.p : "";
	return rc;
}

long lv_prof_http_status(const struct lv_prof_http *h)
{
	return h->status;
}

int lv_prof_http_release(struct lv_prof_http *h, char **why)
{
	return agent_call(h, "DELETE", "/gpu/frequency", NULL, why);
}

int lv_prof_http_telemetry(struct lv_prof_http *h, double *energy_j, double *power_w, char **why)
{
	int rc = agent_call(h, "GET", "/telemetry", NULL, why);
	if (rc)
		return rc;
	cJSON *o = cJSON_Parse(h->resp.p ? h->resp.p : "");
	*energy_j = num(o, "energy_j");
	*power_w = num(o, "power_w");
	cJSON_Delete(o);
	if (!isfinite(*energy_j) || !isfinite(*power_w))
		return lv_fail(why, LV_EIO, "%s/telemetry: no energy_j or power_w", h->agent);
	return LV_OK;
}

int lv_prof_http_infer(struct lv_prof_http *h, const char *model, const char *body, size_t body_len,
                       size_t json_len, double *latency_s, double *compute_s, char **why)
{
	char ihcl[64];
	snprintf(ihcl, sizeof(ihcl), "Inference-Header-Content-Length: %zu", json_len);
	struct curl_slist *hdrs = curl_slist_append(NULL, ihcl);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/octet-stream");
	hdrs = curl_slist_append(hdrs, "Expect:");
	hdrs = triton_auth(h, hdrs);
	if (!model)
		model = h->model;
	char *url = lv_xasprintf("%s/v2/models/%s/infer", h->triton, model);
	double t0 = lv_mono_s();
	int rc = exchange(h, "POST", url, hdrs, body, body_len, 60.0, why);
	*latency_s = lv_mono_s() - t0;
	free(url);
	curl_slist_free_all(hdrs);
	if (rc)
		return rc;
	/* The JSON header comes first; binary outputs after it are ignored. */
	cJSON *o = cJSON_ParseWithLengthOpts(h->resp.p ? h->resp.p : "", h->resp.len, NULL, 0);
	const cJSON *par = cJSON_GetObjectItemCaseSensitive(o, "parameters");
	*compute_s = num(par, "compute_s");
	int ok = cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, "outputs"));
	cJSON_Delete(o);
	if (!ok)
		return lv_fail(why, LV_EIO, "%s/v2/models/%s/infer: the answer has no outputs",
		               h->triton, model);
	return LV_OK;
}

int lv_prof_http_stats(struct lv_prof_http *h, const char *model, double *count, double *ns,
                       char **why)
{
	char *path = lv_xasprintf("/v2/models/%s/stats", model);
	const char *body = NULL;
	int rc = lv_prof_http_get(h, 1, path, &body, why);
	*count = *ns = NAN;
	if (rc == LV_OK) {
		cJSON *o = cJSON_Parse(body);
		const cJSON *st =
		    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "model_stats"), 0);
		const cJSON *ok = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(st, "inference_stats"), "success");
		*count = num(ok, "count");
		*ns = num(ok, "ns");
		cJSON_Delete(o);
		if (!isfinite(*count) || !isfinite(*ns))
			rc = lv_fail(why, LV_EIO, "%s%s: no inference_stats.success count and ns",
			             h->triton, path);
	}
	free(path);
	return rc;
}
