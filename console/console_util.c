/*
 * console_util: the small helpers every console file shares — the
 * console's clock, a note in the event log, moving between views, and the
 * words the command bar completes. They sit below console_act.c,
 * console_feed.c and console_prof.c, which call them and each other only
 * downwards (act -> prof -> util, feed -> prof -> util), so no two of those
 * files reach each other through their symbols.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "console.h"
#include "base/clock.h"
#include "base/util.h"
#include "view.h"

double lv_console_now(void)
{
	return lv_mono_s();
}

void lv_console_note(struct lv_console *c, int level, const char *fmt, ...)
{
	char text[LV_LOG_TEXT_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	double t = c->snap ? c->snap->now_s : 0; /* the controller's clock, as its events carry */
	lv_eventlog_add(c->log, t, (enum lv_log_level)level, "console", "%s", text);
}

void lv_console_switch(struct lv_console *c, int view)
{
	if (view < 0 || view == c->ui.view)
		return;
	if (c->n_back == LV_CONSOLE_BACK_MAX) {
		memmove(c->back, c->back + 1, (LV_CONSOLE_BACK_MAX - 1) * sizeof(int));
		c->n_back--;
	}
	c->back[c->n_back++] = c->ui.view;
	if (view == lv_view_help_index() && c->ui.view != view)
		c->ui.help_for = c->ui.view;
	c->ui.view = view;
	c->ui.shown++;
}

void lv_console_back(struct lv_console *c)
{
	if (c->n_back > 0)
		c->ui.view = c->back[--c->n_back];
	else
		c->ui.view = 0;
	c->ui.shown++;
}

void lv_console_words(struct lv_console *c, struct lv_cmd_words *w)
{
	memset(w, 0, sizeof(*w));
	w->views = c->view_names;
	w->n_views = lv_view_count();
	w->policies = c->policy_names;
	w->n_policies = c->n_policy_names;
	w->devices = c->device_names;
	w->n_devices = c->n_device_names;
	w->experiments = c->spec_words;
	w->n_experiments = c->n_spec_words;
	w->device_freqs = c->device_freqs;
	w->device_n_freqs = c->device_n_freqs;
}
