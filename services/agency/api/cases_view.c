/* cases_view.c — the case copies as the API shows them (GET /v1/cases, GET /v1/cases/{id}):
 * the coordinator's metadata, the referrals of the case with their state, the events. */
#include <string.h>

#include "agency/api/views.h"
#include "agency/records/cases.h"
#include "agency/records/consents.h"
#include "agency/records/json.h"
#include "agency/records/referral_state.h"
#include "agency/records/referrals.h"

/* The referrals of a case with their current state. */
static json_t *
s_referrals (tsg_txn_t *txn, const json_t *record, bool detailed)
{
    json_t *out = json_array ();
    size_t i;
    json_t *entry;
    json_array_foreach (json_object_get (record, "referrals"), i, entry)
    {
        const char *id = agency_json_str (entry, "referral_id");
        json_t *item = json_deep_copy (entry);
        tsg_party_t party;
        json_t *referral = id ? agency_status_find (txn, id, &party) : NULL;
        if (referral) {
            tsg_ref_state_t state;
            uint64_t version;
            agency_status_current (referral, &state, &version);
            json_object_set_new (item, "state", json_string (tsg_ref_state_name (state)));
            json_object_set_new (item, "version", json_integer ((json_int_t) version));
            if (detailed) {
                static const char *const copied[] = { "due_date", "receive_due_date", "urgency",
                                                      "tags", NULL };
                for (int k = 0; copied[k]; k++)
                    if (json_object_get (referral, copied[k]))
                        json_object_set (item, copied[k], json_object_get (referral, copied[k]));
                if (json_array_size (json_object_get (referral, "pending")) > 0) {
                    json_t *pending = json_object_get (referral, "pending");
                    json_object_set (
                        item, "pending_status",
                        json_object_get (json_array_get (pending, json_array_size (pending) - 1),
                                         "status"));
                }
            }
            json_decref (referral);
        }
        json_array_append_new (out, item);
    }
    return out;
}

/* The metadata every view of a case shows. */
static json_t *
s_summary (tsg_txn_t *txn, const json_t *record, bool detailed)
{
    tsg_case_state_t state;
    bool known = tsg_case_state_parse (agency_json_str (record, "state"), &state);
    json_t *out = json_pack (
        "{s:O, s:o, s:o, s:I, s:O, s:O, s:O, s:o, s:b}", "case_id",
        json_object_get (record, "case_id"), "state",
        known ? json_string (tsg_case_state_name (state)) : json_null (), "state_label",
        known ? json_string (tsg_case_state_label_ja (state)) : json_null (), "version",
        (json_int_t) agency_json_u64 (record, "version", 0), "agencies",
        agency_json_array ((json_t *) record, "agencies"), "tags",
        agency_json_array ((json_t *) record, "tags"), "next_review_on",
        json_object_get (record, "next_review_on") ? json_object_get (record, "next_review_on")
                                                   : json_null (),
        "updated_at", agency_json_time (agency_json_u64 (record, "updated_at", 0)), "synced",
        agency_json_u64 (record, "version", 0) > 0);
    json_object_set_new (out, "referrals", s_referrals (txn, record, detailed));
    return out;
}

json_t *
agency_cases_list (tsg_agency_t *self, const char *state_filter)
{
    json_t *items = json_array ();
    tsg_txn_t txn;
    tsg_iter_t it;
    tsg_txn_begin (self->store, &txn, false);
    for (tsg_iter_begin (&txn, tsg_store_db (self->store, AGENCY_DB_CASES), &it, NULL, 0); it.valid;
         tsg_iter_next (&it)) {
        json_t *record = json_loadb (it.val.mv_data, it.val.mv_size, 0, NULL);
        if (!json_is_object (record)) {
            json_decref (record);
            continue;
        }
        const char *state = agency_json_str (record, "state");
        if (!state_filter || (state && strcmp (state, state_filter) == 0))
            json_array_append_new (items, s_summary (&txn, record, false));
        json_decref (record);
    }
    tsg_iter_end (&it);
    tsg_txn_abort (&txn);
    return json_pack ("{s:o}", "items", items);
}

/* An event as the API shows it: times in ISO-8601; a received one whose consent has been
 * revoked or has expired is restricted. */
static json_t *
s_event_api (tsg_txn_t *txn, const json_t *event)
{
    json_t *out = json_deep_copy (event);
    const char *origin = agency_json_str (event, "origin");
    json_object_set_new (
        out, "restricted",
        json_boolean (origin && strcmp (origin, "received") == 0
                      && agency_consent_restricted (txn, agency_json_str (event, "consent_id"))));
    json_object_set_new (out, "at", agency_json_time (agency_json_u64 (event, "at", 0)));
    if (json_object_get (event, "received_at"))
        json_object_set_new (out, "received_at",
                             agency_json_time (agency_json_u64 (event, "received_at", 0)));
    size_t i;
    json_t *entry;
    json_array_foreach (json_object_get (out, "withheld"), i, entry)
    {
        json_object_set_new (entry, "at", agency_json_time (agency_json_u64 (entry, "at", 0)));
    }
    return out;
}

/* A hand-over (担当交代) of the case's history as its successor reads it: who handed over,
 * the staff codes and the day, and the note (引き継ぎメモ) when this agency may read it (its
 * own, or one sealed to it whose basis still holds). */
static json_t *
s_handover (const json_t *shown)
{
    const json_t *ho = json_object_get (shown, "handover");
    const json_t *content = json_object_get (shown, "content");
    bool restricted = json_is_true (json_object_get (shown, "restricted"));
    json_t *note = json_object_get (content, "note");
    json_t *out =
        json_pack ("{s:O, s:O, s:O, s:O}", "event_id", json_object_get (shown, "event_id"), "by",
                   json_object_get (shown, "by"), "at", json_object_get (shown, "at"), "status",
                   json_object_get (shown, "status"));
    if (!out)
        return NULL;
    static const char *const codes[] = { "staff_code", "previous_staff_code", "effective_on",
                                         NULL };
    for (int i = 0; codes[i]; i++)
        json_object_set (out, codes[i],
                         json_object_get (ho, codes[i]) ? json_object_get (ho, codes[i])
                                                        : json_null ());
    json_object_set (out, "note", json_is_string (note) && !restricted ? note : json_null ());
    json_object_set_new (out, "restricted", json_boolean (restricted));
    return out;
}

json_t *
agency_case_show (tsg_agency_t *self, const char *case_id)
{
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, false);
    json_t *record = agency_case_get (&txn, case_id);
    if (!record) {
        tsg_txn_abort (&txn);
        return NULL;
    }
    json_t *out = s_summary (&txn, record, true);
    json_object_set_new (out, "roster_kind",
                         json_object_get (record, "roster_kind")
                             ? json_incref (json_object_get (record, "roster_kind"))
                             : json_null ());
    json_object_set (out, "roster", agency_json_array (record, "roster"));
    json_object_set (out, "roles", agency_json_array (record, "roles"));
    if (json_object_get (record, "last_event"))
        json_object_set (out, "last_event", json_object_get (record, "last_event"));

    json_t *events = json_array ();
    json_t *handovers = json_array ();
    json_t *stored = agency_case_events (&txn, case_id);
    size_t n;
    json_t *event;
    json_array_foreach (stored, n, event)
    {
        json_t *shown = s_event_api (&txn, event);
        const char *type = agency_json_str (event, "type");
        if (shown && type && strcmp (type, "handover") == 0)
            json_array_append_new (handovers, s_handover (shown));
        json_array_append_new (events, shown);
    }
    json_decref (stored);
    json_object_set_new (out, "events", events);
    json_object_set_new (out, "handovers", handovers);

    json_t *pending = json_array ();
    size_t i;
    json_t *entry;
    json_array_foreach (json_object_get (record, "inflight"), i, entry)
    {
        json_array_append (pending, json_object_get (entry, "event_id"));
    }
    json_object_set_new (out, "pending_events", pending);
    json_t *rejected = json_array ();
    json_array_foreach (json_object_get (record, "rejected_events"), i, entry)
    {
        json_t *item = json_deep_copy (entry);
        json_object_set_new (item, "at", agency_json_time (agency_json_u64 (entry, "at", 0)));
        json_array_append_new (rejected, item);
    }
    json_object_set_new (out, "rejected_events", rejected);
    json_decref (record);
    tsg_txn_abort (&txn);
    return out;
}
