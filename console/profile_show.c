/*
 * profile_show: `loudva profile show FILE|KIND` — one profile as an operator
 * reads it before trusting it to the scheduler:
 *   - the device and its clocks with idle power;
 *   - latency and energy per frame tables (batch 1..max batch × clock);
 *   - a heatmap of energy per frame over (clock, batch): rows are clocks,
 *     highest first, columns batch sizes up to the max batch; on a colour
 *     terminal each cell is a coloured block (the value printed in it when
 *     the terminal is wide enough), elsewhere one glyph per level (heat.h),
 *     with the least energy per frame marked '*';
 *   - the Pareto front of batch latency against energy per frame;
 *   - where the cost predictor (the one the scheduler uses in pred mode,
 *     trained on the profiles of --dir and cached) differs most from what
 *     was measured. A freshly measured device not yet in --dir is the case
 *     that matters: its errors are what the scheduler would have believed
 *     without the sweep. A profile of --dir itself is in the training set,
 *     and the table says so.
 */
#include "profile_run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "commands.h"
#include "heat.h"
#include "model/predictor.h"
#include "model/profile.h"
#include "base/util.h"

#define DIFF_ROWS 8

/* The clock-change delay's distribution and the default governor's timings. */
static void show_twin(const struct lv_profile *p)
{
	size_t n = p->n_cc_shape;
	double mean = p->clock_change_delay_s;
	printf("clock change: mean %.3f s", mean);
	if (n >= 2)
		printf(" (least %.3f, median %.3f, most %.3f)", mean * p->cc_shape[0],
		       mean * lv_profile_cc_quantile(p->cc_shape, n, 0.5),
		       mean * p->cc_shape[n - 1]);
	const struct lv_governor *g = &p->governor;
	printf("\ngovernor: %.3g s of GPU work to the top clock, holds %.3g s of idle, then %.3g s "
	       "down to %.6g MHz\n",
	       g->ramp_busy_s, g->hold_s, g->descent_s,
	       (double)(g->floor_hz ? g->floor_hz : p->freqs_hz[0]) / 1e6);
	for (int w = LV_WIRE_UINT8; w < LV_WIRE_COUNT; w++) {
		double l = 0, e = 0;
		int measured = 0;
		lv_profile_preprocess(p, (enum lv_wire)w, &l, &e, &measured);
		printf("preprocessing on the device, %s: %.2f ms and %.4f J per frame (%s)\n",
		       lv_wire_name((enum lv_wire)w), l * 1e3, e,
		       measured ? "measured by loudva profile run" : "estimate, not measured");
	}
}

static void show_head(const struct lv_profile *p)
{
	const struct lv_gpu_specs *g = &p->gpu;
	int lo = 0, hi = 0;
	for (size_t i = 0; i < p->n_points; i++) {
		int b = p->points[i].batch;
		lo = i == 0 || b < lo ? b : lo;
		hi = b > hi ? b : hi;
	}
	printf("%s: %s\n", p->kind, p->display_name);
	printf("GPU: %s, %d CUDA cores, %d tensor cores, %g GB/s, %g GB, %g to %g MHz\n", g->arch,
	       g->cuda_cores, g->tensor_cores, g->mem_bw_gbs, g->mem_gb, g->min_mhz, g->max_mhz);
	printf("max batch %d, %d instance%s\n", p->max_batch, p->instances,
	       p->instances == 1 ? "" : "s");
	show_twin(p);
	if (p->n_points == 0)
		printf(
		    "not measured yet: known by its specs only, so no command schedules, emulates "
		    "or simulates it;\nmeasure it on the board with loudva profile run --cluster "
		    "FILE --device NAME --out profiles/%s.json\n",
		    p->kind);
	else
		printf("%zu measured points at %zu clocks, batch %d to %d\n", p->n_points,
		       p->n_freqs, lo, hi);
	if (p->source)
		printf("source: %s\n", p->source);
	printf("\n  clock MHz   idle W\n");
	for (size_t i = 0; i < p->n_freqs; i++)
		printf("  %9.6g  %7.3f\n", (double)p->freqs_hz[i] / 1e6, p->idle_power_w[i]);
}

/* Rows batch 1..max_batch, a column per clock; energy tables give J per frame. */
static void show_table(const struct lv_profile *p, const char *title, int energy)
{
	printf("\n%s\nbatch", title);
	for (size_t i = 0; i < p->n_freqs; i++)
		printf(" %8.6g", (double)p->freqs_hz[i] / 1e6);
	printf("\n");
	for (int b = 1; b <= p->max_batch; b++) {
		printf("%5d", b);
		for (size_t i = 0; i < p->n_freqs; i++) {
			const struct lv_profile_point *pt = lv_profile_find(p, p->freqs_hz[i], b);
			if (!pt)
				printf(" %8s", "-");
			else if (energy)
				printf(" %8.3f", pt->energy_j / b);
			else
				printf(" %8.1f", pt->latency_s * 1e3);
		}
		printf("\n");
	}
}

static int term_columns(void)
{
	struct winsize ws;
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	const char *c = getenv("COLUMNS");
	long n = 0;
	if (c && lv_parse_long(c, &n) == 0 && n >= 20 && n <= 1000)
		return (int)n;
	return 80;
}

static double epf_at(const struct lv_profile *p, size_t fi, int b)
{
	const struct lv_profile_point *pt = lv_profile_find(p, p->freqs_hz[fi], b);
	return pt ? pt->energy_j / b : NAN;
}

/*
 * The heatmap. Cells are `w` characters wide, w chosen so batch 1..max
 * batch fits the terminal (1 to 6); with colour and w = 6 the value is
 * printed in the cell.
 */
static void show_heatmap(const struct lv_profile *p, int color)
{
	int nb = p->max_batch;
	double *v = lv_xcalloc(p->n_freqs * (size_t)nb + 1, sizeof(double));
	size_t best = SIZE_MAX;
	for (size_t fi = 0; fi < p->n_freqs; fi++)
		for (int b = 1; b <= nb; b++) {
			size_t k = fi * (size_t)nb + (size_t)(b - 1);
			v[k] = epf_at(p, fi, b);
			if (isfinite(v[k]) && (best == SIZE_MAX || v[k] < v[best]))
				best = k;
		}
	struct lv_heat_scale sc;
	lv_heat_fit(&sc, v, p->n_freqs * (size_t)nb);
	const int label = 10; /* "  1377 MHz" */
	int w = (term_columns() - label - 1) / nb;
	w = w < 1 ? 1 : w > 6 ? 6 : w;
	if (!color && w > 3)
		w = 3;
	printf("\nheatmap: energy per frame over clock (rows) and batch (columns), %s scale\n",
	       sc.log ? "log" : "linear");
	/* Batch numbers: every column when they fit, else every 8th. */
	printf("%*s ", label, "batch");
	for (int b = 1; b <= nb; b++) {
		if (w >= 3)
			printf("%*d", w, b);
		else if (b == 1 || b % 8 == 0) {
			int digits = b < 10 ? 1 : b < 100 ? 2 : 3;
			printf("%-*d", digits, b);
			b += digits - 1; /* the digits took those columns */
		} else
			printf(" ");
	}
	printf("\n");
	for (size_t r = p->n_freqs; r-- > 0;) {
		printf("%5.0f MHz  ", (double)p->freqs_hz[r] / 1e6);
		int shade = -2; /* the background in effect: -2 none */
		for (int b = 1; b <= nb; b++) {
			size_t k = r * (size_t)nb + (size_t)(b - 1);
			int lvl = lv_heat_level(&sc, v[k]), is_best = k == best;
			if (color) {
				if (lvl != shade)
					printf(lvl < 0 ? "\033[0m" : "\033[48;5;%d;38;5;16m",
					       lv_heat_color256(lvl));
				shade = lvl;
				if (lvl >= 0 && w >= 6)
					printf("%5.3f%c", v[k], is_best ? '*' : ' ');
				else
					printf("%-*s", w, is_best ? "*" : "");
				continue;
			}
			/* Without colour: the level's glyph, the best cell ending in '*'. */
			for (int i = 0; i < w; i++)
				putchar(lvl < 0                 ? ' '
				        : is_best && i == w - 1 ? '*'
				                                : lv_heat_glyph(lvl));
		}
		printf("%s\n", color && shade >= 0 ? "\033[0m" : "");
	}
	/* The legend: each level's lower edge. */
	printf("%*s  ", label, "J/frame");
	for (int l = 0; l < LV_HEAT_LEVELS; l++) {
		if (color)
			printf("\033[48;5;%d;38;5;16m %.3g \033[0m", lv_heat_color256(l),
			       lv_heat_edge(&sc, l));
		else
			printf("%c %.3g  ", lv_heat_glyph(l), lv_heat_edge(&sc, l));
	}
	printf("\n");
	if (best != SIZE_MAX)
		printf("%*s  * least energy per frame: %.4f J at %.6g MHz, batch %zu%s\n", label,
		       "", v[best], (double)p->freqs_hz[best / (size_t)nb] / 1e6,
		       best % (size_t)nb + 1, color ? "" : "; blank: not measured");
	free(v);
}

static int by_latency(const void *a, const void *b)
{
	const struct lv_profile_point *x = *(const struct lv_profile_point *const *)a;
	const struct lv_profile_point *y = *(const struct lv_profile_point *const *)b;
	if (x->latency_s != y->latency_s)
		return x->latency_s < y->latency_s ? -1 : 1;
	return (x->energy_j / x->batch > y->energy_j / y->batch) -
	       (x->energy_j / x->batch < y->energy_j / y->batch);
}

/*
 * The Pareto front of batch latency against energy per frame over the points
 * the cluster can dispatch (batch <= max batch): by ascending latency, a point
 * stays when it spends less per frame than every faster one.
 */
static void show_pareto(const struct lv_profile *p)
{
	const struct lv_profile_point **v = lv_xcalloc(p->n_points + 1, sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < p->n_points; i++)
		if (p->points[i].batch <= p->max_batch)
			v[n++] = &p->points[i];
	qsort(v, n, sizeof(*v), by_latency);
	printf("\nPareto front, latency vs energy per frame (batch <= %d)\n", p->max_batch);
	printf("  clock MHz  batch  latency ms  J/frame\n");
	double best = 0;
	for (size_t i = 0; i < n; i++) {
		double epf = v[i]->energy_j / v[i]->batch;
		if (i > 0 && epf >= best)
			continue;
		best = epf;
		printf("  %9.6g  %5d  %10.1f  %7.3f\n", (double)v[i]->freq_hz / 1e6, v[i]->batch,
		       v[i]->latency_s * 1e3, epf);
	}
	free(v);
}

struct diff {
	const struct lv_profile_point *pt;
	double lat_s, energy_j;            /* predicted */
	double lat_err, energy_err, worst; /* relative, signed; worst = max |.| */
};

static int by_worst(const void *a, const void *b)
{
	const struct diff *x = a, *y = b;
	return (x->worst < y->worst) - (x->worst > y->worst);
}

/*
 * Measured against predicted over the dispatchable points. Returns an exit
 * status; a predictor that cannot be had is reported and not fatal.
 */
static void show_predicted(const struct lv_profile *p, const char *dir)
{
	struct lv_profile *ps[LV_PROFILE_N_KINDS] = { NULL };
	char *why = NULL;
	int in_sample = 0;
	struct lv_predictor *pr = NULL;
	if (lv_profile_load_kinds(dir, ps, &why) == LV_OK) {
		/* In the training set: the same bytes as its kind's profile there. */
		char *mine = lv_profile_to_json(p);
		for (size_t k = 0; k < LV_PROFILE_N_KINDS; k++)
			if (!strcmp(ps[k]->kind, p->kind)) {
				char *theirs = lv_profile_to_json(ps[k]);
				in_sample = !strcmp(mine, theirs);
				free(theirs);
			}
		free(mine);
		/* The scheduler's cache is the one for the default directory only. */
		char *def = lv_cmd_data(LV_DEFAULT_PROFILES_DIR);
		char *cache = !strcmp(dir, def) ? lv_cmd_predictor_cache(NULL) : NULL;
		pr = lv_predictor_obtain((const struct lv_profile *const *)ps, LV_PROFILE_N_KINDS,
		                         cache, &why);
		free(def);
		free(cache);
	}
	printf("\nmeasured vs predicted (the cost predictor trained on %s/*.json%s)\n", dir,
	       in_sample ? "; this profile is one of them: these are training errors" : "");
	if (!pr) {
		printf("  no predictor: %s\n", why ? why : "unknown error");
		goto out;
	}
	struct diff *d = lv_xcalloc(p->n_points + 1, sizeof(*d));
	size_t n = 0;
	double sum_l = 0, sum_e = 0;
	for (size_t i = 0; i < p->n_points; i++) {
		const struct lv_profile_point *pt = &p->points[i];
		if (pt->batch > p->max_batch)
			continue;
		struct diff *x = &d[n];
		if (lv_predictor_predict(pr, &p->gpu, pt->freq_hz, pt->batch, &x->lat_s,
		                         &x->energy_j) != LV_OK)
			continue;
		x->pt = pt;
		x->lat_err = x->lat_s / pt->latency_s - 1;
		x->energy_err = x->energy_j / pt->energy_j - 1;
		x->worst = fmax(fabs(x->lat_err), fabs(x->energy_err));
		sum_l += fabs(x->lat_err);
		sum_e += fabs(x->energy_err);
		n++;
	}
	if (n == 0) {
		printf("  no dispatchable point to compare\n");
		free(d);
		goto out;
	}
	qsort(d, n, sizeof(*d), by_worst);
	printf("  over %zu points: latency mean abs error %.1f%%, energy %.1f%%; the %d worst:\n",
	       n, 100 * sum_l / (double)n, 100 * sum_e / (double)n,
	       n < DIFF_ROWS ? (int)n : DIFF_ROWS);
	printf("  clock MHz  batch  latency ms (pred)    err  J/frame (pred)    err\n");
	for (size_t i = 0; i < n && i < DIFF_ROWS; i++) {
		const struct diff *x = &d[i];
		int b = x->pt->batch;
		printf("  %9.6g  %5d  %8.1f (%8.1f) %+5.1f%%  %7.4f (%7.4f) %+5.1f%%\n",
		       (double)x->pt->freq_hz / 1e6, b, x->pt->latency_s * 1e3, x->lat_s * 1e3,
		       100 * x->lat_err, x->pt->energy_j / b, x->energy_j / b, 100 * x->energy_err);
	}
	free(d);
out:
	lv_predictor_free(pr);
	for (size_t k = 0; k < LV_PROFILE_N_KINDS; k++)
		lv_profile_free(ps[k]);
	free(why);
}

int lv_profile_show(const char *target, const char *dir, int color, int predict)
{
	size_t n = strlen(target);
	int is_file = strchr(target, '/') || (n > 5 && !strcmp(target + n - 5, ".json"));
	char *why = NULL;
	struct lv_profile *p =
	    is_file ? lv_profile_load(target, &why) : lv_profile_load_kind(dir, target, &why);
	if (!p) {
		fprintf(stderr, "loudva profile: %s\n", why ? why : target);
		free(why);
		return LV_EXIT_USAGE;
	}
	if (color < 0) {
		const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
		color = isatty(STDOUT_FILENO) && !(nc && *nc) && term && strcmp(term, "dumb");
	}
	show_head(p);
	if (p->n_points == 0) { /* spec-only: the head said so; nothing to tabulate */
		lv_profile_free(p);
		return LV_EXIT_OK;
	}
	show_table(p, "latency per batch, ms (rows: batch; columns: clock, MHz)", 0);
	show_table(p, "energy per frame, J (rows: batch; columns: clock, MHz)", 1);
	show_heatmap(p, color);
	show_pareto(p);
	if (predict)
		show_predicted(p, dir);
	lv_profile_free(p);
	return LV_EXIT_OK;
}
