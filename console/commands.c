/*
 * commands: what the subcommands share — the one-line bad-input message,
 * the options several of them take (--policy, and the cost tables' --cluster,
 * --mode and --predictor) and the cluster with its cost tables these lead to.
 */
#include "commands.h"

#include <stdarg.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "base/datapath.h"
#include "base/util.h"

int lv_cmd_bad(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "loudva %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return LV_EXIT_USAGE;
}

static int mode_opt(const struct lv_opt *opt, void *field, const char *value, char **why)
{
	(void)opt;
	(void)why;
	return lv_cost_mode_parse(value, field);
}

static const char *show_mode(const void *field)
{
	return lv_cost_mode_name(*(const enum lv_cost_mode *)field);
}

const struct lv_opt lv_cmd_mode_opts[] = {
	{ .name = "mode",
	  .kind = LV_OPT_FN,
	  .arg = "pred|fill|prof",
	  .what = "pred, fill or prof",
	  .set = mode_opt,
	  .show = show_mode,
	  .help = "cost tables: predicted, measured+predicted, measured only" },
	{ 0 },
};

const struct lv_opt lv_cmd_policy_opts[] = {
	{ .name = "policy",
	  .kind = LV_OPT_STR,
	  .arg = "NAME[:k=v,..]",
	  .help = "scheduling policy and its parameters [loud]" },
	{ 0 },
};

const struct lv_opt lv_cmd_json_opts[] = {
	{ .name = "json", .kind = LV_OPT_SET, .help = "machine-readable output (JSON)" },
	{ 0 },
};

const struct lv_opt lv_cmd_duration_opts[] = {
	{ .name = "duration",
	  .kind = LV_OPT_DOUBLE,
	  .arg = "S",
	  .flags = LV_OPT_ABOVE_MIN,
	  .min = 0,
	  .max = INFINITY,
	  .what = "a positive number of seconds",
	  .help = "stop after S seconds" },
	{ 0 },
};

#define C(field) offsetof(struct lv_cmd_costs, field)
const struct lv_opt lv_cmd_costs_opts[] = {
	{ .name = "cluster",
	  .kind = LV_OPT_STR,
	  .offset = C(cluster),
	  .arg = "FILE",
	  .help = "cluster file [" LV_DEFAULT_CLUSTER "]" },
	{ .kind = LV_OPT_INCLUDE, .offset = C(mode), .rows = lv_cmd_mode_opts },
	{ .name = "predictor",
	  .kind = LV_OPT_STR,
	  .offset = C(predictor),
	  .arg = "FILE",
	  .help = "predictor cache, for pred and fill [" LV_DEFAULT_PREDICTOR_CACHE "]" },
	{ 0 },
};
#undef C

char *lv_cmd_data(const char *path)
{
	return lv_data_resolve(path);
}

char *lv_cmd_predictor_cache(const char *path)
{
	if (path && strcmp(path, LV_DEFAULT_PREDICTOR_CACHE))
		return lv_xstrdup(path);
	return lv_data_cache_file(LV_DEFAULT_PREDICTOR_CACHE, "predictor.json");
}

char *lv_cmd_results_dir(void)
{
	return lv_data_state_file("results", "results");
}

struct lv_cluster *lv_cmd_cluster(const char *cmd, const struct lv_cmd_costs *costs, int *rc)
{
	char *why = NULL;
	char *path = lv_cmd_data(costs->cluster ? costs->cluster : LV_DEFAULT_CLUSTER);
	char *pred = lv_cmd_predictor_cache(costs->predictor);
	struct lv_cluster *c = lv_cluster_load(path, &why);
	free(path);
	*rc = LV_EXIT_USAGE;
	if (c && lv_cluster_build_costs(c, costs->mode, pred, &why) != LV_OK) {
		lv_cluster_free(c);
		c = NULL;
		*rc = LV_EXIT_FAIL;
	}
	if (!c)
		fprintf(stderr, "loudva %s: %s\n", cmd, why ? why : "cannot load the cluster");
	else
		*rc = LV_EXIT_OK;
	free(why);
	free(pred);
	return c;
}
