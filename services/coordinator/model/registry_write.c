/* registry_write.c — the one writer of the registry of agencies, inside a write transaction of
 * the coordinator (an administrator's change through the control socket, daemon/admin.c). */
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/store.h"
#include "tsunagu/tsunagu.h"

void
tsg_registry_put (tsg_txn_t *txn, const Tsunagu__V1__AgencyEntry *entry)
{
    if (txn->rc != TSG_OK)
        return;
    size_t len = tsunagu__v1__agency_entry__get_packed_size (entry);
    uint8_t *buf = malloc (len ? len : 1);
    if (!buf) {
        txn->rc = TSG_ERR_NOMEM;
        return;
    }
    tsunagu__v1__agency_entry__pack (entry, buf);
    MDB_dbi agencies = tsg_store_db (txn->store, TSG_HUB_DB_AGENCIES);
    tsg_txn_put (txn, agencies, entry->id, strlen (entry->id), buf, len);
    free (buf);

    tsg_registry_touch (txn);
}

void
tsg_registry_touch (tsg_txn_t *txn)
{
    uint8_t generation[8];
    tsg_be64_put (generation, tsg_registry_generation (txn) + 1);
    tsg_txn_put (txn, tsg_store_db (txn->store, TSG_HUB_DB_META), TSG_REGISTRY_GENERATION_KEY,
                 strlen (TSG_REGISTRY_GENERATION_KEY), generation, 8);
}

bool
tsg_registry_switch_keys (tsg_txn_t *txn, const char *id)
{
    Tsunagu__V1__AgencyEntry *entry = tsg_registry_get (txn, id);
    if (!entry)
        return false;
    bool rotating = entry->next_box_public.len == 32 && entry->next_sign_public.len == 32;
    if (rotating) {
        /* The unpacked entry owns its buffers: point the fields around, write, put them back
         * before it is freed. */
        Tsunagu__V1__AgencyEntry saved = *entry;
        entry->previous_box_public = saved.box_public;
        entry->previous_sign_public = saved.sign_public;
        entry->box_public = saved.next_box_public;
        entry->sign_public = saved.next_sign_public;
        entry->next_box_public = (ProtobufCBinaryData){ 0, NULL };
        entry->next_sign_public = (ProtobufCBinaryData){ 0, NULL };
        entry->rotate_deadline_ms = 0;
        entry->keys_switched_at_ms = tsg_now_ms ();
        tsg_registry_put (txn, entry);
        *entry = saved;
    }
    tsunagu__v1__agency_entry__free_unpacked (entry, NULL);
    return rotating;
}

bool
tsg_registry_set_batch_proofs (tsg_txn_t *txn, const char *id, bool verifies)
{
    Tsunagu__V1__AgencyEntry *entry = tsg_registry_get (txn, id);
    if (!entry)
        return false;
    bool changed = entry->batch_proofs != verifies;
    if (changed) {
        entry->batch_proofs = verifies;
        tsg_registry_put (txn, entry);
    }
    tsunagu__v1__agency_entry__free_unpacked (entry, NULL);
    return changed;
}
