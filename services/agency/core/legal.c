/* legal.c — the rules of the legal basis every letter with personal content meets before it is
 * sealed, and the check of a consent it names against the register (legal.h). */
#include <stdio.h>
#include <string.h>

#include "tsunagu/tsg_agency_types.h"

#include "agency/core/legal.h"
#include "agency/records/cases.h"
#include "agency/records/categories.h"
#include "agency/records/consents.h"
#include "agency/records/json.h"

void
agency_basis_rules (Tsunagu__V1__LegalBasis basis, const char *consent_id, bool has_case,
                    const json_t *categories, const char *categories_path, json_t *fields)
{
    size_t n = json_array_size (categories);
    switch (basis) {
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE:
        if (n > 0)
            agency_json_field (fields, categories_path,
                               "must be empty for legal_basis none (no personal data)");
        return;
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT:
        if (!consent_id || !*consent_id)
            agency_json_field (fields, "consent_id",
                               "required for legal_basis consent: the consent that covers it");
        break;
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_SUPPORT_MEETING:
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_STATUTORY_MEETING:
        if (!has_case)
            agency_json_field (fields, "case_id",
                               "required for a meeting's legal basis: the case whose roster "
                               "covers it");
        break;
    default: break;
    }
    if (n == 0)
        agency_json_field (fields, categories_path,
                           "required unless legal_basis is none: the personal-data categories "
                           "it holds (identity, health, disability, finances, family, children, "
                           "free-text)");
}

json_t *
agency_legal_refusal (const char *field, const char *problem, const char *message)
{
    json_t *fields = field ? json_pack ("{s:s}", field, problem) : NULL;
    return agency_json_error ("missing_legal_basis", message, fields);
}

json_t *
agency_consent_find (tsg_agency_t *self, tsg_txn_t *txn, const char *consent_id)
{
    if (!agency_json_plain (consent_id, TSG_HEADER_ID_MAX))
        return NULL;
    json_t *record = NULL;
    if (txn)
        record = agency_consent_get (txn, consent_id);
    else {
        tsg_txn_t own;
        tsg_txn_begin (self->store, &own, false);
        record = agency_consent_get (&own, consent_id);
        tsg_txn_abort (&own);
    }
    for (agency_pending_t *p = self->pending; p && !record; p = p->next)
        if (p->kind == AGENCY_KIND_CONSENT_GRANT && strcmp (p->referral_id, consent_id) == 0)
            record = json_deep_copy (p->record);
    return record;
}

int
agency_consent_check (tsg_agency_t *self, const char *consent_id, const char *case_id,
                      const char *to, const json_t *categories, const char *field,
                      const char *categories_path, json_t **reply)
{
    json_t *record = agency_consent_find (self, NULL, consent_id);
    if (!record)
        return 0;
    char today[11], why[256], path[64];
    agency_consent_today (today);
    const char *problem = agency_consent_unusable (record, today, why, sizeof why);
    const char *at = field;
    const char *record_case = agency_json_str (record, "case_id");
    if (!problem && case_id && record_case && strcmp (case_id, record_case) != 0) {
        snprintf (why, sizeof why, "consent %s belongs to case %s, not to case %s", consent_id,
                  record_case, case_id);
        problem = why;
    }
    if (!problem && to && !agency_consent_covers (self->directory, record, to)) {
        snprintf (why, sizeof why, "consent %s does not cover %s", consent_id, to);
        problem = why;
    }
    size_t i;
    json_t *item;
    json_array_foreach (categories, i, item)
    {
        if (problem)
            break;
        const char *name = json_string_value (item);
        if (name && !agency_categories_has (json_object_get (record, "categories"), name)) {
            snprintf (why, sizeof why, "consent %s does not cover category %s", consent_id, name);
            snprintf (path, sizeof path, "%s[%zu]", categories_path, i);
            problem = why;
            at = path;
        }
    }
    json_decref (record);
    if (!problem)
        return 0;
    *reply = agency_legal_refusal (at, problem, problem);
    return 422;
}

/* The attendees of event when it is a meeting of kind (name) with a status in statuses. */
static const json_t *
s_meeting_roster (const json_t *event, const char *name, const char *const statuses[])
{
    const json_t *meeting = json_object_get (event, "meeting");
    const char *type = agency_json_str (event, "type");
    const char *kind = agency_json_str (meeting, "kind");
    const char *status = agency_json_str (event, "status");
    if (!type || strcmp (type, "meeting") != 0 || !kind || strcmp (kind, name) != 0 || !status)
        return NULL;
    for (int i = 0; statuses[i]; i++)
        if (strcmp (status, statuses[i]) == 0)
            return json_object_get (meeting, "attendees");
    return NULL;
}

/* The attendees of the last event of events that is a meeting of kind with one of statuses. */
static const json_t *
s_last_roster (const json_t *events, const char *name, const char *const statuses[])
{
    const json_t *found = NULL;
    size_t i;
    json_t *event;
    json_array_foreach (events, i, event)
    {
        const json_t *roster = s_meeting_roster (event, name, statuses);
        if (json_is_array (roster))
            found = roster;
    }
    return found;
}

agency_roster_t
agency_roster_latest (const json_t *record, const json_t *events, Tsunagu__V1__MeetingKind kind,
                      json_t **roster)
{
    static const char *const on_way[] = { "pending", "stored", NULL };
    static const char *const applied[] = { "applied", "received", NULL };
    *roster = NULL;
    const char *name = tsg_meeting_kind_name (kind);
    if (!name)
        return AGENCY_ROSTER_UNKNOWN;
    bool shien = kind == TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN;
    const char *roster_kind = agency_json_str (record, "roster_kind");
    const json_t *found = s_last_roster (events, name, on_way);
    if (!found && shien && roster_kind && strcmp (roster_kind, name) == 0)
        found = json_object_get (record, "roster");
    if (!found)
        found = s_last_roster (events, name, applied);
    if (json_is_array (found)) {
        *roster = json_deep_copy (found);
        return *roster ? AGENCY_ROSTER_KNOWN : AGENCY_ROSTER_UNKNOWN;
    }
    if (shien && agency_json_u64 (record, "version", 0) > 0 && (!roster_kind || !*roster_kind)
        && json_array_size (json_object_get (record, "roster")) == 0)
        return AGENCY_ROSTER_NONE_HELD;
    return AGENCY_ROSTER_UNKNOWN;
}

agency_roster_t
agency_roster_find (tsg_agency_t *self, const char *case_id, Tsunagu__V1__MeetingKind kind,
                    json_t **roster)
{
    *roster = NULL;
    if (!tsg_uuid_valid (case_id))
        return AGENCY_ROSTER_UNKNOWN;
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, false);
    json_t *record = agency_case_get (&txn, case_id);
    json_t *events = record ? agency_case_events (&txn, case_id) : NULL;
    tsg_txn_abort (&txn);
    agency_roster_t known =
        record ? agency_roster_latest (record, events, kind, roster) : AGENCY_ROSTER_UNKNOWN;
    json_decref (events);
    json_decref (record);
    return known;
}

int
agency_roster_check (tsg_agency_t *self, Tsunagu__V1__LegalBasis basis, const char *case_id,
                     const char *to, const char *field, json_t **reply)
{
    bool shien = basis == TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_SUPPORT_MEETING;
    if (!shien && basis != TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_STATUTORY_MEETING)
        return 0;
    Tsunagu__V1__MeetingKind kind =
        shien ? TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN : self->policy->meeting;
    const char *label = shien ? "支援会議" : self->policy->meeting_ja;
    char why[256];
    json_t *roster = NULL;
    agency_roster_t known = agency_roster_find (self, case_id, kind, &roster);
    if (known == AGENCY_ROSTER_NONE_HELD)
        snprintf (why, sizeof why, "no %s has been held on case %s", label, case_id);
    else if (known != AGENCY_ROSTER_KNOWN)
        return 0;
    else if (to && !agency_categories_has (roster, to))
        snprintf (why, sizeof why, "%s is not on the %s roster of case %s", to, label, case_id);
    else if (shien && !agency_categories_has (roster, self->config->id))
        snprintf (why, sizeof why, "%s is not on the %s roster of case %s", self->config->id, label,
                  case_id);
    else {
        json_decref (roster);
        return 0;
    }
    json_decref (roster);
    *reply = agency_legal_refusal (field, why, why);
    return 422;
}
