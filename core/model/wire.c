/*
 * wire: the wire formats' names, KServe datatypes and sizes (see wire.h).
 * Used by the cluster loader, the live dispatcher, the launcher and the
 * controller model.
 */
#include "wire.h"

#include <string.h>

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
