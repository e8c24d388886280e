/* A referral's state on this agency's side, whether it sent or received the referral: the
 * state, its version and history, changes of its own waiting for the coordinator, and
 * POST /v1/referrals/{id}/status, which asks for one more.
 *
 * Versions: a referral is version 1 when requested; each change the coordinator accepts
 * makes it base_version + 1.  A change of this agency's own is "pending" from the POST until
 * the coordinator's RECEIPT_STORED (then applied) or its final ERROR (then dropped, and shown
 * under "errors").  The other party's change is applied when its letter arrives; one that
 * does not fit the local copy is still applied (the coordinator checked it) and the referral
 * is flagged "out_of_sync". */
#ifndef AGENCY_STATUS_H_INCLUDED
#define AGENCY_STATUS_H_INCLUDED

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "tsunagu/tsg_states.h"
#include "agency.h"
#include "msgref.h"

/* Gives a new referral record its first state: requested, version 1, one history entry
 * (requested at created_ms by sender). */
void agency_status_init (json_t *record, uint64_t created_ms, const char *sender);

/* The state and version in record (requested and 1 for a record without them). */
void agency_status_current (const json_t *record, tsg_ref_state_t *state, uint64_t *version);

/* The record of referral_id from the sent (party: sender) or received (party: recipient)
 * database, as a new reference; NULL when this agency has neither. */
json_t *agency_status_find (tsg_txn_t *txn, const char *referral_id, tsg_party_t *party);

/* Writes record back to the database of party. */
void agency_status_save (tsg_txn_t *txn, const json_t *record, tsg_party_t party);

/* Adds the state fields of record to out, an API answer: "status" and "state", "version",
 * "state_history" (times in ISO-8601), "pending_status" and "pending_changes" while changes
 * of ours wait, "errors" when some were refused, "out_of_sync" when set. */
void agency_status_api (const json_t *record, json_t *out);

/* POST /v1/referrals/{id}/status: validates body against the local copy (400, 404, 409 stale
 * version, 422 illegal change, 503 no directory) and the legal basis of its reason and note
 * (400 a rule of the basis, 422 missing_legal_basis), and either answers at once (returns NULL
 * with *status and *reply set) or seals the REFERRAL_STATUS letter to the other party,
 * queues it for the next group commit and returns the pending entry. */
agency_pending_t *agency_status_submit (tsg_agency_t *self, const char *referral_id,
                                        const char *body, size_t len, int *status, json_t **reply);

/* Writes a pending status change into txn: the change under the record's "pending" and its
 * msgref (the outbox row is pending.c's). */
bool agency_status_write (tsg_agency_t *self, tsg_txn_t *txn, const agency_pending_t *pending);

/* The coordinator stored our change (ref from the letter's msgref): apply it. */
void agency_status_stored (tsg_txn_t *txn, const agency_msgref_t *ref,
                           const uint8_t message_id[TSG_MESSAGE_ID_SIZE]);

/* The coordinator refused our change for good: drop it and record the error. */
void agency_status_refused (tsg_txn_t *txn, const agency_msgref_t *ref,
                            const uint8_t message_id[TSG_MESSAGE_ID_SIZE], const char *code,
                            const char *detail, uint64_t at_ms);

/* The other party (by) holds our change (delivered) or could not accept it. */
void agency_status_receipt (tsg_txn_t *txn, const agency_msgref_t *ref,
                            const uint8_t message_id[TSG_MESSAGE_ID_SIZE], const char *by,
                            bool delivered, const char *detail, uint64_t at_ms);

/* A REFERRAL_STATUS letter from sender (verified, addressed to us): checks it and applies it
 * to the referral's record inside txn.  NULL when it is accepted (also when the referral is
 * unknown here: it is kept in the inbox only), else why it must be rejected. */
const char *agency_status_receive (tsg_agency_t *self, tsg_txn_t *txn, const agency_entry_t *sender,
                                   const tsg_letter_t *letter);

/* The other party of a referral whose record is on our side party ("to" or "from"). */
const char *agency_status_other (const json_t *record, tsg_party_t party);

#endif
