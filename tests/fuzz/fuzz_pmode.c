/*
 * fuzz_pmode: what the controller reads of a device's power mode from its
 * agent (core/live/live_pmode.h) — a GET /telemetry answer and a 409 to a
 * clock change — from arbitrary bytes, the refusal given by length without
 * a terminator. A mode read is within its bounds (id, cap, a terminated
 * name), and a clock clamped to it is within the cap and one of the clocks.
 */
#include "harness.h"

#include <cjson/cJSON.h>

#include "live/live_pmode.h"

static const uint64_t clocks[] = { 306000000, 408000000, 612000000, 816000000, 1300500000 };
#define N_CLOCKS (sizeof(clocks) / sizeof(clocks[0]))

static void check_mode(const struct lv_snap_pmode *m)
{
	fuzz_check(m->state == LV_SNAP_PMODE_NONE || m->state == LV_SNAP_PMODE_UNKNOWN ||
	               m->state == LV_SNAP_PMODE_KNOWN,
	           "a state out of the enum");
	fuzz_check(memchr(m->name, '\0', sizeof(m->name)) != NULL, "an unterminated name");
	fuzz_check(m->gpu_max_hz < 1000000000000ull, "a cap above 1 THz");
	if (m->state != LV_SNAP_PMODE_KNOWN)
		return;
	fuzz_check(m->id >= 0 && m->id <= 9999, "an id out of nvpmodel's range");
	for (size_t i = 0; i < N_CLOCKS; i++) {
		uint64_t hz = lv_pmode_clamp(m, clocks, N_CLOCKS, clocks[i]);
		fuzz_check(hz == 0 || !m->gpu_max_hz || hz <= m->gpu_max_hz,
		           "clamped above the cap");
		fuzz_check(hz <= clocks[i], "clamped upwards");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *bytes = fuzz_bytes(data, size);
	struct lv_snap_pmode m = { .state = LV_SNAP_PMODE_NONE };
	if (lv_pmode_from_refusal(bytes, size, &m) == 0) {
		fuzz_check(m.state == LV_SNAP_PMODE_KNOWN && m.gpu_max_hz > 0,
		           "a refusal read without a mode and a cap");
		check_mode(&m);
	}
	free(bytes);
	char *text = fuzz_text(data, size);
	cJSON *root = cJSON_Parse(text);
	if (root) {
		lv_pmode_from_telemetry(root, &m);
		check_mode(&m);
		cJSON_Delete(root);
	}
	free(text);
	return 0;
}
