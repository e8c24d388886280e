/* sent.c — the sender's record of each referral it sent (sent.h). */
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsunagu.h"
#include "agency/records/json.h"
#include "agency/records/sent.h"
#include "agency/records/store.h"

json_t *
agency_sent_record (const char *referral_id, const char *case_id, const char *to,
                    const char *to_type, uint64_t created_ms, const char *due_date,
                    const char *urgency, json_t *tags, const char *legal_basis,
                    const char *consent_id, const char *client_ref,
                    const uint8_t message_id[TSG_MESSAGE_ID_SIZE], uint64_t sequence)
{
    json_t *record = json_pack (
        "{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:O, s:s, s:o, s:I, s:s, s:n, s:n,"
        " s:[{s:s, s:I}]}",
        "referral_id", referral_id, "case_id", case_id, "to", to, "to_type", to_type, "created_at",
        (json_int_t) created_ms, "due_date", due_date, "urgency", urgency, "tags", tags,
        "legal_basis", legal_basis, "message_id", agency_json_hex (message_id, TSG_MESSAGE_ID_SIZE),
        "sequence", (json_int_t) sequence, "delivery", "queued", "stored_at", "delivered_at",
        "history", "event", "requested", "at", (json_int_t) created_ms);
    if (!record)
        return NULL;
    if (consent_id)
        json_object_set_new (record, "consent_id", json_string (consent_id));
    if (client_ref)
        json_object_set_new (record, "client_ref", json_string (client_ref));
    return record;
}

void
agency_sent_put (tsg_txn_t *txn, const json_t *record)
{
    const char *referral_id = json_string_value (json_object_get (record, "referral_id"));
    char *text = json_dumps (record, JSON_COMPACT);
    if (!referral_id || !text) {
        free (text);
        if (txn->rc == TSG_OK)
            txn->rc = TSG_ERR_NOMEM;
        return;
    }
    tsg_txn_put (txn, tsg_store_db (txn->store, AGENCY_DB_SENT), referral_id, strlen (referral_id),
                 text, strlen (text));
    free (text);
}

json_t *
agency_sent_get (tsg_txn_t *txn, const char *referral_id)
{
    MDB_val val;
    if (!tsg_txn_get (txn, tsg_store_db (txn->store, AGENCY_DB_SENT), referral_id,
                      strlen (referral_id), &val))
        return NULL;
    json_error_t error;
    json_t *record = json_loadb (val.mv_data, val.mv_size, 0, &error);
    if (!record)
        log_warnx ("sent record %s unreadable: %s", referral_id, error.text);
    return record;
}

static const char *
s_delivery (const json_t *record)
{
    const char *delivery = json_string_value (json_object_get (record, "delivery"));
    return delivery ? delivery : "queued";
}

static void
s_history (json_t *record, const char *event, uint64_t at_ms, const char *by)
{
    json_t *entry = json_pack ("{s:s, s:I}", "event", event, "at", (json_int_t) at_ms);
    if (entry && by && *by)
        json_object_set_new (entry, "by", json_string (by));
    json_t *history = json_object_get (record, "history");
    if (!json_is_array (history)) {
        history = json_array ();
        json_object_set_new (record, "history", history);
    }
    json_array_append_new (history, entry);
}

static void
s_error (json_t *record, const char *code, const char *message)
{
    json_object_set_new (record, "error",
                         json_pack ("{s:s, s:s}", "code", code ? code : "unspecified", "message",
                                    message && *message ? message : "no detail"));
}

static uint64_t
s_min (uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static uint64_t
s_max (uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

bool
agency_sent_apply (json_t *record, agency_sent_event_t event, uint64_t at_ms, const char *by,
                   const char *code, const char *message)
{
    const char *delivery = s_delivery (record);
    bool queued = strcmp (delivery, "queued") == 0;
    bool stored = strcmp (delivery, "stored") == 0;

    switch (event) {
    case AGENCY_EVENT_STORED:
        if (json_is_integer (json_object_get (record, "stored_at")))
            return false;
        /* The receipt's time is the recipient's reading of the coordinator's clock: a letter
         * is never shown delivered before it was stored, whichever answer came first. */
        if (json_is_integer (json_object_get (record, "delivered_at")))
            at_ms = s_min (at_ms, agency_json_u64 (record, "delivered_at", at_ms));
        json_object_set_new (record, "stored_at", json_integer ((json_int_t) at_ms));
        s_history (record, "stored", at_ms, NULL);
        if (queued)
            json_object_set_new (record, "delivery", json_string ("stored"));
        return true;
    case AGENCY_EVENT_DELIVERED:
        if (!queued && !stored)
            return false;
        if (json_is_integer (json_object_get (record, "stored_at")))
            at_ms = s_max (at_ms, agency_json_u64 (record, "stored_at", at_ms));
        json_object_set_new (record, "delivered_at", json_integer ((json_int_t) at_ms));
        json_object_set_new (record, "delivery", json_string ("delivered"));
        s_history (record, "delivered", at_ms, by);
        return true;
    case AGENCY_EVENT_REJECTED:
        if (!queued && !stored)
            return false;
        json_object_set_new (record, "delivery", json_string ("rejected"));
        s_error (record, code ? code : "rejected", message);
        s_history (record, "rejected", at_ms, by);
        return true;
    case AGENCY_EVENT_REFUSED:
        /* Refused on arrival; or, once stored, withheld from the recipient afterwards. */
        if (!queued && !stored)
            return false;
        json_object_set_new (record, "delivery", json_string (queued ? "refused" : "withheld"));
        s_error (record, code, message);
        s_history (record, queued ? "refused" : "withheld", at_ms, NULL);
        return true;
    }
    return false;
}

int
agency_sent_update (tsg_txn_t *txn, const char *referral_id, agency_sent_event_t event,
                    uint64_t at_ms, const char *by, const char *code, const char *message)
{
    json_t *record = agency_sent_get (txn, referral_id);
    if (!record)
        return TSG_ERR_NOT_FOUND;
    const char *to = json_string_value (json_object_get (record, "to"));
    if (by && (event == AGENCY_EVENT_DELIVERED || event == AGENCY_EVENT_REJECTED)
        && (!to || strcmp (to, by) != 0)) {
        json_decref (record);
        return TSG_ERR_PERMISSION; /* a receipt from an agency it was not sent to */
    }
    if (agency_sent_apply (record, event, at_ms, by, code, message))
        agency_sent_put (txn, record);
    json_decref (record);
    return TSG_OK;
}
