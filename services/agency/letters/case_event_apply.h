/* What becomes of our case events (the hooks of the case event kind's table, core/kind.h):
 * the coordinator stored one (applied, or stored until the case update reflecting it comes),
 * refused it for good (rejected; withheld when it had been stored), or an agency on the case
 * holds it (delivered) or could not open it. */
#ifndef AGENCY_LETTERS_CASE_EVENT_APPLY_H_INCLUDED
#define AGENCY_LETTERS_CASE_EVENT_APPLY_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

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

#endif
