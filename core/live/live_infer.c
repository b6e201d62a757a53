/*
 * live_infer: one batch as Triton's KServe v2 HTTP API wants it, and its
 * answer. The request uses the binary tensor extension: a JSON header
 *   {"inputs":[{"name":IN,"shape":[b,H,W,C],"datatype":"FP32",
 *               "parameters":{"binary_data_size":N}}],
 *    "outputs":[{"name":OUT,"parameters":{"binary_data":true}}]}
 * followed by N raw bytes (b tensors, NHWC, little-endian FP32), with the
 * header's length in Inference-Header-Content-Length — or, to a Triton on
 * this host (live_shm.c), the header alone, its input's parameters naming
 * the shared-memory region that holds the N bytes. The answer is the
 * same shape: a JSON header (its length in the response's
 * Inference-Header-Content-Length) then the output tensor [b, classes] as
 * raw FP32 — or, from a server that ignores binary_data, all JSON with the
 * numbers in "data". Either way each row's argmax and its score go into
 * the frame's result.
 */
#include "live_internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/*
 * The batch's frames and their tensors into x. The JSON header comes once
 * the transport is known (live_infer_header, after live_shm_attach).
 */
int live_infer_build(struct lv_live *lv, struct xfer *x, const struct lv_action *a)
{
	const struct lv_model_info *m = &lv->cfg.model;
	size_t floats = lv_model_input_floats(m);
	x->batch_id = a->batch_id;
	x->batch = a->batch;
	x->frame_bytes = floats * sizeof(float);
	x->frame_ids = lv_xmalloc((size_t)a->batch * sizeof(uint64_t));
	x->tensors = lv_xcalloc((size_t)a->batch, sizeof(float *));
	for (int i = 0; i < a->batch; i++) {
		uint32_t idx = 0;
		x->frame_ids[i] = a->frame_ids[i];
		struct lv_live_request *r = live_req_of(lv, a->frame_ids[i], &idx);
		if (!r) {
			snprintf(x->errbuf, sizeof(x->errbuf), "frame %llu has no request",
			         (unsigned long long)a->frame_ids[i]);
			return LV_ESTATE;
		}
		if (r->floats_per_frame && r->floats_per_frame != floats) {
			snprintf(x->errbuf, sizeof(x->errbuf),
			         "frame %llu has %zu floats, the model takes %zu",
			         (unsigned long long)a->frame_ids[i], r->floats_per_frame, floats);
			return LV_EINVAL;
		}
		x->tensors[i] = r->floats_per_frame ? r->tensors[idx] : NULL;
	}
	return LV_OK;
}

/*
 * The request's JSON header, for the body or for the region x->region
 * (named x->shm_name): the tensors follow the header in the body, or they
 * are in the region already and the body is the header alone.
 */
void live_infer_header(struct lv_live *lv, struct xfer *x)
{
	const struct lv_model_info *m = &lv->cfg.model;
	size_t data = (size_t)x->batch * x->frame_bytes;
	char params[160];
	if (x->region)
		snprintf(params, sizeof(params),
		         "\"shared_memory_region\":\"%s\",\"shared_memory_byte_size\":%zu,"
		         "\"shared_memory_offset\":0",
		         x->shm_name, data);
	else
		snprintf(params, sizeof(params), "\"binary_data_size\":%zu", data);
	free(x->body_json);
	x->body_json = lv_xasprintf(
	    "{\"inputs\":[{\"name\":\"%s\",\"shape\":[%d,%d,%d,%d],\"datatype\":\"FP32\","
	    "\"parameters\":{%s}}],"
	    "\"outputs\":[{\"name\":\"%s\",\"parameters\":{\"binary_data\":true}}]}",
	    m->input, x->batch, m->height, m->width, m->channels, params, m->output);
	x->json_len = strlen(x->body_json);
	x->body_len = x->json_len + (x->region ? 0 : data);
	x->body_pos = 0;
}

/* Writes one frame's top class into its request's result. */
static void put_top(struct lv_live *lv, uint64_t frame_id, int cls, float score)
{
	uint32_t idx = 0;
	struct lv_live_request *r = live_req_of(lv, frame_id, &idx);
	if (!r)
		return;
	r->results[idx].top_class = cls;
	r->results[idx].top_score = score;
}

static const cJSON *find_output(const cJSON *outs, const char *name, size_t *bin_off)
{
	const cJSON *o;
	size_t off = 0;
	cJSON_ArrayForEach (o, outs) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, "name");
		const cJSON *bs = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(o, "parameters"), "binary_data_size");
		if (cJSON_IsString(n) && !strcmp(n->valuestring, name)) {
			*bin_off = off;
			return o;
		}
		if (cJSON_IsNumber(bs))
			off += (size_t)bs->valuedouble;
	}
	*bin_off = 0;
	return cJSON_GetArrayItem(outs, 0); /* a server that renamed it: take the first */
}

/* The output's rows × classes floats, from the binary part or from "data". */
static int output_values(const struct xfer *x, const cJSON *o, size_t bin_off, size_t n,
                         float *vals, char *why, size_t why_len)
{
	const cJSON *bs = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(o, "parameters"), "binary_data_size");
	if (cJSON_IsNumber(bs) && x->infer_hdr_len >= 0) {
		size_t have = x->resp.len - (size_t)x->infer_hdr_len;
		if ((size_t)bs->valuedouble < n * sizeof(float) ||
		    bin_off + n * sizeof(float) > have) {
			snprintf(why, why_len, "binary output of %zu bytes, want %zu", have,
			         n * sizeof(float));
			return LV_EINVAL;
		}
		memcpy(vals, x->resp.p + x->infer_hdr_len + bin_off, n * sizeof(float));
		return LV_OK;
	}
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(o, "data");
	if (!cJSON_IsArray(data) || (size_t)cJSON_GetArraySize(data) < n) {
		snprintf(why, why_len, "output has no binary part and no data array of %zu", n);
		return LV_EINVAL;
	}
	size_t i = 0;
	const cJSON *v;
	cJSON_ArrayForEach (v, data) {
		if (i == n)
			break;
		vals[i++] = cJSON_IsNumber(v) ? (float)v->valuedouble : NAN;
	}
	return LV_OK;
}

int live_infer_parse(struct lv_live *lv, struct xfer *x, char *why, size_t why_len)
{
	size_t jlen = x->infer_hdr_len >= 0 ? (size_t)x->infer_hdr_len : x->resp.len;
	if (jlen > x->resp.len || jlen == 0) {
		snprintf(why, why_len, "inference header length %ld, body %zu bytes",
		         x->infer_hdr_len, x->resp.len);
		return LV_EINVAL;
	}
	cJSON *root = cJSON_ParseWithLength(x->resp.p, jlen);
	int rc = LV_EINVAL;
	float *vals = NULL;
	const cJSON *outs = cJSON_GetObjectItemCaseSensitive(root, "outputs");
	size_t bin_off = 0;
	const cJSON *o =
	    cJSON_IsArray(outs) ? find_output(outs, lv->cfg.model.output, &bin_off) : NULL;
	const cJSON *shape = cJSON_GetObjectItemCaseSensitive(o, "shape");
	if (!o || !cJSON_IsArray(shape) || cJSON_GetArraySize(shape) < 2) {
		snprintf(why, why_len, "response has no output with a [batch, classes] shape");
		goto out;
	}
	const cJSON *s0 = cJSON_GetArrayItem(shape, 0), *s1 = cJSON_GetArrayItem(shape, 1);
	if (!cJSON_IsNumber(s0) || !cJSON_IsNumber(s1) || (int)s0->valuedouble != x->batch ||
	    s1->valuedouble < 1 || s1->valuedouble > 1e6) {
		snprintf(why, why_len, "output shape does not match a batch of %d", x->batch);
		goto out;
	}
	size_t classes = (size_t)s1->valuedouble;
	size_t n = classes * (size_t)x->batch;
	vals = lv_xmalloc(n * sizeof(float));
	rc = output_values(x, o, bin_off, n, vals, why, why_len);
	if (rc != LV_OK)
		goto out;
	for (int b = 0; b < x->batch; b++) {
		const float *row = vals + (size_t)b * classes;
		size_t best = 0;
		for (size_t k = 1; k < classes; k++)
			if (row[k] > row[best])
				best = k;
		put_top(lv, x->frame_ids[b], (int)best, row[best]);
	}
out:
	free(vals);
	cJSON_Delete(root);
	return rc;
}
