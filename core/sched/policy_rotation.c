/*
 * policy_rotation: the rotation cursor, period gate, eligibility, dispatch
 * filling, explanations and labels the baseline policies share, and the
 * decide of the paced rotations. See policy_rotation.h.
 *
 * The cursor always points one past the device that got the last batch (0
 * at first), so the rotation is in cluster order and a device that was down
 * or busy when its turn came is passed over, not owed a turn later. A call
 * that dispatches nothing leaves the cursor alone: asking twice without a
 * dispatch in between picks the same device both times. (The thesis's
 * Python loops advanced their itertools.cycle on every 10 ms tick even when
 * they went on to dispatch nothing, which made the order depend on timing;
 * we keep it a function of the dispatches alone, so sim runs replay exactly.)
 *
 * The period gate compares `now` with last dispatch + period, never with a
 * grid: a policy that found nothing to do for a while dispatches as soon as
 * work appears, as the thesis's sleep loops did within one tick.
 */
#include "policy_rotation.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "model/cluster.h"
#include "policy.h"
#include "model/profile.h"
#include "base/util.h"

void lv_rotation_init(struct lv_rotation *r, double period_s, enum lv_rotation_need need,
                      int buffer)
{
	r->next = 0;
	r->last_dispatch_s = -INFINITY;
	r->period_s = period_s;
	r->need = need;
	r->buffer = buffer;
	r->pin_top = 0;
}

struct lv_rotation *lv_rotation_new(double period_s, enum lv_rotation_need need, int buffer)
{
	struct lv_rotation *r = lv_xmalloc(sizeof(*r));
	lv_rotation_init(r, period_s, need, buffer);
	return r;
}

void lv_rotation_destroy(void *state)
{
	free(state);
}

static int inflight_limit(const struct lv_rotation *r, const struct lv_view *v, int device)
{
	const struct lv_cluster *c = v->cluster;
	return lv_device_profile(c, &c->devices[device])->instances + r->buffer;
}

int lv_rotation_eligible(const struct lv_rotation *r, const struct lv_view *v, int device)
{
	const struct lv_device *d = &v->cluster->devices[device];
	if (d->state != LV_DEV_UP)
		return 0;
	return r->need == LV_ROTATION_UP || d->inflight < inflight_limit(r, v, device);
}

void lv_rotation_explain_skip(const struct lv_rotation *r, const struct lv_view *v, int device,
                              struct lv_explain *ex)
{
	const struct lv_device *d = &v->cluster->devices[device];
	if (!ex)
		return;
	if (d->state != LV_DEV_UP)
		lv_explain_add(ex, device, 0, 0, 0.0, 0.0, "skipped %s: %s", d->name,
		               lv_dev_state_name(d->state));
	else
		lv_explain_add(ex, device, 0, 0, 0.0, 0.0,
		               "skipped %s: busy (%d batches in flight, limit %d)", d->name,
		               d->inflight, inflight_limit(r, v, device));
}

int lv_rotation_pick(const struct lv_rotation *r, const struct lv_view *v, struct lv_explain *ex)
{
	size_t n = v->cluster->n_devices;
	for (size_t i = 0; i < n; i++) {
		int d = (int)((r->next + i) % n);
		if (lv_rotation_eligible(r, v, d))
			return d;
		lv_rotation_explain_skip(r, v, d, ex);
	}
	return -1;
}

void lv_rotation_why(struct lv_explain *ex, const char *fmt, ...)
{
	if (!ex)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ex->why, sizeof(ex->why), fmt, ap);
	va_end(ap);
}

int lv_rotation_idle(const struct lv_view *v, struct lv_decision *out, struct lv_explain *ex)
{
	if (v->queue_len > 0)
		return 0;
	out->next_s = INFINITY;
	lv_rotation_why(ex, "the queue is empty; nothing to dispatch");
	return 1;
}

int lv_rotation_paced(const struct lv_rotation *r, double now, struct lv_decision *out,
                      struct lv_explain *ex)
{
	double at = r->last_dispatch_s + r->period_s;
	if (now >= at)
		return 0;
	out->next_s = at;
	if (ex) {
		ex->wait = 1;
		lv_rotation_why(ex,
		                "waiting for the period: last dispatch at %.3f s, next at %.3f s",
		                r->last_dispatch_s, at);
	}
	return 1;
}

void lv_rotation_none(const struct lv_rotation *r, const struct lv_view *v, struct lv_decision *out,
                      struct lv_explain *ex)
{
	out->next_s = INFINITY;
	if (!ex)
		return;
	ex->wait = 1;
	if (r->need == LV_ROTATION_UP)
		lv_rotation_why(ex, "no device is up; %zu queued frames wait for one",
		                v->queue_len);
	else
		lv_rotation_why(ex,
		                "no device is available (down, draining or busy); %zu queued "
		                "frames wait for a batch to finish",
		                v->queue_len);
}

/* The cost table's estimate for a batch on device at freq_hz (0: its current clock). */
static void estimate(const struct lv_view *v, int device, uint64_t freq_hz, int batch,
                     struct lv_dispatch *x)
{
	const struct lv_cluster *c = v->cluster;
	const struct lv_device *d = &c->devices[device];
	const struct lv_cost_table *t = lv_device_cost(c, d);
	x->expected_latency_s = 0.0;
	x->energy_per_frame_j = 0.0;
	if (!t || batch > t->max_batch)
		return;
	int fi = lv_profile_freq_index(lv_device_profile(c, d), freq_hz ? freq_hz : d->freq_hz);
	if (fi < 0)
		return;
	size_t i = lv_cost_index(t, (size_t)fi, batch);
	if (isfinite(t->latency_s[i]))
		x->expected_latency_s = t->latency_s[i];
	if (isfinite(t->energy_per_frame_j[i]))
		x->energy_per_frame_j = t->energy_per_frame_j[i];
}

void lv_rotation_dispatch(struct lv_rotation *r, const struct lv_view *v, double now, int device,
                          uint64_t freq_hz, int batch, struct lv_decision *out)
{
	out->has_dispatch = 1;
	out->dispatch.device = device;
	out->dispatch.freq_hz = freq_hz;
	out->dispatch.batch = batch;
	estimate(v, device, freq_hz, batch, &out->dispatch);
	r->next = ((size_t)device + 1) % v->cluster->n_devices;
	r->last_dispatch_s = now;
	out->next_s = r->period_s > 0 ? now + r->period_s : INFINITY;
}

/* The top clock device i may run: its kind's, or its power mode's cap. */
static uint64_t top_hz(const struct lv_view *v, int device)
{
	return lv_device_top_hz(v->cluster, &v->cluster->devices[device]);
}

/* pin_top: every up device not at its top clock is set there. */
static void pin_clocks(const struct lv_view *v, struct lv_decision *out)
{
	for (size_t i = 0; i < v->cluster->n_devices; i++) {
		const struct lv_device *d = &v->cluster->devices[i];
		if (d->state == LV_DEV_UP && d->freq_hz != top_hz(v, (int)i))
			lv_decision_set_clock(out, (int)i, top_hz(v, (int)i));
	}
}

void lv_rotation_decide(void *state, const struct lv_view *v, double now, struct lv_decision *out,
                        struct lv_explain *ex)
{
	struct lv_rotation *r = state;
	if (r->pin_top)
		pin_clocks(v, out);
	if (lv_rotation_idle(v, out, ex) || lv_rotation_paced(r, now, out, ex))
		return;
	int d = lv_rotation_pick(r, v, ex);
	if (d < 0) {
		lv_rotation_none(r, v, out, ex);
		return;
	}
	int batch = lv_policy_batch_cap(v, d);
	lv_rotation_why(ex, "next device in rotation: %s; dispatching %d of %zu queued frames%s",
	                v->cluster->devices[d].name, batch, v->queue_len,
	                r->pin_top ? " at its top clock (pinned, as jetson_clocks does)" : "");
	lv_rotation_dispatch(r, v, now, d, r->pin_top ? top_hz(v, d) : 0, batch, out);
}

/* snprintf at buf+*used, keeping *used <= len - 1 so later appends are no-ops once full. */
static void append(char *buf, size_t len, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	if (*used + 1 >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*used += (size_t)n;
	if (*used > len - 1)
		*used = len - 1;
}

void lv_rotation_label(char *buf, size_t len, const char *name, const struct lv_label_item *items,
                       size_t n)
{
	size_t used = 0;
	int opened = 0;
	if (len == 0)
		return;
	buf[0] = '\0';
	append(buf, len, &used, "%s", name);
	for (size_t i = 0; i < n; i++) {
		if (!items[i].show)
			continue;
		append(buf, len, &used, "%s", opened ? "," : "(");
		opened = 1;
		if (items[i].key)
			append(buf, len, &used, "%s=", items[i].key);
		append(buf, len, &used, "%.15g", items[i].value);
	}
	if (opened)
		append(buf, len, &used, ")");
}
