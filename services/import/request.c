/* request.c — one HTTP request to the agency daemon on libcurl's easy interface: the file POSTed
 * as text/csv, or a GET; the answer kept whatever its status.  The token goes only into the
 * Authorization header, which is wiped after the request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

#include "request.h"
#include "tsunagu/tsunagu.h"

#define CONNECT_TIMEOUT_S 5L   /* a daemon on loopback answers at once or not at all */
#define TOTAL_TIMEOUT_S   600L /* a 4 MiB file is checked and committed well within this */

/* The answer as it arrives. */
typedef struct {
    char *data;      /* bytes so far (owned) */
    size_t len;      /* how many */
    size_t cap;      /* allocated */
    bool overflowed; /* more than IMPORT_ANSWER_MAX came */
} s_buffer_t;

static size_t
s_collect (char *chunk, size_t size, size_t count, void *userdata)
{
    s_buffer_t *buf = userdata;
    size_t n = size * count;
    if (buf->len + n > IMPORT_ANSWER_MAX) {
        buf->overflowed = true;
        return 0;
    }
    if (buf->len + n + 1 > buf->cap) {
        size_t cap = buf->cap ? buf->cap : 16384;
        while (cap < buf->len + n + 1)
            cap *= 2;
        char *grown = realloc (buf->data, cap);
        if (!grown)
            return 0;
        buf->data = grown;
        buf->cap = cap;
    }
    memcpy (buf->data + buf->len, chunk, n);
    buf->len += n;
    buf->data[buf->len] = '\0';
    return n;
}

char *
import_request_url (const char *base, const char *path, const char *mapping, bool dry_run,
                    const char *encoding)
{
    char *escaped = NULL;
    if (mapping) {
        escaped = curl_easy_escape (NULL, mapping, 0);
        if (!escaped)
            return NULL;
    }
    char query[512] = "";
    size_t used = 0;
    const char *names[] = { "mapping", "dry_run", "encoding" };
    const char *values[] = { escaped, dry_run ? "true" : NULL, encoding };
    for (size_t i = 0; i < 3; i++)
        if (values[i] && used < sizeof query)
            used += (size_t) snprintf (query + used, sizeof query - used, "%c%s=%s",
                                       used ? '&' : '?', names[i], values[i]);
    curl_free (escaped);
    char *url = NULL;
    if (used >= sizeof query || asprintf (&url, "%s%s%s", base, path, query) < 0)
        return NULL;
    return url;
}

/* The sentence for a request that got no HTTP answer. */
static void
s_no_answer (CURLcode code, const char *errbuf, const char *server, bool overflowed,
             import_lang_t lang, char *err, size_t err_size)
{
    const char *detail = errbuf[0] ? errbuf : curl_easy_strerror (code);
    if (overflowed)
        snprintf (err, err_size, "%s %s",
                  import_text (lang, "機関デーモンの答えが長すぎます:", "the answer is too long:"),
                  server);
    else if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST)
        snprintf (err, err_size,
                  import_text (lang, "機関デーモン %s が応答しません（%s）",
                               "the agency daemon at %s does not answer (%s)"),
                  server, detail);
    else if (code == CURLE_OPERATION_TIMEDOUT)
        snprintf (err, err_size,
                  import_text (lang, "機関デーモン %s が時間内に答えませんでした（%s）",
                               "the agency daemon at %s did not answer in time (%s)"),
                  server, detail);
    else
        snprintf (err, err_size,
                  import_text (lang, "機関デーモン %s との通信に失敗しました（%s）",
                               "the request to the agency daemon at %s failed (%s)"),
                  server, detail);
}

/* The request's headers: the token and, for a POST, the body's type; NULL on failure. */
static struct curl_slist *
s_headers (const char *token, const char *content_type, char *line, size_t line_size)
{
    struct curl_slist *headers = NULL;
    if (snprintf (line, line_size, "Authorization: Bearer %s", token) >= (int) line_size)
        return NULL;
    headers = curl_slist_append (headers, line);
    if (headers && content_type) {
        char type_line[256];
        snprintf (type_line, sizeof type_line, "Content-Type: %s", content_type);
        /* libcurl's "Expect: 100-continue" stays: a file over the daemon's limit is then
         * answered 413 before its bytes are sent. */
        struct curl_slist *more = curl_slist_append (headers, type_line);
        if (!more)
            curl_slist_free_all (headers);
        headers = more;
    }
    return headers;
}

bool
import_request (const char *url, const char *server, const char *token, const char *content_type,
                const void *body, size_t len, import_answer_t *answer, import_lang_t lang,
                char *err, size_t err_size)
{
    answer->status = 0;
    answer->body = NULL;
    answer->len = 0;
    if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf (err, err_size, "libcurl could not be initialised");
        return false;
    }
    char auth[4200];
    struct curl_slist *headers = s_headers (token, body ? content_type : NULL, auth, sizeof auth);
    CURL *easy = headers ? curl_easy_init () : NULL;
    if (!easy) {
        sodium_memzero (auth, sizeof auth);
        curl_slist_free_all (headers);
        snprintf (err, err_size, "out of memory");
        return false;
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    s_buffer_t buf = { 0 };
    curl_easy_setopt (easy, CURLOPT_URL, url);
    curl_easy_setopt (easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt (easy, CURLOPT_FOLLOWLOCATION, 0L); /* the token goes to this daemon only */
    curl_easy_setopt (easy, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
    curl_easy_setopt (easy, CURLOPT_TIMEOUT, TOTAL_TIMEOUT_S);
    curl_easy_setopt (easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt (easy, CURLOPT_WRITEFUNCTION, s_collect);
    curl_easy_setopt (easy, CURLOPT_WRITEDATA, &buf);
    curl_easy_setopt (easy, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt (easy, CURLOPT_USERAGENT, "tsunagu-import/" TSUNAGU_VERSION);
    if (body) {
        curl_easy_setopt (easy, CURLOPT_POST, 1L);
        curl_easy_setopt (easy, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt (easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
    }
    CURLcode code = curl_easy_perform (easy);
    curl_easy_getinfo (easy, CURLINFO_RESPONSE_CODE, &answer->status);
    curl_easy_cleanup (easy);
    curl_slist_free_all (headers);
    sodium_memzero (auth, sizeof auth);
    if (code != CURLE_OK || answer->status == 0) {
        s_no_answer (code, errbuf, server, buf.overflowed, lang, err, err_size);
        free (buf.data);
        answer->status = 0;
        return false;
    }
    answer->body = buf.data ? buf.data : strdup ("");
    answer->len = buf.len;
    if (!answer->body) {
        snprintf (err, err_size, "out of memory");
        return false;
    }
    return true;
}

void
import_answer_clear (import_answer_t *answer)
{
    free (answer->body);
    answer->body = NULL;
    answer->len = 0;
    answer->status = 0;
}
