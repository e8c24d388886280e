/* What happens to a referral's state when letters come back (the hooks of the status kind's
 * table, core/kind.h): our own change when the coordinator stores it (in the order the changes
 * were made), refuses it or the other party acknowledges it, and the other party's change
 * when its letter arrives.  One that does not fit the local copy is still applied (the
 * coordinator checked it) and the referral is flagged "out_of_sync". */
#ifndef AGENCY_LETTERS_REFERRAL_STATUS_APPLY_H_INCLUDED
#define AGENCY_LETTERS_REFERRAL_STATUS_APPLY_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "agency/core/agency.h"

/* The coordinator stored our change (ref from the letter's msgref): apply it. */
void agency_status_stored (tsg_agency_t *self, tsg_txn_t *txn, const agency_msgref_t *ref,
                           const uint8_t message_id[TSG_MESSAGE_ID_SIZE], uint64_t at_ms);

/* The coordinator refused our change for good: drop it and record the error. */
void agency_status_refused (tsg_agency_t *self, tsg_txn_t *txn, const agency_msgref_t *ref,
                            const uint8_t message_id[TSG_MESSAGE_ID_SIZE], const char *code,
                            const char *detail, uint64_t at_ms);

/* The other party (by) holds our change (delivered) or could not accept it.  TSG_OK. */
int agency_status_receipt (tsg_agency_t *self, tsg_txn_t *txn, const agency_msgref_t *ref,
                           const uint8_t message_id[TSG_MESSAGE_ID_SIZE], const char *by,
                           bool delivered, const char *detail, uint64_t at_ms);

/* A REFERRAL_STATUS letter from sender (verified, addressed to us): checks it, opens its body
 * (the reason and note, in *content) and applies it to the referral's record inside txn.  NULL
 * when it is accepted (also when the referral is unknown here: it is kept in the inbox only),
 * else why it must be rejected. */
const char *agency_status_receive (tsg_agency_t *self, tsg_txn_t *txn, const agency_entry_t *sender,
                                   const tsg_letter_t *letter, json_t **content);

/* Filed in the inbox at cursor: what came under a consent is noted. */
void agency_status_filed (tsg_agency_t *self, tsg_txn_t *txn, const agency_entry_t *sender,
                          const tsg_letter_t *letter, uint64_t cursor);

#endif
