/*
 * exprun: the console's experiment runner (see exprun.h).
 *
 * The child (child.h: its own process group, SIGTERM when the console
 * dies) writes its comparison table to /dev/null — the console reads the
 * same figures from summary.csv — its progress as JSON lines on the
 * progress descriptor (progress.h: a "run" event after every finished run,
 * giving the pass and the runs done of the pass's total), and its messages
 * to stderr. The last stderr line is the message shown (the error when it
 * fails).
 */
#include "exprun.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "commands.h"
#include "base/datapath.h"
#include "base/csv.h"
#include "exp/experiment.h"
#include "base/clock.h"
#include "base/file.h"
#include "base/util.h"

#define MAX_SPECS 64
#define MAX_RUNS  64

struct lv_exprun {
	struct lv_exprun_config cfg;
	char *loudva, *specs_dir, *results_dir;
	char *spec_names[MAX_SPECS];
	size_t n_specs;
	struct lv_ui_past_run runs[MAX_RUNS];
	size_t n_runs;
	struct lv_child child;
	double started;
	int exit_status; /* the last child's: its exit code, 128 + a signal; -1 none yet */
	struct lv_ui_experiments st; /* everything but the list pointers */
};

struct lv_exprun *lv_exprun_new(const struct lv_exprun_config *cfg)
{
	struct lv_exprun *x = lv_xcalloc(1, sizeof(*x));
	x->cfg = *cfg;
	x->loudva = lv_xstrdup(cfg->loudva);
	x->specs_dir = lv_cmd_data(cfg->specs_dir ? cfg->specs_dir : "experiments");
	x->results_dir = cfg->results_dir ? lv_xstrdup(cfg->results_dir) : lv_cmd_results_dir();
	lv_child_init(&x->child);
	x->exit_status = -1;
	lv_exprun_scan(x);
	return x;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_run(const void *a, const void *b)
{
	const struct lv_ui_past_run *x = a, *y = b;
	return (x->mtime < y->mtime) - (x->mtime > y->mtime); /* newest first */
}

static void scan_specs(struct lv_exprun *x)
{
	for (size_t i = 0; i < x->n_specs; i++)
		free(x->spec_names[i]);
	x->n_specs = 0;
	DIR *d = opendir(x->specs_dir);
	struct dirent *e;
	while (d && (e = readdir(d)) && x->n_specs < MAX_SPECS) {
		size_t n = strlen(e->d_name);
		if (n > 5 && !strcmp(e->d_name + n - 5, ".json") && e->d_name[0] != '.')
			x->spec_names[x->n_specs++] = lv_xasprintf("%.*s", (int)(n - 5), e->d_name);
	}
	if (d)
		closedir(d);
	qsort(x->spec_names, x->n_specs, sizeof(char *), cmp_str);
}

static void scan_runs(struct lv_exprun *x)
{
	x->n_runs = 0;
	DIR *d = opendir(x->results_dir);
	struct dirent *e;
	while (d && (e = readdir(d)) && x->n_runs < MAX_RUNS) {
		if (e->d_name[0] == '.')
			continue;
		char *dir = lv_path_join(x->results_dir, e->d_name);
		char *sum = lv_path_join(dir, "summary.csv");
		struct stat st;
		if (stat(sum, &st) == 0) {
			struct lv_ui_past_run *r = &x->runs[x->n_runs++];
			snprintf(r->name, sizeof(r->name), "%.63s", e->d_name);
			snprintf(r->dir, sizeof(r->dir), "%s", dir);
			r->mtime = (double)st.st_mtime;
		}
		free(sum);
		free(dir);
	}
	if (d)
		closedir(d);
	qsort(x->runs, x->n_runs, sizeof(x->runs[0]), cmp_run);
}

void lv_exprun_scan(struct lv_exprun *x)
{
	scan_specs(x);
	scan_runs(x);
}

int lv_exprun_exit_status(const struct lv_exprun *x)
{
	return x->exit_status;
}

pid_t lv_exprun_pid(const struct lv_exprun *x)
{
	return x->child.pid;
}

/* ---- reading a report --------------------------------------------------------- */

static double field_num(struct lv_csv *c, int col)
{
	double v;
	if (col < 0 || lv_parse_double(lv_csv_field(c, col), &v) != LV_OK)
		return NAN;
	return v;
}

static int metric_col(struct lv_csv *c, int metric, const char *suffix)
{
	char name[96];
	snprintf(name, sizeof(name), "%s_%s", lv_exp_metric_name(metric), suffix);
	return lv_csv_find(c, name);
}

int lv_exprun_open(struct lv_exprun *x, const char *dir_arg, char **why)
{
	char dir[sizeof(x->st.shown)]; /* dir_arg may be x->st.shown itself */
	snprintf(dir, sizeof(dir), "%s", dir_arg);
	char *path = lv_path_join(dir, "summary.csv");
	struct lv_csv *c = lv_csv_open(path, why);
	free(path);
	if (!c)
		return LV_EIO;
	int cp = lv_csv_require(c, "policy", why);
	int cr = lv_csv_find(c, "runs");
	int fpj = metric_col(c, LV_EXP_M_FRAMES_PER_J, "mean");
	int fpj_sd = metric_col(c, LV_EXP_M_FRAMES_PER_J, "stddev");
	int ok = metric_col(c, LV_EXP_M_PCT_FRAMES_OK, "mean");
	int ok_sd = metric_col(c, LV_EXP_M_PCT_FRAMES_OK, "stddev");
	int en = metric_col(c, LV_EXP_M_ENERGY_J, "mean");
	int p95 = metric_col(c, LV_EXP_M_LAT_P95, "mean");
	int ratio = lv_csv_find(c, "frames_per_joule_ratio");
	int rc = cp < 0 ? LV_EINVAL : LV_OK;
	x->st.n_rows = 0;
	while (rc == LV_OK && x->st.n_rows < LV_UI_EXP_ROWS) {
		int got = lv_csv_next(c, why);
		if (got <= 0) {
			rc = got < 0 ? LV_EINVAL : LV_OK;
			break;
		}
		struct lv_ui_exp_row *r = &x->st.rows[x->st.n_rows++];
		snprintf(r->policy, sizeof(r->policy), "%s", lv_csv_field(c, cp));
		double runs = field_num(c, cr);
		r->runs = isnan(runs) ? 0 : (size_t)runs;
		r->fpj = field_num(c, fpj);
		r->fpj_sd = field_num(c, fpj_sd);
		r->pct_ok = field_num(c, ok);
		r->pct_ok_sd = field_num(c, ok_sd);
		r->energy_j = field_num(c, en);
		r->p95_s = field_num(c, p95);
		r->ratio = field_num(c, ratio);
	}
	lv_csv_free(c);
	if (rc == LV_OK)
		snprintf(x->st.shown, sizeof(x->st.shown), "%s", dir);
	else
		x->st.n_rows = 0;
	return rc;
}

/* ---- the child ------------------------------------------------------------------ */

static int spawn(struct lv_exprun *x, const char *spec_path, const char *out_dir, char **why)
{
	char *argv[] = { x->loudva, "--batch",       (char *)spec_path,
		         "--out",   (char *)out_dir, x->cfg.plots ? NULL : "--no-plots",
		         NULL };
	int rc = lv_child_spawn(&x->child, argv, why);
	if (rc == LV_OK)
		x->started = lv_mono_s();
	return rc;
}

static int launch(struct lv_exprun *x, const char *spec_path, const char *name, char **why)
{
	if (x->child.pid > 0)
		return lv_fail(why, LV_ESTATE,
		               "experiment %s is still running (x in the Experiments "
		               "view stops it)",
		               x->st.spec);
	if (lv_mkdir_p(x->results_dir, why) != LV_OK)
		return LV_EIO;
	char stamp[32];
	time_t now = time(NULL);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&now));
	char *out = lv_xasprintf("%s/%s-%s", x->results_dir, name, stamp);
	int rc = spawn(x, spec_path, out, why);
	if (rc == LV_OK) {
		memset(&x->st, 0, sizeof(x->st));
		x->st.state = LV_UI_EXP_RUNNING;
		snprintf(x->st.spec, sizeof(x->st.spec), "%s", name);
		snprintf(x->st.shown, sizeof(x->st.shown), "%s", out);
		snprintf(x->st.message, sizeof(x->st.message), "loading %s", spec_path);
		x->st.pass = 1;
		x->st.passes = 1;
	}
	free(out);
	return rc;
}

/* A name with a '/' or ending in .json is a path; else specs_dir/NAME.json. */
static int is_path(const char *name)
{
	size_t n = strlen(name);
	return strchr(name, '/') || (n > 5 && !strcmp(name + n - 5, ".json"));
}

int lv_exprun_start(struct lv_exprun *x, const char *name, char **why)
{
	char *path, *base;
	if (is_path(name)) {
		path = lv_xstrdup(name);
		const char *slash = strrchr(name, '/');
		base = lv_xstrdup(slash ? slash + 1 : name);
		size_t n = strlen(base);
		if (n > 5 && !strcmp(base + n - 5, ".json"))
			base[n - 5] = '\0';
	} else {
		char *file = lv_xasprintf("%s.json", name);
		path = lv_path_join(x->specs_dir, file);
		free(file);
		base = lv_xstrdup(name);
	}
	struct stat st;
	struct lv_exp_spec spec = { 0 };
	int rc;
	if (x->child.pid > 0)
		rc = launch(x, path, base, why); /* says which one runs */
	else if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		rc = lv_fail(why, LV_ENOENT, "%s: no such spec", path);
	else if (lv_exp_spec_load(path, &spec, why) != LV_OK)
		rc = LV_EINVAL; /* the load freed what it had */
	else {
		lv_exp_spec_fini(&spec);
		rc = launch(x, path, base, why);
	}
	free(base);
	free(path);
	return rc;
}

/* "fixed_batch:N=16,max_wait=2" as a spec's policy entry. Caller frees. */
static char *policy_json(const char *spec)
{
	size_t n = strcspn(spec, ":");
	if (!spec[n])
		return lv_xasprintf("\"%s\"", spec);
	char *out = lv_xasprintf("{\"name\": \"%.*s\", \"params\": {", (int)n, spec);
	char *rest = lv_xstrdup(spec + n + 1), *save = NULL;
	int first = 1;
	for (char *kv = strtok_r(rest, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		if (!eq)
			continue;
		*eq = '\0';
		char *more = lv_xasprintf("%s%s\"%s\": %s", out, first ? "" : ", ", kv, eq + 1);
		free(out);
		out = more;
		first = 0;
	}
	free(rest);
	char *done = lv_xasprintf("%s}}", out);
	free(out);
	return done;
}

int lv_exprun_start_built(struct lv_exprun *x, const char *cluster_path, const char *policy,
                          const char *mode, char **why)
{
	char *abs = realpath(cluster_path, NULL);
	if (!abs)
		return lv_fail(why, LV_ENOENT, "%s: %s", cluster_path, strerror(errno));
	char *pol = policy_json(policy);
	size_t pn = strcspn(policy, ":");
	int same_loud = !strncmp(policy, "loud", pn) && pn == 4;
	int same_tr = !strncmp(policy, "transparent", pn) && pn == 11;
	char *text = lv_xasprintf(
	    "{\n  \"name\": \"%s\",\n  \"description\": \"Built by the console from the live "
	    "cluster and its running policy (%s).\",\n  \"mode\": \"sim\",\n  \"cluster\": "
	    "\"%s\",\n"
	    "  \"costs\": \"%s\",\n  \"baseline\": \"transparent\",\n  \"traces\": [\n"
	    "    {\"name\": \"gen-6cam-120s\", \"generate\": {\"cameras\": 6, \"duration_s\": 120, "
	    "\"max_active_s\": 90, \"last_entry_s\": 30}, \"seeds\": [1, 2]}\n  ],\n"
	    "  \"policies\": [%s%s%s]\n}\n",
	    LV_CMD_EXP_FROM_CLUSTER, policy, abs, mode, same_tr ? "" : "\"transparent\", ",
	    same_loud ? "" : "\"loud\", ", pol);
	free(pol);
	free(abs);
	char *dir = lv_path_join(x->results_dir, "specs");
	lv_mkdir_p(dir, NULL); /* else the write below says why */
	char *path = lv_xasprintf("%s/%s.json", dir, LV_CMD_EXP_FROM_CLUSTER);
	int rc = lv_write_file_atomic(path, text, strlen(text), why);
	if (rc == LV_OK)
		rc = launch(x, path, LV_CMD_EXP_FROM_CLUSTER, why);
	free(path);
	free(dir);
	free(text);
	return rc;
}

void lv_exprun_cancel(struct lv_exprun *x)
{
	lv_child_signal(&x->child, SIGTERM);
}

/* A line from the child's stderr: the message to show. */
static void line(void *arg, const char *s)
{
	struct lv_exprun *x = arg;
	const char *p = !strncmp(s, "loudva --batch: ", 16) ? s + 16 : s;
	snprintf(x->st.message, sizeof(x->st.message), "%.199s", p);
}

/* A progress event: how far the matrix has got. */
static void progress(void *arg, const struct lv_progress *p)
{
	struct lv_exprun *x = arg;
	if (p->event != LV_PROGRESS_RUN)
		return;
	x->st.pass = p->pass;
	x->st.passes = p->passes;
	x->st.done = p->done;
	x->st.total = p->total;
}

static const struct lv_child_ops child_ops = { line, progress };

static void reaped(struct lv_exprun *x, int status)
{
	x->exit_status = WIFEXITED(status)     ? WEXITSTATUS(status)
	                 : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
	                                       : -1;
	x->st.elapsed_s = lv_mono_s() - x->started;
	char *why = NULL;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    lv_exprun_open(x, x->st.shown, &why) == LV_OK) {
		x->st.state = LV_UI_EXP_DONE;
		snprintf(x->st.message, sizeof(x->st.message), "report in %.180s/", x->st.shown);
	} else {
		x->st.state = LV_UI_EXP_FAILED;
		if (why)
			snprintf(x->st.message, sizeof(x->st.message), "%s", why);
		else if (WIFSIGNALED(status))
			snprintf(x->st.message, sizeof(x->st.message), "stopped by signal %d",
			         WTERMSIG(status));
		x->st.shown[0] = '\0';
	}
	free(why);
	scan_runs(x);
}

int lv_exprun_poll(struct lv_exprun *x, struct lv_ui_experiments *out)
{
	int changed = 0;
	if (x->child.pid > 0) {
		changed = lv_child_read(&x->child, &child_ops, x) > 0;
		int status;
		if (lv_child_reap(&x->child, &child_ops, x, &status)) {
			reaped(x, status);
			changed = 1;
		} else {
			x->st.elapsed_s = lv_mono_s() - x->started;
		}
	}
	*out = x->st;
	out->specs = (const char *const *)x->spec_names;
	out->n_specs = x->n_specs;
	out->runs = x->runs;
	out->n_runs = x->n_runs;
	return changed;
}

void lv_exprun_free(struct lv_exprun *x)
{
	if (!x)
		return;
	lv_child_stop(&x->child, 2.0);
	for (size_t i = 0; i < x->n_specs; i++)
		free(x->spec_names[i]);
	free(x->loudva);
	free(x->specs_dir);
	free(x->results_dir);
	free(x);
}
