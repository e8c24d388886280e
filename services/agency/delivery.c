/* What became of the letters this agency sent, dispatched by what each one carried. */
#include "case_events.h"
#include "consents.h"
#include "delivery.h"
#include "msgref.h"
#include "sent.h"
#include "status.h"

static void
s_outbox_del (tsg_agency_t *self, tsg_txn_t *txn, uint64_t sequence)
{
    uint8_t key[8];
    tsg_be64_put (key, sequence);
    tsg_txn_del (txn, tsg_store_db (self->store, AGENCY_DB_OUTBOX), key, sizeof key);
}

int
agency_delivery_stored (tsg_agency_t *self, tsg_txn_t *txn,
                        const uint8_t about[TSG_MESSAGE_ID_SIZE], uint64_t at_ms)
{
    agency_msgref_t ref;
    if (!agency_msgref_get (txn, about, &ref))
        return TSG_ERR_NOT_FOUND;
    switch (ref.kind) {
    case AGENCY_LETTER_REFERRAL:
        agency_sent_update (txn, ref.id, AGENCY_EVENT_STORED, at_ms, NULL, NULL, NULL);
        break;
    case AGENCY_LETTER_STATUS: agency_status_stored (txn, &ref, about); break;
    case AGENCY_LETTER_CASE_EVENT: agency_case_event_stored (txn, &ref); break;
    case AGENCY_LETTER_CONSENT: agency_consent_stored (self, txn, &ref, at_ms); break;
    }
    s_outbox_del (self, txn, ref.sequence);
    return TSG_OK;
}

int
agency_delivery_refused (tsg_agency_t *self, tsg_txn_t *txn,
                         const uint8_t about[TSG_MESSAGE_ID_SIZE], const char *code,
                         const char *detail, uint64_t at_ms)
{
    agency_msgref_t ref;
    if (!agency_msgref_get (txn, about, &ref))
        return TSG_ERR_NOT_FOUND;
    switch (ref.kind) {
    case AGENCY_LETTER_REFERRAL:
        agency_sent_update (txn, ref.id, AGENCY_EVENT_REFUSED, at_ms, NULL, code, detail);
        break;
    case AGENCY_LETTER_STATUS: agency_status_refused (txn, &ref, about, code, detail, at_ms); break;
    case AGENCY_LETTER_CASE_EVENT:
        agency_case_event_refused (txn, &ref, code, detail, at_ms);
        break;
    case AGENCY_LETTER_CONSENT: agency_consent_refused (txn, &ref, code, detail, at_ms); break;
    }
    s_outbox_del (self, txn, ref.sequence);
    return TSG_OK;
}

int
agency_delivery_receipt (tsg_agency_t *self, tsg_txn_t *txn,
                         const uint8_t about[TSG_MESSAGE_ID_SIZE], const char *by, bool delivered,
                         const char *detail, uint64_t at_ms)
{
    (void) self;
    agency_msgref_t ref;
    if (!agency_msgref_get (txn, about, &ref))
        return TSG_ERR_NOT_FOUND;
    switch (ref.kind) {
    case AGENCY_LETTER_REFERRAL:
        return agency_sent_update (txn, ref.id,
                                   delivered ? AGENCY_EVENT_DELIVERED : AGENCY_EVENT_REJECTED,
                                   at_ms, by, "rejected", detail);
    case AGENCY_LETTER_STATUS:
        agency_status_receipt (txn, &ref, about, by, delivered, detail, at_ms);
        return TSG_OK;
    case AGENCY_LETTER_CASE_EVENT:
        agency_case_event_receipt (txn, &ref, by, delivered, detail, at_ms);
        return TSG_OK;
    case AGENCY_LETTER_CONSENT:
        agency_consent_receipt (txn, &ref, by, delivered, detail, at_ms);
        return TSG_OK;
    }
    return TSG_ERR_NOT_FOUND;
}
