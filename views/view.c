/*
 * view: the registry of views, key resolution and the keys every view
 * shares (see view.h). The views see the registry only through ui->views
 * (struct lv_view_list, ui.h), set here before each draw and key, so no
 * view names this file; the helpers they share on struct lv_ui are ui.c.
 *
 * Key order: a view's optional key slot first (so an edit field can take
 * every key while it is open), then its binding table, then the global
 * table below. A view can therefore rebind a global key (Esc closes an
 * editor before it means "back"), and Help lists exactly what resolves.
 */
#include "view.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "alerts.h"

static const struct lv_view_ops *const registry[] = {
	&lv_view_cluster, &lv_view_device, &lv_view_queue, &lv_view_policies, &lv_view_experiments,
	&lv_view_profile, &lv_view_log,    &lv_view_help,  &lv_view_sites,    NULL,
};

#define N_VIEWS (sizeof(registry) / sizeof(registry[0]) - 1)
_Static_assert(N_VIEWS <= LV_UI_MAX_VIEWS, "LV_UI_MAX_VIEWS too small");

const struct lv_view_ops *const *lv_view_registry(void)
{
	return registry;
}

size_t lv_view_count(void)
{
	return N_VIEWS;
}

static unsigned from_table(const struct lv_key_binding *t, size_t n, struct lv_ui *ui, void *state,
                           int key)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].key == key)
			return t[i].fn(ui, state, key) | LV_REACT_HANDLED;
	return 0;
}

/* ---- global keys ----------------------------------------------------------- */

static unsigned switch_to(struct lv_ui *ui, int view)
{
	if (view < 0 || view == ui->view)
		return LV_REACT_HANDLED;
	ui->next_view = view;
	return LV_REACT_SWITCH;
}

static unsigned g_quit(struct lv_ui *ui, void *st, int key)
{
	(void)ui, (void)st, (void)key;
	return LV_REACT_QUIT;
}

static unsigned g_command(struct lv_ui *ui, void *st, int key)
{
	(void)st, (void)key;
	ui->prompt_init_kind = ':';
	ui->prompt_init[0] = '\0';
	return LV_REACT_PROMPT;
}

/* `/` opens an empty filter bar (typing replaces the filter; Enter on nothing clears it). */
static unsigned g_filter(struct lv_ui *ui, void *st, int key)
{
	(void)st, (void)key;
	if (!registry[ui->view]->filterable) {
		lv_ui_flash(ui, 1,
		            "the %s view has no filter: / filters the Cluster, Queue and "
		            "Log views",
		            registry[ui->view]->title);
		return LV_REACT_REDRAW;
	}
	ui->prompt_init_kind = '/';
	ui->prompt_init[0] = '\0';
	return LV_REACT_PROMPT;
}

static unsigned g_next(struct lv_ui *ui, void *st, int key)
{
	(void)st;
	int n = (int)N_VIEWS - 1; /* Tab cycles the views, not Help */
	int v = ui->view >= n ? 0 : ui->view;
	return switch_to(ui, key == KEY_BTAB ? (v + n - 1) % n : (v + 1) % n);
}

static unsigned g_number(struct lv_ui *ui, void *st, int key)
{
	(void)st;
	for (size_t i = 0; i < N_VIEWS; i++)
		if (registry[i]->hotkey == key)
			return switch_to(ui, (int)i);
	return 0;
}

static unsigned g_help(struct lv_ui *ui, void *st, int key)
{
	(void)st, (void)key;
	int h = lv_view_help_index();
	if (ui->view != h)
		ui->help_for = ui->view;
	return switch_to(ui, h);
}

/* Esc: clears the view's filter when one is on, else goes back. */
static unsigned g_back(struct lv_ui *ui, void *st, int key)
{
	(void)st, (void)key;
	if (ui->filter[ui->view][0]) {
		ui->filter[ui->view][0] = '\0';
		return LV_REACT_REDRAW;
	}
	return LV_REACT_BACK;
}

static unsigned g_named(struct lv_ui *ui, void *st, int key)
{
	(void)st;
	return switch_to(ui, lv_view_find(key == 'p'   ? "policies"
	                                  : key == 'e' ? "experiments"
	                                               : "log"));
}

static unsigned g_workload(struct lv_ui *ui, void *st, int key)
{
	(void)st, (void)key;
	memset(&ui->req, 0, sizeof(ui->req));
	ui->req.kind = LV_CMD_WORKLOAD;
	ui->req.on = -1;
	return LV_REACT_REQUEST;
}

static unsigned g_redraw(struct lv_ui *ui, void *st, int key)
{
	(void)ui, (void)st, (void)key;
	clearok(curscr, TRUE);
	return LV_REACT_REDRAW;
}

/* `!`: every alert whole, on the status line (wrapped upwards when long). */
static unsigned g_alerts(struct lv_ui *ui, void *st, int key)
{
	(void)st, (void)key;
	struct lv_alert a[LV_ALERT_MAX];
	size_t n = lv_alerts(ui, a, LV_ALERT_MAX);
	if (n == 0) {
		lv_ui_flash(ui, 0, "no alerts");
		return LV_REACT_REDRAW;
	}
	char text[sizeof(ui->status)] = "";
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(text);
		snprintf(text + len, sizeof(text) - len, "%s%zu. %s", i ? "  " : "", i + 1,
		         a[i].full);
	}
	lv_ui_flash(ui, a[0].level > LV_ALERT_INFO, "%s", text);
	ui->status_until = ui->wall_s + 15.0;
	return LV_REACT_REDRAW;
}

static const struct lv_key_binding global_keys[] = {
	{ '1', "1-9", "show view 1 (Cluster) .. 8 (Help), 9 (Sites: the controllers attached)",
	  g_number },
	{ '2', NULL, NULL, g_number },
	{ '3', NULL, NULL, g_number },
	{ '4', NULL, NULL, g_number },
	{ '5', NULL, NULL, g_number },
	{ '6', NULL, NULL, g_number },
	{ '7', NULL, NULL, g_number },
	{ '8', NULL, NULL, g_number },
	{ '9', NULL, NULL, g_number },
	{ '\t', "Tab", "next view (Shift-Tab: previous)", g_next },
	{ KEY_BTAB, NULL, NULL, g_next },
	{ 27, "Esc", "clear the filter, else back to the previous view", g_back },
	{ ':', ":", "command bar (Tab completes; :help lists commands)", g_command },
	{ '/', "/", "filter this view's rows (Esc or an empty filter clears it)", g_filter },
	{ 'p', "p", "policies", g_named },
	{ 'e', "e", "experiments", g_named },
	{ 'l', "l", "log", g_named },
	{ 'w', "w", "synthetic camera workload on/off", g_workload },
	{ '!', "!", "every alert of the strip (top right) whole: errors, devices down, ...",
	  g_alerts },
	{ '?', "?", "help: every key of the current view", g_help },
	{ 12, "^L", "redraw the screen", g_redraw },
	{ 'q', "q", "quit (asks once if work is in flight)", g_quit },
};

#define N_GLOBAL_KEYS (sizeof(global_keys) / sizeof(global_keys[0]))

/* What the views see of the registry: ui->views. */
static const struct lv_view_list view_list = {
	.ops = registry,
	.n = N_VIEWS,
	.global_keys = global_keys,
	.n_global_keys = N_GLOBAL_KEYS,
};

int lv_view_find(const char *name)
{
	return lv_view_list_find(&view_list, name);
}

int lv_view_help_index(void)
{
	return lv_view_find("help");
}

unsigned lv_view_global_key(struct lv_ui *ui, int key)
{
	ui->views = &view_list;
	return from_table(global_keys, N_GLOBAL_KEYS, ui, NULL, key);
}

void lv_view_draw(const struct lv_view_ops *ops, struct lv_ui *ui, void *state,
                  const struct lv_rect *body)
{
	struct lv_view_layout lay;
	memset(&lay, 0, sizeof(lay));
	ui->views = &view_list;
	ops->layout(body, ui, &lay);
	ops->draw(ui, state, &lay);
}

unsigned lv_view_key(const struct lv_view_ops *ops, struct lv_ui *ui, void *state, int key)
{
	ui->views = &view_list;
	if (ops->key) {
		unsigned r = ops->key(ui, state, key);
		if (r & LV_REACT_HANDLED)
			return r;
	}
	return from_table(ops->keys, ops->n_keys, ui, state, key);
}
