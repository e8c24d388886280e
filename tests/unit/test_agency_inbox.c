/* The inbox: every forwarded letter is verified, stored once, and acknowledged after the
 * commit; duplicates are answered again; bad letters are quarantined and rejected;
 * unknown senders get no answer; relayed receipts update what was sent. */
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
    agency_world_t *world; /* the fixture */
    tsg_agency_t *elder;   /* sender */
    tsg_agency_t *pov;     /* recipient */
} s_world_t;

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
    agency_world_destroy (&w->world);
    free (w);
    return 0;
}

/* A referral from elder to pov; returns a copy of its envelope (caller frees). */
static uint8_t *
s_referral (s_world_t *w, size_t *len, char referral_id[TSG_UUID_TEXT_SIZE])
{
    json_t *reply = NULL;
    agency_world_sent_clear (w->world, w->elder);
    assert_int_equal (
        agency_world_request (w->elder, "POST", "/v1/referrals",
                              "{\"to\":\"pov-a\",\"legal_basis\":\"consent\","
                              "\"consent_id\":\"c-1\",\"data_categories\":[\"free-text\"],"
                              "\"tags\":[\"8050\"],\"sheet\":{\"memo\":\"見守り\","
                              "\"eldercare\":{\"care_insurance\":\"要支援1\"}}}",
                              &reply),
        202);
    char id[TSG_UUID_TEXT_SIZE];
    snprintf (id, sizeof id, "%s", json_string_value (json_object_get (reply, "referral_id")));
    if (referral_id)
        memcpy (referral_id, id, sizeof id);
    json_decref (reply);
    /* The new letter; earlier ones nobody acknowledged may be resent with it when the test
     * runs slowly. */
    uint8_t *copy = NULL;
    for (size_t i = 0; i < agency_world_sent_count (w->world, w->elder) && !copy; i++) {
        const uint8_t *letter = agency_world_sent (w->world, w->elder, i, len);
        tsg_envelope_t env = { 0 };
        assert_int_equal (agency_world_decode (letter, *len, &env), TSG_OK);
        if (strcmp (env.letter->header->referral_id, id) == 0) {
            copy = malloc (*len);
            memcpy (copy, letter, *len);
        }
        tsg_envelope_clear (&env);
    }
    assert_non_null (copy);
    agency_world_sent_clear (w->world, w->elder);
    return copy;
}

static int
s_deliver (tsg_agency_t *agency, const uint8_t *data, size_t len)
{
    const uint8_t *frames[1] = { data };
    return agency_receive (agency, frames, &len, 1);
}

/* The i-th letter agency sent is a receipt of type about the letter `about`, to recipient,
 * signed by signer. */
static void
s_expect_receipt (s_world_t *w, tsg_agency_t *agency, size_t i, Tsunagu__V1__ReceiptType type,
                  const uint8_t *about, size_t about_len, const char *recipient)
{
    size_t len;
    const uint8_t *data = agency_world_sent (w->world, agency, i, &len);
    assert_non_null (data);
    tsg_envelope_t receipt = { 0 }, letter = { 0 };
    assert_int_equal (agency_world_decode (data, len, &receipt), TSG_OK);
    assert_int_equal (agency_world_decode (about, about_len, &letter), TSG_OK);
    assert_int_equal (receipt.letter->kind, TSUNAGU__V1__KIND__KIND_RECEIPT);
    assert_int_equal (receipt.letter->sequence, 0);
    assert_string_equal (receipt.letter->sender, agency->config->id);
    assert_string_equal (receipt.letter->recipient, recipient);
    assert_true (tsg_envelope_verify (&receipt, tsg_keys_sign_public (agency->config->keys)));
    assert_non_null (receipt.letter->receipt);
    assert_int_equal (receipt.letter->receipt->type, type);
    assert_int_equal (receipt.letter->receipt->about_message_id.len, TSG_MESSAGE_ID_SIZE);
    assert_memory_equal (receipt.letter->receipt->about_message_id.data,
                         letter.letter->message_id.data, TSG_MESSAGE_ID_SIZE);
    assert_true (receipt.letter->receipt->at_ms > 0);
    if (type == TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED)
        assert_true (strlen (receipt.letter->receipt->detail) > 0);
    tsg_envelope_clear (&receipt);
    tsg_envelope_clear (&letter);
}

static void
test_store_then_receipt (void **state)
{
    s_world_t *w = *state;
    size_t len;
    uint8_t *letter = s_referral (w, &len, NULL);
    agency_world_sent_clear (w->world, w->pov);
    assert_int_equal (s_deliver (w->pov, letter, len), TSG_OK);
    assert_int_equal (agency_world_count (w->pov, AGENCY_DB_INBOX), 1);
    assert_int_equal (agency_world_count (w->pov, AGENCY_DB_SEEN), 1);
    assert_int_equal (agency_world_sent_count (w->world, w->pov), 1);
    s_expect_receipt (w, w->pov, 0, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, letter, len,
                      "elder-a");

    /* The same letter again (a resend): stored once, answered again. */
    assert_int_equal (s_deliver (w->pov, letter, len), TSG_OK);
    assert_int_equal (agency_world_count (w->pov, AGENCY_DB_INBOX), 1);
    assert_int_equal (agency_world_sent_count (w->world, w->pov), 2);
    s_expect_receipt (w, w->pov, 1, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, letter, len,
                      "elder-a");
    assert_int_equal (w->pov->stats.duplicates, 1);
    agency_world_sent_clear (w->world, w->pov);
    free (letter);
}

static void
test_duplicate_in_one_batch (void **state)
{
    s_world_t *w = *state;
    size_t len;
    uint8_t *letter = s_referral (w, &len, NULL);
    size_t inbox = agency_world_count (w->pov, AGENCY_DB_INBOX);
    const uint8_t *frames[3] = { letter, letter, letter };
    size_t lens[3] = { len, len, len };
    assert_int_equal (agency_receive (w->pov, frames, lens, 3), TSG_OK);
    assert_int_equal (agency_world_count (w->pov, AGENCY_DB_INBOX), inbox + 1);
    assert_int_equal (agency_world_sent_count (w->world, w->pov), 3);
    for (size_t i = 0; i < 3; i++)
        s_expect_receipt (w, w->pov, i, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, letter, len,
                          "elder-a");
    agency_world_sent_clear (w->world, w->pov);
    free (letter);
}

static void
test_bad_signature_quarantined (void **state)
{
    s_world_t *w = *state;
    size_t len;
    uint8_t *letter = s_referral (w, &len, NULL);
    size_t inbox = agency_world_count (w->pov, AGENCY_DB_INBOX);
    letter[len - 1] ^= 0x01; /* the last byte is in the signature */
    assert_int_equal (s_deliver (w->pov, letter, len), TSG_OK);
    assert_int_equal (agency_world_count (w->pov, AGENCY_DB_INBOX), inbox);
    assert_int_equal (agency_world_count (w->pov, AGENCY_DB_QUARANTINE), 1);
    assert_int_equal (agency_world_sent_count (w->world, w->pov), 1);
    s_expect_receipt (w, w->pov, 0, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED, letter, len,
                      "elder-a");
    /* The same bad frame again: quarantined once, answered again. */
    assert_int_equal (s_deliver (w->pov, letter, len), TSG_OK);
    assert_int_equal (agency_world_count (w->pov, AGENCY_DB_QUARANTINE), 1);
    assert_int_equal (agency_world_sent_count (w->world, w->pov), 2);
    agency_world_sent_clear (w->world, w->pov);
    free (letter);
}

static void
test_garbage_never_crashes (void **state)
{
    s_world_t *w = *state;
    size_t inbox = agency_world_count (w->pov, AGENCY_DB_INBOX);
    uint8_t junk[300];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t) (i * 37 + 11);
    const uint8_t *frames[3] = { junk, junk, (const uint8_t *) "" };
    size_t lens[3] = { sizeof junk, 7, 0 };
    assert_int_equal (agency_receive (w->pov, frames, lens, 3), TSG_OK);
    assert_int_equal (agency_world_count (w->pov, AGENCY_DB_INBOX), inbox);
    assert_int_equal (agency_world_sent_count (w->world, w->pov), 0);
    assert_true (w->pov->stats.malformed >= 3);
    /* Truncations of a real letter. */
    size_t len;
    uint8_t *letter = s_referral (w, &len, NULL);
    for (size_t cut = 0; cut < len; cut += 7) {
        assert_int_equal (s_deliver (w->pov, letter, cut), TSG_OK);
    }
    assert_int_equal (agency_world_count (w->pov, AGENCY_DB_INBOX), inbox);
    agency_world_sent_clear (w->world, w->pov);
    free (letter);
}

static void
test_unknown_sender_not_answered (void **state)
{
    s_world_t *w = *state;
    /* An agency the directory does not list yet. */
    tsg_agency_t *late = agency_world_agency (w->world, "late-a", "child");
    assert_non_null (late);
    /* It learns of pov through its own directory... */
    agency_world_publish (w->world);
    size_t len;
    json_t *reply = NULL;
    assert_int_equal (agency_world_request (late, "POST", "/v1/referrals",
                                            "{\"to\":\"pov-a\",\"legal_basis\":\"none\","
                                            "\"sheet\":{\"child\":{\"age\":9,"
                                            "\"school\":\"北小学校\"}}}",
                                            &reply),
                      202);
    json_decref (reply);
    const uint8_t *sent = agency_world_sent (w->world, late, 0, &len);
    uint8_t *letter = malloc (len);
    memcpy (letter, sent, len);
    /* ...but pov is restarted on an older view: forget late by restoring a directory
     * without it is not possible here, so use a fresh recipient that never got one. */
    tsg_agency_t *fresh = agency_world_agency (w->world, "fresh-a", "poverty");
    assert_non_null (fresh);
    size_t inbox = agency_world_count (fresh, AGENCY_DB_INBOX);
    assert_int_equal (s_deliver (fresh, letter, len), TSG_OK);
    assert_int_equal (agency_world_count (fresh, AGENCY_DB_INBOX), inbox);
    assert_int_equal (agency_world_count (fresh, AGENCY_DB_SEEN), 0);
    assert_int_equal (agency_world_sent_count (w->world, fresh), 0);
    assert_int_equal (fresh->stats.unknown_sender, 1);
    free (letter);
    agency_world_publish (w->world);
    agency_world_sent_clear (w->world, late);
}

static void
test_not_for_us_rejected (void **state)
{
    s_world_t *w = *state;
    size_t len;
    uint8_t *letter = s_referral (w, &len, NULL); /* addressed to pov-a */
    tsg_agency_t *other = agency_world_agency (w->world, "pov-b", "poverty");
    agency_world_publish (w->world);
    assert_int_equal (s_deliver (other, letter, len), TSG_OK);
    assert_int_equal (agency_world_count (other, AGENCY_DB_INBOX), 0);
    assert_int_equal (agency_world_sent_count (w->world, other), 1);
    s_expect_receipt (w, other, 0, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED, letter, len,
                      "elder-a");
    free (letter);
}

/* A letter signed by elder with a body of choice. */
static uint8_t *
s_crafted (s_world_t *w, const uint8_t *body, size_t body_len, size_t *len)
{
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t id[TSG_MESSAGE_ID_SIZE];
    char referral_id[TSG_UUID_TEXT_SIZE], case_id[TSG_UUID_TEXT_SIZE];
    tsg_uuid_new (referral_id);
    tsg_uuid_new (case_id);
    tsg_letter_prepare (&letter, &header, id, TSUNAGU__V1__KIND__KIND_REFERRAL, "elder-a", "pov-a");
    header.referral_id = referral_id;
    header.case_id = case_id;
    letter.body.data = (uint8_t *) body;
    letter.body.len = body_len;
    letter.sequence = 99;
    uint8_t *out = NULL;
    assert_int_equal (tsg_envelope_seal (&letter, w->elder->config->keys, &out, len), TSG_OK);
    return out;
}

static void
test_unopenable_bodies_rejected (void **state)
{
    s_world_t *w = *state;
    size_t inbox = agency_world_count (w->pov, AGENCY_DB_INBOX);
    const uint8_t *pov_box = tsg_keys_box_public (w->pov->config->keys);

    /* Random bytes: the box does not open. */
    uint8_t noise[120];
    memset (noise, 0x5a, sizeof noise);
    size_t len;
    uint8_t *a = s_crafted (w, noise, sizeof noise, &len);
    assert_int_equal (s_deliver (w->pov, a, len), TSG_OK);
    s_expect_receipt (w, w->pov, 0, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED, a, len, "elder-a");
    /* A duplicate of a rejected letter is rejected again, with no second quarantine entry. */
    size_t quarantined = agency_world_count (w->pov, AGENCY_DB_QUARANTINE);
    assert_int_equal (s_deliver (w->pov, a, len), TSG_OK);
    s_expect_receipt (w, w->pov, 1, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED, a, len, "elder-a");
    assert_int_equal (agency_world_count (w->pov, AGENCY_DB_QUARANTINE), quarantined);
    free (a);
    agency_world_sent_clear (w->world, w->pov);

    /* Opens, but is not JSON. */
    uint8_t *box = NULL;
    size_t box_len = 0;
    assert_int_equal (tsg_body_seal (w->elder->boxer, pov_box, "text/plain",
                                     (const uint8_t *) "hello", 5, &box, &box_len),
                      TSG_OK);
    uint8_t *b = s_crafted (w, box, box_len, &len);
    free (box);
    assert_int_equal (s_deliver (w->pov, b, len), TSG_OK);
    s_expect_receipt (w, w->pov, 0, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED, b, len, "elder-a");
    free (b);
    agency_world_sent_clear (w->world, w->pov);

    /* JSON, but not an object. */
    assert_int_equal (tsg_body_seal (w->elder->boxer, pov_box, "application/json",
                                     (const uint8_t *) "[1,2]", 5, &box, &box_len),
                      TSG_OK);
    uint8_t *c = s_crafted (w, box, box_len, &len);
    free (box);
    assert_int_equal (s_deliver (w->pov, c, len), TSG_OK);
    s_expect_receipt (w, w->pov, 0, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED, c, len, "elder-a");
    free (c);
    agency_world_sent_clear (w->world, w->pov);

    /* No body at all. */
    uint8_t *d = s_crafted (w, NULL, 0, &len);
    assert_int_equal (s_deliver (w->pov, d, len), TSG_OK);
    s_expect_receipt (w, w->pov, 0, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED, d, len, "elder-a");
    free (d);
    agency_world_sent_clear (w->world, w->pov);
    assert_int_equal (agency_world_count (w->pov, AGENCY_DB_INBOX), inbox);
}

static void
test_relayed_receipts (void **state)
{
    s_world_t *w = *state;
    size_t len;
    char referral_id[TSG_UUID_TEXT_SIZE];
    uint8_t *letter = s_referral (w, &len, referral_id);
    assert_int_equal (agency_world_store_ack (w->world, w->elder, letter, len), TSG_OK);
    agency_world_sent_clear (w->world, w->pov);
    assert_int_equal (s_deliver (w->pov, letter, len), TSG_OK);
    size_t receipt_len;
    const uint8_t *sent = agency_world_sent (w->world, w->pov, 0, &receipt_len);
    uint8_t *receipt = malloc (receipt_len);
    memcpy (receipt, sent, receipt_len);
    agency_world_sent_clear (w->world, w->pov);

    /* The coordinator relays pov's receipt to elder, which records it and acknowledges it. */
    agency_world_sent_clear (w->world, w->elder);
    assert_int_equal (s_deliver (w->elder, receipt, receipt_len), TSG_OK);
    assert_int_equal (agency_world_sent_count (w->world, w->elder), 1);
    s_expect_receipt (w, w->elder, 0, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, receipt,
                      receipt_len, "pov-a");
    char path[80];
    snprintf (path, sizeof path, "/v1/referrals/%s", referral_id);
    json_t *record = NULL;
    assert_int_equal (agency_world_request (w->elder, "GET", path, NULL, &record), 200);
    assert_string_equal (json_string_value (json_object_get (record, "delivery")), "delivered");
    json_t *receipts = json_object_get (record, "receipts");
    assert_true (json_is_string (json_object_get (receipts, "stored_at")));
    assert_true (json_is_string (json_object_get (receipts, "delivered_at")));
    json_t *history = json_object_get (record, "history");
    assert_int_equal (json_array_size (history), 3);
    assert_string_equal (json_string_value (json_object_get (json_array_get (history, 2), "event")),
                         "delivered");
    assert_string_equal (json_string_value (json_object_get (json_array_get (history, 2), "by")),
                         "pov-a");
    json_decref (record);

    /* Relayed again: acknowledged again, recorded once. */
    assert_int_equal (s_deliver (w->elder, receipt, receipt_len), TSG_OK);
    assert_int_equal (agency_world_sent_count (w->world, w->elder), 2);
    assert_int_equal (agency_world_request (w->elder, "GET", path, NULL, &record), 200);
    assert_int_equal (json_array_size (json_object_get (record, "history")), 3);
    json_decref (record);
    agency_world_sent_clear (w->world, w->elder);
    free (receipt);
    free (letter);
}

static void
test_rejection_relayed (void **state)
{
    s_world_t *w = *state;
    /* elder sends a referral that pov could not open: pov's rejection, built directly. */
    size_t len;
    char referral_id[TSG_UUID_TEXT_SIZE];
    uint8_t *letter = s_referral (w, &len, referral_id);
    tsg_envelope_t env = { 0 };
    assert_int_equal (agency_world_decode (letter, len, &env), TSG_OK);
    tsg_letter_t rejection;
    uint8_t id[TSG_MESSAGE_ID_SIZE];
    Tsunagu__V1__Receipt body = TSUNAGU__V1__RECEIPT__INIT;
    tsg_letter_prepare (&rejection, NULL, id, TSUNAGU__V1__KIND__KIND_RECEIPT, "pov-a", "elder-a");
    body.type = TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED;
    uint8_t about[TSG_MESSAGE_ID_SIZE];
    memcpy (about, env.letter->message_id.data, TSG_MESSAGE_ID_SIZE);
    body.about_message_id.data = about;
    body.about_message_id.len = TSG_MESSAGE_ID_SIZE;
    body.at_ms = tsg_now_ms ();
    body.detail = (char *) "the body does not open with the sender's key";
    rejection.receipt = &body;
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    assert_int_equal (tsg_envelope_seal (&rejection, w->pov->config->keys, &sealed, &sealed_len),
                      TSG_OK);
    tsg_envelope_clear (&env);

    /* The same receipt signed by someone else than the recipient changes nothing. */
    uint8_t *forged = NULL;
    size_t forged_len = 0;
    uint8_t forged_id[TSG_MESSAGE_ID_SIZE];
    tsg_random_id (forged_id);
    rejection.message_id.data = forged_id;
    rejection.sender = (char *) "elder-a";
    rejection.recipient = (char *) "elder-a";
    assert_int_equal (tsg_envelope_seal (&rejection, w->elder->config->keys, &forged, &forged_len),
                      TSG_OK);
    assert_int_equal (s_deliver (w->elder, forged, forged_len), TSG_OK);
    char path[80];
    snprintf (path, sizeof path, "/v1/referrals/%s", referral_id);
    json_t *record = NULL;
    assert_int_equal (agency_world_request (w->elder, "GET", path, NULL, &record), 200);
    assert_string_equal (json_string_value (json_object_get (record, "delivery")), "queued");
    json_decref (record);

    assert_int_equal (s_deliver (w->elder, sealed, sealed_len), TSG_OK);
    assert_int_equal (agency_world_request (w->elder, "GET", path, NULL, &record), 200);
    assert_string_equal (json_string_value (json_object_get (record, "delivery")), "rejected");
    json_t *error = json_object_get (record, "error");
    assert_string_equal (json_string_value (json_object_get (error, "code")), "rejected");
    assert_string_equal (json_string_value (json_object_get (error, "message")),
                         "the body does not open with the sender's key");
    json_decref (record);
    agency_world_sent_clear (w->world, w->elder);
    free (forged);
    free (sealed);
    free (letter);
}

static void
s_fill_directory (tsg_letter_t *letter, void *arg)
{
    letter->directory = arg;
}

static void
test_directory_rules (void **state)
{
    s_world_t *w = *state;
    uint64_t serial = agency_directory_serial (w->pov->directory);
    /* Signed by someone else than the pinned coordinator: ignored. */
    Tsunagu__V1__Directory dir = TSUNAGU__V1__DIRECTORY__INIT;
    dir.serial = serial + 10;
    dir.valid_from_ms = tsg_now_ms () - 1000;
    dir.valid_until_ms = tsg_now_ms () + 3600 * 1000;
    tsg_letter_t letter;
    uint8_t id[TSG_MESSAGE_ID_SIZE];
    tsg_letter_prepare (&letter, NULL, id, TSUNAGU__V1__KIND__KIND_DIRECTORY, "coordinator",
                        "pov-a");
    letter.directory = &dir;
    tsg_keys_t *impostor = tsg_keys_generate ("coordinator");
    uint8_t *data = NULL;
    size_t len = 0;
    assert_int_equal (tsg_envelope_seal (&letter, impostor, &data, &len), TSG_OK);
    assert_int_equal (s_deliver (w->pov, data, len), TSG_OK);
    assert_int_equal (agency_directory_serial (w->pov->directory), serial);
    assert_true (agency_directory_count (w->pov->directory) >= 2);
    free (data);
    tsg_keys_destroy (&impostor);

    /* Signed by the pinned key but expired, not yet valid, or older: ignored too. */
    uint64_t now = tsg_now_ms ();
    struct {
        uint64_t serial, from, until;
    } bad[] = {
        { serial + 10, now - 7200 * 1000, now - 3600 * 1000 },
        { serial + 10, now + 3600 * 1000, now + 7200 * 1000 },
        { serial - 1, now - 1000, now + 3600 * 1000 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dir.serial = bad[i].serial;
        dir.valid_from_ms = bad[i].from;
        dir.valid_until_ms = bad[i].until;
        assert_int_equal (agency_world_coordinator_letter (w->world, "pov-a",
                                                           TSUNAGU__V1__KIND__KIND_DIRECTORY,
                                                           s_fill_directory, &dir, &data, &len),
                          TSG_OK);
        assert_int_equal (s_deliver (w->pov, data, len), TSG_OK);
        assert_int_equal (agency_directory_serial (w->pov->directory), serial);
        free (data);
    }
    /* A good one replaces it. */
    agency_world_publish (w->world);
    assert_int_equal (agency_directory_serial (w->pov->directory), serial + 1);
}

static void
test_inbox_survives_restart (void **state)
{
    s_world_t *w = *state;
    size_t inbox = agency_world_count (w->pov, AGENCY_DB_INBOX);
    uint64_t cursor = w->pov->next_cursor;
    w->pov = agency_world_restart (w->world, w->pov);
    assert_non_null (w->pov);
    assert_int_equal (w->pov->next_cursor, cursor);
    assert_int_equal (agency_world_count (w->pov, AGENCY_DB_INBOX), inbox);
    assert_non_null (w->pov->directory);
    size_t len;
    uint8_t *letter = s_referral (w, &len, NULL);
    assert_int_equal (s_deliver (w->pov, letter, len), TSG_OK);
    json_t *reply = NULL;
    char path[64];
    snprintf (path, sizeof path, "/v1/inbox?after=%llu", (unsigned long long) (cursor - 1));
    assert_int_equal (agency_world_request (w->pov, "GET", path, NULL, &reply), 200);
    json_t *items = json_object_get (reply, "items");
    assert_int_equal (json_array_size (items), 1);
    assert_int_equal (json_integer_value (json_object_get (json_array_get (items, 0), "cursor")),
                      cursor);
    json_decref (reply);
    agency_world_sent_clear (w->world, w->pov);
    free (letter);
}

/* Every body is opened by one counted function (records/sealed.h): once when the letter comes
 * in, and once for each read that shows it — GET /v1/referrals/{id} and GET /v1/inbox open
 * each letter's body once, and nothing else opens it (the inbox keeps the body encrypted, as
 * received). */
static void
test_bodies_opened_once_per_read (void **state)
{
    s_world_t *w = *state;
    size_t len;
    char referral_id[TSG_UUID_TEXT_SIZE];
    uint8_t *letter = s_referral (w, &len, referral_id);
    uint64_t before = w->pov->stats.bodies_opened;
    assert_int_equal (s_deliver (w->pov, letter, len), TSG_OK);
    assert_int_equal (w->pov->stats.bodies_opened, before + 1);
    agency_world_sent_clear (w->world, w->pov);

    char path[96];
    snprintf (path, sizeof path, "/v1/referrals/%s", referral_id);
    json_t *reply = NULL;
    uint64_t at = w->pov->stats.bodies_opened;
    assert_int_equal (agency_world_request (w->pov, "GET", path, NULL, &reply), 200);
    assert_string_equal (
        json_string_value (json_object_get (json_object_get (reply, "sheet"), "memo")), "見守り");
    json_decref (reply);
    assert_int_equal (w->pov->stats.bodies_opened, at + 1);

    at = w->pov->stats.bodies_opened;
    assert_int_equal (agency_world_request (w->pov, "GET", "/v1/inbox", NULL, &reply), 200);
    size_t opened = 0, i;
    json_t *item;
    json_array_foreach (json_object_get (reply, "items"), i, item)
    {
        opened += json_is_object (json_object_get (item, "sheet"))
                  || json_is_object (json_object_get (item, "body"));
    }
    assert_true (opened >= 1);
    json_decref (reply);
    assert_int_equal (w->pov->stats.bodies_opened, at + opened);
    free (letter);
}

int
main (void)
{
    log_init ("test_agency_inbox", false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_store_then_receipt),
        cmocka_unit_test (test_bodies_opened_once_per_read),
        cmocka_unit_test (test_duplicate_in_one_batch),
        cmocka_unit_test (test_bad_signature_quarantined),
        cmocka_unit_test (test_garbage_never_crashes),
        cmocka_unit_test (test_unknown_sender_not_answered),
        cmocka_unit_test (test_not_for_us_rejected),
        cmocka_unit_test (test_unopenable_bodies_rejected),
        cmocka_unit_test (test_relayed_receipts),
        cmocka_unit_test (test_rejection_relayed),
        cmocka_unit_test (test_directory_rules),
        cmocka_unit_test (test_inbox_survives_restart),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
