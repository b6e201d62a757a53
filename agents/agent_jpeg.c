/*
 * agent_jpeg: the emulated Triton's check of a BYTES input — the jpeg wire's
 * frames (model_repository/<model>_jpeg). KServe's binary encoding of a
 * BYTES tensor is, per element, a 4-byte little-endian length and that many
 * bytes; the elements must be exactly as many as the shape says and fill
 * binary_data_size exactly. Every element is then really decoded with
 * libjpeg-turbo, as the device's preprocessing model would, so a frame that
 * would fail there fails here, with its index and the decoder's reason
 * (warnings, such as a truncated file, count as errors, as in the
 * controller's own decoder).
 *
 * Called by agent_kserve.c (lv_kserve_parse); no state.
 */
#include "agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <turbojpeg.h>

#include "base/util.h"

/* Larger frames than a camera sends are refused before any pixel is allocated. */
#define JPEG_MAX_SIDE   16384
#define JPEG_MAX_PIXELS (40ull * 1000 * 1000)

static int decode_one(tjhandle tj, const unsigned char *p, size_t n, char *why, size_t why_len)
{
	int w = 0, h = 0, sub = 0, cs = 0;
	if (tjDecompressHeader3(tj, p, (unsigned long)n, &w, &h, &sub, &cs) != 0) {
		snprintf(why, why_len, "not a JPEG (%s)", tjGetErrorStr2(tj));
		return -1;
	}
	if (w <= 0 || h <= 0 || w > JPEG_MAX_SIDE || h > JPEG_MAX_SIDE ||
	    (unsigned long long)w * (unsigned long long)h > JPEG_MAX_PIXELS) {
		snprintf(why, why_len, "a JPEG of %d×%d pixels is over the limit", w, h);
		return -1;
	}
	unsigned char *rgb = lv_xmalloc((size_t)w * (size_t)h * 3);
	int rc =
	    tjDecompress2(tj, p, (unsigned long)n, rgb, w, 0, h, TJPF_RGB, TJFLAG_STOPONWARNING);
	if (rc != 0)
		snprintf(why, why_len, "the JPEG does not decode (%s)", tjGetErrorStr2(tj));
	free(rgb);
	return rc != 0 ? -1 : 0;
}

int lv_agent_jpeg_check(const unsigned char *p, size_t n, unsigned long long elements, char *why,
                        size_t why_len)
{
	tjhandle tj = NULL;
	size_t at = 0;
	int rc = -1;
	for (unsigned long long k = 0; k < elements; k++) {
		if (n - at < 4) {
			snprintf(why, why_len,
			         "element %llu: no 4-byte length (%zu of %zu bytes are left)", k,
			         n - at, n);
			goto out;
		}
		size_t len = (size_t)p[at] | (size_t)p[at + 1] << 8 | (size_t)p[at + 2] << 16 |
		             (size_t)p[at + 3] << 24;
		at += 4;
		if (len > n - at) {
			snprintf(why, why_len,
			         "element %llu: length %zu, but only %zu bytes are left", k, len,
			         n - at);
			goto out;
		}
		if (!tj && !(tj = tjInitDecompress())) {
			snprintf(why, why_len, "no JPEG decoder: %s", tjGetErrorStr2(NULL));
			goto out;
		}
		char what[160];
		if (decode_one(tj, p + at, len, what, sizeof(what)) != 0) {
			snprintf(why, why_len, "element %llu: %s", k, what);
			goto out;
		}
		at += len;
	}
	if (at != n) {
		snprintf(why, why_len, "%zu bytes after the %llu elements of the shape", n - at,
		         elements);
		goto out;
	}
	rc = 0;
out:
	if (tj)
		tjDestroy(tj);
	return rc;
}
