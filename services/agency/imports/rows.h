/* One spreadsheet row read through a mapping (mapping.h) into the requests it makes: the body
 * of POST /v1/referrals and, when the row goes on a consent the import registers, the body of
 * POST /v1/consents — or the problems that keep it from going, by row and column.  Nothing
 * here sends anything: the import (import.h) runs the requests through the submit pipeline. */
#ifndef AGENCY_IMPORTS_ROWS_H_INCLUDED
#define AGENCY_IMPORTS_ROWS_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "tsunagu/tsg_csv_read.h"
#include "agency/imports/mapping.h"

#define AGENCY_IMPORT_KEY_MAX 160 /* bytes of a row key (household/to) */

/* The file's header read against the mapping. */
typedef struct {
    const agency_import_mapping_t *mapping;
    int *field; /* per mapping column: its index in the file's rows, or -1 */
} agency_import_header_t;

/* Who imports: the agency's type and id, and today (Japan time). */
typedef struct {
    const char *type;
    const char *id;
    char today[11];
} agency_import_self_t;

/* What one row makes. */
typedef struct {
    size_t row;                      /* its number as the spreadsheet shows it */
    char key[AGENCY_IMPORT_KEY_MAX]; /* household/to: the same twice is a problem */
    char client_ref[65];             /* the referral's idempotency key, from the key */
    char to[65];                     /* the recipient as the row names it */
    char skip[160];                  /* why another agency sends it ("" when ours) */
    bool ok;                         /* no problem found in it */
    json_t *referral;                /* the POST /v1/referrals body */
    json_t *consent;                 /* the POST /v1/consents body, or NULL */
} agency_import_plan_t;

/* Finds every mapped column in header (warnings: the file's columns the mapping does not
 * name; problems: a column both the row key needs and the file lacks).  0, or -1 when the
 * file cannot be imported (problems say why). */
int agency_import_header_read (const agency_import_mapping_t *mapping, const tsg_csv_row_t *header,
                               agency_import_header_t *out, json_t *problems, json_t *warnings);
void agency_import_header_clear (agency_import_header_t *self);

/* Reads row into plan; its problems are appended to problems.  Clear plan after. */
void agency_import_row_plan (const agency_import_header_t *header, const tsg_csv_row_t *row,
                             const agency_import_self_t *self, agency_import_plan_t *plan,
                             json_t *problems);
void agency_import_plan_clear (agency_import_plan_t *plan);

/* Appends {row, column, field, problem} to problems; row 0, column or field NULL: null. */
void agency_import_problem (json_t *problems, size_t row, const char *column, const char *field,
                            const char *problem);

/* The problems of a refused request (the submit pipeline's {error, message, fields}) of row,
 * each field named by its column when the mapping has one; prefix ("consent." or "") is put
 * before the request's field names. */
void agency_import_refusal (const agency_import_header_t *header, size_t row, const char *prefix,
                            const json_t *reply, json_t *problems);

#endif
