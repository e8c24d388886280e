/* A referral by its id, on whichever side this agency is: the sender's record (sent.h) or the
 * recipient's (received.h). */
#ifndef AGENCY_RECORDS_REFERRALS_H_INCLUDED
#define AGENCY_RECORDS_REFERRALS_H_INCLUDED

#include <jansson.h>

#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_states.h"

/* The record of referral_id from the sent (party: sender) or received (party: recipient)
 * database, as a new reference; NULL when this agency has neither. */
json_t *agency_status_find (tsg_txn_t *txn, const char *referral_id, tsg_party_t *party);

/* Writes record back to the database of party. */
void agency_status_save (tsg_txn_t *txn, const json_t *record, tsg_party_t party);

/* The other party of a referral whose record is on our side party ("to" or "from"). */
const char *agency_status_other (const json_t *record, tsg_party_t party);

#endif
