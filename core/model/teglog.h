/*
 * teglog: a tegrastats log read into memory, one small struct per line, for
 * the importer's fits (profile_fit_idle.c, profile_fit_gov.c). Private to
 * the profile importer.
 *
 * tegrastats lines are whitespace-separated tokens. "GR3D_FREQ L%@M" is the
 * GPU's load L (%) and clock M (whole MHz, as printed: 114.75 MHz is "114"),
 * "EMC_FREQ L%@M" the memory controller's, and a power rail is a name
 * followed by "<now>[mW]/<avg>[mW]" (the Nano prints no unit; both are mW).
 * Only the instantaneous value (before '/') is kept. "RAM 12939/31011MB" and
 * the like are not rails (their unit is not mW). A line may start with its
 * local time "MM-DD-YYYY HH:MM:SS" (the AGX and NX logs do, the Nano's does
 * not).
 */
#ifndef LV_TEGLOG_H
#define LV_TEGLOG_H

#include <stddef.h>

struct lv_teg_line {
	size_t line;       /* 1-based line number in the file */
	int load_pct;      /* GR3D load, % */
	long gpu_mhz;      /* GR3D clock, whole MHz */
	long emc_mhz;      /* EMC_FREQ clock, whole MHz; -1 when the line has none */
	long power_mw;     /* board power: VDD_IN or POM_5V_IN when the line has one, else the
	                      sum of its rails; -1 when it has no rail */
	long gpu_rail_mw;  /* the GPU's own rail (GPU, POM_5V_GPU); -1 when absent */
	long long stamp_s; /* the line's local time as seconds since 1970-01-01 00:00 of the
	                      same calendar; -1 when the line has none */
};

struct lv_teg_log {
	char *path; /* as opened, for messages */
	size_t n;
	struct lv_teg_line *lines;
	/*
	 * Seconds between lines: the least-squares slope of the stamps over the
	 * line index (stamps have a resolution of 1 s; over a thousand lines the
	 * slope is good to a fraction of a percent). 0 when fewer than two lines
	 * are stamped or the stamps do not advance.
	 */
	double dt_s;
};

/*
 * Reads a tegrastats log. Blank lines are skipped. 0, or LV_EIO (cannot read)
 * / LV_EINVAL (a line without GR3D_FREQ, or a malformed GR3D_FREQ or
 * EMC_FREQ) with *why naming path:line[:column] and the field. The caller
 * releases `log` with lv_teg_log_fini, also after an error.
 */
int lv_teg_log_read(const char *path, struct lv_teg_log *log, char **why);
void lv_teg_log_fini(struct lv_teg_log *log);

/*
 * The lowest and highest EMC clock (MHz) on the log's lines with GPU load 0;
 * both -1 when no such line shows EMC_FREQ. Equal values mean the memory
 * clock was pinned while the GPU idled.
 */
void lv_teg_log_emc_range(const struct lv_teg_log *log, long *lo_mhz, long *hi_mhz);

/* Days from 1970-01-01 to the civil date y-m-d (proleptic Gregorian). */
long long lv_days_from_civil(long long y, int m, int d);

#endif
