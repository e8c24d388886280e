/* Starting the cluster's programs as children, and stopping and reaping them. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tsunagu/tsunagu.h"
#include "spawn.h"

#define SPAWN_POLL_MS 20 /* how often a wait looks again */

pid_t
bench_spawn (char *const argv[], const char *log_path)
{
    int log_fd = open (log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log_fd < 0) {
        log_warn ("cannot open %s", log_path);
        return -1;
    }
    pid_t parent = getpid ();
    pid_t pid = fork ();
    if (pid < 0) {
        log_warn ("fork");
        close (log_fd);
        return -1;
    }
    if (pid == 0) {
        /* The child: only async-signal-safe calls until exec. */
        setpgid (0, 0);
        prctl (PR_SET_PDEATHSIG, SIGTERM);
        if (getppid () != parent)
            _exit (127);
        int null_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null_fd >= 0)
            dup2 (null_fd, STDIN_FILENO);
        dup2 (log_fd, STDOUT_FILENO);
        dup2 (log_fd, STDERR_FILENO);
        sigset_t none;
        sigemptyset (&none);
        sigprocmask (SIG_SETMASK, &none, NULL);
        signal (SIGPIPE, SIG_DFL);
        signal (SIGINT, SIG_DFL);
        signal (SIGTERM, SIG_DFL);
        execv (argv[0], argv);
        static const char message[] = "tsunagu-bench: exec failed\n";
        if (write (STDERR_FILENO, message, sizeof message - 1) < 0)
            _exit (127);
        _exit (127);
    }
    close (log_fd);
    return pid;
}

bool
bench_spawn_wait (pid_t pid, int timeout_ms, int *status)
{
    for (int waited = 0;; waited += SPAWN_POLL_MS) {
        pid_t done = waitpid (pid, status, WNOHANG);
        if (done == pid)
            return true;
        if (done < 0 && errno != EINTR) {
            *status = 0;
            return true; /* not our child any more: nothing to wait for */
        }
        if (waited >= timeout_ms)
            return false;
        poll (NULL, 0, SPAWN_POLL_MS);
    }
}

bool
bench_spawn_run (char *const argv[], const char *log_path, int timeout_ms)
{
    pid_t pid = bench_spawn (argv, log_path);
    if (pid < 0)
        return false;
    int status = 0;
    if (!bench_spawn_wait (pid, timeout_ms, &status)) {
        log_warnx ("%s did not finish within %d s; killing it", argv[0], timeout_ms / 1000);
        kill (pid, SIGKILL);
        bench_spawn_wait (pid, 5000, &status);
        return false;
    }
    if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
        return true;
    char why[64];
    log_warnx ("%s %s (log: %s)", argv[0], bench_spawn_describe (status, why, sizeof why),
               log_path);
    return false;
}

const char *
bench_spawn_describe (int status, char *buf, size_t size)
{
    if (WIFEXITED (status))
        snprintf (buf, size, "exited with status %d", WEXITSTATUS (status));
    else if (WIFSIGNALED (status))
        snprintf (buf, size, "was killed by signal %d", WTERMSIG (status));
    else
        snprintf (buf, size, "ended with wait status %d", status);
    return buf;
}
