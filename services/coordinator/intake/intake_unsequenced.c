/* intake_unsequenced.c — letters without a sequence number: HELLO (the session and the
 * coordinator's clock), receipts (applied, never answered), and whatever an inactive agency
 * sends. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/intake/intake_parts.h"
#include "coordinator/model/mailbox.h"
#include "coordinator/model/store.h"

/* An acknowledgement (RECEIPT DELIVERED or REJECTED) from auth_id.  Never answered: a
 * receipt that cannot be applied is counted (and logged once per cause). */
static void
s_receipt (tsg_hub_intake_t *self, const char *auth_id, const tsg_letter_t *letter,
           const uint8_t *frame, size_t len, tsg_hub_answer_t *answer)
{
    const Tsunagu__V1__Receipt *receipt = letter->receipt;
    if (!receipt) {
        hub_intake_ignore (self, answer, auth_id, TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED,
                           "a receipt letter carries no receipt");
        return;
    }
    if (receipt->type != TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED
        && receipt->type != TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED) {
        hub_intake_ignore (self, answer, auth_id, TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED,
                           "agencies may send only delivered or rejected receipts");
        return;
    }
    /* The coordinator relays the receipt unchanged, so its cleartext detail must be fit to
     * keep: one that looks like personal data is applied but not passed on, and the sender is
     * told by the coordinator instead. */
    char why[TSG_CLEARTEXT_WHY_SIZE];
    bool detail_ok = tsg_cleartext_detail_ok (receipt->detail, why, sizeof why);
    tsg_hub_ack_t ack;
    tsg_hub_mailbox_ack (self->txn, auth_id, letter, frame, len, self->now_ms, detail_ok, &ack);
    if (ack.outcome == TSG_HUB_ACK_DONE && ack.held_back[0]) {
        uint64_t repeats = 0;
        if (tsg_hub_quiet_note (self->quiet, auth_id, TSUNAGU__V1__ERROR_CODE__ERROR_PERSONAL_DATA,
                                tsg_monotonic_ms (), &repeats))
            log_warnx ("a receipt from %s: its detail %s; applied, not passed on to %s", auth_id,
                       why, ack.held_back);
        char detail[TSG_HUB_DETAIL_MAX];
        snprintf (detail, sizeof detail, "%s by %s; its reason was not passed on: it %s",
                  receipt->type == TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_REJECTED ? "rejected"
                                                                               : "acknowledged",
                  auth_id, why);
        tsg_hub_casework_tell (self->casework, ack.held_back, ack.about,
                               TSUNAGU__V1__ERROR_CODE__ERROR_PERSONAL_DATA, detail,
                               letter->header && tsg_uuid_valid (letter->header->case_id)
                                   ? letter->header->case_id
                                   : NULL,
                               NULL);
    }
    char text[17];
    const uint8_t *about = receipt->about_message_id.data;
    size_t about_len = receipt->about_message_id.len;
    switch (ack.outcome) {
    case TSG_HUB_ACK_DONE:
        hub_intake_note_acked (self, ack.recipient, ack.seq);
        if (ack.relayed_to[0])
            hub_intake_note_new_mail (self, ack.relayed_to);
        if (log_verbose ())
            log_debug ("%s acknowledged %s (mailbox %llu)%s%s", auth_id,
                       hub_intake_id_text (about, about_len, text), (unsigned long long) ack.seq,
                       ack.relayed_to[0] ? "; receipt relayed to " : "", ack.relayed_to);
        break;
    case TSG_HUB_ACK_IGNORED:
        if (log_verbose ())
            log_debug ("%s acknowledged %s again: %s", auth_id,
                       hub_intake_id_text (about, about_len, text), ack.why);
        break;
    case TSG_HUB_ACK_REFUSED:
        hub_intake_ignore (self, answer, auth_id, TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED,
                           "%s", ack.why);
        break;
    }
}

/* True when created_at is more than the accepted skew ahead of the batch's clock; how far
 * ahead (ms) in *ahead. */
static bool
s_clock_ahead (const tsg_hub_intake_t *self, uint64_t created_at, uint64_t *ahead)
{
    *ahead = created_at > self->now_ms ? created_at - self->now_ms : 0;
    return created_at > self->now_ms + TSG_HUB_SKEW_AHEAD_MS;
}

/* What the HELLO says of batch proofs, kept in the registry when it changed: the directory that
 * follows tells the other agencies (and this hub's own answers) whether letters to auth_id may
 * be signed in batches.  An agency that stops verifying them stops getting them. */
static void
s_batch_proofs (tsg_hub_intake_t *self, const char *auth_id, bool verifies)
{
    const Tsunagu__V1__AgencyEntry *entry = tsg_hub_directory_find (self->directory, auth_id);
    if (!entry || entry->batch_proofs == verifies)
        return;
    if (tsg_registry_set_batch_proofs (self->txn, auth_id, verifies))
        log_info ("agency %s %s batch proofs", auth_id,
                  verifies ? "verifies" : "no longer verifies");
}

/* A letter without a sequence number: HELLO or an acknowledgement; nothing else.  Neither
 * is held to the clock check: a HELLO changes nothing but the session (and its answer is how
 * an agency learns that its clock is wrong), and a receipt only acknowledges mail addressed
 * to the agency that sends it, found by message id. */
void
hub_intake_unsequenced (tsg_hub_intake_t *self, const char *auth_id, const tsg_envelope_t *env,
                        const uint8_t *frame, size_t len, tsg_hub_answer_t *answer)
{
    const tsg_letter_t *letter = env->letter;
    const char *kind = tsg_kind_name (letter->kind);
    switch (letter->kind) {
    case TSUNAGU__V1__KIND__KIND_HELLO: {
        answer->type = TSG_HUB_ANSWER_HELLO;
        answer->hello = true;
        answer->rewind = letter->hello && letter->hello->resend_from_oldest;
        answer->next_sequence = tsg_hub_sender_last (self->txn, auth_id) + 1;
        if (letter->hello && letter->hello->coordinator_next_sign_public.len == 32) {
            answer->holds_next = true;
            memcpy (answer->holds_next_sign, letter->hello->coordinator_next_sign_public.data, 32);
        }
        s_batch_proofs (self, auth_id, letter->hello && letter->hello->batch_proofs);
        uint64_t ahead = 0, repeats = 0;
        if (s_clock_ahead (self, letter->created_at_ms, &ahead)
            && tsg_hub_quiet_note (self->quiet, auth_id, TSUNAGU__V1__ERROR_CODE__ERROR_CLOCK_SKEW,
                                   tsg_monotonic_ms (), &repeats))
            log_warnx ("agency %s's clock is %llu s ahead of the coordinator's: its letters are "
                       "refused until it is set right",
                       auth_id, (unsigned long long) (ahead / 1000));
        break;
    }
    case TSUNAGU__V1__KIND__KIND_RECEIPT:
        s_receipt (self, auth_id, letter, frame, len, answer);
        break;
    default:
        if (hub_intake_kind_sequenced (letter->kind))
            hub_intake_refuse_repeatable (self, answer, auth_id, kind,
                                          TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED, true,
                                          "a %s letter needs a sequence number from 1", kind);
        else
            hub_intake_refuse_repeatable (self, answer, auth_id, kind,
                                          TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED, true,
                                          "agencies may not send %s letters", kind);
        break;
    }
}

/* The refusal of any letter from an agency that is not active: one final sentence for a
 * revoked or unknown agency, a not-final one for a suspended agency (it resumes by itself).
 * Nothing it sends takes a sequence number or changes anything; receipts go unanswered. */
void
hub_intake_inactive (tsg_hub_intake_t *self, const char *auth_id, const tsg_letter_t *letter,
                     const Tsunagu__V1__AgencyEntry *sender, tsg_hub_answer_t *answer)
{
    const char *kind = tsg_kind_name (letter->kind);
    bool suspended = sender && sender->status == TSUNAGU__V1__AGENCY_STATUS__AGENCY_SUSPENDED;
    Tsunagu__V1__ErrorCode code = !sender     ? TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED
                                  : suspended ? TSUNAGU__V1__ERROR_CODE__ERROR_AGENCY_SUSPENDED
                                              : TSUNAGU__V1__ERROR_CODE__ERROR_AGENCY_REVOKED;
    if (letter->kind == TSUNAGU__V1__KIND__KIND_RECEIPT) {
        hub_intake_ignore (self, answer, auth_id, code, "agency \"%s\" is %s", auth_id,
                           sender ? tsg_agency_status_name (sender->status) : "not registered");
        return;
    }
    if (suspended)
        hub_intake_refuse_repeatable (
            self, answer, auth_id, kind, code, false,
            "agency \"%s\" is suspended: nothing it sends is taken until it "
            "is resumed",
            auth_id);
    else
        hub_intake_refuse_repeatable (self, answer, auth_id, kind, code, true,
                                      "agency \"%s\" is %s: nothing it sends is taken", auth_id,
                                      sender ? tsg_agency_status_name (sender->status)
                                             : "not registered");
}
