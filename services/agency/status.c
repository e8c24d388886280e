/* A referral's state on this agency's side: state, version and history on the sent or
 * received record, our own changes from the POST to the coordinator's answer, and the other
 * party's changes as their letters arrive. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consents.h"
#include "json.h"
#include "legal.h"
#include "received.h"
#include "request.h"
#include "sent.h"
#include "status.h"
#include "store.h"

#define STATUS_REASON_MAX 2000        /* bytes of a reason */
#define STATUS_NOTE_MAX   (64 * 1024) /* bytes of a note */

static const char *const s_known_fields[] = { "status",     "reason",          "outcome",
                                              "note",       "base_version",    "legal_basis",
                                              "consent_id", "data_categories", NULL };

static uint64_t
s_u64 (const json_t *object, const char *key, uint64_t dflt)
{
    json_t *value = json_object_get (object, key);
    if (!json_is_integer (value) || json_integer_value (value) < 0)
        return dflt;
    return (uint64_t) json_integer_value (value);
}

static const char *
s_str (const json_t *object, const char *key)
{
    return json_string_value (json_object_get (object, key));
}

/* The array under key, made when absent. */
static json_t *
s_array (json_t *record, const char *key)
{
    json_t *array = json_object_get (record, key);
    if (!json_is_array (array)) {
        array = json_array ();
        json_object_set_new (record, key, array);
    }
    return array;
}

static void
s_set_string (json_t *object, const char *key, const char *text)
{
    if (text && *text)
        json_object_set_new (object, key, json_string (text));
}

void
agency_status_init (json_t *record, uint64_t created_ms, const char *sender)
{
    json_object_set_new (record, "state", json_string ("requested"));
    json_object_set_new (record, "version", json_integer (1));
    json_object_set_new (record, "state_history",
                         json_pack ("[{s:s, s:I, s:s}]", "state", "requested", "at",
                                    (json_int_t) created_ms, "by", sender ? sender : ""));
}

void
agency_status_current (const json_t *record, tsg_ref_state_t *state, uint64_t *version)
{
    if (!tsg_ref_state_parse (s_str (record, "state"), state))
        *state = TSG_REF_REQUESTED;
    *version = s_u64 (record, "version", 1);
    if (*version == 0)
        *version = 1;
}

/* Moves (*state, *version) on by change when change is based on *version; a change based on
 * another version is doomed (the coordinator will refuse it) and changes nothing. */
static void
s_chain_one (const json_t *change, tsg_ref_state_t *state, uint64_t *version)
{
    tsg_ref_state_t to;
    if (s_u64 (change, "base_version", 0) == *version
        && tsg_ref_state_parse (s_str (change, "status"), &to)) {
        *state = to;
        (*version)++;
    }
}

/* The same for every change of list, in order. */
static void
s_chain (const json_t *list, tsg_ref_state_t *state, uint64_t *version)
{
    size_t i;
    json_t *change;
    json_array_foreach (list, i, change)
    {
        s_chain_one (change, state, version);
    }
}

json_t *
agency_status_find (tsg_txn_t *txn, const char *referral_id, tsg_party_t *party)
{
    json_t *record = agency_sent_get (txn, referral_id);
    if (record) {
        *party = TSG_PARTY_SENDER;
        return record;
    }
    record = agency_received_get (txn, referral_id);
    if (record)
        *party = TSG_PARTY_RECIPIENT;
    return record;
}

void
agency_status_save (tsg_txn_t *txn, const json_t *record, tsg_party_t party)
{
    if (party == TSG_PARTY_SENDER)
        agency_sent_put (txn, record);
    else
        agency_received_put (txn, record);
}

/* The other party of a referral on our side party. */
static const char *
s_other (const json_t *record, tsg_party_t party)
{
    return s_str (record, party == TSG_PARTY_SENDER ? "to" : "from");
}

static json_t *
s_time (const json_t *object, const char *key)
{
    return agency_json_time (s_u64 (object, key, 0));
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

/* A validated request. */
typedef struct {
    json_t *root;                        /* the parsed body (owns the strings) */
    tsg_ref_state_t to;                  /* the state asked for */
    const char *reason;                  /* NULL when absent */
    const char *note;                    /* NULL when absent */
    tsg_outcome_t outcome;               /* TSG_OUTCOME_NONE when absent */
    uint64_t base_version;               /* 0 when absent */
    Tsunagu__V1__LegalBasis legal_basis; /* unspecified when absent: the referral's */
    const char *consent_id;              /* NULL when absent: the referral's */
    json_t *data_categories;             /* NULL when absent: free-text */
} s_request_t;

/* Parses body: 0 with *out filled, or 400 with *reply set. */
static int
s_parse (const char *body, size_t len, s_request_t *out, json_t **reply)
{
    memset (out, 0, sizeof *out);
    json_t *root = agency_json_load_object (body, len, reply);
    if (!root)
        return 400;
    json_t *fields = json_object ();
    const char *key;
    json_t *value;
    json_object_foreach (root, key, value)
    {
        bool known = false;
        for (int i = 0; s_known_fields[i] && !known; i++)
            known = strcmp (key, s_known_fields[i]) == 0;
        if (!known)
            agency_json_field (fields, key, "unknown field");
    }
    out->root = root;
    value = json_object_get (root, "status");
    if (!value)
        agency_json_field (fields, "status", "required");
    else if (!json_is_string (value) || !tsg_ref_state_parse (json_string_value (value), &out->to))
        agency_json_field (fields, "status",
                           "must be a referral state: received, accepted, rejected, cancelled, "
                           "in-progress, on-hold, completed, failed or entered-in-error");
    out->reason = agency_json_text (root, "reason", "reason", STATUS_REASON_MAX, true, fields);
    out->note = agency_json_text (root, "note", "note", STATUS_NOTE_MAX, true, fields);
    value = json_object_get (root, "outcome");
    if (value && !json_is_null (value)
        && (!json_is_string (value)
            || !tsg_outcome_parse (json_string_value (value), &out->outcome)))
        agency_json_field (
            fields, "outcome",
            "must be got-help, could-not-contact, not-eligible, no-capacity, declined or "
            "referred-elsewhere");
    value = json_object_get (root, "base_version");
    if (value && !json_is_null (value)) {
        if (!json_is_integer (value) || json_integer_value (value) < 1)
            agency_json_field (fields, "base_version", "must be an integer >= 1");
        else
            out->base_version = (uint64_t) json_integer_value (value);
    }
    value = json_object_get (root, "legal_basis");
    if (value && !json_is_null (value)
        && (!json_is_string (value)
            || !tsg_legal_basis_parse (json_string_value (value), &out->legal_basis)))
        agency_json_field (
            fields, "legal_basis",
            "must be consent, support-meeting, statutory-meeting, emergency or none");
    out->consent_id = agency_json_text (root, "consent_id", "consent_id", 64, false, fields);
    json_t *categories = json_object_get (root, "data_categories");
    out->data_categories = agency_categories_parse (categories, "data_categories", fields);
    size_t problems = json_object_size (fields);
    if (problems > 0) {
        char message[96];
        snprintf (message, sizeof message, "the status change has %zu invalid field%s", problems,
                  problems == 1 ? "" : "s");
        *reply = agency_json_error ("invalid", message, fields);
        json_decref (root);
        out->root = NULL;
        return 400;
    }
    json_decref (fields);
    return 0;
}

/* The legal basis of a status change's body (its reason and note). */
typedef struct {
    Tsunagu__V1__LegalBasis basis; /* none when there is no body */
    const char *consent_id;        /* consent: the consent (borrowed), else NULL */
    json_t *categories;            /* the data categories (owned), empty for none */
} s_basis_t;

/* Decides the legal basis of the body of req (a reason or note) about record to the other
 * party `to`: the one asked for, else the referral's; consent names the request's consent or
 * the referral's; the categories are the request's, else free-text.  0 with *out filled, or
 * the HTTP status (400 a rule of the basis, 422 the law does not let it go) with *reply. */
static int
s_basis (tsg_agency_t *self, const s_request_t *req, const json_t *record, const agency_entry_t *to,
         s_basis_t *out, json_t **reply)
{
    out->basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE;
    out->consent_id = NULL;
    out->categories = json_array ();
    if (!req->reason && !req->note)
        return 0;
    Tsunagu__V1__LegalBasis basis = req->legal_basis;
    bool own = basis != TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_UNSPECIFIED;
    if (!own && !tsg_legal_basis_parse (s_str (record, "legal_basis"), &basis))
        basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT;
    if (basis == TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_EMERGENCY) {
        *reply = agency_legal_refusal (
            "legal_basis",
            own ? "emergency covers only the abuse report itself"
                : "required: the referral came as an emergency report, which covers only the "
                  "report itself; name the basis of the reason or note",
            "a reason or note travels only under consent, support-meeting, statutory-meeting "
            "or none");
        return 422;
    }
    out->basis = basis;
    if (basis == TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT)
        out->consent_id = req->consent_id ? req->consent_id : s_str (record, "consent_id");
    if (req->data_categories)
        json_array_extend (out->categories, req->data_categories);
    else if (basis != TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE)
        json_array_append_new (out->categories, json_string ("free-text"));
    json_t *fields = json_object ();
    agency_basis_rules (basis, out->consent_id, tsg_uuid_valid (s_str (record, "case_id")),
                        out->categories, "data_categories", fields);
    if (json_object_size (fields) > 0) {
        *reply =
            agency_json_error ("invalid", "the status change's legal basis is incomplete", fields);
        return 400;
    }
    json_decref (fields);
    if (out->consent_id)
        return agency_consent_check (self, out->consent_id, s_str (record, "case_id"), to->id,
                                     out->categories, "consent_id", "data_categories", reply);
    return 0;
}

/* Seals the REFERRAL_STATUS letter about record into pending.  The reason and note, when
 * there are any, go in the body under the legal basis decided (s_basis); without them the
 * letter has no body.  0, or the HTTP status with *reply set. */
static int
s_seal (tsg_agency_t *self, const s_request_t *req, const s_basis_t *legal,
        const agency_entry_t *to, agency_pending_t *pending, json_t **reply)
{
    uint8_t *box = NULL;
    size_t box_len = 0;
    if (req->reason || req->note) {
        json_t *content = json_object ();
        s_set_string (content, "reason", req->reason);
        s_set_string (content, "note", req->note);
        char *text = json_dumps (content, JSON_COMPACT);
        json_decref (content);
        int rc = text ? tsg_body_seal (self->boxer, to->box_public, "application/json",
                                       (const uint8_t *) text, strlen (text), &box, &box_len)
                      : TSG_ERR_NOMEM;
        free (text);
        if (rc != TSG_OK) {
            *reply = agency_json_error ("internal", tsg_strerror (rc), NULL);
            return 500;
        }
    }
    tsg_letter_t letter;
    tsg_header_t header;
    tsg_letter_prepare (&letter, &header, pending->message_id,
                        TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS, self->config->id, to->id);
    header.referral_id = pending->referral_id;
    header.case_id = pending->case_id;
    header.status = (char *) tsg_ref_state_name (req->to);
    header.outcome =
        (char *) (req->outcome != TSG_OUTCOME_NONE ? tsg_outcome_name (req->outcome) : "");
    header.reason_given = req->reason != NULL;
    header.base_version = req->base_version;
    header.sender_type = (char *) self->policy->type;
    header.legal_basis = legal->basis;
    header.consent_id = (char *) (legal->consent_id ? legal->consent_id : "");
    char *categories[AGENCY_CATEGORIES_MAX];
    agency_categories_header (&header, legal->categories, categories);
    letter.body.data = box;
    letter.body.len = box_len;
    letter.sequence = pending->sequence;
    int rc =
        tsg_envelope_seal (&letter, self->config->keys, &pending->envelope, &pending->envelope_len);
    free (box);
    if (rc != TSG_OK) {
        *reply = agency_json_error (rc == TSG_ERR_TOO_LARGE ? "too_large" : "internal",
                                    tsg_strerror (rc), NULL);
        return rc == TSG_ERR_TOO_LARGE ? 413 : 500;
    }

    char hex[2 * TSG_MESSAGE_ID_SIZE + 1];
    tsg_hex_encode (pending->message_id, TSG_MESSAGE_ID_SIZE, hex);
    pending->record = json_pack ("{s:s, s:I, s:s, s:I, s:s}", "status", header.status,
                                 "base_version", (json_int_t) req->base_version, "message_id", hex,
                                 "at", (json_int_t) letter.created_at_ms, "by", self->config->id);
    if (!pending->record) {
        *reply = agency_json_error ("internal", "out of memory", NULL);
        return 500;
    }
    s_set_string (pending->record, "reason", req->reason);
    s_set_string (pending->record, "note", req->note);
    s_set_string (pending->record, "outcome", header.outcome);
    if (box_len) {
        json_object_set_new (pending->record, "legal_basis",
                             json_string (agency_legal_basis_name (legal->basis)));
        s_set_string (pending->record, "consent_id", legal->consent_id);
        json_object_set (pending->record, "data_categories", legal->categories);
    }
    pending->answer =
        json_pack ("{s:s, s:s, s:s, s:I}", "referral_id", pending->referral_id, "status", "pending",
                   "pending_status", header.status, "base_version", (json_int_t) req->base_version);
    return 0;
}

/* True when the table lets party move a referral to `to` from some state. */
static bool
s_may_ever (tsg_party_t party, tsg_ref_state_t to)
{
    static const tsg_outcome_t outcomes[] = { TSG_OUTCOME_NONE, TSG_OUTCOME_GOT_HELP };
    for (int from = 0; from < TSG_REF_STATE_COUNT; from++)
        for (size_t i = 0; i < sizeof outcomes / sizeof outcomes[0]; i++)
            if (!tsg_ref_transition_check ((tsg_ref_state_t) from, to, party, "-", outcomes[i]))
                return true;
    return false;
}

agency_pending_t *
agency_status_submit (tsg_agency_t *self, const char *referral_id, const char *body, size_t len,
                      int *status, json_t **reply)
{
    s_request_t req;
    *reply = NULL;
    *status = s_parse (body, len, &req, reply);
    if (*status != 0)
        return NULL;

    json_t *record = NULL;
    tsg_party_t party = TSG_PARTY_SENDER;
    if (tsg_uuid_valid (referral_id)) {
        tsg_txn_t txn;
        tsg_txn_begin (self->store, &txn, false);
        record = agency_status_find (&txn, referral_id, &party);
        tsg_txn_abort (&txn);
    }
    agency_pending_t *pending = NULL;
    s_basis_t legal = { 0 };
    char message[256];
    if (!record) {
        *status = 404;
        *reply = agency_json_error ("not_found",
                                    "no referral with this id was sent or received here", NULL);
        goto done;
    }
    uint64_t now = tsg_now_ms ();
    if (!self->directory || !agency_directory_current (self->directory, now)) {
        *status = 503;
        *reply =
            agency_json_error ("not_ready",
                               self->directory ? "the directory from the coordinator has expired"
                                               : "no directory from the coordinator yet",
                               NULL);
        goto done;
    }

    /* The state the change starts from: the local copy, then our changes on their way
     * (stored ones first, then those of this batch). */
    tsg_ref_state_t from;
    uint64_t version;
    agency_status_current (record, &from, &version);
    s_chain (json_object_get (record, "pending"), &from, &version);
    for (agency_pending_t *p = self->pending; p; p = p->next)
        if (p->kind == AGENCY_PENDING_STATUS && strcmp (p->referral_id, referral_id) == 0)
            s_chain_one (p->record, &from, &version);
    if (req.base_version == 0)
        req.base_version = version;
    else if (req.base_version != version) {
        snprintf (message, sizeof message,
                  "the referral is at version %llu (%s), not %llu: read it again and decide again",
                  (unsigned long long) version, tsg_ref_state_name (from),
                  (unsigned long long) req.base_version);
        *status = 409;
        *reply = agency_json_error ("stale_version", message, NULL);
        goto done;
    }
    const char *why = tsg_ref_transition_check (from, req.to, party, req.reason, req.outcome);
    if (why) {
        tsg_party_t other_party =
            party == TSG_PARTY_SENDER ? TSG_PARTY_RECIPIENT : TSG_PARTY_SENDER;
        /* The table's sentence, and when this side never sets that state, a word on who does. */
        const char *hint = "";
        if (!s_may_ever (party, req.to) && s_may_ever (other_party, req.to))
            hint = party == TSG_PARTY_SENDER ? "; only the recipient ever sets this state"
                                             : "; only the sender ever sets this state";
        snprintf (message, sizeof message, "%s (%s → %s, as the %s)%s", why,
                  tsg_ref_state_name (from), tsg_ref_state_name (req.to),
                  party == TSG_PARTY_SENDER ? "sender" : "recipient", hint);
        *status = 422;
        *reply = agency_json_error ("illegal_transition", message, NULL);
        goto done;
    }
    const char *other = s_other (record, party);
    const agency_entry_t *to = agency_directory_find (self->directory, other);
    if (!to) {
        snprintf (message, sizeof message, "no agency %s in the directory", other ? other : "?");
        *status = 422;
        *reply = agency_json_error ("unknown_recipient", message, NULL);
        goto done;
    }
    if (to->status != TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE) {
        snprintf (message, sizeof message, "agency %s is %s", to->id,
                  tsg_agency_status_name (to->status));
        *status = 422;
        *reply = agency_json_error ("recipient_inactive", message, NULL);
        goto done;
    }

    *status = s_basis (self, &req, record, to, &legal, reply);
    if (*status != 0)
        goto done;

    pending = calloc (1, sizeof *pending);
    if (!pending) {
        *status = 500;
        *reply = agency_json_error ("internal", "out of memory", NULL);
        goto done;
    }
    pending->kind = AGENCY_PENDING_STATUS;
    pending->party = party;
    snprintf (pending->referral_id, sizeof pending->referral_id, "%s", referral_id);
    snprintf (pending->case_id, sizeof pending->case_id, "%s",
              s_str (record, "case_id") ? s_str (record, "case_id") : "");
    pending->sequence = self->next_sequence;
    int rc = s_seal (self, &req, &legal, to, pending, reply);
    if (rc != 0) {
        *status = rc;
        agency_pending_free (pending);
        pending = NULL;
        goto done;
    }
    self->next_sequence++;
    agency_pending_append (self, pending);
    *status = 0;
done:
    json_decref (legal.categories);
    json_decref (record);
    json_decref (req.root);
    return pending;
}

bool
agency_status_write (tsg_agency_t *self, tsg_txn_t *txn, const agency_pending_t *p)
{
    (void) self;
    tsg_party_t party;
    json_t *record = agency_status_find (txn, p->referral_id, &party);
    if (!record) {
        /* Checked at the POST; a record never goes away. */
        log_warnx ("status change of %s: the referral's record is gone", p->referral_id);
        return false;
    }
    json_array_append (s_array (record, "pending"), p->record);
    agency_status_save (txn, record, party);
    json_decref (record);
    agency_msgref_t ref = { .kind = AGENCY_LETTER_STATUS, .sequence = p->sequence };
    memcpy (ref.id, p->referral_id, sizeof ref.id);
    agency_msgref_put (txn, p->message_id, &ref);
    return true;
}

/* The index under record's "pending" of the change carried by message_id, or SIZE_MAX. */
static size_t
s_pending_index (const json_t *record, const uint8_t message_id[TSG_MESSAGE_ID_SIZE])
{
    char hex[2 * TSG_MESSAGE_ID_SIZE + 1];
    tsg_hex_encode (message_id, TSG_MESSAGE_ID_SIZE, hex);
    size_t i;
    json_t *entry;
    json_array_foreach (json_object_get (record, "pending"), i, entry)
    {
        const char *id = s_str (entry, "message_id");
        if (id && strcmp (id, hex) == 0)
            return i;
    }
    return SIZE_MAX;
}

/* Removes the pending change carried by message_id from record; returns it (a new
 * reference) or NULL. */
static json_t *
s_take_pending (json_t *record, const uint8_t message_id[TSG_MESSAGE_ID_SIZE])
{
    json_t *pending = json_object_get (record, "pending");
    size_t i = s_pending_index (record, message_id);
    if (i == SIZE_MAX)
        return NULL;
    json_t *entry = json_incref (json_array_get (pending, i));
    json_array_remove (pending, i);
    if (json_array_size (pending) == 0)
        json_object_del (record, "pending");
    return entry;
}

/* Moves record to state `to` at version base + 1 (never back), appending history. */
static void
s_apply (json_t *record, tsg_ref_state_t to, uint64_t base, json_t *history_entry, bool out_of_sync)
{
    tsg_ref_state_t state;
    uint64_t version;
    agency_status_current (record, &state, &version);
    if (out_of_sync) {
        json_object_set_new (record, "out_of_sync", json_true ());
        json_object_set_new (history_entry, "out_of_sync", json_true ());
    }
    if (base + 1 > version) {
        json_object_set_new (record, "state", json_string (tsg_ref_state_name (to)));
        json_object_set_new (record, "version", json_integer ((json_int_t) (base + 1)));
    }
    json_array_append (s_array (record, "state_history"), history_entry);
}

/* Applies our change (taken from "pending") to record: its state at base_version + 1 and its
 * history entry.  Returns false when the change names no state. */
static bool
s_apply_own (json_t *record, const char *referral_id, const json_t *change)
{
    tsg_ref_state_t to, state;
    uint64_t version;
    if (!tsg_ref_state_parse (s_str (change, "status"), &to))
        return false;
    agency_status_current (record, &state, &version);
    uint64_t base = s_u64 (change, "base_version", 0);
    json_t *entry =
        json_pack ("{s:s, s:O, s:O}", "state", tsg_ref_state_name (to), "at",
                   json_object_get (change, "at"), "by", json_object_get (change, "by"));
    static const char *const copied[] = { "reason",     "note",         "outcome",
                                          "message_id", "delivered_at", NULL };
    for (int k = 0; copied[k]; k++)
        if (json_object_get (change, copied[k]))
            json_object_set (entry, copied[k], json_object_get (change, copied[k]));
    if (base != version)
        log_warnx ("referral %s: our change to %s (version %llu) was stored by the coordinator "
                   "while this copy is at version %llu",
                   referral_id, tsg_ref_state_name (to), (unsigned long long) base,
                   (unsigned long long) version);
    s_apply (record, to, base, entry, base != version);
    json_decref (entry);
    return true;
}

/* True when a change of ours based on a version below base still waits for its answer. */
static bool
s_earlier_pending (const json_t *record, uint64_t base)
{
    size_t i;
    json_t *entry;
    json_array_foreach (json_object_get (record, "pending"), i, entry)
    {
        if (s_u64 (entry, "base_version", 0) < base
            && !json_is_true (json_object_get (entry, "stored")))
            return true;
    }
    return false;
}

/* Applies, in order of their base versions, the changes of ours that were stored while an
 * earlier one still waited for its answer, as far as none earlier waits any more. */
static void
s_apply_stored (json_t *record, const char *referral_id)
{
    for (int round = 0; round < 64; round++) {
        json_t *pending = json_object_get (record, "pending");
        size_t best = SIZE_MAX;
        uint64_t best_base = UINT64_MAX;
        size_t i;
        json_t *entry;
        json_array_foreach (pending, i, entry)
        {
            uint64_t base = s_u64 (entry, "base_version", 0);
            if (json_is_true (json_object_get (entry, "stored")) && base < best_base) {
                best = i;
                best_base = base;
            }
        }
        if (best == SIZE_MAX || s_earlier_pending (record, best_base))
            return;
        json_t *change = json_incref (json_array_get (pending, best));
        json_array_remove (pending, best);
        if (json_array_size (pending) == 0)
            json_object_del (record, "pending");
        json_object_del (change, "stored");
        s_apply_own (record, referral_id, change);
        json_decref (change);
    }
}

void
agency_status_stored (tsg_txn_t *txn, const agency_msgref_t *ref,
                      const uint8_t message_id[TSG_MESSAGE_ID_SIZE])
{
    tsg_party_t party;
    json_t *record = agency_status_find (txn, ref->id, &party);
    if (!record)
        return;
    json_t *change = s_take_pending (record, message_id);
    if (!change) {
        json_decref (record); /* stored before: nothing left to apply */
        return;
    }
    /* The coordinator answers our letters in their order, but an answer can be lost (a full
     * socket, a connection that dropped) and come again only after the resend: a change is
     * applied only after every earlier change of ours, so the copy moves in the order the
     * changes were made. */
    if (s_earlier_pending (record, s_u64 (change, "base_version", 0))) {
        json_object_set_new (change, "stored", json_true ());
        json_array_append (s_array (record, "pending"), change);
    }
    else
        s_apply_own (record, ref->id, change);
    json_decref (change);
    s_apply_stored (record, ref->id);
    agency_status_save (txn, record, party);
    json_decref (record);
}

void
agency_status_refused (tsg_txn_t *txn, const agency_msgref_t *ref,
                       const uint8_t message_id[TSG_MESSAGE_ID_SIZE], const char *code,
                       const char *detail, uint64_t at_ms)
{
    tsg_party_t party;
    json_t *record = agency_status_find (txn, ref->id, &party);
    if (!record)
        return;
    json_t *change = s_take_pending (record, message_id);
    if (change) {
        json_array_append_new (
            s_array (record, "errors"),
            json_pack ("{s:O, s:O, s:s, s:s, s:I}", "status", json_object_get (change, "status"),
                       "base_version", json_object_get (change, "base_version"), "code",
                       code ? code : "unspecified", "message",
                       detail && *detail ? detail : "no detail", "at", (json_int_t) at_ms));
        s_apply_stored (record, ref->id);
        agency_status_save (txn, record, party);
        log_warnx ("referral %s: change to %s refused by the coordinator: %s: %s", ref->id,
                   s_str (change, "status"), code ? code : "?", detail ? detail : "");
    }
    else {
        /* Applied already (the coordinator stored it), then withheld from the other party: the
         * change stands, its reason and note never reached them. */
        char hex[2 * TSG_MESSAGE_ID_SIZE + 1];
        tsg_hex_encode (message_id, TSG_MESSAGE_ID_SIZE, hex);
        size_t i;
        json_t *entry;
        json_array_foreach (json_object_get (record, "state_history"), i, entry)
        {
            const char *id = s_str (entry, "message_id");
            if (!id || strcmp (id, hex) != 0 || json_object_get (entry, "withheld"))
                continue;
            json_object_set_new (entry, "withheld", json_true ());
            json_array_append_new (s_array (record, "errors"),
                                   json_pack ("{s:O, s:s, s:s, s:I, s:b}", "status",
                                              json_object_get (entry, "state"), "code",
                                              code ? code : "unspecified", "message",
                                              detail && *detail ? detail : "no detail", "at",
                                              (json_int_t) at_ms, "withheld", 1));
            agency_status_save (txn, record, party);
            log_warnx ("referral %s: our change to %s was withheld from the other party: %s",
                       ref->id, s_str (entry, "state"), detail ? detail : "");
            break;
        }
    }
    json_decref (change);
    json_decref (record);
}

void
agency_status_receipt (tsg_txn_t *txn, const agency_msgref_t *ref,
                       const uint8_t message_id[TSG_MESSAGE_ID_SIZE], const char *by,
                       bool delivered, const char *detail, uint64_t at_ms)
{
    tsg_party_t party;
    json_t *record = agency_status_find (txn, ref->id, &party);
    if (!record)
        return;
    const char *other = s_other (record, party);
    if (!other || !by || strcmp (other, by) != 0) {
        log_warnx ("receipt from %s about a status change of %s, which concerns %s", by, ref->id,
                   other ? other : "?");
        json_decref (record);
        return;
    }
    /* The other party's receipt can come before the coordinator's RECEIPT_STORED (lost with
     * a connection, the mailbox forwarded before the resend was answered): the delivery is
     * noted on the pending change, which STORED applies in order with it. */
    size_t at = s_pending_index (record, message_id);
    json_t *pending =
        at == SIZE_MAX ? NULL : json_array_get (json_object_get (record, "pending"), at);
    if (pending && delivered) {
        if (!json_object_get (pending, "delivered_at")) {
            json_object_set_new (pending, "delivered_at", json_integer ((json_int_t) at_ms));
            agency_status_save (txn, record, party);
        }
        json_decref (record);
        return;
    }
    char hex[2 * TSG_MESSAGE_ID_SIZE + 1];
    tsg_hex_encode (message_id, TSG_MESSAGE_ID_SIZE, hex);
    bool changed = false;
    if (delivered) {
        size_t i;
        json_t *entry;
        json_array_foreach (json_object_get (record, "state_history"), i, entry)
        {
            const char *id = s_str (entry, "message_id");
            if (id && strcmp (id, hex) == 0 && !json_object_get (entry, "delivered_at")) {
                json_object_set_new (entry, "delivered_at", json_integer ((json_int_t) at_ms));
                changed = true;
            }
        }
    }
    else {
        json_array_append_new (s_array (record, "errors"),
                               json_pack ("{s:s, s:s, s:s, s:I}", "code", "rejected", "message",
                                          detail && *detail ? detail : "no detail", "by", by, "at",
                                          (json_int_t) at_ms));
        changed = true;
    }
    if (changed)
        agency_status_save (txn, record, party);
    json_decref (record);
}

/* The reason and note of a status letter's body; NULL when fine, else why not. */
static const char *
s_open (tsg_agency_t *self, const agency_entry_t *sender, const tsg_letter_t *letter,
        json_t **content)
{
    *content = NULL;
    if (letter->body.len == 0)
        return NULL;
    return agency_json_open_body (self->boxer, sender->box_public, letter->body.data,
                                  letter->body.len, content);
}

const char *
agency_status_receive (tsg_agency_t *self, tsg_txn_t *txn, const agency_entry_t *sender,
                       const tsg_letter_t *letter)
{
    const tsg_header_t *header = letter->header;
    tsg_ref_state_t to;
    tsg_outcome_t outcome = TSG_OUTCOME_NONE;
    if (!header || !tsg_uuid_valid (header->referral_id))
        return "the status change has no valid referral id in its header";
    if (!tsg_ref_state_parse (header->status, &to))
        return "the status change names no known referral state";
    if (header->outcome && *header->outcome && !tsg_outcome_parse (header->outcome, &outcome))
        return "the status change names no known outcome";
    if (header->base_version == 0)
        return "the status change has no base version";
    json_t *content = NULL;
    const char *why = s_open (self, sender, letter, &content);
    if (why)
        return why;

    tsg_party_t party;
    json_t *record = agency_status_find (txn, header->referral_id, &party);
    if (!record) {
        log_warnx ("status change from %s about referral %s, which is unknown here: kept in the "
                   "inbox only",
                   sender->id, header->referral_id);
        json_decref (content);
        return NULL;
    }
    const char *other = s_other (record, party);
    if (!other || strcmp (other, sender->id) != 0) {
        json_decref (record);
        json_decref (content);
        return "the sender is not the other party of this referral";
    }
    const char *reason = s_str (content, "reason");
    const char *note = s_str (content, "note");
    tsg_ref_state_t state;
    uint64_t version;
    agency_status_current (record, &state, &version);
    tsg_party_t by = party == TSG_PARTY_SENDER ? TSG_PARTY_RECIPIENT : TSG_PARTY_SENDER;
    const char *misfit = NULL;
    if (header->base_version != version)
        misfit = "its base version is not this copy's version";
    else
        misfit = tsg_ref_transition_check (
            state, to, by, reason ? reason : (header->reason_given ? "?" : NULL), outcome);
    if (misfit)
        log_warnx ("referral %s: %s's change to %s (version %llu) does not fit this copy "
                   "(%s, version %llu): %s; applied all the same",
                   header->referral_id, sender->id, header->status,
                   (unsigned long long) header->base_version, tsg_ref_state_name (state),
                   (unsigned long long) version, misfit);
    json_t *entry = json_pack ("{s:s, s:I, s:s}", "state", tsg_ref_state_name (to), "at",
                               (json_int_t) letter->created_at_ms, "by", sender->id);
    s_set_string (entry, "reason", reason);
    s_set_string (entry, "note", note);
    if (outcome != TSG_OUTCOME_NONE)
        s_set_string (entry, "outcome", tsg_outcome_name (outcome));
    s_apply (record, to, header->base_version, entry, misfit != NULL);
    json_decref (entry);
    agency_status_save (txn, record, party);
    json_decref (record);
    json_decref (content);
    return NULL;
}
