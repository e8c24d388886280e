/* test_hub_intake.c — the coordinator's intake and mailbox rules on a temporary store, without
 * sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_hub_fixture.h"

#include "coordinator/model/store.h"

#define SUSPENDED "child-minami" /* a suspended agency */

/* Everything one test needs: the hub fixture with three agencies (two active, one suspended)
 * on the real clock, and short names for its parts. */
typedef struct {
    hub_fixture_t *h;               /* the fixture (owns everything below) */
    tsg_store_t *store;             /* its store */
    tsg_keys_t *coordinator;        /* the coordinator's keys */
    tsg_keys_t *elder;              /* eldercare-chuo, active */
    tsg_keys_t *poverty;            /* poverty-kita, active */
    tsg_keys_t *child;              /* child-minami, suspended */
    tsg_hub_directory_t *directory; /* the registry in memory */
    tsg_hub_intake_t *intake;       /* what is tested */
} fixture_t;

static uint64_t s_fixed_now; /* the injected clock of the clock tests */

static uint64_t
s_clock (void)
{
    return s_fixed_now;
}

static fixture_t *
s_fixture_new (size_t map_size)
{
    static const hub_agency_t agencies[] = {
        { ELDER, "eldercare", TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE, 0 },
        { POVERTY, "poverty", TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE, 0 },
        { SUSPENDED, "child", TSUNAGU__V1__AGENCY_STATUS__AGENCY_SUSPENDED, 0 },
    };
    hub_fixture_options_t options = { .name = "hub-intake",
                                      .map_size = map_size,
                                      .real_clock = true,
                                      .agencies = agencies,
                                      .n_agencies = 3 };
    fixture_t *f = calloc (1, sizeof *f);
    assert_non_null (f);
    f->h = hub_fixture_new_with (&options);
    f->store = f->h->store;
    f->coordinator = f->h->coordinator;
    f->elder = f->h->keys[0];
    f->poverty = f->h->keys[1];
    f->child = f->h->keys[2];
    f->directory = f->h->directory;
    f->intake = f->h->intake;
    return f;
}

static void
s_fixture_destroy (fixture_t **f_p)
{
    hub_fixture_destroy (&(*f_p)->h);
    free (*f_p);
    *f_p = NULL;
    tsg_clock_set (NULL);
}

static int
s_setup (void **state)
{
    *state = s_fixture_new (0);
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *f = *state;
    s_fixture_destroy (&f);
    return 0;
}

/* A sealed letter; id receives its message id.  body_len bytes of opaque body (the
 * coordinator never opens it). */
static uint8_t *
s_letter (const tsg_keys_t *signer, const char *sender, const char *recipient,
          Tsunagu__V1__Kind kind, uint64_t seq, size_t body_len, uint8_t id[16], size_t *len)
{
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t message_id[16];
    tsg_letter_prepare (&letter, &header, message_id, kind, sender, recipient);
    char *tags[] = { (char *) "8050", (char *) "孤立" };
    header.tags = tags;
    header.n_tags = 2;
    header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE;
    header.case_id = (char *) "3f1c2a9e-5b7d-4c1e-9a2b-0d4e6f8a1b2c";
    char referral_id[TSG_UUID_TEXT_SIZE];
    tsg_uuid_new (referral_id);
    header.referral_id = referral_id;
    letter.sequence = seq;
    uint8_t *body = NULL;
    if (body_len) {
        body = malloc (body_len);
        assert_non_null (body);
        memset (body, 0xa5, body_len);
        letter.body.data = body;
        letter.body.len = body_len;
    }
    uint8_t *out = NULL;
    assert_int_equal (tsg_envelope_seal (&letter, signer, &out, len), TSG_OK);
    free (body);
    if (id)
        memcpy (id, message_id, 16);
    return out;
}

/* A sealed receipt of type from signer (sender) to recipient about about. */
static uint8_t *
s_receipt (const tsg_keys_t *signer, const char *recipient, Tsunagu__V1__ReceiptType type,
           const uint8_t about[16], uint8_t id[16], size_t *len)
{
    tsg_letter_t letter;
    uint8_t message_id[16];
    uint8_t about_copy[16];
    memcpy (about_copy, about, 16);
    tsg_letter_prepare (&letter, NULL, message_id, TSUNAGU__V1__KIND__KIND_RECEIPT,
                        tsg_keys_id (signer), recipient);
    Tsunagu__V1__Receipt receipt = TSUNAGU__V1__RECEIPT__INIT;
    receipt.type = type;
    receipt.about_message_id.data = about_copy;
    receipt.about_message_id.len = 16;
    receipt.at_ms = tsg_now_ms ();
    letter.receipt = &receipt;
    uint8_t *out = NULL;
    assert_int_equal (tsg_envelope_seal (&letter, signer, &out, len), TSG_OK);
    if (id)
        memcpy (id, message_id, 16);
    return out;
}

/* Runs one envelope through a batch of its own and commits it; returns the commit rc. */
static int
s_intake_one (fixture_t *f, const char *auth, const uint8_t *frame, size_t len,
              tsg_hub_answer_t *answer)
{
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, true);
    tsg_hub_intake_begin (f->intake, &txn);
    tsg_hub_intake_letter (f->intake, auth, frame, len, answer);
    int rc = tsg_txn_commit (&txn);
    if (rc != TSG_OK)
        tsg_hub_answer_store_failed (answer);
    return rc;
}

/* Store facts, read in a transaction of their own. */
static size_t
s_mailbox_count (fixture_t *f, const char *recipient)
{
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    size_t n = tsg_hub_mailbox_count (&txn, recipient);
    tsg_txn_abort (&txn);
    return n;
}

static uint64_t
s_last (fixture_t *f, const char *sender)
{
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    uint64_t last = tsg_hub_sender_last (&txn, sender);
    tsg_txn_abort (&txn);
    return last;
}

static bool
s_message (fixture_t *f, const uint8_t id[16], tsg_hub_message_t *out)
{
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    bool found = tsg_hub_message_get (&txn, id, out);
    tsg_txn_abort (&txn);
    return found;
}

static void
s_expect_error (const tsg_hub_answer_t *answer, Tsunagu__V1__ErrorCode code, bool final)
{
    assert_int_equal (answer->type, TSG_HUB_ANSWER_ERROR);
    assert_int_equal (answer->code, code);
    assert_int_equal (answer->final, final);
    assert_true (strlen (answer->detail) > 0);
}

/* A referral in sequence is stored in its recipient's mailbox and answered STORED. */
static void
test_referral_is_stored (void **state)
{
    fixture_t *f = *state;
    uint8_t id[16];
    size_t len;
    uint8_t *frame =
        s_letter (f->elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 1, 300, id, &len);
    tsg_hub_answer_t answer;
    assert_int_equal (s_intake_one (f, ELDER, frame, len, &answer), TSG_OK);
    assert_int_equal (answer.type, TSG_HUB_ANSWER_STORED);
    assert_true (answer.has_about);
    assert_memory_equal (answer.about, id, 16);
    assert_int_equal (tsg_hub_intake_new_mail_count (f->intake), 1);
    assert_string_equal (tsg_hub_intake_new_mail (f->intake, 0), POVERTY);
    assert_int_equal (s_mailbox_count (f, POVERTY), 1);
    assert_int_equal (s_mailbox_count (f, ELDER), 0);
    assert_int_equal (s_last (f, ELDER), 1);
    tsg_hub_message_t msg;
    assert_true (s_message (f, id, &msg));
    assert_int_equal (msg.state, TSG_HUB_MSG_STORED);
    assert_string_equal (msg.sender, ELDER);
    assert_string_equal (msg.recipient, POVERTY);

    /* The mailbox holds the envelope exactly as it came. */
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    uint8_t key[TSG_HUB_MAILBOX_KEY_MAX];
    size_t key_len = tsg_hub_mailbox_key (POVERTY, msg.mailbox_seq, key);
    MDB_val val;
    assert_true (
        tsg_txn_get (&txn, tsg_store_db (f->store, TSG_HUB_DB_MAILBOX), key, key_len, &val));
    assert_true (val.mv_size > len);
    assert_memory_equal ((uint8_t *) val.mv_data + val.mv_size - len, frame, len);
    tsg_txn_abort (&txn);
    free (frame);
}

/* next → stored; resend → same answer, nothing doubled; gap → not final, nothing changes;
 * reuse of a taken number by another letter → final. */
static void
test_sequence_rules (void **state)
{
    fixture_t *f = *state;
    tsg_hub_answer_t answer;
    uint8_t id1[16];
    size_t len1, len;
    uint8_t *first =
        s_letter (f->elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 1, 64, id1, &len1);
    assert_int_equal (s_intake_one (f, ELDER, first, len1, &answer), TSG_OK);
    assert_int_equal (answer.type, TSG_HUB_ANSWER_STORED);

    /* The same letter again: answered STORED again, stored once. */
    assert_int_equal (s_intake_one (f, ELDER, first, len1, &answer), TSG_OK);
    assert_int_equal (answer.type, TSG_HUB_ANSWER_STORED);
    assert_memory_equal (answer.about, id1, 16);
    assert_int_equal (s_mailbox_count (f, POVERTY), 1);
    assert_int_equal (tsg_hub_intake_new_mail_count (f->intake), 0);

    /* A gap: sequence 3 while 2 is expected. */
    uint8_t *third =
        s_letter (f->elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 3, 64, NULL, &len);
    assert_int_equal (s_intake_one (f, ELDER, third, len, &answer), TSG_OK);
    s_expect_error (&answer, TSUNAGU__V1__ERROR_CODE__ERROR_OUT_OF_ORDER, false);
    assert_int_equal (s_last (f, ELDER), 1);
    assert_int_equal (s_mailbox_count (f, POVERTY), 1);

    /* Sequence 2, then 3 goes through. */
    uint8_t *second =
        s_letter (f->elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 2, 64, NULL, &len);
    assert_int_equal (s_intake_one (f, ELDER, second, len, &answer), TSG_OK);
    assert_int_equal (answer.type, TSG_HUB_ANSWER_STORED);
    free (second);
    assert_int_equal (s_intake_one (f, ELDER, third, len, &answer), TSG_OK);
    assert_int_equal (answer.type, TSG_HUB_ANSWER_STORED);
    assert_int_equal (s_last (f, ELDER), 3);
    assert_int_equal (s_mailbox_count (f, POVERTY), 3);

    /* A different letter reusing sequence 2. */
    uint8_t *reuse =
        s_letter (f->elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 2, 64, NULL, &len);
    assert_int_equal (s_intake_one (f, ELDER, reuse, len, &answer), TSG_OK);
    s_expect_error (&answer, TSUNAGU__V1__ERROR_CODE__ERROR_OUT_OF_ORDER, true);
    assert_int_equal (s_mailbox_count (f, POVERTY), 3);
    assert_int_equal (s_last (f, ELDER), 3);

    /* Sequences are per sender: poverty starts at 1. */
    uint8_t *other =
        s_letter (f->poverty, POVERTY, ELDER, TSUNAGU__V1__KIND__KIND_REFERRAL, 1, 64, NULL, &len);
    assert_int_equal (s_intake_one (f, POVERTY, other, len, &answer), TSG_OK);
    assert_int_equal (answer.type, TSG_HUB_ANSWER_STORED);
    free (first);
    free (third);
    free (reuse);
    free (other);
}

/* Several letters in one transaction see each other: in-order letters and a duplicate. */
static void
test_one_batch_many_letters (void **state)
{
    fixture_t *f = *state;
    uint8_t *frames[5];
    size_t lens[5];
    for (int i = 0; i < 4; i++)
        frames[i] = s_letter (f->elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL,
                              (uint64_t) i + 1, 100, NULL, &lens[i]);
    frames[4] = frames[1]; /* a resend inside the batch */
    lens[4] = lens[1];
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, true);
    tsg_hub_intake_begin (f->intake, &txn);
    tsg_hub_answer_t answers[5];
    for (int i = 0; i < 5; i++)
        tsg_hub_intake_letter (f->intake, ELDER, frames[i], lens[i], &answers[i]);
    assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
    for (int i = 0; i < 5; i++)
        assert_int_equal (answers[i].type, TSG_HUB_ANSWER_STORED);
    assert_int_equal (s_mailbox_count (f, POVERTY), 4);
    assert_int_equal (s_last (f, ELDER), 4);
    for (int i = 0; i < 4; i++)
        free (frames[i]);
}

/* Each envelope is decoded once on its way in, whatever it is and whatever becomes of it: a
 * referral stored, a resend answered again, a HELLO, a receipt, a letter refused for its
 * signature.  (The coordinator used to decode each envelope twice, once in the hub's loop to
 * see whether it was a HELLO and again in the intake.) */
static void
test_decoded_once (void **state)
{
    fixture_t *f = *state;
    const tsg_hub_intake_counters_t *counters = tsg_hub_intake_counters (f->intake);
    assert_int_equal (counters->decoded, 0);
    uint8_t id[16];
    size_t lens[5];
    uint8_t *frames[5];
    frames[0] =
        s_letter (f->elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 1, 100, id, &lens[0]);
    frames[1] = frames[0]; /* a resend */
    lens[1] = lens[0];
    frames[2] = s_letter (f->elder, ELDER, TSG_COORDINATOR_ID, TSUNAGU__V1__KIND__KIND_HELLO, 0, 0,
                          NULL, &lens[2]);
    frames[3] = s_receipt (f->poverty, ELDER, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, id,
                           NULL, &lens[3]);
    /* Signed with another key: decoded, then refused for its signature. */
    frames[4] = s_letter (f->poverty, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 2, 10, NULL,
                          &lens[4]);
    tsg_hub_answer_t answers[5];
    const char *from[5] = { ELDER, ELDER, ELDER, POVERTY, ELDER };
    for (int i = 0; i < 5; i++) {
        assert_int_equal (s_intake_one (f, from[i], frames[i], lens[i], &answers[i]), TSG_OK);
        assert_int_equal (counters->decoded, (uint64_t) i + 1);
    }
    assert_int_equal (answers[0].type, TSG_HUB_ANSWER_STORED);
    assert_int_equal (answers[1].type, TSG_HUB_ANSWER_STORED);
    assert_int_equal (answers[2].type, TSG_HUB_ANSWER_HELLO);
    assert_int_equal (answers[3].type, TSG_HUB_ANSWER_NONE);
    s_expect_error (&answers[4], TSUNAGU__V1__ERROR_CODE__ERROR_BAD_SIGNATURE, true);
    for (int i = 0; i < 5; i++)
        if (i != 1)
            free (frames[i]);
}

/* The intake takes a letter already decoded and decides it exactly as from its bytes, without
 * decoding it again: stored, in the mailbox, resent answered the same. */
static void
test_takes_decoded_letter (void **state)
{
    fixture_t *f = *state;
    const tsg_hub_intake_counters_t *counters = tsg_hub_intake_counters (f->intake);
    uint8_t id[16];
    size_t len;
    uint8_t *frame =
        s_letter (f->elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 1, 100, id, &len);
    tsg_envelope_t env = { NULL, NULL };
    assert_int_equal (tsg_envelope_decode (frame, len, &env, NULL), TSG_OK);
    for (int round = 0; round < 2; round++) {
        tsg_hub_answer_t answer;
        tsg_txn_t txn;
        tsg_txn_begin (f->store, &txn, true);
        tsg_hub_intake_begin (f->intake, &txn);
        tsg_hub_intake_envelope (f->intake, ELDER, &env, frame, len, &answer);
        assert_int_equal (tsg_txn_commit (&txn), TSG_OK);
        assert_int_equal (answer.type, TSG_HUB_ANSWER_STORED);
        assert_true (answer.verified);
        assert_memory_equal (answer.about, id, 16);
    }
    assert_int_equal (counters->decoded, 0);
    assert_int_equal (counters->stored, 1);
    assert_int_equal (s_mailbox_count (f, POVERTY), 1);
    assert_int_equal (s_last (f, ELDER), 1);
    /* Not from the connection's agency: refused as from bytes. */
    tsg_hub_answer_t answer;
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, true);
    tsg_hub_intake_begin (f->intake, &txn);
    tsg_hub_intake_envelope (f->intake, POVERTY, &env, frame, len, &answer);
    tsg_txn_abort (&txn);
    s_expect_error (&answer, TSUNAGU__V1__ERROR_CODE__ERROR_SENDER_MISMATCH, true);
    tsg_envelope_clear (&env);
    free (frame);
}

/* A refused letter consumes its number and is answered the same way when resent. */
static void
test_refusal_consumes_sequence (void **state)
{
    fixture_t *f = *state;
    tsg_hub_answer_t answer;
    uint8_t id[16];
    size_t len;
    uint8_t *unknown = s_letter (f->elder, ELDER, "nobody-here", TSUNAGU__V1__KIND__KIND_REFERRAL,
                                 1, 64, id, &len);
    assert_int_equal (s_intake_one (f, ELDER, unknown, len, &answer), TSG_OK);
    s_expect_error (&answer, TSUNAGU__V1__ERROR_CODE__ERROR_UNKNOWN_RECIPIENT, true);
    char detail[TSG_HUB_DETAIL_MAX];
    snprintf (detail, sizeof detail, "%s", answer.detail);
    assert_int_equal (s_last (f, ELDER), 1);
    tsg_hub_message_t msg;
    assert_true (s_message (f, id, &msg));
    assert_int_equal (msg.state, TSG_HUB_MSG_REFUSED);

    /* The resend gets exactly the same answer. */
    assert_int_equal (s_intake_one (f, ELDER, unknown, len, &answer), TSG_OK);
    s_expect_error (&answer, TSUNAGU__V1__ERROR_CODE__ERROR_UNKNOWN_RECIPIENT, true);
    assert_string_equal (answer.detail, detail);
    assert_memory_equal (answer.about, id, 16);

    /* The next letter is not blocked by it. */
    uint8_t *next =
        s_letter (f->elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 2, 64, NULL, &len);
    assert_int_equal (s_intake_one (f, ELDER, next, len, &answer), TSG_OK);
    assert_int_equal (answer.type, TSG_HUB_ANSWER_STORED);
    free (unknown);
    free (next);
}

static void
test_inactive_recipient (void **state)
{
    fixture_t *f = *state;
    tsg_hub_answer_t answer;
    size_t len;
    uint8_t *frame =
        s_letter (f->elder, ELDER, SUSPENDED, TSUNAGU__V1__KIND__KIND_REFERRAL, 1, 64, NULL, &len);
    assert_int_equal (s_intake_one (f, ELDER, frame, len, &answer), TSG_OK);
    s_expect_error (&answer, TSUNAGU__V1__ERROR_CODE__ERROR_RECIPIENT_INACTIVE, true);
    assert_int_equal (s_mailbox_count (f, SUSPENDED), 0);
    free (frame);

    /* To the coordinator itself: not permitted. */
    frame = s_letter (f->elder, ELDER, "coordinator", TSUNAGU__V1__KIND__KIND_REFERRAL, 2, 64, NULL,
                      &len);
    assert_int_equal (s_intake_one (f, ELDER, frame, len, &answer), TSG_OK);
    s_expect_error (&answer, TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED, true);
    free (frame);
}

/* A suspended agency's letters are refused (not final: it may be resumed) and change nothing;
 * its receipts go unanswered. */
static void
test_inactive_sender (void **state)
{
    fixture_t *f = *state;
    tsg_hub_answer_t answer;
    size_t len;
    uint8_t *frame = s_letter (f->child, SUSPENDED, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 1,
                               64, NULL, &len);
    assert_int_equal (s_intake_one (f, SUSPENDED, frame, len, &answer), TSG_OK);
    s_expect_error (&answer, TSUNAGU__V1__ERROR_CODE__ERROR_AGENCY_SUSPENDED, false);
    assert_false (answer.verified); /* it may not start or move a session */
    assert_int_equal (s_last (f, SUSPENDED), 0);
    assert_int_equal (s_mailbox_count (f, POVERTY), 0);
    free (frame);
    uint8_t about[16] = { 7 };
    frame = s_receipt (f->child, POVERTY, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, about, NULL,
                       &len);
    assert_int_equal (s_intake_one (f, SUSPENDED, frame, len, &answer), TSG_OK);
    assert_int_equal (answer.type, TSG_HUB_ANSWER_NONE);
    free (frame);
}

/* A registered agency claiming to be another: refused, stored nowhere, no sequence used. */
static void
test_sender_mismatch (void **state)
{
    fixture_t *f = *state;
    tsg_hub_answer_t answer;
    uint8_t id[16];
    size_t len;
    uint8_t *frame =
        s_letter (f->elder, POVERTY, ELDER, TSUNAGU__V1__KIND__KIND_REFERRAL, 1, 64, id, &len);
    assert_int_equal (s_intake_one (f, ELDER, frame, len, &answer), TSG_OK);
    s_expect_error (&answer, TSUNAGU__V1__ERROR_CODE__ERROR_SENDER_MISMATCH, true);
    assert_memory_equal (answer.about, id, 16);
    assert_int_equal (s_last (f, ELDER), 0);
    assert_int_equal (s_last (f, POVERTY), 0);
    assert_int_equal (s_mailbox_count (f, ELDER), 0);
    tsg_hub_message_t msg;
    assert_false (s_message (f, id, &msg));
    free (frame);
}

/* A letter signed with the wrong key: refused, and it changes nothing (not even the sequence). */
static void
test_bad_signature (void **state)
{
    fixture_t *f = *state;
    tsg_hub_answer_t answer;
    size_t len;
    uint8_t *frame =
        s_letter (f->poverty, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 1, 64, NULL, &len);
    assert_int_equal (s_intake_one (f, ELDER, frame, len, &answer), TSG_OK);
    s_expect_error (&answer, TSUNAGU__V1__ERROR_CODE__ERROR_BAD_SIGNATURE, true);
    assert_int_equal (s_mailbox_count (f, POVERTY), 0);
    assert_int_equal (s_last (f, ELDER), 0);
    free (frame);

    /* With a gap in the sequence it is still a bad signature, not a gap. */
    frame =
        s_letter (f->poverty, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 9, 64, NULL, &len);
    assert_int_equal (s_intake_one (f, ELDER, frame, len, &answer), TSG_OK);
    s_expect_error (&answer, TSUNAGU__V1__ERROR_CODE__ERROR_BAD_SIGNATURE, true);
    free (frame);

    /* One flipped byte in the signed bytes of a good letter. */
    uint8_t id[16];
    frame = s_letter (f->elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 1, 64, id, &len);
    frame[len - 70] ^= 0x01; /* inside the body, before the 64-byte signature and its tag */
    assert_int_equal (s_intake_one (f, ELDER, frame, len, &answer), TSG_OK);
    s_expect_error (&answer, TSUNAGU__V1__ERROR_CODE__ERROR_BAD_SIGNATURE, true);
    assert_int_equal (s_mailbox_count (f, POVERTY), 0);
    tsg_hub_message_t msg;
    assert_false (s_message (f, id, &msg));

    /* The genuine letter with that sequence number still goes through afterwards. */
    frame[len - 70] ^= 0x01;
    assert_int_equal (s_intake_one (f, ELDER, frame, len, &answer), TSG_OK);
    assert_int_equal (answer.type, TSG_HUB_ANSWER_STORED);
    assert_int_equal (s_last (f, ELDER), 1);
    free (frame);

    /* An unsequenced HELLO with a bad signature gets no HELLO back. */
    frame = s_letter (f->poverty, ELDER, "coordinator", TSUNAGU__V1__KIND__KIND_HELLO, 0, 0, NULL,
                      &len);
    assert_int_equal (s_intake_one (f, ELDER, frame, len, &answer), TSG_OK);
    s_expect_error (&answer, TSUNAGU__V1__ERROR_CODE__ERROR_BAD_SIGNATURE, true);
    free (frame);
}

static void
test_clock_skew (void **state)
{
    fixture_t *f = *state;
    tsg_hub_answer_t answer;
    size_t len;
    uint64_t now = 1795000000000ULL; /* 2026-11 */

    s_fixed_now = now + 6 * 60 * 1000; /* written 6 minutes in the coordinator's future */
    tsg_clock_set (s_clock);
    uint8_t *ahead =
        s_letter (f->elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 1, 64, NULL, &len);
    s_fixed_now = now;
    assert_int_equal (s_intake_one (f, ELDER, ahead, len, &answer), TSG_OK);
    s_expect_error (&answer, TSUNAGU__V1__ERROR_CODE__ERROR_CLOCK_SKEW, true);
    assert_int_equal (s_mailbox_count (f, POVERTY), 0);
    assert_int_equal (s_last (f, ELDER), 1);
    free (ahead);

    s_fixed_now = now - 31 * DAY_MS; /* 31 days old */
    uint8_t *old =
        s_letter (f->elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 2, 64, NULL, &len);
    s_fixed_now = now;
    assert_int_equal (s_intake_one (f, ELDER, old, len, &answer), TSG_OK);
    s_expect_error (&answer, TSUNAGU__V1__ERROR_CODE__ERROR_CLOCK_SKEW, true);
    free (old);

    s_fixed_now = now + 4 * 60 * 1000; /* 4 minutes ahead: accepted */
    uint8_t *fine =
        s_letter (f->elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 3, 64, NULL, &len);
    s_fixed_now = now;
    assert_int_equal (s_intake_one (f, ELDER, fine, len, &answer), TSG_OK);
    assert_int_equal (answer.type, TSG_HUB_ANSWER_STORED);
    free (fine);

    s_fixed_now = now - 29 * DAY_MS; /* 29 days old: accepted */
    uint8_t *older =
        s_letter (f->elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 4, 64, NULL, &len);
    s_fixed_now = now;
    assert_int_equal (s_intake_one (f, ELDER, older, len, &answer), TSG_OK);
    assert_int_equal (answer.type, TSG_HUB_ANSWER_STORED);
    free (older);

    /* A HELLO from the future is answered all the same: the answer carries the coordinator's
     * clock, which is how the agency learns that its own is wrong.  A receipt from the future
     * is applied (it only acknowledges the acknowledger's own mail) and never answered. */
    s_fixed_now = now + 10 * 60 * 1000;
    uint8_t hello_id[16];
    uint8_t *hello = s_letter (f->elder, ELDER, "coordinator", TSUNAGU__V1__KIND__KIND_HELLO, 0, 0,
                               hello_id, &len);
    s_fixed_now = now;
    assert_int_equal (s_intake_one (f, ELDER, hello, len, &answer), TSG_OK);
    assert_int_equal (answer.type, TSG_HUB_ANSWER_HELLO);
    assert_memory_equal (answer.about, hello_id, 16);
    free (hello);
}

/* Garbage, truncation, oversize and a wrong version are refused and change nothing. */
static void
test_malformed (void **state)
{
    fixture_t *f = *state;
    tsg_hub_answer_t answer;
    uint8_t garbage[100];
    for (size_t i = 0; i < sizeof garbage; i++)
        garbage[i] = (uint8_t) (i * 37 + 11);
    assert_int_equal (s_intake_one (f, ELDER, garbage, sizeof garbage, &answer), TSG_OK);
    s_expect_error (&answer, TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED, true);
    assert_false (answer.has_about);

    assert_int_equal (s_intake_one (f, ELDER, garbage, 0, &answer), TSG_OK);
    s_expect_error (&answer, TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED, true);

    size_t len;
    uint8_t *frame =
        s_letter (f->elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 1, 64, NULL, &len);
    for (size_t cut = 1; cut < len; cut += 7) {
        assert_int_equal (s_intake_one (f, ELDER, frame, len - cut, &answer), TSG_OK);
        assert_int_equal (answer.type, TSG_HUB_ANSWER_ERROR);
    }
    free (frame);

    uint8_t *huge = calloc (1, TSG_ENVELOPE_MAX + 1);
    assert_non_null (huge);
    assert_int_equal (s_intake_one (f, ELDER, huge, TSG_ENVELOPE_MAX + 1, &answer), TSG_OK);
    s_expect_error (&answer, TSUNAGU__V1__ERROR_CODE__ERROR_TOO_LARGE, true);
    free (huge);

    /* Version 2, signed properly: refused with BAD_VERSION, naming the letter. */
    tsg_letter_t letter;
    uint8_t id[16];
    tsg_letter_prepare (&letter, NULL, id, TSUNAGU__V1__KIND__KIND_REFERRAL, ELDER, POVERTY);
    letter.version = 2;
    letter.sequence = 1;
    uint8_t *v2 = NULL;
    assert_int_equal (tsg_envelope_seal (&letter, f->elder, &v2, &len), TSG_OK);
    assert_int_equal (s_intake_one (f, ELDER, v2, len, &answer), TSG_OK);
    s_expect_error (&answer, TSUNAGU__V1__ERROR_CODE__ERROR_BAD_VERSION, true);
    assert_true (answer.has_about);
    assert_memory_equal (answer.about, id, 16);
    free (v2);

    /* 17 tags. */
    tsg_header_t header;
    tsg_letter_prepare (&letter, &header, id, TSUNAGU__V1__KIND__KIND_REFERRAL, ELDER, POVERTY);
    char *tags[17];
    for (int i = 0; i < 17; i++)
        tags[i] = (char *) "tag";
    header.tags = tags;
    header.n_tags = 17;
    letter.sequence = 1;
    uint8_t *many = NULL;
    assert_int_equal (tsg_envelope_seal (&letter, f->elder, &many, &len), TSG_OK);
    assert_int_equal (s_intake_one (f, ELDER, many, len, &answer), TSG_OK);
    s_expect_error (&answer, TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED, true);
    free (many);

    assert_int_equal (s_last (f, ELDER), 0);
    assert_int_equal (s_mailbox_count (f, POVERTY), 0);
}

/* HELLO gets HELLO; kinds an agency may not send are refused. */
static void
test_hello_and_kinds (void **state)
{
    fixture_t *f = *state;
    tsg_hub_answer_t answer;
    size_t len;
    uint8_t *hello =
        s_letter (f->elder, ELDER, "coordinator", TSUNAGU__V1__KIND__KIND_HELLO, 0, 0, NULL, &len);
    assert_int_equal (s_intake_one (f, ELDER, hello, len, &answer), TSG_OK);
    assert_int_equal (answer.type, TSG_HUB_ANSWER_HELLO);
    free (hello);

    uint8_t *directory =
        s_letter (f->elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_DIRECTORY, 0, 0, NULL, &len);
    assert_int_equal (s_intake_one (f, ELDER, directory, len, &answer), TSG_OK);
    s_expect_error (&answer, TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED, true);
    free (directory);

    uint8_t *error =
        s_letter (f->elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_ERROR, 1, 0, NULL, &len);
    assert_int_equal (s_intake_one (f, ELDER, error, len, &answer), TSG_OK);
    s_expect_error (&answer, TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED, true);
    assert_int_equal (s_last (f, ELDER), 1); /* refused, but the number is used */
    free (error);

    uint8_t *unsequenced =
        s_letter (f->elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 0, 64, NULL, &len);
    assert_int_equal (s_intake_one (f, ELDER, unsequenced, len, &answer), TSG_OK);
    s_expect_error (&answer, TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED, true);
    free (unsequenced);

    /* A STORED receipt is the coordinator's to send, not an agency's. */
    uint8_t about[16] = { 1 };
    uint8_t *stored =
        s_receipt (f->elder, POVERTY, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_STORED, about, NULL, &len);
    assert_int_equal (s_intake_one (f, ELDER, stored, len, &answer), TSG_OK);
    assert_int_equal (answer.type, TSG_HUB_ANSWER_NONE); /* ignored, never answered */
    free (stored);

    /* A body without a legal basis. */
    tsg_letter_t letter;
    uint8_t id[16];
    uint8_t body[40] = { 0 };
    tsg_letter_prepare (&letter, NULL, id, TSUNAGU__V1__KIND__KIND_REFERRAL, ELDER, POVERTY);
    letter.sequence = 2;
    letter.body.data = body;
    letter.body.len = sizeof body;
    uint8_t *bare = NULL;
    assert_int_equal (tsg_envelope_seal (&letter, f->elder, &bare, &len), TSG_OK);
    assert_int_equal (s_intake_one (f, ELDER, bare, len, &answer), TSG_OK);
    s_expect_error (&answer, TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS, true);
    free (bare);
    assert_int_equal (s_mailbox_count (f, POVERTY), 0);
}

/* DELIVERED deletes the entry and relays the receipt once; a second ack changes nothing;
 * the relayed receipt's own ack is not relayed further. */
static void
test_ack_relays_once (void **state)
{
    fixture_t *f = *state;
    tsg_hub_answer_t answer;
    uint8_t id[16], rid1[16], rid2[16];
    size_t len, rlen1, rlen2;
    uint8_t *referral =
        s_letter (f->elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 1, 200, id, &len);
    assert_int_equal (s_intake_one (f, ELDER, referral, len, &answer), TSG_OK);
    assert_int_equal (s_mailbox_count (f, POVERTY), 1);
    tsg_hub_message_t msg;
    assert_true (s_message (f, id, &msg));
    uint64_t entry = msg.mailbox_seq;

    uint8_t *delivered = s_receipt (f->poverty, ELDER, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED,
                                    id, rid1, &rlen1);
    assert_int_equal (s_intake_one (f, POVERTY, delivered, rlen1, &answer), TSG_OK);
    assert_int_equal (answer.type, TSG_HUB_ANSWER_NONE);
    assert_int_equal (s_mailbox_count (f, POVERTY), 0);
    assert_int_equal (s_mailbox_count (f, ELDER), 1);
    uint64_t seq = 0;
    assert_int_equal (tsg_hub_intake_acked_count (f->intake), 1);
    assert_string_equal (tsg_hub_intake_acked (f->intake, 0, &seq), POVERTY);
    assert_int_equal (seq, entry);
    assert_int_equal (tsg_hub_intake_new_mail_count (f->intake), 1);
    assert_string_equal (tsg_hub_intake_new_mail (f->intake, 0), ELDER);
    assert_true (s_message (f, id, &msg));
    assert_int_equal (msg.state, TSG_HUB_MSG_DELIVERED);

    /* The relayed receipt is the recipient's envelope, unchanged. */
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    tsg_hub_message_t relayed;
    assert_true (tsg_hub_message_get (&txn, rid1, &relayed));
    assert_int_equal (relayed.state, TSG_HUB_MSG_STORED);
    assert_string_equal (relayed.recipient, ELDER);
    uint8_t key[TSG_HUB_MAILBOX_KEY_MAX];
    size_t key_len = tsg_hub_mailbox_key (ELDER, relayed.mailbox_seq, key);
    MDB_val val;
    assert_true (
        tsg_txn_get (&txn, tsg_store_db (f->store, TSG_HUB_DB_MAILBOX), key, key_len, &val));
    assert_memory_equal ((uint8_t *) val.mv_data + val.mv_size - rlen1, delivered, rlen1);
    tsg_txn_abort (&txn);

    /* A second acknowledgement (a duplicate delivery) changes nothing. */
    uint8_t *again = s_receipt (f->poverty, ELDER, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, id,
                                rid2, &rlen2);
    assert_int_equal (s_intake_one (f, POVERTY, again, rlen2, &answer), TSG_OK);
    assert_int_equal (answer.type, TSG_HUB_ANSWER_NONE);
    assert_int_equal (tsg_hub_intake_acked_count (f->intake), 0);
    assert_int_equal (s_mailbox_count (f, ELDER), 1);
    assert_false (s_message (f, rid2, &relayed));
    /* ... and so does the very same receipt again. */
    assert_int_equal (s_intake_one (f, POVERTY, delivered, rlen1, &answer), TSG_OK);
    assert_int_equal (s_mailbox_count (f, ELDER), 1);

    /* eldercare acknowledges the relayed receipt: gone, nothing goes back to poverty. */
    uint8_t *ack = s_receipt (f->elder, POVERTY, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, rid1,
                              NULL, &len);
    assert_int_equal (s_intake_one (f, ELDER, ack, len, &answer), TSG_OK);
    assert_int_equal (answer.type, TSG_HUB_ANSWER_NONE);
    assert_int_equal (s_mailbox_count (f, ELDER), 0);
    assert_int_equal (s_mailbox_count (f, POVERTY), 0);
    assert_int_equal (tsg_hub_intake_new_mail_count (f->intake), 0);
    free (referral);
    free (delivered);
    free (again);
    free (ack);
}

/* Only the recipient may acknowledge, and REJECTED travels back like DELIVERED. */
static void
test_ack_rules (void **state)
{
    fixture_t *f = *state;
    tsg_hub_answer_t answer;
    uint8_t id[16];
    size_t len, rlen;
    uint8_t *referral =
        s_letter (f->elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 1, 64, id, &len);
    assert_int_equal (s_intake_one (f, ELDER, referral, len, &answer), TSG_OK);

    /* eldercare acknowledging its own letter to poverty. */
    uint8_t *wrong =
        s_receipt (f->elder, ELDER, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, id, NULL, &rlen);
    assert_int_equal (s_intake_one (f, ELDER, wrong, rlen, &answer), TSG_OK);
    assert_int_equal (answer.type, TSG_HUB_ANSWER_NONE); /* ignored: receipts are never answered */
    assert_int_equal (s_mailbox_count (f, POVERTY), 1);
    free (wrong);

    /* poverty addressing its receipt to someone other than the sender. */
    uint8_t *misaddressed = s_receipt (
        f->poverty, POVERTY, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, id, NULL, &rlen);
    assert_int_equal (s_intake_one (f, POVERTY, misaddressed, rlen, &answer), TSG_OK);
    assert_int_equal (answer.type, TSG_HUB_ANSWER_NONE);
    assert_int_equal (s_mailbox_count (f, POVERTY), 1);
    free (misaddressed);

    /* An ack of a letter nobody sent: ignored quietly. */
    uint8_t nothing[16] = { 9, 9, 9 };
    uint8_t *stray = s_receipt (f->poverty, ELDER, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED,
                                nothing, NULL, &rlen);
    assert_int_equal (s_intake_one (f, POVERTY, stray, rlen, &answer), TSG_OK);
    assert_int_equal (answer.type, TSG_HUB_ANSWER_NONE);
    free (stray);

    uint8_t *rejected =
        s_receipt (f->poverty, ELDER, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED, id, NULL, &rlen);
    assert_int_equal (s_intake_one (f, POVERTY, rejected, rlen, &answer), TSG_OK);
    assert_int_equal (answer.type, TSG_HUB_ANSWER_NONE);
    assert_int_equal (s_mailbox_count (f, POVERTY), 0);
    assert_int_equal (s_mailbox_count (f, ELDER), 1);
    free (rejected);
    free (referral);
}

/* What a mailbox scan handed over. */
typedef struct {
    uint64_t seqs[8];      /* mailbox sequences, in the order seen */
    uint8_t *envelopes[8]; /* copies of the envelopes */
    size_t lens[8];        /* their lengths */
    size_t count;          /* entries seen */
} seen_t;

static bool
s_collect (void *arg, uint64_t seq, const uint8_t *envelope, size_t len)
{
    seen_t *seen = arg;
    assert_true (seen->count < 8);
    seen->seqs[seen->count] = seq;
    seen->envelopes[seen->count] = malloc (len);
    assert_non_null (seen->envelopes[seen->count]);
    memcpy (seen->envelopes[seen->count], envelope, len);
    seen->lens[seen->count++] = len;
    return true;
}

/* Forward reads: a mailbox in arrival order, from any point. */
static void
test_mailbox_scan_order (void **state)
{
    fixture_t *f = *state;
    tsg_hub_answer_t answer;
    uint8_t ids[5][16];
    size_t len;
    for (int i = 0; i < 5; i++) {
        uint8_t *frame = s_letter (i % 2 ? f->poverty : f->elder, i % 2 ? POVERTY : ELDER,
                                   i % 2 ? ELDER : POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL,
                                   (uint64_t) (i / 2 + 1), 32, ids[i], &len);
        assert_int_equal (s_intake_one (f, i % 2 ? POVERTY : ELDER, frame, len, &answer), TSG_OK);
        assert_int_equal (answer.type, TSG_HUB_ANSWER_STORED);
        free (frame);
    }
    assert_int_equal (s_mailbox_count (f, POVERTY), 3);
    assert_int_equal (s_mailbox_count (f, ELDER), 2);
    tsg_hub_message_t m0, m2, m4;
    assert_true (s_message (f, ids[0], &m0));
    assert_true (s_message (f, ids[2], &m2));
    assert_true (s_message (f, ids[4], &m4));
    assert_true (m0.mailbox_seq < m2.mailbox_seq && m2.mailbox_seq < m4.mailbox_seq);
    /* Reading from the second entry on gives the later two, oldest first, as stored. */
    seen_t seen = { 0 };
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    tsg_hub_mailbox_scan (&txn, POVERTY, m2.mailbox_seq, s_collect, &seen);
    tsg_txn_abort (&txn);
    assert_int_equal (seen.count, 2);
    assert_int_equal (seen.seqs[0], m2.mailbox_seq);
    assert_int_equal (seen.seqs[1], m4.mailbox_seq);
    tsg_envelope_t env;
    assert_int_equal (tsg_envelope_decode (seen.envelopes[1], seen.lens[1], &env, NULL), TSG_OK);
    assert_memory_equal (env.letter->message_id.data, ids[4], 16);
    tsg_envelope_clear (&env);
    for (size_t i = 0; i < seen.count; i++)
        free (seen.envelopes[i]);
}

/* A batch that cannot be committed leaves nothing behind and asks for a resend. */
static void
test_store_full (void **state)
{
    (void) state;
    fixture_t *f = s_fixture_new (256 * 1024);
    tsg_hub_answer_t answer;
    size_t len;
    uint8_t *small =
        s_letter (f->elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 1, 100, NULL, &len);
    assert_int_equal (s_intake_one (f, ELDER, small, len, &answer), TSG_OK);
    assert_int_equal (answer.type, TSG_HUB_ANSWER_STORED);
    free (small);

    /* Two letters in one batch: the first fits, the second does not; neither survives. */
    uint8_t id2[16], id3[16];
    size_t len2, len3;
    uint8_t *fits =
        s_letter (f->elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 2, 1000, id2, &len2);
    uint8_t *big = s_letter (f->elder, ELDER, POVERTY, TSUNAGU__V1__KIND__KIND_REFERRAL, 3,
                             600 * 1024, id3, &len3);
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, true);
    tsg_hub_intake_begin (f->intake, &txn);
    tsg_hub_answer_t answers[2];
    tsg_hub_intake_letter (f->intake, ELDER, fits, len2, &answers[0]);
    tsg_hub_intake_letter (f->intake, ELDER, big, len3, &answers[1]);
    assert_int_equal (tsg_txn_commit (&txn), TSG_ERR_STORE_FULL);
    for (int i = 0; i < 2; i++) {
        tsg_hub_answer_store_failed (&answers[i]);
        s_expect_error (&answers[i], TSUNAGU__V1__ERROR_CODE__ERROR_STORE, false);
    }
    assert_int_equal (s_last (f, ELDER), 1);
    assert_int_equal (s_mailbox_count (f, POVERTY), 1);
    tsg_hub_message_t msg;
    assert_false (s_message (f, id2, &msg));
    assert_false (s_message (f, id3, &msg));

    /* The letter that fits goes through on its own afterwards. */
    assert_int_equal (s_intake_one (f, ELDER, fits, len2, &answer), TSG_OK);
    assert_int_equal (answer.type, TSG_HUB_ANSWER_STORED);
    assert_int_equal (s_last (f, ELDER), 2);
    free (fits);
    free (big);
    s_fixture_destroy (&f);
}

/* Answers are signed letters from the coordinator that an agency can verify. */
static void
test_answer_seal (void **state)
{
    fixture_t *f = *state;
    tsg_hub_answer_t answer = { .type = TSG_HUB_ANSWER_ERROR,
                                .has_about = true,
                                .code = TSUNAGU__V1__ERROR_CODE__ERROR_SENDER_MISMATCH,
                                .final = true };
    memset (answer.about, 7, 16);
    snprintf (answer.detail, sizeof answer.detail, "sender mismatch");
    uint8_t *out = NULL;
    size_t len = 0;
    assert_int_equal (tsg_hub_answer_seal (&answer, ELDER, f->coordinator, &out, &len), TSG_OK);
    tsg_envelope_t env;
    assert_int_equal (tsg_envelope_decode (out, len, &env, NULL), TSG_OK);
    assert_true (tsg_envelope_verify (&env, tsg_keys_sign_public (f->coordinator)));
    assert_string_equal (env.letter->sender, "coordinator");
    assert_string_equal (env.letter->recipient, ELDER);
    assert_int_equal (env.letter->kind, TSUNAGU__V1__KIND__KIND_ERROR);
    assert_non_null (env.letter->error);
    assert_int_equal (env.letter->error->code, TSUNAGU__V1__ERROR_CODE__ERROR_SENDER_MISMATCH);
    assert_true (env.letter->error->final);
    assert_memory_equal (env.letter->error->about_message_id.data, answer.about, 16);
    tsg_envelope_clear (&env);
    free (out);

    answer.type = TSG_HUB_ANSWER_STORED;
    assert_int_equal (tsg_hub_answer_seal (&answer, ELDER, f->coordinator, &out, &len), TSG_OK);
    assert_int_equal (tsg_envelope_decode (out, len, &env, NULL), TSG_OK);
    assert_int_equal (env.letter->kind, TSUNAGU__V1__KIND__KIND_RECEIPT);
    assert_int_equal (env.letter->receipt->type, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_STORED);
    assert_memory_equal (env.letter->receipt->about_message_id.data, answer.about, 16);
    assert_true (env.letter->receipt->at_ms > 0);
    tsg_envelope_clear (&env);
    free (out);

    answer.type = TSG_HUB_ANSWER_NONE;
    assert_int_equal (tsg_hub_answer_seal (&answer, ELDER, f->coordinator, &out, &len),
                      TSG_ERR_NOT_FOUND);
}

int
main (void)
{
    log_init ("test_hub_intake", getenv ("TSUNAGU_TEST_VERBOSE") != NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_referral_is_stored, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_sequence_rules, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_one_batch_many_letters, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_decoded_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_takes_decoded_letter, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_refusal_consumes_sequence, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_inactive_recipient, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_inactive_sender, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_sender_mismatch, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_bad_signature, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_clock_skew, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_malformed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_hello_and_kinds, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_ack_relays_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_ack_rules, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_mailbox_scan_order, s_setup, s_teardown),
        cmocka_unit_test (test_store_full),
        cmocka_unit_test_setup_teardown (test_answer_seal, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
