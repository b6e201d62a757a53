/*
 * eventlog: a bounded, thread-safe ring of log events (time, level, source,
 * text) that the controller writes and the console's Log view, /status and
 * the headless modes read. Old events fall off the end; every event has a
 * sequence number so a reader can ask for "everything after N" and notice
 * what it missed.
 *
 * Writers never block on readers for longer than a copy under the lock.
 */
#ifndef LV_EVENTLOG_H
#define LV_EVENTLOG_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

enum lv_log_level {
	LV_LOG_DEBUG = 0,
	LV_LOG_INFO = 1,
	LV_LOG_WARN = 2,
	LV_LOG_ERROR = 3,
};

const char *lv_log_level_name(enum lv_log_level l);

/* The level named s ("debug", "info", "warn", "error"): 0, or LV_EINVAL. */
int lv_log_level_parse(const char *s, enum lv_log_level *out);

#define LV_LOG_SOURCE_MAX 24
#define LV_LOG_TEXT_MAX   200

struct lv_log_entry {
	uint64_t seq;  /* 1, 2, 3, ... */
	double time_s; /* the writer's clock (controller seconds) */
	enum lv_log_level level;
	char source[LV_LOG_SOURCE_MAX]; /* "engine", "policy", "nano-00", ... */
	char text[LV_LOG_TEXT_MAX];
};

struct lv_eventlog {
	pthread_mutex_t mu;
	struct lv_log_entry *ring;
	size_t cap, head, len;
	uint64_t next_seq;
};

/* cap >= 1 events are kept. */
void lv_eventlog_init(struct lv_eventlog *l, size_t cap);
void lv_eventlog_fini(struct lv_eventlog *l);

/* Appends an event (text is truncated to fit). Thread-safe. */
void lv_eventlog_add(struct lv_eventlog *l, double time_s, enum lv_log_level level,
                     const char *source, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/*
 * Copies up to `max` events with seq > after, oldest first, into out.
 * Returns how many were copied. Thread-safe.
 */
size_t lv_eventlog_read(struct lv_eventlog *l, uint64_t after, struct lv_log_entry *out,
                        size_t max);

/* The seq of the newest event (0 if none). */
uint64_t lv_eventlog_last_seq(struct lv_eventlog *l);

#endif
