/* delivery.c — what became of the letters this agency sent (delivery.h): msgref says which
 * kind, the kind's table says what it means. */
#include <sodium.h>
#include <string.h>

#include "agency/core/delivery.h"
#include "agency/core/kind.h"
#include "agency/records/events.h"
#include "agency/records/json.h"
#include "agency/records/msgref.h"
#include "agency/records/sent.h"

/* Deletes the outbox row of sequence; true when there was one (the letter was not stored yet). */
static bool
s_outbox_del (tsg_agency_t *self, tsg_txn_t *txn, uint64_t sequence)
{
    uint8_t key[8];
    MDB_val val;
    tsg_be64_put (key, sequence);
    MDB_dbi db = tsg_store_db (self->store, AGENCY_DB_OUTBOX);
    bool there = tsg_txn_get (txn, db, key, sizeof key, &val);
    tsg_txn_del (txn, db, key, sizeof key);
    return there;
}

static const char *const s_kind_names[AGENCY_KIND_COUNT] = {
    [AGENCY_KIND_REFERRAL] = "referral",
    [AGENCY_KIND_STATUS] = "referral_status",
    [AGENCY_KIND_CASE_EVENT] = "case_event",
    [AGENCY_KIND_CONSENT_GRANT] = "consent_grant",
    [AGENCY_KIND_CONSENT_REVOKE] = "consent_revoke",
};

/* delivery.<what> for our letter `about` (ref): its message id, kind, what it carried
 * (referral_id, case_id or consent_id), its recipient (by, else a referral's "to", else the
 * coordinator), and code and detail when given.  Ids and codes only. */
static void
s_event (tsg_agency_t *self, tsg_txn_t *txn, const char *what, const agency_msgref_t *ref,
         const uint8_t about[TSG_MESSAGE_ID_SIZE], const char *by, const char *code,
         const char *detail)
{
    char type[AGENCY_EVENT_TYPE_MAX];
    char hex[2 * TSG_MESSAGE_ID_SIZE + 1];
    snprintf (type, sizeof type, "delivery.%s", what);
    sodium_bin2hex (hex, sizeof hex, about, TSG_MESSAGE_ID_SIZE);
    const char *id_key =
        ref->kind == AGENCY_KIND_CASE_EVENT ? "case_id"
        : ref->kind == AGENCY_KIND_CONSENT_GRANT || ref->kind == AGENCY_KIND_CONSENT_REVOKE
            ? "consent_id"
            : "referral_id";
    json_t *data = json_pack ("{s:s, s:s, s:s}", "message_id", hex, "kind", s_kind_names[ref->kind],
                              id_key, ref->id);
    json_t *sent = !by && ref->kind == AGENCY_KIND_REFERRAL ? agency_sent_get (txn, ref->id) : NULL;
    const char *to = by ? by : sent ? agency_json_str (sent, "to") : NULL;
    if (data) {
        json_object_set_new (data, "recipient", json_string (to ? to : TSG_COORDINATOR_ID));
        agency_json_set_text (data, "code", code);
        agency_json_set_text (data, "detail", detail);
    }
    json_decref (sent);
    agency_events_append (txn, self->config->id, type, data, tsg_now_ms ());
}

int
agency_delivery_stored (tsg_agency_t *self, tsg_txn_t *txn,
                        const uint8_t about[TSG_MESSAGE_ID_SIZE], uint64_t at_ms)
{
    agency_msgref_t ref;
    if (!agency_msgref_get (txn, about, &ref))
        return TSG_ERR_NOT_FOUND;
    self->kinds[ref.kind]->stored (self, txn, &ref, about, at_ms);
    if (s_outbox_del (self, txn, ref.sequence))
        s_event (self, txn, "stored", &ref, about, NULL, NULL, NULL); /* once, not per resend */
    return TSG_OK;
}

_Static_assert(TSUNAGU__V1__ERROR_CODE__ERROR_PERSONAL_DATA == AGENCY_REFUSAL_CODES - 2,
               "AGENCY_REFUSAL_CODES is the coordinator's ErrorCodes and one for any other");

/* The index of the coordinator's code in stats.refused_by_code: its ErrorCode, by the name
 * tsg_error_code_name gives it; the last for a code no ErrorCode has. */
static size_t
s_refusal_index (const char *code)
{
    for (size_t i = 0; i + 1 < AGENCY_REFUSAL_CODES; i++)
        if (strcmp (code, tsg_error_code_name ((Tsunagu__V1__ErrorCode) i)) == 0)
            return i;
    return AGENCY_REFUSAL_CODES - 1;
}

int
agency_delivery_refused (tsg_agency_t *self, tsg_txn_t *txn,
                         const uint8_t about[TSG_MESSAGE_ID_SIZE], const char *code,
                         const char *detail, uint64_t at_ms)
{
    agency_msgref_t ref;
    if (!agency_msgref_get (txn, about, &ref))
        return TSG_ERR_NOT_FOUND;
    /* The kinds see a code and a sentence always, whatever the coordinator sent. */
    code = code && *code ? code : "unspecified";
    detail = detail && *detail ? detail : "no detail";
    /* Still in the outbox: refused on arrival; its msgref then keeps sequence 0, the mark of a
     * letter refused.  Gone from the outbox with its sequence: stored before, and this is the
     * coordinator's news, through our mailbox, that it is withheld now (a consent it relied on
     * ended, or the recipient's answer could not be passed on).  Marked refused: the answer to
     * a copy resent before the first answer came, which tells nothing new. */
    if (ref.sequence == 0)
        return TSG_ERR_EXISTS;
    uint8_t key[8];
    MDB_val val;
    tsg_be64_put (key, ref.sequence);
    bool queued =
        tsg_txn_get (txn, tsg_store_db (self->store, AGENCY_DB_OUTBOX), key, sizeof key, &val);
    self->kinds[ref.kind]->refused (self, txn, &ref, about, code, detail, at_ms);
    s_event (self, txn, queued ? "refused" : "withheld", &ref, about, NULL, code, detail);
    if (queued) {
        s_outbox_del (self, txn, ref.sequence);
        agency_msgref_t refused = ref;
        refused.sequence = 0;
        agency_msgref_put (txn, about, &refused);
        self->stats.refused_by_code[s_refusal_index (code)]++;
    }
    return TSG_OK;
}

int
agency_delivery_receipt (tsg_agency_t *self, tsg_txn_t *txn,
                         const uint8_t about[TSG_MESSAGE_ID_SIZE], const char *by, bool delivered,
                         const char *detail, uint64_t at_ms)
{
    agency_msgref_t ref;
    if (!agency_msgref_get (txn, about, &ref))
        return TSG_ERR_NOT_FOUND;
    int rc = self->kinds[ref.kind]->receipt (self, txn, &ref, about, by, delivered, detail, at_ms);
    if (rc == TSG_OK)
        s_event (self, txn, delivered ? "delivered" : "rejected", &ref, about, by,
                 delivered ? NULL : "rejected", delivered ? NULL : detail);
    return rc;
}
