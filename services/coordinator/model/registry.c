/* registry.c — the coordinator's store and its registry of agencies: opening the store and
 * reading the registry (its one writer is coordinator/model/registry_write.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/store.h"
#include "tsunagu/tsunagu.h"

int
tsg_hub_store_open (const char *data_dir, size_t map_size, tsg_store_t **out)
{
    static const char *const names[TSG_HUB_DB_COUNT] = {
        [TSG_HUB_DB_META] = "meta",
        [TSG_HUB_DB_AGENCIES] = "agencies",
        [TSG_HUB_DB_MAILBOX] = "mailbox",
        [TSG_HUB_DB_MESSAGES] = "messages",
        [TSG_HUB_DB_SENDERS] = "senders",
        [TSG_HUB_DB_REFERRALS] = "referrals",
        [TSG_HUB_DB_DUE] = "due",
        [TSG_HUB_DB_CASES] = "cases",
        [TSG_HUB_DB_CASE_EVENTS] = "case_events",
        [TSG_HUB_DB_CASE_BY_STATE] = "case_by_state",
        [TSG_HUB_DB_CASE_BY_AGENCY] = "case_by_agency",
        [TSG_HUB_DB_CASE_BY_TAG] = "case_by_tag",
        [TSG_HUB_DB_STATS] = "stats",
        [TSG_HUB_DB_CONSENTS] = "consents",
        [TSG_HUB_DB_CONSENT_INDEX] = "consent_index",
        [TSG_HUB_DB_ALERTS] = "alerts",
        [TSG_HUB_DB_CASE_ORDER] = "case_order",
        [TSG_HUB_DB_CASE_DUE] = "case_due",
        [TSG_HUB_DB_USERS] = "users",
        [TSG_HUB_DB_REPORTS] = "reports",
    };
    char dir[4096];
    if (snprintf (dir, sizeof dir, "%s/store", data_dir) >= (int) sizeof dir)
        return TSG_ERR_BAD_INPUT;
    return tsg_store_open (dir, map_size ? map_size : (size_t) 1 << 30, names, TSG_HUB_DB_COUNT,
                           out);
}

uint64_t
tsg_registry_generation (tsg_txn_t *txn)
{
    MDB_val val;
    MDB_dbi meta = tsg_store_db (txn->store, TSG_HUB_DB_META);
    if (!tsg_txn_get (txn, meta, TSG_REGISTRY_GENERATION_KEY, strlen (TSG_REGISTRY_GENERATION_KEY),
                      &val)
        || val.mv_size != 8)
        return 0;
    return tsg_be64_get (val.mv_data);
}

Tsunagu__V1__AgencyEntry *
tsg_registry_get (tsg_txn_t *txn, const char *id)
{
    MDB_val val;
    MDB_dbi agencies = tsg_store_db (txn->store, TSG_HUB_DB_AGENCIES);
    /* An empty or overlong key is no agency's, and LMDB would fail the transaction for it. */
    if (!id || !*id || strlen (id) > TSG_ID_MAX
        || !tsg_txn_get (txn, agencies, id, strlen (id), &val))
        return NULL;
    return tsunagu__v1__agency_entry__unpack (NULL, val.mv_size, val.mv_data);
}

int
tsg_registry_list (tsg_txn_t *txn, Tsunagu__V1__AgencyEntry ***entries, size_t *count)
{
    MDB_dbi agencies = tsg_store_db (txn->store, TSG_HUB_DB_AGENCIES);
    size_t capacity = tsg_txn_count (txn, agencies) + 1;
    Tsunagu__V1__AgencyEntry **list = calloc (capacity, sizeof *list);
    if (!list)
        return TSG_ERR_NOMEM;
    size_t n = 0;
    tsg_iter_t it;
    for (tsg_iter_begin (txn, agencies, &it, NULL, 0); it.valid && n < capacity;
         tsg_iter_next (&it)) {
        Tsunagu__V1__AgencyEntry *entry =
            tsunagu__v1__agency_entry__unpack (NULL, it.val.mv_size, it.val.mv_data);
        if (entry)
            list[n++] = entry;
    }
    tsg_iter_end (&it);
    if (txn->rc != TSG_OK) {
        tsg_registry_free_list (list, n);
        return txn->rc;
    }
    *entries = list;
    *count = n;
    return TSG_OK;
}

void
tsg_registry_free_list (Tsunagu__V1__AgencyEntry **entries, size_t count)
{
    if (!entries)
        return;
    for (size_t i = 0; i < count; i++)
        tsunagu__v1__agency_entry__free_unpacked (entries[i], NULL);
    free (entries);
}
