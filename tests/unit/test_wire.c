/*
 * test_wire: the wire formats (core/model/wire.h) below the live path —
 * the model repository's ensembles as the model_config reader sees them,
 * the uint8 pixels against the FP32 tensor of the same frame, the
 * emulated Triton's check of a BYTES input (agents/agent_jpeg.c), the
 * profile's preprocessing term (estimate, measured, written back, refused
 * when malformed) and the per-device costs it makes.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "front/image.h"
#include "model/cluster.h"
#include "model/cost.h"
#include "model/ctlmodel.h"
#include "model/model_config.h"
#include "model/profile.h"
#include "model/wire.h"
#include "base/file.h"
#include "base/util.h"

/* Every model of the repository reads; the ensembles name their steps and take their format. */
static void test_repository_configs(void **st)
{
	(void)st;
	static const struct {
		const char *dir, *platform, *backend, *in_type;
		size_t steps;
	} want[] = {
		{ "inception_graphdef", "tensorflow_graphdef", "", "FP32", 0 },
		{ "inception_graphdef_uint8", "ensemble", "", "UINT8", 2 },
		{ "inception_graphdef_jpeg", "ensemble", "", "BYTES", 2 },
		{ "preprocess_uint8", "", "python", "UINT8", 0 },
		{ "preprocess_jpeg", "", "python", "BYTES", 0 },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char path[256], *why = NULL;
		struct lv_model_config c;
		snprintf(path, sizeof(path), "model_repository/%s/config.pbtxt", want[i].dir);
		assert_int_equal(lv_model_config_load(path, &c, &why), 0);
		assert_string_equal(c.name, want[i].dir);
		assert_string_equal(c.platform, want[i].platform);
		assert_string_equal(c.backend, want[i].backend);
		assert_string_equal(c.inputs[0].datatype, want[i].in_type);
		assert_int_equal(c.n_steps, want[i].steps);
		assert_int_equal(c.max_batch_size, 64);
		if (want[i].steps) {
			/* The preprocessing model, then the model itself; the model's own output.
			 */
			assert_string_equal(c.inputs[0].name, LV_WIRE_INPUT);
			assert_string_equal(c.steps[1].model_name, "inception_graphdef");
			assert_string_equal(c.outputs[0].name, "InceptionV3/Predictions/Softmax");
			assert_string_equal(c.steps[0].model_name, c.inputs[0].datatype[0] == 'U'
			                                               ? "preprocess_uint8"
			                                               : "preprocess_jpeg");
		}
	}
	char *why = NULL;
	struct lv_model_config c;
	assert_int_equal(
	    lv_model_config_parse("platform: \"ensemble\"\n"
	                          "input { name: \"a\" data_type: TYPE_UINT8 dims: 1 }\n"
	                          "output { name: \"b\" data_type: TYPE_FP32 dims: 1 }\n",
	                          "e.pbtxt", &c, &why),
	    LV_EINVAL);
	assert_string_equal(why, "e.pbtxt: platform \"ensemble\" but no ensemble_scheduling step");
	free(why);
	why = NULL;
	assert_int_equal(
	    lv_model_config_parse("input { name: \"a\" data_type: TYPE_UINT8 dims: 1 }\n"
	                          "output { name: \"b\" data_type: TYPE_FP32 dims: 1 }\n"
	                          "ensemble_scheduling { step [ { model_version: 1 } ] }",
	                          "e.pbtxt", &c, &why),
	    LV_EINVAL);
	assert_string_equal(why, "e.pbtxt: ensemble_scheduling.step[0]: missing model_name");
	free(why);
}

/* The uint8 pixels are the FP32 tensor's values before scaling, to the nearest byte. */
static void test_pixels_match_tensor(void **st)
{
	(void)st;
	const struct lv_model_info m = { .name = "m", .height = 299, .width = 299, .channels = 3 };
	const size_t n = 299 * 299 * 3;
	uint8_t *px = lv_xmalloc(640 * 480 * 3), *u8 = lv_xmalloc(n), *u8b = lv_xmalloc(n);
	float *f = lv_xmalloc(n * sizeof(float));
	size_t len = 0;
	char *why = NULL;
	lv_image_synth(px, 640, 480, 7);
	unsigned char *jpg = lv_image_encode_jpeg(px, 640, 480, 90, 1, &len, &why);
	assert_non_null(jpg);
	assert_int_equal(lv_image_prepare(jpg, len, &m, f, u8, &why), 0);
	assert_int_equal(lv_image_prepare(jpg, len, &m, NULL, u8b, &why), 0);
	assert_memory_equal(u8, u8b, n); /* the same whether or not FP32 is made too */
	for (size_t k = 0; k < n; k++) {
		double v = ((double)f[k] + 1.0) * 127.5; /* the device's x / 127.5 - 1, undone */
		assert_true(fabs(v - u8[k]) <= 0.5 + 1e-3);
	}
	free(jpg);
	free(px);
	free(u8);
	free(u8b);
	free(f);
}

/* Length-prefixed elements, as KServe's BYTES binary encoding. */
static unsigned char *elements(const unsigned char *const *v, const size_t *len, size_t n,
                               size_t *out_len)
{
	size_t total = 0, at = 0;
	for (size_t i = 0; i < n; i++)
		total += 4 + len[i];
	unsigned char *b = lv_xmalloc(total);
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 4; k++)
			b[at++] = (unsigned char)(len[i] >> (8 * k));
		memcpy(b + at, v[i], len[i]);
		at += len[i];
	}
	*out_len = total;
	return b;
}

/* The emulated Triton decodes every element and names the one that is wrong. */
static void test_agent_jpeg_check(void **st)
{
	(void)st;
	uint8_t *px = lv_xmalloc(64 * 48 * 3);
	size_t len = 0, n = 0;
	char why[256];
	lv_image_synth(px, 64, 48, 3);
	unsigned char *jpg = lv_image_encode_jpeg(px, 64, 48, 90, 1, &len, NULL);
	const unsigned char *v[2] = { jpg, jpg };
	size_t l[2] = { len, len };
	unsigned char *b = elements(v, l, 2, &n);
	assert_int_equal(lv_agent_jpeg_check(b, n, 2, why, sizeof(why)), 0);
	assert_int_equal(lv_agent_jpeg_check(b, n, 1, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "bytes after the 1 elements of the shape"));
	assert_int_equal(lv_agent_jpeg_check(b, n, 3, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "element 2: no 4-byte length"));
	free(b);
	l[1] = len / 2; /* truncated: the decoder's warning is an error */
	b = elements(v, l, 2, &n);
	assert_int_equal(lv_agent_jpeg_check(b, n, 2, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "element 1: the JPEG does not decode"));
	free(b);
	v[0] = px; /* raw pixels are no JPEG */
	l[0] = 100;
	l[1] = len;
	b = elements(v, l, 2, &n);
	assert_int_equal(lv_agent_jpeg_check(b, n, 2, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "element 0: not a JPEG"));
	b[3] = 0x7f; /* a length beyond the data */
	assert_int_equal(lv_agent_jpeg_check(b, n, 2, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "element 0: length 2130706532, but only"));
	free(b);
	free(jpg);
	free(px);
}

/* The term: the estimate until measured; "preprocess" read, written back, checked. */
static void test_profile_term(void **st)
{
	(void)st;
	char *why = NULL;
	struct lv_profile *p = lv_profile_load("profiles/nano.json", &why);
	assert_non_null(p);
	double l, e;
	int measured = -1;
	lv_profile_preprocess(p, LV_WIRE_FP32, &l, &e, &measured);
	assert_true(l == 0 && e == 0 && measured == 1);
	lv_profile_preprocess(p, LV_WIRE_JPEG, &l, &e, &measured);
	assert_true(l > 0 && e > 0 && measured == 0);
	double jl = l;
	lv_profile_preprocess(p, LV_WIRE_UINT8, &l, &e, &measured);
	assert_true(l > 0 && l < jl && measured == 0);

	p->preprocess[LV_WIRE_JPEG] =
	    (struct lv_preprocess){ .measured = 1, .latency_s = 0.004, .energy_j = 0.03 };
	char *text = lv_profile_to_json(p);
	assert_non_null(strstr(text, "\"preprocess\": {\"jpeg\": {\"latency_s\": 0.004, "
	                             "\"energy_j\": 0.03}},"));
	struct lv_profile *q = lv_profile_parse(text, "nano.json", &why);
	assert_non_null(q);
	lv_profile_preprocess(q, LV_WIRE_JPEG, &l, &e, &measured);
	assert_true(l == 0.004 && e == 0.03 && measured == 1);
	lv_profile_preprocess(q, LV_WIRE_UINT8, &l, &e, &measured);
	assert_int_equal(measured, 0);
	lv_profile_free(q);

	static const struct {
		const char *from, *to, *err;
	} bad[] = {
		{ "\"jpeg\": {", "\"png\": {", "nano.json: preprocess.png: not a wire format" },
		{ "\"latency_s\": 0.004", "\"latency_s\": -1",
		  "nano.json: preprocess.jpeg: latency_s and energy_j must be non-negative" },
		{ "\"energy_j\": 0.03", "\"energy_j\": 0.03, \"watts\": 2",
		  "nano.json: preprocess.jpeg.watts: unknown field" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *at = strstr(text, bad[i].from);
		assert_non_null(at);
		char *t = lv_xasprintf("%.*s%s%s", (int)(at - text), text, bad[i].to,
		                       at + strlen(bad[i].from));
		why = NULL;
		assert_null(lv_profile_parse(t, "nano.json", &why));
		assert_non_null(why);
		if (!strstr(why, bad[i].err))
			fail_msg("%s: got '%s'", bad[i].err, why);
		free(why);
		free(t);
	}
	free(text);
	lv_profile_free(p);
}

/* A jpeg device costs its kind plus b times the term; an fp32 one its kind's table. */
static void test_device_costs(void **st)
{
	(void)st;
	char *dir = lv_test_mkdtemp(), *why = NULL;
	char *text = lv_read_file("profiles/nano.json", NULL, NULL);
	free(lv_test_write(dir, "nano.json", text));
	free(text);
	char *path =
	    lv_test_write(dir, "c.json",
	                  "{\"profiles\": \".\", \"devices\": [{\"name\": \"a\", \"kind\": "
	                  "\"nano\"}, {\"name\": \"b\", \"kind\": \"nano\", \"wire\": "
	                  "\"jpeg\"}]}");
	struct lv_cluster *c = lv_cluster_load(path, &why);
	assert_non_null(c);
	assert_int_equal(lv_cluster_build_costs(c, LV_COST_PROF, NULL, &why), 0);
	const struct lv_device *a = &c->devices[0], *b = &c->devices[1];
	const struct lv_cost_table *ta = lv_device_cost(c, a), *tb = lv_device_cost(c, b);
	assert_ptr_equal(ta, c->kinds[0].cost);
	assert_ptr_not_equal(tb, ta);
	double l, e;
	lv_profile_preprocess(c->kinds[0].profile, LV_WIRE_JPEG, &l, &e, NULL);
	int checked = 0;
	for (size_t fi = 0; fi < ta->n_freqs; fi++)
		for (int k = 1; k <= ta->max_batch; k++) {
			double la = lv_cost_latency(ta, fi, k), lb = lv_cost_latency(tb, fi, k);
			if (!isfinite(la)) {
				assert_false(isfinite(lb));
				continue;
			}
			assert_true(fabs(lb - (la + k * l)) < 1e-12);
			assert_true(fabs(lv_cost_energy(tb, fi, k) -
			                 (lv_cost_energy(ta, fi, k) + k * e)) < 1e-12);
			checked++;
		}
	assert_true(checked > 0);
	assert_non_null(lv_device_truth(c, b));
	assert_ptr_not_equal(lv_device_truth(c, b), lv_device_truth(c, a));
	lv_cluster_free(c);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

/* The controller model's link and preparation follow each device's format. */
static void test_ctl_model_wire(void **st)
{
	(void)st;
	struct lv_ctl_model m;
	char *why = NULL;
	assert_int_equal(lv_ctl_model_load("profiles/controllers/loudva.json", &m, &why), 0);
	assert_true(lv_ctl_wire_bytes(&m, LV_WIRE_FP32) == 1072812);
	assert_true(lv_ctl_wire_bytes(&m, LV_WIRE_UINT8) == 268203);
	assert_true(lv_ctl_wire_bytes(&m, LV_WIRE_JPEG) < 0.1 * 1072812);
	assert_true(lv_ctl_wire_frame_s(&m, LV_WIRE_JPEG) < lv_ctl_wire_frame_s(&m, LV_WIRE_FP32));
	assert_true(fabs(lv_ctl_link_wire_s(&m, LV_WIRE_UINT8, 4) * 4 -
	                 lv_ctl_link_wire_s(&m, LV_WIRE_FP32, 4)) < 1e-12);
	char *text = lv_ctl_model_to_json(&m);
	char *dir = lv_test_mkdtemp(), *path = lv_test_write(dir, "c.json", text);
	struct lv_ctl_model back;
	assert_int_equal(lv_ctl_model_load(path, &back, &why), 0);
	assert_true(back.wire[LV_WIRE_JPEG].given && back.wire[LV_WIRE_JPEG].bytes_per_frame ==
	                                                 m.wire[LV_WIRE_JPEG].bytes_per_frame);
	free(path);
	/* A format not given costs what fp32 does; fp32 itself is not a "wire" entry. */
	char *at = strstr(text, "\"uint8\"");
	assert_non_null(at);
	char *t = lv_xasprintf("%.*s\"fp32\"%s", (int)(at - text), text, at + 7);
	path = lv_test_write(dir, "bad.json", t);
	assert_int_equal(lv_ctl_model_load(path, &back, &why), LV_EINVAL);
	assert_non_null(strstr(why, "bad.json: wire.fp32: not a wire format other than fp32"));
	free(why);
	free(path);
	free(t);
	free(text);
	lv_ctl_model_ideal(&m);
	assert_true(lv_ctl_wire_bytes(&m, LV_WIRE_JPEG) == m.bytes_per_frame);
	lv_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repository_configs),
		cmocka_unit_test(test_pixels_match_tensor),
		cmocka_unit_test(test_agent_jpeg_check),
		cmocka_unit_test(test_profile_term),
		cmocka_unit_test(test_device_costs),
		cmocka_unit_test(test_ctl_model_wire),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
