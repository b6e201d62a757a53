/*
 * Cost tables in the three modes. Expected values are rows copied by hand
 * from the thesis's profiling.csv:
 *   AGX  1377000000 Hz, batch 1: latency 0.027193 s, energy 0.59740791174 J
 *   Nano  921600000 Hz, batch 4: latency 0.52182 s,  energy 3.3563827674 J
 *   Nano  460800000 Hz, batch 3: latency 0.742954 s, energy 2.84280946744 J
 * The last one is removed from a copy of the Nano profile to make a hole.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/cluster.h"
#include "model/cost.h"
#include "model/predictor.h"
#include "model/profile.h"
#include "base/util.h"

static struct lv_profile *profiles[3];
static struct lv_profile *holey; /* nano without (460.8 MHz, batch 3) */
static struct lv_predictor *pred;

static int setup(void **st)
{
	(void)st;
	static const char *const kinds[] = { "agx-xavier", "xavier-nx", "nano" };
	for (int k = 0; k < 3; k++) {
		char *path = lv_xasprintf("profiles/%s.json", kinds[k]);
		profiles[k] = lv_profile_load(path, NULL);
		free(path);
		if (!profiles[k])
			return -1;
	}
	char *json = lv_profile_to_json(profiles[2]);
	holey = lv_profile_parse(json, "copy", NULL);
	free(json);
	size_t j = 0;
	for (size_t i = 0; i < holey->n_points; i++) {
		const struct lv_profile_point *pt = &holey->points[i];
		if (pt->freq_hz == 460800000ULL && pt->batch == 3)
			continue;
		holey->points[j++] = *pt;
	}
	if (j != holey->n_points - 1)
		return -1;
	holey->n_points = j;
	pred = lv_predictor_obtain((const struct lv_profile *const *)profiles, 3, NULL, NULL);
	return pred ? 0 : -1;
}

static int teardown(void **st)
{
	(void)st;
	for (int k = 0; k < 3; k++)
		lv_profile_free(profiles[k]);
	lv_profile_free(holey);
	lv_predictor_free(pred);
	return 0;
}

static size_t fidx(const struct lv_cost_table *t, uint64_t hz)
{
	for (size_t i = 0; i < t->n_freqs; i++)
		if (t->freqs_hz[i] == hz)
			return i;
	fail_msg("no clock %llu", (unsigned long long)hz);
	return 0;
}

static void test_prof_mode_measured_only(void **st)
{
	(void)st;
	struct lv_cost_table *t = lv_cost_table_build(profiles[0], NULL, LV_COST_PROF, NULL);
	assert_non_null(t);
	assert_int_equal(t->max_batch, 64);
	assert_int_equal(t->n_freqs, 14);
	size_t fi = fidx(t, 1377000000ULL);
	assert_float_equal(lv_cost_latency(t, fi, 1), 0.027193, 1e-12);
	assert_float_equal(lv_cost_energy(t, fi, 1), 0.59740791174, 1e-12);
	assert_int_equal(t->source[lv_cost_index(t, fi, 1)], LV_SRC_MEASURED);
	lv_cost_table_free(t);

	t = lv_cost_table_build(holey, NULL, LV_COST_PROF, NULL);
	fi = fidx(t, 460800000ULL);
	assert_true(isinf(lv_cost_latency(t, fi, 3)));
	assert_int_equal(t->source[lv_cost_index(t, fi, 3)], LV_SRC_NONE);
	size_t f4 = fidx(t, 921600000ULL);
	assert_float_equal(lv_cost_latency(t, f4, 4), 0.52182, 1e-12);
	assert_float_equal(t->energy_per_frame_j[lv_cost_index(t, f4, 4)], 3.3563827674 / 4, 1e-9);
	lv_cost_table_free(t);
}

/* fill: the hole gets a prediction close to the measurement that was removed. */
static void test_fill_mode_fills_holes(void **st)
{
	(void)st;
	struct lv_cost_table *t = lv_cost_table_build(holey, pred, LV_COST_FILL, NULL);
	assert_non_null(t);
	size_t fi = fidx(t, 460800000ULL);
	size_t i = lv_cost_index(t, fi, 3);
	assert_int_equal(t->source[i], LV_SRC_PREDICTED);
	assert_true(fabs(t->latency_s[i] / 0.742954 - 1) < 0.15);
	assert_true(fabs(t->energy_j[i] / 2.84280946744 - 1) < 0.15);
	/* Measured cells are kept exactly. */
	size_t f4 = fidx(t, 921600000ULL);
	assert_int_equal(t->source[lv_cost_index(t, f4, 4)], LV_SRC_MEASURED);
	assert_float_equal(lv_cost_latency(t, f4, 4), 0.52182, 1e-12);
	for (size_t k = 0; k < t->n_freqs * (size_t)t->max_batch; k++)
		assert_true(isfinite(t->latency_s[k]) && t->latency_s[k] > 0);
	lv_cost_table_free(t);
}

/* pred: every cell predicted, near the measurements. */
static void test_pred_mode_everywhere(void **st)
{
	(void)st;
	struct lv_cost_table *t = lv_cost_table_build(profiles[0], pred, LV_COST_PRED, NULL);
	assert_non_null(t);
	for (size_t k = 0; k < t->n_freqs * (size_t)t->max_batch; k++) {
		assert_int_equal(t->source[k], LV_SRC_PREDICTED);
		int b = (int)(k % 64) + 1;
		assert_float_equal(t->energy_per_frame_j[k], t->energy_j[k] / b, 1e-12);
	}
	size_t fi = fidx(t, 1377000000ULL);
	assert_true(fabs(lv_cost_latency(t, fi, 1) / 0.027193 - 1) < 0.10);
	assert_true(fabs(lv_cost_energy(t, fi, 1) / 0.59740791174 - 1) < 0.10);
	assert_int_equal(lv_cost_table_bytes(t), 14 * 64 * (3 * sizeof(double) + 1));
	lv_cost_table_free(t);
}

static void test_modes_and_errors(void **st)
{
	(void)st;
	enum lv_cost_mode m;
	assert_int_equal(lv_cost_mode_parse("pred", &m), 0);
	assert_int_equal(m, LV_COST_PRED);
	assert_int_equal(lv_cost_mode_parse("fill", &m), 0);
	assert_int_equal(m, LV_COST_FILL);
	assert_int_equal(lv_cost_mode_parse("prof", &m), 0);
	assert_int_equal(m, LV_COST_PROF);
	assert_int_not_equal(lv_cost_mode_parse("Pred", &m), 0);
	assert_string_equal(lv_cost_mode_name(LV_COST_FILL), "fill");
	char *why = NULL;
	assert_null(lv_cost_table_build(profiles[1], NULL, LV_COST_PRED, &why));
	assert_non_null(strstr(why, "needs a predictor"));
	free(why);
}

/* The cluster's truth tables are the measurements, whatever the scheduler's mode. */
static void test_truth_tables_are_measured(void **st)
{
	(void)st;
	char *why = NULL;
	struct lv_cluster *c = lv_cluster_load("profiles/clusters/single-agx.json", &why);
	assert_non_null(c);
	assert_int_equal(lv_cluster_build_costs(c, LV_COST_PRED, NULL, &why), 0);
	const struct lv_cost_table *truth = c->kinds[0].truth, *cost = c->kinds[0].cost;
	assert_int_equal(truth->mode, LV_COST_PROF);
	assert_int_equal(cost->mode, LV_COST_PRED);
	size_t fi = fidx(truth, 1377000000ULL);
	assert_float_equal(lv_cost_latency(truth, fi, 1), 0.027193, 1e-12);
	assert_true(lv_cost_latency(cost, fi, 1) != 0.027193); /* a prediction */
	/* Rebuilding in another mode keeps the truth. */
	assert_int_equal(lv_cluster_build_costs(c, LV_COST_PROF, NULL, &why), 0);
	assert_int_equal(c->kinds[0].truth->mode, LV_COST_PROF);
	lv_cluster_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prof_mode_measured_only),
		cmocka_unit_test(test_fill_mode_fills_holes),
		cmocka_unit_test(test_pred_mode_everywhere),
		cmocka_unit_test(test_modes_and_errors),
		cmocka_unit_test(test_truth_tables_are_measured),
	};
	return cmocka_run_group_tests_name("cost", tests, setup, teardown);
}
