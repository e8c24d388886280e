/* The consent register of this agency, in the consents and consent_data databases: the
 * consents it granted or learnt of, with their state, and which inbox letters came under each
 * (what is shown "restricted" once a consent is revoked or expired).  The letters that grant
 * and revoke consents are letters/consent_grant.c's and letters/consent_revoke.c's.
 *
 * A consent record (JSON): the ConsentInfo (consent_id, case_id, subject, cover_agencies,
 * cover_types, categories, purpose, method, obtained_by, valid_from, valid_until), origin
 * ("own": granted here; "received": learnt from a letter), granted_by, granted_at, state
 * (pending until the coordinator stores our grant, then registered; refused; revoked;
 * expired), form_sha256, form_received, note, message_id, sealed_for, delivered_to [{agency,
 * letter, at}], rejected_by [{agency, letter, at, detail}], error {code, message, at},
 * withheld [{code, message, at}]; after a revocation revoked_at, revoked_by, revoke_reason;
 * while our own revocation travels, revoke {state, message_id, at, reason, reason_shared,
 * sealed_for, form_sha256, error}.
 *
 * Status as the API shows it: revoked, expired (by a letter, or once valid_until has passed in
 * Japan time), refused, pending, not-yet-valid, or active.
 *
 *   consent_data  u8 n || consent id (n) || be64 cursor → u8 kind   the inbox letters that
 *                 came under each consent, for the counts of restricted data */
#ifndef AGENCY_RECORDS_CONSENTS_H_INCLUDED
#define AGENCY_RECORDS_CONSENTS_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsunagu/tsunagu.h"
#include "agency/records/directory.h"

#define AGENCY_CONSENT_NOTE_MAX 2000 /* bytes of a note or a reason */
#define AGENCY_CONSENT_LIST_MAX 32   /* agencies a consent may cover */
#define AGENCY_SHA256_HEX       64   /* hex digits of a SHA-256 */

/* The purposes and methods a consent may name, NULL-terminated. */
extern const char *const agency_consent_purposes[];
extern const char *const agency_consent_methods[];

/* The record of consent_id (a new reference), or NULL when unknown. */
json_t *agency_consent_get (tsg_txn_t *txn, const char *consent_id);

/* Writes record under its consent id (a bad id sets txn->rc). */
void agency_consent_put (tsg_txn_t *txn, const json_t *record);

/* Today in Japan, YYYY-MM-DD: the day consents are valid on. */
void agency_consent_today (char out[11]);

/* The status the API shows for record on day today (see above). */
const char *agency_consent_status (const json_t *record, const char *today);

/* True for a status whose letters are restricted: revoked or expired. */
bool agency_consent_status_restricts (const char *status);

/* True when consent_id names a consent this agency knows to be revoked or expired: what
 * came under it is restricted. */
bool agency_consent_restricted (tsg_txn_t *txn, const char *consent_id);

/* True when consent covers agency_id: by id, or by its type in directory. */
bool agency_consent_covers (const agency_directory_t *directory, const json_t *consent,
                            const char *agency_id);

/* Why record does not let a letter go on day today (revoked, expired, refused, not yet
 * valid), written to why; NULL when it does. */
const char *agency_consent_unusable (const json_t *record, const char *today, char *why,
                                     size_t size);

/* Notes that the inbox letter at cursor (of kind) came under consent_id. */
void agency_consent_note_data (tsg_txn_t *txn, const char *consent_id, uint64_t cursor,
                               Tsunagu__V1__Kind kind);

/* {"referrals", "status_changes", "case_events", "other"}: how many inbox letters came
 * under consent_id. */
json_t *agency_consent_data_counts (tsg_txn_t *txn, const char *consent_id);

/* Agency `by` holds our consent letter `letter` ("grant" or "revoke") about consent_id
 * (delivered), or could not open it (detail); noted once per agency and letter. */
void agency_consent_note_receipt (tsg_txn_t *txn, const char *consent_id, const char *letter,
                                  const char *by, bool delivered, const char *detail,
                                  uint64_t at_ms);

/* The ConsentInfo of a consent record as a referral under it carries it in header.consent, so
 * that its recipient learns whom the consent covers: every field but the subject (which the
 * recipient does not need), pointing into the record, which must outlive it. */
typedef struct {
    Tsunagu__V1__ConsentInfo info;             /* the message */
    char *agencies[AGENCY_CONSENT_LIST_MAX];   /* info.cover_agencies */
    char *types[AGENCY_CONSENT_LIST_MAX];      /* info.cover_types */
    char *categories[AGENCY_CONSENT_LIST_MAX]; /* info.categories */
} agency_consent_info_t;

/* Fills out from record; false (out unusable) when the record has no valid consent id or
 * valid_until. */
bool agency_consent_info (const json_t *record, agency_consent_info_t *out);

/* The recipient of a letter about case_id from sender learns the consent info it came under
 * (header.consent of a REFERRAL): registered with origin "referral" when its id is new here;
 * a consent known already is left as it is.  A malformed info is ignored. */
void agency_consent_learn (tsg_txn_t *txn, const Tsunagu__V1__ConsentInfo *info,
                           const char *case_id, const char *sender, uint64_t at_ms);

/* True for 64 lowercase hex digits (a SHA-256 as the API writes it). */
bool agency_consent_sha256_valid (const char *text);

#endif
