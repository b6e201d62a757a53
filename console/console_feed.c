/*
 * console_feed: refreshing what the views read (struct lv_ui's inputs)
 * from the runtime, once per tick and after every key: the latest
 * snapshot (the previous one is released), events logged since the last
 * tick, the workload's counters, the experiment runner's state, and the
 * per-device history. It also lets the runtime reap embedded agents that
 * died, as `loudva serve` does while it waits.
 *
 * Everything here is a copy or a reference-counted snapshot: the views
 * then draw without touching any lock the engine thread takes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "console.h"
#include "front/frontend.h"
#include "model/profile.h"
#include "base/util.h"
#include "view.h"

/* Devices: their names (for completion) and clocks (for +/-), from the runtime's cluster. */
static void devices(struct lv_console *c)
{
	const struct lv_cluster *cl = lv_live_cluster(c->rt.live);
	free(c->device_names);
	free(c->devinfo);
	free(c->device_freqs);
	free(c->device_n_freqs);
	c->device_freqs = lv_xcalloc(cl->n_devices + 1, sizeof(*c->device_freqs));
	c->device_n_freqs = lv_xcalloc(cl->n_devices + 1, sizeof(*c->device_n_freqs));
	c->n_device_names = cl->n_devices;
	c->n_devinfo = cl->n_devices;
	c->device_names = lv_xcalloc(cl->n_devices + 1, sizeof(char *));
	c->devinfo = lv_xcalloc(cl->n_devices + 1, sizeof(*c->devinfo));
	for (size_t i = 0; i < cl->n_devices; i++) {
		const struct lv_profile *p = lv_device_profile(cl, &cl->devices[i]);
		c->device_names[i] = cl->devices[i].name;
		c->devinfo[i].n_freqs = p->n_freqs;
		c->devinfo[i].freqs_hz = p->freqs_hz;
		c->device_freqs[i] = p->freqs_hz;
		c->device_n_freqs[i] = p->n_freqs;
	}
	c->ui.devinfo = c->devinfo;
}

void lv_console_feed_init(struct lv_console *c)
{
	const struct lv_view_ops *const *reg = lv_view_registry();
	for (size_t i = 0; i < lv_view_count(); i++)
		c->view_names[i] = reg[i]->name;
	size_t n = 0;
	for (const struct lv_policy_ops *const *p = lv_policy_registry(); *p; p++)
		n++;
	c->policy_names = lv_xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		c->policy_names[i] = lv_policy_registry()[i]->name;
	c->n_policy_names = n;
	c->ui.log = lv_xcalloc(LV_UI_LOG_MAX, sizeof(struct lv_log_entry));
	lv_hist_init(&c->ui.hist);
	c->ui.refresh_ms = c->opts.refresh_ms;
	c->ui.help_for = 0;
	if (c->n_sites) { /* attached: the controllers fill the rest */
		lv_console_attach_init(c);
		return;
	}
	c->log = lv_live_log(c->rt.live);
	devices(c);
	const struct lv_cluster *cl = lv_live_cluster(c->rt.live);
	char fe[32] = "front end off";
	if (c->rt.frontend) {
		snprintf(fe, sizeof(fe), "front end :%u",
		         (unsigned)lv_frontend_port(c->rt.frontend));
		c->ui.front.on = 1;
		c->ui.front.port = (unsigned)lv_frontend_port(c->rt.frontend);
	} else if (c->rt.frontend_error) {
		snprintf(c->ui.front.error, sizeof(c->ui.front.error), "%s", c->rt.frontend_error);
	}
	snprintf(c->cluster_desc, sizeof(c->cluster_desc), "%s: %zu devices%s  %s",
	         cl->name ? cl->name : "cluster", cl->n_devices,
	         c->rt.launcher ? " (embedded)" : "", fe);
	c->ui.cluster_desc = c->cluster_desc;
	c->ui.refresh_ms = c->opts.refresh_ms;
	c->ui.help_for = 0;
}

void lv_console_feed_fini(struct lv_console *c)
{
	if (c->snap && !c->n_sites)
		lv_live_snapshot_put(c->rt.live, c->snap);
	c->snap = NULL;
	c->ui.snap = NULL;
	free(c->device_names);
	free(c->devinfo);
	free(c->device_freqs);
	free(c->device_n_freqs);
	free(c->policy_names);
	free(c->spec_words);
	free(c->ui.log);
	lv_hist_fini(&c->ui.hist);
}

/* Appends events logged since the last call, keeping the newest LV_UI_LOG_MAX. */
static void read_log(struct lv_console *c)
{
	struct lv_log_entry buf[128];
	size_t got;
	while ((got = lv_eventlog_read(c->log, c->log_seq, buf, 128)) > 0) {
		if (buf[0].seq > c->log_seq + 1)
			c->ui.log_missed += buf[0].seq - c->log_seq - 1;
		c->log_seq = buf[got - 1].seq;
		struct lv_ui *ui = &c->ui;
		if (ui->n_log + got > LV_UI_LOG_MAX) {
			size_t drop = ui->n_log + got - LV_UI_LOG_MAX;
			if (drop > ui->n_log)
				drop = ui->n_log;
			memmove(ui->log, ui->log + drop, (ui->n_log - drop) * sizeof(ui->log[0]));
			ui->n_log -= drop;
		}
		memcpy(ui->log + ui->n_log, buf, got * sizeof(buf[0]));
		ui->n_log += got;
		if (got < 128)
			break;
	}
}

/* The experiment specs plus the "build one from the cluster" word, for completion. */
static void spec_words(struct lv_console *c)
{
	const struct lv_ui_experiments *e = &c->ui.exp;
	if (c->spec_words && c->n_spec_words == e->n_specs + 1)
		return;
	free(c->spec_words);
	c->spec_words = lv_xcalloc(e->n_specs + 2, sizeof(char *));
	for (size_t i = 0; i < e->n_specs; i++)
		c->spec_words[i] = e->specs[i];
	c->spec_words[e->n_specs] = LV_CMD_EXP_FROM_CLUSTER;
	c->n_spec_words = e->n_specs + 1;
}

/* The front end's refusals; its state was set once by lv_console_feed_init. */
static void front(struct lv_console *c)
{
	struct lv_ui_front *f = &c->ui.front;
	struct lv_frontend_stats st;
	if (!c->rt.frontend)
		return;
	lv_frontend_stats(c->rt.frontend, &st);
	f->refused_frames = lv_frontend_refused(&st, &f->refused_requests);
	uint64_t most = 0;
	for (int i = 0; i < LV_FE_REFUSE_COUNT; i++)
		if (st.refused_requests[i] > most) {
			most = st.refused_requests[i];
			snprintf(f->refused_reason, sizeof(f->refused_reason), "%s",
			         lv_frontend_refusal_name((enum lv_fe_refusal)i));
		}
}

void lv_console_feed(struct lv_console *c)
{
	struct lv_ui *ui = &c->ui;
	if (c->n_sites) {
		lv_console_attach_feed(c);
	} else {
		const struct lv_snapshot *s = lv_live_snapshot_get(c->rt.live);
		if (s) {
			if (c->snap)
				lv_live_snapshot_put(c->rt.live, c->snap);
			c->snap = s;
		}
		ui->snap = c->snap;
		lv_runtime_poll(&c->rt); /* reap embedded agents that died (probed back) */
		if (ui->snap && ui->snap->n_devices != c->n_devinfo)
			devices(c);
	}
	read_log(c);
	struct lv_workload_stats ws = { 0 };
	if (c->wl)
		lv_workload_stats(c->wl, &ws);
	ui->workload.on = ws.on;
	ui->workload.cameras = ws.cameras;
	ui->workload.requests = ws.requests;
	ui->workload.frames = ws.frames;
	ui->workload.outstanding = ws.outstanding;
	enum lv_ui_exp_state was = ui->exp.state;
	int exp_changed = lv_exprun_poll(c->exp, &ui->exp);
	if (c->n_sites && lv_console_attach_experiment(c)) /* the controller's, over the lists */
		exp_changed = ui->exp.state != was;
	if (exp_changed && was == LV_UI_EXP_RUNNING && ui->exp.state != LV_UI_EXP_RUNNING) {
		int ok = ui->exp.state == LV_UI_EXP_DONE;
		lv_console_note(c, ok ? LV_LOG_INFO : LV_LOG_WARN, "experiment %s %s: %s",
		                ui->exp.spec, ok ? "finished" : "failed", ui->exp.message);
		lv_ui_flash(ui, !ok, "experiment %s %s", ui->exp.spec, ok ? "finished" : "failed");
	}
	lv_console_profile_tick(c);
	front(c);
	spec_words(c);
	lv_hist_update(&ui->hist, ui->snap);
	ui->wall_s = lv_console_now() - c->t0;
	ui->policy_spec = c->policy_spec[0]   ? c->policy_spec
	                  : c->opts.rt.policy ? c->opts.rt.policy
	                                      : "loud";
	ui->refresh_ms = c->opts.refresh_ms;
}
