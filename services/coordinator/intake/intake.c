/* intake.c — checks each inbound letter (identity, shape, signature, sequence, clock, recipient)
 * and stores it, refuses it or re-answers it (refusals: intake_refuse.c; HELLOs, receipts and
 * inactive senders: intake_unsequenced.c; the header's rules: header_rules.c; what a batch did:
 * intake_effects.c).  Each envelope is decoded once, here, and the decoded letter is what every
 * later step reads; the hub's loop never decodes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/intake/header_rules.h"
#include "coordinator/intake/intake_parts.h"
#include "coordinator/intake/legal_basis.h"
#include "coordinator/model/stats.h"

/* tsg_hub_mail_fn for the casework. */
static void
s_mail_noted (void *arg, const char *recipient)
{
    hub_intake_note_new_mail (arg, recipient);
}

/* tsg_hub_gone_fn for the casework: a withheld entry leaves the session's window as an
 * acknowledged one does. */
static void
s_gone_noted (void *arg, const char *recipient, uint64_t seq)
{
    hub_intake_note_acked (arg, recipient, seq);
}

tsg_hub_intake_t *
tsg_hub_intake_new (const tsg_hub_directory_t *directory, const tsg_keys_t *keys)
{
    tsg_hub_intake_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->directory = directory;
    self->limits = tsg_hub_limits_default ();
    self->casework = tsg_hub_casework_new (directory, keys, s_mail_noted, s_gone_noted, self);
    self->quiet = tsg_hub_quiet_new ();
    self->refusals = tsg_hub_refusals_new ();
    if (!self->casework || !self->quiet || !self->refusals)
        tsg_hub_intake_destroy (&self);
    return self;
}

void
tsg_hub_intake_destroy (tsg_hub_intake_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    tsg_hub_casework_destroy (&(*self_p)->casework);
    tsg_hub_quiet_destroy (&(*self_p)->quiet);
    tsg_hub_refusals_destroy (&(*self_p)->refusals);
    free ((*self_p)->new_mail);
    free ((*self_p)->acked);
    free (*self_p);
    *self_p = NULL;
}

void
tsg_hub_intake_set_audit (tsg_hub_intake_t *self, tsg_hub_audit_t *audit)
{
    self->audit = audit;
    tsg_hub_casework_set_audit (self->casework, audit);
}

tsg_hub_audit_t *
tsg_hub_intake_audit (const tsg_hub_intake_t *self)
{
    return self->audit;
}

void
tsg_hub_intake_begin (tsg_hub_intake_t *self, tsg_txn_t *txn)
{
    self->txn = txn;
    self->now_ms = tsg_now_ms ();
    self->new_mail_count = 0;
    self->acked_count = 0;
    tsg_hub_casework_begin (self->casework, txn, self->now_ms);
}

void
tsg_hub_intake_end (tsg_hub_intake_t *self)
{
    tsg_hub_casework_end (self->casework);
}

void
tsg_hub_intake_set_limits (tsg_hub_intake_t *self, const tsg_hub_limits_t *limits)
{
    self->limits = *limits;
}

const tsg_hub_limits_t *
tsg_hub_intake_limits (const tsg_hub_intake_t *self)
{
    return &self->limits;
}

bool
tsg_hub_intake_store_full (const tsg_hub_intake_t *self)
{
    return self->store_full;
}

void
tsg_hub_intake_set_store_full (tsg_hub_intake_t *self, bool full)
{
    if (full != self->store_full)
        log_warnx (full ? "store: near its ceiling; new letters are refused (store_full) until "
                          "mail is delivered or pruned"
                        : "store: room again; new letters are taken");
    self->store_full = full;
}

void
tsg_hub_intake_registry_changed (tsg_hub_intake_t *self)
{
    tsg_hub_quiet_clear (self->quiet);
}

uint64_t
tsg_hub_intake_repeats (const tsg_hub_intake_t *self, Tsunagu__V1__ErrorCode code)
{
    return tsg_hub_quiet_repeats (self->quiet, code);
}

const tsg_hub_intake_counters_t *
tsg_hub_intake_counters (const tsg_hub_intake_t *self)
{
    return &self->counters;
}

void
tsg_hub_intake_refusals_of (const tsg_hub_intake_t *self, const char *agency,
                            uint64_t out[TSG_HUB_ERROR_CODES])
{
    tsg_hub_refusals_of (self->refusals, agency, out);
}

/* True when created_at is within the accepted clock skew of now: not more than 5 minutes
 * ahead, and not older than the dedup window (an older id may have been forgotten). */
static bool
s_clock_ok (const tsg_hub_intake_t *self, uint64_t created_at)
{
    if (created_at > self->now_ms + TSG_HUB_SKEW_AHEAD_MS)
        return false;
    return self->now_ms < self->limits.dedup_ms
           || created_at >= self->now_ms - self->limits.dedup_ms;
}

/* The checks a new sequenced letter must pass before it is stored.  Returns 0 (stored may
 * go ahead) or the error code, with the sentence in detail. */
static Tsunagu__V1__ErrorCode
s_check_new (const tsg_hub_intake_t *self, const tsg_letter_t *letter, char *detail, size_t size)
{
    const char *kind = tsg_kind_name (letter->kind);
    if (!hub_intake_kind_sequenced (letter->kind)) {
        snprintf (detail, size, "agencies may not send %s letters with a sequence number", kind);
        return TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED;
    }
    if (!s_clock_ok (self, letter->created_at_ms)) {
        snprintf (detail, size,
                  "created_at is more than 5 minutes ahead or %llu days behind the coordinator's "
                  "clock",
                  (unsigned long long) (self->limits.dedup_ms / (24 * 3600 * 1000)));
        return TSUNAGU__V1__ERROR_CODE__ERROR_CLOCK_SKEW;
    }
    Tsunagu__V1__ErrorCode header_code = tsg_hub_header_check (letter, detail, size);
    if (header_code != 0)
        return header_code;
    /* The sender's type is the registry's; a header that says otherwise is not believed. */
    const Tsunagu__V1__AgencyEntry *from = tsg_hub_directory_find (self->directory, letter->sender);
    const char *claimed = letter->header ? letter->header->sender_type : NULL;
    if (from && claimed && *claimed && strcmp (claimed, from->type) != 0) {
        snprintf (detail, size,
                  "header.sender_type is \"%.32s\" but agency \"%s\" is registered as %s", claimed,
                  letter->sender, from->type);
        return TSUNAGU__V1__ERROR_CODE__ERROR_SENDER_MISMATCH;
    }
    /* Case events and consent letters go to the coordinator, which passes them on to the
     * case's agencies. */
    bool to_coordinator = strcmp (letter->recipient, TSG_COORDINATOR_ID) == 0;
    bool fans_out = tsg_hub_casework_fans_out (letter->kind);
    if (fans_out || to_coordinator) {
        if (fans_out && to_coordinator)
            return 0;
        if (to_coordinator)
            snprintf (detail, size, "the coordinator takes only case-event and consent letters");
        else
            snprintf (detail, size, "%s letters go to the coordinator", kind);
        return TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED;
    }
    const Tsunagu__V1__AgencyEntry *to =
        tsg_hub_directory_find (self->directory, letter->recipient);
    if (!to) {
        snprintf (detail, size, "no agency \"%s\" is registered", letter->recipient);
        return TSUNAGU__V1__ERROR_CODE__ERROR_UNKNOWN_RECIPIENT;
    }
    if (to->status != TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE) {
        snprintf (detail, size, "agency \"%s\" is %s", letter->recipient,
                  tsg_agency_status_name (to->status));
        return TSUNAGU__V1__ERROR_CODE__ERROR_RECIPIENT_INACTIVE;
    }
    if ((letter->body.len > 0 || letter->n_sealed_bodies > 0)
        && (!letter->header
            || letter->header->legal_basis == TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_UNSPECIFIED)) {
        snprintf (detail, size, "a letter with a body must name its legal basis");
        return TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS;
    }
    return 0;
}

/* A letter whose sequence number auth_id used before: the same letter sent again is answered
 * as it was the first time (STORED, or its refusal from its record); another letter with that
 * number is refused. */
static void
s_answer_again (tsg_hub_intake_t *self, const char *auth_id, const tsg_letter_t *letter,
                tsg_hub_answer_t *answer)
{
    const char *kind = tsg_kind_name (letter->kind);
    const uint8_t *id = letter->message_id.data;
    tsg_hub_message_t known;
    if (tsg_hub_message_get (self->txn, id, &known) && strcmp (known.sender, auth_id) == 0) {
        if (known.state == TSG_HUB_MSG_REFUSED) {
            answer->type = TSG_HUB_ANSWER_ERROR;
            answer->code = known.error_code;
            answer->final = true;
            snprintf (answer->detail, sizeof answer->detail, "%s", known.detail);
        }
        else
            answer->type = TSG_HUB_ANSWER_STORED;
        if (log_verbose ()) {
            char text[17];
            log_debug ("resend of %s %s seq %llu from %s: answered again", kind,
                       hub_intake_id_text (id, TSG_MESSAGE_ID_SIZE, text),
                       (unsigned long long) letter->sequence, auth_id);
        }
    }
    else
        hub_intake_refuse_repeatable (self, answer, auth_id, kind,
                                      TSUNAGU__V1__ERROR_CODE__ERROR_OUT_OF_ORDER, true,
                                      "sequence %llu was already used by another letter",
                                      (unsigned long long) letter->sequence);
}

/* Refuses a letter that took its sequence number with code and detail: logged (a full quota
 * or store once per cause, with its alert) and audited, and, unless its id was taken, a
 * MESSAGES record that answers a resend the same way. */
static void
s_refuse_numbered (tsg_hub_intake_t *self, const char *auth_id, const tsg_letter_t *letter,
                   Tsunagu__V1__ErrorCode code, const char *detail, bool id_taken,
                   tsg_hub_answer_t *answer)
{
    const char *kind = tsg_kind_name (letter->kind);
    /* A full quota or store refuses letter after letter for one cause: logged once. */
    if (code == TSUNAGU__V1__ERROR_CODE__ERROR_QUOTA_EXCEEDED
        || code == TSUNAGU__V1__ERROR_CODE__ERROR_STORE_FULL) {
        if (hub_intake_refuse_repeatable (self, answer, auth_id, kind, code, true, "%s", detail))
            hub_intake_alert_full (self, auth_id, code, detail);
    }
    else
        hub_intake_refuse (self, answer, auth_id, kind, code, true, "%s", detail);
    if (id_taken)
        return;
    tsg_hub_message_t msg = { .state = TSG_HUB_MSG_REFUSED,
                              .kind = letter->kind,
                              .error_code = code,
                              .at_ms = self->now_ms };
    snprintf (msg.sender, sizeof msg.sender, "%s", auth_id);
    snprintf (msg.recipient, sizeof msg.recipient, "%s", letter->recipient);
    snprintf (msg.detail, sizeof msg.detail, "%s", answer->detail);
    tsg_hub_message_put (self->txn, letter->message_id.data, &msg);
}

/* A letter with a sequence number: dedup, order, then store or refuse (proto/README.md §4). */
static void
s_sequenced (tsg_hub_intake_t *self, const char *auth_id, const tsg_envelope_t *env,
             const uint8_t *frame, size_t len, tsg_hub_answer_t *answer)
{
    tsg_txn_t *txn = self->txn;
    const tsg_letter_t *letter = env->letter;
    const char *kind = tsg_kind_name (letter->kind);
    const uint8_t *id = letter->message_id.data;
    uint64_t seq = letter->sequence;
    /* Whatever follows reads or writes the batch's transaction. */
    answer->needs_commit = true;
    uint64_t last = tsg_hub_sender_last (txn, auth_id);
    if (txn->rc != TSG_OK) {
        tsg_hub_answer_store_failed (answer);
        return;
    }
    if (seq <= last) {
        s_answer_again (self, auth_id, letter, answer);
        return;
    }
    if (seq > last + 1 && hub_intake_resynced (self, auth_id, last, seq))
        last = seq - 1;
    if (seq > last + 1) {
        hub_intake_refuse_repeatable (
            self, answer, auth_id, kind, TSUNAGU__V1__ERROR_CODE__ERROR_OUT_OF_ORDER, false,
            "expected sequence %llu, got %llu: resend from the first unacknowledged letter",
            (unsigned long long) (last + 1), (unsigned long long) seq);
        return;
    }

    /* seq == last + 1: this letter takes the number, whether it is stored or refused. */
    tsg_hub_sender_set (txn, auth_id, seq);
    char detail[TSG_HUB_DETAIL_MAX];
    Tsunagu__V1__ErrorCode code = s_check_new (self, letter, detail, sizeof detail);
    tsg_hub_message_t known;
    bool id_taken = tsg_hub_message_get (txn, id, &known);
    if (code == 0 && id_taken) {
        code = TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED;
        snprintf (detail, sizeof detail, "the message id was already used");
    }
    /* Room: the store near its ceiling, or this sender's or this mailbox's quota full. */
    bool fans_out = tsg_hub_casework_fans_out (letter->kind);
    if (code == 0 && !id_taken && self->store_full) {
        code = TSUNAGU__V1__ERROR_CODE__ERROR_STORE_FULL;
        snprintf (detail, sizeof detail,
                  "the coordinator's store is near its ceiling; the letter was not taken");
    }
    if (code == 0 && !id_taken
        && !tsg_hub_quota_check (txn, &self->limits, auth_id, fans_out ? NULL : letter->recipient,
                                 len, detail, sizeof detail)) {
        code = TSUNAGU__V1__ERROR_CODE__ERROR_QUOTA_EXCEEDED;
        tsg_hub_stat_add2 (txn, TSG_HUB_STAT_QUOTA_REFUSED, auth_id, 1);
    }
    /* Referrals, cases and consents: checked against their records and the legal basis and,
     * when fine, applied. */
    tsg_hub_route_t route;
    memset (&route, 0, sizeof route);
    if (code == 0 && tsg_hub_casework_takes (letter->kind))
        code = tsg_hub_casework_take (self->casework, auth_id, letter, frame, len, &route, detail,
                                      sizeof detail);
    if (code != 0) {
        s_refuse_numbered (self, auth_id, letter, code, detail, id_taken, answer);
        return;
    }
    /* A fan-out letter was stored by the casework, once for each agency on the case; mail
     * under a consent is noted, so that the consent's end withholds it. */
    uint64_t mailbox_seq = 0;
    if (!fans_out) {
        mailbox_seq = tsg_hub_mailbox_put (txn, letter->recipient, auth_id, letter->kind, id, frame,
                                           len, self->now_ms);
        if (mailbox_seq != 0) {
            hub_intake_note_new_mail (self, letter->recipient);
            if (route.consent_id[0])
                tsg_hub_consent_note_mail (txn, route.consent_id, letter->recipient, mailbox_seq);
        }
    }
    if (txn->rc != TSG_OK) {
        tsg_hub_answer_store_failed (answer);
        return;
    }
    hub_intake_audit_allowed (self, auth_id, letter, &route);
    answer->type = TSG_HUB_ANSWER_STORED;
    self->counters.stored++;
    if (log_verbose ()) {
        char text[17];
        log_debug ("stored %s %s seq %llu from %s for %s (mailbox %llu, %zu bytes)", kind,
                   hub_intake_id_text (id, TSG_MESSAGE_ID_SIZE, text), (unsigned long long) seq,
                   auth_id, letter->recipient, (unsigned long long) mailbox_seq, len);
    }
}

/* The refusal of a letter that came on a connection not authenticated as an agency. */
static bool
s_unauthenticated (tsg_hub_intake_t *self, const char *auth_id, tsg_hub_answer_t *answer)
{
    if (auth_id && tsg_agency_id_valid (auth_id))
        return false;
    hub_intake_refuse_repeatable (self, answer, auth_id ? auth_id : "?", "letter",
                                  TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED, true,
                                  "the connection is not authenticated as an agency");
    return true;
}

/* Decides a decoded letter (answer zeroed, the connection authenticated as an agency). */
static void
s_decoded (tsg_hub_intake_t *self, const char *auth_id, const tsg_envelope_t *env,
           const uint8_t *frame, size_t len, tsg_hub_answer_t *answer)
{
    const tsg_letter_t *letter = env->letter;
    const char *kind = tsg_kind_name (letter->kind);
    memcpy (answer->about, letter->message_id.data, TSG_MESSAGE_ID_SIZE);
    answer->has_about = true;
    self->letter = letter;

    const Tsunagu__V1__AgencyEntry *sender = tsg_hub_directory_find (self->directory, auth_id);
    if (strcmp (letter->sender, auth_id) != 0)
        hub_intake_refuse_repeatable (
            self, answer, auth_id, kind, TSUNAGU__V1__ERROR_CODE__ERROR_SENDER_MISMATCH, true,
            "the letter claims to be from \"%s\" but the connection belongs to \"%s\"",
            letter->sender, auth_id);
    else if (!sender || sender->status != TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE)
        hub_intake_inactive (self, auth_id, letter, sender, answer);
    /* Whoever holds the transport key but not the signing key changes nothing: a letter
     * that does not verify takes no sequence number and leaves no record. */
    else if (!tsg_envelope_verify (env, sender->sign_public.data)
             && !hub_intake_rotated (self, auth_id, sender, env))
        hub_intake_refuse_repeatable (self, answer, auth_id, kind,
                                      TSUNAGU__V1__ERROR_CODE__ERROR_BAD_SIGNATURE, true,
                                      "the signature does not verify with the sender's key");
    else {
        /* Only from here on may the letter move the agency's session (hub.c). */
        answer->verified = true;
        if (letter->sequence > 0)
            s_sequenced (self, auth_id, env, frame, len, answer);
        else
            hub_intake_unsequenced (self, auth_id, env, frame, len, answer);
    }
    self->letter = NULL;
}

/* Counts the answer's refusal, if it is one, in all and against the sender auth_id. */
static void
s_count (tsg_hub_intake_t *self, const char *auth_id, const tsg_hub_answer_t *answer)
{
    if (answer->type == TSG_HUB_ANSWER_ERROR && (unsigned) answer->code < TSG_HUB_ERROR_CODES) {
        self->counters.refused[answer->code]++;
        tsg_hub_refusals_count (self->refusals, auth_id, (unsigned) answer->code);
    }
}

void
tsg_hub_intake_letter (tsg_hub_intake_t *self, const char *auth_id, const uint8_t *frame,
                       size_t len, tsg_hub_answer_t *answer)
{
    memset (answer, 0, sizeof *answer);
    if (s_unauthenticated (self, auth_id, answer))
        return;
    /* The one decode of the envelope: everything after it reads the decoded letter. */
    tsg_envelope_t env = { NULL, NULL };
    const char *why = NULL;
    int rc = tsg_envelope_decode (frame, len, &env, &why);
    self->counters.decoded++;
    if (rc != TSG_OK) {
        hub_intake_undecodable (self, answer, auth_id, frame, len, rc, why);
        return;
    }
    s_decoded (self, auth_id, &env, frame, len, answer);
    tsg_envelope_clear (&env);
    s_count (self, auth_id, answer);
}

void
tsg_hub_intake_envelope (tsg_hub_intake_t *self, const char *auth_id, const tsg_envelope_t *env,
                         const uint8_t *frame, size_t len, tsg_hub_answer_t *answer)
{
    memset (answer, 0, sizeof *answer);
    if (s_unauthenticated (self, auth_id, answer))
        return;
    s_decoded (self, auth_id, env, frame, len, answer);
    s_count (self, auth_id, answer);
}

Tsunagu__V1__ErrorCode
tsg_hub_intake_staff (tsg_hub_intake_t *self, const uint8_t *frame, size_t len, char *detail,
                      size_t size)
{
    tsg_envelope_t env = { NULL, NULL };
    const char *why = NULL;
    self->counters.decoded++;
    if (tsg_envelope_decode (frame, len, &env, &why) != TSG_OK) {
        snprintf (detail, size, "%s", why ? why : "the event cannot be encoded");
        return TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED;
    }
    Tsunagu__V1__ErrorCode code = TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED;
    tsg_hub_route_t route;
    memset (&route, 0, sizeof route);
    if (env.letter->kind != TSUNAGU__V1__KIND__KIND_CASE_EVENT
        || strcmp (env.letter->sender, TSG_COORDINATOR_ID) != 0)
        snprintf (detail, size, "only the coordinator's own case events are taken here");
    else
        code = tsg_hub_casework_take (self->casework, TSG_COORDINATOR_ID, env.letter, frame, len,
                                      &route, detail, size);
    self->letter = env.letter;
    if (code != 0) {
        if ((unsigned) code < TSG_HUB_ERROR_CODES)
            self->counters.refused[code]++;
        log_info ("refused the coordinator's case event: %s: %s", tsg_error_code_name (code),
                  detail);
        tsg_hub_answer_t answer = { .type = TSG_HUB_ANSWER_ERROR, .code = code, .final = true };
        memcpy (answer.about, env.letter->message_id.data, TSG_MESSAGE_ID_SIZE);
        answer.has_about = true;
        snprintf (answer.detail, sizeof answer.detail, "%s", detail);
        hub_intake_audit_refused (self, TSG_COORDINATOR_ID, &answer);
    }
    else {
        self->counters.stored++;
        hub_intake_audit_allowed (self, TSG_COORDINATOR_ID, env.letter, &route);
    }
    self->letter = NULL;
    tsg_envelope_clear (&env);
    return code;
}

size_t
tsg_hub_intake_withhold_succeeded (tsg_hub_intake_t *self, const char *previous, const char *agency)
{
    return tsg_hub_casework_withhold_mailbox (self->casework, previous, agency);
}

size_t
tsg_hub_intake_expire (tsg_hub_intake_t *self, tsg_store_t *store)
{
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, false);
    uint64_t next = tsg_hub_consents_next_end (&txn);
    tsg_txn_abort (&txn);
    if (next > tsg_now_ms ())
        return 0;
    tsg_txn_begin (store, &txn, true);
    tsg_hub_intake_begin (self, &txn);
    size_t ended = tsg_hub_casework_expire (self->casework);
    tsg_hub_intake_end (self);
    if (self->audit && txn.rc == TSG_OK && tsg_hub_audit_flush (self->audit, &txn) != TSG_OK
        && txn.rc == TSG_OK)
        txn.rc = TSG_ERR_IO;
    int rc = tsg_txn_commit (&txn);
    if (rc != TSG_OK) {
        if (self->audit)
            tsg_hub_audit_rollback (self->audit);
        log_warnx ("store: ended consents could not be committed (%s); trying again",
                   tsg_strerror (rc));
        self->new_mail_count = 0;
        self->acked_count = 0;
        return 0;
    }
    return ended;
}

size_t
tsg_hub_intake_prune (tsg_hub_intake_t *self, tsg_store_t *store)
{
    uint64_t now = tsg_now_ms ();
    if (now <= self->limits.dedup_ms)
        return 0;
    tsg_txn_t txn;
    tsg_txn_begin (store, &txn, true);
    size_t n = tsg_hub_messages_prune (&txn, &self->prune, now - self->limits.dedup_ms,
                                       8 * TSG_HUB_PRUNE_KEYS);
    tsg_hub_stat_add (&txn, TSG_HUB_STAT_PRUNED, (int64_t) n);
    if (n == 0 || tsg_txn_commit (&txn) != TSG_OK) {
        tsg_txn_abort (&txn);
        return 0;
    }
    return n;
}
