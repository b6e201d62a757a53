/*
 * frontend_upload: POST /inference — the multipart body parsed as it
 * arrives (MHD's post processor), limits enforced per part and per body,
 * then decode and preprocess, hand-off to the consumer, the wait, and the
 * JSON answer. Runs on the connection's own thread throughout.
 *
 * Errors. The first error found wins and decides the answer (400 or 413).
 * libmicrohttpd cannot answer while a body is still arriving, so after an
 * error the rest of the body is read and dropped (it is bounded: a body over
 * max_body_bytes is refused from its Content-Length before it is read) and
 * the answer goes out when it ends. A chunked body with no Content-Length
 * that outgrows the limit is cut off by closing the connection, since it
 * might never end. Nothing is handed to the consumer unless every image
 * decoded.
 *
 * Part boundaries: the post processor calls the iterator with off == 0
 * exactly once at the start of every part, empty parts included. Every
 * pointer it passes may be NULL: the key of a part with no name (or no
 * Content-Disposition at all), the filename, content type and transfer
 * encoding when the part has none, and data when size is 0.
 *
 * Refusals wait for the end of the request (fe_upload_refuse): an answer
 * queued before the body is read makes libmicrohttpd close the connection,
 * and with it any request the client pipelined behind this one. Only what
 * must not be read is answered at once: a body over max_body_bytes, and a
 * request framed two ways (fe_framing_error), whose end is not known.
 */
#include "frontend_impl.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/clock.h"
#include "base/util.h"
#include "model/budget.h"

#define JSON_TYPE "application/json"
#define PP_BUFFER 16384 /* post processor's key/header buffer; data streams past it */

struct fe_part {
	unsigned char *data;
	size_t len, cap;
};

struct fe_upload {
	struct lv_frontend *fe;
	struct MHD_PostProcessor *pp;
	struct fe_part *parts; /* the `images` parts, in order */
	size_t n_parts, cap_parts;
	size_t n_seen;   /* parts of any name seen so far */
	size_t n_images; /* `images` parts seen, those after an error included */
	int pp_done;     /* the post processor gave up: the rest of the body is dropped */
	/* The `latency` field's first bytes: one more than a budget may have, so
	 * that a longer one is seen to be longer. */
	char latency[LV_BUDGET_MAX_TEXT + 1];
	size_t latency_len; /* bytes kept in latency[] */
	int n_latency;      /* `latency` parts seen */
	size_t body_bytes;
	unsigned status;   /* 0, or the error code to answer with */
	int reason;        /* its enum lv_fe_refusal; LV_FE_REFUSE_COUNT: not counted */
	char *why;         /* its reason */
	const char *allow; /* a 405's Allow header (static), or NULL */
};

__attribute__((format(printf, 4, 5))) static void fail(struct fe_upload *up, unsigned status,
                                                       int reason, const char *fmt, ...)
{
	if (up->status)
		return;
	up->reason = reason;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	up->why = lv_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(up->why, (size_t)n + 1, fmt, ap);
	va_end(ap);
	up->status = status;
}

static void add_image_bytes(struct fe_upload *up, const char *data, uint64_t off, size_t size)
{
	const struct lv_frontend_limits *lim = &up->fe->lim;

	if (off == 0) {
		if (up->n_parts == lim->max_images) {
			fail(up, MHD_HTTP_CONTENT_TOO_LARGE, LV_FE_REFUSE_TOO_MANY_IMAGES,
			     "too many images: more than %zu in one request", lim->max_images);
			return;
		}
		if (up->n_parts == up->cap_parts) {
			up->cap_parts = up->cap_parts ? 2 * up->cap_parts : 8;
			up->parts = lv_xrealloc(up->parts, up->cap_parts * sizeof *up->parts);
		}
		memset(&up->parts[up->n_parts++], 0, sizeof *up->parts);
	}
	struct fe_part *p = &up->parts[up->n_parts - 1];
	if (size > lim->max_image_bytes - p->len) {
		fail(up, MHD_HTTP_CONTENT_TOO_LARGE, LV_FE_REFUSE_IMAGE_TOO_LARGE,
		     "images[%zu] is over the limit of %zu bytes per image", up->n_parts - 1,
		     lim->max_image_bytes);
		return;
	}
	if (p->len + size > p->cap) {
		size_t cap = p->cap ? p->cap : 64 * 1024;
		while (cap < p->len + size)
			cap *= 2;
		p->data = lv_xrealloc(p->data, cap);
		p->cap = cap;
	}
	if (size)
		memcpy(p->data + p->len, data, size);
	p->len += size;
}

static void add_latency_bytes(struct fe_upload *up, const char *data, uint64_t off, size_t size)
{
	if (off == 0 && ++up->n_latency > 1) {
		fail(up, MHD_HTTP_BAD_REQUEST, LV_FE_REFUSE_BAD_BUDGET,
		     "latency: given more than once");
		return;
	}
	size_t room = sizeof up->latency - up->latency_len, n = size < room ? size : room;
	if (n) /* the rest of an over-long field is dropped: the parser sees it is too long */
		memcpy(up->latency + up->latency_len, data, n);
	up->latency_len += n;
}

static enum MHD_Result iterate(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *filename, const char *content_type,
                               const char *transfer_encoding, const char *data, uint64_t off,
                               size_t size)
{
	struct fe_upload *up = cls;
	(void)kind;
	(void)filename;
	(void)content_type;
	(void)transfer_encoding;

	if (off == 0) {
		up->n_seen++;
		up->n_images += key && !strcmp(key, "images");
	}
	if (up->status)
		return MHD_YES; /* after an error, parts are only counted */
	if (!key || !key[0])
		fail(up, MHD_HTTP_BAD_REQUEST, LV_FE_REFUSE_MALFORMED,
		     "part %zu has no name: each part needs Content-Disposition: form-data; "
		     "name=\"images\" or \"latency\"",
		     up->n_seen);
	else if (!strcmp(key, "images"))
		add_image_bytes(up, data, off, size);
	else if (!strcmp(key, "latency"))
		add_latency_bytes(up, data, off, size);
	/* Other fields are ignored, as the thesis's server did. */
	return MHD_YES;
}

/* The headers that say where a body ends: how many, the Transfer-Encoding, a mangled one. */
struct framing {
	unsigned content_length, transfer_encoding;
	const char *te;
	const char *mangled; /* a key that starts like one of them but is not */
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
	static const char cl[] = MHD_HTTP_HEADER_CONTENT_LENGTH;
	static const char te[] = MHD_HTTP_HEADER_TRANSFER_ENCODING;
	struct framing *f = cls;
	(void)kind;
	if (!key)
		return MHD_YES;
	if (!strcasecmp(key, cl)) {
		f->content_length++;
	} else if (!strcasecmp(key, te)) {
		f->transfer_encoding++;
		f->te = value ? value : "";
	} else if (!strncasecmp(key, cl, sizeof cl - 1) || !strncasecmp(key, te, sizeof te - 1)) {
		f->mangled = key;
	}
	return MHD_YES;
}

char *fe_framing_error(struct MHD_Connection *conn)
{
	struct framing f = { 0 };

	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_framing, &f);
	if (f.content_length > 1)
		return lv_xasprintf("%u Content-Length headers: a request has at most one",
		                    f.content_length);
	if (f.transfer_encoding > 1)
		return lv_xasprintf("%u Transfer-Encoding headers: a request has at most one",
		                    f.transfer_encoding);
	if (f.content_length && f.transfer_encoding)
		return lv_xstrdup("both Content-Length and Transfer-Encoding: a request has one or "
		                  "the other");
	/* libmicrohttpd 0.9 reads a folded "Content-Length: 5\r\n 7" as a header named
	 * "Content-Length7" and no length: the body would be taken for the next request. */
	if (f.mangled)
		return lv_xasprintf("malformed header '%.64s' (a folded line?)", f.mangled);
	if (f.te && strcasecmp(f.te, "chunked"))
		return lv_xasprintf("Transfer-Encoding '%.64s' is not supported: only chunked",
		                    f.te);
	return NULL;
}

/* 1 when the request announces a body over max_body_bytes (which is then never read). */
static int body_over_limit(struct lv_frontend *fe, struct MHD_Connection *conn,
                           unsigned long long *len)
{
	const char *cl =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	return cl && lv_parse_u64(cl, len) == 0 && *len > fe->lim.max_body_bytes;
}

enum MHD_Result fe_upload_refuse(struct lv_frontend *fe, struct MHD_Connection *conn,
                                 unsigned status, int reason, const char *why, const char *allow,
                                 struct fe_upload **out)
{
	unsigned long long len;

	*out = NULL;
	if (body_over_limit(fe, conn, &len)) {
		fe_refused(fe, reason, 0, why);
		return fe_respond_error_allow(fe, conn, status, why, allow);
	}
	struct fe_upload *up = lv_xcalloc(1, sizeof *up);
	up->fe = fe;
	up->allow = allow;
	up->pp_done = 1; /* nothing to parse: the body is read and dropped */
	fail(up, status, reason, "%s", why);
	*out = up;
	return MHD_YES;
}

enum MHD_Result fe_upload_begin(struct lv_frontend *fe, struct MHD_Connection *conn,
                                struct fe_upload **out)
{
	const char *ct =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	unsigned long long len;

	*out = NULL;
	/* At once, closing: connections are to end. */
	if (atomic_load(&fe->closing)) {
		fe_refused(fe, LV_FE_REFUSE_CLOSING, 0, "the controller is shutting down");
		return fe_respond_error(fe, conn, MHD_HTTP_SERVICE_UNAVAILABLE,
		                        "the controller is shutting down");
	}
	if (body_over_limit(fe, conn, &len)) {
		char *why =
		    lv_xasprintf("request body of %llu bytes is over the limit of %zu bytes", len,
		                 fe->lim.max_body_bytes);
		fe_refused(fe, LV_FE_REFUSE_BODY_TOO_LARGE, 0, why);
		enum MHD_Result r = fe_respond_error(fe, conn, MHD_HTTP_CONTENT_TOO_LARGE, why);
		free(why);
		return r;
	}
	if (!ct || strncasecmp(ct, "multipart/form-data", 19) != 0) {
		char *why = lv_xasprintf("expected a multipart/form-data body with 'images' parts, "
		                         "got Content-Type '%s'",
		                         ct ? ct : "(none)");
		enum MHD_Result r = fe_upload_refuse(fe, conn, MHD_HTTP_BAD_REQUEST,
		                                     LV_FE_REFUSE_MALFORMED, why, NULL, out);
		free(why);
		return r;
	}
	struct fe_upload *up = lv_xcalloc(1, sizeof *up);
	up->fe = fe;
	up->pp = MHD_create_post_processor(conn, PP_BUFFER, iterate, up);
	if (!up->pp)
		fail(up, MHD_HTTP_BAD_REQUEST, LV_FE_REFUSE_MALFORMED,
		     "malformed multipart/form-data Content-Type '%s' (no boundary?)", ct);
	*out = up;
	return MHD_YES;
}

enum MHD_Result fe_upload_data(struct fe_upload *up, const char *data, size_t *size)
{
	up->body_bytes += *size;
	if (up->body_bytes > up->fe->lim.max_body_bytes) {
		/* Only a chunked body gets here (Content-Length was checked): it may never
		 * end, so there is no point reading on to answer. */
		return MHD_NO;
	}
	/* Past an error the body is still parsed (not kept) to count its images, until
	 * the post processor itself gives up. */
	if (!up->pp_done && up->pp && MHD_post_process(up->pp, data, *size) != MHD_YES) {
		fail(up, MHD_HTTP_BAD_REQUEST, LV_FE_REFUSE_MALFORMED,
		     "malformed multipart/form-data body");
		up->pp_done = 1;
	}
	*size = 0;
	return MHD_YES;
}

static void free_parts(struct fe_upload *up)
{
	for (size_t i = 0; i < up->n_parts; i++)
		free(up->parts[i].data);
	free(up->parts);
	up->parts = NULL;
	up->n_parts = up->cap_parts = 0;
}

void fe_upload_free(struct fe_upload *up)
{
	if (!up)
		return;
	if (up->pp)
		MHD_destroy_post_processor(up->pp);
	free_parts(up);
	free(up->why);
	free(up);
}

/* The `latency` field as a budget: NAN when absent; 0 or fails the upload. */
static int parse_budget(struct fe_upload *up, double *budget_s)
{
	double max_s =
	    up->fe->lim.max_budget_s > 0 ? up->fe->lim.max_budget_s : LV_BUDGET_DEFAULT_MAX_S;
	char *why = NULL;

	*budget_s = NAN;
	if (!up->n_latency)
		return 0;
	if (lv_budget_parse(up->latency, up->latency_len, max_s, budget_s, &why) < 0) {
		fail(up, MHD_HTTP_BAD_REQUEST, LV_FE_REFUSE_BAD_BUDGET, "latency: %s", why);
		free(why);
		return -1;
	}
	return 0;
}

/* Decodes every part into a new request; NULL after fail() on a bad image. */
static struct lv_live_request *build_request(struct fe_upload *up, double budget_s)
{
	struct lv_frontend *fe = up->fe;
	const struct lv_model_info *m = &fe->model;
	size_t floats = lv_model_input_floats(m);
	struct fe_job *jobs = lv_xcalloc(up->n_parts, sizeof *jobs);
	char *why = NULL;
	for (size_t i = 0; i < up->n_parts; i++)
		jobs[i] = (struct fe_job){ .bytes = up->parts[i].data, .len = up->parts[i].len };
	/* Decoding work is bounded by the pixels the images' headers declare. */
	if (fe_decode_admit(jobs, up->n_parts, fe->lim.max_request_pixels, &why) < 0) {
		fail(up, MHD_HTTP_CONTENT_TOO_LARGE, LV_FE_REFUSE_TOO_MANY_PIXELS, "%s", why);
		free(why);
		free(jobs);
		return NULL;
	}
	fe_decode_enter(fe->dec);
	/*
	 * The tensors are taken inside the gate, so only decoding requests hold
	 * them; only the formats the cluster's devices take are made.
	 */
	unsigned wires = fe->lim.wires ? fe->lim.wires : 1u << LV_WIRE_FP32;
	int fp32 = !!(wires & (1u << LV_WIRE_FP32)), u8 = !!(wires & (1u << LV_WIRE_UINT8));
	int jpeg = !!(wires & (1u << LV_WIRE_JPEG));
	struct lv_live_request *r =
	    fe->ops->request_new((uint32_t)up->n_parts, budget_s, fp32 ? floats : 0);
	if (u8)
		r->pixels = lv_xcalloc(up->n_parts, sizeof(*r->pixels));
	if (jpeg) {
		r->jpegs = lv_xcalloc(up->n_parts, sizeof(*r->jpegs));
		r->jpeg_lens = lv_xcalloc(up->n_parts, sizeof(*r->jpeg_lens));
	}
	for (size_t i = 0; i < up->n_parts; i++) {
		jobs[i].out = fp32 ? r->tensors[i] : NULL;
		jobs[i].pix = u8 ? (r->pixels[i] = lv_xmalloc(floats)) : NULL;
		jobs[i].jpeg = jpeg;
	}
	fe_decode_run(fe->dec, jobs, up->n_parts);
	fe_decode_leave(fe->dec);
	for (size_t i = 0; i < up->n_parts; i++) {
		if (jobs[i].rc < 0 && r) {
			/* The first bad image is the one named, as if decoded in order. */
			fail(up, MHD_HTTP_BAD_REQUEST, LV_FE_REFUSE_BAD_IMAGE, "images[%zu]: %s", i,
			     jobs[i].why);
			fe->ops->request_free(r);
			r = NULL;
		}
		if (r && jpeg) {
			/* The camera's JPEG goes on as it came: no copy, no decode. */
			r->jpegs[i] = jobs[i].jpeg_out ? jobs[i].jpeg_out : up->parts[i].data;
			r->jpeg_lens[i] =
			    jobs[i].jpeg_out ? jobs[i].jpeg_out_len : up->parts[i].len;
			if (!jobs[i].jpeg_out)
				up->parts[i].data = NULL;
			jobs[i].jpeg_out = NULL;
		}
		free(jobs[i].jpeg_out);
		free(jobs[i].why);
		free(up->parts[i].data); /* what the devices take is all that is needed now */
		up->parts[i].data = NULL;
	}
	free(jobs);
	return r;
}

static cJSON *frame_json(size_t i, const struct lv_live_frame_result *f)
{
	cJSON *o = cJSON_CreateObject();
	int ran = f->device[0] != '\0';

	cJSON_AddNumberToObject(o, "image", (double)i);
	cJSON_AddStringToObject(o, "state", lv_frame_state_name(f->state));
	if (ran) {
		cJSON_AddStringToObject(o, "device", f->device);
		cJSON_AddNumberToObject(o, "freq_hz", (double)f->freq_hz);
		cJSON_AddNumberToObject(o, "batch", f->batch);
	} else {
		cJSON_AddNullToObject(o, "device");
		cJSON_AddNullToObject(o, "freq_hz");
		cJSON_AddNullToObject(o, "batch");
	}
	/* cJSON prints non-finite numbers as null: "never dispatched" stays null. */
	cJSON_AddNumberToObject(o, "arrival_s", f->arrival_s);
	cJSON_AddNumberToObject(o, "queue_exit_s", f->queue_exit_s);
	cJSON_AddNumberToObject(o, "completion_s", f->done_s);
	cJSON_AddNumberToObject(o, "latency_s", f->latency_s);
	if (f->top_class >= 0) {
		cJSON_AddNumberToObject(o, "top_class", f->top_class);
		cJSON_AddNumberToObject(o, "score", f->top_score);
	} else {
		cJSON_AddNullToObject(o, "top_class");
		cJSON_AddNullToObject(o, "score");
	}
	if (f->reason[0])
		cJSON_AddStringToObject(o, "reason", f->reason);
	return o;
}

/* The answer for a finished request; *status is 200, or 503 if every frame was refused. */
static char *results_json(const struct lv_live_request *r, double latency_s, unsigned *status)
{
	cJSON *root = cJSON_CreateObject(), *arr = cJSON_CreateArray();
	uint32_t rejected = 0;

	for (uint32_t i = 0; i < r->n_frames; i++) {
		cJSON_AddItemToArray(arr, frame_json(i, &r->results[i]));
		rejected += r->results[i].state == LV_FRAME_REJECTED;
	}
	*status = rejected == r->n_frames ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK;
	cJSON_AddStringToObject(root, "status", rejected == r->n_frames ? "rejected" : "completed");
	if (rejected == r->n_frames)
		cJSON_AddStringToObject(root, "error",
		                        r->results[0].reason[0] ? r->results[0].reason
		                                                : "admission refused");
	cJSON_AddNumberToObject(root, "frames", r->n_frames);
	cJSON_AddNumberToObject(root, "latency", latency_s);
	cJSON_AddItemToObject(root, "results", arr);
	char *txt = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return txt;
}

enum MHD_Result fe_upload_finish(struct fe_upload *up, struct MHD_Connection *conn)
{
	struct lv_frontend *fe = up->fe;
	double t0 = fe_guard_arrival(conn), budget_s; /* the budget clock starts at the headers */

	pthread_mutex_lock(&fe->mu);
	fe->stats.body_bytes += up->body_bytes;
	pthread_mutex_unlock(&fe->mu);
	/* Destroying the post processor flushes what it held back as a possible
	 * boundary; it says no when the closing boundary never came. */
	if (up->pp && MHD_destroy_post_processor(up->pp) != MHD_YES)
		fail(up, MHD_HTTP_BAD_REQUEST, LV_FE_REFUSE_MALFORMED,
		     "malformed multipart/form-data body (truncated?)");
	up->pp = NULL;
	if (!up->status && up->n_parts == 0)
		fail(up, MHD_HTTP_BAD_REQUEST, LV_FE_REFUSE_MALFORMED,
		     "no 'images' part in the request");
	if (!up->status && atomic_load(&fe->closing))
		fail(up, MHD_HTTP_SERVICE_UNAVAILABLE, LV_FE_REFUSE_CLOSING,
		     "the controller is shutting down");
	if (up->status || parse_budget(up, &budget_s) < 0) {
		fe_refused(fe, up->reason, up->n_images, up->why);
		return fe_respond_error_allow(fe, conn, up->status, up->why, up->allow);
	}

	struct lv_live_request *r = build_request(up, budget_s);
	fe_guard_release(fe, conn); /* the body is decoded (or refused): no longer held */
	if (!r) {
		fe_refused(fe, up->reason, up->n_images, up->why);
		return fe_respond_error(fe, conn, up->status, up->why);
	}
	r->arrival_mono_s = t0;
	free_parts(up);
	pthread_mutex_lock(&fe->mu);
	fe->stats.frames_submitted += r->n_frames;
	pthread_mutex_unlock(&fe->mu);
	fe->ops->submit(fe->arg, r);
	fe->ops->request_wait(r);

	unsigned status;
	char *txt = results_json(r, lv_mono_s() - t0, &status);
	fe->ops->request_free(r);
	if (!txt)
		return MHD_NO;
	if (status == MHD_HTTP_OK) {
		pthread_mutex_lock(&fe->mu);
		fe->stats.inference_ok++;
		pthread_mutex_unlock(&fe->mu);
	}
	return fe_respond(fe, conn, status, JSON_TYPE, txt, strlen(txt));
}
