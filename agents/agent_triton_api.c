/*
 * agent_triton_api: the parts of Triton's HTTP API beyond plain KServe v2
 * that clients such as tritonclient and perf_analyzer use, for the
 * emulated endpoint —
 *
 *   - versions: the model is served at one version, the latest numbered
 *     directory beside its config.pbtxt (Triton's default version policy,
 *     latest 1), or 1 when the repository holds none (configurations only).
 *     /versions/<v> answers only that one: another number is 404, text that
 *     is not a number 400, as Triton answers them;
 *   - GET /v2/models/<m>/config: the configuration as Triton returns it,
 *     the JSON form of the ModelConfig message with the defaults Triton
 *     fills in, built from config.pbtxt;
 *   - GET /v2/models[/<m>]/stats: the statistics extension, counted from
 *     the requests this agent served (lv_triton_stats_record, called by
 *     agent_triton.c for every infer that named the model);
 *   - the classification output parameter: an output's top k classes as
 *     BYTES strings "score:index" ("score:index:label" with label_filename).
 *
 * Everything here reads the agent's model as agent_main.c loaded it; the
 * statistics are the only state that changes, under their own lock.
 */
#include "agent.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/file.h"
#include "base/util.h"

#define LABELS_MAX_BYTES (16u << 20)

/* What Triton fills in from "platform": the backend, and the model file a version holds. */
static const struct platform {
	const char *platform, *backend, *file;
} platforms[] = {
	{ "tensorflow_graphdef", "tensorflow", "model.graphdef" },
	{ "tensorflow_savedmodel", "tensorflow", "model.savedmodel" },
	{ "tensorrt_plan", "tensorrt", "model.plan" },
	{ "onnxruntime_onnx", "onnxruntime", "model.onnx" },
	{ "pytorch_libtorch", "pytorch", "model.pt" },
	{ "ensemble", "", "" },
};

static const struct platform *platform_of(const char *name)
{
	static const struct platform none = { "", "", "" };
	for (size_t i = 0; i < sizeof(platforms) / sizeof(platforms[0]); i++)
		if (!strcmp(name, platforms[i].platform))
			return &platforms[i];
	return &none;
}

/* ---- versions ---------------------------------------------------------------------- */

const struct lv_agent_model *lv_agent_model_find(const struct lv_agent *a, const char *name)
{
	for (size_t i = 0; name && i < a->n_models; i++)
		if (!strcmp(a->models[i].name, name))
			return &a->models[i];
	return NULL;
}

const struct lv_agent_model *lv_triton_model_check(struct lv_agent *a, const struct lv_request *q,
                                                   struct lv_response *r)
{
	long v;
	const char *ver = q->version ? q->version : "";
	const struct lv_agent_model *m = lv_agent_model_find(a, q->arg);
	if (!m) {
		lv_respond_error(r, 404, "Request for unknown model: '%s' is not found", q->arg);
		return NULL;
	}
	if (m->unavailable) {
		lv_respond_error(r, 400,
		                 "Request for unknown model: '%s' has no available versions (not "
		                 "loaded: %s)",
		                 m->name, m->unavailable);
		return NULL;
	}
	if (!ver[0])
		return m;
	if (lv_parse_long(ver, &v) != 0 || v < 0) {
		lv_respond_error(
		    r, 400, "failed to get model version from specified version string '%s'", ver);
		return NULL;
	}
	if (v != m->version) {
		lv_respond_error(r, 404,
		                 "Request for unknown model: '%s' version %ld is not found (it is "
		                 "served at version %lld)",
		                 m->name, v, m->version);
		return NULL;
	}
	return m;
}

/* The highest version directory under dir (names of digits only), or 1 when there is none. */
static long long latest_version(const char *dir)
{
	long long best = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d)
		return 1;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (n == 0 || n > 18 || strspn(e->d_name, "0123456789") != n)
			continue;
		char *p = lv_path_join(dir, e->d_name);
		struct stat st;
		long long v = atoll(e->d_name);
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode) && v > best)
			best = v;
		free(p);
	}
	closedir(d);
	return best > 0 ? best : 1;
}

/* Output i's labels from file `name` beside config.pbtxt, one a line. */
static int load_labels(struct lv_agent_model *m, size_t i, const char *dir, const char *name,
                       char **why)
{
	if (strchr(name, '/') || !strcmp(name, "..") || !strcmp(name, "."))
		return lv_fail(why, LV_EINVAL,
		               "%s/config.pbtxt: output '%s': label_filename '%s' must name a file "
		               "in the model's directory",
		               dir, m->cfg.outputs[i].name, name);
	char *path = lv_path_join(dir, name);
	size_t len = 0;
	char *text = lv_read_file(path, &len, why);
	int rc = 0;
	if (!text) {
		rc = LV_EIO;
		goto out;
	}
	if (len > LABELS_MAX_BYTES) {
		rc = lv_fail(why, LV_EINVAL, "%s: %zu bytes, more than labels take (at most %u)",
		             path, len, LABELS_MAX_BYTES);
		goto out;
	}
	char *cur = text, *line;
	size_t cap = 0;
	while ((line = lv_line_next(&cur, text + len)) != NULL) {
		line[strcspn(line, "\r")] = '\0';
		if (m->n_labels[i] == cap) {
			cap = cap ? cap * 2 : 64;
			m->labels[i] = lv_xrealloc(m->labels[i], cap * sizeof(char *));
		}
		m->labels[i][m->n_labels[i]++] = lv_xstrdup(line);
	}
out:
	free(text);
	free(path);
	return rc;
}

/*
 * Whether the version directory holds the model file Triton's backend would
 * load (the platform's default_model_filename); else m->unavailable gets the
 * reason Triton's repository index would give. A repository with no version
 * directory at all (configurations only, as shipped) is emulated as loaded.
 */
static void check_weights(struct lv_agent_model *m, const char *model_dir)
{
	const char *file = platform_of(m->cfg.platform)->file;
	char ver[32];
	struct stat st;
	snprintf(ver, sizeof(ver), "%lld", m->version);
	char *vdir = lv_path_join(model_dir, ver);
	char *path = lv_path_join(vdir, file);
	if (file[0] && stat(vdir, &st) == 0 && stat(path, &st) != 0)
		m->unavailable = lv_xasprintf("failed to load '%s' version %lld: Not found: unable "
		                              "to find '%s' for model '%s'",
		                              m->name, m->version, path, m->name);
	free(path);
	free(vdir);
}

int lv_triton_model_load(struct lv_agent_model *m, const char *model_dir, char **why)
{
	m->version = latest_version(model_dir);
	check_weights(m, model_dir);
	for (size_t i = 0; i < m->cfg.n_outputs; i++) {
		const char *name = m->cfg.outputs[i].label_filename;
		if (name[0] && load_labels(m, i, model_dir, name, why) != 0)
			return LV_EINVAL;
	}
	return 0;
}

/* ---- statistics -------------------------------------------------------------------- */

struct duration {
	unsigned long long count, ns;
};

struct batch_stat {
	struct duration input, infer, output;
};

struct lv_triton_stats {
	pthread_mutex_t lock;
	unsigned long long last_inference_ms; /* Unix ms; 0: none yet */
	unsigned long long inference_count;   /* batch items served */
	unsigned long long execution_count;   /* batches run */
	struct duration success, fail, queue, input, infer, output;
	int max_batch;
	struct batch_stat *batch; /* [max_batch + 1], by batch size */
};

struct lv_triton_stats *lv_triton_stats_new(int max_batch)
{
	struct lv_triton_stats *s = lv_xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->max_batch = max_batch > 0 ? max_batch : 1;
	s->batch = lv_xcalloc((size_t)s->max_batch + 1, sizeof(*s->batch));
	return s;
}

static void stats_free(struct lv_triton_stats *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s->batch);
	free(s);
}

void lv_triton_model_fini(struct lv_agent *a)
{
	for (size_t m = 0; m < a->n_models; m++) {
		struct lv_agent_model *x = &a->models[m];
		for (size_t i = 0; i < LV_MC_MAX_TENSORS; i++) {
			for (size_t k = 0; k < x->n_labels[i]; k++)
				free(x->labels[i][k]);
			free(x->labels[i]);
		}
		stats_free(x->stats);
		free(x->unavailable);
	}
	free(a->models);
	a->models = NULL;
	a->n_models = 0;
}

static void add(struct duration *d, double s)
{
	d->count++;
	d->ns += s > 0 ? (unsigned long long)(s * 1e9 + 0.5) : 0;
}

void lv_triton_stats_record(struct lv_triton_stats *s, int ok, int batch, double input_s,
                            double queue_s, double infer_s, double output_s, double total_s)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	pthread_mutex_lock(&s->lock);
	s->last_inference_ms =
	    (unsigned long long)now.tv_sec * 1000ULL + (unsigned long long)now.tv_nsec / 1000000ULL;
	if (!ok) {
		add(&s->fail, total_s);
		pthread_mutex_unlock(&s->lock);
		return;
	}
	add(&s->success, total_s);
	add(&s->queue, queue_s);
	add(&s->input, input_s);
	add(&s->infer, infer_s);
	add(&s->output, output_s);
	s->inference_count += (unsigned long long)batch;
	s->execution_count++;
	if (batch >= 1 && batch <= s->max_batch) {
		struct batch_stat *b = &s->batch[batch];
		add(&b->input, input_s);
		add(&b->infer, infer_s);
		add(&b->output, output_s);
	}
	pthread_mutex_unlock(&s->lock);
}

static void put_duration(struct lv_buf *b, const char *name, const struct duration *d)
{
	lv_buf_printf(b, "\"%s\":{\"count\":%llu,\"ns\":%llu}", name, d->count, d->ns);
}

static void model_stat(const struct lv_agent_model *m, struct lv_buf *b)
{
	struct lv_triton_stats *s = m->stats;
	pthread_mutex_lock(&s->lock);
	lv_buf_printf(b, "{\"name\":");
	lv_buf_json_string(b, m->name);
	lv_buf_printf(b,
	              ",\"version\":\"%lld\",\"last_inference\":%llu,\"inference_count\":%llu,"
	              "\"execution_count\":%llu,\"inference_stats\":{",
	              m->version, s->last_inference_ms, s->inference_count, s->execution_count);
	static const struct duration none = { 0, 0 }; /* no response cache */
	const struct {
		const char *name;
		const struct duration *d;
	} durs[] = {
		{ "success", &s->success },     { "fail", &s->fail },
		{ "queue", &s->queue },         { "compute_input", &s->input },
		{ "compute_infer", &s->infer }, { "compute_output", &s->output },
		{ "cache_hit", &none },         { "cache_miss", &none },
	};
	for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
		if (i)
			lv_buf_printf(b, ",");
		put_duration(b, durs[i].name, durs[i].d);
	}
	lv_buf_printf(b, "},\"batch_stats\":[");
	int first = 1;
	for (int k = 1; k <= s->max_batch; k++) {
		const struct batch_stat *bs = &s->batch[k];
		if (bs->infer.count == 0)
			continue;
		lv_buf_printf(b, "%s{\"batch_size\":%d,", first ? "" : ",", k);
		put_duration(b, "compute_input", &bs->input);
		lv_buf_printf(b, ",");
		put_duration(b, "compute_infer", &bs->infer);
		lv_buf_printf(b, ",");
		put_duration(b, "compute_output", &bs->output);
		lv_buf_printf(b, "}");
		first = 0;
	}
	lv_buf_printf(b, "],\"memory_usage\":[]}");
	pthread_mutex_unlock(&s->lock);
}

void lv_triton_model_stats(struct lv_agent *a, const struct lv_request *q, struct lv_response *r)
{
	struct lv_buf b = { 0 };
	const struct lv_agent_model *one = NULL;
	if (q->arg[0] && !(one = lv_triton_model_check(a, q, r)))
		return;
	lv_buf_printf(&b, "{\"model_stats\":[");
	for (size_t i = 0, n = 0; i < a->n_models; i++) {
		const struct lv_agent_model *m = &a->models[i];
		if ((one && m != one) || !m->stats)
			continue;
		lv_buf_printf(&b, n++ ? "," : "");
		model_stat(m, &b);
	}
	lv_buf_printf(&b, "]}");
	lv_respond_json(r, 200, lv_buf_take(&b, NULL));
}

/* ---- the repository index ------------------------------------------------------ */

void lv_triton_repo_index(struct lv_agent *a, const struct lv_request *q, struct lv_response *r)
{
	struct lv_buf b = { 0 };
	(void)q;
	lv_buf_printf(&b, "[");
	for (size_t i = 0; i < a->n_models; i++) {
		const struct lv_agent_model *m = &a->models[i];
		lv_buf_printf(&b, "%s{\"name\":", i ? "," : "");
		lv_buf_json_string(&b, m->name);
		lv_buf_printf(&b, ",\"version\":\"%lld\",\"state\":\"%s\"", m->version,
		              m->unavailable ? "UNAVAILABLE" : "READY");
		if (m->unavailable) {
			lv_buf_printf(&b, ",\"reason\":");
			lv_buf_json_string(&b, m->unavailable);
		}
		lv_buf_printf(&b, "}");
	}
	lv_buf_printf(&b, "]");
	lv_respond_json(r, 200, lv_buf_take(&b, NULL));
}

/* ---- the model configuration ----------------------------------------------------- */

/* "FP32" → "TYPE_FP32", "BYTES" → "TYPE_STRING", as config.pbtxt spells them. */
static void config_type(char *out, size_t size, const char *datatype)
{
	snprintf(out, size, "TYPE_%s", !strcmp(datatype, "BYTES") ? "STRING" : datatype);
}

static cJSON *tensor_config(const struct lv_model_tensor *t, int input)
{
	char dt[32];
	cJSON *o = cJSON_CreateObject(), *dims = cJSON_CreateArray();
	cJSON_AddStringToObject(o, "name", t->name);
	config_type(dt, sizeof(dt), t->datatype);
	cJSON_AddStringToObject(o, "data_type", dt);
	if (input)
		cJSON_AddStringToObject(o, "format", t->format[0] ? t->format : "FORMAT_NONE");
	for (int d = 0; d < t->n_dims; d++)
		cJSON_AddItemToArray(dims, cJSON_CreateNumber((double)t->dims[d]));
	cJSON_AddItemToObject(o, "dims", dims);
	if (input) {
		cJSON_AddBoolToObject(o, "is_shape_tensor", 0);
		cJSON_AddBoolToObject(o, "allow_ragged_batch", 0);
		cJSON_AddBoolToObject(o, "optional", 0);
	} else {
		cJSON_AddStringToObject(o, "label_filename", t->label_filename);
		cJSON_AddBoolToObject(o, "is_shape_tensor", 0);
	}
	return o;
}

void lv_triton_model_config(struct lv_agent *a, const struct lv_request *q, struct lv_response *r)
{
	const struct lv_agent_model *am = lv_triton_model_check(a, q, r);
	if (!am)
		return;
	const struct lv_model_config *m = &am->cfg;
	cJSON *c = cJSON_CreateObject(), *in = cJSON_CreateArray(), *out = cJSON_CreateArray();
	cJSON *ig = cJSON_CreateArray(), *g = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "name", am->name);
	cJSON_AddStringToObject(c, "platform", m->platform);
	cJSON_AddStringToObject(c, "backend", platform_of(m->platform)->backend);
	cJSON *policy = cJSON_AddObjectToObject(c, "version_policy");
	cJSON_AddNumberToObject(cJSON_AddObjectToObject(policy, "latest"), "num_versions", 1);
	cJSON_AddNumberToObject(c, "max_batch_size", m->max_batch_size);
	for (size_t i = 0; i < m->n_inputs; i++)
		cJSON_AddItemToArray(in, tensor_config(&m->inputs[i], 1));
	for (size_t i = 0; i < m->n_outputs; i++)
		cJSON_AddItemToArray(out, tensor_config(&m->outputs[i], 0));
	cJSON_AddItemToObject(c, "input", in);
	cJSON_AddItemToObject(c, "output", out);
	cJSON_AddItemToObject(c, "batch_input", cJSON_CreateArray());
	cJSON_AddItemToObject(c, "batch_output", cJSON_CreateArray());
	if (m->dynamic_batching)
		cJSON_AddObjectToObject(c, "dynamic_batching");
	const char *kind = m->instance_kind[0] ? m->instance_kind : "KIND_GPU";
	cJSON_AddStringToObject(g, "name", am->name);
	cJSON_AddStringToObject(g, "kind", kind);
	cJSON_AddNumberToObject(g, "count", m->instance_count > 0 ? m->instance_count : 1);
	cJSON *gpus = cJSON_AddArrayToObject(g, "gpus");
	if (!strcmp(kind, "KIND_GPU"))
		cJSON_AddItemToArray(gpus, cJSON_CreateNumber(0)); /* a Jetson has one */
	cJSON_AddItemToArray(ig, g);
	cJSON_AddItemToObject(c, "instance_group", ig);
	cJSON_AddStringToObject(c, "default_model_filename", platform_of(m->platform)->file);
	cJSON_AddObjectToObject(c, "cc_model_filenames");
	cJSON_AddObjectToObject(c, "metric_tags");
	cJSON_AddObjectToObject(c, "parameters");
	cJSON_AddItemToObject(c, "model_warmup", cJSON_CreateArray());
	lv_respond_json(r, 200, cJSON_PrintUnformatted(c));
	cJSON_Delete(c);
}

/* ---- classification ---------------------------------------------------------------- */

struct ranked {
	float score;
	size_t index;
};

static int by_score(const void *x, const void *y)
{
	const struct ranked *p = x, *q = y;
	if (p->score != q->score)
		return p->score < q->score ? 1 : -1;
	return p->index < q->index ? -1 : p->index > q->index;
}

void lv_triton_classify(const struct lv_agent_model *m, int output, const float *v, int batch,
                        size_t row, int k, int binary, struct lv_buf *out, int *k_out)
{
	struct ranked *rk = lv_xmalloc((row ? row : 1) * sizeof(*rk));
	size_t kk = (size_t)k < row ? (size_t)k : row;
	char **labels = m->labels[output];
	size_t n_labels = m->n_labels[output];
	int first = 1;
	if (!binary)
		lv_buf_printf(out, "[");
	for (int b = 0; b < batch; b++) {
		for (size_t j = 0; j < row; j++)
			rk[j] = (struct ranked){ .score = v[(size_t)b * row + j], .index = j };
		qsort(rk, row, sizeof(*rk), by_score);
		for (size_t j = 0; j < kk; j++) {
			/* Triton formats the score as std::to_string does: "%f". */
			char *s = rk[j].index < n_labels
			              ? lv_xasprintf("%f:%zu:%s", (double)rk[j].score, rk[j].index,
			                             labels[rk[j].index])
			              : lv_xasprintf("%f:%zu", (double)rk[j].score, rk[j].index);
			if (binary) {
				size_t n = strlen(s);
				unsigned char len[4] = { (unsigned char)n, (unsigned char)(n >> 8),
					                 (unsigned char)(n >> 16),
					                 (unsigned char)(n >> 24) };
				lv_buf_append(out, len, 4);
				lv_buf_append(out, s, n);
			} else {
				lv_buf_printf(out, first ? "" : ",");
				lv_buf_json_string(out, s);
			}
			first = 0;
			free(s);
		}
	}
	if (!binary)
		lv_buf_printf(out, "]");
	free(rk);
	*k_out = (int)kk;
}
