/* hub_kit.c — the fixture's helpers for the legal-basis and consent tests (hub_fixture.h,
 * "kit_"): letters with a basis, meetings, acknowledgements, and what the mailboxes, the
 * consent register, the audit log and the API then hold. */
#include <ftw.h>
#include <lmdb.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coordinator/model/store.h"
#include "coordinator/api/api.h"
#include "coordinator/intake/legal_basis.h"
#include "coordinator/model/alerts.h"
#include "coordinator/model/stats.h"
#include "hub_fixture.h"

/* Seals letter as agency `from` with its next sequence; the caller frees *frame. */
void
kit_seal (hub_fixture_t *f, int from, tsg_letter_t *letter, uint8_t **frame, size_t *len)
{
    letter->sequence = ++f->seq[from];
    HUB_CHECK ((tsg_envelope_seal (letter, f->keys[from], frame, len)) == (TSG_OK));
}

/* Applies b to header. */
void
kit_basis (tsg_header_t *header, const kit_basis_t *b)
{
    header->legal_basis = b->basis ? b->basis : TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE;
    header->consent_id = (char *) (b->consent_id ? b->consent_id : "");
    header->data_categories = (char **) b->categories;
    header->n_data_categories = hub_count_list (b->categories, 8);
    header->urgency = b->urgency;
    header->urgent = b->urgent;
}

/* A referral with a body from `from` to `to` on case_id under b; its referral id and message
 * id go to the given buffers (when non-NULL), and its frame to *frame (when non-NULL: the
 * caller frees it; a resend runs it through hub_batch again). */
tsg_hub_answer_t
kit_referral (hub_fixture_t *f, int from, const char *to, const char *case_id, const kit_basis_t *b,
              char referral_id[TSG_UUID_TEXT_SIZE], uint8_t message_id[16], uint8_t **frame_out,
              size_t *len_out)
{
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t id[16];
    char rid[TSG_UUID_TEXT_SIZE];
    tsg_letter_prepare (&letter, &header, id, TSUNAGU__V1__KIND__KIND_REFERRAL,
                        tsg_keys_id (f->keys[from]), to);
    tsg_uuid_new (rid);
    header.referral_id = rid;
    header.case_id = (char *) case_id;
    kit_basis (&header, b);
    uint8_t body[64];
    memset (body, 0xa5, sizeof body);
    letter.body.data = body;
    letter.body.len = sizeof body;
    uint8_t *frame = NULL;
    size_t len = 0;
    kit_seal (f, from, &letter, &frame, &len);
    tsg_hub_answer_t answer = hub_batch (f, from, frame, len);
    if (referral_id)
        memcpy (referral_id, rid, sizeof rid);
    if (message_id)
        memcpy (message_id, id, 16);
    if (frame_out) {
        *frame_out = frame;
        *len_out = len;
    }
    else
        free (frame);
    return answer;
}

/* A meeting event from `from` on case_id at base_version: kind, attendees (NULL-terminated
 * list of at most 8), header.consent_id consent_id (NULL: none), with n_bodies sealed bodies
 * (the minutes) under basis b (NULL: none). */
tsg_hub_answer_t
kit_meeting_with (hub_fixture_t *f, int from, const char *case_id, uint64_t base_version, int kind,
                  const char *const attendees[], const char *consent_id, const kit_basis_t *b,
                  Tsunagu__V1__SealedBody **bodies, size_t n_bodies)
{
    Tsunagu__V1__Meeting m = TSUNAGU__V1__MEETING__INIT;
    m.kind = (Tsunagu__V1__MeetingKind) kind;
    m.held_on = (char *) "2026-11-24";
    m.attendees = (char **) attendees;
    m.n_attendees = hub_count_list (attendees, 8);
    m.decision = (char *) "continue";
    Tsunagu__V1__CaseEvent ev = TSUNAGU__V1__CASE_EVENT__INIT;
    char event_id[TSG_UUID_TEXT_SIZE];
    tsg_uuid_new (event_id);
    ev.event_id = event_id;
    ev.type = TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_MEETING;
    ev.meeting = &m;
    tsg_letter_t letter;
    tsg_header_t header;
    uint8_t id[16];
    tsg_letter_prepare (&letter, &header, id, TSUNAGU__V1__KIND__KIND_CASE_EVENT,
                        tsg_keys_id (f->keys[from]), TSG_COORDINATOR_ID);
    header.case_id = (char *) case_id;
    header.base_version = base_version;
    header.case_event = &ev;
    kit_basis_t none = { 0 };
    kit_basis (&header, b ? b : &none);
    if (consent_id)
        header.consent_id = (char *) consent_id;
    letter.sealed_bodies = bodies;
    letter.n_sealed_bodies = n_bodies;
    return hub_send (f, from, &letter);
}

/* The same without bodies. */
tsg_hub_answer_t
kit_meeting (hub_fixture_t *f, int from, const char *case_id, uint64_t base_version, int kind,
             const char *const attendees[], const char *consent_id)
{
    return kit_meeting_with (f, from, case_id, base_version, kind, attendees, consent_id, NULL,
                             NULL, 0);
}

/* A DELIVERED receipt from agency `from` to recipient about about, through a batch. */
tsg_hub_answer_t
kit_ack (hub_fixture_t *f, int from, const char *recipient, const uint8_t about[16])
{
    tsg_letter_t letter;
    uint8_t id[16], about_copy[16];
    memcpy (about_copy, about, 16);
    tsg_letter_prepare (&letter, NULL, id, TSUNAGU__V1__KIND__KIND_RECEIPT,
                        tsg_keys_id (f->keys[from]), recipient);
    Tsunagu__V1__Receipt receipt = TSUNAGU__V1__RECEIPT__INIT;
    receipt.type = TSUNAGU__V1__RECEIPT_TYPE__RECEIPT_DELIVERED;
    receipt.about_message_id.data = about_copy;
    receipt.about_message_id.len = 16;
    receipt.at_ms = hub_now;
    letter.receipt = &receipt;
    uint8_t *frame = NULL;
    size_t len = 0;
    HUB_CHECK ((tsg_envelope_seal (&letter, f->keys[from], &frame, &len)) == (TSG_OK));
    tsg_hub_answer_t answer = hub_batch (f, from, frame, len);
    free (frame);
    return answer;
}

/* Finds the newest (or, with `about`, the one whose error is about it) letter of a kind. */
typedef struct {
    Tsunagu__V1__Kind kind; /* what to find */
    const uint8_t *about;   /* ERROR letters: about this id only (NULL: any) */
    uint8_t *raw;           /* the newest found (owned) */
    size_t len;             /* its length */
    size_t found;           /* how many matched */
} kit_find_t;

static bool
kit_find_one (void *arg, uint64_t seq, const uint8_t *envelope, size_t len)
{
    (void) seq;
    kit_find_t *find = arg;
    tsg_envelope_t env;
    if (tsg_envelope_decode (envelope, len, &env, NULL) != TSG_OK)
        return true;
    bool match = env.letter->kind == find->kind;
    if (match && find->about)
        match = env.letter->error && env.letter->error->about_message_id.len == 16
                && memcmp (env.letter->error->about_message_id.data, find->about, 16) == 0;
    tsg_envelope_clear (&env);
    if (match) {
        free (find->raw);
        find->raw = malloc (len);
        HUB_CHECK (find->raw);
        memcpy (find->raw, envelope, len);
        find->len = len;
        find->found++;
    }
    return true;
}

/* How many letters of kind (about `about`, when given) wait in agency's mailbox. */
size_t
kit_count (hub_fixture_t *f, const char *agency, Tsunagu__V1__Kind kind, const uint8_t *about)
{
    kit_find_t find = { kind, about, NULL, 0, 0 };
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    tsg_hub_mailbox_scan (&txn, agency, 0, kit_find_one, &find);
    tsg_txn_abort (&txn);
    free (find.raw);
    return find.found;
}

/* The newest such letter, decoded and verified with signer (caller clears). */
tsg_envelope_t
kit_newest (hub_fixture_t *f, const char *agency, Tsunagu__V1__Kind kind, const uint8_t *about,
            const uint8_t *signer)
{
    kit_find_t find = { kind, about, NULL, 0, 0 };
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    tsg_hub_mailbox_scan (&txn, agency, 0, kit_find_one, &find);
    tsg_txn_abort (&txn);
    if (!find.raw)
        hub_fixture_fail ("no %s letter in the mailbox of %s", tsg_kind_name (kind), agency);
    tsg_envelope_t env;
    HUB_CHECK ((tsg_envelope_decode (find.raw, find.len, &env, NULL)) == (TSG_OK));
    HUB_CHECK (tsg_envelope_verify (&env, signer));
    free (find.raw);
    return env;
}

/* The MESSAGES record of id (or of its copy for recipient). */
tsg_hub_message_t
kit_message (hub_fixture_t *f, const uint8_t id[16], const char *recipient)
{
    tsg_hub_message_t msg;
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    bool found = recipient ? tsg_hub_message_get_copy (&txn, id, recipient, &msg)
                           : tsg_hub_message_get (&txn, id, &msg);
    tsg_txn_abort (&txn);
    HUB_CHECK (found);
    return msg;
}

/* The consent id as the register holds it. */
tsg_hub_consent_t
kit_consent (hub_fixture_t *f, const char *id)
{
    tsg_hub_consent_t c;
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    HUB_CHECK (tsg_hub_consent_get (&txn, id, &c));
    tsg_txn_abort (&txn);
    return c;
}

/* A consent grant from `from` for case_id covering the agencies and types given (NULL-ended,
 * up to 4 each) and categories identity and finances, valid 2026-11-01 .. until. */
tsg_hub_answer_t
kit_grant (hub_fixture_t *f, int from, const char *case_id, const char *consent_id, const char *a1,
           const char *a2, const char *type, const char *until)
{
    hub_grant_t g = { .case_id = case_id,
                      .consent_id = consent_id,
                      .agencies = { a1, a2 },
                      .types = { type },
                      .categories = { "identity", "finances" },
                      .valid_until = until };
    return hub_consent_grant (f, from, &g, NULL);
}

/* Opens an audit log in the fixture's directory and gives it to the intake. */
tsg_hub_audit_t *
kit_audit_open (hub_fixture_t *f)
{
    tsg_hub_audit_t *audit = NULL;
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, false);
    HUB_CHECK ((tsg_hub_audit_open (f->dir, &txn, &audit)) == (TSG_OK));
    tsg_txn_abort (&txn);
    tsg_hub_intake_set_audit (f->intake, audit);
    return audit;
}

/* Flushes what the audit holds (the fixture's batches do not) and returns the whole log
 * (caller frees). */
char *
kit_audit_text (hub_fixture_t *f, tsg_hub_audit_t *audit)
{
    tsg_txn_t txn;
    tsg_txn_begin (f->store, &txn, true);
    HUB_CHECK ((tsg_hub_audit_flush (audit, &txn)) == (TSG_OK));
    HUB_CHECK ((tsg_txn_commit (&txn)) == (TSG_OK));
    char path[512];
    snprintf (path, sizeof path, "%s/audit.log", f->dir);
    char *text = NULL;
    size_t len = 0;
    HUB_CHECK ((tsg_read_file (path, 16 << 20, &text, &len)) == (TSG_OK));
    uint64_t count = 0, bad_line = 0;
    char why[256];
    HUB_CHECK ((tsg_hub_audit_verify (path, &count, &bad_line, why, sizeof why)) == (TSG_OK));
    return text;
}

/* How many times needle occurs in text. */
size_t
kit_occurs (const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr (text, needle); p; p = strstr (p + 1, needle))
        n++;
    return n;
}

/* The query of kit_get: "case" only. */
static const char *
kit_arg (void *cls, const char *name)
{
    return strcmp (name, "case") == 0 ? cls : NULL;
}

/* The JSON body of GET path (with ?case=query_case when given) from the coordinator's API over
 * the fixture's store (caller decrefs); /metrics comes as a JSON string. */
json_t *
kit_get (hub_fixture_t *f, const char *path, const char *query_case)
{
    tsg_hub_api_t api = { .store = f->store, .directory = f->directory, .has_token = true };
    crypto_hash_sha256 (api.token_sha256, (const uint8_t *) "t0ken", 5);
    tsg_hub_request_t req = { .method = "GET",
                              .path = path,
                              .authorization = "Bearer t0ken",
                              .arg = kit_arg,
                              .arg_cls = (void *) query_case };
    tsg_hub_reply_t reply;
    tsg_hub_api_handle (&api, &req, &reply);
    HUB_CHECK ((reply.status) == (200));
    json_t *body;
    if (strcmp (path, "/metrics") == 0)
        body = json_string (reply.body);
    else {
        json_error_t error;
        body = json_loads (reply.body, 0, &error);
    }
    free (reply.body);
    HUB_CHECK (body);
    return body;
}
