/*
 * service: sd_notify(3) for loudva-controller.service and journald's
 * priority prefixes (see service.h). libsystemd is the only outside library
 * here; nothing else in the program knows it is a service.
 */
#include "service.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

static void notify(const char *what, const char *status)
{
	if (!getenv("NOTIFY_SOCKET"))
		return;
	if (status)
		sd_notifyf(0, "%s%sSTATUS=%s", what ? what : "", what ? "\n" : "", status);
	else if (what)
		sd_notify(0, what);
}

void lv_service_ready(const char *status)
{
	notify("READY=1", status);
}

void lv_service_status(const char *status)
{
	notify(NULL, status);
}

void lv_service_stopping(const char *status)
{
	notify("STOPPING=1", status);
}

void lv_service_watchdog(void)
{
	static uint64_t last_us;
	uint64_t every_us = 0;
	if (sd_watchdog_enabled(0, &every_us) <= 0 || every_us == 0)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now_us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	if (last_us && now_us - last_us < every_us / 2)
		return;
	last_us = now_us;
	sd_notify(0, "WATCHDOG=1");
}

/* Whether stderr is the stream $JOURNAL_STREAM ("DEV:INODE") names. */
static int stderr_is_journal(void)
{
	static int known = -1;
	if (known >= 0)
		return known;
	known = 0;
	const char *js = getenv("JOURNAL_STREAM");
	struct stat st;
	unsigned long long dev = 0, ino = 0;
	if (js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0)
		known =
		    (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
	return known;
}

const char *lv_service_log_prefix(enum lv_log_level level)
{
	if (!stderr_is_journal())
		return "";
	switch (level) {
	case LV_LOG_DEBUG: return SD_DEBUG;
	case LV_LOG_INFO: return SD_INFO;
	case LV_LOG_WARN: return SD_WARNING;
	default: return SD_ERR;
	}
}
