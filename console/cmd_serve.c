/*
 * cmd_serve: `loudva serve` — the live controller, headless. With
 * --cluster it drives the agents and Triton servers that cluster file
 * names; without (or with --emulate), it starts that cluster — by default
 * the thesis's — as one emulated loudva-agent per device on loopback
 * (launcher.h) and stops it on exit.
 * The front end (POST /inference, GET /status, /metrics, /healthz) listens
 * on --listen.
 *
 * It starts and stops through runtime.h, as the console does, and runs
 * until --duration has passed, or SIGINT, SIGTERM or SIGHUP (the handler
 * only records it; all three are the orderly stop, see runtime.h; an
 * embedded agent that dies meanwhile is restarted). Then, in this order:
 * every frame still held is answered, the front end stops, the agents
 * stop (lv_runtime_shutdown), the run's summary is printed — as the
 * simulator's figures, with the same keys in JSON, so a live run and
 * `loudva sim --until WINDOW` of the same trace can be compared line by
 * line — and the store is flushed (lv_runtime_stop).
 *
 * --config FILE reads settings from a file first (serve_config.h), as
 * loudva-controller.service does from /etc/loudva/controller.conf; under
 * systemd the controller reports READY=1 once up and STOPPING=1 when it
 * begins to stop, and its log lines carry journald priorities (service.h).
 *
 * --info FILE is written once everything is up: the front end's address and
 * the embedded agents (name, pid, port, command line, token file), for
 * scripts and tests.
 *
 * With --db the store's record is finished after the agents stop (rows
 * whose writes failed are retried for a while: lv_live_finish_record), and
 * the summary says whether it is complete; a run that served every frame
 * but could not record all of it exits EXIT_INCOMPLETE, so a script can
 * tell "the controller failed" (1) from "the database misses rows" (3).
 */
#include "commands.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exp/experiment.h"
#include "model/cluster.h"
#include "front/frontend.h"
#include "harness/launcher.h"
#include "live/live.h"
#include "sched/metrics.h"
#include "model/model_config.h"
#include "base/file.h"
#include "base/util.h"
#include "runtime.h"
#include "serve_config.h"
#include "serve_exp.h"
#include "service.h"

#define DEFAULT_MODEL_CONFIG LV_DEFAULT_MODEL_CONFIG

/* Served, but the --db record misses rows (the summary says which). */
enum { EXIT_INCOMPLETE = 3 };

static const char serve_epilog[] =
    "Exit status: 0 all went well; 1 the controller failed; 2 bad input; 3 every\n"
    "frame was answered, but the --db record is incomplete: rows could not be\n"
    "written (the database locked, the disk full) and the summary says how many.\n";

/* serve's options: the runtime's (shared with the console) and its own. */
struct opts {
	struct lv_runtime_opts rt;
	const char *config;
	const char *info;
	const char *results; /* experiments' reports (POST /control/experiment) */
	double duration_s;
	int json;
	enum lv_log_level log_level;
};

static int log_level_opt(const struct lv_opt *opt, void *field, const char *value, char **why)
{
	(void)opt;
	(void)why;
	return lv_log_level_parse(value, field);
}

static const char *show_log_level(const void *field)
{
	return lv_log_level_name(*(const enum lv_log_level *)field);
}

#define O(field) offsetof(struct opts, field)
static const struct lv_opt serve_opts[] = {
	{ .name = "config",
	  .kind = LV_OPT_STR,
	  .offset = O(config),
	  .arg = "FILE",
	  .help = "settings from FILE first, one \"name = value\" a line, named as\n"
	          "these options (the command line wins; see loudva(1))" },
	{ .name = "emulate",
	  .kind = LV_OPT_SET,
	  .offset = O(rt.emulate),
	  .help = "emulate the --cluster's devices on loopback instead" },
	{ .name = "no-shm",
	  .kind = LV_OPT_SET,
	  .offset = O(rt.no_shm),
	  .help = "send every batch in its HTTP body, also to the agents\n"
	          "this host runs (they get it through Triton's system\n"
	          "shared memory otherwise; see profiles/README.md)" },
	{ .name = "listen",
	  .kind = LV_OPT_STR,
	  .offset = O(rt.listen),
	  .arg = "ADDR:PORT",
	  .help = "front end [" LV_FRONTEND_DEFAULT_LISTEN "]" },
	{ .kind = LV_OPT_INCLUDE, .offset = O(rt), .rows = lv_runtime_opt_rows },
	{ .kind = LV_OPT_INCLUDE, .offset = O(duration_s), .rows = lv_cmd_duration_opts },
	{ .name = "window-lead",
	  .kind = LV_OPT_DOUBLE,
	  .offset = O(rt.window_lead_s),
	  .arg = "S",
	  .min = 0,
	  .max = INFINITY,
	  .what = "a number of seconds >= 0",
	  .help = "the summary's window opens S s before the first frame\n"
	          "(a replayed trace's first request time: compare with sim)" },
	{ .name = "model-config",
	  .kind = LV_OPT_STR,
	  .offset = O(rt.model_config),
	  .arg = "FILE",
	  .help = "Triton model config [" DEFAULT_MODEL_CONFIG "]" },
	{ .name = "info",
	  .kind = LV_OPT_STR,
	  .offset = O(info),
	  .arg = "FILE",
	  .help = "write the address and the embedded agents (JSON) once up" },
	{ .name = "results",
	  .kind = LV_OPT_STR,
	  .offset = O(results),
	  .arg = "DIR",
	  .help = "reports of experiments started through the control API\n"
	          "[the state dir's results/]" },
	{ .name = "log-level",
	  .kind = LV_OPT_FN,
	  .offset = O(log_level),
	  .arg = "LEVEL",
	  .what = "debug, info, warn or error",
	  .set = log_level_opt,
	  .show = show_log_level,
	  .help = "the controller's events from LEVEL up go to stderr as they\n"
	          "happen: debug (every dispatch), info, warn, error" },
	{ .kind = LV_OPT_INCLUDE, .offset = O(json), .rows = lv_cmd_json_opts },
	{ 0 },
};
#undef O

static const struct lv_opt_spec serve_spec = {
	.cmd = "serve",
	.about = "Runs the live controller headless: the front end, the scheduler, the\n"
	         "dispatcher to agents and Triton, telemetry and the store. Without\n"
	         "--cluster it starts the embedded thesis cluster (five emulated agents on\n"
	         "loopback) and stops it on exit, restarting an agent that dies (after 0.5 s,\n"
	         "doubling to 30 s). Stops at --duration or on SIGINT, SIGTERM or SIGHUP (all\n"
	         "three the same orderly stop; SIGHUP reloads nothing), answering every frame,\n"
	         "giving every clock it set back to the device's governor, and prints the\n"
	         "run's figures.",
	.opts = serve_opts,
	.epilog = serve_epilog,
};

static int write_info(const char *path, const struct lv_frontend *fe, const char *listen,
                      const struct lv_launcher *l, const struct lv_cluster *c)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "listen", listen);
	cJSON_AddNumberToObject(o, "port", fe ? lv_frontend_port(fe) : 0);
	cJSON_AddNumberToObject(o, "pid", (double)getpid());
	cJSON_AddStringToObject(o, "cluster", c->name ? c->name : "");
	cJSON_AddBoolToObject(o, "embedded", l != NULL);
	if (l) {
		cJSON_AddStringToObject(o, "dir", lv_launcher_dir(l));
		cJSON_AddStringToObject(o, "token_file", lv_launcher_token_file(l));
	}
	cJSON *arr = cJSON_AddArrayToObject(o, "devices");
	for (size_t i = 0; i < c->n_devices; i++) {
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "name", c->devices[i].name);
		cJSON_AddStringToObject(d, "kind", c->kinds[c->devices[i].kind].profile->kind);
		if (c->devices[i].agent_url)
			cJSON_AddStringToObject(d, "agent", c->devices[i].agent_url);
		if (c->devices[i].triton_url)
			cJSON_AddStringToObject(d, "triton", c->devices[i].triton_url);
		if (l) {
			cJSON_AddNumberToObject(d, "pid", (double)lv_launcher_pid(l, i));
			cJSON_AddNumberToObject(d, "port", lv_launcher_port(l, i));
			char *cmd = lv_launcher_command(l, i);
			cJSON_AddStringToObject(d, "command", cmd);
			free(cmd);
		}
		cJSON_AddItemToArray(arr, d);
	}
	char *text = cJSON_Print(o);
	cJSON_Delete(o);
	char *why = NULL;
	int rc = lv_write_file_atomic(path, text, strlen(text), &why);
	if (rc != LV_OK) {
		fprintf(stderr, "loudva serve: %s\n", why);
		free(why);
	}
	free(text);
	return rc;
}

/* {"frames": n, ...} by row kind. */
static cJSON *rows_json(const uint64_t *v)
{
	cJSON *o = cJSON_CreateObject();
	for (int k = 0; k < LV_SNAP_ROW_KINDS; k++)
		cJSON_AddNumberToObject(o, lv_snap_row_kind_name(k), (double)v[k]);
	return o;
}

/* The summary's "store": null without --db. */
static cJSON *store_json(const struct lv_snap_store *st)
{
	if (!st->enabled)
		return cJSON_CreateNull();
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "complete", lv_snap_store_lost(st) == 0);
	cJSON_AddNumberToObject(o, "rows_missing", (double)lv_snap_store_lost(st));
	cJSON_AddItemToObject(o, "written", rows_json(st->written));
	cJSON_AddItemToObject(o, "lost", rows_json(st->lost));
	cJSON_AddNumberToObject(o, "write_failures", (double)st->failures);
	cJSON_AddNumberToObject(o, "gaps", (double)st->gaps);
	if (st->last_error[0])
		cJSON_AddStringToObject(o, "last_error", st->last_error);
	else
		cJSON_AddNullToObject(o, "last_error");
	return o;
}

/* "12 frames, 3 telemetry" for the kinds with rows; "none" when none. */
static void rows_text(char *buf, size_t len, const uint64_t *v)
{
	size_t at = 0;
	buf[0] = '\0';
	for (int k = 0; k < LV_SNAP_ROW_KINDS && at < len; k++)
		if (v[k])
			at += (size_t)snprintf(buf + at, len - at, "%s%llu %s", at ? ", " : "",
			                       (unsigned long long)v[k], lv_snap_row_kind_name(k));
	if (!buf[0])
		snprintf(buf, len, "none");
}

static void print_store(const struct lv_snap_store *st)
{
	char w[160], l[160];
	if (!st->enabled)
		return;
	rows_text(w, sizeof(w), st->written);
	rows_text(l, sizeof(l), st->lost);
	if (lv_snap_store_lost(st) == 0) {
		printf("record        complete: %s written", w);
		if (st->failures)
			printf(" (%llu failed writes retried)", (unsigned long long)st->failures);
		printf("\n");
		return;
	}
	printf("record        INCOMPLETE: %llu rows missing (%s); written %s; %llu failed writes, "
	       "%llu gaps\n",
	       (unsigned long long)lv_snap_store_lost(st), l, w, (unsigned long long)st->failures,
	       (unsigned long long)st->gaps);
	printf("last error    %s\n", st->last_error);
}

static void print_summary(const struct lv_run_metrics *m, const struct lv_engine_counts *n,
                          const char *policy, const struct lv_cluster *c,
                          const struct lv_snap_store *st, int json)
{
	if (json) {
		/* As `loudva sim --json` and report.json's runs (lv_exp_metrics_json). */
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "policy", policy);
		lv_exp_metrics_json(o, m, n);
		lv_exp_json_num(o, "batches_failed", (double)n->batches_failed);
		lv_exp_devices_json(o, c, m);
		cJSON_AddItemToObject(o, "store", store_json(st));
		char *t = cJSON_Print(o);
		printf("%s\n", t);
		free(t);
		cJSON_Delete(o);
		return;
	}
	printf("policy        %s\n", policy);
	printf("requests      %llu (%llu with every frame within budget)\n",
	       (unsigned long long)m->requests, (unsigned long long)m->requests_ok);
	printf(
	    "frames        %llu (ok %llu, late %llu, failed %llu, expired %llu, rejected %llu)\n",
	    (unsigned long long)m->frames, (unsigned long long)m->ok, (unsigned long long)m->late,
	    (unsigned long long)m->failed, (unsigned long long)m->expired,
	    (unsigned long long)m->rejected);
	printf("batches       %llu (%llu failed)\n", (unsigned long long)n->batches_dispatched,
	       (unsigned long long)n->batches_failed);
	printf("window        %.3f s (first frame, less any --window-lead, to shutdown)\n",
	       m->window_s);
	printf("energy        %.3f J\n", m->energy_j);
	printf("frames/J      %.4f\n", m->frames_per_j);
	printf("within budget %.2f %%\n", m->pct_frames_ok);
	if (isfinite(m->latency_p50_s))
		printf("latency       p50 %.4f s, p99 %.4f s (per served frame: its request's "
		       "arrival to its batch's end)\n",
		       m->latency_p50_s, m->latency_p99_s);
	print_store(st);
}

/* Prints the controller's events after *seq at `level` and up to stderr. */
static void print_events(struct lv_live *lv, enum lv_log_level level, uint64_t *seq)
{
	struct lv_log_entry ev[32];
	size_t n;
	while ((n = lv_eventlog_read(lv_live_log(lv), *seq, ev, 32)) > 0) {
		for (size_t i = 0; i < n; i++)
			if (ev[i].level >= level)
				fprintf(stderr, "%sloudva serve: %.3f %s %s: %s\n",
				        lv_service_log_prefix(ev[i].level), ev[i].time_s,
				        lv_log_level_name(ev[i].level), ev[i].source, ev[i].text);
		*seq = ev[n - 1].seq;
	}
}

static void wait_for_stop(double duration_s, struct lv_runtime *rt, struct lv_serve_exp *exp,
                          enum lv_log_level level, uint64_t *seq)
{
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!lv_runtime_stop_signal()) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		lv_runtime_poll(rt);    /* restart agents that died, and say so */
		lv_serve_exp_poll(exp); /* start what was asked, follow what runs */
		lv_service_watchdog();
		print_events(rt->live, level, seq);
		clock_gettime(CLOCK_MONOTONIC, &now);
		double el =
		    (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) * 1e-9;
		if (duration_s > 0 && el >= duration_s)
			break;
	}
}

int lv_cmd_serve(int argc, char **argv)
{
	struct opts o = { .rt = { .mode = LV_COST_PRED, .frontend_required = 1 },
		          .log_level = LV_LOG_INFO };
	struct lv_runtime rt;
	uint64_t seq = 0;
	char *why = NULL;
	struct lv_serve_config *conf = NULL;
	struct lv_serve_exp *exp = NULL;
	memset(&rt, 0, sizeof(rt));
	const char *conf_file = lv_serve_config_find(argc, argv);
	if (conf_file && lv_serve_config_apply(conf_file, &serve_spec, &o, sizeof(o), argc, argv,
	                                       &argc, &argv, &conf) != 0)
		return LV_EXIT_USAGE;
	int rc = lv_opts_parse(&serve_spec, argc, argv, &o);
	if (rc) {
		lv_serve_config_free(conf);
		return rc == 1 ? LV_EXIT_OK : rc;
	}
	if (!o.rt.listen)
		o.rt.listen = LV_FRONTEND_DEFAULT_LISTEN;
	lv_runtime_signals_hold(); /* a signal during the start stops it once it is up */
	rc = lv_runtime_start(&o.rt, &rt, &why);
	lv_runtime_signals_release();
	if (rc != LV_EXIT_OK)
		goto out;
	const struct lv_cluster *c = lv_live_cluster(rt.live);
	fprintf(stderr, "loudva serve: listening on %s (port %u), policy %s%s\n", rt.listen,
	        (unsigned)lv_frontend_port(rt.frontend), o.rt.policy ? o.rt.policy : "loud",
	        rt.launcher ? ", embedded cluster" : "");
	if (rt.launcher && o.rt.keep_logs)
		fprintf(stderr, "loudva serve: agents' logs in %s\n", lv_launcher_dir(rt.launcher));
	if (o.info && write_info(o.info, rt.frontend, rt.listen, rt.launcher, c) != LV_OK) {
		rc = LV_EXIT_FAIL;
		goto out;
	}
	char status[256];
	snprintf(status, sizeof(status), "listening on %s (port %u), policy %s, %zu devices%s",
	         rt.listen, (unsigned)lv_frontend_port(rt.frontend),
	         o.rt.policy ? o.rt.policy : "loud", c->n_devices,
	         rt.launcher ? " (embedded)" : "");
	exp = lv_serve_exp_new(o.results, rt.live);
	lv_frontend_set_experiments(rt.frontend, lv_serve_exp_ops(), exp);
	lv_service_ready(status);
	wait_for_stop(o.duration_s, &rt, exp, o.log_level, &seq);
	lv_service_stopping("stopping: answering every frame, giving clocks back");
	if (lv_runtime_stop_signal())
		fprintf(stderr,
		        "loudva serve: %s: stopping (answering every frame, giving clocks back)\n",
		        lv_runtime_signal_name(lv_runtime_stop_signal()));
	rc = LV_EXIT_OK;
out:
	if (why) {
		fprintf(stderr, "loudva serve: %s\n", why);
		free(why);
	}
	lv_serve_exp_close(exp); /* a running experiment stops with the controller */
	lv_runtime_shutdown(&rt);
	lv_serve_exp_free(exp);
	struct lv_snap_store st;
	memset(&st, 0, sizeof(st));
	if (rt.live) /* the record finished: its rows written or counted missing */
		lv_live_finish_record(rt.live, &st);
	if (rt.live)
		print_events(rt.live, o.log_level, &seq); /* the shutdown's: clocks released, ... */
	if (rt.live && rc == LV_EXIT_OK) {
		const struct lv_snapshot *s = lv_live_snapshot_get(rt.live);
		const struct lv_run_metrics *m = lv_live_result(rt.live);
		if (m && s)
			print_summary(m, &s->counts, s->policy, lv_live_cluster(rt.live), &st,
			              o.json);
		lv_live_snapshot_put(rt.live, s);
		if (lv_snap_store_lost(&st) > 0) {
			fprintf(stderr,
			        "loudva serve: the record in %s is incomplete: %llu rows missing\n",
			        o.rt.db, (unsigned long long)lv_snap_store_lost(&st));
			rc = EXIT_INCOMPLETE;
		}
	}
	lv_runtime_stop(&rt);
	lv_serve_config_free(conf);
	return rc;
}
