/* case_upgrade_write.c — building CASE_ORDER and CASE_DUE in a store written before they
 * existed: every case record rewritten in the current format with its entries, then the
 * CASE_DUE twin of every DUE entry, in one transaction (cases.h: tsg_hub_case_index_build;
 * the coordinator's schema 2, schema_write.c). */
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/store.h"
#include "coordinator/model/layout.h"
#include "coordinator/model/cases.h"
#include "coordinator/model/referrals.h"

#define BATCH 2000 /* records read ahead of their rewrite */

/* True when META says the indices are built. */
static bool
s_built (tsg_txn_t *txn)
{
    MDB_val val;
    MDB_dbi meta = tsg_store_db (txn->store, TSG_HUB_DB_META);
    return tsg_txn_get (txn, meta, TSG_HUB_CASE_ORDER_META, strlen (TSG_HUB_CASE_ORDER_META), &val)
           && val.mv_size == 8 && tsg_be64_get (val.mv_data) >= TSG_HUB_CASE_ORDER_VERSION;
}

/* Rewrites up to BATCH cases after *last (NUL-terminated id, "" at first) in txn; *done at
 * the end. */
static void
s_cases_batch (tsg_txn_t *txn, tsg_hub_case_t *c, char (*ids)[TSG_UUID_TEXT_SIZE],
               char last[TSG_UUID_TEXT_SIZE], bool *done, size_t *count)
{
    /* The ids first (the rewrite changes the tree under a cursor), then the records. */
    size_t n = 0;
    tsg_iter_t it;
    for (tsg_iter_begin (txn, tsg_store_db (txn->store, TSG_HUB_DB_CASES), &it,
                         last[0] ? last : NULL, strlen (last));
         it.valid && n < BATCH; tsg_iter_next (&it)) {
        if (it.key.mv_size != TSG_HUB_CASE_ID_LEN
            || (last[0] && memcmp (it.key.mv_data, last, TSG_HUB_CASE_ID_LEN) == 0))
            continue;
        memcpy (ids[n], it.key.mv_data, TSG_HUB_CASE_ID_LEN);
        ids[n++][TSG_HUB_CASE_ID_LEN] = '\0';
    }
    tsg_iter_end (&it);
    for (size_t i = 0; i < n; i++)
        if (tsg_hub_case_get (txn, ids[i], c))
            tsg_hub_case_rewrite (txn, c);
    *done = n < BATCH || txn->rc != TSG_OK;
    if (n)
        memcpy (last, ids[n - 1], TSG_UUID_TEXT_SIZE);
    *count += n;
}

/* Gives up to BATCH DUE entries after *from (len 0 at first) their CASE_DUE twins. */
static void
s_due_batch (tsg_txn_t *txn, uint8_t (*keys)[TSG_HUB_DUE_KEY_LEN + 36],
             uint8_t from[TSG_HUB_DUE_KEY_LEN], size_t *from_len, bool *done)
{
    size_t n = 0;
    tsg_iter_t it;
    for (tsg_iter_begin (txn, tsg_store_db (txn->store, TSG_HUB_DB_DUE), &it,
                         *from_len ? from : NULL, *from_len);
         it.valid && n < BATCH; tsg_iter_next (&it)) {
        if (it.key.mv_size != TSG_HUB_DUE_KEY_LEN || it.val.mv_size < 36
            || (*from_len && memcmp (it.key.mv_data, from, *from_len) == 0))
            continue;
        memcpy (keys[n], it.key.mv_data, TSG_HUB_DUE_KEY_LEN);
        memcpy (keys[n++] + TSG_HUB_DUE_KEY_LEN, it.val.mv_data, 36);
    }
    tsg_iter_end (&it);
    for (size_t i = 0; i < n; i++) {
        char case_id[TSG_UUID_TEXT_SIZE], referral_id[TSG_UUID_TEXT_SIZE];
        memcpy (case_id, keys[i] + TSG_HUB_DUE_KEY_LEN, 36);
        case_id[36] = '\0';
        memcpy (referral_id, keys[i] + 9, 36);
        referral_id[36] = '\0';
        tsg_hub_case_due_note (txn, case_id, tsg_be64_get (keys[i] + 1), keys[i][0], referral_id,
                               true);
    }
    *done = n < BATCH || txn->rc != TSG_OK;
    if (n) {
        memcpy (from, keys[n - 1], TSG_HUB_DUE_KEY_LEN);
        *from_len = TSG_HUB_DUE_KEY_LEN;
    }
}

void
tsg_hub_case_index_build (tsg_txn_t *txn, size_t *rebuilt)
{
    if (txn->rc != TSG_OK || s_built (txn))
        return;
    tsg_hub_case_t *c = malloc (sizeof *c);
    char (*ids)[TSG_UUID_TEXT_SIZE] = malloc (BATCH * sizeof *ids);
    uint8_t (*keys)[TSG_HUB_DUE_KEY_LEN + 36] = malloc (BATCH * sizeof *keys);
    if (!c || !ids || !keys)
        txn->rc = TSG_ERR_NOMEM;
    size_t count = 0;
    char last[TSG_UUID_TEXT_SIZE] = "";
    for (bool done = txn->rc != TSG_OK; !done;)
        s_cases_batch (txn, c, ids, last, &done, &count);
    uint8_t from[TSG_HUB_DUE_KEY_LEN];
    size_t from_len = 0;
    for (bool done = txn->rc != TSG_OK; !done;)
        s_due_batch (txn, keys, from, &from_len, &done);
    free (keys);
    free (ids);
    free (c);
    uint8_t version[8];
    tsg_be64_put (version, TSG_HUB_CASE_ORDER_VERSION);
    tsg_txn_put (txn, tsg_store_db (txn->store, TSG_HUB_DB_META), TSG_HUB_CASE_ORDER_META,
                 strlen (TSG_HUB_CASE_ORDER_META), version, sizeof version);
    if (txn->rc == TSG_OK && count)
        log_info ("store: %zu cases indexed for listing (case_order)", count);
    if (rebuilt)
        *rebuilt += count;
}

int
tsg_hub_case_index_upgrade (tsg_store_t *store, size_t *rebuilt)
{
    if (rebuilt)
        *rebuilt = 0;
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, true);
    tsg_hub_case_index_build (&txn, rebuilt);
    return tsg_txn_commit (&txn);
}
