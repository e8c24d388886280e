/* Opens the agency daemon's LMDB store and reads and writes its meta counters. */
#include <string.h>

#include "tsunagu/tsunagu.h"
#include "store.h"

static const char *const s_db_names[AGENCY_DB_COUNT] = {
    "meta", "outbox", "sent", "msgref", "clientref", "inbox", "seen", "quarantine",
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
