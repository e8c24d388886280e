/* POST /v1/imports/referrals: a spreadsheet of referrals, all of it or nothing (docs/import.md).
 *
 *   decode (UTF-8, BOM, CP932) → the mapping (built-in, and a file the administrator keeps in
 *   the mappings directory) → every row read into its requests, every problem named by row
 *   and column → every request run through the one submit pipeline (core/submit.h), the
 *   consents the rows go on before their referrals, all queued for one group commit.
 *
 * When any row has a problem, or the import only checks (dry run), everything it queued is
 * taken back before anything is written (core/pending.h's mark): a failed import leaves no
 * consent and no referral behind.  Each referral carries a client_ref made from the row's
 * key (世帯ID and 紹介先), so importing the same file again sends nothing twice; rows whose
 * 紹介元 is another agency are skipped, so each agency imports the same municipal file. */
#ifndef AGENCY_IMPORTS_IMPORT_H_INCLUDED
#define AGENCY_IMPORTS_IMPORT_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "agency/core/agency.h"

#define AGENCY_IMPORT_MAX      (4 * 1024 * 1024) /* bytes of an imported file */
#define AGENCY_IMPORT_ROWS_MAX 5000              /* data rows of one */

/* One import request. */
typedef struct {
    const char *mappings_dir; /* where the mapping files are (NULL: none) */
    const char *mapping;      /* ?mapping=NAME, or NULL: the built-in mapping */
    bool dry_run;             /* ?dry_run=true: check only */
    const char *body;         /* the file */
    size_t len;
} agency_import_request_t;

/* Runs the import.  Returns the HTTP status with *report (the answer's body) — 200 for a dry
 * run or nothing new, 400, 404, 409, 422, 500, 503 — or 0 with the last letter queued in
 * *pending: the answer (202 and the report) then comes from the group commit. */
int agency_import_run (tsg_agency_t *self, const agency_import_request_t *req, json_t **report,
                       agency_pending_t **pending);

/* The template: the header row of the mapping (name NULL: built-in) as CSV, UTF-8 with BOM or
 * CP932.  200 with *csv (caller frees) and *len, 404 or 400 with *error. */
int agency_import_template (const char *mappings_dir, const char *mapping, bool cp932, char **csv,
                            size_t *len, json_t **error);

#endif
