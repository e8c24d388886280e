/* Opens the agency daemon's LMDB store and reads and writes its meta counters. */
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsunagu.h"
#include "agency/records/store.h"

static const char *const s_db_names[AGENCY_DB_COUNT] = {
    "meta",       "outbox",   "sent",  "msgref",      "clientref", "inbox",        "seen",
    "quarantine", "received", "cases", "case_events", "consents",  "consent_data", "events",
};

int
agency_store_open (const char *dir, size_t map_size, tsg_store_t **out)
{
    return tsg_store_open (dir, map_size, s_db_names, AGENCY_DB_COUNT, out);
}

uint64_t
agency_meta_get_u64 (tsg_txn_t *txn, const char *key, uint64_t dflt)
{
    MDB_val val;
    if (!tsg_txn_get (txn, tsg_store_db (txn->store, AGENCY_DB_META), key, strlen (key), &val))
        return dflt;
    if (val.mv_size != 8)
        return dflt;
    return tsg_be64_get (val.mv_data);
}

void
agency_meta_put_u64 (tsg_txn_t *txn, const char *key, uint64_t value)
{
    uint8_t buf[8];
    tsg_be64_put (buf, value);
    tsg_txn_put (txn, tsg_store_db (txn->store, AGENCY_DB_META), key, strlen (key), buf, 8);
}

json_t *
agency_store_get_json (tsg_txn_t *txn, int db, const void *key, size_t key_len)
{
    MDB_val val;
    if (!tsg_txn_get (txn, tsg_store_db (txn->store, db), key, key_len, &val))
        return NULL;
    json_error_t error;
    json_t *value = json_loadb (val.mv_data, val.mv_size, 0, &error);
    if (!value)
        log_warnx ("store: a record of %zu bytes is unreadable: %s", val.mv_size, error.text);
    return value;
}

void
agency_store_put_json (tsg_txn_t *txn, int db, const void *key, size_t key_len, const json_t *value)
{
    char *text = value ? json_dumps (value, JSON_COMPACT) : NULL;
    if (!text) {
        if (txn->rc == TSG_OK)
            txn->rc = TSG_ERR_NOMEM;
        return;
    }
    tsg_txn_put (txn, tsg_store_db (txn->store, db), key, key_len, text, strlen (text));
    free (text);
}
