/* case_rules.c — checking a CASE_EVENT and applying it to the case record. */
#include <stdio.h>
#include <string.h>

#include "coordinator/intake/case_rules.h"
#include "tsunagu/tsg_words.h"
#include "coordinator/model/codec.h"
#include "coordinator/intake/legal_basis.h"

/* Shorthand for a refusal with a formatted sentence. */
#define REFUSE(code, ...)                                                                          \
    do {                                                                                           \
        snprintf (detail, size, __VA_ARGS__);                                                      \
        return TSUNAGU__V1__ERROR_CODE__##code;                                                    \
    } while (0)

/* Checks the agency ids of a list: each registered, none twice. */
static Tsunagu__V1__ErrorCode
s_check_agencies (const tsg_hub_directory_t *directory, char *const ids[], size_t n,
                  const char *what, char *detail, size_t size)
{
    for (size_t i = 0; i < n; i++) {
        if (!ids[i] || !tsg_agency_id_valid (ids[i]))
            REFUSE (ERROR_MALFORMED, "%s %zu is not an agency id", what, i + 1);
        if (!tsg_hub_directory_find (directory, ids[i]))
            REFUSE (ERROR_NOT_PERMITTED, "%s \"%s\" is not a registered agency", what, ids[i]);
        for (size_t k = 0; k < i; k++)
            if (strcmp (ids[k], ids[i]) == 0)
                REFUSE (ERROR_MALFORMED, "%s \"%s\" is named twice", what, ids[i]);
    }
    return 0;
}

static Tsunagu__V1__ErrorCode
s_check_meeting (const Tsunagu__V1__Meeting *m, const tsg_hub_directory_t *directory,
                 const char *sender, char *detail, size_t size)
{
    if (!m)
        REFUSE (ERROR_MALFORMED, "a meeting event needs its meeting");
    if (!tsg_hub_meeting_kind_name (m->kind))
        REFUSE (ERROR_MALFORMED, "the meeting kind must be core, shien, jusoteki, chiiki-care, "
                                 "kyogikai, yotaikyo or konkyu");
    /* A statutory meeting's roster lets its type share without consent, so only an agency of
     * that type (or the coordinator's staff) records one. */
    const char *owner = tsg_hub_statutory_meeting_type (m->kind);
    const Tsunagu__V1__AgencyEntry *by = tsg_hub_directory_find (directory, sender);
    if (owner && strcmp (sender, TSG_COORDINATOR_ID) != 0
        && (!by || !by->type || strcmp (by->type, owner) != 0))
        REFUSE (ERROR_NOT_PERMITTED,
                "a %s (%s) is recorded by an agency of type %s or by the coordinator",
                tsg_hub_meeting_label_ja (m->kind), tsg_hub_meeting_law (m->kind), owner);
    if (!tsg_date_ok (m->held_on))
        REFUSE (ERROR_MALFORMED, "held_on must be a date YYYY-MM-DD");
    if (m->n_attendees == 0 || m->n_attendees > TSG_HUB_CASE_ROSTER_MAX)
        REFUSE (ERROR_MALFORMED, "a meeting has 1 to %d attending agencies",
                TSG_HUB_CASE_ROSTER_MAX);
    if (m->decision && *m->decision && !tsg_meeting_decision_ok (m->decision))
        REFUSE (ERROR_MALFORMED,
                "the decision must be plan-adopted, continue, escalate, close or other");
    /* 重層的支援会議 needs the person's consent: the casework checks the register. */
    return s_check_agencies (directory, m->attendees, m->n_attendees, "attendee", detail, size);
}

static Tsunagu__V1__ErrorCode
s_check_plan (const Tsunagu__V1__Plan *p, const tsg_hub_directory_t *directory, char *detail,
              size_t size)
{
    if (!p)
        REFUSE (ERROR_MALFORMED, "a plan event needs its plan");
    if (p->n_roles == 0 || p->n_roles > TSG_HUB_CASE_ROLES_MAX)
        REFUSE (ERROR_MALFORMED, "a plan has 1 to %d roles", TSG_HUB_CASE_ROLES_MAX);
    if (p->next_review_on && *p->next_review_on && !tsg_date_ok (p->next_review_on))
        REFUSE (ERROR_MALFORMED, "next_review_on must be a date YYYY-MM-DD");
    char *ids[TSG_HUB_CASE_ROLES_MAX];
    for (size_t i = 0; i < p->n_roles; i++) {
        const Tsunagu__V1__PlanRole *role = p->roles[i];
        if (!role || !tsg_text_ok (role->role, TSG_HUB_ROLE_MAX))
            REFUSE (ERROR_MALFORMED, "role %zu needs a label of 1 to %d bytes of text", i + 1,
                    TSG_HUB_ROLE_MAX);
        /* The label is kept in the case record and shown on the dashboard: never a name. */
        char why[TSG_CLEARTEXT_WHY_SIZE];
        tsg_cleartext_verdict_t verdict =
            tsg_cleartext_check (TSG_CLEARTEXT_LABEL, role->role, why, sizeof why);
        if (verdict == TSG_CLEARTEXT_PERSONAL)
            REFUSE (ERROR_PERSONAL_DATA, "plan.roles[%zu].role %s", i, why);
        if (verdict != TSG_CLEARTEXT_OK)
            REFUSE (ERROR_MALFORMED, "plan.roles[%zu].role %s", i, why);
        ids[i] = role->agency_id;
    }
    return s_check_agencies (directory, ids, p->n_roles, "plan agency", detail, size);
}

/* A hand-over (担当交代) is an agency's own: its staff codes are pseudonyms its system
 * assigns, checked as such (tsg_staff_code_check), and the day it takes effect. */
static Tsunagu__V1__ErrorCode
s_check_handover (const Tsunagu__V1__Handover *ho, const char *sender, char *detail, size_t size)
{
    if (strcmp (sender, TSG_COORDINATOR_ID) == 0)
        REFUSE (ERROR_NOT_PERMITTED,
                "a hand-over is recorded by the agency whose staff changed, not by the "
                "coordinator");
    if (!ho)
        REFUSE (ERROR_MALFORMED, "a handover event needs its handover");
    char why[TSG_CLEARTEXT_WHY_SIZE];
    tsg_cleartext_verdict_t verdict = tsg_staff_code_check (ho->staff_code, why, sizeof why);
    if (verdict == TSG_CLEARTEXT_PERSONAL)
        REFUSE (ERROR_PERSONAL_DATA, "handover.staff_code %s", why);
    if (verdict != TSG_CLEARTEXT_OK)
        REFUSE (ERROR_MALFORMED, "handover.staff_code %s", why);
    if (ho->previous_staff_code && *ho->previous_staff_code) {
        verdict = tsg_staff_code_check (ho->previous_staff_code, why, sizeof why);
        if (verdict == TSG_CLEARTEXT_PERSONAL)
            REFUSE (ERROR_PERSONAL_DATA, "handover.previous_staff_code %s", why);
        if (verdict != TSG_CLEARTEXT_OK)
            REFUSE (ERROR_MALFORMED, "handover.previous_staff_code %s", why);
        if (strcmp (ho->previous_staff_code, ho->staff_code) == 0)
            REFUSE (ERROR_MALFORMED, "handover.previous_staff_code is the same as staff_code");
    }
    if (!tsg_date_ok (ho->effective_on))
        REFUSE (ERROR_MALFORMED, "handover.effective_on must be a date YYYY-MM-DD");
    return 0;
}

/* A succession (組織改編) is the coordinator's alone (tsunaguctl agency succeed): previous on the
 * case, its successor another registered agency, the day, and the consents to renew as ids. */
static Tsunagu__V1__ErrorCode
s_check_succession (const tsg_hub_case_t *c, const Tsunagu__V1__Succession *su,
                    const tsg_hub_directory_t *directory, const char *sender, char *detail,
                    size_t size)
{
    if (strcmp (sender, TSG_COORDINATOR_ID) != 0)
        REFUSE (ERROR_NOT_PERMITTED, "only the coordinator records an agency succession");
    if (!su || !su->previous_agency || !su->agency)
        REFUSE (ERROR_MALFORMED, "a succession event needs its succession");
    if (!tsg_hub_case_has_agency (c, su->previous_agency))
        REFUSE (ERROR_NOT_PERMITTED, "succession.previous_agency \"%.32s\" is not on case %s",
                su->previous_agency, c->id);
    if (strcmp (su->previous_agency, su->agency) == 0 || !tsg_agency_id_valid (su->agency)
        || !tsg_hub_directory_find (directory, su->agency))
        REFUSE (ERROR_NOT_PERMITTED, "succession.agency must be another registered agency");
    if (!tsg_date_ok (su->effective_on))
        REFUSE (ERROR_MALFORMED, "succession.effective_on must be a date YYYY-MM-DD");
    if (su->n_consents_to_renew > TSG_HUB_CASE_AGENCIES_MAX)
        REFUSE (ERROR_MALFORMED, "succession.consents_to_renew is too long");
    for (size_t i = 0; i < su->n_consents_to_renew; i++)
        if (!tsg_uuid_valid (su->consents_to_renew[i]))
            REFUSE (ERROR_MALFORMED, "succession.consents_to_renew[%zu] is not a consent id", i);
    return 0;
}

/* Checks the state change an event makes, if any. */
static Tsunagu__V1__ErrorCode
s_check_change (const tsg_hub_case_t *c, const Tsunagu__V1__CaseEvent *ev, bool reason_given,
                char *detail, size_t size)
{
    const char *reason = reason_given ? "given" : NULL;
    tsg_case_state_t to;
    const char *why = NULL;
    switch (ev->type) {
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_STATE:
        if (!tsg_case_state_parse (ev->state, &to))
            REFUSE (ERROR_ILLEGAL_TRANSITION, "\"%.32s\" is not a case state",
                    ev->state ? ev->state : "");
        if (to == TSG_CASE_CLOSED)
            REFUSE (ERROR_ILLEGAL_TRANSITION, "a case is closed with a close event");
        if (c->state == TSG_CASE_CLOSED)
            REFUSE (ERROR_ILLEGAL_TRANSITION, "a closed case is reopened with a reopen event");
        why = tsg_case_transition_check (c->state, to, reason);
        break;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_CLOSE:
        if (!tsg_close_reason_ok (ev->close_reason))
            REFUSE (ERROR_ILLEGAL_TRANSITION,
                    "closing a case needs a close_reason: goal-achieved, moved-away, died, "
                    "declined, transferred or other");
        why = tsg_case_transition_check (c->state, TSG_CASE_CLOSED, ev->close_reason);
        break;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_REOPEN:
        if (c->state != TSG_CASE_CLOSED)
            REFUSE (ERROR_ILLEGAL_TRANSITION, "only a closed case can be reopened");
        why = tsg_case_transition_check (c->state, TSG_CASE_OPEN, reason);
        break;
    default: return 0;
    }
    if (why)
        REFUSE (ERROR_ILLEGAL_TRANSITION, "%s (%s)", why, tsg_case_state_name (c->state));
    return 0;
}

Tsunagu__V1__ErrorCode
tsg_hub_case_event_check (const tsg_hub_case_t *c, const tsg_hub_directory_t *directory,
                          const char *sender, const tsg_letter_t *letter, char *detail, size_t size)
{
    const tsg_header_t *h = letter->header;
    const Tsunagu__V1__CaseEvent *ev = h->case_event;
    bool staff = strcmp (sender, TSG_COORDINATOR_ID) == 0;
    if (!staff && !tsg_hub_case_has_agency (c, sender))
        REFUSE (ERROR_NOT_CASE_MEMBER, "agency \"%s\" is not on case %s", sender, c->id);
    if (h->base_version != c->version)
        REFUSE (ERROR_STALE_VERSION, "the case is at version %llu (%s), not %llu",
                (unsigned long long) c->version, tsg_case_state_name (c->state),
                (unsigned long long) h->base_version);
    if (!ev->event_id || !tsg_uuid_valid (ev->event_id))
        REFUSE (ERROR_MALFORMED, "a case event needs an event_id (a lowercase UUID)");
    Tsunagu__V1__ErrorCode code = 0;
    switch (ev->type) {
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_STATE:
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_CLOSE:
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_REOPEN: break;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_MEETING:
        code = s_check_meeting (ev->meeting, directory, sender, detail, size);
        break;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_PLAN:
        code = s_check_plan (ev->plan, directory, detail, size);
        break;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_NOTE:
        if (!ev->note || !tsg_note_category_ok (ev->note->category))
            REFUSE (ERROR_MALFORMED, "a note needs a category: visit, call, meeting or other");
        if (!tsg_date_ok (ev->note->written_on))
            REFUSE (ERROR_MALFORMED, "written_on must be a date YYYY-MM-DD");
        break;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_HANDOVER:
        code = s_check_handover (ev->handover, sender, detail, size);
        break;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_SUCCESSION:
        code = s_check_succession (c, ev->succession, directory, sender, detail, size);
        break;
    default: REFUSE (ERROR_MALFORMED, "unknown case event type %d", (int) ev->type);
    }
    if (code == 0)
        code = s_check_change (c, ev, h->reason_given, detail, size);
    if (code != 0)
        return code;
    if (letter->body.len > 0)
        REFUSE (ERROR_MALFORMED, "a case event carries its bodies in sealed_bodies");
    if (staff && letter->n_sealed_bodies > 0)
        REFUSE (ERROR_NOT_PERMITTED, "the coordinator's own events carry no bodies");
    return tsg_hub_sealed_bodies_check (c, sender, letter, detail, size);
}

Tsunagu__V1__ErrorCode
tsg_hub_sealed_bodies_check (const tsg_hub_case_t *c, const char *sender,
                             const tsg_letter_t *letter, char *detail, size_t size)
{
    if (letter->n_sealed_bodies > TSG_HUB_CASE_AGENCIES_MAX)
        REFUSE (ERROR_MALFORMED, "too many sealed bodies");
    for (size_t i = 0; i < letter->n_sealed_bodies; i++) {
        const Tsunagu__V1__SealedBody *body = letter->sealed_bodies[i];
        const char *to = body ? body->recipient : NULL;
        if (!to || !tsg_agency_id_valid (to) || body->box.len == 0)
            REFUSE (ERROR_MALFORMED, "sealed body %zu has no recipient or no box", i + 1);
        if (strcmp (to, sender) == 0 || !c || !tsg_hub_case_has_agency (c, to))
            REFUSE (ERROR_NOT_PERMITTED,
                    "a sealed body for \"%s\", who is not another agency on "
                    "the case",
                    to);
        for (size_t k = 0; k < i; k++)
            if (strcmp (letter->sealed_bodies[k]->recipient, to) == 0)
                REFUSE (ERROR_MALFORMED, "two sealed bodies for \"%s\"", to);
    }
    return 0;
}

bool
tsg_hub_sealed_body_for (const tsg_letter_t *letter, const char *agency)
{
    for (size_t i = 0; i < letter->n_sealed_bodies; i++)
        if (letter->sealed_bodies[i] && letter->sealed_bodies[i]->recipient
            && strcmp (letter->sealed_bodies[i]->recipient, agency) == 0)
            return true;
    return false;
}

/* Copies a list of agency ids into rows; returns how many. */
static size_t
s_copy_ids (char rows[][TSG_ID_MAX + 1], size_t max, char *const ids[], size_t n)
{
    size_t kept = 0;
    for (size_t i = 0; i < n && kept < max; i++)
        if (tsg_hub_copy (rows[kept], TSG_ID_MAX + 1, ids[i]))
            kept++;
    return kept;
}

/* A meeting or a plan (its adoption or review) reviews the case: the hand-overs before it
 * have been looked at. */
static void
s_reviewed (tsg_hub_case_t *c, uint64_t now_ms)
{
    c->reviewed_at_ms = now_ms;
    c->handed_over = false;
}

void
tsg_hub_case_event_apply (tsg_hub_case_t *c, const Tsunagu__V1__CaseEvent *ev, const char *by,
                          uint64_t now_ms, tsg_hub_case_effect_t *effect)
{
    memset (effect, 0, sizeof *effect);
    effect->from = c->state;
    tsg_case_state_t to;
    switch (ev->type) {
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_STATE:
        if (tsg_case_state_parse (ev->state, &to))
            c->state = to;
        break;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_MEETING:
        s_reviewed (c, now_ms);
        /* The roster is the latest meeting but a コア会議; each kind keeps its own latest. */
        if (ev->meeting->kind > TSUNAGU__V1__MEETING_KIND__MEETING_CORE
            && ev->meeting->kind < TSG_HUB_MEETING_KINDS) {
            int kind = ev->meeting->kind;
            c->roster_kind = kind;
            c->n_roster = s_copy_ids (c->roster, TSG_HUB_CASE_ROSTER_MAX, ev->meeting->attendees,
                                      ev->meeting->n_attendees);
            c->n_rosters[kind] = s_copy_ids (c->rosters[kind], TSG_HUB_CASE_ROSTER_MAX,
                                             ev->meeting->attendees, ev->meeting->n_attendees);
        }
        break;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_PLAN:
        s_reviewed (c, now_ms);
        c->n_roles = 0;
        for (size_t i = 0; i < ev->plan->n_roles && i < TSG_HUB_CASE_ROLES_MAX; i++) {
            tsg_hub_role_t *role = &c->roles[c->n_roles];
            if (tsg_hub_copy (role->agency, sizeof role->agency, ev->plan->roles[i]->agency_id)
                && tsg_hub_copy (role->role, sizeof role->role, ev->plan->roles[i]->role))
                c->n_roles++;
        }
        tsg_hub_copy (c->next_review_on, sizeof c->next_review_on,
                      ev->plan->next_review_on ? ev->plan->next_review_on : "");
        if (c->plan_at_ms == 0) {
            c->plan_at_ms = now_ms;
            effect->first_plan = true;
        }
        break;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_CLOSE:
        c->state = TSG_CASE_CLOSED;
        c->closed_at_ms = now_ms;
        tsg_hub_copy (c->close_reason, sizeof c->close_reason, ev->close_reason);
        effect->closed = true;
        break;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_REOPEN:
        c->state = TSG_CASE_OPEN;
        c->closed_at_ms = 0;
        c->close_reason[0] = '\0';
        c->reopened++;
        effect->reopened = true;
        break;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_HANDOVER:
        c->handed_over = true;
        c->handed_over_at_ms = now_ms;
        tsg_hub_copy (c->handover_on, sizeof c->handover_on, ev->handover->effective_on);
        tsg_hub_copy (c->handover_by, sizeof c->handover_by, by);
        effect->handed_over = true;
        break;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_SUCCESSION:
        tsg_hub_case_succeed (c, ev->succession->previous_agency, ev->succession->agency);
        break;
    default: break;
    }
}

void
tsg_hub_case_event_copy (tsg_hub_case_event_copy_t *out, const Tsunagu__V1__CaseEvent *ev)
{
    tsunagu__v1__case_event__init (&out->event);
    out->event.event_id = ev->event_id;
    out->event.type = ev->type;
    /* Only the fields the type uses, all of which the check has seen. */
    switch (ev->type) {
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_STATE: out->event.state = ev->state; break;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_CLOSE:
        out->event.close_reason = ev->close_reason;
        break;
    default: break;
    }
    if (ev->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_MEETING && ev->meeting) {
        tsunagu__v1__meeting__init (&out->meeting);
        out->meeting.kind = ev->meeting->kind;
        out->meeting.held_on = ev->meeting->held_on;
        out->meeting.n_attendees = ev->meeting->n_attendees;
        out->meeting.attendees = ev->meeting->attendees;
        out->meeting.decision = ev->meeting->decision;
        out->event.meeting = &out->meeting;
    }
    if (ev->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_PLAN && ev->plan) {
        tsunagu__v1__plan__init (&out->plan);
        size_t n =
            ev->plan->n_roles < TSG_HUB_CASE_ROLES_MAX ? ev->plan->n_roles : TSG_HUB_CASE_ROLES_MAX;
        for (size_t i = 0; i < n; i++) {
            tsunagu__v1__plan_role__init (&out->roles[i]);
            out->roles[i].agency_id = ev->plan->roles[i]->agency_id;
            out->roles[i].role = ev->plan->roles[i]->role;
            out->role_ptrs[i] = &out->roles[i];
        }
        out->plan.n_roles = n;
        out->plan.roles = out->role_ptrs;
        out->plan.next_review_on = ev->plan->next_review_on;
        out->event.plan = &out->plan;
    }
    if (ev->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_NOTE && ev->note) {
        tsunagu__v1__note__init (&out->note);
        out->note.category = ev->note->category;
        out->note.written_on = ev->note->written_on;
        out->event.note = &out->note;
    }
    if (ev->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_HANDOVER && ev->handover) {
        tsunagu__v1__handover__init (&out->handover);
        out->handover.staff_code = ev->handover->staff_code;
        out->handover.previous_staff_code = ev->handover->previous_staff_code;
        out->handover.effective_on = ev->handover->effective_on;
        out->event.handover = &out->handover;
    }
    if (ev->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_SUCCESSION && ev->succession) {
        tsunagu__v1__succession__init (&out->succession);
        out->succession.previous_agency = ev->succession->previous_agency;
        out->succession.agency = ev->succession->agency;
        out->succession.effective_on = ev->succession->effective_on;
        out->succession.n_consents_to_renew = ev->succession->n_consents_to_renew;
        out->succession.consents_to_renew = ev->succession->consents_to_renew;
        out->event.succession = &out->succession;
    }
}
