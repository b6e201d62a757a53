/*
 * agent_spawn: starts a child whose output the agent reads through a pipe
 * (tegrastats, nvpmodel): stdin at /dev/null, in a process group of its own
 * (so that it and its children can be killed together), with the signals
 * the agent blocks unblocked and SIGTERM, SIGINT and SIGPIPE at their
 * defaults.
 */
#ifndef LV_AGENT_AGENT_SPAWN_H
#define LV_AGENT_AGENT_SPAWN_H

#include <sys/types.h>

/*
 * Runs path with argv (argv[0] included, NULL-terminated). Its stdout, and
 * its stderr too when with_stderr, go to a pipe whose read end, close-on-exec,
 * is *read_fd. 0 with *pid and *read_fd, or an errno value (nothing to close).
 */
int lv_spawn_reader(const char *path, char *const argv[], int with_stderr, pid_t *pid,
                    int *read_fd);

#endif
