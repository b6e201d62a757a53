/*
 * teglog: reading a tegrastats log (format in teglog.h) into an array of
 * lines. Called by the profile importer for the idle-power and governor fits.
 *
 * Every line must show GR3D_FREQ: a log without it is not a tegrastats log
 * of a GPU, and a fit built on half-read lines would be silently wrong. A
 * line's rails are optional here; the fits decide whether they need them.
 */
#include "teglog.h"

#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/util.h"

/* Reads digits at *s into *v; 0 if there were none or too many. */
static int digits(const char **s, long *v)
{
	const char *p = *s;
	long x = 0;
	while (*p >= '0' && *p <= '9' && x < 100000000)
		x = 10 * x + (*p++ - '0');
	if (p == *s || (*p >= '0' && *p <= '9'))
		return 0;
	*v = x;
	*s = p;
	return 1;
}

/* "311mW/311mW" or "1331/1331" -> 311 or 1331 (mW). */
static int rail_mw(const char *tok, long *mw)
{
	long avg = 0;
	if (!digits(&tok, mw))
		return 0;
	if (strncmp(tok, "mW", 2) == 0)
		tok += 2;
	if (*tok++ != '/' || !digits(&tok, &avg))
		return 0;
	if (strncmp(tok, "mW", 2) == 0)
		tok += 2;
	return *tok == '\0';
}

/* "0%@114" -> load 0, clock 114. */
static int load_at(const char *tok, long *load, long *mhz)
{
	if (!digits(&tok, load) || *tok++ != '%' || *tok++ != '@' || !digits(&tok, mhz))
		return 0;
	return *tok == '\0';
}

long long lv_days_from_civil(long long y, int m, int d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;                                  /* [0, 399] */
	long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1; /* [0, 365] */
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          /* [0, 146096] */
	return era * 146097 + doe - 719468;
}

/* "MM-DD-YYYY" "HH:MM:SS" -> seconds since 1970 (same calendar), or -1. */
static long long stamp(const char *date, const char *time)
{
	long mo, d, y, h, mi, s;
	const char *p = date;
	if (!digits(&p, &mo) || *p++ != '-' || !digits(&p, &d) || *p++ != '-' || !digits(&p, &y) ||
	    *p)
		return -1;
	p = time;
	if (!digits(&p, &h) || *p++ != ':' || !digits(&p, &mi) || *p++ != ':' || !digits(&p, &s) ||
	    *p)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
		return -1;
	return lv_days_from_civil(y, (int)mo, (int)d) * 86400 + h * 3600 + mi * 60 + s;
}

/* Scans one line (modified in place) into *out. */
static int scan_line(char *line, const char *path, size_t ln, struct lv_teg_line *out, char **why)
{
	char *save = NULL, *prev = NULL, *first = NULL;
	long in_mw = -1, sum_mw = 0, load = -1;
	int n_rails = 0;
	*out = (struct lv_teg_line){ ln, 0, -1, -1, -1, -1, -1 };
	for (char *t = strtok_r(line, " \t", &save); t;
	     prev = t, t = strtok_r(NULL, " \t", &save)) {
		long mw = 0, emc_load = 0;
		if (!prev)
			first = t;
		else if (prev == first)
			out->stamp_s = stamp(first, t);
		if (prev && strcmp(prev, "GR3D_FREQ") == 0) {
			if (!load_at(t, &load, &out->gpu_mhz))
				return lv_fail(why, LV_EINVAL,
				               "%s:%zu:%zu: GR3D_FREQ: '%s' is not <load>%%@<MHz>",
				               path, ln, (size_t)(t - line) + 1, t);
		} else if (prev && strcmp(prev, "EMC_FREQ") == 0) {
			if (!load_at(t, &emc_load, &out->emc_mhz))
				return lv_fail(why, LV_EINVAL,
				               "%s:%zu:%zu: EMC_FREQ: '%s' is not <load>%%@<MHz>",
				               path, ln, (size_t)(t - line) + 1, t);
		} else if (prev && rail_mw(t, &mw)) {
			if (strcmp(prev, "VDD_IN") == 0 || strcmp(prev, "POM_5V_IN") == 0)
				in_mw = mw;
			if (strcmp(prev, "GPU") == 0 || strcmp(prev, "POM_5V_GPU") == 0)
				out->gpu_rail_mw = mw;
			sum_mw += mw;
			n_rails++;
		}
	}
	if (out->gpu_mhz < 0)
		return lv_fail(why, LV_EINVAL, "%s:%zu: GR3D_FREQ: missing", path, ln);
	out->load_pct = load > 100 ? 100 : (int)load;
	out->power_mw = in_mw >= 0 ? in_mw : n_rails ? sum_mw : -1;
	return LV_OK;
}

/* Least-squares slope of the stamps over the line index; 0 if it cannot be had. */
static double spacing(const struct lv_teg_log *log)
{
	double n = 0, mx = 0, my = 0, sxx = 0, sxy = 0;
	for (size_t i = 0; i < log->n; i++) {
		if (log->lines[i].stamp_s < 0)
			continue;
		n++;
		mx += (double)i;
		my += (double)(log->lines[i].stamp_s - log->lines[0].stamp_s);
	}
	if (n < 2 || log->lines[0].stamp_s < 0)
		return 0;
	mx /= n;
	my /= n;
	for (size_t i = 0; i < log->n; i++) {
		if (log->lines[i].stamp_s < 0)
			continue;
		double dx = (double)i - mx;
		sxx += dx * dx;
		sxy += dx * ((double)(log->lines[i].stamp_s - log->lines[0].stamp_s) - my);
	}
	double s = sxx > 0 ? sxy / sxx : 0;
	return s > 0 ? s : 0;
}

int lv_teg_log_read(const char *path, struct lv_teg_log *log, char **why)
{
	*log = (struct lv_teg_log){ 0 };
	log->path = lv_xstrdup(path);
	size_t text_len = 0;
	char *text = lv_read_file(path, &text_len, why);
	if (!text)
		return LV_EIO;
	const char *end = text + text_len;
	size_t cap = 0, ln = 0;
	int rc = LV_OK;
	char *cur = text, *line;
	while (rc == 0 && (line = lv_line_next(&cur, end))) {
		ln++;
		size_t len = strlen(line);
		if (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if (strspn(line, " \t") == len)
			continue;
		if (log->n == cap) {
			cap = cap ? 2 * cap : 1024;
			log->lines = lv_xrealloc(log->lines, cap * sizeof(*log->lines));
		}
		rc = scan_line(line, path, ln, &log->lines[log->n], why);
		if (rc == 0)
			log->n++;
	}
	free(text);
	if (rc == 0)
		log->dt_s = spacing(log);
	return rc;
}

void lv_teg_log_fini(struct lv_teg_log *log)
{
	free(log->path);
	free(log->lines);
	*log = (struct lv_teg_log){ 0 };
}

void lv_teg_log_emc_range(const struct lv_teg_log *log, long *lo_mhz, long *hi_mhz)
{
	*lo_mhz = *hi_mhz = -1;
	for (size_t i = 0; i < log->n; i++) {
		const struct lv_teg_line *l = &log->lines[i];
		if (l->load_pct != 0 || l->emc_mhz < 0)
			continue;
		if (*lo_mhz < 0 || l->emc_mhz < *lo_mhz)
			*lo_mhz = l->emc_mhz;
		if (l->emc_mhz > *hi_mhz)
			*hi_mhz = l->emc_mhz;
	}
}
