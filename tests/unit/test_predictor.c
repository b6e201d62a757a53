/*
 * test_predictor: the cost model against the thesis measurements and against
 * hand-computed figures. The measured grid is read from the measurement CSV
 * (predictor-training.csv) by this test's own reader, so the predictor is not
 * checked through code it depends on; the cache tests build small profiles in
 * memory. Figures quoted below are measured values from that CSV.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/predictor.h"
#include "model/profile.h"
#include "base/file.h"
#include "base/util.h"

enum { AGX = 0, NX = 1, NANO = 2, NKINDS = 3 };

struct fixture {
	struct lv_pred_sample *s; /* every row of the CSV */
	size_t n;
	struct lv_gpu_specs gpu[NKINDS];
	struct lv_predictor *all; /* trained on all rows, default parameters */
	char *dir;                /* scratch directory */
};

static struct fixture fx;

/* Splits one CSV line in place at commas; returns the field count. */
static int split_csv(char *line, char **f, int max)
{
	int k = 0;
	line[strcspn(line, "\r\n")] = '\0';
	for (char *p = line; k < max;) {
		f[k++] = p;
		p = strchr(p, ',');
		if (!p)
			break;
		*p++ = '\0';
	}
	return k;
}

/*
 * Columns: Throughput, Energy, Latency, Batch Size, Frequency, Directory,
 * GPU Max MHz, GPU Min MHz, Architecture, Cores, Memory GB/s, DRAM, Shared
 * Memory, Memory GB, Tensor Cores (empty for the Nano).
 */
static void read_training_csv(void)
{
	char *path = lv_path_join(lv_test_data_dir(), "predictor-training.csv");
	FILE *f = fopen(path, "r");
	char line[512], *fld[16];
	size_t cap = 4096;

	assert_non_null(f);
	fx.s = lv_xcalloc(cap, sizeof *fx.s);
	assert_non_null(fgets(line, sizeof line, f));
	while (fgets(line, sizeof line, f)) {
		assert_int_equal(split_csv(line, fld, 16), 15);
		int k = !strcmp(fld[5], "AGX") ? AGX : !strcmp(fld[5], "NX") ? NX : NANO;
		struct lv_gpu_specs *g = &fx.gpu[k];
		g->max_mhz = atof(fld[6]);
		g->min_mhz = atof(fld[7]);
		g->cuda_cores = atoi(fld[9]);
		g->mem_bw_gbs = atof(fld[10]);
		g->mem_gb = atof(fld[13]);
		g->tensor_cores = atoi(fld[14]);
		assert_true(fx.n < cap);
		struct lv_pred_sample *x = &fx.s[fx.n++];
		lv_predictor_features(g, strtoull(fld[4], NULL, 10), atoi(fld[3]), x->feats);
		x->latency_s = atof(fld[2]);
		x->energy_j = atof(fld[1]);
		x->kind_index = k;
	}
	fclose(f);
	free(path);
}

static int setup(void **state)
{
	(void)state;
	char *why = NULL;
	read_training_csv();
	fx.all = lv_predictor_train(fx.s, fx.n, NULL, &why);
	if (!fx.all)
		fprintf(stderr, "train: %s\n", why);
	free(why);
	fx.dir = lv_test_mkdtemp();
	return fx.all ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	lv_predictor_free(fx.all);
	free(fx.s);
	lv_test_rmtree(fx.dir);
	free(fx.dir);
	return 0;
}

static void test_feature_order(void **state)
{
	(void)state;
	/* gpu-specs.csv, AGX row: 1377 MHz max, 114.75 min, 512 cores, 137 GB/s, 32 GB, 64 TC. */
	const float want[LV_PRED_NFEATURES] = {
		64, 1377000000.0f, 1377, 114.75f, 512, 137, 32, 64
	};
	float got[LV_PRED_NFEATURES];
	assert_int_equal(fx.n, 2185);
	lv_predictor_features(&fx.gpu[AGX], 1377000000ULL, 64, got);
	for (int i = 0; i < LV_PRED_NFEATURES; i++)
		assert_true(got[i] == want[i]);
	assert_int_equal(fx.gpu[NANO].tensor_cores, 0);
}

/* Measured (CSV) training error is 1.3 % latency, 1.5 % energy; allow 2.5 %. */
static void test_fit_on_training_points(void **state)
{
	(void)state;
	struct lv_pred_errors e;
	assert_int_equal(lv_predictor_evaluate(fx.all, fx.s, fx.n, -1, &e), LV_OK);
	assert_int_equal(e.n, fx.n);
	assert_true(e.latency_mape < 2.5);
	assert_true(e.energy_mape < 2.5);
	for (int k = 0; k < NKINDS; k++) {
		assert_int_equal(lv_predictor_evaluate(fx.all, fx.s, fx.n, k, &e), LV_OK);
		assert_true(e.latency_mape < 3.0);
		assert_true(e.energy_mape < 3.0);
	}
}

/* Predicted value within `tol` (relative) of a measured one. */
static void assert_near_rel(double got, double want, double tol)
{
	if (fabs(got - want) > tol * want)
		fail_msg("got %.6g, measured %.6g (tolerance %.0f %%)", got, want, tol * 100);
}

/* Hard-coded values are rows of predictor-training.csv. */
static void test_sanity_against_measurements(void **state)
{
	(void)state;
	double l1, e1, l64, e64, llo, elo, ln, en;
	assert_int_equal(lv_predictor_predict(fx.all, &fx.gpu[AGX], 1377000000, 1, &l1, &e1), 0);
	assert_int_equal(lv_predictor_predict(fx.all, &fx.gpu[AGX], 1377000000, 64, &l64, &e64), 0);
	assert_int_equal(lv_predictor_predict(fx.all, &fx.gpu[AGX], 114750000, 1, &llo, &elo), 0);
	assert_int_equal(lv_predictor_predict(fx.all, &fx.gpu[NANO], 921600000, 1, &ln, &en), 0);
	/* AGX at max clock: batch 1 0.027193 s 0.5974 J; batch 64 0.638447 s 19.928 J. */
	assert_near_rel(l1, 0.027193, 0.10);
	assert_near_rel(e1, 0.59740791174, 0.10);
	assert_near_rel(l64, 0.638447, 0.10);
	assert_near_rel(e64, 19.927846211, 0.10);
	assert_true(l64 > l1 && e64 > e1);
	/* AGX at its lowest clock (114.75 MHz), batch 1: 0.267158 s. */
	assert_near_rel(llo, 0.267158, 0.10);
	assert_true(llo > l1);
	/* Nano at max clock, batch 1: 0.170129 s, 1.0574 J: slower than the AGX. */
	assert_near_rel(ln, 0.170129, 0.10);
	assert_near_rel(en, 1.05735683887, 0.10);
	assert_true(ln > l1);
}

/*
 * Between measured clocks: NX batch 8 at 357 MHz (not measured) should lie
 * between its neighbours, 306 MHz (0.563342 s, 3.7012 J) and 408 MHz
 * (0.425966 s, 3.0983 J), give or take 10 %.
 */
static void test_interpolates_between_clocks(void **state)
{
	(void)state;
	double l, e;
	assert_int_equal(lv_predictor_predict(fx.all, &fx.gpu[NX], 357000000, 8, &l, &e), 0);
	assert_true(l > 0.425966 * 0.9 && l < 0.563342 * 1.1);
	assert_true(e > 3.09833611522 * 0.9 && e < 3.70124707472 * 1.1);
}

/*
 * Held-out error: trained on a seeded 80 % of the points, tested on the rest.
 * Measured: latency 2.1-2.4 %, energy 2.3-3.1 % over several seeds; allow 5 %.
 */
static void test_heldout_error(void **state)
{
	(void)state;
	struct lv_pred_sample *tr = NULL, *te = NULL;
	size_t ntr = 0, nte = 0;
	struct lv_pred_errors e;
	char *why = NULL;

	lv_predictor_split(fx.s, fx.n, 0.8, 7, &tr, &ntr, &te, &nte);
	assert_int_equal(ntr, 1748);
	assert_int_equal(nte, 437);
	struct lv_predictor *p = lv_predictor_train(tr, ntr, NULL, &why);
	assert_non_null(p);
	assert_int_equal(lv_predictor_evaluate(p, te, nte, -1, &e), LV_OK);
	assert_int_equal(e.n, 437);
	assert_true(e.latency_mape < 5.0);
	assert_true(e.energy_mape < 5.0);
	lv_predictor_free(p);
	free(tr);
	free(te);
}

/* A grid over every kind: measured and unmeasured clocks, batches 1..128. */
static float *make_grid(size_t *n_out)
{
	static const int batches[] = { 1, 2, 3, 4, 5, 8, 13, 16, 31, 32, 64, 100, 128 };
	const size_t nb = sizeof batches / sizeof batches[0], nf = 12;
	float *g = lv_xmalloc(NKINDS * nf * nb * LV_PRED_NFEATURES * sizeof *g);
	size_t n = 0;
	for (int k = 0; k < NKINDS; k++) {
		for (size_t fi = 0; fi < nf; fi++) {
			double mhz = fx.gpu[k].min_mhz + (fx.gpu[k].max_mhz - fx.gpu[k].min_mhz) *
			                                     (double)fi / (nf - 1);
			for (size_t bi = 0; bi < nb; bi++, n++)
				lv_predictor_features(&fx.gpu[k], (uint64_t)(mhz * 1e6),
				                      batches[bi], &g[n * LV_PRED_NFEATURES]);
		}
	}
	*n_out = n;
	return g;
}

/* a and b predict exactly the same numbers on the grid. */
static void assert_same_predictions(const struct lv_predictor *a, const struct lv_predictor *b)
{
	size_t n = 0;
	float *g = make_grid(&n);
	double *la = lv_xmalloc(n * sizeof *la), *ea = lv_xmalloc(n * sizeof *ea);
	double *lb = lv_xmalloc(n * sizeof *lb), *eb = lv_xmalloc(n * sizeof *eb);
	assert_int_equal(lv_predictor_predict_many(a, g, n, la, ea), LV_OK);
	assert_int_equal(lv_predictor_predict_many(b, g, n, lb, eb), LV_OK);
	for (size_t i = 0; i < n; i++) {
		assert_true(la[i] > 0 && ea[i] > 0);
		assert_true(la[i] == lb[i]);
		assert_true(ea[i] == eb[i]);
	}
	free(g);
	free(la);
	free(ea);
	free(lb);
	free(eb);
}

static void test_save_load_round_trip(void **state)
{
	(void)state;
	char *path = lv_path_join(fx.dir, "sub/dir/model.json");
	char *why = NULL;

	lv_predictor_set_fingerprint(fx.all, 0x0123456789abcdefULL);
	assert_int_equal(lv_predictor_save(fx.all, path, &why), LV_OK);
	struct lv_predictor *q = lv_predictor_load(path, &why);
	assert_non_null(q);
	assert_null(why);
	assert_true(lv_predictor_fingerprint(q) == 0x0123456789abcdefULL);
	assert_same_predictions(fx.all, q);
	/* One-by-one prediction agrees with the batched path. */
	double l1, e1, lm, em;
	float f[LV_PRED_NFEATURES];
	lv_predictor_features(&fx.gpu[NX], 599250000, 6, f);
	assert_int_equal(lv_predictor_predict(q, &fx.gpu[NX], 599250000, 6, &l1, &e1), 0);
	assert_int_equal(lv_predictor_predict_many(fx.all, f, 1, &lm, &em), 0);
	assert_true(l1 == lm && e1 == em);
	lv_predictor_free(q);
	free(path);
}

/* Writes `text` as dir/name and expects loading it to fail with a message naming the file. */
static void expect_load_error(const char *name, const char *text, const char *in_message)
{
	char *path = lv_test_write(fx.dir, name, text);
	char *why = NULL;
	struct lv_predictor *p = lv_predictor_load(path, &why);
	assert_null(p);
	assert_non_null(why);
	if (!strstr(why, path) || (in_message && !strstr(why, in_message)))
		fail_msg("message '%s' should name %s and say '%s'", why, path,
		         in_message ? in_message : "");
	free(why);
	free(path);
}

static void test_corrupt_files(void **state)
{
	(void)state;
	char *good = lv_path_join(fx.dir, "good.json");
	char *why = NULL;
	size_t len = 0;

	assert_int_equal(lv_predictor_save(fx.all, good, &why), LV_OK);
	char *text = lv_read_file(good, &len, &why);
	assert_non_null(text);

	char *half = lv_xstrdup(text);
	half[len / 2] = '\0';
	expect_load_error("truncated.json", half, "not valid JSON");
	expect_load_error("empty.json", "", "not valid JSON");
	expect_load_error("garbage.json", "hello\n", "not valid JSON");
	expect_load_error("array.json", "[1, 2]\n", "not a JSON object");
	expect_load_error("format.json", "{\"format\": \"other\", \"version\": 1}", "format");

	/* One base64 character changed inside the energy model: caught by the checksum. */
	char *flip = lv_xstrdup(text);
	char *m = strstr(flip, "\"energy_model\"");
	assert_non_null(m);
	char *c = strchr(m + strlen("\"energy_model\""), '"') + 200;
	*c = *c == 'A' ? 'B' : 'A';
	expect_load_error("flipped.json", flip, "energy_model");

	/* Not base64 at all. */
	char *bad64 = lv_xstrdup(text);
	m = strstr(bad64, "\"latency_model\"");
	c = strchr(m + strlen("\"latency_model\""), '"') + 10;
	*c = '*';
	expect_load_error("bad64.json", bad64, "latency_model");

	char *missing = lv_path_join(fx.dir, "no-such-model.json");
	assert_null(lv_predictor_load(missing, &why));
	assert_non_null(strstr(why, missing));
	free(why);
	free(missing);
	free(bad64);
	free(flip);
	free(half);
	free(text);
	free(good);
}

/* Same data, trained twice: the same predictions and the same file, byte for byte. */
static void test_deterministic_retrain(void **state)
{
	(void)state;
	struct lv_predictor_params pp;
	char *why = NULL;
	lv_predictor_params_default(&pp);
	pp.rounds = 60;
	struct lv_predictor *a = lv_predictor_train(fx.s, fx.n, &pp, &why);
	struct lv_predictor *b = lv_predictor_train(fx.s, fx.n, &pp, &why);
	assert_non_null(a);
	assert_non_null(b);
	assert_same_predictions(a, b);
	char *pa = lv_path_join(fx.dir, "a.json"), *pb = lv_path_join(fx.dir, "b.json");
	assert_int_equal(lv_predictor_save(a, pa, &why), LV_OK);
	assert_int_equal(lv_predictor_save(b, pb, &why), LV_OK);
	size_t na = 0, nb = 0;
	char *ta = lv_read_file(pa, &na, &why), *tb = lv_read_file(pb, &nb, &why);
	assert_int_equal(na, nb);
	assert_memory_equal(ta, tb, na);
	free(ta);
	free(tb);
	free(pa);
	free(pb);
	lv_predictor_free(a);
	lv_predictor_free(b);
}

/*
 * Constant targets (latency 2 s, energy 4 J) train a model that predicts
 * 2 and 4 everywhere; evaluated on truths 1 s / 8 J and 4 s / 2 J the figures
 * are, by hand: latency MAE (1 + 2) / 2 = 1.5 s, MAPE (100 + 50) / 2 = 75 %;
 * energy MAE (4 + 2) / 2 = 3 J, MAPE (50 + 100) / 2 = 75 %.
 */
static void test_evaluate_by_hand(void **state)
{
	(void)state;
	struct lv_pred_sample tr[4], te[2];
	struct lv_pred_errors e;
	char *why = NULL;
	for (int i = 0; i < 4; i++) {
		lv_predictor_features(&fx.gpu[AGX], 1377000000ULL - 100000000ULL * (uint64_t)i,
		                      i + 1, tr[i].feats);
		tr[i].latency_s = 2.0;
		tr[i].energy_j = 4.0;
		tr[i].kind_index = 0;
	}
	te[0] = tr[0];
	te[0].latency_s = 1.0;
	te[0].energy_j = 8.0;
	te[1] = tr[3];
	te[1].latency_s = 4.0;
	te[1].energy_j = 2.0;
	te[1].kind_index = 1;
	struct lv_predictor *p = lv_predictor_train(tr, 4, NULL, &why);
	assert_non_null(p);
	assert_int_equal(lv_predictor_evaluate(p, te, 2, -1, &e), LV_OK);
	assert_int_equal(e.n, 2);
	assert_float_equal(e.latency_mae_s, 1.5, 1e-4);
	assert_float_equal(e.latency_mape, 75.0, 1e-2);
	assert_float_equal(e.energy_mae_j, 3.0, 1e-4);
	assert_float_equal(e.energy_mape, 75.0, 1e-2);
	/* Only kind 1: the second sample, |2 - 4| = 2 s, 50 %. */
	assert_int_equal(lv_predictor_evaluate(p, te, 2, 1, &e), LV_OK);
	assert_int_equal(e.n, 1);
	assert_float_equal(e.latency_mae_s, 2.0, 1e-4);
	assert_float_equal(e.latency_mape, 50.0, 1e-2);
	assert_int_equal(lv_predictor_evaluate(p, te, 2, 2, &e), LV_OK);
	assert_int_equal(e.n, 0);
	lv_predictor_free(p);
}

static void test_bad_training_input(void **state)
{
	(void)state;
	struct lv_pred_sample s[3];
	struct lv_predictor_params pp;
	char *why = NULL;
	memcpy(s, fx.s, sizeof s);
	assert_null(lv_predictor_train(s, 0, NULL, &why));
	assert_non_null(strstr(why, "no training samples"));
	free(why);
	why = NULL;
	s[2].energy_j = 0;
	assert_null(lv_predictor_train(s, 3, NULL, &why));
	assert_non_null(strstr(why, "sample 2: energy_j"));
	free(why);
	why = NULL;
	s[2].energy_j = 1;
	s[1].latency_s = NAN;
	assert_null(lv_predictor_train(s, 3, NULL, &why));
	assert_non_null(strstr(why, "sample 1: latency_s"));
	free(why);
	why = NULL;
	lv_predictor_params_default(&pp);
	pp.max_depth = 0;
	assert_null(lv_predictor_train(fx.s, 3, &pp, &why));
	assert_non_null(strstr(why, "max_depth 0"));
	free(why);
}

/* Ten samples with latencies 1..10 s: a split is a permutation, 8 + 2. */
static void test_split(void **state)
{
	(void)state;
	struct lv_pred_sample s[10], *tr = NULL, *te = NULL, *tr2 = NULL, *te2 = NULL;
	size_t ntr = 0, nte = 0, ntr2 = 0, nte2 = 0;
	int seen[10] = { 0 };
	memset(s, 0, sizeof s);
	for (int i = 0; i < 10; i++)
		s[i].latency_s = i + 1;
	lv_predictor_split(s, 10, 0.8, 5, &tr, &ntr, &te, &nte);
	assert_int_equal(ntr, 8);
	assert_int_equal(nte, 2);
	for (size_t i = 0; i < ntr; i++)
		seen[(int)tr[i].latency_s - 1]++;
	for (size_t i = 0; i < nte; i++)
		seen[(int)te[i].latency_s - 1]++;
	for (int i = 0; i < 10; i++)
		assert_int_equal(seen[i], 1);
	lv_predictor_split(s, 10, 0.8, 5, &tr2, &ntr2, &te2, &nte2);
	assert_memory_equal(tr, tr2, ntr * sizeof *tr);
	assert_memory_equal(te, te2, nte * sizeof *te);
	free(tr2);
	free(te2);
	lv_predictor_split(s, 10, 0.8, 6, &tr2, &ntr2, &te2, &nte2);
	int same = 1;
	for (size_t i = 0; i < ntr; i++)
		same &= tr[i].latency_s == tr2[i].latency_s;
	assert_false(same);
	free(tr2);
	free(te2);
	free(tr);
	free(te);
}

/*
 * 30 AGX + 20 NX + 10 Nano measured rows; generalising to the Nano with
 * 0/20/50/100 % added back trains on 50 + 0/2/5/10 points and evaluates on the
 * 10/8/5 left out, then (training error) on all 10.
 */
static void test_generalisation_steps(void **state)
{
	(void)state;
	static const int pct[] = { 0, 20, 50, 100 };
	static const size_t want_train[] = { 50, 52, 55, 60 }, want_eval[] = { 10, 8, 5, 10 };
	struct lv_pred_sample s[60];
	struct lv_pred_gen_step st[4];
	struct lv_predictor_params pp;
	size_t cnt[NKINDS] = { 0 }, n = 0;
	const size_t quota[NKINDS] = { 30, 20, 10 };
	char *why = NULL;

	for (size_t i = 0; i < fx.n && n < 60; i++)
		if (cnt[fx.s[i].kind_index] < quota[fx.s[i].kind_index]) {
			cnt[fx.s[i].kind_index]++;
			s[n++] = fx.s[i];
		}
	assert_int_equal(n, 60);
	lv_predictor_params_default(&pp);
	pp.rounds = 50;
	assert_int_equal(lv_predictor_generalisation(s, n, NANO, pct, 4, 3, &pp, st, &why), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(st[i].percent, pct[i]);
		assert_int_equal(st[i].n_train, want_train[i]);
		assert_int_equal(st[i].n_eval, want_eval[i]);
		assert_int_equal(st[i].training_error, i == 3);
	}
	/* Having seen the Nano beats never having seen it. */
	assert_true(st[3].err.latency_mape < st[0].err.latency_mape);
	int bad_pct[] = { 101 };
	assert_int_equal(lv_predictor_generalisation(s, n, NANO, bad_pct, 1, 3, &pp, st, &why),
	                 LV_EINVAL);
	free(why);
	why = NULL;
	assert_int_equal(lv_predictor_generalisation(s, n, 7, pct, 4, 3, &pp, st, &why), LV_EINVAL);
	free(why);
}

/* A small profile built in memory: 2 clocks x batches 1..3, a smooth made-up law. */
struct mini {
	struct lv_profile p;
	uint64_t freqs[2];
	double idle[2];
	struct lv_profile_point pts[6];
};

static void mini_init(struct mini *m, const char *kind, const struct lv_gpu_specs *gpu,
                      double scale)
{
	memset(m, 0, sizeof *m);
	snprintf(m->p.kind, sizeof m->p.kind, "%s", kind);
	m->p.gpu = *gpu;
	m->p.max_batch = 3;
	m->p.instances = 1;
	m->p.clock_change_delay_s = 0.5;
	m->freqs[0] = 500000000;
	m->freqs[1] = 900000000;
	m->idle[0] = 1.0;
	m->idle[1] = 1.5;
	for (int fi = 0, i = 0; fi < 2; fi++) {
		for (int b = 1; b <= 3; b++, i++) {
			struct lv_profile_point *pt = &m->pts[i];
			pt->freq_hz = m->freqs[fi];
			pt->batch = b;
			pt->latency_s = scale * (0.01 + 0.02 * b) * 1e9 / (double)pt->freq_hz;
			pt->energy_j = scale * 0.5 * b;
			pt->throughput_fps = b / pt->latency_s;
		}
	}
	m->p.n_freqs = 2;
	m->p.freqs_hz = m->freqs;
	m->p.idle_power_w = m->idle;
	m->p.n_points = 6;
	m->p.points = m->pts;
}

static int predictions_differ(const struct lv_predictor *a, const struct lv_predictor *b)
{
	double la, ea, lb, eb;
	for (int bt = 1; bt <= 64; bt *= 2) {
		lv_predictor_predict(a, &fx.gpu[AGX], 900000000, bt, &la, &ea);
		lv_predictor_predict(b, &fx.gpu[AGX], 900000000, bt, &lb, &eb);
		if (la != lb || ea != eb)
			return 1;
	}
	return 0;
}

static void test_fingerprint(void **state)
{
	(void)state;
	struct mini a, b;
	mini_init(&a, "agx-xavier", &fx.gpu[AGX], 1.0);
	mini_init(&b, "nano", &fx.gpu[NANO], 4.0);
	const struct lv_profile *ab[] = { &a.p, &b.p }, *ba[] = { &b.p, &a.p };
	uint64_t fp = lv_predictor_fingerprint_profiles(ab, 2);
	assert_true(fp == lv_predictor_fingerprint_profiles(ab, 2));
	assert_true(fp != lv_predictor_fingerprint_profiles(ba, 2));
	assert_true(fp != lv_predictor_fingerprint_profiles(ab, 1));
	a.pts[4].energy_j *= 1.001;
	assert_true(fp != lv_predictor_fingerprint_profiles(ab, 2));
}

/* "Retrain only when profiles change", seen from outside. */
static void test_obtain_cache(void **state)
{
	(void)state;
	struct mini a, b;
	struct lv_predictor_params pp;
	char *path = lv_path_join(fx.dir, "cache/predictor.json");
	char *why = NULL;
	mini_init(&a, "agx-xavier", &fx.gpu[AGX], 1.0);
	mini_init(&b, "nano", &fx.gpu[NANO], 4.0);
	const struct lv_profile *ps[] = { &a.p, &b.p };
	uint64_t fp = lv_predictor_fingerprint_profiles(ps, 2);

	/* No cache: trains and saves, with the profiles' fingerprint. */
	struct lv_predictor *p1 = lv_predictor_obtain(ps, 2, path, &why);
	assert_non_null(p1);
	assert_true(lv_predictor_fingerprint(p1) == fp);
	struct lv_predictor *onfile = lv_predictor_load(path, &why);
	assert_non_null(onfile);
	assert_same_predictions(p1, onfile);
	lv_predictor_free(onfile);

	/* A planted model with the right fingerprint is used as is, not retrained. */
	lv_predictor_params_default(&pp);
	pp.rounds = 20;
	struct lv_predictor *planted = lv_predictor_train(fx.s, 200, &pp, &why);
	assert_non_null(planted);
	assert_true(predictions_differ(planted, p1));
	lv_predictor_set_fingerprint(planted, fp);
	assert_int_equal(lv_predictor_save(planted, path, &why), LV_OK);
	struct lv_predictor *p2 = lv_predictor_obtain(ps, 2, path, &why);
	assert_non_null(p2);
	assert_same_predictions(p2, planted);

	/* A profile changed: retrained, and the file now carries the new fingerprint. */
	a.pts[0].latency_s *= 1.5;
	uint64_t fp2 = lv_predictor_fingerprint_profiles(ps, 2);
	struct lv_predictor *p3 = lv_predictor_obtain(ps, 2, path, &why);
	assert_non_null(p3);
	assert_true(lv_predictor_fingerprint(p3) == fp2);
	assert_true(predictions_differ(p3, planted));
	onfile = lv_predictor_load(path, &why);
	assert_non_null(onfile);
	assert_true(lv_predictor_fingerprint(onfile) == fp2);
	lv_predictor_free(onfile);

	/* A corrupt cache is rebuilt, not fatal. */
	char *junk = lv_test_write(fx.dir, "cache/predictor.json", "{\"format\": ");
	struct lv_predictor *p4 = lv_predictor_obtain(ps, 2, path, &why);
	assert_non_null(p4);
	assert_null(why);
	assert_same_predictions(p3, p4);
	onfile = lv_predictor_load(path, &why);
	assert_non_null(onfile);
	lv_predictor_free(onfile);

	lv_predictor_free(p1);
	lv_predictor_free(p2);
	lv_predictor_free(p3);
	lv_predictor_free(p4);
	lv_predictor_free(planted);
	free(junk);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_feature_order),
		cmocka_unit_test(test_fit_on_training_points),
		cmocka_unit_test(test_sanity_against_measurements),
		cmocka_unit_test(test_interpolates_between_clocks),
		cmocka_unit_test(test_heldout_error),
		cmocka_unit_test(test_save_load_round_trip),
		cmocka_unit_test(test_corrupt_files),
		cmocka_unit_test(test_deterministic_retrain),
		cmocka_unit_test(test_evaluate_by_hand),
		cmocka_unit_test(test_bad_training_input),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_generalisation_steps),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_obtain_cache),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
