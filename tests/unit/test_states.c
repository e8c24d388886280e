/* test_states.c — every legal referral and case transition, and every illegal one, against the
 * spec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <time.h>

#include "test_helpers.h"

/* The spec (DESIGN §4) restated independently of the implementation's table:
 * each line is from, to, who may do it. */
typedef struct {
    tsg_ref_state_t from, to;
    tsg_party_t by;
} legal_t;

#define S TSG_PARTY_SENDER
#define R TSG_PARTY_RECIPIENT

static const legal_t s_legal[] = {
    { TSG_REF_REQUESTED, TSG_REF_RECEIVED, R },    { TSG_REF_REQUESTED, TSG_REF_CANCELLED, S },
    { TSG_REF_RECEIVED, TSG_REF_ACCEPTED, R },     { TSG_REF_RECEIVED, TSG_REF_REJECTED, R },
    { TSG_REF_RECEIVED, TSG_REF_CANCELLED, S },    { TSG_REF_ACCEPTED, TSG_REF_IN_PROGRESS, R },
    { TSG_REF_ACCEPTED, TSG_REF_ON_HOLD, R },      { TSG_REF_ACCEPTED, TSG_REF_COMPLETED, R },
    { TSG_REF_ACCEPTED, TSG_REF_FAILED, R },       { TSG_REF_ACCEPTED, TSG_REF_CANCELLED, S },
    { TSG_REF_IN_PROGRESS, TSG_REF_ON_HOLD, R },   { TSG_REF_ON_HOLD, TSG_REF_IN_PROGRESS, R },
    { TSG_REF_IN_PROGRESS, TSG_REF_COMPLETED, R }, { TSG_REF_IN_PROGRESS, TSG_REF_FAILED, R },
    { TSG_REF_IN_PROGRESS, TSG_REF_CANCELLED, S }, { TSG_REF_ON_HOLD, TSG_REF_COMPLETED, R },
    { TSG_REF_ON_HOLD, TSG_REF_FAILED, R },        { TSG_REF_ON_HOLD, TSG_REF_CANCELLED, S },
};

static bool
s_is_legal (tsg_ref_state_t from, tsg_ref_state_t to, tsg_party_t by)
{
    if (to == TSG_REF_ENTERED_IN_ERROR)
        return by == S && from != TSG_REF_ENTERED_IN_ERROR;
    for (size_t i = 0; i < sizeof s_legal / sizeof s_legal[0]; i++)
        if (s_legal[i].from == from && s_legal[i].to == to && s_legal[i].by == by)
            return true;
    return false;
}

/* The reason and outcome that make entering `to` valid. */
static void
s_valid_extras (tsg_ref_state_t to, const char **reason, tsg_outcome_t *outcome)
{
    *reason = (to == TSG_REF_REJECTED || to == TSG_REF_CANCELLED || to == TSG_REF_FAILED
               || to == TSG_REF_ON_HOLD)
                  ? "本人と連絡が取れないため"
                  : NULL;
    *outcome = to == TSG_REF_COMPLETED ? TSG_OUTCOME_GOT_HELP
               : to == TSG_REF_FAILED  ? TSG_OUTCOME_COULD_NOT_CONTACT
                                       : TSG_OUTCOME_NONE;
}

static void
test_every_referral_transition (void **state)
{
    (void) state;
    int legal = 0;
    for (int from = 0; from < TSG_REF_STATE_COUNT; from++)
        for (int to = 0; to < TSG_REF_STATE_COUNT; to++)
            for (int by = S; by <= R; by++) {
                const char *reason;
                tsg_outcome_t outcome;
                s_valid_extras (to, &reason, &outcome);
                const char *why = tsg_ref_transition_check (from, to, by, reason, outcome);
                if (s_is_legal (from, to, by)) {
                    if (why)
                        fail_msg ("%s → %s by %s refused: %s", tsg_ref_state_name (from),
                                  tsg_ref_state_name (to), by == S ? "sender" : "recipient", why);
                    legal++;
                }
                else if (!why)
                    fail_msg ("%s → %s by %s allowed", tsg_ref_state_name (from),
                              tsg_ref_state_name (to), by == S ? "sender" : "recipient");
            }
    assert_int_equal (legal, 18 + 9); /* the table plus entered-in-error from nine states */
}

static void
test_reasons_and_outcomes (void **state)
{
    (void) state;
    assert_string_equal (
        tsg_ref_transition_check (TSG_REF_RECEIVED, TSG_REF_REJECTED, R, NULL, TSG_OUTCOME_NONE),
        "a reason is required for this state");
    assert_string_equal (
        tsg_ref_transition_check (TSG_REF_RECEIVED, TSG_REF_REJECTED, R, "", TSG_OUTCOME_NONE),
        "a reason is required for this state");
    assert_string_equal (
        tsg_ref_transition_check (TSG_REF_ACCEPTED, TSG_REF_ON_HOLD, R, NULL, TSG_OUTCOME_NONE),
        "a reason is required for this state");
    assert_string_equal (tsg_ref_transition_check (TSG_REF_IN_PROGRESS, TSG_REF_COMPLETED, R, NULL,
                                                   TSG_OUTCOME_NONE),
                         "an outcome code is required for this state");
    assert_string_equal (tsg_ref_transition_check (TSG_REF_IN_PROGRESS, TSG_REF_FAILED, R, NULL,
                                                   TSG_OUTCOME_DECLINED),
                         "a reason is required for this state");
    assert_string_equal (
        tsg_ref_transition_check (TSG_REF_IN_PROGRESS, TSG_REF_FAILED, R, "辞退", TSG_OUTCOME_NONE),
        "an outcome code is required for this state");
    assert_string_equal (tsg_ref_transition_check (TSG_REF_RECEIVED, TSG_REF_ACCEPTED, R, NULL,
                                                   TSG_OUTCOME_GOT_HELP),
                         "an outcome code is only for completed or failed");
    assert_string_equal (
        tsg_ref_transition_check (TSG_REF_REQUESTED, TSG_REF_RECEIVED, S, NULL, TSG_OUTCOME_NONE),
        "only the recipient may make this change");
    assert_string_equal (
        tsg_ref_transition_check (TSG_REF_ACCEPTED, TSG_REF_CANCELLED, R, "x", TSG_OUTCOME_NONE),
        "only the sender may make this change");
    assert_string_equal (tsg_ref_transition_check (TSG_REF_COMPLETED, TSG_REF_IN_PROGRESS, R, NULL,
                                                   TSG_OUTCOME_NONE),
                         "this change of state is not allowed");
    assert_non_null (tsg_ref_transition_check (TSG_REF_STATE_COUNT, TSG_REF_RECEIVED, R, NULL,
                                               TSG_OUTCOME_NONE));
}

static void
test_names_round_trip (void **state)
{
    (void) state;
    for (int s = 0; s < TSG_REF_STATE_COUNT; s++) {
        tsg_ref_state_t back;
        assert_true (tsg_ref_state_parse (tsg_ref_state_name (s), &back));
        assert_int_equal (back, s);
        assert_non_null (tsg_ref_state_label_ja (s));
    }
    for (int o = 1; o < TSG_OUTCOME_COUNT; o++) {
        tsg_outcome_t back;
        assert_true (tsg_outcome_parse (tsg_outcome_name (o), &back));
        assert_int_equal (back, o);
    }
    tsg_ref_state_t st;
    tsg_outcome_t oc;
    assert_false (tsg_ref_state_parse ("done", &st));
    assert_false (tsg_outcome_parse (NULL, &oc));
    assert_true (tsg_ref_state_terminal (TSG_REF_COMPLETED));
    assert_false (tsg_ref_state_terminal (TSG_REF_ON_HOLD));
    for (int s = 0; s < TSG_CASE_STATE_COUNT; s++) {
        tsg_case_state_t back;
        assert_true (tsg_case_state_parse (tsg_case_state_name (s), &back));
        assert_int_equal (back, s);
    }
}

static void
test_case_lifecycle (void **state)
{
    (void) state;
    /* The seeds' flow, 相談 → 終結, is a legal path. */
    const tsg_case_state_t path[] = { TSG_CASE_OPEN,       TSG_CASE_MULTI_AGENCY,
                                      TSG_CASE_ASSESSMENT, TSG_CASE_PLANNING,
                                      TSG_CASE_CONFERENCE, TSG_CASE_SUPPORT,
                                      TSG_CASE_MONITORING, TSG_CASE_CLOSED };
    for (size_t i = 1; i < sizeof path / sizeof path[0]; i++)
        assert_null (tsg_case_transition_check (path[i - 1], path[i], "目標達成"));
    assert_string_equal (tsg_case_transition_check (TSG_CASE_SUPPORT, TSG_CASE_CLOSED, NULL),
                         "closing a case needs a reason");
    assert_string_equal (tsg_case_transition_check (TSG_CASE_CLOSED, TSG_CASE_OPEN, ""),
                         "reopening a case needs a reason");
    assert_null (tsg_case_transition_check (TSG_CASE_CLOSED, TSG_CASE_OPEN, "再相談"));
    assert_string_equal (tsg_case_transition_check (TSG_CASE_CLOSED, TSG_CASE_SUPPORT, "x"),
                         "this change of case state is not allowed");
    assert_string_equal (tsg_case_transition_check (TSG_CASE_OPEN, TSG_CASE_SUPPORT, NULL),
                         "this change of case state is not allowed");
    assert_string_equal (tsg_case_transition_check (TSG_CASE_WATCH, TSG_CASE_WATCH, NULL),
                         "the case is already in this state");
    /* Watch (見守り) can be entered from every active state and left back into support. */
    for (int s = TSG_CASE_OPEN; s <= TSG_CASE_MONITORING; s++)
        assert_null (tsg_case_transition_check (s, TSG_CASE_WATCH, NULL));
    assert_null (tsg_case_transition_check (TSG_CASE_WATCH, TSG_CASE_SUPPORT, NULL));
}

static uint64_t
s_jst (int year, int month, int day, int hour, int minute)
{
    struct tm tm = { .tm_year = year - 1900,
                     .tm_mon = month - 1,
                     .tm_mday = day,
                     .tm_hour = hour,
                     .tm_min = minute };
    return ((uint64_t) timegm (&tm) - 9 * 3600) * 1000;
}

static void
test_due_dates (void **state)
{
    (void) state;
    uint64_t receive, response;
    /* Monday 23 Nov 2026, 10:00 JST; eldercare (7 days), normal. */
    uint64_t created = s_jst (2026, 11, 23, 10, 0);
    tsg_due_dates (created, 1, 7, 0, &receive, &response);
    assert_int_equal (receive, s_jst (2026, 11, 24, 23, 59) + 59999);
    assert_int_equal (response, s_jst (2026, 11, 30, 23, 59) + 59999);
    /* 23:30 JST is already the next UTC day's morning in Japan terms: the JST date counts. */
    created = s_jst (2026, 11, 23, 23, 30);
    tsg_due_dates (created, 1, 7, 0, &receive, &response);
    assert_int_equal (receive, s_jst (2026, 11, 24, 23, 59) + 59999);
    /* High urgency halves (rounded up); emergency: today and tomorrow. */
    tsg_due_dates (created, 1, 7, 1, &receive, &response);
    assert_int_equal (response, s_jst (2026, 11, 27, 23, 59) + 59999);
    tsg_due_dates (created, 1, 14, 2, &receive, &response);
    assert_int_equal (receive, s_jst (2026, 11, 23, 23, 59) + 59999);
    assert_int_equal (response, s_jst (2026, 11, 24, 23, 59) + 59999);
    /* Zero days mean the defaults. */
    tsg_due_dates (created, 0, 0, 0, &receive, &response);
    assert_int_equal (response, s_jst (2026, 11, 30, 23, 59) + 59999);
    assert_int_equal (tsg_type_response_due_days ("disability"), 14);
    assert_int_equal (tsg_type_response_due_days ("child"), 3);
    assert_int_equal (tsg_type_response_due_days ("unknown"), 7);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_every_referral_transition),
        cmocka_unit_test (test_reasons_and_outcomes),
        cmocka_unit_test (test_names_round_trip),
        cmocka_unit_test (test_case_lifecycle),
        cmocka_unit_test (test_due_dates),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
