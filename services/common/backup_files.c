/* backup_files.c — the file work of backups and restores (tsg_backup.h): owner-only folders,
 * LMDB's hot compacted copy, reads from a copy that change nothing, exact-length copies, hashes
 * and renames that leave the old file or the new one, never neither. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_backup.h"

/* Writes "path: what" into err and returns rc. */
static int s_fail (int rc, char *err, size_t err_size, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

static int
s_fail (int rc, char *err, size_t err_size, const char *fmt, ...)
{
    if (err && err_size) {
        va_list ap;
        va_start (ap, fmt);
        vsnprintf (err, err_size, fmt, ap);
        va_end (ap);
    }
    return rc;
}

/* True when dir holds no entry but . and .. (false when it cannot be read). */
static bool
s_dir_empty (const char *dir)
{
    DIR *d = opendir (dir);
    if (!d)
        return false;
    bool empty = true;
    struct dirent *entry;
    while (empty && (entry = readdir (d)))
        if (strcmp (entry->d_name, ".") != 0 && strcmp (entry->d_name, "..") != 0)
            empty = false;
    closedir (d);
    return empty;
}

int
tsg_backup_dir_make (const char *dir, char *err, size_t err_size)
{
    struct stat st;
    if (!dir || !*dir)
        return s_fail (TSG_ERR_BAD_INPUT, err, err_size, "no backup folder given");
    if (lstat (dir, &st) == 0) {
        if (!S_ISDIR (st.st_mode))
            return s_fail (TSG_ERR_EXISTS, err, err_size, "%s: exists and is not a folder", dir);
        if (!s_dir_empty (dir))
            return s_fail (TSG_ERR_EXISTS, err, err_size,
                           "%s: exists and is not empty (a backup goes into a new folder)", dir);
        if (chmod (dir, TSG_BACKUP_DIR_MODE) != 0)
            return s_fail (TSG_ERR_IO, err, err_size, "%s: cannot set mode 0700: %s", dir,
                           strerror (errno));
        return TSG_OK;
    }
    if (errno != ENOENT)
        return s_fail (TSG_ERR_IO, err, err_size, "%s: %s", dir, strerror (errno));
    mode_t old = umask (077);
    bool made = tsg_mkdir_p (dir, TSG_BACKUP_DIR_MODE);
    umask (old);
    if (!made)
        return s_fail (TSG_ERR_IO, err, err_size, "%s: cannot create it: %s", dir,
                       strerror (errno));
    if (chmod (dir, TSG_BACKUP_DIR_MODE) != 0)
        return s_fail (TSG_ERR_IO, err, err_size, "%s: cannot set mode 0700: %s", dir,
                       strerror (errno));
    return TSG_OK;
}

int
tsg_backup_subdir_make (const char *dir, const char *sub, char *err, size_t err_size)
{
    char path[4096];
    if (snprintf (path, sizeof path, "%s/%s", dir, sub) >= (int) sizeof path)
        return s_fail (TSG_ERR_BAD_INPUT, err, err_size, "%s: path too long", dir);
    if (mkdir (path, TSG_BACKUP_DIR_MODE) != 0 || chmod (path, TSG_BACKUP_DIR_MODE) != 0)
        return s_fail (TSG_ERR_IO, err, err_size, "%s: cannot create it: %s", path,
                       strerror (errno));
    return TSG_OK;
}

/* Opens the new file path for writing, 0600 whatever the umask; -1 with err set. */
static int
s_create (const char *path, char *err, size_t err_size)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, TSG_BACKUP_FILE_MODE);
    if (fd < 0) {
        s_fail (errno == EEXIST ? TSG_ERR_EXISTS : TSG_ERR_IO, err, err_size,
                "%s: cannot create it: %s", path, strerror (errno));
        return -1;
    }
    if (fchmod (fd, TSG_BACKUP_FILE_MODE) != 0) {
        s_fail (TSG_ERR_IO, err, err_size, "%s: cannot set mode 0600: %s", path, strerror (errno));
        close (fd);
        unlink (path);
        return -1;
    }
    return fd;
}

/* fsyncs and closes fd; on failure (or when ok is already false) removes path.  Returns rc,
 * or TSG_ERR_IO when the sync failed. */
static int
s_finish (int fd, const char *path, int rc, char *err, size_t err_size)
{
    if (rc == TSG_OK && fsync (fd) != 0)
        rc = s_fail (TSG_ERR_IO, err, err_size, "%s: cannot sync it: %s", path, strerror (errno));
    if (close (fd) != 0 && rc == TSG_OK)
        rc = s_fail (TSG_ERR_IO, err, err_size, "%s: cannot close it: %s", path, strerror (errno));
    if (rc != TSG_OK)
        unlink (path);
    return rc;
}

int
tsg_backup_store_copy (const char *env_dir, const char *dest, char *err, size_t err_size)
{
    char data[4096];
    struct stat st;
    if (snprintf (data, sizeof data, "%s/data.mdb", env_dir) >= (int) sizeof data)
        return s_fail (TSG_ERR_BAD_INPUT, err, err_size, "%s: path too long", env_dir);
    if (stat (data, &st) != 0)
        return s_fail (errno == ENOENT ? TSG_ERR_NOT_FOUND : TSG_ERR_IO, err, err_size,
                       "%s: no store to back up: %s", data, strerror (errno));
    MDB_env *env = NULL;
    int rc = mdb_env_create (&env);
    /* As many named databases as any of our stores has, and the map the file says. */
    if (rc == 0)
        rc = mdb_env_set_maxdbs (env, 64);
    if (rc == 0)
        rc = mdb_env_open (env, env_dir, MDB_RDONLY | MDB_NOTLS, 0600);
    if (rc != 0) {
        if (env)
            mdb_env_close (env);
        return s_fail (TSG_ERR_STORE, err, err_size, "%s: cannot open the store: %s", env_dir,
                       mdb_strerror (rc));
    }
    int fd = s_create (dest, err, err_size);
    if (fd < 0) {
        mdb_env_close (env);
        return TSG_ERR_IO;
    }
    rc = mdb_env_copyfd2 (env, fd, MDB_CP_COMPACT);
    /* The owner grew the map since we opened it: adopt its size, start the copy again. */
    for (int tries = 0; rc == MDB_MAP_RESIZED && tries < 3; tries++) {
        rc = mdb_env_set_mapsize (env, 0);
        if (rc == 0 && (ftruncate (fd, 0) != 0 || lseek (fd, 0, SEEK_SET) != 0))
            rc = errno;
        if (rc == 0)
            rc = mdb_env_copyfd2 (env, fd, MDB_CP_COMPACT);
    }
    mdb_env_close (env);
    int out = TSG_OK;
    if (rc != 0)
        out = s_fail (TSG_ERR_STORE, err, err_size, "%s: cannot copy the store into %s: %s",
                      env_dir, dest, mdb_strerror (rc));
    return s_finish (fd, dest, out, err, err_size);
}

/* Opens the single-file copy at path read-only, without a lock file, and begins a read
 * transaction in it and opens db_name.  TSG_OK with *env, *txn and *dbi set. */
static int
s_copy_open (const char *path, const char *db_name, MDB_env **env, MDB_txn **txn, MDB_dbi *dbi,
             char *err, size_t err_size)
{
    *env = NULL;
    *txn = NULL;
    int rc = mdb_env_create (env);
    if (rc == 0)
        rc = mdb_env_set_maxdbs (*env, 64);
    if (rc == 0)
        rc = mdb_env_open (*env, path, MDB_RDONLY | MDB_NOSUBDIR | MDB_NOLOCK | MDB_NOTLS, 0600);
    if (rc == 0)
        rc = mdb_txn_begin (*env, NULL, MDB_RDONLY, txn);
    if (rc != 0) {
        if (*env)
            mdb_env_close (*env);
        *env = NULL;
        return s_fail (TSG_ERR_STORE, err, err_size, "%s: not a store that opens: %s", path,
                       mdb_strerror (rc));
    }
    rc = mdb_dbi_open (*txn, db_name, 0, dbi);
    if (rc != 0) {
        mdb_txn_abort (*txn);
        mdb_env_close (*env);
        *env = NULL;
        *txn = NULL;
        return s_fail (rc == MDB_NOTFOUND ? TSG_ERR_NOT_FOUND : TSG_ERR_STORE, err, err_size,
                       "%s: no database \"%s\" in it: %s", path, db_name, mdb_strerror (rc));
    }
    return TSG_OK;
}

int
tsg_backup_store_read (const char *path, const char *db_name, const char *key, void *out,
                       size_t size, size_t *len, char *err, size_t err_size)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    int rc = s_copy_open (path, db_name, &env, &txn, &dbi, err, err_size);
    if (rc != TSG_OK)
        return rc;
    MDB_val k = { .mv_size = strlen (key), .mv_data = (void *) key }, v;
    int mrc = mdb_get (txn, dbi, &k, &v);
    if (mrc == MDB_NOTFOUND)
        rc = s_fail (TSG_ERR_NOT_FOUND, err, err_size, "%s: no \"%s\" in %s", path, key, db_name);
    else if (mrc != 0)
        rc = s_fail (TSG_ERR_STORE, err, err_size, "%s: cannot read \"%s\": %s", path, key,
                     mdb_strerror (mrc));
    else if (v.mv_size > size)
        rc = s_fail (TSG_ERR_TOO_LARGE, err, err_size, "%s: \"%s\" holds %zu bytes, not %zu", path,
                     key, v.mv_size, size);
    else {
        memcpy (out, v.mv_data, v.mv_size);
        *len = v.mv_size;
    }
    mdb_txn_abort (txn);
    mdb_env_close (env);
    return rc;
}

int
tsg_backup_store_scan (const char *path, const char *db_name, const char *suffix,
                       tsg_backup_entry_fn *each, void *arg, char *err, size_t err_size)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    int rc = s_copy_open (path, db_name, &env, &txn, &dbi, err, err_size);
    if (rc != TSG_OK)
        return rc;
    MDB_cursor *cursor = NULL;
    int mrc = mdb_cursor_open (txn, dbi, &cursor);
    MDB_val k, v;
    size_t suffix_len = strlen (suffix);
    while (mrc == 0 && (mrc = mdb_cursor_get (cursor, &k, &v, MDB_NEXT)) == 0)
        if (k.mv_size >= suffix_len
            && memcmp ((const char *) k.mv_data + k.mv_size - suffix_len, suffix, suffix_len) == 0)
            each (arg, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
    if (mrc != MDB_NOTFOUND)
        rc = s_fail (TSG_ERR_STORE, err, err_size, "%s: cannot read %s: %s", path, db_name,
                     mdb_strerror (mrc));
    if (cursor)
        mdb_cursor_close (cursor);
    mdb_txn_abort (txn);
    mdb_env_close (env);
    return rc;
}

int
tsg_backup_file_copy (const char *src, const char *dest, uint64_t length, char *err,
                      size_t err_size)
{
    int in = open (src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return s_fail (errno == ENOENT ? TSG_ERR_NOT_FOUND : TSG_ERR_IO, err, err_size,
                       "%s: cannot open it: %s", src, strerror (errno));
    int fd = s_create (dest, err, err_size);
    if (fd < 0) {
        close (in);
        return TSG_ERR_IO;
    }
    int rc = TSG_OK;
    char chunk[65536];
    uint64_t done = 0;
    while (rc == TSG_OK && done < length) {
        size_t want = length - done < sizeof chunk ? (size_t) (length - done) : sizeof chunk;
        ssize_t got = pread (in, chunk, want, (off_t) done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            rc = s_fail (TSG_ERR_IO, err, err_size,
                         "%s: holds fewer than the %llu bytes to copy (%llu read): %s", src,
                         (unsigned long long) length, (unsigned long long) done,
                         got < 0 ? strerror (errno) : "end of file");
            break;
        }
        for (ssize_t put = 0; rc == TSG_OK && put < got;) {
            ssize_t n = write (fd, chunk + put, (size_t) (got - put));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                rc = s_fail (TSG_ERR_IO, err, err_size, "%s: cannot write: %s", dest,
                             strerror (errno));
            else
                put += n;
        }
        done += (uint64_t) got;
    }
    close (in);
    return s_finish (fd, dest, rc, err, err_size);
}

int
tsg_backup_file_hash (const char *path, uint8_t hash[32], uint64_t *size, char *err,
                      size_t err_size)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return s_fail (errno == ENOENT ? TSG_ERR_NOT_FOUND : TSG_ERR_IO, err, err_size,
                       "%s: cannot open it: %s", path, strerror (errno));
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init (&state);
    char chunk[65536];
    uint64_t total = 0;
    int rc = TSG_OK;
    for (;;) {
        ssize_t got = read (fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = s_fail (TSG_ERR_IO, err, err_size, "%s: cannot read it: %s", path,
                         strerror (errno));
            break;
        }
        if (got == 0)
            break;
        crypto_hash_sha256_update (&state, (const unsigned char *) chunk, (size_t) got);
        total += (uint64_t) got;
    }
    close (fd);
    crypto_hash_sha256_final (&state, hash);
    *size = total;
    return rc;
}

int
tsg_backup_dir_sync (const char *dir, char *err, size_t err_size)
{
    int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync (fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close (fd);
        return s_fail (TSG_ERR_IO, err, err_size, "%s: cannot sync it: %s", dir, strerror (e));
    }
    close (fd);
    return TSG_OK;
}

int
tsg_backup_install (const char *staged, const char *final, const char *keep, char *err,
                    size_t err_size)
{
    if (keep && link (final, keep) != 0 && errno != ENOENT)
        return s_fail (TSG_ERR_IO, err, err_size, "%s: cannot keep it as %s: %s", final, keep,
                       strerror (errno));
    if (rename (staged, final) != 0)
        return s_fail (TSG_ERR_IO, err, err_size, "cannot rename %s to %s: %s", staged, final,
                       strerror (errno));
    char dir[4096];
    snprintf (dir, sizeof dir, "%s", final);
    char *slash = strrchr (dir, '/');
    if (!slash)
        snprintf (dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    return tsg_backup_dir_sync (dir, err, err_size);
}

bool
tsg_backup_store_in_use (const char *env_dir)
{
    char path[4096];
    if (snprintf (path, sizeof path, "%s/lock.mdb", env_dir) >= (int) sizeof path)
        return false;
    int fd = open (path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return false;
    /* Each process with the environment open holds a shared lock on the lock file's first
     * byte (LMDB's mdb_env_excl_lock); a write lock there is what only a lone opener gets. */
    struct flock probe = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
    bool in_use = fcntl (fd, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
    close (fd);
    return in_use;
}
