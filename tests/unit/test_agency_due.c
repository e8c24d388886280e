/* Response due dates: the sender computes both dates from the recipient's directory entry
 * (the registry's days, or the type's defaults) and the urgency, on the Japan-time calendar,
 * puts them in the header, answers them, and the recipient reads them back.  The clock is
 * injected, never slept on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tsunagu/tsunagu.h"
#include "agency_world.h"

static uint64_t s_now_ms;

static uint64_t
s_clock (void)
{
    return s_now_ms;
}

/* UTC ms of a civil time in Japan (UTC+9). */
static uint64_t
s_jst (int year, int month, int day, int hour, int minute)
{
    struct tm tm = { 0 };
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    return ((uint64_t) timegm (&tm) - 9 * 3600) * 1000;
}

typedef struct {
    agency_world_t *world; /* the fixture */
    tsg_agency_t *elder;   /* the sender */
    tsg_agency_t *pov;     /* poverty, the type's defaults */
    tsg_agency_t *dis;     /* disability, the registry gives 2 and 10 days */
    tsg_agency_t *child;   /* child, the type's defaults (3 days) */
} s_world_t;

static s_world_t *
s_world (uint64_t now_ms)
{
    s_now_ms = now_ms;
    tsg_clock_set (s_clock);
    s_world_t *w = calloc (1, sizeof *w);
    w->world = agency_world_new ();
    w->elder = agency_world_agency (w->world, "elder-a", "eldercare");
    w->pov = agency_world_agency (w->world, "pov-a", "poverty");
    w->dis = agency_world_agency (w->world, "dis-a", "disability");
    w->child = agency_world_agency (w->world, "child-a", "child");
    assert_non_null (w->child);
    agency_world_due_days (w->world, "dis-a", 2, 10);
    agency_world_publish (w->world);
    return w;
}

static void
s_world_destroy (s_world_t **w_p)
{
    agency_world_destroy (&(*w_p)->world);
    free (*w_p);
    *w_p = NULL;
    tsg_clock_set (NULL);
}

/* Sends a referral to `to` with urgency and checks both dates everywhere they show. */
static void
s_expect (s_world_t *w, tsg_agency_t *to, const char *urgency, const char *receive_due,
          const char *due)
{
    char body[256];
    snprintf (body, sizeof body,
              "{\"to\":\"%s\",\"urgency\":\"%s\",\"legal_basis\":\"none\","
              "\"sheet\":{\"eldercare\":{\"care_insurance\":\"要介護1\"}}}",
              to->config->id, urgency);
    json_t *reply = NULL;
    assert_int_equal (agency_world_request (w->elder, "POST", "/v1/referrals", body, &reply), 202);
    assert_string_equal (json_string_value (json_object_get (reply, "due_date")), due);
    assert_string_equal (json_string_value (json_object_get (reply, "receive_due_date")),
                         receive_due);
    char path[96];
    snprintf (path, sizeof path, "/v1/referrals/%s",
              json_string_value (json_object_get (reply, "referral_id")));
    json_decref (reply);

    /* The header carries both. */
    size_t len;
    uint8_t *letter =
        agency_world_take (w->world, w->elder, TSUNAGU__V1__KIND__KIND_REFERRAL, &len);
    assert_non_null (letter);
    tsg_envelope_t env = { 0 };
    assert_int_equal (agency_world_decode (letter, len, &env), TSG_OK);
    assert_string_equal (env.letter->header->due_date, due);
    assert_string_equal (env.letter->header->receive_due_date, receive_due);
    tsg_envelope_clear (&env);

    /* The sender's record and the recipient's copy show them. */
    assert_int_equal (agency_world_request (w->elder, "GET", path, NULL, &reply), 200);
    assert_string_equal (json_string_value (json_object_get (reply, "due_date")), due);
    assert_string_equal (json_string_value (json_object_get (reply, "receive_due_date")),
                         receive_due);
    json_decref (reply);
    assert_int_equal (agency_world_store_ack (w->world, w->elder, letter, len), TSG_OK);
    assert_int_equal (agency_world_deliver (to, letter, len), TSG_OK);
    free (letter);
    agency_world_sent_clear (w->world, to);
    assert_int_equal (agency_world_request (to, "GET", path, NULL, &reply), 200);
    assert_string_equal (json_string_value (json_object_get (reply, "role")), "recipient");
    assert_string_equal (json_string_value (json_object_get (reply, "due_date")), due);
    assert_string_equal (json_string_value (json_object_get (reply, "receive_due_date")),
                         receive_due);
    json_decref (reply);
}

static void
test_due_dates_from_the_directory (void **state)
{
    (void) state;
    /* Monday 2026-11-23, 10:00 in Japan. */
    s_world_t *w = s_world (s_jst (2026, 11, 23, 10, 0));
    s_expect (w, w->pov, "normal", "2026-11-24", "2026-11-30");    /* poverty: 1 and 7 */
    s_expect (w, w->dis, "normal", "2026-11-25", "2026-12-03");    /* registry: 2 and 10 */
    s_expect (w, w->child, "normal", "2026-11-24", "2026-11-26");  /* child: 1 and 3 */
    s_expect (w, w->pov, "high", "2026-11-24", "2026-11-27");      /* 7 halved, rounded up */
    s_expect (w, w->dis, "high", "2026-11-25", "2026-11-28");      /* 10 halved */
    s_expect (w, w->child, "high", "2026-11-24", "2026-11-25");    /* 3 → 2 */
    s_expect (w, w->pov, "emergency", "2026-11-23", "2026-11-24"); /* same day, next day */
    s_expect (w, w->dis, "emergency", "2026-11-23", "2026-11-24");
    s_world_destroy (&w);
}

static void
test_days_follow_the_japan_calendar (void **state)
{
    (void) state;
    /* 23:30 in Japan is still the 23rd, though UTC says 14:30 the same day. */
    s_world_t *w = s_world (s_jst (2026, 11, 23, 23, 30));
    s_expect (w, w->pov, "normal", "2026-11-24", "2026-11-30");
    s_world_destroy (&w);
    /* 00:30 in Japan is already the 24th, though UTC still says the 23rd. */
    w = s_world (s_jst (2026, 11, 24, 0, 30));
    s_expect (w, w->pov, "normal", "2026-11-25", "2026-12-01");
    /* Across the year's end. */
    s_world_destroy (&w);
    w = s_world (s_jst (2026, 12, 28, 9, 0));
    s_expect (w, w->dis, "normal", "2026-12-30", "2027-01-07");
    s_world_destroy (&w);
}

static void
test_registry_days_change_with_the_directory (void **state)
{
    (void) state;
    s_world_t *w = s_world (s_jst (2026, 11, 23, 10, 0));
    agency_world_due_days (w->world, "pov-a", 3, 21);
    agency_world_publish (w->world);
    s_expect (w, w->pov, "normal", "2026-11-26", "2026-12-14");
    json_t *reply = NULL;
    assert_int_equal (agency_world_request (w->elder, "GET", "/v1/directory", NULL, &reply), 200);
    json_t *agencies = json_object_get (reply, "agencies");
    size_t i;
    json_t *entry;
    bool seen = false;
    json_array_foreach (agencies, i, entry)
    {
        if (strcmp (json_string_value (json_object_get (entry, "id")), "pov-a") == 0) {
            assert_int_equal (json_integer_value (json_object_get (entry, "receive_due_days")), 3);
            assert_int_equal (json_integer_value (json_object_get (entry, "response_due_days")),
                              21);
            seen = true;
        }
        if (strcmp (json_string_value (json_object_get (entry, "id")), "child-a") == 0)
            assert_int_equal (json_integer_value (json_object_get (entry, "response_due_days")), 3);
    }
    assert_true (seen);
    json_decref (reply);
    s_world_destroy (&w);
}

int
main (void)
{
    log_init ("test_agency_due", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_due_dates_from_the_directory),
        cmocka_unit_test (test_days_follow_the_japan_calendar),
        cmocka_unit_test (test_registry_days_change_with_the_directory),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
