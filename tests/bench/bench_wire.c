/*
 * bench_wire: the wire formats side by side (core/model/wire.h) — for one
 * camera frame (the synthetic 640×480 frame as a ~100 KB JPEG at quality 90,
 * 4:2:0), the bytes it puts on the wire to its device and the controller's
 * CPU time for it: what the front end does for the format (fp32: decode,
 * resize, normalise to floats; uint8: decode, resize to bytes; jpeg: read
 * the JPEG's header only) plus streaming the frame's bytes into the HTTP
 * body (a copy into curl's 256 KB buffer, as live_http.c's reader does).
 * CPU time of this thread (CLOCK_THREAD_CPUTIME_ID), median of 5 rounds, so
 * other work on a shared machine does not count. Prints a table.
 */
#include "bench_frontend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "front/image.h"
#include "model/model_config.h"
#include "model/wire.h"
#include "base/util.h"

#define ROUNDS    5
#define PER_ROUND 100
#define CURL_BUF  (256u * 1024)

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The body's bytes through a curl-sized buffer, as the transfer's reader copies them. */
static void stream(const void *p, size_t n, unsigned char *buf)
{
	for (size_t at = 0; at < n; at += CURL_BUF)
		memcpy(buf, (const unsigned char *)p + at, n - at < CURL_BUF ? n - at : CURL_BUF);
}

/* One frame's controller work for format w; its bytes on the wire in *bytes. */
static int one_frame(enum lv_wire w, const unsigned char *jpg, size_t len,
                     const struct lv_model_info *m, float *tensor, uint8_t *pixels,
                     unsigned char *buf, size_t *bytes)
{
	size_t elements = lv_model_input_floats(m);
	int iw, ih, rc;
	switch (w) {
	case LV_WIRE_FP32:
		rc = lv_image_prepare(jpg, len, m, tensor, NULL, NULL);
		stream(tensor, elements * sizeof(float), buf);
		break;
	case LV_WIRE_UINT8:
		rc = lv_image_prepare(jpg, len, m, NULL, pixels, NULL);
		stream(pixels, elements, buf);
		break;
	case LV_WIRE_JPEG:
	default:
		rc = lv_image_dims(jpg, len, &iw, &ih, NULL);
		stream(jpg, len, buf);
		break;
	}
	*bytes = lv_wire_frame_bytes(w, elements, len);
	return rc;
}

void lv_bench_wire(void)
{
	const struct lv_model_info m = {
		.name = "inception", .height = 299, .width = 299, .channels = 3
	};
	uint8_t *px = lv_xmalloc(640 * 480 * 3);
	float *tensor = lv_xmalloc(299 * 299 * 3 * sizeof(float));
	uint8_t *pixels = lv_xmalloc(299 * 299 * 3);
	unsigned char *buf = lv_xmalloc(CURL_BUF);
	char *why = NULL;
	size_t len;

	lv_image_synth(px, 640, 480, 1);
	unsigned char *jpg = lv_image_encode_jpeg(px, 640, 480, 90, 1, &len, &why);
	if (!jpg) {
		printf("wire formats: could not encode: %s\n", why);
		free(why);
		goto out;
	}
	printf("wire formats (one 640x480 camera frame, %.0f KB JPEG; controller CPU, one "
	       "core):\n",
	       (double)len / 1000);
	printf("  %-6s %12s %8s %16s %12s\n", "wire", "bytes/frame", "vs fp32", "CPU ms/frame",
	       "frames/s/GbE");
	double fp32_bytes = 0;
	for (int w = 0; w < LV_WIRE_COUNT; w++) {
		double t[ROUNDS];
		size_t bytes = 0;
		for (int r = 0; r < ROUNDS; r++) {
			double t0 = cpu_s();
			for (int i = 0; i < PER_ROUND; i++)
				if (one_frame((enum lv_wire)w, jpg, len, &m, tensor, pixels, buf,
				              &bytes) != 0)
					printf("wire formats: %s: the frame did not prepare\n",
					       lv_wire_name((enum lv_wire)w));
			t[r] = (cpu_s() - t0) / PER_ROUND;
		}
		qsort(t, ROUNDS, sizeof t[0], cmp_double);
		if (w == LV_WIRE_FP32)
			fp32_bytes = (double)bytes;
		/* 1 GbE: 125 MB/s of payload at best. */
		printf("  %-6s %12zu %7.1f%% %16.3f %12.0f\n", lv_wire_name((enum lv_wire)w), bytes,
		       100.0 * (double)bytes / fp32_bytes, t[ROUNDS / 2] * 1e3,
		       125e6 / (double)bytes);
	}
	free(jpg);
out:
	free(px);
	free(tensor);
	free(pixels);
	free(buf);
}
