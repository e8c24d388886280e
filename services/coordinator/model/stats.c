/* stats.c — counters in the STATS database: name → be64, changed inside the batch's
 * transaction so they move exactly with the records they count. */
#include <stdio.h>
#include <string.h>

#include "coordinator/model/store.h"
#include "coordinator/model/stats.h"

uint64_t
tsg_hub_stat_get (tsg_txn_t *txn, const char *name)
{
    MDB_val val;
    MDB_dbi db = tsg_store_db (txn->store, TSG_HUB_DB_STATS);
    if (!tsg_txn_get (txn, db, name, strlen (name), &val) || val.mv_size != 8)
        return 0;
    return tsg_be64_get (val.mv_data);
}

uint64_t
tsg_hub_stat_get2 (tsg_txn_t *txn, const char *prefix, const char *suffix)
{
    char name[TSG_HUB_STAT_NAME_MAX];
    snprintf (name, sizeof name, "%s%s", prefix, suffix);
    return tsg_hub_stat_get (txn, name);
}
