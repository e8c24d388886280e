/* fuzz_intake.c — the coordinator's intake of one envelope from an authenticated agency,
 * through a whole batch (begin, letter, end, commit), on arbitrary bytes.
 *
 * The first byte chooses how the rest is used:
 *   bits 0-1  the sending agency (the connection ZAP authenticated);
 *   bit 2     the rest is a Letter, not an Envelope: the harness signs it as that agency, so
 *             the checks after the signature are reached;
 *   bit 3     with bit 2: the letter is taken as it is; without, its sender, created_at,
 *             (when it has one) sequence and message id (a new one, else the dedup would
 *             answer nearly every mutation) are set to what the intake expects;
 *   bit 4     the frame comes second in its batch, after a valid referral from the agency.
 * Every answer must seal into a letter that decodes.  One store per process (hub_world.h). */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hub_world.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Signs letter bytes as keys would into a serialized Envelope (caller frees). */
static uint8_t *
s_sign (const uint8_t *letter, size_t len, const tsg_keys_t *keys, size_t *out_len)
{
    uint8_t signature[crypto_sign_BYTES];
    crypto_sign_detached (signature, NULL, letter, len, tsg_keys_sign_secret (keys));
    Tsunagu__V1__Envelope envelope = TSUNAGU__V1__ENVELOPE__INIT;
    envelope.signed_.data = (uint8_t *) letter;
    envelope.signed_.len = len;
    envelope.signature.data = signature;
    envelope.signature.len = sizeof signature;
    *out_len = tsunagu__v1__envelope__get_packed_size (&envelope);
    uint8_t *out = malloc (*out_len ? *out_len : 1);
    if (!out)
        abort ();
    tsunagu__v1__envelope__pack (&envelope, out);
    return out;
}

/* The letter bytes with the fields a well-behaved agency sets fixed (a copy; caller frees),
 * or NULL when they do not decode as a Letter. */
static uint8_t *
s_fix (hub_world_t *w, int agency, const uint8_t *data, size_t size, bool second, size_t *len)
{
    Tsunagu__V1__Letter *letter = tsunagu__v1__letter__unpack (NULL, size, data);
    if (!letter)
        return NULL;
    static uint64_t counter;
    uint8_t message_id[TSG_MESSAGE_ID_SIZE] = { 0xf2, 0x22 };
    tsg_be64_put (message_id + 8, ++counter);
    message_id[6] = 0x40; /* shaped like a version-4 UUID */
    message_id[8] = (uint8_t) (0x80 | (message_id[8] & 0x3f));
    ProtobufCBinaryData old_id = letter->message_id;
    letter->message_id.data = message_id;
    letter->message_id.len = sizeof message_id;
    char *sender = letter->sender;
    letter->sender = (char *) w_ids[agency];
    letter->created_at_ms = W_T0;
    if (letter->sequence > 0)
        letter->sequence = hub_last_sequence (w, w_ids[agency]) + 1 + (second ? 1 : 0);
    *len = tsunagu__v1__letter__get_packed_size (letter);
    uint8_t *out = malloc (*len ? *len : 1);
    if (!out)
        abort ();
    tsunagu__v1__letter__pack (letter, out);
    letter->sender = sender;
    letter->message_id = old_id;
    tsunagu__v1__letter__free_unpacked (letter, NULL);
    return out;
}

/* The answer must make a letter the agency can read. */
static void
s_check_answer (hub_world_t *w, int agency, const tsg_hub_answer_t *answer)
{
    if (answer->type == TSG_HUB_ANSWER_ERROR && !answer->detail[0])
        abort (); /* an ERROR says why */
    uint8_t *out = NULL;
    size_t len = 0;
    int rc = tsg_hub_answer_seal (answer, w_ids[agency], w->coordinator, &out, &len);
    if (answer->type == TSG_HUB_ANSWER_NONE) {
        free (out);
        return;
    }
    if (rc != TSG_OK)
        abort ();
    tsg_envelope_t env = { 0 };
    if (tsg_envelope_decode (out, len, &env, NULL) != TSG_OK
        || !tsg_envelope_verify (&env, tsg_keys_sign_public (w->coordinator)))
        abort (); /* the coordinator's answer does not decode */
    tsg_envelope_clear (&env);
    free (out);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    hub_world_t *w = w_get ();
    uint8_t mode = data[0];
    int agency = mode & 3;
    bool as_letter = mode & 4, as_is = mode & 8, second = mode & 16;
    data++;
    size--;

    uint8_t *frame = NULL, *fixed = NULL;
    size_t len = size;
    const uint8_t *letter = data;
    if (as_letter && !as_is && (fixed = s_fix (w, agency, data, size, second, &len)))
        letter = fixed;
    if (as_letter)
        frame = s_sign (letter, len, w->keys[agency], &len);
    free (fixed);

    tsg_hub_answer_t first, answer;
    tsg_txn_t txn;
    tsg_txn_begin (w->store, &txn, true);
    tsg_hub_intake_begin (w->intake, &txn);
    if (second) {
        /* A valid referral first, to a different agency, on a case of its own. */
        uint8_t *referral;
        size_t referral_len;
        char case_id[TSG_UUID_TEXT_SIZE];
        tsg_uuid_new (case_id);
        w_referral_frame (w, agency, (agency + 1) % W_AGENCIES, case_id, NULL, &referral,
                          &referral_len);
        tsg_hub_intake_letter (w->intake, w_ids[agency], referral, referral_len, &first);
        free (referral);
        if (first.type != TSG_HUB_ANSWER_STORED)
            abort (); /* the valid referral was refused */
    }
    tsg_hub_intake_letter (w->intake, w_ids[agency], frame ? frame : data, len, &answer);
    tsg_hub_intake_end (w->intake);
    if (tsg_txn_commit (&txn) != TSG_OK) {
        tsg_hub_answer_store_failed (&answer);
        if (second)
            tsg_hub_answer_store_failed (&first);
    }
    free (frame);
    if (second)
        s_check_answer (w, agency, &first);
    s_check_answer (w, agency, &answer);
    return 0;
}
