/*
 * cmd_console: `loudva` / `loudva console` — the interactive operations
 * console. It starts the same runtime as `loudva serve` (the embedded
 * emulated thesis cluster unless --cluster names one, the engine, the
 * front end) plus the synthetic camera workload, then runs the screen loop
 * (console_screen.c) until q, --duration or --iterations, and stops
 * everything in order: workload, frames answered, experiment child, front
 * end, agents, engine. The terminal is restored before the (slower)
 * shutdown, which reports on stderr. SIGINT, SIGTERM and SIGHUP (the
 * terminal closed) end the loop the same way, even during the start
 * (runtime.h holds them until everything is up); SIGPIPE is ignored; an
 * embedded agent that dies is restarted (lv_runtime_poll, from the feed).
 *
 * --duration and --iterations bound a run for sanitizers and valgrind;
 * the console then draws to whatever terminal it has and exits 0.
 */
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "commands.h"
#include "console.h"
#include "front/frontend.h"
#include "base/util.h"
#include "view.h"

/* --workload: on, even on a named cluster (field: the whole struct lv_console_opts). */
static int workload_opt(const struct lv_opt *opt, void *field, const char *value, char **why)
{
	struct lv_console_opts *o = field;
	(void)opt;
	(void)value;
	(void)why;
	o->wl.on = 1;
	o->workload_asked = 1;
	return LV_OK;
}

/* --attach URL, repeatable (field: the whole struct lv_console_opts). */
static int attach_opt(const struct lv_opt *opt, void *field, const char *value, char **why)
{
	struct lv_console_opts *o = field;
	(void)opt;
	if (o->n_attach == LV_CONSOLE_SITES_MAX)
		return lv_fail(why, LV_EINVAL, "--attach: at most %d controllers",
		               LV_CONSOLE_SITES_MAX);
	if (strncmp(value, "http://", 7) != 0 && strncmp(value, "https://", 8) != 0)
		return lv_fail(why, LV_EINVAL,
		               "--attach %s: not an http:// or https:// URL (the controller's "
		               "front end, e.g. http://127.0.0.1:5000)",
		               value);
	o->attach[o->n_attach++] = value;
	return LV_OK;
}

#define O(field) offsetof(struct lv_console_opts, field)
static const struct lv_opt console_opts[] = {
	{ .name = "attach",
	  .kind = LV_OPT_FN,
	  .set = attach_opt,
	  .arg = "URL",
	  .help = "watch and steer a running controller (loudva serve) through its control "
	          "API instead of starting one; repeat for several sites (the Sites view); "
	          "--token-file FILE holds the control token" },
	{ .name = "refresh",
	  .short_name = 'r',
	  .kind = LV_OPT_INT,
	  .offset = O(refresh_ms),
	  .arg = "MS",
	  .min = 50,
	  .max = 10000,
	  .what = "a number of ms in 50..10000",
	  .help = "redraw period, 50..10000 [500]" },
	{ .kind = LV_OPT_INCLUDE, .offset = O(duration_s), .rows = lv_cmd_duration_opts },
	{ .name = "iterations",
	  .kind = LV_OPT_LONG,
	  .offset = O(iterations),
	  .arg = "N",
	  .min = 1,
	  .max = INFINITY,
	  .what = "a positive whole number",
	  .help = "exit after N screen redraws" },
	{ .kind = LV_OPT_INCLUDE, .offset = O(rt), .rows = lv_runtime_opt_rows },
	{ .name = "listen",
	  .kind = LV_OPT_STR,
	  .offset = O(rt.listen),
	  .arg = "ADDR:PORT",
	  .help = "front end [" LV_FRONTEND_DEFAULT_LISTEN "]; none: off" },
	{ .name = "cameras",
	  .kind = LV_OPT_INT,
	  .offset = O(wl.cameras),
	  .arg = "N",
	  .min = 1,
	  .max = 1000,
	  .help = "synthetic cameras [6]" },
	{ .name = "seed",
	  .kind = LV_OPT_U64,
	  .offset = O(wl.seed),
	  .arg = "N",
	  .help = "their seed [1]" },
	{ .name = "no-workload",
	  .kind = LV_OPT_CLEAR,
	  .offset = O(wl.on),
	  .help = "start with the synthetic workload off (w toggles it)" },
	{ .name = "workload",
	  .kind = LV_OPT_FN,
	  .set = workload_opt,
	  .help = "start it on a --cluster too (off there by default)" },
	{ .name = "experiments",
	  .kind = LV_OPT_STR,
	  .offset = O(specs_dir),
	  .arg = "DIR",
	  .help = "experiment specs [experiments]" },
	{ .name = "results",
	  .kind = LV_OPT_STR,
	  .offset = O(results_dir),
	  .arg = "DIR",
	  .help = "experiment reports [results]" },
	{ .name = "plots",
	  .kind = LV_OPT_SET,
	  .offset = O(plots),
	  .help = "let experiments draw their figures (gnuplot)" },
	{ .name = "mono",
	  .kind = LV_OPT_SET,
	  .offset = O(mono),
	  .help = "no colours (NO_COLOR is honoured too)" },
	{ .name = "no-mouse",
	  .kind = LV_OPT_SET,
	  .offset = O(no_mouse),
	  .help = "leave the mouse to the terminal (clicks on tabs and rows are off)" },
	{ .name = "bell",
	  .kind = LV_OPT_SET,
	  .offset = O(bell),
	  .help = "ring the terminal's bell when a new warning or error alert appears" },
	{ .name = "ascii",
	  .kind = LV_OPT_SET,
	  .offset = O(ascii),
	  .help = "ASCII charts even under a UTF-8 locale" },
	{ 0 },
};
#undef O

static const struct lv_opt_spec console_spec = {
	.cmd = "console",
	.about = "The operations console: the live cluster dashboard, devices, the queue, live\n"
	         "policy switching and experiments from the keyboard; plain `loudva` opens it\n"
	         "too, and so do console options given first (loudva -r 250). Without --cluster\n"
	         "it starts the embedded thesis cluster (five emulated agents on loopback) with a\n"
	         "synthetic camera workload, and stops them on exit. Press ? for every key.\n"
	         "Theme, colours and key bindings: $XDG_CONFIG_HOME/loudva/console.conf\n"
	         "(~/.config/loudva/console.conf; see loudva(1) and the end of ?).",
	.opts = console_opts,
};

/* Everything but the screen: workload, experiment runner, view states. */
static int start(struct lv_console *c, char **why)
{
	/* A configuration file not applied: said on stderr already, and here where it is
	 * seen once the screen is up (the status line, then the Log view). */
	if (c->ui.config.error[0]) {
		lv_console_note(c, LV_LOG_WARN, "%s", c->ui.config.error);
		lv_ui_flash(&c->ui, 1, "%s", c->ui.config.error);
		c->ui.status_until = 15.0;
	}
	/* Never silently: a second console finds the port taken. Said on the status line
	 * at once, and kept in the alert strip (`!` shows it whole). */
	if (c->rt.frontend_error) {
		lv_console_note(c, LV_LOG_WARN, "front end not running: %s", c->rt.frontend_error);
		lv_ui_flash(&c->ui, 1,
		            "front end not running (no camera can reach this console): %s",
		            c->rt.frontend_error);
		c->ui.status_until = 15.0;
	}
	if (c->n_sites) /* attached: no workload, the cameras are the controller's */
		goto views;
	/* The workload is on by default on the embedded cluster; off on a real one until
	 * the operator says w. */
	if (c->opts.rt.cluster && !c->opts.workload_asked)
		c->opts.wl.on = 0;
	c->wl = lv_workload_start(c->rt.live, &c->opts.wl, why);
	if (!c->wl)
		return LV_EXIT_FAIL;
	lv_console_note(c, LV_LOG_INFO, "synthetic workload: %d cameras, %s", c->opts.wl.cameras,
	                c->opts.wl.on ? "on" : "off (w turns it on)");
views:;
	char *hwhy = NULL;
	if (lv_history_init(&c->history, lv_history_default_path(), &hwhy) != LV_OK)
		lv_console_note(c, LV_LOG_WARN, "command history not read: %s", hwhy);
	free(hwhy);
	char *self = lv_runtime_self_dir_file("loudva");
	struct lv_exprun_config ec = { self, c->opts.specs_dir, c->opts.results_dir,
		                       c->opts.plots };
	c->exp = lv_exprun_new(&ec);
	struct lv_profrun_config pc = { self, c->opts.results_dir };
	c->prof = lv_profrun_new(&pc);
	free(self);
	const struct lv_view_ops *const *reg = lv_view_registry();
	for (size_t i = 0; i < lv_view_count(); i++)
		c->states[i] = reg[i]->state_size ? lv_xcalloc(1, reg[i]->state_size) : NULL;
	return LV_EXIT_OK;
}

static void stop(struct lv_console *c)
{
	lv_console_profile_fini(c); /* first: the sweep releases the clock while agents run */
	lv_workload_stop(c->wl);
	if (c->rt.live)
		lv_live_shutdown(c->rt.live);
	lv_workload_free(c->wl);
	lv_exprun_free(c->exp);
	if (c->rt.live || c->n_sites)
		lv_console_feed_fini(c);
	lv_console_attach_stop(c); /* the controllers keep serving */
	lv_runtime_stop(&c->rt);
	for (size_t i = 0; i < LV_UI_MAX_VIEWS; i++)
		free(c->states[i]);
	lv_history_fini(&c->history);
}

static int utf8_locale(void)
{
	const char *cs = nl_langinfo(CODESET);
	return cs && (!strcasecmp(cs, "UTF-8") || !strcasecmp(cs, "utf8"));
}

int lv_cmd_console(int argc, char **argv)
{
	/* Caught from the very start: a Ctrl-C while the cluster is coming up is a clean stop
	 * (agents stopped, the temporary directory and its token removed), never a kill
	 * halfway through. Held until every thread has started (runtime.h). */
	lv_runtime_signals_hold();
	struct lv_console *c = lv_xcalloc(1, sizeof(*c));
	char *why = NULL;
	c->opts.refresh_ms = 500;
	c->opts.rt.mode = LV_COST_PRED;
	lv_workload_config_default(&c->opts.wl);
	int rc = lv_opts_parse(&console_spec, argc, argv, &c->opts);
	if (rc) {
		free(c);
		return rc == 1 ? LV_EXIT_OK : rc;
	}
	/* The screen is drawn on stdout: without a terminal there it would write escape
	 * codes into a file or pipe for ever. Refused before anything is started. */
	if (!isatty(STDOUT_FILENO)) {
		fprintf(stderr, "loudva console: standard output is not a terminal: the console "
		                "needs one (for a headless controller, run `loudva serve`)\n");
		free(c);
		return LV_EXIT_USAGE;
	}
	setlocale(LC_ALL, "");
	c->utf8 = !c->opts.ascii && utf8_locale();
	if (c->opts.n_attach &&
	    (c->opts.rt.cluster || c->opts.rt.listen || c->opts.rt.policy || c->opts.rt.db)) {
		fprintf(stderr, "loudva console: --attach watches running controllers: --cluster, "
		                "--listen, --policy and --db are for a console that runs its own "
		                "(use :policy, or the controller's own options)\n");
		free(c);
		return LV_EXIT_USAGE;
	}
	char *cfg = lv_console_config_path(), *cwhy = NULL;
	if (lv_console_config_load(c, cfg, &cwhy) != LV_OK) {
		fprintf(stderr, "loudva: %s\n", cwhy);
		snprintf(c->ui.config.error, sizeof(c->ui.config.error), "%s", cwhy);
	}
	free(cwhy);
	free(cfg);
	if (c->opts.n_attach) {
		fprintf(stderr, "loudva: attaching to %d controller%s ...\n", c->opts.n_attach,
		        c->opts.n_attach > 1 ? "s" : "");
		rc = lv_console_attach_start(c, &why);
	} else {
		fprintf(stderr, "loudva: starting the %s ...\n",
		        c->opts.rt.cluster ? "controller" : "embedded thesis cluster");
		rc = lv_runtime_start(&c->opts.rt, &c->rt, &why);
	}
	if (rc == LV_EXIT_OK) {
		c->t0 = lv_console_now();
		lv_console_feed_init(c);
		rc = start(c, &why);
	}
	lv_runtime_signals_release();
	if (rc != LV_EXIT_OK)
		goto out;
	/* A stop asked for during the start (a closed terminal) opens no screen. */
	if (!lv_runtime_stop_signal() && lv_console_screen(c, &why) != LV_OK)
		rc = LV_EXIT_FAIL;
	int sig = lv_runtime_stop_signal();
	fprintf(stderr, "loudva: %s%s%s ...\n", sig ? lv_runtime_signal_name(sig) : "",
	        sig ? ": " : "",
	        c->n_sites ? "detaching (the controllers keep serving)"
	                   : "stopping (answering every frame, stopping the agents)");
out:
	if (why)
		fprintf(stderr, "loudva console: %s\n", why);
	free(why);
	long frames = c->frames;
	stop(c);
	if (rc == LV_EXIT_OK)
		fprintf(stderr, "loudva: stopped after %ld screen redraws\n", frames);
	free(c);
	return rc;
}
