/* The legal basis of personal data at the API: the seven data categories, and the rules
 * every letter with personal content meets before anything is sealed (DESIGN §4). */
#ifndef AGENCY_LEGAL_H_INCLUDED
#define AGENCY_LEGAL_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>

#include "tsunagu/tsg_wire.h"

#define AGENCY_CATEGORIES_MAX 7 /* distinct data categories a letter can name */

/* The data categories, NULL-terminated: identity, health, disability, finances, family,
 * children, free-text. */
extern const char *const agency_data_categories[];

/* True when name is one of the seven. */
bool agency_data_category_valid (const char *name);

/* Checks value, the request member at path (NULL when absent), as data categories: an
 * array of distinct names of the seven.  Problems go to fields.  Returns value (borrowed)
 * when it is such an array, else NULL. */
json_t *agency_categories_parse (json_t *value, const char *path, json_t *fields);

/* True when categories (an array of strings) holds name. */
bool agency_categories_has (const json_t *categories, const char *name);

/* Points header's data_categories at the strings of categories, through slots; both must
 * outlive the header's use.  Leaves the header alone when categories is empty or NULL. */
void agency_categories_header (tsg_header_t *header, const json_t *categories,
                               char *slots[AGENCY_CATEGORIES_MAX]);

/* The data categories of a received header as a new JSON array (the valid names only). */
json_t *agency_categories_of_header (const tsg_header_t *header);

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

#endif
