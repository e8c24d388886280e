/* The envelope: build, sign, decode, verify, and the encrypted body (crypto_box with
 * precomputed keys per peer).  proto/README.md is the behaviour this file implements. */
#ifndef TSG_WIRE_H_INCLUDED
#define TSG_WIRE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tsunagu.pb-c.h"
#include "tsunagu/tsg_keys.h"

typedef Tsunagu__V1__Letter tsg_letter_t;
typedef Tsunagu__V1__Header tsg_header_t;

#define TSG_ENVELOPE_MAX   (1024 * 1024) /* one serialized Envelope */
#define TSG_BODY_MAX       (768 * 1024)  /* one encrypted body */
#define TSG_TAGS_MAX       16
#define TSG_CASE_TAGS_MAX  32 /* tags of a case (the union of its referrals'), in a CASE_UPDATE */
#define TSG_TAG_LEN_MAX    64
#define TSG_HEADER_ID_MAX  64
#define TSG_FRAMES_MAX     64 /* envelopes in one ZeroMQ message */
#define TSG_COORDINATOR_ID "coordinator"

/* Initialises letter (and header, if given, attached to it) for a new message:
 * version 1, a fresh random id written to message_id and pointed at, created_at now.
 * The strings are borrowed; they must outlive the letter's use. */
void tsg_letter_prepare (tsg_letter_t *letter, tsg_header_t *header, uint8_t message_id[16],
                         Tsunagu__V1__Kind kind, const char *sender, const char *recipient);

/* Serializes letter, signs it with keys, and returns the serialized Envelope in
 * *out (caller frees with free()).  TSG_ERR_TOO_LARGE past TSG_ENVELOPE_MAX. */
int tsg_envelope_seal (const tsg_letter_t *letter, const tsg_keys_t *keys, uint8_t **out,
                       size_t *out_len);

/* The two halves of tsg_envelope_seal, for signing many letters at once.  tsg_letter_pack
 * serializes letter into *out (caller frees), TSG_ERR_TOO_LARGE when its envelope, batch proof
 * included, could pass TSG_ENVELOPE_MAX.  tsg_envelopes_sign wraps count packed letters into
 * envelopes out[0..count-1] (each the caller's to free).  The letters with together[i] (all of
 * them when together is NULL) share one signature per TSG_BATCH_MAX over their tree's root, each
 * with its batch proof (proto/README.md §2.1); the others, and a lone one, are signed on their
 * own, exactly as tsg_envelope_seal does.  Only letters whose recipient verifies batch proofs
 * may be signed together.  A NULL signed_bytes[i] is no letter (out[i] NULL).  On failure every
 * out[i] is NULL. */
int tsg_letter_pack (const tsg_letter_t *letter, uint8_t **out, size_t *out_len);
int tsg_envelopes_sign (const uint8_t *const *signed_bytes, const size_t *lens,
                        const bool *together, size_t count, const tsg_keys_t *keys, uint8_t **out,
                        size_t *out_len);

/* A decoded envelope: the raw signed bytes and signature, and the letter they hold. */
typedef struct {
    Tsunagu__V1__Envelope *envelope; /* owns signed bytes and signature */
    tsg_letter_t *letter;            /* decoded from envelope->signed_ */
} tsg_envelope_t;

/* Decodes bytes into *out without checking the signature, and checks the shape:
 * size, version 1, 16-byte message id, valid sender/recipient ids, header limits,
 * body size, 64-byte signature.  On failure *out is untouched and, when detail is
 * non-NULL, it is set to a static sentence.  TSG_ERR_TOO_LARGE or TSG_ERR_BAD_INPUT. */
int tsg_envelope_decode (const uint8_t *data, size_t len, tsg_envelope_t *out, const char **detail);

/* True when the signature over the signed bytes verifies with sign_public; for a letter of a
 * batch, when its path leads to a root that signature covers (a root this thread verified
 * lately with that key is not checked again: tsg_batch.h). */
bool tsg_envelope_verify (const tsg_envelope_t *self, const uint8_t sign_public[32]);

/* What this process signed and checked since it started, for /metrics and the benchmark: the
 * cost of the protocol's signatures, per letter. */
typedef struct {
    uint64_t letters_signed_plain;    /* letters signed on their own */
    uint64_t letters_signed_batched;  /* letters signed in batches */
    uint64_t signatures;              /* Ed25519 signatures made (one per batch) */
    uint64_t signature_checks;        /* Ed25519 verifications made */
    uint64_t verified_by_cached_root; /* batched letters verified by a root checked before */
} tsg_wire_counters_t;

void tsg_wire_counters (tsg_wire_counters_t *out);

/* Writes the counters as Prometheus text: prefix_letters_signed_total{form="plain"|"batch"},
 * prefix_signatures_total, prefix_signature_checks_total and
 * prefix_letters_verified_by_cached_root_total. */
void tsg_wire_counters_print (FILE *out, const char *prefix);

/* True when the envelope carries a batch proof (protocol 1.1). */
bool tsg_envelope_batched (const tsg_envelope_t *self);

/* Frees what decode allocated; safe to call twice. */
void tsg_envelope_clear (tsg_envelope_t *self);

/* Precomputed crypto_box keys, one per peer, for our own box secret. */
typedef struct _tsg_boxer_t tsg_boxer_t;

/* The boxer borrows keys; keys must outlive it.  NULL on allocation failure. */
tsg_boxer_t *tsg_boxer_new (const tsg_keys_t *keys);
void tsg_boxer_destroy (tsg_boxer_t **self_p);

/* After a key rotation: our keys before it (borrowed; NULL: none), with which tsg_body_open
 * opens what its current keys do not (a letter sealed to them before the switch).  TSG_OK or
 * TSG_ERR_NOMEM. */
int tsg_boxer_set_previous (tsg_boxer_t *self, const tsg_keys_t *previous);

/* Around a peer's key rotation: the box key it had before (previous) and the one it switches
 * to (next; each may be NULL) stand in for peer_public when a body from peer_public does not
 * open.  Replaces the aliases of peer_public.  TSG_OK or TSG_ERR_NOMEM. */
int tsg_boxer_alias (tsg_boxer_t *self, const uint8_t peer_public[32], const uint8_t previous[32],
                     const uint8_t next[32]);

/* Seals a Body {content_type, content} to peer_public: out = nonce || box.
 * Caller frees *out.  TSG_ERR_TOO_LARGE past TSG_BODY_MAX. */
int tsg_body_seal (tsg_boxer_t *self, const uint8_t peer_public[32], const char *content_type,
                   const uint8_t *content, size_t content_len, uint8_t **out, size_t *out_len);

/* Opens a body sealed by peer_public to us.  On success returns the decoded Body
 * (free with tsunagu__v1__body__free_unpacked (body, NULL)).  TSG_ERR_CRYPTO when the
 * box does not open (wrong key, tampered), TSG_ERR_BAD_INPUT when it holds no Body. */
int tsg_body_open (tsg_boxer_t *self, const uint8_t peer_public[32], const uint8_t *box,
                   size_t box_len, Tsunagu__V1__Body **out);

/* Names for logs and JSON: "referral", "receipt", ...; "stored", "delivered", ... */
const char *tsg_kind_name (Tsunagu__V1__Kind kind);
const char *tsg_urgency_name (Tsunagu__V1__Urgency urgency);
bool tsg_urgency_parse (const char *text, Tsunagu__V1__Urgency *out);
const char *tsg_legal_basis_name (Tsunagu__V1__LegalBasis basis);
bool tsg_legal_basis_parse (const char *text, Tsunagu__V1__LegalBasis *out);
const char *tsg_error_code_name (Tsunagu__V1__ErrorCode code);

/* Case event types in JSON: "state", "meeting", "plan", "note", "close", "reopen"; meeting
 * kinds: "core", "shien", "jusoteki" and the statutory meetings "chiiki-care", "kyogikai",
 * "yotaikyo", "konkyu".  NULL / false for anything else. */
const char *tsg_case_event_type_name (Tsunagu__V1__CaseEventType type);
bool tsg_case_event_type_parse (const char *text, Tsunagu__V1__CaseEventType *out);
const char *tsg_meeting_kind_name (Tsunagu__V1__MeetingKind kind);
bool tsg_meeting_kind_parse (const char *text, Tsunagu__V1__MeetingKind *out);

#endif
