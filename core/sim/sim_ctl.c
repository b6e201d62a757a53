/*
 * sim_ctl: the controller-and-wire stages (sim_ctl.h, ctlmodel.h).
 *
 * Invariants: the batches in preparation have their work up to date at
 * prep_mark_s, which never goes back; a batch is in exactly one of prep,
 * link or on its device until it is settled (done or timed out); pending
 * entries are in dispatch order, so with one time-out for every batch their
 * time-outs come due in that order and only the head needs looking at.
 */
#include "sim_ctl.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

enum { P_PREP = 0, P_LINK = 1, P_DEVICE = 2, P_SETTLED = 3 };

void sim_ctl_init(struct sim_ctl *c, const struct lv_ctl_model *m, size_t n_devices,
                  double intake_period_s)
{
	memset(c, 0, sizeof(*c));
	c->m = m;
	c->intake_period_s = intake_period_s > 0 ? intake_period_s : m->poll_s;
	c->next_tick_s = INFINITY;
	c->tick_s = -INFINITY;
	c->n_devices = n_devices;
	c->link_free_s = lv_xcalloc(n_devices ? n_devices : 1, sizeof(double));
	c->wire = lv_xcalloc(n_devices ? n_devices : 1, 1);
}

void sim_ctl_fini(struct sim_ctl *c)
{
	free(c->in);
	free(c->prep);
	free(c->link);
	free(c->link_free_s);
	free(c->wire);
	free(c->pend);
	memset(c, 0, sizeof(*c));
}

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap : 16;
	while (n < need)
		n *= 2;
	*cap = n;
	return lv_xrealloc(p, n * size);
}

/* ---- intake ------------------------------------------------------------- */

static double grid_at_or_after(double t, double period)
{
	double k = ceil(t / period - 1e-9);
	double g = k * period;
	return g < t ? t : g;
}

void sim_ctl_arrive(struct sim_ctl *c, double now, size_t req, uint32_t frames, double budget_s)
{
	if (frames == 0)
		return;
	if (c->in_len == c->in_cap) {
		size_t cap = c->in_cap ? c->in_cap * 2 : 16;
		struct sim_ctl_intake *n = lv_xmalloc(cap * sizeof(*n));
		for (size_t i = 0; i < c->in_len; i++)
			n[i] = c->in[(c->in_head + i) % c->in_cap];
		free(c->in);
		c->in = n;
		c->in_cap = cap;
		c->in_head = 0;
	}
	struct sim_ctl_intake *x = &c->in[(c->in_head + c->in_len) % c->in_cap];
	x->req = req;
	x->left = frames;
	x->arrival_s = now;
	x->budget_s = budget_s;
	if (c->in_len++ == 0 && !(c->next_tick_s < INFINITY)) {
		double g = grid_at_or_after(now, c->intake_period_s);
		if (g == c->tick_s && c->tick_left == 0) /* that poll has read its fill */
			g = grid_at_or_after(g + c->intake_period_s * 0.5, c->intake_period_s);
		c->next_tick_s = g;
	}
}

uint64_t sim_ctl_intake_frames(const struct sim_ctl *c)
{
	uint64_t n = 0;
	for (size_t i = 0; i < c->in_len; i++)
		n += c->in[(c->in_head + i) % c->in_cap].left;
	return n;
}

/* ---- preparation (processor sharing) --------------------------------------- */

static double prep_rate(const struct sim_ctl *c)
{
	double n = (double)c->n_prep;
	return n <= c->m->cpus ? 1.0 : c->m->cpus / n;
}

static void prep_update(struct sim_ctl *c, double t)
{
	if (c->n_prep > 0 && t > c->prep_mark_s) {
		double done = (t - c->prep_mark_s) * prep_rate(c);
		for (size_t i = 0; i < c->n_prep; i++)
			c->prep[i].work -= done;
	}
	if (t > c->prep_mark_s)
		c->prep_mark_s = t;
}

/* The job that comes first: least work (or arrival), the earlier dispatch on a tie. */
static int job_before(const struct sim_ctl_job *a, const struct sim_ctl_job *b)
{
	return a->work < b->work || (a->work == b->work && a->seq < b->seq);
}

/* The index of the job that comes first among n (n >= 1). */
static size_t first_job(const struct sim_ctl_job *jobs, size_t n)
{
	size_t k = 0;
	for (size_t i = 1; i < n; i++)
		if (job_before(&jobs[i], &jobs[k]))
			k = i;
	return k;
}

/*
 * Every job in preparation loses the same work as time passes, so the one
 * that comes first stays first until it leaves or a job joins: remembered
 * (prep_first, valid while n_prep > 0), looked for again only when it leaves.
 */
static size_t prep_min(const struct sim_ctl *c)
{
	return c->prep_first;
}

/* Takes job k out of preparation (the last job moves into its slot). */
static struct sim_ctl_job prep_take(struct sim_ctl *c, size_t k)
{
	struct sim_ctl_job j = c->prep[k];
	c->prep[k] = c->prep[--c->n_prep];
	if (c->prep_first == k)
		c->prep_first = c->n_prep ? first_job(c->prep, c->n_prep) : 0;
	else if (c->prep_first == c->n_prep)
		c->prep_first = k; /* the first was the last job, now at k */
	return j;
}

static double prep_next_s(const struct sim_ctl *c)
{
	if (c->n_prep == 0)
		return INFINITY;
	double w = c->prep[prep_min(c)].work;
	return c->prep_mark_s + (w > 0 ? w : 0) / prep_rate(c);
}

/* ---- pending batches (time-outs) --------------------------------------------- */

/*
 * The ring is in dispatch order, and the engine numbers batches in dispatch
 * order, so batch ids ascend along it: a binary search.
 */
static struct sim_ctl_pending *pend_find(struct sim_ctl *c, uint64_t batch_id)
{
	size_t lo = 0, hi = c->p_len;
	struct sim_ctl_pending *ring = c->pend + c->p_head;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ring[mid].batch_id < batch_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->p_len && ring[lo].batch_id == batch_id ? &ring[lo] : NULL;
}

static void pend_set(struct sim_ctl *c, uint64_t batch_id, int state)
{
	struct sim_ctl_pending *p = pend_find(c, batch_id);
	if (p)
		p->state = state;
}

static void pend_trim(struct sim_ctl *c)
{
	while (c->p_len > 0 && c->pend[c->p_head].state == P_SETTLED) {
		c->p_head++;
		c->p_len--;
	}
	if (c->p_len == 0)
		c->p_head = 0;
	else if (c->p_head > 64 && c->p_head > c->p_len) {
		memmove(c->pend, c->pend + c->p_head, c->p_len * sizeof(*c->pend));
		c->p_head = 0;
	}
}

static double timeout_next_s(const struct sim_ctl *c)
{
	return c->p_len > 0 ? c->pend[c->p_head].timeout_s : INFINITY;
}

void sim_ctl_dispatch(struct sim_ctl *c, double now, uint64_t batch_id, int device, int batch,
                      uint64_t freq_hz)
{
	prep_update(c, now);
	c->prep = grow(c->prep, &c->cap_prep, c->n_prep + 1, sizeof(*c->prep));
	size_t first = c->prep_first;
	c->prep[c->n_prep++] = (struct sim_ctl_job){
		.batch_id = batch_id,
		.seq = c->n_dispatched++,
		.device = device,
		.batch = batch,
		.freq_hz = freq_hz,
		.work = c->m->batch_s +
		        lv_ctl_wire_frame_s(c->m, (enum lv_wire)c->wire[device]) * (double)batch,
	};
	if (c->n_prep == 1 || job_before(&c->prep[c->n_prep - 1], &c->prep[first]))
		first = c->n_prep - 1;
	c->prep_first = first;
	if (c->m->batch_timeout_s > 0) {
		assert(c->p_len == 0 || c->pend[c->p_head + c->p_len - 1].batch_id < batch_id);
		c->pend = grow(c->pend, &c->p_cap, c->p_head + c->p_len + 1, sizeof(*c->pend));
		c->pend[c->p_head + c->p_len++] = (struct sim_ctl_pending){
			.batch_id = batch_id,
			.timeout_s = now + c->m->batch_timeout_s,
			.state = P_PREP,
		};
	}
}

int sim_ctl_batch_done(struct sim_ctl *c, uint64_t batch_id)
{
	if (c->m->batch_timeout_s <= 0)
		return 1;
	struct sim_ctl_pending *p = pend_find(c, batch_id);
	if (!p || p->state == P_SETTLED)
		return 0;
	p->state = P_SETTLED;
	pend_trim(c);
	return 1;
}

/* ---- the link ------------------------------------------------------------- */

static size_t link_min(const struct sim_ctl *c)
{
	return first_job(c->link, c->n_link);
}

static double link_next_s(const struct sim_ctl *c)
{
	return c->n_link ? c->link[link_min(c)].work : INFINITY;
}

static int remove_job(struct sim_ctl_job *a, size_t *n, uint64_t batch_id)
{
	for (size_t i = 0; i < *n; i++)
		if (a[i].batch_id == batch_id) {
			a[i] = a[--*n];
			return 1;
		}
	return 0;
}

/* ---- events ------------------------------------------------------------------ */

double sim_ctl_next_s(const struct sim_ctl *c)
{
	double t = prep_next_s(c);
	double x = link_next_s(c);
	if (x < t)
		t = x;
	x = timeout_next_s(c);
	if (x < t)
		t = x;
	if (c->in_len > 0 && c->next_tick_s < t)
		t = c->next_tick_s;
	return t;
}

/* n frames of intake entry x reach the engine at t. */
static void admit_event(struct sim_ctl_event *ev, const struct sim_ctl_intake *x, uint32_t n,
                        double t)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = SIM_CTL_ADMIT;
	ev->time_s = t;
	ev->req = x->req;
	ev->frames = n;
	ev->arrival_s = x->arrival_s;
	ev->budget_s = x->budget_s;
}

static void deliver_event(struct sim_ctl_event *ev, const struct sim_ctl_job *j, double t)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = SIM_CTL_DELIVER;
	ev->time_s = t;
	ev->batch_id = j->batch_id;
	ev->device = j->device;
	ev->batch = j->batch;
	ev->freq_hz = j->freq_hz;
}

/* A batch's preparation ended at t: onto its link, or straight to its device (1, *ev). */
static int prep_finish(struct sim_ctl *c, double t, struct sim_ctl_event *ev)
{
	prep_update(c, t);
	struct sim_ctl_job j = prep_take(c, prep_min(c));
	double tx = lv_ctl_link_wire_s(c->m, (enum lv_wire)c->wire[j.device], j.batch);
	if (tx > 0 || c->m->rtt_s > 0) {
		double *free_s = &c->link_free_s[j.device];
		double start = *free_s > t ? *free_s : t;
		*free_s = start + tx;
		j.work = start + tx + c->m->rtt_s;
		c->link = grow(c->link, &c->cap_link, c->n_link + 1, sizeof(*c->link));
		c->link[c->n_link++] = j;
		pend_set(c, j.batch_id, P_LINK);
		return 0;
	}
	pend_set(c, j.batch_id, P_DEVICE);
	deliver_event(ev, &j, t);
	return 1;
}

static void intake_tick(struct sim_ctl *c, double t, struct sim_ctl_event *ev)
{
	struct sim_ctl_intake *x = &c->in[c->in_head];
	if (t != c->tick_s) { /* a new turn of the loop */
		c->tick_s = t;
		c->tick_left =
		    c->m->intake_per_poll > 0 ? (uint32_t)c->m->intake_per_poll : UINT32_MAX;
	}
	uint32_t n = x->left < c->tick_left ? x->left : c->tick_left;
	admit_event(ev, x, n, t);
	x->left -= n;
	c->tick_left -= n;
	if (x->left == 0) {
		c->in_head = (c->in_head + 1) % c->in_cap;
		c->in_len--;
	}
	/* A turn of the loop reads up to intake_per_poll frames (0: all), across requests in
	 * order: the next request's share comes at the same instant, the rest next turn. */
	if (c->in_len == 0)
		c->next_tick_s = INFINITY;
	else if (c->tick_left == 0)
		c->next_tick_s = grid_at_or_after(t + c->intake_period_s * 0.5, c->intake_period_s);
}

int sim_ctl_advance(struct sim_ctl *c, double t, struct sim_ctl_event *ev)
{
	for (;;) {
		double tp = prep_next_s(c), tl = link_next_s(c), tt = timeout_next_s(c);
		double ti = c->in_len > 0 ? c->next_tick_s : INFINITY;
		double m = tp;
		if (tl < m)
			m = tl;
		if (tt < m)
			m = tt;
		if (ti < m)
			m = ti;
		if (!(m <= t) || !(m < INFINITY)) /* nothing due, or nothing at all */
			return 0;
		if (tt == m) {
			struct sim_ctl_pending *p = &c->pend[c->p_head];
			prep_update(c, m);
			if (p->state == P_PREP) {
				for (size_t i = 0; i < c->n_prep; i++)
					if (c->prep[i].batch_id == p->batch_id) {
						prep_take(c, i);
						break;
					}
			} else if (p->state == P_LINK) {
				remove_job(c->link, &c->n_link, p->batch_id);
			}
			memset(ev, 0, sizeof(*ev));
			ev->kind = SIM_CTL_TIMEOUT;
			ev->time_s = m;
			ev->batch_id = p->batch_id;
			p->state = P_SETTLED;
			pend_trim(c);
			return 1;
		}
		if (tp == m) {
			if (prep_finish(c, m, ev))
				return 1;
			continue;
		}
		if (tl == m) {
			size_t k = link_min(c);
			struct sim_ctl_job j = c->link[k];
			c->link[k] = c->link[--c->n_link];
			pend_set(c, j.batch_id, P_DEVICE);
			deliver_event(ev, &j, m);
			return 1;
		}
		intake_tick(c, m, ev);
		return 1;
	}
}

int sim_ctl_drain_intake(struct sim_ctl *c, double t, struct sim_ctl_event *ev)
{
	if (c->in_len == 0)
		return 0;
	struct sim_ctl_intake *x = &c->in[c->in_head];
	admit_event(ev, x, x->left, t);
	c->in_head = (c->in_head + 1) % c->in_cap;
	if (--c->in_len == 0)
		c->next_tick_s = INFINITY;
	return 1;
}
