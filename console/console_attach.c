/*
 * console_attach: the console driven by running controllers instead of a
 * runtime of its own (`loudva console --attach URL [--attach URL2 ...]`).
 * Each controller is a struct lv_remote (remote.c: /status polled, the event
 * stream read, changes sent with the bearer token); this file fills the
 * same inputs the views read from the embedded runtime — the snapshot, the
 * event log, the devices' names and clocks — so no view knows the
 * difference. With several controllers the Sites view lists them (ui.sites)
 * and the usual views show the one picked (c->site).
 *
 * What the console would do to its own runtime goes out as a control API
 * request (lv_console_attach_post); the answer comes back on a later tick
 * and is said on the status line, a refusal also in the log. Closing the
 * console stops only the watching threads: the controllers keep serving.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "console.h"
#include "harness/launcher.h"
#include "model/profile.h"
#include "remote.h"
#include "base/datapath.h"
#include "base/util.h"
#include "view.h"

int lv_console_attach_start(struct lv_console *c, char **why)
{
	char *token = NULL;
	if (c->opts.rt.token_file) {
		token = lv_token_file_read(c->opts.rt.token_file, why);
		if (!token)
			return LV_EXIT_USAGE;
	}
	for (int i = 0; i < c->opts.n_attach; i++) {
		c->sites[i] = lv_remote_new(c->opts.attach[i], token, c->opts.refresh_ms, why);
		if (!c->sites[i]) {
			free(token);
			return LV_EXIT_USAGE;
		}
		c->n_sites = i + 1;
	}
	free(token);
	c->site = c->n_sites == 1 ? 0 : -1;
	return LV_EXIT_OK;
}

void lv_console_attach_stop(struct lv_console *c)
{
	for (int i = 0; i < c->n_sites; i++) {
		lv_remote_free(c->sites[i]);
		lv_snapshot_free(c->site_snaps[i]);
		c->sites[i] = NULL;
		c->site_snaps[i] = NULL;
	}
	c->n_sites = 0;
	c->snap = NULL;
	for (size_t i = 0; i < c->n_kind_profiles; i++)
		lv_profile_free(c->kind_profiles[i]);
	free(c->kind_profiles);
	c->kind_profiles = NULL;
	c->n_kind_profiles = 0;
}

/* The profile of a device kind, loaded once (NULL when the data has none). */
static const struct lv_profile *kind_profile(struct lv_console *c, const char *kind)
{
	for (size_t i = 0; i < c->n_kind_profiles; i++)
		if (c->kind_profiles[i] && !strcmp(c->kind_profiles[i]->kind, kind))
			return c->kind_profiles[i];
	char *dir = lv_data_find("profiles"), *why = NULL;
	struct lv_profile *p = dir ? lv_profile_load_kind(dir, kind, &why) : NULL;
	free(why);
	free(dir);
	if (!p)
		return NULL;
	c->kind_profiles =
	    lv_xrealloc(c->kind_profiles, (c->n_kind_profiles + 1) * sizeof(*c->kind_profiles));
	c->kind_profiles[c->n_kind_profiles++] = p;
	return p;
}

/* Device names (completion) and clocks (+/-, :pin in MHz) for the shown snapshot. */
static void devices(struct lv_console *c)
{
	const struct lv_snapshot *s = c->snap;
	size_t n = s ? s->n_devices : 0;
	free(c->device_names);
	free(c->devinfo);
	free(c->device_freqs);
	free(c->device_n_freqs);
	c->device_freqs = lv_xcalloc(n + 1, sizeof(*c->device_freqs));
	c->device_n_freqs = lv_xcalloc(n + 1, sizeof(*c->device_n_freqs));
	/* the names are copied behind the pointers, in the same block: the snapshot they
	 * come from is replaced at the next poll */
	char **names = lv_xcalloc(1, (n + 1) * sizeof(char *) + n * LV_DEV_NAME_MAX);
	char *text = (char *)(names + n + 1);
	c->device_names = (const char **)names;
	c->devinfo = lv_xcalloc(n + 1, sizeof(*c->devinfo));
	c->n_device_names = n;
	c->n_devinfo = n;
	for (size_t i = 0; i < n; i++) {
		const struct lv_profile *p = kind_profile(c, s->devices[i].kind);
		names[i] = text + i * LV_DEV_NAME_MAX;
		snprintf(names[i], LV_DEV_NAME_MAX, "%s", s->devices[i].name);
		if (p) {
			c->devinfo[i].n_freqs = p->n_freqs;
			c->devinfo[i].freqs_hz = p->freqs_hz;
			c->device_freqs[i] = p->freqs_hz;
			c->device_n_freqs[i] = p->n_freqs;
		}
	}
	c->ui.devinfo = c->devinfo;
}

void lv_console_attach_init(struct lv_console *c)
{
	c->ui.sites.n = c->n_sites;
	for (int i = 0; i < c->n_sites; i++)
		c->ui.sites.v[i].url = lv_remote_url(c->sites[i]);
	lv_console_attach_show(c, c->site);
}

void lv_console_attach_show(struct lv_console *c, int i)
{
	if (i < -1 || i >= c->n_sites)
		return;
	c->site = i;
	c->ui.sites.shown = i;
	/* a fresh log and history for the site shown */
	c->log = lv_remote_log(c->sites[i < 0 ? 0 : i]);
	c->log_seq = 0;
	c->ui.n_log = 0;
	c->ui.log_missed = 0;
	lv_hist_fini(&c->ui.hist);
	lv_hist_init(&c->ui.hist);
	c->snap = i >= 0 ? c->site_snaps[i] : NULL;
	c->ui.snap = c->snap;
	devices(c);
	c->policy_spec[0] = '\0';
	if (i >= 0)
		snprintf(c->cluster_desc, sizeof(c->cluster_desc), "%.90s (attached)",
		         lv_remote_url(c->sites[i]));
	else
		snprintf(c->cluster_desc, sizeof(c->cluster_desc), "%d sites (attached)",
		         c->n_sites);
	c->ui.cluster_desc = c->cluster_desc;
	c->ui.front.on = 0;
	c->ui.front.error[0] = '\0';
	if (i < 0)
		lv_console_switch(c, lv_view_find("sites"));
	else if (c->n_sites > 1)
		lv_console_switch(c, lv_view_find("cluster"));
}

void lv_console_attach_feed(struct lv_console *c)
{
	struct lv_ui *ui = &c->ui;
	for (int i = 0; i < c->n_sites; i++) {
		struct lv_ui_site *u = &ui->sites.v[i];
		struct lv_snapshot *s = lv_remote_take(c->sites[i]);
		if (s) {
			lv_snapshot_free(c->site_snaps[i]);
			c->site_snaps[i] = s;
		}
		u->up = lv_remote_up(c->sites[i], u->why, sizeof(u->why));
		u->snap = c->site_snaps[i];
		char msg[300];
		int err;
		while (lv_remote_answer(c->sites[i], msg, sizeof msg, &err))
			lv_ui_flash(ui, err, "%s%s%s",
			            c->n_sites > 1 ? lv_remote_url(c->sites[i]) : "",
			            c->n_sites > 1 ? ": " : "", msg);
	}
	/* the snapshot shown before may have been freed above: compare with what devices()
	 * copied from it, not with it */
	c->snap = c->site >= 0 ? c->site_snaps[c->site] : NULL;
	ui->snap = c->snap;
	if (c->snap && c->snap->n_devices != c->n_devinfo)
		devices(c);
}

int lv_console_attach_experiment(struct lv_console *c)
{
	struct lv_remote_exp r;
	if (c->site < 0 || !lv_remote_experiment(c->sites[c->site], &r))
		return 0;
	struct lv_ui_experiments *e = &c->ui.exp;
	/* the table when the controller's report is readable here (the same host): tried once */
	if (r.state == LV_UI_EXP_DONE && strcmp(c->exp_opened, r.out_dir)) {
		snprintf(c->exp_opened, sizeof c->exp_opened, "%s", r.out_dir);
		char *why = NULL;
		if (lv_exprun_open(c->exp, r.out_dir, &why) == LV_OK)
			lv_exprun_poll(c->exp,
			               e); /* its rows, then the controller's state over them */
		free(why);
	}
	e->state = r.state;
	snprintf(e->spec, sizeof e->spec, "%s", r.spec);
	e->done = r.done;
	e->total = r.total;
	e->pass = r.pass;
	e->passes = r.passes;
	e->elapsed_s = r.elapsed_s;
	snprintf(e->message, sizeof e->message, "%s", r.message);
	return 1;
}

void lv_console_attach_post(struct lv_console *c, const char *path, const char *body,
                            const char *what)
{
	lv_console_attach_request(c, "POST", path, body, what);
}

void lv_console_attach_request(struct lv_console *c, const char *method, const char *path,
                               const char *body, const char *what)
{
	if (c->site < 0) {
		lv_ui_flash(&c->ui, 1, "pick a site first (Enter in the Sites view)");
		return;
	}
	lv_remote_request(c->sites[c->site], method, path, body, what);
	lv_ui_flash(&c->ui, 0, "%s: sent to %s ...", what, lv_remote_url(c->sites[c->site]));
}
