/*
 * test_datapath: the data search path's order ($LOUDVA_DATA_DIR, the source
 * tree, $XDG_DATA_HOME, $XDG_DATA_DIRS), how a user's path is resolved, and
 * where caches and results go inside and outside a checkout.
 *
 * The test program lives in the checkout's build/san/tests/, so the source
 * tree is always found through the program's own location; the working
 * directory is moved to a scratch directory to be "outside" it.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/datapath.h"
#include "base/file.h"
#include "base/util.h"

struct env {
	char *tmp, *cwd;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	e->tmp = lv_test_mkdtemp();
	e->cwd = getcwd(NULL, 0);
	unsetenv(LV_DATA_DIR_ENV);
	unsetenv("XDG_DATA_HOME");
	unsetenv("XDG_CACHE_HOME");
	unsetenv("XDG_STATE_HOME");
	setenv("XDG_DATA_DIRS", "/nonexistent", 1);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	assert_int_equal(chdir(e->cwd), 0);
	lv_test_rmtree(e->tmp);
	free(e->tmp);
	free(e->cwd);
	free(e);
	return 0;
}

/* DIR/REL with its parents, holding TEXT. */
static void put(const char *dir, const char *rel, const char *text)
{
	char *path = lv_path_join(dir, rel);
	char *parent = lv_path_dirname(path);
	assert_int_equal(lv_mkdir_p(parent, NULL), LV_OK);
	assert_int_equal(lv_write_file_atomic(path, text, strlen(text), NULL), LV_OK);
	free(parent);
	free(path);
}

static void test_order(void **state)
{
	struct env *e = *state;
	char *first = lv_path_join(e->tmp, "first");
	char *home = lv_path_join(e->tmp, "home");
	char *share = lv_path_join(e->tmp, "share");
	char *home_l = lv_path_join(home, "loudva");
	char *share_l = lv_path_join(share, "loudva");
	put(first, "profiles/only-first.json", "{}");
	put(first, "profiles/nano.json", "{}");
	put(home_l, "profiles/only-home.json", "{}");
	put(share_l, "profiles/only-home.json", "{}");
	put(share_l, "experiments/only-share.json", "{}");
	assert_int_equal(chdir(e->tmp), 0);
	setenv("XDG_DATA_HOME", home, 1);
	setenv("XDG_DATA_DIRS", share, 1);

	/* No $LOUDVA_DATA_DIR: the checkout's own profile, then the XDG dirs. */
	char *tree = lv_data_source_tree();
	assert_non_null(tree);
	char *p = lv_data_find("profiles/nano.json");
	char *want = lv_path_join(tree, "profiles/nano.json");
	assert_string_equal(p, want);
	free(p);
	free(want);
	p = lv_data_find("profiles/only-home.json");
	want = lv_path_join(home_l, "profiles/only-home.json");
	assert_string_equal(p, want);
	free(p);
	free(want);
	p = lv_data_find("experiments/only-share.json");
	want = lv_path_join(share_l, "experiments/only-share.json");
	assert_string_equal(p, want);
	free(p);
	free(want);

	/* $LOUDVA_DATA_DIR comes before the checkout. */
	setenv(LV_DATA_DIR_ENV, first, 1);
	p = lv_data_find("profiles/nano.json");
	want = lv_path_join(first, "profiles/nano.json");
	assert_string_equal(p, want);
	free(p);
	free(want);

	/* Nowhere: the name as given, for the caller's "cannot open". */
	p = lv_data_find("profiles/nowhere.json");
	assert_string_equal(p, "profiles/nowhere.json");
	free(p);

	/* The listing names each entry and where it came from, in order. */
	char *sp = lv_data_search_path();
	char *a = strstr(sp, "($LOUDVA_DATA_DIR)"), *b = strstr(sp, "(source tree)");
	char *c = strstr(sp, "($XDG_DATA_HOME)"), *d = strstr(sp, "($XDG_DATA_DIRS)");
	assert_true(a && b && c && d && a < b && b < c && c < d);
	free(sp);
	free(tree);
	free(first);
	free(home);
	free(share);
	free(home_l);
	free(share_l);
}

static void test_resolve(void **state)
{
	struct env *e = *state;
	char *data = lv_path_join(e->tmp, "data");
	put(data, "experiments/x.json", "{}");
	put(e->tmp, "experiments/x.json", "{}");
	setenv(LV_DATA_DIR_ENV, data, 1);
	assert_int_equal(chdir(e->tmp), 0);

	/* Present from the working directory: as given, even with a data dir. */
	char *p = lv_data_resolve("experiments/x.json");
	assert_string_equal(p, "experiments/x.json");
	free(p);
	/* Absent here: from the search path. */
	char *sub = lv_path_join(e->tmp, "sub");
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(chdir(sub), 0);
	p = lv_data_resolve("experiments/x.json");
	char *want = lv_path_join(data, "experiments/x.json");
	assert_string_equal(p, want);
	free(p);
	free(want);
	/* Absolute paths are never searched. */
	p = lv_data_resolve("/nonexistent/experiments/x.json");
	assert_string_equal(p, "/nonexistent/experiments/x.json");
	free(p);
	assert_null(lv_data_resolve(NULL));
	free(sub);
	free(data);
}

static void test_cache_and_results(void **state)
{
	struct env *e = *state;
	char *cache = lv_path_join(e->tmp, "cache");
	char *st = lv_path_join(e->tmp, "state");
	setenv("XDG_CACHE_HOME", cache, 1);
	setenv("XDG_STATE_HOME", st, 1);

	/* In the checkout's root: results/ as always. */
	assert_int_equal(chdir(e->cwd), 0);
	char *p = lv_data_state_file("results", "results");
	assert_string_equal(p, "results");
	free(p);
	/* Elsewhere: the XDG state dir, never the working directory. */
	assert_int_equal(chdir(e->tmp), 0);
	p = lv_data_state_file("results", "results");
	char *want = lv_path_join(st, "loudva/results");
	assert_string_equal(p, want);
	free(p);
	free(want);
	/* A relative XDG value is ignored (the spec): $HOME's default instead. */
	setenv("XDG_STATE_HOME", "relative", 1);
	setenv("HOME", e->tmp, 1);
	p = lv_data_state_file("results", "results");
	want = lv_path_join(e->tmp, ".local/state/loudva/results");
	assert_string_equal(p, want);
	free(p);
	free(want);

	/* The program runs from a checkout: its cache stays in the checkout. */
	char *tree = lv_data_source_tree();
	p = lv_data_cache_file("profiles/.cache/predictor.json", "predictor.json");
	want = lv_path_join(tree, "profiles/.cache/predictor.json");
	assert_string_equal(p, want);
	free(p);
	free(want);
	free(tree);
	free(cache);
	free(st);
}

static void test_mkdir_p(void **state)
{
	struct env *e = *state;
	char *deep = lv_path_join(e->tmp, "a/b/c");
	assert_int_equal(lv_mkdir_p(deep, NULL), LV_OK);
	assert_int_equal(lv_mkdir_p(deep, NULL), LV_OK); /* again: fine */
	struct stat sb;
	assert_int_equal(stat(deep, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	/* Under a file: an error naming the path. */
	char *file = lv_test_write(e->tmp, "f", "x");
	char *under = lv_path_join(file, "d");
	char *why = NULL;
	assert_int_equal(lv_mkdir_p(under, &why), LV_EIO);
	assert_non_null(strstr(why, file));
	free(why);
	free(under);
	free(file);
	free(deep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_and_results, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_p, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
