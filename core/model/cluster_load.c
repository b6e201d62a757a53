/*
 * cluster_load: reading a cluster file (the format in cluster.h) with the
 * profiles of the kinds it names, and building every kind's cost tables,
 * training or loading the predictor they need. The cluster's state and
 * lifetime are cluster.c.
 *
 * Kinds appear in the order the file first names them.
 */
#include "cluster.h"
#include "cluster_impl.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predictor.h"
#include "profile.h"
#include "base/file.h"
#include "base/util.h"

#define MAX_DEVICES 100000

static int kind_index(const struct lv_cluster *c, const char *kind)
{
	for (size_t i = 0; i < c->n_kinds; i++)
		if (strcmp(c->kinds[i].profile->kind, kind) == 0)
			return (int)i;
	return -1;
}

static const char *opt_string(const cJSON *obj, const char *key, const char *path, int i, int *bad,
                              char **why)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!v)
		return NULL;
	if (!cJSON_IsString(v) || !v->valuestring[0]) {
		*bad = 1;
		lv_fail(why, LV_EINVAL, "%s: devices[%d].%s: must be a non-empty string", path, i,
		        key);
		return NULL;
	}
	return v->valuestring;
}

/* Finds or loads the profile for `kind`; returns its index or -1 with *why. */
static int resolve_kind(struct lv_cluster *c, const char *kind, const char *profiles_dir,
                        const char *path, int i, char **why)
{
	int k = kind_index(c, kind);
	if (k >= 0)
		return k;
	if (strchr(kind, '/') || strlen(kind) >= LV_KIND_MAX) {
		lv_fail(why, LV_EINVAL, "%s: devices[%d].kind: '%s' is not a kind name", path, i,
		        kind);
		return -1;
	}
	char *file = lv_xasprintf("%s/%s.json", profiles_dir, kind);
	char *inner = NULL;
	struct lv_profile *p = lv_profile_load(file, &inner);
	if (!p) {
		lv_fail(why, LV_ENOENT, "%s: devices[%d].kind: no usable profile for '%s' (%s)",
		        path, i, kind, inner ? inner : file);
		free(inner);
		free(file);
		return -1;
	}
	free(file);
	lv_cluster_add_kind(c, p);
	return (int)c->n_kinds - 1;
}

static int load_device(struct lv_cluster *c, const cJSON *dj, const char *profiles_dir,
                       const char *path, int i, char **why)
{
	int bad = 0;
	if (!cJSON_IsObject(dj))
		return lv_fail(why, LV_EINVAL, "%s: devices[%d]: must be an object", path, i);
	const char *name = opt_string(dj, "name", path, i, &bad, why);
	const char *kind = opt_string(dj, "kind", path, i, &bad, why);
	const char *agent = opt_string(dj, "agent", path, i, &bad, why);
	const char *triton = opt_string(dj, "triton", path, i, &bad, why);
	if (bad)
		return LV_EINVAL;
	const cJSON *shm = cJSON_GetObjectItemCaseSensitive(dj, "shm");
	if (shm && !cJSON_IsBool(shm))
		return lv_fail(why, LV_EINVAL, "%s: devices[%d].shm: must be true or false", path,
		               i);
	if (cJSON_IsTrue(shm) && !triton && !agent)
		return lv_fail(why, LV_EINVAL,
		               "%s: devices[%d].shm: a device without endpoints has no Triton to "
		               "share memory with",
		               path, i);
	if (!name)
		return lv_fail(why, LV_EINVAL, "%s: devices[%d].name: missing", path, i);
	if (!kind)
		return lv_fail(why, LV_EINVAL, "%s: devices[%d].kind: missing", path, i);
	if (strlen(name) >= LV_DEV_NAME_MAX - 8)
		return lv_fail(why, LV_EINVAL, "%s: devices[%d].name: longer than %d characters",
		               path, i, LV_DEV_NAME_MAX - 9);
	int k = resolve_kind(c, kind, profiles_dir, path, i, why);
	if (k < 0)
		return LV_ENOENT;

	const cJSON *count = cJSON_GetObjectItemCaseSensitive(dj, "count");
	if (!count) {
		if (lv_cluster_find(c, name) >= 0)
			return lv_fail(why, LV_EINVAL, "%s: devices[%d].name: '%s' appears twice",
			               path, i, name);
		lv_cluster_add_device(c, name, k, agent, triton);
		c->devices[c->n_devices - 1].shm = cJSON_IsTrue(shm);
		return LV_OK;
	}
	if (!cJSON_IsNumber(count) || count->valuedouble < 1 ||
	    count->valuedouble != (double)(int)count->valuedouble ||
	    c->n_devices + (size_t)count->valuedouble > MAX_DEVICES)
		return lv_fail(why, LV_EINVAL,
		               "%s: devices[%d].count: must be a whole number from 1 (at most %d "
		               "devices in all)",
		               path, i, MAX_DEVICES);
	if (agent || triton)
		return lv_fail(why, LV_EINVAL,
		               "%s: devices[%d]: an entry with count has no endpoints", path, i);
	int n = (int)count->valuedouble;
	for (int j = 0; j < n; j++) {
		char dn[LV_DEV_NAME_MAX + 16];
		snprintf(dn, sizeof(dn), "%s-%03d", name, j);
		if (lv_cluster_find(c, dn) >= 0)
			return lv_fail(why, LV_EINVAL, "%s: devices[%d]: name '%s' appears twice",
			               path, i, dn);
		lv_cluster_add_device(c, dn, k, NULL, NULL);
	}
	return LV_OK;
}

static int parse_cluster(struct lv_cluster *c, const cJSON *root, const char *path, char **why)
{
	if (!cJSON_IsObject(root))
		return lv_fail(why, LV_EINVAL, "%s: must be a JSON object", path);
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
	if (name && !cJSON_IsString(name))
		return lv_fail(why, LV_EINVAL, "%s: name: must be a string", path);
	c->name = lv_xstrdup(name ? name->valuestring : "cluster");

	const cJSON *pd = cJSON_GetObjectItemCaseSensitive(root, "profiles");
	if (pd && !cJSON_IsString(pd))
		return lv_fail(why, LV_EINVAL, "%s: profiles: must be a directory name", path);
	const cJSON *tf = cJSON_GetObjectItemCaseSensitive(root, "token_file");
	if (tf && (!cJSON_IsString(tf) || !tf->valuestring[0]))
		return lv_fail(why, LV_EINVAL, "%s: token_file: must be a file name", path);
	char *base = lv_path_dirname(path);
	char *profiles_dir = lv_path_join(base, pd ? pd->valuestring : "..");
	if (tf)
		c->token_file = lv_path_join(base, tf->valuestring);
	free(base);

	int rc = LV_OK;
	const cJSON *devs = cJSON_GetObjectItemCaseSensitive(root, "devices");
	if (!cJSON_IsArray(devs) || cJSON_GetArraySize(devs) == 0) {
		rc = lv_fail(why, LV_EINVAL, "%s: devices: must be a non-empty array", path);
		goto out;
	}
	int i = 0;
	const cJSON *dj;
	cJSON_ArrayForEach (dj, devs) {
		rc = load_device(c, dj, profiles_dir, path, i++, why);
		if (rc != LV_OK)
			goto out;
	}
out:
	free(profiles_dir);
	return rc;
}

struct lv_cluster *lv_cluster_load(const char *path, char **why)
{
	char *text = lv_read_file(path, NULL, why);
	if (!text)
		return NULL;
	cJSON *root = cJSON_Parse(text);
	if (!root) {
		/* Name the line and column where parsing stopped. */
		const char *at = cJSON_GetErrorPtr();
		int line = 1, col = 1;
		for (const char *q = text; at && q < at && *q; q++) {
			if (*q == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		lv_fail(why, LV_EINVAL, "%s:%d:%d: not valid JSON", path, line, col);
		free(text);
		return NULL;
	}
	free(text);
	struct lv_cluster *c = lv_xcalloc(1, sizeof(*c));
	int rc = parse_cluster(c, root, path, why);
	cJSON_Delete(root);
	if (rc != LV_OK) {
		lv_cluster_free(c);
		return NULL;
	}
	lv_cluster_reset(c, 0.0);
	return c;
}

int lv_cluster_build_costs(struct lv_cluster *c, enum lv_cost_mode mode, const char *predictor_path,
                           char **why)
{
	if (mode != LV_COST_PROF && !c->predictor) {
		const struct lv_profile **ps = lv_xmalloc(c->n_kinds * sizeof(*ps));
		for (size_t k = 0; k < c->n_kinds; k++)
			ps[k] = c->kinds[k].profile;
		c->predictor = lv_predictor_obtain(ps, c->n_kinds, predictor_path, why);
		free(ps);
		if (!c->predictor)
			return LV_ELIB;
		c->predictor_free = lv_predictor_free;
	}
	for (size_t k = 0; k < c->n_kinds; k++) {
		struct lv_kind *kd = &c->kinds[k];
		struct lv_cost_table *t = lv_cost_table_build(kd->profile, c->predictor, mode, why);
		if (!t)
			return LV_EINVAL;
		if (!kd->truth_owned)
			kd->truth = NULL; /* it was the old `cost` */
		lv_cost_table_free(kd->cost);
		kd->cost = t;
		if (!kd->truth && kd->profile->n_points > 0) {
			kd->truth = lv_cost_table_build(kd->profile, NULL, LV_COST_PROF, why);
			if (!kd->truth)
				return LV_EINVAL;
			kd->truth_owned = 1;
		}
		if (!kd->truth) {
			kd->truth = kd->cost;
			kd->truth_owned = 0;
		}
	}
	c->mode = mode;
	return LV_OK;
}
