/*
 * console_act: carrying out what the operator asked — a request a view
 * filled in (ui->req) or a line typed in the command bar — against the
 * runtime (policy, clocks, device states), the workload, the experiment
 * runner and the views. This is the one place operator actions happen, so
 * each is logged here (source "console") and answered on the status line.
 *
 * The runtime's commands are thread-safe hand-offs to the engine thread;
 * they return as soon as the engine thread has taken them (it never waits
 * on the network), so the UI stays responsive.
 */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "console.h"
#include "fmt.h"
#include "base/clock.h"
#include "base/util.h"
#include "view.h"

int lv_console_work_in_flight(const struct lv_console *c, char *what, size_t len)
{
	const struct lv_snapshot *s = c->n_sites ? NULL : c->snap; /* attached: quitting stops
	                                                            nothing */
	uint64_t held =
	    s ? s->counts.by_state[LV_FRAME_QUEUED] + s->counts.by_state[LV_FRAME_INFLIGHT] : 0;
	int exp = c->ui.exp.state == LV_UI_EXP_RUNNING;
	int prof = c->ui.prof.state == LV_UI_PROF_WAITING || c->ui.prof.state == LV_UI_PROF_RUNNING;
	if (!held && !exp && !prof)
		return 0;
	snprintf(what, len, "%llu frames queued or in flight%s%s%s%s", (unsigned long long)held,
	         exp ? ", experiment " : "", exp ? c->ui.exp.spec : "", prof ? ", profiling " : "",
	         prof ? c->ui.prof.device : "");
	return 1;
}

/*
 * Flashes the outcome of a runtime call and logs a failure; frees why. The
 * format is what was done ("nano-00: clock pinned at 921.6 MHz"); a failure
 * says what could not be done instead (`failed`, "cannot pin nano-00 at
 * 921.6 MHz") and why, so a refusal never reads like a success.
 */
static void answer(struct lv_console *c, int rc, char *why, const char *failed, const char *fmt,
                   ...) __attribute__((format(printf, 5, 6)));
static void answer(struct lv_console *c, int rc, char *why, const char *failed, const char *fmt,
                   ...)
{
	char what[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (rc == LV_OK) {
		lv_ui_flash(&c->ui, 0, "%s", what); /* the controller logs what it did */
	} else {
		lv_console_note(c, LV_LOG_WARN, "%s: %s", failed, why ? why : "failed");
		lv_ui_flash(&c->ui, 1, "%s: %s", failed, why ? why : "failed");
	}
	free(why);
}

/* A JSON string literal for s (quotes included); caller frees. */
static char *json_str(const char *s)
{
	struct lv_buf b = { 0 };
	lv_buf_append(&b, "\"", 1);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			lv_buf_printf(&b, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			lv_buf_printf(&b, "\\u%04x", (unsigned)*s);
		else
			lv_buf_append(&b, s, 1);
	}
	lv_buf_append(&b, "\"", 1);
	return lv_buf_take(&b, NULL);
}

/* Attached: the policy switch as POST /control/policy. */
static void remote_policy(struct lv_console *c, const char *spec)
{
	char *q = json_str(spec), *body = lv_xasprintf("{\"policy\": %s}", q), what[300];
	snprintf(what, sizeof what, "policy %.200s", spec);
	lv_console_attach_post(c, "/control/policy", body, what);
	snprintf(c->policy_spec, sizeof(c->policy_spec), "%s", spec);
	free(body);
	free(q);
}

/* Attached: a device command as POST /control/devices/NAME/VERB. */
static void remote_device(struct lv_console *c, const char *device, const char *verb, uint64_t hz,
                          const char *what)
{
	if (strpbrk(device, "/?#% ")) {
		lv_ui_flash(&c->ui, 1, "%s: not a device name the control API takes", device);
		return;
	}
	char *path = lv_xasprintf("/control/devices/%s/%s", device, verb);
	char *body = hz ? lv_xasprintf("{\"freq_hz\": %llu}", (unsigned long long)hz) : NULL;
	lv_console_attach_post(c, path, body, what);
	free(body);
	free(path);
}

static void set_policy(struct lv_console *c, const char *spec)
{
	char *why = NULL;
	if (c->n_sites) {
		remote_policy(c, spec);
		return;
	}
	char failed[300];
	int rc = lv_live_set_policy(c->rt.live, spec, &why);
	if (rc == LV_OK)
		snprintf(c->policy_spec, sizeof(c->policy_spec), "%s", spec);
	snprintf(failed, sizeof(failed), "cannot switch the policy to %.200s", spec);
	answer(c, rc, why, failed, "policy %s (from the next decision)", spec);
}

static void device_cmd(struct lv_console *c, const struct lv_cmd *cmd)
{
	char *why = NULL, mhz[24], failed[160], note[96] = "", err[240];
	int rc, i = lv_ui_device_index(&c->ui, cmd->device);
	struct lv_ui_devinfo *di = i >= 0 && (size_t)i < c->n_devinfo ? &c->devinfo[i] : NULL;
	uint64_t hz = cmd->hz;
	switch (cmd->kind) {
	case LV_CMD_PIN:
		/* MHz as typed, to the device's nearest step (said when not exact). */
		if (cmd->arg[0] && di && di->n_freqs && /* views ask for a step: no text */
		    lv_cmd_clock_resolve(cmd->arg, di->freqs_hz, di->n_freqs, &hz, note,
		                         sizeof(note), err, sizeof(err)) != LV_OK) {
			snprintf(failed, sizeof(failed), "cannot pin %s", cmd->device);
			answer(c, LV_EINVAL, lv_xstrdup(err), failed, "%s", "");
			break;
		}
		lv_cmd_mhz(mhz, sizeof(mhz), hz);
		if (c->n_sites) {
			snprintf(failed, sizeof(failed), "%s: clock pinned at %s", cmd->device,
			         mhz);
			remote_device(c, cmd->device, "pin", hz, failed);
			if (di)
				di->pinned_hz = hz;
			break;
		}
		rc = lv_live_pin_clock(c->rt.live, cmd->device, hz, &why);
		if (rc == LV_OK && di)
			di->pinned_hz = hz;
		snprintf(failed, sizeof(failed), "cannot pin %s at %s", cmd->device, mhz);
		answer(c, rc, why, failed, "%s: clock pinned at %s%s%s%s", cmd->device, mhz,
		       note[0] ? " (" : "", note, note[0] ? ")" : "");
		break;
	case LV_CMD_RELEASE:
		if (c->n_sites) {
			snprintf(failed, sizeof(failed), "%s: clock released", cmd->device);
			remote_device(c, cmd->device, "release", 0, failed);
			if (di)
				di->pinned_hz = 0;
			break;
		}
		rc = lv_live_pin_clock(c->rt.live, cmd->device, 0, &why);
		if (rc == LV_OK && di)
			di->pinned_hz = 0;
		snprintf(failed, sizeof(failed), "cannot release %s's clock", cmd->device);
		answer(c, rc, why, failed, "%s: clock released", cmd->device);
		break;
	case LV_CMD_DRAIN:
		if (c->n_sites) {
			snprintf(failed, sizeof(failed), "%s: draining", cmd->device);
			remote_device(c, cmd->device, "drain", 0, failed);
			break;
		}
		rc = lv_live_set_state(c->rt.live, cmd->device, LV_DEV_DRAINING, &why);
		snprintf(failed, sizeof(failed), "cannot drain %s", cmd->device);
		answer(c, rc, why, failed, "%s: draining", cmd->device);
		break;
	default:
		if (c->n_sites) {
			snprintf(failed, sizeof(failed), "%s: marked up", cmd->device);
			remote_device(c, cmd->device, "up", 0, failed);
			break;
		}
		rc = lv_live_set_state(c->rt.live, cmd->device, LV_DEV_UP, &why);
		snprintf(failed, sizeof(failed), "cannot mark %s up", cmd->device);
		answer(c, rc, why, failed, "%s: marked up", cmd->device);
		break;
	}
}

/* The running policy as a spec: the one set from here, else the snapshot's name. */
static void running_policy(const struct lv_console *c, char *buf, size_t len)
{
	if (c->policy_spec[0]) {
		snprintf(buf, len, "%s", c->policy_spec);
		return;
	}
	const char *label = c->snap ? c->snap->policy : "loud";
	snprintf(buf, len, "%.*s", (int)strcspn(label, "(:"), label);
}

/*
 * Attached: the controller runs it (POST /control/experiment, a `loudva
 * --batch` child of its own) and stops it (DELETE); its progress comes back
 * in /status (lv_console_attach_experiment).
 */
static void attached_experiment(struct lv_console *c, const struct lv_cmd *cmd)
{
	char what[200];
	if (cmd->kind == LV_CMD_EXP_CANCEL) {
		snprintf(what, sizeof what, "experiment %s: stopping", c->ui.exp.spec);
		lv_console_attach_request(c, "DELETE", "/control/experiment", NULL, what);
		return;
	}
	if (!strcmp(cmd->arg, LV_CMD_EXP_FROM_CLUSTER)) {
		answer(c, LV_ESTATE,
		       lv_xstrdup("the control API runs a spec by name (:experiment NAME); one "
		                  "built from the cluster is made on the controller's host"),
		       "experiment " LV_CMD_EXP_FROM_CLUSTER " not started", "%s", "");
		return;
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "spec", cmd->arg);
	char *body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	snprintf(what, sizeof what, "experiment %.120s started on the controller", cmd->arg);
	lv_console_attach_post(c, "/control/experiment", body, what);
	free(body);
	if (c->site >= 0)
		lv_console_switch(c, lv_view_find("experiments"));
}

static void experiment(struct lv_console *c, const struct lv_cmd *cmd)
{
	char *why = NULL;
	int rc;
	if (c->n_sites && cmd->kind != LV_CMD_EXP_OPEN) {
		attached_experiment(c, cmd);
		return;
	}
	if (cmd->kind == LV_CMD_EXP_CANCEL) {
		lv_exprun_cancel(c->exp);
		lv_console_note(c, LV_LOG_INFO, "experiment %s: stopping", c->ui.exp.spec);
		answer(c, LV_OK, NULL, "", "experiment %s: stopping", c->ui.exp.spec);
		return;
	}
	if (cmd->kind == LV_CMD_EXP_OPEN) {
		rc = lv_exprun_open(c->exp, cmd->arg, &why);
		answer(c, rc, why, "cannot show the report", "showing %s", cmd->arg);
		lv_exprun_poll(c->exp, &c->ui.exp);
		return;
	}
	if (!strcmp(cmd->arg, LV_CMD_EXP_FROM_CLUSTER)) {
		char pol[256];
		running_policy(c, pol, sizeof(pol));
		rc = lv_exprun_start_built(c->exp, c->rt.cluster_path, pol,
		                           c->snap ? c->snap->mode : "pred", &why);
	} else {
		rc = lv_exprun_start(c->exp, cmd->arg, &why);
	}
	if (rc == LV_OK)
		lv_console_note(c, LV_LOG_INFO, "experiment %s started (loudva --batch, pid %d)",
		                cmd->arg, (int)lv_exprun_pid(c->exp));
	char failed[160];
	snprintf(failed, sizeof(failed), "experiment %.120s not started", cmd->arg);
	answer(c, rc, why, failed, "experiment %s started in the background (sim)", cmd->arg);
	lv_exprun_poll(c->exp, &c->ui.exp);
	if (rc == LV_OK)
		lv_console_switch(c, lv_view_find("experiments"));
}

void lv_console_request(struct lv_console *c, const struct lv_cmd *cmd)
{
	int v;
	switch (cmd->kind) {
	case LV_CMD_NONE: break;
	case LV_CMD_QUIT: c->quit = cmd->force ? 2 : 1; break;
	case LV_CMD_VIEW:
		v = lv_view_find(cmd->view);
		if (cmd->device[0])
			snprintf(c->ui.device, sizeof(c->ui.device), "%s", cmd->device);
		lv_console_switch(c, v);
		break;
	case LV_CMD_HELP: lv_console_switch(c, lv_view_help_index()); break;
	case LV_CMD_POLICY: set_policy(c, cmd->arg); break;
	case LV_CMD_PIN:
	case LV_CMD_RELEASE:
	case LV_CMD_DRAIN:
	case LV_CMD_UP: device_cmd(c, cmd); break;
	case LV_CMD_EXPERIMENT:
	case LV_CMD_EXP_OPEN:
	case LV_CMD_EXP_CANCEL: experiment(c, cmd); break;
	case LV_CMD_PROFILE:
		if (c->n_sites) {
			lv_ui_flash(
			    &c->ui, 1,
			    "cannot profile over the control API: run `loudva profile run` on "
			    "the controller's host");
			break;
		}
		lv_console_profile(c, cmd);
		break;
	case LV_CMD_SITE: lv_console_attach_show(c, cmd->on); break;
	case LV_CMD_EXPORT: lv_console_export(c, cmd); break;
	case LV_CMD_WORKLOAD:
		if (!c->wl) {
			lv_ui_flash(&c->ui, 1,
			            c->n_sites ? "no synthetic workload when attached: the cameras "
			                         "are the controller's"
			                       : "no workload in this console");
			break;
		}
		v = cmd->on < 0 ? !lv_workload_on(c->wl) : cmd->on;
		lv_workload_set(c->wl, v);
		lv_console_note(c, LV_LOG_INFO, "synthetic workload %s", v ? "on" : "off");
		answer(c, LV_OK, NULL, "", "synthetic workload %s", v ? "on" : "off");
		break;
	case LV_CMD_REFRESH:
		c->opts.refresh_ms = (int)cmd->ms;
		answer(c, LV_OK, NULL, "", "refresh every %ld ms", cmd->ms);
		break;
	}
}

void lv_console_command_line(struct lv_console *c, const char *line)
{
	struct lv_cmd_words w;
	struct lv_cmd cmd;
	char why[200];
	lv_console_words(c, &w);
	if (lv_cmd_parse(line, &w, &cmd, why, sizeof(why)) != LV_OK) {
		lv_ui_flash(&c->ui, 1, "%s", why);
		return;
	}
	lv_console_request(c, &cmd);
}
