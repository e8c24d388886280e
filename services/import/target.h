/* target.h — which agency daemon tsunagu-import talks to and the bearer token it shows: from the
 * agency's configuration ([http] listen, http.token beside it) or from --url and --token-file. */
#ifndef TSG_IMPORT_TARGET_H_INCLUDED
#define TSG_IMPORT_TARGET_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#include "import.h"

/* The daemon's base URL and the token.  The token is a secret: it is never printed, and
 * import_target_clear wipes it. */
typedef struct {
    char *url;   /* "http://127.0.0.1:7781", no trailing slash (owned) */
    char *token; /* the bearer token, without whitespace (owned, wiped on clear) */
} import_target_t;

/* Fills target.  With config_path: the URL from its [http] listen, the token from token_file or
 * else the file http.token in the configuration's folder.  Without: url (http:// or https://)
 * and token_file are both needed.  On failure returns false, leaves target empty and writes a
 * sentence in lang to err (err_size bytes) naming the file or option at fault. */
bool import_target_resolve (const char *config_path, const char *url, const char *token_file,
                            import_target_t *target, import_lang_t lang, char *err,
                            size_t err_size);

/* Reads the token in path, refusing (as ssh does for its keys) a file that its group or others
 * may read or write, an empty one and one with control characters inside.  On success *token is
 * the caller's (wipe it); on failure false and err says why, in lang. */
bool import_token_read (const char *path, char **token, import_lang_t lang, char *err,
                        size_t err_size);

/* Frees and wipes what target holds; safe to call twice. */
void import_target_clear (import_target_t *target);

#endif
