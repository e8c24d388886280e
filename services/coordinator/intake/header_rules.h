/* The rules for the cleartext header of an agency's letter. */
#ifndef TSG_HUB_HEADER_RULES_H_INCLUDED
#define TSG_HUB_HEADER_RULES_H_INCLUDED

#include <stddef.h>

#include "tsunagu/tsunagu.h"

/* The cleartext header carries ids, codes, dates and issue tags only: ids are lowercase UUIDs,
 * dates YYYY-MM-DD, status and outcome from their vocabularies, tags pass the cleartext
 * checker (tsg_cleartext.h), and only an emergency report is flagged urgent.  Returns 0, or
 * the refusal (malformed, illegal_transition for a status letter's own fields, personal_data,
 * missing_legal_basis) with an English sentence in detail. */
Tsunagu__V1__ErrorCode tsg_hub_header_check (const tsg_letter_t *letter, char *detail, size_t size);

#endif
