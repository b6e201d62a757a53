/*
 * Cluster files: the committed thesis cluster, count expansion, CA files for
 * https:// agents, parsing from memory, a 100,000-device file, every kind of
 * bad file.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/cluster.h"
#include "model/profile.h"
#include "base/file.h"
#include "base/util.h"

static void test_thesis_cluster(void **st)
{
	(void)st;
	char *why = NULL;
	struct lv_cluster *c = lv_cluster_load("profiles/clusters/thesis.json", &why);
	assert_non_null(c);
	assert_string_equal(c->name, "thesis");
	assert_int_equal(c->n_devices, 5);
	assert_int_equal(c->n_kinds, 3); /* one profile per kind, however many devices */
	static const char *const names[] = { "agx-xavier-00", "xavier-nx-00", "xavier-nx-01",
		                             "nano-00", "nano-01" };
	static const char *const kinds[] = { "agx-xavier", "xavier-nx", "xavier-nx", "nano",
		                             "nano" };
	for (int i = 0; i < 5; i++) {
		assert_string_equal(c->devices[i].name, names[i]);
		assert_string_equal(lv_device_profile(c, &c->devices[i])->kind, kinds[i]);
		assert_int_equal(c->devices[i].state, LV_DEV_UP);
		assert_int_equal(c->devices[i].inflight, 0);
		assert_non_null(c->devices[i].agent_url);
	}
	assert_int_equal(c->largest_max_batch, 64);
	/* Devices start at their kind's top clock: AGX Xavier 1377 MHz, Nano 921.6 MHz. */
	assert_int_equal(c->devices[0].freq_hz, 1377000000ULL);
	assert_int_equal(c->devices[3].freq_hz, 921600000ULL);
	assert_int_equal(lv_cluster_find(c, "nano-01"), 4);
	assert_int_equal(lv_cluster_find(c, "nano-02"), -1);
	lv_cluster_free(c);
}

static char *write_cluster(const char *dir, const char *json)
{
	return lv_test_write(dir, "clusters/c.json", json);
}

/* A scratch profiles dir with the committed nano profile and a clusters/ subdir. */
static char *scratch(void)
{
	char *dir = lv_test_mkdtemp();
	char *sub = lv_path_join(dir, "clusters");
	assert_int_equal(mkdir(sub, 0755), 0);
	free(sub);
	char *text = lv_read_file("profiles/nano.json", NULL, NULL);
	assert_non_null(text);
	free(lv_test_write(dir, "nano.json", text));
	free(text);
	return dir;
}

static void test_count_expansion(void **st)
{
	(void)st;
	char *dir = scratch();
	char *path = write_cluster(dir, "{\"name\": \"big\", \"devices\": ["
	                                "{\"name\": \"edge\", \"kind\": \"nano\", \"count\": 3},"
	                                "{\"name\": \"solo\", \"kind\": \"nano\"}]}");
	char *why = NULL;
	struct lv_cluster *c = lv_cluster_load(path, &why);
	assert_non_null(c);
	assert_int_equal(c->n_devices, 4);
	assert_int_equal(c->n_kinds, 1);
	assert_string_equal(c->devices[0].name, "edge-000");
	assert_string_equal(c->devices[2].name, "edge-002");
	assert_string_equal(c->devices[3].name, "solo");
	assert_null(c->devices[0].agent_url);
	assert_null(c->token_file);
	lv_cluster_free(c);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

/* "token_file" is resolved against the cluster file's directory; an absolute one is kept. */
static void test_token_file(void **st)
{
	(void)st;
	char *dir = scratch();
	char *path = write_cluster(dir, "{\"devices\": [{\"name\": \"a\", \"kind\": \"nano\","
	                                "\"agent\": \"http://10.0.0.7:5000\"}],"
	                                "\"token_file\": \"secrets/agent.token\"}");
	char *why = NULL;
	struct lv_cluster *c = lv_cluster_load(path, &why);
	assert_non_null(c);
	char *want = lv_xasprintf("%s/clusters/secrets/agent.token", dir);
	assert_string_equal(c->token_file, want);
	free(want);
	lv_cluster_free(c);
	free(path);
	path = write_cluster(dir, "{\"devices\": [{\"name\": \"a\", \"kind\": \"nano\"}],"
	                          "\"token_file\": \"/etc/loudva/agent.token\"}");
	c = lv_cluster_load(path, &why);
	assert_non_null(c);
	assert_string_equal(c->token_file, "/etc/loudva/agent.token");
	lv_cluster_free(c);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

/* "shm" marks a device whose Triton shares this host's memory; off unless given. */
static void test_shm_flag(void **st)
{
	(void)st;
	char *dir = scratch();
	char *path = write_cluster(dir, "{\"devices\": [{\"name\": \"a\", \"kind\": \"nano\","
	                                "\"agent\": \"http://127.0.0.1:5001\", \"shm\": true},"
	                                "{\"name\": \"b\", \"kind\": \"nano\","
	                                "\"agent\": \"http://10.0.0.7:5000\"},"
	                                "{\"name\": \"c\", \"kind\": \"nano\","
	                                "\"triton\": \"http://127.0.0.1:8000\", \"shm\": false}]}");
	char *why = NULL;
	struct lv_cluster *c = lv_cluster_load(path, &why);
	assert_non_null(c);
	assert_int_equal(c->n_devices, 3);
	assert_int_equal(c->devices[0].shm, 1);
	assert_int_equal(c->devices[1].shm, 0);
	assert_int_equal(c->devices[2].shm, 0);
	lv_cluster_free(c);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

/* "wire" picks each device's format; fp32 unless given, count entries included. */
static void test_wire_field(void **st)
{
	(void)st;
	char *dir = scratch();
	char *path =
	    write_cluster(dir, "{\"devices\": [{\"name\": \"a\", \"kind\": \"nano\","
	                       "\"agent\": \"http://127.0.0.1:5001\", \"wire\": \"uint8\"},"
	                       "{\"name\": \"b\", \"kind\": \"nano\", \"wire\": \"jpeg\"},"
	                       "{\"name\": \"c\", \"kind\": \"nano\", \"wire\": \"fp32\"},"
	                       "{\"name\": \"d\", \"kind\": \"nano\"},"
	                       "{\"name\": \"e\", \"kind\": \"nano\", \"count\": 2,"
	                       "\"wire\": \"jpeg\"}]}");
	char *why = NULL;
	struct lv_cluster *c = lv_cluster_load(path, &why);
	assert_non_null(c);
	assert_int_equal(c->n_devices, 6);
	assert_int_equal(c->devices[0].wire, LV_WIRE_UINT8);
	assert_int_equal(c->devices[1].wire, LV_WIRE_JPEG);
	assert_int_equal(c->devices[2].wire, LV_WIRE_FP32);
	assert_int_equal(c->devices[3].wire, LV_WIRE_FP32);
	assert_int_equal(c->devices[4].wire, LV_WIRE_JPEG);
	assert_int_equal(c->devices[5].wire, LV_WIRE_JPEG);
	assert_string_equal(lv_wire_name(c->devices[0].wire), "uint8");
	assert_int_equal(lv_wire_parse("FP32"), -1); /* names are exact */
	assert_int_equal(lv_wire_frame_bytes(LV_WIRE_FP32, 299 * 299 * 3, 0), 1072812);
	assert_int_equal(lv_wire_frame_bytes(LV_WIRE_UINT8, 299 * 299 * 3, 0), 268203);
	assert_int_equal(lv_wire_frame_bytes(LV_WIRE_JPEG, 299 * 299 * 3, 1000), 1004);
	lv_cluster_free(c);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

/*
 * "ca" on the cluster applies to its https:// devices, a device's own wins,
 * http:// devices get none; paths resolve against the cluster file.
 */
static void test_ca_files(void **st)
{
	(void)st;
	char *dir = scratch();
	free(lv_test_write(dir, "clusters/site-ca.pem", "-----BEGIN CERTIFICATE-----\n"));
	free(lv_test_write(dir, "clusters/other.pem", "-----BEGIN CERTIFICATE-----\n"));
	char *path =
	    write_cluster(dir, "{\"ca\": \"site-ca.pem\", \"devices\": ["
	                       "{\"name\": \"a\", \"kind\": \"nano\","
	                       " \"agent\": \"https://10.0.0.7:5000\"},"
	                       "{\"name\": \"b\", \"kind\": \"nano\","
	                       " \"agent\": \"https://10.0.0.8:5000\", \"ca\": \"other.pem\"},"
	                       "{\"name\": \"c\", \"kind\": \"nano\","
	                       " \"agent\": \"http://127.0.0.1:5000\"},"
	                       "{\"name\": \"d\", \"kind\": \"nano\", \"count\": 2}]}");
	char *why = NULL;
	struct lv_cluster *c = lv_cluster_load(path, &why);
	if (!c)
		fail_msg("%s", why);
	char *want_a = lv_xasprintf("%s/clusters/site-ca.pem", dir);
	char *want_b = lv_xasprintf("%s/clusters/other.pem", dir);
	assert_string_equal(c->devices[0].ca_file, want_a);
	assert_string_equal(c->devices[1].ca_file, want_b);
	assert_null(c->devices[2].ca_file);
	assert_null(c->devices[3].ca_file);
	free(want_a);
	free(want_b);
	lv_cluster_free(c);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

/* lv_cluster_parse reads from memory; relative paths start at the path it is given. */
static void test_parse_from_memory(void **st)
{
	(void)st;
	char *dir = scratch();
	char *path = lv_xasprintf("%s/clusters/mem.json", dir);
	static const char text[] = "{\"name\": \"mem\", \"token_file\": \"t\", \"devices\": "
	                           "[{\"name\": \"a\", \"kind\": \"nano\"}]}";
	char *why = NULL;
	struct lv_cluster *c = lv_cluster_parse(text, sizeof(text) - 1, path, &why);
	if (!c)
		fail_msg("%s", why);
	assert_string_equal(c->name, "mem");
	assert_int_equal(c->n_devices, 1);
	char *want = lv_xasprintf("%s/clusters/t", dir);
	assert_string_equal(c->token_file, want);
	free(want);
	lv_cluster_free(c);
	/* A NUL inside the text is not the end of it. */
	static const char nul[] = "{\"devices\": [{\"name\": \"a\", \"kind\": \"nano\"}]}\0junk";
	assert_null(lv_cluster_parse(nul, sizeof(nul) - 1, path, &why));
	assert_non_null(strstr(why, "mem.json:1:"));
	free(why);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

/* A typo in a field's name is an error naming the file, the line and the field. */
static void test_unknown_field(void **st)
{
	(void)st;
	static const char text[] = "{\n  \"name\": \"t\",\n  \"devices\": [\n"
	                           "    {\"name\": \"a\", \"kind\": \"nano\"},\n"
	                           "    {\"name\": \"b\", \"kind\": \"nano\",\n"
	                           "     \"agnet\": \"http://127.0.0.1:1\"}\n  ]\n}\n";
	static const char top[] = "{\"devices\": [{\"name\": \"a\", \"kind\": \"nano\"}],\n"
	                          " \"profile\": \"x\"}";
	char *why = NULL;
	assert_null(lv_cluster_parse(text, sizeof(text) - 1, "c.json", &why));
	assert_non_null(
	    strstr(why, "c.json:6: devices[1].agnet: unknown field (known: name, kind"));
	free(why);
	why = NULL;
	assert_null(lv_cluster_parse(top, sizeof(top) - 1, "c.json", &why));
	assert_non_null(strstr(why, "c.json:2: profile: unknown field (known: name, profiles"));
	free(why);
}

/* The largest cluster a file may describe loads (names checked through a hash set). */
static void test_many_devices(void **st)
{
	(void)st;
	char *dir = scratch();
	char *path = write_cluster(dir, "{\"devices\": ["
	                                "{\"name\": \"a\", \"kind\": \"nano\", \"count\": 50000},"
	                                "{\"name\": \"b\", \"kind\": \"nano\", \"count\": 49999},"
	                                "{\"name\": \"c\", \"kind\": \"nano\"}]}");
	char *why = NULL;
	struct lv_cluster *c = lv_cluster_load(path, &why);
	if (!c)
		fail_msg("%s", why);
	assert_int_equal(c->n_devices, 100000);
	assert_string_equal(c->devices[99998].name, "b-49998");
	lv_cluster_free(c);
	free(path);
	/* one more is refused, and so is a duplicate deep in the list */
	path = write_cluster(dir, "{\"devices\": [{\"name\": \"a\", \"kind\": \"nano\", "
	                          "\"count\": 100000}, {\"name\": \"x\", \"kind\": \"nano\"}]}");
	assert_null(lv_cluster_load(path, &why));
	assert_non_null(strstr(why, "devices[1]: at most 100000 devices"));
	free(why);
	why = NULL;
	free(path);
	path = write_cluster(dir, "{\"devices\": [{\"name\": \"a\", \"kind\": \"nano\", "
	                          "\"count\": 3000}, {\"name\": \"a-2999\", \"kind\": \"nano\"}]}");
	assert_null(lv_cluster_load(path, &why));
	assert_non_null(strstr(why, "devices[1].name: 'a-2999' appears twice"));
	free(why);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

static void test_bad_files(void **st)
{
	(void)st;
	static const struct {
		const char *json, *needle;
	} cases[] = {
		{ "[]", "must be a JSON object" },
		{ "{\"devices\": []}", "devices: must be a non-empty array" },
		{ "{\"name\": 3, \"devices\": [{}]}", "name: must be a string" },
		{ "{\"devices\": [{\"kind\": \"nano\"}]}", "devices[0].name: missing" },
		{ "{\"devices\": [{\"name\": \"a\"}]}", "devices[0].kind: missing" },
		{ "{\"devices\": [{\"name\": \"a\", \"kind\": 7}]}",
		  "devices[0].kind: must be a non-empty string" },
		{ "{\"devices\": [{\"name\": \"a\", \"kind\": \"tx2\"}]}",
		  "devices[0].kind: no usable profile for 'tx2'" },
		{ "{\"devices\": [{\"name\": \"a\", \"kind\": \"../nano\"}]}",
		  "is not a kind name" },
		{ "{\"devices\": [{\"name\": \"a\", \"kind\": \"nano\"}, {\"name\": \"a\", "
		  "\"kind\": \"nano\"}]}",
		  "devices[1].name: 'a' appears twice" },
		{ "{\"devices\": [{\"name\": \"a\", \"kind\": \"nano\", \"count\": 0}]}",
		  "devices[0].count" },
		{ "{\"devices\": [{\"name\": \"a\", \"kind\": \"nano\", \"count\": 2.5}]}",
		  "devices[0].count" },
		{ "{\"devices\": [{\"name\": \"a\", \"kind\": \"nano\", \"count\": 2, \"agent\": "
		  "\"http://x\"}]}",
		  "an entry with count has no endpoints" },
		{ "{\"devices\": [\n{\"name\": \"a\",, \"kind\": \"nano\"}]}", "c.json:2:" },
		{ "{\"token_file\": 5, \"devices\": [{\"name\": \"a\", \"kind\": \"nano\"}]}",
		  "token_file: must be a file name" },
		{ "{\"devices\": [{\"name\": \"a\", \"kind\": \"nano\", \"agent\": \"http://x\", "
		  "\"shm\": 1}]}",
		  "devices[0].shm: must be true or false" },
		{ "{\"devices\": [{\"name\": \"a\", \"kind\": \"nano\", \"shm\": true}]}",
		  "devices[0].shm: a device without endpoints" },
		{ "{\"devices\": [{\"name\": \"a\", \"kind\": \"nano\", \"count\": 1e300}]}",
		  "devices[0].count" },
		{ "{\"devices\": [{\"name\": \"a\", \"kind\": \"nano\", \"count\": -1e300}]}",
		  "devices[0].count" },
		{ "{\"devices\": [{\"name\": \"a\", \"kind\": \"nano\", \"agent\": \"ftp://x\"}]}",
		  "devices[0].agent: 'ftp://x' is not an http:// or https:// URL" },
		{ "{\"devices\": [{\"name\": \"a\", \"kind\": \"nano\", \"triton\": "
		  "\"https://\"}]}",
		  "devices[0].triton: 'https://' is not an http:// or https:// URL" },
		{ "{\"devices\": [{\"name\": \"a\", \"kind\": \"nano\", \"agent\": "
		  "\"http://x:5000\", \"ca\": \"c.json\"}]}",
		  "devices[0].ca: the device has no https:// endpoint" },
		{ "{\"devices\": [{\"name\": \"a\", \"kind\": \"nano\", \"agent\": "
		  "\"https://x:5000\", \"ca\": \"missing.pem\"}]}",
		  "devices[0].ca: " },
		{ "{\"devices\": [{\"name\": \"a\", \"kind\": \"nano\", \"agent\": "
		  "\"https://x:5000\", \"ca\": 3}]}",
		  "devices[0].ca: must be a file name" },
		{ "{\"ca\": \".\", \"devices\": [{\"name\": \"a\", \"kind\": \"nano\", \"agent\": "
		  "\"https://x:5000\"}]}",
		  "ca: " },
		{ "{\"ca\": \"c.json\", \"devices\": [{\"name\": \"a\", \"kind\": \"nano\", "
		  "\"agent\": \"http://x:5000\"}]}",
		  "ca: no device has an https:// endpoint" },
		{ "{\"devices\": [{\"name\": \"a\", \"kind\": \"nano\", \"count\": 2, \"ca\": "
		  "\"c.json\"}]}",
		  "an entry with count has no endpoints" },
		{ "{\"devices\": [{\"name\": \"a\", \"kind\": \"nano\"}]} trailing", "c.json:1:" },
		{ "{\"devices\": [{\"name\": \"cam\", \"kind\": \"nano\", \"wire\": \"png\"}]}",
		  "c.json: devices[0].wire: 'png' is not a wire format (fp32, uint8 or jpeg)" },
		{ "{\"devices\": [{\"name\": \"a\", \"kind\": \"nano\", \"wire\": 8}]}",
		  "devices[0].wire: must be a non-empty string" },
	};
	char *dir = scratch();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = write_cluster(dir, cases[i].json);
		char *why = NULL;
		struct lv_cluster *c = lv_cluster_load(path, &why);
		assert_null(c);
		assert_non_null(why);
		if (!strstr(why, cases[i].needle) || !strstr(why, "c.json"))
			fail_msg("case %zu: '%s' lacks '%s' or the file name", i, why,
			         cases[i].needle);
		free(why);
		free(path);
	}
	/* A profile that is itself broken is named with its field. */
	free(lv_test_write(dir, "nano.json", "{\"format\": \"loudva-profile\"}"));
	char *path = write_cluster(dir, "{\"devices\": [{\"name\": \"a\", \"kind\": \"nano\"}]}");
	char *why = NULL;
	assert_null(lv_cluster_load(path, &why));
	assert_non_null(strstr(why, "nano.json"));
	free(why);
	free(path);
	why = NULL;
	assert_null(lv_cluster_load("no/such/cluster.json", &why));
	assert_non_null(strstr(why, "no/such/cluster.json"));
	free(why);
	lv_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thesis_cluster),    cmocka_unit_test(test_count_expansion),
		cmocka_unit_test(test_token_file),        cmocka_unit_test(test_shm_flag),
		cmocka_unit_test(test_wire_field),        cmocka_unit_test(test_ca_files),
		cmocka_unit_test(test_parse_from_memory), cmocka_unit_test(test_many_devices),
		cmocka_unit_test(test_bad_files),         cmocka_unit_test(test_unknown_field),
	};
	return cmocka_run_group_tests_name("cluster", tests, NULL, NULL);
}
