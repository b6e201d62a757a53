/*
 * inventory_vars: group_vars/ and host_vars/ as Ansible's host_group_vars
 * plugin finds them — beside the inventory file and beside the playbook —
 * and a host's variables merged in Ansible's precedence (lowest first):
 *
 *   inventory file vars of `all`, group_vars/all beside the inventory, then
 *   beside the playbook; inventory file vars of the host's other groups,
 *   their group_vars beside the inventory, then beside the playbook (groups
 *   by depth, parents before children, then by name); the host's own line in
 *   the inventory, host_vars beside the inventory, then beside the playbook.
 *
 * For a name NAME, the files NAME, NAME.yml, NAME.yaml and NAME.json are
 * read in that order, and a directory NAME/ has its files (with one of those
 * endings, hidden ones skipped) read in name order, subdirectories too. Each
 * file must hold a mapping (or nothing). Files for names the inventory does
 * not have are ignored, as Ansible does. Everything is read when the run
 * starts, so a broken file stops it before any host is touched, naming
 * file:line.
 */
#include "inventory.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "playbook.h"
#include "base/file.h"
#include "base/util.h"

/* Files read for one load at most: a runaway directory tree is an error, not a hang. */
#define MAX_VARS_FILES 10000

struct lv_inv_dirvars {
	size_t n_dirs;
	struct lv_val **groups; /* per dir: MAP group name -> vars (MAP) */
	struct lv_val **hosts;  /* per dir: MAP host name -> vars (MAP) */
	size_t n_read;
};

static bool wanted_ext(const char *name)
{
	const char *dot = strrchr(name, '.');
	return !dot || !strcmp(dot, ".yml") || !strcmp(dot, ".yaml") || !strcmp(dot, ".json");
}

static int load_path(struct lv_inv_dirvars *dv, const char *path, struct lv_val *into, char **why);

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_dir(struct lv_inv_dirvars *dv, const char *dir, struct lv_val *into, char **why)
{
	DIR *d = opendir(dir);
	if (!d)
		return lv_fail(why, LV_EIO, "%s: cannot open: %s", dir, strerror(errno));
	char **names = NULL;
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		names = lv_xrealloc(names, (n + 1) * sizeof *names);
		names[n++] = lv_xstrdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_str);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		char *p = lv_path_join(dir, names[i]);
		struct stat st;
		if (rc == 0 && stat(p, &st) == 0 && (S_ISDIR(st.st_mode) || wanted_ext(names[i])))
			rc = load_path(dv, p, into, why);
		free(p);
		free(names[i]);
	}
	free(names);
	return rc;
}

/* Merges the file or directory at `path` into `into`. */
static int load_path(struct lv_inv_dirvars *dv, const char *path, struct lv_val *into, char **why)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return 0;
	if (++dv->n_read > MAX_VARS_FILES)
		return lv_fail(why, LV_EINVAL, "%s: more than %d group_vars/host_vars files", path,
		               MAX_VARS_FILES);
	if (S_ISDIR(st.st_mode))
		return load_dir(dv, path, into, why);
	struct lv_val *v = lv_yaml_load(path, why);
	if (!v && why && *why)
		return LV_EINVAL;
	if (v && v->kind != LV_VAL_MAP && v->kind != LV_VAL_NULL) {
		int line = v->line;
		lv_val_free(v);
		return lv_fail(why, LV_EINVAL, "%s:%d: expected a mapping of variables", path,
		               line);
	}
	lv_val_merge(into, v);
	lv_val_free(v);
	return 0;
}

/* NAME, NAME.yml, NAME.yaml, NAME.json (and NAME/ when it is a directory) under `base`. */
static int load_entity(struct lv_inv_dirvars *dv, const char *base, const char *name,
                       struct lv_val *table, char **why)
{
	static const char *const exts[] = { "", ".yml", ".yaml", ".json" };
	struct lv_val *vars = lv_val_new_map();
	bool any = false;
	int rc = 0;
	for (size_t i = 0; i < 4 && rc == 0; i++) {
		char *file = lv_xasprintf("%s%s", name, exts[i]);
		char *p = lv_path_join(base, file);
		struct stat st;
		if (stat(p, &st) == 0) {
			any = true;
			rc = load_path(dv, p, vars, why);
		}
		free(p);
		free(file);
	}
	if (rc == 0 && any)
		lv_val_set(table, name, vars);
	else
		lv_val_free(vars);
	return rc;
}

struct lv_inv_dirvars *lv_inventory_dirvars_load(const struct lv_inventory *inv,
                                                 const char *const *dirs, size_t n_dirs, char **why)
{
	struct lv_inv_dirvars *dv = lv_xcalloc(1, sizeof *dv);
	dv->n_dirs = n_dirs;
	dv->groups = lv_xcalloc(n_dirs ? n_dirs : 1, sizeof *dv->groups);
	dv->hosts = lv_xcalloc(n_dirs ? n_dirs : 1, sizeof *dv->hosts);
	int rc = 0;
	for (size_t d = 0; d < n_dirs; d++) {
		dv->groups[d] = lv_val_new_map();
		dv->hosts[d] = lv_val_new_map();
		if (!dirs[d])
			continue;
		char *gdir = lv_path_join(dirs[d], "group_vars");
		char *hdir = lv_path_join(dirs[d], "host_vars");
		struct stat st;
		if (stat(gdir, &st) == 0 && S_ISDIR(st.st_mode))
			for (size_t g = 0; g < inv->n_groups && rc == 0; g++)
				rc = load_entity(dv, gdir, inv->groups[g].name, dv->groups[d], why);
		if (stat(hdir, &st) == 0 && S_ISDIR(st.st_mode))
			for (size_t h = 0; h < inv->n_hosts && rc == 0; h++)
				rc = load_entity(dv, hdir, inv->hosts[h].name, dv->hosts[d], why);
		free(gdir);
		free(hdir);
		if (rc)
			break;
	}
	if (rc) {
		lv_inventory_dirvars_free(dv);
		return NULL;
	}
	return dv;
}

void lv_inventory_dirvars_free(struct lv_inv_dirvars *dv)
{
	if (!dv)
		return;
	for (size_t d = 0; d < dv->n_dirs; d++) {
		lv_val_free(dv->groups[d]);
		lv_val_free(dv->hosts[d]);
	}
	free(dv->groups);
	free(dv->hosts);
	free(dv);
}

void lv_inventory_dirvars_group_at(const struct lv_inv_dirvars *dv, size_t dir, const char *group,
                                   struct lv_val *into)
{
	if (dv && dir < dv->n_dirs)
		lv_val_merge(into, lv_val_get(dv->groups[dir], group));
}

void lv_inventory_dirvars_host(const struct lv_inv_dirvars *dv, const char *host,
                               struct lv_val *into)
{
	for (size_t d = 0; dv && d < dv->n_dirs; d++)
		lv_val_merge(into, lv_val_get(dv->hosts[d], host));
}
