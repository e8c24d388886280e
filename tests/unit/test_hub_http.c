/* test_hub_http.c — the coordinator's read-only HTTP API: bearer token, every route, its
 * errors, and one real listener on a loopback port spoken to with a tiny socket client; and
 * the common HTTP adapter (tsg_http_server.h) on its own: bodies, their limit, a request held
 * and answered later, as the agencies use it. */
#include "test_hub_fixture.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <sys/socket.h>

#include "coordinator/api/api.h"
#include "coordinator/daemon/conf.h"
#include "coordinator/api/http.h"

#define TOKEN  "3b1f5c9e2d7a4f6b8c0e1a2d3f4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b"
#define CASE_A "5c0f9b8d-6a7e-4fbc-934b-2e6f7a8b9ca3"

/* The fixture and an API over it. */
typedef struct {
    hub_fixture_t *f;  /* store, agencies, intake */
    tsg_hub_api_t api; /* what is tested */
} http_fixture_t;

static int
s_setup (void **state)
{
    http_fixture_t *h = calloc (1, sizeof *h);
    assert_non_null (h);
    h->f = hub_fixture_new ("hub-http");
    h->api.store = h->f->store;
    h->api.directory = h->f->directory;
    h->api.counters = tsg_hub_intake_counters (h->f->intake);
    h->api.has_token = true;
    crypto_hash_sha256 (h->api.token_sha256, (const uint8_t *) TOKEN, strlen (TOKEN));
    char rid[TSG_UUID_TEXT_SIZE] = "";
    tsg_hub_answer_t a = hub_referral (h->f, F_ELDER, POVERTY, CASE_A,
                                       TSUNAGU__V1__URGENCY__URGENCY_HIGH, "8050", rid);
    hub_expect_stored (&a);
    *state = h;
    return 0;
}

static int
s_teardown (void **state)
{
    http_fixture_t *h = *state;
    hub_fixture_destroy (&h->f);
    free (h);
    return 0;
}

/* Query arguments of a direct request: "name=value&..." */
static const char *
s_arg (void *cls, const char *name)
{
    /* Each value stays valid for the request, as libmicrohttpd's do. */
    static char values[8][256];
    static int next;
    char *value = values[next++ % 8];
    const char *query = cls;
    size_t n = strlen (name);
    for (const char *p = query; p && *p;) {
        const char *end = strchr (p, '&');
        if (strncmp (p, name, n) == 0 && p[n] == '=') {
            size_t len = end ? (size_t) (end - p - n - 1) : strlen (p + n + 1);
            snprintf (value, sizeof values[0], "%.*s", (int) len, p + n + 1);
            return value;
        }
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

/* Calls the routes directly; returns the status, the body in *body (caller frees). */
static int
s_get (http_fixture_t *h, const char *method, const char *path, const char *query,
       const char *authorization, char **body)
{
    tsg_hub_request_t req = { method, path, authorization, s_arg, (void *) (query ? query : "") };
    tsg_hub_reply_t reply;
    tsg_hub_api_handle (&h->api, &req, &reply);
    assert_non_null (reply.body);
    *body = reply.body;
    return reply.status;
}

/* GET with the token; the parsed JSON body of a 200 (caller decrefs). */
static json_t *
s_json (http_fixture_t *h, const char *path, const char *query)
{
    char *body = NULL;
    int status = s_get (h, "GET", path, query, "Bearer " TOKEN, &body);
    if (status != 200)
        fail_msg ("GET %s?%s: %d %s", path, query ? query : "", status, body);
    json_t *root = json_loads (body, 0, NULL);
    assert_non_null (root);
    free (body);
    return root;
}

/* The error code of a refused request. */
static void
s_expect (http_fixture_t *h, const char *method, const char *path, const char *query,
          const char *authorization, int status, const char *code)
{
    char *body = NULL;
    int got = s_get (h, method, path, query, authorization, &body);
    if (got != status)
        fail_msg ("%s %s: expected %d, got %d %s", method, path, status, got, body);
    json_t *root = json_loads (body, 0, NULL);
    assert_non_null (root);
    assert_string_equal (json_string_value (json_object_get (root, "error")), code);
    assert_non_null (json_string_value (json_object_get (root, "message")));
    json_decref (root);
    free (body);
}

/* Only /healthz answers without the token; a wrong or missing token is 401. */
static void
test_token (void **state)
{
    http_fixture_t *h = *state;
    char *body = NULL;
    assert_int_equal (s_get (h, "GET", "/healthz", NULL, NULL, &body), 200);
    assert_non_null (strstr (body, "\"status\":\"ok\""));
    free (body);
    static const char *const paths[] = { "/v1/cases", ("/v1/cases/" CASE_A), "/v1/agencies",
                                         "/v1/stats", "/v1/referrals",       "/metrics" };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        s_expect (h, "GET", paths[i], NULL, NULL, 401, "unauthorized");
        s_expect (h, "GET", paths[i], NULL, "Bearer wrong", 401, "unauthorized");
        s_expect (h, "GET", paths[i], NULL, "Basic " TOKEN, 401, "unauthorized");
    }
    /* No token configured: nothing but /healthz, whatever is sent. */
    h->api.has_token = false;
    s_expect (h, "GET", "/v1/cases", NULL, "Bearer " TOKEN, 401, "unauthorized");
    h->api.has_token = true;
    s_expect (h, "GET", "/nowhere", NULL, "Bearer " TOKEN, 404, "not_found");
    s_expect (h, "POST", "/v1/cases", NULL, "Bearer " TOKEN, 405, "method_not_allowed");
    s_expect (h, "DELETE", "/v1/cases/" CASE_A, NULL, "Bearer " TOKEN, 405, "method_not_allowed");
}

/* The case routes: list with filters and their errors, one case with its timeline. */
static void
test_cases_routes (void **state)
{
    http_fixture_t *h = *state;
    json_t *list = s_json (h, "/v1/cases", NULL);
    assert_int_equal (json_integer_value (json_object_get (list, "count")), 1);
    json_t *first = json_array_get (json_object_get (list, "cases"), 0);
    assert_string_equal (json_string_value (json_object_get (first, "case_id")), CASE_A);
    assert_string_equal (json_string_value (json_object_get (first, "state")), "multi-agency");
    assert_string_equal (json_string_value (json_object_get (first, "state_label")), "多機関協働");
    json_decref (list);
    list = s_json (h, "/v1/cases", "agency=" POVERTY "&tag=8050&state=multi-agency&limit=5");
    assert_int_equal (json_integer_value (json_object_get (list, "count")), 1);
    json_decref (list);
    list = s_json (h, "/v1/cases", "agency=" CHILD);
    assert_int_equal (json_integer_value (json_object_get (list, "count")), 0);
    json_decref (list);
    list = s_json (h, "/v1/cases", "overdue=1");
    assert_int_equal (json_integer_value (json_object_get (list, "count")), 0);
    json_decref (list);
    s_expect (h, "GET", "/v1/cases", "state=finished", "Bearer " TOKEN, 400, "invalid");
    s_expect (h, "GET", "/v1/cases", "limit=0", "Bearer " TOKEN, 400, "invalid");
    s_expect (h, "GET", "/v1/cases", "limit=501", "Bearer " TOKEN, 400, "invalid");
    s_expect (h, "GET", "/v1/cases", "after=xyz", "Bearer " TOKEN, 400, "invalid");
    s_expect (h, "GET", "/v1/cases", "agency=Not_An_Id", "Bearer " TOKEN, 400, "invalid");
    s_expect (h, "GET", "/v1/cases", "overdue=maybe", "Bearer " TOKEN, 400, "invalid");

    json_t *one = s_json (h, "/v1/cases/" CASE_A, NULL);
    assert_int_equal (json_integer_value (json_object_get (one, "version")), 1);
    json_t *timeline = json_object_get (one, "timeline");
    assert_int_equal (json_array_size (timeline), 4);
    assert_string_equal (json_string_value (json_object_get (json_array_get (timeline, 0), "at")),
                         "2026-11-23T03:00:00.000Z");
    json_t *ref = json_array_get (json_object_get (one, "referrals"), 0);
    assert_string_equal (json_string_value (json_object_get (ref, "state")), "requested");
    assert_string_equal (json_string_value (json_object_get (ref, "urgency")), "high");
    assert_string_equal (json_string_value (json_object_get (ref, "due_date")), "2026-11-27");
    assert_string_equal (json_string_value (json_object_get (ref, "receive_due_date")),
                         "2026-11-24");
    json_decref (one);
    s_expect (h, "GET", "/v1/cases/6d1a0c9e-7b8f-4acd-a45c-3f7a8b9cadb4", NULL, "Bearer " TOKEN,
              404, "not_found");
    s_expect (h, "GET", "/v1/cases/nonsense", NULL, "Bearer " TOKEN, 404, "not_found");
}

/* Overdue referrals, stats, agencies and metrics. */
static void
test_other_routes (void **state)
{
    http_fixture_t *h = *state;
    json_t *overdue = s_json (h, "/v1/referrals", "overdue=received");
    assert_int_equal (json_integer_value (json_object_get (overdue, "count")), 0);
    json_decref (overdue);
    hub_now = T0 + 3 * DAY_MS;
    overdue = s_json (h, "/v1/referrals", "overdue=received");
    assert_int_equal (json_integer_value (json_object_get (overdue, "count")), 1);
    json_t *ref = json_array_get (json_object_get (overdue, "referrals"), 0);
    assert_string_equal (json_string_value (json_object_get (ref, "overdue")), "received");
    const char *rid = json_string_value (json_object_get (ref, "referral_id"));
    char path[128];
    snprintf (path, sizeof path, "/v1/referrals/%s", rid);
    json_t *single = s_json (h, path, NULL);
    assert_string_equal (json_string_value (json_object_get (single, "to")), POVERTY);
    json_decref (single);
    json_decref (overdue);
    s_expect (h, "GET", "/v1/referrals", NULL, "Bearer " TOKEN, 400, "invalid");
    s_expect (h, "GET", "/v1/referrals", "overdue=forever", "Bearer " TOKEN, 400, "invalid");
    json_t *list = s_json (h, "/v1/cases", "overdue=1");
    assert_int_equal (json_integer_value (json_object_get (list, "count")), 1);
    json_decref (list);

    json_t *stats = s_json (h, "/v1/stats", NULL);
    json_t *refs = json_object_get (stats, "referrals");
    assert_int_equal (json_integer_value (json_object_get (refs, "created")), 1);
    assert_int_equal (
        json_integer_value (json_object_get (json_object_get (refs, "overdue"), "received")), 1);
    json_t *cases = json_object_get (stats, "cases");
    assert_int_equal (json_integer_value (json_object_get (cases, "opened")), 1);
    assert_true (json_is_null (json_object_get (cases, "reopen_rate")));
    json_t *by_state = json_object_get (json_object_get (cases, "by_state"), "multi-agency");
    assert_int_equal (json_integer_value (json_object_get (by_state, "count")), 1);
    assert_string_equal (json_string_value (json_object_get (by_state, "label")), "多機関協働");
    json_decref (stats);

    json_t *agencies = s_json (h, "/v1/agencies", NULL);
    json_t *list_a = json_object_get (agencies, "agencies");
    assert_int_equal (json_array_size (list_a), 4);
    for (size_t i = 0; i < 4; i++) {
        json_t *a = json_array_get (list_a, i);
        if (strcmp (json_string_value (json_object_get (a, "id")), DISABILITY) == 0)
            assert_int_equal (json_integer_value (json_object_get (a, "response_due_days")), 10);
        if (strcmp (json_string_value (json_object_get (a, "id")), POVERTY) == 0)
            /* The referral and the case update wait for it. */
            assert_int_equal (json_integer_value (json_object_get (a, "mailbox_depth")), 2);
        assert_true (json_is_false (json_object_get (a, "connected")));
    }
    json_decref (agencies);

    char *text = NULL;
    assert_int_equal (s_get (h, "GET", "/metrics", NULL, "Bearer " TOKEN, &text), 200);
    assert_non_null (strstr (text, "tsunagu_cases{state=\"multi-agency\"} 1\n"));
    assert_non_null (strstr (text, "tsunagu_referrals_overdue{kind=\"received\"} 1\n"));
    assert_non_null (strstr (text, "tsunagu_mailbox_depth{agency=\"" POVERTY "\"} 2\n"));
    assert_non_null (strstr (text, "tsunagu_letters_stored_total 1\n"));
    assert_non_null (strstr (text, "tsunagu_letters_refused_total{reason=\"stale_version\"} 0\n"));
    assert_non_null (strstr (text, "# TYPE tsunagu_sessions gauge\n"));
    free (text);
}

/* ---- a real listener --------------------------------------------------------------- */

/* Runs libmicrohttpd's work in a thread, as the hub's loop does. */
typedef struct {
    tsg_http_server_t *http;    /* the listener */
    volatile sig_atomic_t stop; /* set to end the thread */
    pthread_t thread;           /* runs s_serve */
} served_t;

static void *
s_serve (void *arg)
{
    served_t *s = arg;
    while (!s->stop) {
        struct pollfd pfd = { tsg_http_server_fd (s->http), POLLIN, 0 };
        poll (&pfd, 1, 20);
        tsg_http_server_run (s->http);
    }
    return NULL;
}

/* One HTTP/1.0 exchange on 127.0.0.1:port; the whole answer (caller frees). */
static char *
s_exchange (int port, const char *request)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (connect (fd, (struct sockaddr *) &addr, sizeof addr), 0);
    assert_int_equal (send (fd, request, strlen (request), 0), (ssize_t) strlen (request));
    size_t cap = 65536, len = 0;
    char *answer = malloc (cap);
    assert_non_null (answer);
    ssize_t n;
    while ((n = recv (fd, answer + len, cap - len - 1, 0)) > 0)
        len += (size_t) n;
    answer[len] = '\0';
    close (fd);
    return answer;
}

static void
test_listener (void **state)
{
    http_fixture_t *h = *state;
    served_t s = { 0 };
    s.http = tsg_hub_http_new (&h->api, "127.0.0.1:0");
    assert_non_null (s.http);
    int port = tsg_http_server_port (s.http);
    assert_true (port > 0);
    assert_int_equal (pthread_create (&s.thread, NULL, s_serve, &s), 0);

    char *answer = s_exchange (port, "GET /healthz HTTP/1.0\r\n\r\n");
    assert_non_null (strstr (answer, "200 OK"));
    assert_non_null (strstr (answer, "application/json"));
    free (answer);
    answer = s_exchange (port, "GET /v1/cases?state=multi-agency&tag=8050 HTTP/1.0\r\n"
                               "Authorization: Bearer " TOKEN "\r\n\r\n");
    assert_non_null (strstr (answer, "200 OK"));
    assert_non_null (strstr (answer, CASE_A));
    free (answer);
    answer = s_exchange (port, "GET /v1/stats HTTP/1.0\r\n\r\n");
    assert_non_null (strstr (answer, "401"));
    assert_non_null (strstr (answer, "WWW-Authenticate: Bearer"));
    free (answer);
    answer = s_exchange (port, "POST /v1/cases HTTP/1.0\r\nContent-Length: 2\r\n"
                               "Authorization: Bearer " TOKEN "\r\n\r\n{}");
    assert_non_null (strstr (answer, "405"));
    assert_non_null (strstr (answer, "Allow: GET"));
    free (answer);

    s.stop = 1;
    assert_int_equal (pthread_join (s.thread, NULL), 0);
    tsg_http_server_destroy (&s.http);
    tsg_http_server_destroy (&s.http);
}

/* ---- the common adapter ------------------------------------------------------------ */

/* A server that answers GET at its headers, reads POST bodies (at most 16 bytes kept) and
 * holds every POST to /hold until the test answers it. */
typedef struct {
    tsg_http_exchange_t *held; /* the request held (NULL: none) */
    char last_body[64];        /* the last body the request step saw */
    bool last_too_large;       /* ... and whether it was cut */
    char auth[64];             /* the Authorization header of the last request */
} adapter_t;

static tsg_http_step_t
s_adapter_headers (void *arg, const tsg_http_request_t *req, tsg_http_response_t *res)
{
    adapter_t *a = arg;
    const char *auth = tsg_http_header (req, "authorization");
    snprintf (a->auth, sizeof a->auth, "%s", auth ? auth : "");
    if (strcmp (req->method, "GET") != 0)
        return TSG_HTTP_NEXT;
    const char *who = tsg_http_arg (req, "who");
    char text[128];
    snprintf (text, sizeof text, "{\"hello\":\"%s\"}", who ? who : "");
    res->status = 200;
    res->body = strdup (text);
    return TSG_HTTP_ANSWER;
}

static tsg_http_step_t
s_adapter_request (void *arg, const tsg_http_request_t *req, tsg_http_response_t *res)
{
    adapter_t *a = arg;
    snprintf (a->last_body, sizeof a->last_body, "%s", req->body ? req->body : "");
    a->last_too_large = req->too_large;
    if (strcmp (req->path, "/hold") == 0) {
        a->held = req->exchange;
        return TSG_HTTP_HOLD;
    }
    res->status = req->too_large ? 413 : 201;
    res->body = strdup ("plain words");
    res->content_type = "text/plain; charset=utf-8";
    res->retry_after_s = req->too_large ? 0 : 7;
    return TSG_HTTP_ANSWER;
}

/* One exchange sent from a thread of its own, so that the test's loop can run the server. */
typedef struct {
    int port;            /* where */
    const char *request; /* what */
    char *answer;        /* the whole answer (owned) */
    pthread_t thread;    /* runs s_client */
} client_t;

static void *
s_client (void *arg)
{
    client_t *c = arg;
    c->answer = s_exchange (c->port, c->request);
    return NULL;
}

/* Runs server until c's answer is in (at most 5 s); the answer. */
static char *
s_run_until_answered (tsg_http_server_t *server, client_t *c, adapter_t *a, bool answer_held)
{
    assert_int_equal (pthread_create (&c->thread, NULL, s_client, c), 0);
    for (int i = 0; i < 500 && !c->answer; i++) {
        struct pollfd pfd = { tsg_http_server_fd (server), POLLIN, 0 };
        long timeout = tsg_http_server_timeout (server);
        poll (&pfd, 1, timeout >= 0 && timeout < 10 ? (int) timeout : 10);
        tsg_http_server_run (server);
        if (answer_held && a->held) {
            tsg_http_response_t res = { .status = 202, .body = strdup ("{\"stored\":true}") };
            tsg_http_server_answer (a->held, &res);
            assert_null (res.body);
            a->held = NULL;
        }
    }
    assert_int_equal (pthread_join (c->thread, NULL), 0);
    assert_non_null (c->answer);
    return c->answer;
}

static void
test_adapter (void **state)
{
    (void) state;
    adapter_t a = { 0 };
    tsg_http_server_config_t config = { .name = "test-http",
                                        .host = "127.0.0.1",
                                        .port = 0,
                                        .connections_max = 8,
                                        .per_address_max = 4,
                                        .body_max = 16,
                                        .may_hold = true,
                                        .headers = s_adapter_headers,
                                        .request = s_adapter_request,
                                        .arg = &a };
    tsg_http_server_t *server = tsg_http_server_new (&config);
    assert_non_null (server);
    int port = tsg_http_server_port (server);
    assert_true (port > 0);
    assert_non_null (tsg_http_server_limits (server));

    /* Answered at its headers, with its query and header read. */
    client_t c = { .port = port,
                   .request = "GET /x?who=%E3%81%A4%E3%81%AA%E3%81%90 HTTP/1.0\r\n"
                              "Authorization: Bearer abc\r\n\r\n" };
    char *answer = s_run_until_answered (server, &c, &a, false);
    assert_non_null (strstr (answer, "200 OK"));
    assert_non_null (strstr (answer, "{\"hello\":\"つなぐ\"}"));
    assert_non_null (strstr (answer, "application/json; charset=utf-8"));
    assert_non_null (strstr (answer, "Cache-Control: no-store"));
    assert_string_equal (a.auth, "Bearer abc");
    free (answer);

    /* A body read whole, then answered with its own type and a Retry-After. */
    c = (client_t){ .port = port,
                    .request = "POST /y HTTP/1.0\r\nContent-Length: 9\r\n\r\n{\"a\":\"b\"}" };
    answer = s_run_until_answered (server, &c, &a, false);
    assert_non_null (strstr (answer, "201"));
    assert_non_null (strstr (answer, "text/plain; charset=utf-8"));
    assert_non_null (strstr (answer, "Retry-After: 7"));
    assert_string_equal (a.last_body, "{\"a\":\"b\"}");
    assert_false (a.last_too_large);
    free (answer);

    /* A body past body_max: the request step is told, the rest dropped. */
    c = (client_t){ .port = port,
                    .request = "POST /y HTTP/1.0\r\nContent-Length: 20\r\n\r\n"
                               "0123456789abcdefghij" };
    answer = s_run_until_answered (server, &c, &a, false);
    assert_non_null (strstr (answer, "413"));
    assert_true (a.last_too_large);
    free (answer);

    /* Held, then answered by the loop: the answer reaches the client. */
    c = (client_t){ .port = port, .request = "POST /hold HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}" };
    answer = s_run_until_answered (server, &c, &a, true);
    assert_non_null (strstr (answer, "202"));
    assert_non_null (strstr (answer, "{\"stored\":true}"));
    assert_string_equal (a.last_body, "{}");
    free (answer);

    tsg_http_server_destroy (&server);
    tsg_http_server_destroy (&server);
    /* Not a numeric address: refused. */
    config.host = "example.org";
    assert_null (tsg_http_server_new (&config));
}

/* [http] listen and token_sha256 in coordinator.conf. */
static void
test_conf (void **state)
{
    http_fixture_t *h = *state;
    char host[64];
    int port;
    assert_true (tsg_hub_http_listen_parse ("127.0.0.1:7780", host, sizeof host, &port));
    assert_string_equal (host, "127.0.0.1");
    assert_int_equal (port, 7780);
    assert_true (tsg_hub_http_listen_parse ("[::1]:0", host, sizeof host, &port));
    assert_string_equal (host, "::1");
    assert_true (tsg_hub_http_listen_parse ("localhost:80", host, sizeof host, &port));
    assert_string_equal (host, "127.0.0.1");
    assert_false (tsg_hub_http_listen_parse ("127.0.0.1", host, sizeof host, &port));
    assert_false (tsg_hub_http_listen_parse ("example.org:80", host, sizeof host, &port));
    assert_false (tsg_hub_http_listen_parse ("127.0.0.1:65536", host, sizeof host, &port));
    assert_true (tsg_hub_http_loopback ("127.0.0.5"));
    assert_false (tsg_hub_http_loopback ("192.0.2.1"));

    char path[512], text[1024];
    snprintf (path, sizeof path, "%s/coordinator.conf", h->f->dir);
    snprintf (text, sizeof text,
              "[coordinator]\ndata_dir = .\nkeys = k\nlisten = tcp://127.0.0.1:7700\n"
              "[http]\nlisten = 127.0.0.1:7780\ntoken_sha256 = %064d\n",
              0);
    assert_int_equal (tsg_write_file (path, text, strlen (text), 0600), TSG_OK);
    tsg_hub_conf_t *conf = tsg_hub_conf_load (path, NULL, NULL);
    assert_non_null (conf);
    assert_true (conf->has_token);
    tsg_hub_conf_destroy (&conf);

    snprintf (text, sizeof text,
              "[coordinator]\ndata_dir = .\nkeys = k\nlisten = tcp://127.0.0.1:7700\n"
              "[http]\nlisten = somewhere\ntoken_sha256 = abc\n");
    assert_int_equal (tsg_write_file (path, text, strlen (text), 0600), TSG_OK);
    char *report = NULL;
    size_t report_len = 0;
    FILE *out = open_memstream (&report, &report_len);
    assert_null (tsg_hub_conf_load (path, NULL, out));
    fclose (out);
    assert_non_null (strstr (report, ":6: http.listen"));
    assert_non_null (strstr (report, ":7: http.token_sha256"));
    free (report);
}

int
main (void)
{
    log_init ("test_hub_http", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_token, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_cases_routes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_other_routes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_listener, s_setup, s_teardown),
        cmocka_unit_test (test_adapter),
        cmocka_unit_test_setup_teardown (test_conf, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
