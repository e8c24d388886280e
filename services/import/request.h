/* request.h — one HTTP request to the agency daemon on libcurl: the import's POST of the file, or
 * the GET of the template.  Nothing here reads what the answer says (report.c does). */
#ifndef TSG_IMPORT_REQUEST_H_INCLUDED
#define TSG_IMPORT_REQUEST_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#include "import.h"

/* The largest answer kept; a longer one is cut off and counted as no answer. */
#define IMPORT_ANSWER_MAX (64u * 1024 * 1024)

/* What came back. */
typedef struct {
    long status; /* HTTP status */
    char *body;  /* the body, NUL-terminated (owned; "" when empty) */
    size_t len;  /* its length without the NUL */
} import_answer_t;

/* base + path + "?mapping=NAME" (escaped; omitted when mapping is NULL) + "&dry_run=true" when
 * dry_run + "&encoding=ENC" when encoding is not NULL.  Caller frees; NULL on allocation
 * failure. */
char *import_request_url (const char *base, const char *path, const char *mapping, bool dry_run,
                          const char *encoding);

/* Sends one request (POST with body/len as content_type when body is not NULL, else GET) to url
 * with "Authorization: Bearer token", and fills answer with whatever status came back.  False
 * when no HTTP answer came (refused, timed out, cut off): then err says so in lang, naming
 * server (the daemon's base URL, never the token). */
bool import_request (const char *url, const char *server, const char *token,
                     const char *content_type, const void *body, size_t len,
                     import_answer_t *answer, import_lang_t lang, char *err, size_t err_size);

/* Frees what answer holds; safe to call twice. */
void import_answer_clear (import_answer_t *answer);

#endif
