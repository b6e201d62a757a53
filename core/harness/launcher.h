/*
 * launcher: the embedded emulated cluster — one `loudva-agent --emulate`
 * process per device of a cluster, on loopback ports picked free at start,
 * sharing a bearer token generated into a private directory.
 *
 * Ownership of processes. All agents run in one process group of their own
 * (so a terminal's Ctrl-C reaches only the controller, which stops them in
 * order) and each asks the kernel for SIGKILL when its parent dies
 * (PR_SET_PDEATHSIG), so a controller that crashes leaves no orphans.
 * Linux delivers that signal when the *thread* that forked exits, so call
 * lv_launcher_start and lv_launcher_restart from a thread that outlives the
 * cluster (the program's main thread).
 *
 * Files. A directory made with mkdtemp (mode 0700) holds the token (0600),
 * each kind's profile as the controller loaded it and a cluster file naming
 * them (so agents emulate from the very cost tables the controller
 * schedules with: same profiles, same cost mode, same predictor), and one
 * log per agent (<device>.log). lv_launcher_stop removes it.
 *
 * Ports. Each agent binds port 0 and writes the port it got to a file
 * (--port-file), so no port is guessed; a restarted agent asks for the
 * port it had.
 *
 * Restarts. With cfg.restart, lv_launcher_poll starts an agent that died
 * again on its port with the same token, after a back-off: restart_min_s
 * after its first death, doubling with each death that follows to at most
 * restart_max_s, and back to restart_min_s once an agent has run for
 * restart_reset_s before dying. It does not wait for the new agent to
 * answer (the controller's health probes find it back); one that exits at
 * once is simply another death. What happened comes back as events for the
 * caller to show; the controller must be told that the device restarted
 * (it forgets the clock the controller set and its shared-memory regions).
 */
#ifndef LV_LAUNCHER_H
#define LV_LAUNCHER_H

#include <sys/types.h>

struct lv_cluster;
struct lv_launcher;

struct lv_launcher_config {
	const char *agent_path;     /* the loudva-agent executable */
	const char *tmp_parent;     /* where to make the private directory [$TMPDIR or /tmp] */
	double start_timeout_s;     /* how long each agent may take to answer /healthz [15] */
	const char *predictor_path; /* pred/fill emulation: the predictor cache [none] */
	int keep_dir;               /* keep the directory (logs) after stop [0] */
	int restart;                /* lv_launcher_poll restarts agents that died [0] */
	double restart_min_s;       /* the back-off after a first death, s [0.5] */
	double restart_max_s;       /* its ceiling, s [30] */
	double restart_reset_s;     /* an agent that ran this long starts over at the min [60] */
	/* The model the agents emulate; a device whose wire is not fp32 gets the
	 * model's ensemble for its format, <model>_uint8 or <model>_jpeg
	 * (model_repository/) ["inception_graphdef"] */
	const char *model;
};

void lv_launcher_config_default(struct lv_launcher_config *cfg);

/*
 * Starts one emulated agent per device of c (borrowed; must outlive the
 * launcher) and rewrites each device's agent and triton URLs to
 * http://127.0.0.1:<port>. Returns when every agent answers GET /healthz.
 * NULL with *why (the agent that failed and the tail of its log) on error;
 * agents already started are stopped again.
 */
struct lv_launcher *lv_launcher_start(struct lv_cluster *c, const struct lv_launcher_config *cfg,
                                      char **why);

/* The bearer token (borrowed) and the file holding it (borrowed). */
const char *lv_launcher_token(const struct lv_launcher *l);
const char *lv_launcher_token_file(const struct lv_launcher *l);
/* The private directory (borrowed). */
const char *lv_launcher_dir(const struct lv_launcher *l);

/* Device i's agent: its process id (-1 when not running) and port. */
pid_t lv_launcher_pid(const struct lv_launcher *l, size_t i);
int lv_launcher_port(const struct lv_launcher *l, size_t i);
/* The command line that starts device i's agent, for logs and operators. Caller frees. */
char *lv_launcher_command(const struct lv_launcher *l, size_t i);

/*
 * Restarts device i's agent on its port (after it died or was killed;
 * a running one is stopped first). Waits for /healthz. 0 or LV_EIO with *why.
 */
int lv_launcher_restart(struct lv_launcher *l, size_t i, char **why);

enum lv_launcher_event_kind {
	LV_LAUNCHER_EXITED = 1,    /* an agent exited on its own (or was killed) */
	LV_LAUNCHER_RESTARTED = 2, /* a new agent was started in its place */
	LV_LAUNCHER_FAILED = 3,    /* it could not be started (fork, its log): tried again later */
};

#define LV_LAUNCHER_EVENT_TEXT 160

/* What lv_launcher_poll did or saw, for the controller's event log. */
struct lv_launcher_event {
	enum lv_launcher_event_kind kind;
	size_t device;     /* index into the cluster's devices */
	pid_t pid;         /* EXITED: the one that exited; RESTARTED: the new one; else -1 */
	double delay_s;    /* EXITED, FAILED: the next start comes this long after now_s;
	                    * INFINITY without cfg.restart */
	unsigned restarts; /* the device's restarts so far, this one included */
	char text[LV_LAUNCHER_EVENT_TEXT]; /* one line: how it ended, its log's last words */
};

/*
 * Reaps agents that exited on their own and, with cfg.restart, starts each
 * again once its back-off has passed (see the file comment). now_s is the
 * monotonic clock (base/clock.h's lv_mono_s; a test may pass a later time
 * to step through the back-offs). Up to max events go to ev, oldest first;
 * returns how many. Stops early rather than lose one: what it had no room
 * to report is done at the next call. Never blocks (a start is a fork).
 */
size_t lv_launcher_poll(struct lv_launcher *l, double now_s, struct lv_launcher_event *ev,
                        size_t max);

/* Device i's agent's restarts so far (by lv_launcher_poll or lv_launcher_restart). */
unsigned lv_launcher_restarts(const struct lv_launcher *l, size_t i);

/*
 * Stops every agent (SIGTERM to the group, SIGKILL after 3 s), reaps them,
 * removes the directory and frees. Accepts NULL.
 */
void lv_launcher_stop(struct lv_launcher *l);

/* loudva-agent beside the running executable ("loudva-agent" if that cannot be told). Caller frees.
 */
char *lv_launcher_default_agent(void);

/*
 * The token in a token file: its first line, surrounding blanks trimmed.
 * Caller frees; NULL with *why for an unreadable or empty file.
 */
char *lv_token_file_read(const char *path, char **why);

#endif
