/* test_hub_referrals.c — the coordinator's closed loop: referral records, every status refusal,
 * the shared transition table applied to every pair of states, due dates from the registry,
 * and the DUE index with an injected clock. */
#include "test_hub_fixture.h"

#include "coordinator/model/store.h"
#include "coordinator/model/stats.h"
#include "coordinator/model/views.h"

#define CASE_A "0d5a4c3e-1b2f-4a6d-8e9c-7f1a2b3c4d5e"
#define CASE_B "1e6b5d4f-2c3a-4b7e-9f0d-8a2b3c4d5e6f"

static int
s_setup (void **state)
{
    *state = hub_fixture_new ("hub-referrals");
    return 0;
}

static int
s_teardown (void **state)
{
    hub_fixture_t *f = *state;
    hub_fixture_destroy (&f);
    return 0;
}

/* The end (23:59:59.999 JST) of the Japan-time day `days` after T0's, in UTC ms. */
static uint64_t
s_end_of_day (unsigned days)
{
    uint64_t jst = 9 * HOUR_MS;
    return ((T0 + jst) / DAY_MS + days + 1) * DAY_MS - 1 - jst;
}

/* A referral is recorded as requested, version 1, with due dates from the recipient's
 * registry entry (type default, or its own days), shortened by urgency. */
static void
test_referral_recorded (void **state)
{
    hub_fixture_t *f = *state;
    char normal[TSG_UUID_TEXT_SIZE] = "", configured[TSG_UUID_TEXT_SIZE] = "";
    char high[TSG_UUID_TEXT_SIZE] = "", emergency[TSG_UUID_TEXT_SIZE] = "";
    tsg_hub_answer_t a = hub_referral (f, F_ELDER, POVERTY, CASE_A,
                                       TSUNAGU__V1__URGENCY__URGENCY_NORMAL, "8050", normal);
    hub_expect_stored (&a);
    tsg_hub_referral_t ref = hub_get_referral (f, normal);
    assert_int_equal (ref.state, TSG_REF_REQUESTED);
    assert_int_equal (ref.version, 1);
    assert_string_equal (ref.case_id, CASE_A);
    assert_string_equal (ref.sender, ELDER);
    assert_string_equal (ref.recipient, POVERTY);
    assert_string_equal (ref.recipient_type, "poverty");
    assert_int_equal (ref.created_at_ms, T0);
    assert_int_equal (ref.receive_due_ms, s_end_of_day (1));
    assert_int_equal (ref.response_due_ms, s_end_of_day (7)); /* poverty's default */
    char date[11];
    tsg_date_jst_plus_days (ref.response_due_ms, 0, date);
    assert_string_equal (date, "2026-11-30");

    /* disability-minami has 10 days in the registry, not its type's 14. */
    a = hub_referral (f, F_ELDER, DISABILITY, CASE_A, TSUNAGU__V1__URGENCY__URGENCY_NORMAL, NULL,
                      configured);
    hub_expect_stored (&a);
    ref = hub_get_referral (f, configured);
    assert_int_equal (ref.response_due_ms, s_end_of_day (10));
    /* High halves the response days (rounded up); emergency is due today and tomorrow. */
    a = hub_referral (f, F_POVERTY, DISABILITY, CASE_B, TSUNAGU__V1__URGENCY__URGENCY_HIGH, NULL,
                      high);
    hub_expect_stored (&a);
    ref = hub_get_referral (f, high);
    assert_int_equal (ref.response_due_ms, s_end_of_day (5));
    a = hub_referral (f, F_ELDER, CHILD, CASE_A, TSUNAGU__V1__URGENCY__URGENCY_EMERGENCY, NULL,
                      emergency);
    hub_expect_stored (&a);
    ref = hub_get_referral (f, emergency);
    assert_int_equal (ref.receive_due_ms, s_end_of_day (0));
    assert_int_equal (ref.response_due_ms, s_end_of_day (1));
    assert_int_equal (hub_stat (f, TSG_HUB_STAT_REFERRALS), 4);
    assert_int_equal (hub_stat (f, TSG_HUB_STAT_REF_STATE "requested"), 4);

    /* The same referral id again, and referrals without ids or to oneself, are refused. */
    char again[TSG_UUID_TEXT_SIZE];
    memcpy (again, normal, sizeof again);
    a = hub_referral (f, F_ELDER, POVERTY, CASE_A, TSUNAGU__V1__URGENCY__URGENCY_NORMAL, NULL,
                      again);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED);
    char self[TSG_UUID_TEXT_SIZE] = "";
    a = hub_referral (f, F_ELDER, ELDER, CASE_A, TSUNAGU__V1__URGENCY__URGENCY_NORMAL, NULL, self);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED);
    char bad[TSG_UUID_TEXT_SIZE] = "not-a-uuid";
    a = hub_referral (f, F_ELDER, POVERTY, CASE_A, TSUNAGU__V1__URGENCY__URGENCY_NORMAL, NULL, bad);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED);
    assert_int_equal (hub_stat (f, TSG_HUB_STAT_REFERRALS), 4);
}

/* The recipient walks a referral to completion; every step is version + 1 and reaches the
 * sender's mailbox. */
static void
test_status_walk (void **state)
{
    hub_fixture_t *f = *state;
    char rid[TSG_UUID_TEXT_SIZE] = "";
    tsg_hub_answer_t a =
        hub_referral (f, F_ELDER, POVERTY, CASE_A, TSUNAGU__V1__URGENCY__URGENCY_NORMAL, NULL, rid);
    hub_expect_stored (&a);
    static const struct {
        const char *status;  /* the new state */
        const char *outcome; /* its outcome code */
        bool reason;         /* a reason in the body */
    } steps[] = {
        { "received", NULL, false },    { "accepted", NULL, false },
        { "in-progress", NULL, false }, { "on-hold", NULL, true },
        { "in-progress", NULL, false }, { "completed", "got-help", false },
    };
    hub_now = T0 + 2 * HOUR_MS;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        a = hub_status (f, F_POVERTY, ELDER, rid, steps[i].status, steps[i].outcome,
                        steps[i].reason, i + 1);
        hub_expect_stored (&a);
        tsg_hub_referral_t ref = hub_get_referral (f, rid);
        assert_string_equal (tsg_ref_state_name (ref.state), steps[i].status);
        assert_int_equal (ref.version, i + 2);
        assert_string_equal (ref.updated_by, POVERTY);
    }
    tsg_hub_referral_t ref = hub_get_referral (f, rid);
    assert_int_equal (ref.outcome, TSG_OUTCOME_GOT_HELP);
    assert_int_equal (ref.received_at_ms, T0 + 2 * HOUR_MS);
    assert_int_equal (ref.closed_at_ms, T0 + 2 * HOUR_MS);
    assert_int_equal (hub_mailbox_kind (f, ELDER, TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS), 6);
    assert_int_equal (hub_stat (f, TSG_HUB_STAT_REF_RECEIVED_COUNT), 1);
    assert_int_equal (hub_stat (f, TSG_HUB_STAT_REF_RECEIVED_SUM), 2 * HOUR_MS);
    assert_int_equal (hub_stat (f, TSG_HUB_STAT_REF_STATE "completed"), 1);
    assert_int_equal (hub_stat (f, TSG_HUB_STAT_REF_STATE "requested"), 0);
    /* The sender may still say it was entered in error; nobody may change it after that. */
    a = hub_status (f, F_ELDER, POVERTY, rid, "entered-in-error", NULL, false, 7);
    hub_expect_stored (&a);
    a = hub_status (f, F_ELDER, POVERTY, rid, "cancelled", NULL, true, 8);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_ILLEGAL_TRANSITION);
}

/* Every refusal of a status change: final, with a sentence, and nothing changes. */
static void
test_status_refusals (void **state)
{
    hub_fixture_t *f = *state;
    char rid[TSG_UUID_TEXT_SIZE] = "";
    tsg_hub_answer_t a =
        hub_referral (f, F_ELDER, POVERTY, CASE_A, TSUNAGU__V1__URGENCY__URGENCY_NORMAL, NULL, rid);
    hub_expect_stored (&a);
    size_t mail = hub_mailbox_kind (f, ELDER, 0);

    char unknown[TSG_UUID_TEXT_SIZE];
    tsg_uuid_new (unknown);
    a = hub_status (f, F_POVERTY, ELDER, unknown, "received", NULL, false, 1);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_UNKNOWN_REFERRAL);
    /* Neither party; and a party writing to someone other than the other party. */
    a = hub_status (f, F_CHILD, ELDER, rid, "received", NULL, false, 1);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED);
    a = hub_status (f, F_POVERTY, DISABILITY, rid, "received", NULL, false, 1);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED);
    /* Based on an old version: the detail names the current one. */
    a = hub_status (f, F_POVERTY, ELDER, rid, "received", NULL, false, 3);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_STALE_VERSION);
    assert_non_null (strstr (a.detail, "version 1 (requested)"));
    /* The table: skipping received, the wrong party, missing reason, outcome rules. */
    a = hub_status (f, F_POVERTY, ELDER, rid, "accepted", NULL, false, 1);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_ILLEGAL_TRANSITION);
    a = hub_status (f, F_ELDER, POVERTY, rid, "received", NULL, false, 1);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_ILLEGAL_TRANSITION);
    assert_non_null (strstr (a.detail, "only the recipient"));
    a = hub_status (f, F_ELDER, POVERTY, rid, "cancelled", NULL, false, 1);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_ILLEGAL_TRANSITION);
    assert_non_null (strstr (a.detail, "reason"));
    a = hub_status (f, F_POVERTY, ELDER, rid, "received", "got-help", false, 1);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_ILLEGAL_TRANSITION);
    a = hub_status (f, F_POVERTY, ELDER, rid, "finished", NULL, false, 1);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_ILLEGAL_TRANSITION);
    a = hub_status (f, F_POVERTY, ELDER, rid, "received", "very-good", false, 1);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_ILLEGAL_TRANSITION);

    tsg_hub_referral_t ref = hub_get_referral (f, rid);
    assert_int_equal (ref.state, TSG_REF_REQUESTED);
    assert_int_equal (ref.version, 1);
    assert_int_equal (hub_mailbox_kind (f, ELDER, 0), mail);
    /* Refusals took their sequence numbers, so the next letter goes through. */
    a = hub_status (f, F_POVERTY, ELDER, rid, "received", NULL, false, 1);
    hub_expect_stored (&a);
    /* The recipient cannot complete without an outcome, nor fail without a reason. */
    a = hub_status (f, F_POVERTY, ELDER, rid, "accepted", NULL, false, 2);
    hub_expect_stored (&a);
    a = hub_status (f, F_POVERTY, ELDER, rid, "completed", NULL, false, 3);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_ILLEGAL_TRANSITION);
    a = hub_status (f, F_POVERTY, ELDER, rid, "failed", "could-not-contact", false, 3);
    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_ILLEGAL_TRANSITION);
    assert_int_equal (hub_get_referral (f, rid).state, TSG_REF_ACCEPTED);
}

/* The resend of a refused status letter is answered exactly as the first time. */
static void
test_refusal_answered_again (void **state)
{
    hub_fixture_t *f = *state;
    char rid[TSG_UUID_TEXT_SIZE] = "";
    tsg_hub_answer_t a =
        hub_referral (f, F_ELDER, POVERTY, CASE_A, TSUNAGU__V1__URGENCY__URGENCY_NORMAL, NULL, rid);
    hub_expect_stored (&a);
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t id[16];
    tsg_letter_prepare (&letter, &header, id, TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS, POVERTY,
                        ELDER);
    header.referral_id = rid;
    header.status = (char *) "accepted";
    header.base_version = 1;
    letter.sequence = ++f->seq[F_POVERTY];
    uint8_t *frame = NULL;
    size_t len = 0;
    assert_int_equal (tsg_envelope_seal (&letter, f->keys[F_POVERTY], &frame, &len), TSG_OK);
    tsg_hub_answer_t first = hub_batch (f, F_POVERTY, frame, len);
    hub_expect_error (&first, TSUNAGU__V1__ERROR_CODE__ERROR_ILLEGAL_TRANSITION);
    tsg_hub_answer_t again = hub_batch (f, F_POVERTY, frame, len);
    hub_expect_error (&again, TSUNAGU__V1__ERROR_CODE__ERROR_ILLEGAL_TRANSITION);
    assert_string_equal (again.detail, first.detail);
    free (frame);
}

/* For every pair of states and both parties, the coordinator takes exactly the changes the
 * shared table allows (with a reason, and the outcome the target needs), and a refused one
 * leaves the referral as it was. */
static void
test_every_transition (void **state)
{
    hub_fixture_t *f = *state;
    char rid[TSG_UUID_TEXT_SIZE] = "";
    tsg_hub_answer_t a =
        hub_referral (f, F_ELDER, POVERTY, CASE_A, TSUNAGU__V1__URGENCY__URGENCY_NORMAL, NULL, rid);
    hub_expect_stored (&a);
    size_t legal = 0, refused = 0;
    for (int from = 0; from < TSG_REF_STATE_COUNT; from++)
        for (int to = 0; to < TSG_REF_STATE_COUNT; to++)
            for (int party = 0; party < 2; party++) {
                /* Put the referral in `from` directly, as if it had got there. */
                tsg_hub_referral_t before = hub_get_referral (f, rid), set = before;
                set.state = (tsg_ref_state_t) from;
                set.version = 5;
                tsg_txn_t txn;
                tsg_txn_begin (f->store, &txn, true);
                tsg_hub_referral_put (&txn, &before, &set);
                assert_int_equal (tsg_txn_commit (&txn), TSG_OK);

                bool completes = to == TSG_REF_COMPLETED || to == TSG_REF_FAILED;
                const char *outcome = completes ? "declined" : NULL;
                bool allowed =
                    tsg_ref_transition_check ((tsg_ref_state_t) from, (tsg_ref_state_t) to,
                                              (tsg_party_t) party, "given",
                                              completes ? TSG_OUTCOME_DECLINED : TSG_OUTCOME_NONE)
                    == NULL;
                int by = party == TSG_PARTY_SENDER ? F_ELDER : F_POVERTY;
                const char *other = party == TSG_PARTY_SENDER ? POVERTY : ELDER;
                a = hub_status (f, by, other, rid, tsg_ref_state_name ((tsg_ref_state_t) to),
                                outcome, true, 5);
                tsg_hub_referral_t after = hub_get_referral (f, rid);
                if (allowed) {
                    hub_expect_stored (&a);
                    assert_int_equal (after.state, to);
                    assert_int_equal (after.version, 6);
                    legal++;
                }
                else {
                    hub_expect_error (&a, TSUNAGU__V1__ERROR_CODE__ERROR_ILLEGAL_TRANSITION);
                    assert_int_equal (after.state, from);
                    assert_int_equal (after.version, 5);
                    refused++;
                }
            }
    assert_true (legal > 20);
    assert_true (refused > 100);
}

/* What the overdue lists say at a moment. */
static size_t
s_overdue (hub_fixture_t *f, tsg_hub_due_kind_t kind)
{
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    size_t n = tsg_hub_due_count (&txn, kind, hub_now);
    json_t *view = tsg_hub_view_overdue (&txn, kind, hub_now, 100);
    assert_int_equal (json_integer_value (json_object_get (view, "count")), n);
    assert_int_equal (json_array_size (json_object_get (view, "referrals")), n);
    json_decref (view);
    tsg_txn_abort (&txn);
    return n;
}

/* Overdue for received and for accepted appear when their time passes (the clock is
 * injected) and disappear as the referral moves on. */
static void
test_due_index (void **state)
{
    hub_fixture_t *f = *state;
    char first[TSG_UUID_TEXT_SIZE] = "", second[TSG_UUID_TEXT_SIZE] = "";
    tsg_hub_answer_t a = hub_referral (f, F_ELDER, POVERTY, CASE_A,
                                       TSUNAGU__V1__URGENCY__URGENCY_NORMAL, NULL, first);
    hub_expect_stored (&a);
    a = hub_referral (f, F_ELDER, DISABILITY, CASE_B, TSUNAGU__V1__URGENCY__URGENCY_NORMAL, NULL,
                      second);
    hub_expect_stored (&a);
    assert_int_equal (s_overdue (f, TSG_HUB_DUE_RECEIVED), 0);
    assert_int_equal (s_overdue (f, TSG_HUB_DUE_ACCEPTED), 0);

    /* The day after tomorrow: neither has been received. */
    hub_now = s_end_of_day (1) + 1;
    assert_int_equal (s_overdue (f, TSG_HUB_DUE_RECEIVED), 2);
    assert_int_equal (s_overdue (f, TSG_HUB_DUE_ACCEPTED), 0);
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    size_t cases = 0;
    tsg_hub_case_id_t *overdue = tsg_hub_cases_overdue (&txn, hub_now, &cases);
    tsg_txn_abort (&txn);
    assert_int_equal (cases, 2);
    assert_true (tsg_hub_cases_overdue_has (overdue, cases, CASE_A));
    free (overdue);

    /* poverty acknowledges: off the received list, on no list until its response is due. */
    a = hub_status (f, F_POVERTY, ELDER, first, "received", NULL, false, 1);
    hub_expect_stored (&a);
    assert_int_equal (s_overdue (f, TSG_HUB_DUE_RECEIVED), 1);
    tsg_hub_referral_t ref = hub_get_referral (f, first);
    assert_false (tsg_hub_referral_overdue (&ref, TSG_HUB_DUE_RECEIVED, hub_now));

    /* Past poverty's 7 days: overdue for accepted; disability (10 days) still not. */
    hub_now = s_end_of_day (7) + 1;
    assert_int_equal (s_overdue (f, TSG_HUB_DUE_ACCEPTED), 1);
    ref = hub_get_referral (f, first);
    assert_true (tsg_hub_referral_overdue (&ref, TSG_HUB_DUE_ACCEPTED, hub_now));
    hub_now = s_end_of_day (10) + 1;
    assert_int_equal (s_overdue (f, TSG_HUB_DUE_ACCEPTED), 2);

    /* Accepting takes it off; cancelling a requested one takes it off both lists. */
    a = hub_status (f, F_POVERTY, ELDER, first, "accepted", NULL, false, 2);
    hub_expect_stored (&a);
    assert_int_equal (s_overdue (f, TSG_HUB_DUE_ACCEPTED), 1);
    a = hub_status (f, F_ELDER, DISABILITY, second, "cancelled", NULL, true, 1);
    hub_expect_stored (&a);
    assert_int_equal (s_overdue (f, TSG_HUB_DUE_RECEIVED), 0);
    assert_int_equal (s_overdue (f, TSG_HUB_DUE_ACCEPTED), 0);
    tsg_txn_begin (f->store, &txn, false);
    assert_int_equal (tsg_txn_count (&txn, tsg_store_db (f->store, TSG_HUB_DB_DUE)), 0);
    tsg_txn_abort (&txn);
    assert_int_equal (hub_stat (f, TSG_HUB_STAT_REF_ACCEPTED_COUNT), 1);
}

int
main (void)
{
    log_init ("test_hub_referrals", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_referral_recorded, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_status_walk, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_status_refusals, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_refusal_answered_again, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_every_transition, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_due_index, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
