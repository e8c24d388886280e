/* referral_flow.c — REFERRAL and REFERRAL_STATUS letters: a referral is checked (parties,
 * case membership, legal basis), recorded with its due dates, and opens or joins its case (an
 * emergency report raises an alert); a status change is checked against the shared table of
 * transitions and moves the referral and its case's figures.  Owns nothing: records are
 * model/referrals.c's and model/cases.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsg_agency_types.h"
#include "coordinator/intake/casework_parts.h"
#include "coordinator/intake/legal_basis.h"
#include "coordinator/model/alerts.h"
#include "coordinator/model/overview.h"
#include "coordinator/model/referrals.h"
#include "coordinator/model/stats.h"

/* ---- REFERRAL ---------------------------------------------------------------------- */

/* Raises the alert of an emergency report that was let through: a record, a counter, a
 * warning in the log, an audit record. */
static void
s_alert (tsg_hub_casework_t *self, const char *sender, const tsg_letter_t *letter,
         const tsg_hub_referral_t *ref)
{
    tsg_hub_alert_t alert;
    memset (&alert, 0, sizeof alert);
    alert.at_ms = self->now_ms;
    tsg_hex_encode (letter->message_id.data, TSG_MESSAGE_ID_SIZE, alert.message_id);
    memcpy (alert.referral_id, ref->id, TSG_UUID_TEXT_SIZE);
    memcpy (alert.case_id, ref->case_id, TSG_UUID_TEXT_SIZE);
    tsg_hub_copy (alert.sender, sizeof alert.sender, sender);
    tsg_hub_copy (alert.sender_type, sizeof alert.sender_type, hub_casework_type_of (self, sender));
    tsg_hub_copy (alert.recipient, sizeof alert.recipient, ref->recipient);
    tsg_hub_alert_add (self->txn, &alert);
    log_warnx ("ALERT %llu: emergency report (%s) from %s to %s: referral %s, case %s",
               (unsigned long long) alert.n, tsg_agency_report_law (alert.sender_type), sender,
               ref->recipient, ref->id, ref->case_id);
    hub_casework_audit (
        self, "alert", letter->message_id.data, sender, ref->recipient, letter->kind,
        json_pack ("{s:I, s:s, s:s, s:s, s:s, s:s}", "alert", (json_int_t) alert.n, "basis",
                   "emergency", "law", tsg_agency_report_law (alert.sender_type), "sender_type",
                   alert.sender_type, "case_id", ref->case_id, "referral_id", ref->id));
}

/* Adds agency to case c with a JOINED entry; returns 1 when it joined, 0 when it was on. */
static int
s_join (tsg_hub_casework_t *self, tsg_hub_case_t *c, const char *agency, const char *by,
        const tsg_letter_t *letter)
{
    if (tsg_hub_case_has_agency (c, agency))
        return 0;
    tsg_hub_case_add_agency (c, agency);
    tsg_hub_event_t ev;
    hub_casework_event_init (self, &ev, TSG_HUB_EV_JOINED, by, letter);
    tsg_hub_copy (ev.agency, sizeof ev.agency, agency);
    ev.version = c->version;
    tsg_hub_timeline_append (self->txn, c, &ev, NULL);
    return 1;
}

/* The checks of a REFERRAL before anything is recorded: its header, its parties, the case's
 * members and room, and the legal basis.  Leaves the case as stored in self->old and as it
 * starts to change in self->now (a new one when !*exists), and the recipient in *to. */
static Tsunagu__V1__ErrorCode
s_referral_check (tsg_hub_casework_t *self, const char *sender, const tsg_letter_t *letter,
                  const Tsunagu__V1__AgencyEntry **to_out, bool *exists_out, size_t *joining_out,
                  tsg_hub_route_t *route, char *detail, size_t size)
{
    tsg_txn_t *txn = self->txn;
    const tsg_header_t *h = letter->header;
    if (!h || !tsg_uuid_valid (h->referral_id) || !tsg_uuid_valid (h->case_id))
        REFUSE (ERROR_MALFORMED, "a referral needs a referral_id and a case_id, each a "
                                 "lowercase UUID");
    if (strcmp (sender, letter->recipient) == 0)
        REFUSE (ERROR_NOT_PERMITTED, "an agency cannot refer to itself");
    if ((unsigned) h->urgency > TSUNAGU__V1__URGENCY__URGENCY_EMERGENCY)
        REFUSE (ERROR_MALFORMED, "unknown urgency %d", (int) h->urgency);
    for (size_t i = 0; i < h->n_tags; i++)
        if (!tsg_text_ok (h->tags[i], TSG_TAG_LEN_MAX))
            REFUSE (ERROR_MALFORMED, "tag %zu is not 1 to %d bytes of text", i + 1,
                    TSG_TAG_LEN_MAX);
    /* Whether a tag looks like personal data the intake checked (s_check_header). */
    tsg_hub_referral_t ref;
    if (tsg_hub_referral_get (txn, h->referral_id, &ref))
        REFUSE (ERROR_NOT_PERMITTED, "referral %s already exists", h->referral_id);
    const Tsunagu__V1__AgencyEntry *to =
        tsg_hub_directory_find (self->directory, letter->recipient);
    if (!to)
        REFUSE (ERROR_UNKNOWN_RECIPIENT, "no agency \"%s\" is registered", letter->recipient);

    tsg_hub_case_t *old = self->old, *c = self->now;
    bool exists = tsg_hub_case_get (txn, h->case_id, old);
    /* Membership is granted, never claimed: a referral about a case makes its recipient a
     * member, and only a member may send one. */
    if (exists && h->opens_case)
        REFUSE (ERROR_NOT_PERMITTED,
                "case %s exists already: a referral that opens a case names a new case id",
                h->case_id);
    if (exists && !tsg_hub_case_has_agency (old, sender))
        REFUSE (ERROR_NOT_CASE_MEMBER,
                "agency \"%s\" is not on case %s: only its agencies may refer about it", sender,
                h->case_id);
    if (!exists && hub_casework_case_id_claimed (self, h->case_id, sender))
        REFUSE (ERROR_NOT_CASE_MEMBER,
                "case id %s is already in use by another agency's consent: choose a new case id",
                h->case_id);
    if (exists)
        *c = *old;
    else {
        memset (c, 0, sizeof *c);
        memcpy (c->id, h->case_id, TSG_UUID_TEXT_SIZE);
        c->state = TSG_CASE_OPEN;
        c->created_at_ms = self->now_ms;
        tsg_hub_copy (c->opened_by, sizeof c->opened_by, sender);
    }
    size_t joining = !tsg_hub_case_has_agency (c, sender) + !tsg_hub_case_has_agency (c, to->id);
    if (c->n_agencies + joining > TSG_HUB_CASE_AGENCIES_MAX)
        REFUSE (ERROR_NOT_PERMITTED, "case %s already has %d agencies", c->id,
                TSG_HUB_CASE_AGENCIES_MAX);
    Tsunagu__V1__ErrorCode code = hub_casework_legal (
        self, sender, letter, to->id, h->case_id, exists ? old : NULL, NULL, route, detail, size);
    if (code != 0)
        return code;
    memcpy (route->referral_id, h->referral_id, TSG_UUID_TEXT_SIZE);
    *to_out = to;
    *exists_out = exists;
    *joining_out = joining;
    return 0;
}

/* Records the referral of a checked REFERRAL into *ref: requested, due dates from the
 * recipient's registry entry (or its type's), counted; an emergency report raises its alert. */
static void
s_referral_record (tsg_hub_casework_t *self, const char *sender, const tsg_letter_t *letter,
                   const Tsunagu__V1__AgencyEntry *to, const tsg_hub_route_t *route,
                   tsg_hub_referral_t *ref)
{
    tsg_txn_t *txn = self->txn;
    const tsg_header_t *h = letter->header;
    memset (ref, 0, sizeof *ref);
    memcpy (ref->id, h->referral_id, TSG_UUID_TEXT_SIZE);
    memcpy (ref->case_id, h->case_id, TSG_UUID_TEXT_SIZE);
    tsg_hub_copy (ref->sender, sizeof ref->sender, sender);
    tsg_hub_copy (ref->recipient, sizeof ref->recipient, to->id);
    tsg_hub_copy (ref->recipient_type, sizeof ref->recipient_type, to->type);
    tsg_hub_copy (ref->updated_by, sizeof ref->updated_by, sender);
    ref->state = TSG_REF_REQUESTED;
    ref->urgency = (int) h->urgency;
    ref->version = 1;
    /* The sender's clock dates it (the letter's time, never later than ours). */
    ref->created_at_ms =
        letter->created_at_ms < self->now_ms ? letter->created_at_ms : self->now_ms;
    ref->updated_at_ms = self->now_ms;
    unsigned response_days =
        to->response_due_days ? to->response_due_days : tsg_type_response_due_days (to->type);
    unsigned receive_days = to->receive_due_days ? to->receive_due_days : 1;
    tsg_due_dates (ref->created_at_ms, receive_days, response_days, ref->urgency,
                   &ref->receive_due_ms, &ref->response_due_ms);
    tsg_hub_referral_put (txn, NULL, ref);
    tsg_hub_stat_add (txn, TSG_HUB_STAT_REFERRALS, 1);
    tsg_hub_stat_add2 (txn, TSG_HUB_STAT_REF_STATE, "requested", 1);
    if (route->flags & TSG_HUB_LEGAL_ALERT)
        s_alert (self, sender, letter, ref);
}

/* What a recorded referral ref does to its case (self->now, from self->old when it exists):
 * opened, joined by both parties, tagged, and multi-agency at its second agency; stored, and
 * announced at the end of the batch when it changed. */
static void
s_referral_case (tsg_hub_casework_t *self, const char *sender, const tsg_letter_t *letter,
                 const tsg_hub_referral_t *ref, bool exists, size_t joining)
{
    tsg_txn_t *txn = self->txn;
    const tsg_header_t *h = letter->header;
    tsg_hub_case_t *old = self->old, *c = self->now;
    size_t agencies_before = c->n_agencies;
    bool tags_changed = false;
    for (size_t i = 0; i < h->n_tags; i++)
        tags_changed |= tsg_hub_case_add_tag (c, h->tags[i]);
    bool to_multi = c->state == TSG_CASE_OPEN && agencies_before + joining >= 2;
    bool bump = !exists || joining > 0 || tags_changed || to_multi;
    c->version = exists ? old->version + (bump ? 1 : 0) : 1;
    tsg_hub_event_t ev;
    int joined = 0;
    if (!exists) {
        hub_casework_event_init (self, &ev, TSG_HUB_EV_OPENED, sender, letter);
        tsg_hub_copy (ev.agency, sizeof ev.agency, sender);
        tsg_hub_copy (ev.to, sizeof ev.to, "open");
        ev.version = c->version;
        tsg_hub_timeline_append (txn, c, &ev, NULL);
        tsg_hub_case_add_agency (c, sender);
        joined = 1;
        tsg_hub_stat_add (txn, TSG_HUB_STAT_CASES_OPENED, 1);
        tsg_hub_overview_note_case (txn, c->created_at_ms);
    }
    else
        joined += s_join (self, c, sender, sender, letter);
    hub_casework_event_init (self, &ev, TSG_HUB_EV_REFERRAL, sender, letter);
    tsg_hub_copy (ev.agency, sizeof ev.agency, ref->recipient);
    tsg_hub_copy (ev.referral_id, sizeof ev.referral_id, ref->id);
    tsg_hub_copy (ev.to, sizeof ev.to, "requested");
    ev.version = c->version;
    tsg_hub_timeline_append (txn, c, &ev, NULL);
    joined += s_join (self, c, ref->recipient, sender, letter);
    tsg_hub_stat_add (txn, TSG_HUB_STAT_CASES_AGENCIES, joined);
    if (to_multi) {
        hub_casework_event_init (self, &ev, TSG_HUB_EV_STATE, TSG_COORDINATOR_ID, letter);
        tsg_hub_copy (ev.from, sizeof ev.from, tsg_case_state_name (c->state));
        tsg_hub_copy (ev.to, sizeof ev.to, tsg_case_state_name (TSG_CASE_MULTI_AGENCY));
        ev.automatic = true;
        ev.version = c->version;
        tsg_hub_timeline_append (txn, c, &ev, NULL);
        c->state = TSG_CASE_MULTI_AGENCY;
        if (agencies_before < 2)
            tsg_hub_stat_add (txn, TSG_HUB_STAT_CASES_MULTI, 1);
    }
    c->referrals++;
    c->updated_at_ms = self->now_ms;
    if (bump) {
        c->last_event_id[0] = '\0';
        tsg_hub_copy (c->last_event_type, sizeof c->last_event_type, "referral");
        tsg_hub_copy (c->last_event_by, sizeof c->last_event_by, sender);
        /* A referral marked opens_case stands for the case's first CASE_UPDATE: both parties
         * know from it all that update would say (version 1, multi-agency, the two of them,
         * its tags), so none is sent — unless a later letter of the batch changes the case. */
        if (exists || !h->opens_case)
            hub_casework_changed (self, c->id);
    }
    tsg_hub_case_put (txn, exists ? old : NULL, c);
}

Tsunagu__V1__ErrorCode
hub_casework_referral (tsg_hub_casework_t *self, const char *sender, const tsg_letter_t *letter,
                       tsg_hub_route_t *route, char *detail, size_t size)
{
    const Tsunagu__V1__AgencyEntry *to = NULL;
    bool exists = false;
    size_t joining = 0;
    Tsunagu__V1__ErrorCode code =
        s_referral_check (self, sender, letter, &to, &exists, &joining, route, detail, size);
    if (code != 0)
        return code;
    /* Checked: from here on it is recorded. */
    tsg_hub_referral_t ref;
    s_referral_record (self, sender, letter, to, route, &ref);
    s_referral_case (self, sender, letter, &ref, exists, joining);
    return 0;
}

/* ---- REFERRAL_STATUS --------------------------------------------------------------- */

/* Moves the case's figures for a referral that reached to; true when they moved. */
static bool
s_case_figures (tsg_hub_casework_t *self, tsg_hub_case_t *c, tsg_ref_state_t to)
{
    tsg_txn_t *txn = self->txn;
    uint64_t took = self->now_ms > c->created_at_ms ? self->now_ms - c->created_at_ms : 0;
    if (to == TSG_REF_RECEIVED && c->first_received_at_ms == 0) {
        c->first_received_at_ms = self->now_ms;
        tsg_hub_stat_add (txn, TSG_HUB_STAT_CASE_RECEIVED_COUNT, 1);
        tsg_hub_stat_add (txn, TSG_HUB_STAT_CASE_RECEIVED_SUM, (int64_t) took);
        return true;
    }
    if (to == TSG_REF_ACCEPTED && c->first_accepted_at_ms == 0) {
        c->first_accepted_at_ms = self->now_ms;
        tsg_hub_stat_add (txn, TSG_HUB_STAT_CASE_ACCEPTED_COUNT, 1);
        tsg_hub_stat_add (txn, TSG_HUB_STAT_CASE_ACCEPTED_SUM, (int64_t) took);
        return true;
    }
    return false;
}

Tsunagu__V1__ErrorCode
hub_casework_status (tsg_hub_casework_t *self, const char *sender, const tsg_letter_t *letter,
                     tsg_hub_route_t *route, char *detail, size_t size)
{
    tsg_txn_t *txn = self->txn;
    const tsg_header_t *h = letter->header;
    if (!h || !h->referral_id || !*h->referral_id)
        REFUSE (ERROR_MALFORMED, "a referral status letter needs a referral_id");
    tsg_hub_referral_t ref;
    if (!tsg_hub_referral_get (txn, h->referral_id, &ref))
        REFUSE (ERROR_UNKNOWN_REFERRAL, "no referral %.64s is known", h->referral_id);
    tsg_party_t party;
    const char *other;
    if (strcmp (sender, ref.sender) == 0) {
        party = TSG_PARTY_SENDER;
        other = ref.recipient;
    }
    else if (strcmp (sender, ref.recipient) == 0) {
        party = TSG_PARTY_RECIPIENT;
        other = ref.sender;
    }
    else
        REFUSE (ERROR_NOT_PERMITTED, "agency \"%s\" is not a party to referral %s", sender, ref.id);
    if (strcmp (letter->recipient, other) != 0)
        REFUSE (ERROR_NOT_PERMITTED, "a status change of referral %s goes to \"%s\"", ref.id,
                other);
    if (h->case_id && *h->case_id && strcmp (h->case_id, ref.case_id) != 0)
        REFUSE (ERROR_NOT_PERMITTED, "referral %s belongs to case %s", ref.id, ref.case_id);
    if (h->base_version != ref.version)
        REFUSE (ERROR_STALE_VERSION, "the referral is at version %llu (%s), not %llu",
                (unsigned long long) ref.version, tsg_ref_state_name (ref.state),
                (unsigned long long) h->base_version);
    tsg_ref_state_t to;
    if (!tsg_ref_state_parse (h->status, &to))
        REFUSE (ERROR_ILLEGAL_TRANSITION, "\"%.32s\" is not a referral state",
                h->status ? h->status : "");
    tsg_outcome_t outcome = TSG_OUTCOME_NONE;
    if (h->outcome && *h->outcome && !tsg_outcome_parse (h->outcome, &outcome))
        REFUSE (ERROR_ILLEGAL_TRANSITION, "\"%.32s\" is not an outcome code", h->outcome);
    const char *why =
        tsg_ref_transition_check (ref.state, to, party, h->reason_given ? "given" : NULL, outcome);
    if (why)
        REFUSE (ERROR_ILLEGAL_TRANSITION, "%s (the referral is %s)", why,
                tsg_ref_state_name (ref.state));
    tsg_hub_case_t *old = self->old, *c = self->now;
    bool have_case = tsg_hub_case_get (txn, ref.case_id, old);
    Tsunagu__V1__ErrorCode code =
        hub_casework_legal (self, sender, letter, other, ref.case_id, have_case ? old : NULL, NULL,
                            route, detail, size);
    if (code != 0)
        return code;
    memcpy (route->referral_id, ref.id, TSG_UUID_TEXT_SIZE);

    /* Checked: apply. */
    tsg_hub_referral_t before = ref;
    ref.state = to;
    ref.outcome = outcome;
    ref.reason_given = h->reason_given;
    ref.version++;
    ref.updated_at_ms = self->now_ms;
    tsg_hub_copy (ref.updated_by, sizeof ref.updated_by, sender);
    uint64_t took = self->now_ms > ref.created_at_ms ? self->now_ms - ref.created_at_ms : 0;
    if (to == TSG_REF_RECEIVED && ref.received_at_ms == 0) {
        ref.received_at_ms = self->now_ms;
        tsg_hub_stat_add (txn, TSG_HUB_STAT_REF_RECEIVED_COUNT, 1);
        tsg_hub_stat_add (txn, TSG_HUB_STAT_REF_RECEIVED_SUM, (int64_t) took);
    }
    if (to == TSG_REF_ACCEPTED && ref.accepted_at_ms == 0) {
        ref.accepted_at_ms = self->now_ms;
        tsg_hub_stat_add (txn, TSG_HUB_STAT_REF_ACCEPTED_COUNT, 1);
        tsg_hub_stat_add (txn, TSG_HUB_STAT_REF_ACCEPTED_SUM, (int64_t) took);
    }
    if (tsg_ref_state_terminal (to) && ref.closed_at_ms == 0)
        ref.closed_at_ms = self->now_ms;
    tsg_hub_referral_put (txn, &before, &ref);
    tsg_hub_stat_add2 (txn, TSG_HUB_STAT_REF_STATE, tsg_ref_state_name (before.state), -1);
    tsg_hub_stat_add2 (txn, TSG_HUB_STAT_REF_STATE, tsg_ref_state_name (to), 1);

    if (!have_case) {
        log_warnx ("cases: referral %s names case %s, which is missing", ref.id, ref.case_id);
        return 0;
    }
    *c = *old;
    bool moved = s_case_figures (self, c, to);
    tsg_hub_event_t ev;
    hub_casework_event_init (self, &ev, TSG_HUB_EV_REFERRAL_STATUS, sender, letter);
    tsg_hub_copy (ev.referral_id, sizeof ev.referral_id, ref.id);
    tsg_hub_copy (ev.agency, sizeof ev.agency, other);
    tsg_hub_copy (ev.from, sizeof ev.from, tsg_ref_state_name (before.state));
    tsg_hub_copy (ev.to, sizeof ev.to, tsg_ref_state_name (to));
    if (outcome != TSG_OUTCOME_NONE)
        tsg_hub_copy (ev.outcome, sizeof ev.outcome, tsg_outcome_name (outcome));
    ev.reason_given = h->reason_given;
    ev.version = c->version;
    tsg_hub_timeline_append (txn, c, &ev, NULL);
    c->updated_at_ms = self->now_ms;
    tsg_hub_case_put (txn, old, c);
    if (moved)
        hub_casework_changed (self, c->id);
    return 0;
}
