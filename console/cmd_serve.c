/*
 * cmd_serve: `loudva serve` — the live controller, headless. With
 * --cluster it drives the agents and Triton servers that cluster file
 * names; without (or with --emulate), it starts that cluster — by default
 * the thesis's — as one emulated loudva-agent per device on loopback
 * (launcher.h) and stops it on exit.
 * The front end (POST /inference, GET /status, /metrics, /healthz) listens
 * on --listen.
 *
 * It runs until --duration has passed, or SIGINT/SIGTERM (the handler only
 * sets a flag). Then, in this order: every frame still held is answered
 * (lv_live_shutdown), the front end stops, the agents stop, the store is
 * flushed (lv_live_stop), and the run's summary is printed — as the
 * simulator's figures, so a live run and `loudva sim --until WINDOW` of the
 * same trace can be compared line by line.
 *
 * --info FILE is written once everything is up: the front end's address and
 * the embedded agents (name, pid, port, command line, token file), for
 * scripts and tests.
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

#include "model/cluster.h"
#include "front/frontend.h"
#include "harness/launcher.h"
#include "live/live.h"
#include "sched/metrics.h"
#include "model/model_config.h"
#include "base/file.h"
#include "base/util.h"

#define DEFAULT_MODEL_CONFIG LV_DEFAULT_MODEL_CONFIG

struct opts {
	const char *cluster, *listen, *policy, *db, *token_file, *agent, *predictor, *info;
	const char *model_config;
	enum lv_cost_mode mode;
	double duration_s, lead_s;
	int json, keep_logs, emulate, no_shm;
	enum lv_log_level log_level;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

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
	{ .name = "cluster",
	  .kind = LV_OPT_STR,
	  .offset = O(cluster),
	  .arg = "FILE",
	  .help = "a real cluster (agents + Triton at its URLs)" },
	{ .name = "emulate",
	  .kind = LV_OPT_SET,
	  .offset = O(emulate),
	  .help = "emulate the --cluster's devices on loopback instead" },
	{ .name = "no-shm",
	  .kind = LV_OPT_SET,
	  .offset = O(no_shm),
	  .help = "send every batch in its HTTP body, also to the agents\n"
	          "this host runs (they get it through Triton's system\n"
	          "shared memory otherwise; see profiles/README.md)" },
	{ .name = "listen",
	  .kind = LV_OPT_STR,
	  .offset = O(listen),
	  .arg = "ADDR:PORT",
	  .help = "front end [" LV_FRONTEND_DEFAULT_LISTEN "]" },
	{ .kind = LV_OPT_INCLUDE, .offset = O(policy), .rows = lv_cmd_policy_opts },
	{ .kind = LV_OPT_INCLUDE, .offset = O(mode), .rows = lv_cmd_mode_opts },
	{ .name = "db",
	  .kind = LV_OPT_STR,
	  .offset = O(db),
	  .arg = "FILE",
	  .help = "record frames, batches and telemetry (SQLite)" },
	{ .name = "duration",
	  .kind = LV_OPT_DOUBLE,
	  .offset = O(duration_s),
	  .arg = "S",
	  .flags = LV_OPT_ABOVE_MIN,
	  .min = 0,
	  .max = INFINITY,
	  .what = "a positive number of seconds",
	  .help = "stop after S seconds [run until a signal]" },
	{ .name = "window-lead",
	  .kind = LV_OPT_DOUBLE,
	  .offset = O(lead_s),
	  .arg = "S",
	  .min = 0,
	  .max = INFINITY,
	  .what = "a number of seconds >= 0",
	  .help = "the summary's window opens S s before the first frame\n"
	          "(a replayed trace's first request time: compare with sim)" },
	{ .name = "token-file",
	  .kind = LV_OPT_STR,
	  .offset = O(token_file),
	  .arg = "FILE",
	  .help = "agents' bearer token [the cluster's \"token_file\"]" },
	{ .name = "agent",
	  .kind = LV_OPT_STR,
	  .offset = O(agent),
	  .arg = "PATH",
	  .help = "loudva-agent for the embedded cluster [beside loudva]" },
	{ .name = "model-config",
	  .kind = LV_OPT_STR,
	  .offset = O(model_config),
	  .arg = "FILE",
	  .help = "Triton model config [" DEFAULT_MODEL_CONFIG "]" },
	{ .name = "predictor",
	  .kind = LV_OPT_STR,
	  .offset = O(predictor),
	  .arg = "FILE",
	  .help = "predictor cache [" LV_DEFAULT_PREDICTOR_CACHE "]" },
	{ .name = "info",
	  .kind = LV_OPT_STR,
	  .offset = O(info),
	  .arg = "FILE",
	  .help = "write the address and the embedded agents (JSON) once up" },
	{ .name = "keep-logs",
	  .kind = LV_OPT_SET,
	  .offset = O(keep_logs),
	  .help = "keep the embedded agents' logs (their directory is printed)" },
	{ .name = "log-level",
	  .kind = LV_OPT_FN,
	  .offset = O(log_level),
	  .arg = "LEVEL",
	  .what = "debug, info, warn or error",
	  .set = log_level_opt,
	  .show = show_log_level,
	  .help = "the controller's events from LEVEL up go to stderr as they\n"
	          "happen: debug (every dispatch), info, warn, error" },
	{ .name = "json",
	  .kind = LV_OPT_SET,
	  .offset = O(json),
	  .help = "print the summary as JSON" },
	{ 0 },
};
#undef O

static const struct lv_opt_spec serve_spec = {
	.cmd = "serve",
	.about = "Runs the live controller headless: the front end, the scheduler, the\n"
	         "dispatcher to agents and Triton, telemetry and the store. Without\n"
	         "--cluster it starts the embedded thesis cluster (five emulated agents on\n"
	         "loopback) and stops it on exit. Stops at --duration or on SIGINT/SIGTERM,\n"
	         "answering every frame, giving every clock it set back to the device's\n"
	         "governor, and prints the run's figures.",
	.opts = serve_opts,
};

/* 0, 1 after --help, or LV_EXIT_USAGE (message printed). */
static int parse(int argc, char **argv, struct opts *o)
{
	return lv_opts_parse(&serve_spec, argc, argv, o);
}

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

static void print_summary(const struct lv_run_metrics *m, const struct lv_engine_counts *n,
                          const char *policy, int json)
{
	if (json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "policy", policy);
		cJSON_AddNumberToObject(o, "frames", (double)m->frames);
		cJSON_AddNumberToObject(o, "ok", (double)m->ok);
		cJSON_AddNumberToObject(o, "late", (double)m->late);
		cJSON_AddNumberToObject(o, "failed", (double)m->failed);
		cJSON_AddNumberToObject(o, "expired", (double)m->expired);
		cJSON_AddNumberToObject(o, "rejected", (double)m->rejected);
		cJSON_AddNumberToObject(o, "served", (double)m->served);
		cJSON_AddNumberToObject(o, "batches", (double)n->batches_dispatched);
		cJSON_AddNumberToObject(o, "batches_failed", (double)n->batches_failed);
		cJSON_AddNumberToObject(o, "window_s", m->window_s);
		cJSON_AddNumberToObject(o, "energy_j", m->energy_j);
		cJSON_AddNumberToObject(o, "frames_per_j", m->frames_per_j);
		if (isfinite(m->pct_frames_ok))
			cJSON_AddNumberToObject(o, "pct_frames_within_budget", m->pct_frames_ok);
		if (isfinite(m->latency_p50_s)) {
			cJSON_AddNumberToObject(o, "latency_p50_s", m->latency_p50_s);
			cJSON_AddNumberToObject(o, "latency_p99_s", m->latency_p99_s);
		}
		char *t = cJSON_Print(o);
		printf("%s\n", t);
		free(t);
		cJSON_Delete(o);
		return;
	}
	printf("policy        %s\n", policy);
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
		printf("latency       p50 %.4f s, p99 %.4f s\n", m->latency_p50_s,
		       m->latency_p99_s);
}

/* Prints the controller's events after *seq at `level` and up to stderr. */
static void print_events(struct lv_live *lv, enum lv_log_level level, uint64_t *seq)
{
	struct lv_log_entry ev[32];
	size_t n;
	while ((n = lv_eventlog_read(lv_live_log(lv), *seq, ev, 32)) > 0) {
		for (size_t i = 0; i < n; i++)
			if (ev[i].level >= level)
				fprintf(stderr, "loudva serve: %.3f %s %s: %s\n", ev[i].time_s,
				        lv_log_level_name(ev[i].level), ev[i].source, ev[i].text);
		*seq = ev[n - 1].seq;
	}
}

static void wait_for_stop(double duration_s, struct lv_launcher *l, struct lv_live *lv,
                          enum lv_log_level level, uint64_t *seq)
{
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop_requested) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		print_events(lv, level, seq);
		if (l)
			lv_launcher_poll(l); /* reap agents that died (they are probed back) */
		clock_gettime(CLOCK_MONOTONIC, &now);
		double el =
		    (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) * 1e-9;
		if (duration_s > 0 && el >= duration_s)
			break;
	}
}

/* Loads the cluster and its costs; starts the embedded agents when no cluster was named. */
static int setup_cluster(const struct opts *o, struct lv_cluster **cp, struct lv_launcher **lp,
                         char **token, char **why)
{
	const char *path = o->cluster ? o->cluster : LV_DEFAULT_CLUSTER;
	const char *pred = o->predictor ? o->predictor : LV_DEFAULT_PREDICTOR_CACHE;
	struct lv_cluster *c = lv_cluster_load(path, why);
	if (!c)
		return LV_EXIT_USAGE;
	*cp = c;
	if (lv_cluster_build_costs(c, o->mode, pred, why) != LV_OK)
		return LV_EXIT_FAIL;
	if (o->cluster && !o->emulate) {
		const char *tf = o->token_file ? o->token_file : c->token_file;
		if (tf)
			*token = lv_token_file_read(tf, why);
		return tf && !*token ? LV_EXIT_USAGE : LV_EXIT_OK;
	}
	struct lv_launcher_config lc;
	lv_launcher_config_default(&lc);
	char *agent = o->agent ? lv_xstrdup(o->agent) : lv_launcher_default_agent();
	lc.agent_path = agent;
	lc.predictor_path = pred;
	lc.keep_dir = o->keep_logs;
	*lp = lv_launcher_start(c, &lc, why);
	free(agent);
	if (!*lp)
		return LV_EXIT_FAIL;
	*token = lv_xstrdup(lv_launcher_token(*lp));
	return LV_EXIT_OK;
}

int lv_cmd_serve(int argc, char **argv)
{
	struct opts o = { .mode = LV_COST_PRED, .log_level = LV_LOG_INFO };
	uint64_t seq = 0;
	int rc = parse(argc, argv, &o);
	if (rc)
		return rc == 1 ? LV_EXIT_OK : rc;
	const char *listen = o.listen ? o.listen : LV_FRONTEND_DEFAULT_LISTEN;
	struct lv_cluster *c = NULL;
	struct lv_launcher *l = NULL;
	struct lv_live *lv = NULL;
	struct lv_frontend *fe = NULL;
	char *token = NULL, *why = NULL;
	struct lv_live_config cfg;
	lv_live_config_default(&cfg);
	rc = LV_EXIT_USAGE;
	if (lv_model_info_load(o.model_config ? o.model_config : DEFAULT_MODEL_CONFIG, &cfg.model,
	                       &why))
		goto out;
	rc = setup_cluster(&o, &c, &l, &token, &why);
	if (rc != LV_EXIT_OK)
		goto out;
	cfg.cluster = c;
	cfg.policy = o.policy ? o.policy : "loud";
	cfg.token = token;
	cfg.db_path = o.db;
	cfg.window_lead_s = o.lead_s;
	cfg.shm_off = o.no_shm;
	lv = lv_live_new(&cfg, &why);
	if (!lv) {
		rc = LV_EXIT_USAGE; /* a bad policy or database */
		goto out;
	}
	c = NULL; /* lv owns it; the launcher still borrows it until it stops */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fe = lv_frontend_start(lv, &cfg.model, listen, NULL, &why);
	if (!fe) {
		rc = LV_EXIT_FAIL;
		goto out;
	}
	fprintf(stderr, "loudva serve: listening on %s (port %u), policy %s%s\n", listen,
	        (unsigned)lv_frontend_port(fe), cfg.policy, l ? ", embedded cluster" : "");
	if (l && o.keep_logs)
		fprintf(stderr, "loudva serve: agents' logs in %s\n", lv_launcher_dir(l));
	if (o.info && write_info(o.info, fe, listen, l, lv_live_cluster(lv)) != LV_OK) {
		rc = LV_EXIT_FAIL;
		goto out;
	}
	wait_for_stop(o.duration_s, l, lv, o.log_level, &seq);
	rc = LV_EXIT_OK;
out:
	if (why) {
		fprintf(stderr, "loudva serve: %s\n", why);
		free(why);
	}
	if (lv)
		lv_live_shutdown(lv);
	if (fe) {
		/*
		 * Every request is answered now; give the connection threads a
		 * moment to write the answers, as libmicrohttpd's stop closes
		 * connections without flushing them.
		 */
		struct timespec ts = { 0, 300 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	lv_frontend_stop(fe);
	lv_launcher_stop(l);
	if (lv)
		print_events(lv, o.log_level, &seq); /* the shutdown's: clocks released, ... */
	if (lv && rc == LV_EXIT_OK) {
		const struct lv_snapshot *s = lv_live_snapshot_get(lv);
		const struct lv_run_metrics *m = lv_live_result(lv);
		if (m && s)
			print_summary(m, &s->counts, s->policy, o.json);
		lv_live_snapshot_put(lv, s);
	}
	lv_live_stop(lv);
	lv_cluster_free(c);
	free(token);
	return rc;
}
