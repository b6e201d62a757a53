/*
 * agent_triton: the emulated Triton endpoint — enough of KServe v2 for the
 * controller to treat an emulated worker as a real one: health, model
 * metadata and readiness, and infer with JSON tensors, the binary tensor
 * extension or inputs in system shared memory regions (agent_shm.c). The
 * model's names, shapes and max batch come from
 * model_repository/<model>/config.pbtxt (read at start-up); the kind's max
 * batch caps the batch further.
 *
 * An infer request is checked as Triton checks it (input names, FP32, shape
 * [b, dims...] with 1 <= b <= max batch, byte or element count) and answered
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

#include <assert.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

struct infer_req {
	int batch;
	const char *id; /* borrowed from the parsed tree, or NULL */
	size_t n_shm;   /* regions the inputs name, held until the infer has answered */
	struct lv_shm_hold shm[LV_MC_MAX_TENSORS];
	size_t n_out; /* outputs to return, in this order */
	int out_index[LV_MC_MAX_TENSORS];
	int out_binary[LV_MC_MAX_TENSORS];
	/* Where the first model input's bytes are, for the outputs (item_seeds). */
	const unsigned char *in_shm; /* in a region; NULL if not */
	const char *in_region;       /* that region's name (borrowed from the tree) */
	int in_binary;               /* in the body's binary part, from in_binary_at */
	unsigned long long in_binary_at;
	uint64_t *seeds; /* per batch item: what its output rows are seeded with */
};

static int known_model(struct lv_agent *a, const struct lv_request *q, struct lv_response *r)
{
	if (a->have_model && !strcmp(q->arg, a->model_name))
		return 1;
	lv_respond_error(r, 404, "Request for unknown model: '%s' is not found", q->arg);
	return 0;
}

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
	              "\"extensions\":[\"binary_tensor_data\",\"system_shared_memory\"]}",
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
	if (a->have_model)
		respond_empty(r, 200);
	else
		lv_respond_error(r, 503, "no model loaded");
}

void lv_triton_model_ready(struct lv_agent *a, const struct lv_request *q, struct lv_response *r)
{
	if (known_model(a, q, r))
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
	if (!known_model(a, q, r))
		return;
	lv_buf_printf(&b, "{\"name\":");
	lv_buf_json_string(&b, a->model_name);
	lv_buf_printf(&b, ",\"versions\":[\"1\"],\"platform\":");
	lv_buf_json_string(&b, a->model.platform);
	lv_buf_printf(&b, ",\"inputs\":[");
	for (size_t i = 0; i < a->model.n_inputs; i++) {
		lv_buf_printf(&b, i ? "," : "");
		tensor_meta(&b, &a->model.inputs[i]);
	}
	lv_buf_printf(&b, "],\"outputs\":[");
	for (size_t i = 0; i < a->model.n_outputs; i++) {
		lv_buf_printf(&b, i ? "," : "");
		tensor_meta(&b, &a->model.outputs[i]);
	}
	lv_buf_printf(&b, "],\"parameters\":{\"emulated\":true,\"kind\":");
	lv_buf_json_string(&b, a->backend->kind);
	lv_buf_printf(&b, ",\"max_batch_size\":%d}}", a->max_batch);
	lv_respond_json(r, 200, lv_buf_take(&b, NULL));
}

/* ---- infer: the request ------------------------------------------------------------ */

static int find_tensor(const struct lv_model_tensor *ts, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ts[i].name, name))
			return (int)i;
	return -1;
}

/* "[-1,299,299,3]" or the shape given. */
static void shape_text(char *out, size_t size, const cJSON *shape, const struct lv_model_tensor *t)
{
	size_t n = 0;
	n += (size_t)snprintf(out, size, "[");
	if (shape) {
		const cJSON *d;
		int first = 1;
		cJSON_ArrayForEach (d, shape) {
			if (n < size)
				n += (size_t)snprintf(out + n, size - n, "%s%.15g",
				                      first ? "" : ",", d->valuedouble);
			first = 0;
		}
	} else {
		n += (size_t)snprintf(out + n, size - n, "-1");
		for (int k = 0; k < t->n_dims && n < size; k++)
			n += (size_t)snprintf(out + n, size - n, ",%lld", (long long)t->dims[k]);
	}
	if (n < size)
		snprintf(out + n, size - n, "]");
}

/* Checks shape [b, dims...] of input t; sets *batch. 0 or a 400 in *r. */
static int check_shape(struct lv_agent *a, const cJSON *shape, const struct lv_model_tensor *t,
                       int *batch, struct lv_response *r)
{
	char got[128], want[128];
	int n = cJSON_GetArraySize(shape), ok = cJSON_IsArray(shape) && n == t->n_dims + 1;
	for (int k = 0; ok && k < n; k++) {
		const cJSON *d = cJSON_GetArrayItem(shape, k);
		ok = cJSON_IsNumber(d) && floor(d->valuedouble) == d->valuedouble &&
		     (k == 0 || d->valuedouble == (double)t->dims[k - 1]);
	}
	if (!ok) {
		shape_text(got, sizeof(got), cJSON_IsArray(shape) ? shape : NULL, t);
		shape_text(want, sizeof(want), NULL, t);
		lv_respond_error(
		    r, 400, "unexpected shape for input '%s' for model '%s'. Expected %s, got %s",
		    t->name, a->model_name, want, cJSON_IsArray(shape) ? got : "no shape");
		return -1;
	}
	double b = cJSON_GetArrayItem(shape, 0)->valuedouble;
	if (b < 1 || b > a->max_batch) {
		lv_respond_error(
		    r, 400,
		    "inference request batch-size must be >= 1 and <= %d for '%s', got %.15g",
		    a->max_batch, a->model_name, b);
		return -1;
	}
	*batch = (int)b;
	return 0;
}

/* A JSON number that is a whole count >= 0 (exact up to 2^53). */
static int whole_count(const cJSON *v, unsigned long long *out)
{
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740992.0 ||
	    floor(v->valuedouble) != v->valuedouble)
		return -1;
	*out = (unsigned long long)v->valuedouble;
	return 0;
}

static int has(const cJSON *object, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(object, key) != NULL;
}

static int has_shm_params(const cJSON *params)
{
	return has(params, "shared_memory_region") || has(params, "shared_memory_byte_size") ||
	       has(params, "shared_memory_offset");
}

/*
 * The tensor's data in a registered system shared memory region: the
 * parameters shared_memory_region, shared_memory_byte_size (= bytes) and
 * shared_memory_offset [0], within the region. The region is held in ir
 * (released by the caller whatever happens). 0 or a 400.
 */
static int check_shm(struct lv_agent *a, const cJSON *in, const struct lv_model_tensor *t,
                     unsigned long long bytes, struct infer_req *ir, struct lv_response *r)
{
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(in, "parameters");
	const cJSON *reg = cJSON_GetObjectItemCaseSensitive(params, "shared_memory_region");
	const cJSON *size = cJSON_GetObjectItemCaseSensitive(params, "shared_memory_byte_size");
	const cJSON *off = cJSON_GetObjectItemCaseSensitive(params, "shared_memory_offset");
	unsigned long long n, o = 0;
	if (!reg || !size) {
		lv_respond_error(r, 400,
		                 "input '%s': shared_memory_region and shared_memory_byte_size go "
		                 "together, but only %s was given",
		                 t->name,
		                 reg    ? "shared_memory_region"
		                 : size ? "shared_memory_byte_size"
		                        : "shared_memory_offset");
		return -1;
	}
	if (!cJSON_IsString(reg) || !reg->valuestring[0]) {
		lv_respond_error(r, 400, "input '%s': shared_memory_region must be a region name",
		                 t->name);
		return -1;
	}
	if (whole_count(size, &n) != 0 || (off && whole_count(off, &o) != 0)) {
		lv_respond_error(
		    r, 400,
		    "input '%s': shared_memory_byte_size and shared_memory_offset must "
		    "be whole numbers of bytes",
		    t->name);
		return -1;
	}
	if (has(in, "data") || has(params, "binary_data_size")) {
		lv_respond_error(r, 400, "input '%s' has both shared_memory_region and %s", t->name,
		                 has(in, "data") ? "data" : "binary_data_size");
		return -1;
	}
	if (n != bytes) {
		lv_respond_error(r, 400,
		                 "unexpected total byte size %llu for input '%s', expecting %llu",
		                 n, t->name, bytes);
		return -1;
	}
	assert(ir->n_shm < LV_MC_MAX_TENSORS); /* an input is named once */
	struct lv_shm_hold *h = &ir->shm[ir->n_shm];
	if (lv_shm_acquire(a->shm, reg->valuestring, h) != 0) {
		lv_respond_error(r, 400, "Unable to find system shared memory region: '%s'",
		                 reg->valuestring);
		return -1;
	}
	ir->n_shm++;
	if (o > h->byte_size || n > h->byte_size - o) {
		lv_respond_error(r, 400,
		                 "Invalid offset + byte size for shared memory region: '%s' (input "
		                 "'%s': offset %llu + %llu bytes, the region has %zu)",
		                 reg->valuestring, t->name, o, n, h->byte_size);
		return -1;
	}
	if (t == &a->model.inputs[0]) {
		ir->in_shm = h->data + o;
		ir->in_region = reg->valuestring;
	}
	return 0;
}

/*
 * The tensor's data: shared memory, binary_data_size or a skimmed "data".
 * Adds binary bytes to *binary. 0 or a 400.
 */
static int check_data(struct lv_agent *a, const cJSON *in, const struct lv_model_tensor *t,
                      int batch, unsigned long long *binary, struct infer_req *ir,
                      struct lv_response *r)
{
	unsigned long long elements =
	    (unsigned long long)batch * (unsigned long long)lv_model_tensor_elements(t);
	unsigned long long bytes = elements * lv_model_datatype_size(t->datatype);
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(in, "parameters");
	const cJSON *bds = cJSON_GetObjectItemCaseSensitive(params, "binary_data_size");
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(in, "data");
	if (has_shm_params(params))
		return check_shm(a, in, t, bytes, ir, r);
	if (bds) {
		if (!cJSON_IsNumber(bds) || bds->valuedouble < 0 ||
		    floor(bds->valuedouble) != bds->valuedouble) {
			lv_respond_error(
			    r, 400, "input '%s': binary_data_size must be a byte count", t->name);
			return -1;
		}
		if (data) {
			lv_respond_error(r, 400, "input '%s' has both binary_data_size and data",
			                 t->name);
			return -1;
		}
		if ((unsigned long long)bds->valuedouble != bytes) {
			lv_respond_error(
			    r, 400,
			    "unexpected total byte size %.15g for input '%s', expecting %llu",
			    bds->valuedouble, t->name, bytes);
			return -1;
		}
		if (t == &a->model.inputs[0]) {
			ir->in_binary = 1;
			ir->in_binary_at = *binary;
		}
		*binary += bytes;
		return 0;
	}
	const cJSON *count = cJSON_GetObjectItemCaseSensitive(data, "lv_count");
	const cJSON *nums = cJSON_GetObjectItemCaseSensitive(data, "lv_numbers");
	if (!data || !cJSON_IsNumber(count)) {
		lv_respond_error(r, 400,
		                 "input '%s': no tensor data (give \"data\": [...] or the "
		                 "binary_data_size parameter)",
		                 t->name);
		return -1;
	}
	if (!cJSON_IsTrue(nums)) {
		lv_respond_error(r, 400, "input '%s': %s data must be numbers", t->name,
		                 t->datatype);
		return -1;
	}
	if ((unsigned long long)count->valuedouble != elements) {
		lv_respond_error(
		    r, 400, "unexpected number of elements %.15g for input '%s', expecting %llu",
		    count->valuedouble, t->name, elements);
		return -1;
	}
	return 0;
}

static int parse_inputs(struct lv_agent *a, const struct lv_request *q, const cJSON *root,
                        struct infer_req *ir, struct lv_response *r)
{
	const struct lv_model_config *m = &a->model;
	const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(root, "inputs");
	const cJSON *in;
	int seen[LV_MC_MAX_TENSORS] = { 0 };
	unsigned long long binary = 0;
	int n_seen = 0;
	if (!cJSON_IsArray(inputs) || cJSON_GetArraySize(inputs) == 0) {
		lv_respond_error(r, 400, "inputs: expected a non-empty array");
		return -1;
	}
	cJSON_ArrayForEach (in, inputs) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(in, "name");
		const cJSON *dt = cJSON_GetObjectItemCaseSensitive(in, "datatype");
		int i = cJSON_IsString(name)
		            ? find_tensor(m->inputs, m->n_inputs, name->valuestring)
		            : -1;
		int batch;
		if (i < 0) {
			lv_respond_error(r, 400, "unexpected inference input '%s' for model '%s'",
			                 cJSON_IsString(name) ? name->valuestring : "(no name)",
			                 a->model_name);
			return -1;
		}
		const struct lv_model_tensor *t = &m->inputs[i];
		if (seen[i]++) {
			lv_respond_error(r, 400, "input '%s' given twice", t->name);
			return -1;
		}
		n_seen++;
		if (!cJSON_IsString(dt) || strcmp(dt->valuestring, t->datatype) != 0) {
			lv_respond_error(
			    r, 400,
			    "inference input '%s' data-type is '%s', but model '%s' expects '%s'",
			    t->name, cJSON_IsString(dt) ? dt->valuestring : "(none)", a->model_name,
			    t->datatype);
			return -1;
		}
		if (check_shape(a, cJSON_GetObjectItemCaseSensitive(in, "shape"), t, &batch, r) !=
		    0)
			return -1;
		if (ir->batch && batch != ir->batch) {
			lv_respond_error(r, 400, "inputs disagree on the batch size (%d and %d)",
			                 ir->batch, batch);
			return -1;
		}
		ir->batch = batch;
		if (check_data(a, in, t, batch, &binary, ir, r) != 0)
			return -1;
	}
	if ((size_t)n_seen != m->n_inputs) {
		lv_respond_error(r, 400, "expected %zu inputs but got %d inputs for model '%s'",
		                 m->n_inputs, n_seen, a->model_name);
		return -1;
	}
	if (binary != q->binary_len) {
		lv_respond_error(r, 400,
		                 "the body carries %zu bytes of binary tensor data, but the "
		                 "inputs' binary_data_size add up to %llu",
		                 q->binary_len, binary);
		return -1;
	}
	return 0;
}

static int parse_outputs(struct lv_agent *a, const cJSON *root, struct infer_req *ir,
                         struct lv_response *r)
{
	const struct lv_model_config *m = &a->model;
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(root, "parameters");
	int bin_default =
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(params, "binary_data_output"));
	const cJSON *outputs = cJSON_GetObjectItemCaseSensitive(root, "outputs");
	const cJSON *o;
	if (!outputs || (cJSON_IsArray(outputs) && cJSON_GetArraySize(outputs) == 0)) {
		for (size_t i = 0; i < m->n_outputs; i++) {
			ir->out_index[i] = (int)i;
			ir->out_binary[i] = bin_default;
		}
		ir->n_out = m->n_outputs;
		return 0;
	}
	if (!cJSON_IsArray(outputs)) {
		lv_respond_error(r, 400, "outputs: expected an array");
		return -1;
	}
	cJSON_ArrayForEach (o, outputs) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
		int i = cJSON_IsString(name)
		            ? find_tensor(m->outputs, m->n_outputs, name->valuestring)
		            : -1;
		if (i < 0 || ir->n_out == LV_MC_MAX_TENSORS) {
			lv_respond_error(r, 400, "unexpected inference output '%s' for model '%s'",
			                 cJSON_IsString(name) ? name->valuestring : "(no name)",
			                 a->model_name);
			return -1;
		}
		const cJSON *oparams = cJSON_GetObjectItemCaseSensitive(o, "parameters");
		const cJSON *bd = cJSON_GetObjectItemCaseSensitive(oparams, "binary_data");
		if (has_shm_params(oparams)) {
			lv_respond_error(
			    r, 400,
			    "output '%s': shared memory for outputs is not supported by "
			    "the emulated agent (ask for binary_data or JSON data)",
			    m->outputs[i].name);
			return -1;
		}
		ir->out_index[ir->n_out] = i;
		ir->out_binary[ir->n_out] = bd ? cJSON_IsTrue(bd) : bin_default;
		ir->n_out++;
	}
	return 0;
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
	struct infer_req *ir;
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
static int item_seeds(const struct lv_agent *a, const struct lv_request *q, struct infer_req *ir,
                      struct lv_response *r)
{
	size_t fb = item_bytes(&a->model, 0), s = a->sample_stride;
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

static float *output_values(const struct infer_req *ir, const struct lv_model_tensor *t,
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

static void respond_infer(struct lv_agent *a, const struct infer_req *ir,
                          const struct lv_infer_result *res, struct lv_response *r)
{
	struct lv_buf h = { 0 }, bin = { 0 };
	lv_buf_printf(&h, "{");
	if (ir->id) {
		lv_buf_printf(&h, "\"id\":");
		lv_buf_json_string(&h, ir->id);
		lv_buf_printf(&h, ",");
	}
	lv_buf_printf(&h, "\"model_name\":");
	lv_buf_json_string(&h, a->model_name);
	lv_buf_printf(&h,
	              ",\"model_version\":\"1\",\"parameters\":{\"emulated\":true,"
	              "\"queue_s\":%.9g,\"compute_s\":%.9g,\"energy_j\":%.9g,\"gpu_freq_hz\":%llu},"
	              "\"outputs\":[",
	              res->queue_s, res->latency_s, res->energy_j,
	              (unsigned long long)res->freq_hz);
	for (size_t k = 0; k < ir->n_out; k++) {
		const struct lv_model_tensor *t = &a->model.outputs[ir->out_index[k]];
		size_t n;
		float *v = output_values(ir, t, &n);
		lv_buf_printf(&h, "%s{\"name\":", k ? "," : "");
		lv_buf_json_string(&h, t->name);
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
	struct infer_req ir = { 0 };
	struct lv_infer_result res;
	char *why = NULL;
	cJSON *root = NULL;
	if (!known_model(a, q, r))
		return;
	char *text = lv_skim_tensor_data(q->body, q->body_len, &why);
	if (!text) {
		lv_respond_error(r, 400, "failed to parse the request JSON: %s", why);
		goto out;
	}
	const char *end = NULL;
	root = cJSON_ParseWithLengthOpts(text, strlen(text), &end, 0);
	if (!cJSON_IsObject(root)) {
		lv_respond_error(r, 400, "failed to parse the request JSON: %s",
		                 root ? "expected an object" : "invalid JSON");
		goto out;
	}
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
	ir.id = cJSON_IsString(id) ? id->valuestring : NULL;
	if (parse_inputs(a, q, root, &ir, r) != 0 || parse_outputs(a, root, &ir, r) != 0 ||
	    item_seeds(a, q, &ir, r) != 0)
		goto out;
	atomic_fetch_add(&a->infers, 1);
	int rc = lv_backend_infer(a->backend, ir.batch, &res, &why);
	if (rc != 0) {
		lv_respond_error(r, rc == LV_ESTATE ? 503 : 500, "%s", why ? why : "infer failed");
		goto out;
	}
	respond_infer(a, &ir, &res, r);
out:
	for (size_t k = 0; k < ir.n_shm; k++)
		lv_shm_release(a->shm, &ir.shm[k]);
	free(ir.seeds);
	cJSON_Delete(root);
	free(text);
	free(why);
}
