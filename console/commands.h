/*
 * commands: the `loudva` subcommands. Each takes the arguments after the
 * program name (argv[0] is the subcommand's own name) and returns the exit
 * status: 0 success, 1 a runtime failure, 2 bad input (usage, files, values).
 * Errors go to stderr as one line naming what was wrong and where.
 */
#ifndef LV_COMMANDS_H
#define LV_COMMANDS_H

#include "model/cost.h"
#include "opts.h"

enum {
	LV_EXIT_OK = 0,
	LV_EXIT_FAIL = 1,
	LV_EXIT_USAGE = 2,
};

/*
 * Prints "loudva CMD: <message>" on stderr, one line, and returns
 * LV_EXIT_USAGE, so a parser can `return lv_cmd_bad("sim", "...", ...)`.
 */
/*
 * A data file the user named, or a default: as given when it exists from the
 * working directory (or is absolute), else from the data search path. NULL
 * gives NULL. Caller frees.
 */
char *lv_cmd_data(const char *path);

/*
 * The predictor cache: PATH as given, unless it is NULL or the default
 * (LV_DEFAULT_PREDICTOR_CACHE), which becomes the checkout's
 * profiles/.cache/predictor.json or $XDG_CACHE_HOME/loudva/predictor.json.
 * Caller frees.
 */
char *lv_cmd_predictor_cache(const char *path);

/*
 * Where results go by default: results/ in a checkout's root (the working
 * directory), else $XDG_STATE_HOME/loudva/results. Caller frees.
 */
char *lv_cmd_results_dir(void);

int lv_cmd_bad(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The options of the commands that build cost tables from a cluster file
 * (sim, demo, decide): --cluster, --mode and --predictor, as the rows of
 * lv_cmd_costs_opts, which a command's table includes at the offset of its
 * struct lv_cmd_costs. The command sets the defaults; usage shows --mode's.
 */
struct lv_cmd_costs {
	const char *cluster;    /* [LV_DEFAULT_CLUSTER] */
	const char *predictor;  /* [LV_DEFAULT_PREDICTOR_CACHE] */
	enum lv_cost_mode mode; /* cost tables */
};
extern const struct lv_opt lv_cmd_costs_opts[];

/*
 * --mode pred|fill|prof, one row for an enum lv_cost_mode: a table includes
 * it at the offset of its mode field; usage shows the field's default.
 */
extern const struct lv_opt lv_cmd_mode_opts[];

/* --policy NAME[:k=v,..], one row for a const char * (NULL or "loud": loud). */
extern const struct lv_opt lv_cmd_policy_opts[];

/* --json, one row for an int set to 1. */
extern const struct lv_opt lv_cmd_json_opts[];

/* --duration S, one row for a double: a positive number of seconds (0: not given). */
extern const struct lv_opt lv_cmd_duration_opts[];

/*
 * Loads the cluster file and builds its cost tables as `costs` says, as
 * the simulating subcommands start. NULL after one line on stderr
 * ("loudva CMD: ..."), *rc then LV_EXIT_USAGE for a bad file, LV_EXIT_FAIL
 * when the costs cannot be built.
 */
struct lv_cluster;
struct lv_cluster *lv_cmd_cluster(const char *cmd, const struct lv_cmd_costs *costs, int *rc);

int lv_cmd_decide(int argc, char **argv);
int lv_cmd_profile(int argc, char **argv);
int lv_cmd_twin(int argc, char **argv);
int lv_cmd_predictor(int argc, char **argv);
int lv_cmd_trace(int argc, char **argv);
int lv_cmd_sim(int argc, char **argv);
int lv_cmd_demo(int argc, char **argv);
int lv_cmd_console(int argc, char **argv); /* `loudva` / `loudva console`: the ncurses console */
int lv_cmd_load(int argc, char **argv);
int lv_cmd_setup(int argc, char **argv);
int lv_cmd_serve(int argc, char **argv);
int lv_cmd_batch(int argc, char **argv);  /* `loudva --batch SPEC [opts]`: argv[0] is "--batch" */
int lv_cmd_report(int argc, char **argv); /* `loudva report DB` */

/*
 * Default locations. The data (profiles, cluster files, the model
 * repository, experiment specs) is looked up on the data search path
 * (base/datapath.h: --data-dir, $LOUDVA_DATA_DIR, the source tree, the XDG
 * data dirs, the install prefix); the predictor cache goes to the source
 * tree's profiles/.cache/ or $XDG_CACHE_HOME/loudva/.
 */
#define LV_DEFAULT_PROFILES_DIR    "profiles"
#define LV_DEFAULT_CLUSTER         "profiles/clusters/thesis.json"
#define LV_DEFAULT_DATA_DIR        "../shared/data/jetson-measurements"
#define LV_DEFAULT_RUNS_DIR        "../shared/data/thesis-experiment-1"
#define LV_DEFAULT_PREDICTOR_CACHE "profiles/.cache/predictor.json"

#endif
