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

static void count_status(struct lv_frontend *fe, unsigned status)
{
	pthread_mutex_lock(&fe->mu);
	fe->stats.requests++;
	if (status == MHD_HTTP_BAD_REQUEST)
		fe->stats.bad_request++;
	else if (status == MHD_HTTP_CONTENT_TOO_LARGE)
		fe->stats.too_large++;
	pthread_mutex_unlock(&fe->mu);
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
	count_status(fe, status);
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
