/* Inbound letters: verify, deduplicate, store, then acknowledge (the inbox as the API shows
 * it is inbox_view.c's). */
#include <stdlib.h>
#include <string.h>

#include "agency.h"
#include "case_events.h"
#include "cases.h"
#include "consents.h"
#include "delivery.h"
#include "json.h"
#include "received.h"
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
