/*
 * agent_worker: the worker API the controller and the profiler call —
 * health, the GPU clocks, pinning and releasing the clock, telemetry. Each
 * handler asks the backend and answers JSON built with cJSON; errors are
 * {"error": "..."} with 400 (bad input), 409 (a clock above the power
 * mode's cap), 500 (the board failed) — 401, 404,
 * 405 and 413 come from agent_http.c before a handler runs.
 */
#include "agent.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "base/clock.h"
#include "base/util.h"

static void backend_error(struct lv_response *r, int rc, char *why)
{
	/* 409: not in this state (a clock above the power mode's cap) */
	lv_respond_error(r,
	                 rc == LV_EINVAL   ? 400
	                 : rc == LV_ESTATE ? 409
	                                   : 500,
	                 "%s", why ? why : "backend failed");
	free(why);
}

static double wall_clock_s(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec * 1e-6;
}

void lv_agent_healthz(struct lv_agent *a, const struct lv_request *q, struct lv_response *r)
{
	(void)q;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "status", "ok");
	cJSON_AddStringToObject(o, "backend", lv_backend_name(a->backend));
	cJSON_AddStringToObject(o, "kind", a->backend->kind);
	cJSON_AddStringToObject(o, "model", a->backend->model);
	cJSON_AddStringToObject(o, "version", LV_AGENT_VERSION);
	cJSON_AddNumberToObject(o, "uptime_s", lv_mono_s() - a->t0_s);
	cJSON_AddBoolToObject(o, "token_configured", a->token != NULL);
	lv_respond_tree(r, 200, o);
}

void lv_agent_frequencies(struct lv_agent *a, const struct lv_request *q, struct lv_response *r)
{
	(void)q;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kind", a->backend->kind);
	cJSON *arr = cJSON_AddArrayToObject(o, "frequencies_hz");
	for (size_t i = 0; i < a->backend->n_freqs; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)a->backend->freqs_hz[i]));
	lv_agent_power_frequencies(a, o);
	lv_respond_tree(r, 200, o);
}

static cJSON *clock_object(const struct lv_clock_state *cs)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "freq_hz", (double)cs->freq_hz);
	cJSON_AddBoolToObject(o, "pinned", cs->pinned);
	if (cs->pinned)
		cJSON_AddNumberToObject(o, "target_hz", (double)cs->target_hz);
	else
		cJSON_AddNullToObject(o, "target_hz");
	cJSON_AddStringToObject(o, "governor", cs->pinned ? "pinned" : "default");
	return o;
}

void lv_agent_frequency_get(struct lv_agent *a, const struct lv_request *q, struct lv_response *r)
{
	struct lv_clock_state cs;
	char *why = NULL;
	(void)q;
	int rc = lv_backend_get_clock(a->backend, &cs, &why);
	if (rc != 0) {
		backend_error(r, rc, why);
		return;
	}
	lv_respond_tree(r, 200, clock_object(&cs));
}

/* {"hz": N}: N a positive integer that fits a uint64 exactly. 0 or a 400 in *r. */
/* {"hz": N} or {"hz": N, "now": true}: *now (may be NULL) the second's flag. */
static int parse_hz(const struct lv_request *q, uint64_t *hz, int *now, struct lv_response *r)
{
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(q->body, q->body_len, &end, 0);
	int rc = -1;
	if (!root) {
		size_t at = end && end >= q->body ? (size_t)(end - q->body) : 0;
		lv_respond_error(r, 400, "body: not valid JSON (at byte %zu); expected {\"hz\": N}",
		                 at);
		return -1;
	}
	const cJSON *v = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "hz") : NULL;
	if (!cJSON_IsObject(root)) {
		lv_respond_error(r, 400, "body: expected a JSON object {\"hz\": N}");
	} else if (!v) {
		lv_respond_error(r, 400, "hz: missing; expected {\"hz\": N}");
	} else if (!cJSON_IsNumber(v) || !(v->valuedouble > 0) || v->valuedouble > 9.0e15 ||
	           floor(v->valuedouble) != v->valuedouble) {
		lv_respond_error(r, 400, "hz: must be a positive whole number of Hz");
	} else {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(root, "now");
		if (n && (!now || !cJSON_IsBool(n))) {
			lv_respond_error(r, 400, "now: must be true or false");
		} else {
			*hz = (uint64_t)v->valuedouble;
			if (now)
				*now = n && cJSON_IsTrue(n);
			rc = 0;
		}
	}
	cJSON_Delete(root);
	return rc;
}

void lv_agent_frequency_put(struct lv_agent *a, const struct lv_request *q, struct lv_response *r)
{
	uint64_t hz;
	int now = 0;
	char *why = NULL;
	struct lv_clock_state cs;
	if (parse_hz(q, &hz, &now, r) != 0)
		return;
	int rc = now ? lv_backend_boost_clock(a->backend, hz, &why)
	             : lv_backend_set_clock(a->backend, hz, &why);
	if (rc != 0) {
		backend_error(r, rc, why);
		return;
	}
	lv_agent_log(a, "GPU clock pinned to %llu Hz%s", (unsigned long long)hz,
	             now ? " now (mid-batch)" : "");
	rc = lv_backend_get_clock(a->backend, &cs, &why);
	if (rc != 0) {
		backend_error(r, rc, why);
		return;
	}
	cJSON *o = clock_object(&cs);
	cJSON_AddNumberToObject(o, "clock_change_delay_s", a->backend->clock_change_delay_s);
	lv_respond_tree(r, 200, o);
}

void lv_agent_frequency_delete(struct lv_agent *a, const struct lv_request *q,
                               struct lv_response *r)
{
	char *why = NULL;
	struct lv_clock_state cs;
	(void)q;
	int rc = lv_backend_release_clock(a->backend, &why);
	if (rc == 0)
		rc = lv_backend_get_clock(a->backend, &cs, &why);
	if (rc != 0) {
		backend_error(r, rc, why);
		return;
	}
	lv_agent_log(a, "GPU clock released to the default governor");
	cJSON *o = clock_object(&cs);
	cJSON_AddBoolToObject(o, "released", 1);
	lv_respond_tree(r, 200, o);
}

static void add_opt_number(cJSON *o, const char *name, int valid, double v)
{
	if (valid)
		cJSON_AddNumberToObject(o, name, v);
	else
		cJSON_AddNullToObject(o, name);
}

void lv_agent_telemetry(struct lv_agent *a, const struct lv_request *q, struct lv_response *r)
{
	struct lv_telemetry t;
	char *why = NULL;
	(void)q;
	int rc = lv_backend_telemetry(a->backend, &t, &why);
	if (rc != 0) {
		backend_error(r, rc, why);
		return;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "timestamp", wall_clock_s());
	cJSON_AddNumberToObject(o, "time_s", t.time_s);
	add_opt_number(o, "gpu_freq_hz", t.valid & LV_TEL_GPU_FREQ, (double)t.gpu_freq_hz);
	add_opt_number(o, "gpu_load_pct", t.valid & LV_TEL_GPU_LOAD, t.gpu_load_pct);
	add_opt_number(o, "power_w", t.valid & LV_TEL_POWER, t.power_w);
	cJSON *rails = cJSON_AddObjectToObject(o, "rails_w");
	for (size_t i = 0; i < t.n_rails; i++)
		cJSON_AddNumberToObject(rails, t.rails[i].name, t.rails[i].power_w);
	cJSON_AddNumberToObject(o, "energy_j", t.energy_j);
	cJSON *temps = cJSON_AddObjectToObject(o, "temperatures_c");
	for (size_t i = 0; i < t.n_temps; i++)
		cJSON_AddNumberToObject(temps, t.temps[i].name, t.temps[i].celsius);
	add_opt_number(o, "emc_freq_hz", t.valid & LV_TEL_EMC_FREQ, (double)t.emc_freq_hz);
	add_opt_number(o, "emc_load_pct", t.valid & LV_TEL_EMC_LOAD, t.emc_load_pct);
	add_opt_number(o, "ram_used_bytes", t.valid & LV_TEL_RAM, (double)t.ram_used_bytes);
	add_opt_number(o, "ram_total_bytes", t.valid & LV_TEL_RAM, (double)t.ram_total_bytes);
	add_opt_number(o, "cpu_load_pct", t.valid & LV_TEL_CPU, t.cpu_load_pct);
	add_opt_number(o, "cpu_cores_online", t.valid & LV_TEL_CPU, t.cpu_online);
	if (t.valid & LV_TEL_POWER_MODE) {
		cJSON *pm = cJSON_AddObjectToObject(o, "power_mode");
		cJSON_AddNumberToObject(pm, "id", t.power_mode_id);
		if (t.power_mode_name[0])
			cJSON_AddStringToObject(pm, "name", t.power_mode_name);
		else
			cJSON_AddNullToObject(pm, "name");
		add_opt_number(pm, "gpu_max_hz", t.power_mode_capped,
		               (double)t.power_mode_gpu_max_hz);
	} else {
		cJSON_AddNullToObject(o, "power_mode");
	}
	if (t.valid & LV_TEL_INFLIGHT)
		cJSON_AddNumberToObject(o, "inflight_batches", t.inflight);
	if (t.valid & LV_TEL_SAMPLES) {
		cJSON *ts = cJSON_AddObjectToObject(o, "tegrastats");
		cJSON_AddNumberToObject(ts, "samples", (double)t.samples);
		cJSON_AddNumberToObject(ts, "malformed", (double)t.malformed);
		cJSON_AddBoolToObject(ts, "running", t.source_alive);
	}
	lv_respond_tree(r, 200, o);
}
