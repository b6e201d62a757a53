/*
 * commands: what the subcommands share — the one-line bad-input message,
 * and a cluster with its cost tables.
 */
#include "commands.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "model/cluster.h"
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

struct lv_cluster *lv_cmd_cluster(const char *cmd, const char *path, int mode,
                                  const char *predictor, int *rc)
{
	char *why = NULL;
	struct lv_cluster *c = lv_cluster_load(path, &why);
	*rc = LV_EXIT_USAGE;
	if (c && lv_cluster_build_costs(c, (enum lv_cost_mode)mode, predictor, &why) != LV_OK) {
		lv_cluster_free(c);
		c = NULL;
		*rc = LV_EXIT_FAIL;
	}
	if (!c)
		fprintf(stderr, "loudva %s: %s\n", cmd, why ? why : "cannot load the cluster");
	else
		*rc = LV_EXIT_OK;
	free(why);
	return c;
}
