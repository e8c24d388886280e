/* The coordinator's record of each referral (REFERRALS) and the DUE index that lists the
 * overdue ones without a scan.  Only ids, codes and times: never a body. */
#ifndef TSG_HUB_REFERRALS_H_INCLUDED
#define TSG_HUB_REFERRALS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsunagu/tsunagu.h"

#define TSG_HUB_TYPE_MAX 16 /* longest agency type name, with its NUL */

/* One referral as the coordinator tracks it. */
typedef struct {
    char id[TSG_UUID_TEXT_SIZE];               /* the referral id */
    char case_id[TSG_UUID_TEXT_SIZE];          /* the case it belongs to */
    char sender[TSG_ID_MAX + 1];               /* the referring agency */
    char recipient[TSG_ID_MAX + 1];            /* the agency referred to */
    char recipient_type[TSG_HUB_TYPE_MAX];     /* its type at the time */
    tsg_ref_state_t state;                     /* the current state */
    tsg_outcome_t outcome;                     /* completed / failed: how it ended */
    int urgency;                               /* Tsunagu__V1__Urgency */
    bool reason_given;                         /* the last change came with a reason */
    uint64_t version;                          /* 1 when requested, +1 per accepted change */
    uint64_t created_at_ms;                    /* when the sender made it (its letter) */
    uint64_t updated_at_ms;                    /* the last change (coordinator clock) */
    char updated_by[TSG_ID_MAX + 1];           /* who made the last change */
    uint64_t receive_due_ms;                   /* received by then, or overdue */
    uint64_t response_due_ms;                  /* accepted or rejected by then, or overdue */
    uint64_t received_at_ms;                   /* when it became received (0: not yet) */
    uint64_t accepted_at_ms;                   /* when it became accepted (0: not yet) */
    uint64_t closed_at_ms;                     /* when it reached a final state (0: not yet) */
    uint64_t withheld_at_ms;                   /* when its letter was withheld (0: never) */
    char withheld_reason[TSG_HUB_TYPE_MAX];    /* why: its consent "revoked" or "expired" */
    char withheld_consent[TSG_UUID_TEXT_SIZE]; /* the consent that ended */
} tsg_hub_referral_t;

/* Reads the referral id into *out.  False when absent, unreadable or the txn failed. */
bool tsg_hub_referral_get (tsg_txn_t *txn, const char *id, tsg_hub_referral_t *out);

/* Writes ref and brings its DUE and CASE_DUE entries in line with its state: old is the
 * record as it was stored before (NULL for a new referral). */
void tsg_hub_referral_put (tsg_txn_t *txn, const tsg_hub_referral_t *old,
                           const tsg_hub_referral_t *ref);

/* Notes that the letter of referral_id was withheld at now_ms because its consent
 * (consent_id) ended for reason ("revoked", "expired"): the record says so, its DUE entries
 * go, and its case counts one more withheld referral.  False (nothing changed) when there is
 * no such referral or it was withheld already. */
bool tsg_hub_referral_withhold (tsg_txn_t *txn, const char *referral_id, const char *reason,
                                const char *consent_id, uint64_t now_ms);

/* What a referral may be overdue for. */
typedef enum {
    TSG_HUB_DUE_RECEIVED = 1, /* still requested after receive_due */
    TSG_HUB_DUE_ACCEPTED = 2, /* still requested or received after response_due */
} tsg_hub_due_kind_t;

/* "received" / "accepted", and back. */
const char *tsg_hub_due_kind_name (tsg_hub_due_kind_t kind);
bool tsg_hub_due_kind_parse (const char *text, tsg_hub_due_kind_t *out);

/* True while ref still waits for kind (whatever the time).  A withheld referral waits for
 * nothing: its letter never reached the recipient, so it is not late against it. */
bool tsg_hub_referral_awaits (const tsg_hub_referral_t *ref, tsg_hub_due_kind_t kind);

/* True when ref waits for kind and its due time is before now_ms. */
bool tsg_hub_referral_overdue (const tsg_hub_referral_t *ref, tsg_hub_due_kind_t kind,
                               uint64_t now_ms);

/* Called for each DUE entry, earliest due first, with its referral, case and recipient ("" for
 * an entry written before DUE values named the recipient: read the referral); return false to
 * stop. */
typedef bool (tsg_hub_due_fn) (void *arg, tsg_hub_due_kind_t kind, uint64_t due_ms,
                               const char *referral_id, const char *case_id, const char *recipient);

/* Calls fn for the entries of kind due before before_ms: a range read of the overdue ones
 * only. */
void tsg_hub_due_scan (tsg_txn_t *txn, tsg_hub_due_kind_t kind, uint64_t before_ms,
                       tsg_hub_due_fn *fn, void *arg);

/* How many referrals of kind are due before before_ms. */
size_t tsg_hub_due_count (tsg_txn_t *txn, tsg_hub_due_kind_t kind, uint64_t before_ms);

/* The DUE index key of a referral's due date: u8 kind, be64 due ms, referral id; its length
 * (TSG_HUB_DUE_KEY_LEN, layout.h). */
size_t tsg_hub_due_key (tsg_hub_due_kind_t kind, uint64_t due_ms, const char *referral_id,
                        uint8_t *out);

/* The write side, once at start: gives every DUE entry written before DUE values named the
 * recipient its recipient (due_upgrade_write.c).  No-op when done before (META
 * "due.recipients").  TSG_OK or a TSG_ERR_*; *rewritten (when not NULL) says how many. */
int tsg_hub_due_upgrade (tsg_store_t *store, size_t *rewritten);

/* The same in txn (a write transaction the caller commits; the coordinator's schema 3):
 * failures in txn->rc, the entries rewritten added to *rewritten (when not NULL). */
void tsg_hub_due_recipients (tsg_txn_t *txn, size_t *rewritten);

#endif
