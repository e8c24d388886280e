/* casework.c — referrals, cases and consents as letters arrive: checks (the legal basis of
 * every personal-data letter among them), records, indices, counters, fan-out of case events
 * and consent letters, withholding when a consent ends, emergency alerts, and the CASE_UPDATE
 * letters that keep every agency's copy of a case in step with the coordinator's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsg_agency_types.h"
#include "coordinator/model/alerts.h"
#include "coordinator/intake/case_rules.h"
#include "coordinator/model/cases.h"
#include "coordinator/intake/casework.h"
#include "coordinator/model/codec.h"
#include "coordinator/model/consents.h"
#include "coordinator/intake/legal_basis.h"
#include "coordinator/model/mailbox.h"
#include "coordinator/model/referrals.h"
#include "coordinator/model/stats.h"
#include "coordinator/model/timeline.h"

/* The STATS counter of letters withheld when their consent ended. */
#define STAT_WITHHELD "letters.withheld"

struct _tsg_hub_casework_t {
    const tsg_hub_directory_t *directory; /* agencies (borrowed) */
    const tsg_keys_t *keys;               /* the coordinator's keys, for its letters (borrowed) */
    tsg_hub_mail_fn *note_mail;           /* told of new mail */
    tsg_hub_gone_fn *note_gone;           /* told of withheld entries */
    void *arg;                            /* their argument */
    tsg_hub_audit_t *audit;               /* the audit log (borrowed; NULL: none) */
    tsg_txn_t *txn;                       /* the batch's write transaction (borrowed) */
    uint64_t now_ms;                      /* the batch's clock */
    tsg_hub_case_id_t *changed;           /* cases changed in this batch (may repeat) */
    size_t n_changed;                     /* entries of changed in use */
    size_t cap_changed;                   /* entries of changed allocated */
    tsg_hub_case_t *old;                  /* scratch: a case as stored */
    tsg_hub_case_t *now;                  /* scratch: the case as changed */
    tsg_hub_consent_t *consent;           /* scratch: the consent a letter names */
    tsg_hub_consent_t *record;            /* scratch: the consent a letter grants or ends */
};

tsg_hub_casework_t *
tsg_hub_casework_new (const tsg_hub_directory_t *directory, const tsg_keys_t *keys,
                      tsg_hub_mail_fn *note_mail, tsg_hub_gone_fn *note_gone, void *arg)
{
    tsg_hub_casework_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->directory = directory;
    self->keys = keys;
    self->note_mail = note_mail;
    self->note_gone = note_gone;
    self->arg = arg;
    self->old = malloc (sizeof *self->old);
    self->now = malloc (sizeof *self->now);
    self->consent = malloc (sizeof *self->consent);
    self->record = malloc (sizeof *self->record);
    if (!self->old || !self->now || !self->consent || !self->record)
        tsg_hub_casework_destroy (&self);
    return self;
}

void
tsg_hub_casework_destroy (tsg_hub_casework_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    tsg_hub_casework_t *self = *self_p;
    free (self->changed);
    free (self->old);
    free (self->now);
    free (self->consent);
    free (self->record);
    free (self);
    *self_p = NULL;
}

void
tsg_hub_casework_set_audit (tsg_hub_casework_t *self, tsg_hub_audit_t *audit)
{
    self->audit = audit;
}

/* One audit record (details consumed); nothing without an audit log. */
static void
s_audit (tsg_hub_casework_t *self, const char *event, const uint8_t *id, const char *sender,
         const char *recipient, Tsunagu__V1__Kind kind, json_t *details)
{
    if (self->audit)
        tsg_hub_audit_add (self->audit, event, id, sender, recipient, tsg_kind_name (kind),
                           details);
    else
        json_decref (details);
}

void
tsg_hub_casework_begin (tsg_hub_casework_t *self, tsg_txn_t *txn, uint64_t now_ms)
{
    self->txn = txn;
    self->now_ms = now_ms;
    self->n_changed = 0;
}

size_t
tsg_hub_casework_changed (const tsg_hub_casework_t *self)
{
    return self->n_changed;
}

bool
tsg_hub_casework_takes (Tsunagu__V1__Kind kind)
{
    return kind == TSUNAGU__V1__KIND__KIND_REFERRAL
           || kind == TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS || tsg_hub_casework_fans_out (kind);
}

bool
tsg_hub_casework_fans_out (Tsunagu__V1__Kind kind)
{
    return kind == TSUNAGU__V1__KIND__KIND_CASE_EVENT
           || kind == TSUNAGU__V1__KIND__KIND_CONSENT_GRANT
           || kind == TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE;
}

/* Remembers that case_id changed, for its CASE_UPDATE at the end of the batch.  Memory
 * running out fails the transaction: an unannounced change would leave copies behind. */
static void
s_changed (tsg_hub_casework_t *self, const char *case_id)
{
    if (self->n_changed == self->cap_changed) {
        size_t capacity = self->cap_changed ? self->cap_changed * 2 : 64;
        tsg_hub_case_id_t *grown = realloc (self->changed, capacity * sizeof *grown);
        if (!grown) {
            self->txn->rc = TSG_ERR_NOMEM;
            return;
        }
        self->changed = grown;
        self->cap_changed = capacity;
    }
    memcpy (self->changed[self->n_changed++], case_id, TSG_UUID_TEXT_SIZE);
}

/* A timeline entry of type by `by` at the batch's clock. */
static void
s_event_init (tsg_hub_casework_t *self, tsg_hub_event_t *ev, tsg_hub_event_type_t type,
              const char *by, const tsg_letter_t *letter)
{
    memset (ev, 0, sizeof *ev);
    ev->type = type;
    ev->at_ms = self->now_ms;
    tsg_hub_copy (ev->by, sizeof ev->by, by);
    if (letter && letter->message_id.len == TSG_MESSAGE_ID_SIZE)
        tsg_hex_encode (letter->message_id.data, TSG_MESSAGE_ID_SIZE, ev->message_id);
}

/* Shorthand for a refusal with a formatted sentence. */
#define REFUSE(code, ...)                                                                          \
    do {                                                                                           \
        snprintf (detail, size, __VA_ARGS__);                                                      \
        return TSUNAGU__V1__ERROR_CODE__##code;                                                    \
    } while (0)

/* ---- legal basis ------------------------------------------------------------------- */

/* The type of agency id in the directory ("" for the coordinator or an unknown agency). */
static const char *
s_type_of (const tsg_hub_casework_t *self, const char *id)
{
    const Tsunagu__V1__AgencyEntry *entry =
        id ? tsg_hub_directory_find (self->directory, id) : NULL;
    return entry && entry->type ? entry->type : "";
}

/* Holds letter from sender to the legal basis for carrying its personal data to recipient
 * (tsg_hub_legal_check), with the consent header.consent_id names: grant when it is that one
 * (a CONSENT_GRANT relying on the consent it registers), else from the register.  On success
 * adds the decision to *route. */
static Tsunagu__V1__ErrorCode
s_legal (tsg_hub_casework_t *self, const char *sender, const tsg_letter_t *letter,
         const char *recipient, const char *case_id, const tsg_hub_case_t *c,
         const tsg_hub_consent_t *grant, tsg_hub_route_t *route, char *detail, size_t size)
{
    const tsg_header_t *h = letter->header;
    const tsg_hub_consent_t *consent = NULL;
    if (h && h->consent_id && *h->consent_id) {
        if (grant && strcmp (grant->id, h->consent_id) == 0)
            consent = grant;
        else if (tsg_hub_consent_get (self->txn, h->consent_id, self->consent))
            consent = self->consent;
    }
    tsg_hub_legal_in_t in = { .letter = letter,
                              .sender_type = s_type_of (self, sender),
                              .recipient = recipient,
                              .recipient_type = s_type_of (self, recipient),
                              .case_id = case_id,
                              .c = c,
                              .consent = consent,
                              .now_ms = self->now_ms };
    tsg_hub_legal_t out;
    if (tsg_hub_legal_check (&in, &out) != 0) {
        snprintf (detail, size, "%s", out.detail);
        return out.code;
    }
    route->basis = out.basis;
    route->flags |= out.flags;
    route->categories = out.categories;
    if (out.basis == TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT
        && (out.flags & TSG_HUB_LEGAL_PERSONAL) && consent)
        memcpy (route->consent_id, consent->id, TSG_UUID_TEXT_SIZE);
    if (case_id)
        tsg_hub_copy (route->case_id, sizeof route->case_id, case_id);
    return 0;
}

/* The legal basis of a fan-out letter: each sealed body's recipient is checked, and the first
 * one not covered refuses the whole letter.  A letter without bodies is checked once. */
static Tsunagu__V1__ErrorCode
s_legal_fan_out (tsg_hub_casework_t *self, const char *sender, const tsg_letter_t *letter,
                 const char *case_id, const tsg_hub_case_t *c, const tsg_hub_consent_t *grant,
                 tsg_hub_route_t *route, char *detail, size_t size)
{
    if (letter->n_sealed_bodies == 0)
        return s_legal (self, sender, letter, "", case_id, c, grant, route, detail, size);
    for (size_t i = 0; i < letter->n_sealed_bodies; i++) {
        Tsunagu__V1__ErrorCode code =
            s_legal (self, sender, letter, letter->sealed_bodies[i]->recipient, case_id, c, grant,
                     route, detail, size);
        if (code != 0)
            return code;
    }
    return 0;
}

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
    tsg_hub_copy (alert.sender_type, sizeof alert.sender_type, s_type_of (self, sender));
    tsg_hub_copy (alert.recipient, sizeof alert.recipient, ref->recipient);
    tsg_hub_alert_add (self->txn, &alert);
    log_warnx ("ALERT %llu: emergency report (%s) from %s to %s: referral %s, case %s",
               (unsigned long long) alert.n, tsg_agency_report_law (alert.sender_type), sender,
               ref->recipient, ref->id, ref->case_id);
    s_audit (self, "alert", letter->message_id.data, sender, ref->recipient, letter->kind,
             json_pack ("{s:I, s:s, s:s, s:s, s:s, s:s}", "alert", (json_int_t) alert.n, "basis",
                        "emergency", "law", tsg_agency_report_law (alert.sender_type),
                        "sender_type", alert.sender_type, "case_id", ref->case_id, "referral_id",
                        ref->id));
}

/* A 重層的支援会議 needs the person's consent: an active consent of the case (the one
 * header.consent_id names, when it names one) that covers every attendee. */
typedef struct {
    tsg_hub_casework_t *self;      /* the casework */
    const Tsunagu__V1__Meeting *m; /* the meeting */
    const char *named;             /* the consent the header names ("" for any) */
    bool found;                    /* a consent covers every attendee */
    size_t active;                 /* active consents seen */
    char missing[TSG_ID_MAX + 1];  /* an attendee the closest consent leaves out */
    size_t fewest;                 /* attendees the closest consent leaves out */
} s_jusoteki_t;

static bool
s_jusoteki_one (void *arg, const tsg_hub_consent_t *c)
{
    s_jusoteki_t *j = arg;
    uint64_t now = j->self->now_ms;
    if (*j->named && strcmp (c->id, j->named) != 0)
        return true;
    if (c->state != TSG_HUB_CONSENT_ACTIVE || now < c->from_ms || now >= c->until_ms)
        return true;
    j->active++;
    size_t left_out = 0;
    const char *first = NULL;
    for (size_t i = 0; i < j->m->n_attendees; i++) {
        const char *who = j->m->attendees[i];
        if (!tsg_hub_consent_covers (c, who, s_type_of (j->self, who))) {
            left_out++;
            if (!first)
                first = who;
        }
    }
    if (left_out == 0) {
        j->found = true;
        return false;
    }
    if (left_out < j->fewest) {
        j->fewest = left_out;
        tsg_hub_copy (j->missing, sizeof j->missing, first);
    }
    return true;
}

static Tsunagu__V1__ErrorCode
s_jusoteki (tsg_hub_casework_t *self, const tsg_hub_case_t *c, const tsg_letter_t *letter,
            char *detail, size_t size)
{
    const tsg_header_t *h = letter->header;
    s_jusoteki_t j = { .self = self,
                       .m = h->case_event->meeting,
                       .named = h->consent_id ? h->consent_id : "",
                       .fewest = (size_t) -1 };
    tsg_hub_consents_of_case (self->txn, c->id, s_jusoteki_one, &j);
    if (j.found)
        return 0;
    if (j.active == 0 && *j.named)
        REFUSE (ERROR_MISSING_LEGAL_BASIS,
                "a 重層的支援会議 needs the person's consent: consent %.40s is not an active "
                "consent of case %s",
                j.named, c->id);
    if (j.active == 0)
        REFUSE (ERROR_MISSING_LEGAL_BASIS,
                "a 重層的支援会議 needs the person's consent: case %s has no active consent",
                c->id);
    REFUSE (ERROR_MISSING_LEGAL_BASIS,
            "a 重層的支援会議 needs the person's consent for every attendee: no active consent "
            "of case %s covers %s",
            c->id, j.missing);
}

/* ---- REFERRAL ---------------------------------------------------------------------- */

/* tsg_hub_consent_fn: stops at a consent granted by someone other than *arg's agency. */
typedef struct {
    const char *agency; /* the agency opening the case */
    bool other;         /* a consent of the case id was granted by another agency */
} s_claim_t;

static bool
s_claim_one (void *arg, const tsg_hub_consent_t *c)
{
    s_claim_t *claim = arg;
    if (strcmp (c->granted_by, claim->agency) != 0) {
        claim->other = true;
        return false;
    }
    return true;
}

/* True when case_id, not yet a case, already names consents granted by an agency other than
 * sender (who would otherwise open the case and so join it uninvited). */
static bool
s_case_id_claimed (tsg_hub_casework_t *self, const char *case_id, const char *sender)
{
    s_claim_t claim = { .agency = sender };
    tsg_hub_consents_of_case (self->txn, case_id, s_claim_one, &claim);
    return claim.other;
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
    s_event_init (self, &ev, TSG_HUB_EV_JOINED, by, letter);
    tsg_hub_copy (ev.agency, sizeof ev.agency, agency);
    ev.version = c->version;
    tsg_hub_timeline_append (self->txn, c, &ev, NULL);
    return 1;
}

static Tsunagu__V1__ErrorCode
s_referral (tsg_hub_casework_t *self, const char *sender, const tsg_letter_t *letter,
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
    if (exists && !tsg_hub_case_has_agency (old, sender))
        REFUSE (ERROR_NOT_CASE_MEMBER,
                "agency \"%s\" is not on case %s: only its agencies may refer about it", sender,
                h->case_id);
    if (!exists && s_case_id_claimed (self, h->case_id, sender))
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
    Tsunagu__V1__ErrorCode code = s_legal (self, sender, letter, to->id, h->case_id,
                                           exists ? old : NULL, NULL, route, detail, size);
    if (code != 0)
        return code;
    memcpy (route->referral_id, h->referral_id, TSG_UUID_TEXT_SIZE);

    /* Checked: from here on it is recorded. */
    memset (&ref, 0, sizeof ref);
    memcpy (ref.id, h->referral_id, TSG_UUID_TEXT_SIZE);
    memcpy (ref.case_id, h->case_id, TSG_UUID_TEXT_SIZE);
    tsg_hub_copy (ref.sender, sizeof ref.sender, sender);
    tsg_hub_copy (ref.recipient, sizeof ref.recipient, to->id);
    tsg_hub_copy (ref.recipient_type, sizeof ref.recipient_type, to->type);
    tsg_hub_copy (ref.updated_by, sizeof ref.updated_by, sender);
    ref.state = TSG_REF_REQUESTED;
    ref.urgency = (int) h->urgency;
    ref.version = 1;
    /* The sender's clock dates it (the letter's time, never later than ours). */
    ref.created_at_ms = letter->created_at_ms < self->now_ms ? letter->created_at_ms : self->now_ms;
    ref.updated_at_ms = self->now_ms;
    unsigned response_days =
        to->response_due_days ? to->response_due_days : tsg_type_response_due_days (to->type);
    unsigned receive_days = to->receive_due_days ? to->receive_due_days : 1;
    tsg_due_dates (ref.created_at_ms, receive_days, response_days, ref.urgency, &ref.receive_due_ms,
                   &ref.response_due_ms);
    tsg_hub_referral_put (txn, NULL, &ref);
    tsg_hub_stat_add (txn, TSG_HUB_STAT_REFERRALS, 1);
    tsg_hub_stat_add2 (txn, TSG_HUB_STAT_REF_STATE, "requested", 1);
    if (route->flags & TSG_HUB_LEGAL_ALERT)
        s_alert (self, sender, letter, &ref);

    /* The case: opened, joined, tagged, and multi-agency at its second agency. */
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
        s_event_init (self, &ev, TSG_HUB_EV_OPENED, sender, letter);
        tsg_hub_copy (ev.agency, sizeof ev.agency, sender);
        tsg_hub_copy (ev.to, sizeof ev.to, "open");
        ev.version = c->version;
        tsg_hub_timeline_append (txn, c, &ev, NULL);
        tsg_hub_case_add_agency (c, sender);
        joined = 1;
        tsg_hub_stat_add (txn, TSG_HUB_STAT_CASES_OPENED, 1);
    }
    else
        joined += s_join (self, c, sender, sender, letter);
    s_event_init (self, &ev, TSG_HUB_EV_REFERRAL, sender, letter);
    tsg_hub_copy (ev.agency, sizeof ev.agency, to->id);
    tsg_hub_copy (ev.referral_id, sizeof ev.referral_id, ref.id);
    tsg_hub_copy (ev.to, sizeof ev.to, "requested");
    ev.version = c->version;
    tsg_hub_timeline_append (txn, c, &ev, NULL);
    joined += s_join (self, c, to->id, sender, letter);
    tsg_hub_stat_add (txn, TSG_HUB_STAT_CASES_AGENCIES, joined);
    if (to_multi) {
        s_event_init (self, &ev, TSG_HUB_EV_STATE, TSG_COORDINATOR_ID, letter);
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
        s_changed (self, c->id);
    }
    tsg_hub_case_put (txn, exists ? old : NULL, c);
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

static Tsunagu__V1__ErrorCode
s_status (tsg_hub_casework_t *self, const char *sender, const tsg_letter_t *letter,
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
    Tsunagu__V1__ErrorCode code = s_legal (self, sender, letter, other, ref.case_id,
                                           have_case ? old : NULL, NULL, route, detail, size);
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
    s_event_init (self, &ev, TSG_HUB_EV_REFERRAL_STATUS, sender, letter);
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
        s_changed (self, c->id);
    return 0;
}

/* ---- CASE_EVENT -------------------------------------------------------------------- */

/* Stores a fan-out letter (case event, consent letter) for every other agency on c (NULL: a
 * case not opened yet, so nobody): the letter's own record names the coordinator as its
 * recipient, and each agency gets an unchanged copy.  The copies that carry a sealed body are
 * noted under consent_id when it is given, so that the consent's end withholds them. */
static void
s_fan_out (tsg_hub_casework_t *self, const tsg_hub_case_t *c, const char *sender,
           const tsg_letter_t *letter, const uint8_t *envelope, size_t len, const char *consent_id)
{
    tsg_hub_message_t msg = { .state = TSG_HUB_MSG_STORED,
                              .kind = letter->kind,
                              .at_ms = self->now_ms };
    tsg_hub_copy (msg.sender, sizeof msg.sender, sender);
    tsg_hub_copy (msg.recipient, sizeof msg.recipient, TSG_COORDINATOR_ID);
    tsg_hub_message_put (self->txn, letter->message_id.data, &msg);
    for (size_t i = 0; c && i < c->n_agencies; i++) {
        const char *to = c->agencies[i];
        const Tsunagu__V1__AgencyEntry *entry = tsg_hub_directory_find (self->directory, to);
        if (strcmp (to, sender) == 0 || !entry
            || entry->status == TSUNAGU__V1__AGENCY_STATUS__AGENCY_REVOKED)
            continue;
        uint64_t seq =
            tsg_hub_mailbox_put_copy (self->txn, to, sender, letter->kind, letter->message_id.data,
                                      envelope, len, self->now_ms);
        if (seq == 0)
            continue;
        self->note_mail (self->arg, to);
        if (consent_id && *consent_id && tsg_hub_sealed_body_for (letter, to))
            tsg_hub_consent_note_mail (self->txn, consent_id, to, seq);
    }
}

static Tsunagu__V1__ErrorCode
s_case_event (tsg_hub_casework_t *self, const char *sender, const tsg_letter_t *letter,
              const uint8_t *envelope, size_t len, tsg_hub_route_t *route, char *detail,
              size_t size)
{
    tsg_txn_t *txn = self->txn;
    const tsg_header_t *h = letter->header;
    if (!h || !h->case_event)
        REFUSE (ERROR_MALFORMED, "a case event letter needs header.case_event");
    if (!tsg_uuid_valid (h->case_id))
        REFUSE (ERROR_MALFORMED, "a case event needs a case_id (a lowercase UUID)");
    tsg_hub_case_t *old = self->old, *c = self->now;
    if (!tsg_hub_case_get (txn, h->case_id, old))
        REFUSE (ERROR_UNKNOWN_CASE, "no case %s is known", h->case_id);
    Tsunagu__V1__ErrorCode code =
        tsg_hub_case_event_check (old, self->directory, sender, letter, detail, size);
    if (code != 0)
        return code;
    /* The bodies are judged against the case as the event leaves it: the minutes of a
     * 支援会議 go to the members of that very meeting. */
    const Tsunagu__V1__CaseEvent *event = h->case_event;
    *c = *old;
    tsg_hub_case_effect_t effect;
    tsg_hub_case_event_apply (c, event, self->now_ms, &effect);
    code = s_legal_fan_out (self, sender, letter, old->id, c, NULL, route, detail, size);
    if (code == 0 && event->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_MEETING
        && event->meeting->kind == TSUNAGU__V1__MEETING_KIND__MEETING_JUSOTEKI)
        code = s_jusoteki (self, old, letter, detail, size);
    if (code != 0)
        return code;

    c->version++;
    c->updated_at_ms = self->now_ms;
    tsg_hub_copy (c->last_event_id, sizeof c->last_event_id, event->event_id);
    tsg_hub_event_type_t type = tsg_hub_event_type_of (event->type);
    tsg_hub_copy (c->last_event_type, sizeof c->last_event_type, tsg_hub_event_type_name (type));
    tsg_hub_copy (c->last_event_by, sizeof c->last_event_by, sender);

    uint64_t took = self->now_ms > c->created_at_ms ? self->now_ms - c->created_at_ms : 0;
    tsg_hub_stat_add (txn, TSG_HUB_STAT_CASE_EVENTS, 1);
    if (effect.first_plan) {
        tsg_hub_stat_add (txn, TSG_HUB_STAT_CASE_PLAN_COUNT, 1);
        tsg_hub_stat_add (txn, TSG_HUB_STAT_CASE_PLAN_SUM, (int64_t) took);
    }
    if (effect.closed) {
        tsg_hub_stat_add (txn, TSG_HUB_STAT_CASES_CLOSED, 1);
        tsg_hub_stat_add (txn, TSG_HUB_STAT_CASE_CLOSURE_COUNT, 1);
        tsg_hub_stat_add (txn, TSG_HUB_STAT_CASE_CLOSURE_SUM, (int64_t) took);
    }
    if (effect.reopened)
        tsg_hub_stat_add (txn, TSG_HUB_STAT_CASES_REOPENED, 1);

    tsg_hub_event_t ev;
    s_event_init (self, &ev, type, sender, letter);
    if (effect.from != c->state) {
        tsg_hub_copy (ev.from, sizeof ev.from, tsg_case_state_name (effect.from));
        tsg_hub_copy (ev.to, sizeof ev.to, tsg_case_state_name (c->state));
    }
    ev.reason_given = h->reason_given;
    ev.version = c->version;
    tsg_hub_case_event_copy_t clean;
    tsg_hub_case_event_copy (&clean, event);
    tsg_hub_timeline_append (txn, c, &ev, &clean.event);
    tsg_hub_case_put (txn, old, c);
    s_fan_out (self, c, sender, letter, envelope, len, route->consent_id);
    s_changed (self, c->id);
    return 0;
}

/* ---- consents ---------------------------------------------------------------------- */

/* What a withholding pass tells each withheld entry's sender. */
typedef struct {
    tsg_hub_casework_t *self;         /* the casework */
    const tsg_hub_consent_t *consent; /* the consent that ended */
    const char *reason;               /* "revoked" or "expired" */
    char detail[TSG_HUB_DETAIL_MAX];  /* "withheld: consent <id> revoked|expired" */
    size_t withheld;                  /* entries taken out */
} s_withhold_t;

void
tsg_hub_casework_tell (tsg_hub_casework_t *self, const char *sender,
                       const uint8_t about[TSG_MESSAGE_ID_SIZE], Tsunagu__V1__ErrorCode code,
                       const char *detail, const char *case_id, const char *consent_id)
{
    const Tsunagu__V1__AgencyEntry *entry = tsg_hub_directory_find (self->directory, sender);
    if (!entry || entry->status == TSUNAGU__V1__AGENCY_STATUS__AGENCY_REVOKED)
        return;
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t message_id[TSG_MESSAGE_ID_SIZE];
    uint8_t about_copy[TSG_MESSAGE_ID_SIZE];
    Tsunagu__V1__ErrorReport error = TSUNAGU__V1__ERROR_REPORT__INIT;
    tsg_letter_prepare (&letter, &header, message_id, TSUNAGU__V1__KIND__KIND_ERROR,
                        TSG_COORDINATOR_ID, sender);
    header.case_id = (char *) case_id;
    header.consent_id = (char *) consent_id;
    memcpy (about_copy, about, sizeof about_copy);
    error.code = code;
    error.about_message_id.data = about_copy;
    error.about_message_id.len = sizeof about_copy;
    error.detail = (char *) detail;
    error.final = true;
    letter.error = &error;
    uint8_t *sealed = NULL;
    size_t len = 0;
    int rc = tsg_envelope_seal (&letter, self->keys, &sealed, &len);
    if (rc != TSG_OK) {
        log_warnx ("cannot seal news for %s of its letter: %s", sender, tsg_strerror (rc));
        self->txn->rc = rc;
        return;
    }
    if (tsg_hub_mailbox_put (self->txn, sender, TSG_COORDINATOR_ID, TSUNAGU__V1__KIND__KIND_ERROR,
                             message_id, sealed, len, self->now_ms)
        != 0)
        self->note_mail (self->arg, sender);
    free (sealed);
}

/* Tells w's sender that its letter was withheld from recipient because consent ended. */
static void
s_tell_withheld (tsg_hub_casework_t *self, const tsg_hub_withdrawn_t *w, const char *recipient,
                 const tsg_hub_consent_t *consent, const char *detail)
{
    /* A fan-out letter may be withheld from some agencies only: say which.  Cut to fit (an
     * agency id is at most 32 bytes): the detail is an English sentence for logs and the
     * sender's API. */
    char text[TSG_HUB_DETAIL_MAX];
    if (w->copy)
        snprintf (text, sizeof text, "%.*s (the copy for %.32s)", (int) sizeof text - 64, detail,
                  recipient);
    else
        snprintf (text, sizeof text, "%s", detail);
    tsg_hub_casework_tell (self, w->sender, w->id,
                           TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS, text,
                           consent->case_id, consent->id);
}

/* tsg_hub_consent_mail_fn: withholds one noted entry if it still waits. */
static void
s_withhold_one (void *arg, const char *recipient, uint64_t seq)
{
    s_withhold_t *wh = arg;
    tsg_hub_casework_t *self = wh->self;
    tsg_hub_withdrawn_t w;
    if (!tsg_hub_mailbox_withdraw (self->txn, recipient, seq,
                                   TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS, wh->detail,
                                   self->now_ms, &w))
        return;
    wh->withheld++;
    self->note_gone (self->arg, recipient, seq);
    tsg_hub_stat_add (self->txn, STAT_WITHHELD, 1);
    char id[2 * TSG_MESSAGE_ID_SIZE + 1];
    tsg_hex_encode (w.id, TSG_MESSAGE_ID_SIZE, id);
    log_info ("withheld %s %.16s from %s for %s: consent %s %s", tsg_kind_name (w.kind), id,
              w.sender, recipient, wh->consent->id, wh->reason);
    s_audit (self, "withheld", w.id, w.sender, recipient, w.kind,
             json_pack ("{s:s, s:s, s:s, s:s, s:s}", "consent_id", wh->consent->id, "reason",
                        wh->reason, "case_id", wh->consent->case_id, "code",
                        tsg_error_code_name (TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS),
                        "detail", wh->detail));
    if (strcmp (w.sender, TSG_COORDINATOR_ID) != 0)
        s_tell_withheld (self, &w, recipient, wh->consent, wh->detail);
}

/* Withholds every mailbox entry that relies on consent c, which ended for reason. */
static size_t
s_withhold (tsg_hub_casework_t *self, const tsg_hub_consent_t *c, const char *reason)
{
    s_withhold_t wh = { .self = self, .consent = c, .reason = reason };
    snprintf (wh.detail, sizeof wh.detail, "withheld: consent %s %s", c->id, reason);
    tsg_hub_consent_take_mail (self->txn, c->id, s_withhold_one, &wh);
    return wh.withheld;
}

/* The audit details of a consent record: ids and codes, never the subject. */
static json_t *
s_consent_details (const tsg_hub_consent_t *c)
{
    json_t *agencies = json_array (), *types = json_array ();
    for (size_t i = 0; agencies && i < c->n_agencies; i++)
        json_array_append_new (agencies, json_string (c->agencies[i]));
    for (size_t i = 0; types && i < c->n_types; i++)
        json_array_append_new (types, json_string (c->types[i]));
    return json_pack ("{s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:s, s:s, s:s}", "consent_id", c->id,
                      "case_id", c->case_id, "cover_agencies", agencies ? agencies : json_null (),
                      "cover_types", types ? types : json_null (), "categories",
                      tsg_hub_categories_json (c->categories), "purpose", c->purpose, "method",
                      c->method, "obtained_by", c->obtained_by, "valid_from", c->valid_from,
                      "valid_until", c->valid_until);
}

static Tsunagu__V1__ErrorCode
s_consent_grant (tsg_hub_casework_t *self, const char *sender, const tsg_letter_t *letter,
                 const uint8_t *envelope, size_t len, tsg_hub_route_t *route, char *detail,
                 size_t size)
{
    tsg_txn_t *txn = self->txn;
    const tsg_header_t *h = letter->header;
    if (!h)
        REFUSE (ERROR_MALFORMED, "a consent grant needs header.case_id and header.consent");
    tsg_hub_consent_t *g = self->record;
    Tsunagu__V1__ErrorCode code = tsg_hub_consent_from_info (
        h->consent, h->case_id, self->directory, self->now_ms, g, detail, size);
    if (code != 0)
        return code;
    if (tsg_hub_consent_get (txn, g->id, self->consent))
        REFUSE (ERROR_NOT_PERMITTED, "consent %s already exists", g->id);
    tsg_hub_case_t *c = self->old;
    bool exists = tsg_hub_case_get (txn, g->case_id, c);
    if (exists && !tsg_hub_case_has_agency (c, sender))
        REFUSE (ERROR_NOT_CASE_MEMBER, "agency \"%s\" is not on case %s", sender, c->id);
    if (!exists && s_case_id_claimed (self, g->case_id, sender))
        REFUSE (ERROR_NOT_CASE_MEMBER,
                "case id %s is already in use by another agency's consent: choose a new case id",
                g->case_id);
    if (letter->body.len > 0)
        REFUSE (ERROR_MALFORMED, "a consent letter carries its bodies in sealed_bodies");
    code = tsg_hub_sealed_bodies_check (exists ? c : NULL, sender, letter, detail, size);
    if (code == 0)
        code = s_legal_fan_out (self, sender, letter, g->case_id, exists ? c : NULL, g, route,
                                detail, size);
    if (code != 0)
        return code;

    tsg_hub_copy (g->granted_by, sizeof g->granted_by, sender);
    g->granted_at_ms = self->now_ms;
    tsg_hub_consent_put (txn, NULL, g);
    s_fan_out (self, exists ? c : NULL, sender, letter, envelope, len, route->consent_id);
    log_info ("consent %s granted by %s for case %s: %zu agencies and %zu types, %s to %s", g->id,
              sender, g->case_id, g->n_agencies, g->n_types, g->valid_from, g->valid_until);
    s_audit (self, "consent-granted", letter->message_id.data, sender, TSG_COORDINATOR_ID,
             letter->kind, s_consent_details (g));
    return 0;
}

static Tsunagu__V1__ErrorCode
s_consent_revoke (tsg_hub_casework_t *self, const char *sender, const tsg_letter_t *letter,
                  const uint8_t *envelope, size_t len, tsg_hub_route_t *route, char *detail,
                  size_t size)
{
    tsg_txn_t *txn = self->txn;
    const tsg_header_t *h = letter->header;
    if (!h || !h->consent_id || !tsg_uuid_valid (h->consent_id))
        REFUSE (ERROR_MALFORMED, "a consent revoke needs header.consent_id (a lowercase UUID)");
    tsg_hub_consent_t *r = self->record;
    if (!tsg_hub_consent_get (txn, h->consent_id, r))
        REFUSE (ERROR_NOT_PERMITTED, "consent %s is not in the register", h->consent_id);
    if (h->case_id && *h->case_id && strcmp (h->case_id, r->case_id) != 0)
        REFUSE (ERROR_NOT_PERMITTED, "consent %s belongs to case %s", r->id, r->case_id);
    if (r->state == TSG_HUB_CONSENT_REVOKED) {
        char when[32];
        tsg_iso8601 (r->ended_at_ms, when);
        REFUSE (ERROR_NOT_PERMITTED, "consent %s was already revoked at %s", r->id, when);
    }
    tsg_hub_case_t *c = self->old;
    bool exists = tsg_hub_case_get (txn, r->case_id, c);
    if (strcmp (sender, r->granted_by) != 0 && !(exists && tsg_hub_case_has_agency (c, sender)))
        REFUSE (ERROR_NOT_CASE_MEMBER,
                "agency \"%s\" neither granted consent %s nor is on its case", sender, r->id);
    if (letter->body.len > 0)
        REFUSE (ERROR_MALFORMED, "a consent letter carries its bodies in sealed_bodies");
    Tsunagu__V1__ErrorCode code =
        tsg_hub_sealed_bodies_check (exists ? c : NULL, sender, letter, detail, size);
    if (code == 0)
        code = s_legal_fan_out (self, sender, letter, r->case_id, exists ? c : NULL, r, route,
                                detail, size);
    if (code != 0)
        return code;

    /* At once, in this transaction: nothing relying on it leaves the mailboxes any more. */
    size_t withheld = r->state == TSG_HUB_CONSENT_ACTIVE ? s_withhold (self, r, "revoked") : 0;
    tsg_hub_consent_t before = *r;
    r->state = TSG_HUB_CONSENT_REVOKED;
    r->ended_at_ms = self->now_ms;
    tsg_hub_copy (r->ended_by, sizeof r->ended_by, sender);
    tsg_hub_consent_put (txn, &before, r);
    /* The revocation itself is never withheld: it is what tells the agencies to stop. */
    s_fan_out (self, exists ? c : NULL, sender, letter, envelope, len, NULL);
    route->consent_id[0] = '\0';
    log_info ("consent %s revoked by %s: %zu letters withheld", r->id, sender, withheld);
    json_t *details = s_consent_details (r);
    json_object_set_new (details, "withheld", json_integer ((json_int_t) withheld));
    s_audit (self, "consent-revoked", letter->message_id.data, sender, TSG_COORDINATOR_ID,
             letter->kind, details);
    return 0;
}

/* Sends agency to a coordinator-signed CONSENT_REVOKE of consent c with reason "expired". */
static void
s_announce_expiry (tsg_hub_casework_t *self, const tsg_hub_consent_t *c, const char *to)
{
    const Tsunagu__V1__AgencyEntry *entry = tsg_hub_directory_find (self->directory, to);
    if (!entry || entry->status == TSUNAGU__V1__AGENCY_STATUS__AGENCY_REVOKED)
        return;
    tsg_hub_consent_info_t info;
    tsg_hub_consent_to_info (c, &info);
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t message_id[TSG_MESSAGE_ID_SIZE];
    tsg_letter_prepare (&letter, &header, message_id, TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE,
                        TSG_COORDINATOR_ID, to);
    header.case_id = (char *) c->case_id;
    header.consent_id = (char *) c->id;
    header.status = (char *) "expired";
    header.consent = &info.info;
    uint8_t *sealed = NULL;
    size_t len = 0;
    int rc = tsg_envelope_seal (&letter, self->keys, &sealed, &len);
    if (rc != TSG_OK) {
        log_warnx ("consents: cannot seal the expiry of %s for %s: %s", c->id, to,
                   tsg_strerror (rc));
        self->txn->rc = rc;
        return;
    }
    if (tsg_hub_mailbox_put (self->txn, to, TSG_COORDINATOR_ID,
                             TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE, message_id, sealed, len,
                             self->now_ms)
        != 0)
        self->note_mail (self->arg, to);
    free (sealed);
}

size_t
tsg_hub_casework_expire (tsg_hub_casework_t *self)
{
    tsg_hub_case_id_t ids[64];
    size_t n = tsg_hub_consents_ended (self->txn, self->now_ms, ids, 64);
    size_t ended = 0;
    for (size_t i = 0; i < n && self->txn->rc == TSG_OK; i++) {
        tsg_hub_consent_t *r = self->record;
        if (!tsg_hub_consent_get (self->txn, ids[i], r) || r->state != TSG_HUB_CONSENT_ACTIVE)
            continue;
        size_t withheld = s_withhold (self, r, "expired");
        tsg_hub_consent_t before = *r;
        r->state = TSG_HUB_CONSENT_EXPIRED;
        r->ended_at_ms = self->now_ms;
        tsg_hub_copy (r->ended_by, sizeof r->ended_by, TSG_COORDINATOR_ID);
        tsg_hub_consent_put (self->txn, &before, r);
        tsg_hub_case_t *c = self->old;
        bool granter_told = false;
        if (tsg_hub_case_get (self->txn, r->case_id, c))
            for (size_t k = 0; k < c->n_agencies; k++) {
                s_announce_expiry (self, r, c->agencies[k]);
                granter_told |= strcmp (c->agencies[k], r->granted_by) == 0;
            }
        if (!granter_told)
            s_announce_expiry (self, r, r->granted_by);
        log_info ("consent %s of case %s expired (valid until %s): %zu letters withheld", r->id,
                  r->case_id, r->valid_until, withheld);
        json_t *details = s_consent_details (r);
        json_object_set_new (details, "withheld", json_integer ((json_int_t) withheld));
        s_audit (self, "consent-expired", NULL, TSG_COORDINATOR_ID, TSG_COORDINATOR_ID,
                 TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE, details);
        ended++;
    }
    return ended;
}

Tsunagu__V1__ErrorCode
tsg_hub_casework_take (tsg_hub_casework_t *self, const char *sender, const tsg_letter_t *letter,
                       const uint8_t *envelope, size_t len, tsg_hub_route_t *route, char *detail,
                       size_t size)
{
    memset (route, 0, sizeof *route);
    switch (letter->kind) {
    case TSUNAGU__V1__KIND__KIND_REFERRAL:
        return s_referral (self, sender, letter, route, detail, size);
    case TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS:
        return s_status (self, sender, letter, route, detail, size);
    case TSUNAGU__V1__KIND__KIND_CASE_EVENT:
        return s_case_event (self, sender, letter, envelope, len, route, detail, size);
    case TSUNAGU__V1__KIND__KIND_CONSENT_GRANT:
        return s_consent_grant (self, sender, letter, envelope, len, route, detail, size);
    case TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE:
        return s_consent_revoke (self, sender, letter, envelope, len, route, detail, size);
    default: return 0;
    }
}

/* ---- CASE_UPDATE ------------------------------------------------------------------- */

/* Seals and stores c's CASE_UPDATE for each agency on it. */
static void
s_announce (tsg_hub_casework_t *self, const tsg_hub_case_t *c)
{
    Tsunagu__V1__CaseUpdate update = TSUNAGU__V1__CASE_UPDATE__INIT;
    char *agencies[TSG_HUB_CASE_AGENCIES_MAX], *tags[TSG_HUB_CASE_TAGS_MAX];
    char *roster[TSG_HUB_CASE_ROSTER_MAX];
    Tsunagu__V1__PlanRole roles[TSG_HUB_CASE_ROLES_MAX], *role_ptrs[TSG_HUB_CASE_ROLES_MAX];
    for (size_t i = 0; i < c->n_agencies; i++)
        agencies[i] = (char *) c->agencies[i];
    for (size_t i = 0; i < c->n_tags; i++)
        tags[i] = (char *) c->tags[i];
    for (size_t i = 0; i < c->n_roster; i++)
        roster[i] = (char *) c->roster[i];
    for (size_t i = 0; i < c->n_roles; i++) {
        tsunagu__v1__plan_role__init (&roles[i]);
        roles[i].agency_id = (char *) c->roles[i].agency;
        roles[i].role = (char *) c->roles[i].role;
        role_ptrs[i] = &roles[i];
    }
    update.case_id = (char *) c->id;
    update.state = (char *) tsg_case_state_name (c->state);
    update.version = c->version;
    update.n_agencies = c->n_agencies;
    update.agencies = agencies;
    update.n_tags = c->n_tags;
    update.tags = tags;
    update.roster_kind = (Tsunagu__V1__MeetingKind) c->roster_kind;
    update.n_roster = c->n_roster;
    update.roster = roster;
    update.n_roles = c->n_roles;
    update.roles = role_ptrs;
    update.next_review_on = (char *) c->next_review_on;
    update.last_event_id = (char *) c->last_event_id;
    update.last_event_type = (char *) c->last_event_type;
    update.last_event_by = (char *) c->last_event_by;
    update.updated_at_ms = c->updated_at_ms;

    for (size_t i = 0; i < c->n_agencies && self->txn->rc == TSG_OK; i++) {
        const char *to = c->agencies[i];
        const Tsunagu__V1__AgencyEntry *entry = tsg_hub_directory_find (self->directory, to);
        if (!entry || entry->status == TSUNAGU__V1__AGENCY_STATUS__AGENCY_REVOKED)
            continue;
        tsg_letter_t letter;
        tsg_header_t header;
        uint8_t message_id[TSG_MESSAGE_ID_SIZE];
        tsg_letter_prepare (&letter, &header, message_id, TSUNAGU__V1__KIND__KIND_CASE_UPDATE,
                            TSG_COORDINATOR_ID, to);
        header.case_id = (char *) c->id;
        letter.case_update = &update;
        uint8_t *sealed = NULL;
        size_t len = 0;
        int rc = tsg_envelope_seal (&letter, self->keys, &sealed, &len);
        if (rc != TSG_OK) {
            log_warnx ("cases: cannot seal the update of case %s for %s: %s", c->id, to,
                       tsg_strerror (rc));
            self->txn->rc = rc;
            return;
        }
        if (tsg_hub_mailbox_put (self->txn, to, TSG_COORDINATOR_ID,
                                 TSUNAGU__V1__KIND__KIND_CASE_UPDATE, message_id, sealed, len,
                                 self->now_ms)
            != 0)
            self->note_mail (self->arg, to);
        free (sealed);
    }
}

static int
s_id_cmp (const void *a, const void *b)
{
    return strcmp (a, b);
}

void
tsg_hub_casework_end (tsg_hub_casework_t *self)
{
    if (self->n_changed == 0 || self->txn->rc != TSG_OK)
        return;
    qsort (self->changed, self->n_changed, sizeof *self->changed, s_id_cmp);
    for (size_t i = 0; i < self->n_changed && self->txn->rc == TSG_OK; i++) {
        if (i > 0 && strcmp (self->changed[i], self->changed[i - 1]) == 0)
            continue;
        if (tsg_hub_case_get (self->txn, self->changed[i], self->now))
            s_announce (self, self->now);
    }
}
