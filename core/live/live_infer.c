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
 * What a jpeg device gets for a frame that came without an image (a replayed
 * trace, a load test): a 16 × 16 mid-grey baseline JPEG (libjpeg-turbo,
 * quality 90, 4:2:0), so the device still decodes a real JPEG.
 */
static const unsigned char grey_jpeg[] = {
	0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00,
	0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xdb, 0x00, 0x43, 0x00, 0x03, 0x02, 0x02, 0x03, 0x02,
	0x02, 0x03, 0x03, 0x03, 0x03, 0x04, 0x03, 0x03, 0x04, 0x05, 0x08, 0x05, 0x05, 0x04, 0x04,
	0x05, 0x0a, 0x07, 0x07, 0x06, 0x08, 0x0c, 0x0a, 0x0c, 0x0c, 0x0b, 0x0a, 0x0b, 0x0b, 0x0d,
	0x0e, 0x12, 0x10, 0x0d, 0x0e, 0x11, 0x0e, 0x0b, 0x0b, 0x10, 0x16, 0x10, 0x11, 0x13, 0x14,
	0x15, 0x15, 0x15, 0x0c, 0x0f, 0x17, 0x18, 0x16, 0x14, 0x18, 0x12, 0x14, 0x15, 0x14, 0xff,
	0xdb, 0x00, 0x43, 0x01, 0x03, 0x04, 0x04, 0x05, 0x04, 0x05, 0x09, 0x05, 0x05, 0x09, 0x14,
	0x0d, 0x0b, 0x0d, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14,
	0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14,
	0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14,
	0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x10,
	0x00, 0x10, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xff, 0xc4, 0x00,
	0x1f, 0x00, 0x00, 0x01, 0x05, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
	0xff, 0xc4, 0x00, 0xb5, 0x10, 0x00, 0x02, 0x01, 0x03, 0x03, 0x02, 0x04, 0x03, 0x05, 0x05,
	0x04, 0x04, 0x00, 0x00, 0x01, 0x7d, 0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21,
	0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08,
	0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a,
	0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x34, 0x35, 0x36, 0x37,
	0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56,
	0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75,
	0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93,
	0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9,
	0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6,
	0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
	0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
	0xf8, 0xf9, 0xfa, 0xff, 0xc4, 0x00, 0x1f, 0x01, 0x00, 0x03, 0x01, 0x01, 0x01, 0x01, 0x01,
	0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
	0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0xff, 0xc4, 0x00, 0xb5, 0x11, 0x00, 0x02, 0x01, 0x02,
	0x04, 0x04, 0x03, 0x04, 0x07, 0x05, 0x04, 0x04, 0x00, 0x01, 0x02, 0x77, 0x00, 0x01, 0x02,
	0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22,
	0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15,
	0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
	0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47,
	0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66,
	0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84,
	0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a,
	0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7,
	0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4,
	0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea,
	0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xff, 0xda, 0x00, 0x0c, 0x03, 0x01,
	0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3f, 0x00, 0x28, 0xa2, 0x8a, 0x00, 0xff, 0xd9
};

/* The frame's input in the device's format: its pointer and bytes (NULL: zeros). */
static const void *frame_input(const struct lv_live_request *r, uint32_t idx, enum lv_wire w,
                               size_t floats, size_t *len)
{
	switch (w) {
	case LV_WIRE_UINT8: *len = floats; return r->pixels ? r->pixels[idx] : NULL;
	case LV_WIRE_JPEG:
		if (r->jpegs && r->jpegs[idx]) {
			*len = r->jpeg_lens[idx];
			return r->jpegs[idx];
		}
		*len = sizeof(grey_jpeg);
		return grey_jpeg;
	case LV_WIRE_FP32:
	default: *len = floats * sizeof(float); return r->floats_per_frame ? r->tensors[idx] : NULL;
	}
}

/*
 * The batch's frames and their inputs, in the format of the device it goes
 * to, into x. The JSON header comes once the transport is known
 * (live_infer_header, after live_shm_attach).
 */
int live_infer_build(struct lv_live *lv, struct xfer *x, const struct lv_action *a)
{
	const struct lv_model_info *m = &lv->cfg.model;
	size_t floats = lv_model_input_floats(m);
	x->batch_id = a->batch_id;
	x->batch = a->batch;
	x->wire = lv->cluster->devices[a->device].wire;
	x->frame_bytes = lv_wire_frame_bytes(x->wire, floats, 0);
	x->frame_ids = lv_xmalloc((size_t)a->batch * sizeof(uint64_t));
	x->tensors = lv_xcalloc((size_t)a->batch, sizeof(void *));
	if (x->wire == LV_WIRE_JPEG) {
		x->frame_len = lv_xcalloc((size_t)a->batch, sizeof(size_t));
		x->prefix = lv_xcalloc((size_t)a->batch, sizeof(*x->prefix));
	}
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
		size_t len = 0;
		x->tensors[i] = frame_input(r, idx, x->wire, floats, &len);
		if (x->frame_len) {
			if (len > UINT32_MAX - 4) {
				snprintf(x->errbuf, sizeof(x->errbuf),
				         "frame %llu: a JPEG of %zu bytes",
				         (unsigned long long)a->frame_ids[i], len);
				return LV_EINVAL;
			}
			x->frame_len[i] = 4 + len;
			for (int k = 0; k < 4; k++) /* little-endian, as KServe's BYTES */
				x->prefix[i][k] = (unsigned char)(len >> (8 * k));
		}
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
	char params[160], shape[64];
	if (x->frame_len) {
		data = 0;
		for (int i = 0; i < x->batch; i++)
			data += x->frame_len[i];
		snprintf(shape, sizeof(shape), "%d,1", x->batch);
	} else {
		snprintf(shape, sizeof(shape), "%d,%d,%d,%d", x->batch, m->height, m->width,
		         m->channels);
	}
	if (x->region)
		snprintf(params, sizeof(params),
		         "\"shared_memory_region\":\"%s\",\"shared_memory_byte_size\":%zu,"
		         "\"shared_memory_offset\":0",
		         x->shm_name, data);
	else
		snprintf(params, sizeof(params), "\"binary_data_size\":%zu", data);
	free(x->body_json);
	x->body_json =
	    lv_xasprintf("{\"inputs\":[{\"name\":\"%s\",\"shape\":[%s],\"datatype\":\"%s\","
	                 "\"parameters\":{%s}}],"
	                 "\"outputs\":[{\"name\":\"%s\",\"parameters\":{\"binary_data\":true}}]}",
	                 x->wire == LV_WIRE_FP32 ? m->input : LV_WIRE_INPUT, shape,
	                 lv_wire_datatype(x->wire), params, m->output);
	x->json_len = strlen(x->body_json);
	x->data_bytes = data;
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
