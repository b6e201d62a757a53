/*
 * runtime: the live controller as one unit — the cluster and its cost
 * tables, the embedded emulated agents when no cluster is named
 * (launcher.h), the engine thread (live.h) and the HTTP front end
 * (frontend.h) — started and stopped in the one right order. The console
 * is a consumer of its snapshots and a producer of its commands; `loudva
 * serve` runs the same pieces headless.
 *
 * Threads: lv_runtime_start must run on the program's main thread (the
 * launcher's agents die with the thread that forked them).
 */
#ifndef LV_RUNTIME_H
#define LV_RUNTIME_H

#include "model/cost.h"
#include "live/live.h"

struct lv_launcher;
struct lv_frontend;

struct lv_runtime_opts {
	const char *cluster;      /* a cluster file; NULL: the embedded thesis cluster */
	const char *policy;       /* [loud] */
	enum lv_cost_mode mode;   /* [pred] */
	const char *listen;       /* front end address; NULL: the default; "none": no front end */
	const char *agent;        /* loudva-agent [beside this program] */
	const char *predictor;    /* [LV_DEFAULT_PREDICTOR_CACHE] */
	const char *model_config; /* [model_repository/inception_graphdef/config.pbtxt] */
	const char *token_file;   /* [the cluster's "token_file"] */
	const char *db;           /* SQLite store, NULL none */
	int keep_logs;            /* keep the embedded agents' logs */
};

struct lv_runtime {
	struct lv_live *live;
	struct lv_launcher *launcher; /* NULL for a named cluster */
	struct lv_frontend *frontend; /* NULL when off or the address was taken */
	char *frontend_error;         /* why the front end is not running, or NULL */
	struct lv_model_info model;
	char *cluster_path; /* the cluster file in use */
	char *token;
};

/*
 * Starts everything. LV_EXIT_OK, or LV_EXIT_USAGE (bad file, policy, ...)
 * / LV_EXIT_FAIL (agents would not start) with *why; what was started is
 * stopped again. A front end that cannot listen is not fatal: the runtime
 * runs without it and frontend_error says why.
 */
int lv_runtime_start(const struct lv_runtime_opts *o, struct lv_runtime *rt, char **why);

/* Answers every frame (lv_live_shutdown), stops the front end, the agents and the engine. */
void lv_runtime_stop(struct lv_runtime *rt);

/* `name` in this executable's directory (loudva-agent, loudva); `name` alone if unknown. Caller
 * frees. */
char *lv_runtime_self_dir_file(const char *name);

#endif
