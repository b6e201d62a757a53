/*
 * test_store: the SQLite store — schema and version, runs, frames, batches,
 * devices and telemetry written and read back, the store's own batched
 * transactions, merging scratch databases, the summary queries, the
 * migration of a version 1 file, and failed writes: rolled back, retried
 * and counted (store_spool.h), with a second SQLite connection holding the
 * database's write lock the way another process would. Every expected
 * figure is counted by hand from the rows the test writes; raw SQL (sqlite3
 * directly) is the independent reader.
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
#include "store/store_spool.h"
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
	struct lv_device_metrics dev = {
		"agx-xavier-00", 0, 12.5, 4, 2, 0.4, 1e9, 3.0, 0.1, 5.0, 1.0
	};
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

/* A second connection to path holding the database's write lock (BEGIN EXCLUSIVE). */
static sqlite3 *lock_db(const char *path)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	return db;
}

static void unlock_db(sqlite3 *db)
{
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void expect_why(char **why, const char *needle)
{
	assert_non_null(*why);
	if (!strstr(*why, needle))
		fail_msg("'%s' lacks '%s'", *why, needle);
	free(*why);
	*why = NULL;
}

/*
 * A write that fails because another process holds the lock past the busy
 * time-out is rolled back: the caller's transaction reports it at commit,
 * and once the lock is released the same store writes again (it used to
 * stay inside the failed transaction: "a transaction is already open").
 */
static void test_failed_write_rolls_back(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp();
	char *path = lv_path_join(dir, "l.db");
	char *why = NULL;
	struct lv_store *s = lv_store_open(path, 0, &why);
	assert_non_null(s);
	lv_store_set_busy_timeout(s, 20);
	int64_t run = add_run(s, 0, "loud(pred)");
	assert_int_equal(lv_store_commit(s, &why), LV_OK);

	sqlite3 *other = lock_db(path);
	struct lv_frame f1 = frame(1, LV_FRAME_OK, 0, 0.5), f2 = frame(2, LV_FRAME_OK, 0, 0.6);
	assert_int_equal(lv_store_begin(s, &why), LV_OK);
	assert_int_equal(lv_store_add_frame(s, run, &f1, &why), LV_EIO);
	expect_why(&why, "l.db: adding a frame: database is locked (rolled back)");
	assert_int_equal(lv_store_add_frame(s, run, &f2, &why), LV_ESTATE);
	expect_why(&why, "rolled back after");
	assert_int_equal(lv_store_commit(s, &why), LV_ESTATE);
	expect_why(&why, "nothing committed");
	/* Row by row (the store's own transaction), the same. */
	assert_int_equal(lv_store_add_frame(s, run, &f1, &why), LV_EIO);
	expect_why(&why, "database is locked");
	unlock_db(other);

	assert_int_equal(lv_store_begin(s, &why), LV_OK);
	assert_int_equal(lv_store_add_frame(s, run, &f1, &why), LV_OK);
	assert_int_equal(lv_store_add_frame(s, run, &f2, &why), LV_OK);
	assert_int_equal(lv_store_commit(s, &why), LV_OK);
	assert_null(why);
	/* The store's own transaction after a failure, too. */
	other = lock_db(path);
	struct lv_frame f3 = frame(3, LV_FRAME_LATE, 1, 3);
	assert_int_equal(lv_store_add_frame(s, run, &f3, &why), LV_EIO);
	expect_why(&why, "locked");
	unlock_db(other);
	assert_int_equal(lv_store_add_frame(s, run, &f3, &why), LV_OK);
	assert_int_equal(lv_store_commit(s, &why), LV_OK);
	/* lv_store_rollback abandons what the caller began. */
	assert_int_equal(lv_store_begin(s, &why), LV_OK);
	struct lv_frame f4 = frame(4, LV_FRAME_OK, 1, 2);
	assert_int_equal(lv_store_add_frame(s, run, &f4, &why), LV_OK);
	lv_store_rollback(s);
	assert_int_equal(lv_store_close(s, &why), LV_OK);
	assert_null(why);
	assert_int_equal(query_int(path, "SELECT count(*) FROM frames"), 2 + 1);
	assert_int_equal(query_int(path, "SELECT count(*) FROM frames WHERE frame_id = 4"), 0);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

/* Nothing held: rows of every kind written and lost add up to the rows taken, kind by kind. */
static void expect_conserved(const struct lv_store_spool *sp, const uint64_t *taken)
{
	struct lv_store_tally t;
	lv_store_spool_tally(sp, &t);
	for (int k = 0; k < LV_STORE_KINDS; k++)
		if (t.pending[k] != 0 || t.written[k] + t.lost[k] != taken[k])
			fail_msg("%s: %llu written + %llu lost, %llu taken", lv_store_kind_name(k),
			         (unsigned long long)t.written[k], (unsigned long long)t.lost[k],
			         (unsigned long long)taken[k]);
}

static void add_rows(struct lv_store_rows *w, uint64_t *taken, uint64_t first_id, int frames,
                     int batches, int tel)
{
	for (int i = 0; i < frames; i++) {
		struct lv_frame f = frame(first_id + (uint64_t)i, LV_FRAME_OK, 0, 0.5);
		lv_store_rows_add_frame(w, &f);
	}
	for (int i = 0; i < batches; i++) {
		struct lv_store_batch b = {
			0, first_id + (uint64_t)i, 2, 1377000000, 0, 0, 0.4, NAN
		};
		lv_store_rows_add_batch(w, &b);
	}
	for (int i = 0; i < tel; i++) {
		struct lv_store_telemetry t = { (double)i, 0, 5.0, 1.0, 0, 10 };
		lv_store_rows_add_telemetry(w, &t);
	}
	taken[LV_STORE_FRAMES] += (uint64_t)frames;
	taken[LV_STORE_BATCHES] += (uint64_t)batches;
	taken[LV_STORE_TELEMETRY] += (uint64_t)tel;
}

/*
 * The spool (synthetic clock): a locked database makes the attempt fail,
 * the rows wait and go in once the lock is gone; rows that wait past
 * retry_s are given up and counted, and the next good write reports the
 * gap; the run's results carry the missing rows into the runs row.
 */
static void test_spool_retries_and_counts(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp();
	char *path = lv_path_join(dir, "sp.db");
	char *why = NULL;
	struct lv_store *s = lv_store_open(path, 0, &why);
	assert_non_null(s);
	lv_store_set_busy_timeout(s, 20);
	int64_t run = add_run(s, 0, "loud(pred)");
	assert_int_equal(lv_store_commit(s, &why), LV_OK);
	struct lv_store_spool_config cfg = { .retry_s = 10,
		                             .backoff_min_s = 0.25,
		                             .backoff_max_s = 4 };
	struct lv_store_spool *sp = lv_store_spool_new(s, run, &cfg);
	struct lv_store_rows w = { 0 };
	struct lv_store_flush ev;
	struct lv_store_tally t;
	uint64_t taken[LV_STORE_KINDS] = { 0 };

	/* 1. Locked: the attempt fails and is rolled back; the rows wait. */
	add_rows(&w, taken, 1, 3, 1, 2);
	lv_store_spool_take(sp, &w, 0.0);
	assert_int_equal(lv_store_rows_count(&w), 0);
	assert_int_equal(lv_store_spool_pending(sp), 6);
	sqlite3 *other = lock_db(path);
	assert_int_equal(lv_store_spool_flush(sp, 0.0, &ev, &why), LV_EIO);
	expect_why(&why, "database is locked");
	assert_true(ev.attempted && !ev.ok && ev.first_failure);
	assert_true(ev.retry_at_s == 0.25);
	assert_true(lv_store_spool_due(sp) == 0.25);
	lv_store_spool_tally(sp, &t);
	assert_true(t.failing);
	assert_int_equal(t.failures, 1);
	assert_int_equal(t.pending[LV_STORE_FRAMES], 3);
	assert_int_equal(t.pending[LV_STORE_BATCHES], 1);
	assert_int_equal(t.pending[LV_STORE_TELEMETRY], 2);
	assert_non_null(strstr(t.last_error, "locked"));
	/* Not due yet: nothing tried. */
	assert_int_equal(lv_store_spool_flush(sp, 0.1, &ev, &why), LV_OK);
	assert_false(ev.attempted);
	/* A second failure is not a new outage, and the back-off doubles. */
	assert_int_equal(lv_store_spool_flush(sp, 0.3, &ev, &why), LV_EIO);
	expect_why(&why, "locked");
	assert_false(ev.first_failure);
	assert_true(ev.retry_at_s == 0.8);
	unlock_db(other);
	/* 2. The lock is gone: everything goes in, nothing was lost, no gap. */
	assert_int_equal(lv_store_spool_flush(sp, 0.8, &ev, &why), LV_OK);
	assert_true(ev.attempted && ev.ok);
	assert_int_equal(ev.written, 6);
	for (int k = 0; k < LV_STORE_KINDS; k++)
		assert_int_equal(ev.gap[k] + ev.lost[k], 0);
	lv_store_spool_tally(sp, &t);
	assert_false(t.failing);
	assert_int_equal(t.written[LV_STORE_FRAMES], 3);
	assert_int_equal(t.written[LV_STORE_TELEMETRY], 2);
	assert_int_equal(t.gaps, 0);
	assert_int_equal(query_int(path, "SELECT count(*) FROM frames"), 3);
	assert_int_equal(query_int(path, "SELECT count(*) FROM telemetry"), 2);
	expect_conserved(sp, taken);

	/* 3. Locked for longer than retry_s: the rows are given up, counted. */
	other = lock_db(path);
	add_rows(&w, taken, 10, 2, 0, 1);
	lv_store_spool_take(sp, &w, 1.0);
	assert_int_equal(lv_store_spool_flush(sp, 1.0, &ev, &why), LV_EIO);
	free(why);
	why = NULL;
	assert_true(ev.first_failure);
	add_rows(&w, taken, 20, 1, 0, 0); /* a new chunk: the first was tried */
	lv_store_spool_take(sp, &w, 5.0);
	assert_int_equal(lv_store_spool_flush(sp, 5.0, &ev, &why), LV_EIO);
	free(why);
	why = NULL;
	/* At 10.5 the first chunk has waited 9.5 s: kept, tried a third time. */
	assert_int_equal(lv_store_spool_flush(sp, 10.5, &ev, &why), LV_EIO);
	free(why);
	why = NULL;
	assert_int_equal(ev.lost[LV_STORE_FRAMES], 0);
	/* At 11.5 it has waited 10.5 s after three failures: given up; the second not yet. */
	assert_int_equal(lv_store_spool_flush(sp, 11.5, &ev, &why), LV_EIO);
	free(why);
	why = NULL;
	assert_int_equal(ev.lost[LV_STORE_FRAMES], 2);
	assert_int_equal(ev.lost[LV_STORE_TELEMETRY], 1);
	assert_int_equal(lv_store_spool_pending(sp), 1);
	lv_store_spool_lost(sp, LV_STORE_BATCHES, 4); /* say the writer's buffer overflowed */
	taken[LV_STORE_BATCHES] += 4;
	unlock_db(other);
	/* 4. Writing resumes: the gap is reported and counted once. */
	assert_int_equal(lv_store_spool_flush(sp, 14.0, &ev, &why), LV_OK); /* 9 s: kept */
	assert_true(ev.ok);
	assert_int_equal(ev.written, 1);
	assert_int_equal(ev.gap[LV_STORE_FRAMES], 2);
	assert_int_equal(ev.gap[LV_STORE_BATCHES], 4);
	assert_int_equal(ev.gap[LV_STORE_TELEMETRY], 1);
	lv_store_spool_tally(sp, &t);
	assert_int_equal(t.gaps, 1);
	assert_int_equal(t.lost[LV_STORE_FRAMES], 2);
	assert_int_equal(t.failures, 2 + 4);
	expect_conserved(sp, taken);
	add_rows(&w, taken, 30, 1, 0, 0);
	lv_store_spool_take(sp, &w, 17.0);
	assert_int_equal(lv_store_spool_flush(sp, 17.0, &ev, &why), LV_OK);
	assert_int_equal(ev.gap[LV_STORE_FRAMES], 0); /* reported once */

	/* 5. A row the database refuses (a duplicate frame id) is lost alone. */
	add_rows(&w, taken, 30, 2, 0, 0); /* ids 30 (taken) and 31 */
	lv_store_spool_take(sp, &w, 18.0);
	assert_int_equal(lv_store_spool_flush(sp, 18.0, &ev, &why), LV_OK);
	assert_int_equal(ev.lost[LV_STORE_FRAMES], 1);
	assert_int_equal(ev.written, 1);
	assert_non_null(strstr(ev.refused, "adding a frame"));
	expect_conserved(sp, taken);

	/* 6. The results: the runs row records what is missing. */
	struct lv_device_metrics dev = {
		"agx-xavier-00", 0, 12.5, 4, 2, 0.4, 1e9, 3.0, 0.1, 5.0, 1.0
	};
	struct lv_run_metrics m;
	memset(&m, 0, sizeof(m));
	m.frames = 9;
	m.n_devices = 1;
	m.devices = &dev;
	lv_store_spool_finish(sp, &m, NULL, 19.0);
	assert_int_equal(lv_store_spool_pending(sp), 2); /* the runs row and a devices row */
	assert_int_equal(lv_store_spool_flush(sp, 19.0, &ev, &why), LV_OK);
	assert_int_equal(lv_store_spool_pending(sp), 0);
	assert_true(lv_store_spool_due(sp) == INFINITY);
	lv_store_spool_tally(sp, &t);
	assert_int_equal(t.written[LV_STORE_RUNS], 1);
	assert_int_equal(t.written[LV_STORE_DEVICES], 1);
	assert_int_equal(t.lost[LV_STORE_FRAMES], 3);
	lv_store_spool_free(sp);
	lv_store_rows_fini(&w);
	assert_int_equal(lv_store_close(s, &why), LV_OK);
	assert_int_equal(query_int(path, "SELECT frames_lost FROM runs"), 3);
	assert_int_equal(query_int(path, "SELECT batches_lost FROM runs"), 4);
	assert_int_equal(query_int(path, "SELECT telemetry_lost FROM runs"), 1);
	assert_int_equal(query_int(path, "SELECT frames FROM runs"), 9);
	/* Rows in the database + rows counted lost = rows the writer had. */
	assert_int_equal(query_int(path, "SELECT count(*) FROM frames") + 3,
	                 (long long)taken[LV_STORE_FRAMES]);
	assert_int_equal(query_int(path, "SELECT count(*) FROM batches") + 4,
	                 (long long)taken[LV_STORE_BATCHES]);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

/* Giving up at the end counts every row held; results included. */
static void test_spool_give_up(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp();
	char *path = lv_path_join(dir, "g.db");
	char *why = NULL;
	struct lv_store *s = lv_store_open(path, 0, &why);
	assert_non_null(s);
	lv_store_set_busy_timeout(s, 20);
	int64_t run = add_run(s, 0, "loud(pred)");
	assert_int_equal(lv_store_commit(s, &why), LV_OK);
	struct lv_store_spool *sp = lv_store_spool_new(s, run, NULL);
	struct lv_store_rows w = { 0 };
	uint64_t taken[LV_STORE_KINDS] = { 0 };
	add_rows(&w, taken, 1, 5, 2, 3);
	lv_store_spool_take(sp, &w, 0.0);
	struct lv_run_metrics m;
	memset(&m, 0, sizeof(m));
	lv_store_spool_finish(sp, &m, NULL, 0.0);
	sqlite3 *other = lock_db(path);
	struct lv_store_flush ev;
	assert_int_equal(lv_store_spool_flush(sp, 0.0, &ev, &why), LV_EIO);
	free(why);
	why = NULL;
	lv_store_spool_give_up(sp, &ev);
	unlock_db(other);
	assert_int_equal(ev.lost[LV_STORE_FRAMES], 5);
	assert_int_equal(ev.lost[LV_STORE_BATCHES], 2);
	assert_int_equal(ev.lost[LV_STORE_TELEMETRY], 3);
	assert_int_equal(ev.lost[LV_STORE_RUNS], 1);
	assert_int_equal(lv_store_spool_pending(sp), 0);
	taken[LV_STORE_RUNS] = 1;
	expect_conserved(sp, taken);
	lv_store_spool_free(sp);
	lv_store_rows_fini(&w);
	assert_int_equal(lv_store_close(s, &why), LV_OK);
	assert_int_equal(query_int(path, "SELECT count(*) FROM frames"), 0);
	assert_int_equal(query_int(path, "SELECT frames FROM runs"), -2);
	free(path);
	lv_test_rmtree(dir);
	free(dir);
}

/* A version 1 file (frames_per_j, no lost columns) is migrated when opened, rows kept. */
static void test_migrates_version_1(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp();
	char *path = lv_path_join(dir, "v1.db");
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db,
	                 "CREATE TABLE schema_version(version INTEGER NOT NULL);"
	                 "INSERT INTO schema_version VALUES(1);"
	                 "CREATE TABLE runs(id INTEGER PRIMARY KEY, experiment TEXT,"
	                 " policy TEXT NOT NULL, cost_mode TEXT, mode TEXT NOT NULL, trace TEXT,"
	                 " trace_seed INTEGER, seed INTEGER, cluster TEXT, frames INTEGER,"
	                 " served INTEGER, ok INTEGER, late INTEGER, failed INTEGER,"
	                 " expired INTEGER, rejected INTEGER, requests INTEGER,"
	                 " requests_ok INTEGER, window_s REAL, energy_j REAL, frames_per_j REAL,"
	                 " pct_frames_ok REAL, latency_p50_s REAL, latency_p95_s REAL,"
	                 " latency_p99_s REAL, bound_energy_j REAL);"
	                 "INSERT INTO runs(id, policy, mode, frames, frames_per_j)"
	                 " VALUES(3, 'loud(prof)', 'sim', 40, 1.5);",
	                 NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	char *why = NULL;
	struct lv_store *s = lv_store_open(path, 0, &why);
	if (!s)
		fail_msg("%s", why);
	const uint64_t lost[LV_STORE_KINDS] = { 7, 0, 2, 0, 0 };
	assert_int_equal(lv_store_set_lost(s, 3, lost, &why), LV_OK);
	assert_int_equal(lv_store_set_lost(s, 4, lost, &why), LV_ENOENT);
	expect_why(&why, "no run 4");
	assert_int_equal(lv_store_close(s, &why), LV_OK);
	assert_int_equal(query_int(path, "SELECT version FROM schema_version"), 2);
	assert_int_equal(query_int(path, "SELECT frames_per_joule * 2 FROM runs"), 3);
	assert_int_equal(query_int(path, "SELECT frames_lost FROM runs WHERE id = 3"), 7);
	assert_int_equal(query_int(path, "SELECT telemetry_lost FROM runs"), 2);
	assert_int_equal(query_int(path, "SELECT frames FROM runs"), 40);
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
		cmocka_unit_test(test_failed_write_rolls_back),
		cmocka_unit_test(test_spool_retries_and_counts),
		cmocka_unit_test(test_spool_give_up),
		cmocka_unit_test(test_migrates_version_1),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
