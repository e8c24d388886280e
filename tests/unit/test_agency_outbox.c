/* The outbox: sequence order, resend from the first unacknowledged letter with backoff
 * (0.25 s doubling to 4 s), the window, a full socket, and the agency's use of it
 * (stored receipts, final errors, gaps, restarts). */
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
#include "agency/records/outbox.h"

/* What the outbox handed to the socket. */
typedef struct {
    uint64_t sent[8192]; /* sequences, in order */
    size_t count;        /* how many */
    size_t fail_after;   /* sends that succeed before the socket is "full"; 0 = never full */
} s_socket_t;

static int
s_send (void *arg, uint64_t sequence, const uint8_t *data, size_t len)
{
    s_socket_t *socket = arg;
    (void) data;
    (void) len;
    if (socket->fail_after && socket->count >= socket->fail_after)
        return -1;
    if (socket->count < sizeof socket->sent / sizeof socket->sent[0])
        socket->sent[socket->count] = sequence;
    socket->count++;
    return 0;
}

typedef struct {
    agency_world_t *world;   /* owns the folder */
    tsg_store_t *store;      /* a bare agency store */
    agency_outbox_t *outbox; /* the schedule under test */
    s_socket_t socket;       /* the fake socket */
} s_bench_t;

static int
s_setup (void **state)
{
    s_bench_t *b = calloc (1, sizeof *b);
    b->world = agency_world_new ();
    char dir[700];
    snprintf (dir, sizeof dir, "%s/store", agency_world_dir (b->world));
    assert_true (tsg_mkdir_p (dir, 0700));
    assert_int_equal (agency_store_open (dir, 64u * 1024 * 1024, &b->store), TSG_OK);
    b->outbox = agency_outbox_new (b->store, tsg_store_db (b->store, AGENCY_DB_OUTBOX));
    *state = b;
    return 0;
}

static int
s_teardown (void **state)
{
    s_bench_t *b = *state;
    agency_outbox_destroy (&b->outbox);
    tsg_store_destroy (&b->store);
    agency_world_destroy (&b->world);
    free (b);
    return 0;
}

static void
s_put (s_bench_t *b, uint64_t from, uint64_t to)
{
    tsg_txn_t txn;
    tsg_txn_begin (b->store, &txn, true);
    for (uint64_t s = from; s <= to; s++) {
        uint8_t key[8];
        char value[32];
        tsg_be64_put (key, s);
        int n = snprintf (value, sizeof value, "letter %llu", (unsigned long long) s);
        tsg_txn_put (&txn, tsg_store_db (b->store, AGENCY_DB_OUTBOX), key, 8, value, (size_t) n);
    }
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
}

static void
s_ack (s_bench_t *b, uint64_t from, uint64_t to)
{
    tsg_txn_t txn;
    tsg_txn_begin (b->store, &txn, true);
    for (uint64_t s = from; s <= to; s++) {
        uint8_t key[8];
        tsg_be64_put (key, s);
        tsg_txn_del (&txn, tsg_store_db (b->store, AGENCY_DB_OUTBOX), key, 8);
    }
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
}

/* The socket got exactly from..to, in order, since the last check. */
static void
s_expect (s_bench_t *b, uint64_t from, uint64_t to)
{
    size_t n = to >= from ? (size_t) (to - from + 1) : 0;
    if (b->socket.count != n)
        fprintf (stderr, "expected %zu sends (%llu..%llu), got %zu\n", n, (unsigned long long) from,
                 (unsigned long long) to, b->socket.count);
    assert_int_equal (b->socket.count, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal (b->socket.sent[i], from + i);
    b->socket.count = 0;
}

static void
test_empty (void **state)
{
    s_bench_t *b = *state;
    agency_outbox_refresh (b->outbox, 0);
    assert_int_equal (agency_outbox_pump (b->outbox, 0, s_send, &b->socket), 0);
    assert_int_equal (agency_outbox_timeout (b->outbox, 0), -1);
    assert_false (agency_outbox_blocked (b->outbox));
    assert_int_equal (agency_outbox_first (b->outbox), 0);
}

static void
test_order_and_backoff (void **state)
{
    s_bench_t *b = *state;
    s_put (b, 1, 5);
    agency_outbox_refresh (b->outbox, 1000);
    assert_int_equal (agency_outbox_pending (b->outbox), 5);
    assert_int_equal (agency_outbox_timeout (b->outbox, 1000), 0);
    assert_int_equal (agency_outbox_pump (b->outbox, 1000, s_send, &b->socket), 5);
    s_expect (b, 1, 5);

    /* Nothing acknowledged: nothing before the first backoff, then everything from the first;
     * the delay doubles up to its ceiling and stays there. */
    const uint64_t min = AGENCY_OUTBOX_BACKOFF_MIN_MS, max = AGENCY_OUTBOX_BACKOFF_MAX_MS;
    assert_int_equal (agency_outbox_timeout (b->outbox, 1000), (long) min);
    assert_int_equal (agency_outbox_pump (b->outbox, 1000 + min - 1, s_send, &b->socket), 0);
    uint64_t now = 1000 + min;
    uint64_t backoff = min;
    for (int i = 0; i < 6; i++) {
        backoff = backoff * 2 > max ? max : backoff * 2;
        assert_int_equal (agency_outbox_pump (b->outbox, now, s_send, &b->socket), 5);
        s_expect (b, 1, 5);
        assert_int_equal (agency_outbox_timeout (b->outbox, now), (long) backoff);
        now += backoff;
    }
    assert_int_equal (backoff, max);

    /* Acknowledgements: only the rest is resent, and the backoff starts again. */
    s_ack (b, 1, 2);
    agency_outbox_refresh (b->outbox, now);
    assert_int_equal (agency_outbox_first (b->outbox), 3);
    assert_int_equal (agency_outbox_timeout (b->outbox, now), (long) min);
    assert_int_equal (agency_outbox_pump (b->outbox, now + min, s_send, &b->socket), 3);
    s_expect (b, 3, 5);

    /* New letters go out at once, after what is in flight, without resending it. */
    s_put (b, 6, 7);
    agency_outbox_refresh (b->outbox, now + min + 10);
    assert_int_equal (agency_outbox_timeout (b->outbox, now + min + 10), 0);
    assert_int_equal (agency_outbox_pump (b->outbox, now + min + 10, s_send, &b->socket), 2);
    s_expect (b, 6, 7);

    /* All acknowledged: nothing to do. */
    s_ack (b, 3, 7);
    agency_outbox_refresh (b->outbox, now + min + 50);
    assert_int_equal (agency_outbox_timeout (b->outbox, now + min + 50), -1);
    assert_int_equal (agency_outbox_pump (b->outbox, now + 100000, s_send, &b->socket), 0);
    assert_int_equal (agency_outbox_pending (b->outbox), 0);
}

static void
test_rewind (void **state)
{
    s_bench_t *b = *state;
    s_put (b, 10, 14);
    agency_outbox_refresh (b->outbox, 0);
    agency_outbox_pump (b->outbox, 0, s_send, &b->socket);
    s_expect (b, 10, 14);
    /* A gap reported: resend from the first unacknowledged now, not after the backoff. */
    agency_outbox_rewind (b->outbox, 10);
    assert_int_equal (agency_outbox_timeout (b->outbox, 10), 0);
    assert_int_equal (agency_outbox_pump (b->outbox, 10, s_send, &b->socket), 5);
    s_expect (b, 10, 14);
    /* More gap reports for the same round change nothing. */
    agency_outbox_rewind (b->outbox, 20);
    assert_int_equal (agency_outbox_pump (b->outbox, 20, s_send, &b->socket), 0);
    s_ack (b, 10, 14);
    agency_outbox_refresh (b->outbox, 30);
}

static void
test_holes_are_skipped (void **state)
{
    s_bench_t *b = *state;
    /* 21 and 22 were refused (final errors) and left the outbox. */
    s_put (b, 20, 24);
    s_ack (b, 21, 22);
    agency_outbox_refresh (b->outbox, 0);
    agency_outbox_pump (b->outbox, 0, s_send, &b->socket);
    assert_int_equal (b->socket.count, 3);
    assert_int_equal (b->socket.sent[0], 20);
    assert_int_equal (b->socket.sent[1], 23);
    assert_int_equal (b->socket.sent[2], 24);
    b->socket.count = 0;
    s_ack (b, 20, 24);
    agency_outbox_refresh (b->outbox, 0);
}

static void
test_full_socket (void **state)
{
    s_bench_t *b = *state;
    s_put (b, 30, 35);
    agency_outbox_refresh (b->outbox, 0);
    b->socket.fail_after = 2;
    assert_int_equal (agency_outbox_pump (b->outbox, 0, s_send, &b->socket), 2);
    assert_true (agency_outbox_blocked (b->outbox));
    s_expect (b, 30, 31);
    /* Writable again: it goes on where it stopped, without resending 30 and 31. */
    b->socket.fail_after = 0;
    assert_int_equal (agency_outbox_pump (b->outbox, 5, s_send, &b->socket), 4);
    assert_false (agency_outbox_blocked (b->outbox));
    s_expect (b, 32, 35);
    s_ack (b, 30, 35);
    agency_outbox_refresh (b->outbox, 10);
}

static void
test_window (void **state)
{
    s_bench_t *b = *state;
    s_put (b, 100, 100 + AGENCY_OUTBOX_WINDOW + 99);
    agency_outbox_refresh (b->outbox, 0);
    assert_int_equal (agency_outbox_pump (b->outbox, 0, s_send, &b->socket), AGENCY_OUTBOX_WINDOW);
    s_expect (b, 100, 100 + AGENCY_OUTBOX_WINDOW - 1);
    /* The window is full: no busy loop, only the resend deadline. */
    assert_int_equal (agency_outbox_timeout (b->outbox, 0), AGENCY_OUTBOX_BACKOFF_MIN_MS);
    s_ack (b, 100, 149);
    agency_outbox_refresh (b->outbox, 100);
    assert_int_equal (agency_outbox_pump (b->outbox, 100, s_send, &b->socket), 50);
    s_expect (b, 100 + AGENCY_OUTBOX_WINDOW, 100 + AGENCY_OUTBOX_WINDOW + 49);
    s_ack (b, 150, 100 + AGENCY_OUTBOX_WINDOW + 99);
    agency_outbox_refresh (b->outbox, 200);
}

/* The agency side: sequences, stored receipts, final and non-final errors, restarts. */
static void
test_agency_outbox (void **state)
{
    (void) state;
    agency_world_t *world = agency_world_new ();
    tsg_agency_t *elder = agency_world_agency (world, "elder-a", "eldercare");
    assert_non_null (agency_world_agency (world, "pov-a", "poverty"));
    agency_world_publish (world);

    char ids[4][TSG_UUID_TEXT_SIZE];
    for (int i = 0; i < 4; i++) {
        json_t *reply = NULL;
        assert_int_equal (agency_world_request (elder, "POST", "/v1/referrals",
                                                "{\"to\":\"pov-a\",\"legal_basis\":\"consent\","
                                                "\"consent_id\":\"c-1\","
                                                "\"data_categories\":[\"health\"],"
                                                "\"sheet\":{\"n\":1,\"eldercare\":"
                                                "{\"care_insurance\":\"要介護2\"}}}",
                                                &reply),
                          202);
        snprintf (ids[i], sizeof ids[i], "%s",
                  json_string_value (json_object_get (reply, "referral_id")));
        json_decref (reply);
    }
    assert_int_equal (agency_world_sent_count (world, elder), 4);
    const uint8_t *letters[4];
    size_t lens[4];
    for (size_t i = 0; i < 4; i++) {
        letters[i] = agency_world_sent (world, elder, i, &lens[i]);
        tsg_envelope_t env = { 0 };
        assert_int_equal (agency_world_decode (letters[i], lens[i], &env), TSG_OK);
        assert_int_equal (env.letter->sequence, i + 1);
        tsg_envelope_clear (&env);
    }

    /* 1 stored; 2 refused for good; 3 hits a gap (not final): resend from the first. */
    assert_int_equal (agency_world_store_ack (world, elder, letters[0], lens[0]), TSG_OK);
    assert_int_equal (agency_world_error (world, elder, letters[1], lens[1],
                                          TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED, true),
                      TSG_OK);
    assert_int_equal (agency_world_count (elder, AGENCY_DB_OUTBOX), 2);
    assert_int_equal (agency_outbox_first (elder->outbox), 3);

    json_t *record = NULL;
    char path[80];
    snprintf (path, sizeof path, "/v1/referrals/%s", ids[0]);
    assert_int_equal (agency_world_request (elder, "GET", path, NULL, &record), 200);
    assert_string_equal (json_string_value (json_object_get (record, "delivery")), "stored");
    assert_true (
        json_is_string (json_object_get (json_object_get (record, "receipts"), "stored_at")));
    json_decref (record);
    snprintf (path, sizeof path, "/v1/referrals/%s", ids[1]);
    assert_int_equal (agency_world_request (elder, "GET", path, NULL, &record), 200);
    assert_string_equal (json_string_value (json_object_get (record, "delivery")), "refused");
    json_t *error = json_object_get (record, "error");
    assert_string_equal (json_string_value (json_object_get (error, "code")), "not_permitted");
    assert_string_equal (json_string_value (json_object_get (error, "message")),
                         "refused by the fixture");
    json_t *history = json_object_get (record, "history");
    assert_int_equal (json_array_size (history), 2);
    assert_string_equal (json_string_value (json_object_get (json_array_get (history, 1), "event")),
                         "refused");
    json_decref (record);

    uint8_t *copy3 = malloc (lens[2]);
    memcpy (copy3, letters[2], lens[2]);
    size_t len3 = lens[2];
    agency_world_sent_clear (world, elder);
    assert_int_equal (agency_world_error (world, elder, copy3, len3,
                                          TSUNAGU__V1__ERROR_CODE__ERROR_OUT_OF_ORDER, false),
                      TSG_OK);
    agency_pump (elder);
    assert_int_equal (agency_world_sent_count (world, elder), 2); /* 3 and 4 again */
    size_t len;
    tsg_envelope_t env = { 0 };
    const uint8_t *again = agency_world_sent (world, elder, 0, &len);
    assert_int_equal (agency_world_decode (again, len, &env), TSG_OK);
    assert_int_equal (env.letter->sequence, 3);
    tsg_envelope_clear (&env);
    /* A stored receipt repeated (a resend answered again) changes nothing. */
    assert_int_equal (agency_world_store_ack (world, elder, copy3, len3), TSG_OK);
    assert_int_equal (agency_world_store_ack (world, elder, copy3, len3), TSG_OK);
    assert_int_equal (agency_world_count (elder, AGENCY_DB_OUTBOX), 1);
    free (copy3);

    /* A restart keeps the outbox, the sequence counter and the directory. */
    agency_world_sent_clear (world, elder);
    elder = agency_world_restart (world, elder);
    assert_non_null (elder);
    assert_int_equal (elder->next_sequence, 5);
    assert_int_equal (agency_outbox_pending (elder->outbox), 1);
    assert_int_equal (agency_directory_count (elder->directory), 2);
    agency_pump (elder);
    assert_int_equal (agency_world_sent_count (world, elder), 1);
    again = agency_world_sent (world, elder, 0, &len);
    assert_int_equal (agency_world_decode (again, len, &env), TSG_OK);
    assert_int_equal (env.letter->sequence, 4);
    tsg_envelope_clear (&env);
    json_t *reply = NULL;
    assert_int_equal (agency_world_request (elder, "POST", "/v1/referrals",
                                            "{\"to\":\"pov-a\",\"legal_basis\":\"none\","
                                            "\"sheet\":{\"eldercare\":"
                                            "{\"care_insurance\":\"未申請\"}}}",
                                            &reply),
                      202);
    json_decref (reply);
    assert_int_equal (elder->next_sequence, 6);
    agency_world_destroy (&world);
}

int
main (void)
{
    log_init ("test_agency_outbox", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_empty),         cmocka_unit_test (test_order_and_backoff),
        cmocka_unit_test (test_rewind),        cmocka_unit_test (test_holes_are_skipped),
        cmocka_unit_test (test_full_socket),   cmocka_unit_test (test_window),
        cmocka_unit_test (test_agency_outbox),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
