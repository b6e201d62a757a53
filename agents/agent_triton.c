/*
 * agent_triton: the emulated Triton endpoint — enough of KServe v2 for the
 * controller to treat an emulated worker as a real one: health, model
 * metadata and readiness, and infer with JSON tensors, the binary tensor
 * extension or inputs in system shared memory regions (agent_shm.c). The
 * model's names, shapes and max batch come from
 * model_repository/<model>/config.pbtxt (read at start-up); the kind's max
 * batch caps the batch further.
 *
 * An infer request is checked by agent_kserve.c (as Triton checks it, and
 * every booked item backed by bytes the request carries) and answered
 * 400 {"error": "..."} otherwise; a valid one is held for the emulated
 * batch's latency, queued behind other batches (one model instance), and
 * answered with the model's output tensors filled with a deterministic
 * pseudo-softmax, marked {"emulated": true}. Each batch item's row is seeded
 * by a hash of that item's input bytes (sampled, see item_seeds), so that,
 * as from a real classifier, a picture gets the same answer wherever it sits
 * in a batch and whichever way it came (binary body or shared memory); a
 * client that mixed up its frames would see it.
 */
#include "agent.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/util.h"

/*
 * The input bytes that seed an output: at least SAMPLES_PER_ITEM of an item
 * where its size allows, at most SAMPLE_STRIDE_MAX bytes apart. Each sample
 * of a frame the controller has just written is a cache miss (and mostly a
 * TLB miss) here: with 276 per frame the agents took 0.14-0.16 ms of CPU per
 * frame on the live benchmark, with 39 0.10-0.13 ms, and 39 tell two camera
 * pictures apart as well.
 */
#define SAMPLE_STRIDE_MAX 65536
#define SAMPLES_PER_ITEM  32
#define SEED_BASIS        0x6c6f756476614cULL

static void respond_empty(struct lv_response *r, int status)
{
	r->status = status;
	r->body = NULL;
	r->len = 0;
}

void lv_triton_server_meta(struct lv_agent *a, const struct lv_request *q, struct lv_response *r)
{
	struct lv_buf b = { 0 };
	(void)a, (void)q;
	lv_buf_printf(&b,
	              "{\"name\":\"triton\",\"version\":\"loudva-agent %s (emulated)\","
	              "\"extensions\":[\"classification\",\"model_configuration\","
	              "\"system_shared_memory\",\"binary_tensor_data\",\"parameters\","
	              "\"statistics\"]}",
	              LV_AGENT_VERSION);
	lv_respond_json(r, 200, lv_buf_take(&b, NULL));
}

void lv_triton_live(struct lv_agent *a, const struct lv_request *q, struct lv_response *r)
{
	(void)a, (void)q;
	respond_empty(r, 200);
}

void lv_triton_ready(struct lv_agent *a, const struct lv_request *q, struct lv_response *r)
{
	(void)q;
	for (size_t i = 0; i < a->n_models; i++) {
		const struct lv_agent_model *m = &a->models[i];
		if (m->unavailable) {
			lv_respond_error(r, 503, "model '%s' is not loaded: %s", m->name,
			                 m->unavailable);
			return;
		}
	}
	if (a->n_models)
		respond_empty(r, 200);
	else
		lv_respond_error(r, 503, "no model loaded");
}

void lv_triton_model_ready(struct lv_agent *a, const struct lv_request *q, struct lv_response *r)
{
	if (lv_triton_model_check(a, q, r))
		respond_empty(r, 200);
}

static void tensor_meta(struct lv_buf *b, const struct lv_model_tensor *t)
{
	lv_buf_printf(b, "{\"name\":");
	lv_buf_json_string(b, t->name);
	lv_buf_printf(b, ",\"datatype\":");
	lv_buf_json_string(b, t->datatype);
	lv_buf_printf(b, ",\"shape\":[-1");
	for (int d = 0; d < t->n_dims; d++)
		lv_buf_printf(b, ",%lld", (long long)t->dims[d]);
	lv_buf_printf(b, "]}");
}

void lv_triton_model_meta(struct lv_agent *a, const struct lv_request *q, struct lv_response *r)
{
	struct lv_buf b = { 0 };
	const struct lv_agent_model *m = lv_triton_model_check(a, q, r);
	if (!m)
		return;
	lv_buf_printf(&b, "{\"name\":");
	lv_buf_json_string(&b, m->name);
	lv_buf_printf(&b, ",\"versions\":[\"%lld\"],\"platform\":", m->version);
	lv_buf_json_string(&b, m->cfg.platform);
	lv_buf_printf(&b, ",\"inputs\":[");
	for (size_t i = 0; i < m->cfg.n_inputs; i++) {
		lv_buf_printf(&b, i ? "," : "");
		tensor_meta(&b, &m->cfg.inputs[i]);
	}
	lv_buf_printf(&b, "],\"outputs\":[");
	for (size_t i = 0; i < m->cfg.n_outputs; i++) {
		lv_buf_printf(&b, i ? "," : "");
		tensor_meta(&b, &m->cfg.outputs[i]);
	}
	lv_buf_printf(&b, "],\"parameters\":{\"emulated\":true,\"kind\":");
	lv_buf_json_string(&b, a->backend->kind);
	lv_buf_printf(&b, ",\"max_batch_size\":%d}}", m->max_batch);
	lv_respond_json(r, 200, lv_buf_take(&b, NULL));
}

/* ---- infer: the response ----------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/*
 * Row `row` of a pseudo-softmax over n classes: positive, sums to 1, the same
 * every time, and like a classifier's, one class (picked by the row) takes
 * most of the mass: logits uniform in [0, 8), the top one 14.
 */
static void pseudo_softmax(float *out, size_t n, uint64_t row)
{
	double sum = 0;
	size_t top = (size_t)(mix64(~row) % n);
	for (size_t j = 0; j < n; j++) {
		double u = (double)(mix64(row * 1000003ULL + j) >> 11) * 0x1p-53;
		double w = exp(j == top ? 14.0 : 8.0 * u);
		out[j] = (float)w;
		sum += w;
	}
	for (size_t j = 0; j < n; j++)
		out[j] = (float)(out[j] / sum);
}

/* Bytes per batch item of input i; 0 if there is no such input or its shape is not fixed. */
static size_t item_bytes(const struct lv_model_config *m, size_t i)
{
	if (i >= m->n_inputs)
		return 0;
	int64_t e = lv_model_tensor_elements(&m->inputs[i]);
	return e > 0 ? (size_t)e * lv_model_datatype_size(m->inputs[i].datatype) : 0;
}

static size_t gcd(size_t x, size_t y)
{
	while (y) {
		size_t r = x % y;
		x = y;
		y = r;
	}
	return x;
}

size_t lv_agent_sample_stride(const struct lv_model_config *m)
{
	/*
	 * A divisor of every input's bytes per item, so that wherever the first
	 * input starts in the binary part, its items start on a sample; the
	 * largest one that still leaves about SAMPLES_PER_ITEM samples of an item
	 * (at most SAMPLE_STRIDE_MAX bytes apart): 27,508 bytes, 39 samples, for
	 * Inception's 1.07 MB.
	 */
	size_t g = 0, fb = item_bytes(m, 0);
	for (size_t i = 0; i < m->n_inputs; i++)
		if (!strcmp(m->inputs[i].datatype, "BYTES"))
			return 1; /* JPEGs: the binary part is kept whole and decoded */
	for (size_t i = 0; i < m->n_inputs; i++)
		g = gcd(g, item_bytes(m, i));
	if (g == 0 || fb == 0)
		return 0;
	size_t limit = fb / SAMPLES_PER_ITEM;
	if (limit > SAMPLE_STRIDE_MAX)
		limit = SAMPLE_STRIDE_MAX;
	for (size_t s = limit < g ? limit : g; s > 1; s--)
		if (g % s == 0)
			return s;
	return 1;
}

/*
 * Each item's seed from its samples: item k's n samples are at
 * p + (k * n + j) * step (step: the stride in a region, 1 in the samples the
 * HTTP layer kept).
 */
struct seed_job {
	const unsigned char *p;
	size_t n, step;
	struct lv_infer_req *ir;
};

static void hash_items(void *arg)
{
	const struct seed_job *j = arg;
	for (int k = 0; k < j->ir->batch; k++) {
		const unsigned char *p = j->p + (size_t)k * j->n * j->step;
		uint64_t h = SEED_BASIS;
		for (size_t i = 0; i < j->n; i++)
			h = mix64(h ^ p[i * j->step]);
		j->ir->seeds[k] = h;
	}
}

/*
 * Each batch item's seed: a hash of its input bytes at every
 * sample_stride-th byte, read from the region or from the samples the HTTP
 * layer kept of the body. The same picture gives the same output whatever
 * its place in the batch and however it came, as from a real classifier.
 * With no bytes to read (JSON "data"), the item's index. 0, or a 400 when
 * the region's object no longer holds the bytes (truncated under us).
 */
static int item_seeds(const struct lv_request *q, struct lv_infer_req *ir, struct lv_response *r)
{
	size_t fb = item_bytes(&ir->model->cfg, 0), s = ir->model->sample_stride;
	ir->seeds = lv_xcalloc((size_t)ir->batch, sizeof(*ir->seeds));
	for (int k = 0; k < ir->batch; k++)
		ir->seeds[k] = (uint64_t)k;
	if (fb == 0 || s == 0)
		return 0;
	size_t per = fb / s; /* samples per item */
	if (ir->in_shm) {
		struct seed_job j = { ir->in_shm, per, s, ir };
		if (lv_shm_read_guarded(hash_items, &j) != 0) {
			lv_respond_error(
			    r, 400,
			    "shared memory region '%s': its object no longer holds the "
			    "input's bytes (truncated?)",
			    ir->in_region);
			return -1;
		}
		return 0;
	}
	if (!ir->in_binary || ir->in_binary_at % s != 0)
		return 0;
	size_t first = (size_t)(ir->in_binary_at / s);
	if (first + (size_t)ir->batch * per > q->n_samples)
		return 0;
	struct seed_job j = { q->samples + first, per, 1, ir };
	hash_items(&j);
	return 0;
}

static float *output_values(const struct lv_infer_req *ir, const struct lv_model_tensor *t,
                            size_t *count)
{
	int64_t per = lv_model_tensor_elements(t);
	size_t row = t->n_dims > 0 ? (size_t)t->dims[t->n_dims - 1] : 1;
	size_t n = (size_t)ir->batch * (size_t)per;
	float *v = lv_xmalloc(n * sizeof(float));
	size_t per_item = row ? (size_t)per / row : 1; /* rows of one batch item */
	if (per_item == 0)
		per_item = 1;
	for (size_t k = 0; k * row < n; k++)
		pseudo_softmax(v + k * row, row, ir->seeds[k / per_item] + k % per_item);
	*count = n;
	return v;
}

/*
 * Output k of the response as the classification extension gives it: the
 * top classes of each row of the last dimension, a BYTES tensor [batch, k]
 * (its header into h, its bytes into h or, binary, into bin).
 */
static void output_classes(const struct lv_infer_req *ir, size_t k, const struct lv_model_tensor *t,
                           const float *v, size_t n, struct lv_buf *h, struct lv_buf *bin)
{
	size_t row = t->n_dims > 0 ? (size_t)t->dims[t->n_dims - 1] : 1;
	int rows = row ? (int)(n / row) : 0, kk;
	struct lv_buf strings = { 0 };
	lv_triton_classify(ir->model, ir->out_index[k], v, rows, row, ir->out_class[k],
	                   ir->out_binary[k], &strings, &kk);
	lv_buf_printf(h, ",\"datatype\":\"BYTES\",\"shape\":[%d", ir->batch);
	for (int d = 0; d + 1 < t->n_dims; d++)
		lv_buf_printf(h, ",%lld", (long long)t->dims[d]);
	lv_buf_printf(h, ",%d],\"parameters\":{\"emulated\":true", kk);
	if (ir->out_binary[k]) {
		lv_buf_printf(h, ",\"binary_data_size\":%zu}}", strings.len);
		lv_buf_append(bin, strings.p, strings.len);
	} else {
		lv_buf_printf(h, "},\"data\":");
		lv_buf_append(h, strings.p, strings.len);
		lv_buf_printf(h, "}");
	}
	lv_buf_fini(&strings);
}

static void respond_infer(const struct lv_infer_req *ir, const struct lv_infer_result *res,
                          struct lv_response *r)
{
	const struct lv_agent_model *m = ir->model;
	struct lv_buf h = { 0 }, bin = { 0 };
	lv_buf_printf(&h, "{");
	if (ir->id) {
		lv_buf_printf(&h, "\"id\":");
		lv_buf_json_string(&h, ir->id);
		lv_buf_printf(&h, ",");
	}
	lv_buf_printf(&h, "\"model_name\":");
	lv_buf_json_string(&h, m->name);
	lv_buf_printf(&h,
	              ",\"model_version\":\"%lld\",\"parameters\":{\"emulated\":true,"
	              "\"queue_s\":%.9g,\"compute_s\":%.9g,\"energy_j\":%.9g,\"gpu_freq_hz\":%llu},"
	              "\"outputs\":[",
	              m->version, res->queue_s, res->latency_s, res->energy_j,
	              (unsigned long long)res->freq_hz);
	for (size_t k = 0; k < ir->n_out; k++) {
		const struct lv_model_tensor *t = &m->cfg.outputs[ir->out_index[k]];
		size_t n;
		float *v = output_values(ir, t, &n);
		lv_buf_printf(&h, "%s{\"name\":", k ? "," : "");
		lv_buf_json_string(&h, t->name);
		if (ir->out_class[k] > 0) {
			output_classes(ir, k, t, v, n, &h, &bin);
			free(v);
			continue;
		}
		lv_buf_printf(&h, ",\"datatype\":\"FP32\",\"shape\":[%d", ir->batch);
		for (int d = 0; d < t->n_dims; d++)
			lv_buf_printf(&h, ",%lld", (long long)t->dims[d]);
		if (ir->out_binary[k]) {
			lv_buf_printf(
			    &h, "],\"parameters\":{\"emulated\":true,\"binary_data_size\":%zu}}",
			    n * sizeof(float));
			lv_buf_append(&bin, v, n * sizeof(float)); /* little-endian hosts */
		} else {
			lv_buf_printf(&h, "],\"parameters\":{\"emulated\":true},\"data\":[");
			for (size_t i = 0; i < n; i++)
				lv_buf_printf(&h, i ? ",%.9g" : "%.9g", (double)v[i]);
			lv_buf_printf(&h, "]}");
		}
		free(v);
	}
	lv_buf_printf(&h, "]}");
	if (bin.len == 0) {
		lv_respond_json(r, 200, lv_buf_take(&h, NULL));
		lv_buf_fini(&bin);
		return;
	}
	r->header_len = h.len;
	lv_buf_append(&h, bin.p, bin.len);
	lv_buf_fini(&bin);
	r->status = 200;
	r->body = lv_buf_take(&h, &r->len);
	r->content_type = "application/octet-stream";
}

void lv_triton_infer(struct lv_agent *a, const struct lv_request *q, struct lv_response *r)
{
	struct lv_infer_req ir = { 0 };
	struct lv_infer_result res = { 0 };
	char *why = NULL;
	int ok = 0;
	double t0 = lv_mono_s(), t_in = t0, t_run = t0;
	const struct lv_agent_model *m = lv_triton_model_check(a, q, r);
	if (!m)
		return;
	if (lv_kserve_parse(a, m, q, &ir, r) != 0 || item_seeds(q, &ir, r) != 0)
		goto out;
	t_in = lv_mono_s();
	atomic_fetch_add(&a->infers, 1);
	int rc = lv_backend_infer(a->backend, ir.batch, m->wire, &res, &why);
	t_run = lv_mono_s();
	if (rc != 0) {
		lv_respond_error(r, rc == LV_ESTATE ? 503 : 500, "%s", why ? why : "infer failed");
		goto out;
	}
	respond_infer(&ir, &res, r);
	ok = 1;
out:
	if (m->stats) {
		double end = lv_mono_s();
		lv_triton_stats_record(m->stats, ok, ir.batch, t_in - t0, res.queue_s,
		                       res.latency_s, ok ? end - t_run : 0, end - t0);
	}
	lv_kserve_req_fini(a, &ir);
	free(why);
}
