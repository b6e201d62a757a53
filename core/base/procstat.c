/*
 * procstat: /proc/self/stat, /proc/self/fd, /proc/stat's btime and
 * getrlimit. See procstat.h.
 *
 * /proc/self/stat's second field is the command name in parentheses and may
 * itself hold spaces and ')', so the fields are counted from the last ')'.
 * utime, stime and starttime are in clock ticks (sysconf(_SC_CLK_TCK));
 * starttime counts from boot, so the start's Unix time is btime plus it.
 */
#include "procstat.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Reads a small /proc file whole into buf; returns its length or -1. */
static long read_small(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (long)n;
}

static double boot_time_s(void)
{
	char buf[8192];
	if (read_small("/proc/stat", buf, sizeof buf) < 0)
		return -1;
	const char *p = strstr(buf, "\nbtime ");
	return p ? strtod(p + 7, NULL) : -1;
}

static void read_stat(struct lv_proc_stats *out)
{
	char buf[1024];
	if (read_small("/proc/self/stat", buf, sizeof buf) < 0)
		return;
	char *p = strrchr(buf, ')');
	if (!p)
		return;
	/* Fields from 3 (state) on; utime is 14, stime 15, starttime 22, vsize 23, rss 24. */
	unsigned long long f[25] = { 0 };
	int k = 3;
	char *save = NULL; /* strtok_r: the front end's threads may render at once */
	for (char *tok = strtok_r(p + 1, " \n", &save); tok && k < 25;
	     tok = strtok_r(NULL, " \n", &save), k++)
		f[k] = strtoull(tok, NULL, 10);
	if (k < 25)
		return;
	long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	if (tck <= 0 || page <= 0)
		return;
	out->cpu_s = (double)(f[14] + f[15]) / (double)tck;
	out->vsize_bytes = f[23];
	out->rss_bytes = f[24] * (unsigned long long)page;
	out->valid |= LV_PROC_HAS_CPU | LV_PROC_HAS_MEM;
	double boot = boot_time_s();
	if (boot > 0) {
		out->start_time_s = boot + (double)f[22] / (double)tck;
		out->valid |= LV_PROC_HAS_START;
	}
}

static void read_fds(struct lv_proc_stats *out)
{
	DIR *d = opendir("/proc/self/fd");
	if (d) {
		uint64_t n = 0;
		for (struct dirent *e; (e = readdir(d));)
			n += e->d_name[0] != '.';
		closedir(d);
		out->open_fds = n - 1; /* the directory's own descriptor */
		out->valid |= LV_PROC_HAS_FDS;
	}
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		out->max_fds = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
		out->valid |= LV_PROC_HAS_LIMIT;
	}
}

unsigned lv_proc_stats_read(struct lv_proc_stats *out)
{
	*out = (struct lv_proc_stats){ .valid = 0 };
	read_stat(out);
	read_fds(out);
	return out->valid;
}
