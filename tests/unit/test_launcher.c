/*
 * test_launcher: the embedded cluster's launcher looking after its agents —
 * real loudva-agent processes ($LOUDVA_AGENT, else build/san/loudva-agent)
 * killed with SIGKILL and started again by lv_launcher_poll on the same
 * port with the same token, after the back-off the launcher promises
 * (launcher.h): restart_min_s, doubling to restart_max_s, back to the
 * minimum after an agent ran restart_reset_s. The back-off is stepped with
 * the clock the test hands to lv_launcher_poll, so nothing here waits for
 * it; waits (an agent reaped, an agent answering) poll with a generous cap.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/util.h"
#include "harness/launcher.h"
#include "model/cluster.h"

struct rig {
	char *dir;
	struct lv_cluster *c;
	struct lv_launcher *l;
};

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* One emulated Nano; restarts on with a ceiling of max_s (0: restarts off). */
static void rig_start(struct rig *r, double max_s)
{
	memset(r, 0, sizeof(*r));
	r->dir = lv_test_mkdtemp();
	char cwd[4096];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	char *json = lv_xasprintf("{\"name\": \"one\", \"profiles\": \"%s/profiles\", \"devices\": "
	                          "[{\"name\": \"nano\", \"kind\": \"nano\"}]}",
	                          cwd);
	char *path = lv_test_write(r->dir, "one.json", json);
	free(json);
	char *why = NULL;
	r->c = lv_cluster_load(path, &why);
	free(path);
	assert_non_null(r->c);
	assert_int_equal(lv_cluster_build_costs(r->c, LV_COST_PROF, NULL, &why), LV_OK);
	struct lv_launcher_config lc;
	lv_launcher_config_default(&lc);
	const char *agent = getenv("LOUDVA_AGENT");
	lc.agent_path = agent && *agent ? agent : "build/san/loudva-agent";
	lc.tmp_parent = r->dir;
	lc.restart = max_s > 0;
	if (max_s > 0)
		lc.restart_max_s = max_s;
	r->l = lv_launcher_start(r->c, &lc, &why);
	if (!r->l)
		fail_msg("launcher: %s", why);
}

static void rig_stop(struct rig *r)
{
	lv_launcher_stop(r->l);
	lv_cluster_free(r->c);
	lv_test_rmtree(r->dir);
	free(r->dir);
}

static size_t sink(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* The HTTP status of METHOD path on the agent at port (0: no answer). */
static long http(int port, const char *method, const char *path, const char *token)
{
	CURL *h = curl_easy_init();
	char url[128], auth[256];
	struct curl_slist *hdrs = NULL;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		hdrs = curl_slist_append(hdrs, auth);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	}
	long code = 0;
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return code;
}

/* Waits (up to 30 s) for the agent on port to answer /healthz. */
static int answers(int port)
{
	for (int k = 0; k < 300; k++) {
		if (http(port, "GET", "/healthz", NULL) == 200)
			return 1;
		nap_ms(100);
	}
	return 0;
}

/* Polls at clock t until an event comes (the kernel has to report the death); up to 20 s. */
static size_t poll_until_event(struct rig *r, double t, struct lv_launcher_event *ev)
{
	for (int k = 0; k < 2000; k++) {
		size_t n = lv_launcher_poll(r->l, t, ev, 4);
		if (n)
			return n;
		nap_ms(10);
	}
	return 0;
}

/* Kills the agent, checks the death is reported at clock t with that back-off. */
static void kill_and_expect(struct rig *r, double t, double delay_s)
{
	struct lv_launcher_event ev[4];
	pid_t pid = lv_launcher_pid(r->l, 0);
	assert_true(pid > 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(poll_until_event(r, t, ev), 1);
	assert_int_equal(ev[0].kind, LV_LAUNCHER_EXITED);
	assert_int_equal(ev[0].pid, pid);
	assert_true(strstr(ev[0].text, "killed by signal 9") != NULL);
	if (isinf(delay_s))
		assert_true(isinf(ev[0].delay_s));
	else
		assert_true(fabs(ev[0].delay_s - delay_s) < 1e-9);
	assert_int_equal(lv_launcher_pid(r->l, 0), -1);
}

/* Steps the clock to just before and to the restart: nothing, then a new agent. */
static pid_t expect_restart(struct rig *r, double due, unsigned restarts)
{
	struct lv_launcher_event ev[4];
	assert_int_equal(lv_launcher_poll(r->l, due - 0.01, ev, 4), 0);
	assert_int_equal(lv_launcher_pid(r->l, 0), -1);
	assert_int_equal(lv_launcher_poll(r->l, due, ev, 4), 1);
	assert_int_equal(ev[0].kind, LV_LAUNCHER_RESTARTED);
	assert_int_equal(ev[0].restarts, restarts);
	assert_int_equal(ev[0].pid, lv_launcher_pid(r->l, 0));
	assert_int_equal(lv_launcher_restarts(r->l, 0), restarts);
	return ev[0].pid;
}

static void test_restart_with_backoff(void **st)
{
	(void)st;
	struct rig r;
	rig_start(&r, 2.0);
	int port = lv_launcher_port(r.l, 0);
	const char *token = lv_launcher_token(r.l);
	assert_true(answers(port));
	double t = lv_mono_s();

	/* First death: 0.5 s; the new agent is on the same port and takes the same token. */
	kill_and_expect(&r, t, 0.5);
	pid_t p1 = expect_restart(&r, t + 0.5, 1);
	assert_true(answers(port));
	assert_int_equal(lv_launcher_port(r.l, 0), port);
	assert_int_equal(http(port, "DELETE", "/gpu/frequency", NULL), 401);
	assert_int_equal(http(port, "DELETE", "/gpu/frequency", token), 200);

	/* Dying again soon after doubles the back-off, up to the ceiling (2 s here). */
	t += 1;
	kill_and_expect(&r, t, 1.0);
	pid_t p2 = expect_restart(&r, t + 1.0, 2);
	assert_true(p2 != p1);
	t += 2;
	kill_and_expect(&r, t, 2.0);
	expect_restart(&r, t + 2.0, 3);
	t += 3;
	kill_and_expect(&r, t, 2.0);
	expect_restart(&r, t + 2.0, 4);

	/* An agent that ran for a minute had been healthy: the next death starts over. */
	t += 2.0 + 61;
	kill_and_expect(&r, t, 0.5);
	expect_restart(&r, t + 0.5, 5);
	assert_true(answers(port));
	rig_stop(&r);
}

/* An agent that cannot start (its port taken) is one more death, with its log's last words. */
static void test_restart_that_fails(void **st)
{
	(void)st;
	struct rig r;
	rig_start(&r, 30.0);
	int port = lv_launcher_port(r.l, 0);
	assert_true(answers(port));
	double t = lv_mono_s();
	kill_and_expect(&r, t, 0.5);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s, 4), 0);
	expect_restart(&r, t + 0.5, 1);
	struct lv_launcher_event ev[4];
	assert_int_equal(poll_until_event(&r, t + 0.6, ev), 1);
	assert_int_equal(ev[0].kind, LV_LAUNCHER_EXITED);
	assert_true(strstr(ev[0].text, "exited with status") != NULL);
	assert_true(strstr(ev[0].text, "...") != NULL); /* the tail of its log follows */
	assert_true(fabs(ev[0].delay_s - 1.0) < 1e-9);
	close(s);
	expect_restart(&r, t + 1.6, 2);
	assert_true(answers(port));
	rig_stop(&r);
}

/* Without cfg.restart a death is reported and nothing is started, however late. */
static void test_no_restart_by_default(void **st)
{
	(void)st;
	struct rig r;
	rig_start(&r, 0);
	assert_true(answers(lv_launcher_port(r.l, 0)));
	double t = lv_mono_s();
	kill_and_expect(&r, t, INFINITY);
	struct lv_launcher_event ev[4];
	assert_int_equal(lv_launcher_poll(r.l, t + 3600, ev, 4), 0);
	assert_int_equal(lv_launcher_pid(r.l, 0), -1);
	assert_int_equal(lv_launcher_restarts(r.l, 0), 0);
	rig_stop(&r);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart_with_backoff),
		cmocka_unit_test(test_restart_that_fails),
		cmocka_unit_test(test_no_restart_by_default),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
