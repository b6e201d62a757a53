/*
 * tegrastats: the line parser and the energy meter described in
 * tegrastats.h. A line is split on blanks into tokens (pointers into a
 * bounded copy); the stamp, GR3D_FREQ, rails ("NAME cur/avg") and
 * temperatures ("name@valueC") are recognised by shape, and so are RAM,
 * CPU and EMC_FREQ (informative: a shape not known leaves them unset);
 * everything else (SWAP, VIC, APE, NVENC, ...) is skipped. No allocation except the
 * optional error message; the agent calls it for every line of a live
 * tegrastats stream, five times a second.
 */
#include "tegrastats.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

#define MAX_TOKENS 256

static int all_digits(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's method). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

/* "MM-DD-YYYY" "HH:MM:SS" → seconds. 0 or LV_EINVAL. */
static int parse_stamp(const char *date, const char *time, long long *out)
{
	if (strlen(date) != 10 || date[2] != '-' || date[5] != '-' || strlen(time) != 8 ||
	    time[2] != ':' || time[5] != ':')
		return LV_EINVAL;
	if (!all_digits(date, 2) || !all_digits(date + 3, 2) || !all_digits(date + 6, 4) ||
	    !all_digits(time, 2) || !all_digits(time + 3, 2) || !all_digits(time + 6, 2))
		return LV_EINVAL;
	unsigned mo = (unsigned)atoi(date), d = (unsigned)atoi(date + 3);
	long long y = atoll(date + 6);
	int h = atoi(time), mi = atoi(time + 3), s = atoi(time + 6);
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
		return LV_EINVAL;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	return 0;
}

/* "123" or "123mW" → mW; the unit must match `mw` (1: "mW" required, 0: bare). */
static int parse_mw(const char *s, size_t n, int mw, double *out)
{
	if (mw) {
		if (n < 3 || memcmp(s + n - 2, "mW", 2) != 0)
			return 0;
		n -= 2;
	}
	if (!all_digits(s, n) || n > 9)
		return 0;
	*out = (double)strtoul(s, NULL, 10) / 1000.0;
	return 1;
}

/* "311mW/311mW" or "1331/1331": a rail value. 1 and the two powers (W), else 0. */
static int rail_value(const char *s, double *cur_w, double *avg_w)
{
	const char *slash = strchr(s, '/');
	if (!slash)
		return 0;
	size_t n1 = (size_t)(slash - s), n2 = strlen(slash + 1);
	int mw = n1 > 2 && !memcmp(slash - 2, "mW", 2);
	return parse_mw(s, n1, mw, cur_w) && parse_mw(slash + 1, n2, mw, avg_w);
}

static int is_name(const char *s)
{
	if (!*s || strlen(s) >= LV_TS_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* "x%@MHz", "x%@[a,b]", "x%", "off" → load and clock. 0 or LV_EINVAL. */
static int parse_gr3d(const char *s, struct lv_tegrastats_sample *out)
{
	if (!strcmp(s, "off")) {
		out->gpu_load_pct = 0;
		return 0;
	}
	char *end;
	double load = strtod(s, &end);
	if (end == s || *end != '%' || !(load >= 0 && load <= 100))
		return LV_EINVAL;
	out->gpu_load_pct = load;
	end++;
	if (!*end)
		return 0;
	if (*end != '@')
		return LV_EINVAL;
	end++;
	if (*end == '[')
		end++;
	char *e2;
	unsigned long mhz = strtoul(end, &e2, 10);
	if (e2 == end || (*e2 && *e2 != ',' && *e2 != ']'))
		return LV_EINVAL;
	out->gpu_freq_hz = (uint64_t)mhz * 1000000u;
	out->valid |= LV_TS_GPU_FREQ;
	return 0;
}

/* "name@40.5C" → a temperature. 1 taken, 0 not a temperature token, LV_EINVAL bad number. */
static int parse_temp(const char *s, struct lv_tegrastats_sample *out)
{
	const char *at = strchr(s, '@');
	size_t n = strlen(s);
	if (!at || at == s || n < 3 || s[n - 1] != 'C' || (size_t)(at - s) >= LV_TS_NAME_MAX)
		return 0;
	for (const char *p = s; p < at; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return 0;
	char *end;
	double c = strtod(at + 1, &end);
	if (end == at + 1 || end != s + n - 1 || !isfinite(c))
		return LV_EINVAL;
	if (c <= -256 || out->n_temps == LV_TS_MAX_TEMPS)
		return 1;
	struct lv_tegrastats_temp *t = &out->temps[out->n_temps++];
	memcpy(t->name, s, (size_t)(at - s));
	t->name[at - s] = '\0';
	t->celsius = c;
	return 1;
}

/* "3%@2133", "0%", "0%@[2133]", "@2133": EMC load and clock, as far as they parse. */
static void parse_emc(const char *s, struct lv_tegrastats_sample *out)
{
	char *end;
	if (*s != '@') {
		double load = strtod(s, &end);
		if (end == s || *end != '%' || !(load >= 0 && load <= 100))
			return;
		out->emc_load_pct = load;
		out->valid |= LV_TS_EMC_LOAD;
		s = end + 1;
		if (!*s)
			return;
	}
	if (*s++ != '@')
		return;
	if (*s == '[')
		s++;
	if (!isdigit((unsigned char)*s))
		return;
	unsigned long mhz = strtoul(s, &end, 10);
	if ((*end && *end != ']' && *end != ',') || mhz == 0 || mhz > 100000)
		return;
	out->emc_freq_hz = (uint64_t)mhz * 1000000u;
	out->valid |= LV_TS_EMC_FREQ;
}

/* "1313/30697MB": RAM in use and in all. */
static void parse_ram(const char *s, struct lv_tegrastats_sample *out)
{
	char *end, *end2;
	double used = strtod(s, &end);
	if (end == s || *end != '/' || !(used >= 0))
		return;
	double total = strtod(end + 1, &end2);
	if (end2 == end + 1 || strcmp(end2, "MB") != 0 || !(total > 0 && total < 1e9) ||
	    used > total)
		return;
	out->ram_used_mb = used;
	out->ram_total_mb = total;
	out->valid |= LV_TS_RAM;
}

/* "[0%@729,4%@2265,off]": the mean load of the online cores. */
static void parse_cpu(const char *s, struct lv_tegrastats_sample *out)
{
	size_t n = strlen(s);
	if (n < 3 || s[0] != '[' || s[n - 1] != ']')
		return;
	int cores = 0, online = 0;
	double sum = 0;
	const char *p = s + 1;
	while (p < s + n - 1) {
		const char *comma = strchr(p, ',');
		const char *stop = comma && comma < s + n - 1 ? comma : s + n - 1;
		if ((size_t)(stop - p) == 3 && !memcmp(p, "off", 3)) {
			cores++;
		} else {
			char *end;
			double load = strtod(p, &end);
			if (end == p || *end != '%' || !(load >= 0 && load <= 100))
				return;
			sum += load;
			cores++;
			online++;
		}
		p = stop + 1;
	}
	if (cores == 0)
		return;
	out->cpu_cores = cores;
	out->cpu_online = online;
	out->cpu_load_pct = online ? sum / online : 0;
	out->valid |= LV_TS_CPU;
}

static int add_rail(struct lv_tegrastats_sample *out, const char *name, double cur_w, double avg_w,
                    char **why)
{
	for (size_t i = 0; i < out->n_rails; i++)
		if (!strcmp(out->rails[i].name, name))
			return lv_fail(why, LV_EINVAL, "rail %s appears twice", name);
	if (out->n_rails == LV_TS_MAX_RAILS)
		return lv_fail(why, LV_EINVAL, "more than %d rails", LV_TS_MAX_RAILS);
	struct lv_tegrastats_rail *r = &out->rails[out->n_rails];
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->power_w = cur_w;
	r->avg_w = avg_w;
	if (!strcmp(name, "VDD_IN") || !strcmp(name, "POM_5V_IN"))
		out->input_rail = (int)out->n_rails;
	out->n_rails++;
	return 0;
}

/* The fields after the stamp. tok[i..n). */
static int parse_fields(char **tok, int i, int n, struct lv_tegrastats_sample *out, char **why)
{
	int gr3d = 0, last_rail = -1;
	for (; i < n; i++) {
		double cur, avg;
		if (i + 1 < n && !strcmp(tok[i], "EMC_FREQ")) {
			parse_emc(tok[++i], out);
		} else if (i + 1 < n && !strcmp(tok[i], "RAM")) {
			parse_ram(tok[++i], out);
		} else if (i + 1 < n && !strcmp(tok[i], "CPU") && tok[i + 1][0] == '[') {
			parse_cpu(tok[++i], out);
		} else if (!strcmp(tok[i], "GR3D_FREQ")) {
			if (i + 1 >= n || parse_gr3d(tok[i + 1], out) != 0)
				return lv_fail(why, LV_EINVAL, "GR3D_FREQ: bad value '%s'",
				               i + 1 < n ? tok[i + 1] : "");
			gr3d = 1;
			i++;
		} else if (i + 1 < n && is_name(tok[i]) && rail_value(tok[i + 1], &cur, &avg)) {
			/* "NC": an INA3221 channel not connected (AGX Orin, JetPack 5) */
			if (strcmp(tok[i], "NC") != 0 && add_rail(out, tok[i], cur, avg, why) != 0)
				return LV_EINVAL;
			last_rail = ++i;
		} else if (parse_temp(tok[i], out) < 0) {
			return lv_fail(why, LV_EINVAL, "temperature '%s': bad number", tok[i]);
		}
	}
	if (!gr3d)
		return lv_fail(why, LV_EINVAL, "no GR3D_FREQ field");
	if (out->n_rails == 0)
		return lv_fail(why, LV_EINVAL, "no power rail (NAME cur/avg)");
	if (last_rail != n - 1)
		return lv_fail(why, LV_EINVAL, "cut off: the line ends with '%s', not a power rail",
		               tok[n - 1]);
	return 0;
}

int lv_tegrastats_parse(const char *line, struct lv_tegrastats_sample *out, char **why)
{
	char buf[LV_TS_LINE_MAX];
	char *tok[MAX_TOKENS];
	int n = 0;

	memset(out, 0, sizeof(*out));
	out->input_rail = -1;
	size_t len = strcspn(line, "\r\n");
	if (len >= sizeof(buf))
		return lv_fail(why, LV_EINVAL, "line longer than %d characters",
		               LV_TS_LINE_MAX - 1);
	memcpy(buf, line, len);
	buf[len] = '\0';
	for (char *save = NULL, *t = strtok_r(buf, " \t", &save); t;
	     t = strtok_r(NULL, " \t", &save)) {
		if (n == MAX_TOKENS)
			return lv_fail(why, LV_EINVAL, "more than %d fields", MAX_TOKENS);
		tok[n++] = t;
	}
	if (n == 0)
		return 0;
	int i = 0;
	if (isdigit((unsigned char)tok[0][0])) {
		if (n < 2 || parse_stamp(tok[0], tok[1], &out->stamp_s) != 0)
			return lv_fail(why, LV_EINVAL, "bad time stamp '%s %s'", tok[0],
			               n > 1 ? tok[1] : "");
		out->valid |= LV_TS_STAMP;
		i = 2;
	}
	if (parse_fields(tok, i, n, out, why) != 0)
		return LV_EINVAL;
	if (out->input_rail >= 0) {
		out->power_w = out->rails[out->input_rail].power_w;
	} else {
		for (size_t r = 0; r < out->n_rails; r++)
			out->power_w += out->rails[r].power_w;
	}
	return 1;
}

/* ---- energy ---------------------------------------------------------------- */

void lv_tegrastats_meter_init(struct lv_tegrastats_meter *m, double interval_s)
{
	memset(m, 0, sizeof(*m));
	m->interval_s = interval_s > 0 ? interval_s : 0.2;
}

/* Charges the open run: by its stamps when `next_stamp` follows closely, else by interval. */
static void close_run(struct lv_tegrastats_meter *m, int have_next, long long next_stamp)
{
	if (!m->run_open)
		return;
	long long gap = next_stamp - m->run_stamp_s;
	if (have_next && gap > 0 && gap <= LV_TS_MAX_GAP_S)
		m->energy_j += m->run_power_sum_w / m->run_n * (double)gap;
	else
		m->energy_j += m->run_power_sum_w * m->interval_s;
	m->run_open = 0;
	m->run_n = 0;
	m->run_power_sum_w = 0;
}

int lv_tegrastats_meter_feed(struct lv_tegrastats_meter *m, const char *line)
{
	struct lv_tegrastats_sample s;
	char *why = NULL;
	int rc = lv_tegrastats_parse(line, &s, &why);
	if (rc == 0)
		return 0;
	m->lines++;
	if (rc < 0) {
		m->malformed++;
		if (!m->first_bad_line) {
			m->first_bad_line = m->lines;
			snprintf(m->first_error, sizeof(m->first_error), "%s", why ? why : "?");
		}
		free(why);
		return LV_EINVAL;
	}
	m->samples++;
	m->last = s;
	if (!(s.valid & LV_TS_STAMP)) {
		close_run(m, 0, 0);
		m->energy_j += s.power_w * m->interval_s;
		return 1;
	}
	if (m->run_open && s.stamp_s != m->run_stamp_s)
		close_run(m, 1, s.stamp_s);
	m->run_open = 1;
	m->run_stamp_s = s.stamp_s;
	m->run_n++;
	m->run_power_sum_w += s.power_w;
	return 1;
}

void lv_tegrastats_meter_finish(struct lv_tegrastats_meter *m)
{
	close_run(m, 0, 0);
}
