/* consent_revoke.c — the end of a consent this agency granted or learnt of, as one table of
 * operations (core/kind.h): DELETE /v1/consents/{id} sends a CONSENT_REVOKE with the reason
 * (sealed, where the consent covers free text); once the coordinator stores it the consent is
 * revoked and what came under it is restricted; a revocation fanned out to us, or the
 * coordinator's word that a consent expired, ends it in the register (records/consents.h). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agency/core/legal.h"
#include "agency/core/submit.h"
#include "agency/letters/consent_letter.h"
#include "agency/letters/letters.h"
#include "agency/records/categories.h"
#include "agency/records/consents.h"
#include "agency/records/events.h"
#include "agency/records/json.h"

static const char *const s_revoke_fields[] = { "reason", "form_sha256", NULL };

/* A revocation on its way through the pipeline; the strings are borrowed from root. */
typedef struct {
    json_t *root;            /* the parsed body */
    const char *reason;      /* why the consent ends */
    const char *form_sha256; /* the hash of the signed revocation, or NULL */
    json_t *record;          /* the consent (parse) */
} s_revoke_t;

/* True when a revocation of consent_id waits in this batch. */
static bool
s_revoke_pending (const tsg_agency_t *self, const char *consent_id)
{
    for (agency_pending_t *p = self->pending; p; p = p->next)
        if (p->kind == AGENCY_KIND_CONSENT_REVOKE && strcmp (p->referral_id, consent_id) == 0)
            return true;
    return false;
}

/* 0 when the consent may be revoked now, else 409 with *reply. */
static int
s_revocable (tsg_agency_t *self, const char *consent_id, const json_t *record, json_t **reply)
{
    char message[256], today[11];
    agency_consent_today (today);
    const char *state = agency_consent_status (record, today);
    const char *revoke_state = agency_json_str (json_object_get (record, "revoke"), "state");
    if (strcmp (state, "revoked") == 0 || strcmp (state, "expired") == 0
        || strcmp (state, "refused") == 0) {
        snprintf (message, sizeof message, "consent %s is %s already: nothing to revoke",
                  consent_id, state);
        *reply = agency_json_error ("conflict", message, NULL);
        return 409;
    }
    if ((revoke_state && strcmp (revoke_state, "pending") == 0)
        || s_revoke_pending (self, consent_id)) {
        *reply = agency_json_error ("conflict", "a revocation of this consent is on its way", NULL);
        return 409;
    }
    return 0;
}

static int
s_parse (tsg_agency_t *self, agency_submit_t *submit, json_t **reply)
{
    s_revoke_t *req = submit->request;
    json_t *root = agency_json_load_object (submit->body, submit->len, reply);
    if (!root)
        return 400;
    req->root = root;
    json_t *fields = json_object ();
    agency_json_unknown (root, s_revoke_fields, "", fields);
    req->reason =
        agency_json_text (root, "reason", "reason", AGENCY_CONSENT_NOTE_MAX, true, fields);
    if (!req->reason && !json_object_get (fields, "reason"))
        agency_json_field (fields, "reason", "required: why the consent ends");
    req->form_sha256 =
        agency_json_text (root, "form_sha256", "form_sha256", AGENCY_SHA256_HEX, false, fields);
    if (req->form_sha256 && !agency_consent_sha256_valid (req->form_sha256))
        agency_json_field (fields, "form_sha256", "must be 64 lowercase hex digits (SHA-256)");
    int status = agency_json_problems (fields, json_object (), "revocation", NULL, reply);
    if (status != 0)
        return status;
    req->record = agency_consent_find (self, NULL, submit->id);
    if (!req->record) {
        *reply = agency_json_error ("not_found", "no consent with this id is known here", NULL);
        return 404;
    }
    return s_revocable (self, submit->id, req->record, reply);
}

static int
s_check (tsg_agency_t *self, agency_submit_t *submit, json_t **reply)
{
    (void) self;
    (void) submit;
    (void) reply;
    return 0;
}

/* Builds and seals the CONSENT_REVOKE of pending with bodies; *shared: the reason went. */
static int
s_seal_revoke (tsg_agency_t *self, bool share, const agency_bodies_t *bodies,
               agency_pending_t *pending, uint64_t *created_ms, bool *shared, json_t **reply)
{
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
    header.reason_given = share && bodies->count > 0;
    if (header.reason_given) {
        header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT;
        agency_categories_header (&header, carried, slots);
    }
    else
        header.legal_basis = TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE;
    letter.n_sealed_bodies = bodies->count;
    letter.sealed_bodies = bodies->count ? bodies->list : NULL;
    int status = agency_consent_seal (self, &letter, pending, reply);
    json_decref (carried);
    *created_ms = letter.created_at_ms;
    *shared = header.reason_given;
    return status;
}

static int
s_seal (tsg_agency_t *self, agency_submit_t *submit, agency_pending_t *pending, json_t **reply)
{
    const s_revoke_t *req = submit->request;
    const char *consent_id = submit->id;
    const char *case_id = agency_json_str (req->record, "case_id");
    snprintf (pending->referral_id, sizeof pending->referral_id, "%s", consent_id);
    snprintf (pending->case_id, sizeof pending->case_id, "%s",
              tsg_uuid_valid (case_id) ? case_id : "");
    /* The reason is free text: it travels, under the consent it ends, only where the consent
     * covers free text; the form's hash always may. */
    bool share = agency_categories_has (json_object_get (req->record, "categories"), "free-text");
    json_t *content = json_pack ("{s:s}", "consent_id", consent_id);
    if (share)
        json_object_set_new (content, "reason", json_string (req->reason));
    if (req->form_sha256)
        json_object_set_new (content, "form_sha256", json_string (req->form_sha256));
    agency_bodies_t bodies;
    uint64_t created_ms = 0;
    bool shared = false;
    int status =
        agency_consent_bodies (self, pending->case_id, req->record,
                               json_object_size (content) > 1 ? content : NULL, &bodies, reply);
    if (status == 0)
        status = s_seal_revoke (self, share, &bodies, pending, &created_ms, &shared, reply);
    if (status == 0) {
        char hex[2 * TSG_MESSAGE_ID_SIZE + 1];
        sodium_bin2hex (hex, sizeof hex, pending->message_id, TSG_MESSAGE_ID_SIZE);
        pending->record =
            json_pack ("{s:s, s:s, s:I, s:s, s:b, s:O}", "state", "pending", "message_id", hex,
                       "at", (json_int_t) created_ms, "reason", req->reason, "reason_shared",
                       shared, "sealed_for", bodies.sealed_for);
        if (pending->record && req->form_sha256)
            json_object_set_new (pending->record, "form_sha256", json_string (req->form_sha256));
        pending->answer = json_pack ("{s:s, s:s, s:O}", "consent_id", consent_id, "status",
                                     "revoking", "sealed_for", bodies.sealed_for);
        if (!pending->record || !pending->answer) {
            *reply = agency_json_error ("internal", "out of memory", NULL);
            status = 500;
        }
    }
    agency_bodies_clear (&bodies);
    json_decref (content);
    return status;
}

static void
s_clear (agency_submit_t *submit)
{
    s_revoke_t *req = submit->request;
    if (!req)
        return;
    json_decref (req->record);
    json_decref (req->root);
}

static bool
s_write (tsg_agency_t *self, tsg_txn_t *txn, const agency_pending_t *p)
{
    json_t *record = agency_consent_find (self, txn, p->referral_id);
    if (!record) {
        log_warnx ("revocation of consent %s: the consent's record is gone", p->referral_id);
        return false;
    }
    json_object_set (record, "revoke", p->record);
    agency_consent_put (txn, record);
    json_decref (record);
    agency_msgref_t ref = { .kind = AGENCY_KIND_CONSENT_REVOKE, .sequence = p->sequence };
    memcpy (ref.id, p->referral_id, sizeof ref.id);
    agency_msgref_put (txn, p->message_id, &ref);
    return true;
}

/* The events of a consent's end (state "revoked" or "expired", by whom): consent.revoked,
 * then consent.restricted (what came under it is restricted from now on). */
static void
s_events (tsg_txn_t *txn, const char *self_id, const json_t *record, const char *state,
          const char *by)
{
    const char *consent_id = agency_json_str (record, "consent_id");
    const char *case_id = agency_json_str (record, "case_id");
    uint64_t now = tsg_now_ms ();
    agency_events_append (txn, self_id, "consent.revoked",
                          json_pack ("{s:s?, s:s?, s:s, s:s?}", "consent_id", consent_id, "case_id",
                                     case_id, "state", state, "by", by),
                          now);
    agency_events_append (txn, self_id, "consent.restricted",
                          json_pack ("{s:s?, s:s?, s:s}", "consent_id", consent_id, "case_id",
                                     case_id, "because", state),
                          now);
}

/* The coordinator stored our revocation: the consent is revoked, and what came under it is
 * restricted from now on. */
static void
s_stored (tsg_agency_t *self, tsg_txn_t *txn, const agency_msgref_t *ref,
          const uint8_t about[TSG_MESSAGE_ID_SIZE], uint64_t at_ms)
{
    (void) about;
    (void) at_ms;
    json_t *record = agency_consent_get (txn, ref->id);
    if (!record)
        return;
    const char *state = agency_json_str (record, "state");
    json_t *revoke = json_object_get (record, "revoke");
    const char *revoke_state = agency_json_str (revoke, "state");
    if (revoke_state && strcmp (revoke_state, "pending") == 0) {
        json_object_set_new (revoke, "state", json_string ("stored"));
        if (!state || strcmp (state, "revoked") != 0) {
            json_object_set_new (record, "state", json_string ("revoked"));
            json_object_set_new (record, "revoked_at",
                                 json_integer ((json_int_t) agency_json_u64 (revoke, "at", 0)));
            json_object_set_new (record, "revoked_by", json_string (self->config->id));
            json_object_set (record, "revoke_reason", json_object_get (revoke, "reason"));
            s_events (txn, self->config->id, record, "revoked", self->config->id);
        }
        agency_consent_put (txn, record);
        log_info ("consent %s revoked: what came under it is restricted", ref->id);
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
    json_t *record = agency_consent_get (txn, ref->id);
    if (!record)
        return;
    json_t *revoke = json_object_get (record, "revoke");
    if (json_is_object (revoke)) {
        json_object_set_new (revoke, "state", json_string ("refused"));
        json_object_set_new (revoke, "error", agency_json_refusal (code, detail, at_ms));
    }
    agency_consent_put (txn, record);
    log_warnx ("consent %s: revocation refused by the coordinator: %s: %s", ref->id, code, detail);
    json_decref (record);
}

static int
s_receipt (tsg_agency_t *self, tsg_txn_t *txn, const agency_msgref_t *ref,
           const uint8_t about[TSG_MESSAGE_ID_SIZE], const char *by, bool delivered,
           const char *detail, uint64_t at_ms)
{
    (void) self;
    (void) about;
    agency_consent_note_receipt (txn, ref->id, "revoke", by, delivered, detail, at_ms);
    return TSG_OK;
}

static const char *
s_receive_revoke (tsg_txn_t *txn, const char *self_id, const tsg_letter_t *letter,
                  bool from_coordinator, const json_t *content)
{
    const tsg_header_t *header = letter->header;
    const char *consent_id = header->consent_id;
    if (!agency_json_plain (consent_id, TSG_HEADER_ID_MAX) && header->consent)
        consent_id = header->consent->consent_id;
    if (!agency_json_plain (consent_id, TSG_HEADER_ID_MAX))
        return "the consent revocation names no consent";
    json_t *record = agency_consent_get (txn, consent_id);
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
    const char *state = agency_json_str (record, "state");
    if (state && (strcmp (state, "revoked") == 0 || strcmp (state, "expired") == 0)) {
        json_decref (record);
        return NULL; /* its end is known already */
    }
    bool expired = from_coordinator && !(header->status && strcmp (header->status, "revoked") == 0);
    json_object_set_new (record, "state", json_string (expired ? "expired" : "revoked"));
    json_object_set_new (record, "revoked_at", json_integer ((json_int_t) letter->created_at_ms));
    json_object_set_new (record, "revoked_by", json_string (letter->sender));
    const char *reason = agency_json_str (content, "reason");
    if (reason && strlen (reason) <= AGENCY_CONSENT_NOTE_MAX)
        json_object_set_new (record, "revoke_reason", json_string (reason));
    else if (expired)
        json_object_set_new (record, "revoke_reason", json_string ("expired"));
    s_events (txn, self_id, record, expired ? "expired" : "revoked", letter->sender);
    agency_consent_put (txn, record);
    log_info ("consent %s %s (%s): what came under it is restricted", consent_id,
              expired ? "expired" : "revoked", letter->sender);
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
    return s_receive_revoke (txn, self->config->id, letter, sender == NULL, *content);
}

const agency_kind_t agency_kind_consent_revoke = {
    .id = AGENCY_KIND_CONSENT_REVOKE,
    .wire = TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE,
    .request_size = sizeof (s_revoke_t),
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
