/* stats_write.c — changing the STATS counters, inside the batch's transaction (stats.h). */
#include <stdio.h>
#include <string.h>
#include "coordinator/model/store.h"
#include "coordinator/model/stats.h"

void
tsg_hub_stat_add (tsg_txn_t *txn, const char *name, int64_t delta)
{
    if (delta == 0 || txn->rc != TSG_OK)
        return;
    MDB_dbi db = tsg_store_db (txn->store, TSG_HUB_DB_STATS);
    uint64_t value = tsg_hub_stat_get (txn, name);
    if (delta < 0)
        value = (uint64_t) -delta > value ? 0 : value - (uint64_t) -delta;
    else
        value += (uint64_t) delta;
    uint8_t buf[8];
    tsg_be64_put (buf, value);
    tsg_txn_put (txn, db, name, strlen (name), buf, sizeof buf);
}

void
tsg_hub_stat_add2 (tsg_txn_t *txn, const char *prefix, const char *suffix, int64_t delta)
{
    char name[TSG_HUB_STAT_NAME_MAX];
    snprintf (name, sizeof name, "%s%s", prefix, suffix);
    tsg_hub_stat_add (txn, name, delta);
}
