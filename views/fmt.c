/*
 * fmt: number formatting and chart scaling for the views (see fmt.h). Pure:
 * no curses, no clocks, no allocation, so it is tested directly and the
 * benchmark's cost of a frame is the cost of drawing, not of printing.
 *
 * The formats are chosen to keep a column's width steady as values grow:
 * three significant digits and a unit prefix, rather than a width that
 * jumps from "999 J" to "1000.0 J" and shoves the next column over.
 */
#include "fmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sched/snapshot.h"

static char *dash(char *buf, size_t len)
{
	snprintf(buf, len, "-");
	return buf;
}

/* Three significant digits of x >= 0: "1.23", "12.3", "123". */
static void sig3(char *buf, size_t len, double x, const char *unit)
{
	if (x < 9.995)
		snprintf(buf, len, "%.2f%s", x, unit);
	else if (x < 99.95)
		snprintf(buf, len, "%.1f%s", x, unit);
	else
		snprintf(buf, len, "%.0f%s", x, unit);
}

char *lv_fmt_watts(char *buf, size_t len, double w)
{
	if (isnan(w))
		return dash(buf, len);
	if (fabs(w) >= 999.5)
		snprintf(buf, len, "%.3g kW", w / 1e3);
	else if (fabs(w) >= 99.95)
		snprintf(buf, len, "%.0f W", w);
	else
		snprintf(buf, len, "%.1f W", w);
	return buf;
}

char *lv_fmt_joules(char *buf, size_t len, double j)
{
	if (isnan(j) || j < 0)
		return dash(buf, len);
	if (j >= 999.5e6)
		sig3(buf, len, j / 1e9, " GJ");
	else if (j >= 999.5e3)
		sig3(buf, len, j / 1e6, " MJ");
	else if (j >= 999.5)
		sig3(buf, len, j / 1e3, " kJ");
	else
		sig3(buf, len, j, " J");
	return buf;
}

char *lv_fmt_mhz(char *buf, size_t len, uint64_t hz)
{
	if (hz == 0)
		return dash(buf, len);
	snprintf(buf, len, "%llu", (unsigned long long)((hz + 500000) / 1000000));
	return buf;
}

char *lv_fmt_duration(char *buf, size_t len, double s)
{
	if (!(s >= 0) || !isfinite(s))
		return dash(buf, len);
	unsigned long t = (unsigned long)s;
	if (t < 60)
		snprintf(buf, len, "%lus", t);
	else if (t < 3600)
		snprintf(buf, len, "%lum%02lus", t / 60, t % 60);
	else if (t < 86400)
		snprintf(buf, len, "%luh%02lum", t / 3600, t / 60 % 60);
	else
		snprintf(buf, len, "%lud%02luh", t / 86400, t / 3600 % 24);
	return buf;
}

char *lv_fmt_latency(char *buf, size_t len, double s)
{
	if (isnan(s))
		return dash(buf, len);
	if (s < 0.9995)
		snprintf(buf, len, "%.0fms", s * 1e3);
	else if (s < 9.995)
		snprintf(buf, len, "%.2fs", s);
	else if (s < 99.95)
		snprintf(buf, len, "%.1fs", s);
	else
		snprintf(buf, len, "%.0fs", s);
	return buf;
}

char *lv_fmt_count(char *buf, size_t len, uint64_t n)
{
	double x = (double)n;
	if (n < 1000)
		snprintf(buf, len, "%llu", (unsigned long long)n);
	else if (x < 999.5e3)
		sig3(buf, len, x / 1e3, "k");
	else if (x < 999.5e6)
		sig3(buf, len, x / 1e6, "M");
	else
		sig3(buf, len, x / 1e9, "G");
	return buf;
}

char *lv_fmt_pct(char *buf, size_t len, double pct)
{
	if (isnan(pct))
		return dash(buf, len);
	if (pct >= 99.995 && pct <= 100.0)
		snprintf(buf, len, "100%%");
	else
		snprintf(buf, len, "%.1f%%", pct);
	return buf;
}

char *lv_fmt_axis(char *buf, size_t len, double x)
{
	if (isnan(x))
		return dash(buf, len);
	double a = fabs(x);
	if (a >= 99999.5)
		snprintf(buf, len, "%.0fk", x / 1000);
	else if (a >= 99.95)
		snprintf(buf, len, "%.0f", x);
	else
		snprintf(buf, len, a >= 9.995 ? "%.1f" : "%.2f", x);
	/* No trailing zeros: "64", "2.5", "0". */
	char *dot = strchr(buf, '.');
	if (dot) {
		char *e = buf + strlen(buf);
		while (e > dot && (e[-1] == '0' || e[-1] == '.'))
			*--e = '\0';
	}
	return buf;
}

char *lv_fmt_rate(char *buf, size_t len, double x)
{
	if (isnan(x))
		return dash(buf, len);
	double a = fabs(x);
	if (a < 9.9995)
		snprintf(buf, len, "%.3f", x);
	else if (a < 99.995)
		snprintf(buf, len, "%.2f", x);
	else if (a < 999.95)
		snprintf(buf, len, "%.1f", x);
	else
		snprintf(buf, len, "%.0f", x);
	return buf;
}

int lv_fmt_store(char *buf, size_t len, const struct lv_snap_store *st)
{
	char n[16];
	uint64_t lost = lv_snap_store_lost(st), waiting = 0;
	for (int k = 0; k < LV_SNAP_ROW_KINDS; k++)
		waiting += st->pending[k];
	if (!st->enabled) {
		snprintf(buf, len, "%s", "");
		return 0;
	}
	if (lost) {
		snprintf(buf, len, "record INCOMPLETE: %s rows missing%s",
		         lv_fmt_count(n, sizeof(n), lost), st->failing ? ", writes failing" : "");
		return 2;
	}
	if (st->failing) {
		snprintf(buf, len, "store failing: %s rows waiting",
		         lv_fmt_count(n, sizeof(n), waiting));
		return 1;
	}
	snprintf(buf, len, "record complete");
	return 0;
}

size_t lv_series_resample(const double *v, size_t n, size_t width, double *out)
{
	if (width == 0)
		return 1;
	if (n <= width) {
		size_t pad = width - n;
		for (size_t i = 0; i < pad; i++)
			out[i] = NAN;
		for (size_t i = 0; i < n; i++)
			out[pad + i] = v[i];
		return 1;
	}
	size_t group = (n + width - 1) / width;
	/* Point width-1-k averages samples [n - (k+1)·group, n - k·group), clipped at 0. */
	for (size_t k = 0; k < width; k++) {
		size_t hi = k * group < n ? n - k * group : 0;
		size_t lo = hi > group ? hi - group : 0;
		double sum = 0;
		size_t cnt = 0;
		for (size_t i = lo; i < hi; i++) {
			if (isnan(v[i]))
				continue;
			sum += v[i];
			cnt++;
		}
		out[width - 1 - k] = cnt ? sum / (double)cnt : NAN;
	}
	return group;
}

double lv_series_levels(const double *v, size_t n, int levels, double max, int *out)
{
	double hi = max;
	if (!(hi > 0)) {
		hi = 0;
		for (size_t i = 0; i < n; i++)
			if (isfinite(v[i]) && v[i] > hi)
				hi = v[i];
	}
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(v[i])) {
			out[i] = -1;
			continue;
		}
		if (!(hi > 0) || v[i] <= 0) {
			out[i] = 0;
			continue;
		}
		long l = lround(v[i] / hi * (double)(levels - 1));
		if (l < 1)
			l = 1;
		if (l > levels - 1)
			l = levels - 1;
		out[i] = (int)l;
	}
	return hi;
}

void lv_bar_fill(double frac, int width, int sub, int *full, int *part)
{
	if (!(frac > 0) || width <= 0 || sub <= 0) {
		*full = 0;
		*part = 0;
		return;
	}
	if (frac > 1)
		frac = 1;
	long steps = lround(frac * (double)width * (double)sub);
	if (steps == 0)
		steps = 1; /* something, however little, shows */
	*full = (int)(steps / sub);
	*part = (int)(steps % sub);
	if (*full >= width) {
		*full = width;
		*part = 0;
	}
}
