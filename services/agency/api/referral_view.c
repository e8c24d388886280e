/* referral_view.c — a referral as GET /v1/referrals/{id} shows it, whether this agency sent
 * it or received it: its record, its state and history, and (received) the sheet. */
#include <stdlib.h>
#include <string.h>

#include "agency/api/views.h"
#include "agency/records/consents.h"
#include "agency/records/json.h"
#include "agency/records/received.h"
#include "agency/records/referral_state.h"
#include "agency/records/sent.h"

static json_t *
s_time (const json_t *object, const char *key)
{
    return agency_json_time (agency_json_u64 (object, key, 0));
}

void
agency_status_api (const json_t *record, json_t *out)
{
    tsg_ref_state_t state;
    uint64_t version;
    agency_status_current (record, &state, &version);
    json_object_set_new (out, "status", json_string (tsg_ref_state_name (state)));
    json_object_set_new (out, "state", json_string (tsg_ref_state_name (state)));
    json_object_set_new (out, "state_label", json_string (tsg_ref_state_label_ja (state)));
    json_object_set_new (out, "version", json_integer ((json_int_t) version));

    json_t *history = json_array ();
    size_t i;
    json_t *entry;
    json_array_foreach (json_object_get (record, "state_history"), i, entry)
    {
        json_t *item = json_pack ("{s:O, s:o}", "state", json_object_get (entry, "state"), "at",
                                  s_time (entry, "at"));
        static const char *const copied[] = { "by",          "reason",   "outcome", "note",
                                              "out_of_sync", "withheld", NULL };
        for (int k = 0; copied[k]; k++)
            if (json_object_get (entry, copied[k]))
                json_object_set (item, copied[k], json_object_get (entry, copied[k]));
        if (json_object_get (entry, "delivered_at"))
            json_object_set_new (item, "delivered_at", s_time (entry, "delivered_at"));
        json_array_append_new (history, item);
    }
    json_object_set_new (out, "state_history", history);

    json_t *pending = json_object_get (record, "pending");
    if (json_array_size (pending) > 0) {
        json_t *changes = json_array ();
        json_array_foreach (pending, i, entry)
        {
            json_t *item = json_pack (
                "{s:O, s:O, s:o}", "status", json_object_get (entry, "status"), "base_version",
                json_object_get (entry, "base_version"), "at", s_time (entry, "at"));
            if (json_object_get (entry, "outcome"))
                json_object_set (item, "outcome", json_object_get (entry, "outcome"));
            json_array_append_new (changes, item);
        }
        json_t *last = json_array_get (pending, json_array_size (pending) - 1);
        json_object_set (out, "pending_status", json_object_get (last, "status"));
        json_object_set_new (out, "pending_changes", changes);
    }
    json_t *errors = json_object_get (record, "errors");
    if (json_array_size (errors) > 0) {
        json_t *listed = json_array ();
        json_array_foreach (errors, i, entry)
        {
            json_t *item = json_deep_copy (entry);
            json_object_set_new (item, "at", s_time (entry, "at"));
            json_array_append_new (listed, item);
        }
        json_object_set_new (out, "errors", listed);
    }
    if (json_is_true (json_object_get (record, "out_of_sync")))
        json_object_set_new (out, "out_of_sync", json_true ());
}

static int
s_history_compare (const void *a, const void *b)
{
    json_int_t x = json_integer_value (json_object_get (*(json_t *const *) a, "at"));
    json_int_t y = json_integer_value (json_object_get (*(json_t *const *) b, "at"));
    return x < y ? -1 : x > y;
}

/* The sent record as GET /v1/referrals/{id} shows it (role "sender", times in ISO-8601,
 * history in time order, the state fields). */
static json_t *
s_sent_api (const json_t *record)
{
    json_t *out = json_object ();
    static const char *const copied[] = {
        "referral_id", "case_id",          "to",         "to_type",
        "due_date",    "receive_due_date", "urgency",    "tags",
        "legal_basis", "consent_id",       "client_ref", "delivery",
        "error",       "data_categories",  "urgent",     NULL
    };
    for (int i = 0; copied[i]; i++) {
        json_t *value = json_object_get (record, copied[i]);
        if (value)
            json_object_set (out, copied[i], value);
    }
    json_object_set_new (out, "role", json_string ("sender"));
    json_object_set_new (out, "created_at", s_time (record, "created_at"));
    agency_status_api (record, out);
    json_object_set_new (out, "receipts",
                         json_pack ("{s:o, s:o}", "stored_at", s_time (record, "stored_at"),
                                    "delivered_at", s_time (record, "delivered_at")));

    /* History in time order; stable for equal times because entries are appended. */
    json_t *history = json_object_get (record, "history");
    size_t n = json_array_size (history);
    json_t **entries = calloc (n ? n : 1, sizeof *entries);
    json_t *listed = json_array ();
    if (entries) {
        for (size_t i = 0; i < n; i++)
            entries[i] = json_array_get (history, i);
        /* Insertion sort keeps equal times in arrival order. */
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && s_history_compare (&entries[j - 1], &entries[j]) > 0; j--) {
                json_t *swap = entries[j];
                entries[j] = entries[j - 1];
                entries[j - 1] = swap;
            }
        for (size_t i = 0; i < n; i++) {
            json_t *item = json_object ();
            json_object_set (item, "event", json_object_get (entries[i], "event"));
            json_object_set_new (item, "at", s_time (entries[i], "at"));
            json_t *by = json_object_get (entries[i], "by");
            if (by)
                json_object_set (item, "by", by);
            json_array_append_new (listed, item);
        }
        free (entries);
    }
    json_object_set_new (out, "history", listed);
    return out;
}

/* The received record as GET /v1/referrals/{id} shows it: role "recipient", the header,
 * times in ISO-8601, the state fields, and the sheet from the inbox. */
static json_t *
s_received_api (tsg_agency_t *self, tsg_txn_t *txn, const json_t *record)
{
    json_t *out = json_object ();
    static const char *const copied[] = { "referral_id", "case_id",          "from",
                                          "from_type",   "from_name",        "urgency",
                                          "tags",        "legal_basis",      "consent_id",
                                          "due_date",    "receive_due_date", "cursor",
                                          "message_id",  "data_categories",  NULL };
    json_object_set_new (out, "role", json_string ("recipient"));
    for (int i = 0; copied[i]; i++) {
        json_t *value = json_object_get (record, copied[i]);
        if (value)
            json_object_set (out, copied[i], value);
    }
    json_object_set_new (out, "created_at", s_time (record, "created_at"));
    json_object_set_new (out, "received_at", s_time (record, "received_at"));
    agency_status_api (record, out);
    json_object_set_new (out, "urgent",
                         json_boolean (json_is_true (json_object_get (record, "urgent"))));
    json_object_set_new (out, "restricted",
                         json_boolean (agency_consent_restricted (
                             txn, json_string_value (json_object_get (record, "consent_id")))));
    json_int_t cursor = json_integer_value (json_object_get (record, "cursor"));
    json_t *sheet = cursor > 0 ? agency_inbox_content (self, txn, (uint64_t) cursor) : NULL;
    json_object_set_new (out, "sheet", sheet ? sheet : json_null ());
    return out;
}

json_t *
agency_referral_show (tsg_agency_t *self, const char *referral_id)
{
    json_t *out = NULL;
    if (!tsg_uuid_valid (referral_id))
        return NULL;
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, false);
    json_t *record = agency_sent_get (&txn, referral_id);
    if (record)
        out = s_sent_api (record);
    else if ((record = agency_received_get (&txn, referral_id)))
        out = s_received_api (self, &txn, record);
    json_decref (record);
    tsg_txn_abort (&txn);
    return out;
}
