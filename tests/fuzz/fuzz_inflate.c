/*
 * fuzz_inflate: a compressed request body as the emulated agent receives it
 * (agents/agent_inflate.c): the first byte picks the encoding (even: gzip,
 * odd: deflate) and where the body is cut into two pieces, the rest is the
 * compressed body, inflated into the same accumulator the HTTP layer uses
 * (agent_body.c) with a small limit, so that inflating past it is reached.
 *
 * Contract: the body ends in a 400 (corrupt, cut short, trailing bytes) or
 * a 413 (over the limit), each with a message, or in inflated bytes within
 * the limit; never more kept than the limit.
 */
#include "harness.h"

#include "agent.h"

#define LIMIT 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct lv_body b = { .limit = LIMIT, .keep = 1 };
	struct lv_response r = { 0 };
	struct lv_request q = { 0 };
	struct lv_inflate *f = lv_inflate_new(data[0] % 2 ? "deflate" : "gzip", &r);
	fuzz_check(f != NULL, "gzip and deflate are known encodings");
	char *body = fuzz_bytes(data + 1, size - 1);
	size_t n = size - 1, cut = n ? (size_t)data[0] * n / 256 : 0;
	lv_inflate_take(f, &b, body, cut);
	lv_inflate_take(f, &b, body + cut, n - cut);
	if (lv_inflate_finish(f, &b, &r) != 0) {
		fuzz_check((r.status == 400 || r.status == 413) && r.body, "a refusal with a message");
	} else {
		fuzz_check(lv_body_finish(&b, &q, &r) == 0, "an inflated body within the limit");
		fuzz_check(q.body_len <= LIMIT, "no more kept than the limit");
	}
	fuzz_check(b.json.len <= LIMIT, "no more kept than the limit");
	free(r.body);
	free(body);
	lv_inflate_free(f);
	lv_body_fini(&b);
	return 0;
}
