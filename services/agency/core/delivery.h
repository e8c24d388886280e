/* What became of the letters this agency sent: the coordinator's RECEIPT_STORED and final
 * ERRORs, and the DELIVERED/REJECTED receipts relayed from other agencies.  Each is looked up
 * in msgref and handed to the kind of the letter, through its table (kind.h). */
#ifndef AGENCY_CORE_DELIVERY_H_INCLUDED
#define AGENCY_CORE_DELIVERY_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#include "agency/core/agency.h"

/* The coordinator stored our letter `about`: it leaves the outbox and what it carried moves
 * on.  TSG_OK, or TSG_ERR_NOT_FOUND when it is not a letter of ours. */
int agency_delivery_stored (tsg_agency_t *self, tsg_txn_t *txn,
                            const uint8_t about[TSG_MESSAGE_ID_SIZE], uint64_t at_ms);

/* The coordinator refused our letter `about` for good (code, detail): it leaves the outbox
 * and the refusal is recorded.  A letter the coordinator had stored already was withheld
 * from its recipients afterwards (a consent it relied on was revoked or expired): that is
 * recorded as "withheld".  A letter refused once is refused for good: the refusal of a copy
 * resent before the first answer came records nothing again (TSG_ERR_EXISTS).  TSG_OK, or
 * TSG_ERR_NOT_FOUND when it is not ours. */
int agency_delivery_refused (tsg_agency_t *self, tsg_txn_t *txn,
                             const uint8_t about[TSG_MESSAGE_ID_SIZE], const char *code,
                             const char *detail, uint64_t at_ms);

/* Agency `by` holds our letter `about` (delivered) or could not accept it (detail).
 * TSG_OK; TSG_ERR_NOT_FOUND when it is not ours; TSG_ERR_PERMISSION when by is not the
 * referral's recipient. */
int agency_delivery_receipt (tsg_agency_t *self, tsg_txn_t *txn,
                             const uint8_t about[TSG_MESSAGE_ID_SIZE], const char *by,
                             bool delivered, const char *detail, uint64_t at_ms);

#endif
