/* Opening what was sealed to this agency: the body of a letter (nonce || crypto_box of a Body)
 * or, in a letter sealed once for each of several agencies, our sealed body.  The one place
 * the agency decrypts what comes to it, counted (tsg_agency_t stats.bodies_opened): once when
 * a letter comes in, once for each API read that shows it. */
#ifndef AGENCY_RECORDS_SEALED_H_INCLUDED
#define AGENCY_RECORDS_SEALED_H_INCLUDED

#include <jansson.h>
#include <stdint.h>

#include "tsunagu/tsunagu.h"

/* Opens box from sender_box with boxer and checks it holds one application/json object;
 * adds 1 to *opened (when not NULL) for every decryption tried.  Returns NULL and, when
 * content is not NULL, the object in *content (caller decrefs); or an English sentence saying
 * why not (*content NULL). */
const char *agency_sealed_open (tsg_boxer_t *boxer, uint64_t *opened, const uint8_t sender_box[32],
                                const uint8_t *box, size_t box_len, json_t **content);

/* The sealed body of letter addressed to agency_id (borrowed), or NULL. */
const Tsunagu__V1__SealedBody *agency_sealed_ours (const tsg_letter_t *letter,
                                                   const char *agency_id);

/* What letter holds for agency_id, opened: its body, or its sealed body for agency_id when it
 * has several.  NULL with *content set (NULL when there is nothing for us), else why it does
 * not open. */
const char *agency_sealed_letter (tsg_boxer_t *boxer, uint64_t *opened, const char *agency_id,
                                  const uint8_t sender_box[32], const tsg_letter_t *letter,
                                  json_t **content);

#endif
