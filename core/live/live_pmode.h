/*
 * live_pmode: a device's nvpmodel power mode as its agent tells it, and a
 * clock held to the mode's GPU cap. Pure functions (no I/O, no state):
 * the telemetry poll (live_telemetry.c) reads the mode, the clock change
 * (live_device.c) clamps to it and reads a refusal's cap. Exported for the
 * unit tests (tests/unit/test_live_pmode.c); nothing outside core/live
 * calls it.
 */
#ifndef LV_LIVE_PMODE_H
#define LV_LIVE_PMODE_H

#include <stddef.h>
#include <stdint.h>

#include "sched/snapshot.h"

struct cJSON;

/*
 * The power mode of a GET /telemetry answer (root: its object):
 * "power_mode" {id, name, gpu_max_hz} is KNOWN (name "" when null, cap 0
 * when null); "power_mode" null on a real board (the answer has a
 * "tegrastats" object) is UNKNOWN; anything else (emulation, an agent that
 * predates power modes, a malformed value) is NONE.
 */
void lv_pmode_from_telemetry(const struct cJSON *root, struct lv_snap_pmode *out);

/*
 * The power mode named by a 409 answer to PUT /gpu/frequency: its body
 * {"error": "N Hz is above the GPU cap of power mode ID (NAME): CAP Hz.
 * ..."} (agents/backend_jetson.c), or a "power_mode" object as telemetry
 * has. 0 with *out KNOWN and capped; LV_EINVAL when the body says neither
 * (*out untouched).
 */
int lv_pmode_from_refusal(const char *body, size_t len, struct lv_snap_pmode *out);

/*
 * The clock to ask for instead of hz: hz itself when the mode has no cap
 * or hz is within it; else the highest of freqs_hz (ascending, n entries)
 * at or below the cap; 0 when none is.
 */
uint64_t lv_pmode_clamp(const struct lv_snap_pmode *m, const uint64_t *freqs_hz, size_t n,
                        uint64_t hz);

/* "MODE_30W (id 3)", "id 3" or "unknown" into buf; returns buf. */
const char *lv_pmode_label(const struct lv_snap_pmode *m, char *buf, size_t len);

#endif
