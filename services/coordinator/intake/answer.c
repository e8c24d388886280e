/* answer.c — the coordinator's answers to one letter (STORED, ERROR, HELLO), as letters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/intake/intake.h"

void
tsg_hub_answer_store_failed (tsg_hub_answer_t *answer)
{
    if (!answer->needs_commit)
        return;
    answer->type = TSG_HUB_ANSWER_ERROR;
    answer->code = TSUNAGU__V1__ERROR_CODE__ERROR_STORE;
    answer->final = false;
    snprintf (answer->detail, sizeof answer->detail,
              "the coordinator could not store the letter; resend it later");
}

int
tsg_hub_answer_pack (const tsg_hub_answer_t *answer, const char *recipient, uint8_t **out,
                     size_t *out_len)
{
    tsg_letter_t letter;
    uint8_t message_id[TSG_MESSAGE_ID_SIZE];
    Tsunagu__V1__Receipt receipt = TSUNAGU__V1__RECEIPT__INIT;
    Tsunagu__V1__ErrorReport error = TSUNAGU__V1__ERROR_REPORT__INIT;
    Tsunagu__V1__Hello hello = TSUNAGU__V1__HELLO__INIT;
    uint8_t about[TSG_MESSAGE_ID_SIZE];
    memcpy (about, answer->about, sizeof about);
    switch (answer->type) {
    case TSG_HUB_ANSWER_STORED:
        tsg_letter_prepare (&letter, NULL, message_id, TSUNAGU__V1__KIND__KIND_RECEIPT,
                            TSG_COORDINATOR_ID, recipient);
        receipt.type = TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_STORED;
        receipt.about_message_id.data = about;
        receipt.about_message_id.len = sizeof about;
        receipt.at_ms = letter.created_at_ms;
        letter.receipt = &receipt;
        break;
    case TSG_HUB_ANSWER_ERROR:
        tsg_letter_prepare (&letter, NULL, message_id, TSUNAGU__V1__KIND__KIND_ERROR,
                            TSG_COORDINATOR_ID, recipient);
        error.code = answer->code;
        if (answer->has_about) {
            error.about_message_id.data = about;
            error.about_message_id.len = sizeof about;
        }
        error.detail = (char *) answer->detail;
        error.final = answer->final;
        letter.error = &error;
        break;
    case TSG_HUB_ANSWER_HELLO:
        /* It names the HELLO it answers; its created_at_ms is the coordinator's clock. */
        tsg_letter_prepare (&letter, NULL, message_id, TSUNAGU__V1__KIND__KIND_HELLO,
                            TSG_COORDINATOR_ID, recipient);
        if (answer->has_about) {
            hello.about_message_id.data = about;
            hello.about_message_id.len = sizeof about;
        }
        hello.rewound = answer->rewind;
        hello.next_sequence = answer->next_sequence;
        hello.batch_proofs = true;
        letter.hello = &hello;
        break;
    default: return TSG_ERR_NOT_FOUND;
    }
    return tsg_letter_pack (&letter, out, out_len);
}

int
tsg_hub_answer_seal (const tsg_hub_answer_t *answer, const char *recipient, const tsg_keys_t *keys,
                     uint8_t **out, size_t *out_len)
{
    uint8_t *packed = NULL;
    size_t packed_len = 0;
    int rc = tsg_hub_answer_pack (answer, recipient, &packed, &packed_len);
    if (rc != TSG_OK)
        return rc;
    rc = tsg_envelopes_sign ((const uint8_t *const *) &packed, &packed_len, NULL, 1, keys, out,
                             out_len);
    free (packed);
    return rc;
}
