/* consents.c — the consent register (consents.h): records, their status by the day, what came
 * under each consent. */
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agency/records/categories.h"
#include "agency/records/consents.h"
#include "agency/records/json.h"
#include "agency/records/store.h"
#include "tsunagu/tsg_agency_types.h"
#include "tsunagu/tsg_text.h"
#include "tsunagu/tsg_words.h"

const char *const agency_consent_purposes[] = { "referral", "case-conference", "support-plan",
                                                "other", NULL };
const char *const agency_consent_methods[] = { "written", "verbal", NULL };

json_t *
agency_consent_get (tsg_txn_t *txn, const char *consent_id)
{
    if (!agency_json_plain (consent_id, TSG_HEADER_ID_MAX))
        return NULL;
    return agency_store_get_json (txn, AGENCY_DB_CONSENTS, consent_id, strlen (consent_id));
}

void
agency_consent_put (tsg_txn_t *txn, const json_t *record)
{
    const char *consent_id = agency_json_str (record, "consent_id");
    if (!agency_json_plain (consent_id, TSG_HEADER_ID_MAX)) {
        if (txn->rc == TSG_OK)
            txn->rc = TSG_ERR_BAD_INPUT;
        return;
    }
    agency_store_put_json (txn, AGENCY_DB_CONSENTS, consent_id, strlen (consent_id), record);
}

void
agency_consent_today (char out[11])
{
    tsg_date_jst_plus_days (tsg_now_ms (), 0, out);
}

const char *
agency_consent_status (const json_t *record, const char *today)
{
    const char *state = agency_json_str (record, "state");
    if (state
        && (strcmp (state, "revoked") == 0 || strcmp (state, "expired") == 0
            || strcmp (state, "refused") == 0))
        return state;
    const char *until = agency_json_str (record, "valid_until");
    if (until && strcmp (today, until) > 0)
        return "expired";
    if (state && strcmp (state, "pending") == 0)
        return "pending";
    const char *from = agency_json_str (record, "valid_from");
    if (from && strcmp (today, from) < 0)
        return "not-yet-valid";
    return "active";
}

bool
agency_consent_status_restricts (const char *status)
{
    return strcmp (status, "revoked") == 0 || strcmp (status, "expired") == 0;
}

bool
agency_consent_restricted (tsg_txn_t *txn, const char *consent_id)
{
    if (!consent_id || !*consent_id)
        return false;
    json_t *record = agency_consent_get (txn, consent_id);
    if (!record)
        return false;
    char today[11];
    agency_consent_today (today);
    bool restricted = agency_consent_status_restricts (agency_consent_status (record, today));
    json_decref (record);
    return restricted;
}

bool
agency_consent_covers (const agency_directory_t *directory, const json_t *consent,
                       const char *agency_id)
{
    size_t i;
    json_t *item;
    json_array_foreach (json_object_get (consent, "cover_agencies"), i, item)
    {
        if (json_is_string (item) && strcmp (json_string_value (item), agency_id) == 0)
            return true;
    }
    const agency_entry_t *entry = agency_directory_find (directory, agency_id);
    return entry && agency_categories_has (json_object_get (consent, "cover_types"), entry->type);
}

const char *
agency_consent_unusable (const json_t *record, const char *today, char *why, size_t size)
{
    const char *id = agency_json_str (record, "consent_id");
    const char *status = agency_consent_status (record, today);
    if (strcmp (status, "revoked") == 0) {
        char at[32] = "";
        uint64_t ms = agency_json_u64 (record, "revoked_at", 0);
        if (ms)
            tsg_iso8601 (ms, at);
        snprintf (why, size, "consent %s was revoked%s%s", id, *at ? " at " : "", at);
        return why;
    }
    if (strcmp (status, "expired") == 0) {
        const char *until = agency_json_str (record, "valid_until");
        snprintf (why, size, "consent %s expired on %s", id, until ? until : "?");
        return why;
    }
    if (strcmp (status, "refused") == 0) {
        snprintf (why, size, "consent %s was refused by the coordinator", id);
        return why;
    }
    if (strcmp (status, "not-yet-valid") == 0) {
        snprintf (why, size, "consent %s is valid only from %s", id,
                  agency_json_str (record, "valid_from"));
        return why;
    }
    return NULL;
}

void
agency_consent_note_data (tsg_txn_t *txn, const char *consent_id, uint64_t cursor,
                          Tsunagu__V1__Kind kind)
{
    if (!agency_json_plain (consent_id, TSG_HEADER_ID_MAX))
        return;
    size_t n = strlen (consent_id);
    uint8_t key[1 + TSG_HEADER_ID_MAX + 8];
    key[0] = (uint8_t) n;
    memcpy (key + 1, consent_id, n);
    tsg_be64_put (key + 1 + n, cursor);
    uint8_t value = (uint8_t) kind;
    tsg_txn_put (txn, tsg_store_db (txn->store, AGENCY_DB_CONSENT_DATA), key, 1 + n + 8, &value, 1);
}

json_t *
agency_consent_data_counts (tsg_txn_t *txn, const char *consent_id)
{
    json_int_t referrals = 0, changes = 0, events = 0, other = 0;
    size_t n = consent_id ? strlen (consent_id) : 0;
    uint8_t prefix[1 + TSG_HEADER_ID_MAX];
    if (consent_id && n <= TSG_HEADER_ID_MAX) {
        prefix[0] = (uint8_t) n;
        memcpy (prefix + 1, consent_id, n);
        tsg_iter_t it;
        for (tsg_iter_begin (txn, tsg_store_db (txn->store, AGENCY_DB_CONSENT_DATA), &it, prefix,
                             1 + n);
             it.valid && it.key.mv_size == 1 + n + 8 && memcmp (it.key.mv_data, prefix, 1 + n) == 0;
             tsg_iter_next (&it)) {
            int kind = it.val.mv_size == 1 ? ((const uint8_t *) it.val.mv_data)[0] : 0;
            if (kind == TSUNAGU__V1__KIND__KIND_REFERRAL)
                referrals++;
            else if (kind == TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS)
                changes++;
            else if (kind == TSUNAGU__V1__KIND__KIND_CASE_EVENT)
                events++;
            else
                other++;
        }
        tsg_iter_end (&it);
    }
    return json_pack ("{s:I, s:I, s:I, s:I}", "referrals", referrals, "status_changes", changes,
                      "case_events", events, "other", other);
}

void
agency_consent_note_receipt (tsg_txn_t *txn, const char *consent_id, const char *letter,
                             const char *by, bool delivered, const char *detail, uint64_t at_ms)
{
    json_t *record = agency_consent_get (txn, consent_id);
    if (!record)
        return;
    json_t *list = agency_json_array (record, delivered ? "delivered_to" : "rejected_by");
    size_t i;
    json_t *entry;
    json_array_foreach (list, i, entry)
    {
        const char *id = agency_json_str (entry, "agency");
        const char *what = agency_json_str (entry, "letter");
        if (id && strcmp (id, by) == 0 && what && strcmp (what, letter) == 0) {
            json_decref (record);
            return;
        }
    }
    json_t *item =
        json_pack ("{s:s, s:s, s:I}", "agency", by, "letter", letter, "at", (json_int_t) at_ms);
    if (!delivered)
        json_object_set_new (item, "detail",
                             json_string (detail && *detail ? detail : "no detail"));
    json_array_append_new (list, item);
    agency_consent_put (txn, record);
    json_decref (record);
}

bool
agency_consent_sha256_valid (const char *text)
{
    uint8_t digest[crypto_hash_sha256_BYTES];
    char lower[AGENCY_SHA256_HEX + 1];
    size_t len = 0;
    if (!text || strlen (text) != AGENCY_SHA256_HEX
        || sodium_hex2bin (digest, sizeof digest, text, AGENCY_SHA256_HEX, NULL, &len, NULL) != 0
        || len != sizeof digest)
        return false;
    /* Lowercase only, as the API writes it: the digits must read back the same. */
    sodium_bin2hex (lower, sizeof lower, digest, sizeof digest);
    return strcmp (lower, text) == 0;
}

/* Up to max plain strings of the array at key of record into out; how many. */
static size_t
s_list_out (const json_t *record, const char *key, char **out, size_t max)
{
    size_t n = 0, i;
    json_t *item;
    json_array_foreach (json_object_get (record, key), i, item)
    {
        if (n < max && json_is_string (item))
            out[n++] = (char *) json_string_value (item);
    }
    return n;
}

bool
agency_consent_info (const json_t *record, agency_consent_info_t *out)
{
    memset (out, 0, sizeof *out);
    tsunagu__v1__consent_info__init (&out->info);
    const char *id = agency_json_str (record, "consent_id");
    const char *until = agency_json_str (record, "valid_until");
    if (!tsg_uuid_valid (id) || !tsg_date_ok (until))
        return false;
    Tsunagu__V1__ConsentInfo *info = &out->info;
    info->consent_id = (char *) id;
    info->n_cover_agencies =
        s_list_out (record, "cover_agencies", out->agencies, AGENCY_CONSENT_LIST_MAX);
    info->cover_agencies = out->agencies;
    info->n_cover_types = s_list_out (record, "cover_types", out->types, AGENCY_CONSENT_LIST_MAX);
    info->cover_types = out->types;
    info->n_categories =
        s_list_out (record, "categories", out->categories, AGENCY_CONSENT_LIST_MAX);
    info->categories = out->categories;
    static const struct {
        const char *key; /* the record's member */
        size_t at;       /* the info's field */
    } texts[] = { { "purpose", offsetof (Tsunagu__V1__ConsentInfo, purpose) },
                  { "method", offsetof (Tsunagu__V1__ConsentInfo, method) },
                  { "obtained_by", offsetof (Tsunagu__V1__ConsentInfo, obtained_by) },
                  { "valid_from", offsetof (Tsunagu__V1__ConsentInfo, valid_from) },
                  { "valid_until", offsetof (Tsunagu__V1__ConsentInfo, valid_until) } };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        const char *text = agency_json_str (record, texts[i].key);
        if (agency_json_plain (text, 64))
            *(char **) ((char *) info + texts[i].at) = (char *) text;
    }
    return true;
}

/* A JSON array of the strings of list (n of them) that valid accepts, at most the list max. */
static json_t *
s_list_in (char **list, size_t n, bool (*valid) (const char *))
{
    json_t *out = json_array ();
    for (size_t i = 0; i < n && json_array_size (out) < AGENCY_CONSENT_LIST_MAX; i++)
        if (valid (list[i]))
            json_array_append_new (out, json_string (list[i]));
    return out;
}

static bool
s_type_valid (const char *text)
{
    return tsg_agency_policy_find (text) != NULL;
}

void
agency_consent_learn (tsg_txn_t *txn, const Tsunagu__V1__ConsentInfo *info, const char *case_id,
                      const char *sender, uint64_t at_ms)
{
    if (!info || !tsg_uuid_valid (info->consent_id) || !tsg_uuid_valid (case_id)
        || !tsg_date_ok (info->valid_until)
        || (info->valid_from && *info->valid_from && !tsg_date_ok (info->valid_from)))
        return;
    json_t *known = agency_consent_get (txn, info->consent_id);
    if (known) {
        json_decref (known);
        return;
    }
    json_t *record = json_pack (
        "{s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:s, s:I, s:s}", "consent_id", info->consent_id,
        "case_id", case_id, "cover_agencies",
        s_list_in (info->cover_agencies, info->n_cover_agencies, tsg_agency_id_valid),
        "cover_types", s_list_in (info->cover_types, info->n_cover_types, s_type_valid),
        "categories", s_list_in (info->categories, info->n_categories, agency_data_category_valid),
        "valid_until", info->valid_until, "origin", "referral", "granted_by", sender, "received_at",
        (json_int_t) at_ms, "state", "registered");
    if (!record) {
        if (txn->rc == TSG_OK)
            txn->rc = TSG_ERR_NOMEM;
        return;
    }
    if (tsg_date_ok (info->valid_from))
        json_object_set_new (record, "valid_from", json_string (info->valid_from));
    json_object_set_new (record, "purpose",
                         json_string (tsg_word_in (info->purpose, agency_consent_purposes)
                                          ? info->purpose
                                          : "other"));
    if (tsg_word_in (info->method, agency_consent_methods))
        json_object_set_new (record, "method", json_string (info->method));
    if (tsg_agency_id_valid (info->obtained_by))
        json_object_set_new (record, "obtained_by", json_string (info->obtained_by));
    agency_consent_put (txn, record);
    json_decref (record);
}
