/* handover.c — the endorsement of a coordinator's new keys (tsg_handover.h). */
#include <sodium.h>
#include <string.h>

#include "tsunagu/tsg_handover.h"

#define STATEMENT_TAG     "tsunagu coordinator keys v1"
#define STATEMENT_TAG_LEN (sizeof STATEMENT_TAG - 1)
#define STATEMENT_LEN     (STATEMENT_TAG_LEN + 3 * 32)

/* The bytes the endorsement signs. */
static void
s_statement (const uint8_t current_sign[32], const uint8_t next_box[32],
             const uint8_t next_sign[32], uint8_t out[STATEMENT_LEN])
{
    memcpy (out, STATEMENT_TAG, STATEMENT_TAG_LEN);
    memcpy (out + STATEMENT_TAG_LEN, current_sign, 32);
    memcpy (out + STATEMENT_TAG_LEN + 32, next_box, 32);
    memcpy (out + STATEMENT_TAG_LEN + 64, next_sign, 32);
}

void
tsg_handover_endorse (const tsg_keys_t *next, const uint8_t current_sign[32],
                      uint8_t out[TSG_HANDOVER_ENDORSEMENT_SIZE])
{
    uint8_t statement[STATEMENT_LEN];
    s_statement (current_sign, tsg_keys_box_public (next), tsg_keys_sign_public (next), statement);
    crypto_sign_detached (out, NULL, statement, sizeof statement, tsg_keys_sign_secret (next));
}

bool
tsg_handover_endorsed (const uint8_t current_sign[32], const uint8_t next_box[32],
                       const uint8_t next_sign[32], const uint8_t *endorsement,
                       size_t endorsement_len)
{
    if (!endorsement || endorsement_len != TSG_HANDOVER_ENDORSEMENT_SIZE)
        return false;
    uint8_t statement[STATEMENT_LEN];
    s_statement (current_sign, next_box, next_sign, statement);
    return crypto_sign_verify_detached (endorsement, statement, sizeof statement, next_sign) == 0;
}
