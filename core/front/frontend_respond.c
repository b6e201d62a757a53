/*
 * frontend_respond: how the front end answers — a response queued on its
 * connection with its content type (and an Allow header for a 405), the
 * JSON error body, and the request counters every answer bumps (requests,
 * 400s, 413s, under fe->mu). frontend.c (routing, GET endpoints) and
 * frontend_upload.c (POST /inference) both answer through here, so neither
 * calls the other to respond. Contracts are in frontend_impl.h.
 */
#include "frontend_impl.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#define JSON_TYPE "application/json"

static const unsigned codes[LV_FE_CODE_COUNT] = { 200, 400, 401, 403, 404, 405, 409,
	                                          413, 415, 422, 500, 501, 503, 0 };

unsigned lv_frontend_code(int i)
{
	return i >= 0 && i < LV_FE_CODE_COUNT ? codes[i] : 0;
}

void fe_count_status(struct lv_frontend *fe, unsigned status)
{
	int k = 0;
	while (k < LV_FE_CODE_COUNT - 1 && codes[k] != status)
		k++;
	pthread_mutex_lock(&fe->mu);
	fe->stats.requests++;
	fe->stats.by_code[k]++;
	if (status == MHD_HTTP_BAD_REQUEST)
		fe->stats.bad_request++;
	else if (status == MHD_HTTP_CONTENT_TOO_LARGE)
		fe->stats.too_large++;
	pthread_mutex_unlock(&fe->mu);
}

static const char *const refusal_names[LV_FE_REFUSE_COUNT] = {
	[LV_FE_REFUSE_TOO_MANY_IMAGES] = "too_many_images",
	[LV_FE_REFUSE_IMAGE_TOO_LARGE] = "image_too_large",
	[LV_FE_REFUSE_BODY_TOO_LARGE] = "body_too_large",
	[LV_FE_REFUSE_TOO_MANY_PIXELS] = "too_many_pixels",
	[LV_FE_REFUSE_BAD_IMAGE] = "bad_image",
	[LV_FE_REFUSE_BAD_BUDGET] = "bad_budget",
	[LV_FE_REFUSE_MALFORMED] = "malformed",
	[LV_FE_REFUSE_BUSY] = "busy",
	[LV_FE_REFUSE_CLOSING] = "shutting_down",
};

const char *lv_frontend_refusal_name(enum lv_fe_refusal r)
{
	return (unsigned)r < LV_FE_REFUSE_COUNT ? refusal_names[r] : "other";
}

uint64_t lv_frontend_refused(const struct lv_frontend_stats *st, uint64_t *requests)
{
	uint64_t frames = 0, reqs = 0;
	for (int i = 0; i < LV_FE_REFUSE_COUNT; i++) {
		frames += st->refused_frames[i];
		reqs += st->refused_requests[i];
	}
	if (requests)
		*requests = reqs;
	return frames;
}

void fe_refused(struct lv_frontend *fe, int reason, uint64_t frames, const char *why)
{
	if (reason < 0 || reason >= LV_FE_REFUSE_COUNT)
		return;
	pthread_mutex_lock(&fe->mu);
	fe->stats.refused_requests[reason]++;
	fe->stats.refused_frames[reason] += frames;
	pthread_mutex_unlock(&fe->mu);
	if (fe->ops->refused)
		fe->ops->refused(fe->arg, (enum lv_fe_refusal)reason, frames, why ? why : "");
}

/* Queues body (taken) with an optional header (name NULL: none). */
static enum MHD_Result respond(struct lv_frontend *fe, struct MHD_Connection *conn, unsigned status,
                               const char *content_type, char *body, size_t len, const char *name,
                               const char *value)
{
	struct MHD_Response *res =
	    MHD_create_response_from_buffer_with_free_callback(len, body, free);
	if (!res) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(res, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	if (name && value)
		MHD_add_response_header(res, name, value);
	enum MHD_Result ret = MHD_queue_response(conn, status, res);
	MHD_destroy_response(res);
	fe_count_status(fe, status);
	return ret;
}

enum MHD_Result fe_respond(struct lv_frontend *fe, struct MHD_Connection *conn, unsigned status,
                           const char *content_type, char *body, size_t len)
{
	return respond(fe, conn, status, content_type, body, len, NULL, NULL);
}

/* {"status": "error", "error": why}; caller frees. NULL only when out of memory. */
static char *error_json(const char *why)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "status", "error");
	cJSON_AddStringToObject(o, "error", why);
	char *txt = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return txt;
}

enum MHD_Result fe_respond_error_header(struct lv_frontend *fe, struct MHD_Connection *conn,
                                        unsigned status, const char *why, const char *header,
                                        const char *value)
{
	char *txt = error_json(why);
	if (!txt)
		return MHD_NO;
	return respond(fe, conn, status, JSON_TYPE, txt, strlen(txt), header, value);
}

enum MHD_Result fe_respond_error_allow(struct lv_frontend *fe, struct MHD_Connection *conn,
                                       unsigned status, const char *why, const char *allow)
{
	return fe_respond_error_header(fe, conn, status, why, MHD_HTTP_HEADER_ALLOW, allow);
}

enum MHD_Result fe_respond_error(struct lv_frontend *fe, struct MHD_Connection *conn,
                                 unsigned status, const char *why)
{
	return fe_respond_error_allow(fe, conn, status, why, NULL);
}
