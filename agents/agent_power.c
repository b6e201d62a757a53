/*
 * agent_power: the board's nvpmodel power modes over HTTP — GET and PUT
 * /power/mode, the modes and caps GET /gpu/frequencies adds, and the
 * start-up log line. The backend reads and switches (lv_backend_power,
 * lv_backend_set_power_mode); this file resolves names, builds the JSON
 * and maps the backend's errors to statuses: 400 an unknown mode or a bad
 * body, 404 no power modes here (emulation), 409 the board's modes are
 * unknown or the switch needs a reboot, 500 nvpmodel failed or timed out.
 * Callers: agent_http.c's routing (PUT under the token), agent_worker.c,
 * agent_main.c.
 */
#include "agent.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static int status_of(int rc)
{
	switch (rc) {
	case LV_EINVAL: return 400;
	case LV_ENOENT: return 404;
	case LV_ESTATE: return 409;
	default: return 500;
	}
}

static void fail(struct lv_response *r, int rc, char *why)
{
	lv_respond_error(r, status_of(rc), "%s", why ? why : "backend failed");
	free(why);
}

static cJSON *mode_object(const struct lv_nvp_mode *m, int dflt)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", m->id);
	cJSON_AddStringToObject(o, "name", m->name);
	if (m->gpu_capped)
		cJSON_AddNumberToObject(o, "gpu_max_hz", (double)m->gpu_max_hz);
	else
		cJSON_AddNullToObject(o, "gpu_max_hz");
	if (dflt >= 0)
		cJSON_AddBoolToObject(o, "default", m->id == dflt);
	return o;
}

/* The current mode: {id, name, gpu_max_hz}, name and cap null when the file lacks the id. */
static cJSON *current_object(const struct lv_power_info *p)
{
	if (!p->current_known)
		return cJSON_CreateNull();
	if (p->current >= 0)
		return mode_object(&p->conf.modes[p->current], -1);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", p->current_id);
	if (p->current_name[0])
		cJSON_AddStringToObject(o, "name", p->current_name);
	else
		cJSON_AddNullToObject(o, "name");
	cJSON_AddNullToObject(o, "gpu_max_hz");
	return o;
}

static cJSON *modes_array(const struct lv_power_info *p)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; p->has_conf && i < p->conf.n_modes; i++)
		cJSON_AddItemToArray(arr, mode_object(&p->conf.modes[i], p->conf.default_id));
	return arr;
}

void lv_agent_power_frequencies(struct lv_agent *a, cJSON *o)
{
	struct lv_power_info *p = lv_xmalloc(sizeof(*p));
	if (lv_backend_power(a->backend, p, NULL) != 0) {
		cJSON_AddNullToObject(o, "power_mode");
		cJSON_AddItemToObject(o, "power_modes", cJSON_CreateArray());
		cJSON_AddItemToObject(o, "above_mode_cap_hz", cJSON_CreateArray());
		free(p);
		return;
	}
	cJSON_AddItemToObject(o, "power_mode", current_object(p));
	cJSON_AddItemToObject(o, "power_modes", modes_array(p));
	cJSON *above = cJSON_AddArrayToObject(o, "above_mode_cap_hz");
	const struct lv_nvp_mode *m = p->current >= 0 ? &p->conf.modes[p->current] : NULL;
	for (size_t i = 0; m && m->gpu_capped && i < a->backend->n_freqs; i++)
		if (a->backend->freqs_hz[i] > m->gpu_max_hz)
			cJSON_AddItemToArray(above,
			                     cJSON_CreateNumber((double)a->backend->freqs_hz[i]));
	free(p);
}

void lv_agent_power_get(struct lv_agent *a, const struct lv_request *q, struct lv_response *r)
{
	char *why = NULL;
	(void)q;
	struct lv_power_info *p = lv_xmalloc(sizeof(*p));
	int rc = lv_backend_power(a->backend, p, &why);
	if (rc != 0) {
		free(p);
		fail(r, rc, why);
		return;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "power_mode", current_object(p));
	cJSON_AddStringToObject(o, "source", p->source);
	cJSON_AddItemToObject(o, "modes", modes_array(p));
	if (p->has_conf && p->conf.default_id >= 0)
		cJSON_AddNumberToObject(o, "default_id", p->conf.default_id);
	else
		cJSON_AddNullToObject(o, "default_id");
	cJSON_AddStringToObject(o, "conf", p->conf_path);
	if (p->has_conf)
		cJSON_AddNullToObject(o, "conf_error");
	else
		cJSON_AddStringToObject(o, "conf_error", p->conf_error);
	cJSON_AddNumberToObject(o, "malformed_lines", p->has_conf ? p->conf.malformed : 0);
	cJSON *issues = cJSON_AddArrayToObject(o, "conf_issues");
	for (size_t i = 0; p->has_conf && i < p->conf.n_issues; i++) {
		char *s = lv_xasprintf("%s:%u: %s", p->conf_path, p->conf.issues[i].line,
		                       p->conf.issues[i].what);
		cJSON_AddItemToArray(issues, cJSON_CreateString(s));
		free(s);
	}
	free(p);
	lv_respond_tree(r, 200, o);
}

/*
 * The body {"id": N} or {"name": "MODE"} → the mode's id, the name
 * resolved against the board's modes. 0, or -1 with the answer in *r.
 */
static int parse_target(struct lv_agent *a, const struct lv_request *q, int *id,
                        struct lv_response *r)
{
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(q->body, q->body_len, &end, 0);
	const char *want = "expected {\"id\": N} or {\"name\": \"MODE\"}";
	int rc = -1;
	if (!cJSON_IsObject(root)) {
		lv_respond_error(r, 400, "body: %s; %s",
		                 root ? "not a JSON object" : "not valid JSON", want);
		goto out;
	}
	const cJSON *vi = cJSON_GetObjectItemCaseSensitive(root, "id");
	const cJSON *vn = cJSON_GetObjectItemCaseSensitive(root, "name");
	if ((vi != NULL) == (vn != NULL)) {
		lv_respond_error(r, 400, "body: give id or name, not %s; %s",
		                 vi ? "both" : "neither", want);
	} else if (vi) {
		if (!cJSON_IsNumber(vi) || vi->valuedouble < 0 || vi->valuedouble > 9999 ||
		    vi->valuedouble != (double)(int)vi->valuedouble)
			lv_respond_error(r, 400, "id: must be a whole number from 0 to 9999");
		else {
			*id = (int)vi->valuedouble;
			rc = 0;
		}
	} else if (!cJSON_IsString(vn) || !*vn->valuestring) {
		lv_respond_error(r, 400, "name: must be a mode's name, a non-empty string");
	} else {
		char *why = NULL;
		struct lv_power_info *p = lv_xmalloc(sizeof(*p));
		int brc = lv_backend_power(a->backend, p, &why);
		const struct lv_nvp_mode *m =
		    brc == 0 && p->has_conf ? lv_nvp_find_name(&p->conf, vn->valuestring) : NULL;
		if (brc != 0) {
			fail(r, brc, why);
		} else if (!p->has_conf) {
			lv_respond_error(r, 409, "this board's power modes are unknown: %s",
			                 p->conf_error);
		} else if (!m) {
			struct lv_buf list = { 0 };
			for (size_t i = 0; i < p->conf.n_modes; i++)
				lv_buf_printf(&list, "%s%d %s", i ? ", " : "", p->conf.modes[i].id,
				              p->conf.modes[i].name);
			lv_respond_error(r, 400,
			                 "power mode '%.64s' is not one of this board's (%s): %s",
			                 vn->valuestring, p->conf_path, list.p ? list.p : "");
			lv_buf_fini(&list);
		} else {
			*id = m->id;
			rc = 0;
		}
		free(p);
	}
out:
	cJSON_Delete(root);
	return rc;
}

void lv_agent_power_put(struct lv_agent *a, const struct lv_request *q, struct lv_response *r)
{
	int id;
	char *why = NULL;
	struct lv_power_change ch;
	if (parse_target(a, q, &id, r) != 0)
		return;
	int rc = lv_backend_set_power_mode(a->backend, id, &ch, &why);
	if (rc != 0) {
		lv_agent_log(a, "power mode %d refused: %s", id, why ? why : "");
		fail(r, rc, why);
		return;
	}
	struct lv_power_info *p = lv_xmalloc(sizeof(*p));
	rc = lv_backend_power(a->backend, p, &why);
	if (rc != 0) {
		free(p);
		fail(r, rc, why);
		return;
	}
	lv_agent_log(a, "power mode %d (%s) set, was %d%s", id, p->current_name, ch.from_id,
	             ch.pin_released ? "; the GPU clock pin was released" : "");
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "power_mode", current_object(p));
	if (ch.from_id >= 0)
		cJSON_AddNumberToObject(o, "previous_id", ch.from_id);
	else
		cJSON_AddNullToObject(o, "previous_id");
	cJSON_AddBoolToObject(o, "pin_released", ch.pin_released);
	free(p);
	lv_respond_tree(r, 200, o);
}

void lv_agent_power_log(struct lv_agent *a)
{
	struct lv_power_info *p = lv_xmalloc(sizeof(*p));
	if (lv_backend_power(a->backend, p, NULL) == 0) {
		if (!p->has_conf)
			lv_agent_log(a, "power modes: none (%s)", p->conf_error);
		else if (p->current_known)
			lv_agent_log(a, "power mode %d (%s) of %zu, read from %s", p->current_id,
			             p->current_name[0] ? p->current_name
			                                : "not in the configuration",
			             p->conf.n_modes, p->source);
		else
			lv_agent_log(a, "power mode unknown (%s)", p->source);
		for (size_t i = 0; p->has_conf && i < p->conf.n_issues; i++)
			lv_agent_log(a, "%s:%u: %s", p->conf_path, p->conf.issues[i].line,
			             p->conf.issues[i].what);
		if (p->has_conf && p->conf.malformed > p->conf.n_issues)
			lv_agent_log(a, "%s: %u more malformed lines", p->conf_path,
			             p->conf.malformed - (unsigned)p->conf.n_issues);
	}
	free(p);
}
