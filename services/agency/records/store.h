/* The agency daemon's own LMDB store: which databases it holds and what is in them.
 *
 * One environment in [agency] data_dir, with these databases:
 *
 *   meta        "sequence.next" → be64     next outbox sequence (from 1, never reused)
 *               "inbox.next"    → be64     next inbox cursor (from 1)
 *               "directory"     → bytes    the last accepted DIRECTORY envelope, exactly as
 *                                          received (re-verified with the pinned key at start)
 *   outbox      be64 sequence → Envelope   sealed letters the coordinator has not yet stored
 *   sent        referral id → JSON         what was sent and what became of it (sent.h), with
 *                                          the referral's state (status.h)
 *   msgref      message id (16) → be64 sequence || id (36) [|| u8 kind || be64 n]
 *                                          which referral, status change or case event a
 *                                          letter of ours carried (msgref.h)
 *   clientref   client_ref → referral id   idempotency keys of POST /v1/referrals
 *   inbox       be64 cursor → record       forwarded letters, verified, in arrival order:
 *                                          be64 received_at_ms || sender box_public (32) ||
 *                                          u8 n || sender type (n) || be16 m || sender name (m) ||
 *                                          Envelope as received (the body stays encrypted)
 *   seen        message id (16) → u8 receipt type || be64 cursor || detail
 *                                          every forwarded letter answered, for dedup
 *   quarantine  BLAKE2b-256 of the frame → be64 at_ms || be16 n || reason (n) || frame
 *                                          letters that could not be verified or opened
 *   received    referral id → JSON         the referrals this agency received, with their
 *                                          state (received.h, status.h)
 *   cases       case id → JSON             the local copy of each case this agency is on
 *                                          (cases.h)
 *   case_events case id (36) || be64 n → JSON
 *                                          the case's events, sent and received, with their
 *                                          decrypted content (cases.h)
 *   consents    consent id → JSON          the consents this agency granted or learnt of, with
 *                                          their state (consents.h)
 *   consent_data u8 n || consent id (n) || be64 cursor → u8 kind
 *                                          the inbox letters that came under each consent,
 *                                          for the counts of restricted data (consents.h)
 *   events      be64 seq → JSON            the event feed, in order (events.h); META
 *                                          "events.next" → be64 the next seq (from 1)
 */
#ifndef AGENCY_RECORDS_STORE_H_INCLUDED
#define AGENCY_RECORDS_STORE_H_INCLUDED

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "tsunagu/tsg_store.h"

enum {
    AGENCY_DB_META,
    AGENCY_DB_OUTBOX,
    AGENCY_DB_SENT,
    AGENCY_DB_MSGREF,
    AGENCY_DB_CLIENTREF,
    AGENCY_DB_INBOX,
    AGENCY_DB_SEEN,
    AGENCY_DB_QUARANTINE,
    AGENCY_DB_RECEIVED,
    AGENCY_DB_CASES,
    AGENCY_DB_CASE_EVENTS,
    AGENCY_DB_CONSENTS,
    AGENCY_DB_CONSENT_DATA,
    AGENCY_DB_EVENTS,
    AGENCY_DB_COUNT
};

#define AGENCY_META_SEQUENCE  "sequence.next"
#define AGENCY_META_INBOX     "inbox.next"
#define AGENCY_META_DIRECTORY "directory"

/* Opens (creating) the store in dir with the databases above.  TSG_OK and *out, or a
 * TSG_ERR_* with *out untouched. */
int agency_store_open (const char *dir, size_t map_size, tsg_store_t **out);

/* The be64 value of meta key, or dflt when absent or malformed. */
uint64_t agency_meta_get_u64 (tsg_txn_t *txn, const char *key, uint64_t dflt);

/* Writes meta key as a be64 value. */
void agency_meta_put_u64 (tsg_txn_t *txn, const char *key, uint64_t value);

/* The JSON value under key in db (a new reference), or NULL when absent or unreadable
 * (logged). */
json_t *agency_store_get_json (tsg_txn_t *txn, int db, const void *key, size_t key_len);

/* Writes value (compact JSON) under key in db; an encoding failure sets txn->rc. */
void agency_store_put_json (tsg_txn_t *txn, int db, const void *key, size_t key_len,
                            const json_t *value);

#endif
