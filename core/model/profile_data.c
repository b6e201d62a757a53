/*
 * profile_data: the readers behind lv_profile_import for the thesis
 * measurement files — profiling.csv (the measured grid) and gpu-specs.csv —
 * and the import report's buffer. See profile_import.h for the contracts and
 * profile_import.c for what the importer makes of them. The tegrastats logs
 * are read by teglog.c.
 */
#include "profile_import.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/csv.h"
#include "profile.h"
#include "base/file.h"
#include "base/util.h"

/* ---- gpu-specs.csv ---------------------------------------------------- */

static int spec_num(const struct lv_csv *c, const char *name, double *out, char **why)
{
	int col = lv_csv_require(c, name, why);
	if (col < 0)
		return col;
	int rc = lv_csv_double(c, col, out, why);
	if (rc == 0 && !(*out > 0))
		rc = lv_csv_fail(c, col, why, LV_EINVAL, "'%s' is not positive",
		                 lv_csv_field(c, col));
	return rc;
}

static int fill_specs(const struct lv_csv *c, struct lv_gpu_specs *g, char **why)
{
	double cores = 0;
	int rc = spec_num(c, "GPU Max Frequency (MHz)", &g->max_mhz, why);
	if (rc == 0)
		rc = spec_num(c, "GPU Min Frequency (MHz)", &g->min_mhz, why);
	if (rc == 0)
		rc = spec_num(c, "GPU Number of Cores", &cores, why);
	if (rc == 0)
		rc = spec_num(c, "Memory Speed (GB/s)", &g->mem_bw_gbs, why);
	if (rc == 0)
		rc = spec_num(c, "Memory Size (GB)", &g->mem_gb, why);
	if (rc < 0)
		return rc;
	g->cuda_cores = (int)cores;
	int col = lv_csv_require(c, "Tensor Cores", why);
	if (col < 0)
		return col;
	long tensor = 0;
	if (strcmp(lv_csv_field(c, col), "N/A") != 0) {
		rc = lv_csv_long(c, col, &tensor, why);
		if (rc == 0 && (tensor < 0 || tensor > 1000000))
			rc = lv_csv_fail(c, col, why, LV_EINVAL, "must be N/A or 0 to 1000000");
		if (rc < 0)
			return rc;
	}
	g->tensor_cores = (int)tensor;
	col = lv_csv_require(c, "GPU Architecture", why);
	if (col < 0)
		return col;
	const char *arch = lv_csv_field(c, col);
	if (!arch[0] || strlen(arch) >= sizeof(g->arch))
		return lv_csv_fail(c, col, why, LV_EINVAL, "must be 1 to %zu characters",
		                   sizeof(g->arch) - 1);
	memcpy(g->arch, arch, strlen(arch) + 1);
	return LV_OK;
}

int lv_import_specs(const char *data_dir, const char *key, struct lv_gpu_specs *g, char **why)
{
	char *path = lv_path_join(data_dir, "gpu-specs.csv");
	struct lv_csv *c = lv_csv_open(path, why);
	int rc = c ? lv_csv_require(c, "Device", why) : LV_EIO;
	int dev = rc;
	while (rc >= 0 && (rc = lv_csv_next(c, why)) == 1) {
		if (strcmp(lv_csv_field(c, dev), key) == 0)
			break;
	}
	if (rc == 0)
		rc = lv_fail(why, LV_EINVAL, "%s: no row with Device '%s'", path, key);
	else if (rc == 1)
		rc = fill_specs(c, g, why);
	lv_csv_free(c);
	free(path);
	return rc < 0 ? rc : LV_OK;
}

/* ---- profiling.csv ---------------------------------------------------- */

struct grid_row {
	struct lv_profile_point pt;
	size_t line;
};

static int row_cmp(const void *a, const void *b)
{
	const struct grid_row *x = a, *y = b;
	if (x->pt.freq_hz != y->pt.freq_hz)
		return x->pt.freq_hz < y->pt.freq_hz ? -1 : 1;
	if (x->pt.batch != y->pt.batch)
		return x->pt.batch < y->pt.batch ? -1 : 1;
	return (x->line > y->line) - (x->line < y->line);
}

static int positive(const struct lv_csv *c, int col, double *out, char **why)
{
	int rc = lv_csv_double(c, col, out, why);
	if (rc == 0 && !(*out > 0 && *out < 1e300))
		rc = lv_csv_fail(c, col, why, LV_EINVAL, "'%s' is not positive",
		                 lv_csv_field(c, col));
	return rc;
}

/* One row of the grid; cols = Throughput, Energy, Latency, Batch Size, Frequency. */
static int grid_point(const struct lv_csv *c, const int *cols, struct lv_profile_point *pt,
                      char **why)
{
	long batch = 0;
	int rc = positive(c, cols[0], &pt->throughput_fps, why);
	if (rc == 0)
		rc = positive(c, cols[1], &pt->energy_j, why);
	if (rc == 0)
		rc = positive(c, cols[2], &pt->latency_s, why);
	if (rc == 0)
		rc = lv_csv_long(c, cols[3], &batch, why);
	if (rc == 0 && (batch < 1 || batch > 1000000))
		rc = lv_csv_fail(c, cols[3], why, LV_EINVAL, "%ld is not 1 to 1000000", batch);
	if (rc == 0)
		rc = lv_csv_u64(c, cols[4], &pt->freq_hz, why);
	if (rc == 0 && pt->freq_hz == 0)
		rc = lv_csv_fail(c, cols[4], why, LV_EINVAL, "must be positive (Hz)");
	pt->batch = (int)batch;
	return rc;
}

static int read_rows(struct lv_csv *c, const char *key, struct grid_row **rows, size_t *n,
                     char **why)
{
	static const char *const names[] = { "Throughput", "Energy",    "Latency",
		                             "Batch Size", "Frequency", "Directory" };
	int cols[6];
	for (int i = 0; i < 6; i++) {
		cols[i] = lv_csv_require(c, names[i], why);
		if (cols[i] < 0)
			return cols[i];
	}
	size_t cap = 0;
	int rc;
	while ((rc = lv_csv_next(c, why)) == 1) {
		if (strcmp(lv_csv_field(c, cols[5]), key) != 0)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 256;
			*rows = lv_xrealloc(*rows, cap * sizeof(**rows));
		}
		struct grid_row *r = &(*rows)[*n];
		r->line = lv_csv_line(c);
		rc = grid_point(c, cols, &r->pt, why);
		if (rc < 0)
			return rc;
		(*n)++;
	}
	return rc;
}

/* Sorted rows into points and distinct clocks; a repeated pair is an error. */
static int rows_to_profile(const char *path, struct grid_row *rows, size_t n, struct lv_profile *p,
                           char **why)
{
	qsort(rows, n, sizeof(*rows), row_cmp);
	p->points = lv_xcalloc(n, sizeof(*p->points));
	p->freqs_hz = lv_xcalloc(n, sizeof(*p->freqs_hz));
	p->n_points = n;
	for (size_t i = 0; i < n; i++) {
		const struct lv_profile_point *pt = &rows[i].pt;
		if (i > 0 && pt->freq_hz == rows[i - 1].pt.freq_hz &&
		    pt->batch == rows[i - 1].pt.batch)
			return lv_fail(
			    why, LV_EINVAL,
			    "%s:%zu: Frequency %llu, Batch Size %d measured again (first at "
			    "line %zu)",
			    path, rows[i].line, (unsigned long long)pt->freq_hz, pt->batch,
			    rows[i - 1].line);
		p->points[i] = *pt;
		if (p->n_freqs == 0 || p->freqs_hz[p->n_freqs - 1] != pt->freq_hz)
			p->freqs_hz[p->n_freqs++] = pt->freq_hz;
	}
	return LV_OK;
}

int lv_import_grid(const char *data_dir, const char *key, struct lv_profile *p, char **why)
{
	char *path = lv_path_join(data_dir, "profiling.csv");
	struct grid_row *rows = NULL;
	size_t n = 0;
	int rc = LV_EIO;
	struct lv_csv *c = lv_csv_open(path, why);
	if (!c)
		goto out;
	rc = read_rows(c, key, &rows, &n, why);
	if (rc == 0 && n == 0)
		rc = lv_fail(why, LV_EINVAL, "%s: no rows with Directory '%s'", path, key);
	if (rc == 0)
		rc = rows_to_profile(path, rows, n, p, why);
out:
	lv_csv_free(c);
	free(rows);
	free(path);
	return rc;
}

/* ---- the report ---------------------------------------------------- */

void lv_import_report_add(char **rep, const char *fmt, ...)
{
	if (!rep)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	size_t old = *rep ? strlen(*rep) : 0;
	*rep = lv_xrealloc(*rep, old + (size_t)(n > 0 ? n : 0) + 1);
	va_start(ap, fmt);
	vsnprintf(*rep + old, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
	va_end(ap);
}
