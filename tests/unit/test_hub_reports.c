/* test_hub_reports.c — the figures the municipality reports (model/reports.h): real letters
 * through the intake move the monthly figures in the same transaction; a period takes exactly
 * its months; the whole history adds up to /v1/stats; the median and 90th percentile read from
 * the histograms are within their stated precision; a store that predates the figures says
 * since when it has them; GET /v1/reports checks its period; and the CSV is the bytes Excel
 * opens (BOM, CRLF, Japanese headers, RFC 4180 quoting, CP932 on request). */
#include "test_hub_fixture.h"

#include <iconv.h>
#include <jansson.h>
#include <sodium.h>

#include "coordinator/api/api.h"
#include "coordinator/model/reports.h"
#include "coordinator/model/stats.h"
#include "coordinator/model/store.h"
#include "coordinator/model/views.h"
#include "coordinator/web/report_csv.h"

#define CASE_A    "2f7c6e5a-3d4b-4c8f-a01e-9b3c4d5e6f70"
#define CASE_B    "3a8d7f6b-4e5c-4d9a-b12f-0c4d5e6f7a81"
#define CASE_C    "4b9e8a7c-5f6d-4eab-823a-1d5e6f7a8b92"
#define CASE_D    "5caf9b8d-6a7e-4fbc-934b-2e6f7a8b9ca3"
#define CONSENT_1 "c1000000-0000-4000-8000-000000000001"

/* 2^(1/16): how far a quantile may be from the true duration (reports.h). */
#define PRECISION 1.0443

static int
s_setup (void **state)
{
    *state = hub_fixture_new ("hub-reports");
    return 0;
}

static int
s_teardown (void **state)
{
    hub_fixture_t *f = *state;
    hub_fixture_destroy (&f);
    return 0;
}

/* A referral that must be stored; its id into rid (when given). */
static void
s_refer (hub_fixture_t *f, int from, const char *to, const char *case_id, char *rid)
{
    char id[TSG_UUID_TEXT_SIZE] = "";
    tsg_hub_answer_t a =
        hub_referral (f, from, to, case_id, TSUNAGU__V1__URGENCY__URGENCY_NORMAL, NULL, id);
    hub_expect_stored (&a);
    if (rid)
        memcpy (rid, id, sizeof id);
}

static void
s_status (hub_fixture_t *f, int from, const char *to, const char *rid, const char *status,
          uint64_t base)
{
    tsg_hub_answer_t a = hub_status (f, from, to, rid, status, NULL, false, base);
    hub_expect_stored (&a);
}

static uint64_t
s_version (hub_fixture_t *f, const char *case_id)
{
    tsg_hub_case_t *c = hub_get_case (f, case_id);
    uint64_t v = c->version;
    free (c);
    return v;
}

/* A meeting of kind held_on on case_id, recorded by `from`. */
static void
s_meeting (hub_fixture_t *f, int from, const char *case_id, int kind, const char *held_on)
{
    char *attendees[] = { (char *) tsg_keys_id (f->keys[from]) };
    Tsunagu__V1__Meeting meeting = TSUNAGU__V1__MEETING__INIT;
    meeting.kind = (Tsunagu__V1__MeetingKind) kind;
    meeting.held_on = (char *) held_on;
    meeting.attendees = attendees;
    meeting.n_attendees = 1;
    meeting.decision = (char *) "continue";
    Tsunagu__V1__CaseEvent m = TSUNAGU__V1__CASE_EVENT__INIT;
    m.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_MEETING;
    m.meeting = &meeting;
    tsg_hub_answer_t a =
        hub_case_event (f, from, case_id, s_version (f, case_id), &m, false, NULL, 0, NULL);
    hub_expect_stored (&a);
}

static void
s_plan (hub_fixture_t *f, int from, const char *case_id)
{
    Tsunagu__V1__PlanRole role = TSUNAGU__V1__PLAN_ROLE__INIT;
    Tsunagu__V1__PlanRole *roles[] = { &role };
    role.agency_id = (char *) tsg_keys_id (f->keys[from]);
    role.role = (char *) "見守り訪問";
    Tsunagu__V1__Plan plan = TSUNAGU__V1__PLAN__INIT;
    plan.roles = roles;
    plan.n_roles = 1;
    Tsunagu__V1__CaseEvent p = TSUNAGU__V1__CASE_EVENT__INIT;
    p.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_PLAN;
    p.plan = &plan;
    tsg_hub_answer_t a =
        hub_case_event (f, from, case_id, s_version (f, case_id), &p, false, NULL, 0, NULL);
    hub_expect_stored (&a);
}

/* Closes case_id for reason, or reopens it when reason is NULL. */
static void
s_close (hub_fixture_t *f, int from, const char *case_id, const char *reason)
{
    Tsunagu__V1__CaseEvent ev = TSUNAGU__V1__CASE_EVENT__INIT;
    ev.type = reason ? TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_CLOSE
                     : TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_REOPEN;
    ev.close_reason = (char *) reason;
    tsg_hub_answer_t a =
        hub_case_event (f, from, case_id, s_version (f, case_id), &ev, true, NULL, 0, NULL);
    hub_expect_stored (&a);
}

static json_t *
s_report (hub_fixture_t *f, const char *from, const char *to)
{
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    json_t *report = tsg_hub_view_report (&txn, from, to, hub_now);
    assert_int_equal (txn.rc, TSG_OK);
    tsg_txn_abort (&txn);
    assert_non_null (report);
    return report;
}

static json_t *
s_stats (hub_fixture_t *f)
{
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    json_t *stats = tsg_hub_view_stats (&txn, hub_now);
    tsg_txn_abort (&txn);
    assert_non_null (stats);
    return stats;
}

/* The integer at a path of object keys, ended by NULL. */
static json_int_t
s_int (const json_t *root, ...)
{
    va_list ap;
    va_start (ap, root);
    const json_t *node = root;
    for (const char *key = va_arg (ap, const char *); key; key = va_arg (ap, const char *))
        node = json_object_get (node, key);
    va_end (ap);
    if (!json_is_integer (node))
        fail_msg ("not an integer where one was expected");
    return json_integer_value (node);
}

/* A time figure: its count, and its median within the stated precision of hours. */
static void
s_expect_time (const json_t *report, const char *figure, const char *type, json_int_t count,
               double median_hours)
{
    const json_t *t =
        json_object_get (json_object_get (json_object_get (report, "times"), figure), type);
    assert_non_null (t);
    assert_int_equal (json_integer_value (json_object_get (t, "count")), count);
    const json_t *median = json_object_get (t, "median_hours");
    if (count == 0) {
        assert_true (json_is_null (median));
        return;
    }
    double got = json_real_value (median);
    if (got < median_hours / PRECISION - 0.01 || got > median_hours * PRECISION + 0.01)
        fail_msg ("%s/%s median %.2f h, expected about %.2f h", figure, type, got, median_hours);
}

/* The walk of three months that the tests below read: four cases, five referrals (one an
 * emergency report), receipts, meetings, a plan, two closures and a reopening.
 *   2026-11: A (elder→disability, disability→poverty), B (child→elder); r1 received after 2 h
 *            and accepted after 5 h, r3 received after 3 h; 支援会議 on A and B on 11-30, a
 *            コア会議 on A on 11-25.
 *   2026-12: A's plan after 10 days; C (poverty→child); D (elder→child, an abuse report); A
 *            closed goal-achieved after 12 days.
 *   2027-01: A reopened; B closed moved-away after 40 days. */
static void
s_walk (hub_fixture_t *f)
{
    char r1[TSG_UUID_TEXT_SIZE], r3[TSG_UUID_TEXT_SIZE];
    hub_now = T0;
    s_refer (f, F_ELDER, DISABILITY, CASE_A, r1);
    s_refer (f, F_DISABILITY, POVERTY, CASE_A, NULL);
    s_refer (f, F_CHILD, ELDER, CASE_B, r3);
    hub_now = T0 + 2 * HOUR_MS;
    s_status (f, F_DISABILITY, ELDER, r1, "received", 1);
    hub_now = T0 + 3 * HOUR_MS;
    s_status (f, F_ELDER, CHILD, r3, "received", 1);
    hub_now = T0 + 5 * HOUR_MS;
    s_status (f, F_DISABILITY, ELDER, r1, "accepted", 2);
    s_meeting (f, F_ELDER, CASE_A, TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN, "2026-11-30");
    s_meeting (f, F_ELDER, CASE_B, TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN, "2026-11-30");
    s_meeting (f, F_ELDER, CASE_A, TSUNAGU__V1__MEETING_KIND__MEETING_CORE, "2026-11-25");

    hub_now = T0 + 10 * DAY_MS;
    s_plan (f, F_ELDER, CASE_A);
    s_refer (f, F_POVERTY, CHILD, CASE_C, NULL);
    kit_basis_t report = { .basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_EMERGENCY,
                           .categories = { "identity", "health", "family" },
                           .urgency = TSUNAGU__V1__URGENCY__URGENCY_EMERGENCY,
                           .urgent = true };
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_referral (f, F_ELDER, CHILD, CASE_D, &report, NULL, NULL, NULL, NULL) });
    hub_now = T0 + 12 * DAY_MS;
    s_close (f, F_ELDER, CASE_A, "goal-achieved");

    hub_now = T0 + 40 * DAY_MS;
    s_close (f, F_DISABILITY, CASE_A, NULL);
    s_close (f, F_CHILD, CASE_B, "moved-away");
}

/* Each figure of the three months, and the period of all three. */
static void
test_figures_of_each_month (void **state)
{
    hub_fixture_t *f = *state;
    s_walk (f);
    json_t *r = s_report (f, "2026-11", "2027-01");
    assert_string_equal (json_string_value (json_object_get (r, "from")), "2026-11");
    assert_string_equal (json_string_value (json_object_get (r, "to")), "2027-01");
    assert_string_equal (json_string_value (json_object_get (r, "since")), "2026-11");
    assert_int_equal (s_int (r, "consultations", NULL), 5);
    assert_int_equal (s_int (r, "cases_opened", NULL), 4);
    assert_int_equal (s_int (r, "referral_matrix", "eldercare", "disability", NULL), 1);
    assert_int_equal (s_int (r, "referral_matrix", "disability", "poverty", NULL), 1);
    assert_int_equal (s_int (r, "referral_matrix", "child", "eldercare", NULL), 1);
    assert_int_equal (s_int (r, "referral_matrix", "poverty", "child", NULL), 1);
    assert_int_equal (s_int (r, "referral_matrix", "eldercare", "child", NULL), 1);
    assert_int_equal (s_int (r, "referral_matrix", "child", "child", NULL), 0);
    s_expect_time (r, "to_received", "disability", 1, 2);
    s_expect_time (r, "to_received", "eldercare", 1, 3);
    s_expect_time (r, "to_received", "all", 2, 2);
    s_expect_time (r, "to_accepted", "disability", 1, 5);
    s_expect_time (r, "to_accepted", "poverty", 0, 0);
    s_expect_time (r, "to_plan", "eldercare", 1, 240);
    s_expect_time (r, "to_closure", "eldercare", 1, 288);
    s_expect_time (r, "to_closure", "child", 1, 960);
    s_expect_time (r, "to_closure", "all", 2, 288);
    assert_int_equal (s_int (r, "closures", "goal-achieved", NULL), 1);
    assert_int_equal (s_int (r, "closures", "moved-away", NULL), 1);
    assert_int_equal (s_int (r, "closures", "died", NULL), 0);
    assert_int_equal (s_int (r, "reopened", NULL), 1);
    assert_true (json_real_value (json_object_get (r, "reopen_rate")) == 0.5);
    assert_int_equal (s_int (r, "meetings", "shien", "held", NULL), 1);
    assert_int_equal (s_int (r, "meetings", "shien", "cases", NULL), 2);
    assert_int_equal (s_int (r, "meetings", "core", "held", NULL), 1);
    assert_int_equal (s_int (r, "meetings", "core", "cases", NULL), 1);
    assert_int_equal (s_int (r, "meetings", "jusoteki", "cases", NULL), 0);
    assert_int_equal (s_int (r, "emergency", NULL), 1);
    assert_int_equal (s_int (r, "withheld", NULL), 0);
    json_decref (r);

    /* Each month alone holds exactly its own. */
    r = s_report (f, "2026-11", "2026-11");
    assert_int_equal (s_int (r, "consultations", NULL), 3);
    assert_int_equal (s_int (r, "cases_opened", NULL), 2);
    s_expect_time (r, "to_received", "all", 2, 2);
    s_expect_time (r, "to_plan", "all", 0, 0);
    assert_int_equal (s_int (r, "closures", "goal-achieved", NULL), 0);
    assert_int_equal (s_int (r, "meetings", "shien", "cases", NULL), 2);
    assert_int_equal (s_int (r, "emergency", NULL), 0);
    assert_true (json_is_null (json_object_get (r, "reopen_rate")));
    json_decref (r);
    r = s_report (f, "2026-12", "2026-12");
    assert_int_equal (s_int (r, "consultations", NULL), 2);
    assert_int_equal (s_int (r, "cases_opened", NULL), 2);
    s_expect_time (r, "to_received", "all", 0, 0);
    s_expect_time (r, "to_plan", "eldercare", 1, 240);
    s_expect_time (r, "to_closure", "all", 1, 288);
    assert_int_equal (s_int (r, "closures", "goal-achieved", NULL), 1);
    assert_int_equal (s_int (r, "reopened", NULL), 0);
    assert_int_equal (s_int (r, "meetings", "shien", "cases", NULL), 0);
    assert_int_equal (s_int (r, "emergency", NULL), 1);
    json_decref (r);
    r = s_report (f, "2027-01", "2027-03");
    assert_int_equal (s_int (r, "consultations", NULL), 0);
    assert_int_equal (s_int (r, "reopened", NULL), 1);
    assert_int_equal (s_int (r, "closures", "moved-away", NULL), 1);
    s_expect_time (r, "to_closure", "child", 1, 960);
    assert_true (json_real_value (json_object_get (r, "reopen_rate")) == 1.0);
    json_decref (r);
    /* Before anything happened: zeros, and since says when the figures begin. */
    r = s_report (f, "2025-01", "2026-10");
    assert_int_equal (s_int (r, "consultations", NULL), 0);
    assert_int_equal (s_int (r, "meetings", "shien", "held", NULL), 0);
    assert_string_equal (json_string_value (json_object_get (r, "since")), "2026-11");
    json_decref (r);
}

/* Over the whole history the totals are /v1/stats's. */
static void
test_totals_equal_stats (void **state)
{
    hub_fixture_t *f = *state;
    s_walk (f);
    json_t *r = s_report (f, "2016-01", "2025-12");
    assert_int_equal (s_int (r, "consultations", NULL), 0);
    json_decref (r);
    r = s_report (f, "2017-02", "2027-01"); /* 120 months, the longest */
    json_t *stats = s_stats (f);
    assert_int_equal (s_int (r, "consultations", NULL),
                      s_int (stats, "referrals", "created", NULL));
    assert_int_equal (s_int (r, "cases_opened", NULL), s_int (stats, "cases", "opened", NULL));
    assert_int_equal (s_int (r, "reopened", NULL), s_int (stats, "cases", "reopened", NULL));
    json_int_t closures = 0;
    const char *reason;
    json_t *n;
    json_object_foreach (json_object_get (r, "closures"), reason, n) closures +=
        json_integer_value (n);
    assert_int_equal (closures, s_int (stats, "cases", "closed", NULL));
    assert_true (
        json_real_value (json_object_get (r, "reopen_rate"))
        == json_real_value (json_object_get (json_object_get (stats, "cases"), "reopen_rate")));
    assert_int_equal (s_int (r, "times", "to_received", "all", "count", NULL),
                      s_int (stats, "referrals", "to_received", "count", NULL));
    assert_int_equal (s_int (r, "times", "to_accepted", "all", "count", NULL),
                      s_int (stats, "referrals", "to_accepted", "count", NULL));
    assert_int_equal (s_int (r, "times", "to_plan", "all", "count", NULL),
                      s_int (stats, "cases", "to_plan", "count", NULL));
    assert_int_equal (s_int (r, "times", "to_closure", "all", "count", NULL),
                      s_int (stats, "cases", "to_closure", "count", NULL));
    json_int_t matrix = 0;
    const char *sender;
    json_t *row;
    json_object_foreach (json_object_get (r, "referral_matrix"), sender, row)
    {
        const char *recipient;
        json_object_foreach (row, recipient, n) matrix += json_integer_value (n);
    }
    assert_int_equal (matrix, s_int (stats, "referrals", "created", NULL));
    assert_int_equal (s_int (r, "emergency", NULL), (json_int_t) hub_stat (f, TSG_HUB_STAT_ALERTS));
    json_decref (stats);
    json_decref (r);
}

/* The median and 90th percentile of known durations, within 2^(1/16); and the buckets' own
 * precision over a minute to two years. */
static void
test_quantiles_of_known_durations (void **state)
{
    hub_fixture_t *f = *state;
    char ids[10][TSG_UUID_TEXT_SIZE];
    for (int k = 0; k < 10; k++) {
        char case_id[TSG_UUID_TEXT_SIZE];
        tsg_uuid_new (case_id);
        s_refer (f, F_ELDER, POVERTY, case_id, ids[k]);
    }
    /* Received after 10, 9, ..., 1 hours: in an order of their own. */
    for (int k = 9; k >= 0; k--) {
        hub_now = T0 + (uint64_t) (10 - k) * HOUR_MS;
        s_status (f, F_POVERTY, ELDER, ids[k], "received", 1);
    }
    json_t *r = s_report (f, "2026-11", "2026-11");
    const json_t *t =
        json_object_get (json_object_get (json_object_get (r, "times"), "to_received"), "poverty");
    assert_int_equal (json_integer_value (json_object_get (t, "count")), 10);
    double median = json_real_value (json_object_get (t, "median_hours"));
    double p90 = json_real_value (json_object_get (t, "p90_hours"));
    if (median < 5 / PRECISION || median > 5 * PRECISION)
        fail_msg ("median %.2f h, expected 5 h within 4.4%%", median);
    if (p90 < 9 / PRECISION || p90 > 9 * PRECISION)
        fail_msg ("p90 %.2f h, expected 9 h within 4.4%%", p90);
    json_decref (r);

    for (double ms = 61000; ms < 1400.0 * DAY_MS; ms *= 1.07) {
        double hours = tsg_hub_report_bucket_hours (tsg_hub_report_bucket ((uint64_t) ms));
        double ratio = hours * 3600000.0 / ms;
        if (ratio > PRECISION || ratio < 1 / PRECISION)
            fail_msg ("%.0f ms reads as %.4f h", ms, hours);
    }
    assert_int_equal (tsg_hub_report_bucket (0), 0);
    assert_int_equal (tsg_hub_report_bucket (59999), 0);
    assert_int_equal (tsg_hub_report_bucket (60000), 1);
    assert_int_equal (tsg_hub_report_bucket (UINT64_MAX), TSG_HUB_REPORT_BUCKETS - 1);
    uint64_t counts[TSG_HUB_REPORT_BUCKETS] = { 0 };
    counts[3] = 2;
    assert_true (tsg_hub_report_rank_hours (counts, 2) == tsg_hub_report_bucket_hours (3));
    assert_true (tsg_hub_report_rank_hours (counts, 3) < 0);
}

/* A withheld letter and an emergency report count in their month; a quota alert does not. */
static void
test_withheld_and_emergency (void **state)
{
    hub_fixture_t *f = *state;
    s_refer (f, F_ELDER, POVERTY, CASE_A, NULL);
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_grant (f, F_ELDER, CASE_A, CONSENT_1, POVERTY, NULL, NULL, NULL) });
    kit_basis_t under = { .basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT,
                          .consent_id = CONSENT_1,
                          .categories = { "identity", "finances" } };
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_referral (f, F_ELDER, POVERTY, CASE_A, &under, NULL, NULL, NULL, NULL) });
    hub_now = T0 + 10 * DAY_MS;
    tsg_hub_answer_t a = hub_consent_revoke (f, F_ELDER, CONSENT_1, CASE_A, NULL, 0, NULL);
    hub_expect_stored (&a);
    assert_int_equal (hub_stat (f, "letters.withheld"), 1);

    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, true);
    tsg_hub_alert_t quota = { .at_ms = hub_now };
    snprintf (quota.kind, sizeof quota.kind, "quota");
    tsg_hub_alert_add (&txn, &quota);
    tsg_hub_alert_t emergency = { .at_ms = hub_now };
    tsg_hub_alert_add (&txn, &emergency);
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);

    json_t *r = s_report (f, "2026-12", "2026-12");
    assert_int_equal (s_int (r, "withheld", NULL), 1);
    assert_int_equal (s_int (r, "emergency", NULL), 1);
    json_decref (r);
    r = s_report (f, "2026-11", "2026-11");
    assert_int_equal (s_int (r, "withheld", NULL), 0);
    assert_int_equal (s_int (r, "consultations", NULL), 2);
    json_decref (r);
}

/* A store kept before the figures existed: nothing invented, since names the first month. */
static void
test_store_older_than_the_figures (void **state)
{
    hub_fixture_t *f = *state;
    s_refer (f, F_ELDER, POVERTY, CASE_A, NULL);
    /* Forget the figures, as a store of the version before had none. */
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, true);
    assert_int_equal (mdb_drop (txn.txn, tsg_store_db (f->store, TSG_HUB_DB_REPORTS), 0), 0);
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
    json_t *r = s_report (f, "2026-01", "2026-12");
    assert_true (json_is_null (json_object_get (r, "since")));
    assert_int_equal (s_int (r, "consultations", NULL), 0);
    json_decref (r);

    hub_now = T0 + 10 * DAY_MS;
    s_refer (f, F_ELDER, CHILD, CASE_B, NULL);
    r = s_report (f, "2026-01", "2026-12");
    assert_string_equal (json_string_value (json_object_get (r, "since")), "2026-12");
    assert_int_equal (s_int (r, "consultations", NULL), 1);
    assert_int_equal (s_int (r, "cases_opened", NULL), 1);
    json_decref (r);
}

/* ---- GET /v1/reports --------------------------------------------------------------- */

typedef struct {
    const char *from; /* from= (NULL: absent) */
    const char *to;   /* to= */
} s_query_t;

static const char *
s_query_arg (void *cls, const char *name)
{
    const s_query_t *q = cls;
    if (strcmp (name, "from") == 0)
        return q->from;
    if (strcmp (name, "to") == 0)
        return q->to;
    return NULL;
}

/* GET /v1/reports?from=&to= with (or without) the token: the status, the body into *body. */
static int
s_get (hub_fixture_t *f, const char *from, const char *to, bool token, json_t **body)
{
    tsg_hub_api_t api = { .store = f->store, .directory = f->directory, .has_token = true };
    crypto_hash_sha256 (api.token_sha256, (const uint8_t *) "t0ken", 5);
    s_query_t q = { from, to };
    tsg_hub_request_t req = { .method = "GET",
                              .path = "/v1/reports",
                              .authorization = token ? "Bearer t0ken" : NULL,
                              .arg = s_query_arg,
                              .arg_cls = &q };
    tsg_hub_reply_t reply;
    tsg_hub_api_handle (&api, &req, &reply);
    json_error_t error;
    *body = json_loads (reply.body, 0, &error);
    assert_non_null (*body);
    free (reply.body);
    return reply.status;
}

static void
test_route_checks_the_period (void **state)
{
    hub_fixture_t *f = *state;
    s_walk (f);
    json_t *body;
    assert_int_equal (s_get (f, "2026-11", "2027-01", true, &body), 200);
    assert_int_equal (s_int (body, "consultations", NULL), 5);
    json_t *direct = s_report (f, "2026-11", "2027-01");
    json_object_del (direct, "as_of");
    json_object_del (body, "as_of");
    assert_true (json_equal (body, direct));
    json_decref (direct);
    json_decref (body);

    assert_int_equal (s_get (f, "2026-11", "2027-01", false, &body), 401);
    json_decref (body);
    const char *bad[][2] = {
        { NULL, "2027-01" },       { "2026-11", NULL },      { "2026-13", "2027-01" },
        { "2026-1", "2027-01" },   { "2026-11", "27-01" },   { "1999-12", "2000-01" },
        { "2026-11x", "2027-01" }, { "2027-02", "2027-01" }, { "2017-01", "2027-01" },
        { "2026-00", "2026-01" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (s_get (f, bad[i][0], bad[i][1], true, &body) != 400)
            fail_msg ("from=%s to=%s was not refused", bad[i][0] ? bad[i][0] : "(none)",
                      bad[i][1] ? bad[i][1] : "(none)");
        assert_string_equal (json_string_value (json_object_get (body, "error")), "invalid");
        json_decref (body);
    }
    assert_int_equal (tsg_hub_report_months ("2017-02", "2027-01"), 120);
    assert_int_equal (tsg_hub_report_months ("2026-12", "2026-11"), 0);
}

/* ---- the CSV ----------------------------------------------------------------------- */

/* True when every LF in the n bytes of text follows a CR and every CR precedes an LF. */
static bool
s_crlf_only (const char *text, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
            return false;
        if (text[i] == '\r' && (i + 1 == n || text[i + 1] != '\n'))
            return false;
    }
    return n >= 2 && text[n - 2] == '\r' && text[n - 1] == '\n';
}

/* CP932 bytes back to UTF-8 (caller frees). */
static char *
s_from_cp932 (const char *bytes, size_t n, size_t *out_len)
{
    iconv_t cd = iconv_open ("UTF-8", "CP932");
    assert_true (cd != (iconv_t) -1);
    size_t cap = 3 * n + 1, left = cap;
    char *out = malloc (cap), *o = out, *in = (char *) bytes;
    size_t in_left = n;
    assert_true (iconv (cd, &in, &in_left, &o, &left) != (size_t) -1);
    iconv_close (cd);
    *out_len = (size_t) (o - out);
    return out;
}

static void
test_csv_bytes (void **state)
{
    hub_fixture_t *f = *state;
    s_walk (f);
    json_t *r = s_report (f, "2026-11", "2027-01");
    size_t len = 0;
    char *csv = tsg_hub_report_csv (r, false, &len);
    assert_non_null (csv);
    assert_int_equal (strlen (csv), len);
    assert_memory_equal (csv, "\xEF\xBB\xBF", 3);
    assert_true (s_crlf_only (csv, len));
    /* Title row, then the Japanese header row, then the figures. */
    assert_non_null (strstr (csv, "\xEF\xBB\xBF相談件数・新規ケース\r\n"
                                  "期間,集計開始月,相談件数,新規ケース\r\n"
                                  "2026年11月～2027年01月,2026年11月,5,4\r\n\r\n"));
    assert_non_null (strstr (csv, "紹介元種別,紹介先種別,件数\r\n"));
    assert_non_null (strstr (csv, "地域包括支援センター,相談支援事業所,1\r\n"));
    assert_non_null (strstr (csv, "指標,機関種別,件数,中央値(時間),90パーセンタイル(時間)\r\n"));
    assert_non_null (strstr (csv, "受付まで,全体,2,"));
    assert_non_null (strstr (csv, "終結理由,件数\r\n目標達成,1\r\n転出,1\r\n"));
    assert_non_null (strstr (csv, "再開件数,終結件数,再開率\r\n1,2,0.5000\r\n"));
    assert_non_null (strstr (csv, "会議の種類,開催回数,検討ケース数,1回あたりケース数\r\n"));
    assert_non_null (strstr (csv, "支援会議 (社会福祉法 第106条の6),1,2,2.00\r\n"));
    assert_non_null (strstr (csv, "送付保留件数,緊急通報件数\r\n0,1\r\n"));
    /* Seven tables: seven title rows after a blank line or the start. */
    assert_int_equal (kit_occurs (csv, "\r\n\r\n"), 6);

    /* CP932: no BOM, and back through iconv it is the same text. */
    size_t sjis_len = 0;
    char *sjis = tsg_hub_report_csv (r, true, &sjis_len);
    assert_non_null (sjis);
    assert_true (sjis_len < len);
    assert_true (memcmp (sjis, "\xEF\xBB\xBF", 3) != 0);
    assert_memory_equal (sjis, "\x91\x8a\x92\x6b", 4); /* 相談 */
    assert_true (s_crlf_only (sjis, sjis_len));
    size_t back_len = 0;
    char *back = s_from_cp932 (sjis, sjis_len, &back_len);
    assert_int_equal (back_len, len - 3);
    assert_memory_equal (back, csv + 3, len - 3);
    free (back);
    free (sjis);
    free (csv);
    json_decref (r);

    /* Fields with a comma, a quote or a line end are quoted, quotes doubled. */
    json_t *odd = json_pack ("{s:s, s:s, s:n, s:{s:{s:i}}, s:{s:i}, s:{}}", "from", "2026-11", "to",
                             "2026-11", "since", "referral_matrix", "a,b", "x\"y", 3, "closures",
                             "line\nend", 2, "meetings");
    csv = tsg_hub_report_csv (odd, false, &len);
    assert_non_null (csv);
    assert_non_null (strstr (csv, "2026年11月～2026年11月,記録なし,,\r\n"));
    assert_non_null (strstr (csv, "\r\n\"a,b\",\"x\"\"y\",3\r\n"));
    assert_non_null (strstr (csv, "\r\n\"line\nend\",2\r\n"));
    free (csv);
    json_decref (odd);
    assert_null (tsg_hub_report_csv (NULL, false, &len));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_figures_of_each_month, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_totals_equal_stats, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_quantiles_of_known_durations, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_withheld_and_emergency, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_store_older_than_the_figures, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_route_checks_the_period, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_csv_bytes, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
