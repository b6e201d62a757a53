/*
 * cmd_batch: `loudva --batch SPEC.json [--out DIR] [--jobs N]` — runs an
 * experiment's matrix on the simulator (or, for "mode": "live", cell by cell
 * on a live cluster, batch_live.c) and writes its report directory.
 *
 * Everything the spec names is loaded and checked before the first run; bad
 * input is one line on stderr and exit 2. A live spec on a running cluster
 * (--cluster, or "agents": "cluster") has its devices checked too, before
 * the report directory is made (batch_cluster.c), and its clocks put back
 * as found however the batch ends. The matrix runs in forked worker
 * processes (--jobs at a time, one run each); a worker writes its result
 * (and, in the final pass, its scratch database) under OUT.tmp-<pid>/cells/,
 * and the parent reads them back in matrix order, so the report does not
 * depend on --jobs. With the common window (the default) the matrix runs
 * twice: pass 1 finds each trace instance's longest window, pass 2 runs
 * every policy over it.
 *
 * OUT is built in OUT.tmp-<pid> and renamed into place at the end (an old
 * OUT report is replaced). SIGINT or SIGTERM stops the workers and leaves
 * OUT.incomplete/ with a file INCOMPLETE saying how far it got — never a
 * half report at OUT. Wall times and host details go to run-info.json, so
 * report.json is the same bytes for the same spec.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "commands.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "exp/experiment.h"
#include "harness/launcher.h"
#include "model/model_config.h"
#include "plot.h"
#include "store/store.h"
#include "base/clock.h"
#include "base/datapath.h"
#include "base/file.h"
#include "base/util.h"

/* The signal that asked us to stop (0: none); only the handler writes it. */
static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

#define O(field) offsetof(struct lv_batch, field)
static const struct lv_opt batch_opts[] = {
	{ .name = "out",
	  .kind = LV_OPT_STR,
	  .offset = O(out),
	  .arg = "DIR",
	  .flags = LV_OPT_NONEMPTY,
	  .help = "report directory [results/<spec name>]" },
	{ .name = "jobs",
	  .kind = LV_OPT_INT,
	  .offset = O(jobs),
	  .arg = "N",
	  .min = 1,
	  .max = 256,
	  .what = "a number of processes in 1..256",
	  .help = "runs in parallel, 1..256 [1]; a live spec runs one at a time" },
	{ .name = "cluster",
	  .kind = LV_OPT_STR,
	  .offset = O(cluster),
	  .arg = "FILE",
	  .flags = LV_OPT_NONEMPTY,
	  .help = "live: run on the running cluster FILE (its devices, URLs\n"
	          "and token file) instead of the spec's cluster and agents" },
	{ .name = "token-file",
	  .kind = LV_OPT_STR,
	  .offset = O(token_file),
	  .arg = "FILE",
	  .flags = LV_OPT_NONEMPTY,
	  .help = "live, cluster: the agents' bearer token [FILE's \"token_file\"]" },
	{ .name = "emulate",
	  .kind = LV_OPT_SET,
	  .offset = O(emulate),
	  .help = "live: embedded emulated agents, even if the spec says cluster" },
	{ .name = "agent",
	  .kind = LV_OPT_STR,
	  .offset = O(agent),
	  .arg = "PATH",
	  .flags = LV_OPT_NONEMPTY,
	  .help = "live, embedded: the loudva-agent to start [beside loudva]" },
	{ .name = "quiet",
	  .kind = LV_OPT_SET,
	  .offset = O(quiet),
	  .help = "no progress on stderr" },
	{ .name = "no-plots",
	  .kind = LV_OPT_SET,
	  .offset = O(no_plots),
	  .help = "skip the figures" },
	{ 0 },
};
#undef O

static const struct lv_opt_spec batch_spec = {
	.cmd = "--batch",
	.about = "Runs the experiment SPEC.json describes (experiments/README.md): every trace\n"
	         "against every policy, then writes DIR/report.json, report.csv, summary.csv,\n"
	         "loudva.db (every frame and batch; live: every telemetry sample too),\n"
	         "run-info.json and plots/, and prints the comparison table.\n"
	         "\n"
	         "A spec with \"mode\": \"sim\" (the default) runs on the simulator. One with\n"
	         "\"mode\": \"live\" runs on live devices, one cell at a time in wall-clock time,\n"
	         "into the same report:\n"
	         "  embedded   (\"agents\": \"embedded\", the default) each cell starts one\n"
	         "             emulated loudva-agent per device of the spec's cluster file on\n"
	         "             loopback and stops them after it;\n"
	         "  cluster    (\"agents\": \"cluster\", or --cluster FILE) the cells run on the\n"
	         "             agents and Triton servers already running at the cluster file's\n"
	         "             URLs, with the token its \"token_file\" holds. Every device is\n"
	         "             checked before the first cell and before each one (agent and\n"
	         "             Triton answer, kind as the file says, model ready, token taken);\n"
	         "             a failure names the device, the URL and what was wrong, with\n"
	         "             nothing written (exit 1; exit 2 for a device without an agent\n"
	         "             URL or an unreadable token file).\n"
	         "             Clocks are released to the governor before and after each cell\n"
	         "             and put back as found at the end; agents are never stopped.",
	.opts = batch_opts,
	.operand = "SPEC.json",
	.operand_what = "a spec",
	.operand_offset = offsetof(struct lv_batch, spec),
	.epilog = "Examples:\n"
	          "  loudva --batch experiments/tiny.json --jobs 4\n"
	          "  loudva --batch experiments/live-tiny.json --out /tmp/live-tiny\n"
	          "  loudva --batch experiments/live-tiny.json --cluster lab.json",
};

/* Parses argv (argv[0] is "--batch"); 0, 1 after --help, or LV_EXIT_USAGE. */
static int parse(int argc, char **argv, struct lv_batch *b)
{
	return lv_opts_parse(&batch_spec, argc, argv, b);
}

/* ---- the report directory ------------------------------------------------ */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* rm -rf of a directory this command made (or an old report it replaces). */
static void rmtree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int is_empty_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *de;
	int empty = 1;
	while (empty && (de = readdir(d)))
		empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
	closedir(d);
	return empty;
}

/* Settles OUT and makes OUT.tmp-<pid>/cells; LV_EXIT_USAGE (message printed) when it can't. */
static int prepare_out(struct lv_batch *b)
{
	if (b->out) {
		b->out_dir = lv_xstrdup(b->out);
	} else {
		char *results = lv_cmd_results_dir(), *why = NULL;
		if (lv_mkdir_p(results, &why) != LV_OK) {
			int rc = lv_cmd_bad("--batch", "%s (give --out DIR)", why);
			free(why);
			free(results);
			return rc;
		}
		b->out_dir = lv_path_join(results, b->e->spec.name);
		free(results);
	}
	size_t n = strlen(b->out_dir);
	while (n > 1 && b->out_dir[n - 1] == '/')
		b->out_dir[--n] = '\0';
	struct stat st;
	if (stat(b->out_dir, &st) == 0) {
		char *rep = lv_path_join(b->out_dir, "report.json");
		int is_report = access(rep, F_OK) == 0;
		free(rep);
		if (!S_ISDIR(st.st_mode))
			return lv_cmd_bad("--batch", "--out %s: exists and is not a directory",
			                  b->out_dir);
		if (!is_report && !is_empty_dir(b->out_dir))
			return lv_cmd_bad(
			    "--batch",
			    "--out %s: exists and is not a loudva report (no report.json);"
			    " choose another directory",
			    b->out_dir);
	}
	b->tmp_dir = lv_xasprintf("%s.tmp-%ld", b->out_dir, (long)getpid());
	if (mkdir(b->tmp_dir, 0777) != 0)
		return lv_cmd_bad("--batch", "--out %s: cannot create %s: %s", b->out_dir,
		                  b->tmp_dir, strerror(errno));
	b->work_dir = lv_path_join(b->tmp_dir, "cells");
	if (mkdir(b->work_dir, 0777) != 0) {
		int err = errno;
		rmtree(b->tmp_dir);
		return lv_cmd_bad("--batch", "--out %s: cannot create %s: %s", b->out_dir,
		                  b->work_dir, strerror(err));
	}
	return 0;
}

/* Moves the finished report into place, replacing an old one. */
static int publish(struct lv_batch *b, char **why)
{
	char *old = NULL;
	struct stat st;
	int rc = LV_OK;
	if (stat(b->out_dir, &st) == 0) {
		old = lv_xasprintf("%s.old-%ld", b->out_dir, (long)getpid());
		if (rename(b->out_dir, old) != 0)
			rc = lv_fail(why, LV_EIO, "%s: cannot move the old report aside: %s",
			             b->out_dir, strerror(errno));
	}
	if (rc == LV_OK && rename(b->tmp_dir, b->out_dir) != 0) {
		rc = lv_fail(why, LV_EIO, "%s: cannot rename %s into place: %s", b->out_dir,
		             b->tmp_dir, strerror(errno));
		if (old)
			rename(old, b->out_dir);
	}
	if (rc == LV_OK && old)
		rmtree(old);
	free(old);
	return rc;
}

/* Leaves OUT.incomplete/ (the work so far) with a marker saying why; no report. */
static void abandon(struct lv_batch *b, const char *reason)
{
	char *inc = lv_xasprintf("%s.incomplete", b->out_dir);
	rmtree(inc);
	const char *where = inc;
	if (rename(b->tmp_dir, inc) != 0)
		where = b->tmp_dir;
	char *marker = lv_path_join(where, "INCOMPLETE");
	char *text = lv_xasprintf("%s after %zu of %zu runs of %s; no report was written\n", reason,
	                          b->finished, b->e->n_cells, b->spec);
	lv_write_file_atomic(marker, text, strlen(text), NULL);
	fprintf(stderr,
	        "loudva --batch: %s; partial work in %s/ (marked INCOMPLETE), no report at %s\n",
	        reason, where, b->out_dir);
	free(text);
	free(marker);
	free(inc);
}

/* ---- the passes and the report -------------------------------------------- */

/* After pass 1: each trace instance's common window is its runs' longest. */
static int set_windows(struct lv_batch *b, char **why)
{
	struct lv_experiment *e = b->e;
	for (size_t c = 0; c < e->n_cells; c++) {
		struct lv_exp_result r;
		char *path = lv_batch_work_path(b, c, "json");
		int rc = lv_exp_result_load(path, &r, why);
		unlink(path);
		free(path);
		if (rc != LV_OK)
			return rc;
		size_t in = e->cells[c].instance;
		if (r.m.window_s > e->window_s[in])
			lv_experiment_set_window(e, in, r.m.window_s);
		lv_exp_result_fini(&r);
	}
	return LV_OK;
}

static int write_text(const char *dir, const char *name, const char *text, char **why)
{
	char *path = lv_path_join(dir, name);
	int rc = lv_write_file_atomic(path, text, strlen(text), why);
	free(path);
	return rc;
}

/* Merges the workers' stores in matrix order and reads their results back. */
static int collect(struct lv_batch *b, struct lv_store *st, struct lv_exp_result *res, char **why)
{
	for (size_t c = 0; c < b->e->n_cells; c++) {
		char *db = lv_batch_work_path(b, c, "db");
		char *json = lv_batch_work_path(b, c, "json");
		int rc = lv_store_merge(st, db, why);
		if (rc == LV_OK)
			rc = lv_exp_result_load(json, &res[c], why);
		unlink(db);
		free(db);
		free(json);
		if (rc != LV_OK)
			return rc;
	}
	return LV_OK;
}

static void write_run_info(struct lv_batch *b, time_t started, double wall_s, const char *plots)
{
	char host[256] = "?", t0[32], t1[32];
	time_t now = time(NULL);
	gethostname(host, sizeof(host) - 1);
	strftime(t0, sizeof(t0), "%Y-%m-%dT%H:%M:%SZ", gmtime(&started));
	strftime(t1, sizeof(t1), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "spec", b->spec);
	cJSON_AddStringToObject(o, "out", b->out_dir);
	cJSON_AddStringToObject(o, "started_utc", t0);
	cJSON_AddStringToObject(o, "finished_utc", t1);
	cJSON_AddNumberToObject(o, "wall_s", wall_s);
	cJSON_AddNumberToObject(o, "jobs", b->jobs);
	cJSON_AddNumberToObject(o, "passes", b->passes);
	cJSON_AddStringToObject(o, "host", host);
	cJSON_AddNumberToObject(o, "pid", (double)getpid());
	cJSON_AddStringToObject(o, "plots", plots);
	if (b->e->spec.live) {
		cJSON *lj = b->bc ? lv_batch_cluster_json(b->bc) : cJSON_CreateObject();
		cJSON_AddStringToObject(lj, "agents", b->bc ? "cluster" : "embedded");
		if (!b->bc) {
			char *agent = b->agent ? lv_xstrdup(b->agent) : lv_launcher_default_agent();
			cJSON_AddStringToObject(lj, "file", b->e->spec.cluster_path);
			cJSON_AddStringToObject(lj, "agent", agent);
			free(agent);
		}
		cJSON_AddItemToObject(o, "live", lj);
	}
	cJSON *runs = cJSON_AddArrayToObject(o, "runs");
	for (size_t c = 0; c < b->e->n_cells; c++) {
		cJSON *r = cJSON_CreateObject();
		cJSON_AddNumberToObject(r, "run", (double)c + 1);
		cJSON_AddNumberToObject(r, "wall_s", b->wall_s[c]);
		cJSON_AddItemToArray(runs, r);
	}
	char *text = cJSON_Print(o);
	cJSON_Delete(o);
	write_text(b->tmp_dir, "run-info.json", text, NULL);
	free(text);
}

/*
 * Builds the report in tmp_dir: loudva.db, report.json, report.csv,
 * summary.csv, table.txt and plots/. *table_out gets the table (caller frees),
 * *plots_out a note on the figures.
 */
static int build_report(struct lv_batch *b, char **table_out, char **plots_out, char **why)
{
	struct lv_experiment *e = b->e;
	struct lv_exp_result *res = lv_xcalloc(e->n_cells, sizeof(*res));
	struct lv_exp_summary *sum = NULL;
	char *db = lv_path_join(b->tmp_dir, "loudva.db");
	struct lv_store *st = lv_store_open(db, 0, why);
	int rc = st ? collect(b, st, res, why) : LV_EIO;
	if (rc == LV_OK) {
		sum = lv_exp_summarise(e, res);
		char *docs[4] = { lv_exp_report_json(e, res, sum), lv_exp_report_csv(e, res),
			          lv_exp_summary_csv(e, sum), lv_exp_report_table(e, sum) };
		const char *names[4] = { "report.json", "report.csv", "summary.csv", "table.txt" };
		for (int i = 0; i < 4; i++) {
			if (rc == LV_OK)
				rc = write_text(b->tmp_dir, names[i], docs[i], why);
			if (i < 3)
				free(docs[i]);
		}
		*table_out = docs[3];
	}
	if (rc == LV_OK && b->no_plots) {
		*plots_out = lv_xstrdup("skipped (--no-plots)");
	} else if (rc == LV_OK) {
		char *dir = lv_path_join(b->tmp_dir, "plots");
		char *pw = NULL;
		int prc = mkdir(dir, 0777) == 0
		              ? lv_plot_experiment(e, res, sum, st, dir, &pw)
		              : lv_fail(&pw, LV_EIO, "%s: %s", dir, strerror(errno));
		if (prc < 0)
			rc = lv_fail(why, prc, "plots: %s", pw);
		*plots_out = prc == 0 ? lv_xstrdup("drawn") : lv_xasprintf("not drawn: %s", pw);
		if (prc > 0)
			fprintf(stderr, "loudva --batch: warning: %s\n", pw);
		free(pw);
		free(dir);
	}
	if (lv_store_close(st, rc == LV_OK ? why : NULL) != LV_OK)
		rc = LV_ELIB;
	for (size_t c = 0; c < e->n_cells; c++)
		lv_exp_result_fini(&res[c]);
	free(res);
	free(sum);
	free(db);
	return rc;
}

/* The passes and the report; an exit status. tmp_dir exists. */
static int run_all(struct lv_batch *b)
{
	char *why = NULL, *table = NULL, *plots = NULL;
	time_t started = time(NULL);
	double t0 = lv_mono_s();
	int rc = 0;
	if (b->passes == 2) {
		rc = lv_batch_run_pass(b, 1, 0, &why);
		if (rc == 0 && set_windows(b, &why) != LV_OK)
			rc = -1;
	}
	if (rc == 0 && b->e->spec.live)
		rc = lv_batch_run_live(b, &why);
	else if (rc == 0)
		rc = lv_batch_run_pass(b, b->passes, 1, &why);
	if (rc == 0 && build_report(b, &table, &plots, &why) != LV_OK)
		rc = -1;
	if (rc == 0 && *b->stop)
		rc = 1;
	if (rc == 0) {
		write_run_info(b, started, lv_mono_s() - t0, plots);
		rmtree(b->work_dir);
		if (publish(b, &why) != LV_OK)
			rc = -1;
	}
	if (rc == 0) {
		fputs(table, stdout);
		fflush(stdout);
		if (!b->quiet)
			fprintf(stderr, "loudva --batch: report in %s/ (%zu runs, %.1f s)\n",
			        b->out_dir, b->e->n_cells, lv_mono_s() - t0);
	} else if (rc == 1) {
		char reason[64];
		snprintf(reason, sizeof(reason), "interrupted by %s",
		         *b->stop == SIGTERM ? "SIGTERM" : "SIGINT");
		abandon(b, reason);
	} else {
		fprintf(stderr, "loudva --batch: %s\n", why ? why : "failed");
		abandon(b, "failed");
	}
	free(why);
	free(table);
	free(plots);
	return rc == 0 ? LV_EXIT_OK : rc == 1 ? 128 + (int)*b->stop : LV_EXIT_FAIL;
}

/*
 * A live spec on a running cluster: the cluster file read and every device
 * checked (its clock released) before anything is written. An exit status;
 * the message is printed.
 */
static int open_cluster(struct lv_batch *b)
{
	struct lv_model_info mi;
	char *why = NULL;
	int code = LV_OK;
	char *model_config = lv_cmd_data(LV_DEFAULT_MODEL_CONFIG);
	int model_rc = lv_model_info_load(model_config, &mi, &why);
	free(model_config);
	if (model_rc != LV_OK) {
		fprintf(stderr, "loudva --batch: %s\n", why);
		free(why);
		return LV_EXIT_FAIL;
	}
	b->model = lv_xstrdup(mi.name);
	b->bc =
	    lv_batch_cluster_open(b->e->spec.cluster_path, b->token_file, b->model, &code, &why);
	if (!b->bc) {
		int rc = code == LV_ELIB ? LV_EXIT_FAIL : LV_EXIT_USAGE;
		if (rc == LV_EXIT_USAGE)
			lv_cmd_bad("--batch", "%s", why);
		else
			fprintf(stderr, "loudva --batch: %s\n", why);
		free(why);
		return rc;
	}
	if (!b->quiet)
		fprintf(stderr, "loudva --batch: checking the cluster %s (%zu devices)\n",
		        b->e->spec.cluster_path, lv_batch_cluster_size(b->bc));
	if (lv_batch_cluster_check(b->bc, b->model, &why) != LV_OK) {
		fprintf(stderr, "loudva --batch: cluster %s: %s; nothing was run\n",
		        b->e->spec.cluster_path, why);
		free(why);
		return LV_EXIT_FAIL;
	}
	return LV_EXIT_OK;
}

/* Puts a running cluster's clocks back as they were found; a warning when it cannot. */
static void close_cluster(struct lv_batch *b)
{
	char *why = NULL;
	if (b->bc && lv_batch_cluster_restore(b->bc, &why) != LV_OK)
		fprintf(stderr, "loudva --batch: warning: cluster %s: %s\n",
		        lv_batch_cluster_path(b->bc), why);
	free(why);
	lv_batch_cluster_free(b->bc);
	b->bc = NULL;
}

int lv_cmd_batch(int argc, char **argv)
{
	struct lv_batch b = { .jobs = 1, .stop = &stop_signal };
	char *why = NULL;
	int code = 0;
	stop_signal = 0;
	int rc = parse(argc, argv, &b);
	if (rc != 0)
		return rc == 1 ? LV_EXIT_OK : rc;
	b.tty = isatty(STDERR_FILENO);
	char *spec = lv_cmd_data(b.spec), *cluster = lv_cmd_data(b.cluster);
	char *pred = lv_cmd_predictor_cache(NULL);
	struct lv_exp_override ov = { cluster, -1, pred };
	if (b.emulate)
		ov.agents = LV_EXP_AGENTS_EMBEDDED;
	else if (b.cluster)
		ov.agents = LV_EXP_AGENTS_CLUSTER;
	b.e = lv_experiment_load_with(spec, &ov, &code, &why);
	free(spec);
	free(cluster);
	free(pred);
	if (!b.e) {
		if (code == LV_ELIB) {
			fprintf(stderr, "loudva --batch: %s\n", why);
			rc = LV_EXIT_FAIL;
		} else {
			rc = lv_cmd_bad("--batch", "%s", why);
		}
		free(why);
		return rc;
	}
	if (!b.e->spec.live && (b.cluster || b.emulate || b.token_file))
		rc = lv_cmd_bad("--batch",
		                "%s: --cluster, --token-file and --emulate are for live experiments"
		                " (\"mode\": \"live\"); this one runs on the simulator",
		                b.spec);
	else if (b.token_file && b.e->spec.agents != LV_EXP_AGENTS_CLUSTER)
		rc = lv_cmd_bad("--batch",
		                "--token-file: the embedded agents make a token of their own"
		                " (it is for a running cluster: --cluster FILE)");
	if (rc == 0 && b.e->spec.live && b.jobs > 1) {
		fprintf(stderr,
		        "loudva --batch: a live experiment runs one cell at a time on the "
		        "cluster; --jobs %d ignored\n",
		        b.jobs);
		b.jobs = 1;
	}
	struct sigaction sa, old_int, old_term;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (rc == 0 && b.e->spec.live && b.e->spec.agents == LV_EXP_AGENTS_CLUSTER)
		rc = open_cluster(&b);
	if (rc == 0 && stop_signal)
		rc = 128 + (int)stop_signal;
	if (rc == 0)
		rc = prepare_out(&b);
	if (rc == 0) {
		b.passes = b.e->spec.common_window ? 2 : 1;
		b.wall_s = lv_xcalloc(b.e->n_cells, sizeof(double));
		rc = run_all(&b);
	}
	close_cluster(&b);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	free(b.wall_s);
	free(b.out_dir);
	free(b.tmp_dir);
	free(b.work_dir);
	free(b.model);
	lv_experiment_free(b.e);
	return rc;
}
