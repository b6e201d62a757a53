/*
 * loadgen: replays a trace as camera clients over libcurl's multi interface.
 * See loadgen.h for the contract. One thread: a slot table of easy handles
 * (reused, so connections stay alive), a scheduler that starts requests at
 * their times while slots are free, and a tally of the answers. CURLcode and
 * CURLMcode values end here, as messages in first_error or *why.
 *
 * Event-driven: libcurl names the sockets it wants watched (socket
 * callback) and when it next wants a call (timer callback); an epoll set
 * waits on them, and each ready socket is handed to curl_multi_socket_action
 * alone. With 64 requests in flight, curl_multi_perform and poll() visited
 * all 64 on every wake-up, and the client cost about as much per frame as
 * the agents did; now a wake-up costs the sockets that woke it.
 */
#include "loadgen.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "front/image.h"
#include "sched/metrics.h"
#include "model/trace.h"
#include "base/clock.h"
#include "base/file.h"
#include "base/util.h"

void lv_loadgen_config_default(struct lv_loadgen_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->concurrency = 256;
	cfg->speed = 1.0;
	cfg->timeout_s = 120.0;
}

struct slot {
	CURL *e;
	curl_mime *mime;
	size_t req; /* trace index; SIZE_MAX when free */
	double t_start;
	struct lv_buf body; /* the answer */
};

struct run {
	const struct lv_loadgen_config *cfg;
	struct lv_loadgen_result *res;
	CURLM *m;
	int epfd;          /* the sockets libcurl asked to have watched */
	double timer_at_s; /* when libcurl wants curl_multi_socket_action(TIMEOUT); -1 never */
	struct slot *slots;
	size_t n_slots, busy;
	uint64_t next_image;
	double *lat; /* per answered frame */
	size_t n_lat, cap_lat;
	double *srv; /* per answered frame whose answer gave the controller's time */
	size_t n_srv, cap_srv;
	char *url;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct slot *s = arg;
	lv_buf_append(&s->body, p, size * n);
	return size * n;
}

static void note_error(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note_error(struct run *r, const char *fmt, ...)
{
	if (r->res->first_error[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->res->first_error, sizeof r->res->first_error, fmt, ap);
	va_end(ap);
}

/* libcurl's socket callback: keeps the epoll set as libcurl wants it. */
static int on_socket(CURL *e, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct run *r = arg;
	(void)e;
	if (what == CURL_POLL_REMOVE) {
		/* The socket may be closed already, which removes it by itself. */
		epoll_ctl(r->epfd, EPOLL_CTL_DEL, fd, NULL);
		return 0;
	}
	struct epoll_event ev = { 0 };
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
	ev.data.fd = fd;
	if (sockp) {
		epoll_ctl(r->epfd, EPOLL_CTL_MOD, fd, &ev);
	} else if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) == 0 ||
	           (errno == EEXIST && epoll_ctl(r->epfd, EPOLL_CTL_MOD, fd, &ev) == 0)) {
		curl_multi_assign(r->m, fd, r); /* any non-NULL mark: "in the set" */
	}
	return 0;
}

/* libcurl's timer callback: timeout_ms from now, or -1 for none. */
static int on_timer(CURLM *m, long timeout_ms, void *arg)
{
	struct run *r = arg;
	(void)m;
	r->timer_at_s = timeout_ms < 0 ? -1 : lv_mono_s() + (double)timeout_ms / 1000.0;
	return 0;
}

/*
 * An image part's body, read in place: curl_mime_data would copy each
 * 100 KB frame into a fresh buffer per request, and on a client that shares
 * the controller's cores those copies and their page faults showed up in
 * the latency it measures.
 */
struct part_src {
	const uint8_t *data;
	size_t len, pos;
};

static size_t part_read(char *buf, size_t size, size_t n, void *arg)
{
	struct part_src *p = arg;
	size_t k = size * n, left = p->len - p->pos;
	if (k > left)
		k = left;
	memcpy(buf, p->data + p->pos, k);
	p->pos += k;
	return k;
}

/* libcurl rewinds a part to send it again (a reused connection that had closed). */
static int part_seek(void *arg, curl_off_t off, int origin)
{
	struct part_src *p = arg;
	if (origin != SEEK_SET || off < 0 || (uint64_t)off > p->len)
		return CURL_SEEKFUNC_FAIL;
	p->pos = (size_t)off;
	return CURL_SEEKFUNC_OK;
}

static int start(struct run *r, struct slot *s, size_t k)
{
	const struct lv_request *q = &r->cfg->trace->reqs[k];
	char num[40];

	s->mime = curl_mime_init(s->e);
	for (uint32_t i = 0; i < q->frames; i++) {
		const struct lv_loadgen_image *img =
		    &r->cfg->images[r->next_image++ % r->cfg->n_images];
		curl_mimepart *p = curl_mime_addpart(s->mime);
		curl_mime_name(p, "images");
		curl_mime_filename(p, img->name);
		curl_mime_type(p, img->type);
		struct part_src *src = lv_xmalloc(sizeof *src);
		*src = (struct part_src){ .data = img->data, .len = img->len };
		curl_mime_data_cb(p, (curl_off_t)img->len, part_read, part_seek, free, src);
		r->res->bytes_sent += img->len;
	}
	if (!isnan(q->budget_s)) {
		curl_mimepart *p = curl_mime_addpart(s->mime);
		curl_mime_name(p, "latency");
		snprintf(num, sizeof num, "%.17g", q->budget_s);
		curl_mime_data(p, num, CURL_ZERO_TERMINATED);
	}
	curl_easy_setopt(s->e, CURLOPT_MIMEPOST, s->mime);
	s->req = k;
	s->body.len = 0;
	s->t_start = lv_mono_s();
	CURLMcode mc = curl_multi_add_handle(r->m, s->e);
	if (mc != CURLM_OK) {
		note_error(r, "curl: %s", curl_multi_strerror(mc));
		curl_mime_free(s->mime);
		s->mime = NULL;
		s->req = SIZE_MAX;
		return -1;
	}
	r->busy++;
	r->res->requests_sent++;
	r->res->frames_sent += q->frames;
	return 0;
}

static int state_of(const char *name)
{
	for (int st = 0; st < LV_FRAME_NSTATES; st++)
		if (!strcmp(name, lv_frame_state_name((enum lv_frame_state)st)))
			return st;
	return -1;
}

/*
 * Counts an answer's frames; 0, or -1 when the answer is not usable. *srv_s
 * is the answer's "latency", the controller's own time for the request
 * (request headers received to answer ready), NAN when it gives none.
 */
static int tally(struct run *r, struct slot *s, long code, uint32_t frames, uint64_t *states,
                 double *srv_s)
{
	cJSON *o = cJSON_Parse(s->body.p ? s->body.p : "");
	const cJSON *results = cJSON_GetObjectItemCaseSensitive(o, "results");
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(o, "error");
	const cJSON *srv = cJSON_GetObjectItemCaseSensitive(o, "latency");
	int rc = -1;

	*srv_s = cJSON_IsNumber(srv) && srv->valuedouble >= 0 ? srv->valuedouble : NAN;
	if (cJSON_IsArray(results) && (uint32_t)cJSON_GetArraySize(results) == frames) {
		const cJSON *it;
		rc = 0;
		cJSON_ArrayForEach (it, results) {
			const cJSON *st = cJSON_GetObjectItemCaseSensitive(it, "state");
			int k = cJSON_IsString(st) ? state_of(st->valuestring) : -1;
			if (k < 0) {
				rc = -1;
				break;
			}
			states[k]++;
		}
	} else if (code >= 400 && code < 500 && cJSON_IsString(err)) {
		states[LV_FRAME_REJECTED] += frames;
		r->res->frames_refused += frames;
		r->res->requests_refused++;
		note_error(r, "HTTP %ld: %s", code, err->valuestring);
		rc = 0;
	}
	if (rc < 0)
		note_error(r, "HTTP %ld: unexpected answer: %.120s", code,
		           s->body.p ? s->body.p : "");
	cJSON_Delete(o);
	return rc;
}

/* Appends k copies of v to the growing array *a (one per frame of a request). */
static void push_n(double **a, size_t *n, size_t *cap, double v, uint32_t k)
{
	if (*n + k > *cap) {
		*cap = 2 * (*n + k);
		*a = lv_xrealloc(*a, *cap * sizeof **a);
	}
	for (uint32_t i = 0; i < k; i++)
		(*a)[(*n)++] = v;
}

static void finish(struct run *r, struct slot *s, CURLcode cc)
{
	const struct lv_request *q = &r->cfg->trace->reqs[s->req];
	uint64_t states[LV_FRAME_NSTATES] = { 0 };
	double lat = lv_mono_s() - s->t_start, srv = NAN;
	long code = 0;

	curl_multi_remove_handle(r->m, s->e);
	curl_easy_getinfo(s->e, CURLINFO_RESPONSE_CODE, &code);
	if (cc != CURLE_OK) {
		note_error(r, "request %zu: %s", s->req, curl_easy_strerror(cc));
		r->res->requests_failed++;
	} else if (tally(r, s, code, q->frames, states, &srv) < 0) {
		r->res->requests_failed++;
	} else {
		r->res->requests_answered++;
		r->res->frames_answered += q->frames;
		for (int k = 0; k < LV_FRAME_NSTATES; k++)
			r->res->by_state[k] += states[k];
		push_n(&r->lat, &r->n_lat, &r->cap_lat, lat, q->frames);
		if (isfinite(srv))
			push_n(&r->srv, &r->n_srv, &r->cap_srv, srv, q->frames);
	}
	curl_mime_free(s->mime);
	s->mime = NULL;
	s->req = SIZE_MAX;
	r->busy--;
}

static struct slot *free_slot(struct run *r)
{
	for (size_t i = 0; i < r->n_slots; i++)
		if (r->slots[i].req == SIZE_MAX)
			return &r->slots[i];
	return NULL;
}

static void drain_messages(struct run *r)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(r->m, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct slot *s = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
		if (s)
			finish(r, s, msg->data.result);
	}
}

/* Hands what is due to libcurl: the ready sockets, then its timer if it has run out. */
static void turn(struct run *r, const struct epoll_event *evs, int n)
{
	int running;
	for (int i = 0; i < n; i++) {
		int flags = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
		            (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
		            (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
		curl_multi_socket_action(r->m, evs[i].data.fd, flags, &running);
	}
	if (r->timer_at_s >= 0 && lv_mono_s() >= r->timer_at_s) {
		r->timer_at_s = -1; /* libcurl sets it again if it wants */
		curl_multi_socket_action(r->m, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	drain_messages(r);
}

/* Milliseconds until `at_s` (seconds on mono_s), rounded up, at most cap. */
static int ms_until(double at_s, int cap)
{
	double d = at_s - lv_mono_s();
	if (d <= 0)
		return 0;
	return d * 1000 >= cap ? cap : (int)ceil(d * 1000);
}

/* The scheduler: start what is due, move transfers, wait for the next event. */
static void loop(struct run *r)
{
	const struct lv_trace *t = r->cfg->trace;
	const double t0 = lv_mono_s(), speed = r->cfg->speed;
	struct epoll_event evs[64];
	size_t next = 0;

	while (next < t->n || r->busy) {
		if (r->cfg->stop && *r->cfg->stop) {
			for (size_t i = 0; i < r->n_slots; i++)
				if (r->slots[i].req != SIZE_MAX)
					finish(r, &r->slots[i], CURLE_ABORTED_BY_CALLBACK);
			break;
		}
		double now = lv_mono_s() - t0;
		while (next < t->n && t->reqs[next].time_s / speed <= now && r->busy < r->n_slots) {
			double lag = now - t->reqs[next].time_s / speed;
			if (lag > r->res->max_lag_s)
				r->res->max_lag_s = lag;
			if (start(r, free_slot(r), next++) < 0)
				r->res->requests_failed++;
		}
		/* Sleep until a socket is ready, libcurl's timer, or the next request is due. */
		int wait_ms = 100;
		if (r->timer_at_s >= 0)
			wait_ms = ms_until(r->timer_at_s, wait_ms);
		if (next < t->n && r->busy < r->n_slots)
			wait_ms = ms_until(t0 + t->reqs[next].time_s / speed, wait_ms);
		int n = epoll_wait(r->epfd, evs, (int)(sizeof evs / sizeof evs[0]), wait_ms);
		turn(r, evs, n > 0 ? n : 0);
	}
	r->res->duration_s = lv_mono_s() - t0;
}

/* The URL to post to: a URL without a path gets /inference. */
static char *inference_url(const char *url)
{
	const char *p = strstr(url, "://");
	const char *host = p ? p + 3 : url;
	const char *slash = strchr(host, '/');
	const char *scheme = p ? "" : "http://";
	if (!slash || !slash[1])
		return lv_xasprintf("%s%.*s/inference", scheme,
		                    (int)(slash ? (size_t)(slash - url) : strlen(url)), url);
	return lv_xasprintf("%s%s", scheme, url);
}

static int setup(struct run *r, char **why)
{
	const struct lv_loadgen_config *cfg = r->cfg;
	r->url = inference_url(cfg->url);
	r->timer_at_s = -1;
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0)
		return lv_fail(why, LV_EIO, "load: epoll: %s", strerror(errno));
	r->m = curl_multi_init();
	if (!r->m)
		return lv_fail(why, LV_ELIB, "curl: cannot make a multi handle");
	curl_multi_setopt(r->m, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(r->m, CURLMOPT_SOCKETDATA, r);
	curl_multi_setopt(r->m, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(r->m, CURLMOPT_TIMERDATA, r);
	r->n_slots = (size_t)cfg->concurrency;
	r->slots = lv_xcalloc(r->n_slots, sizeof *r->slots);
	for (size_t i = 0; i < r->n_slots; i++) {
		struct slot *s = &r->slots[i];
		s->req = SIZE_MAX;
		s->e = curl_easy_init();
		if (!s->e)
			return lv_fail(why, LV_ELIB, "curl: cannot make an easy handle");
		curl_easy_setopt(s->e, CURLOPT_URL, r->url);
		curl_easy_setopt(s->e, CURLOPT_PRIVATE, s);
		curl_easy_setopt(s->e, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(s->e, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(s->e, CURLOPT_WRITEDATA, s);
		curl_easy_setopt(s->e, CURLOPT_TIMEOUT_MS, (long)(cfg->timeout_s * 1000));
		curl_easy_setopt(s->e, CURLOPT_USERAGENT, "loudva-load");
	}
	curl_multi_setopt(r->m, CURLMOPT_MAXCONNECTS, (long)r->n_slots);
	return 0;
}

static void teardown(struct run *r)
{
	for (size_t i = 0; r->slots && i < r->n_slots; i++) {
		if (r->slots[i].e)
			curl_easy_cleanup(r->slots[i].e);
		curl_mime_free(r->slots[i].mime);
		lv_buf_fini(&r->slots[i].body);
	}
	free(r->slots);
	if (r->m)
		curl_multi_cleanup(r->m);
	if (r->epfd >= 0)
		close(r->epfd);
	free(r->lat);
	free(r->srv);
	free(r->url);
}

int lv_loadgen_run(const struct lv_loadgen_config *cfg, struct lv_loadgen_result *out, char **why)
{
	struct run r = { .cfg = cfg, .res = out, .epfd = -1 };
	int rc;

	memset(out, 0, sizeof *out);
	if (!cfg->trace || !cfg->url || !cfg->images || cfg->n_images == 0)
		return lv_fail(why, LV_EINVAL, "load: a trace, a URL and images are needed");
	if (cfg->concurrency < 1 || !(cfg->speed > 0) || !(cfg->timeout_s > 0))
		return lv_fail(why, LV_EINVAL,
		               "load: concurrency, speed and timeout must be positive");
	out->requests = cfg->trace->n;
	for (size_t i = 0; i < cfg->trace->n; i++)
		out->frames += cfg->trace->reqs[i].frames;
	rc = setup(&r, why);
	if (rc == 0) {
		loop(&r);
		out->frames_unanswered = out->frames - out->frames_answered;
		out->latency_p50_s = lv_percentile(r.lat, r.n_lat, 50);
		out->latency_p95_s = lv_percentile(r.lat, r.n_lat, 95);
		out->latency_p99_s = lv_percentile(r.lat, r.n_lat, 99);
		out->latency_max_s = lv_percentile(r.lat, r.n_lat, 100);
		out->controller_p50_s = lv_percentile(r.srv, r.n_srv, 50);
		out->controller_p95_s = lv_percentile(r.srv, r.n_srv, 95);
		out->controller_p99_s = lv_percentile(r.srv, r.n_srv, 99);
		out->controller_max_s = lv_percentile(r.srv, r.n_srv, 100);
	}
	teardown(&r);
	return rc;
}

/* ---- image sets -------------------------------------------------------- */

void lv_loadgen_images_free(struct lv_loadgen_image *imgs, size_t n)
{
	for (size_t i = 0; imgs && i < n; i++)
		free(imgs[i].data);
	free(imgs);
}

static const char *image_type(const char *name)
{
	const char *dot = strrchr(name, '.');
	if (!dot)
		return NULL;
	if (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg"))
		return "image/jpeg";
	if (!strcasecmp(dot, ".png"))
		return "image/png";
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct lv_loadgen_image *lv_loadgen_images_load(const char *dir, size_t *n_out, char **why)
{
	struct lv_loadgen_image *imgs = NULL;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d) {
		lv_fail(why, LV_ENOENT, "%s: cannot open: %s", dir, strerror(errno));
		return NULL;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !image_type(de->d_name))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			names = lv_xrealloc(names, cap * sizeof *names);
		}
		names[n++] = lv_xstrdup(de->d_name);
	}
	closedir(d);
	if (n == 0) {
		lv_fail(why, LV_ENOENT, "%s: no .jpg, .jpeg or .png files", dir);
		goto out;
	}
	qsort(names, n, sizeof *names, cmp_str);
	imgs = lv_xcalloc(n, sizeof *imgs);
	for (i = 0; i < n; i++) {
		char *path = lv_path_join(dir, names[i]);
		imgs[i].data = (unsigned char *)lv_read_file(path, &imgs[i].len, why);
		free(path);
		if (!imgs[i].data) {
			lv_loadgen_images_free(imgs, i);
			imgs = NULL;
			goto out;
		}
		imgs[i].type = image_type(names[i]);
		snprintf(imgs[i].name, sizeof imgs[i].name, "%s", names[i]);
	}
	*n_out = n;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return imgs;
}

struct lv_loadgen_image *lv_loadgen_images_synth(size_t n, int w, int h, size_t *n_out, char **why)
{
	struct lv_loadgen_image *imgs = lv_xcalloc(n, sizeof *imgs);
	uint8_t *px = lv_xmalloc((size_t)w * (size_t)h * 3);

	for (size_t i = 0; i < n; i++) {
		lv_image_synth(px, w, h, i + 1);
		imgs[i].data = lv_image_encode_jpeg(px, w, h, 90, 1, &imgs[i].len, why);
		if (!imgs[i].data) {
			lv_loadgen_images_free(imgs, i);
			free(px);
			return NULL;
		}
		imgs[i].type = "image/jpeg";
		snprintf(imgs[i].name, sizeof imgs[i].name, "synth%zu.jpg", i + 1);
	}
	free(px);
	*n_out = n;
	return imgs;
}
