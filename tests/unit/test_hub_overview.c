/* test_hub_overview.c — the coordinator's overview (概況) through whole batches: cases by
 * state, new cases today / this week / this month in Japan time, referrals overdue by
 * recipient, withheld letters by reason, consents expiring within 14 days, alerts not yet
 * acknowledged, the agencies; its live part (online, last seen, letters per minute) from the
 * daemon's callbacks, GET /v1/overview and the control command "overview"; and the staff's
 * acknowledgement of an alert ("alert-ack"): recorded once, audited, refusals change nothing,
 * and alerts stored before acknowledgements existed read and acknowledge as well. */
#include "test_hub_fixture.h"

#include <sodium.h>

#include "coordinator/api/overview.h"
#include "coordinator/daemon/control.h"
#include "coordinator/model/codec.h"
#include "coordinator/model/overview.h"
#include "coordinator/model/stats.h"
#include "coordinator/model/store.h"
#include "coordinator/model/views.h"

#define CASE_A    "0a000000-0000-4000-8000-00000000000a"
#define CASE_B    "0b000000-0000-4000-8000-00000000000b"
#define CASE_C    "0c000000-0000-4000-8000-00000000000c"
#define CONSENT_1 "c1000000-0000-4000-8000-000000000001"
#define CONSENT_2 "c2000000-0000-4000-8000-000000000002"
#define TOKEN     "overview-token"

static int
s_setup (void **state)
{
    *state = hub_fixture_new ("hub-overview");
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

/* The overview of the store at the fixture's clock (caller decrefs). */
static json_t *
s_overview (hub_fixture_t *f)
{
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    json_t *o = tsg_hub_view_overview (&txn, hub_now);
    assert_int_equal (txn.rc, TSG_OK);
    tsg_txn_abort (&txn);
    assert_non_null (o);
    return o;
}

static json_int_t
s_int (const json_t *o, const char *path1, const char *path2)
{
    const json_t *v = json_object_get (o, path1);
    if (path2)
        v = json_object_get (v, path2);
    if (!json_is_integer (v))
        fail_msg ("%s.%s is not an integer", path1, path2 ? path2 : "");
    return json_integer_value (v);
}

static void
s_refer (hub_fixture_t *f, int from, const char *to, const char *case_id)
{
    char rid[TSG_UUID_TEXT_SIZE] = "";
    hub_expect_stored ((tsg_hub_answer_t[]){
        hub_referral (f, from, to, case_id, TSUNAGU__V1__URGENCY__URGENCY_NORMAL, NULL, rid) });
}

/* An emergency report from eldercare to child on case_id: alert n. */
static void
s_emergency (hub_fixture_t *f, const char *case_id)
{
    kit_basis_t report = { .basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_EMERGENCY,
                           .categories = { "identity", "health" },
                           .urgency = TSUNAGU__V1__URGENCY__URGENCY_EMERGENCY,
                           .urgent = true };
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_referral (f, F_ELDER, CHILD, case_id, &report, NULL, NULL, NULL, NULL) });
}

/* The overdue row of agency in list, or NULL. */
static const json_t *
s_row (const json_t *list, const char *agency)
{
    for (size_t i = 0; i < json_array_size (list); i++)
        if (strcmp (json_string_value (json_object_get (json_array_get (list, i), "agency")),
                    agency)
            == 0)
            return json_array_get (list, i);
    return NULL;
}

static void
test_cases_and_new (void **state)
{
    hub_fixture_t *f = *state;
    /* T0 is Monday 2026-11-23, noon in Japan. */
    s_refer (f, F_ELDER, POVERTY, CASE_A);
    s_refer (f, F_ELDER, DISABILITY, CASE_B);
    json_t *o = s_overview (f);
    assert_int_equal (s_int (o, "cases_by_state", "multi-agency"), 2);
    assert_int_equal (s_int (o, "cases_by_state", "closed"), 0);
    assert_int_equal (s_int (o, "new_cases", "today"), 2);
    assert_int_equal (s_int (o, "new_cases", "week"), 2);
    assert_int_equal (s_int (o, "new_cases", "month"), 2);
    assert_string_equal (
        json_string_value (json_object_get (json_object_get (o, "new_cases"), "week_from")),
        "2026-11-23");
    json_decref (o);

    /* Saturday: a third case; today counts it alone, the week all three. */
    hub_now = T0 + 5 * DAY_MS;
    s_refer (f, F_POVERTY, CHILD, CASE_C);
    o = s_overview (f);
    assert_int_equal (s_int (o, "new_cases", "today"), 1);
    assert_int_equal (s_int (o, "new_cases", "week"), 3);
    assert_int_equal (s_int (o, "new_cases", "month"), 3);
    json_decref (o);

    /* The next Monday is a new week; 23:59 on 2026-11-30 (Japan) still November, 00:00 on
     * 2026-12-01 December. */
    hub_now = T0 + 7 * DAY_MS + 11 * HOUR_MS + 59 * 60 * 1000;
    o = s_overview (f);
    assert_int_equal (s_int (o, "new_cases", "week"), 0);
    assert_int_equal (s_int (o, "new_cases", "month"), 3);
    json_decref (o);
    hub_now = T0 + 8 * DAY_MS - 12 * HOUR_MS;
    o = s_overview (f);
    assert_int_equal (s_int (o, "new_cases", "month"), 0);
    assert_string_equal (
        json_string_value (json_object_get (json_object_get (o, "new_cases"), "month_of")),
        "2026-12");
    json_decref (o);
}

static void
test_overdue_by_agency (void **state)
{
    hub_fixture_t *f = *state;
    s_refer (f, F_ELDER, POVERTY, CASE_A);
    s_refer (f, F_DISABILITY, POVERTY, CASE_B);
    s_refer (f, F_ELDER, DISABILITY, CASE_C);
    json_t *o = s_overview (f);
    assert_int_equal (
        json_array_size (json_object_get (json_object_get (o, "overdue"), "received")), 0);
    json_decref (o);
    /* Three days on, none was received: each is late for receipt; none yet for an answer
     * (poverty answers in 7 days, disability in 10). */
    hub_now = T0 + 3 * DAY_MS;
    o = s_overview (f);
    const json_t *overdue = json_object_get (o, "overdue");
    const json_t *received = json_object_get (overdue, "received");
    assert_int_equal (json_array_size (received), 2);
    const json_t *first = json_array_get (received, 0);
    assert_string_equal (json_string_value (json_object_get (first, "agency")), POVERTY);
    assert_int_equal (s_int (first, "count", NULL), 2);
    assert_int_equal (s_int (s_row (received, DISABILITY), "count", NULL), 1);
    assert_true (json_is_string (json_object_get (first, "name")));
    assert_int_equal (s_int (overdue, "total", "received"), 3);
    assert_int_equal (s_int (overdue, "total", "accepted"), 0);
    assert_true (json_is_false (json_object_get (overdue, "partial")));
    json_decref (o);
    /* Poverty receives one of its two: it is late for receipt with one only. */
    tsg_hub_referral_t ref;
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    json_t *list = tsg_hub_view_overdue (&txn, TSG_HUB_DUE_RECEIVED, hub_now, 10);
    tsg_txn_abort (&txn);
    const char *id = NULL;
    for (size_t i = 0; i < json_array_size (json_object_get (list, "referrals")); i++) {
        json_t *r = json_array_get (json_object_get (list, "referrals"), i);
        if (strcmp (json_string_value (json_object_get (r, "to")), POVERTY) == 0)
            id = json_string_value (json_object_get (r, "referral_id"));
    }
    assert_non_null (id);
    ref = hub_get_referral (f, id);
    hub_expect_stored ((tsg_hub_answer_t[]){
        hub_status (f, F_POVERTY, ref.sender, ref.id, "received", NULL, false, ref.version) });
    json_decref (list);
    /* Eight days on, the received one is late for an answer. */
    hub_now = T0 + 8 * DAY_MS;
    o = s_overview (f);
    overdue = json_object_get (o, "overdue");
    assert_int_equal (s_int (s_row (json_object_get (overdue, "received"), POVERTY), "count", NULL),
                      1);
    assert_int_equal (s_int (s_row (json_object_get (overdue, "accepted"), POVERTY), "count", NULL),
                      2);
    assert_null (s_row (json_object_get (overdue, "accepted"), DISABILITY));
    json_decref (o);
}

static void
test_withheld_consents_agencies (void **state)
{
    hub_fixture_t *f = *state;
    s_refer (f, F_ELDER, POVERTY, CASE_A);
    /* One consent ends in 10 days, one in 20: only the first is "expiring". */
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_grant (f, F_ELDER, CASE_A, CONSENT_1, POVERTY, NULL, NULL, "2026-12-03") });
    hub_expect_stored ((tsg_hub_answer_t[]){
        kit_grant (f, F_ELDER, CASE_A, CONSENT_2, POVERTY, NULL, NULL, "2026-12-13") });
    json_t *o = s_overview (f);
    const json_t *expiring = json_object_get (o, "consents_expiring");
    assert_int_equal (json_array_size (expiring), 1);
    assert_int_equal (s_int (o, "consents_expiring_count", NULL), 1);
    const json_t *c = json_array_get (expiring, 0);
    assert_string_equal (json_string_value (json_object_get (c, "consent_id")), CONSENT_1);
    assert_string_equal (json_string_value (json_object_get (c, "case_id")), CASE_A);
    assert_string_equal (json_string_value (json_object_get (c, "valid_until")), "2026-12-03");
    /* Nothing withheld yet. */
    assert_int_equal (s_int (o, "withheld", "count"), 0);
    assert_int_equal (
        json_object_size (json_object_get (json_object_get (o, "withheld"), "by_reason")), 0);
    /* The agencies, each with its mailbox: poverty holds the referral and the consents. */
    const json_t *agencies = json_object_get (o, "agencies");
    assert_int_equal (json_array_size (agencies), 4);
    for (size_t i = 0; i < 4; i++) {
        const json_t *a = json_array_get (agencies, i);
        assert_true (json_is_string (json_object_get (a, "name")));
        assert_true (json_is_string (json_object_get (a, "type")));
        assert_string_equal (json_string_value (json_object_get (a, "status")), "active");
        if (strcmp (json_string_value (json_object_get (a, "id")), POVERTY) == 0)
            assert_true (s_int (a, "mailbox_depth", NULL) >= 1);
    }
    json_decref (o);

    /* Eleven days on, the first has ended: the second is the one about to. */
    hub_now = T0 + 11 * DAY_MS;
    tsg_hub_intake_expire (f->intake, f->store);
    o = s_overview (f);
    expiring = json_object_get (o, "consents_expiring");
    assert_int_equal (json_array_size (expiring), 1);
    assert_string_equal (
        json_string_value (json_object_get (json_array_get (expiring, 0), "consent_id")),
        CONSENT_2);
    json_decref (o);

    /* Withheld letters by reason, as the withholding counts them. */
    uint64_t withheld = hub_stat (f, TSG_HUB_STAT_WITHHELD);
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, true);
    tsg_hub_stat_add (&txn, TSG_HUB_STAT_WITHHELD, 3);
    tsg_hub_stat_add2 (&txn, TSG_HUB_STAT_WITHHELD_BY, "revoked", 2);
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
    o = s_overview (f);
    const json_t *w = json_object_get (o, "withheld");
    assert_int_equal (s_int (w, "count", NULL), (json_int_t) withheld + 3);
    assert_int_equal (s_int (w, "by_reason", "revoked"), 2);
    assert_int_equal (s_int (w, "by_reason", "not_recorded"), (json_int_t) withheld + 1);
    json_decref (o);
}

/* ---- alerts ------------------------------------------------------------------------- */

/* Sends one control request and returns the parsed reply (caller decrefs). */
static json_t *
s_control (hub_fixture_t *f, const tsg_hub_api_t *api, const char *request)
{
    tsg_hub_control_env_t env = { .store = f->store,
                                  .intake = f->intake,
                                  .keys = f->coordinator,
                                  .directory = f->directory,
                                  .api = api };
    char *reply = tsg_hub_control_answer (&env, request, strlen (request));
    assert_non_null (reply);
    json_t *root = json_loads (reply, 0, NULL);
    assert_non_null (root);
    free (reply);
    return root;
}

static void
s_expect_refusal (json_t *reply, const char *code)
{
    assert_true (json_is_false (json_object_get (reply, "ok")));
    const char *error = json_string_value (json_object_get (reply, "error"));
    if (!error || strcmp (error, code) != 0)
        fail_msg ("expected %s, got %s", code, error ? error : "(none)");
    assert_true (strlen (json_string_value (json_object_get (reply, "message"))) > 0);
    json_decref (reply);
}

static void
test_alert_ack (void **state)
{
    hub_fixture_t *f = *state;
    tsg_hub_audit_t *audit = kit_audit_open (f);
    s_emergency (f, CASE_A);
    s_emergency (f, CASE_A);
    json_t *o = s_overview (f);
    assert_int_equal (s_int (o, "alerts_open_count", NULL), 2);
    const json_t *open = json_object_get (o, "alerts_open");
    assert_int_equal (json_array_size (open), 2);
    assert_int_equal (s_int (json_array_get (open, 0), "n", NULL), 2); /* newest first */
    assert_true (json_is_null (json_object_get (json_array_get (open, 0), "acknowledged_at")));
    json_decref (o);

    /* Refusals change nothing. */
    size_t before = hub_txnid (f);
    s_expect_refusal (s_control (f, NULL, "{\"command\":\"alert-ack\",\"n\":9,\"actor\":\"sato\"}"),
                      "unknown_alert");
    s_expect_refusal (s_control (f, NULL, "{\"command\":\"alert-ack\",\"n\":0,\"actor\":\"sato\"}"),
                      "bad_request");
    s_expect_refusal (
        s_control (f, NULL, "{\"command\":\"alert-ack\",\"n\":\"1\",\"actor\":\"x\"}"),
        "bad_request");
    s_expect_refusal (s_control (f, NULL, "{\"command\":\"alert-ack\",\"n\":1}"), "bad_request");
    s_expect_refusal (s_control (f, NULL, "{\"command\":\"alert-ack\",\"n\":1,\"actor\":\"\"}"),
                      "bad_request");
    assert_int_equal (hub_txnid (f), before);

    hub_now += 60 * 1000;
    json_t *r = s_control (f, NULL, "{\"command\":\"alert-ack\",\"n\":1,\"actor\":\"sato\"}");
    assert_true (json_is_true (json_object_get (r, "ok")));
    assert_true (json_is_true (json_object_get (r, "changed")));
    const json_t *alert = json_object_get (r, "alert");
    assert_int_equal (s_int (alert, "n", NULL), 1);
    assert_string_equal (json_string_value (json_object_get (alert, "acknowledged_by")), "sato");
    assert_true (json_is_string (json_object_get (alert, "acknowledged_at")));
    json_decref (r);
    before = hub_txnid (f);
    r = s_control (f, NULL, "{\"command\":\"alert-ack\",\"n\":1,\"actor\":\"suzuki\"}");
    assert_true (json_is_true (json_object_get (r, "ok")));
    assert_true (json_is_false (json_object_get (r, "changed")));
    assert_string_equal (
        json_string_value (json_object_get (json_object_get (r, "alert"), "acknowledged_by")),
        "sato");
    json_decref (r);
    assert_int_equal (hub_txnid (f), before);

    o = s_overview (f);
    assert_int_equal (s_int (o, "alerts_open_count", NULL), 1);
    open = json_object_get (o, "alerts_open");
    assert_int_equal (json_array_size (open), 1);
    assert_int_equal (s_int (json_array_get (open, 0), "n", NULL), 2);
    json_decref (o);
    /* /v1/alerts shows who acknowledged. */
    json_t *alerts = kit_get (f, "/v1/alerts", NULL);
    const json_t *one = json_array_get (json_object_get (alerts, "alerts"), 1);
    assert_int_equal (s_int (one, "n", NULL), 1);
    assert_string_equal (json_string_value (json_object_get (one, "acknowledged_by")), "sato");
    json_decref (alerts);

    char *log = kit_audit_text (f, audit);
    assert_int_equal (kit_occurs (log, "\"event\":\"alert-ack\""), 1);
    assert_non_null (strstr (log, "\"actor\":\"sato\""));
    assert_null (strstr (log, "suzuki"));
    free (log);
}

/* An alert stored in format 2, as before acknowledgements: STATS count 1, no open index. */
static void
s_legacy_alert (hub_fixture_t *f)
{
    tsg_hub_writer_t w;
    tsg_hub_writer_init (&w);
    tsg_hub_write_u8 (&w, 2);
    tsg_hub_write_u64 (&w, T0 - HOUR_MS);
    const char *const fields[] = {
        "00112233445566778899aabbccddeeff", "", CASE_A, ELDER, "eldercare", CHILD, "emergency", ""
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        tsg_hub_write_str (&w, fields[i]);
    uint8_t key[8];
    tsg_be64_put (key, 1);
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, true);
    tsg_txn_put (&txn, tsg_store_db (f->store, TSG_HUB_DB_ALERTS), key, sizeof key, w.data, w.len);
    tsg_hub_stat_add (&txn, TSG_HUB_STAT_ALERTS, 1);
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
    tsg_hub_writer_free (&w);
}

static void
test_alert_old_format (void **state)
{
    hub_fixture_t *f = *state;
    s_legacy_alert (f);
    json_t *o = s_overview (f);
    assert_int_equal (s_int (o, "alerts_open_count", NULL), 1);
    const json_t *a = json_array_get (json_object_get (o, "alerts_open"), 0);
    assert_int_equal (s_int (a, "n", NULL), 1);
    assert_string_equal (json_string_value (json_object_get (a, "from")), ELDER);
    json_decref (o);
    /* A new alert brings the index up to date; both are open, then one is acknowledged. */
    s_emergency (f, CASE_A);
    o = s_overview (f);
    assert_int_equal (s_int (o, "alerts_open_count", NULL), 2);
    assert_int_equal (json_array_size (json_object_get (o, "alerts_open")), 2);
    json_decref (o);
    json_t *r = s_control (f, NULL, "{\"command\":\"alert-ack\",\"n\":1,\"actor\":\"sato\"}");
    assert_true (json_is_true (json_object_get (r, "changed")));
    json_decref (r);
    o = s_overview (f);
    assert_int_equal (s_int (o, "alerts_open_count", NULL), 1);
    assert_int_equal (s_int (json_array_get (json_object_get (o, "alerts_open"), 0), "n", NULL), 2);
    json_decref (o);
}

/* ---- the live part -------------------------------------------------------------------- */

static bool
s_connected (void *arg, const char *agency)
{
    (void) arg;
    return strcmp (agency, ELDER) == 0;
}

static size_t
s_sessions (void *arg)
{
    (void) arg;
    return 1;
}

static uint64_t
s_last_seen (void *arg, const char *agency)
{
    (void) arg;
    return strcmp (agency, ELDER) == 0 ? T0 : strcmp (agency, POVERTY) == 0 ? T0 - DAY_MS : 0;
}

static void
s_letters (void *arg, uint32_t out[60])
{
    (void) arg;
    for (int i = 0; i < 60; i++)
        out[i] = (uint32_t) i;
}

static const tsg_hub_api_t *
s_api (hub_fixture_t *f, tsg_hub_api_t *api)
{
    memset (api, 0, sizeof *api);
    api->store = f->store;
    api->directory = f->directory;
    api->has_token = true;
    crypto_hash_sha256 (api->token_sha256, (const uint8_t *) TOKEN, strlen (TOKEN));
    api->live = (tsg_hub_api_live_t){ .sessions = s_sessions,
                                      .connected = s_connected,
                                      .last_seen_ms = s_last_seen,
                                      .letters_per_minute = s_letters };
    return api;
}

/* The agency id's entry in the overview's agencies. */
static const json_t *
s_agency (const json_t *o, const char *id)
{
    const json_t *list = json_object_get (o, "agencies");
    for (size_t i = 0; i < json_array_size (list); i++)
        if (strcmp (json_string_value (json_object_get (json_array_get (list, i), "id")), id) == 0)
            return json_array_get (list, i);
    fail_msg ("no agency %s in the overview", id);
    return NULL;
}

static void
s_expect_live (const json_t *o)
{
    assert_true (json_is_true (json_object_get (s_agency (o, ELDER), "online")));
    assert_true (json_is_false (json_object_get (s_agency (o, POVERTY), "online")));
    assert_string_equal (json_string_value (json_object_get (s_agency (o, ELDER), "last_seen")),
                         "2026-11-23T03:00:00.000Z");
    assert_string_equal (json_string_value (json_object_get (s_agency (o, POVERTY), "last_seen")),
                         "2026-11-22T03:00:00.000Z");
    assert_true (json_is_null (json_object_get (s_agency (o, CHILD), "last_seen")));
    const json_t *minutes = json_object_get (o, "letters_per_minute");
    assert_int_equal (json_array_size (minutes), 60);
    assert_int_equal (json_integer_value (json_array_get (minutes, 0)), 0);
    assert_int_equal (json_integer_value (json_array_get (minutes, 59)), 59);
    assert_int_equal (json_integer_value (json_object_get (o, "letters_last_minute")), 59);
    assert_int_equal (json_integer_value (json_object_get (o, "sessions")), 1);
    assert_true (json_is_object (json_object_get (o, "cases_by_state")));
}

static void
test_live_route_and_control (void **state)
{
    hub_fixture_t *f = *state;
    s_refer (f, F_ELDER, POVERTY, CASE_A);
    tsg_hub_api_t api;
    s_api (f, &api);
    tsg_hub_request_t req = { .method = "GET",
                              .path = TSG_HUB_OVERVIEW_PATH,
                              .authorization = "Bearer " TOKEN };
    tsg_hub_reply_t reply;
    tsg_hub_api_handle (&api, &req, &reply);
    assert_int_equal (reply.status, 200);
    json_t *o = json_loads (reply.body, 0, NULL);
    free (reply.body);
    assert_non_null (o);
    s_expect_live (o);
    assert_int_equal (s_int (o, "cases_by_state", "multi-agency"), 1);
    json_decref (o);
    /* Without the token, and with another method. */
    req.authorization = NULL;
    tsg_hub_api_handle (&api, &req, &reply);
    assert_int_equal (reply.status, 401);
    free (reply.body);
    req.method = "POST";
    req.authorization = "Bearer " TOKEN;
    tsg_hub_api_handle (&api, &req, &reply);
    assert_int_equal (reply.status, 405);
    free (reply.body);

    /* The control command answers the same JSON (with "ok"). */
    o = s_control (f, &api, "{\"command\":\"overview\"}");
    assert_true (json_is_true (json_object_get (o, "ok")));
    s_expect_live (o);
    json_decref (o);
    /* Without the daemon's answers (offline): nobody online, no letters. */
    o = s_control (f, NULL, "{\"command\":\"overview\"}");
    assert_true (json_is_true (json_object_get (o, "ok")));
    assert_true (json_is_false (json_object_get (s_agency (o, ELDER), "online")));
    assert_int_equal (json_integer_value (json_object_get (o, "letters_last_minute")), 0);
    json_decref (o);
}

int
main (void)
{
    log_init ("test_hub_overview", getenv ("TSUNAGU_TEST_VERBOSE") != NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_cases_and_new, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_overdue_by_agency, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_withheld_consents_agencies, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_alert_ack, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_alert_old_format, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_live_route_and_control, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
