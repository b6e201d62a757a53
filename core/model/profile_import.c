/*
 * profile_import: builds the three thesis device kinds' profiles from the
 * measurement directory (layout in its README.md). Called by
 * `loudva profile import` and `loudva profile check`, and by tests.
 *
 * Where each field comes from (method and numbers in profiles/README.md):
 *   points, freqs_hz   profiling.csv rows of the kind's Directory key; every
 *                      measured batch is kept, also those above max_batch;
 *   gpu                gpu-specs.csv row of the kind ("N/A" tensor cores = 0);
 *   max_batch, instances, display_name
 *                      thesis facts (the data README), in KINDS below;
 *   idle_power_w       settled idle lines of the kind's tegrastats logs whose
 *                      memory clock follows the GPU clock: the Experiment 1
 *                      runs for the AGX Xavier, tegrastats/<kind>.log for the
 *                      others (profile_import_twin.c, profile_fit_idle.c);
 *   governor           the Experiment 1 runs under the default governor
 *                      (profile_fit_gov.c); the other kinds borrow it;
 *   clock_change_delay_s, clock_change_shape
 *                      dispatch to "Frequency set" in the Experiment 1
 *                      controller logs (profile_fit_clock.c); the other kinds
 *                      take its shape, scaled by the thesis's figures.
 *
 * The import succeeds whole or not at all; errors name the file, the line,
 * and the column or field.
 */
#include "profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile_import.h"
#include "base/file.h"
#include "base/util.h"

#define N_KINDS (sizeof(KINDS) / sizeof(KINDS[0]))

/* The thesis's kinds: max batch and clock-change figures from the data README. */
static const struct lv_import_kind KINDS[] = {
	{ "agx-xavier", "AGX", "Jetson AGX Xavier", 64, 0.56, 1 },
	{ "xavier-nx", "NX", "Jetson Xavier NX", 8, 0.80, 0 },
	{ "nano", "Nano", "Jetson Nano", 4, 0.65, 0 },
};

static const char SOURCE_FMT[] =
    "LoudVA thesis measurements (University of Patras; upstream iloudaros/LoudVA, MIT "
    "licence, copyright 2024 Ioannis Loudaros): points from profiling.csv (Directory %s), "
    "GPU specs from gpu-specs.csv (%s), idle power from %s, the governor and the clock-change "
    "delay fitted to the Experiment 1 runs' tegrastats and controller logs%s, by the methods "
    "in profiles/README.md; max batch and instances from the thesis. Produced by loudva "
    "profile import.";

/* ---- the profile ------------------------------------------------------ */

static void report_head(const struct lv_profile *p, char **rep)
{
	int lo = p->points[0].batch, hi = lo;
	for (size_t i = 1; i < p->n_points; i++) {
		lo = p->points[i].batch < lo ? p->points[i].batch : lo;
		hi = p->points[i].batch > hi ? p->points[i].batch : hi;
	}
	lv_import_report_add(
	    rep,
	    "%s (%s): %zu points at %zu clocks (%.6g to %.6g MHz), batch %d to %d, "
	    "max batch %d\n",
	    p->kind, p->display_name, p->n_points, p->n_freqs, (double)p->freqs_hz[0] / 1e6,
	    (double)p->freqs_hz[p->n_freqs - 1] / 1e6, lo, hi, p->max_batch);
}

struct lv_profile *lv_profile_import(const char *data_dir, const char *runs_dir, const char *kind,
                                     char **report, char **why)
{
	const struct lv_import_src src = { data_dir, runs_dir, KINDS, N_KINDS };
	size_t ki = 0;
	while (ki < N_KINDS && strcmp(KINDS[ki].kind, kind) != 0)
		ki++;
	if (ki == N_KINDS) {
		lv_fail(why, LV_ENOENT, "unknown kind '%s' (known: agx-xavier, xavier-nx, nano)",
		        kind);
		return NULL;
	}
	const struct lv_import_kind *k = &KINDS[ki];
	struct lv_profile *p = lv_xcalloc(1, sizeof(*p));
	char *rep = NULL;
	int rc = LV_OK;
	snprintf(p->kind, sizeof(p->kind), "%s", k->kind);
	p->display_name = lv_xstrdup(k->display);
	char *idle_from = k->has_runs ? lv_xstrdup("the Experiment 1 runs' tegrastats logs")
	                              : lv_xasprintf("tegrastats/%s.log", k->kind);
	p->source = lv_xasprintf(SOURCE_FMT, k->key, k->key, idle_from,
	                         k->has_runs ? ""
	                                     : " (the AGX Xavier's: the governor's times as they "
	                                       "are, the delay scaled by the thesis's figures)");
	free(idle_from);
	p->max_batch = k->max_batch;
	p->instances = 1;
	rc = lv_import_specs(data_dir, k->key, &p->gpu, why);
	if (rc == 0)
		rc = lv_import_grid(data_dir, k->key, p, why);
	if (rc == 0)
		report_head(p, &rep);
	if (rc == 0)
		rc = lv_import_idle(&src, ki, p, &rep, why);
	if (rc == 0)
		rc = lv_import_cold(&src, ki, p, &rep, why);
	if (rc == 0)
		rc = lv_import_governor(&src, ki, p, &rep, why);
	if (rc == 0)
		rc = lv_import_clock_change(&src, ki, p, &rep, why);
	if (rc == 0)
		rc = lv_profile_validate(p, kind, why);
	if (rc < 0) {
		lv_profile_free(p);
		free(rep);
		return NULL;
	}
	if (report)
		*report = rep;
	else
		free(rep);
	return p;
}
