/*
 * profile_prep: a wire format's preprocessing term (profile.h, struct
 * lv_preprocess) from what `loudva profile run` measured at one clock: the
 * same two batch sizes b1 < b2 in fp32 (the model itself) and in the format
 * (its ensemble, which preprocesses on the device, then runs the model).
 *
 * Per batch, the device's own time is the server's (compute_s: the emulated
 * agent's report, or Triton's statistics), never the client's: the client's
 * also holds the upload, which a format makes shorter (a tenth of the bytes
 * for jpeg) and which is the link's cost, not the device's. The energy of a
 * batch is the board's over a window of back-to-back requests less idle
 * power over the window's time outside the device's batches (the gaps the
 * client and the upload leave), per request:
 *     E_busy = ΔE / K − P_idle · (window / K − server time)
 * so a format's shorter uploads do not make it look cheaper either.
 * The term is the slope over batch size of the differences,
 *     latency_s = (ΔL(b2) − ΔL(b1)) / (b2 − b1),  ΔL(b) = L_fmt(b) − L_fp32(b)
 * and likewise energy_j: a fixed cost per request (the ensemble's own
 * scheduling) falls in the intercept, not in the per-frame term. A negative
 * slope (noise larger than the term) is clamped at 0, and the caller says so.
 * Pure arithmetic; called by `loudva profile run` (console/profile_run.c).
 */
#include "profile_prep.h"

#include <math.h>

#include "base/util.h"

double lv_prep_busy_energy(const struct lv_prep_point *p)
{
	double gap = p->window_s - p->server_s;
	if (!(gap > 0))
		gap = 0; /* back to back with no gap (or a server time above the client's) */
	return p->energy_j - p->idle_w * gap;
}

int lv_prep_fit(const struct lv_prep_point ref[2], const struct lv_prep_point fmt[2],
                struct lv_prep_fit *out, char **why)
{
	*out = (struct lv_prep_fit){ 0 };
	int b1 = ref[0].batch, b2 = ref[1].batch;
	if (fmt[0].batch != b1 || fmt[1].batch != b2 || b1 < 1 || b2 <= b1)
		return lv_fail(
		    why, LV_EINVAL,
		    "the fit needs the same two batch sizes 1 <= b1 < b2 in both formats");
	for (int i = 0; i < 2; i++) {
		const struct lv_prep_point *x[2] = { &ref[i], &fmt[i] };
		for (int k = 0; k < 2; k++)
			if (!isfinite(x[k]->server_s) || !isfinite(x[k]->idle_w) ||
			    !isfinite(x[k]->energy_j) || !isfinite(x[k]->window_s))
				return lv_fail(
				    why, LV_EINVAL,
				    "batch %d: the device reported no time of its own (no "
				    "compute_s, no Triton statistics), or no energy or idle "
				    "power",
				    ref[i].batch);
	}
	double dl[2], de[2];
	for (int i = 0; i < 2; i++) {
		dl[i] = fmt[i].server_s - ref[i].server_s;
		de[i] = lv_prep_busy_energy(&fmt[i]) - lv_prep_busy_energy(&ref[i]);
	}
	out->raw_latency_s = (dl[1] - dl[0]) / (b2 - b1);
	out->raw_energy_j = (de[1] - de[0]) / (b2 - b1);
	out->intercept_s = dl[0] - out->raw_latency_s * b1;
	out->intercept_j = de[0] - out->raw_energy_j * b1;
	out->latency_s = out->raw_latency_s > 0 ? out->raw_latency_s : 0;
	out->energy_j = out->raw_energy_j > 0 ? out->raw_energy_j : 0;
	out->clamped = !(out->raw_latency_s > 0) || !(out->raw_energy_j > 0);
	return LV_OK;
}
