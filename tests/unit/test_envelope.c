/* test_envelope.c — envelopes and bodies: round trip, tampering, wrong keys, malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "test_helpers.h"

static const char *s_sheet = "{\"subject\":{\"name\":\"山田 ハナ\",\"birthdate\":\"1943-04-12\"},"
                             "\"summary\":\"長男が約20年ひきこもり状態\"}";

/* Seals a referral from `from` to `to` with the sheet as its body. */
static void
s_seal_referral (tsg_keys_t *from, tsg_keys_t *to, uint8_t **out, size_t *out_len)
{
    tsg_boxer_t *boxer = tsg_boxer_new (from);
    uint8_t *body = NULL;
    size_t body_len = 0;
    assert_int_equal (tsg_body_seal (boxer, tsg_keys_box_public (to), "application/json",
                                     (const uint8_t *) s_sheet, strlen (s_sheet), &body, &body_len),
                      TSG_OK);
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t id[16];
    tsg_letter_prepare (&letter, &header, id, TSUNAGU__V1__KIND__KIND_REFERRAL, tsg_keys_id (from),
                        tsg_keys_id (to));
    char *tags[] = { "8050", "介護" };
    header.tags = tags;
    header.n_tags = 2;
    header.case_id = "0b6f3c1e-2a41-4f0e-9d51-6c1b0f1f7a10";
    header.urgency = TSUNAGU__V1__URGENCY__URGENCY_HIGH;
    letter.sequence = 7;
    letter.body.data = body;
    letter.body.len = body_len;
    assert_int_equal (tsg_envelope_seal (&letter, from, out, out_len), TSG_OK);
    free (body);
    tsg_boxer_destroy (&boxer);
}

static void
test_round_trip (void **state)
{
    (void) state;
    tsg_keys_t *eldercare = tsg_keys_generate ("eldercare-chuo");
    tsg_keys_t *poverty = tsg_keys_generate ("poverty-jiritsu");
    uint8_t *wire = NULL;
    size_t wire_len = 0;
    s_seal_referral (eldercare, poverty, &wire, &wire_len);

    tsg_envelope_t env = { 0 };
    const char *why = NULL;
    assert_int_equal (tsg_envelope_decode (wire, wire_len, &env, &why), TSG_OK);
    assert_true (tsg_envelope_verify (&env, tsg_keys_sign_public (eldercare)));
    assert_string_equal (env.letter->sender, "eldercare-chuo");
    assert_string_equal (env.letter->recipient, "poverty-jiritsu");
    assert_int_equal (env.letter->kind, TSUNAGU__V1__KIND__KIND_REFERRAL);
    assert_int_equal (env.letter->sequence, 7);
    assert_int_equal (env.letter->header->n_tags, 2);
    assert_string_equal (env.letter->header->tags[1], "介護");

    tsg_boxer_t *boxer = tsg_boxer_new (poverty);
    Tsunagu__V1__Body *body = NULL;
    assert_int_equal (tsg_body_open (boxer, tsg_keys_box_public (eldercare), env.letter->body.data,
                                     env.letter->body.len, &body),
                      TSG_OK);
    assert_string_equal (body->content_type, "application/json");
    assert_int_equal (body->content.len, strlen (s_sheet));
    assert_memory_equal (body->content.data, s_sheet, strlen (s_sheet));
    tsunagu__v1__body__free_unpacked (body, NULL);

    /* The cleartext parts of the envelope never hold the sheet. */
    assert_null (memmem (wire, wire_len, "山田", strlen ("山田")));

    tsg_envelope_clear (&env);
    tsg_envelope_clear (&env);
    tsg_boxer_destroy (&boxer);
    free (wire);
    tsg_keys_destroy (&eldercare);
    tsg_keys_destroy (&poverty);
}

static void
test_tampered_signature (void **state)
{
    (void) state;
    tsg_keys_t *a = tsg_keys_generate ("child-center"), *b = tsg_keys_generate ("eldercare-chuo");
    tsg_keys_t *mallory = tsg_keys_generate ("child-center");
    uint8_t *wire = NULL;
    size_t wire_len = 0;
    s_seal_referral (a, b, &wire, &wire_len);

    /* Flip each byte in turn: it either fails to decode or fails to verify. */
    size_t verified = 0;
    for (size_t i = 0; i < wire_len; i++) {
        wire[i] ^= 0x01;
        tsg_envelope_t env = { 0 };
        if (tsg_envelope_decode (wire, wire_len, &env, NULL) == TSG_OK) {
            if (tsg_envelope_verify (&env, tsg_keys_sign_public (a)))
                verified++;
            tsg_envelope_clear (&env);
        }
        wire[i] ^= 0x01;
    }
    assert_int_equal (verified, 0);

    /* Signed by someone else claiming the same id. */
    tsg_envelope_t env = { 0 };
    assert_int_equal (tsg_envelope_decode (wire, wire_len, &env, NULL), TSG_OK);
    assert_true (tsg_envelope_verify (&env, tsg_keys_sign_public (a)));
    assert_false (tsg_envelope_verify (&env, tsg_keys_sign_public (mallory)));
    tsg_envelope_clear (&env);
    free (wire);
    tsg_keys_destroy (&a);
    tsg_keys_destroy (&b);
    tsg_keys_destroy (&mallory);
}

static void
test_wrong_recipient_key (void **state)
{
    (void) state;
    tsg_keys_t *a = tsg_keys_generate ("eldercare-chuo"),
               *b = tsg_keys_generate ("poverty-jiritsu");
    tsg_keys_t *c = tsg_keys_generate ("disability-kita");
    uint8_t *wire = NULL;
    size_t wire_len = 0;
    s_seal_referral (a, b, &wire, &wire_len);
    tsg_envelope_t env = { 0 };
    assert_int_equal (tsg_envelope_decode (wire, wire_len, &env, NULL), TSG_OK);

    tsg_boxer_t *third = tsg_boxer_new (c);
    Tsunagu__V1__Body *body = NULL;
    assert_int_equal (tsg_body_open (third, tsg_keys_box_public (a), env.letter->body.data,
                                     env.letter->body.len, &body),
                      TSG_ERR_CRYPTO);
    assert_null (body);
    /* The right recipient, but the wrong claimed sender key, also fails. */
    tsg_boxer_t *right = tsg_boxer_new (b);
    assert_int_equal (tsg_body_open (right, tsg_keys_box_public (c), env.letter->body.data,
                                     env.letter->body.len, &body),
                      TSG_ERR_CRYPTO);
    /* Too short to hold a nonce and a MAC. */
    assert_int_equal (
        tsg_body_open (right, tsg_keys_box_public (a), env.letter->body.data, 20, &body),
        TSG_ERR_CRYPTO);
    tsg_boxer_destroy (&third);
    tsg_boxer_destroy (&right);
    tsg_envelope_clear (&env);
    free (wire);
    tsg_keys_destroy (&a);
    tsg_keys_destroy (&b);
    tsg_keys_destroy (&c);
}

static void
test_malformed_input (void **state)
{
    (void) state;
    tsg_keys_t *a = tsg_keys_generate ("eldercare-chuo"),
               *b = tsg_keys_generate ("poverty-jiritsu");
    uint8_t *wire = NULL;
    size_t wire_len = 0;
    s_seal_referral (a, b, &wire, &wire_len);
    /* Every truncation is refused with a reason and leaves the output untouched. */
    for (size_t len = 0; len < wire_len; len++) {
        tsg_envelope_t env = { 0 };
        const char *why = NULL;
        int rc = tsg_envelope_decode (wire, len, &env, &why);
        if (rc == TSG_OK) {
            /* A prefix may still parse as protobuf, but it must not verify. */
            assert_false (tsg_envelope_verify (&env, tsg_keys_sign_public (a)));
            tsg_envelope_clear (&env);
        }
        else {
            assert_non_null (why);
            assert_null (env.letter);
        }
    }
    const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x00 };
    tsg_envelope_t env = { 0 };
    const char *why = NULL;
    assert_int_equal (tsg_envelope_decode (garbage, sizeof garbage, &env, &why), TSG_ERR_BAD_INPUT);
    assert_int_equal (tsg_envelope_decode (wire, TSG_ENVELOPE_MAX + 1, &env, &why),
                      TSG_ERR_TOO_LARGE);

    /* Well-formed protobuf that breaks the protocol's rules. */
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t id[16];
    tsg_letter_prepare (&letter, &header, id, TSUNAGU__V1__KIND__KIND_REFERRAL, "eldercare-chuo",
                        "Not An Id");
    uint8_t *bad = NULL;
    size_t bad_len = 0;
    assert_int_equal (tsg_envelope_seal (&letter, a, &bad, &bad_len), TSG_OK);
    assert_int_equal (tsg_envelope_decode (bad, bad_len, &env, &why), TSG_ERR_BAD_INPUT);
    assert_string_equal (why, "recipient is not a valid id");
    free (bad);

    letter.recipient = "poverty-jiritsu";
    char *tags[TSG_TAGS_MAX + 1];
    for (int i = 0; i <= TSG_TAGS_MAX; i++)
        tags[i] = "tag";
    header.tags = tags;
    header.n_tags = TSG_TAGS_MAX + 1;
    assert_int_equal (tsg_envelope_seal (&letter, a, &bad, &bad_len), TSG_OK);
    assert_int_equal (tsg_envelope_decode (bad, bad_len, &env, &why), TSG_ERR_BAD_INPUT);
    assert_string_equal (why, "too many tags");
    free (bad);

    header.n_tags = 0;
    letter.version = 2;
    assert_int_equal (tsg_envelope_seal (&letter, a, &bad, &bad_len), TSG_OK);
    assert_int_equal (tsg_envelope_decode (bad, bad_len, &env, &why), TSG_ERR_BAD_INPUT);
    assert_string_equal (why, "unsupported protocol version");
    free (bad);

    free (wire);
    tsg_keys_destroy (&a);
    tsg_keys_destroy (&b);
}

static void
test_oversize_body (void **state)
{
    (void) state;
    tsg_keys_t *a = tsg_keys_generate ("eldercare-chuo"),
               *b = tsg_keys_generate ("poverty-jiritsu");
    tsg_boxer_t *boxer = tsg_boxer_new (a);
    size_t big = TSG_BODY_MAX;
    uint8_t *content = calloc (1, big);
    uint8_t *out = NULL;
    size_t out_len = 0;
    assert_int_equal (tsg_body_seal (boxer, tsg_keys_box_public (b), "application/json", content,
                                     big, &out, &out_len),
                      TSG_ERR_TOO_LARGE);
    assert_null (out);
    free (content);
    tsg_boxer_destroy (&boxer);
    tsg_keys_destroy (&a);
    tsg_keys_destroy (&b);
}

static void
test_names (void **state)
{
    (void) state;
    Tsunagu__V1__LegalBasis basis;
    assert_true (tsg_legal_basis_parse ("support-meeting", &basis));
    assert_int_equal (basis, TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_SUPPORT_MEETING);
    assert_string_equal (tsg_legal_basis_name (basis), "support-meeting");
    assert_false (tsg_legal_basis_parse ("because", &basis));
    Tsunagu__V1__Urgency urgency;
    assert_true (tsg_urgency_parse ("emergency", &urgency));
    assert_false (tsg_urgency_parse (NULL, &urgency));
    assert_string_equal (tsg_kind_name (TSUNAGU__V1__KIND__KIND_RECEIPT), "receipt");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_round_trip),          cmocka_unit_test (test_tampered_signature),
        cmocka_unit_test (test_wrong_recipient_key), cmocka_unit_test (test_malformed_input),
        cmocka_unit_test (test_oversize_body),       cmocka_unit_test (test_names),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
