/* case_event_legal.c — the legal basis of a case event's personal parts (case_event_legal.h). */
#include <stdio.h>
#include <string.h>

#include "agency/core/legal.h"
#include "agency/letters/case_event_legal.h"
#include "agency/records/categories.h"
#include "agency/records/consents.h"
#include "agency/records/json.h"

void
agency_event_legal_clear (agency_event_legal_t *legal)
{
    json_decref (legal->categories);
    json_decref (legal->roster);
    json_decref (legal->consent);
    memset (legal, 0, sizeof *legal);
}

/* The attendees of the request's meeting as a new array. */
static json_t *
s_attendees (const agency_event_request_t *req)
{
    json_t *out = json_array ();
    for (size_t i = 0; i < req->n_attendees; i++)
        json_array_append_new (out, json_string (req->attendees[i]));
    return out;
}

/* Whom the personal parts may go to under legal->basis: the roster of the meeting that
 * allows it, or those the consent covers; unknown here, every other agency on the case (the
 * coordinator checks each).  0, or the consent's refusal. */
static int
s_recipients (tsg_agency_t *self, const agency_event_request_t *req, const json_t *record,
              agency_event_legal_t *legal, json_t **reply)
{
    bool meeting = req->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_MEETING;
    Tsunagu__V1__MeetingKind kind = meeting ? req->meeting_kind : 0;
    const char *case_id = agency_json_str (record, "case_id");
    char why[256];
    switch (legal->basis) {
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_SUPPORT_MEETING:
        /* The sender too must be on the 支援会議's roster, as the event leaves it. */
        if (meeting && kind == TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN)
            legal->roster = s_attendees (req);
        else if (agency_roster_find (self, case_id, TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN,
                                     &legal->roster)
                 == AGENCY_ROSTER_NONE_HELD) {
            snprintf (why, sizeof why, "no 支援会議 has been held on case %s", case_id);
            *reply = agency_legal_refusal ("legal_basis", why, why);
            return 422;
        }
        if (legal->roster && !agency_categories_has (legal->roster, self->config->id)) {
            snprintf (why, sizeof why, "%s is not on the 支援会議 roster of case %s",
                      self->config->id, case_id);
            *reply = agency_legal_refusal ("legal_basis", why, why);
            return 422;
        }
        return 0;
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_STATUTORY_MEETING:
        /* Sealed only to the roster of our type's meeting: the one recorded now, else the
         * latest known here (none known: every other agency, and the coordinator decides). */
        if (meeting && kind == self->policy->meeting)
            legal->roster = s_attendees (req);
        else
            agency_roster_find (self, case_id, self->policy->meeting, &legal->roster);
        return 0;
    case TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT: {
        int status =
            agency_consent_check (self, legal->consent_id, agency_json_str (record, "case_id"),
                                  NULL, legal->categories, "consent_id", "data_categories", reply);
        if (status)
            return status;
        legal->consent = agency_consent_find (self, NULL, legal->consent_id);
        return 0;
    }
    default: return 0;
    }
}

int
agency_event_legal (tsg_agency_t *self, const agency_event_request_t *req, const json_t *record,
                    agency_event_legal_t *legal, json_t **reply)
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
            if (!agency_consent_covers (self->directory, consent, req->attendees[i])) {
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
                 && agency_categories_has (roster, self->config->id))
            basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_SUPPORT_MEETING;
        else if (req->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_HANDOVER) {
            /* A hand-over note is always personal: with no basis named and no 支援会議 of
             * ours to rest on, the law does not let it go. */
            snprintf (message, sizeof message,
                      "the hand-over note (引き継ぎメモ) of case %s needs a legal basis: a consent "
                      "that covers the other agencies (consent_id), the 支援会議 or your "
                      "statutory meeting; or send the hand-over without a note",
                      case_id ? case_id : "?");
            *reply = agency_legal_refusal ("legal_basis", message, message);
            return 422;
        }
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

    return s_recipients (self, req, record, legal, reply);
}
