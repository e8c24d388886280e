/* fuzz_envelope.c — the envelope decoder, signature check and body opener on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "tsunagu/tsunagu.h"

static tsg_keys_t *s_keys;   /* the receiving party */
static tsg_boxer_t *s_boxer; /* its precomputed box keys */

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_keys) {
        s_keys = tsg_keys_generate ("poverty-jiritsu");
        s_boxer = tsg_boxer_new (s_keys);
    }
    tsg_envelope_t env = { 0 };
    const char *why = NULL;
    if (tsg_envelope_decode (data, size, &env, &why) != TSG_OK)
        return 0;
    /* Whatever decodes must be safe to verify and to try to open. */
    if (tsg_envelope_verify (&env, tsg_keys_sign_public (s_keys)))
        abort (); /* a forged signature verified: a real bug */
    Tsunagu__V1__Body *body = NULL;
    if (tsg_body_open (s_boxer, tsg_keys_box_public (s_keys), env.letter->body.data,
                       env.letter->body.len, &body)
        == TSG_OK)
        tsunagu__v1__body__free_unpacked (body, NULL);
    tsg_kind_name (env.letter->kind);
    if (env.letter->header) {
        tsg_urgency_name (env.letter->header->urgency);
        tsg_legal_basis_name (env.letter->header->legal_basis);
    }
    tsg_envelope_clear (&env);
    return 0;
}
