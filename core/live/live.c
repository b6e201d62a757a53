/*
 * live: the engine thread, the hand-off from front-end threads and the
 * event loop (see live.h for the contract, live_internal.h for the split).
 *
 * The loop, each turn: take the requests and operator commands handed over
 * (under in_mu), collect finished transfers (libcurl multi), run the
 * devices' timers (telemetry, probes), step the engine when something
 * happened or its wakeup is due, carry out the engine's actions, publish a
 * snapshot when due, then sleep in curl_multi_poll until the earliest
 * timer, a socket, or curl_multi_wakeup from lv_live_submit.
 *
 * Requests. A submitted request is tagged with its own address; the engine
 * gives its frames consecutive ids, and the request table maps a frame id
 * back to (request, index) for the dispatcher, which streams the frame's
 * tensor straight from the request. A request is answered (done = 1) when
 * its last frame is terminal; after that the front end frees it, so by then
 * no transfer may still read its tensors — which holds because frames only
 * become terminal when their transfer has ended, and at shutdown every
 * transfer is removed before the engine aborts what is left.
 */
#include "live.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "model/cluster.h"
#include "live_internal.h"
#include "model/profile.h"
#include "sched/snapshot.h"
#include "base/clock.h"
#include "base/util.h"

#define ENGINE_NICE (-10)

void lv_live_config_default(struct lv_live_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->policy = "loud";
	snprintf(cfg->model.name, sizeof(cfg->model.name), "inception_graphdef");
	snprintf(cfg->model.input, sizeof(cfg->model.input), "input");
	snprintf(cfg->model.output, sizeof(cfg->model.output), "InceptionV3/Predictions/Softmax");
	cfg->model.height = 299;
	cfg->model.width = 299;
	cfg->model.channels = 3;
	cfg->model.classes = 1001;
	cfg->model.max_batch = 64;
	lv_engine_config_default(&cfg->engine);
	cfg->telemetry_period_s = 0.25;
	cfg->snapshot_period_s = 0.1;
	cfg->fail_threshold = 3;
}

/* ---- the engine thread ---------------------------------------------------------- */

/* The run's figures over [first arrival - lead, now] (see lv_live_result), and the timeline. */
static void make_result(struct lv_live *lv, double now)
{
	const struct lv_cluster *c = lv->cluster;
	int started = !isnan(lv->first_arrival_s);
	double t0 = started ? lv->window_start_s : 0.0;
	size_t n = c->n_devices ? c->n_devices : 1;
	struct lv_device_metrics *dm = lv_xcalloc(n, sizeof(*dm));
	double *e0 = lv_xcalloc(n, sizeof(double)), *e1 = lv_xcalloc(n, sizeof(double));
	for (size_t i = 0; i < c->n_devices; i++) {
		e0[i] = started ? lv->dev_energy_first_j[i] : 0.0;
		e1[i] = live_device_energy(lv, i, now);
		snprintf(dm[i].name, sizeof(dm[i].name), "%s", c->devices[i].name);
		dm[i].kind = c->devices[i].kind;
		dm[i].energy_j = e1[i] - e0[i];
		dm[i].frames = lv->devs[i].frames;
		dm[i].batches = lv->devs[i].batches;
		dm[i].avg_freq_hz = (double)c->devices[i].freq_hz;
		/* telemetry gives a device's power, not what its batches drew */
		dm[i].busy_energy_j = NAN;
		dm[i].change_energy_j = NAN;
		dm[i].lowest_s = NAN;
		dm[i].top_s = NAN;
	}
	if (lv_metrics_finish(&lv->metrics, c, now - t0, dm, &lv->result, NULL) == LV_OK)
		lv->have_result = 1;
	if (lv->series)
		live_timeline_build(lv, t0, now, e0, e1);
	free(e0);
	free(e1);
	free(dm);
}

double lv_live_clock(const struct lv_live *lv)
{
	return live_now(lv);
}

const struct lv_timeline *lv_live_timeline(const struct lv_live *lv)
{
	return lv->timeline;
}

const struct lv_cluster *lv_live_cluster(const struct lv_live *lv)
{
	return lv->cluster;
}

unsigned lv_live_wires(const struct lv_live *lv)
{
	unsigned w = 0;
	for (size_t i = 0; i < lv->cluster->n_devices; i++)
		w |= 1u << lv->cluster->devices[i].wire;
	return w ? w : 1u << LV_WIRE_FP32;
}

const struct lv_run_metrics *lv_live_result(const struct lv_live *lv)
{
	return lv->have_result ? &lv->result : NULL;
}

static void submit_one(struct lv_live *lv, struct lv_live_request *r, double now)
{
	if (r->n_frames == 0) {
		live_request_answer(r);
		return;
	}
	/* Its budget counts from its arrival (the front end took the time when its
	 * headers were complete), not from now: decoding may have kept it a while. */
	double arrival = now;
	if (!isnan(r->arrival_mono_s) && r->arrival_mono_s - lv->t0 < now)
		arrival = r->arrival_mono_s - lv->t0 > 0 ? r->arrival_mono_s - lv->t0 : 0;
	if (isnan(lv->first_arrival_s)) {
		/* The result's window opens window_lead_s earlier, when devices idled. */
		double lead = lv->cfg.window_lead_s < arrival ? lv->cfg.window_lead_s : arrival;
		lv->first_arrival_s = arrival;
		lv->window_start_s = arrival - lead;
		for (size_t i = 0; i < lv->cluster->n_devices; i++) {
			const struct live_dev *d = &lv->devs[i];
			double p = (d->valid & LV_SNAP_HAS_POWER) ? d->power_w : 0;
			lv->dev_energy_first_j[i] =
			    live_device_energy(lv, i, now) - (now - lv->window_start_s) * p;
		}
	}
	uint64_t first = 0;
	/* Registered before the engine answers anything (a rejection is immediate). */
	struct lv_engine_counts before;
	lv_engine_counts(lv->engine, &before);
	r->first_frame_id = before.received + 1;
	live_reqtab_add(&lv->reqs, r);
	lv_engine_submit_at(lv->engine, now, arrival, r->n_frames, r->budget_s,
	                    (uint64_t)(uintptr_t)r, &first);
	assert(first == r->first_frame_id);
	lv->events = 1;
}

static void run_command(struct lv_live *lv, struct cmd *c, double now)
{
	struct live_dev *d = c->device >= 0 ? &lv->devs[c->device] : NULL;
	switch (c->kind) {
	case CMD_POLICY: {
		struct lv_policy *p = lv_policy_new(c->spec, lv->cluster, &c->why);
		if (!p) {
			c->rc = LV_EINVAL;
			break;
		}
		lv_engine_set_policy(lv->engine, p);
		break;
	}
	case CMD_PIN:
		d->pin_hz = c->hz;
		if (c->hz) {
			/* held to the power mode's cap, if it has one: the engine learns so */
			uint64_t hz = live_set_clock(lv, c->device, c->hz, 0, now);
			if (hz)
				lv_engine_device_clock(lv->engine, now, c->device, hz);
		}
		break;
	case CMD_STATE:
		if (c->state == LV_DEV_UP && d->admin != LV_DEV_UP) {
			/* Back from a drain (perhaps a profiling sweep that pinned and
			 * released the clock): the clock is whatever the agent says
			 * until the next dispatch sets it again. */
			d->owned_clock = 0;
			d->sent_hz = 0;
		}
		d->admin = c->state;
		live_sync_state(lv, c->device, now);
		break;
	case CMD_RESTARTED:
		d->restarts++;
		snprintf(d->last_error, sizeof(d->last_error), "agent restarted (restart %llu)",
		         (unsigned long long)d->restarts);
		live_health_set(lv, c->device, HEALTH_DOWN, now);
		break;
	}
	if (c->rc == LV_OK)
		live_events_command(lv, c);
	lv->events = 1;
}

/* Takes what other threads handed over. Returns 1 when asked to stop. */
static int take_inputs(struct lv_live *lv, double now)
{
	pthread_mutex_lock(&lv->in_mu);
	struct lv_live_request *r = lv->in_head;
	lv->in_head = lv->in_tail = NULL;
	struct cmd *c = lv->cmd_head;
	lv->cmd_head = lv->cmd_tail = NULL;
	int stopping = lv->stopping;
	pthread_mutex_unlock(&lv->in_mu);
	while (r) {
		struct lv_live_request *next = r->next;
		submit_one(lv, r, now);
		r = next;
	}
	if (!c)
		return stopping;
	for (struct cmd *k = c; k; k = k->next)
		run_command(lv, k, now);
	pthread_mutex_lock(&lv->in_mu);
	while (c) {
		struct cmd *next = c->next;
		c->done = 1; /* the caller owns c again from here */
		c = next;
	}
	pthread_cond_broadcast(&lv->cmd_cv);
	pthread_mutex_unlock(&lv->in_mu);
	return stopping;
}

/* Carries out the engine's actions. */
static void run_actions(struct lv_live *lv, double now)
{
	const struct lv_action *acts;
	size_t n = lv_engine_actions(lv->engine, &acts);
	for (size_t k = 0; k < n; k++) {
		const struct lv_action *a = &acts[k];
		switch (a->kind) {
		case LV_ACT_DISPATCH:
			live_events_dispatch(lv, a);
			live_dispatch(lv, a, now);
			break;
		case LV_ACT_SET_CLOCK:
			live_set_clock(lv, a->device, a->freq_hz, a->boost, now);
			break;
		case LV_ACT_FRAME_FINAL: live_frame_final(lv, &a->frame); break;
		}
	}
	lv_engine_clear_actions(lv->engine);
}

static void step_if_due(struct lv_live *lv, double now)
{
	double w = lv_engine_next_wakeup(lv->engine);
	if (lv->events || (w <= now && w > lv->last_step_s)) {
		live_events_arm(lv, now);
		lv_engine_step(lv->engine, now);
		live_events_explained(lv, now);
		lv->last_step_s = now;
		lv->events = 0;
	}
	run_actions(lv, now);
}

static long poll_timeout_ms(struct lv_live *lv, double now)
{
	double t = lv->next_snap_s;
	double w = lv_engine_next_wakeup(lv->engine);
	if (w > lv->last_step_s && w < t)
		t = w;
	double d = live_telemetry_next(lv);
	if (d < t)
		t = d;
	d = live_health_next(lv);
	if (d < t)
		t = d;
	double ms = ceil((t - now) * 1000.0);
	if (ms < 0)
		ms = 0;
	if (ms > 1000)
		ms = 1000;
	return (long)ms;
}

/* Each device's timers: shared-memory upkeep, the telemetry poll, a probe when not up. */
static void devices_tick(struct lv_live *lv, double now)
{
	for (size_t i = 0; i < lv->cluster->n_devices; i++) {
		live_shm_tick(lv, (int)i, now);
		live_telemetry_tick(lv, (int)i, now);
		live_health_tick(lv, (int)i, now);
	}
}

/* Every frame still held is answered: transfers go first (they read tensors). */
static void shut_down(struct lv_live *lv)
{
	double now = live_now(lv);
	take_inputs(lv, now);
	run_actions(lv, now);
	live_devices_abort(lv);
	lv_engine_abort_all(lv->engine, now, "controller shutting down");
	run_actions(lv, now);
	live_release(lv);
	live_stats_tick(lv, now);
	live_publish(lv, now);
	make_result(lv, now);
	pthread_mutex_lock(&lv->in_mu);
	lv->finished = 1;
	pthread_cond_broadcast(&lv->cmd_cv);
	pthread_mutex_unlock(&lv->in_mu);
}

static void *engine_main(void *arg)
{
	struct lv_live *lv = arg;
	/*
	 * Under load the front end keeps every core busy decoding (and emulated
	 * agents or a load client may share the cores too), and a fair share of
	 * the CPU would starve this one thread that every frame waits on. Ask
	 * for a higher priority (works with CAP_SYS_NICE, e.g. as root or under
	 * systemd's Nice=; else nothing changes). The name shows in top and perf.
	 */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), ENGINE_NICE);
	prctl(PR_SET_NAME, "lv-engine");
	for (;;) {
		double now = live_now(lv);
		if (take_inputs(lv, now))
			break;
		int running = 0;
		curl_multi_perform(lv->multi, &running);
		live_xfers_done(lv, now);
		devices_tick(lv, now);
		step_if_due(lv, now);
		if (now >= lv->next_snap_s) {
			live_stats_tick(lv, now);
			live_publish(lv, now);
			lv->next_snap_s = now + lv->cfg.snapshot_period_s;
		}
		int nfds = 0;
		curl_multi_poll(lv->multi, NULL, 0, (int)poll_timeout_ms(lv, live_now(lv)), &nfds);
	}
	shut_down(lv);
	return NULL;
}

/* ---- the API ----------------------------------------------------------------------- */

struct lv_live *lv_live_new(struct lv_live_config *cfg, char **why)
{
	struct lv_cluster *c = cfg->cluster;
	for (size_t k = 0; k < c->n_kinds; k++)
		if (!c->kinds[k].cost) {
			lv_fail(why, LV_EINVAL, "live: kind %s has no cost table",
			        c->kinds[k].profile->kind);
			return NULL;
		}
	for (size_t i = 0; i < c->n_devices; i++)
		if (!c->devices[i].agent_url && !c->devices[i].triton_url) {
			lv_fail(why, LV_EINVAL,
			        "live: device %s has neither an agent nor a triton URL",
			        c->devices[i].name);
			return NULL;
		}
	struct lv_policy *p = lv_policy_new(cfg->policy ? cfg->policy : "loud", c, why);
	if (!p)
		return NULL;
	struct lv_live *lv = lv_xcalloc(1, sizeof(*lv));
	lv->cfg = *cfg;
	lv->cfg.policy = NULL;
	lv->cfg.token = NULL;
	lv->cfg.db_path = NULL;
	lv->cfg.db_run = NULL;
	if (!(lv->cfg.window_lead_s >= 0) || !isfinite(lv->cfg.window_lead_s))
		lv->cfg.window_lead_s = 0;
	if (!(lv->cfg.telemetry_period_s > 0))
		lv->cfg.telemetry_period_s = 0.25;
	if (!(lv->cfg.snapshot_period_s > 0))
		lv->cfg.snapshot_period_s = 0.1;
	if (!(lv->cfg.sample_s > 0) || !isfinite(lv->cfg.sample_s))
		lv->cfg.sample_s = 0;
	if (lv->cfg.fail_threshold < 1)
		lv->cfg.fail_threshold = 3;
	lv->cluster = c;
	cfg->cluster = NULL;
	if (cfg->token && *cfg->token) {
		lv->token = lv_xstrdup(cfg->token);
		lv->auth = lv_xasprintf("Authorization: Bearer %s", cfg->token);
	}
	lv->t0 = lv_mono_s();
	lv->first_arrival_s = NAN;
	lv_cluster_reset(c, 0.0);
	lv->engine = lv_engine_new(c, p, &lv->cfg.engine, 0.0);
	lv->devs = lv_xcalloc(c->n_devices, sizeof(*lv->devs));
	for (size_t i = 0; i < c->n_devices; i++)
		lv->devs[i].admin = LV_DEV_UP;
	lv->stats = live_stats_new(c->n_devices, 0.0);
	lv->dev_energy_first_j = lv_xcalloc(c->n_devices ? c->n_devices : 1, sizeof(double));
	if (lv->cfg.sample_s > 0)
		lv->series = lv_xcalloc(c->n_devices ? c->n_devices : 1, sizeof(*lv->series));
	lv_metrics_init(&lv->metrics, lv->cfg.trace_requests);
	lv->multi = curl_multi_init();
	curl_multi_setopt(lv->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 64L);
	/*
	 * Keep idle connections to every device. libcurl's default cache holds 4
	 * per transfer in progress, so when the controller had one or two batches
	 * out it closed the connections to the other devices, and the next batch
	 * paid a new connection (a new thread and buffers on the agent) for it.
	 */
	curl_multi_setopt(lv->multi, CURLMOPT_MAXCONNECTS, (long)(4 * c->n_devices + 16));
	pthread_mutex_init(&lv->in_mu, NULL);
	pthread_cond_init(&lv->cmd_cv, NULL);
	pthread_mutex_init(&lv->snap_mu, NULL);
	lv->ev = live_events_new(c->n_devices);
	live_publish(lv, 0.0);
	if (cfg->db_path && live_record_open(lv, cfg->db_path, cfg->db_run, why) != LV_OK)
		goto fail;
	if (pthread_create(&lv->thread, NULL, engine_main, lv) != 0) {
		lv_fail(why, LV_EIO, "live: cannot start the engine thread");
		goto fail;
	}
	lv->thread_started = 1;
	return lv;
fail:
	lv->keep_cluster = 1; /* the caller keeps it after a failure */
	cfg->cluster = c;
	lv_live_stop(lv);
	return NULL;
}

void lv_live_submit(struct lv_live *lv, struct lv_live_request *r)
{
	r->next = NULL;
	r->done = 0;
	r->n_final = 0;
	pthread_mutex_lock(&lv->in_mu);
	if (lv->stopping) {
		pthread_mutex_unlock(&lv->in_mu);
		live_request_refuse(r, "controller shutting down");
		return;
	}
	if (lv->in_tail)
		lv->in_tail->next = r;
	else
		lv->in_head = r;
	lv->in_tail = r;
	pthread_mutex_unlock(&lv->in_mu);
	curl_multi_wakeup(lv->multi);
}

/* Hands a command to the engine thread and waits for its answer. */
static int command(struct lv_live *lv, struct cmd *c, char **why)
{
	c->next = NULL;
	pthread_mutex_lock(&lv->in_mu);
	if (lv->stopping) {
		pthread_mutex_unlock(&lv->in_mu);
		return lv_fail(why, LV_ESTATE, "live: the controller is stopping");
	}
	if (lv->cmd_tail)
		lv->cmd_tail->next = c;
	else
		lv->cmd_head = c;
	lv->cmd_tail = c;
	curl_multi_wakeup(lv->multi);
	while (!c->done)
		pthread_cond_wait(&lv->cmd_cv, &lv->in_mu);
	pthread_mutex_unlock(&lv->in_mu);
	if (c->why) {
		lv_fail(why, c->rc, "%s", c->why);
		free(c->why);
	}
	return c->rc;
}

int lv_live_set_policy(struct lv_live *lv, const char *spec, char **why)
{
	if (!spec || !*spec)
		return lv_fail(why, LV_EINVAL, "live: empty policy");
	struct cmd c = { .kind = CMD_POLICY, .spec = (char *)spec, .device = -1 };
	return command(lv, &c, why);
}

static int device_arg(const struct lv_live *lv, const char *name, char **why)
{
	int i = name ? lv_cluster_find(lv->cluster, name) : -1;
	if (i < 0)
		return lv_fail(why, LV_ENOENT, "live: no device '%s'", name ? name : "");
	return i;
}

int lv_live_pin_clock(struct lv_live *lv, const char *device, uint64_t freq_hz, char **why)
{
	int i = device_arg(lv, device, why);
	if (i < 0)
		return i;
	const struct lv_device *d = &lv->cluster->devices[i];
	const struct lv_profile *p = lv_device_profile(lv->cluster, d);
	if (freq_hz && lv_profile_freq_index(p, freq_hz) < 0)
		return lv_fail(why, LV_EINVAL, "live: %llu Hz is not a clock of %s",
		               (unsigned long long)freq_hz, p->kind);
	struct cmd c = { .kind = CMD_PIN, .device = i, .hz = freq_hz };
	return command(lv, &c, why);
}

int lv_live_set_state(struct lv_live *lv, const char *device, enum lv_dev_state s, char **why)
{
	int i = device_arg(lv, device, why);
	if (i < 0)
		return i;
	if (s != LV_DEV_UP && s != LV_DEV_DOWN && s != LV_DEV_DRAINING)
		return lv_fail(why, LV_EINVAL, "live: bad device state %d", (int)s);
	struct cmd c = { .kind = CMD_STATE, .device = i, .state = s };
	return command(lv, &c, why);
}

int lv_live_device_restarted(struct lv_live *lv, const char *device, char **why)
{
	int i = device_arg(lv, device, why);
	if (i < 0)
		return i;
	struct cmd c = { .kind = CMD_RESTARTED, .device = i };
	return command(lv, &c, why);
}

const struct lv_snapshot *lv_live_snapshot_get(struct lv_live *lv)
{
	pthread_mutex_lock(&lv->snap_mu);
	struct lv_snapshot *s = lv->snap;
	live_snapshot_ref(s);
	pthread_mutex_unlock(&lv->snap_mu);
	return s;
}

void lv_live_snapshot_put(struct lv_live *lv, const struct lv_snapshot *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&lv->snap_mu);
	int last = live_snapshot_unref((struct lv_snapshot *)s);
	pthread_mutex_unlock(&lv->snap_mu);
	if (last)
		lv_snapshot_free((struct lv_snapshot *)s);
}

void lv_live_shutdown(struct lv_live *lv)
{
	pthread_mutex_lock(&lv->in_mu);
	lv->stopping = 1;
	pthread_mutex_unlock(&lv->in_mu);
	if (lv->thread_started)
		curl_multi_wakeup(lv->multi);
	pthread_mutex_lock(&lv->in_mu);
	while (lv->thread_started && !lv->finished)
		pthread_cond_wait(&lv->cmd_cv, &lv->in_mu);
	pthread_mutex_unlock(&lv->in_mu);
}

void lv_live_stop(struct lv_live *lv)
{
	if (!lv)
		return;
	lv_live_shutdown(lv);
	if (lv->thread_started)
		pthread_join(lv->thread, NULL);
	live_record_close(lv, lv_live_result(lv));
	live_devices_abort(lv);
	live_http_fini(lv);
	live_shm_free_all(lv);
	curl_multi_cleanup(lv->multi);
	lv_engine_free(lv->engine);
	live_stats_free(lv->stats);
	if (lv->snap && live_snapshot_unref(lv->snap))
		lv_snapshot_free(lv->snap);
	live_reqtab_fini(&lv->reqs);
	free(lv->devs);
	live_events_free(lv->ev);
	free(lv->dev_energy_first_j);
	live_timeline_free(lv);
	lv_metrics_fini(&lv->metrics);
	if (lv->have_result)
		lv_run_metrics_fini(&lv->result);
	free(lv->token);
	free(lv->auth);
	if (!lv->keep_cluster)
		lv_cluster_free(lv->cluster);
	pthread_mutex_destroy(&lv->in_mu);
	pthread_cond_destroy(&lv->cmd_cv);
	pthread_mutex_destroy(&lv->snap_mu);
	free(lv);
}
