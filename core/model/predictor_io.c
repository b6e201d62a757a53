/*
 * predictor_io: the model file. One JSON envelope holds both boosters:
 *
 *   {"format": "loudva-predictor", "version": 1,
 *    "fingerprint": "<16 hex digits>",      training profiles, see predictor.c
 *    "target": "log", "features": [...],     documentation of the recipe
 *    "latency_model": "<base64>", "latency_model_fnv1a": "<16 hex digits>",
 *    "energy_model": "<base64>",  "energy_model_fnv1a": "<16 hex digits>"}
 *
 * Each model is XGBoost's own UBJSON serialisation (XGBoosterSaveModelToBuffer
 * with format "ubj"), base64-encoded. We embed the bytes rather than the JSON
 * tree so that a save/load round trip reproduces the model bit for bit: going
 * through a JSON parser turns XGBoost's float32 leaf values into doubles and
 * back, which is almost but not provably exact. The FNV-1a of each model's
 * bytes is checked before the bytes reach XGBoost, so a corrupt file is
 * reported by us, naming the file and the field, and XGBoost's parser never
 * sees damaged input. Saving is atomic (lv_write_file_atomic) and creates
 * missing parent directories (the default cache lives in profiles/.cache/).
 */
#include "predictor.h"
#include "predictor_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "base/file.h"
#include "base/util.h"

#define FORMAT_NAME "loudva-predictor"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard base64 with '=' padding. Caller frees. */
static char *b64_encode(const unsigned char *in, size_t n)
{
	size_t outlen = 4 * ((n + 2) / 3);
	char *out = lv_xmalloc(outlen + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = b64_alphabet[(v >> 18) & 63];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64_alphabet[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64_alphabet, c) : NULL;
	return p ? (int)(p - b64_alphabet) : -1;
}

/*
 * Strict decoding: length a multiple of 4, only alphabet characters, '=' only
 * as the last one or two. Returns the bytes (caller frees) or NULL with
 * *bad_at set to the offending offset.
 */
static unsigned char *b64_decode(const char *in, size_t *n_out, size_t *bad_at)
{
	size_t len = strlen(in);
	if (len == 0 || len % 4 != 0) {
		*bad_at = len;
		return NULL;
	}
	size_t pad = (in[len - 1] == '=') + (in[len - 2] == '=');
	unsigned char *out = lv_xmalloc(len / 4 * 3);
	size_t o = 0;
	for (size_t i = 0; i < len; i += 4) {
		uint32_t v = 0;
		for (size_t j = 0; j < 4; j++) {
			int d = 0;
			if (i + j >= len - pad)
				d = in[i + j] == '=' ? 0 : -1;
			else
				d = b64_value(in[i + j]);
			if (d < 0) {
				*bad_at = i + j;
				free(out);
				return NULL;
			}
			v = v << 6 | (uint32_t)d;
		}
		out[o++] = (unsigned char)(v >> 16);
		out[o++] = (unsigned char)(v >> 8);
		out[o++] = (unsigned char)v;
	}
	*n_out = o - pad;
	return out;
}

static void add_hex(cJSON *obj, const char *key, uint64_t v)
{
	char hex[17];
	snprintf(hex, sizeof hex, "%016" PRIx64, v);
	cJSON_AddStringToObject(obj, key, hex);
}

/* Adds "<name>_model" and "<name>_model_fnv1a" for one booster. */
static int add_model(cJSON *root, BoosterHandle b, const char *name, char **why)
{
	bst_ulong len = 0;
	const char *buf = NULL;
	char key[48];

	if (XGBoosterSaveModelToBuffer(b, "{\"format\":\"ubj\"}", &len, &buf) != 0)
		return lv_pred_xgb_fail(why, "serialising a booster");
	char *b64 = b64_encode((const unsigned char *)buf, len);
	snprintf(key, sizeof key, "%s_model", name);
	cJSON_AddStringToObject(root, key, b64);
	free(b64);
	snprintf(key, sizeof key, "%s_model_fnv1a", name);
	add_hex(root, key, lv_pred_fnv1a_bytes(buf, len));
	return LV_OK;
}

/* mkdir -p of path's directory part. 0 or LV_EIO. */
static int make_parent_dirs(const char *path, char **why)
{
	char *dir = lv_path_dirname(path);
	int rc = LV_OK;
	for (char *s = dir + 1;; s++) {
		char c = *s;
		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
			rc = lv_fail(why, LV_EIO, "%s: cannot create directory %s: %s", path, dir,
			             strerror(errno));
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(dir);
	return rc;
}

int lv_predictor_save(const struct lv_predictor *p, const char *path, char **why)
{
	static const char *const feature_names[LV_PRED_NFEATURES] = {
		"batch",      "gpu_freq_hz", "gpu_max_mhz", "gpu_min_mhz",
		"cuda_cores", "mem_bw_gbs",  "mem_gb",      "tensor_cores",
	};
	cJSON *root = cJSON_CreateObject();
	char *text = NULL;
	int rc = LV_ELIB;

	cJSON_AddStringToObject(root, "format", FORMAT_NAME);
	cJSON_AddNumberToObject(root, "version", LV_PRED_FORMAT_VERSION);
	add_hex(root, "fingerprint", p->fingerprint);
	cJSON_AddStringToObject(root, "target", "log");
	cJSON_AddItemToObject(root, "features",
	                      cJSON_CreateStringArray(feature_names, LV_PRED_NFEATURES));
	for (int t = 0; t < LV_PRED_NTARGETS; t++) {
		rc = add_model(root, p->booster[t], lv_pred_target_names[t], why);
		if (rc != LV_OK)
			goto out;
	}
	text = cJSON_Print(root);
	if (!text) {
		rc = lv_fail(why, LV_ELIB, "%s: cannot serialise the model envelope", path);
		goto out;
	}
	rc = make_parent_dirs(path, why);
	if (rc != LV_OK)
		goto out;
	rc = lv_write_file_atomic(path, text, strlen(text), why);
out:
	cJSON_free(text);
	cJSON_Delete(root);
	return rc;
}

/* Parses a 16-hex-digit field. 0 or LV_EINVAL. */
static int get_hex(const cJSON *root, const char *key, const char *path, uint64_t *out, char **why)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, key);
	const char *s = cJSON_GetStringValue(it);
	char *end = NULL;
	if (!s || strlen(s) != 16 || strspn(s, "0123456789abcdefABCDEF") != 16)
		return lv_fail(why, LV_EINVAL, "%s: field \"%s\": missing or not 16 hex digits",
		               path, key);
	*out = (uint64_t)strtoull(s, &end, 16);
	return LV_OK;
}

/* Decodes "<key>" and checks it against "<key>_fnv1a": the bytes (caller frees) or NULL. */
static unsigned char *model_bytes(const cJSON *root, const char *key, const char *path, size_t *n,
                                  char **why)
{
	char hkey[64];
	size_t bad_at = 0;
	uint64_t want = 0;

	snprintf(hkey, sizeof hkey, "%s_fnv1a", key);
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, key));
	if (!s) {
		lv_fail(why, LV_EINVAL, "%s: field \"%s\": missing or not a string", path, key);
		return NULL;
	}
	if (get_hex(root, hkey, path, &want, why) != LV_OK)
		return NULL;
	unsigned char *bytes = b64_decode(s, n, &bad_at);
	if (!bytes) {
		lv_fail(why, LV_EINVAL, "%s: field \"%s\": not valid base64 (at character %zu)",
		        path, key, bad_at);
		return NULL;
	}
	if (lv_pred_fnv1a_bytes(bytes, *n) != want) {
		lv_fail(why, LV_EINVAL, "%s: field \"%s\": checksum mismatch (file corrupt)", path,
		        key);
		free(bytes);
		return NULL;
	}
	return bytes;
}

/* Decodes, verifies and loads "<name>_model" into a new booster; NULL with *why. */
static BoosterHandle load_model(const cJSON *root, const char *name, const char *path, char **why)
{
	char key[48];
	size_t n = 0;
	bst_ulong nfeat = 0;

	snprintf(key, sizeof key, "%s_model", name);
	unsigned char *bytes = model_bytes(root, key, path, &n, why);
	if (!bytes)
		return NULL;
	BoosterHandle b = lv_pred_booster_new(NULL, 0, why);
	int rc = b ? LV_OK : LV_ELIB;
	if (rc == LV_OK && XGBoosterLoadModelFromBuffer(b, bytes, n) != 0)
		rc = lv_fail(why, LV_ELIB, "%s: field \"%s\": XGBoost cannot load it: %s", path,
		             key, XGBGetLastError());
	if (rc == LV_OK && (XGBoosterGetNumFeature(b, &nfeat) != 0 || nfeat != LV_PRED_NFEATURES))
		rc = lv_fail(why, LV_EINVAL, "%s: field \"%s\": model has %llu features, want %d",
		             path, key, (unsigned long long)nfeat, LV_PRED_NFEATURES);
	free(bytes);
	return lv_pred_booster_keep(b, rc);
}

static int check_envelope(const cJSON *root, const char *path, char **why)
{
	if (!cJSON_IsObject(root))
		return lv_fail(why, LV_EINVAL, "%s: not a JSON object", path);
	const char *fmt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "format"));
	if (!fmt || strcmp(fmt, FORMAT_NAME) != 0)
		return lv_fail(why, LV_EINVAL, "%s: field \"format\": want \"%s\"", path,
		               FORMAT_NAME);
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (!cJSON_IsNumber(ver) || ver->valuedouble != LV_PRED_FORMAT_VERSION)
		return lv_fail(why, LV_EINVAL, "%s: field \"version\": want %d", path,
		               LV_PRED_FORMAT_VERSION);
	const char *tgt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "target"));
	if (!tgt || strcmp(tgt, "log") != 0)
		return lv_fail(why, LV_EINVAL, "%s: field \"target\": want \"log\"", path);
	return LV_OK;
}

struct lv_predictor *lv_predictor_load(const char *path, char **why)
{
	size_t len = 0;
	char *text = lv_read_file(path, &len, why);
	cJSON *root = NULL;
	struct lv_predictor *p = NULL;
	int rc = LV_EINVAL;

	if (!text)
		return NULL;
	root = cJSON_ParseWithLength(text, len);
	if (!root) {
		const char *at = cJSON_GetErrorPtr();
		long off = at && at >= text && at <= text + len ? (long)(at - text) : -1;
		lv_fail(why, LV_EINVAL, "%s: not valid JSON (truncated or corrupt?) near byte %ld",
		        path, off);
		goto out;
	}
	if (check_envelope(root, path, why) != LV_OK)
		goto out;
	p = lv_xcalloc(1, sizeof *p);
	if (get_hex(root, "fingerprint", path, &p->fingerprint, why) != LV_OK)
		goto out;
	for (int t = 0; t < LV_PRED_NTARGETS; t++) {
		p->booster[t] = load_model(root, lv_pred_target_names[t], path, why);
		if (!p->booster[t])
			goto out;
	}
	rc = LV_OK;
out:
	cJSON_Delete(root);
	free(text);
	return lv_pred_keep(p, rc);
}
