/* Case events: the API that makes them, the coordinator's answers about them, and the
 * events fanned out to this agency. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_events.h"
#include "cases.h"
#include "consents.h"
#include "json.h"
#include "legal.h"
#include "request.h"
#include "store.h"

#define EVENT_REASON_MAX 2000 /* bytes of a reason */
#define EVENT_LIST_MAX   64   /* attendees or plan roles */
#define EVENT_LABEL_MAX  64   /* bytes of a plan role's label */

static const char *const s_fields[] = {
    "type", "base_version", "state",       "reason",     "close_reason",    "meeting",
    "plan", "note",         "legal_basis", "consent_id", "data_categories", NULL
};
static const char *const s_meeting_fields[] = { "kind",     "held_on", "attendees",
                                                "decision", "minutes", NULL };
static const char *const s_plan_fields[] = { "roles", "next_review_on", "content", NULL };
static const char *const s_note_fields[] = { "category", "written_on", "text", NULL };
static const char *const s_close_reasons[] = { "goal-achieved", "moved-away", "died", "declined",
                                               "transferred",   "other",      NULL };
static const char *const s_decisions[] = { "plan-adopted", "continue", "escalate",
                                           "close",        "other",    NULL };
static const char *const s_categories[] = { "visit", "call", "meeting", "other", NULL };

/* A validated request; the strings are borrowed from root. */
typedef struct {
    json_t *root;                            /* the parsed body */
    Tsunagu__V1__CaseEventType type;         /* what happened */
    uint64_t base_version;                   /* 0 when absent */
    tsg_case_state_t state;                  /* state: the state asked for */
    const char *reason;                      /* NULL when absent */
    const char *close_reason;                /* close: the code */
    Tsunagu__V1__MeetingKind meeting_kind;   /* meeting */
    const char *held_on;                     /* meeting: YYYY-MM-DD */
    const char *attendees[EVENT_LIST_MAX];   /* meeting: agency ids */
    size_t n_attendees;                      /* how many */
    const char *decision;                    /* meeting: a code, or NULL */
    const char *minutes;                     /* meeting: personal text, or NULL */
    const char *role_agency[EVENT_LIST_MAX]; /* plan: agency ids */
    const char *role_label[EVENT_LIST_MAX];  /* plan: their roles */
    size_t n_roles;                          /* how many */
    const char *next_review_on;              /* plan: YYYY-MM-DD, or NULL */
    json_t *plan_content;                    /* plan: personal content, or NULL (borrowed) */
    const char *category;                    /* note */
    const char *written_on;                  /* note: YYYY-MM-DD */
    const char *text;                        /* note: personal text, or NULL */
    Tsunagu__V1__LegalBasis legal_basis;     /* unspecified when absent (then decided) */
    const char *consent_id;                  /* NULL when absent */
    json_t *data_categories;                 /* NULL when absent (then free-text) */
} s_request_t;

/* What lets an event's personal parts go, and to whom. */
typedef struct {
    Tsunagu__V1__LegalBasis basis; /* none when nothing personal travels */
    const char *consent_id;        /* consent: the consent (borrowed) */
    json_t *categories;            /* the data categories (owned) */
    json_t *roster;                /* a meeting's attendees to seal to only (owned), or NULL */
    json_t *consent;               /* consent: its record when known here (owned), or NULL */
} s_legal_t;

static bool
s_one_of (const char *text, const char *const list[])
{
    for (int i = 0; text && list[i]; i++)
        if (strcmp (text, list[i]) == 0)
            return true;
    return false;
}

/* The sub-object key: required for its type, refused for the others. */
static json_t *
s_part (json_t *root, const char *key, bool wanted, const char *const known[], json_t *fields)
{
    json_t *part = json_object_get (root, key);
    if (!wanted) {
        if (part && !json_is_null (part))
            agency_json_field (fields, key, "not used by this type of event");
        return NULL;
    }
    if (!json_is_object (part)) {
        agency_json_field (fields, key,
                           part ? "must be an object" : "required for this type of event");
        return NULL;
    }
    char prefix[32];
    snprintf (prefix, sizeof prefix, "%s.", key);
    agency_json_unknown (part, known, prefix, fields);
    return part;
}

static void
s_meeting (json_t *meeting, s_request_t *req, json_t *fields)
{
    const char *kind = agency_json_text (meeting, "kind", "meeting.kind", 16, false, fields);
    if (!kind || !agency_meeting_kind_parse (kind, &req->meeting_kind))
        agency_json_field (
            fields, "meeting.kind",
            "must be shien (支援会議), jusoteki (重層的支援会議), core, chiiki-care "
            "(地域ケア会議), kyogikai (協議会), yotaikyo (要保護児童対策地域協議会) or "
            "konkyu (支援会議, 生活困窮者自立支援法)");
    req->held_on = agency_json_date (meeting, "held_on", "meeting.held_on", true, fields);
    json_t *attendees = json_object_get (meeting, "attendees");
    if (!json_is_array (attendees) || json_array_size (attendees) == 0)
        agency_json_field (fields, "meeting.attendees", "must be a non-empty array of agency ids");
    else if (json_array_size (attendees) > EVENT_LIST_MAX)
        agency_json_field (fields, "meeting.attendees", "at most 64 agencies");
    else {
        size_t i;
        json_t *id;
        json_array_foreach (attendees, i, id)
        {
            char path[48];
            snprintf (path, sizeof path, "meeting.attendees[%zu]", i);
            if (!json_is_string (id) || !tsg_agency_id_valid (json_string_value (id)))
                agency_json_field (fields, path, "must be an agency id");
            else
                req->attendees[req->n_attendees++] = json_string_value (id);
        }
    }
    req->decision = agency_json_text (meeting, "decision", "meeting.decision", 32, false, fields);
    if (req->decision && !s_one_of (req->decision, s_decisions))
        agency_json_field (fields, "meeting.decision",
                           "must be plan-adopted, continue, escalate, close or other");
    req->minutes = agency_json_text (meeting, "minutes", "meeting.minutes", AGENCY_CASE_TEXT_MAX,
                                     true, fields);
}

/* The plan's roles, next review and content; a role label that looks like personal data (the
 * coordinator reads it) goes in personal, other problems in fields. */
static void
s_plan (json_t *plan, s_request_t *req, json_t *fields, json_t *personal)
{
    json_t *roles = json_object_get (plan, "roles");
    if (!json_is_array (roles) || json_array_size (roles) == 0)
        agency_json_field (fields, "plan.roles", "must be a non-empty array of {agency, role}");
    else if (json_array_size (roles) > EVENT_LIST_MAX)
        agency_json_field (fields, "plan.roles", "at most 64 roles");
    else {
        size_t i;
        json_t *role;
        json_array_foreach (roles, i, role)
        {
            char path[48];
            snprintf (path, sizeof path, "plan.roles[%zu]", i);
            if (!json_is_object (role)) {
                agency_json_field (fields, path, "must be an object {agency, role}");
                continue;
            }
            static const char *const known[] = { "agency", "role", NULL };
            char prefix[64];
            snprintf (prefix, sizeof prefix, "%s.", path);
            agency_json_unknown (role, known, prefix, fields);
            json_t *agency = json_object_get (role, "agency");
            snprintf (path, sizeof path, "plan.roles[%zu].agency", i);
            if (!json_is_string (agency) || !tsg_agency_id_valid (json_string_value (agency))) {
                agency_json_field (fields, path, "must be an agency id");
                continue;
            }
            snprintf (path, sizeof path, "plan.roles[%zu].role", i);
            const char *label =
                agency_json_text (role, "role", path, EVENT_LABEL_MAX, false, fields);
            if (!label) {
                agency_json_field (fields, path, "required: a short label of the agency's task");
                continue;
            }
            char why[TSG_CLEARTEXT_WHY_SIZE];
            tsg_cleartext_verdict_t verdict =
                tsg_cleartext_check (TSG_CLEARTEXT_LABEL, label, why, sizeof why);
            if (verdict != TSG_CLEARTEXT_OK) {
                agency_json_field (verdict == TSG_CLEARTEXT_PERSONAL ? personal : fields, path,
                                   why);
                continue;
            }
            req->role_agency[req->n_roles] = json_string_value (agency);
            req->role_label[req->n_roles] = label;
            req->n_roles++;
        }
    }
    req->next_review_on =
        agency_json_date (plan, "next_review_on", "plan.next_review_on", false, fields);
    json_t *content = json_object_get (plan, "content");
    if (content && !json_is_null (content)) {
        if (!json_is_string (content) && !json_is_object (content))
            agency_json_field (fields, "plan.content", "must be a string or an object");
        else {
            char *text = json_dumps (content, JSON_COMPACT | JSON_ENCODE_ANY);
            if (!text || strlen (text) > AGENCY_CASE_TEXT_MAX)
                agency_json_field (fields, "plan.content", "larger than 64 KiB");
            else
                req->plan_content = content;
            free (text);
        }
    }
}

static void
s_note (json_t *note, s_request_t *req, json_t *fields)
{
    req->category = agency_json_text (note, "category", "note.category", 16, false, fields);
    if (!req->category || !s_one_of (req->category, s_categories))
        agency_json_field (fields, "note.category", "must be visit, call, meeting or other");
    req->written_on = agency_json_date (note, "written_on", "note.written_on", true, fields);
    req->text = agency_json_text (note, "text", "note.text", AGENCY_CASE_TEXT_MAX, true, fields);
}

/* Parses body: 0 with *req filled, or with *reply set 400 (invalid), or 422 (personal_data)
 * when the only problems are cleartext labels that look like personal data. */
static int
s_parse (const char *body, size_t len, s_request_t *req, json_t **reply)
{
    memset (req, 0, sizeof *req);
    json_t *root = agency_json_load_object (body, len, reply);
    if (!root)
        return 400;
    req->root = root;
    json_t *fields = json_object ();
    json_t *personal = json_object (); /* cleartext that looks like personal data */
    agency_json_unknown (root, s_fields, "", fields);

    const char *type = agency_json_text (root, "type", "type", 16, false, fields);
    bool typed = type && agency_case_event_type_parse (type, &req->type);
    if (!typed)
        agency_json_field (fields, "type", "must be state, meeting, plan, note, close or reopen");
    json_t *value = json_object_get (root, "base_version");
    if (value && !json_is_null (value)) {
        if (!json_is_integer (value) || json_integer_value (value) < 1)
            agency_json_field (fields, "base_version", "must be an integer >= 1");
        else
            req->base_version = (uint64_t) json_integer_value (value);
    }
    req->reason = agency_json_text (root, "reason", "reason", EVENT_REASON_MAX, true, fields);

    bool is_state = typed && req->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_STATE;
    bool is_close = typed && req->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_CLOSE;
    const char *state = agency_json_text (root, "state", "state", 32, false, fields);
    if (is_state) {
        if (!state || !tsg_case_state_parse (state, &req->state))
            agency_json_field (fields, "state",
                               "must be a case state: open, multi-agency, assessment, planning, "
                               "conference, support, monitoring or watch");
        else if (req->state == TSG_CASE_CLOSED)
            agency_json_field (fields, "state",
                               "to close a case, use type close with a close_reason");
    }
    else if (state)
        agency_json_field (fields, "state", "only for type state");
    req->close_reason = agency_json_text (root, "close_reason", "close_reason", 32, false, fields);
    if (is_close && !s_one_of (req->close_reason, s_close_reasons))
        agency_json_field (
            fields, "close_reason",
            "must be goal-achieved, moved-away, died, declined, transferred or other");
    else if (!is_close && req->close_reason)
        agency_json_field (fields, "close_reason", "only for type close");

    json_t *part = s_part (root, "meeting",
                           typed && req->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_MEETING,
                           s_meeting_fields, fields);
    if (part)
        s_meeting (part, req, fields);
    part =
        s_part (root, "plan", typed && req->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_PLAN,
                s_plan_fields, fields);
    if (part)
        s_plan (part, req, fields, personal);
    part =
        s_part (root, "note", typed && req->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_NOTE,
                s_note_fields, fields);
    if (part)
        s_note (part, req, fields);

    const char *basis = agency_json_text (root, "legal_basis", "legal_basis", 32, false, fields);
    if (basis && !tsg_legal_basis_parse (basis, &req->legal_basis))
        agency_json_field (fields, "legal_basis",
                           "must be consent, support-meeting, statutory-meeting or none");
    req->consent_id =
        agency_json_text (root, "consent_id", "consent_id", AGENCY_REF_MAX, false, fields);
    req->data_categories = agency_categories_parse (json_object_get (root, "data_categories"),
                                                    "data_categories", fields);
    if (typed && req->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_MEETING
        && req->meeting_kind == TSUNAGU__V1__MEETING_KIND__MEETING_JUSOTEKI && !req->consent_id)
        agency_json_field (fields, "consent_id",
                           "required for a 重層的支援会議: the consent that covers every attendee");

    int status = agency_json_problems (fields, personal, "case event", "plan.content", reply);
    if (status != 0) {
        json_decref (root);
        req->root = NULL;
    }
    return status;
}

/* The state the event moves the case to, or false when it does not change the state. */
static bool
s_target (Tsunagu__V1__CaseEventType type, tsg_case_state_t requested, tsg_case_state_t *to)
{
    switch (type) {
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_STATE: *to = requested; return true;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_CLOSE: *to = TSG_CASE_CLOSED; return true;
    case TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_REOPEN: *to = TSG_CASE_OPEN; return true;
    default: return false;
    }
}

/* The event's cleartext metadata as JSON (for the local copy), from the header's CaseEvent.
 * NULL when the CaseEvent is not readable. */
static json_t *
s_metadata (const Tsunagu__V1__CaseEvent *ce)
{
    const char *type = agency_case_event_type_name (ce->type);
    if (!type || !tsg_uuid_valid (ce->event_id))
        return NULL;
    json_t *out = json_pack ("{s:s, s:s}", "event_id", ce->event_id, "type", type);
    tsg_case_state_t state;
    if (ce->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_STATE) {
        if (!tsg_case_state_parse (ce->state, &state)) {
            json_decref (out);
            return NULL;
        }
        json_object_set_new (out, "state", json_string (ce->state));
    }
    if (ce->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_CLOSE)
        json_object_set_new (out, "close_reason",
                             json_string (s_one_of (ce->close_reason, s_close_reasons)
                                              ? ce->close_reason
                                              : "other"));
    if (ce->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_MEETING && ce->meeting) {
        const Tsunagu__V1__Meeting *m = ce->meeting;
        json_t *attendees = json_array ();
        for (size_t i = 0; i < m->n_attendees && i < 4096; i++)
            if (tsg_agency_id_valid (m->attendees[i]))
                json_array_append_new (attendees, json_string (m->attendees[i]));
        const char *kind = agency_meeting_kind_name (m->kind);
        json_t *meeting = json_pack (
            "{s:s, s:s, s:o}", "kind", kind ? kind : "unspecified", "held_on",
            agency_json_date_valid (m->held_on) ? m->held_on : "", "attendees", attendees);
        if (s_one_of (m->decision, s_decisions))
            json_object_set_new (meeting, "decision", json_string (m->decision));
        json_object_set_new (out, "meeting", meeting);
    }
    if (ce->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_PLAN && ce->plan) {
        const Tsunagu__V1__Plan *p = ce->plan;
        json_t *roles = json_array ();
        for (size_t i = 0; i < p->n_roles && i < 4096; i++) {
            const Tsunagu__V1__PlanRole *r = p->roles[i];
            if (r && tsg_agency_id_valid (r->agency_id) && r->role && strlen (r->role) <= 256)
                json_array_append_new (
                    roles, json_pack ("{s:s, s:s}", "agency", r->agency_id, "role", r->role));
        }
        json_t *plan = json_pack ("{s:o}", "roles", roles);
        if (agency_json_date_valid (p->next_review_on))
            json_object_set_new (plan, "next_review_on", json_string (p->next_review_on));
        json_object_set_new (out, "plan", plan);
    }
    if (ce->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_NOTE && ce->note) {
        const Tsunagu__V1__Note *n = ce->note;
        json_t *note = json_pack ("{s:s}", "category",
                                  s_one_of (n->category, s_categories) ? n->category : "other");
        if (agency_json_date_valid (n->written_on))
            json_object_set_new (note, "written_on", json_string (n->written_on));
        json_object_set_new (out, "note", note);
    }
    return out;
}

/* The personal parts of the request: {"reason", "minutes", "plan", "text"}, those given. */
static json_t *
s_content (const s_request_t *req, const char *reason)
{
    json_t *content = json_object ();
    if (reason)
        json_object_set_new (content, "reason", json_string (reason));
    if (req->minutes)
        json_object_set_new (content, "minutes", json_string (req->minutes));
    if (req->plan_content)
        json_object_set (content, "plan", req->plan_content);
    if (req->text)
        json_object_set_new (content, "text", json_string (req->text));
    return content;
}

/* Checks the agency ids the request names against the directory; 0, or 422 with *reply. */
static int
s_check_agencies (tsg_agency_t *self, const s_request_t *req, json_t **reply)
{
    json_t *fields = json_object ();
    char path[48];
    for (size_t i = 0; i < req->n_attendees; i++)
        if (!agency_directory_find (self->directory, req->attendees[i])) {
            snprintf (path, sizeof path, "meeting.attendees[%zu]", i);
            agency_json_field (fields, path, "not in the directory");
        }
    for (size_t i = 0; i < req->n_roles; i++)
        if (!agency_directory_find (self->directory, req->role_agency[i])) {
            snprintf (path, sizeof path, "plan.roles[%zu].agency", i);
            agency_json_field (fields, path, "not in the directory");
        }
    if (json_object_size (fields) == 0) {
        json_decref (fields);
        return 0;
    }
    *reply = agency_json_error ("unknown_agency",
                                "the event names agencies the directory does not list", fields);
    return 422;
}

/* True when list (an array of strings) holds text. */
static bool
s_lists (const json_t *list, const char *text)
{
    return agency_categories_has (list, text);
}

static void
s_legal_clear (s_legal_t *legal)
{
    json_decref (legal->categories);
    json_decref (legal->roster);
    json_decref (legal->consent);
    memset (legal, 0, sizeof *legal);
}

/* The attendees of the request's meeting as a new array. */
static json_t *
s_attendees (const s_request_t *req)
{
    json_t *out = json_array ();
    for (size_t i = 0; i < req->n_attendees; i++)
        json_array_append_new (out, json_string (req->attendees[i]));
    return out;
}

/* Decides the legal basis of the event's personal parts (a written reason, the minutes, the
 * plan's content, a note's text) against this agency's type, the case's copy (record) and the
 * consents known here, and whom they may be sealed to.  The basis asked for, else: a 支援会議
 * → support-meeting, the type's own statutory meeting → statutory-meeting, a 重層的支援会議 →
 * consent, any event on a case whose latest roster is a 支援会議 with this agency on it →
 * support-meeting.  0 with *legal filled (clear it), or the HTTP status (400 a missing piece,
 * 422 the law does not let it go) with *reply. */
static int
s_legal (tsg_agency_t *self, const s_request_t *req, const json_t *record, s_legal_t *legal,
         json_t **reply)
{
    memset (legal, 0, sizeof *legal);
    legal->categories = json_array ();
    bool meeting = req->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_MEETING;
    Tsunagu__V1__MeetingKind kind = meeting ? req->meeting_kind : 0;
    bool personal = req->reason || req->minutes || req->plan_content || req->text;
    const char *case_id = json_string_value (json_object_get (record, "case_id"));
    char message[256];

    /* A 重層的支援会議 needs a consent covering every attendee, with or without minutes. */
    if (meeting && kind == TSUNAGU__V1__MEETING_KIND__MEETING_JUSOTEKI) {
        json_t *consent = agency_consent_find (self, NULL, req->consent_id);
        for (size_t i = 0; consent && i < req->n_attendees; i++)
            if (!agency_consent_covers (self, consent, req->attendees[i])) {
                snprintf (message, sizeof message,
                          "consent %s does not cover %s, an attendee of the 重層的支援会議",
                          req->consent_id, req->attendees[i]);
                json_decref (consent);
                *reply = agency_legal_refusal ("consent_id", message, message);
                return 422;
            }
        json_decref (consent);
        int status = agency_consent_check (self, req->consent_id, case_id, NULL, NULL, "consent_id",
                                           "data_categories", reply);
        if (status)
            return status;
        legal->consent_id = req->consent_id; /* the coordinator checks it covers them all */
    }
    if (!personal) {
        if (req->legal_basis == TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT)
            legal->consent_id = req->consent_id;
        return 0; /* nothing personal travels: basis none */
    }

    Tsunagu__V1__LegalBasis basis = req->legal_basis;
    if (basis == TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_UNSPECIFIED) {
        json_t *roster = json_object_get (record, "roster");
        const char *roster_kind = json_string_value (json_object_get (record, "roster_kind"));
        if (meeting && kind == TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN)
            basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_SUPPORT_MEETING;
        else if (meeting && kind == self->policy->meeting)
            basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_STATUTORY_MEETING;
        else if (meeting && kind == TSUNAGU__V1__MEETING_KIND__MEETING_JUSOTEKI)
            basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT;
        else if (roster_kind && strcmp (roster_kind, "shien") == 0
                 && s_lists (roster, self->config->id))
            basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_SUPPORT_MEETING;
        else {
            *reply = agency_json_error (
                "invalid", "the case event has 1 invalid field",
                json_pack ("{s:s}", "legal_basis",
                           "required when the event carries personal content (a reason, minutes, "
                           "plan content or text): consent, support-meeting, statutory-meeting or "
                           "none"));
            return 400;
        }
    }
    if (basis == TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_EMERGENCY) {
        *reply = agency_legal_refusal ("legal_basis",
                                       "emergency is for abuse reports, sent as referrals",
                                       "a case event cannot travel as an emergency report");
        return 422;
    }
    const tsg_agency_policy_t *owner = meeting ? tsg_agency_policy_of_meeting (kind) : NULL;
    if (basis == TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_STATUTORY_MEETING && owner
        && owner != self->policy) {
        snprintf (message, sizeof message,
                  "the %s (%s) is the statutory meeting of %s, not of %s: its minutes travel as "
                  "statutory-meeting only from %s",
                  owner->meeting_ja, owner->meeting_law, owner->type, self->policy->type,
                  owner->type);
        *reply = agency_legal_refusal ("legal_basis", message, message);
        return 422;
    }
    legal->basis = basis;
    if (basis == TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT)
        legal->consent_id = req->consent_id;
    if (req->data_categories)
        json_array_extend (legal->categories, req->data_categories);
    else if (basis != TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE)
        json_array_append_new (legal->categories, json_string ("free-text"));
    json_t *fields = json_object ();
    agency_basis_rules (basis, legal->consent_id, true, legal->categories, "data_categories",
                        fields);
    if (json_object_size (fields) > 0) {
        *reply =
            agency_json_error ("invalid", "the case event's legal basis is incomplete", fields);
        return 400;
    }
    json_decref (fields);

    /* Whom the personal parts may go to: the roster of the meeting that allows it, or those
     * the consent covers; unknown here, every other agency on the case (the coordinator
     * checks each). */
    switch (basis) {
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_SUPPORT_MEETING:
        if (meeting && kind == TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN)
            legal->roster = s_attendees (req);
        else if (json_string_value (json_object_get (record, "roster_kind"))
                 && strcmp (json_string_value (json_object_get (record, "roster_kind")), "shien")
                        == 0)
            legal->roster = json_deep_copy (json_object_get (record, "roster"));
        break;
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_STATUTORY_MEETING:
        if (meeting && kind == self->policy->meeting)
            legal->roster = s_attendees (req);
        break;
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT: {
        int status =
            agency_consent_check (self, legal->consent_id, case_id, NULL, legal->categories,
                                  "consent_id", "data_categories", reply);
        if (status)
            return status;
        legal->consent = agency_consent_find (self, NULL, legal->consent_id);
        break;
    }
    default: break;
    }
    return 0;
}

/* Builds, seals and signs the letter into pending (and the event record for the copy).
 * 0, or the HTTP status with *reply set. */
static int
s_seal (tsg_agency_t *self, const s_request_t *req, const json_t *record, const s_legal_t *legal,
        agency_pending_t *pending, json_t **reply)
{
    char event_id[TSG_UUID_TEXT_SIZE];
    tsg_uuid_new (event_id);
    /* Closing names its reason code; the code stands for the reason when none is written. */
    const char *reason = req->reason;
    if (!reason && req->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_CLOSE)
        reason = req->close_reason;

    Tsunagu__V1__CaseEvent ce = TSUNAGU__V1__CASE_EVENT__INIT;
    Tsunagu__V1__Meeting meeting = TSUNAGU__V1__MEETING__INIT;
    Tsunagu__V1__Plan plan = TSUNAGU__V1__PLAN__INIT;
    Tsunagu__V1__Note note = TSUNAGU__V1__NOTE__INIT;
    Tsunagu__V1__PlanRole roles[EVENT_LIST_MAX];
    Tsunagu__V1__PlanRole *role_list[EVENT_LIST_MAX];
    ce.event_id = event_id;
    ce.type = req->type;
    ce.state = (char *) (req->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_STATE
                             ? tsg_case_state_name (req->state)
                             : "");
    ce.close_reason = (char *) (req->close_reason ? req->close_reason : "");
    if (req->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_MEETING) {
        meeting.kind = req->meeting_kind;
        meeting.held_on = (char *) req->held_on;
        meeting.n_attendees = req->n_attendees;
        meeting.attendees = (char **) req->attendees;
        meeting.decision = (char *) (req->decision ? req->decision : "");
        ce.meeting = &meeting;
    }
    if (req->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_PLAN) {
        for (size_t i = 0; i < req->n_roles; i++) {
            tsunagu__v1__plan_role__init (&roles[i]);
            roles[i].agency_id = (char *) req->role_agency[i];
            roles[i].role = (char *) req->role_label[i];
            role_list[i] = &roles[i];
        }
        plan.n_roles = req->n_roles;
        plan.roles = role_list;
        plan.next_review_on = (char *) (req->next_review_on ? req->next_review_on : "");
        ce.plan = &plan;
    }
    if (req->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_NOTE) {
        note.category = (char *) req->category;
        note.written_on = (char *) req->written_on;
        ce.note = &note;
    }

    /* One sealed body per other agency on the case, when there is anything personal. */
    json_t *content = s_content (req, reason);
    json_t *agencies = json_object_get (record, "agencies");
    size_t cap = json_array_size (agencies);
    Tsunagu__V1__SealedBody *bodies = calloc (cap ? cap : 1, sizeof *bodies);
    Tsunagu__V1__SealedBody **body_list = calloc (cap ? cap : 1, sizeof *body_list);
    json_t *sealed_for = json_array ();
    size_t n_bodies = 0;
    int status = 0;
    char *text = json_object_size (content) ? json_dumps (content, JSON_COMPACT) : NULL;
    if (!bodies || !body_list || (json_object_size (content) && !text)) {
        *reply = agency_json_error ("internal", "out of memory", NULL);
        status = 500;
        goto done;
    }
    size_t i;
    json_t *id;
    json_array_foreach (agencies, i, id)
    {
        const char *other = json_string_value (id);
        if (!text || !other || strcmp (other, self->config->id) == 0)
            continue;
        if ((legal->roster && !s_lists (legal->roster, other))
            || (legal->consent && !agency_consent_covers (self, legal->consent, other)))
            continue; /* the basis does not cover it: it gets the event without the content */
        const agency_entry_t *entry = agency_directory_find (self->directory, other);
        if (!entry || entry->status != TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE) {
            log_warnx ("case event %s: %s is not active in the directory; no body for it", event_id,
                       other);
            continue;
        }
        tsunagu__v1__sealed_body__init (&bodies[n_bodies]);
        bodies[n_bodies].recipient = (char *) entry->id;
        int rc = tsg_body_seal (self->boxer, entry->box_public, "application/json",
                                (const uint8_t *) text, strlen (text), &bodies[n_bodies].box.data,
                                &bodies[n_bodies].box.len);
        if (rc != TSG_OK) {
            *reply = agency_json_error (rc == TSG_ERR_TOO_LARGE ? "too_large" : "internal",
                                        tsg_strerror (rc), NULL);
            status = rc == TSG_ERR_TOO_LARGE ? 413 : 500;
            goto done;
        }
        body_list[n_bodies] = &bodies[n_bodies];
        n_bodies++;
        json_array_append_new (sealed_for, json_string (entry->id));
    }

    tsg_letter_t letter;
    tsg_header_t header;
    tsg_letter_prepare (&letter, &header, pending->message_id, TSUNAGU__V1__KIND__KIND_CASE_EVENT,
                        self->config->id, TSG_COORDINATOR_ID);
    header.case_id = pending->case_id;
    header.base_version = req->base_version;
    header.reason_given = reason != NULL;
    header.sender_type = (char *) self->policy->type;
    header.case_event = &ce;
    char *categories[AGENCY_CATEGORIES_MAX];
    header.consent_id = (char *) (legal->consent_id ? legal->consent_id : "");
    if (n_bodies > 0) {
        header.legal_basis = legal->basis;
        if (legal->basis != TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE)
            agency_categories_header (&header, legal->categories, categories);
    }
    else
        header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE;
    letter.n_sealed_bodies = n_bodies;
    letter.sealed_bodies = n_bodies ? body_list : NULL;
    letter.sequence = pending->sequence;
    int rc =
        tsg_envelope_seal (&letter, self->config->keys, &pending->envelope, &pending->envelope_len);
    if (rc != TSG_OK) {
        *reply = agency_json_error (rc == TSG_ERR_TOO_LARGE ? "too_large" : "internal",
                                    rc == TSG_ERR_TOO_LARGE
                                        ? "the event is larger than a letter may carry"
                                        : tsg_strerror (rc),
                                    NULL);
        status = rc == TSG_ERR_TOO_LARGE ? 413 : 500;
        goto done;
    }

    pending->record = s_metadata (&ce);
    if (!pending->record) {
        *reply = agency_json_error ("internal", "out of memory", NULL);
        status = 500;
        goto done;
    }
    char hex[2 * TSG_MESSAGE_ID_SIZE + 1];
    tsg_hex_encode (pending->message_id, TSG_MESSAGE_ID_SIZE, hex);
    json_object_set_new (pending->record, "by", json_string (self->config->id));
    json_object_set_new (pending->record, "at", json_integer ((json_int_t) letter.created_at_ms));
    json_object_set_new (pending->record, "base_version",
                         json_integer ((json_int_t) req->base_version));
    json_object_set_new (pending->record, "reason_given", json_boolean (reason != NULL));
    json_object_set_new (pending->record, "origin", json_string ("own"));
    json_object_set_new (pending->record, "status", json_string ("pending"));
    json_object_set_new (pending->record, "message_id", json_string (hex));
    json_object_set_new (pending->record, "content",
                         json_object_size (content) ? json_incref (content) : json_null ());
    json_object_set (pending->record, "sealed_for", sealed_for);
    json_object_set_new (pending->record, "legal_basis",
                         json_string (agency_legal_basis_name (header.legal_basis)));
    if (legal->consent_id)
        json_object_set_new (pending->record, "consent_id", json_string (legal->consent_id));
    json_object_set_new (pending->record, "data_categories",
                         header.n_data_categories ? json_deep_copy (legal->categories)
                                                  : json_array ());
    pending->answer =
        json_pack ("{s:s, s:s, s:s, s:I, s:s}", "event_id", event_id, "case_id", pending->case_id,
                   "type", agency_case_event_type_name (req->type), "base_version",
                   (json_int_t) req->base_version, "status", "pending");
done:
    for (size_t k = 0; k < n_bodies; k++)
        free (bodies[k].box.data);
    free (bodies);
    free (body_list);
    free (text);
    json_decref (content);
    json_decref (sealed_for);
    return status;
}

agency_pending_t *
agency_case_event_submit (tsg_agency_t *self, const char *case_id, const char *body, size_t len,
                          int *status, json_t **reply)
{
    s_request_t req;
    *reply = NULL;
    *status = s_parse (body, len, &req, reply);
    if (*status != 0)
        return NULL;

    json_t *record = NULL;
    if (tsg_uuid_valid (case_id)) {
        tsg_txn_t txn;
        tsg_txn_begin (self->store, &txn, false);
        record = agency_case_get (&txn, case_id);
        tsg_txn_abort (&txn);
    }
    agency_pending_t *pending = NULL;
    s_legal_t legal = { 0 };
    char message[256];
    if (!record) {
        *status = 404;
        *reply =
            agency_json_error ("not_found", "this agency has no copy of a case with this id", NULL);
        goto done;
    }
    if (!self->directory || !agency_directory_current (self->directory, tsg_now_ms ())) {
        *status = 503;
        *reply =
            agency_json_error ("not_ready",
                               self->directory ? "the directory from the coordinator has expired"
                                               : "no directory from the coordinator yet",
                               NULL);
        goto done;
    }
    tsg_case_state_t from;
    uint64_t version;
    bool known = agency_case_effective (record, &from, &version);
    if (!known || version == 0) {
        *status = 409;
        *reply = agency_json_error (
            "stale_version",
            "the coordinator has not sent this agency its copy of the case yet; try again shortly",
            NULL);
        goto done;
    }
    if (!agency_case_lists (record, self->config->id)) {
        *status = 422;
        *reply = agency_json_error ("not_permitted", "this agency is not on the case", NULL);
        goto done;
    }
    /* Events of this batch not yet written move the starting point on as well. */
    for (agency_pending_t *p = self->pending; p; p = p->next) {
        if (p->kind != AGENCY_PENDING_CASE_EVENT || strcmp (p->case_id, case_id) != 0)
            continue;
        json_t *base = json_object_get (p->record, "base_version");
        if (!json_is_integer (base) || (uint64_t) json_integer_value (base) != version)
            continue;
        version++;
        tsg_case_state_t to;
        if (tsg_case_state_parse (json_string_value (json_object_get (p->record, "target")), &to))
            from = to;
    }
    if (req.base_version == 0)
        req.base_version = version;
    else if (req.base_version != version) {
        snprintf (message, sizeof message,
                  "the case is at version %llu (%s), not %llu: read it again and decide again",
                  (unsigned long long) version, tsg_case_state_name (from),
                  (unsigned long long) req.base_version);
        *status = 409;
        *reply = agency_json_error ("stale_version", message, NULL);
        goto done;
    }
    tsg_case_state_t to;
    if (s_target (req.type, req.state, &to)) {
        const char *reason = req.reason ? req.reason : req.close_reason;
        const char *why = tsg_case_transition_check (from, to, reason);
        if (!why && req.type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_STATE
            && from == TSG_CASE_CLOSED)
            why = "to reopen a case, use type reopen with a reason";
        if (why) {
            snprintf (message, sizeof message, "%s (%s → %s)", why, tsg_case_state_name (from),
                      tsg_case_state_name (to));
            *status = 422;
            *reply = agency_json_error ("illegal_transition", message, NULL);
            goto done;
        }
    }
    *status = s_check_agencies (self, &req, reply);
    if (*status != 0)
        goto done;
    *status = s_legal (self, &req, record, &legal, reply);
    if (*status != 0)
        goto done;

    pending = calloc (1, sizeof *pending);
    if (!pending) {
        *status = 500;
        *reply = agency_json_error ("internal", "out of memory", NULL);
        goto done;
    }
    pending->kind = AGENCY_PENDING_CASE_EVENT;
    snprintf (pending->case_id, sizeof pending->case_id, "%s", case_id);
    pending->sequence = self->next_sequence;
    *status = s_seal (self, &req, record, &legal, pending, reply);
    if (*status != 0) {
        agency_pending_free (pending);
        pending = NULL;
        goto done;
    }
    if (s_target (req.type, req.state, &to))
        json_object_set_new (pending->record, "target", json_string (tsg_case_state_name (to)));
    self->next_sequence++;
    agency_pending_append (self, pending);
done:
    s_legal_clear (&legal);
    json_decref (record);
    json_decref (req.root);
    return pending;
}

bool
agency_case_event_write (tsg_agency_t *self, tsg_txn_t *txn, const agency_pending_t *p)
{
    (void) self;
    json_t *record = agency_case_get (txn, p->case_id);
    if (!record) {
        log_warnx ("case event for %s: the case's copy is gone", p->case_id);
        return false;
    }
    uint64_t n = agency_case_event_add (txn, record, p->record);
    json_t *inflight = json_object_get (record, "inflight");
    if (!json_is_array (inflight)) {
        inflight = json_array ();
        json_object_set_new (record, "inflight", inflight);
    }
    json_t *entry =
        json_pack ("{s:O, s:I, s:O}", "event_id", json_object_get (p->record, "event_id"), "n",
                   (json_int_t) n, "base_version", json_object_get (p->record, "base_version"));
    if (json_object_get (p->record, "target"))
        json_object_set (entry, "state", json_object_get (p->record, "target"));
    json_array_append_new (inflight, entry);
    agency_case_put (txn, record);
    json_decref (record);
    agency_msgref_t ref = { .kind = AGENCY_LETTER_CASE_EVENT, .sequence = p->sequence, .n = n };
    memcpy (ref.id, p->case_id, sizeof ref.id);
    agency_msgref_put (txn, p->message_id, &ref);
    return true;
}

void
agency_case_event_stored (tsg_txn_t *txn, const agency_msgref_t *ref)
{
    json_t *event = agency_case_event_get (txn, ref->id, ref->n);
    if (!event)
        return;
    const char *status = json_string_value (json_object_get (event, "status"));
    if (status && strcmp (status, "pending") == 0) {
        /* Stored means applied at the coordinator; when the case update reflecting it came
         * first (the event is no longer in flight), it is applied here and now. */
        json_t *record = agency_case_get (txn, ref->id);
        bool in_flight = false;
        size_t i;
        json_t *entry;
        json_array_foreach (record ? json_object_get (record, "inflight") : NULL, i, entry)
        {
            in_flight |= (uint64_t) json_integer_value (json_object_get (entry, "n")) == ref->n;
        }
        json_decref (record);
        uint64_t base = (uint64_t) json_integer_value (json_object_get (event, "base_version"));
        json_object_set_new (event, "status", json_string (in_flight ? "stored" : "applied"));
        if (!in_flight)
            json_object_set_new (event, "applied_version", json_integer ((json_int_t) (base + 1)));
        agency_case_event_put (txn, ref->id, ref->n, event);
    }
    json_decref (event);
}

void
agency_case_event_refused (tsg_txn_t *txn, const agency_msgref_t *ref, const char *code,
                           const char *detail, uint64_t at_ms)
{
    json_t *event = agency_case_event_get (txn, ref->id, ref->n);
    json_t *record = agency_case_get (txn, ref->id);
    if (!event || !record) {
        json_decref (event);
        json_decref (record);
        return;
    }
    code = code ? code : "unspecified";
    detail = detail && *detail ? detail : "no detail";
    const char *status = json_string_value (json_object_get (event, "status"));
    if (status && strcmp (status, "pending") != 0) {
        /* Stored and applied already, then withheld from the agencies it was sealed for: the
         * event stands, its content did not reach them. */
        json_t *withheld = json_object_get (event, "withheld");
        if (!json_is_array (withheld)) {
            withheld = json_array ();
            json_object_set_new (event, "withheld", withheld);
        }
        json_array_append_new (withheld, json_pack ("{s:s, s:s, s:I}", "code", code, "message",
                                                    detail, "at", (json_int_t) at_ms));
        agency_case_event_put (txn, ref->id, ref->n, event);
        log_warnx ("case %s: the content of our event was withheld: %s", ref->id, detail);
        json_decref (event);
        json_decref (record);
        return;
    }
    json_object_set_new (event, "status", json_string ("rejected"));
    json_object_set_new (event, "error", json_pack ("{s:s, s:s}", "code", code, "message", detail));
    agency_case_event_put (txn, ref->id, ref->n, event);

    const char *event_id = json_string_value (json_object_get (event, "event_id"));
    json_t *rejected = json_object_get (record, "rejected_events");
    if (!json_is_array (rejected)) {
        rejected = json_array ();
        json_object_set_new (record, "rejected_events", rejected);
    }
    json_array_append_new (rejected, json_pack ("{s:s, s:O, s:s, s:s, s:I}", "event_id",
                                                event_id ? event_id : "", "type",
                                                json_object_get (event, "type"), "error", code,
                                                "message", detail, "at", (json_int_t) at_ms));
    json_t *inflight = json_object_get (record, "inflight");
    for (size_t i = json_array_size (inflight); i-- > 0;) {
        const char *id =
            json_string_value (json_object_get (json_array_get (inflight, i), "event_id"));
        if (id && event_id && strcmp (id, event_id) == 0)
            json_array_remove (inflight, i);
    }
    agency_case_put (txn, record);
    log_warnx ("case %s: event %s refused by the coordinator: %s: %s", ref->id,
               event_id ? event_id : "?", code, detail);
    json_decref (event);
    json_decref (record);
}

void
agency_case_event_receipt (tsg_txn_t *txn, const agency_msgref_t *ref, const char *by,
                           bool delivered, const char *detail, uint64_t at_ms)
{
    json_t *event = agency_case_event_get (txn, ref->id, ref->n);
    if (!event)
        return;
    const char *key = delivered ? "delivered_to" : "rejected_by";
    json_t *list = json_object_get (event, key);
    if (!json_is_array (list)) {
        list = json_array ();
        json_object_set_new (event, key, list);
    }
    size_t i;
    json_t *entry;
    json_array_foreach (list, i, entry)
    {
        const char *id = json_string_value (json_object_get (entry, "agency"));
        if (id && strcmp (id, by) == 0) {
            json_decref (event);
            return;
        }
    }
    json_t *item = json_pack ("{s:s, s:I}", "agency", by, "at", (json_int_t) at_ms);
    if (!delivered)
        json_object_set_new (item, "detail",
                             json_string (detail && *detail ? detail : "no detail"));
    json_array_append_new (list, item);
    agency_case_event_put (txn, ref->id, ref->n, event);
    json_decref (event);
}

/* Our sealed body of letter, or NULL. */
static const Tsunagu__V1__SealedBody *
s_our_body (const tsg_agency_t *self, const tsg_letter_t *letter)
{
    for (size_t i = 0; i < letter->n_sealed_bodies; i++) {
        const Tsunagu__V1__SealedBody *body = letter->sealed_bodies[i];
        if (body && body->recipient && strcmp (body->recipient, self->config->id) == 0)
            return body;
    }
    return NULL;
}

/* Opens our sealed body: NULL with *content set (NULL when there is none), else why not. */
static const char *
s_open (tsg_agency_t *self, const uint8_t *sender_box, const tsg_letter_t *letter, json_t **content)
{
    *content = NULL;
    const Tsunagu__V1__SealedBody *sealed = sender_box ? s_our_body (self, letter) : NULL;
    if (!sealed)
        return NULL;
    return agency_json_open_body (self->boxer, sender_box, sealed->box.data, sealed->box.len,
                                  content);
}

json_t *
agency_case_event_content (tsg_agency_t *self, const uint8_t *sender_box,
                           const tsg_letter_t *letter)
{
    json_t *content = NULL;
    if (s_open (self, sender_box, letter, &content))
        return NULL;
    return content;
}

const char *
agency_case_event_receive (tsg_agency_t *self, tsg_txn_t *txn, const agency_entry_t *sender,
                           const tsg_letter_t *letter)
{
    const tsg_header_t *header = letter->header;
    if (!header || !tsg_uuid_valid (header->case_id))
        return "the case event has no valid case id in its header";
    if (!header->case_event)
        return "the case event has no event in its header";
    if (strcmp (letter->sender, self->config->id) == 0)
        return NULL; /* our own, passed back: the copy has it already */
    json_t *event = s_metadata (header->case_event);
    if (!event)
        return "the case event's type, id or state is not readable";
    json_t *content = NULL;
    const char *why = s_open (self, sender ? sender->box_public : NULL, letter, &content);
    if (why) {
        json_decref (event);
        return why;
    }
    json_t *record = agency_case_get_or_new (txn, header->case_id);
    if (!record) {
        json_decref (event);
        json_decref (content);
        if (txn->rc == TSG_OK)
            txn->rc = TSG_ERR_NOMEM;
        return NULL;
    }
    json_object_set_new (event, "by", json_string (letter->sender));
    json_object_set_new (event, "at", json_integer ((json_int_t) letter->created_at_ms));
    json_object_set_new (event, "received_at", json_integer ((json_int_t) tsg_now_ms ()));
    json_object_set_new (event, "base_version", json_integer ((json_int_t) header->base_version));
    json_object_set_new (event, "reason_given", json_boolean (header->reason_given));
    json_object_set_new (event, "origin", json_string ("received"));
    json_object_set_new (event, "status", json_string ("received"));
    json_object_set_new (event, "legal_basis",
                         json_string (agency_legal_basis_name (header->legal_basis)));
    agency_json_set (event, "consent_id", agency_json_string_or_null (header->consent_id));
    json_object_set_new (event, "data_categories", agency_categories_of_header (header));
    agency_json_set (event, "content", content ? content : json_null ());
    agency_case_event_add (txn, record, event);
    agency_case_put (txn, record);
    json_decref (record);
    json_decref (event);
    return NULL;
}
