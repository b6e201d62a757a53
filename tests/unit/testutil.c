/* testutil: see testutil.h. */
#define _XOPEN_SOURCE 700
#include "testutil.h"

#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/file.h"
#include "base/util.h"

void lv_test_near_at(double a, double b, double eps, const char *file, int line)
{
	if (fabs(a - b) <= eps || a == b)
		return;
	print_error("%.17g != %.17g (tolerance %g)\n", a, b, eps);
	_fail(file, line);
}

const char *lv_test_data_dir(void)
{
	const char *d = getenv("LOUDVA_DATA");
	return d && *d ? d : "../shared/data/jetson-measurements";
}

const char *lv_test_runs_dir(void)
{
	const char *d = getenv("LOUDVA_RUNS");
	return d && *d ? d : "../shared/data/thesis-experiment-1";
}

char *lv_test_mkdtemp(void)
{
	const char *t = getenv("TMPDIR");
	char *tmpl = lv_xasprintf("%s/loudva-test-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		abort();
	}
	return tmpl;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void lv_test_rmtree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *lv_test_write(const char *dir, const char *name, const char *text)
{
	char *path = lv_path_join(dir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		abort();
	}
	fputs(text, f);
	fclose(f);
	return path;
}

#include "model/profile.h"

struct lv_profile *lv_test_profile_new(const char *kind, size_t n_freqs, const double *freqs_hz,
                                       const double *idle_w, int max_batch, double delay_s,
                                       size_t n_points, const struct lv_test_point *pts)
{
	struct lv_profile *p = lv_xcalloc(1, sizeof(*p));
	snprintf(p->kind, sizeof(p->kind), "%s", kind);
	p->display_name = lv_xstrdup(kind);
	p->gpu = (struct lv_gpu_specs){ .max_mhz = freqs_hz[n_freqs - 1] / 1e6,
		                        .min_mhz = freqs_hz[0] / 1e6,
		                        .cuda_cores = 128,
		                        .mem_bw_gbs = 25.6,
		                        .mem_gb = 4,
		                        .tensor_cores = 0,
		                        .arch = "Test" };
	p->max_batch = max_batch;
	p->instances = 1;
	p->clock_change_delay_s = delay_s;
	p->governor = (struct lv_governor){ .ramp_busy_s = 0.2, .hold_s = 1.0, .descent_s = 0.5 };
	p->n_freqs = n_freqs;
	p->freqs_hz = lv_xmalloc(n_freqs * sizeof(*p->freqs_hz));
	p->idle_power_w = lv_xmalloc(n_freqs * sizeof(*p->idle_power_w));
	for (size_t i = 0; i < n_freqs; i++) {
		p->freqs_hz[i] = (uint64_t)freqs_hz[i];
		p->idle_power_w[i] = idle_w ? idle_w[i] : 1.0;
	}
	p->n_points = n_points;
	p->points = lv_xmalloc((n_points ? n_points : 1) * sizeof(*p->points));
	for (size_t i = 0; i < n_points; i++) {
		p->points[i] = (struct lv_profile_point){ (uint64_t)pts[i].freq_hz, pts[i].batch,
			                                  pts[i].latency_s, pts[i].energy_j,
			                                  pts[i].batch / pts[i].latency_s };
	}
	return p;
}

/*
 * Runs fn(arg) in a child process that has `seconds` to finish; returns the
 * text it returned (caller frees). Fails the test when the child crashes or
 * runs out of time.
 */
char *lv_test_in_child(char *(*fn)(const void *), const void *arg, unsigned seconds)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		alarm(seconds);
		char *msg = fn(arg);
		for (size_t off = 0, len = strlen(msg); off < len;) {
			ssize_t w = write(fds[1], msg + off, len - off);
			if (w <= 0)
				_exit(3);
			off += (size_t)w;
		}
		_exit(0);
	}
	close(fds[1]);
	size_t len = 0, cap = 256;
	char *out = lv_xmalloc(cap);
	ssize_t r;
	while ((r = read(fds[0], out + len, cap - len - 1)) > 0) {
		len += (size_t)r;
		if (cap - len < 2)
			out = lv_xrealloc(out, cap *= 2);
	}
	out[len] = '\0';
	close(fds[0]);
	int st = 0;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("the child %s within %u s (it said '%.200s')",
		         WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM ? "did not finish" : "failed",
		         seconds, out);
	return out;
}
