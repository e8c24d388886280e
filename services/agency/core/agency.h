/* The agency daemon's state, shared by every folder of the agency (which fields each folder
 * owns is said beside them), and the types of what waits for a group commit: letters the API
 * accepted (pending) and what a batch of inbound letters decided (batch). */
#ifndef AGENCY_CORE_AGENCY_H_INCLUDED
#define AGENCY_CORE_AGENCY_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsunagu/tsunagu.h"
#include "tsunagu/tsg_agency.h"
#include "tsunagu/tsg_http_limits.h"
#include "agency/core/histogram.h"
#include "agency/core/standing.h"
#include "agency/records/coordinator_pin.h"
#include "agency/records/directory.h"
#include "agency/records/msgref.h"
#include "agency/records/outbox.h"
#include "agency/records/seen.h"
#include "agency/records/store.h"

typedef struct _agency_link_t agency_link_t;
typedef struct _agency_http_t agency_http_t;
typedef struct agency_kind agency_kind_t;
typedef struct _agency_webhooks_t agency_webhooks_t;

/* What one webhook's delivery shows in /metrics and /healthz (written by daemon/webhooks.c,
 * read by the API). */
typedef struct {
    const char *name;     /* [webhook.NAME] (borrowed from the configuration) */
    uint64_t cursor;      /* the seq of the last event acknowledged with a 2xx */
    uint64_t pending;     /* events written after the cursor */
    bool parked;          /* failing for longer than max_attempts_days (or 410): no attempts */
    uint64_t delivered;   /* events acknowledged since start */
    uint64_t failures;    /* failed attempts since start */
    char last_error[160]; /* what the last failed attempt met, "" when none */
} agency_webhook_status_t;

/* How letters leave the daemon: through the link, or into a test's hands.
 * Returns 0 when the letter left, -1 when it could not (the caller tries later). */
typedef int (agency_send_fn) (void *arg, const uint8_t *data, size_t len);

/* One letter accepted by the API and waiting for the next group commit (core/pending.h). */
typedef struct agency_pending {
    struct agency_pending *next;             /* next in the batch */
    agency_kind_id_t kind;                   /* what it carries (its operations: kinds[kind]) */
    void *conn;                              /* the suspended HTTP connection, or NULL */
    struct agency_pending *same_as;          /* a repeated request of this batch (a referral's
                                                client_ref): answered as that one */
    char referral_id[TSG_UUID_TEXT_SIZE];    /* referral, status: the referral; consent: the
                                                consent */
    char case_id[TSG_UUID_TEXT_SIZE];        /* its case */
    char due_date[11];                       /* referral: YYYY-MM-DD response due */
    char receive_due_date[11];               /* referral: YYYY-MM-DD acknowledgement due */
    char *client_ref;                        /* referral: idempotency key, or NULL */
    tsg_party_t party;                       /* status: our side of the referral */
    uint8_t message_id[TSG_MESSAGE_ID_SIZE]; /* the letter carrying it */
    uint64_t sequence;                       /* its outbox sequence */
    uint8_t *packed;                         /* the letter, serialized, until the group commit
                                                signs it (core/batch_sign.c) */
    size_t packed_len;                       /* its size */
    bool batchable;                          /* its recipient verifies batch proofs */
    uint8_t *envelope;                       /* the signed letter (from the group commit on) */
    size_t envelope_len;                     /* its size */
    json_t *record;                          /* referral: the sent record; status: the change;
                                                case event: the event; consent: the consent
                                                (grant) or the revocation, as written */
    json_t *answer;                          /* the body of the 202 (of the 200 of a repeat) */
    int status;                              /* the answer once committed: 202, 200 or 500 */
    json_t *reply;                           /* its body */
    json_t *batch_answer;                    /* the last letter of an import (core/pending.h's
                                                mark): the body of the whole request's 202,
                                                given instead of this letter's own, or NULL */
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

/* What one batch of inbound letters decided, applied only after its commit (core/inbox.h). */
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

/* The label tables of /metrics' refusal counters: the coordinator's ErrorCodes 0..22
 * (tsg_error_code_name); the HTTP statuses and the error codes api/metrics.c names for the
 * API's refusals.  The last of each is for any other. */
#define AGENCY_REFUSAL_CODES 24
#define AGENCY_API_STATUSES  13
#define AGENCY_API_CODES     29

/* Counters for logs, health and tests. */
typedef struct {
    uint64_t received;        /* frames received */
    uint64_t malformed;       /* frames that did not decode */
    uint64_t unknown_sender;  /* letters from senders not in the directory */
    uint64_t rejected;        /* letters answered RECEIPT_REJECTED */
    uint64_t duplicates;      /* letters seen before */
    uint64_t refused;         /* our letters refused by the coordinator */
    uint64_t commit_failures; /* write transactions that failed */
    uint64_t held;            /* forwarded letters dropped while waiting for the mailbox again */
    uint64_t bodies_opened;   /* bodies decrypted (records/sealed.h): at intake, and per read */
    uint64_t refused_by_code[AGENCY_REFUSAL_CODES]; /* our letters the coordinator refused on
                                                     arrival, once each, by its code
                                                     (core/delivery.c) */
    uint64_t api_refused[AGENCY_API_STATUSES][AGENCY_API_CODES]; /* API answers >= 400, by
                                                                    status and error code
                                                                    (daemon/http.c) */
    agency_histogram_t commit_api_letters;     /* letters the API accepted, per group commit
                                                  that wrote any (daemon/loop.c) */
    agency_histogram_t commit_inbound_letters; /* frames received, per group commit that took
                                                  any (daemon/loop.c) */
    agency_histogram_t commit_seconds;         /* each group commit's write transaction, begin
                                                  to commit, in seconds (daemon/loop.c) */
} agency_stats_t;

struct _tsg_agency_t {
    tsg_agency_config_t *config;                   /* owned; its keys are the agency's keys */
    const tsg_agency_policy_t *policy;             /* this agency's type */
    const agency_kind_t *kinds[AGENCY_KIND_COUNT]; /* the letter kinds' operations, handed in
                                                    by the daemon (daemon/agency.c) */
    tsg_store_t *store;                            /* the agency's LMDB (records/store.h) */
    tsg_boxer_t *boxer;                            /* precomputed crypto_box keys per peer */
    tsg_keys_t *previous_keys;                     /* our keys before a rotation (owned; the
                                                      boxer's previous), or NULL */
    agency_directory_t *directory;                 /* the last accepted directory, or NULL */
    agency_coordinator_pin_t coordinator;          /* the coordinator's keys we trust */
    bool coordinator_keys_changed;                 /* ... changed in this batch: the link
                                                      follows (daemon/loop.c) */
    bool coordinator_batch_proofs;                 /* its last HELLO said it verifies batch
                                                      proofs (core/batch_sign.c) */
    agency_outbox_t *outbox;                       /* send and resend schedule */
    agency_link_t *link;                           /* the DEALER, NULL until started */
    agency_http_t *http;                           /* the API listener, NULL until started */
    agency_webhooks_t *webhooks;                   /* the webhooks' delivery, NULL without */
    const agency_webhook_status_t *webhook_status; /* their status (one per webhook), or NULL */
    size_t webhook_count;                          /* how many */
    const tsg_http_limits_t *http_limits;          /* its counters (for /metrics), or NULL */
    agency_send_fn *send;                          /* where letters go (the link by default) */
    void *send_arg;                                /* its argument */
    uint64_t next_sequence;                        /* next outbox sequence: core/pending.c is
                                                      its one allocator */
    uint64_t next_cursor;                          /* next inbox cursor */
    uint64_t coordinator_seen_ms;                  /* monotonic time of the last coordinator
                                                      letter */
    uint64_t hello_due_ms;                         /* monotonic time of the next HELLO */
    agency_pending_t *pending;                     /* API letters waiting for the group commit */
    agency_pending_t **pending_tail;               /* where the next one goes */
    size_t pending_count;                          /* how many */
    agency_stats_t stats;                          /* counters */
    agency_standing_t standing;                    /* suspended / revoked, clock, back-pressure */
    bool hold_inbound;                             /* a commit of forwarded letters failed: drop
                                                      the mailbox's letters until the coordinator
                                                      says it resends them from the oldest
                                                      (per-sender order) */
    bool outbox_full_told;                         /* backpressure.reached outbox_full is in the
                                                      feed, not yet followed by a letter taken */
    uint64_t prune_at_ms;                          /* monotonic time of the next retention pass */
    agency_prune_cursor_t prune;                   /* where the retention sweep goes on */
    uint64_t pruned;                               /* records the sweep deleted since start */
    uint64_t events_pruned;                        /* events the sweep deleted since start */
    size_t events_held;                            /* GET /v1/events long-polls held now
                                                      (daemon/http.c) */
};

#endif
