/* mailbox.c — the layout of the coordinator's MAILBOX, MESSAGES, SENDERS and META records, and
 * what acknowledgements do to them.
 *
 * Every value starts with a format byte (1); integers are big-endian; strings carry a
 * one-byte length and no NUL.
 *
 *   META     "mailbox.next" → be64: the next global mailbox sequence (absent: 1).
 *   MAILBOX  recipient id, NUL, be64 mailbox sequence →
 *              u8 format | u8 kind | 16-byte message id | be64 stored_at_ms |
 *              u8 n | sender (n bytes) | the Envelope exactly as received (rest of the value)
 *            Keys sort by recipient, then arrival, so a mailbox is read oldest first.
 *   MESSAGES 16-byte message id →
 *              u8 format | u8 state (1 stored, 2 delivered, 3 refused) | u8 kind |
 *              u8 error code (refused) | be64 at_ms | be64 mailbox sequence (stored, delivered) |
 *              u8 n | sender | u8 m | recipient | u8 d | detail (refused: the answered sentence)
 *            Lets a resend be answered exactly as the first time, and a receipt find the
 *            mailbox entry it acknowledges.
 *   MESSAGES 16-byte message id, agency id → the same record for one copy of a fan-out letter
 *            (a CASE_EVENT addressed to the coordinator and passed on to each agency on the
 *            case): the copy's state, recipient and mailbox sequence.  The record under the
 *            bare id then names "coordinator" as the recipient.
 *   SENDERS  agency id → be64: the last sequence taken from that sender (stored or refused).
 *   STATS    "mailbox.depth." agency id → be64: entries in that agency's mailbox;
 *            "mailbox.bytes." agency id → be64: their bytes (whole values);
 *            "sender.letters." / "sender.bytes." agency id → be64: the entries that agency
 *            sent still waiting in any mailbox, and their bytes (the quotas, limits.h).
 *
 * Only envelopes are stored: bodies stay encrypted to their recipients. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/model/store.h"
#include "coordinator/model/mailbox.h"
#include "coordinator/model/stats.h"

#define FORMAT       1
#define NEXT_KEY     "mailbox.next"
#define MAILBOX_HEAD 27 /* format, kind, id, stored_at, sender length */

/* A cursor over a value being decoded; ok turns false on the first short read. */
typedef struct {
    const uint8_t *data; /* the value */
    size_t len;          /* its length */
    size_t pos;          /* next byte to read */
    bool ok;             /* false once anything did not fit */
} s_reader_t;

static uint8_t
s_u8 (s_reader_t *r)
{
    if (!r->ok || r->pos + 1 > r->len) {
        r->ok = false;
        return 0;
    }
    return r->data[r->pos++];
}

static uint64_t
s_u64 (s_reader_t *r)
{
    if (!r->ok || r->pos + 8 > r->len) {
        r->ok = false;
        return 0;
    }
    uint64_t v = tsg_be64_get (r->data + r->pos);
    r->pos += 8;
    return v;
}

/* Reads a length-prefixed string into out (size bytes, NUL-terminated). */
static void
s_str (s_reader_t *r, char *out, size_t size)
{
    size_t n = s_u8 (r);
    if (!r->ok || n >= size || r->pos + n > r->len) {
        r->ok = false;
        out[0] = '\0';
        return;
    }
    memcpy (out, r->data + r->pos, n);
    out[n] = '\0';
    r->pos += n;
}

/* Appends a length-prefixed string (cut to 255 bytes) at p; returns the new end. */
static uint8_t *
s_put_str (uint8_t *p, const char *text, size_t max)
{
    size_t n = strlen (text);
    if (n > max)
        n = max;
    *p++ = (uint8_t) n;
    memcpy (p, text, n);
    return p + n;
}

size_t
tsg_hub_mailbox_key (const char *recipient, uint64_t seq, uint8_t out[TSG_HUB_MAILBOX_KEY_MAX])
{
    size_t n = strlen (recipient);
    if (n > TSG_ID_MAX)
        n = TSG_ID_MAX;
    memcpy (out, recipient, n);
    out[n] = '\0';
    tsg_be64_put (out + n + 1, seq);
    return n + 1 + 8;
}

/* The MESSAGES key of id, or of id's copy for recipient when recipient is non-NULL. */
static size_t
s_message_key (const uint8_t id[TSG_MESSAGE_ID_SIZE], const char *recipient,
               uint8_t key[TSG_MESSAGE_ID_SIZE + TSG_ID_MAX])
{
    memcpy (key, id, TSG_MESSAGE_ID_SIZE);
    size_t n = recipient ? strlen (recipient) : 0;
    if (n > TSG_ID_MAX)
        n = TSG_ID_MAX;
    if (n > 0)
        memcpy (key + TSG_MESSAGE_ID_SIZE, recipient, n);
    return TSG_MESSAGE_ID_SIZE + n;
}

/* Reads the MESSAGES record under key. */
static bool
s_message_get (tsg_txn_t *txn, const uint8_t *key, size_t key_len, tsg_hub_message_t *out)
{
    MDB_val val;
    MDB_dbi db = tsg_store_db (txn->store, TSG_HUB_DB_MESSAGES);
    if (!tsg_txn_get (txn, db, key, key_len, &val))
        return false;
    s_reader_t r = { val.mv_data, val.mv_size, 0, true };
    memset (out, 0, sizeof *out);
    if (s_u8 (&r) != FORMAT)
        return false;
    out->state = (tsg_hub_msg_state_t) s_u8 (&r);
    out->kind = (Tsunagu__V1__Kind) s_u8 (&r);
    out->error_code = (Tsunagu__V1__ErrorCode) s_u8 (&r);
    out->at_ms = s_u64 (&r);
    out->mailbox_seq = s_u64 (&r);
    s_str (&r, out->sender, sizeof out->sender);
    s_str (&r, out->recipient, sizeof out->recipient);
    s_str (&r, out->detail, sizeof out->detail);
    if (!r.ok || out->state < TSG_HUB_MSG_STORED || out->state > TSG_HUB_MSG_REFUSED) {
        log_warnx ("store: unreadable MESSAGES record");
        return false;
    }
    return true;
}

bool
tsg_hub_message_get (tsg_txn_t *txn, const uint8_t id[TSG_MESSAGE_ID_SIZE], tsg_hub_message_t *out)
{
    return s_message_get (txn, id, TSG_MESSAGE_ID_SIZE, out);
}

bool
tsg_hub_message_get_copy (tsg_txn_t *txn, const uint8_t id[TSG_MESSAGE_ID_SIZE],
                          const char *recipient, tsg_hub_message_t *out)
{
    uint8_t key[TSG_MESSAGE_ID_SIZE + TSG_ID_MAX];
    return s_message_get (txn, key, s_message_key (id, recipient, key), out);
}

/* Writes msg under key. */
static void
s_message_put (tsg_txn_t *txn, const uint8_t *key, size_t key_len, const tsg_hub_message_t *msg)
{
    uint8_t buf[4 + 16 + 3 + 2 * TSG_ID_MAX + TSG_HUB_DETAIL_MAX];
    uint8_t *p = buf;
    *p++ = FORMAT;
    *p++ = (uint8_t) msg->state;
    *p++ = (uint8_t) msg->kind;
    *p++ = (uint8_t) msg->error_code;
    tsg_be64_put (p, msg->at_ms);
    tsg_be64_put (p + 8, msg->mailbox_seq);
    p += 16;
    p = s_put_str (p, msg->sender, TSG_ID_MAX);
    p = s_put_str (p, msg->recipient, TSG_ID_MAX);
    p = s_put_str (p, msg->detail, TSG_HUB_DETAIL_MAX - 1);
    MDB_dbi db = tsg_store_db (txn->store, TSG_HUB_DB_MESSAGES);
    tsg_txn_put (txn, db, key, key_len, buf, (size_t) (p - buf));
}

void
tsg_hub_message_put (tsg_txn_t *txn, const uint8_t id[TSG_MESSAGE_ID_SIZE],
                     const tsg_hub_message_t *msg)
{
    s_message_put (txn, id, TSG_MESSAGE_ID_SIZE, msg);
}

size_t
tsg_hub_messages_prune (tsg_txn_t *txn, tsg_hub_prune_cursor_t *cursor, uint64_t before_ms,
                        size_t examine)
{
    MDB_dbi db = tsg_store_db (txn->store, TSG_HUB_DB_MESSAGES);
    uint8_t doomed[TSG_HUB_PRUNE_KEYS][TSG_HUB_PRUNE_KEY_MAX];
    size_t doomed_len[TSG_HUB_PRUNE_KEYS];
    size_t n = 0, seen = 0;
    tsg_iter_t it;
    tsg_iter_begin (txn, db, &it, cursor->len ? cursor->key : NULL, cursor->len);
    /* The first key may be the one the last pass stopped at (kept, or deleted since). */
    for (; it.valid && seen < examine && n < TSG_HUB_PRUNE_KEYS; tsg_iter_next (&it), seen++) {
        const uint8_t *v = it.val.mv_data;
        if (it.key.mv_size > TSG_HUB_PRUNE_KEY_MAX || it.val.mv_size < 12 || v[0] != FORMAT)
            continue;
        tsg_hub_msg_state_t state = (tsg_hub_msg_state_t) v[1];
        uint64_t at_ms = tsg_be64_get (v + 4);
        /* A letter still waiting in a mailbox keeps its record: its receipt needs it. */
        if (state == TSG_HUB_MSG_STORED || at_ms >= before_ms)
            continue;
        memcpy (doomed[n], it.key.mv_data, it.key.mv_size);
        doomed_len[n++] = it.key.mv_size;
    }
    if (it.valid && it.key.mv_size <= TSG_HUB_PRUNE_KEY_MAX) {
        memcpy (cursor->key, it.key.mv_data, it.key.mv_size);
        cursor->len = it.key.mv_size;
    }
    else
        cursor->len = 0; /* the end: the next pass starts from the beginning */
    tsg_iter_end (&it);
    for (size_t i = 0; i < n; i++)
        tsg_txn_del (txn, db, doomed[i], doomed_len[i]);
    return txn->rc == TSG_OK ? n : 0;
}

uint64_t
tsg_hub_sender_last (tsg_txn_t *txn, const char *sender)
{
    MDB_val val;
    MDB_dbi db = tsg_store_db (txn->store, TSG_HUB_DB_SENDERS);
    if (!tsg_txn_get (txn, db, sender, strlen (sender), &val) || val.mv_size != 8)
        return 0;
    return tsg_be64_get (val.mv_data);
}

void
tsg_hub_sender_set (tsg_txn_t *txn, const char *sender, uint64_t seq)
{
    uint8_t buf[8];
    tsg_be64_put (buf, seq);
    MDB_dbi db = tsg_store_db (txn->store, TSG_HUB_DB_SENDERS);
    tsg_txn_put (txn, db, sender, strlen (sender), buf, sizeof buf);
}

/* Counts an entry of value_len bytes from sender in recipient's mailbox (sign +1) or takes
 * it out (sign -1). */
static void
s_account (tsg_txn_t *txn, const char *recipient, const char *sender, size_t value_len, int sign)
{
    tsg_hub_stat_add2 (txn, TSG_HUB_STAT_MAILBOX_DEPTH, recipient, sign);
    tsg_hub_stat_add2 (txn, TSG_HUB_STAT_MAILBOX_BYTES, recipient, sign * (int64_t) value_len);
    tsg_hub_stat_add2 (txn, TSG_HUB_STAT_SENDER_LETTERS, sender, sign);
    tsg_hub_stat_add2 (txn, TSG_HUB_STAT_SENDER_BYTES, sender, sign * (int64_t) value_len);
}

/* Deletes the mailbox entry under key (recipient's), taking it out of the counts. */
static void
s_delete (tsg_txn_t *txn, const char *recipient, const uint8_t *key, size_t key_len)
{
    MDB_dbi mailbox = tsg_store_db (txn->store, TSG_HUB_DB_MAILBOX);
    MDB_val val;
    if (!tsg_txn_get (txn, mailbox, key, key_len, &val))
        return;
    char sender[TSG_ID_MAX + 1] = "";
    const uint8_t *data = val.mv_data;
    size_t sender_len = val.mv_size >= MAILBOX_HEAD ? data[MAILBOX_HEAD - 1] : 0;
    if (sender_len <= TSG_ID_MAX && MAILBOX_HEAD + sender_len <= val.mv_size) {
        memcpy (sender, data + MAILBOX_HEAD, sender_len);
        sender[sender_len] = '\0';
    }
    size_t value_len = val.mv_size;
    tsg_txn_del (txn, mailbox, key, key_len);
    s_account (txn, recipient, sender, value_len, -1);
}

bool
tsg_hub_quota_check (tsg_txn_t *txn, const tsg_hub_limits_t *limits, const char *sender,
                     const char *recipient, size_t len, char *detail, size_t size)
{
    uint64_t need = MAILBOX_HEAD + strlen (sender) + len;
    uint64_t letters = tsg_hub_stat_get2 (txn, TSG_HUB_STAT_SENDER_LETTERS, sender);
    uint64_t bytes = tsg_hub_stat_get2 (txn, TSG_HUB_STAT_SENDER_BYTES, sender);
    if (letters + 1 > limits->sender_letters || bytes + need > limits->sender_bytes) {
        snprintf (detail, size,
                  "agency \"%s\" already has %llu letters (%llu KiB) waiting to be delivered, "
                  "its quota is %llu letters (%llu KiB)",
                  sender, (unsigned long long) letters, (unsigned long long) (bytes / 1024),
                  (unsigned long long) limits->sender_letters,
                  (unsigned long long) (limits->sender_bytes / 1024));
        return false;
    }
    if (!recipient)
        return true;
    letters = tsg_hub_stat_get2 (txn, TSG_HUB_STAT_MAILBOX_DEPTH, recipient);
    bytes = tsg_hub_stat_get2 (txn, TSG_HUB_STAT_MAILBOX_BYTES, recipient);
    if (letters + 1 > limits->mailbox_letters || bytes + need > limits->mailbox_bytes) {
        snprintf (detail, size,
                  "the mailbox of \"%s\" holds %llu letters (%llu KiB), its quota is %llu "
                  "letters (%llu KiB): it must take its mail first",
                  recipient, (unsigned long long) letters, (unsigned long long) (bytes / 1024),
                  (unsigned long long) limits->mailbox_letters,
                  (unsigned long long) (limits->mailbox_bytes / 1024));
        return false;
    }
    return true;
}

/* Appends the mailbox entry and counts it (s_account); returns its sequence, or 0 when the
 * transaction has failed. */
static uint64_t
s_append (tsg_txn_t *txn, const char *recipient, const char *sender, Tsunagu__V1__Kind kind,
          const uint8_t id[TSG_MESSAGE_ID_SIZE], const uint8_t *envelope, size_t len,
          uint64_t now_ms)
{
    MDB_dbi meta = tsg_store_db (txn->store, TSG_HUB_DB_META);
    MDB_dbi mailbox = tsg_store_db (txn->store, TSG_HUB_DB_MAILBOX);
    MDB_val val;
    uint64_t seq = 1;
    if (tsg_txn_get (txn, meta, NEXT_KEY, strlen (NEXT_KEY), &val) && val.mv_size == 8)
        seq = tsg_be64_get (val.mv_data);
    if (txn->rc != TSG_OK)
        return 0;

    size_t sender_len = strlen (sender);
    if (sender_len > TSG_ID_MAX)
        sender_len = TSG_ID_MAX;
    size_t value_len = MAILBOX_HEAD + sender_len + len;
    uint8_t *value = malloc (value_len);
    if (!value) {
        txn->rc = TSG_ERR_NOMEM;
        return 0;
    }
    uint8_t *p = value;
    *p++ = FORMAT;
    *p++ = (uint8_t) kind;
    memcpy (p, id, TSG_MESSAGE_ID_SIZE);
    p += TSG_MESSAGE_ID_SIZE;
    tsg_be64_put (p, now_ms);
    p += 8;
    *p++ = (uint8_t) sender_len;
    memcpy (p, sender, sender_len);
    p += sender_len;
    memcpy (p, envelope, len);

    uint8_t key[TSG_HUB_MAILBOX_KEY_MAX];
    size_t key_len = tsg_hub_mailbox_key (recipient, seq, key);
    tsg_txn_put (txn, mailbox, key, key_len, value, value_len);
    free (value);

    uint8_t next[8];
    tsg_be64_put (next, seq + 1);
    tsg_txn_put (txn, meta, NEXT_KEY, strlen (NEXT_KEY), next, sizeof next);
    s_account (txn, recipient, sender, value_len, 1);
    return txn->rc == TSG_OK ? seq : 0;
}

/* The STORED record of a letter from sender to recipient at mailbox sequence seq. */
static void
s_stored (tsg_hub_message_t *msg, const char *sender, const char *recipient, Tsunagu__V1__Kind kind,
          uint64_t seq, uint64_t now_ms)
{
    memset (msg, 0, sizeof *msg);
    msg->state = TSG_HUB_MSG_STORED;
    msg->kind = kind;
    msg->at_ms = now_ms;
    msg->mailbox_seq = seq;
    snprintf (msg->sender, sizeof msg->sender, "%s", sender);
    snprintf (msg->recipient, sizeof msg->recipient, "%s", recipient);
}

uint64_t
tsg_hub_mailbox_put (tsg_txn_t *txn, const char *recipient, const char *sender,
                     Tsunagu__V1__Kind kind, const uint8_t id[TSG_MESSAGE_ID_SIZE],
                     const uint8_t *envelope, size_t len, uint64_t now_ms)
{
    uint64_t seq = s_append (txn, recipient, sender, kind, id, envelope, len, now_ms);
    if (seq == 0)
        return 0;
    tsg_hub_message_t msg;
    s_stored (&msg, sender, recipient, kind, seq, now_ms);
    tsg_hub_message_put (txn, id, &msg);
    return txn->rc == TSG_OK ? seq : 0;
}

uint64_t
tsg_hub_mailbox_put_copy (tsg_txn_t *txn, const char *recipient, const char *sender,
                          Tsunagu__V1__Kind kind, const uint8_t id[TSG_MESSAGE_ID_SIZE],
                          const uint8_t *envelope, size_t len, uint64_t now_ms)
{
    uint64_t seq = s_append (txn, recipient, sender, kind, id, envelope, len, now_ms);
    if (seq == 0)
        return 0;
    tsg_hub_message_t msg;
    s_stored (&msg, sender, recipient, kind, seq, now_ms);
    uint8_t key[TSG_MESSAGE_ID_SIZE + TSG_ID_MAX];
    s_message_put (txn, key, s_message_key (id, recipient, key), &msg);
    return txn->rc == TSG_OK ? seq : 0;
}

bool
tsg_hub_kind_relays_receipts (Tsunagu__V1__Kind kind)
{
    switch (kind) {
    case TSUNAGU__V1__KIND__KIND_RECEIPT:
    case TSUNAGU__V1__KIND__KIND_HELLO:
    case TSUNAGU__V1__KIND__KIND_ERROR:
    case TSUNAGU__V1__KIND__KIND_DIRECTORY:
    case TSUNAGU__V1__KIND__KIND_CASE_UPDATE:
    case TSUNAGU__V1__KIND__KIND_UNSPECIFIED: return false;
    default: return true;
    }
}

void
tsg_hub_mailbox_ack (tsg_txn_t *txn, const char *acker, const tsg_letter_t *receipt,
                     const uint8_t *envelope, size_t len, uint64_t now_ms, bool relay_allowed,
                     tsg_hub_ack_t *out)
{
    memset (out, 0, sizeof *out);
    out->outcome = TSG_HUB_ACK_IGNORED;
    if (!receipt->receipt || receipt->receipt->about_message_id.len != TSG_MESSAGE_ID_SIZE) {
        out->outcome = TSG_HUB_ACK_REFUSED;
        out->why = "a receipt needs a 16-byte about_message_id";
        return;
    }
    const uint8_t *about = receipt->receipt->about_message_id.data;
    tsg_hub_message_t msg;
    if (!tsg_hub_message_get (txn, about, &msg)) {
        out->why = "the coordinator holds no such letter";
        return;
    }
    /* A fan-out letter: the acknowledger's own copy is what it acknowledges. */
    bool copy = strcmp (msg.recipient, TSG_COORDINATOR_ID) == 0;
    if (copy && msg.state == TSG_HUB_MSG_STORED
        && !tsg_hub_message_get_copy (txn, about, acker, &msg)) {
        out->outcome = TSG_HUB_ACK_REFUSED;
        out->why = "the letter was not passed on to the acknowledging agency";
        return;
    }
    if (msg.state != TSG_HUB_MSG_STORED) {
        out->why = "the letter was already acknowledged";
        return;
    }
    if (strcmp (msg.recipient, acker) != 0) {
        out->outcome = TSG_HUB_ACK_REFUSED;
        out->why = "the letter is not addressed to the acknowledging agency";
        return;
    }
    /* Letters of the coordinator's own are acknowledged to it: nothing to relay. */
    bool relay =
        tsg_hub_kind_relays_receipts (msg.kind) && strcmp (msg.sender, TSG_COORDINATOR_ID) != 0;
    if (relay && strcmp (receipt->recipient, msg.sender) != 0) {
        out->outcome = TSG_HUB_ACK_REFUSED;
        out->why = "a receipt must be addressed to the sender of the letter it is about";
        return;
    }
    uint8_t key[TSG_HUB_MAILBOX_KEY_MAX];
    size_t key_len = tsg_hub_mailbox_key (msg.recipient, msg.mailbox_seq, key);
    s_delete (txn, msg.recipient, key, key_len);
    msg.state = TSG_HUB_MSG_DELIVERED;
    msg.at_ms = now_ms;
    if (copy) {
        uint8_t copy_key[TSG_MESSAGE_ID_SIZE + TSG_ID_MAX];
        s_message_put (txn, copy_key, s_message_key (about, acker, copy_key), &msg);
    }
    else
        tsg_hub_message_put (txn, about, &msg);

    memcpy (out->about, about, TSG_MESSAGE_ID_SIZE);
    if (relay && !relay_allowed) {
        snprintf (out->held_back, sizeof out->held_back, "%s", msg.sender);
        relay = false;
    }
    if (relay) {
        tsg_hub_message_t known;
        if (tsg_hub_message_get (txn, receipt->message_id.data, &known))
            log_warnx ("ack: receipt id already known; not relayed again");
        else if (tsg_hub_mailbox_put (txn, msg.sender, acker, TSUNAGU__V1__KIND__KIND_RECEIPT,
                                      receipt->message_id.data, envelope, len, now_ms)
                 != 0)
            snprintf (out->relayed_to, sizeof out->relayed_to, "%s", msg.sender);
    }
    out->outcome = TSG_HUB_ACK_DONE;
    snprintf (out->recipient, sizeof out->recipient, "%s", msg.recipient);
    out->seq = msg.mailbox_seq;
}

bool
tsg_hub_mailbox_withdraw (tsg_txn_t *txn, const char *recipient, uint64_t seq,
                          Tsunagu__V1__ErrorCode code, const char *detail, uint64_t now_ms,
                          tsg_hub_withdrawn_t *out)
{
    memset (out, 0, sizeof *out);
    uint8_t key[TSG_HUB_MAILBOX_KEY_MAX];
    size_t key_len = tsg_hub_mailbox_key (recipient, seq, key);
    MDB_dbi mailbox = tsg_store_db (txn->store, TSG_HUB_DB_MAILBOX);
    MDB_val val;
    if (!tsg_txn_get (txn, mailbox, key, key_len, &val))
        return false;
    const uint8_t *data = val.mv_data;
    size_t sender_len = val.mv_size >= MAILBOX_HEAD ? data[MAILBOX_HEAD - 1] : 0;
    if (val.mv_size < MAILBOX_HEAD || data[0] != FORMAT || sender_len > TSG_ID_MAX
        || MAILBOX_HEAD + sender_len > val.mv_size) {
        log_warnx ("store: unreadable mailbox entry %s/%llu", recipient, (unsigned long long) seq);
        return false;
    }
    out->kind = (Tsunagu__V1__Kind) data[1];
    memcpy (out->id, data + 2, TSG_MESSAGE_ID_SIZE);
    memcpy (out->sender, data + MAILBOX_HEAD, sender_len);
    out->sender[sender_len] = '\0';
    s_delete (txn, recipient, key, key_len);

    tsg_hub_message_t msg;
    if (!tsg_hub_message_get (txn, out->id, &msg))
        return txn->rc == TSG_OK;
    out->copy = strcmp (msg.recipient, TSG_COORDINATOR_ID) == 0;
    if (out->copy && !tsg_hub_message_get_copy (txn, out->id, recipient, &msg))
        return txn->rc == TSG_OK;
    msg.state = TSG_HUB_MSG_REFUSED;
    msg.error_code = code;
    msg.at_ms = now_ms;
    snprintf (msg.detail, sizeof msg.detail, "%s", detail);
    if (out->copy) {
        uint8_t copy_key[TSG_MESSAGE_ID_SIZE + TSG_ID_MAX];
        s_message_put (txn, copy_key, s_message_key (out->id, recipient, copy_key), &msg);
    }
    else
        tsg_hub_message_put (txn, out->id, &msg);
    return txn->rc == TSG_OK;
}

/* The value's envelope, or false when the value is not a mailbox entry. */
static bool
s_entry_envelope (const MDB_val *val, const uint8_t **envelope, size_t *len)
{
    const uint8_t *data = val->mv_data;
    if (val->mv_size < MAILBOX_HEAD || data[0] != FORMAT)
        return false;
    size_t head = MAILBOX_HEAD + data[MAILBOX_HEAD - 1];
    if (head > val->mv_size)
        return false;
    *envelope = data + head;
    *len = val->mv_size - head;
    return true;
}

void
tsg_hub_mailbox_scan (tsg_txn_t *txn, const char *recipient, uint64_t from_seq,
                      tsg_hub_mailbox_fn *fn, void *arg)
{
    uint8_t start[TSG_HUB_MAILBOX_KEY_MAX];
    size_t key_len = tsg_hub_mailbox_key (recipient, from_seq, start);
    size_t prefix = key_len - 8;
    tsg_iter_t it;
    for (tsg_iter_begin (txn, tsg_store_db (txn->store, TSG_HUB_DB_MAILBOX), &it, start, key_len);
         it.valid; tsg_iter_next (&it)) {
        if (it.key.mv_size != key_len || memcmp (it.key.mv_data, start, prefix) != 0)
            break;
        const uint8_t *envelope;
        size_t len;
        uint64_t seq = tsg_be64_get ((const uint8_t *) it.key.mv_data + prefix);
        if (!s_entry_envelope (&it.val, &envelope, &len)) {
            log_warnx ("store: unreadable mailbox entry %s/%llu", recipient,
                       (unsigned long long) seq);
            continue;
        }
        if (!fn (arg, seq, envelope, len))
            break;
    }
    tsg_iter_end (&it);
}

/* Counts entries for tsg_hub_mailbox_count. */
static bool
s_count_one (void *arg, uint64_t seq, const uint8_t *envelope, size_t len)
{
    (void) seq;
    (void) envelope;
    (void) len;
    (*(size_t *) arg)++;
    return true;
}

size_t
tsg_hub_mailbox_count (tsg_txn_t *txn, const char *recipient)
{
    size_t count = 0;
    tsg_hub_mailbox_scan (txn, recipient, 0, s_count_one, &count);
    return count;
}
