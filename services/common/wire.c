/* wire.c — envelopes (sign, alone or in batches; decode; verify) and the names of the protocol's
 * enums.  Bodies are boxer.c's. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "tsunagu/tsg_batch.h"
#include "tsunagu/tsunagu.h"

void
tsg_letter_prepare (tsg_letter_t *letter, tsg_header_t *header, uint8_t message_id[16],
                    Tsunagu__V1__Kind kind, const char *sender, const char *recipient)
{
    tsunagu__v1__letter__init (letter);
    tsg_random_id (message_id);
    letter->version = TSUNAGU_PROTOCOL_VERSION;
    letter->message_id.data = message_id;
    letter->message_id.len = TSG_MESSAGE_ID_SIZE;
    letter->sender = (char *) sender;
    letter->recipient = (char *) recipient;
    letter->created_at_ms = tsg_now_ms ();
    letter->kind = kind;
    if (header) {
        tsunagu__v1__header__init (header);
        letter->header = header;
    }
}

/* What this process signed and checked (tsg_wire_counters); relaxed atomics: any thread counts. */
static uint64_t s_signed_plain, s_signed_batched, s_signatures, s_checks, s_cached;

static void
s_count (uint64_t *counter, uint64_t n)
{
    __atomic_fetch_add (counter, n, __ATOMIC_RELAXED);
}

void
tsg_wire_counters (tsg_wire_counters_t *out)
{
    out->letters_signed_plain = __atomic_load_n (&s_signed_plain, __ATOMIC_RELAXED);
    out->letters_signed_batched = __atomic_load_n (&s_signed_batched, __ATOMIC_RELAXED);
    out->signatures = __atomic_load_n (&s_signatures, __ATOMIC_RELAXED);
    out->signature_checks = __atomic_load_n (&s_checks, __ATOMIC_RELAXED);
    out->verified_by_cached_root = __atomic_load_n (&s_cached, __ATOMIC_RELAXED);
}

/* The most a batch proof adds to an envelope: index, count, and TSG_BATCH_DEPTH_MAX paths. */
#define BATCH_PROOF_MAX (16 + TSG_BATCH_DEPTH_MAX * (TSG_BATCH_HASH_SIZE + 2))

int
tsg_letter_pack (const tsg_letter_t *letter, uint8_t **out, size_t *out_len)
{
    size_t len = tsunagu__v1__letter__get_packed_size (letter);
    if (len + crypto_sign_BYTES + 16 + BATCH_PROOF_MAX > TSG_ENVELOPE_MAX)
        return TSG_ERR_TOO_LARGE;
    uint8_t *bytes = malloc (len ? len : 1);
    if (!bytes)
        return TSG_ERR_NOMEM;
    tsunagu__v1__letter__pack (letter, bytes);
    *out = bytes;
    *out_len = len;
    return TSG_OK;
}

/* The serialized Envelope of signed bytes, a signature and (NULL: none) a batch proof. */
static int
s_envelope_pack (const uint8_t *signed_bytes, size_t signed_len,
                 const uint8_t signature[crypto_sign_BYTES], Tsunagu__V1__BatchProof *proof,
                 uint8_t **out, size_t *out_len)
{
    Tsunagu__V1__Envelope envelope = TSUNAGU__V1__ENVELOPE__INIT;
    envelope.signed_.data = (uint8_t *) signed_bytes;
    envelope.signed_.len = signed_len;
    envelope.signature.data = (uint8_t *) signature;
    envelope.signature.len = crypto_sign_BYTES;
    envelope.batch = proof;
    size_t len = tsunagu__v1__envelope__get_packed_size (&envelope);
    uint8_t *buf = malloc (len);
    if (!buf)
        return TSG_ERR_NOMEM;
    tsunagu__v1__envelope__pack (&envelope, buf);
    *out = buf;
    *out_len = len;
    return TSG_OK;
}

/* One batch of 2..TSG_BATCH_MAX letters, those at[0..count-1]: one signature over the root, a
 * path each. */
static int
s_sign_batch (const uint8_t *const *signed_bytes, const size_t *lens, const size_t *at,
              size_t count, const tsg_keys_t *keys, uint8_t **out, size_t *out_len)
{
    tsg_batch_tree_t *tree = malloc (sizeof *tree);
    uint8_t (*leaves)[TSG_BATCH_HASH_SIZE] = malloc (count * TSG_BATCH_HASH_SIZE);
    if (!tree || !leaves) {
        free (tree);
        free (leaves);
        return TSG_ERR_NOMEM;
    }
    for (size_t i = 0; i < count; i++)
        tsg_batch_leaf (leaves[i], signed_bytes[at[i]], lens[at[i]]);
    tsg_batch_tree_build (tree, (const uint8_t (*)[TSG_BATCH_HASH_SIZE]) leaves, count);
    uint8_t statement[TSG_BATCH_STATEMENT_SIZE], signature[crypto_sign_BYTES];
    tsg_batch_statement (statement, (uint32_t) count, tree->root);
    crypto_sign_detached (signature, NULL, statement, sizeof statement,
                          tsg_keys_sign_secret (keys));
    s_count (&s_signatures, 1);
    s_count (&s_signed_batched, count);
    int rc = TSG_OK;
    for (size_t i = 0; i < count && rc == TSG_OK; i++) {
        ProtobufCBinaryData path[TSG_BATCH_DEPTH_MAX];
        for (size_t k = 0; k < tree->path_len[i]; k++)
            path[k] = (ProtobufCBinaryData){ TSG_BATCH_HASH_SIZE, tree->path[i][k] };
        Tsunagu__V1__BatchProof proof = TSUNAGU__V1__BATCH_PROOF__INIT;
        proof.index = (uint32_t) i;
        proof.count = (uint32_t) count;
        proof.n_path = tree->path_len[i];
        proof.path = path;
        rc = s_envelope_pack (signed_bytes[at[i]], lens[at[i]], signature, &proof, &out[at[i]],
                              &out_len[at[i]]);
    }
    free (tree);
    free (leaves);
    return rc;
}

/* One letter signed on its own (protocol 1.0's form). */
static int
s_sign_one (const uint8_t *signed_bytes, size_t len, const tsg_keys_t *keys, uint8_t **out,
            size_t *out_len)
{
    uint8_t signature[crypto_sign_BYTES];
    crypto_sign_detached (signature, NULL, signed_bytes, len, tsg_keys_sign_secret (keys));
    s_count (&s_signatures, 1);
    s_count (&s_signed_plain, 1);
    return s_envelope_pack (signed_bytes, len, signature, NULL, out, out_len);
}

int
tsg_envelopes_sign (const uint8_t *const *signed_bytes, const size_t *lens, const bool *together,
                    size_t count, const tsg_keys_t *keys, uint8_t **out, size_t *out_len)
{
    size_t *at = malloc ((count ? count : 1) * sizeof *at); /* the letters signed together */
    if (!at)
        return TSG_ERR_NOMEM;
    for (size_t i = 0; i < count; i++)
        out[i] = NULL;
    size_t runs = 0;
    int rc = TSG_OK;
    for (size_t i = 0; i < count && rc == TSG_OK; i++) {
        if (!signed_bytes[i])
            continue; /* no letter here */
        if (together && !together[i])
            rc = s_sign_one (signed_bytes[i], lens[i], keys, &out[i], &out_len[i]);
        else
            at[runs++] = i;
    }
    for (size_t done = 0; done < runs && rc == TSG_OK;) {
        size_t chunk = runs - done < TSG_BATCH_MAX ? runs - done : TSG_BATCH_MAX;
        if (chunk == 1)
            rc = s_sign_one (signed_bytes[at[done]], lens[at[done]], keys, &out[at[done]],
                             &out_len[at[done]]);
        else
            rc = s_sign_batch (signed_bytes, lens, at + done, chunk, keys, out, out_len);
        done += chunk;
    }
    free (at);
    if (rc != TSG_OK)
        for (size_t i = 0; i < count; i++) {
            free (out[i]);
            out[i] = NULL;
        }
    return rc;
}

int
tsg_envelope_seal (const tsg_letter_t *letter, const tsg_keys_t *keys, uint8_t **out,
                   size_t *out_len)
{
    uint8_t *signed_bytes = NULL;
    size_t signed_len = 0;
    int rc = tsg_letter_pack (letter, &signed_bytes, &signed_len);
    if (rc != TSG_OK)
        return rc;
    rc = s_sign_one (signed_bytes, signed_len, keys, out, out_len);
    free (signed_bytes);
    return rc;
}

static bool
s_header_id_ok (const char *text)
{
    return text == NULL || strlen (text) <= TSG_HEADER_ID_MAX;
}

static bool
s_party_ok (const char *id)
{
    return id && (tsg_agency_id_valid (id) || strcmp (id, TSG_COORDINATOR_ID) == 0);
}

/* Checks the decoded letter's shape; returns NULL when fine, else why not. */
static const char *
s_letter_problem (const tsg_letter_t *letter)
{
    if (letter->version != TSUNAGU_PROTOCOL_VERSION)
        return "unsupported protocol version";
    if (letter->message_id.len != TSG_MESSAGE_ID_SIZE)
        return "message id is not 16 bytes";
    if (!s_party_ok (letter->sender))
        return "sender is not a valid id";
    if (!s_party_ok (letter->recipient))
        return "recipient is not a valid id";
    if (letter->body.len > TSG_BODY_MAX)
        return "body too large";
    const tsg_header_t *h = letter->header;
    if (h) {
        if (!s_header_id_ok (h->case_id) || !s_header_id_ok (h->referral_id)
            || !s_header_id_ok (h->status) || !s_header_id_ok (h->consent_id)
            || !s_header_id_ok (h->due_date) || !s_header_id_ok (h->sender_type))
            return "header field too long";
        if (h->n_tags > TSG_TAGS_MAX)
            return "too many tags";
        for (size_t i = 0; i < h->n_tags; i++)
            if (strlen (h->tags[i]) > TSG_TAG_LEN_MAX)
                return "tag too long";
    }
    if (letter->error && letter->error->detail && strlen (letter->error->detail) > 1024)
        return "error detail too long";
    if (letter->receipt && letter->receipt->detail && strlen (letter->receipt->detail) > 1024)
        return "receipt detail too long";
    return NULL;
}

/* True when the proof's path has the length its index and count need, of 32-byte hashes. */
static bool
s_proof_shape_ok (const Tsunagu__V1__BatchProof *proof)
{
    int expected = tsg_batch_path_length (proof->index, proof->count);
    if (expected < 0 || (size_t) expected != proof->n_path)
        return false;
    for (size_t i = 0; i < proof->n_path; i++)
        if (proof->path[i].len != TSG_BATCH_HASH_SIZE)
            return false;
    return true;
}

int
tsg_envelope_decode (const uint8_t *data, size_t len, tsg_envelope_t *out, const char **detail)
{
    const char *why = NULL;
    if (len > TSG_ENVELOPE_MAX) {
        if (detail)
            *detail = "envelope larger than 1 MiB";
        return TSG_ERR_TOO_LARGE;
    }
    Tsunagu__V1__Envelope *envelope = tsunagu__v1__envelope__unpack (NULL, len, data);
    if (!envelope) {
        if (detail)
            *detail = "envelope is not a valid protobuf message";
        return TSG_ERR_BAD_INPUT;
    }
    tsg_letter_t *letter = NULL;
    if (envelope->signature.len != crypto_sign_BYTES)
        why = "signature is not 64 bytes";
    else if (envelope->batch && !s_proof_shape_ok (envelope->batch))
        why = "batch proof does not fit its index and count";
    else {
        letter = tsunagu__v1__letter__unpack (NULL, envelope->signed_.len, envelope->signed_.data);
        if (!letter)
            why = "letter is not a valid protobuf message";
        else
            why = s_letter_problem (letter);
    }
    if (why) {
        if (letter)
            tsunagu__v1__letter__free_unpacked (letter, NULL);
        tsunagu__v1__envelope__free_unpacked (envelope, NULL);
        if (detail)
            *detail = why;
        return TSG_ERR_BAD_INPUT;
    }
    out->envelope = envelope;
    out->letter = letter;
    return TSG_OK;
}

/* A batched letter: its path to the root, then the root's signature, unless this thread verified
 * that root with this key lately. */
static bool
s_verify_batch (const Tsunagu__V1__Envelope *envelope, const uint8_t sign_public[32])
{
    const Tsunagu__V1__BatchProof *proof = envelope->batch;
    const uint8_t *path[TSG_BATCH_DEPTH_MAX];
    if (proof->n_path > TSG_BATCH_DEPTH_MAX)
        return false;
    for (size_t i = 0; i < proof->n_path; i++) {
        if (proof->path[i].len != TSG_BATCH_HASH_SIZE)
            return false;
        path[i] = proof->path[i].data;
    }
    uint8_t leaf[TSG_BATCH_HASH_SIZE], root[TSG_BATCH_HASH_SIZE];
    tsg_batch_leaf (leaf, envelope->signed_.data, envelope->signed_.len);
    if (!tsg_batch_root (root, leaf, proof->index, proof->count, path, proof->n_path))
        return false;
    uint8_t statement[TSG_BATCH_STATEMENT_SIZE];
    tsg_batch_statement (statement, proof->count, root);
    if (tsg_batch_cache_holds (sign_public, statement)) {
        s_count (&s_cached, 1);
        return true;
    }
    s_count (&s_checks, 1);
    if (crypto_sign_verify_detached (envelope->signature.data, statement, sizeof statement,
                                     sign_public)
        != 0)
        return false;
    tsg_batch_cache_add (sign_public, statement);
    return true;
}

bool
tsg_envelope_verify (const tsg_envelope_t *self, const uint8_t sign_public[32])
{
    if (self->envelope->batch)
        return s_verify_batch (self->envelope, sign_public);
    s_count (&s_checks, 1);
    return crypto_sign_verify_detached (self->envelope->signature.data,
                                        self->envelope->signed_.data, self->envelope->signed_.len,
                                        sign_public)
           == 0;
}

bool
tsg_envelope_batched (const tsg_envelope_t *self)
{
    return self->envelope && self->envelope->batch;
}

void
tsg_envelope_clear (tsg_envelope_t *self)
{
    if (!self)
        return;
    if (self->letter)
        tsunagu__v1__letter__free_unpacked (self->letter, NULL);
    if (self->envelope)
        tsunagu__v1__envelope__free_unpacked (self->envelope, NULL);
    self->letter = NULL;
    self->envelope = NULL;
}

const char *
tsg_kind_name (Tsunagu__V1__Kind kind)
{
    switch (kind) {
    case TSUNAGU__V1__KIND__KIND_HELLO: return "hello";
    case TSUNAGU__V1__KIND__KIND_REFERRAL: return "referral";
    case TSUNAGU__V1__KIND__KIND_RECEIPT: return "receipt";
    case TSUNAGU__V1__KIND__KIND_DIRECTORY: return "directory";
    case TSUNAGU__V1__KIND__KIND_ERROR: return "error";
    case TSUNAGU__V1__KIND__KIND_REFERRAL_STATUS: return "referral-status";
    case TSUNAGU__V1__KIND__KIND_CONSENT_GRANT: return "consent-grant";
    case TSUNAGU__V1__KIND__KIND_CONSENT_REVOKE: return "consent-revoke";
    case TSUNAGU__V1__KIND__KIND_CASE_EVENT: return "case-event";
    case TSUNAGU__V1__KIND__KIND_CASE_UPDATE: return "case-update";
    default: return "unknown";
    }
}

/* A name table for enum ↔ text conversions. */
typedef struct {
    int value;        /* the enum value */
    const char *name; /* its text in JSON and logs */
} s_name_t;

static const s_name_t s_urgencies[] = {
    { TSUNAGU__V1__URGENCY__URGENCY_NORMAL, "normal" },
    { TSUNAGU__V1__URGENCY__URGENCY_HIGH, "high" },
    { TSUNAGU__V1__URGENCY__URGENCY_EMERGENCY, "emergency" },
};

static const s_name_t s_bases[] = {
    { TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_NONE, "none" },
    { TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_CONSENT, "consent" },
    { TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_SUPPORT_MEETING, "support-meeting" },
    { TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_STATUTORY_MEETING, "statutory-meeting" },
    { TSUNAGU__V1__LEGAL_BASIS__LEGAL_BASIS_EMERGENCY, "emergency" },
};

static const char *
s_name_of (const s_name_t *table, size_t n, int value, const char *dflt)
{
    for (size_t i = 0; i < n; i++)
        if (table[i].value == value)
            return table[i].name;
    return dflt;
}

static bool
s_value_of (const s_name_t *table, size_t n, const char *text, int *value)
{
    for (size_t i = 0; text && i < n; i++)
        if (strcmp (table[i].name, text) == 0) {
            *value = table[i].value;
            return true;
        }
    return false;
}

const char *
tsg_urgency_name (Tsunagu__V1__Urgency urgency)
{
    return s_name_of (s_urgencies, 3, urgency, "normal");
}

bool
tsg_urgency_parse (const char *text, Tsunagu__V1__Urgency *out)
{
    int v;
    if (!s_value_of (s_urgencies, 3, text, &v))
        return false;
    *out = (Tsunagu__V1__Urgency) v;
    return true;
}

const char *
tsg_legal_basis_name (Tsunagu__V1__LegalBasis basis)
{
    return s_name_of (s_bases, 5, basis, "unspecified");
}

bool
tsg_legal_basis_parse (const char *text, Tsunagu__V1__LegalBasis *out)
{
    int v;
    if (!s_value_of (s_bases, 5, text, &v))
        return false;
    *out = (Tsunagu__V1__LegalBasis) v;
    return true;
}

const char *
tsg_error_code_name (Tsunagu__V1__ErrorCode code)
{
    static const s_name_t codes[] = {
        { TSUNAGU__V1__ERROR_CODE__ERROR_MALFORMED, "malformed" },
        { TSUNAGU__V1__ERROR_CODE__ERROR_BAD_SIGNATURE, "bad_signature" },
        { TSUNAGU__V1__ERROR_CODE__ERROR_SENDER_MISMATCH, "sender_mismatch" },
        { TSUNAGU__V1__ERROR_CODE__ERROR_UNKNOWN_RECIPIENT, "unknown_recipient" },
        { TSUNAGU__V1__ERROR_CODE__ERROR_RECIPIENT_INACTIVE, "recipient_inactive" },
        { TSUNAGU__V1__ERROR_CODE__ERROR_TOO_LARGE, "too_large" },
        { TSUNAGU__V1__ERROR_CODE__ERROR_CLOCK_SKEW, "clock_skew" },
        { TSUNAGU__V1__ERROR_CODE__ERROR_BAD_VERSION, "bad_version" },
        { TSUNAGU__V1__ERROR_CODE__ERROR_OUT_OF_ORDER, "out_of_order" },
        { TSUNAGU__V1__ERROR_CODE__ERROR_STORE, "store" },
        { TSUNAGU__V1__ERROR_CODE__ERROR_NOT_PERMITTED, "not_permitted" },
        { TSUNAGU__V1__ERROR_CODE__ERROR_MISSING_LEGAL_BASIS, "missing_legal_basis" },
        { TSUNAGU__V1__ERROR_CODE__ERROR_ILLEGAL_TRANSITION, "illegal_transition" },
        { TSUNAGU__V1__ERROR_CODE__ERROR_STALE_VERSION, "stale_version" },
        { TSUNAGU__V1__ERROR_CODE__ERROR_UNKNOWN_REFERRAL, "unknown_referral" },
        { TSUNAGU__V1__ERROR_CODE__ERROR_UNKNOWN_CASE, "unknown_case" },
        { TSUNAGU__V1__ERROR_CODE__ERROR_NOT_CASE_MEMBER, "not_case_member" },
        { TSUNAGU__V1__ERROR_CODE__ERROR_QUOTA_EXCEEDED, "quota_exceeded" },
        { TSUNAGU__V1__ERROR_CODE__ERROR_STORE_FULL, "store_full" },
        { TSUNAGU__V1__ERROR_CODE__ERROR_AGENCY_SUSPENDED, "agency_suspended" },
        { TSUNAGU__V1__ERROR_CODE__ERROR_AGENCY_REVOKED, "agency_revoked" },
        { TSUNAGU__V1__ERROR_CODE__ERROR_PERSONAL_DATA, "personal_data" },
    };
    return s_name_of (codes, sizeof codes / sizeof codes[0], code, "unspecified");
}

static const s_name_t s_event_types[] = {
    { TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_STATE, "state" },
    { TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_MEETING, "meeting" },
    { TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_PLAN, "plan" },
    { TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_NOTE, "note" },
    { TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_CLOSE, "close" },
    { TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_REOPEN, "reopen" },
    { TSUNAGU__V1__CASE_EVENT_TYPE__CASE_EVENT_HANDOVER, "handover" },
};

static const s_name_t s_meeting_kinds[] = {
    { TSUNAGU__V1__MEETING_KIND__MEETING_CORE, "core" },
    { TSUNAGU__V1__MEETING_KIND__MEETING_SHIEN, "shien" },
    { TSUNAGU__V1__MEETING_KIND__MEETING_JUSOTEKI, "jusoteki" },
    { TSUNAGU__V1__MEETING_KIND__MEETING_CHIIKI_CARE, "chiiki-care" },
    { TSUNAGU__V1__MEETING_KIND__MEETING_KYOGIKAI, "kyogikai" },
    { TSUNAGU__V1__MEETING_KIND__MEETING_YOTAIKYO, "yotaikyo" },
    { TSUNAGU__V1__MEETING_KIND__MEETING_KONKYU, "konkyu" },
};

#define S_COUNT(a) (sizeof (a) / sizeof (a)[0])

const char *
tsg_case_event_type_name (Tsunagu__V1__CaseEventType type)
{
    return s_name_of (s_event_types, S_COUNT (s_event_types), type, NULL);
}

bool
tsg_case_event_type_parse (const char *text, Tsunagu__V1__CaseEventType *out)
{
    int v;
    if (!s_value_of (s_event_types, S_COUNT (s_event_types), text, &v))
        return false;
    *out = (Tsunagu__V1__CaseEventType) v;
    return true;
}

const char *
tsg_meeting_kind_name (Tsunagu__V1__MeetingKind kind)
{
    return s_name_of (s_meeting_kinds, S_COUNT (s_meeting_kinds), kind, NULL);
}

bool
tsg_meeting_kind_parse (const char *text, Tsunagu__V1__MeetingKind *out)
{
    int v;
    if (!s_value_of (s_meeting_kinds, S_COUNT (s_meeting_kinds), text, &v))
        return false;
    *out = (Tsunagu__V1__MeetingKind) v;
    return true;
}
