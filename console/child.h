/*
 * child: a command the console runs in the background — an experiment
 * (`loudva --batch`, exprun.c) or a profiling sweep (`loudva profile run`,
 * profrun.c) — the very command an operator would type, so a crash there
 * cannot take the console down and the dashboard stays live.
 *
 * The child runs in its own process group (a cancel reaches it and its own
 * children together, and nothing else) and gets SIGTERM when the console
 * dies (PR_SET_PDEATHSIG), so a crashed console leaves nothing running. Its
 * stdin and stdout are /dev/null; its stderr comes back through a
 * non-blocking pipe, read a line at a time without ever blocking the loop.
 */
#ifndef LV_CHILD_H
#define LV_CHILD_H

#include <stddef.h>
#include <sys/types.h>

struct lv_child {
	pid_t pid; /* -1: none */
	int fd;    /* its stderr, -1: none */
	char buf[1024];
	size_t len; /* a partial line in buf */
};

void lv_child_init(struct lv_child *ch);

/* Starts argv[0] with argv. LV_OK, or LV_EIO with *why. */
int lv_child_spawn(struct lv_child *ch, char *const argv[], char **why);

/* Hands each complete line the child wrote to `line`; never blocks. The number of lines. */
int lv_child_read(struct lv_child *ch, void (*line)(void *arg, const char *s), void *arg);

/*
 * Reaps the child if it has exited, after reading what it left in the pipe:
 * 1 with *status (waitpid's) and the child cleared, 0 while it runs or when
 * there is none.
 */
int lv_child_reap(struct lv_child *ch, void (*line)(void *arg, const char *s), void *arg,
                  int *status);

/* Signals its process group (nothing when none). */
void lv_child_signal(const struct lv_child *ch, int sig);

/* SIGTERM, then SIGKILL after grace_s; reaps and clears. */
void lv_child_stop(struct lv_child *ch, double grace_s);

#endif
