/*
 * console_prof: profiling a device from the console (`:profile DEVICE ...`,
 * P in the Device and Profile views). The device is drained first — the
 * scheduler sends it nothing new — and the sweep (profrun.h, `loudva
 * profile run` as a child) starts once its batches in flight are done; when
 * the sweep ends, however it ends, the device is marked up again and the
 * controller sets its clock afresh at the next dispatch.
 *
 * The sweep reaches the device through a cluster file: the one the console
 * runs on, or, on the embedded cluster, one written beside the emulated
 * agents (their loopback addresses and token) and removed afterwards.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/cluster.h"
#include "console.h"
#include "fmt.h"
#include "harness/launcher.h"
#include "profrun.h"
#include "base/file.h"
#include "base/util.h"
#include "view.h"

#define DEFAULT_REQUESTS 10

/* Batch sizes to sweep by default: all up to 8, then powers of two, and the max batch. */
static size_t default_batches(int max_batch, int *out)
{
	size_t n = 0;
	for (int b = 1; b <= max_batch && n < LV_CMD_SWEEP_BATCHES; b = b < 8 ? b + 1 : b * 2)
		out[n++] = b;
	if (n && out[n - 1] != max_batch && n < LV_CMD_SWEEP_BATCHES)
		out[n++] = max_batch;
	return n;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* The embedded cluster with its agents' addresses, for the sweep. Caller frees the path. */
static char *write_cluster(struct lv_console *c, char **why)
{
	const struct lv_cluster *cl = lv_live_cluster(c->rt.live);
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "name", cl->name ? cl->name : "embedded");
	cJSON_AddStringToObject(root, "profiles", ".");
	cJSON_AddStringToObject(root, "token_file", "token");
	cJSON *devs = cJSON_AddArrayToObject(root, "devices");
	for (size_t i = 0; i < cl->n_devices; i++) {
		const struct lv_device *d = &cl->devices[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", d->name);
		cJSON_AddStringToObject(o, "kind", lv_device_profile(cl, d)->kind);
		if (d->agent_url)
			cJSON_AddStringToObject(o, "agent", d->agent_url);
		if (d->triton_url)
			cJSON_AddStringToObject(o, "triton", d->triton_url);
		cJSON_AddItemToArray(devs, o);
	}
	char *text = cJSON_Print(root);
	cJSON_Delete(root);
	char *path = lv_path_join(lv_launcher_dir(c->rt.launcher), "profiling-cluster.json");
	int rc = lv_write_file_atomic(path, text, strlen(text), why);
	free(text);
	if (rc != LV_OK) {
		free(path);
		return NULL;
	}
	return path;
}

static void start(struct lv_console *c, const struct lv_cmd *cmd)
{
	const struct lv_cluster *cl = lv_live_cluster(c->rt.live);
	int i = lv_cluster_find(cl, cmd->device);
	if (i < 0) {
		lv_ui_flash(&c->ui, 1, "profile: no device %s", cmd->device);
		return;
	}
	const struct lv_device *d = &cl->devices[i];
	const struct lv_profile *p = lv_device_profile(cl, d);
	if (!d->agent_url || !d->triton_url) {
		lv_ui_flash(&c->ui, 1, "profile: %s has no agent or Triton address", d->name);
		return;
	}
	const struct lv_cmd_sweep *sw = &cmd->sweep;
	uint64_t freqs[LV_CMD_SWEEP_CLOCKS];
	size_t nf = 0;
	if (sw->n_clocks == 0) {
		for (size_t k = 0; k < p->n_freqs && nf < LV_CMD_SWEEP_CLOCKS; k++)
			freqs[nf++] = p->freqs_hz[k];
	} else {
		for (size_t k = 0; k < sw->n_clocks; k++) {
			if (lv_profile_freq_index(p, sw->clocks_hz[k]) < 0) {
				char mhz[24], lo[24], hi[24];
				lv_ui_flash(
				    &c->ui, 1,
				    "profile: %s MHz is not a clock of %s (%zu clocks, %s..%s "
				    "MHz; see its Device view)",
				    lv_fmt_mhz(mhz, sizeof(mhz), sw->clocks_hz[k]), d->name,
				    p->n_freqs, lv_fmt_mhz(lo, sizeof(lo), p->freqs_hz[0]),
				    lv_fmt_mhz(hi, sizeof(hi), p->freqs_hz[p->n_freqs - 1]));
				return;
			}
			freqs[nf++] = sw->clocks_hz[k];
		}
		qsort(freqs, nf, sizeof(freqs[0]), cmp_u64);
	}
	int batches[LV_CMD_SWEEP_BATCHES];
	size_t nb = sw->n_batches;
	if (nb)
		memcpy(batches, sw->batches, nb * sizeof(int));
	else
		nb = default_batches(p->max_batch, batches);
	char *why = NULL;
	long req = sw->requests ? sw->requests : DEFAULT_REQUESTS;
	int rc = lv_profrun_prepare(c->prof, d->name, p->kind, freqs, nf, batches, nb, req, &why);
	if (rc == LV_OK && lv_live_set_state(c->rt.live, d->name, LV_DEV_DRAINING, &why) != LV_OK) {
		lv_profrun_stop(c->prof); /* ours, prepared just now: it never starts */
		rc = LV_ESTATE;
	}
	if (rc != LV_OK) {
		lv_ui_flash(&c->ui, 1, "profile %s: %s", d->name, why ? why : "failed");
		free(why);
		return;
	}
	lv_console_note(c, LV_LOG_INFO,
	                "profiling %s: %zu clocks x %zu batch sizes, %ld requests a window; "
	                "draining it first",
	                d->name, nf, nb, req);
	lv_ui_flash(&c->ui, 0, "profiling %s: draining it, then sweeping %zu points", d->name,
	            nf * nb);
	snprintf(c->ui.device, sizeof(c->ui.device), "%s", d->name);
	lv_console_switch(c, lv_view_find("profile"));
}

void lv_console_profile(struct lv_console *c, const struct lv_cmd *cmd)
{
	if (!cmd->sweep.stop) {
		start(c, cmd);
		return;
	}
	enum lv_ui_prof_state s = lv_profrun_state(c->prof);
	if (s != LV_UI_PROF_WAITING && s != LV_UI_PROF_RUNNING) {
		lv_ui_flash(&c->ui, 1, "no profiling sweep is running");
		return;
	}
	lv_profrun_stop(c->prof);
	lv_console_note(c, LV_LOG_INFO, "profiling %s: stopping", c->ui.prof.device);
	lv_ui_flash(&c->ui, 0, "profiling %s: stopping", c->ui.prof.device);
}

/* Whether the device has no batch in flight, by the latest snapshot. */
static int idle(const struct lv_console *c, const char *device)
{
	int i = c->snap ? lv_ui_device_index(&c->ui, device) : -1;
	return i >= 0 && c->snap->devices[i].inflight == 0;
}

/* Removes the cluster file written for the sweep, if any. */
static void remove_cluster(struct lv_console *c)
{
	if (!c->prof_cluster)
		return;
	unlink(c->prof_cluster);
	free(c->prof_cluster);
	c->prof_cluster = NULL;
}

static void launch(struct lv_console *c)
{
	char *why = NULL;
	const char *cluster = c->rt.cluster_path, *token = c->opts.rt.token_file;
	if (c->rt.launcher) {
		/* The embedded agents: their addresses and token in a file of their own. */
		c->prof_cluster = write_cluster(c, &why);
		cluster = c->prof_cluster;
		token = NULL;
	}
	int rc = cluster ? lv_profrun_launch(c->prof, cluster, token, &why) : LV_EIO;
	if (rc == LV_OK) {
		lv_console_note(c, LV_LOG_INFO, "profiling %s: sweep started (loudva profile run)",
		                c->ui.prof.device);
	} else {
		lv_console_note(c, LV_LOG_WARN, "profiling %s: %s", c->ui.prof.device,
		                why ? why : "cannot start");
		lv_profrun_stop(c->prof); /* not again at every tick: it ends here */
	}
	free(why);
}

/* The sweep ended: the device goes back to the scheduler. */
static void ended(struct lv_console *c)
{
	struct lv_ui_profiling *p = &c->ui.prof;
	char *why = NULL;
	int rc = lv_live_set_state(c->rt.live, p->device, LV_DEV_UP, &why);
	int ok = p->state == LV_UI_PROF_DONE;
	lv_console_note(c, ok ? LV_LOG_INFO : LV_LOG_WARN, "profiling %s %s: %s%s%s", p->device,
	                ok ? "finished" : "ended", p->message,
	                rc == LV_OK ? "; device back in service" : "; could not mark it up: ",
	                rc == LV_OK ? "" : (why ? why : "?"));
	lv_ui_flash(&c->ui, !ok, "profiling %s %s", p->device, ok ? "finished" : "ended");
	free(why);
	remove_cluster(c);
}

void lv_console_profile_tick(struct lv_console *c)
{
	enum lv_ui_prof_state was = c->ui.prof.state;
	if (was == LV_UI_PROF_WAITING && idle(c, c->ui.prof.device))
		launch(c);
	lv_profrun_poll(c->prof, &c->ui.prof);
	enum lv_ui_prof_state now = c->ui.prof.state;
	int active_before = was == LV_UI_PROF_WAITING || was == LV_UI_PROF_RUNNING;
	int active_now = now == LV_UI_PROF_WAITING || now == LV_UI_PROF_RUNNING;
	if (active_before && !active_now)
		ended(c);
}

void lv_console_profile_fini(struct lv_console *c)
{
	lv_profrun_free(c->prof); /* the sweep releases the clock before it exits */
	c->prof = NULL;
	remove_cluster(c);
}
