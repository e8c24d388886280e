/* The agency's event feed: events are appended in the change's own transaction (one rolled
 * back with it is not there), read in order after a cursor up to a limit, pruned oldest first
 * past the retention in bounded passes; GET /v1/events shows them and says 410 for a cursor
 * older than what is kept; a referral, its receipts and a status change tell both sides. */
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
#include "agency/records/events.h"
#include "agency/records/json.h"

#define DAY_MS (24ULL * 3600 * 1000)
#define T0     1795402800000ULL

typedef struct {
    agency_world_t *world; /* owns the folder */
    tsg_store_t *store;    /* a bare agency store */
} s_bench_t;

static int
s_setup (void **state)
{
    s_bench_t *b = calloc (1, sizeof *b);
    b->world = agency_world_new ();
    assert_non_null (b->world);
    char dir[700];
    snprintf (dir, sizeof dir, "%s/store", agency_world_dir (b->world));
    assert_true (tsg_mkdir_p (dir, 0700));
    assert_int_equal (agency_store_open (dir, 64u * 1024 * 1024, &b->store), TSG_OK);
    *state = b;
    return 0;
}

static int
s_teardown (void **state)
{
    s_bench_t *b = *state;
    tsg_store_destroy (&b->store);
    agency_world_destroy (&b->world);
    free (b);
    return 0;
}

/* Appends n events of type "case.updated" with data {"n": i}, written at at_ms + i, in one
 * committed transaction. */
static void
s_append (s_bench_t *b, size_t n, uint64_t at_ms)
{
    tsg_txn_t txn;
    tsg_txn_begin (b->store, &txn, true);
    for (size_t i = 0; i < n; i++)
        agency_events_append (&txn, "elder-a", "case.updated",
                              json_pack ("{s:I}", "n", (json_int_t) i), at_ms + i);
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
}

typedef struct {
    uint64_t seqs[600]; /* the seqs read, in order */
    size_t count;       /* how many */
    size_t stop_after;  /* stop after this many (0: never) */
} s_seen_t;

static bool
s_collect (void *arg, const agency_event_t *event)
{
    s_seen_t *seen = arg;
    seen->seqs[seen->count++] = event->seq;
    return seen->stop_after == 0 || seen->count < seen->stop_after;
}

static size_t
s_read (s_bench_t *b, uint64_t after, size_t limit, s_seen_t *seen)
{
    memset (seen, 0, sizeof *seen);
    tsg_txn_t txn;
    tsg_txn_begin (b->store, &txn, false);
    size_t n = agency_events_read (&txn, after, limit, s_collect, seen);
    assert_int_equal (txn.rc, TSG_OK);
    tsg_txn_abort (&txn);
    return n;
}

static void
s_bounds (s_bench_t *b, uint64_t *first, uint64_t *last)
{
    tsg_txn_t txn;
    tsg_txn_begin (b->store, &txn, false);
    *first = agency_events_first (&txn);
    *last = agency_events_last (&txn);
    tsg_txn_abort (&txn);
}

/* agency_event_fn keeping a copy of the first event's JSON. */
static bool
s_first_json (void *arg, const agency_event_t *event)
{
    json_t **out = arg;
    *out = json_loadb (event->json, event->json_len, 0, NULL);
    assert_string_equal (event->type, "referral.received");
    assert_int_equal (event->at_ms, T0 + 123);
    return false;
}

static void
test_an_event_is_stored_as_the_header_says (void **state)
{
    s_bench_t *b = *state;
    uint64_t first, last;
    s_bounds (b, &first, &last);
    assert_int_equal (first, 0);
    assert_int_equal (last, 0);
    tsg_txn_t txn;
    tsg_txn_begin (b->store, &txn, true);
    agency_events_append (&txn, "pov-a", "referral.received",
                          json_pack ("{s:s}", "referral_id", "r-1"), T0 + 123);
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
    json_t *event = NULL;
    tsg_txn_begin (b->store, &txn, false);
    assert_int_equal (agency_events_read (&txn, 0, 10, s_first_json, &event), 1);
    tsg_txn_abort (&txn);
    assert_non_null (event);
    assert_string_equal (json_string_value (json_object_get (event, "id")), "pov-a:1");
    assert_int_equal (json_integer_value (json_object_get (event, "seq")), 1);
    assert_string_equal (json_string_value (json_object_get (event, "type")), "referral.received");
    assert_string_equal (json_string_value (json_object_get (event, "at")),
                         "2026-11-23T03:00:00.123Z");
    assert_string_equal (
        json_string_value (json_object_get (json_object_get (event, "data"), "referral_id")),
        "r-1");
    assert_int_equal (json_object_size (event), 5);
    json_decref (event);
    s_bounds (b, &first, &last);
    assert_int_equal (first, 1);
    assert_int_equal (last, 1);
}

static void
test_events_come_in_order_after_the_cursor_up_to_the_limit (void **state)
{
    s_bench_t *b = *state;
    s_append (b, 7, T0);
    s_append (b, 5, T0 + 100);
    s_seen_t seen;
    assert_int_equal (s_read (b, 0, 100, &seen), 12);
    for (size_t i = 0; i < 12; i++)
        assert_int_equal (seen.seqs[i], i + 1);
    assert_int_equal (s_read (b, 4, 3, &seen), 3);
    assert_int_equal (seen.seqs[0], 5);
    assert_int_equal (seen.seqs[2], 7);
    assert_int_equal (s_read (b, 12, 100, &seen), 0);
    assert_int_equal (s_read (b, 500, 100, &seen), 0);
    /* fn may stop the read. */
    memset (&seen, 0, sizeof seen);
    seen.stop_after = 2;
    tsg_txn_t txn;
    tsg_txn_begin (b->store, &txn, false);
    assert_int_equal (agency_events_read (&txn, 0, 100, s_collect, &seen), 2);
    tsg_txn_abort (&txn);
}

static void
test_an_event_rolled_back_with_its_transaction_is_not_there (void **state)
{
    s_bench_t *b = *state;
    s_append (b, 2, T0);
    tsg_txn_t txn;
    tsg_txn_begin (b->store, &txn, true);
    agency_events_append (&txn, "elder-a", "delivery.stored", NULL, T0 + 5);
    tsg_txn_abort (&txn); /* the change it told of never happened */
    /* A transaction that failed elsewhere commits nothing, its event neither. */
    tsg_txn_begin (b->store, &txn, true);
    agency_events_append (&txn, "elder-a", "delivery.stored", NULL, T0 + 6);
    txn.rc = TSG_ERR_STORE_FULL;
    assert_int_not_equal (tsg_txn_commit (&txn), TSG_OK);
    uint64_t first, last;
    s_bounds (b, &first, &last);
    assert_int_equal (last, 2);
    /* The next event takes the next seq: none is skipped. */
    s_append (b, 1, T0 + 7);
    s_seen_t seen;
    assert_int_equal (s_read (b, 0, 10, &seen), 3);
    assert_int_equal (seen.seqs[2], 3);
}

static void
test_prune_keeps_the_count_and_the_days_and_goes_in_bounded_passes (void **state)
{
    s_bench_t *b = *state;
    s_append (b, 300, T0); /* old */
    s_append (b, 20, T0 + 20 * DAY_MS);
    uint64_t now = T0 + 20 * DAY_MS + 1000;
    tsg_txn_t txn;
    /* The defaults keep 100000 events whatever their age. */
    tsg_txn_begin (b->store, &txn, true);
    assert_int_equal (agency_events_prune (&txn, now, 1000), 0);
    tsg_txn_abort (&txn);
    /* Keep 10, and 14 days: the 300 old ones go, 50 at a time; the 20 recent ones stay. */
    size_t total = 0, passes = 0, n;
    do {
        tsg_txn_begin (b->store, &txn, true);
        n = agency_events_prune_past (&txn, now, 10, 14 * DAY_MS, 50);
        assert_true (n <= 50);
        assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
        total += n;
        passes++;
    } while (n > 0 && passes < 100);
    assert_int_equal (total, 300);
    assert_int_equal (passes, 7);
    uint64_t first, last;
    s_bounds (b, &first, &last);
    assert_int_equal (first, 301);
    assert_int_equal (last, 320);
    /* Keep 10 and 0 days: all but the last 10 go. */
    tsg_txn_begin (b->store, &txn, true);
    assert_int_equal (agency_events_prune_past (&txn, now, 10, 0, 1000), 10);
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
    s_bounds (b, &first, &last);
    assert_int_equal (first, 311);
    assert_int_equal (last, 320);
    /* The next seq goes on from the last, never reused. */
    s_append (b, 1, now);
    s_bounds (b, &first, &last);
    assert_int_equal (last, 321);
}

/* --- through the agencies and the API --- */

typedef struct {
    agency_world_t *world; /* the fixture */
    tsg_agency_t *elder;   /* sender */
    tsg_agency_t *pov;     /* recipient */
} s_world_t;

static int
s_world_setup (void **state)
{
    s_world_t *w = calloc (1, sizeof *w);
    tsg_agency_t *agencies[4];
    w->world = agency_world_with (2, agencies);
    assert_non_null (w->world);
    w->elder = agencies[0];
    w->pov = agencies[1];
    *state = w;
    return 0;
}

static int
s_world_teardown (void **state)
{
    s_world_t *w = *state;
    agency_world_destroy (&w->world);
    free (w);
    return 0;
}

/* GET /v1/events?... on agency with status expected; the body (caller frees). */
static json_t *
s_events (tsg_agency_t *agency, const char *query, int expected)
{
    char path[128];
    json_t *reply = NULL;
    snprintf (path, sizeof path, "/v1/events%s", query);
    assert_int_equal (agency_world_request (agency, "GET", path, NULL, &reply), expected);
    return reply;
}

/* The first event of type in a GET /v1/events answer after cursor, or NULL (borrowed from
 * *body, which the caller frees). */
static json_t *
s_find (tsg_agency_t *agency, const char *type, json_t **body)
{
    *body = s_events (agency, "?limit=500", 200);
    size_t i;
    json_t *event;
    json_array_foreach (json_object_get (*body, "events"), i, event)
    {
        if (strcmp (json_string_value (json_object_get (event, "type")), type) == 0)
            return event;
    }
    return NULL;
}

static const char *
s_data (const json_t *event, const char *key)
{
    return json_string_value (json_object_get (json_object_get (event, "data"), key));
}

/* Forwards every sequenced letter agency sent to `to` after a RECEIPT_STORED for it. */
static void
s_route (s_world_t *w, tsg_agency_t *agency, tsg_agency_t *to)
{
    size_t len;
    uint8_t *letter = NULL;
    for (size_t i = 0; i < agency_world_sent_count (w->world, agency) && !letter; i++) {
        const uint8_t *data = agency_world_sent (w->world, agency, i, &len);
        tsg_envelope_t env = { 0 };
        assert_int_equal (agency_world_decode (data, len, &env), TSG_OK);
        if (env.letter->sequence > 0) {
            letter = malloc (len);
            memcpy (letter, data, len);
        }
        tsg_envelope_clear (&env);
    }
    assert_non_null (letter);
    agency_world_sent_clear (w->world, agency);
    assert_int_equal (agency_world_store_ack (w->world, agency, letter, len), TSG_OK);
    assert_int_equal (agency_world_deliver (to, letter, len), TSG_OK);
    free (letter);
    uint8_t *receipt = agency_world_take (w->world, to, TSUNAGU__V1__KIND__KIND_RECEIPT, &len);
    assert_non_null (receipt);
    assert_int_equal (agency_world_deliver (agency, receipt, len), TSG_OK);
    agency_world_sent_clear (w->world, agency);
    free (receipt);
}

static void
test_a_referral_and_a_status_change_tell_both_sides (void **state)
{
    s_world_t *w = *state;
    json_t *reply = NULL;
    assert_int_equal (
        agency_world_request (w->elder, "POST", "/v1/referrals",
                              "{\"to\":\"pov-a\",\"legal_basis\":\"none\",\"urgency\":\"high\","
                              "\"sheet\":{\"household_id\":\"H-1\",\"memo\":\"家賃滞納\","
                              "\"eldercare\":{\"care_insurance\":\"要支援1\"}}}",
                              &reply),
        202);
    char referral_id[TSG_UUID_TEXT_SIZE];
    char case_id[TSG_UUID_TEXT_SIZE];
    snprintf (referral_id, sizeof referral_id, "%s",
              json_string_value (json_object_get (reply, "referral_id")));
    snprintf (case_id, sizeof case_id, "%s",
              json_string_value (json_object_get (reply, "case_id")));
    json_decref (reply);
    s_route (w, w->elder, w->pov);

    json_t *body;
    json_t *event = s_find (w->pov, "referral.received", &body);
    assert_non_null (event);
    assert_string_equal (s_data (event, "referral_id"), referral_id);
    assert_string_equal (s_data (event, "case_id"), case_id);
    assert_string_equal (s_data (event, "from"), "elder-a");
    assert_string_equal (s_data (event, "urgency"), "high");
    /* Ids and codes only: nothing of the sheet. */
    char *text = json_dumps (body, 0);
    assert_null (strstr (text, "H-1"));
    assert_null (strstr (text, "家賃"));
    free (text);
    json_decref (body);

    event = s_find (w->elder, "delivery.stored", &body);
    assert_non_null (event);
    assert_string_equal (s_data (event, "referral_id"), referral_id);
    assert_string_equal (s_data (event, "recipient"), "pov-a");
    assert_string_equal (s_data (event, "kind"), "referral");
    uint64_t stored_seq = agency_json_u64 (event, "seq", 0);
    json_decref (body);
    event = s_find (w->elder, "delivery.delivered", &body);
    assert_non_null (event);
    assert_string_equal (s_data (event, "recipient"), "pov-a");
    assert_true (agency_json_u64 (event, "seq", 0) > stored_seq);
    json_decref (body);

    /* pov acknowledges: both sides see referral.status_changed requested → received. */
    char path[96];
    snprintf (path, sizeof path, "/v1/referrals/%s/status", referral_id);
    assert_int_equal (
        agency_world_request (w->pov, "POST", path, "{\"status\":\"received\"}", &reply), 202);
    json_decref (reply);
    s_route (w, w->pov, w->elder);
    tsg_agency_t *sides[2] = { w->pov, w->elder };
    for (int i = 0; i < 2; i++) {
        event = s_find (sides[i], "referral.status_changed", &body);
        assert_non_null (event);
        assert_string_equal (s_data (event, "referral_id"), referral_id);
        assert_string_equal (s_data (event, "from"), "requested");
        assert_string_equal (s_data (event, "to"), "received");
        assert_string_equal (s_data (event, "by"), "pov-a");
        assert_string_equal (s_data (event, "side"), i == 0 ? "recipient" : "sender");
        json_decref (body);
    }
}

static void
test_the_api_checks_its_arguments_and_pages (void **state)
{
    s_world_t *w = *state;
    json_t *body = s_events (w->elder, "", 200);
    uint64_t last = agency_json_u64 (body, "last", 0);
    assert_true (last >= 1); /* the directory the fixture published */
    assert_int_equal (agency_json_u64 (body, "next_after", 0), last);
    json_decref (body);
    json_decref (s_events (w->elder, "?limit=0", 400));
    json_decref (s_events (w->elder, "?limit=501", 400));
    json_decref (s_events (w->elder, "?after=x", 400));
    char query[64];
    snprintf (query, sizeof query, "?after=%llu", (unsigned long long) last + 1);
    json_decref (s_events (w->elder, query, 400));
    snprintf (query, sizeof query, "?after=%llu", (unsigned long long) last);
    body = s_events (w->elder, query, 200);
    assert_int_equal (json_array_size (json_object_get (body, "events")), 0);
    assert_int_equal (agency_json_u64 (body, "next_after", 0), last);
    json_decref (body);
    /* Pruned: a cursor older than the oldest kept is told so. */
    tsg_txn_t txn;
    tsg_txn_begin (w->elder->store, &txn, true);
    for (int i = 0; i < 5; i++)
        agency_events_append (&txn, "elder-a", "case.updated", NULL, T0);
    agency_events_prune_past (&txn, tsg_now_ms () + DAY_MS, 2, 0, 1000);
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
    body = s_events (w->elder, "?after=0&limit=1", 200);
    assert_int_equal (json_array_size (json_object_get (body, "events")), 1);
    uint64_t first =
        agency_json_u64 (json_array_get (json_object_get (body, "events"), 0), "seq", 0);
    assert_int_equal (first, last + 4);
    assert_int_equal (agency_json_u64 (body, "next_after", 0), first);
    json_decref (body);
    snprintf (query, sizeof query, "?after=%llu", (unsigned long long) first - 2);
    body = s_events (w->elder, query, 410);
    assert_string_equal (json_string_value (json_object_get (body, "error")), "gone");
    assert_int_equal (agency_json_u64 (body, "first", 0), first);
    json_decref (body);
    snprintf (query, sizeof query, "?after=%llu", (unsigned long long) first - 1);
    json_decref (s_events (w->elder, query, 200));
}

/* elder's next referral to pov (notice, basis none), its envelope (caller frees). */
static uint8_t *
s_refer (s_world_t *w, char referral_id[TSG_UUID_TEXT_SIZE], size_t *len)
{
    json_t *reply = NULL;
    agency_world_sent_clear (w->world, w->elder);
    assert_int_equal (
        agency_world_request (w->elder, "POST", "/v1/referrals",
                              "{\"to\":\"pov-a\",\"legal_basis\":\"none\",\"sheet\":{"
                              "\"household_id\":\"H-2\",\"eldercare\":{\"care_insurance\":"
                              "\"要支援1\"}}}",
                              &reply),
        202);
    snprintf (referral_id, TSG_UUID_TEXT_SIZE, "%s",
              json_string_value (json_object_get (reply, "referral_id")));
    json_decref (reply);
    uint8_t *letter = agency_world_take (w->world, w->elder, TSUNAGU__V1__KIND__KIND_REFERRAL, len);
    assert_non_null (letter);
    return letter;
}

/* How many events of type the feed of agency holds. */
static size_t
s_count (tsg_agency_t *agency, const char *type)
{
    json_t *body = s_events (agency, "?limit=500", 200);
    size_t i, n = 0;
    json_t *event;
    json_array_foreach (json_object_get (body, "events"), i, event)
    {
        n += strcmp (json_string_value (json_object_get (event, "type")), type) == 0;
    }
    json_decref (body);
    return n;
}

static void
s_fill_hello (tsg_letter_t *letter, void *arg)
{
    static Tsunagu__V1__Hello hello;
    (void) arg;
    tsunagu__v1__hello__init (&hello);
    letter->hello = &hello;
}

static void
test_a_refusal_before_and_after_storing_is_refused_then_withheld (void **state)
{
    s_world_t *w = *state;
    char rid[TSG_UUID_TEXT_SIZE];
    size_t len;
    uint8_t *letter = s_refer (w, rid, &len);
    assert_int_equal (agency_world_error (w->world, w->elder, letter, len,
                                          TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED, true),
                      TSG_OK);
    json_t *body;
    json_t *event = s_find (w->elder, "delivery.refused", &body);
    assert_non_null (event);
    assert_string_equal (s_data (event, "referral_id"), rid);
    assert_string_equal (s_data (event, "recipient"), "pov-a");
    assert_non_null (s_data (event, "code"));
    assert_non_null (s_data (event, "detail"));
    json_decref (body);
    /* The refusal of a copy resent before the first answer came tells nothing new. */
    assert_int_equal (agency_world_error (w->world, w->elder, letter, len,
                                          TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED, true),
                      TSG_OK);
    free (letter);
    assert_int_equal (s_count (w->elder, "delivery.refused"), 1);
    assert_int_equal (s_count (w->elder, "delivery.withheld"), 0);

    letter = s_refer (w, rid, &len);
    assert_int_equal (agency_world_store_ack (w->world, w->elder, letter, len), TSG_OK);
    assert_int_equal (agency_world_store_ack (w->world, w->elder, letter, len), TSG_OK);
    assert_int_equal (agency_world_withhold (w->world, w->elder, letter, len), TSG_OK);
    free (letter);
    assert_int_equal (s_count (w->elder, "delivery.withheld"), 1);
    event = s_find (w->elder, "delivery.withheld", &body);
    assert_non_null (event);
    assert_string_equal (s_data (event, "referral_id"), rid);
    json_decref (body);
    /* A stored receipt that comes again (a resend) tells nothing new. */
    assert_int_equal (s_count (w->elder, "delivery.stored"), 1);
    assert_int_equal (s_count (w->elder, "delivery.refused"), 1);
}

static void
test_standing_and_back_pressure_are_events (void **state)
{
    s_world_t *w = *state;
    char rid[TSG_UUID_TEXT_SIZE];
    size_t len;
    uint8_t *letter = s_refer (w, rid, &len);
    for (int i = 0; i < 2; i++)
        assert_int_equal (agency_world_error (w->world, w->elder, letter, len,
                                              TSUNAGU__V1__ERROR_CODE__ERROR_QUOTA_EXCEEDED, false),
                          TSG_OK);
    assert_int_equal (s_count (w->elder, "backpressure.reached"), 1); /* when it began */
    json_t *body;
    json_t *event = s_find (w->elder, "backpressure.reached", &body);
    assert_string_equal (s_data (event, "code"), "quota_exceeded");
    json_decref (body);

    assert_int_equal (agency_world_error (w->world, w->elder, letter, len,
                                          TSUNAGU__V1__ERROR_CODE__ERROR_AGENCY_SUSPENDED, false),
                      TSG_OK);
    assert_int_equal (s_count (w->elder, "agency.suspended"), 1);
    assert_int_equal (s_count (w->elder, "agency.resumed"), 0);
    uint8_t *env = NULL;
    size_t env_len = 0;
    assert_int_equal (agency_world_coordinator_letter (w->world, "elder-a",
                                                       TSUNAGU__V1__KIND__KIND_HELLO, s_fill_hello,
                                                       NULL, &env, &env_len),
                      TSG_OK);
    assert_int_equal (agency_world_deliver (w->elder, env, env_len), TSG_OK);
    free (env);
    assert_int_equal (s_count (w->elder, "agency.resumed"), 1);
    assert_int_equal (agency_world_error (w->world, w->elder, letter, len,
                                          TSUNAGU__V1__ERROR_CODE__ERROR_AGENCY_REVOKED, false),
                      TSG_OK);
    assert_int_equal (s_count (w->elder, "agency.revoked"), 1);
    free (letter);
}

static void
test_a_case_update_is_case_updated (void **state)
{
    s_world_t *w = *state;
    Tsunagu__V1__CaseUpdate update = TSUNAGU__V1__CASE_UPDATE__INIT;
    update.case_id = "0b5d3c1e-7a2f-4c8d-9e6b-1f2a3b4c5d6e";
    update.state = "assessment";
    update.version = 3;
    char *agencies[] = { "elder-a", "pov-a" };
    update.agencies = agencies;
    update.n_agencies = 2;
    assert_int_equal (agency_world_case_update (w->world, w->pov, &update), TSG_OK);
    json_t *body;
    json_t *event = s_find (w->pov, "case.updated", &body);
    assert_non_null (event);
    assert_string_equal (s_data (event, "case_id"), update.case_id);
    assert_string_equal (s_data (event, "state"), "assessment");
    assert_int_equal (agency_json_u64 (json_object_get (event, "data"), "version", 0), 3);
    json_decref (body);
    /* An older version changes nothing and tells nothing. */
    update.version = 2;
    assert_int_equal (agency_world_case_update (w->world, w->pov, &update), TSG_OK);
    assert_int_equal (s_count (w->pov, "case.updated"), 1);
}

static void
test_a_consent_granted_and_revoked_tells_both_sides (void **state)
{
    s_world_t *w = *state;
    const char *case_id = "3c2b1a0f-9e8d-4c7b-8a69-5f4e3d2c1b0a";
    char *agencies[] = { "elder-a", "pov-a" };
    Tsunagu__V1__CaseUpdate update = TSUNAGU__V1__CASE_UPDATE__INIT;
    update.case_id = (char *) case_id;
    update.state = "multi-agency";
    update.version = 2;
    update.agencies = agencies;
    update.n_agencies = 2;
    assert_int_equal (agency_world_case_update (w->world, w->elder, &update), TSG_OK);
    assert_int_equal (agency_world_case_update (w->world, w->pov, &update), TSG_OK);
    char body[512];
    snprintf (body, sizeof body,
              "{\"case_id\":\"%s\",\"subject\":\"H001-1\",\"cover_agencies\":[\"pov-a\"],"
              "\"categories\":[\"identity\",\"free-text\"],\"purpose\":\"referral\","
              "\"method\":\"verbal\",\"valid_until\":\"2099-12-31\"}",
              case_id);
    json_t *reply = NULL;
    agency_world_sent_clear (w->world, w->elder);
    assert_int_equal (agency_world_request (w->elder, "POST", "/v1/consents", body, &reply), 202);
    char consent_id[TSG_UUID_TEXT_SIZE];
    snprintf (consent_id, sizeof consent_id, "%s",
              json_string_value (json_object_get (reply, "consent_id")));
    json_decref (reply);
    size_t len;
    uint8_t *grant =
        agency_world_take (w->world, w->elder, TSUNAGU__V1__KIND__KIND_CONSENT_GRANT, &len);
    assert_non_null (grant);
    assert_int_equal (s_count (w->elder, "consent.granted"), 0); /* not before it is stored */
    assert_int_equal (agency_world_store_ack (w->world, w->elder, grant, len), TSG_OK);
    assert_int_equal (agency_world_deliver (w->pov, grant, len), TSG_OK);
    free (grant);
    tsg_agency_t *sides[2] = { w->elder, w->pov };
    for (int i = 0; i < 2; i++) {
        json_t *got;
        json_t *event = s_find (sides[i], "consent.granted", &got);
        assert_non_null (event);
        assert_string_equal (s_data (event, "consent_id"), consent_id);
        assert_string_equal (s_data (event, "case_id"), case_id);
        assert_string_equal (s_data (event, "by"), "elder-a");
        json_decref (got);
    }

    char path[96];
    snprintf (path, sizeof path, "/v1/consents/%s", consent_id);
    agency_world_sent_clear (w->world, w->elder);
    assert_int_equal (agency_world_request (w->elder, "DELETE", path,
                                            "{\"reason\":\"本人から撤回の申出\"}", &reply),
                      202);
    json_decref (reply);
    uint8_t *revoke =
        agency_world_take (w->world, w->elder, TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE, &len);
    assert_non_null (revoke);
    assert_int_equal (agency_world_store_ack (w->world, w->elder, revoke, len), TSG_OK);
    assert_int_equal (agency_world_deliver (w->pov, revoke, len), TSG_OK);
    free (revoke);
    for (int i = 0; i < 2; i++) {
        json_t *got;
        json_t *event = s_find (sides[i], "consent.revoked", &got);
        assert_non_null (event);
        assert_string_equal (s_data (event, "consent_id"), consent_id);
        assert_string_equal (s_data (event, "state"), "revoked");
        assert_string_equal (s_data (event, "by"), "elder-a");
        char *text = json_dumps (got, 0);
        assert_null (strstr (text, "撤回の申出")); /* the reason stays in the record */
        free (text);
        json_decref (got);
        event = s_find (sides[i], "consent.restricted", &got);
        assert_non_null (event);
        assert_string_equal (s_data (event, "because"), "revoked");
        json_decref (got);
    }
}

static void
test_an_emergency_referral_is_an_alert (void **state)
{
    (void) state;
    s_world_t w = { 0 };
    tsg_agency_t *agencies[4];
    w.world = agency_world_with (4, agencies);
    assert_non_null (w.world);
    w.elder = agencies[0];
    w.pov = agencies[3]; /* child-a */
    json_t *reply = NULL;
    assert_int_equal (
        agency_world_request (
            w.elder, "POST", "/v1/referrals",
            "{\"to\":\"child-a\",\"urgency\":\"emergency\",\"tags\":[\"虐待\"],"
            "\"legal_basis\":\"emergency\",\"data_categories\":[\"identity\",\"family\"],"
            "\"sheet\":{\"household_id\":\"H004\",\"members\":[{\"name\":\"田中 太郎\","
            "\"relation\":\"長男\"},{\"name\":\"田中 花子\",\"relation\":\"本人\"}],"
            "\"summary\":\"あざが見られた。\",\"eldercare\":{\"care_insurance\":\"要介護2\"}}}",
            &reply),
        202);
    char rid[TSG_UUID_TEXT_SIZE];
    snprintf (rid, sizeof rid, "%s", json_string_value (json_object_get (reply, "referral_id")));
    json_decref (reply);
    s_route (&w, w.elder, w.pov);
    json_t *body;
    json_t *event = s_find (w.pov, "alert.emergency", &body);
    assert_non_null (event);
    assert_string_equal (s_data (event, "referral_id"), rid);
    assert_string_equal (s_data (event, "from"), "elder-a");
    char *text = json_dumps (body, 0);
    assert_null (strstr (text, "田中"));
    assert_null (strstr (text, "あざ"));
    free (text);
    json_decref (body);
    event = s_find (w.pov, "referral.received", &body);
    assert_string_equal (s_data (event, "urgency"), "emergency");
    json_decref (body);
    assert_int_equal (s_count (w.elder, "alert.emergency"), 0); /* the recipient's alert */
    agency_world_destroy (&w.world);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_an_event_is_stored_as_the_header_says, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_events_come_in_order_after_the_cursor_up_to_the_limit,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_an_event_rolled_back_with_its_transaction_is_not_there, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_prune_keeps_the_count_and_the_days_and_goes_in_bounded_passes, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_a_referral_and_a_status_change_tell_both_sides,
                                         s_world_setup, s_world_teardown),
        cmocka_unit_test_setup_teardown (test_the_api_checks_its_arguments_and_pages, s_world_setup,
                                         s_world_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_refusal_before_and_after_storing_is_refused_then_withheld, s_world_setup,
            s_world_teardown),
        cmocka_unit_test_setup_teardown (test_standing_and_back_pressure_are_events, s_world_setup,
                                         s_world_teardown),
        cmocka_unit_test_setup_teardown (test_a_case_update_is_case_updated, s_world_setup,
                                         s_world_teardown),
        cmocka_unit_test_setup_teardown (test_a_consent_granted_and_revoked_tells_both_sides,
                                         s_world_setup, s_world_teardown),
        cmocka_unit_test (test_an_emergency_referral_is_an_alert),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
