/*
 * wire: how a frame travels from the controller to its device — the
 * per-device "wire" format of the cluster file.
 *
 *   fp32   the model's input tensor itself: H × W × C floats scaled to
 *          [-1, 1] (1.07 MB for Inception's 299 × 299 × 3). The controller
 *          decodes, resizes and converts; the device only infers.
 *   uint8  the resized pixels, H × W × C bytes (a quarter of fp32). The
 *          controller decodes and resizes; the device's preprocessing model
 *          scales to [-1, 1] (model_repository/<model>_uint8).
 *   jpeg   the camera's JPEG itself, one BYTES element per frame (about a
 *          tenth of fp32). The controller does no image work at all; the
 *          device decodes and resizes (model_repository/<model>_jpeg).
 *
 * Pure data and names: no I/O, so the scheduler's side may use it.
 */
#ifndef LV_WIRE_H
#define LV_WIRE_H

#include <stddef.h>
#include <stdint.h>

struct lv_model_info;

enum lv_wire {
	LV_WIRE_FP32 = 0, /* the default: what every device took before formats existed */
	LV_WIRE_UINT8 = 1,
	LV_WIRE_JPEG = 2,
};

#define LV_WIRE_COUNT 3

/*
 * The input tensor of the uint8 and jpeg ensembles (model_repository/
 * <model>_uint8 and _jpeg): the frames before the device's preprocessing.
 */
#define LV_WIRE_INPUT "image"

/* "fp32", "uint8", "jpeg"; "?" for a value outside the enum. */
const char *lv_wire_name(enum lv_wire w);

/* The format named `name` (exact, lower case), or -1. */
int lv_wire_parse(const char *name);

/* KServe datatype of the format's input tensor: "FP32", "UINT8", "BYTES". */
const char *lv_wire_datatype(enum lv_wire w);

/*
 * Bytes one frame puts on the wire for a model input of `elements` values
 * (H·W·C): fp32 4 each, uint8 1 each; jpeg the 4-byte length prefix KServe's
 * BYTES encoding gives each element plus `jpeg_bytes` (the JPEG's size; a
 * model of the link uses the typical camera frame's).
 */
size_t lv_wire_frame_bytes(enum lv_wire w, size_t elements, size_t jpeg_bytes);

/*
 * The JSON header of a KServe v2 infer request (binary tensor extension) of
 * `batch` frames of model m in format w: the model's own input for fp32,
 * the ensembles' LV_WIRE_INPUT otherwise, shaped [b, H, W, C] (jpeg: [b, 1],
 * one BYTES element per frame), its datatype lv_wire_datatype(w) and the
 * parameters `input_params` (the members, e.g. "\"binary_data_size\":N" or a
 * shared-memory region's); the model's output asked for as binary data. The
 * live dispatcher and `loudva profile run` build their requests with it.
 * Caller frees.
 */
char *lv_wire_infer_header(enum lv_wire w, const struct lv_model_info *m, int batch,
                           const char *input_params);

/* KServe's BYTES encoding: an element's length as 4 little-endian bytes before it. */
static inline void lv_wire_bytes_prefix(unsigned char out[4], uint32_t len)
{
	for (int k = 0; k < 4; k++)
		out[k] = (unsigned char)(len >> (8 * k));
}

#endif
