/* Checking and storing inbound letters, a batch at a time inside one write transaction. */
#ifndef TSG_HUB_INTAKE_H_INCLUDED
#define TSG_HUB_INTAKE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coordinator/model/audit.h"
#include "coordinator/model/directory.h"
#include "coordinator/model/limits.h"
#include "coordinator/model/mailbox.h"

/* Clock skew the coordinator accepts ahead of its clock (proto/README.md §5); behind it, the
 * dedup window of the limits (limits.h). */
#define TSG_HUB_SKEW_AHEAD_MS (5ULL * 60 * 1000)

/* What the coordinator sends back for one inbound letter. */
typedef enum {
    TSG_HUB_ANSWER_NONE = 0, /* nothing (acknowledgements) */
    TSG_HUB_ANSWER_STORED,   /* RECEIPT_STORED about `about` */
    TSG_HUB_ANSWER_ERROR,    /* ERROR code, final, detail, about `about` when known */
    TSG_HUB_ANSWER_HELLO,    /* HELLO */
} tsg_hub_answer_type_t;

typedef struct {
    tsg_hub_answer_type_t type;         /* see above */
    uint8_t about[TSG_MESSAGE_ID_SIZE]; /* the letter answered, when has_about */
    bool has_about;                     /* false when the letter could not be read */
    Tsunagu__V1__ErrorCode code;        /* ERROR: why */
    bool final;                         /* ERROR: true when resending cannot help */
    char detail[TSG_HUB_DETAIL_MAX];    /* ERROR: an English sentence */
    bool needs_commit;                  /* true when the answer stands only if the batch commits */
    bool verified;                      /* from an active agency, signature verified */
    bool hello;                         /* the letter was a HELLO (HELLO answers echo its id) */
    bool rewind;                        /* HELLO: the agency asked for its mailbox again from
                                           the oldest; the answer says it was rewound */
    uint64_t next_sequence;             /* HELLO: the sequence the coordinator stores next from
                                           the agency (its last stored + 1) */
    bool holds_next;                    /* HELLO: it named the coordinator's next signing key
                                           it holds (a rotation under way), which is: */
    uint8_t holds_next_sign[32];
} tsg_hub_answer_t;

typedef struct _tsg_hub_intake_t tsg_hub_intake_t;

/* Error codes counted (Tsunagu__V1__ErrorCode values below this). */
#define TSG_HUB_ERROR_CODES 32

/* Letters taken and refused since the intake was made (for /metrics; not durable). */
typedef struct {
    uint64_t stored;                       /* sequenced letters stored */
    uint64_t refused[TSG_HUB_ERROR_CODES]; /* ERROR answers, by code */
    uint64_t ignored[TSG_HUB_ERROR_CODES]; /* acknowledgements dropped unanswered, by code */
    uint64_t decoded;                      /* envelopes decoded: one per envelope taken in */
} tsg_hub_intake_counters_t;

/* A new intake that checks senders and recipients against directory (borrowed; it may be
 * reloaded between batches, never during one) and signs the coordinator's CASE_UPDATE
 * letters with keys (borrowed).  NULL on allocation failure. */
tsg_hub_intake_t *tsg_hub_intake_new (const tsg_hub_directory_t *directory, const tsg_keys_t *keys);

/* Frees the intake; safe on NULL and twice. */
void tsg_hub_intake_destroy (tsg_hub_intake_t **self_p);

/* Records every routing decision from now on in audit (borrowed; NULL: none): letters
 * allowed (basis, flags) and refused (code, detail), mail withheld, alerts, consents granted,
 * revoked and expired.  The caller flushes the audit before each commit. */
void tsg_hub_intake_set_audit (tsg_hub_intake_t *self, tsg_hub_audit_t *audit);

/* The audit set above (NULL when none). */
tsg_hub_audit_t *tsg_hub_intake_audit (const tsg_hub_intake_t *self);

/* Ends the consents whose validity has passed (consents.h), if any, in a write transaction of
 * its own on store: the mail relying on them is withheld and the agencies are told; the audit
 * is flushed before the commit (and rolled back when the commit fails).  Cheap when nothing
 * is due (one read).  Returns how many consents ended (0 also when the commit failed,
 * logged); the new-mail and acknowledged lists then say what changed, as after a batch. */
size_t tsg_hub_intake_expire (tsg_hub_intake_t *self, tsg_store_t *store);

/* One pass of the retention sweep (limits.h, mailbox.h) in a short write transaction of its
 * own on store: message records of letters delivered or refused longer ago than the dedup
 * window are deleted, at most TSG_HUB_PRUNE_KEYS of them.  Returns how many. */
size_t tsg_hub_intake_prune (tsg_hub_intake_t *self, tsg_store_t *store);

/* Starts a batch in txn (a write transaction, borrowed until the next begin) at the
 * current wall clock; forgets the previous batch's effects. */
void tsg_hub_intake_begin (tsg_hub_intake_t *self, tsg_txn_t *txn);

/* Ends the batch before its commit: the CASE_UPDATE letters of every case it changed go into
 * the mailboxes of the agencies on those cases. */
void tsg_hub_intake_end (tsg_hub_intake_t *self);

/* Applies a case event of the coordinator's own staff (a serialized Envelope the coordinator
 * signed, sender and recipient "coordinator", no sequence) in the batch's transaction exactly
 * as an agency's: checked, applied, fanned out to every agency on the case.  Returns 0, or
 * the refusal code with an English sentence in detail; a refusal changes nothing. */
Tsunagu__V1__ErrorCode tsg_hub_intake_staff (tsg_hub_intake_t *self, const uint8_t *frame,
                                             size_t len, char *detail, size_t size);

/* Agency succession (組織改編), in the batch's transaction: withholds every letter waiting in
 * previous's mailbox (sealed to its key: none of it goes to agency, its successor), each audited
 * and its agency sender told by an ERROR naming agency (casework.h).  Returns how many. */
size_t tsg_hub_intake_withhold_succeeded (tsg_hub_intake_t *self, const char *previous,
                                          const char *agency);

/* True while new letters are refused for a store near its ceiling. */
bool tsg_hub_intake_store_full (const tsg_hub_intake_t *self);

/* Uses limits (copied) from the next batch on: quotas and the dedup window.  The defaults
 * (limits.h) hold until then. */
void tsg_hub_intake_set_limits (tsg_hub_intake_t *self, const tsg_hub_limits_t *limits);

/* The limits in force (borrowed). */
const tsg_hub_limits_t *tsg_hub_intake_limits (const tsg_hub_intake_t *self);

/* While full is true, every new sequenced letter is refused ERROR_STORE_FULL (final) before
 * anything is stored: the store is near its ceiling and what room is left is kept for
 * acknowledgements, refusals and pruning (which free it). */
void tsg_hub_intake_set_store_full (tsg_hub_intake_t *self, bool full);

/* After a restore made at restore_ms (0: none): each sender's first sequenced letter past a
 * gap is taken as its new base, once per sender and restore, and the numbers lost audited
 * ("sequence-gap-after-restore"). */
void tsg_hub_intake_set_resync (tsg_hub_intake_t *self, uint64_t restore_ms);

/* The registry changed: every refusal cause is news again (quiet.h). */
void tsg_hub_intake_registry_changed (tsg_hub_intake_t *self);

/* Refusals that were only counted, not logged, by code (quiet.h). */
uint64_t tsg_hub_intake_repeats (const tsg_hub_intake_t *self, Tsunagu__V1__ErrorCode code);

/* The counters since start (borrowed). */
const tsg_hub_intake_counters_t *tsg_hub_intake_counters (const tsg_hub_intake_t *self);

/* The letters of agency refused since the intake was made, by code, into out (refusals.h). */
void tsg_hub_intake_refusals_of (const tsg_hub_intake_t *self, const char *agency,
                                 uint64_t out[TSG_HUB_ERROR_CODES]);

/* Checks one serialized Envelope that arrived on a connection ZAP authenticated as
 * auth_id, records what it does in the batch's transaction (mailbox entry, MESSAGES record,
 * sender sequence, acknowledgement), and fills *answer with what to send back on that
 * connection once the batch is committed.  Never fails: every problem becomes an ERROR
 * answer, except that an acknowledgement is never answered with anything (a refusal of a
 * receipt would be acknowledged, refused again, and so on): it is applied or counted.
 * Refusals that prove nothing about a letter (identity, shape, signature, an inactive
 * sender) are logged and audited once per agency and cause (quiet.h), then counted.  A letter
 * refused for its shape, identity or signature changes nothing; one that passed those and is
 * refused later still takes its sequence number (with a record that lets a resend be answered the
 * same way), per proto/README.md §4–5. */
void tsg_hub_intake_letter (tsg_hub_intake_t *self, const char *auth_id, const uint8_t *frame,
                            size_t len, tsg_hub_answer_t *answer);

/* The same for a letter already decoded (env: tsg_envelope_decode of frame, borrowed): decides
 * it without decoding it again.  tsg_hub_intake_letter is tsg_envelope_decode followed by
 * this; the one decode is counted in the counters (decoded), so that a second one anywhere on
 * the way shows. */
void tsg_hub_intake_envelope (tsg_hub_intake_t *self, const char *auth_id,
                              const tsg_envelope_t *env, const uint8_t *frame, size_t len,
                              tsg_hub_answer_t *answer);

/* The batch's effects, to apply once it is committed: recipients with new mail, and
 * mailbox entries (recipient, sequence) that were acknowledged or withheld, and deleted. */
size_t tsg_hub_intake_new_mail_count (const tsg_hub_intake_t *self);
const char *tsg_hub_intake_new_mail (const tsg_hub_intake_t *self, size_t index);
size_t tsg_hub_intake_acked_count (const tsg_hub_intake_t *self);
const char *tsg_hub_intake_acked (const tsg_hub_intake_t *self, size_t index, uint64_t *seq);

/* Turns an answer that needed the commit into ERROR_STORE (not final): the batch was lost. */
void tsg_hub_answer_store_failed (tsg_hub_answer_t *answer);

/* Builds the answer as a letter from the coordinator to recipient, serialized into *out (the
 * caller frees; tsg_envelopes_sign signs it).  Returns TSG_OK or the packing error;
 * TSG_ERR_NOT_FOUND for TSG_HUB_ANSWER_NONE. */
int tsg_hub_answer_pack (const tsg_hub_answer_t *answer, const char *recipient, uint8_t **out,
                         size_t *out_len);

/* tsg_hub_answer_pack, signed on its own with keys: a serialized Envelope in *out. */
int tsg_hub_answer_seal (const tsg_hub_answer_t *answer, const char *recipient,
                         const tsg_keys_t *keys, uint8_t **out, size_t *out_len);

#endif
