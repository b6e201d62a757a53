/*
 * agent_metrics: GET /metrics, the agent's telemetry in the Prometheus text
 * exposition format (version 0.0.4), so a site's Prometheus can scrape the
 * workers directly. The same figures as GET /telemetry, from one backend
 * call: names are loudva_agent_* with their unit in the name (_hertz,
 * _watts, _joules_total, _celsius, _bytes, _ratio, _seconds), each with HELP
 * and TYPE lines. A figure the backend does not know this moment (no
 * tegrastats sample yet, a field this board's tegrastats does not print)
 * is left out, never written as 0: Prometheus then shows it absent.
 * Ratios are 0..1 where /telemetry says percent. Called by agent_http.c
 * under the same token rules as /telemetry.
 */
#include "agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* A label value with \, " and newline escaped as the format wants. */
static void label_value(struct lv_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			lv_buf_printf(b, "\\%c", *s);
		else if (*s == '\n')
			lv_buf_printf(b, "\\n");
		else
			lv_buf_append(b, s, 1);
	}
}

/* The shortest of %.15g/%.17g that reads back as v: 2.412, not 2.4119999999999999. */
static void number(struct lv_buf *b, double v)
{
	char text[40];
	snprintf(text, sizeof(text), "%.15g", v);
	if (strtod(text, NULL) != v)
		snprintf(text, sizeof(text), "%.17g", v);
	lv_buf_printf(b, "%s\n", text);
}

static void head(struct lv_buf *b, const char *name, const char *type, const char *help)
{
	lv_buf_printf(b, "# HELP loudva_agent_%s %s\n# TYPE loudva_agent_%s %s\n", name, help, name,
	              type);
}

static void gauge(struct lv_buf *b, int valid, const char *name, const char *help, double v)
{
	if (!valid)
		return;
	head(b, name, "gauge", help);
	lv_buf_printf(b, "loudva_agent_%s ", name);
	number(b, v);
}

/* One labelled family: n values named by `label`. */
static void family(struct lv_buf *b, const char *name, const char *help, const char *label,
                   size_t n, const char *(*key)(const struct lv_telemetry *, size_t),
                   double (*val)(const struct lv_telemetry *, size_t), const struct lv_telemetry *t)
{
	if (n == 0)
		return;
	head(b, name, "gauge", help);
	for (size_t i = 0; i < n; i++) {
		lv_buf_printf(b, "loudva_agent_%s{%s=\"", name, label);
		label_value(b, key(t, i));
		lv_buf_printf(b, "\"} ");
		number(b, val(t, i));
	}
}

static const char *rail_name(const struct lv_telemetry *t, size_t i)
{
	return t->rails[i].name;
}
static double rail_w(const struct lv_telemetry *t, size_t i)
{
	return t->rails[i].power_w;
}
static const char *temp_name(const struct lv_telemetry *t, size_t i)
{
	return t->temps[i].name;
}
static double temp_c(const struct lv_telemetry *t, size_t i)
{
	return t->temps[i].celsius;
}

/* The exposition text of t; caller frees. */
static char *render(const struct lv_agent *a, const struct lv_telemetry *t, size_t *len)
{
	struct lv_buf b = { 0 };
	const struct lv_backend *be = a->backend;
	head(&b, "info", "gauge", "The agent's backend and board; always 1.");
	lv_buf_printf(&b, "loudva_agent_info{backend=\"");
	label_value(&b, lv_backend_name(be));
	lv_buf_printf(&b, "\",kind=\"");
	label_value(&b, be->kind);
	lv_buf_printf(&b, "\",model=\"");
	label_value(&b, be->model);
	lv_buf_printf(&b, "\"} 1\n");
	gauge(&b, 1, "uptime_seconds", "Seconds since the agent started.", t->time_s);
	gauge(&b, t->valid & LV_TEL_GPU_FREQ, "gpu_frequency_hertz", "The GPU clock now.",
	      (double)t->gpu_freq_hz);
	gauge(&b, t->valid & LV_TEL_GPU_LOAD, "gpu_load_ratio", "GPU load, 0 to 1.",
	      t->gpu_load_pct / 100.0);
	gauge(&b, t->valid & LV_TEL_EMC_FREQ, "emc_frequency_hertz", "The memory (EMC) clock now.",
	      (double)t->emc_freq_hz);
	gauge(&b, t->valid & LV_TEL_EMC_LOAD, "emc_load_ratio", "Memory controller load, 0 to 1.",
	      t->emc_load_pct / 100.0);
	gauge(&b, t->valid & LV_TEL_POWER, "power_watts",
	      "Board power now: the input rail where the board has one, else the sum of its "
	      "rails.",
	      t->power_w);
	if (t->valid & LV_TEL_POWER)
		family(&b, "rail_power_watts", "Power of one rail now.", "rail", t->n_rails,
		       rail_name, rail_w, t);
	head(&b, "energy_joules_total", "counter", "Energy drawn since the agent started.");
	lv_buf_printf(&b, "loudva_agent_energy_joules_total ");
	number(&b, t->energy_j);
	family(&b, "temperature_celsius", "Temperature of one sensor.", "sensor", t->n_temps,
	       temp_name, temp_c, t);
	gauge(&b, t->valid & LV_TEL_RAM, "ram_used_bytes", "RAM in use (shared by CPU and GPU).",
	      (double)t->ram_used_bytes);
	gauge(&b, t->valid & LV_TEL_RAM, "ram_total_bytes", "RAM in all.",
	      (double)t->ram_total_bytes);
	gauge(&b, t->valid & LV_TEL_CPU, "cpu_load_ratio",
	      "Mean load of the online CPU cores, 0 to 1.", t->cpu_load_pct / 100.0);
	gauge(&b, t->valid & LV_TEL_CPU, "cpu_cores_online", "CPU cores online.",
	      (double)t->cpu_online);
	if (t->valid & LV_TEL_POWER_MODE) {
		head(&b, "power_mode", "gauge",
		     "The nvpmodel power mode the board is in: its id, its name as a label.");
		lv_buf_printf(&b, "loudva_agent_power_mode{name=\"");
		label_value(&b, t->power_mode_name);
		lv_buf_printf(&b, "\"} %d\n", t->power_mode_id);
		gauge(&b, t->power_mode_capped, "power_mode_gpu_max_hertz",
		      "The GPU clock cap of the power mode (absent: the mode has none).",
		      (double)t->power_mode_gpu_max_hz);
	}
	gauge(&b, t->valid & LV_TEL_INFLIGHT, "inflight_batches",
	      "Batches queued or running (emulation).", (double)t->inflight);
	if (t->valid & LV_TEL_SAMPLES) {
		head(&b, "tegrastats_samples_total", "counter", "tegrastats lines parsed.");
		lv_buf_printf(&b, "loudva_agent_tegrastats_samples_total %llu\n",
		              (unsigned long long)t->samples);
		head(&b, "tegrastats_malformed_total", "counter",
		     "tegrastats lines skipped as malformed.");
		lv_buf_printf(&b, "loudva_agent_tegrastats_malformed_total %llu\n",
		              (unsigned long long)t->malformed);
		gauge(&b, 1, "tegrastats_running", "1 while the tegrastats source runs.",
		      t->source_alive ? 1 : 0);
	}
	return lv_buf_take(&b, len);
}

void lv_agent_metrics(struct lv_agent *a, const struct lv_request *q, struct lv_response *r)
{
	struct lv_telemetry t;
	char *why = NULL;
	(void)q;
	int rc = lv_backend_telemetry(a->backend, &t, &why);
	if (rc != 0) {
		lv_respond_error(r, 500, "%s", why ? why : "backend failed");
		free(why);
		return;
	}
	size_t len = 0;
	char *text = render(a, &t, &len);
	free(r->body);
	r->status = 200;
	r->body = text;
	r->len = len;
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
}
