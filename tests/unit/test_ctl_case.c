/* test_ctl_case.c — `tsunaguctl case event` arguments into the control socket's "case-event"
 * request (which the coordinator's own parser must turn into the same CASE_EVENT letter), and
 * the control socket client: an answer, no coordinator, a silent one, a garbled answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "coordinator/daemon/staff.h"
#include "ctl.h"
#include "test_helpers.h"

#define CASE_ID "0b0e2a52-1c1c-4f7e-9a3c-1d6f0e6a1b2c"
/* 2026-11-23 12:00 in Japan (03:00 UTC). */
#define NOON_JST 1795402800000ULL

static uint64_t
s_clock (void)
{
    return NOON_JST;
}

/* Runs ctl_case_event_parse on "event" and the NULL-terminated arguments in args; returns its
 * exit code (-1: parsed), the request in *request and --json in *json. */
static int
s_vparse (json_t **request, bool *json, va_list args)
{
    char *argv[64];
    int argc = 0;
    argv[argc++] = (char *) "event";
    const char *arg;
    while ((arg = va_arg (args, const char *)) != NULL && argc < 63)
        argv[argc++] = (char *) arg;
    argv[argc] = NULL;
    *request = (json_t *) 1; /* must be reset either way */
    return ctl_case_event_parse (argc, argv, request, json);
}

static int
s_parse (json_t **request, bool *json, ...)
{
    va_list args;
    va_start (args, json);
    int rc = s_vparse (request, json, args);
    va_end (args);
    return rc;
}

/* Parses arguments (NULL-terminated) that must be good and returns the request. */
static json_t *
s_parse_ok (const char *first, ...)
{
    va_list args;
    va_start (args, first);
    char *argv[64];
    int argc = 0;
    argv[argc++] = (char *) "event";
    argv[argc++] = (char *) first;
    const char *arg;
    while ((arg = va_arg (args, const char *)) != NULL && argc < 63)
        argv[argc++] = (char *) arg;
    va_end (args);
    argv[argc] = NULL;
    json_t *request = NULL;
    bool json;
    assert_int_equal (ctl_case_event_parse (argc, argv, &request, &json), -1);
    assert_non_null (request);
    return request;
}

#define PARSE_OK(...) s_parse_ok (__VA_ARGS__, NULL)

/* Parses arguments (NULL-terminated) that must be refused with exit code rc. */
static void
s_refused (int rc, ...)
{
    va_list args;
    va_start (args, rc);
    json_t *request = NULL;
    bool json;
    assert_int_equal (s_vparse (&request, &json, args), rc);
    va_end (args);
    assert_null (request);
}

static const char *
s_str (json_t *object, const char *key)
{
    return json_string_value (json_object_get (object, key));
}

/* The coordinator's parser takes request and builds a signed CASE_EVENT; returns the decoded
 * envelope for the caller to check and clear. */
static void
s_staff_letter (json_t *request, tsg_envelope_t *env)
{
    tsg_keys_t *keys = tsg_keys_generate (TSG_COORDINATOR_ID);
    assert_non_null (keys);
    uint8_t *data = NULL;
    size_t len = 0;
    char event_id[TSG_UUID_TEXT_SIZE], detail[256] = "";
    int rc = tsg_hub_staff_letter (request, keys, &data, &len, event_id, detail, sizeof detail);
    if (rc != 0)
        fprintf (stderr, "staff letter refused: %s\n", detail);
    assert_int_equal (rc, 0);
    const char *why = NULL;
    assert_int_equal (tsg_envelope_decode (data, len, env, &why), TSG_OK);
    assert_true (tsg_envelope_verify (env, tsg_keys_sign_public (keys)));
    assert_string_equal (env->letter->header->case_event->event_id, event_id);
    free (data);
    tsg_keys_destroy (&keys);
}

static void
test_state_event (void **state)
{
    (void) state;
    bool json = false;
    json_t *request = NULL;
    assert_int_equal (s_parse (&request, &json, CASE_ID, "--type", "state", "--state", "assessment",
                               "--base-version", "3", NULL),
                      -1);
    assert_false (json);
    assert_string_equal (s_str (request, "command"), "case-event");
    assert_string_equal (s_str (request, "case_id"), CASE_ID);
    assert_string_equal (s_str (request, "type"), "state");
    assert_string_equal (s_str (request, "state"), "assessment");
    assert_true (json_is_integer (json_object_get (request, "base_version")));
    assert_int_equal (json_integer_value (json_object_get (request, "base_version")), 3);
    /* Nothing the type does not carry, and no made-up event id: the coordinator makes one. */
    assert_null (json_object_get (request, "meeting"));
    assert_null (json_object_get (request, "plan"));
    assert_null (json_object_get (request, "note"));
    assert_null (json_object_get (request, "reason_code"));
    assert_null (json_object_get (request, "event_id"));

    tsg_envelope_t env = { 0 };
    s_staff_letter (request, &env);
    tsg_header_t *h = env.letter->header;
    assert_int_equal (env.letter->kind, TSUNAGU__V1__KIND__KIND_CASE_EVENT);
    assert_string_equal (h->case_id, CASE_ID);
    assert_int_equal (h->base_version, 3);
    assert_false (h->reason_given);
    assert_int_equal (h->case_event->type, TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_STATE);
    assert_string_equal (h->case_event->state, "assessment");
    tsg_envelope_clear (&env);
    json_decref (request);

    /* The case id may come after the options; --json and a reason code are kept. */
    assert_int_equal (s_parse (&request, &json, "--type", "state", "--base-version", "12",
                               "--state", "watch", "--reason-code", "family-request", CASE_ID,
                               "--json", NULL),
                      -1);
    assert_true (json);
    assert_string_equal (s_str (request, "case_id"), CASE_ID);
    assert_string_equal (s_str (request, "reason_code"), "family-request");
    s_staff_letter (request, &env);
    assert_true (env.letter->header->reason_given);
    assert_int_equal (env.letter->header->base_version, 12);
    tsg_envelope_clear (&env);
    json_decref (request);
}

static void
test_meeting_event (void **state)
{
    (void) state;
    json_t *request =
        PARSE_OK (CASE_ID, "--type", "meeting", "--base-version", "4", "--meeting-kind", "shien",
                  "--attendee", "eldercare-chuo", "--attendee", "disability-minami", "--attendee",
                  "poverty-kita", "--decision", "plan-adopted", "--held-on", "2026-11-20");
    json_t *m = json_object_get (request, "meeting");
    assert_true (json_is_object (m));
    assert_string_equal (s_str (m, "kind"), "shien");
    assert_string_equal (s_str (m, "held_on"), "2026-11-20");
    assert_string_equal (s_str (m, "decision"), "plan-adopted");
    json_t *attendees = json_object_get (m, "attendees");
    assert_int_equal (json_array_size (attendees), 3);
    assert_string_equal (json_string_value (json_array_get (attendees, 0)), "eldercare-chuo");
    assert_string_equal (json_string_value (json_array_get (attendees, 2)), "poverty-kita");

    tsg_envelope_t env = { 0 };
    s_staff_letter (request, &env);
    Tsunagu__V1__Meeting *meeting = env.letter->header->case_event->meeting;
    assert_non_null (meeting);
    assert_int_equal (meeting->kind, TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN);
    assert_int_equal (meeting->n_attendees, 3);
    assert_string_equal (meeting->attendees[1], "disability-minami");
    assert_string_equal (meeting->held_on, "2026-11-20");
    assert_string_equal (meeting->decision, "plan-adopted");
    tsg_envelope_clear (&env);
    json_decref (request);

    /* Held today (in Japan) unless told otherwise; no decision unless given. */
    request = PARSE_OK (CASE_ID, "--type", "meeting", "--base-version", "4", "--meeting-kind",
                        "jusoteki", "--attendee", "child-higashi");
    m = json_object_get (request, "meeting");
    assert_string_equal (s_str (m, "held_on"), "2026-11-23");
    assert_string_equal (s_str (m, "kind"), "jusoteki");
    assert_null (json_object_get (m, "decision"));
    json_decref (request);
}

static void
test_plan_event (void **state)
{
    (void) state;
    json_t *request = PARSE_OK (CASE_ID, "--type", "plan", "--base-version", "5", "--role",
                                "eldercare-chuo=見守り訪問", "--role",
                                "poverty-kita=家計改善=月1回", "--next-review", "2026-12-20");
    json_t *plan = json_object_get (request, "plan");
    assert_string_equal (s_str (plan, "next_review_on"), "2026-12-20");
    json_t *roles = json_object_get (plan, "roles");
    assert_int_equal (json_array_size (roles), 2);
    assert_string_equal (s_str (json_array_get (roles, 0), "agency"), "eldercare-chuo");
    assert_string_equal (s_str (json_array_get (roles, 0), "role"), "見守り訪問");
    /* Only the first '=' splits: the label may hold another. */
    assert_string_equal (s_str (json_array_get (roles, 1), "agency"), "poverty-kita");
    assert_string_equal (s_str (json_array_get (roles, 1), "role"), "家計改善=月1回");

    tsg_envelope_t env = { 0 };
    s_staff_letter (request, &env);
    Tsunagu__V1__Plan *p = env.letter->header->case_event->plan;
    assert_non_null (p);
    assert_int_equal (p->n_roles, 2);
    assert_string_equal (p->roles[0]->agency_id, "eldercare-chuo");
    assert_string_equal (p->roles[0]->role, "見守り訪問");
    assert_string_equal (p->next_review_on, "2026-12-20");
    tsg_envelope_clear (&env);
    json_decref (request);

    /* A plan without a review date leaves it out. */
    request = PARSE_OK (CASE_ID, "--type", "plan", "--base-version", "5", "--role",
                        "eldercare-chuo=見守り訪問");
    assert_null (json_object_get (json_object_get (request, "plan"), "next_review_on"));
    json_decref (request);
}

static void
test_note_close_reopen (void **state)
{
    (void) state;
    json_t *request =
        PARSE_OK (CASE_ID, "--type", "note", "--base-version", "6", "--note-category", "visit");
    json_t *note = json_object_get (request, "note");
    assert_string_equal (s_str (note, "category"), "visit");
    assert_string_equal (s_str (note, "written_on"), "2026-11-23");
    tsg_envelope_t env = { 0 };
    s_staff_letter (request, &env);
    assert_string_equal (env.letter->header->case_event->note->category, "visit");
    tsg_envelope_clear (&env);
    json_decref (request);

    request = PARSE_OK (CASE_ID, "--type", "close", "--base-version", "7", "--close-reason",
                        "goal-achieved");
    assert_string_equal (s_str (request, "close_reason"), "goal-achieved");
    s_staff_letter (request, &env);
    assert_int_equal (env.letter->header->case_event->type,
                      TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_CLOSE);
    assert_string_equal (env.letter->header->case_event->close_reason, "goal-achieved");
    tsg_envelope_clear (&env);
    json_decref (request);

    /* A reason code that is a close reason stands in for --close-reason. */
    request =
        PARSE_OK (CASE_ID, "--type", "close", "--base-version", "7", "--reason-code", "moved-away");
    assert_string_equal (s_str (request, "close_reason"), "moved-away");
    json_decref (request);

    request = PARSE_OK (CASE_ID, "--type", "reopen", "--base-version", "8", "--reason-code",
                        "new-concern", "--event-id", "8d7c6b5a-4f3e-4d2c-9b1a-0f9e8d7c6b5a");
    assert_string_equal (s_str (request, "type"), "reopen");
    assert_string_equal (s_str (request, "reason_code"), "new-concern");
    assert_string_equal (s_str (request, "event_id"), "8d7c6b5a-4f3e-4d2c-9b1a-0f9e8d7c6b5a");
    s_staff_letter (request, &env);
    assert_string_equal (env.letter->header->case_event->event_id,
                         "8d7c6b5a-4f3e-4d2c-9b1a-0f9e8d7c6b5a");
    assert_true (env.letter->header->reason_given);
    tsg_envelope_clear (&env);
    json_decref (request);
}

static void
test_refusals (void **state)
{
    (void) state;
    /* Missing pieces and options of another type are usage errors. */
    s_refused (CTL_EXIT_USAGE, NULL);
    s_refused (CTL_EXIT_USAGE, CASE_ID, "--type", "state", "--state", "open", NULL);
    s_refused (CTL_EXIT_USAGE, CASE_ID, "--base-version", "1", "--state", "open", NULL);
    s_refused (CTL_EXIT_USAGE, "--type", "state", "--base-version", "1", "--state", "open", NULL);
    s_refused (CTL_EXIT_USAGE, CASE_ID, "--type", "state", "--base-version", "1", NULL);
    s_refused (CTL_EXIT_USAGE, CASE_ID, "--type", "state", "--base-version", "1", "--state", "open",
               "--attendee", "eldercare-chuo", NULL);
    s_refused (CTL_EXIT_USAGE, CASE_ID, "--type", "note", "--base-version", "1", "--role",
               "eldercare-chuo=x", "--note-category", "call", NULL);
    s_refused (CTL_EXIT_USAGE, CASE_ID, "--type", "meeting", "--base-version", "1",
               "--meeting-kind", "shien", NULL);
    s_refused (CTL_EXIT_USAGE, CASE_ID, "--type", "plan", "--base-version", "1", NULL);
    s_refused (CTL_EXIT_USAGE, CASE_ID, "--type", "close", "--base-version", "1", NULL);
    s_refused (CTL_EXIT_USAGE, CASE_ID, "--type", "state", "--type", "note", "--base-version", "1",
               NULL);
    s_refused (CTL_EXIT_USAGE, CASE_ID, "--type", "state", "--base-version", "1", "--state", "open",
               "--colour", "blue", NULL);
    s_refused (CTL_EXIT_USAGE, CASE_ID, CASE_ID, "--type", "state", "--base-version", "1",
               "--state", "open", NULL);
    s_refused (CTL_EXIT_USAGE, CASE_ID, "--type", "state", "--base-version", NULL);

    /* Bad values are failures. */
    s_refused (CTL_EXIT_FAIL, "0B0E2A52-1C1C-4F7E-9A3C-1D6F0E6A1B2C", "--type", "state",
               "--base-version", "1", "--state", "open", NULL);
    s_refused (CTL_EXIT_FAIL, CASE_ID, "--type", "merge", "--base-version", "1", NULL);
    s_refused (CTL_EXIT_FAIL, CASE_ID, "--type", "state", "--base-version", "0", "--state", "open",
               NULL);
    s_refused (CTL_EXIT_FAIL, CASE_ID, "--type", "state", "--base-version", "-2", "--state", "open",
               NULL);
    s_refused (CTL_EXIT_FAIL, CASE_ID, "--type", "state", "--base-version", "2x", "--state", "open",
               NULL);
    s_refused (CTL_EXIT_FAIL, CASE_ID, "--type", "state", "--base-version", "1", "--state",
               "finished", NULL);
    s_refused (CTL_EXIT_FAIL, CASE_ID, "--type", "state", "--base-version", "1", "--state",
               "closed", NULL);
    /* Reason codes are codes: free text (which could be personal) never goes. */
    s_refused (CTL_EXIT_FAIL, CASE_ID, "--type", "reopen", "--base-version", "1", "--reason-code",
               "山田さんから電話", NULL);
    s_refused (CTL_EXIT_FAIL, CASE_ID, "--type", "reopen", "--base-version", "1", "--reason-code",
               "a-code-that-is-far-too-long", NULL);
    s_refused (CTL_EXIT_FAIL, CASE_ID, "--type", "meeting", "--base-version", "1", "--meeting-kind",
               "party", "--attendee", "eldercare-chuo", NULL);
    s_refused (CTL_EXIT_FAIL, CASE_ID, "--type", "meeting", "--base-version", "1", "--meeting-kind",
               "shien", "--attendee", "Eldercare", NULL);
    s_refused (CTL_EXIT_FAIL, CASE_ID, "--type", "meeting", "--base-version", "1", "--meeting-kind",
               "shien", "--attendee", "eldercare-chuo", "--attendee", "eldercare-chuo", NULL);
    s_refused (CTL_EXIT_FAIL, CASE_ID, "--type", "meeting", "--base-version", "1", "--meeting-kind",
               "shien", "--attendee", "eldercare-chuo", "--held-on", "2026-02-30", NULL);
    s_refused (CTL_EXIT_FAIL, CASE_ID, "--type", "meeting", "--base-version", "1", "--meeting-kind",
               "shien", "--attendee", "eldercare-chuo", "--decision", "maybe", NULL);
    s_refused (CTL_EXIT_FAIL, CASE_ID, "--type", "plan", "--base-version", "1", "--role",
               "eldercare-chuo", NULL);
    s_refused (CTL_EXIT_FAIL, CASE_ID, "--type", "plan", "--base-version", "1", "--role", "=見守り",
               NULL);
    s_refused (CTL_EXIT_FAIL, CASE_ID, "--type", "plan", "--base-version", "1", "--role",
               "eldercare-chuo=", NULL);
    s_refused (CTL_EXIT_FAIL, CASE_ID, "--type", "plan", "--base-version", "1", "--role",
               "eldercare-chuo=a", "--role", "eldercare-chuo=b", NULL);
    s_refused (CTL_EXIT_FAIL, CASE_ID, "--type", "plan", "--base-version", "1", "--role",
               "eldercare-chuo=a", "--next-review", "soon", NULL);
    s_refused (CTL_EXIT_FAIL, CASE_ID, "--type", "note", "--base-version", "1", "--note-category",
               "gossip", NULL);
    s_refused (CTL_EXIT_FAIL, CASE_ID, "--type", "note", "--base-version", "1", "--note-category",
               "call", "--written-on", "2026-13-01", NULL);
    s_refused (CTL_EXIT_FAIL, CASE_ID, "--type", "close", "--base-version", "1", "--close-reason",
               "bored", NULL);
    s_refused (CTL_EXIT_FAIL, CASE_ID, "--type", "state", "--base-version", "1", "--state", "open",
               "--event-id", "not-a-uuid", NULL);

    /* A label longer than the coordinator keeps is refused here, not cut there. */
    char role[128];
    memset (role, 'x', sizeof role);
    memcpy (role, "eldercare-chuo=", 15);
    role[15 + 65] = '\0';
    s_refused (CTL_EXIT_FAIL, CASE_ID, "--type", "plan", "--base-version", "1", "--role", role,
               NULL);
    role[15 + 64] = '\0';
    json_t *request = PARSE_OK (CASE_ID, "--type", "plan", "--base-version", "1", "--role", role);
    json_decref (request);

    /* At most 32 roles. */
    char *argv[80];
    char roles[33][48];
    int argc = 0;
    argv[argc++] = (char *) "event";
    argv[argc++] = (char *) CASE_ID;
    argv[argc++] = (char *) "--type";
    argv[argc++] = (char *) "plan";
    argv[argc++] = (char *) "--base-version";
    argv[argc++] = (char *) "1";
    for (int i = 0; i < 33; i++) {
        snprintf (roles[i], sizeof roles[i], "agency-%d=role", i);
        argv[argc++] = (char *) "--role";
        argv[argc++] = roles[i];
    }
    argv[argc] = NULL;
    bool json;
    assert_int_equal (ctl_case_event_parse (argc, argv, &request, &json), CTL_EXIT_FAIL);
    assert_null (request);
    assert_int_equal (ctl_case_event_parse (argc - 2, argv, &request, &json), -1);
    assert_int_equal (
        json_array_size (json_object_get (json_object_get (request, "plan"), "roles")), 32);
    json_decref (request);

    /* --help prints the options and asks for nothing. */
    s_refused (CTL_EXIT_OK, "--help", NULL);
}

/* ---- the control socket client ----------------------------------------------------------- */

/* A stand-in coordinator: a REP socket that answers one request with reply (or not at all
 * when reply is NULL) and keeps what it was asked. */
typedef struct {
    void *ctx;          /* the ZeroMQ context */
    void *socket;       /* the bound REP socket */
    const char *reply;  /* the answer, or NULL to stay silent */
    char request[1024]; /* the request it got */
    pthread_t thread;   /* answers in the background */
} s_server_t;

static void *
s_serve (void *arg)
{
    s_server_t *server = arg;
    int timeout = 3000;
    zmq_setsockopt (server->socket, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    int n = zmq_recv (server->socket, server->request, sizeof server->request - 1, 0);
    if (n >= 0) {
        server->request[n < (int) sizeof server->request - 1 ? n : 0] = '\0';
        if (server->reply)
            zmq_send (server->socket, server->reply, strlen (server->reply), 0);
    }
    return NULL;
}

static void
s_server_start (s_server_t *server, const char *dir, const char *reply)
{
    memset (server, 0, sizeof *server);
    server->reply = reply;
    server->ctx = zmq_ctx_new ();
    server->socket = zmq_socket (server->ctx, ZMQ_REP);
    int linger = 0;
    zmq_setsockopt (server->socket, ZMQ_LINGER, &linger, sizeof linger);
    char endpoint[PATH_MAX + 16];
    snprintf (endpoint, sizeof endpoint, "ipc://%s/control.sock", dir);
    assert_int_equal (zmq_bind (server->socket, endpoint), 0);
    assert_int_equal (pthread_create (&server->thread, NULL, s_serve, server), 0);
}

static void
s_server_stop (s_server_t *server)
{
    pthread_join (server->thread, NULL);
    zmq_close (server->socket);
    zmq_ctx_term (server->ctx);
}

static void
test_control_client (void **state)
{
    (void) state;
    char dir[256];
    test_tmpdir (dir, sizeof dir, "ctl-control");
    json_t *request = json_pack ("{s:s}", "command", "ping");
    json_t *reply = NULL;
    char err[512] = "";

    /* No socket file: not running, said at once. */
    assert_int_equal (ctl_control_call (dir, request, 5000, &reply, err, sizeof err),
                      TSG_ERR_NOT_FOUND);
    assert_null (reply);
    assert_non_null (strstr (err, "not running"));
    assert_non_null (strstr (err, "control.sock"));

    /* An answer comes back as the JSON object it is. */
    s_server_t server;
    s_server_start (&server, dir, "{\"ok\":true,\"coordinator\":\"coordinator\",\"sessions\":2}");
    assert_int_equal (ctl_control_call (dir, request, 3000, &reply, err, sizeof err), TSG_OK);
    s_server_stop (&server);
    assert_non_null (reply);
    assert_true (json_is_true (json_object_get (reply, "ok")));
    assert_int_equal (json_integer_value (json_object_get (reply, "sessions")), 2);
    json_decref (reply);
    json_t *sent = json_loads (server.request, 0, NULL);
    assert_non_null (sent);
    assert_string_equal (json_string_value (json_object_get (sent, "command")), "ping");
    json_decref (sent);

    /* A refusal is an answer too: the caller reads "ok". */
    s_server_start (&server, dir,
                    "{\"ok\":false,\"error\":\"stale_version\",\"message\":\"the case is at "
                    "version 5 (closed), not 4\"}");
    assert_int_equal (ctl_control_call (dir, request, 3000, &reply, err, sizeof err), TSG_OK);
    s_server_stop (&server);
    assert_false (json_is_true (json_object_get (reply, "ok")));
    assert_string_equal (json_string_value (json_object_get (reply, "error")), "stale_version");
    json_decref (reply);

    /* Something that is not a JSON object is refused. */
    s_server_start (&server, dir, "[1, 2, 3]");
    assert_int_equal (ctl_control_call (dir, request, 3000, &reply, err, sizeof err),
                      TSG_ERR_BAD_INPUT);
    s_server_stop (&server);
    assert_null (reply);

    /* A socket nobody answers on (a coordinator that hangs or died leaving its file): the
     * timeout says it is not running. */
    s_server_start (&server, dir, NULL);
    uint64_t start = tsg_monotonic_ms ();
    assert_int_equal (ctl_control_call (dir, request, 300, &reply, err, sizeof err),
                      TSG_ERR_NOT_FOUND);
    uint64_t took = tsg_monotonic_ms () - start;
    s_server_stop (&server);
    assert_null (reply);
    assert_non_null (strstr (err, "not running"));
    assert_true (took >= 250 && took < 2500);

    json_decref (request);
    test_rmtree (dir);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    log_init ("test_ctl_case", false);
    tsg_clock_set (s_clock);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_state_event), cmocka_unit_test (test_meeting_event),
        cmocka_unit_test (test_plan_event),  cmocka_unit_test (test_note_close_reopen),
        cmocka_unit_test (test_refusals),    cmocka_unit_test (test_control_client),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
