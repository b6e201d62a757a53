/* agent_spawn: a child read through a pipe (agent_spawn.h). */
#include "agent_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

extern char **environ;

int lv_spawn_reader(const char *path, char *const argv[], int with_stderr, pid_t *pid, int *read_fd)
{
	int fds[2];
	if (pipe(fds) != 0)
		return errno;
	/* no other child may inherit the pipe (dup2 in this one clears the flag) */
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, defs;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	if (with_stderr)
		posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&defs);
	sigaddset(&defs, SIGTERM);
	sigaddset(&defs, SIGINT);
	sigaddset(&defs, SIGPIPE);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &defs);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
	                                  POSIX_SPAWN_SETSIGDEF);
	int err = posix_spawn(pid, path, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(fds[1]);
	if (err != 0) {
		close(fds[0]);
		return err;
	}
	*read_fd = fds[0];
	return 0;
}
