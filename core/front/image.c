/*
 * image: decoding, resizing and normalising camera frames, and encoding
 * generated ones. The contracts are in image.h; this file owns the
 * libjpeg-turbo and libpng calls, and their errors end here as messages.
 *
 * Both libraries are used through per-call handles (tjInitDecompress, the
 * png_image simplified API), so nothing is shared between threads. Neither
 * prints: turbojpeg keeps its message on the handle and png_image in
 * image.message.
 *
 * The resize works in the normalised domain: a 256-entry table maps each
 * byte to (float)(v / 127.5 - 1) and the bilinear blend interpolates those.
 * Every blend is a + t · (b - a), which gives back a exactly when b == a, so
 * one-colour regions come out exact. (Blending raw rows first and
 * normalising with a division measured twice as slow: 0.8 against 0.45 ms
 * for 640×480 → 299×299.) It runs in two passes, horizontal per source row
 * then vertical per output row, with the same arithmetic as a single pass;
 * 460×345 → 299×299 went from 0.33 to 0.25 ms of CPU.
 */
#include "image.h"

#include <math.h>
#include <png.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "model/model_config.h"
#include "base/rng.h"
#include "base/util.h"

enum lv_image_format lv_image_sniff(const void *bytes, size_t len)
{
	static const unsigned char png_magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	const unsigned char *b = bytes;

	if (len >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
		return LV_IMAGE_JPEG;
	if (len >= 8 && !memcmp(b, png_magic, 8))
		return LV_IMAGE_PNG;
	return LV_IMAGE_UNKNOWN;
}

/* PNG's IHDR, which must come first: length 13, "IHDR", width, height (big-endian). */
static int png_dims(const unsigned char *b, size_t len, int *w, int *h, char **why)
{
	static const unsigned char ihdr[8] = { 0, 0, 0, 13, 'I', 'H', 'D', 'R' };
	if (len < 24 || memcmp(b + 8, ihdr, sizeof ihdr) != 0)
		return lv_fail(why, LV_EINVAL, "PNG: no IHDR chunk first (truncated header?)");
	uint32_t pw = (uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19];
	uint32_t ph = (uint32_t)b[20] << 24 | (uint32_t)b[21] << 16 | (uint32_t)b[22] << 8 | b[23];
	/* PNG caps both at 2^31 - 1; zero is no picture. */
	if (pw == 0 || ph == 0 || pw > 0x7fffffffu || ph > 0x7fffffffu)
		return lv_fail(why, LV_EINVAL, "PNG: IHDR declares %u×%u pixels", (unsigned)pw,
		               (unsigned)ph);
	*w = (int)pw;
	*h = (int)ph;
	return 0;
}

static int jpeg_dims(const unsigned char *b, size_t len, int *w, int *h, char **why)
{
	int subsamp, colorspace, rc = 0;
	if (len > (size_t)0x7fffffff)
		return lv_fail(why, LV_EINVAL, "JPEG: %zu bytes is too large", len);
	tjhandle tj = tjInitDecompress();
	if (!tj)
		return lv_fail(why, LV_ELIB, "JPEG: cannot make a decoder: %s",
		               tjGetErrorStr2(NULL));
	if (tjDecompressHeader3(tj, b, (unsigned long)len, w, h, &subsamp, &colorspace) < 0)
		rc = lv_fail(why, LV_EINVAL, "JPEG: %s", tjGetErrorStr2(tj));
	else if (*w <= 0 || *h <= 0)
		rc = lv_fail(why, LV_EINVAL, "JPEG: no picture (%d×%d)", *w, *h);
	tjDestroy(tj);
	return rc;
}

int lv_image_dims(const void *bytes, size_t len, int *w, int *h, char **why)
{
	*w = *h = 0;
	switch (lv_image_sniff(bytes, len)) {
	case LV_IMAGE_JPEG: return jpeg_dims(bytes, len, w, h, why);
	case LV_IMAGE_PNG: return png_dims(bytes, len, w, h, why);
	case LV_IMAGE_UNKNOWN: break;
	}
	return lv_fail(why, LV_EINVAL, "not a JPEG or PNG");
}

static int check_dims(const char *fmt, int w, int h, char **why)
{
	if (w <= 0 || h <= 0)
		return lv_fail(why, LV_EINVAL, "%s: no picture (%d×%d): truncated header?", fmt, w,
		               h);
	if (w > LV_IMAGE_MAX_SIDE || h > LV_IMAGE_MAX_SIDE ||
	    (uint64_t)w * (uint64_t)h > LV_IMAGE_MAX_PIXELS)
		return lv_fail(why, LV_EINVAL,
		               "%s: %d×%d pixels is over the limit (%d per side, %u in all)", fmt,
		               w, h, LV_IMAGE_MAX_SIDE, LV_IMAGE_MAX_PIXELS);
	return 0;
}

/*
 * Pixel buffers. lv_image_preprocess decodes into a buffer from a small pool
 * shared by every thread: a fresh megabyte per frame costs more in page
 * faults than the resize itself, as the allocator returns big blocks to the
 * kernel and takes them back. Only a frame being decoded holds a buffer, and
 * the front end lets a bounded number of frames decode at once, so what the
 * pool keeps follows the decoders, not the connections. (It was one buffer
 * per thread, and the front end runs a thread per connection: 256 cameras on
 * keep-alive sending 5 MP frames would have kept 256 × 14 MB.) The pool keeps
 * at most SCRATCH_SLOTS buffers, none over SCRATCH_KEEP_MAX and
 * SCRATCH_TOTAL_MAX bytes in all (a burst of big frames does not stay);
 * past those, buffers are plain malloc and free.
 */
#define SCRATCH_KEEP_MAX  ((size_t)16 << 20)
#define SCRATCH_TOTAL_MAX ((size_t)64 << 20)
#define SCRATCH_SLOTS     32

static struct {
	uint8_t *p;
	size_t cap;
	int busy;
} scratch_slots[SCRATCH_SLOTS];
static size_t scratch_total; /* the slots' capacities, summed */
static pthread_mutex_t scratch_mu = PTHREAD_MUTEX_INITIALIZER;

static uint8_t *pixels_alloc(size_t n, int scratch)
{
	uint8_t *p = NULL;
	int k = -1;

	if (!scratch || n > SCRATCH_KEEP_MAX)
		return lv_xmalloc(n);
	pthread_mutex_lock(&scratch_mu);
	/* A free buffer big enough, else the first free slot (grown below). */
	for (int i = 0; i < SCRATCH_SLOTS; i++) {
		if (scratch_slots[i].busy)
			continue;
		if (scratch_slots[i].cap >= n) {
			k = i;
			break;
		}
		if (k < 0)
			k = i;
	}
	if (k >= 0 && scratch_slots[k].cap < n &&
	    scratch_total - scratch_slots[k].cap + n > SCRATCH_TOTAL_MAX)
		k = -1; /* growing it would keep too much: a plain buffer */
	if (k >= 0) {
		scratch_slots[k].busy = 1;
		if (scratch_slots[k].cap < n) {
			free(scratch_slots[k].p);
			scratch_total -= scratch_slots[k].cap;
			scratch_slots[k].p = lv_xmalloc(n);
			scratch_slots[k].cap = n;
			scratch_total += n;
		}
		p = scratch_slots[k].p;
	}
	pthread_mutex_unlock(&scratch_mu);
	return p ? p : lv_xmalloc(n);
}

static void pixels_release(struct lv_image *img, int scratch)
{
	int pooled = 0;

	if (scratch && img->rgb) {
		pthread_mutex_lock(&scratch_mu);
		for (int i = 0; i < SCRATCH_SLOTS && !pooled; i++) {
			if (scratch_slots[i].busy && scratch_slots[i].p == img->rgb) {
				scratch_slots[i].busy = 0;
				pooled = 1;
			}
		}
		pthread_mutex_unlock(&scratch_mu);
	}
	if (!pooled)
		free(img->rgb);
	img->rgb = NULL;
	img->width = img->height = 0;
}

/*
 * The smallest of libjpeg-turbo's scales 1/8, 1/4 and 1/2 that keeps the
 * decoded picture at least min_w × min_h, else full size. Scaled decoding
 * runs a smaller inverse DCT per block, and is a proper (area-like)
 * downscale. The other M/8 scales are left alone on purpose: they have no
 * SIMD code, and decoding 640×480 at 5/8 measured 25% slower than at 8/8.
 */
static void jpeg_scale(int w, int h, int min_w, int min_h, int *sw, int *sh)
{
	*sw = w;
	*sh = h;
	if (min_w <= 0 || min_h <= 0)
		return;
	for (int d = 8; d >= 2; d /= 2) {
		/* TJSCALED rounds up, as libjpeg does. */
		int tw = (w + d - 1) / d, th = (h + d - 1) / d;
		if (tw >= min_w && th >= min_h) {
			*sw = tw;
			*sh = th;
			return;
		}
	}
}

static int decode_jpeg(const unsigned char *b, size_t len, int min_w, int min_h, int scratch,
                       struct lv_image *out, char **why)
{
	int rc = LV_EINVAL, w = 0, h = 0, subsamp, colorspace, sw, sh;
	tjhandle tj = NULL;

	if (len > (size_t)0x7fffffff)
		return lv_fail(why, LV_EINVAL, "JPEG: %zu bytes is too large", len);
	tj = tjInitDecompress();
	if (!tj) {
		rc = lv_fail(why, LV_ELIB, "JPEG: cannot make a decoder: %s", tjGetErrorStr2(NULL));
		goto out;
	}
	if (tjDecompressHeader3(tj, b, (unsigned long)len, &w, &h, &subsamp, &colorspace) < 0) {
		lv_fail(why, LV_EINVAL, "JPEG: %s", tjGetErrorStr2(tj));
		goto out;
	}
	if (check_dims("JPEG", w, h, why) < 0)
		goto out;
	jpeg_scale(w, h, min_w, min_h, &sw, &sh);
	out->width = sw;
	out->height = sh;
	out->rgb = pixels_alloc((size_t)sw * (size_t)sh * 3, scratch);
	/* STOPONWARNING: a truncated or damaged stream is refused, not grey-filled.
	 * (FASTDCT and FASTUPSAMPLE are left off. Measured in CPU time on the live
	 * benchmark's 460×345 frame and the 640×480 synthetic one, FASTDCT saves
	 * 2-3% and moves pixels by 1 level on average (6 at most); FASTUPSAMPLE
	 * saves another 5% but moves the noisy frame's pixels by 14 levels on
	 * average, 97 at most: not the same input. Entropy decoding dominates.) */
	if (tjDecompress2(tj, b, (unsigned long)len, out->rgb, sw, 0, sh, TJPF_RGB,
	                  TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS) < 0) {
		lv_fail(why, LV_EINVAL, "JPEG: %s", tjGetErrorStr2(tj));
		pixels_release(out, scratch);
		goto out;
	}
	rc = 0;
out:
	if (tj)
		tjDestroy(tj);
	return rc;
}

static int decode_png(const unsigned char *b, size_t len, int scratch, struct lv_image *out,
                      char **why)
{
	png_image img;

	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_memory(&img, b, len))
		return lv_fail(why, LV_EINVAL, "PNG: %s", img.message);
	if (img.width > LV_IMAGE_MAX_SIDE || img.height > LV_IMAGE_MAX_SIDE ||
	    check_dims("PNG", (int)img.width, (int)img.height, why) < 0) {
		png_image_free(&img);
		return lv_fail(why, LV_EINVAL, "PNG: %u×%u pixels is over the limit (%d per side)",
		               (unsigned)img.width, (unsigned)img.height, LV_IMAGE_MAX_SIDE);
	}
	/* Grey, palette, 16-bit and alpha all come out as 8-bit RGB; alpha is
	 * composited on black, as a camera has no transparency to speak of. */
	img.format = PNG_FORMAT_RGB;
	out->width = (int)img.width;
	out->height = (int)img.height;
	out->rgb = pixels_alloc(PNG_IMAGE_SIZE(img), scratch);
	png_color black = { 0, 0, 0 };
	if (!png_image_finish_read(&img, &black, out->rgb, 0, NULL)) {
		pixels_release(out, scratch);
		png_image_free(&img);
		return lv_fail(why, LV_EINVAL, "PNG: %s", img.message);
	}
	png_image_free(&img);
	return 0;
}

static int decode(const void *bytes, size_t len, int min_w, int min_h, int scratch,
                  struct lv_image *out, char **why)
{
	memset(out, 0, sizeof *out);
	switch (lv_image_sniff(bytes, len)) {
	case LV_IMAGE_JPEG: return decode_jpeg(bytes, len, min_w, min_h, scratch, out, why);
	case LV_IMAGE_PNG: return decode_png(bytes, len, scratch, out, why);
	case LV_IMAGE_UNKNOWN: break;
	}
	if (len == 0)
		return lv_fail(why, LV_EINVAL, "empty file, not a JPEG or PNG");
	return lv_fail(why, LV_EINVAL, "not a JPEG or PNG (first bytes %02x %02x %02x)",
	               ((const unsigned char *)bytes)[0],
	               len > 1 ? ((const unsigned char *)bytes)[1] : 0,
	               len > 2 ? ((const unsigned char *)bytes)[2] : 0);
}

int lv_image_decode(const void *bytes, size_t len, int min_w, int min_h, struct lv_image *out,
                    char **why)
{
	return decode(bytes, len, min_w, min_h, 0, out, why);
}

void lv_image_fini(struct lv_image *img)
{
	free(img->rgb);
	img->rgb = NULL;
	img->width = img->height = 0;
}

/* (float)(v / 127.5 - 1) for every byte value v; and v itself (the uint8 wire's). */
static float norm_lut[256], raw_lut[256];
static pthread_once_t norm_once = PTHREAD_ONCE_INIT;

static void norm_init(void)
{
	for (int v = 0; v < 256; v++) {
		norm_lut[v] = (float)((double)v / 127.5 - 1.0);
		raw_lut[v] = (float)v;
	}
}

/* Source index pairs and weights for one axis: half-pixel centres, clamped. */
static void axis_taps(int src, int dst, int *i0, int *i1, float *t)
{
	double scale = (double)src / (double)dst;

	for (int j = 0; j < dst; j++) {
		double x = ((double)j + 0.5) * scale - 0.5;
		if (x < 0)
			x = 0;
		int a = (int)x;
		if (a >= src - 1) {
			a = src - 1;
			x = a;
		}
		i0[j] = a;
		i1[j] = a + 1 < src ? a + 1 : a;
		t[j] = (float)(x - a);
	}
}

/*
 * One source row blended horizontally into out_w · 3 floats: for each output
 * column, a + wx · (b - a) over the normalised pixels a, b it falls between.
 * x0 and x1 are byte offsets into the row (pixel index · 3).
 */
static void hblend_row(const uint8_t *row, const int *x0, const int *x1, const float *tx, int out_w,
                       const float *lut, float *restrict h)
{
	for (int i = 0; i < out_w; i++) {
		const uint8_t *a = row + x0[i], *b = row + x1[i];
		const float wx = tx[i];
		for (int c = 0; c < 3; c++) {
			float pa = lut[a[c]], pb = lut[b[c]];
			*h++ = pa + wx * (pb - pa);
		}
	}
}

/* out[k] = top[k] + wy · (bot[k] - top[k]) for n floats, four at a time (so it vectorises). */
static void vblend_row(const float *restrict top, const float *restrict bot, float wy, size_t n,
                       float *restrict out)
{
	size_t k = 0;
	for (; k + 4 <= n; k += 4) {
		out[k] = top[k] + wy * (bot[k] - top[k]);
		out[k + 1] = top[k + 1] + wy * (bot[k + 1] - top[k + 1]);
		out[k + 2] = top[k + 2] + wy * (bot[k + 2] - top[k + 2]);
		out[k + 3] = top[k + 3] + wy * (bot[k + 3] - top[k + 3]);
	}
	for (; k < n; k++)
		out[k] = top[k] + wy * (bot[k] - top[k]);
}

/*
 * Separable: each source row that an output row needs is blended
 * horizontally once, into one of two row buffers (output rows walk down the
 * source, so the two most recent rows are the ones still wanted), then the
 * two rows are blended vertically. The arithmetic per value is exactly the
 * one-pass formula's (the horizontal blends of the two source rows, then the
 * vertical blend of those), so results are bit for bit the same; the work is
 * about half, and the vertical pass runs four floats at a time.
 */
static void resize(const struct lv_image *img, int out_w, int out_h, const float *lut, float *out,
                   uint8_t *out_u8)
{
	const size_t row_floats = (size_t)out_w * 3;
	int *x0 = lv_xmalloc(sizeof(int) * ((size_t)out_w * 2 + (size_t)out_h * 2));
	int *x1 = x0 + out_w, *y0 = x1 + out_w, *y1 = y0 + out_h;
	float *tx = lv_xmalloc(sizeof(float) * ((size_t)out_w + (size_t)out_h + 2 * row_floats));
	float *ty = tx + out_w, *buf[2] = { ty + out_h, ty + out_h + row_floats };
	int have[2] = { -1, -1 }; /* the source row each buffer holds */
	const size_t stride = (size_t)img->width * 3;

	axis_taps(img->width, out_w, x0, x1, tx);
	axis_taps(img->height, out_h, y0, y1, ty);
	for (int i = 0; i < out_w; i++) {
		x0[i] *= 3;
		x1[i] *= 3;
	}
	for (int j = 0; j < out_h; j++) {
		/* Row y0 goes where it does not evict y1; row y1 where it does not evict y0. */
		int s0 = have[0] == y0[j] ? 0 : have[1] == y0[j] ? 1 : -1;
		if (s0 < 0) {
			s0 = have[0] == y1[j] ? 1 : 0;
			hblend_row(img->rgb + (size_t)y0[j] * stride, x0, x1, tx, out_w, lut,
			           buf[s0]);
			have[s0] = y0[j];
		}
		int s1 = have[s0] == y1[j] ? s0 : have[s0 ^ 1] == y1[j] ? s0 ^ 1 : -1;
		if (s1 < 0) {
			s1 = s0 ^ 1;
			hblend_row(img->rgb + (size_t)y1[j] * stride, x0, x1, tx, out_w, lut,
			           buf[s1]);
			have[s1] = y1[j];
		}
		const float *rows[2] = { buf[s0], buf[s1] };
		if (out) {
			vblend_row(rows[0], rows[1], ty[j], row_floats,
			           out + (size_t)j * row_floats);
			continue;
		}
		/* uint8: blended and rounded in one pass (values stay within [0, 255]). */
		const float *restrict top = rows[0], *restrict bot = rows[1];
		const float wy = ty[j];
		uint8_t *restrict o = out_u8 + (size_t)j * row_floats;
		for (size_t k = 0; k < row_floats; k++)
			o[k] = (uint8_t)(top[k] + wy * (bot[k] - top[k]) + 0.5f);
	}
	free(x0);
	free(tx);
}

void lv_image_to_tensor(const struct lv_image *img, int out_w, int out_h, float *out)
{
	pthread_once(&norm_once, norm_init);
	resize(img, out_w, out_h, norm_lut, out, NULL);
}

int lv_image_preprocess(const void *bytes, size_t len, const struct lv_model_info *model,
                        float *out, char **why)
{
	return lv_image_prepare(bytes, len, model, out, NULL, why);
}

void lv_image_to_pixels(const struct lv_image *img, int out_w, int out_h, uint8_t *out)
{
	pthread_once(&norm_once, norm_init);
	resize(img, out_w, out_h, raw_lut, NULL, out);
}

int lv_image_prepare(const void *bytes, size_t len, const struct lv_model_info *model,
                     float *tensor, uint8_t *pixels, char **why)
{
	struct lv_image img;

	if (model->channels != 3 || model->width <= 0 || model->height <= 0)
		return lv_fail(why, LV_EINVAL,
		               "model %s: input %d×%d×%d is not supported (need H×W×3)",
		               model->name, model->height, model->width, model->channels);
	int rc = decode(bytes, len, model->width, model->height, 1, &img, why);
	if (rc < 0)
		return rc;
	if (tensor)
		lv_image_to_tensor(&img, model->width, model->height, tensor);
	if (pixels)
		lv_image_to_pixels(&img, model->width, model->height, pixels);
	pixels_release(&img, 1);
	return 0;
}

unsigned char *lv_image_encode_jpeg(const uint8_t *rgb, int w, int h, int quality, int chroma_420,
                                    size_t *len_out, char **why)
{
	unsigned char *buf = NULL, *res = NULL;
	unsigned long size = 0;
	tjhandle tj = tjInitCompress();

	if (!tj) {
		lv_fail(why, LV_ELIB, "JPEG: cannot make an encoder: %s", tjGetErrorStr2(NULL));
		return NULL;
	}
	if (tjCompress2(tj, rgb, w, 0, h, TJPF_RGB, &buf, &size,
	                chroma_420 ? TJSAMP_420 : TJSAMP_444, quality, TJFLAG_ACCURATEDCT) < 0) {
		lv_fail(why, LV_ELIB, "JPEG: %s", tjGetErrorStr2(tj));
		goto out;
	}
	/* Hand back plain malloc memory, so callers free() it like everything else. */
	res = lv_xmalloc(size);
	memcpy(res, buf, size);
	*len_out = size;
out:
	tjFree(buf);
	tjDestroy(tj);
	return res;
}

unsigned char *lv_image_encode_png(const uint8_t *rgb, int w, int h, size_t *len_out, char **why)
{
	png_image img;
	png_alloc_size_t size = 0;

	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	img.width = (png_uint_32)w;
	img.height = (png_uint_32)h;
	img.format = PNG_FORMAT_RGB;
	if (!png_image_write_to_memory(&img, NULL, &size, 0, rgb, 0, NULL)) {
		lv_fail(why, LV_ELIB, "PNG: %s", img.message);
		return NULL;
	}
	unsigned char *buf = lv_xmalloc(size);
	if (!png_image_write_to_memory(&img, buf, &size, 0, rgb, 0, NULL)) {
		lv_fail(why, LV_ELIB, "PNG: %s", img.message);
		free(buf);
		return NULL;
	}
	*len_out = size;
	return buf;
}

/* Pixel noise amplitude of synthetic frames: tuned so that 640×480 at
 * quality 90, 4:2:0, is about 100 KB, like a camera's frame. */
#define NOISE_AMP 36

void lv_image_synth(uint8_t *rgb, int w, int h, uint64_t seed)
{
	struct lv_rng r;
	lv_rng_seed(&r, seed);
	double cx = lv_rng_range(&r, 0.2, 0.8) * w, cy = lv_rng_range(&r, 0.2, 0.8) * h;
	double rad = lv_rng_range(&r, 0.1, 0.3) * (w < h ? w : h);
	int hue = (int)(lv_rng_next(&r) % 3);

	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) {
			uint8_t *p = rgb + ((size_t)y * (size_t)w + (size_t)x) * 3;
			double dx = x - cx, dy = y - cy;
			int in = dx * dx + dy * dy < rad * rad;
			/* Sky-to-ground gradient, a disc, and sensor-like noise. */
			int base[3] = { 60 + 120 * y / h, 90 + 80 * x / w, 200 - 120 * y / h };
			if (in)
				base[hue] = 230;
			uint64_t n = lv_rng_next(&r);
			for (int c = 0; c < 3; c++) {
				int v = base[c] + (int)(((n >> (8 * c)) & 0xff) % NOISE_AMP) -
				        NOISE_AMP / 2;
				p[c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
			}
		}
	}
}
