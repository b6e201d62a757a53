/*
 * view_device: one device in depth (Enter on a Cluster row, or `:view
 * device NAME`). Its facts, charts over time of power, clock, batch size
 * and latency against budget (from the console's per-device history,
 * hist.h), its last batches (clock, batch, expected against actual
 * latency, energy), its telemetry, and the operator's actions on it: pin
 * a clock (step with + and -, or type one with c), release it, drain,
 * mark up, profile it (P: the Profile view).
 *
 * Which device: ui->device, shared with the Cluster view, so Esc returns
 * to the same row. Actions are requests (ui->req) carried out by the
 * console; the pinned clock shown is the one this console set.
 */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "fmt.h"
#include "view.h"

static void layout(const struct lv_rect *body, const struct lv_ui *ui, struct lv_view_layout *out)
{
	(void)ui;
	lv_layout_device(body, &out->u.device);
}

static void info(const struct lv_ui *ui, int i, const struct lv_rect *r)
{
	const struct lv_snap_device *d = &ui->snap->devices[i];
	const struct lv_ui_devinfo *di = ui->devinfo ? &ui->devinfo[i] : NULL;
	char a[32], b[32], c[32], e[32], pin[48] = "";
	if (r->h < 1)
		return;
	int prof = lv_ui_profiling(ui, d->name) && d->state != LV_DEV_DOWN;
	enum lv_color sc = prof                          ? LV_COLOR_ACCENT
	                   : d->state == LV_DEV_DOWN     ? LV_COLOR_DOWN
	                   : d->state == LV_DEV_DRAINING ? LV_COLOR_WARN
	                   : d->inflight > 0             ? LV_COLOR_BUSY
	                                                 : LV_COLOR_OK;
	const char *sw = prof                          ? "profiling (6 shows the sweep)"
	                 : d->state == LV_DEV_DOWN     ? "down"
	                 : d->state == LV_DEV_DRAINING ? "draining"
	                 : d->inflight > 0             ? "busy"
	                                               : "up";
	if (di && di->pinned_hz)
		snprintf(pin, sizeof(pin), " (pinned %s)", lv_fmt_mhz(e, sizeof(e), di->pinned_hz));
	int x = r->x + lv_draw_text(r->y, r->x, r->w, LV_COLOR_ACCENT, d->name);
	x += lv_draw_textf(r->y, x, r->x + r->w - x, LV_COLOR_DIM, " (%s)  ", d->kind);
	x += lv_draw_text(r->y, x, r->x + r->w - x, sc, sw);
	int has_p = (d->valid & LV_SNAP_HAS_POWER) != 0;
	lv_draw_textf(r->y, x, r->x + r->w - x, LV_COLOR_NORMAL,
	              "  clock %s MHz%s  power %s  energy %s",
	              lv_fmt_mhz(a, sizeof(a), lv_hist_clock_hz(d)), pin,
	              lv_fmt_watts(b, sizeof(b), has_p ? d->power_w : NAN),
	              lv_fmt_joules(c, sizeof(c), d->energy_j));
	if (r->h < 2)
		return;
	char late[16], fps[16], via[48] = "";
	/* The full words when they fit, else short ones (80 columns), the error last: long
	 * errors are whole on `!` (the alert strip). */
	char line[400];
	for (int full = 1; full >= 0; full--) {
		if (!strcmp(d->transport, "shm"))
			snprintf(via, sizeof(via),
			         full ? "  tensors: shm %.1f MB" : "  shm %.1f MB",
			         (double)d->shm_bytes / 1048576.0);
		else if (d->transport[0])
			snprintf(via, sizeof(via), full ? "  tensors: HTTP body" : "  HTTP");
		snprintf(line, sizeof(line),
		         full ? "batches %llu  frames %llu  late %llu (%s)  in flight %d  %s "
		                "frames/s%s%s%s"
		              : "batches %llu frames %llu late %llu (%s) infl %d %s f/s%s%s%s",
		         (unsigned long long)d->batches, (unsigned long long)d->frames,
		         (unsigned long long)d->late,
		         lv_fmt_pct(late, sizeof(late),
		                    d->frames ? 100.0 * (double)d->late / (double)d->frames : NAN),
		         d->inflight, lv_fmt_rate(fps, sizeof(fps), d->fps), via,
		         d->last_error[0] ? "  last error: " : "", d->last_error);
		if ((int)strlen(line) <= r->w)
			break;
	}
	lv_draw_text(r->y + 1, r->x, r->w, d->last_error[0] ? LV_COLOR_DOWN : LV_COLOR_DIM, line);
}

static char *fmt_w(char *buf, size_t len, double x)
{
	return lv_fmt_watts(buf, len, x);
}

static char *fmt_mhz(char *buf, size_t len, double x)
{
	if (isnan(x))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.0f MHz", x);
	return buf;
}

static char *fmt_batch(char *buf, size_t len, double x)
{
	if (isnan(x))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.0f", x);
	return buf;
}

static char *fmt_share(char *buf, size_t len, double x)
{
	return lv_fmt_pct(buf, len, x);
}

static void charts(const struct lv_ui *ui, int i, const struct lv_view_layout *lay)
{
	const struct lv_device_layout *l = &lay->u.device;
	const struct lv_snap_device *d = &ui->snap->devices[i];
	static double v[LV_HIST_LEN], budget[LV_HIST_LEN];
	size_t n = lv_hist_series(&ui->hist, (size_t)i, LV_HIST_POWER_W, v, LV_HIST_LEN);
	lv_draw_chart(&l->charts[0], "power", v, n, 0, LV_COLOR_POWER, LV_COLOR_POWER, fmt_w);
	n = lv_hist_series(&ui->hist, (size_t)i, LV_HIST_CLOCK_MHZ, v, LV_HIST_LEN);
	lv_draw_chart(&l->charts[1], "GPU clock", v, n, (double)d->max_freq_hz / 1e6,
	              LV_COLOR_CLOCK, LV_COLOR_CLOCK, fmt_mhz);
	n = lv_hist_series(&ui->hist, (size_t)i, LV_HIST_BATCH, v, LV_HIST_LEN);
	lv_draw_chart(&l->charts[2], "batch size", v, n, 0, LV_COLOR_FPS, LV_COLOR_FPS, fmt_batch);
	/* Latency against budget: each second's last batch, its least-slack frame's latency as
	 * a share of that frame's budget. The top is 100%: a full bar just made it, anything
	 * above is late and drawn as a warning. */
	n = lv_hist_series(&ui->hist, (size_t)i, LV_HIST_LATENCY_S, v, LV_HIST_LEN);
	lv_hist_series(&ui->hist, (size_t)i, LV_HIST_BUDGET_S, budget, n);
	for (size_t k = 0; k < n; k++)
		v[k] = budget[k] > 0 ? 100.0 * v[k] / budget[k] : NAN;
	lv_draw_chart(&l->charts[3], "latency / budget", v, n, 100, LV_COLOR_OK, LV_COLOR_WARN,
	              fmt_share);
}

static void batches(const struct lv_ui *ui, int i, const struct lv_rect *r)
{
	const struct lv_snap_device *d = &ui->snap->devices[i];
	static const char *const titles[] = { "AGO",    "MHz", "BATCH",  "EXPECT", "ACTUAL",
		                              "ENERGY", "E2E", "BUDGET", "LATE" };
	static const int w[] = { 6, 5, 5, 7, 7, 8, 7, 7, 4 };
	const int n_cols = 9;
	if (r->h < 2)
		return;
	lv_draw_title(r, "last batches", "(energy: cost table estimate)");
	lv_draw_band(r->y + 1, r->x, r->w, LV_COLOR_HEADER);
	for (int c = 0, x = r->x; c < n_cols && x + w[c] <= r->x + r->w; x += w[c] + 1, c++)
		lv_draw_field(r->y + 1, x, w[c], c > 0, LV_COLOR_HEADER, titles[c]);
	if (d->n_recent == 0 && r->h > 2)
		lv_draw_text(r->y + 2, r->x, r->w, LV_COLOR_DIM, "no batch has finished here yet");
	for (size_t k = 0; k < d->n_recent && (int)k + 2 < r->h; k++) {
		const struct lv_snap_batch *b = &d->recent[k];
		char f[9][24];
		lv_fmt_duration(f[0], sizeof(f[0]), ui->snap->now_s - b->done_s);
		lv_fmt_mhz(f[1], sizeof(f[1]), b->freq_hz);
		snprintf(f[2], sizeof(f[2]), "%d", b->batch);
		lv_fmt_latency(f[3], sizeof(f[3]), b->expected_s);
		lv_fmt_latency(f[4], sizeof(f[4]), b->latency_s);
		lv_fmt_joules(f[5], sizeof(f[5]), b->energy_j);
		lv_fmt_latency(f[6], sizeof(f[6]), b->e2e_s);
		lv_fmt_latency(f[7], sizeof(f[7]), b->budget_s);
		snprintf(f[8], sizeof(f[8]), b->failed ? "fail" : "%d", b->late);
		int slow = !isnan(b->expected_s) && b->latency_s > 1.2 * b->expected_s;
		for (int c = 0, x = r->x; c < n_cols && x + w[c] <= r->x + r->w;
		     x += w[c] + 1, c++) {
			enum lv_color col = LV_COLOR_NORMAL;
			if ((c == 8 && (b->late || b->failed)) || (c == 4 && slow))
				col = b->failed ? LV_COLOR_DOWN : LV_COLOR_WARN;
			lv_draw_field(r->y + 2 + (int)k, x, w[c], c > 0, col, f[c]);
		}
	}
}

/*
 * A real board's power mode under the clock: "power mode MODE_30W (GPU cap
 * 612 MHz)", shorter when the panel is narrow, or "power mode unknown";
 * nothing in emulation. Then, while a clock asked above the cap is held to
 * it, "held 1300 -> 612 MHz by the cap". Returns the next row.
 */
static int pmode_lines(const struct lv_snap_device *d, const struct lv_rect *r, int y, int last)
{
	const struct lv_snap_pmode *m = &d->pmode;
	char a[32], b[32], line[96];
	if (y >= last || m->state == LV_SNAP_PMODE_NONE)
		return y;
	if (m->state == LV_SNAP_PMODE_UNKNOWN) {
		lv_draw_text(y++, r->x, r->w, LV_COLOR_NORMAL, "power mode unknown");
		return y;
	}
	const char *name = m->name[0] ? m->name : "?";
	if (!m->gpu_max_hz)
		snprintf(line, sizeof(line), "power mode %s (no GPU cap)", name);
	else if (snprintf(line, sizeof(line), "power mode %s (GPU cap %s MHz)", name,
	                  lv_fmt_mhz(a, sizeof(a), m->gpu_max_hz)) > r->w)
		snprintf(line, sizeof(line), "mode %s, cap %s MHz", name, a);
	lv_draw_text(y++, r->x, r->w, LV_COLOR_NORMAL, line);
	if (y < last && m->gpu_max_hz && d->clamp_asked_hz > m->gpu_max_hz && d->clamp_hz)
		lv_draw_textf(y++, r->x, r->w, LV_COLOR_WARN, "held %s -> %s MHz by the cap",
		              lv_fmt_mhz(a, sizeof(a), d->clamp_asked_hz),
		              lv_fmt_mhz(b, sizeof(b), d->clamp_hz));
	return y;
}

static void rails(const struct lv_ui *ui, int i, const struct lv_rect *r)
{
	const struct lv_snap_device *d = &ui->snap->devices[i];
	const struct lv_ui_devinfo *di = ui->devinfo ? &ui->devinfo[i] : NULL;
	char a[32], b[32];
	if (r->h < 1 || r->w < 10)
		return;
	int y = r->y + lv_draw_title(r, "telemetry", NULL);
	int last = r->y + r->h;
	if (y < last)
		lv_draw_textf(
		    y++, r->x, r->w, LV_COLOR_NORMAL, "power %s  energy %s",
		    lv_fmt_watts(a, sizeof(a), (d->valid & LV_SNAP_HAS_POWER) ? d->power_w : NAN),
		    lv_fmt_joules(b, sizeof(b), d->energy_j));
	if (y < last && d->n_rails > 0) {
		/* "rails GPU 0.31 W  CPU 2.33 W ...", cut at the panel's width */
		char line[256];
		size_t n = (size_t)snprintf(line, sizeof(line), "rails");
		for (size_t k = 0; k < d->n_rails && n < sizeof(line); k++)
			n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s %s", k ? "  " : " ",
			                      d->rails[k].name,
			                      lv_fmt_watts(a, sizeof(a), d->rails[k].power_w));
		lv_draw_text(y++, r->x, r->w, LV_COLOR_NORMAL, line);
	}
	snprintf(a, sizeof(a), "-");
	snprintf(b, sizeof(b), "-");
	if (d->valid & LV_SNAP_HAS_LOAD)
		lv_fmt_pct(a, sizeof(a), d->load_pct);
	if (d->valid & LV_SNAP_HAS_TEMP)
		snprintf(b, sizeof(b), "%.1f C", d->temp_c);
	if (y < last)
		lv_draw_textf(y++, r->x, r->w, LV_COLOR_NORMAL, "GPU load %s  temp %s", a, b);
	if (y < last && (d->valid & (LV_SNAP_HAS_EMC | LV_SNAP_HAS_RAM | LV_SNAP_HAS_CPU))) {
		/* a real board's tegrastats only: "memory 2133 MHz  RAM 17.8/61.4 GiB  CPU 12%" */
		char m[40] = "-", ram[48] = "-", cpu[32] = "-";
		if (d->valid & LV_SNAP_HAS_EMC)
			snprintf(m, sizeof(m), "%s MHz", lv_fmt_mhz(a, sizeof(a), d->emc_freq_hz));
		if (d->valid & LV_SNAP_HAS_RAM)
			snprintf(ram, sizeof(ram), "%.1f/%.1f GiB",
			         (double)d->ram_used_bytes / 1073741824.0,
			         (double)d->ram_total_bytes / 1073741824.0);
		if (d->valid & LV_SNAP_HAS_CPU)
			lv_fmt_pct(cpu, sizeof(cpu), d->cpu_load_pct);
		lv_draw_textf(y++, r->x, r->w, LV_COLOR_NORMAL, "memory %s  RAM %s  CPU %s", m, ram,
		              cpu);
	}
	if (y < last) {
		int x = r->x + lv_draw_textf(y, r->x, r->w, LV_COLOR_NORMAL, "clock %s MHz ",
		                             lv_fmt_mhz(a, sizeof(a), lv_hist_clock_hz(d)));
		double frac =
		    d->max_freq_hz ? (double)lv_hist_clock_hz(d) / (double)d->max_freq_hz : 0;
		int bw = r->x + r->w - x;
		lv_draw_bar(y++, x, bw > 24 ? 24 : bw, frac,
		            LV_COLOR_CLOCK); /* a gauge, not a ruler */
	}
	y = pmode_lines(d, r, y, last);
	if (y < last && di && di->n_freqs)
		lv_draw_textf(y++, r->x, r->w, LV_COLOR_DIM, "clocks %s..%s MHz, %zu steps",
		              lv_fmt_mhz(a, sizeof(a), di->freqs_hz[0]),
		              lv_fmt_mhz(b, sizeof(b), di->freqs_hz[di->n_freqs - 1]), di->n_freqs);
	if (y < last)
		lv_draw_text(y++, r->x, r->w, LV_COLOR_DIM,
		             "+/- c pin  r release  d drain  u up  P profile");
}

static void draw(struct lv_ui *ui, void *state, const struct lv_view_layout *lay)
{
	(void)state;
	const struct lv_device_layout *l = &lay->u.device;
	int i = lv_ui_device_index(ui, ui->device);
	if (i < 0) {
		lv_draw_text(l->info.y, l->info.x, l->info.w, LV_COLOR_DIM,
		             ui->snap ? "no device selected: pick one in the Cluster view (1) "
		                        "or type :view device NAME"
		                      : "waiting for the controller's first snapshot ...");
		return;
	}
	info(ui, i, &l->info);
	charts(ui, i, lay);
	batches(ui, i, &l->batches);
	rails(ui, i, &l->rails);
}

/* ---- keys ------------------------------------------------------------------ */

static unsigned request(struct lv_ui *ui, enum lv_cmd_kind kind, uint64_t hz)
{
	memset(&ui->req, 0, sizeof(ui->req));
	ui->req.kind = kind;
	ui->req.hz = hz;
	snprintf(ui->req.device, sizeof(ui->req.device), "%s", ui->device);
	return LV_REACT_REQUEST;
}

/* + / -: pin the next clock up or down from the pinned one (else the current one). */
static unsigned k_step(struct lv_ui *ui, void *state, int key)
{
	(void)state;
	int i = lv_ui_device_index(ui, ui->device);
	if (i < 0 || !ui->devinfo || ui->devinfo[i].n_freqs == 0)
		return 0;
	const struct lv_ui_devinfo *di = &ui->devinfo[i];
	uint64_t from = di->pinned_hz ? di->pinned_hz : ui->snap->devices[i].freq_hz;
	size_t k = 0;
	while (k + 1 < di->n_freqs && di->freqs_hz[k] < from)
		k++;
	if (key == '+' || key == '=')
		k = di->freqs_hz[k] > from || k + 1 >= di->n_freqs ? k : k + 1;
	else
		k = k > 0 ? k - 1 : 0;
	return request(ui, LV_CMD_PIN, di->freqs_hz[k]);
}

/* Opens the command bar with "VERB <this device> " typed in. */
static unsigned prompt_for_device(struct lv_ui *ui, const char *verb)
{
	if (lv_ui_device_index(ui, ui->device) < 0)
		return 0;
	ui->prompt_init_kind = ':';
	snprintf(ui->prompt_init, sizeof(ui->prompt_init), "%s %s ", verb, ui->device);
	return LV_REACT_PROMPT;
}

static unsigned k_type(struct lv_ui *ui, void *state, int key)
{
	(void)state, (void)key;
	return prompt_for_device(ui, "pin");
}

/* P: profile this device (the command bar, filled in, to adjust the grid). */
static unsigned k_profile(struct lv_ui *ui, void *state, int key)
{
	(void)state, (void)key;
	return prompt_for_device(ui, "profile");
}

static unsigned k_action(struct lv_ui *ui, void *state, int key)
{
	(void)state;
	if (lv_ui_device_index(ui, ui->device) < 0)
		return 0;
	return request(ui, key == 'r' ? LV_CMD_RELEASE : key == 'd' ? LV_CMD_DRAIN : LV_CMD_UP, 0);
}

static unsigned k_cycle(struct lv_ui *ui, void *state, int key)
{
	(void)state;
	int i = lv_ui_device_index(ui, ui->device);
	if (!ui->snap || ui->snap->n_devices == 0)
		return 0;
	int n = (int)ui->snap->n_devices;
	i = i < 0 ? 0 : (i + (key == ']' || key == KEY_RIGHT ? 1 : n - 1)) % n;
	snprintf(ui->device, sizeof(ui->device), "%s", ui->snap->devices[i].name);
	return LV_REACT_REDRAW;
}

static const struct lv_key_binding keys[] = {
	{ '+', "+/-", "pin the next higher / lower clock", k_step },
	{ '=', NULL, NULL, k_step },
	{ '-', NULL, NULL, k_step },
	{ 'c', "c", "type a clock to pin (:pin DEVICE CLOCK)", k_type },
	{ 'r', "r", "release the pinned clock", k_action },
	{ 'd', "d", "drain: finish in-flight work, take no new batches", k_action },
	{ 'u', "u", "mark up", k_action },
	{ 'P', "P", "profile this device over clock x batch (:profile DEVICE ...)", k_profile },
	{ ']', "] / [", "next / previous device (also Right / Left)", k_cycle },
	{ '[', NULL, NULL, k_cycle },
	{ KEY_RIGHT, NULL, NULL, k_cycle },
	{ KEY_LEFT, NULL, NULL, k_cycle },
};

const struct lv_view_ops lv_view_device = {
	.name = "device",
	.title = "Device",
	.hotkey = '2',
	.state_size = 0,
	.layout = layout,
	.draw = draw,
	.keys = keys,
	.n_keys = sizeof(keys) / sizeof(keys[0]),
};
