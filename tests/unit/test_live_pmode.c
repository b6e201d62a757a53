/*
 * A device's power mode as the controller reads it (core/live/live_pmode.h):
 * from the agent's GET /telemetry in the shapes agents/agent_worker.c
 * writes them (a real board's mode, its unknown mode, emulation) and from
 * malformed ones; from the 409 a pin above the cap gets, in the words
 * agents/backend_jetson.c writes; and the clamp of a clock to the cap,
 * against the AGX Orin's clock table. How the live controller uses them
 * (once-per-cap events, the engine told, the agent's pin) runs against a
 * real agent on a fake board in tests/agent/test_agent_jetson.sh.
 */
#include "testutil.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "live/live_pmode.h"

static struct lv_snap_pmode from_telemetry(const char *json)
{
	cJSON *root = cJSON_Parse(json);
	assert_non_null(root);
	struct lv_snap_pmode m;
	memset(&m, 0x5a, sizeof(m)); /* every field must be written */
	lv_pmode_from_telemetry(root, &m);
	cJSON_Delete(root);
	return m;
}

static void test_telemetry(void **st)
{
	(void)st;
	struct lv_snap_pmode m = from_telemetry(
	    "{\"gpu_freq_hz\": 1300500000, \"tegrastats\": {\"samples\": 3}, \"power_mode\": "
	    "{\"id\": 3, \"name\": \"MODE_50W\", \"gpu_max_hz\": 816000000}}");
	assert_int_equal(m.state, LV_SNAP_PMODE_KNOWN);
	assert_int_equal(m.id, 3);
	assert_string_equal(m.name, "MODE_50W");
	assert_int_equal(m.gpu_max_hz, 816000000);
	/* MAXN: no cap */
	m = from_telemetry(
	    "{\"power_mode\": {\"id\": 0, \"name\": \"MAXN\", \"gpu_max_hz\": null}}");
	assert_int_equal(m.state, LV_SNAP_PMODE_KNOWN);
	assert_string_equal(m.name, "MAXN");
	assert_int_equal(m.gpu_max_hz, 0);
	/* an id the board's file lacks: no name, no cap */
	m = from_telemetry("{\"power_mode\": {\"id\": 12, \"name\": null, \"gpu_max_hz\": null}}");
	assert_int_equal(m.state, LV_SNAP_PMODE_KNOWN);
	assert_int_equal(m.id, 12);
	assert_string_equal(m.name, "");
	/* a real board whose mode is unknown, and emulation (no tegrastats) */
	m = from_telemetry("{\"tegrastats\": {\"samples\": 0}, \"power_mode\": null}");
	assert_int_equal(m.state, LV_SNAP_PMODE_UNKNOWN);
	m = from_telemetry("{\"inflight_batches\": 0, \"power_mode\": null}");
	assert_int_equal(m.state, LV_SNAP_PMODE_NONE);
	assert_int_equal(m.gpu_max_hz, 0);
	m = from_telemetry("{\"power_w\": 3}"); /* an agent from before power modes */
	assert_int_equal(m.state, LV_SNAP_PMODE_NONE);
}

static void test_telemetry_malformed(void **st)
{
	(void)st;
	static const char *const bad_ids[] = {
		"{\"power_mode\": {\"name\": \"MODE_50W\", \"gpu_max_hz\": 816000000}}",
		"{\"power_mode\": {\"id\": \"3\", \"gpu_max_hz\": 816000000}}",
		"{\"power_mode\": {\"id\": 1.5, \"gpu_max_hz\": 816000000}}",
		"{\"power_mode\": {\"id\": -1, \"gpu_max_hz\": 816000000}}",
		"{\"power_mode\": {\"id\": 1e300, \"gpu_max_hz\": 816000000}}",
	};
	for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		struct lv_snap_pmode m = from_telemetry(bad_ids[i]);
		assert_int_equal(m.state, LV_SNAP_PMODE_UNKNOWN);
		assert_int_equal(m.gpu_max_hz, 0); /* a cap without its mode is not believed */
	}
	/* caps that are no clock: none */
	static const char *const bad_caps[] = {
		"{\"power_mode\": {\"id\": 2, \"gpu_max_hz\": -816000000}}",
		"{\"power_mode\": {\"id\": 2, \"gpu_max_hz\": 0}}",
		"{\"power_mode\": {\"id\": 2, \"gpu_max_hz\": 1e13}}",
		"{\"power_mode\": {\"id\": 2, \"gpu_max_hz\": \"816 MHz\"}}",
	};
	for (size_t i = 0; i < sizeof(bad_caps) / sizeof(bad_caps[0]); i++) {
		struct lv_snap_pmode m = from_telemetry(bad_caps[i]);
		assert_int_equal(m.state, LV_SNAP_PMODE_KNOWN);
		assert_int_equal(m.gpu_max_hz, 0);
	}
	/* a long name is cut to its field, NUL-terminated */
	char json[256], name[120];
	memset(name, 'M', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	snprintf(json, sizeof(json), "{\"power_mode\": {\"id\": 1, \"name\": \"%s\"}}", name);
	struct lv_snap_pmode m = from_telemetry(json);
	assert_int_equal(strlen(m.name), LV_SNAP_PMODE_NAME_MAX - 1);
	/* a power mode that is not an object, with tegrastats: a real board, mode unknown */
	m = from_telemetry("{\"tegrastats\": {}, \"power_mode\": 3}");
	assert_int_equal(m.state, LV_SNAP_PMODE_NONE);
}

/* The agent's 409, as backend_jetson.c words it and agent_util.c wraps it. */
#define REFUSAL                                                                                    \
	"{\"error\":\"1300500000 Hz is above the GPU cap of power mode 3 (MODE_50W): 816000000 "   \
	"Hz. Pin at most 816000000 Hz, or switch to a mode that allows it first (PUT "             \
	"/power/mode; GET /gpu/frequencies lists the modes and their caps)\"}"

static int refusal(const char *body, struct lv_snap_pmode *m)
{
	memset(m, 0, sizeof(*m));
	return lv_pmode_from_refusal(body, strlen(body), m);
}

static void test_refusal(void **st)
{
	(void)st;
	struct lv_snap_pmode m;
	assert_int_equal(refusal(REFUSAL, &m), LV_OK);
	assert_int_equal(m.state, LV_SNAP_PMODE_KNOWN);
	assert_int_equal(m.id, 3);
	assert_string_equal(m.name, "MODE_50W");
	assert_int_equal(m.gpu_max_hz, 816000000);
	/* a name with parentheses of its own */
	assert_int_equal(
	    refusal("{\"error\":\"900 Hz is above the GPU cap of power mode 2 (15W (quiet)): 612 "
	            "Hz. Pin\"}",
	            &m),
	    LV_OK);
	assert_string_equal(m.name, "15W (quiet)");
	assert_int_equal(m.gpu_max_hz, 612);
	/* a structured answer, should an agent give one */
	assert_int_equal(refusal("{\"error\": \"no\", \"power_mode\": {\"id\": 1, \"name\": "
	                         "\"MODE_15W\", \"gpu_max_hz\": 408000000}}",
	                         &m),
	                 LV_OK);
	assert_int_equal(m.gpu_max_hz, 408000000);
	/* what says no cap is no refusal to learn from: *m untouched */
	static const char *const bad[] = {
		"",
		"not json",
		"{\"error\": 3}",
		"{\"error\":\"power modes are unknown\"}",
		"{\"error\":\"1 Hz is above the GPU cap of power mode x (A): 2 Hz\"}",
		"{\"error\":\"1 Hz is above the GPU cap of power mode 3 (A): Hz\"}",
		"{\"error\":\"1 Hz is above the GPU cap of power mode 3 (A): 0 Hz\"}",
		"{\"error\":\"1 Hz is above the GPU cap of power mode 3 (A): 9999999999999 Hz\"}",
		"{\"error\":\"1 Hz is above the GPU cap of power mode 3 (A: 816 Hz\"}",
		"{\"error\":\"1 Hz is above the GPU cap of power mode 3 (A): 816 MHz\"}",
		"{\"error\":\"1 Hz is above the GPU cap of power mode 99999 (A): 816 Hz\"}",
		"{\"power_mode\": {\"id\": 0, \"name\": \"MAXN\", \"gpu_max_hz\": null}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&m, 0x33, sizeof(m));
		struct lv_snap_pmode before = m;
		assert_int_equal(lv_pmode_from_refusal(bad[i], strlen(bad[i]), &m), LV_EINVAL);
		assert_memory_equal(&m, &before, sizeof(m));
	}
	/* the body is not NUL-terminated where curl leaves it: only len bytes are read */
	char cut[sizeof(REFUSAL) + 8];
	memcpy(cut, REFUSAL, sizeof(REFUSAL) - 1);
	memcpy(cut + sizeof(REFUSAL) - 1, "garbage!", 8);
	assert_int_equal(lv_pmode_from_refusal(cut, sizeof(REFUSAL) - 1, &m), LV_OK);
	assert_int_equal(lv_pmode_from_refusal(NULL, 0, &m), LV_EINVAL);
}

/* The AGX Orin's clock table (profiles/agx-orin.json). */
static const uint64_t orin_hz[] = { 306000000,  408000000,  510000000, 612000000,
	                            714000000,  816000000,  918000000, 1020000000,
	                            1122000000, 1224000000, 1300500000 };
#define N_ORIN (sizeof(orin_hz) / sizeof(orin_hz[0]))

static void test_clamp(void **st)
{
	(void)st;
	struct lv_snap_pmode m = { .state = LV_SNAP_PMODE_KNOWN, .id = 3, .gpu_max_hz = 816000000 };
	assert_int_equal(lv_pmode_clamp(&m, orin_hz, N_ORIN, 1300500000), 816000000);
	assert_int_equal(lv_pmode_clamp(&m, orin_hz, N_ORIN, 918000000), 816000000);
	assert_int_equal(lv_pmode_clamp(&m, orin_hz, N_ORIN, 816000000), 816000000);
	assert_int_equal(lv_pmode_clamp(&m, orin_hz, N_ORIN, 306000000), 306000000);
	/* a cap between two clocks: the one below it */
	m.gpu_max_hz = 700000000;
	assert_int_equal(lv_pmode_clamp(&m, orin_hz, N_ORIN, 1300500000), 612000000);
	/* a cap below every clock: none */
	m.gpu_max_hz = 100000000;
	assert_int_equal(lv_pmode_clamp(&m, orin_hz, N_ORIN, 306000000), 0);
	/* no cap, or no known mode: as asked */
	m.gpu_max_hz = 0;
	assert_int_equal(lv_pmode_clamp(&m, orin_hz, N_ORIN, 1300500000), 1300500000);
	struct lv_snap_pmode u = { .state = LV_SNAP_PMODE_UNKNOWN, .gpu_max_hz = 816000000 };
	assert_int_equal(lv_pmode_clamp(&u, orin_hz, N_ORIN, 1300500000), 1300500000);
	char buf[64];
	m = (struct lv_snap_pmode){ .state = LV_SNAP_PMODE_KNOWN, .id = 3 };
	assert_string_equal(lv_pmode_label(&m, buf, sizeof(buf)), "id 3");
	snprintf(m.name, sizeof(m.name), "MODE_50W");
	assert_string_equal(lv_pmode_label(&m, buf, sizeof(buf)), "MODE_50W (id 3)");
	assert_string_equal(lv_pmode_label(&u, buf, sizeof(buf)), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_telemetry),
		cmocka_unit_test(test_telemetry_malformed),
		cmocka_unit_test(test_refusal),
		cmocka_unit_test(test_clamp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
