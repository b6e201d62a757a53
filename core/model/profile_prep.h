/*
 * profile_prep: fitting a wire format's per-frame preprocessing term
 * (profile.h, struct lv_preprocess) to what `loudva profile run` measured;
 * the method is in profile_prep.c and profiles/README.md. Pure arithmetic.
 */
#ifndef LV_PROFILE_PREP_H
#define LV_PROFILE_PREP_H

/* One batch size as measured at one clock in one format (fp32, or an ensemble's). */
struct lv_prep_point {
	int batch;
	double server_s; /* the device's own time per batch (server side), s */
	double energy_j; /* the board's energy per request over a window of them (ΔE / K), J */
	double window_s; /* the window's time per request, s */
	double idle_w;   /* idle power at the clock, W */
};

struct lv_prep_fit {
	double latency_s, energy_j;         /* per frame, clamped at 0 */
	double raw_latency_s, raw_energy_j; /* the slopes before clamping */
	double intercept_s, intercept_j;    /* per request, beside the per-frame term */
	int clamped;                        /* a slope was not positive */
};

/* A batch's energy less idle power over the window's time outside the device's own, J. */
double lv_prep_busy_energy(const struct lv_prep_point *p);

/*
 * The term from batches b1 < b2: ref[0], ref[1] in fp32, fmt[] the same
 * batches in the format. 0 with *out, or LV_EINVAL with *why (mismatched
 * batches; a figure missing: no server time, energy or idle power).
 */
int lv_prep_fit(const struct lv_prep_point ref[2], const struct lv_prep_point fmt[2],
                struct lv_prep_fit *out, char **why);

#endif
