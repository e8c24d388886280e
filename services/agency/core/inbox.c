/* inbox.c — inbound letters (inbox.h): the checks every letter passes, then its kind's
 * operations (kind.h); the coordinator's own letters are from_coordinator.c's. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "agency/core/answers.h"
#include "agency/core/delivery.h"
#include "agency/core/from_coordinator.h"
#include "agency/core/inbox.h"
#include "agency/core/kind.h"
#include "agency/core/outbound.h"
#include "agency/records/events.h"
#include "agency/records/inbox_store.h"

static const agency_directory_t *
s_directory (const tsg_agency_t *self, const agency_batch_t *batch)
{
    return batch->directory ? batch->directory : self->directory;
}

/* A DELIVERED or REJECTED receipt an agency sent about one of our letters. */
static void
s_receipt (tsg_agency_t *self, tsg_txn_t *txn, const agency_entry_t *sender,
           const tsg_letter_t *letter, const uint8_t *data, size_t len, agency_batch_t *batch)
{
    const Tsunagu__V1__Receipt *receipt = letter->receipt;
    if (!receipt || receipt->about_message_id.len != TSG_MESSAGE_ID_SIZE
        || (receipt->type != TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED
            && receipt->type != TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED)) {
        agency_answer_reject (self, txn, letter, data, len,
                              "an agency may send only delivered or rejected receipts", true,
                              batch);
        return;
    }
    bool delivered = receipt->type == TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED;
    uint64_t at = receipt->at_ms ? receipt->at_ms : tsg_now_ms ();
    int rc = agency_delivery_receipt (self, txn, receipt->about_message_id.data, sender->id,
                                      delivered, receipt->detail, at);
    if (rc != TSG_OK) {
        char hex[2 * TSG_MESSAGE_ID_SIZE + 1];
        sodium_bin2hex (hex, sizeof hex, receipt->about_message_id.data, TSG_MESSAGE_ID_SIZE);
        log_warnx ("%s receipt from %s about %s matches no letter sent to it",
                   delivered ? "delivered" : "rejected", sender->id, hex);
    }
    else if (!delivered)
        log_warnx ("letter rejected by %s: %s", sender->id, receipt->detail ? receipt->detail : "");
    agency_answer_accept (txn, letter, 0, batch);
}

/* A letter of one of our kinds from an agency: the kind checks it (opening its body), the
 * inbox files it as received, the kind notes what filing it means. */
static void
s_letter (tsg_agency_t *self, tsg_txn_t *txn, const agency_kind_t *kind,
          const agency_entry_t *sender, const tsg_letter_t *letter, const uint8_t *data, size_t len,
          agency_batch_t *batch)
{
    json_t *content = NULL;
    const char *why = kind->receive (self, txn, sender, letter, &content);
    if (why) {
        json_decref (content);
        agency_answer_reject (self, txn, letter, data, len, why, true, batch);
        return;
    }
    uint64_t cursor = batch->next_cursor++;
    json_decref (content);
    agency_inbox_store_put (txn, cursor, sender, data, len, tsg_now_ms ());
    batch->stored++;
    if (kind->filed)
        kind->filed (self, txn, sender, letter, cursor);
    agency_answer_accept (txn, letter, cursor, batch);
}

static void
s_from_agency (tsg_agency_t *self, tsg_txn_t *txn, const agency_entry_t *sender,
               const tsg_letter_t *letter, const uint8_t *data, size_t len, agency_batch_t *batch)
{
    if (agency_answer_repeat (self, txn, letter, batch))
        return;
    if (letter->kind == TSUNAGU__V1__KIND__KIND_RECEIPT) {
        s_receipt (self, txn, sender, letter, data, len, batch);
        return;
    }
    const agency_kind_t *kind = agency_kind_of_wire (self, letter->kind);
    if (kind && kind->receive) {
        s_letter (self, txn, kind, sender, letter, data, len, batch);
        return;
    }
    char why[96];
    snprintf (why, sizeof why, "an agency may not send letters of kind %s",
              tsg_kind_name (letter->kind));
    agency_answer_reject (self, txn, letter, data, len, why, true, batch);
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

/* A verified letter claiming to come from the coordinator. */
static void
s_coordinator (tsg_agency_t *self, tsg_txn_t *txn, tsg_envelope_t *env, const uint8_t *data,
               size_t len, agency_batch_t *batch)
{
    const tsg_letter_t *letter = env->letter;
    agency_pin_match_t match = agency_pin_verifies (&self->coordinator, env);
    if (match == AGENCY_PIN_NONE) {
        self->stats.malformed++;
        log_warnx ("letter claiming to be from the coordinator has a bad signature; dropped");
        return;
    }
    if (match == AGENCY_PIN_NEXT) {
        /* The coordinator switched to the keys it handed over. */
        agency_pin_switch (&self->coordinator, tsg_now_ms ());
        agency_pin_save (txn, &self->coordinator);
        self->coordinator_keys_changed = true;
        log_info ("the coordinator switched to its new keys: they are the ones trusted now");
        char sign[41];
        tsg_key_to_z85 (self->coordinator.sign, sign);
        agency_events_append (txn, self->config->id, "coordinator.keys_switched",
                              json_pack ("{s:s}", "sign_public", sign), tsg_now_ms ());
    }
    batch->coordinator_seen = true;
    if (strcmp (letter->recipient, self->config->id) != 0 && !s_fanned_out (letter))
        log_warnx ("coordinator letter for %s ignored (this is %s)", letter->recipient,
                   self->config->id);
    else
        agency_from_coordinator (self, txn, letter, data, len, batch);
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
        s_coordinator (self, txn, &env, data, len, batch);
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
    else if (!agency_entry_verifies (sender, &env))
        agency_answer_reject (self, txn, letter, data, len, "the signature does not verify", false,
                              batch);
    else if (strcmp (letter->recipient, self->config->id) != 0 && !s_fanned_out (letter)) {
        char why[96];
        snprintf (why, sizeof why, "the letter is addressed to %s, not to this agency",
                  letter->recipient);
        agency_answer_reject (self, txn, letter, data, len, why, false, batch);
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

/* The directory the batch accepted, now in force. */
static void
s_install_directory (tsg_agency_t *self, agency_batch_t *batch)
{
    agency_directory_destroy (&self->directory);
    self->directory = batch->directory;
    batch->directory = NULL;
    agency_directory_aliases (self->directory, self->boxer);
    const agency_entry_t *me = agency_directory_find (self->directory, self->config->id);
    log_info ("directory %llu: %zu agencies",
              (unsigned long long) agency_directory_serial (self->directory),
              agency_directory_count (self->directory));
    if (!me || memcmp (me->box_public, tsg_keys_box_public (self->config->keys), 32) != 0)
        log_warnx ("the directory does not list this agency (%s) with its keys", self->config->id);
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
    if (batch->directory)
        s_install_directory (self, batch);
    agency_answers_send (self, batch);
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
