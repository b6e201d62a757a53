/*
 * profile_fit_clock: the GPU clock-change delay from the thesis controller's
 * logs — from the dispatch that asked for a clock to the controller's
 * "Frequency set" for it — and its distribution as a few quantiles. Called by
 * the importer; contracts in profile_fit.h, numbers in profiles/README.md.
 *
 * The log's lines that matter look like
 *   2025-02-07 22:44:56,744 - LoudVA - INFO - [LoudScheduler] - Dispatching
 *     to agx-xavier-00 with frequency 905250000, batch size 51
 *   2025-02-07 22:44:56,861 - LoudVA - INFO - [DeviceData] - Frequency set
 *     to 905250000 MHz on agx-xavier-00
 * (one line each; the "MHz" is the thesis's, the number is Hz). Everything
 * else — requests, tracebacks, the web server's lines — is skipped.
 */
#include "profile_fit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teglog.h"
#include "base/file.h"
#include "base/util.h"

#define MAX_DEVICES 16

struct dev_state {
	char name[64];
	unsigned long long clock_hz; /* after the last "Frequency set"; 0 unknown */
	unsigned long long disp_hz;  /* the latest dispatch's clock; 0 none since the set */
	long long disp_day;          /* its time: day (since 1970) and seconds into it */
	double disp_s;
};

/*
 * "2025-02-07 22:44:56,744" at the start of line -> day since 1970 and
 * seconds into it (apart, so a difference keeps its milliseconds exact), or
 * -1 when the line does not start with a time.
 */
static int line_time(const char *line, long long *day, double *sec)
{
	int y, mo, d, h, mi, s, ms, used = 0;
	if (sscanf(line, "%4d-%2d-%2d %2d:%2d:%2d,%3d%n", &y, &mo, &d, &h, &mi, &s, &ms, &used) !=
	        7 ||
	    used != 23)
		return -1;
	*day = lv_days_from_civil(y, mo, d);
	*sec = h * 3600.0 + mi * 60.0 + s + ms / 1000.0;
	return 0;
}

static struct dev_state *device(struct dev_state *devs, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(devs[i].name, name) == 0)
			return &devs[i];
	if (*n == MAX_DEVICES)
		return NULL;
	struct dev_state *d = &devs[(*n)++];
	*d = (struct dev_state){ 0 };
	snprintf(d->name, sizeof(d->name), "%s", name);
	return d;
}

static void push(double **v, size_t *n, size_t *cap, double x)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 256;
		*v = lv_xrealloc(*v, *cap * sizeof(**v));
	}
	(*v)[(*n)++] = x;
}

/* One line: a dispatch or a set updates devs and maybe yields a delay. */
static int line_event(const char *line, const char *path, size_t ln, struct dev_state *devs,
                      size_t *n_devs, double **v, size_t *n, size_t *cap, char **why)
{
	const char *disp = strstr(line, " - Dispatching to ");
	const char *set = strstr(line, " - Frequency set to ");
	if (!disp && !set)
		return LV_OK;
	long long day = 0;
	double t = 0;
	int timed = line_time(line, &day, &t) == 0;
	char name[64];
	unsigned long long hz = 0;
	int batch = 0, ok;
	if (disp)
		ok = sscanf(disp, " - Dispatching to %63s with frequency %llu, batch size %d", name,
		            &hz, &batch) == 3;
	else
		ok = sscanf(set, " - Frequency set to %llu MHz on %63s", &hz, name) == 2;
	if (!ok || !timed || hz == 0)
		return lv_fail(why, LV_EINVAL, "%s:%zu: '%s': not a %s line", path, ln, line,
		               disp ? "dispatch" : "clock-set");
	struct dev_state *d = device(devs, n_devs, name);
	if (!d)
		return lv_fail(why, LV_EINVAL, "%s:%zu: more than %d devices", path, ln,
		               MAX_DEVICES);
	if (disp) {
		d->disp_hz = hz;
		d->disp_day = day;
		d->disp_s = t;
		return LV_OK;
	}
	if (d->disp_hz == hz && d->clock_hz != 0 && d->clock_hz != hz)
		push(v, n, cap, (double)(day - d->disp_day) * 86400.0 + (t - d->disp_s));
	d->clock_hz = hz;
	d->disp_hz = 0;
	return LV_OK;
}

int lv_cc_read(const char *path, double **v, size_t *n, size_t *cap, char **why)
{
	size_t text_len = 0;
	char *text = lv_read_file(path, &text_len, why);
	if (!text)
		return LV_EIO;
	const char *end = text + text_len;
	struct dev_state devs[MAX_DEVICES];
	size_t n_devs = 0, ln = 0;
	int rc = LV_OK;
	char *cur = text, *line;
	while (rc == 0 && (line = lv_line_next(&cur, end))) {
		ln++;
		rc = line_event(line, path, ln, devs, &n_devs, v, n, cap, why);
	}
	free(text);
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

void lv_cc_shape(double *v, size_t n, double *shape, double *mean_s)
{
	const size_t k = LV_CC_QUANTILES - 1;
	qsort(v, n, sizeof(*v), cmp_double);
	for (size_t i = 0; i <= k; i++) {
		double h = (double)i / (double)k * (double)(n - 1);
		size_t j = (size_t)h;
		shape[i] = j + 1 >= n ? v[n - 1] : v[j] + (h - (double)j) * (v[j + 1] - v[j]);
	}
	double mean = 0;
	for (size_t i = 0; i < k; i++)
		mean += (shape[i] + shape[i + 1]) / 2.0 / (double)k;
	for (size_t i = 0; i <= k; i++)
		shape[i] = mean > 0 ? shape[i] / mean : 1.0;
	*mean_s = mean;
}
