/*
 * batch_cluster: the running cluster a live experiment's cells use when its
 * agents are not started here ("agents": "cluster" in the spec, or
 * --cluster) — the cluster file's devices at their agent and Triton URLs,
 * with the bearer token its "token_file" (or --token-file) holds.
 *
 * Nothing here starts or stops a process: the agents are the operator's.
 * What a batch changes on them is the GPU clock, and it gives that back:
 * every cell starts with each device on its default governor (released by
 * the check before the cell), the pins a cell's policy set are released
 * when it ends, and at the end of the batch, however it ends, each clock is
 * put back as the first check found it (pinned at the same clock, or left to
 * the governor) — on every device the batch could release, the only ones a
 * cell may have run on.
 *
 * The check, before the first cell (before the report directory exists) and
 * again before each cell, device by device in cluster order; the first
 * failure is the message, naming the device, the URL and what was wrong:
 *   - the agent answers GET /healthz and is of the kind the cluster file says;
 *   - Triton answers GET /v2/health/ready and has the model ready
 *     (GET /v2/models/<model>/ready);
 *   - the agent takes the token: the release (DELETE /gpu/frequency) needs it.
 * The HTTP client is the profiler's (profile_http.c).
 */
#include "batch.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "harness/launcher.h"
#include "model/profile.h"
#include "profile_run.h"
#include "base/util.h"

/* How long a restored pin may take to show in the agent's clock. */
#define RESTORE_TIMEOUT_S 5.0

struct bdev {
	char *name, *kind;
	char *agent, *triton; /* triton: the agent's URL when the file names none */
	struct lv_prof_http *h;
	int found;      /* the clock as found is known */
	int was_pinned; /* ... pinned (at was_hz), or on its governor */
	uint64_t was_hz;
	int changed; /* released once at least: a cell may have run on it since */
};

struct lv_batch_cluster {
	char *path, *name;
	char *token_file; /* NULL: no token */
	char *token;      /* its token, NULL: none */
	size_t n;
	struct bdev *devs;
};

void lv_batch_cluster_free(struct lv_batch_cluster *bc)
{
	if (!bc)
		return;
	for (size_t i = 0; i < bc->n; i++) {
		struct bdev *d = &bc->devs[i];
		lv_prof_http_free(d->h);
		free(d->name);
		free(d->kind);
		free(d->agent);
		free(d->triton);
	}
	free(bc->devs);
	free(bc->path);
	free(bc->name);
	free(bc->token_file);
	if (bc->token)
		memset(bc->token, 0, strlen(bc->token));
	free(bc->token);
	free(bc);
}

struct lv_batch_cluster *lv_batch_cluster_open(const char *path, const char *token_file,
                                               const char *model, int *code, char **why)
{
	struct lv_batch_cluster *bc = NULL;
	char *token = NULL, *w = NULL;
	*code = LV_EINVAL;
	struct lv_cluster *c = lv_cluster_load(path, why);
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n_devices; i++)
		if (!c->devices[i].agent_url) {
			lv_fail(
			    why, LV_EINVAL,
			    "%s: device %s has no \"agent\" URL: a live experiment on a running "
			    "cluster sets each device's clock and reads its energy through its "
			    "agent (give it \"agent\": \"http://HOST:PORT\", or run on emulated "
			    "agents with --emulate)",
			    path, c->devices[i].name);
			goto out;
		}
	const char *tf = token_file ? token_file : c->token_file;
	if (tf && !(token = lv_token_file_read(tf, &w))) {
		lv_fail(why, LV_EINVAL, "%s: the agents' token: %s", path, w);
		goto out;
	}
	bc = lv_xcalloc(1, sizeof(*bc));
	bc->path = lv_xstrdup(path);
	bc->name = lv_xstrdup(c->name);
	bc->token_file = tf ? lv_xstrdup(tf) : NULL;
	bc->token = token;
	token = NULL;
	bc->n = c->n_devices;
	bc->devs = lv_xcalloc(bc->n, sizeof(*bc->devs));
	for (size_t i = 0; i < bc->n; i++) {
		const struct lv_device *dv = &c->devices[i];
		struct bdev *d = &bc->devs[i];
		d->name = lv_xstrdup(dv->name);
		d->kind = lv_xstrdup(lv_device_profile(c, dv)->kind);
		d->agent = lv_xstrdup(dv->agent_url);
		d->triton = lv_xstrdup(dv->triton_url ? dv->triton_url : dv->agent_url);
		d->h = lv_prof_http_new(d->agent, d->triton, bc->token, dv->ca_file, model);
		if (!d->h) {
			lv_fail(why, LV_ELIB, "libcurl: cannot make a handle for %s", d->agent);
			*code = LV_ELIB;
			lv_batch_cluster_free(bc);
			bc = NULL;
			goto out;
		}
	}
	*code = LV_OK;
out:
	free(w);
	if (token) /* the handles hold their own copy */
		memset(token, 0, strlen(token));
	free(token);
	lv_cluster_free(c);
	return bc;
}

const char *lv_batch_cluster_token(const struct lv_batch_cluster *bc)
{
	return bc->token;
}

const char *lv_batch_cluster_path(const struct lv_batch_cluster *bc)
{
	return bc->path;
}

size_t lv_batch_cluster_size(const struct lv_batch_cluster *bc)
{
	return bc->n;
}

/* A string member of a JSON answer, or NULL. */
static char *json_string(const char *body, const char *key)
{
	cJSON *o = cJSON_Parse(body);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	char *s = cJSON_IsString(v) ? lv_xstrdup(v->valuestring) : NULL;
	cJSON_Delete(o);
	return s;
}

/* The clock as found: GET /gpu/frequency's "pinned" and "target_hz". */
static int read_clock(struct bdev *d, char **why)
{
	const char *body = NULL;
	char *w = NULL;
	if (lv_prof_http_get(d->h, 0, "/gpu/frequency", &body, &w) != LV_OK) {
		int rc = lv_fail(why, LV_EIO, "device %s: agent %s: %s", d->name, d->agent, w);
		free(w);
		return rc;
	}
	cJSON *o = cJSON_Parse(body);
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "pinned");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "target_hz");
	int ok = cJSON_IsBool(p) && (!cJSON_IsTrue(p) || (cJSON_IsNumber(t) && t->valuedouble > 0));
	if (ok) {
		d->was_pinned = cJSON_IsTrue(p);
		d->was_hz = d->was_pinned ? (uint64_t)t->valuedouble : 0;
		d->found = 1;
	}
	cJSON_Delete(o);
	if (!ok)
		return lv_fail(why, LV_EIO,
		               "device %s: agent %s/gpu/frequency: no \"pinned\" and \"target_hz\" "
		               "in its answer (%.120s)",
		               d->name, d->agent, body);
	return LV_OK;
}

/* One device's agent and Triton answer, with the right kind and the model ready. */
static int check_device(struct bdev *d, const char *model, char **why)
{
	const char *body = NULL;
	char *w = NULL, *kind = NULL, *path = NULL;
	int rc = LV_OK;
	if (lv_prof_http_get(d->h, 0, "/healthz", &body, &w) != LV_OK) {
		rc = lv_fail(why, LV_EIO, "device %s: agent %s does not answer: %s", d->name,
		             d->agent, w);
		goto out;
	}
	kind = json_string(body, "kind");
	if (kind && strcmp(kind, d->kind)) {
		rc = lv_fail(why, LV_EIO,
		             "device %s: the agent at %s is a %s, the cluster file says %s",
		             d->name, d->agent, kind, d->kind);
		goto out;
	}
	if (!d->found && (rc = read_clock(d, why)) != LV_OK)
		goto out;
	if (lv_prof_http_get(d->h, 1, "/v2/health/ready", NULL, &w) != LV_OK) {
		rc = lv_fail(why, LV_EIO, "device %s: Triton at %s is not ready: %s", d->name,
		             d->triton, w);
		goto out;
	}
	path = lv_xasprintf("/v2/models/%s/ready", model);
	if (lv_prof_http_get(d->h, 1, path, NULL, &w) != LV_OK)
		rc = lv_fail(why, LV_EIO, "device %s: Triton at %s has no model %s ready: %s",
		             d->name, d->triton, model, w);
out:
	free(path);
	free(kind);
	free(w);
	return rc;
}

int lv_batch_cluster_check(struct lv_batch_cluster *bc, const char *model, char **why)
{
	for (size_t i = 0; i < bc->n; i++) {
		int rc = check_device(&bc->devs[i], model, why);
		if (rc != LV_OK)
			return rc;
	}
	return lv_batch_cluster_release(bc, why);
}

/* The message for a release the agent refused. */
static int refused(const struct lv_batch_cluster *bc, const struct bdev *d, const char *w,
                   char **why)
{
	if (lv_prof_http_status(d->h) != 401)
		return lv_fail(why, LV_EIO, "device %s: agent %s: cannot release the clock: %s",
		               d->name, d->agent, w);
	if (!bc->token_file)
		return lv_fail(why, LV_EIO,
		               "device %s: agent %s wants a bearer token and none was given "
		               "(name the agents' token file with \"token_file\" in %s or "
		               "--token-file): %s",
		               d->name, d->agent, bc->path, w);
	return lv_fail(why, LV_EIO, "device %s: agent %s refused the token in %s: %s", d->name,
	               d->agent, bc->token_file, w);
}

int lv_batch_cluster_release(struct lv_batch_cluster *bc, char **why)
{
	int rc = LV_OK;
	for (size_t i = 0; i < bc->n; i++) {
		struct bdev *d = &bc->devs[i];
		char *w = NULL;
		if (lv_prof_http_release(d->h, &w) == LV_OK)
			d->changed = 1;
		else if (rc == LV_OK)
			rc = refused(bc, d, w, why);
		free(w);
	}
	return rc;
}

int lv_batch_cluster_restore(struct lv_batch_cluster *bc, char **why)
{
	int rc = LV_OK;
	for (size_t i = 0; i < bc->n; i++) {
		struct bdev *d = &bc->devs[i];
		if (!d->found || !d->changed)
			continue;
		char *w = NULL;
		int r = d->was_pinned ? lv_prof_http_pin(d->h, d->was_hz, RESTORE_TIMEOUT_S, &w)
		                      : lv_prof_http_release(d->h, &w);
		if (r != LV_OK && rc == LV_OK)
			rc = lv_fail(why, LV_EIO, "device %s: cannot put its clock back (%s): %s",
			             d->name, d->was_pinned ? "pinned" : "governor", w);
		free(w);
	}
	return rc;
}

struct cJSON *lv_batch_cluster_json(const struct lv_batch_cluster *bc)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "file", bc->path);
	cJSON_AddStringToObject(o, "name", bc->name);
	if (bc->token_file)
		cJSON_AddStringToObject(o, "token_file", bc->token_file);
	else
		cJSON_AddNullToObject(o, "token_file");
	cJSON *arr = cJSON_AddArrayToObject(o, "devices");
	for (size_t i = 0; i < bc->n; i++) {
		const struct bdev *d = &bc->devs[i];
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "name", d->name);
		cJSON_AddStringToObject(x, "kind", d->kind);
		cJSON_AddStringToObject(x, "agent", d->agent);
		cJSON_AddStringToObject(x, "triton", d->triton);
		if (d->found && d->was_pinned)
			cJSON_AddNumberToObject(x, "clock_found_pinned_hz", (double)d->was_hz);
		else
			cJSON_AddNullToObject(x, "clock_found_pinned_hz");
		cJSON_AddItemToArray(arr, x);
	}
	return o;
}
