/* case_flow.c — CASE_EVENT letters: an event of one of the case's agencies (or of the
 * coordinator's staff) is checked against the case (case_rules.c), its legal basis and, for a
 * 重層的支援会議, the consent that covers every attendee; applied to the case, counted, put on
 * its timeline, and passed on to the other agencies on the case (fan_out.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/intake/case_rules.h"
#include "coordinator/intake/casework_parts.h"
#include "coordinator/model/stats.h"

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
        if (!tsg_hub_consent_covers (c, who, hub_casework_type_of (j->self, who))) {
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

Tsunagu__V1__ErrorCode
hub_casework_case_event (tsg_hub_casework_t *self, const char *sender, const tsg_letter_t *letter,
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
    tsg_hub_case_event_apply (c, event, sender, self->now_ms, &effect);
    code = hub_casework_legal_fan_out (self, sender, letter, old->id, c, NULL, route, detail, size);
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
    hub_casework_event_init (self, &ev, type, sender, letter);
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
    hub_casework_fan_out (self, c, sender, letter, envelope, len, route->consent_id);
    hub_casework_changed (self, c->id);
    return 0;
}
