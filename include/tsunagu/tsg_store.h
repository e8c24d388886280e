/* A thin LMDB wrapper with straight-line transactions, after knot's knot_lmdb:
 * a transaction remembers its first error, every later call on it does nothing,
 * and commit aborts when anything failed, so callers check once, at the end.
 *
 *     tsg_txn_t txn;
 *     tsg_txn_begin (store, &txn, true);
 *     tsg_txn_put (&txn, db, key, klen, val, vlen);
 *     tsg_txn_del (&txn, db, other, olen);
 *     if (tsg_txn_commit (&txn) != TSG_OK) ... txn.rc says why ...
 *
 * One store (environment) per process, opened after any fork.  Values read through
 * a transaction are valid only until it ends: copy them out first. */
#ifndef TSG_STORE_H_INCLUDED
#define TSG_STORE_H_INCLUDED

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct _tsg_store_t tsg_store_t;

#define TSG_STORE_DBS_MAX 32

/* Opens (creating, mode 0700) the environment in dir with the named databases.
 * map_size is the largest the data may grow (bytes).  Returns TSG_OK and *out,
 * or a TSG_ERR_* with *out untouched. */
int tsg_store_open (const char *dir, size_t map_size, const char *const db_names[], int db_count,
                    tsg_store_t **out);

/* Closes the environment; safe on NULL and twice. */
void tsg_store_destroy (tsg_store_t **self_p);

/* Doubles the map (the most the data may grow to), but not past ceiling bytes, after a
 * commit failed with TSG_ERR_STORE_FULL.  No transaction of this process may be open.
 * Returns TSG_OK when the map grew, TSG_ERR_STORE_FULL when it is at the ceiling already, or
 * another TSG_ERR_* (logged). */
int tsg_store_grow (tsg_store_t *self, size_t ceiling);

/* The map's size, and the bytes in use in it: pages ever written less the free pages LMDB
 * will reuse (a read transaction; about as costly as the free list is long).  TSG_OK or a
 * TSG_ERR_*. */
int tsg_store_usage (tsg_store_t *self, size_t *used, size_t *map_size);

/* Writes a compacted, consistent copy of the store (mdb_env_copyfd2 with MDB_CP_COMPACT) to
 * dir/data.mdb: dir is made (mode 0700) when absent, the copy goes to dir/data.mdb.tmp (mode
 * 0600), is synced and renamed over any data.mdb there, so an interrupted copy never leaves
 * a half-written data.mdb.  Safe while this process writes (the copy is a read transaction).
 * Returns TSG_OK or a TSG_ERR_* (logged). */
int tsg_store_copy (tsg_store_t *self, const char *dir);

/* Handle of the index-th database named at open. */
MDB_dbi tsg_store_db (const tsg_store_t *self, int index);

/* Maps an LMDB return code to a tsg_rc_t: MDB_NOTFOUND → TSG_ERR_NOT_FOUND,
 * MDB_MAP_FULL → TSG_ERR_STORE_FULL, MDB_KEYEXIST → TSG_ERR_EXISTS, else TSG_ERR_STORE. */
int tsg_store_error (int mdb_rc);

typedef struct {
    tsg_store_t *store; /* the environment this transaction belongs to */
    MDB_txn *txn;       /* NULL once committed or aborted */
    int rc;             /* first error (tsg_rc_t), TSG_OK while all went well */
} tsg_txn_t;

/* Begins a read (write=false) or write transaction.  On failure txn->rc is set
 * and every later call is a no-op. */
void tsg_txn_begin (tsg_store_t *store, tsg_txn_t *txn, bool write);

/* Reads key into *val (borrowed until the transaction ends).  Returns true when
 * found; a missing key is not an error, other failures set txn->rc. */
bool tsg_txn_get (tsg_txn_t *txn, MDB_dbi db, const void *key, size_t key_len, MDB_val *val);

/* Writes key → val, replacing any old value. */
void tsg_txn_put (tsg_txn_t *txn, MDB_dbi db, const void *key, size_t key_len, const void *val,
                  size_t val_len);

/* Deletes key; a missing key is not an error. */
void tsg_txn_del (tsg_txn_t *txn, MDB_dbi db, const void *key, size_t key_len);

/* Commits when txn->rc is TSG_OK, aborts otherwise.  Returns the final rc. */
int tsg_txn_commit (tsg_txn_t *txn);

/* Aborts; safe after commit or abort. */
void tsg_txn_abort (tsg_txn_t *txn);

/* Forward iteration over one database from the first key >= start (or from the
 * beginning when start is NULL).
 *
 *     tsg_iter_t it;
 *     for (tsg_iter_begin (&txn, db, &it, start, start_len); it.valid; tsg_iter_next (&it))
 *         ... it.key, it.val ...
 *     tsg_iter_end (&it);
 */
typedef struct {
    tsg_txn_t *txn;     /* the transaction it reads through */
    MDB_cursor *cursor; /* NULL when opening failed */
    MDB_val key;        /* current key (borrowed) */
    MDB_val val;        /* current value (borrowed) */
    bool valid;         /* false past the end or on error */
} tsg_iter_t;

void tsg_iter_begin (tsg_txn_t *txn, MDB_dbi db, tsg_iter_t *it, const void *start,
                     size_t start_len);
void tsg_iter_next (tsg_iter_t *it);
void tsg_iter_end (tsg_iter_t *it);

/* Number of entries in db, or 0 on error. */
size_t tsg_txn_count (tsg_txn_t *txn, MDB_dbi db);

#endif
