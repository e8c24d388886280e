/* referral.c — the referral (つなぐシート), as one table of operations (core/kind.h): POST
 * /v1/referrals checks the request, the recipient and the legal basis, encrypts the sheet to
 * the recipient and signs; what the coordinator and the recipient answer moves the sent
 * record on; a referral that comes to us is checked, opened once and recorded as received. */
#include <stdlib.h>
#include <string.h>

#include "agency/core/from_coordinator.h"
#include "agency/core/legal.h"
#include "agency/core/submit.h"
#include "agency/letters/letters.h"
#include "agency/letters/referral_request.h"
#include "agency/records/cases.h"
#include "agency/records/categories.h"
#include "agency/records/consents.h"
#include "agency/records/events.h"
#include "agency/records/json.h"
#include "agency/records/received.h"
#include "agency/records/referral_state.h"
#include "agency/records/referrals.h"
#include "agency/records/sealed.h"
#include "agency/records/sent.h"

/* Room a Body and the box add around the content. */
#define BODY_OVERHEAD 256

/* A referral on its way through the pipeline. */
typedef struct {
    agency_request_t req;                  /* the parsed request */
    const agency_entry_t *to;              /* its recipient (check) */
    char consent_case[TSG_UUID_TEXT_SIZE]; /* the case of the consent it names, when it names
                                              no case */
    json_t *tags;                          /* our reference to the tags (an empty array when
                                              there are none) */
} s_submit_t;

static json_t *
s_answer (const char *referral_id, const char *case_id, const char *due_date,
          const char *receive_due_date)
{
    json_t *answer = json_pack ("{s:s, s:s, s:s}", "referral_id", referral_id, "case_id", case_id,
                                "due_date", due_date);
    if (answer && receive_due_date && *receive_due_date)
        json_object_set_new (answer, "receive_due_date", json_string (receive_due_date));
    return answer;
}

static void
s_fail (int *status, json_t **reply, int code, const char *error, const char *message,
        json_t *fields)
{
    *status = code;
    *reply = agency_json_error (error, message, fields);
}

/* The answer for a client_ref already committed, or NULL. */
static json_t *
s_known_client_ref (tsg_agency_t *self, const char *client_ref)
{
    tsg_txn_t txn;
    MDB_val val;
    json_t *answer = NULL;
    tsg_txn_begin (self->store, &txn, false);
    if (tsg_txn_get (&txn, tsg_store_db (self->store, AGENCY_DB_CLIENTREF), client_ref,
                     strlen (client_ref), &val)
        && val.mv_size == 36) {
        char referral_id[TSG_UUID_TEXT_SIZE];
        memcpy (referral_id, val.mv_data, 36);
        referral_id[36] = '\0';
        json_t *record = agency_sent_get (&txn, referral_id);
        if (record)
            answer = s_answer (referral_id, json_string_value (json_object_get (record, "case_id")),
                               json_string_value (json_object_get (record, "due_date")),
                               json_string_value (json_object_get (record, "receive_due_date")));
        json_decref (record);
    }
    tsg_txn_abort (&txn);
    return answer;
}

/* Finds the recipient, or fills the error answer and returns NULL. */
static const agency_entry_t *
s_recipient (tsg_agency_t *self, const agency_request_t *req, int *status, json_t **reply)
{
    char message[160];
    const agency_entry_t *entry = NULL;
    if (req->to) {
        entry = agency_directory_find (self->directory, req->to);
        if (!entry) {
            snprintf (message, sizeof message, "no agency %s in the directory", req->to);
            s_fail (status, reply, 422, "unknown_recipient", message,
                    json_pack ("{s:s}", "to", "not in the directory"));
            return NULL;
        }
        if (entry->status != TSUNAGU__V1__AGENCY_STATUS__AGENCY_ACTIVE) {
            snprintf (message, sizeof message, "agency %s is %s", entry->id,
                      tsg_agency_status_name (entry->status));
            s_fail (status, reply, 422, "recipient_inactive", message,
                    json_pack ("{s:s}", "to", "not active"));
            return NULL;
        }
        if (req->to_type && strcmp (req->to_type, entry->type) != 0) {
            snprintf (message, sizeof message, "does not match the type of %s (%s)", entry->id,
                      entry->type);
            s_fail (status, reply, 400, "invalid", "the referral has 1 invalid field",
                    json_pack ("{s:s}", "to_type", message));
            return NULL;
        }
    }
    else {
        size_t n = agency_directory_active_of_type (self->directory, req->to_type, &entry);
        if (n != 1) {
            if (n == 0)
                snprintf (message, sizeof message, "no active agency of type %s", req->to_type);
            else
                snprintf (message, sizeof message,
                          "%zu active agencies of type %s: name one with to", n, req->to_type);
            s_fail (status, reply, 422, "unknown_recipient", message,
                    json_pack ("{s:s}", "to_type",
                               n == 0 ? "no active agency of this type" : "ambiguous"));
            return NULL;
        }
    }
    if (strcmp (entry->id, self->config->id) == 0) {
        s_fail (status, reply, 400, "invalid", "the referral has 1 invalid field",
                json_pack ("{s:s}", req->to ? "to" : "to_type", "is this agency itself"));
        return NULL;
    }
    if (!tsg_agency_policy_find (entry->type)) {
        snprintf (message, sizeof message, "agency %s has type %s, which takes no referrals",
                  entry->id, entry->type);
        s_fail (status, reply, 422, "unknown_recipient", message, NULL);
        return NULL;
    }
    return entry;
}

/* The legal basis of a valid request, against this agency's type and the consents it knows:
 * 0, or 422 (missing_legal_basis) with the answer filled.  A consent known here gives its case
 * to a request that names none (*case_id, borrowed from the request or left NULL). */
static int
s_legal_basis (tsg_agency_t *self, const agency_request_t *req, const agency_entry_t *to,
               char case_id[TSG_UUID_TEXT_SIZE], int *status, json_t **reply)
{
    char message[256];
    if (req->legal_basis == TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_EMERGENCY) {
        if (!self->policy->may_send_emergency) {
            snprintf (message, sizeof message,
                      "%s may not send emergency reports: only eldercare, disability or child "
                      "report abuse without consent",
                      self->policy->type);
            *status = 422;
            *reply = agency_legal_refusal ("legal_basis", message, message);
            return *status;
        }
        if (req->urgency != TSUNAGU__V1__URGENCY__URGENCY_EMERGENCY) {
            snprintf (message, sizeof message,
                      "legal_basis emergency is for abuse reports (%s): urgency must be emergency",
                      self->policy->mandatory_report);
            *status = 422;
            *reply = agency_legal_refusal ("urgency", "must be emergency for legal_basis emergency",
                                           message);
            return *status;
        }
    }
    if (req->legal_basis != TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT || !req->consent_id)
        return 0;
    if (!req->case_id) {
        json_t *consent = agency_consent_find (self, NULL, req->consent_id);
        const char *of = json_string_value (json_object_get (consent, "case_id"));
        if (tsg_uuid_valid (of))
            snprintf (case_id, TSG_UUID_TEXT_SIZE, "%s", of);
        json_decref (consent);
    }
    *status =
        agency_consent_check (self, req->consent_id, *case_id ? case_id : req->case_id, to->id,
                              req->data_categories, "consent_id", "data_categories", reply);
    return *status;
}

/* Encrypts, builds and signs the referral letter into pending.  0, or the HTTP status
 * with the answer filled. */
static int
s_seal_letter (tsg_agency_t *self, const agency_request_t *req, const agency_entry_t *to,
               agency_pending_t *pending, json_t **reply)
{
    int status = 0;
    char *content = json_dumps (req->sheet, JSON_COMPACT);
    if (!content) {
        s_fail (&status, reply, 500, "internal", "out of memory", NULL);
        return status;
    }
    size_t content_len = strlen (content);
    uint8_t *box = NULL;
    size_t box_len = 0;
    int rc = TSG_ERR_TOO_LARGE;
    if (content_len + BODY_OVERHEAD <= TSG_BODY_MAX)
        rc = tsg_body_seal (self->boxer, to->box_public, "application/json",
                            (const uint8_t *) content, content_len, &box, &box_len);
    free (content);
    if (rc == TSG_ERR_TOO_LARGE) {
        s_fail (&status, reply, 413, "too_large", "the sheet is larger than a letter may carry",
                json_pack ("{s:s}", "sheet", "larger than 768 KiB once encoded"));
        return status;
    }
    if (rc != TSG_OK) {
        s_fail (&status, reply, 500, "internal", tsg_strerror (rc), NULL);
        return status;
    }

    size_t n_tags = json_array_size (req->tags);
    char *tags[TSG_TAGS_MAX];
    for (size_t i = 0; i < n_tags && i < TSG_TAGS_MAX; i++)
        tags[i] = (char *) json_string_value (json_array_get (req->tags, i));

    tsg_letter_t letter;
    tsg_header_t header;
    tsg_letter_prepare (&letter, &header, pending->message_id, TSUNAGU__V1__KIND__KIND_REFERRAL,
                        self->config->id, to->id);
    header.case_id = pending->case_id;
    /* A case id made for this referral: the letter stands for the case's first CASE_UPDATE. */
    header.opens_case = !req->case_id;
    header.referral_id = pending->referral_id;
    header.status = (char *) "requested";
    header.n_tags = n_tags;
    header.tags = n_tags ? tags : NULL;
    header.urgency = req->urgency;
    header.legal_basis = req->legal_basis;
    header.consent_id = (char *) (req->consent_id ? req->consent_id : "");
    /* The recipient learns whom the consent covers, so that it can check its answers (a
     * status change with a reason or a note) before it sends them. */
    json_t *consent = req->legal_basis == TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT
                          ? agency_consent_find (self, NULL, req->consent_id)
                          : NULL;
    agency_consent_info_t consent_info;
    if (consent && agency_consent_info (consent, &consent_info))
        header.consent = &consent_info.info;
    header.due_date = pending->due_date;
    header.receive_due_date = pending->receive_due_date;
    header.sender_type = (char *) self->policy->type;
    header.urgent = req->legal_basis == TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_EMERGENCY;
    char *categories[AGENCY_CATEGORIES_MAX];
    agency_categories_header (&header, req->data_categories, categories);
    letter.body.data = box;
    letter.body.len = box_len;

    status = agency_submit_seal (self, &letter, pending,
                                 "the referral is larger than a letter may carry", reply);
    json_decref (consent);
    free (box);
    if (status != 0)
        return status;
    pending->record = agency_sent_record (
        pending->referral_id, pending->case_id, to->id, to->type, letter.created_at_ms,
        pending->due_date, tsg_urgency_name (req->urgency), req->tags ? req->tags : NULL,
        tsg_legal_basis_name (req->legal_basis), req->consent_id, req->client_ref,
        pending->message_id, pending->sequence);
    if (!pending->record) {
        s_fail (&status, reply, 500, "internal", "out of memory", NULL);
        return status;
    }
    json_object_set_new (pending->record, "receive_due_date",
                         json_string (pending->receive_due_date));
    if (header.opens_case)
        json_object_set_new (pending->record, "opens_case", json_true ());
    json_object_set_new (pending->record, "data_categories",
                         req->data_categories ? json_deep_copy (req->data_categories)
                                              : json_array ());
    if (header.urgent)
        json_object_set_new (pending->record, "urgent", json_true ());
    agency_status_init (pending->record, letter.created_at_ms, self->config->id);
    return 0;
}

static int
s_parse (tsg_agency_t *self, agency_submit_t *submit, json_t **reply)
{
    s_submit_t *s = submit->request;
    int status = agency_request_parse (submit->body, submit->len, self->policy, &s->req, reply);
    if (status != 0 || !s->req.client_ref)
        return status;
    /* The same client_ref again: the same referral, nothing new is sent. */
    for (agency_pending_t *p = self->pending; p; p = p->next)
        if (p->kind == AGENCY_KIND_REFERRAL && !p->same_as && p->client_ref
            && strcmp (p->client_ref, s->req.client_ref) == 0) {
            submit->same_as = p;
            return 0;
        }
    json_t *known = s_known_client_ref (self, s->req.client_ref);
    if (known) {
        *reply = known;
        return 200;
    }
    return 0;
}

static int
s_check (tsg_agency_t *self, agency_submit_t *submit, json_t **reply)
{
    s_submit_t *s = submit->request;
    int status = 0;
    s->to = s_recipient (self, &s->req, &status, reply);
    if (!s->to)
        return status;
    if (s_legal_basis (self, &s->req, s->to, s->consent_case, &status, reply) != 0)
        return status;
    if (!s->req.case_id && *s->consent_case)
        s->req.case_id = s->consent_case;
    s->tags = s->req.tags ? json_incref (s->req.tags) : json_array ();
    s->req.tags = s->tags;
    return 0;
}

static int
s_seal (tsg_agency_t *self, agency_submit_t *submit, agency_pending_t *pending, json_t **reply)
{
    s_submit_t *s = submit->request;
    const agency_request_t *req = &s->req;
    if (req->client_ref && !(pending->client_ref = strdup (req->client_ref))) {
        *reply = agency_json_error ("internal", "out of memory", NULL);
        return 500;
    }
    tsg_uuid_new (pending->referral_id);
    snprintf (pending->case_id, sizeof pending->case_id, "%s", req->case_id ? req->case_id : "");
    if (!req->case_id)
        tsg_uuid_new (pending->case_id);
    /* Due dates from the recipient's directory entry (the registry is the authority). */
    unsigned receive_days, response_days;
    uint64_t receive_due_ms, response_due_ms;
    agency_entry_due_days (s->to, &receive_days, &response_days);
    tsg_due_dates (tsg_now_ms (), receive_days, response_days, (int) req->urgency, &receive_due_ms,
                   &response_due_ms);
    tsg_date_jst_plus_days (response_due_ms, 0, pending->due_date);
    tsg_date_jst_plus_days (receive_due_ms, 0, pending->receive_due_date);
    int status = s_seal_letter (self, req, s->to, pending, reply);
    if (status != 0)
        return status;
    pending->answer = s_answer (pending->referral_id, pending->case_id, pending->due_date,
                                pending->receive_due_date);
    return 0;
}

static void
s_clear (agency_submit_t *submit)
{
    s_submit_t *s = submit->request;
    if (!s)
        return;
    agency_request_clear (&s->req);
    json_decref (s->tags);
}

static bool
s_write (tsg_agency_t *self, tsg_txn_t *txn, const agency_pending_t *p)
{
    agency_msgref_t ref = { .kind = AGENCY_KIND_REFERRAL, .sequence = p->sequence };
    memcpy (ref.id, p->referral_id, sizeof ref.id);
    agency_sent_put (txn, p->record);
    agency_msgref_put (txn, p->message_id, &ref);
    if (p->client_ref)
        tsg_txn_put (txn, tsg_store_db (self->store, AGENCY_DB_CLIENTREF), p->client_ref,
                     strlen (p->client_ref), p->referral_id, 36);
    agency_cases_add_referral (txn, p->case_id, p->referral_id, TSG_PARTY_SENDER,
                               json_string_value (json_object_get (p->record, "to")));
    return true;
}

/* The tags of a sent record, borrowed from it, into tags (at most TSG_TAGS_MAX). */
static size_t
s_record_tags (const json_t *record, const char **tags)
{
    size_t n = 0, i;
    json_t *tag;
    json_array_foreach (json_object_get (record, "tags"), i, tag)
    {
        if (n < TSG_TAGS_MAX && json_is_string (tag))
            tags[n++] = json_string_value (tag);
    }
    return n;
}

static void
s_stored (tsg_agency_t *self, tsg_txn_t *txn, const agency_msgref_t *ref,
          const uint8_t about[TSG_MESSAGE_ID_SIZE], uint64_t at_ms)
{
    (void) about;
    json_t *record = agency_sent_get (txn, ref->id);
    if (record && agency_sent_apply (record, AGENCY_EVENT_STORED, at_ms, NULL, NULL, NULL))
        agency_sent_put (txn, record);
    const char *case_id = json_string_value (json_object_get (record, "case_id"));
    if (record && json_is_true (json_object_get (record, "opens_case"))
        && tsg_uuid_valid (case_id)) {
        const char *tags[TSG_TAGS_MAX];
        size_t n_tags = s_record_tags (record, tags);
        json_t *copy = agency_case_get_or_new (txn, case_id);
        if (copy)
            agency_case_opened (self, txn, copy, self->config->id,
                                json_string_value (json_object_get (record, "to")), tags, n_tags,
                                at_ms);
        else if (txn->rc == TSG_OK)
            txn->rc = TSG_ERR_NOMEM;
        json_decref (copy);
    }
    json_decref (record);
}

static void
s_refused (tsg_agency_t *self, tsg_txn_t *txn, const agency_msgref_t *ref,
           const uint8_t about[TSG_MESSAGE_ID_SIZE], const char *code, const char *detail,
           uint64_t at_ms)
{
    (void) self;
    (void) about;
    agency_sent_update (txn, ref->id, AGENCY_EVENT_REFUSED, at_ms, NULL, code, detail);
}

static int
s_receipt (tsg_agency_t *self, tsg_txn_t *txn, const agency_msgref_t *ref,
           const uint8_t about[TSG_MESSAGE_ID_SIZE], const char *by, bool delivered,
           const char *detail, uint64_t at_ms)
{
    (void) self;
    (void) about;
    return agency_sent_update (txn, ref->id,
                               delivered ? AGENCY_EVENT_DELIVERED : AGENCY_EVENT_REJECTED, at_ms,
                               by, "rejected", detail);
}

/* The sheet held to the intake policy of the sender's type, as the sender's API holds it
 * (referral_request.c): NULL, or why not, naming the missing fields (a static sentence). */
static const char *
s_intake (const agency_entry_t *sender, json_t *sheet)
{
    static char why[512];
    json_t *fields = json_object ();
    agency_intake_check (tsg_agency_policy_find (sender->type), sheet, fields);
    if (json_object_size (fields) == 0) {
        json_decref (fields);
        return NULL;
    }
    int n = snprintf (why, sizeof why,
                      "the sheet lacks what a referral from a %s agency must carry:", sender->type);
    const char *key;
    json_t *value;
    json_object_foreach (fields, key, value)
    {
        if (n > 0 && (size_t) n < sizeof why)
            n += snprintf (why + n, sizeof why - (size_t) n, " %s (%s)", key,
                           json_string_value (value));
    }
    json_decref (fields);
    return why;
}

/* A referral for us: its header names it, it is new here, and its body opens to a JSON
 * object (the sheet, kept in the inbox). */
static const char *
s_receive (tsg_agency_t *self, tsg_txn_t *txn, const agency_entry_t *sender,
           const tsg_letter_t *letter, json_t **content)
{
    *content = NULL;
    const tsg_header_t *header = letter->header;
    if (!sender)
        return "a referral comes from an agency";
    if (!header || !tsg_uuid_valid (header->referral_id))
        return "the referral has no valid referral id in its header";
    if (!tsg_uuid_valid (header->case_id))
        return "the referral has no valid case id in its header";
    if (letter->body.len == 0)
        return "the referral has no body";
    tsg_party_t party;
    json_t *known = agency_status_find (txn, header->referral_id, &party);
    json_decref (known);
    if (known)
        return "a referral with this id is known here already";
    const char *why =
        agency_sealed_open (self->boxer, &self->stats.bodies_opened, sender->box_public,
                            letter->body.data, letter->body.len, content);
    return why ? why : s_intake (sender, *content);
}

static void
s_filed (tsg_agency_t *self, tsg_txn_t *txn, const agency_entry_t *sender,
         const tsg_letter_t *letter, uint64_t cursor)
{
    agency_consent_note_data (txn, letter->header->consent_id, cursor, letter->kind);
    const Tsunagu__V1__ConsentInfo *info = letter->header->consent;
    if (info && letter->header->legal_basis == TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT
        && info->consent_id && letter->header->consent_id
        && strcmp (info->consent_id, letter->header->consent_id) == 0)
        agency_consent_learn (txn, info, letter->header->case_id, sender->id, tsg_now_ms ());
    agency_received_add (txn, sender, letter, cursor, tsg_now_ms (),
                         self->config->response_due_days);
    /* Our copy of the case lists the referral; a referral that opened its case also makes
     * the copy what the case's first update would (one read and one write either way). */
    json_t *copy = agency_case_get_or_new (txn, letter->header->case_id);
    if (!copy && txn->rc == TSG_OK)
        txn->rc = TSG_ERR_NOMEM;
    bool listed = copy
                  && agency_case_note_referral (copy, letter->header->referral_id,
                                                TSG_PARTY_RECIPIENT, sender->id);
    if (copy && letter->header->opens_case)
        agency_case_opened (self, txn, copy, sender->id, self->config->id,
                            (const char *const *) letter->header->tags, letter->header->n_tags,
                            letter->created_at_ms);
    else if (listed)
        agency_case_put (txn, copy);
    json_decref (copy);
    /* The feed tells of it by ids and codes only: the sheet is read at GET /v1/inbox. */
    const tsg_header_t *header = letter->header;
    uint64_t now = tsg_now_ms ();
    agency_events_append (txn, self->config->id, "referral.received",
                          json_pack ("{s:s, s:s, s:s, s:s, s:I}", "referral_id",
                                     header->referral_id, "case_id", header->case_id, "from",
                                     sender->id, "urgency", tsg_urgency_name (header->urgency),
                                     "cursor", (json_int_t) cursor),
                          now);
    if (header->urgency == TSUNAGU__V1__URGENCY__URGENCY_EMERGENCY)
        agency_events_append (txn, self->config->id, "alert.emergency",
                              json_pack ("{s:s, s:s, s:s}", "referral_id", header->referral_id,
                                         "case_id", header->case_id, "from", sender->id),
                              now);
}

const agency_kind_t agency_kind_referral = {
    .id = AGENCY_KIND_REFERRAL,
    .wire = TSUNAGU__V1__KIND__KIND_REFERRAL,
    .request_size = sizeof (s_submit_t),
    .lost = "the referral could not be stored; nothing was sent",
    .parse = s_parse,
    .check = s_check,
    .seal = s_seal,
    .clear = s_clear,
    .write = s_write,
    .stored = s_stored,
    .refused = s_refused,
    .receipt = s_receipt,
    .receive = s_receive,
    .filed = s_filed,
};
