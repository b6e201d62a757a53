/*
 * backend: the registry of worker backends and the wrappers every caller
 * goes through (backend.h). The wrappers check optional slots and the
 * clock argument, so each implementation can assume a valid clock. The
 * agent (agents/) and the unit tests are the callers.
 */
#include "backend.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/util.h"

static const struct lv_backend_ops *const registry[] = {
	&lv_backend_jetson_ops,
	&lv_backend_emulated_ops,
	NULL,
};

void lv_backend_config_default(struct lv_backend_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->t0_s = lv_mono_s();
	cfg->tegrastats_interval_s = 0.2;
	cfg->mode = LV_COST_PROF;
	cfg->nvpmodel_timeout_s = 20;
}

const struct lv_backend_ops *lv_backend_find(const char *name)
{
	for (size_t i = 0; registry[i]; i++)
		if (!strcmp(registry[i]->name, name))
			return registry[i];
	return NULL;
}

struct lv_backend *lv_backend_new(const char *name, const struct lv_backend_config *cfg, char **why)
{
	const struct lv_backend_ops *ops = lv_backend_find(name);
	if (!ops) {
		lv_fail(why, LV_ENOENT, "unknown backend '%s' (known: jetson, emulated)", name);
		return NULL;
	}
	struct lv_backend *b = lv_xcalloc(1, sizeof(*b));
	b->ops = ops;
	if (ops->open(b, cfg, why) != 0) {
		free(b->freqs_hz);
		free(b);
		return NULL;
	}
	return b;
}

void lv_backend_free(struct lv_backend *b)
{
	if (!b)
		return;
	b->ops->close(b);
	free(b->freqs_hz);
	free(b);
}

int lv_backend_has(const struct lv_backend *b, unsigned cap)
{
	return (b->ops->caps & cap) == cap;
}

const char *lv_backend_name(const struct lv_backend *b)
{
	return b->ops->name;
}

int lv_backend_is_clock(const struct lv_backend *b, uint64_t hz)
{
	for (size_t i = 0; i < b->n_freqs; i++)
		if (b->freqs_hz[i] == hz)
			return 1;
	return 0;
}

int lv_backend_get_clock(struct lv_backend *b, struct lv_clock_state *out, char **why)
{
	memset(out, 0, sizeof(*out));
	return b->ops->get_clock(b, out, why);
}

/* A pin or boost to hz, through op (NULL: set_clock), once hz is one of the board's clocks. */
static int clock_to(struct lv_backend *b, uint64_t hz,
                    int (*op)(struct lv_backend *, uint64_t, char **), char **why)
{
	if (!lv_backend_is_clock(b, hz))
		return lv_fail(why, LV_EINVAL,
		               "%llu Hz is not an available clock of this %s (GET /gpu/frequencies "
		               "lists them)",
		               (unsigned long long)hz, b->kind);
	return (op ? op : b->ops->set_clock)(b, hz, why);
}

int lv_backend_set_clock(struct lv_backend *b, uint64_t hz, char **why)
{
	return clock_to(b, hz, b->ops->set_clock, why);
}

int lv_backend_boost_clock(struct lv_backend *b, uint64_t hz, char **why)
{
	return clock_to(b, hz, b->ops->boost_clock, why);
}

int lv_backend_release_clock(struct lv_backend *b, char **why)
{
	return b->ops->release_clock(b, why);
}

int lv_backend_telemetry(struct lv_backend *b, struct lv_telemetry *out, char **why)
{
	memset(out, 0, sizeof(*out));
	return b->ops->telemetry(b, out, why);
}

int lv_backend_infer(struct lv_backend *b, int batch, enum lv_wire wire,
                     struct lv_infer_result *out, char **why)
{
	memset(out, 0, sizeof(*out));
	if (!b->ops->infer)
		return lv_fail(why, LV_ESTATE, "the %s backend does not emulate inference",
		               b->ops->name);
	if (batch < 1)
		return lv_fail(why, LV_EINVAL, "batch %d: must be at least 1", batch);
	if ((unsigned)wire >= LV_WIRE_COUNT)
		return lv_fail(why, LV_EINVAL, "wire format %d: unknown", (int)wire);
	return b->ops->infer(b, batch, wire, out, why);
}

int lv_backend_power(struct lv_backend *b, struct lv_power_info *out, char **why)
{
	memset(out, 0, sizeof(*out));
	out->current = -1;
	if (!b->ops->power)
		return lv_fail(why, LV_ENOENT,
		               "the %s backend has no power modes (nvpmodel is a real board's)",
		               b->ops->name);
	return b->ops->power(b, out, why);
}

int lv_backend_set_power_mode(struct lv_backend *b, int id, struct lv_power_change *out, char **why)
{
	*out = (struct lv_power_change){ .from_id = -1 };
	if (!b->ops->set_power_mode)
		return lv_fail(why, LV_ENOENT,
		               "the %s backend has no power modes (nvpmodel is a real board's)",
		               b->ops->name);
	return b->ops->set_power_mode(b, id, out, why);
}

void lv_backend_stop(struct lv_backend *b)
{
	if (b && b->ops->stop)
		b->ops->stop(b);
}
