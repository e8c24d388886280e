/* The agency daemon's state, shared by the files of the core, and the entry points that
 * tests drive without sockets (a referral through the API, a batch of inbound frames). */
#ifndef AGENCY_AGENCY_H_INCLUDED
#define AGENCY_AGENCY_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_agency.h"
#include "directory.h"
#include "outbox.h"
#include "seen.h"
#include "standing.h"
#include "store.h"

typedef struct _agency_link_t agency_link_t;
typedef struct _agency_http_t agency_http_t;

/* How letters leave the daemon: through the link, or into a test's hands.
 * Returns 0 when the letter left, -1 when it could not (the caller tries later). */
typedef int (agency_send_fn) (void *arg, const uint8_t *data, size_t len);

/* What an API request asked for that waits for the next group commit. */
typedef enum {
    AGENCY_PENDING_REFERRAL,   /* POST /v1/referrals (referral.c) */
    AGENCY_PENDING_STATUS,     /* POST /v1/referrals/{id}/status (status.c) */
    AGENCY_PENDING_CASE_EVENT, /* POST /v1/cases/{id}/events (case_events.c) */
    AGENCY_PENDING_CONSENT,    /* POST /v1/consents, DELETE /v1/consents/{id} (consents.c) */
} agency_pending_kind_t;

/* One letter accepted by the API and waiting for the next group commit. */
typedef struct agency_pending {
    struct agency_pending *next;             /* next in the batch */
    agency_pending_kind_t kind;              /* what it carries */
    void *conn;                              /* the suspended HTTP connection, or NULL */
    struct agency_pending *same_as;          /* a repeated client_ref of a referral in this batch */
    char referral_id[TSG_UUID_TEXT_SIZE];    /* referral, status: the referral; consent: the
                                                consent */
    char case_id[TSG_UUID_TEXT_SIZE];        /* its case */
    char due_date[11];                       /* referral: YYYY-MM-DD response due */
    char receive_due_date[11];               /* referral: YYYY-MM-DD acknowledgement due */
    char *client_ref;                        /* referral: idempotency key, or NULL */
    tsg_party_t party;                       /* status: our side of the referral */
    uint8_t message_id[TSG_MESSAGE_ID_SIZE]; /* the letter carrying it */
    uint64_t sequence;                       /* its outbox sequence */
    uint8_t *envelope;                       /* the sealed letter */
    size_t envelope_len;                     /* its size */
    json_t *record;                          /* referral: the sent record; status: the change;
                                                case event: the event; consent: the consent
                                                (grant) or the revocation, as written */
    bool revoke;                             /* consent: a revocation, not a grant */
    json_t *answer;                          /* status, case event: the body of the 202 */
    int status;                              /* the answer once committed: 202, 200 or 500 */
    json_t *reply;                           /* its body */
} agency_pending_t;

/* A receipt to send once the batch that decided it is committed. */
typedef struct {
    char recipient[TSG_ID_MAX + 1];          /* the letter's sender */
    uint8_t about[TSG_MESSAGE_ID_SIZE];      /* the letter's id */
    Tsunagu__V1__ReceiptType type;           /* delivered or rejected */
    char detail[160];                        /* why, for rejected */
    char case_id[TSG_HEADER_ID_MAX + 1];     /* copied from the letter's header */
    char referral_id[TSG_HEADER_ID_MAX + 1]; /* copied from the letter's header */
} agency_receipt_t;

/* What one batch of inbound letters decided, applied only after its commit. */
typedef struct {
    agency_receipt_t *receipts;    /* to send after the commit */
    size_t receipt_count;          /* used */
    size_t receipt_cap;            /* allocated */
    agency_directory_t *directory; /* a newly accepted directory to install */
    bool coordinator_seen;         /* a verified letter came from the coordinator */
    bool outbox_changed;           /* letters left the outbox */
    bool rewind;                   /* the coordinator saw a gap: resend now */
    bool resumed;                  /* the coordinator takes our letters again: resend now */
    uint64_t next_cursor;          /* the inbox cursor after this batch (0: not started) */
    size_t stored;                 /* letters added to the inbox */
    size_t frames;                 /* frames handled */
} agency_batch_t;

/* Counters for logs and health. */
typedef struct {
    uint64_t received;        /* frames received */
    uint64_t malformed;       /* frames that did not decode */
    uint64_t unknown_sender;  /* letters from senders not in the directory */
    uint64_t rejected;        /* letters answered RECEIPT_REJECTED */
    uint64_t duplicates;      /* letters seen before */
    uint64_t refused;         /* our letters refused by the coordinator */
    uint64_t commit_failures; /* write transactions that failed */
    uint64_t held;            /* forwarded letters dropped while waiting for the mailbox again */
} agency_stats_t;

struct _tsg_agency_t {
    tsg_agency_config_t *config;       /* owned; its keys are the agency's keys */
    const tsg_agency_policy_t *policy; /* this agency's type */
    tsg_store_t *store;                /* the agency's LMDB (store.h) */
    tsg_boxer_t *boxer;                /* precomputed crypto_box keys per peer */
    agency_directory_t *directory;     /* the last accepted directory, or NULL */
    agency_outbox_t *outbox;           /* send and resend schedule */
    agency_link_t *link;               /* the DEALER, NULL until started */
    agency_http_t *http;               /* the API listener, NULL until started */
    agency_send_fn *send;              /* where letters go (the link by default) */
    void *send_arg;                    /* its argument */
    uint64_t next_sequence;            /* next outbox sequence to hand out */
    uint64_t next_cursor;              /* next inbox cursor */
    uint64_t coordinator_seen_ms;      /* monotonic time of the last coordinator letter */
    uint64_t hello_due_ms;             /* monotonic time of the next HELLO */
    agency_pending_t *pending;         /* API letters waiting for the group commit */
    agency_pending_t **pending_tail;   /* where the next one goes */
    size_t pending_count;              /* how many */
    agency_stats_t stats;              /* counters */
    agency_standing_t standing;        /* suspended / revoked, clock, back-pressure */
    bool hold_inbound;                 /* a commit of forwarded letters failed: drop the
                                          mailbox's letters until the coordinator says it
                                          resends them from the oldest (per-sender order) */
    uint64_t prune_at_ms;              /* monotonic time of the next retention pass */
    agency_prune_cursor_t prune;       /* where the retention sweep goes on (seen.h) */
    uint64_t pruned;                   /* records the sweep deleted since start */
};

/* Handles one inbound frame inside txn (verify, dedup, store), recording in batch what
 * must happen after the commit.  Never fails: a bad frame is logged, counted and, when
 * it can be answered, quarantined and rejected. */
void agency_inbox_handle (tsg_agency_t *self, tsg_txn_t *txn, const uint8_t *data, size_t len,
                          agency_batch_t *batch);

/* Handles frames inside txn, adding to batch what must happen after the commit
 * (batch starts zeroed; several calls may add to one batch). */
void agency_receive_into (tsg_agency_t *self, tsg_txn_t *txn, const uint8_t *const frames[],
                          const size_t lens[], size_t count, agency_batch_t *batch);

/* After the commit of batch's transaction (rc its result): on success installs the new
 * directory, sends the receipts, updates the outbox schedule; on failure drops it all
 * (the coordinator sends the letters again).  Clears batch. */
void agency_receive_finish (tsg_agency_t *self, agency_batch_t *batch, int rc);

/* Handles frames as one batch: one write transaction, commit, then receipts and state.
 * Returns TSG_OK or the commit's error (then nothing was stored or sent). */
int agency_receive (tsg_agency_t *self, const uint8_t *const frames[], const size_t lens[],
                    size_t count);

/* Frees what a batch holds. */
void agency_batch_clear (agency_batch_t *batch);

/* {"items": [...], "next_cursor": n}: inbox entries after cursor `after`, bodies opened. */
json_t *agency_inbox_list (tsg_agency_t *self, uint64_t after, size_t limit);

/* The opened body (a JSON object) of the inbox entry at cursor, read through txn; NULL when
 * there is none or it does not open. */
json_t *agency_inbox_content (tsg_agency_t *self, tsg_txn_t *txn, uint64_t cursor);

/* POST /v1/referrals: validates body (the request, the sender type's intake fields, the rules
 * of the legal basis, and what the consents known here allow) and either answers at once
 * (*status, *reply: an error, or 200 for a known client_ref) and returns NULL, or seals the
 * referral, queues it for the next group commit and returns the pending entry (owned by the
 * agency). */
agency_pending_t *agency_referral_submit (tsg_agency_t *self, const char *body, size_t len,
                                          int *status, json_t **reply);

/* Appends pending to the batch waiting for the next group commit. */
void agency_pending_append (tsg_agency_t *self, agency_pending_t *pending);

/* Frees one pending entry and what it holds. */
void agency_pending_free (agency_pending_t *pending);

/* Writes everything pending into txn (outbox entries, records, msgrefs, the sequence
 * counter); returns how many new letters that is. */
size_t agency_pending_write (tsg_agency_t *self, tsg_txn_t *txn);

/* After the commit of the transaction the pending entries were written to (rc its
 * result): sets each one's answer (202, 200 for a repeated client_ref, or 500 with no
 * sequence consumed when the commit failed), hands each to answer (may be NULL), frees
 * them, and sends what was committed. */
typedef void (agency_answer_fn) (void *arg, agency_pending_t *pending);
void agency_pending_finish (tsg_agency_t *self, int rc, agency_answer_fn *answer, void *arg);

/* Both in a transaction of their own.  Returns the commit's rc. */
int agency_pending_commit (tsg_agency_t *self, agency_answer_fn *answer, void *arg);

/* Writes one pending referral into txn (referral.c).  The *_write functions of each kind
 * return false, writing nothing, when the record the letter belongs to is gone; the group
 * commit then fails as a whole (pending.c), so that an outbox row never stands without its
 * record. */
bool agency_referral_write (tsg_agency_t *self, tsg_txn_t *txn, const agency_pending_t *pending);

/* The 202/200 answer body of a referral: ids and both due dates. */
json_t *agency_referral_answer (const agency_pending_t *pending);

/* Sends what the outbox has due now. */
void agency_pump (tsg_agency_t *self);

/* The monotonic time the agency's timers use. */
uint64_t agency_now_mono (void);

/* The gate for new work from the API (standing.h, with this agency's outbox): true when it
 * may be taken, else false with *status and *reply filled. */
bool agency_admits (tsg_agency_t *self, int *status, json_t **reply);

/* GET /metrics: the daemon's state and counters in the Prometheus text format (metrics.c);
 * the caller frees it.  NULL when memory ran out. */
char *agency_metrics_text (tsg_agency_t *self);

/* True when a letter from the coordinator came within the last 5 s. */
bool agency_coordinator_connected (const tsg_agency_t *self);

#endif
