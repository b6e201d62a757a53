/*
 * runtime: starting and stopping the live controller's pieces in order
 * (see runtime.h), for the console and `loudva serve` alike. Start: model
 * geometry, cluster and cost tables, agents (embedded or emulated) or the
 * token (named cluster), engine thread, front end. Stop: every frame
 * answered first (so front-end threads waiting on requests are released),
 * then the front end, the agents, and the engine thread last — the
 * launcher borrows the cluster the engine owns.
 */
#include "runtime.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model/budget.h"
#include "model/cluster.h"
#include "commands.h"
#include "front/frontend.h"
#include "harness/launcher.h"
#include "model/model_config.h"
#include "base/file.h"
#include "base/util.h"

#define DEFAULT_MODEL_CONFIG LV_DEFAULT_MODEL_CONFIG

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

/* Cluster, costs, and the agents (embedded) or the token (named). */
static int setup_cluster(const struct lv_runtime_opts *o, struct lv_runtime *rt,
                         struct lv_cluster **cp, char **why)
{
	const char *pred = o->predictor ? o->predictor : LV_DEFAULT_PREDICTOR_CACHE;
	struct lv_cluster *c = lv_cluster_load(rt->cluster_path, why);
	if (!c)
		return LV_EXIT_USAGE;
	*cp = c;
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
	rt->launcher = lv_launcher_start(c, &lc, why);
	free(agent);
	if (!rt->launcher)
		return LV_EXIT_FAIL;
	rt->token = lv_xstrdup(lv_launcher_token(rt->launcher));
	return LV_EXIT_OK;
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
	{ .name = "keep-logs",
	  .kind = LV_OPT_SET,
	  .offset = O(keep_logs),
	  .help = "keep the embedded agents' logs (their directory is printed)" },
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

int lv_runtime_start(const struct lv_runtime_opts *o, struct lv_runtime *rt, char **why)
{
	struct lv_cluster *c = NULL;
	struct lv_live_config cfg;
	memset(rt, 0, sizeof(*rt));
	lv_live_config_default(&cfg);
	rt->cluster_path = lv_xstrdup(o->cluster ? o->cluster : LV_DEFAULT_CLUSTER);
	int rc = LV_EXIT_USAGE;
	if (lv_model_info_load(o->model_config ? o->model_config : DEFAULT_MODEL_CONFIG, &cfg.model,
	                       why))
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
		lv_frontend_limits_default(&lim);
		if (o->max_budget_s > 0)
			lim.max_budget_s = o->max_budget_s;
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
	}
	rc = LV_EXIT_OK;
out:
	if (rc != LV_EXIT_OK) {
		lv_runtime_stop(rt);
		lv_cluster_free(c);
	}
	return rc;
}

void lv_runtime_poll(struct lv_runtime *rt)
{
	if (rt->launcher)
		lv_launcher_poll(rt->launcher);
}

void lv_runtime_shutdown(struct lv_runtime *rt)
{
	if (rt->shut)
		return;
	rt->shut = 1;
	if (rt->live)
		lv_live_shutdown(rt->live);
	if (rt->frontend) {
		/*
		 * Every request is answered now; give the connection threads a
		 * moment to write the answers, as libmicrohttpd's stop closes
		 * connections without flushing them.
		 */
		struct timespec ts = { 0, 300 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
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
