/* The letters the coordinator itself sends (verified by the caller): HELLO (its clock, and
 * that it takes our letters), DIRECTORY, RECEIPT_STORED and ERROR about our letters, and what
 * it sends through our mailbox (case updates, its staff's case events, the end of an expired
 * consent). */
#ifndef AGENCY_CORE_FROM_COORDINATOR_H_INCLUDED
#define AGENCY_CORE_FROM_COORDINATOR_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "agency/core/agency.h"

/* Handles letter (data, len: its frame) inside txn, recording in batch what must happen after
 * the commit.  directory is the one in force for this batch. */
void agency_from_coordinator (tsg_agency_t *self, tsg_txn_t *txn, const tsg_letter_t *letter,
                              const uint8_t *data, size_t len, agency_batch_t *batch);

#endif
