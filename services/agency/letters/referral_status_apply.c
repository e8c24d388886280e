/* referral_status_apply.c — what happens to a referral's state when letters come back: our own
 * changes when the coordinator stores them (in the order they were made), refuses them or the other
 * party acknowledges them, and the other party's changes when their letters arrive. */
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agency/letters/referral_status_apply.h"
#include "agency/records/consents.h"
#include "agency/records/events.h"
#include "agency/records/json.h"
#include "agency/records/referral_state.h"
#include "agency/records/referrals.h"
#include "agency/records/sealed.h"

/* referral.status_changed when record moved on from (from, from_version), in txn: the new
 * state and version, who made the change (the agency in its last history entry) and its
 * outcome code, if any.  Ids and codes only: the reason and note stay in the record. */
static void
s_event (tsg_agency_t *self, tsg_txn_t *txn, const char *referral_id, tsg_party_t party,
         tsg_ref_state_t from, uint64_t from_version, const json_t *record)
{
    tsg_ref_state_t to;
    uint64_t version;
    agency_status_current (record, &to, &version);
    if (version == from_version && to == from)
        return;
    json_t *history = json_object_get (record, "state_history");
    const json_t *last = json_array_get (history, json_array_size (history) - 1);
    json_t *data = json_pack ("{s:s, s:s, s:s, s:s, s:I, s:s?}", "referral_id", referral_id, "side",
                              party == TSG_PARTY_SENDER ? "sender" : "recipient", "from",
                              tsg_ref_state_name (from), "to", tsg_ref_state_name (to), "version",
                              (json_int_t) version, "by", agency_json_str (last, "by"));
    if (data)
        agency_json_set_text (data, "outcome", agency_json_str (last, "outcome"));
    agency_events_append (txn, self->config->id, "referral.status_changed", data, tsg_now_ms ());
}

/* The index under record's "pending" of the change carried by message_id, or SIZE_MAX. */
static size_t
s_pending_index (const json_t *record, const uint8_t message_id[TSG_MESSAGE_ID_SIZE])
{
    char hex[2 * TSG_MESSAGE_ID_SIZE + 1];
    sodium_bin2hex (hex, sizeof hex, message_id, TSG_MESSAGE_ID_SIZE);
    size_t i;
    json_t *entry;
    json_array_foreach (json_object_get (record, "pending"), i, entry)
    {
        const char *id = agency_json_str (entry, "message_id");
        if (id && strcmp (id, hex) == 0)
            return i;
    }
    return SIZE_MAX;
}

/* Removes the pending change carried by message_id from record; returns it (a new
 * reference) or NULL. */
static json_t *
s_take_pending (json_t *record, const uint8_t message_id[TSG_MESSAGE_ID_SIZE])
{
    json_t *pending = json_object_get (record, "pending");
    size_t i = s_pending_index (record, message_id);
    if (i == SIZE_MAX)
        return NULL;
    json_t *entry = json_incref (json_array_get (pending, i));
    json_array_remove (pending, i);
    if (json_array_size (pending) == 0)
        json_object_del (record, "pending");
    return entry;
}

/* Moves record to state `to` at version base + 1 (never back), appending history. */
static void
s_apply (json_t *record, tsg_ref_state_t to, uint64_t base, json_t *history_entry, bool out_of_sync)
{
    tsg_ref_state_t state;
    uint64_t version;
    agency_status_current (record, &state, &version);
    if (out_of_sync) {
        json_object_set_new (record, "out_of_sync", json_true ());
        json_object_set_new (history_entry, "out_of_sync", json_true ());
    }
    if (base + 1 > version) {
        json_object_set_new (record, "state", json_string (tsg_ref_state_name (to)));
        json_object_set_new (record, "version", json_integer ((json_int_t) (base + 1)));
    }
    json_array_append (agency_json_array (record, "state_history"), history_entry);
}

/* Applies our change (taken from "pending") to record: its state at base_version + 1 and its
 * history entry.  Returns false when the change names no state. */
static bool
s_apply_own (json_t *record, const char *referral_id, const json_t *change)
{
    tsg_ref_state_t to, state;
    uint64_t version;
    if (!tsg_ref_state_parse (agency_json_str (change, "status"), &to))
        return false;
    agency_status_current (record, &state, &version);
    uint64_t base = agency_json_u64 (change, "base_version", 0);
    json_t *entry =
        json_pack ("{s:s, s:O, s:O}", "state", tsg_ref_state_name (to), "at",
                   json_object_get (change, "at"), "by", json_object_get (change, "by"));
    static const char *const copied[] = { "reason",     "note",         "outcome",
                                          "message_id", "delivered_at", NULL };
    for (int k = 0; copied[k]; k++)
        if (json_object_get (change, copied[k]))
            json_object_set (entry, copied[k], json_object_get (change, copied[k]));
    if (base != version)
        log_warnx ("referral %s: our change to %s (version %llu) was stored by the coordinator "
                   "while this copy is at version %llu",
                   referral_id, tsg_ref_state_name (to), (unsigned long long) base,
                   (unsigned long long) version);
    s_apply (record, to, base, entry, base != version);
    json_decref (entry);
    return true;
}

/* True when a change of ours based on a version below base still waits for its answer. */
static bool
s_earlier_pending (const json_t *record, uint64_t base)
{
    size_t i;
    json_t *entry;
    json_array_foreach (json_object_get (record, "pending"), i, entry)
    {
        if (agency_json_u64 (entry, "base_version", 0) < base
            && !json_is_true (json_object_get (entry, "stored")))
            return true;
    }
    return false;
}

/* Applies, in order of their base versions, the changes of ours that were stored while an
 * earlier one still waited for its answer, as far as none earlier waits any more. */
static void
s_apply_stored (json_t *record, const char *referral_id)
{
    for (int round = 0; round < 64; round++) {
        json_t *pending = json_object_get (record, "pending");
        size_t best = SIZE_MAX;
        uint64_t best_base = UINT64_MAX;
        size_t i;
        json_t *entry;
        json_array_foreach (pending, i, entry)
        {
            uint64_t base = agency_json_u64 (entry, "base_version", 0);
            if (json_is_true (json_object_get (entry, "stored")) && base < best_base) {
                best = i;
                best_base = base;
            }
        }
        if (best == SIZE_MAX || s_earlier_pending (record, best_base))
            return;
        json_t *change = json_incref (json_array_get (pending, best));
        json_array_remove (pending, best);
        if (json_array_size (pending) == 0)
            json_object_del (record, "pending");
        json_object_del (change, "stored");
        s_apply_own (record, referral_id, change);
        json_decref (change);
    }
}

void
agency_status_stored (tsg_agency_t *self, tsg_txn_t *txn, const agency_msgref_t *ref,
                      const uint8_t message_id[TSG_MESSAGE_ID_SIZE], uint64_t at_ms)
{
    (void) at_ms;
    tsg_party_t party;
    json_t *record = agency_status_find (txn, ref->id, &party);
    if (!record)
        return;
    tsg_ref_state_t from;
    uint64_t from_version;
    agency_status_current (record, &from, &from_version);
    json_t *change = s_take_pending (record, message_id);
    if (!change) {
        json_decref (record); /* stored before: nothing left to apply */
        return;
    }
    /* The coordinator answers our letters in their order, but an answer can be lost (a full
     * socket, a connection that dropped) and come again only after the resend: a change is
     * applied only after every earlier change of ours, so the copy moves in the order the
     * changes were made. */
    if (s_earlier_pending (record, agency_json_u64 (change, "base_version", 0))) {
        json_object_set_new (change, "stored", json_true ());
        json_array_append (agency_json_array (record, "pending"), change);
    }
    else
        s_apply_own (record, ref->id, change);
    json_decref (change);
    s_apply_stored (record, ref->id);
    agency_status_save (txn, record, party);
    s_event (self, txn, ref->id, party, from, from_version, record);
    json_decref (record);
}

void
agency_status_refused (tsg_agency_t *self, tsg_txn_t *txn, const agency_msgref_t *ref,
                       const uint8_t message_id[TSG_MESSAGE_ID_SIZE], const char *code,
                       const char *detail, uint64_t at_ms)
{
    (void) self;
    tsg_party_t party;
    json_t *record = agency_status_find (txn, ref->id, &party);
    if (!record)
        return;
    json_t *change = s_take_pending (record, message_id);
    if (change) {
        json_array_append_new (agency_json_array (record, "errors"),
                               json_pack ("{s:O, s:O, s:s, s:s, s:I}", "status",
                                          json_object_get (change, "status"), "base_version",
                                          json_object_get (change, "base_version"), "code", code,
                                          "message", detail, "at", (json_int_t) at_ms));
        s_apply_stored (record, ref->id);
        agency_status_save (txn, record, party);
        log_warnx ("referral %s: change to %s refused by the coordinator: %s: %s", ref->id,
                   agency_json_str (change, "status"), code, detail);
    }
    else {
        /* Applied already (the coordinator stored it), then withheld from the other party: the
         * change stands, its reason and note never reached them. */
        char hex[2 * TSG_MESSAGE_ID_SIZE + 1];
        sodium_bin2hex (hex, sizeof hex, message_id, TSG_MESSAGE_ID_SIZE);
        size_t i;
        json_t *entry;
        json_array_foreach (json_object_get (record, "state_history"), i, entry)
        {
            const char *id = agency_json_str (entry, "message_id");
            if (!id || strcmp (id, hex) != 0 || json_object_get (entry, "withheld"))
                continue;
            json_object_set_new (entry, "withheld", json_true ());
            json_array_append_new (agency_json_array (record, "errors"),
                                   json_pack ("{s:O, s:s, s:s, s:I, s:b}", "status",
                                              json_object_get (entry, "state"), "code", code,
                                              "message", detail, "at", (json_int_t) at_ms,
                                              "withheld", 1));
            agency_status_save (txn, record, party);
            log_warnx ("referral %s: our change to %s was withheld from the other party: %s",
                       ref->id, agency_json_str (entry, "state"), detail ? detail : "");
            break;
        }
    }
    json_decref (change);
    json_decref (record);
}

int
agency_status_receipt (tsg_agency_t *self, tsg_txn_t *txn, const agency_msgref_t *ref,
                       const uint8_t message_id[TSG_MESSAGE_ID_SIZE], const char *by,
                       bool delivered, const char *detail, uint64_t at_ms)
{
    (void) self;
    tsg_party_t party;
    json_t *record = agency_status_find (txn, ref->id, &party);
    if (!record)
        return TSG_OK;
    const char *other = agency_status_other (record, party);
    if (!other || !by || strcmp (other, by) != 0) {
        log_warnx ("receipt from %s about a status change of %s, which concerns %s", by, ref->id,
                   other ? other : "?");
        json_decref (record);
        return TSG_OK;
    }
    /* The other party's receipt can come before the coordinator's RECEIPT_STORED (lost with
     * a connection, the mailbox forwarded before the resend was answered): the delivery is
     * noted on the pending change, which STORED applies in order with it. */
    size_t at = s_pending_index (record, message_id);
    json_t *pending =
        at == SIZE_MAX ? NULL : json_array_get (json_object_get (record, "pending"), at);
    if (pending && delivered) {
        if (!json_object_get (pending, "delivered_at")) {
            json_object_set_new (pending, "delivered_at", json_integer ((json_int_t) at_ms));
            agency_status_save (txn, record, party);
        }
        json_decref (record);
        return TSG_OK;
    }
    char hex[2 * TSG_MESSAGE_ID_SIZE + 1];
    sodium_bin2hex (hex, sizeof hex, message_id, TSG_MESSAGE_ID_SIZE);
    bool changed = false;
    if (delivered) {
        size_t i;
        json_t *entry;
        json_array_foreach (json_object_get (record, "state_history"), i, entry)
        {
            const char *id = agency_json_str (entry, "message_id");
            if (id && strcmp (id, hex) == 0 && !json_object_get (entry, "delivered_at")) {
                json_object_set_new (entry, "delivered_at", json_integer ((json_int_t) at_ms));
                changed = true;
            }
        }
    }
    else {
        json_array_append_new (agency_json_array (record, "errors"),
                               json_pack ("{s:s, s:s, s:s, s:I}", "code", "rejected", "message",
                                          detail && *detail ? detail : "no detail", "by", by, "at",
                                          (json_int_t) at_ms));
        changed = true;
    }
    if (changed)
        agency_status_save (txn, record, party);
    json_decref (record);
    return TSG_OK;
}

/* The reason and note of a status letter's body; NULL when fine, else why not. */
static const char *
s_open (tsg_agency_t *self, const agency_entry_t *sender, const tsg_letter_t *letter,
        json_t **content)
{
    *content = NULL;
    if (letter->body.len == 0)
        return NULL;
    return agency_sealed_open (self->boxer, &self->stats.bodies_opened, sender->box_public,
                               letter->body.data, letter->body.len, content);
}

const char *
agency_status_receive (tsg_agency_t *self, tsg_txn_t *txn, const agency_entry_t *sender,
                       const tsg_letter_t *letter, json_t **opened)
{
    *opened = NULL;
    if (!sender)
        return "a status change comes from an agency";
    const tsg_header_t *header = letter->header;
    tsg_ref_state_t to;
    tsg_outcome_t outcome = TSG_OUTCOME_NONE;
    if (!header || !tsg_uuid_valid (header->referral_id))
        return "the status change has no valid referral id in its header";
    if (!tsg_ref_state_parse (header->status, &to))
        return "the status change names no known referral state";
    if (header->outcome && *header->outcome && !tsg_outcome_parse (header->outcome, &outcome))
        return "the status change names no known outcome";
    if (header->base_version == 0)
        return "the status change has no base version";
    json_t *content = NULL;
    const char *why = s_open (self, sender, letter, &content);
    if (why)
        return why;

    tsg_party_t party;
    json_t *record = agency_status_find (txn, header->referral_id, &party);
    if (!record) {
        log_warnx ("status change from %s about referral %s, which is unknown here: kept in the "
                   "inbox only",
                   sender->id, header->referral_id);
        *opened = content;
        return NULL;
    }
    const char *other = agency_status_other (record, party);
    if (!other || strcmp (other, sender->id) != 0) {
        json_decref (record);
        json_decref (content);
        return "the sender is not the other party of this referral";
    }
    const char *reason = agency_json_str (content, "reason");
    const char *note = agency_json_str (content, "note");
    tsg_ref_state_t state;
    uint64_t version;
    agency_status_current (record, &state, &version);
    tsg_party_t by = party == TSG_PARTY_SENDER ? TSG_PARTY_RECIPIENT : TSG_PARTY_SENDER;
    const char *misfit = NULL;
    if (header->base_version != version)
        misfit = "its base version is not this copy's version";
    else
        misfit = tsg_ref_transition_check (
            state, to, by, reason ? reason : (header->reason_given ? "?" : NULL), outcome);
    if (misfit)
        log_warnx ("referral %s: %s's change to %s (version %llu) does not fit this copy "
                   "(%s, version %llu): %s; applied all the same",
                   header->referral_id, sender->id, header->status,
                   (unsigned long long) header->base_version, tsg_ref_state_name (state),
                   (unsigned long long) version, misfit);
    json_t *entry = json_pack ("{s:s, s:I, s:s}", "state", tsg_ref_state_name (to), "at",
                               (json_int_t) letter->created_at_ms, "by", sender->id);
    agency_json_set_text (entry, "reason", reason);
    agency_json_set_text (entry, "note", note);
    if (outcome != TSG_OUTCOME_NONE)
        agency_json_set_text (entry, "outcome", tsg_outcome_name (outcome));
    s_apply (record, to, header->base_version, entry, misfit != NULL);
    json_decref (entry);
    agency_status_save (txn, record, party);
    s_event (self, txn, header->referral_id, party, state, version, record);
    json_decref (record);
    *opened = content;
    return NULL;
}

void
agency_status_filed (tsg_agency_t *self, tsg_txn_t *txn, const agency_entry_t *sender,
                     const tsg_letter_t *letter, uint64_t cursor)
{
    (void) self;
    (void) sender;
    if (letter->header && (letter->body.len > 0 || letter->n_sealed_bodies > 0))
        agency_consent_note_data (txn, letter->header->consent_id, cursor, letter->kind);
}
