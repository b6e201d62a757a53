/*
 * service: what `loudva serve` tells systemd when it runs as
 * loudva-controller.service (Type=notify): READY=1 with a status line once
 * the front end and the cluster are up, STATUS= updates, WATCHDOG=1 when
 * the unit asks for a watchdog, STOPPING=1 when an orderly stop begins.
 * Outside systemd (no $NOTIFY_SOCKET) every call does nothing.
 *
 * Logging: when stderr is the journal ($JOURNAL_STREAM names it), lines
 * get the kernel-style "<N>" priority prefix journald reads, so `journalctl
 * -p warning -u loudva-controller` shows the warnings and errors.
 */
#ifndef LV_SERVICE_H
#define LV_SERVICE_H

#include "base/eventlog.h"

/* READY=1 and STATUS=<status>. */
void lv_service_ready(const char *status);

/* STATUS=<status>. */
void lv_service_status(const char *status);

/* STOPPING=1 and STATUS=<status>. */
void lv_service_stopping(const char *status);

/*
 * WATCHDOG=1 if the unit set WatchdogSec= and half of it has passed since
 * the last one; call it from the main loop (cheap when there is nothing to
 * send).
 */
void lv_service_watchdog(void);

/* "<3>".."<7>" for LEVEL when stderr is the journal, else "". Static string. */
const char *lv_service_log_prefix(enum lv_log_level level);

#endif
