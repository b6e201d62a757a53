/*
 * image: what the front end does to a camera frame before the engine sees
 * it — decode (JPEG through libjpeg-turbo, PNG through libpng), resize to the
 * model's input with bilinear interpolation, scale to [-1, 1] the way
 * Inception expects (x / 127.5 - 1) and pack as FP32 NHWC, the layout the
 * KServe binary tensor extension carries to Triton.
 *
 * Also the other direction, for tests, benchmarks and the load generator:
 * encoding RGB pixels as JPEG or PNG, and a synthetic camera-like frame.
 *
 * Everything here is reentrant: libjpeg-turbo and libpng handles are made
 * per call, so front-end connection threads preprocess in parallel.
 */
#ifndef LV_IMAGE_H
#define LV_IMAGE_H

#include <stddef.h>
#include <stdint.h>

struct lv_model_info;

enum lv_image_format {
	LV_IMAGE_UNKNOWN = 0,
	LV_IMAGE_JPEG = 1,
	LV_IMAGE_PNG = 2,
};

/*
 * Decoding bounds: a frame bigger than this is refused before any pixel
 * buffer is allocated, so a small file cannot ask for gigabytes (a 10 MB PNG
 * of one colour can declare 100,000 × 100,000 pixels).
 */
#define LV_IMAGE_MAX_SIDE   16384
#define LV_IMAGE_MAX_PIXELS (40u * 1000u * 1000u)

/* A decoded picture: 8-bit RGB, rows top to bottom, no padding. */
struct lv_image {
	int width, height;
	uint8_t *rgb; /* width · height · 3 bytes; owned */
};

/* The format from the first bytes (magic numbers), LV_IMAGE_UNKNOWN if neither. */
enum lv_image_format lv_image_sniff(const void *bytes, size_t len);

/*
 * The picture's size as its header declares it (JPEG: the frame header, read
 * by libjpeg-turbo; PNG: IHDR), without decoding any pixel: cheap, so a
 * caller can bound decoding work before doing it. Returns 0 with *w, *h > 0,
 * or LV_EINVAL with *why when the bytes are neither format or the header is
 * unreadable. The size is not checked against LV_IMAGE_MAX_*: decoding does.
 */
int lv_image_dims(const void *bytes, size_t len, int *w, int *h, char **why);

/*
 * Decodes a JPEG or PNG of `len` bytes into *out (caller releases with
 * lv_image_fini). A JPEG larger than twice (min_w, min_h) is decoded at a
 * reduced DCT scale (1/2, 1/4 or 1/8) chosen so that the result is still at
 * least min_w × min_h: cheaper by the square of the factor and, for a
 * downscale, no worse than bilinear from full size. min_w = min_h = 0 decodes
 * at full size. Returns 0, or LV_EINVAL with *why when the bytes are neither
 * format, are corrupt or truncated (libjpeg-turbo warnings count as errors),
 * or exceed LV_IMAGE_MAX_SIDE / LV_IMAGE_MAX_PIXELS.
 */
int lv_image_decode(const void *bytes, size_t len, int min_w, int min_h, struct lv_image *out,
                    char **why);

/* Frees the pixels; safe on a zeroed or already released image. */
void lv_image_fini(struct lv_image *img);

/*
 * Resizes img to out_w × out_h (bilinear, half-pixel centres: output pixel j
 * samples source x = (j + 0.5) · w / out_w - 0.5, clamped to the edges) and
 * writes out_w · out_h · 3 floats, NHWC, each channel value v mapped to
 * v / 127.5 - 1. The mapping is applied before interpolating (it is linear,
 * so the result is the same) and interpolation is a + t · (b - a), so a
 * region of one colour c gives exactly (float)(c / 127.5 - 1).
 */
void lv_image_to_tensor(const struct lv_image *img, int out_w, int out_h, float *out);

/*
 * The whole pipeline for one frame: decode, resize to the model's
 * width × height, normalise, into `out` (model->height · width · channels
 * floats, caller-owned). Only 3-channel models are supported. Returns 0 or
 * LV_EINVAL with *why (what was wrong with the bytes).
 */
int lv_image_preprocess(const void *bytes, size_t len, const struct lv_model_info *model,
                        float *out, char **why);

/*
 * The uint8 wire's input (core/model/wire.h): img resized to out_w × out_h
 * with the same bilinear taps as lv_image_to_tensor, interpolated on the
 * bytes and rounded to the nearest, out_w · out_h · 3 bytes NHWC. The device
 * scales them to [-1, 1]; no float is computed per pixel here.
 */
void lv_image_to_pixels(const struct lv_image *img, int out_w, int out_h, uint8_t *out);

/*
 * lv_image_preprocess for the formats a cluster uses: decodes once, then
 * fills `tensor` (FP32, as lv_image_to_tensor) and/or `pixels` (uint8, as
 * lv_image_to_pixels), whichever is non-NULL. 0 or LV_EINVAL with *why.
 */
int lv_image_prepare(const void *bytes, size_t len, const struct lv_model_info *model,
                     float *tensor, uint8_t *pixels, char **why);

/*
 * Encoders for generated test frames. `rgb` holds w · h · 3 bytes. JPEG is
 * at `quality` 1..100 with 4:2:0 chroma sampling (what cameras send) when
 * chroma_420 is non-zero, else 4:4:4 (no chroma loss). Return a malloc'ed
 * buffer (caller frees) with its size in *len_out, or NULL with *why.
 */
unsigned char *lv_image_encode_jpeg(const uint8_t *rgb, int w, int h, int quality, int chroma_420,
                                    size_t *len_out, char **why);
unsigned char *lv_image_encode_png(const uint8_t *rgb, int w, int h, size_t *len_out, char **why);

/*
 * Fills w · h · 3 bytes with a camera-like frame: smooth gradients and
 * shapes plus seeded pixel noise, so that JPEG sizes resemble real frames
 * (640 × 480 at quality 90, 4:2:0, is about 100 KB). The same seed gives the same
 * pixels.
 */
void lv_image_synth(uint8_t *rgb, int w, int h, uint64_t seed);

#endif
