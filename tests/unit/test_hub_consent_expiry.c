/* test_hub_consent_expiry.c — a consent ends with its valid_until (inclusive, Japan time) by
 * the coordinator's clock (injected with tsg_clock_set): from that moment it is no basis, and
 * the expiry pass withholds the mail still waiting under it, tells each sender, and sends
 * every agency on the case a CONSENT_REVOKE signed by the coordinator with reason "expired". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_hub_fixture.h"
#include "tsunagu/tsg_text.h"

/* The cases and consents these tests name. */
#define CASE_A    "2f7c6e5a-3d4b-4c8f-a01e-9b3c4d5e6f70"
#define CASE_B    "8a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d"
#define CONSENT_1 "c1000000-0000-4000-8000-000000000001"
#define CONSENT_2 "c2000000-0000-4000-8000-000000000002"

static int
s_setup (void **state)
{
    *state = hub_fixture_new ("hub-expiry");
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

static const kit_basis_t s_under_1 = { .basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT,
                                       .consent_id = CONSENT_1,
                                       .categories = { "identity" } };

/* True when the intake's acknowledged list names an entry of agency's. */
static bool
s_gone_from (hub_fixture_t *f, const char *agency)
{
    for (size_t i = 0; i < tsg_hub_intake_acked_count (f->intake); i++) {
        uint64_t seq = 0;
        if (strcmp (tsg_hub_intake_acked (f->intake, i, &seq), agency) == 0)
            return true;
    }
    return false;
}

static void
test_expiry_withholds_and_announces (void **state)
{
    hub_fixture_t *f = *state;
    tsg_hub_audit_t *audit = kit_audit_open (f);
    char rid[TSG_UUID_TEXT_SIZE] = "";
    hub_expect_stored ((tsg_hub_answer_t[]){ hub_referral (
        f, F_ELDER, POVERTY, CASE_A, TSUNAGU__V1__URGENCY__URGENCY_NORMAL, NULL, rid) });
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_grant (f, F_ELDER, CASE_A, CONSENT_1, POVERTY, NULL, NULL, "2026-11-30") });
    uint8_t r1[16], r2[16];
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_referral (f, F_ELDER, POVERTY, CASE_A, &s_under_1, NULL, r1, NULL, NULL) });
    /* Nothing due before the end. */
    assert_int_equal (tsg_hub_intake_expire (f->intake, f->store), 0);

    /* The last millisecond of 2026-11-30 in Japan: still in force. */
    uint64_t end = 0;
    assert_true (tsg_date_start_ms ("2026-12-01", &end));
    hub_now = end - 1;
    assert_int_equal (tsg_hub_intake_expire (f->intake, f->store), 0);
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_referral (f, F_ELDER, POVERTY, CASE_A, &s_under_1, NULL, r2, NULL, NULL) });
    assert_int_equal (kit_message (f, r1, NULL).state, TSG_HUB_MSG_STORED);

    /* Midnight: no basis any more, even before the pass has run. */
    hub_now = end;
    tsg_hub_answer_t a =
        kit_referral (f, F_ELDER, POVERTY, CASE_A, &s_under_1, NULL, NULL, NULL, NULL);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS);
    assert_string_equal (a.detail, "consent " CONSENT_1 " expired on 2026-11-30");

    /* The pass: both waiting letters withheld, their sender told, the case told. */
    assert_int_equal (tsg_hub_intake_expire (f->intake, f->store), 1);
    assert_true (s_gone_from (f, POVERTY));
    assert_int_equal (kit_count (f, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, NULL), 1);
    for (int i = 0; i < 2; i++) {
        const uint8_t *id = i == 0 ? r1 : r2;
        tsg_hub_message_t msg = kit_message (f, id, NULL);
        assert_int_equal (msg.state, TSG_HUB_MSG_REFUSED);
        assert_string_equal (msg.detail, "withheld: consent " CONSENT_1 " expired");
        tsg_envelope_t env = kit_newest (f, ELDER, TSUNAGU__V1__KIND__KIND_ERROR, id,
                                         tsg_keys_sign_public (f->coordinator));
        assert_int_equal (env.letter->error->code,
                          TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS);
        assert_string_equal (env.letter->error->detail, "withheld: consent " CONSENT_1 " expired");
        tsg_envelope_clear (&env);
    }
    static const char *const told[] = { ELDER, POVERTY };
    for (int i = 0; i < 2; i++) {
        assert_int_equal (kit_count (f, told[i], TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE, NULL), 1);
        tsg_envelope_t env = kit_newest (f, told[i], TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE, NULL,
                                         tsg_keys_sign_public (f->coordinator));
        const tsg_header_t *h = env.letter->header;
        assert_string_equal (env.letter->sender, TSG_COORDINATOR_ID);
        assert_int_equal (env.letter->sequence, 0);
        assert_string_equal (h->status, "expired");
        assert_string_equal (h->consent_id, CONSENT_1);
        assert_string_equal (h->case_id, CASE_A);
        assert_non_null (h->consent);
        assert_string_equal (h->consent->valid_until, "2026-11-30");
        assert_int_equal (h->consent->n_cover_agencies, 1);
        assert_int_equal (env.letter->body.len, 0);
        tsg_envelope_clear (&env);
    }
    tsg_hub_consent_t c = kit_consent (f, CONSENT_1);
    assert_int_equal (c.state, TSG_HUB_CONSENT_EXPIRED);
    assert_string_equal (c.ended_by, TSG_COORDINATOR_ID);
    assert_int_equal (c.ended_at_ms, end);
    /* Once only. */
    assert_int_equal (tsg_hub_intake_expire (f->intake, f->store), 0);
    assert_int_equal (kit_count (f, POVERTY, TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE, NULL), 1);
    /* A revocation after the expiry withholds nothing more, and is allowed. */
    hub_expect_stored (
        (tsg_hub_answer_t[]){ hub_consent_revoke (f, F_ELDER, CONSENT_1, CASE_A, NULL, 0, NULL) });
    assert_int_equal (hub_stat (f, "letters.withheld"), 2);

    /* The read side. */
    json_t *list = kit_get (f, "/v1/consents", CASE_A);
    json_t *one = json_array_get (json_object_get (list, "consents"), 0);
    assert_string_equal (json_string_value (json_object_get (one, "status")), "revoked");
    json_decref (list);
    json_t *metrics = kit_get (f, "/metrics", NULL);
    assert_non_null (strstr (json_string_value (metrics), "tsunagu_letters_withheld_total 2\n"));
    assert_non_null (
        strstr (json_string_value (metrics), "tsunagu_consents{state=\"revoked\"} 1\n"));
    json_decref (metrics);

    char *log = kit_audit_text (f, audit);
    assert_int_equal (kit_occurs (log, "\"event\":\"consent-expired\""), 1);
    assert_int_equal (kit_occurs (log, "\"event\":\"withheld\""), 2);
    assert_true (strstr (log, "\"reason\":\"expired\"") != NULL);
    free (log);
}

/* A consent of a case not opened yet: its granter hears of the end. */
static void
test_expiry_tells_the_granter (void **state)
{
    hub_fixture_t *f = *state;
    hub_grant_t g = { .case_id = CASE_B,
                      .consent_id = CONSENT_2,
                      .types = { "poverty" },
                      .categories = { "identity" },
                      .valid_until = "2026-11-25" };
    hub_expect_stored ((tsg_hub_answer_t[]){ hub_consent_grant (f, F_CHILD, &g, NULL) });
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_grant (f, F_CHILD, CASE_B, CONSENT_1, NULL, NULL, "poverty", "2026-12-31") });
    uint64_t end = 0, later = 0;
    assert_true (tsg_date_start_ms ("2026-11-26", &end));
    assert_true (tsg_date_start_ms ("2027-01-01", &later));
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    assert_int_equal (tsg_hub_consents_next_end (&txn), end);
    tsg_txn_abort (&txn);
    /* Clocks jump: a coordinator down for days ends what ended meanwhile, in order. */
    hub_now = end + 3 * DAY_MS;
    assert_int_equal (tsg_hub_intake_expire (f->intake, f->store), 1);
    assert_int_equal (kit_consent (f, CONSENT_2).state, TSG_HUB_CONSENT_EXPIRED);
    assert_int_equal (kit_consent (f, CONSENT_1).state, TSG_HUB_CONSENT_ACTIVE);
    assert_int_equal (kit_count (f, CHILD, TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE, NULL), 1);
    tsg_txn_begin (f->store, &txn, false);
    assert_int_equal (tsg_hub_consents_next_end (&txn), later);
    tsg_txn_abort (&txn);
    hub_now = later;
    assert_int_equal (tsg_hub_intake_expire (f->intake, f->store), 1);
    assert_int_equal (kit_count (f, CHILD, TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE, NULL), 2);
    assert_int_equal (hub_stat (f, "consents.state.expired"), 2);
    assert_int_equal (hub_stat (f, "consents.state.active"), 0);
}

int
main (void)
{
    log_init ("test_hub_consent_expiry", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_expiry_withholds_and_announces, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_expiry_tells_the_granter, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
