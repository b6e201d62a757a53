/*
 * agent_kserve: a KServe v2 infer request as the emulated Triton receives
 * it — the JSON header (through the skimmer, agent_skim.c) and the binary
 * tensor extension's bytes after it (counted by agent_body.c), or inputs
 * in registered shared memory regions (agent_shm.c) — checked as Triton
 * checks it: input names, datatypes, shape [b, dims...] with 1 <= b <= max
 * batch, byte or element counts. Anything else is a 400 naming the input
 * and what was wrong.
 *
 * The batch it books is what the emulated device then spends its time and
 * energy on, so it must be backed by what the request carries: a JSON
 * tensor by numbers the skimmer counted itself (each array claimed by one
 * input only), a binary one by binary_data_size bytes equal to shape x
 * datatype size whose sum is exactly the bytes that arrived after the
 * header, a shared-memory one by a registered region holding offset +
 * size. The JSON outside the tensors is at most LV_AGENT_SMALL_BODY, so
 * what cJSON builds is bounded whatever arrays a client hides elsewhere.
 *
 * A BYTES input (the jpeg wire's frames, model_repository/<model>_jpeg)
 * has no fixed size: it must come as binary data, whose elements are then
 * walked and each one decoded as a JPEG (agent_jpeg.c) — the agent keeps
 * such a model's binary part whole for this (sample stride 1).
 *
 * Called by agent_triton.c (lv_triton_infer) and the KServe fuzz harness;
 * uses the agent's model, max batch and shared memory table, no backend.
 */
#include "agent.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

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
static int check_shape(const struct lv_agent_model *m, const cJSON *shape,
                       const struct lv_model_tensor *t, int *batch, struct lv_response *r)
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
		    t->name, m->name, want, cJSON_IsArray(shape) ? got : "no shape");
		return -1;
	}
	double b = cJSON_GetArrayItem(shape, 0)->valuedouble;
	if (b < 1 || b > m->max_batch) {
		lv_respond_error(
		    r, 400,
		    "inference request batch-size must be >= 1 and <= %d for '%s', got %.15g",
		    m->max_batch, m->name, b);
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
                     unsigned long long bytes, struct lv_infer_req *ir, struct lv_response *r)
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
	if (t == &ir->model->cfg.inputs[0]) {
		ir->in_shm = h->data + o;
		ir->in_region = reg->valuestring;
	}
	return 0;
}

/*
 * Elements and bytes of input t for a batch of `batch`, overflow checked.
 * 0, or a 400 when the model gives the input no fixed size.
 */
static int tensor_size(const struct lv_agent_model *m, const struct lv_model_tensor *t, int batch,
                       unsigned long long *elements, unsigned long long *bytes,
                       struct lv_response *r)
{
	int64_t per = lv_model_tensor_elements(t);
	size_t dsize = lv_model_datatype_size(t->datatype);
	if (!strcmp(t->datatype, "BYTES") && per > 0 &&
	    !__builtin_mul_overflow((unsigned long long)batch, (unsigned long long)per, elements)) {
		*bytes = 0; /* elements of their own sizes: checked by check_bytes */
		return 0;
	}
	if (per <= 0 || dsize == 0 ||
	    __builtin_mul_overflow((unsigned long long)batch, (unsigned long long)per, elements) ||
	    __builtin_mul_overflow(*elements, (unsigned long long)dsize, bytes)) {
		lv_respond_error(
		    r, 400,
		    "input '%s' of model '%s' has no fixed size (%s, %lld elements per "
		    "item): the emulation cannot check its data",
		    t->name, m->name, t->datatype, (long long)per);
		return -1;
	}
	return 0;
}

/* Binary data: binary_data_size must be the shape's bytes; they are added to *binary. */
static int check_binary(const cJSON *in, const cJSON *bds, const struct lv_model_tensor *t,
                        unsigned long long bytes, unsigned long long *binary,
                        struct lv_infer_req *ir, struct lv_response *r)
{
	unsigned long long n;
	if (whole_count(bds, &n) != 0) {
		lv_respond_error(r, 400, "input '%s': binary_data_size must be a byte count",
		                 t->name);
		return -1;
	}
	if (has(in, "data")) {
		lv_respond_error(r, 400, "input '%s' has both binary_data_size and data", t->name);
		return -1;
	}
	if (n != bytes) {
		lv_respond_error(r, 400,
		                 "unexpected total byte size %llu for input '%s', expecting %llu",
		                 n, t->name, bytes);
		return -1;
	}
	if (t == &ir->model->cfg.inputs[0]) {
		ir->in_binary = 1;
		ir->in_binary_at = *binary;
	}
	*binary += bytes; /* <= 2^53 per input, at most LV_MC_MAX_TENSORS of them */
	return 0;
}

/*
 * JSON data: the skimmer's count of the array this input's "data" stood
 * for, claimed once, must be the shape's elements, all numbers.
 */
static int check_json(const cJSON *data, const struct lv_model_tensor *t,
                      unsigned long long elements, struct lv_infer_req *ir, struct lv_response *r)
{
	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(data, "lv_skim");
	unsigned long long i;
	if (!data) {
		lv_respond_error(r, 400,
		                 "input '%s': no tensor data (give \"data\": [...] or the "
		                 "binary_data_size parameter)",
		                 t->name);
		return -1;
	}
	if (!cJSON_IsObject(data) || whole_count(ref, &i) != 0 || i >= ir->skim.n ||
	    ir->skim.v[i].used) {
		lv_respond_error(r, 400, "input '%s': \"data\" must be an array of numbers",
		                 t->name);
		return -1;
	}
	struct lv_skim_array *arr = &ir->skim.v[i];
	arr->used = 1;
	if (!arr->numbers) {
		lv_respond_error(r, 400, "input '%s': %s data must be numbers", t->name,
		                 t->datatype);
		return -1;
	}
	if (arr->count != elements) {
		lv_respond_error(
		    r, 400, "unexpected number of elements %llu for input '%s', expecting %llu",
		    arr->count, t->name, elements);
		return -1;
	}
	return 0;
}

/*
 * A BYTES input: binary_data_size bytes holding `elements` length-prefixed
 * JPEGs, each of which must decode. The body's binary part is kept whole
 * for such a model (lv_agent_sample_stride is 1), so they are at
 * q->samples + *binary. 0 or a 400.
 */
static int check_bytes(const struct lv_request *q, const cJSON *in, const struct lv_model_tensor *t,
                       unsigned long long elements, unsigned long long *binary,
                       struct lv_infer_req *ir, struct lv_response *r)
{
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(in, "parameters");
	const cJSON *bds = cJSON_GetObjectItemCaseSensitive(params, "binary_data_size");
	unsigned long long n;
	char why[256];
	if (!bds || has_shm_params(params)) {
		lv_respond_error(r, 400,
		                 "input '%s' of model '%s' is BYTES: the emulation takes it as "
		                 "binary data only (the binary_data_size parameter)",
		                 t->name, ir->model->name);
		return -1;
	}
	if (whole_count(bds, &n) != 0 || has(in, "data")) {
		lv_respond_error(r, 400,
		                 "input '%s': binary_data_size must be a byte count, "
		                 "without data",
		                 t->name);
		return -1;
	}
	if (n > q->binary_len - (*binary < q->binary_len ? *binary : q->binary_len) ||
	    q->n_samples != q->binary_len) {
		lv_respond_error(r, 400,
		                 "input '%s': binary_data_size %llu, but the body carries %zu "
		                 "bytes of binary tensor data",
		                 t->name, n, q->binary_len);
		return -1;
	}
	if (lv_agent_jpeg_check(q->samples + *binary, (size_t)n, elements, why, sizeof(why)) != 0) {
		lv_respond_error(r, 400, "input '%s' of model '%s': %s", t->name, ir->model->name,
		                 why);
		return -1;
	}
	if (t == &ir->model->cfg.inputs[0]) {
		ir->in_binary = 1;
		ir->in_binary_at = *binary;
	}
	*binary += n;
	return 0;
}

/*
 * The tensor's data: shared memory, binary_data_size or a skimmed "data".
 * Adds binary bytes to *binary. 0 or a 400.
 */
static int check_data(struct lv_agent *a, const struct lv_request *q, const cJSON *in,
                      const struct lv_model_tensor *t, int batch, unsigned long long *binary,
                      struct lv_infer_req *ir, struct lv_response *r)
{
	unsigned long long elements, bytes;
	if (tensor_size(ir->model, t, batch, &elements, &bytes, r) != 0)
		return -1;
	if (!strcmp(t->datatype, "BYTES"))
		return check_bytes(q, in, t, elements, binary, ir, r);
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(in, "parameters");
	const cJSON *bds = cJSON_GetObjectItemCaseSensitive(params, "binary_data_size");
	if (has_shm_params(params))
		return check_shm(a, in, t, bytes, ir, r);
	if (bds)
		return check_binary(in, bds, t, bytes, binary, ir, r);
	return check_json(cJSON_GetObjectItemCaseSensitive(in, "data"), t, elements, ir, r);
}

static int parse_inputs(struct lv_agent *a, const struct lv_request *q, const cJSON *root,
                        struct lv_infer_req *ir, struct lv_response *r)
{
	const struct lv_model_config *m = &ir->model->cfg;
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
			                 ir->model->name);
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
			    t->name, cJSON_IsString(dt) ? dt->valuestring : "(none)",
			    ir->model->name, t->datatype);
			return -1;
		}
		if (check_shape(ir->model, cJSON_GetObjectItemCaseSensitive(in, "shape"), t, &batch,
		                r) != 0)
			return -1;
		if (ir->batch && batch != ir->batch) {
			lv_respond_error(r, 400, "inputs disagree on the batch size (%d and %d)",
			                 ir->batch, batch);
			return -1;
		}
		ir->batch = batch;
		if (check_data(a, q, in, t, batch, &binary, ir, r) != 0)
			return -1;
	}
	if ((size_t)n_seen != m->n_inputs) {
		lv_respond_error(r, 400, "expected %zu inputs but got %d inputs for model '%s'",
		                 m->n_inputs, n_seen, ir->model->name);
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

static int parse_outputs(const cJSON *root, struct lv_infer_req *ir, struct lv_response *r)
{
	const struct lv_model_config *m = &ir->model->cfg;
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
			                 ir->model->name);
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
		const cJSON *cls = cJSON_GetObjectItemCaseSensitive(oparams, "classification");
		unsigned long long k = 0;
		if (cls && (whole_count(cls, &k) != 0 || k < 1 || k > INT32_MAX)) {
			lv_respond_error(r, 400,
			                 "output '%s': classification must be a whole number of "
			                 "classes >= 1",
			                 m->outputs[i].name);
			return -1;
		}
		ir->out_index[ir->n_out] = i;
		ir->out_binary[ir->n_out] = bd ? cJSON_IsTrue(bd) : bin_default;
		ir->out_class[ir->n_out] = (int)k;
		ir->n_out++;
	}
	return 0;
}

int lv_kserve_parse(struct lv_agent *a, const struct lv_agent_model *m, const struct lv_request *q,
                    struct lv_infer_req *ir, struct lv_response *r)
{
	char *why = NULL;
	size_t len = 0;
	const char *end = NULL;
	int rc = -1;
	ir->model = m;
	ir->text = lv_skim_tensor_data(q->body, q->body_len, &ir->skim, &len, &why);
	if (!ir->text) {
		lv_respond_error(r, 400, "failed to parse the request JSON: %s", why);
		goto out;
	}
	if (len > LV_AGENT_SMALL_BODY) {
		lv_respond_error(r, 400,
		                 "the request's JSON is %zu bytes besides its tensors' \"data\" "
		                 "arrays, over the limit of %u",
		                 len, LV_AGENT_SMALL_BODY);
		goto out;
	}
	ir->root = cJSON_ParseWithLengthOpts(ir->text, len, &end, 0);
	if (!cJSON_IsObject(ir->root)) {
		lv_respond_error(r, 400, "failed to parse the request JSON: %s",
		                 ir->root ? "expected an object" : "invalid JSON");
		goto out;
	}
	while (end < ir->text + len && strchr(" \t\r\n", *end) && *end)
		end++;
	if (end < ir->text + len) {
		lv_respond_error(r, 400, "failed to parse the request JSON: text after the object");
		goto out;
	}
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(ir->root, "id");
	ir->id = cJSON_IsString(id) ? id->valuestring : NULL;
	if (parse_inputs(a, q, ir->root, ir, r) != 0 || parse_outputs(ir->root, ir, r) != 0)
		goto out;
	rc = 0;
out:
	free(why);
	return rc;
}

void lv_kserve_req_fini(struct lv_agent *a, struct lv_infer_req *ir)
{
	for (size_t k = 0; k < ir->n_shm; k++)
		lv_shm_release(a->shm, &ir->shm[k]);
	ir->n_shm = 0;
	free(ir->seeds);
	ir->seeds = NULL;
	cJSON_Delete(ir->root);
	ir->root = NULL;
	free(ir->text);
	ir->text = NULL;
	lv_skim_table_fini(&ir->skim);
}
