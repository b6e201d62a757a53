/*
 * progress: the progress lines between a child command and the console
 * (see progress.h). The child side keeps one descriptor, taken from the
 * environment once; a line is written with one write(2), so lines from
 * the processes sharing it (an experiment's forked workers) never
 * interleave. A reader that went away costs the writer its descriptor,
 * never a SIGPIPE.
 */
#include "progress.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"

static int progress_fd = -1;
static int opened;

void lv_progress_open(void)
{
	if (opened)
		return;
	opened = 1;
	const char *v = getenv(LV_PROGRESS_ENV);
	long fd;
	if (!v || lv_parse_long(v, &fd) != LV_OK || fd < 3 || fd > 1 << 20) {
		unsetenv(LV_PROGRESS_ENV);
		return;
	}
	unsetenv(LV_PROGRESS_ENV);
	if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) != 0)
		return; /* not open: started by hand with a stale variable */
	progress_fd = (int)fd;
}

static const char *const event_names[] = {
	[LV_PROGRESS_NONE] = "",
	[LV_PROGRESS_RUN] = "run",
	[LV_PROGRESS_PIN] = "pin",
	[LV_PROGRESS_WINDOW] = "window",
};
#define N_EVENTS (sizeof(event_names) / sizeof(event_names[0]))

static char *to_json(const struct lv_progress *p)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "event", event_names[p->event]);
	switch (p->event) {
	case LV_PROGRESS_RUN:
		cJSON_AddNumberToObject(o, "pass", p->pass);
		cJSON_AddNumberToObject(o, "passes", p->passes);
		cJSON_AddNumberToObject(o, "done", (double)p->done);
		cJSON_AddNumberToObject(o, "total", (double)p->total);
		cJSON_AddStringToObject(o, "policy", p->policy);
		cJSON_AddStringToObject(o, "trace", p->trace);
		break;
	case LV_PROGRESS_PIN: cJSON_AddNumberToObject(o, "freq_hz", (double)p->freq_hz); break;
	case LV_PROGRESS_WINDOW:
		cJSON_AddNumberToObject(o, "freq_hz", (double)p->freq_hz);
		cJSON_AddNumberToObject(o, "batch", p->batch);
		cJSON_AddNumberToObject(o, "window", p->window);
		break;
	case LV_PROGRESS_NONE: break;
	}
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	char *line = lv_xasprintf("%s\n", text);
	free(text);
	return line;
}

/* One write with SIGPIPE held back: a parent gone closes our end instead of killing us. */
static void write_line(const char *line)
{
	sigset_t pipe_set, old;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	ssize_t n = write(progress_fd, line, strlen(line));
	if (n < 0 && errno == EPIPE) {
		struct timespec zero = { 0, 0 };
		sigtimedwait(&pipe_set, NULL, &zero); /* the SIGPIPE this write raised */
		close(progress_fd);
		progress_fd = -1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void lv_progress_send(const struct lv_progress *p)
{
	lv_progress_open();
	if (progress_fd < 0 || p->event == LV_PROGRESS_NONE || (size_t)p->event >= N_EVENTS)
		return;
	char *line = to_json(p);
	write_line(line);
	free(line);
}

void lv_progress_send_run(int pass, int passes, size_t done, size_t total, const char *policy,
                          const char *trace)
{
	struct lv_progress p = { .event = LV_PROGRESS_RUN,
		                 .pass = pass,
		                 .passes = passes,
		                 .done = done,
		                 .total = total };
	snprintf(p.policy, sizeof(p.policy), "%s", policy);
	snprintf(p.trace, sizeof(p.trace), "%s", trace);
	lv_progress_send(&p);
}

void lv_progress_send_pin(uint64_t freq_hz)
{
	struct lv_progress p = { .event = LV_PROGRESS_PIN, .freq_hz = freq_hz };
	lv_progress_send(&p);
}

void lv_progress_send_window(uint64_t freq_hz, int batch, int window)
{
	struct lv_progress p = {
		.event = LV_PROGRESS_WINDOW, .freq_hz = freq_hz, .batch = batch, .window = window
	};
	lv_progress_send(&p);
}

/* A whole-number field in [0, max], or 0 when it is missing, not a number or out of range. */
static double count(const cJSON *o, const char *key, double max)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	double d = cJSON_IsNumber(v) ? v->valuedouble : 0;
	return d >= 0 && d <= max ? d : 0;
}

static void str(const cJSON *o, const char *key, char *dst, size_t len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	snprintf(dst, len, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

int lv_progress_parse(const char *line, struct lv_progress *out)
{
	memset(out, 0, sizeof(*out));
	cJSON *o = cJSON_Parse(line);
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "event");
	for (size_t i = 1; i < N_EVENTS && cJSON_IsString(ev); i++)
		if (!strcmp(ev->valuestring, event_names[i]))
			out->event = (enum lv_progress_event)i;
	if (out->event == LV_PROGRESS_NONE) {
		cJSON_Delete(o);
		return LV_EINVAL;
	}
	out->pass = (int)count(o, "pass", INT_MAX);
	out->passes = (int)count(o, "passes", INT_MAX);
	out->done = (size_t)count(o, "done", 1e15);
	out->total = (size_t)count(o, "total", 1e15);
	str(o, "policy", out->policy, sizeof(out->policy));
	str(o, "trace", out->trace, sizeof(out->trace));
	out->freq_hz = (uint64_t)count(o, "freq_hz", 1e15);
	out->batch = (int)count(o, "batch", INT_MAX);
	out->window = (int)count(o, "window", INT_MAX);
	cJSON_Delete(o);
	return LV_OK;
}
