/* What a consent grant and a consent revocation share as letters: the sealed bodies they
 * carry to the other agencies on the case that the consent covers, and opening ours when one
 * comes to us. */
#ifndef AGENCY_LETTERS_CONSENT_LETTER_H_INCLUDED
#define AGENCY_LETTERS_CONSENT_LETTER_H_INCLUDED

#include <jansson.h>

#include "agency/core/submit.h"

/* Seals content (when not NULL) once for every other active agency on the copy of case_id
 * (none without a copy) that consent covers.  0, or the HTTP status with *reply set; clear
 * out in every case. */
int agency_consent_bodies (tsg_agency_t *self, const char *case_id, const json_t *consent,
                           const json_t *content, agency_bodies_t *out, json_t **reply);

/* Seals a consent letter into pending (413 names the form, sealed once for every
 * agency it goes to). */
int agency_consent_seal (tsg_agency_t *self, tsg_letter_t *letter, agency_pending_t *pending,
                         json_t **reply);

/* The checks and the opening every consent letter for us passes: NULL with *content (our
 * sealed body's object, or NULL when there is none) and *own (our own letter passed back:
 * nothing more to do), else why it must be rejected. */
const char *agency_consent_open (tsg_agency_t *self, const agency_entry_t *sender,
                                 const tsg_letter_t *letter, json_t **content, bool *own);

#endif
