/*
 * runtime: starting and stopping the live controller's pieces in order
 * (see runtime.h), for the console and `loudva serve` alike. Start: model
 * geometry, cluster and cost tables, agents (embedded or emulated) or the
 * token (named cluster), engine thread, front end. Stop: every frame
 * answered first (so front-end threads waiting on requests are released),
 * then the front end, the agents, and the engine thread last — the
 * launcher borrows the cluster the engine owns. Between the two,
 * lv_runtime_poll restarts embedded agents that die, and the stop
 * signals are caught here for both programs (runtime.h).
 */
#include "runtime.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "model/budget.h"
#include "model/cluster.h"
#include "commands.h"
#include "front/frontend.h"
#include "harness/launcher.h"
#include "model/model_config.h"
#include "base/clock.h"
#include "base/file.h"
#include "base/util.h"

#define DEFAULT_MODEL_CONFIG LV_DEFAULT_MODEL_CONFIG

/* ---- signals --------------------------------------------------------------------- */

static volatile sig_atomic_t stop_sig;

static void on_stop(int sig)
{
	if (!stop_sig)
		stop_sig = sig;
}

static void stop_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

void lv_runtime_signals_hold(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa, old;
	sigset_t set;
	stop_set(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_stop;
	sa.sa_flags = SA_RESTART; /* poll and nanosleep return at once all the same */
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigs[i] == SIGHUP && sigaction(SIGHUP, NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue; /* nohup: the operator asked for it to be ignored */
		sigaction(sigs[i], &sa, NULL);
	}
}

void lv_runtime_signals_release(void)
{
	sigset_t set;
	stop_set(&set);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

int lv_runtime_stop_signal(void)
{
	return stop_sig;
}

const char *lv_runtime_signal_name(int sig)
{
	switch (sig) {
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGHUP: return "SIGHUP";
	default: return "a signal";
	}
}

/* How long a stop waits for the front end's last answers to be written. */
#define DRAIN_S 10.0

char *lv_runtime_self_dir_file(const char *name)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return lv_xstrdup(name);
	self[n] = '\0';
	char *dir = lv_path_dirname(self);
	char *p = lv_path_join(dir, name);
	free(dir);
	return p;
}

/* Costs, and the agents (embedded) or the token (named). */
static int setup_agents(const struct lv_runtime_opts *o, struct lv_runtime *rt,
                        struct lv_cluster *c, const char *pred, char **why)
{
	if (lv_cluster_build_costs(c, o->mode, pred, why) != LV_OK)
		return LV_EXIT_FAIL;
	if (o->cluster && !o->emulate) {
		const char *tf = o->token_file ? o->token_file : c->token_file;
		if (tf)
			rt->token = lv_token_file_read(tf, why);
		return tf && !rt->token ? LV_EXIT_USAGE : LV_EXIT_OK;
	}
	struct lv_launcher_config lc;
	lv_launcher_config_default(&lc);
	char *agent = o->agent ? lv_xstrdup(o->agent) : lv_runtime_self_dir_file("loudva-agent");
	lc.agent_path = agent;
	lc.predictor_path = pred;
	lc.keep_dir = o->keep_logs;
	lc.restart = 1; /* lv_runtime_poll restarts an agent that dies */
	rt->launcher = lv_launcher_start(c, &lc, why);
	free(agent);
	if (!rt->launcher)
		return LV_EXIT_FAIL;
	rt->token = lv_xstrdup(lv_launcher_token(rt->launcher));
	return LV_EXIT_OK;
}

/* Cluster, costs, and the agents (embedded) or the token (named). */
static int setup_cluster(const struct lv_runtime_opts *o, struct lv_runtime *rt,
                         struct lv_cluster **cp, char **why)
{
	struct lv_cluster *c = lv_cluster_load(rt->cluster_path, why);
	if (!c)
		return LV_EXIT_USAGE;
	*cp = c;
	char *pred = lv_cmd_predictor_cache(o->predictor);
	int rc = setup_agents(o, rt, c, pred, why);
	free(pred);
	return rc;
}

#define O(field) offsetof(struct lv_runtime_opts, field)
const struct lv_opt lv_runtime_opt_rows[] = {
	{ .name = "cluster",
	  .kind = LV_OPT_STR,
	  .offset = O(cluster),
	  .arg = "FILE",
	  .help = "a real cluster (agents + Triton at its URLs)" },
	{ .kind = LV_OPT_INCLUDE, .offset = O(policy), .rows = lv_cmd_policy_opts },
	{ .kind = LV_OPT_INCLUDE, .offset = O(mode), .rows = lv_cmd_mode_opts },
	{ .name = "db",
	  .kind = LV_OPT_STR,
	  .offset = O(db),
	  .arg = "FILE",
	  .help = "record frames, batches and telemetry (SQLite)" },
	{ .name = "agent",
	  .kind = LV_OPT_STR,
	  .offset = O(agent),
	  .arg = "PATH",
	  .help = "loudva-agent for the embedded cluster [beside loudva]" },
	{ .name = "predictor",
	  .kind = LV_OPT_STR,
	  .offset = O(predictor),
	  .arg = "FILE",
	  .help = "predictor cache [" LV_DEFAULT_PREDICTOR_CACHE "]" },
	{ .name = "token-file",
	  .kind = LV_OPT_STR,
	  .offset = O(token_file),
	  .arg = "FILE",
	  .help = "agents' bearer token [the cluster's \"token_file\"]" },
	{ .name = "control-token-file",
	  .kind = LV_OPT_STR,
	  .offset = O(control_token_file),
	  .arg = "FILE",
	  .help = "bearer token (mode 0600) for the control API's changes\n"
	          "(POST /control/...); without one they are refused" },
	{ .name = "keep-logs",
	  .kind = LV_OPT_SET,
	  .offset = O(keep_logs),
	  .help = "keep the embedded agents' logs (their directory is printed)" },
	{ .name = "max-connections",
	  .kind = LV_OPT_LONG,
	  .offset = O(max_connections),
	  .arg = "N",
	  .min = 1,
	  .max = 100000,
	  .help = "front end: connections served at once; one more evicts the\n"
	          "connection that has waited longest on its client [512]" },
	{ .name = "max-connections-per-client",
	  .kind = LV_OPT_LONG,
	  .offset = O(max_connections_per_client),
	  .arg = "N",
	  .min = 1,
	  .max = 100000,
	  .help = "front end: connections from one address at once [256]" },
	{ .name = "header-timeout",
	  .kind = LV_OPT_DOUBLE,
	  .offset = O(header_timeout_s),
	  .arg = "S",
	  .flags = LV_OPT_ABOVE_MIN,
	  .min = 0,
	  .max = INFINITY,
	  .help = "front end: a request's headers must be complete S s after\n"
	          "its connection opened or last answered, or it is cut off [10]" },
	{ .name = "body-timeout",
	  .kind = LV_OPT_DOUBLE,
	  .offset = O(body_timeout_s),
	  .arg = "S",
	  .flags = LV_OPT_ABOVE_MIN,
	  .min = 0,
	  .max = INFINITY,
	  .help = "front end: its body S s after its headers, or it is cut off [60]" },
	{ .name = "max-buffered-bytes",
	  .kind = LV_OPT_LONG,
	  .offset = O(max_buffered_bytes),
	  .arg = "BYTES",
	  .min = 1,
	  .max = INFINITY,
	  .help = "front end: request bodies held in all; a request that does\n"
	          "not fit is answered 503 with Retry-After [268435456: 256 MiB]" },
	{ .name = "max-request-pixels",
	  .kind = LV_OPT_LONG,
	  .offset = O(max_request_pixels),
	  .arg = "N",
	  .min = 1,
	  .max = INFINITY,
	  .help = "front end: width x height summed over a request's images,\n"
	          "read from their headers; more is answered 413 [64000000]" },
	{ .name = "max-budget",
	  .kind = LV_OPT_DOUBLE,
	  .offset = O(max_budget_s),
	  .arg = "S",
	  .flags = LV_OPT_ABOVE_MIN,
	  .min = 0,
	  .max = LV_BUDGET_CEILING_S,
	  .what = "a number of seconds > 0 and <= 3600",
	  .help = "largest latency budget a client may give; more is refused [60]" },
	{ 0 },
};
#undef O

/* The front end's limits: its defaults, and what the options set (non-zero). */
static void frontend_limits(const struct lv_runtime_opts *o, struct lv_frontend_limits *lim)
{
	lv_frontend_limits_default(lim);
	if (o->max_connections > 0)
		lim->max_connections = (unsigned)o->max_connections;
	if (o->max_connections_per_client > 0)
		lim->max_connections_per_client = (unsigned)o->max_connections_per_client;
	if (o->header_timeout_s > 0)
		lim->header_timeout_s = o->header_timeout_s;
	if (o->body_timeout_s > 0)
		lim->body_timeout_s = o->body_timeout_s;
	if (o->max_buffered_bytes > 0)
		lim->max_buffered_bytes = (size_t)o->max_buffered_bytes;
	if (o->max_request_pixels > 0)
		lim->max_request_pixels = (uint64_t)o->max_request_pixels;
	if (o->max_budget_s > 0)
		lim->max_budget_s = o->max_budget_s;
}

/* The control API's token: the file's first line, the file private (as the agents want theirs). */
static char *control_token(const char *path, char **why)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		lv_fail(why, LV_EINVAL, "--control-token-file %s: %s", path, strerror(errno));
		return NULL;
	}
	if (st.st_mode & 077) {
		lv_fail(why, LV_EINVAL,
		        "--control-token-file %s: group or others may read it (mode %04o): "
		        "chmod 600 it",
		        path, (unsigned)(st.st_mode & 07777));
		return NULL;
	}
	return lv_token_file_read(path, why);
}

int lv_runtime_start(const struct lv_runtime_opts *o, struct lv_runtime *rt, char **why)
{
	struct lv_cluster *c = NULL;
	struct lv_live_config cfg;
	memset(rt, 0, sizeof(*rt));
	lv_live_config_default(&cfg);
	int rc = LV_EXIT_USAGE;
	char *ctl_token = NULL;
	if (o->control_token_file && !(ctl_token = control_token(o->control_token_file, why)))
		return rc;
	rt->cluster_path = lv_cmd_data(o->cluster ? o->cluster : LV_DEFAULT_CLUSTER);
	char *model_config = lv_cmd_data(o->model_config ? o->model_config : DEFAULT_MODEL_CONFIG);
	int model_rc = lv_model_info_load(model_config, &cfg.model, why);
	free(model_config);
	if (model_rc)
		goto out;
	rt->model = cfg.model;
	rc = setup_cluster(o, rt, &c, why);
	if (rc != LV_EXIT_OK)
		goto out;
	cfg.cluster = c;
	cfg.policy = o->policy ? o->policy : "loud";
	cfg.token = rt->token;
	cfg.db_path = o->db;
	cfg.window_lead_s = o->window_lead_s;
	cfg.shm_off = o->no_shm;
	rt->live = lv_live_new(&cfg, why);
	if (!rt->live) {
		rc = LV_EXIT_USAGE; /* a bad policy or database */
		goto out;
	}
	c = NULL; /* the engine owns it; the launcher borrows it until it stops */
	if (o->frontend_required || !o->listen || strcmp(o->listen, "none")) {
		char *fe_why = NULL;
		rt->listen = o->listen ? o->listen : LV_FRONTEND_DEFAULT_LISTEN;
		struct lv_frontend_limits lim;
		frontend_limits(o, &lim);
		rt->frontend = lv_frontend_start(rt->live, &rt->model, rt->listen, &lim, &fe_why);
		if (!rt->frontend && o->frontend_required) {
			if (why)
				*why = fe_why;
			else
				free(fe_why);
			rc = LV_EXIT_FAIL;
			goto out;
		}
		if (!rt->frontend)
			rt->frontend_error =
			    fe_why ? fe_why : lv_xstrdup("front end did not start");
		else
			lv_frontend_set_control_token(rt->frontend, ctl_token);
	}
	rc = LV_EXIT_OK;
out:
	free(ctl_token);
	if (rc != LV_EXIT_OK) {
		lv_runtime_stop(rt);
		lv_cluster_free(c);
	}
	return rc;
}

void lv_runtime_poll(struct lv_runtime *rt)
{
	struct lv_launcher_event ev[8];
	size_t n;
	if (!rt->launcher || !rt->live || rt->shut)
		return;
	const struct lv_cluster *c = lv_live_cluster(rt->live);
	struct lv_eventlog *log = lv_live_log(rt->live);
	while ((n = lv_launcher_poll(rt->launcher, lv_mono_s(), ev, 8)) > 0) {
		for (size_t i = 0; i < n; i++) {
			const char *name = c->devices[ev[i].device].name;
			double now = lv_live_clock(rt->live);
			char *why = NULL;
			switch (ev[i].kind) {
			case LV_LAUNCHER_EXITED:
				lv_eventlog_add(log, now, LV_LOG_WARN, name,
				                "%s; restart in %.1f s", ev[i].text, ev[i].delay_s);
				break;
			case LV_LAUNCHER_FAILED:
				lv_eventlog_add(log, now, LV_LOG_ERROR, name, "%s; again in %.1f s",
				                ev[i].text, ev[i].delay_s);
				break;
			case LV_LAUNCHER_RESTARTED:
				lv_eventlog_add(log, now, LV_LOG_INFO, name, "%s", ev[i].text);
				if (lv_live_device_restarted(rt->live, name, &why) != LV_OK)
					lv_eventlog_add(log, now, LV_LOG_WARN, name, "%s", why);
				free(why);
				break;
			}
		}
		if (n < 8)
			break;
	}
}

void lv_runtime_shutdown(struct lv_runtime *rt)
{
	if (rt->shut)
		return;
	rt->shut = 1;
	if (rt->live)
		lv_live_shutdown(rt->live);
	/*
	 * Every frame is answered now; wait until the connection threads have
	 * written the answers, as libmicrohttpd's stop closes connections
	 * without flushing them. Requests still arriving are refused (503) and
	 * uploads still being read are bounded by DRAIN_S.
	 */
	unsigned cut = lv_frontend_drain(rt->frontend, DRAIN_S);
	if (cut && rt->live)
		lv_eventlog_add(lv_live_log(rt->live), lv_live_clock(rt->live), LV_LOG_WARN,
		                "front end",
		                "%u request(s) still being read or written after %.0f s of "
		                "stopping: cut off",
		                cut, DRAIN_S);
	lv_frontend_stop(rt->frontend);
	rt->frontend = NULL;
	lv_launcher_stop(rt->launcher);
	rt->launcher = NULL;
}

void lv_runtime_stop(struct lv_runtime *rt)
{
	lv_runtime_shutdown(rt);
	lv_live_stop(rt->live);
	free(rt->frontend_error);
	free(rt->cluster_path);
	free(rt->token);
	memset(rt, 0, sizeof(*rt));
}
