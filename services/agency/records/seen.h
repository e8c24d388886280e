/* What the agency remembers of the forwarded letters it answered (seen, for dedup) and of
 * those it could not accept (quarantine), and when it forgets them.
 *
 *   seen        message id (16) → u8 receipt type | be64 inbox cursor | be64 at_ms | detail
 *   quarantine  BLAKE2b-256 of the frame → be64 at_ms | be32 frame length | u8 s | sender (s) |
 *               be16 n | reason (n) | the frame's first AGENCY_QUARANTINE_PREFIX bytes
 *   meta        "quarantine." sender → be64: that sender's entries (at most
 *               AGENCY_QUARANTINE_PER_SENDER; the rest are counted, not kept)
 *
 * A seen record outlives the coordinator's dedup window (a letter older than that is refused
 * there), so a forgotten id can never come back. */
#ifndef AGENCY_RECORDS_SEEN_H_INCLUDED
#define AGENCY_RECORDS_SEEN_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tsunagu/tsunagu.h"

#define AGENCY_SEEN_DAYS_DEFAULT     30
#define AGENCY_QUARANTINE_DAYS       30
#define AGENCY_QUARANTINE_PREFIX     4096 /* bytes of a refused frame kept (with its hash) */
#define AGENCY_QUARANTINE_PER_SENDER 256
#define AGENCY_PRUNE_EXAMINE         2048 /* records looked at per pass */
#define AGENCY_PRUNE_KEY_MAX         32

/* Remembers that the letter id was answered with type (and detail) at at_ms; cursor is its
 * inbox entry (0: none). */
void agency_seen_put (tsg_txn_t *txn, const uint8_t id[TSG_MESSAGE_ID_SIZE],
                      Tsunagu__V1__ReceiptType type, uint64_t cursor, const char *detail,
                      uint64_t at_ms);

/* True when id was answered before; gives the receipt type and detail it got. */
bool agency_seen_get (tsg_txn_t *txn, const uint8_t id[TSG_MESSAGE_ID_SIZE],
                      Tsunagu__V1__ReceiptType *type, char *detail, size_t detail_size);

/* Keeps a hash and a bounded prefix of a frame that could not be accepted, with the reason
 * and the sender it names ("?" when it could not be read); the same frame twice is kept once,
 * and a sender past its cap is only counted.  Returns true when it was kept. */
bool agency_quarantine_put (tsg_txn_t *txn, const char *sender, const uint8_t *data, size_t len,
                            const char *reason, uint64_t at_ms);

/* Where the retention sweep goes on, one cursor per table. */
typedef struct {
    uint8_t seen[AGENCY_PRUNE_KEY_MAX];       /* next seen key */
    size_t seen_len;                          /* its length (0: the beginning) */
    uint8_t quarantine[AGENCY_PRUNE_KEY_MAX]; /* next quarantine key */
    size_t quarantine_len;                    /* its length */
} agency_prune_cursor_t;

/* One pass in txn (a write transaction): deletes seen records older than seen_ms and
 * quarantine entries older than AGENCY_QUARANTINE_DAYS, looking at up to
 * AGENCY_PRUNE_EXAMINE records of each from *cursor on.  Returns how many it deleted. */
size_t agency_retention_prune (tsg_txn_t *txn, agency_prune_cursor_t *cursor, uint64_t now_ms,
                               uint64_t seen_ms);

#endif
