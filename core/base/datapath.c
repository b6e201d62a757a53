/*
 * datapath: the data search path, and where caches and results go. See
 * datapath.h for the order and the reasons. Callers: the programs (console/,
 * agents/) when they pick a default path or resolve one the user gave; core/
 * below them takes paths and never searches.
 */
#include "datapath.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "util.h"

#ifndef LV_DATADIR
#define LV_DATADIR "/usr/local/share/loudva"
#endif

/* A file only a LoudVA checkout has, next to the data it holds. */
#define TREE_MARK "core/base/datapath.h"

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static int is_tree(const char *dir)
{
	char *p = lv_path_join(dir, TREE_MARK);
	int yes = exists(p) && (free(p), p = lv_path_join(dir, "profiles"), exists(p));
	free(p);
	return yes;
}

/* $NAME if set and non-empty, else $HOME/DEFAULT_REL, else NULL. Caller frees. */
static char *xdg_dir(const char *name, const char *default_rel)
{
	const char *v = getenv(name);
	if (v && v[0] == '/')
		return lv_xstrdup(v); /* the spec ignores relative values */
	const char *home = getenv("HOME");
	if (!home || !home[0])
		return NULL;
	return lv_path_join(home, default_rel);
}

char *lv_data_source_tree(void)
{
	char cwd[4096];
	if (getcwd(cwd, sizeof cwd) && is_tree(cwd))
		return lv_xstrdup(cwd);
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return NULL;
	self[n] = '\0';
	/* build/loudva, build/san/loudva, build/rel/...: up to three levels. */
	char *dir = lv_path_dirname(self);
	for (int up = 0; up < 3; up++) {
		char *parent = lv_path_dirname(dir);
		free(dir);
		dir = parent;
		if (is_tree(dir))
			return dir;
		if (!strcmp(dir, "/") || !strcmp(dir, "."))
			break;
	}
	free(dir);
	return NULL;
}

/* The search path: up to MAX_DIRS directories and where each came from. */
#define MAX_DIRS 32
struct spath {
	char *dir[MAX_DIRS];
	const char *origin[MAX_DIRS];
	size_t n;
};

/* Adds a copy of DIR unless it is empty, already listed, or the list is full. */
static void add(struct spath *sp, const char *dir, const char *origin)
{
	if (!dir || !dir[0] || sp->n == MAX_DIRS)
		return;
	for (size_t i = 0; i < sp->n; i++)
		if (!strcmp(sp->dir[i], dir))
			return;
	sp->dir[sp->n] = lv_xstrdup(dir);
	sp->origin[sp->n++] = origin;
}

static void add_list(struct spath *sp, const char *list, const char *suffix, const char *origin)
{
	char *copy = lv_xstrdup(list), *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *p = suffix ? lv_path_join(d, suffix) : lv_xstrdup(d);
		add(sp, p, origin);
		free(p);
	}
	free(copy);
}

static void spath_fini(struct spath *sp)
{
	for (size_t i = 0; i < sp->n; i++)
		free(sp->dir[i]);
}

static void search_path(struct spath *sp)
{
	memset(sp, 0, sizeof(*sp));
	const char *env = getenv(LV_DATA_DIR_ENV);
	if (env)
		add_list(sp, env, NULL, "$" LV_DATA_DIR_ENV);
	char *tree = lv_data_source_tree();
	add(sp, tree, "source tree");
	free(tree);
	char *home = xdg_dir("XDG_DATA_HOME", ".local/share");
	if (home) {
		char *d = lv_path_join(home, "loudva");
		add(sp, d, "$XDG_DATA_HOME");
		free(d);
		free(home);
	}
	const char *dirs = getenv("XDG_DATA_DIRS");
	add_list(sp, dirs && dirs[0] ? dirs : "/usr/local/share:/usr/share", "loudva",
	         "$XDG_DATA_DIRS");
	add(sp, LV_DATADIR, "install prefix");
}

char *lv_data_search_path(void)
{
	struct spath sp;
	struct lv_buf b = { 0 };
	search_path(&sp);
	for (size_t i = 0; i < sp.n; i++)
		lv_buf_printf(&b, "%s (%s)\n", sp.dir[i], sp.origin[i]);
	spath_fini(&sp);
	return lv_buf_take(&b, NULL);
}

char *lv_data_find(const char *rel)
{
	struct spath sp;
	char *found = NULL;
	search_path(&sp);
	for (size_t i = 0; !found && i < sp.n; i++) {
		char *cand = lv_path_join(sp.dir[i], rel);
		if (exists(cand))
			found = cand;
		else
			free(cand);
	}
	spath_fini(&sp);
	return found ? found : lv_xstrdup(rel);
}

char *lv_data_resolve(const char *path)
{
	if (!path)
		return NULL;
	if (path[0] == '/' || exists(path))
		return lv_xstrdup(path);
	return lv_data_find(path);
}

char *lv_data_cache_file(const char *tree_rel, const char *xdg_rel)
{
	char *tree = lv_data_source_tree();
	if (tree) {
		char *p = lv_path_join(tree, tree_rel);
		free(tree);
		return p;
	}
	char *base = xdg_dir("XDG_CACHE_HOME", ".cache");
	if (!base)
		return lv_xstrdup(tree_rel);
	char *dir = lv_path_join(base, "loudva");
	char *p = lv_path_join(dir, xdg_rel);
	free(base);
	free(dir);
	return p;
}

char *lv_data_state_file(const char *tree_rel, const char *xdg_rel)
{
	char cwd[4096];
	if (getcwd(cwd, sizeof cwd) && is_tree(cwd))
		return lv_xstrdup(tree_rel);
	char *base = xdg_dir("XDG_STATE_HOME", ".local/state");
	if (!base)
		return lv_xstrdup(tree_rel);
	char *dir = lv_path_join(base, "loudva");
	char *p = lv_path_join(dir, xdg_rel);
	free(base);
	free(dir);
	return p;
}

int lv_mkdir_p(const char *dir, char **why)
{
	char *d = lv_xstrdup(dir);
	int rc = LV_OK;
	for (char *s = d + 1;; s++) {
		char c = *s;
		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(d, 0755) != 0 && errno != EEXIST) {
			rc = lv_fail(why, LV_EIO, "%s: cannot create: %s", d, strerror(errno));
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(d);
	return rc;
}
