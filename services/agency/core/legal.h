/* The legal basis of personal data at the API (DESIGN §4): the rules every letter with
 * personal content meets before anything is sealed, shared by the letter kinds, and what the
 * consents known here allow. */
#ifndef AGENCY_CORE_LEGAL_H_INCLUDED
#define AGENCY_CORE_LEGAL_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>

#include "agency/core/agency.h"

/* The rules of the basis alone, for a request whose letter carries personal content:
 * consent needs consent_id; support-meeting and statutory-meeting need a case
 * (has_case); none needs no data categories, every other basis at least one.  Each
 * problem goes to fields under the request's member names (categories_path for the
 * categories). */
void agency_basis_rules (Tsunagu__V1__LegalBasis basis, const char *consent_id, bool has_case,
                         const json_t *categories, const char *categories_path, json_t *fields);

/* The 422 answer for a letter the law does not let go: error missing_legal_basis, the
 * message, and the problem under field (field may be NULL). */
json_t *agency_legal_refusal (const char *field, const char *problem, const char *message);

/* The record of consent_id (a new reference): the stored one, else one of this batch's
 * pending grants; NULL when unknown.  txn may be NULL (a read transaction of its own). */
json_t *agency_consent_find (tsg_agency_t *self, tsg_txn_t *txn, const char *consent_id);

/* The API's check of a letter that names consent_id, against the local register: 0 when
 * the consent is unknown here (the coordinator decides) or lets the letter go (case_id,
 * recipient `to` when not NULL, every category); else 422 with *reply (missing_legal_basis)
 * naming what is wrong under field (or under categories_path[i] for a category). */
int agency_consent_check (tsg_agency_t *self, const char *consent_id, const char *case_id,
                          const char *to, const json_t *categories, const char *field,
                          const char *categories_path, json_t **reply);

#endif
