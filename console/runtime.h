/*
 * runtime: the live controller as one unit — the cluster and its cost
 * tables, the embedded emulated agents when no cluster is named or it is
 * to be emulated (launcher.h), the engine thread (live.h) and the HTTP
 * front end (frontend.h) — started and stopped in the one right order. The
 * console (cmd_console.c) is a consumer of its snapshots and a producer of
 * its commands; `loudva serve` (cmd_serve.c) runs the same pieces headless.
 * Both start and stop through this file and nowhere else.
 *
 * Life cycle: lv_runtime_start; lv_runtime_poll now and then while it runs;
 * lv_runtime_shutdown, after which the engine's results (lv_live_result,
 * snapshots, the event log) are final and still readable; lv_runtime_stop.
 * lv_runtime_stop does the shutdown itself when it was not done.
 *
 * Threads: lv_runtime_start must run on the program's main thread (the
 * launcher's agents die with the thread that forked them); every other
 * call from the same thread.
 *
 * Signals. SIGINT, SIGTERM and SIGHUP all mean the same to both programs:
 * the orderly stop (SIGHUP reloads nothing: a closed terminal, or a process
 * manager's "stop", must not leave frames unanswered or clocks pinned). The
 * handler only records the signal (lv_runtime_stop_signal); the program's
 * loop sees it and stops through lv_runtime_shutdown. They are held
 * (blocked) from lv_runtime_signals_hold, before lv_runtime_start, to
 * lv_runtime_signals_release, after it: every thread the runtime starts
 * inherits them blocked, so they reach the main thread's sleep or poll and
 * interrupt nothing else, and one sent during the start waits for the start
 * to finish (it would otherwise kill the program before it could stop its
 * agents). SIGPIPE is ignored: a reader that went away (a closed pipe on
 * stdout or stderr, a client gone) is an error on that write, never the end
 * of the controller.
 */
#ifndef LV_RUNTIME_H
#define LV_RUNTIME_H

#include "model/cost.h"
#include "live/live.h"
#include "opts.h"

struct lv_launcher;
struct lv_frontend;

struct lv_runtime_opts {
	const char *cluster;      /* a cluster file; NULL: the embedded thesis cluster */
	int emulate;              /* 1: emulate the named cluster's devices on loopback */
	const char *policy;       /* [loud] */
	enum lv_cost_mode mode;   /* [pred] */
	const char *listen;       /* front end address [default]; "none": off, unless required */
	int frontend_required;    /* 1: a front end that cannot listen fails the start */
	const char *agent;        /* loudva-agent [beside this program] */
	const char *predictor;    /* [LV_DEFAULT_PREDICTOR_CACHE] */
	const char *model_config; /* [model_repository/inception_graphdef/config.pbtxt] */
	const char *token_file;   /* [the cluster's "token_file"] */
	const char *control_token_file; /* the control API's bearer token; NULL: no changes */
	const char *db;                 /* SQLite store, NULL none */
	int keep_logs;                  /* keep the embedded agents' logs */
	double window_lead_s;           /* lv_live_config's: the result's window opens this early */
	int no_shm; /* every batch in its HTTP body (lv_live_config's shm_off) */
	/* The front end's admission limits (struct lv_frontend_limits); 0: its default. */
	long max_connections;
	long max_connections_per_client;
	double header_timeout_s;
	double body_timeout_s;
	long max_buffered_bytes;
	long max_request_pixels;
	double max_budget_s; /* the largest latency budget a client may give, s */
};

struct lv_runtime {
	struct lv_live *live;
	struct lv_launcher *launcher; /* NULL for a named cluster not emulated */
	struct lv_frontend *frontend; /* NULL when off or the address was taken */
	char *frontend_error;         /* why the front end is not running, or NULL */
	const char *listen;           /* the front end's address as asked (borrowed from opts) */
	struct lv_model_info model;
	char *cluster_path; /* the cluster file in use */
	char *token;
	int shut; /* lv_runtime_shutdown has run */
};

/*
 * The options the console and `loudva serve` share, as rows for the option
 * parser (opts.h), their offsets relative to a struct lv_runtime_opts:
 * --cluster, --policy, --mode, --db, --agent, --predictor, --token-file,
 * --keep-logs, and the front end's limits (--max-connections,
 * --max-connections-per-client, --header-timeout, --body-timeout,
 * --max-buffered-bytes, --max-request-pixels, --max-budget). Each command includes them
 * with an LV_OPT_INCLUDE row and adds its own.
 */
extern const struct lv_opt lv_runtime_opt_rows[];

/*
 * Starts everything. LV_EXIT_OK, or LV_EXIT_USAGE (bad file, policy, ...)
 * / LV_EXIT_FAIL (agents would not start; the front end could not listen
 * and o->frontend_required) with *why; what was started is stopped again
 * and *rt is cleared. Without frontend_required a front end that cannot
 * listen is not fatal: the runtime runs without it and frontend_error says
 * why. `o` must outlive rt (rt->listen borrows from it).
 */
int lv_runtime_start(const struct lv_runtime_opts *o, struct lv_runtime *rt, char **why);

/*
 * Looks after the embedded agents: one that died is restarted on its port
 * after a back-off (launcher.h: 0.5 s, doubling to 30 s, from 0.5 s again
 * after a minute's run), the controller is told (lv_live_device_restarted:
 * it forgets the clock it set and its shared-memory regions, and counts the
 * restart in /status and /metrics), and both are written to the
 * controller's event log (the console's Log view, serve's stderr). Call it
 * a few times a second. It waits for no agent (a restart is a fork; the
 * controller's probes find the new agent), only, briefly, for the engine
 * thread to take the news.
 */
void lv_runtime_poll(struct lv_runtime *rt);

/*
 * Installs the stop handler for SIGINT, SIGTERM and SIGHUP (SIGHUP left
 * alone when it is ignored, as under nohup), ignores SIGPIPE and blocks the
 * three in the calling thread (the main thread, before lv_runtime_start).
 */
void lv_runtime_signals_hold(void);

/* Unblocks them in the calling thread; one that came meanwhile is delivered now. */
void lv_runtime_signals_release(void);

/* The signal that asked to stop (SIGINT, SIGTERM, SIGHUP), 0 while none has. */
int lv_runtime_stop_signal(void);

/* "SIGINT", "SIGTERM", "SIGHUP" for those three, "a signal" otherwise (static). */
const char *lv_runtime_signal_name(int sig);

/*
 * The orderly stop, short of the engine: every frame is answered
 * (lv_live_shutdown, which gives every clock it set back to the device's
 * governor), the answers are given a moment to reach the front end's
 * clients, the front end stops, and the embedded agents stop (their
 * directory is removed). The engine's result, snapshots and event log stay
 * readable until lv_runtime_stop. Idempotent.
 */
void lv_runtime_shutdown(struct lv_runtime *rt);

/* lv_runtime_shutdown if not done, then the engine thread stops and the store is closed; frees
 * and clears *rt. Accepts a cleared or never-started rt. */
void lv_runtime_stop(struct lv_runtime *rt);

/* `name` in this executable's directory (loudva-agent, loudva); `name` alone if unknown. Caller
 * frees. */
char *lv_runtime_self_dir_file(const char *name);

#endif
