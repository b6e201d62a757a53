/*
 * child: a command the console runs in the background — an experiment
 * (`loudva --batch`, exprun.c) or a profiling sweep (`loudva profile run`,
 * profrun.c) — the very command an operator would type, so a crash there
 * cannot take the console down and the dashboard stays live.
 *
 * The child runs in its own process group (a cancel reaches it and its own
 * children together, and nothing else) and gets SIGTERM when the console
 * dies (PR_SET_PDEATHSIG), so a crashed console leaves nothing running. Its
 * stdin and stdout are /dev/null. Two non-blocking pipes come back, each
 * read a line at a time without ever blocking the loop: its stderr, for
 * human messages, and a descriptor named in its environment on which it
 * reports its progress as JSON lines (progress.h).
 */
#ifndef LV_CHILD_H
#define LV_CHILD_H

#include <stddef.h>
#include <sys/types.h>

#include "progress.h"

/* The read end of one of the child's pipes and the partial line read from it. */
struct lv_child_pipe {
	int fd; /* -1: none */
	char buf[1024];
	size_t len;
};

struct lv_child {
	pid_t pid;                     /* -1: none */
	struct lv_child_pipe err;      /* its stderr */
	struct lv_child_pipe progress; /* its progress descriptor */
};

/* What the child's output is handed to; either slot may be NULL. */
struct lv_child_ops {
	void (*line)(void *arg, const char *s); /* a line of its stderr, without the newline */
	void (*progress)(void *arg, const struct lv_progress *p); /* a progress event */
};

void lv_child_init(struct lv_child *ch);

/* Starts argv[0] with argv and the progress descriptor. LV_OK, or LV_EIO with *why. */
int lv_child_spawn(struct lv_child *ch, char *const argv[], char **why);

/*
 * Hands each complete stderr line and each progress event the child wrote
 * to ops (progress lines that do not parse are dropped); never blocks. The
 * number of lines.
 */
int lv_child_read(struct lv_child *ch, const struct lv_child_ops *ops, void *arg);

/*
 * Reaps the child if it has exited, after reading what it left in the
 * pipes: 1 with *status (waitpid's) and the child cleared, 0 while it runs
 * or when there is none.
 */
int lv_child_reap(struct lv_child *ch, const struct lv_child_ops *ops, void *arg, int *status);

/* Signals its process group (nothing when none). */
void lv_child_signal(const struct lv_child *ch, int sig);

/* SIGTERM, then SIGKILL after grace_s; reaps and clears. */
void lv_child_stop(struct lv_child *ch, double grace_s);

#endif
