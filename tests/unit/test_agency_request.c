/* POST /v1/referrals validation: every rule gives its field error and stores nothing;
 * a valid referral is answered 202 only after its commit; client_ref is idempotent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsunagu.h"
#include "agency_world.h"
#include "agency/letters/referral_request.h"
#include "agency/api/routes.h"

typedef struct {
    agency_world_t *world; /* the fixture */
    tsg_agency_t *elder;   /* the sender under test */
} s_world_t;

static int
s_setup (void **state)
{
    s_world_t *w = calloc (1, sizeof *w);
    w->world = agency_world_new ();
    w->elder = agency_world_agency (w->world, "elder-a", "eldercare");
    assert_non_null (agency_world_agency (w->world, "pov-a", "poverty"));
    assert_non_null (agency_world_agency (w->world, "child-a", "child"));
    assert_non_null (agency_world_agency (w->world, "child-b", "child"));
    assert_non_null (agency_world_agency (w->world, "dis-a", "disability"));
    agency_world_status (w->world, "dis-a", TSUNAGU__V1__AGENCY_STATUS__AGENCY_SUSPENDED);
    agency_world_publish (w->world);
    *state = w;
    return 0;
}

static int
s_teardown (void **state)
{
    s_world_t *w = *state;
    agency_world_destroy (&w->world);
    free (w);
    return 0;
}

/* Nothing was stored, queued or sent. */
static void
s_nothing_stored (s_world_t *w, size_t outbox, size_t sent)
{
    assert_int_equal (agency_world_count (w->elder, AGENCY_DB_OUTBOX), outbox);
    assert_int_equal (agency_world_count (w->elder, AGENCY_DB_SENT), sent);
    assert_int_equal (agency_world_count (w->elder, AGENCY_DB_MSGREF), sent);
    assert_null (w->elder->pending);
}

/* POSTs body and checks the status, the error code and (when given) the field named. */
static void
s_refused (s_world_t *w, const char *body, int status, const char *code, const char *field)
{
    size_t outbox = agency_world_count (w->elder, AGENCY_DB_OUTBOX);
    size_t sent = agency_world_count (w->elder, AGENCY_DB_SENT);
    uint64_t sequence = w->elder->next_sequence;
    json_t *reply = NULL;
    int got = agency_world_request (w->elder, "POST", "/v1/referrals", body, &reply);
    if (got != status || !reply)
        fprintf (stderr, "body %s → %d %s\n", body, got, reply ? json_dumps (reply, 0) : "");
    assert_int_equal (got, status);
    assert_non_null (reply);
    assert_string_equal (json_string_value (json_object_get (reply, "error")), code);
    assert_non_null (json_string_value (json_object_get (reply, "message")));
    if (field) {
        json_t *fields = json_object_get (reply, "fields");
        if (!json_object_get (fields, field))
            fprintf (stderr, "body %s: no field %s in %s\n", body, field, json_dumps (reply, 0));
        assert_non_null (json_string_value (json_object_get (fields, field)));
    }
    json_decref (reply);
    s_nothing_stored (w, outbox, sent);
    assert_int_equal (w->elder->next_sequence, sequence);
}

/* eldercare's own intake field: the care-insurance status. */
#define ELDER "\"eldercare\":{\"care_insurance\":\"要介護1\"}"
#define GOOD                                                                                       \
    "\"to\":\"pov-a\",\"legal_basis\":\"consent\",\"consent_id\":\"c-1\","                         \
    "\"data_categories\":[\"identity\"],\"sheet\":{\"summary\":\"相談\"," ELDER "}"
/* child's own intake fields: the child's age and school or nursery. */
#define CHILD "\"child\":{\"age\":4,\"nursery\":\"つなぐ保育園\"}"
/* The rest of a request that passes every rule of its own. */
#define REST "\"legal_basis\":\"none\",\"sheet\":{" ELDER "}"

static void
test_not_ready_without_directory (void **state)
{
    (void) state;
    agency_world_t *world = agency_world_new ();
    tsg_agency_t *lonely = agency_world_agency (world, "lonely", "eldercare");
    json_t *reply = NULL;
    assert_int_equal (agency_world_request (lonely, "POST", "/v1/referrals", "{" GOOD "}", &reply),
                      503);
    assert_string_equal (json_string_value (json_object_get (reply, "error")), "not_ready");
    json_decref (reply);
    assert_int_equal (agency_world_request (lonely, "GET", "/v1/directory", NULL, &reply), 503);
    json_decref (reply);
    assert_int_equal (agency_world_count (lonely, AGENCY_DB_OUTBOX), 0);
    agency_world_destroy (&world);
}

static void
test_valid_referral (void **state)
{
    s_world_t *w = *state;
    json_t *reply = NULL;
    uint64_t before = tsg_now_ms ();
    int status = agency_world_request (
        w->elder, "POST", "/v1/referrals",
        "{\"to\":\"pov-a\",\"urgency\":\"high\",\"tags\":[\"8050\",\"生活困窮\"],"
        "\"legal_basis\":\"consent\",\"consent_id\":\"c-1\",\"data_categories\":[\"identity\","
        "\"health\"],\"sheet\":{\"name\":\"山田 ハナ\"," ELDER "}}",
        &reply);
    assert_int_equal (status, 202);
    const char *referral_id = json_string_value (json_object_get (reply, "referral_id"));
    const char *case_id = json_string_value (json_object_get (reply, "case_id"));
    const char *due = json_string_value (json_object_get (reply, "due_date"));
    assert_true (tsg_uuid_valid (referral_id));
    assert_true (tsg_uuid_valid (case_id));
    char expected[11], expected_later[11];
    tsg_date_jst_plus_days (before, 4, expected); /* poverty: 7 days, halved for high urgency */
    tsg_date_jst_plus_days (tsg_now_ms (), 4, expected_later);
    assert_true (strcmp (due, expected) == 0 || strcmp (due, expected_later) == 0);
    const char *receive_due = json_string_value (json_object_get (reply, "receive_due_date"));
    assert_non_null (receive_due);
    tsg_date_jst_plus_days (before, 1, expected);
    tsg_date_jst_plus_days (tsg_now_ms (), 1, expected_later);
    assert_true (strcmp (receive_due, expected) == 0 || strcmp (receive_due, expected_later) == 0);
    s_nothing_stored (w, 1, 1);

    char path[80];
    snprintf (path, sizeof path, "/v1/referrals/%s", referral_id);
    json_t *record = NULL;
    assert_int_equal (agency_world_request (w->elder, "GET", path, NULL, &record), 200);
    assert_string_equal (json_string_value (json_object_get (record, "to")), "pov-a");
    assert_string_equal (json_string_value (json_object_get (record, "to_type")), "poverty");
    assert_string_equal (json_string_value (json_object_get (record, "urgency")), "high");
    assert_string_equal (json_string_value (json_object_get (record, "legal_basis")), "consent");
    assert_string_equal (json_string_value (json_object_get (record, "status")), "requested");
    assert_string_equal (json_string_value (json_object_get (record, "delivery")), "queued");
    assert_int_equal (json_array_size (json_object_get (record, "tags")), 2);
    assert_true (
        json_is_null (json_object_get (json_object_get (record, "receipts"), "stored_at")));
    json_t *history = json_object_get (record, "history");
    assert_int_equal (json_array_size (history), 1);
    assert_string_equal (json_string_value (json_object_get (json_array_get (history, 0), "event")),
                         "requested");
    assert_null (json_object_get (record, "error"));
    json_decref (record);

    /* The referral went out at once, with the case id in the cleartext header. */
    assert_int_equal (agency_world_sent_count (w->world, w->elder), 1);
    size_t len;
    const uint8_t *letter = agency_world_sent (w->world, w->elder, 0, &len);
    tsg_envelope_t env = { 0 };
    assert_int_equal (agency_world_decode (letter, len, &env), TSG_OK);
    assert_int_equal (env.letter->kind, TSUNAGU__V1__KIND__KIND_REFERRAL);
    assert_int_equal (env.letter->sequence, 1);
    assert_string_equal (env.letter->header->sender_type, "eldercare");
    assert_string_equal (env.letter->header->due_date, due);
    /* The sheet is not in the clear anywhere in the letter. */
    assert_null (memmem (letter, len, "山田", strlen ("山田")));
    tsg_envelope_clear (&env);
    json_decref (reply);
    agency_world_sent_clear (w->world, w->elder);
}

static void
test_each_rule (void **state)
{
    s_world_t *w = *state;
    s_refused (w, "{", 400, "bad_json", NULL);
    s_refused (w, "", 400, "bad_json", NULL);
    s_refused (w, "[1,2]", 400, "bad_json", NULL);
    s_refused (w, "\"text\"", 400, "bad_json", NULL);
    s_refused (w, "{" GOOD ",\"to\":\"child-a\"}", 400, "bad_json", NULL); /* duplicate key */
    s_refused (w, "{" GOOD ",\"urgancy\":\"high\"}", 400, "invalid", "urgancy");
    s_refused (w, "{\"legal_basis\":\"consent\",\"sheet\":{}}", 400, "invalid", "to");
    s_refused (w, "{\"to\":5,\"legal_basis\":\"consent\",\"sheet\":{}}", 400, "invalid", "to");
    s_refused (w, "{\"to\":\"Bad_Id\",\"legal_basis\":\"consent\",\"sheet\":{}}", 400, "invalid",
               "to");
    s_refused (w, "{\"to\":\"coordinator\",\"legal_basis\":\"consent\",\"sheet\":{}}", 400,
               "invalid", "to");
    s_refused (w, "{\"to_type\":\"housing\",\"legal_basis\":\"consent\",\"sheet\":{}}", 400,
               "invalid", "to_type");
    s_refused (w, "{" GOOD ",\"case_id\":\"not-a-uuid\"}", 400, "invalid", "case_id");
    s_refused (w, "{" GOOD ",\"case_id\":\"2F1C6E0A-8B7D-4C3E-9F10-1A2B3C4D5E6F\"}", 400, "invalid",
               "case_id");
    s_refused (w, "{" GOOD ",\"case_id\":7}", 400, "invalid", "case_id");
    s_refused (w, "{" GOOD ",\"urgency\":\"urgent\"}", 400, "invalid", "urgency");
    s_refused (w, "{" GOOD ",\"tags\":\"8050\"}", 400, "invalid", "tags");
    s_refused (w,
               "{" GOOD ",\"tags\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\","
               "\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\"]}",
               400, "invalid", "tags");
    s_refused (w,
               "{" GOOD ",\"tags\":[\"ok\",\"0123456789012345678901234567890123456789012345678901"
               "2345678901234\"]}",
               400, "invalid", "tags[1]");
    s_refused (w, "{" GOOD ",\"tags\":[1]}", 400, "invalid", "tags[0]");
    s_refused (w, "{" GOOD ",\"tags\":[\"\"]}", 400, "invalid", "tags[0]");
    s_refused (w, "{" GOOD ",\"tags\":[\"a\\nb\"]}", 400, "invalid", "tags[0]");
    s_refused (w, "{\"to\":\"pov-a\",\"sheet\":{}}", 400, "invalid", "legal_basis");
    s_refused (w, "{\"to\":\"pov-a\",\"legal_basis\":\"maybe\",\"sheet\":{}}", 400, "invalid",
               "legal_basis");
    s_refused (w, "{\"to\":\"pov-a\",\"legal_basis\":null,\"sheet\":{}}", 400, "invalid",
               "legal_basis");
    s_refused (w,
               "{\"to\":\"pov-a\",\"legal_basis\":\"consent\",\"data_categories\":[\"health\"],"
               "\"sheet\":{" ELDER "},\"consent_id\":\"0123456789012345678901234567890123456789"
               "0123456789012345678901234\"}",
               400, "invalid", "consent_id");
    s_refused (w, "{" GOOD ",\"client_ref\":\"\"}", 400, "invalid", "client_ref");
    s_refused (w, "{" GOOD ",\"client_ref\":[]}", 400, "invalid", "client_ref");
    s_refused (w, "{\"to\":\"pov-a\",\"legal_basis\":\"consent\"}", 400, "invalid", "sheet");
    s_refused (w, "{\"to\":\"pov-a\",\"legal_basis\":\"consent\",\"sheet\":\"山田\"}", 400,
               "invalid", "sheet");
    s_refused (w, "{\"to\":\"pov-a\",\"legal_basis\":\"consent\",\"sheet\":[]}", 400, "invalid",
               "sheet");
    /* Against the directory. */
    s_refused (w, "{\"to\":\"nobody\"," REST "}", 422, "unknown_recipient", "to");
    s_refused (w, "{\"to\":\"dis-a\"," REST "}", 422, "recipient_inactive", "to");
    s_refused (w, "{\"to_type\":\"child\"," REST "}", 422, "unknown_recipient", "to_type");
    s_refused (w, "{\"to_type\":\"disability\"," REST "}", 422, "unknown_recipient", "to_type");
    s_refused (w, "{\"to\":\"elder-a\"," REST "}", 400, "invalid", "to");
    s_refused (w, "{\"to\":\"pov-a\",\"to_type\":\"child\"," REST "}", 400, "invalid", "to_type");
}

static void
test_every_field_named (void **state)
{
    s_world_t *w = *state;
    json_t *reply = NULL;
    assert_int_equal (agency_world_request (w->elder, "POST", "/v1/referrals",
                                            "{\"to\":1,\"case_id\":\"x\",\"urgency\":2,"
                                            "\"tags\":[3],\"sheet\":4,\"extra\":5}",
                                            &reply),
                      400);
    json_t *fields = json_object_get (reply, "fields");
    const char *expected[] = { "to",          "case_id", "urgency", "tags[0]",
                               "legal_basis", "sheet",   "extra" };
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        assert_non_null (json_object_get (fields, expected[i]));
    assert_int_equal (json_object_size (fields), 7);
    json_decref (reply);
    s_nothing_stored (w, agency_world_count (w->elder, AGENCY_DB_OUTBOX),
                      agency_world_count (w->elder, AGENCY_DB_SENT));
}

static void
test_size_limits (void **state)
{
    s_world_t *w = *state;
    /* A sheet that fits the request but not a letter body (768 KiB). */
    size_t n = 900 * 1024;
    char *body = malloc (n + 200);
    int head = snprintf (
        body, 200, "{\"to\":\"pov-a\",\"legal_basis\":\"none\",\"sheet\":{" ELDER ",\"x\":\"");
    memset (body + head, 'a', n - head - 10);
    strcpy (body + n - 10, "\"}}");
    s_refused (w, body, 413, "too_large", "sheet");

    /* A request past 1 MiB is refused before it is parsed. */
    agency_http_request_t req = { .method = "POST",
                                  .path = "/v1/referrals",
                                  .authorization = AGENCY_WORLD_AUTH,
                                  .content_type = "application/json",
                                  .body = body,
                                  .body_len = n,
                                  .too_large = true };
    agency_http_reply_t reply;
    agency_route (w->elder, &req, &reply);
    assert_int_equal (reply.status, 413);
    assert_string_equal (json_string_value (json_object_get (reply.body, "error")), "too_large");
    json_decref (reply.body);
    req.too_large = false;
    req.content_length = "2000000";
    assert_true (agency_route_check (w->elder, &req, &reply));
    assert_int_equal (reply.status, 413);
    json_decref (reply.body);
    free (body);
    s_nothing_stored (w, agency_world_count (w->elder, AGENCY_DB_OUTBOX),
                      agency_world_count (w->elder, AGENCY_DB_SENT));
}

static void
s_route (s_world_t *w, const char *method, const char *path, const char *auth,
         const char *content_type, const char *body, int status, const char *code)
{
    agency_http_request_t req = { .method = method,
                                  .path = path,
                                  .authorization = auth,
                                  .content_type = content_type,
                                  .body = body,
                                  .body_len = body ? strlen (body) : 0 };
    agency_http_reply_t reply;
    agency_route (w->elder, &req, &reply);
    assert_int_equal (reply.status, status);
    assert_null (reply.pending);
    if (code)
        assert_string_equal (json_string_value (json_object_get (reply.body, "error")), code);
    if (status == 401)
        assert_true (reply.challenge);
    if (status == 405)
        assert_non_null (reply.allow);
    json_decref (reply.body);
}

static void
test_http_rules (void **state)
{
    s_world_t *w = *state;
    size_t outbox = agency_world_count (w->elder, AGENCY_DB_OUTBOX);
    size_t sent = agency_world_count (w->elder, AGENCY_DB_SENT);
    const char *good = "{" GOOD "}";
    s_route (w, "POST", "/v1/referrals", NULL, "application/json", good, 401, "unauthorized");
    s_route (w, "POST", "/v1/referrals", "Bearer wrong", "application/json", good, 401,
             "unauthorized");
    s_route (w, "POST", "/v1/referrals", "Basic Zm9vOmJhcg==", "application/json", good, 401,
             "unauthorized");
    s_route (w, "GET", "/v1/inbox", NULL, NULL, NULL, 401, "unauthorized");
    s_route (w, "GET", "/v1/nothing", NULL, NULL, NULL, 401, "unauthorized");
    s_route (w, "POST", "/v1/referrals", AGENCY_WORLD_AUTH, "text/plain", good, 415,
             "unsupported_media_type");
    s_route (w, "POST", "/v1/referrals", AGENCY_WORLD_AUTH, NULL, good, 415,
             "unsupported_media_type");
    s_route (w, "POST", "/v1/referrals", AGENCY_WORLD_AUTH, "application/jsonx", good, 415,
             "unsupported_media_type");
    s_route (w, "GET", "/v1/referrals", AGENCY_WORLD_AUTH, NULL, NULL, 405, "method_not_allowed");
    s_route (w, "DELETE", "/v1/inbox", AGENCY_WORLD_AUTH, NULL, NULL, 405, "method_not_allowed");
    s_route (w, "POST", "/healthz", NULL, NULL, NULL, 405, "method_not_allowed");
    s_route (w, "GET", "/v1/nothing", AGENCY_WORLD_AUTH, NULL, NULL, 404, "not_found");
    s_route (w, "GET", "/v1/referrals/not-an-id", AGENCY_WORLD_AUTH, NULL, NULL, 404, "not_found");
    s_route (w, "GET", "/v1/referrals/2f1c6e0a-8b7d-4c3e-9f10-1a2b3c4d5e6f", AGENCY_WORLD_AUTH,
             NULL, NULL, 404, "not_found");
    s_route (w, "GET", "/healthz", NULL, NULL, NULL, 200, NULL);
    /* Charset parameters are fine. */
    s_route (w, "POST", "/v1/referrals", AGENCY_WORLD_AUTH, "application/json; charset=utf-8", "{",
             400, "bad_json");
    s_nothing_stored (w, outbox, sent);

    json_t *reply = NULL;
    assert_int_equal (agency_world_request (w->elder, "GET", "/v1/inbox?limit=501", NULL, &reply),
                      400);
    assert_non_null (json_object_get (json_object_get (reply, "fields"), "limit"));
    json_decref (reply);
    assert_int_equal (agency_world_request (w->elder, "GET", "/v1/inbox?limit=0", NULL, &reply),
                      400);
    json_decref (reply);
    assert_int_equal (agency_world_request (w->elder, "GET", "/v1/inbox?after=-1", NULL, &reply),
                      400);
    assert_non_null (json_object_get (json_object_get (reply, "fields"), "after"));
    json_decref (reply);
    assert_int_equal (
        agency_world_request (w->elder, "GET", "/v1/inbox?after=0&limit=500", NULL, &reply), 200);
    assert_int_equal (json_array_size (json_object_get (reply, "items")), 0);
    assert_int_equal (json_integer_value (json_object_get (reply, "next_cursor")), 0);
    json_decref (reply);
}

static void
test_health_and_directory (void **state)
{
    s_world_t *w = *state;
    json_t *reply = NULL;
    assert_int_equal (agency_world_request (w->elder, "GET", "/healthz", NULL, &reply), 200);
    assert_string_equal (json_string_value (json_object_get (reply, "status")), "ok");
    assert_string_equal (json_string_value (json_object_get (reply, "agency")), "elder-a");
    assert_string_equal (json_string_value (json_object_get (reply, "type")), "eldercare");
    assert_string_equal (json_string_value (json_object_get (reply, "coordinator")), "connected");
    assert_int_equal (json_integer_value (json_object_get (reply, "directory_agencies")), 5);
    assert_true (json_is_integer (json_object_get (reply, "outbox_pending")));
    assert_true (json_is_integer (json_object_get (reply, "inbox")));
    json_decref (reply);

    assert_int_equal (agency_world_request (w->elder, "GET", "/v1/directory", NULL, &reply), 200);
    assert_int_equal (json_integer_value (json_object_get (reply, "serial")), 1);
    assert_true (json_is_string (json_object_get (reply, "valid_until")));
    json_t *agencies = json_object_get (reply, "agencies");
    assert_int_equal (json_array_size (agencies), 5);
    json_t *first = json_array_get (agencies, 0); /* sorted by id */
    assert_string_equal (json_string_value (json_object_get (first, "id")), "child-a");
    assert_string_equal (json_string_value (json_object_get (first, "type")), "child");
    assert_string_equal (json_string_value (json_object_get (first, "status")), "active");
    json_t *dis = json_array_get (agencies, 2);
    assert_string_equal (json_string_value (json_object_get (dis, "id")), "dis-a");
    assert_string_equal (json_string_value (json_object_get (dis, "status")), "suspended");
    assert_null (json_object_get (first, "box_public"));
    json_decref (reply);
}

static void
test_to_type_and_case_id (void **state)
{
    s_world_t *w = *state;
    json_t *reply = NULL;
    const char *case_id = "2f1c6e0a-8b7d-4c3e-9f10-1a2b3c4d5e6f";
    assert_int_equal (
        agency_world_request (w->elder, "POST", "/v1/referrals",
                              "{\"to_type\":\"poverty\",\"legal_basis\":\"support-meeting\","
                              "\"case_id\":\"2f1c6e0a-8b7d-4c3e-9f10-1a2b3c4d5e6f\","
                              "\"data_categories\":[\"health\"],\"sheet\":{" ELDER "}}",
                              &reply),
        202);
    assert_string_equal (json_string_value (json_object_get (reply, "case_id")), case_id);
    char path[80];
    snprintf (path, sizeof path, "/v1/referrals/%s",
              json_string_value (json_object_get (reply, "referral_id")));
    json_decref (reply);
    assert_int_equal (agency_world_request (w->elder, "GET", path, NULL, &reply), 200);
    assert_string_equal (json_string_value (json_object_get (reply, "to")), "pov-a");
    assert_string_equal (json_string_value (json_object_get (reply, "urgency")), "normal");
    assert_string_equal (json_string_value (json_object_get (reply, "legal_basis")),
                         "support-meeting");
    assert_int_equal (json_array_size (json_object_get (reply, "tags")), 0);
    json_decref (reply);
    agency_world_sent_clear (w->world, w->elder);
}

static void
test_client_ref_idempotent (void **state)
{
    s_world_t *w = *state;
    const char *body = "{" GOOD ",\"client_ref\":\"case-system-42\"}";
    size_t outbox = agency_world_count (w->elder, AGENCY_DB_OUTBOX);
    json_t *first = NULL, *again = NULL;
    assert_int_equal (agency_world_request (w->elder, "POST", "/v1/referrals", body, &first), 202);
    uint64_t sequence = w->elder->next_sequence;
    size_t sends = agency_world_sent_count (w->world, w->elder);
    assert_int_equal (agency_world_request (w->elder, "POST", "/v1/referrals", body, &again), 200);
    assert_true (json_equal (first, again));
    assert_int_equal (agency_world_count (w->elder, AGENCY_DB_OUTBOX), outbox + 1);
    assert_int_equal (w->elder->next_sequence, sequence);
    assert_int_equal (agency_world_sent_count (w->world, w->elder), sends);
    json_decref (first);
    json_decref (again);

    /* Twice within one batch: one referral, the second answered 200 with the same ids. */
    const char *batch = "{" GOOD ",\"client_ref\":\"case-system-43\"}";
    int s1, s2;
    json_t *r1 = NULL, *r2 = NULL;
    agency_pending_t *p1 =
        agency_submit (w->elder, AGENCY_KIND_REFERRAL, NULL, batch, strlen (batch), &s1, &r1);
    agency_pending_t *p2 =
        agency_submit (w->elder, AGENCY_KIND_REFERRAL, NULL, batch, strlen (batch), &s2, &r2);
    assert_non_null (p1);
    assert_non_null (p2);
    assert_int_equal (w->elder->pending_count, 2);
    assert_int_equal (agency_pending_commit (w->elder, NULL, NULL), TSG_OK);
    assert_int_equal (agency_world_count (w->elder, AGENCY_DB_OUTBOX), outbox + 2);
    assert_int_equal (agency_world_count (w->elder, AGENCY_DB_CLIENTREF), 2);
    assert_int_equal (w->elder->next_sequence, sequence + 1);
    agency_world_sent_clear (w->world, w->elder);
}

static void
test_commit_failure_consumes_nothing (void **state)
{
    (void) state;
    agency_world_t *world = agency_world_new ();
    /* A store too small for a few large sheets. */
    tsg_agency_t *small = agency_world_agency_sized (world, "small", "child", 2u * 1024 * 1024);
    assert_non_null (agency_world_agency (world, "pov-b", "poverty"));
    agency_world_publish (world);

    size_t n = 600 * 1024;
    char *body = malloc (n + 200);
    int head = snprintf (
        body, 200, "{\"to\":\"pov-b\",\"legal_basis\":\"none\",\"sheet\":{" CHILD ",\"x\":\"");
    memset (body + head, 'b', n - head - 10);
    strcpy (body + n - 10, "\"}}");
    int status = 0;
    int accepted = 0;
    for (int i = 0; i < 6; i++) {
        json_t *reply = NULL;
        uint64_t sequence = small->next_sequence;
        size_t outbox = agency_world_count (small, AGENCY_DB_OUTBOX);
        status = agency_world_request (small, "POST", "/v1/referrals", body, &reply);
        if (status == 500) {
            assert_string_equal (json_string_value (json_object_get (reply, "error")),
                                 "store_error");
            assert_int_equal (small->next_sequence, sequence);
            assert_int_equal (agency_world_count (small, AGENCY_DB_OUTBOX), outbox);
            json_decref (reply);
            break;
        }
        assert_int_equal (status, 202);
        accepted++;
        json_decref (reply);
    }
    assert_int_equal (status, 500);
    assert_true (accepted >= 1);

    /* Once the coordinator has the letters, there is room again, and the next referral
     * takes the very next sequence number. */
    size_t count = agency_world_sent_count (world, small);
    for (size_t i = 0; i < count; i++) {
        size_t len;
        const uint8_t *letter = agency_world_sent (world, small, i, &len);
        agency_world_store_ack (world, small, letter, len);
    }
    assert_int_equal (agency_world_count (small, AGENCY_DB_OUTBOX), 0);
    agency_world_sent_clear (world, small);
    json_t *reply = NULL;
    assert_int_equal (agency_world_request (small, "POST", "/v1/referrals",
                                            "{\"to\":\"pov-b\",\"legal_basis\":\"none\","
                                            "\"sheet\":{" CHILD "}}",
                                            &reply),
                      202);
    json_decref (reply);
    size_t len;
    const uint8_t *letter = agency_world_sent (world, small, 0, &len);
    assert_non_null (letter);
    tsg_envelope_t env = { 0 };
    assert_int_equal (agency_world_decode (letter, len, &env), TSG_OK);
    assert_int_equal (env.letter->sequence, (uint64_t) accepted + 1);
    tsg_envelope_clear (&env);
    free (body);
    agency_world_destroy (&world);
}

int
main (void)
{
    log_init ("test_agency_request", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_not_ready_without_directory),
        cmocka_unit_test (test_valid_referral),
        cmocka_unit_test (test_each_rule),
        cmocka_unit_test (test_every_field_named),
        cmocka_unit_test (test_size_limits),
        cmocka_unit_test (test_http_rules),
        cmocka_unit_test (test_health_and_directory),
        cmocka_unit_test (test_to_type_and_case_id),
        cmocka_unit_test (test_client_ref_idempotent),
        cmocka_unit_test (test_commit_failure_consumes_nothing),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
