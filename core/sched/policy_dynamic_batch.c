/*
 * policy_dynamic_batch: a dynamic batcher as Triton's model configuration
 * describes `dynamic_batching { ... }`, the baseline an operator gets by
 * turning Triton's batcher on and leaving clocks to the board's governor.
 *
 * A batch goes out when a device has a free model instance (up, fewer
 * batches in flight than its kind's instances). For n queued frames and a
 * free device's kind (max batch M, preferred sizes P) the batch is
 *  1. n >= M: a full batch of M;
 *  2. else the largest preferred size p in P with p <= n, at once;
 *  3. else, once the oldest queued frame has waited max_queue_delay, all n
 *     ("sends the batch as is"); before that it waits until then (an
 *     arrival wakes it earlier and may make 1 or 2 true).
 * Free devices are tried in cluster order from the one after the last
 * served: the first that can take a batch by 1 or 2 gets it (a free
 * instance never idles while the queue makes a batch it prefers), and when
 * none can, the first free device is the one that waits by 3.
 * With max_queue_delay 0 (Triton's default) nothing ever waits.
 *
 * Preferred sizes (Triton's preferred_batch_size), per device:
 * preferred=N gives every device the one size min(N, M); preferred=0 (the
 * default) takes them from the device's cost table, as an operator reads
 * them off perf_analyzer run against that device's model: every batch b in
 * 1..M whose throughput b / L(top, b) at the kind's top clock (where the
 * governor holds a busy GPU) is at least preferred_frac of the best such
 * throughput. The device's table is its kind's, plus b · l for a batch of b
 * when its wire format preprocesses on the board (uint8, jpeg: the
 * ensemble's per-frame term l, profile.h), which evens out the throughputs
 * and so can prefer smaller batches. A device whose table has no usable cell
 * at the top clock gets none, which is Triton's default: full batches, or
 * whatever is queued once the delay is over.
 *
 * Queue policy (Triton's default_queue_policy). timeout > 0 gives every
 * frame a time-out that long from its arrival (default_timeout_microseconds;
 * 0, the default, is none); with allow_timeout_override=1 each frame's own
 * latency budget is its time-out instead, as a request's "timeout" parameter
 * overrides the default (our requests always state a budget, or get the
 * controller's default). A timed-out frame at the head of the queue:
 *  - timeout_action=0 (REJECT, Triton's default): ends REJECTED with the
 *    reason "timed out in the dynamic batcher's queue" (the decision's
 *    `reject`), never silently dropped;
 *  - timeout_action=1 (DELAY): stays queued and is served (late) or
 *    expires by the controller's hard time-out.
 * Two departures, both forced by the engine: time-outs are checked at the
 * head of the deadline-ordered queue, so a timed-out frame behind a fresher
 * one with a tighter deadline is rejected when it reaches the head (Triton
 * also enforces them lazily, as it walks its queue to form a batch); and
 * DELAY cannot move a frame behind the others, since a dispatch always takes
 * the tightest deadlines (they are served first, as Triton serves requests
 * before their time-out).
 *
 * Not modelled: priority_levels (our requests carry no priority: one level,
 * ordered by deadline), max_queue_size (the engine's admission limit,
 * max_queue, is that), preserve_ordering (answers go per request anyway).
 * Triton runs one batcher per worker; here the controller holds the one
 * queue and hands batches to workers with a free instance, which is what a
 * worker's batcher does with its own instances.
 *
 * Never sets clocks: the devices run under their governor. Parameters and
 * their Triton names are in the table below.
 */
#include "policy.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "model/cluster.h"
#include "model/cost.h"
#include "model/profile.h"
#include "policy_rotation.h"
#include "base/util.h"

enum { P_DELAY, P_PREFERRED, P_PREF_FRAC, P_TIMEOUT, P_ACTION, P_OVERRIDE, P_COUNT };

static const struct lv_param_spec dynamic_batch_params[P_COUNT] = {
	[P_DELAY] = { "max_queue_delay", 0.0, 0.0, 3600.0, 0, "s",
	              "longest the oldest frame waits for a full or preferred batch "
	              "(max_queue_delay_microseconds)" },
	[P_PREFERRED] = { "preferred", 0.0, 0.0, 1024.0, 1, "frames",
	                  "preferred batch size on every kind (capped by its max batch); 0: each "
	                  "kind's best-throughput sizes from its cost table" },
	[P_PREF_FRAC] = { "preferred_frac", 0.95, 0.01, 1.0, 0, "",
	                  "with preferred=0: sizes reaching this fraction of the kind's best "
	                  "throughput at its top clock are preferred" },
	[P_TIMEOUT] = { "timeout", 0.0, 0.0, 86400.0, 0, "s",
	                "queue time-out from a frame's arrival; 0: none "
	                "(default_timeout_microseconds)" },
	[P_ACTION] = { "timeout_action", 0.0, 0.0, 1.0, 1, "",
	               "0: REJECT a timed-out frame (it ends rejected, with the reason); "
	               "1: DELAY (keep it queued)" },
	[P_OVERRIDE] = { "allow_timeout_override", 0.0, 0.0, 1.0, 1, "",
	                 "1: each frame's own latency budget is its time-out" },
};

#define REASON_TIMEOUT "timed out in the dynamic batcher's queue (its queue policy rejects)"

struct dynamic_batch {
	struct lv_rotation rot;
	double p[P_COUNT];
	size_t n_devices;
	int **pref; /* per device: pref[i][b] != 0 when b (1..max batch) is preferred */
};

static void dynamic_batch_destroy(void *state)
{
	struct dynamic_batch *s = state;
	if (!s)
		return;
	for (size_t i = 0; i < s->n_devices; i++)
		free(s->pref[i]);
	free(s->pref);
	free(s);
}

/* Marks device d's preferred sizes (see the header comment). */
static void preferred_sizes(const struct dynamic_batch *s, const struct lv_cluster *c,
                            const struct lv_device *d, int *pref)
{
	int m = lv_device_profile(c, d)->max_batch;
	if (s->p[P_PREFERRED] > 0) {
		int n = (int)s->p[P_PREFERRED];
		pref[n < m ? n : m] = 1;
		return;
	}
	const struct lv_cost_table *t = lv_device_cost(c, d);
	if (!t || t->n_freqs == 0)
		return;
	size_t top = lv_device_n_freqs(c, d) - 1; /* the top its power mode allows */
	int mb = m < t->max_batch ? m : t->max_batch;
	double best = 0.0;
	for (int b = 1; b <= mb; b++) {
		double l = lv_cost_latency(t, top, b);
		if (isfinite(l) && l > 0 && b / l > best)
			best = b / l;
	}
	for (int b = 1; b <= mb && best > 0; b++) {
		double l = lv_cost_latency(t, top, b);
		if (isfinite(l) && l > 0 && b / l >= s->p[P_PREF_FRAC] * best)
			pref[b] = 1;
	}
}

static int dynamic_batch_create(const double *params, const struct lv_cluster *c, void **state,
                                char **why)
{
	(void)why;
	struct dynamic_batch *s = lv_xcalloc(1, sizeof(*s));
	lv_rotation_init(&s->rot, 0.0, LV_ROTATION_AVAILABLE, 0);
	for (size_t i = 0; i < P_COUNT; i++)
		s->p[i] = params[i];
	s->n_devices = c->n_devices;
	s->pref = lv_xcalloc(c->n_devices ? c->n_devices : 1, sizeof(*s->pref));
	for (size_t i = 0; i < c->n_devices; i++) {
		const struct lv_device *d = &c->devices[i];
		s->pref[i] =
		    lv_xcalloc((size_t)lv_device_profile(c, d)->max_batch + 1, sizeof(int));
		preferred_sizes(s, c, d, s->pref[i]);
	}
	*state = s;
	return LV_OK;
}

/* A full batch or the largest preferred one device i can take now; 0: neither. */
static int batch_now(const struct dynamic_batch *s, const struct lv_view *v, int i)
{
	const struct lv_device *dev = &v->cluster->devices[i];
	int m = lv_device_profile(v->cluster, dev)->max_batch;
	int cap = lv_policy_batch_cap(v, i);
	if (cap == m)
		return m;
	assert((size_t)i < s->n_devices); /* a policy is made for one cluster */
	const int *pref = s->pref[i];
	int p = cap;
	while (p > 0 && !pref[p])
		p--;
	return p;
}

/* When the frame at the head of the queue times out; +INF when it never does. */
static double head_timeout_s(const struct dynamic_batch *s, const struct lv_view *v)
{
	if (s->p[P_OVERRIDE] > 0)
		return v->min_deadline_s;
	if (s->p[P_TIMEOUT] > 0)
		return v->head_arrival_s + s->p[P_TIMEOUT];
	return INFINITY;
}

static double earlier(double a, double b)
{
	return a < b ? a : b;
}

static void dynamic_batch_decide(void *state, const struct lv_view *v, double now,
                                 struct lv_decision *out, struct lv_explain *ex)
{
	struct dynamic_batch *s = state;
	if (lv_rotation_idle(v, out, ex))
		return;
	double timeout_s = head_timeout_s(s, v);
	if (now >= timeout_s && s->p[P_ACTION] == 0) {
		out->reject = 1;
		out->reject_reason = REASON_TIMEOUT;
		out->next_s = now;
		lv_rotation_why(ex,
		                "the frame at the head of the queue timed out at %.3f s (%s): "
		                "rejecting it",
		                timeout_s,
		                s->p[P_OVERRIDE] > 0 ? "its own latency budget"
		                                     : "the queue's time-out");
		return;
	}
	if (now >= timeout_s)
		timeout_s = INFINITY; /* DELAY: it stays; nothing to wake for */
	/* The first free device, from the cursor, that can form a full or preferred batch. */
	size_t n = v->cluster->n_devices;
	int d = -1, first = -1, size = 0;
	for (size_t k = 0; k < n && d < 0; k++) {
		int i = (int)((s->rot.next + k) % n);
		if (!lv_rotation_eligible(&s->rot, v, i)) {
			lv_rotation_explain_skip(&s->rot, v, i, ex);
			continue;
		}
		size = batch_now(s, v, i);
		if (size > 0)
			d = i;
		else if (first < 0)
			first = i;
	}
	if (d >= 0) {
		const struct lv_device *dev = &v->cluster->devices[d];
		int m = lv_device_profile(v->cluster, dev)->max_batch;
		if (size == m)
			lv_rotation_why(ex,
			                "%s has a free instance and %zu frames are queued: a full "
			                "batch of %d",
			                dev->name, v->queue_len, m);
		else
			lv_rotation_why(ex,
			                "%s has a free instance; %zu frames queued: the largest "
			                "preferred batch that can be formed is %d",
			                dev->name, v->queue_len, size);
		lv_rotation_dispatch(&s->rot, v, now, d, 0, size, out);
		return;
	}
	if (first < 0) {
		lv_rotation_none(&s->rot, v, out, ex);
		out->next_s = timeout_s;
		return;
	}
	/* No free device can form one: the first of them waits for the delay. */
	d = first;
	const struct lv_device *dev = &v->cluster->devices[d];
	int m = lv_device_profile(v->cluster, dev)->max_batch;
	const int *pref = s->pref[d];
	int cap = lv_policy_batch_cap(v, d);
	double release_s = v->oldest_arrival_s + s->p[P_DELAY];
	int next_pref = cap + 1;
	while (next_pref < m && !pref[next_pref])
		next_pref++;
	if (now >= release_s) {
		lv_rotation_why(ex,
		                "%s has a free instance; the oldest frame has waited %.3f s (max "
		                "queue delay %g s): sending the %d queued frames as they are",
		                dev->name, now - v->oldest_arrival_s, s->p[P_DELAY], cap);
		lv_rotation_dispatch(&s->rot, v, now, d, 0, cap, out);
		return;
	}
	out->next_s = earlier(release_s, timeout_s);
	if (ex) {
		ex->wait = 1;
		lv_explain_add(ex, d, 0, 0, 0.0, 0.0, "a %s batch of %d needs %d more frames",
		               next_pref < m ? "preferred" : "full", next_pref, next_pref - cap);
	}
	lv_rotation_why(ex,
	                "%s has a free instance; %d queued frames make no preferred or full "
	                "batch: waiting until the oldest has waited %g s (at %.3f s)",
	                dev->name, cap, s->p[P_DELAY], release_s);
}

/* "dynamic_batch", "dynamic_batch(delay=0.1,preferred=8,timeout=2,...)". */
static void dynamic_batch_describe(const double *params, char *buf, size_t len)
{
	const struct lv_param_spec *d = dynamic_batch_params;
	const struct lv_label_item items[] = {
		{ "delay", params[P_DELAY], params[P_DELAY] != d[P_DELAY].def },
		{ "preferred", params[P_PREFERRED], params[P_PREFERRED] != d[P_PREFERRED].def },
		{ "frac", params[P_PREF_FRAC], params[P_PREF_FRAC] != d[P_PREF_FRAC].def },
		{ "timeout", params[P_TIMEOUT], params[P_TIMEOUT] != d[P_TIMEOUT].def },
		{ "timeout_action", params[P_ACTION], params[P_ACTION] != d[P_ACTION].def },
		{ "override", params[P_OVERRIDE], params[P_OVERRIDE] != d[P_OVERRIDE].def },
	};
	lv_rotation_label(buf, len, "dynamic_batch", items, P_COUNT);
}

const struct lv_policy_ops lv_policy_dynamic_batch = {
	.name = "dynamic_batch",
	.summary = "Triton's dynamic batcher: full or preferred batches to a free instance, "
	           "else all queued after max_queue_delay; queue time-outs reject or delay",
	.params = dynamic_batch_params,
	.n_params = P_COUNT,
	.caps = 0,
	.create = dynamic_batch_create,
	.decide = dynamic_batch_decide,
	.destroy = dynamic_batch_destroy,
	.describe = dynamic_batch_describe,
};
