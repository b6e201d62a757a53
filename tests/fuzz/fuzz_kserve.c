/*
 * fuzz_kserve: a KServe v2 infer request as the emulated agent receives it
 * (agents/agent_kserve.c): the body fed through the same accumulator the
 * HTTP layer uses (agent_body.c: JSON part kept, binary tensor bytes counted
 * and sampled), in two pieces, then parsed and checked for a model.
 *
 * Input: a first line "MODEL [HEADER_LEN]" — MODEL "inception" (Inception
 * v3: one FP32 input of 299x299x3) or anything else for a tiny model (FP32
 * [3] and UINT8 [2] in, FP32 [4] out; small enough for the fuzzer to build
 * valid batches), HEADER_LEN the Inference-Header-Content-Length, if any —
 * then the body. A shared memory region "r0" of 4096 bytes is registered
 * once, so requests may name it.
 *
 * Contract: a refused request is a 400 with a message; an accepted one
 * books 1..max_batch items, and every item is backed by bytes the request
 * carries: at least one byte per element of every input (a JSON number, a
 * binary element, or region bytes) — the soundness the skimmer once lacked
 * (a 122-byte request booked 64 Inception frames).
 */
#include "harness.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent.h"
#include "model/model_config.h"

static const char inception_config[] =
    "name: \"inception_graphdef\"\nplatform: \"tensorflow_graphdef\"\nmax_batch_size: 64\n"
    "input [{ name: \"input\" data_type: TYPE_FP32 format: FORMAT_NHWC dims: [299, 299, 3] }]\n"
    "output [{ name: \"InceptionV3/Predictions/Softmax\" data_type: TYPE_FP32 dims: [1001] "
    "}]\n";

static const char tiny_config[] =
    "name: \"tiny\"\nplatform: \"tensorflow_graphdef\"\nmax_batch_size: 64\n"
    "input [{ name: \"input\" data_type: TYPE_FP32 dims: [3] },\n"
    "       { name: \"mask\" data_type: TYPE_UINT8 dims: [2] }]\n"
    "output [{ name: \"probs\" data_type: TYPE_FP32 dims: [4] }]\n";

#define REGION_BYTES 4096

static struct lv_shm_table *shm; /* shared by both agents, kept for the process */

static void agent_init(struct lv_agent *a, const char *config, const char *name)
{
	char *why = NULL;
	memset(a, 0, sizeof(*a));
	a->models = calloc(1, sizeof(*a->models));
	if (!a->models)
		abort();
	a->n_models = 1;
	struct lv_agent_model *m = &a->models[0];
	if (lv_model_config_parse(config, name, &m->cfg, &why) != 0) {
		fprintf(stderr, "fuzz_kserve: %s\n", why);
		abort();
	}
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->max_batch = m->cfg.max_batch_size;
	m->sample_stride = lv_agent_sample_stride(&m->cfg);
	a->opt.max_body = (size_t)1 << 26;
	a->shm = shm;
}

/* A POSIX shared memory object, registered as "r0" and unlinked at once. */
static void region_init(struct lv_agent *a)
{
	char key[64];
	snprintf(key, sizeof(key), "/lv-fuzz-kserve-%d", (int)getpid());
	int fd = shm_open(key, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || ftruncate(fd, REGION_BYTES) != 0)
		abort();
	close(fd);
	char body[128];
	snprintf(body, sizeof(body), "{\"key\": \"%s\", \"byte_size\": %d}", key, REGION_BYTES);
	struct lv_request q = {
		.method = "POST", .body = body, .body_len = strlen(body), .arg = "r0"
	};
	struct lv_response r = { 0 };
	lv_shm_register(a, &q, &r);
	shm_unlink(key);
	if (r.status != 200)
		abort();
	free(r.body);
}

/* Bytes the request carries for the booked batch: body, binary part, held regions. */
static unsigned long long carried(const struct lv_request *q, const struct lv_infer_req *ir)
{
	unsigned long long n = q->body_len + q->binary_len;
	for (size_t k = 0; k < ir->n_shm; k++)
		n += ir->shm[k].byte_size;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lv_agent inception, tiny;
	static int ready;
	if (!ready) {
		shm = lv_shm_table_new();
		agent_init(&inception, inception_config, "inception_graphdef");
		agent_init(&tiny, tiny_config, "tiny");
		region_init(&tiny);
		ready = 1;
	}
	const uint8_t *nl = memchr(data, '\n', size);
	size_t head_len = nl ? (size_t)(nl - data) : size;
	char head[64];
	snprintf(head, sizeof(head), "%.*s", (int)(head_len < 63 ? head_len : 63),
	         (const char *)data);
	const char *body = nl ? (const char *)nl + 1 : "";
	size_t body_len = nl ? size - head_len - 1 : 0;
	struct lv_agent *a = !strncmp(head, "inception", 9) ? &inception : &tiny;
	const struct lv_agent_model *m = &a->models[0];
	const char *hl = strchr(head, ' ');

	struct lv_body b = { .limit = a->opt.max_body, .keep = 1, .stride = m->sample_stride };
	struct lv_response r = { 0 };
	struct lv_request q = { .method = "POST", .path = "/v2/models/m/infer", .arg = m->name };
	struct lv_infer_req ir = { 0 };
	char *copy = fuzz_bytes((const uint8_t *)body, body_len);
	if (hl && lv_body_header_len(&b, hl + 1, 1, body_len, &r) != 0) {
		fuzz_check(r.status == 400 && r.body, "a bad header length without a 400");
		goto out;
	}
	size_t cut = body_len ? (size_t)(unsigned char)copy[0] % (body_len + 1) : 0;
	lv_body_take(&b, copy, cut);
	lv_body_take(&b, copy + cut, body_len - cut);
	if (lv_body_finish(&b, &q, &r) != 0) {
		fuzz_check((r.status == 400 || r.status == 413) && r.body,
		           "a body refused without a 400 or 413");
		goto out;
	}
	fuzz_check(q.body_len + q.binary_len == body_len, "body bytes lost or invented");
	if (lv_kserve_parse(a, m, &q, &ir, &r) != 0) {
		fuzz_check(r.status == 400 && r.body && r.len > 0,
		           "a refusal without a 400 message");
		goto out;
	}
	fuzz_check(ir.batch >= 1 && ir.batch <= m->max_batch, "a batch outside 1..max_batch");
	fuzz_check(ir.n_out <= LV_MC_MAX_TENSORS, "too many outputs");
	unsigned long long per_item = 0;
	for (size_t i = 0; i < m->cfg.n_inputs; i++)
		per_item += (unsigned long long)lv_model_tensor_elements(&m->cfg.inputs[i]);
	fuzz_check(carried(&q, &ir) >= (unsigned long long)ir.batch * per_item,
	           "a batch booked that the request does not carry");
	if (ir.in_binary)
		fuzz_check(ir.in_binary_at < q.binary_len, "the first input starts past the body");
out:
	lv_kserve_req_fini(a, &ir);
	lv_body_fini(&b);
	free(r.body);
	free(copy);
	return 0;
}
