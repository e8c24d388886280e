/* report.h — what an import's answer says, printed for a person at an office (or as the daemon's
 * JSON), and the exit code it means. */
#ifndef TSG_IMPORT_REPORT_H_INCLUDED
#define TSG_IMPORT_REPORT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "import.h"

/* How to print. */
typedef struct {
    import_lang_t lang;    /* Japanese or English */
    bool json;             /* print the daemon's JSON as it came */
    const char *file_name; /* the CSV file, as the user named it */
    const char *server;    /* the daemon's base URL, for messages */
} import_report_options_t;

/* The exit code an answer of status with the error code error (NULL when none) means: 200 and
 * 202 → IMPORT_EXIT_OK; 422 import_invalid, 400 invalid_file and 413 → IMPORT_EXIT_PROBLEMS
 * (the file or its rows must change; nothing was sent); anything else → IMPORT_EXIT_FAIL. */
int import_report_exit_code (long status, const char *error);

/* Prints the answer (status, body of len bytes) of POST /v1/imports/referrals to out: the file's
 * encoding, the counts, every problem sorted by row as "行 3 ・ 生年月日: ...", then each sent
 * row with its referral id; or, with options->json, the body as is.  An answer that means
 * IMPORT_EXIT_FAIL (refused token, no such mapping, agency not ready, not JSON) is said in one
 * sentence on err instead.  Returns the exit code. */
int import_report_print (FILE *out, FILE *err, long status, const char *body, size_t len,
                         const import_report_options_t *options);

/* The one sentence on err for an answer that is not what was asked for (the template's GET
 * answered 404, 401, 503...). */
void import_report_refusal (FILE *err, long status, const char *body, size_t len,
                            const import_report_options_t *options);

#endif
