/* Consents at the agency: POST /v1/consents (a consent this agency obtained, registered at the
 * coordinator with a CONSENT_GRANT letter whose sealed bodies carry the signed form's hash and,
 * when given, the form itself to the other agencies on the case that it covers), DELETE
 * /v1/consents/{id} (a CONSENT_REVOKE with the reason), GET /v1/consents; what the
 * coordinator answers about them; the consent letters fanned out to this agency; and the local
 * register, which marks what came under a revoked or expired consent "restricted".
 *
 * A consent record (JSON, in the consents database): the ConsentInfo (consent_id, case_id,
 * subject, cover_agencies, cover_types, categories, purpose, method, obtained_by, valid_from,
 * valid_until), origin ("own": granted here; "received": learnt from a letter), granted_by,
 * granted_at, state (pending until the coordinator stores our grant, then registered; refused;
 * revoked; expired), form_sha256, form_received, note, message_id, sealed_for, delivered_to
 * [{agency, at}], rejected_by [{agency, at, detail}], error {code, message}; after a revocation
 * revoked_at, revoked_by, revoke_reason; while our own revocation travels, revoke {state,
 * message_id, at, reason, reason_shared, sealed_for, error}.
 *
 * Status as the API shows it: revoked, expired (by a letter, or once valid_until has passed in
 * Japan time), refused, pending, not-yet-valid, or active.  Letters that came under a revoked
 * or expired consent stay readable but are shown "restricted": true. */
#ifndef AGENCY_CONSENTS_H_INCLUDED
#define AGENCY_CONSENTS_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "agency.h"
#include "msgref.h"

#define AGENCY_CONSENT_NOTE_MAX 2000 /* bytes of a note or a reason */
#define AGENCY_CONSENT_LIST_MAX 32   /* agencies a consent may cover */

/* POST /v1/consents: validates body (400), the agencies it names (422), and either answers
 * at once (NULL, *status and *reply set; 503 without a current directory) or seals the
 * CONSENT_GRANT, queues it for the next group commit and returns the pending entry. */
agency_pending_t *agency_consent_grant_submit (tsg_agency_t *self, const char *body, size_t len,
                                               int *status, json_t **reply);

/* DELETE /v1/consents/{id}: validates body ({"reason"}: 400), the consent (404 unknown here,
 * 409 refused, revoked, expired or being revoked) and either answers at once or seals the
 * CONSENT_REVOKE, queues it and returns the pending entry. */
agency_pending_t *agency_consent_revoke_submit (tsg_agency_t *self, const char *consent_id,
                                                const char *body, size_t len, int *status,
                                                json_t **reply);

/* Writes a pending grant or revocation into txn: the record and the msgref. */
bool agency_consent_write (tsg_agency_t *self, tsg_txn_t *txn, const agency_pending_t *pending);

/* The coordinator stored our grant (the consent is registered) or our revocation (it is
 * revoked: what came under it is restricted from now on). */
void agency_consent_stored (tsg_agency_t *self, tsg_txn_t *txn, const agency_msgref_t *ref,
                            uint64_t at_ms);

/* The coordinator refused our grant or revocation for good (code, detail). */
void agency_consent_refused (tsg_txn_t *txn, const agency_msgref_t *ref, const char *code,
                             const char *detail, uint64_t at_ms);

/* Agency `by` holds our consent letter (delivered) or could not open it. */
void agency_consent_receipt (tsg_txn_t *txn, const agency_msgref_t *ref, const char *by,
                             bool delivered, const char *detail, uint64_t at_ms);

/* A CONSENT_GRANT or CONSENT_REVOKE fanned out to us from sender (an agency; NULL for the
 * coordinator, whose revocations say a consent expired), verified: opens our sealed body
 * and records the consent or its end inside txn.  NULL when accepted, else why it must be
 * rejected. */
const char *agency_consent_receive (tsg_agency_t *self, tsg_txn_t *txn,
                                    const agency_entry_t *sender, const tsg_letter_t *letter);

/* Notes that the inbox letter at cursor (of kind) came under consent_id. */
void agency_consent_note_data (tsg_txn_t *txn, const char *consent_id, uint64_t cursor,
                               Tsunagu__V1__Kind kind);

/* True when consent_id names a consent this agency knows to be revoked or expired: what
 * came under it is restricted. */
bool agency_consent_restricted (tsg_txn_t *txn, const char *consent_id);

/* The record of consent_id (a new reference): the stored one, else one of this batch's
 * pending grants; NULL when unknown.  txn may be NULL (a read transaction of its own). */
json_t *agency_consent_find (tsg_agency_t *self, tsg_txn_t *txn, const char *consent_id);

/* True when consent covers agency_id: by id, or by its type in the directory. */
bool agency_consent_covers (const tsg_agency_t *self, const json_t *consent, const char *agency_id);

/* The API's check of a letter that names consent_id, against the local register: 0 when
 * the consent is unknown here (the coordinator decides) or lets the letter go (case_id,
 * recipient `to` when not NULL, every category); else 422 with *reply (missing_legal_basis)
 * naming what is wrong under field (or under categories_path[i] for a category). */
int agency_consent_check (tsg_agency_t *self, const char *consent_id, const char *case_id,
                          const char *to, const json_t *categories, const char *field,
                          const char *categories_path, json_t **reply);

/* GET /v1/consents[?case=]: {"items": [...]}, every consent known here or those of one case. */
json_t *agency_consents_list (tsg_agency_t *self, const char *case_filter);

/* GET /v1/consents/{id}: the consent as the list shows it, or NULL when unknown. */
json_t *agency_consent_show (tsg_agency_t *self, const char *consent_id);

#endif
