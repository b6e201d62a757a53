/*
 * metrics: the per-run figures and the energy lower bound (definitions in
 * metrics.h). The collector keeps one counter triple per request and the
 * served frames' latencies (grown by doubling, never per frame); finishing
 * selects the percentiles in linear time (reordering the latencies). Called by the simulator, and
 * by the live runtime and experiment reports through the same struct lv_run_metrics.
 */
#include "metrics.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "model/cost.h"
#include "model/devmodel.h"
#include "model/profile.h"
#include "base/util.h"

/* ---- the bound --------------------------------------------------------------- */

static double least_idle_w(const struct lv_profile *p)
{
	double m = INFINITY;
	for (size_t fi = 0; fi < p->n_freqs; fi++)
		if (p->idle_power_w[fi] < m)
			m = p->idle_power_w[fi];
	return m;
}

/* Whether device i is the first of the cluster to run on its truth table. */
static int first_on_table(const struct lv_cluster *c, size_t i)
{
	const struct lv_cost_table *t = lv_device_truth(c, &c->devices[i]);
	for (size_t j = 0; j < i; j++)
		if (lv_device_truth(c, &c->devices[j]) == t)
			return 0;
	return 1;
}

int lv_energy_bound(const struct lv_cluster *c, uint64_t frames, double window_s,
                    struct lv_energy_bound *out, char **why)
{
	memset(out, 0, sizeof(*out));
	out->window_s = window_s;
	out->frames = frames;
	out->marginal_j = INFINITY;
	out->marginal_kind = -1;
	for (size_t i = 0; i < c->n_devices; i++)
		out->idle_w += least_idle_w(lv_device_profile(c, &c->devices[i]));
	/*
	 * Every table a device runs on, once: its kind's, or its own when its wire
	 * format preprocesses on the board (the kind's plus b times the term).
	 */
	for (size_t i = 0; i < c->n_devices; i++) {
		const struct lv_device *d = &c->devices[i];
		const struct lv_profile *p = lv_device_profile(c, d);
		const struct lv_cost_table *t = lv_device_truth(c, d); /* physics, not belief */
		if (!t)
			return lv_fail(why, LV_EINVAL, "%s: no cost table built", p->kind);
		if (!first_on_table(c, i))
			continue;
		double idle = least_idle_w(p);
		int any = 0;
		for (size_t fi = 0; fi < t->n_freqs; fi++) {
			for (int b = 1; b <= t->max_batch; b++) {
				if (!lv_devmodel_cell_usable(t, fi, b))
					continue;
				any = 1;
				double m =
				    (lv_cost_energy(t, fi, b) - idle * lv_cost_latency(t, fi, b)) /
				    b;
				if (m < out->marginal_j) {
					out->marginal_j = m;
					out->marginal_kind = d->kind;
					out->marginal_freq_hz = t->freqs_hz[fi];
					out->marginal_batch = b;
				}
			}
		}
		if (!any)
			return lv_fail(why, LV_EINVAL, "%s: the %s cost table has no usable cell",
			               p->kind, lv_cost_mode_name(t->mode));
	}
	if (out->marginal_kind < 0)
		out->marginal_j = 0; /* no devices */
	out->energy_j = out->idle_w * window_s + (double)frames * out->marginal_j;
	out->frames_per_j = out->energy_j > 0 ? (double)frames / out->energy_j : 0;
	return LV_OK;
}

/* ---- percentiles ------------------------------------------------------------- */

static void swap(double *v, ptrdiff_t i, ptrdiff_t j)
{
	double x = v[i];
	v[i] = v[j];
	v[j] = x;
}

/*
 * Moves the k-th smallest (0-based) of v[0..n) to v[k]: quickselect with a
 * median-of-three pivot and Hoare's partition, O(n) expected. Sorting a
 * million latencies for three percentiles would cost ten times as much.
 */
static void select_kth(double *v, size_t n, size_t k)
{
	ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;
	while (lo < hi) {
		ptrdiff_t mid = lo + (hi - lo) / 2;
		if (v[mid] < v[lo])
			swap(v, mid, lo);
		if (v[hi] < v[lo])
			swap(v, hi, lo);
		if (v[hi] < v[mid])
			swap(v, hi, mid);
		double pivot = v[mid];
		ptrdiff_t i = lo - 1, j = hi + 1;
		for (;;) {
			do
				i++;
			while (v[i] < pivot);
			do
				j--;
			while (v[j] > pivot);
			if (i >= j)
				break;
			swap(v, i, j);
		}
		/* v[lo..j] <= pivot <= v[j+1..hi], lo <= j < hi */
		if (kk <= j)
			hi = j;
		else
			lo = j + 1;
	}
}

double lv_percentile(double *v, size_t n, double p)
{
	if (n == 0)
		return NAN;
	double r = ceil(p / 100.0 * (double)n);
	size_t k = r < 1 ? 0 : (size_t)r - 1;
	if (k >= n)
		k = n - 1;
	select_kth(v, n, k);
	return v[k];
}

/* ---- the collector ----------------------------------------------------------- */

void lv_metrics_init(struct lv_metrics *m, size_t n_requests)
{
	memset(m, 0, sizeof(*m));
	m->n_requests = n_requests;
	size_t n = n_requests ? n_requests : 1;
	m->req_frames = lv_xcalloc(n, sizeof(uint32_t));
	m->req_ok = lv_xcalloc(n, sizeof(uint32_t));
	m->req_served = lv_xcalloc(n, sizeof(uint32_t));
	m->last_done_s = -INFINITY;
}

void lv_metrics_fini(struct lv_metrics *m)
{
	free(m->req_frames);
	free(m->req_ok);
	free(m->req_served);
	free(m->latency_s);
	memset(m, 0, sizeof(*m));
}

void lv_metrics_add_frame(struct lv_metrics *m, const struct lv_frame *f)
{
	int served = f->state == LV_FRAME_OK || f->state == LV_FRAME_LATE;
	if ((unsigned)f->state < LV_FRAME_NSTATES)
		m->by_state[f->state]++;
	if (f->done_s > m->last_done_s)
		m->last_done_s = f->done_s;
	if (f->tag < m->n_requests) {
		m->req_frames[f->tag]++;
		m->req_ok[f->tag] += f->state == LV_FRAME_OK;
		m->req_served[f->tag] += (uint32_t)served;
	}
	if (!served)
		return;
	double lat = f->done_s - f->arrival_s;
	if (m->n_lat == m->cap_lat) {
		m->cap_lat = m->cap_lat ? m->cap_lat * 2 : 1024;
		m->latency_s = lv_xrealloc(m->latency_s, m->cap_lat * sizeof(double));
	}
	m->latency_s[m->n_lat++] = lat;
	m->latency_sum_s += lat;
	if (f->state == LV_FRAME_LATE)
		m->excess_sum_s += lat - f->budget_s;
}

static double ratio(double num, double den)
{
	return den > 0 ? num / den : NAN;
}

static void request_figures(const struct lv_metrics *m, struct lv_run_metrics *r)
{
	r->requests = m->n_requests;
	for (size_t i = 0; i < m->n_requests; i++) {
		if (m->req_frames[i] == 0)
			continue;
		r->requests_ok += m->req_ok[i] == m->req_frames[i];
		r->requests_served += m->req_served[i] == m->req_frames[i];
	}
}

int lv_metrics_finish(struct lv_metrics *m, const struct lv_cluster *c, double window_s,
                      const struct lv_device_metrics *devs, struct lv_run_metrics *out, char **why)
{
	memset(out, 0, sizeof(*out));
	struct lv_run_metrics *r = out;
	for (int s = 0; s < LV_FRAME_NSTATES; s++)
		r->frames += m->by_state[s];
	r->ok = m->by_state[LV_FRAME_OK];
	r->late = m->by_state[LV_FRAME_LATE];
	r->failed = m->by_state[LV_FRAME_FAILED];
	r->expired = m->by_state[LV_FRAME_EXPIRED];
	r->rejected = m->by_state[LV_FRAME_REJECTED];
	r->served = r->ok + r->late;
	request_figures(m, r);
	r->window_s = window_s;

	r->n_devices = c->n_devices;
	if (c->n_devices) {
		r->devices = lv_xmalloc(c->n_devices * sizeof(*r->devices));
		memcpy(r->devices, devs, c->n_devices * sizeof(*r->devices));
	}
	for (size_t i = 0; i < c->n_devices; i++) {
		r->energy_j += devs[i].energy_j;
		r->busy_energy_j += devs[i].busy_energy_j;
		r->change_energy_j += devs[i].change_energy_j;
		r->mean_clock_mhz += devs[i].avg_freq_hz / 1e6 / (double)c->n_devices;
		r->lowest_clock_pct += devs[i].lowest_s;
		r->top_clock_pct += devs[i].top_s;
	}
	double dev_s = window_s * (double)c->n_devices;
	r->lowest_clock_pct = dev_s > 0 ? 100.0 * r->lowest_clock_pct / dev_s : NAN;
	r->top_clock_pct = dev_s > 0 ? 100.0 * r->top_clock_pct / dev_s : NAN;
	r->idle_energy_j = r->energy_j - r->busy_energy_j - r->change_energy_j;

	r->frames_per_j = ratio((double)r->served, r->energy_j);
	r->requests_per_j = ratio((double)r->requests_served, r->energy_j);
	r->pct_frames_ok = 100.0 * ratio((double)r->ok, (double)r->frames);
	r->pct_requests_ok = 100.0 * ratio((double)r->requests_ok, (double)r->requests);
	r->latency_mean_s = ratio(m->latency_sum_s, (double)m->n_lat);
	r->mean_excess_s = ratio(m->excess_sum_s, (double)r->late);
	r->latency_p50_s = lv_percentile(m->latency_s, m->n_lat, 50);
	r->latency_p95_s = lv_percentile(m->latency_s, m->n_lat, 95);
	r->latency_p99_s = lv_percentile(m->latency_s, m->n_lat, 99);

	struct lv_energy_bound all;
	int rc = lv_energy_bound(c, r->frames, window_s, &all, why);
	if (rc == LV_OK)
		rc = lv_energy_bound(c, r->served, window_s, &r->bound, why);
	if (rc != LV_OK) {
		lv_run_metrics_fini(r);
		return rc;
	}
	r->trace_bound_j = all.energy_j;
	r->bound_fraction = ratio(r->bound.energy_j, r->energy_j);
	return LV_OK;
}

void lv_run_metrics_fini(struct lv_run_metrics *r)
{
	free(r->devices);
	r->devices = NULL;
	r->n_devices = 0;
}
