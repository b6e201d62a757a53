/*
 * procstat: the figures of the running process that Prometheus's client
 * libraries export as process_* (CPU seconds, resident and virtual memory,
 * open and allowed file descriptors, start time), read from Linux's /proc.
 * A figure that cannot be read is left out (its bit clear), never made up.
 */
#ifndef LV_PROCSTAT_H
#define LV_PROCSTAT_H

#include <stdint.h>

enum {
	LV_PROC_HAS_CPU = 1u << 0,   /* cpu_s */
	LV_PROC_HAS_MEM = 1u << 1,   /* rss_bytes, vsize_bytes */
	LV_PROC_HAS_FDS = 1u << 2,   /* open_fds */
	LV_PROC_HAS_LIMIT = 1u << 3, /* max_fds */
	LV_PROC_HAS_START = 1u << 4, /* start_time_s */
};

struct lv_proc_stats {
	unsigned valid;     /* LV_PROC_HAS_* */
	double cpu_s;       /* user + system CPU time */
	uint64_t rss_bytes; /* resident memory */
	uint64_t vsize_bytes;
	uint64_t open_fds;
	uint64_t max_fds;    /* the soft limit; UINT64_MAX when unlimited */
	double start_time_s; /* Unix time the process started */
};

/* Fills *out for the calling process; returns the valid bits (0: /proc unreadable). */
unsigned lv_proc_stats_read(struct lv_proc_stats *out);

#endif
