/* schema.c — a store's schema version and the ordered migrations that bring it up to date
 * (tsg_schema.h). */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_schema.h"

bool
tsg_schema_table_valid (const tsg_schema_t *schema)
{
    if (!schema || schema->current < 1 || schema->count != schema->current - 1)
        return false;
    for (size_t i = 0; i < schema->count; i++)
        if (schema->migrations[i].to != i + 2 || !schema->migrations[i].run)
            return false;
    return true;
}

/* tsg_schema_read, and whether the key is there in *stamped. */
static int
s_read (tsg_store_t *store, const tsg_schema_t *schema, unsigned *version, bool *stamped)
{
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, false);
    MDB_val val;
    bool found = tsg_txn_get (&txn, tsg_store_db (store, schema->meta_db), TSG_SCHEMA_KEY,
                              strlen (TSG_SCHEMA_KEY), &val);
    uint64_t v = 0;
    bool bad =
        found && (val.mv_size != 8 || (v = tsg_be64_get (val.mv_data)) == 0 || v > 0xffffffffu);
    size_t records = 0;
    for (int i = 0; !found && i < schema->db_count; i++)
        records += tsg_txn_count (&txn, tsg_store_db (store, i));
    int rc = txn.rc;
    tsg_txn_abort (&txn);
    if (rc != TSG_OK)
        return rc;
    if (bad)
        return TSG_ERR_BAD_INPUT;
    *version = found ? (unsigned) v : records ? 1 : 0;
    *stamped = found;
    return TSG_OK;
}

int
tsg_schema_read (tsg_store_t *store, const tsg_schema_t *schema, unsigned *version)
{
    bool stamped;
    return s_read (store, schema, version, &stamped);
}

bool
tsg_schema_supported (const tsg_schema_t *schema, unsigned version, char *err, size_t err_size)
{
    if (version <= schema->current)
        return true;
    snprintf (err, err_size,
              "this store was written by a newer tsunagu (schema %u); this binary knows schema "
              "%u: install the newer version or restore a backup",
              version, schema->current);
    return false;
}

/* Writes the version in txn. */
static void
s_put_version (tsg_txn_t *txn, const tsg_schema_t *schema, unsigned version)
{
    uint8_t value[8];
    tsg_be64_put (value, version);
    tsg_txn_put (txn, tsg_store_db (txn->store, schema->meta_db), TSG_SCHEMA_KEY,
                 strlen (TSG_SCHEMA_KEY), value, sizeof value);
}

/* Writes the current version on a store that needs no migration (new, or of the current
 * format without the key). */
static int
s_stamp (tsg_store_t *store, const tsg_schema_t *schema, char *err, size_t err_size)
{
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, true);
    s_put_version (&txn, schema, schema->current);
    int rc = tsg_txn_commit (&txn);
    if (rc != TSG_OK)
        snprintf (err, err_size, "cannot write the %s store's schema: %s", schema->name,
                  tsg_strerror (rc));
    return rc;
}

/* Runs migration m and the bump to m->to in one write transaction. */
static int
s_run (tsg_store_t *store, const tsg_schema_t *schema, const tsg_migration_t *m, char *err,
       size_t err_size)
{
    tsg_txn_t txn;
    size_t changed = 0;
    tsg_txn_begin (store, &txn, true);
    m->run (&txn, &changed);
    s_put_version (&txn, schema, m->to);
    int rc = tsg_txn_commit (&txn);
    if (rc != TSG_OK) {
        snprintf (err, err_size,
                  "the migration of the %s store to schema %u (%s) failed: %s%s; the store is "
                  "left at schema %u",
                  schema->name, m->to, m->what, tsg_strerror (rc),
                  rc == TSG_ERR_STORE_FULL ? " (raise map_size_mb and start again)" : "",
                  m->to - 1);
        return rc;
    }
    log_info ("store: schema %u: %s (records changed: %zu)", m->to, m->what, changed);
    return TSG_OK;
}

int
tsg_schema_migrate (tsg_store_t *store, const tsg_schema_t *schema, const char *backup_parent,
                    unsigned *from, char *err, size_t err_size)
{
    assert (tsg_schema_table_valid (schema));
    unsigned version = 0;
    bool stamped = false;
    int rc = s_read (store, schema, &version, &stamped);
    if (from)
        *from = version;
    if (rc == TSG_ERR_BAD_INPUT) {
        snprintf (err, err_size, "the %s store's %s is malformed", schema->name, TSG_SCHEMA_KEY);
        return rc;
    }
    if (rc != TSG_OK) {
        snprintf (err, err_size, "cannot read the %s store's schema: %s", schema->name,
                  tsg_strerror (rc));
        return rc;
    }
    if (!tsg_schema_supported (schema, version, err, err_size))
        return TSG_ERR_EXISTS;
    if (version == schema->current)
        return stamped ? TSG_OK : s_stamp (store, schema, err, err_size);
    if (version == 0) /* a new store: nothing to migrate, it is written in the current format */
        return s_stamp (store, schema, err, err_size);
    char dir[4096];
    if (snprintf (dir, sizeof dir, "%s/" TSG_SCHEMA_BACKUP_PREFIX "%u", backup_parent, version + 1)
        >= (int) sizeof dir) {
        snprintf (err, err_size, "the backup path under %s is too long", backup_parent);
        return TSG_ERR_BAD_INPUT;
    }
    rc = tsg_store_copy (store, dir);
    if (rc != TSG_OK) {
        snprintf (err, err_size,
                  "cannot copy the %s store to %s before migrating it from schema %u to %u: %s "
                  "(nothing was changed)",
                  schema->name, dir, version, schema->current, tsg_strerror (rc));
        return rc;
    }
    log_info ("store: schema %u → %u; the store as it was is copied to %s/data.mdb", version,
              schema->current, dir);
    for (size_t i = version - 1; i < schema->count; i++)
        if ((rc = s_run (store, schema, &schema->migrations[i], err, err_size)) != TSG_OK)
            return rc;
    return TSG_OK;
}

bool
tsg_schema_usable (tsg_store_t *store, const tsg_schema_t *schema, unsigned *version, char *err,
                   size_t err_size)
{
    int rc = tsg_schema_read (store, schema, version);
    if (rc == TSG_ERR_BAD_INPUT) {
        snprintf (err, err_size, "the store's %s is malformed", TSG_SCHEMA_KEY);
        return false;
    }
    if (rc != TSG_OK) {
        snprintf (err, err_size, "cannot read the store's schema: %s", tsg_strerror (rc));
        return false;
    }
    return tsg_schema_supported (schema, *version, err, err_size);
}

int
tsg_schema_open (int (*open) (const char *dir, size_t map_size, tsg_store_t **out), const char *dir,
                 size_t map_size, const tsg_schema_t *schema, const char *backup_parent,
                 tsg_store_t **out, char *err, size_t err_size)
{
    tsg_store_t *store = NULL;
    int rc = open (dir, map_size, &store);
    if (rc != TSG_OK) {
        snprintf (err, err_size, "cannot open the %s store in %s: %s", schema->name, dir,
                  tsg_strerror (rc));
        return rc;
    }
    rc = tsg_schema_migrate (store, schema, backup_parent, NULL, err, err_size);
    if (rc != TSG_OK) {
        tsg_store_destroy (&store);
        return rc;
    }
    *out = store;
    return TSG_OK;
}
