/* test_hub_handover.c — 担当交代 (a hand-over inside an agency): staff codes are pseudonyms
 * (tsg_staff_code_check), the agency's request parser refuses names, phone numbers and missing
 * parts, the coordinator refuses a hand-over that looks like personal data or comes from its
 * own staff and changes nothing then; a stored hand-over marks the case handed over (record,
 * summary, CASE_ORDER facet, timeline with codes and day) until a meeting or a plan reviews it,
 * and the listing's handed_over filter follows it, alone and with another facet. */
#include "test_hub_fixture.h"

#include <jansson.h>

#include "tsunagu/tsg_words.h"
#include "agency/letters/case_event_request.h"
#include "coordinator/intake/case_rules.h"
#include "coordinator/model/timeline.h"
#include "coordinator/model/views.h"

#define CASE_A "2f7c6e5a-3d4b-4c8f-a01e-9b3c4d5e6f70"
#define CASE_B "3a8d7f6b-4e5c-4d9a-b12f-0c4d5e6f7a81"

static int
s_setup (void **state)
{
    *state = hub_fixture_new ("hub-handover");
    return 0;
}

static int
s_teardown (void **state)
{
    hub_fixture_t *f = *state;
    hub_fixture_destroy (&f);
    return 0;
}

/* Pseudonyms pass; names, phone numbers, dates and long codes do not. */
static void
test_staff_code_check (void **state)
{
    (void) state;
    char why[TSG_CLEARTEXT_WHY_SIZE];
    static const char *const good[] = { "S-0123", "S0001", "staff.17", "K-2026-04", NULL };
    for (int i = 0; good[i]; i++)
        if (tsg_staff_code_check (good[i], why, sizeof why) != TSG_CLEARTEXT_OK)
            fail_msg ("\"%s\" refused: %s", good[i], why);
    static const char *const personal[] = { "山田太郎",     "ヤマダ タロウ",
                                            "taro-yamada",  "090-1234-5678",
                                            "0312345678",   "1980-04-01",
                                            "sato@example", NULL };
    for (int i = 0; personal[i]; i++)
        if (tsg_staff_code_check (personal[i], why, sizeof why) != TSG_CLEARTEXT_PERSONAL)
            fail_msg ("\"%s\" not refused as personal data", personal[i]);
    assert_int_equal (tsg_staff_code_check (NULL, why, sizeof why), TSG_CLEARTEXT_MALFORMED);
    assert_int_equal (tsg_staff_code_check ("", why, sizeof why), TSG_CLEARTEXT_MALFORMED);
    assert_int_equal (tsg_staff_code_check ("S 01", why, sizeof why), TSG_CLEARTEXT_MALFORMED);
    assert_int_equal (tsg_staff_code_check ("S-00000000000000000000000000000001", why, sizeof why),
                      TSG_CLEARTEXT_MALFORMED);
    assert_non_null (strstr (why, "32"));
}

/* Parses body; returns the status and the error code in code ("" when 0). */
static int
s_parse (const char *body, agency_event_request_t *req, char code[32], json_t **fields)
{
    json_t *reply = NULL;
    int status = agency_event_parse (body, strlen (body), req, &reply);
    code[0] = '\0';
    if (fields)
        *fields = NULL;
    if (reply) {
        snprintf (code, 32, "%s", json_string_value (json_object_get (reply, "error")));
        if (fields)
            *fields = json_incref (json_object_get (reply, "fields"));
        json_decref (reply);
    }
    return status;
}

/* The agency's parser: codes, day and note read; personal codes 422, missing parts 400. */
static void
test_agency_request (void **state)
{
    (void) state;
    agency_event_request_t req;
    char code[32];
    json_t *fields = NULL;
    assert_int_equal (s_parse ("{\"type\":\"handover\",\"handover\":{\"staff_code\":\"S-0123\","
                               "\"previous_staff_code\":\"S-0042\",\"effective_on\":"
                               "\"2026-12-01\",\"note\":\"引き継ぎ\"},\"legal_basis\":\"consent\","
                               "\"consent_id\":\"c1\"}",
                               &req, code, NULL),
                      0);
    assert_int_equal (req.type, TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_HANDOVER);
    assert_string_equal (req.staff_code, "S-0123");
    assert_string_equal (req.previous_staff_code, "S-0042");
    assert_string_equal (req.effective_on, "2026-12-01");
    assert_string_equal (req.text, "引き継ぎ");
    json_decref (req.root);

    /* Without a note or a code before: fine, nothing personal. */
    assert_int_equal (s_parse ("{\"type\":\"handover\",\"handover\":{\"staff_code\":\"S-1\","
                               "\"effective_on\":\"2026-12-01\"}}",
                               &req, code, NULL),
                      0);
    assert_null (req.text);
    assert_null (req.previous_staff_code);
    json_decref (req.root);

    static const struct {
        const char *body;  /* the request */
        int status;        /* what it gets */
        const char *code;  /* the error */
        const char *field; /* the field named */
    } bad[] = {
        { "{\"type\":\"handover\",\"handover\":{\"staff_code\":\"山田太郎\",\"effective_on\":"
          "\"2026-12-01\"}}",
          422, "personal_data", "handover.staff_code" },
        { "{\"type\":\"handover\",\"handover\":{\"staff_code\":\"S-1\",\"previous_staff_code\":"
          "\"090-1234-5678\",\"effective_on\":\"2026-12-01\"}}",
          422, "personal_data", "handover.previous_staff_code" },
        { "{\"type\":\"handover\",\"handover\":{\"staff_code\":\"S-1\",\"previous_staff_code\":"
          "\"S-1\",\"effective_on\":\"2026-12-01\"}}",
          400, "invalid", "handover.previous_staff_code" },
        { "{\"type\":\"handover\",\"handover\":{\"effective_on\":\"2026-12-01\"}}", 400, "invalid",
          "handover.staff_code" },
        { "{\"type\":\"handover\",\"handover\":{\"staff_code\":\"S-1\",\"effective_on\":"
          "\"2026-02-30\"}}",
          400, "invalid", "handover.effective_on" },
        { "{\"type\":\"handover\"}", 400, "invalid", "handover" },
        { "{\"type\":\"handover\",\"handover\":{\"staff_code\":\"S-1\",\"effective_on\":"
          "\"2026-12-01\",\"name\":\"x\"}}",
          400, "invalid", "handover.name" },
        { "{\"type\":\"note\",\"note\":{\"category\":\"call\",\"written_on\":\"2026-12-01\"},"
          "\"handover\":{\"staff_code\":\"S-1\"}}",
          400, "invalid", "handover" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int status = s_parse (bad[i].body, &req, code, &fields);
        if (status != bad[i].status || strcmp (code, bad[i].code) != 0
            || !json_object_get (fields, bad[i].field))
            fail_msg ("request %zu: %d %s, fields %s", i, status, code,
                      fields ? json_dumps (fields, JSON_COMPACT) : "none");
        json_decref (fields);
    }
}

/* A hand-over event of the given codes and day. */
typedef struct {
    Tsunagu__V1__CaseEvent ev;
    Tsunagu__V1__Handover ho;
} s_handover_t;

static Tsunagu__V1__CaseEvent *
s_handover (s_handover_t *h, const char *code, const char *before, const char *on)
{
    tsunagu__v1__case_event__init (&h->ev);
    tsunagu__v1__handover__init (&h->ho);
    h->ev.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_HANDOVER;
    h->ho.staff_code = (char *) code;
    h->ho.previous_staff_code = (char *) before;
    h->ho.effective_on = (char *) on;
    h->ev.handover = &h->ho;
    return &h->ev;
}

/* The coordinator refuses a hand-over that is not one, and changes nothing. */
static void
test_coordinator_refusals (void **state)
{
    hub_fixture_t *f = *state;
    char rid[TSG_UUID_TEXT_SIZE] = "";
    tsg_hub_answer_t a = hub_referral (f, F_ELDER, POVERTY, CASE_A,
                                       TSUNAGU__V1__URGENCY__URGENCY_NORMAL, "8050", rid);
    hub_expect_stored (&a);
    tsg_hub_case_t *c = hub_get_case (f, CASE_A);
    uint64_t v = c->version;
    free (c);

    static const struct {
        const char *code, *before, *on; /* the hand-over */
        Tsunagu__V1__ErrorCode want;    /* the refusal */
    } bad[] = {
        { "山田花子", "", "2026-12-01", TSUNAGU__V1__ERROR_CODE__ERROR_PERSONAL_DATA },
        { "S-0123", "090-1234-5678", "2026-12-01", TSUNAGU__V1__ERROR_CODE__ERROR_PERSONAL_DATA },
        { "Hana Yamada", "", "2026-12-01", TSUNAGU__V1__ERROR_CODE__ERROR_PERSONAL_DATA },
        { "", "", "2026-12-01", TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED },
        { "S-0123", "S-0123", "2026-12-01", TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED },
        { "S-0123", "", "2026-13-01", TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED },
        { "S-0123", "", "", TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED },
    };
    s_handover_t h;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        a = hub_case_event (f, F_POVERTY, CASE_A, v,
                            s_handover (&h, bad[i].code, bad[i].before, bad[i].on), false, NULL, 0,
                            NULL);
        if (a.type != TSG_HUB_ANSWER_ERROR || a.code != bad[i].want)
            fail_msg ("hand-over %zu: answer %d %s: %s", i, a.type, tsg_error_code_name (a.code),
                      a.detail);
        assert_null (strstr (a.detail, bad[i].code[0] ? bad[i].code : "\x01"));
    }
    /* The part missing. */
    Tsunagu__V1__CaseEvent bare = TSUNAGU__V1__CASE_EVENT__INIT;
    bare.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_HANDOVER;
    a = hub_case_event (f, F_POVERTY, CASE_A, v, &bare, false, NULL, 0, NULL);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED);
    /* An agency not on the case. */
    a = hub_case_event (f, F_CHILD, CASE_A, v, s_handover (&h, "S-0123", "", "2026-12-01"), false,
                        NULL, 0, NULL);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_NOT_CASE_MEMBER);

    /* The coordinator's own staff hand nothing over: checked as the staff's letter would be. */
    c = hub_get_case (f, CASE_A);
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t id[16];
    tsg_letter_prepare (&letter, &header, id, TSUNAGU__V1__KIND__KIND_CASE_EVENT,
                        TSG_COORDINATOR_ID, TSG_COORDINATOR_ID);
    char event_id[TSG_UUID_TEXT_SIZE];
    tsg_uuid_new (event_id);
    s_handover (&h, "S-0123", "", "2026-12-01");
    h.ev.event_id = event_id;
    header.case_id = (char *) CASE_A;
    header.base_version = c->version;
    header.case_event = &h.ev;
    char detail[256];
    assert_int_equal (tsg_hub_case_event_check (c, f->directory, TSG_COORDINATOR_ID, &letter,
                                                detail, sizeof detail),
                      TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED);
    free (c);

    c = hub_get_case (f, CASE_A);
    assert_int_equal (c->version, v);
    assert_false (c->handed_over);
    assert_int_equal (c->handed_over_at_ms, 0);
    free (c);
}

/* The cases listed with handed_over (and state when given), as "A B". */
static void
s_listed (hub_fixture_t *f, const char *state, char *out, size_t size)
{
    tsg_hub_case_filter_t filter = {
        .handed_over = true, .state = state, .limit = 10, .now_ms = hub_now
    };
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    json_t *view = tsg_hub_view_cases (&txn, &filter);
    tsg_txn_abort (&txn);
    assert_non_null (view);
    out[0] = '\0';
    json_t *list = json_object_get (view, "cases");
    for (size_t k = 0; k < json_array_size (list); k++) {
        const char *id = json_string_value (json_object_get (json_array_get (list, k), "case_id"));
        snprintf (out + strlen (out), size - strlen (out), "%s%c", k ? " " : "", id[0]);
    }
    json_decref (view);
}

/* The case's timeline types, joined by spaces. */
static bool
s_type_one (void *arg, const tsg_hub_event_t *ev)
{
    char *out = arg;
    if (*out)
        strcat (out, " ");
    strcat (out, tsg_hub_event_type_name (ev->type));
    if (ev->type == TSG_HUB_EV_HANDOVER) {
        assert_non_null (ev->detail);
        assert_non_null (ev->detail->handover);
        strcat (out, "(");
        strcat (out, ev->detail->handover->staff_code);
        strcat (out, ")");
    }
    return true;
}

/* Handed over until reviewed: a note or a state change is no review, a meeting or a plan
 * is; the listing and the summary follow. */
static void
test_handed_over_until_review (void **state)
{
    hub_fixture_t *f = *state;
    char rid[TSG_UUID_TEXT_SIZE] = "";
    tsg_hub_answer_t a = hub_referral (f, F_ELDER, POVERTY, CASE_A,
                                       TSUNAGU__V1__URGENCY__URGENCY_NORMAL, "8050", rid);
    hub_expect_stored (&a);
    rid[0] = '\0';
    a = hub_referral (f, F_ELDER, DISABILITY, CASE_B, TSUNAGU__V1__URGENCY__URGENCY_NORMAL, "8050",
                      rid);
    hub_expect_stored (&a);
    tsg_hub_case_t *c = hub_get_case (f, CASE_A);
    uint64_t v = c->version;
    free (c);
    char listed[64];
    s_listed (f, NULL, listed, sizeof listed);
    assert_string_equal (listed, "");

    hub_now = T0 + DAY_MS;
    s_handover_t h;
    a = hub_case_event (f, F_POVERTY, CASE_A, v++,
                        s_handover (&h, "S-0123", "S-0042", "2026-12-01"), false, NULL, 0, NULL);
    hub_expect_stored (&a);
    c = hub_get_case (f, CASE_A);
    assert_true (c->handed_over);
    assert_int_equal (c->handed_over_at_ms, T0 + DAY_MS);
    assert_string_equal (c->handover_on, "2026-12-01");
    assert_string_equal (c->handover_by, POVERTY);
    assert_string_equal (c->last_event_type, "handover");
    assert_int_equal (c->version, v);
    tsg_case_state_t now = c->state;
    free (c);
    s_listed (f, NULL, listed, sizeof listed);
    assert_string_equal (listed, "2");
    s_listed (f, tsg_case_state_name (now), listed, sizeof listed);
    assert_string_equal (listed, "2");
    s_listed (f, "closed", listed, sizeof listed);
    assert_string_equal (listed, "");

    /* A note and a state change are no review. */
    Tsunagu__V1__Note note = TSUNAGU__V1__NOTE__INIT;
    note.category = (char *) "call";
    note.written_on = (char *) "2026-12-02";
    Tsunagu__V1__CaseEvent n = TSUNAGU__V1__CASE_EVENT__INIT;
    n.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_NOTE;
    n.note = &note;
    a = hub_case_event (f, F_ELDER, CASE_A, v++, &n, false, NULL, 0, NULL);
    hub_expect_stored (&a);
    a = hub_case_state (f, F_ELDER, CASE_A, v++, "assessment", false);
    hub_expect_stored (&a);
    s_listed (f, "assessment", listed, sizeof listed);
    assert_string_equal (listed, "2");

    /* The summary the JSON API and the dashboard read. */
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    json_t *view = tsg_hub_view_case (&txn, CASE_A, hub_now);
    tsg_txn_abort (&txn);
    assert_true (json_is_true (json_object_get (view, "handed_over")));
    json_t *last = json_object_get (view, "last_handover");
    assert_string_equal (json_string_value (json_object_get (last, "effective_on")), "2026-12-01");
    assert_string_equal (json_string_value (json_object_get (last, "agency")), POVERTY);
    assert_true (json_is_null (json_object_get (view, "last_review_at")));
    json_decref (view);

    /* A コア会議 reviews it. */
    hub_now = T0 + 2 * DAY_MS;
    Tsunagu__V1__Meeting meeting = TSUNAGU__V1__MEETING__INIT;
    char *attendees[] = { (char *) ELDER, (char *) POVERTY };
    meeting.kind = TSUNAGU__V1__MEETING_KIND__MEETING_CORE;
    meeting.held_on = (char *) "2026-12-03";
    meeting.attendees = attendees;
    meeting.n_attendees = 2;
    Tsunagu__V1__CaseEvent m = TSUNAGU__V1__CASE_EVENT__INIT;
    m.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_MEETING;
    m.meeting = &meeting;
    a = hub_case_event (f, F_ELDER, CASE_A, v++, &m, false, NULL, 0, NULL);
    hub_expect_stored (&a);
    c = hub_get_case (f, CASE_A);
    assert_false (c->handed_over);
    assert_int_equal (c->reviewed_at_ms, T0 + 2 * DAY_MS);
    assert_string_equal (c->handover_on, "2026-12-01"); /* the last one is kept */
    free (c);
    s_listed (f, NULL, listed, sizeof listed);
    assert_string_equal (listed, "");
    s_listed (f, "assessment", listed, sizeof listed);
    assert_string_equal (listed, "");

    /* Handed over again, both cases; a plan reviews A only. */
    a = hub_case_event (f, F_POVERTY, CASE_A, v++,
                        s_handover (&h, "S-0777", "S-0123", "2026-12-04"), false, NULL, 0, NULL);
    hub_expect_stored (&a);
    c = hub_get_case (f, CASE_B);
    a = hub_case_event (f, F_DISABILITY, CASE_B, c->version,
                        s_handover (&h, "D-01", "", "2026-12-04"), false, NULL, 0, NULL);
    free (c);
    hub_expect_stored (&a);
    s_listed (f, NULL, listed, sizeof listed);
    assert_string_equal (listed, "2 3");
    Tsunagu__V1__PlanRole role = TSUNAGU__V1__PLAN_ROLE__INIT;
    Tsunagu__V1__PlanRole *roles[] = { &role };
    role.agency_id = (char *) POVERTY;
    role.role = (char *) "家計改善";
    Tsunagu__V1__Plan plan = TSUNAGU__V1__PLAN__INIT;
    plan.roles = roles;
    plan.n_roles = 1;
    Tsunagu__V1__CaseEvent p = TSUNAGU__V1__CASE_EVENT__INIT;
    p.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_PLAN;
    p.plan = &plan;
    a = hub_case_event (f, F_POVERTY, CASE_A, v++, &p, false, NULL, 0, NULL);
    hub_expect_stored (&a);
    s_listed (f, NULL, listed, sizeof listed);
    assert_string_equal (listed, "3");

    char types[512] = "";
    tsg_txn_begin (f->store, &txn, false);
    tsg_hub_timeline_scan (&txn, CASE_A, 1, s_type_one, types);
    tsg_txn_abort (&txn);
    assert_non_null (strstr (types, "handover(S-0123) note state meeting handover(S-0777) plan"));
}

int
main (void)
{
    log_init ("test_hub_handover", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_staff_code_check),
        cmocka_unit_test (test_agency_request),
        cmocka_unit_test_setup_teardown (test_coordinator_refusals, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_handed_over_until_review, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
