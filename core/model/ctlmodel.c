/*
 * ctlmodel: controller profiles, read and written as JSON. The format:
 *
 *   {"format": 1, "name": "thesis-python", "source": "...",
 *    "intake_per_poll": 2, "poll_s": 0.01, "batch_s": 0.05, "frame_s": 0.1,
 *    "cpus": 1, "bytes_per_frame": 1072812, "link_bps": 0, "rtt_s": 0,
 *    "batch_timeout_s": 60, "request_timeout_s": 300, "busy_timer": true,
 *    "start_lowest": true, "start_cold": true,
 *    "accounting": {"line_s": 0.2, "spacing_s": 0.229, "lead_in_s": 33,
 *                   "lead_in_w": 4.0}}
 *
 * Every field but format and name is optional and defaults to the ideal
 * controller's value; unknown fields are errors.
 */
#include "ctlmodel.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/util.h"

void lv_ctl_model_ideal(struct lv_ctl_model *m)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "ideal");
	m->poll_s = 0.01;
	m->cpus = 1;
}

static int nonneg(double x)
{
	return isfinite(x) && x >= 0;
}

int lv_ctl_model_check(const struct lv_ctl_model *m, char **why)
{
	const struct {
		const char *name;
		double v;
	} f[] = {
		{ "poll_s", m->poll_s },
		{ "batch_s", m->batch_s },
		{ "frame_s", m->frame_s },
		{ "bytes_per_frame", m->bytes_per_frame },
		{ "link_bps", m->link_bps },
		{ "rtt_s", m->rtt_s },
		{ "batch_timeout_s", m->batch_timeout_s },
		{ "request_timeout_s", m->request_timeout_s },
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (!nonneg(f[i].v))
			return lv_fail(why, LV_EINVAL, "%s: %g is not a number >= 0", f[i].name,
			               f[i].v);
	if (!(m->poll_s > 0))
		return lv_fail(why, LV_EINVAL, "poll_s: must be above 0");
	if (!(isfinite(m->cpus) && m->cpus > 0))
		return lv_fail(why, LV_EINVAL, "cpus: %g is not a number above 0", m->cpus);
	if (m->intake_per_poll < 0)
		return lv_fail(why, LV_EINVAL, "intake_per_poll: %d is below 0",
		               m->intake_per_poll);
	if (m->link_bps > 0 && !(m->bytes_per_frame > 0))
		return lv_fail(why, LV_EINVAL,
		               "bytes_per_frame: a link needs the bytes it carries");
	if (m->has_acct) {
		const struct lv_acct *a = &m->acct;
		if (!(isfinite(a->line_s) && a->line_s > 0) ||
		    !(isfinite(a->spacing_s) && a->spacing_s > 0))
			return lv_fail(why, LV_EINVAL,
			               "accounting: line_s and spacing_s must be above 0");
		if (!nonneg(a->lead_in_s) || !nonneg(a->lead_in_w))
			return lv_fail(why, LV_EINVAL,
			               "accounting: lead_in_s and lead_in_w must be numbers >= 0");
	}
	return LV_OK;
}

/* ---- reading ------------------------------------------------------------ */

static int get_num(const cJSON *o, const char *key, const char *origin, double *out, char **why)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v)
		return LV_OK;
	if (!cJSON_IsNumber(v))
		return lv_fail(why, LV_EINVAL, "%s: %s: must be a number", origin, key);
	*out = v->valuedouble;
	return LV_OK;
}

static int get_flag(const cJSON *o, const char *key, const char *origin, int *out, char **why)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v)
		return LV_OK;
	if (!cJSON_IsBool(v))
		return lv_fail(why, LV_EINVAL, "%s: %s: must be true or false", origin, key);
	*out = cJSON_IsTrue(v);
	return LV_OK;
}

static int get_str(const cJSON *o, const char *key, const char *origin, char *out, size_t cap,
                   char **why)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v)
		return LV_OK;
	if (!cJSON_IsString(v))
		return lv_fail(why, LV_EINVAL, "%s: %s: must be a string", origin, key);
	if (strlen(v->valuestring) >= cap)
		return lv_fail(why, LV_EINVAL, "%s: %s: longer than %zu characters", origin, key,
		               cap - 1);
	snprintf(out, cap, "%s", v->valuestring);
	return LV_OK;
}

static int check_known(const cJSON *o, const char *const *known, const char *where,
                       const char *origin, char **why)
{
	const cJSON *it;
	cJSON_ArrayForEach (it, o) {
		size_t k = 0;
		while (known[k] && strcmp(known[k], it->string))
			k++;
		if (!known[k])
			return lv_fail(why, LV_EINVAL, "%s: %s'%s': unknown field", origin, where,
			               it->string);
	}
	return LV_OK;
}

static int parse_acct(const cJSON *root, const char *origin, struct lv_ctl_model *m, char **why)
{
	static const char *const known[] = { "line_s", "spacing_s", "lead_in_s", "lead_in_w",
		                             NULL };
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "accounting");
	if (!a)
		return LV_OK;
	if (!cJSON_IsObject(a))
		return lv_fail(why, LV_EINVAL, "%s: accounting: must be an object", origin);
	if (check_known(a, known, "accounting.", origin, why) != LV_OK)
		return LV_EINVAL;
	m->has_acct = 1;
	m->acct.line_s = m->acct.spacing_s = 0.2;
	if (get_num(a, "line_s", origin, &m->acct.line_s, why) != LV_OK ||
	    get_num(a, "spacing_s", origin, &m->acct.spacing_s, why) != LV_OK ||
	    get_num(a, "lead_in_s", origin, &m->acct.lead_in_s, why) != LV_OK ||
	    get_num(a, "lead_in_w", origin, &m->acct.lead_in_w, why) != LV_OK)
		return LV_EINVAL;
	return LV_OK;
}

/* "wire" (optional): per format but fp32, its bytes_per_frame and frame_s. */
static int parse_wire(const cJSON *root, const char *origin, struct lv_ctl_model *m, char **why)
{
	static const char *const known[] = { "bytes_per_frame", "frame_s", NULL };
	const cJSON *wj = cJSON_GetObjectItemCaseSensitive(root, "wire");
	const cJSON *f;
	if (!wj)
		return LV_OK;
	if (!cJSON_IsObject(wj))
		return lv_fail(why, LV_EINVAL, "%s: wire: must be an object", origin);
	cJSON_ArrayForEach (f, wj) {
		int w = lv_wire_parse(f->string);
		char where[32];
		if (w <= LV_WIRE_FP32)
			return lv_fail(why, LV_EINVAL,
			               "%s: wire.%.20s: not a wire format other than fp32 (uint8, "
			               "jpeg)",
			               origin, f->string);
		snprintf(where, sizeof(where), "wire.%s.", f->string);
		if (!cJSON_IsObject(f))
			return lv_fail(why, LV_EINVAL, "%s: wire.%s: must be an object", origin,
			               f->string);
		if (check_known(f, known, where, origin, why) != LV_OK ||
		    get_num(f, "bytes_per_frame", origin, &m->wire[w].bytes_per_frame, why) !=
		        LV_OK ||
		    get_num(f, "frame_s", origin, &m->wire[w].frame_s, why) != LV_OK)
			return LV_EINVAL;
		if (!nonneg(m->wire[w].bytes_per_frame) || !nonneg(m->wire[w].frame_s))
			return lv_fail(why, LV_EINVAL,
			               "%s: wire.%s: bytes_per_frame and frame_s must be numbers "
			               ">= 0",
			               origin, f->string);
		m->wire[w].given = 1;
	}
	return LV_OK;
}

static int parse_model(const cJSON *root, const char *origin, struct lv_ctl_model *m, char **why)
{
	static const char *const known[] = {
		"format",
		"name",
		"source",
		"intake_per_poll",
		"poll_s",
		"batch_s",
		"frame_s",
		"cpus",
		"bytes_per_frame",
		"link_bps",
		"rtt_s",
		"batch_timeout_s",
		"request_timeout_s",
		"busy_timer",
		"start_lowest",
		"start_cold",
		"accounting",
		"wire",
		NULL,
	};
	if (!cJSON_IsObject(root))
		return lv_fail(why, LV_EINVAL, "%s: must be a JSON object", origin);
	if (check_known(root, known, "", origin, why) != LV_OK)
		return LV_EINVAL;
	double format = 0, intake = 0;
	lv_ctl_model_ideal(m);
	m->name[0] = 0;
	if (get_num(root, "format", origin, &format, why) != LV_OK)
		return LV_EINVAL;
	if (format != 1)
		return lv_fail(why, LV_EINVAL, "%s: format: must be 1", origin);
	if (get_str(root, "name", origin, m->name, sizeof(m->name), why) != LV_OK ||
	    get_str(root, "source", origin, m->source, sizeof(m->source), why) != LV_OK ||
	    get_num(root, "intake_per_poll", origin, &intake, why) != LV_OK ||
	    get_num(root, "poll_s", origin, &m->poll_s, why) != LV_OK ||
	    get_num(root, "batch_s", origin, &m->batch_s, why) != LV_OK ||
	    get_num(root, "frame_s", origin, &m->frame_s, why) != LV_OK ||
	    get_num(root, "cpus", origin, &m->cpus, why) != LV_OK ||
	    get_num(root, "bytes_per_frame", origin, &m->bytes_per_frame, why) != LV_OK ||
	    get_num(root, "link_bps", origin, &m->link_bps, why) != LV_OK ||
	    get_num(root, "rtt_s", origin, &m->rtt_s, why) != LV_OK ||
	    get_num(root, "batch_timeout_s", origin, &m->batch_timeout_s, why) != LV_OK ||
	    get_num(root, "request_timeout_s", origin, &m->request_timeout_s, why) != LV_OK ||
	    get_flag(root, "busy_timer", origin, &m->busy_timer, why) != LV_OK ||
	    get_flag(root, "start_lowest", origin, &m->start_lowest, why) != LV_OK ||
	    get_flag(root, "start_cold", origin, &m->start_cold, why) != LV_OK ||
	    parse_acct(root, origin, m, why) != LV_OK || parse_wire(root, origin, m, why) != LV_OK)
		return LV_EINVAL;
	if (!m->name[0])
		return lv_fail(why, LV_EINVAL, "%s: name: missing", origin);
	if (!(intake >= 0 && intake <= 1e6 && intake == floor(intake)))
		return lv_fail(why, LV_EINVAL, "%s: intake_per_poll: %g is not a whole number >= 0",
		               origin, intake);
	m->intake_per_poll = (int)intake;
	char *w = NULL;
	if (lv_ctl_model_check(m, &w) != LV_OK) {
		lv_fail(why, LV_EINVAL, "%s: %s", origin, w);
		free(w);
		return LV_EINVAL;
	}
	return LV_OK;
}

int lv_ctl_model_load(const char *path, struct lv_ctl_model *m, char **why)
{
	char *text = lv_read_file(path, NULL, why);
	if (!text)
		return LV_EIO;
	cJSON *root = cJSON_Parse(text);
	free(text);
	if (!root)
		return lv_fail(why, LV_EINVAL, "%s: not valid JSON", path);
	int rc = parse_model(root, path, m, why);
	cJSON_Delete(root);
	return rc;
}

int lv_ctl_model_find(const char *profiles_dir, const char *name, struct lv_ctl_model *m,
                      char **why)
{
	size_t n = strlen(name);
	if (strchr(name, '/') || (n > 5 && !strcmp(name + n - 5, ".json")))
		return lv_ctl_model_load(name, m, why);
	if (!strcmp(name, "ideal")) {
		lv_ctl_model_ideal(m);
		return LV_OK;
	}
	for (size_t i = 0; i < n; i++)
		if (!(name[i] == '-' || name[i] == '_' || (name[i] >= 'a' && name[i] <= 'z') ||
		      (name[i] >= '0' && name[i] <= '9')))
			return lv_fail(why, LV_EINVAL,
			               "controller '%s': a name is lower-case letters, digits, - "
			               "and _ (or give a path to a .json file)",
			               name);
	char *rel = lv_xasprintf("controllers/%s.json", name);
	char *path = lv_path_join(profiles_dir, rel);
	free(rel);
	int rc = lv_ctl_model_load(path, m, why);
	free(path);
	return rc;
}

/* ---- writing ------------------------------------------------------------ */

char *lv_ctl_model_to_json(const struct lv_ctl_model *m)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "format", 1);
	cJSON_AddStringToObject(o, "name", m->name);
	cJSON_AddStringToObject(o, "source", m->source);
	cJSON_AddNumberToObject(o, "intake_per_poll", m->intake_per_poll);
	cJSON_AddNumberToObject(o, "poll_s", m->poll_s);
	cJSON_AddNumberToObject(o, "batch_s", m->batch_s);
	cJSON_AddNumberToObject(o, "frame_s", m->frame_s);
	cJSON_AddNumberToObject(o, "cpus", m->cpus);
	cJSON_AddNumberToObject(o, "bytes_per_frame", m->bytes_per_frame);
	cJSON_AddNumberToObject(o, "link_bps", m->link_bps);
	cJSON_AddNumberToObject(o, "rtt_s", m->rtt_s);
	cJSON_AddNumberToObject(o, "batch_timeout_s", m->batch_timeout_s);
	cJSON_AddNumberToObject(o, "request_timeout_s", m->request_timeout_s);
	cJSON_AddBoolToObject(o, "busy_timer", m->busy_timer);
	cJSON_AddBoolToObject(o, "start_lowest", m->start_lowest);
	cJSON_AddBoolToObject(o, "start_cold", m->start_cold);
	cJSON *wj = NULL;
	for (int w = LV_WIRE_FP32 + 1; w < LV_WIRE_COUNT; w++) {
		if (!m->wire[w].given)
			continue;
		if (!wj)
			wj = cJSON_AddObjectToObject(o, "wire");
		cJSON *f = cJSON_AddObjectToObject(wj, lv_wire_name((enum lv_wire)w));
		cJSON_AddNumberToObject(f, "bytes_per_frame", m->wire[w].bytes_per_frame);
		cJSON_AddNumberToObject(f, "frame_s", m->wire[w].frame_s);
	}
	if (m->has_acct) {
		cJSON *a = cJSON_AddObjectToObject(o, "accounting");
		cJSON_AddNumberToObject(a, "line_s", m->acct.line_s);
		cJSON_AddNumberToObject(a, "spacing_s", m->acct.spacing_s);
		cJSON_AddNumberToObject(a, "lead_in_s", m->acct.lead_in_s);
		cJSON_AddNumberToObject(a, "lead_in_w", m->acct.lead_in_w);
	}
	char *text = cJSON_Print(o);
	cJSON_Delete(o);
	if (!text)
		lv_oom_print(0);
	char *out = lv_xasprintf("%s\n", text);
	free(text);
	return out;
}

int lv_ctl_model_save(const char *path, const struct lv_ctl_model *m, char **why)
{
	if (lv_ctl_model_check(m, why) != LV_OK)
		return LV_EINVAL;
	char *buf = lv_ctl_model_to_json(m);
	int rc = lv_write_file_atomic(path, buf, strlen(buf), why);
	free(buf);
	return rc;
}
