/*
 * view_policies: the registered policies (core/policy.h's registry) with
 * their parameters, the running one marked; pick one, edit its
 * parameters with validation against the parameter table (bounds, whole
 * numbers), and switch the running policy to it. The switch is a request
 * (`:policy name:k=v,...`) the console hands to the runtime; it takes
 * effect at the next decision and shows in the header once the
 * controller's snapshot says so.
 *
 * State: the selected policy, the focus (list or parameters), the
 * selected parameter, the values being edited per policy (the running
 * policy's running values — from the spec it was set with — the others'
 * defaults, until changed) and the edit field while one is open.
 */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "fmt.h"
#include "base/util.h"
#include "view.h"

#define MAX_POLICIES 32

struct policies_state {
	int sel;   /* policy */
	int focus; /* 0 list, 1 parameters */
	int param; /* selected parameter */
	int init[MAX_POLICIES];
	double vals[MAX_POLICIES][LV_POLICY_MAX_PARAMS];
	int editing;
	struct lv_line edit;
	char error[160];
	char seen_spec[256]; /* ui->policy_spec the values were last taken from */
};

static size_t n_policies(void)
{
	size_t n = 0;
	for (const struct lv_policy_ops *const *p = lv_policy_registry(); *p && n < MAX_POLICIES;
	     p++)
		n++;
	return n;
}

static const struct lv_policy_ops *policy_at(int i)
{
	return lv_policy_registry()[i];
}

static double *values(struct policies_state *st, int i)
{
	const struct lv_policy_ops *ops = policy_at(i);
	if (!st->init[i]) {
		for (size_t k = 0; k < ops->n_params && k < LV_POLICY_MAX_PARAMS; k++)
			st->vals[i][k] = ops->params[k].def;
		st->init[i] = 1;
	}
	return st->vals[i];
}

/*
 * When the running policy's spec changes (here or with :policy), its
 * parameters are taken from it: the defaults overridden by its k=v pairs
 * (the runtime has validated them). The policy shown is the one running,
 * with what it runs with, so `s` after one edit keeps the rest.
 */
static void take_running(const struct lv_ui *ui, struct policies_state *st)
{
	const char *spec = ui->policy_spec ? ui->policy_spec : "";
	if (!spec[0] || !strcmp(spec, st->seen_spec))
		return;
	snprintf(st->seen_spec, sizeof(st->seen_spec), "%s", spec);
	size_t nl = strcspn(spec, ":");
	int i = -1;
	for (size_t k = 0; k < n_policies(); k++)
		if (strlen(policy_at((int)k)->name) == nl &&
		    !strncmp(policy_at((int)k)->name, spec, nl))
			i = (int)k;
	if (i < 0)
		return;
	const struct lv_policy_ops *ops = policy_at(i);
	st->sel = i; /* the running one is where the view opens */
	st->init[i] = 0;
	double *v = values(st, i);
	if (!spec[nl])
		return;
	char buf[256], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", spec + nl + 1);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		double x;
		if (!eq)
			continue;
		*eq = '\0';
		for (size_t k = 0; k < ops->n_params && k < LV_POLICY_MAX_PARAMS; k++)
			if (!strcmp(ops->params[k].name, t) && lv_parse_double(eq + 1, &x) == LV_OK)
				v[k] = x;
	}
}

/* The running policy's registry name: the snapshot's label up to '(' or ':'. */
static int running(const struct lv_ui *ui, const char *name)
{
	if (!ui->snap)
		return 0;
	size_t n = strcspn(ui->snap->policy, "(:");
	return strlen(name) == n && !strncmp(ui->snap->policy, name, n);
}

static void layout(const struct lv_rect *body, const struct lv_ui *ui, struct lv_view_layout *out)
{
	(void)ui;
	lv_layout_split(body, 26, &out->u.split);
}

static void list(struct lv_ui *ui, struct policies_state *st, const struct lv_rect *r)
{
	int y = r->y + lv_draw_title(r, "policies", NULL);
	int n = (int)n_policies();
	for (int i = 0; i < n && y < r->y + r->h; i++, y++) {
		const struct lv_policy_ops *ops = policy_at(i);
		int sel = i == st->sel;
		enum lv_color c =
		    sel ? (st->focus == 0 ? LV_COLOR_SELECTED : LV_COLOR_ACCENT) : LV_COLOR_NORMAL;
		if (sel && st->focus == 0)
			lv_draw_band(y, r->x, r->w, LV_COLOR_SELECTED);
		lv_draw_textf(y, r->x, r->w, c, "%s %s", running(ui, ops->name) ? "*" : " ",
		              ops->name);
	}
	if (y + 1 < r->y + r->h)
		lv_draw_text(y + 1, r->x, r->w, LV_COLOR_DIM, "* running");
}

static void param_row(const struct lv_param_spec *p, double v, int y, const struct lv_rect *r,
                      int sel, const struct policies_state *st)
{
	char val[LV_LINE_MAX + 2], lim[64];
	if (sel && st->editing)
		snprintf(val, sizeof(val), "%s_", st->edit.buf);
	else
		snprintf(val, sizeof(val), "%.15g", v);
	snprintf(lim, sizeof(lim), "%g..%g%s%s", p->min, p->max, p->unit[0] ? " " : "", p->unit);
	enum lv_color c = sel ? LV_COLOR_SELECTED : LV_COLOR_NORMAL;
	if (sel)
		lv_draw_band(y, r->x, r->w, c);
	lv_draw_field(y, r->x, 14, 0, c, p->name);
	lv_draw_field(y, r->x + 15, 12, 1, sel && st->editing ? LV_COLOR_PROMPT : c, val);
	lv_draw_field(y, r->x + 28, 18, 0, sel ? c : LV_COLOR_DIM, lim);
	lv_draw_text(y, r->x + 47, r->w - 47, sel ? c : LV_COLOR_DIM, p->help);
}

static void detail(struct lv_ui *ui, struct policies_state *st, const struct lv_rect *r)
{
	const struct lv_policy_ops *ops = policy_at(st->sel);
	double *v = values(st, st->sel);
	int y = r->y + lv_draw_title(r, ops->name, running(ui, ops->name) ? "(running)" : NULL);
	const char *starts[4];
	int lens[4];
	int nl = lv_draw_wrap(ops->summary ? ops->summary : "", r->w, 4, starts, lens);
	for (int i = 0; i < nl && y < r->y + r->h; i++) /* wrapped: never cut at 80 columns */
		lv_draw_textf(y++, r->x, r->w, LV_COLOR_NORMAL, "%.*s", lens[i], starts[i]);
	if (y < r->y + r->h && (ops->caps & LV_POLICY_SETS_CLOCKS))
		lv_draw_text(y++, r->x, r->w, LV_COLOR_DIM, "sets GPU clocks itself");
	y++;
	if (ops->n_params == 0 && y < r->y + r->h)
		lv_draw_text(y++, r->x, r->w, LV_COLOR_DIM, "no parameters");
	if (ops->n_params && y < r->y + r->h) {
		lv_draw_band(y, r->x, r->w, LV_COLOR_HEADER);
		lv_draw_field(y, r->x, 14, 0, LV_COLOR_HEADER, "PARAMETER");
		lv_draw_field(y, r->x + 15, 12, 1, LV_COLOR_HEADER, "VALUE");
		lv_draw_field(y, r->x + 28, 18, 0, LV_COLOR_HEADER, "RANGE");
		lv_draw_text(y++, r->x + 47, r->w - 47, LV_COLOR_HEADER, "MEANING");
	}
	for (size_t k = 0; k < ops->n_params && y < r->y + r->h; k++, y++)
		param_row(&ops->params[k], v[k], y, r, st->focus == 1 && (int)k == st->param, st);
	y++;
	if (st->error[0] && y < r->y + r->h)
		lv_draw_text(y++, r->x, r->w, LV_COLOR_DOWN, st->error);
	if (y < r->y + r->h)
		lv_draw_text(y, r->x, r->w, LV_COLOR_DIM,
		             st->focus ? "Up/Down parameter  Enter edit  s switch  D defaults  "
		                         "Left back to the list"
		                       : "Up/Down policy  Right parameters  Enter/s switch to it");
}

static void draw(struct lv_ui *ui, void *state, const struct lv_view_layout *lay)
{
	struct policies_state *st = state;
	int n = (int)n_policies();
	if (n == 0)
		return;
	st->sel = st->sel < 0 ? 0 : st->sel >= n ? n - 1 : st->sel;
	take_running(ui, st);
	list(ui, st, &lay->u.split.list);
	detail(ui, st, &lay->u.split.detail);
}

/* ---- keys ------------------------------------------------------------------ */

/* Builds "name:k=v,..." with the parameters that differ from their defaults. */
static void spec_of(struct policies_state *st, int i, char *buf, size_t len)
{
	const struct lv_policy_ops *ops = policy_at(i);
	const double *v = values(st, i);
	size_t used = (size_t)snprintf(buf, len, "%s", ops->name);
	int first = 1;
	for (size_t k = 0; k < ops->n_params && used < len; k++) {
		if (v[k] == ops->params[k].def)
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s=%.15g", first ? ":" : ",",
		                         ops->params[k].name, v[k]);
		first = 0;
	}
}

static unsigned k_switch(struct lv_ui *ui, void *state, int key)
{
	struct policies_state *st = state;
	if (key != 's' && st->focus == 1) {
		/* Enter on a parameter edits it. */
		const struct lv_policy_ops *ops = policy_at(st->sel);
		if ((size_t)st->param >= ops->n_params)
			return 0;
		char buf[48];
		snprintf(buf, sizeof(buf), "%.15g", values(st, st->sel)[st->param]);
		lv_line_set(&st->edit, buf);
		st->editing = 1;
		st->error[0] = '\0';
		return LV_REACT_REDRAW;
	}
	memset(&ui->req, 0, sizeof(ui->req));
	ui->req.kind = LV_CMD_POLICY;
	spec_of(st, st->sel, ui->req.arg, sizeof(ui->req.arg));
	return LV_REACT_REQUEST;
}

static unsigned k_move(struct lv_ui *ui, void *state, int key)
{
	(void)ui;
	struct policies_state *st = state;
	int up = key == KEY_UP || key == 'k';
	if (st->focus == 0) {
		int n = (int)n_policies();
		st->sel = (st->sel + (up ? n - 1 : 1)) % n;
		st->param = 0;
		st->error[0] = '\0';
	} else {
		int n = (int)policy_at(st->sel)->n_params;
		if (n)
			st->param = (st->param + (up ? n - 1 : 1)) % n;
	}
	return LV_REACT_REDRAW;
}

static unsigned k_focus(struct lv_ui *ui, void *state, int key)
{
	(void)ui;
	struct policies_state *st = state;
	st->focus = key == KEY_RIGHT ? policy_at(st->sel)->n_params > 0 : 0;
	return LV_REACT_REDRAW;
}

static unsigned k_defaults(struct lv_ui *ui, void *state, int key)
{
	(void)ui, (void)key;
	struct policies_state *st = state;
	st->init[st->sel] = 0;
	st->error[0] = '\0';
	return LV_REACT_REDRAW;
}

/* Checks and stores the edited value; 0 or LV_EINVAL with st->error. */
static int commit(struct policies_state *st)
{
	const struct lv_param_spec *p = &policy_at(st->sel)->params[st->param];
	double v;
	if (lv_parse_double(st->edit.buf, &v) != LV_OK) {
		snprintf(st->error, sizeof(st->error), "%s: '%.40s' is not a number", p->name,
		         st->edit.buf);
		return LV_EINVAL;
	}
	if (v < p->min || v > p->max || (p->integer && v != floor(v))) {
		snprintf(st->error, sizeof(st->error), "%s: %g is not a%s value in %g..%g", p->name,
		         v, p->integer ? " whole" : "", p->min, p->max);
		return LV_EINVAL;
	}
	values(st, st->sel)[st->param] = v;
	st->error[0] = '\0';
	return LV_OK;
}

/* While a value is being edited, every key goes to the edit field. */
static unsigned edit_key(struct lv_ui *ui, void *state, int key)
{
	(void)ui;
	struct policies_state *st = state;
	if (!st->editing)
		return 0;
	if (key == 27) {
		st->editing = 0;
		st->error[0] = '\0';
	} else if (key == '\n' || key == '\r' || key == KEY_ENTER) {
		if (commit(st) == LV_OK)
			st->editing = 0;
	} else if (key == KEY_BACKSPACE || key == 127 || key == 8) {
		lv_line_edit(&st->edit, LV_EDIT_BACKSPACE, 0);
	} else if (key == KEY_LEFT || key == KEY_RIGHT) {
		lv_line_edit(&st->edit, key == KEY_LEFT ? LV_EDIT_LEFT : LV_EDIT_RIGHT, 0);
	} else if (key == 21) {
		lv_line_edit(&st->edit, LV_EDIT_KILL, 0);
	} else if (key >= 0x20 && key < 0x7f) {
		lv_line_edit(&st->edit, LV_EDIT_INSERT, key);
	}
	return LV_REACT_HANDLED | LV_REACT_REDRAW;
}

static const struct lv_key_binding keys[] = {
	{ KEY_UP, "Up/Down", "select a policy (or a parameter)", k_move },
	{ KEY_DOWN, NULL, NULL, k_move },
	{ 'k', NULL, NULL, k_move },
	{ 'j', NULL, NULL, k_move },
	{ KEY_RIGHT, "Right/Left", "to the parameters / back to the list", k_focus },
	{ KEY_LEFT, NULL, NULL, k_focus },
	{ '\n', "Enter", "switch to the policy (on a parameter: edit it; Esc cancels)", k_switch },
	{ '\r', NULL, NULL, k_switch },
	{ KEY_ENTER, NULL, NULL, k_switch },
	{ 's', "s", "switch the running policy to this one, with these parameters", k_switch },
	{ 'D', "D", "reset this policy's parameters to their defaults", k_defaults },
};

const struct lv_view_ops lv_view_policies = {
	.name = "policies",
	.title = "Policies",
	.hotkey = '4',
	.state_size = sizeof(struct policies_state),
	.layout = layout,
	.draw = draw,
	.keys = keys,
	.n_keys = sizeof(keys) / sizeof(keys[0]),
	.key = edit_key,
};
