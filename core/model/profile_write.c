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

struct sbuf {
	char *s;
	size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	assert(n >= 0);
	if ((size_t)n >= b->cap - b->len) {
		while ((size_t)n >= b->cap - b->len)
			b->cap *= 2;
		b->s = lv_xrealloc(b->s, b->cap);
		va_start(ap, fmt);
		vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/* The shortest %.Ng (N = 15..17) that reads back as exactly v. */
static void sb_num(struct sbuf *b, double v)
{
	char t[40];
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(t, sizeof(t), "%.*g", prec, v);
		if (strtod(t, NULL) == v)
			break;
	}
	sb_add(b, "%s", t);
}

/* A JSON string literal: quotes, backslashes and control bytes escaped. */
static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, "\"");
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			sb_add(b, "\\%c", *c);
		else if (*c == '\n')
			sb_add(b, "\\n");
		else if (*c < 0x20)
			sb_add(b, "\\u%04x", *c);
		else
			sb_add(b, "%c", *c);
	}
	sb_add(b, "\"");
}

static void sb_gpu(struct sbuf *b, const struct lv_gpu_specs *g)
{
	sb_add(b, "  \"gpu\": {\"max_mhz\": ");
	sb_num(b, g->max_mhz);
	sb_add(b, ", \"min_mhz\": ");
	sb_num(b, g->min_mhz);
	sb_add(b, ", \"cuda_cores\": %d, \"mem_bw_gbs\": ", g->cuda_cores);
	sb_num(b, g->mem_bw_gbs);
	sb_add(b, ", \"mem_gb\": ");
	sb_num(b, g->mem_gb);
	sb_add(b, ", \"tensor_cores\": %d, \"arch\": ", g->tensor_cores);
	sb_str(b, g->arch);
	sb_add(b, "},\n");
}

static void sb_points(struct sbuf *b, const struct lv_profile *p)
{
	sb_add(b, "  \"points\": [");
	for (size_t i = 0; i < p->n_points; i++) {
		const struct lv_profile_point *pt = &p->points[i];
		sb_add(b,
		       "%s\n    {\"freq_hz\": %llu, \"batch\": %d, \"latency_s\": ", i ? "," : "",
		       (unsigned long long)pt->freq_hz, pt->batch);
		sb_num(b, pt->latency_s);
		sb_add(b, ", \"energy_j\": ");
		sb_num(b, pt->energy_j);
		sb_add(b, ", \"throughput_fps\": ");
		sb_num(b, pt->throughput_fps);
		sb_add(b, "}");
	}
	sb_add(b, "%s]\n", p->n_points ? "\n  " : "");
}

char *lv_profile_to_json(const struct lv_profile *p)
{
	struct sbuf b = { lv_xmalloc(4096), 0, 4096 };
	sb_add(&b, "{\n  \"format\": \"loudva-profile\",\n  \"version\": %d,\n  \"kind\": ",
	       LV_PROFILE_VERSION);
	sb_str(&b, p->kind);
	sb_add(&b, ",\n  \"display_name\": ");
	sb_str(&b, p->display_name ? p->display_name : "");
	sb_add(&b, ",\n  \"source\": ");
	if (p->source)
		sb_str(&b, p->source);
	else
		sb_add(&b, "null");
	sb_add(&b, ",\n");
	sb_gpu(&b, &p->gpu);
	sb_add(&b, "  \"max_batch\": %d,\n  \"instances\": %d,\n  \"clock_change_delay_s\": ",
	       p->max_batch, p->instances);
	sb_num(&b, p->clock_change_delay_s);
	sb_add(&b, ",\n  \"clock_change_shape\": [");
	for (size_t i = 0; i < p->n_cc_shape; i++) {
		sb_add(&b, "%s", i ? ", " : "");
		sb_num(&b, p->cc_shape[i]);
	}
	sb_add(&b, "],\n  \"governor\": {\"ramp_busy_s\": ");
	sb_num(&b, p->governor.ramp_busy_s);
	sb_add(&b, ", \"hold_s\": ");
	sb_num(&b, p->governor.hold_s);
	sb_add(&b, ", \"descent_s\": ");
	sb_num(&b, p->governor.descent_s);
	sb_add(&b, ", \"floor_hz\": %llu},\n  \"freqs_hz\": [",
	       (unsigned long long)(p->governor.floor_hz ? p->governor.floor_hz : p->freqs_hz[0]));
	for (size_t i = 0; i < p->n_freqs; i++)
		sb_add(&b, "%s%llu", i ? ", " : "", (unsigned long long)p->freqs_hz[i]);
	sb_add(&b, "],\n  \"idle_power_w\": [");
	for (size_t i = 0; i < p->n_freqs; i++) {
		sb_add(&b, "%s", i ? ", " : "");
		sb_num(&b, p->idle_power_w[i]);
	}
	sb_add(&b, "],\n");
	sb_points(&b, p);
	sb_add(&b, "}\n");
	return b.s;
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
