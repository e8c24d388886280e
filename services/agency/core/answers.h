/* How this agency answers the letters that come to it: a receipt for each, queued in the
 * batch and sent only after the batch's commit; what it answered, remembered (seen) so that
 * a letter that comes again gets the same answer; a refused letter quarantined. */
#ifndef AGENCY_CORE_ANSWERS_H_INCLUDED
#define AGENCY_CORE_ANSWERS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agency/core/agency.h"

/* Queues a receipt of type (with detail) about letter for after the commit. */
void agency_answer_receipt (agency_batch_t *batch, const tsg_letter_t *letter,
                            Tsunagu__V1__ReceiptType type, const char *detail);

/* True when letter was answered before: counted as a duplicate and answered the same way
 * again. */
bool agency_answer_repeat (tsg_agency_t *self, tsg_txn_t *txn, const tsg_letter_t *letter,
                           agency_batch_t *batch);

/* The letter is taken (cursor: its inbox entry, 0 for none): remembered and answered
 * RECEIPT_DELIVERED. */
void agency_answer_accept (tsg_txn_t *txn, const tsg_letter_t *letter, uint64_t cursor,
                           agency_batch_t *batch);

/* Refuses a letter from a known sender: quarantine, remember (when remember), answer
 * RECEIPT_REJECTED after the commit. */
void agency_answer_reject (tsg_agency_t *self, tsg_txn_t *txn, const tsg_letter_t *letter,
                           const uint8_t *data, size_t len, const char *reason, bool remember,
                           agency_batch_t *batch);

/* After the commit: seals and sends every receipt of batch (one that cannot leave is
 * dropped: the letter comes again and is answered again). */
void agency_answers_send (tsg_agency_t *self, const agency_batch_t *batch);

#endif
