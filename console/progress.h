/*
 * progress: how a command the console runs as a child (`loudva --batch`,
 * `loudva profile run`; child.h) tells it how far it has got — one JSON
 * object per line on a descriptor of its own, never text scraped from
 * stderr, which stays for human messages:
 *
 *   {"event": "run", "pass": 1, "passes": 2, "done": 3, "total": 8,
 *    "policy": "loud(pred)", "trace": "gen-2cam#1"}
 *   {"event": "pin", "freq_hz": 768000000}
 *   {"event": "window", "freq_hz": 768000000, "batch": 2, "window": 3}
 *
 * The parent creates a pipe and names its write end in the child's
 * environment (LOUDVA_PROGRESS_FD); a program started any other way has no
 * such descriptor and lv_progress_send does nothing. Both sides use this
 * file, so the writer and the reader cannot disagree on a key.
 */
#ifndef LV_PROGRESS_H
#define LV_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#define LV_PROGRESS_ENV "LOUDVA_PROGRESS_FD"

enum lv_progress_event {
	LV_PROGRESS_NONE = 0,
	LV_PROGRESS_RUN,    /* an experiment's run finished */
	LV_PROGRESS_PIN,    /* a sweep pinned a clock */
	LV_PROGRESS_WINDOW, /* a sweep is measuring a window of a point */
};

struct lv_progress {
	enum lv_progress_event event;
	int pass, passes;   /* run: which pass of how many (from 1) */
	size_t done, total; /* run: runs finished, of the pass's total */
	char policy[64];    /* run: the run's policy label */
	char trace[64];     /* run: its trace instance */
	uint64_t freq_hz;   /* pin, window: the clock */
	int batch, window;  /* window: the batch size, the window (from 1) */
};

/*
 * Child side. Takes the descriptor the parent named, if any: marks it
 * close-on-exec and removes the variable, so the programs this one starts
 * (agents, ...) neither inherit it nor write to it. Called by the first
 * lv_progress_send; call it earlier before starting other programs.
 */
void lv_progress_open(void);

/* Child side: writes p as one JSON line to the parent, if there is one. Never blocks long (a
 * pipe write of a short line) and never fails the caller: a parent gone is ignored. */
void lv_progress_send(const struct lv_progress *p);

/* Child side: lv_progress_send of one event each. */
void lv_progress_send_run(int pass, int passes, size_t done, size_t total, const char *policy,
                          const char *trace);
void lv_progress_send_pin(uint64_t freq_hz);
void lv_progress_send_window(uint64_t freq_hz, int batch, int window);

/* Parent side: parses one line. LV_OK, or LV_EINVAL for a line that is not a known event. */
int lv_progress_parse(const char *line, struct lv_progress *out);

#endif
