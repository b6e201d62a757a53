/*
 * cmd_report: `loudva report DB` — what a store (an experiment's loudva.db,
 * later a live session's) holds, one line per run, counted from its frames
 * and batches tables rather than copied from the runs' stored results, so
 * it doubles as a check of the record: frames = ok + late + failed +
 * expired + rejected by construction of the terminal states, and the
 * frames/J figure divides the served frames found there by the run's
 * energy. Bad input (no such file, not a loudva store) is exit 2.
 */
#include "commands.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "base/util.h"

struct report_args {
	const char *path; /* the operand (offset 0) */
	int json, csv;
};

static const struct lv_opt report_opts[] = {
	{ .name = "json",
	  .kind = LV_OPT_SET,
	  .offset = offsetof(struct report_args, json),
	  .help = "the runs as a JSON array (values in the units their names say)" },
	{ .name = "csv",
	  .kind = LV_OPT_SET,
	  .offset = offsetof(struct report_args, csv),
	  .help = "the runs as CSV, one header row" },
	{ 0 },
};

static const struct lv_opt_spec report_spec = {
	.cmd = "report",
	.about = "Summarises every run recorded in DB (e.g. results/<experiment>/loudva.db):\n"
	         "frames by final state, batches, energy, frames per joule and latency.",
	.opts = report_opts,
	.operand = "DB",
	.operand_what = "a database",
};

static const char *const fields[] = {
	"run",          "policy",  "trace",    "trace_seed",       "seed",
	"frames",       "ok",      "late",     "failed",           "expired",
	"rejected",     "batches", "energy_j", "frames_per_joule", "latency_mean_s",
	"latency_max_s"
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

/* Run s's values as text (numbers), in fields[] order; "" where there is none. */
static void values(const struct lv_store_summary *s, char v[N_FIELDS][128])
{
	double served = (double)(s->ok + s->late);
	double d[] = { s->energy_j, s->energy_j > 0 ? served / s->energy_j : NAN, s->latency_mean_s,
		       s->latency_max_s };
	snprintf(v[0], 128, "%lld", (long long)s->run);
	snprintf(v[1], 128, "%s", s->policy);
	snprintf(v[2], 128, "%s", s->trace);
	if (s->trace_seed >= 0)
		snprintf(v[3], 128, "%lld", (long long)s->trace_seed);
	else
		v[3][0] = '\0';
	uint64_t u[] = { s->seed,   s->frames,  s->ok,       s->late,
		         s->failed, s->expired, s->rejected, s->batches };
	for (int k = 0; k < 8; k++)
		snprintf(v[4 + k], 128, "%llu", (unsigned long long)u[k]);
	for (int k = 0; k < 4; k++)
		if (isfinite(d[k]))
			snprintf(v[12 + k], 128, "%.10g", d[k]);
		else
			v[12 + k][0] = '\0';
}

static void csv_cell(const char *t, int last)
{
	if (strpbrk(t, ",\"\n")) {
		putchar('"');
		for (const char *p = t; *p; p++)
			fputs(*p == '"' ? "\"\"" : (char[]){ *p, 0 }, stdout);
		putchar('"');
	} else {
		fputs(t, stdout);
	}
	putchar(last ? '\n' : ',');
}

static void print_csv(const struct lv_store_summary *r, size_t n)
{
	for (size_t k = 0; k < N_FIELDS; k++)
		csv_cell(fields[k], k + 1 == N_FIELDS);
	for (size_t i = 0; i < n; i++) {
		char v[N_FIELDS][128];
		values(&r[i], v);
		for (size_t k = 0; k < N_FIELDS; k++)
			csv_cell(v[k], k + 1 == N_FIELDS);
	}
}

static void print_json(const struct lv_store_summary *r, size_t n)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		char v[N_FIELDS][128];
		values(&r[i], v);
		cJSON *o = cJSON_CreateObject();
		for (size_t k = 0; k < N_FIELDS; k++) {
			if (k == 1 || k == 2)
				cJSON_AddStringToObject(o, fields[k], v[k]);
			else if (v[k][0])
				cJSON_AddNumberToObject(o, fields[k], strtod(v[k], NULL));
			else
				cJSON_AddNullToObject(o, fields[k]);
		}
		cJSON_AddItemToArray(arr, o);
	}
	char *t = cJSON_Print(arr);
	if (t)
		printf("%s\n", t);
	free(t);
	cJSON_Delete(arr);
}

/* What the latency column is, said under the table (serve and load print others). */
static const char latency_note[] =
    "lat mean s: the mean latency of the served frames (ok and late), each from its "
    "request's arrival\nto its batch's end; `serve` prints the p50 and p99 of the same, "
    "`load` the round trip of whole requests.\n";

static void print_runs(const struct lv_store_summary *v, size_t n)
{
	printf("%4s %-22s %-18s %5s %7s %7s %6s %6s %7s %8s %7s %10s %9s %8s\n", "run", "policy",
	       "trace", "seed", "frames", "ok", "late", "failed", "expired", "rejected", "batches",
	       "energy J", "frames/J", "lat mean s");
	for (size_t i = 0; i < n; i++) {
		const struct lv_store_summary *s = &v[i];
		char trace[160];
		if (s->trace_seed >= 0)
			snprintf(trace, sizeof(trace), "%s#%lld", s->trace,
			         (long long)s->trace_seed);
		else
			snprintf(trace, sizeof(trace), "%s", s->trace);
		double served = (double)(s->ok + s->late);
		printf("%4lld %-22s %-18s %5llu %7llu %7llu %6llu %6llu %7llu %8llu %7llu %10.1f "
		       "%9.4f %8.3f\n",
		       (long long)s->run, s->policy, trace, (unsigned long long)s->seed,
		       (unsigned long long)s->frames, (unsigned long long)s->ok,
		       (unsigned long long)s->late, (unsigned long long)s->failed,
		       (unsigned long long)s->expired, (unsigned long long)s->rejected,
		       (unsigned long long)s->batches, s->energy_j,
		       s->energy_j > 0 ? served / s->energy_j : NAN, s->latency_mean_s);
	}
	if (n)
		fputs(latency_note, stdout);
}

int lv_cmd_report(int argc, char **argv)
{
	struct report_args a = { 0 };
	int parsed = lv_opts_parse(&report_spec, argc, argv, &a);
	if (parsed)
		return parsed == LV_OPTS_HELP ? LV_EXIT_OK : parsed;
	const char *path = a.path;
	if (a.json && a.csv) {
		fprintf(stderr, "loudva report: --json and --csv: one or the other\n");
		return LV_EXIT_USAGE;
	}
	/* Opening creates a missing file; a report of nothing is a typo. */
	if (access(path, R_OK) != 0) {
		fprintf(stderr, "loudva report: %s: no such database\n", path);
		return LV_EXIT_USAGE;
	}
	char *why = NULL;
	struct lv_store_summary *v = NULL;
	size_t n = 0;
	int rc = LV_EXIT_OK;
	struct lv_store *s = lv_store_open(path, 0, &why);
	if (!s) {
		fprintf(stderr, "loudva report: %s\n", why);
		rc = LV_EXIT_USAGE;
	} else if (lv_store_summaries(s, &v, &n, &why) != LV_OK) {
		fprintf(stderr, "loudva report: %s\n", why);
		rc = LV_EXIT_FAIL;
	} else if (a.json) {
		print_json(v, n);
	} else if (a.csv) {
		print_csv(v, n);
	} else if (n == 0) {
		printf("%s: no runs recorded\n", path);
	} else {
		printf("%s: %zu run%s\n\n", path, n, n == 1 ? "" : "s");
		print_runs(v, n);
	}
	lv_store_close(s, NULL);
	free(v);
	free(why);
	return rc;
}
