/* Batch proofs on the agency's side (proto/README.md §2.1): which letters may share a signature,
 * and the signing of each group commit's letters and of each batch's receipts. */
#ifndef AGENCY_CORE_BATCH_SIGN_H_INCLUDED
#define AGENCY_CORE_BATCH_SIGN_H_INCLUDED

#include <stdbool.h>

#include "agency/core/agency.h"

/* True when a letter of kind to recipient may be signed in a batch: the coordinator said it
 * verifies batch proofs (its last HELLO) and whoever else verifies it does too: the recipient
 * agency, as the directory says; a letter to the coordinator only when it keeps it (a receipt),
 * never one it fans out to the agencies on a case (their support is not known here). */
bool agency_batch_ok (const tsg_agency_t *self, const char *recipient, Tsunagu__V1__Kind kind);

/* Signs every pending letter (packed by agency_submit_seal) into its envelope, the batchable
 * ones together.  TSG_OK, or the error, with no envelope made. */
int agency_sign_pending (tsg_agency_t *self);

#endif
