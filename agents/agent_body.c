/*
 * agent_body: a request body as it arrives, in whatever pieces the HTTP
 * layer hands over — the byte limit (413 beyond it), the JSON part kept
 * whole (the whole body, or its first Inference-Header-Content-Length
 * bytes under the binary tensor extension), and the binary part after it
 * counted, not kept, apart from one byte every `stride` (the emulated
 * outputs are seeded by them). Memory per request is the JSON part plus
 * 1/stride of the tensors, however large the batch.
 *
 * agent_http.c feeds it from libmicrohttpd; the KServe fuzz harness feeds
 * it the same way, so what the parser is fuzzed with is what it sees.
 */
#include "agent.h"

#include <string.h>

#include "base/util.h"

int lv_body_header_len(struct lv_body *b, const char *value, int has_cl, size_t cl,
                       struct lv_response *r)
{
	unsigned long long v;
	if (lv_parse_u64(value, &v) != 0 || v == 0 || v > SIZE_MAX || (has_cl && v > cl)) {
		lv_respond_error(
		    r, 400,
		    "Inference-Header-Content-Length: '%.40s' is not a size within the "
		    "body",
		    value);
		return -1;
	}
	b->has_header_len = 1;
	b->header_len = (size_t)v;
	return 0;
}

void lv_body_take(struct lv_body *b, const char *data, size_t n)
{
	size_t before = b->received;
	if (b->too_large)
		return;
	b->received += n;
	if (b->received > b->limit || b->received < before) {
		b->too_large = 1;
		lv_buf_fini(&b->json);
		lv_buf_fini(&b->samples);
		return;
	}
	if (!b->keep)
		return; /* a body nobody reads */
	size_t keep = n;
	if (b->has_header_len)
		keep = before >= b->header_len      ? 0
		       : b->header_len - before < n ? b->header_len - before
		                                    : n;
	lv_buf_append(&b->json, data, keep);
	size_t b0 = b->binary_len, len = n - keep;
	if (b->stride == 1 && len) /* the whole binary part (a BYTES model's JPEGs) */
		lv_buf_append(&b->samples, data + keep, len);
	else if (b->stride && len) {
		for (size_t m = (b0 + b->stride - 1) / b->stride * b->stride; m - b0 < len;
		     m += b->stride)
			lv_buf_append(&b->samples, data + keep + (m - b0), 1);
	}
	b->binary_len += len;
}

int lv_body_finish(const struct lv_body *b, struct lv_request *q, struct lv_response *r)
{
	if (b->too_large) {
		lv_respond_error(r, 413, "request body is over this endpoint's limit of %zu bytes",
		                 b->limit);
		return -1;
	}
	if (b->has_header_len && b->received < b->header_len) {
		lv_respond_error(r, 400,
		                 "Inference-Header-Content-Length is %zu but the body has only %zu "
		                 "bytes",
		                 b->header_len, b->received);
		return -1;
	}
	q->body = b->json.p ? b->json.p : "";
	q->body_len = b->json.len;
	q->has_header_len = b->has_header_len;
	q->binary_len = b->binary_len;
	q->samples = (const unsigned char *)b->samples.p;
	q->n_samples = b->samples.len;
	return 0;
}

void lv_body_fini(struct lv_body *b)
{
	lv_buf_fini(&b->json);
	lv_buf_fini(&b->samples);
}
