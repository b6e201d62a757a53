/*
 * test_frontend: the HTTP front end over real loopback HTTP (libcurl and raw
 * sockets), against a stand-in consumer: a thread that answers each request
 * at once with results we can predict — frame i's top_class is the red value
 * of the first pixel of image i, recovered from its tensor (so results come
 * back in image order, and preprocessing reached the consumer), its score is
 * the budget it got. Bad requests must be answered 400/413 with a reason
 * and never reach the consumer. Also: /status, /metrics, /healthz, a slow
 * client that must not block others, the connection limit and timeout, and
 * the load generator replaying a small trace. Admission: eviction when full,
 * the per-client limit, the header and body deadlines, the byte budget, the
 * pixel limit, and the budget clock starting when the headers arrived.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "front/frontend.h"
#include "front/image.h"
#include "harness/loadgen.h"
#include "live/live.h"
#include "front/prom.h"
#include "model/trace.h"
#include "base/clock.h"
#include "base/util.h"

#define SIDE 299

/* ---- the stand-in consumer --------------------------------------------- */

struct consumer {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct lv_live_request *head, *tail;
	int stop;
	pthread_t th;
	unsigned requests, frames; /* seen */
	double last_budget;
	double last_arrival_s; /* the last request's arrival_mono_s, as handed over */
	double last_submit_s;  /* lv_mono_s() when it was handed over */
	double reject_budget;  /* a request with this budget is refused */
	int snap_gets, snap_puts;
	struct lv_snapshot snap;
	struct lv_snap_device dev;
};

static struct lv_live_request *req_new(uint32_t n, double budget_s, size_t floats)
{
	struct lv_live_request *r = lv_xcalloc(1, sizeof *r);
	r->n_frames = n;
	r->budget_s = budget_s;
	r->tensors = lv_xcalloc(n, sizeof(float *));
	for (uint32_t i = 0; i < n && floats; i++)
		r->tensors[i] = lv_xmalloc(floats * sizeof(float));
	r->results = lv_xcalloc(n, sizeof *r->results);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	return r;
}

static void req_wait(struct lv_live_request *r)
{
	pthread_mutex_lock(&r->mu);
	while (!r->done)
		pthread_cond_wait(&r->cv, &r->mu);
	pthread_mutex_unlock(&r->mu);
}

static void req_free(struct lv_live_request *r)
{
	for (uint32_t i = 0; i < r->n_frames; i++) {
		free(r->tensors[i]);
		free(r->pixels ? r->pixels[i] : NULL);
		free(r->jpegs ? r->jpegs[i] : NULL);
	}
	free(r->tensors);
	free(r->pixels);
	free(r->jpegs);
	free(r->jpeg_lens);
	free(r->results);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}

static void complete(struct consumer *st, struct lv_live_request *r)
{
	int refuse = r->budget_s == st->reject_budget;
	for (uint32_t i = 0; i < r->n_frames; i++) {
		struct lv_live_frame_result *f = &r->results[i];
		memset(f, 0, sizeof *f);
		f->arrival_s = 1.0;
		f->top_class = -1;
		f->queue_exit_s = NAN;
		if (refuse) {
			f->state = LV_FRAME_REJECTED;
			strcpy(f->reason, "queue full");
			f->done_s = 1.0;
			continue;
		}
		f->state = LV_FRAME_OK;
		strcpy(f->device, "dev0");
		f->freq_hz = 921600000;
		f->batch = (int)r->n_frames;
		f->queue_exit_s = 1.25;
		f->done_s = 1.5;
		f->latency_s = 0.5;
		/*
		 * The frame as the consumer got it: the first value of its tensor,
		 * else of its uint8 pixels; a JPEG alone (no decoding at all) gives
		 * 10000 + its size.
		 */
		if (r->tensors[i])
			f->top_class = (int)lround(((double)r->tensors[i][0] + 1.0) * 127.5);
		else if (r->pixels && r->pixels[i])
			f->top_class = r->pixels[i][0];
		else if (r->jpegs && r->jpegs[i])
			f->top_class = 10000 + (int)r->jpeg_lens[i];
		f->top_score = isnan(r->budget_s) ? -1.0f : (float)r->budget_s;
	}
	pthread_mutex_lock(&r->mu);
	r->n_final = r->n_frames;
	r->done = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static void *consumer_main(void *arg)
{
	struct consumer *st = arg;
	pthread_mutex_lock(&st->mu);
	for (;;) {
		while (!st->head && !st->stop)
			pthread_cond_wait(&st->cv, &st->mu);
		if (!st->head)
			break;
		struct lv_live_request *r = st->head;
		st->head = r->next;
		if (!st->head)
			st->tail = NULL;
		st->requests++;
		st->frames += r->n_frames;
		st->last_budget = r->budget_s;
		pthread_mutex_unlock(&st->mu);
		complete(st, r);
		pthread_mutex_lock(&st->mu);
	}
	pthread_mutex_unlock(&st->mu);
	return NULL;
}

static void consumer_submit(void *arg, struct lv_live_request *r)
{
	struct consumer *st = arg;
	pthread_mutex_lock(&st->mu);
	st->last_arrival_s = r->arrival_mono_s;
	st->last_submit_s = lv_mono_s();
	r->next = NULL;
	if (st->tail)
		st->tail->next = r;
	else
		st->head = r;
	st->tail = r;
	pthread_cond_signal(&st->cv);
	pthread_mutex_unlock(&st->mu);
}

static const struct lv_snapshot *consumer_get(void *arg)
{
	struct consumer *st = arg;
	pthread_mutex_lock(&st->mu);
	st->snap_gets++;
	pthread_mutex_unlock(&st->mu);
	return &st->snap;
}

static void consumer_put(void *arg, const struct lv_snapshot *s)
{
	struct consumer *st = arg;
	assert_ptr_equal(s, &st->snap);
	pthread_mutex_lock(&st->mu);
	st->snap_puts++;
	pthread_mutex_unlock(&st->mu);
}

static const struct lv_frontend_ops consumer_ops = {
	.name = "test-consumer",
	.request_new = req_new,
	.submit = consumer_submit,
	.request_wait = req_wait,
	.request_free = req_free,
	.snapshot_get = consumer_get,
	.snapshot_put = consumer_put,
};

static const struct lv_model_info model = {
	.name = "inception_graphdef",
	.height = SIDE,
	.width = SIDE,
	.channels = 3,
	.classes = 1001,
	.max_batch = 8,
};

struct fixture {
	struct consumer st;
	struct lv_frontend *fe;
	char base[64];
};

static struct fixture *fixture_new(const struct lv_frontend_limits *lim)
{
	struct fixture *f = lv_xcalloc(1, sizeof *f);
	pthread_mutex_init(&f->st.mu, NULL);
	pthread_cond_init(&f->st.cv, NULL);
	f->st.reject_budget = 0.125;
	strcpy(f->st.snap.policy, "test-policy");
	strcpy(f->st.snap.cluster, "bench");
	f->st.snap.counts.received = 9;
	f->st.snap.counts.by_state[LV_FRAME_OK] = 9;
	f->st.snap.lat_bounds_s[LV_SNAP_LAT_BUCKETS - 1] = INFINITY;
	strcpy(f->st.dev.name, "dev0");
	strcpy(f->st.dev.kind, "nano");
	f->st.snap.devices = &f->st.dev;
	f->st.snap.n_devices = 1;
	pthread_create(&f->st.th, NULL, consumer_main, &f->st);
	char *why = NULL;
	f->fe = lv_frontend_new(&consumer_ops, &f->st, &model, "127.0.0.1:0", lim, &why);
	if (!f->fe)
		fail_msg("frontend: %s", why);
	assert_true(lv_frontend_port(f->fe) > 0);
	snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u", lv_frontend_port(f->fe));
	return f;
}

static void fixture_free(struct fixture *f)
{
	lv_frontend_stop(f->fe);
	pthread_mutex_lock(&f->st.mu);
	f->st.stop = 1;
	pthread_cond_signal(&f->st.cv);
	pthread_mutex_unlock(&f->st.mu);
	pthread_join(f->st.th, NULL);
	assert_int_equal(f->st.snap_gets, f->st.snap_puts);
	pthread_mutex_destroy(&f->st.mu);
	pthread_cond_destroy(&f->st.cv);
	free(f);
}

static void test_limits(struct lv_frontend_limits *lim)
{
	lv_frontend_limits_default(lim);
	lim->max_images = 4;
	lim->max_image_bytes = 200 * 1024;
	lim->max_body_bytes = 1024 * 1024;
	lim->max_connections = 32;
	lim->timeout_s = 2;
}

static int setup(void **state)
{
	struct lv_frontend_limits lim;
	test_limits(&lim);
	*state = fixture_new(&lim);
	return 0;
}

/* One request decoding at a time: the others queue at the decode gate. */
static int setup_one_decoder(void **state)
{
	struct lv_frontend_limits lim;
	test_limits(&lim);
	lim.max_decoders = 1;
	*state = fixture_new(&lim);
	return 0;
}

static int teardown(void **state)
{
	fixture_free(*state);
	return 0;
}

/* ---- HTTP helpers ------------------------------------------------------ */

struct resp {
	CURLcode cc;
	long code;
	char ctype[128];
	char allow[64];       /* the Allow header, "" when none */
	char retry_after[16]; /* the Retry-After header, "" when none */
	char *body;
	size_t len;
	cJSON *json;
};

struct part {
	const char *name;
	const void *data;
	size_t len;
	const char *filename; /* NULL: a plain field */
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct resp *r = arg;
	r->body = lv_xrealloc(r->body, r->len + size * n + 1);
	memcpy(r->body + r->len, p, size * n);
	r->len += size * n;
	r->body[r->len] = '\0';
	return size * n;
}

/* The value of header `name` (with its colon) if line p is that header, into out. */
static void header_value(const char *p, size_t len, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	if (len <= nl || strncasecmp(p, name, nl) != 0)
		return;
	const char *v = p + nl;
	while (*v == ' ')
		v++;
	size_t vl = (size_t)(p + len - v);
	while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
		vl--;
	snprintf(out, cap, "%.*s", (int)vl, v);
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct resp *r = arg;
	size_t len = size * n;
	header_value(p, len, "Allow:", r->allow, sizeof r->allow);
	header_value(p, len, "Retry-After:", r->retry_after, sizeof r->retry_after);
	return len;
}

static void perform(CURL *e, struct resp *r)
{
	char *ct = NULL;
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	r->cc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->code);
	curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ct);
	snprintf(r->ctype, sizeof r->ctype, "%s", ct ? ct : "");
	r->json = r->body ? cJSON_Parse(r->body) : NULL;
}

static void resp_fini(struct resp *r)
{
	free(r->body);
	cJSON_Delete(r->json);
	memset(r, 0, sizeof *r);
}

static void post(const struct fixture *f, const struct part *parts, size_t n,
                 struct curl_slist *hdrs, struct resp *r)
{
	CURL *e = curl_easy_init();
	curl_mime *m = curl_mime_init(e);
	char url[128];
	snprintf(url, sizeof url, "%s/inference", f->base);
	for (size_t i = 0; i < n; i++) {
		curl_mimepart *p = curl_mime_addpart(m);
		curl_mime_name(p, parts[i].name);
		curl_mime_data(p, parts[i].data, parts[i].len);
		if (parts[i].filename)
			curl_mime_filename(p, parts[i].filename);
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_MIMEPOST, m);
	if (hdrs)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
	memset(r, 0, sizeof *r);
	perform(e, r);
	curl_mime_free(m);
	curl_easy_cleanup(e);
}

/* A request from loopback address src (NULL: the default, 127.0.0.1). */
static void request_from(const struct fixture *f, const char *method, const char *path,
                         const char *src, struct resp *r)
{
	CURL *e = curl_easy_init();
	char url[128];
	snprintf(url, sizeof url, "%s%s", f->base, path);
	curl_easy_setopt(e, CURLOPT_URL, url);
	if (src)
		curl_easy_setopt(e, CURLOPT_INTERFACE, src);
	if (!strcmp(method, "POST")) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, "{}");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 2L);
	}
	memset(r, 0, sizeof *r);
	perform(e, r);
	curl_easy_cleanup(e);
}

static void request(const struct fixture *f, const char *method, const char *path, struct resp *r)
{
	request_from(f, method, path, NULL, r);
}

/* A uniform grey JPEG (4:4:4, q95): its first pixel decodes to `grey` exactly. */
static unsigned char *grey_jpeg(int grey, size_t *len)
{
	uint8_t px[64 * 48 * 3];
	memset(px, grey, sizeof px);
	char *why = NULL;
	unsigned char *j = lv_image_encode_jpeg(px, 64, 48, 95, 0, len, &why);
	assert_non_null(j);
	return j;
}

static const char *error_of(const struct resp *r)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(r->json, "error");
	return cJSON_IsString(e) ? e->valuestring : "";
}

static unsigned seen(struct fixture *f)
{
	pthread_mutex_lock(&f->st.mu);
	unsigned n = f->st.requests;
	pthread_mutex_unlock(&f->st.mu);
	return n;
}

/* ---- /inference: good requests ----------------------------------------- */

static void test_three_jpegs_in_order(void **state)
{
	struct fixture *f = *state;
	const int greys[3] = { 10, 100, 200 };
	unsigned char *img[3];
	size_t len[3];
	struct part parts[4];
	for (int i = 0; i < 3; i++) {
		img[i] = grey_jpeg(greys[i], &len[i]);
		parts[i] = (struct part){ "images", img[i], len[i], "f.jpg" };
	}
	parts[3] = (struct part){ "latency", "2.5", 3, NULL };
	struct resp r;
	post(f, parts, 4, NULL, &r);
	assert_int_equal(r.cc, CURLE_OK);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.ctype, "application/json");
	assert_non_null(r.json);
	assert_string_equal(cJSON_GetObjectItem(r.json, "status")->valuestring, "completed");
	const cJSON *res = cJSON_GetObjectItem(r.json, "results");
	assert_int_equal(cJSON_GetArraySize(res), 3);
	for (int i = 0; i < 3; i++) {
		const cJSON *o = cJSON_GetArrayItem(res, i);
		assert_int_equal(cJSON_GetObjectItem(o, "image")->valueint, i);
		assert_string_equal(cJSON_GetObjectItem(o, "state")->valuestring, "ok");
		assert_string_equal(cJSON_GetObjectItem(o, "device")->valuestring, "dev0");
		assert_int_equal(cJSON_GetObjectItem(o, "top_class")->valueint, greys[i]);
		assert_true(cJSON_GetObjectItem(o, "score")->valuedouble == 2.5);
		assert_true(cJSON_GetObjectItem(o, "queue_exit_s")->valuedouble == 1.25);
		assert_true(cJSON_GetObjectItem(o, "completion_s")->valuedouble == 1.5);
		assert_true(cJSON_GetObjectItem(o, "latency_s")->valuedouble == 0.5);
		assert_int_equal(cJSON_GetObjectItem(o, "batch")->valueint, 3);
		assert_null(cJSON_GetObjectItem(o, "reason"));
	}
	resp_fini(&r);
	assert_int_equal(seen(f), 1);
	assert_int_equal(f->st.frames, 3);
	assert_true(f->st.last_budget == 2.5);

	/* No latency field: the engine's default (NAN) reaches the consumer. One PNG. */
	uint8_t px[8 * 8 * 3];
	memset(px, 33, sizeof px);
	size_t plen;
	char *why = NULL;
	unsigned char *png = lv_image_encode_png(px, 8, 8, &plen, &why);
	struct part two[2] = { { "images", png, plen, "a.png" },
		               { "images", img[2], len[2], "b" } };
	post(f, two, 2, NULL, &r);
	assert_int_equal(r.code, 200);
	res = cJSON_GetObjectItem(r.json, "results");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(res, 0), "top_class")->valueint,
	                 33);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(res, 1), "top_class")->valueint,
	                 200);
	assert_true(isnan(f->st.last_budget));
	resp_fini(&r);
	free(png);
	for (int i = 0; i < 3; i++)
		free(img[i]);
}

/*
 * Only the formats the devices take are made: uint8 pixels without a
 * tensor, or for jpeg devices the JPEG as posted (a PNG re-encoded).
 */
static void test_wire_formats_prepared(void **state)
{
	(void)state;
	struct lv_frontend_limits lim;
	size_t len, plen;
	char *why = NULL;
	unsigned char *j = grey_jpeg(77, &len);
	uint8_t px[8 * 8 * 3];
	memset(px, 33, sizeof px);
	unsigned char *png = lv_image_encode_png(px, 8, 8, &plen, &why);
	struct part parts[2] = { { "images", j, len, "a.jpg" }, { "images", png, plen, "b.png" } };
	struct resp r;

	test_limits(&lim);
	lim.wires = 1u << LV_WIRE_UINT8;
	struct fixture *f = fixture_new(&lim);
	post(f, parts, 2, NULL, &r);
	assert_int_equal(r.code, 200);
	const cJSON *res = cJSON_GetObjectItem(r.json, "results");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(res, 0), "top_class")->valueint,
	                 77);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(res, 1), "top_class")->valueint,
	                 33);
	resp_fini(&r);
	fixture_free(f);

	lim.wires = 1u << LV_WIRE_JPEG;
	f = fixture_new(&lim);
	post(f, parts, 2, NULL, &r);
	assert_int_equal(r.code, 200);
	res = cJSON_GetObjectItem(r.json, "results");
	/* The JPEG went on byte for byte; the PNG became a JPEG of the model's size. */
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(res, 0), "top_class")->valueint,
	                 10000 + (int)len);
	assert_true(cJSON_GetObjectItem(cJSON_GetArrayItem(res, 1), "top_class")->valueint > 10000);
	resp_fini(&r);
	/* A JPEG whose header does not read is refused there, without a decoder. */
	unsigned char bad[16] = { 0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F' };
	struct part one = { "images", bad, sizeof bad, "c.jpg" };
	post(f, &one, 1, NULL, &r);
	assert_int_equal(r.code, 400);
	assert_non_null(strstr(error_of(&r), "images[0]: "));
	resp_fini(&r);
	fixture_free(f);
	free(png);
	free(j);
}

static void test_all_refused_is_503(void **state)
{
	struct fixture *f = *state;
	size_t len;
	unsigned char *j = grey_jpeg(50, &len);
	struct part parts[2] = { { "images", j, len, "a.jpg" }, { "latency", "0.125", 5, NULL } };
	struct resp r;
	post(f, parts, 2, NULL, &r);
	assert_int_equal(r.code, 503);
	assert_string_equal(cJSON_GetObjectItem(r.json, "status")->valuestring, "rejected");
	assert_string_equal(error_of(&r), "queue full");
	const cJSON *o = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "results"), 0);
	assert_string_equal(cJSON_GetObjectItem(o, "state")->valuestring, "rejected");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "device")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "queue_exit_s")));
	assert_string_equal(cJSON_GetObjectItem(o, "reason")->valuestring, "queue full");
	resp_fini(&r);
	free(j);
}

/* ---- /inference: bad requests ------------------------------------------ */

static void expect_refused(struct fixture *f, const struct part *parts, size_t n,
                           struct curl_slist *hdrs, long code, const char *needle)
{
	unsigned before = seen(f);
	struct resp r;
	post(f, parts, n, hdrs, &r);
	assert_int_equal(r.cc, CURLE_OK);
	if (r.code != code || !strstr(error_of(&r), needle))
		fail_msg("want %ld '%s', got %ld %s", code, needle, r.code, r.body ? r.body : "");
	assert_string_equal(r.ctype, "application/json");
	assert_string_equal(cJSON_GetObjectItem(r.json, "status")->valuestring, "error");
	resp_fini(&r);
	assert_int_equal(seen(f), before);
}

static void test_bad_requests_refused(void **state)
{
	struct fixture *f = *state;
	size_t jl;
	unsigned char *j = grey_jpeg(80, &jl);
	struct part p[6];

	p[0] = (struct part){ "latency", "1", 1, NULL };
	expect_refused(f, p, 1, NULL, 400, "no 'images' part");
	p[0] = (struct part){ "image", j, jl, "a.jpg" }; /* wrong field name */
	expect_refused(f, p, 1, NULL, 400, "no 'images' part");

	p[0] = (struct part){ "images", j, jl, "a.jpg" };
	p[1] = (struct part){ "images", "not a picture", 13, "b.jpg" };
	expect_refused(f, p, 2, NULL, 400, "images[1]: not a JPEG or PNG");
	p[1] = (struct part){ "images", j, jl / 2, "b.jpg" };
	expect_refused(f, p, 2, NULL, 400, "images[1]: JPEG:");
	p[1] = (struct part){ "images", "", 0, "b.jpg" };
	expect_refused(f, p, 2, NULL, 400, "images[1]: empty file");
	/* Two bad ones, decoded side by side: the first is named, as in order. */
	p[0] = (struct part){ "images", "not a picture", 13, "a.jpg" };
	p[1] = (struct part){ "images", j, jl / 2, "b.jpg" };
	expect_refused(f, p, 2, NULL, 400, "images[0]: not a JPEG or PNG");
	p[0] = (struct part){ "images", j, jl, "a.jpg" };

	/* Budgets that are not positive numbers of seconds (more in test_frontend_input.c). */
	const char *bad_budgets[][2] = { { "abc", "is not a plain decimal number" },
		                         { "-1", "is not a plain decimal number" },
		                         { "0", "is not a positive number of seconds" },
		                         { "nan", "is not a plain decimal number" },
		                         { "inf", "is not a plain decimal number" },
		                         { "1e999", "is over the maximum budget of 60 s" },
		                         { "", "is not a number of seconds (empty)" } };
	for (size_t i = 0; i < sizeof bad_budgets / sizeof bad_budgets[0]; i++) {
		p[1] =
		    (struct part){ "latency", bad_budgets[i][0], strlen(bad_budgets[i][0]), NULL };
		expect_refused(f, p, 2, NULL, 400, bad_budgets[i][1]);
	}
	p[1] = (struct part){ "latency", "1", 1, NULL };
	p[2] = (struct part){ "latency", "2", 1, NULL };
	expect_refused(f, p, 3, NULL, 400, "latency: given more than once");

	/* Limits of this fixture: 4 images, 200 KB each, 1 MB in all. */
	for (int i = 0; i < 5; i++)
		p[i] = (struct part){ "images", j, jl, "a.jpg" };
	expect_refused(f, p, 5, NULL, 413, "too many images: more than 4");
	unsigned char *big = lv_xcalloc(1, 300 * 1024);
	memcpy(big, j, jl); /* a JPEG start, then zeros: too big before it is looked at */
	p[1] = (struct part){ "images", big, 300 * 1024, "big.jpg" };
	expect_refused(f, p, 2, NULL, 413, "images[1] is over the limit of 204800 bytes");
	p[1] = (struct part){ "images", j, jl, "a.jpg" };
	p[2] = (struct part){ "notes", big, 300 * 1024, NULL };
	p[3] = (struct part){ "notes", big, 300 * 1024, NULL };
	p[4] = (struct part){ "notes", big, 300 * 1024, NULL };
	p[5] = (struct part){ "notes", big, 300 * 1024, NULL };
	expect_refused(f, p, 6, NULL, 413, "over the limit of 1048576 bytes");
	free(big);

	/* Not multipart at all. */
	unsigned before = seen(f);
	CURL *e = curl_easy_init();
	char url[128];
	snprintf(url, sizeof url, "%s/inference", f->base);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, "images=abc");
	struct resp r = { 0 };
	perform(e, &r);
	curl_easy_cleanup(e);
	assert_int_equal(r.code, 400);
	assert_non_null(strstr(error_of(&r), "expected a multipart/form-data body"));
	resp_fini(&r);
	/* Multipart without a boundary. */
	e = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: multipart/form-data");
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, "--x\r\n");
	perform(e, &r);
	curl_easy_cleanup(e);
	curl_slist_free_all(h);
	assert_int_equal(r.code, 400);
	assert_non_null(strstr(error_of(&r), "(no boundary?)"));
	resp_fini(&r);
	assert_int_equal(seen(f), before);
	free(j);
}

/* A chunked body (no Content-Length) that outgrows the limit is cut off. */
static void test_chunked_over_limit_closed(void **state)
{
	struct fixture *f = *state;
	unsigned char *big = lv_xcalloc(1, 600 * 1024);
	struct part p[2] = { { "notes", big, 600 * 1024, NULL },
		             { "more", big, 600 * 1024, NULL } };
	struct curl_slist *h = curl_slist_append(NULL, "Transfer-Encoding: chunked");
	struct resp r;
	post(f, p, 2, h, &r);
	assert_int_not_equal(r.cc, CURLE_OK);
	resp_fini(&r);
	curl_slist_free_all(h);
	free(big);
	assert_int_equal(seen(f), 0);
}

/* ---- other endpoints --------------------------------------------------- */

static void test_status_metrics_healthz(void **state)
{
	struct fixture *f = *state;
	struct resp r;

	request(f, "GET", "/healthz", &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.body, "ok\n");
	resp_fini(&r);

	request(f, "GET", "/status", &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.ctype, "application/json");
	assert_string_equal(cJSON_GetObjectItem(r.json, "policy")->valuestring, "test-policy");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(r.json, "frames"), "ok")->valueint,
	                 9);
	const cJSON *d = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "devices"), 0);
	assert_string_equal(cJSON_GetObjectItem(d, "name")->valuestring, "dev0");
	resp_fini(&r);

	request(f, "GET", "/metrics", &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.ctype, LV_PROM_CONTENT_TYPE);
	assert_non_null(strstr(r.body, "\nloudva_frames_total{state=\"ok\"} 9\n"));
	assert_non_null(strstr(r.body, "# TYPE loudva_http_requests_total counter\n"));
	/* /healthz and /status were answered before this one. */
	assert_non_null(strstr(r.body, "\nloudva_http_requests_total{code=\"200\"} 2\n"));
	assert_non_null(strstr(r.body, "\nloudva_build_info{version=\""));
	assert_non_null(strstr(r.body, "\nprocess_open_fds "));
	assert_non_null(strstr(r.body, "\nprocess_resident_memory_bytes "));
	resp_fini(&r);

	request(f, "POST", "/status", &r);
	assert_int_equal(r.code, 405);
	assert_non_null(strstr(error_of(&r), "/status wants GET, not POST"));
	assert_string_equal(r.allow, "GET, HEAD");
	resp_fini(&r);
	request(f, "GET", "/inference", &r);
	assert_int_equal(r.code, 405);
	assert_string_equal(r.allow, "POST");
	resp_fini(&r);
	request(f, "GET", "/nope", &r);
	assert_int_equal(r.code, 404);
	assert_non_null(strstr(error_of(&r), "no such endpoint: /nope"));
	resp_fini(&r);
}

static void test_stats_count(void **state)
{
	struct fixture *f = *state;
	size_t jl;
	unsigned char *j = grey_jpeg(1, &jl);
	struct part p[2] = { { "images", j, jl, "a.jpg" }, { "images", "x", 1, "b.jpg" } };
	struct resp r;
	post(f, p, 1, NULL, &r);
	resp_fini(&r);
	post(f, p, 2, NULL, &r);
	resp_fini(&r);
	struct lv_frontend_stats st;
	lv_frontend_stats(f->fe, &st);
	assert_int_equal(st.requests, 2);
	assert_int_equal(st.inference_ok, 1);
	assert_int_equal(st.bad_request, 1);
	assert_int_equal(st.too_large, 0);
	assert_int_equal(st.frames_submitted, 1);
	assert_true(st.body_bytes > 2 * jl);
	free(j);
}

/* Answers keep the connection open: a camera's next request reuses it. */
static void test_keep_alive(void **state)
{
	struct fixture *f = *state;
	size_t jl;
	unsigned char *j = grey_jpeg(5, &jl);
	CURL *e = curl_easy_init();
	char url[128];
	for (int i = 0; i < 4; i++) {
		struct resp r = { 0 };
		curl_mime *m = NULL;
		if (i < 2) {
			snprintf(url, sizeof url, "%s/healthz", f->base);
			curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
		} else {
			snprintf(url, sizeof url, "%s/inference", f->base);
			m = curl_mime_init(e);
			curl_mimepart *p = curl_mime_addpart(m);
			curl_mime_name(p, "images");
			curl_mime_data(p, (const char *)j, jl);
			curl_mime_filename(p, "a.jpg");
			curl_easy_setopt(e, CURLOPT_MIMEPOST, m);
		}
		curl_easy_setopt(e, CURLOPT_URL, url);
		perform(e, &r);
		assert_int_equal(r.code, 200);
		long connects = -1;
		curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects);
		assert_int_equal(connects, i == 0 ? 1 : 0);
		resp_fini(&r);
		curl_mime_free(m);
	}
	curl_easy_cleanup(e);
	free(j);
}

/* ---- slow clients, limits ---------------------------------------------- */

static int raw_connect(const struct fixture *f)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
		                 .sin_port = htons(lv_frontend_port(f->fe)) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	struct timeval tv = { .tv_sec = 20 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

static void test_slow_client_does_not_block(void **state)
{
	struct fixture *f = *state;
	/* One client stalls in its headers, another in its body. */
	int a = raw_connect(f), b = raw_connect(f);
	const char *ha = "POST /inference HTTP/1.1\r\nHost: x\r\n";
	const char *hb =
	    "POST /inference HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
	    "boundary=zz\r\nContent-Length: 5000\r\n\r\n--zz\r\n";
	assert_true(write(a, ha, strlen(ha)) > 0);
	assert_true(write(b, hb, strlen(hb)) > 0);

	size_t jl;
	unsigned char *j = grey_jpeg(7, &jl);
	struct part p[1] = { { "images", j, jl, "a.jpg" } };
	for (int i = 0; i < 3; i++) {
		struct resp r;
		post(f, p, 1, NULL, &r);
		assert_int_equal(r.code, 200);
		resp_fini(&r);
	}
	/* The idle timeout (2 s here) closes both stalled connections: read sees EOF
	 * (or the server's error answer, then EOF). */
	char buf[512];
	ssize_t n;
	while ((n = read(a, buf, sizeof buf)) > 0)
		;
	assert_int_equal(n, 0);
	while ((n = read(b, buf, sizeof buf)) > 0)
		;
	assert_int_equal(n, 0);
	close(a);
	close(b);
	free(j);
	assert_int_equal(seen(f), 3);
}

/* The front end's counters once cond(stats) holds, polling for at most 10 s. */
static int stats_until(const struct fixture *f,
                       int (*cond)(const struct lv_frontend_stats *, uint64_t), uint64_t arg,
                       struct lv_frontend_stats *st)
{
	for (int i = 0; i < 1000; i++) {
		lv_frontend_stats(f->fe, st);
		if (cond(st, arg))
			return 1;
		usleep(10000);
	}
	return 0;
}

static int open_is(const struct lv_frontend_stats *st, uint64_t n)
{
	return st->connections == n;
}

static int buffered_is(const struct lv_frontend_stats *st, uint64_t n)
{
	return st->buffered_bytes == n;
}

/* 1 when the server has closed fd (EOF or reset) without answering, 0 while it is open. */
static int closed_unanswered(int fd)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	assert_true(n <= 0); /* no answer came */
	return 1;
}

/* Full: a new connection evicts the one that waited longest on its client. */
static void test_full_evicts_longest_waiting(void **state)
{
	(void)state;
	struct lv_frontend_limits lim;
	struct lv_frontend_stats st;
	test_limits(&lim);
	lim.max_connections = 3;
	lim.timeout_s = 30;
	lim.header_timeout_s = 30;
	struct fixture *f = fixture_new(&lim);
	int fds[3];
	for (uint64_t i = 0; i < 3; i++) {
		fds[i] = raw_connect(f);
		assert_true(stats_until(f, open_is, i + 1, &st)); /* in this order */
	}
	/* Three idle clients fill it; a fourth is served all the same. */
	struct resp r;
	request(f, "GET", "/healthz", &r);
	assert_int_equal(r.code, 200);
	resp_fini(&r);
	lv_frontend_stats(f->fe, &st);
	assert_int_equal(st.evicted, 1);
	char buf[64];
	assert_int_equal(read(fds[0], buf, sizeof buf), 0); /* the oldest went */
	assert_int_equal(closed_unanswered(fds[1]), 0);
	assert_int_equal(closed_unanswered(fds[2]), 0);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	fixture_free(f);
}

/* One address may hold max_connections_per_client; others are still served. */
static void test_per_client_limit(void **state)
{
	(void)state;
	struct lv_frontend_limits lim;
	struct lv_frontend_stats st;
	test_limits(&lim);
	lim.max_connections_per_client = 2;
	lim.timeout_s = 30;
	lim.header_timeout_s = 30;
	struct fixture *f = fixture_new(&lim);
	int a = raw_connect(f), b = raw_connect(f);
	assert_true(stats_until(f, open_is, 2, &st));
	struct resp r;
	request(f, "GET", "/healthz", &r); /* a third from 127.0.0.1: closed at accept */
	assert_int_not_equal(r.cc, CURLE_OK);
	resp_fini(&r);
	request_from(f, "GET", "/healthz", "127.0.0.2", &r);
	assert_int_equal(r.code, 200);
	resp_fini(&r);
	lv_frontend_stats(f->fe, &st);
	assert_int_equal(st.evicted, 0);
	close(a);
	close(b);
	fixture_free(f);
}

/*
 * Trickles `head` then one byte of `tail` every 50 ms until the server cuts
 * the connection off (at most 10 s); returns the seconds from connecting to
 * the cut, or -1 if it never came.
 */
static double trickle_until_cut(const struct fixture *f, const char *head, const char *tail)
{
	int fd = raw_connect(f);
	double t0 = lv_mono_s(), cut = -1;
	assert_true(send(fd, head, strlen(head), MSG_NOSIGNAL) > 0);
	for (size_t i = 0; i < 200 && cut < 0; i++) {
		if (send(fd, tail + i % strlen(tail), 1, MSG_NOSIGNAL) != 1 ||
		    closed_unanswered(fd))
			cut = lv_mono_s() - t0;
		else
			usleep(50000);
	}
	close(fd);
	return cut;
}

/* Sending headers or a body a byte at a time does not hold a connection past its deadline. */
static void test_header_and_body_deadlines(void **state)
{
	(void)state;
	struct lv_frontend_limits lim;
	struct lv_frontend_stats st;
	test_limits(&lim);
	lim.timeout_s = 30; /* idle time alone would never cut these clients off */
	lim.header_timeout_s = 1;
	lim.body_timeout_s = 1.5;
	struct fixture *f = fixture_new(&lim);
	double cut = trickle_until_cut(f, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ", "abc");
	assert_true(cut >= 0.95); /* not before its deadline */
	assert_true(stats_until(f, open_is, 0, &st));
	assert_int_equal(st.cut_header, 1);
	assert_int_equal(st.cut_body, 0);
	/* The body deadline runs from the headers, however slowly the body comes. */
	const char *head =
	    "POST /inference HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
	    "boundary=zz\r\nContent-Length: 5000\r\n\r\n--zz\r\n";
	cut = trickle_until_cut(f, head, "Content-Disposition: form-data; name=\"pad\"\r\n\r\nxyz");
	assert_true(cut >= 1.45);
	assert_true(stats_until(f, open_is, 0, &st));
	assert_int_equal(st.cut_header, 1);
	assert_int_equal(st.cut_body, 1);
	assert_int_equal(st.buffered_bytes, 0); /* its body's place is given back */
	assert_int_equal(seen(f), 0);
	fixture_free(f);
}

/* Bodies held in all are bounded: one that does not fit is answered 503, Retry-After. */
static void test_buffered_bytes_budget(void **state)
{
	(void)state;
	struct lv_frontend_limits lim;
	struct lv_frontend_stats st;
	test_limits(&lim);
	lim.max_buffered_bytes = 300000;
	struct fixture *f = fixture_new(&lim);
	/* A held upload: 200,000 bytes announced, a few sent. */
	int held = raw_connect(f);
	const char *head =
	    "POST /inference HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
	    "boundary=zz\r\nContent-Length: 200000\r\n\r\n--zz\r\n";
	assert_true(write(held, head, strlen(head)) > 0);
	assert_true(stats_until(f, buffered_is, 200000, &st));

	size_t jl;
	unsigned char *j = grey_jpeg(9, &jl);
	unsigned char *pad = lv_xcalloc(1, 150000);
	struct part p[2] = { { "images", j, jl, "a.jpg" }, { "pad", pad, 150000, NULL } };
	struct resp r;
	post(f, p, 2, NULL, &r); /* 150 KB more than the 100 KB left: refused unread */
	assert_int_equal(r.code, 503);
	assert_string_equal(r.retry_after, "1");
	assert_non_null(strstr(error_of(&r), "max_buffered_bytes (300000 bytes)"));
	resp_fini(&r);
	struct curl_slist *h = curl_slist_append(NULL, "Transfer-Encoding: chunked");
	post(f, p, 2, h, &r); /* no Content-Length: refused as its chunks outgrow the budget */
	assert_int_equal(r.code, 503);
	assert_string_equal(r.retry_after, "1");
	resp_fini(&r);
	curl_slist_free_all(h);
	/* The refused give back what they took once their requests end (just after the answer). */
	assert_true(stats_until(f, buffered_is, 200000, &st));
	assert_int_equal(st.busy, 2);
	assert_int_equal(seen(f), 0);

	close(held); /* its place is given back; the same request now fits */
	assert_true(stats_until(f, buffered_is, 0, &st));
	post(f, p, 2, NULL, &r);
	assert_int_equal(r.code, 200);
	resp_fini(&r);
	assert_int_equal(seen(f), 1);
	lv_frontend_stats(f->fe, &st);
	assert_int_equal(st.buffered_bytes, 0);
	free(pad);
	free(j);
	fixture_free(f);
}

/* Decoding work is bounded by the pixels the headers declare, before any decoding. */
static void test_pixel_limit(void **state)
{
	(void)state;
	struct lv_frontend_limits lim;
	test_limits(&lim);
	lim.max_request_pixels = 64 * 48 * 2; /* two of grey_jpeg's frames */
	struct fixture *f = fixture_new(&lim);
	size_t jl;
	unsigned char *j = grey_jpeg(3, &jl);
	struct part p[3] = { { "images", j, jl, "a.jpg" },
		             { "images", j, jl, "b.jpg" },
		             { "images", j, jl, "c.jpg" } };
	struct resp r;
	post(f, p, 3, NULL, &r);
	assert_int_equal(r.code, 413);
	assert_non_null(strstr(error_of(&r), "images[0..2] add up to 9216 pixels (images[2] is "
	                                     "64×48), over max_request_pixels (6144)"));
	resp_fini(&r);
	assert_int_equal(seen(f), 0);
	post(f, p, 2, NULL, &r);
	assert_int_equal(r.code, 200);
	resp_fini(&r);
	assert_int_equal(seen(f), 1);
	free(j);
	fixture_free(f);
}

/*
 * The budget clock starts when the headers are complete: a body that comes
 * 0.3 s later, or a wait to be decoded, is part of the frame's latency.
 */
static void test_arrival_is_when_headers_came(void **state)
{
	struct fixture *f = *state;
	size_t jl;
	unsigned char *j = grey_jpeg(4, &jl);
	char *body = lv_xmalloc(jl + 512), head[512], resp[4096];
	int bl = snprintf(body, jl + 512,
	                  "--zz\r\nContent-Disposition: form-data; name=\"images\"; "
	                  "filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n");
	memcpy(body + bl, j, jl);
	bl += (int)jl;
	bl += sprintf(body + bl, "\r\n--zz\r\nContent-Disposition: form-data; "
	                         "name=\"latency\"\r\n\r\n5\r\n--zz--\r\n");
	int hl = snprintf(head, sizeof head,
	                  "POST /inference HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	                  "Content-Type: multipart/form-data; boundary=zz\r\n"
	                  "Content-Length: %d\r\n\r\n",
	                  bl);
	int fd = raw_connect(f);
	double t_headers = lv_mono_s();
	assert_int_equal(write(fd, head, (size_t)hl), hl);
	usleep(300000);
	double t_body = lv_mono_s();
	assert_int_equal(write(fd, body, (size_t)bl), bl);
	size_t got = 0;
	ssize_t n;
	while (got < sizeof resp - 1 && (n = read(fd, resp + got, sizeof resp - 1 - got)) > 0)
		got += (size_t)n;
	resp[got] = '\0';
	close(fd);
	assert_non_null(strstr(resp, "HTTP/1.1 200"));
	pthread_mutex_lock(&f->st.mu);
	double arrival = f->st.last_arrival_s, submitted = f->st.last_submit_s;
	pthread_mutex_unlock(&f->st.mu);
	assert_true(arrival >= t_headers && arrival <= t_body);
	assert_true(submitted >= t_body);
	/* The answer's own latency counts from the same moment. */
	cJSON *o = cJSON_Parse(strstr(resp, "\r\n\r\n") + 4);
	assert_non_null(o);
	assert_true(cJSON_GetObjectItem(o, "latency")->valuedouble >= t_body - arrival);
	cJSON_Delete(o);
	free(body);
	free(j);
}

static void test_bad_listen_addresses(void **state)
{
	struct fixture *f = *state;
	char *why = NULL;
	assert_null(lv_frontend_new(&consumer_ops, &f->st, &model, "127.0.0.1:70000", NULL, &why));
	assert_non_null(strstr(why, "port '70000' is not 0..65535"));
	free(why);
	why = NULL;
	assert_null(lv_frontend_new(&consumer_ops, &f->st, &model, "[::1:80", NULL, &why));
	assert_non_null(strstr(why, "want [IPV6]:PORT"));
	free(why);
	why = NULL;
	char addr[32];
	snprintf(addr, sizeof addr, "127.0.0.1:%u", lv_frontend_port(f->fe));
	assert_null(lv_frontend_new(&consumer_ops, &f->st, &model, addr, NULL, &why));
	assert_non_null(strstr(why, "cannot listen on 127.0.0.1:"));
	free(why);
	why = NULL;
	/* Limits that would refuse everything are errors, not silent defaults. */
	struct lv_frontend_limits lim;
	test_limits(&lim);
	lim.header_timeout_s = 0;
	assert_null(lv_frontend_new(&consumer_ops, &f->st, &model, "127.0.0.1:0", &lim, &why));
	assert_non_null(
	    strstr(why, "header_timeout_s (0) and body_timeout_s (60) must be positive"));
	free(why);
	why = NULL;
	test_limits(&lim);
	lim.max_connections_per_client = 0;
	assert_null(lv_frontend_new(&consumer_ops, &f->st, &model, "127.0.0.1:0", &lim, &why));
	assert_non_null(strstr(why, "max_connections_per_client (0) must be at least 1"));
	free(why);
}

/* ---- the load generator against the front end -------------------------- */

static void test_loadgen_replays_trace(void **state)
{
	struct fixture *f = *state;
	/* 6 requests, 11 frames; one with a budget of 0.125 s, which the test consumer refuses. */
	const char *csv = "Time,Frames After Filter,Camera Index,latency_constraint\n"
	                  "0,2,0,5\n0,1,1,\n0.05,3,0,2\n0.1,1,2,0.125\n0.1,2,1,\n0.15,2,0,1\n";
	char *why = NULL;
	struct lv_trace *t = lv_trace_parse(csv, strlen(csv), "t.csv", &why);
	assert_non_null(t);
	size_t n_img;
	struct lv_loadgen_image *imgs = lv_loadgen_images_synth(2, 320, 240, &n_img, &why);
	assert_non_null(imgs);
	struct lv_loadgen_config cfg;
	lv_loadgen_config_default(&cfg);
	cfg.trace = t;
	cfg.url = f->base; /* /inference is appended */
	cfg.images = imgs;
	cfg.n_images = n_img;
	cfg.concurrency = 4;
	struct lv_loadgen_result res;
	assert_int_equal(lv_loadgen_run(&cfg, &res, &why), 0);
	assert_int_equal(res.requests, 6);
	assert_int_equal(res.requests_sent, 6);
	assert_int_equal(res.requests_answered, 6);
	assert_int_equal(res.frames, 11);
	assert_int_equal(res.frames_sent, 11);
	assert_int_equal(res.frames_answered, 11);
	assert_int_equal(res.frames_unanswered, 0);
	assert_int_equal(res.by_state[LV_FRAME_OK], 10);
	assert_int_equal(res.by_state[LV_FRAME_REJECTED], 1);
	assert_true(res.latency_p50_s > 0 && res.latency_p50_s <= res.latency_p99_s);
	/* The answers' own "latency" (the server's time) lies within each round trip. */
	assert_true(res.controller_p50_s > 0 && res.controller_p50_s <= res.controller_p99_s);
	assert_true(res.controller_p50_s <= res.latency_p50_s);
	assert_true(res.controller_max_s <= res.latency_max_s);
	assert_int_equal(seen(f), 6);
	assert_int_equal(f->st.frames, 11);

	/* Nobody listening: every frame unanswered, the first error named. */
	cfg.url = "http://127.0.0.1:1/inference";
	assert_int_equal(lv_loadgen_run(&cfg, &res, &why), 0);
	assert_int_equal(res.frames_unanswered, 11);
	assert_int_equal(res.requests_failed, 6);
	assert_true(res.first_error[0] != '\0');
	lv_loadgen_images_free(imgs, n_img);
	lv_trace_free(t);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_three_jpegs_in_order, setup, teardown),
		cmocka_unit_test(test_wire_formats_prepared),
		cmocka_unit_test_setup_teardown(test_all_refused_is_503, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_requests_refused, setup, teardown),
		/* A refused image gives its place at the gate back; queued requests all run. */
		cmocka_unit_test_setup_teardown(test_bad_requests_refused, setup_one_decoder,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_loadgen_replays_trace, setup_one_decoder,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_chunked_over_limit_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_metrics_healthz, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_alive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_client_does_not_block, setup, teardown),
		cmocka_unit_test(test_full_evicts_longest_waiting),
		cmocka_unit_test(test_per_client_limit),
		cmocka_unit_test(test_header_and_body_deadlines),
		cmocka_unit_test(test_buffered_bytes_budget),
		cmocka_unit_test(test_pixel_limit),
		cmocka_unit_test_setup_teardown(test_arrival_is_when_headers_came, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_listen_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loadgen_replays_trace, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
