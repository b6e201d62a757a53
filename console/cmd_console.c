/*
 * cmd_console: `loudva` / `loudva console` — the interactive operations
 * console. It starts the same runtime as `loudva serve` (the embedded
 * emulated thesis cluster unless --cluster names one, the engine, the
 * front end) plus the synthetic camera workload, then runs the screen loop
 * (console_screen.c) until q, --duration or --iterations, and stops
 * everything in order: workload, frames answered, experiment child, front
 * end, agents, engine. The terminal is restored before the (slower)
 * shutdown, which reports on stderr.
 *
 * --duration and --iterations bound a run for sanitizers and valgrind;
 * the console then draws to whatever terminal it has and exits 0.
 */
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "console.h"
#include "front/frontend.h"
#include "base/util.h"
#include "view.h"

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: loudva [console] [options]\n"
	        "\n"
	        "The operations console: the live cluster dashboard, devices, the queue, live\n"
	        "policy switching and experiments from the keyboard. Without --cluster it\n"
	        "starts the embedded thesis cluster (five emulated agents on loopback) with a\n"
	        "synthetic camera workload, and stops them on exit. Press ? for every key.\n"
	        "\n"
	        "  -r, --refresh MS       redraw period, 50..10000 [500]\n"
	        "  --duration S           exit after S seconds\n"
	        "  --iterations N         exit after N frames drawn\n"
	        "  --cluster FILE         a real cluster (agents + Triton at its URLs)\n"
	        "  --policy NAME[:k=v,..] scheduling policy at start [loud]\n"
	        "  --mode pred|fill|prof  cost tables [pred]\n"
	        "  --listen ADDR:PORT     front end [" LV_FRONTEND_DEFAULT_LISTEN "]; none: off\n"
	        "  --cameras N            synthetic cameras [6]\n"
	        "  --seed N               their seed [1]\n"
	        "  --no-workload          start with the synthetic workload off (w toggles it)\n"
	        "  --workload             start it on a --cluster too (off there by default)\n"
	        "  --experiments DIR      experiment specs [experiments]\n"
	        "  --results DIR          experiment reports [results]\n"
	        "  --plots                let experiments draw their figures (gnuplot)\n"
	        "  --db FILE              record frames, batches and telemetry (SQLite)\n"
	        "  --mono                 no colours (NO_COLOR is honoured too)\n"
	        "  --ascii                ASCII charts even under a UTF-8 locale\n"
	        "  --agent PATH           loudva-agent for the embedded cluster [beside loudva]\n"
	        "  --predictor FILE       predictor cache [" LV_DEFAULT_PREDICTOR_CACHE "]\n"
	        "  --token-file FILE      agents' bearer token [the cluster's \"token_file\"]\n"
	        "  --keep-logs            keep the embedded agents' logs\n");
}

static int flag(const char *a, struct lv_console_opts *o)
{
	if (!strcmp(a, "--no-workload"))
		o->wl.on = 0;
	else if (!strcmp(a, "--workload"))
		o->wl.on = 1, o->workload_asked = 1;
	else if (!strcmp(a, "--mono"))
		o->mono = 1;
	else if (!strcmp(a, "--ascii"))
		o->ascii = 1;
	else if (!strcmp(a, "--plots"))
		o->plots = 1;
	else if (!strcmp(a, "--keep-logs"))
		o->rt.keep_logs = 1;
	else
		return 0;
	return 1;
}

static int number(const char *a, const char *v, struct lv_console_opts *o)
{
	long n;
	double d;
	if (!strcmp(a, "-r") || !strcmp(a, "--refresh")) {
		if (lv_parse_long(v, &n) != LV_OK || n < 50 || n > 10000)
			return lv_cmd_bad("console", "%s: '%s' is not a number of ms in 50..10000",
			                  a, v);
		o->refresh_ms = (int)n;
	} else if (!strcmp(a, "--duration")) {
		if (lv_parse_double(v, &d) != LV_OK || !(d > 0) || !isfinite(d))
			return lv_cmd_bad(
			    "console", "--duration: '%s' is not a positive number of seconds", v);
		o->duration_s = d;
	} else if (!strcmp(a, "--iterations")) {
		if (lv_parse_long(v, &n) != LV_OK || n < 1)
			return lv_cmd_bad("console",
			                  "--iterations: '%s' is not a positive whole number", v);
		o->iterations = n;
	} else if (!strcmp(a, "--cameras")) {
		if (lv_parse_long(v, &n) != LV_OK || n < 1 || n > 1000)
			return lv_cmd_bad("console",
			                  "--cameras: '%s' is not a whole number in 1..1000", v);
		o->wl.cameras = (int)n;
	} else if (!strcmp(a, "--seed")) {
		unsigned long long s;
		if (lv_parse_u64(v, &s) != LV_OK)
			return lv_cmd_bad("console", "--seed: '%s' is not a whole number", v);
		o->wl.seed = s;
	} else if (!strcmp(a, "--mode")) {
		if (lv_cost_mode_parse(v, &o->rt.mode) != LV_OK)
			return lv_cmd_bad("console", "--mode: '%s' is not pred, fill or prof", v);
	} else {
		return -1;
	}
	return 0;
}

static int parse(int argc, char **argv, struct lv_console_opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 1;
		}
		if (flag(a, o))
			continue;
		if (i + 1 >= argc)
			return lv_cmd_bad("console", "%s: needs a value (see --help)", a);
		const char *v = argv[++i];
		int rc = number(a, v, o);
		if (rc > 0)
			return rc;
		if (rc == 0)
			continue;
		if (!strcmp(a, "--cluster"))
			o->rt.cluster = v;
		else if (!strcmp(a, "--policy"))
			o->rt.policy = v;
		else if (!strcmp(a, "--listen"))
			o->rt.listen = v;
		else if (!strcmp(a, "--experiments"))
			o->specs_dir = v;
		else if (!strcmp(a, "--results"))
			o->results_dir = v;
		else if (!strcmp(a, "--db"))
			o->rt.db = v;
		else if (!strcmp(a, "--agent"))
			o->rt.agent = v;
		else if (!strcmp(a, "--predictor"))
			o->rt.predictor = v;
		else if (!strcmp(a, "--token-file"))
			o->rt.token_file = v;
		else
			return lv_cmd_bad("console", "unknown option '%s' (see --help)", a);
	}
	return 0;
}

/* Everything but the screen: workload, experiment runner, view states. */
static int start(struct lv_console *c, char **why)
{
	if (c->rt.frontend_error)
		lv_console_note(
		    c, LV_LOG_WARN, "front end not running: %s",
		    c->rt.frontend_error); /* On by default on the embedded cluster; off on a real
		                              one until the operator says w. */
	if (c->opts.rt.cluster && !c->opts.workload_asked)
		c->opts.wl.on = 0;
	c->wl = lv_workload_start(c->rt.live, &c->opts.wl, why);
	if (!c->wl)
		return LV_EXIT_FAIL;
	lv_console_note(c, LV_LOG_INFO, "synthetic workload: %d cameras, %s", c->opts.wl.cameras,
	                c->opts.wl.on ? "on" : "off (w turns it on)");
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
	if (c->rt.live)
		lv_console_feed_fini(c);
	lv_runtime_stop(&c->rt);
	for (size_t i = 0; i < LV_UI_MAX_VIEWS; i++)
		free(c->states[i]);
}

static int utf8_locale(void)
{
	const char *cs = nl_langinfo(CODESET);
	return cs && (!strcasecmp(cs, "UTF-8") || !strcasecmp(cs, "utf8"));
}

int lv_cmd_console(int argc, char **argv)
{
	struct lv_console *c = lv_xcalloc(1, sizeof(*c));
	char *why = NULL;
	c->opts.refresh_ms = 500;
	c->opts.rt.mode = LV_COST_PRED;
	lv_workload_config_default(&c->opts.wl);
	int rc = parse(argc, argv, &c->opts);
	if (rc) {
		free(c);
		return rc == 1 ? LV_EXIT_OK : rc;
	}
	setlocale(LC_ALL, "");
	c->utf8 = !c->opts.ascii && utf8_locale();
	fprintf(stderr, "loudva: starting the %s ...\n",
	        c->opts.rt.cluster ? "controller" : "embedded thesis cluster");
	rc = lv_runtime_start(&c->opts.rt, &c->rt, &why);
	if (rc != LV_EXIT_OK)
		goto out;
	c->t0 = lv_console_now();
	lv_console_feed_init(c);
	rc = start(c, &why);
	if (rc == LV_EXIT_OK && lv_console_screen(c, &why) != LV_OK)
		rc = LV_EXIT_FAIL;
	fprintf(stderr, "loudva: stopping (answering every frame, stopping the agents) ...\n");
out:
	if (why)
		fprintf(stderr, "loudva console: %s\n", why);
	free(why);
	long frames = c->frames;
	stop(c);
	if (rc == LV_EXIT_OK)
		fprintf(stderr, "loudva: stopped after %ld frames drawn\n", frames);
	free(c);
	return rc;
}
