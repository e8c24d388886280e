/* The recipient's record of each referral it received, kept in the received database: who
 * sent it, when, its cleartext header, where it is in the inbox, and (referral_state.h) its state.
 */
#ifndef AGENCY_RECORDS_RECEIVED_H_INCLUDED
#define AGENCY_RECORDS_RECEIVED_H_INCLUDED

#include <jansson.h>
#include <stdint.h>

#include "tsunagu/tsunagu.h"
#include "agency/records/directory.h"

/* Writes the record of a referral letter just stored in the inbox at cursor, from sender
 * (verified), received at received_ms: state requested, version 1.  default_due_days gives
 * the response due date when the header has none. */
void agency_received_add (tsg_txn_t *txn, const agency_entry_t *sender, const tsg_letter_t *letter,
                          uint64_t cursor, uint64_t received_ms, int default_due_days);

/* The record of referral_id (a new reference), or NULL when unknown. */
json_t *agency_received_get (tsg_txn_t *txn, const char *referral_id);

/* Writes the record under its referral id. */
void agency_received_put (tsg_txn_t *txn, const json_t *record);

#endif
