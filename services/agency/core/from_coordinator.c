/* from_coordinator.c — the coordinator's own letters (from_coordinator.h). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agency/core/answers.h"
#include "agency/core/delivery.h"
#include "agency/core/from_coordinator.h"
#include "agency/core/kind.h"
#include "agency/core/outbound.h"
#include "agency/records/cases.h"
#include "agency/records/events.h"
#include "agency/records/json.h"

static void
s_hex (const uint8_t id[TSG_MESSAGE_ID_SIZE], char out[2 * TSG_MESSAGE_ID_SIZE + 1])
{
    sodium_bin2hex (out, 2 * TSG_MESSAGE_ID_SIZE + 1, id, TSG_MESSAGE_ID_SIZE);
}

/* An event of this agency's feed, now, in txn (taking data). */
static void
s_event (tsg_agency_t *self, tsg_txn_t *txn, const char *type, json_t *data)
{
    agency_events_append (txn, self->config->id, type, data, tsg_now_ms ());
}

/* A case update for our copy: applied (case.updated when it moved the copy on), or why not. */
/* A CASE_UPDATE applied to our copy of its case, told on the feed when it moved the copy on.
 * NULL, or why it was refused. */
static const char *
s_case_update (tsg_agency_t *self, tsg_txn_t *txn, const Tsunagu__V1__CaseUpdate *update)
{
    uint64_t before = 0;
    if (update && tsg_uuid_valid (update->case_id)) {
        json_t *record = agency_case_get (txn, update->case_id);
        before = agency_json_u64 (record, "version", 0);
        json_decref (record);
    }
    const char *why = agency_case_update (txn, update);
    if (!why && update->version >= before)
        s_event (self, txn, "case.updated",
                 json_pack ("{s:s, s:s, s:I, s:s?}", "case_id", update->case_id, "state",
                            update->state, "version", (json_int_t) update->version, "event_type",
                            update->last_event_type && *update->last_event_type
                                ? update->last_event_type
                                : NULL));
    return why;
}

void
agency_case_opened (tsg_agency_t *self, tsg_txn_t *txn, json_t *record, const char *opener,
                    const char *recipient, const char *const *tags, size_t n_tags, uint64_t at_ms)
{
    const char *case_id = agency_json_str (record, "case_id");
    if (agency_json_u64 (record, "version", 0) > 0) {
        agency_case_put (txn, record); /* a CASE_UPDATE came first: its word stands */
        return;
    }
    char *agencies[2] = { (char *) opener, (char *) recipient };
    char *kept[TSG_TAGS_MAX];
    size_t n_kept = 0;
    for (size_t i = 0; i < n_tags && n_kept < TSG_TAGS_MAX; i++) {
        bool seen = !tags[i] || !*tags[i] || strlen (tags[i]) > TSG_TAG_LEN_MAX;
        for (size_t k = 0; k < n_kept && !seen; k++)
            seen = strcmp (kept[k], tags[i]) == 0;
        if (!seen)
            kept[n_kept++] = (char *) tags[i];
    }
    Tsunagu__V1__CaseUpdate update = TSUNAGU__V1__CASE_UPDATE__INIT;
    update.case_id = (char *) case_id;
    update.state = (char *) tsg_case_state_name (TSG_CASE_MULTI_AGENCY);
    update.version = 1;
    update.n_agencies = 2;
    update.agencies = agencies;
    update.n_tags = n_kept;
    update.tags = kept;
    update.next_review_on = (char *) "";
    update.last_event_id = (char *) "";
    update.last_event_type = (char *) "referral";
    update.last_event_by = (char *) opener;
    update.updated_at_ms = at_ms;
    const char *why = agency_case_apply_update (txn, record, &update);
    if (why)
        log_warnx ("case %s: the copy opened by its first referral was refused: %s", case_id, why);
    else
        s_event (self, txn, "case.updated",
                 json_pack ("{s:s, s:s, s:I, s:s}", "case_id", case_id, "state", update.state,
                            "version", (json_int_t) 1, "event_type", "referral"));
}

/* What the coordinator's ERROR did to our standing: agency.suspended / agency.revoked when the
 * registration changed, backpressure.reached when a full quota or store began to refuse new
 * work. */
static void
s_standing_events (tsg_agency_t *self, tsg_txn_t *txn, Tsunagu__V1__ErrorCode code,
                   const char *detail, bool changed, bool pressure_began)
{
    if (changed && self->standing.registration == AGENCY_REGISTRATION_SUSPENDED)
        s_event (self, txn, "agency.suspended",
                 json_pack ("{s:s, s:s}", "agency", self->config->id, "detail", detail));
    else if (changed && self->standing.registration == AGENCY_REGISTRATION_REVOKED)
        s_event (self, txn, "agency.revoked",
                 json_pack ("{s:s, s:s}", "agency", self->config->id, "detail", detail));
    if (pressure_began)
        s_event (self, txn, "backpressure.reached",
                 json_pack ("{s:s, s:s, s:I}", "code", tsg_error_code_name (code), "detail", detail,
                            "retry_after_s", (json_int_t) (AGENCY_PRESSURE_MS / 1000)));
}

/* A letter the coordinator sent through our mailbox: stored once, then acknowledged like any
 * forwarded letter. */
static void
s_mailbox (tsg_agency_t *self, tsg_txn_t *txn, const tsg_letter_t *letter, const uint8_t *data,
           size_t len, agency_batch_t *batch)
{
    if (agency_answer_repeat (self, txn, letter, batch))
        return;
    const char *why = NULL;
    if (letter->kind == TSUNAGU__V1__KIND__KIND_CASE_UPDATE)
        why = s_case_update (self, txn, letter->case_update);
    else {
        const agency_kind_t *kind = agency_kind_of_wire (self, letter->kind);
        json_t *content = NULL;
        if (kind && kind->receive)
            why = kind->receive (self, txn, NULL, letter, &content);
        json_decref (content);
    }
    if (why) {
        agency_answer_reject (self, txn, letter, data, len, why, true, batch);
        return;
    }
    agency_answer_accept (txn, letter, 0, batch);
}

/* An ERROR from the coordinator.  A final one ends our letter: refused when it had not been
 * stored, withheld when it had (a consent it relied on was revoked or expired; that news comes
 * through our mailbox).  Every final ERROR is acknowledged like a forwarded letter, once: the
 * coordinator ignores the acknowledgement of an answer it never stored. */
static void
s_error (tsg_agency_t *self, tsg_txn_t *txn, const tsg_letter_t *letter, agency_batch_t *batch)
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
        s_hex (error->about_message_id.data, hex);
    /* Suspended, revoked, a full quota or store: what this agency may do changes. */
    uint64_t now_mono = agency_now_mono ();
    bool pressed = now_mono < self->standing.pressure_until;
    bool changed = agency_standing_refused (&self->standing, error->code, detail, now_mono);
    s_standing_events (self, txn, error->code, detail, changed,
                       !pressed && now_mono < self->standing.pressure_until);
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
    if (agency_answer_repeat (self, txn, letter, batch))
        return;
    int rc = ours ? agency_delivery_refused (self, txn, error->about_message_id.data, code, detail,
                                             tsg_now_ms ())
                  : TSG_ERR_NOT_FOUND;
    if (rc == TSG_OK) {
        batch->outbox_changed = true;
        self->stats.refused++;
        log_warnx ("letter %s refused by the coordinator: %s: %s", hex, code, detail);
    }
    else if (rc == TSG_ERR_EXISTS)
        log_debug ("letter %s refused again (a resent copy): %s", hex, code);
    else
        log_warnx ("coordinator reports %s about %s (final): %s", code, ours ? hex : "a letter",
                   detail);
    agency_answer_accept (txn, letter, 0, batch);
}

/* The sequence the coordinator stores next from us: when it is ahead of our counter (a store
 * restored from a backup, or started empty with our keys), numbers below it were used by
 * letters this store does not know, and ours would be refused as reused; the counter jumps
 * there.  Only between group commits (letters the API queued took their numbers already: the
 * next HELLO, a second later, does it then). */
static void
s_next_sequence (tsg_agency_t *self, tsg_txn_t *txn, const Tsunagu__V1__Hello *hello)
{
    uint64_t next = hello ? hello->next_sequence : 0;
    if (next > self->next_sequence && self->pending_count == 0) {
        log_info ("the coordinator has stored our letters up to sequence %llu: numbering goes on "
                  "from %llu (not %llu)",
                  (unsigned long long) (next - 1), (unsigned long long) next,
                  (unsigned long long) self->next_sequence);
        self->next_sequence = next;
        agency_meta_put_u64 (txn, AGENCY_META_SEQUENCE, next);
    }
    if (self->standing.sequence_unknown && (next <= self->next_sequence || !next)) {
        self->standing.sequence_unknown = false;
        char path[4096];
        if (tsg_path (path, sizeof path, "%s/%s", self->config->data_dir,
                      AGENCY_SEQUENCE_UNKNOWN_FILE))
            unlink (path);
        log_info ("the sequence counter agrees with the coordinator's: new work is taken again");
    }
}

static void
s_hello (tsg_agency_t *self, tsg_txn_t *txn, const tsg_letter_t *letter, agency_batch_t *batch)
{
    /* The coordinator's clock, and its word that it takes our letters. */
    if (agency_standing_hello (&self->standing, letter->created_at_ms, tsg_now_ms ())) {
        batch->resumed = true;
        s_event (self, txn, "agency.resumed", json_pack ("{s:s}", "agency", self->config->id));
    }
    s_next_sequence (self, txn, letter->hello);
    self->coordinator_batch_proofs = letter->hello && letter->hello->batch_proofs;
    /* What follows this answer on the connection is our mailbox again, from its oldest
     * letter: what was held may be taken again, in order. */
    if (self->hold_inbound && letter->hello && letter->hello->rewound) {
        log_info ("the coordinator resends the mailbox from its oldest letter (%llu "
                  "letters were held)",
                  (unsigned long long) self->stats.held);
        self->hold_inbound = false;
    }
}

/* The coordinator's hand-over to new keys, carried by a directory that verified with its
 * current key: held (and named in our HELLOs) until it switches. */
static void
s_handover (tsg_agency_t *self, tsg_txn_t *txn, const Tsunagu__V1__CoordinatorKeys *next)
{
    const char *detail = NULL;
    if (!agency_pin_offer (&self->coordinator, next, &detail)) {
        if (detail)
            log_warnx ("the coordinator's hand-over to new keys is refused: %s", detail);
        return;
    }
    agency_pin_save (txn, &self->coordinator);
    self->coordinator_keys_changed = true;
    char sign[41], until[32];
    tsg_key_to_z85 (self->coordinator.next_sign, sign);
    tsg_iso8601 (self->coordinator.switch_by_ms, until);
    log_info ("the coordinator hands over to new keys (signing %s) by %s: held until it "
              "switches",
              sign, until);
    s_event (self, txn, "coordinator.keys_handed_over",
             json_pack ("{s:s, s:s}", "next_sign_public", sign, "switch_by", until));
}

static void
s_directory (tsg_agency_t *self, tsg_txn_t *txn, const tsg_letter_t *letter, const uint8_t *data,
             size_t len, agency_batch_t *batch)
{
    const char *detail = NULL;
    const agency_directory_t *now = batch->directory ? batch->directory : self->directory;
    agency_directory_t *dir = agency_directory_from_letter (letter, tsg_now_ms (),
                                                            agency_directory_serial (now), &detail);
    if (!dir) {
        log_warnx ("directory from the coordinator ignored: %s", detail);
        return;
    }
    tsg_txn_put (txn, tsg_store_db (self->store, AGENCY_DB_META), AGENCY_META_DIRECTORY,
                 strlen (AGENCY_META_DIRECTORY), data, len);
    bool listing_changed = !agency_directory_same_listing (now, dir);
    agency_directory_destroy (&batch->directory);
    batch->directory = dir;
    if (listing_changed)
        s_event (self, txn, "directory.changed",
                 json_pack ("{s:I, s:I}", "serial", (json_int_t) agency_directory_serial (dir),
                            "agencies", (json_int_t) agency_directory_count (dir)));
    s_handover (self, txn, letter->directory->coordinator_next);
}

static void
s_stored (tsg_agency_t *self, tsg_txn_t *txn, const tsg_letter_t *letter, agency_batch_t *batch)
{
    const Tsunagu__V1__Receipt *receipt = letter->receipt;
    if (!receipt || receipt->type != TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_STORED
        || receipt->about_message_id.len != TSG_MESSAGE_ID_SIZE) {
        log_warnx ("receipt from the coordinator ignored: not a well-formed stored receipt");
        return;
    }
    uint64_t at = receipt->at_ms ? receipt->at_ms : tsg_now_ms ();
    if (agency_delivery_stored (self, txn, receipt->about_message_id.data, at) == TSG_OK)
        batch->outbox_changed = true;
    else {
        char hex[2 * TSG_MESSAGE_ID_SIZE + 1];
        s_hex (receipt->about_message_id.data, hex);
        log_debug ("stored receipt about %s, which is not in the outbox", hex);
    }
}

void
agency_from_coordinator (tsg_agency_t *self, tsg_txn_t *txn, const tsg_letter_t *letter,
                         const uint8_t *data, size_t len, agency_batch_t *batch)
{
    switch (letter->kind) {
    case TSUNAGU__V1__KIND__KIND_HELLO: s_hello (self, txn, letter, batch); break;
    case TSUNAGU__V1__KIND__KIND_DIRECTORY:
        s_directory (self, txn, letter, data, len, batch);
        break;
    case TSUNAGU__V1__KIND__KIND_RECEIPT: s_stored (self, txn, letter, batch); break;
    case TSUNAGU__V1__KIND__KIND_ERROR: s_error (self, txn, letter, batch); break;
    case TSUNAGU__V1__KIND__KIND_CASE_UPDATE:
    case TSUNAGU__V1__KIND__KIND_CASE_EVENT:
    case TSUNAGU__V1__KIND__KIND_CONSENT_GRANT:
    case TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE:
        s_mailbox (self, txn, letter, data, len, batch);
        break;
    default:
        log_warnx ("letter of kind %s from the coordinator ignored", tsg_kind_name (letter->kind));
        break;
    }
}
