/* due_upgrade_write.c — DUE entries written before their values named the recipient get it
 * (referrals.h: tsg_hub_due_recipients), so the overview counts overdue letters by recipient
 * from the index alone.  Once per store, in one transaction: META "due.recipients" says it
 * was done (the coordinator's schema 3, schema_write.c). */
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/layout.h"
#include "coordinator/model/referrals.h"
#include "coordinator/model/store.h"

#define DUE_META  "due.recipients"
#define DUE_BATCH 2000

/* Rewrites up to DUE_BATCH entries without a recipient after the key from (from_len 0: the
 * first) in txn; *done when none is left, *count counts them. */
static void
s_batch (tsg_txn_t *txn, uint8_t (*keys)[TSG_HUB_DUE_KEY_LEN], uint8_t from[TSG_HUB_DUE_KEY_LEN],
         size_t *from_len, bool *done, size_t *count)
{
    size_t n = 0, scanned = 0;
    MDB_dbi due = tsg_store_db (txn->store, TSG_HUB_DB_DUE);
    tsg_iter_t it;
    for (tsg_iter_begin (txn, due, &it, *from_len ? from : NULL, *from_len);
         it.valid && n < DUE_BATCH && scanned < 50 * DUE_BATCH; tsg_iter_next (&it)) {
        scanned++;
        if (it.key.mv_size != TSG_HUB_DUE_KEY_LEN
            || (*from_len && memcmp (it.key.mv_data, from, *from_len) == 0))
            continue;
        memcpy (from, it.key.mv_data, TSG_HUB_DUE_KEY_LEN);
        *from_len = TSG_HUB_DUE_KEY_LEN;
        if (it.val.mv_size == 36)
            memcpy (keys[n++], it.key.mv_data, TSG_HUB_DUE_KEY_LEN);
    }
    *done = !it.valid || txn->rc != TSG_OK;
    tsg_iter_end (&it);
    for (size_t i = 0; i < n; i++) {
        char referral_id[TSG_UUID_TEXT_SIZE];
        memcpy (referral_id, keys[i] + 9, 36);
        referral_id[36] = '\0';
        tsg_hub_referral_t ref;
        if (!tsg_hub_referral_get (txn, referral_id, &ref))
            continue;
        uint8_t value[36 + TSG_ID_MAX];
        size_t to = strnlen (ref.recipient, TSG_ID_MAX);
        memcpy (value, ref.case_id, 36);
        memcpy (value + 36, ref.recipient, to);
        tsg_txn_put (txn, due, keys[i], TSG_HUB_DUE_KEY_LEN, value, 36 + to);
        (*count)++;
    }
}

void
tsg_hub_due_recipients (tsg_txn_t *txn, size_t *rewritten)
{
    MDB_val val;
    MDB_dbi meta = tsg_store_db (txn->store, TSG_HUB_DB_META);
    if (txn->rc != TSG_OK || tsg_txn_get (txn, meta, DUE_META, strlen (DUE_META), &val))
        return;
    uint8_t (*keys)[TSG_HUB_DUE_KEY_LEN] = malloc (DUE_BATCH * sizeof *keys);
    if (!keys)
        txn->rc = TSG_ERR_NOMEM;
    size_t count = 0;
    uint8_t from[TSG_HUB_DUE_KEY_LEN];
    size_t from_len = 0;
    for (bool done = txn->rc != TSG_OK; !done;)
        s_batch (txn, keys, from, &from_len, &done, &count);
    free (keys);
    tsg_txn_put (txn, meta, DUE_META, strlen (DUE_META), "1", 1);
    if (txn->rc == TSG_OK && count)
        log_info ("store: %zu overdue-list entries now name their recipient", count);
    if (rewritten)
        *rewritten += count;
}

int
tsg_hub_due_upgrade (tsg_store_t *store, size_t *rewritten)
{
    if (rewritten)
        *rewritten = 0;
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, true);
    tsg_hub_due_recipients (&txn, rewritten);
    return tsg_txn_commit (&txn);
}
