/* seen.c — the seen and quarantine tables (layouts in seen.h) and their retention sweep. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agency/records/seen.h"
#include "agency/records/store.h"

#define SEEN_HEAD       17 /* u8 type, be64 cursor, be64 at_ms */
#define SEEN_DETAIL_MAX 160
#define QUARANTINE_META "quarantine."
#define DAY_MS          (24ULL * 3600 * 1000)

void
agency_seen_put (tsg_txn_t *txn, const uint8_t id[TSG_MESSAGE_ID_SIZE],
                 Tsunagu__V1__ReceiptType type, uint64_t cursor, const char *detail, uint64_t at_ms)
{
    uint8_t value[SEEN_HEAD + SEEN_DETAIL_MAX];
    size_t detail_len = detail ? strlen (detail) : 0;
    if (detail_len > SEEN_DETAIL_MAX)
        detail_len = SEEN_DETAIL_MAX;
    value[0] = (uint8_t) type;
    tsg_be64_put (value + 1, cursor);
    tsg_be64_put (value + 9, at_ms);
    if (detail_len)
        memcpy (value + SEEN_HEAD, detail, detail_len);
    tsg_txn_put (txn, tsg_store_db (txn->store, AGENCY_DB_SEEN), id, TSG_MESSAGE_ID_SIZE, value,
                 SEEN_HEAD + detail_len);
}

bool
agency_seen_get (tsg_txn_t *txn, const uint8_t id[TSG_MESSAGE_ID_SIZE],
                 Tsunagu__V1__ReceiptType *type, char *detail, size_t detail_size)
{
    MDB_val val;
    if (!tsg_txn_get (txn, tsg_store_db (txn->store, AGENCY_DB_SEEN), id, TSG_MESSAGE_ID_SIZE, &val)
        || val.mv_size < SEEN_HEAD)
        return false;
    const uint8_t *bytes = val.mv_data;
    *type = bytes[0] == TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED
                ? TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED
                : TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED;
    size_t n = val.mv_size - SEEN_HEAD;
    if (n >= detail_size)
        n = detail_size - 1;
    memcpy (detail, bytes + SEEN_HEAD, n);
    detail[n] = '\0';
    return true;
}

/* The meta key counting sender's quarantine entries. */
static void
s_count_key (const char *sender, char *key, size_t size)
{
    snprintf (key, size, QUARANTINE_META "%.32s", sender && *sender ? sender : "?");
}

bool
agency_quarantine_put (tsg_txn_t *txn, const char *sender, const uint8_t *data, size_t len,
                       const char *reason, uint64_t at_ms)
{
    uint8_t key[32];
    crypto_generichash (key, sizeof key, data, len, NULL, 0);
    MDB_dbi db = tsg_store_db (txn->store, AGENCY_DB_QUARANTINE);
    MDB_val old;
    if (tsg_txn_get (txn, db, key, sizeof key, &old))
        return true; /* the same frame again: kept once */
    char count_key[64];
    s_count_key (sender, count_key, sizeof count_key);
    uint64_t count = agency_meta_get_u64 (txn, count_key, 0);
    if (count >= AGENCY_QUARANTINE_PER_SENDER)
        return false;
    const char *who = sender && *sender ? sender : "?";
    size_t sender_len = strlen (who);
    if (sender_len > TSG_ID_MAX)
        sender_len = TSG_ID_MAX;
    size_t reason_len = strlen (reason);
    if (reason_len > 0xffff)
        reason_len = 0xffff;
    size_t kept = len < AGENCY_QUARANTINE_PREFIX ? len : AGENCY_QUARANTINE_PREFIX;
    size_t size = 8 + 4 + 1 + sender_len + 2 + reason_len + kept;
    uint8_t *value = malloc (size);
    if (!value) {
        if (txn->rc == TSG_OK)
            txn->rc = TSG_ERR_NOMEM;
        return false;
    }
    uint8_t *p = value;
    tsg_be64_put (p, at_ms);
    p += 8;
    uint32_t total = len > UINT32_MAX ? UINT32_MAX : (uint32_t) len;
    *p++ = (uint8_t) (total >> 24);
    *p++ = (uint8_t) (total >> 16);
    *p++ = (uint8_t) (total >> 8);
    *p++ = (uint8_t) total;
    *p++ = (uint8_t) sender_len;
    memcpy (p, who, sender_len);
    p += sender_len;
    *p++ = (uint8_t) (reason_len >> 8);
    *p++ = (uint8_t) reason_len;
    memcpy (p, reason, reason_len);
    p += reason_len;
    memcpy (p, data, kept);
    tsg_txn_put (txn, db, key, sizeof key, value, size);
    free (value);
    agency_meta_put_u64 (txn, count_key, count + 1);
    return true;
}

/* The sender named in a quarantine value, into out. */
static void
s_quarantine_sender (const MDB_val *val, char out[TSG_ID_MAX + 1])
{
    const uint8_t *p = val->mv_data;
    out[0] = '\0';
    if (val->mv_size < 13)
        return;
    size_t n = p[12];
    if (n > TSG_ID_MAX || 13 + n > val->mv_size)
        return;
    memcpy (out, p + 13, n);
    out[n] = '\0';
}

/* Looks at up to AGENCY_PRUNE_EXAMINE records of db from *key on; collects the keys of those
 * whose be64 time at at_offset is before before_ms into doomed.  Moves *key on. */
static size_t
s_sweep (tsg_txn_t *txn, MDB_dbi db, uint8_t *key, size_t *key_len, size_t at_offset,
         uint64_t before_ms, uint8_t doomed[][AGENCY_PRUNE_KEY_MAX], size_t doomed_len[],
         size_t max)
{
    size_t n = 0, seen = 0;
    tsg_iter_t it;
    tsg_iter_begin (txn, db, &it, *key_len ? key : NULL, *key_len);
    for (; it.valid && seen < AGENCY_PRUNE_EXAMINE && n < max; tsg_iter_next (&it), seen++) {
        if (it.key.mv_size > AGENCY_PRUNE_KEY_MAX || it.val.mv_size < at_offset + 8)
            continue;
        uint64_t at = tsg_be64_get ((const uint8_t *) it.val.mv_data + at_offset);
        if (at >= before_ms)
            continue;
        memcpy (doomed[n], it.key.mv_data, it.key.mv_size);
        doomed_len[n++] = it.key.mv_size;
    }
    if (it.valid && it.key.mv_size <= AGENCY_PRUNE_KEY_MAX) {
        memcpy (key, it.key.mv_data, it.key.mv_size);
        *key_len = it.key.mv_size;
    }
    else
        *key_len = 0;
    tsg_iter_end (&it);
    return n;
}

size_t
agency_retention_prune (tsg_txn_t *txn, agency_prune_cursor_t *cursor, uint64_t now_ms,
                        uint64_t seen_ms)
{
    enum { DOOMED_MAX = 512 };
    uint8_t doomed[DOOMED_MAX][AGENCY_PRUNE_KEY_MAX];
    size_t doomed_len[DOOMED_MAX];
    size_t deleted = 0;
    if (now_ms > seen_ms) {
        MDB_dbi db = tsg_store_db (txn->store, AGENCY_DB_SEEN);
        size_t n = s_sweep (txn, db, cursor->seen, &cursor->seen_len, 9, now_ms - seen_ms, doomed,
                            doomed_len, DOOMED_MAX);
        for (size_t i = 0; i < n; i++)
            tsg_txn_del (txn, db, doomed[i], doomed_len[i]);
        deleted += n;
    }
    uint64_t quarantine_ms = AGENCY_QUARANTINE_DAYS * DAY_MS;
    if (now_ms > quarantine_ms) {
        MDB_dbi db = tsg_store_db (txn->store, AGENCY_DB_QUARANTINE);
        size_t n = s_sweep (txn, db, cursor->quarantine, &cursor->quarantine_len, 0,
                            now_ms - quarantine_ms, doomed, doomed_len, DOOMED_MAX);
        for (size_t i = 0; i < n; i++) {
            MDB_val val;
            char sender[TSG_ID_MAX + 1] = "";
            if (tsg_txn_get (txn, db, doomed[i], doomed_len[i], &val))
                s_quarantine_sender (&val, sender);
            tsg_txn_del (txn, db, doomed[i], doomed_len[i]);
            char count_key[64];
            s_count_key (sender, count_key, sizeof count_key);
            uint64_t count = agency_meta_get_u64 (txn, count_key, 0);
            agency_meta_put_u64 (txn, count_key, count > 0 ? count - 1 : 0);
        }
        deleted += n;
    }
    return txn->rc == TSG_OK ? deleted : 0;
}
