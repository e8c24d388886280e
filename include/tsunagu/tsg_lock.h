/* One writer per data directory: an advisory lock (flock) on a file in it, which the kernel
 * drops when its holder dies, even by kill -9.
 *
 *     int fd = tsg_lock_take (dir, TSG_LOCK_FILE, false);   // -1: errno EWOULDBLOCK when held
 *     ... the only writer of dir ...
 *     tsg_lock_release (fd);
 *
 * The coordinator holds DATA_DIR/coordinator.lock while it runs, and so does its one-request
 * offline mode; tsunaguctl asks tsg_lock_held to choose between the control socket and the
 * offline mode, and its offline jobs refuse while it is held. */
#ifndef TSG_LOCK_H_INCLUDED
#define TSG_LOCK_H_INCLUDED

#include <stdbool.h>

#define TSG_COORDINATOR_LOCK_FILE "coordinator.lock"

/* Takes the exclusive lock of dir/name, creating the file (mode 0600) when missing; waits for
 * it when wait is true.  Returns the lock's fd, or -1 with errno set (EWOULDBLOCK: someone
 * holds it). */
int tsg_lock_take (const char *dir, const char *name, bool wait);

/* Releases a lock tsg_lock_take returned; safe on -1. */
void tsg_lock_release (int fd);

/* True when someone holds the lock of dir/name now (false when the file does not exist). */
bool tsg_lock_held (const char *dir, const char *name);

#endif
