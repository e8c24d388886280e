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

/* What this agency knows of the latest roster of a meeting kind on a case. */
typedef enum {
    AGENCY_ROSTER_UNKNOWN,   /* it cannot tell (no copy, or it may have missed the meeting) */
    AGENCY_ROSTER_NONE_HELD, /* the coordinator's copy says no such meeting was held */
    AGENCY_ROSTER_KNOWN,     /* *roster holds the attendees */
} agency_roster_t;

/* The latest roster of meeting kind on the case, from its copy (record, may be NULL) and its
 * events (an array, may be NULL), in the order the coordinator applies them: our own meeting
 * of kind still on its way (pending or stored) first, then for a 支援会議 the roster of the
 * coordinator's last CASE_UPDATE when that roster is a 支援会議's, then the last meeting of
 * kind among the events (ours once applied, those fanned out to us).  A copy whose latest
 * 支援会議 / 重層的支援会議 roster is empty at a version above 0 has held no 支援会議.  With
 * AGENCY_ROSTER_KNOWN, *roster is a new array of agency ids; else NULL. */
agency_roster_t agency_roster_latest (const json_t *record, const json_t *events,
                                      Tsunagu__V1__MeetingKind kind, json_t **roster);

/* The same, read from this agency's store for case_id. */
agency_roster_t agency_roster_find (tsg_agency_t *self, const char *case_id,
                                    Tsunagu__V1__MeetingKind kind, json_t **roster);

/* The meeting rules of a letter with personal content to `to` on basis support-meeting (the
 * sender and `to` on the case's latest 支援会議 roster) or statutory-meeting (`to` on the
 * roster of this agency type's own meeting), as the coordinator applies them
 * (coordinator/intake/legal_basis.c), to what this agency knows (agency_roster_find): 0 for
 * another basis, or when the rules let it go, or when this agency cannot tell (the
 * coordinator decides); else 422 missing_legal_basis with the coordinator's sentence (which
 * meeting was never held, who is not on which roster) under field. */
int agency_roster_check (tsg_agency_t *self, Tsunagu__V1__LegalBasis basis, const char *case_id,
                         const char *to, const char *field, json_t **reply);

#endif
