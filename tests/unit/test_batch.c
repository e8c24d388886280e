/* test_batch.c — batch proofs (tsg_batch.h, proto/README.md §2.1): every letter of a batch of any
 * size verifies on its own, and nothing altered, moved or replayed under another key does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <sodium.h>

#include "tsunagu/tsg_batch.h"
#include "test_helpers.h"

/* Packs count receipts from keys to "poverty-jiritsu", each with its own detail. */
static void
s_pack (const tsg_keys_t *keys, size_t count, uint8_t **bytes, size_t *lens)
{
    for (size_t i = 0; i < count; i++) {
        tsg_letter_t letter;
        uint8_t id[16];
        char detail[32];
        Tsunagu__V1__Receipt receipt = TSUNAGU__V1__RECEIPT__INIT;
        tsg_letter_prepare (&letter, NULL, id, TSUNAGU__V1__KIND__KIND_RECEIPT, tsg_keys_id (keys),
                            "poverty-jiritsu");
        snprintf (detail, sizeof detail, "letter %zu", i);
        receipt.type = TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED;
        receipt.about_message_id.data = id;
        receipt.about_message_id.len = sizeof id;
        receipt.detail = detail;
        letter.receipt = &receipt;
        assert_int_equal (tsg_letter_pack (&letter, &bytes[i], &lens[i]), TSG_OK);
    }
}

/* Decodes and verifies one envelope with key; the letter's detail must be "letter i". */
static bool
s_verifies (const uint8_t *wire, size_t len, const uint8_t *key, size_t i)
{
    tsg_envelope_t env = { 0 };
    if (tsg_envelope_decode (wire, len, &env, NULL) != TSG_OK)
        return false;
    char want[32];
    snprintf (want, sizeof want, "letter %zu", i);
    bool ok = tsg_envelope_verify (&env, key) && strcmp (env.letter->receipt->detail, want) == 0;
    tsg_envelope_clear (&env);
    return ok;
}

static void
test_every_size_every_leaf (void **state)
{
    (void) state;
    tsg_keys_t *keys = tsg_keys_generate ("eldercare-chuo");
    enum { MOST = 2 * TSG_BATCH_MAX + 3 };
    uint8_t *bytes[MOST], *wire[MOST];
    size_t lens[MOST], wire_len[MOST];
    s_pack (keys, MOST, bytes, lens);
    for (size_t count = 1; count <= MOST; count++) {
        assert_int_equal (tsg_envelopes_sign ((const uint8_t *const *) bytes, lens, NULL, count,
                                              keys, wire, wire_len),
                          TSG_OK);
        for (size_t i = 0; i < count; i++) {
            tsg_envelope_t env = { 0 };
            assert_int_equal (tsg_envelope_decode (wire[i], wire_len[i], &env, NULL), TSG_OK);
            /* A run of one is a plain signature, exactly as in protocol 1.0. */
            bool alone = count % TSG_BATCH_MAX == 1 && i == count - 1;
            assert_int_equal (tsg_envelope_batched (&env), !alone);
            tsg_envelope_clear (&env);
            assert_true (s_verifies (wire[i], wire_len[i], tsg_keys_sign_public (keys), i));
            free (wire[i]);
        }
    }
    for (size_t i = 0; i < MOST; i++)
        free (bytes[i]);
    tsg_keys_destroy (&keys);
}

/* Letters marked alone are signed on their own; the others share trees in their order. */
static void
test_mixed (void **state)
{
    (void) state;
    tsg_keys_t *keys = tsg_keys_generate ("eldercare-chuo");
    enum { COUNT = 7 };
    uint8_t *bytes[COUNT], *wire[COUNT];
    size_t lens[COUNT], wire_len[COUNT];
    bool together[COUNT] = { true, false, true, true, false, false, true };
    s_pack (keys, COUNT, bytes, lens);
    assert_int_equal (tsg_envelopes_sign ((const uint8_t *const *) bytes, lens, together, COUNT,
                                          keys, wire, wire_len),
                      TSG_OK);
    uint32_t next_index = 0;
    for (size_t i = 0; i < COUNT; i++) {
        tsg_envelope_t env = { 0 };
        assert_int_equal (tsg_envelope_decode (wire[i], wire_len[i], &env, NULL), TSG_OK);
        assert_int_equal (tsg_envelope_batched (&env), together[i]);
        if (together[i]) {
            assert_int_equal (env.envelope->batch->count, 4);
            assert_int_equal (env.envelope->batch->index, next_index++);
        }
        tsg_envelope_clear (&env);
        assert_true (s_verifies (wire[i], wire_len[i], tsg_keys_sign_public (keys), i));
        free (wire[i]);
        free (bytes[i]);
    }
    tsg_keys_destroy (&keys);
}

/* A batch whose root the cache already holds still refuses a letter that is not in it. */
static void
test_altered_moved_or_other_key (void **state)
{
    (void) state;
    tsg_keys_t *keys = tsg_keys_generate ("eldercare-chuo");
    tsg_keys_t *other = tsg_keys_generate ("child-center");
    enum { COUNT = 5 };
    uint8_t *bytes[COUNT], *wire[COUNT];
    size_t lens[COUNT], wire_len[COUNT];
    s_pack (keys, COUNT, bytes, lens);
    assert_int_equal (tsg_envelopes_sign ((const uint8_t *const *) bytes, lens, NULL, COUNT, keys,
                                          wire, wire_len),
                      TSG_OK);
    /* Verified once: the root is cached. */
    assert_true (s_verifies (wire[0], wire_len[0], tsg_keys_sign_public (keys), 0));
    /* Another key: neither the cache nor the signature lets it through. */
    assert_false (s_verifies (wire[1], wire_len[1], tsg_keys_sign_public (other), 1));

    /* One byte of the letter changed (the detail's digit): its leaf leads to another root. */
    tsg_envelope_t env = { 0 };
    assert_int_equal (tsg_envelope_decode (wire[3], wire_len[3], &env, NULL), TSG_OK);
    uint8_t *digit = memmem (env.envelope->signed_.data, env.envelope->signed_.len, "letter 3", 8);
    assert_non_null (digit);
    digit[7] = '4';
    assert_false (tsg_envelope_verify (&env, tsg_keys_sign_public (keys)));
    digit[7] = '3';
    assert_true (tsg_envelope_verify (&env, tsg_keys_sign_public (keys)));
    /* Moved to another index with the same path: refused. */
    env.envelope->batch->index = 2;
    assert_false (tsg_envelope_verify (&env, tsg_keys_sign_public (keys)));
    env.envelope->batch->index = 3;
    /* A sibling hash changed. */
    env.envelope->batch->path[0].data[5] ^= 1;
    assert_false (tsg_envelope_verify (&env, tsg_keys_sign_public (keys)));
    env.envelope->batch->path[0].data[5] ^= 1;
    /* The count changed: another statement, whose signature nobody made. */
    env.envelope->batch->count = 6;
    assert_false (tsg_envelope_verify (&env, tsg_keys_sign_public (keys)));
    env.envelope->batch->count = COUNT;
    assert_true (tsg_envelope_verify (&env, tsg_keys_sign_public (keys)));
    tsg_envelope_clear (&env);

    for (size_t i = 0; i < COUNT; i++) {
        free (bytes[i]);
        free (wire[i]);
    }
    tsg_keys_destroy (&keys);
    tsg_keys_destroy (&other);
}

/* A proof whose shape does not fit its index and count is refused at decode, with a reason. */
static void
test_malformed_proof (void **state)
{
    (void) state;
    tsg_keys_t *keys = tsg_keys_generate ("eldercare-chuo");
    uint8_t *bytes[3], *wire[3];
    size_t lens[3], wire_len[3];
    s_pack (keys, 3, bytes, lens);
    assert_int_equal (
        tsg_envelopes_sign ((const uint8_t *const *) bytes, lens, NULL, 3, keys, wire, wire_len),
        TSG_OK);
    Tsunagu__V1__Envelope *envelope = tsunagu__v1__envelope__unpack (NULL, wire_len[0], wire[0]);
    assert_non_null (envelope);
    struct {
        uint32_t index, count;
        size_t n_path;
    } bad[] = { { 3, 3, 2 }, { 0, 1, 0 }, { 0, 65, 7 }, { 0, 3, 1 }, { 0, 3, 3 } };
    for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
        Tsunagu__V1__BatchProof proof = *envelope->batch;
        ProtobufCBinaryData path[8];
        for (size_t k = 0; k < 8; k++)
            path[k] = envelope->batch->path[0];
        proof.index = bad[b].index;
        proof.count = bad[b].count;
        proof.n_path = bad[b].n_path;
        proof.path = path;
        Tsunagu__V1__Envelope copy = *envelope;
        copy.batch = &proof;
        uint8_t buf[4096];
        size_t len = tsunagu__v1__envelope__pack (&copy, buf);
        tsg_envelope_t env = { 0 };
        const char *why = NULL;
        assert_int_equal (tsg_envelope_decode (buf, len, &env, &why), TSG_ERR_BAD_INPUT);
        assert_string_equal (why, "batch proof does not fit its index and count");
    }
    /* A sibling that is not 32 bytes. */
    envelope->batch->path[0].len = 31;
    uint8_t buf[4096];
    size_t len = tsunagu__v1__envelope__pack (envelope, buf);
    tsg_envelope_t env = { 0 };
    assert_int_equal (tsg_envelope_decode (buf, len, &env, NULL), TSG_ERR_BAD_INPUT);
    envelope->batch->path[0].len = 32;
    tsunagu__v1__envelope__free_unpacked (envelope, NULL);
    for (size_t i = 0; i < 3; i++) {
        free (bytes[i]);
        free (wire[i]);
    }
    tsg_keys_destroy (&keys);
}

/* The tree's shape: a level's unpaired last node moves up, so 3 leaves need paths 2, 2, 1. */
static void
test_path_lengths (void **state)
{
    (void) state;
    assert_int_equal (tsg_batch_path_length (0, 2), 1);
    assert_int_equal (tsg_batch_path_length (2, 3), 1);
    assert_int_equal (tsg_batch_path_length (0, 3), 2);
    assert_int_equal (tsg_batch_path_length (63, 64), 6);
    assert_int_equal (tsg_batch_path_length (4, 5), 1);
    assert_int_equal (tsg_batch_path_length (5, 5), -1);
    assert_int_equal (tsg_batch_path_length (0, 65), -1);
    uint8_t statement[TSG_BATCH_STATEMENT_SIZE], root[32] = { 0 };
    tsg_batch_statement (statement, 258, root);
    assert_memory_equal (statement, "tsunagu batch v1\x00\x00\x01\x02", 20);
    /* A statement is never a letter, so a batch signature never signs one (and back). */
    assert_null (tsunagu__v1__letter__unpack (NULL, sizeof statement, statement));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_every_size_every_leaf),
        cmocka_unit_test (test_mixed),
        cmocka_unit_test (test_altered_moved_or_other_key),
        cmocka_unit_test (test_malformed_proof),
        cmocka_unit_test (test_path_lengths),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
