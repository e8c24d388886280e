/* What an agency may do, from what the coordinator's signed letters say: suspended and
 * revoked agencies, a clock that is off, back-pressure after a full quota, a full outbox; an
 * outbox row never stands without its record; forwarded letters held after a failed commit
 * until the coordinator resends the mailbox from its oldest letter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsunagu/tsunagu.h"
#include "agency_world.h"
#include "agency/records/referral_state.h"

#define MINUTE_MS (60ULL * 1000)

typedef struct {
    agency_world_t *world; /* the fixture */
    tsg_agency_t *elder;   /* the agency under test */
    tsg_agency_t *pov;     /* a recipient */
} s_world_t;

static const char *const s_notice =
    "{\"to\":\"pov-a\",\"legal_basis\":\"none\",\"sheet\":{\"household_id\":\"H001\","
    "\"eldercare\":{\"care_insurance\":\"要介護1\"}}}";

static int
s_setup (void **state)
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
s_teardown (void **state)
{
    s_world_t *w = *state;
    tsg_clock_set (NULL);
    agency_world_destroy (&w->world);
    free (w);
    return 0;
}

/* POSTs the notice referral; returns the status, the error code in code (when there is one)
 * and the Retry-After seconds in *retry. */
static int
s_refer (s_world_t *w, char code[32], long *retry)
{
    json_t *reply = NULL;
    int status = agency_world_request (w->elder, "POST", "/v1/referrals", s_notice, &reply);
    const char *error = json_string_value (json_object_get (reply, "error"));
    snprintf (code, 32, "%s", error ? error : "");
    *retry = (long) json_integer_value (json_object_get (reply, "retry_after_s"));
    json_decref (reply);
    return status;
}

/* A member of GET /healthz ("status", "registration"). */
static char *
s_health_field (s_world_t *w, const char *member)
{
    json_t *reply = NULL;
    assert_int_equal (agency_world_request (w->elder, "GET", "/healthz", NULL, &reply), 200);
    char *value = strdup (json_string_value (json_object_get (reply, member)));
    json_decref (reply);
    return value;
}

static void
s_expect_health (s_world_t *w, const char *want)
{
    char *status = s_health_field (w, "status");
    assert_string_equal (status, want);
    free (status);
}

/* Fills a coordinator HELLO written at *(uint64_t *) arg, optionally rewound. */
typedef struct {
    uint64_t created_at;    /* its clock (0: now) */
    bool rewound;           /* hello.rewound */
    uint64_t next_sequence; /* hello.next_sequence (0: not said) */
} s_hello_t;

static void
s_fill_hello (tsg_letter_t *letter, void *arg)
{
    static Tsunagu__V1__Hello hello;
    s_hello_t *h = arg;
    tsunagu__v1__hello__init (&hello);
    hello.rewound = h->rewound;
    hello.next_sequence = h->next_sequence;
    if (h->created_at)
        letter->created_at_ms = h->created_at;
    letter->hello = &hello;
}

static void
s_hello_with (s_world_t *w, tsg_agency_t *to, const s_hello_t *hello)
{
    s_hello_t h = *hello;
    uint8_t *env = NULL;
    size_t len = 0;
    assert_int_equal (agency_world_coordinator_letter (
                          w->world, to == w->elder ? "elder-a" : "pov-a",
                          TSUNAGU__V1__KIND__KIND_HELLO, s_fill_hello, &h, &env, &len),
                      TSG_OK);
    assert_int_equal (agency_world_deliver (to, env, len), TSG_OK);
    free (env);
}

static void
s_hello (s_world_t *w, tsg_agency_t *to, uint64_t created_at, bool rewound)
{
    s_hello_t h = { created_at, rewound, 0 };
    s_hello_with (w, to, &h);
}

/* The coordinator refuses the agency's next letter with code. */
static void
s_refused_with (s_world_t *w, Tsunagu__V1__ErrorCode code, bool final)
{
    char error[32];
    long retry = 0;
    assert_int_equal (s_refer (w, error, &retry), 202);
    size_t len;
    uint8_t *letter =
        agency_world_take (w->world, w->elder, TSUNAGU__V1__KIND__KIND_REFERRAL, &len);
    assert_non_null (letter);
    assert_int_equal (agency_world_error (w->world, w->elder, letter, len, code, final), TSG_OK);
    free (letter);
}

static void
test_suspended_then_resumed (void **state)
{
    s_world_t *w = *state;
    s_expect_health (w, "ok");
    s_refused_with (w, TSUNAGU__V1__ERROR_CODE__ERROR_AGENCY_SUSPENDED, false);
    s_expect_health (w, "suspended");
    char error[32];
    long retry = 0;
    size_t outbox = agency_world_count (w->elder, AGENCY_DB_OUTBOX);
    assert_int_equal (s_refer (w, error, &retry), 503);
    assert_string_equal (error, "agency_suspended");
    assert_true (retry > 0);
    assert_int_equal (agency_world_count (w->elder, AGENCY_DB_OUTBOX), outbox);
    /* A suspended agency sends nothing but its HELLO. */
    agency_world_sent_clear (w->world, w->elder);
    agency_pump (w->elder);
    assert_int_equal (agency_world_sent_count (w->world, w->elder), 0);
    /* The coordinator answers a HELLO again: resumed, and the waiting letter goes out. */
    s_hello (w, w->elder, 0, false);
    s_expect_health (w, "ok");
    assert_int_equal (s_refer (w, error, &retry), 202);
}

static void
test_revoked_is_final (void **state)
{
    s_world_t *w = *state;
    s_refused_with (w, TSUNAGU__V1__ERROR_CODE__ERROR_AGENCY_REVOKED, true);
    s_expect_health (w, "revoked");
    char error[32];
    long retry = 0;
    assert_int_equal (s_refer (w, error, &retry), 409);
    assert_string_equal (error, "agency_revoked");
    /* Nothing but a new bundle undoes a revocation. */
    s_hello (w, w->elder, 0, false);
    s_expect_health (w, "revoked");
    assert_int_equal (s_refer (w, error, &retry), 409);
}

static void
test_quota_backpressure (void **state)
{
    s_world_t *w = *state;
    s_refused_with (w, TSUNAGU__V1__ERROR_CODE__ERROR_QUOTA_EXCEEDED, true);
    s_expect_health (w, "backpressure");
    char error[32];
    long retry = 0;
    assert_int_equal (s_refer (w, error, &retry), 503);
    assert_string_equal (error, "quota_exceeded");
    assert_true (retry > 0 && retry <= 30);
}

/* The clock: a coordinator 10 minutes behind us means our clock is 10 minutes ahead. */
static uint64_t s_fixed;
static uint64_t
s_fixed_clock (void)
{
    return s_fixed;
}

static void
test_clock_skew (void **state)
{
    s_world_t *w = *state;
    s_fixed = tsg_now_ms ();
    tsg_clock_set (s_fixed_clock);
    s_hello (w, w->elder, s_fixed - 10 * MINUTE_MS, false);
    s_expect_health (w, "clock_skew");
    char error[32];
    long retry = 0;
    assert_int_equal (s_refer (w, error, &retry), 503);
    assert_string_equal (error, "clock_skew");
    /* Mail to it is still taken, and its receipt is dated by the coordinator's clock. */
    json_t *reply = NULL;
    assert_int_equal (agency_world_request (w->pov, "POST", "/v1/referrals",
                                            "{\"to\":\"elder-a\",\"legal_basis\":\"none\","
                                            "\"sheet\":{\"household_id\":\"H002\","
                                            "\"poverty\":{\"income_band\":\"月10万円未満\"}}}",
                                            &reply),
                      202);
    json_decref (reply);
    size_t len;
    uint8_t *letter = agency_world_take (w->world, w->pov, TSUNAGU__V1__KIND__KIND_REFERRAL, &len);
    assert_non_null (letter);
    agency_world_sent_clear (w->world, w->elder);
    assert_int_equal (agency_world_deliver (w->elder, letter, len), TSG_OK);
    free (letter);
    uint8_t *receipt =
        agency_world_take (w->world, w->elder, TSUNAGU__V1__KIND__KIND_RECEIPT, &len);
    assert_non_null (receipt);
    tsg_envelope_t env = { 0 };
    assert_int_equal (agency_world_decode (receipt, len, &env), TSG_OK);
    uint64_t dated = env.letter->created_at_ms;
    assert_true (dated + MINUTE_MS > s_fixed - 10 * MINUTE_MS && dated < s_fixed - 9 * MINUTE_MS);
    tsg_envelope_clear (&env);
    free (receipt);
    /* /metrics says so too. */
    json_t *metrics = NULL;
    assert_int_equal (agency_world_request (w->elder, "GET", "/metrics", NULL, &metrics), 200);
    const char *text = json_string_value (json_object_get (metrics, "text"));
    assert_non_null (text);
    assert_non_null (
        strstr (text, "tsunagu_agency_status{agency=\"elder-a\",status=\"clock_skew\"} 1"));
    assert_non_null (strstr (text, "tsunagu_agency_clock_skew_ms 600000"));
    json_decref (metrics);
    /* Set right: new work is taken again. */
    s_hello (w, w->elder, s_fixed, false);
    s_expect_health (w, "ok");
    assert_int_equal (s_refer (w, error, &retry), 202);
}

/* An outbox row never stands without its record: a status change whose referral record is
 * gone by the group commit fails the whole group, and nothing is left to send. */
static void
test_outbox_row_with_its_record (void **state)
{
    s_world_t *w = *state;
    json_t *reply = NULL;
    assert_int_equal (
        agency_world_request (
            w->pov, "POST", "/v1/referrals",
            "{\"to\":\"elder-a\",\"legal_basis\":\"none\",\"sheet\":{"
            "\"household_id\":\"H003\",\"poverty\":{\"income_band\":\"月10万円未満\"}}}",
            &reply),
        202);
    char referral_id[TSG_UUID_TEXT_SIZE];
    snprintf (referral_id, sizeof referral_id, "%s",
              json_string_value (json_object_get (reply, "referral_id")));
    json_decref (reply);
    size_t len;
    uint8_t *letter = agency_world_take (w->world, w->pov, TSUNAGU__V1__KIND__KIND_REFERRAL, &len);
    assert_int_equal (agency_world_deliver (w->elder, letter, len), TSG_OK);
    free (letter);

    size_t outbox = agency_world_count (w->elder, AGENCY_DB_OUTBOX);
    int status = 0;
    json_t *answer = NULL;
    const char *body = "{\"status\":\"received\",\"base_version\":1}";
    agency_pending_t *p = agency_submit (w->elder, AGENCY_KIND_STATUS, referral_id, body,
                                         strlen (body), &status, &answer);
    assert_non_null (p);
    /* The record goes away before the commit (a bug elsewhere, a damaged store). */
    tsg_txn_t txn;
    tsg_txn_begin (w->elder->store, &txn, true);
    tsg_txn_del (&txn, tsg_store_db (w->elder->store, AGENCY_DB_RECEIVED), referral_id,
                 strlen (referral_id));
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
    assert_int_not_equal (agency_pending_commit (w->elder, NULL, NULL), TSG_OK);
    assert_int_equal (agency_world_count (w->elder, AGENCY_DB_OUTBOX), outbox);
    assert_int_equal (agency_world_count (w->elder, AGENCY_DB_MSGREF), 0);
    json_decref (answer);
}

/* While held, forwarded letters are dropped unanswered; the coordinator's rewound HELLO ends
 * the hold and the same letters are taken. */
static void
test_hold_until_rewound (void **state)
{
    s_world_t *w = *state;
    json_t *reply = NULL;
    assert_int_equal (agency_world_request (w->pov, "POST", "/v1/referrals",
                                            "{\"to\":\"elder-a\",\"legal_basis\":\"none\","
                                            "\"sheet\":{\"household_id\":\"H004\","
                                            "\"poverty\":{\"income_band\":\"月10万円未満\"}}}",
                                            &reply),
                      202);
    json_decref (reply);
    size_t len;
    uint8_t *letter = agency_world_take (w->world, w->pov, TSUNAGU__V1__KIND__KIND_REFERRAL, &len);
    assert_non_null (letter);
    w->elder->hold_inbound = true; /* as after a failed commit of forwarded letters */
    agency_world_sent_clear (w->world, w->elder);
    size_t inbox = agency_world_count (w->elder, AGENCY_DB_INBOX);
    assert_int_equal (agency_world_deliver (w->elder, letter, len), TSG_OK);
    assert_int_equal (agency_world_count (w->elder, AGENCY_DB_INBOX), inbox);
    assert_int_equal (agency_world_sent_count (w->world, w->elder), 0); /* no receipt */
    /* A HELLO that is not the rewound one changes nothing. */
    s_hello (w, w->elder, 0, false);
    assert_int_equal (agency_world_deliver (w->elder, letter, len), TSG_OK);
    assert_int_equal (agency_world_count (w->elder, AGENCY_DB_INBOX), inbox);
    s_hello (w, w->elder, 0, true);
    assert_int_equal (agency_world_deliver (w->elder, letter, len), TSG_OK);
    assert_int_equal (agency_world_count (w->elder, AGENCY_DB_INBOX), inbox + 1);
    uint8_t *receipt =
        agency_world_take (w->world, w->elder, TSUNAGU__V1__KIND__KIND_RECEIPT, &len);
    assert_non_null (receipt);
    free (receipt);
    assert_false (w->elder->hold_inbound);
    free (letter);
}

/* A store restored from a backup (the flag --restore leaves): new work waits for the
 * coordinator's HELLO, whose next_sequence the counter jumps to (never down). */
static void
test_sequence_after_restore (void **state)
{
    s_world_t *w = *state;
    char *registration = s_health_field (w, "registration");
    assert_string_equal (registration, "unknown"); /* the coordinator has not spoken yet */
    free (registration);
    char flag[4096];
    snprintf (flag, sizeof flag, "%s/%s", w->elder->config->data_dir, AGENCY_SEQUENCE_UNKNOWN_FILE);
    FILE *f = fopen (flag, "w");
    assert_non_null (f);
    fclose (f);
    w->elder = agency_world_restart (w->world, w->elder);
    assert_non_null (w->elder);
    char error[32];
    long retry = 0;
    assert_int_equal (s_refer (w, error, &retry), 503);
    assert_string_equal (error, "sequence_unknown");
    assert_true (retry > 0);
    s_expect_health (w, "sequence_unknown");

    s_hello_t h = { 0, false, 50 };
    s_hello_with (w, w->elder, &h);
    assert_int_not_equal (access (flag, F_OK), 0);
    registration = s_health_field (w, "registration");
    assert_string_equal (registration, "active");
    free (registration);
    agency_world_sent_clear (w->world, w->elder);
    assert_int_equal (s_refer (w, error, &retry), 202);
    size_t len;
    uint8_t *sent = agency_world_take (w->world, w->elder, TSUNAGU__V1__KIND__KIND_REFERRAL, &len);
    assert_non_null (sent);
    tsg_envelope_t env = { 0 };
    assert_int_equal (agency_world_decode (sent, len, &env), TSG_OK);
    assert_int_equal (env.letter->sequence, 50);
    tsg_envelope_clear (&env);
    free (sent);

    /* A coordinator behind us (restored itself) does not move the counter down; a restart
     * keeps the jump. */
    h.next_sequence = 3;
    s_hello_with (w, w->elder, &h);
    assert_int_equal (w->elder->next_sequence, 51);
    w->elder = agency_world_restart (w->world, w->elder);
    assert_int_equal (w->elder->next_sequence, 51);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_suspended_then_resumed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_revoked_is_final, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_quota_backpressure, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_clock_skew, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_outbox_row_with_its_record, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_hold_until_rewound, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_sequence_after_restore, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
