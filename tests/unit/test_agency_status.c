/* Referral states at the agencies: POST /v1/referrals/{id}/status refuses what the shared
 * table refuses, our own change waits for the coordinator's stored receipt, the other
 * party's change arrives by letter, and both sides read the same history. */
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

typedef struct {
    agency_world_t *world;                /* the fixture */
    tsg_agency_t *elder;                  /* sender */
    tsg_agency_t *pov;                    /* recipient */
    char referral_id[TSG_UUID_TEXT_SIZE]; /* elder → pov, delivered */
} s_world_t;

/* Answers every letter agency sent with RECEIPT_STORED and forwards the sequenced ones to
 * `to` (when not NULL), as the coordinator would; clears what was captured.  Returns the
 * number of sequenced letters. */
static size_t
s_route (s_world_t *w, tsg_agency_t *agency, tsg_agency_t *to)
{
    size_t n = agency_world_sent_count (w->world, agency);
    uint8_t **copies = calloc (n ? n : 1, sizeof *copies);
    size_t *lens = calloc (n ? n : 1, sizeof *lens);
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const uint8_t *data = agency_world_sent (w->world, agency, i, &len);
        tsg_envelope_t env = { 0 };
        assert_int_equal (agency_world_decode (data, len, &env), TSG_OK);
        if (env.letter->sequence > 0) {
            copies[count] = malloc (len);
            memcpy (copies[count], data, len);
            lens[count++] = len;
        }
        tsg_envelope_clear (&env);
    }
    agency_world_sent_clear (w->world, agency);
    for (size_t i = 0; i < count; i++) {
        assert_int_equal (agency_world_store_ack (w->world, agency, copies[i], lens[i]), TSG_OK);
        if (to)
            assert_int_equal (agency_world_deliver (to, copies[i], lens[i]), TSG_OK);
        free (copies[i]);
    }
    agency_world_sent_clear (w->world, agency);
    free (copies);
    free (lens);
    return count;
}

/* Forwards the receipts `from` sent to `to` (relayed by the coordinator). */
static void
s_relay_receipts (s_world_t *w, tsg_agency_t *from, tsg_agency_t *to)
{
    size_t len;
    uint8_t *receipt = agency_world_take (w->world, from, TSUNAGU__V1__KIND__KIND_RECEIPT, &len);
    if (receipt) {
        assert_int_equal (agency_world_deliver (to, receipt, len), TSG_OK);
        agency_world_sent_clear (w->world, to);
    }
    free (receipt);
}

static int
s_setup (void **state)
{
    s_world_t *w = calloc (1, sizeof *w);
    tsg_agency_t *agencies[4];
    w->world = agency_world_with (2, agencies);
    assert_non_null (w->world);
    w->elder = agencies[0];
    w->pov = agencies[1];

    json_t *reply = NULL;
    assert_int_equal (
        agency_world_request (w->elder, "POST", "/v1/referrals",
                              "{\"to\":\"pov-a\",\"legal_basis\":\"consent\","
                              "\"consent_id\":\"c-1\",\"data_categories\":[\"finances\"],"
                              "\"tags\":[\"8050\"],\"sheet\":{\"memo\":\"家賃滞納\","
                              "\"eldercare\":{\"care_insurance\":\"要介護1\"}}}",
                              &reply),
        202);
    snprintf (w->referral_id, sizeof w->referral_id, "%s",
              json_string_value (json_object_get (reply, "referral_id")));
    json_decref (reply);
    assert_int_equal (s_route (w, w->elder, w->pov), 1);
    s_relay_receipts (w, w->pov, w->elder);
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

static int
s_post (tsg_agency_t *agency, const char *referral_id, const char *body, json_t **reply)
{
    char path[96];
    snprintf (path, sizeof path, "/v1/referrals/%s/status", referral_id);
    return agency_world_request (agency, "POST", path, body, reply);
}

/* GET /v1/referrals/{id} on agency; the caller frees. */
static json_t *
s_get (tsg_agency_t *agency, const char *referral_id)
{
    char path[96];
    json_t *reply = NULL;
    snprintf (path, sizeof path, "/v1/referrals/%s", referral_id);
    assert_int_equal (agency_world_request (agency, "GET", path, NULL, &reply), 200);
    return reply;
}

static void
s_expect_state (tsg_agency_t *agency, const char *referral_id, const char *state,
                json_int_t version)
{
    json_t *got = s_get (agency, referral_id);
    assert_string_equal (json_string_value (json_object_get (got, "state")), state);
    assert_string_equal (json_string_value (json_object_get (got, "status")), state);
    assert_int_equal (json_integer_value (json_object_get (got, "version")), version);
    json_decref (got);
}

/* Posts a change that must be refused with status and code, leaving nothing to send. */
static void
s_refused (s_world_t *w, tsg_agency_t *agency, const char *body, int status, const char *code,
           const char *field)
{
    json_t *reply = NULL;
    size_t outbox = agency_world_count (agency, AGENCY_DB_OUTBOX);
    size_t sent = agency_world_sent_count (w->world, agency);
    assert_int_equal (s_post (agency, w->referral_id, body, &reply), status);
    assert_string_equal (json_string_value (json_object_get (reply, "error")), code);
    assert_non_null (json_string_value (json_object_get (reply, "message")));
    if (field)
        assert_non_null (json_object_get (json_object_get (reply, "fields"), field));
    json_decref (reply);
    assert_int_equal (agency_world_count (agency, AGENCY_DB_OUTBOX), outbox);
    assert_int_equal (agency_world_sent_count (w->world, agency), sent);
}

static void
test_refusals (void **state)
{
    s_world_t *w = *state;
    json_t *reply = NULL;
    /* Malformed requests. */
    s_refused (w, w->pov, "[1]", 400, "bad_json", NULL);
    s_refused (w, w->pov, "{\"status\":", 400, "bad_json", NULL);
    s_refused (w, w->pov, "{}", 400, "invalid", "status");
    s_refused (w, w->pov, "{\"status\":\"finished\"}", 400, "invalid", "status");
    s_refused (w, w->pov, "{\"status\":\"received\",\"colour\":1}", 400, "invalid", "colour");
    s_refused (w, w->pov, "{\"status\":\"completed\",\"outcome\":\"happy\"}", 400, "invalid",
               "outcome");
    s_refused (w, w->pov, "{\"status\":\"received\",\"base_version\":0}", 400, "invalid",
               "base_version");
    s_refused (w, w->pov, "{\"status\":\"received\",\"reason\":7}", 400, "invalid", "reason");
    /* Unknown referrals. */
    assert_int_equal (s_post (w->pov, "00000000-0000-4000-8000-000000000000",
                              "{\"status\":\"received\"}", &reply),
                      404);
    json_decref (reply);
    assert_int_equal (s_post (w->pov, "not-a-uuid", "{\"status\":\"received\"}", &reply), 404);
    json_decref (reply);
    /* Stale: the referral is at version 1. */
    s_refused (w, w->pov, "{\"status\":\"received\",\"base_version\":2}", 409, "stale_version",
               NULL);
    /* The table: who may do what, reasons and outcomes. */
    s_refused (w, w->elder, "{\"status\":\"received\"}", 422, "illegal_transition", NULL);
    s_refused (w, w->pov, "{\"status\":\"cancelled\",\"reason\":\"x\"}", 422, "illegal_transition",
               NULL);
    s_refused (w, w->pov, "{\"status\":\"in-progress\"}", 422, "illegal_transition", NULL);
    s_refused (w, w->elder, "{\"status\":\"cancelled\"}", 422, "illegal_transition", NULL);
    s_refused (w, w->pov, "{\"status\":\"received\",\"outcome\":\"got-help\"}", 422,
               "illegal_transition", NULL);
    /* The other party suspended: nothing can go to it. */
    agency_world_status (w->world, "elder-a", TSUNAGU__V1__AGENCY_STATUS__AGENCY_SUSPENDED);
    agency_world_publish (w->world);
    s_refused (w, w->pov, "{\"status\":\"received\"}", 422, "recipient_inactive", NULL);
    agency_world_status (w->world, "elder-a", TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE);
    agency_world_publish (w->world);
    s_expect_state (w->pov, w->referral_id, "requested", 1);
    s_expect_state (w->elder, w->referral_id, "requested", 1);

    /* Once received: rejecting needs a reason, completing an outcome. */
    assert_int_equal (s_post (w->pov, w->referral_id, "{\"status\":\"received\"}", &reply), 202);
    json_decref (reply);
    assert_int_equal (s_route (w, w->pov, w->elder), 1);
    assert_int_equal (s_post (w->pov, w->referral_id, "{\"status\":\"rejected\"}", &reply), 422);
    assert_non_null (strstr (json_string_value (json_object_get (reply, "message")), "reason"));
    json_decref (reply);
    s_refused (w, w->pov, "{\"status\":\"completed\",\"outcome\":\"got-help\"}", 422,
               "illegal_transition", NULL);
    /* The table's sentence, and for a state the sender never sets, who does. */
    assert_int_equal (s_post (w->elder, w->referral_id, "{\"status\":\"in-progress\"}", &reply),
                      422);
    const char *message = json_string_value (json_object_get (reply, "message"));
    assert_non_null (strstr (message, "this change of state is not allowed"));
    assert_non_null (strstr (message, "only the recipient ever sets this state"));
    json_decref (reply);
    assert_int_equal (
        s_post (w->pov, w->referral_id, "{\"status\":\"accepted\",\"base_version\":2}", &reply),
        202);
    json_decref (reply);
    assert_int_equal (s_route (w, w->pov, w->elder), 1);
    assert_int_equal (s_post (w->pov, w->referral_id, "{\"status\":\"completed\"}", &reply), 422);
    assert_non_null (strstr (json_string_value (json_object_get (reply, "message")), "outcome"));
    json_decref (reply);
    s_expect_state (w->elder, w->referral_id, "accepted", 3);
}

static uint64_t s_fixed_ms;

static uint64_t
s_fixed_clock (void)
{
    return s_fixed_ms;
}

static void
test_no_directory (void **state)
{
    s_world_t *w = *state;
    s_fixed_ms = tsg_now_ms () + 8ULL * 24 * 3600 * 1000; /* past the directory's validity */
    tsg_clock_set (s_fixed_clock);
    s_refused (w, w->pov, "{\"status\":\"received\"}", 503, "not_ready", NULL);
    tsg_clock_set (NULL);
}

static void
test_own_change_applied_on_stored (void **state)
{
    s_world_t *w = *state;
    json_t *reply = NULL;
    assert_int_equal (s_post (w->pov, w->referral_id, "{\"status\":\"received\"}", &reply), 202);
    assert_string_equal (json_string_value (json_object_get (reply, "status")), "pending");
    assert_string_equal (json_string_value (json_object_get (reply, "pending_status")), "received");
    assert_int_equal (json_integer_value (json_object_get (reply, "base_version")), 1);
    json_decref (reply);
    assert_int_equal (agency_world_count (w->pov, AGENCY_DB_OUTBOX), 1);

    /* Until the coordinator has it, the change is only pending. */
    json_t *got = s_get (w->pov, w->referral_id);
    assert_string_equal (json_string_value (json_object_get (got, "role")), "recipient");
    assert_string_equal (json_string_value (json_object_get (got, "state")), "requested");
    assert_string_equal (json_string_value (json_object_get (got, "pending_status")), "received");
    assert_true (json_is_object (json_object_get (got, "sheet")));
    json_decref (got);

    /* The letter: REFERRAL_STATUS to the sender, header without personal text. */
    size_t len;
    const uint8_t *data = agency_world_sent (w->world, w->pov, 0, &len);
    tsg_envelope_t env = { 0 };
    assert_int_equal (agency_world_decode (data, len, &env), TSG_OK);
    assert_int_equal (env.letter->kind, TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS);
    assert_string_equal (env.letter->recipient, "elder-a");
    assert_string_equal (env.letter->header->referral_id, w->referral_id);
    assert_string_equal (env.letter->header->status, "received");
    assert_int_equal (env.letter->header->base_version, 1);
    assert_false (env.letter->header->reason_given);
    assert_int_equal (env.letter->body.len, 0); /* nothing personal: no body */
    assert_int_equal (env.letter->header->legal_basis, TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE);
    assert_true (env.letter->sequence > 0);
    tsg_envelope_clear (&env);

    /* Stored: applied, and the outbox is empty. */
    assert_int_equal (s_route (w, w->pov, w->elder), 1);
    got = s_get (w->pov, w->referral_id);
    assert_string_equal (json_string_value (json_object_get (got, "state")), "received");
    assert_int_equal (json_integer_value (json_object_get (got, "version")), 2);
    assert_null (json_object_get (got, "pending_status"));
    json_t *history = json_object_get (got, "state_history");
    assert_int_equal (json_array_size (history), 2);
    json_t *last = json_array_get (history, 1);
    assert_string_equal (json_string_value (json_object_get (last, "state")), "received");
    assert_string_equal (json_string_value (json_object_get (last, "by")), "pov-a");
    json_decref (got);
    assert_int_equal (agency_world_count (w->pov, AGENCY_DB_OUTBOX), 0);

    /* The sender got the letter and applied the other party's change. */
    s_expect_state (w->elder, w->referral_id, "received", 2);
    /* Its receipt goes back: the pov's history shows it delivered. */
    s_relay_receipts (w, w->elder, w->pov);
    got = s_get (w->pov, w->referral_id);
    last = json_array_get (json_object_get (got, "state_history"), 1);
    assert_true (json_is_string (json_object_get (last, "delivered_at")));
    json_decref (got);
}

/* The coordinator's STORED answers can come out of order when one was lost and came again only
 * after the resend: our changes are applied in the order they were made all the same. */
static void
test_own_changes_in_order (void **state)
{
    s_world_t *w = *state;
    json_t *reply = NULL;
    agency_world_sent_clear (w->world, w->pov);
    assert_int_equal (s_post (w->pov, w->referral_id, "{\"status\":\"received\"}", &reply), 202);
    json_decref (reply);
    assert_int_equal (
        s_post (w->pov, w->referral_id, "{\"status\":\"accepted\",\"base_version\":2}", &reply),
        202);
    json_decref (reply);
    assert_int_equal (agency_world_sent_count (w->world, w->pov), 2);
    uint8_t *letters[2];
    size_t lens[2];
    for (size_t i = 0; i < 2; i++) {
        const uint8_t *data = agency_world_sent (w->world, w->pov, i, &lens[i]);
        letters[i] = malloc (lens[i]);
        memcpy (letters[i], data, lens[i]);
    }
    agency_world_sent_clear (w->world, w->pov);
    /* STORED for "accepted" first: not applied before "received". */
    assert_int_equal (agency_world_store_ack (w->world, w->pov, letters[1], lens[1]), TSG_OK);
    s_expect_state (w->pov, w->referral_id, "requested", 1);
    assert_int_equal (agency_world_store_ack (w->world, w->pov, letters[0], lens[0]), TSG_OK);
    s_expect_state (w->pov, w->referral_id, "accepted", 3);
    json_t *got = s_get (w->pov, w->referral_id);
    json_t *history = json_object_get (got, "state_history");
    assert_int_equal (json_array_size (history), 3);
    assert_string_equal (json_string_value (json_object_get (json_array_get (history, 1), "state")),
                         "received");
    assert_string_equal (json_string_value (json_object_get (json_array_get (history, 2), "state")),
                         "accepted");
    assert_null (json_object_get (got, "out_of_sync"));
    json_decref (got);
    for (size_t i = 0; i < 2; i++)
        free (letters[i]);
}

static void
test_other_party_change_with_reason (void **state)
{
    s_world_t *w = *state;
    json_t *reply = NULL;
    assert_int_equal (s_post (w->pov, w->referral_id, "{\"status\":\"received\"}", &reply), 202);
    json_decref (reply);
    /* Chained before the first is stored: based on version 2. */
    assert_int_equal (
        s_post (w->pov, w->referral_id,
                "{\"status\":\"rejected\",\"reason\":\"対象外の地区\",\"note\":\"中央包括へ\"}",
                &reply),
        202);
    assert_int_equal (json_integer_value (json_object_get (reply, "base_version")), 2);
    json_decref (reply);
    /* A stale base against the chain is refused. */
    s_refused (w, w->pov, "{\"status\":\"accepted\",\"base_version\":2}", 409, "stale_version",
               NULL);
    /* The reason travels only in the body. */
    size_t len;
    const uint8_t *data = agency_world_sent (w->world, w->pov, 1, &len);
    assert_null (memmem (data, len, "対象外", strlen ("対象外")));
    tsg_envelope_t env = { 0 };
    assert_int_equal (agency_world_decode (data, len, &env), TSG_OK);
    assert_true (env.letter->body.len > 0);
    assert_true (env.letter->header->reason_given);
    /* The body is personal: it goes under the referral's legal basis. */
    assert_int_equal (env.letter->header->legal_basis,
                      TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT);
    tsg_envelope_clear (&env);
    assert_int_equal (s_route (w, w->pov, w->elder), 2);
    s_expect_state (w->pov, w->referral_id, "rejected", 3);

    json_t *got = s_get (w->elder, w->referral_id);
    assert_string_equal (json_string_value (json_object_get (got, "role")), "sender");
    assert_string_equal (json_string_value (json_object_get (got, "state")), "rejected");
    assert_int_equal (json_integer_value (json_object_get (got, "version")), 3);
    json_t *history = json_object_get (got, "state_history");
    assert_int_equal (json_array_size (history), 3);
    json_t *last = json_array_get (history, 2);
    assert_string_equal (json_string_value (json_object_get (last, "reason")), "対象外の地区");
    assert_string_equal (json_string_value (json_object_get (last, "note")), "中央包括へ");
    assert_string_equal (json_string_value (json_object_get (last, "by")), "pov-a");
    assert_null (json_object_get (got, "out_of_sync"));
    json_decref (got);
    /* Terminal: the sender may only mark it entered-in-error now. */
    s_refused (w, w->elder, "{\"status\":\"cancelled\",\"reason\":\"x\"}", 422,
               "illegal_transition", NULL);
    assert_int_equal (
        s_post (w->elder, w->referral_id, "{\"status\":\"entered-in-error\"}", &reply), 202);
    json_decref (reply);
}

static void
test_full_loop (void **state)
{
    s_world_t *w = *state;
    static const struct {
        bool by_sender;   /* who asks */
        const char *body; /* what */
        const char *state;
    } steps[] = {
        { false, "{\"status\":\"received\"}", "received" },
        { false, "{\"status\":\"accepted\"}", "accepted" },
        { false, "{\"status\":\"in-progress\"}", "in-progress" },
        { false, "{\"status\":\"on-hold\",\"reason\":\"入院中\"}", "on-hold" },
        { false, "{\"status\":\"in-progress\"}", "in-progress" },
        { false, "{\"status\":\"completed\",\"outcome\":\"got-help\"}", "completed" },
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        tsg_agency_t *actor = steps[i].by_sender ? w->elder : w->pov;
        tsg_agency_t *other = steps[i].by_sender ? w->pov : w->elder;
        json_t *reply = NULL;
        assert_int_equal (s_post (actor, w->referral_id, steps[i].body, &reply), 202);
        json_decref (reply);
        assert_int_equal (s_route (w, actor, other), 1);
        s_relay_receipts (w, other, actor);
        s_expect_state (actor, w->referral_id, steps[i].state, (json_int_t) i + 2);
        s_expect_state (other, w->referral_id, steps[i].state, (json_int_t) i + 2);
    }
    json_t *got = s_get (w->elder, w->referral_id);
    json_t *last = json_array_get (json_object_get (got, "state_history"), 6);
    assert_string_equal (json_string_value (json_object_get (last, "outcome")), "got-help");
    json_decref (got);

    /* The inbox item of the referral shows where it is. */
    json_t *page = NULL;
    assert_int_equal (agency_world_request (w->pov, "GET", "/v1/inbox", NULL, &page), 200);
    json_t *item = json_array_get (json_object_get (page, "items"), 0);
    assert_string_equal (json_string_value (json_object_get (item, "kind")), "referral");
    assert_string_equal (json_string_value (json_object_get (item, "state")), "completed");
    assert_int_equal (json_integer_value (json_object_get (item, "version")), 7);
    json_decref (page);
    /* The sender's inbox holds the status letters, bodies opened. */
    assert_int_equal (agency_world_request (w->elder, "GET", "/v1/inbox", NULL, &page), 200);
    json_t *items = json_object_get (page, "items");
    assert_int_equal (json_array_size (items), 6);
    item = json_array_get (items, 3);
    assert_string_equal (json_string_value (json_object_get (item, "kind")), "referral-status");
    assert_string_equal (json_string_value (json_object_get (item, "status")), "on-hold");
    assert_string_equal (
        json_string_value (json_object_get (json_object_get (item, "body"), "reason")), "入院中");
    json_decref (page);
}

static void
test_refused_change_dropped (void **state)
{
    s_world_t *w = *state;
    json_t *reply = NULL;
    assert_int_equal (
        s_post (w->elder, w->referral_id, "{\"status\":\"cancelled\",\"reason\":\"重複\"}", &reply),
        202);
    json_decref (reply);
    size_t len;
    uint8_t *letter =
        agency_world_take (w->world, w->elder, TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS, &len);
    assert_non_null (letter);
    assert_int_equal (agency_world_error (w->world, w->elder, letter, len,
                                          TSUNAGU__V1__ERROR_CODE__ERROR_STALE_VERSION, true),
                      TSG_OK);
    free (letter);
    json_t *got = s_get (w->elder, w->referral_id);
    assert_string_equal (json_string_value (json_object_get (got, "state")), "requested");
    assert_int_equal (json_integer_value (json_object_get (got, "version")), 1);
    assert_null (json_object_get (got, "pending_status"));
    json_t *errors = json_object_get (got, "errors");
    assert_int_equal (json_array_size (errors), 1);
    assert_string_equal (json_string_value (json_object_get (json_array_get (errors, 0), "code")),
                         "stale_version");
    assert_string_equal (json_string_value (json_object_get (json_array_get (errors, 0), "status")),
                         "cancelled");
    json_decref (got);
    assert_int_equal (agency_world_count (w->elder, AGENCY_DB_OUTBOX), 0);
    /* And the referral can move on. */
    assert_int_equal (
        s_post (w->elder, w->referral_id, "{\"status\":\"cancelled\",\"reason\":\"重複\"}", &reply),
        202);
    assert_int_equal (json_integer_value (json_object_get (reply, "base_version")), 1);
    json_decref (reply);
}

/* A REFERRAL_STATUS letter from pov as it might come from an agency whose copy differs. */
static uint8_t *
s_forged_status (s_world_t *w, const char *status, uint64_t base, size_t *len)
{
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t message_id[TSG_MESSAGE_ID_SIZE];
    tsg_letter_prepare (&letter, &header, message_id, TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS,
                        "pov-a", "elder-a");
    header.referral_id = w->referral_id;
    header.status = (char *) status;
    header.base_version = base;
    letter.sequence = 99;
    uint8_t *out = NULL;
    assert_int_equal (tsg_envelope_seal (&letter, w->pov->config->keys, &out, len), TSG_OK);
    return out;
}

static void
test_out_of_sync_kept (void **state)
{
    s_world_t *w = *state;
    size_t len;
    uint8_t *letter = s_forged_status (w, "accepted", 4, &len);
    assert_int_equal (agency_world_deliver (w->elder, letter, len), TSG_OK);
    free (letter);
    json_t *got = s_get (w->elder, w->referral_id);
    assert_string_equal (json_string_value (json_object_get (got, "state")), "accepted");
    assert_int_equal (json_integer_value (json_object_get (got, "version")), 5);
    assert_true (json_is_true (json_object_get (got, "out_of_sync")));
    json_decref (got);
    /* Acknowledged all the same: the coordinator is the authority. */
    letter = agency_world_take (w->world, w->elder, TSUNAGU__V1__KIND__KIND_RECEIPT, &len);
    assert_non_null (letter);
    tsg_envelope_t env = { 0 };
    assert_int_equal (agency_world_decode (letter, len, &env), TSG_OK);
    assert_int_equal (env.letter->receipt->type, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED);
    tsg_envelope_clear (&env);
    free (letter);

    /* A change from an agency that is not the other party is rejected. */
    tsg_agency_t *child = agency_world_agency (w->world, "child-a", "child");
    assert_non_null (child);
    agency_world_publish (w->world);
    tsg_letter_t forged;
    tsg_header_t header;
    uint8_t message_id[TSG_MESSAGE_ID_SIZE];
    tsg_letter_prepare (&forged, &header, message_id, TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS,
                        "child-a", "elder-a");
    header.referral_id = w->referral_id;
    header.status = (char *) "rejected";
    header.base_version = 5;
    forged.sequence = 1;
    uint8_t *data = NULL;
    assert_int_equal (tsg_envelope_seal (&forged, child->config->keys, &data, &len), TSG_OK);
    assert_int_equal (agency_world_deliver (w->elder, data, len), TSG_OK);
    free (data);
    letter = agency_world_take (w->world, w->elder, TSUNAGU__V1__KIND__KIND_RECEIPT, &len);
    assert_int_equal (agency_world_decode (letter, len, &env), TSG_OK);
    assert_int_equal (env.letter->receipt->type, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED);
    tsg_envelope_clear (&env);
    free (letter);
    s_expect_state (w->elder, w->referral_id, "accepted", 5);
}

static void
test_restart_keeps_pending (void **state)
{
    s_world_t *w = *state;
    json_t *reply = NULL;
    assert_int_equal (s_post (w->pov, w->referral_id, "{\"status\":\"received\"}", &reply), 202);
    json_decref (reply);
    size_t len;
    uint8_t *letter =
        agency_world_take (w->world, w->pov, TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS, &len);
    w->pov = agency_world_restart (w->world, w->pov);
    assert_non_null (w->pov);
    json_t *got = s_get (w->pov, w->referral_id);
    assert_string_equal (json_string_value (json_object_get (got, "pending_status")), "received");
    json_decref (got);
    assert_int_equal (agency_world_store_ack (w->world, w->pov, letter, len), TSG_OK);
    free (letter);
    s_expect_state (w->pov, w->referral_id, "received", 2);
    assert_int_equal (agency_world_count (w->pov, AGENCY_DB_OUTBOX), 0);
}

int
main (void)
{
    log_init ("test_agency_status", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_refusals, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_no_directory, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_own_change_applied_on_stored, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_own_changes_in_order, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_other_party_change_with_reason, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_full_loop, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_refused_change_dropped, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_out_of_sync_kept, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_restart_keeps_pending, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
