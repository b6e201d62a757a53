/*
 * trace_gen: the seeded camera generator (the thesis's camera model). The
 * model, its parameters and the choices made where the thesis is silent are
 * documented at struct lv_trace_gen_params in trace.h; this file follows it
 * step by step: draw each camera, merge its windows, emit its periodic
 * requests, sort, apply the rate cap, then assign budgets.
 *
 * Invariants of the result: times in [0, duration), ms multiples, sorted by
 * (time, camera); a camera's requests at least its period apart; frames >= 1;
 * with a cap, every 1 s window's frames <= floor(cap). All randomness comes
 * from lv_rng, one stream per camera, so output depends only on the params.
 * Called by `loudva trace gen`, the simulator and tests.
 */
#include "trace.h"

#include <math.h>
#include <stdlib.h>

#include "budget.h"
#include "base/rng.h"
#include "base/util.h"

static const int fps_choices[] = { 10, 15, 30 };
static const double period_choices_s[] = { 0.5, 1, 3, 5, 10 };

#define P_MIN        0.51 /* fraction of frames the motion filter drops */
#define P_MAX        0.97
#define BUDGET_MAX_S 21

/* A request while generating: `u` is its budget draw, used once frames are final. */
struct gen_req {
	struct lv_request r;
	double u;
};

struct gen_buf {
	size_t n, cap;
	struct gen_req *v;
};

struct span {
	double a_s, b_s; /* active in [a_s, b_s) */
};

void lv_trace_gen_defaults(struct lv_trace_gen_params *p)
{
	p->cameras = 2;
	p->seed = 1;
	p->duration_s = 300;
	p->windows = 5;
	p->min_active_s = 5;
	p->max_active_s = 200;
	p->last_entry_s = 200;
	p->rate_cap_fps = 0;
	p->budget_s = 0;
}

static int bad_number(double x, double lo, char **why, const char *name)
{
	if (!isfinite(x) || x < lo)
		return lv_fail(why, LV_EINVAL, "%s: %g is not a number >= %g", name, x, lo);
	return LV_OK;
}

int lv_trace_gen_check(const struct lv_trace_gen_params *p, char **why)
{
	if (p->cameras < 1 || p->cameras > LV_TRACE_GEN_MAX_CAMERAS)
		return lv_fail(why, LV_EINVAL, "cameras: %d is not in 1..%d", p->cameras,
		               LV_TRACE_GEN_MAX_CAMERAS);
	if (p->windows < 1 || p->windows > LV_TRACE_GEN_MAX_WINDOWS)
		return lv_fail(why, LV_EINVAL, "windows: %d is not in 1..%d", p->windows,
		               LV_TRACE_GEN_MAX_WINDOWS);
	if (!isfinite(p->duration_s) || p->duration_s <= 0)
		return lv_fail(why, LV_EINVAL, "duration: %g is not a number > 0", p->duration_s);
	if (bad_number(p->min_active_s, 0, why, "min-active") ||
	    bad_number(p->max_active_s, p->min_active_s, why, "max-active") ||
	    bad_number(p->last_entry_s, 0, why, "last-entry") ||
	    bad_number(p->budget_s, 0, why, "budget") ||
	    bad_number(p->rate_cap_fps, 0, why, "rate-cap"))
		return LV_EINVAL;
	if (p->budget_s > LV_BUDGET_CEILING_S) /* a trace that would not load again */
		return lv_fail(why, LV_EINVAL, "budget: %g s is over the maximum budget of %g s",
		               p->budget_s, LV_BUDGET_CEILING_S);
	/* Worst case, every camera sends twice a second for the whole duration. */
	if (2.0 * p->cameras * p->duration_s > LV_TRACE_GEN_MAX_REQUESTS)
		return lv_fail(why, LV_EINVAL,
		               "cameras x duration: %d cameras for %g s could send %.0f requests, "
		               "more than %d",
		               p->cameras, p->duration_s, 2.0 * p->cameras * p->duration_s,
		               LV_TRACE_GEN_MAX_REQUESTS);
	if (p->rate_cap_fps > 0 && floor(p->rate_cap_fps) < 2.0 * p->cameras)
		return lv_fail(
		    why, LV_EINVAL,
		    "rate-cap: %g is below %d (2 requests a second from each of %d cameras, "
		    "1 frame each)",
		    p->rate_cap_fps, 2 * p->cameras, p->cameras);
	return LV_OK;
}

static double round_ms(double t_s)
{
	return round(t_s * 1000.0) / 1000.0;
}

static void draw_camera(struct lv_rng *r, const struct lv_trace_gen_params *p,
                        struct lv_trace_gen_camera *cam)
{
	cam->fps = fps_choices[lv_rng_below(r, 3)];
	cam->period_s = period_choices_s[lv_rng_below(r, 5)];
	cam->n_windows = 1 + (size_t)lv_rng_below(r, (uint64_t)p->windows);
	cam->start_s = lv_xcalloc(cam->n_windows, sizeof *cam->start_s);
	cam->length_s = lv_xcalloc(cam->n_windows, sizeof *cam->length_s);
	for (size_t i = 0; i < cam->n_windows; i++) {
		/* Inclusive upper ends: rounding to 1 ms can reach them. */
		cam->start_s[i] = round_ms(lv_rng_range(r, 0, p->last_entry_s));
		cam->length_s[i] = round_ms(lv_rng_range(r, p->min_active_s, p->max_active_s));
	}
}

static int cmp_span(const void *x, const void *y)
{
	const struct span *a = x, *b = y;
	if (a->a_s != b->a_s)
		return a->a_s < b->a_s ? -1 : 1;
	return (a->b_s > b->b_s) - (a->b_s < b->b_s);
}

/* Clips the camera's windows to [0, duration), sorts and merges them into
 * `out` (room for n_windows); returns how many spans remain. */
static size_t merge_windows(const struct lv_trace_gen_camera *cam, double duration_s,
                            struct span *out)
{
	size_t n = 0;
	for (size_t i = 0; i < cam->n_windows; i++) {
		double a = cam->start_s[i], b = fmin(a + cam->length_s[i], duration_s);
		if (a < b)
			out[n++] = (struct span){ a, b };
	}
	if (n == 0)
		return 0;
	qsort(out, n, sizeof *out, cmp_span);
	size_t m = 0;
	for (size_t i = 1; i < n; i++) {
		if (out[i].a_s <= out[m].b_s)
			out[m].b_s = fmax(out[m].b_s, out[i].b_s);
		else
			out[++m] = out[i];
	}
	return m + 1;
}

static void push(struct gen_buf *buf, const struct gen_req *g)
{
	if (buf->n == buf->cap) {
		buf->cap = buf->cap ? 2 * buf->cap : 256;
		buf->v = lv_xrealloc(buf->v, buf->cap * sizeof *buf->v);
	}
	buf->v[buf->n++] = *g;
}

static void emit_camera(struct lv_rng *r, const struct lv_trace_gen_params *p,
                        const struct lv_trace_gen_camera *cam, int index, struct gen_buf *buf)
{
	struct span *spans = lv_xcalloc(cam->n_windows, sizeof *spans);
	size_t n = merge_windows(cam, p->duration_s, spans);
	double last_s = -INFINITY;
	double full = cam->fps * cam->period_s; /* frames the camera sees per period */

	for (size_t i = 0; i < n; i++) {
		double a0 = fmax(spans[i].a_s, last_s + cam->period_s);
		for (unsigned k = 0;; k++) {
			double t = round_ms(a0 + k * cam->period_s);
			if (t >= spans[i].b_s)
				break;
			double drop = lv_rng_range(r, P_MIN, P_MAX);
			double frames = floor(full * (1.0 - drop));
			struct gen_req g = {
				.r = { .time_s = t,
				       .frames = frames < 1 ? 1 : (uint32_t)frames,
				       .camera = index,
				       .throughput = NAN,
				       .budget_s = NAN },
				.u = lv_rng_uniform(r),
			};
			push(buf, &g);
			last_s = t;
		}
	}
	free(spans);
}

static int cmp_gen_req(const void *x, const void *y)
{
	const struct lv_request *a = &((const struct gen_req *)x)->r;
	const struct lv_request *b = &((const struct gen_req *)y)->r;
	if (a->time_s != b->time_s)
		return a->time_s < b->time_s ? -1 : 1;
	return (a->camera > b->camera) - (a->camera < b->camera);
}

/* Scales the requests v[0..n) (one 1 s window) so their frames total <= cap. */
static void cap_window(struct gen_req *v, size_t n, uint64_t cap)
{
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += v[i].r.frames;
	if (total <= cap)
		return;
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t f = (uint64_t)v[i].r.frames * cap / total;
		v[i].r.frames = f < 1 ? 1 : (uint32_t)f;
		sum += v[i].r.frames;
	}
	/* Only the raises to 1 can overshoot; n <= cap (checked) so this ends. */
	while (sum > cap) {
		size_t big = 0;
		for (size_t i = 1; i < n; i++)
			if (v[i].r.frames > v[big].r.frames)
				big = i;
		if (v[big].r.frames <= 1)
			break;
		v[big].r.frames--;
		sum--;
	}
}

static void apply_cap(struct gen_buf *buf, double cap_fps)
{
	uint64_t cap = (uint64_t)floor(cap_fps);
	size_t i = 0;
	while (i < buf->n) {
		double k = floor(buf->v[i].r.time_s);
		size_t j = i + 1;
		while (j < buf->n && floor(buf->v[j].r.time_s) == k)
			j++;
		cap_window(buf->v + i, j - i, cap);
		i = j;
	}
}

static double draw_budget(uint32_t frames, double u)
{
	/* ceil(min(max(0.9 f, 1), 13.5)) in integers: ceil(0.9 f) = (9 f + 9) / 10. */
	uint64_t lo = ((uint64_t)frames * 9 + 9) / 10;
	if (lo < 1)
		lo = 1;
	if (lo > 14)
		lo = 14;
	uint64_t span = BUDGET_MAX_S - lo + 1;
	uint64_t k = (uint64_t)floor(u * (double)span);
	if (k >= span)
		k = span - 1;
	return (double)(lo + k);
}

void lv_trace_gen_cameras_free(struct lv_trace_gen_camera *cams, int n)
{
	if (!cams)
		return;
	for (int i = 0; i < n; i++) {
		free(cams[i].start_s);
		free(cams[i].length_s);
	}
	free(cams);
}

static uint64_t camera_seed(uint64_t seed, int camera)
{
	uint64_t x = seed ^ ((uint64_t)camera * 0xd1b54a32d192ed03ULL);
	return lv_rng_splitmix(&x);
}

struct lv_trace *lv_trace_generate(const struct lv_trace_gen_params *p,
                                   struct lv_trace_gen_camera **cams_out, char **why)
{
	struct lv_trace *t = NULL;
	struct lv_trace_gen_camera *cams = NULL;
	struct gen_buf buf = { 0 };

	if (lv_trace_gen_check(p, why) != LV_OK)
		goto out;
	cams = lv_xcalloc((size_t)p->cameras, sizeof *cams);
	for (int c = 0; c < p->cameras; c++) {
		struct lv_rng r;
		lv_rng_seed(&r, camera_seed(p->seed, c));
		draw_camera(&r, p, &cams[c]);
		emit_camera(&r, p, &cams[c], c, &buf);
	}
	if (buf.n == 0) {
		lv_fail(why, LV_EINVAL,
		        "no camera is ever active: every window starts at or after the duration "
		        "(%g s)",
		        p->duration_s);
		goto out;
	}
	qsort(buf.v, buf.n, sizeof *buf.v, cmp_gen_req);
	if (p->rate_cap_fps > 0)
		apply_cap(&buf, p->rate_cap_fps);

	t = lv_xcalloc(1, sizeof *t);
	t->n = buf.n;
	t->reqs = lv_xcalloc(buf.n, sizeof *t->reqs);
	for (size_t i = 0; i < buf.n; i++) {
		t->reqs[i] = buf.v[i].r;
		t->reqs[i].budget_s =
		    p->budget_s > 0 ? p->budget_s : draw_budget(buf.v[i].r.frames, buf.v[i].u);
	}
	if (cams_out) {
		*cams_out = cams;
		cams = NULL;
	}
out:
	lv_trace_gen_cameras_free(cams, p->cameras);
	free(buf.v);
	return t;
}
