/* Starting the cluster's programs as children, and stopping and reaping them. */
#ifndef BENCH_SPAWN_H_INCLUDED
#define BENCH_SPAWN_H_INCLUDED

#include <stdbool.h>
#include <sys/types.h>

/* Starts argv[0] (a path) with argv, stdin from /dev/null and stdout and stderr appended to
 * log_path, in a process group of its own (so a Ctrl-C reaches only this program, which stops
 * the children in order) and told to get SIGTERM should this program die.  Returns the pid, or
 * -1 (logged). */
pid_t bench_spawn (char *const argv[], const char *log_path);

/* Waits at most timeout_ms for pid to exit and reaps it.  Returns true with *status (as from
 * waitpid) when it exited, false when it still runs. */
bool bench_spawn_wait (pid_t pid, int timeout_ms, int *status);

/* Runs argv to the end (at most timeout_ms; killed after that) with its output appended to
 * log_path.  Returns true when it exited with status 0; otherwise logs why. */
bool bench_spawn_run (char *const argv[], const char *log_path, int timeout_ms);

/* Describes a waitpid status ("exited with status 1", "killed by signal 9") into buf. */
const char *bench_spawn_describe (int status, char *buf, size_t size);

#endif
