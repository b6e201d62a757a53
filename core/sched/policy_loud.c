/*
 * policy_loud: the thesis's energy-aware scheduler (LoudScheduler), exactly
 * as the issue specifies it.
 *
 * For n queued frames and the tightest remaining time r = deadline - now:
 *  - every available device (up, inflight < instances + buffer), every clock
 *    of its kind (ascending), every batch b from min(n, max batch) down to 1
 *    gives expected latency = L(f,b) + network_cost·b + safety_margin
 *    (+ the kind's clock-change delay when f is not the current clock), and
 *    energy per frame E(f,b)/b;
 *  - among those with expected latency <= r the least energy per frame wins;
 *    the first found wins ties (devices in cluster order, clocks ascending,
 *    batches descending);
 *  - if none meets r: the target throughput is t = 1.1·n/r; configurations
 *    whose throughput b/L(f,b) reaches t compete on lowest expected latency;
 *    if none reaches t, the highest throughput wins, ties to lower expected
 *    latency;
 *  - wait (no dispatch, ask again after `period`) while r > expected ×
 *    strictness and n < the largest max batch in the cluster;
 *  - a dispatch runs at f, but a device with work in flight keeps
 *    max(f, current clock); every idle_check seconds, devices idle for
 *    idle_after seconds go to their lowest clock.
 *
 * Speed. Devices of one kind at one clock offer identical configurations
 * (unless a device's wire format gives it a cost table of its own, or, with
 * queue_aware, it has work in flight: such devices are scanned each), and
 * under the tie rule the first of them in cluster order beats the others, so
 * the scan evaluates each (kind, current clock) group once and skips its later
 * members: the cost is linear in devices with a small constant plus the
 * configurations of at most (kinds × clocks) groups. With an explanation
 * requested every device is scanned (same function, same order, same result),
 * so the alternatives list is complete.
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "policy.h"
#include "model/profile.h"
#include "base/util.h"

enum {
	P_BUFFER,
	P_SAFETY,
	P_NETWORK,
	P_STRICTNESS,
	P_PERIOD,
	P_IDLE_AFTER,
	P_IDLE_CHECK,
	P_OBJECTIVE,
	P_MEMORY,
	P_ADMIT,
	P_CHANGE_Q,
	P_QUEUE,
	P_BOOST,
	P_COUNT
};

/*
 * loud's and eco's parameters: the same, with their own defaults (eco's are
 * explained above lv_policy_eco).
 */
/* clang-format off */
#define LOUD_PARAMS(network, idle_after, objective, memory, change_q, queue, boost) {                                  \
	[P_BUFFER] = { "buffer", 1, 0, 64, 1, "batches",                                       \
		"batches allowed in flight beyond the model instances" },                      \
	[P_SAFETY] = { "safety_margin", 0.2, 0, 60, 0, "s", "added to every expected latency" }, \
	[P_NETWORK] = { "network_cost", network, 0, 10, 0, "s/frame",                          \
		"network transfer time per frame in a batch" },                                \
	[P_STRICTNESS] = { "strictness", 4, 1, 1000, 0, "",                                    \
		"wait while remaining time > strictness × expected latency" },                 \
	[P_PERIOD] = { "period", 0.01, 0.001, 10, 0, "s", "scheduler period while waiting" },  \
	[P_IDLE_AFTER] = { "idle_after", idle_after, 0, 3600, 0, "s",                          \
		"idle time after which a device goes to its lowest clock (0: at once)" },      \
	[P_IDLE_CHECK] = { "idle_check", 2, 0.01, 3600, 0, "s",                                \
		"how often idle devices are checked (idle_after > 0)" },                       \
	[P_OBJECTIVE] = { "objective", objective, 0, 1, 1, "",                                 \
		"0: least energy per frame E/b (the thesis); 1: least marginal energy per "    \
		"frame (E - P_idle·L)/b over the lowest clock's idle power, the energy a "     \
		"batch adds to what the idle board draws anyway" },                            \
	[P_MEMORY] = { "tight_memory", memory, 0, 86400, 0, "s",                               \
		"a batch lasts at most the tightest budget that arrived in the last "          \
		"tight_memory seconds, less the fastest single frame (0: off)" },              \
	[P_ADMIT] = { "admit", 0, 0, 1, 1, "",                                                 \
		"1: admission control, a frame no free device can serve by its deadline even " \
		"alone on the fastest clock is refused at once, with the reason; 0: it is "    \
		"served late" },                                                               \
	[P_CHANGE_Q] = { "change_quantile", change_q, 0, 1, 0, "",                             \
		"the deadline check charges a clock change its delay at this quantile of the " \
		"kind's measured distribution (1: the slowest; 0: the mean)" },                \
	[P_QUEUE] = { "queue_aware", queue, 0, 1, 1, "",                                       \
		"1: a batch sent to a device with batches in flight waits for them, and its "  \
		"expected latency includes the time they still need as planned; 0: it starts " \
		"at once (the thesis)" },                                                      \
	[P_BOOST] = { "boost", boost, 0, 1, 1, "",                                             \
		"1 (with queue_aware): when the tightest frame cannot make its deadline "      \
		"behind a device's work in flight, raise that device's clock to its top now, " \
		"in the middle of the batch running, if that makes it; 0: never" },           \
}
/* clang-format on */

static const struct lv_param_spec loud_params[P_COUNT] = LOUD_PARAMS(0, 4, 0, 0, 0, 0, 0);

/* A candidate configuration. */
struct cand {
	int device;
	size_t fi;
	int batch;
	double exp_s; /* expected latency */
	double epf_j; /* energy per frame, E/b */
	double key_j; /* what is minimised: E/b, or (E - P_idle·L)/b with objective=1 */
	double thr;   /* b / L(f,b), frames/s */
};

/* Explanation collector: the best configuration per (device, clock). */
struct alt_rec {
	int cls;    /* 0 meets r, 1 misses r, 2 device unavailable */
	double key; /* cls 0: energy/frame; 1: expected latency; 2: order */
	struct cand c;
	char note[64];
};

/*
 * A kind's cost rows, read for the scan without an explanation. With e(b) =
 * L(f,b) + network·b: every batch up to b1, the last whose prefix maximum of
 * e meets the deadline, meets it, and none from the first b whose suffix
 * minimum of e misses it on; both are found by bisection. The best of 1..b1
 * is read from best_upto, and only the few batches between (where e is not
 * monotone: predictor or measurement noise) are tried one by one: the same
 * choice as trying every batch, at a fraction of the cost.
 */
struct rows {
	const struct lv_cost_table *tab; /* the table this was built from */
	double *emax;    /* per cell (f, b): max of e(1..b); +INF past an unknown cell */
	double *emin;    /* per cell (f, b): min of e(b..max batch) over known cells */
	double *key;     /* per cell: what is minimised */
	double *row_min; /* per clock: the least key of its known cells */
	int *best_upto;  /* per cell (f, b): the b' <= b of least key, ties to the
	                  * larger b' (the scan's first found, going down) */
};

struct loud {
	double p[P_COUNT];
	struct rows *rows; /* per kind, then per device with a table of its own */
	double next_idle_check_s;
	double tight_s, tight_at_s; /* tightest recent budget and when it last arrived */
	size_t *kind_off;           /* per kind: offset of its clocks in stamp[] */
	uint64_t *stamp;            /* group (kind, clock) visited in decision `epoch` */
	uint64_t epoch;
	size_t n_devices, n_kinds;
	uint64_t *dev_hz; /* per device: the clock dev_fi was looked up for */
	int *dev_fi;      /* per device: index of dev_hz in its kind's clocks, or -1 */
	double *inv_b;    /* 1/b for b = 0..largest max batch (inv_b[0] unused) */
	double *change_s; /* per kind: the clock-change delay the deadline check charges */
	/* queue_aware: per device, when the work this policy sent it should end
	 * and the clock it will have then (both meaningful while inflight > 0) */
	double *busy_until_s;
	uint64_t *plan_hz;
	int *plan_b; /* and the batch size of the last batch sent */
	/* explanation scratch (only with explain != NULL) */
	struct alt_rec alts[LV_EXPLAIN_MAX_ALTS + 1];
	size_t n_alts;
};

static int loud_create(const double *params, const struct lv_cluster *c, void **state, char **why)
{
	(void)why;
	struct loud *s = lv_xcalloc(1, sizeof(*s));
	memcpy(s->p, params, sizeof(s->p));
	s->kind_off = lv_xcalloc(c->n_kinds + 1, sizeof(*s->kind_off));
	size_t total = 0;
	for (size_t k = 0; k < c->n_kinds; k++) {
		s->kind_off[k] = total;
		total += c->kinds[k].profile->n_freqs;
	}
	s->kind_off[c->n_kinds] = total;
	s->stamp = lv_xcalloc(total ? total : 1, sizeof(*s->stamp));
	s->n_devices = c->n_devices;
	s->n_kinds = c->n_kinds;
	s->dev_hz = lv_xcalloc(c->n_devices ? c->n_devices : 1, sizeof(*s->dev_hz));
	s->dev_fi = lv_xcalloc(c->n_devices ? c->n_devices : 1, sizeof(*s->dev_fi));
	s->inv_b = lv_xcalloc((size_t)c->largest_max_batch + 1, sizeof(*s->inv_b));
	s->change_s = lv_xcalloc(c->n_kinds ? c->n_kinds : 1, sizeof(*s->change_s));
	for (size_t k = 0; k < c->n_kinds; k++) {
		const struct lv_profile *pr = c->kinds[k].profile;
		double q = s->p[P_CHANGE_Q];
		s->change_s[k] = pr->clock_change_delay_s;
		if (q > 0 && pr->n_cc_shape >= 2)
			s->change_s[k] *= lv_profile_cc_quantile(pr->cc_shape, pr->n_cc_shape, q);
	}
	s->busy_until_s = lv_xcalloc(c->n_devices ? c->n_devices : 1, sizeof(*s->busy_until_s));
	s->plan_hz = lv_xcalloc(c->n_devices ? c->n_devices : 1, sizeof(*s->plan_hz));
	s->plan_b = lv_xcalloc(c->n_devices ? c->n_devices : 1, sizeof(*s->plan_b));
	s->rows = lv_xcalloc(c->n_kinds + c->n_devices + 1, sizeof(*s->rows));
	s->tight_s = INFINITY;
	s->tight_at_s = -INFINITY;
	for (int b = 1; b <= c->largest_max_batch; b++)
		s->inv_b[b] = 1.0 / b;
	*state = s;
	return LV_OK;
}

static void loud_destroy(void *state)
{
	struct loud *s = state;
	if (!s)
		return;
	free(s->kind_off);
	free(s->stamp);
	free(s->dev_hz);
	free(s->dev_fi);
	free(s->inv_b);
	free(s->change_s);
	for (size_t k = 0; s->rows && k < s->n_kinds + s->n_devices; k++) {
		free(s->rows[k].emax);
		free(s->rows[k].emin);
		free(s->rows[k].row_min);
		free(s->rows[k].key);
		free(s->rows[k].best_upto);
	}
	free(s->rows);
	free(s->busy_until_s);
	free(s->plan_hz);
	free(s->plan_b);
	free(s);
}

static void loud_describe(const double *params, char *buf, size_t len)
{
	(void)params; /* parameters that differ from the defaults are shown by the caller */
	snprintf(buf, len, "loud");
}

static int device_available(const struct loud *s, const struct lv_cluster *c, int i)
{
	const struct lv_device *d = &c->devices[i];
	if (d->state != LV_DEV_UP)
		return 0;
	return d->inflight < lv_device_profile(c, d)->instances + (int)s->p[P_BUFFER];
}

/* ---- explanation bookkeeping ------------------------------------------------ */

static int alt_before(const struct alt_rec *a, const struct alt_rec *b)
{
	if (a->cls != b->cls)
		return a->cls < b->cls;
	return a->key < b->key; /* equal keys: the earlier-found stays first */
}

static void alt_offer(struct loud *s, size_t max, const struct alt_rec *r)
{
	size_t n = s->n_alts;
	if (n == max + 1 && !alt_before(r, &s->alts[n - 1]))
		return;
	size_t i = n < max + 1 ? n : n - 1;
	while (i > 0 && alt_before(r, &s->alts[i - 1])) {
		s->alts[i] = s->alts[i - 1];
		i--;
	}
	s->alts[i] = *r;
	if (n < max + 1)
		s->n_alts++;
}

/* ---- the scan --------------------------------------------------------------- */

struct scan {
	int n; /* queue length */
	double now;
	double r;         /* remaining time */
	double cap;       /* tight_memory: longest a batch may last; +INF when off */
	double t;         /* fallback target throughput */
	int feasible;     /* found one meeting r */
	struct cand best; /* least energy meeting r */
	int have_fb;
	struct cand fb; /* fallback choice */
	int fb_reaches; /* fb reaches t */
	size_t considered, n_feasible;
	/* boost: while one device's rescue is weighed, that device and the wait
	 * and clock it would have with its work in flight at the top clock */
	int boosting, boost_dev;
	double boost_wait_s;
	uint64_t boost_hz;
};

static int fb_better(const struct scan *sc, const struct cand *c, int reaches)
{
	if (!sc->have_fb)
		return 1;
	if (reaches != sc->fb_reaches)
		return reaches;
	if (reaches)
		return c->exp_s < sc->fb.exp_s;
	if (c->thr != sc->fb.thr)
		return c->thr > sc->fb.thr;
	return c->exp_s < sc->fb.exp_s;
}

/* Keeps the two best rows (clocks) of one device for the explanation. */
struct dev_alts {
	struct alt_rec best[2];
	int n;
};

static void dev_alts_offer(struct dev_alts *da, const struct alt_rec *r)
{
	if (da->n < 2) {
		da->best[da->n++] = *r;
	} else if (alt_before(r, &da->best[1])) {
		da->best[1] = *r;
	} else {
		return;
	}
	if (da->n == 2 && alt_before(&da->best[1], &da->best[0])) {
		struct alt_rec t = da->best[0];
		da->best[0] = da->best[1];
		da->best[1] = t;
	}
}

/*
 * Where a batch sent to device di now would start from: the clock the device
 * will have (*hz) and how long it waits for work in flight (queue_aware;
 * otherwise the current clock and no wait, as the thesis assumed).
 */
static double queue_wait(const struct loud *s, const struct scan *sc, const struct lv_device *d,
                         int di, double now, uint64_t *hz)
{
	*hz = d->freq_hz;
	if (sc && sc->boosting && di == sc->boost_dev) {
		*hz = sc->boost_hz;
		return sc->boost_wait_s;
	}
	if (s->p[P_QUEUE] == 0 || d->inflight <= 0)
		return 0.0;
	if (s->plan_hz[di])
		*hz = s->plan_hz[di];
	return s->busy_until_s[di] > now ? s->busy_until_s[di] - now : 0.0;
}

/*
 * Device di's rows for its table t: its kind's, or its own when its wire
 * format gives it a table of its own; (re)built when the table is not the
 * one seen.
 */
static const struct rows *device_rows(struct loud *s, const struct lv_cluster *c, int di,
                                      const struct lv_cost_table *t, double idle)
{
	int kind = c->devices[di].kind;
	size_t slot = t == c->kinds[kind].cost ? (size_t)kind : s->n_kinds + (size_t)di;
	struct rows *r = &s->rows[slot];
	if (r->tab == t)
		return r;
	size_t cells = t->n_freqs * (size_t)t->max_batch;
	free(r->emax);
	free(r->emin);
	free(r->row_min);
	free(r->key);
	free(r->best_upto);
	r->emax = lv_xcalloc(cells ? cells : 1, sizeof(*r->emax));
	r->emin = lv_xcalloc(cells ? cells : 1, sizeof(*r->emin));
	r->row_min = lv_xcalloc(t->n_freqs ? t->n_freqs : 1, sizeof(*r->row_min));
	r->key = lv_xcalloc(cells ? cells : 1, sizeof(*r->key));
	r->best_upto = lv_xcalloc(cells ? cells : 1, sizeof(*r->best_upto));
	double net = s->p[P_NETWORK];
	for (size_t fi = 0; fi < t->n_freqs; fi++) {
		size_t i0 = lv_cost_index(t, fi, 1);
		double hi = -INFINITY, lo = INFINITY, least = INFINITY;
		for (int b = t->max_batch; b >= 1; b--) {
			double L = t->latency_s[i0 + (size_t)b - 1];
			if (L < INFINITY && L + net * b < lo)
				lo = L + net * b;
			r->emin[i0 + (size_t)b - 1] = lo;
		}
		for (int b = 1; b <= t->max_batch; b++) {
			double L = t->latency_s[i0 + (size_t)b - 1];
			double e = L < INFINITY ? L + net * b : INFINITY;
			if (!(e <= hi))
				hi = e;
			r->emax[i0 + (size_t)b - 1] = hi;
			double key =
			    t->energy_per_frame_j[i0 + (size_t)b - 1] - idle * L * s->inv_b[b];
			r->key[i0 + (size_t)b - 1] = key;
			if (L < INFINITY && key < least)
				least = key;
			int up = b;
			if (b > 1) {
				int pb = r->best_upto[i0 + (size_t)b - 2];
				if (!(key <= r->key[i0 + (size_t)pb - 1]))
					up = pb;
			}
			r->best_upto[i0 + (size_t)b - 1] = up;
		}
		r->row_min[fi] = least;
	}
	r->tab = t;
	return r;
}

/* The last b in [lo, hi] with e(b) + base <= limit, e rising with b (lo: none past it). */
static int last_meeting(const double *e, int lo, int hi, double base, double limit)
{
	while (lo < hi) {
		int mid = lo + (hi - lo + 1) / 2;
		if (e[mid - 1] + base <= limit)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/*
 * Row fi of a device, as scan_device's loop would offer it to the scan (same
 * expressions, same order of preference), without an explanation.
 */
static void scan_row_fast(const struct rows *r, const struct lv_cost_table *t, size_t fi, int di,
                          int bmax, double net, double base, double limit, struct scan *sc)
{
	size_t i0 = lv_cost_index(t, fi, 1);
	if (sc->feasible && !(r->row_min[fi] < sc->best.key_j))
		return; /* nothing in the row can win (counted by the explained scan only) */
	const double *lat = &t->latency_s[i0];
	const double *emax = &r->emax[i0], *emin = &r->emin[i0];
	/* b1: the last batch whose prefix maximum meets the limit (0: none);
	 * b2: the last whose suffix minimum does (both rise with b) */
	int b1 = last_meeting(emax, 0, bmax, base, limit);
	int b2 = last_meeting(emin, b1, bmax, base, limit);
	sc->considered += (size_t)bmax;
	sc->n_feasible += (size_t)b1;
	int best = 0;
	double best_key = 0;
	for (int b = b2; b > b1; b--) { /* the scan's order: batches descending */
		double L = lat[b - 1];
		if (!(L < INFINITY) || !(L + net * b + base <= limit))
			continue;
		sc->n_feasible++;
		if (!best || r->key[i0 + (size_t)b - 1] < best_key) {
			best = b;
			best_key = r->key[i0 + (size_t)b - 1];
		}
	}
	if (b1 > 0) {
		int b = r->best_upto[i0 + (size_t)b1 - 1];
		if (!best || r->key[i0 + (size_t)b - 1] < best_key) {
			best = b;
			best_key = r->key[i0 + (size_t)b - 1];
		}
	}
	if (best && (!sc->feasible || best_key < sc->best.key_j)) {
		double L = lat[best - 1];
		sc->feasible = 1;
		sc->best = (struct cand){ di,
			                  fi,
			                  best,
			                  L + net * best + base,
			                  t->energy_per_frame_j[i0 + (size_t)best - 1],
			                  best_key,
			                  best / L };
	}
}

/*
 * Scans one device's configurations. With `ex` non-NULL, also offers the
 * device's two best clocks (each with its best batch) to the explanation, so
 * the alternatives cover several devices rather than one device's every clock.
 */
static void scan_device(struct loud *s, const struct lv_cluster *c, int di, struct scan *sc,
                        struct lv_explain *ex)
{
	const struct lv_device *d = &c->devices[di];
	const struct lv_profile *pr = lv_device_profile(c, d);
	const struct lv_cost_table *t = lv_device_cost(c, d);
	int bmax = sc->n < t->max_batch ? sc->n : t->max_batch;
	double net = s->p[P_NETWORK];
	double idle = s->p[P_OBJECTIVE] != 0 ? pr->idle_power_w[0] : 0.0;
	struct dev_alts da;
	da.n = 0; /* only the count: zeroing the records costs the plain scan a tenth */
	double change = s->change_s[d->kind];
	uint64_t hz;
	double wait = queue_wait(s, sc, d, di, sc->now, &hz);
	/* A tight frame arriving as this batch starts waits for it, then needs at
	 * least the fastest single-frame configuration (with a clock change). */
	double limit = sc->r;
	size_t nf = lv_device_n_freqs(c, d); /* the clocks its power mode allows */
	if (sc->cap < INFINITY) {
		double fastest = lv_cost_latency(t, nf - 1, 1);
		double cap =
		    sc->cap - (isfinite(fastest) ? fastest : 0.0) - s->p[P_SAFETY] - change;
		/* the cap bounds the batch itself, not its wait; the deadline still holds */
		if (cap + wait < limit)
			limit = cap + wait;
	}

	const struct rows *rows = ex ? NULL : device_rows(s, c, di, t, idle);
	for (size_t fi = 0; fi < nf; fi++) {
		if (sc->boosting && di == sc->boost_dev && t->freqs_hz[fi] != hz)
			continue; /* a boosted device runs what follows at the boost's clock */
		double base = s->p[P_SAFETY] + wait + (t->freqs_hz[fi] != hz ? change : 0.0);
		if (rows) {
			scan_row_fast(rows, t, fi, di, bmax, net, base, limit, sc);
			continue;
		}
		const double *lat = &t->latency_s[lv_cost_index(t, fi, 1)];
		const double *epf = &t->energy_per_frame_j[lv_cost_index(t, fi, 1)];
		struct cand row_best = { .device = -1 }, row_fast = { .device = -1 };
		for (int b = bmax; b >= 1; b--) {
			double L = lat[b - 1];
			if (!(L < INFINITY))
				continue; /* prof mode: not measured */
			double exp_s = L + net * b + base;
			double key = epf[b - 1] - idle * L * s->inv_b[b];
			sc->considered++;
			if (exp_s <= limit) {
				sc->n_feasible++;
				if (!sc->feasible || key < sc->best.key_j) {
					sc->feasible = 1;
					sc->best = (struct cand){ di,         fi,  b,    exp_s,
						                  epf[b - 1], key, b / L };
				}
				if (ex && (row_best.device < 0 || key < row_best.key_j))
					row_best = (struct cand){ di,         fi,  b,    exp_s,
						                  epf[b - 1], key, b / L };
			} else if (ex && (row_fast.device < 0 || exp_s < row_fast.exp_s)) {
				row_fast =
				    (struct cand){ di, fi, b, exp_s, epf[b - 1], key, b / L };
			}
		}
		if (!ex)
			continue;
		if (row_best.device >= 0)
			dev_alts_offer(&da, &(struct alt_rec){
			                        .cls = 0, .key = row_best.key_j, .c = row_best });
		else if (row_fast.device >= 0)
			dev_alts_offer(&da, &(struct alt_rec){
			                        .cls = 1, .key = row_fast.exp_s, .c = row_fast });
	}
	for (int k = 0; ex && k < da.n; k++)
		alt_offer(s, ex->max_alts, &da.best[k]);
}

/* The fallback pass: only when nothing meets r. Same order as scan_device. */
static void scan_fallback(struct loud *s, const struct lv_cluster *c, int di, struct scan *sc)
{
	const struct lv_device *d = &c->devices[di];
	const struct lv_cost_table *t = lv_device_cost(c, d);
	int bmax = sc->n < t->max_batch ? sc->n : t->max_batch;
	uint64_t hz;
	double wait = queue_wait(s, sc, d, di, sc->now, &hz);
	double change = s->change_s[d->kind];
	size_t nf = lv_device_n_freqs(c, d); /* the clocks its power mode allows */

	for (size_t fi = 0; fi < nf; fi++) {
		double base = s->p[P_SAFETY] + wait + (t->freqs_hz[fi] != hz ? change : 0.0);
		for (int b = bmax; b >= 1; b--) {
			double L = lv_cost_latency(t, fi, b);
			if (!(L < INFINITY))
				continue;
			double epf = t->energy_per_frame_j[lv_cost_index(t, fi, b)];
			struct cand cd = { di,  fi,  b,    L + s->p[P_NETWORK] * b + base,
				           epf, epf, b / L };
			int reaches = cd.thr >= sc->t;
			if (fb_better(sc, &cd, reaches)) {
				sc->fb = cd;
				sc->have_fb = 1;
				sc->fb_reaches = reaches;
			}
		}
	}
}

/* Visits available devices in cluster order, one per (kind, clock) group unless explaining. */
static void scan_all(struct loud *s, const struct lv_cluster *c, struct scan *sc,
                     struct lv_explain *ex, int fallback)
{
	s->epoch++;
	for (size_t i = 0; i < c->n_devices; i++) {
		const struct lv_device *d = &c->devices[i];
		if (!device_available(s, c, (int)i)) {
			if (ex && !fallback) {
				struct alt_rec r = { .cls = 2, .key = (double)i };
				r.c = (struct cand){ .device = (int)i, .fi = 0, .batch = 0 };
				snprintf(r.note, sizeof(r.note), "%s",
				         d->state != LV_DEV_UP ? lv_dev_state_name(d->state)
				                               : "busy");
				alt_offer(s, ex->max_alts, &r);
			}
			continue;
		}
		if (!ex) {
			/* Clocks change rarely; remember each device's clock index. */
			if (s->dev_hz[i] != d->freq_hz) {
				s->dev_hz[i] = d->freq_hz;
				s->dev_fi[i] =
				    lv_profile_freq_index(lv_device_profile(c, d), d->freq_hz);
			}
			int fi = s->dev_fi[i];
			/* queue_aware: a busy device's wait is its own, and a device
			 * whose wire format gives it a table of its own, or whose power
			 * mode caps its clock, offers its own configurations: none of
			 * them is grouped */
			if (fi >= 0 && !(s->p[P_QUEUE] != 0 && d->inflight > 0) &&
			    !d->max_freq_hz && lv_device_cost(c, d) == c->kinds[d->kind].cost) {
				uint64_t *st = &s->stamp[s->kind_off[d->kind] + (size_t)fi];
				if (*st == s->epoch)
					continue; /* an earlier device of this group wins every tie
					           */
				*st = s->epoch;
			}
		}
		if (fallback)
			scan_fallback(s, c, (int)i, sc);
		else
			scan_device(s, c, (int)i, sc, ex);
	}
}

/*
 * idle_after > 0: every idle_check seconds, devices idle that long go to
 * their lowest clock (the thesis's timer). idle_after = 0: at every decision
 * (the engine decides at every completion), a device with nothing in flight
 * goes down at once, and no timer is needed.
 */
static void idle_downclock(struct loud *s, const struct lv_view *v, double now,
                           struct lv_decision *out)
{
	int at_once = s->p[P_IDLE_AFTER] <= 0;
	if (!at_once && now < s->next_idle_check_s)
		return;
	const struct lv_cluster *c = v->cluster;
	for (size_t i = 0; i < c->n_devices; i++) {
		const struct lv_device *d = &c->devices[i];
		uint64_t lowest = lv_device_profile(c, d)->freqs_hz[0];
		if (d->state != LV_DEV_UP || d->inflight > 0 || d->freq_hz == lowest)
			continue;
		if (now - d->idle_since_s >= s->p[P_IDLE_AFTER])
			lv_decision_set_clock(out, (int)i, lowest);
	}
	s->next_idle_check_s = at_once ? INFINITY : now + s->p[P_IDLE_CHECK];
}

/* ---- explanation output ------------------------------------------------------ */

static void explain_alts(struct loud *s, const struct lv_cluster *c, const struct scan *sc,
                         const struct cand *chosen, struct lv_explain *ex)
{
	for (size_t k = 0; k < s->n_alts; k++) {
		const struct alt_rec *a = &s->alts[k];
		const struct cand *x = &a->c;
		if (chosen && x->device == chosen->device && x->fi == chosen->fi &&
		    x->batch == chosen->batch && a->cls < 2)
			continue;
		const struct lv_device *d = &c->devices[x->device];
		if (a->cls == 2) {
			const struct lv_profile *pr = lv_device_profile(c, d);
			if (d->state != LV_DEV_UP)
				lv_explain_add(ex, x->device, d->freq_hz, 0, 0, 0, "device %s",
				               a->note);
			else
				lv_explain_add(ex, x->device, d->freq_hz, 0, 0, 0,
				               "device busy: %d batches in flight (limit %d)",
				               d->inflight, pr->instances + (int)s->p[P_BUFFER]);
			continue;
		}
		uint64_t f = lv_device_cost(c, d)->freqs_hz[x->fi];
		if (a->cls == 0 && chosen && sc->feasible) {
			const char *what = s->p[P_OBJECTIVE] != 0 ? "marginal energy" : "energy";
			if (x->key_j > chosen->key_j)
				lv_explain_add(ex, x->device, f, x->batch, x->exp_s, x->epf_j,
				               "more %s per frame: %.4f J vs %.4f J (+%.1f%%)",
				               what, x->key_j, chosen->key_j,
				               100.0 * (x->key_j / chosen->key_j - 1.0));
			else
				lv_explain_add(ex, x->device, f, x->batch, x->exp_s, x->epf_j,
				               "same %s per frame (%.4f J), found later", what,
				               x->key_j);
		} else {
			lv_explain_add(ex, x->device, f, x->batch, x->exp_s, x->epf_j,
			               "misses the deadline: expected %.3f s > %.3f s remaining",
			               x->exp_s, sc->r);
		}
	}
}

static void explain_choice(const struct lv_cluster *c, const struct scan *sc, const struct cand *ch,
                           int marginal, struct lv_explain *ex)
{
	const struct lv_device *d = &c->devices[ch->device];
	ex->n_considered = sc->considered;
	ex->n_feasible = sc->n_feasible;
	ex->fallback = !sc->feasible;
	ex->has_choice = 1;
	ex->choice = (struct lv_dispatch){ ch->device, lv_device_cost(c, d)->freqs_hz[ch->fi],
		                           ch->batch, ch->exp_s, ch->epf_j };
	if (sc->feasible)
		snprintf(ex->why, sizeof(ex->why),
		         "least %senergy per frame among %zu of %zu configurations that meet the "
		         "%.3f s remaining",
		         marginal ? "marginal " : "", sc->n_feasible, sc->considered, sc->r);
	else if (sc->fb_reaches)
		snprintf(ex->why, sizeof(ex->why),
		         "no configuration meets the %.3f s remaining; lowest expected latency "
		         "among those reaching the target throughput %.1f frames/s",
		         sc->r, sc->t);
	else
		snprintf(ex->why, sizeof(ex->why),
		         "no configuration meets the %.3f s remaining and none reaches the target "
		         "throughput %.1f frames/s; highest throughput (%.1f frames/s)",
		         sc->r, sc->t, ch->thr);
}

/* ---- decide ----------------------------------------------------------------- */

#define REASON_ADMIT                                                                               \
	"admission control: no free device could serve it by its deadline, even alone at the "     \
	"fastest clock"

/*
 * tight_memory: cameras keep their budgets, so the tightest budget that
 * arrived lately is the tightest that will arrive next. A batch that runs
 * longer than that would make such a frame, arriving as it starts, late.
 * Returns the cap on a batch's expected latency, +INF when off or unknown.
 */
static double remember_tight(struct loud *s, const struct lv_view *v, double now)
{
	double mem = s->p[P_MEMORY];
	if (!(mem > 0))
		return INFINITY;
	double b = v->arrived_budget_s;
	if (b > 0 && b < INFINITY && (b <= s->tight_s || now - s->tight_at_s > mem)) {
		s->tight_s = b;
		s->tight_at_s = now;
	} else if (now - s->tight_at_s > mem) {
		s->tight_s = INFINITY;
	}
	return s->tight_s;
}

/* queue_aware: when the batch just sent should end, and at which clock. */
static void plan_dispatch(struct loud *s, const struct lv_cluster *c, const struct cand *ch,
                          uint64_t f, double now)
{
	const struct lv_device *d = &c->devices[ch->device];
	uint64_t hz;
	double start = now + queue_wait(s, NULL, d, ch->device, now, &hz);
	const struct lv_cost_table *t = lv_device_cost(c, d);
	int fi = lv_profile_freq_index(lv_device_profile(c, d), f);
	double L = fi >= 0 ? lv_cost_latency(t, (size_t)fi, ch->batch) : NAN;
	if (!isfinite(L))
		L = ch->exp_s - s->p[P_SAFETY]; /* the search's own figure */
	s->busy_until_s[ch->device] =
	    start + (f != hz ? s->change_s[d->kind] : 0.0) + L + s->p[P_NETWORK] * ch->batch;
	s->plan_hz[ch->device] = f;
	s->plan_b[ch->device] = ch->batch;
}

/*
 * boost: how long device di's work in flight would still take if its clock
 * went to the top now. The write lands a clock change later (the GPU keeps
 * computing meanwhile); what is left then runs faster by L(top,b)/L(f,b) of
 * the last batch sent (the slowest clock in flight: a dispatch never lowers
 * the clock of a busy device, so earlier batches run at f or below and gain
 * at least as much). -1 when a boost cannot help: nothing in flight as
 * planned, or already at the top.
 */
static double boosted_wait(const struct loud *s, const struct lv_cluster *c, int di, double now)
{
	const struct lv_device *d = &c->devices[di];
	const struct lv_cost_table *t = lv_device_cost(c, d);
	size_t top = lv_device_n_freqs(c, d) - 1; /* the top its power mode allows */
	double left = s->busy_until_s[di] - now;
	if (d->state != LV_DEV_UP || d->inflight <= 0 || !(left > 0) || !s->plan_hz[di] ||
	    s->plan_hz[di] == t->freqs_hz[top])
		return -1;
	int fi = lv_profile_freq_index(lv_device_profile(c, d), s->plan_hz[di]);
	int b = s->plan_b[di] > 0 ? s->plan_b[di] : 1;
	double lf = fi >= 0 ? lv_cost_latency(t, (size_t)fi, b) : NAN;
	double lt = lv_cost_latency(t, top, b);
	if (!(isfinite(lf) && isfinite(lt) && lf > 0))
		return -1;
	double ratio = lt / lf < 1 ? lt / lf : 1;
	double change = s->change_s[d->kind];
	return change + (left > change ? (left - change) * ratio : 0.0);
}

/*
 * boost: nothing meets the tightest deadline as planned. Weighs each busy
 * device with its work in flight boosted to the top clock; the least
 * energy per frame that then meets it wins (sc->best). Returns the device,
 * with its boosted wait in *wait_s, or -1 when no boost makes the deadline.
 */
static int scan_boost(struct loud *s, const struct lv_cluster *c, struct scan *sc, double *wait_s)
{
	int dev = -1;
	for (size_t i = 0; i < c->n_devices; i++) {
		double w = boosted_wait(s, c, (int)i, sc->now);
		if (w < 0)
			continue;
		sc->boosting = 1;
		sc->boost_dev = (int)i;
		sc->boost_wait_s = w;
		sc->boost_hz = lv_device_top_hz(c, &c->devices[i]);
		scan_device(s, c, (int)i, sc, NULL);
		/* each device is scanned once: the best is on it only if found now */
		if (sc->feasible && sc->best.device == (int)i) {
			dev = (int)i;
			*wait_s = w;
		}
	}
	sc->boosting = 0;
	return dev;
}

/*
 * boost: no free device meets the tightest deadline. When a device at its
 * limit of batches in flight meets it as planned, the frame waits for that
 * device's next completion: no boost. Otherwise returns the device whose
 * boost meets it with the least energy per frame (then sc->best, feasible),
 * or -1: none does, and the fallback serves the frame late.
 */
static int want_boost(struct loud *s, const struct lv_cluster *c, struct scan *sc, double *wait_s)
{
	struct scan full = *sc;
	for (size_t i = 0; i < c->n_devices && !full.feasible; i++)
		if (c->devices[i].state == LV_DEV_UP && !device_available(s, c, (int)i))
			scan_device(s, c, (int)i, &full, NULL);
	if (full.feasible)
		return -1;
	int dev = scan_boost(s, c, &full, wait_s);
	if (dev >= 0) {
		sc->feasible = 1;
		sc->best = full.best;
		sc->n_feasible++;
	}
	return dev;
}

static void loud_decide(void *state, const struct lv_view *v, double now, struct lv_decision *out,
                        struct lv_explain *ex)
{
	struct loud *s = state;
	const struct lv_cluster *c = v->cluster;
	assert(c->n_devices == s->n_devices); /* a policy is made for one cluster */

	idle_downclock(s, v, now, out);
	out->next_s = s->next_idle_check_s;
	if (v->queue_len == 0) {
		if (ex)
			snprintf(ex->why, sizeof(ex->why), "queue empty: nothing to schedule");
		return;
	}

	struct scan sc = { 0 };
	sc.n = v->queue_len > (size_t)INT32_MAX ? INT32_MAX : (int)v->queue_len;
	sc.now = now;
	sc.r = v->min_deadline_s - now;
	sc.cap = remember_tight(s, v, now);
	sc.t = sc.r > 0 ? 1.1 * sc.n / sc.r : INFINITY;
	s->n_alts = 0;

	scan_all(s, c, &sc, ex, 0);
	int boost = -1;
	double w = 0; /* the boosted device's wait for its work in flight */
	if (!sc.feasible && s->p[P_BOOST] != 0 && s->p[P_QUEUE] != 0)
		boost = want_boost(s, c, &sc, &w);
	if (boost >= 0) {
		const struct lv_device *d = &c->devices[boost];
		uint64_t top = lv_device_top_hz(c, d);
		double left = s->busy_until_s[boost] - now;
		lv_decision_boost_clock(out, boost, top);
		s->busy_until_s[boost] = now + w;
		s->plan_hz[boost] = top;
		if (!device_available(s, c, boost)) {
			/* Full: the frame goes when the first batch in flight ends, at the
			 * top clock and with no change (the scan will see it then). */
			if (ex) {
				explain_choice(c, &sc, &sc.best, s->p[P_OBJECTIVE] != 0, ex);
				ex->wait = 1;
				snprintf(
				    ex->why, sizeof(ex->why),
				    "boost: nothing meets the %.3f s remaining behind the work in "
				    "flight; device %d's clock goes to the top now (%.3f s instead "
				    "of %.3f s of work left), its batch follows the next "
				    "completion",
				    sc.r, boost, w, left);
			}
			return;
		}
	}
	if (!sc.feasible)
		scan_all(s, c, &sc, NULL, 1);
	if (!sc.feasible && sc.have_fb && s->p[P_ADMIT] != 0) {
		/* Not even one frame alone on the fastest configuration of a free
		 * device makes the tightest deadline: refuse it now, not late. */
		out->reject = 1;
		out->reject_reason = REASON_ADMIT;
		if (ex)
			snprintf(
			    ex->why, sizeof(ex->why),
			    "admission control: no free device serves the tightest frame within "
			    "its %.3f s remaining; refusing it",
			    sc.r);
		return;
	}
	const struct cand *ch = sc.feasible ? &sc.best : sc.have_fb ? &sc.fb : NULL;
	if (ex) {
		ex->n_considered = sc.considered;
		explain_alts(s, c, &sc, ch, ex);
	}
	if (!ch) {
		if (ex)
			snprintf(ex->why, sizeof(ex->why),
			         "no device available (all busy, down or draining)");
		return; /* a batch completion or a device coming up asks again */
	}
	if (ex)
		explain_choice(c, &sc, ch, s->p[P_OBJECTIVE] != 0, ex);
	if (ex && boost >= 0)
		snprintf(ex->why, sizeof(ex->why),
		         "boost: nothing meets the %.3f s remaining behind the work in flight; "
		         "device %d's clock goes to the top now, so that work ends sooner and this "
		         "batch follows it at the top clock (%.3f s expected)",
		         sc.r, boost, ch->exp_s);

	if (sc.r > ch->exp_s * s->p[P_STRICTNESS] && sc.n < c->largest_max_batch) {
		double next = now + s->p[P_PERIOD];
		if (next < out->next_s)
			out->next_s = next;
		if (ex) {
			ex->wait = 1;
			snprintf(ex->why, sizeof(ex->why),
			         "wait: %.3f s remaining > strictness %g × expected %.3f s, and %d "
			         "queued < largest max batch %d; asking again in %g s",
			         sc.r, s->p[P_STRICTNESS], ch->exp_s, sc.n, c->largest_max_batch,
			         s->p[P_PERIOD]);
		}
		return;
	}

	const struct lv_device *d = &c->devices[ch->device];
	uint64_t f = lv_device_cost(c, d)->freqs_hz[ch->fi];
	if (d->inflight > 0 && d->freq_hz > f)
		f = d->freq_hz; /* never slow down work already running */
	out->has_dispatch = 1;
	out->dispatch = (struct lv_dispatch){ ch->device, f, ch->batch, ch->exp_s, ch->epf_j };
	if (ex)
		ex->choice.freq_hz = f;
	if (s->p[P_QUEUE] != 0)
		plan_dispatch(s, c, ch, f, now);
}

/*
 * eco: loud's search with the defaults that make it energy-optimal on the
 * real device model (profiles/README.md: idle power by clock), and our
 * candidate against the thesis (issue: beat the thesis):
 *  - objective = marginal energy: a batch is charged what it adds to the
 *    board's idle draw at the lowest clock, E(f,b) - P_idle(lowest)·L(f,b),
 *    because between batches the device sits at its lowest clock;
 *  - idle_after = 0: a device with nothing in flight goes to its lowest clock
 *    at once, at the decision that follows its last completion. On the
 *    Jetsons most of a run's energy is drawn idle, and idle power falls by
 *    about half from the top clock to the lowest (the AGX: 7.0 W to 4.1 W),
 *    while a clock change costs about 0.1 s — which the search already adds
 *    to the expected latency of any configuration at another clock;
 *  - network_cost = 0.0086 s per frame: the 1,072,812 bytes of a frame's FP32
 *    tensor over 1 GbE, so the deadline check includes the wire.
 *  - queue_aware = 1: a batch sent to a device that still has batches in
 *    flight starts when they end, as this policy planned them (their clock
 *    change, latency and wire time), not at once as the thesis assumed; so a
 *    frame is never sent behind work that makes it late while another device
 *    or a refusal (admit=1) would do better.
 *  - boost = 1: when the tightest frame cannot make its deadline behind a
 *    device's work in flight as planned, and no device at its limit of
 *    batches in flight makes it either, the device's clock goes to its top
 *    now, in the middle of the batch running (devmodel.h: Boost; a devfreq
 *    write takes effect mid-batch, as the governor's do), if the work then
 *    ends soon enough for the frame; the frame follows at the top clock.
 *    It is for the first tight frame that arrives while a long low-clock
 *    batch runs: tight_memory cannot know of a budget it has not seen.
 *  - change_quantile stays 0 (the mean delay): charging every change its
 *    slowest measured delay keeps eco off its low clocks and costs about a
 *    tenth of its frames/J for no frame saved on beat-thesis.json.
 * Frames it cannot serve in time (no configuration meets the tightest
 * deadline) go out on the fastest configuration and end LATE, counted; with
 * admit=1 (admission control, off by default, as Clockwork refuses work it
 * cannot finish in time) they are refused at once with the reason instead.
 */
static const struct lv_param_spec eco_params[P_COUNT] = LOUD_PARAMS(0.0086, 0, 1, 60, 0, 1, 1);

static void eco_describe(const double *params, char *buf, size_t len)
{
	(void)params;
	snprintf(buf, len, "eco");
}

const struct lv_policy_ops lv_policy_eco = {
	.name = "eco",
	.summary = "least marginal energy per frame within the deadline, idle devices at their "
	           "lowest clock at once",
	.params = eco_params,
	.n_params = P_COUNT,
	.caps = LV_POLICY_SETS_CLOCKS,
	.create = loud_create,
	.decide = loud_decide,
	.destroy = loud_destroy,
	.describe = eco_describe,
};

const struct lv_policy_ops lv_policy_loud = {
	.name = "loud",
	.summary =
	    "the thesis's energy-aware scheduler: least energy per frame within the deadline",
	.params = loud_params,
	.n_params = P_COUNT,
	.caps = LV_POLICY_SETS_CLOCKS,
	.create = loud_create,
	.decide = loud_decide,
	.destroy = loud_destroy,
	.describe = loud_describe,
};
