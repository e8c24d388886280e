/* casework.c — referrals and cases as letters arrive: checks, records, indices, counters,
 * fan-out of case events, and the CASE_UPDATE letters that keep every agency's copy of a case
 * in step with the coordinator's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/case_rules.h"
#include "coordinator/cases.h"
#include "coordinator/casework.h"
#include "coordinator/codec.h"
#include "coordinator/mailbox.h"
#include "coordinator/referrals.h"
#include "coordinator/stats.h"
#include "coordinator/timeline.h"

struct _tsg_hub_casework_t {
    const tsg_hub_directory_t *directory; /* agencies (borrowed) */
    const tsg_keys_t *keys;               /* the coordinator's keys, for CASE_UPDATE (borrowed) */
    tsg_hub_mail_fn *note_mail;           /* told of new mail */
    void *arg;                            /* its argument */
    tsg_txn_t *txn;                       /* the batch's write transaction (borrowed) */
    uint64_t now_ms;                      /* the batch's clock */
    tsg_hub_case_id_t *changed;           /* cases changed in this batch (may repeat) */
    size_t n_changed;                     /* entries of changed in use */
    size_t cap_changed;                   /* entries of changed allocated */
    tsg_hub_case_t *old;                  /* scratch: a case as stored */
    tsg_hub_case_t *now;                  /* scratch: the case as changed */
};

tsg_hub_casework_t *
tsg_hub_casework_new (const tsg_hub_directory_t *directory, const tsg_keys_t *keys,
                      tsg_hub_mail_fn *note_mail, void *arg)
{
    tsg_hub_casework_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->directory = directory;
    self->keys = keys;
    self->note_mail = note_mail;
    self->arg = arg;
    self->old = malloc (sizeof *self->old);
    self->now = malloc (sizeof *self->now);
    if (!self->old || !self->now)
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
    free (self);
    *self_p = NULL;
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
           || kind == TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS
           || kind == TSUNAGU__V1__KIND__KIND_CASE_EVENT;
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

/* ---- REFERRAL ---------------------------------------------------------------------- */

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
s_referral (tsg_hub_casework_t *self, const char *sender, const tsg_letter_t *letter, char *detail,
            size_t size)
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
        if (!tsg_hub_text_ok (h->tags[i], TSG_TAG_LEN_MAX))
            REFUSE (ERROR_MALFORMED, "tag %zu is not 1 to %d bytes of text", i + 1,
                    TSG_TAG_LEN_MAX);
    tsg_hub_referral_t ref;
    if (tsg_hub_referral_get (txn, h->referral_id, &ref))
        REFUSE (ERROR_NOT_PERMITTED, "referral %s already exists", h->referral_id);
    const Tsunagu__V1__AgencyEntry *to =
        tsg_hub_directory_find (self->directory, letter->recipient);
    if (!to)
        REFUSE (ERROR_UNKNOWN_RECIPIENT, "no agency \"%s\" is registered", letter->recipient);

    tsg_hub_case_t *old = self->old, *c = self->now;
    bool exists = tsg_hub_case_get (txn, h->case_id, old);
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
s_status (tsg_hub_casework_t *self, const char *sender, const tsg_letter_t *letter, char *detail,
          size_t size)
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

    tsg_hub_case_t *old = self->old, *c = self->now;
    if (!tsg_hub_case_get (txn, ref.case_id, old)) {
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

/* Stores the case event for every other agency on c: the letter's own record names the
 * coordinator as its recipient, and each agency gets an unchanged copy. */
static void
s_fan_out (tsg_hub_casework_t *self, const tsg_hub_case_t *c, const char *sender,
           const tsg_letter_t *letter, const uint8_t *envelope, size_t len)
{
    tsg_hub_message_t msg = { .state = TSG_HUB_MSG_STORED,
                              .kind = TSUNAGU__V1__KIND__KIND_CASE_EVENT,
                              .at_ms = self->now_ms };
    tsg_hub_copy (msg.sender, sizeof msg.sender, sender);
    tsg_hub_copy (msg.recipient, sizeof msg.recipient, TSG_COORDINATOR_ID);
    tsg_hub_message_put (self->txn, letter->message_id.data, &msg);
    for (size_t i = 0; i < c->n_agencies; i++) {
        const char *to = c->agencies[i];
        const Tsunagu__V1__AgencyEntry *entry = tsg_hub_directory_find (self->directory, to);
        if (strcmp (to, sender) == 0 || !entry
            || entry->status == TSUNAGU__V1__AGENCY_STATUS__AGENCY_REVOKED)
            continue;
        if (tsg_hub_mailbox_put_copy (self->txn, to, sender, TSUNAGU__V1__KIND__KIND_CASE_EVENT,
                                      letter->message_id.data, envelope, len, self->now_ms)
            != 0)
            self->note_mail (self->arg, to);
    }
}

static Tsunagu__V1__ErrorCode
s_case_event (tsg_hub_casework_t *self, const char *sender, const tsg_letter_t *letter,
              const uint8_t *envelope, size_t len, char *detail, size_t size)
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

    const Tsunagu__V1__CaseEvent *event = h->case_event;
    *c = *old;
    tsg_hub_case_effect_t effect;
    tsg_hub_case_event_apply (c, event, self->now_ms, &effect);
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
    s_fan_out (self, c, sender, letter, envelope, len);
    s_changed (self, c->id);
    return 0;
}

Tsunagu__V1__ErrorCode
tsg_hub_casework_take (tsg_hub_casework_t *self, const char *sender, const tsg_letter_t *letter,
                       const uint8_t *envelope, size_t len, char *detail, size_t size)
{
    switch (letter->kind) {
    case TSUNAGU__V1__KIND__KIND_REFERRAL: return s_referral (self, sender, letter, detail, size);
    case TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS:
        return s_status (self, sender, letter, detail, size);
    case TSUNAGU__V1__KIND__KIND_CASE_EVENT:
        return s_case_event (self, sender, letter, envelope, len, detail, size);
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
