/* answers.c — receipts, dedup and quarantine for the letters that come to us (answers.h). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

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
static void
s_send (tsg_agency_t *self, const agency_receipt_t *receipt, uint64_t at_ms)
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

    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    int rc = tsg_envelope_seal (&letter, self->config->keys, &sealed, &sealed_len);
    if (rc != TSG_OK) {
        log_warnx ("receipt to %s not sealed: %s", receipt->recipient, tsg_strerror (rc));
        return;
    }
    if (self->send (self->send_arg, sealed, sealed_len) != 0)
        log_debug ("receipt to %s not sent now; it will be asked for again", receipt->recipient);
    free (sealed);
}

void
agency_answers_send (tsg_agency_t *self, const agency_batch_t *batch)
{
    uint64_t at = agency_standing_now_ms (&self->standing);
    for (size_t i = 0; i < batch->receipt_count; i++)
        s_send (self, &batch->receipts[i], at);
}
