/*
 * fuzz_http: arbitrary bytes sent as raw HTTP to the real front end
 * (core/front/frontend.h), started once per process on 127.0.0.1, port 0,
 * in front of a stand-in consumer that answers every frame at once.
 *
 * Each input goes over a fresh loopback connection in one write; the client
 * then shuts its sending side and reads until the server closes. A crash or
 * sanitizer report on any of the server's threads ends this process, so it
 * is a finding too. Promises checked per input:
 *   - the server ends the exchange (answers what it has and closes) within
 *     READ_TIMEOUT_S of the client's end of input: it never hangs;
 *   - what it sends, if anything, is HTTP/1.x answers (their bodies are not
 *     split here: a HEAD's answer or a 100 Continue has none);
 *   - nothing reaches the consumer that is not answered with results: the
 *     requests the consumer saw equal the answers with "status":"completed".
 */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "front/frontend.h"
#include "live/live.h"
#include "base/util.h"

#define READ_TIMEOUT_S   1.5
#define MAX_ANSWER_BYTES (4u << 20)

static struct lv_frontend *fe;
static atomic_uint submitted;

static void submit(void *arg, struct lv_live_request *r)
{
	(void)arg;
	atomic_fetch_add(&submitted, 1);
	for (uint32_t i = 0; i < r->n_frames; i++) {
		r->results[i].state = LV_FRAME_OK;
		strcpy(r->results[i].device, "dev0");
		r->results[i].batch = (int)r->n_frames;
		r->results[i].arrival_s = r->results[i].queue_exit_s = 1;
		r->results[i].done_s = 1.5;
		r->results[i].latency_s = 0.5;
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
	.name = "fuzz",
	.request_new = lv_live_request_new,
	.submit = submit,
	.request_wait = lv_live_request_wait,
	.request_free = lv_live_request_free,
	.snapshot_get = no_snapshot,
	.snapshot_put = put_snapshot,
};

static void start_once(void)
{
	static const struct lv_model_info model = {
		.name = "inception_graphdef",
		.height = 32,
		.width = 32,
		.channels = 3,
		.classes = 1001,
		.max_batch = 8,
	};
	struct lv_frontend_limits lim;
	char *why = NULL;

	if (fe)
		return;
	lv_frontend_limits_default(&lim);
	lim.max_images = 4;
	lim.max_image_bytes = 64 * 1024;
	lim.max_body_bytes = 256 * 1024;
	lim.max_connections = 64;
	lim.timeout_s = 5;
	lim.max_decoders = 2;
	fe = lv_frontend_new(&ops, NULL, &model, "127.0.0.1:0", &lim, &why);
	if (!fe) {
		fprintf(stderr, "fuzz_http: front end: %s\n", why ? why : "?");
		abort();
	}
}

static int connect_fe(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(lv_frontend_port(fe)) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	fuzz_check(fd >= 0, "no socket");
	/* Closed with a reset once the exchange is over, so that thousands of
	 * inputs a second leave no TIME_WAIT behind to use up the ports. */
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	int rc = connect(fd, (struct sockaddr *)&a, sizeof a), err = 0;
	if (rc != 0 && errno == EINTR) {
		/* Interrupted (libFuzzer's and LSan's signals): the connection goes on. */
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		while (poll(&p, 1, -1) < 0 && errno == EINTR)
			;
		socklen_t len = sizeof err;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
		rc = err ? -1 : 0;
		errno = err;
	}
	if (rc != 0) {
		fprintf(stderr, "fuzz_http: connect: %s\n", strerror(errno));
		fuzz_check(0, "cannot connect to the front end");
	}
	struct timeval tv = { .tv_sec = (time_t)READ_TIMEOUT_S,
		              .tv_usec =
		                  (suseconds_t)((READ_TIMEOUT_S - (int)READ_TIMEOUT_S) * 1e6) };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	return fd;
}

/* Sends what the server takes; it may close early (a refusal at once). */
static void send_input(int fd, const uint8_t *data, size_t size)
{
	while (size) {
		ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		data += n;
		size -= (size_t)n;
	}
}

/* The first `needle` in p[0..len), or NULL. */
static const char *find(const char *p, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; i + n <= len; i++)
		if (!memcmp(p + i, needle, n))
			return p + i;
	return NULL;
}

/*
 * Checks that in[0..len) is HTTP answers; returns how many say
 * "status":"completed" (which no echo of the input can forge: the front end's
 * JSON escapes every quote it echoes).
 */
static unsigned check_answers(const char *in, size_t len)
{
	static const char done[] = "\"status\":\"completed\"";
	unsigned completed = 0;

	fuzz_check(len == 0 || (len >= 12 && !memcmp(in, "HTTP/1.", 7)),
	           "the front end answered something that is not HTTP/1.x");
	for (const char *p = in; (p = find(p, len - (size_t)(p - in), done)); p += sizeof done - 1)
		completed++;
	return completed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	start_once();
	unsigned before = atomic_load(&submitted);
	int fd = connect_fe();
	send_input(fd, data, size);
	shutdown(fd, SHUT_WR);

	struct lv_buf in = { 0 };
	char buf[16384];
	int timed_out = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue; /* a signal (libFuzzer's timer, LSan stopping the world) */
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			timed_out = 1;
		if (n <= 0)
			break; /* the end, a reset after a refusal at once, or the time-out */
		lv_buf_append(&in, buf, (size_t)n);
		fuzz_check(in.len <= MAX_ANSWER_BYTES, "more answer than any input could ask for");
	}
	close(fd);
	fuzz_check(!timed_out, "the front end neither answered nor closed after the input ended");
	unsigned completed = check_answers(in.p, in.len), now = atomic_load(&submitted);
	if (now - before != completed)
		fprintf(stderr,
		        "fuzz_http: %u requests reached the consumer, %u answered with "
		        "results:\n%.*s\n",
		        now - before, completed, (int)(in.len < 4096 ? in.len : 4096),
		        in.p ? in.p : "");
	fuzz_check(now - before == completed,
	           "the consumer saw a request that was not answered with results (or the "
	           "reverse)");
	lv_buf_fini(&in);
	return 0;
}
