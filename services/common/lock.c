/* lock.c — the one-writer lock of a data directory (flock on a file in it). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

#include "tsunagu/tsg_lock.h"

/* Opens dir/name (created 0600 when create is true); -1 with errno on failure. */
static int
s_open (const char *dir, const char *name, bool create)
{
    char path[4096];
    if (snprintf (path, sizeof path, "%s/%s", dir, name) >= (int) sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    /* flock needs no write access: asking whether it is held works on a read-only file. */
    return open (path, (create ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC, 0600);
}

int
tsg_lock_take (const char *dir, const char *name, bool wait)
{
    int fd = s_open (dir, name, true);
    if (fd < 0)
        return -1;
    int rc;
    do
        rc = flock (fd, LOCK_EX | (wait ? 0 : LOCK_NB));
    while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        int saved = errno;
        close (fd);
        errno = saved;
        return -1;
    }
    return fd;
}

void
tsg_lock_release (int fd)
{
    if (fd >= 0) {
        flock (fd, LOCK_UN);
        close (fd);
    }
}

bool
tsg_lock_held (const char *dir, const char *name)
{
    int fd = s_open (dir, name, false);
    if (fd < 0)
        return false;
    /* A shared lock is refused exactly while someone holds the exclusive one. */
    bool held = flock (fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close (fd); /* drops the shared lock if it was granted */
    return held;
}
