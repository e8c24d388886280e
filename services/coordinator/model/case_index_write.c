/* case_index_write.c — keeping CASE_ORDER and CASE_DUE in step with the cases and their
 * referrals (layouts in case_index.c). */
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/store.h"
#include "coordinator/model/layout.h"
#include "coordinator/model/cases.h"

#define FACETS_MAX (5 + TSG_HUB_CASE_AGENCIES_MAX + TSG_HUB_CASE_TAGS_MAX + TSG_HUB_CASE_TYPES_MAX)
#define ORDERS     3

static const uint8_t s_orders[ORDERS] = { TSG_HUB_ORDER_ID, TSG_HUB_ORDER_UPDATED,
                                          TSG_HUB_ORDER_CREATED };

/* The entries of one case. */
typedef struct {
    size_t n;                                                 /* keys in use */
    uint8_t keys[FACETS_MAX * ORDERS][TSG_HUB_ORDER_KEY_MAX]; /* each key */
    size_t lens[FACETS_MAX * ORDERS];                         /* its length */
} s_entries_t;

/* Adds facet = value in every order for c. */
static void
s_add (s_entries_t *e, const tsg_hub_case_t *c, uint8_t facet, const char *value)
{
    for (int i = 0; i < ORDERS && e->n < FACETS_MAX * ORDERS; i++) {
        uint64_t sort_key = s_orders[i] == TSG_HUB_ORDER_UPDATED   ? c->updated_at_ms
                            : s_orders[i] == TSG_HUB_ORDER_CREATED ? c->created_at_ms
                                                                   : 0;
        e->lens[e->n] =
            tsg_hub_case_order_key (s_orders[i], facet, value, sort_key, c->id, e->keys[e->n]);
        e->n++;
    }
}

/* True when the case has a CASE_DUE entry. */
static bool
s_awaiting (tsg_txn_t *txn, const char *case_id)
{
    tsg_iter_t it;
    tsg_iter_begin (txn, tsg_store_db (txn->store, TSG_HUB_DB_CASE_DUE), &it, case_id,
                    TSG_HUB_CASE_ID_LEN);
    bool found = it.valid && it.key.mv_size == TSG_HUB_CASE_DUE_KEY_LEN
                 && memcmp (it.key.mv_data, case_id, TSG_HUB_CASE_ID_LEN) == 0;
    tsg_iter_end (&it);
    return found;
}

/* Every entry of c: its facets in the three orders. */
static void
s_collect (s_entries_t *e, const tsg_hub_case_t *c, const char types[][TSG_HUB_CASE_TYPE_MAX],
           size_t n_types, bool awaiting)
{
    e->n = 0;
    s_add (e, c, TSG_HUB_FACET_ALL, "");
    s_add (e, c, TSG_HUB_FACET_STATE, tsg_case_state_name (c->state));
    for (size_t i = 0; i < c->n_agencies; i++)
        s_add (e, c, TSG_HUB_FACET_AGENCY, c->agencies[i]);
    for (size_t i = 0; i < c->n_tags; i++)
        s_add (e, c, TSG_HUB_FACET_TAG, c->tags[i]);
    for (size_t i = 0; i < n_types; i++)
        if (types[i][0])
            s_add (e, c, TSG_HUB_FACET_TYPE, types[i]);
    if (c->withheld)
        s_add (e, c, TSG_HUB_FACET_WITHHELD, "");
    if (awaiting)
        s_add (e, c, TSG_HUB_FACET_AWAITING, "");
    if (c->handed_over)
        s_add (e, c, TSG_HUB_FACET_HANDOVER, "");
}

static bool
s_contains (const s_entries_t *e, const uint8_t *key, size_t len)
{
    for (size_t i = 0; i < e->n; i++)
        if (e->lens[i] == len && memcmp (e->keys[i], key, len) == 0)
            return true;
    return false;
}

void
tsg_hub_case_order_sync (tsg_txn_t *txn, const tsg_hub_case_t *old, const tsg_hub_case_t *c,
                         const char types[][TSG_HUB_CASE_TYPE_MAX], size_t n_types)
{
    if (txn->rc != TSG_OK)
        return;
    s_entries_t *now = malloc (sizeof *now);
    s_entries_t *was = old ? malloc (sizeof *was) : NULL;
    if (!now || (old && !was)) {
        free (now);
        free (was);
        txn->rc = TSG_ERR_NOMEM;
        return;
    }
    MDB_dbi db = tsg_store_db (txn->store, TSG_HUB_DB_CASE_ORDER);
    bool awaiting = s_awaiting (txn, c->id);
    s_collect (now, c, types, n_types, awaiting);
    if (old) {
        /* What the old entries were: the old record's types, and "awaiting" as CASE_DUE
         * says (its entries follow the record stored when it changed). */
        s_collect (was, old, old->types, old->n_types, true);
        for (size_t i = 0; i < was->n; i++)
            if (!s_contains (now, was->keys[i], was->lens[i]))
                tsg_txn_del (txn, db, was->keys[i], was->lens[i]);
    }
    uint8_t summary[TSG_HUB_ORDER_SUMMARY_LEN];
    tsg_hub_case_order_summary (c, summary);
    for (size_t i = 0; i < now->n; i++)
        tsg_txn_put (txn, db, now->keys[i], now->lens[i], summary, sizeof summary);
    free (now);
    free (was);
}

void
tsg_hub_case_due_note (tsg_txn_t *txn, const char *case_id, uint64_t due_ms, int kind,
                       const char *referral_id, bool present)
{
    if (txn->rc != TSG_OK || !tsg_uuid_valid (case_id) || !tsg_uuid_valid (referral_id))
        return;
    uint8_t key[TSG_HUB_CASE_DUE_KEY_LEN];
    memcpy (key, case_id, TSG_HUB_CASE_ID_LEN);
    tsg_be64_put (key + TSG_HUB_CASE_ID_LEN, due_ms);
    key[TSG_HUB_CASE_ID_LEN + 8] = (uint8_t) kind;
    memcpy (key + TSG_HUB_CASE_ID_LEN + 9, referral_id, TSG_HUB_CASE_ID_LEN);
    MDB_dbi db = tsg_store_db (txn->store, TSG_HUB_DB_CASE_DUE);
    bool before = s_awaiting (txn, case_id);
    if (present)
        tsg_txn_put (txn, db, key, sizeof key, "", 0);
    else
        tsg_txn_del (txn, db, key, sizeof key);
    bool after = s_awaiting (txn, case_id);
    tsg_hub_case_t *c = before != after ? malloc (sizeof *c) : NULL;
    if (c && tsg_hub_case_get (txn, case_id, c)) {
        /* The case's "awaiting" entries come or go, in its stored record's places. */
        MDB_dbi order = tsg_store_db (txn->store, TSG_HUB_DB_CASE_ORDER);
        uint8_t summary[TSG_HUB_ORDER_SUMMARY_LEN];
        tsg_hub_case_order_summary (c, summary);
        for (int i = 0; i < ORDERS; i++) {
            uint64_t sort_key = s_orders[i] == TSG_HUB_ORDER_UPDATED   ? c->updated_at_ms
                                : s_orders[i] == TSG_HUB_ORDER_CREATED ? c->created_at_ms
                                                                       : 0;
            uint8_t k[TSG_HUB_ORDER_KEY_MAX];
            size_t len = tsg_hub_case_order_key (s_orders[i], TSG_HUB_FACET_AWAITING, "", sort_key,
                                                 case_id, k);
            if (after)
                tsg_txn_put (txn, order, k, len, summary, sizeof summary);
            else
                tsg_txn_del (txn, order, k, len);
        }
    }
    else if (before != after && !c)
        txn->rc = TSG_ERR_NOMEM;
    free (c);
}
