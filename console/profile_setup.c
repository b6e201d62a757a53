/*
 * profile_setup: the device a sweep measures — a device of a cluster file
 * (its token from --token-file), or, without one, an emulated agent started
 * here with the launcher from profiles/<kind>.json, <kind>-NN naming it.
 */
#include "profile_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/cluster.h"
#include "commands.h"
#include "harness/launcher.h"
#include "model/profile.h"
#include "base/file.h"
#include "base/util.h"

/*
 * The device to profile: from --cluster (token from --token-file, else the
 * cluster file's "token_file"), or an
 * emulated one started here from profiles/<kind>.json, <kind>-NN naming it.
 */
int lv_prof_setup(const struct lv_prof_target *o, struct lv_cluster **cp, struct lv_launcher **lp,
                  int *idx, char **token, char **why)
{
	if (o->cluster) {
		*cp = lv_cluster_load(o->cluster, why);
		if (!*cp)
			return LV_EXIT_USAGE;
		*idx = lv_cluster_find(*cp, o->device);
		if (*idx < 0)
			return lv_fail(why, LV_EINVAL, "%s: no device %s", o->cluster, o->device),
			       LV_EXIT_USAGE;
		/* --token-file, else the cluster file's own "token_file". */
		const char *tf = o->token_file ? o->token_file : (*cp)->token_file;
		if (tf)
			*token = lv_token_file_read(tf, why);
		return tf && !*token ? LV_EXIT_USAGE : LV_EXIT_OK;
	}
	const char *dash = strrchr(o->device, '-');
	long nn = 0;
	if (!dash || lv_parse_long(dash + 1, &nn) || nn < 0 || nn > 16)
		return lv_fail(why, LV_EINVAL, "device %s: want <kind>-NN", o->device),
		       LV_EXIT_USAGE;
	char *kind = lv_xasprintf("%.*s", (int)(dash - o->device), o->device);
	char *name = lv_xasprintf("%s.json", kind);
	char *dir = lv_cmd_data(LV_DEFAULT_PROFILES_DIR);
	char *path = lv_path_join(dir, name);
	free(dir);
	struct lv_profile *p = lv_profile_load(path, why);
	free(kind);
	free(name);
	free(path);
	if (!p)
		return LV_EXIT_USAGE;
	size_t count = (size_t)nn + 1;
	*cp = lv_cluster_new_from_profiles(&p, &count, 1);
	*idx = (int)nn;
	if (lv_cluster_build_costs(*cp, LV_COST_PROF, NULL, why) != LV_OK)
		return LV_EXIT_FAIL;
	struct lv_launcher_config lc;
	lv_launcher_config_default(&lc);
	char *agent = o->agent ? lv_xstrdup(o->agent) : lv_launcher_default_agent();
	lc.agent_path = agent;
	fprintf(stderr, "loudva profile run: starting an emulated %s\n", o->device);
	*lp = lv_launcher_start(*cp, &lc, why);
	free(agent);
	if (!*lp)
		return LV_EXIT_FAIL;
	*token = lv_xstrdup(lv_launcher_token(*lp));
	return LV_EXIT_OK;
}
