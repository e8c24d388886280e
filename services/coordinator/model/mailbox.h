/* The coordinator's durable records: mailboxes, what became of each message, and per-sender
 * sequences. */
#ifndef TSG_HUB_MAILBOX_H_INCLUDED
#define TSG_HUB_MAILBOX_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coordinator/model/limits.h"
#include "tsunagu/tsunagu.h"

/* Longest MAILBOX key: recipient id, NUL, be64 sequence. */
#define TSG_HUB_MAILBOX_KEY_MAX (TSG_ID_MAX + 1 + 8)
/* Longest refusal sentence kept for a re-answer. */
#define TSG_HUB_DETAIL_MAX 160

/* What became of a message (its MESSAGES record). */
typedef enum {
    TSG_HUB_MSG_STORED = 1,    /* waiting in its recipient's mailbox */
    TSG_HUB_MSG_DELIVERED = 2, /* acknowledged by its recipient and gone from the mailbox */
    TSG_HUB_MSG_REFUSED = 3,   /* refused with error_code; never stored */
} tsg_hub_msg_state_t;

/* A MESSAGES record, decoded. */
typedef struct {
    tsg_hub_msg_state_t state;         /* see above */
    Tsunagu__V1__Kind kind;            /* the letter's kind */
    Tsunagu__V1__ErrorCode error_code; /* REFUSED: what was answered */
    uint64_t at_ms;                    /* when the state was last set (UTC ms) */
    uint64_t mailbox_seq;              /* STORED, DELIVERED: its place in the recipient's mailbox */
    char sender[TSG_ID_MAX + 1];       /* the authenticated sender */
    char recipient[TSG_ID_MAX + 1];    /* the recipient (an agency, or "coordinator") */
    char detail[TSG_HUB_DETAIL_MAX];   /* REFUSED: the sentence that was answered */
} tsg_hub_message_t;

/* True when one more letter of len envelope bytes from sender fits its quota and, unless
 * recipient is NULL (a fan-out letter, counted against its sender only), recipient's
 * mailbox quota (limits.h).  Otherwise false, with an English sentence naming the quota in
 * detail.  Reads only. */
bool tsg_hub_quota_check (tsg_txn_t *txn, const tsg_hub_limits_t *limits, const char *sender,
                          const char *recipient, size_t len, char *detail, size_t size);

/* Where a pruning sweep over MESSAGES stopped (len 0: at the beginning). */
#define TSG_HUB_PRUNE_KEY_MAX (TSG_MESSAGE_ID_SIZE + TSG_ID_MAX)
#define TSG_HUB_PRUNE_KEYS    512 /* records deleted per pass at most */
typedef struct {
    uint8_t key[TSG_HUB_PRUNE_KEY_MAX]; /* the next key to look at */
    size_t len;                         /* its length */
} tsg_hub_prune_cursor_t;

/* One pass of the retention sweep in txn (a write transaction): looks at up to examine
 * MESSAGES records from *cursor on and deletes those of letters delivered or refused before
 * before_ms (the dedup window has passed: a letter that old is refused by the clock check,
 * so its id is no longer needed); a record of a letter still in a mailbox stays.  Moves
 * *cursor on (back to the beginning at the end).  Returns how many were deleted. */
size_t tsg_hub_messages_prune (tsg_txn_t *txn, tsg_hub_prune_cursor_t *cursor, uint64_t before_ms,
                               size_t examine);

/* Writes the MAILBOX key of (recipient, seq) into out; returns its length. */
size_t tsg_hub_mailbox_key (const char *recipient, uint64_t seq,
                            uint8_t out[TSG_HUB_MAILBOX_KEY_MAX]);

/* Reads the MESSAGES record of id into *out.  False when absent, unreadable, or the
 * transaction failed. */
bool tsg_hub_message_get (tsg_txn_t *txn, const uint8_t id[TSG_MESSAGE_ID_SIZE],
                          tsg_hub_message_t *out);

/* Reads the MESSAGES record of recipient's copy of the fan-out letter id. */
bool tsg_hub_message_get_copy (tsg_txn_t *txn, const uint8_t id[TSG_MESSAGE_ID_SIZE],
                               const char *recipient, tsg_hub_message_t *out);

/* Writes (replaces) the MESSAGES record of id. */
void tsg_hub_message_put (tsg_txn_t *txn, const uint8_t id[TSG_MESSAGE_ID_SIZE],
                          const tsg_hub_message_t *msg);

/* The last sequence stored from sender (0 when none), and setting it. */
uint64_t tsg_hub_sender_last (tsg_txn_t *txn, const char *sender);
void tsg_hub_sender_set (tsg_txn_t *txn, const char *sender, uint64_t seq);

/* Appends envelope (a letter from sender of kind, with message id id) to recipient's mailbox
 * at the next global mailbox sequence and records id as STORED in MESSAGES.  Returns the
 * mailbox sequence (from 1), or 0 when the transaction has failed. */
uint64_t tsg_hub_mailbox_put (tsg_txn_t *txn, const char *recipient, const char *sender,
                              Tsunagu__V1__Kind kind, const uint8_t id[TSG_MESSAGE_ID_SIZE],
                              const uint8_t *envelope, size_t len, uint64_t now_ms);

/* Appends a copy of the fan-out letter id (a CASE_EVENT addressed to the coordinator) to
 * recipient's mailbox and records the copy as STORED under (id, recipient); the caller
 * records the letter itself (recipient "coordinator").  Returns the mailbox sequence, or 0
 * when the transaction has failed. */
uint64_t tsg_hub_mailbox_put_copy (tsg_txn_t *txn, const char *recipient, const char *sender,
                                   Tsunagu__V1__Kind kind, const uint8_t id[TSG_MESSAGE_ID_SIZE],
                                   const uint8_t *envelope, size_t len, uint64_t now_ms);

/* What an acknowledgement did. */
typedef enum {
    TSG_HUB_ACK_DONE,    /* the letter left the mailbox (and the receipt may have been relayed) */
    TSG_HUB_ACK_IGNORED, /* unknown letter or already acknowledged: nothing changed */
    TSG_HUB_ACK_REFUSED, /* not the acknowledger's to acknowledge: nothing changed */
} tsg_hub_ack_outcome_t;

typedef struct {
    tsg_hub_ack_outcome_t outcome;      /* see above */
    char recipient[TSG_ID_MAX + 1];     /* DONE: whose mailbox lost an entry */
    uint64_t seq;                       /* DONE: which entry */
    char relayed_to[TSG_ID_MAX + 1];    /* DONE: whose mailbox got the receipt ("" when none) */
    char held_back[TSG_ID_MAX + 1];     /* DONE, relay false: whose mailbox would have got it */
    uint8_t about[TSG_MESSAGE_ID_SIZE]; /* DONE: the letter acknowledged */
    const char *why;                    /* IGNORED, REFUSED: a static sentence */
} tsg_hub_ack_t;

/* Handles a DELIVERED or REJECTED receipt (already verified, signed by acker) whose
 * serialized envelope is envelope.  When the letter it is about is addressed to acker (or is
 * a fan-out letter with a copy for acker) and still in acker's mailbox: deletes the entry,
 * marks the letter (or acker's copy) DELIVERED and, unless that letter was itself a receipt
 * (or HELLO, ERROR, DIRECTORY, CASE_UPDATE) or came from the coordinator, stores the receipt
 * envelope unchanged in the letter's sender's mailbox and records the receipt's id as STORED.
 * A second acknowledgement changes nothing.  When relay is false the receipt is applied but
 * not stored for the sender (its cleartext may not be passed on): out->held_back names who
 * would have got it.  Fills *out. */
void tsg_hub_mailbox_ack (tsg_txn_t *txn, const char *acker, const tsg_letter_t *receipt,
                          const uint8_t *envelope, size_t len, uint64_t now_ms, bool relay,
                          tsg_hub_ack_t *out);

/* What a withdrawn mailbox entry held. */
typedef struct {
    Tsunagu__V1__Kind kind;          /* the letter's kind */
    uint8_t id[TSG_MESSAGE_ID_SIZE]; /* its message id */
    char sender[TSG_ID_MAX + 1];     /* who sent it */
    bool copy;                       /* a copy of a fan-out letter (addressed to the coordinator) */
} tsg_hub_withdrawn_t;

/* Takes entry seq out of recipient's mailbox without delivering it: deletes the entry, counts
 * it out of the recipient's depth, and turns its MESSAGES record (or the recipient's copy
 * record of a fan-out letter) to REFUSED with code and detail, so that a resend is answered
 * with them.  False (nothing changed) when the entry is gone (delivered already) or
 * unreadable; else fills *out. */
bool tsg_hub_mailbox_withdraw (tsg_txn_t *txn, const char *recipient, uint64_t seq,
                               Tsunagu__V1__ErrorCode code, const char *detail, uint64_t now_ms,
                               tsg_hub_withdrawn_t *out);

/* Called for each mailbox entry in order; return false to stop.  envelope is borrowed
 * until the transaction ends. */
typedef bool (tsg_hub_mailbox_fn) (void *arg, uint64_t seq, const uint8_t *envelope, size_t len);

/* Calls fn for recipient's mailbox entries with sequence >= from_seq, oldest first. */
void tsg_hub_mailbox_scan (tsg_txn_t *txn, const char *recipient, uint64_t from_seq,
                           tsg_hub_mailbox_fn *fn, void *arg);

/* Number of entries in recipient's mailbox. */
size_t tsg_hub_mailbox_count (tsg_txn_t *txn, const char *recipient);

/* True for kinds whose receipts travel back to their sender. */
bool tsg_hub_kind_relays_receipts (Tsunagu__V1__Kind kind);

#endif
