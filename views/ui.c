/*
 * ui: the helpers the views share on struct lv_ui (see ui.h) — the status
 * flash, finding the selected device, the `/` filter match — and finding a
 * view in the list the registry hands them. Below the registry (view.c) and
 * every view: they all call in here, and nothing here names a view.
 */
#include "ui.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "view.h"

void lv_ui_flash(struct lv_ui *ui, int error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ui->status, sizeof(ui->status), fmt, ap);
	va_end(ap);
	ui->status_error = error;
	ui->status_until = ui->wall_s + (error ? 8.0 : 4.0);
}

int lv_ui_device_index(const struct lv_ui *ui, const char *name)
{
	if (!ui->snap || !name[0])
		return -1;
	for (size_t i = 0; i < ui->snap->n_devices; i++)
		if (!strcmp(ui->snap->devices[i].name, name))
			return (int)i;
	return -1;
}

int lv_ui_profiling(const struct lv_ui *ui, const char *name)
{
	return (ui->prof.state == LV_UI_PROF_WAITING || ui->prof.state == LV_UI_PROF_RUNNING) &&
	       !strcmp(ui->prof.device, name);
}

int lv_ui_match(const char *filter, const char *text)
{
	if (!filter || !filter[0])
		return 1;
	size_t n = strlen(filter);
	for (const char *p = text; *p; p++)
		if (!strncasecmp(p, filter, n))
			return 1;
	return 0;
}

int lv_view_list_find(const struct lv_view_list *l, const char *name)
{
	int hit = -1, n = 0;
	size_t len = strlen(name);
	for (size_t i = 0; i < l->n; i++) {
		if (!strcasecmp(l->ops[i]->name, name))
			return (int)i;
		if (len && !strncasecmp(l->ops[i]->name, name, len)) {
			hit = (int)i;
			n++;
		}
	}
	return n == 1 ? hit : -1;
}
