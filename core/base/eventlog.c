/*
 * eventlog: the bounded event ring. See eventlog.h.
 *
 * Invariant: ring[(head + i) % cap] for i < len holds events with seqs
 * next_seq - len .. next_seq - 1, oldest first.
 */
#include "eventlog.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *const level_names[] = { "debug", "info", "warn", "error" };

const char *lv_log_level_name(enum lv_log_level l)
{
	return (unsigned)l < 4 ? level_names[l] : "?";
}

int lv_log_level_parse(const char *s, enum lv_log_level *out)
{
	for (int l = LV_LOG_DEBUG; l <= LV_LOG_ERROR; l++)
		if (!strcmp(s, level_names[l])) {
			*out = (enum lv_log_level)l;
			return LV_OK;
		}
	return LV_EINVAL;
}

void lv_eventlog_init(struct lv_eventlog *l, size_t cap)
{
	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->mu, NULL);
	l->cap = cap ? cap : 1;
	l->ring = lv_xcalloc(l->cap, sizeof(*l->ring));
	l->next_seq = 1;
}

void lv_eventlog_fini(struct lv_eventlog *l)
{
	pthread_mutex_destroy(&l->mu);
	free(l->ring);
	l->ring = NULL;
}

void lv_eventlog_add(struct lv_eventlog *l, double time_s, enum lv_log_level level,
                     const char *source, const char *fmt, ...)
{
	struct lv_log_entry e;
	e.time_s = time_s;
	e.level = level;
	snprintf(e.source, sizeof(e.source), "%s", source ? source : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e.text, sizeof(e.text), fmt, ap);
	va_end(ap);

	pthread_mutex_lock(&l->mu);
	e.seq = l->next_seq++;
	if (l->len == l->cap) {
		l->ring[l->head] = e;
		l->head = (l->head + 1) % l->cap;
	} else {
		l->ring[(l->head + l->len) % l->cap] = e;
		l->len++;
	}
	pthread_mutex_unlock(&l->mu);
}

size_t lv_eventlog_read(struct lv_eventlog *l, uint64_t after, struct lv_log_entry *out, size_t max)
{
	size_t n = 0;
	pthread_mutex_lock(&l->mu);
	uint64_t oldest = l->next_seq - l->len;
	size_t skip = after >= oldest ? (size_t)(after - oldest + 1) : 0;
	for (size_t i = skip; i < l->len && n < max; i++)
		out[n++] = l->ring[(l->head + i) % l->cap];
	pthread_mutex_unlock(&l->mu);
	return n;
}

uint64_t lv_eventlog_last_seq(struct lv_eventlog *l)
{
	pthread_mutex_lock(&l->mu);
	uint64_t s = l->next_seq - 1;
	pthread_mutex_unlock(&l->mu);
	return s;
}
