/*
 * bench_image: how fast one core turns a camera frame into a tensor — a
 * ~100 KB 640×480 JPEG (the synthetic camera frame, quality 90, 4:2:0)
 * decoded, resized to 299×299 and normalised. Median of 5 rounds, since the
 * machines are shared; also the decode and resize parts on their own.
 */
#include "bench_frontend.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "front/image.h"
#include "model/model_config.h"
#include "base/clock.h"
#include "base/util.h"

#define ROUNDS    5
#define PER_ROUND 200

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return v[n / 2];
}

void lv_bench_image(void)
{
	const struct lv_model_info m = {
		.name = "inception", .height = 299, .width = 299, .channels = 3
	};
	uint8_t *px = lv_xmalloc(640 * 480 * 3);
	float *out = lv_xmalloc(299 * 299 * 3 * sizeof(float));
	double full[ROUNDS], dec[ROUNDS], rsz[ROUNDS];
	char *why = NULL;
	size_t len;
	struct lv_image img;

	lv_image_synth(px, 640, 480, 1);
	unsigned char *jpg = lv_image_encode_jpeg(px, 640, 480, 90, 1, &len, &why);
	if (!jpg) {
		printf("image preprocess: could not encode: %s\n", why);
		free(why);
		goto out;
	}
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = lv_mono_s();
		for (int i = 0; i < PER_ROUND; i++)
			lv_image_preprocess(jpg, len, &m, out, NULL);
		full[r] = (lv_mono_s() - t0) / PER_ROUND;
		t0 = lv_mono_s();
		for (int i = 0; i < PER_ROUND; i++) {
			lv_image_decode(jpg, len, 299, 299, &img, NULL);
			lv_image_fini(&img);
		}
		dec[r] = (lv_mono_s() - t0) / PER_ROUND;
		lv_image_decode(jpg, len, 299, 299, &img, NULL);
		t0 = lv_mono_s();
		for (int i = 0; i < PER_ROUND; i++)
			lv_image_to_tensor(&img, 299, 299, out);
		rsz[r] = (lv_mono_s() - t0) / PER_ROUND;
		lv_image_fini(&img);
	}
	double f = median(full, ROUNDS), d = median(dec, ROUNDS), z = median(rsz, ROUNDS);
	printf(
	    "image preprocess (640x480 JPEG, %.0f KB -> 299x299x3 FP32, one core): %.0f frames/s "
	    "(%.2f ms/frame: decode %.2f ms, resize+normalise %.2f ms)\n",
	    (double)len / 1000, 1 / f, f * 1e3, d * 1e3, z * 1e3);
	free(jpg);
out:
	free(px);
	free(out);
}
