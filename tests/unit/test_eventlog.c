/* The event ring: order, overflow, reading after a seq, truncation, threads. */
#include "testutil.h"

#include <pthread.h>
#include <string.h>

#include "base/eventlog.h"
#include "base/util.h"

static void test_order_and_overflow(void **st)
{
	(void)st;
	struct lv_eventlog l;
	lv_eventlog_init(&l, 3);
	assert_int_equal(lv_eventlog_last_seq(&l), 0);
	for (int i = 1; i <= 5; i++)
		lv_eventlog_add(&l, i * 0.5, LV_LOG_INFO, "engine", "event %d", i);
	assert_int_equal(lv_eventlog_last_seq(&l), 5);
	struct lv_log_entry e[8];
	size_t n = lv_eventlog_read(&l, 0, e, 8); /* 1 and 2 fell off */
	assert_int_equal(n, 3);
	assert_int_equal(e[0].seq, 3);
	assert_string_equal(e[0].text, "event 3");
	assert_float_equal(e[2].time_s, 2.5, 0);
	n = lv_eventlog_read(&l, 4, e, 8);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].text, "event 5");
	assert_int_equal(lv_eventlog_read(&l, 5, e, 8), 0);
	n = lv_eventlog_read(&l, 3, e, 1); /* bounded by max */
	assert_int_equal(n, 1);
	assert_int_equal(e[0].seq, 4);
	lv_eventlog_fini(&l);
}

static void test_truncation(void **st)
{
	(void)st;
	struct lv_eventlog l;
	lv_eventlog_init(&l, 2);
	char big[500];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	lv_eventlog_add(&l, 0, LV_LOG_WARN, "a-very-long-source-name-that-goes-on", "%s", big);
	struct lv_log_entry e;
	assert_int_equal(lv_eventlog_read(&l, 0, &e, 1), 1);
	assert_int_equal(strlen(e.text), LV_LOG_TEXT_MAX - 1);
	assert_int_equal(strlen(e.source), LV_LOG_SOURCE_MAX - 1);
	assert_string_equal(lv_log_level_name(e.level), "warn");
	lv_eventlog_fini(&l);
}

static void *writer(void *arg)
{
	for (int i = 0; i < 1000; i++)
		lv_eventlog_add(arg, 0, LV_LOG_DEBUG, "t", "%d", i);
	return NULL;
}

/* Four writers: every seq from 1 to 4000 handed out once, the ring ends full and ordered. */
static void test_threads(void **st)
{
	(void)st;
	struct lv_eventlog l;
	lv_eventlog_init(&l, 256);
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, writer, &l);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(lv_eventlog_last_seq(&l), 4000);
	struct lv_log_entry e[256];
	size_t n = lv_eventlog_read(&l, 0, e, 256);
	assert_int_equal(n, 256);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(e[i].seq, 4000 - 255 + i);
	lv_eventlog_fini(&l);
}

/* Every level's name parses back to it; anything else is refused. */
static void test_level_names(void **state)
{
	(void)state;
	for (int l = LV_LOG_DEBUG; l <= LV_LOG_ERROR; l++) {
		enum lv_log_level back = LV_LOG_DEBUG;
		assert_int_equal(lv_log_level_parse(lv_log_level_name((enum lv_log_level)l), &back),
		                 LV_OK);
		assert_int_equal(back, l);
	}
	enum lv_log_level keep = LV_LOG_ERROR;
	assert_int_equal(lv_log_level_parse("Warn", &keep), LV_EINVAL);
	assert_int_equal(lv_log_level_parse("", &keep), LV_EINVAL);
	assert_int_equal(lv_log_level_parse("?", &keep), LV_EINVAL);
	assert_int_equal(keep, LV_LOG_ERROR);
	assert_string_equal(lv_log_level_name(LV_LOG_INFO), "info");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_overflow),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_level_names),
	};
	return cmocka_run_group_tests_name("eventlog", tests, NULL, NULL);
}
