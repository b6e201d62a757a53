/*
 * wire: the wire formats' names, KServe datatypes and sizes (see wire.h).
 * Used by the cluster loader, the live dispatcher, the launcher and the
 * controller model.
 */
#include "wire.h"

#include <stdio.h>
#include <string.h>

#include "model_config.h"
#include "base/util.h"

static const char *const names[LV_WIRE_COUNT] = { "fp32", "uint8", "jpeg" };
static const char *const datatypes[LV_WIRE_COUNT] = { "FP32", "UINT8", "BYTES" };

const char *lv_wire_name(enum lv_wire w)
{
	return (unsigned)w < LV_WIRE_COUNT ? names[w] : "?";
}

int lv_wire_parse(const char *name)
{
	for (int i = 0; name && i < LV_WIRE_COUNT; i++)
		if (!strcmp(name, names[i]))
			return i;
	return -1;
}

const char *lv_wire_datatype(enum lv_wire w)
{
	return (unsigned)w < LV_WIRE_COUNT ? datatypes[w] : "?";
}

size_t lv_wire_frame_bytes(enum lv_wire w, size_t elements, size_t jpeg_bytes)
{
	switch (w) {
	case LV_WIRE_UINT8: return elements;
	case LV_WIRE_JPEG: return 4 + jpeg_bytes;
	case LV_WIRE_FP32:
	default: return elements * 4;
	}
}

char *lv_wire_infer_header(enum lv_wire w, const struct lv_model_info *m, int batch,
                           const char *input_params)
{
	char shape[64];
	if (w == LV_WIRE_JPEG)
		snprintf(shape, sizeof(shape), "%d,1", batch);
	else
		snprintf(shape, sizeof(shape), "%d,%d,%d,%d", batch, m->height, m->width,
		         m->channels);
	return lv_xasprintf(
	    "{\"inputs\":[{\"name\":\"%s\",\"shape\":[%s],\"datatype\":\"%s\","
	    "\"parameters\":{%s}}],"
	    "\"outputs\":[{\"name\":\"%s\",\"parameters\":{\"binary_data\":true}}]}",
	    w == LV_WIRE_FP32 ? m->input : LV_WIRE_INPUT, shape, lv_wire_datatype(w), input_params,
	    m->output);
}
