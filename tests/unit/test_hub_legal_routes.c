/* test_hub_legal_routes.c — the legal bases through whole batches: meetings recorded on a case
 * keep a roster per kind, on which support-meeting and statutory-meeting letters depend; a
 * statutory meeting is recorded by its own agency type; an emergency report is routed without
 * consent, flagged, alerted (ALERTS, /v1/alerts, /metrics) and audited; a 重層的支援会議 needs
 * an active consent covering every attendee. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_hub_fixture.h"

/* The cases and consents these tests name. */
#define CASE_A    "2f7c6e5a-3d4b-4c8f-a01e-9b3c4d5e6f70"
#define CASE_B    "8a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d"
#define CONSENT_1 "c1000000-0000-4000-8000-000000000001"
#define CONSENT_2 "c2000000-0000-4000-8000-000000000002"

static int
s_setup (void **state)
{
    *state = hub_fixture_new ("hub-legal");
    return 0;
}

static int
s_teardown (void **state)
{
    hub_fixture_t *f = *state;
    tsg_hub_audit_t *audit = tsg_hub_intake_audit (f->intake);
    tsg_hub_intake_set_audit (f->intake, NULL);
    tsg_hub_audit_destroy (&audit);
    hub_fixture_destroy (&f);
    return 0;
}

/* Refers (no personal data) from eldercare to each of to1, to2 on CASE_A; returns the case's
 * version. */
static uint64_t
s_open_case (hub_fixture_t *f, const char *to1, const char *to2)
{
    const char *to[2] = { to1, to2 };
    for (int i = 0; i < 2 && to[i]; i++) {
        char rid[TSG_UUID_TEXT_SIZE] = "";
        hub_expect_stored ((tsg_hub_answer_t[]){ hub_referral (
            f, F_ELDER, to[i], CASE_A, TSUNAGU__V1__URGENCY__URGENCY_NORMAL, NULL, rid) });
    }
    tsg_hub_case_t *c = hub_get_case (f, CASE_A);
    uint64_t version = c->version;
    free (c);
    return version;
}

static void
s_expect_refusal (const tsg_hub_answer_t *a, Tsunagu__V1__ErrorCode code, const char *words)
{
    hub_expect_error (a, code);
    if (!strstr (a->detail, words))
        fail_msg ("detail \"%s\" does not say \"%s\"", a->detail, words);
}

static const kit_basis_t s_support = { .basis =
                                           TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_SUPPORT_MEETING,
                                       .categories = { "identity", "family" } };
static const kit_basis_t s_statutory = {
    .basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_STATUTORY_MEETING, .categories = { "health" }
};

static void
test_support_meeting_roster (void **state)
{
    hub_fixture_t *f = *state;
    uint64_t v = s_open_case (f, POVERTY, CHILD);
    /* Before any 支援会議. */
    s_expect_refusal ((tsg_hub_answer_t[]){ kit_referral (f, F_ELDER, POVERTY, CASE_A, &s_support,
                                                          NULL, NULL, NULL, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
                      "no 支援会議 has been held on case " CASE_A);
    /* The minutes of the 支援会議 itself go to its members, and only to them. */
    const char *const roster[] = { ELDER, POVERTY, NULL };
    uint8_t box_p[40], box_c[40];
    memset (box_p, 1, sizeof box_p);
    memset (box_c, 2, sizeof box_c);
    Tsunagu__V1__SealedBody to_p = TSUNAGU__V1__SEALED_BODY__INIT;
    Tsunagu__V1__SealedBody to_c = TSUNAGU__V1__SEALED_BODY__INIT;
    to_p.recipient = (char *) POVERTY;
    to_p.box.data = box_p;
    to_p.box.len = sizeof box_p;
    to_c.recipient = (char *) CHILD;
    to_c.box.data = box_c;
    to_c.box.len = sizeof box_c;
    Tsunagu__V1__SealedBody *minutes[2] = { &to_p, &to_c };
    s_expect_refusal ((tsg_hub_answer_t[]){ kit_meeting_with (
                          f, F_ELDER, CASE_A, v, TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN, roster,
                          NULL, &s_support, minutes, 2) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
                      CHILD " is not on the 支援会議 roster of case " CASE_A);
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_meeting_with (f, F_ELDER, CASE_A, v, TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN, roster,
                          NULL, &s_support, minutes, 1) });
    assert_int_equal (kit_count (f, POVERTY, TSUNAGU__V1__KIND__KIND_CASE_EVENT, NULL), 1);
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_referral (f, F_ELDER, POVERTY, CASE_A, &s_support, NULL, NULL, NULL, NULL) });
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_referral (f, F_POVERTY, ELDER, CASE_A, &s_support, NULL, NULL, NULL, NULL) });
    s_expect_refusal ((tsg_hub_answer_t[]){ kit_referral (f, F_ELDER, CHILD, CASE_A, &s_support,
                                                          NULL, NULL, NULL, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
                      CHILD " is not on the 支援会議 roster of case " CASE_A);
    s_expect_refusal ((tsg_hub_answer_t[]){ kit_referral (f, F_CHILD, ELDER, CASE_A, &s_support,
                                                          NULL, NULL, NULL, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
                      CHILD " is not on the 支援会議 roster");
    tsg_hub_case_t *c = hub_get_case (f, CASE_A);
    assert_true (tsg_hub_case_on_roster (c, TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN, POVERTY));
    assert_false (tsg_hub_case_on_roster (c, TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN, CHILD));
    free (c);
    json_t *view = kit_get (f, "/v1/cases/" CASE_A, NULL);
    json_t *shien = json_object_get (json_object_get (view, "rosters"), "shien");
    assert_int_equal (json_array_size (shien), 2);
    json_decref (view);
}

static void
test_statutory_meeting_roster (void **state)
{
    hub_fixture_t *f = *state;
    uint64_t v = s_open_case (f, DISABILITY, POVERTY);
    const char *const care[] = { ELDER, DISABILITY, NULL };
    /* Only eldercare (or the coordinator) records a 地域ケア会議. */
    s_expect_refusal (
        (tsg_hub_answer_t[]){ kit_meeting (
            f, F_POVERTY, CASE_A, v, TSUNAGU__V1__MEETING_KIND__MEETING_CHIIKI_CARE, care, NULL) },
        TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED,
        "a 地域ケア会議 (介護保険法 第115条の48) is recorded by an agency of type "
        "eldercare");
    hub_expect_stored ((tsg_hub_answer_t[]){ kit_meeting (
        f, F_ELDER, CASE_A, v++, TSUNAGU__V1__MEETING_KIND__MEETING_CHIIKI_CARE, care, NULL) });
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_referral (f, F_ELDER, DISABILITY, CASE_A, &s_statutory, NULL, NULL, NULL, NULL) });
    s_expect_refusal ((tsg_hub_answer_t[]){ kit_referral (f, F_ELDER, POVERTY, CASE_A, &s_statutory,
                                                          NULL, NULL, NULL, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
                      POVERTY " is not on the 地域ケア会議 roster of case " CASE_A);
    /* disability's own meeting is the 協議会, not held here. */
    s_expect_refusal ((tsg_hub_answer_t[]){ kit_referral (f, F_DISABILITY, ELDER, CASE_A,
                                                          &s_statutory, NULL, NULL, NULL, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
                      "no 協議会 has been held on case " CASE_A);
    /* poverty's 支援会議 under 生活困窮者自立支援法 第9条. */
    const char *const konkyu[] = { POVERTY, ELDER, NULL };
    hub_expect_stored ((tsg_hub_answer_t[]){ kit_meeting (
        f, F_POVERTY, CASE_A, v++, TSUNAGU__V1__MEETING_KIND__MEETING_KONKYU, konkyu, NULL) });
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_referral (f, F_POVERTY, ELDER, CASE_A, &s_statutory, NULL, NULL, NULL, NULL) });
    /* A later meeting of another kind leaves the 地域ケア会議 roster in place. */
    const char *const shien[] = { POVERTY, NULL };
    hub_expect_stored ((tsg_hub_answer_t[]){ kit_meeting (
        f, F_ELDER, CASE_A, v++, TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN, shien, NULL) });
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_referral (f, F_ELDER, DISABILITY, CASE_A, &s_statutory, NULL, NULL, NULL, NULL) });
    tsg_hub_case_t *c = hub_get_case (f, CASE_A);
    assert_int_equal (c->roster_kind, TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN);
    assert_int_equal (c->n_roster, 1);
    assert_int_equal (c->n_rosters[TSUNAGU__V1__MEETING_KIND__MEETING_CHIIKI_CARE], 2);
    assert_int_equal (c->n_rosters[TSUNAGU__V1__MEETING_KIND__MEETING_KONKYU], 2);
    free (c);
    /* The agencies' copy of the case carries the latest roster. */
    tsg_envelope_t env = kit_newest (f, DISABILITY, TSUNAGU__V1__KIND__KIND_CASE_UPDATE, NULL,
                                     tsg_keys_sign_public (f->coordinator));
    assert_int_equal (env.letter->case_update->roster_kind,
                      TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN);
    tsg_envelope_clear (&env);
    json_t *view = kit_get (f, "/v1/cases/" CASE_A, NULL);
    json_t *rosters = json_object_get (view, "rosters");
    assert_int_equal (json_array_size (json_object_get (rosters, "chiiki-care")), 2);
    assert_int_equal (json_array_size (json_object_get (rosters, "konkyu")), 2);
    assert_int_equal (json_array_size (json_object_get (rosters, "shien")), 1);
    json_decref (view);
}

static void
test_emergency_alert (void **state)
{
    hub_fixture_t *f = *state;
    tsg_hub_audit_t *audit = kit_audit_open (f);
    kit_basis_t report = { .basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_EMERGENCY,
                           .categories = { "identity", "health", "family" },
                           .urgency = TSUNAGU__V1__URGENCY__URGENCY_EMERGENCY,
                           .urgent = true };
    /* No consent, no case yet, no meeting: routed at once. */
    char rid[TSG_UUID_TEXT_SIZE];
    uint8_t id[16];
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_referral (f, F_ELDER, CHILD, CASE_A, &report, rid, id, NULL, NULL) });
    assert_int_equal (kit_message (f, id, NULL).state, TSG_HUB_MSG_STORED);
    assert_int_equal (hub_stat (f, TSG_HUB_STAT_ALERTS), 1);
    json_t *alerts = kit_get (f, "/v1/alerts", NULL);
    assert_int_equal (json_integer_value (json_object_get (alerts, "count")), 1);
    json_t *one = json_array_get (json_object_get (alerts, "alerts"), 0);
    assert_string_equal (json_string_value (json_object_get (one, "from")), ELDER);
    assert_string_equal (json_string_value (json_object_get (one, "from_type")), "eldercare");
    assert_string_equal (json_string_value (json_object_get (one, "to")), CHILD);
    assert_string_equal (json_string_value (json_object_get (one, "referral_id")), rid);
    assert_string_equal (json_string_value (json_object_get (one, "case_id")), CASE_A);
    assert_string_equal (json_string_value (json_object_get (one, "law")),
                         "高齢者虐待防止法 第7条");
    json_decref (alerts);

    /* child reports one of its own; poverty may not (on a case of its own: it is not on
     * this one). */
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_referral (f, F_CHILD, DISABILITY, CASE_A, &report, NULL, NULL, NULL, NULL) });
    char own_case[TSG_UUID_TEXT_SIZE];
    tsg_uuid_new (own_case);
    s_expect_refusal ((tsg_hub_answer_t[]){ kit_referral (f, F_POVERTY, CHILD, own_case, &report,
                                                          NULL, NULL, NULL, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
                      "emergency reports may be sent only by eldercare, disability or child");
    report.urgent = false;
    s_expect_refusal ((tsg_hub_answer_t[]){ kit_referral (f, F_ELDER, CHILD, CASE_A, &report, NULL,
                                                          NULL, NULL, NULL) },
                      TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS, "flagged urgent");
    assert_int_equal (hub_stat (f, TSG_HUB_STAT_ALERTS), 2);
    alerts = kit_get (f, "/v1/alerts", NULL);
    one = json_array_get (json_object_get (alerts, "alerts"), 0); /* newest first */
    assert_string_equal (json_string_value (json_object_get (one, "law")), "児童虐待防止法 第6条");
    json_decref (alerts);
    json_t *metrics = kit_get (f, "/metrics", NULL);
    assert_non_null (strstr (json_string_value (metrics), "tsunagu_alerts_total 2\n"));
    json_decref (metrics);

    char *log = kit_audit_text (f, audit);
    assert_int_equal (kit_occurs (log, "\"event\":\"alert\""), 2);
    assert_true (strstr (log, "\"flags\":[\"personal\",\"urgent\",\"alert\"]") != NULL);
    assert_int_equal (kit_occurs (log, "\"event\":\"refused\""), 2);
    free (log);
}

static void
test_jusoteki_needs_consent (void **state)
{
    hub_fixture_t *f = *state;
    uint64_t v = s_open_case (f, POVERTY, DISABILITY);
    const char *const all[] = { ELDER, POVERTY, DISABILITY, NULL };
    s_expect_refusal (
        (tsg_hub_answer_t[]){ kit_meeting (
            f, F_ELDER, CASE_A, v, TSUNAGU__V1__MEETING_KIND__MEETING_JUSOTEKI, all, NULL) },
        TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
        "case " CASE_A " has no active consent");
    /* A consent that leaves eldercare out does not do. */
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_grant (f, F_ELDER, CASE_A, CONSENT_1, POVERTY, DISABILITY, NULL, NULL) });
    s_expect_refusal (
        (tsg_hub_answer_t[]){ kit_meeting (
            f, F_ELDER, CASE_A, v, TSUNAGU__V1__MEETING_KIND__MEETING_JUSOTEKI, all, NULL) },
        TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS,
        "no active consent of case " CASE_A " covers " ELDER);
    /* One that names two of them and the third by type does. */
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_grant (f, F_ELDER, CASE_A, CONSENT_2, ELDER, POVERTY, "disability", NULL) });
    /* Named explicitly, the first still does not. */
    s_expect_refusal (
        (tsg_hub_answer_t[]){ kit_meeting (
            f, F_ELDER, CASE_A, v, TSUNAGU__V1__MEETING_KIND__MEETING_JUSOTEKI, all, CONSENT_1) },
        TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS, "covers " ELDER);
    hub_expect_stored ((tsg_hub_answer_t[]){ kit_meeting (
        f, F_ELDER, CASE_A, v++, TSUNAGU__V1__MEETING_KIND__MEETING_JUSOTEKI, all, NULL) });
    tsg_hub_case_t *c = hub_get_case (f, CASE_A);
    assert_int_equal (c->roster_kind, TSUNAGU__V1__MEETING_KIND__MEETING_JUSOTEKI);
    assert_int_equal (c->n_rosters[TSUNAGU__V1__MEETING_KIND__MEETING_JUSOTEKI], 3);
    free (c);
    /* Revoked, it no longer founds the next one. */
    hub_expect_stored (
        (tsg_hub_answer_t[]){ hub_consent_revoke (f, F_ELDER, CONSENT_2, CASE_A, NULL, 0, NULL) });
    s_expect_refusal (
        (tsg_hub_answer_t[]){ kit_meeting (
            f, F_ELDER, CASE_A, v, TSUNAGU__V1__MEETING_KIND__MEETING_JUSOTEKI, all, NULL) },
        TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS, "covers " ELDER);
    /* A 支援会議 needs none (its members are bound to secrecy by law). */
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_meeting (f, F_ELDER, CASE_A, v, TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN, all, NULL) });
}

int
main (void)
{
    log_init ("test_hub_legal_routes", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_support_meeting_roster, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_statutory_meeting_roster, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_emergency_alert, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_jusoteki_needs_consent, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
