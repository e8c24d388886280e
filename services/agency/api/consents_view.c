/* consents_view.c — the consent register as the API shows it (GET /v1/consents[?case=],
 * GET /v1/consents/{id}): the consent, its status today, where its letters went, and how much
 * of what came under it is restricted. */
#include <string.h>

#include "agency/api/views.h"
#include "agency/records/consents.h"
#include "agency/records/json.h"

/* The record as the API shows it. */
static json_t *
s_api (tsg_txn_t *txn, const json_t *record, const char *today)
{
    json_t *out = json_object ();
    static const char *const copied[] = {
        "consent_id",  "case_id",    "subject",    "cover_agencies", "cover_types",
        "categories",  "purpose",    "method",     "obtained_by",    "valid_from",
        "valid_until", "origin",     "granted_by", "form_sha256",    "form_received",
        "note",        "sealed_for", "error",      "revoked_by",     "revoke_reason",
        "withheld",    "renewal",    NULL
    };
    for (int i = 0; copied[i]; i++) {
        json_t *value = json_object_get (record, copied[i]);
        if (value)
            json_object_set_new (out, copied[i], json_deep_copy (value));
    }
    json_object_set_new (out, "renewal_needed",
                         json_boolean (json_is_true (
                             json_object_get (json_object_get (record, "renewal"), "needed"))));
    const char *status = agency_consent_status (record, today);
    json_object_set_new (out, "status", json_string (status));
    json_object_set_new (out, "granted_at",
                         agency_json_time (agency_json_u64 (record, "granted_at", 0)));
    if (agency_json_u64 (record, "revoked_at", 0))
        json_object_set_new (out, "revoked_at",
                             agency_json_time (agency_json_u64 (record, "revoked_at", 0)));
    static const char *const lists[] = { "delivered_to", "rejected_by", NULL };
    for (int k = 0; lists[k]; k++) {
        json_t *listed = json_array ();
        size_t i;
        json_t *entry;
        json_array_foreach (json_object_get (record, lists[k]), i, entry)
        {
            json_t *item = json_deep_copy (entry);
            json_object_set_new (item, "at", agency_json_time (agency_json_u64 (entry, "at", 0)));
            json_array_append_new (listed, item);
        }
        json_object_set_new (out, lists[k], listed);
    }
    json_t *revoke = json_object_get (record, "revoke");
    const char *revoke_state = agency_json_str (revoke, "state");
    /* Times of the errors in ISO-8601 too. */
    size_t n;
    json_t *entry;
    json_array_foreach (json_object_get (out, "withheld"), n, entry)
    {
        json_object_set_new (entry, "at", agency_json_time (agency_json_u64 (entry, "at", 0)));
    }
    json_t *error = json_object_get (out, "error");
    if (json_is_object (error)) {
        error = json_deep_copy (error);
        json_object_set_new (error, "at", agency_json_time (agency_json_u64 (error, "at", 0)));
        json_object_set_new (out, "error", error);
    }
    json_object_set_new (out, "revoke_pending",
                         json_boolean (revoke_state && strcmp (revoke_state, "pending") == 0));
    if (revoke_state && strcmp (revoke_state, "refused") == 0) {
        json_t *revoke_error = json_deep_copy (json_object_get (revoke, "error"));
        json_object_set_new (revoke_error, "at",
                             agency_json_time (agency_json_u64 (revoke_error, "at", 0)));
        json_object_set_new (out, "revoke_error", revoke_error);
    }
    json_t *data = agency_consent_data_counts (txn, agency_json_str (record, "consent_id"));
    json_int_t held = 0;
    const char *key;
    json_t *value;
    json_object_foreach (data, key, value)
    {
        held += json_integer_value (value);
    }
    bool restricted = agency_consent_status_restricts (status);
    json_object_set_new (out, "data_received", data);
    json_object_set_new (out, "restricted", json_boolean (restricted));
    json_object_set_new (out, "restricted_items", json_integer (restricted ? held : 0));
    return out;
}

json_t *
agency_consents_list (tsg_agency_t *self, const char *case_filter)
{
    char today[11];
    agency_consent_today (today);
    json_t *items = json_array ();
    tsg_txn_t txn;
    tsg_iter_t it;
    tsg_txn_begin (self->store, &txn, false);
    for (tsg_iter_begin (&txn, tsg_store_db (self->store, AGENCY_DB_CONSENTS), &it, NULL, 0);
         it.valid; tsg_iter_next (&it)) {
        json_t *record = json_loadb (it.val.mv_data, it.val.mv_size, 0, NULL);
        const char *case_id = agency_json_str (record, "case_id");
        if (json_is_object (record)
            && (!case_filter || (case_id && strcmp (case_id, case_filter) == 0)))
            json_array_append_new (items, s_api (&txn, record, today));
        json_decref (record);
    }
    tsg_iter_end (&it);
    tsg_txn_abort (&txn);
    return json_pack ("{s:o}", "items", items);
}

json_t *
agency_consent_show (tsg_agency_t *self, const char *consent_id)
{
    char today[11];
    agency_consent_today (today);
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, false);
    json_t *record = agency_consent_get (&txn, consent_id);
    json_t *out = record ? s_api (&txn, record, today) : NULL;
    json_decref (record);
    tsg_txn_abort (&txn);
    return out;
}
