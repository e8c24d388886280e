/* Consents: the API that grants and revokes them, the coordinator's answers about them, the
 * consent letters fanned out to this agency, and the local register. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_events.h"
#include "cases.h"
#include "consents.h"
#include "json.h"
#include "legal.h"
#include "store.h"

#define FORM_MAX   (600 * 1024) /* bytes of a scanned form, decoded */
#define SHA256_HEX (2 * crypto_hash_sha256_BYTES)

static const char *const s_grant_fields[] = { "case_id",     "subject",     "cover_agencies",
                                              "cover_types", "categories",  "purpose",
                                              "method",      "obtained_by", "valid_from",
                                              "valid_until", "form_sha256", "form_base64",
                                              "note",        NULL };
static const char *const s_revoke_fields[] = { "reason", "form_sha256", NULL };
static const char *const s_purposes[] = { "referral", "case-conference", "support-plan", "other",
                                          NULL };
static const char *const s_methods[] = { "written", "verbal", NULL };
static const char *const s_types[] = { "eldercare", "disability", "child", "poverty", NULL };

static bool
s_one_of (const char *text, const char *const list[])
{
    for (int i = 0; text && list[i]; i++)
        if (strcmp (text, list[i]) == 0)
            return true;
    return false;
}

static const char *
s_str (const json_t *object, const char *key)
{
    return json_string_value (json_object_get (object, key));
}

static uint64_t
s_u64 (const json_t *object, const char *key)
{
    json_t *value = json_object_get (object, key);
    return json_is_integer (value) && json_integer_value (value) > 0
               ? (uint64_t) json_integer_value (value)
               : 0;
}

/* The array under key, made when absent. */
static json_t *
s_array (json_t *object, const char *key)
{
    json_t *array = json_object_get (object, key);
    if (!json_is_array (array)) {
        array = json_array ();
        json_object_set_new (object, key, array);
    }
    return array;
}

/* Today in Japan, YYYY-MM-DD. */
static void
s_today (char out[11])
{
    tsg_date_jst_plus_days (tsg_now_ms (), 0, out);
}

/* True for 1..max bytes of printable text without control characters. */
static bool
s_plain (const char *text, size_t max)
{
    if (!text)
        return false;
    size_t len = strlen (text);
    if (len == 0 || len > max)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) text[i] < 0x20 || text[i] == 0x7f)
            return false;
    return true;
}

static bool
s_sha256_hex_valid (const char *text)
{
    if (!text || strlen (text) != SHA256_HEX)
        return false;
    for (size_t i = 0; i < SHA256_HEX; i++)
        if (!((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f')))
            return false;
    return true;
}

/* --- the register --------------------------------------------------------------------- */

static json_t *
s_get (tsg_txn_t *txn, const char *consent_id)
{
    if (!s_plain (consent_id, TSG_HEADER_ID_MAX))
        return NULL;
    return agency_store_get_json (txn, AGENCY_DB_CONSENTS, consent_id, strlen (consent_id));
}

static void
s_put (tsg_txn_t *txn, const json_t *record)
{
    const char *consent_id = s_str (record, "consent_id");
    if (!s_plain (consent_id, TSG_HEADER_ID_MAX)) {
        if (txn->rc == TSG_OK)
            txn->rc = TSG_ERR_BAD_INPUT;
        return;
    }
    agency_store_put_json (txn, AGENCY_DB_CONSENTS, consent_id, strlen (consent_id), record);
}

/* The status the API shows for record on day today. */
static const char *
s_status (const json_t *record, const char *today)
{
    const char *state = s_str (record, "state");
    if (state
        && (strcmp (state, "revoked") == 0 || strcmp (state, "expired") == 0
            || strcmp (state, "refused") == 0))
        return state;
    const char *until = s_str (record, "valid_until");
    if (until && strcmp (today, until) > 0)
        return "expired";
    if (state && strcmp (state, "pending") == 0)
        return "pending";
    const char *from = s_str (record, "valid_from");
    if (from && strcmp (today, from) < 0)
        return "not-yet-valid";
    return "active";
}

static bool
s_status_restricts (const char *status)
{
    return strcmp (status, "revoked") == 0 || strcmp (status, "expired") == 0;
}

bool
agency_consent_restricted (tsg_txn_t *txn, const char *consent_id)
{
    if (!consent_id || !*consent_id)
        return false;
    json_t *record = s_get (txn, consent_id);
    if (!record)
        return false;
    char today[11];
    s_today (today);
    bool restricted = s_status_restricts (s_status (record, today));
    json_decref (record);
    return restricted;
}

json_t *
agency_consent_find (tsg_agency_t *self, tsg_txn_t *txn, const char *consent_id)
{
    if (!s_plain (consent_id, TSG_HEADER_ID_MAX))
        return NULL;
    json_t *record = NULL;
    if (txn)
        record = s_get (txn, consent_id);
    else {
        tsg_txn_t own;
        tsg_txn_begin (self->store, &own, false);
        record = s_get (&own, consent_id);
        tsg_txn_abort (&own);
    }
    for (agency_pending_t *p = self->pending; p && !record; p = p->next)
        if (p->kind == AGENCY_PENDING_CONSENT && !p->revoke
            && strcmp (p->referral_id, consent_id) == 0)
            record = json_deep_copy (p->record);
    return record;
}

bool
agency_consent_covers (const tsg_agency_t *self, const json_t *consent, const char *agency_id)
{
    size_t i;
    json_t *item;
    json_array_foreach (json_object_get (consent, "cover_agencies"), i, item)
    {
        if (json_is_string (item) && strcmp (json_string_value (item), agency_id) == 0)
            return true;
    }
    const agency_entry_t *entry = agency_directory_find (self->directory, agency_id);
    return entry && agency_categories_has (json_object_get (consent, "cover_types"), entry->type);
}

/* Why record does not let a letter go on day today, or NULL.  Written to why. */
static const char *
s_unusable (const json_t *record, const char *today, char *why, size_t size)
{
    const char *id = s_str (record, "consent_id");
    const char *status = s_status (record, today);
    if (strcmp (status, "revoked") == 0) {
        char at[32] = "";
        uint64_t ms = s_u64 (record, "revoked_at");
        if (ms)
            tsg_iso8601 (ms, at);
        snprintf (why, size, "consent %s was revoked%s%s", id, *at ? " at " : "", at);
        return why;
    }
    if (strcmp (status, "expired") == 0) {
        const char *until = s_str (record, "valid_until");
        snprintf (why, size, "consent %s expired on %s", id, until ? until : "?");
        return why;
    }
    if (strcmp (status, "refused") == 0) {
        snprintf (why, size, "consent %s was refused by the coordinator", id);
        return why;
    }
    if (strcmp (status, "not-yet-valid") == 0) {
        snprintf (why, size, "consent %s is valid only from %s", id, s_str (record, "valid_from"));
        return why;
    }
    return NULL;
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
    s_today (today);
    const char *problem = s_unusable (record, today, why, sizeof why);
    const char *at = field;
    const char *record_case = s_str (record, "case_id");
    if (!problem && case_id && record_case && strcmp (case_id, record_case) != 0) {
        snprintf (why, sizeof why, "consent %s belongs to case %s, not to case %s", consent_id,
                  record_case, case_id);
        problem = why;
    }
    if (!problem && to && !agency_consent_covers (self, record, to)) {
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

void
agency_consent_note_data (tsg_txn_t *txn, const char *consent_id, uint64_t cursor,
                          Tsunagu__V1__Kind kind)
{
    if (!s_plain (consent_id, TSG_HEADER_ID_MAX))
        return;
    size_t n = strlen (consent_id);
    uint8_t key[1 + TSG_HEADER_ID_MAX + 8];
    key[0] = (uint8_t) n;
    memcpy (key + 1, consent_id, n);
    tsg_be64_put (key + 1 + n, cursor);
    uint8_t value = (uint8_t) kind;
    tsg_txn_put (txn, tsg_store_db (txn->store, AGENCY_DB_CONSENT_DATA), key, 1 + n + 8, &value, 1);
}

/* How many inbox letters came under consent_id, by kind. */
static json_t *
s_data_counts (tsg_txn_t *txn, const char *consent_id)
{
    json_int_t referrals = 0, changes = 0, events = 0, other = 0;
    size_t n = strlen (consent_id);
    uint8_t prefix[1 + TSG_HEADER_ID_MAX];
    if (n <= TSG_HEADER_ID_MAX) {
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
        "withheld",    NULL
    };
    for (int i = 0; copied[i]; i++) {
        json_t *value = json_object_get (record, copied[i]);
        if (value)
            json_object_set_new (out, copied[i], json_deep_copy (value));
    }
    const char *status = s_status (record, today);
    json_object_set_new (out, "status", json_string (status));
    json_object_set_new (out, "granted_at", agency_json_time (s_u64 (record, "granted_at")));
    if (s_u64 (record, "revoked_at"))
        json_object_set_new (out, "revoked_at", agency_json_time (s_u64 (record, "revoked_at")));
    static const char *const lists[] = { "delivered_to", "rejected_by", NULL };
    for (int k = 0; lists[k]; k++) {
        json_t *listed = json_array ();
        size_t i;
        json_t *entry;
        json_array_foreach (json_object_get (record, lists[k]), i, entry)
        {
            json_t *item = json_deep_copy (entry);
            json_object_set_new (item, "at", agency_json_time (s_u64 (entry, "at")));
            json_array_append_new (listed, item);
        }
        json_object_set_new (out, lists[k], listed);
    }
    json_t *revoke = json_object_get (record, "revoke");
    const char *revoke_state = s_str (revoke, "state");
    /* Times of the errors in ISO-8601 too. */
    size_t n;
    json_t *entry;
    json_array_foreach (json_object_get (out, "withheld"), n, entry)
    {
        json_object_set_new (entry, "at", agency_json_time (s_u64 (entry, "at")));
    }
    json_t *error = json_object_get (out, "error");
    if (json_is_object (error)) {
        error = json_deep_copy (error);
        json_object_set_new (error, "at", agency_json_time (s_u64 (error, "at")));
        json_object_set_new (out, "error", error);
    }
    json_object_set_new (out, "revoke_pending",
                         json_boolean (revoke_state && strcmp (revoke_state, "pending") == 0));
    if (revoke_state && strcmp (revoke_state, "refused") == 0) {
        json_t *revoke_error = json_deep_copy (json_object_get (revoke, "error"));
        json_object_set_new (revoke_error, "at", agency_json_time (s_u64 (revoke_error, "at")));
        json_object_set_new (out, "revoke_error", revoke_error);
    }
    json_t *data = s_data_counts (txn, s_str (record, "consent_id"));
    json_int_t held = 0;
    const char *key;
    json_t *value;
    json_object_foreach (data, key, value)
    {
        held += json_integer_value (value);
    }
    bool restricted = s_status_restricts (status);
    json_object_set_new (out, "data_received", data);
    json_object_set_new (out, "restricted", json_boolean (restricted));
    json_object_set_new (out, "restricted_items", json_integer (restricted ? held : 0));
    return out;
}

json_t *
agency_consents_list (tsg_agency_t *self, const char *case_filter)
{
    char today[11];
    s_today (today);
    json_t *items = json_array ();
    tsg_txn_t txn;
    tsg_iter_t it;
    tsg_txn_begin (self->store, &txn, false);
    for (tsg_iter_begin (&txn, tsg_store_db (self->store, AGENCY_DB_CONSENTS), &it, NULL, 0);
         it.valid; tsg_iter_next (&it)) {
        json_t *record = json_loadb (it.val.mv_data, it.val.mv_size, 0, NULL);
        const char *case_id = s_str (record, "case_id");
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
    s_today (today);
    tsg_txn_t txn;
    tsg_txn_begin (self->store, &txn, false);
    json_t *record = s_get (&txn, consent_id);
    json_t *out = record ? s_api (&txn, record, today) : NULL;
    json_decref (record);
    tsg_txn_abort (&txn);
    return out;
}

/* --- sealing ---------------------------------------------------------------------------- */

/* The sealed bodies of one letter. */
typedef struct {
    Tsunagu__V1__SealedBody *bodies; /* one per recipient */
    Tsunagu__V1__SealedBody **list;  /* pointers for the letter */
    size_t count;                    /* how many */
    json_t *sealed_for;              /* their agency ids */
} s_bodies_t;

static void
s_bodies_clear (s_bodies_t *b)
{
    for (size_t i = 0; i < b->count; i++)
        free (b->bodies[i].box.data);
    free (b->bodies);
    free (b->list);
    json_decref (b->sealed_for);
    memset (b, 0, sizeof *b);
}

/* Seals content (when not NULL) once for every other active agency on the case's copy (none
 * without a copy) that consent covers.  0, or the HTTP status with *reply set. */
static int
s_seal_bodies (tsg_agency_t *self, const char *case_id, const json_t *consent,
               const json_t *content, s_bodies_t *out, json_t **reply)
{
    memset (out, 0, sizeof *out);
    out->sealed_for = json_array ();
    json_t *copy = NULL;
    if (content && tsg_uuid_valid (case_id)) {
        tsg_txn_t txn;
        tsg_txn_begin (self->store, &txn, false);
        copy = agency_case_get (&txn, case_id);
        tsg_txn_abort (&txn);
    }
    json_t *agencies = json_object_get (copy, "agencies");
    size_t cap = json_array_size (agencies);
    char *text = content ? json_dumps (content, JSON_COMPACT) : NULL;
    out->bodies = calloc (cap ? cap : 1, sizeof *out->bodies);
    out->list = calloc (cap ? cap : 1, sizeof *out->list);
    if (!out->sealed_for || !out->bodies || !out->list || (content && !text)) {
        free (text);
        json_decref (copy);
        *reply = agency_json_error ("internal", "out of memory", NULL);
        return 500;
    }
    int status = 0;
    size_t i;
    json_t *id;
    json_array_foreach (agencies, i, id)
    {
        const char *other = json_string_value (id);
        if (!other || strcmp (other, self->config->id) == 0
            || !agency_consent_covers (self, consent, other))
            continue;
        const agency_entry_t *entry = agency_directory_find (self->directory, other);
        if (!entry || entry->status != TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE)
            continue;
        Tsunagu__V1__SealedBody *body = &out->bodies[out->count];
        tsunagu__v1__sealed_body__init (body);
        body->recipient = (char *) entry->id;
        int rc =
            tsg_body_seal (self->boxer, entry->box_public, "application/json",
                           (const uint8_t *) text, strlen (text), &body->box.data, &body->box.len);
        if (rc != TSG_OK) {
            *reply = agency_json_error (rc == TSG_ERR_TOO_LARGE ? "too_large" : "internal",
                                        rc == TSG_ERR_TOO_LARGE
                                            ? "the sealed body is larger than a letter may carry"
                                            : tsg_strerror (rc),
                                        NULL);
            status = rc == TSG_ERR_TOO_LARGE ? 413 : 500;
            break;
        }
        out->list[out->count++] = body;
        json_array_append_new (out->sealed_for, json_string (entry->id));
    }
    free (text);
    json_decref (copy);
    return status;
}

/* Seals letter into pending->envelope.  0, or the HTTP status with *reply set. */
static int
s_seal_letter (tsg_agency_t *self, tsg_letter_t *letter, agency_pending_t *pending, json_t **reply)
{
    letter->sequence = pending->sequence;
    int rc =
        tsg_envelope_seal (letter, self->config->keys, &pending->envelope, &pending->envelope_len);
    if (rc == TSG_OK)
        return 0;
    *reply = agency_json_error (rc == TSG_ERR_TOO_LARGE ? "too_large" : "internal",
                                rc == TSG_ERR_TOO_LARGE
                                    ? "the consent letter is larger than a letter may carry "
                                      "(the form is sealed once for every agency it goes to)"
                                    : tsg_strerror (rc),
                                NULL);
    return rc == TSG_ERR_TOO_LARGE ? 413 : 500;
}

/* --- granting ----------------------------------------------------------------------------- */

/* A validated POST /v1/consents; the strings and arrays are borrowed from root. */
typedef struct {
    json_t *root;            /* the parsed body */
    const char *case_id;     /* NULL: a new case id is made */
    const char *subject;     /* the pseudonymous subject id */
    json_t *cover_agencies;  /* array of agency ids (may be empty) */
    json_t *cover_types;     /* array of agency types (may be empty) */
    json_t *categories;      /* array of data categories */
    const char *purpose;     /* a code */
    const char *method;      /* written | verbal */
    const char *obtained_by; /* NULL: this agency */
    const char *valid_from;  /* NULL: today */
    const char *valid_until; /* YYYY-MM-DD */
    const char *form_sha256; /* lowercase hex, or NULL */
    const char *form_base64; /* the scanned form, or NULL */
    const char *note;        /* free text, or NULL */
} s_grant_t;

/* An optional array of distinct strings each satisfying valid; problems under path. */
static json_t *
s_id_list (json_t *root, const char *key, bool (*valid) (const char *), const char *what,
           json_t *fields)
{
    json_t *value = json_object_get (root, key);
    if (!value || json_is_null (value))
        return NULL;
    if (!json_is_array (value)) {
        agency_json_field (fields, key, "must be an array");
        return NULL;
    }
    if (json_array_size (value) > AGENCY_CONSENT_LIST_MAX) {
        agency_json_field (fields, key, "at most 32 entries");
        return NULL;
    }
    bool good = true;
    size_t i;
    json_t *item;
    json_array_foreach (value, i, item)
    {
        char path[64];
        snprintf (path, sizeof path, "%s[%zu]", key, i);
        const char *text = json_string_value (item);
        if (!text || !valid (text)) {
            agency_json_field (fields, path, what);
            good = false;
            continue;
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp (text, json_string_value (json_array_get (value, k))) == 0) {
                agency_json_field (fields, path, "named twice");
                good = false;
            }
    }
    return good ? value : NULL;
}

static bool
s_type_valid (const char *text)
{
    return s_one_of (text, s_types);
}

/* 0 with fields empty, or 400 with *reply naming every problem. */
static int
s_problems (json_t *fields, const char *what, json_t **reply)
{
    size_t problems = json_object_size (fields);
    if (problems == 0) {
        json_decref (fields);
        return 0;
    }
    char message[96];
    snprintf (message, sizeof message, "the %s has %zu invalid field%s", what, problems,
              problems == 1 ? "" : "s");
    *reply = agency_json_error ("invalid", message, fields);
    return 400;
}

static int
s_grant_parse (tsg_agency_t *self, const char *body, size_t len, s_grant_t *req, json_t **reply)
{
    memset (req, 0, sizeof *req);
    json_t *root = agency_json_load_object (body, len, reply);
    if (!root)
        return 400;
    req->root = root;
    json_t *fields = json_object ();
    json_t *personal = json_object (); /* cleartext that looks like personal data */
    agency_json_unknown (root, s_grant_fields, "", fields);

    req->case_id = agency_json_text (root, "case_id", "case_id", 36, false, fields);
    if (req->case_id && !tsg_uuid_valid (req->case_id)) {
        agency_json_field (fields, "case_id", "must be a lowercase UUID");
        req->case_id = NULL;
    }
    req->subject = agency_json_text (root, "subject", "subject", 256, false, fields);
    if (!req->subject)
        agency_json_field (fields, "subject", "required: a pseudonymous id such as H001-1");
    else {
        /* The register at the coordinator keeps the subject in cleartext. */
        char why[TSG_CLEARTEXT_WHY_SIZE];
        tsg_cleartext_verdict_t verdict =
            tsg_cleartext_check (TSG_CLEARTEXT_SUBJECT, req->subject, why, sizeof why);
        if (verdict != TSG_CLEARTEXT_OK)
            agency_json_field (verdict == TSG_CLEARTEXT_PERSONAL ? personal : fields, "subject",
                               why);
    }
    req->cover_agencies =
        s_id_list (root, "cover_agencies", tsg_agency_id_valid, "must be an agency id", fields);
    req->cover_types = s_id_list (root, "cover_types", s_type_valid,
                                  "must be eldercare, disability, child or poverty", fields);
    if (json_array_size (req->cover_agencies) == 0 && json_array_size (req->cover_types) == 0
        && !json_object_get (fields, "cover_agencies") && !json_object_get (fields, "cover_types")
        && !json_object_get (fields, "cover_agencies[0]")
        && !json_object_get (fields, "cover_types[0]"))
        agency_json_field (fields, "cover_agencies",
                           "give the agencies (cover_agencies) or agency types (cover_types) "
                           "the consent lets receive");
    json_t *categories = json_object_get (root, "categories");
    req->categories = agency_categories_parse (categories, "categories", fields);
    if (!categories || (json_is_array (categories) && json_array_size (categories) == 0))
        agency_json_field (fields, "categories", "required: the data categories it covers");
    req->purpose = agency_json_text (root, "purpose", "purpose", 32, false, fields);
    if (!s_one_of (req->purpose, s_purposes))
        agency_json_field (fields, "purpose",
                           "required: referral, case-conference, support-plan or other");
    req->method = agency_json_text (root, "method", "method", 16, false, fields);
    if (!s_one_of (req->method, s_methods))
        agency_json_field (fields, "method", "required: written or verbal");
    req->obtained_by = agency_json_text (root, "obtained_by", "obtained_by", 64, false, fields);
    if (req->obtained_by && !tsg_agency_id_valid (req->obtained_by))
        agency_json_field (fields, "obtained_by", "must be an agency id");

    char today[11];
    s_today (today);
    req->valid_from = agency_json_date (root, "valid_from", "valid_from", false, fields);
    req->valid_until = agency_json_date (root, "valid_until", "valid_until", true, fields);
    const char *from = req->valid_from ? req->valid_from : today;
    if (req->valid_until && strcmp (req->valid_until, from) < 0)
        agency_json_field (fields, "valid_until", "must not be before valid_from");
    else if (req->valid_until && strcmp (req->valid_until, today) < 0)
        agency_json_field (fields, "valid_until", "must not be in the past");

    req->form_sha256 =
        agency_json_text (root, "form_sha256", "form_sha256", SHA256_HEX, false, fields);
    if (req->form_sha256 && !s_sha256_hex_valid (req->form_sha256))
        agency_json_field (fields, "form_sha256", "must be 64 lowercase hex digits (SHA-256)");
    if (!req->form_sha256 && req->method && strcmp (req->method, "written") == 0
        && !json_object_get (fields, "form_sha256"))
        agency_json_field (fields, "form_sha256",
                           "required for a written consent: the SHA-256 of the signed form");
    json_t *form = json_object_get (root, "form_base64");
    if (form && !json_is_null (form)) {
        const char *text = json_string_value (form);
        size_t text_len = text ? json_string_length (form) : 0;
        uint8_t *bytes = text_len ? malloc (text_len) : NULL;
        size_t bytes_len = 0;
        if (!text || text_len == 0)
            agency_json_field (fields, "form_base64", "must be a non-empty base64 string");
        else if (!bytes)
            agency_json_field (fields, "form_base64", "too large");
        else if (sodium_base642bin (bytes, text_len, text, text_len, "\r\n", &bytes_len, NULL,
                                    sodium_base64_VARIANT_ORIGINAL)
                 != 0)
            agency_json_field (fields, "form_base64", "must be base64 (RFC 4648, with padding)");
        else if (bytes_len > FORM_MAX)
            agency_json_field (fields, "form_base64", "the form is larger than 600 KiB");
        else if (req->form_sha256) {
            uint8_t digest[crypto_hash_sha256_BYTES];
            char hex[SHA256_HEX + 1];
            crypto_hash_sha256 (digest, bytes, bytes_len);
            tsg_hex_encode (digest, sizeof digest, hex);
            if (strcmp (hex, req->form_sha256) != 0)
                agency_json_field (fields, "form_base64", "its SHA-256 is not form_sha256");
            else
                req->form_base64 = text;
        }
        else
            agency_json_field (fields, "form_sha256", "required with form_base64");
        free (bytes);
        if (req->form_base64 && req->categories
            && !agency_categories_has (req->categories, "identity"))
            agency_json_field (fields, "form_base64",
                               "the signed form identifies the person: categories must include "
                               "identity to send it");
    }
    req->note = agency_json_text (root, "note", "note", AGENCY_CONSENT_NOTE_MAX, true, fields);
    if (req->note && req->categories && !agency_categories_has (req->categories, "free-text"))
        agency_json_field (fields, "note",
                           "a note is free text: categories must include free-text to send it");
    (void) self;
    int status = agency_json_problems (fields, personal, "consent", NULL, reply);
    if (status) {
        json_decref (root);
        req->root = NULL;
    }
    return status;
}

/* The ConsentInfo of record, pointing into it (borrowed); lists through the arrays given. */
static void
s_info (const json_t *record, Tsunagu__V1__ConsentInfo *info, char *agencies[], char *types[],
        char *categories[])
{
    tsunagu__v1__consent_info__init (info);
    info->consent_id = (char *) s_str (record, "consent_id");
    info->subject = (char *) s_str (record, "subject");
    info->purpose = (char *) s_str (record, "purpose");
    info->method = (char *) s_str (record, "method");
    info->obtained_by = (char *) s_str (record, "obtained_by");
    info->valid_from = (char *) s_str (record, "valid_from");
    info->valid_until = (char *) s_str (record, "valid_until");
    struct {
        const char *key;
        char **slots;
        size_t *n;
        char ***list;
    } lists[] = {
        { "cover_agencies", agencies, &info->n_cover_agencies, &info->cover_agencies },
        { "cover_types", types, &info->n_cover_types, &info->cover_types },
        { "categories", categories, &info->n_categories, &info->categories },
    };
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
        size_t n = 0, i;
        json_t *item;
        json_array_foreach (json_object_get (record, lists[k].key), i, item)
        {
            if (n < AGENCY_CONSENT_LIST_MAX && json_is_string (item))
                lists[k].slots[n++] = (char *) json_string_value (item);
        }
        *lists[k].n = n;
        *lists[k].list = n ? lists[k].slots : NULL;
    }
}

/* The consent record of a validated request. */
static json_t *
s_grant_record (tsg_agency_t *self, const s_grant_t *req, const char *consent_id,
                const char *case_id)
{
    char today[11];
    s_today (today);
    json_t *agencies = req->cover_agencies ? json_deep_copy (req->cover_agencies) : json_array ();
    json_t *types = req->cover_types ? json_deep_copy (req->cover_types) : json_array ();
    json_t *record = json_pack (
        "{s:s, s:s, s:s, s:o, s:o, s:O, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "consent_id",
        consent_id, "case_id", case_id, "subject", req->subject, "cover_agencies", agencies,
        "cover_types", types, "categories", req->categories, "purpose", req->purpose, "method",
        req->method, "obtained_by", req->obtained_by ? req->obtained_by : self->config->id,
        "valid_from", req->valid_from ? req->valid_from : today, "valid_until", req->valid_until,
        "origin", "own", "granted_by", self->config->id, "state", "pending");
    if (!record)
        return NULL;
    if (req->form_sha256)
        json_object_set_new (record, "form_sha256", json_string (req->form_sha256));
    if (req->note)
        json_object_set_new (record, "note", json_string (req->note));
    return record;
}

agency_pending_t *
agency_consent_grant_submit (tsg_agency_t *self, const char *body, size_t len, int *status,
                             json_t **reply)
{
    s_grant_t req;
    *reply = NULL;
    *status = s_grant_parse (self, body, len, &req, reply);
    if (*status != 0)
        return NULL;
    agency_pending_t *pending = NULL;
    s_bodies_t bodies = { 0 };
    json_t *content = NULL;
    if (!self->directory || !agency_directory_current (self->directory, tsg_now_ms ())) {
        *status = 503;
        *reply =
            agency_json_error ("not_ready",
                               self->directory ? "the directory from the coordinator has expired"
                                               : "no directory from the coordinator yet",
                               NULL);
        goto done;
    }
    json_t *unknown = json_object ();
    size_t i;
    json_t *item;
    json_array_foreach (req.cover_agencies, i, item)
    {
        if (!agency_directory_find (self->directory, json_string_value (item))) {
            char path[48];
            snprintf (path, sizeof path, "cover_agencies[%zu]", i);
            agency_json_field (unknown, path, "not in the directory");
        }
    }
    if (req.obtained_by && !agency_directory_find (self->directory, req.obtained_by))
        agency_json_field (unknown, "obtained_by", "not in the directory");
    if (json_object_size (unknown) > 0) {
        *status = 422;
        *reply = agency_json_error (
            "unknown_agency", "the consent names agencies the directory does not list", unknown);
        goto done;
    }
    json_decref (unknown);

    pending = calloc (1, sizeof *pending);
    if (!pending) {
        *status = 500;
        *reply = agency_json_error ("internal", "out of memory", NULL);
        goto done;
    }
    pending->kind = AGENCY_PENDING_CONSENT;
    tsg_uuid_new (pending->referral_id);
    snprintf (pending->case_id, sizeof pending->case_id, "%s", req.case_id ? req.case_id : "");
    if (!req.case_id)
        tsg_uuid_new (pending->case_id);
    pending->sequence = self->next_sequence;
    pending->record = s_grant_record (self, &req, pending->referral_id, pending->case_id);
    if (!pending->record) {
        *status = 500;
        *reply = agency_json_error ("internal", "out of memory", NULL);
        goto fail;
    }

    /* What travels sealed: the form's hash (no personal data) and, when given, the form and
     * the note, which rely on the consent itself. */
    content = json_pack ("{s:s}", "consent_id", pending->referral_id);
    if (req.form_sha256)
        json_object_set_new (content, "form_sha256", json_string (req.form_sha256));
    if (req.form_base64)
        json_object_set_new (content, "form_base64", json_string (req.form_base64));
    if (req.note)
        json_object_set_new (content, "note", json_string (req.note));
    bool personal = req.form_base64 || req.note;
    *status = s_seal_bodies (self, pending->case_id, pending->record,
                             json_object_size (content) > 1 ? content : NULL, &bodies, reply);
    if (*status != 0)
        goto fail;

    Tsunagu__V1__ConsentInfo info;
    char *agencies[AGENCY_CONSENT_LIST_MAX], *types[AGENCY_CONSENT_LIST_MAX],
        *categories[AGENCY_CONSENT_LIST_MAX];
    s_info (pending->record, &info, agencies, types, categories);
    tsg_letter_t letter;
    tsg_header_t header;
    char *slots[AGENCY_CATEGORIES_MAX];
    json_t *carried = json_array ();
    if (personal && bodies.count > 0) {
        if (req.form_base64)
            json_array_append_new (carried, json_string ("identity"));
        if (req.note)
            json_array_append_new (carried, json_string ("free-text"));
    }
    tsg_letter_prepare (&letter, &header, pending->message_id,
                        TSUNAGU__V1__KIND__KIND_CONSENT_GRANT, self->config->id,
                        TSG_COORDINATOR_ID);
    header.case_id = pending->case_id;
    header.sender_type = (char *) self->policy->type;
    header.consent = &info;
    if (json_array_size (carried) > 0) {
        header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT;
        header.consent_id = pending->referral_id;
        agency_categories_header (&header, carried, slots);
    }
    else
        header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE;
    letter.n_sealed_bodies = bodies.count;
    letter.sealed_bodies = bodies.count ? bodies.list : NULL;
    *status = s_seal_letter (self, &letter, pending, reply);
    json_decref (carried);
    if (*status != 0)
        goto fail;

    char hex[2 * TSG_MESSAGE_ID_SIZE + 1];
    tsg_hex_encode (pending->message_id, TSG_MESSAGE_ID_SIZE, hex);
    json_object_set_new (pending->record, "message_id", json_string (hex));
    json_object_set_new (pending->record, "granted_at",
                         json_integer ((json_int_t) letter.created_at_ms));
    json_object_set_new (pending->record, "form_received", json_boolean (req.form_base64));
    json_object_set (pending->record, "sealed_for", bodies.sealed_for);
    pending->answer =
        json_pack ("{s:s, s:s, s:s, s:O}", "consent_id", pending->referral_id, "case_id",
                   pending->case_id, "status", "pending", "sealed_for", bodies.sealed_for);
    self->next_sequence++;
    agency_pending_append (self, pending);
    goto done;
fail:
    agency_pending_free (pending);
    pending = NULL;
done:
    s_bodies_clear (&bodies);
    json_decref (content);
    json_decref (req.root);
    return pending;
}

/* --- revoking ----------------------------------------------------------------------------- */

/* True when a revocation of consent_id waits in this batch. */
static bool
s_revoke_pending (const tsg_agency_t *self, const char *consent_id)
{
    for (agency_pending_t *p = self->pending; p; p = p->next)
        if (p->kind == AGENCY_PENDING_CONSENT && p->revoke
            && strcmp (p->referral_id, consent_id) == 0)
            return true;
    return false;
}

agency_pending_t *
agency_consent_revoke_submit (tsg_agency_t *self, const char *consent_id, const char *body,
                              size_t len, int *status, json_t **reply)
{
    *reply = NULL;
    json_t *root = agency_json_load_object (body, len, reply);
    if (!root) {
        *status = 400;
        return NULL;
    }
    json_t *fields = json_object ();
    agency_json_unknown (root, s_revoke_fields, "", fields);
    const char *reason =
        agency_json_text (root, "reason", "reason", AGENCY_CONSENT_NOTE_MAX, true, fields);
    if (!reason && !json_object_get (fields, "reason"))
        agency_json_field (fields, "reason", "required: why the consent ends");
    const char *form_sha256 =
        agency_json_text (root, "form_sha256", "form_sha256", SHA256_HEX, false, fields);
    if (form_sha256 && !s_sha256_hex_valid (form_sha256))
        agency_json_field (fields, "form_sha256", "must be 64 lowercase hex digits (SHA-256)");
    *status = s_problems (fields, "revocation", reply);
    if (*status != 0) {
        json_decref (root);
        return NULL;
    }

    agency_pending_t *pending = NULL;
    s_bodies_t bodies = { 0 };
    json_t *content = NULL;
    json_t *record = agency_consent_find (self, NULL, consent_id);
    char message[256], today[11];
    s_today (today);
    if (!record) {
        *status = 404;
        *reply = agency_json_error ("not_found", "no consent with this id is known here", NULL);
        goto done;
    }
    const char *state = s_status (record, today);
    const char *revoke_state = s_str (json_object_get (record, "revoke"), "state");
    if (strcmp (state, "revoked") == 0 || strcmp (state, "expired") == 0
        || strcmp (state, "refused") == 0) {
        snprintf (message, sizeof message, "consent %s is %s already: nothing to revoke",
                  consent_id, state);
        *status = 409;
        *reply = agency_json_error ("conflict", message, NULL);
        goto done;
    }
    if ((revoke_state && strcmp (revoke_state, "pending") == 0)
        || s_revoke_pending (self, consent_id)) {
        *status = 409;
        *reply = agency_json_error ("conflict", "a revocation of this consent is on its way", NULL);
        goto done;
    }
    if (!self->directory || !agency_directory_current (self->directory, tsg_now_ms ())) {
        *status = 503;
        *reply =
            agency_json_error ("not_ready",
                               self->directory ? "the directory from the coordinator has expired"
                                               : "no directory from the coordinator yet",
                               NULL);
        goto done;
    }
    const char *case_id = s_str (record, "case_id");
    pending = calloc (1, sizeof *pending);
    if (!pending) {
        *status = 500;
        *reply = agency_json_error ("internal", "out of memory", NULL);
        goto done;
    }
    pending->kind = AGENCY_PENDING_CONSENT;
    pending->revoke = true;
    snprintf (pending->referral_id, sizeof pending->referral_id, "%s", consent_id);
    snprintf (pending->case_id, sizeof pending->case_id, "%s",
              tsg_uuid_valid (case_id) ? case_id : "");
    pending->sequence = self->next_sequence;

    /* The reason is free text: it travels, under the consent it ends, only where the consent
     * covers free text; the form's hash always may. */
    bool share = agency_categories_has (json_object_get (record, "categories"), "free-text");
    content = json_pack ("{s:s}", "consent_id", consent_id);
    if (share)
        json_object_set_new (content, "reason", json_string (reason));
    if (form_sha256)
        json_object_set_new (content, "form_sha256", json_string (form_sha256));
    *status = s_seal_bodies (self, pending->case_id, record,
                             json_object_size (content) > 1 ? content : NULL, &bodies, reply);
    if (*status != 0)
        goto fail;

    tsg_letter_t letter;
    tsg_header_t header;
    char *slots[AGENCY_CATEGORIES_MAX];
    json_t *carried = json_pack ("[s]", "free-text");
    tsg_letter_prepare (&letter, &header, pending->message_id,
                        TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE, self->config->id,
                        TSG_COORDINATOR_ID);
    header.case_id = pending->case_id;
    header.consent_id = pending->referral_id;
    header.status = (char *) "revoked";
    header.sender_type = (char *) self->policy->type;
    header.reason_given = share && bodies.count > 0;
    if (header.reason_given) {
        header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT;
        agency_categories_header (&header, carried, slots);
    }
    else
        header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE;
    letter.n_sealed_bodies = bodies.count;
    letter.sealed_bodies = bodies.count ? bodies.list : NULL;
    *status = s_seal_letter (self, &letter, pending, reply);
    json_decref (carried);
    if (*status != 0)
        goto fail;

    char hex[2 * TSG_MESSAGE_ID_SIZE + 1];
    tsg_hex_encode (pending->message_id, TSG_MESSAGE_ID_SIZE, hex);
    pending->record =
        json_pack ("{s:s, s:s, s:I, s:s, s:b, s:O}", "state", "pending", "message_id", hex, "at",
                   (json_int_t) letter.created_at_ms, "reason", reason, "reason_shared",
                   header.reason_given, "sealed_for", bodies.sealed_for);
    if (form_sha256)
        json_object_set_new (pending->record, "form_sha256", json_string (form_sha256));
    pending->answer = json_pack ("{s:s, s:s, s:O}", "consent_id", consent_id, "status", "revoking",
                                 "sealed_for", bodies.sealed_for);
    if (!pending->record || !pending->answer) {
        *status = 500;
        *reply = agency_json_error ("internal", "out of memory", NULL);
        goto fail;
    }
    self->next_sequence++;
    agency_pending_append (self, pending);
    goto done;
fail:
    agency_pending_free (pending);
    pending = NULL;
done:
    s_bodies_clear (&bodies);
    json_decref (content);
    json_decref (record);
    json_decref (root);
    return pending;
}

/* --- the coordinator's answers -------------------------------------------------------------- */

bool
agency_consent_write (tsg_agency_t *self, tsg_txn_t *txn, const agency_pending_t *p)
{
    if (!p->revoke)
        s_put (txn, p->record);
    else {
        json_t *record = agency_consent_find (self, txn, p->referral_id);
        if (!record) {
            log_warnx ("revocation of consent %s: the consent's record is gone", p->referral_id);
            return false;
        }
        json_object_set (record, "revoke", p->record);
        s_put (txn, record);
        json_decref (record);
    }
    agency_msgref_t ref = { .kind = AGENCY_LETTER_CONSENT,
                            .sequence = p->sequence,
                            .n = p->revoke ? 1 : 0 };
    memcpy (ref.id, p->referral_id, sizeof ref.id);
    agency_msgref_put (txn, p->message_id, &ref);
    return true;
}

void
agency_consent_stored (tsg_agency_t *self, tsg_txn_t *txn, const agency_msgref_t *ref,
                       uint64_t at_ms)
{
    json_t *record = s_get (txn, ref->id);
    if (!record)
        return;
    const char *state = s_str (record, "state");
    if (ref->n == 0) {
        if (state && strcmp (state, "pending") == 0) {
            json_object_set_new (record, "state", json_string ("registered"));
            json_object_set_new (record, "registered_at", json_integer ((json_int_t) at_ms));
            s_put (txn, record);
        }
    }
    else {
        json_t *revoke = json_object_get (record, "revoke");
        const char *revoke_state = s_str (revoke, "state");
        if (revoke_state && strcmp (revoke_state, "pending") == 0) {
            json_object_set_new (revoke, "state", json_string ("stored"));
            if (!state || strcmp (state, "revoked") != 0) {
                json_object_set_new (record, "state", json_string ("revoked"));
                json_object_set_new (record, "revoked_at",
                                     json_integer ((json_int_t) s_u64 (revoke, "at")));
                json_object_set_new (record, "revoked_by", json_string (self->config->id));
                json_object_set (record, "revoke_reason", json_object_get (revoke, "reason"));
            }
            s_put (txn, record);
            log_info ("consent %s revoked: what came under it is restricted", ref->id);
        }
    }
    json_decref (record);
}

void
agency_consent_refused (tsg_txn_t *txn, const agency_msgref_t *ref, const char *code,
                        const char *detail, uint64_t at_ms)
{
    json_t *record = s_get (txn, ref->id);
    if (!record)
        return;
    code = code ? code : "unspecified";
    detail = detail && *detail ? detail : "no detail";
    json_t *error =
        json_pack ("{s:s, s:s, s:I}", "code", code, "message", detail, "at", (json_int_t) at_ms);
    if (ref->n == 0) {
        const char *state = s_str (record, "state");
        if (state && strcmp (state, "pending") == 0) {
            json_object_set_new (record, "state", json_string ("refused"));
            json_object_set_new (record, "error", error);
        }
        else /* registered, then a copy of its form was withheld from an agency */
            json_array_append_new (s_array (record, "withheld"), error);
    }
    else {
        json_t *revoke = json_object_get (record, "revoke");
        if (json_is_object (revoke)) {
            json_object_set_new (revoke, "state", json_string ("refused"));
            json_object_set_new (revoke, "error", error);
        }
        else
            json_decref (error);
    }
    s_put (txn, record);
    log_warnx ("consent %s: %s refused by the coordinator: %s: %s", ref->id,
               ref->n == 0 ? "grant" : "revocation", code, detail);
    json_decref (record);
}

void
agency_consent_receipt (tsg_txn_t *txn, const agency_msgref_t *ref, const char *by, bool delivered,
                        const char *detail, uint64_t at_ms)
{
    json_t *record = s_get (txn, ref->id);
    if (!record)
        return;
    json_t *list = s_array (record, delivered ? "delivered_to" : "rejected_by");
    size_t i;
    json_t *entry;
    json_array_foreach (list, i, entry)
    {
        const char *id = s_str (entry, "agency");
        const char *what = s_str (entry, "letter");
        if (id && strcmp (id, by) == 0 && what
            && strcmp (what, ref->n == 0 ? "grant" : "revoke") == 0) {
            json_decref (record);
            return;
        }
    }
    json_t *item = json_pack ("{s:s, s:s, s:I}", "agency", by, "letter",
                              ref->n == 0 ? "grant" : "revoke", "at", (json_int_t) at_ms);
    if (!delivered)
        json_object_set_new (item, "detail",
                             json_string (detail && *detail ? detail : "no detail"));
    json_array_append_new (list, item);
    s_put (txn, record);
    json_decref (record);
}

/* --- letters fanned out to this agency ------------------------------------------------------ */

/* A JSON array of the plain strings of list that valid accepts. */
static json_t *
s_strings (char **list, size_t n, bool (*valid) (const char *))
{
    json_t *out = json_array ();
    for (size_t i = 0; i < n && i < AGENCY_CONSENT_LIST_MAX; i++)
        if (valid (list[i]))
            json_array_append_new (out, json_string (list[i]));
    return out;
}

static void
s_set_plain (json_t *record, const char *key, const char *text, size_t max)
{
    if (s_plain (text, max))
        json_object_set_new (record, key, json_string (text));
}

static const char *
s_receive_grant (tsg_txn_t *txn, const tsg_letter_t *letter, const json_t *content)
{
    const Tsunagu__V1__ConsentInfo *info = letter->header->consent;
    if (!info || !tsg_uuid_valid (info->consent_id))
        return "the consent grant has no valid consent id";
    if (!agency_json_date_valid (info->valid_until)
        || (info->valid_from && *info->valid_from && !agency_json_date_valid (info->valid_from)))
        return "the consent grant has no valid dates";
    if (info->n_cover_agencies > 4096 || info->n_cover_types > 4096 || info->n_categories > 4096)
        return "the consent grant lists too much";
    json_t *record = s_get (txn, info->consent_id);
    const char *origin = s_str (record, "origin");
    if (origin && strcmp (origin, "own") == 0) {
        json_decref (record);
        return NULL; /* ours, passed back */
    }
    if (!record)
        record = json_object ();
    json_object_set_new (record, "consent_id", json_string (info->consent_id));
    json_object_set_new (record, "case_id", json_string (letter->header->case_id));
    if (tsg_cleartext_subject_ok (info->subject, NULL, 0))
        json_object_set_new (record, "subject", json_string (info->subject));
    json_object_set_new (
        record, "cover_agencies",
        s_strings (info->cover_agencies, info->n_cover_agencies, tsg_agency_id_valid));
    json_object_set_new (record, "cover_types",
                         s_strings (info->cover_types, info->n_cover_types, s_type_valid));
    json_object_set_new (
        record, "categories",
        s_strings (info->categories, info->n_categories, agency_data_category_valid));
    s_set_plain (record, "purpose", s_one_of (info->purpose, s_purposes) ? info->purpose : "other",
                 32);
    if (s_one_of (info->method, s_methods))
        json_object_set_new (record, "method", json_string (info->method));
    if (tsg_agency_id_valid (info->obtained_by))
        json_object_set_new (record, "obtained_by", json_string (info->obtained_by));
    if (agency_json_date_valid (info->valid_from))
        json_object_set_new (record, "valid_from", json_string (info->valid_from));
    json_object_set_new (record, "valid_until", json_string (info->valid_until));
    json_object_set_new (record, "origin", json_string ("received"));
    json_object_set_new (record, "granted_by", json_string (letter->sender));
    json_object_set_new (record, "granted_at", json_integer ((json_int_t) letter->created_at_ms));
    json_object_set_new (record, "received_at", json_integer ((json_int_t) tsg_now_ms ()));
    const char *state = s_str (record, "state");
    if (!state || (strcmp (state, "revoked") != 0 && strcmp (state, "expired") != 0))
        json_object_set_new (record, "state", json_string ("registered"));
    const char *sha = s_str (content, "form_sha256");
    if (s_sha256_hex_valid (sha))
        json_object_set_new (record, "form_sha256", json_string (sha));
    json_object_set_new (record, "form_received",
                         json_boolean (json_is_string (json_object_get (content, "form_base64"))));
    const char *note = s_str (content, "note");
    if (note && strlen (note) <= AGENCY_CONSENT_NOTE_MAX)
        json_object_set_new (record, "note", json_string (note));
    s_put (txn, record);
    json_decref (record);
    return NULL;
}

static const char *
s_receive_revoke (tsg_txn_t *txn, const tsg_letter_t *letter, bool from_coordinator,
                  const json_t *content)
{
    const tsg_header_t *header = letter->header;
    const char *consent_id = header->consent_id;
    if (!s_plain (consent_id, TSG_HEADER_ID_MAX) && header->consent)
        consent_id = header->consent->consent_id;
    if (!s_plain (consent_id, TSG_HEADER_ID_MAX))
        return "the consent revocation names no consent";
    json_t *record = s_get (txn, consent_id);
    if (!record) {
        /* Never granted to us, but data may have come under it: remember its end. */
        record = json_pack ("{s:s, s:s, s:s, s:[], s:[], s:[]}", "consent_id", consent_id,
                            "case_id", header->case_id, "origin", "received", "cover_agencies",
                            "cover_types", "categories");
        if (!record) {
            if (txn->rc == TSG_OK)
                txn->rc = TSG_ERR_NOMEM;
            return NULL;
        }
    }
    const char *state = s_str (record, "state");
    if (state && (strcmp (state, "revoked") == 0 || strcmp (state, "expired") == 0)) {
        json_decref (record);
        return NULL; /* its end is known already */
    }
    bool expired = from_coordinator && !(header->status && strcmp (header->status, "revoked") == 0);
    json_object_set_new (record, "state", json_string (expired ? "expired" : "revoked"));
    json_object_set_new (record, "revoked_at", json_integer ((json_int_t) letter->created_at_ms));
    json_object_set_new (record, "revoked_by", json_string (letter->sender));
    const char *reason = s_str (content, "reason");
    if (reason && strlen (reason) <= AGENCY_CONSENT_NOTE_MAX)
        json_object_set_new (record, "revoke_reason", json_string (reason));
    else if (expired)
        json_object_set_new (record, "revoke_reason", json_string ("expired"));
    s_put (txn, record);
    log_info ("consent %s %s (%s): what came under it is restricted", consent_id,
              expired ? "expired" : "revoked", letter->sender);
    json_decref (record);
    return NULL;
}

const char *
agency_consent_receive (tsg_agency_t *self, tsg_txn_t *txn, const agency_entry_t *sender,
                        const tsg_letter_t *letter)
{
    const tsg_header_t *header = letter->header;
    if (!header || !tsg_uuid_valid (header->case_id))
        return "the consent letter has no valid case id in its header";
    if (strcmp (letter->sender, self->config->id) == 0)
        return NULL; /* our own, passed back: the register has it already */
    json_t *content = NULL;
    if (sender && letter->n_sealed_bodies > 0) {
        content = agency_case_event_content (self, sender->box_public, letter);
        bool ours = false;
        for (size_t i = 0; i < letter->n_sealed_bodies && !ours; i++)
            ours = letter->sealed_bodies[i] && letter->sealed_bodies[i]->recipient
                   && strcmp (letter->sealed_bodies[i]->recipient, self->config->id) == 0;
        if (ours && !content)
            return "the sealed body does not open with the sender's key or is not a JSON object";
    }
    const char *why = letter->kind == TSUNAGU__V1__KIND__KIND_CONSENT_GRANT
                          ? s_receive_grant (txn, letter, content)
                          : s_receive_revoke (txn, letter, sender == NULL, content);
    json_decref (content);
    return why;
}
