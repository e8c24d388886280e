/* The local copy of each case this agency is on, in the cases and case_events databases.
 * The coordinator is the authority: its CASE_UPDATE letters set the state, version,
 * agencies, roster, roles and next review date.  Beside that metadata the copy holds the
 * referrals of the case this agency sent or received, and the case's events (our own and
 * those fanned out to us) with their decrypted content.
 *
 * A case record (JSON): case_id, state (null until the first CASE_UPDATE), version (0 until
 * then), agencies, tags, roster_kind, roster, roles [{agency, role}], next_review_on,
 * updated_at, last_event {id, type, by}, referrals [{referral_id, role, with}], event_next
 * (the next event number, from 1), inflight [{event_id, n, base_version, state}] (our events
 * the copy does not reflect yet), rejected_events [{event_id, type, error, message, at}]. */
#ifndef AGENCY_RECORDS_CASES_H_INCLUDED
#define AGENCY_RECORDS_CASES_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_states.h"

/* The record of case_id (a new reference), or NULL when unknown. */
json_t *agency_case_get (tsg_txn_t *txn, const char *case_id);

/* The record of case_id, or a new empty one (not yet written) when unknown. */
json_t *agency_case_get_or_new (tsg_txn_t *txn, const char *case_id);

/* Writes record under its case id. */
void agency_case_put (tsg_txn_t *txn, const json_t *record);

/* Notes in the copy of case_id that referral_id, of which we are party (sender or
 * recipient) with the agency `with`, belongs to it. */
void agency_cases_add_referral (tsg_txn_t *txn, const char *case_id, const char *referral_id,
                                tsg_party_t party, const char *with);

/* The same on a copy the caller loaded (agency_case_get_or_new), not stored: true when the
 * referral was not listed yet. */
bool agency_case_note_referral (json_t *record, const char *referral_id, tsg_party_t party,
                                const char *with);

/* Applies a CASE_UPDATE from the coordinator.  NULL when applied (or older than the copy,
 * then ignored), else why it cannot be read. */
const char *agency_case_update (tsg_txn_t *txn, const Tsunagu__V1__CaseUpdate *update);

/* agency_case_update on a copy the caller has loaded (agency_case_get_or_new; still the
 * caller's): updated in place and stored. */
const char *agency_case_apply_update (tsg_txn_t *txn, json_t *record,
                                      const Tsunagu__V1__CaseUpdate *update);

/* The state (false when the coordinator has not told it yet) and version a new event of ours
 * should start from: the copy's, moved on by our events on their way. */
bool agency_case_effective (const json_t *record, tsg_case_state_t *state, uint64_t *version);

/* True when the copy lists agency_id among the case's agencies. */
bool agency_case_lists (const json_t *record, const char *agency_id);

/* Stores event as the next event of record's case and returns its number; the caller
 * writes record back. */
uint64_t agency_case_event_add (tsg_txn_t *txn, json_t *record, const json_t *event);

/* Event n of case_id (a new reference) or NULL; and writing it back. */
json_t *agency_case_event_get (tsg_txn_t *txn, const char *case_id, uint64_t n);
void agency_case_event_put (tsg_txn_t *txn, const char *case_id, uint64_t n, const json_t *event);

/* Every event of case_id, in order, as a new array of new references. */
json_t *agency_case_events (tsg_txn_t *txn, const char *case_id);

#endif
