/* store.c — LMDB environment and straight-line transactions that remember their first error. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tsunagu/tsunagu.h"

struct _tsg_store_t {
    MDB_env *env;                   /* the LMDB environment */
    MDB_dbi dbs[TSG_STORE_DBS_MAX]; /* named databases, in the order given at open */
    int db_count;                   /* how many of dbs are in use */
};

int
tsg_store_error (int mdb_rc)
{
    switch (mdb_rc) {
    case MDB_SUCCESS: return TSG_OK;
    case MDB_NOTFOUND: return TSG_ERR_NOT_FOUND;
    case MDB_MAP_FULL: return TSG_ERR_STORE_FULL;
    case MDB_KEYEXIST: return TSG_ERR_EXISTS;
    case ENOMEM: return TSG_ERR_NOMEM;
    default: return TSG_ERR_STORE;
    }
}

int
tsg_store_open (const char *dir, size_t map_size, const char *const db_names[], int db_count,
                tsg_store_t **out)
{
    if (db_count < 1 || db_count > TSG_STORE_DBS_MAX)
        return TSG_ERR_BAD_INPUT;
    if (!tsg_mkdir_p (dir, 0700)) {
        log_warn ("store: cannot create %s", dir);
        return TSG_ERR_IO;
    }
    tsg_store_t *self = calloc (1, sizeof *self);
    if (!self)
        return TSG_ERR_NOMEM;
    int rc = mdb_env_create (&self->env);
    if (rc == 0)
        rc = mdb_env_set_maxdbs (self->env, (MDB_dbi) db_count);
    if (rc == 0)
        rc = mdb_env_set_mapsize (self->env, map_size);
    /* Default flags keep full durability: a commit is on disk when it returns. */
    if (rc == 0)
        rc = mdb_env_open (self->env, dir, MDB_NOTLS, 0600);
    if (rc != 0) {
        log_warnx ("store: cannot open %s: %s", dir, mdb_strerror (rc));
        if (self->env)
            mdb_env_close (self->env);
        free (self);
        return tsg_store_error (rc);
    }
    /* Stale readers left by a killed process would pin old pages forever. */
    int dead = 0;
    mdb_reader_check (self->env, &dead);

    MDB_txn *txn = NULL;
    rc = mdb_txn_begin (self->env, NULL, 0, &txn);
    for (int i = 0; rc == 0 && i < db_count; i++)
        rc = mdb_dbi_open (txn, db_names[i], MDB_CREATE, &self->dbs[i]);
    if (rc == 0)
        rc = mdb_txn_commit (txn);
    else if (txn)
        mdb_txn_abort (txn);
    if (rc != 0) {
        log_warnx ("store: cannot open databases in %s: %s", dir, mdb_strerror (rc));
        mdb_env_close (self->env);
        free (self);
        return tsg_store_error (rc);
    }
    self->db_count = db_count;
    *out = self;
    return TSG_OK;
}

void
tsg_store_destroy (tsg_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    mdb_env_close ((*self_p)->env);
    free (*self_p);
    *self_p = NULL;
}

int
tsg_store_grow (tsg_store_t *self, size_t ceiling)
{
    MDB_envinfo info;
    int rc = mdb_env_info (self->env, &info);
    if (rc != 0)
        return tsg_store_error (rc);
    size_t now = info.me_mapsize;
    if (now >= ceiling)
        return TSG_ERR_STORE_FULL;
    size_t next = now > ceiling / 2 ? ceiling : now * 2;
    rc = mdb_env_set_mapsize (self->env, next);
    if (rc != 0) {
        log_warnx ("store: cannot grow the map to %zu MiB: %s", next >> 20, mdb_strerror (rc));
        return tsg_store_error (rc);
    }
    log_info ("store: the map grew from %zu MiB to %zu MiB (ceiling %zu MiB)", now >> 20,
              next >> 20, ceiling >> 20);
    return TSG_OK;
}

int
tsg_store_usage (tsg_store_t *self, size_t *used, size_t *map_size)
{
    MDB_envinfo info;
    MDB_stat stat;
    int rc = mdb_env_info (self->env, &info);
    if (rc == 0)
        rc = mdb_env_stat (self->env, &stat);
    if (rc != 0)
        return tsg_store_error (rc);
    MDB_txn *txn = NULL;
    rc = mdb_txn_begin (self->env, NULL, MDB_RDONLY, &txn);
    if (rc != 0)
        return tsg_store_error (rc);
    /* The free list is database 0: each value is a page count followed by page numbers. */
    size_t free_pages = 0;
    MDB_cursor *cursor = NULL;
    rc = mdb_cursor_open (txn, 0, &cursor);
    MDB_val key, val;
    while (rc == 0 && mdb_cursor_get (cursor, &key, &val, MDB_NEXT) == 0)
        if (val.mv_size >= sizeof (size_t))
            free_pages += *(const size_t *) val.mv_data;
    if (cursor)
        mdb_cursor_close (cursor);
    mdb_txn_abort (txn);
    size_t pages = info.me_last_pgno + 1;
    *used = (pages > free_pages ? pages - free_pages : 0) * stat.ms_psize;
    *map_size = info.me_mapsize;
    return TSG_OK;
}

int
tsg_store_copy (tsg_store_t *self, const char *dir)
{
    char tmp[4096], final[4096];
    if (snprintf (tmp, sizeof tmp, "%s/data.mdb.tmp", dir) >= (int) sizeof tmp
        || snprintf (final, sizeof final, "%s/data.mdb", dir) >= (int) sizeof final)
        return TSG_ERR_BAD_INPUT;
    if (!tsg_mkdir_p (dir, 0700)) {
        log_warn ("store: cannot create %s", dir);
        return TSG_ERR_IO;
    }
    if (chmod (dir, 0700) != 0) {
        log_warn ("store: cannot make %s owner-only", dir);
        return TSG_ERR_IO;
    }
    unlink (tmp); /* left by an interrupted copy */
    int fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        log_warn ("store: cannot create %s", tmp);
        return TSG_ERR_IO;
    }
    int rc = mdb_env_copyfd2 (self->env, fd, MDB_CP_COMPACT);
    if (rc != 0)
        log_warnx ("store: cannot copy the store to %s: %s", tmp, mdb_strerror (rc));
    else if (fsync (fd) != 0) {
        log_warn ("store: cannot sync %s", tmp);
        rc = EIO;
    }
    if (close (fd) != 0 && rc == 0) {
        log_warn ("store: cannot close %s", tmp);
        rc = EIO;
    }
    if (rc == 0 && rename (tmp, final) != 0) {
        log_warn ("store: cannot rename %s", tmp);
        rc = EIO;
    }
    if (rc != 0) {
        unlink (tmp);
        return rc == EIO ? TSG_ERR_IO : tsg_store_error (rc);
    }
    int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync (dfd);
        close (dfd);
    }
    return TSG_OK;
}

MDB_dbi
tsg_store_db (const tsg_store_t *self, int index)
{
    if (index < 0 || index >= self->db_count)
        abort (); /* a programming error: the caller named a database it did not open */
    return self->dbs[index];
}

void
tsg_txn_begin (tsg_store_t *store, tsg_txn_t *txn, bool write)
{
    txn->store = store;
    txn->txn = NULL;
    int rc = mdb_txn_begin (store->env, NULL, write ? 0 : MDB_RDONLY, &txn->txn);
    txn->rc = tsg_store_error (rc);
    if (rc != 0) {
        txn->txn = NULL;
        log_warnx ("store: cannot begin transaction: %s", mdb_strerror (rc));
    }
}

bool
tsg_txn_get (tsg_txn_t *txn, MDB_dbi db, const void *key, size_t key_len, MDB_val *val)
{
    if (txn->rc != TSG_OK || !txn->txn)
        return false;
    MDB_val k = { key_len, (void *) key };
    int rc = mdb_get (txn->txn, db, &k, val);
    if (rc == MDB_NOTFOUND)
        return false;
    if (rc != 0) {
        txn->rc = tsg_store_error (rc);
        return false;
    }
    return true;
}

void
tsg_txn_put (tsg_txn_t *txn, MDB_dbi db, const void *key, size_t key_len, const void *val,
             size_t val_len)
{
    if (txn->rc != TSG_OK || !txn->txn)
        return;
    MDB_val k = { key_len, (void *) key };
    MDB_val v = { val_len, (void *) val };
    int rc = mdb_put (txn->txn, db, &k, &v, 0);
    if (rc != 0)
        txn->rc = tsg_store_error (rc);
}

void
tsg_txn_del (tsg_txn_t *txn, MDB_dbi db, const void *key, size_t key_len)
{
    if (txn->rc != TSG_OK || !txn->txn)
        return;
    MDB_val k = { key_len, (void *) key };
    int rc = mdb_del (txn->txn, db, &k, NULL);
    if (rc != 0 && rc != MDB_NOTFOUND)
        txn->rc = tsg_store_error (rc);
}

int
tsg_txn_commit (tsg_txn_t *txn)
{
    if (!txn->txn)
        return txn->rc != TSG_OK ? txn->rc : TSG_ERR_STORE;
    if (txn->rc != TSG_OK) {
        mdb_txn_abort (txn->txn);
        txn->txn = NULL;
        return txn->rc;
    }
    int rc = mdb_txn_commit (txn->txn);
    txn->txn = NULL;
    txn->rc = tsg_store_error (rc);
    if (rc != 0)
        log_warnx ("store: commit failed: %s", mdb_strerror (rc));
    return txn->rc;
}

void
tsg_txn_abort (tsg_txn_t *txn)
{
    if (txn->txn)
        mdb_txn_abort (txn->txn);
    txn->txn = NULL;
}

static void
s_iter_step (tsg_iter_t *it, MDB_cursor_op op)
{
    int rc = mdb_cursor_get (it->cursor, &it->key, &it->val, op);
    it->valid = rc == 0;
    if (rc != 0 && rc != MDB_NOTFOUND)
        it->txn->rc = tsg_store_error (rc);
}

void
tsg_iter_begin (tsg_txn_t *txn, MDB_dbi db, tsg_iter_t *it, const void *start, size_t start_len)
{
    memset (it, 0, sizeof *it);
    it->txn = txn;
    if (txn->rc != TSG_OK || !txn->txn)
        return;
    int rc = mdb_cursor_open (txn->txn, db, &it->cursor);
    if (rc != 0) {
        txn->rc = tsg_store_error (rc);
        it->cursor = NULL;
        return;
    }
    if (start) {
        it->key.mv_data = (void *) start;
        it->key.mv_size = start_len;
        s_iter_step (it, MDB_SET_RANGE);
    }
    else
        s_iter_step (it, MDB_FIRST);
}

void
tsg_iter_next (tsg_iter_t *it)
{
    if (!it->cursor || !it->valid)
        return;
    s_iter_step (it, MDB_NEXT);
}

void
tsg_iter_end (tsg_iter_t *it)
{
    if (it->cursor)
        mdb_cursor_close (it->cursor);
    it->cursor = NULL;
    it->valid = false;
}

size_t
tsg_txn_count (tsg_txn_t *txn, MDB_dbi db)
{
    if (txn->rc != TSG_OK || !txn->txn)
        return 0;
    MDB_stat st;
    if (mdb_stat (txn->txn, db, &st) != 0)
        return 0;
    return st.ms_entries;
}
