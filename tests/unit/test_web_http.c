/* test_web_http.c — the coordinator's staff dashboard served for real on 127.0.0.1 (web/web.h
 * over the common HTTP adapter), spoken to in HTTP/1.1 by a client thread while the test runs
 * the server's loop: the way to the login page, the login form's own token, a login's cookie
 * and its attributes, every page with the session and the security headers, the CSV's bytes,
 * refusals (a forged login form, a wrong password, five of them locking the name even for the
 * right one), logout and its token, a disabled account's session ending, the JSON API still
 * answering beside the pages, case events refused without the form's token or the role, and
 * the audit log's record of every login, failure, lock and logout. */
#include "test_hub_fixture.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "coordinator/api/api.h"
#include "coordinator/model/audit.h"
#include "coordinator/model/users.h"
#include "coordinator/web/form.h"
#include "coordinator/web/web.h"

#define TOKEN     "3b1f5c9e2d7a4f6b8c0e1a2d3f4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b"
#define CASE_A    "5c0f9b8d-6a7e-4fbc-934b-2e6f7a8b9ca3"
#define PASSWORD  "correct horse battery"
#define WRONG     "incorrect horse battery"
#define COORD     "sato.k"
#define VIEWER    "kato.m"
#define FORM_TYPE "Content-Type: application/x-www-form-urlencoded\r\n"

/* The world: a store with one case, staff accounts, the dashboard and its listener. */
typedef struct {
    hub_fixture_t *f;        /* store, agencies, intake */
    tsg_hub_api_t api;       /* the JSON API over it */
    tsg_hub_audit_t *audit;  /* the audit log the dashboard writes to */
    tsg_hub_web_t *web;      /* what is tested */
    tsg_http_server_t *http; /* its listener */
    int port;                /* where */
    json_t *acts;            /* control requests the dashboard sent (parsed) */
    char act_reply[256];     /* what the daemon answers them */
} world_t;

/* The daemon's side of a staff action: keeps the request, answers act_reply. */
static char *
s_act (void *arg, const char *request)
{
    world_t *w = arg;
    json_t *parsed = json_loads (request, 0, NULL);
    assert_non_null (parsed);
    json_array_append_new (w->acts, parsed);
    return strdup (w->act_reply);
}

/* Writes the account name with role (disabled when told), its password set at password_at. */
static void
s_user (world_t *w, const char *name, tsg_hub_staff_role_t role, bool disabled,
        uint64_t password_at)
{
    tsg_hub_user_t u = { .role = role,
                         .disabled = disabled,
                         .created_at_ms = T0 - DAY_MS,
                         .changed_at_ms = T0 - DAY_MS,
                         .password_at_ms = password_at,
                         .changed_by = "root" };
    snprintf (u.name, sizeof u.name, "%s", name);
    assert_int_equal (tsg_hub_user_password_hash (PASSWORD, u.hash), TSG_OK);
    tsg_txn_t txn;
    tsg_txn_begin (w->f->store, &txn, true);
    tsg_hub_user_put (&txn, &u);
    assert_int_equal (txn.rc, TSG_OK);
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
}

static int
s_setup (void **state)
{
    world_t *w = calloc (1, sizeof *w);
    assert_non_null (w);
    w->f = hub_fixture_new ("web-http");
    w->api.store = w->f->store;
    w->api.directory = w->f->directory;
    w->api.counters = tsg_hub_intake_counters (w->f->intake);
    w->api.intake = w->f->intake;
    w->api.has_token = true;
    crypto_hash_sha256 (w->api.token_sha256, (const uint8_t *) TOKEN, strlen (TOKEN));
    char rid[TSG_UUID_TEXT_SIZE] = "";
    tsg_hub_answer_t a = hub_referral (w->f, F_ELDER, POVERTY, CASE_A,
                                       TSUNAGU__V1__URGENCY__URGENCY_HIGH, "8050", rid);
    hub_expect_stored (&a);
    w->audit = kit_audit_open (w->f);
    s_user (w, COORD, TSG_HUB_ROLE_COORDINATOR, false, T0 - DAY_MS);
    s_user (w, VIEWER, TSG_HUB_ROLE_VIEWER, false, T0 - DAY_MS);
    w->acts = json_array ();
    snprintf (w->act_reply, sizeof w->act_reply, "{\"ok\":true}");
    tsg_hub_web_config_t config = {
        .store = w->f->store, .api = &w->api, .audit = w->audit, .act = s_act, .act_arg = w
    };
    w->web = tsg_hub_web_new (&config);
    assert_non_null (w->web);
    w->api.staff = tsg_hub_web_counters (w->web);
    w->http = tsg_hub_web_serve (w->web, "127.0.0.1:0", NULL, NULL);
    assert_non_null (w->http);
    w->port = tsg_http_server_port (w->http);
    assert_true (w->port > 0);
    *state = w;
    return 0;
}

static int
s_teardown (void **state)
{
    world_t *w = *state;
    tsg_http_server_destroy (&w->http);
    tsg_hub_web_destroy (&w->web);
    tsg_hub_web_destroy (&w->web);
    tsg_hub_audit_destroy (&w->audit);
    json_decref (w->acts);
    hub_fixture_destroy (&w->f);
    free (w);
    return 0;
}

/* ---- a tiny HTTP/1.1 client ---------------------------------------------------------- */

/* One answer, taken apart. */
typedef struct {
    int status; /* its status code (0: none came) */
    char *head; /* the status line and the header lines, NUL-terminated */
    char *body; /* the body (NUL-terminated after body_len bytes) */
    size_t body_len;
} answer_t;

static void
s_answer_free (answer_t *a)
{
    free (a->head);
    free (a->body);
    memset (a, 0, sizeof *a);
}

/* One exchange sent from a thread of its own, so that the test's loop can run the server. */
typedef struct {
    int port;            /* where */
    const char *request; /* what (the whole request) */
    char *raw;           /* the whole answer (owned) */
    size_t raw_len;      /* its length */
    volatile int done;   /* the answer is in */
    pthread_t thread;    /* runs s_client */
} client_t;

static void *
s_client (void *arg)
{
    client_t *c = arg;
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) c->port) };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    struct timeval tv = { .tv_sec = 10 };
    size_t cap = 1 << 20, len = 0;
    char *raw = malloc (cap);
    if (fd >= 0 && raw && setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0
        && connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0
        && send (fd, c->request, strlen (c->request), 0) == (ssize_t) strlen (c->request)) {
        ssize_t n;
        while (len < cap - 1 && (n = recv (fd, raw + len, cap - len - 1, 0)) > 0)
            len += (size_t) n;
    }
    if (raw)
        raw[len] = '\0';
    if (fd >= 0)
        close (fd);
    c->raw = raw;
    c->raw_len = len;
    c->done = 1;
    return NULL;
}

/* Sends request and runs the server until its answer is in (at most 10 s). */
static answer_t
s_send (world_t *w, const char *request)
{
    client_t c = { .port = w->port, .request = request };
    assert_int_equal (pthread_create (&c.thread, NULL, s_client, &c), 0);
    for (int i = 0; i < 1000 && !c.done; i++) {
        struct pollfd pfd = { tsg_http_server_fd (w->http), POLLIN, 0 };
        long timeout = tsg_http_server_timeout (w->http);
        poll (&pfd, 1, timeout >= 0 && timeout < 10 ? (int) timeout : 10);
        tsg_http_server_run (w->http);
    }
    assert_int_equal (pthread_join (c.thread, NULL), 0);
    answer_t a = { 0 };
    assert_non_null (c.raw);
    char *end = strstr (c.raw, "\r\n\r\n");
    if (!end)
        fail_msg ("no whole answer to %s: %s", request, c.raw);
    size_t head_len = (size_t) (end - c.raw);
    a.head = strndup (c.raw, head_len);
    a.body_len = c.raw_len - head_len - 4;
    a.body = malloc (a.body_len + 1);
    memcpy (a.body, end + 4, a.body_len);
    a.body[a.body_len] = '\0';
    assert_int_equal (sscanf (a.head, "HTTP/1.1 %d", &a.status), 1);
    free (c.raw);
    return a;
}

/* The value of the n-th (from 0) header name of a (any case; copied into out), or NULL. */
static const char *
s_header_nth (const answer_t *a, const char *name, size_t n, char *out, size_t size)
{
    size_t len = strlen (name);
    for (const char *line = strstr (a->head, "\r\n"); line; line = strstr (line, "\r\n")) {
        line += 2;
        if (strncasecmp (line, name, len) == 0 && line[len] == ':') {
            if (n-- > 0)
                continue;
            const char *value = line + len + 1;
            while (*value == ' ')
                value++;
            const char *eol = strstr (value, "\r\n");
            size_t vlen = eol ? (size_t) (eol - value) : strlen (value);
            snprintf (out, size, "%.*s", (int) vlen, value);
            return out;
        }
    }
    return NULL;
}

static const char *
s_header (const answer_t *a, const char *name, char *out, size_t size)
{
    return s_header_nth (a, name, 0, out, size);
}

/* The Set-Cookie line that sets cookie name (copied into line), or NULL. */
static const char *
s_set_cookie (const answer_t *a, const char *name, char *line, size_t size)
{
    size_t len = strlen (name);
    for (size_t i = 0; s_header_nth (a, "Set-Cookie", i, line, size); i++)
        if (strncmp (line, name, len) == 0 && line[len] == '=')
            return line;
    return NULL;
}

/* The value a Set-Cookie line gives (into out). */
static void
s_cookie_value (const char *line, char *out, size_t size)
{
    const char *eq = strchr (line, '=');
    assert_non_null (eq);
    size_t n = strcspn (eq + 1, ";");
    snprintf (out, size, "%.*s", (int) n, eq + 1);
}

/* The value of the first hidden field name="csrf" of a page (into out). */
static void
s_csrf_of (const answer_t *a, char *out, size_t size)
{
    const char *field = strstr (a->body, "name=\"csrf\" value=\"");
    if (!field)
        fail_msg ("no csrf field in: %s", a->body);
    field += strlen ("name=\"csrf\" value=\"");
    size_t n = strcspn (field, "\"");
    snprintf (out, size, "%.*s", (int) n, field);
}

/* Every page's security headers. */
static void
s_expect_security (const answer_t *a)
{
    char value[512];
    if (!s_header (a, "Content-Security-Policy", value, sizeof value))
        fail_msg ("no Content-Security-Policy in %s", a->head);
    assert_non_null (strstr (value, "default-src 'none'"));
    assert_non_null (strstr (value, "frame-ancestors 'none'"));
    assert_non_null (s_header (a, "X-Frame-Options", value, sizeof value));
    assert_string_equal (value, "DENY");
    assert_non_null (s_header (a, "X-Content-Type-Options", value, sizeof value));
    assert_string_equal (value, "nosniff");
}

/* A GET of path with the session cookie (NULL: none). */
static answer_t
s_get (world_t *w, const char *path, const char *session)
{
    char request[2048];
    snprintf (request, sizeof request,
              "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s%s%s\r\n", path,
              session ? "Cookie: tsunagu_session=" : "", session ? session : "",
              session ? "\r\n" : "");
    return s_send (w, request);
}

/* A POST of the form body to path with the cookie header line cookies ("" for none). */
static answer_t
s_post (world_t *w, const char *path, const char *cookies, const char *body)
{
    char request[4096];
    snprintf (request, sizeof request,
              "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" FORM_TYPE
              "Content-Length: %zu\r\n%s%s%s\r\n%s",
              path, strlen (body), cookies[0] ? "Cookie: " : "", cookies, cookies[0] ? "\r\n" : "",
              body);
    return s_send (w, request);
}

/* GET /login: the login cookie's token, checked against the form's hidden field. */
static void
s_login_token (world_t *w, char token[64])
{
    answer_t a = s_get (w, "/login", NULL);
    assert_int_equal (a.status, 200);
    char line[512], field[64];
    if (!s_set_cookie (&a, "tsunagu_login", line, sizeof line))
        fail_msg ("no login cookie: %s", a.head);
    s_cookie_value (line, token, 64);
    s_csrf_of (&a, field, sizeof field);
    assert_string_equal (token, field);
    s_answer_free (&a);
}

/* POSTs the login form for name with password (the form's token and cookie right). */
static answer_t
s_login_post (world_t *w, const char *name, const char *password, const char *path)
{
    char token[64], body[512], cookies[128], pw[256];
    s_login_token (w, token);
    assert_true (tsg_web_url_encode (password, pw, sizeof pw));
    snprintf (body, sizeof body, "csrf=%s&name=%s&password=%s", token, name, pw);
    snprintf (cookies, sizeof cookies, "tsunagu_login=%s", token);
    return s_post (w, path ? path : "/login", cookies, body);
}

/* Logs name in; its session cookie into session, the csrf of its forms into csrf. */
static void
s_login (world_t *w, const char *name, char session[64], char csrf[64])
{
    answer_t a = s_login_post (w, name, PASSWORD, NULL);
    if (a.status != 303)
        fail_msg ("login of %s: %d %s", name, a.status, a.body);
    char line[512];
    assert_non_null (s_set_cookie (&a, "tsunagu_session", line, sizeof line));
    s_cookie_value (line, session, 64);
    s_answer_free (&a);
    a = s_get (w, "/", session);
    assert_int_equal (a.status, 200);
    s_csrf_of (&a, csrf, 64);
    s_answer_free (&a);
}

/* ---- the audit log ------------------------------------------------------------------- */

/* The staff records of the log, as "event user" lines. */
typedef struct {
    char text[8192];
    size_t len;
} staff_log_t;

static void
s_each_record (void *arg, const tsg_hub_audit_record_t *record)
{
    staff_log_t *log = arg;
    json_t *root = json_loadb (record->json, record->json_len, 0, NULL);
    assert_non_null (root);
    const char *event = json_string_value (json_object_get (root, "event"));
    json_t *details = json_object_get (root, "details");
    if (event && strncmp (event, "staff-", 6) == 0) {
        assert_string_equal (json_string_value (json_object_get (details, "via")), "dashboard");
        assert_string_equal (json_string_value (json_object_get (details, "address")), "127.0.0.1");
        log->len +=
            (size_t) snprintf (log->text + log->len, sizeof log->text - log->len, "%s %s\n", event,
                               json_string_value (json_object_get (details, "user")));
    }
    json_decref (root);
}

/* The dashboard's records in the audit file, checked whole. */
static void
s_staff_log (world_t *w, staff_log_t *log)
{
    memset (log, 0, sizeof *log);
    char path[512];
    snprintf (path, sizeof path, "%s/%s", w->f->dir, TSG_HUB_AUDIT_FILE);
    tsg_hub_audit_check_t check;
    int rc = tsg_hub_audit_check_file (path, &check, s_each_record, log);
    if (rc != TSG_OK)
        fail_msg ("the audit log does not verify: %s", check.why);
}

/* ---- the tests ----------------------------------------------------------------------- */

/* Without a session a page sends the browser to the login page, which sets its own token. */
static void
test_login_page (void **state)
{
    world_t *w = *state;
    char value[1024], line[512];
    answer_t a = s_get (w, "/", NULL);
    assert_int_equal (a.status, 303);
    assert_non_null (s_header (&a, "Location", value, sizeof value));
    assert_string_equal (value, "/login");
    s_expect_security (&a);
    s_answer_free (&a);

    a = s_get (w, "/cases", NULL);
    assert_int_equal (a.status, 303);
    assert_non_null (s_header (&a, "Location", value, sizeof value));
    assert_string_equal (value, "/login?next=%2Fcases");
    s_answer_free (&a);

    a = s_get (w, "/login?next=%2Fcases", NULL);
    assert_int_equal (a.status, 200);
    s_expect_security (&a);
    assert_non_null (s_header (&a, "Content-Type", value, sizeof value));
    assert_string_equal (value, "text/html; charset=utf-8");
    assert_non_null (s_set_cookie (&a, "tsunagu_login", line, sizeof line));
    assert_non_null (strstr (line, "; Path=/login"));
    assert_non_null (strstr (line, "; HttpOnly"));
    assert_non_null (strstr (line, "; SameSite=Strict"));
    assert_null (strstr (line, "Secure"));
    char token[64], field[64];
    s_cookie_value (line, token, sizeof token);
    assert_int_equal (strlen (token), 43);
    s_csrf_of (&a, field, sizeof field);
    assert_string_equal (token, field);
    assert_non_null (strstr (a.body, "<form id=\"login\""));
    assert_non_null (strstr (a.body, "action=\"/login?next=%2Fcases\""));
    assert_non_null (strstr (a.body, "<html lang=\"ja\">"));
    assert_null (strstr (a.body, "id=\"nav\"")); /* no navigation before login */
    s_answer_free (&a);

    /* Each visit a token of its own. */
    char again[64];
    s_login_token (w, again);
    assert_string_not_equal (again, token);

    /* Another method is 405, saying which are allowed. */
    a = s_send (w, "DELETE /cases HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    assert_int_equal (a.status, 405);
    assert_non_null (s_header (&a, "Allow", value, sizeof value));
    assert_string_equal (value, "GET, HEAD, POST");
    s_expect_security (&a);
    s_answer_free (&a);

    /* An unknown page is 404 with the same headers. */
    a = s_get (w, "/nowhere", NULL);
    assert_int_equal (a.status, 404);
    s_expect_security (&a);
    s_answer_free (&a);
}

/* The right password: a session cookie (HttpOnly, SameSite=Strict, not Secure over plain
 * HTTP), then every page with it. */
static void
test_login_and_pages (void **state)
{
    world_t *w = *state;
    answer_t a = s_login_post (w, COORD, PASSWORD, "/login?next=%2Fagencies");
    assert_int_equal (a.status, 303);
    char value[1024], line[512], session[64];
    assert_non_null (s_header (&a, "Location", value, sizeof value));
    assert_string_equal (value, "/agencies");
    assert_non_null (s_set_cookie (&a, "tsunagu_session", line, sizeof line));
    assert_non_null (strstr (line, "; Path=/"));
    assert_non_null (strstr (line, "; HttpOnly"));
    assert_non_null (strstr (line, "; SameSite=Strict"));
    assert_null (strstr (line, "Secure"));
    assert_null (strstr (line, "Max-Age")); /* a session cookie: gone with the browser */
    s_cookie_value (line, session, sizeof session);
    assert_int_equal (strlen (session), 43);
    /* The login cookie is deleted. */
    assert_non_null (s_set_cookie (&a, "tsunagu_login", line, sizeof line));
    assert_non_null (strstr (line, "Max-Age=0"));
    s_expect_security (&a);
    s_answer_free (&a);

    static const char *const pages[] = { "/", "/cases", "/agencies", "/reports",
                                         ("/cases/" CASE_A) };
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        a = s_get (w, pages[i], session);
        if (a.status != 200)
            fail_msg ("GET %s: %d %s", pages[i], a.status, a.body);
        s_expect_security (&a);
        assert_non_null (s_header (&a, "Content-Type", value, sizeof value));
        assert_string_equal (value, "text/html; charset=utf-8");
        assert_non_null (strstr (a.body, "id=\"nav\""));
        assert_non_null (strstr (a.body, "<form id=\"logout\""));
        assert_non_null (strstr (a.body, COORD));
        s_answer_free (&a);
    }
    a = s_get (w, "/cases", session);
    assert_non_null (strstr (a.body, "data-case-id=\"" CASE_A "\""));
    s_answer_free (&a);
    a = s_get (w, "/cases/" CASE_A, session);
    assert_non_null (strstr (a.body, "<form id=\"case-event\""));
    s_answer_free (&a);

    /* The CSV: UTF-8 with its byte order mark and CRLF line ends only. */
    a = s_get (w, "/reports.csv", session);
    assert_int_equal (a.status, 200);
    s_expect_security (&a);
    assert_non_null (s_header (&a, "Content-Type", value, sizeof value));
    assert_string_equal (value, "text/csv; charset=utf-8");
    assert_non_null (s_header (&a, "Content-Disposition", value, sizeof value));
    assert_non_null (strstr (value, "attachment"));
    assert_true (a.body_len > 3);
    assert_memory_equal (a.body, "\xEF\xBB\xBF", 3);
    assert_non_null (strstr (a.body, "\r\n"));
    for (size_t i = 0; i < a.body_len; i++)
        if (a.body[i] == '\n' && (i == 0 || a.body[i - 1] != '\r'))
            fail_msg ("a bare LF at byte %zu of the CSV", i);
    assert_non_null (strstr (a.body, "相談件数"));
    s_answer_free (&a);
    /* ... and in CP932, without the mark. */
    a = s_get (w, "/reports.csv?encoding=cp932", session);
    assert_int_equal (a.status, 200);
    assert_non_null (s_header (&a, "Content-Type", value, sizeof value));
    assert_string_equal (value, "text/csv; charset=Shift_JIS");
    assert_true (a.body_len > 3);
    assert_memory_not_equal (a.body, "\xEF\xBB\xBF", 3);
    assert_null (strstr (a.body, "相談件数")); /* not UTF-8 */
    s_answer_free (&a);

    /* Logged in, /login goes on to the overview. */
    a = s_get (w, "/login", session);
    assert_int_equal (a.status, 303);
    assert_non_null (s_header (&a, "Location", value, sizeof value));
    assert_string_equal (value, "/");
    s_answer_free (&a);

    /* Only local paths are followed after a login. */
    a = s_login_post (w, COORD, PASSWORD, "/login?next=%2F%2Fevil.example%2F");
    assert_int_equal (a.status, 303);
    assert_non_null (s_header (&a, "Location", value, sizeof value));
    assert_string_equal (value, "/");
    s_answer_free (&a);
    a = s_login_post (w, COORD, PASSWORD, "/login?next=https%3A%2F%2Fevil.example%2F");
    assert_int_equal (a.status, 303);
    assert_non_null (s_header (&a, "Location", value, sizeof value));
    assert_string_equal (value, "/");
    s_answer_free (&a);
    assert_int_equal (tsg_hub_web_counters (w->web)->logins, 3);
}

/* A login form posted without the login cookie's token (another site's form) is refused. */
static void
test_login_forged (void **state)
{
    world_t *w = *state;
    char token[64], other[64], body[512], cookies[128];
    s_login_token (w, token);
    s_login_token (w, other);
    /* No cookie at all. */
    snprintf (body, sizeof body, "csrf=%s&name=" COORD "&password=correct+horse+battery", token);
    answer_t a = s_post (w, "/login", "", body);
    assert_int_equal (a.status, 403);
    char line[512];
    assert_null (s_set_cookie (&a, "tsunagu_session", line, sizeof line));
    s_expect_security (&a);
    s_answer_free (&a);
    /* A cookie, but the form carries another token, or none. */
    snprintf (cookies, sizeof cookies, "tsunagu_login=%s", other);
    a = s_post (w, "/login", cookies, body);
    assert_int_equal (a.status, 403);
    assert_null (s_set_cookie (&a, "tsunagu_session", line, sizeof line));
    s_answer_free (&a);
    a = s_post (w, "/login", cookies, "name=" COORD "&password=correct+horse+battery");
    assert_int_equal (a.status, 403);
    s_answer_free (&a);
    /* Both the same but not a token. */
    a = s_post (w, "/login", "tsunagu_login=abc",
                "csrf=abc&name=" COORD "&password=correct+horse+battery");
    assert_int_equal (a.status, 403);
    s_answer_free (&a);
    /* A form that does not decode. */
    snprintf (cookies, sizeof cookies, "tsunagu_login=%s", token);
    snprintf (body, sizeof body, "csrf=%s&name=%%FF&password=x", token);
    a = s_post (w, "/login", cookies, body);
    assert_int_equal (a.status, 400);
    s_answer_free (&a);
    assert_true (tsg_hub_web_counters (w->web)->csrf_refused >= 4);
    assert_int_equal (tsg_hub_web_counters (w->web)->logins, 0);
}

/* A wrong password is 401 and no session; an unknown name is the same answer. */
static void
test_wrong_password (void **state)
{
    world_t *w = *state;
    char line[512];
    answer_t a = s_login_post (w, COORD, WRONG, NULL);
    assert_int_equal (a.status, 401);
    assert_null (s_set_cookie (&a, "tsunagu_session", line, sizeof line));
    assert_non_null (strstr (a.body, "id=\"login-error\""));
    s_expect_security (&a);
    s_answer_free (&a);
    a = s_login_post (w, "nobody", PASSWORD, NULL);
    assert_int_equal (a.status, 401);
    assert_null (s_set_cookie (&a, "tsunagu_session", line, sizeof line));
    s_answer_free (&a);
    assert_int_equal (tsg_hub_web_counters (w->web)->login_failures, 2);
}

/* Five wrong passwords lock the name: 429 with Retry-After, and the right password is refused
 * too; another name is not locked. */
static void
test_lockout (void **state)
{
    world_t *w = *state;
    answer_t a;
    for (int i = 0; i < 4; i++) {
        a = s_login_post (w, COORD, WRONG, NULL);
        assert_int_equal (a.status, 401);
        s_answer_free (&a);
    }
    char value[256], line[512];
    a = s_login_post (w, COORD, WRONG, NULL);
    assert_int_equal (a.status, 429);
    assert_non_null (s_header (&a, "Retry-After", value, sizeof value));
    int retry = atoi (value);
    assert_true (retry > 50 && retry <= 60);
    assert_non_null (strstr (a.body, "ロックされています"));
    s_expect_security (&a);
    s_answer_free (&a);

    a = s_login_post (w, COORD, PASSWORD, NULL);
    assert_int_equal (a.status, 429);
    assert_non_null (s_header (&a, "Retry-After", value, sizeof value));
    assert_true (atoi (value) > 0 && atoi (value) <= 60);
    assert_null (s_set_cookie (&a, "tsunagu_session", line, sizeof line));
    s_answer_free (&a);

    /* The checks of this second are spent (five): wait for the next before another name. */
    sleep (1);
    char session[64], csrf[64];
    s_login (w, VIEWER, session, csrf);
    assert_true (tsg_hub_web_counters (w->web)->login_locked >= 2);

    staff_log_t log;
    s_staff_log (w, &log);
    assert_string_equal (log.text, "staff-login-failed " COORD "\n"
                                   "staff-login-failed " COORD "\n"
                                   "staff-login-failed " COORD "\n"
                                   "staff-login-failed " COORD "\n"
                                   "staff-locked " COORD "\n"
                                   "staff-login " VIEWER "\n");
}

/* Logout needs the session's token; then the session is gone. */
static void
test_logout (void **state)
{
    world_t *w = *state;
    char session[64], csrf[64], cookies[128], body[128], value[256], line[512];
    s_login (w, COORD, session, csrf);
    snprintf (cookies, sizeof cookies, "tsunagu_session=%s", session);
    answer_t a = s_post (w, "/logout", cookies, "");
    assert_int_equal (a.status, 403);
    s_expect_security (&a);
    s_answer_free (&a);
    char forged[64];
    snprintf (forged, sizeof forged, "%s", csrf);
    forged[0] = forged[0] == 'A' ? 'B' : 'A';
    snprintf (body, sizeof body, "csrf=%s", forged);
    a = s_post (w, "/logout", cookies, body);
    assert_int_equal (a.status, 403);
    s_answer_free (&a);
    /* The session's cookie is not its token either. */
    snprintf (body, sizeof body, "csrf=%s", session);
    a = s_post (w, "/logout", cookies, body);
    assert_int_equal (a.status, 403);
    s_answer_free (&a);
    a = s_get (w, "/", session);
    assert_int_equal (a.status, 200);
    s_answer_free (&a);

    snprintf (body, sizeof body, "csrf=%s", csrf);
    a = s_post (w, "/logout", cookies, body);
    assert_int_equal (a.status, 303);
    assert_non_null (s_header (&a, "Location", value, sizeof value));
    assert_string_equal (value, "/login");
    assert_non_null (s_set_cookie (&a, "tsunagu_session", line, sizeof line));
    assert_non_null (strstr (line, "tsunagu_session=;"));
    assert_non_null (strstr (line, "Max-Age=0"));
    s_answer_free (&a);
    a = s_get (w, "/", session);
    assert_int_equal (a.status, 303);
    assert_non_null (s_header (&a, "Location", value, sizeof value));
    assert_string_equal (value, "/login");
    s_answer_free (&a);
    /* Posting again with the old cookie and token changes nothing. */
    a = s_post (w, "/logout", cookies, body);
    assert_int_equal (a.status, 303);
    s_answer_free (&a);
    assert_true (tsg_hub_web_counters (w->web)->csrf_refused >= 3);

    staff_log_t log;
    s_staff_log (w, &log);
    assert_string_equal (log.text, "staff-login " COORD "\nstaff-logout " COORD "\n");
}

/* A disabled account's session ends at its next request, and stays ended once enabled again;
 * a new password ends the sessions started before it. */
static void
test_disabled (void **state)
{
    world_t *w = *state;
    char session[64], csrf[64], value[256];
    s_login (w, COORD, session, csrf);
    s_user (w, COORD, TSG_HUB_ROLE_COORDINATOR, true, T0 - DAY_MS);
    answer_t a = s_get (w, "/cases", session);
    assert_int_equal (a.status, 303);
    assert_non_null (s_header (&a, "Location", value, sizeof value));
    assert_string_equal (value, "/login?next=%2Fcases");
    s_answer_free (&a);
    s_user (w, COORD, TSG_HUB_ROLE_COORDINATOR, false, T0 - DAY_MS);
    a = s_get (w, "/", session);
    assert_int_equal (a.status, 303);
    s_answer_free (&a);
    /* Disabled, the right password does not log in. */
    s_user (w, COORD, TSG_HUB_ROLE_COORDINATOR, true, T0 - DAY_MS);
    a = s_login_post (w, COORD, PASSWORD, NULL);
    assert_int_equal (a.status, 401);
    s_answer_free (&a);

    /* A new password (set after the login) ends the session. */
    s_user (w, COORD, TSG_HUB_ROLE_COORDINATOR, false, T0 - DAY_MS);
    sleep (1); /* the second's password checks */
    s_login (w, COORD, session, csrf);
    s_user (w, COORD, TSG_HUB_ROLE_COORDINATOR, false, T0 + 1);
    a = s_get (w, "/", session);
    assert_int_equal (a.status, 303);
    s_answer_free (&a);
}

/* Disabling an account ends every one of its sessions, not only the one whose request found
 * it disabled: a session left idle meanwhile does not come back when the account is enabled
 * again, and the count of sessions alive drops to none. */
static void
test_disabled_every_session (void **state)
{
    world_t *w = *state;
    char first[64], second[64], csrf[64];
    s_login (w, COORD, first, csrf);
    s_login (w, COORD, second, csrf);
    answer_t a = s_get (w, "/login", NULL);
    s_answer_free (&a);
    assert_int_equal (tsg_hub_web_counters (w->web)->sessions_active, 2);
    s_user (w, COORD, TSG_HUB_ROLE_COORDINATOR, true, T0 - DAY_MS);
    a = s_get (w, "/", first); /* finds the account disabled: its sessions end */
    assert_int_equal (a.status, 303);
    s_answer_free (&a);
    a = s_get (w, "/login", NULL);
    s_answer_free (&a);
    uint64_t alive = tsg_hub_web_counters (w->web)->sessions_active;
    s_user (w, COORD, TSG_HUB_ROLE_COORDINATOR, false, T0 - DAY_MS);
    a = s_get (w, "/", second);
    int status = a.status;
    s_answer_free (&a);
    if (alive != 0 || status != 303)
        fail_msg ("after the disabled account was seen, %llu session(s) stayed alive, and the "
                  "idle one answered %d once the account was enabled again (expected 0 and 303)",
                  (unsigned long long) alive, status);
}

/* What a request brings back into a page is escaped; redirects go to local paths only. */
static void
test_reflected (void **state)
{
    world_t *w = *state;
    char session[64], csrf[64], value[512];
    s_login (w, COORD, session, csrf);
    static const char *const paths[] = {
        "/cases/" CASE_A "?error=%22%3E%3Cscript%3Ex%3C%2Fscript%3E",
        "/cases?tag=%22%3E%3Cscript%3Ex%3C%2Fscript%3E",
        "/cases?state=%22%3E%3Cscript%3Ex%3C%2Fscript%3E",
        "/reports?from=%22%3E%3Cscript%3E&to=%3Cscript%3E",
        "/login?next=%2F%22%3E%3Cscript%3Ex%3C%2Fscript%3E",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        answer_t a = s_get (w, paths[i], i == 4 ? NULL : session);
        if (strstr (a.body, "<script>"))
            fail_msg ("GET %s reflected markup: %s", paths[i], a.body);
        s_expect_security (&a);
        s_answer_free (&a);
    }
    /* The language switch goes back to local paths only, and sets its cookie. */
    static const struct {
        const char *query, *location;
    } langs[] = {
        { "/lang?to=en&back=%2Fcases%3Fstate%3Dopen", "/cases?state=open" },
        { "/lang?to=en&back=%2F%2Fevil.example", "/" },
        { "/lang?to=en&back=https%3A%2F%2Fevil.example", "/" },
        { "/lang?to=en&back=%2F%5Cevil.example", "/" },
        { "/lang?to=en&back=%2F%0D%0ASet-Cookie%3A+x%3Dy", "/" },
    };
    for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++) {
        answer_t a = s_get (w, langs[i].query, session);
        assert_int_equal (a.status, 303);
        assert_non_null (s_header (&a, "Location", value, sizeof value));
        assert_string_equal (value, langs[i].location);
        char line[512];
        assert_non_null (s_set_cookie (&a, "tsunagu_lang", line, sizeof line));
        assert_null (s_set_cookie (&a, "x", line, sizeof line));
        s_answer_free (&a);
    }
    /* English with the cookie. */
    answer_t a = s_send (w, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                            "Cookie: tsunagu_lang=en\r\n\r\n");
    assert_int_equal (a.status, 303);
    s_answer_free (&a);
    char request[512];
    snprintf (request, sizeof request,
              "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
              "Cookie: tsunagu_lang=en; tsunagu_session=%s\r\n\r\n",
              session);
    a = s_send (w, request);
    assert_int_equal (a.status, 200);
    assert_non_null (strstr (a.body, "<html lang=\"en\">"));
    s_answer_free (&a);
    /* A case that is not there, and not a case id. */
    a = s_get (w, "/cases/6d1a0c9e-7b8f-4acd-a45c-3f7a8b9cadb4", session);
    assert_int_equal (a.status, 404);
    s_answer_free (&a);
    a = s_get (w, "/cases/nonsense", session);
    assert_int_equal (a.status, 404);
    s_answer_free (&a);
}

/* The JSON API answers beside the pages, with its bearer token and not the session. */
static void
test_api_beside (void **state)
{
    world_t *w = *state;
    char value[256];
    answer_t a = s_get (w, "/v1/cases", NULL);
    assert_int_equal (a.status, 401);
    assert_non_null (s_header (&a, "WWW-Authenticate", value, sizeof value));
    assert_non_null (strstr (a.body, "\"unauthorized\""));
    s_answer_free (&a);
    char session[64], csrf[64];
    s_login (w, COORD, session, csrf);
    a = s_get (w, "/v1/cases", session);
    assert_int_equal (a.status, 401);
    s_answer_free (&a);
    a = s_send (w, "GET /v1/cases HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                   "Authorization: Bearer " TOKEN "\r\n\r\n");
    assert_int_equal (a.status, 200);
    assert_non_null (s_header (&a, "Content-Type", value, sizeof value));
    assert_string_equal (value, "application/json; charset=utf-8");
    assert_non_null (strstr (a.body, CASE_A));
    s_answer_free (&a);
    a = s_get (w, "/healthz", NULL);
    assert_int_equal (a.status, 200);
    s_answer_free (&a);
    a = s_send (w, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                   "Authorization: Bearer " TOKEN "\r\n\r\n");
    assert_int_equal (a.status, 200);
    s_answer_free (&a);
}

/* A case event needs the session, its form's token, and the coordinator role. */
static void
test_case_event (void **state)
{
    world_t *w = *state;
    char session[64], csrf[64], cookies[128], body[512], value[256];
    const char *path = "/cases/" CASE_A "/events";
    answer_t a = s_post (w, path, "", "type=state&base_version=1&state=support");
    assert_int_equal (a.status, 401);
    s_answer_free (&a);

    s_login (w, COORD, session, csrf);
    snprintf (cookies, sizeof cookies, "tsunagu_session=%s", session);
    a = s_post (w, path, cookies, "type=state&base_version=1&state=support");
    assert_int_equal (a.status, 403);
    s_expect_security (&a);
    s_answer_free (&a);
    snprintf (body, sizeof body, "csrf=%s&type=state&base_version=1&state=support", session);
    a = s_post (w, path, cookies, body);
    assert_int_equal (a.status, 403);
    s_answer_free (&a);
    assert_int_equal (json_array_size (w->acts), 0);

    /* With the token: sent on as a control request with the user as actor. */
    snprintf (body, sizeof body, "csrf=%s&type=state&base_version=1&state=support", csrf);
    a = s_post (w, path, cookies, body);
    assert_int_equal (a.status, 303);
    assert_non_null (s_header (&a, "Location", value, sizeof value));
    assert_string_equal (value, "/cases/" CASE_A "?done=1#flash");
    s_answer_free (&a);
    assert_int_equal (json_array_size (w->acts), 1);
    json_t *sent = json_array_get (w->acts, 0);
    assert_string_equal (json_string_value (json_object_get (sent, "command")), "case-event");
    assert_string_equal (json_string_value (json_object_get (sent, "case_id")), CASE_A);
    assert_string_equal (json_string_value (json_object_get (sent, "actor")), COORD);
    assert_string_equal (json_string_value (json_object_get (sent, "state")), "support");
    assert_int_equal (json_integer_value (json_object_get (sent, "base_version")), 1);
    assert_null (json_object_get (sent, "csrf"));

    /* A refusal by the daemon comes back as its code. */
    snprintf (w->act_reply, sizeof w->act_reply,
              "{\"ok\":false,\"error\":\"stale_version\",\"message\":\"...\"}");
    a = s_post (w, path, cookies, body);
    assert_int_equal (a.status, 303);
    assert_non_null (s_header (&a, "Location", value, sizeof value));
    assert_string_equal (value, "/cases/" CASE_A "?error=stale_version#flash");
    s_answer_free (&a);
    /* A malformed form is not sent. */
    snprintf (body, sizeof body, "csrf=%s&type=state&state=support", csrf);
    a = s_post (w, path, cookies, body);
    assert_int_equal (a.status, 303);
    assert_non_null (s_header (&a, "Location", value, sizeof value));
    assert_string_equal (value, "/cases/" CASE_A "?error=malformed#flash");
    s_answer_free (&a);
    assert_int_equal (json_array_size (w->acts), 2);
    /* Not a case id. */
    snprintf (body, sizeof body, "csrf=%s&type=state&base_version=1&state=support", csrf);
    a = s_post (w, "/cases/not-a-case/events", cookies, body);
    assert_int_equal (a.status, 404);
    s_answer_free (&a);

    /* A viewer with the token: 403, nothing sent. */
    sleep (1); /* the second's password checks */
    char vsession[64], vcsrf[64];
    s_login (w, VIEWER, vsession, vcsrf);
    snprintf (cookies, sizeof cookies, "tsunagu_session=%s", vsession);
    snprintf (body, sizeof body, "csrf=%s&type=state&base_version=1&state=support", vcsrf);
    a = s_post (w, path, cookies, body);
    assert_int_equal (a.status, 403);
    assert_non_null (strstr (a.body, "コーディネーター"));
    s_answer_free (&a);
    /* ... nor with the coordinator's token. */
    snprintf (body, sizeof body, "csrf=%s&type=state&base_version=1&state=support", csrf);
    a = s_post (w, path, cookies, body);
    assert_int_equal (a.status, 403);
    s_answer_free (&a);
    a = s_post (w, "/alerts/1/ack", cookies, body);
    assert_int_equal (a.status, 403);
    s_answer_free (&a);
    assert_int_equal (json_array_size (w->acts), 2);
}

/* Every login, failure, lock and logout is in the audit log with the user's name, and the log
 * verifies. */
static void
test_audit (void **state)
{
    world_t *w = *state;
    char session[64], csrf[64], cookies[128], body[128];
    s_login (w, COORD, session, csrf);
    answer_t a = s_login_post (w, VIEWER, WRONG, NULL);
    assert_int_equal (a.status, 401);
    s_answer_free (&a);
    snprintf (cookies, sizeof cookies, "tsunagu_session=%s", session);
    snprintf (body, sizeof body, "csrf=%s", csrf);
    a = s_post (w, "/logout", cookies, body);
    assert_int_equal (a.status, 303);
    s_answer_free (&a);
    for (int i = 0; i < 4; i++) {
        if (i == 2)
            sleep (1); /* five checks a second */
        a = s_login_post (w, VIEWER, WRONG, NULL);
        assert_int_equal (a.status, i < 3 ? 401 : 429);
        s_answer_free (&a);
    }
    staff_log_t log;
    s_staff_log (w, &log);
    assert_string_equal (log.text, "staff-login " COORD "\n"
                                   "staff-login-failed " VIEWER "\n"
                                   "staff-logout " COORD "\n"
                                   "staff-login-failed " VIEWER "\n"
                                   "staff-login-failed " VIEWER "\n"
                                   "staff-login-failed " VIEWER "\n"
                                   "staff-locked " VIEWER "\n");
}

int
main (void)
{
    log_init ("test_web_http", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_login_page, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_login_and_pages, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_login_forged, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_wrong_password, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_lockout, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_logout, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_disabled, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_disabled_every_session, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_reflected, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_api_beside, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_case_event, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_audit, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
