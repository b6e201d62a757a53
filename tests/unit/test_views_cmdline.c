/* The console's command bar (views/cmdline.c): parsing, validation against the word lists,
 * completion, the line editor; and the per-device history rings (views/hist.c). */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "hist.h"
#include "sched/snapshot.h"
#include "base/util.h"

static const char *const views[] = { "cluster",     "device", "queue", "policies",
	                             "experiments", "log",    "help" };
static const char *const policies[] = { "loud", "transparent", "fixed_batch", "interval" };
static const char *const devices[] = { "agx-xavier-00", "xavier-nx-00", "xavier-nx-01", "nano-00",
	                               "nano-01" };
static const char *const specs[] = { "thesis-cluster", "tiny", "live-cluster" };

static const struct lv_cmd_words words = {
	views, 7, policies, 4, devices, 5, specs, 3, NULL, NULL
};

static struct lv_cmd parse_ok(const char *line)
{
	struct lv_cmd c;
	char why[200] = "";
	int rc = lv_cmd_parse(line, &words, &c, why, sizeof(why));
	if (rc != 0)
		fail_msg("'%s': %s", line, why);
	return c;
}

static void parse_bad(const char *line, const char *needle)
{
	struct lv_cmd c;
	char why[200] = "";
	assert_int_equal(lv_cmd_parse(line, &words, &c, why, sizeof(why)), LV_EINVAL);
	if (!strstr(why, needle))
		fail_msg("'%s': message '%s' lacks '%s'", line, why, needle);
}

static void test_parse(void **st)
{
	(void)st;
	struct lv_cmd c = parse_ok("policy loud");
	assert_int_equal(c.kind, LV_CMD_POLICY);
	assert_string_equal(c.arg, "loud");
	c = parse_ok("  pol   fixed_batch:N=16,max_wait=2 "); /* unique prefix, spacing */
	assert_int_equal(c.kind, LV_CMD_POLICY);
	assert_string_equal(c.arg, "fixed_batch:N=16,max_wait=2");
	c = parse_ok("view device nano-00");
	assert_int_equal(c.kind, LV_CMD_VIEW);
	assert_string_equal(c.view, "device");
	assert_string_equal(c.device, "nano-00");
	c = parse_ok("view log");
	assert_string_equal(c.device, "");
	c = parse_ok("pin xavier-nx-00 1109250000");
	assert_int_equal(c.kind, LV_CMD_PIN);
	assert_string_equal(c.device, "xavier-nx-00");
	assert_int_equal(c.hz, 1109250000ull);
	c = parse_ok("pin nano-01 921.6MHz");
	assert_int_equal(c.hz, 921600000ull);
	c = parse_ok("release nano-01");
	assert_int_equal(c.kind, LV_CMD_RELEASE);
	c = parse_ok("drain nano-01");
	assert_int_equal(c.kind, LV_CMD_DRAIN);
	c = parse_ok("up nano-01");
	assert_int_equal(c.kind, LV_CMD_UP);
	c = parse_ok("experiment thesis-cluster");
	assert_int_equal(c.kind, LV_CMD_EXPERIMENT);
	assert_string_equal(c.arg, "thesis-cluster");
	c = parse_ok("experiment stop"); /* as x in the Experiments view */
	assert_int_equal(c.kind, LV_CMD_EXP_CANCEL);
	c = parse_ok("workload");
	assert_int_equal(c.on, -1);
	c = parse_ok("workload off");
	assert_int_equal(c.on, 0);
	c = parse_ok("refresh 250");
	assert_int_equal(c.ms, 250);
	c = parse_ok("q");
	assert_int_equal(c.kind, LV_CMD_QUIT);
	assert_int_equal(c.force, 0);
	c = parse_ok("q!");
	assert_int_equal(c.force, 1);
	c = parse_ok("quit");
	assert_int_equal(c.kind, LV_CMD_QUIT);
	c = parse_ok("");
	assert_int_equal(c.kind, LV_CMD_NONE);
	/* :profile: the grid as typed, defaults left at zero for the console to fill. */
	c = parse_ok("profile nano-01");
	assert_int_equal(c.kind, LV_CMD_PROFILE);
	assert_string_equal(c.device, "nano-01");
	assert_int_equal(c.sweep.n_clocks, 0);
	assert_int_equal(c.sweep.n_batches, 0);
	assert_int_equal(c.sweep.requests, 0);
	assert_int_equal(c.sweep.stop, 0);
	c = parse_ok("profile nano-01 clocks=768MHz,921600000 batches=2-4 requests=3");
	assert_int_equal(c.sweep.n_clocks, 2);
	assert_int_equal(c.sweep.clocks_hz[0], 768000000ull);
	assert_int_equal(c.sweep.clocks_hz[1], 921600000ull);
	assert_int_equal(c.sweep.n_batches, 3);
	assert_int_equal(c.sweep.batches[0], 2);
	assert_int_equal(c.sweep.batches[2], 4);
	assert_int_equal(c.sweep.requests, 3);
	c = parse_ok("prof agx-xavier-00 batches=1,2,8,64 clocks=all");
	assert_int_equal(c.sweep.n_clocks, 0);
	assert_int_equal(c.sweep.n_batches, 4);
	assert_int_equal(c.sweep.batches[3], 64);
	c = parse_ok("profile stop");
	assert_int_equal(c.kind, LV_CMD_PROFILE);
	assert_int_equal(c.sweep.stop, 1);
}

static void test_parse_errors(void **st)
{
	(void)st;
	parse_bad("frobnicate", "unknown command");
	parse_bad("p loud", "ambiguous"); /* policy, pin */
	parse_bad("policy lou", "'lou' is not a policy");
	parse_bad("policy nope:N=3", "'nope' is not a policy");
	parse_bad("pin nano-09 100", "'nano-09' is not a device");
	parse_bad("pin nano-00 fast", "'fast' is not a clock");
	parse_bad("pin nano-00", "usage: :pin");
	parse_bad("view nowhere", "is not a view");
	parse_bad("refresh 5", "50..10000");
	parse_bad("workload maybe", "is not on or off");
	parse_bad("experiment big", "'big' is not an experiment spec");
	parse_bad("a b c d e f", "too many");
	parse_bad("profile", "usage: :profile DEVICE");
	parse_bad("profile nano-09", "'nano-09' is not a device or stop");
	parse_bad("profile nano-00 clocks=fast", "clocks=fast: want all");
	parse_bad("profile nano-00 clocks=", "clocks=: want all");
	parse_bad("profile nano-00 batches=4-2", "batches=4-2: want a range");
	parse_bad("profile nano-00 batches=2,1", "batches=2,1: want a range");
	parse_bad("profile nano-00 batches=0", "batches=0");
	parse_bad("profile nano-00 requests=0", "requests=0: want 1..1000");
	parse_bad("profile nano-00 speed=9", "'speed=9': want clocks=");
	parse_bad("profile stop batches=1", "usage: :profile stop");
	uint64_t hz;
	assert_int_equal(lv_cmd_parse_hz("1.1GHz", &hz), 0);
	assert_int_equal(hz, 1100000000ull);
	assert_int_not_equal(lv_cmd_parse_hz("-5", &hz), 0);
	assert_int_not_equal(lv_cmd_parse_hz("0", &hz), 0);
	assert_int_not_equal(lv_cmd_parse_hz("12kHz", &hz), 0);
}

/* Clocks in MHz as operators type them, to the nearest step, or refused with the list. */
static void test_clock_resolve(void **st)
{
	(void)st;
	static const uint64_t nano[] = { 153600000, 230400000, 460800000, 537600000, 921600000 };
	char note[96], why[200];
	uint64_t hz = 0;
	assert_int_equal(lv_cmd_parse_hz("921.6", &hz), 0); /* bare: MHz */
	assert_int_equal(hz, 921600000ull);
	assert_int_equal(lv_cmd_parse_hz("921600000", &hz), 0); /* plainly Hz */
	assert_int_equal(hz, 921600000ull);
	assert_int_equal(
	    lv_cmd_clock_resolve("921.6MHz", nano, 5, &hz, note, sizeof(note), why, sizeof(why)),
	    0);
	assert_int_equal(hz, 921600000ull);
	assert_string_equal(note, "");
	assert_int_equal(
	    lv_cmd_clock_resolve("500", nano, 5, &hz, note, sizeof(note), why, sizeof(why)), 0);
	assert_int_equal(hz, 537600000ull);
	assert_string_equal(note, "500 MHz -> 537.6 MHz, the nearest step");
	assert_int_not_equal(
	    lv_cmd_clock_resolve("5000", nano, 5, &hz, note, sizeof(note), why, sizeof(why)), 0);
	assert_string_equal(why, "5000 MHz is outside this device's clocks: 153.6 230.4 460.8 "
	                         "537.6 921.6 MHz");
	/* 500 Hz (with its unit) is far below the lowest step: refused, never "0 MHz". */
	assert_int_not_equal(
	    lv_cmd_clock_resolve("500Hz", nano, 5, &hz, note, sizeof(note), why, sizeof(why)), 0);
	assert_non_null(strstr(why, "0.0005 MHz is outside"));
	assert_int_not_equal(
	    lv_cmd_clock_resolve("fast", nano, 5, &hz, note, sizeof(note), why, sizeof(why)), 0);
	assert_non_null(strstr(why, "'fast' is not a clock"));
}

static void test_complete(void **st)
{
	(void)st;
	char line[LV_LINE_MAX], hint[200];
	snprintf(line, sizeof(line), "pol");
	assert_int_equal(lv_cmd_complete(line, sizeof(line), &words, hint, sizeof(hint)), 1);
	assert_string_equal(line, "policy ");
	snprintf(line, sizeof(line), "policy ");
	assert_int_equal(lv_cmd_complete(line, sizeof(line), &words, hint, sizeof(hint)), 4);
	assert_string_equal(hint, "loud transparent fixed_batch interval");
	snprintf(line, sizeof(line), "view device xav");
	assert_int_equal(lv_cmd_complete(line, sizeof(line), &words, hint, sizeof(hint)), 2);
	assert_string_equal(line, "view device xavier-nx-0"); /* the common prefix */
	snprintf(line, sizeof(line), "pin agx");
	assert_int_equal(lv_cmd_complete(line, sizeof(line), &words, hint, sizeof(hint)), 1);
	assert_string_equal(line, "pin agx-xavier-00 ");
	snprintf(line, sizeof(line), "p");
	assert_int_equal(lv_cmd_complete(line, sizeof(line), &words, hint, sizeof(hint)), 3);
	assert_string_equal(line, "p"); /* policy, pin, profile: nothing in common past "p" */
	snprintf(line, sizeof(line), "profile s");
	assert_int_equal(lv_cmd_complete(line, sizeof(line), &words, hint, sizeof(hint)), 1);
	assert_string_equal(line, "profile stop ");
	snprintf(line, sizeof(line), "profile nano-00 b");
	assert_int_equal(lv_cmd_complete(line, sizeof(line), &words, hint, sizeof(hint)), 1);
	assert_string_equal(line, "profile nano-00 batches="); /* no space: a value follows */
	snprintf(line, sizeof(line), "experiment t");
	assert_int_equal(lv_cmd_complete(line, sizeof(line), &words, hint, sizeof(hint)), 2);
	assert_string_equal(line, "experiment t");
	/* A policy's parameters after its ':' or a ',', with their '='. */
	snprintf(line, sizeof(line), "policy fixed_batch:");
	assert_int_equal(lv_cmd_complete(line, sizeof(line), &words, hint, sizeof(hint)), 3);
	assert_string_equal(hint, "N= max_wait= buffer=");
	snprintf(line, sizeof(line), "policy fixed_batch:N=16,m");
	assert_int_equal(lv_cmd_complete(line, sizeof(line), &words, hint, sizeof(hint)), 1);
	assert_string_equal(line, "policy fixed_batch:N=16,max_wait=");
	/* A device's clocks in MHz after :pin DEVICE. */
	static const uint64_t nano[] = { 153600000, 921600000 }, agx[] = { 1377000000 };
	static const uint64_t *const freqs[] = { agx, NULL, NULL, nano, nano };
	static const size_t n_freqs[] = { 1, 0, 0, 2, 2 };
	struct lv_cmd_words wf = words;
	wf.device_freqs = freqs;
	wf.device_n_freqs = n_freqs;
	snprintf(line, sizeof(line), "pin nano-00 ");
	assert_int_equal(lv_cmd_complete(line, sizeof(line), &wf, hint, sizeof(hint)), 2);
	assert_string_equal(hint, "153.6 921.6");
	snprintf(line, sizeof(line), "pin nano-00 9");
	assert_int_equal(lv_cmd_complete(line, sizeof(line), &wf, hint, sizeof(hint)), 1);
	assert_string_equal(line, "pin nano-00 921.6 ");
	assert_int_equal(parse_ok("exp thesis-cluster").kind, LV_CMD_EXPERIMENT); /* alias kept */
	snprintf(line, sizeof(line), "zz");
	assert_int_equal(lv_cmd_complete(line, sizeof(line), &words, hint, sizeof(hint)), 0);
	assert_string_equal(line, "zz");
	/* Every command has help text for the Help view. */
	size_t n = 0;
	while (lv_cmd_help_at(n))
		n++;
	assert_true(n >= 10);
}

static void test_line_editor(void **st)
{
	(void)st;
	struct lv_line l;
	lv_line_set(&l, "pin");
	lv_line_edit(&l, LV_EDIT_INSERT, ' ');
	lv_line_edit(&l, LV_EDIT_INSERT, 'x');
	assert_string_equal(l.buf, "pin x");
	lv_line_edit(&l, LV_EDIT_HOME, 0);
	lv_line_edit(&l, LV_EDIT_DELETE, 0);
	assert_string_equal(l.buf, "in x");
	lv_line_edit(&l, LV_EDIT_END, 0);
	lv_line_edit(&l, LV_EDIT_BACKSPACE, 0);
	assert_string_equal(l.buf, "in ");
	lv_line_edit(&l, LV_EDIT_WORD, 0);
	assert_string_equal(l.buf, "");
	assert_int_equal(lv_line_edit(&l, LV_EDIT_BACKSPACE, 0), 0);
	assert_int_equal(lv_line_edit(&l, LV_EDIT_INSERT, 7), 0); /* control characters: no */
	lv_line_set(&l, "abc");
	lv_line_edit(&l, LV_EDIT_LEFT, 0);
	lv_line_edit(&l, LV_EDIT_INSERT, 'X');
	assert_string_equal(l.buf, "abXc");
	lv_line_edit(&l, LV_EDIT_KILL, 0);
	assert_int_equal(l.len, 0);
	for (int i = 0; i < 400; i++) /* bounded */
		lv_line_edit(&l, LV_EDIT_INSERT, 'a');
	assert_int_equal(l.len, LV_LINE_MAX - 1);
}

static struct lv_snapshot *snap(size_t n_dev, double now)
{
	struct lv_snapshot *s = lv_xcalloc(1, sizeof(*s));
	s->now_s = now;
	s->n_devices = n_dev;
	s->devices = lv_xcalloc(n_dev, sizeof(*s->devices));
	return s;
}

static void test_hist(void **st)
{
	(void)st;
	struct lv_hist h;
	lv_hist_init(&h);
	struct lv_snapshot *s = snap(2, 0.2);
	double v[LV_HIST_LEN];
	for (int t = 0; t < 10; t++) {
		s->now_s = t + 0.5;
		s->devices[0].valid = LV_SNAP_HAS_POWER;
		s->devices[0].power_w = 10 + t;
		s->devices[1].freq_hz = 921600000;
		lv_hist_update(&h, s);
		lv_hist_update(&h, s); /* same second: no second sample */
	}
	assert_int_equal(lv_hist_series(&h, 0, LV_HIST_POWER_W, v, LV_HIST_LEN), 10);
	assert_float_equal(v[0], 10, 1e-6);
	assert_float_equal(v[9], 19, 1e-6);
	assert_int_equal(lv_hist_series(&h, 1, LV_HIST_POWER_W, v, LV_HIST_LEN), 10);
	assert_true(isnan(v[3])); /* no telemetry: no value, not zero */
	lv_hist_series(&h, 1, LV_HIST_CLOCK_MHZ, v, LV_HIST_LEN);
	assert_float_equal(v[9], 921.6, 1e-3);
	/* A batch finished: latency and budget of its least-slack frame, that second only. */
	s->devices[0].batches = 1;
	s->devices[0].n_recent = 1;
	s->devices[0].recent[0].e2e_s = 1.5;
	s->devices[0].recent[0].budget_s = 3;
	s->now_s = 13.1; /* a gap of three seconds */
	lv_hist_update(&h, s);
	size_t n = lv_hist_series(&h, 0, LV_HIST_LATENCY_S, v, LV_HIST_LEN);
	assert_int_equal(n, 14); /* seconds 10..13 filled */
	assert_float_equal(v[13], 1.5, 1e-6);
	assert_true(isnan(v[12]) && isnan(v[11]));
	lv_hist_series(&h, 0, LV_HIST_POWER_W, v, LV_HIST_LEN);
	assert_float_equal(v[11], v[13], 0); /* the gap repeats the current value */
	s->now_s = 14.1;
	lv_hist_update(&h, s);
	n = lv_hist_series(&h, 0, LV_HIST_LATENCY_S, v, LV_HIST_LEN);
	assert_true(isnan(v[n - 1])); /* no new batch */
	/* The ring keeps the newest LV_HIST_LEN. */
	for (int t = 15; t < 15 + LV_HIST_LEN + 5; t++) {
		s->now_s = t;
		s->devices[0].power_w = t;
		lv_hist_update(&h, s);
	}
	n = lv_hist_series(&h, 0, LV_HIST_POWER_W, v, LV_HIST_LEN);
	assert_int_equal(n, LV_HIST_LEN);
	assert_float_equal(v[n - 1], 15 + LV_HIST_LEN + 4, 1e-3);
	/* Fewer devices (another cluster): the history starts over. */
	struct lv_snapshot *s1 = snap(1, 1000);
	lv_hist_update(&h, s1);
	assert_int_equal(lv_hist_series(&h, 0, LV_HIST_POWER_W, v, LV_HIST_LEN), 1);
	assert_int_equal(lv_hist_series(&h, 1, LV_HIST_POWER_W, v, LV_HIST_LEN), 0);
	lv_hist_fini(&h);
	free(s->devices);
	free(s);
	free(s1->devices);
	free(s1);
}

/* The cluster's late share: frames served and late per second, summed over a window. */
static void test_hist_late_share(void **st)
{
	(void)st;
	struct lv_hist h;
	lv_hist_init(&h);
	struct lv_snapshot *s = snap(2, 0.2);
	double v[LV_HIST_LEN];
	/* Second 0: the baseline (40 frames before the console started count nowhere). */
	s->devices[0].frames = 40;
	s->now_s = 0.5;
	lv_hist_update(&h, s);
	/* Seconds 1-4: device 0 serves 10 a second, none late; device 1 serves 10 in second
	 * 3, 5 of them late. */
	for (int t = 1; t <= 4; t++) {
		s->devices[0].frames += 10;
		if (t == 3) {
			s->devices[1].frames = 10;
			s->devices[1].late = 5;
		}
		s->now_s = t + 0.5;
		lv_hist_update(&h, s);
	}
	size_t n = lv_hist_late_share(&h, 1, v, LV_HIST_LEN);
	assert_int_equal(n, 5);
	assert_true(isnan(v[0])); /* nothing served in second 0 */
	assert_float_equal(v[1], 0, 1e-9);
	assert_float_equal(v[3], 100.0 * 5 / 20, 1e-9);
	assert_float_equal(v[4], 0, 1e-9);
	/* Over 2 s: second 4 still sees second 3's late frames. */
	n = lv_hist_late_share(&h, 2, v, LV_HIST_LEN);
	assert_float_equal(v[4], 100.0 * 5 / 30, 1e-9);
	/* The newest 2 only: windows still reach back before them. */
	n = lv_hist_late_share(&h, 2, v, 2);
	assert_int_equal(n, 2);
	assert_float_equal(v[0], 100.0 * 5 / 30, 1e-9);
	lv_hist_fini(&h);
	free(s->devices);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_complete),
		cmocka_unit_test(test_line_editor),
		cmocka_unit_test(test_hist),
		cmocka_unit_test(test_clock_resolve),
		cmocka_unit_test(test_hist_late_share),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
