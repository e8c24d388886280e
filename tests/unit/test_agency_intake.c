/* Per-type intake policy: each of the four daemons refuses a referral that lacks its type's
 * required intake fields, naming each one, before anything is sealed or stored; the table
 * holds the fields, the right to send abuse reports and the statutory meeting of each type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_agency.h"
#include "agency_world.h"
#include "agency/letters/referral_request.h"

static const char *const s_types[] = { "eldercare", "disability", "child", "poverty" };

typedef struct {
    agency_world_t *world;   /* the fixture */
    tsg_agency_t *agency[4]; /* one agency of each type, in s_types order */
} s_world_t;

static int
s_setup (void **state)
{
    s_world_t *w = calloc (1, sizeof *w);
    w->world = agency_world_new ();
    for (size_t i = 0; i < 4; i++) {
        w->agency[i] = agency_world_agency (w->world, s_types[i], s_types[i]);
        assert_non_null (w->agency[i]);
    }
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

/* Someone to send to: the next type's agency. */
static const char *
s_other (size_t i)
{
    return s_types[(i + 1) % 4];
}

/* POSTs a referral with sheet from agency i; returns the status, *reply the body. */
static int
s_post (s_world_t *w, size_t i, const char *sheet, json_t **reply)
{
    char body[1024];
    snprintf (body, sizeof body,
              "{\"to\":\"%s\",\"legal_basis\":\"consent\",\"consent_id\":\"c-intake\","
              "\"data_categories\":[\"identity\",\"health\"],\"sheet\":%s}",
              s_other (i), sheet);
    return agency_world_request (w->agency[i], "POST", "/v1/referrals", body, reply);
}

/* The POST is refused 400 invalid with the field problems given (path, problem substring,
 * NULL-terminated pairs) and nothing is sealed, stored or sent. */
static void
s_refused (s_world_t *w, size_t i, const char *sheet, const char *const expect[])
{
    tsg_agency_t *a = w->agency[i];
    uint64_t sequence = a->next_sequence;
    size_t outbox = agency_world_count (a, AGENCY_DB_OUTBOX);
    agency_world_sent_clear (w->world, a);
    json_t *reply = NULL;
    int status = s_post (w, i, sheet, &reply);
    if (status != 400)
        fprintf (stderr, "%s: %s → %d %s\n", s_types[i], sheet, status,
                 reply ? json_dumps (reply, 0) : "");
    assert_int_equal (status, 400);
    assert_string_equal (json_string_value (json_object_get (reply, "error")), "invalid");
    json_t *fields = json_object_get (reply, "fields");
    size_t n = 0;
    for (; expect[2 * n]; n++) {
        const char *problem = json_string_value (json_object_get (fields, expect[2 * n]));
        if (!problem || !strstr (problem, expect[2 * n + 1]))
            fprintf (stderr, "%s: %s: want %s: %s in %s\n", s_types[i], sheet, expect[2 * n],
                     expect[2 * n + 1], json_dumps (fields, 0));
        assert_non_null (problem);
        assert_non_null (strstr (problem, expect[2 * n + 1]));
    }
    assert_int_equal (json_object_size (fields), n);
    json_decref (reply);
    assert_int_equal (a->next_sequence, sequence);
    assert_int_equal (agency_world_count (a, AGENCY_DB_OUTBOX), outbox);
    assert_int_equal (agency_world_sent_count (w->world, a), 0);
    assert_null (a->pending);
}

static void
s_accepted (s_world_t *w, size_t i, const char *sheet)
{
    json_t *reply = NULL;
    int status = s_post (w, i, sheet, &reply);
    if (status != 202)
        fprintf (stderr, "%s: %s → %d %s\n", s_types[i], sheet, status,
                 reply ? json_dumps (reply, 0) : "");
    assert_int_equal (status, 202);
    json_decref (reply);
    agency_world_sent_clear (w->world, w->agency[i]);
}

static void
test_eldercare_needs_care_insurance (void **state)
{
    s_world_t *w = *state;
    s_refused (w, 0, "{}",
               (const char *const[]){ "sheet.eldercare.care_insurance", "required", NULL });
    s_refused (w, 0, "{\"eldercare\":{}}",
               (const char *const[]){ "sheet.eldercare.care_insurance", "required", NULL });
    s_refused (w, 0, "{\"eldercare\":\"要介護1\"}",
               (const char *const[]){ "sheet.eldercare.care_insurance", "not an object", NULL });
    s_refused (w, 0, "{\"eldercare\":{\"care_insurance\":3}}",
               (const char *const[]){ "sheet.eldercare.care_insurance", "string", NULL });
    s_refused (w, 0, "{\"eldercare\":{\"care_insurance\":\"\"}}",
               (const char *const[]){ "sheet.eldercare.care_insurance", "non-empty", NULL });
    /* Another type's fields do not stand in for the sender's own. */
    s_refused (w, 0, "{\"poverty\":{\"income_band\":\"収入なし\"}}",
               (const char *const[]){ "sheet.eldercare.care_insurance", "required", NULL });
    s_accepted (w, 0, "{\"eldercare\":{\"care_insurance\":\"要介護1\"}}");
}

static void
test_disability_needs_certificate (void **state)
{
    s_world_t *w = *state;
    s_refused (w, 1, "{\"summary\":\"相談\"}",
               (const char *const[]){ "sheet.disability.certificate", "required", NULL });
    s_refused (w, 1, "{\"disability\":{\"certificate\":null}}",
               (const char *const[]){ "sheet.disability.certificate", "required", NULL });
    s_accepted (w, 1, "{\"disability\":{\"certificate\":\"精神障害者保健福祉手帳2級\"}}");
}

static void
test_child_needs_age_and_school_or_nursery (void **state)
{
    s_world_t *w = *state;
    s_refused (w, 2, "{}",
               (const char *const[]){ "sheet.child.age", "required", "sheet.child.school",
                                      "required (or sheet.child.nursery)", NULL });
    s_refused (w, 2, "{\"child\":{\"school\":\"北小学校\"}}",
               (const char *const[]){ "sheet.child.age", "required", NULL });
    s_refused (w, 2, "{\"child\":{\"age\":8}}",
               (const char *const[]){ "sheet.child.school", "sheet.child.nursery", NULL });
    s_refused (w, 2, "{\"child\":{\"age\":18,\"school\":\"県立高校\"}}",
               (const char *const[]){ "sheet.child.age", "from 0 to 17", NULL });
    s_refused (w, 2, "{\"child\":{\"age\":-1,\"nursery\":\"つなぐ保育園\"}}",
               (const char *const[]){ "sheet.child.age", "from 0 to 17", NULL });
    s_refused (w, 2, "{\"child\":{\"age\":\"8\",\"school\":\"北小学校\"}}",
               (const char *const[]){ "sheet.child.age", "integer", NULL });
    s_refused (w, 2, "{\"child\":{\"age\":8.5,\"school\":\"北小学校\"}}",
               (const char *const[]){ "sheet.child.age", "integer", NULL });
    s_refused (w, 2, "{\"child\":{\"age\":8,\"nursery\":7}}",
               (const char *const[]){ "sheet.child.nursery", "string", NULL });
    s_refused (w, 2, "{\"child\":{\"age\":8,\"school\":\"\"}}",
               (const char *const[]){ "sheet.child.school", "non-empty", NULL });
    s_accepted (w, 2, "{\"child\":{\"age\":8,\"school\":\"つなぐ市立北小学校\"}}");
    s_accepted (w, 2, "{\"child\":{\"age\":0,\"nursery\":\"つなぐ保育園\"}}");
    s_accepted (w, 2, "{\"child\":{\"age\":17,\"school\":\"\",\"nursery\":\"夜間保育\"}}");
}

static void
test_poverty_needs_income_band (void **state)
{
    s_world_t *w = *state;
    s_refused (w, 3, "{\"eldercare\":{\"care_insurance\":\"要介護1\"}}",
               (const char *const[]){ "sheet.poverty.income_band", "required", NULL });
    s_accepted (w, 3, "{\"poverty\":{\"income_band\":\"月10万円未満\"}}");
}

/* Every problem of the request is named at once, intake fields among the others. */
static void
test_all_problems_together (void **state)
{
    s_world_t *w = *state;
    json_t *reply = NULL;
    assert_int_equal (agency_world_request (w->agency[2], "POST", "/v1/referrals",
                                            "{\"to\":\"poverty\",\"urgency\":\"soon\","
                                            "\"legal_basis\":\"consent\",\"sheet\":{}}",
                                            &reply),
                      400);
    json_t *fields = json_object_get (reply, "fields");
    const char *expected[] = { "urgency", "consent_id", "data_categories", "sheet.child.age",
                               "sheet.child.school" };
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        assert_non_null (json_object_get (fields, expected[i]));
    assert_int_equal (json_object_size (fields), 5);
    json_decref (reply);
}

/* The check is the table's: the same function over each type's entry. */
static void
test_check_function (void **state)
{
    (void) state;
    json_t *sheet = json_loads ("{\"child\":{\"age\":3,\"nursery\":\"保育園\"},"
                                "\"eldercare\":{\"care_insurance\":\"未申請\"}}",
                                0, NULL);
    for (size_t i = 0; i < 4; i++) {
        json_t *fields = json_object ();
        agency_intake_check (tsg_agency_policy_find (s_types[i]), sheet, fields);
        size_t want =
            strcmp (s_types[i], "child") == 0 || strcmp (s_types[i], "eldercare") == 0 ? 0 : 1;
        assert_int_equal (json_object_size (fields), want);
        json_decref (fields);
    }
    json_decref (sheet);
}

static void
test_table (void **state)
{
    (void) state;
    static const struct {
        const char *type;
        size_t intake;
        const char *first;
        bool emergency;
        Tsunagu__V1__MeetingKind meeting;
        const char *name;
        const char *ja;
    } want[] = {
        { "eldercare", 1, "eldercare.care_insurance", true,
          TSUNAGU__V1__MEETING_KIND__MEETING_CHIIKI_CARE, "chiiki-care", "地域ケア会議" },
        { "disability", 1, "disability.certificate", true,
          TSUNAGU__V1__MEETING_KIND__MEETING_KYOGIKAI, "kyogikai", "協議会" },
        { "child", 2, "child.age", true, TSUNAGU__V1__MEETING_KIND__MEETING_YOTAIKYO, "yotaikyo",
          "要保護児童対策地域協議会" },
        { "poverty", 1, "poverty.income_band", false, TSUNAGU__V1__MEETING_KIND__MEETING_KONKYU,
          "konkyu", "支援会議" },
    };
    for (size_t i = 0; i < 4; i++) {
        const tsg_agency_policy_t *p = tsg_agency_policy_find (want[i].type);
        assert_non_null (p);
        assert_int_equal (tsg_agency_policy_intake_count (p), want[i].intake);
        assert_string_equal (p->intake[0].path, want[i].first);
        assert_int_equal (p->may_send_emergency, want[i].emergency);
        assert_int_equal (p->meeting, want[i].meeting);
        assert_string_equal (p->meeting_name, want[i].name);
        assert_string_equal (p->meeting_ja, want[i].ja);
        assert_non_null (p->meeting_law);
        assert_ptr_equal (tsg_agency_policy_of_meeting (p->meeting), p);
        /* Those that may report abuse name the law; poverty names none. */
        assert_int_equal (p->mandatory_report != NULL, want[i].emergency);
    }
    const tsg_agency_policy_t *child = tsg_agency_policy_find ("child");
    assert_int_equal (child->intake[0].kind, TSG_INTAKE_INTEGER);
    assert_int_equal (child->intake[0].min, 0);
    assert_int_equal (child->intake[0].max, 17);
    assert_string_equal (child->intake[1].alternative, "child.nursery");
    assert_null (tsg_agency_policy_of_meeting (TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN));
    assert_null (tsg_agency_policy_of_meeting (TSUNAGU__V1__MEETING_KIND__MEETING_JUSOTEKI));
}

/* GET /v1/policy: what a case system needs to build valid requests. */
static void
test_policy_route (void **state)
{
    s_world_t *w = *state;
    json_t *reply = NULL;
    assert_int_equal (agency_world_request (w->agency[2], "GET", "/v1/policy", NULL, &reply), 200);
    assert_string_equal (json_string_value (json_object_get (reply, "type")), "child");
    json_t *fields = json_object_get (reply, "required_fields");
    assert_int_equal (json_array_size (fields), 2);
    json_t *age = json_array_get (fields, 0);
    assert_string_equal (json_string_value (json_object_get (age, "path")), "sheet.child.age");
    assert_string_equal (json_string_value (json_object_get (age, "kind")), "integer");
    assert_int_equal (json_integer_value (json_object_get (age, "max")), 17);
    assert_string_equal (json_string_value (json_object_get (json_array_get (fields, 1), "or")),
                         "sheet.child.nursery");
    assert_true (json_is_true (json_object_get (reply, "may_send_emergency")));
    json_t *meeting = json_object_get (reply, "statutory_meeting");
    assert_string_equal (json_string_value (json_object_get (meeting, "kind")), "yotaikyo");
    assert_string_equal (json_string_value (json_object_get (meeting, "law")),
                         "児童福祉法 第25条の2");
    assert_int_equal (json_array_size (json_object_get (reply, "data_categories")), 7);
    json_decref (reply);
    assert_int_equal (agency_world_request (w->agency[3], "GET", "/v1/policy", NULL, &reply), 200);
    assert_true (json_is_false (json_object_get (reply, "may_send_emergency")));
    assert_true (json_is_null (json_object_get (reply, "mandatory_report")));
    json_decref (reply);
}

int
main (void)
{
    log_init ("test_agency_intake", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_eldercare_needs_care_insurance),
        cmocka_unit_test (test_disability_needs_certificate),
        cmocka_unit_test (test_child_needs_age_and_school_or_nursery),
        cmocka_unit_test (test_poverty_needs_income_band),
        cmocka_unit_test (test_all_problems_together),
        cmocka_unit_test (test_check_function),
        cmocka_unit_test (test_table),
        cmocka_unit_test (test_policy_route),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
