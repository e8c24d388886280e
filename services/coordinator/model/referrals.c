/* referrals.c — the REFERRALS records and the DUE index.
 *
 *   REFERRALS referral id (36 bytes) →
 *       u8 format (1) | u8 state | u8 outcome | u8 urgency | u8 reason_given |
 *       be64 version | be64 created_at | be64 updated_at | be64 receive_due | be64 response_due |
 *       be64 received_at | be64 accepted_at | be64 closed_at |
 *       str case id | str sender | str recipient | str recipient type | str updated_by |
 *       (format 2) be64 withheld_at | str withheld reason | str withheld consent
 *   DUE       u8 kind (1 received, 2 accepted) | be64 due ms | referral id (36 bytes) →
 *       case id (36 bytes)
 *             An entry exists exactly while the referral waits for that kind, so the overdue
 *             ones are the range from (kind, 0) to (kind, now). */
#include <string.h>

#include "coordinator/model/store.h"
#include "coordinator/model/layout.h"
#include "coordinator/model/codec.h"
#include "coordinator/model/referrals.h"

bool
tsg_hub_referral_get (tsg_txn_t *txn, const char *id, tsg_hub_referral_t *out)
{
    MDB_val val;
    MDB_dbi db = tsg_store_db (txn->store, TSG_HUB_DB_REFERRALS);
    if (!id || !tsg_uuid_valid (id) || !tsg_txn_get (txn, db, id, 36, &val))
        return false;
    tsg_hub_reader_t r;
    tsg_hub_reader_init (&r, val.mv_data, val.mv_size);
    memset (out, 0, sizeof *out);
    memcpy (out->id, id, 37);
    uint8_t format = tsg_hub_read_u8 (&r);
    if (format < 1 || format > TSG_HUB_REFERRAL_FORMAT) {
        log_warnx ("store: unreadable referral record %s", id);
        return false;
    }
    out->state = (tsg_ref_state_t) tsg_hub_read_u8 (&r);
    out->outcome = (tsg_outcome_t) tsg_hub_read_u8 (&r);
    out->urgency = tsg_hub_read_u8 (&r);
    out->reason_given = tsg_hub_read_u8 (&r) != 0;
    out->version = tsg_hub_read_u64 (&r);
    out->created_at_ms = tsg_hub_read_u64 (&r);
    out->updated_at_ms = tsg_hub_read_u64 (&r);
    out->receive_due_ms = tsg_hub_read_u64 (&r);
    out->response_due_ms = tsg_hub_read_u64 (&r);
    out->received_at_ms = tsg_hub_read_u64 (&r);
    out->accepted_at_ms = tsg_hub_read_u64 (&r);
    out->closed_at_ms = tsg_hub_read_u64 (&r);
    tsg_hub_read_str (&r, out->case_id, sizeof out->case_id);
    tsg_hub_read_str (&r, out->sender, sizeof out->sender);
    tsg_hub_read_str (&r, out->recipient, sizeof out->recipient);
    tsg_hub_read_str (&r, out->recipient_type, sizeof out->recipient_type);
    tsg_hub_read_str (&r, out->updated_by, sizeof out->updated_by);
    if (format >= 2) {
        out->withheld_at_ms = tsg_hub_read_u64 (&r);
        tsg_hub_read_str (&r, out->withheld_reason, sizeof out->withheld_reason);
        tsg_hub_read_str (&r, out->withheld_consent, sizeof out->withheld_consent);
    }
    if (!r.ok || (unsigned) out->state >= TSG_REF_STATE_COUNT
        || (unsigned) out->outcome >= TSG_OUTCOME_COUNT) {
        log_warnx ("store: unreadable referral record %s", id);
        return false;
    }
    return true;
}

const char *
tsg_hub_due_kind_name (tsg_hub_due_kind_t kind)
{
    return kind == TSG_HUB_DUE_RECEIVED ? "received" : "accepted";
}

bool
tsg_hub_due_kind_parse (const char *text, tsg_hub_due_kind_t *out)
{
    if (text && strcmp (text, "received") == 0)
        *out = TSG_HUB_DUE_RECEIVED;
    else if (text && strcmp (text, "accepted") == 0)
        *out = TSG_HUB_DUE_ACCEPTED;
    else
        return false;
    return true;
}

bool
tsg_hub_referral_awaits (const tsg_hub_referral_t *ref, tsg_hub_due_kind_t kind)
{
    if (ref->withheld_at_ms)
        return false;
    if (kind == TSG_HUB_DUE_RECEIVED)
        return ref->state == TSG_REF_REQUESTED;
    return ref->state == TSG_REF_REQUESTED || ref->state == TSG_REF_RECEIVED;
}

bool
tsg_hub_referral_overdue (const tsg_hub_referral_t *ref, tsg_hub_due_kind_t kind, uint64_t now_ms)
{
    uint64_t due = kind == TSG_HUB_DUE_RECEIVED ? ref->receive_due_ms : ref->response_due_ms;
    return tsg_hub_referral_awaits (ref, kind) && due < now_ms;
}

size_t
tsg_hub_due_key (tsg_hub_due_kind_t kind, uint64_t due_ms, const char *referral_id, uint8_t *out)
{
    out[0] = (uint8_t) kind;
    tsg_be64_put (out + 1, due_ms);
    memcpy (out + 9, referral_id, 36);
    return TSG_HUB_DUE_KEY_LEN;
}

void
tsg_hub_due_scan (tsg_txn_t *txn, tsg_hub_due_kind_t kind, uint64_t before_ms, tsg_hub_due_fn *fn,
                  void *arg)
{
    uint8_t start[1] = { (uint8_t) kind };
    tsg_iter_t it;
    for (tsg_iter_begin (txn, tsg_store_db (txn->store, TSG_HUB_DB_DUE), &it, start, 1); it.valid;
         tsg_iter_next (&it)) {
        const uint8_t *key = it.key.mv_data;
        if (it.key.mv_size != TSG_HUB_DUE_KEY_LEN || key[0] != (uint8_t) kind)
            break;
        uint64_t due = tsg_be64_get (key + 1);
        if (due >= before_ms)
            break;
        char referral_id[TSG_UUID_TEXT_SIZE], case_id[TSG_UUID_TEXT_SIZE] = "";
        char recipient[TSG_ID_MAX + 1] = "";
        memcpy (referral_id, key + 9, 36);
        referral_id[36] = '\0';
        if (it.val.mv_size >= 36 && it.val.mv_size <= 36 + TSG_ID_MAX) {
            memcpy (case_id, it.val.mv_data, 36);
            case_id[36] = '\0';
            memcpy (recipient, (const uint8_t *) it.val.mv_data + 36, it.val.mv_size - 36);
            recipient[it.val.mv_size - 36] = '\0';
        }
        if (!fn (arg, kind, due, referral_id, case_id, recipient))
            break;
    }
    tsg_iter_end (&it);
}

static bool
s_count_one (void *arg, tsg_hub_due_kind_t kind, uint64_t due_ms, const char *referral_id,
             const char *case_id, const char *recipient)
{
    (void) recipient;
    (void) kind;
    (void) due_ms;
    (void) referral_id;
    (void) case_id;
    (*(size_t *) arg)++;
    return true;
}

size_t
tsg_hub_due_count (tsg_txn_t *txn, tsg_hub_due_kind_t kind, uint64_t before_ms)
{
    size_t count = 0;
    tsg_hub_due_scan (txn, kind, before_ms, s_count_one, &count);
    return count;
}
