/* Inbound letters: decode, verify, deduplicate, hand each to its kind (kind.h), file it in
 * the inbox with what its body held, and acknowledge it after the commit.  One batch of
 * frames is one write transaction. */
#ifndef AGENCY_CORE_INBOX_H_INCLUDED
#define AGENCY_CORE_INBOX_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#include "agency/core/agency.h"

/* Handles one inbound frame inside txn (verify, dedup, store), recording in batch what
 * must happen after the commit.  Never fails: a bad frame is logged, counted and, when
 * it can be answered, quarantined and rejected. */
void agency_inbox_handle (tsg_agency_t *self, tsg_txn_t *txn, const uint8_t *data, size_t len,
                          agency_batch_t *batch);

/* Handles frames inside txn, adding to batch what must happen after the commit
 * (batch starts zeroed; several calls may add to one batch). */
void agency_receive_into (tsg_agency_t *self, tsg_txn_t *txn, const uint8_t *const frames[],
                          const size_t lens[], size_t count, agency_batch_t *batch);

/* After the commit of batch's transaction (rc its result): on success installs the new
 * directory, sends the receipts, updates the outbox schedule; on failure drops it all
 * (the coordinator sends the letters again).  Clears batch. */
void agency_receive_finish (tsg_agency_t *self, agency_batch_t *batch, int rc);

/* Handles frames as one batch: one write transaction, commit, then receipts and state.
 * Returns TSG_OK or the commit's error (then nothing was stored or sent). */
int agency_receive (tsg_agency_t *self, const uint8_t *const frames[], const size_t lens[],
                    size_t count);

/* Frees what a batch holds. */
void agency_batch_clear (agency_batch_t *batch);

#endif
