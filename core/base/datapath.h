/*
 * datapath: where the programs find their data (profiles, cluster files, the
 * model repository, playbooks, experiment specs) and where they keep caches
 * and results, so that an installed `loudva` works from any directory.
 *
 * The data search path, first match wins (each entry a directory laid out
 * like the source tree: profiles/, model_repository/, playbooks/,
 * experiments/):
 *   1. $LOUDVA_DATA_DIR, a colon-separated list (`--data-dir DIR` sets it,
 *      so child processes such as the embedded agents inherit it);
 *   2. the source tree, when run from it: the working directory if it is a
 *      LoudVA checkout, else the checkout the running program was built in
 *      (a program under <checkout>/build/). A checkout comes before the
 *      installed copies so that a developer's build never reads stale
 *      installed data;
 *   3. $XDG_DATA_HOME/loudva (default ~/.local/share/loudva);
 *   4. each $XDG_DATA_DIRS entry + /loudva (default /usr/local/share and
 *      /usr/share);
 *   5. the install prefix the program was built for (LV_DATADIR, by default
 *      /usr/local/share/loudva).
 *
 * Caches and results: in a checkout (as in 2.) they stay where they always
 * were (profiles/.cache/, results/); elsewhere they go under
 * $XDG_CACHE_HOME/loudva (default ~/.cache/loudva) and $XDG_STATE_HOME/loudva
 * (default ~/.local/state/loudva). Options that name a path override both.
 *
 * Everything here reads the environment and the file system; nothing is
 * cached, so a test may change the environment between calls.
 */
#ifndef LV_BASE_DATAPATH_H
#define LV_BASE_DATAPATH_H

#define LV_DATA_DIR_ENV "LOUDVA_DATA_DIR"

/*
 * The data file or directory REL (e.g. "profiles/clusters/thesis.json") from
 * the search path: the first entry that has it. When none has it, REL itself
 * (so the caller's "cannot open" names it). Caller frees.
 */
char *lv_data_find(const char *rel);

/*
 * A path the user gave: as it is if absolute or present from the working
 * directory; else, when relative, the first search-path entry that has it;
 * else as it is. Caller frees. NULL gives NULL.
 */
char *lv_data_resolve(const char *path);

/*
 * The search path, one directory per line with a trailing newline, each
 * with its origin ("$LOUDVA_DATA_DIR", "source tree", ...). Caller frees.
 */
char *lv_data_search_path(void);

/*
 * The checkout the program runs from (see 2. above), or NULL when it runs
 * from none. Caller frees.
 */
char *lv_data_source_tree(void);

/*
 * Where a cache file goes: <checkout>/TREE_REL when running from a checkout,
 * else $XDG_CACHE_HOME/loudva/XDG_REL. Caller frees. The directory may not
 * exist yet; writers create it.
 */
char *lv_data_cache_file(const char *tree_rel, const char *xdg_rel);

/*
 * Where results go: <cwd>/TREE_REL when the working directory is a
 * checkout (what it always was), else $XDG_STATE_HOME/loudva/XDG_REL.
 * Caller frees.
 */
char *lv_data_state_file(const char *tree_rel, const char *xdg_rel);

/* mkdir -p DIR (mode 0755 for what it creates). 0 or LV_EIO with *why. */
int lv_mkdir_p(const char *dir, char **why);

#endif
