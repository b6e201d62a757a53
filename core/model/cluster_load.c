/*
 * cluster_load: reading a cluster file (the format in cluster.h) with the
 * profiles of the kinds it names, and building every kind's cost tables,
 * training or loading the predictor they need. The cluster's state and
 * lifetime are cluster.c.
 *
 * Kinds appear in the order the file first names them. A cluster file may
 * come from anyone who can hand the controller a path, so it is judged as
 * untrusted input: URLs must be http:// or https://, a CA file must be
 * readable and meant for an https:// endpoint, counts are bounded before
 * any cast, and duplicate names are found through a hash set (100,000
 * devices load in linear time, not quadratic).
 */
#include "cluster.h"
#include "cluster_impl.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "predictor.h"
#include "profile.h"
#include "base/file.h"
#include "base/util.h"

#define MAX_DEVICES 100000

/* The device names seen so far: an open-addressing set of indices into c->devices. */
struct names {
	const struct lv_cluster *c;
	size_t *slot; /* device index + 1; 0: empty */
	size_t cap;   /* a power of two, at least twice the names held */
};

static size_t name_hash(const char *s)
{
	size_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Index of the device named `name`, or -1. */
static int names_find(const struct names *ns, const char *name)
{
	if (!ns->cap)
		return -1;
	for (size_t i = name_hash(name) & (ns->cap - 1);; i = (i + 1) & (ns->cap - 1)) {
		if (!ns->slot[i])
			return -1;
		if (!strcmp(ns->c->devices[ns->slot[i] - 1].name, name))
			return (int)(ns->slot[i] - 1);
	}
}

/* Records the last device added to the cluster. */
static void names_add(struct names *ns)
{
	size_t n = ns->c->n_devices;
	if (2 * n > ns->cap) {
		size_t cap = ns->cap ? ns->cap : 64;
		while (2 * n > cap)
			cap *= 2;
		size_t *old = ns->slot, old_cap = ns->cap;
		ns->slot = lv_xcalloc(cap, sizeof(*ns->slot));
		ns->cap = cap;
		for (size_t i = 0; i < old_cap; i++) {
			if (!old[i])
				continue;
			size_t j = name_hash(ns->c->devices[old[i] - 1].name) & (cap - 1);
			while (ns->slot[j])
				j = (j + 1) & (cap - 1);
			ns->slot[j] = old[i];
		}
		free(old);
	}
	size_t j = name_hash(ns->c->devices[n - 1].name) & (ns->cap - 1);
	while (ns->slot[j])
		j = (j + 1) & (ns->cap - 1);
	ns->slot[j] = n;
}

/* What load_device needs besides the device's own object. */
struct load_ctx {
	const char *path;         /* the cluster file, for messages */
	const char *base;         /* its directory: relative paths start there */
	const char *profiles_dir; /* where <kind>.json live */
	const char *ca;           /* the cluster's "ca", resolved; NULL if none */
	struct names names;
};

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
	if (!v || *bad)
		return NULL;
	if (!cJSON_IsString(v) || !v->valuestring[0]) {
		*bad = 1;
		lv_fail(why, LV_EINVAL, "%s: devices[%d].%s: must be a non-empty string", path, i,
		        key);
		return NULL;
	}
	return v->valuestring;
}

/* 1 for an https:// URL, 0 for http://, -1 for anything else (or no host after the scheme). */
static int url_scheme(const char *url)
{
	if (!strncmp(url, "https://", 8))
		return url[8] && url[8] != '/' ? 1 : -1;
	if (!strncmp(url, "http://", 7))
		return url[7] && url[7] != '/' ? 0 : -1;
	return -1;
}

/* The endpoint `key` must be an http:// or https:// URL; *tls |= it is https. 0 or LV_EINVAL. */
static int check_url(const char *url, const char *key, const char *path, int i, int *tls,
                     char **why)
{
	if (!url)
		return LV_OK;
	int s = url_scheme(url);
	if (s < 0)
		return lv_fail(why, LV_EINVAL,
		               "%s: devices[%d].%s: '%.200s' is not an http:// or https:// URL",
		               path, i, key, url);
	*tls |= s;
	return LV_OK;
}

/*
 * A CA file as the cluster names it (`where` is "ca" or "devices[i].ca"):
 * resolved against the cluster file's directory and checked to be a
 * readable regular file. A new string (caller frees), or NULL with *why.
 */
static char *resolve_ca(const char *name, const char *where, const struct load_ctx *lc, char **why)
{
	char *file = lv_path_join(lc->base, name);
	struct stat st;
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	int err = fd < 0 ? errno : 0;
	if (fd >= 0 && fstat(fd, &st) != 0)
		err = errno;
	else if (fd >= 0 && !S_ISREG(st.st_mode))
		err = EINVAL;
	if (fd >= 0)
		close(fd);
	if (err == 0)
		return file;
	lv_fail(why, LV_EINVAL, "%s: %s: %s: %s", lc->path, where, file,
	        err == EINVAL ? "not a regular file (a PEM file of CA certificates)"
	                      : strerror(err));
	free(file);
	return NULL;
}

/* Finds or loads the profile for `kind`; returns its index or -1 with *why. */
static int resolve_kind(struct lv_cluster *c, const char *kind, const char *profiles_dir,
                        const char *path, int i, char **why)
{
	int k = kind_index(c, kind);
	if (k >= 0)
		return k;
	if (strchr(kind, '/') || strlen(kind) >= LV_KIND_MAX) {
		lv_fail(why, LV_EINVAL, "%s: devices[%d].kind: '%.100s' is not a kind name", path,
		        i, kind);
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

/* The device's CA file: its own "ca", else the cluster's for an https:// device. */
static int device_ca(struct lv_device *d, const cJSON *dj, int tls, struct load_ctx *lc, int i,
                     char **why)
{
	const cJSON *ca = cJSON_GetObjectItemCaseSensitive(dj, "ca");
	if (!ca) {
		d->ca_file = tls && lc->ca ? lv_xstrdup(lc->ca) : NULL;
		return LV_OK;
	}
	char where[48];
	snprintf(where, sizeof(where), "devices[%d].ca", i);
	if (!cJSON_IsString(ca) || !ca->valuestring[0])
		return lv_fail(why, LV_EINVAL, "%s: %s: must be a file name", lc->path, where);
	if (!tls)
		return lv_fail(why, LV_EINVAL,
		               "%s: %s: the device has no https:// endpoint for a CA to check",
		               lc->path, where);
	d->ca_file = resolve_ca(ca->valuestring, where, lc, why);
	return d->ca_file ? LV_OK : LV_EINVAL;
}

static int load_device(struct lv_cluster *c, const cJSON *dj, struct load_ctx *lc, int i,
                       char **why)
{
	const char *path = lc->path;
	int bad = 0, tls = 0;
	if (!cJSON_IsObject(dj))
		return lv_fail(why, LV_EINVAL, "%s: devices[%d]: must be an object", path, i);
	const char *name = opt_string(dj, "name", path, i, &bad, why);
	const char *kind = opt_string(dj, "kind", path, i, &bad, why);
	const char *agent = opt_string(dj, "agent", path, i, &bad, why);
	const char *triton = opt_string(dj, "triton", path, i, &bad, why);
	if (bad)
		return LV_EINVAL;
	if (check_url(agent, "agent", path, i, &tls, why) != LV_OK ||
	    check_url(triton, "triton", path, i, &tls, why) != LV_OK)
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
	const char *wire_s = opt_string(dj, "wire", path, i, &bad, why);
	if (bad)
		return LV_EINVAL;
	int wire = wire_s ? lv_wire_parse(wire_s) : LV_WIRE_FP32;
	if (wire < 0)
		return lv_fail(why, LV_EINVAL,
		               "%s: devices[%d].wire: '%.64s' is not a wire format (fp32, uint8 "
		               "or jpeg)",
		               path, i, wire_s);
	if (!name)
		return lv_fail(why, LV_EINVAL, "%s: devices[%d].name: missing", path, i);
	if (!kind)
		return lv_fail(why, LV_EINVAL, "%s: devices[%d].kind: missing", path, i);
	if (strlen(name) >= LV_DEV_NAME_MAX - 8)
		return lv_fail(why, LV_EINVAL, "%s: devices[%d].name: longer than %d characters",
		               path, i, LV_DEV_NAME_MAX - 9);
	int k = resolve_kind(c, kind, lc->profiles_dir, path, i, why);
	if (k < 0)
		return LV_ENOENT;

	const cJSON *count = cJSON_GetObjectItemCaseSensitive(dj, "count");
	if (!count) {
		if (c->n_devices >= MAX_DEVICES)
			return lv_fail(why, LV_EINVAL, "%s: devices[%d]: at most %d devices in all",
			               path, i, MAX_DEVICES);
		if (names_find(&lc->names, name) >= 0)
			return lv_fail(why, LV_EINVAL, "%s: devices[%d].name: '%s' appears twice",
			               path, i, name);
		lv_cluster_add_device(c, name, k, agent, triton);
		names_add(&lc->names);
		struct lv_device *d = &c->devices[c->n_devices - 1];
		d->shm = cJSON_IsTrue(shm);
		d->wire = (enum lv_wire)wire;
		return device_ca(d, dj, tls, lc, i, why);
	}
	/* Bounded before any cast: a double beyond int's range must not reach one. */
	if (!cJSON_IsNumber(count) || !(count->valuedouble >= 1) ||
	    count->valuedouble > MAX_DEVICES || floor(count->valuedouble) != count->valuedouble ||
	    c->n_devices + (size_t)count->valuedouble > MAX_DEVICES)
		return lv_fail(why, LV_EINVAL,
		               "%s: devices[%d].count: must be a whole number from 1 (at most %d "
		               "devices in all)",
		               path, i, MAX_DEVICES);
	if (agent || triton || cJSON_GetObjectItemCaseSensitive(dj, "ca"))
		return lv_fail(why, LV_EINVAL,
		               "%s: devices[%d]: an entry with count has no endpoints", path, i);
	int n = (int)count->valuedouble;
	for (int j = 0; j < n; j++) {
		char dn[LV_DEV_NAME_MAX + 16];
		snprintf(dn, sizeof(dn), "%s-%03d", name, j);
		if (names_find(&lc->names, dn) >= 0)
			return lv_fail(why, LV_EINVAL, "%s: devices[%d]: name '%s' appears twice",
			               path, i, dn);
		lv_cluster_add_device(c, dn, k, NULL, NULL);
		c->devices[c->n_devices - 1].wire = (enum lv_wire)wire;
		names_add(&lc->names);
	}
	return LV_OK;
}

/* The cluster's "ca": NULL in *out when absent. 0 or LV_EINVAL. */
static int cluster_ca(const cJSON *root, struct load_ctx *lc, char **out, char **why)
{
	const cJSON *ca = cJSON_GetObjectItemCaseSensitive(root, "ca");
	*out = NULL;
	if (!ca)
		return LV_OK;
	if (!cJSON_IsString(ca) || !ca->valuestring[0])
		return lv_fail(why, LV_EINVAL, "%s: ca: must be a file name", lc->path);
	*out = resolve_ca(ca->valuestring, "ca", lc, why);
	return *out ? LV_OK : LV_EINVAL;
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
	char *ca = NULL;
	struct load_ctx lc = { .path = path, .base = base, .profiles_dir = profiles_dir };
	lc.names.c = c;
	if (tf)
		c->token_file = lv_path_join(base, tf->valuestring);

	int rc = cluster_ca(root, &lc, &ca, why);
	if (rc != LV_OK)
		goto out;
	lc.ca = ca;
	const cJSON *devs = cJSON_GetObjectItemCaseSensitive(root, "devices");
	if (!cJSON_IsArray(devs) || cJSON_GetArraySize(devs) == 0) {
		rc = lv_fail(why, LV_EINVAL, "%s: devices: must be a non-empty array", path);
		goto out;
	}
	int i = 0;
	const cJSON *dj;
	cJSON_ArrayForEach (dj, devs) {
		rc = load_device(c, dj, &lc, i++, why);
		if (rc != LV_OK)
			goto out;
	}
	if (ca) {
		int used = 0;
		for (size_t k = 0; k < c->n_devices && !used; k++)
			used = c->devices[k].ca_file && !strcmp(c->devices[k].ca_file, ca);
		if (!used)
			rc = lv_fail(why, LV_EINVAL,
			             "%s: ca: no device has an https:// endpoint for it to check "
			             "(give the agents https:// URLs)",
			             path);
	}
out:
	free(lc.names.slot);
	free(ca);
	free(profiles_dir);
	free(base);
	return rc;
}

/* The parse error's place as LINE:COL in text (cJSON's error pointer). */
static void error_place(const char *text, size_t len, const char *at, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (const char *q = text; at && q < at && q < text + len; q++) {
		if (*q == '\n') {
			++*line;
			*col = 1;
		} else {
			++*col;
		}
	}
}

/*
 * The line of key's first appearance as a JSON key ("key" then ':'), from
 * `from` on; 0 when not found. Good enough for pointing at a typo.
 */
static int key_line(const char *text, size_t len, const char *key, const char **from)
{
	size_t kl = strlen(key);
	const char *p = *from, *end = text + len;
	while (p && p + kl + 2 <= end) {
		const char *q = memchr(p, '"', (size_t)(end - p));
		if (!q || q + kl + 2 > end)
			break;
		if (!memcmp(q + 1, key, kl) && q[kl + 1] == '"') {
			const char *r = q + kl + 2;
			while (r < end && (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n'))
				r++;
			if (r < end && *r == ':') {
				int line = 1;
				for (const char *t = text; t < q; t++)
					line += *t == '\n';
				*from = r;
				return line;
			}
		}
		p = q + 1;
	}
	return 0;
}

/*
 * Fields the loader does not know are errors, not silently ignored: a typo
 * ("agnet") would otherwise run the device without its agent. Names the
 * file, the line and the field, and lists the known ones.
 */
static int unknown_fields(const char *text, size_t len, const cJSON *root, const char *path,
                          char **why)
{
	static const char *const top[] = {
		"name", "profiles", "token_file", "ca", "devices", NULL
	};
	static const char *const dev[] = { "name", "kind", "count", "agent", "triton",
		                           "shm",  "ca",   "wire",  NULL };
	const char *from = text;
	const cJSON *devs = cJSON_GetObjectItemCaseSensitive(root, "devices");
	for (int d = -1; d < (cJSON_IsArray(devs) ? cJSON_GetArraySize(devs) : 0); d++) {
		const cJSON *o = d < 0 ? root : cJSON_GetArrayItem(devs, d);
		const char *const *known = d < 0 ? top : dev;
		const cJSON *it;
		if (!cJSON_IsObject(o))
			continue;
		cJSON_ArrayForEach (it, o) {
			size_t k = 0;
			while (known[k] && strcmp(known[k], it->string))
				k++;
			if (known[k])
				continue;
			char list[160] = "", where[48] = "";
			for (k = 0; known[k]; k++)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				         k ? ", " : "", known[k]);
			if (d >= 0)
				snprintf(where, sizeof(where), "devices[%d].", d);
			int line = key_line(text, len, it->string, &from);
			if (!line) {
				from = text;
				line = key_line(text, len, it->string, &from);
			}
			return lv_fail(why, LV_EINVAL, "%s:%d: %s%.64s: unknown field (known: %s)",
			               path, line, where, it->string, list);
		}
	}
	return LV_OK;
}

struct lv_cluster *lv_cluster_parse(const char *text, size_t len, const char *path, char **why)
{
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!root) {
		int line, col;
		error_place(text, len, end ? end : cJSON_GetErrorPtr(), &line, &col);
		lv_fail(why, LV_EINVAL, "%s:%d:%d: not valid JSON", path, line, col);
		return NULL;
	}
	while (end && end < text + len &&
	       (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	if (end && end < text + len) {
		int line, col;
		error_place(text, len, end, &line, &col);
		lv_fail(why, LV_EINVAL, "%s:%d:%d: text after the JSON object", path, line, col);
		cJSON_Delete(root);
		return NULL;
	}
	if (cJSON_IsObject(root) && unknown_fields(text, len, root, path, why) != LV_OK) {
		cJSON_Delete(root);
		return NULL;
	}
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

struct lv_cluster *lv_cluster_load(const char *path, char **why)
{
	size_t len = 0;
	char *text = lv_read_file(path, &len, why);
	if (!text)
		return NULL;
	struct lv_cluster *c = lv_cluster_parse(text, len, path, why);
	free(text);
	return c;
}

int lv_cluster_build_costs(struct lv_cluster *c, enum lv_cost_mode mode, const char *predictor_path,
                           char **why)
{
	for (size_t k = 0; k < c->n_kinds; k++) /* before the predictor, which would not say why */
		if (lv_cost_check_measured(c->kinds[k].profile, why) != LV_OK)
			return LV_EINVAL;
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
	/* Devices whose wire format makes them preprocess on the board. */
	for (size_t i = 0; i < c->n_devices; i++) {
		struct lv_device *d = &c->devices[i];
		const struct lv_kind *kd = &c->kinds[d->kind];
		double l = 0, e = 0;
		lv_cost_table_free(d->cost_own);
		lv_cost_table_free(d->truth_own);
		d->cost_own = d->truth_own = NULL;
		lv_profile_preprocess(kd->profile, d->wire, &l, &e, NULL);
		if (l <= 0 && e <= 0)
			continue;
		d->cost_own = lv_cost_table_plus_frames(kd->cost, l, e);
		d->truth_own = lv_cost_table_plus_frames(kd->truth, l, e);
	}
	c->mode = mode;
	return LV_OK;
}
