/*
 * console_export: `:export csv|json FILE` — what the current view shows,
 * as data: the Log view's events (those its filter lets through), or the
 * devices of the Cluster view (every other view too: it is the table the
 * others refer to). Written atomically (a file is whole or not there) and
 * answered on the status line with what was written.
 *
 * Values are the snapshot's, in the units the names say (Hz, W, J), not
 * the screen's rounded text; a figure the device has not reported is empty
 * (CSV) or null (JSON).
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "model/cluster.h"
#include "base/file.h"
#include "base/util.h"
#include "hist.h"
#include "view.h"

/* Appends s as one CSV field (quoted when it holds a comma, quote or line break). */
static void csv_field(struct lv_buf *b, const char *s, int last)
{
	if (strpbrk(s, ",\"\r\n")) {
		lv_buf_append(b, "\"", 1);
		for (const char *p = s; *p; p++) {
			if (*p == '"')
				lv_buf_append(b, "\"\"", 2);
			else
				lv_buf_append(b, p, 1);
		}
		lv_buf_append(b, "\"", 1);
	} else {
		lv_buf_append(b, s, strlen(s));
	}
	lv_buf_append(b, last ? "\n" : ",", 1);
}

static void num(char *buf, size_t len, double v)
{
	if (isfinite(v))
		snprintf(buf, len, "%.10g", v);
	else
		buf[0] = '\0';
}

static void j_num(cJSON *o, const char *k, double v)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static const char *const dev_cols[] = { "name",    "kind",     "state",    "freq_hz",
	                                "power_w", "energy_j", "inflight", "last_batch",
	                                "fps",     "frames",   "late",     "last_error" };
#define N_DEV_COLS (sizeof(dev_cols) / sizeof(dev_cols[0]))

static size_t export_devices(const struct lv_snapshot *s, int json, struct lv_buf *b)
{
	cJSON *arr = json ? cJSON_CreateArray() : NULL;
	if (!json)
		for (size_t k = 0; k < N_DEV_COLS; k++)
			csv_field(b, dev_cols[k], k + 1 == N_DEV_COLS);
	for (size_t i = 0; s && i < s->n_devices; i++) {
		const struct lv_snap_device *d = &s->devices[i];
		uint64_t hz = lv_hist_clock_hz(d);
		double v[] = {
			hz ? (double)hz : NAN, (d->valid & LV_SNAP_HAS_POWER) ? d->power_w : NAN,
			d->energy_j,           d->inflight,
			d->last_batch,         d->fps,
			(double)d->frames,     (double)d->late
		};
		const char *st = lv_dev_state_name(d->state);
		if (json) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "name", d->name);
			cJSON_AddStringToObject(o, "kind", d->kind);
			cJSON_AddStringToObject(o, "state", st);
			for (size_t k = 0; k < 8; k++)
				j_num(o, dev_cols[3 + k], v[k]);
			cJSON_AddStringToObject(o, "last_error", d->last_error);
			cJSON_AddItemToArray(arr, o);
			continue;
		}
		char t[40];
		csv_field(b, d->name, 0);
		csv_field(b, d->kind, 0);
		csv_field(b, st, 0);
		for (size_t k = 0; k < 8; k++) {
			num(t, sizeof(t), v[k]);
			csv_field(b, t, 0);
		}
		csv_field(b, d->last_error, 1);
	}
	if (json) {
		char *txt = cJSON_Print(arr);
		lv_buf_append(b, txt, strlen(txt));
		lv_buf_append(b, "\n", 1);
		free(txt);
		cJSON_Delete(arr);
	}
	return s ? s->n_devices : 0;
}

static size_t export_log(const struct lv_ui *ui, int json, struct lv_buf *b)
{
	const char *f = ui->filter[ui->view];
	cJSON *arr = json ? cJSON_CreateArray() : NULL;
	size_t n = 0;
	if (!json)
		lv_buf_printf(b, "seq,time_s,level,source,text\n");
	for (size_t i = 0; i < ui->n_log; i++) {
		const struct lv_log_entry *e = &ui->log[i];
		if (!(lv_ui_match(f, e->text) || lv_ui_match(f, e->source) ||
		      lv_ui_match(f, lv_log_level_name(e->level))))
			continue;
		n++;
		if (json) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "seq", (double)e->seq);
			cJSON_AddNumberToObject(o, "time_s", e->time_s);
			cJSON_AddStringToObject(o, "level", lv_log_level_name(e->level));
			cJSON_AddStringToObject(o, "source", e->source);
			cJSON_AddStringToObject(o, "text", e->text);
			cJSON_AddItemToArray(arr, o);
			continue;
		}
		char t[40];
		lv_buf_printf(b, "%llu,", (unsigned long long)e->seq);
		num(t, sizeof(t), e->time_s);
		csv_field(b, t, 0);
		csv_field(b, lv_log_level_name(e->level), 0);
		csv_field(b, e->source, 0);
		csv_field(b, e->text, 1);
	}
	if (json) {
		char *txt = cJSON_Print(arr);
		lv_buf_append(b, txt, strlen(txt));
		lv_buf_append(b, "\n", 1);
		free(txt);
		cJSON_Delete(arr);
	}
	return n;
}

void lv_console_export(struct lv_console *c, const struct lv_cmd *cmd)
{
	struct lv_buf b = { 0 };
	char *why = NULL;
	int log = c->ui.view == lv_view_find("log");
	size_t n = log ? export_log(&c->ui, cmd->json, &b) : export_devices(c->snap, cmd->json, &b);
	const char *what = log ? "events" : "devices";
	if (lv_write_file_atomic(cmd->arg, b.p ? b.p : "", b.len, &why) != LV_OK) {
		lv_console_note(c, LV_LOG_WARN, "export to %s failed: %s", cmd->arg, why);
		lv_ui_flash(&c->ui, 1, "export not written: %s", why);
	} else {
		lv_console_note(c, LV_LOG_INFO, "exported %zu %s to %s (%s)", n, what, cmd->arg,
		                cmd->json ? "JSON" : "CSV");
		lv_ui_flash(&c->ui, 0, "wrote %zu %s to %s (%s)", n, what, cmd->arg,
		            cmd->json ? "JSON" : "CSV");
	}
	free(why);
	lv_buf_fini(&b);
}
