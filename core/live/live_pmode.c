/*
 * live_pmode: see live_pmode.h. What the agent says is untrusted input: a
 * mode is KNOWN only with a whole id in nvpmodel's range, a cap only when
 * it is a positive clock below 1 THz, and a name is cut to its field.
 */
#include "live_pmode.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

#define ID_MAX  9999
#define HZ_MAX  1e12
#define CAP_KEY "above the GPU cap of power mode "

static int good_id(double v)
{
	return isfinite(v) && v >= 0 && v <= ID_MAX && v == (double)(int)v;
}

static int good_hz(double v)
{
	return isfinite(v) && v > 0 && v < HZ_MAX;
}

/* A {id, name, gpu_max_hz} object into *out; 0, or -1 when it is not one. */
static int mode_object(const cJSON *o, struct lv_snap_pmode *out)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
	const cJSON *cap = cJSON_GetObjectItemCaseSensitive(o, "gpu_max_hz");
	if (!cJSON_IsObject(o) || !cJSON_IsNumber(id) || !good_id(id->valuedouble))
		return -1;
	struct lv_snap_pmode m = { .state = LV_SNAP_PMODE_KNOWN, .id = (int)id->valuedouble };
	if (cJSON_IsString(name))
		snprintf(m.name, sizeof(m.name), "%s", name->valuestring);
	if (cJSON_IsNumber(cap) && good_hz(cap->valuedouble))
		m.gpu_max_hz = (uint64_t)cap->valuedouble;
	*out = m;
	return 0;
}

void lv_pmode_from_telemetry(const cJSON *root, struct lv_snap_pmode *out)
{
	const cJSON *pm = cJSON_GetObjectItemCaseSensitive(root, "power_mode");
	*out = (struct lv_snap_pmode){ .state = LV_SNAP_PMODE_NONE };
	if (cJSON_IsObject(pm)) {
		if (mode_object(pm, out) != 0)
			*out = (struct lv_snap_pmode){ .state = LV_SNAP_PMODE_UNKNOWN };
	} else if (cJSON_IsNull(pm) &&
	           cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "tegrastats"))) {
		out->state = LV_SNAP_PMODE_UNKNOWN;
	}
}

/* "ID (NAME): CAP Hz" after CAP_KEY in msg; 0, or -1. */
static int refusal_text(const char *msg, struct lv_snap_pmode *out)
{
	const char *p = strstr(msg, CAP_KEY);
	if (!p)
		return -1;
	p += strlen(CAP_KEY);
	char *end;
	long id = strtol(p, &end, 10);
	if (end == p || id < 0 || id > ID_MAX || strncmp(end, " (", 2) != 0)
		return -1;
	const char *name = end + 2, *close = strstr(name, "): ");
	if (!close)
		return -1;
	const char *num = close + 3;
	size_t digits = strspn(num, "0123456789");
	if (digits == 0 || digits > 12 || strncmp(num + digits, " Hz", 3) != 0)
		return -1;
	char buf[16];
	memcpy(buf, num, digits);
	buf[digits] = '\0';
	unsigned long long cap;
	if (lv_parse_u64(buf, &cap) != LV_OK || !good_hz((double)cap))
		return -1;
	struct lv_snap_pmode m = { .state = LV_SNAP_PMODE_KNOWN, .id = (int)id, .gpu_max_hz = cap };
	size_t n = (size_t)(close - name);
	if (n >= sizeof(m.name))
		n = sizeof(m.name) - 1;
	memcpy(m.name, name, n);
	m.name[n] = '\0';
	*out = m;
	return 0;
}

int lv_pmode_from_refusal(const char *body, size_t len, struct lv_snap_pmode *out)
{
	cJSON *root = body && len ? cJSON_ParseWithLength(body, len) : NULL;
	struct lv_snap_pmode m;
	int rc = -1;
	const cJSON *pm = cJSON_GetObjectItemCaseSensitive(root, "power_mode");
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
	if (cJSON_IsObject(pm))
		rc = mode_object(pm, &m);
	if (rc != 0 && cJSON_IsString(err))
		rc = refusal_text(err->valuestring, &m);
	cJSON_Delete(root);
	if (rc != 0 || m.gpu_max_hz == 0)
		return LV_EINVAL;
	*out = m;
	return LV_OK;
}

uint64_t lv_pmode_clamp(const struct lv_snap_pmode *m, const uint64_t *freqs_hz, size_t n,
                        uint64_t hz)
{
	if (m->state != LV_SNAP_PMODE_KNOWN || m->gpu_max_hz == 0 || hz <= m->gpu_max_hz)
		return hz;
	uint64_t best = 0;
	for (size_t i = 0; i < n; i++)
		if (freqs_hz[i] <= m->gpu_max_hz)
			best = freqs_hz[i];
	return best;
}

const char *lv_pmode_label(const struct lv_snap_pmode *m, char *buf, size_t len)
{
	if (m->state != LV_SNAP_PMODE_KNOWN)
		snprintf(buf, len, "unknown");
	else if (m->name[0])
		snprintf(buf, len, "%s (id %d)", m->name, m->id);
	else
		snprintf(buf, len, "id %d", m->id);
	return buf;
}
