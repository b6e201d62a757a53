/*
 * profile_import: builds the three thesis device kinds' profiles from the
 * measurement directory (layout in its README.md). Called by
 * `loudva profile import` and `loudva profile check`, and by tests.
 *
 * Where each field comes from:
 *   points, freqs_hz   profiling.csv rows of the kind's Directory key; every
 *                      measured batch is kept, also those above max_batch;
 *   gpu                gpu-specs.csv row of the kind ("N/A" tensor cores = 0);
 *   max_batch, instances, clock_change_delay_s, display_name
 *                      thesis facts (the data README), in KINDS below;
 *   idle_power_w       tegrastats/<kind>.log, by the method below.
 *
 * Idle power (also in profiles/README.md). Samples with GPU load 0% are idle;
 * a sample's power is VDD_IN or POM_5V_IN when the line has it, else the sum
 * of every rail (instantaneous value, before the '/'). The median per clock
 * (MHz after '@', whole MHz as tegrastats prints them) is taken, and
 * idle(f) = a + s*f fitted by least squares over the clocks' medians, each
 * clock weighted equally. A kind idle at one clock only borrows the relative
 * slope s/a (mean over the kinds with two or more idle clocks) and puts its
 * line through its one median — an assumption: idle power rises with clock
 * in the same proportion on every Jetson. A negative fitted slope is set to
 * 0 (a = mean of the medians). The grid was measured on another day and its
 * busy power E/L can sit below the logs' idle power, so the curve is scaled
 * by k = min over grid clocks of 0.9 * min_b(E/L) / idle(f) when k < 1: idle
 * never exceeds 90% of the least busy power at the same clock. The result is
 * evaluated at every grid clock.
 *
 * The import succeeds whole or not at all; errors name the file, the line,
 * and the column or field.
 */
#include "profile.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile_import.h"
#include "base/file.h"
#include "base/util.h"

#define N_KINDS    (sizeof(KINDS) / sizeof(KINDS[0]))
#define BUSY_SHARE 0.9 /* idle may be at most this share of the least busy power */

static const struct kind_info {
	const char *kind; /* profile kind, log file stem */
	const char *key;  /* Directory in profiling.csv, Device in gpu-specs.csv */
	const char *display;
	int max_batch;
	double delay_s; /* GPU clock change, thesis measurement */
} KINDS[] = {
	{ "agx-xavier", "AGX", "Jetson AGX Xavier", 64, 0.56 },
	{ "xavier-nx", "NX", "Jetson Xavier NX", 8, 0.80 },
	{ "nano", "Nano", "Jetson Nano", 4, 0.65 },
};

static const char SOURCE_FMT[] =
    "LoudVA thesis measurements (University of Patras; upstream iloudaros/LoudVA, MIT "
    "licence, copyright 2024 Ioannis Loudaros): points from profiling.csv (Directory %s), "
    "GPU specs from gpu-specs.csv (%s), idle power from tegrastats/%s.log by the method in "
    "profiles/README.md; clock-change delay, max batch and instances from the thesis. "
    "Produced by loudva profile import.";

void lv_import_report_add(char **rep, const char *fmt, ...)
{
	if (!rep)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	size_t old = *rep ? strlen(*rep) : 0;
	*rep = lv_xrealloc(*rep, old + (size_t)(n > 0 ? n : 0) + 1);
	va_start(ap, fmt);
	vsnprintf(*rep + old, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
	va_end(ap);
}

/* ---- idle power ------------------------------------------------------- */

/* Least squares through the clock medians; clamps a negative slope to 0. */
static void fit_line(struct lv_idle_log *log)
{
	double mx = 0, my = 0, sxx = 0, sxy = 0;
	size_t n = log->n_clocks;
	for (size_t i = 0; i < n; i++) {
		mx += log->clocks[i].mhz * 1e6;
		my += log->clocks[i].median_w;
	}
	mx /= (double)n;
	my /= (double)n;
	for (size_t i = 0; i < n; i++) {
		double dx = log->clocks[i].mhz * 1e6 - mx;
		sxx += dx * dx;
		sxy += dx * (log->clocks[i].median_w - my);
	}
	log->s = sxy / sxx;
	log->a = my - log->s * mx;
	if (log->s < 0) {
		log->s = 0;
		log->a = my;
		log->clamped = 1;
	}
}

/* Reads kind i's log and fits it when it has two or more idle clocks. */
static int load_fit(const char *data_dir, size_t i, struct lv_idle_log *log, char **why)
{
	char *name = lv_xasprintf("tegrastats/%s.log", KINDS[i].kind);
	char *path = lv_path_join(data_dir, name);
	int rc = lv_idle_log_read(path, log, why);
	free(path);
	free(name);
	if (rc == 0 && log->n_clocks >= 2)
		fit_line(log);
	return rc;
}

/* Kind `self` has one idle clock: borrow s/a from the other kinds. */
static int borrow_slope(const char *data_dir, size_t self, struct lv_idle_log *log, char **why)
{
	double sum = 0;
	int n = 0;
	for (size_t i = 0; i < N_KINDS; i++) {
		if (i == self)
			continue;
		struct lv_idle_log other = { 0 };
		int rc = load_fit(data_dir, i, &other, why);
		if (rc == 0 && other.n_clocks >= 2) {
			sum += other.s / other.a;
			n++;
			snprintf(log->borrowed_from + strlen(log->borrowed_from),
			         sizeof(log->borrowed_from) - strlen(log->borrowed_from), "%s%s",
			         n > 1 ? ", " : "", KINDS[i].kind);
		}
		lv_idle_log_fini(&other);
		if (rc < 0)
			return rc;
	}
	if (n == 0)
		return lv_fail(
		    why, LV_EINVAL,
		    "%s: idle at one clock only, and no other kind is idle at two clocks "
		    "to borrow a slope from",
		    log->path);
	log->rel_slope = sum / n;
	double f0 = log->clocks[0].mhz * 1e6;
	log->a = log->clocks[0].median_w / (1 + log->rel_slope * f0);
	log->s = log->rel_slope * log->a;
	return LV_OK;
}

/*
 * idle_power_w at every grid clock: the fitted line, scaled down by k when
 * k < 1. The min() with the bound only trims rounding in the last bit.
 */
static int reconcile(struct lv_profile *p, struct lv_idle_log *log, double *k_out, char **why)
{
	double k = 1e300;
	double *bound = lv_xcalloc(p->n_freqs, sizeof(*bound));
	for (size_t i = 0; i < p->n_freqs; i++)
		bound[i] = 1e300;
	for (size_t j = 0; j < p->n_points; j++) {
		const struct lv_profile_point *pt = &p->points[j];
		size_t fi = (size_t)lv_profile_freq_index(p, pt->freq_hz);
		double busy = pt->energy_j / pt->latency_s;
		if (busy < bound[fi])
			bound[fi] = busy;
	}
	int rc = LV_OK;
	for (size_t i = 0; i < p->n_freqs; i++) {
		bound[i] = BUSY_SHARE * bound[i];
		double raw = log->a + log->s * (double)p->freqs_hz[i];
		if (!(raw > 0)) {
			rc = lv_fail(why, LV_EINVAL, "%s: fitted idle power is %g W at %.6g MHz",
			             log->path, raw, (double)p->freqs_hz[i] / 1e6);
			goto out;
		}
		if (bound[i] / raw < k)
			k = bound[i] / raw;
	}
	double scale = k < 1 ? k : 1;
	for (size_t i = 0; i < p->n_freqs; i++) {
		double w = scale * (log->a + log->s * (double)p->freqs_hz[i]);
		p->idle_power_w[i] = w < bound[i] ? w : bound[i];
	}
	*k_out = k;
out:
	free(bound);
	return rc;
}

static void report_idle(const struct lv_profile *p, const struct lv_idle_log *log, double k,
                        char **rep)
{
	lv_import_report_add(rep, "  idle samples (GR3D_FREQ 0%%) in tegrastats/%s.log: %zu\n",
	                     p->kind, log->n_samples);
	for (size_t i = 0; i < log->n_clocks; i++)
		lv_import_report_add(rep, "    %4ld MHz: %4zu samples, median %.3f W\n",
		                     log->clocks[i].mhz, log->clocks[i].n, log->clocks[i].median_w);
	if (log->n_clocks >= 2)
		lv_import_report_add(rep, "  fit idle(f) = a + s*f over %zu clock medians%s:\n",
		                     log->n_clocks,
		                     log->clamped ? " (negative slope set to 0)" : "");
	else
		lv_import_report_add(rep,
		                     "  one idle clock: slope borrowed as s/a = %.6f /GHz "
		                     "(mean of %s), line through its median:\n",
		                     log->rel_slope * 1e9, log->borrowed_from);
	lv_import_report_add(rep, "    a = %.6f W, s = %.6f W/GHz\n", log->a, log->s * 1e9);
	lv_import_report_add(rep, "  scale k = %.6f: %s\n", k,
	                     k < 1 ? "applied (idle <= 90% of least busy power at every clock)"
	                           : "not applied (>= 1)");
	size_t last = p->n_freqs - 1;
	lv_import_report_add(rep, "  idle power: %.6f W at %.6g MHz, %.6f W at %.6g MHz\n",
	                     p->idle_power_w[0], (double)p->freqs_hz[0] / 1e6,
	                     p->idle_power_w[last], (double)p->freqs_hz[last] / 1e6);
}

static int import_idle(const char *data_dir, size_t ki, struct lv_profile *p, char **rep,
                       char **why)
{
	struct lv_idle_log log = { 0 };
	double k = 1;
	int rc = load_fit(data_dir, ki, &log, why);
	if (rc == 0 && log.n_clocks == 0)
		rc = lv_fail(why, LV_EINVAL, "%s: no idle samples (GR3D_FREQ 0%%)", log.path);
	if (rc == 0 && log.n_clocks == 1)
		rc = borrow_slope(data_dir, ki, &log, why);
	if (rc == 0) {
		p->idle_power_w = lv_xcalloc(p->n_freqs, sizeof(*p->idle_power_w));
		rc = reconcile(p, &log, &k, why);
	}
	if (rc == 0)
		report_idle(p, &log, k, rep);
	lv_idle_log_fini(&log);
	return rc;
}

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
	    "max batch %d, clock change %.2f s\n",
	    p->kind, p->display_name, p->n_points, p->n_freqs, (double)p->freqs_hz[0] / 1e6,
	    (double)p->freqs_hz[p->n_freqs - 1] / 1e6, lo, hi, p->max_batch,
	    p->clock_change_delay_s);
}

struct lv_profile *lv_profile_import(const char *data_dir, const char *kind, char **report,
                                     char **why)
{
	size_t ki = 0;
	while (ki < N_KINDS && strcmp(KINDS[ki].kind, kind) != 0)
		ki++;
	if (ki == N_KINDS) {
		lv_fail(why, LV_ENOENT, "unknown kind '%s' (known: agx-xavier, xavier-nx, nano)",
		        kind);
		return NULL;
	}
	const struct kind_info *k = &KINDS[ki];
	struct lv_profile *p = lv_xcalloc(1, sizeof(*p));
	char *rep = NULL;
	int rc = LV_OK;
	snprintf(p->kind, sizeof(p->kind), "%s", k->kind);
	p->display_name = lv_xstrdup(k->display);
	p->source = lv_xasprintf(SOURCE_FMT, k->key, k->key, k->kind);
	p->max_batch = k->max_batch;
	p->instances = 1;
	p->clock_change_delay_s = k->delay_s;
	rc = lv_import_specs(data_dir, k->key, &p->gpu, why);
	if (rc == 0)
		rc = lv_import_grid(data_dir, k->key, p, why);
	if (rc == 0)
		report_head(p, &rep);
	if (rc == 0)
		rc = import_idle(data_dir, ki, p, &rep, why);
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
