/* Closed-loop referrals and case lifecycles inside the batch's write transaction: REFERRAL
 * letters open referrals and cases, REFERRAL_STATUS letters move referrals, CASE_EVENT letters
 * move cases and are fanned out, and every changed case is announced with CASE_UPDATE
 * letters before the batch commits. */
#ifndef TSG_HUB_CASEWORK_H_INCLUDED
#define TSG_HUB_CASEWORK_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coordinator/directory.h"

typedef struct _tsg_hub_casework_t tsg_hub_casework_t;

/* Told of every agency whose mailbox got a letter. */
typedef void (tsg_hub_mail_fn) (void *arg, const char *recipient);

/* A new casework that checks against directory and signs CASE_UPDATE letters with keys (both
 * borrowed; directory may be reloaded between batches), telling note_mail (with arg) of new
 * mail.  NULL on allocation failure. */
tsg_hub_casework_t *tsg_hub_casework_new (const tsg_hub_directory_t *directory,
                                          const tsg_keys_t *keys, tsg_hub_mail_fn *note_mail,
                                          void *arg);

/* Frees it; safe on NULL and twice. */
void tsg_hub_casework_destroy (tsg_hub_casework_t **self_p);

/* Starts a batch in txn (a write transaction, borrowed until the next begin) at now_ms (UTC,
 * the coordinator's clock); forgets the previous batch's changed cases. */
void tsg_hub_casework_begin (tsg_hub_casework_t *self, tsg_txn_t *txn, uint64_t now_ms);

/* True for the kinds casework takes: REFERRAL, REFERRAL_STATUS, CASE_EVENT. */
bool tsg_hub_casework_takes (Tsunagu__V1__Kind kind);

/* Checks a verified letter from sender (an agency; "coordinator" for the coordinator's staff)
 * whose serialized envelope is envelope, against the referral and case records, and applies
 * it when it passes:
 *   REFERRAL         needs uuid referral_id and case_id, a new referral id, no self-referral;
 *                    records the referral (due dates from the recipient's registry entry) and
 *                    opens or joins the case;
 *   REFERRAL_STATUS  ERROR_UNKNOWN_REFERRAL, ERROR_NOT_PERMITTED (neither party, or not
 *                    addressed to the other party), ERROR_STALE_VERSION, then
 *                    ERROR_ILLEGAL_TRANSITION from the shared table; moves the referral;
 *   CASE_EVENT       ERROR_UNKNOWN_CASE, then tsg_hub_case_event_check; moves the case, and
 *                    stores the letter itself: its MESSAGES record (recipient "coordinator")
 *                    and an unchanged copy in the mailbox of every other agency on the case.
 * The caller stores REFERRAL and REFERRAL_STATUS letters in their recipient's mailbox.
 * Returns 0, or the refusal code with an English sentence in detail; a refused letter
 * changes nothing.  A failed transaction shows in txn->rc. */
Tsunagu__V1__ErrorCode tsg_hub_casework_take (tsg_hub_casework_t *self, const char *sender,
                                              const tsg_letter_t *letter, const uint8_t *envelope,
                                              size_t len, char *detail, size_t size);

/* Ends the batch: for every case changed since begin, a CASE_UPDATE letter signed by the
 * coordinator in the mailbox of every agency on the case (revoked ones aside). */
void tsg_hub_casework_end (tsg_hub_casework_t *self);

/* Cases changed since begin (for logs and tests). */
size_t tsg_hub_casework_changed (const tsg_hub_casework_t *self);

#endif
