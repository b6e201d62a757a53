/*
 * frontend_decode: decoding a request's images into its tensors — the
 * decode gate, and helper threads that decode a request's frames side by
 * side. Contracts are in frontend_impl.h; frontend_upload.c calls it.
 *
 * The gate. At most max_decoders requests decode at once; the others wait
 * in arrival order, each on its own condition variable, and a request that
 * is done hands its place straight to the first waiter (one wake-up per
 * decode, not a stampede). Decoding is CPU-bound: with dozens of requests
 * decoding side by side, each would take dozens of times longer, hold its
 * ~1 MB tensors that long, and share the caches with all the others.
 *
 * The helpers (max_decoders - 1 threads). A request's connection thread
 * queues its frames after the first, decodes the first itself, then takes
 * back whichever of its own frames no helper has started, and waits for the
 * rest. On an idle controller a 2-frame request thus decodes in about the
 * time of one frame; under load the helpers are busy with earlier requests'
 * frames and each connection thread decodes its own, with no hand-off.
 *
 * Admission (fe_decode_admit): before a request takes its place at the
 * gate, the pixels its images' headers declare are added up and checked
 * against max_request_pixels, so the work one request can ask for is
 * bounded before any of it is done.
 *
 * Invariants (under mu): a job is in the queue only while nobody decodes
 * it; batch->left counts the request's jobs not yet finished.
 */
#include "frontend_impl.h"

#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "image.h"
#include "base/util.h"

struct fe_gate_wait {
	pthread_cond_t cv;
	int go;
	struct fe_gate_wait *next;
};

struct fe_batch {
	size_t left;
	pthread_cond_t done;
};

struct fe_decode {
	pthread_mutex_t mu;
	pthread_cond_t work; /* helpers wait here for jobs */
	struct fe_job *head, *tail;
	unsigned decoding, max_decoding; /* requests let through the gate */
	struct fe_gate_wait *gate_head, *gate_tail;
	pthread_t *helpers;
	unsigned n_helpers;
	int stopping;
	struct lv_model_info model;
};

/*
 * The work the cluster's formats leave to the controller: decoding and
 * resizing for fp32 and uint8 devices, and for jpeg devices only a look at
 * the JPEG's header (the device decodes it) — a frame that is not a JPEG
 * (a PNG) is resized and encoded as one, at quality 90.
 */
static void run_job(const struct fe_decode *d, struct fe_job *j)
{
	const struct lv_model_info *m = &d->model;
	uint8_t *pix = j->pix;
	int w, h;
	j->rc = 0;
	j->jpeg_out = NULL;
	j->jpeg_out_len = 0;
	if (j->jpeg && lv_image_sniff(j->bytes, j->len) == LV_IMAGE_JPEG) {
		j->rc = lv_image_dims(j->bytes, j->len, &w, &h, &j->why);
		if (j->rc < 0)
			return;
		if (w > LV_IMAGE_MAX_SIDE || h > LV_IMAGE_MAX_SIDE ||
		    (uint64_t)w * (uint64_t)h > LV_IMAGE_MAX_PIXELS) {
			j->rc = lv_fail(&j->why, LV_EINVAL, "JPEG of %d×%d pixels: over the limit",
			                w, h);
			return;
		}
	} else if (j->jpeg && !pix) {
		pix = lv_xmalloc(lv_model_input_floats(m)); /* for the encoder only */
	}
	if (j->out || pix)
		j->rc = lv_image_prepare(j->bytes, j->len, m, j->out, pix, &j->why);
	if (j->rc == 0 && j->jpeg && lv_image_sniff(j->bytes, j->len) != LV_IMAGE_JPEG) {
		j->jpeg_out = lv_image_encode_jpeg(pix, m->width, m->height, 90, 1,
		                                   &j->jpeg_out_len, &j->why);
		if (!j->jpeg_out)
			j->rc = LV_ELIB;
	}
	if (pix != j->pix)
		free(pix);
}

/* Marks j finished (under mu) and wakes its owner when its batch is complete. */
static void job_done(struct fe_job *j)
{
	if (--j->batch->left == 0)
		pthread_cond_signal(&j->batch->done);
}

static void *helper_main(void *arg)
{
	struct fe_decode *d = arg;
	prctl(PR_SET_NAME, "lv-decode"); /* as top and perf show it */
	pthread_mutex_lock(&d->mu);
	for (;;) {
		while (!d->head && !d->stopping)
			pthread_cond_wait(&d->work, &d->mu);
		if (!d->head)
			break;
		struct fe_job *j = d->head;
		d->head = j->next;
		if (!d->head)
			d->tail = NULL;
		pthread_mutex_unlock(&d->mu);
		run_job(d, j);
		pthread_mutex_lock(&d->mu);
		job_done(j);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

struct fe_decode *fe_decode_new(const struct lv_model_info *model, unsigned max_decoding)
{
	struct fe_decode *d = lv_xcalloc(1, sizeof *d);
	d->model = *model;
	d->max_decoding = max_decoding ? max_decoding : 1;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->work, NULL);
	d->helpers = lv_xcalloc(d->max_decoding, sizeof *d->helpers);
	for (unsigned i = 0; i + 1 < d->max_decoding; i++) {
		if (pthread_create(&d->helpers[d->n_helpers], NULL, helper_main, d) != 0)
			break; /* fewer helpers: connection threads decode the rest */
		d->n_helpers++;
	}
	return d;
}

void fe_decode_free(struct fe_decode *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	d->stopping = 1;
	pthread_cond_broadcast(&d->work);
	pthread_mutex_unlock(&d->mu);
	for (unsigned i = 0; i < d->n_helpers; i++)
		pthread_join(d->helpers[i], NULL);
	free(d->helpers);
	pthread_cond_destroy(&d->work);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

void fe_decode_enter(struct fe_decode *d)
{
	pthread_mutex_lock(&d->mu);
	if (d->decoding < d->max_decoding && !d->gate_head) {
		d->decoding++;
		pthread_mutex_unlock(&d->mu);
		return;
	}
	struct fe_gate_wait w = { .go = 0, .next = NULL };
	pthread_cond_init(&w.cv, NULL);
	if (d->gate_tail)
		d->gate_tail->next = &w;
	else
		d->gate_head = &w;
	d->gate_tail = &w;
	while (!w.go)
		pthread_cond_wait(&w.cv, &d->mu);
	pthread_mutex_unlock(&d->mu);
	pthread_cond_destroy(&w.cv);
}

void fe_decode_leave(struct fe_decode *d)
{
	pthread_mutex_lock(&d->mu);
	struct fe_gate_wait *w = d->gate_head;
	if (w) {
		/* The place passes to w: d->decoding stays as it is. */
		d->gate_head = w->next;
		if (!d->gate_head)
			d->gate_tail = NULL;
		w->go = 1;
		pthread_cond_signal(&w->cv);
	} else {
		d->decoding--;
	}
	pthread_mutex_unlock(&d->mu);
}

/* Takes one of batch b's jobs off the queue if no helper has started it; NULL if none. */
static struct fe_job *take_own(struct fe_decode *d, const struct fe_batch *b)
{
	struct fe_job *prev = NULL;
	for (struct fe_job *j = d->head; j; prev = j, j = j->next) {
		if (j->batch != b)
			continue;
		if (prev)
			prev->next = j->next;
		else
			d->head = j->next;
		if (d->tail == j)
			d->tail = prev;
		return j;
	}
	return NULL;
}

int fe_decode_admit(const struct fe_job *jobs, size_t n, uint64_t max_pixels, char **why)
{
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++) {
		int w, h;
		/* An unreadable header costs nothing to decode: decoding names the fault. */
		if (lv_image_dims(jobs[i].bytes, jobs[i].len, &w, &h, NULL) < 0)
			continue;
		total += (uint64_t)w * (uint64_t)h;
		if (total > max_pixels)
			return lv_fail(
			    why, LV_EFULL,
			    "images[0..%zu] add up to %llu pixels (images[%zu] is %d×%d), "
			    "over max_request_pixels (%llu)",
			    i, (unsigned long long)total, i, w, h, (unsigned long long)max_pixels);
	}
	return 0;
}

void fe_decode_run(struct fe_decode *d, struct fe_job *jobs, size_t n)
{
	struct fe_batch b = { .left = n };
	if (n == 0)
		return;
	pthread_cond_init(&b.done, NULL);
	for (size_t i = 0; i < n; i++) {
		jobs[i].batch = &b;
		jobs[i].rc = 0;
		jobs[i].why = NULL;
		jobs[i].next = NULL;
	}
	pthread_mutex_lock(&d->mu);
	if (d->n_helpers > 0) {
		for (size_t i = 1; i < n; i++) {
			if (d->tail)
				d->tail->next = &jobs[i];
			else
				d->head = &jobs[i];
			d->tail = &jobs[i];
		}
		if (n > 1)
			pthread_cond_broadcast(&d->work);
	}
	pthread_mutex_unlock(&d->mu);

	/* The first frame here; then, without helpers, the others in order. */
	struct fe_job *j = &jobs[0];
	size_t next = 1;
	for (;;) {
		run_job(d, j);
		pthread_mutex_lock(&d->mu);
		job_done(j);
		j = d->n_helpers > 0 ? take_own(d, &b) : next < n ? &jobs[next++] : NULL;
		if (!j)
			break;
		pthread_mutex_unlock(&d->mu);
	}
	while (b.left > 0)
		pthread_cond_wait(&b.done, &d->mu);
	pthread_mutex_unlock(&d->mu);
	pthread_cond_destroy(&b.done);
}
