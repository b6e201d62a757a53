/*
 * test_image: decoding, resizing and normalising frames. The pictures are
 * generated here and encoded with libturbojpeg and libpng; expected tensor
 * values are worked out by hand from the pixels and the documented mapping
 * (half-pixel-centre bilinear, v / 127.5 - 1):
 *   - one colour c gives exactly (float)(c / 127.5 - 1) everywhere;
 *   - a 2×1 picture stretched to 299 columns: column j samples
 *     x = (j + 0.5) · 2 / 299 - 0.5, so columns 0..74 are the left pixel,
 *     column 149 (x = 0.5) is the midpoint, 224..298 the right pixel, and
 *     column j and 298 - j mirror each other;
 *   - halving (4×2 → 2×1) averages pixel pairs; 2×2 → 3×3 puts the mean of
 *     the four in the centre and the pixels themselves in the corners;
 *   - random pictures, down and up, equal the mapping computed one value at
 *     a time, bit for bit.
 */
#include "testutil.h"

#include <math.h>
#include <png.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "front/image.h"
#include "model/model_config.h"
#include "base/util.h"

#define SIDE    299
#define NFLOATS ((size_t)SIDE * SIDE * 3)

static const struct lv_model_info model = {
	.name = "inception_graphdef",
	.height = SIDE,
	.width = SIDE,
	.channels = 3,
};

static float norm(int v)
{
	return (float)((double)v / 127.5 - 1.0);
}

static uint8_t *fill(int w, int h, uint8_t r, uint8_t g, uint8_t b)
{
	uint8_t *px = lv_xmalloc((size_t)w * (size_t)h * 3);
	for (size_t i = 0; i < (size_t)w * (size_t)h; i++) {
		px[3 * i] = r;
		px[3 * i + 1] = g;
		px[3 * i + 2] = b;
	}
	return px;
}

static unsigned char *jpeg(const uint8_t *px, int w, int h, int q, size_t *len)
{
	char *why = NULL;
	unsigned char *j = lv_image_encode_jpeg(px, w, h, q, 0, len, &why);
	assert_null(why);
	assert_non_null(j);
	return j;
}

static unsigned char *png(const uint8_t *px, int w, int h, size_t *len)
{
	char *why = NULL;
	unsigned char *p = lv_image_encode_png(px, w, h, len, &why);
	assert_null(why);
	assert_non_null(p);
	return p;
}

/* Preprocesses bytes that must be good into a fresh tensor (caller frees). */
static float *tensor_of(const unsigned char *bytes, size_t len)
{
	char *why = NULL;
	float *t = lv_xmalloc(NFLOATS * sizeof(float));
	int rc = lv_image_preprocess(bytes, len, &model, t, &why);
	if (why)
		fail_msg("%s", why);
	assert_int_equal(rc, 0);
	return t;
}

static void assert_uniform(const float *t, size_t n, float r, float g, float b)
{
	for (size_t i = 0; i < n; i += 3) {
		if (t[i] != r || t[i + 1] != g || t[i + 2] != b)
			fail_msg("pixel %zu: (%.9g %.9g %.9g) != (%.9g %.9g %.9g)", i / 3, t[i],
			         t[i + 1], t[i + 2], r, g, b);
	}
}

/* ---- one colour -------------------------------------------------------- */

static void test_uniform_grey_jpeg_exact(void **state)
{
	(void)state;
	/* Grey survives YCbCr exactly, and a flat block is only its DC term. */
	const int greys[] = { 0, 77, 128, 255 };
	for (size_t k = 0; k < 4; k++) {
		uint8_t c = (uint8_t)greys[k];
		uint8_t *px = fill(64, 48, c, c, c);
		size_t len;
		unsigned char *j = jpeg(px, 64, 48, 100, &len);
		assert_int_equal(lv_image_sniff(j, len), LV_IMAGE_JPEG);
		float *t = tensor_of(j, len);
		assert_uniform(t, NFLOATS, norm(c), norm(c), norm(c));
		free(t);
		free(j);
		free(px);
	}
	assert_true(norm(0) == -1.0f && norm(255) == 1.0f);
}

/* Every byte value, as a one-pixel picture stretched to 2×2, maps exactly. */
static void test_every_value_exact(void **state)
{
	(void)state;
	for (int v = 0; v < 256; v++) {
		uint8_t px[3] = { (uint8_t)v, (uint8_t)v, (uint8_t)(255 - v) };
		struct lv_image img = { 1, 1, px };
		float out[2 * 2 * 3];
		lv_image_to_tensor(&img, 2, 2, out);
		assert_uniform(out, 12, norm(v), norm(v), norm(255 - v));
	}
}

static void test_uniform_colour_png_exact_and_jpeg_close(void **state)
{
	(void)state;
	uint8_t *px = fill(40, 30, 200, 30, 90);
	size_t len;
	unsigned char *p = png(px, 40, 30, &len);
	assert_int_equal(lv_image_sniff(p, len), LV_IMAGE_PNG);
	float *t = tensor_of(p, len);
	assert_uniform(t, NFLOATS, norm(200), norm(30), norm(90));
	free(t);
	free(p);

	/* Colour through JPEG's YCbCr round trip: within one level. */
	unsigned char *j = jpeg(px, 40, 30, 100, &len);
	t = tensor_of(j, len);
	for (size_t i = 0; i < NFLOATS; i += 3) {
		assert_true(fabsf(t[i] - norm(200)) <= 1.0f / 127.5f + 1e-6f);
		assert_true(fabsf(t[i + 1] - norm(30)) <= 1.0f / 127.5f + 1e-6f);
		assert_true(fabsf(t[i + 2] - norm(90)) <= 1.0f / 127.5f + 1e-6f);
	}
	free(t);
	free(j);
	free(px);
}

/* A big JPEG is decoded at 1/4 scale (1280 → 320 >= 299), and stays exact. */
static void test_big_jpeg_scaled_decode(void **state)
{
	(void)state;
	uint8_t *px = fill(1280, 1280, 60, 60, 60);
	size_t len;
	unsigned char *j = jpeg(px, 1280, 1280, 95, &len);
	struct lv_image img;
	char *why = NULL;
	assert_int_equal(lv_image_decode(j, len, SIDE, SIDE, &img, &why), 0);
	assert_int_equal(img.width, 320);
	assert_int_equal(img.height, 320);
	lv_image_fini(&img);
	assert_int_equal(lv_image_decode(j, len, 0, 0, &img, &why), 0);
	assert_int_equal(img.width, 1280);
	lv_image_fini(&img);
	float *t = tensor_of(j, len);
	assert_uniform(t, NFLOATS, norm(60), norm(60), norm(60));
	free(t);
	free(j);
	free(px);
}

/* ---- bilinear weights -------------------------------------------------- */

static void test_two_by_one_upscaled(void **state)
{
	(void)state;
	/* Red 0 → 255, green 255 → 0, blue constant 100. */
	uint8_t px[6] = { 0, 255, 100, 255, 0, 100 };
	size_t len;
	unsigned char *p = png(px, 2, 1, &len);
	float *t = tensor_of(p, len);

	for (int j = 0; j < SIDE; j++) {
		const float *o = t + (size_t)j * 3; /* row 0 */
		double x = (j + 0.5) * 2.0 / SIDE - 0.5;
		double w = x < 0 ? 0 : x > 1 ? 1 : x;
		if (j <= 74)
			assert_true(o[0] == -1.0f && o[1] == 1.0f);
		else if (j >= 224)
			assert_true(o[0] == 1.0f && o[1] == -1.0f);
		else
			assert_float_equal(o[0], -1.0 + 2.0 * w, 1e-6);
		assert_float_equal(o[0] + t[(size_t)(SIDE - 1 - j) * 3], 0.0, 1e-6);
		assert_float_equal(o[0] + o[1], 0.0, 1e-6);
		assert_true(o[2] == norm(100));
	}
	/* Column 149 samples x = 0.5 exactly: the midpoint, 0. */
	assert_true(t[149 * 3] == 0.0f && t[149 * 3 + 1] == 0.0f);
	/* Column 112: x = 112.5 · 2 / 299 - 0.5 = 0.2525083..., so -1 + 2x = -0.4949833... */
	assert_float_equal(t[112 * 3], -0.49498328, 1e-6);
	/* Every row is row 0: the source has one row. */
	for (int i = 1; i < SIDE; i++)
		assert_memory_equal(t + (size_t)i * SIDE * 3, t, SIDE * 3 * sizeof(float));
	free(t);
	free(p);
}

static void test_halving_averages_pairs(void **state)
{
	(void)state;
	uint8_t px[4 * 2 * 3];
	const uint8_t row[4] = { 10, 30, 200, 100 };
	for (int y = 0; y < 2; y++)
		for (int x = 0; x < 4; x++)
			memset(px + (y * 4 + x) * 3, row[x], 3);
	size_t len;
	unsigned char *p = png(px, 4, 2, &len);
	struct lv_image img;
	char *why = NULL;
	assert_int_equal(lv_image_decode(p, len, 0, 0, &img, &why), 0);
	assert_int_equal(img.width, 4);
	assert_int_equal(img.height, 2);
	float out[2 * 3];
	lv_image_to_tensor(&img, 2, 1, out);
	/* x = (j + 0.5) · 2 - 0.5 = 2j + 0.5: the mean of pixels 2j and 2j + 1. */
	assert_float_equal(out[0], 20.0 / 127.5 - 1, 1e-6);
	assert_float_equal(out[3], 150.0 / 127.5 - 1, 1e-6);
	lv_image_fini(&img);
	free(p);
}

static void test_two_by_two_to_three(void **state)
{
	(void)state;
	uint8_t px[4 * 3];
	const uint8_t v[4] = { 10, 50, 90, 250 }; /* row-major 2×2 */
	for (int i = 0; i < 4; i++)
		memset(px + i * 3, v[i], 3);
	struct lv_image img = { 2, 2, px };
	float out[9 * 3];
	lv_image_to_tensor(&img, 3, 3, out);
	/* Corners sample x, y = -1/6 (clamped to 0) and 7/6 (clamped to 1). */
	assert_true(out[0] == norm(10));
	assert_true(out[2 * 3] == norm(50));
	assert_true(out[6 * 3] == norm(90));
	assert_true(out[8 * 3] == norm(250));
	/* Centre: x = y = 0.5, the mean (100). Edge middles: means of two. */
	assert_float_equal(out[4 * 3], 100.0 / 127.5 - 1, 1e-6);
	assert_float_equal(out[1 * 3], 30.0 / 127.5 - 1, 1e-6);
	assert_float_equal(out[3 * 3], 50.0 / 127.5 - 1, 1e-6);
	assert_float_equal(out[7 * 3], 170.0 / 127.5 - 1, 1e-6);
}

/*
 * The documented mapping computed directly, one output value at a time: the
 * sample point (j + 0.5) · src / dst - 0.5 clamped to [0, src - 1], weights
 * rounded to float, each of the four pixels normalised, the two rows blended
 * horizontally with a + wx · (b - a), then those two vertically. The resize
 * runs in two passes over rows; it must give these values bit for bit.
 */
static void ref_tap(int src, int dst, int j, int *i0, int *i1, float *t)
{
	double scale = (double)src / (double)dst; /* in this order, as image.c rounds */
	double x = ((double)j + 0.5) * scale - 0.5;
	if (x < 0)
		x = 0;
	int a = (int)x;
	if (a >= src - 1) {
		a = src - 1;
		x = a;
	}
	*i0 = a;
	*i1 = a + 1 < src ? a + 1 : a;
	*t = (float)(x - a);
}

static void ref_to_tensor(const struct lv_image *img, int ow, int oh, float *out)
{
	for (int j = 0; j < oh; j++) {
		int y0, y1, x0, x1;
		float wy, wx;
		ref_tap(img->height, oh, j, &y0, &y1, &wy);
		for (int i = 0; i < ow; i++) {
			ref_tap(img->width, ow, i, &x0, &x1, &wx);
			for (int c = 0; c < 3; c++) {
				const uint8_t *r0 = img->rgb + (size_t)y0 * (size_t)img->width * 3;
				const uint8_t *r1 = img->rgb + (size_t)y1 * (size_t)img->width * 3;
				float p00 = norm(r0[x0 * 3 + c]), p01 = norm(r0[x1 * 3 + c]);
				float p10 = norm(r1[x0 * 3 + c]), p11 = norm(r1[x1 * 3 + c]);
				float top = p00 + wx * (p01 - p00);
				float bot = p10 + wx * (p11 - p10);
				*out++ = top + wy * (bot - top);
			}
		}
	}
}

static void test_random_pictures_match_the_mapping(void **state)
{
	(void)state;
	/* Down (the benchmark's camera frame, odd ratios), up, and degenerate sizes. */
	static const int sizes[][4] = {
		{ 460, 345, 299, 299 }, { 640, 480, 299, 299 }, { 320, 320, 299, 299 },
		{ 2, 1, 299, 299 },     { 100, 50, 299, 299 },  { 1000, 7, 299, 299 },
		{ 3, 1000, 17, 299 },   { 299, 299, 299, 299 }, { 5, 5, 1, 1 },
	};
	uint64_t seed = 12345;
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		int w = sizes[k][0], h = sizes[k][1], ow = sizes[k][2], oh = sizes[k][3];
		struct lv_image img = { w, h, lv_xmalloc((size_t)w * (size_t)h * 3) };
		for (size_t i = 0; i < (size_t)w * (size_t)h * 3; i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			img.rgb[i] = (uint8_t)(seed >> 56);
		}
		size_t n = (size_t)ow * (size_t)oh * 3;
		float *got = lv_xmalloc(n * sizeof(float)), *want = lv_xmalloc(n * sizeof(float));
		lv_image_to_tensor(&img, ow, oh, got);
		ref_to_tensor(&img, ow, oh, want);
		for (size_t i = 0; i < n; i++)
			if (memcmp(&got[i], &want[i], sizeof(float)) != 0)
				fail_msg("%d×%d → %d×%d: value %zu is %.9g, the mapping gives %.9g",
				         w, h, ow, oh, i, got[i], want[i]);
		free(got);
		free(want);
		free(img.rgb);
	}
}

/* ---- other PNG layouts ------------------------------------------------- */

static unsigned char *png_format(const void *px, int w, int h, png_uint_32 format, size_t *len)
{
	png_image img;
	png_alloc_size_t size = 0;
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	img.width = (png_uint_32)w;
	img.height = (png_uint_32)h;
	img.format = format;
	assert_true(png_image_write_to_memory(&img, NULL, &size, 0, px, 0, NULL));
	unsigned char *buf = lv_xmalloc(size);
	assert_true(png_image_write_to_memory(&img, buf, &size, 0, px, 0, NULL));
	*len = size;
	return buf;
}

static void test_grey_and_rgba_png(void **state)
{
	(void)state;
	uint8_t grey[6 * 5];
	memset(grey, 42, sizeof grey);
	size_t len;
	unsigned char *p = png_format(grey, 6, 5, PNG_FORMAT_GRAY, &len);
	float *t = tensor_of(p, len);
	assert_uniform(t, NFLOATS, norm(42), norm(42), norm(42));
	free(t);
	free(p);

	uint8_t rgba[3 * 3 * 4];
	for (int i = 0; i < 9; i++) {
		rgba[4 * i] = 11;
		rgba[4 * i + 1] = 22;
		rgba[4 * i + 2] = 33;
		rgba[4 * i + 3] = 255;
	}
	p = png_format(rgba, 3, 3, PNG_FORMAT_RGBA, &len);
	t = tensor_of(p, len);
	assert_uniform(t, NFLOATS, norm(11), norm(22), norm(33));
	free(t);
	free(p);
}

/* ---- bad input --------------------------------------------------------- */

static void expect_bad(const void *bytes, size_t len, const char *needle)
{
	char *why = NULL;
	float *t = lv_xmalloc(NFLOATS * sizeof(float));
	assert_int_equal(lv_image_preprocess(bytes, len, &model, t, &why), LV_EINVAL);
	assert_non_null(why);
	if (!strstr(why, needle))
		fail_msg("message '%s' lacks '%s'", why, needle);
	free(why);
	free(t);
}

static void test_corrupt_and_truncated(void **state)
{
	(void)state;
	uint8_t *px = lv_xmalloc(64 * 64 * 3);
	lv_image_synth(px, 64, 64, 7);
	size_t jl, pl;
	unsigned char *j = jpeg(px, 64, 64, 90, &jl);
	unsigned char *p = png(px, 64, 64, &pl);

	expect_bad("hello, world", 12, "not a JPEG or PNG");
	expect_bad("", 0, "empty");
	expect_bad(j, jl / 2, "JPEG:");
	expect_bad(j, 3, "JPEG:");
	expect_bad(p, pl / 2, "PNG:");
	expect_bad(p, 8, "PNG:");
	/* Scribbled scan data after an intact header. */
	unsigned char *bad = lv_xmalloc(jl);
	memcpy(bad, j, jl);
	memset(bad + jl / 2, 0xff, 64);
	memset(bad + jl - 40, 0x00, 38);
	expect_bad(bad, jl, "JPEG:");
	free(bad);
	/* A PNG whose image data CRC no longer matches. */
	bad = lv_xmalloc(pl);
	memcpy(bad, p, pl);
	bad[pl / 2] ^= 0x55;
	expect_bad(bad, pl, "PNG:");
	free(bad);
	free(j);
	free(p);
	free(px);
}

static void test_too_large_refused(void **state)
{
	(void)state;
	/* 17000 × 1 is a small file but over LV_IMAGE_MAX_SIDE. */
	uint8_t *px = fill(17000, 1, 1, 2, 3);
	size_t len;
	unsigned char *p = png(px, 17000, 1, &len);
	expect_bad(p, len, "over the limit");
	free(p);
	unsigned char *j = jpeg(px, 17000, 1, 50, &len);
	expect_bad(j, len, "over the limit");
	free(j);
	free(px);

	struct lv_model_info grey = model;
	grey.channels = 1;
	char *why = NULL;
	float f[4];
	assert_int_equal(lv_image_preprocess("x", 1, &grey, f, &why), LV_EINVAL);
	assert_non_null(strstr(why, "not supported"));
	free(why);
}

/* The size from the header alone: what bounding a request's decoding work reads. */
static void test_dims_from_header(void **state)
{
	(void)state;
	uint8_t *px = fill(300, 40, 9, 9, 9);
	size_t jl, pl;
	unsigned char *j = jpeg(px, 300, 40, 80, &jl);
	unsigned char *p = png(px, 300, 40, &pl);
	int w, h;
	char *why = NULL;
	assert_int_equal(lv_image_dims(j, jl, &w, &h, NULL), 0);
	assert_int_equal(w, 300);
	assert_int_equal(h, 40);
	assert_int_equal(lv_image_dims(p, pl, &w, &h, NULL), 0);
	assert_int_equal(w, 300);
	assert_int_equal(h, 40);
	/* The header is all it needs: the first 24 bytes of the PNG, not its pixels. */
	assert_int_equal(lv_image_dims(p, 24, &w, &h, NULL), 0);
	assert_int_equal(w * h, 12000);
	/* 17000 × 1 is read as declared: refusing it is for decoding or the caller. */
	uint8_t *wide = fill(17000, 1, 1, 2, 3);
	size_t wl;
	unsigned char *wp = png(wide, 17000, 1, &wl);
	assert_int_equal(lv_image_dims(wp, wl, &w, &h, NULL), 0);
	assert_int_equal(w, 17000);

	assert_int_equal(lv_image_dims(p, 20, &w, &h, &why), LV_EINVAL);
	assert_non_null(strstr(why, "PNG: no IHDR chunk first"));
	free(why);
	why = NULL;
	unsigned char zero[24];
	memcpy(zero, p, 24);
	memset(zero + 16, 0, 4); /* width 0 */
	assert_int_equal(lv_image_dims(zero, 24, &w, &h, &why), LV_EINVAL);
	assert_non_null(strstr(why, "PNG: IHDR declares 0×40 pixels"));
	free(why);
	why = NULL;
	assert_int_equal(lv_image_dims(j, 3, &w, &h, &why), LV_EINVAL);
	assert_non_null(strstr(why, "JPEG:"));
	free(why);
	why = NULL;
	assert_int_equal(lv_image_dims("GIF89a", 6, &w, &h, &why), LV_EINVAL);
	assert_non_null(strstr(why, "not a JPEG or PNG"));
	free(why);
	free(wp);
	free(wide);
	free(j);
	free(p);
	free(px);
}

static void test_synth_is_seeded(void **state)
{
	(void)state;
	uint8_t *a = lv_xmalloc(32 * 24 * 3), *b = lv_xmalloc(32 * 24 * 3);
	lv_image_synth(a, 32, 24, 5);
	lv_image_synth(b, 32, 24, 5);
	assert_memory_equal(a, b, 32 * 24 * 3);
	lv_image_synth(b, 32, 24, 6);
	assert_true(memcmp(a, b, 32 * 24 * 3) != 0);
	free(a);
	free(b);
}

/*
 * Many threads preprocessing at once, more than the decode buffer pool
 * holds, with two frame sizes so that pooled buffers are grown and reused:
 * every result equals the one worked out alone beforehand.
 */
#define POOL_THREADS 40
#define POOL_ROUNDS  6

struct pool_case {
	const unsigned char *bytes[2];
	size_t len[2];
	const float *want[2];
	int mismatches;
};

static void *pool_worker(void *arg)
{
	struct pool_case *c = arg;
	float *got = lv_xmalloc(NFLOATS * sizeof *got);
	for (int r = 0; r < POOL_ROUNDS; r++) {
		int k = r % 2;
		if (lv_image_preprocess(c->bytes[k], c->len[k], &model, got, NULL) != 0 ||
		    memcmp(got, c->want[k], NFLOATS * sizeof *got) != 0)
			__atomic_add_fetch(&c->mismatches, 1, __ATOMIC_RELAXED);
	}
	free(got);
	return NULL;
}

static void test_concurrent_preprocess_matches(void **state)
{
	(void)state;
	int sizes[2][2] = { { 64, 48 }, { 640, 480 } };
	unsigned char *bytes[2];
	float *want[2];
	struct pool_case c = { .mismatches = 0 };
	for (int k = 0; k < 2; k++) {
		uint8_t *px = lv_xmalloc((size_t)sizes[k][0] * (size_t)sizes[k][1] * 3);
		lv_image_synth(px, sizes[k][0], sizes[k][1], (uint64_t)k + 11);
		bytes[k] = jpeg(px, sizes[k][0], sizes[k][1], 90, &c.len[k]);
		free(px);
		want[k] = lv_xmalloc(NFLOATS * sizeof(float));
		assert_int_equal(lv_image_preprocess(bytes[k], c.len[k], &model, want[k], NULL), 0);
		c.bytes[k] = bytes[k];
		c.want[k] = want[k];
	}
	pthread_t t[POOL_THREADS];
	for (int i = 0; i < POOL_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, pool_worker, &c), 0);
	for (int i = 0; i < POOL_THREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(c.mismatches, 0);
	for (int k = 0; k < 2; k++) {
		free(bytes[k]);
		free(want[k]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uniform_grey_jpeg_exact),
		cmocka_unit_test(test_every_value_exact),
		cmocka_unit_test(test_uniform_colour_png_exact_and_jpeg_close),
		cmocka_unit_test(test_big_jpeg_scaled_decode),
		cmocka_unit_test(test_two_by_one_upscaled),
		cmocka_unit_test(test_halving_averages_pairs),
		cmocka_unit_test(test_two_by_two_to_three),
		cmocka_unit_test(test_random_pictures_match_the_mapping),
		cmocka_unit_test(test_grey_and_rgba_png),
		cmocka_unit_test(test_corrupt_and_truncated),
		cmocka_unit_test(test_too_large_refused),
		cmocka_unit_test(test_dims_from_header),
		cmocka_unit_test(test_synth_is_seeded),
		cmocka_unit_test(test_concurrent_preprocess_matches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
