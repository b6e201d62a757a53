/*
 * store: runs, frames, batches, devices and telemetry in SQLite (store.h
 * has the contract and the schema's purpose; experiments/README.md the
 * columns).
 *
 * Invariants: every INSERT goes through a statement prepared once at open;
 * `txn` says which transaction is open (enum txn) and the connection is
 * inside one exactly when txn is TXN_CALLER or TXN_OWN: a write that fails
 * (but for a constraint, which SQLite undoes by the statement alone) rolls
 * the transaction back at once (abandon), whatever SQLite did with it
 * already — for some errors it rolls back itself, for SQLITE_BUSY it keeps
 * the transaction open, and a store that kept going inside it failed
 * every later write with "a transaction is already open". SQLite result
 * codes are turned into LV_* codes plus a message here and go no further.
 */
#include "store.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "sched/engine.h"
#include "sched/metrics.h"
#include "model/profile.h"
#include "base/util.h"

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS runs("
    " id INTEGER PRIMARY KEY, experiment TEXT, policy TEXT NOT NULL, cost_mode TEXT,"
    " mode TEXT NOT NULL, trace TEXT, trace_seed INTEGER, seed INTEGER, cluster TEXT,"
    " frames INTEGER, served INTEGER, ok INTEGER, late INTEGER, failed INTEGER,"
    " expired INTEGER, rejected INTEGER, requests INTEGER, requests_ok INTEGER,"
    " window_s REAL, energy_j REAL, frames_per_joule REAL, pct_frames_ok REAL,"
    " latency_p50_s REAL, latency_p95_s REAL, latency_p99_s REAL, bound_energy_j REAL,"
    " frames_lost INTEGER, batches_lost INTEGER, telemetry_lost INTEGER);"
    "CREATE TABLE IF NOT EXISTS devices("
    " run_id INTEGER NOT NULL, device INTEGER NOT NULL, name TEXT, kind TEXT,"
    " energy_j REAL, frames INTEGER, batches INTEGER, busy_s REAL, avg_freq_hz REAL,"
    " PRIMARY KEY(run_id, device));"
    "CREATE TABLE IF NOT EXISTS frames("
    " run_id INTEGER NOT NULL, frame_id INTEGER NOT NULL, request INTEGER, idx INTEGER,"
    " state TEXT NOT NULL, arrival_s REAL, budget_s REAL, deadline_s REAL,"
    " dispatch_s REAL, done_s REAL, device INTEGER, freq_hz INTEGER, batch INTEGER,"
    " batch_id INTEGER, attempts INTEGER, reason TEXT, PRIMARY KEY(run_id, frame_id));"
    "CREATE TABLE IF NOT EXISTS batches("
    " run_id INTEGER NOT NULL, batch_id INTEGER NOT NULL, device INTEGER, frames INTEGER,"
    " freq_hz INTEGER, submit_s REAL, start_s REAL, end_s REAL, energy_j REAL,"
    " PRIMARY KEY(run_id, batch_id));"
    "CREATE TABLE IF NOT EXISTS telemetry("
    " run_id INTEGER NOT NULL, time_s REAL NOT NULL, device INTEGER NOT NULL,"
    " power_w REAL, energy_j REAL, freq_hz INTEGER, load_pct REAL);"
    "CREATE INDEX IF NOT EXISTS telemetry_run_time ON telemetry(run_id, time_s);";

/* Version 1 to 2: the runs columns as a version 2 file creates them, in the same order. */
static const char migrate_1_2_sql[] =
    "ALTER TABLE runs RENAME COLUMN frames_per_j TO frames_per_joule;"
    "ALTER TABLE runs ADD COLUMN frames_lost INTEGER;"
    "ALTER TABLE runs ADD COLUMN batches_lost INTEGER;"
    "ALTER TABLE runs ADD COLUMN telemetry_lost INTEGER;"
    "UPDATE schema_version SET version = 2;";

enum { ST_RUN, ST_FINISH, ST_DEVICE, ST_FRAME, ST_BATCH, ST_TELEMETRY, ST_LOST, ST_COUNT };

static const char *const stmt_sql[ST_COUNT] = {
	[ST_RUN] = "INSERT INTO runs(id, experiment, policy, cost_mode, mode, trace, trace_seed,"
	           " seed, cluster) VALUES(?,?,?,?,?,?,?,?,?)",
	[ST_FINISH] = "UPDATE runs SET frames=?, served=?, ok=?, late=?, failed=?, expired=?,"
	              " rejected=?, requests=?, requests_ok=?, window_s=?, energy_j=?,"
	              " frames_per_joule=?, pct_frames_ok=?, latency_p50_s=?, latency_p95_s=?,"
	              " latency_p99_s=?, bound_energy_j=? WHERE id=?",
	[ST_DEVICE] = "INSERT INTO devices VALUES(?,?,?,?,?,?,?,?,?)",
	[ST_FRAME] = "INSERT INTO frames VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
	[ST_BATCH] = "INSERT INTO batches VALUES(?,?,?,?,?,?,?,?,?)",
	[ST_TELEMETRY] = "INSERT INTO telemetry VALUES(?,?,?,?,?,?,?)",
	[ST_LOST] = "UPDATE runs SET frames_lost=?, batches_lost=?, telemetry_lost=? WHERE id=?",
};

enum txn {
	TXN_NONE,
	TXN_CALLER, /* lv_store_begin's */
	TXN_OWN,    /* the store's, for row-by-row writers: committed every LV_STORE_TXN_ROWS */
	TXN_FAILED, /* the caller's, rolled back after a failed write: no transaction open */
};

struct lv_store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *st[ST_COUNT];
	enum txn txn;
	size_t pending; /* rows in the store's own transaction */
	char *failed;   /* TXN_FAILED: what failed */
};

const char *lv_store_kind_name(enum lv_store_kind k)
{
	static const char *const names[LV_STORE_KINDS] = { "frames", "batches", "telemetry", "runs",
		                                           "devices" };
	return (unsigned)k < LV_STORE_KINDS ? names[k] : "?";
}

/* Fails with the database's current message. */
static int db_fail(struct lv_store *s, char **why, const char *what)
{
	return lv_fail(why, LV_ELIB, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

/*
 * What a failed write's SQLite code is to the caller: LV_EINVAL for a
 * constraint (the row itself is wrong), LV_EIO for everything that may
 * pass when tried again (locked, busy, full, I/O, out of memory, ...).
 */
static int write_code(int sqlite_rc)
{
	return (sqlite_rc & 0xff) == SQLITE_CONSTRAINT ? LV_EINVAL : LV_EIO;
}

/*
 * Leaves whatever transaction the connection is in, rows and all, and says
 * so in the state: the caller's becomes TXN_FAILED (`what` kept for its
 * commit's message), the store's own is simply gone. Returns the rows the
 * store's own transaction held.
 */
static size_t abandon(struct lv_store *s, const char *what)
{
	size_t rows = s->txn == TXN_OWN ? s->pending : 0;
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	if (s->txn == TXN_CALLER) {
		s->txn = TXN_FAILED;
		free(s->failed);
		s->failed = lv_xstrdup(what ? what : "a write failed");
	} else if (s->txn == TXN_OWN) {
		s->txn = TXN_NONE;
	}
	s->pending = 0;
	return rows;
}

/*
 * A write (statement step or COMMIT) failed with sqlite_rc and SQLite's
 * message err: the message names the file, what was written and why; the
 * transaction is rolled back unless only a constraint failed.
 */
static int write_fail(struct lv_store *s, int sqlite_rc, const char *err, const char *what,
                      char **why)
{
	int code = write_code(sqlite_rc);
	char *msg = lv_xasprintf("%s: %s: %s", s->path, what, err);
	if (code == LV_EINVAL && !sqlite3_get_autocommit(s->db)) {
		lv_fail(why, code, "%s", msg); /* the statement alone was undone */
	} else {
		size_t rows = abandon(s, msg);
		if (rows)
			lv_fail(why, code, "%s (rolled back with the %zu rows before it)", msg,
			        rows);
		else
			lv_fail(why, code, "%s (rolled back)", msg);
	}
	free(msg);
	return code;
}

static int exec(struct lv_store *s, const char *sql, char **why)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return LV_OK;
	int rc = lv_fail(why, LV_ELIB, "%s: %s", s->path, msg ? msg : sqlite3_errmsg(s->db));
	sqlite3_free(msg);
	return rc;
}

/* The file's schema version: 0 for a new database, -1 on error. */
static int64_t schema_version(struct lv_store *s, char **why)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;
	if (sqlite3_prepare_v2(s->db, "SELECT version FROM schema_version", -1, &st, NULL) !=
	    SQLITE_OK) {
		db_fail(s, why, "reading the schema version");
		return -1;
	}
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		v = 0;
	else
		db_fail(s, why, "reading the schema version");
	sqlite3_finalize(st);
	return v;
}

static int init_schema(struct lv_store *s, unsigned flags, char **why)
{
	const char *pragmas = (flags & LV_STORE_SCRATCH)
	                          ? "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
	                          : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
	if (exec(s, pragmas, why) != LV_OK || exec(s, "BEGIN", why) != LV_OK ||
	    exec(s, schema_sql, why) != LV_OK)
		return LV_ELIB;
	int64_t v = schema_version(s, why);
	if (v < 0)
		return LV_ELIB;
	if (v == 0) {
		char sql[80];
		snprintf(sql, sizeof(sql), "INSERT INTO schema_version VALUES(%d)",
		         LV_STORE_VERSION);
		if (exec(s, sql, why) != LV_OK)
			return LV_ELIB;
	} else if (v == 1) {
		if (exec(s, migrate_1_2_sql, why) != LV_OK)
			return LV_ELIB;
	} else if (v != LV_STORE_VERSION) {
		return lv_fail(why, LV_EINVAL, "%s: schema version %lld, this loudva reads %d",
		               s->path, (long long)v, LV_STORE_VERSION);
	}
	return exec(s, "COMMIT", why);
}

struct lv_store *lv_store_open(const char *path, unsigned flags, char **why)
{
	struct lv_store *s = lv_xcalloc(1, sizeof(*s));
	s->path = lv_xstrdup(path);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		lv_fail(why, LV_EIO, "%s: cannot open: %s", path,
		        s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, LV_STORE_BUSY_MS);
	if (init_schema(s, flags, why) != LV_OK) {
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		goto fail;
	}
	for (int i = 0; i < ST_COUNT; i++)
		if (sqlite3_prepare_v2(s->db, stmt_sql[i], -1, &s->st[i], NULL) != SQLITE_OK) {
			db_fail(s, why, "preparing statements");
			goto fail;
		}
	return s;
fail:
	lv_store_close(s, NULL);
	return NULL;
}

int lv_store_close(struct lv_store *s, char **why)
{
	if (!s)
		return LV_OK;
	int rc = LV_OK;
	if (s->txn == TXN_CALLER || s->txn == TXN_OWN)
		rc = lv_store_commit(s, why);
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	if (s->db && sqlite3_close(s->db) != SQLITE_OK && rc == LV_OK)
		rc = lv_fail(why, LV_ELIB, "%s: close failed", s->path);
	free(s->failed);
	free(s->path);
	free(s);
	return rc;
}

void lv_store_set_busy_timeout(struct lv_store *s, int ms)
{
	sqlite3_busy_timeout(s->db, ms);
}

/* BEGIN, out of whatever transaction the connection was left in (there should be none). */
static int begin(struct lv_store *s, char **why)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	int rc = sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL);
	return rc == SQLITE_OK
	           ? LV_OK
	           : write_fail(s, rc, sqlite3_errstr(rc), "starting a transaction", why);
}

int lv_store_begin(struct lv_store *s, char **why)
{
	if (s->txn == TXN_CALLER)
		return lv_fail(why, LV_ESTATE, "%s: a transaction is already open", s->path);
	if (s->txn != TXN_OWN) { /* the store's own, if any, becomes the caller's */
		s->txn = TXN_NONE;
		if (begin(s, why) != LV_OK)
			return LV_EIO;
	}
	s->txn = TXN_CALLER;
	return LV_OK;
}

int lv_store_commit(struct lv_store *s, char **why)
{
	if (s->txn == TXN_FAILED) {
		int rc = lv_fail(why, LV_ESTATE,
		                 "%s: nothing committed: the transaction was "
		                 "rolled back after %s",
		                 s->path, s->failed);
		s->txn = TXN_NONE;
		return rc;
	}
	if (s->txn == TXN_NONE)
		return LV_OK;
	int rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		write_fail(s, rc, sqlite3_errmsg(s->db), "committing", why);
		s->txn = TXN_NONE;
		return LV_EIO;
	}
	s->txn = TXN_NONE;
	s->pending = 0;
	return LV_OK;
}

void lv_store_rollback(struct lv_store *s)
{
	abandon(s, NULL);
	s->txn = TXN_NONE;
}

/* Before a row write: make sure a transaction is open. After: count it. */
static int row_begin(struct lv_store *s, char **why)
{
	if (s->txn == TXN_FAILED)
		return lv_fail(why, LV_ESTATE, "%s: the transaction was rolled back after %s",
		               s->path, s->failed);
	if (s->txn != TXN_NONE)
		return LV_OK;
	if (begin(s, why) != LV_OK)
		return LV_EIO;
	s->txn = TXN_OWN;
	s->pending = 0;
	return LV_OK;
}

static int row_done(struct lv_store *s, char **why)
{
	if (s->txn == TXN_OWN && ++s->pending >= LV_STORE_TXN_ROWS)
		return lv_store_commit(s, why);
	return LV_OK;
}

/* ---- binding ------------------------------------------------------------ */

static void bind_real(sqlite3_stmt *st, int i, double v)
{
	if (isfinite(v))
		sqlite3_bind_double(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static void bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

/*
 * Steps a fully bound INSERT/UPDATE and resets it. A failure rolls the
 * transaction back (write_fail), but for a constraint.
 */
static int run_stmt(struct lv_store *s, sqlite3_stmt *st, const char *what, char **why)
{
	int rc = sqlite3_step(st);
	char *err = rc == SQLITE_DONE ? NULL : lv_xstrdup(sqlite3_errmsg(s->db));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	int out = rc == SQLITE_DONE ? LV_OK : write_fail(s, rc, err, what, why);
	free(err);
	return out;
}

/* ---- writes ------------------------------------------------------------- */

int lv_store_add_run(struct lv_store *s, const struct lv_store_run *r, int64_t *id_out, char **why)
{
	sqlite3_stmt *st = s->st[ST_RUN];
	int rc = row_begin(s, why);
	if (rc != LV_OK)
		return rc;
	if (r->id > 0)
		sqlite3_bind_int64(st, 1, r->id);
	else
		sqlite3_bind_null(st, 1);
	bind_text(st, 2, r->experiment);
	bind_text(st, 3, r->policy ? r->policy : "?");
	bind_text(st, 4, r->cost_mode);
	bind_text(st, 5, r->mode ? r->mode : "sim");
	bind_text(st, 6, r->trace);
	if (r->trace_seed >= 0)
		sqlite3_bind_int64(st, 7, r->trace_seed);
	bind_u64(st, 8, r->seed);
	bind_text(st, 9, r->cluster);
	rc = run_stmt(s, st, "adding a run", why);
	if (rc != LV_OK)
		return rc;
	if (id_out)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return row_done(s, why);
}

int lv_store_finish_run(struct lv_store *s, int64_t run, const struct lv_run_metrics *m,
                        const struct lv_cluster *c, char **why)
{
	sqlite3_stmt *st = s->st[ST_FINISH];
	int rc = row_begin(s, why);
	if (rc != LV_OK)
		return rc;
	const uint64_t counts[] = { m->frames,  m->served,   m->ok,       m->late,       m->failed,
		                    m->expired, m->rejected, m->requests, m->requests_ok };
	int i = 1;
	for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++)
		bind_u64(st, i++, counts[k]);
	const double reals[] = { m->window_s,      m->energy_j,      m->frames_per_j,
		                 m->pct_frames_ok, m->latency_p50_s, m->latency_p95_s,
		                 m->latency_p99_s, m->bound.energy_j };
	for (size_t k = 0; k < sizeof(reals) / sizeof(reals[0]); k++)
		bind_real(st, i++, reals[k]);
	sqlite3_bind_int64(st, i, run);
	rc = run_stmt(s, st, "recording a run's results", why);
	if (rc == LV_OK && sqlite3_changes(s->db) != 1)
		rc = lv_fail(why, LV_ENOENT, "%s: no run %lld", s->path, (long long)run);
	st = s->st[ST_DEVICE];
	for (size_t d = 0; rc == LV_OK && d < m->n_devices; d++) {
		const struct lv_device_metrics *dm = &m->devices[d];
		sqlite3_bind_int64(st, 1, run);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)d);
		bind_text(st, 3, dm->name);
		bind_text(st, 4,
		          c && (size_t)dm->kind < c->n_kinds ? c->kinds[dm->kind].profile->kind
		                                             : NULL);
		bind_real(st, 5, dm->energy_j);
		bind_u64(st, 6, dm->frames);
		bind_u64(st, 7, dm->batches);
		bind_real(st, 8, dm->busy_s);
		bind_real(st, 9, dm->avg_freq_hz);
		rc = run_stmt(s, st, "adding a device row", why);
	}
	return rc == LV_OK ? row_done(s, why) : rc;
}

int lv_store_set_lost(struct lv_store *s, int64_t run, const uint64_t lost[LV_STORE_KINDS],
                      char **why)
{
	sqlite3_stmt *st = s->st[ST_LOST];
	int rc = row_begin(s, why);
	if (rc != LV_OK)
		return rc;
	bind_u64(st, 1, lost[LV_STORE_FRAMES]);
	bind_u64(st, 2, lost[LV_STORE_BATCHES]);
	bind_u64(st, 3, lost[LV_STORE_TELEMETRY]);
	sqlite3_bind_int64(st, 4, run);
	rc = run_stmt(s, st, "recording a run's missing rows", why);
	if (rc == LV_OK && sqlite3_changes(s->db) != 1)
		rc = lv_fail(why, LV_ENOENT, "%s: no run %lld", s->path, (long long)run);
	return rc == LV_OK ? row_done(s, why) : rc;
}

int lv_store_add_frame(struct lv_store *s, int64_t run, const struct lv_frame *f, char **why)
{
	sqlite3_stmt *st = s->st[ST_FRAME];
	int rc = row_begin(s, why);
	if (rc != LV_OK)
		return rc;
	int dispatched = f->device >= 0;
	sqlite3_bind_int64(st, 1, run);
	bind_u64(st, 2, f->id);
	bind_u64(st, 3, f->tag);
	sqlite3_bind_int64(st, 4, f->index);
	bind_text(st, 5, lv_frame_state_name(f->state));
	bind_real(st, 6, f->arrival_s);
	bind_real(st, 7, f->budget_s);
	bind_real(st, 8, f->deadline_s);
	bind_real(st, 9, f->dispatch_s);
	bind_real(st, 10, f->done_s);
	if (dispatched) {
		sqlite3_bind_int64(st, 11, f->device);
		if (f->freq_hz)
			bind_u64(st, 12, f->freq_hz);
		sqlite3_bind_int64(st, 13, f->batch);
		bind_u64(st, 14, f->batch_id);
	}
	sqlite3_bind_int64(st, 15, f->attempts);
	bind_text(st, 16, f->reason);
	rc = run_stmt(s, st, "adding a frame", why);
	return rc == LV_OK ? row_done(s, why) : rc;
}

int lv_store_add_batch(struct lv_store *s, int64_t run, const struct lv_store_batch *b, char **why)
{
	sqlite3_stmt *st = s->st[ST_BATCH];
	int rc = row_begin(s, why);
	if (rc != LV_OK)
		return rc;
	sqlite3_bind_int64(st, 1, run);
	bind_u64(st, 2, b->batch_id);
	sqlite3_bind_int64(st, 3, b->device);
	sqlite3_bind_int64(st, 4, b->frames);
	bind_u64(st, 5, b->freq_hz);
	bind_real(st, 6, b->submit_s);
	bind_real(st, 7, b->start_s);
	bind_real(st, 8, b->end_s);
	bind_real(st, 9, b->energy_j);
	rc = run_stmt(s, st, "adding a batch", why);
	return rc == LV_OK ? row_done(s, why) : rc;
}

int lv_store_add_telemetry(struct lv_store *s, int64_t run, const struct lv_store_telemetry *t,
                           char **why)
{
	sqlite3_stmt *st = s->st[ST_TELEMETRY];
	int rc = row_begin(s, why);
	if (rc != LV_OK)
		return rc;
	sqlite3_bind_int64(st, 1, run);
	bind_real(st, 2, t->time_s);
	sqlite3_bind_int64(st, 3, t->device);
	bind_real(st, 4, t->power_w);
	bind_real(st, 5, t->energy_j);
	if (t->freq_hz)
		bind_u64(st, 6, t->freq_hz);
	bind_real(st, 7, t->load_pct);
	rc = run_stmt(s, st, "adding telemetry", why);
	return rc == LV_OK ? row_done(s, why) : rc;
}

/* ---- merging ------------------------------------------------------------ */

static int attach(struct lv_store *s, const char *path, char **why)
{
	sqlite3_stmt *st = NULL;
	int rc = LV_OK;
	if (sqlite3_prepare_v2(s->db, "ATTACH DATABASE ?1 AS src", -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, why, "attaching");
	sqlite3_bind_text(st, 1, path, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = lv_fail(why, LV_EIO, "%s: cannot attach %s: %s", s->path, path,
		             sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return rc;
}

int lv_store_merge(struct lv_store *s, const char *path, char **why)
{
	static const char *const tables[] = { "runs", "devices", "frames", "batches", "telemetry" };
	if (s->txn == TXN_CALLER)
		return lv_fail(why, LV_ESTATE, "%s: merge inside a transaction", s->path);
	int rc = lv_store_commit(s, why);
	if (rc != LV_OK)
		return rc;
	if (attach(s, path, why) != LV_OK)
		return LV_EIO;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT version FROM src.schema_version", -1, &st, NULL) !=
	        SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		rc = lv_fail(why, LV_EINVAL, "%s: not a loudva store (%s)", path,
		             sqlite3_errmsg(s->db));
	} else if (sqlite3_column_int64(st, 0) != LV_STORE_VERSION) {
		rc = lv_fail(why, LV_EINVAL, "%s: schema version %lld, this loudva reads %d", path,
		             (long long)sqlite3_column_int64(st, 0), LV_STORE_VERSION);
	}
	sqlite3_finalize(st);
	if (rc == LV_OK)
		rc = exec(s, "BEGIN", why);
	for (size_t i = 0; rc == LV_OK && i < sizeof(tables) / sizeof(tables[0]); i++) {
		char sql[96];
		snprintf(sql, sizeof(sql), "INSERT INTO main.%s SELECT * FROM src.%s", tables[i],
		         tables[i]);
		char *w = NULL;
		rc = exec(s, sql, &w);
		if (rc != LV_OK)
			rc = lv_fail(why, LV_EINVAL, "%s: merging its %s failed: %s", path,
			             tables[i], w);
		free(w);
	}
	if (rc == LV_OK)
		rc = exec(s, "COMMIT", why);
	if (rc != LV_OK && !sqlite3_get_autocommit(s->db))
		exec(s, "ROLLBACK",
		     NULL); /* nothing of a failed merge stays, nor its transaction */
	exec(s, "DETACH DATABASE src", rc == LV_OK ? why : NULL);
	return rc;
}

/* ---- queries ------------------------------------------------------------ */

static double col_real(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static void col_str(sqlite3_stmt *st, int i, char *buf, size_t len)
{
	const unsigned char *v = sqlite3_column_text(st, i);
	snprintf(buf, len, "%s", v ? (const char *)v : "");
}

static const char summary_sql[] =
    "SELECT r.id, r.policy, r.trace, r.mode, r.cost_mode, r.trace_seed, r.seed,"
    " r.energy_j, r.window_s,"
    " (SELECT count(*) FROM frames f WHERE f.run_id = r.id),"
    " (SELECT count(*) FROM frames f WHERE f.run_id = r.id AND f.state = 'ok'),"
    " (SELECT count(*) FROM frames f WHERE f.run_id = r.id AND f.state = 'late'),"
    " (SELECT count(*) FROM frames f WHERE f.run_id = r.id AND f.state = 'failed'),"
    " (SELECT count(*) FROM frames f WHERE f.run_id = r.id AND f.state = 'expired'),"
    " (SELECT count(*) FROM frames f WHERE f.run_id = r.id AND f.state = 'rejected'),"
    " (SELECT count(*) FROM batches b WHERE b.run_id = r.id),"
    " (SELECT total(energy_j) FROM batches b WHERE b.run_id = r.id),"
    " (SELECT avg(done_s - arrival_s) FROM frames f WHERE f.run_id = r.id"
    "   AND f.state IN ('ok', 'late')),"
    " (SELECT max(done_s - arrival_s) FROM frames f WHERE f.run_id = r.id"
    "   AND f.state IN ('ok', 'late'))"
    " FROM runs r ORDER BY r.id";

int lv_store_summaries(struct lv_store *s, struct lv_store_summary **out, size_t *n, char **why)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0, len = 0;
	struct lv_store_summary *v = NULL;
	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(s->db, summary_sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, why, "summarising runs");
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap ? 2 * cap : 16;
			v = lv_xrealloc(v, cap * sizeof(*v));
		}
		struct lv_store_summary *x = &v[len++];
		memset(x, 0, sizeof(*x));
		x->run = sqlite3_column_int64(st, 0);
		col_str(st, 1, x->policy, sizeof(x->policy));
		col_str(st, 2, x->trace, sizeof(x->trace));
		col_str(st, 3, x->mode, sizeof(x->mode));
		col_str(st, 4, x->cost_mode, sizeof(x->cost_mode));
		x->trace_seed =
		    sqlite3_column_type(st, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 5);
		x->seed = (uint64_t)sqlite3_column_int64(st, 6);
		x->energy_j = col_real(st, 7);
		x->window_s = col_real(st, 8);
		uint64_t *counts[] = { &x->frames,  &x->ok,       &x->late,   &x->failed,
			               &x->expired, &x->rejected, &x->batches };
		for (int k = 0; k < 7; k++)
			*counts[k] = (uint64_t)sqlite3_column_int64(st, 9 + k);
		x->batch_energy_j = col_real(st, 16);
		x->latency_mean_s = col_real(st, 17);
		x->latency_max_s = col_real(st, 18);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(v);
		return db_fail(s, why, "summarising runs");
	}
	*out = v;
	*n = len;
	return LV_OK;
}

int lv_store_latencies(struct lv_store *s, const char *policy, double **out, size_t *n, char **why)
{
	static const char sql[] = "SELECT f.done_s - f.arrival_s AS l FROM frames f"
	                          " JOIN runs r ON r.id = f.run_id"
	                          " WHERE r.policy = ?1 AND f.state IN ('ok', 'late') ORDER BY l";
	sqlite3_stmt *st = NULL;
	size_t cap = 0, len = 0;
	double *v = NULL;
	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, why, "reading latencies");
	sqlite3_bind_text(st, 1, policy, -1, SQLITE_TRANSIENT);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap ? 2 * cap : 1024;
			v = lv_xrealloc(v, cap * sizeof(*v));
		}
		v[len++] = sqlite3_column_double(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(v);
		return db_fail(s, why, "reading latencies");
	}
	*out = v;
	*n = len;
	return LV_OK;
}
