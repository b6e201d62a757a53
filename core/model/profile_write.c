/*
 * profile_write: a profile as JSON text (lv_profile_to_json) and saved to a
 * file (lv_profile_save), in the format profile_parse.c reads and
 * profiles/README.md documents.
 *
 * Output is byte-stable: keys in a fixed order, one point per line, integers
 * printed as integers and doubles as the shortest of %.15g, %.16g and %.17g
 * that reads back as the same double. So saving what was loaded gives the
 * same bytes, and importing twice gives the same file.
 */
#include "profile.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/util.h"

/* v as the shortest text that reads back as exactly v. */
static void sb_num(struct lv_buf *b, double v)
{
	char t[LV_NUM_EXACT_MAX];
	lv_buf_printf(b, "%s", lv_num_exact(t, v));
}

/* A JSON string literal: quotes, backslashes and control bytes escaped. */
static void sb_str(struct lv_buf *b, const char *s)
{
	lv_buf_printf(b, "\"");
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			lv_buf_printf(b, "\\%c", *c);
		else if (*c == '\n')
			lv_buf_printf(b, "\\n");
		else if (*c < 0x20)
			lv_buf_printf(b, "\\u%04x", *c);
		else
			lv_buf_printf(b, "%c", *c);
	}
	lv_buf_printf(b, "\"");
}

static void sb_gpu(struct lv_buf *b, const struct lv_gpu_specs *g)
{
	lv_buf_printf(b, "  \"gpu\": {\"max_mhz\": ");
	sb_num(b, g->max_mhz);
	lv_buf_printf(b, ", \"min_mhz\": ");
	sb_num(b, g->min_mhz);
	lv_buf_printf(b, ", \"cuda_cores\": %d, \"mem_bw_gbs\": ", g->cuda_cores);
	sb_num(b, g->mem_bw_gbs);
	lv_buf_printf(b, ", \"mem_gb\": ");
	sb_num(b, g->mem_gb);
	lv_buf_printf(b, ", \"tensor_cores\": %d, \"arch\": ", g->tensor_cores);
	sb_str(b, g->arch);
	lv_buf_printf(b, "},\n");
}

static void sb_points(struct lv_buf *b, const struct lv_profile *p)
{
	lv_buf_printf(b, "  \"points\": [");
	for (size_t i = 0; i < p->n_points; i++) {
		const struct lv_profile_point *pt = &p->points[i];
		lv_buf_printf(b, "%s\n    {\"freq_hz\": %llu, \"batch\": %d, \"latency_s\": ",
		              i ? "," : "", (unsigned long long)pt->freq_hz, pt->batch);
		sb_num(b, pt->latency_s);
		lv_buf_printf(b, ", \"energy_j\": ");
		sb_num(b, pt->energy_j);
		lv_buf_printf(b, ", \"throughput_fps\": ");
		sb_num(b, pt->throughput_fps);
		lv_buf_printf(b, "}");
	}
	lv_buf_printf(b, "%s]\n", p->n_points ? "\n  " : "");
}

char *lv_profile_to_json(const struct lv_profile *p)
{
	struct lv_buf b = { 0 };
	lv_buf_printf(&b, "{\n  \"format\": \"loudva-profile\",\n  \"version\": %d,\n  \"kind\": ",
	              LV_PROFILE_VERSION);
	sb_str(&b, p->kind);
	lv_buf_printf(&b, ",\n  \"display_name\": ");
	sb_str(&b, p->display_name ? p->display_name : "");
	lv_buf_printf(&b, ",\n  \"source\": ");
	if (p->source)
		sb_str(&b, p->source);
	else
		lv_buf_printf(&b, "null");
	lv_buf_printf(&b, ",\n");
	sb_gpu(&b, &p->gpu);
	lv_buf_printf(&b,
	              "  \"max_batch\": %d,\n  \"instances\": %d,\n  \"clock_change_delay_s\": ",
	              p->max_batch, p->instances);
	sb_num(&b, p->clock_change_delay_s);
	lv_buf_printf(&b, ",\n  \"clock_change_shape\": [");
	for (size_t i = 0; i < p->n_cc_shape; i++) {
		lv_buf_printf(&b, "%s", i ? ", " : "");
		sb_num(&b, p->cc_shape[i]);
	}
	lv_buf_printf(&b, "],\n  \"governor\": {\"ramp_busy_s\": ");
	sb_num(&b, p->governor.ramp_busy_s);
	lv_buf_printf(&b, ", \"hold_s\": ");
	sb_num(&b, p->governor.hold_s);
	lv_buf_printf(&b, ", \"descent_s\": ");
	sb_num(&b, p->governor.descent_s);
	lv_buf_printf(
	    &b, ", \"floor_hz\": %llu},\n  \"freqs_hz\": [",
	    (unsigned long long)(p->governor.floor_hz ? p->governor.floor_hz : p->freqs_hz[0]));
	for (size_t i = 0; i < p->n_freqs; i++)
		lv_buf_printf(&b, "%s%llu", i ? ", " : "", (unsigned long long)p->freqs_hz[i]);
	lv_buf_printf(&b, "],\n  \"idle_power_w\": [");
	for (size_t i = 0; i < p->n_freqs; i++) {
		lv_buf_printf(&b, "%s", i ? ", " : "");
		sb_num(&b, p->idle_power_w[i]);
	}
	lv_buf_printf(&b, "],\n  \"cold_idle_w\": ");
	if (p->cold_idle_w > 0)
		sb_num(&b, p->cold_idle_w);
	else
		lv_buf_printf(&b, "null");
	lv_buf_printf(&b, ",\n");
	int any = 0;
	for (int w = LV_WIRE_FP32 + 1; w < LV_WIRE_COUNT; w++) {
		if (!p->preprocess[w].measured)
			continue;
		lv_buf_printf(&b, "%s\"%s\": {\"latency_s\": ", any ? ", " : "  \"preprocess\": {",
		              lv_wire_name((enum lv_wire)w));
		sb_num(&b, p->preprocess[w].latency_s);
		lv_buf_printf(&b, ", \"energy_j\": ");
		sb_num(&b, p->preprocess[w].energy_j);
		lv_buf_printf(&b, "}");
		any = 1;
	}
	if (any)
		lv_buf_printf(&b, "},\n");
	sb_points(&b, p);
	lv_buf_printf(&b, "}\n");
	return lv_buf_take(&b, NULL);
}

int lv_profile_save(const struct lv_profile *p, const char *path, char **why)
{
	int rc = lv_profile_validate(p, path, why);
	if (rc < 0)
		return rc;
	char *json = lv_profile_to_json(p);
	rc = lv_write_file_atomic(path, json, strlen(json), why);
	free(json);
	return rc;
}
