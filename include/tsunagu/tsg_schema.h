/* Schema versions of a store, and the ordered table of migrations that brings an older store
 * up to the version a binary writes.
 *
 * Every store keeps its version in its META database under TSG_SCHEMA_KEY (be64).  A store
 * with data and no such key is schema 1: the format of the release before versions were
 * kept.  A new (empty) store is stamped with the current version at once.
 *
 * Opening a store at start-up (tsg_schema_migrate):
 *   - newer than the binary: refused, changing nothing, with the sentence of
 *     tsg_schema_supported (install the newer version or restore a backup);
 *   - older: first a compacted copy of the store as it is goes to
 *     BACKUP_PARENT/backup-before-schema-N/data.mdb (N: the store's version + 1, the first
 *     one the binary makes; 0700/0600; replacing an older copy of the same name, so a copy
 *     is always of the store just before that migration ran: an interrupted upgrade that
 *     resumes from a later version keeps the first copy under its own name),
 *     then each migration from the store's version + 1 up to N runs in a write transaction
 *     of its own, together with the bump of the version to its number.  A kill -9 during a
 *     migration leaves the version before it, so the next start runs that migration again:
 *     every migration must be idempotent (safe on a store it has already changed).
 * `-n` calls tsg_schema_read and tsg_schema_supported and changes nothing. */
#ifndef TSG_SCHEMA_H_INCLUDED
#define TSG_SCHEMA_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#include "tsunagu/tsg_store.h"

/* The META key of a store's schema version (be64). */
#define TSG_SCHEMA_KEY "schema.version"

/* The folder name of the copy taken before migrating to version n (+ "n"). */
#define TSG_SCHEMA_BACKUP_PREFIX "backup-before-schema-"

/* One migration: turns a store of version to - 1 into version to. */
typedef struct {
    unsigned to;      /* the version it makes */
    const char *what; /* what it changes, for the log (English, one line) */
    /* The change, in txn (a write transaction the caller commits with the version bump);
     * idempotent.  Failures go to txn->rc; the number of records changed to *changed. */
    void (*run) (tsg_txn_t *txn, size_t *changed);
} tsg_migration_t;

/* A kind of store and what this binary knows of it. */
typedef struct {
    const char *name;                  /* "coordinator", "agency": for the messages */
    unsigned current;                  /* the version this binary writes (>= 1) */
    const tsg_migration_t *migrations; /* current - 1 of them, to = 2, 3, ..., current */
    size_t count;                      /* entries of migrations */
    int meta_db;                       /* the index of META among the store's databases */
    int db_count;                      /* how many databases the store has (to tell new) */
} tsg_schema_t;

/* The store's version in *version: the META key's value, 1 for a store holding data
 * without it, 0 for an empty store (new).  TSG_OK, TSG_ERR_BAD_INPUT when the key is
 * malformed (not 8 bytes, or 0), or the read's TSG_ERR_*. */
int tsg_schema_read (tsg_store_t *store, const tsg_schema_t *schema, unsigned *version);

/* True when this binary can use a store of version; otherwise false with the sentence
 * "this store was written by a newer tsunagu (schema 3); this binary knows schema 2:
 * install the newer version or restore a backup" in err. */
bool tsg_schema_supported (const tsg_schema_t *schema, unsigned version, char *err,
                           size_t err_size);

/* Brings the store to schema->current as the opening comment says, the copy taken into
 * backup_parent (the data directory).  *from (may be NULL) gets the version found (0: new).
 * TSG_OK; TSG_ERR_EXISTS when the store is newer than the binary (err says so, nothing
 * changed); else the failure's TSG_ERR_* with an English sentence in err. */
int tsg_schema_migrate (tsg_store_t *store, const tsg_schema_t *schema, const char *backup_parent,
                        unsigned *from, char *err, size_t err_size);

/* tsg_schema_read and tsg_schema_supported together, for -n and status: true and *version
 * when this binary can use the store; false with a sentence in err when it is newer, its key
 * is malformed or cannot be read.  Changes nothing. */
bool tsg_schema_usable (tsg_store_t *store, const tsg_schema_t *schema, unsigned *version,
                        char *err, size_t err_size);

/* Opens a store with open (dir, map_size, &store) and brings it to the current schema with
 * tsg_schema_migrate (the copy under backup_parent).  TSG_OK and *out, or a TSG_ERR_* with a
 * sentence in err and *out untouched (TSG_ERR_EXISTS: newer than this binary). */
int tsg_schema_open (int (*open) (const char *dir, size_t map_size, tsg_store_t **out),
                     const char *dir, size_t map_size, const tsg_schema_t *schema,
                     const char *backup_parent, tsg_store_t **out, char *err, size_t err_size);

/* True when the table is well formed: current >= 1, count == current - 1 and entry i has
 * to == i + 2 and a run function (unit tests and an assert at start-up check it). */
bool tsg_schema_table_valid (const tsg_schema_t *schema);

#endif
