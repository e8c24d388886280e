/* The sender's record of each referral it sent: where it is (queued, stored at the
 * coordinator, delivered) and its delivery history, kept in the sent database.  Its state
 * (requested, received, accepted, ...) is referral_state.h's. */
#ifndef AGENCY_RECORDS_SENT_H_INCLUDED
#define AGENCY_RECORDS_SENT_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "tsunagu/tsg_store.h"
#include "tsunagu/tsg_util.h"

typedef enum {
    AGENCY_EVENT_STORED,    /* RECEIPT_STORED from the coordinator */
    AGENCY_EVENT_DELIVERED, /* RECEIPT_DELIVERED relayed from the recipient */
    AGENCY_EVENT_REJECTED,  /* RECEIPT_REJECTED relayed from the recipient */
    AGENCY_EVENT_REFUSED,   /* a final ERROR from the coordinator: refused while queued,
                               withheld once stored (a consent it relied on ended) */
} agency_sent_event_t;

/* A new sent record (delivery "queued", history "requested" at created_ms).  The
 * strings are copied; tags is borrowed (an array of strings).  NULL on allocation
 * failure. */
json_t *agency_sent_record (const char *referral_id, const char *case_id, const char *to,
                            const char *to_type, uint64_t created_ms, const char *due_date,
                            const char *urgency, json_t *tags, const char *legal_basis,
                            const char *consent_id, const char *client_ref,
                            const uint8_t message_id[TSG_MESSAGE_ID_SIZE], uint64_t sequence);

/* Writes the record under its referral id. */
void agency_sent_put (tsg_txn_t *txn, const json_t *record);

/* The record of referral_id (a new reference), or NULL when unknown. */
json_t *agency_sent_get (tsg_txn_t *txn, const char *referral_id);

/* Applies event to record: stored and delivered set their receipt time once (delivered never
 * before stored, whichever came first: the two clocks differ by the recipient's estimate); rejected
 * and refused set the error (code, message); refused makes delivery "refused" while the
 * letter was queued and "withheld" once it was stored.  by is the agency the event came from (may
 * be NULL).  Returns true when the record changed. */
bool agency_sent_apply (json_t *record, agency_sent_event_t event, uint64_t at_ms, const char *by,
                        const char *code, const char *message);

/* Applies event to the referral referral_id (from the msgref of the letter that carried
 * it), inside txn.  TSG_ERR_NOT_FOUND when there is no such record, TSG_ERR_PERMISSION when a
 * delivered or rejected event comes from (by) another agency than the recipient; txn->rc
 * tells of store failures. */
int agency_sent_update (tsg_txn_t *txn, const char *referral_id, agency_sent_event_t event,
                        uint64_t at_ms, const char *by, const char *code, const char *message);

#endif
