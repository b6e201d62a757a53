/* The deadline queue: order, ties, the oldest arrival, growth. */
#include "testutil.h"

#include <math.h>

#include "sched/queue.h"
#include "base/rng.h"

static void test_order_and_ties(void **st)
{
	(void)st;
	struct lv_queue q;
	lv_queue_init(&q);
	lv_queue_reserve_slots(&q, 8);
	assert_true(isinf(lv_queue_min_deadline(&q)));
	assert_true(isinf(lv_queue_oldest_arrival(&q)));
	/* slot, seq, deadline, arrival */
	lv_queue_push(&q, 0, 1, 5.0, 0.0);
	lv_queue_push(&q, 1, 2, 3.0, 0.5);
	lv_queue_push(&q, 2, 3, 5.0, 1.0); /* same deadline as seq 1: leaves after it */
	lv_queue_push(&q, 3, 4, 1.5, 1.2);
	assert_int_equal(lv_queue_len(&q), 4);
	assert_float_equal(lv_queue_min_deadline(&q), 1.5, 0);
	assert_float_equal(lv_queue_oldest_arrival(&q), 0.0, 0);

	static const uint64_t want_seq[] = { 4, 2, 1, 3 };
	static const double want_oldest_after[] = { 0.0, 0.0, 1.0, INFINITY };
	for (int i = 0; i < 4; i++) {
		struct lv_queue_entry e;
		assert_int_equal(lv_queue_pop(&q, &e), 0);
		assert_int_equal(e.seq, want_seq[i]);
		double o = lv_queue_oldest_arrival(&q);
		if (isinf(want_oldest_after[i]))
			assert_true(isinf(o));
		else
			assert_float_equal(o, want_oldest_after[i], 0);
	}
	struct lv_queue_entry e;
	assert_int_not_equal(lv_queue_pop(&q, &e), 0);
	lv_queue_fini(&q);
}

/* A slot reused after its frame left must not be mistaken for the old frame. */
static void test_slot_reuse(void **st)
{
	(void)st;
	struct lv_queue q;
	lv_queue_init(&q);
	lv_queue_reserve_slots(&q, 4);
	lv_queue_push(&q, 0, 1, 10.0, 0.0); /* old, loose deadline */
	lv_queue_push(&q, 1, 2, 1.0, 0.1);
	struct lv_queue_entry e;
	lv_queue_pop(&q, &e); /* seq 2 leaves; slot 1 free */
	assert_int_equal(e.seq, 2);
	lv_queue_push(&q, 1, 3, 0.5, 0.2);
	assert_float_equal(lv_queue_oldest_arrival(&q), 0.0, 0);
	lv_queue_pop(&q, &e); /* seq 3 */
	assert_int_equal(e.seq, 3);
	assert_float_equal(lv_queue_oldest_arrival(&q), 0.0, 0);
	lv_queue_pop(&q, &e); /* seq 1 */
	assert_int_equal(e.seq, 1);
	assert_true(isinf(lv_queue_oldest_arrival(&q)));
	lv_queue_fini(&q);
}

/* Many random pushes and pops against a brute-force minimum. */
static void test_random_against_brute_force(void **st)
{
	(void)st;
	enum { N = 3000 };
	struct lv_queue q;
	lv_queue_init(&q);
	static double dl[N], arr[N];
	static int in[N];
	struct lv_rng rng;
	lv_rng_seed(&rng, 7);
	uint64_t seq = 0;
	double now = 0;
	lv_queue_reserve_slots(&q, N);
	for (int step = 0; step < 20000; step++) {
		int push = lv_rng_below(&rng, 3) != 0;
		if (push) {
			int s = (int)lv_rng_below(&rng, N);
			if (in[s])
				continue;
			now += 0.01;
			dl[s] = now + (double)lv_rng_below(&rng, 50);
			arr[s] = now;
			in[s] = 1;
			lv_queue_push(&q, (uint32_t)s, ++seq, dl[s], now);
		} else if (lv_queue_len(&q) > 0) {
			double best = INFINITY, oldest = INFINITY;
			for (int i = 0; i < N; i++)
				if (in[i] && dl[i] < best)
					best = dl[i];
			struct lv_queue_entry e;
			lv_queue_pop(&q, &e);
			assert_float_equal(e.deadline_s, best, 0);
			assert_float_equal(dl[e.slot], best, 0);
			in[e.slot] = 0;
			for (int i = 0; i < N; i++)
				if (in[i] && arr[i] < oldest)
					oldest = arr[i];
			if (isinf(oldest))
				assert_true(isinf(lv_queue_oldest_arrival(&q)));
			else
				assert_float_equal(lv_queue_oldest_arrival(&q), oldest, 0);
		}
	}
	lv_queue_fini(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_ties),
		cmocka_unit_test(test_slot_reuse),
		cmocka_unit_test(test_random_against_brute_force),
	};
	return cmocka_run_group_tests_name("queue", tests, NULL, NULL);
}
