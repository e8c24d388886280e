/* Parsing and validating the body of POST /v1/referrals, before anything is stored. */
#ifndef AGENCY_LETTERS_REFERRAL_REQUEST_H_INCLUDED
#define AGENCY_LETTERS_REFERRAL_REQUEST_H_INCLUDED

#include <jansson.h>
#include <stddef.h>

#include "tsunagu/tsg_agency.h"
#include "tsunagu/tsg_wire.h"
#include "agency/records/json.h"

/* A valid referral request.  Every pointer is borrowed from root, which it owns. */
typedef struct {
    json_t *root;                        /* the parsed body */
    const char *to;                      /* recipient id, or NULL (then to_type) */
    const char *to_type;                 /* recipient type, or NULL */
    const char *case_id;                 /* NULL: a new case id is made */
    Tsunagu__V1__Urgency urgency;        /* normal when absent */
    Tsunagu__V1__LegalBasis legal_basis; /* required */
    json_t *tags;                        /* array of strings (may be empty) */
    json_t *data_categories;             /* array of category names (NULL when absent) */
    const char *consent_id;              /* NULL when absent */
    const char *client_ref;              /* NULL when absent */
    json_t *sheet;                       /* the つなぐシート, a JSON object */
} agency_request_t;

/* Parses and checks body for a sender of policy's type: the members, the rules of the legal
 * basis (core/legal.h), the sender type's required intake fields in the sheet, and that no tag
 * looks like personal data (tsg_cleartext.h).  Returns 0 with *out filled (release with
 * agency_request_clear), or the HTTP status with *error set to the error body, naming every
 * bad field under "fields": 400 invalid, or 422 personal_data when the only problems are
 * tags that look like personal data; *out is then empty. */
int agency_request_parse (const char *body, size_t len, const tsg_agency_policy_t *policy,
                          agency_request_t *out, json_t **error);

/* Checks sheet (a JSON object) against policy's required intake fields, adding each
 * problem to fields under "sheet.<path>". */
void agency_intake_check (const tsg_agency_policy_t *policy, json_t *sheet, json_t *fields);

/* Releases what parse kept; safe twice. */
void agency_request_clear (agency_request_t *self);

#endif
