/*
 * policy_random: the thesis's sanity floor. Every period [0.01 s] it draws
 * an available device (up, fewer than instances + buffer [1] batches in
 * flight) uniformly, then a GPU clock uniformly among that kind's clocks,
 * then a batch size uniformly in 1..min(queued, the kind's max batch), and
 * dispatches that. It is the one baseline whose dispatches carry a clock;
 * it still emits no separate clock settings and never down-clocks idle
 * devices, so it does not claim LV_POLICY_SETS_CLOCKS.
 *
 * The generator (lv_rng, seeded from `seed` [1]) lives in the state and is
 * drawn from only when a dispatch is made, three draws each, in the order
 * device, clock, batch. The same seed and the same sequence of views
 * therefore give the same decisions on every platform.
 *
 * The thesis drew among devices whose status was AVAILABLE (no buffer);
 * buffer=0 gives that rule.
 *
 * Parameters: seed [1], period [0.01 s], buffer [1]. Label "random(seed=1)",
 * with period= and buffer= when not the defaults.
 */
#include "policy.h"

#include "model/cluster.h"
#include "policy_rotation.h"
#include "model/profile.h"
#include "base/rng.h"
#include "base/util.h"

static const struct lv_param_spec random_params[] = {
	{ "seed", 1.0, 0.0, 9007199254740991.0, 1, "",
	  "generator seed (same seed, same decisions)" },
	{ "period", 0.01, 0.0, 3600.0, 0, "s", "time between dispatches" },
	{ "buffer", 1.0, 0.0, 64.0, 1, "batches",
	  "batches a device may hold beyond its model instances and still count as available" },
};

struct random_state {
	struct lv_rotation rot; /* the period gate and availability; the cursor is unused */
	struct lv_rng rng;
};

static int random_create(const double *params, const struct lv_cluster *c, void **state, char **why)
{
	(void)c;
	(void)why;
	struct random_state *s = lv_xmalloc(sizeof(*s));
	lv_rotation_init(&s->rot, params[1], LV_ROTATION_AVAILABLE, (int)params[2]);
	lv_rng_seed(&s->rng, (uint64_t)params[0]);
	*state = s;
	return LV_OK;
}

/* The k-th (from 0) available device in cluster order; k < number available. */
static int kth_available(const struct lv_rotation *r, const struct lv_view *v, uint64_t k)
{
	for (size_t d = 0; d < v->cluster->n_devices; d++) {
		if (!lv_rotation_eligible(r, v, (int)d))
			continue;
		if (k-- == 0)
			return (int)d;
	}
	return -1;
}

static void random_decide(void *state, const struct lv_view *v, double now, struct lv_decision *out,
                          struct lv_explain *ex)
{
	struct random_state *s = state;
	if (lv_rotation_idle(v, out, ex) || lv_rotation_paced(&s->rot, now, out, ex))
		return;
	uint64_t n_avail = 0;
	for (size_t d = 0; d < v->cluster->n_devices; d++) {
		if (lv_rotation_eligible(&s->rot, v, (int)d))
			n_avail++;
		else
			lv_rotation_explain_skip(&s->rot, v, (int)d, ex);
	}
	if (n_avail == 0) {
		lv_rotation_none(&s->rot, v, out, ex);
		return;
	}
	int d = kth_available(&s->rot, v, lv_rng_below(&s->rng, n_avail));
	const struct lv_device *dev = &v->cluster->devices[d];
	const struct lv_profile *p = lv_device_profile(v->cluster, dev);
	uint64_t freq_hz = p->freqs_hz[lv_rng_below(&s->rng, lv_device_n_freqs(v->cluster, dev))];
	int batch = 1 + (int)lv_rng_below(&s->rng, (uint64_t)lv_policy_batch_cap(v, d));
	lv_rotation_why(ex,
	                "random draw among %llu available devices: %s at %.0f MHz; dispatching %d "
	                "of %zu queued frames",
	                (unsigned long long)n_avail, dev->name, (double)freq_hz / 1e6, batch,
	                v->queue_len);
	lv_rotation_dispatch(&s->rot, v, now, d, freq_hz, batch, out);
}

/* "random(seed=1)", with period= and buffer= when not the defaults. */
static void random_describe(const double *params, char *buf, size_t len)
{
	const struct lv_label_item items[] = {
		{ "seed", params[0], 1 },
		{ "period", params[1], params[1] != random_params[1].def },
		{ "buffer", params[2], params[2] != random_params[2].def },
	};
	lv_rotation_label(buf, len, "random", items, 3);
}

const struct lv_policy_ops lv_policy_random = {
	.name = "random",
	.summary = "every period, a random available device, clock and batch size",
	.params = random_params,
	.n_params = sizeof(random_params) / sizeof(random_params[0]),
	.caps = 0,
	.create = random_create,
	.decide = random_decide,
	.destroy = lv_rotation_destroy,
	.describe = random_describe,
};
