/* What becomes of our case events (the hooks of the case event kind's table, core/kind.h):
 * the coordinator stored one (applied, or stored until the case update reflecting it comes),
 * refused it for good (rejected; withheld when it had been stored), or an agency on the case
 * holds it (delivered) or could not open it. */
#ifndef AGENCY_LETTERS_CASE_EVENT_APPLY_H_INCLUDED
#define AGENCY_LETTERS_CASE_EVENT_APPLY_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "agency/core/agency.h"

void agency_case_event_stored (tsg_agency_t *self, tsg_txn_t *txn, const agency_msgref_t *ref,
                               const uint8_t about[TSG_MESSAGE_ID_SIZE], uint64_t at_ms);
void agency_case_event_refused (tsg_agency_t *self, tsg_txn_t *txn, const agency_msgref_t *ref,
                                const uint8_t about[TSG_MESSAGE_ID_SIZE], const char *code,
                                const char *detail, uint64_t at_ms);
/* TSG_OK. */
int agency_case_event_receipt (tsg_agency_t *self, tsg_txn_t *txn, const agency_msgref_t *ref,
                               const uint8_t about[TSG_MESSAGE_ID_SIZE], const char *by,
                               bool delivered, const char *detail, uint64_t at_ms);

/* An agency succession (組織改編) from the coordinator, as the case copy's event: {event_id,
 * type "succession", succession {previous_agency, agency, effective_on, consents_to_renew}};
 * NULL when it is not readable (ids, the day). */
json_t *agency_case_succession_json (const Tsunagu__V1__CaseEvent *ce);

/* Applies a succession to the case copy record (not yet written back): previous_agency's place
 * among its agencies and its plan roles go to agency (the CASE_UPDATE that follows says the
 * same); each consent of consents_to_renew this agency knows is flagged renewal {needed,
 * reason "succession", previous_agency, agency, case_id, since}; and the event feed tells the
 * agency's own system (case.succession {case_id, previous_agency, agency, effective_on,
 * consents_to_renew}). */
void agency_case_succession_apply (tsg_agency_t *self, tsg_txn_t *txn, json_t *record,
                                   const Tsunagu__V1__Succession *su);

#endif
