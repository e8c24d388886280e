/* referral_status.c — a change of a referral's state, as one table of operations
 * (core/kind.h): POST /v1/referrals/{id}/status checks the change against the local copy, the
 * shared table of states and the legal basis of its reason and note, and seals the
 * REFERRAL_STATUS letter to the other party; what comes back is referral_status_apply.c's.
 *
 * A change of this agency's own is "pending" from the POST until the coordinator's
 * RECEIPT_STORED (then applied) or its final ERROR (then dropped, and shown under "errors"). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agency/core/legal.h"
#include "agency/core/submit.h"
#include "agency/letters/letters.h"
#include "agency/letters/referral_status_apply.h"
#include "agency/records/categories.h"
#include "agency/records/json.h"
#include "agency/records/msgref.h"
#include "agency/records/referral_state.h"
#include "agency/records/referrals.h"

#define STATUS_REASON_MAX 2000        /* bytes of a reason */
#define STATUS_NOTE_MAX   (64 * 1024) /* bytes of a note */

static const char *const s_known_fields[] = { "status",     "reason",          "outcome",
                                              "note",       "base_version",    "legal_basis",
                                              "consent_id", "data_categories", NULL };

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
    /* The other party must be covered: for the recipient answering, that is the referral's
     * original sender, whom the referral's own basis need not cover. */
    if (out->consent_id)
        return agency_consent_check (self, out->consent_id, agency_json_str (record, "case_id"),
                                     to->id, out->categories, "consent_id", "data_categories",
                                     reply);
    return agency_roster_check (self, basis, agency_json_str (record, "case_id"), to->id,
                                "legal_basis", reply);
}

/* Seals the REFERRAL_STATUS letter about record into pending.  The reason and note, when
 * there are any, go in the body under the legal basis decided (s_basis); without them the
 * letter has no body.  0, or the HTTP status with *reply set. */
static int
s_seal_letter (tsg_agency_t *self, const s_request_t *req, const s_basis_t *legal,
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
    int status = agency_submit_seal (self, &letter, pending, NULL, reply);
    free (box);
    if (status != 0)
        return status;

    char hex[2 * TSG_MESSAGE_ID_SIZE + 1];
    sodium_bin2hex (hex, sizeof hex, pending->message_id, TSG_MESSAGE_ID_SIZE);
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
                             json_string (tsg_legal_basis_name (legal->basis)));
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

/* A status change on its way through the pipeline. */
typedef struct {
    s_request_t req;          /* the parsed request */
    json_t *record;           /* the referral's record (parse) */
    tsg_party_t party;        /* our side of it */
    const agency_entry_t *to; /* the other party (check) */
    s_basis_t legal;          /* the basis of its reason and note (check) */
} s_submit_t;

static int
s_parse_hook (tsg_agency_t *self, agency_submit_t *submit, json_t **reply)
{
    s_submit_t *s = submit->request;
    s->party = TSG_PARTY_SENDER;
    int status = s_parse (submit->body, submit->len, &s->req, reply);
    if (status != 0)
        return status;
    if (tsg_uuid_valid (submit->id)) {
        tsg_txn_t txn;
        tsg_txn_begin (self->store, &txn, false);
        s->record = agency_status_find (&txn, submit->id, &s->party);
        tsg_txn_abort (&txn);
    }
    if (!s->record) {
        *reply = agency_json_error ("not_found",
                                    "no referral with this id was sent or received here", NULL);
        return 404;
    }
    return 0;
}

/* 0 when the change fits the state the referral will be in (the local copy, then our changes
 * on their way: stored ones first, then those of this batch), else 409 or 422. */
static int
s_fits (tsg_agency_t *self, agency_submit_t *submit, json_t **reply)
{
    s_submit_t *s = submit->request;
    char message[256];
    tsg_ref_state_t from;
    uint64_t version;
    agency_status_current (s->record, &from, &version);
    s_chain (json_object_get (s->record, "pending"), &from, &version);
    for (agency_pending_t *p = self->pending; p; p = p->next)
        if (p->kind == AGENCY_KIND_STATUS && strcmp (p->referral_id, submit->id) == 0)
            s_chain_one (p->record, &from, &version);
    if (s->req.base_version == 0)
        s->req.base_version = version;
    else if (s->req.base_version != version) {
        snprintf (message, sizeof message,
                  "the referral is at version %llu (%s), not %llu: read it again and decide again",
                  (unsigned long long) version, tsg_ref_state_name (from),
                  (unsigned long long) s->req.base_version);
        *reply = agency_json_error ("stale_version", message, NULL);
        return 409;
    }
    tsg_party_t party = s->party;
    const char *why =
        tsg_ref_transition_check (from, s->req.to, party, s->req.reason, s->req.outcome);
    if (!why)
        return 0;
    tsg_party_t other_party = party == TSG_PARTY_SENDER ? TSG_PARTY_RECIPIENT : TSG_PARTY_SENDER;
    /* The table's sentence, and when this side never sets that state, a word on who does. */
    const char *hint = "";
    if (!s_may_ever (party, s->req.to) && s_may_ever (other_party, s->req.to))
        hint = party == TSG_PARTY_SENDER ? "; only the recipient ever sets this state"
                                         : "; only the sender ever sets this state";
    snprintf (message, sizeof message, "%s (%s → %s, as the %s)%s", why, tsg_ref_state_name (from),
              tsg_ref_state_name (s->req.to), party == TSG_PARTY_SENDER ? "sender" : "recipient",
              hint);
    *reply = agency_json_error ("illegal_transition", message, NULL);
    return 422;
}

static int
s_check (tsg_agency_t *self, agency_submit_t *submit, json_t **reply)
{
    s_submit_t *s = submit->request;
    char message[256];
    int status = s_fits (self, submit, reply);
    if (status != 0)
        return status;
    const char *other = agency_status_other (s->record, s->party);
    s->to = agency_directory_find (self->directory, other);
    if (!s->to) {
        snprintf (message, sizeof message, "no agency %s in the directory", other ? other : "?");
        *reply = agency_json_error ("unknown_recipient", message, NULL);
        return 422;
    }
    if (s->to->status != TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE) {
        snprintf (message, sizeof message, "agency %s is %s", s->to->id,
                  tsg_agency_status_name (s->to->status));
        *reply = agency_json_error ("recipient_inactive", message, NULL);
        return 422;
    }
    return s_basis (self, &s->req, s->record, s->to, &s->legal, reply);
}

static int
s_seal (tsg_agency_t *self, agency_submit_t *submit, agency_pending_t *pending, json_t **reply)
{
    s_submit_t *s = submit->request;
    const char *case_id = agency_json_str (s->record, "case_id");
    pending->party = s->party;
    snprintf (pending->referral_id, sizeof pending->referral_id, "%s", submit->id);
    snprintf (pending->case_id, sizeof pending->case_id, "%s", case_id ? case_id : "");
    return s_seal_letter (self, &s->req, &s->legal, s->to, pending, reply);
}

static void
s_clear (agency_submit_t *submit)
{
    s_submit_t *s = submit->request;
    if (!s)
        return;
    json_decref (s->legal.categories);
    json_decref (s->record);
    json_decref (s->req.root);
}

static bool
s_write (tsg_agency_t *self, tsg_txn_t *txn, const agency_pending_t *p)
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
    agency_msgref_t ref = { .kind = AGENCY_KIND_STATUS, .sequence = p->sequence };
    memcpy (ref.id, p->referral_id, sizeof ref.id);
    agency_msgref_put (txn, p->message_id, &ref);
    return true;
}

const agency_kind_t agency_kind_status = {
    .id = AGENCY_KIND_STATUS,
    .wire = TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS,
    .request_size = sizeof (s_submit_t),
    .lost = "the status change could not be stored; nothing was sent",
    .parse = s_parse_hook,
    .check = s_check,
    .seal = s_seal,
    .clear = s_clear,
    .write = s_write,
    .stored = agency_status_stored,
    .refused = agency_status_refused,
    .receipt = agency_status_receipt,
    .receive = agency_status_receive,
    .filed = agency_status_filed,
};
