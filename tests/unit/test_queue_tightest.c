/* The deadline queue's tightest-k walk (lv_queue_tightest, for the console's Queue view)
 * against a sort, on random heaps. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>

#include "sched/queue.h"

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void test_tightest(void **st)
{
	(void)st;
	struct lv_queue q;
	double out[LV_QUEUE_TIGHTEST_MAX];
	lv_queue_init(&q);
	assert_int_equal(lv_queue_tightest(&q, out, 8), 0);
	lv_queue_reserve_slots(&q, 1000);
	uint64_t s = 7;
	double all[1000];
	for (int round = 0; round < 3; round++) {
		size_t n = round == 0 ? 3 : round == 1 ? 40 : 1000;
		while (lv_queue_len(&q) > 0) {
			struct lv_queue_entry e;
			lv_queue_pop(&q, &e);
		}
		for (size_t i = 0; i < n; i++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			all[i] = (double)(s >> 40) / 1e3; /* some repeat: ties */
			if (i % 7 == 0)
				all[i] = 5.0;
			lv_queue_push(&q, (uint32_t)i, i + 1, all[i], 0);
		}
		qsort(all, n, sizeof(double), cmp);
		size_t k = lv_queue_tightest(&q, out, 8);
		assert_int_equal(k, n < 8 ? n : 8);
		for (size_t i = 0; i < k; i++)
			assert_float_equal(out[i], all[i], 0);
		k = lv_queue_tightest(&q, out, 1000); /* capped */
		assert_int_equal(k, n < LV_QUEUE_TIGHTEST_MAX ? n : LV_QUEUE_TIGHTEST_MAX);
		for (size_t i = 0; i < k; i++)
			assert_float_equal(out[i], all[i], 0);
	}
	lv_queue_fini(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_tightest) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
