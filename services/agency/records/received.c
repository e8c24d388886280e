/* received.c — the recipient's record of each referral it received (received.h). */
#include <string.h>

#include "agency/records/categories.h"
#include "agency/records/json.h"
#include "agency/records/received.h"
#include "agency/records/referral_state.h"
#include "agency/records/store.h"

void
agency_received_add (tsg_txn_t *txn, const agency_entry_t *sender, const tsg_letter_t *letter,
                     uint64_t cursor, uint64_t received_ms, int default_due_days)
{
    const tsg_header_t *header = letter->header;
    json_t *tags = json_array ();
    for (size_t i = 0; i < header->n_tags; i++)
        json_array_append_new (tags, json_string (header->tags[i]));
    char due[11];
    if (header->due_date && strlen (header->due_date) == 10)
        snprintf (due, sizeof due, "%s", header->due_date);
    else
        tsg_date_jst_plus_days (letter->created_at_ms, default_due_days, due);
    json_t *record = json_pack (
        "{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:s, s:o, s:s, s:s}", "referral_id",
        header->referral_id, "case_id", header->case_id, "from", sender->id, "from_type",
        header->sender_type && *header->sender_type ? header->sender_type : sender->type,
        "from_name", sender->name, "created_at", (json_int_t) letter->created_at_ms, "received_at",
        (json_int_t) received_ms, "cursor", (json_int_t) cursor, "message_id",
        agency_json_hex (letter->message_id.data, letter->message_id.len), "urgency",
        tsg_urgency_name (header->urgency), "tags", tags, "legal_basis",
        tsg_legal_basis_name (header->legal_basis), "due_date", due);
    if (!record) {
        if (txn->rc == TSG_OK)
            txn->rc = TSG_ERR_NOMEM;
        return;
    }
    if (header->receive_due_date && strlen (header->receive_due_date) == 10)
        json_object_set_new (record, "receive_due_date", json_string (header->receive_due_date));
    agency_json_set (record, "consent_id", agency_json_string_or_null (header->consent_id));
    json_object_set_new (record, "data_categories", agency_categories_of_header (header));
    if (header->urgent)
        json_object_set_new (record, "urgent", json_true ());
    agency_status_init (record, letter->created_at_ms, sender->id);
    agency_received_put (txn, record);
    json_decref (record);
}

json_t *
agency_received_get (tsg_txn_t *txn, const char *referral_id)
{
    return agency_store_get_json (txn, AGENCY_DB_RECEIVED, referral_id, strlen (referral_id));
}

void
agency_received_put (tsg_txn_t *txn, const json_t *record)
{
    const char *referral_id = json_string_value (json_object_get (record, "referral_id"));
    if (!referral_id) {
        if (txn->rc == TSG_OK)
            txn->rc = TSG_ERR_BAD_INPUT;
        return;
    }
    agency_store_put_json (txn, AGENCY_DB_RECEIVED, referral_id, strlen (referral_id), record);
}
