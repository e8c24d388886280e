/* Case events: POST /v1/cases/{id}/events (check against the local copy, seal the personal
 * parts once for every other agency on the case, send the CASE_EVENT to the coordinator
 * through the outbox), what the coordinator answers about them, and the events fanned out to
 * this agency by others or by the coordinator's staff. */
#ifndef AGENCY_CASE_EVENTS_H_INCLUDED
#define AGENCY_CASE_EVENTS_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agency.h"
#include "msgref.h"

#define AGENCY_CASE_TEXT_MAX (64 * 1024) /* bytes of minutes, plan content or note text */

/* POST /v1/cases/{id}/events: validates body (400), the case (404, 409 stale version or no
 * copy from the coordinator yet, 422 not on the case, illegal change or unknown agency, 503
 * no directory), the legal basis of its personal parts (400 none named where none can be
 * inferred, 422 missing_legal_basis) and either answers at once (returns NULL with *status
 * and *reply set) or seals the letter (the personal parts only for the agencies the basis
 * covers), queues it for the next group commit and returns the pending entry. */
agency_pending_t *agency_case_event_submit (tsg_agency_t *self, const char *case_id,
                                            const char *body, size_t len, int *status,
                                            json_t **reply);

/* Writes a pending case event into txn: the event in the case's copy (status "pending"),
 * the case's in-flight list, and the msgref. */
bool agency_case_event_write (tsg_agency_t *self, tsg_txn_t *txn, const agency_pending_t *pending);

/* The coordinator stored our event / refused it for good / an agency on the case holds it
 * (delivered) or could not open it. */
void agency_case_event_stored (tsg_txn_t *txn, const agency_msgref_t *ref);
void agency_case_event_refused (tsg_txn_t *txn, const agency_msgref_t *ref, const char *code,
                                const char *detail, uint64_t at_ms);
void agency_case_event_receipt (tsg_txn_t *txn, const agency_msgref_t *ref, const char *by,
                                bool delivered, const char *detail, uint64_t at_ms);

/* A CASE_EVENT fanned out to us, from sender (an agency; NULL for the coordinator's staff),
 * verified: opens our sealed body and adds the event to the case's copy inside txn.  NULL
 * when accepted, else why it must be rejected. */
const char *agency_case_event_receive (tsg_agency_t *self, tsg_txn_t *txn,
                                       const agency_entry_t *sender, const tsg_letter_t *letter);

/* The personal content of a case event letter for this agency, opened with the sender's
 * box key (NULL: from the coordinator): a JSON object, or NULL when there is none or it
 * does not open.  For the inbox. */
json_t *agency_case_event_content (tsg_agency_t *self, const uint8_t *sender_box,
                                   const tsg_letter_t *letter);

#endif
