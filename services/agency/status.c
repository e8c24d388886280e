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
    if (!tsg_ref_state_parse (agency_json_str (record, "state"), state))
        *state = TSG_REF_REQUESTED;
    *version = agency_json_u64 (record, "version", 1);
    if (*version == 0)
        *version = 1;
}

/* Moves (*state, *version) on by change when change is based on *version; a change based on
 * another version is doomed (the coordinator will refuse it) and changes nothing. */
static void
s_chain_one (const json_t *change, tsg_ref_state_t *state, uint64_t *version)
{
    tsg_ref_state_t to;
    if (agency_json_u64 (change, "base_version", 0) == *version
        && tsg_ref_state_parse (agency_json_str (change, "status"), &to)) {
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

const char *
agency_status_other (const json_t *record, tsg_party_t party)
{
    return agency_json_str (record, party == TSG_PARTY_SENDER ? "to" : "from");
}

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
    if (!own && !tsg_legal_basis_parse (agency_json_str (record, "legal_basis"), &basis))
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
        out->consent_id =
            req->consent_id ? req->consent_id : agency_json_str (record, "consent_id");
    if (req->data_categories)
        json_array_extend (out->categories, req->data_categories);
    else if (basis != TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE)
        json_array_append_new (out->categories, json_string ("free-text"));
    json_t *fields = json_object ();
    agency_basis_rules (basis, out->consent_id,
                        tsg_uuid_valid (agency_json_str (record, "case_id")), out->categories,
                        "data_categories", fields);
    if (json_object_size (fields) > 0) {
        *reply =
            agency_json_error ("invalid", "the status change's legal basis is incomplete", fields);
        return 400;
    }
    json_decref (fields);
    if (out->consent_id)
        return agency_consent_check (self, out->consent_id, agency_json_str (record, "case_id"),
                                     to->id, out->categories, "consent_id", "data_categories",
                                     reply);
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
        agency_json_set_text (content, "reason", req->reason);
        agency_json_set_text (content, "note", req->note);
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
    agency_json_set_text (pending->record, "reason", req->reason);
    agency_json_set_text (pending->record, "note", req->note);
    agency_json_set_text (pending->record, "outcome", header.outcome);
    if (box_len) {
        json_object_set_new (pending->record, "legal_basis",
                             json_string (agency_legal_basis_name (legal->basis)));
        agency_json_set_text (pending->record, "consent_id", legal->consent_id);
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
    const char *other = agency_status_other (record, party);
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
              agency_json_str (record, "case_id") ? agency_json_str (record, "case_id") : "");
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
    json_array_append (agency_json_array (record, "pending"), p->record);
    agency_status_save (txn, record, party);
    json_decref (record);
    agency_msgref_t ref = { .kind = AGENCY_LETTER_STATUS, .sequence = p->sequence };
    memcpy (ref.id, p->referral_id, sizeof ref.id);
    agency_msgref_put (txn, p->message_id, &ref);
    return true;
}
