/* Which of this agency's own letters carried what: a referral, a change of a referral's
 * state, or a case event; kept in the msgref database so receipts and errors about a letter
 * find what they are about. */
#ifndef AGENCY_MSGREF_H_INCLUDED
#define AGENCY_MSGREF_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#include "tsunagu/tsg_store.h"
#include "tsunagu/tsg_util.h"

/* What a letter of ours carried. */
typedef enum {
    AGENCY_LETTER_REFERRAL,   /* a referral (sent.h) */
    AGENCY_LETTER_STATUS,     /* a change of a referral's state (status.h) */
    AGENCY_LETTER_CASE_EVENT, /* a case event (case_events.h) */
    AGENCY_LETTER_CONSENT,    /* a consent granted (n 0) or revoked (n 1) (consents.h) */
} agency_letter_t;

typedef struct {
    agency_letter_t kind;        /* what the letter carried */
    uint64_t sequence;           /* its outbox sequence */
    char id[TSG_UUID_TEXT_SIZE]; /* the referral id (referral, status), the case id (case
                                    event) or the consent id */
    uint64_t n;                  /* case event: its number in the case (cases.h); consent:
                                    0 grant, 1 revoke */
} agency_msgref_t;

/* Remembers what the letter message_id carried; ref->id must be a 36-character id. */
void agency_msgref_put (tsg_txn_t *txn, const uint8_t message_id[TSG_MESSAGE_ID_SIZE],
                        const agency_msgref_t *ref);

/* Looks message_id up; false when it is not a letter of ours. */
bool agency_msgref_get (tsg_txn_t *txn, const uint8_t message_id[TSG_MESSAGE_ID_SIZE],
                        agency_msgref_t *ref);

#endif
