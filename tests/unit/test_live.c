/*
 * Tests of the live runtime (live.h) and the launcher (launcher.h) against
 * real emulated agents: each test starts loudva-agent processes on loopback
 * ($LOUDVA_AGENT, else build/san/loudva-agent) and drives lv_live as the
 * front end does — requests submitted from this thread, answers waited for
 * — and watches it through snapshots, as the console does. No timed
 * assertions: waits poll for a state with a generous limit.
 */
#include "live/live.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "model/cluster.h"
#include "base/clock.h"
#include "harness/launcher.h"
#include "sched/metrics.h"
#include "model/profile.h"
#include "sim/sim.h"
#include "sched/snapshot.h"
#include "store/store.h"
#include "testutil.h"
#include "base/file.h"
#include "base/util.h"

#define WAIT_S 20.0

struct rig {
	char *dir;
	struct lv_launcher *launcher;
	struct lv_live *lv;
};

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void nap(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - floor(s)) * 1e9) };
	nanosleep(&ts, NULL);
}

/*
 * An AGX Xavier and a Nano, emulated, under `policy` (prof cost tables);
 * a power timeline every sample_s (0: none), a store at db (NULL: none)
 * with run row `run` (NULL: the default).
 */
static void rig_start_with(struct rig *r, const char *policy, double sample_s, const char *db,
                           const struct lv_store_run *run)
{
	memset(r, 0, sizeof(*r));
	r->dir = lv_test_mkdtemp();
	char cwd[4096];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	char *json =
	    lv_xasprintf("{\"name\": \"pair\", \"profiles\": \"%s/profiles\", \"devices\": ["
	                 "{\"name\": \"agx\", \"kind\": \"agx-xavier\"},"
	                 "{\"name\": \"nano\", \"kind\": \"nano\"}]}",
	                 cwd);
	char *path = lv_test_write(r->dir, "pair.json", json);
	free(json);
	char *why = NULL;
	struct lv_cluster *c = lv_cluster_load(path, &why);
	free(path);
	assert_non_null(c);
	assert_int_equal(lv_cluster_build_costs(c, LV_COST_PROF, NULL, &why), LV_OK);
	struct lv_launcher_config lc;
	lv_launcher_config_default(&lc);
	const char *agent = getenv("LOUDVA_AGENT");
	lc.agent_path = agent && *agent ? agent : "build/san/loudva-agent";
	lc.tmp_parent = r->dir;
	r->launcher = lv_launcher_start(c, &lc, &why);
	if (!r->launcher)
		fail_msg("launcher: %s", why);
	struct lv_live_config cfg;
	lv_live_config_default(&cfg);
	cfg.cluster = c;
	cfg.policy = policy;
	cfg.token = lv_launcher_token(r->launcher);
	cfg.sample_s = sample_s;
	cfg.trace_requests = run ? 16 : 0;
	cfg.db_path = db;
	cfg.db_run = run;
	r->lv = lv_live_new(&cfg, &why);
	if (!r->lv)
		fail_msg("live: %s", why);
	assert_null(cfg.cluster); /* handed over */
}

static void rig_start(struct rig *r, const char *policy)
{
	rig_start_with(r, policy, 0, NULL, NULL);
}

static void rig_stop(struct rig *r)
{
	lv_live_shutdown(r->lv);
	lv_launcher_stop(r->launcher);
	lv_live_stop(r->lv);
	lv_test_rmtree(r->dir);
	free(r->dir);
}

/* Posts n frames (zeros, or no pixels) and waits for the answer. Caller frees. */
static struct lv_live_request *run(struct rig *r, uint32_t n, double budget_s, int pixels)
{
	size_t floats = pixels ? 299u * 299u * 3u : 0;
	struct lv_live_request *q = lv_live_request_new(n, budget_s, floats);
	for (uint32_t i = 0; pixels && i < n; i++)
		memset(q->tensors[i], 0, floats * sizeof(float));
	lv_live_submit(r->lv, q);
	lv_live_request_wait(q);
	return q;
}

typedef int (*snap_pred)(const struct lv_snapshot *s, const void *arg);

/* Polls snapshots until pred holds (1) or WAIT_S passes (0). */
static int wait_snap(struct rig *r, snap_pred pred, const void *arg)
{
	double end = mono() + WAIT_S;
	while (mono() < end) {
		const struct lv_snapshot *s = lv_live_snapshot_get(r->lv);
		int ok = pred(s, arg);
		lv_live_snapshot_put(r->lv, s);
		if (ok)
			return 1;
		nap(0.05);
	}
	return 0;
}

struct dev_state {
	size_t device;
	enum lv_dev_state state;
};

static int has_state(const struct lv_snapshot *s, const void *arg)
{
	const struct dev_state *w = arg;
	return s->devices[w->device].state == w->state;
}

static void test_launcher_files_and_urls(void **st)
{
	(void)st;
	struct rig r;
	rig_start(&r, "round_robin");
	struct stat sb;
	assert_int_equal(stat(lv_launcher_token_file(r.launcher), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(stat(lv_launcher_dir(r.launcher), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_true(strlen(lv_launcher_token(r.launcher)) >= 32);
	const struct lv_cluster *c = lv_live_cluster(r.lv);
	for (size_t i = 0; i < 2; i++) {
		char want[64];
		snprintf(want, sizeof(want), "http://127.0.0.1:%d",
		         lv_launcher_port(r.launcher, i));
		assert_string_equal(c->devices[i].agent_url, want);
		assert_true(lv_launcher_pid(r.launcher, i) > 0);
	}
	pid_t p0 = lv_launcher_pid(r.launcher, 0), p1 = lv_launcher_pid(r.launcher, 1);
	char *dir = lv_xstrdup(lv_launcher_dir(r.launcher));
	rig_stop(&r);
	assert_int_equal(kill(p0, 0), -1); /* reaped: no such process */
	assert_int_equal(kill(p1, 0), -1);
	assert_int_equal(stat(dir, &sb), -1);
	free(dir);
}

static void test_serves_every_frame(void **st)
{
	(void)st;
	struct rig r;
	rig_start(&r, "round_robin:period=0.01");
	for (int k = 0; k < 4; k++) {
		struct lv_live_request *q = run(&r, 3, 5.0, k % 2);
		for (uint32_t i = 0; i < 3; i++) {
			const struct lv_live_frame_result *f = &q->results[i];
			assert_true(f->state == LV_FRAME_OK || f->state == LV_FRAME_LATE);
			assert_true(!strcmp(f->device, "agx") || !strcmp(f->device, "nano"));
			assert_true(f->top_class >= 0 && f->top_class < 1001);
			assert_true(f->done_s >= f->queue_exit_s &&
			            f->queue_exit_s >= f->arrival_s);
		}
		lv_live_request_free(q);
	}
	lv_live_shutdown(r.lv);
	const struct lv_snapshot *s = lv_live_snapshot_get(r.lv);
	assert_int_equal(s->counts.received, 12);
	assert_int_equal(s->counts.by_state[LV_FRAME_OK] + s->counts.by_state[LV_FRAME_LATE], 12);
	assert_int_equal(s->queue_len, 0);
	assert_true(s->energy_j > 0);
	/* Telemetry rails reach the snapshot: an emulated board reports its input rail,
	 * which is the whole board's power. */
	for (size_t i = 0; i < s->n_devices; i++) {
		const struct lv_snap_device *d = &s->devices[i];
		if (!(d->valid & LV_SNAP_HAS_POWER))
			continue;
		assert_int_equal(d->n_rails, 1);
		assert_string_equal(d->rails[0].name, "VDD_IN");
		assert_true(d->rails[0].power_w > 0);
	}
	lv_live_snapshot_put(r.lv, s);
	const struct lv_run_metrics *m = lv_live_result(r.lv);
	assert_non_null(m);
	assert_int_equal(m->frames, 12);
	assert_int_equal(m->served, 12);
	assert_true(m->energy_j > 0 && m->frames_per_j > 0);
	rig_stop(&r);
}

static void test_rejects_bad_budget(void **st)
{
	(void)st;
	struct rig r;
	rig_start(&r, "round_robin");
	struct lv_live_request *q = run(&r, 2, -1.0, 0);
	for (uint32_t i = 0; i < 2; i++) {
		assert_int_equal(q->results[i].state, LV_FRAME_REJECTED);
		assert_non_null(strstr(q->results[i].reason, "budget"));
	}
	lv_live_request_free(q);
	rig_stop(&r);
}

static void test_shutdown_answers_held_frames(void **st)
{
	(void)st;
	struct rig r;
	rig_start(&r, "loud"); /* with 60 s of slack it waits to batch */
	struct lv_live_request *q[3];
	for (int k = 0; k < 3; k++) {
		q[k] = lv_live_request_new(2, 60.0, 0);
		lv_live_submit(r.lv, q[k]);
	}
	nap(0.3);
	lv_live_shutdown(r.lv);
	for (int k = 0; k < 3; k++) {
		lv_live_request_wait(q[k]);
		for (uint32_t i = 0; i < 2; i++) {
			const struct lv_live_frame_result *f = &q[k]->results[i];
			assert_true(f->state >= LV_FRAME_OK);
			if (f->state == LV_FRAME_EXPIRED || f->state == LV_FRAME_FAILED)
				assert_string_equal(f->reason, "controller shutting down");
		}
		lv_live_request_free(q[k]);
	}
	const struct lv_snapshot *s = lv_live_snapshot_get(r.lv);
	uint64_t terminal = 0;
	for (int k = LV_FRAME_OK; k < LV_FRAME_NSTATES; k++)
		terminal += s->counts.by_state[k];
	assert_int_equal(s->counts.received, 6);
	assert_int_equal(terminal, 6);
	lv_live_snapshot_put(r.lv, s);
	/* After shutdown a request is refused at once. */
	struct lv_live_request *late = run(&r, 1, 5.0, 0);
	assert_int_equal(late->results[0].state, LV_FRAME_REJECTED);
	lv_live_request_free(late);
	rig_stop(&r);
}

static int policy_is(const struct lv_snapshot *s, const void *arg)
{
	return !strcmp(s->policy, (const char *)arg);
}

struct dev_clock {
	size_t device;
	uint64_t hz;
};

static int clock_is(const struct lv_snapshot *s, const void *arg)
{
	const struct dev_clock *w = arg;
	return s->devices[w->device].freq_hz == w->hz;
}

static void test_operator_commands(void **st)
{
	(void)st;
	struct rig r;
	rig_start(&r, "round_robin:period=0.01");
	char *why = NULL;
	assert_int_equal(lv_live_set_policy(r.lv, "fastest", &why), LV_EINVAL);
	assert_non_null(strstr(why, "fastest"));
	free(why);
	why = NULL;
	assert_int_equal(lv_live_set_policy(r.lv, "kind_round_robin", &why), LV_OK);
	assert_true(wait_snap(&r, policy_is, "kind_round_robin"));

	assert_int_equal(lv_live_pin_clock(r.lv, "tx2", 1, &why), LV_ENOENT);
	free(why);
	why = NULL;
	assert_int_equal(lv_live_pin_clock(r.lv, "agx", 123, &why), LV_EINVAL);
	free(why);
	why = NULL;
	const struct lv_profile *agx = lv_live_cluster(r.lv)->kinds[0].profile;
	struct dev_clock low = { 0, agx->freqs_hz[0] };
	assert_int_equal(lv_live_pin_clock(r.lv, "agx", low.hz, NULL), LV_OK);
	assert_true(wait_snap(&r, clock_is, &low)); /* telemetry shows the agent's clock */

	/* Draining the AGX leaves the Nano every frame. */
	assert_int_equal(lv_live_set_state(r.lv, "agx", LV_DEV_DRAINING, NULL), LV_OK);
	struct dev_state draining = { 0, LV_DEV_DRAINING };
	assert_true(wait_snap(&r, has_state, &draining));
	struct lv_live_request *q = run(&r, 4, 10.0, 0);
	for (uint32_t i = 0; i < 4; i++)
		assert_string_equal(q->results[i].device, "nano");
	lv_live_request_free(q);
	rig_stop(&r);
}

static void test_device_down_and_back(void **st)
{
	(void)st;
	struct rig r;
	rig_start(&r, "round_robin:period=0.01");
	struct lv_live_request *q = run(&r, 2, 10.0, 0);
	lv_live_request_free(q);
	kill(lv_launcher_pid(r.launcher, 0), SIGKILL);
	struct dev_state down = { 0, LV_DEV_DOWN };
	assert_true(wait_snap(&r, has_state, &down));
	/* Frames go to the Nano meanwhile; none is lost. */
	q = run(&r, 3, 10.0, 0);
	for (uint32_t i = 0; i < 3; i++) {
		assert_true(q->results[i].state == LV_FRAME_OK ||
		            q->results[i].state == LV_FRAME_LATE);
		assert_string_equal(q->results[i].device, "nano");
	}
	lv_live_request_free(q);
	char *why = NULL;
	struct lv_launcher_event ev[4];
	size_t n = 0;
	for (int k = 0; k < 200 && n == 0; k++) { /* reaped once the kernel says it is gone */
		n = lv_launcher_poll(r.launcher, lv_mono_s(), ev, 4);
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		if (n == 0)
			nanosleep(&ts, NULL);
	}
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].kind, LV_LAUNCHER_EXITED);
	assert_true(isinf(ev[0].delay_s)); /* this launcher restarts nothing on its own */
	if (lv_launcher_restart(r.launcher, 0, &why) != LV_OK)
		fail_msg("restart: %s", why);
	struct dev_state up = { 0, LV_DEV_UP };
	assert_true(wait_snap(&r, has_state, &up));
	const struct lv_snapshot *s = lv_live_snapshot_get(r.lv);
	assert_true(strlen(s->devices[0].last_error) > 0); /* what went wrong is kept */
	lv_live_snapshot_put(r.lv, s);
	rig_stop(&r);
}

static size_t keep(char *p, size_t size, size_t n, void *arg)
{
	lv_buf_append(arg, p, size * n);
	return size * n;
}

/* The clock device i's agent itself reports pinned (GET /gpu/frequency), 0 when not pinned. */
static uint64_t agent_pinned_hz(struct rig *r, size_t i)
{
	char url[64];
	struct lv_buf b = { 0 };
	uint64_t hz = 0;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/gpu/frequency",
	         lv_launcher_port(r->launcher, i));
	CURL *h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	if (curl_easy_perform(h) == CURLE_OK && b.p) {
		cJSON *o = cJSON_ParseWithLength(b.p, b.len);
		const cJSON *pinned = cJSON_GetObjectItemCaseSensitive(o, "pinned");
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "freq_hz");
		if (cJSON_IsTrue(pinned) && cJSON_IsNumber(f))
			hz = (uint64_t)f->valuedouble;
		cJSON_Delete(o);
	}
	curl_easy_cleanup(h);
	free(b.p);
	return hz;
}

struct dev_count {
	size_t device;
	uint64_t n;
};

/* The device is up again after n restarts. */
static int up_after_restarts(const struct lv_snapshot *s, const void *arg)
{
	const struct dev_count *w = arg;
	return s->devices[w->device].restarts == w->n && s->devices[w->device].state == LV_DEV_UP;
}

/*
 * An agent restarted in place forgets the clock it was given: told so, the
 * controller marks the device down, probes it back, counts the restart and
 * gives the new agent the clock the operator pinned. Frames are served after.
 */
static void test_restarted_agent(void **st)
{
	(void)st;
	struct rig r;
	rig_start(&r, "round_robin:period=0.01");
	const struct lv_profile *agx = lv_live_cluster(r.lv)->kinds[0].profile;
	uint64_t low = agx->freqs_hz[0];
	assert_int_equal(lv_live_pin_clock(r.lv, "agx", low, NULL), LV_OK);
	double end = mono() + WAIT_S;
	while (agent_pinned_hz(&r, 0) != low && mono() < end)
		nap(0.05);
	assert_int_equal(agent_pinned_hz(&r, 0), low);

	kill(lv_launcher_pid(r.launcher, 0), SIGKILL);
	char *why = NULL;
	if (lv_launcher_restart(r.launcher, 0, &why) != LV_OK)
		fail_msg("restart: %s", why);
	assert_int_equal(agent_pinned_hz(&r, 0), 0); /* the new agent runs its governor */
	assert_int_equal(lv_live_device_restarted(r.lv, "agx", NULL), LV_OK);
	struct dev_count once = { 0, 1 };
	assert_true(wait_snap(&r, up_after_restarts, &once));
	end = mono() + WAIT_S;
	while (agent_pinned_hz(&r, 0) != low && mono() < end)
		nap(0.05);
	assert_int_equal(agent_pinned_hz(&r, 0), low);

	struct lv_live_request *q = run(&r, 4, 10.0, 0);
	for (uint32_t i = 0; i < 4; i++)
		assert_true(q->results[i].state == LV_FRAME_OK ||
		            q->results[i].state == LV_FRAME_LATE);
	lv_live_request_free(q);
	assert_int_equal(lv_live_device_restarted(r.lv, "tx2", &why), LV_ENOENT);
	assert_non_null(why);
	free(why);
	rig_stop(&r);
}

/* One integer from a query on the database at path. */
static long long db_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	long long v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/*
 * A replayed trace's run as `loudva --batch` records it: the run row it
 * describes, frames under their trace index, telemetry samples, and a power
 * timeline whose integral is the result's energy.
 */
static void test_timeline_and_store(void **st)
{
	(void)st;
	char *tmp = lv_test_mkdtemp();
	char *db = lv_path_join(tmp, "cell.db");
	const struct lv_store_run desc = {
		.id = 7,
		.experiment = "unit",
		.policy = "round_robin",
		.cost_mode = "prof",
		.mode = "live",
		.trace = "gen",
		.trace_seed = 3,
		.seed = 1,
		.cluster = "pair",
	};
	struct rig r;
	rig_start_with(&r, "round_robin:period=0.01", 0.5, db, &desc);
	assert_null(lv_live_timeline(r.lv)); /* made at shutdown */
	assert_true(lv_live_clock(r.lv) >= 0);
	nap(0.6); /* a telemetry sample or two before the first frame */
	for (int k = 0; k < 3; k++) {
		struct lv_live_request *q = lv_live_request_new(2, 5.0, 0);
		q->trace_index = 10 + k;
		lv_live_submit(r.lv, q);
		lv_live_request_wait(q);
		lv_live_request_free(q);
		nap(0.4);
	}
	lv_live_shutdown(r.lv);
	const struct lv_run_metrics *m = lv_live_result(r.lv);
	const struct lv_timeline *tl = lv_live_timeline(r.lv);
	assert_non_null(m);
	assert_non_null(tl);
	assert_int_equal(m->requests, 16); /* the trace's, of which three were sent */
	assert_int_equal(m->requests_served, 3);
	assert_true(tl->sample_s == 0.5);
	assert_int_equal(tl->n, (size_t)ceil(m->window_s / 0.5));
	double j = 0;
	for (size_t i = 0; i < tl->n; i++) {
		double len = i + 1 < tl->n ? 0.5 : m->window_s - 0.5 * (double)i;
		assert_true(tl->cluster_w[i] > 0);
		j += tl->cluster_w[i] * len;
	}
	if (fabs(j - m->energy_j) > 1e-9 * m->energy_j)
		fail_msg("timeline %.12g J, result %.12g J", j, m->energy_j);
	double energy = m->energy_j;
	lv_launcher_stop(r.launcher);
	lv_live_stop(r.lv);
	assert_int_equal(db_int(db, "SELECT count(*) FROM runs WHERE id = 7 AND experiment = 'unit'"
	                            " AND trace = 'gen' AND trace_seed = 3 AND frames = 6"),
	                 1);
	assert_int_equal(db_int(db, "SELECT count(*) FROM frames WHERE run_id = 7"), 6);
	assert_int_equal(db_int(db, "SELECT min(request) * 100 + max(request) FROM frames"), 1012);
	assert_true(db_int(db, "SELECT count(DISTINCT device) FROM telemetry WHERE run_id = 7") ==
	            2);
	assert_true(db_int(db, "SELECT count(*) FROM batches WHERE run_id = 7") >= 3);
	assert_true(db_int(db, "SELECT round(energy_j * 1000) FROM runs") ==
	            (long long)round(energy * 1000));
	lv_test_rmtree(r.dir);
	free(r.dir);
	free(db);
	lv_test_rmtree(tmp);
	free(tmp);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_launcher_files_and_urls),
		cmocka_unit_test(test_serves_every_frame),
		cmocka_unit_test(test_rejects_bad_budget),
		cmocka_unit_test(test_shutdown_answers_held_frames),
		cmocka_unit_test(test_operator_commands),
		cmocka_unit_test(test_device_down_and_back),
		cmocka_unit_test(test_restarted_agent),
		cmocka_unit_test(test_timeline_and_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
