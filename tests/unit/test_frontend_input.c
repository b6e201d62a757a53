/*
 * test_frontend_input: the HTTP front end against requests an attacker or a
 * broken client would send (issue 21), written byte by byte over raw
 * loopback sockets, so nothing in between tidies them up:
 *
 *   1. a multipart part with no name, or no Content-Disposition at all
 *      (crashed the controller);
 *   5. budgets that are not plain decimals ("0x10", " 5", "5\0junk") or have
 *      no upper bound (1e308, 1e9, 63 digits);
 *   6. pipelined requests on one connection, refusals among them;
 *  10. two Content-Length headers, or Content-Length with Transfer-Encoding.
 *
 * The consumer is a stand-in that answers each request as it is submitted:
 * frame i's top_class is the grey level of image i, recovered from its
 * tensor (so answers show which request and which image they belong to),
 * its score the budget the request got. A refused request must never reach
 * it. test_frontend.c tests the well-behaved paths.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
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
#include "live/live.h"
#include "base/util.h"

/* ---- the stand-in consumer --------------------------------------------- */

struct fixture {
	pthread_mutex_t mu;
	unsigned requests, frames; /* submitted */
	double last_budget;
	struct lv_frontend *fe;
};

static void submit(void *arg, struct lv_live_request *r)
{
	struct fixture *f = arg;
	pthread_mutex_lock(&f->mu);
	f->requests++;
	f->frames += r->n_frames;
	f->last_budget = r->budget_s;
	pthread_mutex_unlock(&f->mu);
	for (uint32_t i = 0; i < r->n_frames; i++) {
		struct lv_live_frame_result *res = &r->results[i];
		res->state = LV_FRAME_OK;
		strcpy(res->device, "dev0");
		res->batch = (int)r->n_frames;
		res->arrival_s = res->queue_exit_s = 1;
		res->done_s = 1.5;
		res->latency_s = 0.5;
		res->top_class = (int)lround(((double)r->tensors[i][0] + 1.0) * 127.5);
		res->top_score = isnan(r->budget_s) ? -1.0f : (float)r->budget_s;
	}
	pthread_mutex_lock(&r->mu);
	r->n_final = r->n_frames;
	r->done = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static const struct lv_snapshot *no_snapshot(void *arg)
{
	(void)arg;
	return NULL;
}

static void put_snapshot(void *arg, const struct lv_snapshot *s)
{
	(void)arg;
	(void)s;
}

static const struct lv_frontend_ops ops = {
	.name = "test-input",
	.request_new = lv_live_request_new,
	.submit = submit,
	.request_wait = lv_live_request_wait,
	.request_free = lv_live_request_free,
	.snapshot_get = no_snapshot,
	.snapshot_put = put_snapshot,
};

static const struct lv_model_info model = {
	.name = "inception_graphdef",
	.height = 32,
	.width = 32,
	.channels = 3,
	.classes = 1001,
	.max_batch = 8,
};

static struct fixture *fixture_new(double max_budget_s)
{
	struct lv_frontend_limits lim;
	lv_frontend_limits_default(&lim);
	lim.max_images = 4;
	lim.max_image_bytes = 64 * 1024;
	lim.max_body_bytes = 512 * 1024;
	lim.max_connections = 16;
	lim.timeout_s = 10;
	lim.max_budget_s = max_budget_s;
	struct fixture *f = lv_xcalloc(1, sizeof *f);
	pthread_mutex_init(&f->mu, NULL);
	char *why = NULL;
	f->fe = lv_frontend_new(&ops, f, &model, "127.0.0.1:0", &lim, &why);
	if (!f->fe)
		fail_msg("frontend: %s", why);
	return f;
}

static int setup(void **state)
{
	struct lv_frontend_limits lim;
	lv_frontend_limits_default(&lim);
	*state = fixture_new(lim.max_budget_s);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	lv_frontend_stop(f->fe);
	pthread_mutex_destroy(&f->mu);
	free(f);
	return 0;
}

static unsigned submitted(struct fixture *f)
{
	pthread_mutex_lock(&f->mu);
	unsigned n = f->requests;
	pthread_mutex_unlock(&f->mu);
	return n;
}

/* ---- requests, byte by byte --------------------------------------------- */

/* A uniform grey JPEG (4:4:4, q95): its first pixel decodes to `grey` exactly. */
static char *grey_jpeg(int grey, size_t *len)
{
	uint8_t px[16 * 16 * 3];
	memset(px, grey, sizeof px);
	char *why = NULL;
	unsigned char *j = lv_image_encode_jpeg(px, 16, 16, 95, 0, len, &why);
	assert_non_null(j);
	return (char *)j;
}

/* Appends one part: its header lines (each ending in CRLF, or "" for none), then data. */
static void part(struct lv_buf *b, const char *headers, const void *data, size_t len)
{
	lv_buf_printf(b, "--zz\r\n%s\r\n", headers);
	lv_buf_append(b, data, len);
	lv_buf_append(b, "\r\n", 2);
}

static void image_part(struct lv_buf *b, int grey)
{
	size_t len;
	char *j = grey_jpeg(grey, &len);
	part(b,
	     "Content-Disposition: form-data; name=\"images\"; filename=\"a.jpg\"\r\n"
	     "Content-Type: image/jpeg\r\n",
	     j, len);
	free(j);
}

static void latency_part(struct lv_buf *b, const char *text, size_t len)
{
	part(b, "Content-Disposition: form-data; name=\"latency\"\r\n", text, len);
}

/* Appends POST /inference with `body`'s parts closed, `extra` header lines and its length. */
static void post_request(struct lv_buf *req, struct lv_buf *body, const char *extra)
{
	lv_buf_printf(body, "--zz--\r\n");
	lv_buf_printf(req,
	              "POST /inference HTTP/1.1\r\nHost: t\r\n"
	              "Content-Type: multipart/form-data; boundary=zz\r\n%s"
	              "Content-Length: %zu\r\n\r\n",
	              extra ? extra : "", body->len);
	lv_buf_append(req, body->p, body->len);
	lv_buf_fini(body);
}

/* A complete good request: one image of `grey`, budget "1". */
static void good_request(struct lv_buf *req, int grey)
{
	struct lv_buf body = { 0 };
	image_part(&body, grey);
	latency_part(&body, "1", 1);
	post_request(req, &body, NULL);
}

struct answer {
	int code;
	int close; /* Connection: close */
	cJSON *json;
};

static int connect_fe(const struct fixture *f)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
		                 .sin_port = htons(lv_frontend_port(f->fe)) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	struct timeval tv = { .tv_sec = 10 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

/* The first `needle` (of n bytes) in p[0..len), or NULL. */
static const char *find(const char *p, size_t len, const char *needle, size_t n)
{
	for (size_t i = 0; i + n <= len; i++)
		if (!memcmp(p + i, needle, n))
			return p + i;
	return NULL;
}

/* A header's value in the header block [h, end), or NULL. */
static const char *header(const char *h, const char *end, const char *name, size_t *vlen)
{
	size_t n = strlen(name);
	for (const char *l = h; l < end;) {
		const char *eol = find(l, (size_t)(end - l), "\r\n", 2);
		if (!eol)
			eol = end;
		if ((size_t)(eol - l) > n && !strncasecmp(l, name, n) && l[n] == ':') {
			const char *v = l + n + 1;
			while (v < eol && *v == ' ')
				v++;
			*vlen = (size_t)(eol - v);
			return v;
		}
		l = eol + 2;
	}
	return NULL;
}

/*
 * Parses the complete answers at the start of in[0..len) into a[] (at most
 * max); returns how many, and in *used the bytes they took.
 */
static size_t parse_answers(const char *in, size_t len, struct answer *a, size_t max, size_t *used)
{
	size_t n = 0, at = 0;
	while (n < max) {
		const char *h = in + at, *end = find(h, len - at, "\r\n\r\n", 4);
		size_t vl;
		if (!end)
			break;
		const char *cl = header(h, end, "Content-Length", &vl);
		assert_non_null(cl); /* the front end always sends one */
		size_t body_len = strtoul(cl, NULL, 10), hl = (size_t)(end + 4 - h);
		if (at + hl + body_len > len)
			break;
		const char *conn = header(h, end, "Connection", &vl);
		a[n].code = atoi(h + 9);
		a[n].close = conn && vl >= 5 && !strncasecmp(conn, "close", 5);
		a[n].json = cJSON_ParseWithLength(end + 4, body_len);
		n++;
		at += hl + body_len;
	}
	*used = at;
	return n;
}

/*
 * Sends req[0..len) in one write (then shuts the sending side when `shut`),
 * reads answers until `want` have come, the server closes, or 10 s pass.
 * Returns how many answers came. With `closed`, *closed tells whether the
 * server closed the connection (once the answers are in, by what a short
 * read sees next: the end, or nothing).
 */
static size_t exchange(const struct fixture *f, const void *req, size_t len, int shut,
                       struct answer *a, size_t want, int *closed)
{
	int fd = connect_fe(f);
	assert_int_equal(write(fd, req, len), (ssize_t)len);
	if (shut)
		shutdown(fd, SHUT_WR);
	struct lv_buf in = { 0 };
	size_t n = 0, used = 0;
	char buf[4096];
	int eof = 0;
	while (n < want) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r <= 0) {
			eof = r == 0;
			break;
		}
		lv_buf_append(&in, buf, (size_t)r);
		size_t more;
		n += parse_answers(in.p + used, in.len - used, a + n, want - n, &more);
		used += more;
	}
	if (n == want && !eof && closed) {
		struct timeval tv = { .tv_usec = 200000 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		eof = read(fd, buf, sizeof buf) == 0;
	}
	if (closed)
		*closed = eof;
	assert_int_equal(used, in.len); /* nothing but whole answers */
	lv_buf_fini(&in);
	close(fd);
	return n;
}

static void answers_free(struct answer *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cJSON_Delete(a[i].json);
}

static const char *error_of(const struct answer *a)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(a->json, "error");
	return cJSON_IsString(e) ? e->valuestring : "";
}

static int top_class(const struct answer *a, int image)
{
	const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItem(a->json, "results"), image);
	const cJSON *c = cJSON_GetObjectItem(r, "top_class");
	return cJSON_IsNumber(c) ? c->valueint : -1;
}

/* One request, one answer: its code and error (or "" when none) must be as given. */
static void expect(struct fixture *f, struct lv_buf *req, int code, const char *needle)
{
	struct answer a[1];
	assert_int_equal(exchange(f, req->p, req->len, 0, a, 1, NULL), 1);
	if (a[0].code != code || !strstr(error_of(&a[0]), needle))
		fail_msg("want %d '%s', got %d '%s'", code, needle, a[0].code, error_of(&a[0]));
	answers_free(a, 1);
	lv_buf_fini(req);
}

/* ---- 1: parts with no name ---------------------------------------------- */

#define NO_NAME                                                                                    \
	" has no name: each part needs Content-Disposition: form-data; name=\"images\" or "        \
	"\"latency\""

static void test_part_without_name(void **state)
{
	struct fixture *f = *state;
	static const char *const headers[] = {
		"Content-Disposition: form-data; filename=\"a.jpg\"\r\n", /* no name */
		"Content-Type: image/jpeg\r\n",                           /* no disposition */
		"",                                                       /* no headers at all */
		"Content-Disposition: form-data; name=\"\"\r\n",          /* an empty name */
		"Content-Disposition: attachment\r\n",
	};
	size_t jl;
	char *j = grey_jpeg(40, &jl);
	for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
		for (int second = 0; second < 2; second++) {
			struct lv_buf body = { 0 }, req = { 0 };
			if (second)
				image_part(&body, 30);
			part(&body, headers[i], j, jl);
			post_request(&req, &body, NULL);
			expect(f, &req, 400, second ? "part 2" NO_NAME : "part 1" NO_NAME);
		}
	}
	free(j);
	assert_int_equal(submitted(f), 0);

	/* The controller is still there, and serves. */
	struct lv_buf req = { 0 };
	good_request(&req, 90);
	expect(f, &req, 200, "");
	assert_int_equal(submitted(f), 1);
}

/* ---- 5: budgets --------------------------------------------------------- */

static void test_budgets_strict(void **state)
{
	struct fixture *f = *state;
	char digits63[64];
	memset(digits63, '9', 63);
	digits63[63] = '\0';
	static const char plain[] = "is not a plain decimal number of seconds";
	const struct {
		const char *text;
		size_t len;
		const char *needle;
	} cases[] = {
		{ "0x10", 4, plain },
		{ " 5", 2, plain },
		{ "5 ", 2, plain },
		{ "5\0junk", 6,
		  "latency: '5\\x00junk' is not a number of seconds: it holds a NUL" },
		{ "1e308", 5, "latency: '1e308' is over the maximum budget of 60 s" },
		{ "1e9", 3, "latency: '1e9' is over the maximum budget of 60 s" },
		{ "60.5", 4, "latency: '60.5' is over the maximum budget of 60 s" },
		{ digits63, 63, "longer than 32 characters" },
		{ "inf", 3, plain },
		{ "nan", 3, plain },
		{ "-1", 2, plain },
		{ "0", 1, "latency: '0' is not a positive number of seconds" },
		{ "", 0, "latency: '' is not a number of seconds (empty)" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct lv_buf body = { 0 }, req = { 0 };
		image_part(&body, 20);
		latency_part(&body, cases[i].text, cases[i].len);
		post_request(&req, &body, NULL);
		expect(f, &req, 400, cases[i].needle);
	}
	assert_int_equal(submitted(f), 0);

	/* The maximum itself is a budget. */
	struct lv_buf body = { 0 }, req = { 0 };
	image_part(&body, 20);
	latency_part(&body, "6e1", 3);
	post_request(&req, &body, NULL);
	expect(f, &req, 200, "");
	assert_true(f->last_budget == 60);
}

/* The operator's maximum (lim.max_budget_s); 0 means the default. */
static void test_budget_maximum_set(void **state)
{
	(void)state;
	struct fixture *f = fixture_new(2);
	struct lv_buf body = { 0 }, req = { 0 };
	image_part(&body, 20);
	latency_part(&body, "2.5", 3);
	post_request(&req, &body, NULL);
	expect(f, &req, 400, "latency: '2.5' is over the maximum budget of 2 s");
	image_part(&body, 20);
	latency_part(&body, "2", 1);
	post_request(&req, &body, NULL);
	expect(f, &req, 200, "");
	assert_true(f->last_budget == 2);
	teardown((void **)&f);

	f = fixture_new(0);
	image_part(&body, 20);
	latency_part(&body, "61", 2);
	post_request(&req, &body, NULL);
	expect(f, &req, 400, "latency: '61' is over the maximum budget of 60 s");
	teardown((void **)&f);
}

/* ---- 6: pipelining ------------------------------------------------------ */

/* Three POSTs in one write: three answers, in order, each for its own images. */
static void test_pipelined_posts(void **state)
{
	struct fixture *f = *state;
	static const int greys[3] = { 10, 120, 230 };
	for (int shut = 0; shut < 2; shut++) {
		struct lv_buf req = { 0 };
		for (int i = 0; i < 3; i++)
			good_request(&req, greys[i]);
		struct answer a[3];
		int closed;
		assert_int_equal(exchange(f, req.p, req.len, shut, a, 3, &closed), 3);
		for (int i = 0; i < 3; i++) {
			assert_int_equal(a[i].code, 200);
			assert_int_equal(top_class(&a[i], 0), greys[i]);
			assert_false(a[i].close);
		}
		/* Kept open for more, unless the client said it was done. */
		assert_int_equal(closed, shut);
		answers_free(a, 3);
		lv_buf_fini(&req);
	}
	assert_int_equal(submitted(f), 6);
}

/* Refusals among pipelined requests: every request is answered, in order, on one connection. */
static void test_pipelined_refusals(void **state)
{
	struct fixture *f = *state;
	struct lv_buf req = { 0 }, body = { 0 };

	lv_buf_printf(&req, "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n");
	good_request(&req, 50);
	image_part(&body, 60);
	latency_part(&body, "0x10", 4);
	post_request(&req, &body, NULL);
	lv_buf_printf(&req, "GET /inference HTTP/1.1\r\nHost: t\r\n\r\n");
	lv_buf_printf(&req, "POST /inference HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
	                    "Content-Length: 5\r\n\r\nhello");
	lv_buf_printf(&req, "POST /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc");
	part(&body, "Content-Disposition: form-data\r\n", "x", 1);
	post_request(&req, &body, NULL);
	lv_buf_printf(&req, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
	good_request(&req, 70);

	static const struct {
		int code;
		const char *needle;
	} want[] = {
		{ 404, "no such endpoint: /nope" },
		{ 200, "" },
		{ 400, "latency: '0x10' is not a plain decimal" },
		{ 405, "/inference wants POST, not GET" },
		{ 400, "expected a multipart/form-data body" },
		{ 405, "/healthz wants GET, not POST" },
		{ 400, "part 1" NO_NAME },
		{ 200, "" },
		{ 200, "" },
	};
	size_t n = sizeof want / sizeof want[0];
	struct answer a[sizeof want / sizeof want[0]];
	int closed;
	size_t got = exchange(f, req.p, req.len, 0, a, n, &closed);
	if (got != n)
		fail_msg("%zu answers to %zu pipelined requests", got, n);
	for (size_t i = 0; i < n; i++) {
		if (a[i].code != want[i].code || !strstr(error_of(&a[i]), want[i].needle))
			fail_msg("answer %zu: want %d '%s', got %d '%s'", i, want[i].code,
			         want[i].needle, a[i].code, error_of(&a[i]));
		assert_false(a[i].close);
	}
	assert_int_equal(top_class(&a[1], 0), 50);
	assert_int_equal(top_class(&a[8], 0), 70);
	assert_false(closed);
	answers_free(a, n);
	lv_buf_fini(&req);
	assert_int_equal(submitted(f), 2);

	/* A body too big to read is refused at once, and the connection ends with it. */
	lv_buf_printf(&req, "POST /nope HTTP/1.1\r\nHost: t\r\nContent-Length: 600000\r\n\r\n");
	good_request(&req, 80);
	got = exchange(f, req.p, req.len, 0, a, 2, &closed);
	assert_int_equal(got, 1);
	assert_int_equal(a[0].code, 404);
	assert_true(a[0].close);
	assert_true(closed);
	answers_free(a, 1);
	lv_buf_fini(&req);
	assert_int_equal(submitted(f), 2);
}

/* ---- 10: how a body is delimited ---------------------------------------- */

static void test_ambiguous_framing(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *headers; /* before the request's own Content-Length */
		const char *needle;
	} cases[] = {
		{ "Content-Length: 3\r\n", "2 Content-Length headers: a request has at most one" },
		{ "content-length: 100000\r\n", "2 Content-Length headers" },
		{ "Transfer-Encoding: chunked\r\n", "both Content-Length and Transfer-Encoding" },
		{ "Transfer-Encoding: identity\r\n", "both Content-Length and Transfer-Encoding" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct lv_buf req = { 0 }, body = { 0 };
		image_part(&body, 99);
		post_request(&req, &body, cases[i].headers);
		good_request(&req, 98); /* smuggled behind it, if the framing were believed */
		struct answer a[2];
		int closed;
		size_t got = exchange(f, req.p, req.len, 0, a, 2, &closed);
		assert_int_equal(got, 1);
		if (a[0].code != 400 || !strstr(error_of(&a[0]), cases[i].needle))
			fail_msg("want 400 '%s', got %d '%s'", cases[i].needle, a[0].code,
			         error_of(&a[0]));
		assert_true(a[0].close);
		assert_true(closed);
		answers_free(a, 1);
		lv_buf_fini(&req);
	}
	/* A folded Content-Length: libmicrohttpd sees a header "Content-Length7" and no length. */
	struct lv_buf req = { 0 };
	lv_buf_printf(&req, "POST /inference HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
	                    "Content-Length: 5\r\n 7\r\n\r\nhelloGET /healthz HTTP/1.1\r\n\r\n");
	expect(f, &req, 400, "malformed header 'Content-Length7' (a folded line?)");
	/* A coding other than chunked: where its body ends is unknown. */
	lv_buf_printf(&req, "POST /inference HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
	                    "Transfer-Encoding: gzip\r\n\r\n--zz--\r\n");
	expect(f, &req, 400, "Transfer-Encoding 'gzip' is not supported: only chunked");
	/* Two Transfer-Encoding headers, on a GET too: any request's end must be clear. */
	lv_buf_printf(&req, "GET /healthz HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
	                    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
	expect(f, &req, 400, "2 Transfer-Encoding headers: a request has at most one");
	assert_int_equal(submitted(f), 0);
}

/* Refused requests are counted, by kind, and none reaches the consumer. */
static void test_refusals_counted(void **state)
{
	struct fixture *f = *state;
	struct lv_buf req = { 0 }, body = { 0 };
	part(&body, "", "x", 1);
	post_request(&req, &body, NULL);
	expect(f, &req, 400, "part 1" NO_NAME);
	for (int i = 0; i < 5; i++)
		image_part(&body, 1);
	post_request(&req, &body, NULL);
	expect(f, &req, 413, "too many images");
	good_request(&req, 3);
	expect(f, &req, 200, "");
	struct lv_frontend_stats st;
	lv_frontend_stats(f->fe, &st);
	assert_int_equal(st.requests, 3);
	assert_int_equal(st.bad_request, 1);
	assert_int_equal(st.too_large, 1);
	assert_int_equal(st.inference_ok, 1);
	assert_int_equal(st.frames_submitted, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_part_without_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_budgets_strict, setup, teardown),
		cmocka_unit_test(test_budget_maximum_set),
		cmocka_unit_test_setup_teardown(test_pipelined_posts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipelined_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ambiguous_framing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_counted, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
