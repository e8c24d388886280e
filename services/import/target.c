/* target.c — which agency daemon tsunagu-import talks to, and its token: [http] listen of the
 * agency's configuration (the key services/agency/daemon/config.c reads) or --url, and the token
 * file, refused when others may read it. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "target.h"
#include "tsunagu/tsg_config.h"

#define TOKEN_FILE_MAX 4096 /* a token file longer than this is not a token file */

/* The base URL of an agency's "[http] listen" value: "127.0.0.1:7781" → "http://127.0.0.1:7781",
 * "[::1]:7781" → "http://[::1]:7781".  NULL when listen is not ADDRESS:PORT. */
static char *
s_url_of_listen (const char *listen)
{
    const char *colon = strrchr (listen, ':');
    if (!colon || colon == listen || !colon[1])
        return NULL;
    for (const char *p = colon + 1; *p; p++)
        if (!isdigit ((unsigned char) *p))
            return NULL;
    if (listen[0] == '[' && colon[-1] != ']')
        return NULL;
    if (listen[0] != '[' && memchr (listen, ':', (size_t) (colon - listen)))
        return NULL;
    char *url = NULL;
    if (asprintf (&url, "http://%s", listen) < 0)
        return NULL;
    return url;
}

/* A copy of url without trailing slashes, or NULL with err when it is no http(s) URL. */
static char *
s_url_of_option (const char *url, import_lang_t lang, char *err, size_t err_size)
{
    if (strncmp (url, "http://", 7) != 0 && strncmp (url, "https://", 8) != 0) {
        snprintf (err, err_size, "%s: %s", url,
                  import_text (lang, "--url は http://127.0.0.1:PORT の形で指定してください",
                               "--url must be http://127.0.0.1:PORT"));
        return NULL;
    }
    char *copy = strdup (url);
    size_t len = copy ? strlen (copy) : 0;
    while (len > 8 && copy[len - 1] == '/')
        copy[--len] = '\0';
    if (!copy)
        snprintf (err, err_size, "out of memory");
    return copy;
}

bool
import_token_read (const char *path, char **token, import_lang_t lang, char *err, size_t err_size)
{
    *token = NULL;
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf (
            err, err_size, "%s: %s (%s)", path,
            import_text (lang, "トークンのファイルを読めません", "cannot read the token file"),
            strerror (errno));
        return false;
    }
    struct stat st;
    if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
        snprintf (err, err_size, "%s: %s", path,
                  import_text (lang, "トークンのファイルではありません", "is not a token file"));
        close (fd);
        return false;
    }
    if (st.st_mode & 077) {
        snprintf (err, err_size, "%s: %s (mode %04o; chmod 600 %s)", path,
                  import_text (lang, "トークンのファイルを他の利用者も読めるため使いません",
                               "the token file may be read by others, so it is not used"),
                  (unsigned) (st.st_mode & 07777), path);
        close (fd);
        return false;
    }
    char buffer[TOKEN_FILE_MAX + 1];
    ssize_t got = read (fd, buffer, sizeof buffer);
    close (fd);
    size_t len = got > 0 ? (size_t) got : 0;
    while (len > 0 && isspace ((unsigned char) buffer[len - 1]))
        len--;
    size_t start = 0;
    while (start < len && isspace ((unsigned char) buffer[start]))
        start++;
    bool printable = got >= 0 && (size_t) got <= TOKEN_FILE_MAX && len > start;
    for (size_t i = start; printable && i < len; i++)
        printable = isgraph ((unsigned char) buffer[i]);
    if (printable)
        *token = strndup (buffer + start, len - start);
    sodium_memzero (buffer, sizeof buffer);
    if (!printable)
        snprintf (err, err_size, "%s: %s", path,
                  import_text (lang, "トークンが入っていません（空か、制御文字を含みます）",
                               "holds no token (empty, or control characters inside)"));
    else if (!*token)
        snprintf (err, err_size, "out of memory");
    return *token != NULL;
}

/* The URL and the token file's path from the agency's configuration. */
static bool
s_from_config (const char *config_path, const char *token_file, import_target_t *target,
               char **token_path, import_lang_t lang, char *err, size_t err_size)
{
    if (access (config_path, R_OK) != 0) {
        snprintf (err, err_size, "%s: %s (%s)", config_path,
                  import_text (lang, "設定ファイルを読めません", "cannot read the configuration"),
                  strerror (errno));
        return false;
    }
    tsg_config_t *cfg = tsg_config_load (config_path);
    if (!cfg) {
        snprintf (err, err_size, "out of memory");
        return false;
    }
    const char *listen = tsg_config_string (cfg, "http", "listen", "");
    target->url = *listen ? s_url_of_listen (listen) : NULL;
    if (!target->url)
        snprintf (err, err_size, "%s: %s%s", config_path,
                  import_text (lang, "[http] listen がありません（ADDRESS:PORT の形）: ",
                               "no [http] listen of the form ADDRESS:PORT: "),
                  listen);
    *token_path = token_file ? strdup (token_file) : tsg_config_resolve_path (cfg, "http.token");
    tsg_config_destroy (&cfg);
    if (target->url && !*token_path)
        snprintf (err, err_size, "out of memory");
    return target->url && *token_path;
}

bool
import_target_resolve (const char *config_path, const char *url, const char *token_file,
                       import_target_t *target, import_lang_t lang, char *err, size_t err_size)
{
    target->url = NULL;
    target->token = NULL;
    char *token_path = NULL;
    bool ok;
    if (config_path)
        ok = s_from_config (config_path, token_file, target, &token_path, lang, err, err_size);
    else if (url && token_file) {
        target->url = s_url_of_option (url, lang, err, err_size);
        token_path = target->url ? strdup (token_file) : NULL;
        ok = token_path != NULL;
        if (target->url && !ok)
            snprintf (err, err_size, "out of memory");
    }
    else {
        snprintf (err, err_size, "%s",
                  import_text (lang,
                               "--config agency.conf か、--url と --token-file を指定してください",
                               "give --config agency.conf, or --url and --token-file"));
        ok = false;
    }
    ok = ok && import_token_read (token_path, &target->token, lang, err, err_size);
    free (token_path);
    if (!ok)
        import_target_clear (target);
    return ok;
}

void
import_target_clear (import_target_t *target)
{
    free (target->url);
    target->url = NULL;
    if (target->token) {
        sodium_memzero (target->token, strlen (target->token));
        free (target->token);
        target->token = NULL;
    }
}
