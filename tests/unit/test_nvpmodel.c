/*
 * The nvpmodel parsers (agents/nvpmodel.h): the two trimmed board files of
 * tests/agent/fixtures (AGX Orin 32 GB, AGX Xavier; their sources in its
 * README) read mode by mode, the reboot rule between their modes,
 * malformed lines counted with their line numbers and never fatal, the
 * bounds (modes, line length, NUL bytes), the status file and
 * `nvpmodel -q`'s output as JetPack prints them; and the control's refusal
 * of files that are not small regular ones (a configuration that leads to
 * /dev/zero, a status file grown huge) — its switching runs in
 * tests/agent/test_agent_jetson.sh against a stand-in nvpmodel.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "base/util.h"
#include "nvpmodel.h"
#include "nvpmodel_ctl.h"

static void parse_file(const char *path, struct lv_nvp_conf *c)
{
	size_t len = 0;
	char *why = NULL;
	char *text = lv_read_file(path, &len, &why);
	assert_non_null(text);
	assert_int_equal(lv_nvp_conf_parse(text, len, c, &why), 0);
	assert_null(why);
	free(text);
}

static void test_agx_orin(void **state)
{
	(void)state;
	struct lv_nvp_conf *c = lv_xmalloc(sizeof(*c));
	parse_file("tests/agent/fixtures/nvpmodel_p3701_0000.conf", c);
	assert_int_equal(c->n_modes, 4);
	assert_int_equal(c->malformed, 0);
	assert_int_equal(c->default_id, 2);
	static const char *names[] = { "MAXN", "MODE_15W", "MODE_30W", "MODE_50W" };
	static const uint64_t caps[] = { 0, 408000000, 612000000, 816000000 };
	static const char *tpc[] = { "0", "248", "240", "0" };
	for (int i = 0; i < 4; i++) {
		assert_int_equal(c->modes[i].id, i);
		assert_string_equal(c->modes[i].name, names[i]);
		assert_int_equal(c->modes[i].gpu_capped, i > 0); /* MAXN: -1, no cap */
		assert_int_equal(c->modes[i].gpu_max_hz, caps[i]);
		assert_string_equal(c->modes[i].tpc_pg, tpc[i]);
	}
	const struct lv_nvp_mode *maxn = lv_nvp_find_name(c, "MAXN"), *m50 = lv_nvp_find_id(c, 3);
	assert_ptr_equal(maxn, &c->modes[0]);
	assert_ptr_equal(m50, &c->modes[3]);
	assert_null(lv_nvp_find_name(c, "maxn")); /* names are exact */
	assert_null(lv_nvp_find_id(c, 4));
	assert_false(lv_nvp_needs_reboot(maxn, m50));
	assert_true(lv_nvp_needs_reboot(m50, lv_nvp_find_id(c, 1)));
	assert_true(lv_nvp_needs_reboot(lv_nvp_find_id(c, 2), maxn));
	free(c);
}

static void test_agx_xavier(void **state)
{
	(void)state;
	struct lv_nvp_conf *c = lv_xmalloc(sizeof(*c));
	parse_file("tests/agent/fixtures/nvpmodel_t194.conf", c);
	assert_int_equal(c->n_modes, 5);
	assert_int_equal(c->default_id, 7);
	const struct lv_nvp_mode *m = lv_nvp_find_name(c, "MODE_15W_DESKTOP");
	assert_non_null(m);
	assert_int_equal(m->id, 7);
	assert_int_equal(m->gpu_max_hz, 670000000);
	m = lv_nvp_find_id(c, 1);
	assert_string_equal(m->name, "MODE_10W");
	assert_int_equal(m->gpu_max_hz, 520000000);
	assert_string_equal(m->tpc_pg, "5");
	assert_true(lv_nvp_needs_reboot(lv_nvp_find_id(c, 0), m));
	assert_false(lv_nvp_needs_reboot(lv_nvp_find_id(c, 0), lv_nvp_find_id(c, 3)));
	free(c);
}

static void test_malformed(void **state)
{
	(void)state;
	static const char text[] = "GPU MAX_FREQ 5\n"                 /* 1: outside any section */
	                           "# a comment\n"                    /* 2 */
	                           "< PARAM TYPE=CLOCK NAME=GPU >\n"  /* 3 */
	                           "MAX_FREQ /sys/x/max_freq extra\n" /* 4: a PARAM line of three */
	                           "\r\n"                             /* 5: blank (CRLF) */
	                           "< POWER_MODEL ID=0 NAME=MAXN >\r\n" /* 6: CRLF is fine */
	                           "GPU MAX_FREQ -1\n"                  /* 7 */
	                           "GPU MAX_FREQ\n"                     /* 8: two fields */
	                           "< POWER_MODEL ID=x1 NAME=BAD >\n"   /* 9: a bad id */
	                           "GPU MAX_FREQ 100\n" /* 10: skipped with its section */
	                           "< POWER_MODEL ID=1 NAME=MODE_10W >\n" /* 11 */
	                           "GPU MAX_FREQ 0\n"                     /* 12: 0 is not a cap */
	                           "GPU MAX_FREQ 520000000\n"          /* 13: the later line wins */
	                           "< POWER_MODEL ID=1 NAME=AGAIN >\n" /* 14: the id again */
	                           "< POWER_MODEL ID=2 NAME=MAXN >\n"  /* 15: the name again */
	                           "< POWER_MODEL ID=3 NAME=MODE_15W\n" /* 16: no '>' */
	                           "< FAN_CONFIG DEFAULT=quiet >\n" /* 17: another kind, skipped */
	                           "whatever the fans say\n"        /* 18 */
	                           "< PM_CONFIG DEFAULT=seven >\n"; /* 19: no number */
	struct lv_nvp_conf c;
	char *why = NULL;
	assert_int_equal(lv_nvp_conf_parse(text, sizeof(text) - 1, &c, &why), 0);
	assert_null(why);
	assert_int_equal(c.n_modes, 2);
	assert_string_equal(c.modes[0].name, "MAXN");
	assert_false(c.modes[0].gpu_capped);
	assert_string_equal(c.modes[1].name, "MODE_10W");
	assert_int_equal(c.modes[1].gpu_max_hz, 520000000);
	assert_int_equal(c.default_id, -1);
	assert_int_equal(c.malformed, 9);
	assert_int_equal(c.n_issues, LV_NVP_MAX_ISSUES);
	static const unsigned lines[] = { 1, 4, 8, 9 };
	static const char *says[] = { "outside any section", "ARG_NAME PATH", "PARAM ARG VALUE",
		                      "without an ID" };
	for (int i = 0; i < LV_NVP_MAX_ISSUES; i++) {
		assert_int_equal(c.issues[i].line, lines[i]);
		assert_non_null(strstr(c.issues[i].what, says[i]));
	}
}

static void test_nothing(void **state)
{
	(void)state;
	struct lv_nvp_conf c;
	char *why = NULL;
	assert_int_equal(lv_nvp_conf_parse("", 0, &c, &why), LV_EINVAL);
	assert_string_equal(why, "no POWER_MODEL section");
	free(why);
	why = NULL;
	static const char bad[] = "# only\n< POWER_MODEL ID=1 >\n";
	assert_int_equal(lv_nvp_conf_parse(bad, sizeof(bad) - 1, &c, &why), LV_EINVAL);
	assert_non_null(strstr(why, "line 2: POWER_MODEL ID=1 without a NAME"));
	free(why);
}

static void test_bounds(void **state)
{
	(void)state;
	struct lv_buf b = { 0 };
	for (int i = 0; i < LV_NVP_MAX_MODES + 3; i++)
		lv_buf_printf(&b, "< POWER_MODEL ID=%d NAME=M%d >\nGPU MAX_FREQ %d000000\n", i, i,
		              i + 1);
	lv_buf_printf(&b, "< POWER_MODEL ID=99 NAME=");
	for (int i = 0; i < LV_NVP_NAME_MAX; i++)
		lv_buf_printf(&b, "N");
	lv_buf_printf(&b, " >\n");
	lv_buf_printf(&b, "# ");
	for (int i = 0; i < 600; i++)
		lv_buf_printf(&b, "x");
	lv_buf_printf(&b, "\n");
	size_t len = 0;
	char *text = lv_buf_take(&b, &len);
	struct lv_nvp_conf *c = lv_xmalloc(sizeof(*c));
	assert_int_equal(lv_nvp_conf_parse(text, len, c, NULL), 0);
	assert_int_equal(c->n_modes, LV_NVP_MAX_MODES);
	assert_int_equal(c->modes[LV_NVP_MAX_MODES - 1].gpu_max_hz,
	                 (uint64_t)LV_NVP_MAX_MODES * 1000000);
	/* three modes too many (their lines skipped), a name too long, a line too long */
	assert_int_equal(c->malformed, 5);
	assert_non_null(strstr(c->issues[0].what, "more than 32 POWER_MODEL sections"));
	free(text);

	/* a NUL byte is a malformed line, not the end of the text */
	static const char nul[] = "< POWER_MODEL ID=0 NAME=A >\nGPU MAX\0FREQ 1\nGPU MAX_FREQ 7\n";
	assert_int_equal(lv_nvp_conf_parse(nul, sizeof(nul) - 1, c, NULL), 0);
	assert_int_equal(c->malformed, 1);
	assert_int_equal(c->issues[0].line, 2);
	assert_string_equal(c->issues[0].what, "a NUL byte");
	assert_int_equal(c->modes[0].gpu_max_hz, 7);
	free(c);
}

static void test_status(void **state)
{
	(void)state;
	int id = -1;
	static const char st[] = "pmode:0002 fmode:quiet\n";
	assert_int_equal(lv_nvp_status_parse(st, sizeof(st) - 1, &id), 0);
	assert_int_equal(id, 2);
	assert_int_equal(lv_nvp_status_parse("pmode:0000", 10, &id), 0);
	assert_int_equal(id, 0);
	/* only the bytes given are read: "pmode:00" */
	assert_int_equal(lv_nvp_status_parse("pmode:0017", 8, &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(lv_nvp_status_parse("pmode:12345", 11, &id), LV_EINVAL);
	assert_int_equal(lv_nvp_status_parse("pmode:", 6, &id), LV_EINVAL);
	assert_int_equal(lv_nvp_status_parse("pmode:00x2", 10, &id), LV_EINVAL);
	assert_int_equal(lv_nvp_status_parse("xpmode:0001", 11, &id), LV_EINVAL);
	assert_int_equal(lv_nvp_status_parse("", 0, &id), LV_EINVAL);
}

static void test_query(void **state)
{
	(void)state;
	int id = -1;
	char name[LV_NVP_NAME_MAX];
	static const char q[] = "NV Fan Mode:quiet\nNV Power Mode: MODE_30W_4CORE\n5\n";
	assert_int_equal(lv_nvp_query_parse(q, sizeof(q) - 1, &id, name, sizeof(name)), 0);
	assert_int_equal(id, 5);
	assert_string_equal(name, "MODE_30W_4CORE");
	static const char q2[] = "NV Power Mode: MAXN\n0";
	assert_int_equal(lv_nvp_query_parse(q2, sizeof(q2) - 1, &id, name, sizeof(name)), 0);
	assert_int_equal(id, 0);
	assert_string_equal(name, "MAXN");
	static const char no_id[] = "NV Power Mode: MAXN\n";
	assert_int_equal(lv_nvp_query_parse(no_id, sizeof(no_id) - 1, &id, name, sizeof(name)),
	                 LV_EINVAL);
	static const char bad_id[] = "NV Power Mode: MAXN\nzero\n";
	assert_int_equal(lv_nvp_query_parse(bad_id, sizeof(bad_id) - 1, &id, name, sizeof(name)),
	                 LV_EINVAL);
	char small[4];
	assert_int_equal(lv_nvp_query_parse(q2, sizeof(q2) - 1, &id, small, sizeof(small)),
	                 LV_EINVAL);
	static const char err[] = "NVPM ERROR: failed to read PARAM GPU\n";
	assert_int_equal(lv_nvp_query_parse(err, sizeof(err) - 1, &id, name, sizeof(name)),
	                 LV_EINVAL);
}

static void test_ctl_odd_files(void **state)
{
	(void)state;
	char *dir = lv_test_mkdtemp();
	char *conf = lv_path_join(dir, "nvpmodel.conf");
	assert_int_equal(symlink("/dev/zero", conf), 0);
	char *status = lv_test_write(dir, "status", "pmode:0001\n");
	char *bin = lv_path_join(dir, "no-nvpmodel");
	struct lv_nvp_paths p = { .conf = conf, .status = status, .binary = bin, .timeout_s = 1 };
	struct lv_nvp_ctl *c = lv_nvp_ctl_new(&p);
	struct lv_power_info *info = lv_xcalloc(1, sizeof(*info));
	lv_nvp_ctl_info(c, info);
	assert_false(info->has_conf);
	assert_non_null(strstr(info->conf_error, "not a regular file of at most"));
	int from = 0;
	char *why = NULL;
	assert_int_equal(lv_nvp_ctl_set(c, 1, &from, &why), LV_ESTATE);
	assert_non_null(strstr(why, "power modes are unknown"));
	free(why);
	lv_nvp_ctl_free(c);

	/* a good configuration, a status file too large to be one: unknown, and why */
	unlink(conf);
	free(lv_test_write(dir, "nvpmodel.conf", "< POWER_MODEL ID=1 NAME=M >\n"));
	FILE *f = fopen(status, "w");
	assert_non_null(f);
	for (int i = 0; i < 1000; i++)
		fputs("pmode:0001\n", f);
	fclose(f);
	c = lv_nvp_ctl_new(&p);
	memset(info, 0, sizeof(*info));
	lv_nvp_ctl_info(c, info);
	assert_true(info->has_conf);
	assert_false(info->current_known);
	assert_non_null(strstr(info->source, "not a regular file of at most 4096 bytes"));
	assert_non_null(strstr(info->source, "cannot run")); /* and no nvpmodel to ask */
	lv_nvp_ctl_free(c);
	free(info);
	free(bin);
	free(status);
	free(conf);
	lv_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agx_orin),  cmocka_unit_test(test_agx_xavier),
		cmocka_unit_test(test_malformed), cmocka_unit_test(test_nothing),
		cmocka_unit_test(test_bounds),    cmocka_unit_test(test_status),
		cmocka_unit_test(test_query),     cmocka_unit_test(test_ctl_odd_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
