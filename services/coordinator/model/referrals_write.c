/* referrals_write.c — writing the REFERRALS records and keeping the DUE index in step
 * (referrals.h). */
#include <stdlib.h>
#include <string.h>
#include "coordinator/model/store.h"
#include "coordinator/model/layout.h"
#include "coordinator/model/codec.h"
#include "coordinator/model/referrals.h"
#include "coordinator/model/reports.h"
#include "coordinator/model/cases.h"

/* Adds or removes ref's entry of kind as its state says. */
static void
s_due_sync (tsg_txn_t *txn, const tsg_hub_referral_t *old, const tsg_hub_referral_t *ref,
            tsg_hub_due_kind_t kind)
{
    MDB_dbi db = tsg_store_db (txn->store, TSG_HUB_DB_DUE);
    bool was = old && tsg_hub_referral_awaits (old, kind);
    bool is = tsg_hub_referral_awaits (ref, kind);
    uint8_t key[TSG_HUB_DUE_KEY_LEN];
    if (was && !is) {
        uint64_t due = kind == TSG_HUB_DUE_RECEIVED ? old->receive_due_ms : old->response_due_ms;
        tsg_txn_del (txn, db, key, tsg_hub_due_key (kind, due, old->id, key));
        tsg_hub_case_due_note (txn, old->case_id, due, kind, old->id, false);
    }
    else if (is && !was) {
        uint64_t due = kind == TSG_HUB_DUE_RECEIVED ? ref->receive_due_ms : ref->response_due_ms;
        /* The recipient beside the case: the overview counts overdue letters by recipient
         * without reading each referral. */
        uint8_t value[36 + TSG_ID_MAX];
        size_t to = strnlen (ref->recipient, TSG_ID_MAX);
        memcpy (value, ref->case_id, 36);
        memcpy (value + 36, ref->recipient, to);
        tsg_txn_put (txn, db, key, tsg_hub_due_key (kind, due, ref->id, key), value, 36 + to);
        tsg_hub_case_due_note (txn, ref->case_id, due, kind, ref->id, true);
    }
}

void
tsg_hub_referral_put (tsg_txn_t *txn, const tsg_hub_referral_t *old, const tsg_hub_referral_t *ref)
{
    tsg_hub_report_note_referral (txn, old, ref);
    if (txn->rc != TSG_OK)
        return;
    tsg_hub_writer_t w;
    tsg_hub_writer_init (&w);
    tsg_hub_write_u8 (&w, TSG_HUB_REFERRAL_FORMAT);
    tsg_hub_write_u8 (&w, (uint8_t) ref->state);
    tsg_hub_write_u8 (&w, (uint8_t) ref->outcome);
    tsg_hub_write_u8 (&w, (uint8_t) ref->urgency);
    tsg_hub_write_u8 (&w, ref->reason_given ? 1 : 0);
    tsg_hub_write_u64 (&w, ref->version);
    tsg_hub_write_u64 (&w, ref->created_at_ms);
    tsg_hub_write_u64 (&w, ref->updated_at_ms);
    tsg_hub_write_u64 (&w, ref->receive_due_ms);
    tsg_hub_write_u64 (&w, ref->response_due_ms);
    tsg_hub_write_u64 (&w, ref->received_at_ms);
    tsg_hub_write_u64 (&w, ref->accepted_at_ms);
    tsg_hub_write_u64 (&w, ref->closed_at_ms);
    tsg_hub_write_str (&w, ref->case_id);
    tsg_hub_write_str (&w, ref->sender);
    tsg_hub_write_str (&w, ref->recipient);
    tsg_hub_write_str (&w, ref->recipient_type);
    tsg_hub_write_str (&w, ref->updated_by);
    tsg_hub_write_u64 (&w, ref->withheld_at_ms);
    tsg_hub_write_str (&w, ref->withheld_reason);
    tsg_hub_write_str (&w, ref->withheld_consent);
    if (!w.ok) {
        txn->rc = TSG_ERR_NOMEM;
        tsg_hub_writer_free (&w);
        return;
    }
    tsg_txn_put (txn, tsg_store_db (txn->store, TSG_HUB_DB_REFERRALS), ref->id, 36, w.data, w.len);
    tsg_hub_writer_free (&w);
    s_due_sync (txn, old, ref, TSG_HUB_DUE_RECEIVED);
    s_due_sync (txn, old, ref, TSG_HUB_DUE_ACCEPTED);
}

bool
tsg_hub_referral_withhold (tsg_txn_t *txn, const char *referral_id, const char *reason,
                           const char *consent_id, uint64_t now_ms)
{
    tsg_hub_referral_t old, ref;
    if (txn->rc != TSG_OK || !tsg_hub_referral_get (txn, referral_id, &old) || old.withheld_at_ms)
        return false;
    ref = old;
    ref.withheld_at_ms = now_ms ? now_ms : 1;
    tsg_hub_copy (ref.withheld_reason, sizeof ref.withheld_reason, reason ? reason : "");
    tsg_hub_copy (ref.withheld_consent, sizeof ref.withheld_consent, consent_id ? consent_id : "");
    tsg_hub_referral_put (txn, &old, &ref);
    tsg_hub_case_t *was = malloc (sizeof *was), *now = malloc (sizeof *now);
    if (!was || !now)
        txn->rc = TSG_ERR_NOMEM;
    else if (tsg_hub_case_get (txn, ref.case_id, was)) {
        *now = *was;
        now->withheld++;
        tsg_hub_case_put (txn, was, now);
    }
    free (was);
    free (now);
    return txn->rc == TSG_OK;
}
