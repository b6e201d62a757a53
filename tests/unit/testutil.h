/*
 * testutil: what every unit test needs besides cmocka — where the repository
 * and the thesis measurement data are, and scratch directories.
 *
 * Tests run from the repository root (make test does so). The measurement
 * data is read in place from $LOUDVA_DATA, else ../shared/data/jetson-measurements,
 * and the thesis's real runs from $LOUDVA_RUNS, else ../shared/data/thesis-experiment-1.
 */
#ifndef LV_TESTUTIL_H
#define LV_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the above first. */
#include <cmocka.h>

/*
 * assert_near(a, b, eps): |a - b| <= eps (or a == b, for infinities), printed
 * with every digit on failure. cmocka's assert_float_equal goes through
 * float; this keeps doubles.
 */
void lv_test_near_at(double a, double b, double eps, const char *file, int line);
#define assert_near(a, b, eps) lv_test_near_at((a), (b), (eps), __FILE__, __LINE__)

/* Directory of the thesis measurement data (static string). */
const char *lv_test_data_dir(void);

/* Directory of the thesis's Experiment 1 runs (static string). */
const char *lv_test_runs_dir(void);

/* A fresh empty directory under $TMPDIR; caller frees the string and removes it
 * with lv_test_rmtree. */
char *lv_test_mkdtemp(void);

/* rm -rf of a directory the test made. */
void lv_test_rmtree(const char *dir);

/* Writes text to dir/name and returns the path (caller frees). */
char *lv_test_write(const char *dir, const char *name, const char *text);

/*
 * Runs fn(arg) in a child process that has `seconds` to finish; returns the
 * text it returned (caller frees). Fails the test when the child crashes or
 * runs out of time: for inputs that once made a parser run away.
 */
char *lv_test_in_child(char *(*fn)(const void *), const void *arg, unsigned seconds);

#endif

struct lv_profile;

/*
 * A hand-made profile for tests: `n_freqs` clocks (Hz, ascending), max batch
 * `max_batch`, one instance, clock-change delay `delay_s`, idle power
 * `idle_w[i]` per clock, and the points given as rows of
 * {freq_hz, batch, latency_s, energy_j}. Every clock change takes exactly
 * delay_s (no distribution). The default governor: 0.2 s of running from the
 * lowest clock to the highest, 1 s of complete idle before it starts down,
 * 0.5 s from leaving the highest to reaching the lowest (devmodel.h). Caller
 * frees (or hands it to a cluster).
 */
struct lv_test_point {
	double freq_hz;
	int batch;
	double latency_s;
	double energy_j;
};

struct lv_profile *lv_test_profile_new(const char *kind, size_t n_freqs, const double *freqs_hz,
                                       const double *idle_w, int max_batch, double delay_s,
                                       size_t n_points, const struct lv_test_point *pts);
