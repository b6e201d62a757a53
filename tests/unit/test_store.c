/*
 * test_store: the SQLite store — schema and version, runs, frames, batches,
 * devices and telemetry written and read back, the store's own batched
 * transactions, merging scratch databases, and the summary queries. Every
 * expected figure is counted by hand from the rows the test writes; raw
 * SQL (sqlite3 directly) is the independent reader.
 */
#include "testutil.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched/engine.h"
#include "sched/metrics.h"
#include "store/store.h"
#include "base/file.h"
#include "base/util.h"

/* One integer from a query on the file at path (a second, plain connection). */
static long long query_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -2 : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static struct lv_frame frame(uint64_t id, enum lv_frame_state s, double arrival, double done)
{
	struct lv_frame f;
	memset(&f, 0, sizeof(f));
	f.id = id;
	f.tag = id / 2;
	f.state = s;
	f.arrival_s = arrival;
	f.budget_s = 1.0;
	f.deadline_s = arrival + 1.0;
	f.done_s = done;
	f.dispatch_s = s == LV_FRAME_OK || s == LV_FRAME_LATE ? arrival + 0.1 : NAN;
	f.device = s == LV_FRAME_OK || s == LV_FRAME_LATE ? 0 : -1;
	f.freq_hz = 1377000000;
	f.batch = 2;
	f.batch_id = 7;
	f.attempts = f.device >= 0;
	f.reason = s == LV_FRAME_REJECTED ? "bad budget" : NULL;
	return f;
}

static int64_t add_run(struct lv_store *s, int64_t id, const char *policy)
{
	const struct lv_store_run r = { id, "exp", policy, "prof", "sim", "t", 3, 1, "single-agx" };
	int64_t got = 0;
	char *why = NULL;
	assert_int_equal(lv_store_add_run(s, &r, &got, &why), LV_OK);
	assert_null(why);
	return got;
}

/* Frames of one run: 3 ok (latencies 0.5, 0.25, 1.0), 1 late (2.0), 1 expired, 1 rejected. */
static void add_frames(struct lv_store *s, int64_t run)
{
	const struct lv_frame f[] = {
		frame(1, LV_FRAME_OK, 0.0, 0.5),       frame(2, LV_FRAME_OK, 1.0, 1.25),
		frame(3, LV_FRAME_OK, 2.0, 3.0),       frame(4, LV_FRAME_LATE, 2.0, 4.0),
		frame(5, LV_FRAME_EXPIRED, 3.0, 34.0), frame(6, LV_FRAME_REJECTED, 5.0, 5.0),
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		assert_int_equal(lv_store_add_frame(s, run, &f[i], NULL), LV_OK);
	const struct lv_store_batch b1 = { 0, 7, 2, 1377000000, 0.1, 0.1, 0.4, 3.5 };
	const struct lv_store_batch b2 = { 0, 8, 2, 1377000000, 1.1, 1.1, 1.2, 1.25 };
	assert_int_equal(lv_store_add_batch(s, run, &b1, NULL), LV_OK);
	assert_int_equal(lv_store_add_batch(s, run, &b2, NULL), LV_OK);
}

static void test_write_and_summarise(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp();
	char *path = lv_path_join(dir, "s.db");
	char *why = NULL;
	struct lv_store *s = lv_store_open(path, 0, &why);
	assert_non_null(s);
	int64_t run = add_run(s, 0, "loud(prof)");
	assert_int_equal(run, 1);
	add_frames(s, run);
	struct lv_device_metrics dev = { "agx-xavier-00", 0, 12.5, 4, 2, 0.4, 1e9 };
	struct lv_run_metrics m;
	memset(&m, 0, sizeof(m));
	m.frames = 6;
	m.ok = 3;
	m.energy_j = 12.5;
	m.window_s = 34;
	m.latency_p50_s = NAN;
	m.n_devices = 1;
	m.devices = &dev;
	assert_int_equal(lv_store_finish_run(s, run, &m, NULL, &why), LV_OK);
	const struct lv_store_telemetry t = { 0.5, 0, 7.25, NAN, 0, 40 };
	assert_int_equal(lv_store_add_telemetry(s, run, &t, &why), LV_OK);
	assert_int_equal(lv_store_finish_run(s, 99, &m, NULL, &why), LV_ENOENT);
	free(why);
	why = NULL;

	struct lv_store_summary *v = NULL;
	size_t n = 0;
	assert_int_equal(lv_store_summaries(s, &v, &n, &why), LV_OK);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].policy, "loud(prof)");
	assert_int_equal(v[0].trace_seed, 3);
	assert_int_equal(v[0].frames, 6);
	assert_int_equal(v[0].ok, 3);
	assert_int_equal(v[0].late, 1);
	assert_int_equal(v[0].failed, 0);
	assert_int_equal(v[0].expired, 1);
	assert_int_equal(v[0].rejected, 1);
	assert_int_equal(v[0].batches, 2);
	assert_true(v[0].batch_energy_j == 4.75);
	assert_true(v[0].energy_j == 12.5);
	/* served latencies 0.5, 0.25, 1.0, 2.0: mean 0.9375, max 2 */
	assert_true(fabs(v[0].latency_mean_s - 0.9375) < 1e-12);
	assert_true(v[0].latency_max_s == 2.0);
	free(v);

	double *lat = NULL;
	assert_int_equal(lv_store_latencies(s, "loud(prof)", &lat, &n, &why), LV_OK);
	assert_int_equal(n, 4);
	assert_true(lat[0] == 0.25 && lat[1] == 0.5 && lat[2] == 1.0 && lat[3] == 2.0);
	free(lat);
	assert_int_equal(lv_store_latencies(s, "transparent", &lat, &n, &why), LV_OK);
	assert_int_equal(n, 0);
	assert_null(lat);
	assert_int_equal(lv_store_close(s, &why), LV_OK);

	/* An independent reader sees the same rows; NULLs where nothing applies. */
	assert_int_equal(query_int(path, "SELECT version FROM schema_version"), LV_STORE_VERSION);
	assert_int_equal(query_int(path, "SELECT count(*) FROM frames WHERE device IS NULL"), 2);
	assert_int_equal(query_int(path, "SELECT count(*) FROM frames WHERE reason='bad budget'"),
	                 1);
	assert_int_equal(query_int(path, "SELECT request FROM frames WHERE frame_id=5"), 2);
	assert_int_equal(query_int(path, "SELECT frames FROM devices WHERE run_id=1"), 4);
	assert_int_equal(query_int(path, "SELECT latency_p50_s FROM runs"), -2);
	assert_int_equal(query_int(path, "SELECT energy_j FROM telemetry"), -2);
	assert_int_equal(query_int(path, "SELECT load_pct FROM telemetry"), 40);
	char mode[16] = "";
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	sqlite3_open(path, &db);
	sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(mode, sizeof(mode), "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_string_equal(mode, "wal");

	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

/* Row-by-row writes outside a transaction are batched, and all land. */
static void test_batched_transactions(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp();
	char *path = lv_path_join(dir, "b.db");
	char *why = NULL;
	struct lv_store *s = lv_store_open(path, 0, &why);
	assert_non_null(s);
	int64_t run = add_run(s, 5, "transparent");
	assert_int_equal(run, 5);
	const size_t n = LV_STORE_TXN_ROWS + 123;
	for (size_t i = 1; i <= n; i++) {
		struct lv_frame f = frame(i, LV_FRAME_OK, (double)i, (double)i + 0.5);
		assert_int_equal(lv_store_add_frame(s, run, &f, &why), LV_OK);
	}
	/* The first LV_STORE_TXN_ROWS rows are committed already; the rest at close. */
	assert_true(query_int(path, "SELECT count(*) FROM frames") >= LV_STORE_TXN_ROWS - 1);
	assert_int_equal(lv_store_close(s, &why), LV_OK);
	assert_int_equal(query_int(path, "SELECT count(*) FROM frames"), (long long)n);

	/* The caller's transaction: begin twice is a state error; a taken id is EINVAL. */
	s = lv_store_open(path, 0, &why);
	assert_non_null(s);
	assert_int_equal(lv_store_begin(s, &why), LV_OK);
	assert_int_equal(lv_store_begin(s, &why), LV_ESTATE);
	assert_non_null(strstr(why, "already open"));
	free(why);
	why = NULL;
	const struct lv_store_run dup = { 5, NULL, "x", NULL, "sim", NULL, -1, 1, NULL };
	assert_int_equal(lv_store_add_run(s, &dup, NULL, &why), LV_EINVAL);
	free(why);
	why = NULL;
	assert_int_equal(lv_store_commit(s, &why), LV_OK);
	assert_int_equal(lv_store_close(s, &why), LV_OK);
	assert_int_equal(query_int(path, "SELECT count(*) FROM runs"), 1);

	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

/* Scratch stores merge in the order given; a collision merges nothing. */
static void test_merge(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp();
	char *a = lv_path_join(dir, "a.db"), *b = lv_path_join(dir, "b.db");
	char *main_db = lv_path_join(dir, "main.db");
	char *why = NULL;
	for (int k = 0; k < 2; k++) {
		struct lv_store *s = lv_store_open(k ? b : a, LV_STORE_SCRATCH, &why);
		assert_non_null(s);
		add_run(s, k + 1, k ? "transparent" : "loud(prof)");
		add_frames(s, k + 1);
		assert_int_equal(lv_store_close(s, &why), LV_OK);
	}
	struct lv_store *m = lv_store_open(main_db, 0, &why);
	assert_non_null(m);
	assert_int_equal(lv_store_merge(m, a, &why), LV_OK);
	assert_int_equal(lv_store_merge(m, b, &why), LV_OK);
	assert_null(why);
	assert_int_equal(lv_store_merge(m, a, &why), LV_EINVAL);
	assert_non_null(strstr(why, "a.db"));
	free(why);
	why = NULL;
	char *missing = lv_path_join(dir, "nope/x.db");
	assert_int_not_equal(lv_store_merge(m, missing, &why), LV_OK);
	free(why);
	why = NULL;
	free(missing);

	struct lv_store_summary *v = NULL;
	size_t n = 0;
	assert_int_equal(lv_store_summaries(m, &v, &n, &why), LV_OK);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].run, 1);
	assert_string_equal(v[1].policy, "transparent");
	assert_int_equal(v[1].frames, 6);
	assert_int_equal(v[1].batches, 2);
	free(v);
	assert_int_equal(lv_store_close(m, &why), LV_OK);
	assert_int_equal(query_int(main_db, "SELECT count(*) FROM frames"), 12);
	assert_int_equal(query_int(main_db, "SELECT count(*) FROM batches"), 4);

	free(a);
	free(b);
	free(main_db);
	lv_test_rmtree(dir);
	free(dir);
}

/* Another schema version, or a file that is no database, is refused by name. */
static void test_refuses_foreign_files(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp();
	char *path = lv_path_join(dir, "v.db");
	char *why = NULL;
	struct lv_store *s = lv_store_open(path, 0, &why);
	assert_non_null(s);
	lv_store_close(s, NULL);
	sqlite3 *db = NULL;
	sqlite3_open(path, &db);
	assert_int_equal(
	    sqlite3_exec(db, "UPDATE schema_version SET version = 99", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_null(lv_store_open(path, 0, &why));
	assert_non_null(strstr(why, "v.db: schema version 99"));
	free(why);
	why = NULL;

	char *text = lv_test_write(dir, "notes.db", "these are not the rows you are looking for\n");
	assert_null(lv_store_open(text, 0, &why));
	assert_non_null(strstr(why, "notes.db"));
	free(why);
	why = NULL;
	char *nodir = lv_path_join(dir, "missing/dir/x.db");
	assert_null(lv_store_open(nodir, 0, &why));
	assert_non_null(strstr(why, "missing/dir/x.db"));
	free(why);

	free(nodir);
	free(text);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_and_summarise),
		cmocka_unit_test(test_batched_transactions),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_refuses_foreign_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
