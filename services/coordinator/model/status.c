/* status.c — the store's part of `tsunaguctl status` (status.h). */
#include <string.h>

#include "coordinator/model/audit.h"
#include "coordinator/model/schema.h"
#include "coordinator/model/rotation.h"
#include "coordinator/model/status.h"
#include "coordinator/model/store.h"
#include "coordinator/model/views.h"

/* MAILBOX values (mailbox.c): u8 format | u8 kind | 16-byte id | be64 stored_at_ms | ... */
#define STORED_AT_OFFSET 18

uint64_t
tsg_hub_mailbox_oldest_ms (tsg_txn_t *txn, const char *agency)
{
    size_t len = strnlen (agency, TSG_ID_MAX + 1);
    if (len == 0 || len > TSG_ID_MAX)
        return 0;
    uint8_t prefix[TSG_ID_MAX + 1];
    memcpy (prefix, agency, len);
    prefix[len] = '\0';
    uint64_t at = 0;
    tsg_iter_t it;
    tsg_iter_begin (txn, tsg_store_db (txn->store, TSG_HUB_DB_MAILBOX), &it, prefix, len + 1);
    if (it.valid && it.key.mv_size == len + 1 + 8 && memcmp (it.key.mv_data, prefix, len + 1) == 0
        && it.val.mv_size >= STORED_AT_OFFSET + 8)
        at = tsg_be64_get ((const uint8_t *) it.val.mv_data + STORED_AT_OFFSET);
    tsg_iter_end (&it);
    return at;
}

json_t *
tsg_hub_view_status (tsg_txn_t *txn, json_t *agencies)
{
    for (size_t i = 0; i < json_array_size (agencies); i++) {
        json_t *entry = json_array_get (agencies, i);
        const char *id = json_string_value (json_object_get (entry, "id"));
        uint64_t oldest = id ? tsg_hub_mailbox_oldest_ms (txn, id) : 0;
        json_object_set_new (entry, "mailbox_oldest_at", tsg_hub_json_time (oldest));
    }
    size_t used = 0, map = 0;
    int rc = tsg_store_usage (txn->store, &used, &map);
    if (rc != TSG_OK && txn->rc == TSG_OK)
        txn->rc = rc;
    unsigned schema = 0;
    rc = tsg_hub_schema_version (txn->store, &schema);
    if (rc != TSG_OK && rc != TSG_ERR_BAD_INPUT && txn->rc == TSG_OK)
        txn->rc = rc;
    tsg_hub_audit_head_t head;
    tsg_hub_audit_head_get (txn, &head, NULL);
    uint64_t serial = tsg_registry_generation (txn);
    tsg_hub_rotation_t rotation;
    if (!tsg_hub_rotation_get (txn, &rotation))
        rotation.state = TSG_HUB_ROTATION_NONE;
    if (txn->rc != TSG_OK)
        return NULL;
    return json_pack ("{s:{s:I, s:I, s:I, s:i, s:i}, s:{s:I, s:I}, s:I, s:o}", "store",
                      "used_bytes", (json_int_t) used, "map_bytes", (json_int_t) map,
                      "used_percent", (json_int_t) (map ? (uint64_t) used * 100 / map : 0),
                      "schema", (int) schema, "schema_current", TSG_HUB_SCHEMA, "audit", "seq",
                      (json_int_t) head.seq, "offset", (json_int_t) head.offset, "registry_serial",
                      (json_int_t) serial, "coordinator_keys", tsg_hub_rotation_json (&rotation));
}
