/* answers.c — receipts, dedup and quarantine for the letters that come to us (answers.h). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "agency/core/batch_sign.h"
#include "agency/core/answers.h"

static void
s_copy (char *out, size_t size, const char *text)
{
    snprintf (out, size, "%s", text ? text : "");
}

void
agency_answer_receipt (agency_batch_t *batch, const tsg_letter_t *letter,
                       Tsunagu__V1__ReceiptType type, const char *detail)
{
    if (batch->receipt_count == batch->receipt_cap) {
        size_t cap = batch->receipt_cap ? 2 * batch->receipt_cap : 64;
        agency_receipt_t *grown = realloc (batch->receipts, cap * sizeof *grown);
        if (!grown) {
            log_warnx ("out of memory: a receipt is not sent (the letter will come again)");
            return;
        }
        batch->receipts = grown;
        batch->receipt_cap = cap;
    }
    agency_receipt_t *receipt = &batch->receipts[batch->receipt_count++];
    memset (receipt, 0, sizeof *receipt);
    s_copy (receipt->recipient, sizeof receipt->recipient, letter->sender);
    memcpy (receipt->about, letter->message_id.data, TSG_MESSAGE_ID_SIZE);
    receipt->type = type;
    s_copy (receipt->detail, sizeof receipt->detail, detail);
    /* The ids go back in the clear; only well-formed ones are repeated. */
    if (letter->header && tsg_uuid_valid (letter->header->case_id))
        s_copy (receipt->case_id, sizeof receipt->case_id, letter->header->case_id);
    if (letter->header && tsg_uuid_valid (letter->header->referral_id))
        s_copy (receipt->referral_id, sizeof receipt->referral_id, letter->header->referral_id);
}

bool
agency_answer_repeat (tsg_agency_t *self, tsg_txn_t *txn, const tsg_letter_t *letter,
                      agency_batch_t *batch)
{
    Tsunagu__V1__ReceiptType type;
    char detail[160];
    if (!agency_seen_get (txn, letter->message_id.data, &type, detail, sizeof detail))
        return false;
    self->stats.duplicates++;
    agency_answer_receipt (batch, letter, type, detail);
    return true;
}

void
agency_answer_accept (tsg_txn_t *txn, const tsg_letter_t *letter, uint64_t cursor,
                      agency_batch_t *batch)
{
    agency_seen_put (txn, letter->message_id.data, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED,
                     cursor, NULL, tsg_now_ms ());
    agency_answer_receipt (batch, letter, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, NULL);
}

void
agency_answer_reject (tsg_agency_t *self, tsg_txn_t *txn, const tsg_letter_t *letter,
                      const uint8_t *data, size_t len, const char *reason, bool remember,
                      agency_batch_t *batch)
{
    char hex[2 * TSG_MESSAGE_ID_SIZE + 1];
    sodium_bin2hex (hex, sizeof hex, letter->message_id.data, TSG_MESSAGE_ID_SIZE);
    log_warnx ("letter %s from %s rejected: %s", hex, letter->sender, reason);
    self->stats.rejected++;
    agency_quarantine_put (txn, letter->sender, data, len, reason, tsg_now_ms ());
    if (remember)
        agency_seen_put (txn, letter->message_id.data, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED,
                         0, reason, tsg_now_ms ());
    agency_answer_receipt (batch, letter, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED, reason);
}

/* Seals and sends one receipt. */
/* The receipt as a serialized letter in *out (NULL when it could not be made). */
static void
s_pack (tsg_agency_t *self, const agency_receipt_t *receipt, uint64_t at_ms, uint8_t **out,
        size_t *out_len)
{
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t message_id[TSG_MESSAGE_ID_SIZE];
    Tsunagu__V1__Receipt body = TSUNAGU__V1__RECEIPT__INIT;

    tsg_letter_prepare (&letter, &header, message_id, TSUNAGU__V1__KIND__KIND_RECEIPT,
                        self->config->id, receipt->recipient);
    header.case_id = (char *) receipt->case_id;
    header.referral_id = (char *) receipt->referral_id;
    header.sender_type = (char *) self->policy->type;
    /* Dated by the coordinator's clock as last seen: a receipt must be taken even while this
     * machine's clock is off, or its sender would wait for it forever. */
    letter.created_at_ms = agency_standing_now_ms (&self->standing);
    body.type = receipt->type;
    body.about_message_id.data = (uint8_t *) receipt->about;
    body.about_message_id.len = TSG_MESSAGE_ID_SIZE;
    body.at_ms = at_ms;
    body.detail = (char *) receipt->detail;
    letter.receipt = &body;
    letter.sequence = 0;
    int rc = tsg_letter_pack (&letter, out, out_len);
    if (rc != TSG_OK) {
        *out = NULL;
        log_warnx ("receipt to %s not sealed: %s", receipt->recipient, tsg_strerror (rc));
    }
}

void
agency_answers_send (tsg_agency_t *self, const agency_batch_t *batch)
{
    size_t count = batch->receipt_count;
    if (count == 0)
        return;
    uint64_t at = agency_standing_now_ms (&self->standing);
    uint8_t **packed = calloc (count, sizeof *packed);
    size_t *lens = calloc (count, sizeof *lens);
    bool *together = calloc (count, sizeof *together);
    uint8_t **wire = calloc (count, sizeof *wire);
    size_t *wire_len = calloc (count, sizeof *wire_len);
    if (packed && lens && together && wire && wire_len) {
        for (size_t i = 0; i < count; i++) {
            s_pack (self, &batch->receipts[i], at, &packed[i], &lens[i]);
            together[i] = agency_batch_ok (self, batch->receipts[i].recipient,
                                           TSUNAGU__V1__KIND__KIND_RECEIPT);
        }
        /* The batch's receipts share a signature where their recipients verify batch proofs. */
        if (tsg_envelopes_sign ((const uint8_t *const *) packed, lens, together, count,
                                self->config->keys, wire, wire_len)
            != TSG_OK)
            log_warnx ("%zu receipts not signed; they will be asked for again", count);
        for (size_t i = 0; i < count; i++) {
            if (wire[i] && self->send (self->send_arg, wire[i], wire_len[i]) != 0)
                log_debug ("receipt to %s not sent now; it will be asked for again",
                           batch->receipts[i].recipient);
            free (wire[i]);
            free (packed[i]);
        }
    }
    else
        log_warnx ("out of memory: %zu receipts not sent; they will be asked for again", count);
    free (packed);
    free (lens);
    free (together);
    free (wire);
    free (wire_len);
}
