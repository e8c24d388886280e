/* What an agency keeps of forwarded letters expires: dedup records after the seen window,
 * quarantined letters (a hash, the reason and a bounded prefix, capped per sender) after 30
 * days; the sweep runs in small passes. */
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
#include "agency/records/seen.h"

#define DAY_MS (24ULL * 3600 * 1000)

static uint64_t s_now;
static uint64_t
s_clock (void)
{
    return s_now;
}

typedef struct {
    agency_world_t *world; /* the fixture */
    tsg_agency_t *elder;   /* sender */
    tsg_agency_t *pov;     /* recipient */
} s_world_t;

static int
s_setup (void **state)
{
    s_now = 1795402800000ULL;
    tsg_clock_set (s_clock);
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
s_teardown (void **state)
{
    s_world_t *w = *state;
    tsg_clock_set (NULL);
    agency_world_destroy (&w->world);
    free (w);
    return 0;
}

/* A notice referral from elder to pov; a copy of its envelope (caller frees). */
static uint8_t *
s_referral (s_world_t *w, const char *household, size_t *len)
{
    char body[256];
    snprintf (body, sizeof body,
              "{\"to\":\"pov-a\",\"legal_basis\":\"none\",\"sheet\":{\"household_id\":\"%s\","
              "\"eldercare\":{\"care_insurance\":\"要支援1\"}}}",
              household);
    json_t *reply = NULL;
    agency_world_sent_clear (w->world, w->elder);
    assert_int_equal (agency_world_request (w->elder, "POST", "/v1/referrals", body, &reply), 202);
    json_decref (reply);
    uint8_t *letter = agency_world_take (w->world, w->elder, TSUNAGU__V1__KIND__KIND_REFERRAL, len);
    assert_non_null (letter);
    return letter;
}

/* Runs the sweep until a pass deletes nothing; returns how many it deleted. */
static size_t
s_sweep (tsg_agency_t *agency, uint64_t seen_days)
{
    agency_prune_cursor_t cursor;
    memset (&cursor, 0, sizeof cursor);
    size_t total = 0;
    for (int pass = 0; pass < 1000; pass++) {
        tsg_txn_t txn;
        tsg_txn_begin (agency->store, &txn, true);
        size_t n = agency_retention_prune (&txn, &cursor, tsg_now_ms (), seen_days * DAY_MS);
        assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
        total += n;
        if (n == 0 && cursor.seen_len == 0 && cursor.quarantine_len == 0)
            break;
    }
    return total;
}

static void
test_seen_expires_after_the_window (void **state)
{
    s_world_t *w = *state;
    for (int i = 0; i < 20; i++) {
        char household[16];
        snprintf (household, sizeof household, "H%03d", i);
        size_t len;
        uint8_t *letter = s_referral (w, household, &len);
        assert_int_equal (agency_world_deliver (w->pov, letter, len), TSG_OK);
        free (letter);
    }
    assert_int_equal (agency_world_count (w->pov, AGENCY_DB_SEEN), 20);
    s_now += 29 * DAY_MS;
    assert_int_equal (s_sweep (w->pov, 30), 0); /* inside the window: kept */
    assert_int_equal (agency_world_count (w->pov, AGENCY_DB_SEEN), 20);
    s_now += 2 * DAY_MS;
    assert_int_equal (s_sweep (w->pov, 30), 20);
    assert_int_equal (agency_world_count (w->pov, AGENCY_DB_SEEN), 0);
    /* The inbox (the agency's own record of what it received) is untouched. */
    assert_int_equal (agency_world_count (w->pov, AGENCY_DB_INBOX), 20);
}

static void
test_quarantine_bounded (void **state)
{
    s_world_t *w = *state;
    size_t len;
    uint8_t *letter = s_referral (w, "H100", &len);
    /* Letters with a bad signature from a known sender, each a different frame. */
    size_t extra = 40;
    for (size_t i = 0; i < AGENCY_QUARANTINE_PER_SENDER + extra; i++) {
        uint8_t *copy = malloc (len);
        memcpy (copy, letter, len);
        copy[len - 1] ^= (uint8_t) (1 + (i & 0x7f));
        copy[len - 2] ^= (uint8_t) (i >> 7);
        assert_int_equal (agency_world_deliver (w->pov, copy, len), TSG_OK);
        free (copy);
    }
    free (letter);
    assert_int_equal (agency_world_count (w->pov, AGENCY_DB_QUARANTINE),
                      AGENCY_QUARANTINE_PER_SENDER);
    /* A frame far larger than the prefix is kept as its prefix. */
    tsg_txn_t txn;
    tsg_txn_begin (w->pov->store, &txn, true);
    static uint8_t big[64 * 1024];
    memset (big, 0x5a, sizeof big);
    assert_true (
        agency_quarantine_put (&txn, "someone-else", big, sizeof big, "too big", tsg_now_ms ()));
    MDB_dbi db = tsg_store_db (w->pov->store, AGENCY_DB_QUARANTINE);
    tsg_iter_t it;
    size_t largest = 0;
    for (tsg_iter_begin (&txn, db, &it, NULL, 0); it.valid; tsg_iter_next (&it))
        largest = it.val.mv_size > largest ? it.val.mv_size : largest;
    tsg_iter_end (&it);
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
    assert_true (largest <= AGENCY_QUARANTINE_PREFIX + 256);
    /* After 30 days all of it goes, and the sender may be quarantined again. */
    s_now += 31 * DAY_MS;
    assert_int_equal (s_sweep (w->pov, 30), AGENCY_QUARANTINE_PER_SENDER + 1);
    assert_int_equal (agency_world_count (w->pov, AGENCY_DB_QUARANTINE), 0);
    tsg_txn_begin (w->pov->store, &txn, true);
    assert_true (agency_quarantine_put (&txn, "elder-a", big, 100, "again", tsg_now_ms ()));
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_seen_expires_after_the_window, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_quarantine_bounded, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
