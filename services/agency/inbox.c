/* Inbound letters: verify, deduplicate, store, then acknowledge; and the inbox as the
 * API lists it, with the bodies opened on read. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "agency.h"
#include "case_events.h"
#include "cases.h"
#include "consents.h"
#include "delivery.h"
#include "json.h"
#include "legal.h"
#include "received.h"
#include "request.h"
#include "sent.h"
#include "status.h"

static const agency_directory_t *
s_directory (const tsg_agency_t *self, const agency_batch_t *batch)
{
    return batch->directory ? batch->directory : self->directory;
}

static void
s_copy (char *out, size_t size, const char *text)
{
    snprintf (out, size, "%s", text ? text : "");
}

/* Queues a receipt about letter for after the commit. */
static void
s_receipt (agency_batch_t *batch, const tsg_letter_t *letter, Tsunagu__V1__ReceiptType type,
           const char *detail)
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

/* Remembers that letter was answered with type (seen.h). */
static void
s_seen_put (tsg_txn_t *txn, const tsg_letter_t *letter, Tsunagu__V1__ReceiptType type,
            uint64_t cursor, const char *detail)
{
    agency_seen_put (txn, letter->message_id.data, type, cursor, detail, tsg_now_ms ());
}

/* True when letter was answered before; gives the receipt type and detail it got. */
static bool
s_seen_get (tsg_txn_t *txn, const tsg_letter_t *letter, Tsunagu__V1__ReceiptType *type,
            char *detail, size_t detail_size)
{
    return agency_seen_get (txn, letter->message_id.data, type, detail, detail_size);
}

/* Refuses a letter from a known agency: quarantine, remember (when remember), answer
 * RECEIPT_REJECTED after the commit. */
static void
s_reject (tsg_agency_t *self, tsg_txn_t *txn, const tsg_letter_t *letter, const uint8_t *data,
          size_t len, const char *reason, bool remember, agency_batch_t *batch)
{
    char hex[2 * TSG_MESSAGE_ID_SIZE + 1];
    tsg_hex_encode (letter->message_id.data, TSG_MESSAGE_ID_SIZE, hex);
    log_warnx ("letter %s from %s rejected: %s", hex, letter->sender, reason);
    self->stats.rejected++;
    agency_quarantine_put (txn, letter->sender, data, len, reason, tsg_now_ms ());
    if (remember)
        s_seen_put (txn, letter, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED, 0, reason);
    s_receipt (batch, letter, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED, reason);
}

/* Appends the frame to the inbox under the next cursor, with what the sender was then. */
static uint64_t
s_inbox_put (tsg_txn_t *txn, const agency_entry_t *sender, const uint8_t *data, size_t len,
             agency_batch_t *batch)
{
    size_t type_len = strlen (sender->type);
    size_t name_len = strlen (sender->name);
    if (name_len > 0xffff)
        name_len = 0xffff;
    size_t size = 8 + 32 + 1 + type_len + 2 + name_len + len;
    uint8_t *value = malloc (size);
    if (!value) {
        if (txn->rc == TSG_OK)
            txn->rc = TSG_ERR_NOMEM;
        return 0;
    }
    uint8_t *p = value;
    tsg_be64_put (p, tsg_now_ms ());
    p += 8;
    memcpy (p, sender->box_public, 32);
    p += 32;
    *p++ = (uint8_t) type_len;
    memcpy (p, sender->type, type_len);
    p += type_len;
    *p++ = (uint8_t) (name_len >> 8);
    *p++ = (uint8_t) name_len;
    memcpy (p, sender->name, name_len);
    p += name_len;
    memcpy (p, data, len);

    uint64_t cursor = batch->next_cursor++;
    uint8_t key[8];
    tsg_be64_put (key, cursor);
    tsg_txn_put (txn, tsg_store_db (txn->store, AGENCY_DB_INBOX), key, sizeof key, value, size);
    free (value);
    batch->stored++;
    return cursor;
}

/* Checks that a referral's header names it and that its body opens to a JSON object.
 * NULL when fine, else the reason. */
static const char *
s_check_referral (tsg_agency_t *self, tsg_txn_t *txn, const agency_entry_t *sender,
                  const tsg_letter_t *letter)
{
    const tsg_header_t *header = letter->header;
    if (!header || !tsg_uuid_valid (header->referral_id))
        return "the referral has no valid referral id in its header";
    if (!tsg_uuid_valid (header->case_id))
        return "the referral has no valid case id in its header";
    if (letter->body.len == 0)
        return "the referral has no body";
    tsg_party_t party;
    json_t *known = agency_status_find (txn, header->referral_id, &party);
    json_decref (known);
    if (known)
        return "a referral with this id is known here already";

    return agency_json_open_body (self->boxer, sender->box_public, letter->body.data,
                                  letter->body.len, NULL);
}

/* A letter the coordinator sent through our mailbox (a case update, a staff case event, the
 * end of an expired consent): stored once, then acknowledged like any forwarded letter. */
static void
s_from_coordinator_mailbox (tsg_agency_t *self, tsg_txn_t *txn, const tsg_letter_t *letter,
                            const uint8_t *data, size_t len, agency_batch_t *batch)
{
    Tsunagu__V1__ReceiptType type;
    char detail[160];
    if (s_seen_get (txn, letter, &type, detail, sizeof detail)) {
        self->stats.duplicates++;
        s_receipt (batch, letter, type, detail);
        return;
    }
    const char *why = NULL;
    switch (letter->kind) {
    case TSUNAGU__V1__KIND__KIND_CASE_UPDATE:
        why = agency_case_update (txn, letter->case_update);
        break;
    case TSUNAGU__V1__KIND__KIND_CONSENT_GRANT:
    case TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE:
        why = agency_consent_receive (self, txn, NULL, letter);
        break;
    default: why = agency_case_event_receive (self, txn, NULL, letter); break;
    }
    if (why) {
        s_reject (self, txn, letter, data, len, why, true, batch);
        return;
    }
    s_seen_put (txn, letter, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, 0, NULL);
    s_receipt (batch, letter, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, NULL);
}

/* An ERROR from the coordinator.  A final one ends our letter: refused when it had not been
 * stored, withheld when it had (a consent it relied on was revoked or expired; that news comes
 * through our mailbox).  Every final ERROR is acknowledged like a forwarded letter, once: the
 * coordinator ignores the acknowledgement of an answer it never stored. */
static void
s_error_letter (tsg_agency_t *self, tsg_txn_t *txn, const tsg_letter_t *letter,
                agency_batch_t *batch)
{
    const Tsunagu__V1__ErrorReport *error = letter->error;
    char hex[2 * TSG_MESSAGE_ID_SIZE + 1] = "";
    if (!error) {
        log_warnx ("error letter from the coordinator without a report ignored");
        return;
    }
    const char *code = tsg_error_code_name (error->code);
    const char *detail = error->detail ? error->detail : "";
    bool ours = error->about_message_id.len == TSG_MESSAGE_ID_SIZE;
    if (ours)
        tsg_hex_encode (error->about_message_id.data, TSG_MESSAGE_ID_SIZE, hex);
    /* Suspended, revoked, a full quota or store: what this agency may do changes. */
    agency_standing_refused (&self->standing, error->code, detail, agency_now_mono ());
    if (!error->final) {
        if (error->code == TSUNAGU__V1__ERROR_CODE__ERROR_AGENCY_SUSPENDED)
            log_debug ("coordinator: %s about %s: %s", code, hex, detail);
        else if (error->code == TSUNAGU__V1__ERROR_CODE__ERROR_OUT_OF_ORDER) {
            log_debug ("coordinator saw a gap at %s: resending from the first unacknowledged", hex);
            batch->rewind = true;
        }
        else
            log_warnx ("coordinator reports %s about %s (will retry): %s", code,
                       ours ? hex : "a letter", detail);
        return;
    }
    Tsunagu__V1__ReceiptType type;
    char seen[160];
    if (s_seen_get (txn, letter, &type, seen, sizeof seen)) {
        self->stats.duplicates++;
        s_receipt (batch, letter, type, seen);
        return;
    }
    if (ours
        && agency_delivery_refused (self, txn, error->about_message_id.data, code, detail,
                                    tsg_now_ms ())
               == TSG_OK) {
        batch->outbox_changed = true;
        self->stats.refused++;
        log_warnx ("letter %s refused by the coordinator: %s: %s", hex, code, detail);
    }
    else
        log_warnx ("coordinator reports %s about %s (final): %s", code, ours ? hex : "a letter",
                   detail);
    s_seen_put (txn, letter, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, 0, NULL);
    s_receipt (batch, letter, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, NULL);
}

static void
s_from_coordinator (tsg_agency_t *self, tsg_txn_t *txn, const tsg_letter_t *letter,
                    const uint8_t *data, size_t len, agency_batch_t *batch)
{
    uint64_t now = tsg_now_ms ();
    char hex[2 * TSG_MESSAGE_ID_SIZE + 1] = "";

    switch (letter->kind) {
    case TSUNAGU__V1__KIND__KIND_HELLO:
        /* The coordinator's clock, and its word that it takes our letters. */
        if (agency_standing_hello (&self->standing, letter->created_at_ms, now))
            batch->resumed = true;
        /* What follows this answer on the connection is our mailbox again, from its oldest
         * letter: what was held may be taken again, in order. */
        if (self->hold_inbound && letter->hello && letter->hello->rewound) {
            log_info ("the coordinator resends the mailbox from its oldest letter (%llu "
                      "letters were held)",
                      (unsigned long long) self->stats.held);
            self->hold_inbound = false;
        }
        break;

    case TSUNAGU__V1__KIND__KIND_DIRECTORY: {
        const char *detail = NULL;
        uint64_t min_serial = agency_directory_serial (s_directory (self, batch));
        agency_directory_t *dir = agency_directory_from_letter (letter, now, min_serial, &detail);
        if (!dir) {
            log_warnx ("directory from the coordinator ignored: %s", detail);
            break;
        }
        tsg_txn_put (txn, tsg_store_db (self->store, AGENCY_DB_META), AGENCY_META_DIRECTORY,
                     strlen (AGENCY_META_DIRECTORY), data, len);
        agency_directory_destroy (&batch->directory);
        batch->directory = dir;
        break;
    }

    case TSUNAGU__V1__KIND__KIND_RECEIPT: {
        const Tsunagu__V1__Receipt *receipt = letter->receipt;
        if (!receipt || receipt->type != TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_STORED
            || receipt->about_message_id.len != TSG_MESSAGE_ID_SIZE) {
            log_warnx ("receipt from the coordinator ignored: not a well-formed stored receipt");
            break;
        }
        uint64_t at = receipt->at_ms ? receipt->at_ms : now;
        if (agency_delivery_stored (self, txn, receipt->about_message_id.data, at) == TSG_OK)
            batch->outbox_changed = true;
        else {
            tsg_hex_encode (receipt->about_message_id.data, TSG_MESSAGE_ID_SIZE, hex);
            log_debug ("stored receipt about %s, which is not in the outbox", hex);
        }
        break;
    }

    case TSUNAGU__V1__KIND__KIND_ERROR: s_error_letter (self, txn, letter, batch); break;

    case TSUNAGU__V1__KIND__KIND_CASE_UPDATE:
    case TSUNAGU__V1__KIND__KIND_CASE_EVENT:
    case TSUNAGU__V1__KIND__KIND_CONSENT_GRANT:
    case TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE:
        s_from_coordinator_mailbox (self, txn, letter, data, len, batch);
        break;

    default:
        log_warnx ("letter of kind %s from the coordinator ignored", tsg_kind_name (letter->kind));
        break;
    }
}

static void
s_from_agency (tsg_agency_t *self, tsg_txn_t *txn, const agency_entry_t *sender,
               const tsg_letter_t *letter, const uint8_t *data, size_t len, agency_batch_t *batch)
{
    Tsunagu__V1__ReceiptType type;
    char detail[160];
    if (s_seen_get (txn, letter, &type, detail, sizeof detail)) {
        self->stats.duplicates++;
        s_receipt (batch, letter, type, detail);
        return;
    }

    switch (letter->kind) {
    case TSUNAGU__V1__KIND__KIND_REFERRAL: {
        const char *why = s_check_referral (self, txn, sender, letter);
        if (why) {
            s_reject (self, txn, letter, data, len, why, true, batch);
            return;
        }
        uint64_t cursor = s_inbox_put (txn, sender, data, len, batch);
        agency_consent_note_data (txn, letter->header->consent_id, cursor, letter->kind);
        agency_received_add (txn, sender, letter, cursor, tsg_now_ms (),
                             self->config->response_due_days);
        agency_cases_add_referral (txn, letter->header->case_id, letter->header->referral_id,
                                   TSG_PARTY_RECIPIENT, sender->id);
        s_seen_put (txn, letter, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, cursor, NULL);
        s_receipt (batch, letter, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, NULL);
        return;
    }

    case TSUNAGU__V1__KIND__KIND_RECEIPT: {
        const Tsunagu__V1__Receipt *receipt = letter->receipt;
        if (!receipt || receipt->about_message_id.len != TSG_MESSAGE_ID_SIZE
            || (receipt->type != TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED
                && receipt->type != TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED)) {
            s_reject (self, txn, letter, data, len,
                      "an agency may send only delivered or rejected receipts", true, batch);
            return;
        }
        bool delivered = receipt->type == TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED;
        uint64_t at = receipt->at_ms ? receipt->at_ms : tsg_now_ms ();
        int rc = agency_delivery_receipt (self, txn, receipt->about_message_id.data, sender->id,
                                          delivered, receipt->detail, at);
        if (rc != TSG_OK) {
            char hex[2 * TSG_MESSAGE_ID_SIZE + 1];
            tsg_hex_encode (receipt->about_message_id.data, TSG_MESSAGE_ID_SIZE, hex);
            log_warnx ("%s receipt from %s about %s matches no letter sent to it",
                       delivered ? "delivered" : "rejected", sender->id, hex);
        }
        else if (!delivered)
            log_warnx ("letter rejected by %s: %s", sender->id,
                       receipt->detail ? receipt->detail : "");
        s_seen_put (txn, letter, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, 0, NULL);
        s_receipt (batch, letter, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, NULL);
        return;
    }

    case TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS:
    case TSUNAGU__V1__KIND__KIND_CASE_EVENT: {
        const char *why = letter->kind == TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS
                              ? agency_status_receive (self, txn, sender, letter)
                              : agency_case_event_receive (self, txn, sender, letter);
        if (why) {
            s_reject (self, txn, letter, data, len, why, true, batch);
            return;
        }
        uint64_t cursor = s_inbox_put (txn, sender, data, len, batch);
        if (letter->header && (letter->body.len > 0 || letter->n_sealed_bodies > 0))
            agency_consent_note_data (txn, letter->header->consent_id, cursor, letter->kind);
        s_seen_put (txn, letter, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, cursor, NULL);
        s_receipt (batch, letter, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, NULL);
        return;
    }

    case TSUNAGU__V1__KIND__KIND_CONSENT_GRANT:
    case TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE: {
        /* The register learns of it; the letter (with the form, when sent) stays readable in
         * the inbox. */
        const char *why = agency_consent_receive (self, txn, sender, letter);
        if (why) {
            s_reject (self, txn, letter, data, len, why, true, batch);
            return;
        }
        uint64_t cursor = s_inbox_put (txn, sender, data, len, batch);
        s_seen_put (txn, letter, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, cursor, NULL);
        s_receipt (batch, letter, TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED, NULL);
        return;
    }

    default: {
        char why[96];
        snprintf (why, sizeof why, "an agency may not send letters of kind %s",
                  tsg_kind_name (letter->kind));
        s_reject (self, txn, letter, data, len, why, true, batch);
        return;
    }
    }
}

/* True for a case event or a consent letter addressed to the coordinator, which fans it out
 * to every agency on the case unchanged. */
static bool
s_fanned_out (const tsg_letter_t *letter)
{
    return (letter->kind == TSUNAGU__V1__KIND__KIND_CASE_EVENT
            || letter->kind == TSUNAGU__V1__KIND__KIND_CONSENT_GRANT
            || letter->kind == TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE)
           && strcmp (letter->recipient, TSG_COORDINATOR_ID) == 0;
}

/* True for a letter that comes through this agency's mailbox at the coordinator, in its
 * order: everything an agency sent, and the coordinator's own case updates, case events and
 * consent letters. */
static bool
s_from_mailbox (const tsg_letter_t *letter)
{
    if (strcmp (letter->sender, TSG_COORDINATOR_ID) != 0)
        return true;
    switch (letter->kind) {
    case TSUNAGU__V1__KIND__KIND_CASE_UPDATE:
    case TSUNAGU__V1__KIND__KIND_CASE_EVENT:
    case TSUNAGU__V1__KIND__KIND_CONSENT_GRANT:
    case TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE: return true;
    default: return false;
    }
}

void
agency_inbox_handle (tsg_agency_t *self, tsg_txn_t *txn, const uint8_t *data, size_t len,
                     agency_batch_t *batch)
{
    tsg_envelope_t env = { 0 };
    const char *detail = NULL;
    if (tsg_envelope_decode (data, len, &env, &detail) != TSG_OK) {
        /* Neither sender nor id can be trusted: nothing to answer. */
        self->stats.malformed++;
        log_warnx ("frame of %zu bytes refused: %s", len, detail ? detail : "malformed");
        agency_quarantine_put (txn, NULL, data, len, detail ? detail : "malformed", tsg_now_ms ());
        return;
    }
    const tsg_letter_t *letter = env.letter;

    /* After a failed commit the coordinator's mailbox is resent from its oldest letter; what
     * comes before that is dropped unanswered, so that no letter is stored ahead of one sent
     * before it.  HELLO, DIRECTORY, STORED receipts and ERROR answers are not mailbox
     * letters and are taken as always. */
    if (self->hold_inbound && s_from_mailbox (letter)) {
        self->stats.held++;
        tsg_envelope_clear (&env);
        return;
    }

    if (strcmp (letter->sender, TSG_COORDINATOR_ID) == 0) {
        if (!tsg_envelope_verify (&env, self->config->coordinator_sign)) {
            self->stats.malformed++;
            log_warnx ("letter claiming to be from the coordinator has a bad signature; dropped");
        }
        else {
            batch->coordinator_seen = true;
            if (strcmp (letter->recipient, self->config->id) != 0 && !s_fanned_out (letter))
                log_warnx ("coordinator letter for %s ignored (this is %s)", letter->recipient,
                           self->config->id);
            else
                s_from_coordinator (self, txn, letter, data, len, batch);
        }
        tsg_envelope_clear (&env);
        return;
    }

    const agency_entry_t *sender =
        agency_directory_find (s_directory (self, batch), letter->sender);
    if (!sender) {
        /* The directory may not know it yet; the coordinator resends when we stay silent. */
        self->stats.unknown_sender++;
        log_warnx ("letter from %s, which is not in the directory (serial %llu): not answered",
                   letter->sender,
                   (unsigned long long) agency_directory_serial (s_directory (self, batch)));
    }
    else if (!tsg_envelope_verify (&env, sender->sign_public))
        s_reject (self, txn, letter, data, len, "the signature does not verify", false, batch);
    else if (strcmp (letter->recipient, self->config->id) != 0 && !s_fanned_out (letter)) {
        char why[96];
        snprintf (why, sizeof why, "the letter is addressed to %s, not to this agency",
                  letter->recipient);
        s_reject (self, txn, letter, data, len, why, false, batch);
    }
    else
        s_from_agency (self, txn, sender, letter, data, len, batch);
    tsg_envelope_clear (&env);
}

void
agency_batch_clear (agency_batch_t *batch)
{
    free (batch->receipts);
    agency_directory_destroy (&batch->directory);
    memset (batch, 0, sizeof *batch);
}

/* Seals and sends one receipt; a receipt that cannot leave is dropped (the letter comes
 * again and is answered again). */
static void
s_send_receipt (tsg_agency_t *self, const agency_receipt_t *receipt, uint64_t at_ms)
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
agency_receive_into (tsg_agency_t *self, tsg_txn_t *txn, const uint8_t *const frames[],
                     const size_t lens[], size_t count, agency_batch_t *batch)
{
    if (batch->next_cursor == 0)
        batch->next_cursor = self->next_cursor;
    for (size_t i = 0; i < count; i++) {
        self->stats.received++;
        agency_inbox_handle (self, txn, frames[i], lens[i], batch);
    }
    batch->frames += count;
    if (batch->next_cursor != self->next_cursor)
        agency_meta_put_u64 (txn, AGENCY_META_INBOX, batch->next_cursor);
}

void
agency_receive_finish (tsg_agency_t *self, agency_batch_t *batch, int rc)
{
    uint64_t now_mono = agency_now_mono ();
    if (batch->coordinator_seen) {
        if (!agency_coordinator_connected (self)) {
            log_info ("coordinator answering");
            agency_outbox_rewind (self->outbox, now_mono);
        }
        self->coordinator_seen_ms = now_mono;
    }
    if (rc != TSG_OK) {
        if (batch->frames > 0) {
            log_warnx ("%zu inbound letters not stored (%s); holding the mailbox until the "
                       "coordinator resends it from the oldest letter",
                       batch->frames, tsg_strerror (rc));
            self->hold_inbound = true;
        }
        agency_batch_clear (batch);
        return;
    }
    if (batch->next_cursor)
        self->next_cursor = batch->next_cursor;
    if (batch->directory) {
        agency_directory_destroy (&self->directory);
        self->directory = batch->directory;
        batch->directory = NULL;
        const agency_entry_t *me = agency_directory_find (self->directory, self->config->id);
        log_info ("directory %llu: %zu agencies",
                  (unsigned long long) agency_directory_serial (self->directory),
                  agency_directory_count (self->directory));
        if (!me || memcmp (me->box_public, tsg_keys_box_public (self->config->keys), 32) != 0)
            log_warnx ("the directory does not list this agency (%s) with its keys",
                       self->config->id);
    }
    uint64_t at = agency_standing_now_ms (&self->standing);
    for (size_t i = 0; i < batch->receipt_count; i++)
        s_send_receipt (self, &batch->receipts[i], at);
    if (batch->outbox_changed)
        agency_outbox_refresh (self->outbox, now_mono);
    if (batch->rewind || batch->resumed)
        agency_outbox_rewind (self->outbox, now_mono);
    if (batch->stored)
        log_debug ("%zu letters stored in the inbox", batch->stored);
    agency_batch_clear (batch);
}

int
agency_receive (tsg_agency_t *self, const uint8_t *const frames[], const size_t lens[],
                size_t count)
{
    agency_batch_t batch = { 0 };
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, true);
    agency_receive_into (self, &txn, frames, lens, count, &batch);
    int rc = tsg_txn_commit (&txn);
    if (rc != TSG_OK)
        self->stats.commit_failures++;
    agency_receive_finish (self, &batch, rc);
    return rc;
}

/* Reads one inbox record: the sender's box key, type and name, and the envelope. */
static bool
s_inbox_parse (const MDB_val *val, uint64_t *received_at, const uint8_t **box,
               char type[TSG_ID_MAX + 1], char **name, const uint8_t **frame, size_t *frame_len)
{
    const uint8_t *p = val->mv_data;
    size_t left = val->mv_size;
    if (left < 8 + 32 + 1)
        return false;
    *received_at = tsg_be64_get (p);
    *box = p + 8;
    p += 40;
    left -= 40;
    size_t type_len = *p++;
    left--;
    if (type_len > TSG_ID_MAX || left < type_len + 2)
        return false;
    memcpy (type, p, type_len);
    type[type_len] = '\0';
    p += type_len;
    left -= type_len;
    size_t name_len = ((size_t) p[0] << 8) | p[1];
    p += 2;
    left -= 2;
    if (left < name_len)
        return false;
    *name = strndup ((const char *) p, name_len);
    *frame = p + name_len;
    *frame_len = left - name_len;
    return *name != NULL;
}

/* Opens a stored body to JSON; NULL when it does not open or is not JSON. */
static json_t *
s_open_body (tsg_agency_t *self, const uint8_t box[32], const tsg_letter_t *letter)
{
    if (letter->body.len == 0)
        return NULL;
    Tsunagu__V1__Body *body = NULL;
    if (tsg_body_open (self->boxer, box, letter->body.data, letter->body.len, &body) != TSG_OK)
        return NULL;
    json_t *content = NULL;
    if (body->content_type && strcmp (body->content_type, "application/json") == 0)
        content = json_loadb ((const char *) body->content.data, body->content.len, 0, NULL);
    tsunagu__v1__body__free_unpacked (body, NULL);
    return content;
}

/* A received referral's current state and version, from its record. */
static void
s_referral_state (tsg_txn_t *txn, const tsg_header_t *header, json_t *item)
{
    json_t *record = header && tsg_uuid_valid (header->referral_id)
                         ? agency_received_get (txn, header->referral_id)
                         : NULL;
    tsg_ref_state_t state = TSG_REF_REQUESTED;
    uint64_t version = 1;
    if (record)
        agency_status_current (record, &state, &version);
    json_object_set_new (item, "state", json_string (tsg_ref_state_name (state)));
    json_object_set_new (item, "version", json_integer ((json_int_t) version));
    json_decref (record);
}

/* A case event's cleartext metadata on an inbox item. */
static void
s_case_event_fields (const tsg_header_t *header, json_t *item)
{
    const Tsunagu__V1__CaseEvent *ce = header ? header->case_event : NULL;
    if (!ce)
        return;
    agency_json_set (item, "event_id", agency_json_string_or_null (ce->event_id));
    const char *type = agency_case_event_type_name (ce->type);
    agency_json_set (item, "event_type", type ? json_string (type) : NULL);
    json_object_set_new (item, "base_version", json_integer ((json_int_t) header->base_version));
}

static json_t *
s_inbox_item (tsg_agency_t *self, tsg_txn_t *txn, uint64_t cursor, const MDB_val *val)
{
    uint64_t received_at;
    const uint8_t *box, *frame;
    size_t frame_len;
    char type[TSG_ID_MAX + 1];
    char *name = NULL;
    if (!s_inbox_parse (val, &received_at, &box, type, &name, &frame, &frame_len)) {
        log_warnx ("inbox entry %llu unreadable", (unsigned long long) cursor);
        return NULL;
    }
    tsg_envelope_t env = { 0 };
    if (tsg_envelope_decode (frame, frame_len, &env, NULL) != TSG_OK) {
        log_warnx ("inbox entry %llu does not decode", (unsigned long long) cursor);
        free (name);
        return NULL;
    }
    const tsg_letter_t *letter = env.letter;
    const tsg_header_t *header = letter->header;
    bool referral = letter->kind == TSUNAGU__V1__KIND__KIND_REFERRAL;

    json_t *item = json_object ();
    json_object_set_new (item, "cursor", json_integer ((json_int_t) cursor));
    json_object_set_new (item, "message_id",
                         agency_json_hex (letter->message_id.data, letter->message_id.len));
    json_object_set_new (item, "kind", json_string (tsg_kind_name (letter->kind)));
    agency_json_set (item, "referral_id",
                     json_string (header && header->referral_id ? header->referral_id : ""));
    agency_json_set (item, "case_id",
                     json_string (header && header->case_id ? header->case_id : ""));
    json_object_set_new (item, "from", json_string (letter->sender));
    /* The sender's type as the signed directory gave it when the letter arrived, never what
     * the letter's own header claims. */
    json_object_set_new (item, "from_type", json_string (type));
    json_object_set_new (item, "from_name", json_string (name));
    json_object_set_new (item, "created_at", agency_json_time (letter->created_at_ms));
    json_object_set_new (item, "received_at", agency_json_time (received_at));
    if (header) {
        json_t *tags = json_array ();
        for (size_t i = 0; i < header->n_tags; i++)
            json_array_append_new (tags, json_string (header->tags[i]));
        json_object_set_new (item, "urgency", json_string (agency_urgency_name (header->urgency)));
        json_object_set_new (item, "tags", tags);
        json_object_set_new (item, "legal_basis",
                             json_string (agency_legal_basis_name (header->legal_basis)));
        const char *consent_id = header->consent_id && *header->consent_id ? header->consent_id
                                 : header->consent ? header->consent->consent_id
                                                   : NULL;
        agency_json_set (item, "consent_id", agency_json_string_or_null (consent_id));
        agency_json_set (item, "status", agency_json_string_or_null (header->status));
        json_object_set_new (item, "data_categories", agency_categories_of_header (header));
        json_object_set_new (item, "urgent", json_boolean (header->urgent));
        json_object_set_new (item, "restricted",
                             json_boolean (letter->kind != TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE
                                           && agency_consent_restricted (txn, consent_id)));
    }
    char due[11];
    if (header && header->due_date && strlen (header->due_date) == 10)
        snprintf (due, sizeof due, "%s", header->due_date);
    else
        tsg_date_jst_plus_days (letter->created_at_ms, self->config->response_due_days, due);
    if (referral) {
        json_object_set_new (item, "due_date", json_string (due));
        if (header && header->receive_due_date && strlen (header->receive_due_date) == 10)
            json_object_set_new (item, "receive_due_date", json_string (header->receive_due_date));
        s_referral_state (txn, header, item);
    }
    json_t *content = NULL;
    if (letter->kind == TSUNAGU__V1__KIND__KIND_CASE_EVENT) {
        s_case_event_fields (header, item);
        content = agency_case_event_content (self, box, letter);
    }
    else if (letter->n_sealed_bodies > 0)
        content = agency_case_event_content (self, box, letter);
    else
        content = s_open_body (self, box, letter);
    if (letter->kind == TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS && header) {
        json_object_set_new (item, "base_version",
                             json_integer ((json_int_t) header->base_version));
        agency_json_set (item, "outcome", agency_json_string_or_null (header->outcome));
    }
    json_object_set_new (item, referral ? "sheet" : "body", content ? content : json_null ());
    tsg_envelope_clear (&env);
    free (name);
    return item;
}

json_t *
agency_inbox_list (tsg_agency_t *self, uint64_t after, size_t limit)
{
    json_t *items = json_array ();
    uint64_t next = after;
    tsg_txn_t txn;
    tsg_iter_t it;
    uint8_t key[8];

    tsg_txn_begin (self->store, &txn, false);
    tsg_be64_put (key, after + 1);
    size_t n = 0;
    for (tsg_iter_begin (&txn, tsg_store_db (self->store, AGENCY_DB_INBOX), &it, key, 8);
         it.valid && n < limit; tsg_iter_next (&it)) {
        if (it.key.mv_size != 8)
            continue;
        uint64_t cursor = tsg_be64_get (it.key.mv_data);
        json_t *item = s_inbox_item (self, &txn, cursor, &it.val);
        if (item) {
            json_array_append_new (items, item);
            n++;
        }
        next = cursor;
    }
    tsg_iter_end (&it);
    tsg_txn_abort (&txn);
    return json_pack ("{s:o, s:I}", "items", items, "next_cursor", (json_int_t) next);
}

json_t *
agency_inbox_content (tsg_agency_t *self, tsg_txn_t *txn, uint64_t cursor)
{
    uint8_t key[8];
    MDB_val val;
    tsg_be64_put (key, cursor);
    if (!tsg_txn_get (txn, tsg_store_db (self->store, AGENCY_DB_INBOX), key, sizeof key, &val))
        return NULL;
    uint64_t received_at;
    const uint8_t *box, *frame;
    size_t frame_len;
    char type[TSG_ID_MAX + 1];
    char *name = NULL;
    if (!s_inbox_parse (&val, &received_at, &box, type, &name, &frame, &frame_len))
        return NULL;
    free (name);
    tsg_envelope_t env = { 0 };
    if (tsg_envelope_decode (frame, frame_len, &env, NULL) != TSG_OK)
        return NULL;
    json_t *content =
        env.letter->kind == TSUNAGU__V1__KIND__KIND_CASE_EVENT || env.letter->n_sealed_bodies > 0
            ? agency_case_event_content (self, box, env.letter)
            : s_open_body (self, box, env.letter);
    tsg_envelope_clear (&env);
    return content;
}
