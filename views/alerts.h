/*
 * alerts: what needs the operator's eye, computed from what the views
 * already read (struct lv_ui): devices down, a late share over the
 * threshold, frames rejected by the scheduler or refused by the front end,
 * the front end off, the record incomplete, a profiling sweep or an
 * experiment running. Pure: no curses, no I/O. The frame draws them as a
 * strip on the tab bar (every view), `!` shows each one whole.
 */
#ifndef LV_ALERTS_H
#define LV_ALERTS_H

#include <stddef.h>

struct lv_ui;

#define LV_ALERT_MAX 12
/* The late share (100 - % within budget over the last 60 s) that raises an alert, %. */
#define LV_ALERT_LATE_PCT 10.0

enum lv_alert_level {
	LV_ALERT_INFO = 0, /* under way: a sweep, an experiment */
	LV_ALERT_WARN,     /* degraded: late frames, refusals, the front end off */
	LV_ALERT_ERROR,    /* broken: a device down, rows lost */
};

struct lv_alert {
	enum lv_alert_level level;
	char brief[48]; /* for the strip: "nano-00 down", "late 23%" */
	char full[400]; /* for `!`: the whole story, the device's last error included */
};

/* Fills out[0..max) with the current alerts, worst first; returns how many. */
size_t lv_alerts(const struct lv_ui *ui, struct lv_alert *out, size_t max);

#endif
