/* consent_grant.c — a consent this agency obtained, as one table of operations
 * (core/kind.h): POST /v1/consents registers it at the coordinator with a CONSENT_GRANT whose
 * sealed bodies carry the signed form's hash and, when given, the form itself to the other
 * agencies on the case it covers; the coordinator's answer registers or refuses it; a grant
 * fanned out to us enters the register (records/consents.h). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsg_words.h"
#include "tsunagu/tsg_text.h"
#include "agency/core/legal.h"
#include "agency/core/submit.h"
#include "agency/letters/consent_letter.h"
#include "agency/letters/letters.h"
#include "agency/records/categories.h"
#include "agency/records/consents.h"
#include "agency/records/events.h"
#include "agency/records/json.h"

#define FORM_MAX (600 * 1024) /* bytes of a scanned form, decoded */

static const char *const s_grant_fields[] = { "case_id",     "subject",     "cover_agencies",
                                              "cover_types", "categories",  "purpose",
                                              "method",      "obtained_by", "valid_from",
                                              "valid_until", "form_sha256", "form_base64",
                                              "note",        NULL };

/* True for an agency type of the table (eldercare, disability, child, poverty). */
static bool
s_type_valid (const char *text)
{
    return tsg_agency_policy_find (text) != NULL;
}

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
    if (!tsg_word_in (req->purpose, agency_consent_purposes))
        agency_json_field (fields, "purpose",
                           "required: referral, case-conference, support-plan or other");
    req->method = agency_json_text (root, "method", "method", 16, false, fields);
    if (!tsg_word_in (req->method, agency_consent_methods))
        agency_json_field (fields, "method", "required: written or verbal");
    req->obtained_by = agency_json_text (root, "obtained_by", "obtained_by", 64, false, fields);
    if (req->obtained_by && !tsg_agency_id_valid (req->obtained_by))
        agency_json_field (fields, "obtained_by", "must be an agency id");

    char today[11];
    agency_consent_today (today);
    req->valid_from = agency_json_date (root, "valid_from", "valid_from", false, fields);
    req->valid_until = agency_json_date (root, "valid_until", "valid_until", true, fields);
    const char *from = req->valid_from ? req->valid_from : today;
    if (req->valid_until && strcmp (req->valid_until, from) < 0)
        agency_json_field (fields, "valid_until", "must not be before valid_from");
    else if (req->valid_until && strcmp (req->valid_until, today) < 0)
        agency_json_field (fields, "valid_until", "must not be in the past");

    req->form_sha256 =
        agency_json_text (root, "form_sha256", "form_sha256", AGENCY_SHA256_HEX, false, fields);
    if (req->form_sha256 && !agency_consent_sha256_valid (req->form_sha256))
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
            char hex[AGENCY_SHA256_HEX + 1];
            crypto_hash_sha256 (digest, bytes, bytes_len);
            sodium_bin2hex (hex, sizeof hex, digest, sizeof digest);
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
    info->consent_id = (char *) agency_json_str (record, "consent_id");
    info->subject = (char *) agency_json_str (record, "subject");
    info->purpose = (char *) agency_json_str (record, "purpose");
    info->method = (char *) agency_json_str (record, "method");
    info->obtained_by = (char *) agency_json_str (record, "obtained_by");
    info->valid_from = (char *) agency_json_str (record, "valid_from");
    info->valid_until = (char *) agency_json_str (record, "valid_until");
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
    agency_consent_today (today);
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

static int
s_parse (tsg_agency_t *self, agency_submit_t *submit, json_t **reply)
{
    s_grant_t *req = submit->request;
    return s_grant_parse (self, submit->body, submit->len, req, reply);
}

/* Every agency the consent names is in the directory: 0, or 422. */
static int
s_check (tsg_agency_t *self, agency_submit_t *submit, json_t **reply)
{
    const s_grant_t *req = submit->request;
    json_t *unknown = json_object ();
    size_t i;
    json_t *item;
    json_array_foreach (req->cover_agencies, i, item)
    {
        if (!agency_directory_find (self->directory, json_string_value (item))) {
            char path[48];
            snprintf (path, sizeof path, "cover_agencies[%zu]", i);
            agency_json_field (unknown, path, "not in the directory");
        }
    }
    if (req->obtained_by && !agency_directory_find (self->directory, req->obtained_by))
        agency_json_field (unknown, "obtained_by", "not in the directory");
    if (json_object_size (unknown) == 0) {
        json_decref (unknown);
        return 0;
    }
    *reply = agency_json_error ("unknown_agency",
                                "the consent names agencies the directory does not list", unknown);
    return 422;
}

/* What travels sealed: the form's hash (no personal data) and, when given, the form and the
 * note, which rely on the consent itself.  A new object. */
static json_t *
s_sealed_content (const s_grant_t *req, const char *consent_id)
{
    json_t *content = json_pack ("{s:s}", "consent_id", consent_id);
    if (req->form_sha256)
        json_object_set_new (content, "form_sha256", json_string (req->form_sha256));
    if (req->form_base64)
        json_object_set_new (content, "form_base64", json_string (req->form_base64));
    if (req->note)
        json_object_set_new (content, "note", json_string (req->note));
    return content;
}

/* Builds and seals the CONSENT_GRANT of pending (its record made) with bodies. */
static int
s_seal_grant (tsg_agency_t *self, const s_grant_t *req, const agency_bodies_t *bodies,
              agency_pending_t *pending, uint64_t *created_ms, json_t **reply)
{
    Tsunagu__V1__ConsentInfo info;
    char *agencies[AGENCY_CONSENT_LIST_MAX], *types[AGENCY_CONSENT_LIST_MAX],
        *categories[AGENCY_CONSENT_LIST_MAX];
    s_info (pending->record, &info, agencies, types, categories);
    tsg_letter_t letter;
    tsg_header_t header;
    char *slots[AGENCY_CATEGORIES_MAX];
    json_t *carried = json_array ();
    if ((req->form_base64 || req->note) && bodies->count > 0) {
        if (req->form_base64)
            json_array_append_new (carried, json_string ("identity"));
        if (req->note)
            json_array_append_new (carried, json_string ("free-text"));
    }
    /* The form and the note travel on the consent itself (the request's categories cover
     * them, s_parse): the coordinator refuses them while it is not valid yet (legal_basis.c). */
    char today[11];
    agency_consent_today (today);
    const char *from = agency_json_str (pending->record, "valid_from");
    if (json_array_size (carried) > 0 && from && strcmp (today, from) < 0) {
        char why[256];
        const char *field = req->form_base64 ? "form_base64" : "note";
        snprintf (why, sizeof why,
                  "consent %s is valid only from %s: its %s cannot travel sealed on it today; "
                  "send it once the consent is valid",
                  pending->referral_id, from, field);
        json_decref (carried);
        *created_ms = 0;
        *reply = agency_legal_refusal (field, why, why);
        return 422;
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
    letter.n_sealed_bodies = bodies->count;
    letter.sealed_bodies = bodies->count ? bodies->list : NULL;
    int status = agency_consent_seal (self, &letter, pending, reply);
    json_decref (carried);
    *created_ms = letter.created_at_ms;
    return status;
}

static int
s_seal (tsg_agency_t *self, agency_submit_t *submit, agency_pending_t *pending, json_t **reply)
{
    const s_grant_t *req = submit->request;
    tsg_uuid_new (pending->referral_id);
    snprintf (pending->case_id, sizeof pending->case_id, "%s", req->case_id ? req->case_id : "");
    if (!req->case_id)
        tsg_uuid_new (pending->case_id);
    pending->record = s_grant_record (self, req, pending->referral_id, pending->case_id);
    if (!pending->record) {
        *reply = agency_json_error ("internal", "out of memory", NULL);
        return 500;
    }
    json_t *content = s_sealed_content (req, pending->referral_id);
    agency_bodies_t bodies;
    uint64_t created_ms = 0;
    int status =
        agency_consent_bodies (self, pending->case_id, pending->record,
                               json_object_size (content) > 1 ? content : NULL, &bodies, reply);
    if (status == 0)
        status = s_seal_grant (self, req, &bodies, pending, &created_ms, reply);
    if (status == 0) {
        char hex[2 * TSG_MESSAGE_ID_SIZE + 1];
        sodium_bin2hex (hex, sizeof hex, pending->message_id, TSG_MESSAGE_ID_SIZE);
        json_object_set_new (pending->record, "message_id", json_string (hex));
        json_object_set_new (pending->record, "granted_at", json_integer ((json_int_t) created_ms));
        json_object_set_new (pending->record, "form_received", json_boolean (req->form_base64));
        json_object_set (pending->record, "sealed_for", bodies.sealed_for);
        pending->answer =
            json_pack ("{s:s, s:s, s:s, s:O}", "consent_id", pending->referral_id, "case_id",
                       pending->case_id, "status", "pending", "sealed_for", bodies.sealed_for);
    }
    agency_bodies_clear (&bodies);
    json_decref (content);
    return status;
}

static void
s_clear (agency_submit_t *submit)
{
    s_grant_t *req = submit->request;
    if (!req)
        return;
    json_decref (req->root);
}

static bool
s_write (tsg_agency_t *self, tsg_txn_t *txn, const agency_pending_t *p)
{
    (void) self;
    agency_consent_put (txn, p->record);
    agency_msgref_t ref = { .kind = AGENCY_KIND_CONSENT_GRANT, .sequence = p->sequence };
    memcpy (ref.id, p->referral_id, sizeof ref.id);
    agency_msgref_put (txn, p->message_id, &ref);
    return true;
}

/* The coordinator stored our grant: the consent is registered. */
static void
s_stored (tsg_agency_t *self, tsg_txn_t *txn, const agency_msgref_t *ref,
          const uint8_t about[TSG_MESSAGE_ID_SIZE], uint64_t at_ms)
{
    (void) about;
    json_t *record = agency_consent_get (txn, ref->id);
    const char *state = agency_json_str (record, "state");
    if (state && strcmp (state, "pending") == 0) {
        json_object_set_new (record, "state", json_string ("registered"));
        json_object_set_new (record, "registered_at", json_integer ((json_int_t) at_ms));
        agency_consent_put (txn, record);
        agency_events_append (txn, self->config->id, "consent.granted",
                              json_pack ("{s:s, s:s?, s:s}", "consent_id", ref->id, "case_id",
                                         agency_json_str (record, "case_id"), "by",
                                         self->config->id),
                              tsg_now_ms ());
    }
    json_decref (record);
}

/* The coordinator refused our grant for good; or, registered, a copy of its form was withheld
 * from an agency. */
static void
s_refused (tsg_agency_t *self, tsg_txn_t *txn, const agency_msgref_t *ref,
           const uint8_t about[TSG_MESSAGE_ID_SIZE], const char *code, const char *detail,
           uint64_t at_ms)
{
    (void) self;
    (void) about;
    json_t *record = agency_consent_get (txn, ref->id);
    if (!record)
        return;
    json_t *error = agency_json_refusal (code, detail, at_ms);
    const char *state = agency_json_str (record, "state");
    if (state && strcmp (state, "pending") == 0) {
        json_object_set_new (record, "state", json_string ("refused"));
        json_object_set_new (record, "error", error);
    }
    else
        json_array_append_new (agency_json_array (record, "withheld"), error);
    agency_consent_put (txn, record);
    log_warnx ("consent %s: grant refused by the coordinator: %s: %s", ref->id, code, detail);
    json_decref (record);
}

static int
s_receipt (tsg_agency_t *self, tsg_txn_t *txn, const agency_msgref_t *ref,
           const uint8_t about[TSG_MESSAGE_ID_SIZE], const char *by, bool delivered,
           const char *detail, uint64_t at_ms)
{
    (void) self;
    (void) about;
    agency_consent_note_receipt (txn, ref->id, "grant", by, delivered, detail, at_ms);
    return TSG_OK;
}

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
    if (agency_json_plain (text, max))
        json_object_set_new (record, key, json_string (text));
}

static const char *
s_receive_grant (tsg_txn_t *txn, const char *self_id, const tsg_letter_t *letter,
                 const json_t *content)
{
    const Tsunagu__V1__ConsentInfo *info = letter->header->consent;
    if (!info || !tsg_uuid_valid (info->consent_id))
        return "the consent grant has no valid consent id";
    if (!tsg_date_ok (info->valid_until)
        || (info->valid_from && *info->valid_from && !tsg_date_ok (info->valid_from)))
        return "the consent grant has no valid dates";
    if (info->n_cover_agencies > 4096 || info->n_cover_types > 4096 || info->n_categories > 4096)
        return "the consent grant lists too much";
    json_t *record = agency_consent_get (txn, info->consent_id);
    const char *origin = agency_json_str (record, "origin");
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
    s_set_plain (record, "purpose",
                 tsg_word_in (info->purpose, agency_consent_purposes) ? info->purpose : "other",
                 32);
    if (tsg_word_in (info->method, agency_consent_methods))
        json_object_set_new (record, "method", json_string (info->method));
    if (tsg_agency_id_valid (info->obtained_by))
        json_object_set_new (record, "obtained_by", json_string (info->obtained_by));
    if (tsg_date_ok (info->valid_from))
        json_object_set_new (record, "valid_from", json_string (info->valid_from));
    json_object_set_new (record, "valid_until", json_string (info->valid_until));
    json_object_set_new (record, "origin", json_string ("received"));
    json_object_set_new (record, "granted_by", json_string (letter->sender));
    json_object_set_new (record, "granted_at", json_integer ((json_int_t) letter->created_at_ms));
    json_object_set_new (record, "received_at", json_integer ((json_int_t) tsg_now_ms ()));
    const char *state = agency_json_str (record, "state");
    bool granted = !state
                   || (strcmp (state, "revoked") != 0 && strcmp (state, "expired") != 0
                       && strcmp (state, "registered") != 0);
    if (!state || (strcmp (state, "revoked") != 0 && strcmp (state, "expired") != 0))
        json_object_set_new (record, "state", json_string ("registered"));
    if (granted)
        agency_events_append (txn, self_id, "consent.granted",
                              json_pack ("{s:s?, s:s?, s:s}", "consent_id",
                                         agency_json_str (record, "consent_id"), "case_id",
                                         agency_json_str (record, "case_id"), "by", letter->sender),
                              tsg_now_ms ());
    const char *sha = agency_json_str (content, "form_sha256");
    if (agency_consent_sha256_valid (sha))
        json_object_set_new (record, "form_sha256", json_string (sha));
    json_object_set_new (record, "form_received",
                         json_boolean (json_is_string (json_object_get (content, "form_base64"))));
    const char *note = agency_json_str (content, "note");
    if (note && strlen (note) <= AGENCY_CONSENT_NOTE_MAX)
        json_object_set_new (record, "note", json_string (note));
    agency_consent_put (txn, record);
    json_decref (record);
    return NULL;
}

static const char *
s_receive (tsg_agency_t *self, tsg_txn_t *txn, const agency_entry_t *sender,
           const tsg_letter_t *letter, json_t **content)
{
    bool own;
    const char *why = agency_consent_open (self, sender, letter, content, &own);
    if (why || own)
        return why;
    return s_receive_grant (txn, self->config->id, letter, *content);
}

const agency_kind_t agency_kind_consent_grant = {
    .id = AGENCY_KIND_CONSENT_GRANT,
    .wire = TSUNAGU__V1__KIND__KIND_CONSENT_GRANT,
    .request_size = sizeof (s_grant_t),
    .lost = "the consent could not be stored; nothing was sent",
    .parse = s_parse,
    .check = s_check,
    .seal = s_seal,
    .clear = s_clear,
    .write = s_write,
    .stored = s_stored,
    .refused = s_refused,
    .receipt = s_receipt,
    .receive = s_receive,
};
