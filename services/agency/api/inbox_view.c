/* inbox_view.c — the inbox as the API shows it (GET /v1/inbox): each stored letter read
 * back, its cleartext header as fields, its body opened on read (the layout is
 * records/inbox_store.h's; core/inbox.c writes it). */
#include <stdlib.h>
#include <string.h>

#include "agency/api/views.h"
#include "agency/records/categories.h"
#include "agency/records/consents.h"
#include "agency/records/inbox_store.h"
#include "agency/records/json.h"
#include "agency/records/received.h"
#include "agency/records/referral_state.h"
#include "agency/records/sealed.h"

/* What the body of the letter (or our sealed body among several) holds, opened with the
 * sender's box key as it was when the letter came: a new reference, or NULL. */
static json_t *
s_content (tsg_agency_t *self, const uint8_t box[32], const tsg_letter_t *letter)
{
    json_t *content = NULL;
    if (agency_sealed_letter (self->boxer, &self->stats.bodies_opened, self->config->id, box,
                              letter, &content))
        return NULL;
    return content;
}

/* A received referral's current state and version, from its record. */
static void
s_referral_state (tsg_txn_t *txn, const tsg_header_t *header, json_t *item)
{
    json_t *record = header && tsg_uuid_valid (header->referral_id)
                         ? agency_received_get (txn, header->referral_id)
                         : NULL;
    tsg_ref_state_t state = TSG_REF_REQUESTED;
    uint64_t version = 1;
    if (record)
        agency_status_current (record, &state, &version);
    json_object_set_new (item, "state", json_string (tsg_ref_state_name (state)));
    json_object_set_new (item, "version", json_integer ((json_int_t) version));
    json_decref (record);
}

/* A case event's cleartext metadata on an inbox item. */
static void
s_case_event_fields (const tsg_header_t *header, json_t *item)
{
    const Tsunagu__V1__CaseEvent *ce = header ? header->case_event : NULL;
    if (!ce)
        return;
    agency_json_set (item, "event_id", agency_json_string_or_null (ce->event_id));
    const char *type = ce->type == TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_SUCCESSION
                           ? "succession" /* the coordinator's own (common/wire.c names
                                             only what agencies may ask for) */
                           : tsg_case_event_type_name (ce->type);
    agency_json_set (item, "event_type", type ? json_string (type) : NULL);
    json_object_set_new (item, "base_version", json_integer ((json_int_t) header->base_version));
}

static json_t *
s_inbox_item (tsg_agency_t *self, tsg_txn_t *txn, uint64_t cursor, const MDB_val *val)
{
    agency_inbox_entry_t entry;
    if (!agency_inbox_store_parse (val, &entry)) {
        log_warnx ("inbox entry %llu unreadable", (unsigned long long) cursor);
        free (entry.name);
        return NULL;
    }
    tsg_envelope_t env = { 0 };
    if (tsg_envelope_decode (entry.frame, entry.frame_len, &env, NULL) != TSG_OK) {
        log_warnx ("inbox entry %llu does not decode", (unsigned long long) cursor);
        free (entry.name);
        return NULL;
    }
    const tsg_letter_t *letter = env.letter;
    const tsg_header_t *header = letter->header;
    bool referral = letter->kind == TSUNAGU__V1__KIND__KIND_REFERRAL;

    json_t *item = json_object ();
    json_object_set_new (item, "cursor", json_integer ((json_int_t) cursor));
    json_object_set_new (item, "message_id",
                         agency_json_hex (letter->message_id.data, letter->message_id.len));
    json_object_set_new (item, "kind", json_string (tsg_kind_name (letter->kind)));
    agency_json_set (item, "referral_id",
                     json_string (header && header->referral_id ? header->referral_id : ""));
    agency_json_set (item, "case_id",
                     json_string (header && header->case_id ? header->case_id : ""));
    json_object_set_new (item, "from", json_string (letter->sender));
    /* The sender's type as the signed directory gave it when the letter arrived, never what
     * the letter's own header claims. */
    json_object_set_new (item, "from_type", json_string (entry.type));
    json_object_set_new (item, "from_name", json_string (entry.name));
    json_object_set_new (item, "created_at", agency_json_time (letter->created_at_ms));
    json_object_set_new (item, "received_at", agency_json_time (entry.received_at));
    if (header) {
        json_t *tags = json_array ();
        for (size_t i = 0; i < header->n_tags; i++)
            json_array_append_new (tags, json_string (header->tags[i]));
        json_object_set_new (item, "urgency", json_string (tsg_urgency_name (header->urgency)));
        json_object_set_new (item, "tags", tags);
        json_object_set_new (item, "legal_basis",
                             json_string (tsg_legal_basis_name (header->legal_basis)));
        const char *consent_id = header->consent_id && *header->consent_id ? header->consent_id
                                 : header->consent ? header->consent->consent_id
                                                   : NULL;
        agency_json_set (item, "consent_id", agency_json_string_or_null (consent_id));
        agency_json_set (item, "status", agency_json_string_or_null (header->status));
        json_object_set_new (item, "data_categories", agency_categories_of_header (header));
        json_object_set_new (item, "urgent", json_boolean (header->urgent));
        json_object_set_new (item, "restricted",
                             json_boolean (letter->kind != TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE
                                           && agency_consent_restricted (txn, consent_id)));
    }
    char due[11];
    if (header && header->due_date && strlen (header->due_date) == 10)
        snprintf (due, sizeof due, "%s", header->due_date);
    else
        tsg_date_jst_plus_days (letter->created_at_ms, self->config->response_due_days, due);
    if (referral) {
        json_object_set_new (item, "due_date", json_string (due));
        if (header && header->receive_due_date && strlen (header->receive_due_date) == 10)
            json_object_set_new (item, "receive_due_date", json_string (header->receive_due_date));
        s_referral_state (txn, header, item);
    }
    if (letter->kind == TSUNAGU__V1__KIND__KIND_CASE_EVENT)
        s_case_event_fields (header, item);
    json_t *content = s_content (self, entry.box, letter);
    if (letter->kind == TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS && header) {
        json_object_set_new (item, "base_version",
                             json_integer ((json_int_t) header->base_version));
        agency_json_set (item, "outcome", agency_json_string_or_null (header->outcome));
    }
    json_object_set_new (item, referral ? "sheet" : "body", content ? content : json_null ());
    tsg_envelope_clear (&env);
    free (entry.name);
    return item;
}

json_t *
agency_inbox_list (tsg_agency_t *self, uint64_t after, size_t limit)
{
    json_t *items = json_array ();
    uint64_t next = after;
    tsg_txn_t txn;
    tsg_iter_t it;
    uint8_t key[8];

    tsg_txn_begin (self->store, &txn, false);
    tsg_be64_put (key, after + 1);
    size_t n = 0;
    for (tsg_iter_begin (&txn, tsg_store_db (self->store, AGENCY_DB_INBOX), &it, key, 8);
         it.valid && n < limit; tsg_iter_next (&it)) {
        if (it.key.mv_size != 8)
            continue;
        uint64_t cursor = tsg_be64_get (it.key.mv_data);
        json_t *item = s_inbox_item (self, &txn, cursor, &it.val);
        if (item) {
            json_array_append_new (items, item);
            n++;
        }
        next = cursor;
    }
    tsg_iter_end (&it);
    tsg_txn_abort (&txn);
    return json_pack ("{s:o, s:I}", "items", items, "next_cursor", (json_int_t) next);
}

json_t *
agency_inbox_content (tsg_agency_t *self, tsg_txn_t *txn, uint64_t cursor)
{
    uint8_t key[8];
    MDB_val val;
    tsg_be64_put (key, cursor);
    if (!tsg_txn_get (txn, tsg_store_db (self->store, AGENCY_DB_INBOX), key, sizeof key, &val))
        return NULL;
    agency_inbox_entry_t entry;
    bool readable = agency_inbox_store_parse (&val, &entry);
    free (entry.name);
    tsg_envelope_t env = { 0 };
    if (!readable || tsg_envelope_decode (entry.frame, entry.frame_len, &env, NULL) != TSG_OK)
        return NULL;
    json_t *content = s_content (self, entry.box, env.letter);
    tsg_envelope_clear (&env);
    return content;
}
