/*
 * alerts: the alert list (see alerts.h). Each check reads one input of
 * struct lv_ui; the list is sorted by level so the strip shows the worst
 * first when it has room for only a few.
 */
#include "alerts.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fmt.h"
#include "ui.h"

struct list {
	struct lv_alert *v;
	size_t n, max;
};

static struct lv_alert *add(struct list *l, enum lv_alert_level level)
{
	if (l->n == l->max)
		return NULL;
	struct lv_alert *a = &l->v[l->n++];
	memset(a, 0, sizeof(*a));
	a->level = level;
	return a;
}

static void devices(const struct lv_ui *ui, struct list *l)
{
	const struct lv_snapshot *s = ui->snap;
	for (size_t i = 0; s && i < s->n_devices; i++) {
		const struct lv_snap_device *d = &s->devices[i];
		if (d->state != LV_DEV_DOWN)
			continue;
		struct lv_alert *a = add(l, LV_ALERT_ERROR);
		if (!a)
			return;
		snprintf(a->brief, sizeof(a->brief), "%.30s down", d->name);
		snprintf(a->full, sizeof(a->full), "%s (%s) is down: %s", d->name, d->kind,
		         d->last_error[0] ? d->last_error : "no error recorded");
	}
}

static void frames(const struct lv_ui *ui, struct list *l)
{
	const struct lv_snapshot *s = ui->snap;
	struct lv_alert *a;
	if (s && isfinite(s->pct_ok_60s) && 100.0 - s->pct_ok_60s > LV_ALERT_LATE_PCT &&
	    (a = add(l, LV_ALERT_WARN))) {
		snprintf(a->brief, sizeof(a->brief), "late %.0f%%", 100.0 - s->pct_ok_60s);
		snprintf(a->full, sizeof(a->full),
		         "%.1f%% of the frames of the last 60 s missed their budget (alert above "
		         "%.0f%%)",
		         100.0 - s->pct_ok_60s, LV_ALERT_LATE_PCT);
	}
	uint64_t rejected = s ? s->counts.by_state[LV_FRAME_REJECTED] : 0;
	if (rejected && (a = add(l, LV_ALERT_WARN))) {
		snprintf(a->brief, sizeof(a->brief), "rejected %llu", (unsigned long long)rejected);
		snprintf(a->full, sizeof(a->full),
		         "%llu frames rejected by the scheduler's admission since start",
		         (unsigned long long)rejected);
	}
	const struct lv_ui_front *f = &ui->front;
	if (f->refused_requests && (a = add(l, LV_ALERT_WARN))) {
		snprintf(a->brief, sizeof(a->brief), "refused %llu",
		         (unsigned long long)f->refused_frames);
		snprintf(a->full, sizeof(a->full),
		         "the front end refused %llu requests (%llu frames) since start, most for "
		         "%s; see /status \"refused\" and the Log view",
		         (unsigned long long)f->refused_requests,
		         (unsigned long long)f->refused_frames, f->refused_reason);
	}
	if (!f->on && f->error[0] && (a = add(l, LV_ALERT_WARN))) {
		snprintf(a->brief, sizeof(a->brief), "front end off");
		snprintf(a->full, sizeof(a->full), "front end off: %s", f->error);
	}
	char rec[96];
	if (s && lv_fmt_store(rec, sizeof(rec), &s->store) > 0 && (a = add(l, LV_ALERT_ERROR))) {
		snprintf(a->brief, sizeof(a->brief), "record");
		snprintf(a->full, sizeof(a->full), "the database: %s", rec);
	}
}

/* Attached: each controller that does not answer. */
static void sites(const struct lv_ui *ui, struct list *l)
{
	for (int i = 0; i < ui->sites.n; i++) {
		const struct lv_ui_site *s = &ui->sites.v[i];
		struct lv_alert *a;
		if (s->up || !s->why[0] || !(a = add(l, LV_ALERT_ERROR)))
			continue;
		snprintf(a->brief, sizeof(a->brief), "controller gone");
		snprintf(
		    a->full, sizeof(a->full),
		    "the controller at %.60s does not answer: %.110s (tried again every second)",
		    s->url, s->why);
	}
}

static void jobs(const struct lv_ui *ui, struct list *l)
{
	struct lv_alert *a;
	if (lv_ui_profiling(ui, ui->prof.device) && (a = add(l, LV_ALERT_INFO))) {
		snprintf(a->brief, sizeof(a->brief), "profiling %.24s", ui->prof.device);
		snprintf(a->full, sizeof(a->full),
		         "profiling %s: %zu of %zu points (the scheduler leaves it alone; x in the "
		         "Profile view stops it)",
		         ui->prof.device, ui->prof.done, ui->prof.total);
	}
	if (ui->exp.state == LV_UI_EXP_RUNNING && (a = add(l, LV_ALERT_INFO))) {
		snprintf(a->brief, sizeof(a->brief), "experiment %.24s", ui->exp.spec);
		snprintf(a->full, sizeof(a->full), "experiment %s running: %zu of %zu runs",
		         ui->exp.spec, ui->exp.done, ui->exp.total);
	}
}

static int by_level(const void *x, const void *y)
{
	const struct lv_alert *a = x, *b = y;
	return (int)b->level - (int)a->level;
}

size_t lv_alerts(const struct lv_ui *ui, struct lv_alert *out, size_t max)
{
	struct list l = { out, 0, max };
	sites(ui, &l);
	devices(ui, &l);
	frames(ui, &l);
	jobs(ui, &l);
	/* Stable enough: at most a dozen, and equal levels keep their check order. */
	for (size_t i = 1; i < l.n; i++)
		for (size_t j = i; j > 0 && by_level(&out[j - 1], &out[j]) > 0; j--) {
			struct lv_alert t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return l.n;
}
