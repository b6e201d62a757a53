/*
 * Controller profiles (core/model/ctlmodel.c): writing and reading back byte
 * for byte, the shipped profiles unchanged by a round trip, every kind of
 * bad input refused with the file and the field named, and finding a
 * profile by name beside the profiles or by path.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/util.h"
#include "model/ctlmodel.h"

static struct lv_ctl_model sample(void)
{
	struct lv_ctl_model m;
	lv_ctl_model_ideal(&m);
	snprintf(m.name, sizeof(m.name), "sample-1");
	snprintf(m.source, sizeof(m.source), "by hand: \"quoted\", a tab\there, 1/3 = 0.333...");
	m.intake_per_poll = 3;
	m.poll_s = 0.01;
	m.batch_s = 1.0 / 3.0;
	m.frame_s = 0.1246150214729309;
	m.cpus = 1.38;
	m.bytes_per_frame = 1072812;
	m.link_bps = 1e9;
	m.rtt_s = 0.0005;
	m.batch_timeout_s = 60;
	m.request_timeout_s = 300;
	m.busy_timer = 1;
	m.start_lowest = 1;
	m.has_acct = 1;
	m.acct = (struct lv_acct){ 0.2, 0.22543752047345017, 4.23350600878413, 4.1171716129032259 };
	return m;
}

static void assert_same_model(const struct lv_ctl_model *a, const struct lv_ctl_model *b)
{
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->source, b->source);
	assert_int_equal(a->intake_per_poll, b->intake_per_poll);
	const double x[] = { a->poll_s,        a->batch_s,         a->frame_s,
		             a->cpus,          a->bytes_per_frame, a->link_bps,
		             a->rtt_s,         a->batch_timeout_s, a->request_timeout_s,
		             a->acct.line_s,   a->acct.spacing_s,  a->acct.lead_in_s,
		             a->acct.lead_in_w };
	const double y[] = { b->poll_s,        b->batch_s,         b->frame_s,
		             b->cpus,          b->bytes_per_frame, b->link_bps,
		             b->rtt_s,         b->batch_timeout_s, b->request_timeout_s,
		             b->acct.line_s,   b->acct.spacing_s,  b->acct.lead_in_s,
		             b->acct.lead_in_w };
	for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++)
		if (!(x[i] == y[i]))
			fail_msg("field %zu: %.17g != %.17g", i, x[i], y[i]);
	assert_int_equal(a->busy_timer, b->busy_timer);
	assert_int_equal(a->start_lowest, b->start_lowest);
	assert_int_equal(a->has_acct, b->has_acct);
}

static char *slurp(const char *path)
{
	char *text = lv_read_file(path, NULL, NULL);
	if (!text)
		fail_msg("cannot read %s", path);
	return text;
}

/* Written, read, written again: the same bytes, every number exactly. */
static void test_round_trip(void **st)
{
	(void)st;
	char *dir = lv_test_mkdtemp();
	char *a = lv_path_join(dir, "a.json"), *b = lv_path_join(dir, "b.json");
	struct lv_ctl_model m = sample(), r;
	char *why = NULL;
	assert_int_equal(lv_ctl_model_save(a, &m, &why), 0);
	assert_int_equal(lv_ctl_model_load(a, &r, &why), 0);
	assert_same_model(&m, &r);
	assert_int_equal(lv_ctl_model_save(b, &r, &why), 0);
	char *ta = slurp(a), *tb = slurp(b);
	assert_string_equal(ta, tb);
	char *tj = lv_ctl_model_to_json(&m);
	assert_string_equal(ta, tj);
	free(tj);
	free(ta);
	free(tb);

	/* Without an account: no "accounting" written, none read back. */
	m.has_acct = 0;
	memset(&m.acct, 0, sizeof(m.acct));
	assert_int_equal(lv_ctl_model_save(a, &m, &why), 0);
	ta = slurp(a);
	assert_null(strstr(ta, "accounting"));
	free(ta);
	assert_int_equal(lv_ctl_model_load(a, &r, &why), 0);
	assert_same_model(&m, &r);
	free(a);
	free(b);
	lv_test_rmtree(dir);
	free(dir);
}

/* The shipped profiles are what the writer writes: a round trip changes no byte. */
static void test_shipped_profiles_round_trip(void **st)
{
	(void)st;
	static const char *const names[] = { "thesis-python", "loudva" };
	char *dir = lv_test_mkdtemp();
	for (size_t i = 0; i < 2; i++) {
		struct lv_ctl_model m;
		char *why = NULL;
		if (lv_ctl_model_find("profiles", names[i], &m, &why) != 0)
			fail_msg("%s: %s", names[i], why);
		assert_string_equal(m.name, names[i]);
		char *path = lv_xasprintf("profiles/controllers/%s.json", names[i]);
		char *out = lv_path_join(dir, "out.json");
		assert_int_equal(lv_ctl_model_save(out, &m, &why), 0);
		char *want = slurp(path), *got = slurp(out);
		assert_string_equal(got, want);
		free(want);
		free(got);
		free(path);
		free(out);
	}
	lv_test_rmtree(dir);
	free(dir);
}

/* Only format and name are needed: the rest is the ideal controller's. */
static void test_defaults(void **st)
{
	(void)st;
	char *dir = lv_test_mkdtemp();
	char *p = lv_test_write(dir, "min.json", "{\"format\": 1, \"name\": \"min\"}");
	struct lv_ctl_model m, ideal;
	assert_int_equal(lv_ctl_model_load(p, &m, NULL), 0);
	lv_ctl_model_ideal(&ideal);
	snprintf(ideal.name, sizeof(ideal.name), "min");
	assert_same_model(&m, &ideal);
	assert_float_equal(m.poll_s, 0.01, 0);
	assert_float_equal(m.cpus, 1, 0);
	/* an account with only some fields: the lines count what they are apart, 0.2 s */
	free(p);
	p = lv_test_write(dir, "acct.json",
	                  "{\"format\": 1, \"name\": \"a\", \"accounting\": {\"lead_in_s\": 3}}");
	assert_int_equal(lv_ctl_model_load(p, &m, NULL), 0);
	assert_int_equal(m.has_acct, 1);
	assert_float_equal(m.acct.line_s, 0.2, 0);
	assert_float_equal(m.acct.spacing_s, 0.2, 0);
	assert_float_equal(m.acct.lead_in_s, 3, 0);
	assert_float_equal(m.acct.lead_in_w, 0, 0);
	free(p);
	lv_test_rmtree(dir);
	free(dir);
}

/* Each bad file is refused with its path and the words that name what is wrong. */
static void test_bad_input(void **st)
{
	(void)st;
	static const struct {
		const char *text;
		const char *needle;
	} cases[] = {
		{ "{\"format\": 1, \"name\": \"x\", \"bogus\": 1}", "'bogus': unknown field" },
		{ "{\"format\": 1, \"name\": \"x\", \"accounting\": {\"line_s\": 0.2, \"extra\": "
		  "1}}",
		  "accounting.'extra': unknown field" },
		{ "{\"format\": 1, \"name\": \"x\", \"poll_s\": \"fast\"}",
		  "poll_s: must be a number" },
		{ "{\"format\": 1, \"name\": \"x\", \"busy_timer\": 1}",
		  "busy_timer: must be true or false" },
		{ "{\"format\": 1, \"name\": 5}", "name: must be a string" },
		{ "{\"format\": 1, \"name\": \"x\", \"source\": []}", "source: must be a string" },
		{ "{\"format\": 1, \"name\": \"x\", \"accounting\": 3}",
		  "accounting: must be an object" },
		{ "{\"format\": 1, \"name\": \"x\", \"accounting\": {\"lead_in_w\": \"4 W\"}}",
		  "lead_in_w: must be a number" },
		{ "{\"format\": 1, \"name\": \"x\", \"batch_s\": -1}",
		  "batch_s: -1 is not a number >= 0" },
		{ "{\"format\": 1, \"name\": \"x\", \"rtt_s\": -0.5}",
		  "rtt_s: -0.5 is not a number >= 0" },
		{ "{\"format\": 1, \"name\": \"x\", \"request_timeout_s\": -300}",
		  "request_timeout_s: -300 is not a number >= 0" },
		{ "{\"format\": 1, \"name\": \"x\", \"cpus\": 0}",
		  "cpus: 0 is not a number above 0" },
		{ "{\"format\": 1, \"name\": \"x\", \"poll_s\": 0}", "poll_s: must be above 0" },
		{ "{\"format\": 1, \"name\": \"x\", \"intake_per_poll\": -1}",
		  "intake_per_poll: -1 is not a whole number >= 0" },
		{ "{\"format\": 1, \"name\": \"x\", \"intake_per_poll\": 1.5}",
		  "intake_per_poll: 1.5 is not a whole number >= 0" },
		{ "{\"format\": 1, \"name\": \"x\", \"link_bps\": 1e9}",
		  "bytes_per_frame: a link needs the bytes it carries" },
		{ "{\"format\": 1}", "name: missing" },
		{ "{\"format\": 1, \"name\": \"\"}", "name: missing" },
		{ "{\"format\": 1, \"name\": "
		  "\"a-name-far-longer-than-forty-seven-characters-in-all\"}",
		  "name: longer than 47 characters" },
		{ "{\"name\": \"x\"}", "format: must be 1" },
		{ "{\"format\": 2, \"name\": \"x\"}", "format: must be 1" },
		{ "{\"format\": 1, \"name\": \"x\", \"accounting\": {\"spacing_s\": 0}}",
		  "accounting: line_s and spacing_s must be above 0" },
		{ "{\"format\": 1, \"name\": \"x\", \"accounting\": {\"line_s\": -0.2}}",
		  "accounting: line_s and spacing_s must be above 0" },
		{ "{\"format\": 1, \"name\": \"x\", \"accounting\": {\"lead_in_w\": -4}}",
		  "accounting: lead_in_s and lead_in_w must be numbers >= 0" },
		{ "[1, 2]", "must be a JSON object" },
		{ "{\"format\": 1, \"name\": \"x\",", "not valid JSON" },
	};
	char *dir = lv_test_mkdtemp();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = lv_test_write(dir, "bad.json", cases[i].text);
		struct lv_ctl_model m;
		char *why = NULL;
		int rc = lv_ctl_model_load(p, &m, &why);
		if (rc != LV_EINVAL || !why || !strstr(why, p) || !strstr(why, cases[i].needle))
			fail_msg("case %zu (%s): rc %d, message '%s', wanted the path and '%s'", i,
			         cases[i].text, rc, why ? why : "(none)", cases[i].needle);
		free(why);
		free(p);
	}
	/* a file that is not there */
	char *p = lv_path_join(dir, "none.json");
	struct lv_ctl_model m;
	char *why = NULL;
	assert_int_equal(lv_ctl_model_load(p, &m, &why), LV_EIO);
	assert_non_null(strstr(why, p));
	free(why);
	free(p);
	lv_test_rmtree(dir);
	free(dir);
}

/* A model that fails its check is not written, and no file is left behind. */
static void test_save_refuses_bad_model(void **st)
{
	(void)st;
	char *dir = lv_test_mkdtemp();
	char *p = lv_path_join(dir, "c.json");
	struct lv_ctl_model m = sample();
	m.cpus = -1;
	char *why = NULL;
	assert_int_equal(lv_ctl_model_save(p, &m, &why), LV_EINVAL);
	assert_non_null(strstr(why, "cpus"));
	free(why);
	assert_int_equal(access(p, F_OK), -1);
	free(p);
	lv_test_rmtree(dir);
	free(dir);
}

/*
 * By name: NAME.json in the controllers folder of the profiles directory;
 * "ideal" without a file; a path when the name holds a '/' or ends in
 * .json. A name that is not a name, or a profile that is not there, is an
 * error naming it.
 */
static void test_find(void **st)
{
	(void)st;
	char *dir = lv_test_mkdtemp();
	char *sub = lv_path_join(dir, "controllers");
	assert_int_equal(mkdir(sub, 0755), 0);
	struct lv_ctl_model m = sample(), r;
	char *path = lv_path_join(sub, "sample-1.json");
	char *why = NULL;
	assert_int_equal(lv_ctl_model_save(path, &m, &why), 0);

	assert_int_equal(lv_ctl_model_find(dir, "sample-1", &r, &why), 0);
	assert_same_model(&m, &r);
	memset(&r, 0, sizeof(r));
	assert_int_equal(lv_ctl_model_find("no-such-dir", path, &r, &why), 0);
	assert_same_model(&m, &r);

	/* a path without a '/' that ends in .json, taken as it is (from the working directory) */
	char *other = lv_path_join(dir, "other.json");
	m.intake_per_poll = 9;
	snprintf(m.name, sizeof(m.name), "other");
	assert_int_equal(lv_ctl_model_save(other, &m, &why), 0);
	char *cwd = getcwd(NULL, 0);
	assert_int_equal(chdir(dir), 0);
	int rc = lv_ctl_model_find("profiles", "other.json", &r, &why);
	assert_int_equal(chdir(cwd), 0);
	free(cwd);
	assert_int_equal(rc, 0);
	assert_string_equal(r.name, "other");
	assert_int_equal(r.intake_per_poll, 9);

	struct lv_ctl_model ideal;
	lv_ctl_model_ideal(&ideal);
	assert_int_equal(lv_ctl_model_find(dir, "ideal", &r, &why), 0);
	assert_same_model(&ideal, &r);

	assert_int_equal(lv_ctl_model_find(dir, "Bad Name", &r, &why), LV_EINVAL);
	assert_non_null(strstr(why, "'Bad Name'"));
	free(why);
	why = NULL;
	assert_int_not_equal(lv_ctl_model_find(dir, "nope", &r, &why), 0);
	assert_non_null(strstr(why, "controllers/nope.json"));
	free(why);
	free(other);
	free(path);
	free(sub);
	lv_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_shipped_profiles_round_trip),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_save_refuses_bad_model),
		cmocka_unit_test(test_find),
	};
	return cmocka_run_group_tests_name("ctlmodel", tests, NULL, NULL);
}
