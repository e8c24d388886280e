/* ask.c — a change asked of the coordinator: over its control socket while it runs, else from
 * its one-request offline mode (`tsunagu-coordinator --apply`).  tsunaguctl never writes the
 * coordinator's store itself. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "tsunagu/tsg_lock.h"

#define ANSWER_MAX     (1024 * 1024) /* the longest answer read from the offline mode */
#define EXIT_RUNNING   3             /* the offline mode's "a coordinator runs" */
#define COORDINATOR    "tsunagu-coordinator"
#define SOCKET_RETRIES 3 /* a coordinator that took the lock may not have bound yet */
#define S_RUNNING      1 /* not an error: ask the socket */

extern char **environ;

static void
s_err (char *err, size_t size, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    vsnprintf (err, size, fmt, args);
    va_end (args);
}

/* Who asks: the login behind sudo, else the effective user's name, else "uid N". */
static void
s_actor (char out[64])
{
    const char *sudo = getenv ("SUDO_USER");
    struct passwd *pw = getpwuid (geteuid ());
    if (sudo && *sudo && strlen (sudo) < 48)
        snprintf (out, 64, "%s", sudo);
    else if (pw && pw->pw_name && strlen (pw->pw_name) < 48)
        snprintf (out, 64, "%s", pw->pw_name);
    else
        snprintf (out, 64, "uid %u", (unsigned) geteuid ());
}

/* The coordinator binary: $TSUNAGU_COORDINATOR, else next to this program (or in ../bin of
 * it, where a build tree keeps the tests), else the bare name for PATH. */
static void
s_coordinator_path (char out[PATH_MAX])
{
    const char *env = getenv ("TSUNAGU_COORDINATOR");
    if (env && *env && strlen (env) < PATH_MAX) {
        snprintf (out, PATH_MAX, "%s", env);
        return;
    }
    char self[PATH_MAX];
    ssize_t n = readlink ("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        const char *dir = dirname (self);
        static const char *const places[] = { "%s/" COORDINATOR, "%s/../bin/" COORDINATOR };
        for (size_t i = 0; i < sizeof places / sizeof places[0]; i++)
            if (snprintf (out, PATH_MAX, places[i], dir) < PATH_MAX && access (out, X_OK) == 0)
                return;
    }
    snprintf (out, PATH_MAX, "%s", COORDINATOR);
}

/* Writes all of text to fd; false on failure. */
static bool
s_write_all (int fd, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t n = write (fd, text, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        text += n;
        len -= (size_t) n;
    }
    return true;
}

/* Reads fd to its end (at most ANSWER_MAX bytes) into a new string; NULL on failure. */
static char *
s_read_all (int fd)
{
    size_t len = 0, cap = 4096;
    char *buf = malloc (cap);
    while (buf) {
        if (len + 1 >= cap) {
            char *bigger = cap < ANSWER_MAX ? realloc (buf, cap * 2) : NULL;
            if (!bigger)
                break;
            buf = bigger;
            cap *= 2;
        }
        ssize_t n = read (fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        if (n == 0) {
            buf[len] = '\0';
            return buf;
        }
        len += (size_t) n;
    }
    free (buf);
    return NULL;
}

/* Copies what the child wrote to its stderr (log_fd) to ours: why it failed. */
static void
s_show_log (int log_fd)
{
    char buf[4096];
    ssize_t n;
    if (lseek (log_fd, 0, SEEK_SET) != 0)
        return;
    while ((n = read (log_fd, buf, sizeof buf)) > 0)
        fwrite (buf, 1, (size_t) n, stderr);
}

/* Runs `tsunagu-coordinator -c CONFIG --apply` with text on its stdin; its answer in *reply.
 * S_RUNNING when a coordinator runs after all. */
static int
s_offline (const ctl_site_t *site, const char *text, json_t **reply, char *err, size_t err_size)
{
    char path[PATH_MAX];
    s_coordinator_path (path);
    int in[2] = { -1, -1 }, out[2] = { -1, -1 };
    FILE *log = tmpfile ();
    if (!log || pipe2 (in, O_CLOEXEC) != 0 || pipe2 (out, O_CLOEXEC) != 0) {
        s_err (err, err_size, "cannot make pipes: %s", strerror (errno));
        goto fail;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init (&actions);
    posix_spawn_file_actions_adddup2 (&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2 (&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2 (&actions, fileno (log), STDERR_FILENO);
    /* The child starts with no signal blocked, whatever the caller holds back meanwhile. */
    posix_spawnattr_t attr;
    sigset_t none;
    sigemptyset (&none);
    posix_spawnattr_init (&attr);
    posix_spawnattr_setsigmask (&attr, &none);
    posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETSIGMASK);
    char *argv[] = { path, "-c", (char *) ctl_site_config_path (site), "--apply", NULL };
    pid_t pid;
    int rc = posix_spawnp (&pid, path, &actions, &attr, argv, environ);
    posix_spawn_file_actions_destroy (&actions);
    posix_spawnattr_destroy (&attr);
    close (in[0]);
    close (out[1]);
    in[0] = out[1] = -1;
    if (rc != 0) {
        s_err (err, err_size, "cannot run %s: %s", path, strerror (rc));
        goto fail;
    }
    /* A child that dies early must not kill us with SIGPIPE. */
    void (*old) (int) = signal (SIGPIPE, SIG_IGN);
    bool sent = s_write_all (in[1], text, strlen (text));
    close (in[1]);
    in[1] = -1;
    signal (SIGPIPE, old);
    char *answer = s_read_all (out[0]);
    int status = 0;
    while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
        ;
    int code = WIFEXITED (status) ? WEXITSTATUS (status) : -1;
    json_error_t error;
    *reply = sent && answer && code != 1 ? json_loads (answer, 0, &error) : NULL;
    free (answer);
    if (code == EXIT_RUNNING) {
        json_decref (*reply);
        *reply = NULL;
        rc = S_RUNNING;
    }
    else if (!json_is_object (*reply)) {
        json_decref (*reply);
        *reply = NULL;
        s_show_log (fileno (log));
        s_err (err, err_size, "%s --apply did not answer (exit status %d)", path, code);
        rc = TSG_ERR_IO;
    }
    else
        rc = TSG_OK;
    close (out[0]);
    fclose (log);
    return rc;

fail:
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close (in[i]);
        if (out[i] >= 0)
            close (out[i]);
    }
    if (log)
        fclose (log);
    return TSG_ERR_IO;
}

int
ctl_coordinator_ask (const ctl_site_t *site, json_t *request, json_t **reply, char *err,
                     size_t err_size)
{
    *reply = NULL;
    char actor[64];
    s_actor (actor);
    json_object_set_new (request, "actor", json_string (actor));
    const char *data_dir = ctl_site_data_dir (site);
    int rc = S_RUNNING;
    if (!tsg_lock_held (data_dir, TSG_COORDINATOR_LOCK_FILE)) {
        char *text = json_dumps (request, JSON_COMPACT);
        if (!text) {
            s_err (err, err_size, "out of memory");
            return TSG_ERR_NOMEM;
        }
        rc = s_offline (site, text, reply, err, err_size);
        sodium_memzero (text, strlen (text)); /* it may hold a staff password */
        free (text);
    }
    /* A coordinator runs (or started meanwhile): its socket answers once it is bound. */
    for (int i = 0; rc == S_RUNNING && i < SOCKET_RETRIES; i++) {
        rc = ctl_control_call (data_dir, request, CTL_CONTROL_TIMEOUT_MS, reply, err, err_size);
        if (rc == TSG_ERR_NOT_FOUND && i + 1 < SOCKET_RETRIES) {
            rc = S_RUNNING;
            sleep (1);
        }
    }
    return rc;
}

json_t *
ctl_coordinator_change (const ctl_site_t *site, json_t *request, const char *what)
{
    json_t *reply = NULL;
    char err[512] = "out of memory";
    int rc = request ? ctl_coordinator_ask (site, request, &reply, err, sizeof err) : TSG_ERR_NOMEM;
    json_decref (request);
    if (rc != TSG_OK) {
        ctl_error ("cannot %s: %s; nothing changed", what, err);
        return NULL;
    }
    if (!json_is_true (json_object_get (reply, "ok"))) {
        const char *message = json_string_value (json_object_get (reply, "message"));
        ctl_error ("cannot %s: %s", what, message ? message : "the coordinator refused");
        json_decref (reply);
        return NULL;
    }
    return reply;
}
