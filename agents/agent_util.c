/*
 * agent_util: the small things the agent's handlers share — a growable
 * byte buffer, JSON string escaping, {"error": "..."} responses, and the
 * log (one fprintf per line, so lines from concurrent HTTP threads never
 * interleave; stdio locks the stream).
 */
#include "agent.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "base/util.h"

void lv_respond_json(struct lv_response *r, int status, char *json)
{
	free(r->body);
	r->status = status;
	r->body = json;
	r->len = json ? strlen(json) : 0;
	r->content_type = "application/json";
}

void lv_respond_tree(struct lv_response *r, int status, struct cJSON *root)
{
	char *json = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (!json) {
		lv_respond_error(r, 500, "out of memory printing JSON");
		return;
	}
	lv_respond_json(r, status, json);
}

void lv_buf_json_string(struct lv_buf *b, const char *s)
{
	lv_buf_append(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			lv_buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			lv_buf_printf(b, "\\u%04x", c);
		else
			lv_buf_append(b, s, 1);
	}
	lv_buf_append(b, "\"", 1);
}

void lv_respond_error(struct lv_response *r, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct lv_buf b = { 0 };
	lv_buf_printf(&b, "{\"error\":");
	lv_buf_json_string(&b, msg);
	lv_buf_printf(&b, "}");
	lv_respond_json(r, status, lv_buf_take(&b, NULL));
}

void lv_agent_log(struct lv_agent *a, const char *fmt, ...)
{
	char msg[1024], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(a->log ? a->log : stderr, "%s loudva-agent: %s\n", stamp, msg);
}
