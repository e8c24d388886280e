/* case_event_request.c — the body of POST /v1/cases/{id}/events (case_event_request.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsg_words.h"
#include "agency/letters/case_event_request.h"
#include "agency/records/categories.h"
#include "agency/records/json.h"

static const char *const s_fields[] = {
    "type", "base_version", "state",      "reason",          "close_reason", "meeting", "plan",
    "note", "legal_basis",  "consent_id", "data_categories", "handover",     NULL
};
static const char *const s_meeting_fields[] = { "kind",     "held_on", "attendees",
                                                "decision", "minutes", NULL };
static const char *const s_plan_fields[] = { "roles", "next_review_on", "content", NULL };
static const char *const s_note_fields[] = { "category", "written_on", "text", NULL };
static const char *const s_handover_fields[] = { "staff_code", "previous_staff_code",
                                                 "effective_on", "note", NULL };
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
s_meeting (json_t *meeting, agency_event_request_t *req, json_t *fields)
{
    const char *kind = agency_json_text (meeting, "kind", "meeting.kind", 16, false, fields);
    if (!kind || !tsg_meeting_kind_parse (kind, &req->meeting_kind))
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
    if (req->decision && !tsg_word_in (req->decision, tsg_meeting_decisions))
        agency_json_field (fields, "meeting.decision",
                           "must be plan-adopted, continue, escalate, close or other");
    req->minutes = agency_json_text (meeting, "minutes", "meeting.minutes", AGENCY_CASE_TEXT_MAX,
                                     true, fields);
}

/* The plan's roles, next review and content; a role label that looks like personal data (the
 * coordinator reads it) goes in personal, other problems in fields. */
static void
s_plan (json_t *plan, agency_event_request_t *req, json_t *fields, json_t *personal)
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
s_note (json_t *note, agency_event_request_t *req, json_t *fields)
{
    req->category = agency_json_text (note, "category", "note.category", 16, false, fields);
    if (!req->category || !tsg_word_in (req->category, tsg_note_categories))
        agency_json_field (fields, "note.category", "must be visit, call, meeting or other");
    req->written_on = agency_json_date (note, "written_on", "note.written_on", true, fields);
    req->text = agency_json_text (note, "text", "note.text", AGENCY_CASE_TEXT_MAX, true, fields);
}

/* One staff code of a hand-over: a pseudonym, never a name (tsg_staff_code_check); one that
 * looks like personal data goes in personal, other problems in fields. */
static const char *
s_staff_code (json_t *handover, const char *key, bool required, json_t *fields, json_t *personal)
{
    char path[40];
    snprintf (path, sizeof path, "handover.%s", key);
    json_t *value = json_object_get (handover, key);
    if (!value || json_is_null (value)) {
        if (required)
            agency_json_field (fields, path,
                               "required: the staff code your own system assigns (e.g. S-0123), "
                               "never a name");
        return NULL;
    }
    if (!json_is_string (value)) {
        agency_json_field (fields, path, "must be a string");
        return NULL;
    }
    char why[TSG_CLEARTEXT_WHY_SIZE];
    tsg_cleartext_verdict_t verdict =
        tsg_staff_code_check (json_string_value (value), why, sizeof why);
    if (verdict != TSG_CLEARTEXT_OK) {
        agency_json_field (verdict == TSG_CLEARTEXT_PERSONAL ? personal : fields, path, why);
        return NULL;
    }
    return json_string_value (value);
}

/* The hand-over: the new staff code, the one before, the day, the note (personal). */
static void
s_handover (json_t *handover, agency_event_request_t *req, json_t *fields, json_t *personal)
{
    req->staff_code = s_staff_code (handover, "staff_code", true, fields, personal);
    req->previous_staff_code =
        s_staff_code (handover, "previous_staff_code", false, fields, personal);
    if (req->staff_code && req->previous_staff_code
        && strcmp (req->staff_code, req->previous_staff_code) == 0)
        agency_json_field (fields, "handover.previous_staff_code",
                           "is the same as staff_code: nothing was handed over");
    req->effective_on =
        agency_json_date (handover, "effective_on", "handover.effective_on", true, fields);
    req->text =
        agency_json_text (handover, "note", "handover.note", AGENCY_CASE_TEXT_MAX, true, fields);
}

int
agency_event_parse (const char *body, size_t len, agency_event_request_t *req, json_t **reply)
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
    bool typed = type && tsg_case_event_type_parse (type, &req->type);
    if (!typed)
        agency_json_field (fields, "type",
                           "must be state, meeting, plan, note, close, reopen or handover");
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
    if (is_close && !tsg_word_in (req->close_reason, tsg_close_reasons))
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
    part = s_part (root, "handover",
                   typed && req->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_HANDOVER,
                   s_handover_fields, fields);
    if (part)
        s_handover (part, req, fields, personal);

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

    /* Where a label that looks like personal data belongs: a staff code has no such place. */
    bool handover = typed && req->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_HANDOVER;
    int status = agency_json_problems (fields, personal, "case event",
                                       handover ? NULL : "plan.content", reply);
    if (status != 0) {
        json_decref (root);
        req->root = NULL;
    }
    return status;
}
