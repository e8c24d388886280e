/* rotation.c — the coordinator's key rotation record: its layout and reading (rotation.h).
 *
 * Layout (186 bytes): u8 version (1), u8 state, be64 announced_at_ms, be64 switch_by_ms,
 * be64 switched_at_ms, next_box, next_sign, previous_box, previous_sign (32 bytes each). */
#include <string.h>

#include "coordinator/model/rotation.h"
#include "coordinator/model/store.h"

#define LAYOUT_VERSION 1

void
tsg_hub_rotation_encode (const tsg_hub_rotation_t *self, uint8_t out[TSG_HUB_ROTATION_SIZE])
{
    out[0] = LAYOUT_VERSION;
    out[1] = (uint8_t) self->state;
    tsg_be64_put (out + 2, self->announced_at_ms);
    tsg_be64_put (out + 10, self->switch_by_ms);
    tsg_be64_put (out + 18, self->switched_at_ms);
    memcpy (out + 26, self->next_box, 32);
    memcpy (out + 58, self->next_sign, 32);
    memcpy (out + 90, self->previous_box, 32);
    memcpy (out + 122, self->previous_sign, 32);
    memset (out + 154, 0, TSG_HUB_ROTATION_SIZE - 154); /* room for what comes later */
}

bool
tsg_hub_rotation_decode (const uint8_t *data, size_t len, tsg_hub_rotation_t *out)
{
    if (!data || len != TSG_HUB_ROTATION_SIZE || data[0] != LAYOUT_VERSION
        || (data[1] != TSG_HUB_ROTATION_ANNOUNCED && data[1] != TSG_HUB_ROTATION_SWITCHED))
        return false;
    memset (out, 0, sizeof *out);
    out->state = (tsg_hub_rotation_state_t) data[1];
    out->announced_at_ms = tsg_be64_get (data + 2);
    out->switch_by_ms = tsg_be64_get (data + 10);
    out->switched_at_ms = tsg_be64_get (data + 18);
    memcpy (out->next_box, data + 26, 32);
    memcpy (out->next_sign, data + 58, 32);
    memcpy (out->previous_box, data + 90, 32);
    memcpy (out->previous_sign, data + 122, 32);
    return true;
}

bool
tsg_hub_rotation_get (tsg_txn_t *txn, tsg_hub_rotation_t *out)
{
    memset (out, 0, sizeof *out);
    MDB_val val;
    if (!tsg_txn_get (txn, tsg_store_db (txn->store, TSG_HUB_DB_META), TSG_HUB_ROTATION_KEY,
                      strlen (TSG_HUB_ROTATION_KEY), &val))
        return txn->rc == TSG_OK;
    return tsg_hub_rotation_decode (val.mv_data, val.mv_size, out);
}

bool
tsg_hub_rotation_due (const tsg_hub_rotation_t *self, bool all_hold, uint64_t now_ms)
{
    return self->state == TSG_HUB_ROTATION_ANNOUNCED && (all_hold || now_ms >= self->switch_by_ms);
}

json_t *
tsg_hub_rotation_json (const tsg_hub_rotation_t *self)
{
    char key[41], a[32], b[32];
    tsg_key_to_z85 (self->next_sign, key);
    switch (self->state) {
    case TSG_HUB_ROTATION_ANNOUNCED:
        tsg_iso8601 (self->announced_at_ms, a);
        tsg_iso8601 (self->switch_by_ms, b);
        return json_pack ("{s:s, s:s, s:s, s:s}", "state", "announced", "next_sign_public", key,
                          "announced_at", a, "switch_by", b);
    case TSG_HUB_ROTATION_SWITCHED:
        tsg_iso8601 (self->switched_at_ms, a);
        return json_pack ("{s:s, s:s, s:s}", "state", "switched", "sign_public", key, "switched_at",
                          a);
    default: return json_pack ("{s:s}", "state", "none");
    }
}
