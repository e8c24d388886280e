/* inbox_store.c — the inbox table (its layout in inbox_store.h). */
#include <stdlib.h>
#include <string.h>

#include "agency/records/inbox_store.h"
#include "agency/records/store.h"

void
agency_inbox_store_put (tsg_txn_t *txn, uint64_t cursor, const agency_entry_t *sender,
                        const uint8_t *data, size_t len, uint64_t received_ms)
{
    size_t type_len = strlen (sender->type);
    size_t name_len = strlen (sender->name);
    if (name_len > 0xffff)
        name_len = 0xffff;
    size_t size = 8 + 32 + 1 + type_len + 2 + name_len + len;
    uint8_t *value = malloc (size);
    if (!value) {
        if (txn->rc == TSG_OK)
            txn->rc = TSG_ERR_NOMEM;
        return;
    }
    uint8_t *p = value;
    tsg_be64_put (p, received_ms);
    p += 8;
    memcpy (p, sender->box_public, 32);
    p += 32;
    *p++ = (uint8_t) type_len;
    memcpy (p, sender->type, type_len);
    p += type_len;
    *p++ = (uint8_t) (name_len >> 8);
    *p++ = (uint8_t) name_len;
    memcpy (p, sender->name, name_len);
    p += name_len;
    memcpy (p, data, len);

    uint8_t key[8];
    tsg_be64_put (key, cursor);
    tsg_txn_put (txn, tsg_store_db (txn->store, AGENCY_DB_INBOX), key, sizeof key, value, size);
    free (value);
}

bool
agency_inbox_store_parse (const MDB_val *val, agency_inbox_entry_t *out)
{
    const uint8_t *p = val->mv_data;
    size_t left = val->mv_size;
    memset (out, 0, sizeof *out);
    if (left < 8 + 32 + 1)
        return false;
    out->received_at = tsg_be64_get (p);
    out->box = p + 8;
    p += 40;
    left -= 40;
    size_t type_len = *p++;
    left--;
    if (type_len > TSG_ID_MAX || left < type_len + 2)
        return false;
    memcpy (out->type, p, type_len);
    out->type[type_len] = '\0';
    p += type_len;
    left -= type_len;
    size_t name_len = ((size_t) p[0] << 8) | p[1];
    p += 2;
    left -= 2;
    if (left < name_len)
        return false;
    out->name = strndup ((const char *) p, name_len);
    out->frame = p + name_len;
    out->frame_len = left - name_len;
    return out->name != NULL;
}
