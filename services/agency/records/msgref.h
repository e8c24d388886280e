/* Which of this agency's own letters carried what: a referral, a change of a referral's
 * state, a case event, a consent granted or revoked; kept in the msgref database so receipts
 * and errors about a letter find what they are about (and the kind whose operations apply:
 * core/kind.h). */
#ifndef AGENCY_RECORDS_MSGREF_H_INCLUDED
#define AGENCY_RECORDS_MSGREF_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#include "tsunagu/tsg_store.h"
#include "tsunagu/tsg_util.h"

/* The kinds of letter this agency makes from the API, one table of operations each
 * (letters/). */
typedef enum {
    AGENCY_KIND_REFERRAL,       /* a referral (letters/referral.c) */
    AGENCY_KIND_STATUS,         /* a change of a referral's state (letters/referral_status.c) */
    AGENCY_KIND_CASE_EVENT,     /* a case event (letters/case_event.c) */
    AGENCY_KIND_CONSENT_GRANT,  /* a consent granted (letters/consent_grant.c) */
    AGENCY_KIND_CONSENT_REVOKE, /* a consent revoked (letters/consent_revoke.c) */
    AGENCY_KIND_COUNT
} agency_kind_id_t;

typedef struct {
    agency_kind_id_t kind;       /* what the letter carried */
    uint64_t sequence;           /* its outbox sequence; 0 once the coordinator refused it
                                    (core/delivery.c) */
    char id[TSG_UUID_TEXT_SIZE]; /* the referral id (referral, status), the case id (case
                                    event) or the consent id */
    uint64_t n;                  /* case event: its number in the case (cases.h) */
} agency_msgref_t;

/* Remembers what the letter message_id carried; ref->id must be a 36-character id. */
void agency_msgref_put (tsg_txn_t *txn, const uint8_t message_id[TSG_MESSAGE_ID_SIZE],
                        const agency_msgref_t *ref);

/* Looks message_id up; false when it is not a letter of ours. */
bool agency_msgref_get (tsg_txn_t *txn, const uint8_t message_id[TSG_MESSAGE_ID_SIZE],
                        agency_msgref_t *ref);

#endif
