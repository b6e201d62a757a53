/*
 * frontend_live: lv_live as the front end's consumer. A separate file so
 * that programs which run the front end against a stand-in (tests,
 * benchmarks) do not link the live runtime.
 */
#include "frontend.h"

#include <stdio.h>

#include "base/eventlog.h"
#include "live/live.h"
#include "base/eventlog.h"
#include "model/cluster.h"

static void live_submit(void *arg, struct lv_live_request *r)
{
	lv_live_submit(arg, r);
}

static const struct lv_snapshot *live_snapshot_get(void *arg)
{
	return lv_live_snapshot_get(arg);
}

static void live_snapshot_put(void *arg, const struct lv_snapshot *s)
{
	lv_live_snapshot_put(arg, s);
}

/* The control API's changes go to the event log, as the console's commands do. */
static int logged(struct lv_live *lv, int rc, const char *text)
{
	if (rc == 0)
		lv_eventlog_add(lv_live_log(lv), lv_live_clock(lv), LV_LOG_INFO, "control", "%s",
		                text);
	return rc;
}

static int live_set_policy(void *arg, const char *spec, char **why)
{
	char text[LV_LOG_TEXT_MAX];
	snprintf(text, sizeof(text), "policy %s", spec);
	return logged(arg, lv_live_set_policy(arg, spec, why), text);
}

static int live_pin_clock(void *arg, const char *device, uint64_t freq_hz, char **why)
{
	char text[LV_LOG_TEXT_MAX];
	if (freq_hz)
		snprintf(text, sizeof(text), "%s: clock pinned at %llu Hz", device,
		         (unsigned long long)freq_hz);
	else
		snprintf(text, sizeof(text), "%s: clock released", device);
	return logged(arg, lv_live_pin_clock(arg, device, freq_hz, why), text);
}

static int live_set_state(void *arg, const char *device, int state, char **why)
{
	char text[LV_LOG_TEXT_MAX];
	snprintf(text, sizeof(text), "%s: %s", device,
	         state == LV_DEV_DRAINING ? "draining" : "marked up");
	return logged(arg, lv_live_set_state(arg, device, (enum lv_dev_state)state, why), text);
}

static struct lv_eventlog *live_event_log(void *arg)
{
	return lv_live_log(arg);
}

/* A refused request goes to the controller's event log (source "front"), so the
 * console's Log view and `serve`'s log show it beside the frames it never got. */
static void live_refused(void *arg, enum lv_fe_refusal reason, uint64_t frames, const char *why)
{
	struct lv_live *lv = arg;
	char n[48] = "";
	if (frames)
		snprintf(n, sizeof n, " (%llu frames)", (unsigned long long)frames);
	lv_eventlog_add(lv_live_log(lv), lv_live_clock(lv), LV_LOG_WARN, "front",
	                "refused a request%s: %s: %s", n, lv_frontend_refusal_name(reason), why);
}

static const struct lv_frontend_ops live_ops = {
	.name = "live",
	.request_new = lv_live_request_new,
	.submit = live_submit,
	.request_wait = lv_live_request_wait,
	.request_free = lv_live_request_free,
	.snapshot_get = live_snapshot_get,
	.snapshot_put = live_snapshot_put,
	.set_policy = live_set_policy,
	.pin_clock = live_pin_clock,
	.set_state = live_set_state,
	.event_log = live_event_log,
	.refused = live_refused,
};

struct lv_frontend *lv_frontend_start(struct lv_live *lv, const struct lv_model_info *model,
                                      const char *listen_addr, const struct lv_frontend_limits *lim,
                                      char **why)
{
	struct lv_frontend_limits l;
	if (lim)
		l = *lim;
	else
		lv_frontend_limits_default(&l);
	l.wires = lv_live_wires(lv);
	return lv_frontend_new(&live_ops, lv, model, listen_addr, &l, why);
}
