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

/* What a REFERRAL marked opens_case stands for (proto/README.md §9, protocol 1.1): the case's
 * first CASE_UPDATE, which the coordinator does not send — version 1, multi-agency, opener and
 * recipient, the referral's tags (without repeats) — applied to record, our copy of the case
 * as the caller loaded it (agency_case_get_or_new; still the caller's), like the letter would
 * be, case.updated on the feed, unless a CASE_UPDATE from the coordinator came first; record
 * is stored either way.  The sender calls it when the referral is stored, the recipient when
 * it is filed. */
void agency_case_opened (tsg_agency_t *self, tsg_txn_t *txn, json_t *record, const char *opener,
                         const char *recipient, const char *const *tags, size_t n_tags,
                         uint64_t at_ms);

#endif
